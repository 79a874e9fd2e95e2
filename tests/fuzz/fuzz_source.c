/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: byte sources (parser/source.c). The input is a file's
 * contents, written to one memfd per process and opened again for each
 * run. Plain input must come back unchanged; input that starts with
 * gzip's magic is compared with zlib's own inflate over concatenated
 * members (the oracle): the source delivers a prefix of what zlib
 * delivers, all of it exactly when both end cleanly, and a damaged,
 * truncated or trailing-garbage file ends in VT_ERR_FORMAT, not in a
 * crash or a hang. Reads use odd buffer sizes; head, tail and skip are
 * checked against the bytes read. A truncated copy of the input gets the
 * same treatment, so truncation is tried on every gzip input. zstd, xz
 * and bzip2 input (by magic) must end cleanly or in VT_ERR_FORMAT.
 */
#define _GNU_SOURCE
#include "fuzz.h"
#include "../../parser/source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

/* Decompressed bytes looked at: a gzip bomb is cut off here. */
#define OUT_CAP (4u << 20)

static int memfd = -1;
static char path[64];
static unsigned char *out, *ref, *rest;

static void init(void)
{
	memfd = memfd_create("fuzz_source", MFD_CLOEXEC);
	FUZZ_CHECK(memfd >= 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	out = vt_xmalloc(OUT_CAP);
	ref = vt_xmalloc(OUT_CAP);
	rest = vt_xmalloc(OUT_CAP);
}

static void put_file(const uint8_t *data, size_t size)
{
	FUZZ_CHECK(ftruncate(memfd, 0) == 0);
	FUZZ_CHECK(pwrite(memfd, data, size, 0) == (ssize_t)size);
}

/* The oracle. Returns the bytes inflated; *clean is 1 for a clean end. */
static size_t reference(const uint8_t *in, size_t n, int *clean)
{
	z_stream z;
	size_t pos = 0, len = 0;

	*clean = 0;
	memset(&z, 0, sizeof(z));
	FUZZ_CHECK(inflateInit2(&z, 15 + 16) == Z_OK);
	for (;;) {
		z.next_in = (unsigned char *)(uintptr_t)(in + pos);
		z.avail_in = (uInt)(n - pos);
		z.next_out = ref + len;
		z.avail_out = (uInt)(OUT_CAP - len);
		int rc = inflate(&z, Z_NO_FLUSH);

		pos = n - z.avail_in;
		len = OUT_CAP - z.avail_out;
		if (rc == Z_STREAM_END) {
			if (pos == n) {
				*clean = 1;
				break;
			}
			if (in[pos] != 0x1f || inflateReset(&z) != Z_OK)
				break; /* trailing garbage */
			continue;
		}
		if (len == OUT_CAP) {
			*clean = -1; /* cut off: unknown */
			break;
		}
		if (rc != Z_OK || z.avail_in == 0)
			break; /* damaged or truncated */
	}
	inflateEnd(&z);
	return len;
}

/* Reads a source to its end in odd sizes; *err is the last status. */
static size_t read_all(struct vt_source *s, unsigned char *buf,
		       const uint8_t *data, size_t size, enum vt_err *err)
{
	static const size_t limits[] = { 7, 300, 70000 };
	size_t limit = limits[size ? data[size - 1] % 3 : 0], len = 0, k = 0;

	*err = VT_OK;
	while (len < OUT_CAP) {
		size_t cap = 1 + ((size ? data[k % size] : 0) * 7u + k) % limit;
		size_t got = 0;

		k++;
		if (cap > OUT_CAP - len)
			cap = OUT_CAP - len;
		*err = vt_source_read(s, (char *)buf + len, cap, &got);
		FUZZ_CHECK(got <= cap);
		len += got;
		if (*err) {
			FUZZ_CHECK(*err == VT_ERR_FORMAT && got == 0);
			FUZZ_CHECK(vt_source_error(s) != NULL);
			break;
		}
		if (got == 0)
			break;
	}
	return len;
}

/* Head and tail agree with the bytes delivered. */
static void check_ends(const struct vt_source *s, size_t len)
{
	const unsigned char *head;
	unsigned char tail[256];
	size_t hn = vt_source_head(s, &head);
	size_t tn = vt_source_tail(s, tail, sizeof(tail));

	FUZZ_CHECK(hn == (len < 1024 ? len : 1024));
	FUZZ_CHECK(hn == 0 || memcmp(head, out, hn) == 0);
	FUZZ_CHECK(tn == (len < 256 ? len : 256));
	FUZZ_CHECK(tn == 0 || memcmp(tail, out + len - tn, tn) == 0);
}

/* Skipping n bytes then reading gives the same bytes as reading. */
static void check_skip(const uint8_t *data, size_t size, size_t len,
		       int complete)
{
	struct vt_source *s = NULL;
	unsigned char tail[256];
	uint64_t n = size ? (data[size / 2] * 131u + size) % (len + 2) : 0;
	size_t tail_len = n < 64 ? (size_t)n : 64, got;
	enum vt_err e, err;

	FUZZ_CHECK(vt_source_open(path, &s) == VT_OK);
	e = vt_source_skip(s, n, tail, tail_len);
	if (e == VT_OK) {
		FUZZ_CHECK(n <= len || !complete);
		if (n <= len)
			FUZZ_CHECK(tail_len == 0 ||
				   memcmp(tail, out + n - tail_len, tail_len) == 0);
		got = read_all(s, rest, data, size, &err);
		if (complete && n <= len)
			FUZZ_CHECK(got == len - n &&
				   (got == 0 || memcmp(rest, out + n, got) == 0));
	} else {
		FUZZ_CHECK(e == VT_ERR_EOF || e == VT_ERR_FORMAT);
		FUZZ_CHECK(e != VT_ERR_EOF || n > len || !complete);
	}
	vt_source_free(s);
}

static void one_file(const uint8_t *data, size_t size)
{
	struct vt_source *s = NULL;
	int fd, gzip, clean;
	enum vt_err err;
	size_t len, rlen;

	put_file(data, size);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(vt_source_from_fd(fd, &s) == VT_OK);
	gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
	FUZZ_CHECK(vt_source_is_gzip(s) == gzip);
	FUZZ_CHECK(vt_source_fd(s) == fd);
	len = read_all(s, out, data, size, &err);
	check_ends(s, len);
	FUZZ_CHECK(vt_source_raw_bytes(s) <= size);
	if (!gzip && vt_source_compression(s)) {
		/*
		 * zstd, xz or bzip2 (by their magic bytes): no oracle here (the
		 * libraries are the decoders); whatever the bytes, the read
		 * ends cleanly or in VT_ERR_FORMAT, and nothing follows damage.
		 */
		FUZZ_CHECK(err == VT_OK || err == VT_ERR_FORMAT);
		if (err) {
			size_t got = 1;

			vt_source_read(s, (char *)rest, 16, &got);
			FUZZ_CHECK(got == 0);
		}
		vt_source_free(s);
		check_skip(data, size, len, len < OUT_CAP && err == VT_OK);
		return;
	}
	if (!gzip) {
		/* Plain: the bytes themselves, all of them, no error. */
		FUZZ_CHECK(err == VT_OK && len == size);
		FUZZ_CHECK(size == 0 || memcmp(out, data, size) == 0);
		FUZZ_CHECK(vt_source_raw_bytes(s) == size);
		vt_source_free(s);
		check_skip(data, size, len, 1);
		return;
	}
	rlen = reference(data, size, &clean);
	FUZZ_CHECK(len <= rlen);
	FUZZ_CHECK(len == 0 || memcmp(out, ref, len) == 0);
	if (len < OUT_CAP && clean >= 0) {
		/* Both read to the end: same bytes, same verdict. */
		FUZZ_CHECK(len == rlen);
		FUZZ_CHECK((err == VT_OK) == (clean == 1));
	}
	if (err) {
		size_t got = 1;

		/* At its end after the damage: no more bytes. */
		vt_source_read(s, (char *)rest, 16, &got);
		FUZZ_CHECK(got == 0);
	}
	vt_source_free(s);
	check_skip(data, size, len, len < OUT_CAP && clean == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memfd < 0)
		init();
	one_file(data, size);
	if (size > 1)
		one_file(data, size - 1 - data[size - 1] % (size - 1 < 64
								 ? size - 1
								 : 64));
	return 0;
}
