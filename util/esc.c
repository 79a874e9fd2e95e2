/* SPDX-License-Identifier: Apache-2.0 */
/* Printing outside text safely: see esc.h. */
#include "esc.h"

#include <stdio.h>
#include <string.h>

/* Length of the UTF-8 sequence at s that is a printable character, or 0. */
static size_t printable_utf8(const unsigned char *s)
{
	size_t len;
	unsigned cp;

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
	return cp >= 0xa0 ? len : 0; /* C1 controls are U+0080..U+009F */
}

char *vt_esc(const char *s, char *out, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;

	if (n == 0)
		return out;
	while (*p) {
		size_t k = *p == '\\' ? 0 : printable_utf8(p);
		char piece[8];
		size_t plen;

		if (k) {
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

char *vt_url_safe(const char *url, char *out, size_t n)
{
	char buf[2048];
	const char *scheme = strstr(url, "://");
	const char *auth = scheme ? scheme + 3 : url;
	size_t auth_len = strcspn(auth, "/?#");
	const char *at = NULL;

	for (size_t i = 0; i < auth_len; i++)
		if (auth[i] == '@')
			at = auth + i;
	size_t head = (size_t)(auth - url);
	const char *host = at ? at + 1 : auth;
	size_t rest = strcspn(host, "?#");

	snprintf(buf, sizeof(buf), "%.*s%.*s", (int)(head < 1024 ? head : 1024),
		 url, (int)(rest < 1000 ? rest : 1000), host);
	return vt_esc(buf, out, n);
}
