#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Opens a page in headless Chromium and reports what the browser saw.

Drives Chromium over the DevTools protocol on --remote-debugging-pipe
(fd 3 in, fd 4 out, NUL-terminated JSON messages): no npm module, no
port. For each window size it loads the page, records every network
request the page made (Network.requestWillBeSent, which also fires for
requests that are then blocked, and which were blocked, with why),
measures the document's width against the window's, finds the SVG texts
that stick out of their chart, and takes a PNG screenshot; optionally
prints the page to PDF.

    browser.py PAGE --size 1280x900 --size 375x812 --out DIR [--pdf]
               [--full] [--chromium PATH]

Writes DIR/PAGE-WxH.png (and DIR/PAGE.pdf), and prints one JSON object:
{"requests": [url, ...], "blocked": [{"url": u, "reason": r}, ...],
 "sizes": {"WxH": {"scroll_width": N, "client_width": N,
                   "clipped_text": [text, ...], "png": path}},
 "pdf": path}.
Exit status 0 when the browser ran, 1 when it did not (start-up failure,
timeout).
"""
import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

TIMEOUT = 60  # seconds for the whole run; never hangs a test suite

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-extensions", "--disable-default-apps",
    "--mute-audio", "--hide-scrollbars", "--remote-debugging-pipe",
]


def chromium_path():
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or \
        shutil.which("chromium-browser") or "/usr/bin/chromium"


class Browser:
    def __init__(self, chromium):
        self.profile = tempfile.mkdtemp(prefix="vt-chromium-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds():  # in the child: the pipes on fds 3 and 4
            r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            [chromium, *FLAGS, "--user-data-dir=" + self.profile,
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, preexec_fn=fds, close_fds=False)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.deadline = time.monotonic() + TIMEOUT
        self.next_id = 0
        self.pending = b""
        self.events = []
        self.targets = []

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_chrome)
        os.close(self.from_chrome)
        shutil.rmtree(self.profile, ignore_errors=True)

    def read_message(self):
        while b"\0" not in self.pending:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer in time")
            ready, _, _ = select.select([self.from_chrome], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self.pending += chunk
        msg, self.pending = self.pending.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self.read_message()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method, session):
        while True:
            for i, ev in enumerate(self.events):
                if ev.get("method") == method and ev.get("sessionId") == session:
                    return self.events.pop(i)
            self.events.append(self.read_message())


def open_page(b, url, width, height):
    """Loads url in a new tab of the given size; returns its session."""
    target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    b.targets.append(target)
    s = b.send("Target.attachToTarget",
               {"targetId": target, "flatten": True})["sessionId"]
    b.send("Network.enable", session=s)
    b.send("Page.enable", session=s)
    b.send("Emulation.setDeviceMetricsOverride",
           {"width": width, "height": height, "deviceScaleFactor": 1,
            "mobile": width < 600}, session=s)
    b.send("Page.navigate", {"url": url}, session=s)
    b.wait_event("Page.loadEventFired", s)
    return s


def requests_of(b, session):
    """The URLs the page asked for, and those the browser then blocked."""
    asked, urls, blocked = [], {}, []
    for ev in b.events:
        if ev.get("sessionId") != session:
            continue
        p = ev.get("params", {})
        if ev.get("method") == "Network.requestWillBeSent":
            asked.append(p["request"]["url"])
            urls[p["requestId"]] = p["request"]["url"]
        elif ev.get("method") == "Network.loadingFailed" and p.get("blockedReason"):
            blocked.append({"url": urls.get(p["requestId"]),
                            "reason": p["blockedReason"]})
    return asked, blocked


def measure(b, s):
    """The document's and the window's width, and the SVG texts that do
    not fit in their SVG's viewBox (clipped), as the browser laid them out."""
    expr = """JSON.stringify([
        document.documentElement.scrollWidth,
        document.documentElement.clientWidth,
        [...document.querySelectorAll("svg text")].filter(t => {
            const b = t.getBBox(), v = t.ownerSVGElement.viewBox.baseVal;
            return b.x < 0 || b.x + b.width > v.width;
        }).map(t => t.textContent)])"""
    r = b.send("Runtime.evaluate", {"expression": expr,
                                    "returnByValue": True}, session=s)
    return json.loads(r["result"]["value"])


def visit(b, page, sizes, out, pdf=False, full=False):
    """Loads page once per size in browser b; returns the result object."""
    url = "file://" + os.path.abspath(page)
    base = os.path.splitext(os.path.basename(page))[0]
    result = {"url": url, "requests": [], "blocked": [], "sizes": {}}
    for size in sizes:
        w, h = (int(x) for x in size.split("x"))
        s = open_page(b, url, w, h)
        scroll, client, clipped = measure(b, s)
        shot = b.send("Page.captureScreenshot",
                      {"format": "png", "captureBeyondViewport": full},
                      session=s)
        png = os.path.join(out, f"{base}-{size}.png")
        with open(png, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        if pdf and "pdf" not in result:
            doc = b.send("Page.printToPDF", {}, session=s)
            result["pdf"] = os.path.join(out, f"{base}.pdf")
            with open(result["pdf"], "wb") as f:
                f.write(base64.b64decode(doc["data"]))
        asked, blocked = requests_of(b, s)
        result["requests"] += asked
        result["blocked"] += blocked
        result["sizes"][size] = {"scroll_width": scroll,
                                 "client_width": client,
                                 "clipped_text": clipped, "png": png}
        b.send("Target.closeTarget", {"targetId": b.targets.pop()})
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("page")
    ap.add_argument("--size", action="append", default=[])
    ap.add_argument("--out", required=True)
    ap.add_argument("--pdf", action="store_true")
    ap.add_argument("--full", action="store_true",
                    help="screenshot the whole page, not the window")
    ap.add_argument("--chromium", default=chromium_path())
    a = ap.parse_args()
    b = Browser(a.chromium)
    try:
        result = visit(b, a.page, a.size or ["1280x900"], a.out, a.pdf,
                       a.full)
    except (TimeoutError, EOFError, RuntimeError, OSError) as e:
        print(f"browser.py: {e}", file=sys.stderr)
        return 1
    finally:
        b.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
