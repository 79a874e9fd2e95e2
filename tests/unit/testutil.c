/* SPDX-License-Identifier: Apache-2.0 */
/* What several unit suites share. */
#include "testutil.h"
#include "../../aggregator/agg.h"
#include "../../parser/rules.h"

#include <check.h>
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
