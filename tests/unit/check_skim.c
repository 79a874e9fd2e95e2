/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests for parser/skim.h: vt_skim_value accepts only valid JSON (what
 * yajl accepts too), spans exactly the value, and refuses what it does
 * not take (the caller then lets yajl decide).
 */
#include "testutil.h"
#include "../../parser/decode.h"
#include "../../parser/skim.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *skim_suite(void);

static size_t skim(const char *s)
{
	return vt_skim_value(s, strlen(s));
}

START_TEST(accepts_and_spans)
{
	static const struct {
		const char *text;
		size_t len;
	} good[] = {
		{ "{}", 2 },
		{ "[]", 2 },
		{ "{\"a\":1}", 7 },
		{ "{\"a\":1},\"b\":2", 7 },
		{ "{ \"a\" :\t[ 1 ,2\r, {} ] }", 23 },
		{ "[\"\\u00e9\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", 26 },
		{ "[0,-0,1.5,-1.5e10,2E+3,7e-0,123456789012345678901234567890]", 59 },
		{ "[1]]", 3 },
		{ "[true,false,null]", 17 },
		{ "\"plain\"x", 7 },
		{ "-12}", 3 },
		{ "{\"\":\"\"}", 7 },
		{ "{\"k\":\"a string longer than sixteen bytes, and more\"}", 52 },
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(skim(good[i].text) == good[i].len,
			      "'%s': %zu, want %zu", good[i].text,
			      skim(good[i].text), good[i].len);
}
END_TEST

START_TEST(refuses)
{
	static const char *const bad[] = {
		"", "{", "[", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]",
		"{a:1}", "{\"a\" 1}", "[01]", "[1.]", "[.5]", "[+1]", "[1e]",
		"[-]", "[tru]", "[truex]", "[nul]", "[1 2]", "{\"a\":1 \"b\":2}",
		"[\"\\x\"]", "[\"\\u12\"]", "[\"\\u12g4\"]", "[\"a\tb\"]",
		"[\"a\x7f\"]", "[\"caf\xc3\xa9\"]", "[\"\xff\"]", "[\f1]",
		"[\v1]", "[\n1]", "{]", "[}", "\"unterminated",
		"[\"a\\\"]", "'a'", "[NaN]", "[Infinity]", "[0x10]",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(skim(bad[i]) == 0 || bad[i][0] == '\0',
			      "'%s' accepted (%zu)", bad[i], skim(bad[i]));
	ck_assert_uint_eq(skim(""), 0);
	/* a NUL byte anywhere inside */
	ck_assert_uint_eq(vt_skim_value("[\"a\0\"]", 6), 0);
	ck_assert_uint_eq(vt_skim_value("[1,\0]", 5), 0);
	/* the length bounds the text: a value cut short is refused */
	ck_assert_uint_eq(vt_skim_value("{\"a\":1}", 6), 0);
	ck_assert_uint_eq(vt_skim_value("\"abcdefghijklmnopq\"", 18), 0);
}
END_TEST

START_TEST(depth_limit)
{
	char text[2 * VT_SKIM_DEPTH + 8];
	size_t n;

	for (size_t d = VT_SKIM_DEPTH - 1; d <= VT_SKIM_DEPTH + 1; d++) {
		memset(text, '[', d);
		memset(text + d, ']', d);
		n = vt_skim_value(text, 2 * d);
		ck_assert_uint_eq(n, d <= VT_SKIM_DEPTH ? 2 * d : 0);
	}
}
END_TEST

/* Every prefix of a valid object is refused, but the whole one. */
START_TEST(prefixes)
{
	const char *obj = "{\"type\":\"network\",\"value\":\"10.224.101.224\","
			  "\"extra\":{\"user_agent\":\"claude-code/2.0.14\","
			  "\"n\":[1,2.5e-3,true,null],\"e\":\"\\u00e9\"}}";
	size_t n = strlen(obj);

	ck_assert_uint_eq(vt_skim_value(obj, n), n);
	for (size_t k = 0; k < n; k++)
		ck_assert_msg(vt_skim_value(obj, k) == 0, "prefix %zu", k);
}
END_TEST

/* vt_skim_find: which objects, in order, and what it counts as wasted. */
START_TEST(find_members)
{
	const char *line =
		"{\"msg\":\"audit_event\",\"source\":{\"type\":\"network\"},"
		"\"xsource\":{\"a\":1},\"s\":\",\\\"data\\\":{}\","
		"\"target\":{\"name\":\"t\",\"data\":{\"b\":[1]}},"
		"\"subjects\":{\"user\":\"caf\xc3\xa9\"},\"delegation\":{},"
		"\"data\":[1],\"data\":{\"q\":\"x\"}}";
	static const char *const want[] = {
		"{\"type\":\"network\"}", "{\"b\":[1]}", "{}", "{\"q\":\"x\"}",
	};
	struct vt_skim_range r[8];
	unsigned wasted = 0;
	int n = vt_skim_find(line, strlen(line), r, 8, &wasted);

	ck_assert_int_eq(n, 4);
	ck_assert_uint_eq(wasted, 1); /* subjects: not ASCII */
	for (int i = 0; i < n; i++) {
		size_t len = r[i].end - r[i].start;

		ck_assert_msg(len == strlen(want[i]) &&
				      memcmp(line + r[i].start, want[i], len) == 0,
			      "range %d is '%.*s'", i, (int)len,
			      line + r[i].start);
		ck_assert(i == 0 || r[i].start >= r[i - 1].end);
	}
	/* at most max */
	wasted = 0;
	ck_assert_int_eq(vt_skim_find(line, strlen(line), r, 2, &wasted), 2);
	ck_assert_uint_eq(r[1].start, (size_t)(strstr(line, "{\"b\"") - line));
	/* none in a slog line */
	const char *slog = "{\"msg\":\"m\",\"data\":1,\"n\":{}}";
	ck_assert_int_eq(vt_skim_find(slog, strlen(slog), r, 8, &wasted), 0);
}
END_TEST

/*
 * JSONTestSuite: what skimming takes whole, yajl takes too; no file that
 * must be refused is taken; and it takes many of those that must not be.
 */
START_TEST(json_test_suite)
{
	struct vt_decoder *dec = vt_decoder_new(1 << 20);
	struct vt_test_json *cases;
	size_t n = vt_test_json_corpus(&cases), taken = 0;

	for (size_t i = 0; i < n; i++) {
		const char *text = cases[i].text, *name = cases[i].name;
		size_t len = cases[i].len;
		size_t got = len ? vt_skim_value(text, len) : 0;
		struct vt_record r;

		/* whitespace yajl would skip may end a file */
		while (got && got < len && (text[got] == ' ' ||
					    text[got] == '\n'))
			got++;
		if (got == len && len) {
			vt_decode_line(dec, text, len, &r);
			ck_assert_msg(r.json_valid, "%s: skimmed, yajl refuses",
				      name);
			ck_assert_msg(name[0] != 'n', "%s: skimmed", name);
			taken++;
		}
	}
	vt_test_json_free(cases, n);
	vt_decoder_free(dec);
	ck_assert_uint_ge(taken, 60);
}
END_TEST

Suite *skim_suite(void)
{
	Suite *s = suite_create("skim");
	TCase *tc = tcase_create("value");

	tcase_add_test(tc, accepts_and_spans);
	tcase_add_test(tc, refuses);
	tcase_add_test(tc, depth_limit);
	tcase_add_test(tc, prefixes);
	tcase_add_test(tc, find_members);
	tcase_add_test(tc, json_test_suite);
	suite_add_tcase(s, tc);
	return s;
}
