/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allowlists and the scrubber. Privacy is applied at ingestion: the
 * aggregator turns a backend or client name into an allowlist index (or
 * "other") the moment it reads it, so no name from a log line is ever
 * stored. The scrubber is the backstop on the way out.
 */
#include "privacy.h"
#include "../util/regex.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Names in load order, and an open-addressing index over their
 * lowercased bytes: a lookup is one hash and usually one comparison,
 * whatever the length of the list (it runs for every tool call).
 */
struct vt_allowlist {
	char **names;
	size_t *lens;
	size_t count;
	uint32_t *slots; /* index + 1; 0 is empty */
	size_t nslots;   /* a power of two, at least twice count */
};

static uint64_t fold_hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)tolower((unsigned char)p[i]);
		h *= 1099511628211ULL;
	}
	return h;
}

static void index_add(struct vt_allowlist *a, size_t i)
{
	if (2 * (a->count + 1) > a->nslots) {
		size_t n = a->nslots ? a->nslots * 2 : 64;

		free(a->slots);
		a->slots = vt_xcalloc(n, sizeof(*a->slots));
		a->nslots = n;
		for (size_t k = 0; k < i; k++)
			index_add(a, k);
	}
	size_t m = a->nslots - 1;
	size_t at = (size_t)fold_hash(a->names[i], a->lens[i]) & m;

	while (a->slots[at])
		at = (at + 1) & m;
	a->slots[at] = (uint32_t)i + 1;
}

struct vt_allowlist *vt_allowlist_new(void)
{
	return vt_xcalloc(1, sizeof(struct vt_allowlist));
}

void vt_allowlist_free(struct vt_allowlist *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->count; i++)
		free(a->names[i]);
	free(a->names);
	free(a->lens);
	free(a->slots);
	free(a);
}

int vt_allowlist_find(const struct vt_allowlist *a, const char *p, size_t n)
{
	if (!p || n == 0 || n > VT_MAX_NAME_LEN || !a->nslots)
		return -1;
	size_t m = a->nslots - 1;

	for (size_t at = (size_t)fold_hash(p, n) & m; a->slots[at];
	     at = (at + 1) & m) {
		size_t i = a->slots[at] - 1;

		if (a->lens[i] == n && strncasecmp(a->names[i], p, n) == 0)
			return (int)i;
	}
	return -1;
}

size_t vt_allowlist_count(const struct vt_allowlist *a)
{
	return a->count;
}

const char *vt_allowlist_name(const struct vt_allowlist *a, size_t i)
{
	return i < a->count ? a->names[i] : NULL;
}

int vt_allowlist_name_valid(const char *p, size_t n)
{
	if (n == 0 || n > VT_MAX_NAME_LEN || !isalnum((unsigned char)p[0]))
		return 0;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!isalnum(c) && c != '.' && c != '_' && c != '-' && c != ' ')
			return 0;
	}
	/* "other" and "composite" are the report's own buckets. */
	if ((n == 5 && strncasecmp(p, "other", 5) == 0) ||
	    (n == 9 && strncasecmp(p, "composite", 9) == 0) ||
	    (n == 7 && strncasecmp(p, "unknown", 7) == 0))
		return 0;
	return 1;
}

enum vt_err vt_allowlist_load(struct vt_allowlist *a, const char *text,
			      size_t len, const char *origin, char *err,
			      size_t errlen)
{
	const char *p = text, *end = text + len;
	size_t first = a->count, lineno = 0;
	struct vt_scrubber *scrub = vt_scrubber_new();
	enum vt_err rc = VT_OK;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *s = p, *e = nl ? nl : end;

		lineno++;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		p = nl ? nl + 1 : end;
		if (s == e || *s == '#')
			continue;
		size_t n = (size_t)(e - s);
		const char *why = NULL;
		if (!vt_allowlist_name_valid(s, n))
			why = "not a valid name (letters, digits, '.', '_', '-', ' '; at most 64 bytes; not a reserved bucket name)";
		else if (vt_scrubber_hit(scrub, s, n))
			why = "looks like private data";
		else if (a->count >= VT_MAX_NAMES &&
			 vt_allowlist_find(a, s, n) < 0)
			why = "too many names";
		if (why) {
			snprintf(err, errlen, "%s:%zu: %s", origin, lineno, why);
			rc = VT_ERR_FORMAT;
			break;
		}
		if (vt_allowlist_find(a, s, n) >= 0)
			continue;
		a->names = vt_xrealloc(a->names,
				       (a->count + 1) * sizeof(*a->names));
		a->lens = vt_xrealloc(a->lens, (a->count + 1) * sizeof(*a->lens));
		a->names[a->count] = vt_xstrndup(s, n);
		a->lens[a->count] = n;
		index_add(a, a->count);
		a->count++;
	}
	if (rc) {
		while (a->count > first)
			free(a->names[--a->count]);
		/* rebuild the index over the names that stay */
		free(a->slots);
		a->slots = NULL;
		a->nslots = 0;
		for (size_t i = 0; i < a->count; i++)
			index_add(a, i);
	}
	vt_scrubber_free(scrub);
	return rc;
}

/*
 * The scrubber's patterns, one alternation so each string is scanned
 * once. Each branch is deliberately specific: timestamps, bucket labels
 * ("2-3") and enum names must never match.
 */
static const char *const scrub_patterns[] = {
	/* e-mail */
	"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}",
	/* IPv4 */
	"(?<![\\d.])(?:(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}"
	"(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)(?![\\d.])",
	/* IPv6: eight groups, or a compressed form with "::" */
	"(?<![\\w:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\\w:])",
	"(?<![\\w:])(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}"
	"(?::[0-9A-Fa-f]{1,4}){0,5})?(?![\\w:])",
	"(?<![\\w:])::(?:ffff:)?[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6}(?![\\w:])",
	/* JWT: three base64url parts, the first a JSON header */
	"eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]*",
	/* HTTP credentials */
	"(?i)\\b(?:bearer|basic)\\s+[A-Za-z0-9._~+/=-]{8,}",
	/* GitHub, AWS, Slack tokens */
	"\\bgh[pousr]_[A-Za-z0-9]{30,}",
	"\\bgithub_pat_[A-Za-z0-9_]{20,}",
	"\\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\\b",
	"\\bxox[abposr]-[A-Za-z0-9-]{10,}",
	/* PEM private keys */
	"-----BEGIN [A-Z ]*PRIVATE KEY-----",
	/* URLs carrying user:password@ */
	"[A-Za-z][A-Za-z0-9+.-]*://[^/\\s:@]+:[^/\\s@]*@",
};

struct vt_scrubber {
	struct vt_regex *re;
};

struct vt_scrubber *vt_scrubber_new(void)
{
	struct vt_scrubber *s = vt_xcalloc(1, sizeof(*s));
	size_t len = 1;
	char err[200];

	for (size_t i = 0; i < VT_ARRAY_LEN(scrub_patterns); i++)
		len += strlen(scrub_patterns[i]) + 5;
	char *all = vt_xmalloc(len), *w = all;
	for (size_t i = 0; i < VT_ARRAY_LEN(scrub_patterns); i++) {
		size_t n = strlen(scrub_patterns[i]);

		if (i)
			*w++ = '|';
		*w++ = '(';
		*w++ = '?';
		*w++ = ':';
		memcpy(w, scrub_patterns[i], n);
		w += n;
		*w++ = ')';
	}
	*w = '\0';
	if (vt_regex_compile(all, 0, &s->re, err, sizeof(err)))
		abort(); /* the patterns are fixed: a failure is a build bug */
	free(all);
	return s;
}

void vt_scrubber_free(struct vt_scrubber *s)
{
	if (!s)
		return;
	vt_regex_free(s->re);
	free(s);
}

int vt_scrubber_hit(struct vt_scrubber *s, const char *p, size_t n)
{
	/* A match-limit failure counts as a hit: fail closed. */
	return vt_regex_match(s->re, p, n, NULL, 0) != 0;
}
