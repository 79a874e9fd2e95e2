#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A bounded load test of vmcp-telemetry-collector on loopback ('make bench').

    collector-load.py --bin build/vmcp-telemetry --dir build/bench/collector
                      [--reports 400] [--clients 1,4,16,64] [--seconds 60]

Makes --reports distinct reports with the real client (local mode, one
state per installation, five days each), then for each client count
starts a collector on a fresh database (--max-inflight at the client
count, so what is measured is the server, not its 429) and has that many
threads POST the reports as 'run' does, one connection per request.
Prints, per client count: uploads per second, latency p50/p99/max, and
the answers by status; every report must be answered 201 once and the
database must hold each once. Bounded: at most --reports requests and
--seconds per client count. Not a timed test: the numbers are for the
reader (docs/performance.md), only wrong answers fail it.
"""
import argparse
import datetime
import gzip
import http.client
import json
import os
import shutil
import sqlite3
import subprocess
import threading
import time

DAYS = 5


def make_reports(binary, work, n):
    """n distinct gzip'd reports (bytes, report_id), made by the client."""
    today = datetime.date.today()
    first = today - datetime.timedelta(days=DAYS + 3)
    reports = []
    inst = 0
    while len(reports) < n:
        inst += 1
        d = os.path.join(work, "i%d" % inst)
        log = d + ".log"
        with open(log, "w") as f:
            for k in range(DAYS):
                day = first + datetime.timedelta(days=k)
                for c in range(1 + (inst + k) % 7):
                    f.write(json.dumps({
                        "time": "%sT10:%02d:00Z" % (day, c), "level": "AUDIT",
                        "msg": "audit_event", "type": "mcp_tool_call",
                        "outcome": "success" if c % 3 else "failure",
                        "component": "vmcp-%d" % inst,
                        "metadata": {"extra": {"backend_name": "github",
                                               "duration_ms": 10 * c + inst}}}) + "\n")
        now = (first + datetime.timedelta(days=DAYS + 1)).isoformat() + "T12:00:00Z"
        subprocess.run([binary, "run", "--state", d, "--telemetry", "local",
                        "--flush", "--now", now, log],
                       env={"PATH": os.environ.get("PATH", ""), "HOME": work},
                       check=True, stdout=subprocess.DEVNULL)
        for name in sorted(os.listdir(os.path.join(d, "reports"))):
            if name.endswith(".json.gz"):
                body = open(os.path.join(d, "reports", name), "rb").read()
                rid = json.loads(gzip.decompress(body))["report_id"]
                reports.append((body, rid))
    return reports[:n]


def start(collector, work, clients):
    db = os.path.join(work, "db-%d.sqlite" % clients)
    port_file = os.path.join(work, "port-%d" % clients)
    for p in (db, db + "-wal", db + "-shm", port_file):
        if os.path.exists(p):
            os.remove(p)
    proc = subprocess.Popen([collector, "--listen", "127.0.0.1:0", "--db", db,
                             "--port-file", port_file, "--min-installations", "1",
                             "--max-inflight", str(clients),
                             "--max-connections", str(4 * clients + 16)],
                            stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(port_file) and os.path.getsize(port_file):
            break
        time.sleep(0.05)
    return proc, db, int(open(port_file).read())


def load(port, reports, clients, seconds):
    lat, status = [], {}
    lock = threading.Lock()
    nxt = [0]
    deadline = time.monotonic() + seconds

    def worker():
        while time.monotonic() < deadline:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= len(reports):
                return
            body, rid = reports[i]
            t0 = time.perf_counter()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                c.request("POST", "/v1/reports", body=body, headers={
                    "Content-Type": "application/json", "Content-Encoding": "gzip",
                    "Idempotency-Key": rid})
                r = c.getresponse()
                r.read()
                st = r.status
            except OSError:
                st = 0
            finally:
                c.close()
            dt = time.perf_counter() - t0
            with lock:
                lat.append(dt)
                status[st] = status.get(st, 0) + 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, sorted(lat), status


def pct(sorted_values, p):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(p / 100.0 * len(sorted_values)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="build/vmcp-telemetry (the collector is beside it)")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--reports", type=int, default=400)
    ap.add_argument("--clients", default="1,4,16,64")
    ap.add_argument("--seconds", type=float, default=60)
    a = ap.parse_args()
    collector = os.path.join(os.path.dirname(os.path.abspath(a.bin)), "vmcp-telemetry-collector")
    shutil.rmtree(a.dir, ignore_errors=True)
    os.makedirs(a.dir)
    t0 = time.perf_counter()
    reports = make_reports(os.path.abspath(a.bin), a.dir, a.reports)
    print("collector load: %d distinct reports (%.0f bytes gzip'd on average) made in %.1f s, %d CPUs"
          % (len(reports), sum(len(b) for b, _ in reports) / len(reports),
             time.perf_counter() - t0, os.cpu_count() or 0))
    print("%8s %10s %9s %9s %9s  %s" % ("clients", "uploads/s", "p50 ms", "p99 ms", "max ms", "answers"))
    failed = 0
    for n in [int(x) for x in a.clients.split(",")]:
        proc, db, port = start(collector, a.dir, n)
        try:
            wall, lat, status = load(port, reports, n, a.seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        with sqlite3.connect(db) as c:
            stored = c.execute("SELECT count(*) FROM reports").fetchone()[0]
            distinct = c.execute("SELECT count(DISTINCT idempotency_key) FROM reports").fetchone()[0]
        print("%8d %10.1f %9.1f %9.1f %9.1f  %s, %d stored" % (
            n, len(lat) / wall, 1000 * pct(lat, 50), 1000 * pct(lat, 99),
            1000 * (lat[-1] if lat else 0), json.dumps(status, sort_keys=True), stored))
        if set(status) - {201} or stored != len(lat) or distinct != stored:
            print("collector load: FAIL at %d clients: answers other than 201, or rows not one per report" % n)
            failed = 1
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
