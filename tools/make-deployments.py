#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes fixtures/deployments/: four vMCP deployments whose lines use only
# the message texts, keys, value types and key orders of ToolHive's source
# (stacklok/toolhive e25de16, 2026-08-21). Each directory's README.md
# explains every number of its golden report
# (fixtures/expected/deploy-<name>.json). Run from the project root;
# deterministic (fixed ids and times). Names and addresses are invented.
import gzip, json, os

ROOT = "fixtures/deployments"
N = [0]


def uid():
    N[0] += 1
    return "00000000-0000-4000-8000-%012d" % N[0]


def t(clock, sec):
    """RFC 3339 at whole seconds in the zone of clock ("+01:00" or "Z")."""
    h, rem = divmod(sec, 3600)
    m, s = divmod(rem, 60)
    day, h = divmod(h, 24)
    return "2026-11-%02dT%02d:%02d:%02d%s" % (23 + day, h, m, s, clock)


def app(clock, sec, level, msg, **attrs):
    d = {"time": t(clock, sec), "level": level, "msg": msg}
    d.update(attrs)
    return json.dumps(d, separators=(",", ":"))


def audit(clock, sec, typ, outcome, component, target, extra,
          ua="claude-code/2.0.41", local=False):
    when = t(clock, sec)
    d = {"time": when[:19] + ".5" + when[19:], "level": "AUDIT",
         "msg": "audit_event", "audit_id": uid(), "type": typ,
         "logged_at": t("Z", sec - (3600 if clock == "+01:00" else 0))[:19] + ".499Z",
         "outcome": outcome, "component": component}
    if local:
        d["source"] = {"type": "local", "value": "vmcp-composer", "extra": {}}
    else:
        d["source"] = {"type": "network", "value": "10.20.0.31",
                       "extra": {"user_agent": ua}}
    d["subjects"] = {"user": "Anonymous User", "user_id": "anonymous"}
    if target is not None:
        d["target"] = target
    if extra is not None:
        d["metadata"] = {"extra": extra}
    return json.dumps(d, separators=(",", ":"))


def call(clock, sec, outcome, comp, tool, backend=None, ms=100, err=None,
         ua="claude-code/2.0.41"):
    extra = {}
    if backend:
        extra["backend_name"] = backend
    extra["duration_ms"] = ms
    if err:
        extra["jsonrpc_error_code"] = err[0]
        extra["jsonrpc_error_message"] = err[1]
    extra["transport"] = "http"
    return audit(clock, sec, "mcp_tool_call", outcome, comp,
                 {"endpoint": "/mcp", "method": "tools/call", "name": tool,
                  "type": "tool"}, extra, ua=ua)


def initialize(clock, sec, comp, client):
    return audit(clock, sec, "mcp_initialize", "success", comp,
                 {"endpoint": "/mcp", "method": "initialize", "name": client,
                  "type": "endpoint"}, {"duration_ms": 6, "transport": "http"})


def workflow(clock, sec, typ, comp, name, extra):
    outcome = "failure" if typ.endswith(("failed", "timed_out")) else "success"
    return audit(clock, sec, typ, outcome, comp,
                 {"type": "workflow", "workflow_id": "wf-%d" % sec,
                  "workflow_name": name}, extra, local=True)


def infos(clock, sec, *msgs):
    """INFO lines without attributes, all at one time."""
    return [app(clock, sec, "INFO", m) for m in msgs]


def listening(clock, sec, at, *extra):
    """The server's middleware lines (server.go:601-720), audit on."""
    return infos(clock, sec, "Starting Virtual MCP Server at " + at, *extra,
                 "authentication middleware enabled for MCP endpoints",
                 "audit middleware enabled for MCP endpoints",
                 "recovery middleware enabled for MCP endpoints")


def anonymous(clock, sec):
    """Anonymous incoming auth's factory lines, then the workflow auditor's."""
    return infos(clock, sec, "creating anonymous authentication middleware",
                 "Incoming authentication configured: anonymous",
                 "workflow audit logging enabled")


def head(clock, sec, path, name, group, strategy, composite=0):
    """The first startup lines of a config-file process (serve.go:525-620)."""
    lines = [app(clock, sec, "INFO", "Loading configuration from: " + path),
             app(clock, sec, "INFO", "configuration loaded and validated successfully"),
             app(clock, sec, "INFO", "  Name: " + name),
             app(clock, sec, "INFO", "  Group: " + group),
             app(clock, sec, "INFO", "  Conflict Resolution: " + strategy)]
    if composite:
        lines.append(app(clock, sec, "INFO", "  Composite Tools: %d defined" % composite))
    return lines + [app(clock, sec, "INFO", "initializing outgoing authentication")]


def static_backends(clock, sec, group, backends):
    """Static mode's discovery lines (serve.go:635-703, discoverer.go)."""
    n = len(backends)
    return ([app(clock, sec, "INFO", "Static mode: using %d pre-configured backends" % n),
             app(clock, sec, "INFO", "Discovering backends in group: " + group),
             app(clock, sec, "INFO", "discovering backends in group", group=group),
             app(clock, sec, "INFO", "using pre-configured static backends (no K8s API access)", count=n)] +
            [app(clock, sec, "INFO", "loaded static backend", name=b, url=u, transport="streamable-http")
             for b, u in backends] +
            [app(clock, sec, "INFO", "Discovered %d backends" % n)])


def health(clock, sec, n):
    """The health monitor's start (monitor.go:301, core_vmcp.go:249)."""
    return [app(clock, sec, "INFO", "starting health monitor", backends=n, interval=30000000000, threshold=3),
            app(clock, sec, "INFO", "health monitoring enabled", check_interval=30000000000, unhealthy_threshold=3, timeout=10000000000, degraded_threshold=5000000000)]



def cri(lines):
    """The CRI runtime's framing: its own time (UTC, nanoseconds), the
    stream (audit lines on stdout, application lines on stderr), F."""
    out = []
    for i, l in enumerate(lines):
        stream = "stdout" if '"level":"AUDIT"' in l else "stderr"
        when = json.loads(l)["time"][:19]
        out.append("%s.%09dZ %s F %s" % (when, 100000 + i, stream, l))
    return out


def write(path, lines, gz=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = ("\n".join(lines) + "\n").encode()
    with open(path, "wb") as f:
        f.write(gzip.compress(data, mtime=0) if gz else data)


# --- 1. CLI host, audit: section with no component, a restart across
# rotation (the first process crashed: no final line). ------------------
C = "+01:00"


def cli_startup(sec):
    return head(C, sec, "/etc/vmcp/config.yaml", "team-vmcp", "team", "priority", 2) + \
        static_backends(C, sec, "team", [("github", "http://127.0.0.1:8081/mcp"),
                                         ("jira", "http://127.0.0.1:8082/mcp"),
                                         ("fetch", "http://127.0.0.1:8083/mcp")]) + [
        app(C, sec, "INFO", "using priority conflict resolution strategy", order=["github", "jira"]),
        ] + infos(C, sec,
                "dynamic backend registry enabled for Kubernetes environment",
                "Setting up incoming authentication (type: oidc)",
                "health monitoring configured from operational settings",
                "creating OIDC incoming authentication middleware") + [
        app(C, sec, "INFO", "oIDC authentication configured", issuer="https://id.example.com", client_id="vmcp", resource="https://vmcp.example.com"),
        ] + infos(C, sec,
                "Incoming authentication configured: oidc",
                "Loaded 2 composite tool workflow definitions",
                "workflow audit logging enabled") + [
        app(C, sec, "INFO", "loaded valid composite tool workflows", count=2),
    ] + health(C, sec, 3) + [
        ] + listening(C, sec, "127.0.0.1:4483", "prometheus metrics endpoint enabled at /metrics", "telemetry middleware enabled for MCP endpoints") + [
        app(C, sec + 1, "INFO", "starting Virtual MCP Server", address="127.0.0.1:4483", endpoint="/mcp"),
        app(C, sec + 1, "INFO", "health endpoints available", health="/health", ping="/ping", status="/status", backends_health="/api/backends/health"),
        app(C, sec + 1, "INFO", "starting periodic status reporting", interval=30000000000),
    ]


HTTP, WF = "toolhive-api", "vmcp-composer"
s = 9 * 3600
p1 = cli_startup(s) + [
    initialize(C, s + 300, HTTP, "claude-code"),
    app(C, s + 300, "INFO", "session capabilities injected from core", session_id=uid(), tool_count=14, resource_count=0, resource_template_count=0, prompt_count=0),
    call(C, s + 303, "success", HTTP, "github_create_issue", "github", 1001),
    call(C, s + 310, "success", HTTP, "jira_search", "jira", 420),
    workflow(C, s + 320, "vmcp_workflow_started", WF, "triage_issue", {"timeout_ms": 1800000}),
    app(C, s + 320, "INFO", "starting workflow execution", workflow="triage_issue"),
    app(C, s + 322, "INFO", "workflow completed successfully", workflow="triage_issue", duration=2288162628),
    workflow(C, s + 322, "vmcp_workflow_completed", WF, "triage_issue", {"duration_ms": 2288, "step_count": 2}),
    call(C, s + 322, "success", HTTP, "triage_issue", None, 2301),
    audit(C, s + 1800, "http_request", "denied", HTTP, {"endpoint": "/mcp", "method": "POST", "type": "endpoint"}, {"duration_ms": 0, "transport": "http"}, ua="python-httpx/0.28.1"),
]
s2 = s + 3600
p2 = cli_startup(s2) + [
    initialize(C, s2 + 60, HTTP, "cursor-vscode"),
    app(C, s2 + 60, "INFO", "session capabilities injected from core", session_id=uid(), tool_count=14, resource_count=0, resource_template_count=0, prompt_count=0),
    call(C, s2 + 70, "application_error", HTTP, "github_get_pr", "github", 88, (-32603, "upstream error")),
    workflow(C, s2 + 80, "vmcp_workflow_started", WF, "triage_issue", {"timeout_ms": 1800000}),
    app(C, s2 + 80, "INFO", "starting workflow execution", workflow="triage_issue"),
    app(C, s2 + 1880, "ERROR", "workflow failed", workflow="triage_issue", error="level execution failed: context deadline exceeded"),
    app(C, s2 + 1880, "WARN", "workflow timed out", workflow="triage_issue", duration=1800000000000),
    workflow(C, s2 + 1880, "vmcp_workflow_timed_out", WF, "triage_issue", {"duration_ms": 1800000, "step_count": 2}),
    app(C, s2 + 1880, "ERROR", "workflow execution failed", tool="triage_issue", error="workflow timed out"),
    call(C, s2 + 1880, "success", HTTP, "triage_issue", None, 1800004),
    app(C, s2 + 2000, "INFO", "context cancelled, shutting down server"),
    app(C, s2 + 2000, "INFO", "stopping Virtual MCP Server"),
    app(C, s2 + 2000, "INFO", "stopping health monitor", backends=3),
    app(C, s2 + 2000, "INFO", "health monitor stopped"),
    app(C, s2 + 2000, "INFO", "virtual MCP Server stopped"),
]
# logrotate: the first process and the start of the second in .1.gz
write(ROOT + "/cli-restart/vmcp.log.1.gz", p1 + p2[:36], gz=True)
write(ROOT + "/cli-restart/vmcp.log", p2[36:])

# --- 2. Operator, discovered mode, optimizer, --debug, health changes, an
# OOM kill (0.log ends without a stop line; 1.log is the restart). -------
Z = "Z"
POD = ROOT + "/operator-discovered/var/log/pods/agents_agents-vmcp-7d9f8c6b5-k2x8q_6b1d2c3e-0000-4000-8000-000000000001/vmcp"
COMP = "agents-vmcp"


def op_startup(sec, n):
    return head(Z, sec, "/etc/vmcp-config/config.yaml", "agents-vmcp", "agents", "prefix") + [
        app(Z, sec, "INFO", "dynamic mode: initializing group manager for backend discovery"),
        app(Z, sec, "INFO", "Discovering backends in group: agents"),
        app(Z, sec, "INFO", "discovering backends in group", group="agents"),
        app(Z, sec, "INFO", "dynamic mode: discovering backends from K8s API"),
        app(Z, sec, "DEBUG", "found workloads in group, discovering backends", count=n, group="agents"),
        app(Z, sec, "DEBUG", "discovered auth config", kind="MCPServer", name="jira", strategy="token_exchange", config_ref="jira-auth"),
        app(Z, sec, "DEBUG", "backend using discovered auth strategy", backend="jira", strategy="token_exchange"),
        app(Z, sec, "DEBUG", "no ExternalAuthConfigRef, no auth config to discover", kind="MCPServer", name="github"),
        app(Z, sec, "INFO", "discovered backends in group", count=n, group="agents"),
        app(Z, sec, "INFO", "Discovered %d backends" % n),
        app(Z, sec, "INFO", "using prefix conflict resolution strategy", format="{workload}_"),
        ] + infos(Z, sec,
                "dynamic backend registry enabled for Kubernetes environment",
                "detected dynamic backend discovery mode (outgoingAuth.source: discovered)",
                "kubernetes backend watcher started for dynamic backend discovery",
                "Setting up incoming authentication (type: anonymous)") + [
        app(Z, sec, "WARN", "vMCP is configured with anonymous incoming auth; all anonymous sessions share a single sentinel binding, so possession of a session ID is sufficient to act as that session from any source. Anonymous mode is intended for development only.", incoming_auth_type="anonymous"),
        ] + infos(Z, sec,
                "Circuit breaker enabled (threshold: 5 failures, timeout: 1m0s)",
                "health monitoring configured from operational settings") + \
        anonymous(Z, sec) + [
    ] + health(Z, sec, n) + [
        app(Z, sec, "DEBUG", "optimizer factory created", embedding_service="embeddings:8080", semantic_search_enabled=True),
        app(Z, sec, "WARN", "MCP 2026-07-28 (Modern) dispatch disabled: enabled features require the session (Legacy) path", features=["optimizer"]),
        ] + listening(Z, sec, "0.0.0.0:4483") + [
        app(Z, sec, "INFO", "starting Virtual MCP Server", address="[::]:4483", endpoint="/mcp"),
        app(Z, sec + 1, "DEBUG", "applied authentication strategy to backend", strategy="unauthenticated", backend="github"),
        app(Z, sec + 1, "DEBUG", "applied authentication strategy to backend", strategy="token_exchange", backend="jira"),
    ]


s = 5 * 3600
c0 = op_startup(s, 2) + [
    initialize(Z, s + 120, COMP, "claude-code"),
    app(Z, s + 120, "INFO", "session capabilities injected from core", session_id=uid(), tool_count=2, resource_count=0, resource_template_count=0, prompt_count=0),
    app(Z, s + 121, "INFO", "capability aggregation complete", backends=2, tools=14, resources=0, prompts=0),
    call(Z, s + 130, "success", COMP, "find_tool", None, 40),
    call(Z, s + 131, "success", COMP, "call_tool", "github", 900),
    app(Z, s + 430, "WARN", "backend health degraded", backend="jira", previous_status="healthy", status="unhealthy", consecutive_failures=3, threshold=3, error="health check failed: context deadline exceeded"),
    app(Z, s + 460, "WARN", "backend remains unhealthy", backend="jira", status="unhealthy", consecutive_failures=4, incoming_status="unhealthy", error="health check failed: context deadline exceeded"),
    app(Z, s + 470, "WARN", "circuit breaker OPENED (threshold exceeded)", backend="jira"),
    app(Z, s + 480, "INFO", "capability aggregation complete", backends=1, tools=7, resources=0, prompts=0),
    app(Z, s + 550, "INFO", "starting health monitoring for new backend", backend="linear"),
    app(Z, s + 792, "INFO", "backend recovering from failures", backend="jira", previous_status="unhealthy", status="degraded", consecutive_failures=1),
    app(Z, s + 792, "INFO", "circuit breaker CLOSED (recovery successful)", backend="jira"),
    app(Z, s + 822, "INFO", "backend status changed", backend="jira", previous_status="degraded", status="healthy"),
    call(Z, s + 900, "success", COMP, "call_tool", None, 2500),
]
s1 = s + 1200
c1 = op_startup(s1, 3) + [
    initialize(Z, s1 + 60, COMP, "cursor-vscode"),
    app(Z, s1 + 60, "INFO", "session capabilities injected from core", session_id=uid(), tool_count=2, resource_count=0, resource_template_count=0, prompt_count=0),
    call(Z, s1 + 70, "success", COMP, "find_tool", None, 35),
    call(Z, s1 + 71, "application_error", COMP, "call_tool", "jira", 1200, (-32603, "backend error")),
    app(Z, s1 + 600, "INFO", "stopping health monitoring for removed backend", backend="linear"),
]
write(POD + "/0.log", cri(c0))
write(POD + "/1.log", cri(c1))

# --- 3. Operator, Modern clients, code mode, Redis (audit on, INFO). ----
POD = ROOT + "/modern-codemode/var/log/pods/apps_apps-vmcp-5c8b7d9f4-p7r2m_6b1d2c3e-0000-4000-8000-000000000002/vmcp"
COMP = "apps-vmcp"
s = 6 * 3600
m = head(Z, s, "/etc/vmcp-config/config.yaml", "apps-vmcp", "apps", "prefix") + \
    static_backends(Z, s, "apps", [("github", "http://github.apps.svc:8080/mcp"),
                                   ("notion", "http://notion.apps.svc:8080/mcp")]) + [
    app(Z, s, "INFO", "using prefix conflict resolution strategy", format="{workload}_"),
    ] + infos(Z, s,
            "dynamic backend registry enabled for Kubernetes environment",
            "Setting up incoming authentication (type: anonymous)",
            "health monitoring configured from operational settings") + \
    anonymous(Z, s) + [
] + health(Z, s, 2) + [
    app(Z, s, "INFO", "using Redis session storage", address="redis.apps.svc:6379", db=0, key_prefix="vmcp:"),
    ] + listening(Z, s, "0.0.0.0:4483") + [
    app(Z, s, "INFO", "starting Virtual MCP Server", address="[::]:4483", endpoint="/mcp"),
]
GO = "Go-http-client/1.1"
# Three probes: a generic HTTP library, and a client whose User-Agent
# starts with an allowlisted product name (twice).
for k, agent in enumerate([GO, "claude-code/2.1.0 (linux)", "claude-code/2.1.0 (linux)"]):
    m.append(audit(Z, s + 100 + k * 60, "mcp_request", "success", COMP,
                   {"endpoint": "/mcp", "method": "server/discover", "name": "discover", "type": "endpoint"},
                   {"duration_ms": 19, "transport": "http"}, ua=agent))
m += [
    call(Z, s + 121, "success", COMP, "github_search_issues", "github", 995, ua=GO),
    call(Z, s + 125, "success", COMP, "execute_tool_script", None, 3100, ua=GO),
    call(Z, s + 185, "success", COMP, "execute_tool_script", None, 2800, ua=GO),
    call(Z, s + 312, "application_error", COMP, "notion_get_page", None, 1442, (-32603, "backend unavailable"), ua=GO),
    call(Z, s + 330, "failure", COMP, "notion_get_page", None, 37, ua=GO),
    audit(Z, s + 400, "mcp_request", "success", COMP, {"endpoint": "/mcp", "method": "subscriptions/listen", "type": "endpoint"}, {"duration_ms": 240000, "transport": "http"}, ua=GO),
    initialize(Z, s + 500, COMP, "claude-code"),
    app(Z, s + 500, "INFO", "session capabilities injected from core", session_id=uid(), tool_count=9, resource_count=0, resource_template_count=0, prompt_count=0),
    call(Z, s + 510, "success", COMP, "github_list_prs", "github", 640),
]
write(POD + "/0.log", cri(m))

# --- 4. CLI, no audit section, no --enable-audit, no --debug: INFO only. -
C = "+01:00"
s = 7 * 3600
a = head(C, s, "/srv/devs/vmcp.yaml", "dev-vmcp", "default", "manual", 1) + [
    ] + infos(C, s,
            "Static mode: using 2 pre-configured backends",
            "Discovered 2 backends",
            "using manual conflict resolution strategy",
            "Setting up incoming authentication (type: local)",
            "creating local user authentication middleware") + [
    app(C, s, "WARN", "no authentication configured: the proxy will accept every request unauthenticated and assign each a synthetic local-user identity with no token or credential check; configure an OIDC provider to enforce authentication per request"),
    app(C, s, "INFO", "Incoming authentication configured: local"),
    app(C, s, "INFO", "Loaded 1 composite tool workflow definitions"),
    app(C, s, "INFO", "loaded valid composite tool workflows", count=1),
    app(C, s, "INFO", "starting health monitor", backends=2, interval=30000000000, threshold=3),
    app(C, s, "INFO", "Starting Virtual MCP Server at 127.0.0.1:4483"),
    app(C, s, "INFO", "starting Virtual MCP Server", address="127.0.0.1:4483", endpoint="/mcp"),
]
for k, end in enumerate(["ok", "fail", "timeout", "output"]):
    w = s + 600 * (k + 1)
    a.append(app(C, w - 5, "INFO", "session capabilities injected from core", session_id=uid(), tool_count=5, resource_count=0, resource_template_count=0, prompt_count=0) if k < 2 else
             app(C, w - 5, "WARN", "session cache: session evicted from node-local cache"))
    a.append(app(C, w, "INFO", "starting workflow execution", workflow="nightly_digest"))
    a.append(app(C, w, "INFO", "workflow execution plan", levels=2, steps=3, max_parallelism=2))
    if end == "ok":
        a.append(app(C, w + 2, "INFO", "workflow completed successfully", workflow="nightly_digest", duration=2288162628))
    elif end == "fail":
        a.append(app(C, w + 1, "ERROR", "step failed", step="write", error="tool call failed"))
        a.append(app(C, w + 1, "ERROR", "workflow failed", workflow="nightly_digest", error="level execution failed: tool call failed: tool filesystem_write_file in step write"))
        a.append(app(C, w + 1, "ERROR", "workflow execution failed", tool="nightly_digest", error="workflow failed"))
    elif end == "timeout":
        a.append(app(C, w + 300, "ERROR", "workflow failed", workflow="nightly_digest", error="level execution failed: context deadline exceeded"))
        a.append(app(C, w + 300, "WARN", "workflow timed out", workflow="nightly_digest", duration=300000000000))
        a.append(app(C, w + 300, "ERROR", "workflow execution failed", tool="nightly_digest", error="workflow timed out"))
    else:
        a.append(app(C, w + 3, "ERROR", "workflow failed during output construction", workflow="nightly_digest", error="template: output: executing"))
        a.append(app(C, w + 3, "ERROR", "workflow execution failed", tool="nightly_digest", error="output construction failed"))
a.append(app(C, s + 3000, "INFO", "Manager.Terminate: session terminated", session_id="00000000-0000-4000-8000-000000000099"))
write(ROOT + "/audit-off/vmcp.log", a)
