/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for parser/decode.h: audit, app and bad lines, docker wrappers. */
#include "testutil.h"
#include "../../parser/decode.h"

#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Suite *decode_suite(void);

#define SCRATCH (1024 * 1024)

/* 2026-08-21T10:16:52Z */
#define T_LOGGED 1787307412
/* 2026-08-21T10:15:02Z */
#define T_APP 1787307302

static struct vt_decoder *dec;

static void setup(void)
{
	dec = vt_decoder_new(SCRATCH);
}

static void teardown(void)
{
	vt_decoder_free(dec);
	dec = NULL;
}

static void decode_str(const char *s, struct vt_record *r)
{
	vt_decode_line(dec, s, strlen(s), r);
}

static int sv_is(struct vt_sv v, const char *lit)
{
	return v.ptr && v.len == strlen(lit) && memcmp(v.ptr, lit, v.len) == 0;
}

static int points_into(struct vt_sv v, const char *line, size_t len)
{
	return v.ptr >= line && v.ptr + v.len <= line + len;
}

/* An audit line of the shape vMCP writes, with type and outcome filled. */
static void audit_line(char *buf, size_t n, const char *type,
		       const char *outcome)
{
	int w = snprintf(buf, n,
		"{\"time\":\"2026-08-21T12:16:50.123456789+02:00\","
		"\"level\":\"AUDIT\",\"msg\":\"audit_event\","
		"\"audit_id\":\"11111111-2222-4333-8444-555555555555\","
		"\"type\":\"%s\",\"logged_at\":\"2026-08-21T10:16:52.881917Z\","
		"\"outcome\":\"%s\",\"component\":\"vmcp-server\","
		"\"source\":{\"type\":\"network\",\"value\":\"10.0.0.7\","
		"\"extra\":{\"user_agent\":\"test-agent/1.0\"}},"
		"\"subjects\":{\"user\":\"anonymous\"},"
		"\"target\":{\"endpoint\":\"/mcp\",\"method\":\"tools/call\","
		"\"name\":\"create_ticket\",\"type\":\"tool\"},"
		"\"metadata\":{\"extra\":{\"backend_name\":\"tracker\","
		"\"duration_ms\":317,\"transport\":\"http\"}}}",
		type, outcome);

	ck_assert_int_gt(w, 0);
	ck_assert_uint_lt((size_t)w, n);
}

START_TEST(audit_tool_call)
{
	char line[2048];
	struct vt_record r;

	audit_line(line, sizeof(line), "mcp_tool_call", "success");
	decode_str(line, &r);
	ck_assert_int_eq(r.cls, VT_LINE_AUDIT);
	ck_assert_int_eq(r.json_valid, 1);
	ck_assert_int_eq(r.audit.type, VT_EV_MCP_TOOL_CALL);
	ck_assert_int_eq(r.audit.outcome, VT_OUT_SUCCESS);
	ck_assert_int_eq(r.audit.step_type, VT_STEP_OTHER);
	ck_assert_int_eq(r.audit.has_duration, 1);
	ck_assert_int_eq(r.audit.duration_ms, 317);
	ck_assert_int_eq(r.audit.has_backend, 1);
	ck_assert(sv_is(r.audit.backend_name, "tracker"));
	ck_assert(sv_is(r.audit.target_name, "create_ticket"));
	ck_assert(sv_is(r.audit.component, "vmcp-server"));
	ck_assert(sv_is(r.level, "AUDIT"));
	/* logged_at (UTC) wins over time (local, 2 s earlier here) */
	ck_assert_int_eq(r.audit.has_time, 1);
	ck_assert_int_eq(r.audit.time, T_LOGGED);
	ck_assert_int_eq(r.time, T_LOGGED);
	ck_assert_uint_eq(r.field_flags, 0);
	ck_assert_uint_eq(r.audit.field_flags, 0);
	/* unescaped strings point into the line itself */
	ck_assert(points_into(r.audit.target_name, line, strlen(line)));
}
END_TEST

/* server/discover: the User-Agent's product token, and nothing else. */
START_TEST(audit_discover_user_agent)
{
	struct vt_record r;
	static const struct {
		const char *extra, *data, *name, *want;
	} cases[] = {
		{ "{\"user_agent\":\"claude-code/2.1.0 (linux)\"}", "", "discover",
		  "claude-code" },
		{ "{\"user_agent\":\"Go-http-client/1.1\"}", "", "discover",
		  "Go-http-client" },
		{ "{\"user_agent\":\"cursor\"}", "", "discover", "cursor" },
		/* not a probe: not read */
		{ "{\"user_agent\":\"claude-code/2.1.0\"}", "", "initialized", NULL },
		/* no header: none; the text inside a JSON string is no member */
		{ "{}", ",\"data\":{\"request\":\"{\\\"user_agent\\\":\\\"x/1\\\"}\"}",
		  "discover", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char line[1024];

		snprintf(line, sizeof(line),
			 "{\"time\":\"2026-11-24T06:02:00.5Z\",\"level\":\"AUDIT\","
			 "\"msg\":\"audit_event\",\"type\":\"mcp_request\","
			 "\"outcome\":\"success\",\"component\":\"c\","
			 "\"source\":{\"type\":\"network\",\"value\":\"10.0.0.1\","
			 "\"extra\":%s},\"subjects\":{\"user\":\"anonymous\"},"
			 "\"target\":{\"endpoint\":\"/mcp\",\"method\":\"x\","
			 "\"name\":\"%s\",\"type\":\"endpoint\"}%s}",
			 cases[i].extra, cases[i].name, cases[i].data);
		decode_str(line, &r);
		ck_assert_int_eq(r.cls, VT_LINE_AUDIT);
		if (cases[i].want)
			ck_assert_msg(sv_is(r.audit.ua_product, cases[i].want),
				      "case %zu", i);
		else
			ck_assert_ptr_null(r.audit.ua_product.ptr);
	}
}
END_TEST

START_TEST(audit_every_type)
{
	char line[2048];
	struct vt_record r;

	for (int t = 1; t < VT_EV_COUNT; t++) {
		audit_line(line, sizeof(line), vt_event_type_names[t],
			   "success");
		decode_str(line, &r);
		ck_assert_int_eq(r.cls, VT_LINE_AUDIT);
		ck_assert_msg((int)r.audit.type == t, "type %s gave %d",
			      vt_event_type_names[t], (int)r.audit.type);
		ck_assert_uint_eq(r.field_flags & VT_FIELD_UNKNOWN_TYPE, 0);
	}
}
END_TEST

START_TEST(audit_every_outcome)
{
	char line[2048];
	struct vt_record r;

	for (int o = 0; o < VT_OUT_UNKNOWN; o++) {
		audit_line(line, sizeof(line), "mcp_tools_list",
			   vt_outcome_names[o]);
		decode_str(line, &r);
		ck_assert_int_eq(r.cls, VT_LINE_AUDIT);
		ck_assert_int_eq(r.audit.type, VT_EV_MCP_TOOLS_LIST);
		ck_assert_msg((int)r.audit.outcome == o, "outcome %s gave %d",
			      vt_outcome_names[o], (int)r.audit.outcome);
	}
	audit_line(line, sizeof(line), "mcp_ping", "exploded");
	decode_str(line, &r);
	ck_assert_int_eq(r.audit.outcome, VT_OUT_UNKNOWN);
	ck_assert_int_eq(r.audit.type, VT_EV_MCP_PING);
}
END_TEST

START_TEST(audit_unknown_type)
{
	char line[2048];
	struct vt_record r;

	audit_line(line, sizeof(line), "mcp_teleport", "success");
	decode_str(line, &r);
	ck_assert_int_eq(r.cls, VT_LINE_AUDIT);
	ck_assert_int_eq(r.audit.type, VT_EV_OTHER);
	ck_assert_uint_eq(r.field_flags, VT_FIELD_UNKNOWN_TYPE);
	ck_assert_uint_eq(r.audit.field_flags, VT_FIELD_UNKNOWN_TYPE);
	/* "other" is the table's name for unknown, not a valid type */
	audit_line(line, sizeof(line), "other", "success");
	decode_str(line, &r);
	ck_assert_int_eq(r.audit.type, VT_EV_OTHER);
	ck_assert_uint_eq(r.field_flags & VT_FIELD_UNKNOWN_TYPE,
			  VT_FIELD_UNKNOWN_TYPE);
}
END_TEST

START_TEST(audit_workflow_steps)
{
	static const char *const kinds[] = { "tool", "elicitation", "forEach",
					     "loop" };
	static const enum vt_step_type want[] = { VT_STEP_TOOL,
						  VT_STEP_ELICITATION,
						  VT_STEP_FOREACH,
						  VT_STEP_OTHER };
	char line[2048];
	struct vt_record r;

	for (size_t i = 0; i < VT_ARRAY_LEN(kinds); i++) {
		snprintf(line, sizeof(line),
			 "{\"time\":\"2026-08-21T10:16:52.5Z\",\"level\":\"AUDIT\","
			 "\"msg\":\"audit_event\",\"audit_id\":\"x\","
			 "\"type\":\"vmcp_workflow_step_failed\","
			 "\"logged_at\":\"2026-08-21T10:16:52.4Z\","
			 "\"outcome\":\"failure\",\"component\":\"vmcp-composer\","
			 "\"source\":{\"type\":\"local\",\"value\":\"vmcp-composer\","
			 "\"extra\":{}},\"subjects\":{\"user\":\"anonymous\"},"
			 "\"target\":{\"step_id\":\"s1\",\"step_type\":\"%s\","
			 "\"tool_name\":\"t\",\"type\":\"workflow_step\","
			 "\"workflow_id\":\"w\",\"workflow_name\":\"deploy\"},"
			 "\"metadata\":{\"extra\":{\"duration_ms\":12,"
			 "\"retry_count\":2}}}",
			 kinds[i]);
		decode_str(line, &r);
		ck_assert_int_eq(r.cls, VT_LINE_AUDIT);
		ck_assert_int_eq(r.audit.type, VT_EV_STEP_FAILED);
		ck_assert_int_eq(r.audit.outcome, VT_OUT_FAILURE);
		ck_assert_int_eq(r.audit.step_type, want[i]);
		ck_assert_int_eq(r.audit.duration_ms, 12);
		ck_assert_int_eq(r.audit.has_backend, 0);
		ck_assert_ptr_null(r.audit.target_name.ptr);
		ck_assert(sv_is(r.audit.component, "vmcp-composer"));
		ck_assert_int_eq(r.audit.time, T_LOGGED);
	}
}
END_TEST

START_TEST(audit_keys_any_order)
{
	const char *line =
		"{\"metadata\":{\"extra\":{\"transport\":\"http\","
		"\"duration_ms\":5,\"backend_name\":\"gh\"}},"
		"\"target\":{\"type\":\"tool\",\"name\":\"list_issues\"},"
		"\"component\":\"c1\",\"outcome\":\"denied\","
		"\"logged_at\":\"2026-08-21T10:16:52Z\",\"type\":\"mcp_tool_call\","
		"\"msg\":\"audit_event\",\"level\":\"AUDIT\","
		"\"time\":\"2026-08-21T10:16:52Z\"}";
	struct vt_record r;

	decode_str(line, &r);
	ck_assert_int_eq(r.cls, VT_LINE_AUDIT);
	ck_assert_int_eq(r.audit.type, VT_EV_MCP_TOOL_CALL);
	ck_assert_int_eq(r.audit.outcome, VT_OUT_DENIED);
	ck_assert_int_eq(r.audit.duration_ms, 5);
	ck_assert(sv_is(r.audit.backend_name, "gh"));
	ck_assert(sv_is(r.audit.target_name, "list_issues"));
	ck_assert(sv_is(r.audit.component, "c1"));
	ck_assert_int_eq(r.audit.time, T_LOGGED);
}
END_TEST

START_TEST(audit_missing_optional)
{
	const char *line =
		"{\"time\":\"2026-08-21T10:16:52Z\",\"level\":\"AUDIT\","
		"\"msg\":\"audit_event\",\"type\":\"http_request\","
		"\"outcome\":\"denied\"}";
	struct vt_record r;

	decode_str(line, &r);
	ck_assert_int_eq(r.cls, VT_LINE_AUDIT);
	ck_assert_int_eq(r.audit.type, VT_EV_HTTP_REQUEST);
	ck_assert_int_eq(r.audit.outcome, VT_OUT_DENIED);
	ck_assert_int_eq(r.audit.has_duration, 0);
	ck_assert_int_eq(r.audit.has_backend, 0);
	ck_assert_ptr_null(r.audit.target_name.ptr);
	ck_assert_ptr_null(r.audit.component.ptr);
	/* no logged_at: time is used */
	ck_assert_int_eq(r.audit.has_time, 1);
	ck_assert_int_eq(r.audit.time, T_LOGGED);
	ck_assert_uint_eq(r.field_flags, 0);

	/* no outcome, no type, empty objects, no time at all */
	decode_str("{\"msg\":\"audit_event\",\"level\":\"AUDIT\","
		   "\"target\":{},\"metadata\":{}}",
		   &r);
	ck_assert_int_eq(r.cls, VT_LINE_AUDIT);
	ck_assert_int_eq(r.audit.type, VT_EV_OTHER);
	ck_assert_int_eq(r.audit.outcome, VT_OUT_UNKNOWN);
	ck_assert_int_eq(r.audit.has_time, 0);
	/* an audit event without a type is an unknown type */
	ck_assert_uint_eq(r.field_flags, VT_FIELD_UNKNOWN_TYPE);
}
END_TEST

START_TEST(audit_unknown_keys_ignored)
{
	/* read key names at other places must not be taken */
	const char *line =
		"{\"time\":\"2026-08-21T10:16:52Z\",\"level\":\"AUDIT\","
		"\"msg\":\"audit_event\",\"type\":\"mcp_tool_call\","
		"\"future\":{\"msg\":\"hello\",\"type\":\"mcp_ping\","
		"\"target\":{\"name\":\"wrong1\"}},"
		"\"source\":{\"extra\":{\"backend_name\":\"wrong2\","
		"\"duration_ms\":1}},"
		"\"data\":{\"request\":{\"name\":\"wrong3\",\"outcome\":\"error\"},"
		"\"list\":[{\"name\":\"wrong4\"},[\"x\",1,true,null]]},"
		"\"target\":{\"args\":{\"name\":\"wrong5\"},\"name\":\"right\","
		"\"extra\":{\"backend_name\":\"wrong6\"}},"
		"\"metadata\":{\"backend_name\":\"wrong7\",\"x\":{\"extra\":"
		"{\"backend_name\":\"wrong8\"}},\"extra\":{\"nested\":"
		"{\"backend_name\":\"wrong9\",\"duration_ms\":2},"
		"\"duration_ms\":77}},\"outcome\":\"success\",\"n\":1.5e300}";
	struct vt_record r;

	decode_str(line, &r);
	ck_assert_int_eq(r.cls, VT_LINE_AUDIT);
	ck_assert_int_eq(r.json_valid, 1);
	ck_assert_int_eq(r.audit.type, VT_EV_MCP_TOOL_CALL);
	ck_assert_int_eq(r.audit.outcome, VT_OUT_SUCCESS);
	ck_assert(sv_is(r.audit.target_name, "right"));
	ck_assert_int_eq(r.audit.has_backend, 0);
	ck_assert_int_eq(r.audit.duration_ms, 77);
	ck_assert_uint_eq(r.field_flags, 0);
}
END_TEST

/* One line with one read field of a wrong JSON type. */
static void expect_wrong_type(const char *line)
{
	struct vt_record r;

	decode_str(line, &r);
	ck_assert_msg(r.json_valid == 1, "not valid: %s", line);
	ck_assert_msg(r.field_flags & VT_FIELD_WRONG_TYPE,
		      "no wrong-type flag for %s", line);
}

START_TEST(wrong_types_flagged)
{
	struct vt_record r;

	expect_wrong_type("{\"msg\":\"audit_event\",\"level\":\"AUDIT\","
			  "\"target\":{\"name\":42}}");
	expect_wrong_type("{\"msg\":\"audit_event\",\"level\":\"AUDIT\","
			  "\"target\":{\"name\":{\"a\":1}}}");
	expect_wrong_type("{\"msg\":\"audit_event\",\"level\":\"AUDIT\","
			  "\"outcome\":true}");
	expect_wrong_type("{\"msg\":\"audit_event\",\"level\":\"AUDIT\","
			  "\"type\":[\"mcp_ping\"]}");
	expect_wrong_type("{\"msg\":\"audit_event\",\"level\":\"AUDIT\","
			  "\"target\":[{\"name\":\"x\"}]}");
	expect_wrong_type("{\"msg\":\"audit_event\",\"level\":\"AUDIT\","
			  "\"target\":\"create_ticket\"}");
	expect_wrong_type("{\"msg\":\"audit_event\",\"level\":\"AUDIT\","
			  "\"metadata\":7}");
	expect_wrong_type("{\"msg\":\"audit_event\",\"level\":\"AUDIT\","
			  "\"metadata\":{\"extra\":[1,2]}}");
	expect_wrong_type("{\"msg\":\"audit_event\",\"level\":\"AUDIT\","
			  "\"metadata\":{\"extra\":{\"backend_name\":5}}}");
	expect_wrong_type("{\"msg\":\"audit_event\",\"level\":\"AUDIT\","
			  "\"component\":false}");
	expect_wrong_type("{\"msg\":\"x\",\"level\":{\"v\":1}}");
	expect_wrong_type("{\"msg\":\"x\",\"level\":\"INFO\",\"time\":12345}");

	/* duration_ms as a string: flagged and not used */
	decode_str("{\"msg\":\"audit_event\",\"level\":\"AUDIT\","
		   "\"type\":\"mcp_tool_call\","
		   "\"metadata\":{\"extra\":{\"duration_ms\":\"842\"}}}",
		   &r);
	ck_assert_int_eq(r.cls, VT_LINE_AUDIT);
	ck_assert_uint_eq(r.field_flags, VT_FIELD_WRONG_TYPE);
	ck_assert_uint_eq(r.audit.field_flags, VT_FIELD_WRONG_TYPE);
	ck_assert_int_eq(r.audit.has_duration, 0);

	/* msg as a number: no msg, so not a vMCP line */
	decode_str("{\"time\":\"2026-08-21T10:15:02Z\",\"level\":\"INFO\","
		   "\"msg\":17}",
		   &r);
	ck_assert_int_eq(r.cls, VT_LINE_UNRECOGNIZED);
	ck_assert_int_eq(r.reason, VT_UNREC_NOT_VMCP);
	ck_assert_uint_eq(r.field_flags & VT_FIELD_WRONG_TYPE,
			  VT_FIELD_WRONG_TYPE);

	/* fields the tool does not read may hold anything; null is absent */
	decode_str("{\"msg\":\"audit_event\",\"level\":\"AUDIT\","
		   "\"type\":\"mcp_ping\",\"audit_id\":7,\"source\":\"x\","
		   "\"subjects\":[1],"
		   "\"data\":true,\"outcome\":null,\"target\":null}",
		   &r);
	ck_assert_int_eq(r.cls, VT_LINE_AUDIT);
	ck_assert_uint_eq(r.field_flags, 0);
	ck_assert_int_eq(r.audit.outcome, VT_OUT_UNKNOWN);
}
END_TEST

/* The duration_ms of an audit line whose value is the given JSON text. */
static struct vt_record with_duration(const char *num)
{
	char line[512];
	struct vt_record r;

	snprintf(line, sizeof(line),
		 "{\"msg\":\"audit_event\",\"level\":\"AUDIT\","
		 "\"type\":\"mcp_tool_call\",\"metadata\":{\"extra\":"
		 "{\"duration_ms\":%s}}}",
		 num);
	decode_str(line, &r);
	ck_assert_msg(r.cls == VT_LINE_AUDIT, "duration %s: class %d", num,
		      (int)r.cls);
	return r;
}

START_TEST(duration_any_size)
{
	static const struct {
		const char *text;
		int64_t want;
	} cases[] = {
		{ "0", 0 },
		{ "842", 842 },
		{ "12.7", 12 },
		{ "0.999", 0 },
		{ "1e3", 1000 },
		{ "1E3", 1000 },
		{ "1e+3", 1000 },
		{ "2.5e1", 25 },
		{ "1.25e2", 125 },
		{ "15e-1", 1 },
		{ "1e-400", 0 },
		{ "9223372036854775807", INT64_MAX },
		{ "9223372036854775808", INT64_MAX },
		{ "99999999999999999999999", INT64_MAX },
		{ "1e400", INT64_MAX },
		{ "1e18", 1000000000000000000 },
		{ "1e19", INT64_MAX },
	};

	for (size_t i = 0; i < VT_ARRAY_LEN(cases); i++) {
		struct vt_record r = with_duration(cases[i].text);

		ck_assert_int_eq(r.audit.has_duration, 1);
		ck_assert_msg(r.audit.duration_ms == cases[i].want,
			      "%s gave %lld, want %lld", cases[i].text,
			      (long long)r.audit.duration_ms,
			      (long long)cases[i].want);
		ck_assert_uint_eq(r.field_flags, 0);
	}
	struct vt_record r = with_duration("-5");
	ck_assert_int_eq(r.audit.has_duration, 0);
	ck_assert_uint_eq(r.field_flags, VT_FIELD_OUT_OF_RANGE);
	r = with_duration("-1e400");
	ck_assert_int_eq(r.audit.has_duration, 0);
	ck_assert_uint_eq(r.field_flags, VT_FIELD_OUT_OF_RANGE);
}
END_TEST

START_TEST(escaped_strings_use_scratch)
{
	const char *line =
		"{\"time\":\"2026-08-21T10:16:52Z\",\"level\":\"AUDIT\","
		"\"msg\":\"audit\\u005fevent\",\"type\":\"mcp\\u005ftool_call\","
		"\"outcome\":\"succ\\u0065ss\",\"component\":\"vmcp\\/server\","
		"\"target\":{\"n\\u0061me\":\"say \\\"hi\\\"\\n\\u00e9\"},"
		"\"metadata\":{\"extra\":{\"backend_name\":\"back\\\\end\","
		"\"duration_ms\":9}}}";
	size_t len = strlen(line);
	struct vt_record r;

	decode_str(line, &r);
	ck_assert_int_eq(r.cls, VT_LINE_AUDIT);
	ck_assert_int_eq(r.audit.type, VT_EV_MCP_TOOL_CALL);
	ck_assert_int_eq(r.audit.outcome, VT_OUT_SUCCESS);
	/* every escaped view is still right after the whole line */
	ck_assert(sv_is(r.msg, "audit_event"));
	ck_assert(sv_is(r.audit.component, "vmcp/server"));
	ck_assert(sv_is(r.audit.target_name, "say \"hi\"\n\xc3\xa9"));
	ck_assert(sv_is(r.audit.backend_name, "back\\end"));
	ck_assert(!points_into(r.audit.target_name, line, len));
	ck_assert(!points_into(r.audit.backend_name, line, len));
	ck_assert(!points_into(r.audit.component, line, len));
	ck_assert(points_into(r.level, line, len));
	ck_assert_int_eq(r.audit.duration_ms, 9);
}
END_TEST

START_TEST(duplicate_keys_last_wins)
{
	const char *line =
		"{\"msg\":\"hello\",\"level\":\"AUDIT\",\"msg\":\"audit_event\","
		"\"outcome\":\"success\",\"type\":\"mcp_ping\","
		"\"target\":{\"name\":\"first\"},\"outcome\":\"denied\","
		"\"type\":\"mcp_prompt_get\",\"target\":{\"name\":\"second\"},"
		"\"metadata\":{\"extra\":{\"duration_ms\":1,"
		"\"duration_ms\":2}}}";
	struct vt_record r;

	decode_str(line, &r);
	ck_assert_int_eq(r.cls, VT_LINE_AUDIT);
	ck_assert_int_eq(r.audit.outcome, VT_OUT_DENIED);
	ck_assert_int_eq(r.audit.type, VT_EV_MCP_PROMPT_GET);
	ck_assert(sv_is(r.audit.target_name, "second"));
	ck_assert_int_eq(r.audit.duration_ms, 2);

	decode_str("{\"msg\":\"audit_event\",\"level\":\"INFO\","
		   "\"msg\":\"Discovered 3 backends\"}",
		   &r);
	ck_assert_int_eq(r.cls, VT_LINE_APP);
	ck_assert(sv_is(r.msg, "Discovered 3 backends"));
}
END_TEST

START_TEST(app_line_attrs)
{
	const char *line =
		"{\"time\":\"2026-08-21T12:15:02+02:00\",\"level\":\"INFO\","
		"\"msg\":\"starting Virtual MCP Server\","
		"\"address\":\"0.0.0.0:4483\",\"endpoint\":\"/mcp\","
		"\"backends\":3,\"ok\":true,\"nothing\":null,"
		"\"obj\":{\"inner\":\"x\"},\"arr\":[\"y\"],"
		"\"esc\\u0061ped\":\"v\\u0061l\",\"ratio\":-1.5e2}";
	struct vt_record r;

	decode_str(line, &r);
	ck_assert_int_eq(r.cls, VT_LINE_APP);
	ck_assert_int_eq(r.json_valid, 1);
	ck_assert(sv_is(r.level, "INFO"));
	ck_assert(sv_is(r.msg, "starting Virtual MCP Server"));
	ck_assert_int_eq(r.has_time, 1);
	ck_assert_int_eq(r.time, T_APP);
	ck_assert_uint_eq(r.field_flags, 0);
	/* an array attribute's scalar elements come under its key */
	ck_assert_uint_eq(r.nattrs, 6);
	ck_assert(sv_is(r.attrs[0].key, "address"));
	ck_assert(sv_is(r.attrs[0].value, "0.0.0.0:4483"));
	ck_assert_int_eq(r.attrs[0].is_string, 1);
	ck_assert(sv_is(r.attrs[1].key, "endpoint"));
	ck_assert(sv_is(r.attrs[1].value, "/mcp"));
	ck_assert(sv_is(r.attrs[2].key, "backends"));
	ck_assert(sv_is(r.attrs[2].value, "3"));
	ck_assert_int_eq(r.attrs[2].is_string, 0);
	ck_assert(sv_is(r.attrs[3].key, "arr"));
	ck_assert(sv_is(r.attrs[3].value, "y"));
	ck_assert(sv_is(r.attrs[4].key, "escaped"));
	ck_assert(sv_is(r.attrs[4].value, "val"));
	ck_assert(sv_is(r.attrs[5].key, "ratio"));
	ck_assert(sv_is(r.attrs[5].value, "-1.5e2"));
}
END_TEST

START_TEST(app_line_attr_cap_and_time)
{
	char line[2048];
	size_t off;
	struct vt_record r;

	off = (size_t)snprintf(line, sizeof(line),
			       "{\"level\":\"DEBUG\",\"msg\":\"m\"");
	for (int i = 0; i < VT_MAX_ATTRS + 4; i++)
		off += (size_t)snprintf(line + off, sizeof(line) - off,
					",\"k%d\":%d", i, i);
	snprintf(line + off, sizeof(line) - off, "}");
	decode_str(line, &r);
	ck_assert_int_eq(r.cls, VT_LINE_APP);
	ck_assert_uint_eq(r.nattrs, VT_MAX_ATTRS);
	ck_assert(sv_is(r.attrs[VT_MAX_ATTRS - 1].key, "k15"));
	ck_assert(sv_is(r.attrs[VT_MAX_ATTRS - 1].value, "15"));
	ck_assert_int_eq(r.has_time, 0);

	/* a time that is not RFC 3339 is flagged, the line still counts */
	decode_str("{\"time\":\"yesterday\",\"level\":\"INFO\",\"msg\":\"m\"}",
		   &r);
	ck_assert_int_eq(r.cls, VT_LINE_APP);
	ck_assert_int_eq(r.has_time, 0);
	ck_assert_uint_eq(r.field_flags, VT_FIELD_BAD_TIME);

	/* time alone (no level) is enough for an app line */
	decode_str("{\"time\":\"2026-08-21T10:15:02Z\",\"msg\":\"m\"}", &r);
	ck_assert_int_eq(r.cls, VT_LINE_APP);
	ck_assert_int_eq(r.time, T_APP);
}
END_TEST

static void expect_class(const char *line, size_t len, enum vt_line_class cls,
			 int reason, int valid)
{
	struct vt_record r;

	vt_decode_line(dec, line, len, &r);
	ck_assert_msg(r.cls == cls && r.reason == reason &&
			      r.json_valid == valid,
		      "line '%.*s': class %d reason %d valid %d", (int)len,
		      line, (int)r.cls, r.reason, r.json_valid);
}

#define EXPECT(lit, cls, reason, valid) \
	expect_class(lit, sizeof(lit) - 1, cls, reason, valid)

START_TEST(classification)
{
	EXPECT("", VT_LINE_UNRECOGNIZED, VT_UNREC_NOT_JSON, 0);
	EXPECT("   \t", VT_LINE_UNRECOGNIZED, VT_UNREC_NOT_JSON, 0);
	EXPECT("goroutine 1 [running]:", VT_LINE_UNRECOGNIZED,
	       VT_UNREC_NOT_JSON, 0);
	EXPECT("I0821 10:15:02.000 klog style", VT_LINE_UNRECOGNIZED,
	       VT_UNREC_NOT_JSON, 0);
	EXPECT("[1,2,3]", VT_LINE_UNRECOGNIZED, VT_UNREC_NOT_OBJECT, 1);
	EXPECT("42", VT_LINE_UNRECOGNIZED, VT_UNREC_NOT_OBJECT, 1);
	EXPECT("\"a string\"", VT_LINE_UNRECOGNIZED, VT_UNREC_NOT_OBJECT, 1);
	EXPECT("null", VT_LINE_UNRECOGNIZED, VT_UNREC_NOT_OBJECT, 1);
	EXPECT("{}", VT_LINE_UNRECOGNIZED, VT_UNREC_NOT_VMCP, 1);
	EXPECT(" {\"msg\":\"x\"} \r", VT_LINE_UNRECOGNIZED, VT_UNREC_NOT_VMCP,
	       1);
	EXPECT("{\"time\":\"2026-08-21T10:15:02Z\",\"level\":\"INFO\"}",
	       VT_LINE_UNRECOGNIZED, VT_UNREC_NOT_VMCP, 1);
	EXPECT("{\"level\":\"INFO\",\"msg\":\"x\"}", VT_LINE_APP, 0, 1);
	EXPECT("{\"msg\":\"audit_event\"}", VT_LINE_AUDIT, 0, 1);
	/* two values, trailing garbage, syntax errors */
	EXPECT("{\"a\":1} {\"b\":2}", VT_LINE_MALFORMED, VT_BAD_INVALID_JSON,
	       0);
	EXPECT("{} 1", VT_LINE_MALFORMED, VT_BAD_INVALID_JSON, 0);
	EXPECT("{\"a\":1} x", VT_LINE_MALFORMED, VT_BAD_INVALID_JSON, 0);
	EXPECT("{\"a\":1,}", VT_LINE_MALFORMED, VT_BAD_INVALID_JSON, 0);
	EXPECT("{'a':1}", VT_LINE_MALFORMED, VT_BAD_INVALID_JSON, 0);
	EXPECT("{\"a\" 1}", VT_LINE_MALFORMED, VT_BAD_INVALID_JSON, 0);
	EXPECT("[1,2]]", VT_LINE_MALFORMED, VT_BAD_INVALID_JSON, 0);
}
END_TEST

START_TEST(truncated_lines)
{
	EXPECT("{", VT_LINE_MALFORMED, VT_BAD_TRUNCATED, 0);
	EXPECT("{\"time\":\"2026-08-21T10:15:02Z\",\"level\":\"IN",
	       VT_LINE_MALFORMED, VT_BAD_TRUNCATED, 0);
	EXPECT("{\"msg\":\"audit_event\",\"metadata\":{\"extra\":{",
	       VT_LINE_MALFORMED, VT_BAD_TRUNCATED, 0);
	EXPECT("{\"a\":", VT_LINE_MALFORMED, VT_BAD_TRUNCATED, 0);
	EXPECT("[1,2", VT_LINE_MALFORMED, VT_BAD_TRUNCATED, 0);
}
END_TEST

START_TEST(nul_bytes)
{
	EXPECT("{\"level\":\"INFO\",\"msg\":\"a\0b\"}", VT_LINE_MALFORMED,
	       VT_BAD_NUL_BYTE, 0);
	EXPECT("{\"level\":\"INFO\",\"msg\":\"ab\"}\0", VT_LINE_MALFORMED,
	       VT_BAD_NUL_BYTE, 0);
	EXPECT("{\"level\":\"INFO\",\0\"msg\":\"ab\"}", VT_LINE_MALFORMED,
	       VT_BAD_NUL_BYTE, 0);
	/* a NUL where a value starts cannot begin JSON */
	EXPECT("\0\0\0", VT_LINE_UNRECOGNIZED, VT_UNREC_NOT_JSON, 0);
}
END_TEST

START_TEST(invalid_utf8)
{
	EXPECT("{\"level\":\"INFO\",\"msg\":\"\xff\"}", VT_LINE_MALFORMED,
	       VT_BAD_INVALID_UTF8, 0);
	EXPECT("{\"level\":\"INFO\",\"msg\":\"caf\xc3\"}", VT_LINE_MALFORMED,
	       VT_BAD_INVALID_UTF8, 0);
	EXPECT("{\"level\":\"INFO\",\"m\xe2\x82\":1,\"msg\":\"x\"}",
	       VT_LINE_MALFORMED, VT_BAD_INVALID_UTF8, 0);
	/* valid multi-byte text is fine */
	EXPECT("{\"level\":\"INFO\",\"msg\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}",
	       VT_LINE_APP, 0, 1);
}
END_TEST

START_TEST(json_test_suite)
{
	struct vt_test_json *cases;
	size_t n = vt_test_json_corpus(&cases), ny = 0, nn = 0, ni = 0;

	for (size_t i = 0; i < n; i++) {
		const char *name = cases[i].name;
		struct vt_record r;

		/* one decoder for the whole corpus, errors and all */
		vt_decode_line(dec, cases[i].text, cases[i].len, &r);
		if (name[0] == 'y') {
			ck_assert_msg(r.json_valid == 1, "%s: not valid", name);
			ny++;
		} else if (name[0] == 'n') {
			ck_assert_msg(r.json_valid == 0, "%s: valid", name);
			ck_assert_msg(r.cls == VT_LINE_MALFORMED ||
					      r.cls == VT_LINE_UNRECOGNIZED,
				      "%s: class %d", name, (int)r.cls);
			nn++;
		} else {
			ni++;
		}
	}
	vt_test_json_free(cases, n);
	ck_assert_uint_ge(ny, 90);
	ck_assert_uint_ge(nn, 190);
	ck_assert_uint_ge(ni, 40);
}
END_TEST

/* The fields a decoded record is compared on. */
static int same_record(const struct vt_record *a, const struct vt_record *b)
{
	if (a->cls != b->cls || a->reason != b->reason ||
	    a->json_valid != b->json_valid || a->field_flags != b->field_flags ||
	    a->nattrs != b->nattrs || a->has_time != b->has_time ||
	    a->time != b->time)
		return 0;
	if (a->msg.len != b->msg.len ||
	    (a->msg.len && memcmp(a->msg.ptr, b->msg.ptr, a->msg.len)))
		return 0;
	if (a->cls != VT_LINE_AUDIT)
		return 1;
	return a->audit.type == b->audit.type &&
	       a->audit.outcome == b->audit.outcome &&
	       a->audit.duration_ms == b->audit.duration_ms &&
	       a->audit.has_backend == b->audit.has_backend &&
	       a->audit.target_name.len == b->audit.target_name.len &&
	       (!a->audit.target_name.len ||
		memcmp(a->audit.target_name.ptr, b->audit.target_name.ptr,
		       a->audit.target_name.len) == 0);
}

START_TEST(reuse_after_errors)
{
	static const struct {
		const char *p;
		size_t n;
	} lines[] = {
#define L(s) { s, sizeof(s) - 1 }
		L("{\"time\":\"2026-08-21T10:16:52Z\",\"level\":\"AUDIT\","
		  "\"msg\":\"audit_event\",\"type\":\"mcp_tool_call\","
		  "\"outcome\":\"error\",\"target\":{\"name\":\"t\\u0031\"},"
		  "\"metadata\":{\"extra\":{\"duration_ms\":3}}}"),
		L("{\"level\":\"INFO\",\"msg\":\"half"),
		L("{\"level\":\"INFO\",\"msg\":\"Discovered 2 backends\"}"),
		L("{\"a\":[1,2,{\"b\":"),
		L("{\"level\":\"INFO\",\"msg\":\"x\xff\"}"),
		L("[\"x\"]"),
		L("{\"msg\":\"a\0\"}"),
		L("{\"level\":\"WARN\",\"msg\":\"m\",\"k\":\"v\"}"),
		L("{} {}"),
		L("plain text"),
		L("{\"msg\":\"audit_event\",\"type\":\"mcp_ping\","
		  "\"outcome\":\"success\",\"metadata\":{\"extra\":"
		  "{\"duration_ms\":\"x\"}}}"),
		L("{\"a\":1,}"),
		L("{\"level\":\"INFO\",\"msg\":\"esc\\\"aped\",\"n\":1}"),
#undef L
	};
	struct vt_record shared, fresh;

	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < VT_ARRAY_LEN(lines); i++) {
			struct vt_decoder *f = vt_decoder_new(SCRATCH);

			vt_decode_line(dec, lines[i].p, lines[i].n, &shared);
			vt_decode_line(f, lines[i].p, lines[i].n, &fresh);
			ck_assert_msg(same_record(&shared, &fresh),
				      "line %zu differs on a reused decoder",
				      i);
			vt_decoder_free(f);
		}
	/* and the shared decoder still reads a good line right */
	vt_decode_line(dec, lines[0].p, lines[0].n, &shared);
	ck_assert_int_eq(shared.cls, VT_LINE_AUDIT);
	ck_assert_int_eq(shared.audit.outcome, VT_OUT_ERROR);
	ck_assert(sv_is(shared.audit.target_name, "t1"));
}
END_TEST

/*
 * Found by fuzz_decode (tests/fuzz/regressions/fuzz_decode/): a whole
 * value followed by a string the line cuts off was taken as valid, and
 * the string, left in yajl's lexer, swallowed the start of the next line.
 */
START_TEST(cut_off_string_after_value)
{
	static const char *const bad[] = {
		("{\"time\":\"2026-08-21T10:00:00Z\",\"level\":\"INFO\","
		 "\"msg\":\"hi\"} \"x"),
		"{\"level\":\"INFO\",\"msg\":\"a\"}12\"}}}",
		"1 \"\\u00",
		"{} \"\\",
	};
	const char *good = "{\"time\":\"2026-08-21T10:16:52Z\",\"level\":"
			   "\"AUDIT\",\"msg\":\"audit_event\",\"type\":"
			   "\"mcp_tool_call\",\"outcome\":\"success\"}";
	struct vt_record r;

	for (size_t i = 0; i < VT_ARRAY_LEN(bad); i++) {
		decode_str(bad[i], &r);
		ck_assert_msg(r.cls == VT_LINE_MALFORMED && !r.json_valid,
			      "line %zu: class %d", i, (int)r.cls);
		ck_assert_int_eq(r.reason, VT_BAD_INVALID_JSON);
		decode_str(good, &r);
		ck_assert_msg(r.cls == VT_LINE_AUDIT,
			      "the line after %zu: class %d", i, (int)r.cls);
		ck_assert_int_eq(r.audit.type, VT_EV_MCP_TOOL_CALL);
	}
	/* a string cut off on its own is still a truncated line */
	decode_str("{\"msg\":\"x\"} {\"msg\":\"y", &r);
	ck_assert_int_eq(r.reason, VT_BAD_TRUNCATED);
	decode_str("\"abc", &r);
	ck_assert_int_eq(r.reason, VT_BAD_TRUNCATED);
}
END_TEST

/*
 * Found by fuzz_decode (tests/fuzz/regressions/fuzz_decode/truncated-
 * after-value-*): a line that is only a cut-off string was "truncated"
 * for a new decoder but "invalid_json" for one whose yajl handle had
 * finished a value on the line before, so the report's reasons depended
 * on the order of lines.
 */
START_TEST(cut_off_string_after_valid_line)
{
	static const char *const before[] = { "{}", "1", "\"x\"",
					      "{\"msg\":\"a\"}" };
	static const char *const cut[] = { "\"", "\"abc", "\"\\u00",
					   "\"\xc3", " \"ab\\" };
	struct vt_record r;

	for (size_t i = 0; i < VT_ARRAY_LEN(before); i++)
		for (size_t k = 0; k < VT_ARRAY_LEN(cut); k++) {
			struct vt_decoder *fresh = vt_decoder_new(SCRATCH);
			struct vt_record f;

			decode_str(before[i], &r);
			ck_assert(r.json_valid);
			decode_str(cut[k], &r);
			vt_decode_line(fresh, cut[k], strlen(cut[k]), &f);
			vt_decoder_free(fresh);
			ck_assert_msg(r.cls == VT_LINE_MALFORMED &&
					      f.cls == r.cls &&
					      f.reason == r.reason,
				      "'%s' after '%s': reason %d, alone %d",
				      cut[k], before[i], r.reason, f.reason);
			/* a plain string cut off is a truncated line */
			if (k < 2)
				ck_assert_int_eq(r.reason, VT_BAD_TRUNCATED);
		}
}
END_TEST

START_TEST(docker_wrapper)
{
	const char *line =
		"{\"log\":\"{\\\"time\\\":\\\"2026-08-21T10:15:02Z\\\","
		"\\\"level\\\":\\\"INFO\\\",\\\"msg\\\":\\\"say \\\\\\\"hi\\\\\\\"\\\"}\\n\","
		"\"stream\":\"stderr\",\"time\":\"2026-08-21T10:15:02.1Z\"}";
	struct vt_sv log;
	int stream = -1;
	struct vt_record r;

	ck_assert_int_eq(vt_decode_docker(dec, line, strlen(line), &log,
					  &stream),
			 0);
	ck_assert_int_eq(stream, 1);
	ck_assert(sv_is(log, "{\"time\":\"2026-08-21T10:15:02Z\","
			     "\"level\":\"INFO\",\"msg\":\"say \\\"hi\\\"\"}\n"));
	/* the log text survives decoding it with the same decoder */
	vt_decode_line(dec, log.ptr, log.len - 1, &r);
	ck_assert_int_eq(r.cls, VT_LINE_APP);
	ck_assert(sv_is(r.msg, "say \"hi\""));
	ck_assert_int_eq(r.time, T_APP);

	line = "{\"stream\":\"stdout\",\"log\":\"plain\",\"extra\":[1]}";
	ck_assert_int_eq(vt_decode_docker(dec, line, strlen(line), &log,
					  &stream),
			 0);
	ck_assert_int_eq(stream, 0);
	ck_assert(sv_is(log, "plain"));

	line = "{\"log\":\"\",\"stream\":\"stdout\"}";
	ck_assert_int_eq(vt_decode_docker(dec, line, strlen(line), &log,
					  &stream),
			 0);
	ck_assert_uint_eq(log.len, 0);
	ck_assert_ptr_nonnull(log.ptr);
}
END_TEST

START_TEST(docker_not_wrapper)
{
	static const char *const bad[] = {
		"{\"log\":\"abc\",\"stream\":\"stdout\"",
		"{\"stream\":\"stdout\",\"time\":\"x\"}",
		"{\"log\":5,\"stream\":\"stdout\"}",
		"[\"log\",\"x\"]",
		"{\"log\":\"a\xff\"}",
		"{\"log\":\"a\"} {\"log\":\"b\"}",
		"not json",
		"",
	};
	struct vt_sv log = { NULL, 0 };
	int stream = 0;
	struct vt_record r;

	for (size_t i = 0; i < VT_ARRAY_LEN(bad); i++)
		ck_assert_msg(vt_decode_docker(dec, bad[i], strlen(bad[i]),
					       &log, &stream) == -1,
			      "accepted %s", bad[i]);
	/* a nested "log" key is not the wrapper's */
	const char *nested = "{\"x\":{\"log\":\"inner\"}}";
	ck_assert_int_eq(vt_decode_docker(dec, nested, strlen(nested), &log,
					  &stream),
			 -1);
	/* the decoder is still good for ordinary lines */
	decode_str("{\"level\":\"INFO\",\"msg\":\"after\",\"log\":\"x\"}", &r);
	ck_assert_int_eq(r.cls, VT_LINE_APP);
	ck_assert(sv_is(r.msg, "after"));
	ck_assert_uint_eq(r.nattrs, 1);
	ck_assert(sv_is(r.attrs[0].key, "log"));
}
END_TEST

Suite *decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("audit");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, audit_tool_call);
	tcase_add_test(tc, audit_every_type);
	tcase_add_test(tc, audit_discover_user_agent);
	tcase_add_test(tc, audit_every_outcome);
	tcase_add_test(tc, audit_unknown_type);
	tcase_add_test(tc, audit_workflow_steps);
	tcase_add_test(tc, audit_keys_any_order);
	tcase_add_test(tc, audit_missing_optional);
	tcase_add_test(tc, audit_unknown_keys_ignored);
	tcase_add_test(tc, wrong_types_flagged);
	tcase_add_test(tc, duration_any_size);
	tcase_add_test(tc, escaped_strings_use_scratch);
	tcase_add_test(tc, duplicate_keys_last_wins);
	suite_add_tcase(s, tc);

	tc = tcase_create("app");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, app_line_attrs);
	tcase_add_test(tc, app_line_attr_cap_and_time);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, classification);
	tcase_add_test(tc, truncated_lines);
	tcase_add_test(tc, nul_bytes);
	tcase_add_test(tc, invalid_utf8);
	tcase_add_test(tc, reuse_after_errors);
	tcase_add_test(tc, cut_off_string_after_value);
	tcase_add_test(tc, cut_off_string_after_valid_line);
	suite_add_tcase(s, tc);

	tc = tcase_create("corpus");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, json_test_suite);
	suite_add_tcase(s, tc);

	tc = tcase_create("docker");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, docker_wrapper);
	tcase_add_test(tc, docker_not_wrapper);
	suite_add_tcase(s, tc);
	return s;
}
