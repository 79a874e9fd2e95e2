/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the YAML tree and vMCP configurations read from it. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../aggregator/config.h"
#include "../../parser/yaml.h"
#include "../../util/hash.h"

static struct vt_ydocs load_ok(const char *text)
{
	struct vt_ydocs d;
	size_t line;
	const char *what;

	ck_assert_int_eq(vt_yaml_load(text, strlen(text), &d, &line, &what),
			 VT_OK);
	return d;
}

START_TEST(test_tree_and_paths)
{
	struct vt_ydocs d = load_ok("a:\n  b: [1, two, ~]\n  c: 'null'\n"
				    "---\nplain\n");

	ck_assert_uint_eq(d.n, 2);
	const struct vt_ynode *b = vt_yaml_path(&d.docs[0], "a", "b", NULL);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(b->kind, VT_Y_SEQ);
	ck_assert_uint_eq(b->n, 3);
	ck_assert(vt_yaml_is(&b->kids[1], "two"));
	ck_assert_int_eq(b->kids[2].kind, VT_Y_NULL);
	/* a quoted "null" is a string */
	ck_assert(vt_yaml_is(vt_yaml_path(&d.docs[0], "a", "c", NULL), "null"));
	ck_assert_ptr_null(vt_yaml_path(&d.docs[0], "a", "x", NULL));
	ck_assert(vt_yaml_is(&d.docs[1], "plain"));
	vt_yaml_free(&d);
}
END_TEST

START_TEST(test_bool)
{
	struct vt_ydocs d = load_ok("[true, False, yes, off, 'maybe', {}]");
	const struct vt_ynode *s = &d.docs[0];

	ck_assert_int_eq(vt_yaml_bool(&s->kids[0]), 1);
	ck_assert_int_eq(vt_yaml_bool(&s->kids[1]), 0);
	ck_assert_int_eq(vt_yaml_bool(&s->kids[2]), 1);
	ck_assert_int_eq(vt_yaml_bool(&s->kids[3]), 0);
	ck_assert_int_eq(vt_yaml_bool(&s->kids[4]), -1);
	ck_assert_int_eq(vt_yaml_bool(&s->kids[5]), -1);
	ck_assert_int_eq(vt_yaml_bool(NULL), -1);
	vt_yaml_free(&d);
}
END_TEST

START_TEST(test_fingerprint_ignores_layout)
{
	struct vt_ydocs a = load_ok("# comment\nx: 1\ny: [a, b]\n");
	struct vt_ydocs b = load_ok("x:   \"1\"\ny:\n  - a\n  - 'b'\n");
	struct vt_ydocs c = load_ok("x: 2\ny: [a, b]\n");
	struct vt_ydocs e = load_ok("x: 1\ny: [a, [b]]\n");

	ck_assert_uint_eq(a.fps[0], b.fps[0]);
	ck_assert_uint_ne(a.fps[0], c.fps[0]);
	ck_assert_uint_ne(a.fps[0], e.fps[0]);
	vt_yaml_free(&a);
	vt_yaml_free(&b);
	vt_yaml_free(&c);
	vt_yaml_free(&e);
}
END_TEST

START_TEST(test_errors)
{
	struct vt_ydocs d;
	size_t line;
	const char *what;
	static const char broken[] = "a: 1\nb: [x\n";

	ck_assert_int_eq(vt_yaml_load(broken, strlen(broken), &d, &line, &what),
			 VT_ERR_FORMAT);
	ck_assert_uint_ge(line, 2);
	ck_assert_ptr_nonnull(what);
	ck_assert_uint_eq(d.n, 0);
	/* depth beyond the limit */
	size_t n = 2 * (VT_YAML_MAX_DEPTH + 5);
	char *deep = malloc(n + 1);
	memset(deep, '[', n / 2);
	memset(deep + n / 2, ']', n / 2);
	deep[n] = '\0';
	ck_assert_int_eq(vt_yaml_load(deep, n, &d, &line, &what),
			 VT_ERR_LIMIT);
	free(deep);
	/* aliases are not expanded */
	struct vt_ydocs al = load_ok("a: &x [1, 2]\nb: *x\n");
	ck_assert_int_eq(vt_yaml_get(&al.docs[0], "b")->kind, VT_Y_NULL);
	vt_yaml_free(&al);
	/* empty input: no documents, no error */
	ck_assert_int_eq(vt_yaml_load("", 0, &d, &line, &what), VT_OK);
	ck_assert_uint_eq(d.n, 0);
	vt_yaml_free(&d);
}
END_TEST

static size_t collect(const char *text, struct vt_config_facts **cf)
{
	struct vt_ydocs d = load_ok(text);
	size_t n = 0;

	*cf = NULL;
	vt_config_collect(&d, cf, &n);
	vt_yaml_free(&d);
	return n;
}

START_TEST(test_config_cli)
{
	struct vt_config_facts *cf;
	size_t n = collect("name: x\ngroupRef: g\nincomingAuth: {type: oidc}\n"
			   "outgoingAuth:\n  default: {type: token_exchange}\n"
			   "  backends:\n    b: {type: obo}\n"
			   "audit: {}\ncodeMode: {enabled: true}\n",
			   &cf);

	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(cf[0].inauth, VT_INAUTH_OIDC);
	ck_assert_int_eq(cf[0].conflict, VT_CONFLICT_PREFIX); /* default */
	ck_assert_uint_eq(cf[0].outauth, (1u << VT_OUTAUTH_TOKEN_EXCHANGE) |
						 (1u << VT_OUTAUTH_OBO));
	/* a CLI file always gets the operational defaults: health checks */
	ck_assert_uint_eq(cf[0].features,
			  (1u << VT_FEATURE_AUDIT) | (1u << VT_FEATURE_CODE_MODE) |
				  (1u << VT_FEATURE_HEALTH_MONITORING));
	/* an audit section without a component: ToolHive's two defaults */
	ck_assert_uint_eq(cf[0].component, vt_hash64("toolhive-api", 12));
	ck_assert_uint_eq(cf[0].component2, vt_hash64("vmcp-composer", 13));
	ck_assert_int_eq(cf[0].backends, -1);
	ck_assert_int_eq(cf[0].composite, 0);
	ck_assert_int_eq(cf[0].session, VT_SESSION_MEMORY);
	ck_assert_uint_ne(cf[0].component, 0);
	free(cf);
}
END_TEST

START_TEST(test_config_unknown_values)
{
	struct vt_config_facts *cf;
	size_t n = collect("incomingAuth: {type: kerberos}\n"
			   "aggregation: {conflictResolution: newest}\n"
			   "sessionStorage: {provider: etcd}\n"
			   "compositeTools:\n  - steps: [{type: sleep}, {}]\n",
			   &cf);

	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(cf[0].inauth, VT_INAUTH_OTHER);
	ck_assert_int_eq(cf[0].conflict, VT_CONFLICT_OTHER);
	ck_assert_int_eq(cf[0].session, VT_SESSION_OTHER);
	ck_assert_int_eq(cf[0].composite, 1);
	ck_assert_uint_eq(cf[0].steps[VT_STEP_OTHER], 1);
	ck_assert_uint_eq(cf[0].steps[VT_STEP_TOOL], 1);
	/* no audit section: only --enable-audit audits, as vmcp-server */
	ck_assert_uint_eq(cf[0].component, vt_hash64("vmcp-server", 11));
	ck_assert_uint_eq(cf[0].component2, 0);
	free(cf);
}
END_TEST

START_TEST(test_config_skips_other_documents)
{
	struct vt_config_facts *cf;

	ck_assert_uint_eq(collect("kind: Service\nspec: {}\n---\n[1, 2]\n---\n"
				  "just text\n",
				  &cf),
			  0);
	free(cf);
	/* a ConfigMap holding something that is not YAML is skipped */
	ck_assert_uint_eq(collect("kind: ConfigMap\ndata:\n  a: \"[\"\n", &cf),
			  0);
	free(cf);
}
END_TEST

START_TEST(test_config_applied)
{
	struct vt_allowlist *servers = vt_allowlist_new();
	struct vt_allowlist *clients = vt_allowlist_new();
	struct vt_agg_config acfg = { 0, 16, 16, servers, clients, NULL };
	struct vt_agg *a = vt_agg_new(&acfg);
	struct vt_config_facts cf;
	struct vt_summary s;

	memset(&cf, 0, sizeof(cf));
	cf.conflict = VT_CONFLICT_MANUAL;
	cf.inauth = VT_INAUTH_LOCAL;
	cf.backends = 4;
	cf.composite = 2;
	cf.session = VT_SESSION_REDIS;
	cf.steps[VT_STEP_FOREACH] = 3;
	cf.key = 42;
	cf.fingerprint = 7;
	vt_agg_set_now(a, 1000);
	ck_assert_int_eq(vt_agg_add_config(a, &cf, VT_CONFIG_ONLY), 1);
	ck_assert_int_eq(vt_agg_add_config(a, &cf, VT_CONFIG_ONLY), 0); /* no change */
	vt_agg_summarize(a, 0, &s);
	ck_assert_uint_eq(s.instances, 1);
	ck_assert_uint_eq(s.instances_configured, 1);
	ck_assert_uint_eq(s.conflict[VT_CONFLICT_MANUAL], 1);
	ck_assert_uint_eq(s.incoming_auth[VT_INAUTH_LOCAL], 1);
	ck_assert_uint_eq(s.session_storage[VT_SESSION_REDIS], 1);
	ck_assert_uint_eq(s.composite_steps_defined[VT_STEP_FOREACH], 3);
	ck_assert_uint_eq(s.config_changes, 0);
	cf.fingerprint = 8;
	ck_assert_int_eq(vt_agg_add_config(a, &cf, VT_CONFIG_ONLY), 1);
	vt_agg_summarize(a, 0, &s);
	ck_assert_uint_eq(s.config_changes, 1);
	/* the facts survive serialization (format version 2) */
	struct vt_buf b;
	struct vt_agg *back = NULL;
	vt_buf_init(&b, 1 << 20);
	ck_assert_int_eq(vt_agg_encode(a, &b), VT_OK);
	ck_assert_int_eq(vt_agg_decode(&acfg, b.ptr, b.len, &back), VT_OK);
	ck_assert_int_eq(vt_agg_add_config(back, &cf, VT_CONFIG_ONLY), 0);
	vt_agg_summarize(back, 0, &s);
	ck_assert_uint_eq(s.session_storage[VT_SESSION_REDIS], 1);
	ck_assert_uint_eq(s.composite_steps_defined[VT_STEP_FOREACH], 3);
	vt_buf_release(&b);
	vt_agg_free(back);
	vt_agg_free(a);
	vt_allowlist_free(servers);
	vt_allowlist_free(clients);
}
END_TEST

Suite *yaml_suite(void);
Suite *yaml_suite(void)
{
	Suite *s = suite_create("yaml");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_tree_and_paths);
	tcase_add_test(tc, test_bool);
	tcase_add_test(tc, test_fingerprint_ignores_layout);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_config_cli);
	tcase_add_test(tc, test_config_unknown_values);
	tcase_add_test(tc, test_config_skips_other_documents);
	tcase_add_test(tc, test_config_applied);
	suite_add_tcase(s, tc);
	return s;
}
