/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: file identity, truncation detection, the state file. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../state/state.h"
#include "../../util/hash.h"
#include "../../util/varint.h"

/* Sequence-numbered lines, like a log that keeps growing. */
static size_t fill(unsigned char *buf, size_t cap, unsigned first,
		   unsigned count)
{
	size_t n = 0;

	for (unsigned i = first; i < first + count && n + 64 < cap; i++)
		n += (size_t)snprintf((char *)buf + n, cap - n,
				      "{\"time\":\"2026-11-24T10:00:%02uZ\",\"seq\":%u}\n",
				      i % 60, i);
	return n;
}

/* A checkpoint as run makes it after reading len bytes of buf. */
static struct vt_checkpoint checkpoint(const unsigned char *buf, size_t len,
				       uint64_t offset)
{
	struct vt_checkpoint cp;
	size_t fp = len < VT_FP_LEN ? len : VT_FP_LEN;
	size_t m = vt_marker_len(offset);

	memset(&cp, 0, sizeof(cp));
	cp.fp_len = (uint32_t)fp;
	cp.fp = vt_content_hash(buf, fp);
	vt_checkpoint_mark(&cp, offset, buf + offset - m, m);
	return cp;
}

START_TEST(grown_file_is_the_same_file)
{
	static unsigned char buf[8192];
	size_t small = fill(buf, sizeof(buf), 0, 3);
	struct vt_checkpoint cp = checkpoint(buf, small, small);
	size_t big = fill(buf, sizeof(buf), 0, 60);

	/* a small file's fingerprint covers what it had; it still matches */
	ck_assert_uint_lt(cp.fp_len, VT_FP_LEN);
	ck_assert(vt_checkpoint_head_matches(&cp, buf, big));
	ck_assert(vt_checkpoint_marker_ok(&cp, buf + small - vt_marker_len(small),
					  vt_marker_len(small)));
}
END_TEST

START_TEST(renamed_or_compressed_copy_matches_by_content)
{
	static unsigned char a[8192], b[8192];
	size_t n = fill(a, sizeof(a), 0, 80);
	struct vt_checkpoint cp = checkpoint(a, n, 500);

	/* x.log.1 and x.log.1.gz decompress to the same bytes */
	memcpy(b, a, n);
	ck_assert(vt_checkpoint_head_matches(&cp, b, n));
	ck_assert(vt_checkpoint_marker_ok(&cp, b + 500 - VT_MARKER_LEN,
					  VT_MARKER_LEN));
}
END_TEST

START_TEST(truncated_and_regrown_file_is_a_new_file)
{
	static unsigned char old[8192], now[8192];
	size_t n = fill(old, sizeof(old), 0, 80);
	struct vt_checkpoint cp = checkpoint(old, n, n);
	/* copytruncate: the live file starts again with later lines and
	 * grows past the old offset */
	size_t m = fill(now, sizeof(now), 100, 120);

	ck_assert_uint_gt(m, n);
	ck_assert(!vt_checkpoint_head_matches(&cp, now, m));
}
END_TEST

START_TEST(rewritten_tail_is_detected_by_the_marker)
{
	static unsigned char buf[8192];
	size_t n = fill(buf, sizeof(buf), 0, 80);
	struct vt_checkpoint cp = checkpoint(buf, n, 2000);

	/* same head, different bytes before the offset */
	buf[1990] ^= 1;
	ck_assert(vt_checkpoint_head_matches(&cp, buf, n));
	ck_assert(!vt_checkpoint_marker_ok(&cp, buf + 2000 - VT_MARKER_LEN,
					   VT_MARKER_LEN));
	/* and a shorter tail than the marker wants is no match */
	ck_assert(!vt_checkpoint_marker_ok(&cp, buf, 10));
}
END_TEST

START_TEST(empty_head_matches_nothing)
{
	static unsigned char buf[64];
	struct vt_checkpoint cp;

	memset(&cp, 0, sizeof(cp));
	ck_assert(!vt_checkpoint_head_matches(&cp, buf, sizeof(buf)));
	cp.fp_len = 10;
	cp.fp = vt_content_hash(buf, 10);
	ck_assert(!vt_checkpoint_head_matches(&cp, buf, 9)); /* too short */
	ck_assert(vt_checkpoint_head_matches(&cp, buf, 10));
}
END_TEST

static struct vt_agg_config cfg(void)
{
	struct vt_agg_config c;

	memset(&c, 0, sizeof(c));
	c.period_seconds = 86400;
	c.servers = vt_allowlist_new();
	c.clients = vt_allowlist_new();
	return c;
}

static void cfg_free(struct vt_agg_config *c)
{
	vt_allowlist_free((struct vt_allowlist *)c->servers);
	vt_allowlist_free((struct vt_allowlist *)c->clients);
}

static void sample_state(struct vt_state *s, const struct vt_agg_config *c)
{
	vt_state_init(s);
	s->created = 1795000000;
	s->last_run = 1795500000;
	s->period_seconds = 86400;
	s->finalized_until = 1795478400;
	s->upload_enabled_at = -5;
	s->files_lost = 2;
	/* values of 4 bytes or more as varints: the keyed-state test looks
	 * for them in random-looking bytes, where a short one may turn up */
	s->bytes_lost = 0x12345678ULL;
	s->ncps = 3;
	s->cps = calloc(3, sizeof(*s->cps));
	for (size_t i = 0; i < 3; i++) {
		s->cps[i].fp = 0x1234567890abcdefULL * (i + 1);
		s->cps[i].fp_len = (uint32_t)(100 * i + 1);
		s->cps[i].offset = (uint64_t)1 << (20 + i);
		s->cps[i].counted_until = s->cps[i].offset + 7;
		s->cps[i].marker = ~(uint64_t)i;
		s->cps[i].size_seen = UINT64_MAX - i;
		s->cps[i].dev = 2049;
		s->cps[i].ino = 77 + i;
		s->cps[i].path_hash = i;
		s->cps[i].instance = 5;
		s->cps[i].stream = 6 + i;
		s->cps[i].last_seen = -(int64_t)i;
		s->cps[i].group = 0xfeedface00ULL + i;
		s->cps[i].flags = (uint32_t)i;
		s->cps[i].stat_size = 0x40000000ULL + i;
		snprintf(s->cps[i].rot, sizeof(s->cps[i].rot), "%s",
			 i == 0 ? "" : i == 1 ? ".1" : "-20261124-1764000000.log.gz");
	}
	for (size_t i = 0; i < VT_MAX_LOSSES + 3; i++) {
		struct vt_loss l;

		/* compared with memcmp: padding included */
		memset(&l, 0, sizeof(l));
		l.at = 1795000000 + (int64_t)i;
		l.bytes = i * 10;
		l.group = 0xfeed;
		l.flags = 1;
		snprintf(l.rot, sizeof(l.rot), ".%zu.zst", i);
		vt_state_add_loss(s, &l); /* the oldest 3 are dropped */
	}
	s->agg = vt_agg_new(c);
}

START_TEST(state_round_trip)
{
	struct vt_agg_config c = cfg();
	struct vt_state s, t;
	struct vt_buf a, b;

	sample_state(&s, &c);
	vt_buf_init(&a, 1 << 20);
	vt_buf_init(&b, 1 << 20);
	ck_assert_int_eq(vt_state_encode(&s, NULL, &a), VT_OK);
	ck_assert_int_eq(vt_state_decode(&c, a.ptr, a.len, &t), VT_OK);
	ck_assert_int_eq(t.created, s.created);
	ck_assert_int_eq(t.finalized_until, s.finalized_until);
	ck_assert_int_eq(t.upload_enabled_at, -5);
	ck_assert_uint_eq(t.bytes_lost, 0x12345678ULL);
	ck_assert_uint_eq(t.ncps, 3);
	ck_assert_int_eq(memcmp(t.cps, s.cps, 3 * sizeof(*s.cps)), 0);
	ck_assert_str_eq(t.cps[2].rot, "-20261124-1764000000.log.gz");
	ck_assert_uint_eq(t.nlosses, VT_MAX_LOSSES);
	ck_assert_str_eq(t.losses[0].rot, ".3.zst");
	ck_assert_int_eq(memcmp(t.losses, s.losses, sizeof(s.losses)), 0);
	ck_assert_int_eq(vt_state_encode(&t, NULL, &b), VT_OK);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_int_eq(memcmp(a.ptr, b.ptr, a.len), 0);
	vt_state_release(&s);
	vt_state_release(&t);
	vt_buf_release(&a);
	vt_buf_release(&b);
	cfg_free(&c);
}
END_TEST

/* Main's format 2 header: format 1's plus opted_out; keyed bytes_lost not. */
static void put_old_header(struct vt_buf *h, const struct vt_state *s, int v)
{
	vt_buf_append(h, "VTST", 4);
	vt_buf_putc(h, (char)v);
	vt_put_s(h, s->created);
	vt_put_s(h, s->last_run);
	vt_put_s(h, s->period_seconds);
	vt_put_s(h, s->finalized_until);
	vt_put_s(h, s->upload_enabled_at);
	vt_put_s(h, s->last_mode);
	if (v == 2)
		vt_put_u(h, 1); /* opted_out */
	vt_put_u(h, s->files_lost);
	vt_put_u(h, s->bytes_lost);
}

/*
 * States written by format 1 (unkeyed, no opted_out) and format 2 (keyed,
 * opted_out; no losses, group, flags, rotation part or stat_size) are
 * still read: written here field by field as those versions laid them
 * out, with one checkpoint and an empty aggregate.
 */
START_TEST(formats_1_and_2_are_read)
{
	struct vt_agg_config c = cfg();
	struct vt_state s, t;
	struct vt_prp k;
	unsigned char key[32] = { 9, 8, 7 };

	vt_prp_init(&k, key);
	sample_state(&s, &c);
	for (int v = 1; v <= 2; v++) {
		const struct vt_prp *kk = v == 2 ? &k : NULL;
		const struct vt_checkpoint *cp = &s.cps[1];
		struct vt_buf h;

		vt_buf_init(&h, 1 << 16);
		put_old_header(&h, &s, v);
		vt_put_u(&h, 1);
		vt_put_u(&h, vt_prp_fwd(kk, cp->fp));
		vt_put_u(&h, vt_prp_fwd(kk, cp->fp_len));
		vt_put_u(&h, vt_prp_fwd(kk, cp->offset));
		vt_put_u(&h, vt_prp_fwd(kk, cp->counted_until));
		vt_put_u(&h, vt_prp_fwd(kk, cp->marker));
		vt_put_u(&h, vt_prp_fwd(kk, cp->size_seen));
		vt_put_u(&h, cp->dev);
		vt_put_u(&h, cp->ino);
		vt_put_u(&h, vt_prp_fwd(kk, cp->path_hash));
		vt_put_u(&h, vt_prp_fwd(kk, cp->instance));
		vt_put_u(&h, vt_prp_fwd(kk, cp->stream));
		vt_put_s(&h, cp->last_seen);
		vt_put_u(&h, 0); /* no aggregate */
		ck_assert_int_eq(vt_crc_seal(&h, 0), VT_OK);
		c.state_key = &k; /* format 1 is read unkeyed whatever the key */
		ck_assert_int_eq(vt_state_decode(&c, h.ptr, h.len, &t), VT_OK);
		ck_assert_int_eq(t.opted_out, v == 2);
		ck_assert_uint_eq(t.bytes_lost, 0x12345678ULL);
		ck_assert_uint_eq(t.nlosses, 0);
		ck_assert_uint_eq(t.ncps, 1);
		ck_assert_uint_eq(t.cps[0].fp, cp->fp);
		ck_assert_uint_eq(t.cps[0].offset, cp->offset);
		ck_assert_uint_eq(t.cps[0].size_seen, cp->size_seen);
		ck_assert_uint_eq(t.cps[0].instance, cp->instance);
		ck_assert_uint_eq(t.cps[0].group, 0);
		ck_assert_str_eq(t.cps[0].rot, "");
		vt_state_release(&t);
		/* and format 3 reads the same bytes as damage */
		h.ptr[4] = 3;
		h.len -= 4;
		ck_assert_int_eq(vt_crc_seal(&h, 0), VT_OK);
		ck_assert_int_ne(vt_state_decode(&c, h.ptr, h.len, &t), VT_OK);
		vt_buf_release(&h);
	}
	vt_state_release(&s);
	cfg_free(&c);
}
END_TEST

START_TEST(rotation_parts_that_are_not_names_are_refused)
{
	ck_assert(vt_rot_valid("-20261124-1764000000.log.gz", 27));
	ck_assert(vt_rot_valid("", 0));
	ck_assert(!vt_rot_valid(".1\n", 3));
	ck_assert(!vt_rot_valid("/../etc", 7));
	ck_assert(!vt_rot_valid("..", 2));
	ck_assert(!vt_rot_valid("\x1b[2J", 4));
	char big[VT_ROT_MAX + 2];
	memset(big, '1', sizeof(big));
	ck_assert(vt_rot_valid(big, VT_ROT_MAX));
	ck_assert(!vt_rot_valid(big, VT_ROT_MAX + 1));
}
END_TEST

START_TEST(corrupt_state_is_refused)
{
	struct vt_agg_config c = cfg();
	struct vt_state s, t;
	struct vt_buf a;

	sample_state(&s, &c);
	vt_buf_init(&a, 1 << 20);
	ck_assert_int_eq(vt_state_encode(&s, NULL, &a), VT_OK);
	for (size_t i = 0; i < a.len; i++)
		for (int bit = 0; bit < 8; bit += 3) {
			a.ptr[i] ^= (char)(1 << bit);
			ck_assert_int_ne(vt_state_decode(&c, a.ptr, a.len, &t),
					 VT_OK);
			ck_assert_uint_eq(t.ncps, 0);
			ck_assert_ptr_null(t.agg);
			a.ptr[i] ^= (char)(1 << bit);
		}
	for (size_t n = 0; n < a.len; n++)
		ck_assert_int_eq(vt_state_decode(&c, a.ptr, n, &t),
				 VT_ERR_CORRUPT);
	ck_assert_int_eq(vt_state_decode(&c, "", 0, &t), VT_ERR_CORRUPT);
	vt_state_release(&s);
	vt_buf_release(&a);
	cfg_free(&c);
}
END_TEST

/* Times no run could have written (past year 9999) are damage. */
START_TEST(times_out_of_range_are_damage)
{
	struct vt_agg_config c = cfg();
	struct vt_state s, t;
	struct vt_buf a;

	for (int which = 0; which < 4; which++) {
		sample_state(&s, &c);
		if (which == 0)
			s.finalized_until = INT64_MAX / 2;
		else if (which == 1)
			s.upload_enabled_at = INT64_MIN / 2;
		else if (which == 2)
			s.cps[1].last_seen = 253402300800LL + 8 * 86400;
		else
			s.created = 253402300800LL; /* 10000-01-01: in range */
		vt_buf_init(&a, 1 << 20);
		ck_assert_int_eq(vt_state_encode(&s, NULL, &a), VT_OK);
		ck_assert_int_eq(vt_state_decode(&c, a.ptr, a.len, &t),
				 which == 3 ? VT_OK : VT_ERR_CORRUPT);
		if (which == 3)
			vt_state_release(&t);
		vt_state_release(&s);
		vt_buf_release(&a);
	}
	cfg_free(&c);
}
END_TEST

START_TEST(newer_or_other_period_state_is_refused)
{
	struct vt_agg_config c = cfg();
	struct vt_state s, t;
	struct vt_buf a;
	uint32_t crc;

	sample_state(&s, &c);
	vt_buf_init(&a, 1 << 20);
	ck_assert_int_eq(vt_state_encode(&s, NULL, &a), VT_OK);
	c.period_seconds = 3600;
	ck_assert_int_eq(vt_state_decode(&c, a.ptr, a.len, &t), VT_ERR_USAGE);
	ck_assert_int_eq(t.period_seconds, 86400);
	c.period_seconds = 86400;
	a.ptr[4] = VT_STATE_FORMAT_VERSION + 1;
	crc = vt_crc32(0, a.ptr, a.len - 4);
	for (int i = 0; i < 4; i++)
		a.ptr[a.len - 4 + (size_t)i] = (char)(crc >> (8 * i));
	ck_assert_int_eq(vt_state_decode(&c, a.ptr, a.len, &t),
			 VT_ERR_VERSION);
	vt_state_release(&s);
	vt_buf_release(&a);
	cfg_free(&c);
}
END_TEST


static void put_crc(unsigned char *p, size_t from, size_t at)
{
	uint32_t crc = vt_crc32(0, p + from, at - from);

	for (int i = 0; i < 4; i++)
		p[at + (size_t)i] = (unsigned char)(crc >> (8 * i));
}

/*
 * Found by fuzz_state (tests/fuzz/regressions/fuzz_state/procs-order): a
 * period's processes were written in hash-table order, so a state whose
 * table had probed around its end came back in another order and was
 * written with other bytes. The checksums of the saved input are set the
 * way the fuzz target sets them; the state must round-trip byte for byte.
 */
START_TEST(state_encoding_is_canonical)
{
	static unsigned char in[1 << 16];
	struct vt_agg_config c = cfg();
	struct vt_state s, t;
	struct vt_buf e1, e2;
	FILE *f = fopen(VT_SOURCE_DIR "/tests/fuzz/regressions/fuzz_state/procs-order",
			"rb");
	size_t n, at = 0;

	ck_assert_ptr_nonnull(f);
	n = fread(in, 1, sizeof(in), f);
	fclose(f);
	for (size_t i = 5; i + 4 <= n && !at; i++)
		if (memcmp(in + i, "VTAG", 4) == 0)
			at = i;
	ck_assert_uint_gt(at, 0);
	put_crc(in, at, n - 8);
	put_crc(in, 0, n - 4);
	c.period_seconds = 0;
	enum vt_err e = vt_state_decode(&c, (const char *)in, n, &s);
	if (e == VT_ERR_USAGE) {
		c.period_seconds = s.period_seconds;
		e = vt_state_decode(&c, (const char *)in, n, &s);
	}
	ck_assert_int_eq(e, VT_OK);
	vt_buf_init(&e1, SIZE_MAX / 2);
	vt_buf_init(&e2, SIZE_MAX / 2);
	ck_assert_int_eq(vt_state_encode(&s, NULL, &e1), VT_OK);
	ck_assert_int_eq(vt_state_decode(&c, e1.ptr, e1.len, &t), VT_OK);
	ck_assert_int_eq(vt_state_encode(&t, NULL, &e2), VT_OK);
	ck_assert_uint_eq(e1.len, e2.len);
	ck_assert(memcmp(e1.ptr, e2.ptr, e1.len) == 0);
	vt_state_release(&s);
	vt_state_release(&t);
	vt_buf_release(&e1);
	vt_buf_release(&e2);
	cfg_free(&c);
}
END_TEST


/* The varint encoding of v, as the state writes numbers. */
static size_t varint(uint64_t v, unsigned char *out)
{
	size_t n = 0;

	do {
		out[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

static int holds(const struct vt_buf *b, uint64_t v)
{
	unsigned char enc[10];
	size_t n = varint(v, enc);

	for (size_t i = 0; i + n <= b->len; i++)
		if (memcmp(b->ptr + i, enc, n) == 0)
			return 1;
	return 0;
}

static int has_bytes(const struct vt_buf *b, const char *str)
{
	size_t n = strlen(str);

	for (size_t i = 0; i + n <= b->len; i++)
		if (memcmp(b->ptr + i, str, n) == 0)
			return 1;
	return 0;
}

START_TEST(keyed_state_hides_every_hash)
{
	struct vt_agg_config c = cfg();
	struct vt_state s, t;
	struct vt_buf a;
	struct vt_prp k1, k2;
	unsigned char key[32];

	for (int i = 0; i < 32; i++)
		key[i] = (unsigned char)(i * 7 + 1);
	vt_prp_init(&k1, key);
	key[0] ^= 1;
	vt_prp_init(&k2, key);
	sample_state(&s, &c);
	vt_buf_init(&a, 1 << 20);
	ck_assert_int_eq(vt_state_encode(&s, &k1, &a), VT_OK);
	/* no fingerprint, marker, offset or size appears as it is */
	for (size_t i = 0; i < 3; i++) {
		ck_assert(!holds(&a, s.cps[i].fp));
		ck_assert(!holds(&a, s.cps[i].marker));
		ck_assert(!holds(&a, s.cps[i].offset));
		ck_assert(!holds(&a, s.cps[i].size_seen));
		ck_assert(!holds(&a, s.cps[i].group));
		ck_assert(!holds(&a, s.cps[i].stat_size));
	}
	ck_assert(!holds(&a, s.bytes_lost));
	/* no rotation part, nor its length beside it */
	ck_assert(!has_bytes(&a, "20261124"));
	ck_assert(!has_bytes(&a, ".zst"));
	/* the same key reads it back */
	c.state_key = &k1;
	ck_assert_int_eq(vt_state_decode(&c, a.ptr, a.len, &t), VT_OK);
	ck_assert_int_eq(memcmp(t.cps, s.cps, 3 * sizeof(*s.cps)), 0);
	ck_assert_int_eq(memcmp(t.losses, s.losses, sizeof(s.losses)), 0);
	ck_assert_uint_eq(t.bytes_lost, s.bytes_lost);
	vt_state_release(&t);
	/* the same state written twice shares no sealed rotation part */
	struct vt_buf a2;
	vt_buf_init(&a2, 1 << 20);
	ck_assert_int_eq(vt_state_encode(&s, &k1, &a2), VT_OK);
	ck_assert_uint_eq(a.len, a2.len);
	ck_assert_int_ne(memcmp(a.ptr, a2.ptr, a.len), 0);
	vt_buf_release(&a2);
	/* another key reads other values: nothing matches */
	c.state_key = &k2;
	ck_assert_int_eq(vt_state_decode(&c, a.ptr, a.len, &t), VT_OK);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_uint_ne(t.cps[i].fp, s.cps[i].fp);
		ck_assert_uint_ne(t.cps[i].offset, s.cps[i].offset);
	}
	vt_state_release(&t);
	/* opting out leaves no checkpoint and no aggregate */
	vt_state_opt_out(&s);
	vt_buf_release(&a);
	vt_buf_init(&a, 1 << 20);
	ck_assert_int_eq(vt_state_encode(&s, NULL, &a), VT_OK);
	ck_assert_int_eq(vt_state_decode(&c, a.ptr, a.len, &t), VT_OK);
	ck_assert_uint_eq(t.ncps, 0);
	ck_assert_uint_eq(t.nlosses, 0);
	ck_assert_int_eq(t.opted_out, 1);
	ck_assert_ptr_null(t.agg);
	ck_assert_uint_lt(a.len, 64);
	vt_state_release(&s);
	vt_state_release(&t);
	vt_buf_release(&a);
	cfg_free(&c);
}
END_TEST

START_TEST(prp_is_a_keyed_bijection)
{
	struct vt_prp k;
	unsigned char key[32] = { 1, 2, 3 };
	uint64_t seen_same = 0;

	vt_prp_init(&k, key);
	for (uint64_t v = 0; v < 5000; v++) {
		uint64_t x = v * 0x9e3779b97f4a7c15ULL;
		uint64_t y = vt_prp_fwd(&k, x);

		ck_assert_uint_eq(vt_prp_inv(&k, y), x);
		seen_same += y == x;
	}
	ck_assert_uint_eq(seen_same, 0);
	ck_assert_uint_eq(vt_prp_fwd(NULL, 42), 42);
	/* SipHash-2-4 test vector (Aumasson and Bernstein): key 00..0f,
	 * message 00..0e */
	unsigned char m[15];
	for (int i = 0; i < 15; i++)
		m[i] = (unsigned char)i;
	ck_assert_uint_eq(vt_siphash(0x0706050403020100ULL,
				     0x0f0e0d0c0b0a0908ULL, m, 15),
			  0xa129ca6149be45e5ULL);
}
END_TEST

Suite *state_suite(void);

Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");

	tcase_add_test(tc, grown_file_is_the_same_file);
	tcase_add_test(tc, renamed_or_compressed_copy_matches_by_content);
	tcase_add_test(tc, truncated_and_regrown_file_is_a_new_file);
	tcase_add_test(tc, rewritten_tail_is_detected_by_the_marker);
	tcase_add_test(tc, empty_head_matches_nothing);
	tcase_add_test(tc, rotation_parts_that_are_not_names_are_refused);
	tcase_add_test(tc, formats_1_and_2_are_read);
	tcase_add_test(tc, state_round_trip);
	tcase_add_test(tc, keyed_state_hides_every_hash);
	tcase_add_test(tc, prp_is_a_keyed_bijection);
	tcase_add_test(tc, corrupt_state_is_refused);
	tcase_add_test(tc, newer_or_other_period_state_is_refused);
	tcase_add_test(tc, state_encoding_is_canonical);
	tcase_add_test(tc, times_out_of_range_are_damage);
	suite_add_tcase(s, tc);
	return s;
}
