/* SPDX-License-Identifier: Apache-2.0 */
/* Printing outside text safely: see esc.h. */
#include "esc.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/*
 * Characters that reorder or split a line on a terminal without being
 * controls: bidi embeddings, overrides and isolates, the marks, and the
 * line and paragraph separators. They are written as \u{XXXX}.
 */
static int invisible_format(unsigned cp)
{
	return (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
	       cp == 0x200f || cp == 0x061c || cp == 0x2028 || cp == 0x2029;
}

/*
 * Length of the UTF-8 sequence at s that is a printable character, or 0.
 * A character to be written as \u{XXXX} gives its length and sets *fmt.
 */
static size_t printable_utf8(const unsigned char *s, unsigned *fmt)
{
	size_t len;
	unsigned cp;

	*fmt = 0;

	if (s[0] < 0x80)
		return s[0] >= 0x20 && s[0] != 0x7f;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07u;
	else
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	if (cp < 0xa0) /* C1 controls are U+0080..U+009F */
		return 0;
	if (invisible_format(cp))
		*fmt = cp;
	return len;
}

char *vt_esc(const char *s, char *out, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;

	if (n == 0)
		return out;
	while (*p) {
		unsigned fmt;
		size_t k = *p == '\\' ? 0 : printable_utf8(p, &fmt);
		char piece[16];
		size_t plen;

		if (k && fmt) {
			plen = (size_t)snprintf(piece, sizeof(piece),
						"\\u{%04x}", fmt);
		} else if (k) {
			memcpy(piece, p, k);
			plen = k;
		} else {
			plen = (size_t)snprintf(piece, sizeof(piece),
						*p == '\\' ? "\\\\" : "\\x%02x",
						*p);
			k = 1;
		}
		/* Room is kept for "..." and the NUL after every piece. */
		if (w + plen + 4 > n) {
			if (w + 4 <= n) {
				memcpy(out + w, "...", 3);
				w += 3;
			}
			break;
		}
		memcpy(out + w, piece, plen);
		w += plen;
		p += k;
	}
	out[w] = '\0';
	return out;
}

/* Length of the path before its first ';' or an encoded '?', '#' or ';'. */
static size_t path_len(const char *p)
{
	size_t i = 0;

	for (; p[i] && !strchr("?#;", p[i]); i++)
		if (p[i] == '%' && (strncasecmp(p + i, "%3f", 3) == 0 ||
		     strncasecmp(p + i, "%23", 3) == 0 ||
		     strncasecmp(p + i, "%3b", 3) == 0))
			break;
	return i;
}

/*
 * Real users paste passwords unencoded, with '/', '?' or '#' in them: any
 * '@' after the scheme ends a user part, so everything up to the last one
 * is dropped before the host is looked for.
 */
char *vt_url_safe(const char *url, char *out, size_t n)
{
	char buf[2048];
	const char *scheme = strstr(url, "://");
	const char *auth = scheme ? scheme + 3 : url;
	const char *at = strrchr(auth, '@');
	const char *host = at ? at + 1 : auth;
	size_t host_len = strcspn(host, "/?#;");
	const char *path = host + host_len;
	size_t plen = *path == '/' ? path_len(path) : 0;
	size_t head = (size_t)(auth - url);

	snprintf(buf, sizeof(buf), "%.*s%.*s%.*s",
		 (int)(head < 500 ? head : 500), url,
		 (int)(host_len < 500 ? host_len : 500), host,
		 (int)(plen < 1000 ? plen : 1000), path);
	return vt_esc(buf, out, n);
}
