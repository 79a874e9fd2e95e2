/* SPDX-License-Identifier: Apache-2.0 */
/* The merge command: many reports in, the report of them all out. */
#include "cli.h"
#include "common.h"
#include "../reporter/report.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char merge_help[] =
	"usage: " VT_NAME " merge [options] REPORT...\n"
	"\n"
	"Merges reports (JSON or .json.gz, as report or run wrote them) into the\n"
	"report of all their data: counts, histograms and names add, the period\n"
	"spans them all, and distinct instances come from the union of the\n"
	"reports' instance sketches (instances seen by several reports count\n"
	"once when the reports were made with the same sketch key). Offline.\n"
	"\n"
	"options:\n"
	"  --format FORMAT        json (default), table, html or prom, as for\n"
	"                         report\n"
	"  --top N                table: backends and clients shown before\n"
	"                         'other' (default 10)\n"
	"  -o, --output FILE      write to FILE (gzip'd when FILE ends in .gz);\n"
	"                         default standard output\n"
	"  --servers FILE         more public backend names, as for report: a\n"
	"                         name on no list is merged as 'other'\n"
	"  --clients FILE         the same for client names\n"
	"  -q, --quiet            do not describe unreadable reports on stderr\n"
	"  -h, --help             show this help\n"
	"\n"
	"Exit codes: 0 every report merged; 1 failure (no report written);\n"
	"2 usage error; 3 merged, but some reports could not be read (named on\n"
	"stderr, left out).\n";

int vt_cmd_merge(int argc, char **argv)
{
	enum { O_FORMAT = 256, O_TOP, O_SERVERS, O_CLIENTS };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, O_FORMAT },
		{ "top", required_argument, NULL, O_TOP },
		{ "servers", required_argument, NULL, O_SERVERS },
		{ "clients", required_argument, NULL, O_CLIENTS },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vt_output out = { .format = VT_FORMAT_JSON, .mode = 0644 };
	int quiet = 0, c, failed = 0, merged = 0, rc;
	const char *servers = NULL, *clients = NULL;
	struct vt_tables t;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case O_FORMAT:
			if (vt_cli_format("merge", optarg, &out.format))
				return VT_EXIT_USAGE;
			break;
		case O_TOP:
			if (vt_cli_top("merge", optarg, &out.top))
				return VT_EXIT_USAGE;
			break;
		case O_SERVERS:
			servers = optarg;
			break;
		case O_CLIENTS:
			clients = optarg;
			break;
		case 'o':
			out.path = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			fputs(merge_help, stdout);
			return VT_EXIT_OK;
		case ':':
			return vt_cli_usage_error("merge", "option '%.*s' needs a value",
						  (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
		default:
			return vt_cli_unknown_option("merge", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return vt_cli_usage_error("merge", "no report given");
	if (vt_tables_load(&t, NULL, servers, clients)) {
		vt_tables_free(&t);
		return VT_EXIT_USAGE;
	}

	struct vt_summary *all = vt_xcalloc(1, sizeof(*all));
	struct vt_summary *one = vt_xcalloc(1, sizeof(*one));

	for (int i = optind; i < argc; i++) {
		size_t len;
		const char *why;
		char err[160];
		char *text = vt_read_report_file(argv[i], &len, &why);

		if (!text) {
			if (!quiet)
				vt_cli_error("cannot read report '%s': %s", argv[i],
					     why);
			failed++;
			continue;
		}
		if (vt_report_parse(text, len, one, err, sizeof(err)) != VT_OK) {
			if (!quiet)
				vt_cli_error("'%s' is not a report this version reads: %s; left out",
					     argv[i], err);
			failed++;
		} else {
			/* The same allowlists as ingestion: a report is input. */
			size_t folded = vt_summary_allow(one, t.servers,
							 t.clients);

			if (folded && !quiet)
				vt_cli_error("'%s': %zu backend or client names on no allowlist, merged as 'other'",
					     argv[i], folded);
			vt_summary_merge(all, one);
			merged++;
		}
		free(text);
	}
	if (!merged) {
		vt_cli_error("no report could be read; nothing written");
		rc = VT_EXIT_FAILURE;
	} else if (vt_write_report(all, &out)) {
		rc = VT_EXIT_FAILURE;
	} else {
		rc = failed ? VT_EXIT_SKIPPED : VT_EXIT_OK;
	}
	free(one);
	free(all);
	vt_tables_free(&t);
	return rc;
}
