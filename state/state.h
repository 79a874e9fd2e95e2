/* SPDX-License-Identifier: Apache-2.0 */
/* The periodic job's state: checkpoints, open periods, and their file. */
#ifndef VT_STATE_H
#define VT_STATE_H

#include "../aggregator/agg.h"
#include "../util/buf.h"

#include <stdint.h>
#include <sys/types.h>

/* Bytes of a file's start that identify it (decompressed). */
#define VT_FP_LEN 1024
/* Bytes before a checkpoint's offset that must still be there on resume. */
#define VT_MARKER_LEN 64
/* Longest rotation part of a name kept ("-20261124-1764000000.log.gz"). */
#define VT_ROT_MAX 63

/*
 * What the job knows about one file it has read. Identity is content,
 * not name: fp is a hash of the first fp_len decompressed bytes (fp_len
 * grows to VT_FP_LEN as a small file grows), so a renamed, rotated or
 * compressed file is recognized; dev/ino only break ties. marker is a
 * hash of the VT_MARKER_LEN bytes before offset, checked before resuming
 * so a file rewritten in place is not resumed mid-line. No path is kept:
 * path_hash only.
 */
struct vt_checkpoint {
	uint64_t fp;
	uint32_t fp_len;
	uint64_t offset;        /* decompressed bytes consumed */
	uint64_t counted_until; /* lines ending here or before were counted */
	uint64_t marker;
	uint64_t size_seen;     /* decompressed size when last seen */
	uint64_t dev, ino;
	uint64_t path_hash;
	uint64_t instance, stream;
	int64_t last_seen;      /* run time this file was last found */
	/* Where it was last found, to name it if it is lost (format 3): */
	uint64_t group;         /* hash of its live file's path; 0: unknown */
	uint32_t flags;         /* VT_CP_IN_OLDDIR, VT_CP_EXTENSION, VT_CP_COMPRESSED */
	uint64_t stat_size;     /* st_size when last seen (compressed size) */
	char rot[VT_ROT_MAX + 1]; /* its name less the live name ("" = the live file) */
	/*
	 * What this file gave the open period acc_period (when acc_open):
	 * its bytes read by every run in that period, reported once as
	 * quality.files 1 and one bytes_read entry when the period closes
	 * or the file moves on to a later one (vt_run_account).
	 */
	int acc_open;
	int64_t acc_period;
	uint64_t acc_bytes;
};

#define VT_CP_IN_OLDDIR 1u  /* in an olddir, not beside its live file */
#define VT_CP_EXTENSION 2u  /* rot replaces the live name's extension too */
#define VT_CP_COMPRESSED 4u /* read as a compressed file (it never changes) */
#define VT_CP_WARM 8u       /* a rotated file written to less than a minute
			     * before it was last read: may still grow */

/*
 * A file whose unread lines could not be found anywhere, kept to name it
 * in 'status' (the newest VT_MAX_LOSSES).
 */
struct vt_loss {
	int64_t at;             /* the run that found it gone */
	uint64_t bytes;         /* unread bytes known (lines written after the
				 * last run that saw the file are not known) */
	uint64_t group;
	uint32_t flags;
	char rot[VT_ROT_MAX + 1];
};
#define VT_MAX_LOSSES 16

/* The whole state, as one committed unit. */
struct vt_state {
	int64_t created;
	int64_t last_run;
	int64_t period_seconds;
	int64_t finalized_until;     /* periods before this are reported */
	int64_t upload_enabled_at;   /* start of the current consent, or 0 */
	int64_t last_mode;           /* enum vt_mode of the last run */
	int opted_out;               /* telemetry was off since the last run
					that read: resume at every file's end */
	int64_t counting_since;      /* telemetry came back on (the run that
					resumed after an opt-out), or 0: no
					event timed before it is counted */
	uint64_t files_lost;
	uint64_t bytes_lost;
	struct vt_loss losses[VT_MAX_LOSSES]; /* oldest first */
	size_t nlosses;
	struct vt_checkpoint *cps;
	size_t ncps;
	struct vt_agg *agg;          /* owned */
};

void vt_state_init(struct vt_state *s);
void vt_state_release(struct vt_state *s);

/*
 * Encodes s (and its aggregate) into out: "VTST", a format version,
 * varints, CRC-32. Decodes into a zeroed *s, building the aggregate with
 * cfg; on error returns VT_ERR_CORRUPT or VT_ERR_VERSION and leaves *s
 * empty, or VT_ERR_USAGE when the state was made with another period
 * length (then only s->period_seconds is set).
 */
#define VT_STATE_FORMAT_VERSION 3
enum vt_err vt_state_encode(const struct vt_state *s,
			    const struct vt_prp *key, struct vt_buf *out);
/*
 * Telemetry was turned off: drops the checkpoints, the aggregate and the
 * counts of lost data, keeps only times and modes, and marks the state so
 * that the next run that reads starts at the end of every file. The
 * losses go too: they name files by the rotation part of their names.
 */
void vt_state_opt_out(struct vt_state *s);
enum vt_err vt_state_decode(const struct vt_agg_config *cfg, const char *p,
			    size_t n, struct vt_state *s);

/* The hash used for fingerprints and markers (SHA-256, first 64 bits). */
uint64_t vt_content_hash(const void *p, size_t n);

/*
 * Identity checks. head_matches: 1 when a file whose first head_len
 * decompressed bytes are head is the file cp fingerprinted (its first
 * fp_len bytes are the same). marker_ok: 1 when the n bytes just before
 * cp->offset in the file are tail, i.e. the file still holds what was
 * read and can be resumed; 0 means it shrank or was rewritten.
 */
int vt_checkpoint_head_matches(const struct vt_checkpoint *cp,
			       const unsigned char *head, size_t head_len);
int vt_checkpoint_marker_ok(const struct vt_checkpoint *cp,
			    const unsigned char *tail, size_t n);
/* Records that the file was read up to offset; tail: the bytes before it. */
/* Records a loss, dropping the oldest beyond VT_MAX_LOSSES. */
void vt_state_add_loss(struct vt_state *s, const struct vt_loss *loss);
/* 1 when rot is a rotation part a state may hold (no control characters, '/' or "..", short). */
int vt_rot_valid(const char *rot, size_t n);
void vt_checkpoint_mark(struct vt_checkpoint *cp, uint64_t offset,
			const unsigned char *tail, size_t n);
/* How many bytes the marker covers for a given offset. */
size_t vt_marker_len(uint64_t offset);

#endif
