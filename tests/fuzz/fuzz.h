/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the libFuzzer targets: the entry point and invariant checks. */
#ifndef VT_FUZZ_H
#define VT_FUZZ_H

#include "../../util/vt.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A broken invariant is a finding like a crash: say which, then abort so
 * that libFuzzer saves the input.
 */
#define FUZZ_CHECK(cond)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",     \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

/* Two views hold the same bytes, and both or neither are absent. */
static inline int fuzz_sv_same(struct vt_sv a, struct vt_sv b)
{
	if ((a.ptr == NULL) != (b.ptr == NULL) || a.len != b.len)
		return 0;
	return a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0;
}

/*
 * Touches every byte of a view, so that AddressSanitizer reports a view
 * that points into freed or foreign memory; returns a checksum to keep
 * the reads from being optimized away.
 */
static inline unsigned fuzz_touch(struct vt_sv v)
{
	unsigned sum = 0;

	FUZZ_CHECK(v.len == 0 || v.ptr != NULL);
	for (size_t i = 0; i < v.len; i++)
		sum += (unsigned char)v.ptr[i];
	return sum;
}

#endif
