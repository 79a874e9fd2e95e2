#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks the systemd unit's SystemCallFilter= against what the binary calls.

  check_syscalls.py BIN UNIT TMPDIR

Runs the real binary under strace the ways the service runs it (report with
threads over plain and .gz files, run in local mode, run in mode on that
uploads to a local receiver over HTTP, status, preview) and checks every
system call it made against the unit's filter, expanded by systemd-analyze
itself (allowed sets minus ~denied sets). A call outside it would fail with
EPERM under the unit (SystemCallErrorNumber=EPERM).
"""
import os
import re
import shutil
import subprocess
import sys
import time

BIN, UNIT, TMP = sys.argv[1:4]
ROOT = os.getcwd()
cache = {}


def expand(group):
    """The system calls of a systemd syscall group, recursively."""
    if group in cache:
        return cache[group]
    out = subprocess.run(["systemd-analyze", "syscall-filter", group],
                         capture_output=True, text=True, check=True).stdout
    names = set()
    for line in out.splitlines()[1:]:
        item = line.strip()
        if not item or item.startswith("#"):
            continue
        names |= expand(item) if item.startswith("@") else {item}
    cache[group] = names
    return names


def unit_filter(path):
    """(allowed, denied) from the unit's SystemCallFilter= lines."""
    allowed, denied = set(), set()
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*SystemCallFilter=(~?)(.*)", line)
            if not m:
                continue
            target = denied if m.group(1) else allowed
            for item in m.group(2).split():
                target |= expand(item) if item.startswith("@") else {item}
    if not allowed:
        sys.exit(f"{path}: no SystemCallFilter= allow list")
    return allowed, denied


def traced(args, env, name):
    """Runs BIN ARGS under strace -f; returns (exit code, syscall names)."""
    out = os.path.join(TMP, f"strace.{name}")
    r = subprocess.run(["strace", "-f", "-qq", "-c", "-o", out, BIN] + args,
                       env=env, capture_output=True, text=True, timeout=300)
    calls = set()
    with open(out) as f:
        for line in f:
            cols = line.split()
            if cols and re.match(r"^[a-z_][a-z0-9_]*$", cols[-1]) and cols[-1] not in ("total", "syscall"):
                calls.add(cols[-1])
    return r.returncode, calls, r.stderr


def families(args, env):
    """The address families of the sockets BIN ARGS opens."""
    out = os.path.join(TMP, "strace.families")
    subprocess.run(["strace", "-f", "-qq", "-e", "trace=socket,socketpair", "-o", out, BIN] + args,
                   env=env, capture_output=True, timeout=300)
    with open(out) as f:
        return set(re.findall(r"socket(?:pair)?\((AF_[A-Z0-9]+)", f.read()))


def unit_families(path):
    with open(path) as f:
        m = re.search(r"^RestrictAddressFamilies=(.*)$", f.read(), re.M)
    return set(m.group(1).split()) if m else None


def start_receiver(d):
    os.makedirs(d)
    with open(os.path.join(d, "script"), "w") as f:
        f.write("200\n")
    p = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests/integration/receiver.py"), d],
                         env=dict(os.environ, RECEIVER_LIFETIME="60"))
    port_file = os.path.join(d, "port")
    for _ in range(200):
        if os.path.exists(port_file) and open(port_file).read().strip():
            return p, open(port_file).read().strip()
        time.sleep(0.05)
    p.kill()
    sys.exit("check_syscalls: the receiver did not start")


def main():
    allowed, denied = unit_filter(UNIT)
    permitted = allowed - denied
    env = {"PATH": os.environ["PATH"], "HOME": TMP, "LC_ALL": "C"}
    logs = os.path.join(TMP, "logs")
    shutil.copytree(os.path.join(ROOT, "fixtures/samples/cli-host"), logs)
    state = os.path.join(TMP, "state")
    token = os.path.join(TMP, "token")
    with open(token, "w") as f:
        f.write("check-syscalls-token\n")
    os.chmod(token, 0o600)
    recv, port = start_receiver(os.path.join(TMP, "recv"))
    on = ["--telemetry=on", f"--endpoint=http://127.0.0.1:{port}/v1", f"--token-file={token}"]
    live = os.path.join(logs, "vmcp.log")
    runs = [
        ("report", ["report", "-q", "--threads=2", "-o", os.path.join(TMP, "r.json.gz"),
                    os.path.join(ROOT, "fixtures/samples")], 0),
        ("run-local", ["run", "-q", f"--state={state}.local", live], 0),
        # consent first, then a flush after it uploads (docs/telemetry.md)
        ("run-consent", ["run", "-q", f"--state={state}", "--now=2026-11-23T12:00:00Z"] + on + [live], 0),
        ("run-upload", ["run", "-q", f"--state={state}", "--flush", "--now=2026-11-25T12:00:00Z"] + on + [live], 0),
        ("status", ["status", f"--state={state}"], 0),
        ("preview", ["preview", f"--state={state}.local"], 0),
    ]
    failures = 0
    seen = set()
    fam = set()
    try:
        for name, args, want in runs:
            rc, calls, err = traced(args, env, name)
            if rc != want:
                print(f"FAIL: {name}: exit {rc}, want {want}: {err.strip()}")
                failures += 1
            seen |= calls
        fam = families(["run", "-q", f"--state={state}.fam", "--now=2026-11-23T12:00:00Z"] + on + [live], env)
        fam |= families(["run", "-q", f"--state={state}.fam", "--flush", "--now=2026-11-25T12:00:00Z"] + on + [live], env)
        wanted = unit_families(UNIT)
        if not fam or wanted is None or not fam <= wanted:
            print(f"FAIL: sockets of families {sorted(fam)}, the unit allows {wanted}")
            failures += 1
        sent = os.listdir(os.path.join(state, "reports", "sent"))
        if not sent:
            print("FAIL: the upload run sent nothing, so its system calls were not seen")
            failures += 1
    finally:
        recv.kill()
        recv.wait()
    outside = sorted(c for c in seen if c not in permitted)
    if outside:
        print(f"FAIL: {UNIT}: the binary calls {', '.join(outside)}, which the unit's "
              "SystemCallFilter= does not allow")
        failures += 1
    print(f"syscalls: {len(seen)} distinct system calls seen over {len(runs)} runs, "
          f"{len(permitted)} permitted by the unit, {len(outside)} outside; "
          f"socket families {' '.join(sorted(fam))}")
    sys.exit(1 if failures else 0)


main()
