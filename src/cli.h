/* SPDX-License-Identifier: Apache-2.0 */
/* Commands and their exit codes. */
#ifndef VT_CLI_H
#define VT_CLI_H

#include <stddef.h>

/* Exit codes: documented in docs/cli.md and the man page; never renumber. */
enum vt_exit {
	VT_EXIT_OK = 0,       /* done; every input byte was read and counted */
	VT_EXIT_FAILURE = 1,  /* a runtime failure: output not written */
	VT_EXIT_USAGE = 2,    /* bad command line or configuration */
	VT_EXIT_SKIPPED = 3,  /* done, but some input was skipped (see quality) */
	VT_EXIT_REFUSED = 4,  /* reports stay pending: the endpoint refused them */
};

int vt_cmd_report(int argc, char **argv);
int vt_cmd_run(int argc, char **argv);
int vt_cmd_status(int argc, char **argv);
int vt_cmd_preview(int argc, char **argv);
int vt_cmd_merge(int argc, char **argv);

/* Shared helpers for commands. */
void vt_cli_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
int vt_cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Parses --now or SOURCE_DATE_EPOCH; 0 on success. */
int vt_cli_clock(const char *now_arg, long long *out);

/*
 * The usage error for an unknown option: names it without any "=value"
 * (a secret may follow), and says what to use for --token and --insecure.
 */
int vt_cli_unknown_option(const char *cmd, const char *arg);
/*
 * 1 when the option getopt_long just returned (with optarg_now) was
 * written out in full as name, not abbreviated: "--token=X" would
 * otherwise be taken for "--token-file=X", and a token in argv then
 * printed as a file name.
 */
int vt_cli_spelled_out(char **argv, int optind_now, const char *optarg_now,
		       const char *name);
/* Parses a count from 1 to max (--max-instances N): 0, or -1. */
int vt_cli_count(const char *arg, size_t max, size_t *out);

#endif
