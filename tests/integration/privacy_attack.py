#!/usr/bin/python3
# Attacks the outputs rather than grepping them (docs/privacy.md, threat
# model). The project's hashes are rebuilt here from their definitions
# (FNV-1a instance keys, HMAC-SHA-256 sketch hashes and report ids,
# SipHash-2-4 Feistel permutation of the state), and a dictionary that
# holds the true names among decoys is tried against every hash-bearing
# field of every format and against the state file:
#   - without the key, no guess may be confirmed;
#   - with the key (a fleet key file, or DIR/secret), the same attack must
#     confirm the true names: that is the control that the attack works.
# Also: the equal-structure property (logs that differ only in private
# values of different lengths give equal reports but for report_id,
# installation_id and instances_sketch, in every format, through report
# and run, with every wrapper and layout); two state directories share no
# hash; what --telemetry off leaves; the terminal (credentials in URLs,
# control characters in paths, a bad settings line); merge and names off
# the allowlists.
#   python3 tests/integration/privacy_attack.py BIN
import calendar
import gzip
import hashlib
import hmac
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vtharness import Tally  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
WRAP = shlex.split(os.environ.get("VT_WRAPPER", ""))
NOW = "2026-11-25T00:00:00Z"
TMP = tempfile.mkdtemp(prefix="vt-attack.")
TALLY = Tally("privacy_attack")
check = TALLY.expect


def vt(*args, stdin=None, env=None):
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": TMP}
    e.update(env or {})
    p = subprocess.run(WRAP + [BIN] + list(args), input=stdin,
                       capture_output=True, env=e, timeout=600)
    return p.returncode, p.stdout, p.stderr


# ---------------------------------------------------------------------
# The project's hashes, rebuilt
M64 = (1 << 64) - 1
SHARED = 1 << 63


def fnv(data, h=0xcbf29ce484222325):
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & M64
    return h


def key_hash(kind, a, b, c):  # parser/inputs.c key_hash
    return fnv(b"".join(s.encode() + b"\0" for s in (kind, a, b, c)))


def k8s_key(ns, workload):
    return key_hash("k8s", ns, workload, "") | SHARED


def file_key(base):
    return key_hash("file", base, "", "") & ~SHARED


def config_key(ns, name):  # aggregator/config.c own_key
    h = fnv(b"vmcp-config")
    h = fnv(ns.encode(), h)
    h = fnv(b"/", h)
    return fnv(name.encode(), h) | SHARED


def sketch_key(fleet):  # src/common.c vt_sketch_key; None: the old, empty key
    if fleet is None:
        return b""
    return hmac.new(fleet.rstrip(b"\r\n"), b"vmcp-telemetry instances sketch",
                    hashlib.sha256).digest()


def scope_of(ident):  # src/common.c scope_of
    mac = hmac.new(ident, b"vmcp-telemetry host scope", hashlib.sha256).digest()
    return int.from_bytes(mac[:8], "big")


def sketch_hash(skey, inst, salt=0, scope=0):  # aggregator/summary.c
    msg = inst.to_bytes(8, "little") + (salt & M64).to_bytes(8, "little") + \
        scope.to_bytes(8, "little")
    return hmac.new(skey, msg, hashlib.sha256).hexdigest()[:8]


def rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & M64


def siphash(k0, k1, data):
    v = [k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d,
         k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573]

    def rnd():
        v[0] = (v[0] + v[1]) & M64; v[1] = rotl(v[1], 13); v[1] ^= v[0]; v[0] = rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & M64; v[3] = rotl(v[3], 16); v[3] ^= v[2]
        v[0] = (v[0] + v[3]) & M64; v[3] = rotl(v[3], 21); v[3] ^= v[0]
        v[2] = (v[2] + v[1]) & M64; v[1] = rotl(v[1], 17); v[1] ^= v[2]; v[2] = rotl(v[2], 32)
    n = len(data)
    for i in range(0, n - n % 8, 8):
        m = int.from_bytes(data[i:i + 8], "little")
        v[3] ^= m; rnd(); rnd(); v[0] ^= m
    b = (n << 56) | int.from_bytes(data[n - n % 8:], "little")
    v[3] ^= b; rnd(); rnd(); v[0] ^= b
    v[2] ^= 0xff
    for _ in range(4):
        rnd()
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def state_prp(secret):  # state/secret.c vt_state_key, util/hash.c vt_prp_fwd
    mac = hmac.new(secret, b"vmcp-telemetry state key", hashlib.sha256).digest()
    k0, k1 = int.from_bytes(mac[:8], "little"), int.from_bytes(mac[8:16], "little")

    def fwd(x):
        l, r = x >> 32, x & 0xffffffff
        for i in range(8):
            f = siphash(k0, k1, r.to_bytes(4, "little") + bytes([i, 0, 0, 0])) & 0xffffffff
            l, r = r, l ^ f
        return (l << 32) | r
    return fwd


def content_hash(b):  # state/state.c vt_content_hash
    return int.from_bytes(hashlib.sha256(b).digest()[:8], "big")


def varint(x):
    out = bytearray()
    while True:
        out.append((x & 0x7f) | (0x80 if x > 0x7f else 0))
        x >>= 7
        if not x:
            return bytes(out)


def rebuilt_id(json_text, hashes):
    """The report_id of json_text with its sketch replaced by hashes."""
    t = re.sub(r'("hashes": ")[0-9a-f]*"', lambda m: m.group(1) + hashes + '"', json_text)
    t = re.sub(r'\n  "report_id": "[0-9a-f]{32}",', "", t)
    t = re.sub(r'\n  "installation_id": (null|"[0-9a-f]*"),', "", t)
    return hashlib.sha256(t.encode()).hexdigest()[:32]


# ---------------------------------------------------------------------
# Logs
def audit(t, user, sid, arg, backend="github", outcome="success"):
    return json.dumps({
        "time": t, "level": "AUDIT", "msg": "audit_event", "type": "mcp_tool_call",
        "outcome": outcome, "component": "vmcp",
        "source": {"type": "network", "value": "10.1.2.3", "extra": {"session_id": sid}},
        "subjects": {"user": user, "user_id": user + "-id"},
        "target": {"name": "search"},
        "metadata": {"extra": {"backend_name": backend, "duration_ms": 42}},
        "data": {"request": {"arguments": {"query": arg}}}}, separators=(",", ":"))


def lines(n, user, sid, arg):
    out = []
    for i in range(n):
        t = "2026-11-24T10:%02d:%02dZ" % (i // 60 % 60, i % 60)
        out.append(audit(t, user, sid + str(i % 3), arg, ["github", "jira"][i % 2],
                         ["success", "failure"][i % 5 == 0]))
    return out


def wrap(ls, wrapper):
    if wrapper == "cri":
        return "".join("2026-11-24T10:00:00.000000000Z stdout F %s\n" % l for l in ls)
    if wrapper == "docker":
        return "".join(json.dumps({"log": l + "\n", "stream": "stdout",
                                   "time": "2026-11-24T10:00:00.000000000Z"}) + "\n" for l in ls)
    return "".join(l + "\n" for l in ls)


def put(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


TRUE_NS, TRUE_WL = "payroll-prod", "hr-salaries-vmcp"
POD = TRUE_WL + "-6f7c9d8b5d-x2k4p"
UID = "0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7"
ARG = "salary of j.doe 2026"
NSS = [TRUE_NS] + ["default", "prod", "production", "staging", "dev", "kube-system",
                   "toolhive", "toolhive-system", "vmcp", "mcp", "payroll", "payroll-dev",
                   "payroll-staging", "hr", "hr-prod", "finance", "finance-prod", "sales",
                   "eng", "platform", "ops", "data", "ml", "team-a", "team-b", "acme",
                   "acme-prod", "internal", "tools", "agents", "ai", "ai-prod", "legal",
                   "it", "security", "monitoring", "batch", "web", "api", "billing"]
WLS = [TRUE_WL] + ["vmcp", "vmcp-server", "virtual-mcp", "mcp-gateway", "hr-vmcp",
                   "payroll-vmcp", "salaries-vmcp", "hr-salaries", "hr-mcp", "finance-vmcp",
                   "sales-vmcp", "eng-vmcp", "toolhive-vmcp", "gateway", "agent-gateway",
                   "tools", "tool-router", "mcp", "mcp-proxy", "proxy", "router",
                   "ai-gateway", "copilot-vmcp", "claude-vmcp", "it-vmcp", "ops-vmcp",
                   "data-vmcp", "legal-vmcp", "billing-vmcp", "search-vmcp", "vmcp-1",
                   "vmcp-2", "vmcp-prod", "vmcp-dev", "hr-salaries-mcp", "salaries",
                   "payroll", "hr", "compensation-vmcp", "people-vmcp", "hris-vmcp",
                   "workday-vmcp", "benefits-vmcp", "pay-vmcp", "comp-vmcp",
                   "employees-vmcp", "staff-vmcp", "talent-vmcp", "recruiting-vmcp"]
FLEET = b"the-fleet-key-of-this-test-0123456789\n"
GUESSED_KEYS = [None, b"changeme-changeme\n", b"0123456789abcdef\n",
                b"vmcp-telemetry-fleet-key\n"]


def k8s_candidates():
    return [((ns, wl), k8s_key(ns, wl)) for ns in NSS for wl in WLS]


def confirmed(cands, hashes, keys, scopes=(0,)):
    """The candidates whose sketch hash is among hashes under any key."""
    hits = set()
    for k in keys:
        skey = sketch_key(k)
        for name, inst in cands:
            for sc in scopes:
                if sketch_hash(skey, inst, 0, sc) in hashes:
                    hits.add(name)
    return hits


def sketch_of(doc):
    h = doc["deployment"]["instances_sketch"].get("hashes", "")
    return {h[i:i + 8] for i in range(0, len(h), 8)}


def formats(args, fleet=None):
    """The report in every format: {fmt: text}."""
    out = {}
    extra = []
    if fleet:
        kf = os.path.join(TMP, "fleet.key")
        with open(kf, "wb") as f:
            f.write(fleet)
        extra = ["--fleet-key-file", kf]
    for fmt in ("json", "table", "html", "prom"):
        rc, o, e = vt("report", "-q", "--now", NOW, "--format", fmt, *extra, *args)
        check(rc == 0, "report %s %s: exit %d %s" % (fmt, args, rc, e[-300:]))
        out[fmt] = o.decode()
    return out


def shown_ids(views):
    """Every report id a view shows; and hex runs it shows that are none."""
    ids, other = {}, []
    for fmt, text in views.items():
        found = set(re.findall(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])", text))
        ids[fmt] = found
        # (runs of decimal digits are numbers: counts, times)
        for run in re.findall(r"(?<![0-9a-fA-F])[0-9a-fA-F]{8,}(?![0-9a-fA-F])", text):
            if run.isdigit():
                continue
            if run.lower() not in found and not (fmt == "json" and run in "".join(sketch_of(json.loads(views["json"])))):
                other.append((fmt, run))
    return ids, other


def attack_views(label, views, cands, keys, scopes=(0,), json_other=None):
    """Dictionary attack on the sketch and on every shown report id."""
    doc = json.loads(views["json"])
    hits = confirmed(cands, sketch_of(doc), keys, scopes)
    ids, other = shown_ids(views)
    check(not other, "%s: a view shows hex that is no report id: %s" % (label, other[:3]))
    template = json_other or views["json"]
    for k in keys:
        skey = sketch_key(k)
        for name, inst in cands:
            for sc in scopes:
                rid = rebuilt_id(template, sketch_hash(skey, inst, 0, sc))
                for fmt, found in ids.items():
                    if rid in found:
                        hits.add((fmt,) + tuple(name if isinstance(name, tuple) else (name,)))
    return hits


# ---------------------------------------------------------------------
def pod_logs(root, ns=TRUE_NS, pod=POD, n=12, arg=ARG, wrapper="cri"):
    path = os.path.join(root, "%s_%s_%s" % (ns, pod, UID), "vmcp", "0.log")
    put(path, wrap(lines(n, "j.doe", "sess-9f8e", arg), wrapper))
    return path


print("== dictionary attack on every format, pod log path")
pods = os.path.join(TMP, "pods")
pod_logs(pods)
cands = k8s_candidates()
check(len(cands) >= 2000, "the dictionary holds %d guesses" % len(cands))
plain = formats([pods])
other = formats([pods])  # the attacker knows every count: another run's JSON
hits = attack_views("no key", plain, cands, GUESSED_KEYS, json_other=other["json"])
check(not hits, "without the key, guesses confirmed: %s" % sorted(hits, key=str)[:5])
keyed = formats([pods], fleet=FLEET)
hits = attack_views("fleet key, attacker without it", keyed, cands, GUESSED_KEYS)
check(not hits, "a fleet-keyed report confirmed guesses without the key: %s" % sorted(hits, key=str)[:5])
hits = attack_views("control", keyed, cands, [FLEET])
want = {(TRUE_NS, TRUE_WL), ("json", TRUE_NS, TRUE_WL), ("table", TRUE_NS, TRUE_WL),
        ("html", TRUE_NS, TRUE_WL)}
check(hits == want, "control: with the fleet key the attack confirms exactly the true "
      "names in the sketch and the id of json, table and html, got %s" % sorted(hits, key=str))
check(plain["json"] != formats([pods])["json"],
      "two reports without a key are not keyed at random")

print("== --vmcp-config alone")
crd = os.path.join(TMP, "crd.yaml")
put(crd, "apiVersion: toolhive.stacklok.dev/v1beta1\nkind: VirtualMCPServer\n"
         "metadata:\n  name: %s\n  namespace: %s\nspec:\n  groupRef:\n    name: g\n"
         % (TRUE_WL, TRUE_NS))
ccands = [((ns, wl), config_key(ns, wl)) for ns in NSS for wl in WLS]
v1 = formats(["--vmcp-config", crd])
v2 = formats(["--vmcp-config", crd])
check(json.loads(v1["json"])["deployment"]["instances"] == 1, "the configuration is no instance")
hits = attack_views("config, no key", v1, ccands, GUESSED_KEYS, json_other=v2["json"])
check(not hits, "config: guesses confirmed without the key: %s" % sorted(hits, key=str)[:5])
hits = attack_views("config control", formats(["--vmcp-config", crd], fleet=FLEET), ccands, [FLEET])
check((TRUE_NS, TRUE_WL) in hits, "config control: the fleet key does not confirm the name")

print("== host identity: plain file and stdin")
mid = b""
for p in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
    if os.path.exists(p):
        mid = open(p, "rb").read()
        if len(mid) >= 16:
            break
host = socket.gethostname().encode()
idents = [mid, host, b"localhost", b"0" * 32 + b"\n", b"debian", b"ubuntu", b"node-1"]
scopes = [0] + [scope_of(i) for i in idents if i]
hostdir = os.path.join(TMP, "host-logs")
log = os.path.join(hostdir, "vmcp.log")
put(log, wrap(lines(8, "j.doe", "s", ARG), "none"))
fcands = [(b, file_key(b)) for b in (os.path.realpath(log), "/var/log/vmcp.log", "vmcp.log",
                                     "/var/log/vmcp/audit.log", os.path.join(TMP, "vmcp.log"))]
scands = [("stdin", key_hash("stdin", "", "", "") & ~SHARED)]
for label, args, stdin, cs in (("file", [log], None, fcands),
                               ("stdin", ["-"], open(log, "rb").read(), scands)):
    views = {}
    for fmt in ("json", "table", "html", "prom"):
        rc, o, e = vt("report", "-q", "--now", NOW, "--format", fmt, *args, stdin=stdin)
        views[fmt] = o.decode()
    rc, o2, e = vt("report", "-q", "--now", NOW, *args, stdin=stdin)
    hits = attack_views(label, views, cs, GUESSED_KEYS, scopes, json_other=o2.decode())
    check(not hits, "%s: host or path confirmed without the key: %s" % (label, sorted(hits, key=str)))
    for fmt, text in views.items():
        for i in (mid.strip(), host):
            word = r"(?<![\w.-])%s(?![\w.-])" % re.escape(i.decode())
            check(not i or not re.search(word, text), "%s %s: shows the host's identity" % (label, fmt))
    if label == "file" and mid:
        kf = os.path.join(TMP, "fleet.key")
        rc, o, e = vt("report", "-q", "--now", NOW, "--fleet-key-file", kf, log)
        got = confirmed(fcands, sketch_of(json.loads(o)), [FLEET], [scope_of(mid)])
        check(got == {os.path.realpath(log)},
              "host control: the fleet key and the machine id do not confirm the path: %s" % got)

print("== the state: dictionary attack, two directories, --telemetry off")


def run(state, *args, env=None):
    return vt("run", "--state", state, "--now", NOW, *args, env=env)


def state_cands(podlog):
    """Guesses of every hash and position the state could hold."""
    data = open(podlog, "rb").read()
    c = []
    for ns in NSS[:12]:
        for wl in WLS[:12]:
            c.append((("instance", ns, wl), k8s_key(ns, wl)))
            pod = wl + "-6f7c9d8b5d-x2k4p"
            c.append((("stream", ns, wl), key_hash("k8s-stream", ns, pod, "vmcp")))
            p = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(podlog))),
                             "%s_%s_%s" % (ns, pod, UID), "vmcp", "0.log")
            c.append((("path", ns, wl), fnv(p.encode())))
    for arg in [ARG, "salary of a.smith 2026", "hello", "password123", "ls -la"]:
        guess = data.replace(ARG.encode(), arg.encode())
        c.append((("marker", arg), content_hash(guess[-64:])))
        c.append((("fp", arg), content_hash(guess[:1024])))
        c.append((("offset", arg), len(guess)))
    return c


def varint_at_start(blob, needle):
    """needle as a whole varint: at the start, or after a byte that ends
    one. Inside a 64-bit value's varint (9 bytes with the high bit set,
    then 0 or 1) a short varint's bytes turn up by chance (a 3-byte offset
    ending in 01 about once in 30 runs), and would read as a confirmed
    guess; the state writes every number as a whole varint."""
    i = blob.find(needle)
    while i >= 0:
        if i == 0 or blob[i - 1] < 0x80:
            return True
        i = blob.find(needle, i + 1)
    return False


def state_hits(state_bytes, cands, fwd=None):
    hits = set()
    for name, v in cands:
        if varint_at_start(state_bytes, varint(fwd(v) if fwd else v)):
            hits.add(name)
    return hits


spods = os.path.join(TMP, "spods")
# Enough lines that an offset's varint is 3 bytes: a 2-byte one (a log
# under 16 KiB) turns up by chance in the state's keyed bytes about once a
# dozen runs, and would read as a confirmed guess.
slog = pod_logs(spods, n=48, wrapper="none")
scands = state_cands(slog)
dirs = []
for i in range(2):
    d = os.path.join(TMP, "state%d" % i)
    rc, o, e = run(d, spods)
    check(rc == 0, "run %d: exit %d %s" % (i, rc, e[-300:]))
    dirs.append(d)
blobs = [open(os.path.join(d, "state"), "rb").read() for d in dirs]
secrets = [open(os.path.join(d, "secret"), "rb").read() for d in dirs]
for i, b in enumerate(blobs):
    hits = state_hits(b, scands)
    check(not hits, "state %d: confirmed without the key: %s" % (i, sorted(hits, key=str)[:5]))
hits = state_hits(blobs[0], scands, state_prp(secrets[0]))
want = {("instance", TRUE_NS, TRUE_WL), ("stream", TRUE_NS, TRUE_WL), ("path", TRUE_NS, TRUE_WL),
        ("marker", ARG), ("fp", ARG), ("offset", ARG)}
check(want <= hits and len(hits) == len(want),
      "state control: with DIR/secret the attack confirms exactly the true values, got %s" % sorted(hits, key=str))
check(not state_hits(blobs[0], scands, state_prp(secrets[1])),
      "state: another directory's secret confirms guesses")
# status (a local user at the terminal, with the secret in place) shows
# the fingerprints as stored, never a bare hash of the file's content
rc, o, e = vt("status", "--state", dirs[0], spods)
shown = {int(x, 16) for x in re.findall(rb"\b([0-9a-f]{16})\b", o)}
check(rc == 0 and shown, "status: exit %d, no fingerprint shown: %r" % (rc, o[-300:]))
check(not shown & {v for _, v in scands}, "status shows an unkeyed hash")
check(varint(state_prp(secrets[0])(content_hash(open(slog, "rb").read()[:1024]))) in blobs[0],
      "status control: the head fingerprint is not where the attack looks")


def big_values(b):
    """Every varint of 48 bits or more at any offset: hash-like values."""
    vals = set()
    for i in range(len(b)):
        x = s = 0
        for j in range(i, min(i + 10, len(b))):
            x |= (b[j] & 0x7f) << s
            s += 7
            if not b[j] & 0x80:
                if x >= 1 << 48:
                    vals.add(x)
                break
    return vals


shared = big_values(blobs[0]) & big_values(blobs[1])
check(not shared, "two fresh state directories share %d hash values" % len(shared))
# control: under each its own key, both hold the same instance key
inst = k8s_key(TRUE_NS, TRUE_WL)
check(all(varint(state_prp(s)(inst)) in b for s, b in zip(secrets, blobs)),
      "two states control: the instance is not found under each state's own key")

# the state and a report of the same run share no value: holding both links
# nothing (the sketch and the state are keyed apart, by domain)
rc, o, e = vt("run", "--state", dirs[1], "--period", "day", "--flush", "--now", NOW, spods)
rdir = os.path.join(dirs[1], "reports")
rep = [n for n in os.listdir(rdir) if n.endswith(".json.gz")]
check(rc == 0 and rep, "run --flush wrote no report: %d %r" % (rc, e[-200:]))
blob1 = open(os.path.join(dirs[1], "state"), "rb").read()
for n in rep:
    with gzip.open(os.path.join(rdir, n)) as f:
        doc = json.load(f)
    vals = [int(h, 16) for h in sketch_of(doc)] + [int(doc["installation_id"][:16], 16)]
    check(not any(varint(x) in blob1 for x in vals if x >= 1 << 24),
          "a report's hashes appear in its state")
    check(not confirmed(k8s_candidates(), sketch_of(doc), GUESSED_KEYS + [FLEET]),
          "run's report: a guess confirmed without DIR/secret")
    skey = hmac.new(secrets[1], b"vmcp-telemetry instances sketch", hashlib.sha256).digest()
    start = doc["period"]["start"]
    salt = calendar.timegm(time.strptime(start, "%Y-%m-%dT%H:%M:%SZ"))
    check(sketch_hash(skey, k8s_key(TRUE_NS, TRUE_WL), salt) in sketch_of(doc),
          "run control: DIR/secret does not confirm the instance in run's report")

# --telemetry off: what remains confirms nothing, even with the old secret
d = dirs[0]
rc, o, e = run(d, "--telemetry", "off", spods)
check(rc == 0 and not os.path.exists(os.path.join(d, "secret")),
      "off: exit %d, secret still there: %s" % (rc, os.path.exists(os.path.join(d, "secret"))))
after = open(os.path.join(d, "state"), "rb").read()
check(not state_hits(after, scands, state_prp(secrets[0])) and not state_hits(after, scands),
      "off: the state still confirms guesses with the old secret")
check(not any(os.path.exists(os.path.join(d, "reports", n)) for n in ()), "")

print("== off and on again: no line twice, none written while off")


def calls_reported(state):
    total = 0
    rd = os.path.join(state, "reports")
    for n in sorted(os.listdir(rd)):
        if n.endswith(".json.gz"):
            with gzip.open(os.path.join(rd, n)) as f:
                total += json.load(f)["usage"]["tool_calls"]["total"]
    return total


def at(t):
    return ["--now", t]


onoff = os.path.join(TMP, "onoff")
st = os.path.join(TMP, "onoff-state")
olog = os.path.join(onoff, "vmcp.log")


def append(n, hour):
    with open(olog, "a") as f:
        for i in range(n):
            f.write(audit("2026-11-20T%02d:%02d:00Z" % (hour, i), "u", "s", "a") + "\n")


os.makedirs(onoff)
append(10, 1)
base = ["--period", "day", "--state", st]
rc, o, e = vt("run", *base, *at("2026-11-20T02:00:00Z"), olog)
check(rc == 0, "on/off: first run exit %d %s" % (rc, e[-200:]))
append(5, 3)  # written while on, not yet read when telemetry goes off
rc, o, e = vt("run", *base, "--telemetry", "off", *at("2026-11-20T04:00:00Z"), olog)
append(7, 5)  # written while off
rc, o, e = vt("run", *base, *at("2026-11-20T06:00:00Z"), olog)
check(rc == 0 and b"counting starts now" in e, "on again: exit %d, stderr %r" % (rc, e[-200:]))
append(3, 7)  # written after telemetry came back
rc, o, e = vt("run", *base, "--flush", *at("2026-11-22T00:00:00Z"), olog)
check(rc == 0, "on again, flush: exit %d %s" % (rc, e[-200:]))
got = calls_reported(st)
check(got == 3, "after off and on: %d tool calls reported, want the 3 written after" % got)

# The secret removed by hand (not through --telemetry off): the state's
# hashes cannot be read, so the run starts over at every file's end, as
# after an opt-out, and neither crashes nor counts a line twice.
shutil.rmtree(st)
os.remove(olog)
append(4, 1)
rc, o, e = vt("run", *base, *at("2026-11-20T02:00:00Z"), olog)
os.remove(os.path.join(st, "secret"))
append(6, 3)  # written while the key was being lost
rc, o, e = vt("run", *base, *at("2026-11-20T04:00:00Z"), olog)
check(rc == 0, "secret removed: exit %d, stderr %r" % (rc, e[-300:]))
append(2, 5)
rc, o, e = vt("run", *base, "--flush", *at("2026-11-22T00:00:00Z"), olog)
got = calls_reported(st)
check(rc == 0 and got == 2,
      "secret removed: exit %d, %d tool calls reported, want the 2 written after (the open period went with the key)" % (rc, got))

print("== the equal-structure property")


def normalize(fmt, text):
    if fmt == "json":
        d = json.loads(text)
        for k in ("report_id", "installation_id"):
            d.pop(k, None)
        d["deployment"].pop("instances_sketch", None)
        return json.dumps(d, sort_keys=True)
    return re.sub(r"[0-9a-f]{32}", "ID", text)


PRIV = [("al", "s1", "x"),
        ("alexandra.konstantinopoulou-admin", "session-4f1c2b9a-0d6e-4b7f-9a3c-2e8d5f1b7c60",
         "find every salary above 120000 for the payroll department of 2026")]
NAMES = [("hr", "vm-6f7c9d8b5d-x2k4p"),
         ("payroll-and-benefits-production", "hr-salaries-virtual-mcp-gateway-6f7c9d8b5d-x2k4p")]


def same_bucket_count(wrapper):
    """A line count that puts both sets' files in one log2 bucket."""
    for n in range(30, 2000):
        a, b = (len(wrap(lines(n, *p), wrapper).encode()) for p in PRIV)
        if a.bit_length() == b.bit_length():
            return n, a, b
    raise SystemExit("no line count fits one bucket")


for wrapper in ("none", "cri", "docker"):
    n, a, b = same_bucket_count(wrapper)
    check(a != b, "%s: the private values do not change the size" % wrapper)
    for layout in ("pod", "file", "stdin"):
        got = []
        runs = []
        for k, (p, (ns, pod)) in enumerate(zip(PRIV, NAMES)):
            root = os.path.join(TMP, "eq", wrapper, layout, str(k))
            text = wrap(lines(n, *p), wrapper)
            if layout == "pod":
                path = os.path.join(root, "%s_%s_%s" % (ns, pod, UID), "vmcp", "0.log")
                args, stdin = [root], None
            else:
                path = os.path.join(root, ns, pod + ".log")
                args, stdin = [path], None
            put(path, text)
            if layout == "stdin":
                args, stdin = ["-"], text.encode()
            views = {}
            for fmt in ("json", "table", "html", "prom"):
                rc, o, e = vt("report", "-q", "--now", NOW, "--format", fmt, *args, stdin=stdin)
                views[fmt] = normalize(fmt, o.decode())
            got.append(views)
            if layout != "stdin":
                sd = os.path.join(root, "state")
                rc, o, e = vt("run", "--state", sd, "--period", "day", "--flush",
                              "--now", NOW, *args)
                reps = sorted(os.listdir(os.path.join(sd, "reports")))
                docs = []
                for r in reps:
                    if r.endswith(".json.gz"):
                        with gzip.open(os.path.join(sd, "reports", r)) as f:
                            docs.append(normalize("json", f.read().decode()))
                runs.append(docs)
        for fmt in ("json", "table", "html", "prom"):
            check(got[0][fmt] == got[1][fmt],
                  "%s/%s: --format %s differs with other private values" % (wrapper, layout, fmt))
        if runs:
            check(runs[0] == runs[1] and runs[0],
                  "%s/%s: run's reports differ with other private values" % (wrapper, layout))

print("== the terminal")
URL = "https://user:pass@collector.example/p?api_key=SECRETQ#fragSECRET"
bad = ("user:pass", "pass@", "api_key", "SECRETQ", "fragSECRET")
tdir = os.path.join(TMP, "term\x1b[31mred\nline")
os.makedirs(tdir)
for cmd in (["status"], ["status", "--json"], ["preview"]):
    rc, o, e = vt(*cmd, "--endpoint", URL, "--state", tdir)
    both = o + e
    check(b"collector.example/p" in both or cmd == ["preview"],
          "%s: the endpoint is not shown at all" % cmd)
    check(not any(s.encode() in both for s in bad), "%s: shows credentials: %r" % (cmd, both[-400:]))
    check(b"\x1b" not in both, "%s: an escape byte reached the terminal" % cmd)
    check(b"red\nline" not in both, "%s: a newline in a path reached the terminal raw" % cmd)
env = {"VMCP_TELEMETRY_ENDPOINT": URL}
rc, o, e = vt("status", "--state", tdir, env=env)
check(not any(s.encode() in o + e for s in bad), "status: the endpoint from the environment shows credentials")
# a bad path, and a malformed line in a file whose name holds escapes
evil = os.path.join(TMP, "evil\x1b[31m\nFAKE: all good")
put(evil, "{not json\n")
for args in ([evil], [evil + ".missing"]):
    rc, o, e = vt("report", "--now", NOW, *args)
    check(b"\x1b" not in e and b"\nFAKE" not in e and b"\\x1b" in e,
          "diagnostic with %r: %r" % (args, e[-300:]))
rc, o, e = vt("run", "--state", os.path.join(TMP, "evil-state"), "--now", NOW, evil)
check(b"\x1b" not in e and b"\nFAKE" not in e, "run diagnostics: %r" % e[-300:])
# a settings file whose bad lines hold a pasted token: never echoed
cfg = os.path.join(TMP, "settings.conf")
for line in ("ghp_PASTEDTOKENabcdefghijklmnopqrstuvwxyz0123", "ghp_PASTEDTOKENabc = 1"):
    put(cfg, "telemetry = local\n%s\n" % line)
    rc, o, e = vt("status", "--config", cfg, "--state", tdir)
    check(rc != 0 and b"PASTEDTOKEN" not in o + e and b"settings.conf:2" in e,
          "bad settings line %r: exit %d %r" % (line, rc, e[-300:]))

print("== merge applies the allowlists")
rc, o, e = vt("report", "-q", "--now", NOW, pods)
doc = json.loads(o)
doc["usage"]["backend_distribution"] = {"GitHub": 2, "payroll-internal-db": 5, "other": 1}
doc["usage"]["clients"] = {"acme-secret-agent": 3}
offlist = os.path.join(TMP, "offlist.json")
with open(offlist, "w") as f:
    json.dump(doc, f)
rc, o, e = vt("merge", offlist)
m = json.loads(o)
check(m["usage"]["backend_distribution"] == {"github": 2, "other": 6},
      "merge: backends %s" % m["usage"]["backend_distribution"])
check(m["usage"]["clients"] == {"other": 3}, "merge: clients %s" % m["usage"]["clients"])
check(b"payroll-internal-db" not in o + e and b"acme-secret-agent" not in o + e,
      "merge: an off-list name reached an output")
for fmt in ("table", "html", "prom"):
    rc, o, e = vt("merge", "--format", fmt, offlist)
    check(rc == 0 and b"payroll-internal-db" not in o and b"acme-secret-agent" not in o,
          "merge --format %s: an off-list name is shown" % fmt)
extra = os.path.join(TMP, "servers.txt")
put(extra, "payroll-internal-db\n")
rc, o, e = vt("merge", "--servers", extra, offlist)
check(json.loads(o)["usage"]["backend_distribution"].get("payroll-internal-db") == 5,
      "merge --servers: a listed name is not kept")

shutil.rmtree(TMP, ignore_errors=True)
sys.exit(TALLY.finish())
