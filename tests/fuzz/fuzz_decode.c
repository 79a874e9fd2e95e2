/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: decoding one line (no newline) with yajl. The same line
 * goes through a fresh decoder whose scratch is exactly the line's length
 * (the tightest bound the contract allows) and twice through a decoder
 * that lives as long as the process, so its reused yajl handle has seen
 * every earlier input: all three results must be the same. The docker
 * wrapper decoder and the top-level string lookup get the line too.
 */
#include "fuzz.h"
#include "../../parser/decode.h"
#include "../../util/buf.h"

/* The program's default line cap: the long-lived decoder's scratch. */
#define MAX_LINE (1024 * 1024)

static struct vt_decoder *shared;

/* A record flattened into bytes, views by content, to compare later. */
static void put(struct vt_buf *b, const void *p, size_t n)
{
	FUZZ_CHECK(vt_buf_append(b, p, n) == VT_OK);
}

static void put_int(struct vt_buf *b, int64_t v)
{
	put(b, &v, sizeof(v));
}

static void put_sv(struct vt_buf *b, struct vt_sv v)
{
	fuzz_touch(v);
	put_int(b, v.ptr != NULL);
	put_int(b, (int64_t)v.len);
	if (v.len)
		put(b, v.ptr, v.len);
}

static void snapshot(const struct vt_record *r, struct vt_buf *b)
{
	const struct vt_audit *a = &r->audit;

	vt_buf_reset(b);
	put_int(b, r->cls);
	put_int(b, r->reason);
	put_int(b, r->json_valid);
	put_int(b, a->type);
	put_int(b, a->outcome);
	put_int(b, a->step_type);
	put_int(b, a->has_time);
	put_int(b, a->time);
	put_int(b, a->has_duration);
	put_int(b, a->duration_ms);
	put_int(b, a->has_backend);
	put_sv(b, a->backend_name);
	put_sv(b, a->target_name);
	put_sv(b, a->component);
	put_int(b, a->field_flags);
	put_sv(b, r->level);
	put_sv(b, r->msg);
	put_int(b, r->has_time);
	put_int(b, r->time);
	put_int(b, r->field_flags);
	put_int(b, (int64_t)r->nattrs);
	for (size_t i = 0; i < r->nattrs && i < VT_MAX_ATTRS; i++) {
		put_sv(b, r->attrs[i].key);
		put_sv(b, r->attrs[i].value);
		put_int(b, r->attrs[i].is_string);
	}
}

/* What the header promises about any result. */
static void check_record(const struct vt_record *r, size_t len)
{
	FUZZ_CHECK(r->cls <= VT_LINE_MALFORMED);
	if (r->cls == VT_LINE_MALFORMED)
		FUZZ_CHECK(r->reason >= 0 && r->reason < VT_BAD_COUNT &&
			   r->reason != VT_BAD_WRAPPER && !r->json_valid);
	if (r->cls == VT_LINE_UNRECOGNIZED)
		FUZZ_CHECK(r->reason >= 0 && r->reason < VT_UNREC_COUNT);
	if (r->cls == VT_LINE_AUDIT || r->cls == VT_LINE_APP)
		FUZZ_CHECK(r->json_valid && r->msg.ptr != NULL);
	FUZZ_CHECK(r->nattrs <= VT_MAX_ATTRS);
	FUZZ_CHECK(r->audit.type < VT_EV_COUNT);
	FUZZ_CHECK(r->audit.outcome < VT_OUT_COUNT);
	FUZZ_CHECK(r->audit.step_type < VT_STEP_COUNT);
	FUZZ_CHECK(!r->audit.has_duration || r->audit.duration_ms >= 0);
	/* Unescaping never makes a string longer. */
	FUZZ_CHECK(r->msg.len <= len && r->level.len <= len);
}

/* The docker wrapper decoder: same answer from both decoders. */
static void docker_twice(struct vt_decoder *fresh, const char *line,
			 size_t len)
{
	struct vt_sv a = { NULL, 0 }, b = { NULL, 0 };
	int sa = -1, sb = -1;
	int ra = vt_decode_docker(fresh, line, len, &a, &sa);
	int rb = vt_decode_docker(shared, line, len, &b, &sb);

	FUZZ_CHECK(ra == rb);
	FUZZ_CHECK(ra == 0 || ra == -1);
	if (ra == 0) {
		FUZZ_CHECK(sa == sb && (sa == 0 || sa == 1));
		FUZZ_CHECK(a.len <= len);
		FUZZ_CHECK(fuzz_sv_same(a, b));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	struct vt_decoder *fresh;
	struct vt_record r;
	struct vt_buf first, again;
	char top[128];

	if (size > MAX_LINE)
		return 0; /* the framer never hands out longer lines */
	if (!shared)
		shared = vt_decoder_new(MAX_LINE);
	vt_buf_init(&first, (size_t)1 << 24);
	vt_buf_init(&again, (size_t)1 << 24);
	fresh = vt_decoder_new(size);

	vt_decode_line(fresh, line, size, &r);
	check_record(&r, size);
	snapshot(&r, &first);
	for (int round = 0; round < 2; round++) {
		vt_decode_line(shared, line, size, &r);
		check_record(&r, size);
		snapshot(&r, &again);
		FUZZ_CHECK(again.len == first.len &&
			   memcmp(again.ptr, first.ptr, first.len) == 0);
	}
	docker_twice(fresh, line, size);

	if (vt_json_top_string(line, size, "msg", top, sizeof(top)) == 0)
		FUZZ_CHECK(strlen(top) < sizeof(top));

	vt_decoder_free(fresh);
	vt_buf_release(&first);
	vt_buf_release(&again);
	return 0;
}
