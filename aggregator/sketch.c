/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The distinct-instances sketch: an exact sorted set of 32-bit hashes
 * that turns into a HyperLogLog (Flajolet et al. 2007, with linear
 * counting for small estimates) when it outgrows VT_SKETCH_EXACT.
 */
#include "agg.h"

#include <math.h>
#include <string.h>

static void reg_add(struct vt_sketch *k, uint32_t h)
{
	unsigned idx = h >> (32 - VT_HLL_P);
	uint32_t w = h << VT_HLL_P; /* the other 20 bits, at the top */
	uint8_t rank = 1;

	while (rank <= 32 - VT_HLL_P && !(w & 0x80000000u)) {
		rank++;
		w <<= 1;
	}
	if (k->reg[idx] < rank)
		k->reg[idx] = rank;
}

void vt_sketch_add(struct vt_sketch *k, uint32_t h)
{
	if (k->approximate) {
		reg_add(k, h);
		return;
	}
	size_t lo = 0, hi = k->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (k->hashes[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < k->n && k->hashes[lo] == h)
		return;
	if (k->n == VT_SKETCH_EXACT) {
		for (size_t i = 0; i < k->n; i++)
			reg_add(k, k->hashes[i]);
		k->approximate = 1;
		k->n = 0;
		reg_add(k, h);
		return;
	}
	memmove(k->hashes + lo + 1, k->hashes + lo,
		(k->n - lo) * sizeof(*k->hashes));
	k->hashes[lo] = h;
	k->n++;
}

void vt_sketch_merge(struct vt_sketch *dst, const struct vt_sketch *src)
{
	if (!src->approximate) {
		for (size_t i = 0; i < src->n; i++)
			vt_sketch_add(dst, src->hashes[i]);
		return;
	}
	if (!dst->approximate) {
		for (size_t i = 0; i < dst->n; i++)
			reg_add(dst, dst->hashes[i]);
		dst->approximate = 1;
		dst->n = 0;
	}
	for (size_t i = 0; i < VT_HLL_M; i++)
		if (dst->reg[i] < src->reg[i])
			dst->reg[i] = src->reg[i];
}

uint64_t vt_sketch_count(const struct vt_sketch *k)
{
	if (!k->approximate)
		return k->n;
	double m = VT_HLL_M, sum = 0, zeros = 0;

	for (size_t i = 0; i < VT_HLL_M; i++) {
		sum += ldexp(1.0, -k->reg[i]);
		zeros += k->reg[i] == 0;
	}
	double e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
	if (e <= 2.5 * m && zeros > 0)
		e = m * log(m / zeros);
	return (uint64_t)llround(e);
}
