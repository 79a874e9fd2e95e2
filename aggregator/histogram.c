/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bucket arithmetic. Log2 buckets suit counts spread over many orders of
 * magnitude (tool calls per instance, backends per instance): one bucket
 * per doubling, so a value is known to within a factor of two and a
 * per-instance magnitude cannot single out an instance. The 1-2-5 series
 * (three buckets per decade) suits durations people read in ms or s.
 */
#include "histogram.h"

#include <stdio.h>
#include <string.h>

unsigned vt_log2_bucket(uint64_t v)
{
	unsigned b = 0;

	while (v) {
		b++;
		v >>= 1;
	}
	return b;
}

void vt_log2_label(unsigned b, char *out, size_t n)
{
	if (b == 0)
		snprintf(out, n, "0");
	else if (b == 1)
		snprintf(out, n, "1");
	else if (b == 64)
		snprintf(out, n, "%llu+", 1ULL << 63);
	else
		snprintf(out, n, "%llu-%llu", 1ULL << (b - 1),
			 (1ULL << b) - 1);
}

static uint64_t bound(unsigned i)
{
	static const uint64_t step[3] = { 1, 2, 5 };
	uint64_t p = 1;

	for (unsigned k = 0; k < i / 3; k++)
		p *= 10;
	return step[i % 3] * p;
}

unsigned vt_125_bucket(uint64_t v)
{
	/* bound(0) .. bound(29): one per tool call, so not recomputed */
	static const uint64_t bounds[VT_125_BUCKETS - 1] = {
		1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000,
		10000, 20000, 50000, 100000, 200000, 500000, 1000000,
		2000000, 5000000, 10000000, 20000000, 50000000, 100000000,
		200000000, 500000000, 1000000000, 2000000000, 5000000000,
	};
	unsigned b = 0;

	while (b < VT_125_BUCKETS - 1 && v >= bounds[b])
		b++;
	return b;
}

void vt_125_label(unsigned b, char *out, size_t n)
{
	if (b == 0)
		snprintf(out, n, "<1");
	else if (b == VT_125_BUCKETS - 1)
		snprintf(out, n, "%llu+", (unsigned long long)bound(b - 1));
	else
		snprintf(out, n, "%llu-%llu", (unsigned long long)bound(b - 1),
			 (unsigned long long)bound(b));
}

static int parse_with(void (*label)(unsigned, char *, size_t),
		      unsigned count, const char *s, size_t n)
{
	char buf[48];

	for (unsigned b = 0; b < count; b++) {
		label(b, buf, sizeof(buf));
		if (strlen(buf) == n && memcmp(buf, s, n) == 0)
			return (int)b;
	}
	return -1;
}

int vt_log2_parse(const char *s, size_t n)
{
	return parse_with(vt_log2_label, VT_LOG2_BUCKETS, s, n);
}

int vt_125_parse(const char *s, size_t n)
{
	return parse_with(vt_125_label, VT_125_BUCKETS, s, n);
}
