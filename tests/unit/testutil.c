/* SPDX-License-Identifier: Apache-2.0 */
/* What several unit suites share. */
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

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

void vt_test_tmpdir(char *dir, size_t n, const char *what)
{
	snprintf(dir, n, "/tmp/vt-%s-XXXXXX", what);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

void vt_test_rmtree(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
