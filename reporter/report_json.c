/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON reporter: the only file that uses yajl's generator. Key order
 * is fixed by the code below (it is the documented contract, see
 * docs/report.md); enumerations print every key, histograms and name
 * distributions print only their non-zero buckets.
 */
#include "report.h"
#include "../util/hash.h"
#include "../util/timeutil.h"

#include <stdlib.h>
#include <string.h>
#include <yajl_gen.h>

struct writer {
	yajl_gen g;
	struct vt_sink *sink;
	struct vt_scrubber *scrub;
	unsigned redacted;
	enum vt_err err;
};

static void print_cb(void *ctx, const char *p, size_t n)
{
	struct writer *w = ctx;

	if (!w->err)
		w->err = vt_sink_write(w->sink, p, n);
}

static void str(struct writer *w, const char *s)
{
	size_t n = strlen(s);

	if (vt_scrubber_hit(w->scrub, s, n)) {
		w->redacted++;
		s = "redacted";
		n = strlen(s);
	}
	yajl_gen_string(w->g, (const unsigned char *)s, n);
}

static void num(struct writer *w, const char *key, uint64_t v)
{
	str(w, key);
	yajl_gen_integer(w->g, v > INT64_MAX ? INT64_MAX : (long long)v);
}

static void open_map(struct writer *w, const char *key)
{
	if (key)
		str(w, key);
	yajl_gen_map_open(w->g);
}

static void close_map(struct writer *w)
{
	yajl_gen_map_close(w->g);
}

static void enum_map(struct writer *w, const char *key,
		     const char *const *names, const uint64_t *v, size_t n)
{
	open_map(w, key);
	for (size_t i = 0; i < n; i++)
		num(w, names[i], v[i]);
	close_map(w);
}

static void hist_map(struct writer *w, const char *key, const uint64_t *v,
		     size_t n, void (*label)(unsigned, char *, size_t),
		     uint64_t unknown)
{
	char buf[48];

	open_map(w, key);
	for (size_t i = 0; i < n; i++)
		if (v[i]) {
			label((unsigned)i, buf, sizeof(buf));
			num(w, buf, v[i]);
		}
	if (unknown)
		num(w, "unknown", unknown);
	close_map(w);
}

static void named_map(struct writer *w, const char *key,
		      const struct vt_named_count *v, size_t n)
{
	open_map(w, key);
	for (size_t i = 0; i < n; i++)
		num(w, v[i].name, v[i].count);
	close_map(w);
}

static void time_str(struct writer *w, const char *key, int64_t t)
{
	char buf[32];

	str(w, key);
	vt_time_format(t, buf);
	str(w, buf);
}

/* The instances sketch: its hashes, or its registers, as hex. */
static void sketch(struct writer *w, const struct vt_sketch *k)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = k->approximate ? 2 * VT_HLL_M : 8 * (size_t)k->n;
	char *buf = vt_xmalloc(n + 1);

	if (k->approximate) {
		for (size_t i = 0; i < VT_HLL_M; i++) {
			buf[2 * i] = hex[k->reg[i] >> 4];
			buf[2 * i + 1] = hex[k->reg[i] & 15];
		}
	} else {
		for (size_t i = 0; i < k->n; i++)
			for (int d = 0; d < 8; d++)
				buf[8 * i + (size_t)d] =
					hex[(k->hashes[i] >> (28 - 4 * d)) & 15];
	}
	buf[n] = '\0';
	open_map(w, "instances_sketch");
	str(w, "type");
	str(w, k->approximate ? "hll" : "exact");
	if (k->approximate)
		num(w, "precision", VT_HLL_P);
	str(w, k->approximate ? "registers" : "hashes");
	yajl_gen_string(w->g, (const unsigned char *)buf, n);
	close_map(w);
	free(buf);
}

static void deployment(struct writer *w, const struct vt_summary *s)
{
	open_map(w, "deployment");
	num(w, "instances", s->instances);
	num(w, "processes", s->processes);
	hist_map(w, "backends_per_instance", s->backends_per_instance,
		 VT_LOG2_BUCKETS, vt_log2_label, s->backends_unknown);
	enum_map(w, "conflict_resolution", vt_conflict_names, s->conflict,
		 VT_CONFLICT_COUNT);
	enum_map(w, "incoming_auth", vt_inauth_names, s->incoming_auth,
		 VT_INAUTH_COUNT);
	enum_map(w, "outgoing_auth", vt_outauth_names, s->outgoing_auth,
		 VT_OUTAUTH_COUNT);
	hist_map(w, "composite_tools_defined", s->composite_defined,
		 VT_LOG2_BUCKETS, vt_log2_label, s->composite_unknown);
	enum_map(w, "features", vt_feature_names, s->features,
		 VT_FEATURE_COUNT);
	num(w, "instances_configured", s->instances_configured);
	enum_map(w, "session_storage", vt_session_names, s->session_storage,
		 VT_SESSION_COUNT);
	enum_map(w, "composite_steps_defined", vt_step_type_names,
		 s->composite_steps_defined, VT_STEP_COUNT);
	sketch(w, &s->instances_sketch);
	close_map(w);
}

static void usage(struct writer *w, const struct vt_summary *s)
{
	open_map(w, "usage");
	open_map(w, "tool_calls");
	num(w, "total", s->tool_calls);
	enum_map(w, "by_outcome", vt_outcome_names, s->tool_calls_by_outcome,
		 VT_OUT_COUNT);
	close_map(w);
	hist_map(w, "tool_calls_per_instance", s->tool_calls_per_instance,
		 VT_LOG2_BUCKETS, vt_log2_label, 0);
	hist_map(w, "tool_call_duration_ms", s->tool_call_duration_ms,
		 VT_125_BUCKETS, vt_125_label, 0);
	enum_map(w, "composite_tool_executions", vt_workflow_names,
		 s->workflows, VT_WF_COUNT);
	enum_map(w, "workflow_steps", vt_step_type_names, s->workflow_steps,
		 VT_STEP_COUNT);
	enum_map(w, "workflow_step_results", vt_step_result_names,
		 s->workflow_step_results, VT_SR_COUNT);
	named_map(w, "backend_distribution", s->backends, s->nbackends);
	num(w, "sessions", s->sessions);
	num(w, "server_discover_probes", s->server_discover);
	named_map(w, "server_discover_clients", s->discover_clients,
		  s->ndiscover_clients);
	named_map(w, "clients", s->clients, s->nclients);
	/* Known types in their table order, then "other". */
	open_map(w, "requests_by_type");
	for (int i = 1; i < VT_EV_COUNT; i++)
		num(w, vt_event_type_names[i], s->requests_by_type[i]);
	num(w, vt_event_type_names[VT_EV_OTHER],
	    s->requests_by_type[VT_EV_OTHER]);
	close_map(w);
	/* When the tool calls happened, by UTC hour (hours with calls). */
	open_map(w, "tool_calls_by_hour");
	for (size_t i = 0; i < s->nhours; i++) {
		char buf[32];

		vt_time_format(s->hours[i].start, buf);
		num(w, buf, s->hours[i].count);
	}
	close_map(w);
	close_map(w);
}

static void operational(struct writer *w, const struct vt_summary *s)
{
	open_map(w, "operational");
	hist_map(w, "uptime_seconds_per_instance", s->uptime_seconds,
		 VT_125_BUCKETS, vt_125_label, 0);
	num(w, "restarts", s->restarts);
	num(w, "config_changes", s->config_changes);
	enum_map(w, "backend_health", vt_health_names, s->backend_health,
		 VT_HEALTH_COUNT);
	close_map(w);
}

static void quality(struct writer *w, const struct vt_summary *s)
{
	const struct vt_quality *q = &s->quality;

	open_map(w, "quality");
	num(w, "lines_read", q->lines_read);
	num(w, "events", q->events);
	num(w, "lines_malformed", q->lines_malformed);
	num(w, "lines_too_long", q->lines_too_long);
	num(w, "lines_unrecognized", q->lines_unrecognized);
	num(w, "late_events", q->late_events);
	num(w, "events_before_consent", q->events_before_consent);
	num(w, "files", q->files);
	hist_map(w, "bytes_read", q->bytes_read_by_input, VT_LOG2_BUCKETS,
		 vt_log2_label, 0);
	num(w, "app_lines", q->app_lines);
	num(w, "lines_blank", q->lines_blank);
	num(w, "files_failed", q->files_failed);
	enum_map(w, "malformed_by_reason", vt_malformed_reason_names,
		 q->malformed_by_reason, VT_BAD_COUNT);
	enum_map(w, "unrecognized_by_reason", vt_unrecognized_reason_names,
		 q->unrecognized_by_reason, VT_UNREC_COUNT);
	enum_map(w, "lines_by_wrapper", vt_wrapper_names, q->lines_by_wrapper,
		 VT_WRAP_COUNT);
	num(w, "fields_wrong_type", q->fields_wrong_type);
	num(w, "fields_out_of_range", q->fields_out_of_range);
	num(w, "unknown_event_types", q->unknown_event_types);
	num(w, "bad_timestamps", q->bad_timestamps);
	num(w, "lines_without_time", q->lines_without_time);
	num(w, "nul_bytes_skipped", q->nul_bytes_skipped);
	num(w, "lines_over_instance_cap", q->lines_over_instance_cap);
	num(w, "files_lost", q->files_lost);
	hist_map(w, "bytes_lost", q->bytes_lost_by_file, VT_LOG2_BUCKETS,
		 vt_log2_label, 0);
	num(w, "files_reset", q->files_reset);
	close_map(w);
}

static void body(struct writer *w, const struct vt_summary *s)
{
	open_map(w, "generator");
	str(w, "name");
	str(w, VT_NAME);
	str(w, "version");
	str(w, VT_VERSION);
	close_map(w);
	open_map(w, "period");
	time_str(w, "start", s->start);
	time_str(w, "end", s->end);
	str(w, "granularity");
	str(w, s->granularity);
	close_map(w);
	deployment(w, s);
	usage(w, s);
	operational(w, s);
	quality(w, s);
}

/* with_ids == 0 renders the content that the report id is derived from. */
static enum vt_err render(const struct vt_summary *s,
			  const struct vt_report_meta *meta, const char *id,
			  struct vt_scrubber *scrub, struct vt_sink *sink,
			  unsigned *redacted)
{
	struct writer w = { NULL, sink, scrub, 0, VT_OK };

	w.g = yajl_gen_alloc(NULL);
	if (!w.g) {
		sink->abort(sink->ctx);
		return VT_ERR_NOMEM;
	}
	yajl_gen_config(w.g, yajl_gen_beautify, 1);
	yajl_gen_config(w.g, yajl_gen_indent_string, "  ");
	yajl_gen_config(w.g, yajl_gen_print_callback, print_cb, &w);
	yajl_gen_map_open(w.g);
	num(&w, "schema_version", VT_SCHEMA_VERSION);
	if (id) {
		str(&w, "report_id");
		str(&w, id);
		str(&w, "installation_id");
		if (meta && meta->installation_id)
			str(&w, meta->installation_id);
		else
			yajl_gen_null(w.g);
	}
	body(&w, s);
	/* With beautify on, closing the top-level map also prints the one
	 * final newline. */
	yajl_gen_map_close(w.g);
	yajl_gen_free(w.g);
	if (w.err) {
		sink->abort(sink->ctx);
		return w.err;
	}
	if (redacted)
		*redacted = w.redacted;
	return sink->close(sink->ctx);
}

void vt_report_id(const struct vt_summary *s, struct vt_scrubber *scrub,
		  char out[VT_REPORT_ID_LEN + 1])
{
	unsigned char digest[VT_SHA256_LEN];
	struct vt_sink sink;

	vt_sink_sha256(digest, &sink);
	render(s, NULL, NULL, scrub, &sink, NULL);
	vt_hex(digest, VT_REPORT_ID_LEN / 2, out);
}

enum vt_err vt_report_write_json(const struct vt_summary *s,
				 const struct vt_report_meta *meta,
				 struct vt_scrubber *scrub, struct vt_sink *sink,
				 unsigned *redacted)
{
	char id[VT_REPORT_ID_LEN + 1];

	vt_report_id(s, scrub, id);
	return render(s, meta, id, scrub, sink, redacted);
}

struct vt_json {
	struct writer w;
};

struct vt_json *vt_json_new(struct vt_sink *sink)
{
	struct vt_json *j = vt_xcalloc(1, sizeof(*j));

	j->w.sink = sink;
	j->w.g = yajl_gen_alloc(NULL);
	if (!j->w.g)
		abort();
	yajl_gen_config(j->w.g, yajl_gen_beautify, 1);
	yajl_gen_config(j->w.g, yajl_gen_indent_string, "  ");
	yajl_gen_config(j->w.g, yajl_gen_print_callback, print_cb, &j->w);
	return j;
}

void vt_json_key(struct vt_json *j, const char *key)
{
	yajl_gen_string(j->w.g, (const unsigned char *)key, strlen(key));
}

void vt_json_str(struct vt_json *j, const char *value)
{
	if (value)
		yajl_gen_string(j->w.g, (const unsigned char *)value,
				strlen(value));
	else
		yajl_gen_null(j->w.g);
}

void vt_json_int(struct vt_json *j, int64_t value)
{
	yajl_gen_integer(j->w.g, (long long)value);
}

void vt_json_bool(struct vt_json *j, int value)
{
	yajl_gen_bool(j->w.g, value);
}

void vt_json_open(struct vt_json *j, int array)
{
	if (array)
		yajl_gen_array_open(j->w.g);
	else
		yajl_gen_map_open(j->w.g);
}

void vt_json_close(struct vt_json *j, int array)
{
	if (array)
		yajl_gen_array_close(j->w.g);
	else
		yajl_gen_map_close(j->w.g);
}

enum vt_err vt_json_finish(struct vt_json *j)
{
	enum vt_err err = j->w.err;
	struct vt_sink *sink = j->w.sink;

	yajl_gen_free(j->w.g);
	free(j);
	if (err) {
		sink->abort(sink->ctx);
		return err;
	}
	return sink->close(sink->ctx);
}
