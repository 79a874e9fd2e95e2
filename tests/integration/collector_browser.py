#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The collector's dashboard in headless Chromium (browser.py).

    collector_browser.py URL OUTDIR

URL is a running collector's dashboard (http://127.0.0.1:PORT/). At a
desktop (1280x900) and a phone (390x844) size, the page must ask for
nothing but itself (no network request at all), fit the window (no
horizontal scrolling, no chart text cut off), draw its charts (SVG in
the document) and have ink in its screenshot (html_check.py). The weekly
view (?by=week) must fit too.

Prints one line per failure and "ok N", exits 1 on any failure.
"""
import base64
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser  # noqa: E402
import html_check  # noqa: E402
from html_browser import expect, with_browser  # noqa: E402

SIZES = [(1280, 900), (390, 844)]


def count_svg(b, s):
    r = b.send("Runtime.evaluate", {
        "expression": "document.querySelectorAll('svg').length",
        "returnByValue": True}, session=s)
    return r["result"]["value"]


def check(b, url, out):
    for w, h in SIZES:
        s = browser.open_page(b, url, w, h)
        scroll, client, clipped = browser.measure(b, s)
        expect(scroll <= client,
               f"{url} at {w}px: {scroll} px wide in a {client} px window")
        expect(not clipped, f"{url} at {w}px: chart text cut off: {clipped}")
        expect(count_svg(b, s) >= 5, f"{url} at {w}px: fewer than 5 charts")
        shot = b.send("Page.captureScreenshot", {"format": "png"}, session=s)
        png = os.path.join(out, "dashboard-%d.png" % w)
        with open(png, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        html_check.problems.clear()
        html_check.check_png(png, 8, 3.0)
        expect(not html_check.problems, "; ".join(html_check.problems))
        asked, blocked = browser.requests_of(b, s)
        others = [u for u in asked if u != url]
        expect(not others, f"{url} at {w}px: the page asked for {others}")
        expect(not blocked, f"{url} at {w}px: blocked requests {blocked}")
        b.send("Target.closeTarget", {"targetId": b.targets.pop()})


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    url, out = argv
    os.makedirs(out, exist_ok=True)

    def checks(b):
        check(b, url, out)
        check(b, url + "?by=week", out)
    return with_browser("collector_browser", checks)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
