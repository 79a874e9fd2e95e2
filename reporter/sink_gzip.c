/* SPDX-License-Identifier: Apache-2.0 */
/* The gzip sink: the only file that deflates with zlib. */
#include "sink.h"

#include <stdlib.h>
#include <zlib.h>

struct gzip_sink {
	z_stream z;
	struct vt_sink inner;
	unsigned char out[64 * 1024];
};

static enum vt_err pump(struct gzip_sink *g, int flush)
{
	int rc;

	do {
		g->z.next_out = g->out;
		g->z.avail_out = sizeof(g->out);
		rc = deflate(&g->z, flush);
		if (rc == Z_STREAM_ERROR)
			return VT_ERR_FORMAT;
		size_t n = sizeof(g->out) - g->z.avail_out;
		if (n) {
			enum vt_err err = vt_sink_write(&g->inner, g->out, n);

			if (err)
				return err;
		}
	} while (g->z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
	return VT_OK;
}

static enum vt_err gzip_write(void *ctx, const void *p, size_t n)
{
	struct gzip_sink *g = ctx;

	while (n) {
		uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;

		g->z.next_in = (unsigned char *)(uintptr_t)p;
		g->z.avail_in = chunk;
		enum vt_err err = pump(g, Z_NO_FLUSH);
		if (err)
			return err;
		p = (const char *)p + chunk;
		n -= chunk;
	}
	return VT_OK;
}

static enum vt_err gzip_close(void *ctx)
{
	struct gzip_sink *g = ctx;
	enum vt_err err = pump(g, Z_FINISH);

	deflateEnd(&g->z);
	if (err)
		g->inner.abort(g->inner.ctx);
	else
		err = g->inner.close(g->inner.ctx);
	free(g);
	return err;
}

static void gzip_abort(void *ctx)
{
	struct gzip_sink *g = ctx;

	deflateEnd(&g->z);
	g->inner.abort(g->inner.ctx);
	free(g);
}

enum vt_err vt_sink_gzip(const struct vt_sink *inner, struct vt_sink *out)
{
	struct gzip_sink *g = vt_xcalloc(1, sizeof(*g));

	g->inner = *inner;
	/*
	 * 15 + 16: a gzip wrapper. No file name and a zero mtime in the
	 * header, so the same report gives the same bytes.
	 */
	if (deflateInit2(&g->z, 6, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		free(g);
		return VT_ERR_NOMEM;
	}
	out->write = gzip_write;
	out->close = gzip_close;
	out->abort = gzip_abort;
	out->ctx = g;
	return VT_OK;
}
