/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for parser/unwrap.h: CRI and docker json-file wrappers, joining. */
#include "../../parser/unwrap.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *unwrap_suite(void);

#define TS "2026-08-21T10:15:02.123456789Z "

static struct vt_decoder *dec;
static struct vt_unwrap uw;

static void setup_limit(size_t max_line)
{
	dec = vt_decoder_new(max_line + 64);
	vt_unwrap_init(&uw, max_line, dec);
}

static void setup(void)
{
	setup_limit(1024);
}

static void setup_small(void)
{
	setup_limit(50);
}

static void teardown(void)
{
	vt_unwrap_release(&uw);
	vt_decoder_free(dec);
	dec = NULL;
}

static int sv_is(struct vt_sv v, const char *lit)
{
	return v.len == strlen(lit) && (v.len == 0 || (v.ptr &&
			memcmp(v.ptr, lit, v.len) == 0));
}

/* Unwraps a NUL-terminated line; checks result and kind. */
static struct vt_sv unwrap(const char *line, enum vt_unwrap_result want,
			   enum vt_wrapper want_kind)
{
	struct vt_sv inner = { NULL, 0 };
	enum vt_wrapper kind = VT_WRAP_COUNT;
	enum vt_unwrap_result r =
		vt_unwrap_line(&uw, line, strlen(line), &inner, &kind);

	ck_assert_msg(r == want, "'%s': result %d, want %d", line, (int)r,
		      (int)want);
	ck_assert_msg(kind == want_kind, "'%s': kind %d, want %d", line,
		      (int)kind, (int)want_kind);
	return inner;
}

START_TEST(bare_line)
{
	const char *line = "{\"level\":\"INFO\",\"msg\":\"x\"}";
	struct vt_sv in = unwrap(line, VT_UNWRAP_LINE, VT_WRAP_NONE);

	ck_assert_ptr_eq(in.ptr, line);
	ck_assert_uint_eq(in.len, strlen(line));
	/* a plain-text line starting with a timestamp is not CRI */
	in = unwrap("2026-08-21T10:15:02Z INFO starting", VT_UNWRAP_LINE,
		    VT_WRAP_NONE);
	ck_assert(sv_is(in, "2026-08-21T10:15:02Z INFO starting"));
	in = unwrap("", VT_UNWRAP_LINE, VT_WRAP_NONE);
	ck_assert_uint_eq(in.len, 0);
	ck_assert_int_eq(vt_unwrap_pending(&uw), 0);
}
END_TEST

START_TEST(cri_full_lines)
{
	const char *line = TS "stderr F {\"level\":\"INFO\",\"msg\":\"a b\"}";
	struct vt_sv in = unwrap(line, VT_UNWRAP_LINE, VT_WRAP_CRI);

	ck_assert(sv_is(in, "{\"level\":\"INFO\",\"msg\":\"a b\"}"));
	ck_assert_ptr_eq(in.ptr, line + strlen(TS "stderr F "));
	in = unwrap(TS "stdout F hello world", VT_UNWRAP_LINE, VT_WRAP_CRI);
	ck_assert(sv_is(in, "hello world"));
	/* a tag with extra entries, and an empty content */
	in = unwrap(TS "stdout F:x payload", VT_UNWRAP_LINE, VT_WRAP_CRI);
	ck_assert(sv_is(in, "payload"));
	in = unwrap(TS "stdout F ", VT_UNWRAP_LINE, VT_WRAP_CRI);
	ck_assert_uint_eq(in.len, 0);
	/* timestamps of other precision and offsets */
	in = unwrap("2026-08-21T12:15:02+02:00 stdout F z", VT_UNWRAP_LINE,
		    VT_WRAP_CRI);
	ck_assert(sv_is(in, "z"));
	ck_assert_int_eq(vt_unwrap_pending(&uw), 0);
}
END_TEST

START_TEST(cri_partials_per_stream)
{
	struct vt_sv in;

	unwrap(TS "stdout P {\"level\":\"INFO\",", VT_UNWRAP_PENDING,
	       VT_WRAP_CRI);
	ck_assert_int_eq(vt_unwrap_pending(&uw), 1);
	unwrap(TS "stderr P {\"msg\":", VT_UNWRAP_PENDING, VT_WRAP_CRI);
	unwrap(TS "stdout P \"msg\":\"out", VT_UNWRAP_PENDING, VT_WRAP_CRI);
	in = unwrap(TS "stderr F \"err\"}", VT_UNWRAP_LINE, VT_WRAP_CRI);
	ck_assert(sv_is(in, "{\"msg\":\"err\"}"));
	ck_assert_int_eq(vt_unwrap_pending(&uw), 1);
	/* a full line on stderr meanwhile is not joined to stdout's parts */
	in = unwrap(TS "stderr F alone", VT_UNWRAP_LINE, VT_WRAP_CRI);
	ck_assert(sv_is(in, "alone"));
	in = unwrap(TS "stdout F put\"}", VT_UNWRAP_LINE, VT_WRAP_CRI);
	ck_assert(sv_is(in, "{\"level\":\"INFO\",\"msg\":\"output\"}"));
	ck_assert_int_eq(vt_unwrap_pending(&uw), 0);

	/* the joined line decodes */
	struct vt_record r;
	unwrap(TS "stdout P {\"level\":\"WARN\",", VT_UNWRAP_PENDING,
	       VT_WRAP_CRI);
	in = unwrap(TS "stdout F \"msg\":\"joined\"}", VT_UNWRAP_LINE,
		    VT_WRAP_CRI);
	vt_decode_line(dec, in.ptr, in.len, &r);
	ck_assert_int_eq(r.cls, VT_LINE_APP);
	ck_assert(sv_is(r.msg, "joined"));
	ck_assert(sv_is(r.level, "WARN"));
}
END_TEST

START_TEST(cri_join_limit)
{
	/* limit 50: 30 + 20 fits exactly, 30 + 21 does not */
	char p30[80], f20[80], f21[80];
	struct vt_sv in;

	snprintf(p30, sizeof(p30), TS "stdout P %030d", 0);
	snprintf(f20, sizeof(f20), TS "stdout F %020d", 1);
	snprintf(f21, sizeof(f21), TS "stdout F %021d", 2);
	unwrap(p30, VT_UNWRAP_PENDING, VT_WRAP_CRI);
	in = unwrap(f20, VT_UNWRAP_LINE, VT_WRAP_CRI);
	ck_assert_uint_eq(in.len, 50);
	unwrap(p30, VT_UNWRAP_PENDING, VT_WRAP_CRI);
	unwrap(f21, VT_UNWRAP_TOO_LONG, VT_WRAP_CRI);
	ck_assert_int_eq(vt_unwrap_pending(&uw), 0);

	/* many parts past the limit: one too-long line, then normal again */
	unwrap(p30, VT_UNWRAP_PENDING, VT_WRAP_CRI);
	unwrap(p30, VT_UNWRAP_PENDING, VT_WRAP_CRI);
	unwrap(p30, VT_UNWRAP_PENDING, VT_WRAP_CRI);
	ck_assert_int_eq(vt_unwrap_pending(&uw), 1);
	/* the other stream is unaffected meanwhile */
	in = unwrap(TS "stderr F fine", VT_UNWRAP_LINE, VT_WRAP_CRI);
	ck_assert(sv_is(in, "fine"));
	unwrap(TS "stdout F end", VT_UNWRAP_TOO_LONG, VT_WRAP_CRI);
	in = unwrap(TS "stdout F next", VT_UNWRAP_LINE, VT_WRAP_CRI);
	ck_assert(sv_is(in, "next"));
	unwrap(TS "stdout P ab", VT_UNWRAP_PENDING, VT_WRAP_CRI);
	in = unwrap(TS "stdout F cd", VT_UNWRAP_LINE, VT_WRAP_CRI);
	ck_assert(sv_is(in, "abcd"));
	ck_assert_int_eq(vt_unwrap_pending(&uw), 0);
}
END_TEST

START_TEST(docker_lines)
{
	struct vt_sv in;
	struct vt_record r;

	in = unwrap("{\"log\":\"{\\\"level\\\":\\\"INFO\\\",\\\"msg\\\":"
		    "\\\"tab\\\\there \\u00e9\\\"}\\n\",\"stream\":\"stderr\","
		    "\"time\":\"2026-08-21T10:15:02.123456789Z\"}",
		    VT_UNWRAP_LINE, VT_WRAP_DOCKER);
	ck_assert(sv_is(in, "{\"level\":\"INFO\",\"msg\":\"tab\\there "
			    "\xc3\xa9\"}"));
	vt_decode_line(dec, in.ptr, in.len, &r);
	ck_assert_int_eq(r.cls, VT_LINE_APP);
	ck_assert(sv_is(r.msg, "tab\there \xc3\xa9"));

	/* CR LF at the end is dropped too */
	in = unwrap("{\"log\":\"plain\\r\\n\",\"stream\":\"stdout\"}",
		    VT_UNWRAP_LINE, VT_WRAP_DOCKER);
	ck_assert(sv_is(in, "plain"));
	/* an empty line */
	in = unwrap("{\"log\":\"\\n\",\"stream\":\"stdout\"}", VT_UNWRAP_LINE,
		    VT_WRAP_DOCKER);
	ck_assert_uint_eq(in.len, 0);
	ck_assert_int_eq(vt_unwrap_pending(&uw), 0);
}
END_TEST

START_TEST(docker_partials)
{
	struct vt_sv in;

	/* 16K splits: chunks without a trailing newline are joined */
	unwrap("{\"log\":\"{\\\"level\\\":\",\"stream\":\"stdout\","
	       "\"time\":\"2026-08-21T10:15:02.1Z\"}",
	       VT_UNWRAP_PENDING, VT_WRAP_DOCKER);
	unwrap("{\"log\":\"first \",\"stream\":\"stderr\"}", VT_UNWRAP_PENDING,
	       VT_WRAP_DOCKER);
	unwrap("{\"log\":\"\\\"INFO\\\",\",\"stream\":\"stdout\"}",
	       VT_UNWRAP_PENDING, VT_WRAP_DOCKER);
	in = unwrap("{\"log\":\"second\\n\",\"stream\":\"stderr\"}",
		    VT_UNWRAP_LINE, VT_WRAP_DOCKER);
	ck_assert(sv_is(in, "first second"));
	in = unwrap("{\"log\":\"\\\"msg\\\":\\\"m\\\"}\\n\",\"stream\":\"stdout\"}",
		    VT_UNWRAP_LINE, VT_WRAP_DOCKER);
	ck_assert(sv_is(in, "{\"level\":\"INFO\",\"msg\":\"m\"}"));
	ck_assert_int_eq(vt_unwrap_pending(&uw), 0);

	/* a CRI part and a docker part on the same stream stay apart */
	unwrap(TS "stdout P cri-", VT_UNWRAP_PENDING, VT_WRAP_CRI);
	in = unwrap("{\"log\":\"dock\\n\",\"stream\":\"stdout\"}",
		    VT_UNWRAP_LINE, VT_WRAP_DOCKER);
	ck_assert(sv_is(in, "dock"));
	in = unwrap(TS "stdout F part", VT_UNWRAP_LINE, VT_WRAP_CRI);
	ck_assert(sv_is(in, "cri-part"));
}
END_TEST

START_TEST(docker_join_limit)
{
	char part[128];
	struct vt_sv in;

	/* limit 50: two 30-byte chunks overflow */
	snprintf(part, sizeof(part), "{\"log\":\"%030d\",\"stream\":\"stdout\"}",
		 7);
	unwrap(part, VT_UNWRAP_PENDING, VT_WRAP_DOCKER);
	unwrap(part, VT_UNWRAP_PENDING, VT_WRAP_DOCKER);
	unwrap("{\"log\":\"x\\n\",\"stream\":\"stdout\"}", VT_UNWRAP_TOO_LONG,
	       VT_WRAP_DOCKER);
	in = unwrap("{\"log\":\"ok\\n\",\"stream\":\"stdout\"}", VT_UNWRAP_LINE,
		    VT_WRAP_DOCKER);
	ck_assert(sv_is(in, "ok"));
}
END_TEST

START_TEST(lying_wrappers)
{
	struct vt_sv in;

	/* CRI timestamp and stream, but the tag is neither P nor F */
	unwrap(TS "stdout X {\"level\":\"INFO\",\"msg\":\"x\"}", VT_UNWRAP_BAD,
	       VT_WRAP_CRI);
	unwrap(TS "stderr partial text", VT_UNWRAP_BAD, VT_WRAP_CRI);
	unwrap(TS "stdout ", VT_UNWRAP_BAD, VT_WRAP_CRI);
	/* docker-looking lines that are not the wrapper */
	unwrap("{\"log\":\"oops not docker", VT_UNWRAP_BAD, VT_WRAP_DOCKER);
	unwrap("{\"log\":42,\"stream\":\"stdout\"}", VT_UNWRAP_BAD,
	       VT_WRAP_DOCKER);
	unwrap("{\"log\":\"a\"}{\"log\":\"b\"}", VT_UNWRAP_BAD, VT_WRAP_DOCKER);
	unwrap("{\"log\":\"\xff\\n\"}", VT_UNWRAP_BAD, VT_WRAP_DOCKER);
	ck_assert_int_eq(vt_unwrap_pending(&uw), 0);
	/* nothing pending was disturbed, and good lines still work */
	unwrap(TS "stdout P a", VT_UNWRAP_PENDING, VT_WRAP_CRI);
	unwrap("{\"log\":\"broken", VT_UNWRAP_BAD, VT_WRAP_DOCKER);
	in = unwrap(TS "stdout F b", VT_UNWRAP_LINE, VT_WRAP_CRI);
	ck_assert(sv_is(in, "ab"));
	/* a key order other than log-first is a bare JSON line */
	const char *other = "{\"stream\":\"stdout\",\"log\":\"x\\n\"}";
	in = unwrap(other, VT_UNWRAP_LINE, VT_WRAP_NONE);
	ck_assert_ptr_eq(in.ptr, other);
	ck_assert_uint_eq(in.len, strlen(other));
}
END_TEST

START_TEST(flush_at_eof)
{
	struct vt_sv in = { NULL, 0 };
	enum vt_wrapper kind = VT_WRAP_NONE;
	int got[2] = { 0, 0 };

	ck_assert_int_eq(vt_unwrap_flush(&uw, &in, &kind), 0);
	unwrap(TS "stderr P tail-", VT_UNWRAP_PENDING, VT_WRAP_CRI);
	unwrap(TS "stderr P end", VT_UNWRAP_PENDING, VT_WRAP_CRI);
	unwrap("{\"log\":\"dock\",\"stream\":\"stdout\"}", VT_UNWRAP_PENDING,
	       VT_WRAP_DOCKER);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(vt_unwrap_flush(&uw, &in, &kind), 1);
		if (kind == VT_WRAP_CRI) {
			ck_assert(sv_is(in, "tail-end"));
			got[0]++;
		} else {
			ck_assert_int_eq(kind, VT_WRAP_DOCKER);
			ck_assert(sv_is(in, "dock"));
			got[1]++;
		}
	}
	ck_assert_int_eq(got[0], 1);
	ck_assert_int_eq(got[1], 1);
	ck_assert_int_eq(vt_unwrap_flush(&uw, &in, &kind), 0);
	ck_assert_int_eq(vt_unwrap_pending(&uw), 0);
}
END_TEST

START_TEST(flush_overflowed)
{
	char p30[80];
	struct vt_sv in = { NULL, 0 };
	enum vt_wrapper kind = VT_WRAP_NONE;

	snprintf(p30, sizeof(p30), TS "stdout P %030d", 0);
	unwrap(p30, VT_UNWRAP_PENDING, VT_WRAP_CRI);
	unwrap(p30, VT_UNWRAP_PENDING, VT_WRAP_CRI);
	ck_assert_int_eq(vt_unwrap_pending(&uw), 1);
	ck_assert_int_eq(vt_unwrap_flush(&uw, &in, &kind), 2);
	ck_assert_int_eq(kind, VT_WRAP_CRI);
	ck_assert_int_eq(vt_unwrap_flush(&uw, &in, &kind), 0);
	ck_assert_int_eq(vt_unwrap_pending(&uw), 0);
	/* the stream starts clean afterwards */
	in = unwrap(TS "stdout F new", VT_UNWRAP_LINE, VT_WRAP_CRI);
	ck_assert(sv_is(in, "new"));
}
END_TEST

START_TEST(reset_drops_parts)
{
	struct vt_sv in;

	unwrap(TS "stdout P old-", VT_UNWRAP_PENDING, VT_WRAP_CRI);
	unwrap("{\"log\":\"old\",\"stream\":\"stderr\"}", VT_UNWRAP_PENDING,
	       VT_WRAP_DOCKER);
	vt_unwrap_reset(&uw);
	ck_assert_int_eq(vt_unwrap_pending(&uw), 0);
	in = unwrap(TS "stdout F new", VT_UNWRAP_LINE, VT_WRAP_CRI);
	ck_assert(sv_is(in, "new"));
	in = unwrap("{\"log\":\"new\\n\",\"stream\":\"stderr\"}", VT_UNWRAP_LINE,
		    VT_WRAP_DOCKER);
	ck_assert(sv_is(in, "new"));
}
END_TEST

Suite *unwrap_suite(void)
{
	Suite *s = suite_create("unwrap");
	TCase *tc = tcase_create("wrappers");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, bare_line);
	tcase_add_test(tc, cri_full_lines);
	tcase_add_test(tc, cri_partials_per_stream);
	tcase_add_test(tc, docker_lines);
	tcase_add_test(tc, docker_partials);
	tcase_add_test(tc, lying_wrappers);
	tcase_add_test(tc, flush_at_eof);
	tcase_add_test(tc, reset_drops_parts);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup_small, teardown);
	tcase_add_test(tc, cri_join_limit);
	tcase_add_test(tc, docker_join_limit);
	tcase_add_test(tc, flush_overflowed);
	suite_add_tcase(s, tc);
	return s;
}
