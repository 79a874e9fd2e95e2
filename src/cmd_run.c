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
/*
 * A renamed (not compressed) rotated file may still have a writer that
 * has not reopened its log (delaycompress exists for that): its torn last
 * line counts only once the file has been quiet this long, by its mtime.
 */
#define ROTATED_QUIET_S 60
/* Checkpoints kept at most; the oldest unseen ones go first. */
#define MAX_CHECKPOINTS 100000

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
	"  --instance-by source|component\n"
	"  --rules FILE, --servers FILE, --clients FILE   as for 'report'\n"
	"  --fleet-key-file FILE  key shared by the jobs whose reports should\n"
	"                         merge their instances (default: this state's)\n"
	"  --vmcp-config FILE     as for 'report'; a changed configuration\n"
	"                         counts in operational.config_changes\n"
	"\n"
	"consent and upload (see docs/telemetry.md):\n"
	"  --telemetry off|local|on   off: read and write nothing; local (the\n"
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
	"2 usage error; 3 done, but a given path could not be read (or not to its\n"
	"end: a damaged .gz, a read error; named on stderr); 4 done, but\n"
	"the endpoint refused a report (it stays pending). A second run while\n"
	"one holds the lock exits 0 at once.\n";

struct run_opts {
	struct vt_read_opts rd;
	const char *state;
	int64_t period;
	int64_t grace;
	int flush;
	size_t max_open;
	struct vt_telemetry_opts tel;
};

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
	       O_CERT, O_KEY, O_DEADLINE, O_TIMEOUT };
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

/* A file found this run, with its head for identification. */
struct candidate {
	struct vt_input *in;
	unsigned char head[VT_FP_LEN];
	size_t head_len;
	int gzip;
	uint64_t size; /* st_size (compressed size for gzip) */
	int64_t mtime;
	size_t cp;     /* index into the state's checkpoints, or NO_CP */
	int duplicate; /* the same content as another candidate: not read */
};

#define NO_CP SIZE_MAX

struct run {
	struct run_opts o;
	int64_t now;
	char *dir, *reports;
	int lock_fd;
	struct vt_state st;
	int have_state;
	struct vt_agg_config acfg;
	struct vt_tables t;
	struct vt_inputs in;
	struct candidate *cands;
	size_t ncands;
	unsigned char *cp_seen;
	int changed;
	int input_problems;
	struct vt_telemetry tel;
	unsigned char secret[VT_SECRET_LEN];
	int refused;
};

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

static void read_head(struct candidate *c)
{
	struct vt_source *src;
	struct stat st;

	c->head_len = 0;
	if (vt_source_open_regular(c->in->path, &src))
		return;
	if (fstat(vt_source_fd(src), &st) == 0) {
		c->size = (uint64_t)st.st_size;
		c->mtime = (int64_t)st.st_mtime;
	}
	c->gzip = vt_source_is_gzip(src);
	while (c->head_len < VT_FP_LEN) {
		size_t got = 0;

		if (vt_source_read(src, (char *)c->head + c->head_len,
				   VT_FP_LEN - c->head_len, &got) ||
		    got == 0)
			break;
		c->head_len += got;
	}
	vt_source_free(src);
}

static int same_head(const struct candidate *a, const struct candidate *b)
{
	size_t n = a->head_len < b->head_len ? a->head_len : b->head_len;

	return n > 0 && memcmp(a->head, b->head, n) == 0;
}

/* Which of two copies of one file to read: see drop_duplicates. */
static int better_copy(const struct candidate *a, const struct candidate *b)
{
	if ((a->cp != NO_CP) != (b->cp != NO_CP))
		return a->cp != NO_CP;
	if (a->gzip != b->gzip)
		return !a->gzip;
	if (a->head_len != b->head_len)
		return a->head_len > b->head_len;
	return !a->in->rotated && b->in->rotated;
}

/*
 * Two files that begin with the same bytes are one file caught in two
 * forms: "x.log.1" and the "x.log.1.gz" gzip is still writing, or a
 * copytruncate copy before the truncation. Reading both would count the
 * same lines twice, so only one is read this run: the one that holds the
 * checkpoint, else the plain one (a .gz being written is incomplete),
 * else the longer, else the live one. The next run sees what is left.
 */
static void drop_duplicates(struct run *r)
{
	for (size_t i = 0; i < r->ncands; i++) {
		struct candidate *a = &r->cands[i];

		for (size_t k = i + 1; k < r->ncands && !a->duplicate; k++) {
			struct candidate *b = &r->cands[k];

			if (b->duplicate || !same_head(a, b))
				continue;
			if (better_copy(a, b))
				b->duplicate = 1;
			else
				a->duplicate = 1;
		}
	}
}

/*
 * Pairs files with checkpoints by content: a checkpoint belongs to the
 * file whose first fp_len bytes it fingerprinted. Among several files
 * with that head, the one with the checkpoint's device and inode wins
 * (a copy made by copytruncate has the same head as what is left of
 * its original only until the original is truncated).
 */
static void match(struct run *r)
{
	r->cp_seen = vt_xcalloc(r->st.ncps + 1, 1);
	for (size_t k = 0; k < r->st.ncps; k++) {
		struct vt_checkpoint *cp = &r->st.cps[k];
		struct candidate *best = NULL;

		for (size_t i = 0; i < r->ncands; i++) {
			struct candidate *c = &r->cands[i];

			if (c->cp != NO_CP ||
			    !vt_checkpoint_head_matches(cp, c->head, c->head_len))
				continue;
			if (!best || (c->in->dev == cp->dev &&
				      c->in->ino == cp->ino))
				best = c;
		}
		if (best) {
			best->cp = k;
			r->cp_seen[k] = 1;
		}
	}
	drop_duplicates(r);
}

static uint64_t marker_of(struct vt_source *src, const struct vt_input *in,
			  uint64_t end, uint64_t size)
{
	unsigned char tail[VT_MARKER_LEN];
	size_t n = vt_marker_len(end);

	if (n == 0)
		return 0;
	if (end == size && vt_source_tail(src, tail, n) == n)
		return vt_content_hash(tail, n);
	/* The end is before what was read: look it up again. */
	struct vt_source *again;
	uint64_t h = 0;
	if (vt_source_open_regular(in->path, &again) == VT_OK) {
		if (vt_source_skip(again, end, tail, n) == VT_OK)
			h = vt_content_hash(tail, n);
		vt_source_free(again);
	}
	return h;
}

/* Appends a checkpoint; pointers into the array do not survive this. */
static size_t new_checkpoint(struct run *r)
{
	r->st.cps = vt_xrealloc(r->st.cps,
				(r->st.ncps + 1) * sizeof(*r->st.cps));
	r->cp_seen = vt_xrealloc(r->cp_seen, r->st.ncps + 1);
	r->cp_seen[r->st.ncps] = 1;
	memset(&r->st.cps[r->st.ncps], 0, sizeof(r->st.cps[0]));
	return r->st.ncps++;
}

/* Reads what is new in one file; returns -1 when the file could not be read. */
static int read_file_new(struct run *r, struct vt_ingest *g, size_t ci)
{
	struct candidate *c = &r->cands[ci];
	struct vt_checkpoint *cp = c->cp == NO_CP ? NULL : &r->st.cps[c->cp];
	struct vt_source *src = NULL;
	struct vt_ingest_pos pos;
	unsigned char tail[VT_MARKER_LEN];
	size_t fp_len = c->head_len;

	if (c->duplicate)
		return 0; /* another form of a file read this run */

	/*
	 * Nothing new: a plain file no longer than where we stopped, or a
	 * compressed file (they never change) that was read to its end. The
	 * latter only if the checkpoint was taken on this very .gz (same
	 * device and inode): one taken on the plain file it was compressed
	 * from saw that file's size then, and lines may have been appended
	 * before it was rotated and compressed.
	 */
	if (cp && cp->fp_len == fp_len &&
	    ((!c->gzip && c->size == cp->offset) ||
	     (c->gzip && cp->offset == cp->size_seen && cp->size_seen &&
	      cp->dev == (uint64_t)c->in->dev &&
	      cp->ino == (uint64_t)c->in->ino))) {
		cp->last_seen = r->now;
		cp->dev = (uint64_t)c->in->dev;
		cp->ino = (uint64_t)c->in->ino;
		return 0;
	}
	if (vt_source_open_regular(c->in->path, &src)) {
		if (!r->o.rd.quiet && errno == EINVAL)
			vt_cli_error("cannot read '%s': not a regular file ('run' cannot resume a pipe or a device; 'report' reads one)",
				     c->in->path);
		else if (!r->o.rd.quiet)
			vt_cli_error("cannot read '%s': %s", c->in->path,
				     strerror(errno));
		vt_agg_quality(r->st.agg)->files_failed++;
		return -1;
	}
	memset(&pos, 0, sizeof(pos));
	/* Wall-clock time on purpose: --now moves events, not the disk. */
	pos.count_partial = c->gzip ||
			    (c->in->rotated &&
			     (int64_t)time(NULL) - c->mtime >= ROTATED_QUIET_S);
	if (cp && cp->offset) {
		size_t n = vt_marker_len(cp->offset);
		enum vt_err e = vt_source_skip(src, cp->offset, tail, n);

		if (e == VT_OK && vt_checkpoint_marker_ok(cp, tail, n)) {
			pos.start = cp->offset;
			pos.replay_until = cp->counted_until;
		} else {
			/* Shrunk below, or rewritten before, the checkpoint:
			 * a different file now; read it from its start. */
			vt_agg_quality(r->st.agg)->files_reset++;
			vt_source_free(src);
			src = NULL;
			if (vt_source_open_regular(c->in->path, &src))
				return -1;
		}
	}
	/* A file that could not be read to its end (named on stderr). */
	int damaged = vt_ingest_source(g, c->in, src, &pos) != VT_OK;
	if (!cp && pos.end == 0) {
		/* nothing consumed (empty, or one torn line): nothing to resume */
		vt_source_free(src);
		return damaged ? -1 : 0;
	}
	if (!cp) {
		c->cp = new_checkpoint(r);
		cp = &r->st.cps[c->cp];
	}
	/*
	 * The fingerprint must describe the bytes the offset counts in: when
	 * this read began at 0, take it from what was read now (the file may
	 * have been truncated or replaced since its head was first looked
	 * at); when it resumed, the marker just proved it is the same file.
	 */
	/*
	 * It also covers only consumed bytes: a torn first line is not yet
	 * content ("{\"time\":\"2026-1" would match any log).
	 */
	if (pos.start == 0) {
		const unsigned char *h;

		fp_len = vt_source_head(src, &h);
		if (fp_len > pos.end)
			fp_len = (size_t)pos.end;
		cp->fp = vt_content_hash(h, fp_len);
	} else {
		if (fp_len > pos.end)
			fp_len = (size_t)pos.end;
		cp->fp = vt_content_hash(c->head, fp_len);
	}
	cp->fp_len = (uint32_t)fp_len;
	cp->offset = pos.end;
	cp->counted_until = pos.counted_until;
	/* A plain file's unread bytes count from its size (a read may stop early). */
	cp->size_seen = !c->gzip && c->size > pos.size ? c->size : pos.size;
	cp->marker = marker_of(src, c->in, pos.end, pos.size);
	cp->dev = (uint64_t)c->in->dev;
	cp->ino = (uint64_t)c->in->ino;
	cp->path_hash = vt_hash64(c->in->path, strlen(c->in->path));
	cp->instance = c->in->instance;
	cp->stream = c->in->stream;
	cp->last_seen = r->now;
	vt_source_free(src);
	r->changed = 1;
	return damaged ? -1 : 0;
}

/* Checkpoints whose file is gone: unread bytes are reported as lost. */
static void forget_gone(struct run *r)
{
	size_t w = 0;

	for (size_t k = 0; k < r->st.ncps; k++) {
		struct vt_checkpoint *cp = &r->st.cps[k];

		if (r->cp_seen[k] && w < MAX_CHECKPOINTS) {
			r->st.cps[w++] = *cp;
			continue;
		}
		if (cp->size_seen > cp->offset) {
			struct vt_quality *q = vt_agg_quality(r->st.agg);

			q->files_lost++;
			q->bytes_lost += cp->size_seen - cp->offset;
			r->st.files_lost++;
			r->st.bytes_lost += cp->size_seen - cp->offset;
			if (!r->o.rd.quiet)
				vt_cli_error("a tracked file was rotated away with %llu bytes unread (counted as lost)",
					     (unsigned long long)(cp->size_seen - cp->offset));
		}
		r->changed = 1;
	}
	r->st.ncps = w;
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

	vt_agg_summarize(r->st.agg, i, s);
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
	err = vt_state_encode(&r->st, &b);
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

static void discover(struct run *r, int argc, char **argv)
{
	vt_inputs_init(&r->in);
	r->in.max_files = r->o.rd.max_files;
	for (int i = optind; i < argc; i++)
		vt_inputs_add(&r->in, argv[i]);
	vt_inputs_add_siblings(&r->in);
	vt_inputs_sort(&r->in);
	for (size_t i = 0; i < r->in.nproblems; i++) {
		const struct vt_input_problem *p = &r->in.problems[i];

		r->input_problems++;
		if (!r->o.rd.quiet)
			vt_cli_error("cannot read '%s': %s", p->path,
				     p->what ? p->what : strerror(p->err));
	}
	r->cands = vt_xcalloc(r->in.count + 1, sizeof(*r->cands));
	r->ncands = r->in.count;
	for (size_t i = 0; i < r->ncands; i++) {
		r->cands[i].in = &r->in.files[i];
		r->cands[i].cp = NO_CP;
		read_head(&r->cands[i]);
	}
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

	vt_ingest_init(&g, &icfg, r->t.rules, r->st.agg, &diag);
	/* What is new is not known before reading: no total, no ETA. */
	ds.progress = vt_progress_start(NULL, r->ncands, r->o.rd.quiet);
	g.progress = ds.progress;
	for (size_t i = 0; i < r->ncands && rc == 0; i++) {
		if (read_file_new(r, &g, i))
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
	return rc;
}

/*
 * Consent is not retroactive: upload_enabled_at is when upload was last
 * turned on (from local, from off, or for the first time); a period that
 * began before it is never sent.
 */
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
		struct vt_buf gz;
		char id[80];
		struct vt_upload_outcome out;

		if (e[i].start < r->st.upload_enabled_at)
			continue; /* began before consent: never sent */
		vt_buf_init(&gz, (size_t)1 << 30);
		if (vt_spool_read(r->dir, e[i].name, &gz, id, sizeof(id))) {
			vt_cli_error("cannot read the report '%s/%s': %s",
				     r->reports, e[i].name, strerror(errno));
			vt_buf_release(&gz);
			continue;
		}
		if (!curl && !(curl = vt_curl_open(why, sizeof(why)))) {
			vt_cli_error("cannot upload '%s': %s", e[i].name, why);
			vt_buf_release(&gz);
			break;
		}
		r->tel.upload.seed = vt_hash64(id, strlen(id)) ^ (uint64_t)r->now;
		enum vt_upload_result res = vt_upload(curl, &r->tel.upload, id,
						      gz.ptr, gz.len, &out);
		vt_buf_release(&gz);
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

/* Mode off: delete the secret, touch nothing else, say so once. */
static int telemetry_off(struct run *r)
{
	const struct vt_mode_decision *d = &r->tel.decision;
	const struct vt_signal *s = &d->signals[d->decided_by];
	struct stat st;

	if (lstat(r->dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    vt_secret_delete(r->dir) < 0)
		vt_cli_error("cannot delete '%s/secret': %s", r->dir,
			     strerror(errno));
	vt_cli_error("telemetry is off (%s=%s): nothing read or written", s->source,
		     s->value);
	return VT_EXIT_OK;
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
	if (load_state(&r))
		goto out;
	int had_secret = vt_secret_exists(r.dir), created;
	if (vt_secret_load(r.dir, r.secret, &created)) {
		vt_cli_error("cannot read or create '%s/secret': %s", r.dir,
			     strerror(errno));
		goto out;
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
	if (r.st.finalized_until)
		vt_agg_set_floor(r.st.agg, r.st.finalized_until);
	discover(&r, argc, argv);
	match(&r);
	if (ingest_all(&r))
		goto out;
	int config_changed;
	r.input_problems += vt_load_configs(
		r.st.agg, r.o.rd.configs, r.o.rd.nconfigs, r.o.rd.quiet, 0,
		&config_changed);
	if (config_changed)
		r.changed = 1;
	forget_gone(&r);
	if (close_periods(&r))
		goto out;
	if ((r.changed || !r.have_state) && commit(&r))
		goto out;
	if (r.tel.decision.mode == VT_MODE_ON)
		upload_pending(&r);
	rc = r.refused		? VT_EXIT_REFUSED
	     : r.input_problems ? VT_EXIT_SKIPPED
				: VT_EXIT_OK;
out:
	release(&r);
	return rc;
}
