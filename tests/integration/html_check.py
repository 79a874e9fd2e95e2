#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks an HTML report, and the images and PDFs a browser made of it.

    html_check.py page PAGE.html [REPORT.json]
        well-formed (as XML, and as HTML: only void and SVG elements
        self-close), self-contained (no script, no element or attribute
        that fetches, nothing that names http:, https: or //, a
        Content-Security-Policy that forbids fetching), accessible (every
        chart an SVG with role="img" and a title and description it
        references, unique ids, a table beside every chart) and, given
        the JSON report of the same input, showing the same numbers.
    html_check.py png FILE.png MIN_COLOURS MIN_INK_PERCENT
        decodes the PNG (zlib only) and checks it is not blank: at least
        MIN_COLOURS distinct colours, and at least MIN_INK_PERCENT of the
        pixels differ from the most common (background) colour.
    html_check.py pdf FILE.pdf MIN_PAGES
        the PDF has at least MIN_PAGES pages.

Prints what is wrong and exits 1, or exits 0 silently.
"""
import collections
import datetime
import html.parser
import json
import re
import struct
import sys
import xml.etree.ElementTree as ET
import zlib

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}
SVG = {"svg", "g", "rect", "line", "text", "title", "desc", "path",
       "circle", "polyline"}
# Elements that fetch, run or embed something.
FORBIDDEN = {"script", "img", "iframe", "frame", "object", "embed", "link",
             "base", "form", "audio", "video", "source", "picture", "image",
             "use", "foreignObject", "noscript", "template"}
URL_ATTRS = {"src", "href", "xlink:href", "action", "data", "poster",
             "srcset", "background", "formaction", "ping"}

problems = []


def bad(msg):
    problems.append(msg)


class Balance(html.parser.HTMLParser):
    """Tag balance as an HTML parser sees it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []

    def handle_starttag(self, tag, attrs):
        self.attrs(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.attrs(tag, attrs)
        if tag not in VOID and tag not in SVG:
            bad(f"<{tag}/> self-closes, which HTML ignores")

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            bad(f"</{tag}> does not close {self.stack[-1:]} ")
        else:
            self.stack.pop()

    def attrs(self, tag, attrs):
        if tag in FORBIDDEN:
            bad(f"forbidden element <{tag}>")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                bad(f"event handler attribute {name} on <{tag}>")
            if name in URL_ATTRS and not value.startswith("#"):
                bad(f"<{tag} {name}=...> may fetch")
            if name == "style" or "//" in value or "url(" in value:
                bad(f"<{tag} {name}> holds a style or an address")


def text_of(e):
    return "".join(e.itertext()).strip()


def check_self_contained(text):
    for needle in ("http:", "https:", "ftp:", "javascript:", "data:",
                   "@import", "url(", "<script"):
        if needle in text.lower():
            bad(f"the page contains {needle!r}")
    m = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"',
                  text)
    if not m or "default-src 'none'" not in m.group(1):
        bad("no Content-Security-Policy with default-src 'none'")
    for style in re.findall(r"<style>(.*?)</style>", text, re.S):
        if "//" in style:
            bad("the style sheet contains //")


def check_accessible(root):
    ids = collections.Counter(e.get("id") for e in root.iter() if e.get("id"))
    for i, n in ids.items():
        if n > 1:
            bad(f"id {i!r} used {n} times")
    byid = {e.get("id"): e for e in root.iter() if e.get("id")}
    if root.get("lang") != "en":
        bad("<html> has no lang")
    for svg in root.iter("svg"):
        refs = (svg.get("aria-labelledby") or "").split()
        if svg.get("role") != "img" or len(refs) != 2:
            bad("an <svg> without role=img and aria-labelledby")
            continue
        kids = {c.get("id"): c for c in svg}
        for ref, tag in zip(refs, ("title", "desc")):
            e = kids.get(ref)
            if e is None or e.tag != tag or not text_of(e):
                bad(f"svg's {tag} {ref!r} missing or empty")
        if not svg.get("viewBox"):
            bad("an <svg> without viewBox does not scale")
    for fig in root.iter("figure"):
        if not text_of(fig.find("figcaption")):
            bad(f"figure {fig.get('id')} has no caption")
        empty = [p for p in fig.iter("p") if p.get("class") == "empty"]
        if not empty and (not list(fig.iter("svg"))
                          or not list(fig.iter("table"))):
            bad(f"figure {fig.get('id')} has no chart or no table")
    for table in root.iter("table"):
        if table.find("thead") is None:
            bad("a table without headings")
    return byid


def number(s):
    s = s.strip().replace(",", "")
    if not re.fullmatch(r"\d+", s):
        bad(f"not a count: {s!r}")
        return -1
    return int(s)


def rows(table):
    out = []
    for tr in table.find("tbody"):
        cells = list(tr)
        out.append((text_of(cells[0]), number(text_of(cells[1]))))
    return out


def field(report, path):
    v = report
    for k in path.split("."):
        v = v[k]
    return v


def hour_start(label):
    m = re.match(r"(\d{4}-\d\d-\d\d)(?: (\d\d:\d\d))?", label)
    t = m.group(1) + "T" + (m.group(2) or "00:00") + ":00+00:00"
    return datetime.datetime.fromisoformat(t).timestamp()


def check_timeline(table, hours):
    r = rows(table)
    starts = [hour_start(label) for label, _ in r]
    step = starts[1] - starts[0] if len(starts) > 1 else None
    counts = {hour_start(h.replace("T", " ").replace("Z", "")): c
              for h, c in hours.items()}
    for i, (label, shown) in enumerate(r):
        end = starts[i + 1] if i + 1 < len(r) else (
            starts[i] + step if step else float("inf"))
        want = sum(c for t, c in counts.items() if starts[i] <= t < end)
        if shown != want:
            bad(f"timeline {label}: {shown}, the JSON has {want}")
    if sum(c for _, c in r) != sum(hours.values()):
        bad("timeline total differs from usage.tool_calls_by_hour")


KPIS = {
    "Instances": "deployment.instances", "Processes": "deployment.processes",
    "Restarts": "operational.restarts",
    "Configuration changes": "operational.config_changes",
    "Sessions": "usage.sessions", "Tool calls": "usage.tool_calls.total",
    "Discover probes": "usage.server_discover_probes",
    "Successful tool calls": "usage.tool_calls.by_outcome.success",
    "Composite tool runs": "usage.composite_tool_executions.started",
    "Files read": "quality.files", "Lines read": "quality.lines_read",
    "Audit events": "quality.events",
}


def check_numbers(root, report):
    for div in root.iter("div"):
        dt, dd = div.find("dt"), div.find("dd")
        if dt is None or dd is None:
            continue
        q = report["quality"]
        want = (q["files_failed"] + q["lines_malformed"] + q["lines_too_long"]
                + q["lines_unrecognized"]) if text_of(dt) == "Input not counted" \
            else field(report, KPIS[text_of(dt)])
        if number(text_of(dd)) != want:
            bad(f"key number {text_of(dt)}: {text_of(dd)}, JSON {want}")
    figures = 0
    for fig in root.iter("figure"):
        path = text_of(fig.find("figcaption").find(".//code"))
        want = field(report, path)
        table = fig.find(".//table")
        if path == "usage.tool_calls_by_hour":
            if table is not None:
                check_timeline(table, want)
            elif want:
                bad("the timeline is empty but the JSON has hours")
            continue
        shown = dict(rows(table)) if table is not None else {}
        if {k: v for k, v in shown.items() if v} != \
                {k: v for k, v in want.items() if v}:
            bad(f"figure {path}: {shown} differs from the JSON's {want}")
        figures += 1
    if figures < 15:
        bad(f"only {figures} figures with numbers")
    quality = root.find(".//table[@class='quality']")
    for name, count in rows(quality):
        if field(report["quality"], name) != count:
            bad(f"quality {name}: {count} differs from the JSON")


def check_page(path, json_path=None):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    Balance().feed(text)
    check_self_contained(text)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        bad(f"not well-formed: {e}")
        return
    check_accessible(root)
    if json_path:
        with open(json_path, encoding="utf-8") as f:
            check_numbers(root, json.load(f))


def png_pixels(path):
    """Yields the PNG's pixels as tuples (8-bit RGB or RGBA, no interlace)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, type {ctype})")
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    prev = bytearray(stride)
    for y in range(h):
        off = y * (stride + 1)
        ftype, line = raw[off], bytearray(raw[off + 1:off + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 255
        for x in range(0, stride, bpp):
            yield bytes(line[x:x + 3])
        prev = line


def check_png(path, min_colours, min_ink):
    counts = collections.Counter(png_pixels(path))
    total = sum(counts.values())
    background = counts.most_common(1)[0][1]
    ink = 100.0 * (total - background) / total
    if len(counts) < min_colours:
        bad(f"{path}: {len(counts)} colours, want at least {min_colours}")
    if ink < min_ink:
        bad(f"{path}: {ink:.2f}% of pixels drawn, want at least {min_ink}%")


def check_pdf(path, min_pages):
    with open(path, "rb") as f:
        data = f.read()
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    if not data.startswith(b"%PDF-") or pages < min_pages:
        bad(f"{path}: {pages} pages, want at least {min_pages}")


def main(argv):
    if len(argv) >= 2 and argv[0] == "page":
        check_page(*argv[1:3])
    elif len(argv) == 4 and argv[0] == "png":
        check_png(argv[1], int(argv[2]), float(argv[3]))
    elif len(argv) == 3 and argv[0] == "pdf":
        check_pdf(argv[1], int(argv[2]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for p in problems[:30]:
        print(f"html_check: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
