/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Conformance of data/rules.conf with what vMCP writes: every verbatim
 * line of tests/unit/conformance-lines gives the fact it names (or, for a
 * near-miss, none of that kind), and every rule of the table, loaded
 * alone, matches at least one of the lines with its fact and value.
 */
#include "../../parser/rules.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *conformance_suite(void);

#define MAX_FACTS 16

struct cline {
	int positive;
	enum vt_fact_kind kind;
	char value[64]; /* "" for "-" */
	const char *json;
	size_t len;
};

static char *text;
static struct cline lines[256];
static size_t nlines;

/* Splits "<+|!> fact [value] json" lines; '#' and blank lines skipped. */
static void load_lines(void)
{
	size_t len;
	char *p;

	text = vt_test_read_all(VT_SOURCE_DIR "/tests/unit/conformance-lines",
				&len);
	text = realloc(text, len + 1);
	ck_assert_ptr_nonnull(text);
	text[len] = '\0';
	nlines = 0;
	for (p = text; *p;) {
		char *nl = strchr(p, '\n'), *sp;
		struct cline *c = &lines[nlines];

		if (nl)
			*nl = '\0';
		if (*p == '+' || *p == '!') {
			ck_assert_uint_lt(nlines, VT_ARRAY_LEN(lines));
			c->positive = *p == '+';
			p += 2;
			sp = strchr(p, ' ');
			ck_assert_ptr_nonnull(sp);
			ck_assert_msg(vt_fact_kind_parse(p, (size_t)(sp - p),
							 &c->kind) == 0,
				      "unknown fact in conformance-lines");
			p = sp + 1;
			c->value[0] = '\0';
			if (c->positive) {
				sp = strchr(p, ' ');
				ck_assert_ptr_nonnull(sp);
				if (!(sp - p == 1 && *p == '-'))
					snprintf(c->value, sizeof(c->value),
						 "%.*s", (int)(sp - p), p);
				p = sp + 1;
			}
			c->json = p;
			c->len = strlen(p);
			nlines++;
		}
		p = nl ? nl + 1 : p + strlen(p);
	}
	ck_assert_uint_gt(nlines, 50);
}

/* Whether r gives fact c->kind (with c->value, when it has one). */
static int gives(struct vt_decoder *dec, struct vt_rules *r,
		 const struct cline *c, int check_value)
{
	struct vt_record rec;
	struct vt_fact facts[MAX_FACTS];

	vt_decode_line(dec, c->json, c->len, &rec);
	ck_assert_msg(rec.cls == VT_LINE_APP, "not an app line: %s", c->json);
	size_t n = vt_rules_match(r, &rec, facts, MAX_FACTS);
	for (size_t i = 0; i < n; i++) {
		if (facts[i].kind != c->kind)
			continue;
		if (!check_value || !c->value[0])
			return 1;
		return facts[i].value.len == strlen(c->value) &&
		       memcmp(facts[i].value.ptr, c->value,
			      facts[i].value.len) == 0;
	}
	return 0;
}

START_TEST(lines_give_their_facts)
{
	struct vt_decoder *dec = vt_decoder_new(64 * 1024);
	struct vt_rules *r = vt_rules_new();
	char err[256] = "";

	load_lines();
	ck_assert_int_eq(vt_rules_load_default(r, err, sizeof(err)), VT_OK);
	for (size_t i = 0; i < nlines; i++) {
		const struct cline *c = &lines[i];

		if (c->positive)
			ck_assert_msg(gives(dec, r, c, 1), "no %s %s: %s",
				      vt_fact_kind_names[c->kind], c->value,
				      c->json);
		else
			ck_assert_msg(!gives(dec, r, c, 0),
				      "near-miss gives %s: %s",
				      vt_fact_kind_names[c->kind], c->json);
	}
	vt_rules_free(r);
	vt_decoder_free(dec);
	free(text);
}
END_TEST

/* Each rule line of the shipped table, alone, matches some "+" line. */
START_TEST(every_rule_is_exercised)
{
	struct vt_decoder *dec = vt_decoder_new(64 * 1024);
	size_t len, rules = 0;
	char *conf = vt_test_read_all(VT_SOURCE_DIR "/data/rules.conf", &len);
	char *p = conf, *end = conf + len;

	load_lines();
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char err[256] = "";

		if (n && *p != '#') {
			struct vt_rules *r = vt_rules_new();
			int hit = 0;

			ck_assert_int_eq(vt_rules_load(r, p, n, "rule", err,
						       sizeof(err)), VT_OK);
			ck_assert_uint_eq(vt_rules_count(r), 1);
			for (size_t i = 0; i < nlines && !hit; i++)
				hit = lines[i].positive &&
				      gives(dec, r, &lines[i], 1);
			ck_assert_msg(hit, "no conformance line for rule: %.*s",
				      (int)n, p);
			vt_rules_free(r);
			rules++;
		}
		p = nl ? nl + 1 : end;
	}
	ck_assert_uint_gt(rules, 40);
	free(conf);
	free(text);
	vt_decoder_free(dec);
}
END_TEST

Suite *conformance_suite(void)
{
	Suite *s = suite_create("conformance");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, lines_give_their_facts);
	tcase_add_test(tc, every_rule_is_exercised);
	suite_add_tcase(s, tc);
	return s;
}
