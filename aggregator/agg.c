/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The aggregate. Three kinds of record, all keyed by hashes:
 *   instance  one vMCP server, with its latest known configuration facts;
 *   stream    one process slot (a pod's container, a file's rotation
 *             group) with the facts of the process now starting in it;
 *   period    additive counters plus per-instance statistics.
 * Names from log lines never get here as text: backend and client names
 * become allowlist indexes at once, everything else is dropped.
 */
#include "agg_internal.h"
#include "../util/hash.h"
#include "../util/map.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const vt_conflict_names[VT_CONFLICT_COUNT] = {
	"prefix", "priority", "manual", "other", "unknown",
};
const char *const vt_inauth_names[VT_INAUTH_COUNT] = {
	"oidc", "anonymous", "local", "other", "unknown",
};
const char *const vt_outauth_names[VT_OUTAUTH_COUNT] = {
	"unauthenticated", "header_injection", "token_exchange",
	"upstream_inject", "aws_sts", "obo", "xaa", "other", "unknown",
};
const char *const vt_feature_names[VT_FEATURE_COUNT] = {
	"audit", "optimizer", "code_mode", "authorization",
	"embedded_auth_server", "telemetry", "metrics", "health_monitoring",
	"circuit_breaker", "passthrough_headers",
};
const char *const vt_backend_mode_names[VT_BMODE_COUNT] = {
	"static", "dynamic", "discovered",
};
const char *const vt_health_names[VT_HEALTH_COUNT] = {
	"to_healthy", "to_degraded", "to_unhealthy", "to_unknown",
	"to_unauthenticated", "to_other", "circuit_breaker_openings",
	"backends_added", "backends_removed",
};
const char *const vt_wf_line_names[VT_WFL_COUNT] = {
	"started", "completed", "failed", "timed_out", "output_failed",
};
const char *const vt_backend_tail_names[BACKEND_TAILS] = {
	"other", "composite", "optimizer", "code_mode", "unknown",
};
const char *const vt_session_names[VT_SESSION_COUNT] = {
	"memory", "redis", "other", "unknown",
};
const char *const vt_workflow_names[VT_WF_COUNT] = {
	"started", "completed", "failed", "timed_out",
};
const char *const vt_step_result_names[VT_SR_COUNT] = {
	"completed", "failed", "skipped",
};

static void facts_clear(struct facts *f)
{
	f->conflict = -1;
	f->inauth = -1;
	f->backends = -1;
	f->composite = -1;
	f->outauth = 0;
	f->features = 0;
	f->mode = -1;
	f->session = -1;
	f->settings = 0;
}

static int facts_empty(const struct facts *f)
{
	return f->conflict < 0 && f->inauth < 0 && f->backends < 0 &&
	       f->composite < 0 && !f->outauth && !f->features &&
	       f->mode < 0 && f->session < 0 && !f->settings;
}

/* A "once" fact: src's known value replaces, unless dst keeps its own. */
#define COMBINE_ONCE(field)                                                \
	do {                                                               \
		if (src->field >= 0 && drop)                               \
			dst->field = -1;                                   \
		else if (src->field >= 0 && (!keep || dst->field < 0))    \
			dst->field = src->field;                           \
	} while (0)

void vt_facts_combine(struct facts *dst, const struct facts *src,
		      unsigned flags, unsigned *did_reset)
{
	int keep = (flags & VT_FACTS_SAME_PROCESS) != 0;
	int drop = (flags & VT_FACTS_DROP_GIVEN) != 0;
	unsigned did = 0;

	COMBINE_ONCE(conflict);
	COMBINE_ONCE(inauth);
	COMBINE_ONCE(backends);
	COMBINE_ONCE(composite);
	COMBINE_ONCE(session);
	if (drop)
		return; /* sets: a line adds what it says, given before or not */
	if (src->outauth && (flags & VT_FACTS_RESET_OUTAUTH)) {
		dst->outauth = src->outauth;
		did |= VT_FACTS_RESET_OUTAUTH;
	} else {
		dst->outauth |= src->outauth;
	}
	/* a set whose most specific value wins: discovered is dynamic, too */
	if (src->mode >= 0 && (flags & VT_FACTS_RESET_MODE)) {
		dst->mode = src->mode;
		did |= VT_FACTS_RESET_MODE;
	} else if (src->mode > dst->mode) {
		dst->mode = src->mode;
	}
	dst->features |= src->features;
	dst->settings += src->settings; /* each line once: a sum of lines */
	if (did_reset)
		*did_reset |= did;
}
#undef COMBINE_ONCE

/*
 * The startup facts two processes of one instance compare to find a
 * configuration change. Left out: the backend count unless the backends
 * are static (in dynamic and discovered mode it follows the group, not
 * the configuration), outgoing strategies (DEBUG lines whose order
 * around the start varies) and code mode (seen only when used).
 */
static uint64_t facts_fingerprint(const struct facts *f)
{
	int64_t v[8] = { f->conflict, f->inauth,
			 f->mode == VT_BMODE_STATIC ? f->backends : -2,
			 f->composite,
			 f->features & ~(1u << VT_FEATURE_CODE_MODE), f->mode,
			 f->session, (int64_t)f->settings };

	return vt_hash64(v, sizeof(v));
}

struct vt_agg *vt_agg_new(const struct vt_agg_config *cfg)
{
	struct vt_agg *a = vt_xcalloc(1, sizeof(*a));

	a->cfg = *cfg;
	if (!a->cfg.max_instances)
		a->cfg.max_instances = VT_DEFAULT_MAX_INSTANCES;
	if (!a->cfg.max_streams)
		a->cfg.max_streams = 4 * a->cfg.max_instances;
	vt_map_init(&a->inst_map);
	vt_map_init(&a->stream_map);
	return a;
}

static void period_free(struct period *p)
{
	if (!p)
		return;
	free(p->inst);
	free(p->refs);
	vt_map_release(&p->inst_map);
	vt_map_release(&p->procs);
	vt_map_release(&p->hour_map);
	vt_map_release(&p->usage_map);
	free(p->usage);
	free(p->hours);
	free(p->hour_calls);
	free(p);
}

void vt_agg_free(struct vt_agg *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nperiods; i++)
		period_free(a->periods[i]);
	free(a->periods);
	free(a->inst);
	for (size_t i = 0; i < a->nstreams; i++)
		free(a->streams[i].ops);
	free(a->streams);
	vt_map_release(&a->inst_map);
	vt_map_release(&a->stream_map);
	free(a);
}

void vt_agg_set_now(struct vt_agg *a, int64_t now)
{
	a->now = now;
}

void vt_agg_set_horizon(struct vt_agg *a, int64_t latest)
{
	a->horizon = latest;
	a->has_horizon = 1;
}

void vt_agg_set_sketch_key(struct vt_agg *a, const void *key, size_t len)
{
	if (len > sizeof(a->sketch_key))
		len = sizeof(a->sketch_key);
	memcpy(a->sketch_key, key, len);
	a->sketch_key_len = len;
}

void vt_agg_set_sketch_scope(struct vt_agg *a, uint64_t scope)
{
	a->sketch_scope = scope;
}

int64_t vt_agg_now(const struct vt_agg *a)
{
	return a->now;
}

size_t vt_agg_period_count(const struct vt_agg *a)
{
	return a->nperiods;
}

int64_t vt_agg_period_start(const struct vt_agg *a, size_t i)
{
	return a->periods[i]->start;
}

/* Weeks start on Monday 00:00 UTC; 1970-01-05 was a Monday. */
static int64_t period_floor(int64_t t, int64_t len)
{
	int64_t base = len == 7 * 86400 ? 4 * 86400 : 0;
	int64_t q = (t - base) / len;

	if ((t - base) % len < 0)
		q--;
	return q * len + base;
}

struct period *vt_agg_period(struct vt_agg *a, int64_t start)
{
	size_t i = 0;

	while (i < a->nperiods && a->periods[i]->start < start)
		i++;
	if (i < a->nperiods && a->periods[i]->start == start)
		return a->periods[i];
	struct period *p = vt_xcalloc(1, sizeof(*p));
	p->start = start;
	vt_map_init(&p->inst_map);
	vt_map_init(&p->procs);
	vt_map_init(&p->hour_map);
	vt_map_init(&p->usage_map);
	a->periods = vt_xrealloc(a->periods,
				 (a->nperiods + 1) * sizeof(*a->periods));
	memmove(a->periods + i + 1, a->periods + i,
		(a->nperiods - i) * sizeof(*a->periods));
	a->periods[i] = p;
	a->nperiods++;
	if (i == 0 && a->nperiods == 1) {
		/* Quality counted before the first period belongs to it. */
		p->q = a->loose;
		memset(&a->loose, 0, sizeof(a->loose));
	}
	return p;
}

void vt_agg_set_floor(struct vt_agg *a, int64_t floor)
{
	a->floor = floor;
	a->has_floor = 1;
}

struct vt_quality *vt_agg_period_quality(struct vt_agg *a, int64_t start)
{
	for (size_t i = 0; i < a->nperiods; i++)
		if (a->periods[i]->start == start)
			return &a->periods[i]->q;
	return NULL;
}

void vt_agg_set_consent(struct vt_agg *a, int64_t since)
{
	a->consent = since;
}

void vt_agg_drop_period(struct vt_agg *a, size_t i)
{
	if (i >= a->nperiods)
		return;
	period_free(a->periods[i]);
	memmove(a->periods + i, a->periods + i + 1,
		(a->nperiods - i - 1) * sizeof(*a->periods));
	a->nperiods--;
}

static struct period *period_for(struct vt_agg *a, int has_time, int64_t t,
				 int *late)
{
	*late = 0;
	if (a->cfg.period_seconds <= 0)
		return vt_agg_period(a, 0);
	if (has_time && a->has_floor && t < a->floor) {
		*late = 1;
		t = a->floor;
	}
	if (!has_time)
		return a->nperiods ? a->periods[a->nperiods - 1]
				   : vt_agg_period(a, period_floor(a->now,
							      a->cfg.period_seconds));
	return vt_agg_period(a, period_floor(t, a->cfg.period_seconds));
}

struct vt_quality *vt_agg_quality(struct vt_agg *a)
{
	return a->nperiods ? &a->periods[a->nperiods - 1]->q : &a->loose;
}

void vt_agg_too_long(struct vt_agg *a)
{
	struct vt_quality *q = vt_agg_quality(a);

	q->lines_read++;
	q->lines_too_long++;
}

struct instance *vt_agg_instance_get(struct vt_agg *a, uint64_t key)
{
	uint32_t i = vt_map_get(&a->inst_map, key);

	if (i != VT_MAP_NONE)
		return &a->inst[i];
	if (a->ninst >= a->cfg.max_instances)
		return NULL;
	a->inst = vt_xrealloc(a->inst, (a->ninst + 1) * sizeof(*a->inst));
	struct instance *in = &a->inst[a->ninst];
	memset(in, 0, sizeof(*in));
	in->key = key;
	facts_clear(&in->facts);
	vt_map_put(&a->inst_map, key, (uint32_t)a->ninst);
	a->ninst++;
	return in;
}

int vt_agg_stream_known(const struct vt_agg *a, uint64_t key)
{
	return vt_map_get(&a->stream_map, key) != VT_MAP_NONE;
}

struct stream *vt_agg_stream_get(struct vt_agg *a, uint64_t key)
{
	uint32_t i = vt_map_get(&a->stream_map, key);

	if (i != VT_MAP_NONE)
		return &a->streams[i];
	if (a->nstreams >= a->cfg.max_streams)
		return NULL;
	a->streams = vt_xrealloc(a->streams,
				 (a->nstreams + 1) * sizeof(*a->streams));
	struct stream *s = &a->streams[a->nstreams];
	memset(s, 0, sizeof(*s));
	s->key = key;
	s->anchored = !a->partial;
	facts_clear(&s->pending);
	vt_map_put(&a->stream_map, key, (uint32_t)a->nstreams);
	a->nstreams++;
	return s;
}

struct inst_stats *vt_agg_stats(struct vt_agg *a, struct period *p,
				    uint64_t key)
{
	uint32_t i = vt_map_get(&p->inst_map, key);

	if (i != VT_MAP_NONE)
		return &p->inst[i];
	if (p->ninst >= a->cfg.max_instances)
		return NULL;
	if (p->ninst == p->capinst) {
		p->capinst = p->capinst ? p->capinst * 2 : 8;
		p->inst = vt_xrealloc(p->inst, p->capinst * sizeof(*p->inst));
	}
	struct inst_stats *s = &p->inst[p->ninst];
	memset(s, 0, sizeof(*s));
	s->key = key;
	vt_map_put(&p->inst_map, key, (uint32_t)p->ninst);
	p->ninst++;
	return s;
}

void vt_period_add_calls(struct period *p, int64_t hour, uint64_t n)
{
	uint32_t i = vt_map_get(&p->hour_map, (uint64_t)hour);

	if (i == VT_MAP_NONE) {
		if (p->nhours >= VT_MAX_HOURS)
			return;
		i = (uint32_t)p->nhours++;
		p->hours = vt_xrealloc(p->hours, p->nhours * sizeof(*p->hours));
		p->hour_calls = vt_xrealloc(p->hour_calls,
					    p->nhours * sizeof(*p->hour_calls));
		p->hours[i] = hour;
		p->hour_calls[i] = 0;
		vt_map_put(&p->hour_map, (uint64_t)hour, i);
	}
	p->hour_calls[i] += n;
}

static void note_time(struct period *p, struct inst_stats *s, int has_time,
		      int64_t t)
{
	if (!has_time)
		return;
	if (!p->has_ts || t < p->min_ts)
		p->min_ts = t;
	if (!p->has_ts || t > p->max_ts)
		p->max_ts = t;
	p->has_ts = 1;
	if (!s)
		return;
	if (!s->has_time || t < s->first)
		s->first = t;
	if (!s->has_time || t > s->last)
		s->last = t;
	s->has_time = 1;
}

static int64_t parse_count(struct vt_sv v)
{
	int64_t n = 0;

	if (!v.ptr || v.len == 0 || v.len > 9)
		return -1;
	for (size_t i = 0; i < v.len; i++) {
		if (v.ptr[i] < '0' || v.ptr[i] > '9')
			return -1;
		n = n * 10 + (v.ptr[i] - '0');
	}
	return n;
}

static int name_index(const char *const *names, int known, struct vt_sv v)
{
	for (int i = 0; i < known; i++)
		if (v.ptr && strlen(names[i]) == v.len &&
		    strncasecmp(names[i], v.ptr, v.len) == 0)
			return i;
	return known; /* the "other" entry follows the known names */
}

/* A process boundary in stream s: the previous process (if any) ended. */
static void boundary(struct stream *s, struct period *p)
{
	if (s->seen)
		p->c.restarts++;
	s->generation++;
	s->seen = 0;
	facts_clear(&s->pending);
}

static void apply_fact(struct facts *f, const struct vt_fact *fact);

/*
 * A process whose startup was read (it began with a configuration load)
 * and that logged no session storage or composite tool count: vMCP logs
 * them only for Redis and for N > 0, so in-process storage and none.
 */
static void boot_defaults(struct facts *pending)
{
	static const struct vt_fact said[] = {
		{ VT_FACT_SESSION_STORAGE, { "memory", 6 }, 0 },
		{ VT_FACT_COMPOSITE_DEFINED, { "0", 1 }, 0 },
	};
	struct facts f;

	facts_clear(&f);
	for (size_t i = 0; i < VT_ARRAY_LEN(said); i++)
		apply_fact(&f, &said[i]);
	vt_facts_combine(pending, &f, VT_FACTS_SAME_PROCESS, NULL);
}

static void started(struct vt_agg *a, struct stream *s, struct instance *in,
		    struct period *p)
{
	if (s->booting)
		boot_defaults(&s->pending);
	if (!facts_empty(&s->pending) && in) {
		uint64_t fp = facts_fingerprint(&s->pending);

		if (in->has_fp && fp != in->last_fp) {
			p->c.config_changes++;
		} else if (!in->has_fp && a->partial) {
			/* the fingerprint before is another part's */
			in->open_fp = fp;
			in->has_open_fp = 1;
			in->open_fp_period = p->start;
		}
		in->last_fp = fp;
		in->has_fp = 1;
		vt_facts_combine(&in->facts, &s->pending,
				 VT_FACTS_RESET_AT_START, &in->reset);
	}
	s->booting = 0;
}

void vt_period_add_proc(struct vt_agg *a, struct period *p, uint64_t stream,
			uint32_t generation)
{
	uint64_t key = vt_agg_process_key(stream, generation);

	if (vt_map_get(&p->procs, key) != VT_MAP_NONE ||
	    p->procs.count >= a->cfg.max_streams)
		return;
	if (!a->partial) {
		vt_map_put(&p->procs, key, 0);
		return;
	}
	p->refs = vt_xrealloc(p->refs, (p->nrefs + 1) * sizeof(*p->refs));
	p->refs[p->nrefs] = (struct proc_ref){ stream, generation };
	vt_map_put(&p->procs, key, (uint32_t)p->nrefs++);
}

/*
 * The op of the log that op joins: lines seen and facts between two loads
 * or starts do not depend on each other (but for the facts of other
 * instances), so the log keeps one of each (per period and instance)
 * there, and stays short.
 */
static struct stream_op *joins(struct stream *s, const struct stream_op *op)
{
	if (op->kind != OP_SEEN && op->kind != OP_FACTS)
		return NULL;
	for (size_t k = s->nops; k-- > 0;) {
		struct stream_op *o = &s->ops[k];

		if (o->kind == OP_LOAD || o->kind == OP_START ||
		    o->kind == OP_QUICK)
			return NULL;
		if (o->kind == op->kind && o->period == op->period &&
		    o->instance == op->instance)
			return o;
		/*
		 * Facts of two instances in one process do not commute: the
		 * first line that gives a startup fact takes it for its own
		 * instance, a later one gets nothing.
		 */
		if (o->kind == OP_FACTS && op->kind == OP_FACTS)
			return NULL;
	}
	return NULL;
}

/* Logs op while s's state is not known; anchors s when it becomes so. */
static void log_op(struct vt_agg *a, struct stream *s,
		   const struct stream_op *op)
{
	int anchor = op->kind == OP_LOAD ||
		     ((op->kind == OP_START || op->kind == OP_QUICK) &&
		      s->logged_start);
	struct stream_op *o = joins(s, op);

	if (!s->ops)
		s->ops = vt_xcalloc(STREAM_OPS, sizeof(*s->ops));
	if (o && op->kind == OP_FACTS) /* o and op: one process's lines */
		vt_facts_combine(&o->facts, &op->facts, VT_FACTS_SAME_PROCESS,
				 NULL);
	else if (o) /* OP_SEEN: one process's lines, too */
		vt_usage_add(&o->u, &op->u);
	else if (!o && s->nops < STREAM_OPS)
		s->ops[s->nops++] = *op;
	else if (!o)
		a->inexact = 1;
	s->logged_start |= op->kind == OP_START;
	if (!anchor)
		return;
	/* From here on the state is known but for the generation's base. */
	s->anchored = 1;
	s->generation = 1;
	s->seen = 0;
	s->booting = op->kind == OP_LOAD || op->kind == OP_QUICK;
	facts_clear(&s->pending);
}

/*
 * The one path of every process step, for a line read in order and for
 * a logged step replayed by the merge.
 */
void vt_agg_stream_op(struct vt_agg *a, struct stream *s,
		      const struct stream_op *op)
{
	struct period *p = vt_agg_period(a, op->period);
	struct instance *in = op->kind == OP_FACTS || op->kind == OP_START
				      ? vt_agg_instance_get(a, op->instance)
				      : NULL;

	if (s && !s->anchored) {
		log_op(a, s, op);
		return;
	}
	switch (op->kind) {
	case OP_SEEN:
		if (s) {
			s->seen = 1;
			vt_period_add_proc(a, p, s->key, s->generation);
			vt_period_add_usage(a, p, s->key, s->generation,
					    &op->u);
		} else { /* past the stream cap: one record for all */
			vt_period_add_usage(a, p, 0, 0, &op->u);
		}
		break;
	case OP_FACTS: {
		/*
		 * A startup fact is the process's first: a runtime line, or
		 * the same line again, never replaces it, in the process or
		 * in its instance. Strategies and features add up.
		 */
		struct facts news = op->facts;

		if (s) {
			vt_facts_combine(&news, &s->pending,
					 VT_FACTS_DROP_GIVEN, NULL);
			vt_facts_combine(&s->pending, &op->facts,
					 VT_FACTS_SAME_PROCESS, NULL);
		}
		if (in)
			vt_facts_combine(&in->facts, &news, 0, NULL);
		break;
	}
	case OP_QUICK: /* quick mode: no load said a process began */
	case OP_LOAD:
		if (s && !(op->kind == OP_QUICK && s->booting)) {
			boundary(s, p);
			s->booting = 1;
		}
		break;
	case OP_START:
		if (s && !s->booting)
			boundary(s, p);
		if (s)
			started(a, s, in, p);
		break;
	}
}

static void apply_fact(struct facts *f, const struct vt_fact *fact)
{
	switch (fact->kind) {
	case VT_FACT_CONFLICT:
		f->conflict = name_index(vt_conflict_names, VT_CONFLICT_OTHER,
					 fact->value);
		break;
	case VT_FACT_INCOMING_AUTH:
		f->inauth = name_index(vt_inauth_names, VT_INAUTH_OTHER,
				       fact->value);
		break;
	case VT_FACT_OUTGOING_AUTH:
		f->outauth |= 1u << name_index(vt_outauth_names,
					       VT_OUTAUTH_OTHER, fact->value);
		break;
	case VT_FACT_BACKENDS:
		if (parse_count(fact->value) >= 0)
			f->backends = parse_count(fact->value);
		break;
	case VT_FACT_COMPOSITE_DEFINED:
		if (parse_count(fact->value) >= 0)
			f->composite = parse_count(fact->value);
		break;
	case VT_FACT_BACKEND_MODE: {
		int m = name_index(vt_backend_mode_names, VT_BMODE_COUNT,
				   fact->value);

		if (m < VT_BMODE_COUNT && m > f->mode)
			f->mode = m; /* discovered is dynamic, and more */
		break;
	}
	case VT_FACT_SESSION_STORAGE:
		f->session = name_index(vt_session_names, VT_SESSION_OTHER,
					fact->value);
		break;
	case VT_FACT_SETTING:
		f->settings += fact->hash ? fact->hash
					  : vt_hash64(fact->value.ptr,
						      fact->value.len);
		break;
	case VT_FACT_FEATURE: {
		int k = name_index(vt_feature_names, VT_FEATURE_COUNT,
				   fact->value);

		if (k < VT_FEATURE_COUNT)
			f->features |= 1u << k;
		break;
	}
	default:
		break;
	}
}

/* A "count" fact: one event, never a configuration fact. */
static void count_fact(struct period *p, struct inst_stats *st,
		       const struct vt_fact *f)
{
	int k;

	switch (f->kind) {
	case VT_FACT_BACKEND_ADDED:
		p->c.health[VT_HEALTH_BACKENDS_ADDED]++;
		break;
	case VT_FACT_BACKEND_REMOVED:
		p->c.health[VT_HEALTH_BACKENDS_REMOVED]++;
		break;
	case VT_FACT_CIRCUIT_OPEN:
		p->c.health[VT_HEALTH_CIRCUIT_OPENED]++;
		break;
	case VT_FACT_BACKEND_STATUS: {
		static const char *const st_names[] = {
			"healthy", "degraded", "unhealthy", "unknown",
			"unauthenticated",
		};
		p->c.health[VT_HEALTH_TO_HEALTHY +
			    name_index(st_names, 5, f->value)]++;
		break;
	}
	case VT_FACT_WORKFLOW:
		k = name_index(vt_wf_line_names, VT_WFL_COUNT, f->value);
		if (st && k < VT_WFL_COUNT)
			st->wf[k]++;
		break;
	case VT_FACT_SESSION:
		if (st)
			st->sessions++;
		break;
	case VT_FACT_TOOL_CALL:
		if (st)
			st->debug_calls++;
		break;
	default:
		break;
	}
}

static void app_line(struct vt_agg *a, struct period *p,
		     const struct vt_origin *o, struct inst_stats *st,
		     const struct vt_fact *facts, size_t nfacts)
{
	struct stream *s = vt_agg_stream_get(a, o->stream);
	struct stream_op op;

	(void)vt_agg_instance_get(a, o->instance); /* known to a config */
	for (size_t i = 0; i < nfacts; i++) {
		const struct vt_fact *f = &facts[i];

		if (vt_fact_combine[f->kind] == VT_COMBINE_COUNT) {
			count_fact(p, st, f); /* an event: counts add */
			continue;
		}
		memset(&op, 0, sizeof(op));
		op.period = p->start;
		op.instance = o->instance;
		facts_clear(&op.facts);
		op.kind = f->kind == VT_FACT_CONFIG_LOAD     ? OP_LOAD
			  : f->kind == VT_FACT_PROCESS_START ? OP_START
			  : f->kind == VT_FACT_QUICK_START   ? OP_QUICK
							     : OP_FACTS;
		if (op.kind == OP_FACTS)
			apply_fact(&op.facts, f);
		vt_agg_stream_op(a, s, &op);
	}
}

/*
 * A tool call without backend_name, by what it is: the optimizer's own
 * tools, code mode's script tool, a composite tool (its call succeeds
 * even when the workflow fails), or unknown: refused, an unknown tool, or
 * a Modern call whose backend failed (none of them names a backend).
 */
static int unlabelled_call(const struct vt_audit *ev)
{
	if (VT_SV_EQ_LIT(ev->target_name, "find_tool") ||
	    VT_SV_EQ_LIT(ev->target_name, "call_tool"))
		return BACKEND_OPTIMIZER;
	if (VT_SV_EQ_LIT(ev->target_name, "execute_tool_script"))
		return BACKEND_CODE_MODE;
	return ev->outcome == VT_OUT_SUCCESS ? BACKEND_COMPOSITE
					     : BACKEND_UNKNOWN;
}

/* A client name's slot: its allowlist index, or "other". */
static int client_slot(const struct vt_agg *a, struct vt_sv name)
{
	int i = vt_allowlist_find(a->cfg.clients, name.ptr, name.len);

	return i < 0 ? CLIENT_OTHER : i;
}

static void audit_event(const struct vt_agg *a, struct period *p,
			struct inst_stats *st, const struct vt_audit *ev)
{
	struct counts *c = &p->c;

	c->requests[ev->type]++;
	if (st)
		st->seen |= 1u << VT_FEATURE_AUDIT;
	switch (ev->type) {
	case VT_EV_MCP_TOOL_CALL: {
		int b = ev->has_backend
				? vt_allowlist_find(a->cfg.servers,
						    ev->backend_name.ptr,
						    ev->backend_name.len)
				: unlabelled_call(ev);

		c->by_outcome[ev->outcome]++;
		if (ev->has_duration)
			c->duration[vt_125_bucket((uint64_t)ev->duration_ms)]++;
		c->backends[b < 0 ? BACKEND_OTHER : b]++;
		if (st) {
			st->audit_calls++;
			if (VT_SV_EQ_LIT(ev->target_name, "find_tool") ||
			    VT_SV_EQ_LIT(ev->target_name, "call_tool"))
				st->seen |= 1u << VT_FEATURE_OPTIMIZER;
			else if (VT_SV_EQ_LIT(ev->target_name,
					      "execute_tool_script"))
				st->seen |= 1u << VT_FEATURE_CODE_MODE;
		}
		break;
	}
	case VT_EV_MCP_REQUEST:
		/* server/discover: target.name "discover" (a Modern probe) */
		if (VT_SV_EQ_LIT(ev->target_name, "discover")) {
			c->server_discover++;
			c->discover_clients[client_slot(a, ev->ua_product)]++;
		}
		break;
	case VT_EV_MCP_INITIALIZE:
		if (ev->outcome == VT_OUT_SUCCESS) {
			c->sessions++;
			c->clients[client_slot(a, ev->target_name)]++;
		}
		break;
	case VT_EV_WORKFLOW_STARTED:
		c->workflows[VT_WF_STARTED]++;
		break;
	case VT_EV_WORKFLOW_COMPLETED:
		c->workflows[VT_WF_COMPLETED]++;
		break;
	case VT_EV_WORKFLOW_FAILED:
		c->workflows[VT_WF_FAILED]++;
		break;
	case VT_EV_WORKFLOW_TIMED_OUT:
		c->workflows[VT_WF_TIMED_OUT]++;
		break;
	case VT_EV_STEP_STARTED:
		c->steps[ev->step_type]++;
		break;
	case VT_EV_STEP_COMPLETED:
		c->step_results[VT_SR_COMPLETED]++;
		break;
	case VT_EV_STEP_FAILED:
		c->step_results[VT_SR_FAILED]++;
		break;
	case VT_EV_STEP_SKIPPED:
		c->step_results[VT_SR_SKIPPED]++;
		break;
	default:
		break;
	}
}

static void count_flags(struct vt_quality *q, unsigned flags)
{
	if (flags & VT_FIELD_WRONG_TYPE)
		q->fields_wrong_type++;
	if (flags & VT_FIELD_OUT_OF_RANGE)
		q->fields_out_of_range++;
	if (flags & VT_FIELD_UNKNOWN_TYPE)
		q->unknown_event_types++;
	if (flags & VT_FIELD_BAD_TIME)
		q->bad_timestamps++;
}

/* Remembers which audit component an instance's events carry. */
static void note_component(struct vt_agg *a, uint64_t instance,
			   struct vt_sv component)
{
	if (!component.ptr)
		return;
	uint64_t h = vt_hash64(component.ptr, component.len) | 1;

	if (a->has_last_comp && a->last_comp_inst == instance &&
	    a->last_comp == h)
		return; /* the usual case: the same as the previous event */
	struct instance *in = vt_agg_instance_get(a, instance);

	if (in)
		in->component = h;
	a->last_comp_inst = instance;
	a->last_comp = h;
	a->has_last_comp = 1;
}

void vt_agg_line(struct vt_agg *a, const struct vt_origin *o,
		 const struct vt_record *rec, const struct vt_fact *facts,
		 size_t nfacts, enum vt_wrapper wrapper)
{
	int vmcp = rec->cls == VT_LINE_AUDIT || rec->cls == VT_LINE_APP;
	int late = 0, has_time = rec->has_time, future = 0;

	if (vmcp && has_time && a->has_horizon && rec->time > a->horizon)
		has_time = 0, future = 1; /* not a usable time */

	if (vmcp && has_time && a->consent && rec->time < a->consent) {
		vt_agg_quality(a)->events_before_consent++;
		return;
	}
	struct period *p = vmcp ? period_for(a, has_time, rec->time,
					     &late)
				: NULL;
	struct vt_quality *q = p ? &p->q : vt_agg_quality(a);

	q->late_events += (uint64_t)late;
	q->bad_timestamps += (uint64_t)future;
	struct inst_stats *st = NULL;

	q->lines_read++;
	q->lines_by_wrapper[wrapper]++;
	switch (rec->cls) {
	case VT_LINE_MALFORMED:
		q->lines_malformed++;
		q->malformed_by_reason[rec->reason]++;
		return;
	case VT_LINE_UNRECOGNIZED:
		q->lines_unrecognized++;
		q->unrecognized_by_reason[rec->reason]++;
		return;
	default:
		break;
	}
	count_flags(q, rec->field_flags);
	if (!has_time)
		q->lines_without_time++;
	st = vt_agg_stats(a, p, o->instance);
	if (!st)
		q->lines_over_instance_cap++;
	note_time(p, st, has_time, rec->time);
	if (rec->cls == VT_LINE_AUDIT) {
		q->events++;
		note_component(a, o->instance, rec->audit.component);
		audit_event(a, p, st, &rec->audit);
		/* A late call's hour is in a period already reported: it
		 * has no place in this period's map (whose hours must lie
		 * in the period; the collector refuses a report otherwise). */
		if (rec->audit.type == VT_EV_MCP_TOOL_CALL && has_time &&
		    !late)
			vt_period_add_calls(p, period_floor(rec->time, 3600) / 3600,
					    1);
	} else {
		q->app_lines++;
		app_line(a, p, o, st, facts, nfacts);
	}
	if (st) {
		struct stream_op op = { .kind = OP_SEEN, .period = p->start };

		vt_line_usage(&op.u, o, rec, facts, nfacts);
		vt_agg_stream_op(a, vt_agg_stream_get(a, o->stream), &op);
	}
}

struct instance *vt_agg_instance(const struct vt_agg *a, uint64_t key)
{
	uint32_t i = vt_map_get(&a->inst_map, key);

	return i == VT_MAP_NONE ? NULL : &a->inst[i];
}

uint64_t vt_agg_process_key(uint64_t stream, uint32_t generation)
{
	return vt_mix64(stream ^ vt_mix64(generation));
}

void vt_agg_set_partial(struct vt_agg *a)
{
	a->partial = 1;
}

/* The period holding the clock: where facts of no line's time go. */
static struct period *period_now(struct vt_agg *a)
{
	if (a->cfg.period_seconds <= 0)
		return vt_agg_period(a, 0);
	int64_t t = a->now;
	if (a->has_floor && t < a->floor)
		t = a->floor;
	return vt_agg_period(a, period_floor(t, a->cfg.period_seconds));
}

static int attach_config(struct vt_agg *a, struct instance *in,
			 const struct vt_config_facts *cf)
{
	struct facts *f = &in->facts;
	struct instance before = *in;

	if (f->conflict < 0)
		f->conflict = cf->conflict;
	if (f->inauth < 0)
		f->inauth = cf->inauth;
	if (f->backends < 0)
		f->backends = cf->backends;
	if (f->composite < 0)
		f->composite = cf->composite;
	if (!f->outauth)
		f->outauth = cf->outauth;
	f->features |= cf->features;
	in->session = cf->session;
	memcpy(in->steps, cf->steps, sizeof(in->steps));
	if (in->has_cfg && in->cfg_fp != cf->fingerprint)
		period_now(a)->c.config_changes++;
	in->cfg_fp = cf->fingerprint;
	in->has_cfg = 1;
	return memcmp(&before, in, sizeof(before)) != 0;
}

int vt_agg_add_config(struct vt_agg *a, const struct vt_config_facts *cf,
		      unsigned flags)
{
	int only = (flags & VT_CONFIG_ONLY) != 0;
	size_t matched = 0;
	int changed = 0;
	uint64_t comp = cf->component ? cf->component | 1 : 0;
	uint64_t comp2 = cf->component2 ? cf->component2 | 1 : 0;

	for (size_t i = 0; comp && i < a->ninst; i++)
		if (a->inst[i].component == comp ||
		    (comp2 && a->inst[i].component == comp2)) {
			changed |= attach_config(a, &a->inst[i], cf);
			matched++;
		}
	for (size_t i = 0; !matched && only && i < a->ninst; i++)
		changed |= attach_config(a, &a->inst[i], cf);
	if (matched || (only && a->ninst) || (flags & VT_CONFIG_NO_OWN))
		return changed;
	struct instance *in = vt_agg_instance_get(a, cf->key);

	if (!in)
		return 1;
	changed |= attach_config(a, in, cf);
	if (comp && in->component != comp) {
		in->component = comp;
		changed = 1;
	}
	struct period *p = period_now(a);
	size_t had = p->ninst;
	vt_agg_stats(a, p, cf->key);
	return changed || p->ninst != had;
}
