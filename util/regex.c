/* SPDX-License-Identifier: Apache-2.0 */
/* PCRE2 wrapper: JIT-compiled UTF-8 patterns with bounded matching. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.h"

#include <pcre2.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

struct vt_regex {
	pcre2_code *code;  /* read-only once compiled: shared by its copies */
	_Atomic unsigned *refs; /* regexes sharing code */
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	unsigned groups;
};

static void scratch(struct vt_regex *re);

enum vt_err vt_regex_compile(const char *pattern, unsigned flags,
			     struct vt_regex **out, char *err, size_t errlen)
{
	int code;
	PCRE2_SIZE off;
	/*
	 * PCRE2_MATCH_INVALID_UTF lets log bytes that are not valid UTF-8 be
	 * matched safely instead of being rejected or read out of bounds.
	 */
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	struct vt_regex *re;

	if (flags & VT_RE_CASELESS)
		opts |= PCRE2_CASELESS;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
				      opts, &code, &off, NULL);
	if (!c) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errlen, "%s at offset %zu", (const char *)msg,
			 (size_t)off);
		return VT_ERR_FORMAT;
	}
	pcre2_jit_compile(c, PCRE2_JIT_COMPLETE); /* falls back if no JIT */
	re = vt_xcalloc(1, sizeof(*re));
	re->code = c;
	re->refs = vt_xcalloc(1, sizeof(*re->refs));
	atomic_init(re->refs, 1);
	scratch(re);
	*out = re;
	return VT_OK;
}

struct vt_regex *vt_regex_share(const struct vt_regex *re)
{
	struct vt_regex *c = vt_xcalloc(1, sizeof(*c));

	c->code = re->code;
	c->refs = re->refs;
	atomic_fetch_add(c->refs, 1);
	scratch(c);
	return c;
}

/* A regex's own match data, context and group count, for its code. */
static void scratch(struct vt_regex *re)
{
	pcre2_code *c = re->code;

	re->md = pcre2_match_data_create_from_pattern(c, NULL);
	re->mctx = pcre2_match_context_create(NULL);
	if (!re->md || !re->mctx)
		abort();
	/* Bound backtracking so a hostile line cannot stall a run. */
	pcre2_set_match_limit(re->mctx, 100000);
	pcre2_set_depth_limit(re->mctx, 10000);
	uint32_t n = 0;
	pcre2_pattern_info(c, PCRE2_INFO_CAPTURECOUNT, &n);
	re->groups = n;
}

void vt_regex_free(struct vt_regex *re)
{
	if (!re)
		return;
	pcre2_match_data_free(re->md);
	pcre2_match_context_free(re->mctx);
	if (atomic_fetch_sub(re->refs, 1) == 1) {
		pcre2_code_free(re->code);
		free(re->refs);
	}
	free(re);
}

unsigned vt_regex_groups(const struct vt_regex *re)
{
	return re->groups;
}

int vt_regex_match(struct vt_regex *re, const char *s, size_t n,
		   struct vt_sv *groups, size_t ngroups)
{
	int rc = pcre2_match(re->code, (PCRE2_SPTR)(s ? s : ""), n, 0, 0,
			     re->md, re->mctx);

	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0)
		return -1;
	if (groups) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);

		for (size_t i = 0; i < ngroups; i++) {
			size_t g = i + 1;

			if ((int)g < rc && ov[2 * g] != PCRE2_UNSET) {
				groups[i].ptr = s + ov[2 * g];
				groups[i].len = ov[2 * g + 1] - ov[2 * g];
			} else {
				groups[i].ptr = NULL;
				groups[i].len = 0;
			}
		}
	}
	return 1;
}
