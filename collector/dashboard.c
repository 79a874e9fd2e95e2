/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The collector's dashboard: one self-contained page in the style of
 * `report --format html` (its style sheet, inline SVG charts, no script,
 * nothing fetched). Trends per day or week from the fleet buckets, then
 * the latest week's distribution of every deployment field and of the
 * usage breakdowns, drawn from the report document itself (so a field
 * the report gains is drawn without a change here). Cells withheld for
 * having fewer than K installations are drawn as such, without a count.
 */
#include "fleet.h"
#include "server.h"
#include "../reporter/report.h"
#include "../reporter/svg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl_tree.h>

#define DAYS 30
#define WEEKS 12
#define MAX_BUCKETS DAYS

/* The numbers of one trend bucket. */
struct point {
	char label[16];
	uint64_t reports, installations, instances, calls, failed;
	int withheld;
};

struct trend {
	struct point p[MAX_BUCKETS];
	size_t n;
	uint64_t v[MAX_BUCKETS];
	const char *what;
};

static const char dash_css[] =
	".withheld{color:var(--muted);font-style:italic}\n"
	"nav a{margin-right:1rem}\n";

static yajl_val at(yajl_val v, const char *a, const char *b, const char *c)
{
	const char *keys[3] = { a, b, c };

	for (size_t k = 0; k < 3 && keys[k] && v; k++) {
		yajl_val next = NULL;

		if (!YAJL_IS_OBJECT(v))
			return NULL;
		for (size_t i = 0; i < v->u.object.len; i++)
			if (strcmp(v->u.object.keys[i], keys[k]) == 0)
				next = v->u.object.values[i];
		v = next;
	}
	return v;
}

static uint64_t int_at(yajl_val root, const char *a, const char *b,
		       const char *c)
{
	yajl_val v = at(root, a, b, c);

	return YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) > 0
		       ? (uint64_t)YAJL_GET_INTEGER(v)
		       : 0;
}

static int bucket_point(struct vt_store_reader *rd, int64_t from, int64_t to,
			unsigned k, struct point *pt)
{
	struct vt_fleet_bucket b;
	char yerr[64];

	if (vt_fleet_bucket(rd, from, to, k, &b))
		return -1;
	vt_fleet_day_name(from, pt->label, sizeof(pt->label));
	pt->reports = b.reports;
	pt->installations = b.installations;
	pt->withheld = b.withheld_all;
	yajl_val r = b.report_json ? yajl_tree_parse(b.report_json, yerr, sizeof(yerr))
				   : NULL;
	pt->instances = int_at(r, "deployment", "instances", NULL);
	pt->calls = int_at(r, "usage", "tool_calls", "total");
	pt->failed = 0;
	yajl_val out = at(r, "usage", "tool_calls", "by_outcome");
	for (size_t i = 0; YAJL_IS_OBJECT(out) && i < out->u.object.len; i++)
		if (strcmp(out->u.object.keys[i], "success") != 0 &&
		    YAJL_IS_INTEGER(out->u.object.values[i]))
			pt->failed += (uint64_t)YAJL_GET_INTEGER(out->u.object.values[i]);
	yajl_tree_free(r);
	vt_fleet_bucket_release(&b);
	return 0;
}

static void tip(const void *ctx, size_t i, char *out, size_t n)
{
	const struct trend *t = ctx;
	char v[32];

	vt_format_count(t->v[i], v, sizeof(v));
	snprintf(out, n, "%s: %s%s", t->p[i].label,
		 t->p[i].withheld ? "withheld" : v, "");
}

static void trend_figure(struct vt_page *p, struct trend *t, const char *id,
			 const char *title, size_t field)
{
	char desc[160];

	for (size_t i = 0; i < t->n; i++) {
		const struct point *pt = &t->p[i];
		const uint64_t vals[] = { pt->reports, pt->installations,
					  pt->instances, pt->calls, pt->failed };

		t->v[i] = field < 2 || !pt->withheld ? vals[field] : 0;
	}
	snprintf(desc, sizeof(desc), "%s per %s, %s to %s.", title, t->what,
		 t->p[0].label, t->p[t->n - 1].label);
	vt_page_fmt(p, "<figure id=\"%s\">\n<figcaption>", id);
	vt_page_text(p, title);
	vt_page_raw(p, "<span class=\"note\">");
	vt_page_text(p, desc);
	vt_page_raw(p, "</span></figcaption>\n");
	struct vt_columns c = { id, title, desc, t->v, t->n, tip, t,
				{ t->p[0].label, t->p[t->n / 2].label,
				  t->p[t->n - 1].label } };
	char cid[48];
	snprintf(cid, sizeof(cid), "%s-c", id);
	c.id = cid;
	vt_svg_columns(p, &c);
	vt_page_raw(p, "</figure>\n");
}

static int trends(struct vt_page *p, struct vt_store_reader *rd, int64_t today,
		  int by, unsigned k)
{
	struct trend *t = vt_xcalloc(1, sizeof(*t));
	size_t n = by == 7 ? WEEKS : DAYS;
	int64_t first = by == 7 ? vt_fleet_week_start(today) - 7 * (WEEKS - 1)
				: today - (DAYS - 1);
	int rc = 0;

	t->what = by == 7 ? "week" : "day";
	for (size_t i = 0; i < n && !rc; i++) {
		int64_t from = first + (int64_t)i * by;

		rc = bucket_point(rd, from, from + by - 1, k, &t->p[i]);
	}
	t->n = n;
	if (!rc) {
		vt_page_raw(p, "<section aria-labelledby=\"trends\">\n<h2 id=\"trends\">Trends</h2>\n"
			       "<div class=\"figs\">\n");
		trend_figure(p, t, "t-reports", "Installation-periods reporting", 0);
		trend_figure(p, t, "t-installations", "Installations (most in one period)", 1);
		trend_figure(p, t, "t-instances", "vMCP instances", 2);
		trend_figure(p, t, "t-calls", "Tool calls", 3);
		trend_figure(p, t, "t-failed", "Tool calls not successful", 4);
		vt_page_fmt(p, "</div>\n<p class=\"note\">A %s backed by fewer than %u "
			       "installations is withheld and drawn as 0; its count "
			       "of installation-periods is shown.</p>\n</section>\n",
			    t->what, k);
	}
	free(t);
	return rc;
}

static int withheld(const struct vt_fleet_bucket *b, const char *path)
{
	for (size_t i = 0; i < b->nwithheld; i++)
		if (strcmp(b->withheld[i], path) == 0)
			return 1;
	return 0;
}

/* One object of counts (an enumeration, a histogram, a name list). */
static void dist_figure(struct vt_page *p, const struct vt_fleet_bucket *b,
			const char *section, const char *field, yajl_val m)
{
	struct vt_bar *bars = vt_xcalloc(m->u.object.len + 1, sizeof(*bars));
	char path[192], id[96], (*labels)[96] =
		vt_xcalloc(m->u.object.len + 1, sizeof(*labels));
	size_t n = 0, hidden = 0;

	snprintf(id, sizeof(id), "d-%s-%s", section, field);
	for (char *c = id; *c; c++)
		if (*c == '.' || *c == '_')
			*c = '-';
	vt_page_fmt(p, "<figure id=\"%s\">\n<figcaption>", id);
	vt_page_text(p, field);
	vt_page_raw(p, "<span class=\"note\"><code>");
	vt_page_text(p, section);
	vt_page_raw(p, ".");
	vt_page_text(p, field);
	vt_page_raw(p, "</code></span></figcaption>\n");
	for (size_t i = 0; i < m->u.object.len; i++) {
		const char *key = m->u.object.keys[i];
		yajl_val v = m->u.object.values[i];

		if (!YAJL_IS_INTEGER(v))
			continue;
		snprintf(path, sizeof(path), "%s.%s.%s", section, field, key);
		int w = withheld(b, path);
		snprintf(labels[n], sizeof(labels[n]), "%s%s", key,
			 w ? " (withheld)" : "");
		hidden += (size_t)w;
		bars[n].label = labels[n];
		bars[n++].value = w ? 0 : (uint64_t)YAJL_GET_INTEGER(v);
	}
	if (n)
		vt_svg_hbars(p, id, field, bars, n);
	else
		vt_page_raw(p, "<p class=\"empty\">Nothing counted.</p>\n");
	if (hidden)
		vt_page_fmt(p, "<p class=\"withheld\">%zu withheld: fewer installations than the threshold.</p>\n",
			    hidden);
	vt_page_raw(p, "</figure>\n");
	free(labels);
	free(bars);
}

static void dist_section(struct vt_page *p, const struct vt_fleet_bucket *b,
			 yajl_val root, const char *section, const char *title)
{
	yajl_val s = at(root, section, NULL, NULL);

	vt_page_fmt(p, "<section aria-labelledby=\"s-%s\">\n<h2 id=\"s-%s\">",
		    section, section);
	vt_page_text(p, title);
	vt_page_raw(p, "</h2>\n<div class=\"figs\">\n");
	for (size_t i = 0; YAJL_IS_OBJECT(s) && i < s->u.object.len; i++) {
		const char *f = s->u.object.keys[i];
		yajl_val v = s->u.object.values[i];

		if (strcmp(f, "instances_sketch") == 0 || strcmp(f, "tool_calls_by_hour") == 0)
			continue;
		if (strcmp(f, "tool_calls") == 0)
			v = at(v, "by_outcome", NULL, NULL), f = "tool_calls.by_outcome";
		if (YAJL_IS_OBJECT(v))
			dist_figure(p, b, section, f, v);
	}
	vt_page_raw(p, "</div>\n</section>\n");
}

static void kpi(struct vt_page *p, const char *label, uint64_t v)
{
	vt_page_raw(p, "<div><dt>");
	vt_page_text(p, label);
	vt_page_raw(p, "</dt><dd>");
	vt_page_count(p, v);
	vt_page_raw(p, "</dd></div>\n");
}

static int latest(struct vt_page *p, struct vt_store_reader *rd, int64_t today,
		  int by, unsigned k)
{
	struct vt_fleet_bucket b;
	char from[16], to[16], yerr[64];

	if (vt_fleet_bucket(rd, today - 6, today, k, &b))
		return -1;
	vt_fleet_day_name(today - 6, from, sizeof(from));
	vt_fleet_day_name(today, to, sizeof(to));
	yajl_val r = b.report_json ? yajl_tree_parse(b.report_json, yerr, sizeof(yerr))
				   : NULL;
	vt_page_raw(p, "<section aria-labelledby=\"key\">\n<h2 id=\"key\">The last seven days</h2>\n");
	vt_page_fmt(p, "<p class=\"note\">%s to %s UTC.</p>\n<dl class=\"kpis\">\n", from, to);
	kpi(p, "Installation-periods", b.reports);
	kpi(p, "Installations (most in one period)", b.installations);
	if (r) {
		kpi(p, "vMCP instances", int_at(r, "deployment", "instances", NULL));
		kpi(p, "Processes", int_at(r, "deployment", "processes", NULL));
		kpi(p, "Tool calls", int_at(r, "usage", "tool_calls", "total"));
		kpi(p, "Sessions", int_at(r, "usage", "sessions", NULL));
	}
	vt_page_raw(p, "</dl>\n</section>\n");
	int rc = trends(p, rd, today, by, k);
	if (rc) {
		/* the page is not sent */
	} else if (r) {
		dist_section(p, &b, r, "deployment", "Deployment: the latest distribution");
		dist_section(p, &b, r, "usage", "Usage: the latest distribution");
	} else {
		vt_page_fmt(p, "<p class=\"withheld\">%s</p>\n",
			    b.withheld_all ? "Withheld: fewer installations reported than the threshold."
					   : "No report in the last seven days.");
	}
	yajl_tree_free(r);
	vt_fleet_bucket_release(&b);
	return rc;
}

int vt_dashboard_write(struct vt_store_reader *rd, int64_t now, int by,
		       unsigned min_installations, struct vt_buf *out)
{
	struct vt_sink sink;
	struct vt_page p;
	struct vt_scrubber *scrub = vt_scrubber_new();
	int64_t today = now / 86400;
	char day[16];
	int rc;

	vt_sink_buffer(out, &sink);
	vt_page_init(&p, &sink, scrub);
	vt_fleet_day_name(today, day, sizeof(day));
	vt_page_raw(&p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
			"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
			"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"/>\n"
			"<meta name=\"color-scheme\" content=\"light dark\"/>\n"
			"<title>vMCP fleet</title>\n<style>\n");
	vt_page_raw(&p, vt_report_html_css());
	vt_page_raw(&p, dash_css);
	vt_page_raw(&p, "</style>\n</head>\n<body>\n<header>\n<h1>vMCP fleet</h1>\n<p>");
	vt_page_fmt(&p, "What the installations that turned telemetry on reported, as of %s UTC. "
			"Breakdown cells backed by fewer than %u installations are withheld.</p>\n",
		    day, min_installations);
	vt_page_raw(&p, by == 7 ? "<nav><a href=\"?by=day\">Per day</a> Per week</nav>\n"
				: "<nav>Per day <a href=\"?by=week\">Per week</a></nav>\n");
	vt_page_raw(&p, "</header>\n<main>\n");
	rc = latest(&p, rd, today, by, min_installations);
	vt_page_raw(&p, "</main>\n<footer>\n<p>" VT_COLLECTOR_NAME " " VT_VERSION
			". The same numbers as JSON: <code>/v1/summary</code>. This page loads "
			"nothing: no script, font or image, from anywhere.</p>\n</footer>\n</body>\n</html>\n");
	if (vt_page_finish(&p) != VT_OK)
		rc = -1;
	vt_scrubber_free(scrub);
	return rc;
}
