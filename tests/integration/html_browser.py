#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The HTML report in a real browser: headless Chromium (browser.py).

    html_browser.py OUTDIR PAGE.html [PAGE.html ...]

Every page is loaded at a desktop (1280x900) and a phone (375x812) size,
and must:
  - ask for nothing but itself: no network request at all;
  - fit the window: no horizontal scrolling at either size, and no chart
    text cut off at the edge of its chart;
  - draw something: each screenshot has colours and ink (html_check.py);
the first page must also print to a PDF with pages.

Then the same check is shown able to fail, against a local HTTP server:
a copy of the first page without its Content-Security-Policy and with an
<img src="http://127.0.0.1:PORT/x"> must show that request (and the
server must see it); a copy that keeps the policy must show the request
blocked by it ("csp"), and the server must see nothing.

Prints one line per failure and exits 1, or prints "ok N" and exits 0.
"""
import http.server
import os
import re
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser  # noqa: E402
import html_check  # noqa: E402

SIZES = ["1280x900", "375x812"]
failures = []
passed = [0]


def expect(cond, msg):
    if cond:
        passed[0] += 1
    else:
        failures.append(msg)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def serve():
    """An HTTP server on a free loopback port that records the paths asked."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, hits


def check_page(b, out, page, first):
    r = browser.visit(b, page, SIZES, out, pdf=first)
    others = [u for u in r["requests"] if u != r["url"]]
    expect(not others, f"{page}: the page asked for {others}")
    for size, s in r["sizes"].items():
        expect(s["scroll_width"] <= s["client_width"],
               f"{page} at {size}: {s['scroll_width']} px wide in a "
               f"{s['client_width']} px window (horizontal scroll)")
        expect(not s["clipped_text"],
               f"{page} at {size}: chart text cut off: {s['clipped_text']}")
        html_check.problems.clear()
        html_check.check_png(s["png"], 8, 3.0)
        expect(not html_check.problems, "; ".join(html_check.problems))
    if first:
        html_check.problems.clear()
        html_check.check_pdf(r.get("pdf", ""), 2)
        expect(not html_check.problems, "; ".join(html_check.problems))


def check_detector(b, out, page):
    srv, hits = serve()
    url = f"http://127.0.0.1:{srv.server_address[1]}/x"
    with open(page, encoding="utf-8") as f:
        text = f.read()
    img = f'<img src="{url}" alt=""/></body>'
    no_csp = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "",
                    text).replace("</body>", img)
    with_csp = text.replace("</body>", img)
    try:
        for name, doc in (("no-csp", no_csp), ("csp", with_csp)):
            path = os.path.join(out, f"fetching-{name}.html")
            with open(path, "w", encoding="utf-8") as f:
                f.write(doc)
            hits.clear()
            r = browser.visit(b, path, SIZES[:1], out)
            expect(url in r["requests"],
                   f"{name}: the request to {url} was not seen")
            if name == "no-csp":
                expect(hits == ["/x"], f"no-csp: the server saw {hits}")
            else:
                expect({"url": url, "reason": "csp"} in r["blocked"],
                       f"csp: the request was not blocked: {r['blocked']}")
                expect(hits == [], f"csp: the server saw {hits}")
    finally:
        srv.shutdown()
        srv.server_close()


def with_browser(name, checks):
    """Runs checks(b) in one headless Chromium; prints the failures (each
    prefixed with name) or "ok N"; returns the exit status."""
    b = browser.Browser(browser.chromium_path())
    try:
        checks(b)
    except (TimeoutError, EOFError, RuntimeError, OSError, ValueError) as e:
        failures.append(f"the browser failed: {e}")
    finally:
        b.close()
    for f in failures:
        print(f"{name}: {f}")
    if not failures:
        print(f"ok {passed[0]}")
    return 1 if failures else 0


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out, pages = argv[0], argv[1:]

    def checks(b):
        for i, page in enumerate(pages):
            check_page(b, out, page, i == 0)
        check_detector(b, out, pages[0])
    return with_browser("html_browser", checks)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
