/* SPDX-License-Identifier: Apache-2.0 */
/* The typed records the parser hands to the aggregator. */
#ifndef VT_EVENT_H
#define VT_EVENT_H

#include "../util/vt.h"

#include <stdint.h>

/* Audit event types, as vMCP names them; VT_EV_OTHER for anything else. */
enum vt_event_type {
	VT_EV_OTHER = 0,
	VT_EV_MCP_INITIALIZE,
	VT_EV_MCP_TOOL_CALL,
	VT_EV_MCP_TOOLS_LIST,
	VT_EV_MCP_RESOURCE_READ,
	VT_EV_MCP_RESOURCES_LIST,
	VT_EV_MCP_PROMPT_GET,
	VT_EV_MCP_PROMPTS_LIST,
	VT_EV_MCP_NOTIFICATION,
	VT_EV_MCP_PING,
	VT_EV_MCP_LOGGING,
	VT_EV_MCP_COMPLETION,
	VT_EV_MCP_ROOTS_LIST_CHANGED,
	VT_EV_MCP_REQUEST,
	VT_EV_SSE_CONNECTION,
	VT_EV_HTTP_REQUEST,
	VT_EV_WORKFLOW_STARTED,
	VT_EV_WORKFLOW_COMPLETED,
	VT_EV_WORKFLOW_FAILED,
	VT_EV_WORKFLOW_TIMED_OUT,
	VT_EV_STEP_STARTED,
	VT_EV_STEP_COMPLETED,
	VT_EV_STEP_FAILED,
	VT_EV_STEP_SKIPPED,
	VT_EV_COUNT
};

enum vt_outcome {
	VT_OUT_SUCCESS = 0,
	VT_OUT_FAILURE,
	VT_OUT_ERROR,
	VT_OUT_DENIED,
	VT_OUT_APPLICATION_ERROR,
	VT_OUT_UNKNOWN, /* missing, unrecognized, or no audit data */
	VT_OUT_COUNT
};

enum vt_step_type {
	VT_STEP_TOOL = 0,
	VT_STEP_ELICITATION,
	VT_STEP_FOREACH,
	VT_STEP_OTHER,
	VT_STEP_COUNT
};

/* Name tables, indexed by the enums above (the report's JSON keys). */
extern const char *const vt_event_type_names[VT_EV_COUNT];
extern const char *const vt_outcome_names[VT_OUT_COUNT];
extern const char *const vt_step_type_names[VT_STEP_COUNT];

enum vt_event_type vt_event_type_parse(const char *p, size_t n);
enum vt_outcome vt_outcome_parse(const char *p, size_t n);
enum vt_step_type vt_step_type_parse(const char *p, size_t n);

/* Flags for fields that were present but unusable. */
enum vt_field_flags {
	VT_FIELD_WRONG_TYPE = 1 << 0,   /* a field the tool reads had a wrong JSON type */
	VT_FIELD_OUT_OF_RANGE = 1 << 1, /* a number the tool reads was negative or absurd */
	VT_FIELD_UNKNOWN_TYPE = 1 << 2, /* "type" held an unknown event type */
	VT_FIELD_BAD_TIME = 1 << 3,     /* a timestamp was not RFC 3339 */
};

/*
 * One audit line. String views point into the line or the decoder's
 * per-line scratch and are valid until the next decode call: the
 * aggregator maps them through allowlists and never keeps them.
 */
struct vt_audit {
	enum vt_event_type type;
	enum vt_outcome outcome;
	enum vt_step_type step_type; /* VT_STEP_OTHER when absent */
	int has_time;
	int64_t time;                /* Unix seconds, UTC */
	int has_duration;
	int64_t duration_ms;
	int has_backend;
	struct vt_sv backend_name;   /* metadata.extra.backend_name */
	struct vt_sv target_name;    /* target.name: tool or client name */
	struct vt_sv component;
	/*
	 * The product token (the text before the first '/' or space) of
	 * source.extra.user_agent, for server/discover requests only.
	 */
	struct vt_sv ua_product;
	unsigned field_flags;        /* enum vt_field_flags */
};

/*
 * Deployment, health and usage facts found in application lines by the
 * rules table. Each kind combines repeated lines in one way
 * (vt_fact_combine): a marker delimits processes; a "once" fact is a
 * startup fact, taken from the first line of a process that gives it, so
 * a runtime line can never overwrite it; a "set" fact adds its value to a
 * set; a "count" fact counts one event a line.
 */
enum vt_fact_kind {
	VT_FACT_CONFIG_LOAD = 0, /* marker: a process reads its configuration */
	VT_FACT_PROCESS_START,   /* marker: the server is up */
	VT_FACT_CONFLICT,        /* once; value: strategy name */
	VT_FACT_BACKENDS,        /* once; value: configured backend count */
	VT_FACT_BACKEND_MODE,    /* set (most specific wins); value: static,
				    dynamic or discovered */
	VT_FACT_COMPOSITE_DEFINED, /* once; value: count */
	VT_FACT_INCOMING_AUTH,   /* once; value: auth type */
	VT_FACT_SESSION_STORAGE, /* once; value: memory or redis */
	VT_FACT_OUTGOING_AUTH,   /* set; value: strategy */
	VT_FACT_FEATURE,         /* set; value: a vt_feature name */
	VT_FACT_BACKEND_ADDED,   /* count: a discovered backend joined */
	VT_FACT_BACKEND_REMOVED, /* count: a discovered backend left */
	VT_FACT_BACKEND_STATUS,  /* count; value: the new health status */
	VT_FACT_CIRCUIT_OPEN,    /* count: a circuit breaker opened */
	VT_FACT_WORKFLOW,        /* count; value: started, completed, failed,
				    timed_out or output_failed */
	VT_FACT_SESSION,         /* count: a Legacy session registered */
	VT_FACT_TOOL_CALL,       /* count: DEBUG, one backend tool call */
	VT_FACT_SETTING,         /* set: a configured value that only the
				    configuration-change fingerprint reads;
				    value "*": the line's hash (vt_fact.hash) */
	VT_FACT_QUICK_START,     /* marker: quick mode's first line; a new
				    process unless a configuration load began
				    one */
	VT_FACT_COUNT
};

enum vt_fact_combine {
	VT_COMBINE_MARKER,
	VT_COMBINE_ONCE,
	VT_COMBINE_SET,
	VT_COMBINE_COUNT,
};

extern const enum vt_fact_combine vt_fact_combine[VT_FACT_COUNT];
extern const char *const vt_fact_kind_names[VT_FACT_COUNT];
int vt_fact_kind_parse(const char *s, size_t n, enum vt_fact_kind *out);

struct vt_fact {
	enum vt_fact_kind kind;
	struct vt_sv value; /* valid until the next decode call */
	/* a "*" value: a hash of the message and every attribute, in order */
	uint64_t hash;
};

#endif
