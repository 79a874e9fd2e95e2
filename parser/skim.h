/* SPDX-License-Identifier: Apache-2.0 */
/* Skimming: a strict, fast check of a JSON value, for what yajl need not see. */
#ifndef VT_SKIM_H
#define VT_SKIM_H

#include <stddef.h>

/* Objects and arrays nested deeper than this are not skimmed. */
#define VT_SKIM_DEPTH 64

/*
 * The length of the JSON value (object, array, string, number, true,
 * false or null) that starts at p[0], when it is written in a strict
 * subset of JSON: ASCII only (no byte under 0x20 inside strings, none of
 * 0x7f and above anywhere), whitespace only ' ', '\t' and '\r' between
 * tokens, nesting at most VT_SKIM_DEPTH deep, and it ends before p + n.
 * Every such value is valid JSON that yajl accepts too, and it spans the
 * same bytes for yajl. Returns 0 otherwise (the value may still be
 * valid: the caller lets yajl decide). A number is taken to end at the
 * first byte that cannot continue it.
 */
size_t vt_skim_value(const char *p, size_t n);

/* An object of a line that yajl may be given as "{}". */
struct vt_skim_range {
	size_t start, end; /* line[start] is '{', line[end - 1] its '}' */
};

/*
 * Finds, in line order, up to max objects of line that are the values of
 * members named source, subjects, delegation or data (audit event parts
 * the tool never reads, at any depth), written as ',"source":{' and so
 * on, that vt_skim_value accepts. Stores them in r and returns how many.
 * An object that was looked at but not accepted (non-ASCII text, say)
 * adds one to *wasted. In a line that is not valid JSON a range may be
 * anything, but its bytes are valid JSON on their own.
 */
int vt_skim_find(const char *line, size_t len, struct vt_skim_range *r,
		 size_t max, unsigned *wasted);

#endif
