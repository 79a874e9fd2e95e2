/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for parser/lines.h and parser/source.h: framing, limits, gzip. */
#include "../../parser/lines.h"
#include "../../parser/source.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

Suite *lines_suite(void);

static char tmpdir[64];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vt-lines-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static void path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
}

static void write_file(const char *name, const void *data, size_t len)
{
	char path[256];
	FILE *fp;

	path_of(path, sizeof(path), name);
	fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	if (len)
		ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
}

/* Writes data as one gzip member, appended when append is set. */
static void write_gz(const char *name, const void *data, size_t len,
		     int append)
{
	char path[256];
	gzFile gz;

	path_of(path, sizeof(path), name);
	gz = gzopen(path, append ? "ab" : "wb");
	ck_assert_ptr_nonnull(gz);
	if (len)
		ck_assert_int_eq(gzwrite(gz, data, (unsigned)len), (int)len);
	ck_assert_int_eq(gzclose(gz), Z_OK);
}

static char *read_raw(const char *name, size_t *len)
{
	char path[256];
	struct stat st;
	char *buf;
	FILE *fp;

	path_of(path, sizeof(path), name);
	ck_assert_int_eq(stat(path, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(buf);
	fp = fopen(path, "rb");
	ck_assert_ptr_nonnull(fp);
	*len = fread(buf, 1, (size_t)st.st_size, fp);
	fclose(fp);
	return buf;
}

static struct vt_source *open_src(const char *name)
{
	char path[256];
	struct vt_source *s = NULL;

	path_of(path, sizeof(path), name);
	ck_assert_int_eq(vt_source_open(path, &s), VT_OK);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* One framed result, copied out of the framer. */
struct frame {
	enum vt_frame t;
	char *text;
	size_t len;
	uint64_t offset, end, number, skipped;
	size_t nuls;
};

struct frames {
	struct frame *f;
	size_t n;
	enum vt_err err; /* the framer's err at the end */
};

/* Frames a whole file; the last frame is VT_FRAME_EOF or VT_FRAME_ERROR. */
static struct frames frame_file(const char *name, size_t max_line,
				uint64_t base)
{
	struct vt_source *s = open_src(name);
	struct vt_framer fr;
	struct frames out = { NULL, 0, VT_OK };

	vt_framer_init(&fr, s, max_line, base);
	for (;;) {
		struct vt_line l;
		enum vt_frame t = vt_framer_next(&fr, &l);
		struct frame *f;

		out.f = realloc(out.f, (out.n + 1) * sizeof(*out.f));
		ck_assert_ptr_nonnull(out.f);
		f = &out.f[out.n++];
		memset(f, 0, sizeof(*f));
		f->t = t;
		f->len = l.len;
		f->text = malloc(l.len + 1);
		ck_assert_ptr_nonnull(f->text);
		if (l.len)
			memcpy(f->text, l.ptr, l.len);
		f->text[l.len] = '\0';
		f->offset = l.offset;
		f->end = l.end;
		f->number = l.number;
		f->skipped = l.skipped_bytes;
		f->nuls = l.leading_nuls;
		if (t == VT_FRAME_EOF || t == VT_FRAME_ERROR)
			break;
		ck_assert_uint_lt(out.n, 1000000);
	}
	out.err = fr.err;
	/* the end stays the end */
	{
		struct vt_line l;
		enum vt_frame again = vt_framer_next(&fr, &l);

		ck_assert_int_eq(again, out.f[out.n - 1].t);
	}
	vt_framer_release(&fr);
	vt_source_free(s);
	return out;
}

static void frames_free(struct frames *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		free(fs->f[i].text);
	free(fs->f);
}

static void expect_frame(const struct frame *f, enum vt_frame t,
			 const char *text, uint64_t offset, uint64_t end,
			 uint64_t number)
{
	ck_assert_int_eq(f->t, t);
	ck_assert_uint_eq(f->len, strlen(text));
	ck_assert_str_eq(f->text, text);
	ck_assert_uint_eq(f->offset, offset);
	ck_assert_uint_eq(f->end, end);
	ck_assert_uint_eq(f->number, number);
}

START_TEST(lf_and_crlf)
{
	static const char data[] = "a\r\nbb\nccc\r\nx\ry\n";
	struct frames fs;

	write_file("f.log", data, sizeof(data) - 1);
	fs = frame_file("f.log", 100, 0);
	ck_assert_uint_eq(fs.n, 5);
	expect_frame(&fs.f[0], VT_FRAME_LINE, "a", 0, 3, 1);
	expect_frame(&fs.f[1], VT_FRAME_LINE, "bb", 3, 6, 2);
	expect_frame(&fs.f[2], VT_FRAME_LINE, "ccc", 6, 11, 3);
	/* a CR not before the newline stays */
	expect_frame(&fs.f[3], VT_FRAME_LINE, "x\ry", 11, 15, 4);
	ck_assert_int_eq(fs.f[4].t, VT_FRAME_EOF);
	ck_assert_int_eq(fs.err, VT_OK);
	frames_free(&fs);
}
END_TEST

START_TEST(final_line_partial)
{
	static const char data[] = "one\ntwo";
	static const char data2[] = "one\ntwo\r";
	struct frames fs;

	write_file("f.log", data, sizeof(data) - 1);
	fs = frame_file("f.log", 100, 0);
	ck_assert_uint_eq(fs.n, 3);
	expect_frame(&fs.f[0], VT_FRAME_LINE, "one", 0, 4, 1);
	expect_frame(&fs.f[1], VT_FRAME_PARTIAL, "two", 4, 7, 2);
	ck_assert_int_eq(fs.f[2].t, VT_FRAME_EOF);
	frames_free(&fs);

	write_file("g.log", data2, sizeof(data2) - 1);
	fs = frame_file("g.log", 100, 0);
	ck_assert_uint_eq(fs.n, 3);
	expect_frame(&fs.f[1], VT_FRAME_PARTIAL, "two", 4, 8, 2);
	frames_free(&fs);
}
END_TEST

START_TEST(empty_lines_and_file)
{
	static const char data[] = "\n\n\r\nx\n";
	struct frames fs;

	write_file("f.log", data, sizeof(data) - 1);
	fs = frame_file("f.log", 100, 0);
	ck_assert_uint_eq(fs.n, 5);
	expect_frame(&fs.f[0], VT_FRAME_LINE, "", 0, 1, 1);
	expect_frame(&fs.f[1], VT_FRAME_LINE, "", 1, 2, 2);
	expect_frame(&fs.f[2], VT_FRAME_LINE, "", 2, 4, 3);
	expect_frame(&fs.f[3], VT_FRAME_LINE, "x", 4, 6, 4);
	ck_assert_int_eq(fs.f[4].t, VT_FRAME_EOF);
	frames_free(&fs);

	write_file("empty.log", "", 0);
	fs = frame_file("empty.log", 100, 0);
	ck_assert_uint_eq(fs.n, 1);
	ck_assert_int_eq(fs.f[0].t, VT_FRAME_EOF);
	ck_assert_int_eq(fs.err, VT_OK);
	frames_free(&fs);

	struct vt_source *s = open_src("empty.log");
	char buf[16];
	size_t got = 99;
	ck_assert_int_eq(vt_source_read(s, buf, sizeof(buf), &got), VT_OK);
	ck_assert_uint_eq(got, 0);
	ck_assert_int_eq(vt_source_is_gzip(s), 0);
	ck_assert_uint_eq(vt_source_raw_bytes(s), 0);
	vt_source_free(s);
}
END_TEST

START_TEST(max_line_boundary)
{
	char data[512];
	size_t n = 0;
	struct frames fs;

	/* 100 bytes (fits), 101 (too long), 100 + CR LF, then "z" */
	memset(data + n, 'a', 100);
	n += 100;
	data[n++] = '\n';
	memset(data + n, 'b', 101);
	n += 101;
	data[n++] = '\n';
	memset(data + n, 'c', 99);
	n += 99;
	data[n++] = '\r';
	data[n++] = '\n';
	data[n++] = 'z';
	data[n++] = '\n';
	write_file("f.log", data, n);
	fs = frame_file("f.log", 100, 0);
	ck_assert_uint_eq(fs.n, 5);
	ck_assert_int_eq(fs.f[0].t, VT_FRAME_LINE);
	ck_assert_uint_eq(fs.f[0].len, 100);
	ck_assert_int_eq(fs.f[1].t, VT_FRAME_TOO_LONG);
	ck_assert_uint_eq(fs.f[1].skipped, 101);
	ck_assert_uint_eq(fs.f[1].offset, 101);
	ck_assert_uint_eq(fs.f[1].end, 203);
	ck_assert_uint_eq(fs.f[1].number, 2);
	ck_assert_uint_eq(fs.f[1].len, 0);
	ck_assert_int_eq(fs.f[2].t, VT_FRAME_LINE);
	ck_assert_uint_eq(fs.f[2].len, 99);
	ck_assert_uint_eq(fs.f[2].offset, 203);
	expect_frame(&fs.f[3], VT_FRAME_LINE, "z", 304, 306, 4);
	ck_assert_int_eq(fs.f[4].t, VT_FRAME_EOF);
	frames_free(&fs);

	/* at the end of the input, without a newline */
	write_file("g.log", data, 100);
	fs = frame_file("g.log", 100, 0);
	ck_assert_int_eq(fs.f[0].t, VT_FRAME_PARTIAL);
	ck_assert_uint_eq(fs.f[0].len, 100);
	frames_free(&fs);
	write_file("h.log", data + 101, 101);
	fs = frame_file("h.log", 100, 0);
	ck_assert_uint_eq(fs.n, 2);
	ck_assert_int_eq(fs.f[0].t, VT_FRAME_TOO_LONG);
	ck_assert_uint_eq(fs.f[0].skipped, 101);
	ck_assert_uint_eq(fs.f[0].end, 101);
	ck_assert_int_eq(fs.f[1].t, VT_FRAME_EOF);
	frames_free(&fs);
}
END_TEST

/* Many lines of pseudo-random length around the limit, across blocks. */
START_TEST(many_lines_across_blocks)
{
	const size_t max_line = 700, count = 4000;
	size_t cap = count * (max_line + 80), n = 0;
	char *data = malloc(cap);
	size_t *lens = malloc(count * sizeof(*lens));
	uint32_t seed = 12345;
	struct frames fs;
	uint64_t off = 0;

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(lens);
	for (size_t i = 0; i < count; i++) {
		seed = seed * 1103515245u + 12345u;
		lens[i] = (seed >> 8) % (max_line + 40);
		for (size_t k = 0; k < lens[i]; k++)
			data[n++] = (char)('a' + (i + k) % 26);
		data[n++] = '\n';
	}
	write_file("f.log", data, n);
	fs = frame_file("f.log", max_line, 5000);
	ck_assert_uint_eq(fs.n, count + 1);
	off = 5000;
	for (size_t i = 0; i < count; i++) {
		const struct frame *f = &fs.f[i];

		ck_assert_uint_eq(f->number, i + 1);
		ck_assert_uint_eq(f->offset, off);
		ck_assert_uint_eq(f->end, off + lens[i] + 1);
		if (lens[i] > max_line) {
			ck_assert_int_eq(f->t, VT_FRAME_TOO_LONG);
			ck_assert_uint_eq(f->skipped, lens[i]);
		} else {
			ck_assert_int_eq(f->t, VT_FRAME_LINE);
			ck_assert_uint_eq(f->len, lens[i]);
			ck_assert(memcmp(f->text, data + (off - 5000),
					 lens[i]) == 0);
		}
		off += lens[i] + 1;
	}
	ck_assert_int_eq(fs.f[count].t, VT_FRAME_EOF);
	frames_free(&fs);
	free(lens);
	free(data);
}
END_TEST

START_TEST(over_long_streamed_past)
{
	const size_t big = 5 * 1024 * 1024 + 17;
	size_t n = 0;
	char *data = malloc(big + 64);
	struct frames fs;

	ck_assert_ptr_nonnull(data);
	memcpy(data, "first\n", 6);
	n = 6;
	memset(data + n, 'x', big);
	n += big;
	memcpy(data + n, "\nafter\nlast\n", 12);
	n += 12;
	write_file("big.log", data, n);
	fs = frame_file("big.log", 64 * 1024, 0);
	ck_assert_uint_eq(fs.n, 5);
	expect_frame(&fs.f[0], VT_FRAME_LINE, "first", 0, 6, 1);
	ck_assert_int_eq(fs.f[1].t, VT_FRAME_TOO_LONG);
	ck_assert_uint_eq(fs.f[1].skipped, big);
	ck_assert_uint_eq(fs.f[1].offset, 6);
	ck_assert_uint_eq(fs.f[1].end, 6 + big + 1);
	ck_assert_uint_eq(fs.f[1].number, 2);
	expect_frame(&fs.f[2], VT_FRAME_LINE, "after", 6 + big + 1,
		     6 + big + 7, 3);
	expect_frame(&fs.f[3], VT_FRAME_LINE, "last", 6 + big + 7,
		     6 + big + 12, 4);
	ck_assert_int_eq(fs.f[4].t, VT_FRAME_EOF);
	frames_free(&fs);

	/* the same, ending inside the over-long line */
	write_file("big2.log", data, 6 + big);
	fs = frame_file("big2.log", 64 * 1024, 0);
	ck_assert_uint_eq(fs.n, 3);
	ck_assert_int_eq(fs.f[1].t, VT_FRAME_TOO_LONG);
	ck_assert_uint_eq(fs.f[1].skipped, big);
	ck_assert_uint_eq(fs.f[1].end, 6 + big);
	ck_assert_int_eq(fs.f[2].t, VT_FRAME_EOF);
	frames_free(&fs);
	free(data);
}
END_TEST

START_TEST(nul_bytes)
{
	static const char data[] = "\0\0\0{\"a\":1}\nab\0cd\n\0\0\n\0x";
	struct frames fs;

	write_file("f.log", data, sizeof(data) - 1);
	fs = frame_file("f.log", 100, 0);
	ck_assert_uint_eq(fs.n, 5);
	ck_assert_int_eq(fs.f[0].t, VT_FRAME_LINE);
	ck_assert_str_eq(fs.f[0].text, "{\"a\":1}");
	ck_assert_uint_eq(fs.f[0].nuls, 3);
	ck_assert_uint_eq(fs.f[0].offset, 0);
	ck_assert_uint_eq(fs.f[0].end, 11);
	/* a NUL inside a line is kept */
	ck_assert_int_eq(fs.f[1].t, VT_FRAME_LINE);
	ck_assert_uint_eq(fs.f[1].len, 5);
	ck_assert(memcmp(fs.f[1].text, "ab\0cd", 5) == 0);
	ck_assert_uint_eq(fs.f[1].nuls, 0);
	ck_assert_int_eq(fs.f[2].t, VT_FRAME_LINE);
	ck_assert_uint_eq(fs.f[2].len, 0);
	ck_assert_uint_eq(fs.f[2].nuls, 2);
	ck_assert_int_eq(fs.f[3].t, VT_FRAME_PARTIAL);
	ck_assert_str_eq(fs.f[3].text, "x");
	ck_assert_uint_eq(fs.f[3].nuls, 1);
	ck_assert_int_eq(fs.f[4].t, VT_FRAME_EOF);
	frames_free(&fs);
}
END_TEST

/* Reads a whole source; returns the error that ended it. */
static enum vt_err slurp(struct vt_source *s, char **out, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	enum vt_err err;

	ck_assert_ptr_nonnull(buf);
	for (;;) {
		size_t got = 0;

		if (cap - n < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		err = vt_source_read(s, buf + n, 4096, &got);
		n += got;
		if (err || got == 0)
			break;
	}
	*out = buf;
	*len = n;
	return err;
}

/* Lines "line N ...\n" totalling about size bytes. */
static char *make_text(size_t lines, size_t *len)
{
	size_t cap = lines * 64, n = 0;
	char *t = malloc(cap);

	ck_assert_ptr_nonnull(t);
	for (size_t i = 0; i < lines; i++)
		n += (size_t)snprintf(t + n, cap - n,
				      "{\"level\":\"INFO\",\"msg\":\"line %zu\"}\n",
				      i);
	*len = n;
	return t;
}

START_TEST(gzip_by_content)
{
	size_t len, got_len;
	char *text = make_text(3000, &len), *got;
	struct vt_source *s;
	struct frames fs;

	/* a gzip file without a .gz name */
	write_gz("plain.log", text, len, 0);
	s = open_src("plain.log");
	ck_assert_int_eq(vt_source_is_gzip(s), 1);
	ck_assert_int_eq(slurp(s, &got, &got_len), VT_OK);
	ck_assert_uint_eq(got_len, len);
	ck_assert(memcmp(got, text, len) == 0);
	{
		size_t raw_len;
		char *raw = read_raw("plain.log", &raw_len);

		ck_assert_uint_eq(vt_source_raw_bytes(s), raw_len);
		ck_assert_uint_lt(raw_len, len);
		free(raw);
	}
	vt_source_free(s);
	free(got);

	fs = frame_file("plain.log", 1000, 0);
	ck_assert_uint_eq(fs.n, 3001);
	ck_assert_str_eq(fs.f[2999].text,
			 "{\"level\":\"INFO\",\"msg\":\"line 2999\"}");
	ck_assert_uint_eq(fs.f[2999].end, len);
	ck_assert_int_eq(fs.f[3000].t, VT_FRAME_EOF);
	frames_free(&fs);

	/* a .gz name over plain text is read as plain */
	write_file("x.log.gz", text, len);
	s = open_src("x.log.gz");
	ck_assert_int_eq(vt_source_is_gzip(s), 0);
	ck_assert_int_eq(slurp(s, &got, &got_len), VT_OK);
	ck_assert_uint_eq(got_len, len);
	ck_assert(memcmp(got, text, len) == 0);
	vt_source_free(s);
	free(got);
	free(text);
}
END_TEST

START_TEST(gzip_members_concatenated)
{
	size_t len1, len2, got_len;
	char *t1 = make_text(500, &len1), *t2 = make_text(700, &len2), *got;
	struct vt_source *s;
	struct frames fs;

	write_gz("m.log.gz", t1, len1, 0);
	write_gz("m.log.gz", t2, len2, 1);
	write_gz("m.log.gz", "", 0, 1); /* an empty member too */
	write_gz("m.log.gz", "tail", 4, 1);
	s = open_src("m.log.gz");
	ck_assert_int_eq(vt_source_is_gzip(s), 1);
	ck_assert_int_eq(slurp(s, &got, &got_len), VT_OK);
	ck_assert_uint_eq(got_len, len1 + len2 + 4);
	ck_assert(memcmp(got, t1, len1) == 0);
	ck_assert(memcmp(got + len1, t2, len2) == 0);
	ck_assert(memcmp(got + len1 + len2, "tail", 4) == 0);
	vt_source_free(s);
	free(got);

	/* a line split across members is one line */
	write_gz("split.gz", "{\"level\":", 9, 0);
	write_gz("split.gz", "\"INFO\"}\nnext\n", 13, 1);
	fs = frame_file("split.gz", 100, 0);
	ck_assert_uint_eq(fs.n, 3);
	expect_frame(&fs.f[0], VT_FRAME_LINE, "{\"level\":\"INFO\"}", 0, 17,
		     1);
	expect_frame(&fs.f[1], VT_FRAME_LINE, "next", 17, 22, 2);
	ck_assert_int_eq(fs.f[2].t, VT_FRAME_EOF);
	frames_free(&fs);
	free(t1);
	free(t2);
}
END_TEST

START_TEST(gzip_truncated)
{
	size_t len, raw_len, got_len;
	char *text = make_text(20000, &len), *raw, *got;
	struct vt_source *s;
	struct frames fs;

	write_gz("full.gz", text, len, 0);
	raw = read_raw("full.gz", &raw_len);
	write_file("half.gz", raw, raw_len / 2);
	s = open_src("half.gz");
	ck_assert_int_eq(vt_source_is_gzip(s), 1);
	ck_assert_int_eq(slurp(s, &got, &got_len), VT_ERR_FORMAT);
	ck_assert_str_eq(vt_source_error(s), "truncated gzip data");
	/* the data before the damage was delivered, and nothing else */
	ck_assert_uint_gt(got_len, len / 4);
	ck_assert_uint_lt(got_len, len);
	ck_assert(memcmp(got, text, got_len) == 0);
	/* the source stays at its end */
	{
		char b[16];
		size_t g = 7;
		enum vt_err e = vt_source_read(s, b, sizeof(b), &g);

		ck_assert(e == VT_OK || e == VT_ERR_FORMAT);
		ck_assert_uint_eq(g, 0);
	}
	vt_source_free(s);
	free(got);

	/* the framer hands out the lines, then the error */
	fs = frame_file("half.gz", 1000, 0);
	ck_assert_uint_ge(fs.n, 3);
	ck_assert_int_eq(fs.f[fs.n - 1].t, VT_FRAME_ERROR);
	ck_assert_int_eq(fs.err, VT_ERR_FORMAT);
	ck_assert_str_eq(fs.f[0].text, "{\"level\":\"INFO\",\"msg\":\"line 0\"}");
	for (size_t i = 0; i + 1 < fs.n; i++)
		ck_assert(fs.f[i].t == VT_FRAME_LINE ||
			  (fs.f[i].t == VT_FRAME_PARTIAL && i + 2 == fs.n));
	frames_free(&fs);

	/* only the trailer missing: all data, then the error */
	write_file("notrailer.gz", raw, raw_len - 8);
	s = open_src("notrailer.gz");
	ck_assert_int_eq(slurp(s, &got, &got_len), VT_ERR_FORMAT);
	ck_assert_uint_eq(got_len, len);
	ck_assert(memcmp(got, text, len) == 0);
	vt_source_free(s);
	free(got);

	/* a bad CRC: all data delivered, then the error */
	raw[raw_len - 8] ^= 0x55;
	write_file("badcrc.gz", raw, raw_len);
	s = open_src("badcrc.gz");
	ck_assert_int_eq(slurp(s, &got, &got_len), VT_ERR_FORMAT);
	ck_assert_uint_eq(got_len, len);
	vt_source_free(s);
	free(got);

	/* just the magic bytes */
	write_file("magic.gz", "\x1f\x8b", 2);
	s = open_src("magic.gz");
	ck_assert_int_eq(vt_source_is_gzip(s), 1);
	ck_assert_int_eq(slurp(s, &got, &got_len), VT_ERR_FORMAT);
	ck_assert_uint_eq(got_len, 0);
	vt_source_free(s);
	free(got);
	free(raw);
	free(text);
}
END_TEST

/* What zlib itself inflates from a (truncated) gzip member. */
static size_t zlib_inflates(const char *raw, size_t n, char *out, size_t cap)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (unsigned char *)(uintptr_t)raw;
	z.avail_in = (uInt)n;
	z.next_out = (unsigned char *)out;
	z.avail_out = (uInt)cap;
	inflate(&z, Z_FINISH);
	n = cap - z.avail_out;
	inflateEnd(&z);
	return n;
}

/*
 * Found by fuzz_source (tests/fuzz/regressions/fuzz_source/long-match):
 * with its input used up, inflate may still hold output, the rest of a
 * match it could not copy into a full buffer; the source called the file
 * truncated at once and that output was lost. Every truncation of a
 * repetitive member, read 7 bytes at a time, must give what zlib gives.
 */
START_TEST(gzip_truncated_keeps_pending_output)
{
	static char text[6000], want[8000], got[8000];
	size_t raw_len;
	char *raw;

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = "{\"msg\":\"abc\"}\n"[i % 14];
	write_gz("rep.gz", text, sizeof(text), 0);
	raw = read_raw("rep.gz", &raw_len);
	for (size_t cut = 11; cut < raw_len; cut++) {
		size_t w = zlib_inflates(raw, cut, want, sizeof(want)), n = 0;
		struct vt_source *s;
		enum vt_err err;

		write_file("cut.gz", raw, cut);
		s = open_src("cut.gz");
		for (;;) {
			size_t g = 0;

			err = vt_source_read(s, got + n, 7, &g);
			n += g;
			if (err || g == 0)
				break;
		}
		vt_source_free(s);
		ck_assert_msg(n == w, "cut at %zu: %zu bytes, zlib gives %zu", cut,
			      n, w);
		ck_assert(memcmp(got, want, n) == 0);
		ck_assert_int_eq(err, cut < raw_len ? VT_ERR_FORMAT : VT_OK);
	}
	free(raw);
}
END_TEST

START_TEST(gzip_trailing_garbage)
{
	size_t len, raw_len, got_len;
	char *text = make_text(100, &len), *raw, *got;
	struct vt_source *s;

	write_gz("g.gz", text, len, 0);
	raw = read_raw("g.gz", &raw_len);
	raw = realloc(raw, raw_len + 16);
	ck_assert_ptr_nonnull(raw);
	memcpy(raw + raw_len, "garbage here\n", 13);
	write_file("g2.gz", raw, raw_len + 13);
	s = open_src("g2.gz");
	ck_assert_int_eq(slurp(s, &got, &got_len), VT_ERR_FORMAT);
	ck_assert_str_eq(vt_source_error(s),
			 "trailing garbage after gzip data");
	ck_assert_uint_eq(got_len, len);
	ck_assert(memcmp(got, text, len) == 0);
	vt_source_free(s);
	free(got);
	free(raw);
	free(text);
}
END_TEST

START_TEST(open_errors)
{
	char path[256];
	struct vt_source *s = (struct vt_source *)&s; /* a sentinel */
	struct vt_source *const sentinel = s;

	errno = 0;
	ck_assert_int_eq(vt_source_open(tmpdir, &s), VT_ERR_IO);
	ck_assert_int_eq(errno, EISDIR);
	ck_assert_ptr_eq(s, sentinel);

	path_of(path, sizeof(path), "missing.log");
	errno = 0;
	ck_assert_int_eq(vt_source_open(path, &s), VT_ERR_IO);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_eq(s, sentinel);
}
END_TEST

START_TEST(gzip_from_pipe)
{
	size_t len, raw_len, got_len;
	char *text = make_text(50, &len), *raw, *got;
	struct vt_source *s = NULL;
	int fds[2];
	pid_t pid;
	int status;

	write_gz("p.gz", text, len, 0);
	raw = read_raw("p.gz", &raw_len);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* the magic bytes arrive one at a time */
		close(fds[0]);
		for (size_t i = 0; i < raw_len;) {
			size_t step = i < 3 ? 1 : raw_len - i;
			ssize_t w = write(fds[1], raw + i, step);

			if (w <= 0)
				_exit(1);
			i += (size_t)w;
			if (i < 3)
				usleep(20000);
		}
		/* under valgrind the child's heap is checked at exit too */
		free(raw);
		free(text);
		_exit(0);
	}
	close(fds[1]);
	ck_assert_int_eq(vt_source_from_fd(fds[0], &s), VT_OK);
	ck_assert_int_eq(vt_source_is_gzip(s), 1);
	ck_assert_int_eq(vt_source_fd(s), fds[0]);
	ck_assert_int_eq(slurp(s, &got, &got_len), VT_OK);
	ck_assert_uint_eq(got_len, len);
	ck_assert(memcmp(got, text, len) == 0);
	vt_source_free(s);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(got);
	free(raw);
	free(text);
}
END_TEST

Suite *lines_suite(void)
{
	Suite *s = suite_create("lines");
	TCase *tc = tcase_create("framing");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, lf_and_crlf);
	tcase_add_test(tc, final_line_partial);
	tcase_add_test(tc, empty_lines_and_file);
	tcase_add_test(tc, max_line_boundary);
	tcase_add_test(tc, many_lines_across_blocks);
	tcase_add_test(tc, over_long_streamed_past);
	tcase_add_test(tc, nul_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("source");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, gzip_by_content);
	tcase_add_test(tc, gzip_members_concatenated);
	tcase_add_test(tc, gzip_truncated);
	tcase_add_test(tc, gzip_truncated_keeps_pending_output);
	tcase_add_test(tc, gzip_trailing_garbage);
	tcase_add_test(tc, open_errors);
	tcase_add_test(tc, gzip_from_pipe);
	suite_add_tcase(s, tc);
	return s;
}
