/* SPDX-License-Identifier: Apache-2.0 */
/*
 * State encoding. Layout: "VTST" u8 version, then varints (signed ones
 * zigzag-encoded): created last_run period_seconds finalized_until
 * upload_enabled_at last_mode opted_out [counting_since] files_lost
 * bytes_lost, [nlosses { at bytes group flags/rot }], ncps { fp fp_len
 * offset counted_until marker size_seen dev ino path_hash instance stream
 * last_seen [group flags/rot stat_size acc_open acc_period acc_bytes] },
 * then the aggregate's own
 * encoding (length-prefixed), then a CRC-32 of all bytes before it.
 * Version 1 (no opted_out, no bracketed fields, nothing keyed) and
 * version 2 (opted_out, keyed, no bracketed fields) are still read;
 * version 3 writes them all.
 *
 * The state holds hashes, byte positions, counts and, per file, the
 * rotation part of its name (what its name adds to its live file's:
 * "-20261124.gz"), never a path, a log's own name or log text. From
 * version 2 every hash (fp, marker, path_hash, instance, stream, group,
 * and those of the aggregate) and every byte position or size (fp_len,
 * offset, counted_until, size_seen, stat_size, bytes_lost, a loss's
 * bytes) is stored as its image under the state's key (cfg->state_key,
 * vt_prp_fwd), so the file confirms no guess without the key. A file's
 * flags and rotation part (version 3) are sealed together: a random
 * nonce (8 bytes), then ROT_BLOB bytes (flags, length, the part, zeros) XORed with
 * vt_prp_fwd(key, nonce + j), so neither the part nor its length shows.
 * opted_out: telemetry was turned off, and the checkpoints, losses and
 * aggregate were dropped (see vt_state_opt_out). Version 3 also holds
 * counting_since after opted_out (when telemetry came back on: no event
 * timed before it is counted) and, after each checkpoint's rotation
 * fields, acc_open acc_period acc_bytes (keyed): what the file gave the
 * open period, reported once when the period closes.
 */
#include "state.h"
#include "../util/hash.h"
#include "../util/varint.h"
#include "../util/timeutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static const char MAGIC[4] = { 'V', 'T', 'S', 'T' };

void vt_state_init(struct vt_state *s)
{
	memset(s, 0, sizeof(*s));
}

void vt_state_release(struct vt_state *s)
{
	free(s->cps);
	vt_agg_free(s->agg);
	memset(s, 0, sizeof(*s));
}

uint64_t vt_content_hash(const void *p, size_t n)
{
	unsigned char d[VT_SHA256_LEN];
	uint64_t v = 0;

	vt_sha256(p, n, d);
	for (int i = 0; i < 8; i++)
		v = v << 8 | d[i];
	return v;
}

int vt_checkpoint_head_matches(const struct vt_checkpoint *cp,
			       const unsigned char *head, size_t head_len)
{
	return cp->fp_len > 0 && head_len >= cp->fp_len &&
	       vt_content_hash(head, cp->fp_len) == cp->fp;
}

size_t vt_marker_len(uint64_t offset)
{
	return offset < VT_MARKER_LEN ? (size_t)offset : VT_MARKER_LEN;
}

int vt_checkpoint_marker_ok(const struct vt_checkpoint *cp,
			    const unsigned char *tail, size_t n)
{
	return n == vt_marker_len(cp->offset) &&
	       vt_content_hash(tail, n) == cp->marker;
}

int vt_rot_valid(const char *rot, size_t n)
{
	if (n > VT_ROT_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)rot[i] < 0x20 || rot[i] == 0x7f ||
		    rot[i] == '/' || (rot[i] == '.' && i + 1 < n && rot[i + 1] == '.'))
			return 0;
	return 1;
}

void vt_state_add_loss(struct vt_state *s, const struct vt_loss *loss)
{
	if (s->nlosses == VT_MAX_LOSSES) {
		memmove(s->losses, s->losses + 1,
			(VT_MAX_LOSSES - 1) * sizeof(*s->losses));
		s->nlosses--;
	}
	s->losses[s->nlosses++] = *loss;
}

/* A file's flags and rotation part, sealed: flags, length, part, zeros. */
#define ROT_BLOB (2 + VT_ROT_MAX + 7)
#define ROT_BLOCKS (ROT_BLOB / 8)

static void rot_xor(const struct vt_prp *key, uint64_t nonce,
		    unsigned char blob[ROT_BLOB])
{
	for (size_t j = 0; j < ROT_BLOCKS; j++) {
		uint64_t v = key ? vt_prp_fwd(key, nonce + j) : 0;

		for (size_t b = 0; b < 8; b++)
			blob[j * 8 + b] ^= (unsigned char)(v >> (8 * b));
	}
}

static uint64_t rot_nonce(void)
{
	static uint64_t counter;
	uint64_t v;
	struct timespec ts;

	if (getrandom(&v, sizeof(v), 0) == (ssize_t)sizeof(v))
		return v;
	clock_gettime(CLOCK_REALTIME, &ts);
	return vt_siphash((uint64_t)ts.tv_nsec, ++counter, &ts, sizeof(ts));
}

static void put_rot(struct vt_buf *out, const struct vt_prp *key,
		    uint32_t flags, const char *rot)
{
	unsigned char blob[ROT_BLOB] = { 0 };
	size_t n = strnlen(rot, VT_ROT_MAX);
	uint64_t nonce = key ? rot_nonce() : 0;

	blob[0] = (unsigned char)flags;
	blob[1] = (unsigned char)n;
	memcpy(blob + 2, rot, n);
	rot_xor(key, nonce, blob);
	for (size_t b = 0; b < 8; b++) /* fixed width: no length shows */
		vt_buf_putc(out, (char)(nonce >> (8 * b)));
	vt_buf_append(out, blob, sizeof(blob));
}

/*
 * Unsealed under another key (a replaced secret, or none: 'status'
 * without DIR/secret) the part is noise: it is dropped, not taken as
 * corruption (the CRC has already vouched for the bytes).
 */
static void get_rot(struct vt_reader *r, const struct vt_prp *key,
		    uint32_t *flags, char *rot)
{
	unsigned char blob[ROT_BLOB];
	uint64_t nonce = 0;

	rot[0] = '\0';
	*flags = 0;
	if (r->bad || (size_t)(r->end - r->p) < 8 + sizeof(blob)) {
		r->bad = 1;
		return;
	}
	for (size_t b = 0; b < 8; b++)
		nonce |= (uint64_t)r->p[b] << (8 * b);
	memcpy(blob, r->p + 8, sizeof(blob));
	r->p += 8 + sizeof(blob);
	rot_xor(key, nonce, blob);
	if (blob[0] > 15 || blob[1] > VT_ROT_MAX ||
	    !vt_rot_valid((const char *)blob + 2, blob[1]))
		return;
	*flags = blob[0];
	memcpy(rot, blob + 2, blob[1]);
	rot[blob[1]] = '\0';
}

void vt_checkpoint_mark(struct vt_checkpoint *cp, uint64_t offset,
			const unsigned char *tail, size_t n)
{
	cp->offset = offset;
	cp->marker = vt_content_hash(tail, n);
}

void vt_state_opt_out(struct vt_state *s)
{
	free(s->cps);
	s->cps = NULL;
	s->ncps = 0;
	vt_agg_free(s->agg);
	s->agg = NULL;
	s->files_lost = s->bytes_lost = 0;
	s->nlosses = 0;
	memset(s->losses, 0, sizeof(s->losses));
	s->finalized_until = 0;
	s->upload_enabled_at = 0;
	s->opted_out = 1;
}

enum vt_err vt_state_encode(const struct vt_state *s,
			    const struct vt_prp *key, struct vt_buf *out)
{
	struct vt_buf agg;
	size_t start = out->len;
	enum vt_err err;

	vt_buf_init(&agg, SIZE_MAX / 2);
	if (s->agg) {
		err = vt_agg_encode(s->agg, &agg);
		if (err)
			goto out;
	}
	vt_buf_append(out, MAGIC, sizeof(MAGIC));
	vt_buf_putc(out, VT_STATE_FORMAT_VERSION);
	vt_put_s(out, s->created);
	vt_put_s(out, s->last_run);
	vt_put_s(out, s->period_seconds);
	vt_put_s(out, s->finalized_until);
	vt_put_s(out, s->upload_enabled_at);
	vt_put_s(out, s->last_mode);
	vt_put_u(out, (uint64_t)s->opted_out);
	vt_put_s(out, s->counting_since);
	vt_put_u(out, s->files_lost);
	vt_put_u(out, vt_prp_fwd(key, s->bytes_lost));
	vt_put_u(out, s->nlosses);
	for (size_t i = 0; i < s->nlosses; i++) {
		const struct vt_loss *l = &s->losses[i];

		vt_put_s(out, l->at);
		vt_put_u(out, vt_prp_fwd(key, l->bytes));
		vt_put_u(out, vt_prp_fwd(key, l->group));
		put_rot(out, key, l->flags, l->rot);
	}
	vt_put_u(out, s->ncps);
	for (size_t i = 0; i < s->ncps; i++) {
		const struct vt_checkpoint *c = &s->cps[i];

		vt_put_u(out, vt_prp_fwd(key, c->fp));
		vt_put_u(out, vt_prp_fwd(key, c->fp_len)); /* a small file's size */
		vt_put_u(out, vt_prp_fwd(key, c->offset));
		vt_put_u(out, vt_prp_fwd(key, c->counted_until));
		vt_put_u(out, vt_prp_fwd(key, c->marker));
		vt_put_u(out, vt_prp_fwd(key, c->size_seen));
		vt_put_u(out, c->dev);
		vt_put_u(out, c->ino);
		vt_put_u(out, vt_prp_fwd(key, c->path_hash));
		vt_put_u(out, vt_prp_fwd(key, c->instance));
		vt_put_u(out, vt_prp_fwd(key, c->stream));
		vt_put_s(out, c->last_seen);
		vt_put_u(out, vt_prp_fwd(key, c->group));
		put_rot(out, key, c->flags, c->rot);
		vt_put_u(out, vt_prp_fwd(key, c->stat_size));
		vt_put_u(out, (uint64_t)c->acc_open);
		vt_put_s(out, c->acc_period);
		vt_put_u(out, vt_prp_fwd(key, c->acc_bytes));
	}
	vt_put_u(out, agg.len);
	vt_buf_append(out, agg.ptr, agg.len);
	err = vt_crc_seal(out, start);
out:
	vt_buf_release(&agg);
	return err;
}

enum vt_err vt_state_decode(const struct vt_agg_config *cfg, const char *p,
			    size_t n, struct vt_state *s)
{
	const unsigned char *u = (const unsigned char *)p;
	struct vt_reader r;
	enum vt_err err;

	vt_state_init(s);
	if (n < sizeof(MAGIC) + 5 || memcmp(p, MAGIC, sizeof(MAGIC)) != 0)
		return VT_ERR_CORRUPT;
	if (!vt_crc_check(p, n))
		return VT_ERR_CORRUPT;
	if (u[4] > VT_STATE_FORMAT_VERSION)
		return VT_ERR_VERSION;
	if (u[4] < 1)
		return VT_ERR_CORRUPT;
	/* Version 1 stored its hashes as they are. */
	struct vt_agg_config kcfg = *cfg;
	if (u[4] == 1)
		kcfg.state_key = NULL;
	const struct vt_prp *key = kcfg.state_key;
	int v3 = u[4] >= 3;
	r.p = u + 5;
	r.end = u + n - 4;
	r.bad = 0;
	s->created = vt_get_time(&r);
	s->last_run = vt_get_time(&r);
	s->period_seconds = vt_get_s(&r);
	s->finalized_until = vt_get_time(&r);
	s->upload_enabled_at = vt_get_time(&r);
	s->last_mode = vt_get_s(&r);
	if (u[4] >= 2)
		s->opted_out = vt_get_u(&r) != 0;
	if (u[4] >= 3)
		s->counting_since = vt_get_time(&r);
	s->files_lost = vt_get_u(&r);
	s->bytes_lost = vt_get_u(&r);
	if (v3)
		s->bytes_lost = vt_prp_inv(key, s->bytes_lost);
	uint64_t nl = v3 ? vt_get_u(&r) : 0;
	if (nl > VT_MAX_LOSSES)
		r.bad = 1;
	for (size_t i = 0; i < nl && !r.bad; i++) {
		struct vt_loss *l = &s->losses[s->nlosses++];

		l->at = vt_get_time(&r);
		l->bytes = vt_prp_inv(key, vt_get_u(&r));
		l->group = vt_prp_inv(key, vt_get_u(&r));
		get_rot(&r, key, &l->flags, l->rot);
	}
	uint64_t ncps = vt_get_u(&r);
	if (ncps > (uint64_t)(r.end - r.p) / 12)
		r.bad = 1;
	if (!r.bad && ncps) {
		s->cps = vt_xcalloc((size_t)ncps, sizeof(*s->cps));
		s->ncps = (size_t)ncps;
	}
	for (size_t i = 0; i < s->ncps && !r.bad; i++) {
		struct vt_checkpoint *c = &s->cps[i];

		c->fp = vt_prp_inv(key, vt_get_u(&r));
		uint64_t fp_len = vt_prp_inv(key, vt_get_u(&r));

		/* Read under another key: a length that matches no file. */
		c->fp_len = fp_len > VT_FP_LEN ? 0 : (uint32_t)fp_len;
		c->offset = vt_prp_inv(key, vt_get_u(&r));
		c->counted_until = vt_prp_inv(key, vt_get_u(&r));
		c->marker = vt_prp_inv(key, vt_get_u(&r));
		c->size_seen = vt_prp_inv(key, vt_get_u(&r));
		c->dev = vt_get_u(&r);
		c->ino = vt_get_u(&r);
		c->path_hash = vt_prp_inv(key, vt_get_u(&r));
		c->instance = vt_prp_inv(key, vt_get_u(&r));
		c->stream = vt_prp_inv(key, vt_get_u(&r));
		c->last_seen = vt_get_time(&r);
		if (v3) {
			c->group = vt_prp_inv(key, vt_get_u(&r));
			get_rot(&r, key, &c->flags, c->rot);
			c->stat_size = vt_prp_inv(key, vt_get_u(&r));
			c->acc_open = vt_get_u(&r) != 0;
			c->acc_period = vt_get_time(&r);
			c->acc_bytes = vt_prp_inv(key, vt_get_u(&r));
		}
		if (c->fp_len > VT_FP_LEN)
			r.bad = 1;
	}
	uint64_t alen = vt_get_u(&r);
	if (r.bad || alen != (uint64_t)(r.end - r.p)) {
		vt_state_release(s);
		return VT_ERR_CORRUPT;
	}
	if (s->period_seconds != cfg->period_seconds) {
		/* Keep period_seconds for the caller's message. */
		int64_t ps = s->period_seconds;

		vt_state_release(s);
		s->period_seconds = ps;
		return VT_ERR_USAGE;
	}
	if (alen) {
		err = vt_agg_decode(&kcfg, (const char *)r.p, (size_t)alen,
				    &s->agg);
		if (err) {
			vt_state_release(s);
			return err;
		}
	}
	return VT_OK;
}
