/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the report's views: format names, table and prom. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../reporter/report.h"

#define OUT_MAX (1 << 22)

static struct vt_scrubber *scrub;

static void setup(void)
{
	scrub = vt_scrubber_new();
}

static void teardown(void)
{
	vt_scrubber_free(scrub);
}

static void name(struct vt_named_count *n, const char *s, uint64_t count)
{
	snprintf(n->name, sizeof(n->name), "%s", s);
	n->count = count;
}

static void fill(uint64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		v[i] = UINT64_MAX;
}

#define FILL(a) fill((a), sizeof(a) / sizeof((a)[0]))

/* A summary with every count at its largest and every name long. */
static struct vt_summary *extreme(void)
{
	struct vt_summary *s = calloc(1, sizeof(*s));

	ck_assert_ptr_nonnull(s);
	s->start = 0;
	s->end = INT64_MAX / 2;
	s->granularity = "week";
	s->instances = s->processes = s->instances_configured = UINT64_MAX;
	s->backends_unknown = s->composite_unknown = UINT64_MAX;
	s->tool_calls = s->sessions = s->restarts = UINT64_MAX;
	s->config_changes = UINT64_MAX;
	s->server_discover = UINT64_MAX;
	for (int i = 0; i < VT_HEALTH_COUNT; i++)
		s->backend_health[i] = UINT64_MAX;
	FILL(s->backends_per_instance);
	FILL(s->conflict);
	FILL(s->incoming_auth);
	FILL(s->outgoing_auth);
	FILL(s->composite_defined);
	FILL(s->features);
	FILL(s->session_storage);
	FILL(s->composite_steps_defined);
	FILL(s->tool_calls_by_outcome);
	FILL(s->tool_calls_per_instance);
	FILL(s->tool_call_duration_ms);
	FILL(s->workflows);
	FILL(s->workflow_steps);
	FILL(s->workflow_step_results);
	FILL(s->requests_by_type);
	FILL(s->uptime_seconds);
	s->nbackends = VT_MAX_NAMES;
	for (size_t i = 0; i < s->nbackends; i++) {
		char buf[VT_MAX_NAME_LEN + 1], digits[24];

		memset(buf, '0', VT_MAX_NAME_LEN);
		buf[VT_MAX_NAME_LEN] = '\0';
		snprintf(digits, sizeof(digits), "%04zu", i);
		memcpy(buf, digits, 4);
		name(&s->backends[i], buf, UINT64_MAX);
	}
	s->nclients = 1;
	name(&s->clients[0], "other", UINT64_MAX);
	s->nhours = 1;
	s->hours[0].start = 1795564800;
	s->hours[0].count = UINT64_MAX;
	memset(&s->quality, 0xff, sizeof(s->quality));
	return s;
}

static char *render(const struct vt_summary *s, enum vt_format f,
		    int color, unsigned top)
{
	struct vt_table_style style = { color, top };
	struct vt_buf out;
	struct vt_sink sink;
	enum vt_err err;

	vt_buf_init(&out, OUT_MAX);
	vt_sink_buffer(&out, &sink);
	err = f == VT_FORMAT_TABLE ? vt_report_write_table(s, &style, scrub, &sink)
				   : vt_report_write_prom(s, scrub, &sink);
	ck_assert_int_eq(err, VT_OK);
	vt_buf_cstr(&out);
	return out.ptr;
}

/*
 * Columns of each line once SGR escapes are removed; printable ASCII.
 * (One assertion at the end: Check records every assertion it passes.)
 */
static void assert_fits(const char *text)
{
	size_t col = 0, line = 1, widest = 0, bad_line = 0;

	for (const char *p = text; *p; p++) {
		if (*p == '\033' && p[1] == '[') {
			p += 2;
			while (*p == ';' || (*p >= '0' && *p <= '9'))
				p++;
			if (*p != 'm' && !bad_line)
				bad_line = line;
			continue;
		}
		if (*p == '\n') {
			line++;
			col = 0;
			continue;
		}
		if ((*p < 0x20 || *p >= 0x7f) && !bad_line)
			bad_line = line;
		if (++col > widest)
			widest = col;
	}
	ck_assert_msg(bad_line == 0, "line %zu: a byte that is not printable ASCII",
		      bad_line);
	ck_assert_uint_le(widest, VT_TABLE_WIDTH);
}

START_TEST(format_names_round_trip)
{
	enum vt_format f;

	for (int i = 0; i < VT_FORMAT_COUNT; i++) {
		ck_assert_int_eq(vt_format_parse(vt_format_names[i], &f), 0);
		ck_assert_int_eq(f, i);
	}
	ck_assert_int_eq(vt_format_parse("xml", &f), -1);
	ck_assert_int_eq(vt_format_parse("", &f), -1);
	ck_assert_int_eq(vt_format_parse("JSON", &f), -1);
	ck_assert_str_eq(vt_format_names[VT_FORMAT_PROM], "prom");
}
END_TEST

START_TEST(table_fits_width_at_extremes)
{
	struct vt_summary *s = extreme();

	for (int color = 0; color < 2; color++)
		for (unsigned top = 1; top <= VT_TABLE_TOP_MAX; top *= 10) {
			char *t = render(s, VT_FORMAT_TABLE, color, top);

			assert_fits(t);
			ck_assert_ptr_nonnull(strstr(t, "18446744073709551615"));
			ck_assert_int_eq(strchr(t, '\033') != NULL, color);
			free(t);
		}
	free(s);
}
END_TEST

START_TEST(table_top_folds_the_rest_into_other)
{
	struct vt_summary *s = calloc(1, sizeof(*s));
	char *t, *row;

	s->granularity = "all";
	/* sorted by name, as the aggregator keeps them: b01 .. b15, other */
	for (int i = 0; i < 15; i++) {
		char buf[24];

		snprintf(buf, sizeof(buf), "b%02d", i + 1);
		name(&s->backends[i], buf, (uint64_t)i + 1);
	}
	name(&s->backends[15], "other", 100);
	s->nbackends = 16;
	t = render(s, VT_FORMAT_TABLE, 0, 3);
	ck_assert_ptr_nonnull(strstr(t, "  backends            b15 "));
	ck_assert_ptr_nonnull(strstr(t, "\n                      b14 "));
	ck_assert_ptr_nonnull(strstr(t, "\n                      b13 "));
	ck_assert_ptr_null(strstr(t, "b12"));
	/* other: its own 100 and b01..b12 (78) */
	row = strstr(t, "\n                      other ");
	ck_assert_ptr_nonnull(row);
	ck_assert_int_eq(strtol(row + 23 + 5, NULL, 10), 178);
	ck_assert_ptr_nonnull(strstr(row, "  80.9%"));
	free(t);
	free(s);
}
END_TEST

START_TEST(table_names_are_scrubbed_and_printable)
{
	struct vt_summary *s = calloc(1, sizeof(*s));
	char *t;

	s->granularity = "all";
	name(&s->backends[0], "bob@example.com", 2);
	name(&s->backends[1], "x\033[31my\tz", 1);
	s->nbackends = 2;
	t = render(s, VT_FORMAT_TABLE, 0, 10);
	ck_assert_ptr_null(strstr(t, "bob@"));
	ck_assert_ptr_nonnull(strstr(t, " redacted "));
	ck_assert_ptr_nonnull(strstr(t, " x?[31my?z "));
	ck_assert_ptr_null(strchr(t, '\033'));
	assert_fits(t);
	free(t);
	free(s);
}
END_TEST

START_TEST(table_shares)
{
	struct vt_summary *s = calloc(1, sizeof(*s));
	char *t;

	s->granularity = "all";
	s->tool_calls = 3;
	s->tool_calls_by_outcome[VT_OUT_SUCCESS] = 2;
	s->tool_calls_by_outcome[VT_OUT_DENIED] = 1;
	t = render(s, VT_FORMAT_TABLE, 0, 10);
	ck_assert_ptr_nonnull(strstr(t, "success                               2  66.7%  #######\n"));
	ck_assert_ptr_nonnull(strstr(t, "denied                                1  33.3%  ###\n"));
	ck_assert_ptr_nonnull(strstr(t, "failure                               0   0.0%\n"));
	free(t);
	free(s);
}
END_TEST

START_TEST(prom_escapes_label_values)
{
	struct vt_summary *s = calloc(1, sizeof(*s));
	char *t;

	s->granularity = "all";
	name(&s->backends[0], "a\"b\\c\nd", 1);
	name(&s->clients[0], "bob@example.com", 1);
	s->nbackends = s->nclients = 1;
	t = render(s, VT_FORMAT_PROM, 0, 0);
	ck_assert_ptr_nonnull(strstr(t,
		"\nvmcp_telemetry_backend_tool_calls_total{backend=\"a\\\"b\\\\c\\nd\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t,
		"\nvmcp_telemetry_client_sessions_total{client=\"redacted\"} 1\n"));
	ck_assert_ptr_null(strstr(t, "bob@"));
	free(t);
	free(s);
}
END_TEST

/* Every line a comment or a sample of the prefix; counters end _total. */
START_TEST(prom_names_and_types)
{
	struct vt_summary *s = extreme();
	char *t = render(s, VT_FORMAT_PROM, 0, 0), *save = NULL;
	unsigned counters = 0, gauges = 0;

	for (char *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char metric[128], type[16];

		if (sscanf(l, "# TYPE %127s %15s", metric, type) == 2) {
			size_t n = strlen(metric);
			int total = n > 6 && strcmp(metric + n - 6, "_total") == 0;

			ck_assert_msg(strcmp(type, "counter") == 0 ? total : !total,
				      "%s is a %s", metric, type);
			counters += strcmp(type, "counter") == 0;
			gauges += strcmp(type, "gauge") == 0;
			continue;
		}
		if (strncmp(l, "# HELP vmcp_telemetry_", 22) == 0)
			continue;
		ck_assert_msg(strncmp(l, "vmcp_telemetry_", 15) == 0, "%s", l);
		ck_assert_msg(strstr(l, " 18446744073709551615") ||
				      strstr(l, "report_info") ||
				      strstr(l, "period_"),
			      "%s", l);
	}
	ck_assert_uint_gt(counters, 20);
	ck_assert_uint_gt(gauges, 10);
	free(t);
	free(s);
}
END_TEST

START_TEST(views_report_sink_errors)
{
	struct vt_summary *s = extreme();
	struct vt_table_style style = { 1, 10 };
	struct vt_buf out;
	struct vt_sink sink;

	vt_buf_init(&out, 100);
	vt_sink_buffer(&out, &sink);
	ck_assert_int_eq(vt_report_write_table(s, &style, scrub, &sink),
			 VT_ERR_LIMIT);
	vt_sink_buffer(&out, &sink);
	ck_assert_int_eq(vt_report_write_prom(s, scrub, &sink), VT_ERR_LIMIT);
	ck_assert_uint_eq(out.len, 0); /* all at once, or nothing */
	vt_buf_release(&out);
	free(s);
}
END_TEST

Suite *views_suite(void);

Suite *views_suite(void)
{
	Suite *s = suite_create("views");
	TCase *tc = tcase_create("views");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, format_names_round_trip);
	tcase_add_test(tc, table_fits_width_at_extremes);
	tcase_add_test(tc, table_top_folds_the_rest_into_other);
	tcase_add_test(tc, table_names_are_scrubbed_and_printable);
	tcase_add_test(tc, table_shares);
	tcase_add_test(tc, prom_escapes_label_values);
	tcase_add_test(tc, prom_names_and_types);
	tcase_add_test(tc, views_report_sink_errors);
	suite_add_tcase(s, tc);
	return s;
}
