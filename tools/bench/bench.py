#!/usr/bin/env python3
# make bench: the speed and memory figures of issue #6, each as a ratio
# against its yardstick measured in the same run (medians of interleaved
# runs), plus peak RSS, the machine, and how to reproduce.
#   python3 tools/bench/bench.py --bin build/vmcp-telemetry [--mb 150]
#       [--small-mb 15] [--huge-mb 1536] [--runs 5] [--dir build/bench]
# Timing assertions live here, never in the test suite.
import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

NOW = "2026-11-25T00:00:00Z"
HERE = os.path.dirname(os.path.abspath(__file__))
JQ_AGG = 'reduce (inputs | select(.type == "mcp_tool_call") | .outcome) as $o ({}; .[$o] += 1)'
MLR_AGG = ["--ijsonl", "--ojson", "filter", '$type == "mcp_tool_call"', "then", "count", "-g", "outcome"]
PY_AGG = ("import json,sys,collections\n"
          "c=collections.Counter()\n"
          "for l in open(sys.argv[1],'rb'):\n"
          " d=json.loads(l)\n"
          " if d.get('type')=='mcp_tool_call': c[d.get('outcome')]+=1\n"
          "print(dict(c))")


def peak_rss(argv, tmp):
    """Peak RSS (KiB) of argv, from GNU time: a child of this (large)
    Python process would inherit its high-water mark through fork."""
    f = os.path.join(tmp, "rss")
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", f] + argv,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(f) as fh:
        return int(fh.read().split()[-1])


def run(argv, stdin=None, out=None):
    """Runs argv; returns (wall s, cpu s, exit status)."""
    fin = open(stdin, "rb") if stdin else subprocess.DEVNULL
    fout = open(out, "wb") if out else subprocess.DEVNULL
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdin=fin, stdout=fout, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)  # its own CPU time, threads included
    wall = time.perf_counter() - t
    for f in (fin, fout):
        if f is not subprocess.DEVNULL:
            f.close()
    return wall, ru.ru_utime + ru.ru_stime, os.waitstatus_to_exitcode(status)


class Cmd:
    def __init__(self, name, argv, stdin=None, size=0, keep=False):
        self.name, self.argv, self.stdin, self.size = name, argv, stdin, size
        self.keep = keep  # keep the output of the last run (to compare)
        self.wall, self.cpu, self.out = [], [], None

    def once(self, outdir):
        self.out = os.path.join(outdir, self.name + ".out") if self.keep else None
        w, c, rc = run(self.argv, self.stdin, self.out)
        if rc not in (0, 3):  # 3: bad lines were counted (not here)
            sys.exit(f"bench: {' '.join(self.argv)} exited {rc}")
        self.wall.append(w)
        self.cpu.append(c)

    def med(self):
        return statistics.median(self.wall)

    def med_cpu(self):
        return statistics.median(self.cpu)

    def cores(self):
        """CPU time over wall time: the cores the run really had."""
        return self.med_cpu() / self.med()

    def mibs(self):
        return self.size / 2**20 / self.med() if self.size else 0.0


def interleave(cmds, runs, outdir):
    """Round r runs every command once, the order rotated by r."""
    for r in range(runs):
        k = r % len(cmds)
        for c in cmds[k:] + cmds[:k]:
            c.once(outdir)


def gen_stamp():
    h = hashlib.sha256()
    for name in ("gen.py", "shapes.py"):
        with open(os.path.join(HERE, name), "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:8]


def generate(d, mb, kind=""):
    """The generator's log of mb MiB, made once per generator version;
    kind "" (clean), "plain" or "cri" (--realistic, see gen.py)."""
    path = os.path.join(d, f"audit{'-' + kind if kind else ''}-{mb:g}-{gen_stamp()}.log")
    if not os.path.exists(path):
        print(f"  generating {mb:g} MiB {kind} ...", flush=True)
        extra = {"": [], "plain": ["--realistic"], "cri": ["--realistic", "--wrapper", "cri"]}[kind]
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), str(mb), path + ".tmp"] + extra,
                       check=True)
        os.replace(path + ".tmp", path)
    return path


def gz(src, dst):
    if not os.path.exists(dst):
        with open(src, "rb") as fin, open(dst + ".tmp", "wb") as fout:
            subprocess.run(["gzip", "-6", "-n", "-c"], stdin=fin, stdout=fout, check=True)
        os.replace(dst + ".tmp", dst)
    return dst


def rotated_group(src, d):
    """Two rotated .gz files of one log (halves, split at a line)."""
    g = os.path.join(d, os.path.basename(src)[:-4] + "-group")
    if not os.path.exists(os.path.join(g, "audit.log.1.gz")):
        os.makedirs(g, exist_ok=True)
        half = os.path.getsize(src) // 2
        with open(src, "rb") as f:
            for name in ("audit.log.2", "audit.log.1"):  # older first
                with open(os.path.join(g, name), "wb") as o:
                    n = 0
                    for chunk in iter(lambda: f.readline(), b""):
                        o.write(chunk)
                        n += len(chunk)
                        if name == "audit.log.2" and n >= half:
                            break
                gz(os.path.join(g, name), os.path.join(g, name + ".gz"))
                os.unlink(os.path.join(g, name))
    return g


def machine():
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            mem = int(next(l.split()[1] for l in f if l.startswith("MemTotal"))) / 2**20
    except (OSError, StopIteration):
        pass
    virt = ""
    try:
        out = subprocess.run(["systemd-detect-virt"], capture_output=True, text=True).stdout.strip()
        virt = f", virtualized ({out})" if out and out != "none" else ""
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, {mem:.1f} GiB RAM, Linux {platform.release()}{virt}"


def versions(bin_):
    def first(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"
    def deb(p):
        return first(["dpkg-query", "-W", "-f=${Version}", p])
    return (f"{first([bin_, '--version'])}; yajl {deb('libyajl2')}, zlib {deb('zlib1g')}, "
            f"{first(['jq', '--version'])}, gzip {deb('gzip')}, "
            f"cc {first([os.environ.get('CC', 'cc'), '-dumpfullversion'])}")


def line(label, ours, yard, ratio, target, ok, note=""):
    mark = "ok" if ok else "BELOW TARGET"
    print(f"  {label:<34} {ours:>16} {yard:>22} {ratio:>8} {target:>9}  {mark}{note}")


def args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--mb", type=float, default=150)
    ap.add_argument("--small-mb", type=float, default=15)
    ap.add_argument("--huge-mb", type=float, default=0)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--dir", default="build/bench")
    ap.add_argument("--only", choices=["all", "realistic"], default="all",
                    help="realistic: only the realistic logs' figures (issue #16), no yardsticks")
    ap.add_argument("--wait-idle", type=int, default=0,
                    help="wait up to this many seconds for a 1-minute load average under 0.3")
    return ap.parse_args()


def prepare(a):
    """The data files (made once), described."""
    d = argparse.Namespace()
    if a.only == "realistic":
        d.real = {k: generate(a.dir, a.mb, k) for k in ("plain", "cri")}
        print(f"data: tools/bench/gen.py --realistic (seed 20261125): " + ", ".join(
            f"{k} {os.path.getsize(p) / 2**20:.0f} MiB" for k, p in d.real.items()))
        return d
    d.big, d.small = generate(a.dir, a.mb), generate(a.dir, a.small_mb)
    d.huge = generate(a.dir, a.huge_mb) if a.huge_mb else None
    d.real = {k: generate(a.dir, a.mb, k) for k in ("plain", "cri")}
    d.big_gz = gz(d.big, d.big + ".gz")
    d.group = rotated_group(d.big, a.dir)
    d.size = os.path.getsize(d.big)
    with open(d.big, "rb") as f:
        nlines = sum(1 for _ in f)
    print(f"data: tools/bench/gen.py (seed 20261125): {d.size / 2**20:.0f} MiB, {nlines} lines "
          f"of {d.size / nlines:.0f} bytes; .gz {os.path.getsize(d.big_gz) / 2**20:.1f} MiB "
          f"(gzip -6); small {os.path.getsize(d.small) / 2**20:.0f} MiB; files in {a.dir}")
    print(f"      realistic (gen.py --realistic: 3 servers in one file, restarts and configuration "
          f"changes mid-file, malformed lines, events over 16 KiB): plain "
          f"{os.path.getsize(d.real['plain']) / 2**20:.0f} MiB, CRI "
          f"{os.path.getsize(d.real['cri']) / 2**20:.0f} MiB")
    return d


def commands(bin_, d, workdir):
    # One fleet key for every report: without one each report keys its
    # instance sketch with random bytes, and reports compared byte for byte
    # would differ in the sketch and report_id.
    key = os.path.join(workdir, "fleet-key")
    with open(key, "w") as f:
        f.write("bench-fleet-key-0123456789abcdef\n")
    vt = [bin_, "report", "--now", NOW, "--fleet-key-file", key]
    c = argparse.Namespace(vt=vt)
    c.real = {}
    for k, path in d.real.items():
        size = os.path.getsize(path)
        c.real[k] = (Cmd("real-" + k + "1", vt + ["--threads", "1", path], None, size, keep=True),
                     Cmd("real-" + k + "N", vt + [path], None, size, keep=True))
    if not hasattr(d, "big"):
        return c
    c.jv = Cmd("json_verify", ["json_verify", "-q", "-s"], d.big, d.size)
    # the machine's own parallelism now: two json_verify at once
    c.jv2 = Cmd("json_verify x2", ["sh", "-c", 'json_verify -q -s < "$0" & '
                                   'json_verify -q -s < "$0"; wait', d.big], None, 2 * d.size)
    c.vt1 = Cmd("vt1", vt + ["--threads", "1", d.big], None, d.size, keep=True)
    c.vtn = Cmd("vtN", vt + [d.big], None, d.size, keep=True)
    c.zcat = Cmd("zcat", ["gzip", "-dc"], d.big_gz, d.size)
    c.vtgz = Cmd("vtgz", vt + [d.big_gz], None, d.size)
    c.jq = Cmd("jq", ["jq", "-n", JQ_AGG, d.big], None, d.size)
    c.g1 = Cmd("group1", vt + ["--threads", "1", d.group], None, d.size, keep=True)
    c.g2 = Cmd("group2", vt + ["--threads", "2", d.group], None, d.size, keep=True)
    c.all = [c.jv, c.jv2, c.vt1, c.vtn, c.zcat, c.vtgz, c.jq, c.g1, c.g2] + \
        [x for pair in c.real.values() for x in pair]
    return c


def parallel_stats(argv):
    """What the parallel read did (VT_PARALLEL_STATS): chunks read again,
    serial fallbacks."""
    p = subprocess.run(argv, env=dict(os.environ, VT_PARALLEL_STATS="1"),
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines = [l for l in p.stderr.splitlines() if "parallel:" in l]
    return lines[-1].split("parallel: ", 1)[1] if lines else "not parallel"


def realistic(c):
    """Issue #16: threads on realistic logs, wall and CPU, one run's ratios."""
    print(f"\n  realistic logs (issue #16)           --threads 1    default   wall ratio  target"
          f"     CPU s: 1 thread / all    CPU ratio  target")
    ok = True
    for k, (one, alln) in c.real.items():
        rw = one.med() / alln.med()
        rc = alln.med_cpu() / one.med_cpu()
        ok &= same(one, alln)
        print(f"  {k + ' file':<34} {one.med():9.3f} s {alln.med():8.3f} s {rw:9.2f}x  >= 1.70x "
              f"{'ok' if rw >= 1.7 else 'BELOW':<5} {one.med_cpu():9.3f} / {alln.med_cpu():.3f} s "
              f"{rc:9.2f}x  <= 1.10x {'ok' if rc <= 1.1 else 'ABOVE'}")
        print(f"  {'':<34} report {'identical' if same(one, alln) else 'DIFFERS'}; "
              f"parallel: {parallel_stats(alln.argv)}")
    return ok


def memory(a, d, c):
    """Peak RSS (KiB) for small, large (and huge) input, one and all threads."""
    mem = {}
    for name, path in (("small", d.small), ("large", d.big)) + ((("huge", d.huge),) if d.huge else ()):
        for t in ("1", "default"):
            argv = c.vt + (["--threads", "1"] if t == "1" else []) + [path]
            mem[(name, t)] = max(peak_rss(argv, a.dir) for _ in range(3 if name == "small" else 1))
    return mem


def idle_run(a, bin_, d):
    """Wall times of 'run' with nothing new: a state that has seen the small file."""
    state = os.path.join(a.dir, "state")
    shutil.rmtree(state, ignore_errors=True)
    argv = [bin_, "run", "--state", state, "--telemetry", "local", "--now", NOW, d.small]
    run(argv)
    return [run(argv)[0] for _ in range(max(21, 4 * a.runs))]


def same(x, y):
    with open(x.out, "rb") as f, open(y.out, "rb") as g:
        return f.read() == g.read()


def figures(c, idle, true_ms):
    """The targets of issue #6; returns the multi-threaded ratios."""
    jv, vt1, vtn, g1, g2 = c.jv, c.vt1, c.vtn, c.g1, c.g2
    print(f"\n  {'figure':<34} {'vmcp-telemetry':>16} {'yardstick':>22} {'ratio':>8} {'target':>9}")
    r1 = jv.med() / vt1.med()
    line("plain file, --threads 1", f"{vt1.mibs():.0f} MiB/s", f"json_verify -s {jv.mibs():.0f}",
         f"{r1:.2f}x", ">= 0.80x", r1 >= 0.8, f"  (cpu {jv.med_cpu() / vt1.med_cpu():.2f}x)")
    rn = jv.med() / vtn.med()
    line(f"plain file, all {os.cpu_count()} threads", f"{vtn.mibs():.0f} MiB/s",
         f"json_verify -s {jv.mibs():.0f}", f"{rn:.2f}x", ">= 1.50x", rn >= 1.5,
         f"  ({vtn.cores():.1f} cores used; report "
         + ("identical to --threads 1)" if same(vt1, vtn) else "DIFFERS FROM --threads 1)"))
    rz = c.zcat.med() / c.vtgz.med()
    line(".gz file (all threads)", f"{c.vtgz.mibs():.0f} MiB/s", f"zcat {c.zcat.mibs():.0f}",
         f"{rz:.2f}x", ">= 0.91x", rz >= 1 / 1.1,
         f"  ({c.vtgz.cores():.1f} cores used: inflating and parsing)")
    rj = c.jq.med() / vtn.med()
    line("vs jq (count by outcome)", f"{vtn.mibs():.0f} MiB/s", f"jq {c.jq.mibs():.1f}",
         f"{rj:.1f}x", ">= 10x", rj >= 10, f"  (--threads 1: {c.jq.med() / vt1.med():.1f}x)")
    rg = g1.med() / g2.med()
    line("2 rotated .gz files, 2 threads", f"{g2.mibs():.0f} MiB/s", f"--threads 1 {g1.mibs():.0f}",
         f"{rg:.2f}x", ">= 1.70x", rg >= 1.7,
         f"  ({g2.cores():.1f} cores used; report "
         + ("identical)" if same(g1, g2) else "DIFFERS FROM --threads 1)"))
    idle_ms = statistics.median(idle) * 1000
    line("run, nothing new", f"{idle_ms:.1f} ms", f"(/bin/true {true_ms:.1f} ms)", "", "< 10 ms",
         idle_ms < 10, f"  (min {min(idle) * 1000:.1f} ms of {len(idle)})")
    par = 2 * jv.med() / c.jv2.med()
    print(f"\n  the machine now: two json_verify at once do {par:.2f}x the work of one in the same "
          f"time (2.00 with two free cores);\n  the multi-threaded ratios scaled by 2/{par:.2f}, "
          f"an estimate for two free cores: plain {rn * 2 / par:.2f}x, "
          f"2 rotated .gz {rg * 2 / par:.2f}x")


def memory_table(a, d, c, mem):
    names = ("small", "large") + (("huge",) if d.huge else ())
    print("\n  peak RSS (MiB)                     small   large" + ("    huge" if d.huge else ""))
    for t in ("1", "default"):
        vals = [mem[(n, t)] / 1024 for n in names]
        grow = vals[-1] - vals[0]
        print(f"  {'--threads ' + t:<34} " + " ".join(f"{v:7.1f}" for v in vals) +
              f"   {'ok' if grow <= 4 else 'GROWS'}: {grow:+.1f} MiB from "
              f"{a.small_mb:g} to {(a.huge_mb or a.mb):g} MiB of input")
    yard = {n: peak_rss(v, a.dir) / 1024 for n, v in
            (("json_verify", ["sh", "-c", 'exec json_verify -q -s < "$0"', d.big]),
             ("zcat", ["sh", "-c", 'exec gzip -dc < "$0"', d.big_gz]), ("jq", c.jq.argv),
             (".gz", c.vtgz.argv), ("2 .gz files, 2 threads", c.g2.argv))}
    print("  other peaks: " + ", ".join(f"{n} {v:.1f}" for n, v in yard.items()))


def context(d):
    print("\n  context (same run, small file, 1 run each): ", end="", flush=True)
    ctx = [("python3 json+Counter", [sys.executable, "-c", PY_AGG, d.small])]
    if shutil.which("mlr"):
        ctx.append(("mlr count -g", ["mlr"] + MLR_AGG + [d.small]))
    ssize = os.path.getsize(d.small)
    print("; ".join(f"{n} {ssize / 2**20 / run(v)[0]:.0f} MiB/s" for n, v in ctx))


def only_realistic(a, c, load0):
    """make bench BENCH_ONLY=realistic: the figures of issue #16 alone."""
    one = c.real["plain"][0]
    # the machine's own parallelism now: two one-thread runs at once
    two = Cmd("real-plain1 x2", ["sh", "-c", '"$0" "$@" >/dev/null & "$0" "$@" >/dev/null; wait']
              + one.argv)
    cmds = [x for pair in c.real.values() for x in pair] + [two]
    for x in cmds[::2]:  # warm the page cache
        run(x.argv)
    interleave(cmds, a.runs, os.path.join(a.dir, "out"))
    ok = realistic(c)
    par = 2 * one.med() / two.med()
    print(f"\n  the machine now: two --threads 1 runs at once do {par:.2f}x the work of one in the "
          f"same time (2.00 with two free cores)")
    load1 = os.getloadavg()[0]
    print(f"  load average: {load0:.2f} at start, {load1:.2f} at end" +
          ("  (a busy machine: ratios are noisy)" if max(load0, load1) > 0.5 else ""))
    return 0 if ok else 1


def main():
    a = args()
    bin_ = os.path.abspath(a.bin)
    out = os.path.join(a.dir, "out")
    os.makedirs(out, exist_ok=True)
    for tool in ("json_verify", "jq", "gzip", "/usr/bin/time"):
        if a.only == "all" and not shutil.which(tool):
            sys.exit(f"bench: {tool} is missing (sh tools/bench/deps.sh installs it)")
    print(f"vmcp-telemetry bench: make bench BENCH_MB={a.mb:g} BENCH_SMALL_MB={a.small_mb:g} "
          f"BENCH_RUNS={a.runs}" + (f" BENCH_HUGE_MB={a.huge_mb:g}" if a.huge_mb else "")
          + (f" BENCH_ONLY={a.only}" if a.only != "all" else ""))
    print(f"machine: {machine()}")
    print(f"software: {versions(bin_)}")
    d = prepare(a)
    c = commands(bin_, d, a.dir)
    deadline = time.time() + a.wait_idle
    while os.getloadavg()[0] >= 0.3 and time.time() < deadline:
        time.sleep(5)
    load0 = os.getloadavg()[0]
    print(f"timing: medians of {a.runs} interleaved runs, wall time ...", flush=True)
    if a.only == "realistic":
        return only_realistic(a, c, load0)
    for x in (c.jv, c.zcat, c.g1):  # warm the page cache
        run(x.argv, x.stdin)
    interleave(c.all, a.runs, out)
    mem = memory(a, d, c)
    idle = idle_run(a, bin_, d)
    true_ms = statistics.median(run(["true"])[0] for _ in range(21)) * 1000
    load1 = os.getloadavg()[0]
    figures(c, idle, true_ms)
    real_ok = realistic(c)
    memory_table(a, d, c, mem)
    context(d)
    print(f"  load average: {load0:.2f} at start, {load1:.2f} at end" +
          ("  (a busy machine: ratios are noisy)" if max(load0, load1) > 0.5 else ""))
    print("  CPU medians (s): " + ", ".join(f"{x.name} {x.med_cpu():.3f}" for x in c.all))
    with open(os.path.join(a.dir, "bench.json"), "w") as f:
        json.dump({x.name: {"wall": x.wall, "cpu": x.cpu} for x in c.all}, f, indent=1)
    return 0 if same(c.vt1, c.vtn) and same(c.g1, c.g2) and real_ok else 1


if __name__ == "__main__":
    sys.exit(main())
