/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The run command: the periodic job. Each run reads only what is new in
 * the tracked files (and their rotated siblings), adds it to the open
 * periods, writes a report for each period that is over, and commits
 * checkpoints and open periods in one atomic write. docs/run.md says what
 * it guarantees and how.
 */
#include "cli.h"
#include "common.h"
#include "readopts.h"
#include "run.h"
#include "ingest.h"
#include "spool.h"
#include "telemetry.h"
#include "../state/secret.h"
#include "../parser/inputs.h"
#include "../reporter/sink.h"
#include "../state/state.h"
#include "../util/hash.h"
#include "../util/timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_GRACE (15 * 60)
#define DEFAULT_MAX_OPEN 64

static const char run_help[] =
	"usage: " VT_NAME " run --state DIR [options] PATH|GLOB...\n"
	"\n"
	"The periodic job (a CronJob or a timer): reads what is new in the\n"
	"given files and their rotated siblings since the last run, adds it\n"
	"to the open periods, and writes a gzip'd report for each period that\n"
	"is over into DIR/reports/. Never counts a line twice, never skips one.\n"
	"\n"
	"options:\n"
	"  --state DIR            the state directory (created 0700)\n"
	"  --period hour|day|week report period, by event time in UTC (default day)\n"
	"  --grace DURATION       how long after its end a period stays open for\n"
	"                         late lines (default 15m; s, m, h, d)\n"
	"  --flush                close every open period now\n"
	"  --max-open-periods N   close the oldest periods beyond N (default 64)\n"
	"  --max-line-bytes N     longest line kept (default 1048576)\n"
	"  --max-instances N      distinct instances kept (default 10000), which\n"
	"                         bounds memory and the state's size\n"
	"  --max-files N          files tracked at most (default 100000)\n"
	"  --olddir DIR           also look for rotated files in DIR (logrotate's\n"
	"                         olddir; relative to each log's directory);\n"
	"                         may be given more than once\n"
	"  --instance-by source|component\n"
	"  --rules FILE, --servers FILE, --clients FILE   as for 'report'\n"
	"  --fleet-key-file FILE  key shared by the jobs whose reports should\n"
	"                         merge their instances (default: this state's)\n"
	"  --vmcp-config FILE     as for 'report'; a changed configuration\n"
	"                         counts in operational.config_changes\n"
	"\n"
	"consent and upload (see docs/telemetry.md):\n"
	"  --telemetry off|local|on   off: read no log, drop the secret and the\n"
	"                         state's checkpoints and counts; local (the\n"
	"                         default): write reports, never send; on: also\n"
	"                         send them. Every opt-out (DO_NOT_TRACK, CI, ...)\n"
	"                         beats every opt-in.\n"
	"  --endpoint URL         where reports go (no built-in endpoint)\n"
	"  --config FILE          settings file (also VMCP_TELEMETRY_CONFIG)\n"
	"  --token-file FILE      bearer token (or VMCP_TELEMETRY_TOKEN); never argv\n"
	"  --cacert FILE, --cert FILE, --key FILE   TLS trust and client certificate\n"
	"  --deadline DURATION    stop uploading after this long (default 5m)\n"
	"  --timeout DURATION     one upload attempt at most (default 30s)\n"
	"  --now RFC3339          fix the clock (also SOURCE_DATE_EPOCH)\n"
	"  -q, --quiet            do not describe bad input on stderr\n"
	"  -h, --help             show this help\n"
	"\n"
	"Exit codes: 0 done (bad lines are counted, not fatal; reports that could\n"
	"not be sent yet stay pending); 1 failure (the state was not changed);\n"
	"2 usage error; 3 done, but some input was not counted: a given path\n"
	"could not be read (or not to its end: a damaged .gz, .zst, .xz or\n"
	".bz2, a read error), or a tracked file's unread lines were found\n"
	"nowhere (lost; named on stderr, counted in quality.files_lost); 4 done, but\n"
	"the endpoint refused a report (it stays pending). A second run while\n"
	"one holds the lock exits 0 at once.\n";


static int parse_duration(const char *s, int64_t *out)
{
	char *end;

	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0 || v > 366LL * 86400)
		return -1;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		v *= 60;
		break;
	case 'h':
		v *= 3600;
		break;
	case 'd':
		v *= 86400;
		break;
	default:
		return -1;
	}
	if (*end && end[1])
		return -1;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct run_opts *o)
{
	enum { O_STATE = 256, O_PERIOD, O_GRACE, O_FLUSH, O_MAXOPEN,
	       O_TELEMETRY, O_ENDPOINT, O_CONFIG, O_TOKENFILE, O_CACERT,
	       O_CERT, O_KEY, O_DEADLINE, O_TIMEOUT, O_OLDDIR };
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, O_STATE },
		{ "period", required_argument, NULL, O_PERIOD },
		{ "grace", required_argument, NULL, O_GRACE },
		{ "flush", no_argument, NULL, O_FLUSH },
		{ "max-open-periods", required_argument, NULL, O_MAXOPEN },
		{ "telemetry", required_argument, NULL, O_TELEMETRY },
		{ "endpoint", required_argument, NULL, O_ENDPOINT },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "token-file", required_argument, NULL, O_TOKENFILE },
		{ "cacert", required_argument, NULL, O_CACERT },
		{ "cert", required_argument, NULL, O_CERT },
		{ "key", required_argument, NULL, O_KEY },
		{ "deadline", required_argument, NULL, O_DEADLINE },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "olddir", required_argument, NULL, O_OLDDIR },
		VT_READ_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, taken;

	memset(o, 0, sizeof(*o));
	vt_read_opts_init(&o->rd);
	o->period = 86400;
	o->grace = DEFAULT_GRACE;
	o->max_open = DEFAULT_MAX_OPEN;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
		taken = vt_read_opt("run", c, optarg, &o->rd);
		if (taken == 1)
			continue;
		if (taken)
			return taken;
		switch (c) {
		case O_STATE:
			o->state = optarg;
			break;
		case O_PERIOD:
			if (strcmp(optarg, "hour") == 0)
				o->period = 3600;
			else if (strcmp(optarg, "day") == 0)
				o->period = 86400;
			else if (strcmp(optarg, "week") == 0)
				o->period = 7 * 86400;
			else
				return vt_cli_usage_error(
					"run", "--period wants hour, day or week");
			break;
		case O_GRACE:
			if (parse_duration(optarg, &o->grace))
				return vt_cli_usage_error(
					"run", "--grace wants a duration such as 15m");
			break;
		case O_FLUSH:
			o->flush = 1;
			break;
		case O_MAXOPEN:
			if (vt_cli_count(optarg, 100000, &o->max_open))
				return vt_cli_usage_error(
					"run",
					"--max-open-periods wants a number from 1 to 100000");
			break;
		case O_TELEMETRY:
			o->tel.telemetry = optarg;
			break;
		case O_OLDDIR:
			if (o->nolddirs == VT_MAX_OLDDIRS)
				return vt_cli_usage_error("run", "--olddir: at most %d", VT_MAX_OLDDIRS);
			o->olddirs[o->nolddirs++] = optarg;
			break;
		case O_ENDPOINT:
			o->tel.endpoint = optarg;
			break;
		case O_CONFIG:
			o->tel.config = optarg;
			break;
		case O_TOKENFILE:
			if (!vt_cli_spelled_out(argv, optind, optarg,
						"--token-file"))
				return vt_cli_usage_error(
					"run", "write --token-file in full: a token is never taken from the command line");
			o->tel.token_file = optarg;
			break;
		case O_CACERT:
			o->tel.cacert = optarg;
			break;
		case O_CERT:
			o->tel.cert = optarg;
			break;
		case O_KEY:
			o->tel.key = optarg;
			break;
		case O_DEADLINE:
		case O_TIMEOUT: {
			int64_t d;

			if (parse_duration(optarg, &d) || d < 1)
				return vt_cli_usage_error(
					"run", "%s wants a duration such as 30s",
					argv[optind - 1]);
			if (c == O_DEADLINE)
				o->tel.deadline_s = d;
			else
				o->tel.timeout_s = (long)d;
			break;
		}
		case 'h':
			fputs(run_help, stdout);
			return -1;
		case ':':
			return vt_cli_usage_error("run", "option '%.*s' needs a value",
						  (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
		default:
			return vt_cli_unknown_option("run", argv[optind - 1]);
		}
	}
	if (!o->state)
		return vt_cli_usage_error("run", "--state DIR is required");
	if (optind >= argc)
		return vt_cli_usage_error("run", "name the log files to read");
	for (int i = optind; i < argc; i++)
		if (strcmp(argv[i], "-") == 0)
			return vt_cli_usage_error(
				"run", "standard input cannot be resumed; use 'report -'");
	return 0;
}

static char *join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = vt_xmalloc(n);

	snprintf(p, n, "%s/%s", a, b);
	return p;
}

static int make_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) == 0) {
		/* 0700 whatever the umask (it may take bits away). */
		if (chmod(path, 0700) == 0)
			return 0;
		vt_cli_error("cannot set the mode of '%s': %s", path,
			     strerror(errno));
		return -1;
	}
	if (errno != EEXIST) {
		vt_cli_error("cannot create '%s': %s", path, strerror(errno));
		return -1;
	}
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		vt_cli_error("'%s' is not a directory", path);
		return -1;
	}
	/* State is private: tighten a directory we own. */
	if ((st.st_mode & 077) && st.st_uid == geteuid())
		chmod(path, 0700);
	return 0;
}

/* 1: locked; 0: another run holds it; -1: error. */
static int take_lock(struct run *r)
{
	char *path = join(r->dir, "lock");
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		vt_cli_error("cannot open '%s': %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	fchmod(fd, 0600); /* whatever the umask was when it was created */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK)
			return 0;
		vt_cli_error("cannot lock '%s': %s", r->dir, strerror(e));
		return -1;
	}
	r->lock_fd = fd;
	return 1;
}

/*
 * Temporary files a crashed run left (NAME.tmp.XXXXXX beside the state,
 * the secret and the reports): removed under the lock, so none is in
 * use. unlink removes a planted link itself, never what it points to.
 */
static void remove_leftovers(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		const char *t = strstr(e->d_name, ".tmp.");

		if (!t || t == e->d_name ||
		    (strncmp(e->d_name, "state.tmp.", 10) != 0 &&
		     strncmp(e->d_name, "secret.tmp.", 11) != 0 &&
		     !(t - e->d_name > 8 && strncmp(t - 8, ".json.gz", 8) == 0)))
			continue;
		char *p = join(dir, e->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
}

static const char *period_name(int64_t len)
{
	return len == 3600 ? "hour" : len == 86400 ? "day" : "week";
}

static int load_state(struct run *r)
{
	char *path = join(r->dir, "state");
	size_t len = 0;
	int missing;
	char *data = vt_read_file(path, (size_t)1 << 34, &len, &missing);
	int rc = 0;

	if (!data && missing) {
		vt_state_init(&r->st);
		r->st.created = r->now;
		r->st.period_seconds = r->o.period;
		r->st.agg = vt_agg_new(&r->acfg);
		free(path);
		return 0;
	}
	if (!data) {
		vt_cli_error("cannot read '%s': %s", path, strerror(errno));
		free(path);
		return -1;
	}
	switch (vt_state_decode(&r->acfg, data, len, &r->st)) {
	case VT_OK:
		r->have_state = 1;
		if (!r->st.agg)
			r->st.agg = vt_agg_new(&r->acfg);
		break;
	case VT_ERR_VERSION:
		vt_cli_error("'%s' was written by a newer " VT_NAME
			     "; run that version, or start over with another --state directory",
			     path);
		rc = -1;
		break;
	case VT_ERR_USAGE:
		if (r->any_period) {
			/* An opt-out clears a state of any period length. */
			r->o.period = r->st.period_seconds;
			r->acfg.period_seconds = r->st.period_seconds;
			r->any_period = 0;
			free(data);
			free(path);
			return load_state(r);
		}
		vt_cli_error("'%s' holds %s periods; run with --period %s, or start over with another --state directory",
			     path, period_name(r->st.period_seconds),
			     period_name(r->st.period_seconds));
		rc = -1;
		break;
	default:
		vt_cli_error("'%s' is damaged (bad checksum or structure) and was left as it is. "
			     "To start over, move it aside: the next run reads every file from its start, "
			     "so periods already in %s/reports would be counted again unless you also move those lines' files away",
			     path, r->dir);
		rc = -1;
	}
	free(data);
	free(path);
	return rc;
}

static char *report_path(const struct run *r, int64_t start)
{
	char t[32], name[96];
	int64_t y;
	unsigned m, d;
	int64_t days = start >= 0 ? start / 86400 : -((-start + 86399) / 86400);
	int64_t secs = start - days * 86400;

	vt_civil_from_days(days, &y, &m, &d);
	snprintf(t, sizeof(t), "%04lld%02u%02uT%02u%02u%02uZ", (long long)y, m,
		 d, (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60),
		 (unsigned)(secs % 60));
	snprintf(name, sizeof(name), "%s-%s.json.gz", t,
		 period_name(r->o.period));
	return join(r->reports, name);
}

/*
 * Closes period i: its report is written (atomically) before the state
 * that forgets the period is committed, so a crash in between writes the
 * same report again on the next run, never loses it.
 */
static int finalize(struct run *r, size_t i)
{
	struct vt_summary *s = vt_xcalloc(1, sizeof(*s));
	int64_t start = vt_agg_period_start(r->st.agg, i);
	char *path = report_path(r, start);
	int rc;

	char iid[VT_INSTALLATION_ID_LEN + 1];

	vt_run_flush_period(r, start);
	vt_agg_summarize(r->st.agg, i, s);
	vt_summary_clip_hours(s); /* a state saved before late calls were kept out */
	vt_installation_id(r->secret, start, period_name(r->o.period), iid);
	rc = vt_write_report(s, &(struct vt_output){ .path = path,
						     .format = VT_FORMAT_JSON,
						     .installation_id = iid,
						     .mode = 0600 });
	if (rc == 0) {
		vt_agg_drop_period(r->st.agg, i);
		if (start + r->o.period > r->st.finalized_until)
			r->st.finalized_until = start + r->o.period;
		vt_agg_set_floor(r->st.agg, r->st.finalized_until);
		r->changed = 1;
	}
	free(path);
	free(s);
	return rc;
}

static int close_periods(struct run *r)
{
	while (vt_agg_period_count(r->st.agg) > 0) {
		int64_t start = vt_agg_period_start(r->st.agg, 0);
		int over = r->now >= start + r->o.period + r->o.grace;

		if (!r->o.flush && !over &&
		    vt_agg_period_count(r->st.agg) <= r->o.max_open)
			break;
		if (finalize(r, 0))
			return -1;
	}
	return 0;
}

static int commit(struct run *r)
{
	struct vt_buf b;
	struct vt_sink sink;
	char *path = join(r->dir, "state");
	enum vt_err err;

	r->st.last_run = r->now;
	vt_buf_init(&b, SIZE_MAX / 2);
	err = vt_state_encode(&r->st, r->acfg.state_key, &b);
	if (!err)
		err = vt_sink_file(path, 0600, &sink);
	if (!err) {
		err = sink.write(sink.ctx, b.ptr, b.len);
		if (err)
			sink.abort(sink.ctx);
		else
			err = sink.close(sink.ctx);
	}
	if (err)
		vt_cli_error("cannot write '%s': %s", path,
			     err == VT_ERR_IO ? strerror(errno) : vt_strerror(err));
	vt_buf_release(&b);
	free(path);
	return err ? -1 : 0;
}

static void release(struct run *r)
{
	vt_state_release(&r->st);
	vt_inputs_release(&r->in);
	vt_tables_free(&r->t);
	vt_telemetry_release(&r->tel);
	memset(r->secret, 0, sizeof(r->secret));
	free(r->cands);
	free(r->cp_seen);
	free(r->dir);
	free(r->reports);
	vt_read_opts_release(&r->o.rd);
	if (r->lock_fd >= 0)
		close(r->lock_fd);
}

static int ingest_all(struct run *r)
{
	struct vt_diag_state ds = { r->o.rd.quiet, NULL, 0, 0, NULL };
	struct vt_diag_sink diag = { vt_print_diag, &ds };
	struct vt_ingest_config icfg = { r->o.rd.max_line, r->o.rd.instance_by, 0, 0 };
	struct vt_ingest g;
	int rc = 0;
	/*
	 * Telemetry was off (or the state's key is gone): read every file to
	 * its end into an aggregate that is thrown away, so the checkpoints
	 * resume where the files end now. Nothing written before this run,
	 * while telemetry was off included, is counted.
	 */
	struct vt_agg *discard = r->st.opted_out ? vt_agg_new(&r->acfg) : NULL;

	if (discard) {
		ds.quiet = 1;
		if (!r->o.rd.quiet)
			vt_cli_error("telemetry was off: counting starts now, at the end of every file");
	}
	vt_ingest_init(&g, &icfg, r->t.rules, discard ? discard : r->st.agg,
		       &diag);
	/* What is new is not known before reading: no total, no ETA. */
	ds.progress = vt_progress_start(NULL, r->ncands, r->o.rd.quiet);
	g.progress = ds.progress;
	for (size_t i = 0; i < r->ncands && rc == 0; i++) {
		if (vt_run_read_new(r, &g, i))
			r->input_problems++;
		vt_progress_file_done(ds.progress);
		/* Bound memory: close the oldest periods past the limit. */
		while (vt_agg_period_count(r->st.agg) > r->o.max_open && rc == 0)
			rc = finalize(r, 0);
	}
	vt_progress_stop(ds.progress);
	if (ds.suppressed && !r->o.rd.quiet)
		vt_cli_error("%llu more problems not shown (counted in the reports' quality sections)",
			     ds.suppressed);
	vt_ingest_release(&g);
	if (discard) {
		vt_agg_free(discard);
		r->st.opted_out = 0;
		/*
		 * A file named only by a later run may hold lines written
		 * while telemetry was off: those timed before now are dropped
		 * (quality.events_before_consent).
		 */
		r->st.counting_since = r->now;
		r->changed = 1;
	}
	return rc;
}

/*
 * Consent is not retroactive: upload_enabled_at is when upload was last
 * turned on (from local, from off, or for the first time); a period that
 * began before it is never sent.
 */
/* DIR/secret wider than 0600 (a copied volume): narrowed, said once. */
static void tighten_secret(const char *dir)
{
	unsigned was = 0;

	switch (vt_secret_tighten(dir, &was)) {
	case 1:
		vt_cli_error("warning: '%s/secret' had mode %04o, readable by "
			     "others: set to 0600",
			     dir, was);
		break;
	case -1:
		vt_cli_error("warning: cannot set '%s/secret' to mode 0600: %s",
			     dir, strerror(errno));
		break;
	}
}

static void record_consent(struct run *r, int had_secret)
{
	enum vt_mode mode = r->tel.decision.mode;

	if (mode == VT_MODE_ON &&
	    (r->st.last_mode != VT_MODE_ON || !had_secret ||
	     !r->st.upload_enabled_at)) {
		r->st.upload_enabled_at = r->now;
		r->changed = 1;
	}
	if (r->st.last_mode != (int64_t)mode) {
		r->st.last_mode = mode;
		r->changed = 1;
	}
}

/* Sends the pending reports, oldest first, after the state is committed. */
/*
 * A pending report through the reader and the allowlists (a planted or
 * altered file is never sent as it is). One that does not read stays
 * pending, named; one that reads but differs from what would be sent is
 * replaced by it first, so sent/ keeps what was sent. 0 when rep is set.
 */
static int read_pending(struct run *r, const char *name,
			struct vt_spool_report *rep)
{
	char err[200];
	int rc = vt_spool_read(r->dir, name, r->t.servers, r->t.clients, rep,
			       err, sizeof(err));

	if (rc == -1) {
		vt_cli_error("cannot read the report '%s/%s': %s; it stays pending",
			     r->reports, name, strerror(errno));
		return -1;
	}
	if (rc) {
		vt_cli_error("'%s/%s' is not a report this version writes (%s): not sent; it stays pending",
			     r->reports, name, err);
		return -1;
	}
	if (!rep->differs)
		return 0;
	if (vt_spool_rewrite(r->dir, name, &rep->gz)) {
		vt_cli_error("cannot rewrite the report '%s/%s': %s; it stays pending",
			     r->reports, name, strerror(errno));
		vt_spool_report_release(rep);
		return -1;
	}
	vt_cli_error("warning: '%s/%s' was not as this version writes it%s: rewritten before sending",
		     r->reports, name,
		     rep->folded ? " (names on no allowlist, now 'other')" : "");
	return 0;
}

static void upload_pending(struct run *r)
{
	struct vt_spool_entry *e;
	struct vt_curl *curl = NULL; /* loaded for the first report to send */
	char why[256];
	size_t n;

	vt_telemetry_start(&r->tel); /* the deadline covers uploading only */
	if (vt_spool_list(r->dir, 0, &e, &n)) {
		vt_cli_error("cannot list '%s': %s", r->reports, strerror(errno));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct vt_spool_report rep;
		struct vt_upload_outcome out;

		if (e[i].start < r->st.upload_enabled_at)
			continue; /* began before consent: never sent */
		if (read_pending(r, e[i].name, &rep))
			continue;
		if (!curl && !(curl = vt_curl_open(why, sizeof(why)))) {
			vt_cli_error("cannot upload '%s': %s", e[i].name, why);
			vt_spool_report_release(&rep);
			break;
		}
		r->tel.upload.seed = vt_hash64(rep.id, strlen(rep.id)) ^
				     (uint64_t)r->now;
		enum vt_upload_result res = vt_upload(curl, &r->tel.upload,
						      rep.id, rep.gz.ptr,
						      rep.gz.len, &out);
		vt_spool_report_release(&rep);
		if (res == VT_UPLOAD_SENT) {
			if (vt_spool_mark_sent(r->dir, e[i].name))
				vt_cli_error("sent '%s' but could not move it to sent/: %s",
					     e[i].name, strerror(errno));
			continue;
		}
		if (res == VT_UPLOAD_REFUSED) {
			r->refused = 1;
			vt_spool_mark_refused(r->dir, e[i].name, out.status);
			vt_cli_error("the endpoint refused '%s' (HTTP %ld); it stays pending",
				     e[i].name, out.status);
			continue;
		}
		if (res == VT_UPLOAD_BROKEN)
			vt_cli_error("cannot upload '%s': %s", e[i].name,
				     out.error);
		else if (out.attempts == 0)
			vt_cli_error("the upload deadline passed before '%s' could be sent; it stays pending for the next run",
				     e[i].name);
		else
			vt_cli_error("could not deliver '%s' after %u attempts (%s); it stays pending for the next run",
				     e[i].name, out.attempts,
				     out.status ? "the endpoint kept failing"
						: out.error);
		break; /* later reports would fare no better now */
	}
	vt_spool_free(e, n);
	vt_curl_close(curl);
}

/*
 * Mode off: no log is read. The state keeps only times and modes (its
 * checkpoints and counts are dropped, vt_state_opt_out) and the secret is
 * deleted, so nothing left confirms a name or a line; the next run that
 * reads starts at the end of every file. Say so once.
 */
static int telemetry_off(struct run *r)
{
	const struct vt_mode_decision *d = &r->tel.decision;
	const struct vt_signal *s = &d->signals[d->decided_by];
	struct stat st;
	char *path = join(r->dir, "state");
	int rc = VT_EXIT_OK, cleared = 1, lock;

	if (lstat(r->dir, &st) != 0 || !S_ISDIR(st.st_mode))
		goto done;
	r->any_period = 1;
	if (lstat(path, &st) == 0) {
		if ((lock = take_lock(r)) != 1 || load_state(r)) {
			/* The secret goes anyway: the next run then starts
			 * at the end of every file (see vt_cmd_run). A run
			 * holding the lock is no failure (as for 'run'). */
			vt_cli_error(lock == 0 ? "another run holds the lock on '%s': "
						 "its state is cleared by the next run"
					       : "'%s' was not cleared",
				     lock == 0 ? r->dir : path);
			cleared = 0;
			rc = lock == 0 ? VT_EXIT_OK : VT_EXIT_FAILURE;
		} else if (!r->st.opted_out) {
			vt_state_opt_out(&r->st);
			r->acfg.state_key = NULL;
			if (commit(r)) {
				cleared = 0;
				rc = VT_EXIT_FAILURE;
			}
		}
	}
	if (vt_secret_delete(r->dir) < 0) {
		vt_cli_error("cannot delete '%s/secret': %s", r->dir,
			     strerror(errno));
		rc = VT_EXIT_FAILURE;
	}
done:
	free(path);
	vt_cli_error("telemetry is off (%s=%s): no log read%s", s->source,
		     s->value, cleared ? ", counts and checkpoints dropped" : "");
	return rc;
}

int vt_cmd_run(int argc, char **argv)
{
	struct run r;
	long long now;
	int rc;

	memset(&r, 0, sizeof(r));
	r.lock_fd = -1;
	rc = parse_args(argc, argv, &r.o);
	if (rc) {
		vt_read_opts_release(&r.o.rd);
		return rc < 0 ? VT_EXIT_OK : rc;
	}
	if (vt_cli_clock(r.o.rd.now, &now)) {
		vt_read_opts_release(&r.o.rd);
		return vt_cli_usage_error("run", "--now wants an RFC 3339 time");
	}
	r.now = now;
	if (vt_tables_load(&r.t, r.o.rd.rules, r.o.rd.servers, r.o.rd.clients)) {
		release(&r);
		return VT_EXIT_USAGE;
	}
	r.acfg.period_seconds = r.o.period;
	r.acfg.max_instances = r.o.rd.max_instances;
	r.acfg.servers = r.t.servers;
	r.acfg.clients = r.t.clients;
	r.dir = vt_xstrdup(r.o.state);
	r.reports = join(r.dir, "reports");
	if (vt_telemetry_setup(&r.tel, &r.o.tel)) {
		release(&r);
		return VT_EXIT_USAGE;
	}
	if (r.tel.decision.mode == VT_MODE_OFF) {
		rc = telemetry_off(&r);
		release(&r);
		return rc;
	}
	rc = VT_EXIT_FAILURE;
	if (make_dir(r.dir) || make_dir(r.reports))
		goto out;
	switch (take_lock(&r)) {
	case 0:
		vt_cli_error("another run holds the lock on '%s'; nothing to do",
			     r.dir);
		rc = VT_EXIT_OK;
		goto out;
	case -1:
		goto out;
	}
	remove_leftovers(r.dir);
	remove_leftovers(r.reports);
	int had_secret = vt_secret_exists(r.dir), created;
	if (vt_secret_load(r.dir, r.secret, &created)) {
		vt_cli_error("cannot read or create '%s/secret': %s", r.dir,
			     strerror(errno));
		goto out;
	}
	tighten_secret(r.dir);
	vt_state_key(r.secret, &r.state_key);
	r.acfg.state_key = &r.state_key;
	if (load_state(&r))
		goto out;
	if (r.have_state && !had_secret && !r.st.opted_out) {
		/* Its hashes were made with a key that is gone. */
		vt_state_opt_out(&r.st);
		r.st.agg = vt_agg_new(&r.acfg); /* opting out dropped it */
		r.changed = 1;
	}
	record_consent(&r, had_secret);
	unsigned char skey[32];
	if (vt_sketch_key(r.o.rd.fleet_key, r.secret, sizeof(r.secret), skey) < 0) {
		rc = VT_EXIT_USAGE;
		goto out;
	}
	vt_agg_set_sketch_key(r.st.agg, skey, sizeof(skey));
	vt_agg_set_sketch_scope(r.st.agg,
				vt_sketch_scope(r.secret, sizeof(r.secret)));
	memset(skey, 0, sizeof(skey));
	vt_agg_set_now(r.st.agg, r.now);
	/* A week, the longest period: a clock further ahead is broken. */
	vt_agg_set_horizon(r.st.agg, r.now + 7 * 86400);
	vt_agg_set_consent(r.st.agg, r.st.counting_since);
	if (r.st.finalized_until)
		vt_agg_set_floor(r.st.agg, r.st.finalized_until);
	r.olddirs = r.o.olddirs;
	r.nolddirs = r.o.nolddirs;
	vt_run_discover(&r, argc, argv);
	vt_run_match(&r);
	if (ingest_all(&r))
		goto out;
	int config_changed;
	r.input_problems += vt_load_configs(
		r.st.agg, r.o.rd.configs, r.o.rd.nconfigs, r.o.rd.quiet, 0,
		&config_changed);
	if (config_changed)
		r.changed = 1;
	vt_run_forget_gone(&r);
	if (close_periods(&r))
		goto out;
	if ((r.changed || !r.have_state) && commit(&r))
		goto out;
	if (r.tel.decision.mode == VT_MODE_ON)
		upload_pending(&r);
	rc = r.refused				? VT_EXIT_REFUSED
	     : r.input_problems || r.lost ? VT_EXIT_SKIPPED
					  : VT_EXIT_OK;
out:
	release(&r);
	return rc;
}
