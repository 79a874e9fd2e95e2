/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for aggregator/privacy: allowlists and the scrubber. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../aggregator/privacy.h"

static struct vt_allowlist *list_of(const char *text)
{
	struct vt_allowlist *a = vt_allowlist_new();
	char err[256] = "";

	ck_assert_msg(vt_allowlist_load(a, text, strlen(text), "test", err,
					sizeof(err)) == VT_OK,
		      "load failed: %s", err);
	return a;
}

static int find(const struct vt_allowlist *a, const char *s)
{
	return vt_allowlist_find(a, s, strlen(s));
}

START_TEST(allowlist_find_ignores_case)
{
	struct vt_allowlist *a =
		list_of("# servers\n\ngithub\n  Visual Studio Code \r\nfetch\n");

	ck_assert_uint_eq(vt_allowlist_count(a), 3);
	ck_assert_int_eq(find(a, "github"), 0);
	ck_assert_int_eq(find(a, "GitHub"), 0);
	ck_assert_int_eq(find(a, "GITHUB"), 0);
	ck_assert_int_eq(find(a, "visual studio code"), 1);
	ck_assert_int_eq(find(a, "FETCH"), 2);
	/* The list's spelling comes back, never the caller's. */
	ck_assert_str_eq(vt_allowlist_name(a, (size_t)find(a, "GITHUB")),
			 "github");
	ck_assert_str_eq(vt_allowlist_name(a, (size_t)find(a, "VISUAL STUDIO CODE")),
			 "Visual Studio Code");
	ck_assert_ptr_null(vt_allowlist_name(a, 3));
	/* No prefixes, no substrings, no empty names. */
	ck_assert_int_eq(find(a, "git"), -1);
	ck_assert_int_eq(find(a, "github2"), -1);
	ck_assert_int_eq(find(a, "Visual Studio"), -1);
	ck_assert_int_eq(vt_allowlist_find(a, "github", 0), -1);
	ck_assert_int_eq(vt_allowlist_find(a, NULL, 3), -1);
	ck_assert_int_eq(vt_allowlist_find(a, "githubx", 6), 0);
	vt_allowlist_free(a);
}
END_TEST

START_TEST(allowlist_duplicates_ignored)
{
	struct vt_allowlist *a = list_of("alpha\nALPHA\nbeta\nAlpha\n");

	ck_assert_uint_eq(vt_allowlist_count(a), 2);
	ck_assert_str_eq(vt_allowlist_name(a, 0), "alpha");
	ck_assert_str_eq(vt_allowlist_name(a, 1), "beta");
	/* A second load adds to the first. */
	char err[128];
	ck_assert_int_eq(vt_allowlist_load(a, "gamma\nbeta", 10, "more", err,
					   sizeof(err)),
			 VT_OK);
	ck_assert_uint_eq(vt_allowlist_count(a), 3);
	ck_assert_int_eq(find(a, "GAMMA"), 2);
	vt_allowlist_free(a);
}
END_TEST

/* Loads text into a list that already holds "keep"; expects failure. */
static void expect_reject(const char *text, const char *where)
{
	struct vt_allowlist *a = list_of("keep\n");
	char err[256] = "";

	ck_assert_msg(vt_allowlist_load(a, text, strlen(text), "names.txt",
					err, sizeof(err)) == VT_ERR_FORMAT,
		      "accepted %s", text);
	ck_assert_msg(strncmp(err, where, strlen(where)) == 0,
		      "error \"%s\" does not start with \"%s\"", err, where);
	/* Nothing of the rejected text was added. */
	ck_assert_uint_eq(vt_allowlist_count(a), 1);
	ck_assert_int_eq(find(a, "keep"), 0);
	ck_assert_int_eq(find(a, "good-one"), -1);
	ck_assert_int_eq(find(a, "good two"), -1);
	vt_allowlist_free(a);
}

START_TEST(allowlist_rejects_invalid_names)
{
	expect_reject("good-one\ngood two\nbad/name\n", "names.txt:3: ");
	expect_reject("good-one\n-leading-dash\n", "names.txt:2: ");
	expect_reject("good-one\n.hidden\n", "names.txt:2: ");
	expect_reject("good-one\n# comment\nname!\n", "names.txt:3: ");
	expect_reject("bad\"quote\n", "names.txt:1: ");
	expect_reject("good-one\ngood two\ntab\tinside\n", "names.txt:3: ");
	expect_reject("good-one\nnon-ascii-\xc3\xa9\n", "names.txt:2: ");
}
END_TEST

START_TEST(allowlist_rejects_reserved_names)
{
	expect_reject("good-one\nother\n", "names.txt:2: ");
	expect_reject("good-one\nComposite\n", "names.txt:2: ");
	expect_reject("good-one\nUNKNOWN\n", "names.txt:2: ");
	/* Longer names that merely contain them are fine. */
	struct vt_allowlist *a = list_of("others\ncomposite-tools\nunknown2\n");
	ck_assert_uint_eq(vt_allowlist_count(a), 3);
	vt_allowlist_free(a);
}
END_TEST

START_TEST(allowlist_rejects_private_data)
{
	/* Names whose characters are allowed but the scrubber hits. */
	expect_reject("good-one\n10.0.0.1\n", "names.txt:2: ");
	expect_reject("good-one\ngood two\nBearer abcdefgh123\n",
		      "names.txt:3: ");
	expect_reject("AKIAIOSFODNN7EXAMPLE\n", "names.txt:1: ");
	expect_reject("good-one\nxoxb-1234567890-abcdef\n", "names.txt:2: ");
	/* And ones the name rule already refuses. */
	expect_reject("good-one\nalice@example.com\n", "names.txt:2: ");
	expect_reject("good-one\nfe80::1\n", "names.txt:2: ");
}
END_TEST

START_TEST(allowlist_name_length_limit)
{
	char text[2 * VT_MAX_NAME_LEN + 8];

	memset(text, 'n', VT_MAX_NAME_LEN);
	text[VT_MAX_NAME_LEN] = '\0';
	struct vt_allowlist *a = list_of(text);
	ck_assert_uint_eq(vt_allowlist_count(a), 1);
	ck_assert_uint_eq(strlen(vt_allowlist_name(a, 0)), VT_MAX_NAME_LEN);
	ck_assert_int_eq(vt_allowlist_find(a, text, VT_MAX_NAME_LEN), 0);
	vt_allowlist_free(a);

	memset(text, 'n', VT_MAX_NAME_LEN + 1);
	text[VT_MAX_NAME_LEN + 1] = '\0';
	expect_reject(text, "names.txt:1: ");
}
END_TEST

START_TEST(allowlist_count_limit)
{
	size_t cap = (VT_MAX_NAMES + 1) * 8 + 1, off = 0;
	char *text = malloc(cap);
	char err[256] = "";

	ck_assert_ptr_nonnull(text);
	for (unsigned i = 0; i < VT_MAX_NAMES; i++)
		off += (size_t)snprintf(text + off, cap - off, "n%u\n", i);
	struct vt_allowlist *a = vt_allowlist_new();
	ck_assert_int_eq(vt_allowlist_load(a, text, off, "many", err,
					   sizeof(err)),
			 VT_OK);
	ck_assert_uint_eq(vt_allowlist_count(a), VT_MAX_NAMES);
	/* A duplicate is not a new name; one more is too many. */
	ck_assert_int_eq(vt_allowlist_load(a, "n5\n", 3, "dup", err,
					   sizeof(err)),
			 VT_OK);
	ck_assert_int_eq(vt_allowlist_load(a, "n5\nextra\n", 9, "one-more",
					   err, sizeof(err)),
			 VT_ERR_FORMAT);
	ck_assert_str_eq(err, "one-more:2: too many names");
	ck_assert_uint_eq(vt_allowlist_count(a), VT_MAX_NAMES);
	ck_assert_int_eq(find(a, "extra"), -1);
	/* the index still finds every name, in any case, after growing */
	for (unsigned i = 0; i < VT_MAX_NAMES; i++) {
		char name[16];

		snprintf(name, sizeof(name), "N%u", i);
		ck_assert_int_eq(find(a, name), (int)i);
	}
	vt_allowlist_free(a);
	/* a file rejected half-way leaves the earlier names findable */
	a = vt_allowlist_new();
	ck_assert_int_eq(vt_allowlist_load(a, "alpha\nbeta\n", 11, "ok", err,
					   sizeof(err)),
			 VT_OK);
	ck_assert_int_eq(vt_allowlist_load(a, "gamma\nuser@example.com\n", 23,
					   "bad", err, sizeof(err)),
			 VT_ERR_FORMAT);
	ck_assert_int_eq(find(a, "beta"), 1);
	ck_assert_int_eq(find(a, "gamma"), -1);
	vt_allowlist_free(a);
	free(text);
}
END_TEST

START_TEST(shipped_lists_load)
{
	struct vt_allowlist *servers = list_of(vt_default_servers);
	struct vt_allowlist *clients = list_of(vt_default_clients);

	ck_assert_uint_gt(vt_allowlist_count(servers), 50);
	ck_assert_uint_gt(vt_allowlist_count(clients), 10);
	ck_assert_int_ge(find(servers, "GITHUB"), 0);
	ck_assert_int_ge(find(servers, "fetch"), 0);
	ck_assert_int_ge(find(clients, "claude-code"), 0);
	ck_assert_int_ge(find(clients, "visual studio code"), 0);
	ck_assert_str_eq(vt_allowlist_name(clients,
					   (size_t)find(clients, "CURSOR")),
			 "Cursor");
	ck_assert_int_eq(find(servers, "other"), -1);
	ck_assert_int_eq(find(servers, "my-private-backend"), -1);
	vt_allowlist_free(servers);
	vt_allowlist_free(clients);
}
END_TEST

static const char *const secrets[] = {
	"alice@example.com",
	"mail first.last+tag@mail.example.co.uk please",
	"10.0.0.1",
	"from 192.168.1.254:8080",
	"255.255.255.255",
	"2001:0db8:85a3:0000:0000:8a2e:0370:7334",
	"2001:db8::1",
	"fe80::1ff:fe23:4567:890a",
	"::1",
	"peer [::1]:443",
	"::ffff:10.0.0.1",
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
	"eyJzdWIiOiIxMjM0NTY3ODkwIn0."
	"dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
	"Bearer abcdefgh123",
	"authorization: bearer abcdefgh123",
	"Basic dXNlcjpwYXNz",
	"ghp_abcdefghijklmnopqrstuvwxyz0123456789",
	"github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
	"AKIAIOSFODNN7EXAMPLE",
	"xoxb-1234567890-abcdefghij",
	"-----BEGIN RSA PRIVATE KEY-----",
	"-----BEGIN PRIVATE KEY-----",
	"https://user:pass@host/",
	"postgres://admin:s3cret@db.internal:5432/app",
};

static const char *const report_strings[] = {
	"2026-08-21T10:15:02Z",
	"2-3",
	"4-7",
	"5000000000+",
	"2000000000-5000000000",
	"9223372036854775808+",
	"<1",
	"mcp_tool_call",
	"application_error",
	"vmcp_workflow_step_started",
	"claude-code",
	"Visual Studio Code",
	"3f2a9c0b1d4e5f6a7b8c9d0e1f2a3b4c",
	"0.1.0",
	"vmcp-telemetry",
	"schema_version",
	"header_injection",
	"token_exchange",
	"forEach",
	"github",
	"composite",
	"redacted",
	"1-2",
	"100-200",
	"https://example.com/path",
	"basic",
	"Bearer",
};

START_TEST(scrubber_hits_secrets)
{
	struct vt_scrubber *s = vt_scrubber_new();
	size_t n = strlen(secrets[_i]);

	ck_assert_msg(vt_scrubber_hit(s, secrets[_i], n) == 1, "missed %s",
		      secrets[_i]);
	vt_scrubber_free(s);
}
END_TEST

START_TEST(scrubber_ignores_report_strings)
{
	struct vt_scrubber *s = vt_scrubber_new();
	size_t n = strlen(report_strings[_i]);

	ck_assert_msg(vt_scrubber_hit(s, report_strings[_i], n) == 0,
		      "false hit on %s", report_strings[_i]);
	vt_scrubber_free(s);
}
END_TEST

START_TEST(scrubber_specific_shapes)
{
	struct vt_scrubber *s = vt_scrubber_new();
	static const char *const misses[] = {
		"ghp_short123",          /* too short for a token */
		"AKIA1234",              /* too short for a key id */
		"1.2.3",                 /* three parts */
		"1.2.3.4.5",             /* five parts: a version, not an IP */
		"256.1.1.1",             /* out of range */
		"Bearer short",          /* under eight characters */
		"user@localhost",        /* no dot-TLD */
		"a:b",
		"10:15:02",
	};

	for (size_t i = 0; i < sizeof(misses) / sizeof(misses[0]); i++)
		ck_assert_msg(!vt_scrubber_hit(s, misses[i], strlen(misses[i])),
			      "false hit on %s", misses[i]);
	/* The length bounds the scan: the secret past n is not seen. */
	ck_assert_int_eq(vt_scrubber_hit(s, "name alice@example.com", 5), 0);
	ck_assert_int_eq(vt_scrubber_hit(s, "name alice@example.com", 22), 1);
	vt_scrubber_free(s);
}
END_TEST

Suite *privacy_suite(void);

Suite *privacy_suite(void)
{
	Suite *s = suite_create("privacy");
	TCase *list = tcase_create("allowlist");
	TCase *scrub = tcase_create("scrubber");

	tcase_add_test(list, allowlist_find_ignores_case);
	tcase_add_test(list, allowlist_duplicates_ignored);
	tcase_add_test(list, allowlist_rejects_invalid_names);
	tcase_add_test(list, allowlist_rejects_reserved_names);
	tcase_add_test(list, allowlist_rejects_private_data);
	tcase_add_test(list, allowlist_name_length_limit);
	tcase_add_test(list, allowlist_count_limit);
	tcase_add_test(list, shipped_lists_load);
	tcase_add_loop_test(scrub, scrubber_hits_secrets, 0,
			    (int)(sizeof(secrets) / sizeof(secrets[0])));
	tcase_add_loop_test(scrub, scrubber_ignores_report_strings, 0,
			    (int)(sizeof(report_strings) /
				  sizeof(report_strings[0])));
	tcase_add_test(scrub, scrubber_specific_shapes);
	suite_add_tcase(s, list);
	suite_add_tcase(s, scrub);
	return s;
}
