#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The review fixtures (fixtures/review, written by its gen.py): every number
in expected.json must be what `report` gives, with one thread and two, and
the committed fixtures must be what gen.py writes. Also: ToolHive's opt-out
is found where adrg/xdg finds it ($XDG_CONFIG_HOME with a leading ~ or $HOME).

  python3 tests/integration/review_counts.py BIN
"""
import filecmp
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vtharness import ROOT, Suite  # noqa: E402

S = Suite("review_counts", sys.argv[1])
HERE = os.path.join(ROOT, "fixtures", "review")


def get(d, path):
    for k in path.split("."):
        d = d[k]
    return d


def fixtures_are_generated(expected):
    fresh = S.path("gen", "x")[:-2]
    subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), fresh], check=True)
    S.check(json.load(open(os.path.join(fresh, "expected.json"))) == expected,
            "expected.json is not what gen.py writes")
    for case in sorted(expected):
        files = sorted(os.listdir(os.path.join(HERE, case)))
        same = filecmp.cmpfiles(os.path.join(HERE, case), os.path.join(fresh, case),
                                files, shallow=False)[0]
        S.check(sorted(same) == files and sorted(os.listdir(os.path.join(fresh, case))) == files,
                case + ": committed fixtures differ from gen.py's")


def counts(expected):
    for case, want in sorted(expected.items()):
        S.section(case)
        d = os.path.join(HERE, case)
        paths = [os.path.join(d, f) for f in sorted(os.listdir(d))]
        for threads in ("1", "2"):
            r = S.vt("report", "-q", "--threads", threads, "--now", "2026-11-24T00:00:00Z", *paths)
            if not S.check(r.rc == 0, "--threads %s: exit %d: %s" % (threads, r.rc, r.text())):
                continue
            rep = json.loads(r.out)
            for path, v in sorted(want.items()):
                got = get(rep, path)
                S.check(got == v, "--threads %s: %s = %r, want %r" % (threads, path, got, v))


def toolhive_opt_out():
    S.section("opt-out")
    home = S.path("home", "x")[:-2]
    S.write("home/cfg/toolhive/config.yaml", b"disable_usage_metrics: true\n")
    for i, xdg in enumerate(("~/cfg", "$HOME/cfg")):
        r = S.vt("status", "--state", S.path("state%d" % i, "x")[:-2],
                 env={"HOME": home, "XDG_CONFIG_HOME": xdg})
        S.check(b"disable_usage_metrics" in r.out,
                "XDG_CONFIG_HOME=%s: ToolHive's opt-out not found" % xdg)


expected = json.load(open(os.path.join(HERE, "expected.json")))
fixtures_are_generated(expected)
counts(expected)
toolhive_opt_out()
S.finish()
