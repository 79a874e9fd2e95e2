/* SPDX-License-Identifier: Apache-2.0 */
/* What several unit suites share: whole files, the JSON corpus. */
#ifndef VT_TESTUTIL_H
#define VT_TESTUTIL_H

#include <stddef.h>

/* The public JSON conformance corpus (y_ accept, n_ reject, i_ either). */
#define VT_JSON_TEST_SUITE \
	VT_SOURCE_DIR "/../shared/reference/JSONTestSuite/test_parsing"

/* The whole file (the test fails when it cannot be read); free() it. */
char *vt_test_read_all(const char *path, size_t *len);

/* A fresh directory /tmp/vt-WHAT-XXXXXX into dir (n bytes); and its removal. */
void vt_test_tmpdir(char *dir, size_t n, const char *what);
void vt_test_rmtree(const char *dir);

#endif
