/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The only file that includes zstd.h, lzma.h and bzlib.h: decoders for
 * rotated logs compressed with zstd, xz or bzip2 (logrotate's compresscmd).
 * Each stream's integrity check is verified by its library; a stream that
 * ends early is reported by the caller as truncated (*clean stays 0).
 */
#include "decompress.h"

#include <bzlib.h>
#include <lzma.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

struct vt_codec {
	enum vt_codec_kind kind;
	int ended; /* the last step ended a stream: the next input starts one */
	ZSTD_DStream *zs;
	lzma_stream xz;
	bz_stream bz;
	int live;  /* xz or bz initialized */
	int clean; /* what was consumed so far ends at a stream's end */
};

enum vt_codec_kind vt_codec_detect(const unsigned char *p, size_t n)
{
	static const unsigned char zstd[4] = { 0x28, 0xb5, 0x2f, 0xfd };
	static const unsigned char xz[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	/* "BZh" level, then a block's or the end's 48-bit magic (pi or sqrt pi) */
	static const unsigned char bz_block[6] = { 0x31, 0x41, 0x59, 0x26, 0x53, 0x59 };
	static const unsigned char bz_end[6] = { 0x17, 0x72, 0x45, 0x38, 0x50, 0x90 };

	if (n >= 4 && memcmp(p, zstd, 4) == 0)
		return VT_CODEC_ZSTD;
	if (n >= 6 && memcmp(p, xz, 6) == 0)
		return VT_CODEC_XZ;
	if (n >= 10 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' &&
	    p[3] >= '1' && p[3] <= '9' &&
	    (memcmp(p + 4, bz_block, 6) == 0 || memcmp(p + 4, bz_end, 6) == 0))
		return VT_CODEC_BZIP2;
	return VT_CODEC_NONE;
}

const char *vt_codec_name(enum vt_codec_kind kind)
{
	switch (kind) {
	case VT_CODEC_ZSTD:
		return "zstd";
	case VT_CODEC_XZ:
		return "xz";
	case VT_CODEC_BZIP2:
		return "bzip2";
	default:
		return "plain";
	}
}

/* (Re)starts the xz or bzip2 decoder for one stream; 0 on success. */
static int start_stream(struct vt_codec *c)
{
	if (c->kind == VT_CODEC_XZ) {
		if (c->live)
			lzma_end(&c->xz);
		memset(&c->xz, 0, sizeof(c->xz));
		c->live = lzma_stream_decoder(&c->xz, UINT64_MAX, 0) == LZMA_OK;
	} else if (c->kind == VT_CODEC_BZIP2) {
		if (c->live)
			BZ2_bzDecompressEnd(&c->bz);
		memset(&c->bz, 0, sizeof(c->bz));
		c->live = BZ2_bzDecompressInit(&c->bz, 0, 0) == BZ_OK;
	}
	return c->live ? 0 : -1;
}

struct vt_codec *vt_codec_new(enum vt_codec_kind kind)
{
	struct vt_codec *c = vt_xcalloc(1, sizeof(*c));

	c->kind = kind;
	if (kind == VT_CODEC_ZSTD) {
		c->zs = ZSTD_createDStream();
		if (c->zs && !ZSTD_isError(ZSTD_initDStream(c->zs)))
			return c;
	} else if ((kind == VT_CODEC_XZ || kind == VT_CODEC_BZIP2) &&
		   start_stream(c) == 0) {
		return c;
	}
	vt_codec_free(c);
	return NULL;
}

void vt_codec_free(struct vt_codec *c)
{
	if (!c)
		return;
	if (c->zs)
		ZSTD_freeDStream(c->zs);
	if (c->live && c->kind == VT_CODEC_XZ)
		lzma_end(&c->xz);
	if (c->live && c->kind == VT_CODEC_BZIP2)
		BZ2_bzDecompressEnd(&c->bz);
	free(c);
}

static enum vt_err step_zstd(struct vt_codec *c, ZSTD_inBuffer *in,
			     ZSTD_outBuffer *out, int *clean, const char **why)
{
	size_t r = ZSTD_decompressStream(c->zs, out, in);

	if (ZSTD_isError(r)) {
		*why = "corrupt zstd data";
		return VT_ERR_FORMAT;
	}
	/* 0: a frame is complete and flushed; the next bytes start another */
	*clean = r == 0;
	return VT_OK;
}

static enum vt_err step_xz(struct vt_codec *c, ZSTD_inBuffer *in,
			   ZSTD_outBuffer *out, int *clean, const char **why)
{
	c->xz.next_in = (const uint8_t *)in->src + in->pos;
	c->xz.avail_in = in->size - in->pos;
	c->xz.next_out = (uint8_t *)out->dst + out->pos;
	c->xz.avail_out = out->size - out->pos;
	lzma_ret rc = lzma_code(&c->xz, LZMA_RUN);
	in->pos = in->size - c->xz.avail_in;
	out->pos = out->size - c->xz.avail_out;
	*clean = rc == LZMA_STREAM_END;
	c->ended = *clean;
	if (rc == LZMA_OK || rc == LZMA_STREAM_END || rc == LZMA_BUF_ERROR)
		return VT_OK;
	*why = rc == LZMA_MEM_ERROR ? "out of memory decoding xz data"
				    : "corrupt xz data";
	return VT_ERR_FORMAT;
}

static enum vt_err step_bzip2(struct vt_codec *c, ZSTD_inBuffer *in,
			      ZSTD_outBuffer *out, int *clean,
			      const char **why)
{
	size_t ai = in->size - in->pos, ao = out->size - out->pos;

	c->bz.next_in = (char *)(uintptr_t)((const char *)in->src + in->pos);
	c->bz.avail_in = ai > UINT32_MAX ? UINT32_MAX : (unsigned)ai;
	c->bz.next_out = (char *)out->dst + out->pos;
	c->bz.avail_out = ao > UINT32_MAX ? UINT32_MAX : (unsigned)ao;
	unsigned in0 = c->bz.avail_in, out0 = c->bz.avail_out;
	int rc = BZ2_bzDecompress(&c->bz);
	in->pos += in0 - c->bz.avail_in;
	out->pos += out0 - c->bz.avail_out;
	*clean = rc == BZ_STREAM_END;
	c->ended = *clean;
	if (rc == BZ_OK || rc == BZ_STREAM_END)
		return VT_OK;
	*why = "corrupt bzip2 data";
	return VT_ERR_FORMAT;
}

enum vt_err vt_codec_step(struct vt_codec *c, const unsigned char *in,
			  size_t in_len, size_t *used, unsigned char *out,
			  size_t cap, size_t *made, int *clean,
			  const char **why)
{
	ZSTD_inBuffer ib = { in, in_len, 0 };
	ZSTD_outBuffer ob = { out, cap, 0 };
	enum vt_err e = VT_OK;

	*why = NULL;
	if (c->ended && in_len > 0) {
		/* bytes after a stream's end: the next concatenated stream */
		c->ended = 0;
		if (start_stream(c)) {
			*why = "out of memory";
			return VT_ERR_FORMAT;
		}
	}
	if (c->ended) {
		*clean = 1;
	} else if (c->kind == VT_CODEC_ZSTD) {
		e = step_zstd(c, &ib, &ob, clean, why);
	} else if (c->kind == VT_CODEC_XZ) {
		e = step_xz(c, &ib, &ob, clean, why);
	} else {
		e = step_bzip2(c, &ib, &ob, clean, why);
	}
	*used = ib.pos;
	*made = ob.pos;
	/* A call that moved nothing (probing at the end) keeps the last answer. */
	if (ib.pos || ob.pos || c->ended)
		c->clean = *clean;
	*clean = c->clean;
	return e;
}
