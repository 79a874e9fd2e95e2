/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Line framing. The buffer holds one maximum-length line plus a read
 * block; a line longer than the limit is streamed past without being
 * kept (its length is still reported), so memory never depends on input.
 */
#include "lines.h"

#include <stdlib.h>
#include <string.h>

#define READ_BLOCK (64 * 1024)

void vt_framer_init(struct vt_framer *f, struct vt_source *src,
		    size_t max_line, uint64_t base_offset)
{
	memset(f, 0, sizeof(*f));
	f->src = src;
	f->max_line = max_line;
	f->cap = max_line + 2 + READ_BLOCK;
	f->buf = vt_xmalloc(f->cap);
	f->offset = base_offset;
}

void vt_framer_release(struct vt_framer *f)
{
	free(f->buf);
	f->buf = NULL;
}

/* Reads more bytes after end, compacting first; returns bytes read. */
static size_t refill(struct vt_framer *f)
{
	size_t got = 0;

	if (f->eof)
		return 0;
	if (f->start > 0) {
		memmove(f->buf, f->buf + f->start, f->end - f->start);
		f->end -= f->start;
		f->start = 0;
	}
	if (f->end == f->cap)
		return 0;
	enum vt_err err = vt_source_read(f->src, f->buf + f->end,
					 f->cap - f->end, &got);
	if (err) {
		f->err = err;
		f->eof = 1;
		return 0;
	}
	if (got == 0)
		f->eof = 1;
	f->end += got;
	return got;
}

static void strip(struct vt_line *l)
{
	while (l->len && l->ptr[0] == '\0') {
		/* A writer without O_APPEND after a truncation leaves NULs. */
		l->ptr++;
		l->len--;
		l->leading_nuls++;
	}
	if (l->len && l->ptr[l->len - 1] == '\r')
		l->len--;
}

/* Skips the rest of an over-long line; returns its total length. */
static enum vt_frame skip_long(struct vt_framer *f, struct vt_line *out)
{
	uint64_t skipped = 0;

	out->offset = f->offset;
	for (;;) {
		char *nl = memchr(f->buf + f->start, '\n', f->end - f->start);

		if (nl) {
			size_t n = (size_t)(nl - (f->buf + f->start));

			skipped += n;
			f->start += n + 1;
			f->offset += n + 1;
			break;
		}
		skipped += f->end - f->start;
		f->offset += f->end - f->start;
		f->start = f->end = 0;
		if (!refill(f))
			break;
	}
	out->number = ++f->number;
	out->skipped_bytes = skipped;
	out->end = f->offset;
	out->ptr = NULL;
	out->len = 0;
	return VT_FRAME_TOO_LONG;
}

enum vt_frame vt_framer_next(struct vt_framer *f, struct vt_line *out)
{
	size_t scanned = 0;

	memset(out, 0, sizeof(*out));
	for (;;) {
		char *base = f->buf + f->start;
		size_t avail = f->end - f->start;
		char *nl = memchr(base + scanned, '\n', avail - scanned);

		if (nl) {
			size_t n = (size_t)(nl - base);

			if (n > f->max_line)
				return skip_long(f, out);
			out->ptr = base;
			out->len = n;
			out->offset = f->offset;
			out->number = ++f->number;
			f->start += n + 1;
			f->offset += n + 1;
			out->end = f->offset;
			strip(out);
			out->eol = 1;
			return VT_FRAME_LINE;
		}
		scanned = avail;
		if (avail > f->max_line)
			return skip_long(f, out);
		if (!refill(f)) {
			avail = f->end - f->start;
			/*
			 * A read error may pass: the bytes after the last
			 * newline are not a last line, they are read again.
			 */
			if (avail == 0 || f->err == VT_ERR_IO)
				return f->err ? VT_FRAME_ERROR : VT_FRAME_EOF;
			if (!f->eof)
				continue; /* buffer full cannot happen here */
			out->ptr = f->buf + f->start;
			out->len = avail;
			out->offset = f->offset;
			out->number = ++f->number;
			f->start += avail;
			f->offset += avail;
			out->end = f->offset;
			strip(out);
			return VT_FRAME_PARTIAL;
		}
		/* refill compacted the buffer: rescan from the same point */
		scanned = scanned > f->end ? f->end : scanned;
	}
}
