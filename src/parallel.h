/* SPDX-License-Identifier: Apache-2.0 */
/* Reading many inputs, or one large one, on several threads. */
#ifndef VT_PARALLEL_H
#define VT_PARALLEL_H

#include "common.h"
#include "ingest.h"

/* A plain file is split in chunks of at least this many bytes. */
#define VT_MIN_CHUNK (8u << 20)

/*
 * What a parallel read did, for the bench and the tests (VT_PARALLEL_STATS
 * in the environment of `report` prints it). force_chunks is an input: a
 * test hook (VT_CHUNKS) that cuts every file alone in its group, however
 * small, in that many chunks, at any newline.
 */
struct vt_parallel_stats {
	size_t force_chunks; /* in: 0, or the chunks to cut a file in */
	uint64_t jobs;       /* files and chunks read on the threads */
	uint64_t chunks;     /* ... of them chunks of a file */
	uint64_t read_again; /* chunks that could not be read on a thread,
				read in order (with the serial fallback) */
	uint64_t serial_rest; /* serial fallback: the rest of a file or
				 group read again, in order */
	uint64_t capped;     /* ... of them because a cap was reached
				(--max-instances, streams, hours) */
	uint64_t carried;    /* lines joined from parts carried across
				an edge */
};

/*
 * Reads every file of in into agg, as vt_ingest_file would one after the
 * other, with up to nthreads threads: the result is the same report, and
 * diagnostics come out in the same order with the same line numbers.
 *
 * Work is cut into jobs: a file (the files of a rotation group after its
 * first continue its stream), or a chunk of a large plain file alone in
 * its group, split at line boundaries. Each job counts into a partial
 * aggregate of its own (vt_agg_set_partial), which keeps what it could
 * not decide alone (the process its first lines belong to, facts and
 * restarts across the edge), and the aggregates are merged in input
 * order: exact, nothing read twice. CRI or docker parts open at a
 * chunk's edge are carried: the chunk after hands out its leading parts
 * per slot, and the merge joins and counts the whole line where its
 * final part is. A job whose aggregate cannot be merged exactly (see
 * vt_agg_merge_exact), or not within the caps (vt_agg_merge_fits), is
 * read again with the rest of its file or group, in order, into agg.
 * stats (may be NULL) counts what was done.
 */
void vt_ingest_parallel(const struct vt_inputs *in, size_t nthreads,
			const struct vt_ingest_config *cfg,
			const struct vt_rules *rules, struct vt_agg *agg,
			const struct vt_agg_config *acfg,
			struct vt_diag_state *ds,
			struct vt_parallel_stats *stats);

/* The number of online processors (at least 1). */
size_t vt_cpu_count(void);

#endif
