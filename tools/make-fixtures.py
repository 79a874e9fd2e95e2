#!/usr/bin/env python3
# Writes the integration-test inputs in fixtures/input/ (run from the
# project root). Every string containing PLANTED, and the other values
# listed in fixtures/input/planted.txt, must never appear in any output.
import gzip, json, os

D = "fixtures/input"
os.makedirs(D, exist_ok=True)

def j(d):
    return json.dumps(d, separators=(",", ":"))

def ev(t, typ, outcome, target=None, extra=None, component="vmcp-server", **more):
    d = {"time": "2026-08-21T10:%02d:%02d.123456789Z" % divmod(t, 60), "level": "AUDIT", "msg": "audit_event",
         "audit_id": "a-%04d" % t, "type": typ, "logged_at": "2026-08-21T10:%02d:%02d.123456Z" % divmod(t, 60),
         "outcome": outcome, "component": component,
         "source": {"type": "network", "value": "127.0.0.1", "extra": {}}, "subjects": {"user": "anonymous"}}
    if target is not None:
        d["target"] = target
    if extra is not None:
        d["metadata"] = {"extra": extra}
    d.update(more)
    return j(d)

def app(t, msg, level="INFO", **attrs):
    d = {"time": "2026-08-21T10:%02d:%02d+00:00" % divmod(t, 60), "level": level, "msg": msg}
    d.update(attrs)
    return j(d)

# Every event type and outcome vMCP writes.
ev_lines = [app(0, "Loading configuration from: /etc/vmcp/config.yaml"),
            app(0, "  Conflict Resolution: priority"),
            app(0, "Loaded 3 composite tool workflow definitions"),
            app(1, "Static mode: using 7 pre-configured backends"),
            app(1, "creating local authentication middleware"),
            app(1, "backend configured with auth strategy from config", level="DEBUG", strategy="token_exchange"),
            app(1, "backend configured with auth strategy from config", level="DEBUG", strategy="header_injection"),
            app(2, "starting Virtual MCP Server", address="0.0.0.0:4483", endpoint="/mcp")]
t = 10
types = ["mcp_initialize", "mcp_tool_call", "mcp_tools_list", "mcp_resource_read", "mcp_resources_list",
         "mcp_prompt_get", "mcp_prompts_list", "mcp_notification", "mcp_ping", "mcp_logging",
         "mcp_completion", "mcp_roots_list_changed", "mcp_request", "sse_connection", "http_request"]
outcomes = ["success", "failure", "error", "denied", "application_error"]
for typ in types:
    for o in outcomes:
        extra = {"duration_ms": t * 7, "transport": "http"}
        target = {"endpoint": "/mcp", "method": "x", "type": "endpoint"}
        if typ == "mcp_tool_call":
            extra["backend_name"] = ["github", "GitHub", "notion", "team-internal", "fetch"][outcomes.index(o)]
            target = {"endpoint": "/mcp", "method": "tools/call", "name": "some_tool", "type": "tool"}
        if typ == "mcp_initialize":
            target = {"endpoint": "/mcp", "method": "initialize", "name": ["claude-code", "Cursor", "x", "y", "z"][outcomes.index(o)], "type": "endpoint"}
        ev_lines.append(ev(t, typ, o, target, extra))
        t += 1
for typ, o in [("vmcp_workflow_started", "success"), ("vmcp_workflow_completed", "success"),
               ("vmcp_workflow_failed", "failure"), ("vmcp_workflow_timed_out", "failure"),
               ("vmcp_workflow_started", "success")]:
    ev_lines.append(ev(t, typ, o, {"type": "workflow", "workflow_id": "w", "workflow_name": "wf"},
                       {"duration_ms": 100, "step_count": 2}))
    t += 1
for st in ["tool", "elicitation", "forEach", "tool"]:
    ev_lines.append(ev(t, "vmcp_workflow_step_started", "success",
                       {"step_id": "s", "step_type": st, "type": "workflow_step", "workflow_id": "w"}))
    t += 1
for typ, o in [("vmcp_workflow_step_completed", "success"), ("vmcp_workflow_step_failed", "failure"),
               ("vmcp_workflow_step_skipped", "success")]:
    ev_lines.append(ev(t, typ, o, {"step_id": "s", "type": "workflow_step", "workflow_id": "w"},
                       {"duration_ms": 5, "retry_count": 1}))
    t += 1
# composite tool call (no backend_name), optimizer and code mode calls
ev_lines.append(ev(t, "mcp_tool_call", "success", {"endpoint": "/mcp", "method": "tools/call", "name": "wf", "type": "tool"}, {"duration_ms": 3000}))
ev_lines.append(ev(t + 1, "mcp_tool_call", "success", {"endpoint": "/mcp", "method": "tools/call", "name": "find_tool", "type": "tool"}, {"backend_name": "optimizer", "duration_ms": 2}))
ev_lines.append(ev(t + 2, "mcp_tool_call", "success", {"endpoint": "/mcp", "method": "tools/call", "name": "execute_tool_script", "type": "tool"}, {"duration_ms": 1}))
# an unknown event type and an unknown outcome
ev_lines.append(ev(t + 3, "mcp_future_thing", "success"))
ev_lines.append(ev(t + 4, "mcp_tool_call", "exploded", {"name": "t"}, {"duration_ms": 0}))
open(D + "/events.jsonl", "w").write("\n".join(ev_lines) + "\n")

# Bad input mixed with good lines: each good line is one tool call.
good = lambda i: ev(i, "mcp_tool_call", "success", {"name": "t"}, {"backend_name": "github", "duration_ms": i})
bad = [good(1),
       '{"time":"2026-08-21T10:00:02Z","level":"AUDIT","msg":"audit_event","type":"mcp_tool_call"',  # truncated
       good(3),
       '{"time":"2026-08-21T10:00:04Z","level":"INFO","msg":"caf\xe9 \xff\xfe bad utf8"}',
       '{"time":"2026-08-21T10:00:05Z","msg":"has a \x00 nul"}',
       "panic: runtime error: index out of range [PLANTED-PANIC-TEXT]",
       "[1,2,3]",
       '{"hello":"world"}',
       "",
       good(6) + "\r",
       '{"time":"2026-08-21T10:00:07Z","level":"AUDIT","msg":"audit_event","type":5,"outcome":["x"],"metadata":{"extra":{"duration_ms":"12"}}}',
       ev(8, "mcp_tool_call", "success", {"name": "t"}, {"duration_ms": 1e300}),
       '{"time":"2026-08-21T10:00:09Z","level":"AUDIT","msg":"audit_event","type":"mcp_tool_call","outcome":"success","metadata":{"extra":{"duration_ms":123456789012345678901234567890}}}',
       ev(10, "mcp_tool_call", "success", {"name": "t"}, {"duration_ms": -4}),
       '{"a":' * 20 + '1' + '}' * 20,
       '{"time":"not a time","level":"AUDIT","msg":"audit_event","type":"mcp_tool_call","outcome":"success"}',
       good(11) + good(12),
       "\x00\x00\x00" + good(13),
       '{"log":"oops not docker',
       "2026-08-21T10:00:14.000000000Z stdout X " + good(14),
       good(15)[:-1]]  # final line, no newline, truncated
data = "\n".join(bad).encode("latin-1")
open(D + "/malformed.jsonl", "wb").write(data)

# Private data planted in every field the privacy rules name.
P = {"ip": "198.51.100.77", "email": "carol.PLANTED@example.org", "uid": "uid-PLANTED-7741",
     "ua": "PLANTED-Agent/9.9", "req": "req-PLANTED-1", "sess": "sess-PLANTED-2",
     "audit": "audit-PLANTED-3", "wf": "wf-PLANTED-4", "uri": "file:///home/carol/PLANTED-plan.txt",
     "endpoint": "/PLANTED-endpoint", "arg": "hunter2-PLANTED", "rpcmsg": "PLANTED-ERROR-TEXT",
     "token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJQTEFOVEVEIn0.PLANTEDsig", "host": "db-PLANTED-7.internal.example",
     "component": "PLANTED-team-vmcp", "wfname": "PLANTED_WORKFLOW", "backend": "PLANTED-private-backend",
     "client": "PLANTED-client", "tool": "PLANTED_tool_name", "cver": "PLANTED-9.9.9",
     "ghtok": "ghp_PLANTED0123456789abcdefghijklmnopqrstu"}
def pev(t, typ, target, extra):
    d = {"time": "2026-08-21T11:00:%02d.5Z" % t, "level": "AUDIT", "msg": "audit_event", "audit_id": P["audit"],
         "type": typ, "logged_at": "2026-08-21T11:00:%02d.5Z" % t, "outcome": "success", "component": P["component"],
         "source": {"type": "network", "value": P["ip"], "extra": {"user_agent": P["ua"], "request_id": P["req"], "session_id": P["sess"]}},
         "subjects": {"user": P["email"], "user_id": P["uid"], "client_name": P["client"], "client_version": P["cver"]},
         "delegation": {"chain": [{"iss": "https://" + P["host"], "sub": P["uid"]}], "truncated": False},
         "target": target, "metadata": {"extra": extra},
         "data": {"request": {"password": P["arg"], "auth": "Bearer " + P["token"], "gh": P["ghtok"]}, "response": {"rows": [P["email"]]}}}
    return j(d)
pl = [app(0, "Loading configuration from: /home/carol/PLANTED/config.yaml"),
      app(0, "  Name: " + P["component"]), app(0, "  Group: PLANTED-group"),
      app(0, "  Conflict Resolution: PLANTED-strategy"),
      app(1, "Discovered 2 backends"),
      app(1, "OIDC authentication configured (issuer: https://%s, client_id: PLANTED-cid)" % P["host"]),
      app(2, "starting Virtual MCP Server", address=P["ip"] + ":4483", endpoint=P["endpoint"]),
      pev(3, "mcp_initialize", {"endpoint": P["endpoint"], "method": "initialize", "name": P["client"], "type": "endpoint"}, {"duration_ms": 4}),
      pev(4, "mcp_tool_call", {"endpoint": P["endpoint"], "method": "tools/call", "name": P["tool"], "type": "tool"},
          {"backend_name": P["backend"], "duration_ms": 40, "jsonrpc_error_code": -1, "jsonrpc_error_message": P["rpcmsg"]}),
      pev(5, "mcp_resource_read", {"endpoint": P["endpoint"], "method": "resources/read", "name": P["uri"], "type": "resource"}, {"duration_ms": 1}),
      pev(6, "vmcp_workflow_started", {"type": "workflow", "workflow_id": P["wf"], "workflow_name": P["wfname"]}, {"timeout_ms": 5}),
      pev(7, "vmcp_workflow_step_started", {"type": "workflow_step", "workflow_id": P["wf"], "step_id": "PLANTED-step", "step_type": "PLANTED-type", "tool_name": P["tool"]}, {}),
      '{"time":"2026-08-21T11:00:08Z","level":"AUDIT","msg":"audit_event","user":"' + P["email"] + '","broken"']
open(D + "/private.jsonl", "w").write("\n".join(pl) + "\n")
open(D + "/planted.txt", "w").write("PLANTED\n" + "\n".join(v for v in P.values() if "PLANTED" not in v) + "\n")

# Rotation group: live, .1, .2.gz (the .gz also named .log.3 to test gzip by content).
r = [good(20 + i) for i in range(6)]
open(D + "/rotated.log", "w").write(r[4] + "\n" + r[5] + "\n")
open(D + "/rotated.log.1", "w").write(r[2] + "\n" + r[3] + "\n")
open(D + "/rotated.log.2.gz", "wb").write(gzip.compress((r[0] + "\n").encode(), mtime=0))
open(D + "/rotated.log.3", "wb").write(gzip.compress((r[1] + "\n").encode(), mtime=0))
# Damaged gzip: truncated, and with trailing garbage.
z = gzip.compress(("\n".join(good(40 + i) for i in range(50)) + "\n").encode(), mtime=0)
open(D + "/truncated.log.gz", "wb").write(z[: len(z) // 2])
open(D + "/trailing.log.gz", "wb").write(z + b"GARBAGE")
open(D + "/garbage.bin", "wb").write(bytes((i * 131 + 7) % 256 for i in range(4096)))

# CRI with partial lines on both streams, and docker json-file split lines.
long_line = app(30, "capability aggregation complete", backends=6, tools=9, pad="p" * 3000)
cri = ["2026-08-21T10:00:30.1Z stderr P " + long_line[:1000],
       "2026-08-21T10:00:30.2Z stdout F " + good(31),
       "2026-08-21T10:00:30.3Z stderr P " + long_line[1000:2000],
       "2026-08-21T10:00:30.4Z stderr F " + long_line[2000:],
       "2026-08-21T10:00:30.5Z stdout F " + good(32)]
open(D + "/cri.log", "w").write("\n".join(cri) + "\n")
s = long_line + "\n"
dk = [j({"log": s[:1500], "stream": "stderr", "time": "2026-08-21T10:00:30Z"}),
      j({"log": good(33) + "\n", "stream": "stdout", "time": "2026-08-21T10:00:31Z"}),
      j({"log": s[1500:], "stream": "stderr", "time": "2026-08-21T10:00:30Z"})]
open(D + "/docker.log", "w").write("\n".join(dk) + "\n")
