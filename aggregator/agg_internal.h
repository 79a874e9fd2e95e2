/* SPDX-License-Identifier: Apache-2.0 */
/* The aggregate's records, shared by agg.c and summary.c only. */
#ifndef VT_AGG_INTERNAL_H
#define VT_AGG_INTERNAL_H

#include "agg.h"
#include "../util/map.h"

/* Configuration facts of one process; -1 means not known. */
struct facts {
	int conflict;
	int inauth;
	int64_t backends;
	int64_t composite;
	uint32_t outauth; /* bit per enum vt_outauth */
	uint32_t features; /* bit per enum vt_feature */
	int mode;          /* enum vt_backend_mode */
	int session;       /* enum vt_session, from the logs */
};

struct instance {
	uint64_t key;
	struct facts facts;
	uint64_t last_fp;
	int has_fp;
	/* from a --vmcp-config (format version 2) */
	uint64_t component; /* hash of the audit component last seen */
	uint64_t cfg_fp;
	int has_cfg;
	int session;        /* enum vt_session */
	uint32_t steps[VT_STEP_COUNT];
};

struct stream {
	uint64_t key;
	struct facts pending;
	uint32_t generation;
	int booting;
	int seen;
	uint32_t got; /* bit per "once" fact kind this process gave */
};

struct inst_stats {
	uint64_t key;
	uint64_t audit_calls;
	uint64_t debug_calls;
	int64_t first, last;
	int has_time;
	unsigned seen; /* bit per enum vt_feature, seen in events */
	uint64_t wf[VT_WFL_COUNT]; /* INFO workflow lines */
	uint64_t sessions;         /* INFO session lines */
};

/* Tool calls without backend_name, by what they are. */
#define BACKEND_OTHER VT_MAX_NAMES
#define BACKEND_COMPOSITE (VT_MAX_NAMES + 1)
#define BACKEND_OPTIMIZER (VT_MAX_NAMES + 2)
#define BACKEND_CODE_MODE (VT_MAX_NAMES + 3)
#define BACKEND_UNKNOWN (VT_MAX_NAMES + 4)
#define BACKEND_TAILS VT_BACKEND_TAILS
#define CLIENT_OTHER VT_MAX_NAMES

struct counts {
	uint64_t by_outcome[VT_OUT_COUNT];
	uint64_t duration[VT_125_BUCKETS];
	uint64_t workflows[VT_WF_COUNT];
	uint64_t steps[VT_STEP_COUNT];
	uint64_t step_results[VT_SR_COUNT];
	uint64_t requests[VT_EV_COUNT];
	uint64_t sessions;
	uint64_t restarts;
	uint64_t config_changes;
	uint64_t health[VT_HEALTH_COUNT];
	uint64_t server_discover;
	uint64_t backends[VT_MAX_NAMES + BACKEND_TAILS];
	uint64_t clients[VT_MAX_NAMES + 1];
	uint64_t discover_clients[VT_MAX_NAMES + 1]; /* by UA product */
};

struct period {
	int64_t start;
	int64_t min_ts, max_ts;
	int has_ts;
	struct counts c;
	struct inst_stats *inst;
	size_t ninst, capinst;
	struct vt_map inst_map;
	struct vt_map procs;
	struct vt_quality q;
	/* tool calls by UTC hour: hour index (time / 3600) -> count */
	int64_t *hours;
	uint64_t *hour_calls;
	size_t nhours;
	struct vt_map hour_map;
};

/* Counts n tool calls in the hour holding t (up to VT_MAX_HOURS hours). */
void vt_period_add_calls(struct period *p, int64_t hour, uint64_t n);

struct vt_agg {
	struct vt_agg_config cfg;
	int64_t now;
	struct period **periods; /* sorted by start */
	size_t nperiods;
	struct instance *inst;
	size_t ninst;
	struct vt_map inst_map;
	struct stream *streams;
	size_t nstreams;
	struct vt_map stream_map;
	struct vt_quality loose; /* quality before any period exists */
	int64_t floor;
	int has_floor;
	uint64_t last_comp_inst, last_comp; /* note_component's cache */
	int has_last_comp;
	unsigned char sketch_key[64];
	size_t sketch_key_len;
	uint64_t sketch_scope; /* see vt_agg_set_sketch_scope */
	int continuation; /* see vt_agg_set_continuation */
	int saw_facts;    /* an application line gave a configuration fact */
};

uint64_t vt_agg_process_key(uint64_t stream, uint32_t generation);

struct instance *vt_agg_instance(const struct vt_agg *a, uint64_t key);
/* The records for key, created when missing; NULL past the caps. */
struct instance *vt_agg_instance_get(struct vt_agg *a, uint64_t key);
struct inst_stats *vt_agg_stats(struct vt_agg *a, struct period *p,
				uint64_t key);
struct period *vt_agg_period(struct vt_agg *a, int64_t start);
struct stream *vt_agg_stream_get(struct vt_agg *a, uint64_t key);
int vt_agg_stream_known(const struct vt_agg *a, uint64_t key);
/* Known fields of src replace those of dst. */
void vt_facts_overlay(struct facts *dst, const struct facts *src);
int vt_facts_empty(const struct facts *f);
/* For merging: src's known startup facts replace dst's, its sets add. */
void vt_facts_union(struct facts *dst, const struct facts *src);


#endif
