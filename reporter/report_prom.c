/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Prometheus view: the report in the text exposition format 0.0.4,
 * for node_exporter's textfile collector. Every metric is named
 * vmcp_telemetry_*; counts of events are counters (_total), counts of
 * instances are gauges. Labels hold only the report's own enumerations,
 * its bucket names and allowlisted backend and client names (public
 * names from a shipped list, as in the JSON), never free-form text.
 *
 * The report's histograms are gauges or counters with a "bucket" label
 * holding the bucket's name ("2-3", "5-10"), not Prometheus histograms:
 * those need cumulative "le" bounds and a _sum of the values, and the
 * report keeps neither. Like the JSON, histograms and name distributions
 * show their non-zero buckets; enumerations show every key.
 */
#include "report.h"
#include "text.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PREFIX "vmcp_telemetry_"

struct prom {
	struct vt_text t;
	struct vt_scrubber *scrub;
};

static void family(struct prom *p, const char *name, const char *type,
		   const char *help)
{
	vt_text_printf(&p->t, "# HELP " PREFIX "%s %s\n", name, help);
	vt_text_printf(&p->t, "# TYPE " PREFIX "%s %s\n", name, type);
}

/* A label value, escaped as the format wants (\\, \", \n). */
static void label_value(struct prom *p, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			vt_text_put(&p->t, "\\", 1);
		if (*v == '\n')
			vt_text_put(&p->t, "\\n", 2);
		else
			vt_text_put(&p->t, v, 1);
	}
}

static void sample(struct prom *p, const char *name, const char *label,
		   const char *value, uint64_t v)
{
	vt_text_printf(&p->t, PREFIX "%s", name);
	if (label) {
		vt_text_printf(&p->t, "{%s=\"", label);
		label_value(p, value);
		vt_text_puts(&p->t, "\"}");
	}
	vt_text_printf(&p->t, " %llu\n", (unsigned long long)v);
}

static void single(struct prom *p, const char *name, const char *type,
		   const char *help, uint64_t v)
{
	family(p, name, type, help);
	sample(p, name, NULL, NULL, v);
}

/* An enumeration: one sample per key, zeros included. */
static void enumeration(struct prom *p, const char *name, const char *type,
			const char *help, const char *label,
			const char *const *names, const uint64_t *v, size_t n)
{
	family(p, name, type, help);
	for (size_t i = 0; i < n; i++)
		sample(p, name, label, names[i], v[i]);
}

/* A histogram: its non-zero buckets by name, then "unknown" if any. */
static void buckets(struct prom *p, const char *name, const char *type,
		    const char *help, const uint64_t *v, size_t n,
		    void (*label)(unsigned, char *, size_t), uint64_t unknown)
{
	char buf[48];

	family(p, name, type, help);
	for (size_t i = 0; i < n; i++)
		if (v[i]) {
			label((unsigned)i, buf, sizeof(buf));
			sample(p, name, "bucket", buf, v[i]);
		}
	if (unknown)
		sample(p, name, "bucket", "unknown", unknown);
}

/* A name distribution; a name the scrubber flags becomes "redacted". */
static void names(struct prom *p, const char *name, const char *help,
		  const char *label, const struct vt_named_count *v, size_t n)
{
	family(p, name, "counter", help);
	for (size_t i = 0; i < n; i++) {
		const char *s = v[i].name;

		if (vt_scrubber_hit(p->scrub, s, strlen(s)))
			s = "redacted";
		sample(p, name, label, s, v[i].count);
	}
}

static void info(struct prom *p, const struct vt_summary *s)
{
	family(p, "report_info", "gauge",
	       "The report these metrics come from (always 1): its schema, generator version and period granularity.");
	vt_text_printf(&p->t,
		       PREFIX "report_info{schema_version=\"%d\",generator_version=\"",
		       VT_SCHEMA_VERSION);
	label_value(p, VT_VERSION);
	vt_text_printf(&p->t, "\",granularity=\"%s\"} 1\n", s->granularity);
	single(p, "period_start_timestamp_seconds", "gauge",
	       "Start of the report's period, Unix time.",
	       s->start > 0 ? (uint64_t)s->start : 0);
	single(p, "period_end_timestamp_seconds", "gauge",
	       "End of the report's period (exclusive), Unix time.",
	       s->end > 0 ? (uint64_t)s->end : 0);
}

static void deployment(struct prom *p, const struct vt_summary *s)
{
	single(p, "instances", "gauge",
	       "Distinct vMCP instances with a line in the period.",
	       s->instances);
	single(p, "processes", "gauge",
	       "Distinct vMCP processes with a line in the period.",
	       s->processes);
	buckets(p, "instances_by_backends", "gauge",
		"Instances by number of backends (log2 buckets).",
		s->backends_per_instance, VT_LOG2_BUCKETS, vt_log2_label,
		s->backends_unknown);
	enumeration(p, "instances_by_conflict_resolution", "gauge",
		    "Instances by conflict resolution strategy.", "strategy",
		    vt_conflict_names, s->conflict, VT_CONFLICT_COUNT);
	enumeration(p, "instances_by_incoming_auth", "gauge",
		    "Instances by incoming (client-facing) auth type.", "type",
		    vt_inauth_names, s->incoming_auth, VT_INAUTH_COUNT);
	enumeration(p, "instances_by_outgoing_auth", "gauge",
		    "Instances by outgoing (backend) auth strategy; an instance counts under each strategy it uses.",
		    "strategy", vt_outauth_names, s->outgoing_auth,
		    VT_OUTAUTH_COUNT);
	buckets(p, "instances_by_composite_tools_defined", "gauge",
		"Instances by number of composite tools defined (log2 buckets).",
		s->composite_defined, VT_LOG2_BUCKETS, vt_log2_label,
		s->composite_unknown);
	enumeration(p, "instances_with_feature", "gauge",
		    "Instances with the feature on.", "feature",
		    vt_feature_names, s->features, VT_FEATURE_COUNT);
	single(p, "instances_configured", "gauge",
	       "Instances described by a --vmcp-config file.",
	       s->instances_configured);
	enumeration(p, "instances_by_session_storage", "gauge",
		    "Instances by session storage provider.", "provider",
		    vt_session_names, s->session_storage, VT_SESSION_COUNT);
	enumeration(p, "composite_steps_defined", "gauge",
		    "Composite tool steps defined in the configurations, by step type.",
		    "step_type", vt_step_type_names,
		    s->composite_steps_defined, VT_STEP_COUNT);
}

static void usage(struct prom *p, const struct vt_summary *s)
{
	enumeration(p, "tool_calls_total", "counter",
		    "Tool calls by outcome.", "outcome", vt_outcome_names,
		    s->tool_calls_by_outcome, VT_OUT_COUNT);
	buckets(p, "instances_by_tool_calls", "gauge",
		"Instances by number of tool calls (log2 buckets).",
		s->tool_calls_per_instance, VT_LOG2_BUCKETS, vt_log2_label, 0);
	buckets(p, "tool_calls_by_duration_total", "counter",
		"Audited tool calls by duration; bucket bounds in milliseconds, lower bound included.",
		s->tool_call_duration_ms, VT_125_BUCKETS, vt_125_label, 0);
	enumeration(p, "composite_tool_executions_total", "counter",
		    "Composite tool workflow events.", "event",
		    vt_workflow_names, s->workflows, VT_WF_COUNT);
	enumeration(p, "workflow_steps_total", "counter",
		    "Composite tool steps started, by step type.", "step_type",
		    vt_step_type_names, s->workflow_steps, VT_STEP_COUNT);
	enumeration(p, "workflow_step_results_total", "counter",
		    "Composite tool steps ended, by result.", "result",
		    vt_step_result_names, s->workflow_step_results,
		    VT_SR_COUNT);
	names(p, "backend_tool_calls_total",
	      "Audited tool calls by backend: allowlisted public server names, then \"other\", \"composite\", \"optimizer\", \"code_mode\" and \"unknown\" for calls without a backend name.",
	      "backend", s->backends, s->nbackends);
	single(p, "sessions_total", "counter",
	       "Successful MCP initializations.", s->sessions);
	single(p, "server_discover_probes_total", "counter",
	       "Modern-revision server/discover requests.", s->server_discover);
	names(p, "server_discover_client_probes_total",
	      "server/discover requests by the User-Agent's product: allowlisted public client names and \"other\".",
	      "client", s->discover_clients, s->ndiscover_clients);
	names(p, "client_sessions_total",
	      "Successful MCP initializations by client: allowlisted public client names and \"other\".",
	      "client", s->clients, s->nclients);
	family(p, "requests_total", "counter", "Audit events by type.");
	for (int i = 1; i <= VT_EV_COUNT; i++) {
		int t = i < VT_EV_COUNT ? i : VT_EV_OTHER;

		sample(p, "requests_total", "type", vt_event_type_names[t],
		       s->requests_by_type[t]);
	}
}

static void operational(struct prom *p, const struct vt_summary *s)
{
	buckets(p, "instances_by_uptime", "gauge",
		"Instances by uptime; bucket bounds in seconds, lower bound included.",
		s->uptime_seconds, VT_125_BUCKETS, vt_125_label, 0);
	single(p, "restarts_total", "counter", "vMCP process restarts.",
	       s->restarts);
	single(p, "config_changes_total", "counter",
	       "Process starts (and configuration files) whose configuration changed.",
	       s->config_changes);
	enumeration(p, "backend_health_events_total", "counter",
		    "Backend health events: status changes by new status, circuit breaker openings, discovered backends added and removed.",
		    "event", vt_health_names, s->backend_health,
		    VT_HEALTH_COUNT);
}

/* The plain quality counters: the JSON name, the metric is NAME_total. */
static const struct {
	const char *name;
	size_t offset;
	const char *help;
} quality_counters[] = {
#define Q(f, h) { #f "_total", offsetof(struct vt_quality, f), h }
	Q(lines_read, "Logical lines read."),
	Q(events, "Audit lines decoded."),
	Q(app_lines, "Application (slog) lines decoded."),
	Q(lines_blank, "Blank lines."),
	Q(lines_too_long, "Lines over the length limit, skipped."),
	Q(late_events, "Events for a closed period, counted in this one."),
	Q(events_before_consent, "vMCP lines timed before telemetry came back on, not counted."),
	Q(files, "Input files read."),
	Q(files_failed, "Inputs that could not be opened or were read only in part."),
	Q(fields_wrong_type, "vMCP lines with a field of the wrong JSON type."),
	Q(fields_out_of_range, "vMCP lines with a field out of range."),
	Q(unknown_event_types, "Audit lines of an unknown type."),
	Q(bad_timestamps, "vMCP lines whose time did not parse."),
	Q(lines_without_time, "vMCP lines with no usable time."),
	Q(nul_bytes_skipped, "NUL bytes removed from the start of lines."),
	Q(lines_over_instance_cap, "vMCP lines beyond the distinct-instance limit."),
	Q(files_lost, "Files rotated away before they were read in full."),
	Q(files_reset, "Files read again from their start."),
#undef Q
};

static void quality(struct prom *p, const struct vt_quality *q)
{
	for (size_t i = 0; i < VT_ARRAY_LEN(quality_counters); i++) {
		uint64_t v;

		memcpy(&v, (const char *)q + quality_counters[i].offset,
		       sizeof(v));
		single(p, quality_counters[i].name, "counter",
		       quality_counters[i].help, v);
	}
	enumeration(p, "lines_malformed_total", "counter",
		    "Lines meant as JSON but broken, by reason.", "reason",
		    vt_malformed_reason_names, q->malformed_by_reason,
		    VT_BAD_COUNT);
	enumeration(p, "lines_unrecognized_total", "counter",
		    "Lines that are not vMCP lines, by reason.", "reason",
		    vt_unrecognized_reason_names, q->unrecognized_by_reason,
		    VT_UNREC_COUNT);
	enumeration(p, "lines_by_wrapper_total", "counter",
		    "Decoded lines by the wrapper they came in.", "wrapper",
		    vt_wrapper_names, q->lines_by_wrapper, VT_WRAP_COUNT);
	static const struct {
		const char *name, *help;
		size_t offset;
	} bytes[] = {
		{ "bytes_read", "Inputs by the bytes read from them, after decompression (log2 buckets).",
		  offsetof(struct vt_quality, bytes_read_by_input) },
		{ "bytes_lost", "Files lost by their bytes never read (log2 buckets).",
		  offsetof(struct vt_quality, bytes_lost_by_file) },
	};
	for (size_t i = 0; i < VT_ARRAY_LEN(bytes); i++)
		buckets(p, bytes[i].name, "gauge", bytes[i].help,
			(const uint64_t *)(const void *)((const char *)q +
							 bytes[i].offset),
			VT_LOG2_BUCKETS, vt_log2_label, 0);
}

enum vt_err vt_report_write_prom(const struct vt_summary *s,
				 struct vt_scrubber *scrub,
				 struct vt_sink *sink)
{
	struct prom p = { .scrub = scrub };

	vt_text_init(&p.t);
	info(&p, s);
	deployment(&p, s);
	usage(&p, s);
	operational(&p, s);
	quality(&p, &s->quality);
	return vt_text_finish(&p.t, sink);
}
