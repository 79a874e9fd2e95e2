/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Calendar arithmetic uses the well-known era-based conversion between
 * civil dates and day numbers (400-year eras of 146097 days), exact for
 * the whole proleptic Gregorian calendar.
 */
#include "timeutil.h"

#include <stdio.h>
#include <string.h>

int64_t vt_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

void vt_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int days_in_month(unsigned y, unsigned m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : dm[m - 1];
}

/* "YYYY-MM-DDThh" (13 bytes): the seconds at the start of that hour. */
static int parse_hour(const char *s, int64_t *base)
{
	unsigned y, mo, d, h;

	if (s[4] != '-' || s[7] != '-')
		return -1;
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
	    digits(s + 8, 2, &d) || digits(s + 11, 2, &h))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || (int)d > days_in_month(y, mo) ||
	    h > 23)
		return -1;
	*base = vt_days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600;
	return 0;
}

/* ":mm:ss[.frac](Z|+hh:mm|-hh:mm)" from byte 13 on: seconds past the hour. */
static int parse_rest(const char *s, size_t n, int64_t *out)
{
	unsigned mi, se, oh = 0, om = 0;
	size_t i;
	int sign = 0;

	if (s[13] != ':' || s[16] != ':')
		return -1;
	if (digits(s + 14, 2, &mi) || digits(s + 17, 2, &se) || mi > 59 ||
	    se > 60)
		return -1;
	i = 19;
	if (i < n && s[i] == '.') {
		size_t start = ++i;

		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return -1;
	}
	if (i >= n)
		return -1;
	if (s[i] == 'Z' || s[i] == 'z') {
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		sign = s[i] == '+' ? 1 : -1;
		if (n - i < 6 || s[i + 3] != ':' || digits(s + i + 1, 2, &oh) ||
		    digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		i += 6;
	} else {
		return -1;
	}
	if (i != n)
		return -1;
	*out = (int64_t)mi * 60 + (int64_t)se -
	       sign * ((int64_t)oh * 3600 + (int64_t)om * 60);
	return 0;
}

int vt_time_parse(const char *s, size_t n, int64_t *out)
{
	int64_t base, rest;

	if (n < 20 || parse_hour(s, &base) || parse_rest(s, n, &rest))
		return -1;
	*out = base + rest;
	return 0;
}

int vt_time_parse_cached(struct vt_time_cache *c, const char *s, size_t n,
			 int64_t *out)
{
	int64_t base, rest;

	if (n < 20)
		return -1;
	if (c->valid && memcmp(c->hour, s, sizeof(c->hour)) == 0) {
		base = c->base;
	} else {
		if (parse_hour(s, &base))
			return -1;
		memcpy(c->hour, s, sizeof(c->hour));
		c->base = base;
		c->valid = 1;
	}
	if (parse_rest(s, n, &rest))
		return -1;
	*out = base + rest;
	return 0;
}

void vt_time_format(int64_t t, char out[32])
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400, y;
	unsigned m, d;

	vt_civil_from_days(days, &y, &m, &d);
	snprintf(out, 32, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m,
		 d, (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60),
		 (unsigned)(secs % 60));
}
