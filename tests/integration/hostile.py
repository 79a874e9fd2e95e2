#!/usr/bin/env python3
# Hostile input and hostile conditions (issue #7). Every class of bad
# input anyone who can write to a log volume can produce, and every
# condition an unattended job meets: a full or failing disk, a state
# directory it cannot read, a state from a newer version. For each:
#   - the exit code;
#   - a message that names the file, never its content: every hostile
#     byte string carries MARK, which must appear in no output, no report
#     and no state file (checked at the end over everything);
#   - the valid lines around the damage still counted, exactly;
#   - the state still consistent: the next run counts exactly what is left;
#   - no crash, no hang: every command runs under a timeout.
#
#   python3 tests/integration/hostile.py BIN
#   VT_WRAPPER="valgrind ..." python3 ... BIN    smaller inputs, no RSS checks
#   VT_KEEP=1 python3 ... BIN                    keep the scratch directory
#
# Fixtures: the small ones are in fixtures/hostile/ (fixtures/hostile/
# make.py writes them); the large ones (lines of many megabytes, a gzip
# bomb, a megabyte of random bytes) are generated here into the scratch
# directory and never committed.
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vtharness import NOW, ROOT, SLOW, Suite, build_preload  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "fixtures", "hostile"))
import make as fx  # noqa: E402

MARK = fx.MARK
BIG_MB = 3 if SLOW else 24  # "lines of many megabytes"
NOBODY = 65534

S = Suite("hostile", sys.argv[1])
# root reads everything: cases about permissions run as nobody (setpriv),
# with a copy of the binary and inputs of its own in the suite's directory
NOBODY_CANNOT = S.reachable_by(NOBODY)
AS_NOBODY = NOBODY_CANNOT is None
if os.geteuid() == 0 and not AS_NOBODY:
    print("hostile: the cases run as nobody are skipped: %s" % NOBODY_CANNOT)
HOSTILE = os.path.join(ROOT, "fixtures", "hostile")
FAULTS = build_preload(S, "faults.c")
S.check(FAULTS is not None, "the fault-injection shim did not build")


def fixture(name):
    return os.path.join(HOSTILE, name)


def report(paths, *extra, env=None, user=None, preload=None):
    """report over paths; (result, parsed report or None)."""
    r = S.vt("report", "--now", NOW, *extra, *paths, env=env, user=user,
             preload=preload)
    try:
        return r, json.loads(r.out)
    except ValueError:
        return r, None


def q(rep, key):
    return rep["quality"][key] if rep else None


def calls(rep):
    return rep["usage"]["tool_calls"]["total"] if rep else None


def expect(rep, want, what):
    """want: {"calls": n, quality key: n, "malformed.REASON": n, ...}"""
    if not S.check(rep is not None, "%s: no report" % what):
        return
    for k, v in want.items():
        if k == "calls":
            got = calls(rep)
        elif k.startswith("malformed."):
            got = rep["quality"]["malformed_by_reason"][k[10:]]
        elif k.startswith("unrecognized."):
            got = rep["quality"]["unrecognized_by_reason"][k[13:]]
        else:
            got = rep["quality"][k]
        S.check(got == v, "%s: %s is %s, want %s" % (what, k, got, v))


def names_file(r, path, what):
    """stderr names the file (by the path given) and holds no marker."""
    S.check(path in r.text(), "%s: stderr does not name '%s': %r" %
            (what, path, r.text()[:300]))


def stream_to(path, chunks):
    """Writes a large file piece by piece: this process stays small, so
    the peak RSS measured for the binary it starts is the binary's own."""
    with open(path, "wb") as f:
        for c in chunks:
            f.write(c)
    return path


def sandwich(hostile):
    """Three valid tool calls, the hostile bytes, three more."""
    return fx.valid(3, 0) + hostile + b"\n" + fx.valid(3, 30)


# ----------------------------------------------------------------------
S.section("truncated JSON at every offset")
line = fx.line(9, name=MARK.decode())
p = fixture("truncated-every-offset.jsonl")
r, rep = report([p])
expect(rep, {"calls": 6, "lines_malformed": len(line) - 1,
             "lines_read": 6 + len(line) - 1, "events": 6}, "truncated")
S.check(r.rc == 3, "truncated: exit %d, want 3" % r.rc)
names_file(r, p, "truncated")

S.section("corrupted JSON at every offset")
p = fixture("corrupted-every-offset.jsonl")
r, rep = report([p])
expect(rep, {"calls": 6, "events": 6, "lines_read": 6 + len(line)}, "corrupted")
S.check(rep and q(rep, "lines_malformed") + q(rep, "lines_unrecognized") == len(line),
        "corrupted: not every corrupted line is malformed or unrecognized")

S.section("invalid UTF-8 and bad escapes")
r, rep = report([fixture("invalid-utf8.jsonl")])
n = len(fx.UTF8_REJECTED)
expect(rep, {"calls": 6, "lines_malformed": n, "malformed.invalid_utf8": fx.UTF8_INVALID,
             "malformed.invalid_json": n - fx.UTF8_INVALID}, "invalid UTF-8")
S.check(r.rc == 3, "invalid UTF-8: exit %d" % r.rc)
# yajl checks UTF-8 by structure only: overlong forms, surrogates and code
# points past U+10FFFF pass. The strings they sit in are never emitted
# (names reach a report only from the allowlist), so the line counts.
r, rep = report([fixture("lax-utf8.jsonl")])
expect(rep, {"calls": 6 + len(fx.UTF8_LAX), "lines_malformed": 0}, "lax UTF-8")

S.section("NUL bytes")
r, rep = report([fixture("nul-bytes.log")])
# inside a string, between tokens, after a line: malformed; NULs before
# a line (a preallocated or truncated file) are skipped and the line counts
expect(rep, {"calls": 6 + 1, "malformed.nul_byte": 3, "nul_bytes_skipped": 3 + 100 + 4096},
       "NUL bytes")

S.section("nesting hundreds of thousands deep")
p = S.write("in/deep.jsonl", sandwich(fx.deep_lines(300000)))
r, rep = report([p])
# an ignored key nested 300000 deep (the event counts), an unbalanced one
# and 150000 objects deep, each under 1 MiB: the decoder keeps no tree
expect(rep, {"calls": 6 + 1 + 1, "lines_malformed": 1}, "deep nesting")
deep = S.write("in/deep-report.json", b"[" * 1000000 + MARK + b"]" * 1000000)
r = S.vt("merge", deep)
S.check(r.rc == 1 and "nests deeper" in r.text(), "merge of a 1M-deep document: exit %d %r" % (r.rc, r.text()[:200]))
names_file(r, deep, "merge deep")

# merge's reader stops at 64 MiB: a report that inflates to a gigabyte
rbomb = S.path("in/report-bomb.json.gz")
with gzip.open(rbomb, "wb", 9) as z:
    z.write(b'{"schema_version":1,"x":"' + MARK)
    for _ in range(4 if SLOW else 384):
        z.write(b"x" * (1 << 20))
r = S.vt("merge", rbomb, fixture("../expected/events.json"))
S.check(r.rc == 3 and (SLOW or "larger than 64 MiB" in r.text()),
        "merge of a report bomb: exit %d %r" % (r.rc, r.text()[:200]))
if not SLOW:
    # 64 MiB read at most (ASan's shadow memory adds about as much again)
    S.check(r.maxrss_kb < 200 * 1024, "merge of a report bomb: peak RSS %d KiB" % r.maxrss_kb)
names_file(r, rbomb, "merge bomb")

S.section("numbers that overflow every type")
r, rep = report([fixture("numbers.jsonl")])
expect(rep, {"calls": 6 + len(fx.DURATIONS) + len(fx.TIMES), "fields_out_of_range": fx.NEGATIVE_DURATIONS,
             "bad_timestamps": fx.BAD_TIMES, "app_lines": 3}, "numbers")
S.check(rep and rep["deployment"]["backends_per_instance"].get("unknown", 0) >= 0,
        "numbers: no deployment section")

S.section("wrong types for every field read")
r, rep = report([fixture("wrong-types.jsonl")])
expect(rep, fx.WRONG_TYPES_EXPECT, "wrong types")

S.section("duplicate keys")
r, rep = report([fixture("duplicate-keys.jsonl")])
# the last value of a key wins, as in most JSON readers
expect(rep, {"calls": 6 + 2, "app_lines": 1, "lines_malformed": 0}, "duplicate keys")
S.check(rep and rep["usage"]["tool_calls"]["by_outcome"]["failure"] == 1,
        "duplicate keys: the last outcome did not win")

S.section("lines of many megabytes, with and without a newline")
p = S.path("in/huge.log")
huge_line = [b'{"time":"2026-08-21T10:00:00Z","level":"INFO","msg":"' + MARK] + \
    [b"x" * (1 << 20)] * BIG_MB + [b'"}']
stream_to(p, [fx.valid(3, 0)] + huge_line + [b"\n", fx.valid(3, 30)] + huge_line)
r, rep = report([p])
expect(rep, {"calls": 6, "lines_too_long": 2, "lines_read": 8}, "huge lines")
S.check(r.rc == 3, "huge lines: exit %d" % r.rc)
names_file(r, p, "huge lines")
if not SLOW:
    # streamed past, never buffered: far below the line's size
    S.check(r.maxrss_kb < 48 * 1024, "huge lines: peak RSS %d KiB" % r.maxrss_kb)
r, rep = report([p], "--max-line-bytes", str((BIG_MB + 1) << 20), "--threads", "1")
expect(rep, {"calls": 6, "lines_too_long": 0, "app_lines": 2}, "huge lines kept")

S.section("a final line without a newline")
p = S.write("in/no-newline.log", fx.valid(3, 0) + fx.line(40))
r, rep = report([p])
expect(rep, {"calls": 4}, "final line without newline")
S.check(r.rc == 0, "final line without newline: exit %d" % r.rc)

S.section("binary garbage")
rnd = random.Random(7)
garbage = bytes(rnd.getrandbits(8) for _ in range((1 if SLOW else 4) << 18))
garbage = garbage[:1000] + MARK + garbage[1000:]
p = S.write("in/garbage.bin", sandwich(garbage))
r, rep = report([p])
expect(rep, {"calls": 6, "events": 6}, "binary garbage")
S.check(r.rc == 3, "binary garbage: exit %d" % r.rc)
names_file(r, p, "binary garbage")

S.section("CRI and docker wrappers that lie")
r, rep = report([fixture("wrappers-lie.log")])
expect(rep, fx.WRAPPERS_EXPECT, "lying wrappers")
r, rep = report([fixture("wrappers-lie.log")], "--max-line-bytes", "4096")
expect(rep, dict(fx.WRAPPERS_EXPECT, lines_too_long=fx.WRAPPERS_TOO_LONG_4K,
                 calls=fx.WRAPPERS_EXPECT["calls"]), "lying wrappers, 4 KiB lines")

S.section("gzip: truncated, corrupt, empty, trailing garbage")
for name, want in fx.GZIP_EXPECT.items():
    p = fixture(name)
    r, rep = report([p, fixture("valid.log")])
    expect(rep, dict(want, calls=want["calls"] + 6), name)
    if want["files_failed"]:
        S.check(r.rc == 3, "%s: exit %d" % (name, r.rc))
        names_file(r, p, name)
# a gzip bomb: a small file that inflates to a gigabyte of one line
bomb = S.path("in/bomb.log.gz")
with gzip.open(bomb, "wb", 9) as z:
    for _ in range(16 if SLOW else 1024):
        z.write(b"x" * (1 << 20))
r, rep = report([bomb, fixture("valid.log")])
expect(rep, {"calls": 6, "lines_too_long": 1}, "gzip bomb")
if not SLOW:
    S.check(r.maxrss_kb < 64 * 1024, "gzip bomb: peak RSS %d KiB" % r.maxrss_kb)

S.section("a directory, a FIFO, a vanished or unreadable file")
d = S.path("in/adir/x")
os.makedirs(d, exist_ok=True)
S.write("in/adir/readme.txt", MARK)
S.write("in/adir/x/a.log", fx.valid(2, 0))
r, rep = report([S.path("in/adir")])
expect(rep, {"calls": 2, "files": 1}, "directory")
gone = S.path("in/vanished.log")
if os.path.lexists(gone):
    os.unlink(gone)
os.symlink(S.path("in/no-such-dir/gone.log"), gone)
r, rep = report([gone, fixture("valid.log")])
expect(rep, {"calls": 6, "files_failed": 1}, "vanished")
S.check(r.rc == 3, "vanished: exit %d" % r.rc)
names_file(r, gone, "vanished")
fifo = S.path("in/fifo.log")
os.mkfifo(fifo)
# report reads a pipe it is given, like standard input...
w = subprocess.Popen(["sh", "-c", 'cat "$1" > "$2"', "sh", fixture("valid.log"), fifo])
r, rep = report([fifo])
w.wait()
expect(rep, {"calls": 6}, "FIFO with a writer")
# ...run never does: a writer that holds it open must not hang the job
holder = subprocess.Popen(["sh", "-c", 'exec 3>"$1"; exec sleep 600', "sh", fifo])
st = S.path("state/fifo")
r = S.vt("run", "--state", st, "--now", NOW, fifo, fixture("valid.log"))
S.check(r.rc == 3 and "not a regular file" in r.text(), "run on a FIFO: exit %d %r" % (r.rc, r.text()[:200]))
names_file(r, fifo, "run on a FIFO")
holder.kill()
holder.wait()
if AS_NOBODY:
    locked = S.write("in/locked.log", fx.valid(3, 0), mode=0o600)
    readable = S.path("in/nobody/valid.log")
    shutil.copyfile(fixture("valid.log"), readable)
    os.chmod(os.path.dirname(readable), 0o755)
    os.chmod(readable, 0o644)
    r, rep = report([locked, readable], user=NOBODY)
    expect(rep, {"calls": 6, "files_failed": 1}, "unreadable file")
    S.check("Permission denied" in r.text(), "unreadable file: %r" % r.text()[:200])
    names_file(r, locked, "unreadable file")
# a disk error in the middle of a file: the lines before it count
p = S.write("in/eio.log", fx.valid(40, 0))
r, rep = report([p, fixture("valid.log")], "--threads", "1",
                env={"VT_FAULT_READ_EIO": "eio.log:%d" % (10 * (len(fx.line(0)) + 1) + 5)},
                preload=FAULTS)
expect(rep, {"calls": 6 + 10, "files_failed": 1}, "EIO while reading")
S.check("Input/output error" in r.text(), "EIO: %r" % r.text()[:300])
names_file(r, p, "EIO while reading")


# ----------------------------------------------------------------------
# run: the state survives what the volume does to it.
def reported(state):
    """Tool calls in every report run wrote, and the files' names."""
    total, names = 0, []
    rd = os.path.join(state, "reports")
    for dirpath, _, files in os.walk(rd):
        for n in sorted(files):
            if n.endswith(".json.gz"):
                with gzip.open(os.path.join(dirpath, n)) as f:
                    total += json.load(f)["usage"]["tool_calls"]["total"]
                names.append(n)
    return total, names


def run(state, *args, **kw):
    return S.vt("run", "--state", state, "--period", "day", *args, **kw)


def snapshot(state):
    out = {}
    for d, _, files in os.walk(state):
        for n in files:
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, state)] = f.read()
    return out


S.section("run: a huge torn last line waits, memory stays flat")
st = S.path("state/huge")
log = stream_to(S.path("in/run-huge/vmcp.log"),
                [fx.valid(3, 0), b'{"msg":"' + MARK] + [b"y" * (1 << 20)] * BIG_MB)
r = run(st, "--now", "2026-08-21T12:00:00Z", log)
S.check(r.rc == 0, "torn huge line: exit %d %r" % (r.rc, r.text()[:200]))
if not SLOW:
    S.check(r.maxrss_kb < 48 * 1024, "torn huge line: peak RSS %d KiB" % r.maxrss_kb)
with open(log, "ab") as f:
    f.write(b'"}\n' + fx.valid(2, 50))
r = run(st, "--now", "2026-08-21T12:10:00Z", "--flush", log)
S.check(r.rc == 0, "torn huge line finished: exit %d" % r.rc)
got, _ = reported(st)
S.check(got == 5, "torn huge line: %d calls reported, want 5" % got)

S.section("run: a final line without newline is counted once it is finished")
st = S.path("state/torn")
log = S.path("in/run-torn/vmcp.log")
with open(log, "wb") as f:
    f.write(fx.valid(2, 0) + fx.line(5)[:40])
run(st, "--now", "2026-08-21T12:00:00Z", log)
with open(log, "ab") as f:
    f.write(fx.line(5)[40:] + b"\n")
run(st, "--now", "2026-08-21T12:10:00Z", log)
run(st, "--now", "2026-08-21T12:20:00Z", "--flush", log)
got, _ = reported(st)
S.check(got == 3, "torn line: %d calls, want 3" % got)

S.section("run: the whole hostile set, then a clean run counts only what is new")
st = S.path("state/all")
inputs = [fixture(n) for n in sorted(os.listdir(HOSTILE))
          if not n.endswith(".py") and not n.endswith(".md")]
r = run(st, "--now", "2026-11-24T12:00:00Z", *inputs)
S.check(r.rc == 3, "hostile set: exit %d %r" % (r.rc, r.text()[:300]))
before = snapshot(st)
r = run(st, "--now", "2026-11-24T13:00:00Z", *inputs)
S.check(r.rc in (0, 3), "hostile set, again: exit %d" % r.rc)
r = run(st, "--now", "2026-11-30T00:00:00Z", "--flush", *inputs)
got, names = reported(st)
r2, rep = report(inputs)
S.check(got == calls(rep), "hostile set: run reported %d calls over %d reports, report counts %s" %
        (got, len(names), calls(rep)))

S.section("run: full disk while writing the state or a report (ENOSPC)")
log = S.path("in/run-disk/vmcp.log")
with open(log, "wb") as f:
    f.write(fx.valid(20, 0))
base = S.path("state/disk-base")
run(base, "--now", "2026-08-21T12:00:00Z", log)
with open(log, "ab") as f:
    f.write(fx.valid(7, 40))
failures = 0
# every stage of a run's writing: the first byte of the report, inside
# its gzip stream, the state's first bytes, its middle, its end
for budget in ([0, 100, 3000] if SLOW else [0, 1, 16, 100, 300, 1000, 3000, 10000]):
    for flush in ([], ["--flush"]):
        st = S.path("state/disk-%d%s" % (budget, "f" if flush else ""))
        subprocess.run(["rm", "-rf", st])
        subprocess.run(["cp", "-a", base, st])
        before = snapshot(st)
        r = run(st, "--now", "2026-08-21T12:30:00Z", *flush, log,
                env={"VT_FAULT_ENOSPC_AFTER": str(budget)}, preload=FAULTS)
        if r.rc == 1:
            failures += 1
            S.check("No space left on device" in r.text(),
                    "ENOSPC %d: message %r" % (budget, r.text()[:300]))
            after = snapshot(st)
            # the state is untouched and no temporary file is left; a
            # report may be there already (written before the state)
            S.check(after.get("state") == before.get("state"),
                    "ENOSPC %d: the state changed though the run failed" % budget)
            S.check(not [k for k in after if ".tmp." in k],
                    "ENOSPC %d: temporary files left: %s" % (budget, list(after)))
        else:
            S.check(r.rc == 0, "ENOSPC %d: exit %d %r" % (budget, r.rc, r.text()[:200]))
        # disk space back: the next runs count every line exactly once
        r = run(st, "--now", "2026-08-21T12:40:00Z", log)
        S.check(r.rc == 0, "after ENOSPC %d: exit %d %r" % (budget, r.rc, r.text()[:200]))
        run(st, "--now", "2026-08-23T00:00:00Z", "--flush", log)
        got, _ = reported(st)
        S.check(got == 27, "after ENOSPC %d%s: %d calls reported, want 27" %
                (budget, " --flush" if flush else "", got))
S.check(failures >= (3 if SLOW else 8), "ENOSPC: only %d runs failed; the shim did not bite" % failures)
st = S.path("state/disk-fsync")
subprocess.run(["rm", "-rf", st])
subprocess.run(["cp", "-a", base, st])
r = run(st, "--now", "2026-08-21T12:30:00Z", "--flush", log, env={"VT_FAULT_FSYNC": "1"},
        preload=FAULTS)
S.check(r.rc == 1 and "cannot write" in r.text(), "fsync ENOSPC: exit %d %r" % (r.rc, r.text()[:200]))
run(st, "--now", "2026-08-23T00:00:00Z", "--flush", log)
got, _ = reported(st)
S.check(got == 27, "after fsync failure: %d calls, want 27" % got)

S.section("run: a real full file system (tmpfs)")
mnt = S.path("mnt")
os.makedirs(mnt, exist_ok=True)
mounted = os.geteuid() == 0 and shutil.which("mount") and subprocess.run(
    ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs", mnt],
    capture_output=True).returncode == 0
if not mounted:
    print("hostile: no tmpfs (not root, or no mount privilege here); the shim covers ENOSPC")
else:
    try:
        st = os.path.join(mnt, "state")
        run(st, "--now", "2026-08-21T12:00:00Z", log)
        before = snapshot(st)
        fill = os.path.join(mnt, "fill")
        subprocess.run(["dd", "if=/dev/zero", "of=" + fill, "bs=4k"], capture_output=True)
        with open(log, "ab") as f:
            f.write(fx.valid(5, 50))
        r = run(st, "--now", "2026-08-21T12:30:00Z", "--flush", log)
        S.check(r.rc == 1 and "No space left on device" in r.text(),
                "tmpfs full: exit %d %r" % (r.rc, r.text()[:300]))
        S.check(snapshot(st).get("state") == before.get("state"), "tmpfs full: state changed")
        os.unlink(fill)
        r = run(st, "--now", "2026-08-23T00:00:00Z", "--flush", log)
        got, _ = reported(st)
        S.check(r.rc == 0 and got == 32, "tmpfs freed: exit %d, %d calls, want 32" % (r.rc, got))
    finally:
        subprocess.run(["umount", mnt])

S.section("run: an unreadable state directory")
log = S.path("in/run-perm/vmcp.log")
with open(log, "wb") as f:
    f.write(fx.valid(3, 0))
os.chmod(os.path.dirname(log), 0o755)
st = S.path("state/perm")
run(st, "--now", "2026-08-21T12:00:00Z", log)
before = snapshot(st)
if AS_NOBODY:
    r = run(st, "--now", "2026-08-21T12:30:00Z", log, user=NOBODY)
    S.check(r.rc == 1 and "Permission denied" in r.text() and st in r.text(),
            "state dir not ours: exit %d %r" % (r.rc, r.text()[:300]))
    # the directory is nobody's, the state file root's and 0600
    st2 = S.path("state/perm2")
    subprocess.run(["cp", "-a", st, st2])
    subprocess.run(["chown", "-R", "%d:%d" % (NOBODY, NOBODY), st2])
    os.chown(os.path.join(st2, "state"), 0, 0)
    r = run(st2, "--now", "2026-08-21T12:30:00Z", log, user=NOBODY)
    S.check(r.rc == 1 and "cannot read" in r.text() and "Permission denied" in r.text(),
            "state file not ours: exit %d %r" % (r.rc, r.text()[:300]))
elif os.geteuid() != 0:
    os.chmod(st, 0)
    r = run(st, "--now", "2026-08-21T12:30:00Z", log)
    os.chmod(st, 0o700)
    S.check(r.rc == 1 and "Permission denied" in r.text(), "chmod 0 state: %r" % r.text()[:300])
else:
    print("hostile: the unreadable-state cases are skipped: %s" % NOBODY_CANNOT)
S.check(snapshot(st) == before, "unreadable state dir: the state changed")
r = run(st, "--now", "2026-08-23T00:00:00Z", "--flush", log)
got, _ = reported(st)
S.check(r.rc == 0 and got == 3, "state readable again: exit %d, %d calls" % (r.rc, got))

S.section("run: a state from a newer version, damaged, empty or not a file")
st = S.path("state/newer")
run(st, "--now", "2026-08-21T12:00:00Z", log)
sp = os.path.join(st, "state")
with open(sp, "rb") as f:
    good = f.read()
newer = bytearray(good)
newer[4] = 200  # the format version
newer[-4:] = zlib.crc32(bytes(newer[:-4])).to_bytes(4, "little")
cases = {
    "newer": (bytes(newer), "written by a newer"),
    "damaged": (good[:len(good) // 2] + bytes([good[len(good) // 2] ^ 0x40]) + good[len(good) // 2 + 1:],
                "damaged"),
    "truncated": (good[:-1], "damaged"),
    "empty": (b"", "damaged"),
    "garbage": (MARK + b"\x00" * 64, "damaged"),
}
for name, (data, msg) in cases.items():
    with open(sp, "wb") as f:
        f.write(data)
    before = snapshot(st)
    r = run(st, "--now", "2026-08-21T12:30:00Z", log)
    S.check(r.rc == 1 and msg in r.text() and sp in r.text(),
            "%s state: exit %d %r" % (name, r.rc, r.text()[:300]))
    S.check(snapshot(st) == before, "%s state: something changed" % name)
    r = S.vt("status", "--state", st)
    S.check(r.rc != 0 and msg in r.text(), "status on a %s state: exit %d %r" % (name, r.rc, r.text()[:200]))
os.unlink(sp)
os.mkdir(sp)
r = run(st, "--now", "2026-08-21T12:30:00Z", log)
S.check(r.rc == 1 and sp in r.text(), "state is a directory: exit %d %r" % (r.rc, r.text()[:200]))
os.rmdir(sp)
with open(sp, "wb") as f:
    f.write(good)
r = run(st, "--now", "2026-08-23T00:00:00Z", "--flush", log)
got, _ = reported(st)
S.check(r.rc == 0 and got == 3, "good state back: exit %d, %d calls" % (r.rc, got))

S.section("run: a read error mid-file, then a file that vanishes unread")
d = S.path("in/run-vanish")
os.makedirs(d, exist_ok=True)
a, b = os.path.join(d, "a.log"), os.path.join(d, "b.log.1.gz")
LEN = len(fx.line(0)) + 1
with open(a, "wb") as f:
    f.write(fx.valid(5, 0))
with gzip.open(b, "wb") as f:  # a rotated sibling: its torn tail would count
    f.write(fx.valid(5, 10))
open(os.path.join(d, "b.log"), "wb").close()  # its live file, empty
for name, files in (("eio", [a]), ("eio-gz", [os.path.join(d, "b.log")])):
    st = S.path("state/" + name)
    target = "a.log" if name == "eio" else "b.log.1.gz"
    cut = 2 * LEN + 3 if name == "eio" else 60
    r = run(st, "--now", "2026-08-21T12:00:00Z", *files,
            env={"VT_FAULT_READ_EIO": "%s:%d" % (target, cut)}, preload=FAULTS)
    S.check(r.rc == 3 and "Input/output error" in r.text(),
            "%s: exit %d %r" % (name, r.rc, r.text()[:300]))
    S.check("malformed" not in r.text(), "%s: a line cut by the error was counted: %r" %
            (name, r.text()[:300]))
    r = run(st, "--now", "2026-08-21T12:10:00Z", *files)
    S.check(r.rc == 0, "%s, disk back: exit %d %r" % (name, r.rc, r.text()[:200]))
    r = run(st, "--now", "2026-08-23T00:00:00Z", "--flush", *files)
    got, _ = reported(st)
    S.check(got == 5, "%s: %d calls, want 5, each once" % (name, got))
# read up to an error, then deleted before the next run: the unread
# bytes are reported lost, the lines read are counted
st = S.path("state/vanish")
r = run(st, "--now", "2026-08-21T12:00:00Z", a,
        env={"VT_FAULT_READ_EIO": "a.log:%d" % (2 * LEN + 3)}, preload=FAULTS)
S.check(r.rc == 3, "vanish, read error: exit %d" % r.rc)
os.unlink(a)
r = run(st, "--now", "2026-08-23T00:00:00Z", "--flush", a)
S.check(r.rc == 3 and "rotated away with %d bytes unread" % (3 * LEN) in r.text(),
        "vanished: exit %d %r" % (r.rc, r.text()[:300]))
names_file(r, a, "vanished")
got, names = reported(st)
S.check(got == 2, "vanished: %d calls, want the 2 read before the error" % got)
lost = [0, {}]
for n in names:
    with gzip.open(os.path.join(st, "reports", n)) as f:
        qq = json.load(f)["quality"]
    lost[0] += qq["files_lost"]
    for b, c in qq["bytes_lost"].items():
        lost[1][b] = lost[1].get(b, 0) + c
k = (3 * LEN).bit_length()  # bytes_lost is a log2 histogram of lost files
want = {"%d-%d" % (1 << (k - 1), (1 << k) - 1): 1}
S.check(lost == [1, want], "vanished: files_lost, bytes_lost %s, want [1, %s]" % (lost, want))

# ----------------------------------------------------------------------
S.section("the marker")
S.no_marker(MARK, [S.path("state")])
S.finish()
