/* SPDX-License-Identifier: Apache-2.0 */
/* What the commands share: tables, diagnostics, writing a report. */
#ifndef VT_COMMON_H
#define VT_COMMON_H

#include "../aggregator/agg.h"
#include "../parser/rules.h"
#include "../reporter/report.h"
#include "progress.h"

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
	struct vt_progress *progress; /* erased around each message; the
					 readers count into it; may be NULL */
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
 * The key that picks a --shard's inputs, from the fleet key file (another
 * domain than the sketch's). 0 with key set, -1 after printing why the
 * file could not be used.
 */
int vt_shard_key(const char *fleet_key_file, unsigned char key[32]);

/* Where and how a report is written. */
struct vt_output {
	const char *path;            /* NULL or "-": standard output */
	enum vt_format format;
	unsigned top;                /* table: names before "other"; 0: default */
	const char *installation_id; /* json: NULL writes null */
	unsigned mode;               /* file mode of a new file */
};

/*
 * The host's scope for the instances sketch (vt_agg_set_sketch_scope):
 * from secret (this installation's, so every run of one state directory
 * agrees, whatever pod it runs in) when given, else from the machine id
 * (/etc/machine-id), else from the host name. Never printed: only a keyed
 * hash of it reaches the report.
 */
/* 32 random bytes; -1 (message printed) when the system has none. */
int vt_random_key(unsigned char key[32]);
uint64_t vt_sketch_scope(const unsigned char *secret, size_t secret_len);

/*
 * Writes s in out->format to out->path, atomically (temp file, fsync,
 * rename; gzip'd when the name ends in .gz). The table is coloured only
 * on standard output that is a terminal, with NO_COLOR unset or empty and
 * TERM set and not "dumb". Prints the reason and returns -1 on failure
 * (quietly when stdout was closed).
 */
int vt_write_report(const struct vt_summary *s, const struct vt_output *out);

/*
 * The --format and --top options of cmd: 0 with *out set, or a usage
 * error printed and VT_EXIT_USAGE returned.
 */
int vt_cli_format(const char *cmd, const char *arg, enum vt_format *out);
int vt_cli_top(const char *cmd, const char *arg, unsigned *out);

/*
 * Reads a whole report file for merge, gzip'd or plain (by its content),
 * at most VT_MAX_REPORT_BYTES decompressed. Returns a NUL-terminated heap
 * copy and its length, or NULL with the reason in *why (static text or
 * the source's own message; never the file's content).
 */
#define VT_MAX_REPORT_BYTES (64u << 20) /* a report is a few kilobytes */
char *vt_read_report_file(const char *path, size_t *len, const char **why);

#endif
