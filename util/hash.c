/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hashes. SHA-256 follows FIPS 180-4; HMAC follows RFC 2104. They are used
 * for report ids, installation ids and file fingerprints, never per line.
 */
#include "hash.h"

#include <string.h>

uint64_t vt_hash64_more(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t vt_hash64(const void *p, size_t n)
{
	return vt_hash64_more(0xcbf29ce484222325ULL, p, n);
}

uint64_t vt_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void compress(uint32_t st[8], const unsigned char *b)
{
	uint32_t w[64], a, c, d, e, f, g, h, bb;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
		       (uint32_t)b[4 * i + 2] << 8 | (uint32_t)b[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^
			      (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^
			      (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = st[0], bb = st[1], c = st[2], d = st[3];
	e = st[4], f = st[5], g = st[6], h = st[7];
	for (int i = 0; i < 64; i++) {
		uint32_t s1 = ror(e, 6) ^ ror(e, 11) ^ ror(e, 25);
		uint32_t ch = (e & f) ^ (~e & g);
		uint32_t t1 = h + s1 + ch + K[i] + w[i];
		uint32_t s0 = ror(a, 2) ^ ror(a, 13) ^ ror(a, 22);
		uint32_t maj = (a & bb) ^ (a & c) ^ (bb & c);
		uint32_t t2 = s0 + maj;

		h = g, g = f, f = e, e = d + t1;
		d = c, c = bb, bb = a, a = t1 + t2;
	}
	st[0] += a, st[1] += bb, st[2] += c, st[3] += d;
	st[4] += e, st[5] += f, st[6] += g, st[7] += h;
}

void vt_sha256_init(struct vt_sha256 *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
					0xa54ff53a, 0x510e527f, 0x9b05688c,
					0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->state, iv, sizeof(iv));
	s->bytes = 0;
	s->fill = 0;
}

void vt_sha256_update(struct vt_sha256 *s, const void *p, size_t n)
{
	const unsigned char *in = p;

	s->bytes += n;
	while (n) {
		size_t take = 64 - s->fill;

		if (take > n)
			take = n;
		memcpy(s->block + s->fill, in, take);
		s->fill += take;
		in += take;
		n -= take;
		if (s->fill == 64) {
			compress(s->state, s->block);
			s->fill = 0;
		}
	}
}

void vt_sha256_final(struct vt_sha256 *s, unsigned char out[VT_SHA256_LEN])
{
	uint64_t bits = s->bytes * 8;
	unsigned char pad = 0x80, zero = 0, len[8];

	vt_sha256_update(s, &pad, 1);
	while (s->fill != 56)
		vt_sha256_update(s, &zero, 1);
	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)(bits >> (56 - 8 * i));
	vt_sha256_update(s, len, 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(s->state[i] >> 24);
		out[4 * i + 1] = (unsigned char)(s->state[i] >> 16);
		out[4 * i + 2] = (unsigned char)(s->state[i] >> 8);
		out[4 * i + 3] = (unsigned char)s->state[i];
	}
}

void vt_sha256(const void *p, size_t n, unsigned char out[VT_SHA256_LEN])
{
	struct vt_sha256 s;

	vt_sha256_init(&s);
	vt_sha256_update(&s, p, n);
	vt_sha256_final(&s, out);
}

void vt_hmac_sha256(const void *key, size_t key_len, const void *msg,
		    size_t msg_len, unsigned char out[VT_SHA256_LEN])
{
	unsigned char k[64] = { 0 }, pad[64], inner[VT_SHA256_LEN];
	struct vt_sha256 s;

	if (key_len > 64)
		vt_sha256(key, key_len, k);
	else if (key_len)
		memcpy(k, key, key_len);
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	vt_sha256_init(&s);
	vt_sha256_update(&s, pad, 64);
	vt_sha256_update(&s, msg, msg_len);
	vt_sha256_final(&s, inner);
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	vt_sha256_init(&s);
	vt_sha256_update(&s, pad, 64);
	vt_sha256_update(&s, inner, sizeof(inner));
	vt_sha256_final(&s, out);
}

void vt_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

uint32_t vt_crc32(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *s = p;

	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= s[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320U & (0U - (crc & 1U)));
	}
	return ~crc;
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                         \
	do {                                                             \
		v0 += v1, v1 = ROTL(v1, 13), v1 ^= v0, v0 = ROTL(v0, 32); \
		v2 += v3, v3 = ROTL(v3, 16), v3 ^= v2;                   \
		v0 += v3, v3 = ROTL(v3, 21), v3 ^= v0;                   \
		v2 += v1, v1 = ROTL(v1, 17), v1 ^= v2, v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t le64(const unsigned char *s, size_t n)
{
	uint64_t v = 0;

	for (size_t i = n; i-- > 0;)
		v = v << 8 | s[i];
	return v;
}

uint64_t vt_siphash(uint64_t k0, uint64_t k1, const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t m = le64(s + i, 8);

		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t b = (uint64_t)n << 56 | le64(s + i, n - i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

void vt_prp_init(struct vt_prp *p, const unsigned char key[VT_SHA256_LEN])
{
	p->k0 = le64(key, 8);
	p->k1 = le64(key + 8, 8);
}

/* Round i of the Feistel network: 32 bits of SipHash of (i, half). */
static uint32_t prp_round(const struct vt_prp *p, unsigned i, uint32_t half)
{
	unsigned char m[8];

	for (int k = 0; k < 4; k++)
		m[k] = (unsigned char)(half >> (8 * k));
	m[4] = (unsigned char)i, m[5] = m[6] = m[7] = 0;
	return (uint32_t)vt_siphash(p->k0, p->k1, m, sizeof(m));
}

#define PRP_ROUNDS 8

uint64_t vt_prp_fwd(const struct vt_prp *p, uint64_t v)
{
	uint32_t l = (uint32_t)(v >> 32), r = (uint32_t)v;

	if (!p)
		return v;
	for (unsigned i = 0; i < PRP_ROUNDS; i++) {
		uint32_t t = l ^ prp_round(p, i, r);

		l = r, r = t;
	}
	return (uint64_t)l << 32 | r;
}

uint64_t vt_prp_inv(const struct vt_prp *p, uint64_t v)
{
	uint32_t l = (uint32_t)(v >> 32), r = (uint32_t)v;

	if (!p)
		return v;
	for (unsigned i = PRP_ROUNDS; i-- > 0;) {
		uint32_t t = r ^ prp_round(p, i, l);

		r = l, l = t;
	}
	return (uint64_t)l << 32 | r;
}
