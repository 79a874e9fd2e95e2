/* SPDX-License-Identifier: Apache-2.0 */
/*
 * From a vMCP configuration to facts. Key names and enum values are the
 * ones vMCP's own loader and the operator's CRDs use (docs/inputs.md has
 * the table). Names, URLs and secrets are read only to follow references
 * inside the same file and are never copied out: the facts hold enums,
 * counts and 64-bit hashes.
 */
#include "config.h"

#include "../util/hash.h"

#include <string.h>
#include <strings.h>

/* Keys only a vMCP configuration has at its top level. */
static const char *const config_keys[] = {
	"incomingAuth", "outgoingAuth", "aggregation", "groupRef",
	"compositeTools", "compositeToolRefs", "backends",
};

static int is_config(const struct vt_ynode *m)
{
	if (!m || m->kind != VT_Y_MAP || vt_yaml_get(m, "kind"))
		return 0;
	for (size_t i = 0; i < sizeof(config_keys) / sizeof(*config_keys); i++)
		if (vt_yaml_get(m, config_keys[i]))
			return 1;
	return 0;
}

static int kind_is(const struct vt_ynode *doc, const char *kind)
{
	return vt_yaml_is(vt_yaml_get(doc, "kind"), kind);
}

static const char *scalar(const struct vt_ynode *n)
{
	return n && n->kind == VT_Y_SCALAR ? n->str : NULL;
}

/* The index of v among names[0..known), known ("other") if absent. */
static int index_of(const char *const *names, int known,
		    const struct vt_ynode *v)
{
	const char *s = scalar(v);

	if (!s)
		return -1;
	for (int i = 0; i < known; i++)
		if (!strcmp(names[i], s))
			return i;
	return known;
}

/* A strategy name, as vMCP's runtime or the operator's CRD spells it. */
static uint32_t outauth_bit(const struct vt_ynode *type)
{
	static const struct {
		const char *name;
		enum vt_outauth v;
	} crd[] = {
		{ "tokenExchange", VT_OUTAUTH_TOKEN_EXCHANGE },
		{ "headerInjection", VT_OUTAUTH_HEADER_INJECTION },
		{ "upstreamInject", VT_OUTAUTH_UPSTREAM_INJECT },
		{ "awsSts", VT_OUTAUTH_AWS_STS },
	};
	const char *s = scalar(type);

	if (!s)
		return 0;
	for (size_t i = 0; i < sizeof(crd) / sizeof(*crd); i++)
		if (!strcmp(s, crd[i].name))
			return 1u << crd[i].v;
	return 1u << index_of(vt_outauth_names, VT_OUTAUTH_OTHER, type);
}

static const struct vt_ynode *metadata_name(const struct vt_ynode *doc)
{
	return vt_yaml_path(doc, "metadata", "name", NULL);
}

/* A groupRef is a string in the CLI file and {name: ...} in the CRD. */
static const char *group_of(const struct vt_ynode *spec)
{
	const struct vt_ynode *g = vt_yaml_get(spec, "groupRef");

	return g && g->kind == VT_Y_MAP ? scalar(vt_yaml_get(g, "name"))
					: scalar(g);
}

struct stream {
	const struct vt_ydocs *d;
	uint64_t fp; /* grows with every document a configuration uses */
};

/* The document of kind whose metadata.name is name, or NULL. */
static const struct vt_ynode *find(struct stream *st, const char *kind,
				   const char *name)
{
	for (size_t i = 0; name && i < st->d->n; i++) {
		const struct vt_ynode *doc = &st->d->docs[i];

		if (kind_is(doc, kind) && vt_yaml_is(metadata_name(doc), name)) {
			st->fp = vt_mix64(st->fp ^ st->d->fps[i]);
			return doc;
		}
	}
	return NULL;
}

static void count_steps(const struct vt_ynode *steps, uint32_t *out)
{
	if (!steps || steps->kind != VT_Y_SEQ)
		return;
	for (size_t i = 0; i < steps->n; i++) {
		const struct vt_ynode *t = vt_yaml_get(&steps->kids[i], "type");
		int k = scalar(t) ? index_of(vt_step_type_names, VT_STEP_OTHER, t)
				  : VT_STEP_TOOL; /* the default type */

		out[k]++;
	}
}

static int64_t seq_len(const struct vt_ynode *n)
{
	return n && n->kind == VT_Y_SEQ ? (int64_t)n->n : 0;
}

/*
 * sessionStorage.provider as vMCP applies it (server.go:355-366): absent,
 * empty or a caseless "memory" is in-process storage, exactly "redis" is
 * Redis, anything else fails startup ("other").
 */
static int session_of(const struct vt_ynode *n)
{
	const char *s = scalar(n);

	if (!s || !*s || !strcasecmp(s, "memory"))
		return VT_SESSION_MEMORY;
	return !strcmp(s, "redis") ? VT_SESSION_REDIS : VT_SESSION_OTHER;
}

/* Features the configuration turns on that the logs may not show. */
static void config_features(const struct vt_ynode *c,
			    struct vt_config_facts *cf)
{
	const struct vt_ynode *n = vt_yaml_get(c, "telemetry");

	if (n && n->kind == VT_Y_MAP)
		cf->features |= 1u << VT_FEATURE_TELEMETRY;
	if (vt_yaml_is(vt_yaml_path(c, "incomingAuth", "authz", "type", NULL),
		       "cedar"))
		cf->features |= 1u << VT_FEATURE_AUTHORIZATION;
	if (vt_yaml_bool(vt_yaml_path(c, "operational", "failureHandling",
				      "circuitBreaker", "enabled", NULL)) == 1)
		cf->features |= 1u << VT_FEATURE_CIRCUIT_BREAKER;
	n = vt_yaml_get(c, "passthroughHeaders");
	if (n && n->kind == VT_Y_SEQ && n->n)
		cf->features |= 1u << VT_FEATURE_PASSTHROUGH_HEADERS;
}

/* The keys the CLI file and the CRD's spec.config share. */
static void from_config(const struct vt_ynode *c, struct vt_config_facts *cf,
			int crd)
{
	const struct vt_ynode *n, *audit;

	n = vt_yaml_path(c, "aggregation", "conflictResolution", NULL);
	/* Without one vMCP uses prefix ("using default prefix strategy"). */
	cf->conflict = scalar(n) ? index_of(vt_conflict_names,
					    VT_CONFLICT_OTHER, n)
				 : VT_CONFLICT_PREFIX;
	n = vt_yaml_path(c, "incomingAuth", "type", NULL);
	if (scalar(n))
		cf->inauth = index_of(vt_inauth_names, VT_INAUTH_OTHER, n);
	n = vt_yaml_path(c, "outgoingAuth", "default", "type", NULL);
	cf->outauth |= outauth_bit(n);
	n = vt_yaml_path(c, "outgoingAuth", "backends", NULL);
	for (size_t i = 1; n && n->kind == VT_Y_MAP && i < n->n; i += 2)
		cf->outauth |= outauth_bit(vt_yaml_get(&n->kids[i], "type"));
	n = vt_yaml_get(c, "backends");
	if (n && n->kind == VT_Y_SEQ)
		cf->backends = (int64_t)n->n;
	n = vt_yaml_get(c, "compositeTools");
	cf->composite = seq_len(n);
	for (size_t i = 0; n && n->kind == VT_Y_SEQ && i < n->n; i++)
		count_steps(vt_yaml_get(&n->kids[i], "steps"), cf->steps);
	/*
	 * The CLI turns audit on for any audit section; the operator copies
	 * spec.config.audit into the ConfigMap only when enabled is true.
	 */
	audit = vt_yaml_get(c, "audit");
	if (audit && audit->kind == VT_Y_MAP &&
	    (!crd || vt_yaml_bool(vt_yaml_get(audit, "enabled")) == 1))
		cf->features |= 1u << VT_FEATURE_AUDIT;
	n = scalar(vt_yaml_get(audit, "component"))
		    ? vt_yaml_get(audit, "component")
		    : NULL;
	if (n && n->len)
		cf->component = vt_hash64(n->str, n->len);
	n = vt_yaml_get(c, "optimizer");
	if (n && n->kind == VT_Y_MAP)
		cf->features |= 1u << VT_FEATURE_OPTIMIZER;
	if (vt_yaml_bool(vt_yaml_path(c, "codeMode", "enabled", NULL)) == 1)
		cf->features |= 1u << VT_FEATURE_CODE_MODE;
	cf->session = session_of(vt_yaml_path(c, "sessionStorage", "provider",
					      NULL));
	config_features(c, cf);
}

static void init_facts(struct vt_config_facts *cf)
{
	memset(cf, 0, sizeof(*cf));
	cf->conflict = -1;
	cf->inauth = -1;
	cf->backends = -1;
	cf->composite = -1;
	cf->session = VT_SESSION_MEMORY;
	/*
	 * vmcp serve loads every configuration (a CLI file, the ConfigMap
	 * the operator renders) through a loader that fills the operational
	 * defaults: health monitoring is always on (yaml_loader.go:79).
	 */
	cf->features = 1u << VT_FEATURE_HEALTH_MONITORING;
}

static uint64_t own_key(const char *ns, const char *name, uint64_t fp)
{
	uint64_t h = vt_hash64("vmcp-config", 11);

	if (!name)
		return VT_INSTANCE_KEY(vt_mix64(h ^ fp), 0);
	h = vt_hash64_more(h, ns ? ns : "", ns ? strlen(ns) : 0);
	h = vt_hash64_more(h, "/", 1);
	return VT_INSTANCE_KEY(vt_hash64_more(h, name, strlen(name)), ns != NULL);
}

/* {type: externalAuthConfigRef, externalAuthConfigRef: {name}} */
static void outauth_ref(struct stream *st, const struct vt_ynode *e,
			struct vt_config_facts *cf)
{
	const char *name =
		scalar(vt_yaml_path(e, "externalAuthConfigRef", "name", NULL));
	const struct vt_ynode *x = find(st, "MCPExternalAuthConfig", name);

	if (x)
		cf->outauth |= outauth_bit(vt_yaml_path(x, "spec", "type", NULL));
}

/* A VirtualMCPServer, with what it refers to in the same stream. */
static void from_crd(struct stream *st, const struct vt_ynode *doc,
		     struct vt_config_facts *cf)
{
	const struct vt_ynode *spec = vt_yaml_get(doc, "spec");
	const struct vt_ynode *config = vt_yaml_get(spec, "config");
	const struct vt_ynode *n, *out = vt_yaml_get(spec, "outgoingAuth");
	const char *group = group_of(spec);
	int64_t servers = 0;

	from_config(config, cf, 1);
	n = vt_yaml_path(spec, "incomingAuth", "type", NULL);
	if (scalar(n))
		cf->inauth = index_of(vt_inauth_names, VT_INAUTH_OTHER, n);
	/* Outgoing auth: explicit references, then what backends carry. */
	outauth_ref(st, vt_yaml_get(out, "default"), cf);
	n = vt_yaml_get(out, "backends");
	for (size_t i = 1; n && n->kind == VT_Y_MAP && i < n->n; i += 2)
		outauth_ref(st, &n->kids[i], cf);
	int discovered = !vt_yaml_is(vt_yaml_get(out, "source"), "inline");
	for (size_t i = 0; group && i < st->d->n; i++) {
		const struct vt_ynode *b = &st->d->docs[i];
		const struct vt_ynode *bs = vt_yaml_get(b, "spec");

		if (!(kind_is(b, "MCPServer") || kind_is(b, "MCPRemoteProxy") ||
		      kind_is(b, "MCPServerEntry")) ||
		    !group_of(bs) || strcmp(group_of(bs), group) != 0)
			continue;
		servers++;
		st->fp = vt_mix64(st->fp ^ st->d->fps[i]);
		if (!discovered)
			continue;
		const char *name = scalar(
			vt_yaml_path(bs, "externalAuthConfigRef", "name", NULL));
		const struct vt_ynode *x =
			find(st, "MCPExternalAuthConfig", name);
		/*
		 * No reference: vMCP falls back to outgoingAuth.backends.<name>,
		 * then .default, then none (discoverer.go:238-263); those given
		 * were counted above.
		 */
		const char *bn = scalar(vt_yaml_path(b, "metadata", "name",
						     NULL));
		if (!name && !vt_yaml_get(out, "default") &&
		    !(bn && vt_yaml_get(vt_yaml_get(out, "backends"), bn)))
			cf->outauth |= 1u << VT_OUTAUTH_UNAUTHENTICATED;
		else if (x)
			cf->outauth |= outauth_bit(
				vt_yaml_path(x, "spec", "type", NULL));
	}
	if (cf->backends < 0 && servers > 0)
		cf->backends = servers;
	/* Composite tools defined by reference. */
	n = vt_yaml_get(config, "compositeToolRefs");
	if (!n)
		n = vt_yaml_get(spec, "compositeToolRefs");
	cf->composite += seq_len(n);
	for (size_t i = 0; n && n->kind == VT_Y_SEQ && i < n->n; i++) {
		const struct vt_ynode *def =
			find(st, "VirtualMCPCompositeToolDefinition",
			     scalar(vt_yaml_get(&n->kids[i], "name")));

		count_steps(vt_yaml_path(def, "spec", "steps", NULL),
			    cf->steps);
	}
	n = vt_yaml_path(spec, "sessionStorage", "provider", NULL);
	if (n)
		cf->session = session_of(n);
	n = vt_yaml_get(spec, "telemetryConfigRef");
	if (n && n->kind == VT_Y_MAP)
		cf->features |= 1u << VT_FEATURE_TELEMETRY;
	n = vt_yaml_get(spec, "passthroughHeaders");
	if (n && n->kind == VT_Y_SEQ && n->n)
		cf->features |= 1u << VT_FEATURE_PASSTHROUGH_HEADERS;
	n = vt_yaml_get(spec, "embeddingServerRef");
	if (n && n->kind == VT_Y_MAP)
		cf->features |= 1u << VT_FEATURE_OPTIMIZER;
	/* The operator's default audit component is the server's name. */
	n = metadata_name(doc);
	if (!cf->component && scalar(n) && n->len)
		cf->component = vt_hash64(n->str, n->len);
}

static void push(struct vt_config_facts **out, size_t *n,
		 const struct vt_config_facts *cf)
{
	*out = vt_xrealloc(*out, (*n + 1) * sizeof(**out));
	(*out)[(*n)++] = *cf;
}

/* The CLI file's facts; ns and name feed the instance key only. */
static void add_cli(const struct vt_ynode *c, uint64_t fp, const char *ns,
		    const char *fallback_name, struct vt_config_facts **out,
		    size_t *n)
{
	struct vt_config_facts cf;
	const struct vt_ynode *name = vt_yaml_get(c, "name");
	const char *nm = scalar(name) ? scalar(name) : fallback_name;

	init_facts(&cf);
	from_config(c, &cf, 0);
	/* The composite tools a CLI file defines are all in it. */
	if (cf.composite < 0)
		cf.composite = 0;
	cf.composite += seq_len(vt_yaml_get(c, "compositeToolRefs"));
	if (!cf.component && !fallback_name) {
		/*
		 * A CLI file: an audit section with no component writes HTTP
		 * events as toolhive-api and workflow events as
		 * vmcp-composer; with no section, only --enable-audit audits,
		 * as vmcp-server.
		 */
		int has = vt_yaml_get(c, "audit") != NULL;

		cf.component = has ? vt_hash64("toolhive-api", 12)
				   : vt_hash64("vmcp-server", 11);
		cf.component2 = has ? vt_hash64("vmcp-composer", 13) : 0;
	} else if (!cf.component && nm && *nm) {
		cf.component = vt_hash64(nm, strlen(nm));
	}

	cf.fingerprint = fp;
	cf.key = own_key(ns, nm, fp);
	push(out, n, &cf);
}

size_t vt_config_collect(const struct vt_ydocs *d, struct vt_config_facts **out,
			 size_t *n)
{
	size_t before = *n;
	struct stream st = { d, 0 };

	for (size_t i = 0; i < d->n; i++) {
		const struct vt_ynode *doc = &d->docs[i];
		const char *ns = scalar(
			vt_yaml_path(doc, "metadata", "namespace", NULL));

		if (is_config(doc)) {
			add_cli(doc, d->fps[i], NULL, NULL, out, n);
		} else if (kind_is(doc, "ConfigMap")) {
			const struct vt_ynode *data = vt_yaml_get(doc, "data");

			for (size_t k = 1; data && data->kind == VT_Y_MAP &&
					   k < data->n;
			     k += 2) {
				const struct vt_ynode *v = &data->kids[k];
				struct vt_ydocs inner;
				size_t line;
				const char *what;

				if (v->kind != VT_Y_SCALAR ||
				    vt_yaml_load(v->str, v->len, &inner, &line,
						 &what) != VT_OK)
					continue;
				for (size_t j = 0; j < inner.n; j++)
					if (is_config(&inner.docs[j]))
						add_cli(&inner.docs[j],
							inner.fps[j], ns,
							scalar(metadata_name(doc)),
							out, n);
				vt_yaml_free(&inner);
			}
		} else if (kind_is(doc, "VirtualMCPServer")) {
			struct vt_config_facts cf;

			init_facts(&cf);
			st.fp = d->fps[i];
			from_crd(&st, doc, &cf);
			if (cf.composite < 0)
				cf.composite = 0;
			cf.fingerprint = st.fp;
			cf.key = own_key(ns, scalar(metadata_name(doc)), st.fp);
			push(out, n, &cf);
		}
	}
	return *n - before;
}
