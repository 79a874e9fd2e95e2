#!/usr/bin/env python3
# Writes SIZE_MB of vMCP log to OUT, deterministically (seed 20261125).
#
# Default ("clean"): a server's start-up lines, then audit events of the
# shapes in docs/inputs.md and ToolHive's audit code, about 700 bytes a
# line, mostly tools/call with the odd initialize and tools/list: the
# audit logFile, bare JSON that json_verify and jq read too.
#
# --realistic: what a real log holds (issue #16): three servers' lines
# interleaved in one file, each with its own start-up, restarts and
# configuration changes mid-file, malformed lines, and now and then an
# event over 16 KiB; --wrapper cri|docker wraps every line as containerd
# (P parts for the long ones, start-up lines on stderr) or Docker's
# json-file driver (split chunks) writes it.
#   python3 tools/bench/gen.py SIZE_MB OUT [--realistic] [--wrapper W]
import argparse
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shapes  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("size_mb", type=float)
ap.add_argument("out")
ap.add_argument("--realistic", action="store_true")
ap.add_argument("--wrapper", choices=["none", "cri", "docker"], default="none")
a = ap.parse_args()
size = int(a.size_mb * 1024 * 1024)
out = open(a.out, "w")
R = random.Random(20261125)


def clean():
    t = 0.0
    written = 0
    for msg in ["Loading configuration from: /etc/vmcp-config/config.yaml", "Discovered 4 backends",
                "  Conflict Resolution: prefix", "starting Virtual MCP Server"]:
        line = shapes.dumps({"time": shapes.ts(R, t), "level": "INFO", "msg": msg})
        out.write(line + "\n")
        written += len(line) + 1
    while written < size:
        t += R.random() * 0.05
        line = shapes.audit(R, t)
        out.write(line + "\n")
        written += len(line) + 1


def big(line):
    """Now and then an event with a large request (over 16 KiB: split)."""
    if R.random() < 0.002 and line.endswith("}}}") and '"mcp_tool_call"' in line:
        return line[:-1] + ',"data":{"request":{"query":"' + "x" * R.randint(17000, 40000) + '"}}}'
    return line


def realistic():
    servers = [shapes.server_lines(R, R.random() * 60, 1 << 40, ["vmcp-%s" % n],
                                   restart_rate=0.0005, bad_rate=0.0005)
               for n in ("alpha", "beta", "gamma")]
    written = 0
    while written < size:
        t, line = next(R.choice(servers))
        text = "\n".join(shapes.wrap(R, t, big(line), a.wrapper)) + "\n"
        out.write(text)
        written += len(text)


if a.realistic or a.wrapper != "none":
    realistic()
else:
    clean()
out.close()
