#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks the Dockerfile's assumptions that can be checked without an engine.

  check_image.py DOCKERFILE BIN TMPDIR      (run from the source tree root)

- The runtime stage installs, directly or through the packages' Depends,
  the Debian package of every shared library the binary loads (readelf's
  NEEDED entries, the sonames it names for dlopen (libcurl, loaded only to
  upload) and everything ldd resolves behind them; dpkg -S names the
  package, dpkg-query the dependencies). Needs a Debian 12 host, like the
  build stage.
- The build stage installs every -dev package the Makefile names.
- Both stages are the same Debian release.
- The image runs as a numeric, non-root user.
- ENTRYPOINT is the path 'make install' puts the binary at, with the build
  stage's PREFIX, and the runtime stage copies exactly that file.
- The stage named "collector" (docker build --target collector), when
  there is one, holds the same for vmcp-telemetry-collector (BIN's
  neighbour): every library it loads, a numeric non-root USER, and the
  ENTRYPOINT that make install fills.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys

DOCKERFILE, BIN, TMP = sys.argv[1:4]
failures = 0
passes = 0


def bad(msg):
    global failures
    failures += 1
    print(f"FAIL: {msg}")


def good():
    global passes
    passes += 1


def stages(path):
    """[(image, alias, [(instruction, argument)])] with continuations joined."""
    text = open(path).read().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instr, _, arg = line.partition(" ")
        instr = instr.upper()
        arg = arg.strip()
        if instr == "FROM":
            m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?$", arg, re.I)
            out.append((m.group(1), m.group(2), []))
        elif out:
            out[-1][2].append((instr, arg))
    return out


def apt_packages(stage):
    pkgs = []
    for instr, arg in stage[2]:
        if instr != "RUN":
            continue
        for cmd in re.split(r"&&|;", arg):
            words = shlex.split(cmd)
            if "apt-get" in words and "install" in words:
                pkgs += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return pkgs


def dpkg_closure(roots):
    """The installed packages that installing ROOTS brings (Depends, Pre-Depends)."""
    seen, pending = set(), list(roots)
    while pending:
        p = pending.pop()
        if p in seen:
            continue
        seen.add(p)
        r = subprocess.run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", p],
                           capture_output=True, text=True)
        if r.returncode != 0:
            continue  # a virtual package or an alternative not installed here
        for dep in r.stdout.split(","):
            for alt in dep.split("|"):
                name = alt.strip().split(" ")[0].split(":")[0]
                if name:
                    pending.append(name)
    return seen


def package_of(lib_path):
    for p in (lib_path, "/usr" + lib_path, lib_path.replace("/usr/", "/", 1), os.path.realpath(lib_path)):
        r = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":")[0].strip()
    return None


def loaded_libraries(binary):
    """NEEDED sonames, and {soname: path} of everything the loader resolves."""
    dyn = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn)
    resolved = {}
    for line in subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout.splitlines():
        m = re.match(r"\s*(\S+) => (/\S+)", line) or re.match(r"\s*(/\S+) \(", line)
        if m:
            resolved[os.path.basename(m.group(1))] = m.group(2) if m.lastindex == 2 else m.group(1)
    return needed, resolved


def dlopened_libraries(binary, needed):
    """{soname: path} of the libraries the binary names for dlopen (libcurl,
    loaded only to upload) and of what the loader resolves behind them."""
    data = open(binary, "rb").read()
    names = set(n.decode() for n in re.findall(rb"lib[\w+-]+\.so\.\d+", data)) - set(needed)
    # ldconfig is in /sbin, which a user's PATH may not hold
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    cache = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, check=True).stdout
    found = {}
    for soname in sorted(names):
        m = re.search(r"^\s*" + re.escape(soname) + r" \(libc6,x86-64\) => (/\S+)", cache, re.M)
        if not m:
            m = re.search(r"^\s*" + re.escape(soname) + r" \([^)]*\) => (/\S+)", cache, re.M)
        if not m:
            bad(f"{binary} names {soname} for dlopen, which this host cannot resolve")
            continue
        found[soname] = m.group(1)
        _, behind = loaded_libraries(m.group(1))
        found.update(behind)
    return found


def check_libraries(runtime, binary=None):
    binary = binary or BIN
    try:
        release = open("/etc/debian_version").read().split(".")[0]
    except OSError:
        release = ""
    if release != "12":
        print(f"check_image: SKIP the library check: the host is not Debian 12 ({release or 'no Debian'})")
        return
    closure = dpkg_closure(apt_packages(runtime))
    needed, resolved = loaded_libraries(binary)
    if not needed:
        bad(f"{binary}: no NEEDED entries (is it dynamically linked?)")
    for soname in needed:
        if soname not in resolved:
            bad(f"{binary} needs {soname}, which ldd does not resolve")
    opened = dlopened_libraries(binary, needed)
    if binary == BIN and not any(n.startswith("libcurl.so.") for n in opened):
        bad(f"{binary} names no libcurl for dlopen: the upload could never load it")
    for soname, path in opened.items():
        resolved.setdefault(soname, path)
    for soname, path in sorted(resolved.items()):
        pkg = package_of(path)
        kind = "NEEDED" if soname in needed else "dlopen" if soname in opened else "loaded"
        if pkg is None:
            bad(f"{soname} ({path}): no Debian package owns it")
        elif pkg not in closure:
            bad(f"{soname} ({kind}) comes from {pkg}, which the runtime stage does not install")
        else:
            good()
    print(f"check_image: {len(needed)} NEEDED, {len(opened)} behind dlopen and {len(resolved)} loaded libraries, "
          f"all from the {len(closure)} packages the runtime stage's "
          f"{len(apt_packages(runtime))} bring")


def check_build_stage(build):
    pkgs = set(apt_packages(build))
    makefile = open("Makefile").read()
    devs = re.findall(r"^pkg_[\w.-]+\s*:=\s*(\S+)", makefile, re.M)
    for d in devs:
        if d == "check":
            continue  # the unit tests' library: not needed to build the binary
        if d in pkgs:
            good()
        else:
            bad(f"the build stage does not install {d} (named in the Makefile)")
    for tool in ("gcc", "make", "pkg-config"):
        if tool not in pkgs:
            bad(f"the build stage does not install {tool}")


def check_user_and_entrypoint(build, runtime, name="vmcp-telemetry"):
    instrs = dict()
    for instr, arg in runtime[2]:
        instrs.setdefault(instr, []).append(arg)
    user = (instrs.get("USER") or [""])[-1]
    m = re.match(r"^(\d+)(?::(\d+))?$", user)
    if not m or int(m.group(1)) == 0:
        bad(f"USER '{user}' is not a numeric non-root user (Kubernetes' runAsNonRoot needs a number)")
    else:
        good()
    entry = (instrs.get("ENTRYPOINT") or [""])[-1]
    if not entry.startswith("["):
        return bad(f"ENTRYPOINT {entry} is not in exec form")
    entry_path = re.findall(r'"([^"]*)"', entry)[0]
    install = " ".join(a for i, a in build[2] if i == "RUN")
    prefix = re.search(r"make install\b[^&;]*\bPREFIX=(\S+)", install)
    destdir = re.search(r"make install\b[^&;]*\bDESTDIR=(\S+)", install)
    if not prefix or not destdir:
        return bad("the build stage does not run 'make install PREFIX=... DESTDIR=...'")
    want = f"{prefix.group(1)}/bin/{name}"
    if entry_path != want:
        bad(f"ENTRYPOINT {entry_path}, but make install PREFIX={prefix.group(1)} installs {want}")
    copies = [a for i, a in runtime[2] if i == "COPY" and a.startswith(f"--from={build[1]}")]
    if f"--from={build[1]} {destdir.group(1)}{want} {want}" not in copies:
        bad(f"the runtime stage does not copy {destdir.group(1)}{want} to {want}: {copies}")
    # The same install, here: the binary lands where ENTRYPOINT looks.
    dest = os.path.join(TMP, "dest")
    subprocess.run(["make", "-s", "--no-print-directory", "install", f"PREFIX={prefix.group(1)}",
                    f"DESTDIR={dest}"], check=True, stdout=subprocess.DEVNULL)
    installed = dest + entry_path
    if not os.access(installed, os.X_OK):
        return bad(f"make install with the build stage's PREFIX and DESTDIR leaves nothing at {installed}")
    r = subprocess.run([installed, "--version"], capture_output=True, text=True)
    if r.returncode == 0 and r.stdout.startswith(name + " "):
        good()
    else:
        bad(f"{installed} --version: exit {r.returncode}")
    print(f"check_image: USER {user}; ENTRYPOINT {entry_path} = make install PREFIX={prefix.group(1)}")


def main():
    st = stages(DOCKERFILE)
    if len(st) < 2 or not st[0][1]:
        bad(f"{DOCKERFILE}: want a named build stage and a runtime stage")
        sys.exit(1)
    build, runtime = st[0], st[-1]
    rel = [re.match(r"debian:(\d+)", s[0]) for s in (build, runtime)]
    if not all(rel) or rel[0].group(1) != rel[1].group(1):
        bad(f"the stages are not the same Debian release: {build[0]}, {runtime[0]}")
    check_build_stage(build)
    check_libraries(runtime)
    check_user_and_entrypoint(build, runtime)
    collector = [x for x in st[1:-1] if x[1] == "collector"]
    if collector:
        coll_bin = os.path.join(os.path.dirname(BIN), "vmcp-telemetry-collector")
        check_libraries(collector[0], coll_bin)
        check_user_and_entrypoint(build, collector[0], "vmcp-telemetry-collector")
    else:
        bad(f"{DOCKERFILE}: no stage named collector (the collector's image)")
    print(f"check_image: {passes} passed, {failures} failed")
    sys.exit(1 if failures else 0)


main()
