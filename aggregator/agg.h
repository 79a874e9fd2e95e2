/* SPDX-License-Identifier: Apache-2.0 */
/* Aggregation: events and facts in, privacy-safe counts per period out. */
#ifndef VT_AGG_H
#define VT_AGG_H

#include "../util/hash.h"

#include "../parser/decode.h"
#include "../parser/unwrap.h"
#include "histogram.h"
#include "privacy.h"
#include "../util/buf.h"

/* The enumerations the report counts by. */
enum vt_conflict { VT_CONFLICT_PREFIX, VT_CONFLICT_PRIORITY, VT_CONFLICT_MANUAL,
		   VT_CONFLICT_OTHER, VT_CONFLICT_UNKNOWN, VT_CONFLICT_COUNT };
enum vt_inauth { VT_INAUTH_OIDC, VT_INAUTH_ANONYMOUS, VT_INAUTH_LOCAL,
		 VT_INAUTH_OTHER, VT_INAUTH_UNKNOWN, VT_INAUTH_COUNT };
enum vt_outauth { VT_OUTAUTH_UNAUTHENTICATED, VT_OUTAUTH_HEADER_INJECTION,
		  VT_OUTAUTH_TOKEN_EXCHANGE, VT_OUTAUTH_UPSTREAM_INJECT,
		  VT_OUTAUTH_AWS_STS, VT_OUTAUTH_OBO, VT_OUTAUTH_XAA,
		  VT_OUTAUTH_OTHER, VT_OUTAUTH_UNKNOWN, VT_OUTAUTH_COUNT };
enum vt_feature { VT_FEATURE_AUDIT, VT_FEATURE_OPTIMIZER, VT_FEATURE_CODE_MODE,
		  VT_FEATURE_AUTHORIZATION, VT_FEATURE_EMBEDDED_AUTH_SERVER,
		  VT_FEATURE_TELEMETRY, VT_FEATURE_METRICS,
		  VT_FEATURE_HEALTH_MONITORING, VT_FEATURE_CIRCUIT_BREAKER,
		  VT_FEATURE_PASSTHROUGH_HEADERS, VT_FEATURE_COUNT };
enum vt_session { VT_SESSION_MEMORY, VT_SESSION_REDIS, VT_SESSION_OTHER,
		  VT_SESSION_UNKNOWN, VT_SESSION_COUNT };
enum vt_workflow { VT_WF_STARTED, VT_WF_COMPLETED, VT_WF_FAILED,
		   VT_WF_TIMED_OUT, VT_WF_COUNT };
/* How an instance finds its backends (the startup lines say it). */
enum vt_backend_mode { VT_BMODE_STATIC, VT_BMODE_DYNAMIC, VT_BMODE_DISCOVERED,
		       VT_BMODE_COUNT };
/* Backend health events, summed over instances (operational.backend_health). */
enum vt_health { VT_HEALTH_TO_HEALTHY, VT_HEALTH_TO_DEGRADED,
		 VT_HEALTH_TO_UNHEALTHY, VT_HEALTH_TO_UNKNOWN,
		 VT_HEALTH_TO_UNAUTHENTICATED, VT_HEALTH_TO_OTHER,
		 VT_HEALTH_CIRCUIT_OPENED, VT_HEALTH_BACKENDS_ADDED,
		 VT_HEALTH_BACKENDS_REMOVED, VT_HEALTH_COUNT };
/* Composite workflow lines at INFO, as counted before the timeout rule. */
enum vt_wf_line { VT_WFL_STARTED, VT_WFL_COMPLETED, VT_WFL_FAILED,
		  VT_WFL_TIMED_OUT, VT_WFL_OUTPUT_FAILED, VT_WFL_COUNT };
enum vt_step_result { VT_SR_COMPLETED, VT_SR_FAILED, VT_SR_SKIPPED,
		      VT_SR_COUNT };

extern const char *const vt_conflict_names[VT_CONFLICT_COUNT];
extern const char *const vt_inauth_names[VT_INAUTH_COUNT];
extern const char *const vt_outauth_names[VT_OUTAUTH_COUNT];
extern const char *const vt_feature_names[VT_FEATURE_COUNT];
extern const char *const vt_session_names[VT_SESSION_COUNT];
extern const char *const vt_workflow_names[VT_WF_COUNT];
extern const char *const vt_step_result_names[VT_SR_COUNT];
extern const char *const vt_backend_mode_names[VT_BMODE_COUNT];
extern const char *const vt_health_names[VT_HEALTH_COUNT];
extern const char *const vt_wf_line_names[VT_WFL_COUNT];

/* Where a line came from, as 64-bit hashes: never names. */
struct vt_origin {
	uint64_t instance; /* the vMCP server */
	uint64_t stream;   /* one process slot: a pod's container, a file group */
};

/* Counts about the input itself. */
struct vt_quality {
	uint64_t lines_read;
	uint64_t events;
	uint64_t app_lines;
	uint64_t lines_malformed;
	uint64_t lines_too_long;
	uint64_t lines_unrecognized;
	uint64_t lines_blank;
	uint64_t late_events;
	uint64_t files;
	uint64_t files_failed;
	uint64_t bytes_read;
	uint64_t malformed_by_reason[VT_BAD_COUNT];
	uint64_t unrecognized_by_reason[VT_UNREC_COUNT];
	uint64_t lines_by_wrapper[VT_WRAP_COUNT];
	uint64_t fields_wrong_type;
	uint64_t fields_out_of_range;
	uint64_t unknown_event_types;
	uint64_t bad_timestamps;
	uint64_t lines_without_time;
	uint64_t nul_bytes_skipped;
	uint64_t lines_over_instance_cap;
	uint64_t files_lost;  /* files rotated away before they were read */
	uint64_t bytes_lost;  /* their bytes that were never read */
	uint64_t files_reset; /* files whose checkpoint no longer fit them */
	/*
	 * What the report prints for bytes: log2 histograms, one entry per
	 * input read (by the bytes read from it) and per file lost (by its
	 * unread bytes), so no exact size leaves. The exact sums above stay
	 * in memory and in the state.
	 */
	uint64_t bytes_read_by_input[VT_LOG2_BUCKETS];
	uint64_t bytes_lost_by_file[VT_LOG2_BUCKETS];
	/*
	 * Lines timed before telemetry came back on (vt_agg_set_consent),
	 * dropped. Last: a state written before it was added still reads.
	 */
	uint64_t events_before_consent;
};

/*
 * Distinct instances, mergeable across reports. Up to VT_SKETCH_EXACT
 * instances it is the exact set of their 32-bit keyed hashes; beyond, a
 * HyperLogLog of 2^VT_HLL_P registers (standard error 1.04/sqrt(4096),
 * about 1.6%). The hashes are keyed (vt_agg_set_sketch_key), so a report
 * holds no instance key and cannot confirm a guessed name without the key.
 */
#define VT_SKETCH_EXACT 1024
#define VT_HLL_P 12
#define VT_HLL_M (1u << VT_HLL_P)

struct vt_sketch {
	uint32_t n;       /* exact hashes held, sorted ascending */
	int approximate;  /* the registers are in use instead */
	uint32_t hashes[VT_SKETCH_EXACT];
	uint8_t reg[VT_HLL_M];
};

void vt_sketch_add(struct vt_sketch *k, uint32_t h);
void vt_sketch_merge(struct vt_sketch *dst, const struct vt_sketch *src);
/* The number of distinct instances (exact, or the HLL estimate). */
uint64_t vt_sketch_count(const struct vt_sketch *k);

/* Hours a period's timeline holds (400 days); later hours are not drawn. */
#define VT_MAX_HOURS (24 * 400)

struct vt_hour_count {
	int64_t start; /* Unix seconds, a whole UTC hour */
	uint64_t count;
};

/* The report's numbers for one period: what the reporter prints. */
/*
 * Tail entries of the backend distribution, after the allowlisted names:
 * "other" (a name not listed), then calls without backend_name by what
 * they are: "composite", "optimizer", "code_mode", "unknown".
 */
#define VT_BACKEND_TAILS 5
extern const char *const vt_backend_tail_names[VT_BACKEND_TAILS];

struct vt_named_count {
	char name[VT_MAX_NAME_LEN + 1];
	uint64_t count;
};

struct vt_summary {
	int64_t start, end;      /* [start, end) in Unix seconds, UTC */
	const char *granularity; /* "hour", "day", "week" or "all" */
	/* deployment */
	uint64_t instances;
	struct vt_sketch instances_sketch;
	uint64_t processes;
	uint64_t backends_per_instance[VT_LOG2_BUCKETS];
	uint64_t backends_unknown;
	uint64_t conflict[VT_CONFLICT_COUNT];
	uint64_t incoming_auth[VT_INAUTH_COUNT];
	uint64_t outgoing_auth[VT_OUTAUTH_COUNT];
	uint64_t composite_defined[VT_LOG2_BUCKETS];
	uint64_t composite_unknown;
	uint64_t features[VT_FEATURE_COUNT];
	uint64_t instances_configured; /* described by a --vmcp-config */
	uint64_t session_storage[VT_SESSION_COUNT];
	uint64_t composite_steps_defined[VT_STEP_COUNT];
	/* usage */
	uint64_t tool_calls;
	uint64_t tool_calls_by_outcome[VT_OUT_COUNT];
	uint64_t tool_calls_per_instance[VT_LOG2_BUCKETS];
	uint64_t tool_call_duration_ms[VT_125_BUCKETS];
	uint64_t workflows[VT_WF_COUNT];
	uint64_t workflow_steps[VT_STEP_COUNT];
	uint64_t workflow_step_results[VT_SR_COUNT];
	size_t nbackends; /* sorted by name, "composite" and "other" last */
	struct vt_named_count backends[VT_MAX_NAMES + VT_BACKEND_TAILS];
	uint64_t sessions;
	size_t nclients;  /* sorted by name, "other" last */
	struct vt_named_count clients[VT_MAX_NAMES + 1];
	uint64_t requests_by_type[VT_EV_COUNT];
	size_t nhours;    /* tool calls by UTC hour, oldest first, non-zero */
	struct vt_hour_count hours[VT_MAX_HOURS];
	/* operational */
	uint64_t uptime_seconds[VT_125_BUCKETS];
	uint64_t restarts;
	uint64_t config_changes;
	uint64_t backend_health[VT_HEALTH_COUNT];
	uint64_t server_discover;  /* Modern server/discover probes */
	size_t ndiscover_clients;  /* the probes by User-Agent product */
	struct vt_named_count discover_clients[VT_MAX_NAMES + 1];
	struct vt_quality quality;
};

/*
 * The cap on distinct instances (--max-instances), which bounds the
 * aggregate's memory: lines of instances past it are still counted in
 * every total, but not per instance (quality.lines_over_instance_cap).
 * Streams (process slots) are capped at four per instance.
 */
#define VT_DEFAULT_MAX_INSTANCES 10000
#define VT_MAX_MAX_INSTANCES 1000000

struct vt_agg_config {
	int64_t period_seconds;   /* 0: one period holds everything */
	size_t max_instances;     /* distinct instances per period and overall;
				     0: VT_DEFAULT_MAX_INSTANCES */
	size_t max_streams;       /* distinct streams overall; 0: 4 per instance */
	const struct vt_allowlist *servers; /* borrowed; outlive the agg */
	const struct vt_allowlist *clients;
	/* borrowed: hides every hash the encoding holds; NULL: none */
	const struct vt_prp *state_key;
};

struct vt_agg;

struct vt_agg *vt_agg_new(const struct vt_agg_config *cfg);
void vt_agg_free(struct vt_agg *a);

/*
 * Feeds one decoded line. rec->cls decides what is counted: audit events,
 * application lines (with the facts the rules found in them), and the
 * quality counters for the rest. wrapper is how the line was wrapped.
 */
void vt_agg_line(struct vt_agg *a, const struct vt_origin *o,
		 const struct vt_record *rec, const struct vt_fact *facts,
		 size_t nfacts, enum vt_wrapper wrapper);

/* The quality section, for counts that belong to no line. */
struct vt_quality *vt_agg_quality(struct vt_agg *a);
/* Counts one line that never reached the decoder (too long). */
void vt_agg_too_long(struct vt_agg *a);

/*
 * Sets the clock: lines without a time of their own fall in the period
 * that holds now when no period is open yet.
 */
void vt_agg_set_now(struct vt_agg *a, int64_t now);
/*
 * Event times after latest are not usable (a broken or hostile clock: a
 * line dated 9999 would open a period that never closes, or one whose
 * report cannot be read): such a line counts in quality.bad_timestamps and
 * as a line without time. Only 'run' sets it (its clock plus a week).
 */
void vt_agg_set_horizon(struct vt_agg *a, int64_t latest);
/*
 * The key of the instances sketch (copied; at most 64 bytes). Reports
 * made with the same key merge their instances; with different keys an
 * instance seen by both counts twice. Default: no key (empty).
 */
void vt_agg_set_sketch_key(struct vt_agg *a, const void *key, size_t len);
/*
 * The host's scope, mixed into the sketch hash of every instance whose
 * key is unique on its host only (see VT_INSTANCE_SHARED). Default 0.
 */
void vt_agg_set_sketch_scope(struct vt_agg *a, uint64_t scope);
int64_t vt_agg_now(const struct vt_agg *a);

/*
 * Periods that start before floor are closed (already reported): an event
 * for one goes to the period holding floor and counts as late.
 */
void vt_agg_set_floor(struct vt_agg *a, int64_t floor);
/*
 * Telemetry came back on at since (0: never off): a vMCP line timed
 * before it was written while telemetry was off, or before, and is not
 * counted, only tallied in quality.events_before_consent.
 */
void vt_agg_set_consent(struct vt_agg *a, int64_t since);
/* Forgets period i (after it was reported). */
void vt_agg_drop_period(struct vt_agg *a, size_t i);

/* Open periods, oldest first. */
size_t vt_agg_period_count(const struct vt_agg *a);
/* The quality counters of the open period starting at start, or NULL. */
struct vt_quality *vt_agg_period_quality(struct vt_agg *a, int64_t start);
int64_t vt_agg_period_start(const struct vt_agg *a, size_t i);

/*
 * Builds the summary of period i into *out. With period_seconds == 0
 * there is at most one period, whose bounds are the first and last event
 * times (or now, when no line had a time).
 */
void vt_agg_summarize(const struct vt_agg *a, size_t i,
		      struct vt_summary *out);

/*
 * What one vMCP configuration file says about the server it configures
 * (aggregator/config.c reads it). Only enums, counts and hashes: the
 * configuration's names, URLs and secrets are never kept.
 */
struct vt_config_facts {
	int conflict;       /* enum vt_conflict, -1 when not said */
	int inauth;         /* enum vt_inauth, -1 when not said */
	int64_t backends;   /* static backends, -1 when discovered */
	int64_t composite;  /* composite tools defined */
	uint32_t outauth;   /* bit per enum vt_outauth */
	uint32_t features;  /* bit per enum vt_feature that is on */
	int session;        /* enum vt_session */
	uint32_t steps[VT_STEP_COUNT]; /* composite steps defined, by type */
	uint64_t component; /* hash of the audit component, 0 when unknown */
	uint64_t component2; /* a second component the same server writes
				(CLI workflow events: vmcp-composer), or 0 */
	uint64_t key;       /* the instance key when no log names it */
	uint64_t fingerprint; /* of the configuration's values */
};

/*
 * Attaches a configuration to the instances it describes: those whose
 * audit events carry its component; failing that, when it is the only
 * configuration given (VT_CONFIG_ONLY), every instance; failing that,
 * unless VT_CONFIG_NO_OWN, an instance of its own in the period holding
 * now. Logged facts win; the
 * configuration fills what the logs left unknown. A fingerprint that
 * differs from the one last attached to the instance counts as a
 * configuration change in the period holding now. Returns 1 when the
 * aggregate changed.
 */
#define VT_CONFIG_ONLY 1   /* the only configuration given */
#define VT_CONFIG_NO_OWN 2 /* never an instance of its own (a shard) */
int vt_agg_add_config(struct vt_agg *a, const struct vt_config_facts *cf,
		      unsigned flags);

/*
 * For reading in parallel. A partial aggregate counts a part of the
 * lines (a chunk of a file, a file of a rotation group) without knowing
 * what came before: the process its first lines belong to, whether that
 * process was still starting, its pending configuration facts, each
 * instance's facts and last configuration fingerprint. It keeps, per
 * stream, the steps it could not apply (the open prefix: lines seen,
 * facts, a configuration load or start, up to the step that makes the
 * state known) and, per instance, the first fingerprint and what it did
 * to the facts; vt_agg_merge applies them to dst's state. Merging
 * partial aggregates in the order of their lines gives what reading the
 * lines in order gives, and merging is associative: merge(A, merge(B,
 * C)) == merge(merge(A, B), C), with B and C partial. Exact for
 * period_seconds == 0 and within the instance and stream caps.
 */
void vt_agg_set_partial(struct vt_agg *a);
/* 0 when merging partial src is not known to be exact (a log overflowed). */
int vt_agg_merge_exact(const struct vt_agg *src);

/*
 * Whether merging src into dst stays within every cap (instances,
 * streams, processes, hours), with extra more of each merged too, and
 * src reached none itself: a cap keeps what a serial read meets first,
 * which a partial aggregate cannot know, so when this is 0 the caller
 * reads src's input again, in order, into dst instead. Conservative: 0
 * may also mean "exactly at a cap".
 */
int vt_agg_merge_fits(const struct vt_agg *dst, const struct vt_agg *src,
		      size_t extra);
/* An upper bound of what merging a may add to any one cap's count. */
size_t vt_agg_growth(const struct vt_agg *a);

/*
 * Adds report s into d (which starts zeroed): counts and histograms add,
 * names add by name, the period spans both (granularity "all" unless
 * both have the same one and length), and instances come from the union
 * of the two sketches.
 */
void vt_summary_merge(struct vt_summary *d, const struct vt_summary *s);
/*
 * Applies the allowlists to a summary read from a report, as ingestion
 * would: backend and client names not on them become "other" (their
 * counts join it), listed names take the list's spelling. Returns the
 * number of names folded into "other".
 */
size_t vt_summary_allow(struct vt_summary *s, const struct vt_allowlist *servers,
			const struct vt_allowlist *clients);
/*
 * A period's report (granularity hour, day or week) keeps only the hours
 * of usage.tool_calls_by_hour that lie in [start, end): a late call's
 * hour belongs to a period already reported (a report made before this
 * rule could carry one, and the collector refuses it). Returns the
 * number of hours dropped; a report of granularity "all" is unchanged.
 */
size_t vt_summary_clip_hours(struct vt_summary *s);

/*
 * Adds everything src counted into dst (same configuration): src's lines
 * come after dst's. Counters add; a partial src's open prefix goes
 * through dst's streams (see vt_agg_set_partial). A full src's streams
 * are taken when new to dst, as they are.
 */
void vt_agg_merge(struct vt_agg *dst, const struct vt_agg *src);

#endif

/*
 * Serialization, for the periodic job's state. The encoding is binary:
 * a magic, a version, varint fields, and a CRC-32 over everything before
 * it. Backend and client counts are stored by name, so a changed
 * allowlist between runs is harmless (a name no longer listed counts as
 * "other"). It holds hashes, counts and allowlisted names only.
 *
 * vt_agg_encode appends to out. vt_agg_decode rebuilds an aggregate with
 * cfg's allowlists and limits: it takes back every instance and stream
 * the encoding holds up to VT_MAX_MAX_INSTANCES (a state written under a
 * larger --max-instances is not damaged), and only new ones are held to
 * cfg's caps. On error returns VT_ERR_CORRUPT (damaged or not an
 * aggregate) or VT_ERR_VERSION (from a newer program) and leaves *out
 * untouched.
 */
#define VT_AGG_FORMAT_VERSION 5
enum vt_err vt_agg_encode(const struct vt_agg *a, struct vt_buf *out);
enum vt_err vt_agg_decode(const struct vt_agg_config *cfg, const char *p,
			  size_t n, struct vt_agg **out);
