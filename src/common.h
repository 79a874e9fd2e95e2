/* SPDX-License-Identifier: Apache-2.0 */
/* What the commands share: tables, diagnostics, writing a report. */
#ifndef VT_COMMON_H
#define VT_COMMON_H

#include "../aggregator/agg.h"
#include "../parser/rules.h"

#define VT_DEFAULT_MAX_LINE (1024 * 1024)
#define VT_MAX_MAX_LINE (256 * 1024 * 1024)
/* Problems printed per file before they are only counted. */
#define DIAG_PER_FILE 5

/* The rules table and the allowlists, built-in plus the user's files. */
struct vt_tables {
	struct vt_rules *rules;
	struct vt_allowlist *servers;
	struct vt_allowlist *clients;
};

/* Loads them; prints what is wrong and returns -1 on error. */
int vt_tables_load(struct vt_tables *t, const char *rules_path,
		   const char *servers_path, const char *clients_path);
void vt_tables_free(struct vt_tables *t);

/* The diag sink's state: prints the first few problems of each file. */
struct vt_diag_state {
	int quiet;
	const char *path;
	unsigned in_file;
	unsigned long long suppressed;
};

void vt_print_diag(void *ctx, const char *path, uint64_t line,
		   uint64_t offset, const char *what);

/*
 * Reads a whole file (at most max bytes; not through a symlink). Returns
 * a NUL-terminated heap copy and its length, or NULL with errno set and
 * *missing telling whether the file did not exist.
 */
char *vt_read_file(const char *path, size_t max, size_t *len, int *missing);

/*
 * Reads the vMCP configuration files (--vmcp-config) and attaches what
 * they say to agg's instances (vt_agg_add_config); *changed tells whether
 * agg changed. no_own: a configuration that describes none of agg's
 * instances adds no instance of its own (VT_CONFIG_NO_OWN). Prints a line
 * naming each file that could not be read or holds no configuration, and
 * returns their number; the others are used.
 */
#define VT_MAX_CONFIG_BYTES (8 * 1024 * 1024)
int vt_load_configs(struct vt_agg *agg, char *const *paths, size_t n,
		    int quiet, int no_own, int *changed);

/*
 * The key of the instances sketch (see vt_agg_set_sketch_key): from the
 * fleet key file when one is given (shared by every job whose reports
 * should merge their instances), else from secret (this installation's),
 * else none. Returns 1 with key set, 0 for no key, -1 after printing why
 * the file could not be used.
 */
int vt_sketch_key(const char *fleet_key_file, const unsigned char *secret,
		  size_t secret_len, unsigned char key[32]);

/*
 * Writes the JSON report of s to output ("-" for stdout; gzip'd when the
 * name ends in .gz) atomically, with file mode mode. Prints the reason
 * and returns -1 on failure (quietly when stdout was closed).
 */
int vt_write_report(const struct vt_summary *s, const char *output,
		    const char *installation_id, unsigned mode);

/*
 * Reads a whole report file for merge, gzip'd or plain (by its content),
 * at most VT_MAX_REPORT_BYTES decompressed. Returns a NUL-terminated heap
 * copy and its length, or NULL with the reason in *why (static text or
 * the source's own message; never the file's content).
 */
#define VT_MAX_REPORT_BYTES (64u << 20) /* a report is a few kilobytes */
char *vt_read_report_file(const char *path, size_t *len, const char **why);

#endif
