/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rules table. Each rule names a fact, where its value comes from
 * ("-" none, "$N" a capture group, "@name" a top-level attribute,
 * "=text" a constant, "*" a hash of the whole line: its message and every
 * attribute, for a setting only a fingerprint compares) and a PCRE2
 * pattern matched against the message.
 * The table is data: users add rules with --rules FILE, no rebuild.
 */
#include "rules.h"
#include "../util/regex.h"
#include "../util/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char vt_default_rules[]; /* generated from data/rules.conf */

enum value_source { VAL_NONE, VAL_GROUP, VAL_ATTR, VAL_CONST, VAL_LINE };

/* The highest capture group a rule's value may name. */
#define VT_RULE_MAX_GROUP 8

struct rule {
	enum vt_fact_kind kind;
	enum value_source src;
	unsigned group;
	char *text;    /* attribute name or constant */
	char *pattern; /* kept for cloning */
	unsigned flags;
	struct vt_regex *re;
	size_t nlit;   /* the pattern's anchored literal start, to test first */
};

/*
 * How many bytes after a leading '^' every match starts with: the
 * literal run up to the first metacharacter (a character a quantifier
 * follows is left out). 0 when the pattern is not anchored, has options,
 * or has an alternation (which may not be anchored at all).
 */
static size_t literal_start(const char *pat)
{
	size_t n = 0;

	if (pat[0] != '^' || strchr(pat, '|'))
		return 0;
	while (pat[1 + n] && !strchr("\\.^$|?*+()[]{}", pat[1 + n]))
		n++;
	if (n && pat[1 + n] && strchr("?*{", pat[1 + n]))
		n--;
	return n;
}

struct vt_rules {
	struct rule *rules;
	size_t count;
	size_t cap;
};

struct vt_rules *vt_rules_new(void)
{
	return vt_xcalloc(1, sizeof(struct vt_rules));
}

static void rule_release(struct rule *r)
{
	vt_regex_free(r->re);
	free(r->text);
	free(r->pattern);
}

void vt_rules_free(struct vt_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->count; i++)
		rule_release(&r->rules[i]);
	free(r->rules);
	free(r);
}

size_t vt_rules_count(const struct vt_rules *r)
{
	return r->count;
}

static void push(struct vt_rules *r, const struct rule *rule)
{
	if (r->count == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->rules = vt_xrealloc(r->rules, r->cap * sizeof(*r->rules));
	}
	r->rules[r->count++] = *rule;
}

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static const char *token_end(const char *p, const char *end)
{
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	return p;
}

static int parse_value(const char *v, size_t n, struct rule *out)
{
	if (n == 1 && v[0] == '-') {
		out->src = VAL_NONE;
	} else if (n == 1 && v[0] == '*') {
		out->src = VAL_LINE;
	} else if (n >= 2 && v[0] == '$') {
		unsigned g = 0;

		for (size_t i = 1; i < n; i++) {
			if (v[i] < '0' || v[i] > '9' || g > 9)
				return -1;
			g = g * 10 + (unsigned)(v[i] - '0');
		}
		if (g == 0 || g > VT_RULE_MAX_GROUP)
			return -1;
		out->src = VAL_GROUP;
		out->group = g;
	} else if (n >= 2 && (v[0] == '@' || v[0] == '=')) {
		out->src = v[0] == '@' ? VAL_ATTR : VAL_CONST;
		out->text = vt_xstrndup(v + 1, n - 1);
	} else {
		return -1;
	}
	return 0;
}

/* Parses one non-comment line into *out; returns NULL or a reason. */
static const char *parse_rule(const char *p, const char *end,
			      struct rule *out, char *reerr, size_t reerrlen)
{
	const char *k = skip_space(p, end), *ke = token_end(k, end);
	const char *v = skip_space(ke, end), *ve = token_end(v, end);
	const char *pat = skip_space(ve, end), *pe = end;

	memset(out, 0, sizeof(*out));
	while (pe > pat && (pe[-1] == ' ' || pe[-1] == '\t' || pe[-1] == '\r'))
		pe--;
	if (v == ve || pat == pe)
		return "expected '<fact> <value> <pattern>'";
	if (vt_fact_kind_parse(k, (size_t)(ke - k), &out->kind))
		return "unknown fact";
	if (parse_value(v, (size_t)(ve - v), out))
		return "value must be '-', '*', '$N' (N from 1 to 8), '@attribute' or '=text'";
	out->pattern = vt_xstrndup(pat, (size_t)(pe - pat));
	out->nlit = literal_start(out->pattern);
	if (vt_regex_compile(out->pattern, 0, &out->re, reerr, reerrlen)) {
		rule_release(out);
		return reerr;
	}
	if (out->src == VAL_GROUP && out->group > vt_regex_groups(out->re)) {
		rule_release(out);
		return "the pattern has fewer capture groups than the value names";
	}
	return NULL;
}

enum vt_err vt_rules_load(struct vt_rules *r, const char *text, size_t len,
			  const char *origin, char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	size_t first = r->count, lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *s = skip_space(p, le);
		struct rule rule;
		char reerr[200];

		lineno++;
		if (s < le && *s != '#' && *s != '\r') {
			const char *why = parse_rule(s, le, &rule, reerr,
						     sizeof(reerr));
			if (why) {
				snprintf(err, errlen, "%s:%zu: %s", origin,
					 lineno, why);
				while (r->count > first)
					rule_release(&r->rules[--r->count]);
				return VT_ERR_FORMAT;
			}
			push(r, &rule);
		}
		p = nl ? nl + 1 : end;
	}
	return VT_OK;
}

enum vt_err vt_rules_load_default(struct vt_rules *r, char *err, size_t errlen)
{
	return vt_rules_load(r, vt_default_rules, strlen(vt_default_rules),
			     "built-in rules", err, errlen);
}

static int find_attr(const struct vt_record *rec, const char *name,
		     struct vt_sv *out)
{
	for (size_t i = 0; i < rec->nattrs; i++)
		if (vt_sv_eq(rec->attrs[i].key, name)) {
			*out = rec->attrs[i].value;
			return 1;
		}
	return 0;
}

/* The message and every attribute (key and value, each with its length). */
static uint64_t line_hash(const struct vt_record *rec)
{
	uint64_t h = vt_hash64(rec->msg.ptr, rec->msg.len);

	for (size_t i = 0; i < rec->nattrs; i++) {
		const struct vt_sv *kv[2] = { &rec->attrs[i].key,
					      &rec->attrs[i].value };

		for (int k = 0; k < 2; k++) {
			uint64_t n = kv[k]->len;

			h = vt_hash64_more(h, &n, sizeof(n));
			h = vt_hash64_more(h, kv[k]->ptr, kv[k]->len);
		}
	}
	return h;
}

size_t vt_rules_match(struct vt_rules *r, const struct vt_record *rec,
		      struct vt_fact *facts, size_t max)
{
	unsigned fired = 0;
	size_t n = 0;
	struct vt_sv groups[8];

	for (size_t i = 0; i < r->count && n < max; i++) {
		struct rule *rule = &r->rules[i];
		struct vt_sv value = { NULL, 0 };
		size_t ng = rule->src == VAL_GROUP ? rule->group : 0;

		if (fired & (1u << rule->kind))
			continue;
		if (ng > VT_ARRAY_LEN(groups))
			continue;
		/* most rules start with text: most lines fail it at once */
		if (rule->nlit && (rec->msg.len < rule->nlit ||
				   memcmp(rec->msg.ptr, rule->pattern + 1,
					  rule->nlit) != 0))
			continue;
		if (vt_regex_match(rule->re, rec->msg.ptr, rec->msg.len,
				   ng ? groups : NULL, ng) != 1)
			continue;
		if (rule->src == VAL_GROUP)
			value = groups[rule->group - 1];
		else if (rule->src == VAL_ATTR &&
			 !find_attr(rec, rule->text, &value))
			continue;
		else if (rule->src == VAL_CONST)
			value = (struct vt_sv){ rule->text, strlen(rule->text) };
		fired |= 1u << rule->kind;
		facts[n].kind = rule->kind;
		facts[n].value = value;
		facts[n].hash = rule->src == VAL_LINE ? line_hash(rec) : 0;
		n++;
	}
	return n;
}

struct vt_rules *vt_rules_clone(const struct vt_rules *r)
{
	struct vt_rules *c = vt_rules_new();

	for (size_t i = 0; i < r->count; i++) {
		struct rule rule = r->rules[i];

		rule.text = rule.text ? vt_xstrdup(rule.text) : NULL;
		rule.pattern = vt_xstrdup(rule.pattern);
		rule.re = vt_regex_share(rule.re); /* compiled once */
		push(c, &rule);
	}
	return c;
}
