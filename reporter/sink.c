/* SPDX-License-Identifier: Apache-2.0 */
/* File, buffer and hash sinks. */
#include "sink.h"
#include "../util/hash.h"
#include "../util/tempfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct file_sink {
	int fd;
	int is_stdout;
	char *path;
	char *tmp;
};

static enum vt_err write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return VT_ERR_IO;
		c += w;
		n -= (size_t)w;
	}
	return VT_OK;
}

static enum vt_err file_write(void *ctx, const void *p, size_t n)
{
	struct file_sink *f = ctx;

	return write_all(f->fd, p, n);
}

static void file_free(struct file_sink *f)
{
	free(f->path);
	free(f->tmp);
	free(f);
}

static void file_abort(void *ctx)
{
	struct file_sink *f = ctx;

	if (!f->is_stdout) {
		close(f->fd);
		unlink(f->tmp);
	}
	file_free(f);
}

static enum vt_err sync_dir(const char *path)
{
	char *copy = vt_xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	enum vt_err err = VT_OK;

	free(copy);
	if (fd < 0)
		return VT_ERR_IO;
	if (fsync(fd) != 0 && errno != EINVAL)
		err = VT_ERR_IO;
	close(fd);
	return err;
}

static enum vt_err file_close(void *ctx)
{
	struct file_sink *f = ctx;
	enum vt_err err = VT_OK;
	int e = 0;

	if (f->is_stdout) {
		file_free(f);
		return VT_OK;
	}
	if (fsync(f->fd) != 0 && errno != EINVAL)
		err = VT_ERR_IO, e = errno;
	if (close(f->fd) != 0 && !err)
		err = VT_ERR_IO, e = errno;
	if (!err && rename(f->tmp, f->path) != 0)
		err = VT_ERR_IO, e = errno;
	if (!err)
		err = sync_dir(f->path), e = errno;
	if (err && e)
		unlink(f->tmp);
	file_free(f);
	errno = e;
	return err;
}

enum vt_err vt_sink_file(const char *path, unsigned mode, struct vt_sink *out)
{
	struct file_sink *f = vt_xcalloc(1, sizeof(*f));

	if (strcmp(path, "-") == 0) {
		f->fd = STDOUT_FILENO;
		f->is_stdout = 1;
	} else {
		f->path = vt_xstrdup(path);
		f->fd = vt_create_temp(path, mode ? mode : 0600, &f->tmp);
		if (f->fd < 0) {
			int e = errno;

			file_free(f);
			errno = e;
			return VT_ERR_IO;
		}
	}
	out->write = file_write;
	out->close = file_close;
	out->abort = file_abort;
	out->ctx = f;
	return VT_OK;
}

static enum vt_err buffer_write(void *ctx, const void *p, size_t n)
{
	return vt_buf_append(ctx, p, n);
}

static enum vt_err buffer_close(void *ctx)
{
	(void)ctx;
	return VT_OK;
}

static void buffer_abort(void *ctx)
{
	(void)ctx;
}

void vt_sink_buffer(struct vt_buf *buf, struct vt_sink *out)
{
	out->write = buffer_write;
	out->close = buffer_close;
	out->abort = buffer_abort;
	out->ctx = buf;
}

struct sha_sink {
	struct vt_sha256 sha;
	unsigned char *digest;
};

static enum vt_err sha_write(void *ctx, const void *p, size_t n)
{
	struct sha_sink *s = ctx;

	vt_sha256_update(&s->sha, p, n);
	return VT_OK;
}

static enum vt_err sha_close(void *ctx)
{
	struct sha_sink *s = ctx;

	vt_sha256_final(&s->sha, s->digest);
	free(s);
	return VT_OK;
}

static void sha_abort(void *ctx)
{
	free(ctx);
}

void vt_sink_sha256(unsigned char *digest, struct vt_sink *out)
{
	struct sha_sink *s = vt_xcalloc(1, sizeof(*s));

	vt_sha256_init(&s->sha);
	s->digest = digest;
	out->write = sha_write;
	out->close = sha_close;
	out->abort = sha_abort;
	out->ctx = s;
}
