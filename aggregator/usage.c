/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Usage from INFO lines, decided per process and per kind of event: a
 * process that wrote no audit event of a kind (audit off, or audit's
 * eventTypes leaving the kind out) is counted from its INFO lines of
 * that kind; one that wrote some is counted from its audit events only,
 * so no event is counted twice (docs/decisions.md, issue 15 review).
 */
#include "agg_internal.h"
#include "../util/hash.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void vt_usage_add(struct usage *d, const struct usage *s)
{
	for (int i = 0; i < VT_WFL_COUNT; i++)
		d->wf[i] += s->wf[i];
	d->sessions += s->sessions;
	d->debug_calls += s->debug_calls;
	d->audited |= s->audited;
	/* the first application line's instance, else the first line's */
	if (s->has_instance &&
	    (!d->has_instance || (!d->app && s->app))) {
		d->instance = s->instance;
		d->has_instance = 1;
	}
	d->app |= s->app;
}

/* What a line adds to its process's usage (struct usage). */
void vt_line_usage(struct usage *u, const struct vt_origin *o,
		   const struct vt_record *rec, const struct vt_fact *facts,
		   size_t nfacts)
{
	u->instance = o->instance;
	u->has_instance = 1;
	if (rec->cls == VT_LINE_AUDIT) {
		enum vt_event_type t = rec->audit.type;

		if (t == VT_EV_MCP_INITIALIZE)
			u->audited |= VT_AUD_SESSIONS;
		else if (t == VT_EV_MCP_TOOL_CALL)
			u->audited |= VT_AUD_CALLS;
		else if (t >= VT_EV_WORKFLOW_STARTED && t <= VT_EV_STEP_SKIPPED)
			u->audited |= VT_AUD_WORKFLOWS;
		return;
	}
	u->app = 1;
	for (size_t i = 0; i < nfacts; i++) {
		int k;

		switch (facts[i].kind) {
		case VT_FACT_WORKFLOW:
			for (k = 0; k < VT_WFL_COUNT; k++)
				if (facts[i].value.ptr &&
				    strlen(vt_wf_line_names[k]) ==
					    facts[i].value.len &&
				    strncasecmp(vt_wf_line_names[k],
						facts[i].value.ptr,
						facts[i].value.len) == 0)
					break;
			if (k < VT_WFL_COUNT)
				u->wf[k]++;
			break;
		case VT_FACT_SESSION:
			u->sessions++;
			break;
		case VT_FACT_TOOL_CALL:
			u->debug_calls++;
			break;
		default:
			break;
		}
	}
}

static uint64_t usage_key(uint64_t stream, uint32_t generation)
{
	uint64_t v[2] = { stream, generation };

	return vt_hash64(v, sizeof(v));
}

void vt_period_add_usage(struct vt_agg *a, struct period *p,
			 uint64_t stream, uint32_t generation,
			 const struct usage *u)
{
	uint64_t key;
	uint32_t i;

	/* past the cap, a stream's processes share one record */
	if (p->nusage >= 4 * (size_t)a->cfg.max_streams)
		generation = 0;
	key = usage_key(stream, generation);
	i = vt_map_get(&p->usage_map, key);
	if (i == VT_MAP_NONE) {
		p->usage = vt_xrealloc(p->usage,
				       (p->nusage + 1) * sizeof(*p->usage));
		memset(&p->usage[p->nusage], 0, sizeof(*p->usage));
		p->usage[p->nusage].stream = stream;
		p->usage[p->nusage].generation = generation;
		i = (uint32_t)p->nusage++;
		vt_map_put(&p->usage_map, key, i);
	}
	vt_usage_add(&p->usage[i].u, u);
}

/*
 * A timeout logs both "workflow failed" and "workflow timed out", so the
 * failures are the failed lines less the timeouts, plus the failures
 * during output construction (which log no "workflow failed").
 */
static void info_workflows(const struct usage *u, struct vt_summary *s)
{
	uint64_t failed = u->wf[VT_WFL_FAILED] > u->wf[VT_WFL_TIMED_OUT]
				  ? u->wf[VT_WFL_FAILED] - u->wf[VT_WFL_TIMED_OUT]
				  : 0;

	s->workflows[VT_WF_STARTED] += u->wf[VT_WFL_STARTED];
	s->workflows[VT_WF_COMPLETED] += u->wf[VT_WFL_COMPLETED];
	s->workflows[VT_WF_FAILED] += failed + u->wf[VT_WFL_OUTPUT_FAILED];
	s->workflows[VT_WF_TIMED_OUT] += u->wf[VT_WFL_TIMED_OUT];
}

/* The slot of instance in v, made when missing. */
static size_t slot(struct vt_usage_view *v, uint64_t instance)
{
	uint32_t k = vt_map_get(&v->slots, instance);

	if (k != VT_MAP_NONE)
		return k;
	v->shared = vt_xrealloc(v->shared, (v->n + 1) * sizeof(*v->shared));
	v->calls = vt_xrealloc(v->calls, (v->n + 1) * sizeof(*v->calls));
	v->app = vt_xrealloc(v->app, (v->n + 1) * sizeof(*v->app));
	v->shared[v->n] = 0;
	v->calls[v->n] = 0;
	v->app[v->n] = 0;
	vt_map_put(&v->slots, instance, (uint32_t)v->n);
	return v->n++;
}

void vt_usage_view_init(struct vt_usage_view *v, const struct period *p,
			struct vt_summary *s)
{
	memset(v, 0, sizeof(*v));
	vt_map_init(&v->slots);
	/* first the kinds each instance's audit-only streams wrote */
	for (size_t i = 0; i < p->nusage; i++) {
		const struct usage *u = &p->usage[i].u;
		size_t k;

		if (!u->has_instance)
			continue;
		k = slot(v, u->instance);
		if (u->app)
			v->app[k] = 1;
		else
			v->shared[k] |= u->audited;
	}
	for (size_t i = 0; i < p->nusage; i++) {
		const struct usage *u = &p->usage[i].u;

		if (!u->has_instance)
			continue;
		size_t k = slot(v, u->instance);
		unsigned audited = u->audited | v->shared[k];

		if (!u->app) {
			v->linked += v->app[k]; /* an audit file, linked */
			continue;
		}
		if (!(audited & VT_AUD_WORKFLOWS))
			info_workflows(u, s);
		if (!(audited & VT_AUD_SESSIONS))
			s->sessions += u->sessions;
		if (!(audited & VT_AUD_CALLS)) {
			v->calls[k] += u->debug_calls;
			s->tool_calls_by_outcome[VT_OUT_UNKNOWN] +=
				u->debug_calls;
		}
	}
}

uint64_t vt_usage_calls(const struct vt_usage_view *v, uint64_t instance)
{
	uint32_t k = vt_map_get(&v->slots, instance);

	return k == VT_MAP_NONE ? 0 : v->calls[k];
}

void vt_usage_view_release(struct vt_usage_view *v)
{
	vt_map_release(&v->slots);
	free(v->shared);
	free(v->calls);
	free(v->app);
}
