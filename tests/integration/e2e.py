#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End to end, across the client's periods and the collector's checks.

    python3 tests/integration/e2e.py build/vmcp-telemetry

The real client ('run --telemetry on', env -i: no CI variable) uploads to
the real collector on loopback. Cases that crossed issues and once broke:

- late call: with '--period hour', a tool call read after its hour was
  reported is a late event of the next period. Its hour used to stay in
  that report's usage.tool_calls_by_hour, outside the report's period: the
  collector refused the report (400, reason range), it stayed pending
  and every later run exited 4. Now the report is stored, its hours lie
  in its period, and the summary counts every call.
- healed: a pending report written that way by an earlier version is
  rewritten before it is sent (the hours outside its period dropped) and
  stored, not refused.
- first layout: a report pending across an upgrade from a release that
  wrote exact byte counts (quality.bytes_read and bytes_lost as numbers,
  before they were bucketed) was "not a report this version writes" and
  stayed pending for ever (and merge refused it): now it reads, as
  `files` inputs of the average size, and is rewritten, sent and stored.

- week flush: 'run --period week --flush' mid-week sends the current
  week; the collector refused it as not over (exit 4 until the week
  ended). It takes a period that began by its clock, over or not.

- future: a line dated 9999 or two years ahead made a period that was
  pending for ever (unreadable, or refused): a time more than a day past
  the run's clock is now no usable time (quality.bad_timestamps).

- off while locked: '--telemetry off' while a run holds the lock exited
  1 and claimed the counts were dropped; now 0, said truly.

Prints one line per failure, or "ok N"; exits 1 on any failure.
"""
import datetime
import fcntl
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vtharness import Tally  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
COLL = os.path.join(os.path.dirname(BIN), "vmcp-telemetry-collector")
WRAP = os.environ.get("VT_WRAPPER", "").split()
TALLY = Tally("e2e.py")
check = TALLY.expect


class Collector:
    def __init__(self, tmp):
        self.tmp = tmp
        self.db = os.path.join(tmp, "db.sqlite")
        pf = os.path.join(tmp, "port")
        self.err = open(os.path.join(tmp, "collector.err"), "w")
        self.p = subprocess.Popen(WRAP + [COLL, "--listen", "127.0.0.1:0", "--db", self.db,
                                          "--port-file", pf, "--min-installations", "1"],
                                  stderr=self.err)
        for _ in range(200):
            if os.path.exists(pf) and open(pf).read().strip():
                break
            time.sleep(0.05)
        self.base = "http://127.0.0.1:%s" % open(pf).read().strip()
        self.url = self.base + "/v1/reports"

    def rows(self):
        out = subprocess.run(["sqlite3", self.db, "SELECT count(*) FROM reports"],
                             capture_output=True, text=True).stdout.strip()
        return int(out or 0)

    def summary(self, f, t):
        with urllib.request.urlopen("%s/v1/summary?from=%s&to=%s" % (self.base, f, t)) as r:
            return json.load(r)

    def stop(self):
        self.p.terminate()
        rc = self.p.wait()
        self.err.close()
        check(rc == 0, "the collector exits 0 on SIGTERM (%d: %s)"
              % (rc, open(self.err.name).read()[-400:]))


def call(t):
    return json.dumps({"time": t, "level": "AUDIT", "msg": "audit_event", "type": "mcp_tool_call",
                       "outcome": "success", "component": "vmcp-server",
                       "target": {"method": "tools/call", "name": "x", "type": "tool"},
                       "metadata": {"extra": {"backend_name": "github", "duration_ms": 12}}},
                      separators=(",", ":")) + "\n"


class Client:
    def __init__(self, tmp, url, mode="on"):
        self.tmp, self.url, self.mode = tmp, url, mode
        self.state = os.path.join(tmp, "state")
        self.log = os.path.join(tmp, "vmcp.log")
        open(self.log, "w").close()

    def write(self, *times):
        with open(self.log, "a") as f:
            for t in times:
                f.write(call(t))

    def run(self, now, mode=None, deadline="20s", period="hour", extra=()):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.tmp, "LC_ALL": "C"}
        when = ["--now", now] if now else []
        p = subprocess.run(WRAP + [BIN, "run", "--state", self.state, "--period", period,
                                   "--telemetry", mode or self.mode, "--endpoint", self.url,
                                   "--timeout", "2s", "--deadline", deadline] + when + list(extra)
                           + [self.log],
                           env=env, capture_output=True, text=True, errors="replace")
        return p.returncode, p.stderr

    def reports(self, sub):
        d = os.path.join(self.state, "reports", sub)
        if not os.path.isdir(d):
            return {}
        return {f: json.load(gzip.open(os.path.join(d, f)))
                for f in sorted(os.listdir(d)) if f.endswith(".json.gz")}


def hours_in_period(r):
    p = r["period"]
    return all(p["start"] <= h < p["end"] for h in r["usage"]["tool_calls_by_hour"])


def case_late_call(tmp, day):
    coll = Collector(tmp)
    try:
        c = Client(tmp, coll.url)
        rc, err = c.run(day + "T10:00:00Z")
        check(rc == 0, "late call: the consent run exits 0 (%d: %s)" % (rc, err))
        c.write(day + "T10:50:00Z")
        rc, err = c.run(day + "T11:20:00Z")  # closes 10:00-11:00 and sends it
        check(rc == 0, "late call: the first run exits 0 (%d: %s)" % (rc, err))
        c.write(day + "T10:59:00Z", day + "T11:25:00Z")  # 10:59 is late
        rc, err = c.run(day + "T12:20:00Z")
        check(rc == 0, "late call: the run that sends the late call's period exits 0, "
                       "nothing refused (%d: %s)" % (rc, err.strip()))
        sent = c.reports("sent")
        check(len(sent) == 2 and not c.reports(""),
              "late call: both hours sent, nothing pending (%s)" % sorted(sent))
        check(all(hours_in_period(r) for r in sent.values()),
              "late call: every hour of usage.tool_calls_by_hour lies in its report's period: %s"
              % [(r["period"]["start"], r["usage"]["tool_calls_by_hour"]) for r in sent.values()])
        check(sum(r["quality"]["late_events"] for r in sent.values()) == 1,
              "late call: counted as one late event")
        check(coll.rows() == 2, "late call: the collector holds both reports (%d)" % coll.rows())
        s = coll.summary(day, day)
        check(s.get("usage", {}).get("tool_calls", {}).get("total") == 3,
              "late call: the summary counts the three calls (%s)"
              % s.get("usage", {}).get("tool_calls"))
    finally:
        coll.stop()


def pending_then_sent(tmp, day, name, mutate):
    """A pending report (consent, then a run whose upload finds no
    collector: port 9), changed by mutate as an earlier version wrote it,
    then a run with the collector up. Returns what was sent."""
    c = Client(tmp, "http://127.0.0.1:9/v1/reports")
    c.run(day + "T09:00:00Z")
    c.write(day + "T10:05:00Z", day + "T10:06:00Z")
    rc, err = c.run(day + "T11:20:00Z", deadline="1s")
    pending = c.reports("")
    check(rc == 0 and len(pending) == 1, "%s: one report pending (%d: %s)" % (name, rc, err))
    if len(pending) != 1:
        return {}
    fname, r = next(iter(pending.items()))
    mutate(r)
    with gzip.open(os.path.join(c.state, "reports", fname), "wt") as f:
        json.dump(r, f, indent=2)
    coll = Collector(tmp)
    try:
        c.url = coll.url
        rc, err = c.run(day + "T11:30:00Z")
        check(rc == 0, "%s: the report is sent, not refused (%d: %s)" % (name, rc, err.strip()))
        check("rewritten before sending" in err,
              "%s: the rewrite is said on stderr (%s)" % (name, err.strip()))
        check(coll.rows() == 1, "%s: the collector stored it (%d)" % (name, coll.rows()))
        return c.reports("sent")
    finally:
        coll.stop()


def late_hour(r):
    # one call moved to the hour before the report's period (a late
    # call's own hour, as reports were written before the fix)
    (h, n), = r["usage"]["tool_calls_by_hour"].items()
    before = (datetime.datetime.strptime(h, "%Y-%m-%dT%H:%M:%SZ")
              - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    r["usage"]["tool_calls_by_hour"] = {before: 1, h: n - 1}


def case_healed(tmp, day):
    sent = pending_then_sent(tmp, day, "healed", late_hour)
    check(len(sent) == 1 and all(hours_in_period(x) for x in sent.values()),
          "healed: what was sent has its hours in its period (%s)"
          % [x["usage"]["tool_calls_by_hour"] for x in sent.values()])


EXACT = 987654


def first_layout(r):
    # schema 1's first layout (before issue 14): exact byte counts
    r["quality"]["bytes_read"] = EXACT
    r["quality"]["bytes_lost"] = 0


def case_first_layout(tmp, day):
    """A report pending across an upgrade from a release that wrote exact
    byte counts used to be 'not a report this version writes', pending
    for ever; merge refused such reports too."""
    sent = pending_then_sent(tmp, day, "first layout", first_layout)
    q = [x["quality"] for x in sent.values()]
    check(len(q) == 1 and isinstance(q[0]["bytes_read"], dict)
          and sum(q[0]["bytes_read"].values()) == q[0]["files"] and q[0]["bytes_lost"] == {},
          "first layout: sent with bucketed byte counts (%s)" % q)
    if len(q) != 1:
        return
    old = os.path.join(tmp, "old.json")
    with open(old, "w") as f:
        json.dump(dict(next(iter(sent.values())), installation_id=None,
                       quality=dict(q[0], bytes_read=EXACT, bytes_lost=0)), f)
    p = subprocess.run(WRAP + [BIN, "merge", old], capture_output=True, text=True)
    check(p.returncode == 0 and str(EXACT) not in p.stdout,
          "first layout: merge reads it, and the exact count is not written (%d: %s)"
          % (p.returncode, p.stderr.strip()))


def case_week_flush(tmp, day):
    """'run --period week --flush' in the middle of a week (a host taken
    out of service): the collector refused the current week (it was not
    over), so the report stayed pending and every run exited 4 until the
    week ended. The real clock: the collector checks against its own."""
    coll = Collector(tmp)
    try:
        c = Client(tmp, coll.url)
        now = datetime.datetime.now(datetime.timezone.utc)
        monday = (now - datetime.timedelta(days=now.weekday())).strftime("%Y-%m-%d")
        rc, err = c.run(monday + "T00:00:00Z", period="week")
        check(rc == 0, "week flush: the consent run exits 0 (%d: %s)" % (rc, err))
        c.write(now.strftime("%Y-%m-%dT%H:%M:%SZ"))
        rc, err = c.run(None, period="week", extra=["--flush"])
        check(rc == 0, "week flush: the current week is sent, not refused (%d: %s)"
              % (rc, err.strip()))
        check(coll.rows() == 1, "week flush: the collector stored it (%d)" % coll.rows())
    finally:
        coll.stop()


def case_future(tmp, day):
    """Lines dated far ahead (a broken clock, a hostile line): one in 9999
    made a period whose report the client itself could not read (pending
    for ever, 'period.end is not a time'); one two years ahead made a
    period the collector refuses once --flush sends it (exit 4 on every
    run). Now a time more than a week past the run's clock is no usable
    time: counted in bad_timestamps, the line in the newest period."""
    coll = Collector(tmp)
    try:
        c = Client(tmp, coll.url)
        c.run(day + "T00:00:00Z")
        ahead = str(int(day[:4]) + 2) + day[4:]
        c.write(day + "T10:00:00Z", "9999-12-31T23:00:00Z", ahead + "T10:00:00Z")
        rc, err = c.run(day + "T12:00:00Z", extra=["--flush"])
        check(rc == 0, "future: the flush exits 0 (%d: %s)" % (rc, err.strip()))
        sent, pending = c.reports("sent"), c.reports("")
        check(len(sent) == 1 and not pending,
              "future: one report sent, none pending (%s, %s)" % (sorted(sent), sorted(pending)))
        q = [(r["usage"]["tool_calls"]["total"], r["quality"]["bad_timestamps"])
             for r in sent.values()]
        check(q == [(3, 2)], "future: the three calls counted, two bad timestamps (%s)" % q)
        check(coll.rows() == 1, "future: the collector stored it (%d)" % coll.rows())
    finally:
        coll.stop()


def case_off_locked(tmp, day):
    """Telemetry turned off while a run holds the lock (a long upload):
    the off run exited 1 and said both that the state was not cleared and
    that counts and checkpoints were dropped. Now it exits 0, as a run
    that finds the lock held does, says the state is cleared by the next
    run, deletes the secret, and the next run counts nothing written
    before it."""
    c = Client(tmp, "http://127.0.0.1:9/v1/reports", mode="local")
    c.write(day + "T10:00:00Z")
    c.run(day + "T10:30:00Z")
    with open(os.path.join(c.state, "lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        rc, err = c.run(day + "T10:40:00Z", mode="off")
    check(rc == 0, "off while locked: exits 0 (%d: %s)" % (rc, err.strip()))
    check("holds the lock" in err and "dropped" not in err,
          "off while locked: says the next run clears the state, claims no drop (%s)"
          % err.strip())
    check(not os.path.exists(os.path.join(c.state, "secret")),
          "off while locked: the secret is deleted")
    c.write(day + "T10:50:00Z")  # written while off
    rc, err = c.run(day + "T11:00:00Z")
    check(rc == 0 and "counting starts now" in err,
          "off while locked: the next run starts counting anew (%d: %s)" % (rc, err.strip()))
    c.write(day + "T11:10:00Z")
    c.run(day + "T13:00:00Z", extra=["--flush"])
    calls = sum(r["usage"]["tool_calls"]["total"] for r in c.reports("").values())
    check(calls == 1, "off while locked: only the line written after counts (%d)" % calls)


def main():
    for tool in ("sqlite3",):
        if not shutil.which(tool):
            print("e2e.py: %s not found; 'make deps' installs it" % tool)
            sys.exit(1)
    # Two days ago: the collector takes periods of the last 400 days only.
    day = (datetime.datetime.now(datetime.timezone.utc)
           - datetime.timedelta(days=2)).strftime("%Y-%m-%d")
    for name, case in (("late", case_late_call), ("healed", case_healed),
                       ("layout", case_first_layout), ("week", case_week_flush),
                       ("future", case_future), ("offlock", case_off_locked)):
        tmp = tempfile.mkdtemp(prefix="vt-e2e-%s." % name)
        try:
            case(tmp, day)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(TALLY.finish())


main()
