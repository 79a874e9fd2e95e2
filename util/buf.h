/* SPDX-License-Identifier: Apache-2.0 */
/* A growable byte buffer with a hard cap. */
#ifndef VT_BUF_H
#define VT_BUF_H

#include "vt.h"

/*
 * Embedded struct: vt_buf_init() before use, vt_buf_release() to free.
 * ptr is NULL until the first append; len bytes are valid. The buffer
 * never grows past max: an append that would is refused with
 * VT_ERR_LIMIT and leaves the contents unchanged.
 */
struct vt_buf {
	char *ptr;
	size_t len;
	size_t cap;
	size_t max;
};

void vt_buf_init(struct vt_buf *b, size_t max);
void vt_buf_release(struct vt_buf *b);
void vt_buf_reset(struct vt_buf *b);
enum vt_err vt_buf_append(struct vt_buf *b, const void *p, size_t n);
enum vt_err vt_buf_putc(struct vt_buf *b, char c);
/* Ensures ptr[len] == '\0' (not counted in len); may grow past max by 1. */
const char *vt_buf_cstr(struct vt_buf *b);

#endif
