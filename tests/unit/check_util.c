/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for util/: hashes, timestamps, the capped buffer, the map. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../util/buf.h"
#include "../../util/hash.h"
#include "../../util/jsondepth.h"
#include "../../util/map.h"
#include "../../util/timeutil.h"
#include "../../util/varint.h"

/* Hex of SHA-256 over n bytes of p. */
static void sha_hex(const void *p, size_t n, char out[2 * VT_SHA256_LEN + 1])
{
	unsigned char d[VT_SHA256_LEN];

	vt_sha256(p, n, d);
	vt_hex(d, sizeof(d), out);
}

START_TEST(sha256_nist_abc)
{
	char hex[2 * VT_SHA256_LEN + 1];

	sha_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
			      "b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(sha256_nist_empty)
{
	char hex[2 * VT_SHA256_LEN + 1];

	sha_hex("", 0, hex);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb924"
			      "27ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(sha256_nist_448_bits)
{
	static const char msg[] =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char hex[2 * VT_SHA256_LEN + 1];

	ck_assert_uint_eq(sizeof(msg) - 1, 56);
	sha_hex(msg, sizeof(msg) - 1, hex);
	ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039"
			      "a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

START_TEST(sha256_nist_million_a)
{
	static const char *const want = "cdc76e5c9914fb9281a1c7e284d73e67"
					"f1809a48a497200e046d39ccc7112cd0";
	char *big = malloc(1000000);
	char hex[2 * VT_SHA256_LEN + 1];
	unsigned char d[VT_SHA256_LEN];
	struct vt_sha256 s;

	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 1000000);
	sha_hex(big, 1000000, hex);
	ck_assert_str_eq(hex, want);
	/* The same digest fed in odd-sized pieces that straddle blocks. */
	vt_sha256_init(&s);
	for (size_t off = 0, step = 1; off < 1000000; off += step, step = step % 97 + 1) {
		size_t n = 1000000 - off < step ? 1000000 - off : step;

		vt_sha256_update(&s, big + off, n);
	}
	vt_sha256_final(&s, d);
	vt_hex(d, sizeof(d), hex);
	ck_assert_str_eq(hex, want);
	free(big);
}
END_TEST

START_TEST(sha256_block_edges)
{
	/* Lengths around the 55/56/64-byte padding edges: one-shot equals
	 * byte-at-a-time. */
	unsigned char msg[130], d1[VT_SHA256_LEN], d2[VT_SHA256_LEN];
	struct vt_sha256 s;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 7 + 3);
	for (size_t n = 0; n <= sizeof(msg); n++) {
		vt_sha256(msg, n, d1);
		vt_sha256_init(&s);
		for (size_t i = 0; i < n; i++)
			vt_sha256_update(&s, msg + i, 1);
		vt_sha256_final(&s, d2);
		ck_assert_mem_eq(d1, d2, sizeof(d1));
	}
}
END_TEST

static void hmac_hex(const void *key, size_t klen, const char *msg,
		     char out[2 * VT_SHA256_LEN + 1])
{
	unsigned char d[VT_SHA256_LEN];

	vt_hmac_sha256(key, klen, msg, strlen(msg), d);
	vt_hex(d, sizeof(d), out);
}

START_TEST(hmac_rfc4231_case1)
{
	unsigned char key[20];
	char hex[2 * VT_SHA256_LEN + 1];

	memset(key, 0x0b, sizeof(key));
	hmac_hex(key, sizeof(key), "Hi There", hex);
	ck_assert_str_eq(hex, "b0344c61d8db38535ca8afceaf0bf12b"
			      "881dc200c9833da726e9376c2e32cff7");
}
END_TEST

START_TEST(hmac_rfc4231_case2)
{
	char hex[2 * VT_SHA256_LEN + 1];

	hmac_hex("Jefe", 4, "what do ya want for nothing?", hex);
	ck_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c7"
			      "5a003f089d2739839dec58b964ec3843");
}
END_TEST

START_TEST(hmac_rfc4231_case6)
{
	unsigned char key[131];
	char hex[2 * VT_SHA256_LEN + 1];

	memset(key, 0xaa, sizeof(key));
	hmac_hex(key, sizeof(key),
		 "Test Using Larger Than Block-Size Key - Hash Key First", hex);
	ck_assert_str_eq(hex, "60e431591ee0b67f0d8a26aacbf5b77f"
			      "8e0bc6213728c5140546040f0ee37f54");
}
END_TEST

START_TEST(crc32_check_value)
{
	ck_assert_uint_eq(vt_crc32(0, "123456789", 9), 0xCBF43926u);
	/* Incremental use continues the same checksum. */
	ck_assert_uint_eq(vt_crc32(vt_crc32(0, "1234", 4), "56789", 5),
			  0xCBF43926u);
	ck_assert_uint_eq(vt_crc32(0, "", 0), 0u);
}
END_TEST

START_TEST(hex_lower_case)
{
	static const unsigned char bytes[] = { 0x00, 0x0f, 0xa5, 0xff, 0x10 };
	char out[2 * sizeof(bytes) + 1];

	memset(out, 'x', sizeof(out));
	vt_hex(bytes, sizeof(bytes), out);
	ck_assert_str_eq(out, "000fa5ff10");
	vt_hex(bytes, 0, out);
	ck_assert_str_eq(out, "");
}
END_TEST

/* Shared by every check below, so the cached parser sees a long run. */
static struct vt_time_cache cache;

static int64_t parse(const char *s)
{
	int64_t t = -12345, c = -54321;

	ck_assert_msg(vt_time_parse(s, strlen(s), &t) == 0, "rejected %s", s);
	ck_assert_msg(vt_time_parse_cached(&cache, s, strlen(s), &c) == 0 &&
			      c == t,
		      "cached parse of %s differs", s);
	return t;
}

static int rejects(const char *s)
{
	int64_t t = 777, c = 777;

	return vt_time_parse(s, strlen(s), &t) == -1 && t == 777 &&
	       vt_time_parse_cached(&cache, s, strlen(s), &c) == -1 &&
	       c == 777;
}

/* The cache keeps a date and hour: what follows is checked every time. */
START_TEST(time_parse_cached_same_hour)
{
	struct vt_time_cache c;
	int64_t t;

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(vt_time_parse_cached(&c, "2026-08-21T10:15:02Z", 20,
					      &t), 0);
	ck_assert_int_eq(t, 1787307302);
	ck_assert_int_eq(vt_time_parse_cached(&c, "2026-08-21T10:59:59.5Z", 22,
					      &t), 0);
	ck_assert_int_eq(t, 1787309999);
	ck_assert_int_eq(vt_time_parse_cached(&c, "2026-08-21T10:15:02+01:00",
					      25, &t), 0);
	ck_assert_int_eq(t, 1787307302 - 3600);
	t = 5;
	ck_assert_int_eq(vt_time_parse_cached(&c, "2026-08-21T10:60:00Z", 20,
					      &t), -1);
	ck_assert_int_eq(vt_time_parse_cached(&c, "2026-08-21T10:15:02", 19,
					      &t), -1);
	ck_assert_int_eq(vt_time_parse_cached(&c, "2026-08-21T10:15:0xZ", 20,
					      &t), -1);
	ck_assert_int_eq(vt_time_parse_cached(&c, "2026-08-21T10:15:02Zjunk",
					      24, &t), -1);
	ck_assert_int_eq(t, 5);
	/* a bad hour is never kept: the next good one is parsed in full */
	ck_assert_int_eq(vt_time_parse_cached(&c, "2026-02-30T10:15:02Z", 20,
					      &t), -1);
	ck_assert_int_eq(vt_time_parse_cached(&c, "2026-08-21T11:00:00Z", 20,
					      &t), 0);
	ck_assert_int_eq(t, 1787310000);
}
END_TEST

START_TEST(time_parse_zulu_and_epoch)
{
	ck_assert_int_eq(parse("1970-01-01T00:00:00Z"), 0);
	ck_assert_int_eq(parse("1970-01-01T00:00:01z"), 1);
	ck_assert_int_eq(parse("2026-08-21T10:15:02Z"), 1787307302);
	ck_assert_int_eq(parse("2026-08-21 10:15:02Z"), 1787307302);
	ck_assert_int_eq(parse("2026-08-21t10:15:02Z"), 1787307302);
	ck_assert_int_eq(parse("9999-12-31T23:59:59Z"), 253402300799LL);
	ck_assert_int_eq(parse("0000-01-01T00:00:00Z"), -62167219200LL);
	ck_assert_int_eq(parse("1969-12-31T23:59:59Z"), -1);
}
END_TEST

START_TEST(time_parse_offsets)
{
	ck_assert_int_eq(parse("2026-08-21T12:15:02+02:00"), 1787307302);
	ck_assert_int_eq(parse("2026-08-21T04:45:02-05:30"), 1787307302);
	ck_assert_int_eq(parse("2026-08-21T10:15:02+00:00"), 1787307302);
	ck_assert_int_eq(parse("2026-08-21T10:15:02-00:00"), 1787307302);
	/* An offset that crosses midnight and the year. */
	ck_assert_int_eq(parse("2027-01-01T01:00:00+02:00"),
			 parse("2026-12-31T23:00:00Z"));
}
END_TEST

START_TEST(time_parse_fraction)
{
	ck_assert_int_eq(parse("2026-08-21T10:15:02.123456789Z"), 1787307302);
	ck_assert_int_eq(parse("2026-08-21T10:15:02.9Z"), 1787307302);
	ck_assert_int_eq(parse("2026-08-21T12:15:02.5+02:00"), 1787307302);
	ck_assert(rejects("2026-08-21T10:15:02.Z"));
	ck_assert(rejects("2026-08-21T10:15:02.12x3Z"));
}
END_TEST

START_TEST(time_parse_leap_days)
{
	ck_assert_int_eq(parse("2024-02-29T00:00:00Z"), 1709164800);
	ck_assert_int_eq(parse("2000-02-29T12:34:56Z"), 951827696);
	ck_assert(rejects("2023-02-29T00:00:00Z"));
	ck_assert(rejects("1900-02-29T00:00:00Z"));
	ck_assert(rejects("2024-02-30T00:00:00Z"));
	ck_assert(rejects("2026-04-31T00:00:00Z"));
	ck_assert_int_eq(parse("2026-04-30T00:00:00Z") + 86400,
			 parse("2026-05-01T00:00:00Z"));
}
END_TEST

START_TEST(time_parse_rejects_bad_shapes)
{
	static const char *const bad[] = {
		"",
		"2026-08-21",
		"2026-08-21T10:15:02",       /* no zone */
		"2026-08-21T10:15:02+0200",  /* offset without colon */
		"2026-08-21T10:15:02+02",
		"2026-08-21T10:15:02Zjunk",
		"2026-08-21T10:15:02 Z",
		"2026-8-21T10:15:02Z",
		"2026/08/21T10:15:02Z",
		"2026-08-21X10:15:02Z",
		"2026-08-21T10-15-02Z",
		"x026-08-21T10:15:02Z",
		"2026-08-2aT10:15:02Z",
		"2026-00-21T10:15:02Z",
		"2026-13-21T10:15:02Z",
		"2026-08-00T10:15:02Z",
		"2026-08-32T10:15:02Z",
		"2026-08-21T24:00:00Z",
		"2026-08-21T10:60:00Z",
		"2026-08-21T10:15:61Z",
		"2026-08-21T10:15:02+24:00",
		"2026-08-21T10:15:02+02:60",
		"-026-08-21T10:15:02Z",
		"+2026-08-21T10:15:02Z",
	};

	for (size_t i = 0; i < VT_ARRAY_LEN(bad); i++)
		ck_assert_msg(rejects(bad[i]), "accepted \"%s\"", bad[i]);
	/* The length bounds the text: a valid prefix is not enough. */
	int64_t t;
	ck_assert_int_eq(vt_time_parse("2026-08-21T10:15:02Z", 19, &t), -1);
}
END_TEST

START_TEST(time_format_round_trip)
{
	static const int64_t values[] = {
		0, 1, -1, -86400, 59, 86399, 86400, 951827696, 1709164800,
		1787307302, 253402300799LL, -62167219200LL, 4102444800LL,
	};
	char buf[32];

	vt_time_format(0, buf);
	ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
	vt_time_format(-1, buf);
	ck_assert_str_eq(buf, "1969-12-31T23:59:59Z");
	vt_time_format(1787307302, buf);
	ck_assert_str_eq(buf, "2026-08-21T10:15:02Z");
	vt_time_format(1709164800, buf);
	ck_assert_str_eq(buf, "2024-02-29T00:00:00Z");
	for (size_t i = 0; i < VT_ARRAY_LEN(values); i++) {
		vt_time_format(values[i], buf);
		ck_assert_uint_eq(strlen(buf), 20);
		ck_assert_int_eq(parse(buf), values[i]);
	}
	/* Every hour of a leap year, and odd seconds, survive. */
	for (int64_t t = 1704067200; t < 1735689600; t += 3599) {
		int64_t back = -1;

		vt_time_format(t, buf);
		if (vt_time_parse(buf, strlen(buf), &back) || back != t)
			ck_abort_msg("%lld -> %s -> %lld", (long long)t, buf,
				     (long long)back);
	}
}
END_TEST

START_TEST(civil_days_round_trip)
{
	int64_t y;
	unsigned m, d;

	ck_assert_int_eq(vt_days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(vt_days_from_civil(1969, 12, 31), -1);
	ck_assert_int_eq(vt_days_from_civil(2000, 3, 1), 11017);
	ck_assert_int_eq(vt_days_from_civil(2024, 2, 29), 19782);
	vt_civil_from_days(19782, &y, &m, &d);
	ck_assert_int_eq(y, 2024);
	ck_assert_uint_eq(m, 2);
	ck_assert_uint_eq(d, 29);
	/* Days -1e6 .. 1e6 (years ~ -768 .. 4707): each maps to a valid
	 * date, back to itself, and dates advance by exactly one day. */
	int64_t py = 0;
	unsigned pm = 0, pd = 0;
	for (int64_t z = -1000000; z <= 1000000; z++) {
		vt_civil_from_days(z, &y, &m, &d);
		if (m < 1 || m > 12 || d < 1 || d > 31 ||
		    vt_days_from_civil(y, m, d) != z)
			ck_abort_msg("day %lld -> %lld-%u-%u does not round trip",
				     (long long)z, (long long)y, m, d);
		if (z > -1000000) {
			int next_day = y == py && m == pm && d == pd + 1;
			int next_month = y == py && m == pm + 1 && d == 1;
			int next_year = y == py + 1 && m == 1 && d == 1 &&
					pm == 12 && pd == 31;

			if (!next_day && !next_month && !next_year)
				ck_abort_msg("day %lld breaks the sequence",
					     (long long)z);
		}
		py = y, pm = m, pd = d;
	}
}
END_TEST

START_TEST(buf_cap_exact_boundary)
{
	struct vt_buf b;

	vt_buf_init(&b, 10);
	ck_assert_ptr_null(b.ptr);
	ck_assert_int_eq(vt_buf_append(&b, "0123456", 7), VT_OK);
	ck_assert_int_eq(vt_buf_append(&b, "789", 3), VT_OK);
	ck_assert_uint_eq(b.len, 10);
	/* One byte past the cap is refused and changes nothing. */
	ck_assert_int_eq(vt_buf_putc(&b, 'x'), VT_ERR_LIMIT);
	ck_assert_int_eq(vt_buf_append(&b, "x", 1), VT_ERR_LIMIT);
	ck_assert_uint_eq(b.len, 10);
	ck_assert_mem_eq(b.ptr, "0123456789", 10);
	/* Appending nothing is fine even when full. */
	ck_assert_int_eq(vt_buf_append(&b, "", 0), VT_OK);
	ck_assert_str_eq(vt_buf_cstr(&b), "0123456789");
	ck_assert_uint_eq(b.len, 10);
	vt_buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(vt_buf_append(&b, "abcdefghij", 10), VT_OK);
	vt_buf_release(&b);
	ck_assert_ptr_null(b.ptr);
}
END_TEST

START_TEST(buf_limit_leaves_contents)
{
	struct vt_buf b;
	char big[64];

	memset(big, 'z', sizeof(big));
	vt_buf_init(&b, 16);
	ck_assert_int_eq(vt_buf_append(&b, "hello", 5), VT_OK);
	ck_assert_int_eq(vt_buf_append(&b, big, 12), VT_ERR_LIMIT);
	ck_assert_int_eq(vt_buf_append(&b, big, sizeof(big)), VT_ERR_LIMIT);
	ck_assert_int_eq(vt_buf_append(&b, big, SIZE_MAX), VT_ERR_LIMIT);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_str_eq(vt_buf_cstr(&b), "hello");
	ck_assert_int_eq(vt_buf_append(&b, big, 11), VT_OK);
	ck_assert_uint_eq(b.len, 16);
	ck_assert_mem_eq(b.ptr, "hellozzzzzzzzzzz", 16);
	vt_buf_release(&b);

	/* An empty buffer refuses a whole over-cap append. */
	vt_buf_init(&b, 3);
	ck_assert_int_eq(vt_buf_append(&b, "abcd", 4), VT_ERR_LIMIT);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(vt_buf_append(&b, "abc", 3), VT_OK);
	vt_buf_release(&b);
}
END_TEST

START_TEST(buf_grows_large)
{
	struct vt_buf b;

	vt_buf_init(&b, 1 << 20);
	for (size_t i = 0; i < (1 << 20); i++)
		if (vt_buf_putc(&b, (char)('a' + i % 26)) != VT_OK)
			ck_abort_msg("putc %zu refused", i);
	ck_assert_int_eq(vt_buf_putc(&b, 'a'), VT_ERR_LIMIT);
	ck_assert_uint_eq(b.len, 1 << 20);
	for (size_t i = 0; i < (1 << 20); i += 4093)
		ck_assert_int_eq(b.ptr[i], 'a' + (int)(i % 26));
	vt_buf_release(&b);
}
END_TEST

START_TEST(map_many_keys)
{
	struct vt_map m;
	const uint32_t n = 100000;

	vt_map_init(&m);
	ck_assert_uint_eq(vt_map_get(&m, 0), VT_MAP_NONE);
	ck_assert_uint_eq(vt_map_get(&m, 42), VT_MAP_NONE);
	vt_map_put(&m, 0, 7);
	ck_assert_uint_eq(vt_map_get(&m, 0), 7);
	vt_map_put(&m, UINT64_MAX, 8);
	for (uint32_t i = 1; i <= n; i++) {
		vt_map_put(&m, (uint64_t)i * 0x9e3779b97f4a7c15ULL, i + 100);
		/* Load stays at most one half; capacity a power of two. */
		if (m.count * 2 > m.cap || (m.cap & (m.cap - 1)) != 0)
			ck_abort_msg("count %zu cap %zu", m.count, m.cap);
	}
	ck_assert_uint_eq(m.count, n + 2);
	ck_assert_uint_eq(vt_map_get(&m, 0), 7);
	ck_assert_uint_eq(vt_map_get(&m, UINT64_MAX), 8);
	for (uint32_t i = 1; i <= n + 1000; i++) {
		uint32_t want = i <= n ? i + 100 : VT_MAP_NONE;
		uint32_t got = vt_map_get(&m, (uint64_t)i * 0x9e3779b97f4a7c15ULL);

		if (got != want)
			ck_abort_msg("key %u: got %u, want %u", i, got, want);
	}
	vt_map_release(&m);
	ck_assert_uint_eq(m.cap, 0);
	ck_assert_uint_eq(vt_map_get(&m, 0), VT_MAP_NONE);
}
END_TEST

START_TEST(map_colliding_low_bits)
{
	/* Keys equal in their low bits still probe to distinct slots. */
	struct vt_map m;

	vt_map_init(&m);
	for (uint32_t i = 0; i < 5000; i++)
		vt_map_put(&m, (uint64_t)i << 40, i);
	for (uint32_t i = 0; i < 5000; i++)
		if (vt_map_get(&m, (uint64_t)i << 40) != i)
			ck_abort_msg("key %u << 40 lost", i);
	ck_assert_uint_eq(vt_map_get(&m, 1), VT_MAP_NONE);
	vt_map_release(&m);
}
END_TEST


START_TEST(json_depth_bound)
{
	static const char *const ok3[] = {
		"", "1", "[[[]]]", "{\"a\":{\"b\":[1]}}", "\"[[[[[[\"",
		"[\"\\\"[[[[\"]", "]]]]][[[", "[[[", "{\"a\":[[\"x]]]]\"]]}",
	};
	static const char *const over3[] = {
		"[[[[]]]]", "{\"a\":{\"b\":{\"c\":{}}}}", "[[[[", "[\"\\\\\",[[[",
		"\"x\"[[[[",
	};
	char *deep = malloc(1000001);

	for (size_t i = 0; i < VT_ARRAY_LEN(ok3); i++)
		ck_assert_msg(vt_json_depth_ok(ok3[i], strlen(ok3[i]), 3) == 0,
			      "'%s' refused", ok3[i]);
	for (size_t i = 0; i < VT_ARRAY_LEN(over3); i++)
		ck_assert_msg(vt_json_depth_ok(over3[i], strlen(over3[i]), 3) ==
				      -1,
			      "'%s' passed", over3[i]);
	ck_assert_ptr_nonnull(deep);
	memset(deep, '{', 1000000);
	ck_assert_int_eq(vt_json_depth_ok(deep, 1000000, 64), -1);
	ck_assert_int_eq(vt_json_depth_ok(deep, 64, 64), 0);
	ck_assert_int_eq(vt_json_depth_ok(deep, 65, 64), -1);
	free(deep);
}
END_TEST

/* Varints at their edges, zigzag both ways, and the CRC seal. */
START_TEST(varint_round_trip_and_damage)
{
	static const uint64_t u[] = { 0, 1, 127, 128, 16383, 16384,
				      UINT64_MAX / 2, UINT64_MAX };
	static const int64_t s[] = { 0, -1, 1, -64, 63, INT64_MIN, INT64_MAX };
	struct vt_buf b;
	struct vt_reader r;

	vt_buf_init(&b, 1 << 16);
	for (size_t i = 0; i < sizeof(u) / sizeof(*u); i++)
		vt_put_u(&b, u[i]);
	for (size_t i = 0; i < sizeof(s) / sizeof(*s); i++)
		vt_put_s(&b, s[i]);
	ck_assert_uint_eq(vt_crc_seal(&b, 0), VT_OK);
	ck_assert(vt_crc_check(b.ptr, b.len));
	r.p = (const unsigned char *)b.ptr;
	r.end = r.p + b.len - 4;
	r.bad = 0;
	for (size_t i = 0; i < sizeof(u) / sizeof(*u); i++)
		ck_assert(vt_get_u(&r) == u[i]);
	for (size_t i = 0; i < sizeof(s) / sizeof(*s); i++)
		ck_assert(vt_get_s(&r) == s[i]);
	ck_assert_int_eq(r.bad, 0);
	ck_assert(r.p == r.end);
	/* past the end: bad, and 0 from then on */
	ck_assert(vt_get_u(&r) == 0);
	ck_assert_int_eq(r.bad, 1);
	/* a flipped bit breaks the seal */
	b.ptr[3] ^= 0x10;
	ck_assert(!vt_crc_check(b.ptr, b.len));
	ck_assert(!vt_crc_check(b.ptr, 3));
	/* eleven continuation bytes are more than 64 bits */
	static const unsigned char longer[11] = { 0xff, 0xff, 0xff, 0xff,
						  0xff, 0xff, 0xff, 0xff,
						  0xff, 0xff, 0x01 };
	r.p = longer;
	r.end = longer + sizeof(longer);
	r.bad = 0;
	ck_assert(vt_get_u(&r) == 0);
	ck_assert_int_eq(r.bad, 1);
	/* a time outside the years 0000-9999 is damage */
	vt_buf_reset(&b);
	vt_put_s(&b, VT_TIME_MAX + 1);
	r.p = (const unsigned char *)b.ptr;
	r.end = r.p + b.len;
	r.bad = 0;
	ck_assert(vt_get_time(&r) == 0);
	ck_assert_int_eq(r.bad, 1);
	vt_buf_release(&b);
}
END_TEST

Suite *util_suite(void);

Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *hash = tcase_create("hash");
	TCase *time = tcase_create("time");
	TCase *buf = tcase_create("buf");
	TCase *map = tcase_create("map");

	tcase_add_test(hash, sha256_nist_abc);
	tcase_add_test(hash, json_depth_bound);
	tcase_add_test(hash, sha256_nist_empty);
	tcase_add_test(hash, sha256_nist_448_bits);
	tcase_add_test(hash, sha256_nist_million_a);
	tcase_add_test(hash, sha256_block_edges);
	tcase_add_test(hash, hmac_rfc4231_case1);
	tcase_add_test(hash, hmac_rfc4231_case2);
	tcase_add_test(hash, hmac_rfc4231_case6);
	tcase_add_test(hash, crc32_check_value);
	tcase_add_test(hash, varint_round_trip_and_damage);
	tcase_add_test(hash, hex_lower_case);
	tcase_add_test(time, time_parse_zulu_and_epoch);
	tcase_add_test(time, time_parse_offsets);
	tcase_add_test(time, time_parse_fraction);
	tcase_add_test(time, time_parse_leap_days);
	tcase_add_test(time, time_parse_rejects_bad_shapes);
	tcase_add_test(time, time_format_round_trip);
	tcase_add_test(time, time_parse_cached_same_hour);
	tcase_add_test(time, civil_days_round_trip);
	tcase_add_test(buf, buf_cap_exact_boundary);
	tcase_add_test(buf, buf_limit_leaves_contents);
	tcase_add_test(buf, buf_grows_large);
	tcase_add_test(map, map_many_keys);
	tcase_add_test(map, map_colliding_low_bits);
	suite_add_tcase(s, hash);
	suite_add_tcase(s, time);
	suite_add_tcase(s, buf);
	suite_add_tcase(s, map);
	return s;
}
