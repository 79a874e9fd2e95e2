/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for parser/rules.h: the built-in table, user rules, cloning. */
#include "../../parser/rules.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *rules_suite(void);

#define MAX_FACTS 8

static struct vt_decoder *dec;
static struct vt_rules *rules;
static struct vt_record rec;
static struct vt_fact facts[MAX_FACTS];

static void setup(void)
{
	char err[256] = "";

	dec = vt_decoder_new(64 * 1024);
	rules = vt_rules_new();
	ck_assert_int_eq(vt_rules_load_default(rules, err, sizeof(err)),
			 VT_OK);
}

static void setup_empty(void)
{
	dec = vt_decoder_new(64 * 1024);
	rules = vt_rules_new();
}

static void teardown(void)
{
	vt_rules_free(rules);
	vt_decoder_free(dec);
	rules = NULL;
	dec = NULL;
}

static int sv_is(struct vt_sv v, const char *lit)
{
	return v.len == strlen(lit) &&
	       (v.len == 0 || (v.ptr && memcmp(v.ptr, lit, v.len) == 0));
}

/* Decodes an app line with msg and extra JSON members; matches it. */
static size_t match_in(struct vt_rules *r, const char *msg, const char *more)
{
	static char line[1024]; /* rec and facts point into it */

	snprintf(line, sizeof(line),
		 "{\"time\":\"2026-08-21T10:15:02Z\",\"level\":\"INFO\","
		 "\"msg\":\"%s\"%s%s}",
		 msg, more ? "," : "", more ? more : "");
	vt_decode_line(dec, line, strlen(line), &rec);
	ck_assert_msg(rec.cls == VT_LINE_APP, "not an app line: %s", line);
	return vt_rules_match(r, &rec, facts, MAX_FACTS);
}

static size_t match(const char *msg, const char *more)
{
	return match_in(rules, msg, more);
}

/* The one fact a message gives, with its value (NULL: no value). */
static void expect_one(const char *msg, const char *more,
		       enum vt_fact_kind kind, const char *value)
{
	size_t n = match(msg, more);

	ck_assert_msg(n == 1, "'%s': %zu facts", msg, n);
	ck_assert_msg(facts[0].kind == kind, "'%s': fact %s, want %s", msg,
		      vt_fact_kind_names[facts[0].kind],
		      vt_fact_kind_names[kind]);
	if (value)
		ck_assert_msg(sv_is(facts[0].value, value),
			      "'%s': value '%.*s', want '%s'", msg,
			      (int)facts[0].value.len,
			      facts[0].value.ptr ? facts[0].value.ptr : "",
			      value);
	else
		ck_assert_uint_eq(facts[0].value.len, 0);
}

/*
 * The two facts a message gives: kind with value, and before it (the
 * rules' order) first, with no value.
 */
static void expect_two(const char *msg, const char *more,
		       enum vt_fact_kind first, enum vt_fact_kind kind,
		       const char *value)
{
	size_t n = match(msg, more);

	ck_assert_msg(n == 2, "'%s': %zu facts", msg, n);
	ck_assert_int_eq(facts[0].kind, first);
	ck_assert_uint_eq(facts[0].value.len, 0);
	ck_assert_int_eq(facts[1].kind, kind);
	ck_assert_msg(sv_is(facts[1].value, value), "'%s': value '%.*s'", msg,
		      (int)facts[1].value.len,
		      facts[1].value.ptr ? facts[1].value.ptr : "");
}

/* Rules in data/rules.conf: lines that are neither blank nor comments. */
static size_t rules_conf_count(void)
{
	FILE *fp = fopen(VT_SOURCE_DIR "/data/rules.conf", "r");
	char line[1024];
	size_t n = 0;

	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp)) {
		const char *p = line;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != '#' && *p != '\n' && *p != '\r')
			n++;
	}
	fclose(fp);
	return n;
}

START_TEST(default_table_loads)
{
	size_t n = rules_conf_count();

	ck_assert_uint_gt(n, 10);
	ck_assert_uint_eq(vt_rules_count(rules), n);
}
END_TEST

START_TEST(default_process_and_config)
{
	expect_one("Loading configuration from: /x", NULL,
		   VT_FACT_CONFIG_LOAD, NULL);
	expect_one("Loading configuration from: /etc/vmcp-config/config.yaml",
		   NULL, VT_FACT_CONFIG_LOAD, NULL);
	expect_one("starting Virtual MCP Server",
		   "\"address\":\"0.0.0.0:4483\",\"endpoint\":\"/mcp\"",
		   VT_FACT_PROCESS_START, NULL);
	ck_assert_uint_eq(match("starting Virtual MCP Server now", NULL), 0);
	ck_assert_uint_eq(match("Starting Virtual MCP Server", NULL), 0);
	ck_assert_uint_eq(match("xLoading configuration from: /x", NULL), 0);
}
END_TEST

START_TEST(default_backends)
{
	expect_one("Discovered 3 backends", NULL, VT_FACT_BACKENDS, "3");
	/* vMCP's format is "Discovered %d backends", whatever the count */
	ck_assert_uint_eq(match("Discovered 1 backend", NULL), 0);
	expect_one("Discovered 120 backends", NULL, VT_FACT_BACKENDS, "120");
	/* the count and the mode */
	ck_assert_uint_eq(match("Static mode: using 4 pre-configured backends",
				NULL), 2);
	ck_assert_int_eq(facts[0].kind, VT_FACT_BACKENDS);
	ck_assert(sv_is(facts[0].value, "4"));
	ck_assert_int_eq(facts[1].kind, VT_FACT_BACKEND_MODE);
	ck_assert(sv_is(facts[1].value, "static"));
	/* a health-filtered runtime count, not the configured one */
	ck_assert_uint_eq(match("capability aggregation complete",
				"\"backends\":3,\"tools\":41"),
			  0);
	ck_assert_uint_eq(match("Discovered many backends", NULL), 0);
	ck_assert_uint_eq(match("Discovering backends in group: g", NULL), 0);
}
END_TEST

START_TEST(default_conflict_and_composite)
{
	expect_one("  Conflict Resolution: priority", NULL, VT_FACT_CONFLICT,
		   "priority");
	expect_one("  Conflict Resolution: prefix  ", NULL, VT_FACT_CONFLICT,
		   "prefix");
	expect_one("using manual conflict resolution strategy", NULL,
		   VT_FACT_CONFLICT, "manual");
	/* a setting (its format) before the strategy */
	expect_two("using prefix conflict resolution strategy",
		   "\"format\":\"{workload}_{name}\"", VT_FACT_SETTING,
		   VT_FACT_CONFLICT, "prefix");
	/* the setting's hash follows every attribute, and only them */
	ck_assert_uint_eq(match("creating Cedar authorization middleware",
				"\"policies\":2"), 2);
	uint64_t two = facts[0].hash;
	ck_assert_uint_eq(match("creating Cedar authorization middleware",
				"\"policies\":3"), 2);
	ck_assert(facts[0].hash != two && two != 0);
	ck_assert_uint_eq(match("creating Cedar authorization middleware",
				"\"policies\":2"), 2);
	ck_assert(facts[0].hash == two);
	ck_assert_uint_eq(match("  Group: team-a", NULL), 1);
	two = facts[0].hash;
	ck_assert_uint_eq(match("  Group: team-b", NULL), 1);
	ck_assert(facts[0].kind == VT_FACT_SETTING && facts[0].hash != two);
	/* never logged through vmcp serve (the validator requires one) */
	ck_assert_uint_eq(match("no aggregation config provided, using "
				"default prefix strategy", NULL), 0);
	/* the two leading spaces matter */
	ck_assert_uint_eq(match("Conflict Resolution: priority", NULL), 0);

	expect_one("Loaded 2 composite tool workflow definitions", NULL,
		   VT_FACT_COMPOSITE_DEFINED, "2");
	ck_assert_uint_eq(match("Loaded 1 composite tool workflow definition",
				NULL), 0);
	expect_one("  Composite Tools: 5 defined", NULL,
		   VT_FACT_COMPOSITE_DEFINED, "5");
}
END_TEST

START_TEST(default_auth_and_features)
{
	expect_one("Creating OIDC incoming authentication middleware", NULL,
		   VT_FACT_INCOMING_AUTH, "oidc");
	expect_one("creating anonymous authentication middleware", NULL,
		   VT_FACT_INCOMING_AUTH, "anonymous");
	expect_one("Creating local authentication middleware", NULL,
		   VT_FACT_INCOMING_AUTH, "local");
	ck_assert_uint_eq(match("creating oidcfoo authentication middleware",
				NULL),
			  0);
	expect_one("backend configured with auth strategy from config",
		   "\"backend\":\"gh\",\"strategy\":\"token_exchange\"",
		   VT_FACT_OUTGOING_AUTH, "token_exchange");
	/* the attribute is always "strategy" */
	ck_assert_uint_eq(match("backend configured with auth strategy from "
				"config", "\"strategy_type\":\"header_injection\""),
			  0);
	ck_assert_uint_eq(match("backend configured with auth strategy from "
				"config",
				"\"backend\":\"gh\""),
			  0);
	expect_one("audit middleware enabled for MCP endpoints", NULL,
		   VT_FACT_FEATURE, "audit");
	/* quick mode's first line when audit is on: a process marker */
	expect_two("audit logging enabled with default configuration", NULL,
		   VT_FACT_QUICK_START, VT_FACT_FEATURE, "audit");
	expect_one("workflow audit logging enabled", NULL, VT_FACT_FEATURE,
		   "audit");
	/* messages vMCP never writes */
	ck_assert_uint_eq(match("Optimizer enabled", NULL), 0);
	ck_assert_uint_eq(match("code mode enabled", NULL), 0);
	expect_one("calling tool on backend",
		   "\"tool\":\"create_issue\",\"backend\":\"github\"",
		   VT_FACT_TOOL_CALL, NULL);
	ck_assert_uint_eq(match("calling tool on backend failed", NULL), 0);
	ck_assert_uint_eq(match("merged capabilities", "\"tools\":3"), 0);
}
END_TEST

START_TEST(escaped_message)
{
	/* the rule sees the unescaped text */
	expect_one("\\u0020 Conflict Resolution: \\u0070riority", NULL,
		   VT_FACT_CONFLICT, "priority");
	ck_assert(facts[0].value.ptr >= rec.msg.ptr &&
		  facts[0].value.ptr + facts[0].value.len <=
			  rec.msg.ptr + rec.msg.len);
}
END_TEST

START_TEST(user_rules_all_values)
{
	static const char text[] =
		"# my rules\n"
		"\n"
		"   \t\n"
		"backends      $2   ^found (\\w+) with (\\d+) backends$\n"
		"tool_call     -    ^did a call$\r\n"
		"outgoing_auth @kind ^outgoing set\n"
		"  feature =yes (?i)^OPT ON$   \n"
		"conflict_resolution =spaced   a b\tc";
	char err[256] = "";

	ck_assert_int_eq(vt_rules_load(rules, text, sizeof(text) - 1,
				       "my.rules", err, sizeof(err)),
			 VT_OK);
	ck_assert_uint_eq(vt_rules_count(rules), 5);
	expect_one("found six with 6 backends", NULL, VT_FACT_BACKENDS, "6");
	expect_one("did a call", NULL, VT_FACT_TOOL_CALL, NULL);
	expect_one("outgoing set", "\"kind\":\"oauth\"", VT_FACT_OUTGOING_AUTH,
		   "oauth");
	expect_one("outgoing set", "\"kind\":2", VT_FACT_OUTGOING_AUTH, "2");
	ck_assert_uint_eq(match("outgoing set", "\"other\":1"), 0);
	expect_one("opt on", NULL, VT_FACT_FEATURE, "yes");
	/* the value is one token; the rest of the line is the pattern */
	expect_one("x a b\\tc y", NULL, VT_FACT_CONFLICT, "spaced");
	ck_assert_uint_eq(match("a b c", NULL), 0);
}
END_TEST

/* The literal a rule starts with is tested first; never wrongly. */
START_TEST(user_rules_literal_start)
{
	static const char text[] = "backends =1 ^abc?d$\n"
				   "backends =2 ^xy|zz$\n"
				   "backends =3 ^lit\\.x$\n"
				   "backends =4 ^q{2}r$\n";
	char err[256] = "";

	ck_assert_int_eq(vt_rules_load(rules, text, sizeof(text) - 1, "u",
				       err, sizeof(err)),
			 VT_OK);
	expect_one("abd", NULL, VT_FACT_BACKENDS, "1");
	expect_one("abcd", NULL, VT_FACT_BACKENDS, "1");
	expect_one("a zz", NULL, VT_FACT_BACKENDS, "2"); /* not anchored */
	expect_one("lit.x", NULL, VT_FACT_BACKENDS, "3");
	ck_assert_uint_eq(match("litax", NULL), 0);
	expect_one("qqr", NULL, VT_FACT_BACKENDS, "4");
	ck_assert_uint_eq(match("ab", NULL), 0);
}
END_TEST

START_TEST(user_rules_first_and_kinds)
{
	static const char text[] = "backends =99 ^Discovered\n"
				   "config_load - ^Discovered (\\d+)\n"
				   "backends =98 backends$\n";
	char err[256] = "";

	ck_assert_int_eq(vt_rules_load(rules, text, sizeof(text) - 1, "u",
				       err, sizeof(err)),
			 VT_OK);
	ck_assert_int_eq(vt_rules_load_default(rules, err, sizeof(err)),
			 VT_OK);
	/* the user's rule comes first and a kind fires once a line */
	size_t n = match("Discovered 3 backends", NULL);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(facts[0].kind, VT_FACT_BACKENDS);
	ck_assert(sv_is(facts[0].value, "99"));
	ck_assert_int_eq(facts[1].kind, VT_FACT_CONFIG_LOAD);
	/* max bounds the facts written */
	const char *line = "{\"level\":\"INFO\",\"msg\":\"Discovered 3 backends\"}";
	vt_decode_line(dec, line, strlen(line), &rec);
	ck_assert_uint_eq(vt_rules_match(rules, &rec, facts, 1), 1);
	ck_assert_int_eq(facts[0].kind, VT_FACT_BACKENDS);
}
END_TEST

START_TEST(user_rule_last_group)
{
	static const char text[] =
		"backends $8 ^(a)(b)(c)(d)(e)(f)(g) (\\d+)$\n";
	char err[256] = "";

	ck_assert_int_eq(vt_rules_load(rules, text, sizeof(text) - 1, "u",
				       err, sizeof(err)),
			 VT_OK);
	expect_one("abcdefg 42", NULL, VT_FACT_BACKENDS, "42");
}
END_TEST

/* Loading text must fail with "origin:line:" and add no rule. */
static void expect_reject(const char *text, const char *prefix)
{
	char err[256] = "";
	size_t before = vt_rules_count(rules);

	ck_assert_int_eq(vt_rules_load(rules, text, strlen(text), "bad.rules",
				       err, sizeof(err)),
			 VT_ERR_FORMAT);
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0,
		      "'%s': message '%s', want prefix '%s'", text, err,
		      prefix);
	ck_assert_uint_gt(strlen(err), strlen(prefix) + 2);
	ck_assert_uint_eq(vt_rules_count(rules), before);
}

START_TEST(bad_rules_rejected)
{
	size_t base = vt_rules_count(rules);

	expect_reject("bogus_fact - ^x$\n", "bad.rules:1: ");
	expect_reject("# c\nbackends $1 ^ok (\\d+)$\nbackends\n",
		      "bad.rules:3: ");
	expect_reject("backends $1\n", "bad.rules:1: ");
	expect_reject("backends $0 ^(x)$\n", "bad.rules:1: ");
	expect_reject("backends $ ^x$\n", "bad.rules:1: ");
	expect_reject("backends $x1 ^(x)$\n", "bad.rules:1: ");
	expect_reject("backends $2 ^(x)$\n", "bad.rules:1: ");
	expect_reject("backends $9 ^(a)(b)(c)(d)(e)(f)(g)(h)(i)$\n",
		      "bad.rules:1: ");
	expect_reject("backends @ ^x$\n", "bad.rules:1: ");
	expect_reject("backends = ^x$\n", "bad.rules:1: ");
	expect_reject("backends value ^x$\n", "bad.rules:1: ");
	expect_reject("tool_call - ^(unclosed\n", "bad.rules:1: ");
	expect_reject("\n\n\ntool_call - ok\ntool_call - [z-a]\n",
		      "bad.rules:5: ");
	ck_assert_uint_eq(vt_rules_count(rules), base);

	/* the good lines before the bad one were not kept */
	expect_reject("tool_call - ^zebra crossing$\nnope - x\n",
		      "bad.rules:2: ");
	ck_assert_uint_eq(match("zebra crossing", NULL), 0);
	/* the table is still whole and works */
	expect_one("Discovered 3 backends", NULL, VT_FACT_BACKENDS, "3");

	/* a short message buffer is truncated, not overrun */
	char small[12];
	memset(small, 'Z', sizeof(small));
	ck_assert_int_eq(vt_rules_load(rules, "x - y", 5, "origin-name",
				       small, 8),
			 VT_ERR_FORMAT);
	ck_assert_uint_eq(strlen(small), 7);
	ck_assert_int_eq(small[8], 'Z');
}
END_TEST

START_TEST(clone_works)
{
	static const char text[] = "feature =on ^cm (\\w+)$\n";
	char err[256] = "";
	struct vt_rules *copy;

	ck_assert_int_eq(vt_rules_load(rules, text, sizeof(text) - 1, "u",
				       err, sizeof(err)),
			 VT_OK);
	copy = vt_rules_clone(rules);
	ck_assert_ptr_nonnull(copy);
	ck_assert_ptr_ne(copy, rules);
	ck_assert_uint_eq(vt_rules_count(copy), vt_rules_count(rules));
	/* the copy works on its own */
	vt_rules_free(rules);
	rules = copy;
	expect_one("Discovered 7 backends", NULL, VT_FACT_BACKENDS, "7");
	expect_one("cm yes", NULL, VT_FACT_FEATURE, "on");
	expect_one("Creating OIDC incoming authentication middleware", NULL,
		   VT_FACT_INCOMING_AUTH, "oidc");
	expect_one("Discovered 12 backends", "\"x\":1", VT_FACT_BACKENDS,
		   "12");

	/* a clone of an empty table is empty */
	struct vt_rules *empty = vt_rules_new(), *c2 = vt_rules_clone(empty);
	ck_assert_uint_eq(vt_rules_count(c2), 0);
	ck_assert_uint_eq(match_in(c2, "Discovered 3 backends", NULL), 0);
	vt_rules_free(c2);
	vt_rules_free(empty);
}
END_TEST

Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("default");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, default_table_loads);
	tcase_add_test(tc, default_process_and_config);
	tcase_add_test(tc, default_backends);
	tcase_add_test(tc, default_conflict_and_composite);
	tcase_add_test(tc, default_auth_and_features);
	tcase_add_test(tc, escaped_message);
	tcase_add_test(tc, bad_rules_rejected);
	tcase_add_test(tc, clone_works);
	suite_add_tcase(s, tc);

	tc = tcase_create("user");
	tcase_add_checked_fixture(tc, setup_empty, teardown);
	tcase_add_test(tc, user_rules_all_values);
	tcase_add_test(tc, user_rules_first_and_kinds);
	tcase_add_test(tc, user_rules_literal_start);
	tcase_add_test(tc, user_rule_last_group);
	suite_add_tcase(s, tc);
	return s;
}
