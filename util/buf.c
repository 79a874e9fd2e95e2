/* SPDX-License-Identifier: Apache-2.0 */
/* Growable byte buffer with a hard cap. */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

void vt_buf_init(struct vt_buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void vt_buf_release(struct vt_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
}

void vt_buf_reset(struct vt_buf *b)
{
	b->len = 0;
}

static void grow(struct vt_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 256;

	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->ptr = vt_xrealloc(b->ptr, cap);
	b->cap = cap;
}

enum vt_err vt_buf_append(struct vt_buf *b, const void *p, size_t n)
{
	if (n > b->max || b->len > b->max - n)
		return VT_ERR_LIMIT;
	if (b->len + n + 1 > b->cap)
		grow(b, b->len + n + 1);
	if (n)
		memcpy(b->ptr + b->len, p, n);
	b->len += n;
	return VT_OK;
}

enum vt_err vt_buf_putc(struct vt_buf *b, char c)
{
	return vt_buf_append(b, &c, 1);
}

const char *vt_buf_cstr(struct vt_buf *b)
{
	if (b->len + 1 > b->cap)
		grow(b, b->len + 1);
	b->ptr[b->len] = '\0';
	return b->ptr;
}
