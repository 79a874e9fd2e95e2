/* SPDX-License-Identifier: Apache-2.0 */
/* Privacy controls: name allowlists and the secret/PII scrubber. */
#ifndef VT_PRIVACY_H
#define VT_PRIVACY_H

#include "../util/vt.h"

/* Most names an allowlist holds (shipped plus user-added). */
#define VT_MAX_NAMES 1000
/* Longest allowed name. */
#define VT_MAX_NAME_LEN 64

/*
 * A list of public names (MCP servers, MCP clients). Lookups ignore case
 * and return the list's own spelling, so the bytes that reach a report
 * come from the list, never from a log line.
 */
struct vt_allowlist;

struct vt_allowlist *vt_allowlist_new(void);
void vt_allowlist_free(struct vt_allowlist *a);

/*
 * Adds the names in text (one a line, '#' comments). Names must match
 * [A-Za-z0-9][A-Za-z0-9._ -]* (at most 64 bytes) and pass the scrubber;
 * duplicates are ignored. On error returns VT_ERR_FORMAT ("origin:line:
 * reason" in err) and adds none of the text's names.
 */
enum vt_err vt_allowlist_load(struct vt_allowlist *a, const char *text,
			      size_t len, const char *origin, char *err,
			      size_t errlen);

/*
 * 1 when p[0..n) has the shape of a listed name (as above; "other",
 * "composite" and "unknown" are the report's own and never listed).
 */
int vt_allowlist_name_valid(const char *p, size_t n);

/* Index of the name (case-insensitive), or -1 when it is not listed. */
int vt_allowlist_find(const struct vt_allowlist *a, const char *p, size_t n);
size_t vt_allowlist_count(const struct vt_allowlist *a);
const char *vt_allowlist_name(const struct vt_allowlist *a, size_t i);

/* The shipped lists (data/servers.txt, data/clients.txt). */
extern const char vt_default_servers[];
extern const char vt_default_clients[];

/*
 * The scrubber: a set of PCRE2 patterns for things that must never leave
 * the host (e-mail addresses, IPv4/IPv6 addresses, JWTs, bearer and basic
 * credentials, GitHub/AWS/Slack tokens, PEM private keys, URLs with
 * user:password@). Not thread-safe; one per thread.
 */
struct vt_scrubber;

struct vt_scrubber *vt_scrubber_new(void);
void vt_scrubber_free(struct vt_scrubber *s);
/* 1 when s[0..n) contains something the scrubber recognizes. */
int vt_scrubber_hit(struct vt_scrubber *s, const char *p, size_t n);

#endif
