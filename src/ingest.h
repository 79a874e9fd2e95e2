/* SPDX-License-Identifier: Apache-2.0 */
/* One input file through the pipeline: frame, unwrap, decode, aggregate. */
#ifndef VT_INGEST_H
#define VT_INGEST_H

#include "../aggregator/agg.h"
#include "../parser/inputs.h"
#include "../parser/lines.h"
#include "../parser/rules.h"
#include "../parser/source.h"
#include "../parser/unwrap.h"
#include "progress.h"

/* Receives problems found in the input; never sees a line's content. */
struct vt_diag_sink {
	void (*report)(void *ctx, const char *path, uint64_t line,
		       uint64_t offset, const char *what);
	void *ctx;
};

enum vt_instance_by { VT_INSTANCE_BY_SOURCE = 0, VT_INSTANCE_BY_COMPONENT };

struct vt_ingest_config {
	size_t max_line;              /* longest line kept, in bytes */
	enum vt_instance_by instance_by;
	int strict;                   /* stop at the first bad line */
	int prefetch;                 /* decompress .gz on a second thread */
};

/*
 * Where reading of one source starts and ends. The caller has already
 * moved the source to start. Lines whose last byte is at or before
 * replay_until were counted by an earlier run: they are read again only
 * to rebuild partial CRI/docker lines, and not counted. With
 * count_partial, a final line without a newline counts (the file is
 * closed); otherwise it waits for its newline.
 */
struct vt_ingest_pos {
	uint64_t start;
	uint64_t replay_until;
	int count_partial;
	int carry;              /* parts open at the end stay in g->unwrap,
				   for the caller: not read again, not
				   flushed */
	uint64_t limit;         /* when not 0: stop at the line starting here */
	int continued;          /* a later chunk: the file is counted once */
	int caller_counts;      /* quality.files and bytes_read are left to
				   the caller (run: per period, vt_run_account) */
	uint64_t read;          /* out: decompressed bytes read now */
	uint64_t lines;         /* out: physical lines read */
	uint64_t end;           /* out: resume here next time */
	uint64_t counted_until; /* out: lines up to here are counted */
	uint64_t size;          /* out: decompressed bytes the source had */
};

struct vt_ingest;

/*
 * A chunk's first final part of a parts slot (bit w * 2 + s, see struct
 * vt_unwrap): it may end a line begun before the chunk, so it is handed
 * out instead of counted. text: the slot's parts joined in the chunk;
 * eol: as for a line read whole (text.ptr[text.len] is its CR or LF);
 * too_long: they passed the line limit.
 */
typedef void (*vt_ingest_lead_fn)(void *ctx, struct vt_ingest *g,
				  const struct vt_line *l, unsigned slot,
				  struct vt_sv text, int eol, int too_long);

struct vt_ingest {
	struct vt_ingest_config cfg;
	struct vt_decoder *dec;
	struct vt_unwrap unwrap;
	struct vt_rules *rules;      /* borrowed */
	struct vt_agg *agg;          /* borrowed */
	struct vt_diag_sink diag;
	int stop;                    /* strict mode saw a bad line */
	int replaying;               /* the current line was counted before */
	uint64_t wrapped;            /* physical CRI or docker lines seen */
	uint64_t replay_until;
	uint64_t replayed_lines;     /* physical lines read only to replay */
	int number_after_replay;     /* diagnostics number lines after them */
	struct vt_progress *progress; /* borrowed; NULL: none (the default) */
	uint64_t progress_mark;       /* position last counted in it */
	int progress_raw;             /* ... on disk (else decompressed) */
	unsigned leading;             /* slots whose first final part is
					 handed to lead, not counted */
	vt_ingest_lead_fn lead;
	void *lead_ctx;
};

void vt_ingest_init(struct vt_ingest *g, const struct vt_ingest_config *cfg,
		    struct vt_rules *rules, struct vt_agg *agg,
		    const struct vt_diag_sink *diag);
void vt_ingest_release(struct vt_ingest *g);

/*
 * Reads the whole file (a final line without newline counts) into the
 * aggregate. Returns VT_OK when every byte was read; VT_ERR_IO when the
 * file could not be opened or read (errno set), VT_ERR_FORMAT when its
 * gzip data is damaged; in both cases the lines before the problem are
 * counted and the problem is in the quality section and the diag sink.
 */
enum vt_err vt_ingest_file(struct vt_ingest *g, const struct vt_input *in);

/*
 * Counts one logical line whose parts were joined elsewhere (parts
 * carried across a chunk's edge) as a final part read in order would:
 * text (eol as for vt_ingest_lead_fn), or a too-long line. l: the final
 * part's line; NULL for parts still open at the end of the input.
 */
void vt_ingest_joined(struct vt_ingest *g, const struct vt_input *in,
		      const struct vt_line *l, struct vt_sv text,
		      enum vt_wrapper wrapper, int eol, int too_long);

/*
 * The same for a source the caller opened and positioned (see struct
 * vt_ingest_pos); the caller keeps ownership of src. A read or gzip error
 * is counted and returned like vt_ingest_file's; pos->end then covers
 * the lines before it.
 */
enum vt_err vt_ingest_source(struct vt_ingest *g, const struct vt_input *in,
			     struct vt_source *src, struct vt_ingest_pos *pos);

#endif
