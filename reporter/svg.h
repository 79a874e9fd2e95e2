/* SPDX-License-Identifier: Apache-2.0 */
/* Markup for the HTML report: an escaping page writer and SVG charts. */
#ifndef VT_SVG_H
#define VT_SVG_H

#include "../aggregator/privacy.h"
#include "sink.h"

#include <stdint.h>

/*
 * A page being written to a sink. Output is buffered; the first error
 * is kept and every later call does nothing, so callers write the whole
 * page and look at the error once, in vt_page_finish.
 *
 * Two kinds of text go out. Markup (vt_page_raw, vt_page_fmt) is the
 * program's own: string literals and numbers, never a byte of input.
 * Text (vt_page_text) is anything else, names from the report above all:
 * it goes through the scrubber (a hit is written as "redacted") and is
 * escaped for both element content and double-quoted attribute values,
 * with control characters and invalid UTF-8 replaced by U+FFFD, so the
 * page stays well-formed as XML too.
 */
struct vt_page {
	struct vt_sink *sink;      /* borrowed until vt_page_finish */
	struct vt_scrubber *scrub; /* borrowed */
	char *buf;
	size_t len;
	enum vt_err err;
};

void vt_page_init(struct vt_page *p, struct vt_sink *sink,
		  struct vt_scrubber *scrub);
/*
 * Flushes and closes the sink, or aborts it when a write failed (or err
 * is set); frees the buffer. Returns the first error.
 */
enum vt_err vt_page_finish(struct vt_page *p);

void vt_page_raw(struct vt_page *p, const char *markup);
/* Formatted markup; a result longer than 1 KiB is an error (VT_ERR_LIMIT). */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void vt_page_fmt(struct vt_page *p, const char *fmt, ...);
void vt_page_text(struct vt_page *p, const char *text);
/* A count with thousands separators: 1,234,567. */
void vt_page_count(struct vt_page *p, uint64_t v);
/* The same into out (at least 32 bytes). */
void vt_format_count(uint64_t v, char *out, size_t n);
/* v as a share of total, "12.3%" (one decimal, rounded half up). */
void vt_format_share(uint64_t v, uint64_t total, char *out, size_t n);

/* One bar of a bar chart. */
struct vt_bar {
	const char *label; /* text: scrubbed and escaped on the way out */
	uint64_t value;
	const char *tone;  /* CSS class of the bar ("tone-success"), or NULL */
};

/*
 * A horizontal bar chart as inline SVG: one row per bar, the label on
 * the left (long labels shortened, the whole label in the row's title),
 * the bar scaled to the largest value, the exact value after it. The
 * SVG carries role="img", a title and a description that lists every
 * value, referenced by aria-labelledby; id (markup) makes their ids.
 */
void vt_svg_hbars(struct vt_page *p, const char *id, const char *title,
		  const struct vt_bar *bars, size_t n);

/* A column chart over time: the tool call timeline. */
struct vt_columns {
	const char *id;       /* markup: prefix of element ids */
	const char *title;    /* text */
	const char *desc;     /* text: the chart in one sentence */
	const uint64_t *values;
	size_t n;             /* columns, at least 1 */
	/* The tooltip of column i (text), written into out. */
	void (*tip)(const void *ctx, size_t i, char *out, size_t len);
	const void *ctx;
	const char *axis[3];  /* text: x-axis labels, left, middle, right */
};

/*
 * Writes the chart: a y axis with three ticks (0, half and a round
 * maximum), the columns as an SVG stretched to the page's width (so
 * the labels stay HTML text, readable at every width) and the x axis.
 */
void vt_svg_columns(struct vt_page *p, const struct vt_columns *c);

#endif
