/* SPDX-License-Identifier: Apache-2.0 */
/* From the aggregate to the report's numbers, and merging aggregates. */
#include "agg_internal.h"
#include "../util/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_instance(const struct vt_agg *a,
			 const struct vt_usage_view *v,
			 const struct inst_stats *st, struct vt_summary *s)
{
	const struct instance *in = vt_agg_instance(a, st->key);
	struct facts f;
	unsigned features;

	if (in)
		f = in->facts;
	else
		memset(&f, 0xff, sizeof(f)), f.outauth = 0, f.features = 0;
	s->instances++;
	/*
	 * The sketch hashes the instance with the key, the period's start
	 * (none for a report of everything, so shards of one backfill,
	 * whose spans differ, still merge) and, for a key unique on its
	 * host only, the host's scope: /var/log/vmcp/audit.log on two
	 * hosts is two instances.
	 */
	unsigned char msg[24], mac[VT_SHA256_LEN];
	int64_t salt = a->cfg.period_seconds > 0 ? s->start : 0;
	uint64_t scope = st->key & VT_INSTANCE_SHARED ? 0 : a->sketch_scope;
	for (int i = 0; i < 8; i++) {
		msg[i] = (unsigned char)(st->key >> (8 * i));
		msg[8 + i] = (unsigned char)((uint64_t)salt >> (8 * i));
		msg[16 + i] = (unsigned char)(scope >> (8 * i));
	}
	vt_hmac_sha256(a->sketch_key, a->sketch_key_len, msg, sizeof(msg), mac);
	vt_sketch_add(&s->instances_sketch,
		      (uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 |
			      (uint32_t)mac[2] << 8 | mac[3]);
	if (f.backends >= 0)
		s->backends_per_instance[vt_log2_bucket((uint64_t)f.backends)]++;
	else
		s->backends_unknown++;
	if (f.composite >= 0)
		s->composite_defined[vt_log2_bucket((uint64_t)f.composite)]++;
	else
		s->composite_unknown++;
	s->conflict[f.conflict >= 0 ? f.conflict : VT_CONFLICT_UNKNOWN]++;
	s->incoming_auth[f.inauth >= 0 ? f.inauth : VT_INAUTH_UNKNOWN]++;
	if (!f.outauth)
		s->outgoing_auth[VT_OUTAUTH_UNKNOWN]++;
	for (int i = 0; i < VT_OUTAUTH_UNKNOWN; i++)
		if (f.outauth & (1u << i))
			s->outgoing_auth[i]++;
	if (f.session >= 0) {
		s->session_storage[f.session]++; /* the logs said it */
		if (in && in->has_cfg)
			s->instances_configured++;
		for (int i = 0; in && in->has_cfg && i < VT_STEP_COUNT; i++)
			s->composite_steps_defined[i] += in->steps[i];
	} else if (in && in->has_cfg) {
		s->instances_configured++;
		s->session_storage[in->session]++;
		for (int i = 0; i < VT_STEP_COUNT; i++)
			s->composite_steps_defined[i] += in->steps[i];
	} else {
		s->session_storage[VT_SESSION_UNKNOWN]++;
	}
	features = f.features | st->seen;
	for (int i = 0; i < VT_FEATURE_COUNT; i++)
		if (features & (1u << i))
			s->features[i]++;
	/*
	 * Audit events are the truth; the INFO workflow and session lines
	 * and the DEBUG line "calling tool on backend" (outcome unknown)
	 * count for a process that wrote no audit event of their kind.
	 */
	uint64_t calls = st->audit_calls + vt_usage_calls(v, st->key);
	s->tool_calls_per_instance[vt_log2_bucket(calls)]++;
	if (st->has_time)
		s->uptime_seconds[vt_125_bucket(
			(uint64_t)(st->last - st->first))]++;
}

static int by_hour(const void *x, const void *y)
{
	const struct vt_hour_count *a = x, *b = y;

	return (a->start > b->start) - (a->start < b->start);
}

static int by_name(const void *x, const void *y)
{
	const struct vt_named_count *a = x, *b = y;

	return strcmp(a->name, b->name);
}

static size_t named(const struct vt_allowlist *list, const uint64_t *counts,
		    size_t known_slots, const char *const *tail, size_t ntail,
		    struct vt_named_count *out)
{
	size_t n = 0;

	for (size_t i = 0; i < vt_allowlist_count(list) && i < known_slots;
	     i++)
		if (counts[i]) {
			snprintf(out[n].name, sizeof(out[n].name), "%s",
				 vt_allowlist_name(list, i));
			out[n++].count = counts[i];
		}
	qsort(out, n, sizeof(*out), by_name);
	for (size_t t = 0; t < ntail; t++)
		if (counts[known_slots + t]) {
			snprintf(out[n].name, sizeof(out[n].name), "%s",
				 tail[t]);
			out[n++].count = counts[known_slots + t];
		}
	return n;
}

void vt_agg_summarize(const struct vt_agg *a, size_t i, struct vt_summary *s)
{
	static const char *const client_tail[] = { "other" };
	const struct period *p;
	const struct counts *c;

	memset(s, 0, sizeof(*s));
	if (i >= a->nperiods) {
		/* Nothing was read: an empty report, bounded by the clock. */
		s->start = s->end = a->now;
		s->granularity = "all";
		s->quality = a->loose;
		return;
	}
	p = a->periods[i];
	c = &p->c;
	if (a->cfg.period_seconds > 0) {
		s->start = p->start;
		s->end = p->start + a->cfg.period_seconds;
		s->granularity = a->cfg.period_seconds == 3600	  ? "hour"
				 : a->cfg.period_seconds == 86400 ? "day"
								  : "week";
	} else {
		s->start = p->has_ts ? p->min_ts : a->now;
		s->end = p->has_ts ? p->max_ts + 1 : a->now;
		s->granularity = "all";
	}
	struct vt_usage_view v;

	vt_usage_view_init(&v, p, s);
	s->processes = p->procs.count;
	s->processes -= v.linked < s->processes ? v.linked : s->processes;
	for (size_t k = 0; k < p->ninst; k++)
		add_instance(a, &v, &p->inst[k], s);
	vt_usage_view_release(&v);
	for (int k = 0; k < VT_OUT_COUNT; k++) {
		s->tool_calls_by_outcome[k] += c->by_outcome[k];
		s->tool_calls += s->tool_calls_by_outcome[k];
	}
	memcpy(s->tool_call_duration_ms, c->duration, sizeof(c->duration));
	for (int k = 0; k < VT_WF_COUNT; k++)
		s->workflows[k] += c->workflows[k]; /* after the INFO ones */
	memcpy(s->workflow_steps, c->steps, sizeof(c->steps));
	memcpy(s->workflow_step_results, c->step_results,
	       sizeof(c->step_results));
	memcpy(s->requests_by_type, c->requests, sizeof(c->requests));
	s->sessions += c->sessions;
	for (size_t k = 0; k < p->nhours; k++)
		if (p->hour_calls[k]) {
			s->hours[s->nhours].start = p->hours[k] * 3600;
			s->hours[s->nhours++].count = p->hour_calls[k];
		}
	qsort(s->hours, s->nhours, sizeof(*s->hours), by_hour);
	s->restarts = c->restarts;
	s->config_changes = c->config_changes;
	memcpy(s->backend_health, c->health, sizeof(c->health));
	s->server_discover = c->server_discover;
	s->nbackends = named(a->cfg.servers, c->backends, VT_MAX_NAMES,
			     vt_backend_tail_names, BACKEND_TAILS, s->backends);
	s->nclients = named(a->cfg.clients, c->clients, VT_MAX_NAMES,
			    client_tail, 1, s->clients);
	s->ndiscover_clients = named(a->cfg.clients, c->discover_clients,
				     VT_MAX_NAMES, client_tail, 1,
				     s->discover_clients);
	s->quality = p->q;
}

static void add_u64(uint64_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] += src[i];
}

#define ADD_ARRAY(d, s) add_u64((d), (s), sizeof(s) / sizeof(uint64_t))

static void quality_add(struct vt_quality *d, const struct vt_quality *s)
{
	/* Every member is a uint64_t counter. */
	add_u64((uint64_t *)d, (const uint64_t *)s,
		sizeof(*d) / sizeof(uint64_t));
}

/*
 * Where src's process (stream, generation) is in dst: src's generation 1
 * of an anchored stream is base[i] + 1 (see merge_streams).
 */
static int proc_in_dst(const struct vt_agg *dst, const struct vt_agg *src,
		       const uint32_t *base, const struct proc_ref *r,
		       uint32_t *gen)
{
	uint32_t i = vt_map_get(&src->stream_map, r->stream);

	if (i == VT_MAP_NONE || !vt_agg_stream_known(dst, r->stream))
		return 0;
	*gen = base[i] + r->generation;
	return 1;
}

static void merge_procs(struct vt_agg *dst, const struct vt_agg *src,
			const uint32_t *base, struct period *d,
			const struct period *s)
{
	uint32_t gen;

	for (size_t i = 0; i < s->nusage; i++) {
		struct proc_ref r = { s->usage[i].stream,
				      s->usage[i].generation };

		gen = r.generation;
		if (!src->partial || r.stream == 0 ||
		    proc_in_dst(dst, src, base, &r, &gen))
			vt_period_add_usage(dst, d, r.stream, gen,
					    &s->usage[i].u);
	}

	if (src->partial) {
		for (size_t i = 0; i < s->nrefs; i++)
			if (proc_in_dst(dst, src, base, &s->refs[i], &gen))
				vt_period_add_proc(dst, d, s->refs[i].stream,
						   gen);
		return;
	}
	/* a full aggregate's processes are taken as they are */
	for (size_t i = 0; i < s->procs.cap; i++) {
		uint64_t key = s->procs.keys[i];

		if (s->procs.vals[i] != VT_MAP_NONE &&
		    vt_map_get(&d->procs, key) == VT_MAP_NONE &&
		    d->procs.count < dst->cfg.max_streams)
			vt_map_put(&d->procs, key, 0);
	}
}

static void merge_period(struct vt_agg *dst, const struct vt_agg *src,
			 const uint32_t *base, struct period *d,
			 const struct period *s)
{
	add_u64((uint64_t *)&d->c, (const uint64_t *)&s->c,
		sizeof(d->c) / sizeof(uint64_t));
	quality_add(&d->q, &s->q);
	if (s->has_ts) {
		if (!d->has_ts || s->min_ts < d->min_ts)
			d->min_ts = s->min_ts;
		if (!d->has_ts || s->max_ts > d->max_ts)
			d->max_ts = s->max_ts;
		d->has_ts = 1;
	}
	merge_procs(dst, src, base, d, s);
	for (size_t i = 0; i < s->nhours; i++)
		vt_period_add_calls(d, s->hours[i], s->hour_calls[i]);
	for (size_t i = 0; i < s->ninst; i++) {
		const struct inst_stats *x = &s->inst[i];
		struct inst_stats *y = vt_agg_stats(dst, d, x->key);

		if (!y) {
			d->q.lines_over_instance_cap++;
			continue;
		}
		y->audit_calls += x->audit_calls;
		y->debug_calls += x->debug_calls;
		ADD_ARRAY(y->wf, x->wf);
		y->sessions += x->sessions;
		y->seen |= x->seen;
		if (x->has_time) {
			if (!y->has_time || x->first < y->first)
				y->first = x->first;
			if (!y->has_time || x->last > y->last)
				y->last = x->last;
			y->has_time = 1;
		}
	}
}

/*
 * A stream of a partial src: its logged steps (the open prefix) go
 * through dst's stream as lines read in order would, which anchors it
 * when src's stream is; then src's known state follows, its generations
 * counted from dst's. Returns the base of src's generations in dst.
 */
static uint32_t merge_stream(struct vt_agg *dst, const struct stream *x,
			     struct stream *y)
{
	for (size_t k = 0; k < x->nops; k++)
		vt_agg_stream_op(dst, y, &x->ops[k]);
	if (!x->anchored || !y->anchored)
		return 0;
	uint32_t base = y->generation - 1;

	y->generation = base + x->generation;
	y->booting = x->booting;
	y->seen = x->seen;
	y->pending = x->pending;
	return base;
}

/* Returns base[i] for each stream of src (see proc_in_dst). */
static uint32_t *merge_streams(struct vt_agg *dst, const struct vt_agg *src)
{
	uint32_t *base = vt_xcalloc(src->nstreams + 1, sizeof(*base));

	for (size_t i = 0; i < src->nstreams; i++) {
		const struct stream *x = &src->streams[i];
		int known = vt_agg_stream_known(dst, x->key);
		struct stream *y = vt_agg_stream_get(dst, x->key);

		if (!y)
			continue;
		if (src->partial)
			base[i] = merge_stream(dst, x, y);
		else if (!known) {
			*y = *x; /* a full aggregate began it */
			y->ops = NULL;
			y->nops = 0;
		}
		else if (x->seen)
			y->seen = 1;
	}
	return base;
}

/* An instance's facts and fingerprints: src's come after dst's. */
static void merge_instance(struct vt_agg *dst, struct instance *y,
			   const struct instance *x)
{
	vt_facts_combine(&y->facts, &x->facts, x->reset, &y->reset);
	if (x->has_open_fp) {
		struct period *p = vt_agg_period(dst, x->open_fp_period);

		if (y->has_fp && y->last_fp != x->open_fp)
			p->c.config_changes++;
		else if (!y->has_fp && dst->partial) {
			y->open_fp = x->open_fp;
			y->has_open_fp = 1;
			y->open_fp_period = x->open_fp_period;
		}
	}
	if (x->has_fp) {
		y->last_fp = x->last_fp;
		y->has_fp = 1;
	}
	if (x->component)
		y->component = x->component;
	if (x->has_cfg) {
		y->cfg_fp = x->cfg_fp;
		y->has_cfg = 1;
		y->session = x->session;
		memcpy(y->steps, x->steps, sizeof(y->steps));
	}
}

void vt_agg_merge(struct vt_agg *dst, const struct vt_agg *src)
{
	/* Streams first: their logged steps come before src's other lines. */
	uint32_t *base = merge_streams(dst, src);

	for (size_t i = 0; i < src->ninst; i++) {
		struct instance *y = vt_agg_instance_get(dst, src->inst[i].key);

		if (y)
			merge_instance(dst, y, &src->inst[i]);
	}
	for (size_t i = 0; i < src->nperiods; i++)
		merge_period(dst, src, base,
			     vt_agg_period(dst, src->periods[i]->start),
			     src->periods[i]);
	quality_add(vt_agg_quality(dst), &src->loose);
	dst->has_last_comp = 0; /* components may have changed */
	dst->inexact |= src->inexact;
	free(base);
}

int vt_agg_merge_exact(const struct vt_agg *src)
{
	return src->partial && !src->inexact;
}

/*
 * dst's count of map keys plus src's keys missing from dst, and extra,
 * against cap. src at the cap itself may have dropped some: no fit.
 */
static int keys_fit(const struct vt_map *dst, const struct vt_map *src,
		    size_t extra, size_t cap)
{
	size_t n = (dst ? dst->count : 0) + extra;

	if (src->count >= cap)
		return 0;
	for (size_t i = 0; i < src->cap && n <= cap; i++)
		if (src->vals[i] != VT_MAP_NONE &&
		    (!dst || vt_map_get(dst, src->keys[i]) == VT_MAP_NONE))
			n++;
	return n <= cap;
}

static const struct period *period_at(const struct vt_agg *a, int64_t start)
{
	for (size_t i = 0; i < a->nperiods; i++)
		if (a->periods[i]->start == start)
			return a->periods[i];
	return NULL;
}

/* Instances src's logged steps name that neither dst nor src holds. */
static size_t op_instances(const struct vt_agg *dst, const struct vt_agg *src)
{
	size_t n = 0;

	for (size_t i = 0; i < src->nstreams; i++)
		for (size_t k = 0; k < src->streams[i].nops; k++) {
			const struct stream_op *op = &src->streams[i].ops[k];

			n += (op->kind == OP_FACTS || op->kind == OP_START) &&
			     vt_map_get(&dst->inst_map, op->instance) ==
				     VT_MAP_NONE &&
			     vt_map_get(&src->inst_map, op->instance) ==
				     VT_MAP_NONE;
		}
	return n;
}

size_t vt_agg_growth(const struct vt_agg *a)
{
	size_t n = a->ninst + a->nstreams;

	for (size_t i = 0; i < a->nstreams; i++)
		n += a->streams[i].nops;
	for (size_t i = 0; i < a->nperiods; i++)
		n += a->periods[i]->ninst + a->periods[i]->nhours +
		     a->periods[i]->procs.count + 1;
	return n;
}

int vt_agg_merge_fits(const struct vt_agg *dst, const struct vt_agg *src,
		      size_t extra)
{
	size_t ni = dst->cfg.max_instances, ns = dst->cfg.max_streams;

	if (!keys_fit(&dst->inst_map, &src->inst_map,
		      extra + op_instances(dst, src), ni) ||
	    !keys_fit(&dst->stream_map, &src->stream_map, extra, ns))
		return 0;
	for (size_t i = 0; i < src->nperiods; i++) {
		const struct period *s = src->periods[i];
		const struct period *d = period_at(dst, s->start);

		/* processes: src's generations are renumbered, so a sum */
		if (!keys_fit(d ? &d->inst_map : NULL, &s->inst_map, extra,
			      ni) ||
		    !keys_fit(d ? &d->hour_map : NULL, &s->hour_map, extra,
			      VT_MAX_HOURS) ||
		    s->procs.count >= ns ||
		    s->procs.count + (d ? d->procs.count : 0) + extra > ns)
			return 0;
	}
	return 1;
}

/* The tail entries sort after every name, in vt_backend_tail_names order. */
static int tail_rank(const char *name)
{
	for (int i = 0; i < BACKEND_TAILS; i++)
		if (strcmp(name, vt_backend_tail_names[i]) == 0)
			return i + 1;
	return 0;
}

static int by_name_tail_last(const void *x, const void *y)
{
	const struct vt_named_count *a = x, *b = y;
	int ra = tail_rank(a->name), rb = tail_rank(b->name);

	return ra != rb ? ra - rb : strcmp(a->name, b->name);
}

static size_t merge_named(struct vt_named_count *dst, size_t n, size_t cap,
			  const struct vt_named_count *src, size_t m)
{
	for (size_t i = 0; i < m; i++) {
		size_t k = 0;

		while (k < n && strcmp(dst[k].name, src[i].name) != 0)
			k++;
		if (k == n && n == cap) {
			/* no room: the count stays, as "other" */
			while (k > 0 && strcmp(dst[k - 1].name, "other") != 0)
				k--;
			if (k == 0)
				continue;
			k--;
		} else if (k == n) {
			dst[n++] = src[i];
			continue;
		}
		dst[k].count += src[i].count;
	}
	qsort(dst, n, sizeof(*dst), by_name_tail_last);
	return n;
}

static void merge_hours(struct vt_summary *d, const struct vt_summary *s)
{
	for (size_t i = 0; i < s->nhours; i++) {
		size_t k = 0;

		while (k < d->nhours && d->hours[k].start < s->hours[i].start)
			k++;
		if (k < d->nhours && d->hours[k].start == s->hours[i].start) {
			d->hours[k].count += s->hours[i].count;
		} else if (d->nhours < VT_MAX_HOURS) {
			memmove(d->hours + k + 1, d->hours + k,
				(d->nhours - k) * sizeof(*d->hours));
			d->hours[k] = s->hours[i];
			d->nhours++;
		}
	}
}

/*
 * A report of no timed line spans [now, now]: it says nothing about
 * when, so it widens no other report's period.
 */
static int timeless(const struct vt_summary *s)
{
	return strcmp(s->granularity, "all") == 0 && s->start == s->end;
}

void vt_summary_merge(struct vt_summary *d, const struct vt_summary *s)
{
	if (!d->granularity || (timeless(d) && !timeless(s))) {
		d->start = s->start;
		d->end = s->end;
		d->granularity = s->granularity;
	} else if (!timeless(s)) {
		if (s->start < d->start)
			d->start = s->start;
		if (s->end > d->end)
			d->end = s->end;
		if (strcmp(d->granularity, s->granularity) != 0 ||
		    (strcmp(d->granularity, "all") != 0 &&
		     d->end - d->start != s->end - s->start))
			d->granularity = "all";
	}
	vt_sketch_merge(&d->instances_sketch, &s->instances_sketch);
	d->instances = vt_sketch_count(&d->instances_sketch);
	d->processes += s->processes;
#define ADD(f) ADD_ARRAY(d->f, s->f)
	ADD(backends_per_instance);
	ADD(conflict);
	ADD(incoming_auth);
	ADD(outgoing_auth);
	ADD(composite_defined);
	ADD(features);
	ADD(session_storage);
	ADD(composite_steps_defined);
	ADD(tool_calls_by_outcome);
	ADD(tool_calls_per_instance);
	ADD(tool_call_duration_ms);
	ADD(workflows);
	ADD(workflow_steps);
	ADD(workflow_step_results);
	ADD(requests_by_type);
	ADD(uptime_seconds);
	ADD(backend_health);
#undef ADD
	d->server_discover += s->server_discover;
	d->backends_unknown += s->backends_unknown;
	d->composite_unknown += s->composite_unknown;
	d->instances_configured += s->instances_configured;
	d->tool_calls += s->tool_calls;
	d->sessions += s->sessions;
	d->restarts += s->restarts;
	d->config_changes += s->config_changes;
	d->nbackends = merge_named(d->backends, d->nbackends,
				   VT_ARRAY_LEN(d->backends), s->backends,
				   s->nbackends);
	d->nclients = merge_named(d->clients, d->nclients,
				  VT_ARRAY_LEN(d->clients), s->clients,
				  s->nclients);
	d->ndiscover_clients = merge_named(
		d->discover_clients, d->ndiscover_clients,
		VT_ARRAY_LEN(d->discover_clients), s->discover_clients,
		s->ndiscover_clients);
	merge_hours(d, s);
	quality_add(&d->quality, &s->quality);
}

/*
 * One name distribution through its allowlist, as ingestion does it: a
 * listed name takes the list's spelling, anything else but the report's
 * own buckets becomes "other". Returns how many names were folded.
 */
static size_t allow_named(struct vt_named_count *v, size_t *n, size_t cap,
			  const struct vt_allowlist *list, int backends)
{
	struct vt_named_count *in = vt_xmalloc((*n ? *n : 1) * sizeof(*in));
	size_t m = *n, folded = 0;

	memcpy(in, v, m * sizeof(*in));
	for (size_t i = 0; i < m; i++) {
		const char *name = in[i].name;
		int k = vt_allowlist_find(list, name, strlen(name));

		if (k >= 0)
			snprintf(in[i].name, sizeof(in[i].name), "%s",
				 vt_allowlist_name(list, (size_t)k));
		else if (strcmp(name, "other") != 0 &&
			 !(backends && tail_rank(name) > 0)) {
			snprintf(in[i].name, sizeof(in[i].name), "other");
			folded++;
		}
	}
	*n = merge_named(v, 0, cap, in, m);
	free(in);
	return folded;
}

size_t vt_summary_allow(struct vt_summary *s, const struct vt_allowlist *servers,
			const struct vt_allowlist *clients)
{
	return allow_named(s->backends, &s->nbackends,
			   VT_ARRAY_LEN(s->backends), servers, 1) +
	       allow_named(s->clients, &s->nclients, VT_ARRAY_LEN(s->clients),
			   clients, 0) +
	       allow_named(s->discover_clients, &s->ndiscover_clients,
			   VT_ARRAY_LEN(s->discover_clients), clients, 0);
}

size_t vt_summary_clip_hours(struct vt_summary *s)
{
	size_t kept = 0, n = s->nhours;

	if (!s->granularity || strcmp(s->granularity, "all") == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s->hours[i].start >= s->start && s->hours[i].start < s->end)
			s->hours[kept++] = s->hours[i];
	s->nhours = kept;
	return n - kept;
}
