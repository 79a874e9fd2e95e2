/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The collector's request validator: one POST /v1/reports in, a verdict
 * out. As strict as the client's own ingestion: the report reader, the
 * shipped name allowlists, the report's enumerations, known fields and
 * types only, numbers in range, a well-formed sketch, a plausible period.
 * Pure (no I/O, no globals), so the fuzz target drives it directly.
 */
#ifndef VT_COLLECTOR_INGEST_H
#define VT_COLLECTOR_INGEST_H

#include "../aggregator/privacy.h"

#include <stddef.h>
#include <stdint.h>

/* Why a request was refused: the label of the rejection metric. */
enum vt_reject {
	VT_REJ_NONE,
	VT_REJ_CONTENT_TYPE, /* 415: not application/json */
	VT_REJ_ENCODING,     /* 415: neither gzip nor identity */
	VT_REJ_TOO_LARGE,    /* 413: over --max-body, sent or inflated */
	VT_REJ_GZIP,         /* 400: not complete gzip */
	VT_REJ_JSON,         /* 400: not JSON, or not UTF-8 */
	VT_REJ_SCHEMA,       /* 400: not a report: a field is wrong */
	VT_REJ_NAME,         /* 400: a name off the allowlist */
	VT_REJ_RANGE,        /* 400: a number out of range */
	VT_REJ_PERIOD,       /* 400: an implausible period */
	VT_REJ_KEY,          /* 400: Idempotency-Key empty, too long or not printable */
	VT_REJ_TOKEN,        /* 401: bad or missing bearer token */
	VT_REJ_OVERLOADED,   /* 429 */
	VT_REJ_TIMEOUT,      /* 408: the request took too long */
	VT_REJ_METHOD,       /* 405 */
	VT_REJ_NOT_FOUND,    /* 404 */
	VT_REJ_QUERY,        /* 400: a bad query string */
	VT_REJ_COUNT
};

extern const char *const vt_reject_names[VT_REJ_COUNT];
/* The HTTP status of each reason. */
unsigned vt_reject_status(enum vt_reject r);

/* The largest count a report may carry: sums of a million stay exact. */
#define VT_INGEST_MAX_COUNT (1LL << 50)
/* How old a period may start, and how far ahead of the clock. */
#define VT_INGEST_MAX_AGE_DAYS 400
#define VT_INGEST_CLOCK_SKEW 86400

struct vt_ingest_request {
	const char *content_type;     /* header values, NULL when absent */
	const char *content_encoding;
	const char *idempotency_key;
	const void *body;
	size_t len;
	size_t max_body;              /* cap on the inflated body, bytes */
	int64_t now;                  /* Unix seconds */
};

/* What a valid report is stored as. */
/* The longest Idempotency-Key taken (printable ASCII, no space). */
#define VT_INGEST_KEY_MAX 128

struct vt_ingest_report {
	char report_id[33];
	/* The Idempotency-Key as sent, or the report_id when none was. */
	char key[VT_INGEST_KEY_MAX + 1];
	char installation_id[33];
	char granularity[8];
	int64_t start, end;
	char *json; /* the inflated document, NUL-terminated; owned */
	size_t json_len;
};

/* The names a report may carry (borrowed; the shipped lists by default). */
struct vt_ingest_lists {
	const struct vt_allowlist *servers;
	const struct vt_allowlist *clients;
};

/*
 * Checks rq. On success returns VT_REJ_NONE and fills *out (free
 * out->json with vt_ingest_report_release). Otherwise returns the reason
 * and writes a sentence naming the field (never a value from the
 * request) into reason. scrub is the caller's (one per thread).
 */
enum vt_reject vt_ingest_check(const struct vt_ingest_request *rq,
			       const struct vt_ingest_lists *lists,
			       struct vt_scrubber *scrub,
			       struct vt_ingest_report *out, char *reason,
			       size_t n);
void vt_ingest_report_release(struct vt_ingest_report *r);

/*
 * Inflates a gzip member of in[0..n) into out, at most max bytes.
 * Returns VT_REJ_NONE, VT_REJ_TOO_LARGE (more than max bytes inflated:
 * it stops there) or VT_REJ_GZIP (not one complete gzip member).
 */
struct vt_buf;
enum vt_reject vt_ingest_inflate(const void *in, size_t n, size_t max,
				 struct vt_buf *out);

#endif
