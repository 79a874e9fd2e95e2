/* SPDX-License-Identifier: Apache-2.0 */
/* Delivery of a report over HTTP(S): retries, backoff, deadlines. */
#ifndef VT_UPLOAD_H
#define VT_UPLOAD_H

#include "../util/vt.h"

#include <stdint.h>

/*
 * libcurl, loaded (dlopen of libcurl.so.4) and initialized on first
 * need. Open it while no other thread runs (libcurl's global init rule).
 * On error returns NULL and says why in why[n]. vt_curl_close accepts
 * NULL.
 */
struct vt_curl;
struct vt_curl *vt_curl_open(char *why, size_t n);
void vt_curl_close(struct vt_curl *curl);

struct vt_upload_config {
	const char *endpoint;   /* http:// or https:// URL */
	const char *token;      /* bearer token, or NULL; never logged */
	const char *cacert;     /* CA bundle file, or NULL for the system's */
	const char *cert;       /* client certificate (PEM), or NULL */
	const char *key;        /* its private key (PEM), or NULL */
	long connect_timeout_s; /* per attempt */
	long low_speed_time_s;  /* abort when under 1 byte/s this long */
	long attempt_timeout_s; /* one attempt, all in */
	int64_t deadline_ms;    /* vt_monotonic_ms() after which nothing starts */
	unsigned max_attempts;  /* per report, within the deadline */
	int64_t backoff_base_ms;
	int64_t backoff_cap_ms;
	uint64_t seed;          /* jitter */
	const char *user_agent;
};

enum vt_upload_result {
	VT_UPLOAD_SENT = 0,   /* a 2xx answer */
	VT_UPLOAD_REFUSED,    /* a 4xx other than 408 and 429: do not retry now */
	VT_UPLOAD_LATER,      /* still failing at the deadline: try next run */
	VT_UPLOAD_BROKEN,     /* a local problem (bad CA file, bad URL) */
};

struct vt_upload_outcome {
	long status;        /* last HTTP status, 0 when none */
	unsigned attempts;
	char error[256];    /* last transport error, no secrets in it */
};

/*
 * POSTs body (len bytes, already gzip'd JSON) to cfg->endpoint with
 * Content-Encoding: gzip, Content-Type: application/json,
 * Idempotency-Key: report_id, the user agent and, when set, the bearer
 * token. TLS peers are always verified. Retries connection errors,
 * timeouts, 408, 429 and 5xx with capped, jittered exponential backoff
 * (a Retry-After answer sets the wait), never past the deadline.
 */
enum vt_upload_result vt_upload(const struct vt_curl *curl,
				const struct vt_upload_config *cfg,
				const char *report_id, const void *body,
				size_t len, struct vt_upload_outcome *out);

/*
 * The wait before retry number attempt (1 for the first retry): "full
 * jitter", a uniform draw in [0, min(cap, base * 2^(attempt-1))] from
 * rnd. A Retry-After of retry_after_s seconds (> 0) replaces the draw
 * when it is longer. Exposed for tests.
 */
int64_t vt_backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms,
		      uint64_t rnd, int64_t retry_after_s);

/* Milliseconds on a clock that never goes back. */
int64_t vt_monotonic_ms(void);

/* A small PRNG step (splitmix64) for jitter. */
uint64_t vt_rand_next(uint64_t *state);

#endif
