/* SPDX-License-Identifier: Apache-2.0 */
/*
 * status and preview: read-only views of a state directory. status says
 * what the job would do and why; preview shows the exact requests the
 * next upload would make. Neither takes the lock nor writes anything.
 */
#include "cli.h"
#include "common.h"
#include "spool.h"
#include "status_files.h"
#include "telemetry.h"
#include "../parser/inputs.h"
#include "../parser/source.h"
#include "../reporter/report.h"
#include "../state/secret.h"
#include "../state/state.h"
#include "../util/esc.h"
#include "../util/timeutil.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char status_help[] =
	"usage: " VT_NAME " status --state DIR [--json] [telemetry options] [PATH|GLOB...]\n"
	"\n"
	"Says what 'run' would do with DIR and why: the telemetry mode, every\n"
	"signal seen and the one that decided, the endpoint, the files tracked\n"
	"(with their paths when you name them again), open periods, and pending,\n"
	"refused and sent reports. Reads only; sends nothing.\n"
	"\n"
	"  --json                 a JSON document instead of text\n"
	"  --olddir DIR           as for 'run': where rotated files also are\n"
	"\n"
	"Name the paths 'run' is given to see, for each live file, the files\n"
	"taken as its rotation group and why (the name rule, and whether the\n"
	"content matches a checkpoint), and the lost files by name.\n"
	"  --telemetry, --endpoint, --config, --token-file   as for 'run'\n";

static const char preview_help[] =
	"usage: " VT_NAME " preview --state DIR [--raw] [telemetry options]\n"
	"\n"
	"Prints the requests the next upload would send, built by the same\n"
	"code: method, URL (scheme, host, port and path), headers (the token\n"
	"itself is not shown) and the body, decompressed. Each pending report\n"
	"is read through the report reader and the allowlists and written\n"
	"again, as the upload does; one that does not read is named and would\n"
	"not be sent. Sends nothing. --raw writes the next body exactly as\n"
	"sent (gzip) to standard output instead.\n";

struct view_opts {
	const char *state;
	int json, raw;
	struct vt_telemetry_opts tel;
	const char *olddirs[8];  /* --olddir, as for run */
	size_t nolddirs;
};

static int parse(int argc, char **argv, const char *cmd, const char *help,
		 struct view_opts *o)
{
	enum { O_STATE = 256, O_JSON, O_RAW, O_TELEMETRY, O_ENDPOINT,
	       O_CONFIG, O_TOKENFILE, O_OLDDIR };
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, O_STATE },
		{ "json", no_argument, NULL, O_JSON },
		{ "raw", no_argument, NULL, O_RAW },
		{ "telemetry", required_argument, NULL, O_TELEMETRY },
		{ "endpoint", required_argument, NULL, O_ENDPOINT },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "token-file", required_argument, NULL, O_TOKENFILE },
		{ "olddir", required_argument, NULL, O_OLDDIR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case O_STATE:
			o->state = optarg;
			break;
		case O_JSON:
			o->json = 1;
			break;
		case O_RAW:
			o->raw = 1;
			break;
		case O_TELEMETRY:
			o->tel.telemetry = optarg;
			break;
		case O_ENDPOINT:
			o->tel.endpoint = optarg;
			break;
		case O_CONFIG:
			o->tel.config = optarg;
			break;
		case O_OLDDIR:
			if (o->nolddirs == sizeof(o->olddirs) / sizeof(*o->olddirs))
				return vt_cli_usage_error(cmd, "--olddir: at most 8");
			o->olddirs[o->nolddirs++] = optarg;
			break;
		case O_TOKENFILE:
			if (!vt_cli_spelled_out(argv, optind, optarg,
						"--token-file"))
				return vt_cli_usage_error(
					cmd, "write --token-file in full: a token is never taken from the command line");
			o->tel.token_file = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return -1;
		case ':':
			return vt_cli_usage_error(cmd, "option '%.*s' needs a value",
						  (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
		default:
			return vt_cli_unknown_option(cmd, argv[optind - 1]);
		}
	}
	if (!o->state)
		return vt_cli_usage_error(cmd, "--state DIR is required");
	return 0;
}

/* The state as run left it; *present is 0 when no run committed yet. */
static int load(const char *dir, struct vt_tables *t, struct vt_state *st,
		int *present, struct vt_prp *key, int *keyed)
{
	size_t n = strlen(dir) + 8, len = 0;
	char *path = vt_xmalloc(n);
	int missing, rc = 0;
	struct vt_agg_config cfg = { 0, 0, 0, t->servers, t->clients, NULL };
	unsigned char secret[VT_SECRET_LEN];

	/* Without the secret the state's hashes and offsets stay hidden. */
	*keyed = vt_secret_read(dir, secret) == VT_OK;
	if (*keyed) {
		vt_state_key(secret, key);
		cfg.state_key = key;
	}
	memset(secret, 0, sizeof(secret));

	snprintf(path, n, "%s/state", dir);
	vt_state_init(st);
	char *data = vt_read_file(path, (size_t)1 << 34, &len, &missing);
	*present = data != NULL;
	if (!data && !missing) {
		vt_cli_error("cannot read '%s': %s", path, strerror(errno));
		rc = -1;
	} else if (data) {
		enum vt_err e = vt_state_decode(&cfg, data, len, st);

		if (e == VT_ERR_USAGE) { /* learn the period, then decode */
			cfg.period_seconds = st->period_seconds;
			e = vt_state_decode(&cfg, data, len, st);
		}
		if (e) {
			vt_cli_error("'%s' cannot be read: %s (see docs/run.md, Recovery)",
				     path, e == VT_ERR_VERSION ? "written by a newer version"
							       : "damaged");
			rc = -1;
		}
	}
	free(data);
	free(path);
	return rc;
}

static const char *wish_name(enum vt_wish w)
{
	static const char *const names[] = { "nothing", "off", "local", "on" };

	return names[w];
}

static void fmt_time(int64_t t, char *out)
{
	if (t)
		vt_time_format(t, out);
	else
		snprintf(out, 32, "never");
}

struct view {
	struct view_opts o;
	struct vt_tables t;
	struct vt_telemetry tel;
	struct vt_state st;
	int present;
	struct vt_prp key; /* the state's, when DIR/secret is there */
	int keyed;
	struct vt_spool_entry *pending, *sent;
	size_t npending, nsent;
	struct vt_inputs in;
};

static const char *pending_fate(const struct view *v,
				const struct vt_spool_entry *e)
{
	if (e->start < v->st.upload_enabled_at || !v->st.upload_enabled_at)
		return "local only (the period began before upload was enabled)";
	if (v->tel.decision.mode != VT_MODE_ON)
		return "kept (telemetry is not on)";
	return "sent by the next run";
}

/* Paths and values on the terminal: escaped (util/esc.h). */
#define SAFE(s, buf) vt_esc((s), (buf), sizeof(buf))

static void text_telemetry(const struct view *v)
{
	const struct vt_mode_decision *d = &v->tel.decision;
	char a[1024], b[1024], c[1024];

	printf("telemetry: %s\n  why: %s", vt_mode_names[d->mode], d->reason);
	if (d->decided_by >= 0)
		printf(" (decided by %s=%s)",
		       d->signals[d->decided_by].source,
		       SAFE(d->signals[d->decided_by].value, a));
	printf("\n  signals seen:%s\n", d->nsignals ? "" : " none");
	for (size_t i = 0; i < d->nsignals; i++)
		printf("    %-32s asks %s\n", d->signals[i].source,
		       wish_name(d->signals[i].wish));
	printf("  endpoint: %s%s%s%s\n",
	       d->endpoint ? vt_url_safe(d->endpoint, b, sizeof(b)) : "none",
	       d->endpoint ? " (from " : "",
	       d->endpoint ? d->endpoint_source : "", d->endpoint ? ")" : "");
	printf("  bearer token: %s\n",
	       v->tel.token_source ? SAFE(v->tel.token_source, c) : "none");
}

static void text_state(const struct view *v)
{
	char a[32], b[32], c[32], dir[1024], name[1024];
	const struct vt_state *s = &v->st;

	SAFE(v->o.state, dir);
	if (!v->present) {
		printf("state: none yet in '%s' (no run has committed)\n", dir);
		return;
	}
	fmt_time(s->created, a);
	fmt_time(s->last_run, b);
	fmt_time(s->finalized_until, c);
	printf("state: '%s', created %s, last run %s\n", dir, a, b);
	printf("  periods: %s; reported up to %s\n",
	       s->period_seconds == 3600    ? "hour"
	       : s->period_seconds == 86400 ? "day"
					    : "week",
	       c);
	fmt_time(s->upload_enabled_at, a);
	printf("  upload consent since: %s (periods that began before are never sent)\n",
	       a);
	printf("  installation secret: %s\n",
	       vt_secret_exists(v->o.state) ? "present" : "none");
	printf("  lost so far: %llu files\n", (unsigned long long)s->files_lost);
	printf("tracked files: %zu\n", s->ncps);
	for (size_t i = 0; i < s->ncps; i++) {
		const struct vt_checkpoint *cp = &s->cps[i];
		const char *path = NULL;

		for (size_t k = 0; k < v->in.count; k++)
			if ((uint64_t)v->in.files[k].dev == cp->dev &&
			    (uint64_t)v->in.files[k].ino == cp->ino)
				path = v->in.files[k].path;
		fmt_time(cp->last_seen, a);
		/* The fingerprint as stored (hidden), never the bare hash. */
		printf("  %016llx  ", (unsigned long long)vt_prp_fwd(
					     v->keyed ? &v->key : NULL, cp->fp));
		if (v->keyed)
			printf("offset %llu of %llu",
			       (unsigned long long)cp->offset,
			       (unsigned long long)cp->size_seen);
		else
			printf("offset hidden (no secret)");
		printf("  seen %s  %s\n", a,
		       path ? SAFE(path, name) : "(name it to see its path)");
	}
	size_t np = s->agg ? vt_agg_period_count(s->agg) : 0;
	printf("open periods: %zu\n", np);
	for (size_t i = 0; i < np; i++) {
		struct vt_summary *sum = vt_xcalloc(1, sizeof(*sum));

		vt_agg_summarize(s->agg, i, sum);
		vt_time_format(sum->start, a);
		printf("  %s %s: %llu tool calls, %llu instances so far\n", a,
		       sum->granularity, (unsigned long long)sum->tool_calls,
		       (unsigned long long)sum->instances);
		free(sum);
	}
}

static void text_reports(const struct view *v)
{
	char name[1024];

	printf("pending reports: %zu\n", v->npending);
	for (size_t i = 0; i < v->npending; i++) {
		printf("  %s  %s", SAFE(v->pending[i].name, name),
		       pending_fate(v, &v->pending[i]));
		if (v->pending[i].refused)
			printf("; last refused with HTTP %ld",
			       v->pending[i].refused);
		printf("\n");
	}
	char dir[1024];
	printf("sent reports: %zu (in %s/reports/sent, newest %d kept)\n",
	       v->nsent, SAFE(v->o.state, dir), VT_SENT_KEEP);
	if (v->nsent)
		printf("  newest: %s\n", SAFE(v->sent[v->nsent - 1].name, name));
}

static void json_status(const struct view *v)
{
	struct vt_sink out;
	struct vt_json *j;
	const struct vt_mode_decision *d = &v->tel.decision;
	char t[32];

	vt_sink_file("-", 0, &out);
	j = vt_json_new(&out);
	vt_json_open(j, 0);
	vt_json_key(j, "mode");
	vt_json_str(j, vt_mode_names[d->mode]);
	vt_json_key(j, "reason");
	vt_json_str(j, d->reason);
	vt_json_key(j, "decided_by");
	vt_json_str(j, d->decided_by >= 0 ? d->signals[d->decided_by].source
					  : NULL);
	vt_json_key(j, "signals");
	vt_json_open(j, 1);
	for (size_t i = 0; i < d->nsignals; i++) {
		vt_json_open(j, 0);
		vt_json_key(j, "source");
		vt_json_str(j, d->signals[i].source);
		vt_json_key(j, "value");
		vt_json_str(j, d->signals[i].value);
		vt_json_key(j, "asks");
		vt_json_str(j, wish_name(d->signals[i].wish));
		vt_json_close(j, 0);
	}
	vt_json_close(j, 1);
	char ep[1024];
	vt_json_key(j, "endpoint");
	vt_json_str(j, d->endpoint ? vt_url_safe(d->endpoint, ep, sizeof(ep))
				   : NULL);
	vt_json_key(j, "token_source");
	vt_json_str(j, v->tel.token_source);
	vt_json_key(j, "state_present");
	vt_json_bool(j, v->present);
	fmt_time(v->st.upload_enabled_at, t);
	vt_json_key(j, "upload_enabled_at");
	vt_json_str(j, v->st.upload_enabled_at ? t : NULL);
	vt_json_key(j, "tracked_files");
	vt_json_open(j, 1);
	for (size_t i = 0; i < v->st.ncps; i++) {
		vt_json_open(j, 0);
		vt_json_key(j, "offset");
		vt_json_int(j, (int64_t)v->st.cps[i].offset);
		vt_json_key(j, "size_seen");
		vt_json_int(j, (int64_t)v->st.cps[i].size_seen);
		vt_json_close(j, 0);
	}
	vt_json_close(j, 1);
	vt_json_key(j, "open_periods");
	vt_json_int(j, v->st.agg ? (int64_t)vt_agg_period_count(v->st.agg) : 0);
	vt_json_key(j, "pending");
	vt_json_open(j, 1);
	for (size_t i = 0; i < v->npending; i++) {
		vt_json_open(j, 0);
		vt_json_key(j, "name");
		vt_json_str(j, v->pending[i].name);
		vt_json_key(j, "fate");
		vt_json_str(j, pending_fate(v, &v->pending[i]));
		vt_json_key(j, "refused_status");
		vt_json_int(j, v->pending[i].refused);
		vt_json_close(j, 0);
	}
	vt_json_close(j, 1);
	vt_json_key(j, "sent");
	vt_json_int(j, (int64_t)v->nsent);
	vt_json_key(j, "files_lost");
	vt_json_int(j, (int64_t)v->st.files_lost);
	vt_status_files_json(j, &v->in, &v->st, v->keyed);
	vt_json_close(j, 0);
	vt_json_finish(j);
}

static int open_view(struct view *v, int argc, char **argv, const char *cmd,
		     const char *help)
{
	int rc = parse(argc, argv, cmd, help, &v->o);

	if (rc)
		return rc < 0 ? VT_EXIT_OK : rc;
	if (vt_tables_load(&v->t, NULL, NULL, NULL) ||
	    vt_telemetry_setup(&v->tel, &v->o.tel))
		return VT_EXIT_USAGE;
	if (load(v->o.state, &v->t, &v->st, &v->present, &v->key, &v->keyed))
		return VT_EXIT_FAILURE;
	vt_spool_list(v->o.state, 0, &v->pending, &v->npending);
	vt_spool_list(v->o.state, 1, &v->sent, &v->nsent);
	vt_inputs_init(&v->in);
	v->in.olddirs = v->o.olddirs;
	v->in.nolddirs = v->o.nolddirs;
	for (int i = optind; i < argc; i++)
		vt_inputs_add(&v->in, argv[i]);
	vt_inputs_add_siblings(&v->in);
	vt_inputs_sort(&v->in);
	return -1;
}

static void close_view(struct view *v)
{
	vt_spool_free(v->pending, v->npending);
	vt_spool_free(v->sent, v->nsent);
	vt_inputs_release(&v->in);
	vt_state_release(&v->st);
	vt_telemetry_release(&v->tel);
	vt_tables_free(&v->t);
}

int vt_cmd_status(int argc, char **argv)
{
	struct view v;
	int rc;

	memset(&v, 0, sizeof(v));
	rc = open_view(&v, argc, argv, "status", status_help);
	if (rc < 0) {
		if (v.o.json) {
			json_status(&v);
		} else {
			text_telemetry(&v);
			text_state(&v);
			vt_status_files_text(&v.in, &v.st, v.keyed);
			text_reports(&v);
		}
		rc = VT_EXIT_OK;
	}
	close_view(&v);
	return rc;
}

int vt_cmd_preview(int argc, char **argv)
{
	struct view v;
	int rc, shown = 0;

	memset(&v, 0, sizeof(v));
	rc = open_view(&v, argc, argv, "preview", preview_help);
	if (rc >= 0)
		goto out;
	rc = VT_EXIT_OK;
	if (v.tel.decision.mode != VT_MODE_ON && !v.o.raw)
		printf("# telemetry is %s: the next run sends nothing. With upload on, it would send:\n",
		       vt_mode_names[v.tel.decision.mode]);
	for (size_t i = 0; i < v.npending; i++) {
		struct vt_spool_report rep;
		int last = i + 1 == v.npending;

		/*
		 * A period that began before consent is never sent; with none
		 * eligible, the newest report is shown as an example.
		 */
		if (!v.st.upload_enabled_at ||
		    v.pending[i].start < v.st.upload_enabled_at) {
			if (!last || shown || v.o.raw)
				continue;
			printf("# no report is waiting to be sent: periods that began before upload was\n"
			       "# enabled are never sent. The newest report, as an example of what one holds:\n");
		}
		char err[200];
		int r = vt_spool_read(v.o.state, v.pending[i].name,
				      v.t.servers, v.t.clients, &rep, err,
				      sizeof(err));
		if (r) {
			char nm[1024];

			vt_cli_error("'%s' %s: %s; the next run will not send it",
				     vt_esc(v.pending[i].name, nm, sizeof(nm)),
				     r == -1 ? "cannot be read"
					     : "is not a report this version writes",
				     r == -1 ? strerror(errno) : err);
			rc = VT_EXIT_FAILURE;
			continue;
		}
		if (v.o.raw) {
			fwrite(rep.gz.ptr, 1, rep.gz.len, stdout);
			vt_spool_report_release(&rep);
			shown++;
			break;
		}
		char ep[1024], tsrc[1024];
		printf("POST %s\n", v.tel.decision.endpoint
					    ? vt_url_safe(v.tel.decision.endpoint,
							  ep, sizeof(ep))
					    : "(no endpoint set)");
		printf("Content-Type: application/json\nContent-Encoding: gzip\n");
		printf("Idempotency-Key: %s\nUser-Agent: %s\n", rep.id,
		       v.tel.user_agent[0] ? v.tel.user_agent : VT_NAME);
		if (v.tel.token_source)
			printf("Authorization: Bearer (from %s, not shown)\n",
			       vt_esc(v.tel.token_source, tsrc, sizeof(tsrc)));
		printf("Content-Length: %zu\n\n", rep.gz.len);
		/* The body as sent: read through the allowlists, written again. */
		fwrite(rep.json.ptr, 1, rep.json.len, stdout);
		printf("\n");
		vt_spool_report_release(&rep);
		shown++;
	}
	if (!v.npending && !v.o.raw)
		printf("# no report is waiting to be sent\n");
out:
	close_view(&v);
	return rc;
}
