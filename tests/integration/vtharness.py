# Shared by the Python integration tests (hostile.py, security.py): runs
# the real binary with a clean environment under a timeout, measures its
# peak memory, and keeps every byte it printed so that a planted marker
# can be looked for in all of them at the end.
import gzip
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WRAP = shlex.split(os.environ.get("VT_WRAPPER", ""))
# Under valgrind everything is 20 to 50 times slower: smaller inputs,
# longer timeouts, no memory measurements (valgrind's own would count).
SLOW = bool(WRAP)
NOW = "2026-11-25T00:00:00Z"


class Tally:
    """Checks that pass or fail: expect() each (a failure is printed at
    once, prefixed by name), then finish() prints "NAME: N passed, M
    failed" and gives the exit code. Every Python integration test that
    counts checks uses it."""

    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def expect(self, cond, msg):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {self.name}: {msg}", flush=True)
        return cond

    def finish(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


class Result:
    def __init__(self, rc, out, err, maxrss_kb, timed_out):
        self.rc, self.out, self.err = rc, out, err
        self.maxrss_kb, self.timed_out = maxrss_kb, timed_out

    def text(self):
        return self.err.decode("utf-8", "replace")


class Suite:
    def __init__(self, name, binary):
        self.name = name
        self.bin = os.path.abspath(binary)
        # an unprivileged user runs some cases: what the suite makes is
        # readable and traversable by all, whatever the caller's umask
        os.umask(0o022)
        self.tmp = tempfile.mkdtemp(prefix="vt-%s." % name)
        os.chmod(self.tmp, 0o755)
        self.user_bin = None  # the binary's copy another user can run
        self.passed = 0
        self.failed = 0
        self.case = ""
        self.outputs = []  # (what, bytes) of everything the binary printed
        self.timeout = 900 if SLOW else 120

    # --- bookkeeping ---------------------------------------------------
    def section(self, name):
        self.case = name

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL: [%s] %s" % (self.case, what), flush=True)
        return cond

    def path(self, *parts):
        p = os.path.join(self.tmp, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def write(self, name, data, mode=0o644):
        p = self.path(name)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, mode)
        return p

    def finish(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed, self.failed))
        if os.environ.get("VT_KEEP"):
            print("%s: kept %s" % (self.name, self.tmp))
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        sys.exit(1 if self.failed else 0)

    # --- running the binary ----------------------------------------------
    def reachable_by(self, user):
        """Why USER cannot run cases here, or None when it can.

        The clone may lie where only root can enter (a 0700 home): such a
        user gets a copy of the binary in this suite's own directory, so
        only that directory and its parents must let it through."""
        if os.geteuid() != 0 or shutil.which("setpriv") is None:
            return "not root, or no setpriv"
        if self.user_bin is None:
            d = os.path.join(self.tmp, "user-bin")
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o755)
            self.user_bin = os.path.join(d, os.path.basename(self.bin))
            shutil.copy2(self.bin, self.user_bin)
            os.chmod(self.user_bin, 0o755)
        # a shell that the user runs (setpriv keeps root's capabilities
        # until it execs) must reach the suite's directory and run the copy
        r = subprocess.run(["setpriv", "--reuid=%d" % user, "--regid=%d" % user,
                            "--clear-groups", "--inh-caps=-all", "/bin/sh", "-c",
                            'cd "$1" && exec "$2" --version', "sh", self.tmp,
                            self.user_bin], capture_output=True, cwd="/")
        if r.returncode != 0:
            return "user %d cannot run %s (is %s traversable?)" % (
                user, self.user_bin, self.tmp)
        return None

    def env(self, extra=None):
        # Nothing from the caller's environment: CI=true or DO_NOT_TRACK
        # in a developer's shell must not change a case.
        e = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "HOME": self.tmp,
             "LC_ALL": "C"}
        e.update(extra or {})
        return e

    def vt(self, *args, env=None, user=None, preload=None, stdin=None,
           timeout=None, wrap=True):
        """Runs the binary; never raises, never hangs past the timeout."""
        # An unprivileged user could not write valgrind's logs: no wrapper.
        wrap = wrap and user is None
        binary = self.bin if user is None else self.user_bin
        assert binary, "reachable_by(user) first"
        cmd = ([] if not wrap else WRAP) + [binary] + [str(a) for a in args]
        e = self.env(env)
        if preload:
            e["LD_PRELOAD"] = preload
            # an ASan build insists on its runtime coming first
            e["ASAN_OPTIONS"] = "verify_asan_link_order=0"
        if user is not None:
            # setpriv drops to an unprivileged user with no groups and no
            # capabilities: root would bypass every permission checked.
            cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user,
                   "--clear-groups", "--inh-caps=-all"] + cmd
        out = tempfile.TemporaryFile(dir=self.tmp)
        err = tempfile.TemporaryFile(dir=self.tmp)
        p = subprocess.Popen(cmd, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                             stdout=out, stderr=err, env=e, cwd=self.tmp,
                             start_new_session=True)
        timed_out = []

        def kill():
            timed_out.append(1)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
        t = threading.Timer(timeout or self.timeout, kill)
        t.start()
        _, status, ru = os.wait4(p.pid, 0)
        t.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        r = Result(p.returncode, out.read(), err.read(), ru.ru_maxrss,
                   bool(timed_out))
        out.close()
        err.close()
        self.outputs.append((" ".join(str(a) for a in args)[:120], r.out + r.err))
        self.check(not r.timed_out, "hung: %s" % " ".join(map(str, args))[:200])
        self.check(r.rc >= 0 and r.rc < 128,
                   "killed by a signal or crashed (%d): %s" % (r.rc, " ".join(map(str, args))[:200]))
        return r

    # --- what the binary left behind -----------------------------------
    def files_bytes(self, top):
        """(path, bytes) of every file under top, .gz ones decompressed."""
        for d, _, names in os.walk(top):
            for n in names:
                p = os.path.join(d, n)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                try:
                    with open(p, "rb") as f:
                        data = f.read()
                except OSError:
                    continue
                if n.endswith(".gz"):
                    try:
                        data += gzip.decompress(data)
                    except Exception:
                        pass
                yield p, data

    def no_marker(self, marker, dirs):
        """The marker is in no output and no file under dirs."""
        leaks = [w for w, b in self.outputs if marker in b]
        for top in dirs:
            leaks += [p for p, b in self.files_bytes(top) if marker in b]
        self.check(not leaks, "the planted marker leaked into: %s" % leaks[:5])


def build_preload(suite, source):
    """Builds an LD_PRELOAD shim from tests/integration/SOURCE; its path."""
    out = suite.path("shim", os.path.basename(source).replace(".c", ".so"))
    cc = os.environ.get("CC", "cc")
    r = subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", out,
                        os.path.join(ROOT, "tests", "integration", source), "-ldl"],
                       capture_output=True)
    if r.returncode != 0:
        print(r.stderr.decode(), file=sys.stderr)
        return None
    os.chmod(os.path.dirname(out), 0o755)
    return out
