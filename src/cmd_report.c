/* SPDX-License-Identifier: Apache-2.0 */
/* The report command: read everything given, print one report. */
#include "cli.h"
#include "common.h"
#include "ingest.h"
#include "parallel.h"
#include "../reporter/report.h"
#include "../util/timeutil.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char report_help[] =
	"usage: " VT_NAME " report [options] [PATH|GLOB|-]...\n"
	"\n"
	"Reads vMCP log files (plain or gzip, bare or in Kubernetes CRI or Docker\n"
	"json-file wrappers) and writes one privacy-safe usage report. Offline:\n"
	"it opens no socket. With no path, reads standard input.\n"
	"\n"
	"options:\n"
	"  --format FORMAT        json (the report, default), table (a summary\n"
	"                         for a terminal), html (a page with charts) or\n"
	"                         prom (Prometheus text, for node_exporter)\n"
	"  --top N                table: backends and clients shown before\n"
	"                         'other' (default 10)\n"
	"  -o, --output FILE      write to FILE (gzip'd when FILE ends in .gz);\n"
	"                         default standard output\n"
	"  --threads N            threads reading (default: one per processor);\n"
	"                         the report never depends on it\n"
	"  --shard I/N            read only the instances of shard I (0..N-1)\n"
	"                         of N, for a backfill split over N jobs\n"
	"  --fleet-key-file FILE  key of the instances sketch, shared by the\n"
	"                         jobs whose reports 'merge' should join\n"
	"  --vmcp-config FILE     the YAML vMCP was started with (vmcp serve\n"
	"                         --config file, its ConfigMap, or the\n"
	"                         VirtualMCPServer); repeatable\n"
	"  --max-line-bytes N     longest line kept (default 1048576); longer\n"
	"                         lines are skipped and counted\n"
	"  --max-instances N      distinct instances kept (default 10000), which\n"
	"                         bounds memory; lines of further instances\n"
	"                         count in the totals only\n"
	"  --max-files N          files read at most (default 100000); the rest\n"
	"                         are named on stderr and not read\n"
	"  --instance-by source|component\n"
	"                         what an instance is: the log source (default),\n"
	"                         or the audit events' component (one shared file)\n"
	"  --rules FILE           extra message rules, tried before the built-in\n"
	"  --servers FILE         extra public MCP server names to report\n"
	"  --clients FILE         extra public MCP client names to report\n"
	"  --now RFC3339          fix the clock (also SOURCE_DATE_EPOCH)\n"
	"  --strict               stop at the first bad input, write no report\n"
	"  -q, --quiet            do not describe bad input on stderr, and show\n"
	"                         no progress (shown on a terminal's stderr)\n"
	"  -h, --help             show this help\n"
	"\n"
	"Exit codes: 0 all input counted; 1 failure (no report); 2 usage error;\n"
	"3 report written, but some input was not counted (a file that could not\n"
	"be read, or a line that was malformed, too long or not a vMCP line).\n";

struct report_opts {
	const char *output;
	enum vt_format format;
	unsigned top;
	const char *rules;
	const char *servers;
	const char *clients;
	const char *now;
	char **configs; /* --vmcp-config, in argv order */
	size_t nconfigs;
	size_t threads; /* 0: one per processor */
	const char *fleet_key;
	unsigned shard, nshards; /* nshards 0: all */
	size_t max_line;
	size_t max_instances;
	size_t max_files;
	enum vt_instance_by instance_by;
	int strict;
	int quiet;
};

static int parse_size(const char *s, size_t *out)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v < 16 || v > VT_MAX_MAX_LINE)
		return -1;
	*out = (size_t)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct report_opts *o)
{
	enum { O_FORMAT = 256, O_THREADS, O_MAXLINE, O_INSTBY, O_RULES,
	       O_SERVERS, O_CLIENTS, O_NOW, O_STRICT, O_VMCP_CONFIG,
	       O_FLEET_KEY, O_SHARD, O_TOP, O_MAXINST, O_MAXFILES };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, O_FORMAT },
		{ "top", required_argument, NULL, O_TOP },
		{ "output", required_argument, NULL, 'o' },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "max-line-bytes", required_argument, NULL, O_MAXLINE },
		{ "max-instances", required_argument, NULL, O_MAXINST },
		{ "max-files", required_argument, NULL, O_MAXFILES },
		{ "instance-by", required_argument, NULL, O_INSTBY },
		{ "rules", required_argument, NULL, O_RULES },
		{ "servers", required_argument, NULL, O_SERVERS },
		{ "clients", required_argument, NULL, O_CLIENTS },
		{ "now", required_argument, NULL, O_NOW },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "vmcp-config", required_argument, NULL, O_VMCP_CONFIG },
		{ "fleet-key-file", required_argument, NULL, O_FLEET_KEY },
		{ "shard", required_argument, NULL, O_SHARD },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;

	memset(o, 0, sizeof(*o));
	o->max_files = VT_DEFAULT_MAX_FILES;
	o->max_line = VT_DEFAULT_MAX_LINE;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case O_FORMAT:
			if (vt_cli_format("report", optarg, &o->format))
				return VT_EXIT_USAGE;
			break;
		case O_TOP:
			if (vt_cli_top("report", optarg, &o->top))
				return VT_EXIT_USAGE;
			break;
		case 'o':
			o->output = optarg;
			break;
		case O_THREADS: {
			errno = 0;
			long n = strtol(optarg, &end, 10);
			if (n < 1 || n > 1024 || *end || errno)
				return vt_cli_usage_error(
					"report",
					"--threads wants a number from 1 to 1024");
			o->threads = (size_t)n;
			break;
		}
		case O_MAXLINE:
			if (parse_size(optarg, &o->max_line))
				return vt_cli_usage_error(
					"report",
					"--max-line-bytes wants a number from 16 to %d",
					VT_MAX_MAX_LINE);
			break;
		case O_MAXFILES:
			if (vt_cli_count(optarg, VT_MAX_MAX_FILES, &o->max_files))
				return vt_cli_usage_error(
					"report",
					"--max-files wants a number from 1 to %d",
					VT_MAX_MAX_FILES);
			break;
		case O_MAXINST:
			if (vt_cli_count(optarg, VT_MAX_MAX_INSTANCES,
					 &o->max_instances))
				return vt_cli_usage_error(
					"report",
					"--max-instances wants a number from 1 to %d",
					VT_MAX_MAX_INSTANCES);
			break;
		case O_INSTBY:
			if (strcmp(optarg, "source") == 0)
				o->instance_by = VT_INSTANCE_BY_SOURCE;
			else if (strcmp(optarg, "component") == 0)
				o->instance_by = VT_INSTANCE_BY_COMPONENT;
			else
				return vt_cli_usage_error(
					"report",
					"--instance-by wants 'source' or 'component'");
			break;
		case O_RULES:
			o->rules = optarg;
			break;
		case O_SERVERS:
			o->servers = optarg;
			break;
		case O_CLIENTS:
			o->clients = optarg;
			break;
		case O_NOW:
			o->now = optarg;
			break;
		case O_STRICT:
			o->strict = 1;
			break;
		case O_FLEET_KEY:
			o->fleet_key = optarg;
			break;
		case O_SHARD: {
			unsigned i, n;
			char extra;
			if (sscanf(optarg, "%u/%u%c", &i, &n, &extra) != 2 ||
			    n < 1 || n > 100000 || i >= n)
				return vt_cli_usage_error(
					"report",
					"--shard wants I/N with 0 <= I < N (an Indexed Job's JOB_COMPLETION_INDEX/completions)");
			o->shard = i;
			o->nshards = n;
			break;
		}
		case O_VMCP_CONFIG:
			o->configs = vt_xrealloc(o->configs, (o->nconfigs + 1) *
							     sizeof(*o->configs));
			o->configs[o->nconfigs++] = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			fputs(report_help, stdout);
			return -1;
		case ':':
			return vt_cli_usage_error("report", "option '%.*s' needs a value",
						  (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
		default:
			return vt_cli_unknown_option("report", argv[optind - 1]);
		}
	}
	return 0;
}

static uint64_t skipped(const struct vt_quality *q)
{
	return q->files_failed + q->lines_malformed + q->lines_too_long +
	       q->lines_unrecognized;
}

int vt_cmd_report(int argc, char **argv)
{
	struct report_opts o;
	struct vt_tables t = { NULL, NULL, NULL };
	struct vt_inputs in;
	struct vt_agg *agg = NULL;
	struct vt_ingest g;
	struct vt_summary *s = NULL;
	struct vt_diag_state ds = { 0, NULL, 0, 0, NULL };
	long long now;
	int rc = parse_args(argc, argv, &o);

	if (rc) {
		free(o.configs);
		return rc < 0 ? VT_EXIT_OK : rc;
	}
	if (vt_cli_clock(o.now, &now)) {
		free(o.configs);
		return vt_cli_usage_error(
			"report", "--now wants an RFC 3339 time (or SOURCE_DATE_EPOCH seconds)");
	}
	if (vt_tables_load(&t, o.rules, o.servers, o.clients)) {
		vt_tables_free(&t);
		free(o.configs);
		return VT_EXIT_USAGE;
	}
	vt_inputs_init(&in);
	in.max_files = o.max_files;
	if (optind >= argc)
		vt_inputs_add(&in, "-");
	for (int i = optind; i < argc; i++)
		vt_inputs_add(&in, argv[i]);
	/*
	 * A shard cannot know whether another shard holds the logs a
	 * configuration describes: only shard 0, and only when no log was
	 * given at all, counts a configuration as an instance of its own.
	 */
	int config_no_own = o.nshards && (o.shard != 0 || in.count > 0);
	if (o.nshards)
		vt_inputs_shard(&in, o.shard, o.nshards);
	vt_inputs_sort(&in);

	struct vt_agg_config acfg = { 0, o.max_instances, 0, t.servers,
				      t.clients };
	unsigned char skey[32];
	int keyed = vt_sketch_key(o.fleet_key, NULL, 0, skey);
	if (keyed < 0) {
		vt_inputs_release(&in);
		vt_tables_free(&t);
		free(o.configs);
		return VT_EXIT_USAGE;
	}
	agg = vt_agg_new(&acfg);
	vt_agg_set_now(agg, now);
	if (keyed)
		vt_agg_set_sketch_key(agg, skey, sizeof(skey));
	vt_agg_set_sketch_scope(agg, vt_sketch_scope(NULL, 0));
	ds.quiet = o.quiet;
	struct vt_diag_sink diag = { vt_print_diag, &ds };
	struct vt_ingest_config icfg = { o.max_line, o.instance_by, o.strict, 0 };
	vt_ingest_init(&g, &icfg, t.rules, agg, &diag);
	for (size_t i = 0; i < in.nproblems; i++) {
		const struct vt_input_problem *p = &in.problems[i];

		vt_agg_quality(agg)->files_failed++;
		if (!o.quiet)
			vt_cli_error("cannot read '%s': %s", p->path,
				     p->what ? p->what : strerror(p->err));
		if (o.strict)
			g.stop = 1;
	}
	size_t threads = o.threads ? o.threads : vt_cpu_count();
	icfg.prefetch = threads > 1;
	g.cfg.prefetch = icfg.prefetch;
	ds.progress = vt_progress_start(&in, in.count, o.quiet);
	g.progress = ds.progress;
	if (o.strict || threads < 2 || in.count == 0) {
		for (size_t i = 0; i < in.count && !g.stop; i++)
			vt_ingest_file(&g, &in.files[i]);
	} else {
		vt_ingest_parallel(&in, threads, &icfg, t.rules, agg, &acfg,
				   &ds);
	}
	vt_progress_stop(ds.progress);
	ds.progress = NULL;
	if (ds.suppressed && !o.quiet)
		vt_cli_error("%llu more problems not shown (counted in the report's quality section)",
			     ds.suppressed);
	/* After the logs: a configuration attaches to the instances they named. */
	int changed;
	if (!g.stop)
		vt_agg_quality(agg)->files_failed +=
			(uint64_t)vt_load_configs(agg, o.configs, o.nconfigs,
						  o.quiet, config_no_own,
						  &changed);

	rc = VT_EXIT_OK;
	if (g.stop) {
		vt_cli_error("--strict: stopping at bad input, no report written");
		rc = VT_EXIT_SKIPPED;
		goto out;
	}
	s = vt_xcalloc(1, sizeof(*s));
	vt_agg_summarize(agg, 0, s);
	if (vt_write_report(s, &(struct vt_output){ .path = o.output,
						    .format = o.format,
						    .top = o.top,
						    .mode = 0644 }))
		rc = VT_EXIT_FAILURE;
	else if (skipped(&s->quality))
		rc = VT_EXIT_SKIPPED;
out:
	free(s);
	vt_ingest_release(&g);
	vt_agg_free(agg);
	vt_inputs_release(&in);
	vt_tables_free(&t);
	free(o.configs);
	return rc;
}
