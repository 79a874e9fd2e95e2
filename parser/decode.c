/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Line decoding with yajl's streaming parser. One handle is reused for
 * every line (yajl_allow_multiple_values keeps it usable after each
 * value); a handle that saw an error is replaced. Callbacks look at keys
 * by name at a known depth and ignore everything else cheaply, so lines
 * may carry keys in any order, extra keys, and optional objects.
 */
#include "decode.h"
#include "skim.h"
#include "../util/buf.h"
#include "../util/jsondepth.h"
#include "../util/timeutil.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <yajl_parse.h>
#include <yajl_tree.h>

const char *const vt_malformed_reason_names[VT_BAD_COUNT] = {
	[VT_BAD_INVALID_JSON] = "invalid_json",
	[VT_BAD_TRUNCATED] = "truncated",
	[VT_BAD_INVALID_UTF8] = "invalid_utf8",
	[VT_BAD_NUL_BYTE] = "nul_byte",
	[VT_BAD_WRAPPER] = "bad_wrapper",
};

const char *const vt_unrecognized_reason_names[VT_UNREC_COUNT] = {
	[VT_UNREC_NOT_JSON] = "not_json",
	[VT_UNREC_NOT_OBJECT] = "not_object",
	[VT_UNREC_NOT_VMCP] = "not_vmcp",
};

/* Keys the tool reads, by the position where they matter. */
enum key {
	K_OTHER = 0,
	K_ARRAY, /* inside an array: no key */
	K_TIME,
	K_LEVEL,
	K_MSG,
	K_TYPE,
	K_LOGGED_AT,
	K_OUTCOME,
	K_COMPONENT,
	K_TARGET,
	K_METADATA,
	K_NAME,       /* target.name */
	K_STEP_TYPE,  /* target.step_type */
	K_EXTRA,      /* metadata.extra */
	K_BACKEND,    /* metadata.extra.backend_name */
	K_DURATION,   /* metadata.extra.duration_ms */
	K_D_LOG,      /* docker: log */
	K_D_STREAM,   /* docker: stream */
};

#define MAX_TRACKED_DEPTH 8
#define MAX_SKIPS 8 /* objects a line may skip (source, subjects, data) */

/*
 * Callbacks run for every token; their common case (a token nobody
 * reads) must not pay for the registers of the rare one, so the rare one
 * stays a call.
 */
#if defined(__GNUC__)
#define RARE __attribute__((noinline))
#else
#define RARE
#endif

/* The last name an enum parser mapped, and what it mapped it to. */
struct name_memo {
	size_t len; /* 0: empty */
	int value;
	char text[32];
};

static int memo_find(const struct name_memo *m, struct vt_sv v, int *value)
{
	if (!m->len || v.len != m->len || memcmp(v.ptr, m->text, v.len))
		return 0;
	*value = m->value;
	return 1;
}

static void memo_keep(struct name_memo *m, struct vt_sv v, int value)
{
	if (v.len == 0 || v.len > sizeof(m->text))
		return;
	memcpy(m->text, v.ptr, v.len);
	m->len = v.len;
	m->value = value;
}

struct vt_decoder {
	yajl_handle h;
	int docker_mode;
	const char *line;
	size_t len;
	int depth;
	int values;
	int top_object;
	enum key keys[MAX_TRACKED_DEPTH + 1]; /* keys[d]: key at depth d */
	/* watch[d]: the object at depth d holds keys the tool reads */
	unsigned char watch[MAX_TRACKED_DEPTH + 1];
	struct vt_sv pending_key;             /* depth-1 key, for attrs */
	struct vt_buf scratch;
	struct vt_buf docker; /* the unescaped log text of a docker line */
	struct vt_record *rec;
	struct vt_sv time, logged_at, type, outcome, step_type;
	enum vt_skim_mode skim;
	unsigned skim_misses, skim_rest; /* see parse_framed */
	/* log lines repeat a few values: the last ones, already parsed */
	struct vt_time_cache time_cache;
	struct name_memo type_memo, outcome_memo;
	/* docker */
	struct vt_sv d_log;
	int d_stream;
	int d_has_log;
};

static enum key key_at(const struct vt_decoder *d, int depth)
{
	return depth <= MAX_TRACKED_DEPTH ? d->keys[depth] : K_OTHER;
}

static int key_is(const unsigned char *k, size_t n, const char *lit)
{
	size_t m = strlen(lit);

	return n == m && memcmp(k, lit, m) == 0;
}

static enum key classify_top(const unsigned char *k, size_t n)
{
	switch (n) {
	case 3:
		return key_is(k, n, "msg") ? K_MSG : K_OTHER;
	case 4:
		return key_is(k, n, "time") ? K_TIME
		       : key_is(k, n, "type") ? K_TYPE
					      : K_OTHER;
	case 5:
		return key_is(k, n, "level") ? K_LEVEL : K_OTHER;
	case 6:
		return key_is(k, n, "target") ? K_TARGET : K_OTHER;
	case 7:
		return key_is(k, n, "outcome") ? K_OUTCOME : K_OTHER;
	case 8:
		return key_is(k, n, "metadata") ? K_METADATA : K_OTHER;
	case 9:
		return key_is(k, n, "logged_at")   ? K_LOGGED_AT
		       : key_is(k, n, "component") ? K_COMPONENT
						   : K_OTHER;
	default:
		return K_OTHER;
	}
}

static enum key classify_docker(const unsigned char *k, size_t n)
{
	return key_is(k, n, "log")	? K_D_LOG
	       : key_is(k, n, "stream") ? K_D_STREAM
					: K_OTHER;
}

/* A key below depth 1, in an object that watch[] marks. */
static RARE enum key classify_nested(const struct vt_decoder *d, int depth,
				const unsigned char *k, size_t n)
{
	switch (d->keys[depth - 1]) {
	case K_TARGET:
		return key_is(k, n, "name")	   ? K_NAME
		       : key_is(k, n, "step_type") ? K_STEP_TYPE
						   : K_OTHER;
	case K_METADATA:
		return key_is(k, n, "extra") ? K_EXTRA : K_OTHER;
	case K_EXTRA:
		return key_is(k, n, "backend_name")  ? K_BACKEND
		       : key_is(k, n, "duration_ms") ? K_DURATION
						     : K_OTHER;
	default:
		return K_OTHER;
	}
}

/*
 * yajl hands out strings that point into the input when they hold no
 * escapes, and into its own reused buffer otherwise; the latter are copied
 * into scratch, which is sized once so earlier views never move.
 */
static inline struct vt_sv keep(struct vt_decoder *d, const unsigned char *s,
				size_t n)
{
	const char *p = (const char *)s;
	struct vt_sv v = { p, n };

	if (p >= d->line && p + n <= d->line + d->len)
		return v;
	if (d->scratch.len + n > d->scratch.cap) {
		v.ptr = NULL; /* cannot happen: scratch holds a whole line */
		v.len = 0;
		return v;
	}
	v.ptr = d->scratch.ptr + d->scratch.len;
	memcpy(d->scratch.ptr + d->scratch.len, p, n);
	d->scratch.len += n;
	return v;
}

static void scalar_done(struct vt_decoder *d)
{
	if (d->depth == 0)
		d->values++;
}

static void add_attr(struct vt_decoder *d, const unsigned char *s, size_t n,
		     int is_string)
{
	struct vt_record *r = d->rec;

	/* a top-level attribute, or an element of one that is an array */
	int top = d->depth == 1 ||
		  (d->depth == 2 && d->keys[2] == K_ARRAY);

	if (!top || d->keys[1] != K_OTHER || r->nattrs >= VT_MAX_ATTRS)
		return;
	r->attrs[r->nattrs].key = d->pending_key;
	r->attrs[r->nattrs].value = keep(d, s, n);
	r->attrs[r->nattrs].is_string = is_string;
	r->nattrs++;
}

static void wrong_type(struct vt_decoder *d)
{
	switch (key_at(d, d->depth)) {
	case K_OTHER:
	case K_ARRAY:
	case K_D_LOG:
	case K_D_STREAM:
		return;
	default:
		d->rec->field_flags |= VT_FIELD_WRONG_TYPE;
	}
}

static RARE int string_value(struct vt_decoder *d, const unsigned char *s,
			     size_t n)
{
	struct vt_record *r = d->rec;

	if (d->depth == 0) {
		scalar_done(d);
		return 1;
	}
	enum key k = key_at(d, d->depth);
	if (k == K_OTHER || k == K_ARRAY) {
		/* most strings: ids, addresses, user agents, ... */
		if (d->depth <= 2)
			add_attr(d, s, n, 1);
		return 1;
	}
	switch (k) {
	case K_TIME:
		d->time = keep(d, s, n);
		break;
	case K_LEVEL:
		r->level = keep(d, s, n);
		break;
	case K_MSG:
		r->msg = keep(d, s, n);
		break;
	case K_TYPE:
		if (d->depth == 1)
			d->type = keep(d, s, n);
		break;
	case K_LOGGED_AT:
		d->logged_at = keep(d, s, n);
		break;
	case K_OUTCOME:
		d->outcome = keep(d, s, n);
		break;
	case K_COMPONENT:
		r->audit.component = keep(d, s, n);
		break;
	case K_NAME:
		r->audit.target_name = keep(d, s, n);
		break;
	case K_STEP_TYPE:
		d->step_type = keep(d, s, n);
		break;
	case K_BACKEND:
		r->audit.backend_name = keep(d, s, n);
		r->audit.has_backend = 1;
		break;
	case K_D_LOG:
		d->d_log = keep(d, s, n);
		d->d_has_log = 1;
		break;
	case K_D_STREAM:
		d->d_stream = key_is(s, n, "stderr");
		break;
	default:
		wrong_type(d);
	}
	return 1;
}

/*
 * The fast path stays small (no registers to save); strings in objects
 * nobody reads, most of a line's strings, end here.
 */
static int on_string(void *ctx, const unsigned char *s, size_t n)
{
	struct vt_decoder *d = ctx;
	int depth = d->depth;

	if (depth >= 2 && key_at(d, depth) == K_OTHER)
		return 1;
	return string_value(d, s, n);
}

/*
 * Numbers arrive as text so that any size is accepted; only
 * duration_ms is interpreted: fractions are dropped, values beyond
 * int64 saturate, negatives are out of range.
 */
static void parse_duration(struct vt_decoder *d, const unsigned char *s,
			   size_t n)
{
	struct vt_audit *a = &d->rec->audit;
	int64_t v = 0;
	size_t i = 0, frac = 0, nfrac = 0;
	int saturated = 0;

	if (n && s[0] == '-') {
		a->has_duration = 0;
		d->rec->field_flags |= VT_FIELD_OUT_OF_RANGE;
		return;
	}
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (INT64_MAX - 9) / 10)
			saturated = 1;
		else
			v = v * 10 + (s[i] - '0');
	}
	if (i < n && s[i] == '.')
		for (frac = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			nfrac++;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		/* An exponent: scale, saturating; a negative one shrinks. */
		int neg = ++i < n && s[i] == '-';
		long e = 0;

		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			e = e > 100000 ? e : e * 10 + (s[i] - '0');
		for (; e > 0 && !saturated; e--) {
			/* 2.5e1 is 25: a positive exponent takes in fraction digits */
			int digit = 0;

			if (!neg && nfrac) {
				digit = s[frac++] - '0';
				nfrac--;
			}
			if (neg)
				v /= 10;
			else if (v > (INT64_MAX - digit) / 10)
				saturated = 1;
			else
				v = v * 10 + digit;
		}
	}
	a->duration_ms = saturated ? INT64_MAX : v;
	a->has_duration = 1;
}

static int on_number(void *ctx, const char *s, size_t n)
{
	struct vt_decoder *d = ctx;

	if (d->depth == 0) {
		scalar_done(d);
		return 1;
	}
	switch (key_at(d, d->depth)) {
	case K_DURATION:
		parse_duration(d, (const unsigned char *)s, n);
		break;
	case K_OTHER:
	case K_ARRAY: /* an element of a top-level array attribute */
		add_attr(d, (const unsigned char *)s, n, 0);
		break;
	default:
		wrong_type(d);
	}
	return 1;
}

static int on_bool(void *ctx, int b)
{
	struct vt_decoder *d = ctx;

	(void)b;
	if (d->depth == 0)
		scalar_done(d);
	else
		wrong_type(d);
	return 1;
}

static int on_null(void *ctx)
{
	struct vt_decoder *d = ctx;

	if (d->depth == 0)
		scalar_done(d);
	/* null reads as absent: nothing to flag */
	return 1;
}

static int is_container_key(enum key k)
{
	return k == K_TARGET || k == K_METADATA || k == K_EXTRA;
}

static int open_container(struct vt_decoder *d, int is_map)
{
	enum key k = K_OTHER;

	if (d->depth == 0) {
		d->top_object = is_map;
	} else {
		k = key_at(d, d->depth);
		/* A key the tool reads holding the wrong kind of value. */
		if (k != K_OTHER && k != K_ARRAY &&
		    (!is_container_key(k) || !is_map))
			d->rec->field_flags |= VT_FIELD_WRONG_TYPE;
	}
	d->depth++;
	if (d->depth <= MAX_TRACKED_DEPTH) {
		d->keys[d->depth] = is_map ? K_OTHER : K_ARRAY;
		/* target, metadata and metadata.extra: only at their depth */
		d->watch[d->depth] = is_map && is_container_key(k);
	}
	return 1;
}

static int close_container(struct vt_decoder *d)
{
	d->depth--;
	if (d->depth == 0)
		d->values++;
	return 1;
}

static int on_start_map(void *ctx)
{
	return open_container(ctx, 1);
}

static int on_end_map(void *ctx)
{
	return close_container(ctx);
}

static int on_start_array(void *ctx)
{
	return open_container(ctx, 0);
}

static int on_end_array(void *ctx)
{
	return close_container(ctx);
}

/*
 * Called for every key of the line: keys inside objects nobody reads
 * (source, subjects, data, ...) cost a test and a store.
 */
static RARE int top_key(struct vt_decoder *d, const unsigned char *k,
			size_t n)
{
	if (d->docker_mode) {
		d->keys[1] = classify_docker(k, n);
	} else {
		d->keys[1] = classify_top(k, n);
		if (d->keys[1] == K_OTHER)
			d->pending_key = keep(d, k, n);
	}
	return 1;
}

static int on_map_key(void *ctx, const unsigned char *k, size_t n)
{
	struct vt_decoder *d = ctx;
	int depth = d->depth;

	if (depth == 1)
		return top_key(d, k, n);
	if (depth <= MAX_TRACKED_DEPTH)
		d->keys[depth] = d->watch[depth]
					 ? classify_nested(d, depth, k, n)
					 : K_OTHER;
	return 1;
}

static const yajl_callbacks callbacks = {
	on_null,      on_bool,      NULL,	  NULL,	     on_number,
	on_string,    on_start_map, on_map_key, on_end_map, on_start_array,
	on_end_array,
};

static yajl_handle new_handle(struct vt_decoder *d)
{
	yajl_handle h = yajl_alloc(&callbacks, NULL, d);

	if (!h)
		abort();
	yajl_config(h, yajl_allow_multiple_values, 1);
	return h;
}

struct vt_decoder *vt_decoder_new(size_t scratch_max)
{
	struct vt_decoder *d = vt_xcalloc(1, sizeof(*d));

	d->h = new_handle(d);
	vt_buf_init(&d->scratch, scratch_max);
	d->scratch.ptr = vt_xmalloc(scratch_max + 1);
	d->scratch.cap = scratch_max + 1;
	vt_buf_init(&d->docker, scratch_max);
	return d;
}

void vt_decoder_free(struct vt_decoder *d)
{
	if (!d)
		return;
	yajl_free(d->h);
	vt_buf_release(&d->scratch);
	vt_buf_release(&d->docker);
	free(d);
}

static int can_start_json(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
		i++;
	if (i == n)
		return 0;
	return strchr("{[\"-0123456789tfn", p[i]) != NULL && p[i] != '\0';
}

static enum vt_malformed_reason error_reason(struct vt_decoder *d,
					     const char *line, size_t len)
{
	unsigned char *msg = yajl_get_error(d->h, 0, NULL, 0);
	enum vt_malformed_reason r = VT_BAD_INVALID_JSON;

	if (memchr(line, '\0', len))
		r = VT_BAD_NUL_BYTE;
	else if (msg && strstr((const char *)msg, "UTF8"))
		r = VT_BAD_INVALID_UTF8;
	else if (msg && strstr((const char *)msg, "premature EOF"))
		r = VT_BAD_TRUNCATED;
	yajl_free_error(d->h, msg);
	return r;
}

static void begin_value(struct vt_decoder *d, const char *line, size_t len)
{
	d->line = line;
	d->len = len;
	d->depth = 0;
	d->values = 0;
	d->top_object = 0;
	d->scratch.len = 0;
}

/* yajl takes \f and \v for whitespace; JSON has them nowhere raw. */
static int has_ff_or_vt(const char *line, size_t len)
{
	return memchr(line, '\f', len) || memchr(line, '\v', len);
}

/* Runs yajl over one line; returns 1 when it is exactly one value. */
static int run_parser(struct vt_decoder *d, const char *line, size_t len)
{
	yajl_status st;

	begin_value(d, line, len);
	st = yajl_parse(d->h, (const unsigned char *)line, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(d->h);
	/*
	 * A handle that finished a value on an earlier line is content with
	 * a line holding only a cut-off string ('"ab'), where a fresh one
	 * reports a premature end: say "truncated" either way, so that a
	 * line's reason never depends on the line before it.
	 */
	if (st == yajl_status_ok && d->values == 0) {
		d->rec->reason = memchr(line, '\0', len) ? VT_BAD_NUL_BYTE
							 : VT_BAD_TRUNCATED;
		yajl_free(d->h);
		d->h = new_handle(d);
		return 0;
	}
	/*
	 * After a whole value, yajl_allow_multiple_values lets
	 * yajl_complete_parse succeed while the lexer still holds a string
	 * the line cut off ('{...} "ab'): kept, it would swallow the start
	 * of the next line. A newline cannot be inside a JSON string, so
	 * feeding one turns that leftover into an error (and is whitespace
	 * otherwise).
	 */
	int cut = 0;
	if (st == yajl_status_ok) {
		st = yajl_parse(d->h, (const unsigned char *)"\n", 1);
		/*
		 * A line that is only a cut-off string fails here when the
		 * handle finished a value on an earlier line, where a new
		 * handle stops at "premature EOF": the same reason for both.
		 */
		cut = st != yajl_status_ok && d->values == 0;
	}
	if (st != yajl_status_ok) {
		d->rec->reason = cut && !memchr(line, '\0', len)
					 ? VT_BAD_TRUNCATED
					 : (int)error_reason(d, line, len);
		yajl_free(d->h);
		d->h = new_handle(d);
		return 0;
	}
	if (d->values != 1 || has_ff_or_vt(line, len)) {
		d->rec->reason = VT_BAD_INVALID_JSON;
		return 0;
	}
	return 1;
}

/*
 * The usual case in one pass of yajl: the line and the newline that ends
 * it in the caller's buffer (line[len] is '\n' or '\r'). That newline
 * plays the part of run_parser's extra one, and ends a number the line
 * ends with, so a line that leaves yajl at depth 0 after exactly one value
 * is complete: yajl_complete_parse could only agree.
 *
 * With skims (see vt_skim_find), yajl gets the line in pieces: the objects
 * r[0..skim) are checked by vt_skim_value and replaced by "{}". Nothing
 * in them could reach the record, so the record is the one the whole
 * line gives.
 *
 * Returns 1 for a clean value; otherwise 0, leaving the handle fresh so
 * that run_parser can take the line again and give the same reason it
 * always gives (a line cut inside a string is "truncated" there, not a
 * newline in a string).
 */
static int run_parser_nl(struct vt_decoder *d, const char *line, size_t len,
			 const struct vt_skim_range *r, int skim)
{
	yajl_status st = yajl_status_ok;
	size_t at = 0;

	begin_value(d, line, len);
	for (int i = 0; i < skim && st == yajl_status_ok; i++) {
		st = yajl_parse(d->h, (const unsigned char *)line + at,
				r[i].start - at);
		if (st == yajl_status_ok)
			st = yajl_parse(d->h, (const unsigned char *)"{}", 2);
		at = r[i].end;
	}
	if (st == yajl_status_ok)
		st = yajl_parse(d->h, (const unsigned char *)line + at,
				len + 1 - at);
	if (st == yajl_status_ok && d->values == 1 && d->depth == 0 &&
	    !has_ff_or_vt(line, len))
		return 1;
	yajl_free(d->h);
	d->h = new_handle(d);
	return 0;
}

/*
 * When the objects of 8 lines in a row could not be skimmed (a log whose
 * sources hold non-ASCII names, say), skimming rests for 256 lines, then
 * looks again. Whether a line is skimmed never changes its record.
 */
#define SKIM_MISSES 8
#define SKIM_REST 256

static int parse_framed(struct vt_decoder *d, const char *line, size_t len)
{
	struct vt_skim_range r[MAX_SKIPS];
	unsigned wasted = 0;
	int n = 0;

	if (d->skim == VT_SKIM_AUTO && d->skim_rest) {
		d->skim_rest--;
	} else if (d->skim != VT_SKIM_NEVER) {
		n = vt_skim_find(line, len, r, MAX_SKIPS, &wasted);
		if (n > 0)
			d->skim_misses = 0;
		else if (wasted && ++d->skim_misses == SKIM_MISSES)
			d->skim_misses = 0, d->skim_rest = SKIM_REST;
	}
	return run_parser_nl(d, line, len, r, n);
}

void vt_decoder_set_skim(struct vt_decoder *d, enum vt_skim_mode mode)
{
	d->skim = mode;
	d->skim_misses = d->skim_rest = 0;
}

static void finish_time(struct vt_decoder *d, struct vt_record *r)
{
	int64_t t;

	/* logged_at is UTC on every audit line; time carries a local offset. */
	if (d->logged_at.len &&
	    vt_time_parse_cached(&d->time_cache, d->logged_at.ptr,
				 d->logged_at.len, &t) == 0) {
		r->time = t;
		r->has_time = 1;
	} else if (d->time.len &&
		   vt_time_parse_cached(&d->time_cache, d->time.ptr,
					d->time.len, &t) == 0) {
		r->time = t;
		r->has_time = 1;
	} else if (d->time.ptr || d->logged_at.ptr) {
		r->field_flags |= VT_FIELD_BAD_TIME;
	}
}

/*
 * The product token of the line's "user_agent" member: the raw HTTP
 * User-Agent header vMCP writes in source.extra (metadata.extra for an
 * sse_connection). Inside a JSON string its quotes would be escaped, so
 * the bytes '"user_agent":"' are always the member itself. Only the text
 * up to the first '/', space or escape is taken: a product name, never a
 * version or a comment.
 */
static struct vt_sv ua_product(const char *line, size_t len)
{
	static const char key[] = "\"user_agent\":\"";
	const size_t kn = sizeof(key) - 1;

	for (size_t i = 0; i + kn <= len; i++) {
		if (line[i] != '"' || memcmp(line + i, key, kn) != 0)
			continue;
		size_t s = i + kn, e = s;

		while (e < len && line[e] != '"' && line[e] != '/' &&
		       line[e] != ' ' && line[e] != '\\')
			e++;
		return (struct vt_sv){ line + s, e - s };
	}
	return (struct vt_sv){ NULL, 0 };
}

static void finish_audit(struct vt_decoder *d, struct vt_record *r)
{
	struct vt_audit *a = &r->audit;

	int v;

	if (!memo_find(&d->type_memo, d->type, &v)) {
		v = (int)vt_event_type_parse(d->type.ptr, d->type.len);
		memo_keep(&d->type_memo, d->type, v);
	}
	a->type = (enum vt_event_type)v;
	if (a->type == VT_EV_OTHER)
		r->field_flags |= VT_FIELD_UNKNOWN_TYPE;
	if (!d->outcome.ptr) {
		a->outcome = VT_OUT_UNKNOWN;
	} else {
		if (!memo_find(&d->outcome_memo, d->outcome, &v)) {
			v = (int)vt_outcome_parse(d->outcome.ptr,
						  d->outcome.len);
			memo_keep(&d->outcome_memo, d->outcome, v);
		}
		a->outcome = (enum vt_outcome)v;
	}
	a->step_type = d->step_type.ptr ? vt_step_type_parse(d->step_type.ptr,
							     d->step_type.len)
					: VT_STEP_OTHER;
	a->has_time = r->has_time;
	a->time = r->time;
	a->field_flags = r->field_flags;
	if (a->type == VT_EV_MCP_REQUEST &&
	    VT_SV_EQ_LIT(a->target_name, "discover"))
		a->ua_product = ua_product(d->line, d->len);
}

static void begin_line(struct vt_decoder *d, struct vt_record *out)
{
	/* attrs[] past nattrs is never read: no need to clear 600 bytes */
	memset(out, 0, offsetof(struct vt_record, attrs));
	d->time = d->logged_at = d->type = (struct vt_sv){ NULL, 0 };
	d->outcome = d->step_type = (struct vt_sv){ NULL, 0 };
	d->rec = out;
	d->docker_mode = 0;
}

/*
 * Text whose first character, after what yajl skips as whitespace, cannot
 * begin a JSON value: yajl would fail on its first token, with no
 * callback, and the line would be not_json (can_start_json skips less,
 * so it agrees). Such lines never reach yajl, whose handle would
 * otherwise be replaced after each of them.
 */
static int cannot_start_json(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (p[i] == ' ' || (p[i] >= '\t' && p[i] <= '\r')))
		i++;
	if (i == n)
		return 1;
	switch (p[i]) {
	case '{': case '[': case '"': case '-': case 't': case 'f': case 'n':
		return 0;
	default:
		return p[i] < '0' || p[i] > '9';
	}
}

static void decode(struct vt_decoder *d, const char *line, size_t len,
		   int eol, struct vt_record *out)
{
	begin_line(d, out);
	if (cannot_start_json(line, len)) {
		out->cls = VT_LINE_UNRECOGNIZED;
		out->reason = VT_UNREC_NOT_JSON;
		return;
	}
	if (!eol || !parse_framed(d, line, len)) {
		if (eol)
			begin_line(d, out); /* forget what the callbacks saw */
		if (!run_parser(d, line, len)) {
			out->json_valid = 0;
			if (!can_start_json(line, len)) {
				out->cls = VT_LINE_UNRECOGNIZED;
				out->reason = VT_UNREC_NOT_JSON;
			} else {
				out->cls = VT_LINE_MALFORMED;
			}
			return;
		}
	}
	out->json_valid = 1;
	if (!d->top_object) {
		out->cls = VT_LINE_UNRECOGNIZED;
		out->reason = VT_UNREC_NOT_OBJECT;
		return;
	}
	finish_time(d, out);
	if (out->msg.ptr && VT_SV_EQ_LIT(out->msg, "audit_event")) {
		out->cls = VT_LINE_AUDIT;
		finish_audit(d, out);
	} else if (out->msg.ptr && (out->level.ptr || d->time.ptr)) {
		out->cls = VT_LINE_APP;
	} else {
		out->cls = VT_LINE_UNRECOGNIZED;
		out->reason = VT_UNREC_NOT_VMCP;
	}
}

void vt_decode_line(struct vt_decoder *d, const char *line, size_t len,
		    struct vt_record *out)
{
	decode(d, line, len, 0, out);
}

void vt_decode_framed(struct vt_decoder *d, const char *line, size_t len,
		      struct vt_record *out)
{
	decode(d, line, len, line[len] == '\n' || line[len] == '\r', out);
}

int vt_decode_docker(struct vt_decoder *d, const char *line, size_t len,
		     struct vt_sv *log, int *stream)
{
	struct vt_record scratch_rec;

	memset(&scratch_rec, 0, sizeof(scratch_rec));
	d->rec = &scratch_rec;
	d->docker_mode = 1;
	d->d_has_log = 0;
	d->d_stream = 0;
	d->d_log.ptr = NULL;
	d->d_log.len = 0;
	int ok = run_parser(d, line, len) && d->top_object && d->d_has_log;
	d->docker_mode = 0;
	if (!ok)
		return -1;
	/* The next vt_decode_line reuses scratch: move the text out of it. */
	vt_buf_reset(&d->docker);
	if (vt_buf_append(&d->docker, d->d_log.ptr, d->d_log.len))
		return -1;
	log->ptr = d->docker.ptr ? d->docker.ptr : "";
	log->len = d->docker.len;
	*stream = d->d_stream;
	return 0;
}

int vt_json_top_string(const char *json, size_t n, const char *key,
		       char *out, size_t outlen)
{
	char err[128];
	const char *path[] = { key, NULL };
	int rc = -1;

	/* yajl_tree_free recurses: a hostile "[[[[..." would overflow it. */
	if (vt_json_depth_ok(json, n, 64))
		return -1;
	char *text = vt_xstrndup(json, n);
	yajl_val root = yajl_tree_parse(text, err, sizeof(err));

	free(text);
	if (!root)
		return -1;
	yajl_val v = yajl_tree_get(root, path, yajl_t_string);
	const char *str = v && YAJL_IS_STRING(v) ? v->u.string : NULL;
	if (str && strlen(str) < outlen) {
		memcpy(out, str, strlen(str) + 1);
		rc = 0;
	}
	yajl_tree_free(root);
	return rc;
}
