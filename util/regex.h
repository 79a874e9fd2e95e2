/* SPDX-License-Identifier: Apache-2.0 */
/* The project's only door to PCRE2: compile and match UTF-8 patterns. */
#ifndef VT_REGEX_H
#define VT_REGEX_H

#include "vt.h"

struct vt_regex;

enum vt_regex_flags {
	VT_RE_CASELESS = 1 << 0,
};

/*
 * Compiles pattern (NUL-terminated). On success stores a new regex in
 * *out (free with vt_regex_free). On error returns VT_ERR_FORMAT and
 * writes PCRE2's reason and offset into err (errlen bytes).
 */
enum vt_err vt_regex_compile(const char *pattern, unsigned flags,
			     struct vt_regex **out, char *err, size_t errlen);
void vt_regex_free(struct vt_regex *re);
/*
 * A regex for another thread: the same compiled (and JIT-compiled) code,
 * which PCRE2 lets threads share, with match scratch of its own. Either
 * may be freed first.
 */
struct vt_regex *vt_regex_share(const struct vt_regex *re);

/*
 * Matches re against s[0..n). Returns 1 on a match, 0 on none, -1 when
 * PCRE2 gave up (match limit): callers treat that as no match. On a match
 * and groups != NULL, groups[0..ngroups) receive the capture groups 1..n
 * (views into s; {NULL,0} for unset groups). Not thread-safe: a regex owns
 * its match scratch, so each thread needs its own vt_regex.
 */
int vt_regex_match(struct vt_regex *re, const char *s, size_t n,
		   struct vt_sv *groups, size_t ngroups);

/* Number of capture groups in the pattern. */
unsigned vt_regex_groups(const struct vt_regex *re);

#endif
