/* SPDX-License-Identifier: Apache-2.0 */
/* A bound on JSON nesting, checked before a document becomes a tree. */
#ifndef VT_JSONDEPTH_H
#define VT_JSONDEPTH_H

#include <stddef.h>

/*
 * 0 when no point of p[0..n) lies deeper than max arrays and objects,
 * -1 otherwise. Brackets inside strings do not count. For any bytes,
 * valid JSON or not, the depth counted here is at least the depth a JSON
 * parser reaches before it stops, so a document that passes cannot make
 * a recursive tree walk (yajl_tree_free is one) go deeper than max.
 */
int vt_json_depth_ok(const char *p, size_t n, unsigned max);

#endif
