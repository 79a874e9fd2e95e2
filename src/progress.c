/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The progress line. Readers only add to two atomic counters; a thread
 * of its own draws, so the reading threads never wait on the terminal.
 * The mutex orders drawing against messages (vt_progress_hold).
 */
#include "progress.h"
#include "../util/vt.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TICK_NS 250000000L /* four redraws a second at most */
#define DEFAULT_DELAY 1.0

struct vt_progress {
	_Atomic uint64_t bytes;
	_Atomic uint64_t files_done;
	uint64_t total;
	size_t files;
	double delay;
	struct timespec t0;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	int held;
	size_t shown; /* columns of the line on screen; 0: none */
};

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void size_str(double v, char *out, size_t n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
					    "PiB" };
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(out, n, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static void eta_str(double secs, char *out, size_t n)
{
	unsigned long long s = (unsigned long long)(secs + 0.5);

	if (secs >= 360000)
		snprintf(out, n, ">100h");
	else if (s >= 3600)
		snprintf(out, n, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60,
			 s % 60);
	else
		snprintf(out, n, "%llu:%02llu", s / 60, s % 60);
}

static size_t columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

static void put(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDERR_FILENO, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Replaces what is on screen with line (NULL: nothing). Holds mu. */
static void show(struct vt_progress *p, const char *line)
{
	char buf[512];
	size_t n = line ? strlen(line) : 0, len = 0;

	buf[len++] = '\r';
	memcpy(buf + len, line ? line : "", n);
	len += n;
	for (size_t i = n; i < p->shown && len < sizeof(buf) - 1; i++)
		buf[len++] = ' ';
	if (!line && p->shown)
		buf[len++] = '\r';
	if (line || p->shown)
		put(buf, len);
	p->shown = n;
}

#define LINE_MAX_LEN 256

/* The line for the counters now, at most width - 1 columns. */
static void format(struct vt_progress *p, char out[LINE_MAX_LEN], size_t width)
{
	uint64_t done = atomic_load(&p->bytes);
	uint64_t files = atomic_load(&p->files_done);
	double t = since(&p->t0), rate = t > 0 ? (double)done / t : 0;
	char a[32], b[32], r[32], eta[32];
	int n;

	if (p->total && done > p->total)
		done = p->total;
	size_str((double)done, a, sizeof(a));
	size_str(rate, r, sizeof(r));
	if (p->total) {
		size_str((double)p->total, b, sizeof(b));
		if (rate > 0)
			eta_str((double)(p->total - done) / rate, eta,
				sizeof(eta));
		else
			snprintf(eta, sizeof(eta), "--:--");
		n = snprintf(out, LINE_MAX_LEN, VT_NAME ": %3d%% %s of %s, %s/s, %llu/%zu files, ETA %s",
			     (int)(100.0 * (double)done / (double)p->total), a,
			     b, r, (unsigned long long)files, p->files, eta);
	} else {
		n = snprintf(out, LINE_MAX_LEN, VT_NAME ": %s, %s/s, %llu/%zu files", a,
			     r, (unsigned long long)files, p->files);
	}
	if (width > LINE_MAX_LEN)
		width = LINE_MAX_LEN;
	if (n > 0 && (size_t)n >= width)
		out[width - 1] = '\0';
}

static void *drawer(void *arg)
{
	struct vt_progress *p = arg;
	struct timespec next;
	char line[LINE_MAX_LEN];

	pthread_mutex_lock(&p->mu);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!p->stop) {
		if (!p->held && since(&p->t0) >= p->delay) {
			format(p, line, columns());
			show(p, line);
		}
		next.tv_nsec += TICK_NS;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		while (!p->stop &&
		       pthread_cond_timedwait(&p->cv, &p->mu, &next) == 0)
			;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static double delay_from_env(void)
{
	const char *s = getenv("VMCP_TELEMETRY_PROGRESS_DELAY");
	char *end;

	if (!s || !*s)
		return DEFAULT_DELAY;
	double d = strtod(s, &end);
	return *end || d < 0 || d != d ? DEFAULT_DELAY : d;
}

static uint64_t input_bytes(const struct vt_inputs *in);

struct vt_progress *vt_progress_start(const struct vt_inputs *in,
				      size_t files, int quiet)
{
	struct vt_progress *p;
	pthread_condattr_t ca;

	if (quiet || !isatty(STDERR_FILENO))
		return NULL;
	p = vt_xcalloc(1, sizeof(*p));
	atomic_init(&p->bytes, 0);
	atomic_init(&p->files_done, 0);
	p->total = in ? input_bytes(in) : 0;
	p->files = files;
	p->delay = delay_from_env();
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (p->delay == 0) {
		/* Drawn before anything is read: a test can rely on it. */
		char line[LINE_MAX_LEN];

		format(p, line, columns());
		show(p, line);
	}
	if (pthread_create(&p->tid, NULL, drawer, p) != 0) {
		show(p, NULL);
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		free(p);
		return NULL;
	}
	return p;
}

/* The bytes on disk of the files of in; 0 when one is no regular file. */
static uint64_t input_bytes(const struct vt_inputs *in)
{
	uint64_t total = 0;
	struct stat st;

	for (size_t i = 0; i < in->count; i++) {
		if (strcmp(in->files[i].path, "-") == 0 ||
		    stat(in->files[i].path, &st) != 0 || !S_ISREG(st.st_mode))
			return 0; /* a pipe: how much is left cannot be known */
		total += (uint64_t)st.st_size;
	}
	return total;
}

void vt_progress_add(struct vt_progress *p, uint64_t bytes)
{
	if (p)
		atomic_fetch_add_explicit(&p->bytes, bytes,
					  memory_order_relaxed);
}

void vt_progress_file_done(struct vt_progress *p)
{
	if (p)
		atomic_fetch_add_explicit(&p->files_done, 1,
					  memory_order_relaxed);
}

void vt_progress_hold(struct vt_progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	show(p, NULL);
	p->held++;
	pthread_mutex_unlock(&p->mu);
}

void vt_progress_resume(struct vt_progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	if (p->held)
		p->held--;
	pthread_mutex_unlock(&p->mu);
}

void vt_progress_stop(struct vt_progress *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->tid, NULL);
	show(p, NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}
