/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the state file (state/state.c). The input is a state
 * file's bytes, decoded as 'status' does (learning the period from the
 * file when it differs). A second copy gets its checksums rewritten (the
 * embedded aggregate's, when its "VTAG" magic is found, then the file's)
 * so the fields behind them are reached. Decoding must refuse cleanly or
 * give a state that round-trips: encode, decode, encode again gives the
 * same bytes; its aggregate must summarize and merge without harm.
 */
#include "blob.h"
#include "../../state/state.h"

static void round_trip(const struct vt_agg_config *cfg,
		       const struct vt_state *s)
{
	struct vt_buf e1, e2;
	struct vt_state t;

	vt_buf_init(&e1, SIZE_MAX / 2);
	vt_buf_init(&e2, SIZE_MAX / 2);
	FUZZ_CHECK(vt_state_encode(s, NULL, &e1) == VT_OK);
	FUZZ_CHECK(vt_state_decode(cfg, e1.ptr, e1.len, &t) == VT_OK);
	FUZZ_CHECK(t.ncps == s->ncps && (t.agg == NULL) == (s->agg == NULL));
	FUZZ_CHECK(vt_state_encode(&t, NULL, &e2) == VT_OK);
	FUZZ_CHECK(fuzz_same_buf(&e1, &e2));
	vt_state_release(&t);
	vt_buf_release(&e1);
	vt_buf_release(&e2);
}

static void empty(const struct vt_state *s)
{
	FUZZ_CHECK(s->cps == NULL && s->ncps == 0 && s->agg == NULL);
}

static void decode(const char *p, size_t n)
{
	struct vt_agg_config cfg = fuzz_config(0);
	struct vt_state s;
	enum vt_err e = vt_state_decode(&cfg, p, n, &s);

	if (e == VT_ERR_USAGE) {
		/* Another period: only period_seconds is set. */
		empty(&s);
		FUZZ_CHECK(s.period_seconds != cfg.period_seconds);
		cfg.period_seconds = s.period_seconds;
		e = vt_state_decode(&cfg, p, n, &s);
		FUZZ_CHECK(e != VT_ERR_USAGE);
	}
	if (e != VT_OK) {
		FUZZ_CHECK(e == VT_ERR_CORRUPT || e == VT_ERR_VERSION);
		empty(&s);
		return;
	}
	for (size_t i = 0; i < s.ncps; i++)
		FUZZ_CHECK(s.cps[i].fp_len <= VT_FP_LEN);
	if (s.agg)
		fuzz_exercise(&cfg, s.agg);
	round_trip(&cfg, &s);
	vt_state_release(&s);
}

/* Where the embedded aggregate starts, or 0. */
static size_t find_agg(const unsigned char *p, size_t n)
{
	for (size_t i = 5; i + 4 <= n; i++)
		if (memcmp(p + i, "VTAG", 4) == 0)
			return i;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *fixed;
	size_t at;

	fuzz_blob_init();
	decode((const char *)data, size);
	if (size < 9)
		return 0;
	fixed = vt_xmalloc(size);
	memcpy(fixed, data, size);
	at = find_agg(fixed, size);
	/* The aggregate ends where the file's own checksum begins. */
	if (at && size - 4 >= at + 9)
		fuzz_fix_crc(fixed, at, size - 8);
	fuzz_fix_crc(fixed, 0, size - 4);
	decode((const char *)fixed, size);
	free(fixed);
	return 0;
}
