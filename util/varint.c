/* SPDX-License-Identifier: Apache-2.0 */
/* Varints, zigzag and the CRC-32 seal of the binary encodings. */
#include "varint.h"
#include "hash.h"
#include "timeutil.h"

void vt_put_u(struct vt_buf *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;

	do {
		unsigned char c = v & 0x7f;

		v >>= 7;
		tmp[n++] = (unsigned char)(c | (v ? 0x80 : 0));
	} while (v);
	vt_buf_append(b, tmp, n);
}

void vt_put_s(struct vt_buf *b, int64_t v)
{
	vt_put_u(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

uint64_t vt_get_u(struct vt_reader *r)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 64 && !r->bad; shift += 7) {
		if (r->p >= r->end)
			break;
		unsigned char c = *r->p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
	}
	r->bad = 1;
	return 0;
}

int64_t vt_get_s(struct vt_reader *r)
{
	uint64_t u = vt_get_u(r);

	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/*
 * A checksummed encoding holding a time outside the years 0000-9999 was
 * crafted (found by fuzz_agg: an hour index far out overflowed when
 * turned into seconds).
 */
int64_t vt_get_time(struct vt_reader *r)
{
	int64_t t = vt_get_s(r);

	if (t < VT_TIME_MIN || t > VT_TIME_MAX) {
		r->bad = 1;
		return 0;
	}
	return t;
}

enum vt_err vt_crc_seal(struct vt_buf *out, size_t start)
{
	uint32_t crc = vt_crc32(0, out->ptr + start, out->len - start);
	unsigned char c[4] = { (unsigned char)crc, (unsigned char)(crc >> 8),
			       (unsigned char)(crc >> 16),
			       (unsigned char)(crc >> 24) };

	return vt_buf_append(out, c, 4);
}

int vt_crc_check(const void *p, size_t n)
{
	const unsigned char *u = p;

	if (n < 4)
		return 0;
	uint32_t want = (uint32_t)u[n - 4] | (uint32_t)u[n - 3] << 8 |
			(uint32_t)u[n - 2] << 16 | (uint32_t)u[n - 1] << 24;
	return vt_crc32(0, p, n - 4) == want;
}
