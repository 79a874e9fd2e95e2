/* SPDX-License-Identifier: Apache-2.0 */
/* RFC 3339 timestamps to and from Unix seconds, UTC only on output. */
#ifndef VT_TIMEUTIL_H
#define VT_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|-hh:mm)" (a space or 't' is
 * accepted for 'T', 'z' for 'Z'). Fractional seconds are dropped. On
 * success stores the Unix time in *out and returns 0; returns -1 when the
 * text is not such a timestamp or a field is out of range. Accepts years
 * 0000-9999 only.
 */
int vt_time_parse(const char *s, size_t n, int64_t *out);

/*
 * The same answer as vt_time_parse, faster on a run of timestamps of the
 * same hour (a log file): the date and hour of the last one are kept.
 * Zero-initialize; one per thread.
 */
struct vt_time_cache {
	char hour[13]; /* "YYYY-MM-DDThh" of base */
	int valid;
	int64_t base;  /* Unix time of that hour's start */
};

int vt_time_parse_cached(struct vt_time_cache *c, const char *s, size_t n,
			 int64_t *out);

/*
 * The times a stored encoding may hold: the years a timestamp can have
 * (0000 to 9999) with a week of margin, so no arithmetic on them can
 * overflow. Decoders refuse others as damage.
 */
#define VT_TIME_MIN (-62167219200LL - 7 * 86400)
#define VT_TIME_MAX (253402300800LL + 7 * 86400)

/* Writes "YYYY-MM-DDThh:mm:ssZ" (21 bytes with NUL) into out. */
void vt_time_format(int64_t t, char out[32]);

/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t vt_days_from_civil(int64_t y, unsigned m, unsigned d);
void vt_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
