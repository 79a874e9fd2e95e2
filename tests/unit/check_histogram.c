/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for aggregator/histogram: bucket bounds, labels, parsing. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "../../aggregator/histogram.h"

static const char *log2_label(unsigned b)
{
	static char buf[48];

	vt_log2_label(b, buf, sizeof(buf));
	return buf;
}

static const char *l125_label(unsigned b)
{
	static char buf[48];

	vt_125_label(b, buf, sizeof(buf));
	return buf;
}

START_TEST(log2_bucket_boundaries)
{
	ck_assert_uint_eq(vt_log2_bucket(0), 0);
	ck_assert_uint_eq(vt_log2_bucket(1), 1);
	ck_assert_uint_eq(vt_log2_bucket(2), 2);
	ck_assert_uint_eq(vt_log2_bucket(3), 2);
	ck_assert_uint_eq(vt_log2_bucket(4), 3);
	ck_assert_uint_eq(vt_log2_bucket(7), 3);
	ck_assert_uint_eq(vt_log2_bucket(8), 4);
	ck_assert_uint_eq(vt_log2_bucket(1023), 10);
	ck_assert_uint_eq(vt_log2_bucket(1024), 11);
	ck_assert_uint_eq(vt_log2_bucket((1ULL << 63) - 1), 63);
	ck_assert_uint_eq(vt_log2_bucket(1ULL << 63), 64);
	ck_assert_uint_eq(vt_log2_bucket(UINT64_MAX), 64);
	ck_assert_uint_lt(vt_log2_bucket(UINT64_MAX), VT_LOG2_BUCKETS);
	/* Every bucket k >= 1 holds exactly [2^(k-1), 2^k - 1]. */
	for (unsigned k = 1; k < 64; k++) {
		ck_assert_uint_eq(vt_log2_bucket(1ULL << (k - 1)), k);
		ck_assert_uint_eq(vt_log2_bucket((1ULL << k) - 1), k);
		ck_assert_uint_eq(vt_log2_bucket(1ULL << k), k + 1);
	}
}
END_TEST

START_TEST(log2_labels)
{
	ck_assert_str_eq(log2_label(0), "0");
	ck_assert_str_eq(log2_label(1), "1");
	ck_assert_str_eq(log2_label(2), "2-3");
	ck_assert_str_eq(log2_label(3), "4-7");
	ck_assert_str_eq(log2_label(4), "8-15");
	ck_assert_str_eq(log2_label(11), "1024-2047");
	ck_assert_str_eq(log2_label(63),
			 "4611686018427387904-9223372036854775807");
	ck_assert_str_eq(log2_label(64), "9223372036854775808+");
}
END_TEST

START_TEST(log2_label_truncates_safely)
{
	char small[4];

	memset(small, 'x', sizeof(small));
	vt_log2_label(11, small, sizeof(small));
	ck_assert_str_eq(small, "102");
}
END_TEST

START_TEST(log2_parse_round_trip)
{
	char buf[48];

	for (unsigned b = 0; b < VT_LOG2_BUCKETS; b++) {
		vt_log2_label(b, buf, sizeof(buf));
		ck_assert_int_eq(vt_log2_parse(buf, strlen(buf)), (int)b);
	}
	ck_assert_int_eq(vt_log2_parse("2-4", 3), -1);
	ck_assert_int_eq(vt_log2_parse("<1", 2), -1);
	ck_assert_int_eq(vt_log2_parse("", 0), -1);
	ck_assert_int_eq(vt_log2_parse("8-15x", 5), -1);
	/* Only the given length counts. */
	ck_assert_int_eq(vt_log2_parse("8-15x", 4), 4);
	ck_assert_int_eq(vt_log2_parse("1-2", 1), 1);
	ck_assert_int_eq(vt_log2_parse("2-3", 1), -1);
}
END_TEST

/* The 1-2-5 bounds, written out: 1, 2, 5, 10, ..., 5e9. */
static const uint64_t bounds125[30] = {
	1ULL, 2ULL, 5ULL, 10ULL, 20ULL, 50ULL, 100ULL, 200ULL, 500ULL,
	1000ULL, 2000ULL, 5000ULL, 10000ULL, 20000ULL, 50000ULL, 100000ULL,
	200000ULL, 500000ULL, 1000000ULL, 2000000ULL, 5000000ULL, 10000000ULL,
	20000000ULL, 50000000ULL, 100000000ULL, 200000000ULL, 500000000ULL,
	1000000000ULL, 2000000000ULL, 5000000000ULL,
};

START_TEST(b125_bucket_boundaries)
{
	ck_assert_uint_eq(vt_125_bucket(0), 0);
	ck_assert_uint_eq(vt_125_bucket(1), 1);
	ck_assert_uint_eq(vt_125_bucket(2), 2);
	ck_assert_uint_eq(vt_125_bucket(4), 2);
	ck_assert_uint_eq(vt_125_bucket(5), 3);
	ck_assert_uint_eq(vt_125_bucket(9), 3);
	ck_assert_uint_eq(vt_125_bucket(10), 4);
	ck_assert_uint_eq(vt_125_bucket(19), 4);
	ck_assert_uint_eq(vt_125_bucket(20), 5);
	ck_assert_uint_eq(vt_125_bucket(105), 7);
	ck_assert_uint_eq(vt_125_bucket(4999999999ULL), 29);
	ck_assert_uint_eq(vt_125_bucket(5000000000ULL), 30);
	ck_assert_uint_eq(vt_125_bucket(5000000001ULL), 30);
	ck_assert_uint_eq(vt_125_bucket(UINT64_MAX), 30);
	ck_assert_uint_eq(VT_125_BUCKETS, 31);
	/* Bucket k covers [bound(k-1), bound(k)). */
	for (unsigned k = 1; k < 30; k++) {
		ck_assert_uint_eq(vt_125_bucket(bounds125[k - 1]), k);
		ck_assert_uint_eq(vt_125_bucket(bounds125[k] - 1), k);
		ck_assert_uint_eq(vt_125_bucket(bounds125[k]), k + 1);
	}
}
END_TEST

START_TEST(b125_labels)
{
	char want[48];

	ck_assert_str_eq(l125_label(0), "<1");
	ck_assert_str_eq(l125_label(1), "1-2");
	ck_assert_str_eq(l125_label(2), "2-5");
	ck_assert_str_eq(l125_label(3), "5-10");
	ck_assert_str_eq(l125_label(7), "100-200");
	ck_assert_str_eq(l125_label(29), "2000000000-5000000000");
	ck_assert_str_eq(l125_label(30), "5000000000+");
	for (unsigned k = 1; k < 30; k++) {
		snprintf(want, sizeof(want), "%llu-%llu",
			 (unsigned long long)bounds125[k - 1],
			 (unsigned long long)bounds125[k]);
		ck_assert_str_eq(l125_label(k), want);
	}
}
END_TEST

START_TEST(b125_parse_round_trip)
{
	char buf[48];

	for (unsigned b = 0; b < VT_125_BUCKETS; b++) {
		vt_125_label(b, buf, sizeof(buf));
		ck_assert_int_eq(vt_125_parse(buf, strlen(buf)), (int)b);
	}
	ck_assert_int_eq(vt_125_parse("<1", 2), 0);
	ck_assert_int_eq(vt_125_parse("5000000000+", 11), 30);
	ck_assert_int_eq(vt_125_parse("1-3", 3), -1);
	ck_assert_int_eq(vt_125_parse("2-3", 3), -1);
	ck_assert_int_eq(vt_125_parse("0", 1), -1);
	ck_assert_int_eq(vt_125_parse("", 0), -1);
	/* The two label families do not parse as each other. */
	ck_assert_int_eq(vt_log2_parse("<1", 2), -1);
	ck_assert_int_eq(vt_125_parse("4-7", 3), -1);
}
END_TEST

Suite *histogram_suite(void);

Suite *histogram_suite(void)
{
	Suite *s = suite_create("histogram");
	TCase *log2 = tcase_create("log2");
	TCase *b125 = tcase_create("1-2-5");

	tcase_add_test(log2, log2_bucket_boundaries);
	tcase_add_test(log2, log2_labels);
	tcase_add_test(log2, log2_label_truncates_safely);
	tcase_add_test(log2, log2_parse_round_trip);
	tcase_add_test(b125, b125_bucket_boundaries);
	tcase_add_test(b125, b125_labels);
	tcase_add_test(b125, b125_parse_round_trip);
	suite_add_tcase(s, log2);
	suite_add_tcase(s, b125);
	return s;
}
