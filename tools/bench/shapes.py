# SPDX-License-Identifier: Apache-2.0
# The shapes of a real vMCP's log, for the bench data (gen.py) and the
# chunk tests (tests/integration/chunks.py): start-up lines with
# configuration facts, audit events, restarts and configuration changes,
# malformed lines, and the CRI and docker wrappers with lines split in
# parts. Message texts are those vMCP writes (docs/inputs.md).
import json
import uuid

BACKENDS = ["github", "fetch", "jira", "slack", "internal-search", "postgres"]
CLIENTS = ["claude-code", "cursor", "vscode", "my-agent"]
TOOLS = ["create_issue", "search_code", "fetch", "list_channels", "query", "get_page"]


def dumps(d):
    return json.dumps(d, separators=(",", ":"))


def ts(R, t):
    h, rem = divmod(int(t) % 86400, 3600)
    m, s = divmod(rem, 60)
    return "2026-11-%02dT%02d:%02d:%02d.%09dZ" % (1 + int(t) // 86400 % 28, h, m, s, R.randrange(10**9))


def uid(R):
    return str(uuid.UUID(int=R.getrandbits(128), version=4))


def app(R, t, msg, level="INFO", **extra):
    d = {"time": ts(R, t), "level": level, "msg": msg}
    d.update(extra)
    return dumps(d)


def startup(R, t, load=True):
    """A server's start-up lines; with load, from the configuration load on
    (a new process), else only the start line (a restart of the same)."""
    out = []
    if load:
        out.append(app(R, t, "Loading configuration from: /etc/vmcp-config/config.yaml"))
        out.append(app(R, t, "  Conflict Resolution: " + R.choice(["prefix", "priority", "manual"])))
        if R.random() < 0.5:
            out.append(app(R, t, "  Composite Tools: %d defined" % R.randint(0, 4)))
        out.append(app(R, t, R.choice(["Creating OIDC incoming authentication middleware",
                                       "creating local authentication middleware"])))
        out.append(app(R, t, "Discovered %d backends" % R.randint(1, 6)))
        if R.random() < 0.5:
            out.append(app(R, t, "backend configured with auth strategy from config", "DEBUG",
                           strategy=R.choice(["token_exchange", "header_injection"])))
        if R.random() < 0.7:
            out.append(app(R, t, "audit middleware enabled for MCP endpoints"))
    out.append(app(R, t, "starting Virtual MCP Server", address="0.0.0.0:4483", endpoint="/mcp"))
    return out


def audit(R, t, component="vmcp-server"):
    r = R.random()
    b = R.choice(BACKENDS)
    typ = "mcp_tool_call"
    if r < 0.05:
        typ = "mcp_initialize"
        target = {"endpoint": "/mcp", "method": "initialize", "name": R.choice(CLIENTS), "type": "endpoint"}
        extra = {"duration_ms": R.randint(1, 90), "transport": "streamable-http"}
    elif r < 0.08:
        typ = "mcp_tools_list"
        target = {"endpoint": "/mcp", "method": "tools/list", "type": "endpoint"}
        extra = {"duration_ms": R.randint(1, 40), "transport": "streamable-http"}
    else:
        target = {"endpoint": "/mcp", "method": "tools/call", "name": b + "_" + R.choice(TOOLS), "type": "tool"}
        extra = {"backend_name": b, "duration_ms": int(R.lognormvariate(5, 1.2)),
                 "transport": "streamable-http", "response_size_bytes": R.randint(100, 90000)}
    outcome = "success" if R.random() < 0.93 else R.choice(["failure", "error", "denied", "application_error"])
    d = {"time": ts(R, t), "level": "AUDIT", "msg": "audit_event", "audit_id": uid(R), "type": typ,
         "logged_at": ts(R, t), "outcome": outcome, "component": component,
         "source": {"type": "network", "value": "10.%d.%d.%d" % (R.randrange(256), R.randrange(256), R.randrange(256)),
                    "extra": {"user_agent": R.choice(CLIENTS) + "/2.0.14", "request_id": "req-" + uid(R)[:8]}},
         "subjects": {"user": "user%d@example.com" % R.randrange(500), "user_id": "u-" + uid(R)[:8],
                      "client_name": R.choice(CLIENTS), "client_version": "1.%d.0" % R.randrange(20)},
         "target": target, "metadata": {"extra": extra}}
    if typ == "mcp_tool_call" and R.random() < 0.3:
        d["data"] = {"request": {"query": "q-" + uid(R), "limit": R.randint(1, 100)}}
    return dumps(d)


def malformed(R, t):
    return R.choice([
        '{"time":"%s","level":"AUDIT",' % ts(R, t),
        "panic: runtime error: index out of range",
        '{"time":"%s","level":"AUDIT","msg":"audit_event","type":7}' % ts(R, t),
        '{"hello":"world"}',
    ])


def server_lines(R, t, nlines, components, restart_rate=0.002, bad_rate=0.001):
    """A process's life: start-up, then audit events of the components,
    restarts and configuration changes (a new start-up) and malformed lines
    now and then. Yields (time, line)."""
    for line in startup(R, t):
        yield t, line
    for _ in range(nlines):
        t += R.random() * 0.05
        r = R.random()
        if r < restart_rate:
            for line in startup(R, t, load=R.random() < 0.8):
                yield t, line
        elif r < restart_rate + bad_rate:
            yield t, malformed(R, t)
        else:
            yield t, audit(R, t, R.choice(components))


def cri(R, t, line, split=16 * 1024, stream=None):
    """A line as containerd writes it: parts of at most split bytes, P then F."""
    stream = stream or ("stderr" if '"level":"INFO"' in line or '"level":"DEBUG"' in line else "stdout")
    stamp = ts(R, t)
    parts = [line[i:i + split] for i in range(0, len(line), split)] or [""]
    return ["%s %s %s %s" % (stamp, stream, "P" if i + 1 < len(parts) else "F", p)
            for i, p in enumerate(parts)]


def docker(R, t, line, split=16 * 1024):
    """A line as Docker's json-file driver writes it: chunks of the text, the
    last one ending in a newline."""
    stream = "stderr" if '"level":"INFO"' in line or '"level":"DEBUG"' in line else "stdout"
    text = line + "\n"
    parts = [text[i:i + split] for i in range(0, len(text), split)]
    return [dumps({"log": p, "stream": stream, "time": ts(R, t)}) for p in parts]


def wrap(R, t, line, wrapper, split=16 * 1024):
    if wrapper == "cri":
        return cri(R, t, line, split)
    if wrapper == "docker":
        return docker(R, t, line, split)
    return [line]
