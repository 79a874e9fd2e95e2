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

/* Parts slots: bit w * 2 + s (wrapper, stream), see struct vt_unwrap. */
#define SLOTS (2 * VT_WRAP_COUNT)
#define ALL_SLOTS ((1u << SLOTS) - 1)

/*
 * A chunk's first final part of a slot (see vt_ingest_lead_fn): the
 * merge joins it to the parts the chunks before left open, counts the
 * line, then merges after, the chunk's aggregate from there on.
 */
struct lead {
	unsigned slot;
	struct vt_buf text; /* the parts in the chunk; and the CR or LF (eol) */
	int eol, too_long;
	struct vt_line line; /* number and offset, for a diagnostic */
	size_t diag_at;      /* the chunk's diagnostics before it */
	struct vt_agg *after;
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
	uint64_t replay_from;  /* read from here (before start: replay) */
	int failed;            /* a chunk that could not be opened */
	int io_err;            /* reading stopped at a read error */
	struct lead leads[SLOTS]; /* in the order of their lines */
	size_t nleads;
	struct vt_buf open[SLOTS]; /* parts open at the chunk's end */
	int open_over[SLOTS];      /* ... past the line limit */
	unsigned open_mask;        /* slots with parts open at the end */
	unsigned cont_mask;        /* slots without a final part */
	const struct pool *pool;
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

static struct vt_agg *new_partial(const struct pool *p)
{
	struct vt_agg *a = vt_agg_new(p->acfg);

	vt_agg_set_now(a, p->now);
	vt_agg_set_partial(a);
	return a;
}

/* A chunk's lead (see struct lead): kept; the rest goes to a new part. */
static void on_lead(void *ctx, struct vt_ingest *g, const struct vt_line *l,
		    unsigned slot, struct vt_sv text, int eol, int too_long)
{
	struct job *j = ctx;
	struct lead *ld = &j->leads[j->nleads++]; /* once per slot */

	ld->slot = slot;
	ld->too_long = too_long;
	ld->eol = eol && text.len && !too_long; /* the CR or LF kept too */
	ld->line = *l;
	ld->diag_at = j->ndiags;
	vt_buf_init(&ld->text, text.len + 1);
	if (text.len && !too_long)
		vt_buf_append(&ld->text, text.ptr, text.len + (size_t)ld->eol);
	ld->after = new_partial(j->pool);
	g->agg = ld->after;
}

/* The parts g left open at a chunk's end, taken into j (see struct job). */
static void take_open(struct job *j, struct vt_ingest *g)
{
	j->cont_mask = g->leading;
	j->open_mask = g->unwrap.held;
	for (unsigned k = 0; k < SLOTS; k++) {
		struct vt_buf *b = &g->unwrap.join[k / 2][k % 2];

		j->open[k] = *b;
		j->open_over[k] = g->unwrap.overflow[k / 2][k % 2];
		vt_buf_init(b, g->cfg.max_line);
	}
}

/*
 * Reads a job's input into agg with rules; diagnostics stay in j. A
 * chunk is read with its leads and open parts carried (see struct job);
 * read again (whole_rest: with the rest of its file, in order, from
 * j->replay_from, where parts open at its edge began: those lines only
 * rebuild the parts), it is not counted in progress.
 */
static void run_job(const struct pool *p, struct job *j, struct vt_agg *agg,
		    struct vt_rules *rules, int whole_rest)
{
	struct vt_diag_sink diag = { keep_diag, j };
	struct vt_ingest_config cfg = *p->cfg;
	struct vt_ingest g;

	cfg.strict = 0;
	vt_ingest_init(&g, &cfg, rules, agg, &diag);
	g.progress = whole_rest ? NULL : p->progress;
	g.number_after_replay = 1;
	if (j->chunk < 0) {
		for (size_t i = 0; i < j->nfiles; i++)
			vt_ingest_file(&g, &p->in->files[j->first + i]);
	} else {
		const struct vt_input *in = &p->in->files[j->first];
		uint64_t from = j->replay_from;
		struct vt_source *src = NULL;
		struct vt_ingest_pos pos;
		unsigned char tail[1];

		memset(&pos, 0, sizeof(pos));
		pos.start = from;
		pos.replay_until = j->start;
		pos.limit = whole_rest || j->last_chunk ? 0 : j->limit;
		pos.continued = j->start > 0; /* not the file's first chunk */
		pos.count_partial = whole_rest || j->last_chunk;
		pos.carry = !whole_rest;
		g.leading = whole_rest || !j->start ? 0 : ALL_SLOTS;
		g.lead = on_lead;
		g.lead_ctx = j;
		if (vt_source_open(in->path, &src) != VT_OK ||
		    (from && vt_source_skip(src, from, tail, 0) != VT_OK))
			j->failed = 1;
		else
			j->io_err = vt_ingest_source(&g, in, src, &pos) ==
				    VT_ERR_IO;
		vt_source_free(src);
		j->lines = pos.lines - g.replayed_lines;
		if (!whole_rest)
			take_open(j, &g);
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

		j->pool = p;
		j->agg = new_partial(p);
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
 * seen): parts open at an edge after all are carried to the merge (see
 * struct lead), which costs a copy of them. Any newline
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

/* j's diagnostics [from, to); the dropped ones after them when last. */
static void print_diags(const struct job *j, size_t from, size_t to,
			int last, uint64_t line_base, struct vt_diag_state *ds)
{
	for (size_t i = from; i < to; i++) {
		const struct diag_rec *d = &j->diags[i];

		vt_print_diag(ds, d->path, d->line ? d->line + line_base : 0,
			      d->offset, d->what);
	}
	if (last && !ds->quiet)
		ds->suppressed += j->dropped;
}

/*
 * The rest of j's file or group, in order, into agg itself; a chunk from
 * from (where parts open at its edge began: the lines before j->start
 * only rebuild them).
 */
static void read_rest(struct pool *p, struct job *j, struct vt_agg *agg,
		      struct vt_rules *rules, uint64_t from,
		      uint64_t line_base, struct vt_diag_state *ds)
{
	struct job again;

	memset(&again, 0, sizeof(again));
	again.first = j->first;
	again.nfiles = j->chunk >= 0 ? 1 : j->group_end - j->first;
	again.chunk = j->chunk;
	again.last_chunk = 1;
	again.start = j->start;
	again.replay_from = from;
	again.direct = ds;
	again.line_base = line_base;
	run_job(p, &again, agg, rules, 1);
}

static void free_job(struct job *j)
{
	vt_agg_free(j->agg);
	j->agg = NULL;
	for (size_t k = 0; k < j->nleads; k++) {
		vt_buf_release(&j->leads[k].text);
		vt_agg_free(j->leads[k].after);
	}
	j->nleads = 0;
	for (unsigned k = 0; k < SLOTS; k++)
		vt_buf_release(&j->open[k]);
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
	const struct vt_rules *shared; /* cloned into rules when needed */
	struct vt_rules *rules;        /* the merging thread's, or NULL */
	struct vt_diag_state *ds;
	struct vt_parallel_stats *stats; /* may be NULL */
	uint64_t line_base;  /* lines of the file before this chunk */
	int serial_rest;     /* the rest of the file or group was read */
	struct vt_ingest g;  /* counts joined lines into agg */
	struct job diag;     /* ... printing their diagnostics at once */
	size_t max_line;
	/* Parts the chunks so far left open, per slot (see struct job). */
	struct vt_buf carry[SLOTS];
	int carry_over[SLOTS];
	uint64_t carry_from[SLOTS]; /* the chunk they began in */
	unsigned carry_mask;
	uint64_t carried;           /* lines joined from a carry */
};

/* The merging thread's rules, cloned at the first line it counts. */
static struct vt_rules *merge_rules(struct merging *m)
{
	if (!m->rules)
		m->rules = m->g.rules = vt_rules_clone(m->shared);
	return m->rules;
}

static void carry_drop(struct merging *m, unsigned k)
{
	vt_buf_release(&m->carry[k]);
	m->carry_over[k] = 0;
	m->carry_mask &= ~(1u << k);
}

/* Appends n bytes to slot k's carry; past the line limit, too long. */
static void carry_add(struct merging *m, unsigned k, const char *p, size_t n,
		      int over)
{
	struct vt_buf *c = &m->carry[k];

	m->carry_over[k] |= over || c->len + n > m->max_line;
	if (m->carry_over[k])
		vt_buf_release(c);
	else if (n)
		vt_buf_append(c, p, n);
}

/* Counts lead ld of a chunk of in: joined to slot's carry, if any. */
static void take_lead(struct merging *m, const struct vt_input *in,
		      struct lead *ld)
{
	unsigned k = ld->slot;
	size_t n = ld->text.len - (size_t)ld->eol;
	struct vt_sv text = { ld->text.ptr, n };
	int eol = ld->eol;

	if (m->carry_mask >> k & 1) {
		m->carried++;
		carry_add(m, k, ld->text.ptr, n, ld->too_long);
		text = (struct vt_sv){ m->carry[k].ptr, m->carry[k].len };
		eol = 0;
	}
	m->diag.line_base = m->line_base;
	merge_rules(m);
	vt_ingest_joined(&m->g, in, &ld->line, text, (enum vt_wrapper)(k / 2),
			 eol, ld->too_long || m->carry_over[k]);
	carry_drop(m, k);
}

/* j's open parts onto the carry; at the input's end, the carry counted. */
static void carry_on(struct merging *m, const struct vt_input *in,
		     struct job *j)
{
	for (unsigned k = 0; k < SLOTS; k++) {
		unsigned bit = 1u << k;

		if (!(j->open_mask & bit))
			continue;
		if (!(j->cont_mask & bit) || !(m->carry_mask & bit)) {
			/* a new carry: j's parts, taken as they are */
			carry_drop(m, k);
			m->carry_from[k] = j->start;
			m->carry[k] = j->open[k];
			m->carry_over[k] = j->open_over[k];
			vt_buf_init(&j->open[k], m->max_line);
		} else {
			carry_add(m, k, j->open[k].ptr, j->open[k].len,
				  j->open_over[k]);
		}
		m->carry_mask |= bit;
	}
	if (!j->last_chunk || j->io_err || !m->carry_mask)
		return;
	m->diag.line_base = m->line_base;
	merge_rules(m);
	for (unsigned k = 0; k < SLOTS; k++)
		if (m->carry_mask >> k & 1) {
			struct vt_sv text = { m->carry[k].ptr,
					      m->carry[k].len };

			m->carried++;
			vt_ingest_joined(&m->g, in, NULL, text,
					 (enum vt_wrapper)(k / 2), 0,
					 m->carry_over[k]);
			carry_drop(m, k);
		}
}

/*
 * Whether j's parts merge within every cap: each one as if the others
 * and the leads (a line each) were all new.
 */
static int job_fits(const struct merging *m, const struct job *j)
{
	size_t all = vt_agg_growth(j->agg) + j->nleads;

	for (size_t k = 0; k < j->nleads; k++)
		all += vt_agg_growth(j->leads[k].after);
	for (size_t k = 0; k <= j->nleads; k++) {
		const struct vt_agg *a = k ? j->leads[k - 1].after : j->agg;

		if (!vt_agg_merge_fits(m->agg, a, all - vt_agg_growth(a)))
			return 0;
	}
	return 1;
}

/* j's parts and leads, in the order of their lines, into the aggregate. */
static void merge_job(struct merging *m, const struct vt_input *in,
		      struct job *j)
{
	size_t at = 0;

	vt_agg_merge(m->agg, j->agg);
	for (size_t k = 0; k < j->nleads; k++) {
		print_diags(j, at, j->leads[k].diag_at, 0, m->line_base,
			    m->ds);
		at = j->leads[k].diag_at;
		take_lead(m, in, &j->leads[k]);
		vt_agg_merge(m->agg, j->leads[k].after);
	}
	print_diags(j, at, j->ndiags, 1, m->line_base, m->ds);
	if (j->chunk >= 0)
		carry_on(m, in, j);
}

/* Where a serial read of j's rest starts: where carried parts began. */
static uint64_t rest_from(const struct merging *m, const struct job *j)
{
	uint64_t from = j->start;

	for (unsigned k = 0; k < SLOTS; k++)
		if ((m->carry_mask >> k & 1) && m->carry_from[k] < from)
			from = m->carry_from[k];
	return from;
}

/* Job j, done, into the aggregate: merged, or read in order instead. */
static void take_job(struct pool *p, struct job *j, struct merging *m)
{
	struct vt_parallel_stats none = { 0, 0, 0, 0, 0, 0, 0 };
	struct vt_parallel_stats *st = m->stats ? m->stats : &none;

	st->jobs++;
	st->chunks += j->chunk >= 0;
	if (j->chunk <= 0 && !j->later_file)
		m->serial_rest = 0; /* a new group */
	if (j->chunk <= 0) {
		m->line_base = 0;
		for (unsigned k = 0; k < SLOTS; k++)
			carry_drop(m, k);
	}
	if (!m->serial_rest) {
		int exact = !j->failed && vt_agg_merge_exact(j->agg);
		int capped = exact && !job_fits(m, j);

		if (!exact || capped) {
			/* Not exact: this and the rest, in order. */
			read_rest(p, j, m->agg, merge_rules(m), rest_from(m, j),
				  m->line_base, m->ds);
			m->serial_rest = j->chunk >= 0 ||
					 j->first + j->nfiles < j->group_end;
			st->serial_rest++;
			st->capped += (uint64_t)capped;
			st->read_again += (uint64_t)j->failed;
		} else {
			merge_job(m, &p->in->files[j->first], j);
		}
	}
	m->line_base += j->lines;
	free_job(j);
}

static void merging_init(struct merging *m, const struct vt_ingest_config *cfg,
			 const struct vt_rules *rules, struct vt_agg *agg,
			 struct vt_diag_state *ds,
			 struct vt_parallel_stats *stats)
{
	struct vt_diag_sink direct = { keep_diag, &m->diag };
	struct vt_ingest_config mcfg = *cfg;

	memset(m, 0, sizeof(*m));
	m->agg = agg;
	m->shared = rules;
	m->ds = ds;
	m->stats = stats;
	m->diag.direct = ds;
	m->max_line = cfg->max_line;
	mcfg.strict = 0;
	vt_ingest_init(&m->g, &mcfg, NULL, agg, &direct);
	for (unsigned k = 0; k < SLOTS; k++)
		vt_buf_init(&m->carry[k], cfg->max_line);
}

static void merging_release(struct merging *m)
{
	for (unsigned k = 0; k < SLOTS; k++)
		carry_drop(m, k);
	if (m->stats)
		m->stats->carried = m->carried;
	vt_ingest_release(&m->g);
	vt_rules_free(m->rules);
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
	struct merging m;

	merging_init(&m, cfg, rules, agg, ds, stats);
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
	merging_release(&m);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
}
