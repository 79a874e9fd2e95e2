/* SPDX-License-Identifier: Apache-2.0 */
/* Bucketing of magnitudes: powers of two, and the 1-2-5 series. */
#ifndef VT_HISTOGRAM_H
#define VT_HISTOGRAM_H

#include <stdint.h>
#include <stddef.h>

/*
 * Log2 buckets: 0 holds the value 0, bucket k >= 1 holds [2^(k-1), 2^k - 1]
 * ("1", "2-3", "4-7", ...). Labels are what the report prints.
 */
#define VT_LOG2_BUCKETS 65
unsigned vt_log2_bucket(uint64_t v);
void vt_log2_label(unsigned b, char *out, size_t n);
/* Parses a label back to its bucket; -1 when it is not one. */
int vt_log2_parse(const char *s, size_t n);

/*
 * 1-2-5 buckets with bounds 1, 2, 5, 10, 20, 50, ... 5e9: bucket 0 is
 * "<1", bucket k covers [bound(k-1), bound(k)) ("1-2", "2-5", ...), the
 * last is "5000000000+".
 */
#define VT_125_BUCKETS 31
unsigned vt_125_bucket(uint64_t v);
void vt_125_label(unsigned b, char *out, size_t n);
int vt_125_parse(const char *s, size_t n);

#endif
