/* SPDX-License-Identifier: Apache-2.0 */
/* The in-memory text the table and prom views are built in. */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void vt_text_init(struct vt_text *t)
{
	vt_buf_init(&t->buf, VT_TEXT_MAX);
	t->err = VT_OK;
}

void vt_text_put(struct vt_text *t, const char *p, size_t n)
{
	if (!t->err)
		t->err = vt_buf_append(&t->buf, p, n);
}

void vt_text_puts(struct vt_text *t, const char *s)
{
	vt_text_put(t, s, strlen(s));
}

void vt_text_printf(struct vt_text *t, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		/* Callers print bounded pieces; a longer one is a bug. */
		if (!t->err)
			t->err = VT_ERR_LIMIT;
		return;
	}
	vt_text_put(t, line, (size_t)n);
}

void vt_text_pad(struct vt_text *t, long n)
{
	static const char spaces[] = "                                ";

	while (n > 0) {
		size_t k = n < (long)sizeof(spaces) - 1 ? (size_t)n
							: sizeof(spaces) - 1;

		vt_text_put(t, spaces, k);
		n -= (long)k;
	}
}

enum vt_err vt_text_finish(struct vt_text *t, struct vt_sink *sink)
{
	enum vt_err err = t->err;

	if (!err && t->buf.len)
		err = vt_sink_write(sink, t->buf.ptr, t->buf.len);
	vt_buf_release(&t->buf);
	if (err) {
		sink->abort(sink->ctx);
		return err;
	}
	return sink->close(sink->ctx);
}
