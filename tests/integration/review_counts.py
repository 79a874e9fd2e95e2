#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The review fixtures (fixtures/review, written by its gen.py): every number
in expected.json must be what `report` gives, and the committed fixtures
must be what gen.py writes. Also: ToolHive's opt-out is found where adrg/xdg
finds it ($XDG_CONFIG_HOME with a leading ~ or $HOME).

  python3 tests/integration/review_counts.py BIN
"""
import filecmp
import json
import os
import subprocess
import sys
import tempfile

BIN = os.path.abspath(sys.argv[1])
WRAP = os.environ.get("VT_WRAPPER", "").split()
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "review")
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what)


def get(d, path):
    for k in path.split("."):
        if k == "total" and isinstance(d, dict) and "total" not in d:
            d = sum(v for v in d.values() if isinstance(v, int))
        else:
            d = d[k]
    return d


with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), tmp], check=True)
    expected = json.load(open(os.path.join(HERE, "expected.json")))
    check(json.load(open(os.path.join(tmp, "expected.json"))) == expected,
          "expected.json is not what gen.py writes")
    for case, want in sorted(expected.items()):
        d = os.path.join(HERE, case)
        files = sorted(os.listdir(d))
        fresh = filecmp.cmpfiles(d, os.path.join(tmp, case), files, shallow=False)[0]
        check(sorted(fresh) == files and sorted(os.listdir(os.path.join(tmp, case))) == files,
              case + ": committed fixtures differ from gen.py's")
        for threads in ("1", "2"):
            out = subprocess.run(WRAP + [BIN, "report", "-q", "--threads", threads,
                                         "--now", "2026-11-24T00:00:00Z"] +
                                 [os.path.join(d, f) for f in files],
                                 capture_output=True, text=True)
            check(out.returncode == 0, "%s: exit %d: %s" % (case, out.returncode, out.stderr))
            if out.returncode:
                continue
            r = json.loads(out.stdout)
            for path, v in sorted(want.items()):
                got = get(r, path)
                check(got == v, "%s (--threads %s): %s = %r, want %r" % (case, threads, path, got, v))

    # ToolHive's opt-out under XDG_CONFIG_HOME=~/cfg and $HOME/cfg
    home = os.path.join(tmp, "home")
    os.makedirs(os.path.join(home, "cfg", "toolhive"))
    with open(os.path.join(home, "cfg", "toolhive", "config.yaml"), "w") as fp:
        fp.write("disable_usage_metrics: true\n")
    for xdg in ("~/cfg", "$HOME/cfg"):
        state = tempfile.mkdtemp(dir=tmp)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "XDG_CONFIG_HOME": xdg}
        out = subprocess.run(WRAP + [BIN, "status", "--state", state], env=env,
                             capture_output=True, text=True).stdout
        check("disable_usage_metrics" in out, "XDG_CONFIG_HOME=%s: ToolHive's opt-out not found" % xdg)

print("review_counts.py: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
