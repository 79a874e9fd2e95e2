#!/usr/bin/python3
# The breaks an independent attacker found after issue 14's privacy work
# (docs/decisions.md, "Issue 14, after the attack"), each kept as a test
# that fails on the old behaviour:
#   - report --shard picked inputs by an unkeyed hash: a non-empty shard
#     confirmed a guessed namespace/workload;
#   - a planted pending report was uploaded (and previewed) byte for byte;
#   - lines written while telemetry was off were counted when their file
#     was first named by a later run;
#   - endpoints: an unencoded '/', '?' or '#' in a password, path
#     parameters and an encoded '?' were printed;
#   - bidi and line-separator characters reached the terminal raw, and
#     status printed report file names raw;
#   - in run, quality.files and bytes_read counted runs, not files: the
#     job's schedule showed, and small per-run byte counts were measured;
#   - partial records (CRI, docker) must not count a value's length.
#   python3 tests/integration/privacy_breaks.py BIN
import gzip
import hashlib
import hmac
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vtharness import NOW, Suite  # noqa: E402

S = Suite("privacy_breaks", sys.argv[1])
TMP = S.tmp
check = S.check


def vt(*args, env=None):
    r = S.vt(*args, env=env)
    return r.rc, r.out, r.err


def scratch(name):
    d = os.path.join(TMP, name)
    os.makedirs(d)
    return d


def audit(t, user="u", sid="s", arg="a", backend="github"):
    return json.dumps({"time": t, "level": "AUDIT", "msg": "audit_event", "type": "mcp_tool_call",
                       "outcome": "success", "component": "vmcp",
                       "source": {"type": "network", "value": "10.1.2.3", "extra": {"session_id": sid}},
                       "subjects": {"user": user}, "target": {"name": "search"},
                       "metadata": {"extra": {"backend_name": backend, "duration_ms": 42}},
                       "data": {"request": {"arguments": {"query": arg}}}}, separators=(",", ":"))


def append(path, stamps, **kw):
    with open(path, "a") as f:
        for t in stamps:
            f.write(audit(t, **kw) + "\n")


def reports(state):
    rd = os.path.join(state, "reports")
    return [json.loads(gzip.open(os.path.join(rd, n)).read())
            for n in sorted(os.listdir(rd)) if n.endswith(".json.gz")]


def calls(state):
    return sum(d["usage"]["tool_calls"]["total"] for d in reports(state))


def norm(d, *drop_quality):
    d = json.loads(json.dumps(d))
    for k in ("report_id", "installation_id"):
        d.pop(k, None)
    d["deployment"].pop("instances_sketch", None)
    for k in drop_quality:
        d["quality"].pop(k, None)
    return d


# ---------------------------------------------------------------------
print("== --shard: keyed by the fleet key, refused without one")
M64 = (1 << 64) - 1


def fnv(data, h=0xcbf29ce484222325):
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & M64
    return h


def k8s_key(ns, wl):  # parser/inputs.c key_hash, a shared instance
    return fnv(b"".join(s.encode() + b"\0" for s in ("k8s", ns, wl, ""))) | (1 << 63)


def mix64(x):  # util/hash.c vt_mix64: what the old shard used
    x ^= x >> 30
    x = (x * 0xbf58476d1ce4e5b9) & M64
    x ^= x >> 27
    x = (x * 0x94d049bb133111eb) & M64
    return x ^ (x >> 31)


def keyed_shard(fleet, inst, n):  # src/common.c vt_shard_key, parser/inputs.c shard_of
    k = hmac.new(fleet, b"vmcp-telemetry shard", hashlib.sha256).digest()
    mac = hmac.new(k, inst.to_bytes(8, "little"), hashlib.sha256).digest()
    return int.from_bytes(mac[:8], "big") % n


d = scratch("shard")
NS, WL = "payroll-prod", "hr-salaries-vmcp"
pod = os.path.join(d, "pods", "%s_%s-6f7c9d8b5d-x2k4p_0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7" % (NS, WL),
                   "vmcp", "0.log")
os.makedirs(os.path.dirname(pod))
append(pod, ["2026-11-24T10:00:%02dZ" % i for i in range(5)])
N = 4096


def shard_instances(key, i):
    rc, o, e = vt("report", "-q", "--now", NOW, "--fleet-key-file", key, "--shard", "%d/%d" % (i, N),
                  os.path.join(d, "pods"))
    return rc, json.loads(o)["deployment"]["instances"] if rc == 0 else None


nonempty = {}
for name, secret in (("k1", b"a-fleet-key-the-attacker-lacks-0123"), ("k2", b"another-fleet-key-0123456789")):
    key = os.path.join(d, name)
    open(key, "wb").write(secret + b"\n")
    want = keyed_shard(secret, k8s_key(NS, WL), N)
    rc, inst = shard_instances(key, want)
    check(rc == 0 and inst == 1, "control: the keyed shard %d holds the instance (%s, %s)" % (want, rc, inst))
    nonempty[name] = want
    old = mix64(k8s_key(NS, WL)) % N
    if old != want:
        rc, inst = shard_instances(key, old)
        check(rc == 0 and inst == 0, "the unkeyed hash still picks the shard: %d is not empty" % old)
check(nonempty["k1"] != nonempty["k2"], "two fleet keys put the instance in the same shard")
rc, o, e = vt("report", "-q", "--now", NOW, "--shard", "0/2", os.path.join(d, "pods"))
check(rc == 2 and b"--fleet-key-file" in e, "--shard without --fleet-key-file: exit %d" % rc)

# ---------------------------------------------------------------------
print("== a planted pending report: read through the allowlists, or refused")
got = []


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        got.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *a):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=srv.serve_forever, daemon=True).start()
env = {"VMCP_TELEMETRY_ENDPOINT": "http://127.0.0.1:%d/v1/reports" % srv.server_port}
d = scratch("plant")
st, log = os.path.join(d, "st"), os.path.join(d, "vmcp.log")
append(log, ["2026-11-20T01:00:00Z"])
base = ["--telemetry", "on", "--period", "day", "--state", st]
vt("run", *base, "--now", "2026-11-20T02:00:00Z", log, env=env)
rc, o, e = vt("report", "-q", "--now", NOW, log)
doc = json.loads(o)
doc["installation_id"] = "0123456789abcdef0123456789abcdef"
doc["usage"]["backend_distribution"] = {"payroll-secret-backend": 5, "github": 2}
doc["period"] = {"start": "2026-11-21T00:00:00Z", "end": "2026-11-22T00:00:00Z", "granularity": "day"}
planted = os.path.join(st, "reports", "20261121T000000Z-day.json.gz")
with gzip.open(planted, "wb") as f:
    f.write(json.dumps(doc, indent=2).encode())
garbage = os.path.join(st, "reports", "20261121T120000Z-day.json.gz")
with gzip.open(garbage, "wb") as f:
    f.write(b'{"schema_version": 1, "PLANTED-GARBAGE": true}')
rc, o, e = vt("preview", "--state", st, env=env)
check(b"payroll-secret-backend" not in o + e, "preview shows the planted name")
check(b"PLANTED-GARBAGE" not in o + e and b"20261121T120000Z-day.json.gz" in e,
      "preview: the unreadable report is not named, or its content shown")
rc, o, e = vt("run", *base, "--now", "2026-11-22T02:00:00Z", log, env=env)
bodies = [gzip.decompress(b) for b in got]
check(bodies and not any(b"payroll-secret-backend" in b for b in bodies),
      "the planted name reached the collector (%d uploads)" % len(bodies))
sent = [json.loads(b) for b in bodies if b"2026-11-21T00:00:00Z" in b]
check(sent and sent[0]["usage"]["backend_distribution"] == {"github": 2, "other": 5},
      "the planted report was not sent with its name as 'other': %r" % [s["usage"] for s in sent][:1])
check(not any(b"PLANTED-GARBAGE" in b for b in bodies) and os.path.exists(garbage),
      "a report that does not read was sent, or not kept pending")
check(b"20261121T120000Z-day.json.gz" in e and b"not sent" in e, "the refused report is not named: %r" % e[-300:])
sentdir = os.path.join(st, "reports", "sent")
kept = [gzip.open(os.path.join(sentdir, n)).read() for n in os.listdir(sentdir) if n.startswith("20261121T0000")]
check(kept and b"payroll-secret-backend" not in kept[0], "sent/ keeps the planted bytes, not what was sent")
srv.shutdown()

# ---------------------------------------------------------------------
print("== off, then on: a file first named later holds no off-era line")
d = scratch("offon")
a, b = os.path.join(d, "a", "vmcp.log"), os.path.join(d, "b", "vmcp.log")
os.makedirs(os.path.dirname(a))
os.makedirs(os.path.dirname(b))
st = os.path.join(d, "st")
base = ["--period", "day", "--state", st]
append(a, ["2026-11-20T01:%02d:00Z" % i for i in range(2)])
vt("run", *base, "--now", "2026-11-20T02:00:00Z", a, b)
vt("run", *base, "--telemetry", "off", "--now", "2026-11-20T03:00:00Z", a, b)
append(b, ["2026-11-20T04:%02d:00Z" % i for i in range(7)])     # written while off
vt("run", *base, "--now", "2026-11-20T06:00:00Z", a)            # b not named yet
append(a, ["2026-11-20T07:%02d:00Z" % i for i in range(3)])     # after 'on'
vt("run", *base, "--flush", "--now", "2026-11-22T00:00:00Z", a, b)
check(calls(st) == 3, "tool calls reported: %d, want 3" % calls(st))
check(sum(r["quality"].get("events_before_consent", 0) for r in reports(st)) == 7,
      "quality.events_before_consent does not count the 7 off-era events")

# ---------------------------------------------------------------------
print("== endpoints, file names, bidi characters on the terminal")
d = scratch("term")
urls = [("https://alice:SECRET4/x@collector.example/", "SECRET4"),
        ("https://alice:SECRET5?x@collector.example/", "SECRET5"),
        ("https://alice:SECRET6#x@collector.example/", "SECRET6"),
        ("http://alice:SECRET7/x@[::1]:8443/p", "SECRET7"),
        ("https://collector.example/p;token=SECRET1", "SECRET1"),
        ("https://collector.example/p;jsessionid=SECRET2/x", "SECRET2"),
        ("https://collector.example/p%3Fapi_key=SECRET3", "SECRET3"),
        ("https://collector.example/p%23SECRET8", "SECRET8")]
for url, secret in urls:
    for cmd in (["status"], ["status", "--json"], ["preview"]):
        for e_, extra in (({}, ["--endpoint", url]), ({"VMCP_TELEMETRY_ENDPOINT": url}, [])):
            rc, o, e = vt(*cmd, *extra, "--state", os.path.join(d, "st"), env=e_)
            check(secret.encode() not in o + e, "%s shows %s of %s" % (cmd, secret, url))
rc, o, e = vt("status", "--endpoint", "https://u:p/w@collector.example:8443/v1;k=1", "--state", d)
check(b"https://collector.example:8443/v1 " in o, "status does not show scheme, host, port and path: %r" % o[:300])

BIDI = ["\u202a", "\u202e", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c", "\u2028", "\u2029"]
name = os.path.join(d, "gol.\u202eevil\u2066x\u2028FAKE: ok\u2029y\u200f\u061c.log")
open(name, "w").write("{not json\n")
out = b""
for args in (["report", "--now", NOW, name], ["report", "--now", NOW, name + ".missing"],
             ["run", "--state", os.path.join(d, "st\u202eate"), "--now", NOW, name],
             ["status", "--state", os.path.join(d, "st\u202eate"), name]):
    rc, o, e = vt(*args)
    out += o + e
raw = [hex(ord(c)) for c in BIDI if c.encode() in out]
check(not raw, "raw on the terminal: %s" % raw)
check(b"\\u{202e}" in out, "U+202E is not shown as \\u{202e}")

st = os.path.join(d, "names")
log = os.path.join(d, "n.log")
append(log, ["2026-11-24T01:00:00Z"])
vt("run", "-q", "--period", "day", "--flush", "--state", st, "--now", NOW, log)
src = os.path.join(st, "reports", "20261124T000000Z-day.json.gz")
shutil.copy(src, os.path.join(st, "reports", "20261124T000000Z-day\x1b[31m\nFAKE: all sent.json.gz"))
os.makedirs(os.path.join(st, "reports", "sent"), exist_ok=True)
shutil.copy(src, os.path.join(st, "reports", "sent", "20261125T000000Z-\x1b]0;title\x07.json.gz"))
rc, o, e = vt("status", "--state", st)
check(b"\x1b" not in o + e and b"\nFAKE" not in o + e, "status prints a report's file name raw")

# ---------------------------------------------------------------------
print("== run: the schedule shows in no count")


def install(every_min, days=(20, 21), value=("u", "s", "a")):
    root = tempfile.mkdtemp(dir=TMP)
    log, st = os.path.join(root, "vmcp.log"), os.path.join(root, "st")
    open(log, "w").close()
    for day in days:
        for m in range(0, 24 * 60, every_min):
            append(log, ["2026-11-%02dT%02d:%02d:00Z" % (day, k // 60, k % 60)
                         for k in range(m, m + every_min, 10)],
                   user=value[0], sid=value[1], arg=value[2])
            if every_min < 24 * 60:
                vt("run", "-q", "--period", "day", "--state", st,
                   "--now", "2026-11-%02dT%02d:%02d:30Z" % (day, m // 60, m % 60), log)
    vt("run", "-q", "--period", "day", "--state", st, "--flush", "--now", "2026-11-23T00:00:00Z", log)
    return [norm(r) for r in reports(st)]


every20, every30 = install(20), install(30)
check(every20 == every30, "every 20 min vs every 30 min: the reports differ: %s" %
      [(r["quality"]["files"], r["quality"]["bytes_read"]) for r in every20 + every30])
check([r["quality"]["files"] for r in every20] == [1, 1], "quality.files is not one file a period")
once = install(24 * 60, days=(20,))
twenty = install(20, days=(20,))
check(once == twenty, "one run vs a run every 20 min: the reports differ")

# equal structure through an incremental run: private values of other lengths
PRIV = [("al", "s1", "x"), ("alexandra.konstantinopoulou-admin", "session-4f1c2b9a-0d6e-4b7f-9a3c",
                            "find every salary above 120000 for payroll 2026")]


def incremental(p, nlines):
    root = tempfile.mkdtemp(dir=TMP)
    log, st = os.path.join(root, "vmcp.log"), os.path.join(root, "st")
    for step, n in enumerate(nlines):
        append(log, ["2026-11-20T%02d:%02d:00Z" % (step + 1, i % 60) for i in range(n)],
               user=p[0], sid=p[1], arg=p[2])
        vt("run", "--period", "day", "--state", st, "--now", "2026-11-20T%02d:30:00Z" % (step + 1), log)
    vt("run", "--period", "day", "--state", st, "--flush", "--now", "2026-11-22T00:00:00Z", log)
    return [norm(r) for r in reports(st)]


for nl in ([1, 1, 1, 1], [40, 3, 60, 2], [200, 1, 1, 300]):
    x, y = incremental(PRIV[0], nl), incremental(PRIV[1], nl)
    check(x == y, "%s runs: short and long private values give other reports" % nl)

# ---------------------------------------------------------------------
print("== partial records: no count measures a value's 16 KiB chunks")


def cri(line, size=16384):
    parts = [line[i:i + size] for i in range(0, len(line), size)] or [""]
    return "".join("2026-11-24T10:00:00.000000000Z stdout %s %s\n" % ("F" if k == len(parts) - 1 else "P", p)
                   for k, p in enumerate(parts))


def docker(line, size=16384):
    line += "\n"
    return "".join(json.dumps({"log": line[i:i + size], "stream": "stdout",
                               "time": "2026-11-24T10:00:00.000000000Z"}) + "\n"
                   for i in range(0, len(line), size))


for wrapper in (cri, docker):
    out = []
    for arg in ("x" * 10, "x" * 60000):
        root = tempfile.mkdtemp(dir=TMP)
        p = os.path.join(root, "ns_vm-6f7c9d8b5d-x2k4p_0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7", "vmcp", "0.log")
        os.makedirs(os.path.dirname(p))
        open(p, "w").write("".join(wrapper(audit("2026-11-24T10:00:%02dZ" % i, arg=arg)) for i in range(3)))
        rc, o, e = vt("report", "-q", "--now", NOW, root)
        out.append(norm(json.loads(o), "bytes_read"))
    check(out[0] == out[1], "%s: a long value's chunks show in the report" % wrapper.__name__)

# ---------------------------------------------------------------------
print("== DIR/secret wider than 0600, DO_NOT_TRACK's value")
d = scratch("secret")
st, log = os.path.join(d, "st"), os.path.join(d, "s.log")
append(log, ["2026-11-24T01:00:00Z"])
vt("run", "-q", "--state", st, "--now", NOW, log)
os.chmod(os.path.join(st, "secret"), 0o644)
rc, o, e = vt("run", "-q", "--state", st, "--now", NOW, log)
check(os.stat(os.path.join(st, "secret")).st_mode & 0o777 == 0o600, "DIR/secret was left wider than 0600")
check(b"secret' had mode 0644" in e, "the widened secret is not named: %r" % e[-200:])
rc, o, e = vt("run", "-q", "--state", st, "--now", NOW, log)
check(b"had mode" not in e, "the warning is repeated once the mode is 0600")
for fmt in ([], ["--json"]):
    rc, o, e = vt("status", *fmt, "--state", st, env={"DO_NOT_TRACK": "my-dnt-value-1"})
    check(b"my-dnt-value-1" not in o + e and b"DO_NOT_TRACK" in o, "status %s echoes DO_NOT_TRACK's value" % fmt)

S.finish()
