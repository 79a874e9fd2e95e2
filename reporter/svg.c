/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Markup for the HTML report: the page writer (buffering, escaping,
 * scrubbing) and the two kinds of chart, drawn as inline SVG with no
 * script, font or anything fetched.
 *
 * Geometry is plain arithmetic on the values printed with a fixed
 * number of decimals, so the same report gives the same bytes.
 */
#include "svg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_CHUNK 65536
#define FMT_MAX 1024

void vt_page_init(struct vt_page *p, struct vt_sink *sink,
		  struct vt_scrubber *scrub)
{
	p->sink = sink;
	p->scrub = scrub;
	p->buf = vt_xmalloc(PAGE_CHUNK);
	p->len = 0;
	p->err = VT_OK;
}

static void flush(struct vt_page *p)
{
	if (!p->err && p->len)
		p->err = vt_sink_write(p->sink, p->buf, p->len);
	p->len = 0;
}

static void put(struct vt_page *p, const char *s, size_t n)
{
	while (n && !p->err) {
		size_t room = PAGE_CHUNK - p->len;

		if (!room) {
			flush(p);
			continue;
		}
		size_t k = n < room ? n : room;
		memcpy(p->buf + p->len, s, k);
		p->len += k;
		s += k;
		n -= k;
	}
}

enum vt_err vt_page_finish(struct vt_page *p)
{
	enum vt_err err;

	flush(p);
	free(p->buf);
	p->buf = NULL;
	err = p->err;
	if (err) {
		p->sink->abort(p->sink->ctx);
		return err;
	}
	return p->sink->close(p->sink->ctx);
}

void vt_page_raw(struct vt_page *p, const char *markup)
{
	put(p, markup, strlen(markup));
}

void vt_page_fmt(struct vt_page *p, const char *fmt, ...)
{
	char buf[FMT_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		if (!p->err)
			p->err = VT_ERR_LIMIT;
		return;
	}
	put(p, buf, (size_t)n);
}

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates), or 0. C1 controls and the noncharacters
 * U+FFFE/U+FFFF count as invalid: HTML calls them parse errors and XML
 * does not allow the latter.
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xc2)
		lo = 0xa0; /* U+0080..U+009F: C1 controls */
	else if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	if (len == 3 && c == 0xef && s[1] == 0xbf && s[2] >= 0xbe)
		return 0;
	return len;
}

static const char *entity(unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return c < 0x20 || c == 0x7f ? "\xef\xbf\xbd" : NULL;
	}
}

/* Writes s[0..n) escaped; plain runs are copied in one piece. */
static void escape(struct vt_page *p, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;

	while (i < n) {
		const char *rep = entity(u[i]);
		size_t adv = 1;

		if (!rep && u[i] >= 0x80) {
			adv = utf8_len(u + i, n - i);
			if (!adv) {
				rep = "\xef\xbf\xbd";
				adv = 1;
			}
		}
		if (rep) {
			put(p, s + run, i - run);
			put(p, rep, strlen(rep));
			run = i + adv;
		}
		i += adv;
	}
	put(p, s + run, n - run);
}

/* What the scrubber lets out of s: s itself, or "redacted". */
static const char *scrubbed(struct vt_page *p, const char *s)
{
	return vt_scrubber_hit(p->scrub, s, strlen(s)) ? "redacted" : s;
}

void vt_page_text(struct vt_page *p, const char *text)
{
	text = scrubbed(p, text);
	escape(p, text, strlen(text));
}

void vt_format_count(uint64_t v, char *out, size_t n)
{
	char digits[24];
	int nd = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	size_t o = 0;

	for (int i = 0; i < nd && o + 2 < n; i++) {
		if (i && (nd - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	if (n)
		out[o < n ? o : n - 1] = '\0';
}

void vt_page_count(struct vt_page *p, uint64_t v)
{
	char buf[32];

	vt_format_count(v, buf, sizeof(buf));
	vt_page_raw(p, buf);
}

void vt_format_share(uint64_t v, uint64_t total, char *out, size_t n)
{
	uint64_t permille = 0;

	/* Scale both down until v * 1000 cannot overflow. */
	while (v > UINT64_MAX / 1000) {
		v >>= 10;
		total >>= 10;
	}
	if (total)
		permille = (v * 1000 + total / 2) / total;
	snprintf(out, n, "%llu.%llu%%", (unsigned long long)(permille / 10),
		 (unsigned long long)(permille % 10));
}

/*
 * Horizontal bars: a 420-unit wide viewBox, one 24-unit row per bar, text
 * at HB_FONT units. The label column is as wide as the widest label (at
 * most HB_LABEL_CHARS characters: longer labels are shortened), the value
 * column as wide as the largest value, by the estimate of text_width.
 */
#define HB_WIDTH 420
#define HB_ROW 24
#define HB_BAR_H 16
#define HB_PAD 4
#define HB_FONT 13
#define HB_LABEL_CHARS 28
/* A shortened label: HB_LABEL_CHARS code points of up to 4 bytes. */
#define HB_LABEL_MAX (4 * HB_LABEL_CHARS + 1)

/*
 * Advance width of a character in thousandths of an em, rounded up from
 * DejaVu Sans (Debian's default sans-serif and wider than most), so that
 * a label measured with it fits in the other common fonts too. Anything
 * beyond ASCII counts as a full em.
 */
static unsigned glyph_width(unsigned char c)
{
	if (c >= 0x80)
		return (c & 0xc0) == 0x80 ? 0 : 1000;
	if (c == 'm' || c == 'M' || c == 'W' || c == '%')
		return 1000;
	if (c == 'w')
		return 830;
	if (c >= 'A' && c <= 'Z')
		return c == 'I' || c == 'J' ? 320 : 800;
	if (strchr("ijl.,:;'|!", c))
		return 320;
	if (strchr(" frt-()[]/", c))
		return 430;
	return 650; /* other lower-case letters, digits, '_', ... */
}

/* Estimated width of s[0..n) in the chart's units. */
static double text_width(const char *s, size_t n)
{
	unsigned em = 0;

	for (size_t i = 0; i < n; i++)
		em += glyph_width((unsigned char)s[i]);
	return (double)em * HB_FONT / 1000;
}

static size_t code_points(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Byte offset of code point k of s (len bytes), or len. */
static size_t offset_of(const char *s, size_t len, size_t k)
{
	size_t cps = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && cps++ == k)
			return i;
	return len;
}

/*
 * The label as the chart shows it, into out (HB_LABEL_MAX bytes): whole,
 * or, past HB_LABEL_CHARS code points, its first two thirds and its end
 * around an ellipsis: names that share a long prefix usually differ at
 * the end ("...-prod-01", "...-prod-02"). Not yet escaped.
 */
static void short_label(const char *label, char *out)
{
	size_t len = strlen(label), cps = code_points(label);
	size_t head = (HB_LABEL_CHARS - 1) * 2 / 3;
	size_t tail = HB_LABEL_CHARS - 1 - head;

	if (cps <= HB_LABEL_CHARS) {
		snprintf(out, HB_LABEL_MAX, "%s", label);
		return;
	}
	size_t cut = offset_of(label, len, head);
	size_t resume = offset_of(label, len, cps - tail);

	snprintf(out, HB_LABEL_MAX, "%.*s\xe2\x80\xa6%s", (int)cut, label,
		 label + resume);
}

static void hbar_desc(struct vt_page *p, const struct vt_bar *bars, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		vt_page_raw(p, i ? "; " : "");
		vt_page_text(p, bars[i].label);
		vt_page_raw(p, ": ");
		vt_page_count(p, bars[i].value);
	}
	vt_page_raw(p, n ? "." : "no data.");
}

/* Where the labels end and the bars begin, and the longest bar. */
struct hbar_frame {
	double label_end, bar_x, span;
};

static void hbar_frame(struct vt_page *p, const struct vt_bar *bars,
		       size_t n, uint64_t max, struct hbar_frame *f)
{
	double widest = text_width("0000", 4);
	char buf[HB_LABEL_MAX];

	for (size_t i = 0; i < n; i++) {
		short_label(scrubbed(p, bars[i].label), buf);
		double w = text_width(buf, strlen(buf));

		widest = w > widest ? w : widest;
	}
	vt_format_count(max, buf, sizeof(buf));
	f->label_end = 4 + widest;
	f->bar_x = f->label_end + 6;
	f->span = HB_WIDTH - f->bar_x - 6 - text_width(buf, strlen(buf));
}

static void hbar_row(struct vt_page *p, const struct vt_bar *b, size_t i,
		     uint64_t max, const struct hbar_frame *f)
{
	double y = HB_PAD + (double)i * HB_ROW;
	double w = 0;
	const char *label = scrubbed(p, b->label);
	char shown[HB_LABEL_MAX];

	if (b->value && max)
		w = (double)b->value / (double)max * f->span;
	if (b->value && w < 1)
		w = 1;
	vt_page_raw(p, "<g><title>");
	escape(p, label, strlen(label));
	vt_page_raw(p, ": ");
	vt_page_count(p, b->value);
	vt_page_fmt(p, "</title><text class=\"lbl\" x=\"%.1f\" y=\"%.1f\">",
		    f->label_end, y + HB_BAR_H - 3.2);
	short_label(label, shown);
	escape(p, shown, strlen(shown));
	vt_page_raw(p, "</text>");
	if (w > 0)
		vt_page_fmt(p, "<rect class=\"bar%s%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\"/>",
			    b->tone ? " " : "", b->tone ? b->tone : "",
			    f->bar_x, y, w, HB_BAR_H);
	vt_page_fmt(p, "<text class=\"val\" x=\"%.1f\" y=\"%.1f\">",
		    f->bar_x + w + 4, y + HB_BAR_H - 3.2);
	vt_page_count(p, b->value);
	vt_page_raw(p, "</text></g>\n");
}

void vt_svg_hbars(struct vt_page *p, const char *id, const char *title,
		  const struct vt_bar *bars, size_t n)
{
	struct hbar_frame f;
	uint64_t max = 0;

	for (size_t i = 0; i < n; i++)
		if (bars[i].value > max)
			max = bars[i].value;
	hbar_frame(p, bars, n, max, &f);
	vt_page_fmt(p, "<svg class=\"chart hbars\" viewBox=\"0 0 %d %zu\" font-size=\"%d\" role=\"img\" aria-labelledby=\"%s-t %s-d\">\n",
		    HB_WIDTH, 2 * HB_PAD + n * HB_ROW, HB_FONT, id, id);
	vt_page_fmt(p, "<title id=\"%s-t\">", id);
	vt_page_text(p, title);
	vt_page_fmt(p, "</title>\n<desc id=\"%s-d\">", id);
	hbar_desc(p, bars, n);
	vt_page_raw(p, "</desc>\n");
	for (size_t i = 0; i < n; i++)
		hbar_row(p, &bars[i], i, max, &f);
	vt_page_raw(p, "</svg>\n");
}

/*
 * The smallest of 2, 4, 10, 20, 40, 100, ... that is at least v, so
 * that half of it, the middle tick, is a whole number too.
 */
static uint64_t round_max(uint64_t v)
{
	static const uint64_t steps[] = { 2, 4, 10 };

	for (uint64_t scale = 1;; scale *= 10) {
		for (size_t i = 0; i < VT_ARRAY_LEN(steps); i++)
			if (steps[i] * scale >= v)
				return steps[i] * scale;
		if (scale > UINT64_MAX / 100)
			return v; /* no round number above v fits */
	}
}

static void column_axes(struct vt_page *p, uint64_t top)
{
	vt_page_raw(p, "<div class=\"yaxis\" aria-hidden=\"true\"><span>");
	vt_page_count(p, top);
	vt_page_raw(p, "</span><span>");
	vt_page_count(p, top / 2);
	vt_page_raw(p, "</span><span>0</span></div>\n");
}

static void column_bars(struct vt_page *p, const struct vt_columns *c,
			uint64_t top)
{
	char tip[256];

	for (size_t i = 0; i < c->n; i++) {
		uint64_t v = c->values[i];
		double h = top ? (double)v / (double)top * 100 : 0;

		if (!v)
			continue;
		if (h < 1)
			h = 1;
		vt_page_fmt(p, "<rect class=\"bar\" x=\"%zu\" y=\"%.2f\" width=\"8\" height=\"%.2f\"><title>",
			    i * 10 + 1, 100 - h, h);
		c->tip(c->ctx, i, tip, sizeof(tip));
		vt_page_text(p, tip);
		vt_page_raw(p, ": ");
		vt_page_count(p, v);
		vt_page_raw(p, "</title></rect>\n");
	}
}

void vt_svg_columns(struct vt_page *p, const struct vt_columns *c)
{
	uint64_t max = 0;

	for (size_t i = 0; i < c->n; i++)
		if (c->values[i] > max)
			max = c->values[i];
	uint64_t top = round_max(max);

	vt_page_raw(p, "<div class=\"columns\">\n<div class=\"plot\">\n");
	column_axes(p, top);
	vt_page_fmt(p, "<svg class=\"chart cols\" viewBox=\"0 0 %zu 100\" preserveAspectRatio=\"none\" role=\"img\" aria-labelledby=\"%s-t %s-d\">\n",
		    c->n * 10, c->id, c->id);
	vt_page_fmt(p, "<title id=\"%s-t\">", c->id);
	vt_page_text(p, c->title);
	vt_page_fmt(p, "</title>\n<desc id=\"%s-d\">", c->id);
	vt_page_text(p, c->desc);
	vt_page_raw(p, "</desc>\n");
	for (int i = 0; i <= 2; i++)
		vt_page_fmt(p, "<line class=\"grid\" x1=\"0\" y1=\"%d\" x2=\"%zu\" y2=\"%d\" vector-effect=\"non-scaling-stroke\"/>\n",
			    i * 50, c->n * 10, i * 50);
	column_bars(p, c, top);
	vt_page_raw(p, "</svg>\n</div>\n<div class=\"xaxis\" aria-hidden=\"true\">");
	for (int i = 0; i < 3; i++) {
		vt_page_raw(p, "<span>");
		vt_page_text(p, c->axis[i] ? c->axis[i] : "");
		vt_page_raw(p, "</span>");
	}
	vt_page_raw(p, "</div>\n</div>\n");
}
