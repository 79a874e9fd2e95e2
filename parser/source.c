/* SPDX-License-Identifier: Apache-2.0 */
/*
 * File sources. The only file that inflates with zlib. Gzip input is
 * detected by the two magic bytes; concatenated members are read one
 * after another (as gzip(1) does), and the CRC and length in each
 * member's trailer are checked by zlib. zstd, xz and bzip2 go through
 * decompress.c, also told by their magic bytes.
 */
#include "source.h"
#include "decompress.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define RAW_CAP (128 * 1024)

/*
 * Read-ahead: a thread that inflates into a ring of buffers while the
 * caller parses, so a .gz costs about what its decompression alone does.
 */
#define PF_BUFS 4
#define PF_CAP (256 * 1024)

struct prefetch {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *buf[PF_BUFS];
	size_t len[PF_BUFS];
	enum vt_err err[PF_BUFS]; /* of the read that filled the slot */
	int err_no[PF_BUFS];
	size_t head, count, pos;  /* ring: next slot, filled slots, used */
	int stop;
	int ended;                /* the consumer has seen the end */
};

struct vt_source {
	struct prefetch *pf;
	int fd;
	int gzip;
	struct vt_codec *codec; /* zstd, xz or bzip2; NULL for plain and gzip */
	enum vt_codec_kind kind;
	int codec_clean;  /* the data so far ends at a stream's end */
	int eof;          /* no more raw bytes */
	int done;         /* no more output */
	int member_end;   /* the last inflate ended a gzip member */
	z_stream z;
	unsigned char *raw;
	size_t raw_len;   /* bytes of raw not yet consumed (plain: prefix) */
	size_t raw_pos;
	uint64_t raw_total;
	const char *error;
	unsigned char tail[256]; /* the last bytes delivered */
	size_t tail_len;
	unsigned char head[1024]; /* the first bytes delivered */
	size_t head_len;
	uint64_t delivered;
};

static void keep_tail(struct vt_source *s, const char *buf, size_t got)
{
	size_t cap = sizeof(s->tail);

	if (got >= cap) {
		memcpy(s->tail, buf + got - cap, cap);
		s->tail_len = cap;
		return;
	}
	if (s->tail_len + got > cap) {
		size_t drop = s->tail_len + got - cap;

		memmove(s->tail, s->tail + drop, s->tail_len - drop);
		s->tail_len -= drop;
	}
	memcpy(s->tail + s->tail_len, buf, got);
	s->tail_len += got;
}

size_t vt_source_head(const struct vt_source *s, const unsigned char **out)
{
	*out = s->head;
	return s->head_len;
}

size_t vt_source_tail(const struct vt_source *s, unsigned char *out,
		      size_t n)
{
	if (n > s->tail_len)
		n = s->tail_len;
	memcpy(out, s->tail + s->tail_len - n, n);
	return n;
}

static enum vt_err fill_raw(struct vt_source *s)
{
	ssize_t n;

	if (s->raw_pos < s->raw_len)
		return VT_OK;
	do
		n = read(s->fd, s->raw, RAW_CAP);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return VT_ERR_IO;
	s->raw_pos = 0;
	s->raw_len = (size_t)n;
	s->raw_total += (uint64_t)n;
	if (n == 0)
		s->eof = 1;
	return VT_OK;
}

enum vt_err vt_source_from_fd(int fd, struct vt_source **out)
{
	struct vt_source *s = vt_xcalloc(1, sizeof(*s));
	enum vt_err err;

	s->fd = fd;
	s->raw = vt_xmalloc(RAW_CAP);
	/* Read the first block to look for the formats' magic bytes. */
	while (s->raw_len < VT_CODEC_MAGIC_LEN && !s->eof) {
		ssize_t n = read(fd, s->raw + s->raw_len, RAW_CAP - s->raw_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = VT_ERR_IO;
			goto fail;
		}
		if (n == 0)
			s->eof = 1;
		s->raw_len += (size_t)n;
		s->raw_total += (uint64_t)n;
	}
	if (s->raw_len >= 2 && s->raw[0] == 0x1f && s->raw[1] == 0x8b) {
		s->gzip = 1;
		if (inflateInit2(&s->z, 15 + 16) != Z_OK) {
			err = VT_ERR_NOMEM;
			goto fail;
		}
	} else if ((s->kind = vt_codec_detect(s->raw, s->raw_len)) !=
		   VT_CODEC_NONE) {
		s->codec = vt_codec_new(s->kind);
		if (!s->codec) {
			err = VT_ERR_NOMEM;
			goto fail;
		}
	}
	*out = s;
	return VT_OK;
fail:
	free(s->raw);
	free(s);
	return err;
}

static enum vt_err open_checked(const char *path, int regular_only,
				struct vt_source **out)
{
	int fd;
	struct stat st;
	enum vt_err err;

	if (strcmp(path, "-") == 0) {
		fd = dup(STDIN_FILENO);
	} else {
		do
			fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
						O_NONBLOCK);
		while (fd < 0 && errno == EINTR);
	}
	if (fd < 0)
		return VT_ERR_IO;
	if (fstat(fd, &st) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return VT_ERR_IO;
	}
	if (S_ISDIR(st.st_mode) || (regular_only && !S_ISREG(st.st_mode))) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return VT_ERR_IO;
	}
	/* O_NONBLOCK only kept open() from hanging on a FIFO; read blocking. */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	err = vt_source_from_fd(fd, out);
	if (err) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return err;
}

enum vt_err vt_source_open(const char *path, struct vt_source **out)
{
	return open_checked(path, 0, out);
}

enum vt_err vt_source_open_regular(const char *path, struct vt_source **out)
{
	return open_checked(path, 1, out);
}

static enum vt_err read_plain(struct vt_source *s, char *buf, size_t cap,
			      size_t *got)
{
	ssize_t n;

	if (s->raw_pos < s->raw_len) {
		size_t take = s->raw_len - s->raw_pos;

		if (take > cap)
			take = cap;
		memcpy(buf, s->raw + s->raw_pos, take);
		s->raw_pos += take;
		*got = take;
		return VT_OK;
	}
	if (s->eof) {
		*got = 0;
		return VT_OK;
	}
	do
		n = read(s->fd, buf, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return VT_ERR_IO;
	if (n == 0)
		s->eof = 1;
	s->raw_total += (uint64_t)n;
	*got = (size_t)n;
	return VT_OK;
}

static enum vt_err format_fail(struct vt_source *s, const char *why)
{
	s->error = why;
	s->done = 1;
	return VT_ERR_FORMAT;
}

/*
 * After a member ends, the next bytes must be another member; anything
 * else is trailing garbage, which gzip(1) also reports.
 */
static enum vt_err next_member(struct vt_source *s)
{
	enum vt_err err = fill_raw(s);

	if (err)
		return err;
	if (s->raw_pos == s->raw_len)
		return VT_OK; /* clean end */
	if (s->raw[s->raw_pos] != 0x1f)
		return format_fail(s, "trailing garbage after gzip data");
	if (inflateReset(&s->z) != Z_OK)
		return format_fail(s, "corrupt gzip data");
	s->member_end = 0;
	return VT_OK;
}

static enum vt_err read_gzip(struct vt_source *s, char *buf, size_t cap,
			     size_t *got)
{
	enum vt_err err;

	*got = 0;
	while (!s->done && *got == 0) {
		if (s->member_end) {
			err = next_member(s);
			if (err)
				return err;
			if (s->member_end) {
				s->done = 1;
				break;
			}
		}
		err = fill_raw(s);
		if (err)
			return err;
		s->z.next_in = s->raw + s->raw_pos;
		s->z.avail_in = (uInt)(s->raw_len - s->raw_pos);
		s->z.next_out = (unsigned char *)buf;
		s->z.avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
		/*
		 * With no input left, inflate may still hold output (a match
		 * it could not finish copying into a full buffer): it is
		 * delivered before the file is called truncated (found by
		 * fuzz_source).
		 */
		int at_end = s->z.avail_in == 0;
		int rc = inflate(&s->z, Z_NO_FLUSH);
		s->raw_pos = s->raw_len - s->z.avail_in;
		*got = (size_t)((char *)s->z.next_out - buf);
		if (at_end && *got == 0 && rc != Z_STREAM_END)
			return format_fail(s, "truncated gzip data");
		if (rc == Z_STREAM_END)
			s->member_end = 1;
		else if (rc == Z_DATA_ERROR)
			return *got ? (s->done = 1, s->error = "corrupt gzip data",
				       VT_OK)
				    : format_fail(s, "corrupt gzip data");
		else if (rc != Z_OK && rc != Z_BUF_ERROR)
			return format_fail(s, "corrupt gzip data");
	}
	return VT_OK;
}

/* zstd, xz, bzip2: the same contract as read_gzip. */
static enum vt_err read_codec(struct vt_source *s, char *buf, size_t cap,
			      size_t *got)
{
	enum vt_err err;

	*got = 0;
	while (!s->done && *got == 0) {
		size_t used = 0;
		const char *why = NULL;

		err = fill_raw(s);
		if (err)
			return err;
		if (s->raw_pos == s->raw_len && s->eof) {
			/* the end of the file: inside a stream is a truncation */
			s->done = 1;
			if (!s->codec_clean)
				return format_fail(s, s->kind == VT_CODEC_ZSTD ? "truncated zstd data"
						  : s->kind == VT_CODEC_XZ ? "truncated xz data"
									    : "truncated bzip2 data");
			break;
		}
		err = vt_codec_step(s->codec, s->raw + s->raw_pos,
				    s->raw_len - s->raw_pos, &used,
				    (unsigned char *)buf, cap, got,
				    &s->codec_clean, &why);
		s->raw_pos += used;
		if (err)
			return *got ? (s->done = 1, s->error = why, VT_OK)
				    : format_fail(s, why);
		if (used == 0 && *got == 0 && s->raw_pos < s->raw_len)
			return format_fail(s, "corrupt compressed data");
	}
	return VT_OK;
}

static enum vt_err read_any(struct vt_source *s, char *buf, size_t cap,
			    size_t *got)
{
	if (!s->gzip && !s->codec)
		return read_plain(s, buf, cap, got);
	if (s->done && s->error) {
		/* Report damage found while delivering the last bytes. */
		const char *why = s->error;

		*got = 0;
		s->error = NULL;
		return format_fail(s, why);
	}
	return s->gzip ? read_gzip(s, buf, cap, got)
		       : read_codec(s, buf, cap, got);
}

static void *prefetcher(void *arg)
{
	struct vt_source *s = arg;
	struct prefetch *pf = s->pf;

	for (;;) {
		pthread_mutex_lock(&pf->mu);
		while (pf->count == PF_BUFS && !pf->stop)
			pthread_cond_wait(&pf->cv, &pf->mu);
		if (pf->stop) {
			pthread_mutex_unlock(&pf->mu);
			break;
		}
		size_t slot = (pf->head + pf->count) % PF_BUFS;
		pthread_mutex_unlock(&pf->mu);
		/* The slot is the producer's until it is counted. */
		size_t got = 0;
		enum vt_err err = read_any(s, pf->buf[slot], PF_CAP, &got);
		int e = errno;

		pthread_mutex_lock(&pf->mu);
		pf->len[slot] = got;
		pf->err[slot] = err;
		pf->err_no[slot] = e;
		pf->count++;
		pthread_cond_broadcast(&pf->cv);
		pthread_mutex_unlock(&pf->mu);
		if (err != VT_OK || got == 0)
			break;
	}
	return NULL;
}

int vt_source_prefetch(struct vt_source *s)
{
	struct prefetch *pf;

	if (s->pf || (!s->gzip && !s->codec) || s->delivered)
		return s->pf != NULL;
	pf = vt_xcalloc(1, sizeof(*pf));
	for (int i = 0; i < PF_BUFS; i++)
		pf->buf[i] = vt_xmalloc(PF_CAP);
	pthread_mutex_init(&pf->mu, NULL);
	pthread_cond_init(&pf->cv, NULL);
	s->pf = pf;
	if (pthread_create(&pf->tid, NULL, prefetcher, s) != 0) {
		s->pf = NULL; /* read in this thread, as without read-ahead */
		for (int i = 0; i < PF_BUFS; i++)
			free(pf->buf[i]);
		pthread_mutex_destroy(&pf->mu);
		pthread_cond_destroy(&pf->cv);
		free(pf);
		return 0;
	}
	return 1;
}

static enum vt_err read_ahead(struct prefetch *pf, char *buf, size_t cap,
			      size_t *got)
{
	enum vt_err err = VT_OK;

	*got = 0;
	if (pf->ended)
		return VT_OK;
	pthread_mutex_lock(&pf->mu);
	while (pf->count == 0)
		pthread_cond_wait(&pf->cv, &pf->mu);
	size_t slot = pf->head;
	pthread_mutex_unlock(&pf->mu);
	if (pf->len[slot] == 0) {
		/* the end, or an error: the last slot the producer fills */
		pf->ended = 1;
		errno = pf->err_no[slot];
		return pf->err[slot];
	}
	size_t take = pf->len[slot] - pf->pos;

	if (take > cap)
		take = cap;
	memcpy(buf, pf->buf[slot] + pf->pos, take);
	pf->pos += take;
	*got = take;
	if (pf->pos == pf->len[slot]) {
		if (pf->err[slot] != VT_OK) {
			/* bytes, then an error in the same read: report it next */
			pf->len[slot] = 0;
			pf->pos = 0;
			return VT_OK;
		}
		pthread_mutex_lock(&pf->mu);
		pf->head = (pf->head + 1) % PF_BUFS;
		pf->count--;
		pf->pos = 0;
		pthread_cond_broadcast(&pf->cv);
		pthread_mutex_unlock(&pf->mu);
	}
	return err;
}

enum vt_err vt_source_read(struct vt_source *s, char *buf, size_t cap,
			   size_t *got)
{
	enum vt_err err = s->pf ? read_ahead(s->pf, buf, cap, got)
				: read_any(s, buf, cap, got);

	if (*got) {
		keep_tail(s, buf, *got);
		if (s->delivered == s->head_len &&
		    s->head_len < sizeof(s->head)) {
			size_t take = sizeof(s->head) - s->head_len;

			if (take > *got)
				take = *got;
			memcpy(s->head + s->head_len, buf, take);
			s->head_len += take;
		}
		s->delivered += *got;
	}
	return err;
}

enum vt_err vt_source_skip(struct vt_source *s, uint64_t n,
			   unsigned char *tail, size_t tail_len)
{
	char buf[64 * 1024];
	uint64_t done = 0;

	if (tail_len > 256)
		return VT_ERR_USAGE;
	if (!s->gzip && !s->codec && n > s->raw_len) {
		/* Plain file: read the tail, then continue after it. */
		uint64_t at = n - tail_len;
		ssize_t r;

		if (lseek(s->fd, (off_t)at, SEEK_SET) < 0)
			return VT_ERR_IO;
		s->raw_pos = s->raw_len = 0;
		s->eof = 0;
		for (size_t got = 0; got < tail_len; got += (size_t)r) {
			do
				r = read(s->fd, tail + got, tail_len - got);
			while (r < 0 && errno == EINTR);
			if (r < 0)
				return VT_ERR_IO;
			if (r == 0)
				return VT_ERR_EOF;
		}
		s->tail_len = 0;
		keep_tail(s, (const char *)tail, tail_len);
		s->delivered = n; /* bytes skipped are not the head */
		return VT_OK;
	}
	while (done < n) {
		size_t want = n - done < sizeof(buf) ? (size_t)(n - done)
						     : sizeof(buf);
		size_t got = 0;
		enum vt_err err = vt_source_read(s, buf, want, &got);

		if (err)
			return err;
		if (got == 0)
			return VT_ERR_EOF;
		done += got;
		/* Keep the last tail_len bytes seen. */
		if (tail_len) {
			if (got >= tail_len) {
				memcpy(tail, buf + got - tail_len, tail_len);
			} else {
				memmove(tail, tail + got, tail_len - got);
				memcpy(tail + tail_len - got, buf, got);
			}
		}
	}
	return VT_OK;
}

const char *vt_source_error(const struct vt_source *s)
{
	return s->error ? s->error : "invalid data";
}

int vt_source_is_gzip(const struct vt_source *s)
{
	return s->gzip;
}

const char *vt_source_compression(const struct vt_source *s)
{
	return s->gzip ? "gzip" : s->codec ? vt_codec_name(s->kind) : NULL;
}

uint64_t vt_source_raw_bytes(const struct vt_source *s)
{
	return s->raw_total;
}

int vt_source_fd(const struct vt_source *s)
{
	return s->fd;
}

void vt_source_free(struct vt_source *s)
{
	if (!s)
		return;
	if (s->pf) {
		struct prefetch *pf = s->pf;

		pthread_mutex_lock(&pf->mu);
		pf->stop = 1;
		pthread_cond_broadcast(&pf->cv);
		pthread_mutex_unlock(&pf->mu);
		pthread_join(pf->tid, NULL);
		for (int i = 0; i < PF_BUFS; i++)
			free(pf->buf[i]);
		pthread_mutex_destroy(&pf->mu);
		pthread_cond_destroy(&pf->cv);
		free(pf);
	}
	if (s->gzip)
		inflateEnd(&s->z);
	vt_codec_free(s->codec);
	if (s->fd >= 0)
		close(s->fd);
	free(s->raw);
	free(s);
}
