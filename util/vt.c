/* SPDX-License-Identifier: Apache-2.0 */
/* Error strings and checked allocation. */
#include "vt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *vt_strerror(enum vt_err err)
{
	switch (err) {
	case VT_OK:
		return "success";
	case VT_ERR_NOMEM:
		return "out of memory";
	case VT_ERR_IO:
		return "input/output error";
	case VT_ERR_LIMIT:
		return "limit reached";
	case VT_ERR_FORMAT:
		return "invalid format";
	case VT_ERR_USAGE:
		return "invalid usage";
	case VT_ERR_CORRUPT:
		return "corrupt data";
	case VT_ERR_VERSION:
		return "unsupported version";
	case VT_ERR_EOF:
		return "end of data";
	}
	return "unknown error";
}

int vt_sv_eq(struct vt_sv a, const char *lit)
{
	size_t n = strlen(lit);

	return a.len == n && (n == 0 || memcmp(a.ptr, lit, n) == 0);
}

static void out_of_memory(size_t n)
{
	/* The one place below main that prints: there is no caller to tell. */
	fprintf(stderr, VT_NAME ": out of memory allocating %zu bytes\n", n);
	abort();
}

void *vt_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		out_of_memory(n);
	return p;
}

void *vt_xcalloc(size_t count, size_t n)
{
	void *p = calloc(count ? count : 1, n ? n : 1);

	if (!p)
		out_of_memory(count * n);
	return p;
}

void *vt_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		out_of_memory(n);
	return q;
}

char *vt_xstrndup(const char *s, size_t n)
{
	char *p = vt_xmalloc(n + 1);

	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *vt_xstrdup(const char *s)
{
	return vt_xstrndup(s, strlen(s));
}

int vt_size_mul(size_t a, size_t b, size_t *out)
{
	if (a && b > SIZE_MAX / a)
		return -1;
	*out = a * b;
	return 0;
}
