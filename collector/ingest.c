/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Validating one uploaded report. The body is inflated under a cap, read
 * by the same reader merge uses, and then written back by the report
 * writer: the document must be that canonical form, field for field (no
 * unknown key, no value the writer would not print, the report_id that
 * the content hashes to). Reasons name fields by the writer's own keys,
 * so no byte of the request is ever echoed.
 */
#include "ingest.h"
#include "../reporter/report.h"
#include "../state/secret.h"
#include "../util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl_tree.h>
#include <zlib.h>

const char *const vt_reject_names[VT_REJ_COUNT] = {
	"none", "content_type", "content_encoding", "too_large", "gzip",
	"json", "schema", "name", "range", "period", "idempotency_key",
	"token", "overloaded", "timeout", "method", "not_found", "query",
};

unsigned vt_reject_status(enum vt_reject r)
{
	switch (r) {
	case VT_REJ_NONE:
		return 201;
	case VT_REJ_CONTENT_TYPE:
	case VT_REJ_ENCODING:
		return 415;
	case VT_REJ_TOO_LARGE:
		return 413;
	case VT_REJ_TOKEN:
		return 401;
	case VT_REJ_OVERLOADED:
		return 429;
	case VT_REJ_TIMEOUT:
		return 408;
	case VT_REJ_METHOD:
		return 405;
	case VT_REJ_NOT_FOUND:
		return 404;
	default:
		return 400;
	}
}

enum vt_reject vt_ingest_inflate(const void *in, size_t n, size_t max,
				 struct vt_buf *out)
{
	z_stream z;
	unsigned char chunk[16384];
	enum vt_reject rc = VT_REJ_NONE;
	int zr = Z_OK;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return VT_REJ_GZIP;
	z.next_in = (unsigned char *)(uintptr_t)in;
	while (n > 0 && zr != Z_STREAM_END && rc == VT_REJ_NONE) {
		unsigned take = n > (1u << 30) ? 1u << 30 : (unsigned)n;

		z.next_in = (unsigned char *)(uintptr_t)in;
		z.avail_in = take;
		do {
			z.next_out = chunk;
			z.avail_out = sizeof(chunk);
			zr = inflate(&z, Z_NO_FLUSH);
			if (zr != Z_OK && zr != Z_STREAM_END &&
			    !(zr == Z_BUF_ERROR && z.avail_in == 0)) {
				rc = VT_REJ_GZIP;
				break;
			}
			size_t got = sizeof(chunk) - z.avail_out;
			if (out->len + got > max) {
				rc = VT_REJ_TOO_LARGE;
				break;
			}
			if (vt_buf_append(out, chunk, got)) {
				rc = VT_REJ_TOO_LARGE;
				break;
			}
		} while (zr != Z_STREAM_END && z.avail_out == 0);
		size_t used = take - z.avail_in;
		in = (const char *)in + used;
		n -= used;
		if (rc == VT_REJ_NONE && zr != Z_STREAM_END && used == 0)
			break; /* no progress: the input is cut short */
	}
	if (rc == VT_REJ_NONE && (zr != Z_STREAM_END || n > 0))
		rc = VT_REJ_GZIP; /* truncated, or bytes after the member */
	inflateEnd(&z);
	return rc;
}

static int is_hex(const char *s, size_t len)
{
	if (strlen(s) != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* "application/json", optionally with parameters. */
static int json_type(const char *ct)
{
	static const char want[] = "application/json";
	size_t n = sizeof(want) - 1;

	if (!ct || strncasecmp(ct, want, n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

struct cmp {
	char *reason;
	size_t n;
	enum vt_reject rc;
};

static void cmp_fail(struct cmp *c, enum vt_reject rc, const char *path,
		     const char *what)
{
	if (c->rc)
		return;
	c->rc = rc;
	snprintf(c->reason, c->n, "%s %s", path, what);
}

static yajl_val member(yajl_val obj, const char *key)
{
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	return NULL;
}

/*
 * Compares the received tree got with the canonical tree want at path
 * (built from want's keys only). Depth is bounded by the reader's cap.
 */
static void compare(struct cmp *c, yajl_val got, yajl_val want,
		    const char *path)
{
	char sub[192];

	if (c->rc)
		return;
	if (YAJL_IS_INTEGER(got) &&
	    (YAJL_GET_INTEGER(got) < 0 ||
	     YAJL_GET_INTEGER(got) > VT_INGEST_MAX_COUNT)) {
		cmp_fail(c, VT_REJ_RANGE, path, "is out of range");
		return;
	}
	if (YAJL_IS_OBJECT(want)) {
		if (!YAJL_IS_OBJECT(got) ||
		    got->u.object.len != want->u.object.len) {
			cmp_fail(c, VT_REJ_SCHEMA, path,
				 "has a field the report schema does not hold there");
			return;
		}
		for (size_t i = 0; i < want->u.object.len && !c->rc; i++) {
			const char *k = want->u.object.keys[i];
			yajl_val g = member(got, k);

			snprintf(sub, sizeof(sub), "%s.%s", path, k);
			if (!g)
				cmp_fail(c, VT_REJ_SCHEMA, path,
					 "has a field the report schema does not hold there");
			else
				compare(c, g, want->u.object.values[i], sub);
		}
		return;
	}
	int same = 0;
	if (YAJL_IS_INTEGER(want))
		same = YAJL_IS_INTEGER(got) &&
		       YAJL_GET_INTEGER(got) == YAJL_GET_INTEGER(want);
	else if (YAJL_IS_STRING(want))
		same = YAJL_IS_STRING(got) &&
		       strcmp(got->u.string, want->u.string) == 0;
	else if (YAJL_IS_NULL(want))
		same = YAJL_IS_NULL(got);
	if (!same)
		cmp_fail(c, VT_REJ_SCHEMA, path,
			 "is not what the report writer makes of the report");
}

/* Every integer of the received tree within 0..VT_INGEST_MAX_COUNT. */
static int in_range(yajl_val v)
{
	if (YAJL_IS_INTEGER(v))
		return YAJL_GET_INTEGER(v) >= 0 &&
		       YAJL_GET_INTEGER(v) <= VT_INGEST_MAX_COUNT;
	if (YAJL_IS_OBJECT(v))
		for (size_t i = 0; i < v->u.object.len; i++)
			if (!in_range(v->u.object.values[i]))
				return 0;
	return 1;
}

static int period_length(const char *g)
{
	return strcmp(g, "hour") == 0	 ? 3600
	       : strcmp(g, "day") == 0	 ? 86400
	       : strcmp(g, "week") == 0 ? 7 * 86400
					 : 0;
}

static enum vt_reject check_period(const struct vt_summary *s, int64_t now,
				   char *reason, size_t n)
{
	int64_t len = period_length(s->granularity);

	if (!len) {
		snprintf(reason, n, "period.granularity is not hour, day or week");
		return VT_REJ_PERIOD;
	}
	/* As the client cuts them: whole UTC hours and days, weeks from
	 * Monday (1970-01-05 was one). */
	int64_t base = len == 7 * 86400 ? 4 * 86400 : 0;
	if (s->end - s->start != len || (s->start - base) % len != 0) {
		snprintf(reason, n, "period.start and period.end are not one whole %s",
			 s->granularity);
		return VT_REJ_PERIOD;
	}
	/* Begun by now (give or take the skew), not over: 'run --flush'
	 * closes the current period, a week's ends days ahead. */
	if (s->start > now + VT_INGEST_CLOCK_SKEW ||
	    s->start < now - (int64_t)VT_INGEST_MAX_AGE_DAYS * 86400) {
		snprintf(reason, n, "period is not within the last %d days",
			 VT_INGEST_MAX_AGE_DAYS);
		return VT_REJ_PERIOD;
	}
	return VT_REJ_NONE;
}

static int listed(const struct vt_allowlist *a, const char *name)
{
	int i = vt_allowlist_find(a, name, strlen(name));

	return i >= 0 && strcmp(vt_allowlist_name(a, (size_t)i), name) == 0;
}

static enum vt_reject check_names(const struct vt_summary *s,
				  const struct vt_ingest_lists *lists,
				  char *reason, size_t n)
{
	for (size_t i = 0; i < s->nbackends; i++) {
		const char *b = s->backends[i].name;

		int tail = 0;

		for (size_t t = 0; t < VT_BACKEND_TAILS; t++)
			tail |= strcmp(b, vt_backend_tail_names[t]) == 0;
		if (!tail && !listed(lists->servers, b)) {
			snprintf(reason, n, "usage.backend_distribution has a name that is not on the server allowlist");
			return VT_REJ_NAME;
		}
	}
	for (size_t i = 0; i < s->nclients; i++) {
		const char *c = s->clients[i].name;

		if (strcmp(c, "other") && !listed(lists->clients, c)) {
			snprintf(reason, n, "usage.clients has a name that is not on the client allowlist");
			return VT_REJ_NAME;
		}
	}
	return VT_REJ_NONE;
}

static uint64_t sum_of(const uint64_t *v, size_t n)
{
	uint64_t t = 0;

	for (size_t i = 0; i < n; i++)
		t += v[i]; /* each at most 2^50: no overflow */
	return t;
}

/*
 * The content against itself and its period: every total the report
 * format defines as a sum equals it (docs/formats.md), and every hour of
 * the timeline lies within [period.start, period.end).
 */
static enum vt_reject check_content(const struct vt_summary *s, char *reason,
				    size_t n)
{
	const struct vt_quality *q = &s->quality;
	const char *bad = NULL;

	if (s->tool_calls != sum_of(s->tool_calls_by_outcome, VT_OUT_COUNT))
		bad = "usage.tool_calls.total is not the sum of usage.tool_calls.by_outcome";
	else if (q->lines_malformed != sum_of(q->malformed_by_reason, VT_BAD_COUNT))
		bad = "quality.lines_malformed is not the sum of quality.malformed_by_reason";
	else if (q->lines_unrecognized !=
		 sum_of(q->unrecognized_by_reason, VT_UNREC_COUNT))
		bad = "quality.lines_unrecognized is not the sum of quality.unrecognized_by_reason";
	for (size_t i = 0; !bad && i < s->nhours; i++)
		if (s->hours[i].start < s->start || s->hours[i].start >= s->end)
			bad = "usage.tool_calls_by_hour has an hour outside the report's period";
	if (!bad)
		return VT_REJ_NONE;
	snprintf(reason, n, "%s", bad);
	return VT_REJ_RANGE;
}

/*
 * An Idempotency-Key is any token a client chooses (ours sends the
 * report_id): 1 to VT_INGEST_KEY_MAX characters from '!' to '~'. It only
 * tells a retry from a new report, within one installation.
 */
static int good_key(const char *key)
{
	size_t i;

	for (i = 0; key[i]; i++)
		if (key[i] < '!' || key[i] > '~' || i == VT_INGEST_KEY_MAX)
			return 0;
	return i > 0;
}

/* The report's ids from the received tree, checked for shape. */
static enum vt_reject read_ids(yajl_val root, const char *key,
			       struct vt_ingest_report *out, char *reason,
			       size_t n)
{
	yajl_val rid = YAJL_IS_OBJECT(root) ? member(root, "report_id") : NULL;
	yajl_val iid = YAJL_IS_OBJECT(root) ? member(root, "installation_id")
					    : NULL;

	if (!YAJL_IS_STRING(rid) || !is_hex(rid->u.string, VT_REPORT_ID_LEN)) {
		snprintf(reason, n, "report.report_id is not %d hex digits",
			 VT_REPORT_ID_LEN);
		return VT_REJ_SCHEMA;
	}
	if (!YAJL_IS_STRING(iid) ||
	    !is_hex(iid->u.string, VT_INSTALLATION_ID_LEN)) {
		snprintf(reason, n, "report.installation_id is not %d hex digits",
			 VT_INSTALLATION_ID_LEN);
		return VT_REJ_SCHEMA;
	}
	if (key && !good_key(key)) {
		snprintf(reason, n,
			 "Idempotency-Key is not 1 to %d printable ASCII characters",
			 VT_INGEST_KEY_MAX);
		return VT_REJ_KEY;
	}
	snprintf(out->key, sizeof(out->key), "%s", key ? key : rid->u.string);
	memcpy(out->report_id, rid->u.string, VT_REPORT_ID_LEN + 1);
	memcpy(out->installation_id, iid->u.string, VT_INSTALLATION_ID_LEN + 1);
	return VT_REJ_NONE;
}

/* The document against the writer's rendering of what was read. */
static enum vt_reject canonical(const struct vt_summary *s, yajl_val root,
				struct vt_ingest_report *out,
				struct vt_scrubber *scrub, char *reason,
				size_t n)
{
	struct vt_report_meta meta = { out->installation_id };
	struct vt_buf b;
	struct vt_sink sink;
	struct cmp c = { reason, n, VT_REJ_NONE };
	char yerr[64];

	vt_buf_init(&b, 64u << 20);
	vt_sink_buffer(&b, &sink);
	if (vt_report_write_json(s, &meta, scrub, &sink, NULL) != VT_OK) {
		vt_buf_release(&b);
		snprintf(reason, n, "report cannot be written back");
		return VT_REJ_SCHEMA;
	}
	yajl_val want = yajl_tree_parse(vt_buf_cstr(&b), yerr, sizeof(yerr));
	vt_buf_release(&b);
	if (!want) {
		snprintf(reason, n, "report cannot be written back");
		return VT_REJ_SCHEMA;
	}
	compare(&c, root, want, "report");
	yajl_tree_free(want);
	return c.rc;
}

static enum vt_reject check_json(const struct vt_ingest_request *rq,
				 const struct vt_ingest_lists *lists,
				 struct vt_scrubber *scrub,
				 struct vt_ingest_report *out, char *reason,
				 size_t n)
{
	struct vt_summary *s = vt_xcalloc(1, sizeof(*s));
	char yerr[64];
	enum vt_reject rc = VT_REJ_NONE;
	yajl_val root = NULL;

	if (vt_report_parse(out->json, out->json_len, s, reason, n) != VT_OK) {
		rc = strncmp(reason, "not a JSON", 10) == 0 ? VT_REJ_JSON
							     : VT_REJ_SCHEMA;
		goto done;
	}
	root = yajl_tree_parse(out->json, yerr, sizeof(yerr));
	if (!root) { /* the reader parsed it: cannot happen, but fail closed */
		snprintf(reason, n, "not a JSON document");
		rc = VT_REJ_JSON;
		goto done;
	}
	if (!in_range(root)) {
		snprintf(reason, n, "report holds a count over %lld",
			 (long long)VT_INGEST_MAX_COUNT);
		rc = VT_REJ_RANGE;
		goto done;
	}
	rc = read_ids(root, rq->idempotency_key, out, reason, n);
	if (!rc)
		rc = check_names(s, lists, reason, n);
	if (!rc)
		rc = check_period(s, rq->now, reason, n);
	if (!rc)
		rc = check_content(s, reason, n);
	if (!rc)
		rc = canonical(s, root, out, scrub, reason, n);
	if (!rc) {
		snprintf(out->granularity, sizeof(out->granularity), "%s",
			 s->granularity);
		out->start = s->start;
		out->end = s->end;
	}
done:
	if (root)
		yajl_tree_free(root);
	free(s);
	return rc;
}

enum vt_reject vt_ingest_check(const struct vt_ingest_request *rq,
			       const struct vt_ingest_lists *lists,
			       struct vt_scrubber *scrub,
			       struct vt_ingest_report *out, char *reason,
			       size_t n)
{
	const char *enc = rq->content_encoding;
	struct vt_buf b;
	enum vt_reject rc;

	memset(out, 0, sizeof(*out));
	snprintf(reason, n, "ok");
	if (!json_type(rq->content_type)) {
		snprintf(reason, n, "Content-Type is not application/json");
		return VT_REJ_CONTENT_TYPE;
	}
	int gz = enc && strcasecmp(enc, "gzip") == 0;
	if (enc && !gz && strcasecmp(enc, "identity") != 0) {
		snprintf(reason, n, "Content-Encoding is neither gzip nor identity");
		return VT_REJ_ENCODING;
	}
	if (rq->len > rq->max_body) {
		snprintf(reason, n, "body is larger than %zu bytes", rq->max_body);
		return VT_REJ_TOO_LARGE;
	}
	vt_buf_init(&b, rq->max_body + 1);
	if (gz)
		rc = vt_ingest_inflate(rq->body, rq->len, rq->max_body, &b);
	else
		rc = vt_buf_append(&b, rq->body, rq->len) ? VT_REJ_TOO_LARGE
							  : VT_REJ_NONE;
	if (rc == VT_REJ_TOO_LARGE)
		snprintf(reason, n, "body inflates to more than %zu bytes",
			 rq->max_body);
	else if (rc)
		snprintf(reason, n, "body is not one complete gzip stream");
	if (rc) {
		vt_buf_release(&b);
		return rc;
	}
	vt_buf_cstr(&b);
	out->json = b.ptr ? b.ptr : vt_xstrdup("");
	out->json_len = b.len;
	rc = check_json(rq, lists, scrub, out, reason, n);
	if (rc)
		vt_ingest_report_release(out);
	return rc;
}

void vt_ingest_report_release(struct vt_ingest_report *r)
{
	free(r->json);
	r->json = NULL;
	r->json_len = 0;
}
