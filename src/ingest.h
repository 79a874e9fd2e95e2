/* SPDX-License-Identifier: Apache-2.0 */
/* One input file through the pipeline: frame, unwrap, decode, aggregate. */
#ifndef VT_INGEST_H
#define VT_INGEST_H

#include "../aggregator/agg.h"
#include "../parser/inputs.h"
#include "../parser/rules.h"
#include "../parser/unwrap.h"

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
};

struct vt_ingest {
	struct vt_ingest_config cfg;
	struct vt_decoder *dec;
	struct vt_unwrap unwrap;
	struct vt_rules *rules;      /* borrowed */
	struct vt_agg *agg;          /* borrowed */
	struct vt_diag_sink diag;
	int stop;                    /* strict mode saw a bad line */
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

#endif
