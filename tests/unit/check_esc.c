/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: text escaped for the terminal, endpoints shown safely,
 * report names through the allowlists. */
#include <check.h>
#include <string.h>

#include "../../aggregator/agg.h"
#include "../../util/esc.h"

START_TEST(control_characters_are_escaped)
{
	char out[256];

	ck_assert_str_eq(vt_esc("/var/log/a.log", out, sizeof(out)),
			 "/var/log/a.log");
	ck_assert_str_eq(vt_esc("x\x1b[31my\nz\r\x7f", out, sizeof(out)),
			 "x\\x1b[31my\\x0az\\x0d\\x7f");
	ck_assert_str_eq(vt_esc("a\\b", out, sizeof(out)), "a\\\\b");
	/* UTF-8 stays; C1 controls (U+009B is CSI) and broken bytes do not */
	ck_assert_str_eq(vt_esc("caf\xc3\xa9", out, sizeof(out)), "caf\xc3\xa9");
	ck_assert_str_eq(vt_esc("\xc2\x9b" "2J", out, sizeof(out)),
			 "\\xc2\\x9b2J");
	ck_assert_str_eq(vt_esc("\xff\xc3", out, sizeof(out)), "\\xff\\xc3");
	/* cut with a mark, always terminated, never split inside an escape */
	ck_assert_str_eq(vt_esc("abcdefghij", out, 8), "abcd...");
	ck_assert_str_eq(vt_esc("\x1b\x1b\x1b", out, 10), "\\x1b...");
	ck_assert_str_eq(vt_esc("abc", out, 2), "");
}
END_TEST

START_TEST(endpoints_lose_credentials_query_and_fragment)
{
	char out[256];

	ck_assert_str_eq(vt_url_safe("https://user:pass@host.example/p?api_key=x#frag",
				     out, sizeof(out)),
			 "https://host.example/p");
	ck_assert_str_eq(vt_url_safe("http://h:8080/a/b", out, sizeof(out)),
			 "http://h:8080/a/b");
	ck_assert_str_eq(vt_url_safe("https://tok@h?x", out, sizeof(out)),
			 "https://h");
	ck_assert_str_eq(vt_url_safe("https://h#a", out, sizeof(out)),
			 "https://h");
	ck_assert_str_eq(vt_url_safe("https://a@b@h/p\x1b", out, sizeof(out)),
			 "https://h/p\\x1b");
}
END_TEST

START_TEST(endpoints_lose_unencoded_passwords_and_path_parameters)
{
	char out[256];
	/* a password holding '/', '?' or '#' unencoded: up to the last '@' goes */
	const char *urls[][2] = {
		{ "https://alice:S4/x@collector.example/", "https://collector.example/" },
		{ "https://alice:S5?x@collector.example/", "https://collector.example/" },
		{ "https://alice:S6#x@collector.example/", "https://collector.example/" },
		{ "http://alice:S7/x@[::1]:8443/p", "http://[::1]:8443/p" },
		{ "https://c.example/p;token=S1", "https://c.example/p" },
		{ "https://c.example/p;jsessionid=S2/x", "https://c.example/p" },
		{ "https://c.example/p%3Fapi_key=S3", "https://c.example/p" },
		{ "https://c.example/p%3fk=S3", "https://c.example/p" },
		{ "https://c.example/p%23S3", "https://c.example/p" },
		{ "https://c.example/p%3bS3", "https://c.example/p" },
		{ "https://c.example;S8/p", "https://c.example" },
		{ "https://c.example/a%20b/v1", "https://c.example/a%20b/v1" },
	};
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
		ck_assert_str_eq(vt_url_safe(urls[i][0], out, sizeof(out)),
				 urls[i][1]);
}
END_TEST

START_TEST(bidi_and_separators_are_escaped)
{
	char out[256];

	/* U+202E, U+2066, U+2028, U+2029, U+200F, U+061C */
	ck_assert_str_eq(vt_esc("a\xe2\x80\xae" "b\xe2\x81\xa6" "c", out, sizeof(out)),
			 "a\\u{202e}b\\u{2066}c");
	ck_assert_str_eq(vt_esc("\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\x8f\xd8\x9c",
				out, sizeof(out)),
			 "\\u{2028}\\u{2029}\\u{200f}\\u{061c}");
	/* neighbours stay: U+2027, U+202F */
	ck_assert_str_eq(vt_esc("\xe2\x80\xa7\xe2\x80\xaf", out, sizeof(out)),
			 "\xe2\x80\xa7\xe2\x80\xaf");
	ck_assert_str_eq(vt_esc("\xe2\x80\xae", out, 8), "...");
}
END_TEST

START_TEST(report_names_go_through_the_allowlists)
{
	struct vt_allowlist *servers = vt_allowlist_new();
	struct vt_allowlist *clients = vt_allowlist_new();
	static struct vt_summary s;
	char err[200];
	const char *list = "github\njira\n";

	ck_assert_int_eq(vt_allowlist_load(servers, list, strlen(list), "t",
					   err, sizeof(err)), VT_OK);
	memset(&s, 0, sizeof(s));
	const char *names[] = { "GitHub", "payroll-db", "github", "other",
				"composite" };
	for (size_t i = 0; i < 5; i++) {
		strcpy(s.backends[i].name, names[i]);
		s.backends[i].count = i + 1;
	}
	s.nbackends = 5;
	strcpy(s.clients[0].name, "composite");
	s.clients[0].count = 9;
	s.nclients = 1;
	ck_assert_uint_eq(vt_summary_allow(&s, servers, clients), 2);
	ck_assert_uint_eq(s.nbackends, 3);
	ck_assert_str_eq(s.backends[0].name, "github");
	ck_assert_uint_eq(s.backends[0].count, 1 + 3);
	ck_assert_str_eq(s.backends[1].name, "other");
	ck_assert_uint_eq(s.backends[1].count, 2 + 4);
	ck_assert_str_eq(s.backends[2].name, "composite");
	/* "composite" is no client bucket */
	ck_assert_uint_eq(s.nclients, 1);
	ck_assert_str_eq(s.clients[0].name, "other");
	vt_allowlist_free(servers);
	vt_allowlist_free(clients);
}
END_TEST

Suite *esc_suite(void);

Suite *esc_suite(void)
{
	Suite *s = suite_create("esc");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, control_characters_are_escaped);
	tcase_add_test(tc, endpoints_lose_credentials_query_and_fragment);
	tcase_add_test(tc, report_names_go_through_the_allowlists);
	tcase_add_test(tc, endpoints_lose_unencoded_passwords_and_path_parameters);
	tcase_add_test(tc, bidi_and_separators_are_escaped);
	suite_add_tcase(s, tc);
	return s;
}
