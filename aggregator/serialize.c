/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Aggregate serialization. Layout:
 *   "VTAG" u8 version, then varints (signed values zigzag-encoded):
 *   period_seconds now
 *   nperiods { start min max has_ts
 *              counts: n u64... (the fixed counters, length-prefixed)
 *              backends: n {name count}  clients: n {name count}
 *              quality: n u64...
 *              ninst {key audit debug first last has_time seen}
 *              nprocs {key} }
 *   ninst { key conflict inauth backends composite outauth features fp has_fp }
 *   nstreams { key conflict inauth backends composite outauth features
 *              generation booting seen }
 *   loose quality: n u64...
 *   then the sections of versions 2 to 5 (see encode_v4, encode_v5)
 *   u32 CRC-32 (little endian) of every byte before it.
 * Length prefixes let a newer reader accept fewer counters and an older
 * one refuse more: counters are never reordered, only appended.
 * Every hash (instance, stream, process and component keys, fingerprints)
 * is written as its image under cfg.state_key (vt_prp_fwd), so an
 * encoding confirms no name without the key.
 */
#include "agg_internal.h"
#include "../util/hash.h"
#include "../util/varint.h"
#include "../util/timeutil.h"

#include <stdlib.h>
#include <string.h>

static const char MAGIC[4] = { 'V', 'T', 'A', 'G' };

static void put_str(struct vt_buf *b, const char *s)
{
	size_t n = strlen(s);

	vt_put_u(b, n);
	vt_buf_append(b, s, n);
}

static void put_array(struct vt_buf *b, const uint64_t *v, size_t n)
{
	vt_put_u(b, n);
	for (size_t i = 0; i < n; i++)
		vt_put_u(b, v[i]);
}

static void put_facts(struct vt_buf *b, const struct facts *f)
{
	vt_put_s(b, f->conflict);
	vt_put_s(b, f->inauth);
	vt_put_s(b, f->backends);
	vt_put_s(b, f->composite);
	vt_put_u(b, f->outauth);
	vt_put_u(b, f->features);
}

static void put_named(struct vt_buf *b, const struct vt_allowlist *list,
		      const uint64_t *counts, size_t known,
		      const char *const *tail, size_t ntail)
{
	size_t n = 0;

	for (size_t i = 0; i < known + ntail; i++)
		n += counts[i] != 0 && (i >= known ||
					i < vt_allowlist_count(list));
	vt_put_u(b, n);
	for (size_t i = 0; i < vt_allowlist_count(list) && i < known; i++)
		if (counts[i]) {
			put_str(b, vt_allowlist_name(list, i));
			vt_put_u(b, counts[i]);
		}
	for (size_t t = 0; t < ntail; t++)
		if (counts[known + t]) {
			put_str(b, tail[t]);
			vt_put_u(b, counts[known + t]);
		}
}

/* The fixed counters of struct counts, before the name arrays. */
#define FIXED_COUNTS (offsetof(struct counts, backends) / sizeof(uint64_t))

static const char *const backend_tail[BACKEND_TAILS] = {
	"\x01other", "\x01composite", "\x01optimizer", "\x01code_mode",
	"\x01unknown",
};
static const char *const client_tail[] = { "\x01other" };

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/*
 * A period's processes, as a set: sorted, so the bytes do not depend on
 * where the hash table happened to put them (found by fuzz_state: a
 * decoded state encoded differently when a probe had wrapped around).
 */
/* A hash as stored, and back. */
static uint64_t hide(const struct vt_agg_config *c, uint64_t v)
{
	return vt_prp_fwd(c->state_key, v);
}

static uint64_t get_hidden(struct vt_reader *r, const struct vt_agg_config *c)
{
	return vt_prp_inv(c->state_key, vt_get_u(r));
}

static void put_procs(struct vt_buf *out, const struct vt_agg_config *c,
		      const struct vt_map *procs)
{
	uint64_t *keys = vt_xmalloc((procs->count ? procs->count : 1) *
				    sizeof(*keys));
	size_t n = 0;

	for (size_t k = 0; k < procs->cap; k++)
		if (procs->vals[k] != VT_MAP_NONE)
			keys[n++] = hide(c, procs->keys[k]);
	qsort(keys, n, sizeof(*keys), cmp_u64);
	vt_put_u(out, n);
	for (size_t k = 0; k < n; k++)
		vt_put_u(out, keys[k]);
	free(keys);
}

/*
 * Version 4: usage from INFO lines per period and instance, the backend
 * mode and logged session storage of every instance and stream (a
 * stream's known startup facts are those its process gave).
 */
static void encode_v4(const struct vt_agg *a, struct vt_buf *out)
{
	for (size_t i = 0; i < a->nperiods; i++) {
		const struct period *p = a->periods[i];

		put_named(out, a->cfg.clients, p->c.discover_clients,
			  VT_MAX_NAMES, client_tail, 1);
		for (size_t k = 0; k < p->ninst; k++) {
			put_array(out, p->inst[k].wf, VT_WFL_COUNT);
			vt_put_u(out, p->inst[k].sessions);
		}
	}
	for (size_t i = 0; i < a->ninst; i++) {
		vt_put_s(out, a->inst[i].facts.mode);
		vt_put_s(out, a->inst[i].facts.session);
	}
	for (size_t i = 0; i < a->nstreams; i++) {
		vt_put_s(out, a->streams[i].pending.mode);
		vt_put_s(out, a->streams[i].pending.session);
	}
}

/*
 * Version 5: each stream's settings sum, hidden like a fingerprint; each
 * period's usage per process (stream and instance hidden).
 */
static void encode_v5(const struct vt_agg *a, struct vt_buf *out)
{
	for (size_t i = 0; i < a->nstreams; i++)
		vt_put_u(out, hide(&a->cfg, a->streams[i].pending.settings));
	for (size_t i = 0; i < a->nperiods; i++) {
		const struct period *p = a->periods[i];

		vt_put_u(out, p->nusage);
		for (size_t k = 0; k < p->nusage; k++) {
			const struct proc_usage *r = &p->usage[k];

			vt_put_u(out, hide(&a->cfg, r->stream));
			vt_put_u(out, r->generation);
			put_array(out, r->u.wf, VT_WFL_COUNT);
			vt_put_u(out, r->u.sessions);
			vt_put_u(out, r->u.debug_calls);
			vt_put_u(out, r->u.audited);
			vt_put_u(out, (uint64_t)r->u.app);
			vt_put_u(out, hide(&a->cfg, r->u.instance));
			vt_put_u(out, (uint64_t)r->u.has_instance);
		}
	}
}

enum vt_err vt_agg_encode(const struct vt_agg *a, struct vt_buf *out)
{
	size_t start = out->len;

	vt_buf_append(out, MAGIC, sizeof(MAGIC));
	vt_buf_putc(out, VT_AGG_FORMAT_VERSION);
	vt_put_s(out, a->cfg.period_seconds);
	vt_put_s(out, a->now);
	vt_put_u(out, a->nperiods);
	for (size_t i = 0; i < a->nperiods; i++) {
		const struct period *p = a->periods[i];

		vt_put_s(out, p->start);
		vt_put_s(out, p->min_ts);
		vt_put_s(out, p->max_ts);
		vt_put_u(out, (uint64_t)p->has_ts);
		put_array(out, (const uint64_t *)&p->c, FIXED_COUNTS);
		put_named(out, a->cfg.servers, p->c.backends, VT_MAX_NAMES,
			  backend_tail, BACKEND_TAILS);
		put_named(out, a->cfg.clients, p->c.clients, VT_MAX_NAMES,
			  client_tail, 1);
		put_array(out, (const uint64_t *)&p->q,
			  sizeof(p->q) / sizeof(uint64_t));
		vt_put_u(out, p->ninst);
		for (size_t k = 0; k < p->ninst; k++) {
			const struct inst_stats *s = &p->inst[k];

			vt_put_u(out, hide(&a->cfg, s->key));
			vt_put_u(out, s->audit_calls);
			vt_put_u(out, s->debug_calls);
			vt_put_s(out, s->first);
			vt_put_s(out, s->last);
			vt_put_u(out, (uint64_t)s->has_time);
			vt_put_u(out, s->seen);
		}
		put_procs(out, &a->cfg, &p->procs);
	}
	vt_put_u(out, a->ninst);
	for (size_t i = 0; i < a->ninst; i++) {
		vt_put_u(out, hide(&a->cfg, a->inst[i].key));
		put_facts(out, &a->inst[i].facts);
		vt_put_u(out, hide(&a->cfg, a->inst[i].last_fp));
		vt_put_u(out, (uint64_t)a->inst[i].has_fp);
	}
	vt_put_u(out, a->nstreams);
	for (size_t i = 0; i < a->nstreams; i++) {
		vt_put_u(out, hide(&a->cfg, a->streams[i].key));
		put_facts(out, &a->streams[i].pending);
		vt_put_u(out, a->streams[i].generation);
		vt_put_u(out, (uint64_t)a->streams[i].booting);
		vt_put_u(out, (uint64_t)a->streams[i].seen);
	}
	put_array(out, (const uint64_t *)&a->loose,
		  sizeof(a->loose) / sizeof(uint64_t));
	/* Version 2: what configurations said, per instance, in order. */
	for (size_t i = 0; i < a->ninst; i++) {
		const struct instance *in = &a->inst[i];

		vt_put_u(out, hide(&a->cfg, in->component));
		vt_put_u(out, (uint64_t)in->has_cfg);
		vt_put_u(out, hide(&a->cfg, in->cfg_fp));
		vt_put_u(out, (uint64_t)in->session);
		for (int k = 0; k < VT_STEP_COUNT; k++)
			vt_put_u(out, in->steps[k]);
	}
	/* Version 3: each period's tool calls by hour. */
	for (size_t i = 0; i < a->nperiods; i++) {
		const struct period *p = a->periods[i];

		vt_put_u(out, p->nhours);
		for (size_t k = 0; k < p->nhours; k++) {
			vt_put_s(out, p->hours[k]);
			vt_put_u(out, p->hour_calls[k]);
		}
	}
	encode_v4(a, out);
	encode_v5(a, out);
	return vt_crc_seal(out, start);
}

/* Reads a length-prefixed array into v[0..cap); extra entries refused. */
static void get_array(struct vt_reader *r, uint64_t *v, size_t cap)
{
	uint64_t n = vt_get_u(r);

	if (n > cap) {
		r->bad = 1;
		return;
	}
	for (uint64_t i = 0; i < n && !r->bad; i++)
		v[i] = vt_get_u(r);
}

static size_t get_count(struct vt_reader *r, size_t limit)
{
	uint64_t n = vt_get_u(r);

	if (n > limit || n > (uint64_t)(r->end - r->p)) {
		r->bad = 1;
		return 0;
	}
	return (size_t)n;
}

static void get_facts(struct vt_reader *r, struct facts *f)
{
	f->conflict = (int)vt_get_s(r);
	f->inauth = (int)vt_get_s(r);
	f->backends = vt_get_s(r);
	f->composite = vt_get_s(r);
	f->outauth = (uint32_t)vt_get_u(r);
	f->features = (uint32_t)vt_get_u(r);
	if (f->conflict < -1 || f->conflict >= VT_CONFLICT_UNKNOWN ||
	    f->inauth < -1 || f->inauth >= VT_INAUTH_UNKNOWN)
		r->bad = 1;
}

static void get_named(struct vt_reader *r, const struct vt_allowlist *list,
		      uint64_t *counts, size_t known,
		      const char *const *tail, size_t ntail)
{
	size_t n = get_count(r, VT_MAX_NAMES + BACKEND_TAILS + 2);

	for (size_t i = 0; i < n && !r->bad; i++) {
		size_t len = get_count(r, VT_MAX_NAME_LEN + 1);
		const char *name = (const char *)r->p;
		size_t slot = known; /* "other" */

		if (r->bad)
			return;
		r->p += len;
		uint64_t c = vt_get_u(r);
		for (size_t t = 0; t < ntail; t++)
			if (strlen(tail[t]) == len && !memcmp(tail[t], name, len))
				slot = known + t;
		int idx = slot == known ? vt_allowlist_find(list, name, len) : -1;
		counts[idx >= 0 ? (size_t)idx : slot] += c;
	}
}

static void get_period(struct vt_reader *r, struct vt_agg *a)
{
	int64_t start = vt_get_time(r);

	if (r->bad)
		return;
	struct period *p = vt_agg_period(a, start);

	p->min_ts = vt_get_time(r);
	p->max_ts = vt_get_time(r);
	p->has_ts = vt_get_u(r) != 0;
	get_array(r, (uint64_t *)&p->c, FIXED_COUNTS);
	get_named(r, a->cfg.servers, p->c.backends, VT_MAX_NAMES,
		  backend_tail, BACKEND_TAILS);
	get_named(r, a->cfg.clients, p->c.clients, VT_MAX_NAMES, client_tail,
		  1);
	get_array(r, (uint64_t *)&p->q, sizeof(p->q) / sizeof(uint64_t));
	size_t n = get_count(r, a->cfg.max_instances);
	for (size_t k = 0; k < n && !r->bad; k++) {
		struct inst_stats *s =
			vt_agg_stats(a, p, get_hidden(r, &a->cfg));

		if (!s) {
			r->bad = 1;
			return;
		}
		s->audit_calls = vt_get_u(r);
		s->debug_calls = vt_get_u(r);
		s->first = vt_get_time(r);
		s->last = vt_get_time(r);
		s->has_time = vt_get_u(r) != 0;
		s->seen = (unsigned)vt_get_u(r);
	}
	n = get_count(r, SIZE_MAX);
	for (size_t k = 0; k < n && !r->bad; k++) {
		uint64_t key = get_hidden(r, &a->cfg);

		if (vt_map_get(&p->procs, key) == VT_MAP_NONE)
			vt_map_put(&p->procs, key, 0);
	}
}

static int get_enum(struct vt_reader *r, int count)
{
	int64_t v = vt_get_s(r);

	if (v < -1 || v >= count)
		r->bad = 1;
	return (int)v;
}

static void decode_v4(struct vt_reader *r, struct vt_agg *a)
{
	for (size_t i = 0; i < a->nperiods && !r->bad; i++) {
		struct period *p = a->periods[i];

		get_named(r, a->cfg.clients, p->c.discover_clients,
			  VT_MAX_NAMES, client_tail, 1);
		for (size_t k = 0; k < p->ninst && !r->bad; k++) {
			get_array(r, p->inst[k].wf, VT_WFL_COUNT);
			p->inst[k].sessions = vt_get_u(r);
		}
	}
	for (size_t i = 0; i < a->ninst && !r->bad; i++) {
		a->inst[i].facts.mode = get_enum(r, VT_BMODE_COUNT);
		a->inst[i].facts.session = get_enum(r, VT_SESSION_COUNT);
	}
	for (size_t i = 0; i < a->nstreams && !r->bad; i++) {
		a->streams[i].pending.mode = get_enum(r, VT_BMODE_COUNT);
		a->streams[i].pending.session = get_enum(r, VT_SESSION_COUNT);
	}
}

static void decode_v5(struct vt_reader *r, struct vt_agg *a)
{
	for (size_t i = 0; i < a->nstreams && !r->bad; i++)
		a->streams[i].pending.settings = get_hidden(r, &a->cfg);
	for (size_t i = 0; i < a->nperiods && !r->bad; i++) {
		size_t n = get_count(r, 4 * (size_t)VT_MAX_MAX_INSTANCES);

		for (size_t k = 0; k < n && !r->bad; k++) {
			uint64_t stream = get_hidden(r, &a->cfg);
			uint64_t gen = vt_get_u(r);
			struct usage u;

			memset(&u, 0, sizeof(u));
			get_array(r, u.wf, VT_WFL_COUNT);
			u.sessions = vt_get_u(r);
			u.debug_calls = vt_get_u(r);
			u.audited = (unsigned)vt_get_u(r) &
				    (VT_AUD_SESSIONS | VT_AUD_WORKFLOWS |
				     VT_AUD_CALLS);
			u.app = vt_get_u(r) != 0;
			u.instance = get_hidden(r, &a->cfg);
			u.has_instance = vt_get_u(r) != 0;
			if (gen > UINT32_MAX)
				r->bad = 1;
			else
				vt_period_add_usage(a, a->periods[i], stream,
						    (uint32_t)gen, &u);
		}
	}
}

enum vt_err vt_agg_decode(const struct vt_agg_config *cfg, const char *p,
			  size_t n, struct vt_agg **out)
{
	const unsigned char *u = (const unsigned char *)p;
	struct vt_reader r;
	struct vt_agg *a;

	if (n < sizeof(MAGIC) + 5 || memcmp(p, MAGIC, sizeof(MAGIC)) != 0)
		return VT_ERR_CORRUPT;
	if (!vt_crc_check(p, n))
		return VT_ERR_CORRUPT;
	if (u[4] > VT_AGG_FORMAT_VERSION)
		return VT_ERR_VERSION;
	if (u[4] < 1)
		return VT_ERR_CORRUPT;
	r.p = u + 5;
	r.end = u + n - 4;
	r.bad = 0;
	/* Take back what the encoding holds; cfg's caps apply from here on. */
	struct vt_agg_config wide = *cfg;
	wide.max_instances = VT_MAX_MAX_INSTANCES;
	wide.max_streams = 4 * (size_t)VT_MAX_MAX_INSTANCES;
	a = vt_agg_new(&wide);
	if (vt_get_s(&r) != cfg->period_seconds)
		r.bad = 1;
	a->now = vt_get_time(&r);
	size_t np = get_count(&r, 100000);
	for (size_t i = 0; i < np && !r.bad; i++)
		get_period(&r, a);
	size_t ni = get_count(&r, a->cfg.max_instances);
	for (size_t i = 0; i < ni && !r.bad; i++) {
		struct instance *in =
			vt_agg_instance_get(a, get_hidden(&r, &a->cfg));

		if (!in) {
			r.bad = 1;
			break;
		}
		get_facts(&r, &in->facts);
		in->last_fp = get_hidden(&r, &a->cfg);
		in->has_fp = vt_get_u(&r) != 0;
	}
	size_t ns = get_count(&r, a->cfg.max_streams);
	for (size_t i = 0; i < ns && !r.bad; i++) {
		struct stream *s =
			vt_agg_stream_get(a, get_hidden(&r, &a->cfg));

		if (!s) {
			r.bad = 1;
			break;
		}
		get_facts(&r, &s->pending);
		s->generation = (uint32_t)vt_get_u(&r);
		s->booting = vt_get_u(&r) != 0;
		s->seen = vt_get_u(&r) != 0;
	}
	get_array(&r, (uint64_t *)&a->loose,
		  sizeof(a->loose) / sizeof(uint64_t));
	for (size_t i = 0; u[4] >= 2 && i < a->ninst && !r.bad; i++) {
		struct instance *in = &a->inst[i];

		in->component = get_hidden(&r, &a->cfg);
		in->has_cfg = vt_get_u(&r) != 0;
		in->cfg_fp = get_hidden(&r, &a->cfg);
		uint64_t session = vt_get_u(&r);
		in->session = session < VT_SESSION_COUNT ? (int)session
							 : VT_SESSION_UNKNOWN;
		for (int k = 0; k < VT_STEP_COUNT; k++)
			in->steps[k] = (uint32_t)vt_get_u(&r);
	}
	for (size_t i = 0; u[4] >= 3 && i < a->nperiods && !r.bad; i++) {
		size_t nh = get_count(&r, VT_MAX_HOURS);

		for (size_t k = 0; k < nh && !r.bad; k++) {
			/* an hour index: time / 3600 */
			int64_t hour = vt_get_s(&r);
			uint64_t calls = vt_get_u(&r);
			struct period *per = a->periods[i];

			if (hour < VT_TIME_MIN / 3600 ||
			    hour > VT_TIME_MAX / 3600)
				r.bad = 1;
			else if (vt_map_get(&per->hour_map, (uint64_t)hour) !=
				 VT_MAP_NONE)
				r.bad = 1; /* each hour once */
			else
				vt_period_add_calls(a->periods[i], hour, calls);
		}
	}
	if (u[4] >= 4)
		decode_v4(&r, a);
	if (u[4] >= 5)
		decode_v5(&r, a);
	if (r.bad || r.p != r.end) {
		vt_agg_free(a);
		return VT_ERR_CORRUPT;
	}
	a->cfg.max_instances = cfg->max_instances ? cfg->max_instances
						  : VT_DEFAULT_MAX_INSTANCES;
	a->cfg.max_streams = cfg->max_streams ? cfg->max_streams
					      : 4 * a->cfg.max_instances;
	*out = a;
	return VT_OK;
}
