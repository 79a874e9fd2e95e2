/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the aggregate's binary encoding (aggregator/serialize.c).
 * The input is a blob; its CRC-32 trailer is rewritten so the structure
 * behind the checksum is reached (the untouched input is tried first).
 * Decoding must refuse cleanly or give an aggregate that summarizes and
 * merges without harm, and that round-trips: encode, decode, encode
 * again gives the same bytes.
 */
#include "blob.h"

/* The periods the program runs with: none, hour, day, week. */
static const int64_t periods[] = { 0, 3600, 86400, 7 * 86400 };

static void round_trip(const struct vt_agg_config *cfg, const struct vt_agg *a)
{
	struct vt_buf e1, e2;
	struct vt_agg *b = NULL;

	vt_buf_init(&e1, SIZE_MAX / 2);
	vt_buf_init(&e2, SIZE_MAX / 2);
	FUZZ_CHECK(vt_agg_encode(a, &e1) == VT_OK);
	FUZZ_CHECK(vt_agg_decode(cfg, e1.ptr, e1.len, &b) == VT_OK);
	FUZZ_CHECK(b != NULL);
	FUZZ_CHECK(vt_agg_period_count(b) == vt_agg_period_count(a));
	FUZZ_CHECK(vt_agg_encode(b, &e2) == VT_OK);
	FUZZ_CHECK(fuzz_same_buf(&e1, &e2));
	vt_agg_free(b);
	vt_buf_release(&e1);
	vt_buf_release(&e2);
}

/* Decodes with cfg; 1 when the blob was accepted. */
static int decode(const struct vt_agg_config *cfg, const char *p, size_t n)
{
	struct vt_agg *a = NULL;
	enum vt_err e = vt_agg_decode(cfg, p, n, &a);

	if (e != VT_OK) {
		FUZZ_CHECK(e == VT_ERR_CORRUPT || e == VT_ERR_VERSION);
		FUZZ_CHECK(a == NULL); /* *out untouched */
		return 0;
	}
	FUZZ_CHECK(a != NULL);
	fuzz_exercise(cfg, a);
	round_trip(cfg, a);
	vt_agg_free(a);
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *fixed;

	fuzz_blob_init();
	for (size_t i = 0; i < VT_ARRAY_LEN(periods); i++) {
		struct vt_agg_config cfg = fuzz_config(periods[i]);

		decode(&cfg, (const char *)data, size);
	}
	if (size < 9)
		return 0;
	fixed = vt_xmalloc(size);
	memcpy(fixed, data, size);
	fuzz_fix_crc(fixed, 0, size - 4);
	for (size_t i = 0; i < VT_ARRAY_LEN(periods); i++) {
		struct vt_agg_config cfg = fuzz_config(periods[i]);

		if (decode(&cfg, (const char *)fixed, size)) {
			/* Again under tight caps: refused or accepted whole. */
			cfg.max_instances = 2;
			cfg.max_streams = 3;
			decode(&cfg, (const char *)fixed, size);
		}
	}
	free(fixed);
	return 0;
}
