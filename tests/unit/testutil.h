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

/*
 * What feeding an aggregate takes, as `report` loads it: a decoder, the
 * built-in rules and the default allowlists (the test fails when they do
 * not load).
 */
struct vt_decoder;
struct vt_rules;
struct vt_allowlist;
struct vt_test_tables {
	struct vt_decoder *dec;
	struct vt_rules *rules;
	struct vt_allowlist *servers, *clients;
};
void vt_test_tables_load(struct vt_test_tables *t);
void vt_test_tables_free(struct vt_test_tables *t);

#endif
