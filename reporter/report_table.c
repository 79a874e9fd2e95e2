/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The table view: the report for a person at a terminal. One row per
 * count, in fixed columns that fit VT_TABLE_WIDTH:
 *
 *   |2| label (20) | key (29) | count (10) | share (7) |2| bar (10) |
 *
 * A group (an enumeration, a histogram, a name distribution) prints its
 * label on its first row only. Counts wider than their column push the
 * share and bar right, and the bar shrinks to keep the line in width.
 * Only printable ASCII is written, so bytes and columns are the same.
 */
#include "report.h"
#include "text.h"
#include "../util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INDENT 2
#define LABEL_W 20
#define KEY_W 29
#define COUNT_W 10
#define SHARE_W 7 /* " 100.0%" */
#define BAR_GAP 2
#define BAR_W (VT_TABLE_WIDTH - INDENT - LABEL_W - KEY_W - COUNT_W - SHARE_W - BAR_GAP)

/* Colours (SGR codes), used only when the style says so. */
enum tone { PLAIN, TITLE, BAR, GOOD, BAD, WARN, DIM };
static const char *const sgr[] = { "", "\033[1m", "\033[36m", "\033[32m",
				   "\033[31m", "\033[33m", "\033[2m" };

struct table {
	struct vt_text t;
	const struct vt_table_style *style;
	struct vt_scrubber *scrub;
	const char *label; /* printed on the next row, then cleared */
};

static void tone_on(struct table *tb, enum tone c)
{
	if (tb->style->color && c != PLAIN)
		vt_text_puts(&tb->t, sgr[c]);
}

static void tone_off(struct table *tb, enum tone c)
{
	if (tb->style->color && c != PLAIN)
		vt_text_puts(&tb->t, "\033[0m");
}

/* Copies s into out (at most width - 1 columns, so a space follows),
 * printable ASCII only; a cut name ends in '~'. Returns its length. */
static size_t fit(const char *s, char *out, size_t width)
{
	size_t n = 0, len = strlen(s);

	for (; n < len && n < width - 1; n++)
		out[n] = s[n] >= 0x20 && s[n] < 0x7f ? s[n] : '?';
	if (n < len)
		out[n - 1] = '~';
	out[n] = '\0';
	return n;
}

/*
 * One row: the group's label (first row only), key, count, and when den
 * is not 0 the count's share of den with a bar. Returns nothing: errors
 * stick in the text.
 */
static void row(struct table *tb, const char *key, uint64_t count,
		uint64_t den, enum tone bar)
{
	char label[LABEL_W + 1], k[KEY_W + 1], num[24];
	size_t col = INDENT;

	vt_text_pad(&tb->t, INDENT);
	col += fit(tb->label, label, LABEL_W);
	vt_text_puts(&tb->t, label);
	vt_text_pad(&tb->t, (long)(INDENT + LABEL_W - col));
	col = INDENT + LABEL_W + fit(key, k, KEY_W);
	vt_text_puts(&tb->t, k);
	tb->label = "";
	int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)count);
	long pad = (long)(INDENT + LABEL_W + KEY_W + COUNT_W - col) - n;
	vt_text_pad(&tb->t, pad < 1 ? 1 : pad);
	col += (size_t)(pad < 1 ? 1 : pad) + (size_t)n;
	vt_text_puts(&tb->t, num);
	if (den) {
		double share = count >= den ? 1.0 : (double)count / (double)den;
		long room = (long)VT_TABLE_WIDTH - (long)col - SHARE_W - BAR_GAP;
		long width = room < BAR_W ? room : BAR_W;
		long len = (long)(share * (double)width + 0.5);

		if (len == 0 && count && width > 0)
			len = 1;
		vt_text_printf(&tb->t, " %5.1f%%", share * 100.0);
		if (len > 0) {
			vt_text_pad(&tb->t, BAR_GAP);
			tone_on(tb, bar);
			for (long i = 0; i < len; i++)
				vt_text_put(&tb->t, "#", 1);
			tone_off(tb, bar);
		}
	}
	vt_text_put(&tb->t, "\n", 1);
}

/* A row with a label and a count only. */
static void scalar(struct table *tb, const char *label, uint64_t count)
{
	tb->label = label;
	row(tb, "", count, 0, PLAIN);
}

/* A group with nothing to show. */
static void none(struct table *tb)
{
	char label[LABEL_W + 1];
	size_t n = fit(tb->label, label, LABEL_W);

	vt_text_pad(&tb->t, INDENT);
	vt_text_puts(&tb->t, label);
	vt_text_pad(&tb->t, (long)(LABEL_W - n));
	tone_on(tb, DIM);
	vt_text_puts(&tb->t, "(none)");
	tone_off(tb, DIM);
	vt_text_put(&tb->t, "\n", 1);
	tb->label = "";
}

static void title(struct table *tb, const char *name)
{
	vt_text_put(&tb->t, "\n", 1);
	tone_on(tb, TITLE);
	vt_text_puts(&tb->t, name);
	tone_off(tb, TITLE);
	vt_text_pad(&tb->t, (long)(INDENT + LABEL_W + KEY_W + COUNT_W) -
				    (long)strlen(name) - 5);
	vt_text_puts(&tb->t, "count  share\n");
}

/* Shares are of totals that a merged report may push past 2^64. */
static uint64_t add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sum(const uint64_t *v, size_t n)
{
	uint64_t t = 0;

	for (size_t i = 0; i < n; i++)
		t = add(t, v[i]);
	return t;
}

/*
 * An enumeration: its non-zero keys (every key with all), shares of den.
 * keep_empty: print "(none)" when nothing was printed; else print
 * nothing at all for an empty group.
 */
static void enum_group(struct table *tb, const char *label,
		       const char *const *names, const uint64_t *v, size_t n,
		       uint64_t den, int all, int keep_empty)
{
	int shown = 0;

	tb->label = label;
	for (size_t i = 0; i < n; i++)
		if (v[i] || all) {
			row(tb, names[i], v[i], den, BAR);
			shown = 1;
		}
	if (!shown && keep_empty)
		none(tb);
}

static void hist_group(struct table *tb, const char *label,
		       const uint64_t *v, size_t n,
		       void (*name)(unsigned, char *, size_t), uint64_t unknown)
{
	uint64_t den = add(sum(v, n), unknown);
	char buf[48];

	tb->label = label;
	for (size_t i = 0; i < n; i++)
		if (v[i]) {
			name((unsigned)i, buf, sizeof(buf));
			row(tb, buf, v[i], den, BAR);
		}
	if (unknown)
		row(tb, "unknown", unknown, den, BAR);
	if (!den)
		none(tb);
}

static int by_count(const void *x, const void *y)
{
	const struct vt_named_count *a = x, *b = y;

	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	return strcmp(a->name, b->name);
}

/*
 * A name distribution: the top names by count (ties by name), then
 * "other" holding the rest and the report's own "other". Names pass the
 * scrubber, as in the JSON.
 */
static void top_group(struct table *tb, const char *label,
		      const struct vt_named_count *v, size_t n)
{
	struct vt_named_count *sorted = vt_xcalloc(n + 1, sizeof(*sorted));
	size_t m = 0;
	uint64_t other = 0, den = 0;

	for (size_t i = 0; i < n; i++) {
		den = add(den, v[i].count);
		if (strcmp(v[i].name, "other") == 0)
			other = add(other, v[i].count);
		else if (v[i].count)
			sorted[m++] = v[i];
	}
	qsort(sorted, m, sizeof(*sorted), by_count);
	tb->label = label;
	for (size_t i = 0; i < m; i++) {
		if (i >= tb->style->top) {
			other = add(other, sorted[i].count);
			continue;
		}
		const char *name = sorted[i].name;
		if (vt_scrubber_hit(tb->scrub, name, strlen(name)))
			name = "redacted";
		row(tb, name, sorted[i].count, den, BAR);
	}
	if (other)
		row(tb, "other", other, den, BAR);
	if (!den)
		none(tb);
	free(sorted);
}

static void span(int64_t secs, char *out, size_t n)
{
	uint64_t s = secs > 0 ? (uint64_t)secs : 0;
	unsigned long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;
	unsigned long long sec = s % 60;

	if (d)
		snprintf(out, n, "%llud %lluh %llum %llus", d, h, m, sec);
	else if (h)
		snprintf(out, n, "%lluh %llum %llus", h, m, sec);
	else if (m)
		snprintf(out, n, "%llum %llus", m, sec);
	else
		snprintf(out, n, "%llus", sec);
}

static void bytes_power(unsigned k, char *out, size_t n)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
					    "PiB", "EiB" };

	snprintf(out, n, "%llu %s", 1ULL << (k % 10), unit[k / 10]);
}

/* A log2 bucket of bytes: "0 B", or "4 KiB-8 KiB" (at least 4, under 8). */
static void bytes_label(unsigned b, char *out, size_t n)
{
	char lo[16], hi[16];

	if (b == 0) {
		snprintf(out, n, "0 B");
		return;
	}
	bytes_power(b - 1, lo, sizeof(lo));
	if (b >= 64)
		snprintf(hi, sizeof(hi), "16 EiB");
	else
		bytes_power(b, hi, sizeof(hi));
	snprintf(out, n, "%s-%s", lo, hi);
}

static void header(struct table *tb, const struct vt_summary *s)
{
	char a[32], b[32], len[48], id[VT_REPORT_ID_LEN + 1];
	const char *gen = VT_NAME " " VT_VERSION;

	vt_time_format(s->start, a);
	vt_time_format(s->end, b);
	span(s->end - s->start, len, sizeof(len));
	vt_report_id(s, tb->scrub, id);
	tone_on(tb, TITLE);
	vt_text_puts(&tb->t, "vMCP usage report");
	tone_off(tb, TITLE);
	vt_text_pad(&tb->t, VT_TABLE_WIDTH - 17 - (long)strlen(gen));
	vt_text_printf(&tb->t, "%s\n", gen);
	vt_text_printf(&tb->t, "  period  %s to %s\n", a, b);
	vt_text_printf(&tb->t, "  length  %s (granularity %s)\n", len,
		       s->granularity);
	vt_text_printf(&tb->t, "  report  %s\n", id);
}

static void deployment(struct table *tb, const struct vt_summary *s)
{
	uint64_t n = s->instances;

	title(tb, "DEPLOYMENT");
	scalar(tb, "instances", n);
	scalar(tb, "processes", s->processes);
	if (s->instances_configured)
		scalar(tb, "with --vmcp-config", s->instances_configured);
	hist_group(tb, "backends", s->backends_per_instance, VT_LOG2_BUCKETS,
		   vt_log2_label, s->backends_unknown);
	enum_group(tb, "conflict resolution", vt_conflict_names, s->conflict,
		   VT_CONFLICT_COUNT, n, 0, 1);
	enum_group(tb, "incoming auth", vt_inauth_names, s->incoming_auth,
		   VT_INAUTH_COUNT, n, 0, 1);
	enum_group(tb, "outgoing auth", vt_outauth_names, s->outgoing_auth,
		   VT_OUTAUTH_COUNT, n, 0, 1);
	hist_group(tb, "composite tools", s->composite_defined,
		   VT_LOG2_BUCKETS, vt_log2_label, s->composite_unknown);
	enum_group(tb, "features", vt_feature_names, s->features,
		   VT_FEATURE_COUNT, n, 0, 1);
	enum_group(tb, "session storage", vt_session_names, s->session_storage,
		   VT_SESSION_COUNT, n, 0, 1);
	enum_group(tb, "composite steps", vt_step_type_names,
		   s->composite_steps_defined, VT_STEP_COUNT,
		   sum(s->composite_steps_defined, VT_STEP_COUNT), 0, 0);
}

static void outcomes(struct table *tb, const struct vt_summary *s)
{
	tb->label = "by outcome";
	for (int i = 0; i < VT_OUT_COUNT; i++) {
		enum tone c = i == VT_OUT_SUCCESS ? GOOD
			      : i == VT_OUT_UNKNOWN ? WARN
						    : BAD;

		row(tb, vt_outcome_names[i], s->tool_calls_by_outcome[i],
		    s->tool_calls, c);
	}
}

static void busiest_hour(struct table *tb, const struct vt_summary *s)
{
	size_t top = 0;
	uint64_t audited = 0;
	char when[32];

	if (!s->nhours)
		return;
	for (size_t i = 0; i < s->nhours; i++) {
		audited = add(audited, s->hours[i].count);
		if (s->hours[i].count > s->hours[top].count)
			top = i;
	}
	vt_time_format(s->hours[top].start, when);
	tb->label = "busiest hour";
	row(tb, when, s->hours[top].count, audited, BAR);
}

static void usage(struct table *tb, const struct vt_summary *s)
{
	title(tb, "USAGE");
	scalar(tb, "tool calls", s->tool_calls);
	outcomes(tb, s);
	hist_group(tb, "calls per instance", s->tool_calls_per_instance,
		   VT_LOG2_BUCKETS, vt_log2_label, 0);
	hist_group(tb, "call duration (ms)", s->tool_call_duration_ms,
		   VT_125_BUCKETS, vt_125_label, 0);
	busiest_hour(tb, s);
	top_group(tb, "backends", s->backends, s->nbackends);
	scalar(tb, "sessions", s->sessions);
	scalar(tb, "discover probes", s->server_discover);
	top_group(tb, "probes by client", s->discover_clients,
		  s->ndiscover_clients);
	top_group(tb, "clients", s->clients, s->nclients);
	enum_group(tb, "composite runs", vt_workflow_names, s->workflows,
		   VT_WF_COUNT, 0, 0, 0);
	enum_group(tb, "workflow steps", vt_step_type_names, s->workflow_steps,
		   VT_STEP_COUNT, 0, 0, 0);
	enum_group(tb, "step results", vt_step_result_names,
		   s->workflow_step_results, VT_SR_COUNT, 0, 0, 0);
	/* Known types in their table order, then "other", as in the JSON. */
	uint64_t den = sum(s->requests_by_type, VT_EV_COUNT);
	tb->label = "requests by type";
	for (int i = 1; i <= VT_EV_COUNT; i++) {
		int t = i < VT_EV_COUNT ? i : VT_EV_OTHER;

		if (s->requests_by_type[t])
			row(tb, vt_event_type_names[t], s->requests_by_type[t],
			    den, BAR);
	}
	if (!den)
		none(tb);
}

static void operational(struct table *tb, const struct vt_summary *s)
{
	title(tb, "OPERATIONAL");
	hist_group(tb, "uptime (s)", s->uptime_seconds, VT_125_BUCKETS,
		   vt_125_label, 0);
	scalar(tb, "restarts", s->restarts);
	scalar(tb, "config changes", s->config_changes);
	enum_group(tb, "backend health", vt_health_names, s->backend_health,
		   VT_HEALTH_COUNT, 0, 0, 0);
}

/* A quality counter that is shown only when it is not 0. */
static void rare(struct table *tb, const char *label, uint64_t v)
{
	if (v)
		scalar(tb, label, v);
}

static void quality(struct table *tb, const struct vt_summary *s)
{
	const struct vt_quality *q = &s->quality;

	title(tb, "QUALITY");
	scalar(tb, "lines read", q->lines_read);
	scalar(tb, "audit events", q->events);
	scalar(tb, "application lines", q->app_lines);
	rare(tb, "blank lines", q->lines_blank);
	scalar(tb, "malformed lines", q->lines_malformed);
	enum_group(tb, "", vt_malformed_reason_names, q->malformed_by_reason,
		   VT_BAD_COUNT, q->lines_malformed, 0, 0);
	scalar(tb, "lines too long", q->lines_too_long);
	scalar(tb, "unrecognized lines", q->lines_unrecognized);
	enum_group(tb, "", vt_unrecognized_reason_names,
		   q->unrecognized_by_reason, VT_UNREC_COUNT,
		   q->lines_unrecognized, 0, 0);
	enum_group(tb, "wrapped lines", vt_wrapper_names + 1,
		   q->lines_by_wrapper + 1, VT_WRAP_COUNT - 1, 0, 0, 0);
	rare(tb, "late events", q->late_events);
	rare(tb, "events before consent", q->events_before_consent);
	scalar(tb, "files", q->files);
	rare(tb, "files failed", q->files_failed);
	hist_group(tb, "bytes read", q->bytes_read_by_input, VT_LOG2_BUCKETS,
		   bytes_label, 0);
	rare(tb, "wrong-type fields", q->fields_wrong_type);
	rare(tb, "fields out of range", q->fields_out_of_range);
	rare(tb, "unknown event types", q->unknown_event_types);
	rare(tb, "bad timestamps", q->bad_timestamps);
	rare(tb, "lines without time", q->lines_without_time);
	rare(tb, "NUL bytes skipped", q->nul_bytes_skipped);
	rare(tb, "over instance cap", q->lines_over_instance_cap);
	rare(tb, "files lost", q->files_lost);
	if (q->files_lost)
		hist_group(tb, "bytes lost", q->bytes_lost_by_file,
			   VT_LOG2_BUCKETS, bytes_label, 0);
	rare(tb, "files reset", q->files_reset);
}

enum vt_err vt_report_write_table(const struct vt_summary *s,
				  const struct vt_table_style *style,
				  struct vt_scrubber *scrub,
				  struct vt_sink *sink)
{
	struct vt_table_style st = *style;
	struct table tb = { .style = &st, .scrub = scrub, .label = "" };

	if (st.top < 1)
		st.top = 1;
	vt_text_init(&tb.t);
	header(&tb, s);
	deployment(&tb, s);
	usage(&tb, s);
	operational(&tb, s);
	quality(&tb, s);
	return vt_text_finish(&tb.t, sink);
}
