/* SPDX-License-Identifier: Apache-2.0 */
/* status: the rotation group of each named live file, and the files lost. */
#ifndef VT_STATUS_FILES_H
#define VT_STATUS_FILES_H

#include "../parser/inputs.h"
#include "../reporter/report.h"
#include "../state/state.h"

/*
 * For each live file in `in` (listed with its siblings), the files taken
 * as its rotation group, oldest first, with why (the name rule, and
 * whether its content matches a checkpoint of st); then the losses st
 * remembers, named from `in` where it holds their live file.
 */
/* keyed: DIR/secret was read; without it checkpoints and losses stay hidden. */
void vt_status_files_text(const struct vt_inputs *in, const struct vt_state *st,
			  int keyed);
void vt_status_files_json(struct vt_json *j, const struct vt_inputs *in,
			  const struct vt_state *st, int keyed);

#endif
