/* SPDX-License-Identifier: Apache-2.0 */
/* The per-file pipeline shared by every command that reads logs. */
#include "ingest.h"
#include "../parser/lines.h"
#include "../util/hash.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void vt_ingest_init(struct vt_ingest *g, const struct vt_ingest_config *cfg,
		    struct vt_rules *rules, struct vt_agg *agg,
		    const struct vt_diag_sink *diag)
{
	memset(g, 0, sizeof(*g));
	g->cfg = *cfg;
	g->dec = vt_decoder_new(cfg->max_line);
	vt_unwrap_init(&g->unwrap, cfg->max_line, g->dec);
	g->rules = rules;
	g->agg = agg;
	g->diag = *diag;
}

void vt_ingest_release(struct vt_ingest *g)
{
	vt_decoder_free(g->dec);
	vt_unwrap_release(&g->unwrap);
}

static void diag(struct vt_ingest *g, const struct vt_input *in,
		 const struct vt_line *l, const char *what)
{
	uint64_t skip = g->number_after_replay ? g->replayed_lines : 0;

	if (g->diag.report)
		g->diag.report(g->diag.ctx, in->path, l ? l->number - skip : 0,
			       l ? l->offset : 0, what);
}

static void bad_line(struct vt_ingest *g, const struct vt_input *in,
		     const struct vt_line *l, const char *what)
{
	if (g->replaying)
		return;
	diag(g, in, l, what);
	if (g->cfg.strict)
		g->stop = 1;
}

/* Decodes and counts one logical line. */
/* eol: text.ptr[text.len] is the line's CR or LF (see vt_decode_framed) */
static void logical_line(struct vt_ingest *g, const struct vt_input *in,
			 const struct vt_line *l, struct vt_sv text,
			 enum vt_wrapper wrapper, int eol)
{
	struct vt_record rec;
	struct vt_fact facts[VT_FACT_COUNT];
	size_t nfacts = 0;
	struct vt_origin o = { in->instance, in->stream };
	char what[96];

	if (g->replaying)
		return; /* counted by an earlier run */
	if (text.len == 0) {
		struct vt_quality *q = vt_agg_quality(g->agg);

		q->lines_read++;
		q->lines_blank++;
		return;
	}
	if (eol)
		vt_decode_framed(g->dec, text.ptr, text.len, &rec);
	else
		vt_decode_line(g->dec, text.ptr, text.len, &rec);
	if (rec.cls == VT_LINE_APP)
		nfacts = vt_rules_match(g->rules, &rec, facts,
					VT_ARRAY_LEN(facts));
	if (rec.cls == VT_LINE_AUDIT &&
	    g->cfg.instance_by == VT_INSTANCE_BY_COMPONENT &&
	    rec.audit.component.ptr)
		o.instance = VT_INSTANCE_KEY(
			vt_hash64(rec.audit.component.ptr,
				  rec.audit.component.len),
			0);
	vt_agg_line(g->agg, &o, &rec, facts, nfacts, wrapper);
	if (rec.cls == VT_LINE_MALFORMED) {
		snprintf(what, sizeof(what), "malformed line (%s), skipped",
			 vt_malformed_reason_names[rec.reason]);
		bad_line(g, in, l, what);
	} else if (rec.cls == VT_LINE_UNRECOGNIZED) {
		snprintf(what, sizeof(what), "not a vMCP line (%s), skipped",
			 vt_unrecognized_reason_names[rec.reason]);
		bad_line(g, in, l, what);
	}
}

static void physical_line(struct vt_ingest *g, const struct vt_input *in,
			  const struct vt_line *l)
{
	struct vt_sv inner = { NULL, 0 }; /* a line's: set for VT_UNWRAP_LINE */
	enum vt_wrapper kind;
	struct vt_record bad;

	g->replaying = l->end <= g->replay_until;
	if (l->leading_nuls && !g->replaying)
		vt_agg_quality(g->agg)->nul_bytes_skipped += l->leading_nuls;
	enum vt_unwrap_result r =
		vt_unwrap_line(&g->unwrap, l->ptr, l->len, &inner, &kind);
	if (kind != VT_WRAP_NONE)
		g->wrapped++;
	if (kind != VT_WRAP_NONE && (g->leading >> g->unwrap.last_slot & 1) &&
	    (r == VT_UNWRAP_LINE || r == VT_UNWRAP_TOO_LONG)) {
		g->leading &= ~(1u << g->unwrap.last_slot);
		g->lead(g->lead_ctx, g, l, g->unwrap.last_slot, inner,
			r == VT_UNWRAP_LINE && l->eol &&
				inner.ptr + inner.len == l->ptr + l->len,
			r == VT_UNWRAP_TOO_LONG);
		return;
	}
	switch (r) {
	case VT_UNWRAP_LINE:
		logical_line(g, in, l, inner, kind,
			     l->eol && inner.ptr + inner.len == l->ptr + l->len);
		break;
	case VT_UNWRAP_PENDING:
		break;
	case VT_UNWRAP_TOO_LONG:
		if (!g->replaying)
			vt_ingest_joined(g, in, l, inner, kind, 0, 1);
		break;
	case VT_UNWRAP_BAD:
		if (g->replaying)
			break;
		memset(&bad, 0, sizeof(bad));
		bad.cls = VT_LINE_MALFORMED;
		bad.reason = VT_BAD_WRAPPER;
		vt_agg_line(g->agg, &(struct vt_origin){ in->instance,
							 in->stream },
			    &bad, NULL, 0, kind);
		bad_line(g, in, l, "malformed line (bad_wrapper), skipped");
		break;
	}
}

void vt_ingest_joined(struct vt_ingest *g, const struct vt_input *in,
		      const struct vt_line *l, struct vt_sv text,
		      enum vt_wrapper wrapper, int eol, int too_long)
{
	g->replaying = 0;
	if (!too_long) {
		logical_line(g, in, l, text, wrapper, eol);
		return;
	}
	vt_agg_too_long(g->agg);
	bad_line(g, in, l, "joined line longer than the limit, skipped");
}

static void flush_pending(struct vt_ingest *g, const struct vt_input *in)
{
	struct vt_sv inner = { NULL, 0 };
	enum vt_wrapper kind;
	int r;

	while ((r = vt_unwrap_flush(&g->unwrap, &inner, &kind)) != 0)
		vt_ingest_joined(g, in, NULL, inner, kind, 0, r == 2);
}

/*
 * Progress counts bytes on disk: the file position (compressed bytes for
 * a .gz, even when a read-ahead thread moves it), or the decompressed
 * position where there is none (a pipe).
 */
#define PROGRESS_STEP (1u << 20)

static void progress_at(struct vt_ingest *g, struct vt_source *src,
			uint64_t decompressed, int first)
{
	off_t at = g->progress_raw || first
			   ? lseek(vt_source_fd(src), 0, SEEK_CUR)
			   : -1;
	uint64_t pos;

	if (first)
		g->progress_raw = at >= 0;
	pos = g->progress_raw && at >= 0 ? (uint64_t)at : decompressed;
	if (!first && pos > g->progress_mark)
		vt_progress_add(g->progress, pos - g->progress_mark);
	g->progress_mark = pos;
}

enum vt_err vt_ingest_source(struct vt_ingest *g, const struct vt_input *in,
			     struct vt_source *src, struct vt_ingest_pos *pos)
{
	struct vt_framer f;
	struct vt_line l;
	enum vt_frame fr;
	struct vt_quality *q;
	uint64_t pending_start = pos->start, done = pos->start;
	uint64_t next_progress = pos->start + PROGRESS_STEP;
	enum vt_err err = VT_OK;
	char what[160];

	if (g->progress)
		progress_at(g, src, pos->start, 1);
	vt_unwrap_reset(&g->unwrap);
	g->replay_until = pos->replay_until;
	vt_framer_init(&f, src, g->cfg.max_line, pos->start);
	while (!g->stop && (fr = vt_framer_next(&f, &l)) != VT_FRAME_EOF &&
	       fr != VT_FRAME_ERROR) {
		int before = vt_unwrap_pending(&g->unwrap);

		if (pos->limit && l.offset >= pos->limit)
			break; /* the next chunk's first line */
		pos->lines++;
		if (l.end <= g->replay_until)
			g->replayed_lines++;
		if (fr == VT_FRAME_PARTIAL && !pos->count_partial)
			break; /* a torn line: wait for its newline */
		if (fr == VT_FRAME_TOO_LONG) {
			g->replaying = l.end <= g->replay_until;
			if (!g->replaying)
				vt_agg_too_long(g->agg);
			snprintf(what, sizeof(what),
				 "line of %llu bytes is over the %zu-byte limit, skipped",
				 (unsigned long long)l.skipped_bytes,
				 g->cfg.max_line);
			bad_line(g, in, &l, what);
		} else {
			physical_line(g, in, &l);
		}
		if (!before && vt_unwrap_pending(&g->unwrap))
			pending_start = l.offset;
		if (!vt_unwrap_pending(&g->unwrap))
			done = l.end;
		if (l.end > pos->counted_until)
			pos->counted_until = l.end;
		if (g->progress && l.end >= next_progress) {
			progress_at(g, src, l.end, 0);
			next_progress = l.end + PROGRESS_STEP;
		}
	}
	if (g->progress)
		progress_at(g, src, f.offset, 0);
	/*
	 * A file that is over counts its torn last line; not after a read
	 * error, which may pass (a disk, a network volume): the next run
	 * reads from the last whole line again.
	 */
	if (pos->carry) {
		/* open parts stay in g->unwrap, for the caller */
	} else if (!g->stop && pos->count_partial && f.err != VT_ERR_IO) {
		flush_pending(g, in);
		if (!pos->limit)
			done = f.offset;
	} else if (vt_unwrap_pending(&g->unwrap)) {
		done = pending_start; /* read the parts again next time */
	}
	g->replaying = 0;
	pos->end = done;
	if (pos->counted_until < done)
		pos->counted_until = done;
	/* What the source gave, framed or not (bytes held after a read error). */
	pos->size = f.offset + (f.end - f.start);
	q = vt_agg_quality(g->agg);
	pos->read = f.offset - (pos->continued ? 0 : pos->start);
	if (!pos->continued && !pos->caller_counts)
		q->files++;
	/* The chunk that ends the input: the input's bytes, once. */
	if (!pos->limit && !pos->caller_counts)
		q->bytes_read_by_input[vt_log2_bucket(pos->read)]++;
	if (f.err) {
		const char *why = f.err == VT_ERR_FORMAT ? vt_source_error(src)
							  : strerror(errno);

		err = f.err;
		q->files_failed++;
		snprintf(what, sizeof(what), "stopped reading at byte %llu: %s",
			 (unsigned long long)f.offset, why);
		bad_line(g, in, NULL, what);
	}
	vt_framer_release(&f);
	return err;
}

enum vt_err vt_ingest_file(struct vt_ingest *g, const struct vt_input *in)
{
	struct vt_source *src = NULL;
	struct vt_ingest_pos pos;
	enum vt_err err = vt_source_open(in->path, &src);
	char what[160];

	if (err) {
		int e = errno;

		vt_agg_quality(g->agg)->files_failed++;
		snprintf(what, sizeof(what), "cannot read: %s", strerror(e));
		bad_line(g, in, NULL, what);
		vt_progress_file_done(g->progress);
		errno = e;
		return err;
	}
	if (g->cfg.prefetch)
		vt_source_prefetch(src);
	memset(&pos, 0, sizeof(pos));
	pos.count_partial = 1;
	err = vt_ingest_source(g, in, src, &pos);
	vt_source_free(src);
	vt_progress_file_done(g->progress);
	return err;
}
