/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The collector's HTTP side on libmicrohttpd: a thread pool, idle and
 * whole-request timeouts, a body cap checked on Content-Length and while
 * the body arrives, bounded validation (429 past max_inflight), and the
 * routes POST /v1/reports, GET /v1/summary, /, /metrics, /healthz.
 */
#include "fleet.h"
#include "server.h"
#include "../util/hash.h"
#include "../util/timeutil.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum route { R_REPORTS, R_SUMMARY, R_DASHBOARD, R_METRICS, R_HEALTHZ,
	     R_OTHER, R_COUNT };
static const char *const route_names[R_COUNT] = {
	"reports", "summary", "dashboard", "metrics", "healthz", "other",
};
static const unsigned codes[] = { 200, 201, 400, 401, 404, 405, 408, 413,
				  415, 429, 500, 503 };
#define NCODES (sizeof(codes) / sizeof(codes[0]))

/*
 * A connection as the watchdog sees it: libmicrohttpd's idle timeout
 * does not stop a client that sends its headers or its body one byte a
 * second, so a thread ends every connection whose request (headers and
 * body, on every route) has not been answered within the request
 * timeout: over plain HTTP it writes a 408 first (libmicrohttpd cannot
 * queue a response while a body is still arriving); over TLS it only
 * closes (the TLS session is libmicrohttpd's).
 */
struct watch {
	int used;
	int fd;
	int waiting;   /* for a request to be answered */
	int64_t since; /* monotonic ms */
};

struct vt_server {
	struct vt_server_config cfg;
	struct MHD_Daemon *d;
	pthread_mutex_t lock;
	pthread_t watchdog;
	int stopping;
	struct watch *watches; /* cfg.max_connections of them */
	atomic_uint inflight;
	atomic_uint views;     /* summaries and dashboards being made */
	atomic_ullong requests[R_COUNT][NCODES];
	atomic_ullong rejections[VT_REJ_COUNT];
	atomic_ullong stored, duplicates;
};

/* One request in progress. */
struct req {
	enum route route;
	struct vt_buf body;
	enum vt_reject early; /* refused before the body was all read */
	int inflight;          /* holds a slot of max_inflight */
	int view;              /* holds a slot of the views' cap */
	int answered;
	uint64_t dropped;      /* bytes over the cap, read and dropped */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void count(struct vt_server *s, enum route r, unsigned code)
{
	for (size_t i = 0; i < NCODES; i++)
		if (codes[i] == code)
			atomic_fetch_add(&s->requests[r][i], 1);
}

static void watch_set(struct vt_server *s, struct MHD_Connection *c,
		      int waiting);

/* Queues resp; the watchdog no longer times the request. */
static enum MHD_Result queue(struct vt_server *s, struct MHD_Connection *c,
			     unsigned code, struct MHD_Response *resp)
{
	enum MHD_Result rc;

	watch_set(s, c, 0);
	rc = MHD_queue_response(c, code, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result answer(struct vt_server *s, struct MHD_Connection *c,
			    enum route r, unsigned code, const char *type,
			    const char *body, size_t len, int retry_after)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (r == R_DASHBOARD)
		MHD_add_response_header(resp, "Content-Security-Policy",
					"default-src 'none'; style-src 'unsafe-inline'; img-src data:");
	if (retry_after)
		MHD_add_response_header(resp, "Retry-After", "1");
	rc = queue(s, c, code, resp);
	count(s, r, code);
	return rc;
}

/* A JSON string's content: quotes, backslashes and controls escaped. */
static void json_escape(const char *in, char *out, size_t n)
{
	size_t o = 0;

	for (; *in && o + 7 < n; in++) {
		unsigned char ch = (unsigned char)*in;

		if (ch == '"' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch < 0x20 || ch >= 0x7f) {
			o += (size_t)snprintf(out + o, n - o, "\\u%04x", ch);
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o] = '\0';
}

static enum MHD_Result refuse(struct vt_server *s, struct MHD_Connection *c,
			      enum route r, enum vt_reject why,
			      const char *reason)
{
	char esc[512], body[700];
	int n;

	atomic_fetch_add(&s->rejections[why], 1);
	json_escape(reason, esc, sizeof(esc));
	n = snprintf(body, sizeof(body), "{\"error\":\"%s\",\"reason\":\"%s\"}\n",
		     vt_reject_names[why], esc);
	return answer(s, c, r, vt_reject_status(why), "application/json", body,
		    (size_t)n, why == VT_REJ_OVERLOADED);
}

/*
 * The path of a request target, in origin form or in absolute form
 * (RFC 9112 3.2.2: "http://host:port/v1/reports", which a forward proxy
 * may send and a server must accept).
 */
static const char *origin_form(const char *url)
{
	const char *p = NULL;

	if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	if (!p)
		return url;
	p += strcspn(p, "/?#");
	return *p == '/' ? p : "/";
}

static enum route route_of(const char *url)
{
	static const char *const paths[] = { "/v1/reports", "/v1/summary", "/",
					     "/metrics", "/healthz" };

	url = origin_form(url);
	for (size_t i = 0; i < VT_ARRAY_LEN(paths); i++)
		if (strcmp(url, paths[i]) == 0)
			return (enum route)i;
	return R_OTHER;
}

/* 1 when the request carries one of the configured bearer tokens. */
static int token_ok(const struct vt_server *s, struct MHD_Connection *c)
{
	const char *auth;
	unsigned char digest[32];
	int ok = 0;

	if (!s->cfg.ntokens)
		return 1;
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
		return 0;
	vt_sha256(auth + 7, strlen(auth + 7), digest);
	/* Constant time: every token, every byte of the digests. */
	for (size_t t = 0; t < s->cfg.ntokens; t++) {
		unsigned char diff = 0;

		for (size_t i = 0; i < sizeof(digest); i++)
			diff |= (unsigned char)(digest[i] ^ s->cfg.tokens[t][i]);
		ok |= diff == 0;
	}
	return ok;
}

/* The first call for a report: what can be refused before the body. */
static enum vt_reject report_head(struct vt_server *s,
				  struct MHD_Connection *c, struct req *q,
				  const char **why)
{
	const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						      "Content-Length");

	if (!token_ok(s, c)) {
		*why = "Authorization does not carry a valid bearer token";
		return VT_REJ_TOKEN;
	}
	if (len && strtoull(len, NULL, 10) > s->cfg.max_body) {
		*why = "Content-Length is over the body cap";
		return VT_REJ_TOO_LARGE;
	}
	(void)q;
	return VT_REJ_NONE;
}

/*
 * A slot of max_inflight, taken once the whole body has arrived (so slow
 * senders, bounded by the request timeout, hold none): 0, or -1 busy.
 */
static int take_slot(struct vt_server *s, struct req *q)
{
	if (atomic_fetch_add(&s->inflight, 1) >= s->cfg.max_inflight) {
		atomic_fetch_sub(&s->inflight, 1);
		return -1;
	}
	q->inflight = 1;
	return 0;
}

/* Validation and storage are over: the next report may start. */
static void release_slot(struct vt_server *s, struct req *q)
{
	if (q->inflight)
		atomic_fetch_sub(&s->inflight, 1);
	q->inflight = 0;
}

static enum MHD_Result report_done(struct vt_server *s,
				   struct MHD_Connection *c, struct req *q)
{
	struct vt_ingest_request rq = {
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Encoding"),
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key"),
		q->body.ptr ? q->body.ptr : "", q->body.len, s->cfg.max_body,
		(int64_t)time(NULL),
	};
	struct vt_ingest_report rep;
	struct vt_scrubber *scrub = vt_scrubber_new();
	char reason[256], body[160];
	enum vt_reject rj;

	if (take_slot(s, q)) {
		vt_scrubber_free(scrub);
		return refuse(s, c, R_REPORTS, VT_REJ_OVERLOADED,
			      "the collector is busy; retry after the time given");
	}
	rj = vt_ingest_check(&rq, s->cfg.lists, scrub, &rep, reason,
			     sizeof(reason));
	vt_scrubber_free(scrub);
	if (rj) {
		release_slot(s, q);
		return refuse(s, c, R_REPORTS, rj, reason);
	}
	enum vt_store_put put = vt_store_put(s->cfg.store, &rep, rq.now);
	vt_ingest_report_release(&rep);
	release_slot(s, q);
	if (put == VT_STORE_FAILED) {
		static const char busy[] =
			"{\"error\":\"database\",\"reason\":\"the database did not take the report; retry\"}\n";
		return answer(s, c, R_REPORTS, 503, "application/json", busy,
			    sizeof(busy) - 1, 1);
	}
	atomic_fetch_add(put == VT_STORE_STORED ? &s->stored : &s->duplicates, 1);
	int n = snprintf(body, sizeof(body),
			 "{\"status\":\"%s\",\"report_id\":\"%s\"}\n",
			 put == VT_STORE_STORED ? "stored" : "duplicate",
			 rep.report_id);
	return answer(s, c, R_REPORTS, put == VT_STORE_STORED ? 201 : 200,
		    "application/json", body, (size_t)n, 0);
}

/*
 * The body as it arrives. libmicrohttpd sends a response queued before
 * the body is all read only on the first call, so a body found too large
 * on the way (chunked, without Content-Length) is read and dropped, and
 * answered 413 at its end; one that goes on past four times the cap, or
 * past the request timeout, has its connection closed.
 */
static enum MHD_Result report_post(struct vt_server *s,
				   struct MHD_Connection *c, struct req *q,
				   const char *data, size_t *size)
{
	size_t n = *size;

	/* A body past the request timeout: the watchdog answers 408. */
	*size = 0;
	if (n == 0 && q->dropped)
		return refuse(s, c, R_REPORTS, VT_REJ_TOO_LARGE,
			      "body is larger than the body cap");
	if (n == 0)
		return report_done(s, c, q);
	if (q->dropped || q->body.len + n > s->cfg.max_body ||
	    vt_buf_append(&q->body, data, n)) {
		q->dropped += n;
		if (q->dropped > 4 * (uint64_t)s->cfg.max_body) {
			atomic_fetch_add(&s->rejections[VT_REJ_TOO_LARGE], 1);
			return MHD_NO;
		}
	}
	return MHD_YES;
}

/* "YYYY-MM-DD" strictly, into a day number. */
static int parse_day(const char *s, int64_t *day)
{
	unsigned y, m, d;
	char tail;
	int64_t t;
	char buf[32];

	if (!s || strlen(s) != 10 ||
	    sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3)
		return -1;
	snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
	if (vt_time_parse(buf, strlen(buf), &t) != 0)
		return -1;
	*day = vt_days_from_civil(y, m, d);
	return 0;
}

/* A page made from the database: the summary or the dashboard. */
struct view {
	enum route route;
	const char *type;
	int64_t from, to; /* the summary's days */
	int by;
};

/*
 * Summaries and dashboards made at once: one server thread fewer than
 * there are (at least one), so a thread is always free for /healthz,
 * /metrics and the reports; more are answered 429.
 */
static unsigned views_cap(const struct vt_server *s)
{
	return s->cfg.threads > 1 ? s->cfg.threads - 1 : 1;
}

static enum MHD_Result view(struct vt_server *s, struct MHD_Connection *c,
			    const struct view *v)
{
	static const char down[] = "{\"error\":\"database\"}\n";
	struct vt_store_reader *rd;
	struct vt_buf out;
	int rc = -1;

	if (atomic_fetch_add(&s->views, 1) >= views_cap(s)) {
		atomic_fetch_sub(&s->views, 1);
		return refuse(s, c, v->route, VT_REJ_OVERLOADED,
			      "the collector is busy; retry after the time given");
	}
	rd = vt_store_reader_open(s->cfg.store);
	vt_buf_init(&out, 512u << 20);
	if (rd && v->route == R_SUMMARY)
		rc = vt_fleet_summary(rd, v->from, v->to, v->by,
				      s->cfg.min_installations, &out);
	else if (rd)
		rc = vt_dashboard_write(rd, (int64_t)time(NULL), v->by,
					s->cfg.min_installations, &out);
	vt_store_reader_close(rd);
	atomic_fetch_sub(&s->views, 1);
	enum MHD_Result r =
		rc ? answer(s, c, v->route, 503, "application/json", down,
			    sizeof(down) - 1, 1)
		   : answer(s, c, v->route, 200, v->type,
			    out.ptr ? out.ptr : "", out.len, 0);
	vt_buf_release(&out);
	return r;
}

static enum MHD_Result count_arg(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	static const char *const known[] = { "from", "to", "by" };
	unsigned *seen = cls;

	(void)kind;
	(void)value;
	for (size_t i = 0; i < VT_ARRAY_LEN(known); i++)
		if (strcmp(key, known[i]) == 0)
			seen[i]++;
	return MHD_YES;
}

/* 1 when from, to or by is given more than once. */
static int repeated_args(struct MHD_Connection *c)
{
	unsigned seen[3] = { 0, 0, 0 };

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, count_arg, seen);
	return seen[0] > 1 || seen[1] > 1 || seen[2] > 1;
}

static enum MHD_Result summary(struct vt_server *s, struct MHD_Connection *c)
{
	const char *from = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from");
	const char *to = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "to");
	const char *by = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "by");
	int64_t f, t;
	int step = 0;

	if (repeated_args(c))
		return refuse(s, c, R_SUMMARY, VT_REJ_QUERY,
			      "from, to and by may each be given once");
	if (parse_day(from, &f) || parse_day(to, &t) || t < f)
		return refuse(s, c, R_SUMMARY, VT_REJ_QUERY,
			      "from and to must be dates YYYY-MM-DD, from not after to");
	if (t - f > 3660)
		return refuse(s, c, R_SUMMARY, VT_REJ_QUERY,
			      "from and to are more than ten years apart");
	if (by && strcmp(by, "day") == 0)
		step = 1;
	else if (by && strcmp(by, "week") == 0)
		step = 7;
	else if (by)
		return refuse(s, c, R_SUMMARY, VT_REJ_QUERY, "by is neither day nor week");
	struct view v = { R_SUMMARY, "application/json", f, t, step };
	return view(s, c, &v);
}

static enum MHD_Result dashboard(struct vt_server *s, struct MHD_Connection *c)
{
	const char *by = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "by");
	struct view v = { R_DASHBOARD, "text/html; charset=utf-8", 0, 0,
			  by && strcmp(by, "week") == 0 ? 7 : 1 };

	return view(s, c, &v);
}

static void metric(struct vt_buf *b, const char *name, const char *type,
		   const char *help)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "# HELP %s %s\n# TYPE %s %s\n",
			 name, help, name, type);

	vt_buf_append(b, line, (size_t)n);
}

static void sample(struct vt_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sample(struct vt_buf *b, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(line))
		vt_buf_append(b, line, (size_t)n);
}

static enum MHD_Result metrics(struct vt_server *s, struct MHD_Connection *c)
{
	struct vt_buf b;
	uint64_t reports, raw, rollups, bytes;

	/* This request counts itself before the text is made. */
	count(s, R_METRICS, 200);
	vt_buf_init(&b, 1u << 20);
	metric(&b, "vmcp_collector_requests_total", "counter",
	       "HTTP requests answered, by route and status code.");
	for (size_t r = 0; r < R_COUNT; r++)
		for (size_t i = 0; i < NCODES; i++)
			if (atomic_load(&s->requests[r][i]))
				sample(&b, "vmcp_collector_requests_total{route=\"%s\",code=\"%u\"} %llu\n",
				       route_names[r], codes[i],
				       (unsigned long long)atomic_load(&s->requests[r][i]));
	metric(&b, "vmcp_collector_rejections_total", "counter",
	       "Requests refused, by reason.");
	for (size_t i = 1; i < VT_REJ_COUNT; i++)
		sample(&b, "vmcp_collector_rejections_total{reason=\"%s\"} %llu\n",
		       vt_reject_names[i],
		       (unsigned long long)atomic_load(&s->rejections[i]));
	metric(&b, "vmcp_collector_reports_accepted_total", "counter",
	       "Reports accepted since start, new or already held.");
	sample(&b, "vmcp_collector_reports_accepted_total{result=\"stored\"} %llu\n",
	       (unsigned long long)atomic_load(&s->stored));
	sample(&b, "vmcp_collector_reports_accepted_total{result=\"duplicate\"} %llu\n",
	       (unsigned long long)atomic_load(&s->duplicates));
	vt_store_stats(s->cfg.store, &reports, &raw, &rollups, &bytes);
	metric(&b, "vmcp_collector_reports_stored", "gauge",
	       "Reports held in the database (keys of rolled-up reports included).");
	sample(&b, "vmcp_collector_reports_stored %" PRIu64 "\n", reports);
	metric(&b, "vmcp_collector_reports_raw", "gauge",
	       "Reports whose raw document is still held.");
	sample(&b, "vmcp_collector_reports_raw %" PRIu64 "\n", raw);
	metric(&b, "vmcp_collector_rollups", "gauge", "Daily rollups held.");
	sample(&b, "vmcp_collector_rollups %" PRIu64 "\n", rollups);
	metric(&b, "vmcp_collector_database_bytes", "gauge",
	       "Size of the database file and its write-ahead log.");
	sample(&b, "vmcp_collector_database_bytes %" PRIu64 "\n", bytes);
	metric(&b, "vmcp_collector_inflight_reports", "gauge",
	       "Reports being validated and stored now.");
	sample(&b, "vmcp_collector_inflight_reports %u\n", atomic_load(&s->inflight));
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		b.len, b.ptr ? b.ptr : (char *)"", MHD_RESPMEM_MUST_COPY);
	vt_buf_release(&b);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	return queue(s, c, 200, resp);
}

static enum MHD_Result get(struct vt_server *s, struct MHD_Connection *c,
			   enum route r)
{
	switch (r) {
	case R_SUMMARY:
		return summary(s, c);
	case R_DASHBOARD:
		return dashboard(s, c);
	case R_METRICS:
		return metrics(s, c);
	case R_HEALTHZ:
		if (vt_store_ok(s->cfg.store))
			return answer(s, c, r, 200, "text/plain", "ok\n", 3, 0);
		return answer(s, c, r, 503, "text/plain", "database unavailable\n", 21, 1);
	default:
		return refuse(s, c, r, VT_REJ_NOT_FOUND, "no such path");
	}
}

static void watch_set(struct vt_server *s, struct MHD_Connection *c,
		      int waiting)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct watch *w = ci ? ci->socket_context : NULL;

	if (!w)
		return;
	pthread_mutex_lock(&s->lock);
	w->waiting = waiting;
	w->since = now_ms();
	pthread_mutex_unlock(&s->lock);
}

static void notify(void *cls, struct MHD_Connection *c, void **socket_context,
		   enum MHD_ConnectionNotificationCode toe)
{
	struct vt_server *s = cls;
	const union MHD_ConnectionInfo *ci;

	pthread_mutex_lock(&s->lock);
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		/* Called before the socket is closed: the watchdog, which
		 * holds the lock while it shuts a socket down, never touches
		 * a descriptor that was closed and reused. */
		if (*socket_context)
			((struct watch *)*socket_context)->used = 0;
		*socket_context = NULL;
	} else if ((ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD))) {
		for (size_t i = 0; i < s->cfg.max_connections; i++) {
			struct watch *w = &s->watches[i];

			if (w->used)
				continue;
			*w = (struct watch){ 1, ci->connect_fd, 1, now_ms() };
			*socket_context = w;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
}

static const char timed_out[] =
	"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
	"Content-Type: application/json\r\nContent-Length: 68\r\n\r\n"
	"{\"error\":\"timeout\",\"reason\":\"the request took longer than allowed\"}\n";

static void *watchdog(void *arg)
{
	struct vt_server *s = arg;
	int64_t limit = (int64_t)s->cfg.request_timeout_s * 1000;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		int64_t now = now_ms();

		for (size_t i = 0; i < s->cfg.max_connections; i++) {
			struct watch *w = &s->watches[i];

			if (w->used && w->waiting && now - w->since > limit) {
				if (!s->cfg.tls_cert)
					send(w->fd, timed_out, sizeof(timed_out) - 1,
					     MSG_DONTWAIT | MSG_NOSIGNAL);
				shutdown(w->fd, SHUT_RDWR);
				w->waiting = 0;
				atomic_fetch_add(&s->rejections[VT_REJ_TIMEOUT], 1);
			}
		}
		pthread_mutex_unlock(&s->lock);
		usleep(250 * 1000);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *data,
			      size_t *size, void **con_cls)
{
	struct vt_server *s = cls;
	struct req *q = *con_cls;
	const char *why = "";

	(void)version;
	if (!q) {
		q = vt_xcalloc(1, sizeof(*q));
		q->route = route_of(url);
		vt_buf_init(&q->body, s->cfg.max_body);
		*con_cls = q;
		int post = strcmp(method, "POST") == 0;
		int getlike = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
		if (q->route == R_REPORTS && post) {
			q->early = report_head(s, c, q, &why);
			if (!q->early)
				return MHD_YES;
		} else if (q->route == R_OTHER) {
			q->early = VT_REJ_NOT_FOUND, why = "no such path";
		} else if (q->route == R_REPORTS || !getlike) {
			q->early = VT_REJ_METHOD, why = "method not allowed on this path";
		} else {
			return MHD_YES; /* a GET: answered on the next call */
		}
		q->answered = 1;
		*size = 0;
		return refuse(s, c, q->route, q->early, why);
	}
	if (q->route == R_REPORTS && !q->early)
		return report_post(s, c, q, data, size);
	if (q->answered || *size) { /* a GET's body is not read */
		*size = 0;
		return MHD_YES;
	}
	q->answered = 1;
	return get(s, c, q->route);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct vt_server *s = cls;
	struct req *q = *con_cls;

	(void)toe;
	watch_set(s, c, 1);
	if (!q)
		return;
	release_slot(s, q);
	vt_buf_release(&q->body);
	free(q);
	*con_cls = NULL;
}

static void server_free(struct vt_server *s)
{
	pthread_mutex_destroy(&s->lock);
	free(s->watches);
	free(s);
}

struct vt_server *vt_server_start(const struct vt_server_config *cfg,
				  uint16_t *port, char *why, size_t n)
{
	struct vt_server *s = vt_xcalloc(1, sizeof(*s));
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	struct sockaddr *sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;

	s->cfg = *cfg;
	s->watches = vt_xcalloc(cfg->max_connections, sizeof(*s->watches));
	pthread_mutex_init(&s->lock, NULL);
	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	if (inet_pton(AF_INET, cfg->addr, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons(cfg->port);
		sa = (struct sockaddr *)&a4;
	} else if (inet_pton(AF_INET6, cfg->addr, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons(cfg->port);
		sa = (struct sockaddr *)&a6;
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(why, n, "the listen address is not a numeric IPv4 or IPv6 address");
		server_free(s);
		return NULL;
	}
	if (cfg->tls_cert) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			snprintf(why, n, "this libmicrohttpd has no TLS support");
			server_free(s);
			return NULL;
		}
		flags |= MHD_USE_TLS;
	}
	s->d = MHD_start_daemon(
		flags, cfg->port, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, sa,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
		MHD_OPTION_NOTIFY_COMPLETED, completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, notify, s,
		cfg->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
		cfg->tls_cert, MHD_OPTION_HTTPS_MEM_KEY, cfg->tls_key,
		MHD_OPTION_END);
	if (!s->d) {
		snprintf(why, n, "cannot listen there (in use, or not allowed)");
		server_free(s);
		return NULL;
	}
	if (pthread_create(&s->watchdog, NULL, watchdog, s) != 0) {
		MHD_stop_daemon(s->d);
		snprintf(why, n, "cannot start a thread");
		server_free(s);
		return NULL;
	}
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	*port = info ? info->port : cfg->port;
	return s;
}

void vt_server_stop(struct vt_server *srv)
{
	if (!srv)
		return;
	pthread_mutex_lock(&srv->lock);
	srv->stopping = 1;
	pthread_mutex_unlock(&srv->lock);
	pthread_join(srv->watchdog, NULL);
	MHD_stop_daemon(srv->d);
	server_free(srv);
}
