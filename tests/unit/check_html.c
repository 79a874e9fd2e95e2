/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the HTML report: escaping, scrubbing, charts, sinks. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../reporter/report.h"
#include "../../reporter/svg.h"
#include "../../util/timeutil.h"

#define OUT_MAX (1 << 24)

static struct vt_scrubber *scrub;

static void setup(void)
{
	scrub = vt_scrubber_new();
}

static void teardown(void)
{
	vt_scrubber_free(scrub);
}

static void name(struct vt_named_count *c, const char *n, uint64_t count)
{
	snprintf(c->name, sizeof(c->name), "%s", n);
	c->count = count;
}

/* A small summary with calls in two hours. */
static void sample(struct vt_summary *s)
{
	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(vt_time_parse("2026-11-24T05:10:00Z", 20, &s->start), 0);
	s->end = s->start + 3 * 3600;
	s->granularity = "all";
	s->instances = 2;
	s->processes = 3;
	s->tool_calls = 30;
	s->tool_calls_by_outcome[VT_OUT_SUCCESS] = 25;
	s->tool_calls_by_outcome[VT_OUT_DENIED] = 5;
	s->nbackends = 2;
	name(&s->backends[0], "github", 20);
	name(&s->backends[1], "other", 10);
	s->nhours = 2;
	s->hours[0] = (struct vt_hour_count){ s->start - 600 + 3600, 10 };
	s->hours[1] = (struct vt_hour_count){ s->start - 600 + 2 * 3600, 20 };
	s->quality.lines_read = 40;
	s->quality.events = 35;
}

static enum vt_err render(const struct vt_summary *s, struct vt_buf *out)
{
	struct vt_sink sink;

	vt_buf_init(out, OUT_MAX);
	vt_sink_buffer(out, &sink);
	return vt_report_write_html(s, scrub, &sink);
}

/* Occurrences of needle in hay. */
static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The text of the element with id="id", up to the next "</figure>". */
static char *figure_of(const char *page, const char *id)
{
	char key[64];

	snprintf(key, sizeof(key), "<figure id=\"%s\">", id);
	const char *a = strstr(page, key);
	ck_assert_msg(a != NULL, "no figure %s", id);
	const char *b = strstr(a, "</figure>");
	ck_assert(b != NULL);
	return vt_xstrndup(a, (size_t)(b - a));
}

START_TEST(html_escapes_and_scrubs_names)
{
	struct vt_summary s;
	struct vt_buf out;

	sample(&s);
	s.nbackends = 6;
	name(&s.backends[0], "<script>alert(\"x\")</script>&'", 1);
	name(&s.backends[1], "bad\xff\xfeutf8", 2);
	name(&s.backends[2], "ctl\x01\x7f" "c1\xc2\x85", 3);
	name(&s.backends[3], "caf\xc3\xa9", 4);
	name(&s.backends[4], "bob@example.com", 5);
	name(&s.backends[5], "\xed\xa0\x80surrogate", 6);
	ck_assert_int_eq(render(&s, &out), VT_OK);
	const char *page = vt_buf_cstr(&out);
	ck_assert_ptr_null(strstr(page, "<script"));
	ck_assert_ptr_null(strstr(page, "bob@example.com"));
	ck_assert_ptr_nonnull(strstr(
		page, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"));
	ck_assert_ptr_nonnull(strstr(page, "bad\xef\xbf\xbd\xef\xbf\xbdutf8"));
	ck_assert_ptr_nonnull(strstr(
		page, "ctl\xef\xbf\xbd\xef\xbf\xbd" "c1\xef\xbf\xbd\xef\xbf\xbd"));
	ck_assert_ptr_nonnull(strstr(page, "caf\xc3\xa9"));
	ck_assert_ptr_nonnull(strstr(page, ">redacted<"));
	ck_assert_ptr_null(strstr(page, "\xed\xa0\x80"));
	ck_assert_ptr_null(strstr(page, "\xff"));
	vt_buf_release(&out);
}
END_TEST

START_TEST(html_deterministic)
{
	struct vt_summary s;
	struct vt_buf a, b;
	struct vt_sink sink;

	sample(&s);
	ck_assert_int_eq(render(&s, &a), VT_OK);
	/* With a scrubber of its own (NULL), the same bytes again. */
	vt_buf_init(&b, OUT_MAX);
	vt_sink_buffer(&b, &sink);
	ck_assert_int_eq(vt_report_write_html(&s, NULL, &sink), VT_OK);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_int_eq(memcmp(a.ptr, b.ptr, a.len), 0);
	/* The page names the JSON report it matches. */
	char id[VT_REPORT_ID_LEN + 1];
	vt_report_id(&s, scrub, id);
	ck_assert_ptr_nonnull(strstr(vt_buf_cstr(&a), id));
	vt_buf_release(&a);
	vt_buf_release(&b);
}
END_TEST

struct counting_sink {
	size_t limit, written;
	int closed, aborted;
};

static enum vt_err counting_write(void *ctx, const void *p, size_t n)
{
	struct counting_sink *c = ctx;

	(void)p;
	if (c->written + n > c->limit)
		return VT_ERR_IO;
	c->written += n;
	return VT_OK;
}

static enum vt_err counting_close(void *ctx)
{
	((struct counting_sink *)ctx)->closed++;
	return VT_OK;
}

static void counting_abort(void *ctx)
{
	((struct counting_sink *)ctx)->aborted++;
}

START_TEST(html_sink_error_aborts)
{
	struct vt_summary s;
	struct counting_sink c = { 1000, 0, 0, 0 };
	struct vt_sink sink = { counting_write, counting_close, counting_abort,
				&c };

	sample(&s);
	ck_assert_int_eq(vt_report_write_html(&s, scrub, &sink), VT_ERR_IO);
	ck_assert_int_eq(c.aborted, 1);
	ck_assert_int_eq(c.closed, 0);
	c = (struct counting_sink){ OUT_MAX, 0, 0, 0 };
	ck_assert_int_eq(vt_report_write_html(&s, scrub, &sink), VT_OK);
	ck_assert_int_eq(c.closed, 1);
	ck_assert_int_eq(c.aborted, 0);
	/* Larger than the writer's buffer: written in several pieces. */
	ck_assert_uint_gt(c.written, 10000);
}
END_TEST

START_TEST(html_counts_and_shares)
{
	static const struct {
		uint64_t v;
		const char *want;
	} counts[] = {
		{ 0, "0" }, { 999, "999" }, { 1000, "1,000" },
		{ 1234567, "1,234,567" },
		{ UINT64_MAX, "18,446,744,073,709,551,615" },
	};
	static const struct {
		uint64_t v, total;
		const char *want;
	} shares[] = {
		{ 1, 3, "33.3%" }, { 2, 3, "66.7%" }, { 0, 0, "0.0%" },
		{ 1, 2000, "0.1%" }, { 1, 2001, "0.0%" }, { 5, 5, "100.0%" },
		{ UINT64_MAX, UINT64_MAX, "100.0%" },
		{ UINT64_MAX / 2, UINT64_MAX, "50.0%" },
	};
	char buf[32];

	for (size_t i = 0; i < VT_ARRAY_LEN(counts); i++) {
		vt_format_count(counts[i].v, buf, sizeof(buf));
		ck_assert_str_eq(buf, counts[i].want);
	}
	for (size_t i = 0; i < VT_ARRAY_LEN(shares); i++) {
		vt_format_share(shares[i].v, shares[i].total, buf, sizeof(buf));
		ck_assert_str_eq(buf, shares[i].want);
	}
}
END_TEST

START_TEST(html_timeline_hours)
{
	struct vt_summary s;
	struct vt_buf out;

	sample(&s);
	ck_assert_int_eq(render(&s, &out), VT_OK);
	char *fig = figure_of(vt_buf_cstr(&out), "timeline");
	/* 05:00 to 09:00 (the period ends at 08:10): four hourly columns. */
	ck_assert_uint_eq(count(fig, "<tr><th scope=\"row\">"), 4);
	ck_assert_ptr_nonnull(strstr(fig, "per hour"));
	ck_assert_ptr_nonnull(strstr(
		fig, "2026-11-24 06:00\xe2\x80\x93" "07:00 UTC</th><td class=\"n\">10<"));
	ck_assert_ptr_nonnull(strstr(
		fig, "2026-11-24 07:00\xe2\x80\x93" "08:00 UTC</th><td class=\"n\">20<"));
	ck_assert_uint_eq(count(fig, "<rect class=\"bar\""), 2);
	/* The y axis: 20 is a round maximum already; its half is 10. */
	ck_assert_ptr_nonnull(strstr(fig, "<span>20</span><span>10</span><span>0</span>"));
	free(fig);
	vt_buf_release(&out);
	/* 21 rounds up to 40 (of 2, 4, 10, 20, 40, ...). */
	s.hours[1].count = 21;
	ck_assert_int_eq(render(&s, &out), VT_OK);
	ck_assert_ptr_nonnull(strstr(vt_buf_cstr(&out),
				     "<span>40</span><span>20</span><span>0</span>"));
	vt_buf_release(&out);
}
END_TEST

START_TEST(html_timeline_long_period)
{
	struct vt_summary *s = vt_xcalloc(1, sizeof(*s));
	struct vt_buf out;
	uint64_t total = 0;

	sample(s);
	s->nhours = VT_MAX_HOURS;
	for (size_t i = 0; i < VT_MAX_HOURS; i++) {
		s->hours[i] = (struct vt_hour_count){
			s->start - 600 + (int64_t)i * 3600, i % 7 + 1 };
		total += i % 7 + 1;
	}
	s->end = s->hours[VT_MAX_HOURS - 1].start + 3600;
	ck_assert_int_eq(render(s, &out), VT_OK);
	char *fig = figure_of(vt_buf_cstr(&out), "timeline");
	size_t rows = count(fig, "<tr><th scope=\"row\">");
	/* 400 days need more than 168 daily or two-day columns: weeks. */
	ck_assert_ptr_nonnull(strstr(fig, "per week"));
	ck_assert_uint_ge(rows, 58);
	ck_assert_uint_le(rows, 60);
	/* A week column covers Monday to Sunday. */
	ck_assert_ptr_nonnull(strstr(fig, "2026-11-30 to 2026-12-06 UTC"));
	char want[64];
	vt_format_count(total, want, sizeof(want));
	ck_assert_ptr_nonnull(strstr(fig, want));
	free(fig);
	vt_buf_release(&out);
	free(s);
}
END_TEST

START_TEST(html_timeline_absurd_span)
{
	struct vt_summary s;
	struct vt_buf out;

	sample(&s);
	s.start = vt_days_from_civil(0, 1, 1) * 86400; /* year 0 */
	s.end = vt_days_from_civil(9999, 12, 31) * 86400;
	ck_assert_int_eq(render(&s, &out), VT_OK);
	char *fig = figure_of(vt_buf_cstr(&out), "timeline");
	ck_assert_uint_le(count(fig, "<tr><th scope=\"row\">"), 168);
	ck_assert_uint_ge(count(fig, "<rect class=\"bar\""), 1);
	free(fig);
	vt_buf_release(&out);
}
END_TEST

START_TEST(html_many_names)
{
	struct vt_summary *s = vt_xcalloc(1, sizeof(*s));
	struct vt_buf out;
	char n[32];

	sample(s);
	s->nbackends = VT_MAX_NAMES;
	for (size_t i = 0; i < VT_MAX_NAMES; i++) {
		snprintf(n, sizeof(n), "server-%04zu", i);
		name(&s->backends[i], n, i == 500 ? 5000 : i % 10);
	}
	ck_assert_int_eq(render(s, &out), VT_OK);
	char *fig = figure_of(vt_buf_cstr(&out), "backends");
	/* The chart: the 11 largest (server-0500 first) and the rest. */
	ck_assert_uint_eq(count(fig, "<g><title>"), 12);
	ck_assert_ptr_nonnull(strstr(fig, "<g><title>server-0500: 5,000</title>"));
	ck_assert_ptr_nonnull(strstr(fig, ">989 more names<"));
	/* The table: every name. */
	ck_assert_uint_eq(count(fig, "<tr><th scope=\"row\">"), VT_MAX_NAMES);
	free(fig);
	vt_buf_release(&out);
	free(s);
}
END_TEST

START_TEST(html_long_label_shortened)
{
	static const char long_name[] =
		"a-very-long-public-server-name-that-goes-on-and-on-\xc3\xa9\xc3\xa9";
	struct vt_summary s;
	struct vt_buf out;

	sample(&s);
	name(&s.backends[0], long_name, 20);
	ck_assert_int_eq(render(&s, &out), VT_OK);
	char *fig = figure_of(vt_buf_cstr(&out), "backends");
	/* 18 + 9 characters around an ellipsis in the chart (the last two
	 * are two bytes each); all of it elsewhere. */
	ck_assert_ptr_nonnull(strstr(fig, ">a-very-long-public\xe2\x80\xa6" "and-on-\xc3\xa9\xc3\xa9</text>"));
	ck_assert_ptr_nonnull(strstr(fig, "<title>a-very-long-public-server-name-that-goes-on-and-on-\xc3\xa9\xc3\xa9: 20</title>"));
	ck_assert_ptr_nonnull(strstr(fig, "<th scope=\"row\">a-very-long-public-server-name-that-goes-on-and-on-\xc3\xa9\xc3\xa9</th>"));
	free(fig);
	vt_buf_release(&out);
}
END_TEST

START_TEST(html_empty_summary)
{
	struct vt_summary s;
	struct vt_buf out;

	memset(&s, 0, sizeof(s));
	s.granularity = "all";
	ck_assert_int_eq(render(&s, &out), VT_OK);
	const char *page = vt_buf_cstr(&out);
	ck_assert_ptr_nonnull(strstr(page, "No audited tool call in this period."));
	ck_assert_ptr_nonnull(strstr(page, "(period: all)"));
	ck_assert_ptr_null(strstr(page, "<svg"));
	ck_assert_ptr_nonnull(strstr(page, "</html>\n"));
	vt_buf_release(&out);
}
END_TEST

START_TEST(html_histogram_keeps_gaps)
{
	struct vt_summary s;
	struct vt_buf out;

	sample(&s);
	s.backends_per_instance[vt_log2_bucket(1)] = 1;
	s.backends_per_instance[vt_log2_bucket(20)] = 2;
	s.backends_unknown = 1;
	ck_assert_int_eq(render(&s, &out), VT_OK);
	char *fig = figure_of(vt_buf_cstr(&out), "backends-per-instance");
	/* 1, the empty 2-3, 4-7 and 8-15 between, 16-31, then unknown. */
	ck_assert_uint_eq(count(fig, "<g><title>"), 6);
	ck_assert_ptr_nonnull(strstr(fig, "<title>8-15: 0</title>"));
	ck_assert_ptr_nonnull(strstr(fig, "<title>unknown: 1</title>"));
	free(fig);
	vt_buf_release(&out);
}
END_TEST

Suite *html_suite(void);

Suite *html_suite(void)
{
	Suite *s = suite_create("html");
	TCase *t = tcase_create("html");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, html_escapes_and_scrubs_names);
	tcase_add_test(t, html_deterministic);
	tcase_add_test(t, html_sink_error_aborts);
	tcase_add_test(t, html_counts_and_shares);
	tcase_add_test(t, html_timeline_hours);
	tcase_add_test(t, html_timeline_long_period);
	tcase_add_test(t, html_timeline_absurd_span);
	tcase_add_test(t, html_many_names);
	tcase_add_test(t, html_long_label_shortened);
	tcase_add_test(t, html_empty_summary);
	tcase_add_test(t, html_histogram_keeps_gaps);
	suite_add_tcase(s, t);
	return s;
}
