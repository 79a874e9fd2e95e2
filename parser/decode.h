/* SPDX-License-Identifier: Apache-2.0 */
/* JSON line decoding with yajl: audit events, slog lines, docker wrappers. */
#ifndef VT_DECODE_H
#define VT_DECODE_H

#include "event.h"

enum vt_line_class {
	VT_LINE_AUDIT = 0,    /* an audit event: record.audit is filled */
	VT_LINE_APP,          /* a slog application line: msg and attrs filled */
	VT_LINE_UNRECOGNIZED, /* well-formed but not a vMCP line, or not JSON */
	VT_LINE_MALFORMED,    /* meant to be JSON but broken */
};

enum vt_malformed_reason {
	VT_BAD_INVALID_JSON = 0, /* a syntax error */
	VT_BAD_TRUNCATED,        /* the line ends inside a value */
	VT_BAD_INVALID_UTF8,     /* a string holds bytes that are not UTF-8 */
	VT_BAD_NUL_BYTE,         /* a NUL byte inside the JSON */
	VT_BAD_WRAPPER,          /* a CRI or docker wrapper that does not parse */
	VT_BAD_COUNT
};

extern const char *const vt_malformed_reason_names[VT_BAD_COUNT];

enum vt_unrecognized_reason {
	VT_UNREC_NOT_JSON = 0, /* text that cannot begin a JSON value */
	VT_UNREC_NOT_OBJECT,   /* valid JSON, but not an object */
	VT_UNREC_NOT_VMCP,     /* an object without slog's time/level/msg */
	VT_UNREC_COUNT
};

extern const char *const vt_unrecognized_reason_names[VT_UNREC_COUNT];

#define VT_MAX_ATTRS 16

struct vt_attr {
	struct vt_sv key;
	struct vt_sv value; /* string contents, or a number's text */
	int is_string;
};

/* The result of decoding one line; views valid until the next call. */
struct vt_record {
	enum vt_line_class cls;
	int reason;          /* malformed or unrecognized reason */
	int json_valid;      /* the line is exactly one well-formed JSON value */
	struct vt_audit audit;
	/* application lines */
	struct vt_sv level;
	struct vt_sv msg;
	int has_time;
	int64_t time;
	unsigned field_flags;
	size_t nattrs;
	struct vt_attr attrs[VT_MAX_ATTRS];
};

struct vt_decoder;

/*
 * A decoder keeps one yajl handle and reuses it across lines. scratch_max
 * bounds the bytes of unescaped strings it will copy for one line (use the
 * maximum line length). Not thread-safe; one per thread.
 */
struct vt_decoder *vt_decoder_new(size_t scratch_max);
void vt_decoder_free(struct vt_decoder *d);

/*
 * Decodes one line (no newline). Always fills *out; never fails: bad
 * input is a class and a reason, not an error.
 */
void vt_decode_line(struct vt_decoder *d, const char *line, size_t len,
		    struct vt_record *out);

/*
 * The same, for a line still followed by its end of line in the caller's
 * buffer: line[len] must be readable. When it is '\n' or '\r' the usual
 * well-formed line costs one pass of yajl instead of three calls, and
 * objects nothing is read from are checked by skimming instead of handed
 * to yajl (see parser/skim.h). The result is always the one
 * vt_decode_line gives.
 */
void vt_decode_framed(struct vt_decoder *d, const char *line, size_t len,
		      struct vt_record *out);

/*
 * Whether vt_decode_framed skims lines (parser/skim.h) so that yajl never
 * sees the members nothing is read from. AUTO (the default) pauses on
 * input where it does not pay. For tests and measurements: a record never
 * depends on it.
 */
enum vt_skim_mode { VT_SKIM_AUTO = 0, VT_SKIM_ALWAYS, VT_SKIM_NEVER };
void vt_decoder_set_skim(struct vt_decoder *d, enum vt_skim_mode mode);

/*
 * Decodes a docker json-file wrapper line {"log":"...","stream":..,
 * "time":..}. On success returns 0 and sets *log to the unescaped log
 * text (valid until the next call on this decoder) and *stream to 0 for
 * stdout, 1 for stderr. Returns -1 when the line is not such a wrapper.
 */
int vt_decode_docker(struct vt_decoder *d, const char *line, size_t len,
		     struct vt_sv *log, int *stream);

/*
 * Finds the string value of a top-level key in a JSON object (a report
 * read back from disk). Copies it, NUL-terminated, into out; returns 0, or
 * -1 when the text is not an object with such a string (or it does not
 * fit).
 */
int vt_json_top_string(const char *json, size_t n, const char *key,
		       char *out, size_t outlen);

#endif
