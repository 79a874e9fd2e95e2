/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wrapper detection. containerd writes "<time> <stream> <tag> <content>"
 * where tag is F (full) or P (partial, split at 16 KiB); Docker's
 * json-file driver writes one JSON object per chunk whose "log" ends in a
 * newline only on the line's last chunk. Detection is per line, so a file
 * may mix formats (it never does in practice, but nothing breaks if so).
 */
#include "unwrap.h"

#include <stdint.h>
#include <string.h>

const char *const vt_wrapper_names[VT_WRAP_COUNT] = {
	[VT_WRAP_NONE] = "none",
	[VT_WRAP_CRI] = "cri",
	[VT_WRAP_DOCKER] = "docker",
};

void vt_unwrap_init(struct vt_unwrap *u, size_t max_line,
		    struct vt_decoder *dec)
{
	memset(u, 0, sizeof(*u));
	u->max_line = max_line;
	u->dec = dec;
	for (int w = 0; w < VT_WRAP_COUNT; w++)
		for (int s = 0; s < 2; s++)
			vt_buf_init(&u->join[w][s], max_line);
}

void vt_unwrap_release(struct vt_unwrap *u)
{
	for (int w = 0; w < VT_WRAP_COUNT; w++)
		for (int s = 0; s < 2; s++)
			vt_buf_release(&u->join[w][s]);
}

void vt_unwrap_reset(struct vt_unwrap *u)
{
	for (int w = 0; w < VT_WRAP_COUNT; w++)
		for (int s = 0; s < 2; s++) {
			vt_buf_reset(&u->join[w][s]);
			u->overflow[w][s] = 0;
		}
	u->held = 0;
}

int vt_unwrap_pending(const struct vt_unwrap *u)
{
	return u->held != 0;
}

/* Keeps held in step with slot [w][s]; called after every change to it. */
static void note_held(struct vt_unwrap *u, int w, int s)
{
	unsigned bit = 1u << (w * 2 + s);

	if (u->join[w][s].len || u->overflow[w][s])
		u->held |= bit;
	else
		u->held &= ~bit;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Recognizes "<ts> <stream> <tag> " and returns the content's offset, or
 * 0 when the line is not CRI, or SIZE_MAX when a CRI timestamp and stream
 * are followed by a bad tag (a broken wrapper). The timestamp is checked
 * for its shape only; the content's own time is what counts.
 */
static size_t cri_header(const char *p, size_t n, int *stream, int *partial)
{
	size_t i = 0;

	if (n < 20 || !is_digit(p[0]) || !is_digit(p[3]) || p[4] != '-' ||
	    p[7] != '-' || p[10] != 'T')
		return 0;
	while (i < n && i < 64 && p[i] != ' ')
		i++;
	if (i == n || p[i] != ' ')
		return 0;
	i++;
	if (n - i >= 7 && memcmp(p + i, "stdout ", 7) == 0)
		*stream = 0;
	else if (n - i >= 7 && memcmp(p + i, "stderr ", 7) == 0)
		*stream = 1;
	else
		return 0;
	i += 7;
	/* The tag is a colon-separated list whose first entry is P or F. */
	if (i >= n || (p[i] != 'P' && p[i] != 'F'))
		return SIZE_MAX;
	*partial = p[i] == 'P';
	while (i < n && p[i] != ' ')
		i++;
	return i < n ? i + 1 : i;
}

/* Appends a part; returns the finished line when final. */
static enum vt_unwrap_result join_part(struct vt_unwrap *u, enum vt_wrapper w,
				       int stream, const char *p, size_t n,
				       int final, struct vt_sv *inner)
{
	struct vt_buf *b = &u->join[w][stream];

	if (!final || b->len || u->overflow[w][stream]) {
		if (!u->overflow[w][stream] && vt_buf_append(b, p, n)) {
			u->overflow[w][stream] = 1;
			vt_buf_reset(b);
		}
		if (!final)
			return VT_UNWRAP_PENDING;
		if (u->overflow[w][stream]) {
			u->overflow[w][stream] = 0;
			return VT_UNWRAP_TOO_LONG;
		}
		inner->ptr = b->ptr;
		inner->len = b->len;
		b->len = 0; /* the bytes stay valid until the next append */
		return VT_UNWRAP_LINE;
	}
	inner->ptr = p;
	inner->len = n;
	return VT_UNWRAP_LINE;
}

static enum vt_unwrap_result join(struct vt_unwrap *u, enum vt_wrapper w,
				  int stream, const char *p, size_t n,
				  int final, struct vt_sv *inner)
{
	enum vt_unwrap_result r = join_part(u, w, stream, p, n, final, inner);

	note_held(u, (int)w, stream);
	u->last_slot = (unsigned)w * 2 + (unsigned)stream;
	return r;
}

static enum vt_unwrap_result docker(struct vt_unwrap *u, const char *p,
				    size_t n, struct vt_sv *inner)
{
	struct vt_sv log;
	int stream, final;

	if (vt_decode_docker(u->dec, p, n, &log, &stream) != 0)
		return VT_UNWRAP_BAD;
	final = log.len && log.ptr[log.len - 1] == '\n';
	if (final) {
		log.len--;
		if (log.len && log.ptr[log.len - 1] == '\r')
			log.len--;
	}
	return join(u, VT_WRAP_DOCKER, stream, log.ptr, log.len, final, inner);
}

enum vt_unwrap_result vt_unwrap_line(struct vt_unwrap *u, const char *p,
				     size_t n, struct vt_sv *inner,
				     enum vt_wrapper *kind)
{
	int stream = 0, partial = 0;
	size_t off;

	if (n > 7 && memcmp(p, "{\"log\":", 7) == 0) {
		*kind = VT_WRAP_DOCKER;
		return docker(u, p, n, inner);
	}
	off = cri_header(p, n, &stream, &partial);
	if (off == SIZE_MAX) {
		*kind = VT_WRAP_CRI;
		return VT_UNWRAP_BAD;
	}
	if (off) {
		*kind = VT_WRAP_CRI;
		return join(u, VT_WRAP_CRI, stream, p + off, n - off, !partial,
			    inner);
	}
	*kind = VT_WRAP_NONE;
	inner->ptr = p;
	inner->len = n;
	return VT_UNWRAP_LINE;
}

int vt_unwrap_flush(struct vt_unwrap *u, struct vt_sv *inner,
		    enum vt_wrapper *kind)
{
	for (int w = 0; w < VT_WRAP_COUNT; w++)
		for (int s = 0; s < 2; s++) {
			struct vt_buf *b = &u->join[w][s];

			if (u->overflow[w][s]) {
				u->overflow[w][s] = 0;
				vt_buf_reset(b);
				note_held(u, w, s);
				*kind = (enum vt_wrapper)w;
				return 2;
			}
			if (b->len) {
				inner->ptr = b->ptr;
				inner->len = b->len;
				b->len = 0;
				note_held(u, w, s);
				*kind = (enum vt_wrapper)w;
				return 1;
			}
		}
	return 0;
}
