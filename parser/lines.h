/* SPDX-License-Identifier: Apache-2.0 */
/* Line framing over a byte source, with a hard line-length limit. */
#ifndef VT_LINES_H
#define VT_LINES_H

#include "source.h"

#include <stdint.h>

enum vt_frame {
	VT_FRAME_LINE = 0, /* line holds a complete line */
	VT_FRAME_TOO_LONG, /* a line over the limit was skipped */
	VT_FRAME_PARTIAL,  /* the source ended inside a line (line holds it);
			      not after a read error (VT_ERR_IO): those
			      bytes come again with the next read */
	VT_FRAME_EOF,      /* nothing more */
	VT_FRAME_ERROR,    /* the source failed; see err */
};

/*
 * One framed line. ptr/len exclude the newline and a CR before it, and
 * stay valid until the next vt_framer_next call. offset is the byte
 * offset of the line's first byte in the (decompressed) stream; end is
 * the offset just past its newline. number counts lines from 1.
 */
struct vt_line {
	const char *ptr;
	size_t len;
	uint64_t offset;
	uint64_t end;
	uint64_t number;
	uint64_t skipped_bytes; /* VT_FRAME_TOO_LONG: the line's length */
	size_t leading_nuls;    /* NUL bytes dropped from the line's start */
	int eol;                /* ptr[len] is readable: the line's CR or LF */
};

struct vt_framer {
	struct vt_source *src; /* borrowed */
	char *buf;
	size_t cap;
	size_t start;          /* first unconsumed byte */
	size_t end;            /* end of valid bytes */
	size_t max_line;
	uint64_t offset;       /* stream offset of buf[start] */
	uint64_t number;
	int eof;
	enum vt_err err;
};

/*
 * Frames lines of at most max_line bytes (excluding the newline) from src,
 * starting at stream offset base_offset (for reporting only). Uses
 * max_line + 64 KiB of memory whatever the input.
 */
void vt_framer_init(struct vt_framer *f, struct vt_source *src,
		    size_t max_line, uint64_t base_offset);
void vt_framer_release(struct vt_framer *f);
enum vt_frame vt_framer_next(struct vt_framer *f, struct vt_line *out);

#endif
