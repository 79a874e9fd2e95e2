/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: reading a report back, as 'merge' does. The input is a
 * report file's bytes: written to a memfd and read through the same
 * reader as merge (so gzip'd input is decompressed, damaged gzip refused),
 * then parsed (reporter/report_read.c); the raw bytes are also parsed
 * directly from a buffer of exactly their size, so a read past the end
 * is caught. Parsing must refuse with a message that carries no input
 * byte, or give a summary that survives the round trip (written as JSON,
 * parsed again and written again, the bytes are the same) and merging
 * (see exercise).
 */
#define _GNU_SOURCE
#include "fuzz.h"
#include "../../parser/source.h"
#include "../../reporter/report.h"
#include "../../src/common.h"

#include <sys/mman.h>
#include <unistd.h>

static int memfd = -1;
static char path[64];
static struct vt_scrubber *scrub;
static struct vt_summary *s1, *s2, *m;

static void init(void)
{
	memfd = memfd_create("fuzz_report", MFD_CLOEXEC);
	FUZZ_CHECK(memfd >= 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	scrub = vt_scrubber_new();
	s1 = vt_xcalloc(1, sizeof(*s1));
	s2 = vt_xcalloc(1, sizeof(*s2));
	m = vt_xcalloc(1, sizeof(*m));
}

/* The message names a field or a reason: printable ASCII, never input. */
static void check_message(const char *err)
{
	FUZZ_CHECK(err[0] != '\0');
	for (const char *p = err; *p; p++)
		FUZZ_CHECK(*p >= 0x20 && *p < 0x7f);
}

static enum vt_err parse(const char *p, size_t n, struct vt_summary *s)
{
	char err[160] = "";
	enum vt_err e = vt_report_parse(p, n, s, err, sizeof(err));

	if (e != VT_OK) {
		FUZZ_CHECK(e == VT_ERR_FORMAT);
		check_message(err);
	}
	return e;
}

/* The summary as JSON; returns how many strings the scrubber replaced. */
static unsigned write_json(const struct vt_summary *s, struct vt_buf *out)
{
	struct vt_report_meta meta = { NULL };
	struct vt_sink sink;
	unsigned redacted = 0;

	vt_buf_reset(out);
	vt_sink_buffer(out, &sink);
	FUZZ_CHECK(vt_report_write_json(s, &meta, scrub, &sink, &redacted) ==
		   VT_OK);
	return redacted;
}

static int same(const struct vt_buf *a, const struct vt_buf *b)
{
	return a->len == b->len && memcmp(a->ptr, b->ptr, a->len) == 0;
}

/*
 * Written and read back, a summary writes the same bytes. A name the
 * scrubber replaces comes back as "redacted" (two of them would be one
 * key twice, which the reader refuses): the check is for every summary
 * without such names.
 */
static void round_trip(const struct vt_summary *s, struct vt_buf *j1,
		       struct vt_buf *j2)
{
	if (write_json(s, j1) != 0)
		return;
	FUZZ_CHECK(parse(j1->ptr, j1->len, s2) == VT_OK);
	write_json(s2, j2);
	FUZZ_CHECK(same(j1, j2));
}

/*
 * A parsed report: the round trip; merged into an empty summary (which
 * sorts names and hours and counts instances from the sketch) and round
 * tripped, then merged again, nothing changes; merged with itself,
 * counts double.
 */
static void exercise(void)
{
	struct vt_buf j1, j2;

	vt_buf_init(&j1, SIZE_MAX / 2);
	vt_buf_init(&j2, SIZE_MAX / 2);
	round_trip(s1, &j1, &j2);

	memset(m, 0, sizeof(*m));
	vt_summary_merge(m, s1);
	round_trip(m, &j1, &j2);
	if (write_json(m, &j1) == 0) {
		FUZZ_CHECK(parse(j1.ptr, j1.len, s2) == VT_OK);
		memset(m, 0, sizeof(*m));
		vt_summary_merge(m, s2);
		write_json(m, &j2);
		FUZZ_CHECK(same(&j1, &j2));
	}

	memset(m, 0, sizeof(*m));
	vt_summary_merge(m, s1);
	vt_summary_merge(m, s1);
	FUZZ_CHECK(m->nbackends <= VT_ARRAY_LEN(m->backends));
	FUZZ_CHECK(m->nclients <= VT_ARRAY_LEN(m->clients));
	FUZZ_CHECK(m->nhours <= VT_MAX_HOURS);
	if (s1->tool_calls <= UINT64_MAX / 2)
		FUZZ_CHECK(m->tool_calls == 2 * s1->tool_calls);
	if (s1->quality.lines_read <= UINT64_MAX / 2)
		FUZZ_CHECK(m->quality.lines_read == 2 * s1->quality.lines_read);
	write_json(m, &j2);
	vt_buf_release(&j1);
	vt_buf_release(&j2);
}

/* Whether the source reads the file as it is (no decompressor took it). */
static int plain_file(void)
{
	struct vt_source *src = NULL;
	int plain;

	FUZZ_CHECK(vt_source_open(path, &src) == VT_OK);
	plain = vt_source_compression(src) == NULL;
	vt_source_free(src);
	return plain;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = 0;
	const char *why = NULL;
	char *exact, *text;

	if (memfd < 0)
		init();
	/* The bytes as they are, in a buffer of exactly their size. */
	exact = vt_xmalloc(size ? size : 1);
	if (size)
		memcpy(exact, data, size);
	if (parse(exact, size, s1) == VT_OK)
		exercise();
	free(exact);

	/* The bytes as a file, through merge's reader (gzip or plain). */
	FUZZ_CHECK(ftruncate(memfd, 0) == 0);
	FUZZ_CHECK(pwrite(memfd, data, size, 0) == (ssize_t)size);
	text = vt_read_report_file(path, &len, &why);
	if (!text) {
		FUZZ_CHECK(why != NULL);
		check_message(why);
		return 0;
	}
	FUZZ_CHECK(text[len] == '\0');
	/* Plain bytes come back as they are; any compression the source
	 * knows by its magic (gzip, zstd, xz, bzip2) was read through. */
	if (plain_file())
		FUZZ_CHECK(len == size && memcmp(text, data, size) == 0);
	if (parse(text, len, s1) == VT_OK)
		exercise();
	free(text);
	return 0;
}
