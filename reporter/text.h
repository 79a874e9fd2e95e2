/* SPDX-License-Identifier: Apache-2.0 */
/* Text views of a report (table, prom): built in memory, written at once. */
#ifndef VT_TEXT_H
#define VT_TEXT_H

#include "sink.h"

/* A report view is a few kilobytes; this bounds a runaway one. */
#define VT_TEXT_MAX (16u << 20)

/*
 * Text being built. The first error sticks: later calls do nothing, and
 * vt_text_finish returns it. Embedded struct: vt_text_init, then
 * vt_text_finish, which releases it whatever happens.
 */
struct vt_text {
	struct vt_buf buf;
	enum vt_err err;
};

void vt_text_init(struct vt_text *t);
void vt_text_put(struct vt_text *t, const char *p, size_t n);
void vt_text_puts(struct vt_text *t, const char *s);
void vt_text_printf(struct vt_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* n spaces (none when n <= 0). */
void vt_text_pad(struct vt_text *t, long n);

/*
 * Writes the text to sink and closes it; on an earlier error aborts the
 * sink instead and returns that error. Releases t.
 */
enum vt_err vt_text_finish(struct vt_text *t, struct vt_sink *sink);

#endif
