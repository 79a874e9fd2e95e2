/* SPDX-License-Identifier: Apache-2.0 */
/* The rules table: PCRE2 patterns over slog messages that yield facts. */
#ifndef VT_RULES_H
#define VT_RULES_H

#include "decode.h"

struct vt_rules;

/* An empty table. */
struct vt_rules *vt_rules_new(void);
void vt_rules_free(struct vt_rules *r);

/*
 * Adds the rules in text (the format of data/rules.conf: one rule a line,
 * "<fact> <value> <pattern>", '#' comments). origin names the text in
 * messages. On error returns VT_ERR_FORMAT with "origin:line: reason" in
 * err and adds none of the text's rules.
 */
enum vt_err vt_rules_load(struct vt_rules *r, const char *text, size_t len,
			  const char *origin, char *err, size_t errlen);

/* Adds the table shipped with the program. */
enum vt_err vt_rules_load_default(struct vt_rules *r, char *err,
				  size_t errlen);

size_t vt_rules_count(const struct vt_rules *r);

/*
 * Matches an application line's msg against every rule; each fact kind
 * fires at most once a line (the first rule that matches wins). Writes up
 * to max facts and returns their number. Fact values are views into the
 * record, valid as long as it is. Not thread-safe (see vt_regex_match).
 */
size_t vt_rules_match(struct vt_rules *r, const struct vt_record *rec,
		      struct vt_fact *facts, size_t max);

/* A copy for another thread. */
struct vt_rules *vt_rules_clone(const struct vt_rules *r);

#endif
