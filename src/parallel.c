/* SPDX-License-Identifier: Apache-2.0 */
/* Jobs, a pool of threads, and an ordered merge. */
#include "parallel.h"
#include "../parser/decompress.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A large plain file is cut in up to this many chunks per thread. */
#define CHUNKS_PER_THREAD 4

/* Diagnostics a job keeps for printing in order; the rest are counted. */
#define JOB_DIAGS (DIAG_PER_FILE + 1)

struct diag_rec {
	const char *path;
	uint64_t line, offset;
	char what[160];
};

struct job {
	size_t first, nfiles;  /* files[first .. first + nfiles) */
	struct job *group;     /* a chunk: the file's first chunk */
	_Atomic size_t chunks_left; /* the first chunk: chunks not done */
	size_t group_end;      /* files[.. group_end) share the stream */
	int later_file;        /* a rotation group's file after its first */
	int chunk;             /* -1: whole files; else the chunk's index */
	int last_chunk;
	uint64_t start, limit; /* a chunk's bytes */
	struct vt_agg *agg;
	struct diag_rec diags[JOB_DIAGS];
	size_t ndiags;
	struct vt_diag_state *direct; /* run in order: print at once */
	uint64_t line_base;           /* added to line numbers printed so */
	uint64_t dropped;      /* diagnostics beyond JOB_DIAGS */
	uint64_t lines;        /* physical lines of a chunk */
	uint64_t end;          /* a chunk: parts were open after here */
	uint64_t replay_from;  /* a chunk read again: from here */
	int failed;            /* a chunk that could not be opened */
	int done;
};

struct pool {
	struct job *jobs;
	size_t njobs;
	size_t next;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct vt_inputs *in;
	const struct vt_ingest_config *cfg;
	const struct vt_rules *rules;
	const struct vt_agg_config *acfg;
	int64_t now;
	struct vt_progress *progress;
	size_t force_chunks; /* test hook: cut a file in so many chunks */
};

size_t vt_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (size_t)n : 1;
}

static void keep_diag(void *ctx, const char *path, uint64_t line,
		      uint64_t offset, const char *what)
{
	struct job *j = ctx;

	if (j->direct) {
		vt_print_diag(j->direct, path, line ? line + j->line_base : 0,
			      offset, what);
		return;
	}
	if (j->ndiags == JOB_DIAGS) {
		j->dropped++;
		return;
	}
	struct diag_rec *d = &j->diags[j->ndiags++];
	d->path = path;
	d->line = line;
	d->offset = offset;
	snprintf(d->what, sizeof(d->what), "%s", what);
}

/*
 * Reads a job's input into agg with rules; diagnostics stay in j. A
 * chunk read again (whole_rest: with the rest of its file; or
 * j->replay_from < j->start: from where parts open at its edge began,
 * those lines only rebuilding the parts) is not counted in progress.
 */
static void run_job(const struct pool *p, struct job *j, struct vt_agg *agg,
		    struct vt_rules *rules, int whole_rest)
{
	struct vt_diag_sink diag = { keep_diag, j };
	struct vt_ingest_config cfg = *p->cfg;
	struct vt_ingest g;
	int again = whole_rest || j->replay_from < j->start;

	cfg.strict = 0;
	vt_ingest_init(&g, &cfg, rules, agg, &diag);
	g.progress = again ? NULL : p->progress;
	g.number_after_replay = 1;
	if (j->chunk < 0) {
		for (size_t i = 0; i < j->nfiles; i++)
			vt_ingest_file(&g, &p->in->files[j->first + i]);
	} else {
		const struct vt_input *in = &p->in->files[j->first];
		uint64_t from = whole_rest ? j->start : j->replay_from;
		struct vt_source *src = NULL;
		struct vt_ingest_pos pos;
		unsigned char tail[1];

		memset(&pos, 0, sizeof(pos));
		pos.start = from;
		pos.replay_until = j->start;
		pos.limit = whole_rest || j->last_chunk ? 0 : j->limit;
		pos.continued = j->start > 0; /* not the file's first chunk */
		pos.count_partial = whole_rest || j->last_chunk;
		if (vt_source_open(in->path, &src) != VT_OK ||
		    (from && vt_source_skip(src, from, tail, 0) != VT_OK))
			j->failed = 1;
		else
			vt_ingest_source(&g, in, src, &pos);
		vt_source_free(src);
		j->lines = pos.lines - g.replayed_lines;
		j->end = pos.end;
	}
	vt_ingest_release(&g);
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	struct vt_rules *rules = vt_rules_clone(p->rules);

	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t i = p->next < p->njobs ? p->next++ : p->njobs;
		pthread_mutex_unlock(&p->mu);
		if (i == p->njobs)
			break;
		struct job *j = &p->jobs[i];

		j->agg = vt_agg_new(p->acfg);
		vt_agg_set_now(j->agg, p->now);
		vt_agg_set_partial(j->agg);
		run_job(p, j, j->agg, rules, 0);
		if (j->chunk >= 0 &&
		    atomic_fetch_sub(&j->group->chunks_left, 1) == 1)
			vt_progress_file_done(p->progress);
		pthread_mutex_lock(&p->mu);
		j->done = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	vt_rules_free(rules);
	return NULL;
}

/* A line of a log the planner knows how to cut: bare JSON, CRI, docker. */
static int known_line(const char *p, size_t n)
{
	return n > 0 && (p[0] == '{' || (p[0] >= '0' && p[0] <= '9'));
}

static const char *find(const char *p, size_t n, const char *what)
{
	size_t k = strlen(what);

	for (size_t i = 0; i + k <= n; i++)
		if (p[i] == what[0] && memcmp(p + i, what, k) == 0)
			return p + i;
	return NULL;
}

/*
 * The parts slot a wrapped line writes to (bit 0, 1: CRI stdout, stderr;
 * 2, 3: docker stdout, stderr), or 0 for a bare line; *closes: the line
 * ends its slot's parts (CRI tag F, a docker log ending in a newline).
 */
static unsigned line_slot(const char *p, size_t n, int *closes)
{
	*closes = 1;
	if (n >= 7 && memcmp(p, "{\"log\":", 7) == 0) {
		const char *st = find(p, n, ",\"stream\":\"std");

		*closes = find(p, n, "\\n\",\"stream\":") != NULL;
		return st && st + 15 < p + n && st[14] == 'e' ? 8u : 4u;
	}
	if (n == 0 || p[0] == '{')
		return 0;
	size_t i = 0;
	while (i < n && i < 64 && p[i] != ' ')
		i++;
	if (i + 8 >= n || p[i + 7] != ' ')
		return 0;
	*closes = p[i + 8] == 'F';
	return memcmp(p + i + 1, "stderr", 6) == 0 ? 2u : 1u;
}

/*
 * Calls back for each whole line of buf (after its first newline) with
 * its slot (see line_slot); stops at the first that returns 1 and
 * returns the offset just after that line's newline, or -1.
 */
static ssize_t each_line(const char *buf, ssize_t got,
			 int (*fn)(void *ctx, unsigned slot, int closes,
				   const char *next, size_t rest),
			 void *ctx)
{
	ssize_t line = -1; /* start of the current line; -1: before the first */
	int closes;

	for (ssize_t i = 0; i < got; i++) {
		if (buf[i] != '\n')
			continue;
		if (line >= 0) {
			unsigned slot = line_slot(buf + line,
						  (size_t)(i - line), &closes);

			if (fn(ctx, slot, closes, buf + i + 1,
			       (size_t)(got - i - 1)))
				return i + 1;
		}
		line = i + 1;
	}
	return -1;
}

struct slots {
	unsigned present, seen, open;
};

static int note_present(void *ctx, unsigned slot, int closes,
			const char *next, size_t rest)
{
	(void)closes, (void)next, (void)rest;
	((struct slots *)ctx)->present |= slot;
	return 0;
}

/* After every slot of the window was seen, none open, a known line next. */
static int closed_here(void *ctx, unsigned slot, int closes,
		       const char *next, size_t rest)
{
	struct slots *s = ctx;

	s->seen |= slot;
	s->open = closes ? s->open & ~slot : s->open | slot;
	return s->seen == s->present && !s->open && known_line(next, rest);
}

/*
 * Where in buf (got bytes read at a cut's target) to cut: just after a
 * newline before a known line, once every parts slot the window holds
 * was seen and none is open. A guess (parts opened before buf are not
 * seen): when parts are open at an edge after all, the next chunk is
 * read again from where they began, never a wrong count. Any newline
 * when forced. Returns the offset in buf, or -1.
 */
static ssize_t cut_in(const char *buf, ssize_t got, int forced)
{
	struct slots s = { 0, 0, 0 };

	if (forced) {
		const char *nl = memchr(buf, '\n', (size_t)got);
		ssize_t at = nl ? nl - buf + 1 : -1;

		return at > 0 && at < got ? at : -1;
	}
	each_line(buf, got, note_present, &s);
	return each_line(buf, got, closed_here, &s);
}

/*
 * Whether the head of a file (got bytes at offset 0) is a log the planner
 * can cut: not compressed, and its first line, or else (a torn first
 * line, a byte order mark, a blank line, NULs left by copytruncate) its
 * first complete line, is a known line. Any uncompressed file when
 * forced.
 */
static int known_head(const char *buf, ssize_t got, int forced)
{
	const unsigned char *u = (const unsigned char *)buf;
	const char *nl = memchr(buf, '\n', (size_t)got);

	if (got < 2 || (u[0] == 0x1f && u[1] == 0x8b) ||
	    vt_codec_detect(u, (size_t)got) != VT_CODEC_NONE)
		return 0;
	if (forced || known_line(buf, 1))
		return 1;
	while (nl && nl + 1 < buf + got && nl[1] == '\n')
		nl++; /* blank lines */
	return nl && known_line(nl + 1, (size_t)(buf + got - nl - 1));
}

/*
 * Where a large plain file can be cut, near each nth of the file, in up
 * to want chunks (a multiple of nthreads when more than that).
 * Returns the number of chunks (1: do not split). forced (a test hook):
 * cut even a small file, at any newline, in want chunks if it can.
 */
static size_t plan_chunks(const char *path, size_t want, size_t nthreads,
			  int forced, uint64_t *cuts)
{
	char buf[64 * 1024];
	struct stat st;
	size_t n = 1;
	int fd;
	uint64_t min = forced ? 1 : VT_MIN_CHUNK;

	/* Look before opening: opening a FIFO would take its writer's data. */
	if (want < 2 || strcmp(path, "-") == 0 || stat(path, &st) != 0 ||
	    !S_ISREG(st.st_mode))
		return 1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < 2 * min ||
	    !known_head(buf, pread(fd, buf, sizeof(buf), 0), forced)) {
		close(fd);
		return 1;
	}
	uint64_t size = (uint64_t)st.st_size;
	if (want > size / min)
		want = size / min;
	/* as many chunks on each thread: none waits for the last one */
	if (!forced && want > nthreads)
		want -= want % nthreads;
	cuts[0] = 0;
	for (size_t k = 1; k < want; k++) {
		uint64_t at = size / want * k;
		ssize_t got = pread(fd, buf, sizeof(buf), (off_t)at);
		ssize_t i = got > 0 ? cut_in(buf, got, forced) : -1;

		if (i >= 0 && at + (uint64_t)i > cuts[n - 1])
			cuts[n++] = at + (uint64_t)i;
	}
	close(fd);
	return n;
}

/*
 * One job per file of a rotation group (files after the first continue
 * its stream, as a later chunk does; CRI and docker parts never cross
 * files), and a large plain file alone in its group in chunks.
 */
static void plan(struct pool *p, size_t nthreads)
{
	const struct vt_inputs *in = p->in;
	/*
	 * A few chunks per thread: a thread slowed by other work on its
	 * core then takes fewer of them, instead of the others waiting.
	 */
	size_t nchunks = p->force_chunks ? p->force_chunks
					 : nthreads * CHUNKS_PER_THREAD;
	uint64_t *cuts = vt_xcalloc(nchunks + 1, sizeof(*cuts));

	p->jobs = vt_xcalloc(in->count * (nchunks + 1) + 1, sizeof(*p->jobs));
	for (size_t i = 0, j; i < in->count; i = j) {
		for (j = i + 1; j < in->count &&
				in->files[j].stream == in->files[i].stream;
		     j++)
			;
		for (size_t f = i; f < j && j - i > 1; f++) {
			struct job *jb = &p->jobs[p->njobs++];

			jb->first = f;
			jb->nfiles = 1;
			jb->group_end = j;
			jb->later_file = f > i;
			jb->chunk = -1;
		}
		size_t n = j - i == 1 ? plan_chunks(in->files[i].path,
						      nthreads > 1 ? nchunks : 1,
						      nthreads,
						      p->force_chunks > 0, cuts)
				      : 0;
		for (size_t k = 0; k < n; k++) {
			struct job *jb = &p->jobs[p->njobs++];

			jb->first = i;
			jb->nfiles = 1;
			jb->group_end = j;
			jb->chunk = n > 1 ? (int)k : -1;
			jb->last_chunk = k + 1 == n;
			jb->start = n > 1 ? cuts[k] : 0;
			jb->limit = k + 1 < n ? cuts[k + 1] : 0;
			jb->replay_from = jb->start;
			jb->group = jb - k;
			atomic_init(&jb->chunks_left, k == 0 ? n : 0);
		}
	}
	free(cuts);
}

static void print_diags(const struct job *j, uint64_t line_base,
			struct vt_diag_state *ds)
{
	for (size_t i = 0; i < j->ndiags; i++) {
		const struct diag_rec *d = &j->diags[i];

		vt_print_diag(ds, d->path, d->line ? d->line + line_base : 0,
			      d->offset, d->what);
	}
	if (!ds->quiet)
		ds->suppressed += j->dropped;
}

/*
 * Reads job j again, in this thread, into a partial aggregate of its own
 * (replacing j's), printing its diagnostics at once: a chunk whose
 * previous chunk left CRI or docker parts open at the edge (from where
 * they began: those lines only rebuild the parts), or a job that could
 * not be read.
 */
static void read_again(struct pool *p, struct job *j, struct vt_rules *rules,
		       uint64_t from, uint64_t line_base,
		       struct vt_diag_state *ds)
{
	vt_agg_free(j->agg);
	j->agg = vt_agg_new(p->acfg);
	vt_agg_set_now(j->agg, p->now);
	vt_agg_set_partial(j->agg);
	j->failed = 0;
	j->replay_from = from;
	j->ndiags = 0;
	j->dropped = 0;
	j->direct = ds;
	j->line_base = line_base;
	run_job(p, j, j->agg, rules, 0);
}

/* The rest of j's file or group, in order, into agg itself. */
static void read_rest(struct pool *p, struct job *j, struct vt_agg *agg,
		      struct vt_rules *rules, uint64_t line_base,
		      struct vt_diag_state *ds)
{
	struct job again;

	memset(&again, 0, sizeof(again));
	again.first = j->first;
	again.nfiles = j->chunk >= 0 ? 1 : j->group_end - j->first;
	again.chunk = j->chunk;
	again.last_chunk = 1;
	again.start = again.replay_from = j->start;
	again.direct = ds;
	again.line_base = line_base;
	run_job(p, &again, agg, rules, 1);
}

static void start_pool(struct pool *p, size_t nthreads, pthread_t *tids,
		       size_t *nt)
{
	for (*nt = 0; *nt < nthreads; (*nt)++)
		if (pthread_create(&tids[*nt], NULL, worker, p) != 0)
			break;
	if (*nt == 0) /* no thread: the jobs run here, one by one */
		worker(p);
}

static void wait_job(struct pool *p, const struct job *j)
{
	pthread_mutex_lock(&p->mu);
	while (!j->done)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

/* Where the in-order merge is. */
struct merging {
	struct vt_agg *agg;
	struct vt_rules *rules;        /* the merging thread's */
	struct vt_diag_state *ds;
	struct vt_parallel_stats *stats; /* may be NULL */
	uint64_t line_base;  /* lines of the file before this chunk */
	uint64_t open_from;  /* the previous chunk left parts open here */
	int serial_rest;     /* the rest of the file or group was read */
};

/* Job j, done, into the aggregate: merged, or read again first. */
static void take_job(struct pool *p, struct job *j, struct merging *m)
{
	struct vt_parallel_stats none = { 0, 0, 0, 0, 0, 0 };
	struct vt_parallel_stats *st = m->stats ? m->stats : &none;

	st->jobs++;
	st->chunks += j->chunk >= 0;
	if (j->chunk <= 0 && !j->later_file)
		m->serial_rest = 0; /* a new group */
	if (j->chunk <= 0) {
		m->line_base = 0;
		m->open_from = j->start;
	}
	if (m->serial_rest) {
		/* read already, in order, by an earlier job's fallback */
	} else {
		if (j->failed || m->open_from < j->start) {
			read_again(p, j, m->rules, m->open_from, m->line_base,
				   m->ds);
			st->read_again++;
		}
		int capped = !j->failed && vt_agg_merge_exact(j->agg) &&
			     !vt_agg_merge_fits(m->agg, j->agg);

		if (j->failed || !vt_agg_merge_exact(j->agg) || capped) {
			/* Not exact: this and the rest, in order. */
			read_rest(p, j, m->agg, m->rules, m->line_base, m->ds);
			m->serial_rest = j->chunk >= 0 ||
					 j->first + j->nfiles < j->group_end;
			st->serial_rest++;
			st->capped += (uint64_t)capped;
		} else {
			vt_agg_merge(m->agg, j->agg);
			print_diags(j, m->line_base, m->ds);
		}
	}
	m->line_base += j->lines;
	m->open_from = j->chunk >= 0 && !j->last_chunk ? j->end : j->limit;
	vt_agg_free(j->agg);
	j->agg = NULL;
}

void vt_ingest_parallel(const struct vt_inputs *in, size_t nthreads,
			const struct vt_ingest_config *cfg,
			const struct vt_rules *rules, struct vt_agg *agg,
			const struct vt_agg_config *acfg,
			struct vt_diag_state *ds,
			struct vt_parallel_stats *stats)
{
	struct pool p;
	pthread_t *tids;
	size_t nt = 0;
	struct merging m = { agg, vt_rules_clone(rules), ds, stats, 0, 0, 0 };

	memset(&p, 0, sizeof(p));
	p.in = in;
	p.cfg = cfg;
	p.rules = rules;
	p.acfg = acfg;
	p.now = vt_agg_now(agg);
	p.progress = ds->progress;
	p.force_chunks = stats ? stats->force_chunks : 0;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	plan(&p, nthreads);
	if (nthreads > p.njobs)
		nthreads = p.njobs;
	tids = vt_xcalloc(nthreads + 1, sizeof(*tids));
	start_pool(&p, nthreads, tids, &nt);
	for (size_t i = 0; i < p.njobs; i++) {
		wait_job(&p, &p.jobs[i]);
		take_job(&p, &p.jobs[i], &m);
	}
	for (size_t t = 0; t < nt; t++)
		pthread_join(tids[t], NULL);
	free(tids);
	free(p.jobs);
	vt_rules_free(m.rules);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
}
