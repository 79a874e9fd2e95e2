/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The run command's files: which of the files found are new, copies or
 * the ones already tracked (by the content of their first bytes), and
 * reading what is new in each from its checkpoint.
 */
#include "run.h"
#include "cli.h"
#include "../util/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
	c->compressed = vt_source_compression(src) != NULL;
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
	if (a->compressed != b->compressed)
		return !a->compressed;
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
void vt_run_match(struct run *r)
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

/*
 * Remembers where the file is now, to name it should it be lost: its live
 * file's group and the rotation part of its name ("" for the live file).
 */
static void where_found(struct vt_checkpoint *cp, const struct candidate *c)
{
	const struct vt_input *in = c->in;
	const char *slash = strrchr(in->path, '/');
	const char *base = slash ? slash + 1 : in->path;
	const char *rot = in->group && in->rot_at <= strlen(base)
				  ? base + in->rot_at
				  : "";

	cp->group = in->group;
	if (!vt_rot_valid(rot, strlen(rot))) {
		rot = ""; /* cannot be kept: the file will not be named */
		cp->group = 0;
	}
	cp->flags = (in->in_olddir ? VT_CP_IN_OLDDIR : 0) |
		    (in->rule == VT_ROT_EXTENSION ? VT_CP_EXTENSION : 0) |
		    (c->compressed ? VT_CP_COMPRESSED : 0);
	cp->stat_size = c->size;
	snprintf(cp->rot, sizeof(cp->rot), "%s", rot);
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
int vt_run_read_new(struct run *r, struct vt_ingest *g, size_t ci)
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
	 * latter only if the checkpoint was taken on this very compressed
	 * file: same device, inode and size, and compressed then. One taken
	 * on the plain file it was compressed from saw that file's size then,
	 * and lines may have been appended before it was rotated and
	 * compressed; and the compressed file may have the inode that plain
	 * file had (freed when it was renamed away and copied, as with
	 * renamecopy: found by tests/integration/rotation.sh).
	 */
	if (cp && cp->fp_len == fp_len &&
	    ((!c->compressed && c->size == cp->offset) ||
	     (c->compressed && cp->offset == cp->size_seen && cp->size_seen &&
	      (cp->flags & VT_CP_COMPRESSED) && cp->stat_size == c->size &&
	      cp->dev == (uint64_t)c->in->dev &&
	      cp->ino == (uint64_t)c->in->ino))) {
		cp->last_seen = r->now;
		cp->dev = (uint64_t)c->in->dev;
		cp->ino = (uint64_t)c->in->ino;
		where_found(cp, c);
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
	pos.caller_counts = 1; /* per period: vt_run_account */
	/* Wall-clock time on purpose: --now moves events, not the disk. */
	pos.count_partial = c->compressed ||
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
	cp->size_seen = !c->compressed && c->size > pos.size ? c->size : pos.size;
	cp->marker = marker_of(src, c->in, pos.end, pos.size);
	cp->dev = (uint64_t)c->in->dev;
	cp->ino = (uint64_t)c->in->ino;
	cp->path_hash = vt_hash64(c->in->path, strlen(c->in->path));
	where_found(cp, c);
	cp->instance = c->in->instance;
	cp->stream = c->in->stream;
	cp->last_seen = r->now;
	if (g->agg == r->st.agg) /* not while skipping to the end */
		vt_run_account(r, cp, pos.read);
	vt_source_free(src);
	r->changed = 1;
	return damaged ? -1 : 0;
}

/* What cp gave its open period, into that period's quality, once. */
static void acc_flush(struct run *r, struct vt_checkpoint *cp)
{
	struct vt_quality *q;

	if (!cp->acc_open)
		return;
	q = vt_agg_period_quality(r->st.agg, cp->acc_period);
	if (q) {
		q->files++;
		q->bytes_read_by_input[vt_log2_bucket(cp->acc_bytes)]++;
	}
	cp->acc_open = 0;
	cp->acc_period = 0;
	cp->acc_bytes = 0;
}

void vt_run_account(struct run *r, struct vt_checkpoint *cp, uint64_t bytes)
{
	size_t n = vt_agg_period_count(r->st.agg);

	if (n == 0) {
		/* no period yet: the counts wait in the aggregate's own */
		struct vt_quality *q = vt_agg_quality(r->st.agg);

		q->files++;
		q->bytes_read_by_input[vt_log2_bucket(bytes)]++;
		return;
	}
	int64_t p = vt_agg_period_start(r->st.agg, n - 1);
	if (cp->acc_open && cp->acc_period != p)
		acc_flush(r, cp);
	if (!cp->acc_open) {
		cp->acc_open = 1;
		cp->acc_period = p;
		cp->acc_bytes = 0;
	}
	cp->acc_bytes += bytes;
}

void vt_run_flush_period(struct run *r, int64_t start)
{
	for (size_t k = 0; k < r->st.ncps; k++)
		if (r->st.cps[k].acc_open && r->st.cps[k].acc_period == start)
			acc_flush(r, &r->st.cps[k]);
}

/* 1 when the live file of group is among this run's files. */
static int live_listed(const struct run *r, uint64_t group)
{
	for (size_t i = 0; i < r->in.count; i++)
		if (r->in.files[i].rule == VT_ROT_LIVE &&
		    r->in.files[i].group == group)
			return 1;
	return 0;
}

/*
 * A checkpoint whose file was found nowhere (by content, among its live
 * file and every rotated form of it, beside it and in the olddirs). Its
 * unread lines are lost when it had bytes a run saw but did not read, or
 * when it was the live file and its live file is still there: it was
 * replaced or rotated away and deleted (rotate 0, maxage) before this
 * run, so what was written to it since the last run is gone. A rotated
 * file read to its end that disappears is logrotate expiring it: no loss.
 * A group whose live file is gone too (a deleted pod) loses only what a
 * run saw unread.
 */
static void lose(struct run *r, const struct vt_checkpoint *cp)
{
	uint64_t unread = cp->size_seen > cp->offset ? cp->size_seen - cp->offset : 0;
	int replaced = cp->group && !cp->rot[0] && live_listed(r, cp->group);

	if (!unread && !replaced)
		return;
	struct vt_quality *q = vt_agg_quality(r->st.agg);
	struct vt_loss loss = { r->now, unread, cp->group, cp->flags, "" };
	char name[4096];

	snprintf(loss.rot, sizeof(loss.rot), "%s", cp->rot);
	vt_state_add_loss(&r->st, &loss);
	/* The report gets a bucket, not the exact count (issue 14). */
	q->files_lost++;
	q->bytes_lost_by_file[vt_log2_bucket(unread)]++;
	r->st.files_lost++;
	r->lost++;
	vt_inputs_name_of(&r->in, cp->group, cp->flags & VT_CP_EXTENSION,
			  cp->flags & VT_CP_IN_OLDDIR, cp->rot, name, sizeof(name));
	/* vt_cli_error escapes the whole message (util/esc.c). */
	if (replaced && !unread)
		vt_cli_error("'%s' was replaced or rotated away and deleted before this run read it, and its content is in none of its rotated files: lines written to it after the last run are lost (counted in quality.files_lost; if rotated files are moved to another directory, name it with --olddir)",
			     name);
	else
		vt_cli_error("'%s' was rotated away with %llu bytes unread%s; its content is in none of its rotated files (counted as lost in quality.files_lost)",
			     name, (unsigned long long)unread,
			     replaced ? ", and lines written after the last run" : "");
}

/* Checkpoints whose file is gone: unread lines are reported as lost. */
void vt_run_forget_gone(struct run *r)
{
	size_t w = 0;

	for (size_t k = 0; k < r->st.ncps; k++) {
		struct vt_checkpoint *cp = &r->st.cps[k];

		if (r->cp_seen[k] && w < MAX_CHECKPOINTS) {
			r->st.cps[w++] = *cp;
			continue;
		}
		acc_flush(r, cp);
		if (r->cp_seen[k])
			cp->group = 0; /* over MAX_CHECKPOINTS: only unread bytes are lost */
		lose(r, cp);
		r->changed = 1;
	}
	r->st.ncps = w;
}

void vt_run_discover(struct run *r, int argc, char **argv)
{
	vt_inputs_init(&r->in);
	r->in.max_files = r->o.rd.max_files;
	r->in.olddirs = r->olddirs;
	r->in.nolddirs = r->nolddirs;
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
