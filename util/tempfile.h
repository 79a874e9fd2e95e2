/* SPDX-License-Identifier: Apache-2.0 */
/* Temporary files for atomic writes, safe in a directory others can see. */
#ifndef VT_TEMPFILE_H
#define VT_TEMPFILE_H

/*
 * Creates a temporary file beside path ("path.tmp.XXXXXX", a fresh name
 * opened with O_EXCL: never a planted link, never a leftover) with file
 * mode exactly 0600 when mode is 0600, else mode less the umask; close on
 * exec. Returns the descriptor and the name (*tmp, the caller frees), or
 * -1 with errno set and *tmp NULL.
 */
int vt_create_temp(const char *path, unsigned mode, char **tmp);

#endif
