/* SPDX-License-Identifier: Apache-2.0 */
/* Reading many inputs, or one large one, on several threads. */
#ifndef VT_PARALLEL_H
#define VT_PARALLEL_H

#include "common.h"
#include "ingest.h"

/* A plain file is split in chunks of at least this many bytes. */
#define VT_MIN_CHUNK (8u << 20)

/*
 * Reads every file of in into agg, as vt_ingest_file would one after the
 * other, with up to nthreads threads: the result is the same report, and
 * diagnostics come out in the same order with the same line numbers.
 *
 * Work is cut into jobs: a file (the files of a rotation group after its
 * first continue its stream, as a later chunk does), or a chunk of a
 * large plain file alone in its group, split at line boundaries. Each job
 * counts into an aggregate of its own, and the aggregates are merged in
 * input order; a later chunk or file whose lines carry configuration
 * facts is read again, with the rest of its file or group, in order into
 * agg (see vt_agg_merge_exact), so that process boundaries and
 * configuration changes stay exact. rules is cloned for each thread.
 */
void vt_ingest_parallel(const struct vt_inputs *in, size_t nthreads,
			const struct vt_ingest_config *cfg,
			const struct vt_rules *rules, struct vt_agg *agg,
			const struct vt_agg_config *acfg,
			struct vt_diag_state *ds);

/* The number of online processors (at least 1). */
size_t vt_cpu_count(void);

#endif
