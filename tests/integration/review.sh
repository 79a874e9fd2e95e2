#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A reviewer's check of the counts against ToolHive's own messages
# (stacklok/toolhive e25de16, 2026-08-21): ten messages drawn at random
# from the list vMCP writes, each written as vMCP writes it, each with the
# report number it must (or must not) move.
#   sh tests/integration/review.sh BIN
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# line TIME LEVEL MSG [JSON members]: an application line as slog writes it
line() {
	printf '{"time":"%s","level":"%s","msg":"%s"%s}\n' "$1" "$2" "$3" "${4:+,$4}"
}
start() { # start DIR TIME: the first and last startup lines of a process
	line "$2" INFO "Loading configuration from: /etc/vmcp/config.yaml"
}
up() { line "$1" INFO "starting Virtual MCP Server" '"address":"127.0.0.1:4483","endpoint":"/mcp"'; }

# report NAME FILE...: the JSON report of FILE... in $TMP/NAME.json
report() {
	name=$1
	shift
	${VT_WRAPPER:-} "$BIN" report -q --now 2026-11-25T00:00:00Z "$@" >"$TMP/$name.json" 2>"$TMP/$name.err" ||
		bad "$name: exit $? ($(cat "$TMP/$name.err"))"
}
# expect NAME PYTHON-EXPRESSION...: each holds over the report d
expect() {
	name=$1
	shift
	for e in "$@"; do
		if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); nz=lambda m: {k: v for k, v in m.items() if v}; sys.exit(0 if eval(sys.argv[2]) else 1)" \
			"$TMP/$name.json" "$e"; then ok; else bad "$name: does not hold: $e"; fi
	done
}

# 1 "dynamic mode: initializing group manager for backend discovery"
#   (serve.go:654) and 7 "Static mode: using N pre-configured backends"
#   (serve.go:635): a changed count is a configuration change only in
#   static mode.
proc() { # HOUR MODE N: one process's startup in dynamic or static mode
	start x "2026-11-24T$1:00:00Z"
	if [ "$2" = dynamic ]; then
		line "2026-11-24T$1:00:00Z" INFO "dynamic mode: initializing group manager for backend discovery"
	else
		line "2026-11-24T$1:00:00Z" INFO "Static mode: using $3 pre-configured backends"
	fi
	line "2026-11-24T$1:00:00Z" INFO "Discovered $3 backends"
	up "2026-11-24T$1:00:01Z"
}
mode_pair() { # FILE MODE N1 N2: two processes, N1 then N2 backends
	{ proc 08 "$2" "$3" && proc 09 "$2" "$4"; } >"$1"
}
mode_pair "$TMP/dyn.log" dynamic 2 5
report dyn "$TMP/dyn.log"
expect dyn 'd["operational"]["restarts"] == 1' \
	'd["operational"]["config_changes"] == 0' \
	'nz(d["deployment"]["backends_per_instance"]) == {"4-7": 1}'
mode_pair "$TMP/static.log" static 2 5
report static "$TMP/static.log"
expect static 'd["operational"]["restarts"] == 1' \
	'd["operational"]["config_changes"] == 1' \
	'nz(d["deployment"]["backends_per_instance"]) == {"4-7": 1}'

# 2 "  Composite Tools: N defined" (serve.go:546), two leading spaces
{
	start x 2026-11-24T08:00:00Z
	line 2026-11-24T08:00:00Z INFO "  Composite Tools: 3 defined"
	up 2026-11-24T08:00:01Z
} >"$TMP/composite.log"
report composite "$TMP/composite.log"
expect composite 'nz(d["deployment"]["composite_tools_defined"]) == {"2-3": 1}'

# 3 "no workloads found in group" (discoverer.go:180): no count itself;
#   the WARN "No backends discovered in group ..." that follows says 0
{
	start x 2026-11-24T08:00:00Z
	line 2026-11-24T08:00:00Z INFO "no workloads found in group" '"group":"empty"'
	line 2026-11-24T08:00:00Z WARN "No backends discovered in group empty - vmcp will start but have no backends to proxy"
	up 2026-11-24T08:00:01Z
} >"$TMP/noworkloads.log"
report noworkloads "$TMP/noworkloads.log"
expect noworkloads 'nz(d["deployment"]["backends_per_instance"]) == {"0": 1}'

# 4 WARN "no authentication configured: ..." (pkg/auth/utils.go:82-84):
#   local auth, said by the lines around it; the WARN alone says nothing
{
	line 2026-11-24T08:00:00Z INFO "Setting up incoming authentication (type: local)"
	line 2026-11-24T08:00:00Z WARN "no authentication configured: the proxy will accept every request unauthenticated and assign each a synthetic local-user identity with no token or credential check; configure an OIDC provider to enforce authentication per request"
} >"$TMP/local.log"
line 2026-11-24T08:00:00Z WARN "no authentication configured: the proxy will accept every request unauthenticated and assign each a synthetic local-user identity with no token or credential check; configure an OIDC provider to enforce authentication per request" >"$TMP/localwarn.log"
report local "$TMP/local.log"
report localwarn "$TMP/localwarn.log"
expect local 'nz(d["deployment"]["incoming_auth"]) == {"local": 1}'
expect localwarn 'nz(d["deployment"]["incoming_auth"]) == {"unknown": 1}'

# 5 "Circuit breaker enabled (threshold: N failures, timeout: D)"
#   (serve.go:297-298) and 8 WARN "circuit breaker OPENED (threshold
#   exceeded)" (circuit_breaker.go:109); "CLOSED" is no opening
{
	line 2026-11-24T08:00:00Z INFO "Circuit breaker enabled (threshold: 5 failures, timeout: 1m0s)"
	line 2026-11-24T08:10:00Z WARN "circuit breaker OPENED (threshold exceeded)" '"backend":"jira"'
	line 2026-11-24T08:12:00Z INFO "circuit breaker CLOSED (recovery successful)" '"backend":"jira"'
	line 2026-11-24T08:20:00Z WARN "circuit breaker OPENED (threshold exceeded)" '"backend":"jira"'
} >"$TMP/breaker.log"
report breaker "$TMP/breaker.log"
expect breaker 'd["deployment"]["features"]["circuit_breaker"] == 1' \
	'nz(d["operational"]["backend_health"]) == {"circuit_breaker_openings": 2}' \
	'"jira" not in open(sys.argv[1]).read()'

# 6 DEBUG "calling tool on backend" (client.go:1717): a tool call only
#   for an instance that writes no audit event
{
	line 2026-11-24T08:00:00Z DEBUG "calling tool on backend" '"tool":"search","backend":"github"'
	line 2026-11-24T08:00:05Z DEBUG "calling tool on backend" '"tool":"search","backend":"github"'
} >"$TMP/debug.log"
cp "$TMP/debug.log" "$TMP/debugaudit.log"
printf '%s\n' '{"time":"2026-11-24T08:00:06.1Z","level":"AUDIT","msg":"audit_event","audit_id":"a","type":"mcp_tool_call","logged_at":"2026-11-24T08:00:06.1Z","outcome":"success","component":"vmcp-server","source":{"type":"network","value":"10.0.0.1","extra":{}},"subjects":{"user":"anonymous"},"target":{"endpoint":"/mcp","method":"tools/call","name":"github_search","type":"tool"},"metadata":{"extra":{"backend_name":"github","duration_ms":12,"transport":"http"}}}' >>"$TMP/debugaudit.log"
report debug "$TMP/debug.log"
report debugaudit "$TMP/debugaudit.log"
expect debug 'd["usage"]["tool_calls"]["total"] == 2' \
	'nz(d["usage"]["tool_calls"]["by_outcome"]) == {"unknown": 2}'
expect debugaudit 'd["usage"]["tool_calls"]["total"] == 1' \
	'nz(d["usage"]["tool_calls"]["by_outcome"]) == {"success": 1}'

# 9 "starting health monitor" backends=N (monitor.go:301-304): health
#   monitoring is on; its count is the registry's, not read as the
#   configured one
line 2026-11-24T08:00:00Z INFO "starting health monitor" '"backends":3,"interval":30000000000,"threshold":3' >"$TMP/monitor.log"
report monitor "$TMP/monitor.log"
expect monitor 'd["deployment"]["features"]["health_monitoring"] == 1' \
	'nz(d["deployment"]["backends_per_instance"]) == {"unknown": 1}'

# 10 a Modern tools/call whose backend failed: application_error, -32603 at
#   HTTP 200, no backend_name (modern_dispatch.go:328,673-688)
printf '%s\n' '2026-11-24T06:05:12.137812295Z stdout F {"time":"2026-11-24T06:05:12.137460513Z","level":"AUDIT","msg":"audit_event","audit_id":"ed098b71-958b-48ed-8583-78d324d3d96f","type":"mcp_tool_call","logged_at":"2026-11-24T06:05:12.137446776Z","outcome":"application_error","component":"agents-vmcp","source":{"type":"network","value":"10.42.3.17","extra":{"user_agent":"Go-http-client/1.1"}},"subjects":{"user":"Anonymous User","user_id":"anonymous"},"target":{"endpoint":"/mcp","method":"tools/call","name":"notion_get_page","type":"tool"},"metadata":{"extra":{"duration_ms":1442,"jsonrpc_error_code":-32603,"jsonrpc_error_message":"backend unavailable: failed to create client for backend notion (connection closed): EOF","transport":"http"}}}' >"$TMP/modern.log"
report modern "$TMP/modern.log"
expect modern 'nz(d["usage"]["tool_calls"]["by_outcome"]) == {"application_error": 1}' \
	'd["usage"]["backend_distribution"] == {"unknown": 1}' \
	'd["usage"]["sessions"] == 0'

# The build refuses a rule without its ToolHive source, or a fact no
# conformance line shows (tools/check-rules.sh, run by make all).
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CONF=$ROOT/tests/unit/conformance-lines
sh "$ROOT/tools/check-rules.sh" "$ROOT/data/rules.conf" "$CONF" && ok ||
	bad "check-rules refuses the shipped table"
printf '# a comment, but no source\nbackends $1 ^x (\\d+)$\n' >"$TMP/nosrc.conf"
sh "$ROOT/tools/check-rules.sh" "$TMP/nosrc.conf" "$CONF" 2>"$TMP/nosrc.err" &&
	bad "check-rules took a rule without a source" ||
	{ grep -q 'nosrc.conf:2: rule without' "$TMP/nosrc.err" && ok || bad "check-rules: $(cat "$TMP/nosrc.err")"; }
printf '# src: pkg/vmcp/x.go:1\nsession_storage =memory ^x$\n' >"$TMP/nofact.conf"
grep -v '^+ session_storage ' "$CONF" >"$TMP/nofact.lines"
sh "$ROOT/tools/check-rules.sh" "$TMP/nofact.conf" "$TMP/nofact.lines" 2>"$TMP/nofact.err" &&
	bad "check-rules took a fact without a conformance line" ||
	{ grep -q "no conformance line for fact 'session_storage'" "$TMP/nofact.err" && ok || bad "check-rules: $(cat "$TMP/nofact.err")"; }

echo "review.sh: $pass passed, $fail failed"
[ "$fail" = 0 ]
