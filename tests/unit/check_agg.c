/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for aggregator/agg: vMCP lines in, report numbers out. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../aggregator/agg.h"
#include "../../parser/rules.h"
#include "../../util/timeutil.h"
#include "testutil.h"

/* 2026-08-21T10:00:00Z, a Friday. */
#define BASE INT64_C(1787306400)

static struct vt_decoder *dec;
static struct vt_rules *rules;
static struct vt_allowlist *servers, *clients;

static struct vt_test_tables tables;

static void setup(void)
{
	vt_test_tables_load(&tables);
	dec = tables.dec;
	rules = tables.rules;
	servers = tables.servers;
	clients = tables.clients;
}

static void teardown(void)
{
	vt_test_tables_free(&tables);
}

static struct vt_agg *agg_with(int64_t period_seconds, size_t max_instances)
{
	struct vt_agg_config cfg = { period_seconds, max_instances, 0, servers,
				     clients, NULL };

	return vt_agg_new(&cfg);
}

/* Decodes one line, runs the rules on application lines, feeds it. */
static void feed_as(struct vt_agg *a, uint64_t instance, uint64_t stream,
		    const char *line, enum vt_wrapper wrapper)
{
	struct vt_origin o = { instance, stream };
	struct vt_record rec;
	struct vt_fact facts[VT_FACT_COUNT];
	size_t n = 0;

	vt_decode_line(dec, line, strlen(line), &rec);
	if (rec.cls == VT_LINE_APP)
		n = vt_rules_match(rules, &rec, facts, VT_ARRAY_LEN(facts));
	vt_agg_line(a, &o, &rec, facts, n, wrapper);
}

static void feed(struct vt_agg *a, uint64_t instance, uint64_t stream,
		 const char *line)
{
	feed_as(a, instance, stream, line, VT_WRAP_NONE);
}

static char linebuf[2048];

static const char *ts(int64_t t)
{
	static char buf[4][32];
	static unsigned next;
	char *b = buf[next++ % 4];

	vt_time_format(t, b);
	return b;
}

/* A slog application line; extra is more JSON members (",..."), or "". */
static const char *app(int64_t t, const char *level, const char *msg,
		       const char *extra)
{
	snprintf(linebuf, sizeof(linebuf),
		 "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"%s}", ts(t),
		 level, msg, extra);
	return linebuf;
}

/*
 * An audit event shaped like vMCP's: outcome NULL leaves it out; target
 * and extra are the members of target and metadata.extra.
 */
static const char *audit(int64_t t, const char *type, const char *outcome,
			 const char *target, const char *extra)
{
	char oc[64] = "", when[32];

	if (outcome)
		snprintf(oc, sizeof(oc), "\"outcome\":\"%s\",", outcome);
	/* "...:ssZ" becomes "...:ss.123456789Z", as vMCP writes it. */
	snprintf(when, sizeof(when), "%s", ts(t));
	when[strlen(when) - 1] = '\0';
	snprintf(linebuf, sizeof(linebuf),
		 "{\"time\":\"%s.123456789Z\",\"level\":\"AUDIT\","
		 "\"msg\":\"audit_event\",\"audit_id\":\"a-1\",\"type\":\"%s\","
		 "\"logged_at\":\"%s.123456Z\",%s\"component\":\"vmcp-server\","
		 "\"source\":{\"type\":\"network\",\"value\":\"127.0.0.1\","
		 "\"extra\":{}},\"subjects\":{\"user\":\"anonymous\"},"
		 "\"target\":{%s},\"metadata\":{\"extra\":{%s}}}",
		 when, type, when, oc, target, extra);
	return linebuf;
}

/* A tool call; backend NULL (composite) or duration < 0 leave them out. */
static const char *call(int64_t t, const char *outcome, const char *backend,
			long duration, const char *tool)
{
	char target[256], extra[256];
	int n;

	snprintf(target, sizeof(target),
		 "\"endpoint\":\"/mcp\",\"method\":\"tools/call\","
		 "\"name\":\"%s\",\"type\":\"tool\"",
		 tool ? tool : "some_tool");
	n = snprintf(extra, sizeof(extra), "\"transport\":\"http\"");
	if (duration >= 0)
		n += snprintf(extra + n, sizeof(extra) - (size_t)n,
			      ",\"duration_ms\":%ld", duration);
	if (backend)
		snprintf(extra + n, sizeof(extra) - (size_t)n,
			 ",\"backend_name\":\"%s\"", backend);
	return audit(t, "mcp_tool_call", outcome, target, extra);
}

static const char *init(int64_t t, const char *outcome, const char *client)
{
	char target[256];

	snprintf(target, sizeof(target),
		 "\"endpoint\":\"/mcp\",\"method\":\"initialize\","
		 "\"name\":\"%s\",\"type\":\"endpoint\"",
		 client);
	return audit(t, "mcp_initialize", outcome, target,
		     "\"duration_ms\":70,\"transport\":\"http\"");
}

static const char *workflow(int64_t t, const char *type)
{
	return audit(t, type, "success",
		     "\"type\":\"workflow\",\"workflow_id\":\"w\","
		     "\"workflow_name\":\"wf\"",
		     "\"duration_ms\":100,\"step_count\":2");
}

static const char *step(int64_t t, const char *type, const char *step_type)
{
	char target[256];

	if (step_type)
		snprintf(target, sizeof(target),
			 "\"step_id\":\"s\",\"step_type\":\"%s\","
			 "\"type\":\"workflow_step\",\"workflow_id\":\"w\"",
			 step_type);
	else
		snprintf(target, sizeof(target),
			 "\"step_id\":\"s\",\"type\":\"workflow_step\","
			 "\"workflow_id\":\"w\"");
	return audit(t, type, "success", target, "");
}

/* The startup lines of one vMCP process, conflict strategy given. */
static void boot(struct vt_agg *a, uint64_t inst, uint64_t stream, int64_t t,
		 const char *conflict)
{
	char msg[128];

	feed(a, inst, stream,
	     app(t, "INFO", "Loading configuration from: /etc/vmcp/config.yaml",
		 ""));
	snprintf(msg, sizeof(msg), "  Conflict Resolution: %s", conflict);
	feed(a, inst, stream, app(t, "INFO", msg, ""));
	feed(a, inst, stream,
	     app(t, "INFO", "Loaded 3 composite tool workflow definitions", ""));
	feed(a, inst, stream,
	     app(t + 1, "INFO", "Static mode: using 7 pre-configured backends",
		 ""));
	feed(a, inst, stream,
	     app(t + 1, "INFO", "creating local authentication middleware", ""));
	feed(a, inst, stream,
	     app(t + 1, "DEBUG", "backend configured with auth strategy from config",
		 ",\"strategy\":\"token_exchange\""));
	feed(a, inst, stream,
	     app(t + 1, "DEBUG", "backend configured with auth strategy from config",
		 ",\"strategy\":\"header_injection\""));
	feed(a, inst, stream,
	     app(t + 2, "INFO", "starting Virtual MCP Server",
		 ",\"address\":\"0.0.0.0:4483\",\"endpoint\":\"/mcp\""));
}

static struct vt_summary sum;

static const struct vt_summary *summarize(const struct vt_agg *a, size_t i)
{
	ck_assert_uint_gt(vt_agg_period_count(a), i);
	vt_agg_summarize(a, i, &sum);
	return &sum;
}

static int b125(const char *label)
{
	int b = vt_125_parse(label, strlen(label));

	ck_assert_int_ge(b, 0);
	return b;
}

/*
 * run's horizon: a time at it is a time; one second past it is none (a
 * broken or hostile clock), counted in bad_timestamps and in the newest
 * open period, never opening one of its own.
 */
START_TEST(times_past_the_horizon)
{
	struct vt_agg *a = agg_with(3600, 0);
	int64_t horizon = BASE + 7 * 86400;
	uint64_t calls = 0, bad = 0, untimed = 0;

	vt_agg_set_now(a, BASE);
	vt_agg_set_horizon(a, horizon);
	feed(a, 1, 10, call(BASE, "success", "github", 5, NULL));
	feed(a, 1, 10, call(horizon, "success", "github", 5, NULL));
	feed(a, 1, 10, call(horizon + 1, "success", "github", 5, NULL));
	ck_assert_uint_eq(vt_agg_period_count(a), 2);
	for (size_t i = 0; i < 2; i++) {
		const struct vt_summary *s = summarize(a, i);

		calls += s->tool_calls;
		bad += s->quality.bad_timestamps;
		untimed += s->quality.lines_without_time;
		for (size_t h = 0; h < s->nhours; h++)
			ck_assert(s->hours[h].start <= horizon);
	}
	ck_assert_uint_eq(calls, 3);
	ck_assert_uint_eq(bad, 1);
	ck_assert_uint_eq(untimed, 1);
	vt_agg_free(a);
}
END_TEST

/* A period's hours outside [start, end) go; a merged report keeps all. */
START_TEST(clip_hours_to_the_period)
{
	static const int64_t hours[] = { -3600, 0, 82800, 86400 };
	struct vt_summary *s = calloc(1, sizeof(*s));

	ck_assert_ptr_nonnull(s);
	s->start = BASE;
	s->end = BASE + 86400;
	s->granularity = "all";
	for (size_t i = 0; i < VT_ARRAY_LEN(hours); i++)
		s->hours[s->nhours++] = (struct vt_hour_count){ BASE + hours[i], 1 };
	ck_assert_uint_eq(vt_summary_clip_hours(s), 0);
	ck_assert_uint_eq(s->nhours, 4);
	s->granularity = "day";
	ck_assert_uint_eq(vt_summary_clip_hours(s), 2);
	ck_assert_uint_eq(s->nhours, 2);
	ck_assert_int_eq(s->hours[0].start, BASE);
	ck_assert_int_eq(s->hours[1].start, BASE + 82800);
	free(s);
}
END_TEST

START_TEST(tool_calls_by_outcome)
{
	struct vt_agg *a = agg_with(0, 0);
	static const char *const outcomes[] = {
		"success", "success", "success", "failure", "error", "denied",
		"application_error", NULL, "bogus",
	};

	for (size_t i = 0; i < VT_ARRAY_LEN(outcomes); i++)
		feed(a, 1, 10, call(BASE + (int64_t)i, outcomes[i], "github", 5, NULL));
	const struct vt_summary *s = summarize(a, 0);
	ck_assert_uint_eq(s->tool_calls, 9);
	ck_assert_uint_eq(s->tool_calls_by_outcome[VT_OUT_SUCCESS], 3);
	ck_assert_uint_eq(s->tool_calls_by_outcome[VT_OUT_FAILURE], 1);
	ck_assert_uint_eq(s->tool_calls_by_outcome[VT_OUT_ERROR], 1);
	ck_assert_uint_eq(s->tool_calls_by_outcome[VT_OUT_DENIED], 1);
	ck_assert_uint_eq(s->tool_calls_by_outcome[VT_OUT_APPLICATION_ERROR], 1);
	ck_assert_uint_eq(s->tool_calls_by_outcome[VT_OUT_UNKNOWN], 2);
	ck_assert_uint_eq(s->requests_by_type[VT_EV_MCP_TOOL_CALL], 9);
	ck_assert_uint_eq(s->quality.events, 9);
	ck_assert_uint_eq(s->quality.lines_read, 9);
	ck_assert_uint_eq(s->instances, 1);
	ck_assert_uint_eq(s->tool_calls_per_instance[vt_log2_bucket(9)], 1);
	ck_assert_uint_eq(s->tool_calls_per_instance[4], 1);
	ck_assert_uint_eq(s->sessions, 0);
	vt_agg_free(a);
}
END_TEST

START_TEST(tool_call_durations)
{
	struct vt_agg *a = agg_with(0, 0);
	static const long durations[] = { 0, 1, 4, 5, 105, 199, 60000, -1 };

	for (size_t i = 0; i < VT_ARRAY_LEN(durations); i++)
		feed(a, 1, 10, call(BASE, "success", "fetch", durations[i], NULL));
	const struct vt_summary *s = summarize(a, 0);
	uint64_t total = 0;
	for (int i = 0; i < VT_125_BUCKETS; i++)
		total += s->tool_call_duration_ms[i];
	/* The call without a duration is counted, but in no bucket. */
	ck_assert_uint_eq(s->tool_calls, 8);
	ck_assert_uint_eq(total, 7);
	ck_assert_uint_eq(s->tool_call_duration_ms[b125("<1")], 1);
	ck_assert_uint_eq(s->tool_call_duration_ms[b125("1-2")], 1);
	ck_assert_uint_eq(s->tool_call_duration_ms[b125("2-5")], 1);
	ck_assert_uint_eq(s->tool_call_duration_ms[b125("5-10")], 1);
	ck_assert_uint_eq(s->tool_call_duration_ms[b125("100-200")], 2);
	ck_assert_uint_eq(s->tool_call_duration_ms[b125("50000-100000")], 1);
	vt_agg_free(a);
}
END_TEST

START_TEST(backend_distribution)
{
	struct vt_agg *a = agg_with(0, 0);

	feed(a, 1, 10, call(BASE, "success", "github", 10, NULL));
	feed(a, 1, 10, call(BASE, "failure", "GitHub", 10, NULL));
	feed(a, 1, 10, call(BASE, "success", "fetch", 10, NULL));
	feed(a, 1, 10, call(BASE, "success", "my-private-backend", 10, NULL));
	feed(a, 1, 10, call(BASE, "success", "10.0.0.5", 10, NULL));
	feed(a, 1, 10, call(BASE, "success", NULL, 10, NULL));
	feed(a, 1, 10, call(BASE, "error", NULL, 10, NULL));
	const struct vt_summary *s = summarize(a, 0);
	ck_assert_uint_eq(s->tool_calls, 7);
	ck_assert_uint_eq(s->nbackends, 5);
	/*
	 * Allowlisted names sorted, then "other", then the calls without a
	 * backend: a success is a composite tool, an error is unknown.
	 */
	ck_assert_str_eq(s->backends[3].name, "composite");
	ck_assert_uint_eq(s->backends[3].count, 1);
	ck_assert_str_eq(s->backends[4].name, "unknown");
	ck_assert_uint_eq(s->backends[4].count, 1);
	ck_assert_str_eq(s->backends[0].name, "fetch");
	ck_assert_uint_eq(s->backends[0].count, 1);
	ck_assert_str_eq(s->backends[1].name, "github");
	ck_assert_uint_eq(s->backends[1].count, 2);
	ck_assert_str_eq(s->backends[2].name, "other");
	ck_assert_uint_eq(s->backends[2].count, 2);
	vt_agg_free(a);
}
END_TEST

START_TEST(clients_and_sessions)
{
	struct vt_agg *a = agg_with(0, 0);

	feed(a, 1, 10, init(BASE, "success", "claude-code"));
	feed(a, 1, 10, init(BASE + 1, "success", "CLAUDE-CODE"));
	feed(a, 1, 10, init(BASE + 2, "success", "Visual Studio Code"));
	feed(a, 1, 10, init(BASE + 3, "success", "secret-internal-client"));
	feed(a, 1, 10, init(BASE + 4, "failure", "Cursor"));
	feed(a, 1, 10, init(BASE + 5, "error", "Zed"));
	feed(a, 1, 10, init(BASE + 6, NULL, "Zed"));
	const struct vt_summary *s = summarize(a, 0);
	ck_assert_uint_eq(s->requests_by_type[VT_EV_MCP_INITIALIZE], 7);
	ck_assert_uint_eq(s->sessions, 4);
	ck_assert_uint_eq(s->nclients, 3);
	ck_assert_str_eq(s->clients[0].name, "Visual Studio Code");
	ck_assert_uint_eq(s->clients[0].count, 1);
	ck_assert_str_eq(s->clients[1].name, "claude-code");
	ck_assert_uint_eq(s->clients[1].count, 2);
	ck_assert_str_eq(s->clients[2].name, "other");
	ck_assert_uint_eq(s->clients[2].count, 1);
	ck_assert_uint_eq(s->tool_calls, 0);
	vt_agg_free(a);
}
END_TEST

START_TEST(workflows_and_steps)
{
	struct vt_agg *a = agg_with(0, 0);

	feed(a, 1, 10, workflow(BASE, "vmcp_workflow_started"));
	feed(a, 1, 10, workflow(BASE, "vmcp_workflow_started"));
	feed(a, 1, 10, workflow(BASE, "vmcp_workflow_started"));
	feed(a, 1, 10, workflow(BASE, "vmcp_workflow_completed"));
	feed(a, 1, 10, workflow(BASE, "vmcp_workflow_failed"));
	feed(a, 1, 10, workflow(BASE, "vmcp_workflow_timed_out"));
	feed(a, 1, 10, step(BASE, "vmcp_workflow_step_started", "tool"));
	feed(a, 1, 10, step(BASE, "vmcp_workflow_step_started", "tool"));
	feed(a, 1, 10, step(BASE, "vmcp_workflow_step_started", "elicitation"));
	feed(a, 1, 10, step(BASE, "vmcp_workflow_step_started", "forEach"));
	feed(a, 1, 10, step(BASE, "vmcp_workflow_step_started", NULL));
	feed(a, 1, 10, step(BASE, "vmcp_workflow_step_started", "weird"));
	feed(a, 1, 10, step(BASE, "vmcp_workflow_step_completed", "tool"));
	feed(a, 1, 10, step(BASE, "vmcp_workflow_step_completed", "tool"));
	feed(a, 1, 10, step(BASE, "vmcp_workflow_step_failed", "tool"));
	feed(a, 1, 10, step(BASE, "vmcp_workflow_step_skipped", "tool"));
	const struct vt_summary *s = summarize(a, 0);
	ck_assert_uint_eq(s->workflows[VT_WF_STARTED], 3);
	ck_assert_uint_eq(s->workflows[VT_WF_COMPLETED], 1);
	ck_assert_uint_eq(s->workflows[VT_WF_FAILED], 1);
	ck_assert_uint_eq(s->workflows[VT_WF_TIMED_OUT], 1);
	ck_assert_uint_eq(s->workflow_steps[VT_STEP_TOOL], 2);
	ck_assert_uint_eq(s->workflow_steps[VT_STEP_ELICITATION], 1);
	ck_assert_uint_eq(s->workflow_steps[VT_STEP_FOREACH], 1);
	ck_assert_uint_eq(s->workflow_steps[VT_STEP_OTHER], 2);
	ck_assert_uint_eq(s->workflow_step_results[VT_SR_COMPLETED], 2);
	ck_assert_uint_eq(s->workflow_step_results[VT_SR_FAILED], 1);
	ck_assert_uint_eq(s->workflow_step_results[VT_SR_SKIPPED], 1);
	ck_assert_uint_eq(s->requests_by_type[VT_EV_WORKFLOW_STARTED], 3);
	ck_assert_uint_eq(s->requests_by_type[VT_EV_STEP_STARTED], 6);
	ck_assert_uint_eq(s->tool_calls, 0);
	vt_agg_free(a);
}
END_TEST

START_TEST(instances_and_processes)
{
	struct vt_agg *a = agg_with(0, 0);

	/* Two origins with different instance keys: two instances. */
	feed(a, 1, 10, call(BASE, "success", "github", 10, NULL));
	feed(a, 2, 20, call(BASE + 1, "success", "github", 10, NULL));
	const struct vt_summary *s = summarize(a, 0);
	ck_assert_uint_eq(s->instances, 2);
	ck_assert_uint_eq(s->processes, 2);
	vt_agg_free(a);

	/* One instance in two streams (two replicas): two processes. */
	a = agg_with(0, 0);
	feed(a, 1, 10, call(BASE, "success", "github", 10, NULL));
	feed(a, 1, 11, call(BASE + 1, "success", "github", 10, NULL));
	feed(a, 1, 11, call(BASE + 2, "success", "github", 10, NULL));
	s = summarize(a, 0);
	ck_assert_uint_eq(s->instances, 1);
	ck_assert_uint_eq(s->processes, 2);
	ck_assert_uint_eq(s->tool_calls_per_instance[vt_log2_bucket(3)], 1);
	vt_agg_free(a);
}
END_TEST

/* A startup fact is taken once a process; a static count change is a
 * configuration change; storage and features come from the startup lines. */
START_TEST(startup_facts_once)
{
	struct vt_agg *a = agg_with(0, 0);

	boot(a, 1, 10, BASE, "priority"); /* static, 7 backends */
	feed(a, 1, 10, app(BASE + 5, "INFO", "Discovered 2 backends", ""));
	feed(a, 1, 10, app(BASE + 5, "INFO", "  Conflict Resolution: manual", ""));
	const struct vt_summary *s = summarize(a, 0);
	ck_assert_uint_eq(s->backends_per_instance[vt_log2_bucket(7)], 1);
	ck_assert_uint_eq(s->conflict[VT_CONFLICT_PRIORITY], 1);
	ck_assert_uint_eq(s->session_storage[VT_SESSION_MEMORY], 1);
	ck_assert_uint_eq(s->composite_defined[vt_log2_bucket(3)], 1);
	ck_assert_uint_eq(s->config_changes, 0);
	vt_agg_free(a);

	/* static mode: 7 then 2 backends is a configuration change */
	a = agg_with(0, 0);
	boot(a, 1, 10, BASE, "priority");
	feed(a, 1, 10, app(BASE + 10, "INFO",
			   "Loading configuration from: /etc/vmcp/config.yaml", ""));
	feed(a, 1, 10, app(BASE + 10, "INFO", "  Conflict Resolution: priority", ""));
	feed(a, 1, 10, app(BASE + 10, "INFO",
			   "Loaded 3 composite tool workflow definitions", ""));
	feed(a, 1, 10, app(BASE + 10, "INFO",
			   "Static mode: using 2 pre-configured backends", ""));
	feed(a, 1, 10, app(BASE + 10, "INFO",
			   "creating local authentication middleware", ""));
	feed(a, 1, 10, app(BASE + 11, "INFO", "using Redis session storage",
			   ",\"address\":\"redis:6379\",\"db\":0"));
	feed(a, 1, 10, app(BASE + 11, "INFO", "starting Virtual MCP Server", ""));
	s = summarize(a, 0);
	ck_assert_uint_eq(s->restarts, 1);
	ck_assert_uint_eq(s->config_changes, 1);
	ck_assert_uint_eq(s->backends_per_instance[vt_log2_bucket(2)], 1);
	ck_assert_uint_eq(s->session_storage[VT_SESSION_REDIS], 1);
	vt_agg_free(a);

	/* no startup lines read: storage and composite tools unknown */
	a = agg_with(0, 0);
	feed(a, 1, 10, app(BASE, "INFO", "workflow completed successfully", ""));
	s = summarize(a, 0);
	ck_assert_uint_eq(s->session_storage[VT_SESSION_UNKNOWN], 1);
	ck_assert_uint_eq(s->composite_unknown, 1);
	ck_assert_uint_eq(s->workflows[VT_WF_COMPLETED], 1);
	vt_agg_free(a);
}
END_TEST

/* Calls without backend_name by what they are; discover probes. */
START_TEST(unlabelled_calls_by_kind)
{
	struct vt_agg *a = agg_with(0, 0);

	feed(a, 1, 10, call(BASE, "success", NULL, 5, "find_tool"));
	feed(a, 1, 10, call(BASE, "success", "github", 5, "call_tool"));
	feed(a, 1, 10, call(BASE, "success", NULL, 5, "call_tool"));
	feed(a, 1, 10, call(BASE, "success", NULL, 5, "execute_tool_script"));
	feed(a, 1, 10, call(BASE, "success", NULL, 5, "triage_issue"));
	feed(a, 1, 10, call(BASE, "application_error", NULL, 5, "notion_get_page"));
	feed(a, 1, 10, call(BASE, "failure", NULL, 5, "notion_get_page"));
	feed(a, 1, 10, audit(BASE, "mcp_request", "success",
			     "\"endpoint\":\"/mcp\",\"method\":\"server/discover\","
			     "\"name\":\"discover\",\"type\":\"endpoint\"",
			     "\"duration_ms\":19,\"transport\":\"http\""));
	const struct vt_summary *s = summarize(a, 0);
	static const char *const want[][2] = {
		{ "github", "1" }, { "composite", "1" }, { "optimizer", "2" },
		{ "code_mode", "1" }, { "unknown", "2" },
	};
	ck_assert_uint_eq(s->nbackends, VT_ARRAY_LEN(want));
	for (size_t i = 0; i < VT_ARRAY_LEN(want); i++) {
		ck_assert_str_eq(s->backends[i].name, want[i][0]);
		ck_assert_uint_eq(s->backends[i].count,
				  (uint64_t)(want[i][1][0] - '0'));
	}
	ck_assert_uint_eq(s->server_discover, 1);
	/* its source.extra has no user_agent: "other" */
	ck_assert_uint_eq(s->ndiscover_clients, 1);
	ck_assert_str_eq(s->discover_clients[0].name, "other");
	ck_assert_uint_eq(s->features[VT_FEATURE_OPTIMIZER], 1);
	ck_assert_uint_eq(s->features[VT_FEATURE_CODE_MODE], 1);
	vt_agg_free(a);
}
END_TEST

START_TEST(deployment_facts)
{
	struct vt_agg *a = agg_with(0, 0);

	boot(a, 1, 10, BASE, "priority");
	feed(a, 1, 10, app(BASE + 3, "DEBUG", "codemode: executing script",
			   ""));
	feed(a, 1, 10,
	     app(BASE + 3, "INFO", "audit middleware enabled for MCP endpoints",
		 ""));
	/* Instance 2 wrote audit events only: its facts are unknown. */
	feed(a, 2, 20, call(BASE + 5, "success", "github", 10, "find_tool"));
	/* Instance 3 names a strategy the report does not know. */
	feed(a, 3, 30, app(BASE + 6, "INFO",
			   "using weird conflict resolution strategy", ""));
	const struct vt_summary *s = summarize(a, 0);
	ck_assert_uint_eq(s->instances, 3);
	ck_assert_uint_eq(s->conflict[VT_CONFLICT_PRIORITY], 1);
	ck_assert_uint_eq(s->conflict[VT_CONFLICT_OTHER], 1);
	ck_assert_uint_eq(s->conflict[VT_CONFLICT_UNKNOWN], 1);
	ck_assert_uint_eq(s->conflict[VT_CONFLICT_PREFIX], 0);
	ck_assert_uint_eq(s->backends_per_instance[vt_log2_bucket(7)], 1);
	ck_assert_uint_eq(s->backends_unknown, 2);
	ck_assert_uint_eq(s->composite_defined[vt_log2_bucket(3)], 1);
	ck_assert_uint_eq(s->composite_unknown, 2);
	ck_assert_uint_eq(s->incoming_auth[VT_INAUTH_LOCAL], 1);
	ck_assert_uint_eq(s->incoming_auth[VT_INAUTH_UNKNOWN], 2);
	ck_assert_uint_eq(s->outgoing_auth[VT_OUTAUTH_TOKEN_EXCHANGE], 1);
	ck_assert_uint_eq(s->outgoing_auth[VT_OUTAUTH_HEADER_INJECTION], 1);
	ck_assert_uint_eq(s->outgoing_auth[VT_OUTAUTH_UNKNOWN], 2);
	ck_assert_uint_eq(s->outgoing_auth[VT_OUTAUTH_UNAUTHENTICATED], 0);
	/* Audit: 1 by its log line, 2 by its events; optimizer by find_tool. */
	ck_assert_uint_eq(s->features[VT_FEATURE_AUDIT], 2);
	ck_assert_uint_eq(s->features[VT_FEATURE_OPTIMIZER], 1);
	ck_assert_uint_eq(s->features[VT_FEATURE_CODE_MODE], 1);
	ck_assert_uint_eq(s->quality.app_lines, 11);
	ck_assert_uint_eq(s->quality.events, 1);
	vt_agg_free(a);
}
END_TEST

START_TEST(restarts_and_config_changes)
{
	struct vt_agg *a = agg_with(0, 0);

	/* First boot: no restart; a second boot with another strategy. */
	boot(a, 1, 10, BASE, "prefix");
	feed(a, 1, 10, call(BASE + 10, "success", "github", 10, NULL));
	const struct vt_summary *s = summarize(a, 0);
	ck_assert_uint_eq(s->restarts, 0);
	ck_assert_uint_eq(s->config_changes, 0);
	ck_assert_uint_eq(s->processes, 1);
	boot(a, 1, 10, BASE + 100, "priority");
	feed(a, 1, 10, call(BASE + 110, "success", "github", 10, NULL));
	s = summarize(a, 0);
	ck_assert_uint_eq(s->restarts, 1);
	ck_assert_uint_eq(s->config_changes, 1);
	ck_assert_uint_eq(s->processes, 2);
	ck_assert_uint_eq(s->instances, 1);
	/* The latest configuration is the one counted. */
	ck_assert_uint_eq(s->conflict[VT_CONFLICT_PRIORITY], 1);
	ck_assert_uint_eq(s->conflict[VT_CONFLICT_PREFIX], 0);
	/* A third boot with the same configuration is no change. */
	boot(a, 1, 10, BASE + 200, "priority");
	s = summarize(a, 0);
	ck_assert_uint_eq(s->restarts, 2);
	ck_assert_uint_eq(s->config_changes, 1);
	ck_assert_uint_eq(s->processes, 3);
	/* Another stream's first boot is not a restart. */
	boot(a, 2, 20, BASE + 300, "priority");
	s = summarize(a, 0);
	ck_assert_uint_eq(s->restarts, 2);
	ck_assert_uint_eq(s->instances, 2);
	ck_assert_uint_eq(s->processes, 4);
	vt_agg_free(a);
}
END_TEST

START_TEST(restart_without_config_lines)
{
	struct vt_agg *a = agg_with(0, 0);
	const char *start = "starting Virtual MCP Server";

	/* "starting" with no "Loading configuration" before it is itself
	 * the boundary; the first one in a stream is not a restart. */
	feed(a, 1, 10, app(BASE, "INFO", start, ""));
	feed(a, 1, 10, call(BASE + 1, "success", "github", 10, NULL));
	feed(a, 1, 10, app(BASE + 50, "INFO", start, ""));
	feed(a, 1, 10, call(BASE + 51, "success", "github", 10, NULL));
	const struct vt_summary *s = summarize(a, 0);
	ck_assert_uint_eq(s->restarts, 1);
	ck_assert_uint_eq(s->config_changes, 0);
	ck_assert_uint_eq(s->processes, 2);
	vt_agg_free(a);
}
END_TEST

START_TEST(debug_tool_call_fallback)
{
	struct vt_agg *a = agg_with(0, 0);
	const char *msg = "calling tool on backend";
	const char *attrs = ",\"tool\":\"search\",\"backend\":\"fetch\"";

	/* Instance 1: audit off, three DEBUG calls. */
	for (int i = 0; i < 3; i++)
		feed(a, 1, 10, app(BASE + i, "DEBUG", msg, attrs));
	/* Instance 2: audit on; its DEBUG lines do not add calls. */
	feed(a, 2, 20, call(BASE + 5, "success", "fetch", 10, NULL));
	feed(a, 2, 20, app(BASE + 5, "DEBUG", msg, attrs));
	feed(a, 2, 20, app(BASE + 6, "DEBUG", msg, attrs));
	const struct vt_summary *s = summarize(a, 0);
	ck_assert_uint_eq(s->tool_calls, 4);
	ck_assert_uint_eq(s->tool_calls_by_outcome[VT_OUT_UNKNOWN], 3);
	ck_assert_uint_eq(s->tool_calls_by_outcome[VT_OUT_SUCCESS], 1);
	ck_assert_uint_eq(s->requests_by_type[VT_EV_MCP_TOOL_CALL], 1);
	ck_assert_uint_eq(s->tool_calls_per_instance[vt_log2_bucket(3)], 1);
	ck_assert_uint_eq(s->tool_calls_per_instance[vt_log2_bucket(1)], 1);
	ck_assert_uint_eq(s->features[VT_FEATURE_AUDIT], 1);
	/* No backend distribution from DEBUG lines: only the audit one. */
	ck_assert_uint_eq(s->nbackends, 1);
	ck_assert_str_eq(s->backends[0].name, "fetch");
	ck_assert_uint_eq(s->backends[0].count, 1);
	vt_agg_free(a);
}
END_TEST

START_TEST(uptime_buckets)
{
	struct vt_agg *a = agg_with(0, 0);

	feed(a, 1, 10, call(BASE, "success", "github", 10, NULL));
	feed(a, 1, 10, app(BASE + 150, "INFO", "hello", ""));
	feed(a, 1, 11, call(BASE + 300, "success", "github", 10, NULL));
	feed(a, 2, 20, call(BASE + 10, "success", "github", 10, NULL));
	feed(a, 3, 30, app(BASE + 20, "INFO", "hello", ""));
	feed(a, 3, 30, app(BASE + 20 + 7200, "INFO", "hello", ""));
	const struct vt_summary *s = summarize(a, 0);
	uint64_t total = 0;
	for (int i = 0; i < VT_125_BUCKETS; i++)
		total += s->uptime_seconds[i];
	ck_assert_uint_eq(total, 3);
	ck_assert_uint_eq(s->uptime_seconds[b125("200-500")], 1);
	ck_assert_uint_eq(s->uptime_seconds[b125("<1")], 1);
	ck_assert_uint_eq(s->uptime_seconds[b125("5000-10000")], 1);
	vt_agg_free(a);
}
END_TEST

START_TEST(period_bounds_all)
{
	struct vt_agg *a = agg_with(0, 0);

	vt_agg_set_now(a, BASE + 99999);
	feed(a, 1, 10, call(BASE + 3605, "success", "github", 10, NULL));
	feed(a, 1, 10, call(BASE + 5, "success", "github", 10, NULL));
	feed(a, 1, 10, app(BASE + 700, "INFO", "hello", ""));
	ck_assert_uint_eq(vt_agg_period_count(a), 1);
	const struct vt_summary *s = summarize(a, 0);
	ck_assert_int_eq(s->start, BASE + 5);
	ck_assert_int_eq(s->end, BASE + 3606);
	ck_assert_str_eq(s->granularity, "all");
	vt_agg_free(a);

	/* Nothing read: an empty period at the clock. */
	a = agg_with(0, 0);
	vt_agg_set_now(a, BASE);
	ck_assert_uint_eq(vt_agg_period_count(a), 0);
	vt_agg_summarize(a, 0, &sum);
	ck_assert_int_eq(sum.start, BASE);
	ck_assert_int_eq(sum.end, BASE);
	ck_assert_str_eq(sum.granularity, "all");
	ck_assert_uint_eq(sum.instances, 0);
	vt_agg_free(a);

	/* Only lines without a time: bounded by the clock. */
	a = agg_with(0, 0);
	vt_agg_set_now(a, BASE + 42);
	feed(a, 1, 10, "{\"level\":\"INFO\",\"msg\":\"hello\"}");
	s = summarize(a, 0);
	ck_assert_int_eq(s->start, BASE + 42);
	ck_assert_int_eq(s->end, BASE + 42);
	ck_assert_uint_eq(s->instances, 1);
	vt_agg_free(a);
}
END_TEST

START_TEST(quality_counters)
{
	struct vt_agg *a = agg_with(0, 0);

	/* Bad lines before any period still land in the first period. */
	feed(a, 1, 10, "plain text here");
	feed(a, 1, 10, "[1,2,3]");
	feed(a, 1, 10, "{\"foo\":1}");
	feed(a, 1, 10, "{\"time\":\"2026");
	feed(a, 1, 10, "{\"a\":}");
	feed(a, 1, 10, "{\"b\":}");
	feed(a, 1, 10, "{\"msg\":\"x\",\"level\":\"\xff\"}");
	feed(a, 1, 10, call(BASE, "success", "github", 10, NULL));
	feed(a, 1, 10, audit(BASE + 1, "mcp_future_thing", "success", "", ""));
	feed(a, 1, 10, "{\"level\":\"INFO\",\"msg\":\"no time\"}");
	feed(a, 1, 10,
	     "{\"time\":\"yesterday\",\"level\":\"AUDIT\",\"msg\":\"audit_event\","
	     "\"type\":\"mcp_ping\",\"outcome\":\"success\"}");
	feed(a, 1, 10,
	     "{\"time\":\"2026-08-21T10:00:02Z\",\"level\":\"AUDIT\","
	     "\"msg\":\"audit_event\",\"type\":\"mcp_tool_call\",\"outcome\":7,"
	     "\"metadata\":{\"extra\":{\"duration_ms\":-5}}}");
	feed_as(a, 1, 10, app(BASE + 3, "INFO", "wrapped", ""), VT_WRAP_DOCKER);
	feed_as(a, 1, 10, "just text", VT_WRAP_CRI);
	vt_agg_too_long(a);
	const struct vt_summary *s = summarize(a, 0);
	const struct vt_quality *q = &s->quality;
	ck_assert_uint_eq(q->lines_read, 15);
	ck_assert_uint_eq(q->lines_too_long, 1);
	ck_assert_uint_eq(q->lines_unrecognized, 4);
	ck_assert_uint_eq(q->unrecognized_by_reason[VT_UNREC_NOT_JSON], 2);
	ck_assert_uint_eq(q->unrecognized_by_reason[VT_UNREC_NOT_OBJECT], 1);
	ck_assert_uint_eq(q->unrecognized_by_reason[VT_UNREC_NOT_VMCP], 1);
	ck_assert_uint_eq(q->lines_malformed, 4);
	ck_assert_uint_eq(q->malformed_by_reason[VT_BAD_INVALID_JSON], 2);
	ck_assert_uint_eq(q->malformed_by_reason[VT_BAD_TRUNCATED], 1);
	ck_assert_uint_eq(q->malformed_by_reason[VT_BAD_INVALID_UTF8], 1);
	ck_assert_uint_eq(q->events, 4);
	ck_assert_uint_eq(q->app_lines, 2);
	ck_assert_uint_eq(q->unknown_event_types, 1);
	ck_assert_uint_eq(q->bad_timestamps, 1);
	ck_assert_uint_eq(q->fields_wrong_type, 1);
	ck_assert_uint_eq(q->fields_out_of_range, 1);
	ck_assert_uint_eq(q->lines_without_time, 2);
	ck_assert_uint_eq(q->lines_by_wrapper[VT_WRAP_NONE], 12);
	ck_assert_uint_eq(q->lines_by_wrapper[VT_WRAP_DOCKER], 1);
	ck_assert_uint_eq(q->lines_by_wrapper[VT_WRAP_CRI], 1);
	ck_assert_uint_eq(q->lines_over_instance_cap, 0);
	ck_assert_uint_eq(s->requests_by_type[VT_EV_OTHER], 1);
	ck_assert_uint_eq(s->requests_by_type[VT_EV_MCP_PING], 1);
	ck_assert_uint_eq(s->tool_calls, 2);
	vt_agg_free(a);
}
END_TEST

START_TEST(max_instances_cap)
{
	struct vt_agg *a = agg_with(0, 2);

	for (uint64_t inst = 1; inst <= 4; inst++)
		for (int k = 0; k < 3; k++)
			feed(a, inst, inst * 10,
			     call(BASE + k, "success", "github", 10, NULL));
	const struct vt_summary *s = summarize(a, 0);
	uint64_t per = 0;
	for (int i = 0; i < VT_LOG2_BUCKETS; i++)
		per += s->tool_calls_per_instance[i];
	ck_assert_uint_eq(s->instances, 2);
	ck_assert_uint_eq(per, 2);
	ck_assert_uint_eq(s->quality.lines_over_instance_cap, 6);
	/* The counts themselves are not lost. */
	ck_assert_uint_eq(s->tool_calls, 12);
	ck_assert_uint_eq(s->quality.events, 12);
	vt_agg_free(a);
}
END_TEST

/* The startup of an operator pod in discovered mode with n backends. */
static void discovered_boot(struct vt_agg *a, uint64_t inst, uint64_t stream,
			    int64_t t, int n)
{
	char msg[64];

	feed(a, inst, stream,
	     app(t, "INFO",
		 "Loading configuration from: /etc/vmcp-config/config.yaml", ""));
	feed(a, inst, stream,
	     app(t, "INFO",
		 "dynamic mode: initializing group manager for backend discovery",
		 ""));
	snprintf(msg, sizeof(msg), "Discovered %d backends", n);
	feed(a, inst, stream, app(t, "INFO", msg, ""));
	feed(a, inst, stream,
	     app(t, "INFO", "using prefix conflict resolution strategy",
		 ",\"format\":\"{workload}_\""));
	feed(a, inst, stream,
	     app(t, "INFO",
		 "detected dynamic backend discovery mode (outgoingAuth.source: discovered)",
		 ""));
	feed(a, inst, stream,
	     app(t + 1, "INFO", "starting Virtual MCP Server", ""));
}

/*
 * Usage and health at INFO: two workflow runs, one of which timed out
 * (it logs "workflow failed" and "workflow timed out"), a session, a
 * backend that fell to unhealthy and recovered, a new backend.
 */
static void info_usage(struct vt_agg *a, uint64_t inst, uint64_t stream,
		       int64_t t)
{
	static const char *const msgs[] = {
		"session capabilities injected from core",
		"starting workflow execution",
		"workflow completed successfully",
		"starting workflow execution",
		"workflow failed",
		"workflow timed out",
		"starting health monitoring for new backend",
		"circuit breaker OPENED (threshold exceeded)",
	};

	for (size_t i = 0; i < VT_ARRAY_LEN(msgs); i++)
		feed(a, inst, stream, app(t, "INFO", msgs[i], ""));
	feed(a, inst, stream,
	     app(t, "WARN", "backend health degraded",
		 ",\"backend\":\"sentry\",\"previous_status\":\"healthy\","
		 "\"status\":\"unhealthy\""));
	feed(a, inst, stream,
	     app(t, "INFO", "backend recovering from failures",
		 ",\"backend\":\"sentry\",\"status\":\"degraded\""));
	/* a runtime count of healthy backends: never the configured one */
	feed(a, inst, stream,
	     app(t, "INFO", "capability aggregation complete",
		 ",\"backends\":1"));
}

/*
 * One stream's lines of a longer story. Lines that are not vMCP lines
 * count in the aggregate's latest period, so with periods they come after
 * a line that fixes it (an order the split feeding must not change).
 */
static void stream_lines(struct vt_agg *a, int which, int64_t t0,
			 int periodic)
{
	switch (which) {
	case 0: /* instance 1, stream 10: boots, calls, sessions */
		boot(a, 1, 10, t0, "priority");
		feed(a, 1, 10, init(t0 + 10, "success", "claude-code"));
		feed(a, 1, 10, call(t0 + 11, "success", "github", 120, NULL));
		feed(a, 1, 10, call(t0 + 4000, "failure", "private", 7, NULL));
		feed(a, 1, 10, "garbage");
		break;
	case 1: /* instance 1, stream 11: a replica with audit events only */
		if (!periodic)
			feed(a, 1, 11, "[\"early garbage\"]");
		feed(a, 1, 11, init(t0 + 20, "success", "Cursor"));
		/* a "set" fact in the replica: it adds to the instance's */
		feed(a, 1, 11, app(t0 + 20, "DEBUG",
				   "applied authentication strategy to backend",
				   ",\"strategy\":\"obo\",\"backend\":\"b\""));
		feed(a, 1, 11, call(t0 + 21, "success", NULL, 900, NULL));
		feed(a, 1, 11, call(t0 + 3700, "denied", "fetch", 3, NULL));
		if (periodic)
			feed(a, 1, 11, "[\"late garbage\"]");
		break;
	case 2: /* instance 2, stream 20: restarts with a new config */
		boot(a, 2, 20, t0 + 5, "prefix");
		feed(a, 2, 20, workflow(t0 + 30, "vmcp_workflow_started"));
		feed(a, 2, 20, step(t0 + 31, "vmcp_workflow_step_started", "tool"));
		boot(a, 2, 20, t0 + 3650, "manual");
		feed(a, 2, 20, workflow(t0 + 3660, "vmcp_workflow_completed"));
		feed(a, 2, 20, "{\"x\":");
		break;
	default: /* instance 3, stream 30: audit off, discovered mode */
		discovered_boot(a, 3, 30, t0 + 35, 3);
		feed(a, 3, 30, app(t0 + 40, "DEBUG", "calling tool on backend", ""));
		info_usage(a, 3, 30, t0 + 41);
		discovered_boot(a, 3, 30, t0 + 6990, 4);
		feed(a, 3, 30, app(t0 + 7000, "DEBUG", "calling tool on backend", ""));
		break;
	}
}

static void check_merge(int64_t period_seconds)
{
	struct vt_agg *all = agg_with(period_seconds, 0);
	struct vt_agg *x = agg_with(period_seconds, 0);
	struct vt_agg *y = agg_with(period_seconds, 0);
	struct vt_summary want, got;

	for (int i = 0; i < 4; i++)
		stream_lines(all, i, BASE, period_seconds > 0);
	stream_lines(x, 0, BASE, period_seconds > 0);
	stream_lines(x, 2, BASE, period_seconds > 0);
	stream_lines(y, 1, BASE, period_seconds > 0);
	stream_lines(y, 3, BASE, period_seconds > 0);
	vt_agg_merge(x, y);
	ck_assert_uint_eq(vt_agg_period_count(x), vt_agg_period_count(all));
	ck_assert_uint_gt(vt_agg_period_count(x), 0);
	for (size_t i = 0; i < vt_agg_period_count(all); i++) {
		ck_assert_int_eq(vt_agg_period_start(x, i),
				 vt_agg_period_start(all, i));
		vt_agg_summarize(all, i, &want);
		vt_agg_summarize(x, i, &got);
		ck_assert_uint_eq(got.instances, want.instances);
		ck_assert_uint_eq(got.processes, want.processes);
		ck_assert_uint_eq(got.tool_calls, want.tool_calls);
		ck_assert_uint_eq(got.sessions, want.sessions);
		ck_assert_uint_eq(got.restarts, want.restarts);
		ck_assert_uint_eq(got.config_changes, want.config_changes);
		ck_assert_uint_eq(got.nbackends, want.nbackends);
		ck_assert_uint_eq(got.nclients, want.nclients);
		ck_assert_uint_eq(got.quality.lines_read, want.quality.lines_read);
		ck_assert_int_eq(got.start, want.start);
		ck_assert_int_eq(got.end, want.end);
		ck_assert_mem_eq(got.uptime_seconds, want.uptime_seconds,
				 sizeof(want.uptime_seconds));
		ck_assert_mem_eq(got.tool_calls_per_instance,
				 want.tool_calls_per_instance,
				 sizeof(want.tool_calls_per_instance));
		ck_assert_mem_eq(got.conflict, want.conflict,
				 sizeof(want.conflict));
		ck_assert_mem_eq(&got.quality, &want.quality,
				 sizeof(want.quality));
		ck_assert_msg(memcmp(&got, &want, sizeof(want)) == 0,
			      "period %zu: merged summary differs", i);
	}
	vt_agg_free(all);
	vt_agg_free(x);
	vt_agg_free(y);
}

START_TEST(merge_equals_single_aggregate)
{
	struct vt_agg *all = agg_with(0, 0);

	/* The story itself is what the test expects it to be. */
	for (int i = 0; i < 4; i++)
		stream_lines(all, i, BASE, 0);
	const struct vt_summary *s = summarize(all, 0);
	ck_assert_uint_eq(s->instances, 3);
	ck_assert_uint_eq(s->processes, 6);
	/* instance 3's discovered count changed 3 -> 4: not a config change */
	ck_assert_uint_eq(s->restarts, 2);
	ck_assert_uint_eq(s->config_changes, 1);
	/* 2 initialize events, 1 INFO session line of the audit-off instance */
	ck_assert_uint_eq(s->sessions, 3);
	ck_assert_uint_eq(s->tool_calls, 6);
	/* 1 audited start; 2 INFO starts, one completed, one timed out */
	ck_assert_uint_eq(s->workflows[VT_WF_STARTED], 3);
	ck_assert_uint_eq(s->workflows[VT_WF_COMPLETED], 2);
	ck_assert_uint_eq(s->workflows[VT_WF_FAILED], 0);
	ck_assert_uint_eq(s->workflows[VT_WF_TIMED_OUT], 1);
	ck_assert_uint_eq(s->backend_health[VT_HEALTH_TO_UNHEALTHY], 1);
	ck_assert_uint_eq(s->backend_health[VT_HEALTH_TO_DEGRADED], 1);
	ck_assert_uint_eq(s->backend_health[VT_HEALTH_BACKENDS_ADDED], 1);
	ck_assert_uint_eq(s->backend_health[VT_HEALTH_CIRCUIT_OPENED], 1);
	/*
	 * 7 static backends (instance 1 and 2), 4 discovered (instance 3,
	 * its last start): all in the bucket 4-7, none in 1 (the runtime
	 * "capability aggregation complete" count).
	 */
	ck_assert_uint_eq(s->backends_per_instance[vt_log2_bucket(7)], 3);
	ck_assert_uint_eq(s->backends_per_instance[vt_log2_bucket(1)], 0);
	ck_assert_uint_eq(s->outgoing_auth[VT_OUTAUTH_OBO], 1);
	ck_assert_uint_eq(s->quality.lines_malformed, 1);
	ck_assert_uint_eq(s->quality.lines_unrecognized, 2);
	vt_agg_free(all);
	check_merge(0);
}
END_TEST

START_TEST(merge_hourly_periods)
{
	check_merge(3600);
}
END_TEST

/*
 * A later chunk (a partial aggregate) with "set" facts, counts and a
 * startup ("once") fact said again merges exactly: the process keeps its
 * first backend count.
 */
START_TEST(merge_continuation_sets)
{
	struct vt_agg *all = agg_with(0, 0), *x = agg_with(0, 0);
	struct vt_agg *y = agg_with(0, 0);
	struct vt_summary want, got;
	struct vt_agg *order[] = { all, x, y };

	for (int k = 0; k < 3; k++) {
		struct vt_agg *a = order[k];

		if (a == y)
			vt_agg_set_partial(y);
		if (a != y) {
			discovered_boot(a, 3, 30, BASE, 2);
			feed(a, 3, 30, app(BASE + 8, "DEBUG",
					   "applied authentication strategy to backend",
					   ",\"strategy\":\"unauthenticated\""));
		}
		if (a != x) {
			feed(a, 3, 30, app(BASE + 9, "DEBUG",
					   "applied authentication strategy to backend",
					   ",\"strategy\":\"token_exchange\""));
			info_usage(a, 3, 30, BASE + 10);
			feed(a, 3, 30, app(BASE + 11, "INFO",
					   "Discovered 9 backends", ""));
		}
	}
	ck_assert_int_eq(vt_agg_merge_exact(y), 1);
	vt_agg_merge(x, y);
	vt_agg_summarize(all, 0, &want);
	vt_agg_summarize(x, 0, &got);
	ck_assert_uint_eq(got.outgoing_auth[VT_OUTAUTH_TOKEN_EXCHANGE], 1);
	ck_assert_uint_eq(got.outgoing_auth[VT_OUTAUTH_UNAUTHENTICATED], 1);
	ck_assert_uint_eq(got.workflows[VT_WF_TIMED_OUT], 1);
	ck_assert_uint_eq(got.backends_per_instance[vt_log2_bucket(2)], 1);
	ck_assert_msg(memcmp(&got, &want, sizeof(want)) == 0,
		      "merged continuation differs");
	vt_agg_free(all);
	vt_agg_free(x);
	vt_agg_free(y);
}
END_TEST

START_TEST(merge_into_empty)
{
	struct vt_agg *all = agg_with(0, 0), *empty = agg_with(0, 0);
	struct vt_summary want, got;

	for (int i = 0; i < 4; i++)
		stream_lines(all, i, BASE, 0);
	vt_agg_merge(empty, all);
	vt_agg_summarize(all, 0, &want);
	vt_agg_summarize(empty, 0, &got);
	ck_assert_uint_eq(got.tool_calls, 6);
	ck_assert_msg(memcmp(&got, &want, sizeof(want)) == 0,
		      "merge into an empty aggregate differs");
	vt_agg_free(all);
	vt_agg_free(empty);
}
END_TEST

START_TEST(hourly_periods)
{
	struct vt_agg *a = agg_with(3600, 0);

	feed(a, 1, 10, call(BASE + 900, "success", "github", 10, NULL));
	feed(a, 1, 10, call(BASE + 5400, "success", "github", 10, NULL));
	feed(a, 1, 10, call(BASE + 1800, "failure", "github", 10, NULL));
	ck_assert_uint_eq(vt_agg_period_count(a), 2);
	ck_assert_int_eq(vt_agg_period_start(a, 0), BASE);
	ck_assert_int_eq(vt_agg_period_start(a, 1), BASE + 3600);
	const struct vt_summary *s = summarize(a, 0);
	ck_assert_int_eq(s->start, BASE);
	ck_assert_int_eq(s->end, BASE + 3600);
	ck_assert_str_eq(s->granularity, "hour");
	ck_assert_uint_eq(s->tool_calls, 2);
	ck_assert_uint_eq(s->tool_calls_by_outcome[VT_OUT_FAILURE], 1);
	s = summarize(a, 1);
	ck_assert_int_eq(s->start, BASE + 3600);
	ck_assert_int_eq(s->end, BASE + 7200);
	ck_assert_uint_eq(s->tool_calls, 1);
	/* An earlier hour arriving late is inserted in order. */
	feed(a, 1, 10, call(BASE - 1, "success", "github", 10, NULL));
	ck_assert_uint_eq(vt_agg_period_count(a), 3);
	ck_assert_int_eq(vt_agg_period_start(a, 0), BASE - 3600);
	ck_assert_int_eq(vt_agg_period_start(a, 1), BASE);
	/* A line without a time goes to the latest period. */
	feed(a, 1, 10, "{\"level\":\"INFO\",\"msg\":\"no time\"}");
	s = summarize(a, 2);
	ck_assert_uint_eq(s->quality.app_lines, 1);
	ck_assert_uint_eq(s->quality.lines_read, 2);
	vt_agg_free(a);
}
END_TEST

START_TEST(timeless_first_line_uses_clock)
{
	struct vt_agg *a = agg_with(3600, 0);

	vt_agg_set_now(a, BASE + 4000);
	feed(a, 1, 10, "{\"level\":\"INFO\",\"msg\":\"no time\"}");
	ck_assert_uint_eq(vt_agg_period_count(a), 1);
	ck_assert_int_eq(vt_agg_period_start(a, 0), BASE + 3600);
	vt_agg_free(a);
}
END_TEST

START_TEST(daily_and_weekly_periods)
{
	struct vt_agg *a = agg_with(86400, 0);

	feed(a, 1, 10, call(BASE + 900, "success", "github", 10, NULL));
	ck_assert_int_eq(vt_agg_period_start(a, 0), INT64_C(1787270400));
	ck_assert_str_eq(summarize(a, 0)->granularity, "day");
	ck_assert_int_eq(sum.end, INT64_C(1787270400) + 86400);
	vt_agg_free(a);

	a = agg_with(7 * 86400, 0);
	/* Friday 2026-08-21 and Sunday 23:59:59 share the week that began on
	 * Monday 2026-08-17; Monday 2026-08-24 00:00 begins the next. */
	feed(a, 1, 10, call(BASE + 902, "success", "github", 10, NULL));
	feed(a, 1, 10, call(INT64_C(1787529599), "success", "github", 10, NULL));
	ck_assert_uint_eq(vt_agg_period_count(a), 1);
	feed(a, 1, 10, call(INT64_C(1787529600), "success", "github", 10, NULL));
	ck_assert_uint_eq(vt_agg_period_count(a), 2);
	ck_assert_int_eq(vt_agg_period_start(a, 0), INT64_C(1786924800));
	ck_assert_int_eq(vt_agg_period_start(a, 1), INT64_C(1787529600));
	const struct vt_summary *s = summarize(a, 0);
	ck_assert_str_eq(s->granularity, "week");
	ck_assert_int_eq(s->end, INT64_C(1787529600));
	ck_assert_uint_eq(s->tool_calls, 2);
	ck_assert_uint_eq(summarize(a, 1)->tool_calls, 1);
	/* The epoch, a Thursday, is in the week of Monday 1969-12-29. */
	feed(a, 1, 10, call(0, "success", "github", 10, NULL));
	ck_assert_int_eq(vt_agg_period_start(a, 0), -3 * 86400);
	vt_agg_free(a);
}
END_TEST

Suite *agg_suite(void);

Suite *agg_suite(void)
{
	Suite *s = suite_create("agg");
	TCase *usage = tcase_create("usage");
	TCase *deploy = tcase_create("deployment");
	TCase *periods = tcase_create("periods");
	TCase *merge = tcase_create("merge");
	TCase *all[] = { usage, deploy, periods, merge };

	for (size_t i = 0; i < VT_ARRAY_LEN(all); i++) {
		tcase_add_checked_fixture(all[i], setup, teardown);
		suite_add_tcase(s, all[i]);
	}
	tcase_add_test(usage, tool_calls_by_outcome);
	tcase_add_test(usage, times_past_the_horizon);
	tcase_add_test(usage, clip_hours_to_the_period);
	tcase_add_test(usage, tool_call_durations);
	tcase_add_test(usage, backend_distribution);
	tcase_add_test(usage, clients_and_sessions);
	tcase_add_test(usage, workflows_and_steps);
	tcase_add_test(usage, debug_tool_call_fallback);
	tcase_add_test(usage, quality_counters);
	tcase_add_test(deploy, instances_and_processes);
	tcase_add_test(deploy, deployment_facts);
	tcase_add_test(deploy, startup_facts_once);
	tcase_add_test(deploy, unlabelled_calls_by_kind);
	tcase_add_test(deploy, restarts_and_config_changes);
	tcase_add_test(deploy, restart_without_config_lines);
	tcase_add_test(deploy, uptime_buckets);
	tcase_add_test(deploy, max_instances_cap);
	tcase_add_test(periods, period_bounds_all);
	tcase_add_test(periods, hourly_periods);
	tcase_add_test(periods, timeless_first_line_uses_clock);
	tcase_add_test(periods, daily_and_weekly_periods);
	tcase_add_test(merge, merge_equals_single_aggregate);
	tcase_add_test(merge, merge_hourly_periods);
	tcase_add_test(merge, merge_into_empty);
	tcase_add_test(merge, merge_continuation_sets);
	return s;
}
