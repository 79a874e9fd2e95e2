/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: line framing and CRI/docker unwrapping. The input is a
 * byte stream; it reaches the framer through a SOCK_SEQPACKET socket in
 * chunks whose sizes come from the input itself, so every read(2) the
 * source makes returns one small, oddly sized chunk (as from a pipe or a
 * file that is still being written). Checked: offsets are contiguous and
 * every byte is accounted for, no line passes the cap, each line's bytes
 * are the input's, and unwrapping never hands out more than the cap.
 */
#include "fuzz.h"
#include "../../parser/lines.h"
#include "../../parser/unwrap.h"

#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

/* The line caps tried; the input picks one. */
static const size_t caps[] = { 1, 2, 16, 80, 1000, 65536 };

struct feeder {
	int fd;
	const uint8_t *data;
	size_t size;
	size_t limit; /* the largest chunk */
};

/* Writes the stream in chunks, one datagram each, then closes. */
static void *feed(void *arg)
{
	struct feeder *f = arg;
	size_t pos = 0, k = 0;

	while (pos < f->size) {
		/* Sizes from the bytes themselves: 1..limit, never 0 (EOF). */
		size_t n = 1 + (f->data[pos] * 31u + k++) % f->limit;

		if (n > f->size - pos)
			n = f->size - pos;
		if (send(f->fd, f->data + pos, n, MSG_NOSIGNAL) != (ssize_t)n)
			break; /* the reader stopped early (gzip damage) */
		pos += n;
	}
	close(f->fd);
	return NULL;
}

/* What the framer must report for the line that starts at pos. */
struct expect {
	size_t raw_len;  /* bytes before the newline or the end */
	int has_newline;
};

static struct expect expect_at(const uint8_t *data, size_t size, size_t pos)
{
	const uint8_t *nl = memchr(data + pos, '\n', size - pos);
	struct expect e;

	e.has_newline = nl != NULL;
	e.raw_len = nl ? (size_t)(nl - (data + pos)) : size - pos;
	return e;
}

/* A kept line holds the input's bytes, less leading NULs and a CR. */
static void check_line_bytes(const uint8_t *data, size_t pos,
			     const struct expect *e, const struct vt_line *l)
{
	size_t nuls = 0, len;

	while (nuls < e->raw_len && data[pos + nuls] == '\0')
		nuls++;
	len = e->raw_len - nuls;
	if (len && data[pos + nuls + len - 1] == '\r')
		len--;
	FUZZ_CHECK(l->leading_nuls == nuls);
	FUZZ_CHECK(l->len == len);
	FUZZ_CHECK(len == 0 || memcmp(l->ptr, data + pos + nuls, len) == 0);
}

static void unwrap_one(struct vt_unwrap *u, const struct vt_line *l,
		       size_t max_line)
{
	struct vt_sv inner = { NULL, 0 };
	enum vt_wrapper kind = VT_WRAP_COUNT;
	enum vt_unwrap_result r = vt_unwrap_line(u, l->ptr, l->len, &inner,
						 &kind);

	FUZZ_CHECK(kind < VT_WRAP_COUNT);
	FUZZ_CHECK(r <= VT_UNWRAP_BAD);
	if (r != VT_UNWRAP_LINE)
		return;
	FUZZ_CHECK(inner.len <= max_line);
	fuzz_touch(inner);
	if (kind == VT_WRAP_NONE)
		FUZZ_CHECK(inner.ptr == l->ptr && inner.len == l->len);
}

/* The end of input: pending parts come out, once each. */
static void unwrap_flush(struct vt_unwrap *u, size_t max_line)
{
	struct vt_sv inner;
	enum vt_wrapper kind;
	int r, rounds = 0;

	while ((r = vt_unwrap_flush(u, &inner, &kind)) != 0) {
		FUZZ_CHECK(r == 1 || r == 2);
		FUZZ_CHECK(kind < VT_WRAP_COUNT);
		if (r == 1) {
			FUZZ_CHECK(inner.len > 0 && inner.len <= max_line);
			fuzz_touch(inner);
		}
		FUZZ_CHECK(++rounds <= 2 * VT_WRAP_COUNT);
	}
	FUZZ_CHECK(!vt_unwrap_pending(u));
}

/* Frames the whole stream; for plain input checks it against data. */
static void frame_all(struct vt_framer *fr, struct vt_unwrap *u,
		      const uint8_t *data, size_t size, size_t max_line,
		      int plain)
{
	struct vt_line l;
	enum vt_frame t;
	uint64_t pos = 0, number = 0;

	while ((t = vt_framer_next(fr, &l)) != VT_FRAME_EOF) {
		FUZZ_CHECK(t != VT_FRAME_ERROR || !plain);
		if (t == VT_FRAME_ERROR)
			break; /* damaged gzip: fuzz_source's subject */
		FUZZ_CHECK(l.offset == pos);
		FUZZ_CHECK(l.number == ++number);
		FUZZ_CHECK(l.end > l.offset);
		if (t == VT_FRAME_TOO_LONG) {
			FUZZ_CHECK(l.skipped_bytes > max_line);
			FUZZ_CHECK(l.ptr == NULL && l.len == 0);
		} else {
			FUZZ_CHECK(t == VT_FRAME_LINE || t == VT_FRAME_PARTIAL);
			FUZZ_CHECK(l.len + l.leading_nuls <= max_line);
		}
		if (plain) {
			struct expect e = expect_at(data, size, (size_t)pos);

			FUZZ_CHECK(l.end == pos + e.raw_len + e.has_newline);
			if (t == VT_FRAME_TOO_LONG)
				FUZZ_CHECK(l.skipped_bytes == e.raw_len);
			else
				check_line_bytes(data, (size_t)pos, &e, &l);
			FUZZ_CHECK((t == VT_FRAME_PARTIAL) == !e.has_newline ||
				   t == VT_FRAME_TOO_LONG);
		}
		pos = l.end;
		if (t != VT_FRAME_TOO_LONG)
			unwrap_one(u, &l, max_line);
	}
	if (plain) {
		/* Every byte was in exactly one line, and EOF stays EOF. */
		FUZZ_CHECK(pos == size);
		FUZZ_CHECK(vt_framer_next(fr, &l) == VT_FRAME_EOF);
	}
	unwrap_flush(u, max_line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = { 3, 17, 4096 };
	unsigned sel = size ? data[0] : 0;
	size_t max_line = caps[(sel + size) % VT_ARRAY_LEN(caps)];
	struct feeder f = { -1, data, size, limits[(sel >> 3) % 3] };
	int sv[2];
	pthread_t writer;
	struct vt_source *src = NULL;
	struct vt_decoder *dec;
	struct vt_unwrap u;
	struct vt_framer fr;

	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	f.fd = sv[1];
	FUZZ_CHECK(pthread_create(&writer, NULL, feed, &f) == 0);
	FUZZ_CHECK(vt_source_from_fd(sv[0], &src) == VT_OK);
	/* As ingest does: the decoder's scratch is the line cap. */
	dec = vt_decoder_new(max_line);
	vt_unwrap_init(&u, max_line, dec);
	vt_framer_init(&fr, src, max_line, 0);
	frame_all(&fr, &u, data, size, max_line,
		  vt_source_compression(src) == NULL);
	vt_framer_release(&fr);
	vt_unwrap_release(&u);
	vt_decoder_free(dec);
	vt_source_free(src); /* closes sv[0]: a blocked writer fails */
	pthread_join(writer, NULL);
	return 0;
}
