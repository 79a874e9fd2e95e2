#!/usr/bin/env python3
# Writes SIZE_MB of realistic vMCP log to OUT, deterministically (seed
# 20261125): a server's start-up lines, then audit events of the shapes in
# docs/inputs.md and ToolHive's audit code, about 700 bytes a line, mostly
# tools/call with the odd initialize and tools/list: what a pod's log holds
# (stderr start-up, stdout audit) or, without the first lines, the audit
# logFile.
#   python3 tools/bench/gen.py SIZE_MB OUT
import json, random, sys, uuid

size = int(float(sys.argv[1]) * 1024 * 1024)
out = open(sys.argv[2], "w")
R = random.Random(20261125)
backends = ["github", "fetch", "jira", "slack", "internal-search", "postgres"]
clients = ["claude-code", "cursor", "vscode", "my-agent"]
tools = ["create_issue", "search_code", "fetch", "list_channels", "query", "get_page"]

def uid():
    return str(uuid.UUID(int=R.getrandbits(128), version=4))

def ts(t):
    h, rem = divmod(int(t) % 86400, 3600)
    m, s = divmod(rem, 60)
    return "2026-11-%02dT%02d:%02d:%02d.%09dZ" % (1 + int(t) // 86400 % 28, h, m, s, R.randrange(10**9))

t = 0.0
written = 0
for msg in ["Loading configuration from: /etc/vmcp-config/config.yaml", "Discovered 4 backends",
            "  Conflict Resolution: prefix", "starting Virtual MCP Server"]:
    line = json.dumps({"time": ts(t), "level": "INFO", "msg": msg}, separators=(",", ":"))
    out.write(line + "\n")
    written += len(line) + 1
while written < size:
    t += R.random() * 0.05
    r = R.random()
    if False:
        pass
    else:
        typ, target, extra = "mcp_tool_call", None, None
        b = R.choice(backends)
        if r < 0.05:
            typ = "mcp_initialize"
            target = {"endpoint": "/mcp", "method": "initialize", "name": R.choice(clients), "type": "endpoint"}
            extra = {"duration_ms": R.randint(1, 90), "transport": "streamable-http"}
        elif r < 0.08:
            typ = "mcp_tools_list"
            target = {"endpoint": "/mcp", "method": "tools/list", "type": "endpoint"}
            extra = {"duration_ms": R.randint(1, 40), "transport": "streamable-http"}
        else:
            target = {"endpoint": "/mcp", "method": "tools/call", "name": b + "_" + R.choice(tools), "type": "tool"}
            extra = {"backend_name": b, "duration_ms": int(R.lognormvariate(5, 1.2)),
                     "transport": "streamable-http", "response_size_bytes": R.randint(100, 90000)}
        outcome = "success" if R.random() < 0.93 else R.choice(["failure", "error", "denied", "application_error"])
        d = {"time": ts(t), "level": "AUDIT", "msg": "audit_event", "audit_id": uid(), "type": typ,
             "logged_at": ts(t), "outcome": outcome, "component": "vmcp-server",
             "source": {"type": "network", "value": "10.%d.%d.%d" % (R.randrange(256), R.randrange(256), R.randrange(256)),
                        "extra": {"user_agent": R.choice(clients) + "/2.0.14", "request_id": "req-" + uid()[:8]}},
             "subjects": {"user": "user%d@example.com" % R.randrange(500), "user_id": "u-" + uid()[:8],
                          "client_name": R.choice(clients), "client_version": "1.%d.0" % R.randrange(20)},
             "target": target, "metadata": {"extra": extra}}
        if typ == "mcp_tool_call" and R.random() < 0.3:
            d["data"] = {"request": {"query": "q-" + uid(), "limit": R.randint(1, 100)}}
        line = json.dumps(d, separators=(",", ":"))
    out.write(line + "\n")
    written += len(line) + 1
out.close()
