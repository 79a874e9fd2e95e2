#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Chunks merge exactly (issue #16): for randomized realistic streams
# (bare, CRI with P parts, docker with split lines; restarts and
# configuration changes; several instances per file; malformed and blank
# lines; a torn last line), the report of every split into 1 to 16 chunks
# (VT_CHUNKS, a test hook that cuts at any newline) on 2 to 4 threads is
# the --threads 1 report, every field but report_id, and so is stderr.
# Then streams built so that an edge falls inside a CRI P sequence, inside
# a docker split line, exactly on a newline, and one byte after a restart
# marker. Parts open at an edge are carried to the merge, never read
# again: the stats line says how many lines were joined so.
#   python3 tests/integration/chunks.py BIN [SEEDS]
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "bench"))
import shapes  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vtharness import Tally  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
SEEDS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
WRAP = os.environ.get("VT_WRAPPER", "").split()
NOW = "2026-11-25T00:00:00Z"
again = 0  # chunks read again, over all runs (never: parts are carried)
carried = 0  # lines joined from parts carried across an edge


TALLY = Tally("chunks.py")
check = TALLY.expect


# One fleet key for every report compared: without one each report keys its
# instance sketch with random bytes of its own.
KEYDIR = tempfile.mkdtemp(prefix="vt-chunks-key.")
KEY = os.path.join(KEYDIR, "fleet-key")
with open(KEY, "w") as f:
    f.write("chunks-differential-fleet-key-0123456789\n")


def run(args, chunks=None):
    env = dict(os.environ, VT_PARALLEL_STATS="1")
    if chunks:
        env["VT_CHUNKS"] = str(chunks)
    p = subprocess.run(WRAP + [BIN, "report", "--now", NOW, "--fleet-key-file", KEY] + args, env=env,
                       capture_output=True, text=True, errors="replace")
    stats = [l for l in p.stderr.splitlines() if "parallel:" in l]
    err = [l for l in p.stderr.splitlines() if "parallel:" not in l]
    rep = json.loads(p.stdout) if p.stdout.strip() else None
    if rep:
        rep.pop("report_id", None)
    return p.returncode, rep, err, stats


def wrapped(R, t, line, wrapper, out):
    """Appends line's physical lines; CRI parts sometimes with another
    stream's line between them."""
    split = R.choice([16 * 1024, 16 * 1024, 90, 250]) if wrapper != "none" else 0
    parts = shapes.wrap(R, t, line, wrapper, split or 16 * 1024)
    if wrapper == "cri" and len(parts) > 1 and R.random() < 0.3:
        other = "stderr" if " stdout " in parts[0] else "stdout"
        extra = shapes.cri(R, t, shapes.app(R, t, "Discovered %d backends" % R.randint(1, 9)),
                           stream=other)
        parts = parts[:1] + extra + parts[1:]
    out.extend(parts)


def stream(R, wrapper):
    comps = ["vmcp-%d" % i for i in range(R.randint(1, 3))]
    t = R.randint(0, 3 * 86400)
    out = []
    lines = list(shapes.server_lines(R, t, R.randint(20, 90), comps,
                                     restart_rate=0.06, bad_rate=0.04))
    if R.random() < 0.4:  # a file that begins in the middle of a process
        lines = lines[R.randint(1, 8):]
    for t, line in lines:
        if R.random() < 0.02:
            out.append("")
        if wrapper == "cri" and R.random() < 0.01:
            out.append("2026-11-02T10:00:00.1Z stdout X bad tag")
        wrapped(R, t, line, wrapper, out)
    text = "\n".join(out) + "\n"
    if R.random() < 0.3:  # a torn last line
        text = text[:-R.randint(1, 40)]
    return text


def differential(name, path, args, maxchunks=16):
    """path (and the paths at the end of args) read with --threads 1, and
    in 1 to maxchunks chunks on 2 to 4 threads."""
    rc1, ref, err1, _ = run(["--threads", "1"] + args + [path])
    check(ref is not None, name + ": a report with one thread")
    for n in range(1, maxchunks + 1):
        threads = 2 + n % 3
        rc, rep, err, stats = run(["--threads", str(threads)] + args + [path], n)
        global again, carried
        again += sum(int(l.split(", ")[2].split()[0]) for l in stats)
        carried += sum(int(l.split(", ")[-1].split()[0]) for l in stats)
        ok = rc == rc1 and rep == ref and err == err1
        if not ok:
            diff = [k for k in (ref or {}) if (rep or {}).get(k) != ref[k]]
            print("  %s: %d chunks, %d threads: exit %d/%d, differs in %s, stderr %s; %s"
                  % (name, n, threads, rc, rc1, diff, err == err1, stats))
        check(ok, "%s: %d chunks on %d threads" % (name, n, threads))
    return ref


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def filler(R, n, wrapper):
    """n bytes of whole lines: audit events, then blank lines."""
    out = ""
    while n - len(out) > 4000:
        out += "\n".join(shapes.wrap(R, 0, shapes.audit(R, 0), wrapper)) + "\n"
    return out + "\n" * (n - len(out))


def edge_at(R, text, at, wrapper):
    """text padded with whole lines, before or after, so that the middle
    of the file (where VT_CHUNKS=2 cuts, after the next newline) is byte
    `at` of text."""
    if 2 * at >= len(text):
        return text + filler(R, 2 * at - len(text), wrapper)
    pad = len(text) - 2 * at
    return filler(R, pad, wrapper) + text


def attacks(tmp, R):
    """Edges on purpose: inside a CRI P sequence, inside a docker split
    line, exactly on a newline, one byte after a restart marker."""
    t = 1000
    cases = []
    pre = [shapes.audit(R, t) for _ in range(5)]
    restart = shapes.startup(R, t)
    post = [shapes.audit(R, t, "vmcp-1") for _ in range(5)]
    # CRI: a start-up line split in P parts, the edge between them
    lines = []
    for l in pre:
        lines += shapes.cri(R, t, l)
    head = "\n".join(lines) + "\n"
    parts = shapes.cri(R, t, restart[1], split=15)
    cut = len(head) + len(parts[0]) + 1 + len(parts[1]) // 2
    body = "\n".join(parts) + "\n"
    for l in restart[2:] + post:
        body += "\n".join(shapes.cri(R, t, l)) + "\n"
    cases.append(("cri-in-P", edge_at(R, head + body, cut, "cri")))
    # docker: an audit line split in three, the edge in the middle part
    lines = []
    for l in pre + restart:
        lines += shapes.docker(R, t, l)
    head = "\n".join(lines) + "\n"
    parts = shapes.docker(R, t, shapes.audit(R, t), split=200)
    cut = len(head) + len(parts[0]) + 5
    body = "\n".join(parts) + "\n" + "\n".join(
        sum((shapes.docker(R, t, l) for l in post), [])) + "\n"
    cases.append(("docker-in-split", edge_at(R, head + body, cut, "docker")))
    # bare: the edge exactly on a newline, right before the restart
    head = "\n".join(pre) + "\n"
    body = "\n".join(restart + post) + "\n"
    cases.append(("on-newline", edge_at(R, head + body, len(head) - 1, "none")))
    # bare: one byte after the configuration load marker
    cases.append(("after-restart", edge_at(R, head + body, len(head) + 1, "none")))
    # bare: one byte after the start line (the process begins at the edge)
    at = len(head) + sum(len(l) + 1 for l in restart[:-1]) + 1
    cases.append(("after-start", edge_at(R, head + body, at, "none")))
    for name, text in cases:
        path = write(tmp, name + ".log", text)
        rc1, ref, err1, _ = run(["--threads", "1", path])
        for n in (2, 3, 4):
            rc, rep, err, stats = run(["--threads", "2", path], n)
            check(rc == rc1 and rep == ref and err == err1,
                  "%s: %d chunks (%s)" % (name, n, stats))
        # the edge case the stream was built for happened
        _, _, _, stats = run(["--threads", "2", path], 2)
        check(stats and "2 chunks" in stats[0], name + ": cut in two: %s" % stats)
        if name.startswith(("cri", "docker")):
            check(stats and " 0 chunks read again" in stats[0] and
                  "1 lines carried" in stats[0],
                  name + ": the open parts were carried, nothing read again: %s" % stats)


def caps_after_carry(tmp, R):
    """--max-instances reached in a later chunk while CRI parts are open at
    its edge: the fallback reads in order from where the parts began."""
    t = 1000
    lines = []
    for k in range(160):
        comp = "vmcp-0" if k < 80 else "vmcp-%d" % (k % 5)
        lines += shapes.cri(R, t + k, shapes.audit(R, t + k, comp),
                            split=R.choice([30, 70]),
                            stream=R.choice(["stdout", "stderr"]))
    path = write(tmp, "capcarry.log", "\n".join(lines) + "\n")
    args = ["--instance-by", "component", "--max-instances", "2"]
    rc1, ref, err1, _ = run(["--threads", "1"] + args + [path])
    capped = 0
    for n in range(2, 17):
        rc, rep, err, stats = run(["--threads", "2"] + args + [path], n)
        check(rc == rc1 and rep == ref and err == err1,
              "caps after carried parts: %d chunks (%s)" % (n, stats))
        capped += bool(stats) and "(1 at a cap)" in stats[0]
    check(capped > 0, "caps after carried parts: a fallback at the cap ran")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(SEEDS):
            R = random.Random(16000 + seed)
            wrapper = ["none", "cri", "docker"][seed % 3]
            path = write(tmp, "s%d.log" % seed, stream(R, wrapper))
            args = ["--instance-by", "component"] if seed % 2 else []
            ref = differential("seed %d (%s)" % (seed, wrapper), path, args)
            if seed == 0:
                check(ref and ref.get("operational", {}).get("restarts", 0) > 0,
                      "the streams restart")
            if seed % 3 == 0:
                # a rotation group (one stream over two files, cut at a
                # random line) and a file of its own, read together
                d = os.path.join(tmp, "rot%d" % seed)
                os.makedirs(d)
                text = stream(R, wrapper)
                lines = text.split("\n")
                k = R.randint(1, len(lines) - 1)
                write(d, "vmcp.log.1", "\n".join(lines[:k]) + "\n")
                write(d, "vmcp.log", "\n".join(lines[k:]))
                differential("seed %d group" % seed, d, args + [path], 6)
        # the fixtures: real shapes written by hand from the research notes
        for rel in ("fixtures/input/cri.log", "fixtures/input/docker.log",
                    "fixtures/input/events.jsonl", "fixtures/input/malformed.jsonl",
                    "fixtures/samples/cli-host/vmcp.log.1"):
            differential(rel, os.path.join(ROOT, rel), [], 8)
        # many joined lines too long (diagnostics past the per-file limit,
        # some for lines whose parts cross an edge)
        for seed, wrapper in ((100, "cri"), (101, "docker")):
            R = random.Random(16000 + seed)
            path = write(tmp, "long%d.log" % seed, stream(R, wrapper))
            differential("seed %d (%s, short limit)" % (seed, wrapper), path,
                         ["--max-line-bytes", "300"])
        check(again == 0, "random streams: no chunk read again (%d)" % again)
        check(carried > 0, "random streams: some parts carried across an edge (%d)" % carried)
        print("lines joined from parts carried across an edge: %d" % carried)
        attacks(tmp, random.Random(16))
        caps_after_carry(tmp, random.Random(17))
    shutil.rmtree(KEYDIR, ignore_errors=True)
    sys.exit(TALLY.finish())


main()
