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
