#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Attacks on the collector's Contract, each kept as a test.

    collector_privacy.py COLLECTOR CLIENT SCRATCHDIR

Reports are made from the project's own fixture (fixtures/expected/
events.json) with the counts each case needs, and written back by the
real client (`CLIENT merge --format json`), so each carries the
report_id its content hashes to; the installation_id (which the id does
not cover) is set afterwards. Each case starts its own collector on a
fresh database. Cases: withheld cells not recoverable from the
report_id, from the totals, or by differencing ranges; two installations
with the same content both stored (and a database from before that
rule rebuilt); /healthz 503 when the database takes
no report; request bodies (every route) cut at the request timeout with
a 408; a slow body holds no validation slot; summaries capped so
/healthz answers; content checked against its period and its own sums;
the token file trimmed as the client trims it; absolute-form targets;
repeated query parameters.

Prints one line per failure and "ok N", exits 1 on any failure.
"""
import copy
import datetime
import gzip
import http.client
import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vtharness import Tally  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TALLY = Tally("collector_privacy")
expect = TALLY.expect


def day(offset):
    return datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=offset)


class Maker:
    """Valid reports: the fixture, changed, written back by the client."""

    def __init__(self, client, tmp):
        self.client, self.tmp, self.n = client, tmp, 0
        with open(os.path.join(ROOT, "fixtures", "expected", "events.json")) as f:
            self.base = json.load(f)

    def canon(self, doc):
        self.n += 1
        src = os.path.join(self.tmp, "in%d.json" % self.n)
        with open(src, "w") as f:
            json.dump(doc, f)
        p = subprocess.run([self.client, "merge", "--format", "json", src],
                           capture_output=True, check=True)
        return json.loads(p.stdout)

    def report(self, day_off=2, mutate=None, inst=None):
        doc = copy.deepcopy(self.base)
        d = day(day_off)
        doc["period"] = {"start": d.isoformat() + "T00:00:00Z",
                         "end": (d + datetime.timedelta(days=1)).isoformat() + "T00:00:00Z",
                         "granularity": "day"}
        doc["usage"]["tool_calls_by_hour"] = {
            d.isoformat() + "T10:00:00Z": doc["usage"]["tool_calls"]["total"]}
        if mutate:
            mutate(doc)
        out = self.canon(doc)
        out["installation_id"] = inst or os.urandom(16).hex()
        return out


class Collector:
    def __init__(self, binary, tmp, *extra, preexec=None):
        os.makedirs(tmp, exist_ok=True)
        self.db = os.path.join(tmp, "db.sqlite")
        port_file = os.path.join(tmp, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.err = open(os.path.join(tmp, "collector.err"), "ab")
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--db", self.db,
             "--port-file", port_file] + list(extra),
            stderr=self.err, preexec_fn=preexec)
        for _ in range(400):
            if os.path.exists(port_file) and os.path.getsize(port_file):
                break
            if self.proc.poll() is not None:
                raise OSError("the collector did not start")
            time.sleep(0.05)
        with open(port_file) as f:
            self.port = int(f.read())

    def req(self, method, path, body=None, headers=None, timeout=30):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def post(self, doc, headers=None):
        h = {"Content-Type": "application/json", "Content-Encoding": "gzip",
             "Idempotency-Key": doc["report_id"]}
        h.update(headers or {})
        return self.req("POST", "/v1/reports", gzip.compress(json.dumps(doc).encode()), h)[0]

    def rows(self):
        with sqlite3.connect(self.db) as db:
            return db.execute("SELECT count(*) FROM reports").fetchone()[0]

    def summary(self, f, t, by=None):
        q = "/v1/summary?from=%s&to=%s" % (f, t) + ("&by=" + by if by else "")
        st, _, body = self.req("GET", q)
        return json.loads(body) if st == 200 else {"status": st}

    def stop(self):
        """Ends it with SIGTERM: it must exit 0 (under ASan, a leak or an
        error found on the way would make that fail)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        expect(self.proc.returncode == 0,
               f"the collector exited {self.proc.returncode} (see {self.err.name})")
        self.err.close()


def outcomes(denied, succ=4, notion=1):
    def m(doc):
        bo = doc["usage"]["tool_calls"]["by_outcome"]
        bo.update(success=succ, failure=1, error=1, denied=denied,
                  application_error=1, unknown=1)
        doc["usage"]["tool_calls"]["total"] = sum(bo.values())
        doc["usage"]["requests_by_type"]["mcp_tool_call"] = sum(bo.values())
        doc["usage"]["backend_distribution"]["notion"] = notion
        doc["usage"]["tool_calls_by_hour"] = {
            doc["period"]["start"][:11] + "10:00:00Z": sum(bo.values())}
    return m


REPORT_KEYS_NOT = ("reports", "installation_periods", "installations", "withheld",
                   "from", "to", "by", "min_installations")


def case_withheld(coll, mk, tmp):
    """The report_id, the totals and overlapping ranges give nothing back."""
    c = Collector(coll, tmp)  # K = 3
    try:
        secret, secret_b = 4242, 777
        for i, den in enumerate([0, 0, secret]):
            expect(c.post(mk.report(3, outcomes(den, succ=4 + i))) == 201, "withheld: a report refused")
        d1, d2 = day(3).isoformat(), day(2).isoformat()
        s = c.summary(d1, d1)
        tc = s["usage"]["tool_calls"]
        expect("usage.tool_calls.by_outcome.denied" in s["withheld"],
               f"withheld: the thin cell is not withheld: {s['withheld']}")
        expect(len([w for w in s["withheld"] if w.startswith("usage.tool_calls.by_outcome.")]) >= 2,
               f"withheld: one cell of a breakdown withheld alone: {s['withheld']}")
        expect(tc["total"] - sum(tc["by_outcome"].values()) != secret,
               "withheld: total less the visible cells gives the cell back")
        # The report_id is the client's id of what is published ...
        rep = {k: v for k, v in s.items() if k not in REPORT_KEYS_NOT}
        expect(mk.canon(rep)["report_id"] == s["report_id"],
               "withheld: report_id is not the id of the published content")
        # ... so the true value does not reproduce it.
        rep["usage"]["tool_calls"]["by_outcome"]["denied"] = secret
        expect(mk.canon(rep)["report_id"] != s["report_id"],
               "withheld: report_id covers the withheld value")
        # Differencing: a day withheld whole adds nothing to a range.
        expect(c.post(mk.report(2, outcomes(0, notion=secret_b))) == 201, "withheld: day 2 refused")
        byday = c.summary(d2, d2, "day")
        expect(byday["buckets"][0]["withheld"] == ["report"],
               f"withheld: the one-installation day is not withheld whole: {byday['buckets'][0]['withheld']}")
        s12, s11 = c.summary(d1, d2), c.summary(d1, d1)
        diff = (s12["usage"]["backend_distribution"].get("notion", 0)
                - s11["usage"]["backend_distribution"].get("notion", 0))
        expect(diff == 0, f"withheld: summary(d1..d2) - summary(d1) gives back {diff}")
        expect(("report " + d2) in s12["withheld"], f"withheld: the range does not say day 2 is withheld: {s12['withheld']}")
        wk = c.summary(d1, d2, "week")
        for b in wk["buckets"]:
            if "usage" in b:
                expect(b["usage"]["backend_distribution"].get("notion", 0) < secret_b,
                       "withheld: a week bucket shows the withheld day's count")
    finally:
        c.stop()


def case_two_installations(coll, mk, tmp):
    c = Collector(coll, tmp, "--min-installations", "1")
    try:
        a, b = mk.report(2, inst="a" * 32), mk.report(2, inst="b" * 32)
        expect(a["report_id"] == b["report_id"], "same content: the ids differ (the case is moot)")
        expect(c.post(a) == 201 and c.post(b) == 201, "same content: not both stored 201")
        expect(c.post(b) == 200, "same content: the second again is not 200")
        expect(c.rows() == 2, f"same content, two installations: {c.rows()} stored")
    finally:
        c.stop()


OLD_SCHEMA = (
    "CREATE TABLE reports (id INTEGER PRIMARY KEY,"
    " idempotency_key TEXT NOT NULL UNIQUE, installation_id TEXT NOT NULL,"
    " period_start INTEGER NOT NULL, period_end INTEGER NOT NULL,"
    " granularity TEXT NOT NULL, day INTEGER NOT NULL, received INTEGER NOT NULL,"
    " body TEXT, UNIQUE (installation_id, period_start, granularity));")


def put_rows(path, docs):
    """Stores (key, installation, document) rows as the collector would."""
    rows = []
    for key, inst, doc in docs:
        st = int(datetime.datetime.fromisoformat(doc["period"]["start"].replace("Z", "+00:00")).timestamp())
        rows.append((key, inst, st, st + 86400, "day", st // 86400, st, json.dumps(doc)))
    with sqlite3.connect(path) as db:
        db.executemany("INSERT INTO reports (idempotency_key, installation_id, period_start,"
                       " period_end, granularity, day, received, body) VALUES (?,?,?,?,?,?,?,?)", rows)


def case_migration(coll, mk, tmp):
    """A database made when the key alone was unique is rebuilt."""
    os.makedirs(tmp)
    a, b = mk.report(2, inst="c" * 32), mk.report(2, inst="d" * 32)
    with sqlite3.connect(os.path.join(tmp, "db.sqlite")) as db:
        db.execute(OLD_SCHEMA)
    put_rows(os.path.join(tmp, "db.sqlite"), [(a["report_id"], a["installation_id"], a)])
    c = Collector(coll, tmp, "--min-installations", "1")
    try:
        expect(c.post(a) == 200, "migration: the old row is not held")
        expect(c.post(b) == 201, "migration: the same key from another installation is not stored")
        expect(c.rows() == 2, f"migration: {c.rows()} rows")
    finally:
        c.stop()


def case_healthz(coll, mk, tmp):
    c = Collector(coll, os.path.join(tmp, "lock"), "--min-installations", "1")
    try:
        expect(c.req("GET", "/healthz")[0] == 200, "healthz: not 200 on a fresh database")
        lk = sqlite3.connect(c.db, timeout=1, isolation_level=None)
        lk.execute("BEGIN IMMEDIATE")
        time.sleep(1.1)  # past the second a probe's answer is kept
        t0 = time.time()
        st = c.req("GET", "/healthz")[0]
        expect(st == 503 and time.time() - t0 < 3, f"healthz: {st} while another process holds the write lock")
        lk.execute("ROLLBACK")
        lk.close()
        time.sleep(1.1)
        expect(c.req("GET", "/healthz")[0] == 200, "healthz: not 200 once the lock is gone")
    finally:
        c.stop()
    full = os.path.join(tmp, "full")
    Collector(coll, full, "--min-installations", "1").stop()
    size = os.path.getsize(os.path.join(full, "db.sqlite")) + 65536

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    c = Collector(coll, full, "--min-installations", "1", preexec=limit)
    try:
        codes = [c.post(mk.report(2, lambda d, i=i: d["usage"].__setitem__("sessions", 100 + i)))
                 for i in range(30)]
        expect(503 in codes, f"healthz: the file limit never refused a report: {codes}")
        expect(c.req("GET", "/healthz")[0] == 503, "healthz: 200 while the disk refuses reports")
    finally:
        c.stop()
    # Its own directory, traversable by all: the scratch directory's
    # parents may not be, and as root the collector runs as nobody here.
    ro_parent = tempfile.mkdtemp(prefix="vt-collector-ro.")
    os.chmod(ro_parent, 0o755)
    ro = os.path.join(ro_parent, "ro")
    Collector(coll, ro, "--min-installations", "1").stop()
    os.chmod(ro, 0o777)
    for f in os.listdir(ro):
        os.chmod(os.path.join(ro, f), 0o444 if f.startswith("db") else 0o666)

    def nobody():
        if os.getuid() == 0:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
    # ...and a copy of the binary there: the checkout may be where nobody
    # cannot enter (a 0700 home)
    own = os.path.join(ro_parent, os.path.basename(coll))
    shutil.copy2(coll, own)
    os.chmod(own, 0o755)
    probe = subprocess.run([own, "--help"], preexec_fn=nobody, cwd=ro_parent,
                           capture_output=True)
    if probe.returncode != 0:
        print(f"collector_privacy: the read-only database case is skipped: user 65534 cannot run {own}")
        shutil.rmtree(ro_parent, ignore_errors=True)
        return
    c = Collector(own, ro, "--min-installations", "1", preexec=nobody)
    try:
        st = c.post(mk.report(2))
        hz = c.req("GET", "/healthz")[0]
        expect(st >= 500 and hz == 503, f"healthz: read-only database: POST {st}, /healthz {hz}")
    finally:
        c.stop()
        shutil.rmtree(ro_parent, ignore_errors=True)


def drip(c, head, seconds, step=1.0):
    """Sends head, then a byte each step; the seconds the server kept it
    open (None: still open) and what it answered."""
    s = socket.create_connection(("127.0.0.1", c.port))
    s.settimeout(step)
    s.sendall(head)
    got, t0 = b"", time.time()
    try:
        while time.time() - t0 < seconds:
            try:
                s.sendall(b"a")
                x = s.recv(4096)
                if not x:
                    return time.time() - t0, got
                got += x
            except socket.timeout:
                pass
            except OSError:
                return time.time() - t0, got
        return None, got
    finally:
        s.close()


def case_timeouts(coll, mk, tmp):
    c = Collector(coll, tmp, "--min-installations", "1", "--request-timeout", "3",
                  "--timeout", "2", "--max-connections", "8")
    try:
        for path in ("/healthz", "/v1/summary?from=2026-01-01&to=2026-01-02", "/metrics", "/"):
            took, got = drip(c, ("GET %s HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
                                 % path).encode(), 12)
            expect(took is not None and took < 8, f"timeouts: a GET {path} body dripped past the request timeout: {took}")
            expect(got.startswith(b"HTTP/1.1 408"), f"timeouts: GET {path} slow body answered {got[:30]!r}")
        took, got = drip(c, b"POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Encoding: gzip\r\nContent-Length: 5000\r\n\r\n", 12)
        expect(got.startswith(b"HTTP/1.1 408"), f"timeouts: slow report body answered {got[:30]!r}")
        m = c.req("GET", "/metrics")[2].decode()
        expect('vmcp_collector_rejections_total{reason="timeout"} 0' not in m, "timeouts: not counted")
    finally:
        c.stop()
    # Slow bodies hold no validation slot (the default --max-inflight 8).
    c = Collector(coll, tmp + "-inflight", "--min-installations", "1")
    socks = []
    try:
        for _ in range(8):
            s = socket.create_connection(("127.0.0.1", c.port))
            s.sendall(b"POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Encoding: gzip\r\nContent-Length: 60000\r\n\r\n\x1f")
            socks.append(s)
        time.sleep(0.5)
        st = c.post(mk.report(2))
        expect(st == 201, f"timeouts: eight slow bodies locked a report out: {st}")
    finally:
        for s in socks:
            s.close()
        c.stop()


def case_summary_cap(coll, mk, tmp):
    c = Collector(coll, tmp, "--min-installations", "1", "--threads", "2")
    c.stop()
    docs = [mk.report(d) for d in range(2, 42)]
    put_rows(c.db, [("%032x" % i, "%032x" % i, docs[i % len(docs)]) for i in range(3000)])
    c = Collector(coll, tmp, "--min-installations", "1", "--threads", "2")
    codes = []
    f, t = day(45).isoformat(), day(0).isoformat()

    def hog():
        try:
            st, hd, _ = c.req("GET", f"/v1/summary?from={f}&to={t}&by=day", timeout=300)
            codes.append((st, "Retry-After" in hd))
        except OSError as e:
            codes.append((repr(e), False))
    ts = [threading.Thread(target=hog) for _ in range(6)]
    try:
        for x in ts:
            x.start()
        time.sleep(0.3)
        lat = []
        for _ in range(5):
            t0 = time.time()
            st = c.req("GET", "/healthz", timeout=60)[0]
            lat.append(round(time.time() - t0, 2))
            time.sleep(0.2)
        for x in ts:
            x.join(300)
        expect(max(lat) < 1.0, f"summary cap: /healthz took {lat} during six summaries")
        expect((429, True) in codes, f"summary cap: no 429 with Retry-After among {codes}")
        expect((200, False) in codes, f"summary cap: no summary served among {codes}")
    finally:
        c.stop()


def case_content(coll, mk, tmp):
    c = Collector(coll, tmp, "--min-installations", "1")
    try:
        st = c.post(mk.report(2, lambda d: d["usage"].__setitem__(
            "tool_calls_by_hour", {"1999-01-01T00:00:00Z": 5, "2099-06-01T13:00:00Z": 4})))
        expect(st == 400, f"content: hours outside the period: {st}")

        def big(d):
            d["usage"]["tool_calls_by_hour"] = {}
            d["usage"]["tool_calls"]["total"] = 10 ** 15
        expect(c.post(mk.report(3, big)) == 400, "content: total not the sum of by_outcome")
        expect(c.post(mk.report(4)) == 201, "content: the fixture itself refused")
    finally:
        c.stop()


def case_protocol(coll, mk, tmp):
    tok = "tok-" + os.urandom(6).hex()
    os.makedirs(tmp, exist_ok=True)
    with open(os.path.join(tmp, "tokens"), "w") as f:
        f.write(" \t" + tok + " \t\r\n")
    c = Collector(coll, tmp, "--min-installations", "1", "--token-file",
                  os.path.join(tmp, "tokens"))
    try:
        st = c.post(mk.report(2), {"Authorization": "Bearer " + tok})
        expect(st == 201, f"protocol: the client's trimmed token refused: {st}")
        doc = mk.report(3)
        gz = gzip.compress(json.dumps(doc).encode())
        s = socket.create_connection(("127.0.0.1", c.port))
        s.settimeout(10)
        s.sendall(("POST http://127.0.0.1:%d/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                   "Content-Encoding: gzip\r\nIdempotency-Key: %s\r\nContent-Length: %d\r\n"
                   "Connection: close\r\n\r\n" % (c.port, tok, doc["report_id"], len(gz))).encode() + gz)
        got = s.recv(4096)
        s.close()
        expect(got.startswith(b"HTTP/1.1 201"), f"protocol: absolute-form target: {got[:30]!r}")
        st = c.req("GET", "/v1/summary?from=2026-01-01&from=2026-01-02&to=2026-01-03")[0]
        expect(st == 400, f"protocol: from= twice: {st}")
        st = c.req("GET", "http://127.0.0.1/healthz")[0]
        expect(st == 200, f"protocol: absolute-form GET /healthz: {st}")
    finally:
        c.stop()


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    coll, client, tmp = argv[1:]
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    mk = Maker(client, tmp)
    for name, fn in (("withheld", case_withheld), ("two", case_two_installations),
                     ("migration", case_migration),
                     ("healthz", case_healthz), ("timeouts", case_timeouts),
                     ("cap", case_summary_cap), ("content", case_content),
                     ("protocol", case_protocol)):
        try:
            fn(coll, mk, os.path.join(tmp, name))
        except (OSError, ValueError, KeyError, subprocess.CalledProcessError,
                http.client.HTTPException) as e:
            expect(False, f"{name}: the case failed: {e!r}")
    return TALLY.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
