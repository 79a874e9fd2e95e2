/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Upload with libcurl: the only file that includes <curl/curl.h>. One
 * easy handle per report, reused across its attempts. TLS verification
 * cannot be turned off: there is no option for it. Proxies come from the
 * environment (libcurl's https_proxy, HTTPS_PROXY, no_proxy).
 *
 * libcurl is loaded with dlopen when a run has something to send, not
 * linked: with its TLS, SSH, LDAP and Kerberos libraries it takes a
 * process about 6 ms to load, which every run paid, most of them with
 * nothing to upload (see docs/performance.md).
 */
#include "upload.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#ifndef VT_CURL_SONAME
#define VT_CURL_SONAME "libcurl.so.4"
#endif

/* The libcurl functions this file calls, from the loaded library. */
struct vt_curl {
	void *lib;
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode rc);
	void (*easy_cleanup)(CURL *c);
	struct curl_slist *(*slist_append)(struct curl_slist *l,
					   const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

/* dlsym gives an object pointer; POSIX lets it hold a function's. */
static int sym(struct vt_curl *c, const char *name, void *fn, size_t size)
{
	void *p = dlsym(c->lib, name);

	if (!p)
		return -1;
	memcpy(fn, &p, size);
	return 0;
}

#define SYM(c, name, field) sym(c, name, &(c)->field, sizeof((c)->field))

struct vt_curl *vt_curl_open(char *why, size_t n)
{
	struct vt_curl *c = vt_xcalloc(1, sizeof(*c));
	const char *err;

	c->lib = dlopen(VT_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!c->lib) {
		err = dlerror();
		snprintf(why, n, "cannot load libcurl: %s",
			 err ? err : VT_CURL_SONAME);
		free(c);
		return NULL;
	}
	if (SYM(c, "curl_global_init", global_init) ||
	    SYM(c, "curl_global_cleanup", global_cleanup) ||
	    SYM(c, "curl_easy_init", easy_init) ||
	    SYM(c, "curl_easy_setopt", easy_setopt) ||
	    SYM(c, "curl_easy_perform", easy_perform) ||
	    SYM(c, "curl_easy_getinfo", easy_getinfo) ||
	    SYM(c, "curl_easy_strerror", easy_strerror) ||
	    SYM(c, "curl_easy_cleanup", easy_cleanup) ||
	    SYM(c, "curl_slist_append", slist_append) ||
	    SYM(c, "curl_slist_free_all", slist_free_all)) {
		snprintf(why, n, "%s lacks a libcurl function", VT_CURL_SONAME);
		dlclose(c->lib);
		free(c);
		return NULL;
	}
	if (c->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(why, n, "cannot initialize libcurl");
		dlclose(c->lib);
		free(c);
		return NULL;
	}
	return c;
}

void vt_curl_close(struct vt_curl *c)
{
	if (!c)
		return;
	c->global_cleanup();
	/* not dlclose'd: libcurl's TLS library may keep exit handlers */
	free(c);
}

int64_t vt_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t vt_rand_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int64_t vt_backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms,
		      uint64_t rnd, int64_t retry_after_s)
{
	int64_t ceiling = base_ms;

	for (unsigned i = 1; i < attempt && ceiling < cap_ms; i++)
		ceiling *= 2;
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	int64_t wait = ceiling > 0 ? (int64_t)(rnd % (uint64_t)(ceiling + 1))
				   : 0;
	if (retry_after_s > 0 && retry_after_s * 1000 > wait)
		wait = retry_after_s * 1000;
	return wait;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n; /* the answer's body is not needed */
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static int retryable(CURLcode rc, long status)
{
	if (rc != CURLE_OK)
		return rc != CURLE_SSL_CACERT_BADFILE &&
		       rc != CURLE_SSL_CERTPROBLEM && rc != CURLE_URL_MALFORMAT &&
		       rc != CURLE_UNSUPPORTED_PROTOCOL &&
		       rc != CURLE_PEER_FAILED_VERIFICATION &&
		       rc != CURLE_SSL_CIPHER;
	return status == 408 || status == 429 || status >= 500;
}

static struct curl_slist *headers(const struct vt_curl *api,
				  const struct vt_upload_config *cfg,
				  const char *report_id)
{
	struct curl_slist *h = NULL;
	char line[512];

	h = api->slist_append(h, "Content-Type: application/json");
	h = api->slist_append(h, "Content-Encoding: gzip");
	snprintf(line, sizeof(line), "Idempotency-Key: %s", report_id);
	h = api->slist_append(h, line);
	h = api->slist_append(h, "Expect:");
	if (cfg->token) {
		size_t n = strlen(cfg->token) + 32;
		char *auth = vt_xmalloc(n);

		snprintf(auth, n, "Authorization: Bearer %s", cfg->token);
		h = api->slist_append(h, auth);
		/* curl copied it: wipe ours */
		memset(auth, 0, n);
		free(auth);
	}
	return h;
}

static void setup(const struct vt_curl *api, CURL *c,
		  const struct vt_upload_config *cfg, struct curl_slist *h,
		  const void *body, size_t len, char *errbuf)
{
	CURLcode (*curl_easy_setopt)(CURL *, CURLoption, ...) =
		api->easy_setopt;

	curl_easy_setopt(c, CURLOPT_URL, cfg->endpoint);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_USERAGENT, cfg->user_agent);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (cfg->cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->cacert);
	if (cfg->cert)
		curl_easy_setopt(c, CURLOPT_SSLCERT, cfg->cert);
	if (cfg->key)
		curl_easy_setopt(c, CURLOPT_SSLKEY, cfg->key);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, cfg->connect_timeout_s);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, cfg->low_speed_time_s);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
}

enum vt_upload_result vt_upload(const struct vt_curl *api,
				const struct vt_upload_config *cfg,
				const char *report_id, const void *body,
				size_t len, struct vt_upload_outcome *out)
{
	CURL *c = api->easy_init();
	struct curl_slist *h;
	char errbuf[CURL_ERROR_SIZE];
	uint64_t rng = cfg->seed;
	enum vt_upload_result res = VT_UPLOAD_LATER;

	memset(out, 0, sizeof(*out));
	if (!c) {
		snprintf(out->error, sizeof(out->error), "cannot start libcurl");
		return VT_UPLOAD_BROKEN;
	}
	h = headers(api, cfg, report_id);
	setup(api, c, cfg, h, body, len, errbuf);
	for (;;) {
		int64_t left = cfg->deadline_ms - vt_monotonic_ms();
		long timeout = cfg->attempt_timeout_s;
		curl_off_t retry_after = 0;
		long status = 0;

		if (left <= 0)
			break;
		if (timeout * 1000 > left)
			timeout = (long)((left + 999) / 1000);
		api->easy_setopt(c, CURLOPT_TIMEOUT, timeout);
		errbuf[0] = '\0';
		CURLcode rc = api->easy_perform(c);
		out->attempts++;
		if (rc == CURLE_OK)
			api->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		out->status = status;
		if (rc != CURLE_OK)
			snprintf(out->error, sizeof(out->error), "%s",
				 errbuf[0] ? errbuf : api->easy_strerror(rc));
		else
			out->error[0] = '\0';
		if (rc == CURLE_OK && status >= 200 && status < 300) {
			res = VT_UPLOAD_SENT;
			break;
		}
		if (!retryable(rc, status)) {
			res = rc == CURLE_OK ? VT_UPLOAD_REFUSED
					     : VT_UPLOAD_BROKEN;
			break;
		}
		if (out->attempts >= cfg->max_attempts)
			break;
		if (rc == CURLE_OK)
			api->easy_getinfo(c, CURLINFO_RETRY_AFTER,
					  &retry_after);
		int64_t wait = vt_backoff_ms(out->attempts, cfg->backoff_base_ms,
					     cfg->backoff_cap_ms,
					     vt_rand_next(&rng),
					     (int64_t)retry_after);
		if (vt_monotonic_ms() + wait >= cfg->deadline_ms)
			break; /* the next attempt could not finish in time */
		sleep_ms(wait);
	}
	api->slist_free_all(h);
	api->easy_cleanup(c);
	return res;
}
