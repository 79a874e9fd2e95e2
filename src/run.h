/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The run command's own state, shared by its two files: cmd_run.c (the
 * job: lock, state, periods, reports, upload) and run_files.c (which
 * files are new, and reading what is new in them).
 */
#ifndef VT_RUN_H
#define VT_RUN_H

#include "common.h"
#include "readopts.h"
#include "ingest.h"
#include "telemetry.h"
#include "../parser/inputs.h"
#include "../state/secret.h"
#include "../state/state.h"

#include <stdint.h>

/*
 * A renamed (not compressed) rotated file may still have a writer that
 * has not reopened its log (delaycompress exists for that): its torn last
 * line counts only once the file has been quiet this long, by its mtime.
 */
#define ROTATED_QUIET_S 60
/* Checkpoints kept at most; the oldest unseen ones go first. */
#define MAX_CHECKPOINTS 100000

#define VT_MAX_OLDDIRS 8

struct run_opts {
	struct vt_read_opts rd;
	const char *state;
	int64_t period;
	int64_t grace;
	int flush;
	size_t max_open;
	struct vt_telemetry_opts tel;
	const char *olddirs[VT_MAX_OLDDIRS]; /* --olddir */
	size_t nolddirs;
};

/* A file found this run, with its head for identification. */
struct candidate {
	struct vt_input *in;
	unsigned char head[VT_FP_LEN];
	size_t head_len;
	int compressed; /* gzip, zstd, xz or bzip2: never changes */
	uint64_t size; /* st_size (the compressed size when compressed) */
	int64_t mtime;
	size_t cp;     /* index into the state's checkpoints, or NO_CP */
	int had_cp;    /* cp is a checkpoint from before this run */
	int duplicate; /* the same content as another candidate: not read */
	size_t copy_of; /* the candidate it is a proven copy of, or NO_CP */
	int short_copy; /* a copytruncate copy shorter than the checkpoint's
			 * offset: read up to its end before the truncation */
};

#define NO_CP SIZE_MAX

struct run {
	struct run_opts o;
	int64_t now;
	char *dir, *reports;
	int lock_fd;
	struct vt_state st;
	int have_state;
	struct vt_agg_config acfg;
	struct vt_tables t;
	struct vt_inputs in;
	struct candidate *cands;
	size_t ncands;
	unsigned char *cp_seen;
	int changed;
	int input_problems;
	struct vt_telemetry tel;
	unsigned char secret[VT_SECRET_LEN];
	struct vt_prp state_key; /* hides the state's hashes; from secret */
	int refused;
	int lost;      /* files whose unread lines were found nowhere this run */
	int any_period; /* take the state's period (mode off clears any) */
	const char *const *olddirs; /* --olddir, in the order given */
	size_t nolddirs;
};

/* Lists the files named after the options (argv[optind..]), and siblings. */
void vt_run_discover(struct run *r, int argc, char **argv);
/* Ties each file found to its checkpoint, and drops duplicate copies. */
void vt_run_match(struct run *r);
/*
 * Reads what is new in candidate ci into g; returns -1 when the file could
 * not be read (to its end).
 */
int vt_run_read_new(struct run *r, struct vt_ingest *g, size_t ci);
/* Forgets checkpoints whose file is gone; unread bytes count as lost. */
void vt_run_forget_gone(struct run *r);
/*
 * Period accounting of quality.files and bytes_read in run: a file counts
 * once in each period it gave bytes to, by its total bytes read in that
 * period, however many runs read it (the job's schedule shows in no
 * count). vt_run_account adds bytes read now to the latest open period;
 * vt_run_flush_period reports what the files gave the period starting at
 * start (before its report is written).
 */
void vt_run_account(struct run *r, struct vt_checkpoint *cp, uint64_t bytes);
void vt_run_flush_period(struct run *r, int64_t start);

#endif
