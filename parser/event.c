/* SPDX-License-Identifier: Apache-2.0 */
/* Names of the enumerated values in audit events and facts. */
#include "event.h"

#include <string.h>

const char *const vt_event_type_names[VT_EV_COUNT] = {
	[VT_EV_OTHER] = "other",
	[VT_EV_MCP_INITIALIZE] = "mcp_initialize",
	[VT_EV_MCP_TOOL_CALL] = "mcp_tool_call",
	[VT_EV_MCP_TOOLS_LIST] = "mcp_tools_list",
	[VT_EV_MCP_RESOURCE_READ] = "mcp_resource_read",
	[VT_EV_MCP_RESOURCES_LIST] = "mcp_resources_list",
	[VT_EV_MCP_PROMPT_GET] = "mcp_prompt_get",
	[VT_EV_MCP_PROMPTS_LIST] = "mcp_prompts_list",
	[VT_EV_MCP_NOTIFICATION] = "mcp_notification",
	[VT_EV_MCP_PING] = "mcp_ping",
	[VT_EV_MCP_LOGGING] = "mcp_logging",
	[VT_EV_MCP_COMPLETION] = "mcp_completion",
	[VT_EV_MCP_ROOTS_LIST_CHANGED] = "mcp_roots_list_changed",
	[VT_EV_MCP_REQUEST] = "mcp_request",
	[VT_EV_SSE_CONNECTION] = "sse_connection",
	[VT_EV_HTTP_REQUEST] = "http_request",
	[VT_EV_WORKFLOW_STARTED] = "vmcp_workflow_started",
	[VT_EV_WORKFLOW_COMPLETED] = "vmcp_workflow_completed",
	[VT_EV_WORKFLOW_FAILED] = "vmcp_workflow_failed",
	[VT_EV_WORKFLOW_TIMED_OUT] = "vmcp_workflow_timed_out",
	[VT_EV_STEP_STARTED] = "vmcp_workflow_step_started",
	[VT_EV_STEP_COMPLETED] = "vmcp_workflow_step_completed",
	[VT_EV_STEP_FAILED] = "vmcp_workflow_step_failed",
	[VT_EV_STEP_SKIPPED] = "vmcp_workflow_step_skipped",
};

const char *const vt_outcome_names[VT_OUT_COUNT] = {
	[VT_OUT_SUCCESS] = "success",
	[VT_OUT_FAILURE] = "failure",
	[VT_OUT_ERROR] = "error",
	[VT_OUT_DENIED] = "denied",
	[VT_OUT_APPLICATION_ERROR] = "application_error",
	[VT_OUT_UNKNOWN] = "unknown",
};

const char *const vt_step_type_names[VT_STEP_COUNT] = {
	[VT_STEP_TOOL] = "tool",
	[VT_STEP_ELICITATION] = "elicitation",
	[VT_STEP_FOREACH] = "forEach",
	[VT_STEP_OTHER] = "other",
};

const char *const vt_fact_kind_names[VT_FACT_COUNT] = {
	[VT_FACT_CONFIG_LOAD] = "config_load",
	[VT_FACT_PROCESS_START] = "process_start",
	[VT_FACT_CONFLICT] = "conflict_resolution",
	[VT_FACT_BACKENDS] = "backends",
	[VT_FACT_BACKEND_MODE] = "backend_mode",
	[VT_FACT_COMPOSITE_DEFINED] = "composite_tools_defined",
	[VT_FACT_INCOMING_AUTH] = "incoming_auth",
	[VT_FACT_SESSION_STORAGE] = "session_storage",
	[VT_FACT_OUTGOING_AUTH] = "outgoing_auth",
	[VT_FACT_FEATURE] = "feature",
	[VT_FACT_BACKEND_ADDED] = "backend_added",
	[VT_FACT_BACKEND_REMOVED] = "backend_removed",
	[VT_FACT_BACKEND_STATUS] = "backend_status",
	[VT_FACT_CIRCUIT_OPEN] = "circuit_open",
	[VT_FACT_WORKFLOW] = "workflow",
	[VT_FACT_SESSION] = "session",
	[VT_FACT_TOOL_CALL] = "tool_call",
	[VT_FACT_SETTING] = "setting",
	[VT_FACT_QUICK_START] = "quick_start",
};

const enum vt_fact_combine vt_fact_combine[VT_FACT_COUNT] = {
	[VT_FACT_CONFIG_LOAD] = VT_COMBINE_MARKER,
	[VT_FACT_PROCESS_START] = VT_COMBINE_MARKER,
	[VT_FACT_CONFLICT] = VT_COMBINE_ONCE,
	[VT_FACT_BACKENDS] = VT_COMBINE_ONCE,
	[VT_FACT_BACKEND_MODE] = VT_COMBINE_SET,
	[VT_FACT_COMPOSITE_DEFINED] = VT_COMBINE_ONCE,
	[VT_FACT_INCOMING_AUTH] = VT_COMBINE_ONCE,
	[VT_FACT_SESSION_STORAGE] = VT_COMBINE_ONCE,
	[VT_FACT_OUTGOING_AUTH] = VT_COMBINE_SET,
	[VT_FACT_FEATURE] = VT_COMBINE_SET,
	[VT_FACT_BACKEND_ADDED] = VT_COMBINE_COUNT,
	[VT_FACT_BACKEND_REMOVED] = VT_COMBINE_COUNT,
	[VT_FACT_BACKEND_STATUS] = VT_COMBINE_COUNT,
	[VT_FACT_CIRCUIT_OPEN] = VT_COMBINE_COUNT,
	[VT_FACT_WORKFLOW] = VT_COMBINE_COUNT,
	[VT_FACT_SESSION] = VT_COMBINE_COUNT,
	[VT_FACT_TOOL_CALL] = VT_COMBINE_COUNT,
	[VT_FACT_SETTING] = VT_COMBINE_SET,
	[VT_FACT_QUICK_START] = VT_COMBINE_MARKER,
};

static int lookup(const char *const *names, int count, const char *p,
		  size_t n)
{
	for (int i = 0; i < count; i++)
		if (n && names[i][0] == p[0] && strlen(names[i]) == n &&
		    memcmp(names[i], p, n) == 0)
			return i;
	return -1;
}

enum vt_event_type vt_event_type_parse(const char *p, size_t n)
{
	/* All known types start "mcp_", "vmcp_", "sse_" or "http_". */
	int i = n > 3 ? lookup(vt_event_type_names, VT_EV_COUNT, p, n) : -1;

	return i <= 0 ? VT_EV_OTHER : (enum vt_event_type)i;
}

enum vt_outcome vt_outcome_parse(const char *p, size_t n)
{
	int i = lookup(vt_outcome_names, VT_OUT_UNKNOWN, p, n);

	return i < 0 ? VT_OUT_UNKNOWN : (enum vt_outcome)i;
}

enum vt_step_type vt_step_type_parse(const char *p, size_t n)
{
	int i = lookup(vt_step_type_names, VT_STEP_OTHER, p, n);

	return i < 0 ? VT_STEP_OTHER : (enum vt_step_type)i;
}

int vt_fact_kind_parse(const char *s, size_t n, enum vt_fact_kind *out)
{
	int i = lookup(vt_fact_kind_names, VT_FACT_COUNT, s, n);

	if (i < 0)
		return -1;
	*out = (enum vt_fact_kind)i;
	return 0;
}
