/* SPDX-License-Identifier: Apache-2.0 */
/* The collector's request validator (collector/ingest.c). */
#include "../../collector/ingest.h"
#include "../../reporter/report.h"
#include "../../util/buf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400
/* 2026-11-24T00:00:00Z, and "now" two days later. */
#define START 1795478400LL
#define NOW (START + 2 * DAY)
#define MAX (64 * 1024)
#define IID "0123456789abcdef0123456789abcdef"

static struct vt_allowlist *servers, *clients;
static struct vt_scrubber *scrub;

static void setup(void)
{
	char err[128];

	scrub = vt_scrubber_new();
	servers = vt_allowlist_new();
	clients = vt_allowlist_new();
	ck_assert_int_eq(vt_allowlist_load(servers, "github\nslack\n", 13, "t",
					   err, sizeof(err)), VT_OK);
	ck_assert_int_eq(vt_allowlist_load(clients, "claude-code\n", 12, "t",
					   err, sizeof(err)), VT_OK);
}

static void teardown(void)
{
	vt_scrubber_free(scrub);
	vt_allowlist_free(servers);
	vt_allowlist_free(clients);
}

typedef void (*edit_fn)(struct vt_summary *s);

static char *report_edited(const char *grain, int64_t start, int64_t len,
			   const char *backend, edit_fn edit, size_t *n);

/* A day's report as run writes it, with one backend called name. */
static char *report(const char *grain, int64_t start, int64_t len,
		    const char *backend, size_t *n)
{
	return report_edited(grain, start, len, backend, NULL, n);
}

/* The same, changed by edit before it is written. */
static char *report_edited(const char *grain, int64_t start, int64_t len,
			   const char *backend, edit_fn edit, size_t *n)
{
	struct vt_summary *s = calloc(1, sizeof(*s));
	struct vt_report_meta meta = { IID };
	struct vt_buf b;
	struct vt_sink sink;

	s->start = start;
	s->end = start + len;
	s->granularity = grain;
	s->instances = 1;
	vt_sketch_add(&s->instances_sketch, 0xdeadbeef);
	s->tool_calls = 5;
	s->tool_calls_by_outcome[VT_OUT_SUCCESS] = 5;
	s->nbackends = 1;
	snprintf(s->backends[0].name, sizeof(s->backends[0].name), "%s", backend);
	s->backends[0].count = 5;
	if (edit)
		edit(s);
	vt_buf_init(&b, 1 << 20);
	vt_sink_buffer(&b, &sink);
	ck_assert_int_eq(vt_report_write_json(s, &meta, scrub, &sink, NULL), VT_OK);
	free(s);
	vt_buf_cstr(&b);
	*n = b.len;
	return b.ptr;
}

static char *gzipped(const char *p, size_t n, size_t *out)
{
	struct vt_buf b;
	struct vt_sink buf, gz;

	vt_buf_init(&b, 1 << 24);
	vt_sink_buffer(&b, &buf);
	ck_assert_int_eq(vt_sink_gzip(&buf, &gz), VT_OK);
	ck_assert_int_eq(vt_sink_write(&gz, p, n), VT_OK);
	ck_assert_int_eq(gz.close(gz.ctx), VT_OK);
	*out = b.len;
	return b.ptr;
}

static enum vt_reject check(const char *type, const char *enc,
			    const char *key, const char *body, size_t n,
			    char *reason, struct vt_ingest_report *out)
{
	struct vt_ingest_request rq = { type, enc, key, body, n, MAX, NOW };
	struct vt_ingest_lists lists = { servers, clients };

	return vt_ingest_check(&rq, &lists, scrub, out, reason, 256);
}

static enum vt_reject plain(const char *body, size_t n, char *reason)
{
	struct vt_ingest_report out;
	enum vt_reject r = check("application/json", NULL, NULL, body, n,
				 reason, &out);

	vt_ingest_report_release(&out);
	return r;
}

START_TEST(test_valid_gzip_and_identity)
{
	size_t n, gn;
	char *json = report("day", START, DAY, "github", &n);
	char *gz = gzipped(json, n, &gn);
	char reason[256];
	struct vt_ingest_report out;

	ck_assert_int_eq(check("application/json; charset=utf-8", "gzip", NULL,
			       gz, gn, reason, &out), VT_REJ_NONE);
	ck_assert_str_eq(out.installation_id, IID);
	ck_assert_str_eq(out.granularity, "day");
	ck_assert_int_eq(out.start, START);
	ck_assert_uint_eq(out.json_len, n);
	ck_assert_int_eq(memcmp(out.json, json, n), 0);
	/* Without a key, the report is keyed by its id. */
	ck_assert_str_eq(out.key, out.report_id);
	/* The key the client sends is the report's id. */
	char key[33];
	memcpy(key, out.report_id, sizeof(key));
	vt_ingest_report_release(&out);
	ck_assert_int_eq(check("application/json", "gzip", key, gz, gn, reason,
			       &out), VT_REJ_NONE);
	ck_assert_str_eq(out.key, key);
	vt_ingest_report_release(&out);
	/* Another client's key of its own is taken as sent. */
	ck_assert_int_eq(check("application/json", "gzip", "retry-7f3a:1", gz,
			       gn, reason, &out), VT_REJ_NONE);
	ck_assert_str_eq(out.key, "retry-7f3a:1");
	vt_ingest_report_release(&out);
	/* Empty, too long, a space or a control character: refused. */
	char long_key[VT_INGEST_KEY_MAX + 2];
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	static const char *const bad_keys[] = { "", "a b", "a\tb", "caf\xc3\xa9" };
	for (size_t i = 0; i < 4; i++)
		ck_assert_int_eq(check("application/json", "gzip", bad_keys[i],
				       gz, gn, reason, &out), VT_REJ_KEY);
	ck_assert_int_eq(check("application/json", "gzip", long_key, gz, gn,
			       reason, &out), VT_REJ_KEY);
	long_key[VT_INGEST_KEY_MAX] = '\0'; /* the longest taken */
	ck_assert_int_eq(check("application/json", "gzip", long_key, gz, gn,
			       reason, &out), VT_REJ_NONE);
	vt_ingest_report_release(&out);
	ck_assert_int_eq(plain(json, n, reason), VT_REJ_NONE);
	free(json);
	free(gz);
}
END_TEST

START_TEST(test_types_and_encodings)
{
	size_t n;
	char *json = report("day", START, DAY, "github", &n);
	char reason[256];
	struct vt_ingest_report out;

	ck_assert_int_eq(check(NULL, NULL, NULL, json, n, reason, &out),
			 VT_REJ_CONTENT_TYPE);
	ck_assert_int_eq(check("application/jsonp", NULL, NULL, json, n, reason,
			       &out), VT_REJ_CONTENT_TYPE);
	ck_assert_int_eq(check("application/json", "br", NULL, json, n, reason,
			       &out), VT_REJ_ENCODING);
	ck_assert_uint_eq(vt_reject_status(VT_REJ_ENCODING), 415);
	ck_assert_uint_eq(vt_reject_status(VT_REJ_TOO_LARGE), 413);
	ck_assert_uint_eq(vt_reject_status(VT_REJ_SCHEMA), 400);
	ck_assert_uint_eq(vt_reject_status(VT_REJ_OVERLOADED), 429);
	free(json);
}
END_TEST

START_TEST(test_inflate_caps)
{
	size_t zeros = 4 * MAX, gn, n;
	char *big = calloc(1, zeros);
	char *gz = gzipped(big, zeros, &gn);
	struct vt_buf b;

	ck_assert_uint_lt(gn, MAX);
	vt_buf_init(&b, MAX + 1);
	ck_assert_int_eq(vt_ingest_inflate(gz, gn, MAX, &b), VT_REJ_TOO_LARGE);
	ck_assert_uint_le(b.len, MAX);
	vt_buf_release(&b);
	/* Cut short, and with bytes after the member. */
	char *json = report("day", START, DAY, "github", &n);
	char *ok = gzipped(json, n, &gn);
	vt_buf_init(&b, MAX + 1);
	ck_assert_int_eq(vt_ingest_inflate(ok, gn - 4, MAX, &b), VT_REJ_GZIP);
	vt_buf_reset(&b);
	ck_assert_int_eq(vt_ingest_inflate(ok, gn, MAX, &b), VT_REJ_NONE);
	ck_assert_uint_eq(b.len, n);
	vt_buf_reset(&b);
	char *more = malloc(gn + 1);
	memcpy(more, ok, gn);
	more[gn] = 'x';
	ck_assert_int_eq(vt_ingest_inflate(more, gn + 1, MAX, &b), VT_REJ_GZIP);
	vt_buf_release(&b);
	free(more);
	free(ok);
	free(json);
	free(gz);
	free(big);
}
END_TEST

/* text with the first from replaced by to (the caller frees). */
static char *replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t n = strlen(text) + strlen(to) + 1;
	char *out = malloc(n);

	ck_assert_ptr_nonnull(at);
	snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	return out;
}

START_TEST(test_fields_names_numbers)
{
	size_t n;
	char *json = report("day", START, DAY, "github", &n);
	char reason[256];
	char *bad;

	bad = replaced(json, "\"schema_version\": 1,", "\"schema_version\": 1, \"secretfield\": \"hunter2\",");
	ck_assert_int_eq(plain(bad, strlen(bad), reason), VT_REJ_SCHEMA);
	ck_assert_ptr_null(strstr(reason, "hunter2"));
	ck_assert_ptr_null(strstr(reason, "secretfield"));
	free(bad);
	bad = replaced(json, "\"github\"", "\"notlisted\"");
	ck_assert_int_eq(plain(bad, strlen(bad), reason), VT_REJ_NAME);
	ck_assert_ptr_null(strstr(reason, "notlisted"));
	free(bad);
	bad = replaced(json, "\"github\"", "\"GitHub\""); /* listed, not as spelled */
	ck_assert_int_eq(plain(bad, strlen(bad), reason), VT_REJ_NAME);
	free(bad);
	bad = replaced(json, "\"sessions\": 0", "\"sessions\": 2251799813685248");
	ck_assert_int_eq(plain(bad, strlen(bad), reason), VT_REJ_RANGE);
	free(bad);
	bad = replaced(json, "\"sessions\": 0", "\"sessions\": 1");
	ck_assert_int_eq(plain(bad, strlen(bad), reason), VT_REJ_SCHEMA);
	ck_assert_ptr_nonnull(strstr(reason, "report_id"));
	free(bad);
	bad = replaced(json, "\"" IID "\"", "null");
	ck_assert_int_eq(plain(bad, strlen(bad), reason), VT_REJ_SCHEMA);
	free(bad);
	ck_assert_int_eq(plain("{", 1, reason), VT_REJ_JSON);
	ck_assert_int_eq(plain("", 0, reason), VT_REJ_JSON);
	free(json);
	json = report("day", START, DAY, "other", &n);
	ck_assert_int_eq(plain(json, n, reason), VT_REJ_NONE);
	free(json);
}
END_TEST

START_TEST(test_periods)
{
	size_t n;
	char reason[256];
	char *json;

	json = report("hour", START + 3600, 3600, "github", &n);
	ck_assert_int_eq(plain(json, n, reason), VT_REJ_NONE);
	free(json);
	json = report("week", START - 8 * DAY, 7 * DAY, "github", &n); /* Monday */
	ck_assert_int_eq(plain(json, n, reason), VT_REJ_NONE);
	free(json);
	json = report("week", START - 7 * DAY, 7 * DAY, "github", &n); /* Tuesday */
	ck_assert_int_eq(plain(json, n, reason), VT_REJ_PERIOD);
	free(json);
	/* not over: 'run --flush' closes the current week (it was refused,
	 * and every run exited 4 until the week was over) */
	json = report("week", START - DAY, 7 * DAY, "github", &n);
	ck_assert_int_eq(plain(json, n, reason), VT_REJ_NONE);
	free(json);
	json = report("week", START + 6 * DAY, 7 * DAY, "github", &n); /* ahead */
	ck_assert_int_eq(plain(json, n, reason), VT_REJ_PERIOD);
	free(json);
	json = report("day", START + 60, DAY, "github", &n); /* not a whole day */
	ck_assert_int_eq(plain(json, n, reason), VT_REJ_PERIOD);
	free(json);
	json = report("day", NOW + 2 * DAY, DAY, "github", &n); /* ahead */
	ck_assert_int_eq(plain(json, n, reason), VT_REJ_PERIOD);
	free(json);
	json = report("day", NOW - 500 * (int64_t)DAY, DAY, "github", &n);
	ck_assert_int_eq(plain(json, n, reason), VT_REJ_PERIOD);
	free(json);
	json = report("all", START, DAY, "github", &n);
	ck_assert_int_eq(plain(json, n, reason), VT_REJ_PERIOD);
	free(json);
}
END_TEST

static void total_off(struct vt_summary *s)
{
	s->tool_calls = 1000000;
}

static void malformed_off(struct vt_summary *s)
{
	s->quality.lines_malformed = 3;
}

static void unrecognized_off(struct vt_summary *s)
{
	s->quality.lines_unrecognized = 2;
}

static void hour_before(struct vt_summary *s)
{
	s->nhours = 1;
	s->hours[0] = (struct vt_hour_count){ s->start - 3600, 5 };
}

static void hour_at_end(struct vt_summary *s)
{
	s->nhours = 1;
	s->hours[0] = (struct vt_hour_count){ s->end, 5 };
}

static void hour_last(struct vt_summary *s)
{
	s->nhours = 2;
	s->hours[0] = (struct vt_hour_count){ s->start, 2 };
	s->hours[1] = (struct vt_hour_count){ s->end - 3600, 3 };
}

static void sums_kept(struct vt_summary *s)
{
	s->quality.malformed_by_reason[0] = 2;
	s->quality.malformed_by_reason[1] = 1;
	s->quality.lines_malformed = 3;
}

/* The content against itself and its period. */
START_TEST(test_content)
{
	static const edit_fn bad[] = { total_off, malformed_off,
				       unrecognized_off, hour_before,
				       hour_at_end };
	static const edit_fn good[] = { hour_last, sums_kept };
	char reason[256];
	size_t n;
	char *json;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json = report_edited("day", START, DAY, "github", bad[i], &n);
		ck_assert_int_eq(plain(json, n, reason), VT_REJ_RANGE);
		free(json);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		json = report_edited("day", START, DAY, "github", good[i], &n);
		ck_assert_msg(plain(json, n, reason) == VT_REJ_NONE, "%s", reason);
		free(json);
	}
	/* The backend tails are not names of the allowlist. */
	for (size_t i = 0; i < VT_BACKEND_TAILS; i++) {
		json = report("day", START, DAY, vt_backend_tail_names[i], &n);
		ck_assert_msg(plain(json, n, reason) == VT_REJ_NONE, "%s: %s",
			      vt_backend_tail_names[i], reason);
		free(json);
	}
}
END_TEST

Suite *collector_suite(void);
Suite *collector_suite(void)
{
	Suite *s = suite_create("collector");
	TCase *tc = tcase_create("ingest");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_valid_gzip_and_identity);
	tcase_add_test(tc, test_types_and_encodings);
	tcase_add_test(tc, test_inflate_caps);
	tcase_add_test(tc, test_fields_names_numbers);
	tcase_add_test(tc, test_periods);
	tcase_add_test(tc, test_content);
	suite_add_tcase(s, tc);
	return s;
}
