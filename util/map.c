/* SPDX-License-Identifier: Apache-2.0 */
/* Linear-probing hash map, load factor at most 1/2. */
#include "map.h"
#include "hash.h"
#include "vt.h"

#include <stdlib.h>
#include <string.h>

void vt_map_init(struct vt_map *m)
{
	memset(m, 0, sizeof(*m));
}

void vt_map_release(struct vt_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

uint32_t vt_map_get(const struct vt_map *m, uint64_t key)
{
	if (!m->cap)
		return VT_MAP_NONE;
	size_t mask = m->cap - 1, i = (size_t)vt_mix64(key) & mask;

	while (m->vals[i] != VT_MAP_NONE) {
		if (m->keys[i] == key)
			return m->vals[i];
		i = (i + 1) & mask;
	}
	return VT_MAP_NONE;
}

static void insert(uint64_t *keys, uint32_t *vals, size_t cap, uint64_t key,
		   uint32_t val)
{
	size_t mask = cap - 1, i = (size_t)vt_mix64(key) & mask;

	while (vals[i] != VT_MAP_NONE)
		i = (i + 1) & mask;
	keys[i] = key;
	vals[i] = val;
}

void vt_map_put(struct vt_map *m, uint64_t key, uint32_t val)
{
	if ((m->count + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		uint64_t *keys = vt_xcalloc(cap, sizeof(*keys));
		uint32_t *vals = vt_xmalloc(cap * sizeof(*vals));

		memset(vals, 0xff, cap * sizeof(*vals));
		for (size_t i = 0; i < m->cap; i++)
			if (m->vals[i] != VT_MAP_NONE)
				insert(keys, vals, cap, m->keys[i], m->vals[i]);
		free(m->keys);
		free(m->vals);
		m->keys = keys;
		m->vals = vals;
		m->cap = cap;
	}
	insert(m->keys, m->vals, m->cap, key, val);
	m->count++;
}
