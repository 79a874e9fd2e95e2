/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for merging partial aggregates (issue #16): randomized
 * streams of vMCP lines (restarts with and without a configuration load,
 * configuration changes, several instances and streams, facts before the
 * first start, malformed lines) cut in parts, each part counted by a
 * partial aggregate, merged under every bracketing that keeps the parts
 * in order: the report is the one of all lines read in order.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../aggregator/agg.h"
#include "../../parser/rules.h"
#include "../../util/timeutil.h"
#include "testutil.h"

#define BASE INT64_C(1787306400)
#define MAX_LINES 80
#define MAX_PARTS 6


struct line {
	uint64_t instance, stream;
	char text[400];
};

static struct line lines[MAX_LINES];
static size_t nlines;

static struct vt_test_tables tables;

static void setup(void)
{
	vt_test_tables_load(&tables);
}

static void teardown(void)
{
	vt_test_tables_free(&tables);
}

static unsigned long long rnd_state;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(rnd_state >> 33) % n;
}

static void app(struct line *l, int64_t t, const char *msg)
{
	char when[32];

	vt_time_format(t, when);
	snprintf(l->text, sizeof(l->text),
		 "{\"time\":\"%s\",\"level\":\"INFO\",\"msg\":\"%s\"}", when,
		 msg);
}

static void call(struct line *l, int64_t t, unsigned comp)
{
	char when[32];

	vt_time_format(t, when);
	snprintf(l->text, sizeof(l->text),
		 "{\"time\":\"%s\",\"level\":\"AUDIT\",\"msg\":\"audit_event\","
		 "\"audit_id\":\"a\",\"type\":\"%s\",\"outcome\":"
		 "\"success\",\"component\":\"vmcp-%u\",\"target\":{\"name\":"
		 "\"t\",\"type\":\"tool\"},\"metadata\":{\"extra\":{"
		 "\"backend_name\":\"github\",\"duration_ms\":%u}}}",
		 when, rnd(4) ? "mcp_tool_call" : "mcp_initialize", comp,
		 1 + rnd(500));
}

/* One random line of stream s (its instance is s's, audit or not). */
static void random_line(struct line *l, int64_t t)
{
	static const char *const facts[] = {
		"  Conflict Resolution: prefix",
		"  Conflict Resolution: priority",
		"  Conflict Resolution: manual",
		"Discovered 2 backends",
		"Discovered 5 backends",
		"  Composite Tools: 3 defined",
		"Creating OIDC incoming authentication middleware",
		"creating local authentication middleware",
		"audit middleware enabled for MCP endpoints",
		/* issue 15 review: settings, quick mode, per-process usage */
		"  Group: team-a",
		"  Group: team-b",
		"initializing outgoing authentication",
		"session capabilities injected from core",
		"starting workflow execution",
		"workflow completed successfully",
	};
	unsigned r = rnd(100);

	l->stream = 1 + rnd(2);
	l->instance = l->stream * 100 + (rnd(8) == 0); /* some share none */
	if (r < 8)
		app(l, t, "Loading configuration from: /etc/vmcp/config.yaml");
	else if (r < 16)
		app(l, t, "starting Virtual MCP Server");
	else if (r < 40)
		app(l, t, facts[rnd(VT_ARRAY_LEN(facts))]);
	else if (r < 43)
		snprintf(l->text, sizeof(l->text), "{\"time\":\"bad");
	else if (r < 46)
		app(l, t, "nothing the rules know");
	else
		call(l, t, rnd(3));
}

/* A start-up: a configuration load, facts, the start, in one stream. */
static size_t startup(size_t i, int64_t t)
{
	size_t n = 2 + rnd(3);

	for (size_t k = 0; k < n && i + k < nlines; k++) {
		do
			random_line(&lines[i + k], t);
		while (strstr(lines[i + k].text, "Loading") ||
		       strstr(lines[i + k].text, "starting") ||
		       !strstr(lines[i + k].text, "INFO"));
		lines[i + k].stream = lines[i].stream;
		lines[i + k].instance = lines[i].stream * 100;
	}
	app(&lines[i], t, "Loading configuration from: /etc/vmcp/config.yaml");
	if (i + n - 1 < nlines)
		app(&lines[i + n - 1], t, "starting Virtual MCP Server");
	return n;
}

static void make_lines(unsigned seed)
{
	rnd_state = seed;
	nlines = 10 + rnd(MAX_LINES - 10);
	for (size_t i = 0; i < nlines;) {
		int64_t t = BASE + (int64_t)i * 7 + rnd(5);

		if (rnd(8) == 0) {
			i += startup(i, t);
			continue;
		}
		random_line(&lines[i++], t);
	}
}

static size_t max_instances; /* 0: the default cap */

/* Lines [from, to) into a, as a serial read would. */
static void feed(struct vt_agg *a, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		struct vt_origin o = { lines[i].instance, lines[i].stream };
		struct vt_record rec;
		struct vt_fact f[VT_FACT_COUNT];
		size_t n = 0;

		vt_decode_line(tables.dec, lines[i].text,
			       strlen(lines[i].text), &rec);
		if (rec.cls == VT_LINE_APP)
			n = vt_rules_match(tables.rules, &rec, f,
					   VT_ARRAY_LEN(f));
		vt_agg_line(a, &o, &rec, f, n, VT_WRAP_NONE);
	}
}

static struct vt_agg *fed(size_t from, size_t to, int partial)
{
	struct vt_agg_config cfg = { .servers = tables.servers,
				     .clients = tables.clients,
				     .max_instances = max_instances };
	struct vt_agg *a = vt_agg_new(&cfg);

	vt_agg_set_now(a, BASE);
	if (partial)
		vt_agg_set_partial(a);
	feed(a, from, to);
	return a;
}

static size_t cuts[MAX_PARTS + 1];

/*
 * The parts [lo, hi) merged under bracketing number *tree (counted down
 * through every bracketing, in Catalan order): a partial aggregate.
 */
static struct vt_agg *bracketed(size_t lo, size_t hi, unsigned *tree)
{
	if (hi - lo == 1)
		return fed(cuts[lo], cuts[hi], 1);
	/* the split point: the first that *tree picks */
	size_t mid = lo + 1 + *tree % (hi - lo - 1);

	*tree /= (unsigned)(hi - lo - 1);
	struct vt_agg *l = bracketed(lo, mid, tree);
	struct vt_agg *r = bracketed(mid, hi, tree);

	vt_agg_merge(l, r);
	vt_agg_free(r);
	return l;
}

static struct vt_summary want, got;

static void same_report(struct vt_agg *a, const char *what, unsigned seed)
{
	vt_agg_summarize(a, 0, &got);
	ck_assert_msg(got.restarts == want.restarts,
		      "%s, seed %u: restarts %llu, want %llu", what, seed, (unsigned long long)got.restarts,
		      (unsigned long long)want.restarts);
	ck_assert_msg(got.config_changes == want.config_changes,
		      "%s, seed %u: config changes %llu, want %llu", what, seed,
		      (unsigned long long)got.config_changes,
		      (unsigned long long)want.config_changes);
	ck_assert_msg(got.processes == want.processes,
		      "%s, seed %u: processes %llu, want %llu", what, seed,
		      (unsigned long long)got.processes,
		      (unsigned long long)want.processes);
	ck_assert_msg(memcmp(&got, &want, sizeof(want)) == 0,
		      "%s, seed %u: the report differs", what, seed);
}

START_TEST(merge_every_bracketing)
{
	unsigned seed = 1600 + (unsigned)_i;
	struct vt_agg *all;

	make_lines(seed);
	all = fed(0, nlines, 0);
	vt_agg_summarize(all, 0, &want);
	vt_agg_free(all);
	size_t nparts = 1 + rnd(MAX_PARTS);
	if (nparts > nlines)
		nparts = nlines;
	cuts[0] = 0;
	cuts[nparts] = nlines;
	for (size_t k = 1; k < nparts; k++) /* at least a line each */
		cuts[k] = cuts[k - 1] + 1 +
			  rnd((unsigned)(nlines - cuts[k - 1] - (nparts - k)));
	/* every choice of split points, then the parts merged in order */
	unsigned trees = 1;
	for (size_t k = 2; k < nparts; k++)
		trees *= (unsigned)k;
	for (unsigned t = 0; t < trees; t++) {
		unsigned tree = t;
		struct vt_agg *top = fed(0, 0, 0);
		struct vt_agg *m = bracketed(0, nparts, &tree);

		vt_agg_merge(top, m);
		vt_agg_free(m);
		same_report(top, "bracketed", seed);
		vt_agg_free(top);
	}
	/* as vt_ingest_parallel does: each part in turn into the whole */
	struct vt_agg *top = fed(0, 0, 0);
	for (size_t k = 0; k < nparts; k++) {
		struct vt_agg *p = fed(cuts[k], cuts[k + 1], 1);

		vt_agg_merge(top, p);
		vt_agg_free(p);
	}
	same_report(top, "in turn", seed);
	vt_agg_free(top);
}
END_TEST

/*
 * Under a small --max-instances, as vt_ingest_parallel does: a part that
 * fits (vt_agg_merge_fits) is merged, and at the first that does not,
 * the rest is read in order: the report is the serial one, caps and all
 * (lines_over_instance_cap included).
 */
/* One capped stream (see caps_merge_or_read_in_order); 1: refused. */
static int capped_stream(unsigned seed)
{
	int refused = 0;

	max_instances = 3 + seed % 3;
	make_lines(seed);
	struct vt_agg *all = fed(0, nlines, 0);

	vt_agg_summarize(all, 0, &want);
	vt_agg_free(all);
	size_t nparts = 2 + rnd(MAX_PARTS - 1);
	struct vt_agg *top = fed(0, 0, 0);

	for (size_t k = 0; k < nparts && !refused; k++) {
		size_t from = nlines * k / nparts, to = nlines * (k + 1) / nparts;
		struct vt_agg *p = fed(from, to, 1);

		refused = !vt_agg_merge_fits(top, p, 0);
		if (refused)
			feed(top, from, nlines);
		else
			vt_agg_merge(top, p);
		vt_agg_free(p);
	}
	same_report(top, "capped", seed);
	vt_agg_free(top);
	max_instances = 0;
	return refused;
}

START_TEST(caps_merge_or_read_in_order)
{
	unsigned refused = 0;

	for (unsigned seed = 1700; seed < 1760; seed++)
		refused += (unsigned)capped_stream(seed);
	/* both ways were taken: merges that fit, and the fallback */
	ck_assert_uint_gt(refused, 5);
	ck_assert_uint_lt(refused, 55);
}
END_TEST

/* The story the random streams tell has restarts and changes in it. */
START_TEST(streams_restart)
{
	uint64_t restarts = 0, changes = 0;

	for (unsigned seed = 1600; seed < 1640; seed++) {
		make_lines(seed);
		struct vt_agg *all = fed(0, nlines, 0);

		vt_agg_summarize(all, 0, &want);
		restarts += want.restarts;
		changes += want.config_changes;
		vt_agg_free(all);
	}
	ck_assert_uint_gt(restarts, 20);
	ck_assert_uint_gt(changes, 5);
}
END_TEST

Suite *merge_suite(void);
Suite *merge_suite(void)
{
	Suite *s = suite_create("merge");
	TCase *tc = tcase_create("partial");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, merge_every_bracketing, 0, 150);
	tcase_add_test(tc, streams_restart);
	tcase_add_test(tc, caps_merge_or_read_in_order);
	suite_add_tcase(s, tc);
	return s;
}
