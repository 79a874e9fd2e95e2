/* SPDX-License-Identifier: Apache-2.0 */
/* The aggregate's records, shared by agg.c and summary.c only. */
#ifndef VT_AGG_INTERNAL_H
#define VT_AGG_INTERNAL_H

#include "agg.h"
#include "../util/map.h"

/*
 * Configuration facts of one process; -1 means not known.
 *
 * THE ONE PLACE for a new per-instance fact: add its field here, its
 * meaning to facts_clear, facts_empty, facts_fingerprint, apply_fact
 * (aggregator/agg.c) and to vt_facts_combine; nothing else. Reading in
 * parallel (a chunk's open prefix, merging chunks in order) moves facts
 * only as whole struct facts through vt_facts_combine, so a new field is
 * merged exactly without touching the merge (docs/decisions.md, #16).
 */
struct facts {
	int conflict;
	int inauth;
	int64_t backends;
	int64_t composite;
	uint32_t outauth; /* bit per enum vt_outauth */
	uint32_t features; /* bit per enum vt_feature */
	int mode;          /* enum vt_backend_mode */
	int session;       /* enum vt_session, from the logs */
	/*
	 * Settings only the fingerprint compares (group, name, prefix
	 * format, priority order, Cedar policies, circuit breaker, health
	 * monitoring, Redis address, forwarded headers): the wrapping sum of
	 * their lines' hashes, 0 for none. A sum adds lines in any order and
	 * any grouping, so it merges exactly; no name is kept in clear, and
	 * a state stores it only as its image under the state key.
	 */
	uint64_t settings;
};

struct instance {
	uint64_t key;
	struct facts facts;  /* in a partial aggregate: what it did to them */
	unsigned reset;      /* ... fields it replaced (VT_FACTS_RESET_*) */
	uint64_t last_fp;
	int has_fp;
	/* partial: the first start's fingerprint, compared at the merge */
	uint64_t open_fp;
	int has_open_fp;
	int64_t open_fp_period;
	/* from a --vmcp-config (format version 2) */
	uint64_t component; /* hash of the audit component last seen */
	uint64_t cfg_fp;
	int has_cfg;
	int session;        /* enum vt_session */
	uint32_t steps[VT_STEP_COUNT];
};

/*
 * What one process (or a part of one) logged that the INFO fallback
 * needs, decided per process and per kind of event (docs/decisions.md,
 * issue 15 review): the INFO workflow, session and DEBUG tool-call lines,
 * and the kinds it wrote audit events of. A process's INFO lines of a
 * kind count unless it, or an audit-only stream of its instance in the
 * period (an audit.logFile), wrote audit events of that kind.
 */
#define VT_AUD_SESSIONS 1u
#define VT_AUD_WORKFLOWS 2u
#define VT_AUD_CALLS 4u
struct usage {
	uint64_t wf[VT_WFL_COUNT];
	uint64_t sessions;
	uint64_t debug_calls;
	unsigned audited; /* VT_AUD_* */
	int app;          /* it wrote application lines */
	uint64_t instance; /* an application line's, else the first line's */
	int has_instance;
};
/* A process's usage in one period: (stream, generation) as proc_ref. */
struct proc_usage {
	uint64_t stream;
	uint32_t generation;
	struct usage u;
};
struct period;
/* What a line (of origin o) adds to its process's usage. */
void vt_line_usage(struct usage *u, const struct vt_origin *o,
		   const struct vt_record *rec, const struct vt_fact *facts,
		   size_t nfacts);
/* s, which came later, added to d: counts add, kinds unite. */
void vt_usage_add(struct usage *d, const struct usage *s);
/* Adds u to the record of process (stream, generation) in p. */
void vt_period_add_usage(struct vt_agg *a, struct period *p,
			 uint64_t stream, uint32_t generation,
			 const struct usage *u);

/*
 * The INFO usage of p's processes, kind by kind: vt_usage_view_init adds
 * the INFO workflows and sessions and the DEBUG tool calls (outcome
 * unknown) to s, and keeps each instance's DEBUG tool calls
 * (vt_usage_calls) and the number of audit-only streams whose instance
 * has application lines in p (an audit.logFile beside its application
 * log: the same processes, not processes of their own).
 */
struct vt_usage_view {
	struct vt_map slots; /* instance -> index */
	unsigned *shared;    /* kinds its audit-only streams wrote */
	uint64_t *calls;
	int *app;
	size_t n;
	size_t linked;
};
void vt_usage_view_init(struct vt_usage_view *v, const struct period *p,
			struct vt_summary *s);
uint64_t vt_usage_calls(const struct vt_usage_view *v, uint64_t instance);
void vt_usage_view_release(struct vt_usage_view *v);

/*
 * One step of a stream's process life, as a partial aggregate logs it
 * while it cannot know the process its first lines belong to (the "open
 * prefix"): the merge replays it through the same code (stream_op in
 * agg.c) as a line read in order would go.
 */
/*
 * OP_QUICK: quick mode's first line (no configuration file): a new
 * process unless a configuration load began one; it anchors a stream
 * only after a start the stream logged (which ends any booting).
 */
enum stream_op_kind { OP_SEEN, OP_FACTS, OP_LOAD, OP_START, OP_QUICK };
struct stream_op {
	enum stream_op_kind kind;
	int64_t period;    /* start of the line's period */
	uint64_t instance; /* OP_FACTS, OP_START: the line's instance */
	struct facts facts; /* OP_FACTS: every fact of the run, combined */
	struct usage u;     /* OP_SEEN: what the lines logged */
};
/*
 * SEEN FACTS QUICK SEEN FACTS START SEEN FACTS LOAD|START|QUICK fit, with
 * room; one period per op.
 */
#define STREAM_OPS 12

struct stream {
	uint64_t key;
	struct facts pending;
	uint32_t generation;
	int booting;
	int seen;
	/*
	 * A partial aggregate's stream starts in an unknown state: it logs
	 * ops until a configuration load, or a second start, makes its state
	 * known (anchored; generation 1 is then the process the anchor
	 * began). A full aggregate's streams are anchored from the start.
	 */
	int anchored;
	int logged_start;
	size_t nops;
	struct stream_op *ops; /* STREAM_OPS of them, once one is logged */
};

/* One process of a partial aggregate's period: its stream and generation. */
struct proc_ref {
	uint64_t stream;
	uint32_t generation;
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
	struct vt_map procs;   /* process key -> index in refs (partial) or 0 */
	struct proc_ref *refs; /* partial: what the keys stand for */
	size_t nrefs;
	struct proc_usage *usage; /* per process (see struct usage) */
	size_t nusage;
	struct vt_map usage_map;  /* process key -> index in usage */
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
	int64_t consent; /* vt_agg_set_consent */
	int64_t horizon; /* vt_agg_set_horizon */
	int has_horizon;
	uint64_t last_comp_inst, last_comp; /* note_component's cache */
	int has_last_comp;
	unsigned char sketch_key[64];
	size_t sketch_key_len;
	uint64_t sketch_scope; /* see vt_agg_set_sketch_scope */
	int partial;  /* see vt_agg_set_partial */
	int inexact;  /* a stream's log overflowed: merging is not exact */
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
/*
 * Facts of src, which came later, combined into dst: a known value
 * replaces, a set of bits adds (the backend mode: the most specific
 * wins), except for the fields in flags' reset bits (VT_FACTS_RESET_*)
 * whose non-empty value replaces; those fields are added to *did_reset
 * (may be NULL). With VT_FACTS_SAME_PROCESS, src is what one process said
 * after dst: a startup ("once") fact dst knows stays, as the first line
 * of a process that gives it wins (issue #15). With VT_FACTS_DROP_GIVEN,
 * src is what a process gave and dst what a later line of it says: the
 * "once" facts src knows are dropped from dst, which keeps the news
 * (sets are left alone). Every move of facts goes
 * through here: a line's facts into a process, a process's facts into
 * its instance (VT_FACTS_RESET_AT_START at its start), and merging.
 */
#define VT_FACTS_RESET_OUTAUTH 1u
#define VT_FACTS_RESET_MODE 2u
#define VT_FACTS_RESET_AT_START (VT_FACTS_RESET_OUTAUTH | VT_FACTS_RESET_MODE)
#define VT_FACTS_SAME_PROCESS 0x100u
#define VT_FACTS_DROP_GIVEN 0x200u
void vt_facts_combine(struct facts *dst, const struct facts *src,
		      unsigned flags, unsigned *did_reset);
/* A step of stream s (NULL past the caps) in the order of the lines. */
void vt_agg_stream_op(struct vt_agg *a, struct stream *s,
		      const struct stream_op *op);
/* Counts the process (stream, generation) in period p. */
void vt_period_add_proc(struct vt_agg *a, struct period *p, uint64_t stream,
			uint32_t generation);

#endif
