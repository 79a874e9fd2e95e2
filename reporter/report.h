/* SPDX-License-Identifier: Apache-2.0 */
/* The report: a summary rendered as the documented JSON document. */
#ifndef VT_REPORT_H
#define VT_REPORT_H

#include "../aggregator/agg.h"
#include "sink.h"

#define VT_SCHEMA_VERSION 1
#define VT_REPORT_ID_LEN 32 /* hex characters */

struct vt_report_meta {
	const char *installation_id; /* NULL: the report carries null */
};

/*
 * Writes s as JSON to sink (keys in the documented fixed order) and
 * closes the sink; on error aborts it. Every string is checked by the
 * scrubber on the way out; a hit is written as "redacted" and counted in
 * *redacted (may be NULL). Deterministic: the same summary and meta give
 * the same bytes.
 */
enum vt_err vt_report_write_json(const struct vt_summary *s,
				 const struct vt_report_meta *meta,
				 struct vt_scrubber *scrub, struct vt_sink *sink,
				 unsigned *redacted);

/*
 * The formats a report is written in. JSON is the report itself (the
 * contract); the others are views of the same summary for people
 * (table, html) and for monitoring (prom). vt_format_names holds the
 * names the command line takes, in this order.
 */
enum vt_format {
	VT_FORMAT_JSON,
	VT_FORMAT_TABLE,
	VT_FORMAT_HTML,
	VT_FORMAT_PROM,
	VT_FORMAT_COUNT
};

extern const char *const vt_format_names[VT_FORMAT_COUNT];

/* Sets *out to the format called name; returns -1 when there is none. */
int vt_format_parse(const char *name, enum vt_format *out);

/* How the table looks. */
#define VT_TABLE_TOP_DEFAULT 10
#define VT_TABLE_TOP_MAX 1000
#define VT_TABLE_WIDTH 80
struct vt_table_style {
	int color;    /* ANSI colours: the caller decided it is a terminal */
	unsigned top; /* backends and clients shown before "other" (>= 1) */
};

/*
 * Writes s as a compact, aligned text summary: a header, then sections
 * deployment, usage, operational and quality; counts with their share,
 * the top style->top backends and clients with the rest as "other".
 * Every line is at most VT_TABLE_WIDTH columns (ASCII only; colour
 * escapes take no column). Names pass the scrubber like the JSON's do,
 * and any byte that is not printable ASCII is shown as '?'. Closes the
 * sink; on error aborts it.
 */
enum vt_err vt_report_write_table(const struct vt_summary *s,
				  const struct vt_table_style *style,
				  struct vt_scrubber *scrub,
				  struct vt_sink *sink);

/*
 * Writes s in the Prometheus text exposition format (version 0.0.4), for
 * node_exporter's textfile collector: every metric named vmcp_telemetry_*,
 * with # HELP and # TYPE, no timestamps; label values only from the
 * report's enumerations, bucket names and allowlisted names (docs/
 * formats.md lists every metric). Closes the sink; on error aborts it.
 */
enum vt_err vt_report_write_prom(const struct vt_summary *s,
				 struct vt_scrubber *scrub,
				 struct vt_sink *sink);

/*
 * Writes s as one self-contained HTML page to sink (inline CSS, charts
 * as inline SVG, no script, nothing fetched; see docs/report.md) and
 * closes the sink; on error aborts it. Every string from the summary is
 * checked by the scrubber ("redacted" on a hit) and escaped. scrub may
 * be NULL: a scrubber of its own is used. Deterministic: the same
 * summary gives the same bytes.
 */
enum vt_err vt_report_write_html(const struct vt_summary *s,
				 struct vt_scrubber *scrub,
				 struct vt_sink *sink);

/* The HTML report's style sheet, for other pages in its style. */
const char *vt_report_html_css(void);

/*
 * The report id: the first 128 bits of SHA-256 over the report's content
 * (everything but report_id and installation_id), in hex. The same data
 * for the same period always gives the same id.
 */
void vt_report_id(const struct vt_summary *s, struct vt_scrubber *scrub,
		  char out[VT_REPORT_ID_LEN + 1]);

/*
 * Reads a report's JSON (as vt_report_write_json writes it) back into
 * *s. On error returns VT_ERR_FORMAT with the first problem, naming the
 * field, in err (never the document's content).
 */
enum vt_err vt_report_parse(const char *text, size_t len,
			    struct vt_summary *s, char *err, size_t errlen);

/*
 * A plain JSON writer over a sink, for other documents than the report
 * (status --json). Pretty-printed. vt_json_finish closes the sink (or
 * aborts it on error) and frees the writer.
 */
struct vt_json;
struct vt_json *vt_json_new(struct vt_sink *sink);
void vt_json_key(struct vt_json *j, const char *key);
void vt_json_str(struct vt_json *j, const char *value); /* NULL: null */
void vt_json_int(struct vt_json *j, int64_t value);
void vt_json_bool(struct vt_json *j, int value);
void vt_json_open(struct vt_json *j, int array);
void vt_json_close(struct vt_json *j, int array);
enum vt_err vt_json_finish(struct vt_json *j);
#endif
