/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Skimming. yajl's lexer takes each byte through a table and each token
 * through a state machine; an audit line spends a third of its bytes in
 * objects the tool never reads (source, subjects, data). This checks such
 * an object, eight bytes at a time inside strings, so that the decoder
 * can hand yajl "{}" in its place. The check accepts a strict subset of
 * JSON (see skim.h): an object outside it, valid or not, goes to yajl as
 * it is, so a broken line is never counted as good, and every reason
 * stays yajl's.
 */
#include "skim.h"

#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Scanning a string is the inner loop: it must not cost a call. */
#if defined(__GNUC__)
#define INLINE inline __attribute__((always_inline))
#else
#define INLINE inline
#endif

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

struct skim {
	const char *p, *end;
};

/*
 * The bytes among the 8 at p that are '"', '\\', under 0x20, or 0x7f and
 * above: each such byte's top bit is set. The usual SWAR tests; a borrow
 * or carry can set a top bit wrongly only in a byte above (later in a
 * little-endian word than) one rightly set, so zero means none, and the
 * lowest set bit of a little-endian load is the first such byte.
 */
static INLINE uint64_t special8(const char *p)
{
	uint64_t x, q, b;

	memcpy(&x, p, 8);
	q = x ^ (ONES * '"');
	b = x ^ (ONES * '\\');
	return (x | (x + ONES) | (x - ONES * 0x20) | ((q - ONES) & ~q) |
		((b - ONES) & ~b)) &
	       HIGHS;
}

/* The offset of the first special byte at p, given special8(p) != 0. */
static size_t first_special(const char *p, uint64_t m)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) &&                            \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	(void)p;
	return (size_t)__builtin_ctzll(m) >> 3;
#else
	size_t i = 0;

	(void)m;
	while (plain((unsigned char)p[i]))
		i++;
	return i;
#endif
}

static int hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* A byte that may stand in a string as it is: printable ASCII but '"' and '\\'. */
static int plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* p at a '\\' before end: the length of a valid escape there, or 0. */
static size_t escape(const char *p, const char *end)
{
	if (end - p < 2)
		return 0;
	switch (p[1]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r':
	case 't':
		return 2;
	case 'u':
		return end - p >= 6 && hex(p[2]) && hex(p[3]) && hex(p[4]) &&
				       hex(p[5])
			       ? 6
			       : 0;
	default:
		return 0;
	}
}

#if defined(__SSE2__)
/*
 * The same test for 16 bytes: a bit per byte. A signed compare with 0x20
 * catches control characters and every byte from 0x80 at once.
 */
static INLINE unsigned special16(const char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i m = _mm_or_si128(
		_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
			     _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
		_mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
			     _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))));

	return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* p at a '"': the byte after the closing one, or NULL. */
static INLINE const char *string(const char *p, const char *end)
{
	for (p++;;) {
#if defined(__SSE2__)
		if (end - p >= 16) {
			unsigned m = special16(p);

			if (m == 0) {
				p += 16;
				continue;
			}
			p += __builtin_ctz(m);
		} else
#endif
		/* eight plain bytes at a time, then to the next other one */
		if (end - p >= 8) {
			uint64_t m = special8(p);

			if (m == 0) {
				p += 8;
				continue;
			}
			p += first_special(p, m);
		} else {
			while (p < end && plain((unsigned char)*p))
				p++;
			if (p == end)
				return NULL;
		}
		if (*p == '"')
			return p + 1;
		size_t n = *p == '\\' ? escape(p, end) : 0;
		if (n == 0)
			return NULL; /* a control character, DEL, non-ASCII */
		p += n;
	}
}

static const char *digits(const char *p, const char *end)
{
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? at p: its end, or NULL. */
static const char *number(const char *p, const char *end)
{
	const char *start;

	if (p < end && *p == '-')
		p++;
	if (p == end || *p < '0' || *p > '9')
		return NULL;
	p = *p == '0' ? p + 1 : digits(p, end);
	if (p < end && *p == '.') {
		start = ++p;
		if ((p = digits(p, end)) == start)
			return NULL;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		start = p;
		if ((p = digits(p, end)) == start)
			return NULL;
	}
	return p;
}

/* A string, number or literal at p: its end, or NULL. */
static const char *scalar(const char *p, const char *end)
{
	switch (*p) {
	case '"':
		return string(p, end);
	case 't':
		return end - p >= 4 && memcmp(p, "true", 4) == 0 ? p + 4 : NULL;
	case 'f':
		return end - p >= 5 && memcmp(p, "false", 5) == 0 ? p + 5 : NULL;
	case 'n':
		return end - p >= 4 && memcmp(p, "null", 4) == 0 ? p + 4 : NULL;
	default:
		return number(p, end);
	}
}

/* compact JSON has no whitespace: one test for the usual token */
static INLINE const char *space(const char *p, const char *end)
{
	while (p < end && (unsigned char)*p <= ' ' &&
	       (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

/*
 * One loop and a stack of open brackets, no recursion: in a skimmed
 * object most tokens are short strings, and a call per token would cost
 * as much as the token. A value must be followed by whitespace, ',' or a
 * closing bracket, which makes "01", "truex" or "1.5.2" fail here as
 * they fail in yajl.
 */
size_t vt_skim_value(const char *start, size_t n)
{
	const char *p = start, *end = start + n;
	char open[VT_SKIM_DEPTH]; /* '}' or ']' for each open bracket */
	int depth = 0, want_key = 0;

	for (;;) {
		/* a value (or, after '{' or ',' in an object, a key and ':') */
		p = space(p, end);
		if (p == end)
			return 0;
		if (want_key) {
			if (*p != '"' || !(p = string(p, end)))
				return 0;
			p = space(p, end);
			if (p == end || *p++ != ':')
				return 0;
			p = space(p, end);
			if (p == end)
				return 0;
		}
		if (*p == '{' || *p == '[') {
			if (depth == VT_SKIM_DEPTH)
				return 0;
			open[depth++] = *p == '{' ? '}' : ']';
			want_key = *p++ == '{';
			p = space(p, end);
			if (p < end && *p == open[depth - 1])
				p++, depth--; /* empty */
			else
				continue;
		} else if (!(p = scalar(p, end))) {
			return 0;
		}
		/* after a value: ',' for the next one, or closing brackets */
		for (;;) {
			if (depth == 0)
				return (size_t)(p - start);
			p = space(p, end);
			if (p == end)
				return 0;
			if (*p == ',') {
				p++;
				want_key = open[depth - 1] == '}';
				break;
			}
			if (*p++ != open[depth - 1])
				return 0;
			depth--;
		}
	}
}

/*
 * The members found by the bytes that open them: ',"source":{' and the
 * like. In valid JSON those bytes are always a member whose value is an
 * object (a '"' inside a string is escaped, and a string cannot be
 * followed by a bare word), so a match is never text. The decoder reads
 * keys only under target, metadata and metadata.extra at their depth,
 * never under these, whatever depth they are at.
 */
#define OPENS(line, at, text)                                                  \
	((at) >= sizeof(text) - 1 &&                                           \
	 memcmp((line) + (at) - (sizeof(text) - 1), text, sizeof(text) - 1) == 0)

/* line[at] is '{': is it the value of one of those members? */
static int opens_skipped(const char *line, size_t at)
{
	if (at < 8 || line[at - 1] != ':' || line[at - 2] != '"')
		return 0;
	switch (line[at - 3]) { /* the key's last letter */
	case 'e':
		return OPENS(line, at, ",\"source\":");
	case 's':
		return OPENS(line, at, ",\"subjects\":");
	case 'n':
		return OPENS(line, at, ",\"delegation\":");
	case 'a':
		return OPENS(line, at, ",\"data\":");
	default:
		return 0;
	}
}

int vt_skim_find(const char *line, size_t len, struct vt_skim_range *r,
		 size_t max, unsigned *wasted)
{
	const char *p = line, *end = line + len, *brace;
	size_t n = 0;

	while (n < max && (brace = memchr(p, '{', (size_t)(end - p)))) {
		size_t at = (size_t)(brace - line), skim = 0;

		if (opens_skipped(line, at) &&
		    !(skim = vt_skim_value(brace, (size_t)(end - brace))))
			++*wasted;
		if (skim) {
			r[n].start = at;
			r[n].end = at + skim;
			n++;
			p = brace + skim;
		} else {
			p = brace + 1;
		}
	}
	return (int)n;
}
