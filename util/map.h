/* SPDX-License-Identifier: Apache-2.0 */
/* Open-addressing map from 64-bit keys to 32-bit slot numbers. */
#ifndef VT_MAP_H
#define VT_MAP_H

#include <stdint.h>
#include <stddef.h>

/*
 * The map stores no values: callers keep their records in an array and
 * store the record's index. Keys are arbitrary 64-bit hashes (0 allowed).
 * Embedded: vt_map_init / vt_map_release. Not thread-safe.
 */
struct vt_map {
	uint64_t *keys;
	uint32_t *vals; /* UINT32_MAX marks an empty slot */
	size_t cap;     /* power of two, or 0 */
	size_t count;
};

void vt_map_init(struct vt_map *m);
void vt_map_release(struct vt_map *m);
/* Returns the stored value for key, or UINT32_MAX when absent. */
uint32_t vt_map_get(const struct vt_map *m, uint64_t key);
/* Inserts key -> val; the key must not be present. */
void vt_map_put(struct vt_map *m, uint64_t key, uint32_t val);

#define VT_MAP_NONE UINT32_MAX

#endif
