/* SPDX-License-Identifier: Apache-2.0 */
/* The reading options report and run share, parsed in one place. */
#ifndef VT_READOPTS_H
#define VT_READOPTS_H

#include <getopt.h>
#include <stddef.h>

#include "ingest.h"

/* What the options say about reading logs; vt_read_opts_init's defaults. */
struct vt_read_opts {
	size_t max_line;      /* --max-line-bytes */
	size_t max_instances; /* --max-instances; 0: the aggregator's own */
	size_t max_files;     /* --max-files */
	enum vt_instance_by instance_by;
	const char *rules, *servers, *clients; /* files, or NULL */
	const char *now;       /* --now, or NULL */
	char **configs;        /* --vmcp-config, in argv order (argv's) */
	size_t nconfigs;
	const char *fleet_key; /* --fleet-key-file */
	int quiet;
};

/* getopt_long values of the shared options; a command's own start at 256. */
enum {
	VT_OPT_MAXLINE = 1024,
	VT_OPT_MAXINST,
	VT_OPT_MAXFILES,
	VT_OPT_INSTBY,
	VT_OPT_RULES,
	VT_OPT_SERVERS,
	VT_OPT_CLIENTS,
	VT_OPT_NOW,
	VT_OPT_VMCP_CONFIG,
	VT_OPT_FLEET_KEY,
};

/* The shared entries of a command's longopts table (and -q). */
#define VT_READ_LONGOPTS                                                   \
	{ "max-line-bytes", required_argument, NULL, VT_OPT_MAXLINE },     \
	{ "max-instances", required_argument, NULL, VT_OPT_MAXINST },      \
	{ "max-files", required_argument, NULL, VT_OPT_MAXFILES },         \
	{ "instance-by", required_argument, NULL, VT_OPT_INSTBY },         \
	{ "rules", required_argument, NULL, VT_OPT_RULES },                \
	{ "servers", required_argument, NULL, VT_OPT_SERVERS },            \
	{ "clients", required_argument, NULL, VT_OPT_CLIENTS },            \
	{ "now", required_argument, NULL, VT_OPT_NOW },                    \
	{ "vmcp-config", required_argument, NULL, VT_OPT_VMCP_CONFIG },    \
	{ "fleet-key-file", required_argument, NULL, VT_OPT_FLEET_KEY },   \
	{ "quiet", no_argument, NULL, 'q' }

void vt_read_opts_init(struct vt_read_opts *o);
/* Frees the configs array (not the strings: they are argv's). */
void vt_read_opts_release(struct vt_read_opts *o);

/*
 * Takes option c (as getopt_long returned it, with arg its value) when it
 * is a shared one: returns 1 when taken, 0 when c is not a shared option,
 * or VT_EXIT_USAGE after printing, for cmd, what the value should be.
 */
int vt_read_opt(const char *cmd, int c, const char *arg,
		struct vt_read_opts *o);

#endif
