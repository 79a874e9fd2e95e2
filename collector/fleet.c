/* SPDX-License-Identifier: Apache-2.0 */
/* Fleet answers from the store (see fleet.h). */
#include "fleet.h"
#include "../reporter/report.h"
#include "../util/hash.h"
#include "../util/map.h"
#include "../util/timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl_gen.h>
#include <yajl_tree.h>

struct cell {
	char *path;
	uint64_t cur; /* reports of the current period with the cell set */
	uint64_t max; /* the most of any period so far */
};

/* Merged reports and their cells' installations. */
struct acc {
	struct vt_summary *sum, *one;
	int any;
	uint64_t reports;
	int64_t period;      /* the current period's start */
	char grain[8];
	struct vt_map index; /* path hash -> cells[] */
	struct cell *cells;
	size_t ncells, capcells;
	int failed;
};

#define INSTALLATIONS "" /* the cell of the whole bucket */

static void release_cells(struct vt_fleet_bucket *b);

static void acc_init(struct acc *a)
{
	memset(a, 0, sizeof(*a));
	a->sum = vt_xcalloc(1, sizeof(*a->sum));
	a->one = vt_xcalloc(1, sizeof(*a->one));
	a->period = INT64_MIN;
	vt_map_init(&a->index);
}

static void acc_release(struct acc *a)
{
	for (size_t i = 0; i < a->ncells; i++)
		free(a->cells[i].path);
	free(a->cells);
	vt_map_release(&a->index);
	free(a->sum);
	free(a->one);
}

static struct cell *cell_of(struct acc *a, const char *path, int add)
{
	uint64_t h = vt_hash64(path, strlen(path));
	uint32_t i = vt_map_get(&a->index, h);

	if (i != VT_MAP_NONE)
		return &a->cells[i];
	if (!add)
		return NULL;
	if (a->ncells == a->capcells) {
		a->capcells = a->capcells ? 2 * a->capcells : 64;
		a->cells = vt_xrealloc(a->cells, a->capcells * sizeof(*a->cells));
	}
	a->cells[a->ncells] = (struct cell){ vt_xstrdup(path), 0, 0 };
	vt_map_put(&a->index, h, (uint32_t)a->ncells);
	return &a->cells[a->ncells++];
}

/* Ends the current period: its counts become candidates for the most. */
static void fold(struct acc *a)
{
	for (size_t i = 0; i < a->ncells; i++) {
		if (a->cells[i].cur > a->cells[i].max)
			a->cells[i].max = a->cells[i].cur;
		a->cells[i].cur = 0;
	}
}

static int section_key(const char *k)
{
	return strcmp(k, "deployment") == 0 || strcmp(k, "usage") == 0 ||
	       strcmp(k, "operational") == 0;
}

/*
 * Visits every breakdown cell of a report tree: an integer three or more
 * levels down in deployment, usage or operational (a breakdown's total
 * too, not the sketch). visit returns nothing; the tree is at most 16
 * deep.
 */
static int skipped(int depth, const char *k)
{
	return (depth == 0 && !section_key(k)) ||
	       strcmp(k, "instances_sketch") == 0;
}

typedef void (*cell_fn)(void *ctx, const char *path, yajl_val v);
static void cells_walk(yajl_val v, const char *path, int depth, cell_fn fn,
		       void *ctx)
{
	char sub[192];

	if (YAJL_IS_INTEGER(v)) {
		if (depth >= 3)
			fn(ctx, path, v);
		return;
	}
	if (!YAJL_IS_OBJECT(v))
		return;
	for (size_t i = 0; i < v->u.object.len; i++) {
		const char *k = v->u.object.keys[i];

		if (skipped(depth, k))
			continue;
		snprintf(sub, sizeof(sub), depth ? "%s.%s" : "%s%s", path, k);
		cells_walk(v->u.object.values[i], sub, depth + 1, fn, ctx);
	}
}

static void count_cell(void *ctx, const char *path, yajl_val v)
{
	if (YAJL_GET_INTEGER(v) > 0)
		cell_of(ctx, path, 1)->cur++;
}

static void next_period(struct acc *a, int64_t start, const char *grain)
{
	if (start == a->period && strcmp(grain, a->grain) == 0)
		return;
	fold(a);
	a->period = start;
	snprintf(a->grain, sizeof(a->grain), "%s", grain);
}

static void add_report(void *ctx, int64_t start, const char *grain,
		       const char *json, size_t len)
{
	struct acc *a = ctx;
	char err[160], yerr[64];
	yajl_val root;

	if (vt_report_parse(json, len, a->one, err, sizeof(err)) != VT_OK ||
	    !(root = yajl_tree_parse(json, yerr, sizeof(yerr)))) {
		a->failed = 1; /* validated when stored: the file was changed */
		return;
	}
	next_period(a, start, grain);
	vt_summary_merge(a->sum, a->one);
	a->any = 1;
	a->reports++;
	cell_of(a, INSTALLATIONS, 1)->cur++;
	cells_walk(root, "", 0, count_cell, a);
	yajl_tree_free(root);
}

static void add_rollup(void *ctx, int64_t day, uint64_t reports,
		       const char *json, size_t len, const char *cells,
		       size_t cells_len)
{
	struct acc *a = ctx;
	char err[160];

	(void)day;
	if (vt_report_parse(json, len, a->one, err, sizeof(err)) != VT_OK) {
		a->failed = 1;
		return;
	}
	fold(a);
	vt_summary_merge(a->sum, a->one);
	a->any = 1;
	a->reports += reports;
	/* Lines "MOST\tPATH". */
	const char *p = cells, *end = cells + cells_len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *tab = memchr(p, '\t', (size_t)((nl ? nl : end) - p));
		char path[192];

		if (!nl || !tab || (size_t)(nl - tab) > sizeof(path))
			break;
		memcpy(path, tab + 1, (size_t)(nl - tab - 1));
		path[nl - tab - 1] = '\0';
		struct cell *c = cell_of(a, path, 1);
		uint64_t most = strtoull(p, NULL, 10);
		if (most > c->max)
			c->max = most;
		p = nl + 1;
	}
}

static char *write_report(const struct vt_summary *s)
{
	struct vt_scrubber *scrub = vt_scrubber_new();
	struct vt_buf b;
	struct vt_sink sink;
	enum vt_err err;

	vt_buf_init(&b, 256u << 20);
	vt_sink_buffer(&b, &sink);
	err = vt_report_write_json(s, NULL, scrub, &sink, NULL);
	vt_scrubber_free(scrub);
	if (err) {
		vt_buf_release(&b);
		return NULL;
	}
	vt_buf_cstr(&b);
	return b.ptr;
}

static void gen_tree(yajl_gen g, yajl_val v)
{
	if (YAJL_IS_OBJECT(v)) {
		yajl_gen_map_open(g);
		for (size_t i = 0; i < v->u.object.len; i++) {
			const char *k = v->u.object.keys[i];

			yajl_gen_string(g, (const unsigned char *)k, strlen(k));
			gen_tree(g, v->u.object.values[i]);
		}
		yajl_gen_map_close(g);
	} else if (YAJL_IS_ARRAY(v)) {
		yajl_gen_array_open(g);
		for (size_t i = 0; i < v->u.array.len; i++)
			gen_tree(g, v->u.array.values[i]);
		yajl_gen_array_close(g);
	} else if (YAJL_IS_STRING(v)) {
		yajl_gen_string(g, (const unsigned char *)v->u.string,
				strlen(v->u.string));
	} else if (YAJL_IS_INTEGER(v)) {
		yajl_gen_integer(g, YAJL_GET_INTEGER(v));
	} else if (YAJL_IS_NUMBER(v)) {
		yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
	} else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
		yajl_gen_bool(g, YAJL_IS_TRUE(v));
	} else {
		yajl_gen_null(g);
	}
}

static void gen_print(void *ctx, const char *p, size_t n)
{
	vt_buf_append(ctx, p, n);
}

static yajl_val member(yajl_val obj, const char *key)
{
	for (size_t i = 0; YAJL_IS_OBJECT(obj) && i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	return NULL;
}

/* Adds path to b's withheld list (once). */
static void add_withheld(struct vt_fleet_bucket *b, const char *path)
{
	for (size_t i = 0; i < b->nwithheld; i++)
		if (strcmp(b->withheld[i], path) == 0)
			return;
	b->withheld = vt_xrealloc(b->withheld,
				  (b->nwithheld + 1) * sizeof(char *));
	b->withheld[b->nwithheld++] = vt_xstrdup(path);
}

struct withhold {
	struct acc *a;
	struct vt_fleet_bucket *b;
	uint64_t k;
};

static void zero(struct withhold *w, yajl_val v, const char *path)
{
	v->u.number.i = 0;
	add_withheld(w->b, path);
}

/* 1 when the cell at path, non-zero, is backed by fewer than K. */
static int thin(struct withhold *w, const char *path, yajl_val v)
{
	struct cell *c = cell_of(w->a, path, 0);

	return YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) > 0 &&
	       !(c && c->max >= w->k);
}

/*
 * Secondary withholding in object o (at path, depth deep) where exactly
 * one cell was withheld: a total less the visible cells would give it
 * back, so the smallest other non-zero cell of o goes too; when there is
 * none, the totals beside it (o's own, and its parent's) go instead.
 */
static void complement(struct withhold *w, yajl_val o, const char *path,
		       yajl_val parent, const char *parent_path,
		       const int *gone)
{
	char sub[192];
	size_t pick = o->u.object.len;

	for (size_t i = 0; i < o->u.object.len; i++) {
		yajl_val v = o->u.object.values[i];

		if (gone[i] || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) <= 0 ||
		    strcmp(o->u.object.keys[i], "total") == 0)
			continue;
		if (pick == o->u.object.len ||
		    YAJL_GET_INTEGER(v) <
			    YAJL_GET_INTEGER(o->u.object.values[pick]))
			pick = i;
	}
	if (pick < o->u.object.len) {
		snprintf(sub, sizeof(sub), "%s.%s", path, o->u.object.keys[pick]);
		zero(w, o->u.object.values[pick], sub);
		return;
	}
	yajl_val own = member(o, "total");
	yajl_val up = parent ? member(parent, "total") : NULL;
	if (YAJL_IS_INTEGER(own) && YAJL_GET_INTEGER(own) > 0) {
		snprintf(sub, sizeof(sub), "%s.total", path);
		zero(w, own, sub);
	}
	if (YAJL_IS_INTEGER(up) && YAJL_GET_INTEGER(up) > 0) {
		snprintf(sub, sizeof(sub), "%s.total", parent_path);
		zero(w, up, sub);
	}
}

/* Withholds o's thin cells, then its objects' (the tree is bounded). */
static void withhold_obj(struct withhold *w, yajl_val o, const char *path,
			 int depth, yajl_val parent, const char *parent_path)
{
	char sub[192];
	size_t n = o->u.object.len, nthin = 0;
	int *gone = vt_xcalloc(n ? n : 1, sizeof(int));

	for (size_t i = 0; i < n; i++) {
		const char *k = o->u.object.keys[i];

		snprintf(sub, sizeof(sub), depth ? "%s.%s" : "%s%s", path, k);
		if (depth >= 2 && !skipped(depth, k) &&
		    thin(w, sub, o->u.object.values[i])) {
			zero(w, o->u.object.values[i], sub);
			gone[i] = 1;
			nthin++;
		}
	}
	if (nthin == 1)
		complement(w, o, path, parent, parent_path, gone);
	for (size_t i = 0; i < n; i++) {
		const char *k = o->u.object.keys[i];

		if (!YAJL_IS_OBJECT(o->u.object.values[i]) || skipped(depth, k))
			continue;
		snprintf(sub, sizeof(sub), depth ? "%s.%s" : "%s%s", path, k);
		withhold_obj(w, o->u.object.values[i], sub, depth + 1,
			     depth ? o : NULL, path);
	}
	free(gone);
}

/*
 * One day's published report into *pub: the day's reports merged, its
 * thin cells (and their complements) zeroed, and read back. Returns 1
 * when there is one, 0 when none (no report, or the day withheld whole),
 * -1 when the database failed.
 */
static int day_published(struct vt_store_reader *rd, int64_t day, unsigned k,
			 struct vt_fleet_bucket *b, struct vt_summary *pub)
{
	struct acc a;
	char yerr[64], err[160];
	int rc = 0;

	acc_init(&a);
	if (vt_store_each(rd, day, day, add_report, add_rollup, &a) || a.failed) {
		acc_release(&a);
		return -1;
	}
	fold(&a);
	struct cell *all = cell_of(&a, INSTALLATIONS, 0);
	uint64_t inst = all ? all->max : 0;
	b->reports += a.reports;
	if (inst > b->installations)
		b->installations = inst;
	if (a.any && inst < k) {
		char name[16], entry[32];

		vt_fleet_day_name(day, name, sizeof(name));
		snprintf(entry, sizeof(entry), "report %s", name);
		add_withheld(b, entry);
	} else if (a.any) {
		char *json = write_report(a.sum);
		yajl_val root = json ? yajl_tree_parse(json, yerr, sizeof(yerr)) : NULL;
		struct withhold w = { &a, b, k };
		struct vt_buf out;

		free(json);
		rc = -1;
		if (root) {
			withhold_obj(&w, root, "", 0, NULL, "");
			vt_buf_init(&out, 256u << 20);
			yajl_gen g = yajl_gen_alloc(NULL);
			yajl_gen_config(g, yajl_gen_print_callback, gen_print, &out);
			gen_tree(g, root);
			yajl_gen_free(g);
			yajl_tree_free(root);
			vt_buf_cstr(&out);
			if (out.ptr && vt_report_parse(out.ptr, out.len, pub, err,
						       sizeof(err)) == VT_OK)
				rc = 1;
			vt_buf_release(&out);
		}
	}
	acc_release(&a);
	return rc;
}

/*
 * Days are published one by one and a range is the merge of its
 * published days: a number of a range is the sum of numbers already
 * public for its days, so subtracting one range from another gives back
 * nothing that was withheld. The report_id is the writer's, over the
 * published content only.
 */
int vt_fleet_bucket(struct vt_store_reader *rd, int64_t from, int64_t to,
		    unsigned min_installations, struct vt_fleet_bucket *out)
{
	struct vt_summary *sum = vt_xcalloc(1, sizeof(*sum));
	struct vt_summary *one = vt_xcalloc(1, sizeof(*one));
	int64_t first, last;
	int rc = 0, any = 0;

	memset(out, 0, sizeof(*out));
	out->from_day = from;
	out->to_day = to;
	if (vt_store_days(rd, &first, &last)) {
		for (int64_t d = from > first ? from : first;
		     d <= to && d <= last && rc >= 0; d++) {
			rc = day_published(rd, d, min_installations, out, one);
			if (rc == 1) {
				vt_summary_merge(sum, one);
				any = 1;
			}
		}
	}
	if (rc >= 0 && out->reports && !any) {
		out->withheld_all = 1;
		release_cells(out);
	} else if (rc >= 0 && any) {
		out->report_json = write_report(sum);
		rc = out->report_json ? 0 : -1;
	}
	free(sum);
	free(one);
	return rc < 0 ? -1 : 0;
}

static void release_cells(struct vt_fleet_bucket *b)
{
	for (size_t i = 0; i < b->nwithheld; i++)
		free(b->withheld[i]);
	free(b->withheld);
	b->withheld = NULL;
	b->nwithheld = 0;
}

void vt_fleet_bucket_release(struct vt_fleet_bucket *b)
{
	release_cells(b);
	free(b->report_json);
	memset(b, 0, sizeof(*b));
}

int vt_fleet_rollup(void *ctx, struct vt_store_reader *rd, int64_t day,
		    char **json, char **cells, uint64_t *reports)
{
	struct acc a;
	struct vt_buf c;
	int rc;

	(void)ctx;
	acc_init(&a);
	rc = vt_store_each(rd, day, day, add_report, add_rollup, &a);
	fold(&a);
	*json = NULL;
	*cells = NULL;
	if (rc || a.failed || !a.any) {
		acc_release(&a);
		return -1;
	}
	*json = write_report(a.sum);
	*reports = a.reports;
	vt_buf_init(&c, 64u << 20);
	for (size_t i = 0; i < a.ncells; i++) {
		char line[256];
		int n = snprintf(line, sizeof(line), "%" PRIu64 "\t%s\n",
				 a.cells[i].max, a.cells[i].path);

		if (n > 0 && (size_t)n < sizeof(line))
			vt_buf_append(&c, line, (size_t)n);
	}
	vt_buf_cstr(&c);
	*cells = c.ptr ? c.ptr : vt_xstrdup("");
	acc_release(&a);
	return *json ? 0 : -1;
}

void vt_fleet_day_name(int64_t day, char *out, size_t n)
{
	int64_t y;
	unsigned m, d;

	vt_civil_from_days(day, &y, &m, &d);
	snprintf(out, n, "%04lld-%02u-%02u", (long long)y, m, d);
}

int64_t vt_fleet_week_start(int64_t day)
{
	/* 1970-01-01 was a Thursday: Monday is 3 days before it. */
	int64_t r = (day + 3) % 7;

	return day - (r < 0 ? r + 7 : r);
}

static void gen_str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_day(yajl_gen g, const char *key, int64_t day)
{
	char name[16];

	vt_fleet_day_name(day, name, sizeof(name));
	gen_str(g, key);
	gen_str(g, name);
}

/*
 * A bucket's members: the merged report's own fields (so the object is a
 * report, in the report schema, that the report reader reads), then the
 * numbers behind it. A bucket withheld whole has no report fields.
 */
/* What was asked: the days, the buckets, the threshold. */
static void gen_query(yajl_gen g, int64_t from, int64_t to, int by,
		      unsigned min_installations)
{
	gen_day(g, "from", from);
	gen_day(g, "to", to);
	gen_str(g, "by");
	if (by)
		gen_str(g, by == 7 ? "week" : "day");
	else
		yajl_gen_null(g);
	gen_str(g, "min_installations");
	yajl_gen_integer(g, min_installations);
}

static void gen_bucket(yajl_gen g, const struct vt_fleet_bucket *b)
{
	char yerr[64];
	yajl_val r = b->report_json
			     ? yajl_tree_parse(b->report_json, yerr, sizeof(yerr))
			     : NULL;

	for (size_t i = 0; YAJL_IS_OBJECT(r) && i < r->u.object.len; i++) {
		gen_str(g, r->u.object.keys[i]);
		gen_tree(g, r->u.object.values[i]);
	}
	yajl_tree_free(r);
	gen_str(g, "reports");
	yajl_gen_integer(g, (long long)b->reports);
	gen_str(g, "installation_periods");
	yajl_gen_integer(g, (long long)b->reports);
	gen_str(g, "installations");
	yajl_gen_integer(g, (long long)b->installations);
	gen_str(g, "withheld");
	yajl_gen_array_open(g);
	if (b->withheld_all)
		gen_str(g, "report");
	for (size_t i = 0; i < b->nwithheld; i++)
		gen_str(g, b->withheld[i]);
	yajl_gen_array_close(g);
}

int vt_fleet_summary(struct vt_store_reader *rd, int64_t from, int64_t to,
		     int by, unsigned min_installations, struct vt_buf *out)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	int rc = 0;

	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	yajl_gen_config(g, yajl_gen_print_callback, gen_print, out);
	yajl_gen_map_open(g);
	if (by) {
		gen_query(g, from, to, by, min_installations);
		gen_str(g, "buckets");
		yajl_gen_array_open(g);
	}
	for (int64_t d = by == 7 ? vt_fleet_week_start(from) : from;
	     d <= to && rc == 0;) {
		int64_t last = by ? d + by - 1 : to;
		struct vt_fleet_bucket b;

		rc = vt_fleet_bucket(rd, d < from ? from : d,
				     last > to ? to : last, min_installations, &b);
		if (rc == 0 && by) {
			yajl_gen_map_open(g);
			gen_day(g, "from", b.from_day);
			gen_day(g, "to", b.to_day);
			gen_bucket(g, &b);
			yajl_gen_map_close(g);
		} else if (rc == 0) {
			gen_bucket(g, &b);
			gen_query(g, from, to, by, min_installations);
		}
		vt_fleet_bucket_release(&b);
		d = last + 1;
	}
	if (by)
		yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	return rc;
}
