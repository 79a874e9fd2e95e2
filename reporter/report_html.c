/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTML report: one self-contained page (inline CSS, charts as inline
 * SVG, no script, nothing fetched: its Content-Security-Policy forbids
 * every fetch) that shows the same numbers as the JSON report. Every
 * chart has its numbers in a table beside it (in a <details>) and in its
 * SVG's description. Names go through the page's escaping and scrubbing
 * (svg.c) like every other string from the summary.
 */
#include "report.h"
#include "svg.h"
#include "../util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows a bar chart shows; a longer name list shows its largest names. */
#define MAX_ROWS 12
/* Columns of the timeline, at most (a week of hours). */
#define MAX_COLUMNS 168
#define HOUR 3600
/* Monday 1970-01-05T00:00:00Z: weeks (and days) of the timeline align to it. */
#define MONDAY (4 * 86400)

static const char css[] =
	":root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--bg:#fff;"
	"--card:#f4f6f8;--line:#d0d7de;--bar:#3a6ea5;--good:#2e7d32;--bad:#c62828;"
	"--err:#ad1457;--deny:#d35400;--app:#6a1b9a;--unk:#7a7a7a;--warn:#a04000}\n"
	"@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9da7b3;"
	"--bg:#0d1117;--card:#161b22;--line:#30363d;--bar:#6ca4e0;--good:#5cb85f;"
	"--bad:#ef5350;--err:#f06292;--deny:#ffa040;--app:#ba68c8;--unk:#a0a0a0;"
	"--warn:#f0a050}}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0 auto;max-width:72rem;padding:1rem;color:var(--fg);"
	"background:var(--bg);font:15px/1.45 system-ui,sans-serif}\n"
	"h1{font-size:1.6rem;margin:.25rem 0}\n"
	"h2{font-size:1.2rem;margin:2rem 0 .75rem;padding-bottom:.25rem;"
	"border-bottom:1px solid var(--line)}\n"
	"header p,.note,footer,summary,.xaxis,.yaxis{color:var(--muted)}\n"
	"header p{margin:.25rem 0}\n"
	".kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(9.5rem,1fr));"
	"gap:.5rem;margin:0}\n"
	".kpis div{background:var(--card);border:1px solid var(--line);"
	"border-radius:6px;padding:.45rem .7rem;display:flex;flex-direction:column;"
	"justify-content:space-between}\n"
	".kpis dt{font-size:.8rem;color:var(--muted)}\n"
	".kpis dd{margin:0;font-size:1.45rem;font-weight:600;"
	"font-variant-numeric:tabular-nums}\n"
	".kpis .warn dd{color:var(--warn)}\n"
	".figs{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,24rem),1fr));"
	"gap:1.5rem 2rem}\n"
	"figure{margin:0;min-width:0}\n"
	"#timeline{margin-bottom:1.5rem}\n"
	"figcaption{font-weight:600;margin-bottom:.3rem}\n"
	".note{display:block;font-weight:400;font-size:.85rem}\n"
	"svg.hbars{display:block;width:100%;max-width:32rem;height:auto}\n"
	".chart text{fill:var(--fg)}\n"
	".chart .lbl{text-anchor:end}\n"
	".bar{fill:var(--bar)}.tone-good{fill:var(--good)}.tone-bad{fill:var(--bad)}"
	".tone-err{fill:var(--err)}.tone-deny{fill:var(--deny)}"
	".tone-app{fill:var(--app)}.tone-unk{fill:var(--unk)}\n"
	".plot{display:flex;height:11rem}\n"
	".yaxis{display:flex;flex-direction:column;justify-content:space-between;"
	"width:3.5rem;flex:none;margin:-.5em 0;padding-right:.4rem;text-align:right;"
	"font-size:.75rem;font-variant-numeric:tabular-nums}\n"
	"svg.cols{flex:1;min-width:0;height:100%;overflow:visible;"
	"border-left:1px solid var(--line)}\n"
	".chart .rule{stroke:var(--line);stroke-width:1}\n"
	".xaxis{display:flex;flex-wrap:wrap;justify-content:space-between;"
	"margin-left:3.5rem;font-size:.75rem}\n"
	"details{margin-top:.4rem;font-size:.85rem}\n"
	"summary{cursor:pointer}\n"
	"table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}\n"
	"th,td{padding:.2rem .5rem;border-bottom:1px solid var(--line);"
	"text-align:left;font-weight:400;overflow-wrap:anywhere}\n"
	"thead th{font-weight:600}\n"
	".n{text-align:right;white-space:nowrap}\n"
	".empty{color:var(--muted);font-style:italic;margin:.25rem 0}\n"
	"code{font-size:.9em;overflow-wrap:anywhere}\n"
	"footer{margin-top:2.5rem;font-size:.8rem;border-top:1px solid var(--line);"
	"padding-top:.5rem}\n"
	"@media print{:root{--fg:#000;--muted:#444;--bg:#fff;--card:#fff;"
	"--line:#bbb;--bar:#3a6ea5;--good:#2e7d32;--bad:#c62828;--err:#ad1457;"
	"--deny:#d35400;--app:#6a1b9a;--unk:#7a7a7a;--warn:#a04000}\n"
	"body{max-width:none;padding:0;font-size:10pt}\n"
	".figs{grid-template-columns:1fr 1fr}\n"
	"h2{break-after:avoid}figure,.kpis div,tr{break-inside:avoid}\n"
	"details{display:none}}\n"
	"@page{margin:14mm}\n";

const char *vt_report_html_css(void)
{
	return css;
}

/* A figure: a caption, a bar chart, and its numbers in a table. */
struct figure {
	const char *id;    /* markup: the element id */
	const char *title; /* text */
	const char *field; /* text: the report field it draws */
	const char *note;  /* text: what is counted, or NULL */
	const char *label; /* text: heading of the label column */
	int shares;        /* the table shows each value's share of the sum */
};

static void caption(struct vt_page *p, const struct figure *f)
{
	vt_page_fmt(p, "<figure id=\"%s\">\n<figcaption>", f->id);
	vt_page_text(p, f->title);
	vt_page_raw(p, "<span class=\"note\">");
	if (f->note) {
		vt_page_text(p, f->note);
		vt_page_raw(p, " ");
	}
	vt_page_raw(p, "<code>");
	vt_page_text(p, f->field);
	vt_page_raw(p, "</code></span></figcaption>\n");
}

static void table_head(struct vt_page *p, const char *label, int shares)
{
	vt_page_raw(p, "<details><summary>Numbers</summary>\n<table>\n"
		       "<thead><tr><th scope=\"col\">");
	vt_page_text(p, label);
	vt_page_raw(p, "</th><th scope=\"col\" class=\"n\">count</th>");
	if (shares)
		vt_page_raw(p, "<th scope=\"col\" class=\"n\">share</th>");
	vt_page_raw(p, "</tr></thead>\n<tbody>\n");
}

static void table_row(struct vt_page *p, const char *label, uint64_t v,
		      uint64_t total, int shares)
{
	char share[32];

	vt_page_raw(p, "<tr><th scope=\"row\">");
	vt_page_text(p, label);
	vt_page_raw(p, "</th><td class=\"n\">");
	vt_page_count(p, v);
	if (shares) {
		vt_format_share(v, total, share, sizeof(share));
		vt_page_raw(p, "</td><td class=\"n\">");
		vt_page_raw(p, share);
	}
	vt_page_raw(p, "</td></tr>\n");
}

static void table_tail(struct vt_page *p)
{
	vt_page_raw(p, "</tbody>\n</table>\n</details>\n");
}

/* Counts add up to at most UINT64_MAX, never around. */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

static uint64_t sum(const struct vt_bar *bars, size_t n)
{
	uint64_t t = 0;

	for (size_t i = 0; i < n; i++)
		t = add_sat(t, bars[i].value);
	return t;
}

/*
 * The bars a chart shows: all of them, or, past MAX_ROWS, the largest
 * MAX_ROWS - 1 (equal values in their report order) and one bar for the
 * rest. Its label is written into rest.
 */
static size_t chart_rows(const struct vt_bar *bars, size_t n,
			 struct vt_bar *out, char *rest, size_t restlen)
{
	if (n <= MAX_ROWS) {
		memcpy(out, bars, n * sizeof(*bars));
		return n;
	}
	size_t *order = vt_xmalloc(n * sizeof(*order));

	/* Insertion sort of indexes: stable, and n is at most ~1000. */
	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		for (; j && bars[order[j - 1]].value < bars[i].value; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (size_t i = 0; i < MAX_ROWS - 1; i++)
		out[i] = bars[order[i]];
	snprintf(rest, restlen, "%zu more names", n - (MAX_ROWS - 1));
	out[MAX_ROWS - 1] = (struct vt_bar){ rest, 0, "tone-unk" };
	for (size_t i = MAX_ROWS - 1; i < n; i++)
		out[MAX_ROWS - 1].value =
			add_sat(out[MAX_ROWS - 1].value, bars[order[i]].value);
	free(order);
	return MAX_ROWS;
}

static void figure(struct vt_page *p, const struct figure *f,
		   const struct vt_bar *bars, size_t n)
{
	uint64_t total = sum(bars, n);
	struct vt_bar shown[MAX_ROWS];
	char rest[48];

	caption(p, f);
	if (!total) {
		vt_page_raw(p, "<p class=\"empty\">None in this period.</p>\n</figure>\n");
		return;
	}
	size_t rows = chart_rows(bars, n, shown, rest, sizeof(rest));
	char id[64];
	snprintf(id, sizeof(id), "%s-c", f->id);
	vt_svg_hbars(p, id, f->title, shown, rows);
	table_head(p, f->label, f->shares);
	for (size_t i = 0; i < n; i++)
		table_row(p, bars[i].label, bars[i].value, total, f->shares);
	table_tail(p);
	vt_page_raw(p, "</figure>\n");
}

/* A figure of an enumeration: every key, in the report's order. */
static void enum_figure(struct vt_page *p, const struct figure *f,
			const char *const *names, const uint64_t *v, size_t n,
			const char *const *tones)
{
	struct vt_bar bars[VT_EV_COUNT];

	if (n > VT_ARRAY_LEN(bars))
		n = VT_ARRAY_LEN(bars);
	for (size_t i = 0; i < n; i++) {
		const char *tone = tones ? tones[i] : NULL;

		if (!tones && (strcmp(names[i], "other") == 0 ||
			       strcmp(names[i], "unknown") == 0))
			tone = "tone-unk";
		bars[i] = (struct vt_bar){ names[i], v[i], tone };
	}
	figure(p, f, bars, n);
}

/*
 * A figure of a histogram: the buckets from the lowest to the highest
 * non-zero one (the empty ones between them too, so the shape shows),
 * then "unknown" when there is one.
 */
static void hist_figure(struct vt_page *p, const struct figure *f,
			const uint64_t *v, size_t n,
			void (*label)(unsigned, char *, size_t), uint64_t unknown)
{
	struct vt_bar bars[VT_LOG2_BUCKETS + 1];
	char labels[VT_LOG2_BUCKETS][48];
	size_t lo = n, hi = 0, nb = 0;

	if (n > VT_LOG2_BUCKETS)
		n = VT_LOG2_BUCKETS;
	for (size_t i = 0; i < n; i++)
		if (v[i]) {
			lo = i < lo ? i : lo;
			hi = i;
		}
	for (size_t i = lo; i <= hi && i < n; i++) {
		label((unsigned)i, labels[nb], sizeof(labels[nb]));
		bars[nb] = (struct vt_bar){ labels[nb], v[i], NULL };
		nb++;
	}
	if (unknown)
		bars[nb++] = (struct vt_bar){ "unknown", unknown, "tone-unk" };
	figure(p, f, bars, nb);
}

static void named_figure(struct vt_page *p, const struct figure *f,
			 const struct vt_named_count *v, size_t n)
{
	struct vt_bar *bars = vt_xcalloc(n ? n : 1, sizeof(*bars));

	for (size_t i = 0; i < n; i++) {
		int rest = strcmp(v[i].name, "other") == 0;

		bars[i] = (struct vt_bar){ v[i].name, v[i].count,
					   rest ? "tone-unk" : NULL };
	}
	figure(p, f, bars, n);
	free(bars);
}

/* The tool call timeline: the hourly counts, in columns of step seconds. */
struct timeline {
	int64_t first; /* start of the first column */
	int64_t step;  /* seconds a column covers, a whole number of hours */
	size_t n;
	uint64_t v[MAX_COLUMNS];
	uint64_t total;
	size_t peak;   /* the first column with the largest count */
};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/*
 * The columns cover the period and every hour with calls. Their width
 * is the smallest of 1, 2, 3, 6, 12 hours, a day, 2 days, 1, 2 or 4
 * weeks that needs fewer than MAX_COLUMNS columns (beyond, whatever
 * width does), aligned to UTC midnight and Monday.
 */
static void timeline_build(const struct vt_summary *s, struct timeline *t)
{
	static const int64_t widths[] = { 1, 2, 3, 6, 12, 24, 48, 168, 336, 672 };
	int64_t lo = s->start, hi = s->end;
	int64_t first = s->hours[0].start, last = s->hours[s->nhours - 1].start;
	int64_t hours, width = 0;

	lo = first < lo ? first : lo;
	hi = last + HOUR > hi ? last + HOUR : hi;
	hours = (hi - lo + HOUR - 1) / HOUR + 1;
	for (size_t i = 0; i < VT_ARRAY_LEN(widths) && !width; i++)
		if ((hours + widths[i] - 1) / widths[i] < MAX_COLUMNS)
			width = widths[i];
	if (!width)
		width = (hours + MAX_COLUMNS - 2) / (MAX_COLUMNS - 1);
	memset(t, 0, sizeof(*t));
	t->step = width * HOUR;
	t->first = MONDAY + floor_div(lo - MONDAY, t->step) * t->step;
	int64_t n = (hi - t->first + t->step - 1) / t->step;
	t->n = n < 1 ? 1 : n > MAX_COLUMNS ? MAX_COLUMNS : (size_t)n;
	for (size_t i = 0; i < s->nhours; i++) {
		int64_t k = floor_div(s->hours[i].start - t->first, t->step);

		if (k < 0 || (size_t)k >= t->n)
			continue; /* not in a valid summary */
		t->v[k] = add_sat(t->v[k], s->hours[i].count);
		t->total = add_sat(t->total, s->hours[i].count);
	}
	for (size_t i = 1; i < t->n; i++)
		if (t->v[i] > t->v[t->peak])
			t->peak = i;
}

/* Parts of a time: "2026-11-24", "06:00", or both. */
enum stamp { DATE, CLOCK, DATE_CLOCK, MONTH_CLOCK };

static void stamp(int64_t t, enum stamp what, char *out, size_t n)
{
	char iso[32]; /* 2026-11-24T06:00:00Z */

	vt_time_format(t, iso);
	iso[10] = '\0';
	iso[16] = '\0';
	if (what == DATE)
		snprintf(out, n, "%.10s", iso);
	else if (what == CLOCK)
		snprintf(out, n, "%.5s", iso + 11);
	else if (what == MONTH_CLOCK)
		snprintf(out, n, "%.5s %.5s", iso + 5, iso + 11);
	else
		snprintf(out, n, "%.10s %.5s", iso, iso + 11);
}

/* "24:00" rather than "00:00" for the end of a day. */
static void end_clock(int64_t t, char *out, size_t n)
{
	stamp(t, CLOCK, out, n);
	if (strcmp(out, "00:00") == 0)
		snprintf(out, n, "24:00");
}

/* The time a column covers, for its tooltip and table row. */
static void column_tip(const void *ctx, size_t i, char *out, size_t n)
{
	const struct timeline *t = ctx;
	int64_t from = t->first + (int64_t)i * t->step, to = from + t->step;
	char a[32], b[32];

	if (t->step % 86400 == 0) {
		stamp(from, DATE, a, sizeof(a));
		stamp(to - 86400, DATE, b, sizeof(b));
		if (t->step == 86400)
			snprintf(out, n, "%s UTC", a);
		else
			snprintf(out, n, "%s to %s UTC", a, b);
	} else if (floor_div(from, 86400) == floor_div(to - 1, 86400)) {
		stamp(from, DATE_CLOCK, a, sizeof(a));
		end_clock(to, b, sizeof(b));
		snprintf(out, n, "%s\xe2\x80\x93%s UTC", a, b);
	} else {
		stamp(from, DATE_CLOCK, a, sizeof(a));
		stamp(to, DATE_CLOCK, b, sizeof(b));
		snprintf(out, n, "%s to %s UTC", a, b);
	}
}

static void step_name(int64_t step, char *out, size_t n)
{
	int64_t h = step / HOUR;

	if (h == 1 || h == 24 || h == 168)
		snprintf(out, n, "%s", h == 1 ? "hour" : h == 24 ? "day" : "week");
	else if (h % 168 == 0)
		snprintf(out, n, "%lld weeks", (long long)(h / 168));
	else if (h % 24 == 0)
		snprintf(out, n, "%lld days", (long long)(h / 24));
	else
		snprintf(out, n, "%lld hours", (long long)h);
}

static void timeline_axis(const struct timeline *t, char axis[3][32])
{
	int64_t span = (int64_t)t->n * t->step;
	enum stamp what = span <= 86400	 ? CLOCK
			  : t->step < 86400 ? MONTH_CLOCK
					    : DATE;

	for (int i = 0; i < 3; i++) {
		int64_t at = t->first + span * i / 2;

		if (what == CLOCK && i == 2)
			end_clock(at, axis[i], 32);
		else
			stamp(at, what, axis[i], 32);
	}
}

static void timeline_text(const struct vt_summary *s, const struct timeline *t,
			  char *note, char *desc, size_t n)
{
	char step[32], from[32], to[32], peak[96], total[32], missing[32];

	step_name(t->step, step, sizeof(step));
	stamp(t->first, DATE_CLOCK, from, sizeof(from));
	stamp(t->first + (int64_t)t->n * t->step, DATE_CLOCK, to, sizeof(to));
	column_tip(t, t->peak, peak, sizeof(peak));
	vt_format_count(t->total, total, sizeof(total));
	vt_format_count(s->tool_calls > t->total ? s->tool_calls - t->total : 0,
			missing, sizeof(missing));
	snprintf(note, n, "Audited tool calls per %s, from %s to %s UTC%s%s%s.",
		 step, from, to, s->tool_calls > t->total ? " (" : "",
		 s->tool_calls > t->total ? missing : "",
		 s->tool_calls > t->total
			 ? " tool calls without an audit event have no time and are not drawn)"
			 : "");
	snprintf(desc, n,
		 "%s audited tool calls from %s to %s UTC, in %zu columns of %s%s; the busiest, %s, has ",
		 total, from, to, t->n, step[0] >= '0' && step[0] <= '9' ? "" : "one ",
		 step, peak);
	vt_format_count(t->v[t->peak], total, sizeof(total));
	snprintf(desc + strlen(desc), n - strlen(desc), "%s.", total);
}

static void timeline_figure(struct vt_page *p, const struct vt_summary *s)
{
	struct figure f = { "timeline", "Tool calls over time",
			    "usage.tool_calls_by_hour", NULL, "time", 0 };
	struct timeline *t;
	char note[512], desc[512], axis[3][32], tip[96];

	if (!s->nhours) {
		f.note = "Audited tool calls per hour.";
		caption(p, &f);
		vt_page_raw(p, "<p class=\"empty\">No audited tool call in this period.</p>\n</figure>\n");
		return;
	}
	t = vt_xmalloc(sizeof(*t));
	timeline_build(s, t);
	timeline_text(s, t, note, desc, sizeof(note));
	timeline_axis(t, axis);
	f.note = note;
	caption(p, &f);
	struct vt_columns c = { "timeline-c", f.title, desc, t->v, t->n,
				column_tip, t, { axis[0], axis[1], axis[2] } };
	vt_svg_columns(p, &c);
	table_head(p, "time", 0);
	for (size_t i = 0; i < t->n; i++) {
		column_tip(t, i, tip, sizeof(tip));
		table_row(p, tip, t->v[i], 0, 0);
	}
	table_tail(p);
	vt_page_raw(p, "</figure>\n");
	free(t);
}

static void head(struct vt_page *p, const struct vt_summary *s)
{
	char from[32], to[32];

	vt_time_format(s->start, from);
	vt_time_format(s->end, to);
	vt_page_raw(p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		       "<meta charset=\"utf-8\"/>\n"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
		       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"/>\n"
		       "<meta name=\"color-scheme\" content=\"light dark\"/>\n"
		       "<meta name=\"generator\" content=\"" VT_NAME " " VT_VERSION "\"/>\n"
		       "<title>vMCP usage report, ");
	vt_page_text(p, from);
	vt_page_raw(p, " to ");
	vt_page_text(p, to);
	vt_page_raw(p, "</title>\n<style>\n");
	vt_page_raw(p, css);
	vt_page_raw(p, "</style>\n</head>\n<body>\n");
}

static void banner(struct vt_page *p, const struct vt_summary *s)
{
	char from[32], to[32];

	stamp(s->start, DATE_CLOCK, from, sizeof(from));
	stamp(s->end, DATE_CLOCK, to, sizeof(to));
	vt_page_raw(p, "<header>\n<h1>vMCP usage report</h1>\n<p>From ");
	vt_page_text(p, from);
	vt_page_raw(p, " to ");
	vt_page_text(p, to);
	vt_page_raw(p, " UTC (period: ");
	vt_page_text(p, s->granularity ? s->granularity : "all");
	vt_page_raw(p, "). Privacy-safe counts of what vMCP logged: no user, "
		       "address, id or name but public, allowlisted ones.</p>\n"
		       "</header>\n<main>\n");
}

static void kpi(struct vt_page *p, const char *label, uint64_t v, int warn)
{
	vt_page_raw(p, warn && v ? "<div class=\"warn\"><dt>" : "<div><dt>");
	vt_page_text(p, label);
	vt_page_raw(p, "</dt><dd>");
	vt_page_count(p, v);
	vt_page_raw(p, "</dd></div>\n");
}

static void key_numbers(struct vt_page *p, const struct vt_summary *s)
{
	const struct vt_quality *q = &s->quality;
	uint64_t problems = add_sat(add_sat(q->files_failed, q->lines_malformed),
				    add_sat(q->lines_too_long,
					    q->lines_unrecognized));

	vt_page_raw(p, "<section aria-labelledby=\"key\">\n"
		       "<h2 id=\"key\">Key numbers</h2>\n<dl class=\"kpis\">\n");
	kpi(p, "Instances", s->instances, 0);
	kpi(p, "Processes", s->processes, 0);
	kpi(p, "Restarts", s->restarts, 0);
	kpi(p, "Configuration changes", s->config_changes, 0);
	kpi(p, "Sessions", s->sessions, 0);
	kpi(p, "Discover probes", s->server_discover, 0);
	kpi(p, "Tool calls", s->tool_calls, 0);
	kpi(p, "Successful tool calls", s->tool_calls_by_outcome[VT_OUT_SUCCESS], 0);
	kpi(p, "Composite tool runs", s->workflows[VT_WF_STARTED], 0);
	kpi(p, "Files read", q->files, 0);
	kpi(p, "Lines read", q->lines_read, 0);
	kpi(p, "Audit events", q->events, 0);
	kpi(p, "Input not counted", problems, 1);
	vt_page_raw(p, "</dl>\n<p class=\"note\">Input not counted: files that "
		       "could not be read, and lines that were malformed, too "
		       "long or not vMCP lines (see Input quality).</p>\n"
		       "</section>\n");
}

static void section_open(struct vt_page *p, const char *id, const char *title)
{
	vt_page_fmt(p, "<section aria-labelledby=\"%s\">\n<h2 id=\"%s\">", id, id);
	vt_page_text(p, title);
	vt_page_raw(p, "</h2>\n");
}

static const char *const outcome_tones[VT_OUT_COUNT] = {
	[VT_OUT_SUCCESS] = "tone-good",
	[VT_OUT_FAILURE] = "tone-bad",
	[VT_OUT_ERROR] = "tone-err",
	[VT_OUT_DENIED] = "tone-deny",
	[VT_OUT_APPLICATION_ERROR] = "tone-app",
	[VT_OUT_UNKNOWN] = "tone-unk",
};

static void usage_calls(struct vt_page *p, const struct vt_summary *s)
{
	static const struct figure outcomes = {
		"outcomes", "Tool call outcomes", "usage.tool_calls.by_outcome",
		"Tool calls by how they ended.", "outcome", 1 };
	static const struct figure backends = {
		"backends", "Backend distribution", "usage.backend_distribution",
		"Tool calls by backend: public names, the rest as other; calls to composite tools as composite.",
		"backend", 1 };
	static const struct figure durations = {
		"durations", "Tool call durations", "usage.tool_call_duration_ms",
		"Audited tool calls by duration, in milliseconds.", "milliseconds", 1 };
	static const struct figure per_instance = {
		"calls-per-instance", "Tool calls per instance",
		"usage.tool_calls_per_instance",
		"Instances by their number of tool calls.", "tool calls", 0 };

	enum_figure(p, &outcomes, vt_outcome_names, s->tool_calls_by_outcome,
		    VT_OUT_COUNT, outcome_tones);
	named_figure(p, &backends, s->backends, s->nbackends);
	hist_figure(p, &durations, s->tool_call_duration_ms, VT_125_BUCKETS,
		    vt_125_label, 0);
	hist_figure(p, &per_instance, s->tool_calls_per_instance,
		    VT_LOG2_BUCKETS, vt_log2_label, 0);
}

/* The requests by type that happened, known types first, then other. */
static void requests(struct vt_page *p, const struct vt_summary *s)
{
	static const struct figure f = {
		"requests", "Requests by type", "usage.requests_by_type",
		"Audit events by type; types without events are left out.",
		"type", 1 };
	struct vt_bar bars[VT_EV_COUNT];
	size_t n = 0;

	for (int i = 1; i <= VT_EV_COUNT; i++) {
		int t = i % VT_EV_COUNT; /* VT_EV_OTHER (0) last */

		if (s->requests_by_type[t])
			bars[n++] = (struct vt_bar){ vt_event_type_names[t],
						     s->requests_by_type[t],
						     t ? NULL : "tone-unk" };
	}
	figure(p, &f, bars, n);
}

static void usage_more(struct vt_page *p, const struct vt_summary *s)
{
	static const struct figure clients = {
		"clients", "Clients", "usage.clients",
		"Sessions by MCP client: public names, the rest as other.",
		"client", 1 };
	static const struct figure probes = {
		"discover-clients", "Discover probes by client",
		"usage.server_discover_clients",
		"server/discover requests by the User-Agent's product: public names, the rest as other.",
		"client", 1 };
	static const struct figure workflows = {
		"composite-runs", "Composite tool runs",
		"usage.composite_tool_executions",
		"Composite tool (workflow) executions by event.", "event", 0 };
	static const struct figure steps = {
		"workflow-steps", "Workflow steps", "usage.workflow_steps",
		"Workflow steps started, by step type.", "step type", 1 };
	static const struct figure results = {
		"step-results", "Workflow step results",
		"usage.workflow_step_results", "Workflow steps by how they ended.",
		"result", 1 };

	named_figure(p, &clients, s->clients, s->nclients);
	named_figure(p, &probes, s->discover_clients, s->ndiscover_clients);
	requests(p, s);
	enum_figure(p, &workflows, vt_workflow_names, s->workflows, VT_WF_COUNT,
		    NULL);
	enum_figure(p, &steps, vt_step_type_names, s->workflow_steps,
		    VT_STEP_COUNT, NULL);
	enum_figure(p, &results, vt_step_result_names,
		    s->workflow_step_results, VT_SR_COUNT, NULL);
}

static void usage(struct vt_page *p, const struct vt_summary *s)
{
	section_open(p, "usage", "Usage");
	timeline_figure(p, s);
	vt_page_raw(p, "<div class=\"figs\">\n");
	usage_calls(p, s);
	usage_more(p, s);
	vt_page_raw(p, "</div>\n</section>\n");
}

static void deployment_counts(struct vt_page *p, const struct vt_summary *s)
{
	static const struct figure backends = {
		"backends-per-instance", "Backends per instance",
		"deployment.backends_per_instance",
		"Instances by their number of backends.", "backends", 0 };
	static const struct figure composite = {
		"composite-defined", "Composite tools defined",
		"deployment.composite_tools_defined",
		"Instances by their number of composite tool definitions.",
		"composite tools", 0 };
	static const struct figure features = {
		"features", "Features", "deployment.features",
		"Instances with each feature on.", "feature", 0 };
	static const struct figure steps = {
		"steps-defined", "Composite tool steps defined",
		"deployment.composite_steps_defined",
		"Steps of the configured composite tools, by type.", "step type", 1 };

	hist_figure(p, &backends, s->backends_per_instance, VT_LOG2_BUCKETS,
		    vt_log2_label, s->backends_unknown);
	hist_figure(p, &composite, s->composite_defined, VT_LOG2_BUCKETS,
		    vt_log2_label, s->composite_unknown);
	enum_figure(p, &features, vt_feature_names, s->features,
		    VT_FEATURE_COUNT, NULL);
	enum_figure(p, &steps, vt_step_type_names, s->composite_steps_defined,
		    VT_STEP_COUNT, NULL);
}

static void deployment_kinds(struct vt_page *p, const struct vt_summary *s)
{
	static const struct figure conflict = {
		"conflict-resolution", "Conflict resolution",
		"deployment.conflict_resolution",
		"Instances by tool name conflict resolution strategy.", "strategy", 1 };
	static const struct figure inauth = {
		"incoming-auth", "Incoming authentication",
		"deployment.incoming_auth", "Instances by client authentication.",
		"type", 1 };
	static const struct figure outauth = {
		"outgoing-auth", "Outgoing authentication",
		"deployment.outgoing_auth",
		"Instances using each backend authentication strategy (one instance may use several).",
		"strategy", 0 };
	static const struct figure sessions = {
		"session-storage", "Session storage",
		"deployment.session_storage", "Instances by session storage.",
		"storage", 1 };

	enum_figure(p, &conflict, vt_conflict_names, s->conflict,
		    VT_CONFLICT_COUNT, NULL);
	enum_figure(p, &inauth, vt_inauth_names, s->incoming_auth,
		    VT_INAUTH_COUNT, NULL);
	enum_figure(p, &outauth, vt_outauth_names, s->outgoing_auth,
		    VT_OUTAUTH_COUNT, NULL);
	enum_figure(p, &sessions, vt_session_names, s->session_storage,
		    VT_SESSION_COUNT, NULL);
}

static void deployment(struct vt_page *p, const struct vt_summary *s)
{
	section_open(p, "deployment", "Deployment");
	vt_page_raw(p, "<p>");
	vt_page_count(p, s->instances);
	vt_page_raw(p, s->instances == 1 ? " instance" : " instances");
	vt_page_raw(p, " of vMCP, ");
	vt_page_count(p, s->processes);
	vt_page_raw(p, s->processes == 1 ? " process" : " processes");
	vt_page_raw(p, " (starts); ");
	vt_page_count(p, s->instances_configured);
	vt_page_raw(p, " described by a configuration file.</p>\n"
		       "<div class=\"figs\">\n");
	deployment_counts(p, s);
	deployment_kinds(p, s);
	vt_page_raw(p, "</div>\n</section>\n");
}

static void operational(struct vt_page *p, const struct vt_summary *s)
{
	static const struct figure uptime = {
		"uptime", "Uptime per instance",
		"operational.uptime_seconds_per_instance",
		"Instances by the time between their first and last line, in seconds.",
		"seconds", 0 };
	static const struct figure health = {
		"backend-health", "Backend health",
		"operational.backend_health",
		"Backend status changes by new status, circuit breaker openings, and backends added to or removed from a discovered group.",
		"event", 0 };

	section_open(p, "operational", "Operational");
	vt_page_raw(p, "<p>");
	vt_page_count(p, s->restarts);
	vt_page_raw(p, s->restarts == 1 ? " restart" : " restarts");
	vt_page_raw(p, " (<code>operational.restarts</code>), ");
	vt_page_count(p, s->config_changes);
	vt_page_raw(p, s->config_changes == 1 ? " configuration change"
					      : " configuration changes");
	vt_page_raw(p, " (<code>operational.config_changes</code>).</p>\n"
		       "<div class=\"figs\">\n");
	hist_figure(p, &uptime, s->uptime_seconds, VT_125_BUCKETS,
		    vt_125_label, 0);
	enum_figure(p, &health, vt_health_names, s->backend_health,
		    VT_HEALTH_COUNT, NULL);
	vt_page_raw(p, "</div>\n</section>\n");
}

static void quality_row(struct vt_page *p, const char *field, const char *key,
			uint64_t v)
{
	vt_page_raw(p, "<tr><th scope=\"row\"><code>");
	vt_page_text(p, field);
	if (key) {
		vt_page_raw(p, ".");
		vt_page_text(p, key);
	}
	vt_page_raw(p, "</code></th><td class=\"n\">");
	vt_page_count(p, v);
	vt_page_raw(p, "</td></tr>\n");
}

static void quality_enum(struct vt_page *p, const char *field,
			 const char *const *names, const uint64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		quality_row(p, field, names[i], v[i]);
}

/* A log2 histogram of bytes: its non-empty buckets, by label. */
static void quality_hist(struct vt_page *p, const char *field,
			 const uint64_t *v)
{
	char label[48];

	for (unsigned i = 0; i < VT_LOG2_BUCKETS; i++)
		if (v[i]) {
			vt_log2_label(i, label, sizeof(label));
			quality_row(p, field, label, v[i]);
		}
}

static void quality(struct vt_page *p, const struct vt_summary *s)
{
	const struct vt_quality *q = &s->quality;
	const struct { const char *name; uint64_t v; } plain[] = {
		{ "lines_read", q->lines_read }, { "events", q->events },
		{ "app_lines", q->app_lines }, { "lines_blank", q->lines_blank },
		{ "lines_malformed", q->lines_malformed },
		{ "lines_too_long", q->lines_too_long },
		{ "lines_unrecognized", q->lines_unrecognized },
		{ "late_events", q->late_events },
		{ "events_before_consent", q->events_before_consent },
		{ "files", q->files },
		{ "files_failed", q->files_failed },
		{ "fields_wrong_type", q->fields_wrong_type },
		{ "fields_out_of_range", q->fields_out_of_range },
		{ "unknown_event_types", q->unknown_event_types },
		{ "bad_timestamps", q->bad_timestamps },
		{ "lines_without_time", q->lines_without_time },
		{ "nul_bytes_skipped", q->nul_bytes_skipped },
		{ "lines_over_instance_cap", q->lines_over_instance_cap },
		{ "files_lost", q->files_lost },
		{ "files_reset", q->files_reset },
	};

	section_open(p, "quality", "Input quality");
	vt_page_raw(p, "<p class=\"note\">What was read, and what could not be "
		       "counted (docs/report.md describes every field).</p>\n"
		       "<table class=\"quality\">\n<thead><tr><th scope=\"col\">"
		       "field</th><th scope=\"col\" class=\"n\">count</th></tr>"
		       "</thead>\n<tbody>\n");
	for (size_t i = 0; i < VT_ARRAY_LEN(plain); i++)
		quality_row(p, plain[i].name, NULL, plain[i].v);
	quality_enum(p, "malformed_by_reason", vt_malformed_reason_names,
		     q->malformed_by_reason, VT_BAD_COUNT);
	quality_enum(p, "unrecognized_by_reason", vt_unrecognized_reason_names,
		     q->unrecognized_by_reason, VT_UNREC_COUNT);
	quality_enum(p, "lines_by_wrapper", vt_wrapper_names,
		     q->lines_by_wrapper, VT_WRAP_COUNT);
	quality_hist(p, "bytes_read", q->bytes_read_by_input);
	quality_hist(p, "bytes_lost", q->bytes_lost_by_file);
	vt_page_raw(p, "</tbody>\n</table>\n</section>\n");
}

static void footer(struct vt_page *p, const char *id)
{
	vt_page_raw(p, "</main>\n<footer>\n<p>Written by " VT_NAME " " VT_VERSION
		       " from the report with <code>report_id</code> <code>");
	vt_page_text(p, id);
	vt_page_fmt(p, "</code> (schema_version %d): the JSON report of the "
		       "same input has the same numbers. This page loads "
		       "nothing: no script, font or image, from anywhere.</p>\n"
		       "</footer>\n</body>\n</html>\n",
		    VT_SCHEMA_VERSION);
}

enum vt_err vt_report_write_html(const struct vt_summary *s,
				 struct vt_scrubber *scrub, struct vt_sink *sink)
{
	struct vt_scrubber *own = scrub ? NULL : vt_scrubber_new();
	char id[VT_REPORT_ID_LEN + 1];
	struct vt_page p;
	enum vt_err err;

	if (!scrub)
		scrub = own;
	vt_report_id(s, scrub, id);
	vt_page_init(&p, sink, scrub);
	head(&p, s);
	banner(&p, s);
	key_numbers(&p, s);
	usage(&p, s);
	deployment(&p, s);
	operational(&p, s);
	quality(&p, s);
	footer(&p, id);
	err = vt_page_finish(&p);
	vt_scrubber_free(own);
	return err;
}
