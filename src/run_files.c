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

static int same_inode(const struct vt_checkpoint *cp, const struct candidate *c)
{
	return cp->dev == (uint64_t)c->in->dev && cp->ino == (uint64_t)c->in->ino;
}

/* A checkpoint from before rotation groups were kept matches any group. */
static int same_group(const struct vt_checkpoint *cp, const struct candidate *c)
{
	return !cp->group || cp->group == c->in->group;
}

/* The n (at most VT_MARKER_LEN) bytes of path before offset at; 1 if there are. */
static int bytes_before(const char *path, uint64_t at, unsigned char *tail,
			size_t n)
{
	struct vt_source *src;
	int ok;

	if (vt_source_open_regular(path, &src))
		return 0;
	ok = vt_source_skip(src, at, tail, n) == VT_OK;
	vt_source_free(src);
	return ok;
}

/*
 * 1 when c holds cp's bytes: the whole head it fingerprinted and the
 * bytes before its offset (the marker). A compressed file the checkpoint
 * was taken on, unchanged since, needs no decompression.
 */
static int holds(const struct candidate *c, const struct vt_checkpoint *cp)
{
	unsigned char tail[VT_MARKER_LEN];
	size_t n = vt_marker_len(cp->offset);

	if (!vt_checkpoint_head_matches(cp, c->head, c->head_len))
		return 0;
	if (c->compressed && (cp->flags & VT_CP_COMPRESSED) &&
	    cp->stat_size == c->size && same_inode(cp, c))
		return 1;
	if (n == 0)
		return 1;
	if (!c->compressed && c->size < cp->offset)
		return 0;
	return bytes_before(c->in->path, cp->offset, tail, n) &&
	       vt_checkpoint_marker_ok(cp, tail, n);
}

typedef int claim_fn(const struct run *r, const struct vt_checkpoint *cp,
		     const struct candidate *c);

/*
 * Its own live file, truncated by copytruncate: its inode, and a rotated
 * file of its group that begins with the checkpoint's fingerprinted bytes
 * (the copy). Read again from its start. Not on the inode alone: a freed
 * inode is soon another file's (the live file created after the old one
 * was deleted: found by tests/integration/rotation.sh), and a rotated
 * file is not written over.
 */
static int truncated_original(const struct run *r,
			      const struct vt_checkpoint *cp,
			      const struct candidate *t)
{
	if (!same_inode(cp, t) || t->compressed || cp->rot[0] || t->in->rotated)
		return 0;
	for (size_t i = 0; i < r->ncands; i++) {
		const struct candidate *c = &r->cands[i];

		if (c->in->rotated && c->in->group == t->in->group &&
		    vt_checkpoint_head_matches(cp, c->head, c->head_len))
			return 1;
	}
	return 0;
}

/*
 * A copytruncate copy shorter than the offset: a run read the live file
 * after the copy was made and before it was truncated. Taken only with
 * the checkpoint's own file there, truncated (its inode, not its bytes).
 */
static int by_short_copy(const struct run *r, const struct vt_checkpoint *cp,
			 const struct candidate *c)
{
	if (!c->in->rotated || c->compressed || c->size >= cp->offset ||
	    !vt_checkpoint_head_matches(cp, c->head, c->head_len))
		return 0;
	for (size_t i = 0; i < r->ncands; i++) {
		const struct candidate *t = &r->cands[i];

		if (t != c && truncated_original(r, cp, t) && t->cp == NO_CP &&
		    same_group(cp, t))
			return 1;
	}
	return 0;
}

static void take(struct run *r, size_t k, struct candidate *c, int short_copy)
{
	c->cp = k;
	c->had_cp = 1;
	c->short_copy = short_copy;
	r->cp_seen[k] = 1;
}

static void claim(struct run *r, claim_fn *fn, int short_copy)
{
	for (size_t k = 0; k < r->st.ncps; k++) {
		const struct vt_checkpoint *cp = &r->st.cps[k];

		for (size_t i = 0; i < r->ncands && !r->cp_seen[k]; i++) {
			struct candidate *c = &r->cands[i];

			if (c->cp == NO_CP && same_group(cp, c) && fn(r, cp, c))
				take(r, k, c, short_copy);
		}
	}
}

/*
 * The file holding checkpoint k's bytes: its own (device and inode), else
 * a plain rotated file of its group, else a compressed one.
 */
static void claim_holder(struct run *r, size_t k)
{
	const struct vt_checkpoint *cp = &r->st.cps[k];

	for (int pass = 0; pass < 3 && !r->cp_seen[k]; pass++)
		for (size_t i = 0; i < r->ncands && !r->cp_seen[k]; i++) {
			struct candidate *c = &r->cands[i];

			if (c->cp != NO_CP || !same_group(cp, c) ||
			    (pass == 0 && !same_inode(cp, c)) ||
			    (pass > 0 && (!c->in->rotated || same_inode(cp, c))) ||
			    (pass == 1 && c->compressed) ||
			    (pass == 2 && !c->compressed) || !holds(c, cp))
				continue;
			take(r, k, c, 0);
		}
}

struct by_offset {
	uint64_t offset;
	size_t k;
};

static int longer_first(const void *a, const void *b)
{
	const struct by_offset *x = a, *y = b;

	return x->offset < y->offset ? 1 : x->offset > y->offset ? -1
		: x->k < y->k ? -1 : x->k > y->k;
}

/*
 * 1 when the uncompressed rotated file compressed c was made from
 * ("x.log.1" for "x.log.1.gz") is listed too. Not the live file: "x.log.gz"
 * beside a new "x.log" is a file of its own.
 */
static int plain_listed(const struct run *r, const struct candidate *c)
{
	const char *p = c->in->path;
	const char *dot = strrchr(p, '.');

	if (!dot || strchr(dot, '/'))
		return 0;
	for (size_t i = 0; i < r->ncands; i++) {
		const char *q = r->cands[i].in->path;

		if (r->cands[i].in->rotated && !r->cands[i].compressed &&
		    strlen(q) == (size_t)(dot - p) && memcmp(q, p, (size_t)(dot - p)) == 0)
			return 1;
	}
	return 0;
}

/*
 * 1 when plain rotated c is a byte copy of the start of plain f: the same
 * first VT_FP_LEN bytes, and the same bytes before c's end. Shorter files
 * are too alike to tell (a file holding one header line).
 */
static int prefix_of(const struct candidate *c, const struct candidate *f)
{
	unsigned char a[VT_MARKER_LEN], b[VT_MARKER_LEN];
	size_t n = vt_marker_len(c->size);

	if (c->compressed || f->compressed || c->head_len < VT_FP_LEN ||
	    f->head_len < VT_FP_LEN || f->size < c->size ||
	    memcmp(c->head, f->head, VT_FP_LEN) != 0)
		return 0;
	return bytes_before(c->in->path, c->size, a, n) &&
	       bytes_before(f->in->path, c->size, b, n) && memcmp(a, b, n) == 0;
}

/*
 * A file with no checkpoint that is proven to be another form of one
 * read this run is not read (its lines would count twice): a compressed
 * file whose plain original is still there (logrotate is compressing
 * it, or has yet to delete the original: it may be half written), or a
 * rotated file that is a byte copy of the start of a file of its group
 * (a copytruncate copy before the truncation, or one being made). Not a
 * file that merely holds the bytes of another's checkpoint: they may be
 * a header every file of the group begins with (found by an attack).
 * The proof is made
 * again each run; a copy wholly read through its original gets its own
 * checkpoint at its end (settle_copies).
 */
static void find_copies(struct run *r)
{
	for (size_t i = 0; i < r->ncands; i++) {
		struct candidate *c = &r->cands[i];

		if (c->cp != NO_CP)
			continue;
		if (c->compressed && plain_listed(r, c)) {
			c->duplicate = 1;
			continue;
		}
		for (size_t j = 0; j < r->ncands && c->in->rotated && !c->duplicate; j++) {
			const struct candidate *f = &r->cands[j];

			if (j == i || f->duplicate || f->in->group != c->in->group ||
			    (f->cp == NO_CP && f->in->rotated))
				continue;
			if (prefix_of(c, f)) {
				c->duplicate = 1;
				c->copy_of = j;
			}
		}
	}
}

/*
 * Pairs files with checkpoints. Two files are one only when proven: the
 * checkpoint's device and inode with its bytes (head and the bytes before
 * its offset), else a rotated file of its group holding those bytes (a
 * rename across devices, a compression, a copy), else a copytruncate copy
 * shorter than the offset beside its truncated original, else that
 * original, truncated (read again). A head alone proves nothing:
 * logs begin with the same startup lines (found by an attack).
 */
void vt_run_match(struct run *r)
{
	r->cp_seen = vt_xcalloc(r->st.ncps + 1, 1);
	for (size_t i = 0; i < r->ncands; i++)
		r->cands[i].copy_of = NO_CP;
	/*
	 * The longest proof first: a file whose start is also that of a
	 * checkpoint with a shorter offset (a header every file of the group
	 * begins with) is the longer one's, whatever its inode (a freed inode
	 * is soon another file's: found by an attack).
	 */
	struct by_offset *order = vt_xcalloc(r->st.ncps + 1, sizeof(*order));

	for (size_t k = 0; k < r->st.ncps; k++)
		order[k] = (struct by_offset){ r->st.cps[k].offset, k };
	qsort(order, r->st.ncps, sizeof(*order), longer_first);
	for (size_t k = 0; k < r->st.ncps; k++)
		claim_holder(r, order[k].k);
	free(order);
	claim(r, by_short_copy, 1);
	claim(r, truncated_original, 0);
	find_copies(r);
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
	/* Wall-clock time on purpose: --now moves events, not the disk. */
	int warm = in->rotated && !c->compressed &&
		   (int64_t)time(NULL) - c->mtime < ROTATED_QUIET_S;

	cp->flags = (in->in_olddir ? VT_CP_IN_OLDDIR : 0) |
		    (in->rule == VT_ROT_EXTENSION ? VT_CP_EXTENSION : 0) |
		    (c->compressed ? VT_CP_COMPRESSED : 0) |
		    (warm ? VT_CP_WARM : 0);
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

/* Ties cp to candidate c, its head fingerprinted over fp_len bytes. */
static void set_checkpoint(struct run *r, const struct candidate *c,
			   struct vt_checkpoint *cp, size_t fp_len)
{
	cp->fp_len = (uint32_t)fp_len;
	cp->dev = (uint64_t)c->in->dev;
	cp->ino = (uint64_t)c->in->ino;
	cp->path_hash = vt_hash64(c->in->path, strlen(c->in->path));
	where_found(cp, c);
	cp->instance = c->in->instance;
	cp->stream = c->in->stream;
	cp->last_seen = r->now;
	r->changed = 1;
}

/*
 * Plain candidate c is wholly read: through the file it is a copy of, or
 * (a copytruncate copy shorter than where its original was read to)
 * before the truncation. Its checkpoint is put at its end.
 */
static int read_to_end(struct run *r, struct candidate *c, struct vt_checkpoint *cp)
{
	unsigned char tail[VT_MARKER_LEN];
	size_t n = vt_marker_len(c->size);
	size_t fp_len = c->head_len < c->size ? c->head_len : (size_t)c->size;

	if (!bytes_before(c->in->path, c->size, tail, n))
		return -1;
	cp->fp = vt_content_hash(c->head, fp_len);
	set_checkpoint(r, c, cp, fp_len);
	cp->offset = cp->counted_until = cp->size_seen = c->size;
	cp->marker = vt_content_hash(tail, n);
	return 0;
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
	if (c->short_copy)
		return read_to_end(r, c, cp) ? -1 : 0;

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
	set_checkpoint(r, c, cp, fp_len);
	cp->offset = pos.end;
	cp->counted_until = pos.counted_until;
	/* A plain file's unread bytes count from its size (a read may stop early). */
	cp->size_seen = !c->compressed && c->size > pos.size ? c->size : pos.size;
	cp->marker = marker_of(src, c->in, pos.end, pos.size);
	if (g->agg == r->st.agg) /* not while skipping to the end */
		vt_run_account(r, cp, pos.read);
	vt_source_free(src);
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

/* N of a live "N.log" (the kubelet's container log), else -1. */
static int restart_of(const struct vt_input *in)
{
	const char *slash = strrchr(in->path, '/');
	const char *b = slash ? slash + 1 : in->path;
	size_t d = strspn(b, "0123456789");

	if (in->rotated || d == 0 || d > 8 || strcmp(b + d, ".log") != 0)
		return -1;
	return atoi(b);
}

/*
 * The path of the kubelet's N.log that group was, when a newer M.log of
 * the same container is listed and none was before this run: N.log was
 * the log being written at the last run, and the kubelet removed it after
 * the container restarted (it keeps the last logs of a crash loop only).
 * 0 when not (a deleted pod leaves no sibling: not a loss).
 */
static int kubelet_removed(const struct run *r, uint64_t group, char *path,
			   size_t n)
{
	int at = -1;

	for (size_t i = 0; i < r->ncands && at < 0; i++) {
		const struct vt_input *in = r->cands[i].in;
		const char *slash = strrchr(in->path, '/');
		int restart = restart_of(in);

		if (!slash)
			continue;
		for (int k = restart > 1000 ? restart - 1000 : 0;
		     k < restart && at < 0; k++) {
			snprintf(path, n, "%.*s/%d.log", (int)(slash - in->path),
				 in->path, k);
			if (vt_hash64(path, strlen(path)) == group)
				at = k;
		}
	}
	if (at < 0)
		return 0;
	const char *slash = strrchr(path, '/');
	size_t dl = slash ? (size_t)(slash - path) : 0;

	for (size_t i = 0; i < r->ncands; i++) {
		const struct candidate *c = &r->cands[i];

		if (restart_of(c->in) > at && c->had_cp &&
		    strncmp(c->in->path, path, dl + 1) == 0 &&
		    !strchr(c->in->path + dl + 1, '/'))
			return 0; /* N.log was done before the last run */
	}
	return 1;
}

/*
 * A checkpoint whose file was found nowhere (by content, among its live
 * file and every rotated form of it, beside it and in the olddirs). Its
 * unread lines are lost when it had bytes a run saw but did not read, or
 * when it was the live file and its live file is still there: it was
 * replaced or rotated away and deleted (rotate 0, maxage) before this
 * run, so what was written to it since the last run is gone. The same
 * when the kubelet removed the container log a run read last while the
 * container restarted since (kubelet_removed), and when a rotated file
 * still being written when a run read it (VT_CP_WARM: delaycompress, a
 * writer yet to reopen its log) is deleted before a run sees it quiet.
 * A rotated file read to its end that disappears is logrotate expiring
 * it: no loss. A group whose live file is gone too (a deleted pod) loses
 * only what a run saw unread.
 */
static void lose(struct run *r, const struct vt_checkpoint *cp)
{
	uint64_t unread = cp->size_seen > cp->offset ? cp->size_seen - cp->offset : 0;
	int replaced = cp->group && !cp->rot[0] && live_listed(r, cp->group);
	int warm = (cp->flags & VT_CP_WARM) && cp->rot[0];
	char name[4096];
	int removed = !unread && !replaced && !warm && cp->group && !cp->rot[0] &&
		      kubelet_removed(r, cp->group, name, sizeof(name));

	if (!unread && !replaced && !warm && !removed)
		return;
	struct vt_quality *q = vt_agg_quality(r->st.agg);
	struct vt_loss loss = { r->now, unread, cp->group, cp->flags, "" };

	snprintf(loss.rot, sizeof(loss.rot), "%s", cp->rot);
	vt_state_add_loss(&r->st, &loss);
	/* The report gets a bucket, not the exact count (issue 14). */
	q->files_lost++;
	q->bytes_lost_by_file[vt_log2_bucket(unread)]++;
	r->st.files_lost++;
	r->lost++;
	if (!removed)
		vt_inputs_name_of(&r->in, cp->group, cp->flags & VT_CP_EXTENSION,
				  cp->flags & VT_CP_IN_OLDDIR, cp->rot, name,
				  sizeof(name));
	/* vt_cli_error escapes the whole message (util/esc.c). */
	if (removed)
		vt_cli_error("'%s' was removed by the kubelet after its container restarted (a newer log of the container is there), before this run: lines written to it after the last run are lost (counted in quality.files_lost)",
			     name);
	else if (replaced && !unread)
		vt_cli_error("'%s' was replaced or rotated away and deleted before this run read it, and its content is in none of its rotated files: lines written to it after the last run are lost (counted in quality.files_lost; if rotated files are moved to another directory, name it with --olddir)",
			     name);
	else if (!unread)
		vt_cli_error("'%s' was deleted while it may still have been written to (it had changed less than a minute before the last run read it): lines written to it after that run are lost (counted in quality.files_lost)",
			     name);
	else
		vt_cli_error("'%s' was rotated away with %llu bytes unread%s; its content is in none of its rotated files (counted as lost in quality.files_lost)",
			     name, (unsigned long long)unread,
			     replaced ? ", and lines written after the last run" : "");
}

/*
 * A plain copy whose original was read this run past the copy's end is
 * wholly read: it gets its own checkpoint there, so that it is not read
 * again once its original is truncated (copytruncate).
 */
static void settle_copies(struct run *r)
{
	for (size_t i = 0; i < r->ncands; i++) {
		struct candidate *c = &r->cands[i];
		const struct candidate *f;

		if (!c->duplicate || c->copy_of == NO_CP || c->compressed ||
		    c->cp != NO_CP || !c->size)
			continue;
		f = &r->cands[c->copy_of];
		if (f->cp == NO_CP || r->st.cps[f->cp].offset < c->size)
			continue;
		size_t k = new_checkpoint(r);
		struct vt_checkpoint *cp = &r->st.cps[k];

		if (read_to_end(r, c, cp)) {
			r->st.ncps--; /* gone meanwhile: prove it again next run */
			continue;
		}
		/*
		 * Not replayed up to where the original was read: a "copy"
		 * holding only a header every file begins with would pass that
		 * on to the file its checkpoint goes to next (found by an
		 * attack). A copy still being made is counted twice past its
		 * end then (docs/run.md).
		 */
		c->cp = k;
	}
}

/* Checkpoints whose file is gone: unread lines are reported as lost. */
void vt_run_forget_gone(struct run *r)
{
	size_t w = 0;

	settle_copies(r);
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
