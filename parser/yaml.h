/* SPDX-License-Identifier: Apache-2.0 */
/* A small YAML tree over libyaml, for reading vMCP configurations. */
#ifndef VT_YAML_H
#define VT_YAML_H

#include "../util/vt.h"

#include <stddef.h>
#include <stdint.h>

/* Limits: a configuration is a few kilobytes; these stop hostile files. */
#define VT_YAML_MAX_DEPTH 64
#define VT_YAML_MAX_NODES 200000

enum vt_ykind { VT_Y_NULL, VT_Y_SCALAR, VT_Y_SEQ, VT_Y_MAP };

/*
 * One node. A scalar holds its text (NUL-terminated); a sequence holds n
 * items in kids; a mapping holds n pairs in kids, key then value (2n
 * nodes). Aliases are not expanded: they read as null, so a file cannot
 * multiply itself ("billion laughs").
 */
struct vt_ynode {
	enum vt_ykind kind;
	int plain;        /* a scalar written without quotes */
	char *str;        /* scalars */
	size_t len;
	size_t n;
	size_t cap;
	struct vt_ynode *kids;
};

/* A stream: its documents, each with a fingerprint of its content. */
struct vt_ydocs {
	struct vt_ynode *docs;
	uint64_t *fps; /* hash of the document's values, not its layout */
	size_t n;
};

/*
 * Parses every document of p[0..n). On a syntax error returns
 * VT_ERR_FORMAT with *line set (1-based) and *what set to libyaml's
 * description of the problem (static text, never the input's); over the
 * limits, VT_ERR_LIMIT. The fingerprint ignores comments, quoting and
 * indentation: a file that is only reformatted keeps it.
 */
enum vt_err vt_yaml_load(const char *p, size_t n, struct vt_ydocs *out,
			 size_t *line, const char **what);
void vt_yaml_free(struct vt_ydocs *d);

/* The value of key in mapping m, or NULL (also when m is not a mapping). */
const struct vt_ynode *vt_yaml_get(const struct vt_ynode *m, const char *key);
/* Follows a path of keys: vt_yaml_path(m, "a", "b", NULL). */
const struct vt_ynode *vt_yaml_path(const struct vt_ynode *m, ...);
/* 1 when node is a scalar equal to s (case-sensitive). */
int vt_yaml_is(const struct vt_ynode *node, const char *s);
/* 1 for true/yes/on, 0 for false/no/off, -1 for anything else. */
int vt_yaml_bool(const struct vt_ynode *node);

#endif
