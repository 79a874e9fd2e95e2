#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Hostile requests against the real collector.

    collector_hostile.py COLLECTOR REPORT.json.gz SCRATCHDIR

REPORT is a report a real client sent (its period must be recent). A
collector is started with a token, a small body cap and short timeouts on
a fresh database; then each hostile request must get its status (never a
5xx), store nothing, and leave the server serving (/healthz 200 after
each). Then the valid report is accepted (201, then 200), the rejections
show in /metrics by reason, and promtool accepts /metrics.

Prints one line per failure and "ok N", exits 1 on any failure.
"""
import gzip
import http.client
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vtharness import Tally  # noqa: E402

MAX_BODY = 65536


TALLY = Tally("collector_hostile")
expect = TALLY.expect


class Collector:
    def __init__(self, binary, tmp):
        self.db = os.path.join(tmp, "db.sqlite")
        port_file = os.path.join(tmp, "port")
        token = os.path.join(tmp, "token")
        self.token = "hostile-test-" + os.urandom(8).hex()
        with open(token, "w") as f:
            f.write(self.token + "\n")
        self.err = open(os.path.join(tmp, "collector.err"), "wb")
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--db", self.db,
             "--port-file", port_file, "--token-file", token,
             "--max-body", str(MAX_BODY), "--timeout", "2",
             "--request-timeout", "3", "--max-inflight", "1",
             "--min-installations", "1"],
            stderr=self.err)
        for _ in range(200):
            if os.path.exists(port_file) and os.path.getsize(port_file):
                break
            time.sleep(0.05)
        with open(port_file) as f:
            self.port = int(f.read())

    def request(self, method, path, body=None, headers=None, timeout=10,
                chunked=False):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {},
                      encode_chunked=chunked)
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def stored(self):
        with sqlite3.connect(self.db) as db:
            return db.execute("SELECT count(*) FROM reports").fetchone()[0]

    def stop(self):
        self.proc.terminate()
        rc = self.proc.wait(timeout=30)
        self.err.close()
        with open(self.err.name, "rb") as f:
            err = f.read()
        # Under ASan a leak or an error would show here.
        expect(rc == 0, f"the collector exits {rc} on SIGTERM: {err[-300:]!r}")


def headers(c, token=True, ctype="application/json", enc="gzip", key=None):
    h = {"Content-Type": ctype}
    if enc:
        h["Content-Encoding"] = enc
    if token is True:
        h["Authorization"] = "Bearer " + c.token
    elif token:
        h["Authorization"] = "Bearer " + token
    if key:
        h["Idempotency-Key"] = key
    return h


def post_case(c, name, body, status, reason=None, secret=None, chunked=False, **kw):
    """status None: the connection must be closed without an answer."""
    before = c.stored()
    h = headers(c, **kw)
    if chunked:
        h["Transfer-Encoding"] = "chunked"
    try:
        st, hd, out = c.request("POST", "/v1/reports", body, h, chunked=chunked)
    except (OSError, http.client.HTTPException) as e:
        expect(status is None, f"{name}: no answer ({e})")
        st = None
    if st is None or status is None:
        expect(st is None, f"{name}: answered {st}, want the connection closed")
        expect(c.stored() == before, f"{name}: something was stored")
        expect(c.request("GET", "/healthz")[0] == 200,
               f"{name}: /healthz is not 200 afterwards")
        return
    expect(st == status, f"{name}: status {st}, want {status}: {out[:200]!r}")
    expect(st < 500, f"{name}: a 5xx for bad input")
    if reason:
        try:
            doc = json.loads(out)
        except ValueError:
            doc = {}
        expect(doc.get("error") == reason,
               f"{name}: reason {doc.get('error')!r}, want {reason!r}")
    if secret:
        expect(secret.encode() not in out, f"{name}: the answer echoes the value")
    expect(c.stored() == before, f"{name}: something was stored")
    expect(c.request("GET", "/healthz")[0] == 200,
           f"{name}: /healthz is not 200 afterwards")


def edit(doc, path, value):
    d = doc
    for k in path[:-1]:
        d = d[k]
    d[path[-1]] = value
    return gzip.compress(json.dumps(doc).encode())


def slow_client(c, head, drip, seconds):
    """Sends head, then drip one byte at a time each second; returns
    (closed by the server within seconds, what it answered)."""
    s = socket.create_connection(("127.0.0.1", c.port))
    s.settimeout(1.0)
    t0 = time.monotonic()
    got = b""
    s.sendall(head)
    try:
        for ch in drip:
            if time.monotonic() - t0 > seconds:
                break
            s.sendall(bytes([ch]))
            try:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
            except socket.timeout:
                pass
    except OSError:
        pass
    closed = time.monotonic() - t0 <= seconds
    s.close()
    return closed, got


def run(binary, report, tmp):
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    raw = open(report, "rb").read()
    doc = json.loads(gzip.decompress(raw))
    rid = doc["report_id"]
    c = Collector(binary, tmp)
    try:
        cases(c, raw, doc, rid)
        slow_cases(c, raw)
        accept(c, raw, rid)
    finally:
        c.stop()


def cases(c, raw, doc, rid):
    fresh = lambda: json.loads(json.dumps(doc))  # noqa: E731
    post_case(c, "no token", raw, 401, "token", token=None)
    post_case(c, "bad token", raw, 401, "token", token="not-" + c.token)
    post_case(c, "wrong content type", raw, 415, "content_type", ctype="text/plain")
    post_case(c, "unknown encoding", raw, 415, "content_encoding", enc="br")
    post_case(c, "over the cap", os.urandom(MAX_BODY + 1), 413, "too_large")
    chunks = [os.urandom(8192) for _ in range(MAX_BODY // 8192 + 2)]
    post_case(c, "over the cap, chunked (no Content-Length)", iter(chunks), 413,
              "too_large", chunked=True)
    post_case(c, "endless chunked body: the connection is closed", iter(chunks * 8),
              None, chunked=True)
    bomb = gzip.compress(b" " * (50 * MAX_BODY))
    expect(len(bomb) < MAX_BODY, "the bomb fits under the cap before inflating")
    post_case(c, "gzip bomb", bomb, 413, "too_large")
    post_case(c, "truncated gzip", raw[: len(raw) // 2], 400, "gzip")
    post_case(c, "gzip with trailing bytes", raw + b"junk", 400, "gzip")
    post_case(c, "not gzip", b"{}", 400, "gzip")
    post_case(c, "malformed JSON", gzip.compress(b'{"schema_version": 1,'), 400, "json")
    post_case(c, "deep JSON", gzip.compress(b"[" * 5000), 400, "json")
    post_case(c, "unknown field", edit(fresh(), ["hostname"], "h"), 400, "schema",
              secret="hostname")
    post_case(c, "unknown nested field",
              edit(fresh(), ["deployment", "pod_name"], "secret-pod-7"), 400,
              "schema", secret="secret-pod-7")
    off = fresh()
    off["usage"]["backend_distribution"] = {"acme-internal-crm": 3}
    post_case(c, "backend off the allowlist", gzip.compress(json.dumps(off).encode()),
              400, "name", secret="acme-internal-crm")
    off = fresh()
    off["usage"]["clients"] = {"my-private-agent": 1}
    post_case(c, "client off the allowlist", gzip.compress(json.dumps(off).encode()),
              400, "name", secret="my-private-agent")
    post_case(c, "enum off the list",
              edit(fresh(), ["deployment", "conflict_resolution", "secretmode"], 1),
              400, "schema", secret="secretmode")
    post_case(c, "negative count", edit(fresh(), ["deployment", "processes"], -5), 400)
    post_case(c, "huge count", edit(fresh(), ["usage", "sessions"], 10 ** 30), 400)
    post_case(c, "count over the range", edit(fresh(), ["usage", "sessions"], 2 ** 60),
              400, "range")
    post_case(c, "count as a string", edit(fresh(), ["usage", "sessions"], "7"), 400)
    post_case(c, "changed count, same report_id",
              edit(fresh(), ["usage", "sessions"], doc["usage"]["sessions"] + 1),
              400, "schema")
    post_case(c, "bad sketch",
              edit(fresh(), ["deployment", "instances_sketch", "hashes"], "zz"), 400)
    post_case(c, "implausible period",
              edit(fresh(), ["period", "start"], "2001-01-01T00:00:00Z"), 400)
    post_case(c, "installation_id not hex",
              edit(fresh(), ["installation_id"], "alice@example.com"), 400,
              "schema", secret="alice@example.com")
    post_case(c, "Idempotency-Key with a space", raw, 400, "idempotency_key",
              key="a key")
    post_case(c, "Idempotency-Key over 128 characters", raw, 400,
              "idempotency_key", key="k" * 129)
    for path in ("/v1/summary?from=2026-13-01&to=2026-12-01",
                 "/v1/summary?from=2026-11-02&to=2026-11-01",
                 "/v1/summary?from=2026-11-01&to=2026-11-02&by=year",
                 "/v1/summary"):
        st = c.request("GET", path)[0]
        expect(st == 400, f"GET {path}: {st}, want 400")
    expect(c.request("GET", "/nothing")[0] == 404, "GET /nothing is not 404")
    expect(c.request("DELETE", "/v1/reports")[0] == 405, "DELETE is not 405")


def slow_cases(c, raw):
    # Slow headers (slowloris): the idle timeout (2 s) closes the socket.
    closed, _ = slow_client(c, b"POST /v1/reports HTTP/1.1\r\nHost: x\r\n",
                            b"X-Slow: " + b"a" * 60, 8)
    expect(closed, "slow headers: the connection was not closed within 8 s")
    # A slow body, one byte a second: refused after the request timeout.
    head = ("POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Encoding: gzip\r\nAuthorization: Bearer %s\r\n"
            "Content-Length: %d\r\n\r\n" % (c.token, len(raw))).encode()
    closed, got = slow_client(c, head, raw, 10)
    expect(closed, "slow body: the connection was not closed within 10 s")
    expect(got.startswith(b"HTTP/1.1 408"), f"slow body: answered {got[:40]!r}")
    # A body still arriving holds no validation slot: with the one slot
    # free, another report is stored meanwhile.
    s = socket.create_connection(("127.0.0.1", c.port))
    s.sendall(head + raw[:10])
    time.sleep(0.3)
    st, _, _ = c.request("POST", "/v1/reports", raw, headers(c))
    expect(st == 201, f"a slow body held the validation slot: {st}")
    s.close()
    with sqlite3.connect(c.db) as db:
        db.execute("DELETE FROM reports")
    # Overload: the one slot held by a report waiting for the database
    # (another connection holds its write lock); another report
    # meanwhile gets 429 with Retry-After, and the holder is stored once
    # the lock goes.
    lock = sqlite3.connect(c.db, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    holder = {}

    def hold():
        holder["st"] = c.request("POST", "/v1/reports", raw, headers(c), timeout=30)[0]
    t = threading.Thread(target=hold)
    t.start()
    time.sleep(0.5)
    st, hd, _ = c.request("POST", "/v1/reports", raw, headers(c))
    expect(st == 429, f"overloaded: status {st}, want 429")
    expect("Retry-After" in hd, "overloaded: no Retry-After")
    lock.execute("ROLLBACK")
    lock.close()
    t.join(30)
    expect(holder.get("st") == 201, f"the slot holder was not stored: {holder}")
    with sqlite3.connect(c.db) as db:
        db.execute("DELETE FROM reports")
    expect(c.request("GET", "/healthz")[0] == 200, "/healthz after the slow clients")


def accept(c, raw, rid):
    # Another client's key of its own (not the report_id) is a key too:
    # stored once, its retry answered 200.
    for want in (201, 200):
        st, _, out = c.request("POST", "/v1/reports", raw,
                               headers(c, key="retry-7f3a:" + "9" * 117))
        expect(st == want, f"a key of the client's own: {st}, want {want} {out[:200]!r}")
    expect(c.stored() == 1, "a report under a key of its own is stored once")
    with sqlite3.connect(c.db) as db:
        db.execute("DELETE FROM reports")
    st, _, out = c.request("POST", "/v1/reports", raw, headers(c, key=rid))
    expect(st == 201, f"the valid report: {st} {out[:200]!r}")
    st, _, out = c.request("POST", "/v1/reports", raw, headers(c, key=rid))
    expect(st == 200, f"the valid report again: {st} {out[:200]!r}")
    expect(c.stored() == 1, "the valid report is stored once")
    st, _, metrics = c.request("GET", "/metrics")
    expect(st == 200, "/metrics")
    text = metrics.decode()
    for reason in ("token", "too_large", "gzip", "schema", "name", "json",
                   "content_type", "overloaded", "range"):
        line = [l for l in text.splitlines()
                if l.startswith('vmcp_collector_rejections_total{reason="%s"}' % reason)]
        expect(line and int(line[0].split()[-1]) >= 1,
               f"/metrics counts no rejection for {reason}")
    if shutil.which("promtool"):
        p = subprocess.run(["promtool", "check", "metrics"], input=metrics,
                           capture_output=True)
        expect(p.returncode == 0, f"promtool check metrics: {p.stdout!r} {p.stderr!r}")
    else:
        print("collector_hostile: promtool not found; /metrics not linted")


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        run(*argv)
    except (OSError, ValueError, http.client.HTTPException) as e:
        expect(False, f"the run failed: {e!r}")
    return TALLY.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
