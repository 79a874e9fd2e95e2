/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the collector's request validator (collector/ingest.c),
 * what POST /v1/reports runs on every body. The first input byte picks
 * the request's shape: bit 0 gzip the rest first (so mutations reach the
 * JSON checks), bit 1 send it as Content-Encoding: gzip as it is (the
 * inflater on raw bytes), bit 2 a wrong Content-Type, bit 3 an
 * Idempotency-Key. A refusal must carry a printable reason of fixed
 * shape and a known status; an acceptance must hold a document no larger
 * than the cap, hex ids, a known granularity, and be accepted again the
 * same way (the validator is deterministic).
 */
#include "fuzz.h"
#include "../../collector/ingest.h"
#include "../../util/buf.h"

#include <zlib.h>

#define MAX_BODY (64 * 1024)
/* 2026-12-01: the seeds' periods are plausible then. */
#define NOW 1796083200LL

static struct vt_scrubber *scrub;
static struct vt_allowlist *servers, *clients;

static void init(void)
{
	char err[128];

	scrub = vt_scrubber_new();
	servers = vt_allowlist_new();
	clients = vt_allowlist_new();
	FUZZ_CHECK(vt_allowlist_load(servers, vt_default_servers,
				     strlen(vt_default_servers), "s", err,
				     sizeof(err)) == VT_OK);
	FUZZ_CHECK(vt_allowlist_load(clients, vt_default_clients,
				     strlen(vt_default_clients), "c", err,
				     sizeof(err)) == VT_OK);
}

static void check_reason(const char *r)
{
	size_t n = strlen(r);

	FUZZ_CHECK(n > 0 && n < 256);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(r[i] >= 0x20 && r[i] < 0x7f && r[i] != '"');
}

static int hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static enum vt_reject check(const struct vt_ingest_request *rq,
			    struct vt_ingest_report *out)
{
	struct vt_ingest_lists lists = { servers, clients };
	char reason[256];
	enum vt_reject r = vt_ingest_check(rq, &lists, scrub, out, reason,
					   sizeof(reason));

	FUZZ_CHECK(r < VT_REJ_COUNT);
	check_reason(reason);
	if (r != VT_REJ_NONE) {
		FUZZ_CHECK(out->json == NULL);
		unsigned st = vt_reject_status(r);
		FUZZ_CHECK(st == 400 || st == 413 || st == 415);
		return r;
	}
	FUZZ_CHECK(out->json && out->json_len <= MAX_BODY);
	FUZZ_CHECK(strlen(out->json) == out->json_len);
	FUZZ_CHECK(hex(out->report_id, 32) && hex(out->installation_id, 32));
	FUZZ_CHECK(out->end > out->start);
	FUZZ_CHECK(!strcmp(out->granularity, "hour") ||
		   !strcmp(out->granularity, "day") ||
		   !strcmp(out->granularity, "week"));
	return r;
}

/* data gzip'd into out (bounded by the cap, like a real body). */
static int deflate_into(const uint8_t *data, size_t size, struct vt_buf *out)
{
	uLong cap = compressBound((uLong)size) + 32;
	unsigned char *buf = vt_xmalloc(cap);
	z_stream z;
	int ok;

	memset(&z, 0, sizeof(z));
	ok = deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
			  Z_DEFAULT_STRATEGY) == Z_OK;
	z.next_in = (unsigned char *)(uintptr_t)data;
	z.avail_in = (uInt)size;
	z.next_out = buf;
	z.avail_out = (uInt)cap;
	ok = ok && deflate(&z, Z_FINISH) == Z_STREAM_END;
	if (ok)
		ok = vt_buf_append(out, buf, z.total_out) == VT_OK;
	deflateEnd(&z);
	free(buf);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vt_ingest_report out, again;
	struct vt_buf body;

	if (!scrub)
		init();
	if (size < 1 || size > 4 * MAX_BODY)
		return 0;
	uint8_t flags = data[0];
	data++, size--;
	vt_buf_init(&body, 8 * MAX_BODY);
	if (flags & 1) {
		if (!deflate_into(data, size, &body)) {
			vt_buf_release(&body);
			return 0;
		}
	} else if (size && vt_buf_append(&body, data, size)) {
		vt_buf_release(&body);
		return 0;
	}
	struct vt_ingest_request rq = {
		flags & 4 ? "text/plain" : "application/json",
		flags & 3 ? "gzip" : NULL,
		flags & 8 ? "00000000000000000000000000000000" : NULL,
		body.ptr ? body.ptr : "", body.len, MAX_BODY, NOW,
	};
	if (check(&rq, &out) == VT_REJ_NONE) {
		FUZZ_CHECK(check(&rq, &again) == VT_REJ_NONE);
		FUZZ_CHECK(strcmp(out.report_id, again.report_id) == 0);
		/* Stored under the key sent, or the report_id without one. */
		FUZZ_CHECK(strcmp(out.key, rq.idempotency_key
						   ? rq.idempotency_key
						   : out.report_id) == 0);
		FUZZ_CHECK(out.json_len == again.json_len &&
			   memcmp(out.json, again.json, out.json_len) == 0);
		vt_ingest_report_release(&again);
		vt_ingest_report_release(&out);
	}
	vt_buf_release(&body);
	return 0;
}
