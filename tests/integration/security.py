#!/usr/bin/env python3
# Security properties of the state directory, the token, TLS and memory
# (issue #7), each checked on the real binary:
#   - state and report files are 0600 in 0700 directories, whatever the
#     umask;
#   - a symlink planted in the state directory (state, lock, secret,
#     reports/, a report, reports/sent/, a .refused note, temporary names)
#     is never followed: the file it points to is never read, written,
#     created or moved into;
#   - the bearer token is never taken from argv, is wiped from the
#     process's environment, and never appears in output, state or reports;
#   - TLS verification cannot be turned off: no such option, and a bad
#     --cacert fails the upload instead of trusting everyone;
#   - --max-instances caps memory: a flood of distinct names (instances,
#     backends, clients) keeps the peak RSS flat, the excess counted.
#
#   python3 tests/integration/security.py BIN
#   VT_WRAPPER="valgrind ..." python3 ... BIN   (no RSS or /proc checks)
import gzip
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vtharness import NOW, ROOT, SLOW, Suite  # noqa: E402

S = Suite("security", sys.argv[1])
RECV = os.path.join(ROOT, "tests", "integration", "receiver.py")
TOKEN = "vt-secret-token-" + os.urandom(12).hex()
TOKEN_FILE = S.write("token", (TOKEN + "\n").encode(), mode=0o600)
VICTIM_TEXT = b"precious: must never be read, written or replaced\n"


def line(day, sec, **kw):
    d = {"time": "2026-11-%02dT10:00:%02dZ" % (day, sec), "level": "AUDIT",
         "msg": "audit_event", "type": "mcp_tool_call", "outcome": "success",
         "metadata": {"extra": {"backend_name": "github", "duration_ms": 5}}}
    d.update(kw)
    return json.dumps(d, separators=(",", ":")).encode() + b"\n"


LOG = S.write("logs/vmcp.log", b"".join(line(24, i) for i in range(5)))
REPORT = "20261124T000000Z-day.json.gz"


def mode(p):
    return os.lstat(p).st_mode & 0o7777


def victim(name):
    return S.write("victims/" + name, VICTIM_TEXT)


def intact(p, what):
    with open(p, "rb") as f:
        S.check(f.read() == VICTIM_TEXT, "%s: the link's target was changed" % what)
    S.check(os.path.isfile(p) and not os.path.islink(p), "%s: the target was replaced" % what)


class Receiver:
    """tests/integration/receiver.py on 127.0.0.1 (plain, or TLS)."""

    def __init__(self, name, script, tls=None):
        self.dir = S.path("recv-" + name, "x")
        self.dir = os.path.dirname(self.dir)
        with open(os.path.join(self.dir, "script"), "w") as f:
            f.write("\n".join(script) + "\n")
        args = [sys.executable, RECV, self.dir] + (["--tls"] + tls if tls else [])
        env = dict(os.environ, RECEIVER_LIFETIME="120")
        self.p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        port = os.path.join(self.dir, "port")
        for _ in range(200):
            if os.path.exists(port) and os.path.getsize(port):
                break
            time.sleep(0.05)
        with open(port) as f:
            self.port = int(f.read())
        self.url = "%s://127.0.0.1:%d/v1/reports" % ("https" if tls else "http", self.port)

    def requests(self):
        try:
            with open(os.path.join(self.dir, "requests")) as f:
                return f.read().splitlines()
        except OSError:
            return []

    def stop(self):
        self.p.kill()
        self.p.wait()


ON = ["--telemetry", "on", "--token-file", TOKEN_FILE]


def consented_state(name, url, extra=()):
    """A state with consent recorded before 2026-11-24 and that day's
    report written: the next run with mode on uploads it."""
    st = S.path("state", name)
    r = S.vt("run", "--state", st, *ON, "--endpoint", url, "--now", "2026-11-23T12:00:00Z",
             "--timeout", "1s", "--deadline", "2s", *extra, LOG)
    S.check(r.rc == 0, "%s: consent run exit %d %r" % (name, r.rc, r.text()[:200]))
    return st


# ----------------------------------------------------------------------
S.section("file modes, whatever the umask")
for um in (0o000, 0o022, 0o077, 0o277, 0o777):
    st = S.path("state", "umask-%03o" % um)
    old = os.umask(um)
    try:
        r = S.vt("run", "--state", st, "--now", "2026-11-25T12:00:00Z", LOG)
    finally:
        os.umask(old)
    S.check(r.rc == 0, "umask %03o: exit %d %r" % (um, r.rc, r.text()[:200]))
    want = {"": 0o700, "state": 0o600, "lock": 0o600, "secret": 0o600,
            "reports": 0o700, "reports/" + REPORT: 0o600}
    for rel, m in want.items():
        p = os.path.join(st, rel) if rel else st
        S.check(os.path.exists(p) and mode(p) == m,
                "umask %03o: %s is %s, want %03o" % (um, rel or "DIR",
                                                    oct(mode(p)) if os.path.exists(p) else "missing", m))
# a directory of ours that is too open is tightened
st = S.path("state", "loose")
os.makedirs(st, 0o755)
os.chmod(st, 0o755)
S.vt("run", "--state", st, "--now", "2026-11-25T12:00:00Z", LOG)
S.check(mode(st) == 0o700, "a 0755 state dir was not tightened: %s" % oct(mode(st)))

S.section("symlinks planted in the state directory")
base = S.path("state", "base")
S.vt("run", "--state", base, "--now", "2026-11-24T12:00:00Z", LOG)


def fresh(name):
    st = S.path("state", "link-" + name)
    subprocess.run(["rm", "-rf", st])
    subprocess.run(["cp", "-a", base, st])
    return st


for name in ("state", "lock", "secret"):
    st = fresh(name)
    v = victim(name)
    os.unlink(os.path.join(st, name)) if os.path.lexists(os.path.join(st, name)) else None
    os.symlink(v, os.path.join(st, name))
    r = S.vt("run", "--state", st, "--now", "2026-11-25T12:00:00Z", LOG)
    S.check(r.rc == 1 and os.path.join(st, name) in r.text(),
            "%s is a link: exit %d %r" % (name, r.rc, r.text()[:200]))
    intact(v, name)
    S.check(os.path.islink(os.path.join(st, name)), "%s: the planted link is gone" % name)
# reports/ a link to a directory elsewhere
st = fresh("reports")
elsewhere = S.path("victims", "elsewhere", "x")
elsewhere = os.path.dirname(elsewhere)
subprocess.run(["rm", "-rf", os.path.join(st, "reports")])
os.symlink(elsewhere, os.path.join(st, "reports"))
r = S.vt("run", "--state", st, "--flush", "--now", "2026-11-25T12:00:00Z", LOG)
S.check(r.rc == 1 and "not a directory" in r.text(), "reports/ is a link: exit %d %r" % (r.rc, r.text()[:200]))
S.check(os.listdir(elsewhere) == [], "reports/ is a link: something was written through it")
# the report's own name, and temporary names, as links
st = fresh("report")
v = victim("report")
os.symlink(v, os.path.join(st, "reports", REPORT))
planted = []
for i in range(50):
    for name in ("state.tmp.%06d" % i, "secret.tmp.%06d" % i, "reports/%s.tmp.%06d" % (REPORT, i)):
        os.symlink(v, os.path.join(st, name))
        planted.append(os.path.join(st, name))
r = S.vt("run", "--state", st, "--flush", "--now", "2026-11-25T12:00:00Z", LOG)
S.check(r.rc == 0, "links at the report and temporary names: exit %d %r" % (r.rc, r.text()[:200]))
intact(v, "report / temporary names")
rp = os.path.join(st, "reports", REPORT)
S.check(os.path.isfile(rp) and not os.path.islink(rp) and mode(rp) == 0o600,
        "the report did not replace the planted link")
S.check(not [p for p in planted if os.path.lexists(p)], "leftover temporary names were not removed")
with gzip.open(rp) as f:
    S.check(json.load(f)["usage"]["tool_calls"]["total"] == 5, "the report behind the link is wrong")
# the state directory itself a link: refused (it is the operator's path;
# a link there is not followed either)
st = S.path("state", "dir-link")
os.symlink(base, st)
r = S.vt("run", "--state", st, "--now", "2026-11-25T12:00:00Z", LOG)
S.check(r.rc == 1 and "not a directory" in r.text(), "DIR is a link: exit %d %r" % (r.rc, r.text()[:200]))

S.section("symlinks at reports/sent and a .refused note (upload)")
recv = Receiver("sent", ["200"])
st = consented_state("sent", recv.url)
elsewhere2 = os.path.dirname(S.path("victims", "elsewhere2", "x"))
os.symlink(elsewhere2, os.path.join(st, "reports", "sent"))
r = S.vt("run", "--state", st, *ON, "--endpoint", recv.url, "--flush", "--now", "2026-11-25T12:00:00Z", LOG)
S.check("could not move it to sent/" in r.text(), "sent/ is a link: %r" % r.text()[:300])
S.check(os.listdir(elsewhere2) == [], "sent/ is a link: a report was moved through it")
S.check(os.path.isfile(os.path.join(st, "reports", REPORT)), "sent/ is a link: the report is gone")
recv.stop()
recv = Receiver("refused", ["400"])
st = consented_state("refused", recv.url)
v = victim("refused")
os.symlink(v, os.path.join(st, "reports", REPORT + ".refused"))
r = S.vt("run", "--state", st, *ON, "--endpoint", recv.url, "--flush", "--now", "2026-11-25T12:00:00Z", LOG)
S.check(r.rc == 4, "refused: exit %d %r" % (r.rc, r.text()[:200]))
intact(v, ".refused")
r = S.vt("status", "--state", st)
S.check(r.rc == 0 and VICTIM_TEXT not in r.out, "status read through the .refused link")
recv.stop()

S.section("the token: never from argv, wiped from the environment, never printed")
for args in (["--token", TOKEN], ["--token=" + TOKEN], ["--tok=" + TOKEN], ["--bearer-token", TOKEN]):
    r = S.vt("run", "--state", S.path("state", "argv"), "--telemetry", "on", "--endpoint",
             "http://127.0.0.1:9/", *args, LOG)
    S.check(r.rc == 2, "%s: exit %d, want 2" % (args[0][:12], r.rc))
    S.check(TOKEN.encode() not in r.out + r.err, "%s: the token was printed" % args[0][:12])
    S.check(not os.path.exists(S.path("state", "argv", "state")), "%s: a run happened" % args[0][:12])
# from the environment: gone from /proc/PID/environ while the job runs
recv = Receiver("env", ["slow 4"])
st = consented_state("env", recv.url)
if not SLOW:
    e = S.env({"VMCP_TELEMETRY_TOKEN": TOKEN})
    p = subprocess.Popen([S.bin, "run", "--state", st, "--telemetry", "on", "--endpoint", recv.url,
                          "--flush", "--now", "2026-11-25T12:00:00Z", LOG],
                         env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = None
    for _ in range(100):
        time.sleep(0.05)
        if recv.requests():
            with open("/proc/%d/environ" % p.pid, "rb") as f:
                seen = f.read()
            break
    out, err = p.communicate(timeout=60)
    S.check(seen is not None, "env token: no upload was seen")
    S.check(seen is not None and TOKEN.encode() not in seen,
            "env token: still in /proc/PID/environ during the upload")
    S.check(p.returncode == 0 and TOKEN.encode() not in out + err, "env token: exit %d" % p.returncode)
    reqs = recv.requests()
    S.check(reqs and "bearer:" in reqs[0], "env token: the request carried no token: %s" % reqs[:1])
recv.stop()
# every way an upload can fail: the token is in no output, state or report
for name, script in (("401", ["401"]), ("500", ["500"]), ("drop", ["drop"])):
    recv = Receiver("fail-" + name, script)
    st = consented_state("fail-" + name, recv.url)
    r = S.vt("run", "--state", st, *ON, "--endpoint", recv.url, "--flush", "--timeout", "2s",
             "--deadline", "4s", "--now", "2026-11-25T12:00:00Z", LOG)
    S.check(TOKEN.encode() not in r.out + r.err, "%s: the token was printed" % name)
    r = S.vt("preview", "--state", st, *ON, "--endpoint", recv.url)
    S.check(TOKEN.encode() not in r.out + r.err, "preview: the token was printed")
    recv.stop()
S.no_marker(TOKEN.encode(), [S.path("state")])

S.section("TLS verification cannot be turned off")
for flag in ("--insecure", "-k", "--no-verify", "--insecure=1"):
    r = S.vt("run", "--state", S.path("state", "tls-flag"), *ON, "--endpoint", "https://127.0.0.1:9/", flag, LOG)
    S.check(r.rc == 2 and "always verified" in r.text(), "%s: exit %d %r" % (flag, r.rc, r.text()[:200]))
pki = os.path.dirname(S.path("pki", "x"))
gen = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                      "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                      "-keyout", os.path.join(pki, "key.pem"), "-out", os.path.join(pki, "cert.pem")],
                     capture_output=True)
S.check(gen.returncode == 0, "openssl could not make a certificate: %s" % gen.stderr[:200])
garbage = S.write("pki/garbage.pem", b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
empty = S.write("pki/empty.pem", b"")
recv = Receiver("tls", ["200"], tls=[os.path.join(pki, "cert.pem"), os.path.join(pki, "key.pem")])
for name, extra in (("self-signed, no --cacert", []), ("--cacert empty", ["--cacert", empty]),
                    ("--cacert garbage", ["--cacert", garbage]),
                    ("--cacert missing", ["--cacert", S.path("pki", "missing.pem")]),
                    ("SSL_CERT_FILE=/dev/null", [])):
    st = consented_state("tls-" + name.split()[0].strip("-"), recv.url)
    env = {"SSL_CERT_FILE": "/dev/null", "CURL_CA_BUNDLE": "/dev/null"} if "SSL" in name else None
    r = S.vt("run", "--state", st, *ON, "--endpoint", recv.url, "--flush", "--timeout", "2s",
             "--deadline", "4s", "--now", "2026-11-25T12:00:00Z", *extra, LOG, env=env)
    S.check(recv.requests() == [], "%s: a request got through TLS: %s" % (name, recv.requests()))
    S.check(os.path.isfile(os.path.join(st, "reports", REPORT)), "%s: the report is not pending" % name)
    S.check(r.rc != 0 or "cannot upload" in r.text() or "could not deliver" in r.text(),
            "%s: exit %d %r" % (name, r.rc, r.text()[:200]))
# the control: trusting the certificate delivers
st = consented_state("tls-trusted", recv.url)
r = S.vt("run", "--state", st, *ON, "--endpoint", recv.url, "--flush", "--cacert",
         os.path.join(pki, "cert.pem"), "--now", "2026-11-25T12:00:00Z", LOG)
S.check(r.rc == 0 and len(recv.requests()) == 1, "trusted: exit %d, %d requests %r" %
        (r.rc, len(recv.requests()), r.text()[:200]))
recv.stop()

S.section("a flood of distinct names: memory capped, the excess counted")


def flood(path, n, key):
    with open(path, "wb") as f:
        for i in range(n):
            d = {"time": "2026-11-24T10:00:00Z", "level": "AUDIT", "msg": "audit_event",
                 "type": "mcp_tool_call", "outcome": "success", "component": "vmcp"}
            if key == "component":
                d["component"] = "vmcp-%d" % i
            elif key == "backend":
                d["metadata"] = {"extra": {"backend_name": "private-backend-%d" % i}}
            f.write(json.dumps(d).encode() + b"\n")
    return path


small, big = (2000, 20000) if SLOW else (20000, 200000)
rss = {}
for key in ("component", "backend"):
    for n in (small, big):
        p = flood(S.path("flood", "%s-%d.log" % (key, n)), n, key)
        r = S.vt("report", "--now", NOW, "--threads", "1", "--instance-by", "component",
                 "--max-instances", "1000", p)
        rep = json.loads(r.out)
        rss[key, n] = r.maxrss_kb
        q = rep["quality"]
        if key == "component":
            S.check(rep["deployment"]["instances"] == 1000 and q["lines_over_instance_cap"] == n - 1000,
                    "%d distinct components: instances %s, over cap %s" %
                    (n, rep["deployment"]["instances"], q["lines_over_instance_cap"]))
        else:
            S.check(rep["usage"]["backend_distribution"] == {"other": n},
                    "%d distinct backends: %s" % (n, str(rep["usage"]["backend_distribution"])[:100]))
        S.check(rep["usage"]["tool_calls"]["total"] == n, "flood %s %d: calls" % (key, n))
    if not SLOW:
        S.check(rss[key, big] < rss[key, small] + 8 * 1024,
                "%s flood: peak RSS %d KiB for %d names, %d KiB for %d" %
                (key, rss[key, big], big, rss[key, small], small))
# run keeps its state bounded too, and a lower cap later is no damage
st = S.path("state", "flood")
p = S.path("flood", "component-%d.log" % small)
r = S.vt("run", "--state", st, "--instance-by", "component", "--max-instances", "5000",
         "--now", "2026-11-24T12:00:00Z", p)
size_5000 = os.path.getsize(os.path.join(st, "state"))
S.check(r.rc == 0, "flood run: exit %d %r" % (r.rc, r.text()[:200]))
r = S.vt("run", "--state", st, "--instance-by", "component", "--max-instances", "100",
         "--now", "2026-11-24T13:00:00Z", p, S.path("flood", "component-%d.log" % big))
S.check(r.rc == 0, "a lower --max-instances on a bigger state: exit %d %r" % (r.rc, r.text()[:200]))
S.check(os.path.getsize(os.path.join(st, "state")) < 2 * size_5000,
        "the state grew past its cap: %d bytes (was %d)" % (os.path.getsize(os.path.join(st, "state")), size_5000))
r = S.vt("run", "--state", st, "--max-instances", "0", "--now", "2026-11-24T14:00:00Z", p)
S.check(r.rc == 2, "--max-instances 0: exit %d" % r.rc)

# a flood of files: at most --max-files are read, the rest named
many = os.path.dirname(S.path("many", "x"))
for i in range(1500):
    with open(os.path.join(many, "f%04d.log" % i), "wb") as f:
        f.write(line(24, i % 60))
r = S.vt("report", "--now", NOW, "--max-files", "1000", many)
rep = json.loads(r.out)
S.check(r.rc == 3 and "too many files" in r.text() and many in r.text(),
        "--max-files: exit %d %r" % (r.rc, r.text()[:200]))
S.check(rep["quality"]["files"] == 1000 and rep["usage"]["tool_calls"]["total"] == 1000,
        "--max-files: %d files read" % rep["quality"]["files"])
r = S.vt("run", "--state", S.path("state", "many"), "--max-files", "1000", "--flush",
         "--now", "2026-11-25T12:00:00Z", many)
S.check(r.rc == 3 and "too many files" in r.text(), "run --max-files: exit %d" % r.rc)

S.finish()
