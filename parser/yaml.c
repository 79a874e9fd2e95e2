/* SPDX-License-Identifier: Apache-2.0 */
/* The only file that includes libyaml. */
#include "yaml.h"

#include "../util/hash.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

static void node_free(struct vt_ynode *node)
{
	for (size_t i = 0; i < node->n; i++)
		node_free(&node->kids[i]);
	free(node->kids);
	free(node->str);
}

void vt_yaml_free(struct vt_ydocs *d)
{
	for (size_t i = 0; i < d->n; i++)
		node_free(&d->docs[i]);
	free(d->docs);
	free(d->fps);
	memset(d, 0, sizeof(*d));
}

/* A new last child of parent (a sequence or mapping being built). */
static struct vt_ynode *add_kid(struct vt_ynode *parent)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 4;
		parent->kids = vt_xrealloc(parent->kids,
					   parent->cap * sizeof(*parent->kids));
	}
	struct vt_ynode *k = &parent->kids[parent->n++];
	memset(k, 0, sizeof(*k));
	return k;
}

struct loader {
	struct vt_ydocs *out;
	struct vt_ynode *stack[VT_YAML_MAX_DEPTH + 1];
	int depth; /* nodes open; 0 between documents */
	size_t nodes;
	struct vt_sha256 fp;
};

/* Where the next node goes: a new document root or a new child. */
static struct vt_ynode *next_node(struct loader *l)
{
	if (l->depth == 0)
		return NULL;
	return add_kid(l->stack[l->depth - 1]);
}

static void fp_add(struct loader *l, unsigned char tag, const void *p,
		   size_t n)
{
	unsigned char len[8];

	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)((uint64_t)n >> (8 * i));
	vt_sha256_update(&l->fp, &tag, 1);
	vt_sha256_update(&l->fp, len, sizeof(len));
	if (n)
		vt_sha256_update(&l->fp, p, n);
}

static enum vt_err on_event(struct loader *l, const yaml_event_t *ev)
{
	struct vt_ydocs *d = l->out;
	struct vt_ynode *node;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		d->docs = vt_xrealloc(d->docs, (d->n + 1) * sizeof(*d->docs));
		d->fps = vt_xrealloc(d->fps, (d->n + 1) * sizeof(*d->fps));
		memset(&d->docs[d->n], 0, sizeof(d->docs[d->n]));
		d->fps[d->n] = 0;
		d->n++;
		vt_sha256_init(&l->fp);
		l->stack[0] = &d->docs[d->n - 1];
		l->depth = 1;
		l->stack[0]->kind = VT_Y_NULL;
		return VT_OK;
	case YAML_DOCUMENT_END_EVENT: {
		unsigned char h[VT_SHA256_LEN];
		uint64_t v = 0;

		vt_sha256_final(&l->fp, h);
		for (int i = 0; i < 8; i++)
			v = v << 8 | h[i];
		d->fps[d->n - 1] = v;
		l->depth = 0;
		return VT_OK;
	}
	case YAML_SCALAR_EVENT:
	case YAML_ALIAS_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		fp_add(l, 'e', NULL, 0);
		l->depth--;
		return VT_OK;
	default:
		return VT_OK;
	}
	if (++l->nodes > VT_YAML_MAX_NODES)
		return VT_ERR_LIMIT;
	/* The document root is the node DOCUMENT_START made. */
	if (l->depth == 1 && l->stack[0]->kind == VT_Y_NULL &&
	    l->stack[0]->n == 0 && !l->stack[0]->str)
		node = l->stack[0], l->depth = 0;
	else
		node = next_node(l);
	if (!node)
		return VT_ERR_FORMAT;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		node->kind = VT_Y_SCALAR;
		node->len = ev->data.scalar.length;
		node->str = vt_xmalloc(node->len + 1);
		memcpy(node->str, ev->data.scalar.value, node->len);
		node->str[node->len] = '\0';
		node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if (node->plain &&
		    (node->len == 0 || !strcmp(node->str, "~") ||
		     !strcasecmp(node->str, "null")))
			node->kind = VT_Y_NULL;
		fp_add(l, 's', node->str, node->len);
		break;
	case YAML_ALIAS_EVENT:
		node->kind = VT_Y_NULL;
		fp_add(l, 'a', ev->data.alias.anchor,
		       strlen((const char *)ev->data.alias.anchor));
		break;
	default:
		node->kind = ev->type == YAML_SEQUENCE_START_EVENT ? VT_Y_SEQ
								   : VT_Y_MAP;
		fp_add(l, node->kind == VT_Y_SEQ ? '[' : '{', NULL, 0);
		if (l->depth >= VT_YAML_MAX_DEPTH)
			return VT_ERR_LIMIT;
		l->stack[l->depth++] = node;
		return VT_OK;
	}
	if (l->depth == 0)
		l->depth = 1; /* the root was a scalar; the document stays open */
	return VT_OK;
}

enum vt_err vt_yaml_load(const char *p, size_t n, struct vt_ydocs *out,
			 size_t *line, const char **what)
{
	yaml_parser_t parser;
	struct loader l;
	enum vt_err err = VT_OK;

	memset(out, 0, sizeof(*out));
	memset(&l, 0, sizeof(l));
	l.out = out;
	*line = 0;
	*what = NULL;
	if (!yaml_parser_initialize(&parser))
		return VT_ERR_NOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)p, n);
	for (;;) {
		yaml_event_t ev;

		if (!yaml_parser_parse(&parser, &ev)) {
			err = parser.error == YAML_MEMORY_ERROR ? VT_ERR_NOMEM
								: VT_ERR_FORMAT;
			*line = parser.problem_mark.line + 1;
			*what = parser.problem ? parser.problem : "syntax error";
			break;
		}
		int done = ev.type == YAML_STREAM_END_EVENT;
		err = on_event(&l, &ev);
		yaml_event_delete(&ev);
		if (err != VT_OK) {
			*line = parser.mark.line + 1;
			*what = err == VT_ERR_LIMIT ? "nested deeper or larger than the limits"
						    : "unexpected structure";
			break;
		}
		if (done)
			break;
	}
	yaml_parser_delete(&parser);
	if (err != VT_OK)
		vt_yaml_free(out);
	return err;
}

const struct vt_ynode *vt_yaml_get(const struct vt_ynode *m, const char *key)
{
	if (!m || m->kind != VT_Y_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < m->n; i += 2)
		if (m->kids[i].kind == VT_Y_SCALAR &&
		    !strcmp(m->kids[i].str, key))
			return &m->kids[i + 1];
	return NULL;
}

const struct vt_ynode *vt_yaml_path(const struct vt_ynode *m, ...)
{
	va_list ap;
	const char *key;

	va_start(ap, m);
	while (m && (key = va_arg(ap, const char *)) != NULL)
		m = vt_yaml_get(m, key);
	va_end(ap);
	return m;
}

int vt_yaml_is(const struct vt_ynode *node, const char *s)
{
	return node && node->kind == VT_Y_SCALAR && !strcmp(node->str, s);
}

int vt_yaml_bool(const struct vt_ynode *node)
{
	static const char *const yes[] = { "true", "yes", "on", "y" };
	static const char *const no[] = { "false", "no", "off", "n" };

	if (!node || node->kind != VT_Y_SCALAR)
		return -1;
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(node->str, yes[i]))
			return 1;
		if (!strcasecmp(node->str, no[i]))
			return 0;
	}
	return -1;
}
