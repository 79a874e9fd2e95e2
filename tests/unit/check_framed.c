/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for the decoder's fast path: vt_decode_framed, which parses a line
 * together with the newline after it, must give exactly the record
 * vt_decode_line gives, on good lines and on every kind of bad one.
 */
#include "testutil.h"
#include "../../parser/decode.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *framed_suite(void);

#define SCRATCH (1024 * 1024)

static struct vt_decoder *plain, *framed;
static char *buf;

static void setup(void)
{
	plain = vt_decoder_new(SCRATCH);
	framed = vt_decoder_new(SCRATCH);
	/* skim every line it can: AUTO would rest on runs of lines without */
	vt_decoder_set_skim(framed, VT_SKIM_ALWAYS);
	buf = malloc(SCRATCH + 2);
	ck_assert_ptr_nonnull(buf);
}

static void teardown(void)
{
	vt_decoder_free(plain);
	vt_decoder_free(framed);
	free(buf);
}

static int same_sv(struct vt_sv a, struct vt_sv b)
{
	if (!a.ptr != !b.ptr || a.len != b.len)
		return 0;
	return !a.len || memcmp(a.ptr, b.ptr, a.len) == 0;
}

/* Every field of the record a caller may read. */
static int same_record(const struct vt_record *a, const struct vt_record *b)
{
	const struct vt_audit *x = &a->audit, *y = &b->audit;

	if (a->cls != b->cls || a->reason != b->reason ||
	    a->json_valid != b->json_valid || a->has_time != b->has_time ||
	    a->time != b->time || a->field_flags != b->field_flags ||
	    a->nattrs != b->nattrs || !same_sv(a->level, b->level) ||
	    !same_sv(a->msg, b->msg))
		return 0;
	for (size_t i = 0; i < a->nattrs; i++)
		if (!same_sv(a->attrs[i].key, b->attrs[i].key) ||
		    !same_sv(a->attrs[i].value, b->attrs[i].value) ||
		    a->attrs[i].is_string != b->attrs[i].is_string)
			return 0;
	if (a->cls != VT_LINE_AUDIT)
		return 1;
	return x->type == y->type && x->outcome == y->outcome &&
	       x->step_type == y->step_type && x->has_time == y->has_time &&
	       x->time == y->time && x->has_duration == y->has_duration &&
	       x->duration_ms == y->duration_ms &&
	       x->has_backend == y->has_backend &&
	       same_sv(x->backend_name, y->backend_name) &&
	       same_sv(x->target_name, y->target_name) &&
	       same_sv(x->component, y->component) &&
	       x->field_flags == y->field_flags;
}

/*
 * Decodes text both ways, the framed one followed by each possible end:
 * LF, CR (of a CRLF line) and a byte that is not an end of line at all.
 */
static void check_both(const char *text, size_t n, const char *what)
{
	static const char ends[] = { '\n', '\r', 'x', '}' };
	struct vt_record want, got;
	struct vt_decoder *fresh = vt_decoder_new(n + 1);

	ck_assert_uint_le(n, SCRATCH);
	/* a decoder's answer does not depend on the lines it saw before */
	vt_decode_line(fresh, text, n, &got);
	vt_decode_line(plain, text, n, &want);
	ck_assert_msg(same_record(&want, &got),
		      "%s: reused decoder differs: class %d/%d reason %d/%d",
		      what, (int)want.cls, (int)got.cls, want.reason,
		      got.reason);
	vt_decoder_free(fresh);
	for (size_t e = 0; e < sizeof(ends); e++) {
		memcpy(buf, text, n);
		buf[n] = ends[e];
		vt_decode_framed(framed, buf, n, &got);
		ck_assert_msg(same_record(&want, &got),
			      "%s: framed (end 0x%02x) differs: class %d/%d "
			      "reason %d/%d",
			      what, (unsigned char)ends[e], (int)want.cls,
			      (int)got.cls, want.reason, got.reason);
	}
}

static const char *const lines[] = {
	"{\"time\":\"2026-08-21T10:16:52.881934455Z\",\"level\":\"AUDIT\","
	"\"msg\":\"audit_event\",\"audit_id\":\"3f0c2a8e\",\"type\":"
	"\"mcp_tool_call\",\"logged_at\":\"2026-08-21T10:16:52.881917Z\","
	"\"outcome\":\"success\",\"component\":\"vmcp-server\",\"source\":"
	"{\"type\":\"network\",\"value\":\"127.0.0.1\",\"extra\":"
	"{\"user_agent\":\"claude-code/2.0.14\"}},\"subjects\":{\"user\":"
	"\"Anonymous User\",\"user_id\":\"anonymous\"},\"target\":"
	"{\"endpoint\":\"/mcp\",\"method\":\"tools/call\",\"name\":"
	"\"github_create_issue\",\"type\":\"tool\"},\"metadata\":{\"extra\":"
	"{\"backend_name\":\"github\",\"duration_ms\":842,\"transport\":"
	"\"http\"}},\"data\":{\"q\":[1,2.5e3,true,false,null,\"\\u00e9\"]}}",
	"{\"time\":\"2026-08-21T12:15:02+02:00\",\"level\":\"INFO\",\"msg\":"
	"\"Discovered 4 backends\",\"n\":12,\"s\":\"caf\xc3\xa9\"}",
	"{\"level\":\"INFO\",\"msg\":\"esc\\\"aped\",\"n\":-1.5E-3}",
	"  {\"msg\":\"audit_event\",\"type\":\"workflow_step_started\","
	"\"target\":{\"step_type\":\"tool\"},\"outcome\":\"denied\"}\t ",
	"123",
	"-0.5e+7",
	"\"just a string\"",
	"[1,{\"a\":[]},\"x\"]",
	"true",
	"null",
	"{} {}",
	"{}1",
	"{\"a\":1} \"cut",
	"{\"a\":\"\\u12\"}",
	"{\"a\":\"x\xff\"}",
	"{\"a\":\"x\xc3\"}",
	"{\"a\":1,}",
	"{\"a\":01}",
	"{\"a\":1}\f",
	"\v{\"a\":1}",
	"plain text",
	"",
	"   ",
	"\x1f{}",
	"]",
	/* objects the fast path hands yajl as {} (see find_skips) */
	"{\"msg\":\"audit_event\",\"type\":\"mcp_initialize\",\"source\":"
	"{\"a\":[1,-0.5e-3,true,false,null,{},[],\"\\u00e9\\n\\\"\\/\"],"
	"\"b\" : { \"c\" :\t1 } },\"target\":{\"source\":{\"name\":\"x\"},"
	"\"name\":\"cursor\"},\"subjects\":{},\"data\":{\"q\":\"x\"},"
	"\"outcome\":\"success\",\"data\":{\"r\":[[[]]]}}",
	"{\"msg\":\"audit_event\",\"x\":\"a,\\\"source\\\":{\\\"b\\\":1}\","
	"\"source\":[{\"c\":1}],\"type\":\"mcp_ping\"}",
	"{\"msg\":\"audit_event\",\"source\":{\"a\":01},\"type\":\"mcp_ping\"}",
	"{\"msg\":\"audit_event\",\"source\":{\"a\":\"caf\xc3\xa9\"}}",
	"{\"msg\":\"audit_event\",\"source\":{\"a\":1}}}",
	"{\"msg\":\"audit_event\",\"source\":{\"a\":1}",
	"{\"msg\":\"a\",\"x\":\"x,\"source\":{\"b\":1}}",
	"{\"level\":\"INFO\",\"msg\":\"m\",\"data\":{\"k\":\"v\"},\"n\":2}",
	"{\"msg\":\"audit_event\",\"source\":{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
	"]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}",
};

START_TEST(fixed_lines)
{
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		check_both(lines[i], strlen(lines[i]), lines[i]);
	/* NUL bytes inside and after a value */
	check_both("{\"a\":\"b\0c\"}", 11, "nul inside");
	check_both("{\"a\":1}\0", 8, "nul after");
}
END_TEST

/* Every prefix of a good line: cut inside keys, strings, numbers, literals. */
START_TEST(every_prefix)
{
	char what[64];

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		size_t n = strlen(lines[i]);

		for (size_t k = 0; k <= n; k++) {
			snprintf(what, sizeof(what), "line %zu cut at %zu", i,
				 k);
			check_both(lines[i], k, what);
		}
	}
}
END_TEST

/* One byte changed, anywhere, to each byte that matters to a lexer. */
START_TEST(every_mutation)
{
	static const char subst[] = { '"', '\\', '{', '}', '[', ']', ',',
				      ':', '0', ' ', '\n', '\f', '\0', '\x7f',
				      'e', '-', 'u', '\x80', '\xff' };
	static const size_t which[] = { 0, 25 }; /* lines[] with skims */
	char line[1024], what[64];

	for (size_t w = 0; w < sizeof(which) / sizeof(which[0]); w++) {
		const char *orig = lines[which[w]];
		size_t n = strlen(orig);

		ck_assert_uint_lt(n, sizeof(line));
		for (size_t k = 0; k < n; k++)
			for (size_t j = 0; j < sizeof(subst); j++) {
				memcpy(line, orig, n);
				line[k] = subst[j];
				snprintf(what, sizeof(what),
					 "line %zu byte %zu set to 0x%02x",
					 which[w], k, (unsigned char)subst[j]);
				check_both(line, n, what);
			}
	}
}
END_TEST

/* JSONTestSuite: whole files, some with newlines of their own. */
START_TEST(json_test_suite)
{
	struct vt_test_json *cases;
	size_t n = vt_test_json_corpus(&cases);

	for (size_t i = 0; i < n; i++)
		if (cases[i].len <= SCRATCH)
			check_both(cases[i].text, cases[i].len, cases[i].name);
	vt_test_json_free(cases, n);
	ck_assert_uint_ge(n, 330);
}
END_TEST

/* Each line of the test fixtures, as the framer hands them out. */
START_TEST(fixture_lines)
{
	static const char *const files[] = {
		"fixtures/input/events.jsonl", "fixtures/input/malformed.jsonl",
		"fixtures/input/private.jsonl", "fixtures/input/garbage.bin",
	};
	size_t total = 0;

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		char path[4096], what[128];
		size_t len, start = 0, no = 0;

		snprintf(path, sizeof(path), "%s/%s", VT_SOURCE_DIR, files[f]);
		char *text = vt_test_read_all(path, &len);
		for (size_t i = 0; i <= len; i++) {
			if (i < len && text[i] != '\n')
				continue;
			size_t n = i - start;

			if (n && text[start + n - 1] == '\r')
				n--;
			snprintf(what, sizeof(what), "%s line %zu", files[f],
				 ++no);
			check_both(text + start, n, what);
			start = i + 1;
			total++;
		}
		free(text);
	}
	ck_assert_uint_ge(total, 40);
}
END_TEST

Suite *framed_suite(void)
{
	Suite *s = suite_create("framed");
	TCase *tc = tcase_create("same");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, fixed_lines);
	tcase_add_test(tc, every_prefix);
	tcase_add_test(tc, every_mutation);
	tcase_add_test(tc, json_test_suite);
	tcase_add_test(tc, fixture_lines);
	suite_add_tcase(s, tc);
	return s;
}
