/* SPDX-License-Identifier: Apache-2.0 */
/* Byte sinks that chain: JSON generator -> gzip -> file. */
#ifndef VT_SINK_H
#define VT_SINK_H

#include "../util/buf.h"

/*
 * A sink takes bytes through write, and finishes with exactly one of
 * close (make the output real) or abort (leave nothing behind); both
 * free the sink's context. A sink that wraps another owns it.
 */
struct vt_sink {
	enum vt_err (*write)(void *ctx, const void *p, size_t n);
	enum vt_err (*close)(void *ctx);
	void (*abort)(void *ctx);
	void *ctx;
};

/*
 * A file sink. "-" writes to stdout. Otherwise bytes go to a temporary
 * file beside path (vt_create_temp: mode 0600, or mode less the umask
 * when mode is not 0600), which close
 * fsyncs and renames over path, then fsyncs the directory; abort removes
 * it. On error returns VT_ERR_IO with errno set.
 */
enum vt_err vt_sink_file(const char *path, unsigned mode,
			 struct vt_sink *out);

/* A sink that appends to buf (borrowed; must outlive the sink). */
void vt_sink_buffer(struct vt_buf *buf, struct vt_sink *out);

/* A sink that gzips into inner, taking ownership of inner. */
enum vt_err vt_sink_gzip(const struct vt_sink *inner, struct vt_sink *out);

/* A sink that feeds SHA-256; close writes the digest into out (32 bytes). */
void vt_sink_sha256(unsigned char *digest, struct vt_sink *out);

static inline enum vt_err vt_sink_write(struct vt_sink *s, const void *p,
					size_t n)
{
	return s->write(s->ctx, p, n);
}

#endif
