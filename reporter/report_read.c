/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a report back (for merge): the JSON document of report_json.c
 * into a summary. Strict: every field the writer prints must be there
 * with the right type, and no unknown key may appear in a section whose
 * keys are fixed, because a count that could not be placed would make
 * the merged report wrong without saying so.
 */
#include "report.h"
#include "../aggregator/histogram.h"
#include "../util/jsondepth.h"
#include "../util/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl_tree.h>

/*
 * A report nests four levels deep; a document nested deeper is refused
 * before yajl builds its tree, whose recursive free would otherwise run
 * out of stack on a hostile "[[[[...".
 */
#define MAX_DEPTH 16

struct rd {
	char *err;
	size_t errlen;
	int bad;
};

__attribute__((format(printf, 2, 3)))
static void fail(struct rd *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(struct rd *r, const char *fmt, ...)
{
	va_list ap;

	if (r->bad)
		return;
	r->bad = 1;
	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
}

static yajl_val field(struct rd *r, yajl_val obj, const char *key,
		      const char *where)
{
	if (!YAJL_IS_OBJECT(obj)) {
		fail(r, "%s is not an object", where);
		return NULL;
	}
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	fail(r, "%s.%s is missing", where, key);
	return NULL;
}

/* A field added after the first report format: absent reads as zeros. */
static yajl_val optional(yajl_val obj, const char *key)
{
	for (size_t i = 0; YAJL_IS_OBJECT(obj) && i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj;
	return NULL;
}

static uint64_t count_of(struct rd *r, yajl_val v, const char *where)
{
	if (!v)
		return 0;
	if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0) {
		fail(r, "%s is not a count", where);
		return 0;
	}
	return (uint64_t)YAJL_GET_INTEGER(v);
}

static uint64_t num_field(struct rd *r, yajl_val obj, const char *key,
			  const char *where)
{
	char path[96];

	snprintf(path, sizeof(path), "%s.%s", where, key);
	return count_of(r, field(r, obj, key, where), path);
}

/* An enumeration: every key one of names, each a count. */
static void enum_field(struct rd *r, yajl_val obj, const char *key,
		       const char *where, const char *const *names, size_t n,
		       uint64_t *out)
{
	yajl_val m = field(r, obj, key, where);

	if (!m)
		return;
	if (!YAJL_IS_OBJECT(m)) {
		fail(r, "%s.%s is not an object", where, key);
		return;
	}
	for (size_t i = 0; i < m->u.object.len && !r->bad; i++) {
		size_t k = 0;

		while (k < n && strcmp(names[k], m->u.object.keys[i]) != 0)
			k++;
		if (k == n) {
			fail(r, "%s.%s has an unknown key", where, key);
			return;
		}
		out[k] = count_of(r, m->u.object.values[i], key);
	}
}

/* A histogram by label, plus "unknown" when unknown is not NULL. */
static void hist_field(struct rd *r, yajl_val obj, const char *key,
		       const char *where, int (*parse)(const char *, size_t),
		       size_t nbuckets, uint64_t *out, uint64_t *unknown)
{
	yajl_val m = field(r, obj, key, where);

	if (!m)
		return;
	if (!YAJL_IS_OBJECT(m)) {
		fail(r, "%s.%s is not an object", where, key);
		return;
	}
	for (size_t i = 0; i < m->u.object.len && !r->bad; i++) {
		const char *label = m->u.object.keys[i];
		uint64_t c = count_of(r, m->u.object.values[i], key);
		int b = parse(label, strlen(label));

		if (unknown && strcmp(label, "unknown") == 0)
			*unknown = c;
		else if (b < 0 || (size_t)b >= nbuckets)
			fail(r, "%s.%s has an unknown bucket", where, key);
		else
			out[b] = c;
	}
}

static size_t named_field(struct rd *r, yajl_val obj, const char *key,
			  const char *where, struct vt_named_count *out,
			  size_t cap)
{
	yajl_val m = field(r, obj, key, where);
	size_t n = 0;

	if (!m)
		return 0;
	if (!YAJL_IS_OBJECT(m)) {
		fail(r, "%s.%s is not an object", where, key);
		return 0;
	}
	for (size_t i = 0; i < m->u.object.len && !r->bad; i++) {
		const char *name = m->u.object.keys[i];

		if (n == cap) {
			fail(r, "%s.%s has too many names", where, key);
			break;
		}
		/* Only names a report can hold reach a view (a terminal, a
		 * Prometheus label): listed names and the report's own. A
		 * name of another shape (too long, control characters, a
		 * lookalike) is off every list: its count joins "other". */
		int tail = 0;
		for (size_t t = 0; t < VT_BACKEND_TAILS; t++)
			tail |= strcmp(name, vt_backend_tail_names[t]) == 0;
		if (!vt_allowlist_name_valid(name, strlen(name)) && !tail)
			name = "other";
		uint64_t c = count_of(r, m->u.object.values[i], key);
		size_t k = 0;

		while (k < n && strcmp(out[k].name, name) != 0)
			k++;
		if (k < n) {
			out[k].count += c;
			continue;
		}
		snprintf(out[n].name, sizeof(out[n].name), "%s", name);
		out[n++].count = c;
	}
	return n;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
				      : -1;
}

static void sketch_field(struct rd *r, yajl_val dep, struct vt_sketch *k)
{
	yajl_val m = field(r, dep, "instances_sketch", "deployment");
	yajl_val type = m ? field(r, m, "type", "instances_sketch") : NULL;
	const char *t = YAJL_IS_STRING(type) ? type->u.string : "";
	int hll = strcmp(t, "hll") == 0;

	if (r->bad)
		return;
	if (!hll && strcmp(t, "exact") != 0) {
		fail(r, "instances_sketch.type is neither exact nor hll");
		return;
	}
	if (hll && num_field(r, m, "precision", "instances_sketch") != VT_HLL_P) {
		fail(r, "instances_sketch.precision is not %d", VT_HLL_P);
		return;
	}
	yajl_val v = field(r, m, hll ? "registers" : "hashes",
			   "instances_sketch");
	const char *s = YAJL_IS_STRING(v) ? v->u.string : NULL;
	size_t len = s ? strlen(s) : 0;

	if (!s || (hll ? len != 2 * VT_HLL_M
		       : len % 8 != 0 || len / 8 > VT_SKETCH_EXACT)) {
		fail(r, "instances_sketch has the wrong size");
		return;
	}
	memset(k, 0, sizeof(*k));
	for (size_t i = 0; i < len; i++)
		if (hex_digit(s[i]) < 0) {
			fail(r, "instances_sketch is not hex");
			return;
		}
	if (hll) {
		k->approximate = 1;
		for (size_t i = 0; i < VT_HLL_M; i++)
			k->reg[i] = (uint8_t)(hex_digit(s[2 * i]) << 4 |
					      hex_digit(s[2 * i + 1]));
		return;
	}
	for (size_t i = 0; i < len / 8; i++) {
		uint32_t h = 0;

		for (int d = 0; d < 8; d++)
			h = h << 4 | (uint32_t)hex_digit(s[8 * i + (size_t)d]);
		vt_sketch_add(k, h);
	}
}

static int64_t time_field(struct rd *r, yajl_val obj, const char *key)
{
	yajl_val v = field(r, obj, key, "period");
	const char *str = YAJL_IS_STRING(v) ? v->u.string : NULL;
	int64_t t = 0;

	if (v && (!str || vt_time_parse(str, strlen(str), &t) != 0))
		fail(r, "period.%s is not a time", key);
	return t;
}

static void deployment(struct rd *r, yajl_val root, struct vt_summary *s)
{
	yajl_val d = field(r, root, "deployment", "report");
	const char *w = "deployment";

	s->instances = num_field(r, d, "instances", w);
	s->processes = num_field(r, d, "processes", w);
	hist_field(r, d, "backends_per_instance", w, vt_log2_parse,
		   VT_LOG2_BUCKETS, s->backends_per_instance,
		   &s->backends_unknown);
	enum_field(r, d, "conflict_resolution", w, vt_conflict_names,
		   VT_CONFLICT_COUNT, s->conflict);
	enum_field(r, d, "incoming_auth", w, vt_inauth_names, VT_INAUTH_COUNT,
		   s->incoming_auth);
	enum_field(r, d, "outgoing_auth", w, vt_outauth_names,
		   VT_OUTAUTH_COUNT, s->outgoing_auth);
	hist_field(r, d, "composite_tools_defined", w, vt_log2_parse,
		   VT_LOG2_BUCKETS, s->composite_defined, &s->composite_unknown);
	enum_field(r, d, "features", w, vt_feature_names, VT_FEATURE_COUNT,
		   s->features);
	s->instances_configured = num_field(r, d, "instances_configured", w);
	enum_field(r, d, "session_storage", w, vt_session_names,
		   VT_SESSION_COUNT, s->session_storage);
	enum_field(r, d, "composite_steps_defined", w, vt_step_type_names,
		   VT_STEP_COUNT, s->composite_steps_defined);
	sketch_field(r, d, &s->instances_sketch);
}

static void usage(struct rd *r, yajl_val root, struct vt_summary *s)
{
	yajl_val u = field(r, root, "usage", "report");
	const char *w = "usage";
	yajl_val tc = field(r, u, "tool_calls", w);

	s->tool_calls = num_field(r, tc, "total", "usage.tool_calls");
	enum_field(r, tc, "by_outcome", "usage.tool_calls", vt_outcome_names,
		   VT_OUT_COUNT, s->tool_calls_by_outcome);
	hist_field(r, u, "tool_calls_per_instance", w, vt_log2_parse,
		   VT_LOG2_BUCKETS, s->tool_calls_per_instance, NULL);
	hist_field(r, u, "tool_call_duration_ms", w, vt_125_parse,
		   VT_125_BUCKETS, s->tool_call_duration_ms, NULL);
	enum_field(r, u, "composite_tool_executions", w, vt_workflow_names,
		   VT_WF_COUNT, s->workflows);
	enum_field(r, u, "workflow_steps", w, vt_step_type_names,
		   VT_STEP_COUNT, s->workflow_steps);
	enum_field(r, u, "workflow_step_results", w, vt_step_result_names,
		   VT_SR_COUNT, s->workflow_step_results);
	s->nbackends = named_field(r, u, "backend_distribution", w, s->backends,
				   VT_ARRAY_LEN(s->backends));
	s->sessions = num_field(r, u, "sessions", w);
	if (optional(u, "server_discover_probes"))
		s->server_discover = num_field(r, u, "server_discover_probes", w);
	if (optional(u, "server_discover_clients"))
		s->ndiscover_clients = named_field(
			r, u, "server_discover_clients", w, s->discover_clients,
			VT_ARRAY_LEN(s->discover_clients));
	s->nclients = named_field(r, u, "clients", w, s->clients,
				  VT_ARRAY_LEN(s->clients));
	enum_field(r, u, "requests_by_type", w, vt_event_type_names,
		   VT_EV_COUNT, s->requests_by_type);
	yajl_val h = field(r, u, "tool_calls_by_hour", w);
	if (h && !YAJL_IS_OBJECT(h))
		fail(r, "usage.tool_calls_by_hour is not an object");
	for (size_t i = 0; h && !r->bad && i < h->u.object.len; i++) {
		const char *k = h->u.object.keys[i];
		int64_t t;

		if (s->nhours == VT_MAX_HOURS ||
		    vt_time_parse(k, strlen(k), &t) != 0 || t % 3600 != 0) {
			fail(r, "usage.tool_calls_by_hour has a bad hour");
			break;
		}
		s->hours[s->nhours].start = t;
		s->hours[s->nhours++].count =
			count_of(r, h->u.object.values[i], "tool_calls_by_hour");
	}
}

/* The quality counters, by the names the writer prints. */
#define Q(f) { #f, offsetof(struct vt_quality, f) }
static const struct {
	const char *name;
	size_t off;
} quality_counts[] = {
	Q(lines_read), Q(events), Q(lines_malformed), Q(lines_too_long),
	Q(lines_unrecognized), Q(late_events), Q(files),
	Q(app_lines), Q(lines_blank), Q(files_failed), Q(fields_wrong_type),
	Q(fields_out_of_range), Q(unknown_event_types), Q(bad_timestamps),
	Q(lines_without_time), Q(nul_bytes_skipped),
	Q(lines_over_instance_cap), Q(files_lost),
	Q(files_reset),
};
#undef Q

/*
 * A log2 histogram of inputs by bytes. In schema 1's first layout (before
 * byte counts were bucketed) it was the exact total: read as `files`
 * inputs of the average size, so a report written then (a pending one, an
 * archive to merge) still reads, and the exact number is never written
 * again.
 */
static void bytes_field(struct rd *r, yajl_val q, const char *key,
			uint64_t files, uint64_t *out)
{
	yajl_val v = q && YAJL_IS_OBJECT(q)
			     ? yajl_tree_get(q, (const char *[]){ key, NULL },
					     yajl_t_any)
			     : NULL;

	if (!v || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0) {
		hist_field(r, q, key, "quality", vt_log2_parse,
			   VT_LOG2_BUCKETS, out, NULL);
		return;
	}
	uint64_t n = (uint64_t)YAJL_GET_INTEGER(v);

	if (files)
		out[vt_log2_bucket(n / files)] += files;
	else if (n)
		out[vt_log2_bucket(n)] = 1;
}

static void quality(struct rd *r, yajl_val root, struct vt_summary *s)
{
	yajl_val q = field(r, root, "quality", "report");
	struct vt_quality *o = &s->quality;

	for (size_t i = 0; i < VT_ARRAY_LEN(quality_counts); i++)
		*(uint64_t *)((char *)o + quality_counts[i].off) =
			num_field(r, q, quality_counts[i].name, "quality");
	/* Added after schema 1's first reports: absent reads as 0. */
	if (q && YAJL_IS_OBJECT(q) && yajl_tree_get(q, (const char *[]){
		"events_before_consent", NULL }, yajl_t_any))
		o->events_before_consent = num_field(r, q,
						     "events_before_consent",
						     "quality");
	bytes_field(r, q, "bytes_read", o->files, o->bytes_read_by_input);
	bytes_field(r, q, "bytes_lost", o->files_lost, o->bytes_lost_by_file);
	enum_field(r, q, "malformed_by_reason", "quality",
		   vt_malformed_reason_names, VT_BAD_COUNT,
		   o->malformed_by_reason);
	enum_field(r, q, "unrecognized_by_reason", "quality",
		   vt_unrecognized_reason_names, VT_UNREC_COUNT,
		   o->unrecognized_by_reason);
	enum_field(r, q, "lines_by_wrapper", "quality", vt_wrapper_names,
		   VT_WRAP_COUNT, o->lines_by_wrapper);
}

static int by_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * 1 when some object in v holds a key twice: a report is written with
 * each key once, and of two values for one count one would be lost.
 * The tree is at most MAX_DEPTH deep.
 */
static int has_duplicate_key(yajl_val v)
{
	if (YAJL_IS_ARRAY(v)) {
		for (size_t i = 0; i < v->u.array.len; i++)
			if (has_duplicate_key(v->u.array.values[i]))
				return 1;
		return 0;
	}
	if (!YAJL_IS_OBJECT(v))
		return 0;
	size_t n = v->u.object.len;
	const char **keys = vt_xmalloc((n ? n : 1) * sizeof(*keys));
	int dup = 0;

	if (n > 1) {
		memcpy(keys, v->u.object.keys, n * sizeof(*keys));
		qsort(keys, n, sizeof(*keys), by_key);
	}
	for (size_t i = 1; i < n && !dup; i++)
		dup = strcmp(keys[i - 1], keys[i]) == 0;
	free(keys);
	for (size_t i = 0; i < n && !dup; i++)
		dup = has_duplicate_key(v->u.object.values[i]);
	return dup;
}

/*
 * 1 when a string holds an escaped NUL ("\u0000"): yajl's tree keeps
 * strings NUL-terminated, so "git\u0000hub" would be read as "git".
 */
static int has_escaped_nul(const char *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (p[i] != '\\')
			continue;
		if (p[i + 1] == 'u' && i + 5 < n && memcmp(p + i + 2, "0000", 4) == 0)
			return 1;
		i++; /* the escaped character, which may be a backslash */
	}
	return 0;
}

enum vt_err vt_report_parse(const char *text, size_t len,
			    struct vt_summary *s, char *err, size_t errlen)
{
	struct rd r = { err, errlen, 0 };
	char yerr[128];
	yajl_val root = NULL;

	memset(s, 0, sizeof(*s));
	/* A NUL inside would end the document early for yajl. */
	if (memchr(text, '\0', len) || has_escaped_nul(text, len) ||
	    vt_json_depth_ok(text, len, MAX_DEPTH)) {
		snprintf(err, errlen, "not a JSON document (or it holds a NUL, or nests deeper than %d)",
			 MAX_DEPTH);
		return VT_ERR_FORMAT;
	}
	char *copy = vt_xstrndup(text, len);
	root = yajl_tree_parse(copy, yerr, sizeof(yerr));
	free(copy);
	if (!root) {
		snprintf(err, errlen, "not a JSON document");
		return VT_ERR_FORMAT;
	}
	if (has_duplicate_key(root)) {
		snprintf(err, errlen, "a key appears twice in one object");
		yajl_tree_free(root);
		return VT_ERR_FORMAT;
	}
	if (num_field(&r, root, "schema_version", "report") !=
	    VT_SCHEMA_VERSION && !r.bad)
		fail(&r, "schema_version is not %d", VT_SCHEMA_VERSION);
	yajl_val p = field(&r, root, "period", "report");
	s->start = time_field(&r, p, "start");
	s->end = time_field(&r, p, "end");
	yajl_val g = field(&r, p, "granularity", "period");
	static const char *const grains[] = { "hour", "day", "week", "all" };
	const char *gs = YAJL_IS_STRING(g) ? g->u.string : NULL;
	for (size_t i = 0; gs && i < 4; i++)
		if (strcmp(gs, grains[i]) == 0)
			s->granularity = grains[i];
	if (!s->granularity)
		fail(&r, "period.granularity is not hour, day, week or all");
	deployment(&r, root, s);
	usage(&r, root, s);
	yajl_val op = field(&r, root, "operational", "report");
	hist_field(&r, op, "uptime_seconds_per_instance", "operational",
		   vt_125_parse, VT_125_BUCKETS, s->uptime_seconds, NULL);
	s->restarts = num_field(&r, op, "restarts", "operational");
	s->config_changes = num_field(&r, op, "config_changes", "operational");
	if (optional(op, "backend_health"))
		enum_field(&r, op, "backend_health", "operational",
			   vt_health_names, VT_HEALTH_COUNT, s->backend_health);
	quality(&r, root, s);
	yajl_tree_free(root);
	return r.bad ? VT_ERR_FORMAT : VT_OK;
}
