/* SPDX-License-Identifier: Apache-2.0 */
/* The report command: read everything given, print one report. */
#include "cli.h"
#include "common.h"
#include "readopts.h"
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
	"Reads vMCP log files (plain, gzip, zstd, xz or bzip2; bare or in\n"
	"Kubernetes CRI or Docker json-file wrappers) and writes one privacy-safe\n"
	"usage report. Offline: it opens no socket. With no path, reads standard\n"
	"input.\n"
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
	"                         of N, for a backfill split over N jobs; needs\n"
	"                         --fleet-key-file, which picks the shards\n"
	"  --fleet-key-file FILE  key of the instances sketch, shared by the\n"
	"                         jobs whose reports 'merge' should join (the\n"
	"                         shards of a backfill); default: a random key\n"
	"                         used for this report only\n"
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
	struct vt_read_opts rd;
	const char *output;
	enum vt_format format;
	unsigned top;
	size_t threads; /* 0: one per processor */
	unsigned shard, nshards; /* nshards 0: all */
	int strict;
};

/* --shard I/N: 0, or -1 when it is not 0 <= I < N <= 100000. */
static int parse_shard(const char *s, unsigned *shard, unsigned *nshards)
{
	char *end;
	unsigned long i, n;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	i = strtoul(s, &end, 10);
	if (errno || *end != '/' || end[1] < '0' || end[1] > '9')
		return -1;
	n = strtoul(end + 1, &end, 10);
	if (errno || *end || n < 1 || n > 100000 || i >= n)
		return -1;
	*shard = (unsigned)i;
	*nshards = (unsigned)n;
	return 0;
}

static int parse_args(int argc, char **argv, struct report_opts *o)
{
	enum { O_FORMAT = 256, O_THREADS, O_STRICT, O_SHARD, O_TOP };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, O_FORMAT },
		{ "top", required_argument, NULL, O_TOP },
		{ "output", required_argument, NULL, 'o' },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "shard", required_argument, NULL, O_SHARD },
		VT_READ_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, taken;
	size_t n;

	memset(o, 0, sizeof(*o));
	vt_read_opts_init(&o->rd);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:qh", longopts, NULL)) != -1) {
		taken = vt_read_opt("report", c, optarg, &o->rd);
		if (taken == 1)
			continue;
		if (taken)
			return taken;
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
		case O_THREADS:
			if (vt_cli_count(optarg, 1024, &n))
				return vt_cli_usage_error(
					"report",
					"--threads wants a number from 1 to 1024");
			o->threads = n;
			break;
		case O_STRICT:
			o->strict = 1;
			break;
		case O_SHARD:
			if (parse_shard(optarg, &o->shard, &o->nshards))
				return vt_cli_usage_error(
					"report",
					"--shard wants I/N with 0 <= I < N (an Indexed Job's JOB_COMPLETION_INDEX/completions)");
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
	/* Unkeyed, a non-empty shard would confirm a guessed name. */
	if (o->nshards && !o->rd.fleet_key)
		return vt_cli_usage_error(
			"report",
			"--shard needs --fleet-key-file (the key that picks each shard's inputs, shared by the N jobs)");
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
		vt_read_opts_release(&o.rd);
		return rc < 0 ? VT_EXIT_OK : rc;
	}
	if (vt_cli_clock(o.rd.now, &now)) {
		vt_read_opts_release(&o.rd);
		return vt_cli_usage_error(
			"report", "--now wants an RFC 3339 time (or SOURCE_DATE_EPOCH seconds)");
	}
	if (vt_tables_load(&t, o.rd.rules, o.rd.servers, o.rd.clients)) {
		vt_tables_free(&t);
		vt_read_opts_release(&o.rd);
		return VT_EXIT_USAGE;
	}
	vt_inputs_init(&in);
	in.max_files = o.rd.max_files;
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
	if (o.nshards) {
		unsigned char shkey[32];

		if (vt_shard_key(o.rd.fleet_key, shkey)) {
			vt_inputs_release(&in);
			vt_tables_free(&t);
			vt_read_opts_release(&o.rd);
			return VT_EXIT_USAGE;
		}
		vt_inputs_shard(&in, shkey, o.shard, o.nshards);
		memset(shkey, 0, sizeof(shkey));
	}
	vt_inputs_sort(&in);

	struct vt_agg_config acfg = { 0, o.rd.max_instances, 0, t.servers,
				      t.clients, NULL };
	/*
	 * The sketch's key: the fleet key, or else a random one that dies
	 * with this process, so nothing in the report can be recomputed
	 * from a guessed name (docs/privacy.md).
	 */
	unsigned char skey[32], once[32];
	int keyed = o.rd.fleet_key ? 0 : vt_random_key(once);
	if (keyed == 0)
		keyed = vt_sketch_key(o.rd.fleet_key, once, sizeof(once), skey);
	memset(once, 0, sizeof(once));
	if (keyed < 0) {
		vt_inputs_release(&in);
		vt_tables_free(&t);
		vt_read_opts_release(&o.rd);
		return VT_EXIT_USAGE;
	}
	agg = vt_agg_new(&acfg);
	vt_agg_set_now(agg, now);
	vt_agg_set_sketch_key(agg, skey, sizeof(skey));
	memset(skey, 0, sizeof(skey));
	/*
	 * Under a fleet key a path names an instance on its host only: the
	 * host's scope (itself hashed under the fleet key in the sketch)
	 * keeps two hosts' /var/log/vmcp/audit.log apart. A random key
	 * already makes every report's hashes its own.
	 */
	if (o.rd.fleet_key)
		vt_agg_set_sketch_scope(agg, vt_sketch_scope(NULL, 0));
	ds.quiet = o.rd.quiet;
	struct vt_diag_sink diag = { vt_print_diag, &ds };
	struct vt_ingest_config icfg = { o.rd.max_line, o.rd.instance_by, o.strict, 0 };
	vt_ingest_init(&g, &icfg, t.rules, agg, &diag);
	for (size_t i = 0; i < in.nproblems; i++) {
		const struct vt_input_problem *p = &in.problems[i];

		vt_agg_quality(agg)->files_failed++;
		if (!o.rd.quiet)
			vt_cli_error("cannot read '%s': %s", p->path,
				     p->what ? p->what : strerror(p->err));
		if (o.strict)
			g.stop = 1;
	}
	size_t threads = o.threads ? o.threads : vt_cpu_count();
	icfg.prefetch = threads > 1;
	g.cfg.prefetch = icfg.prefetch;
	ds.progress = vt_progress_start(&in, in.count, o.rd.quiet);
	g.progress = ds.progress;
	if (o.strict || threads < 2 || in.count == 0) {
		for (size_t i = 0; i < in.count && !g.stop; i++)
			vt_ingest_file(&g, &in.files[i]);
	} else {
		/*
		 * Test and bench hooks, read here only: VT_CHUNKS=N cuts
		 * each file in N chunks; VT_PARALLEL_STATS prints what the
		 * parallel read did (docs/performance.md).
		 */
		struct vt_parallel_stats ps = { 0, 0, 0, 0, 0, 0, 0 };
		const char *env = getenv("VT_CHUNKS");
		if (env && atoi(env) > 0 && atoi(env) <= 64)
			ps.force_chunks = (size_t)atoi(env);
		vt_ingest_parallel(&in, threads, &icfg, t.rules, agg, &acfg,
				   &ds, &ps);
		if (getenv("VT_PARALLEL_STATS"))
			fprintf(stderr,
				"vmcp-telemetry: parallel: %llu jobs, %llu chunks, %llu chunks read again, %llu serial fallbacks (%llu at a cap), %llu lines carried across an edge\n",
				(unsigned long long)ps.jobs,
				(unsigned long long)ps.chunks,
				(unsigned long long)ps.read_again,
				(unsigned long long)ps.serial_rest,
				(unsigned long long)ps.capped,
				(unsigned long long)ps.carried);
	}
	vt_progress_stop(ds.progress);
	ds.progress = NULL;
	if (ds.suppressed && !o.rd.quiet)
		vt_cli_error("%llu more problems not shown (counted in the report's quality section)",
			     ds.suppressed);
	/* After the logs: a configuration attaches to the instances they named. */
	int changed;
	if (!g.stop)
		vt_agg_quality(agg)->files_failed +=
			(uint64_t)vt_load_configs(agg, o.rd.configs, o.rd.nconfigs,
						  o.rd.quiet, config_no_own,
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
	vt_read_opts_release(&o.rd);
	return rc;
}
