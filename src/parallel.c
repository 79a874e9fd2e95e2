/* SPDX-License-Identifier: Apache-2.0 */
/* Jobs, a pool of threads, and an ordered merge. */
#include "parallel.h"

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
	int failed;            /* a chunk that could not be opened */
	int wrapped;           /* it met CRI or docker lines: a part may
				  cross the chunk's edge */
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

/* Reads a job's input into agg with rules; diagnostics stay in j. */
static void run_job(const struct pool *p, struct job *j, struct vt_agg *agg,
		    struct vt_rules *rules, uint64_t start, int whole_rest)
{
	struct vt_diag_sink diag = { keep_diag, j };
	struct vt_ingest_config cfg = *p->cfg;
	struct vt_ingest g;

	cfg.strict = 0;
	vt_ingest_init(&g, &cfg, rules, agg, &diag);
	/* A chunk read again (whole_rest) was counted the first time. */
	g.progress = whole_rest ? NULL : p->progress;
	if (j->chunk < 0) {
		for (size_t i = 0; i < j->nfiles; i++)
			vt_ingest_file(&g, &p->in->files[j->first + i]);
	} else {
		const struct vt_input *in = &p->in->files[j->first];
		struct vt_source *src = NULL;
		struct vt_ingest_pos pos;
		unsigned char tail[1];

		memset(&pos, 0, sizeof(pos));
		pos.start = start;
		pos.limit = whole_rest || j->last_chunk ? 0 : j->limit;
		pos.continued = start > 0;
		pos.count_partial = whole_rest || j->last_chunk;
		if (vt_source_open(in->path, &src) != VT_OK ||
		    (start && vt_source_skip(src, start, tail, 0) != VT_OK))
			j->failed = 1;
		else
			vt_ingest_source(&g, in, src, &pos);
		vt_source_free(src);
		j->lines = pos.lines;
	}
	j->wrapped = g.wrapped != 0;
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
		if (j->chunk > 0 || j->later_file)
			vt_agg_set_continuation(j->agg);
		run_job(p, j, j->agg, rules, j->start, 0);
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

/* A line of a bare JSON file (no CRI or docker wrapper) starts so. */
static int bare_json(const char *p, size_t n)
{
	return n > 0 && p[0] == '{' &&
	       !(n >= 7 && memcmp(p, "{\"log\":", 7) == 0);
}

/*
 * Where a large plain file of bare JSON lines can be cut: just after a
 * newline, between two bare JSON lines, near each nth of the file.
 * Returns the number of chunks (1: do not split).
 */
static size_t plan_chunks(const char *path, size_t want, uint64_t *cuts)
{
	char buf[64 * 1024];
	struct stat st;
	size_t n = 1;
	int fd;

	/* Look before opening: opening a FIFO would take its writer's data. */
	if (want < 2 || strcmp(path, "-") == 0 || stat(path, &st) != 0 ||
	    !S_ISREG(st.st_mode))
		return 1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < 2 * (uint64_t)VT_MIN_CHUNK ||
	    pread(fd, buf, 7, 0) != 7 || !bare_json(buf, 7)) {
		close(fd);
		return 1;
	}
	uint64_t size = (uint64_t)st.st_size;
	if (want > size / VT_MIN_CHUNK)
		want = size / VT_MIN_CHUNK;
	cuts[0] = 0;
	for (size_t k = 1; k < want; k++) {
		uint64_t at = size / want * k;
		ssize_t got = pread(fd, buf, sizeof(buf), (off_t)at);

		for (ssize_t i = 0; got > 0 && i < got; i++) {
			if (buf[i] != '\n')
				continue;
			/* the line after the cut, and the one before it */
			size_t rest = (size_t)(got - i - 1);
			if (!bare_json(buf + i + 1, rest < 7 ? rest : 7))
				continue;
			ssize_t b = i - 1;
			while (b >= 0 && buf[b] != '\n')
				b--;
			if (b < 0 || !bare_json(buf + b + 1, (size_t)(i - b - 1)))
				continue;
			cuts[n++] = at + (uint64_t)i + 1;
			break;
		}
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
	size_t nchunks = nthreads * CHUNKS_PER_THREAD;
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
						      cuts)
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

void vt_ingest_parallel(const struct vt_inputs *in, size_t nthreads,
			const struct vt_ingest_config *cfg,
			const struct vt_rules *rules, struct vt_agg *agg,
			const struct vt_agg_config *acfg,
			struct vt_diag_state *ds)
{
	struct pool p;
	pthread_t *tids;
	size_t nt = 0;
	struct vt_rules *mine = vt_rules_clone(rules);
	uint64_t line_base = 0;
	int serial_rest = 0; /* the file's remaining chunks were read */

	memset(&p, 0, sizeof(p));
	p.in = in;
	p.cfg = cfg;
	p.rules = rules;
	p.acfg = acfg;
	p.now = vt_agg_now(agg);
	p.progress = ds->progress;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	plan(&p, nthreads);
	if (nthreads > p.njobs)
		nthreads = p.njobs;
	tids = vt_xcalloc(nthreads + 1, sizeof(*tids));
	for (; nt < nthreads; nt++)
		if (pthread_create(&tids[nt], NULL, worker, &p) != 0)
			break;
	if (nt == 0) /* no thread: the jobs run here, one by one */
		worker(&p);
	for (size_t i = 0; i < p.njobs; i++) {
		struct job *j = &p.jobs[i];

		pthread_mutex_lock(&p.mu);
		while (!j->done)
			pthread_cond_wait(&p.cv, &p.mu);
		pthread_mutex_unlock(&p.mu);
		if (j->chunk <= 0 && !j->later_file)
			serial_rest = 0; /* a new group */
		if (j->chunk <= 0)
			line_base = 0;
		if (serial_rest) {
			/* read already, in order, by an earlier job's fallback */
		} else if (j->failed || (j->chunk >= 0 && j->wrapped) ||
			   !vt_agg_merge_exact(agg, j->agg)) {
			/*
			 * Read this chunk and the rest of its file, or this
			 * file and the rest of its group, again, in order,
			 * into agg itself: exact whatever they hold.
			 */
			struct job again;

			memset(&again, 0, sizeof(again));
			again.first = j->first;
			again.nfiles = j->chunk >= 0 ? 1 : j->group_end - j->first;
			again.chunk = j->chunk;
			again.last_chunk = 1;
			again.direct = ds;
			again.line_base = line_base;
			run_job(&p, &again, agg, mine, j->start, 1);
			serial_rest = j->chunk >= 0 || j->nfiles < again.nfiles;
		} else {
			vt_agg_merge(agg, j->agg);
			print_diags(j, line_base, ds);
		}
		line_base += j->lines;
		vt_agg_free(j->agg);
		j->agg = NULL;
	}
	for (size_t t = 0; t < nt; t++)
		pthread_join(tids[t], NULL);
	free(tids);
	free(p.jobs);
	vt_rules_free(mine);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.cv);
}
