#!/usr/bin/env python3
# Writes the bundled sample logs in fixtures/samples/ (run from the project
# root). Deterministic: a fixed seed and fixed times. The lines have the
# shapes vMCP writes (see docs/inputs.md); names, addresses and ids are
# invented.
import gzip, json, os, random, uuid

R = random.Random(2851)
ROOT = "fixtures/samples"

def uid():
    return str(uuid.UUID(int=R.getrandbits(128), version=4))

def ts(sec, nano=True):
    h, rem = divmod(sec, 3600)
    m, s = divmod(rem, 60)
    base = "2026-11-24T%02d:%02d:%02d" % (h, m, s)
    return base + (".%09dZ" % R.randrange(10**9) if nano else "Z")

def app(sec, msg, level="INFO", **attrs):
    d = {"time": ts(sec, False), "level": level, "msg": msg}
    d.update(attrs)
    return json.dumps(d, separators=(",", ":"))

def audit(sec, typ, outcome, component, target, extra, user="alice@example.com", ip="10.1.2.3", data=None):
    d = {"time": ts(sec), "level": "AUDIT", "msg": "audit_event", "audit_id": uid(),
         "type": typ, "logged_at": ts(sec), "outcome": outcome, "component": component,
         "source": {"type": "network", "value": ip,
                    "extra": {"request_id": "req-" + uid()[:8], "user_agent": "claude-code/2.0.14"}},
         "subjects": {"user": user, "user_id": "u-" + uid()[:6]}}
    if typ.startswith("vmcp_workflow"):
        # workflow events come from the composer, not the network
        d["source"] = {"type": "local", "value": "vmcp-composer", "extra": {}}
    if target is not None:
        d["target"] = target
    if extra is not None:
        d["metadata"] = {"extra": extra}
    if data is not None:
        d["data"] = data
    return json.dumps(d, separators=(",", ":"))

# The startup lines in vMCP's order (pkg/vmcp/cli/serve.go, ToolHive
# e25de16); "  Composite Tools" only when some are defined.
def startup(sec, strategy, backends, composite):
    lines = [app(sec, "Loading configuration from: /etc/vmcp-config/config.yaml"),
             app(sec, "configuration loaded and validated successfully"),
             app(sec, "  Name: engineering-vmcp"),
             app(sec, "  Group: engineering"),
             app(sec, "  Conflict Resolution: " + strategy)]
    if composite:
        lines.append(app(sec, "  Composite Tools: %d defined" % composite))
    lines += [app(sec, "initializing outgoing authentication"),
              app(sec, "dynamic mode: initializing group manager for backend discovery"),
              app(sec + 1, "Discovered %d backends" % backends),
              app(sec + 1, "using %s conflict resolution strategy" % strategy),
              app(sec + 1, "Setting up incoming authentication (type: oidc)"),
              app(sec + 1, "creating OIDC incoming authentication middleware"),
              app(sec + 1, "Incoming authentication configured: oidc"),
              app(sec + 1, "starting health monitor", backends=backends, interval=30000000000, threshold=3),
              app(sec + 1, "audit middleware enabled for MCP endpoints"),
              app(sec + 2, "starting Virtual MCP Server", address="0.0.0.0:4483", endpoint="/mcp")]
    return lines

BACKENDS = ["github", "jira", "fetch", "billing-internal"]
CLIENTS = ["claude-code", "cursor-vscode", "acme-agent"]
OUTCOMES = ["success"] * 14 + ["application_error", "failure", "error", "denied"]

def traffic(start, n, component):
    out, sec = [], start
    for i in range(n):
        sec += R.randrange(1, 20)
        k = R.random()
        if k < 0.08:
            out.append(audit(sec, "mcp_initialize", "success", component,
                             {"endpoint": "/mcp", "method": "initialize", "name": R.choice(CLIENTS), "type": "endpoint"},
                             {"duration_ms": R.randrange(5, 60), "transport": "http"}))
        elif k < 0.18:
            out.append(audit(sec, "mcp_tools_list", "success", component,
                             {"endpoint": "/mcp", "method": "tools/list", "type": "endpoint"},
                             {"duration_ms": R.randrange(1, 9), "transport": "http"}))
        elif k < 0.22:
            wid = uid()
            out.append(audit(sec, "vmcp_workflow_started", "success", component,
                             {"type": "workflow", "workflow_id": wid, "workflow_name": "deploy_and_notify"},
                             {"timeout_ms": 1800000}))
            out.append(audit(sec, "vmcp_workflow_step_started", "success", component,
                             {"step_id": "merge", "step_type": "tool", "tool_name": "github.merge_pr",
                              "type": "workflow_step", "workflow_id": wid}, None))
            out.append(audit(sec + 1, "vmcp_workflow_step_completed", "success", component,
                             {"step_id": "merge", "type": "workflow_step", "workflow_id": wid},
                             {"duration_ms": 1200, "retry_count": 0}))
            done = R.choice(["vmcp_workflow_completed", "vmcp_workflow_completed", "vmcp_workflow_failed"])
            out.append(audit(sec + 2, done, "success" if done.endswith("completed") else "failure", component,
                             {"type": "workflow", "workflow_id": wid, "workflow_name": "deploy_and_notify"},
                             {"duration_ms": 2400, "step_count": 1}))
            out.append(audit(sec + 2, "mcp_tool_call", "success", component,
                             {"endpoint": "/mcp", "method": "tools/call", "name": "deploy_and_notify", "type": "tool"},
                             {"duration_ms": 2450, "transport": "http"}))
            sec += 3
        else:
            b = R.choice(BACKENDS)
            o = R.choice(OUTCOMES)
            extra = {"backend_name": b, "duration_ms": int(R.lognormvariate(5, 1.2)), "transport": "http"}
            if o == "application_error":
                extra["jsonrpc_error_code"] = -32603
                extra["jsonrpc_error_message"] = "upstream said no"
            out.append(audit(sec, "mcp_tool_call", o, component,
                             {"endpoint": "/mcp", "method": "tools/call", "name": b + "_search", "type": "tool"},
                             extra, data={"request": {"query": "quarterly numbers"}}))
    return out, sec

def cri(lines, start):
    out, sec = [], start
    for l in lines:
        stream = "stderr" if '"level":"AUDIT"' not in l else "stdout"
        t = "2026-11-24T%02d:%02d:%02d.%09dZ" % (sec // 3600, sec // 60 % 60, sec % 60, R.randrange(10**9))
        if len(l) > 300 and R.random() < 0.2:
            cut = len(l) // 2
            out.append("%s %s P %s" % (t, stream, l[:cut]))
            out.append("%s %s F %s" % (t, stream, l[cut:]))
        else:
            out.append("%s %s F %s" % (t, stream, l))
    return out

def write(path, lines, gz=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = ("\n".join(lines) + "\n").encode()
    if gz:
        with open(path, "wb") as f:
            f.write(gzip.compress(data, mtime=0))
    else:
        with open(path, "wb") as f:
            f.write(data)

# Kubernetes: two replicas of one vMCP, one of them rotated once.
pods = "kubernetes/var/log/pods"
for name, rot in (("engineering-vmcp-6f7c9d8b5d-x2k4p", True), ("engineering-vmcp-6f7c9d8b5d-q9w8z", False)):
    d = "%s/%s/toolhive-system_%s_%s/vmcp" % (ROOT, pods, name, uid())
    lines = startup(8 * 3600, "prefix", 3, 1)
    t1, sec = traffic(8 * 3600 + 10, 60, "engineering-vmcp")
    t2, sec = traffic(sec, 60, "engineering-vmcp")
    if rot:
        write(d + "/0.log.20261124-090000.gz", cri(lines + t1, 8 * 3600), gz=True)
        write(d + "/0.log", cri(t2, sec))
    else:
        write(d + "/0.log", cri(lines + t1 + t2, 8 * 3600))

# A CLI host: `vmcp serve` with stdout and stderr in one file, rotated by
# logrotate; restarted once with a changed configuration.
cli = ROOT + "/cli-host"
a = startup(6 * 3600, "prefix", 2, 0)
t1, sec = traffic(6 * 3600 + 5, 40, "vmcp-server")
b = startup(sec + 60, "priority", 2, 2)
t2, sec = traffic(sec + 70, 40, "vmcp-server")
t3, sec = traffic(sec, 30, "vmcp-server")
write(cli + "/vmcp.log.2.gz", a + t1, gz=True)
write(cli + "/vmcp.log.1", b + t2)
write(cli + "/vmcp.log", t3)

# Docker json-file: a vMCP with audit off and --debug (tool calls come from
# the DEBUG line), one long line split at 16 KiB.
dk = ROOT + "/docker/3f2a9c/3f2a9c-json.log"
lines = [app(5 * 3600, "Loading configuration from: /etc/vmcp/config.yaml"),
         app(5 * 3600, "  Conflict Resolution: manual"),
         app(5 * 3600, "Static mode: using 5 pre-configured backends"),
         app(5 * 3600, "Discovered 5 backends"),
         app(5 * 3600 + 1, "creating anonymous authentication middleware"),
         app(5 * 3600 + 2, "starting Virtual MCP Server", address="127.0.0.1:4483", endpoint="/mcp")]
sec = 5 * 3600 + 3
for i in range(25):
    sec += R.randrange(5, 50)
    lines.append(json.dumps({"time": ts(sec, False), "level": "DEBUG", "msg": "calling tool on backend",
                             "tool": "search", "backend": R.choice(BACKENDS)}, separators=(",", ":")))
# A composite run whose error text (a backend's answer) is long.
lines.append(app(sec + 1, "starting workflow execution", workflow="nightly_digest"))
lines.append(app(sec + 2, "workflow failed", level="ERROR", workflow="nightly_digest",
                 error="level execution failed: tool call failed: " + "x" * 20000))
out = []
for l in lines:
    s = l + "\n"
    t = "2026-11-24T05:00:00.000000000Z"
    while len(s) > 16384:
        out.append(json.dumps({"log": s[:16384], "stream": "stderr", "time": t}, separators=(",", ":")))
        s = s[16384:]
    out.append(json.dumps({"log": s, "stream": "stderr", "time": t}, separators=(",", ":")))
write(dk, out)
