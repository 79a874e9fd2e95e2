/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rotation name rules: which names in a directory are rotated forms of a
 * live log, after logrotate's own rules and the kubelet's.
 *
 * logrotate builds a rotated name from the live name and, in this order:
 * a number (".1") or a dateformat ("-%Y%m%d" by default; dateformat
 * allows only %Y %m %d %H %M %S %V and %s, so its output is digits and
 * the literal separators the user wrote), then with `extension EXT` the
 * extension moved after that part ("name-20261124.log"), then the
 * compression extension (compressext; ".gz" by default). The kubelet
 * renames "N.log" to "N.log.YYYYmmdd-HHMMSS" and gzips older ones.
 *
 * So a rotated name is the live name plus a suffix of digits and
 * separators that holds a date (see date_like: "-8080", ".8443", "_2025"
 * or "-10.0.0.12" are other files, found by an attack), or ".N" with N of
 * at most 3 digits, or the extension form, plus at most one compression
 * extension this tool can read. Anything with a letter in that part
 * (".bak", "-other", ".tmp") is another file and is never opened.
 * docs/run.md has the table.
 */
#include "inputs.h"

#include <stdio.h>
#include <string.h>

static const char *const COMPRESSED[] = { ".gz", ".zst", ".zstd", ".xz",
					  ".bz2" };

/* The length of name without one compression extension; *compressed set. */
static size_t strip_one(const char *name, size_t len, int *compressed)
{
	for (size_t i = 0; i < sizeof(COMPRESSED) / sizeof(*COMPRESSED); i++) {
		size_t n = strlen(COMPRESSED[i]);

		if (len > n && memcmp(name + len - n, COMPRESSED[i], n) == 0) {
			*compressed = 1;
			return len - n;
		}
	}
	return len;
}

/*
 * The length of name without its compression extension: at most two
 * (`addextension .gz` with `compress` names files "x.log-20261124.gz.gz").
 */
static size_t strip_compression(const char *name, size_t len, int *compressed)
{
	*compressed = 0;
	return strip_one(name, strip_one(name, len, compressed), compressed);
}

/* ".N": 1 to 3 digits after a dot (logrotate's numbered names). */
static int numbered(const char *s, size_t n)
{
	if (n < 2 || n > 4 || s[0] != '.')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

static int letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The number in s[0..n), n <= 9 digits. */
static long num_at(const char *s, size_t n)
{
	long v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static int year_at(const char *s)
{
	return (s[0] == '1' && s[1] == '9') || (s[0] == '2' && s[1] == '0');
}

/*
 * A run of n digits that a dateformat prints: %Y%m%d... ("20261124",
 * "2026112410", "20261124101500": a year 19xx or 20xx, a month, a day),
 * %Y%V ("202648"), or %s (9 or 10 digits: 2001 to 2286).
 */
static int date_digits(const char *g, size_t n)
{
	if (n >= 8 && year_at(g) && num_at(g + 4, 2) >= 1 &&
	    num_at(g + 4, 2) <= 12 && num_at(g + 6, 2) >= 1 &&
	    num_at(g + 6, 2) <= 31)
		return 1;
	if (n == 6 && year_at(g) && num_at(g + 4, 2) >= 1 && num_at(g + 4, 2) <= 53)
		return 1;
	return (n == 9 || n == 10) && g[0] != '0';
}

/*
 * A suffix holds a date: a run of digits date_digits takes, or a year
 * (19xx, 20xx) followed by a separator and a month or an ISO week
 * ("2026-11-24", "2026-W48"). A lone year, a port or an address is not.
 */
static int date_like(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k = i;

		while (k < n && digit(s[k]))
			k++;
		if (k == i) {
			i++;
			continue;
		}
		if (date_digits(s + i, k - i))
			return 1;
		if (k - i == 4 && year_at(s + i) && k + 1 < n) {
			size_t m = k + 1 + (s[k + 1] == 'W');
			size_t e = m;

			while (e < n && digit(s[e]))
				e++;
			if (e - m == 2 && num_at(s + m, 2) >= 1 &&
			    num_at(s + m, 2) <= (s[k + 1] == 'W' ? 53 : 12))
				return 1;
		}
		i = k;
	}
	return 0;
}

/*
 * What a dateformat can print: digits and separators holding a date
 * (date_like). The ISO 8601 letters T, W and Z are taken as literal
 * separators when they touch a digit and no other letter ("20261124T101500",
 * "2026-W48", "101500Z"); any other letter (".bak", "-other") is another file.
 */
static int dated(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (digit(s[i]))
			continue;
		else if (strchr("TWZ", s[i]) &&
			 ((i > 0 && digit(s[i - 1])) || (i + 1 < n && digit(s[i + 1]))) &&
			 !(i > 0 && letter(s[i - 1])) && !(i + 1 < n && letter(s[i + 1])))
			continue;
		else if (!strchr("-_.:+,", s[i]))
			return 0;
	}
	return date_like(s, n);
}

/* "N.log" and ".YYYYmmdd-HHMMSS": the kubelet's rotation. */
static int kubelet(const char *live, const char *s, size_t n)
{
	size_t ll = strlen(live);

	if (ll < 5 || strcmp(live + ll - 4, ".log") != 0)
		return 0;
	for (size_t i = 0; i + 4 < ll; i++)
		if (!digit(live[i]))
			return 0;
	if (n != 16 || s[0] != '.' || s[9] != '-')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (i != 9 && !digit(s[i]))
			return 0;
	return 1;
}

/* The sort key of a suffix: older sorts first, the live file ("9") last. */
static void age_of(const char *s, size_t n, int num, char *age, size_t agen)
{
	char key[64];
	size_t k = 1;

	if (num) {
		long v = 0;

		for (size_t i = 1; i < n; i++)
			v = v * 10 + (s[i] - '0');
		snprintf(age, agen, "2%07ld", 9999999L - v);
		return;
	}
	/*
	 * "1" and the digits, left-padded to 24: dates of one format have one
	 * length, and %s gains a digit only in 2286.
	 */
	size_t nd = 0;
	for (size_t i = 0; i < n; i++)
		nd += digit(s[i]);
	key[0] = '1';
	while (nd + k < 25 && k + 1 < sizeof(key))
		key[k++] = '0';
	for (size_t i = 0; i < n && k + 1 < sizeof(key); i++)
		if (digit(s[i]))
			key[k++] = s[i];
	key[k] = '\0';
	snprintf(age, agen, "%s", key);
}

const char *vt_rotation_rule_name(enum vt_rotation_rule rule)
{
	static const char *const names[] = {
		[VT_ROT_LIVE] = "live",
		[VT_ROT_NUMBERED] = "numbered",
		[VT_ROT_DATED] = "dateext",
		[VT_ROT_EXTENSION] = "extension",
		[VT_ROT_KUBELET] = "kubelet",
		[VT_ROT_COMPRESSED] = "compressed",
	};

	return rule <= VT_ROT_COMPRESSED ? names[rule] : "?";
}

int vt_rotation_match(const char *live, const char *name,
		      enum vt_rotation_rule *rule, char *age, size_t agen)
{
	size_t ll = strlen(live), nl = strlen(name);
	int compressed;
	size_t len = strip_compression(name, nl, &compressed);

	if (agen)
		age[0] = '\0';
	if (len == nl && nl == ll && memcmp(name, live, ll) == 0) {
		*rule = VT_ROT_LIVE;
		snprintf(age, agen, "9");
		return 1;
	}
	if (len == ll && memcmp(name, live, ll) == 0) {
		*rule = VT_ROT_COMPRESSED;
		snprintf(age, agen, "0");
		return 1;
	}
	/* live + suffix: "x.log.1", "x.log-20261124-1764000000.gz" */
	if (len > ll && memcmp(name, live, ll) == 0) {
		const char *s = name + ll;
		size_t n = len - ll;
		int num = numbered(s, n);

		if (num || dated(s, n)) {
			*rule = num		     ? VT_ROT_NUMBERED
				: kubelet(live, s, n) ? VT_ROT_KUBELET
						      : VT_ROT_DATED;
			age_of(s, n, num, age, agen);
			return 1;
		}
	}
	/* extension: "x.log" -> "x-20261124.log.gz", "x.1.log" */
	const char *dot = strrchr(live, '.');
	if (!dot || dot == live)
		return 0;
	size_t stem = (size_t)(dot - live), ext = ll - stem;
	if (len > ll && memcmp(name, live, stem) == 0 &&
	    memcmp(name + len - ext, dot, ext) == 0) {
		const char *s = name + stem;
		size_t n = len - ll;
		int num = numbered(s, n);

		if (num || dated(s, n)) {
			*rule = VT_ROT_EXTENSION;
			age_of(s, n, num, age, agen);
			return 1;
		}
	}
	return 0;
}

/*
 * The live name of a rotated name when the live name is not known (files
 * named one by one, as 'report' takes them): the name less its
 * compression extension and the longest rotation suffix that starts at a
 * separator. The extension form cannot be told from a name alone.
 */
void vt_rotation_base(const char *name, char *out, size_t n, int *rotated,
		      char *age, size_t agen)
{
	size_t nl = strlen(name);
	int compressed;
	size_t len = strip_compression(name, nl, &compressed);
	size_t cut = len;

	for (size_t i = 1; i < len; i++) {
		if (!strchr(".-_", name[i]) || name[i - 1] == '/')
			continue;
		/* "server-8080" is a name: a date or ".N" only */
		if (numbered(name + i, len - i) || dated(name + i, len - i)) {
			cut = i;
			break;
		}
	}
	*rotated = compressed || cut < len;
	snprintf(out, n, "%.*s", (int)cut, name);
	if (cut < len)
		age_of(name + cut, len - cut, numbered(name + cut, len - cut),
		       age, agen);
	else
		snprintf(age, agen, "%s", compressed ? "0" : "9");
}
