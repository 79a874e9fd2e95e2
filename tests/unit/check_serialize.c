/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: aggregate serialization round trips and damage detection. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../aggregator/agg.h"
#include "../../parser/rules.h"
#include "../../util/hash.h"

static const char *const lines[] = {
	"{\"time\":\"2026-08-21T10:00:00Z\",\"level\":\"INFO\",\"msg\":\"Loading configuration from: /x\"}",
	"{\"time\":\"2026-08-21T10:00:00Z\",\"level\":\"INFO\",\"msg\":\"  Conflict Resolution: priority\"}",
	"{\"time\":\"2026-08-21T10:00:01Z\",\"level\":\"INFO\",\"msg\":\"Discovered 5 backends\"}",
	"{\"time\":\"2026-08-21T10:00:01Z\",\"level\":\"INFO\",\"msg\":\"detected dynamic backend discovery mode (outgoingAuth.source: discovered)\"}",
	"{\"time\":\"2026-08-21T10:00:01Z\",\"level\":\"INFO\",\"msg\":\"using Redis session storage\",\"address\":\"r:6379\",\"db\":0,\"key_prefix\":\"v:\"}",
	"{\"time\":\"2026-08-21T10:00:02Z\",\"level\":\"INFO\",\"msg\":\"starting Virtual MCP Server\"}",
	"{\"time\":\"2026-08-21T10:01:00Z\",\"level\":\"INFO\",\"msg\":\"starting workflow execution\",\"workflow\":\"w\"}",
	"{\"time\":\"2026-08-21T10:01:01Z\",\"level\":\"ERROR\",\"msg\":\"workflow failed\",\"workflow\":\"w\",\"error\":\"x\"}",
	"{\"time\":\"2026-08-21T10:01:02Z\",\"level\":\"INFO\",\"msg\":\"session capabilities injected from core\",\"session_id\":\"s\",\"tool_count\":2}",
	"{\"time\":\"2026-08-21T10:01:03Z\",\"level\":\"WARN\",\"msg\":\"backend health degraded\",\"backend\":\"b\",\"status\":\"unhealthy\"}",
	"{\"time\":\"2026-08-21T10:01:04Z\",\"level\":\"INFO\",\"msg\":\"starting health monitoring for new backend\",\"backend\":\"b\"}",
	"{\"time\":\"2026-08-21T10:10:00Z\",\"level\":\"AUDIT\",\"msg\":\"audit_event\",\"type\":\"mcp_tool_call\",\"outcome\":\"success\",\"metadata\":{\"extra\":{\"backend_name\":\"github\",\"duration_ms\":42}}}",
	"{\"time\":\"2026-08-21T11:10:00Z\",\"level\":\"AUDIT\",\"msg\":\"audit_event\",\"type\":\"mcp_tool_call\",\"outcome\":\"denied\",\"metadata\":{\"extra\":{\"backend_name\":\"jira\",\"duration_ms\":7}}}",
	"{\"time\":\"2026-08-21T11:20:00Z\",\"level\":\"AUDIT\",\"msg\":\"audit_event\",\"type\":\"mcp_initialize\",\"outcome\":\"success\",\"target\":{\"name\":\"claude-code\"}}",
	"not json at all",
};

struct fixture {
	struct vt_allowlist *servers, *clients;
	struct vt_agg_config cfg;
};

static void setup(struct fixture *f, const char *servers)
{
	char err[200];

	f->servers = vt_allowlist_new();
	f->clients = vt_allowlist_new();
	ck_assert_int_eq(vt_allowlist_load(f->servers, servers, strlen(servers),
					   "t", err, sizeof(err)), VT_OK);
	ck_assert_int_eq(vt_allowlist_load(f->clients, "claude-code\n", 12,
					   "t", err, sizeof(err)), VT_OK);
	memset(&f->cfg, 0, sizeof(f->cfg));
	f->cfg.period_seconds = 3600;
	f->cfg.servers = f->servers;
	f->cfg.clients = f->clients;
}

static void done(struct fixture *f)
{
	vt_allowlist_free(f->servers);
	vt_allowlist_free(f->clients);
}

static struct vt_agg *build(struct fixture *f)
{
	struct vt_agg *a = vt_agg_new(&f->cfg);
	struct vt_decoder *d = vt_decoder_new(4096);
	struct vt_rules *r = vt_rules_new();
	struct vt_origin o = { 11, 22 };
	char err[200];

	ck_assert_int_eq(vt_rules_load_default(r, err, sizeof(err)), VT_OK);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct vt_record rec;
		struct vt_fact facts[VT_FACT_COUNT];
		size_t n = 0;

		vt_decode_line(d, lines[i], strlen(lines[i]), &rec);
		if (rec.cls == VT_LINE_APP)
			n = vt_rules_match(r, &rec, facts, VT_FACT_COUNT);
		vt_agg_line(a, &o, &rec, facts, n, VT_WRAP_NONE);
	}
	vt_rules_free(r);
	vt_decoder_free(d);
	return a;
}

static void same_summaries(const struct vt_agg *x, const struct vt_agg *y)
{
	struct vt_summary *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

	ck_assert_uint_eq(vt_agg_period_count(x), vt_agg_period_count(y));
	for (size_t i = 0; i < vt_agg_period_count(x); i++) {
		vt_agg_summarize(x, i, a);
		vt_agg_summarize(y, i, b);
		ck_assert_int_eq(memcmp(a, b, sizeof(*a)), 0);
	}
	free(a);
	free(b);
}

START_TEST(round_trip)
{
	struct fixture f;
	struct vt_buf b1, b2;
	struct vt_agg *a, *c = NULL;

	setup(&f, "github\njira\n");
	a = build(&f);
	ck_assert_uint_eq(vt_agg_period_count(a), 2);
	vt_buf_init(&b1, 1 << 20);
	vt_buf_init(&b2, 1 << 20);
	ck_assert_int_eq(vt_agg_encode(a, &b1), VT_OK);
	ck_assert_int_eq(vt_agg_decode(&f.cfg, b1.ptr, b1.len, &c), VT_OK);
	same_summaries(a, c);
	/* encode(decode(x)) == x: nothing is lost or invented */
	ck_assert_int_eq(vt_agg_encode(c, &b2), VT_OK);
	ck_assert_uint_eq(b1.len, b2.len);
	ck_assert_int_eq(memcmp(b1.ptr, b2.ptr, b1.len), 0);
	vt_agg_free(a);
	vt_agg_free(c);
	vt_buf_release(&b1);
	vt_buf_release(&b2);
	done(&f);
}
END_TEST

START_TEST(damage_is_refused)
{
	struct fixture f;
	struct vt_buf b;
	struct vt_agg *a, *c = NULL;

	setup(&f, "github\n");
	a = build(&f);
	vt_buf_init(&b, 1 << 20);
	ck_assert_int_eq(vt_agg_encode(a, &b), VT_OK);
	for (size_t i = 0; i < b.len; i++) {
		b.ptr[i] ^= 0x20;
		ck_assert_int_ne(vt_agg_decode(&f.cfg, b.ptr, b.len, &c), VT_OK);
		b.ptr[i] ^= 0x20;
	}
	for (size_t n = 0; n < b.len; n++)
		ck_assert_int_eq(vt_agg_decode(&f.cfg, b.ptr, n, &c),
				 VT_ERR_CORRUPT);
	ck_assert_ptr_null(c);
	vt_agg_free(a);
	vt_buf_release(&b);
	done(&f);
}
END_TEST

/*
 * Found by fuzz_agg (tests/fuzz/regressions/fuzz_agg/hour-overflow): an
 * encoding with a valid checksum but an hour index far out of any year
 * was taken, and turning it into seconds overflowed. Times outside the
 * years a timestamp can have are refused as damage.
 */
START_TEST(times_out_of_range_are_refused)
{
	static unsigned char in[4096];
	struct fixture f;
	struct vt_agg *c = NULL;
	FILE *fp = fopen(VT_SOURCE_DIR "/tests/fuzz/regressions/fuzz_agg/hour-overflow",
			 "rb");
	size_t n;
	uint32_t crc;

	ck_assert_ptr_nonnull(fp);
	n = fread(in, 1, sizeof(in), fp);
	fclose(fp);
	ck_assert_uint_gt(n, 9);
	crc = vt_crc32(0, in, n - 4);
	for (int i = 0; i < 4; i++)
		in[n - 4 + (size_t)i] = (unsigned char)(crc >> (8 * i));
	setup(&f, "github\n");
	for (size_t i = 0; i < 4; i++) {
		static const int64_t periods[] = { 0, 3600, 86400, 7 * 86400 };

		f.cfg.period_seconds = periods[i];
		ck_assert_int_eq(vt_agg_decode(&f.cfg, (const char *)in, n, &c),
				 VT_ERR_CORRUPT);
		ck_assert_ptr_null(c);
	}
	done(&f);
}
END_TEST

START_TEST(newer_version_is_refused)
{
	struct fixture f;
	struct vt_buf b;
	struct vt_agg *a, *c = NULL;
	uint32_t crc;

	setup(&f, "github\n");
	a = build(&f);
	vt_buf_init(&b, 1 << 20);
	ck_assert_int_eq(vt_agg_encode(a, &b), VT_OK);
	b.ptr[4] = VT_AGG_FORMAT_VERSION + 1;
	crc = vt_crc32(0, b.ptr, b.len - 4);
	for (int i = 0; i < 4; i++)
		b.ptr[b.len - 4 + (size_t)i] = (char)(crc >> (8 * i));
	ck_assert_int_eq(vt_agg_decode(&f.cfg, b.ptr, b.len, &c),
			 VT_ERR_VERSION);
	vt_agg_free(a);
	vt_buf_release(&b);
	done(&f);
}
END_TEST

START_TEST(names_survive_a_changed_allowlist)
{
	struct fixture f, g;
	struct vt_buf b;
	struct vt_agg *a, *c = NULL;
	struct vt_summary *s = calloc(1, sizeof(*s));

	setup(&f, "github\njira\n");
	setup(&g, "zzz\njira\n"); /* github gone, jira at another index */
	a = build(&f);
	vt_buf_init(&b, 1 << 20);
	ck_assert_int_eq(vt_agg_encode(a, &b), VT_OK);
	ck_assert_int_eq(vt_agg_decode(&g.cfg, b.ptr, b.len, &c), VT_OK);
	vt_agg_summarize(c, 0, s);
	ck_assert_uint_eq(s->nbackends, 1);
	ck_assert_str_eq(s->backends[0].name, "other");
	vt_agg_summarize(c, 1, s);
	ck_assert_uint_eq(s->nbackends, 1);
	ck_assert_str_eq(s->backends[0].name, "jira");
	ck_assert_uint_eq(s->conflict[VT_CONFLICT_PRIORITY], 1);
	free(s);
	vt_agg_free(a);
	vt_agg_free(c);
	vt_buf_release(&b);
	done(&f);
	done(&g);
}
END_TEST

Suite *serialize_suite(void);

Suite *serialize_suite(void)
{
	Suite *s = suite_create("serialize");
	TCase *tc = tcase_create("serialize");

	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, damage_is_refused);
	tcase_add_test(tc, times_out_of_range_are_refused);
	tcase_add_test(tc, newer_version_is_refused);
	tcase_add_test(tc, names_survive_a_changed_allowlist);
	suite_add_tcase(s, tc);
	return s;
}
