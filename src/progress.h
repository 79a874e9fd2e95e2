/* SPDX-License-Identifier: Apache-2.0 */
/* Progress of a long read, drawn on standard error when it is a terminal. */
#ifndef VT_PROGRESS_H
#define VT_PROGRESS_H

#include "../parser/inputs.h"

#include <stdint.h>

/*
 * One line on stderr, redrawn in place with \r at most four times a
 * second: the share of the input's bytes read (on disk: compressed
 * bytes for a .gz), the rate, files done of all, and the time left. It
 * appears only after a delay (VMCP_TELEMETRY_PROGRESS_DELAY seconds,
 * default 1; 0 draws at once), so short runs show nothing, and it is
 * erased when the reading ends. Nothing is ever drawn on stdout.
 *
 * The counting functions are safe from any thread and accept NULL.
 */
struct vt_progress;

/*
 * Starts showing progress of reading files (the bytes on disk of the
 * files of in are the total; in NULL, or a file that is no regular file:
 * no total, so no share and no ETA) when stderr is a terminal and quiet
 * is 0; otherwise returns NULL, which every function below accepts.
 */
struct vt_progress *vt_progress_start(const struct vt_inputs *in,
				      size_t files, int quiet);

void vt_progress_add(struct vt_progress *p, uint64_t bytes);
void vt_progress_file_done(struct vt_progress *p);

/*
 * Erases the line and keeps it off until vt_progress_resume, so that a
 * message can be printed on stderr in between.
 */
void vt_progress_hold(struct vt_progress *p);
void vt_progress_resume(struct vt_progress *p);

/* Erases the line, stops drawing and frees p. */
void vt_progress_stop(struct vt_progress *p);

#endif
