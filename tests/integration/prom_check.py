#!/usr/bin/python3
# Checks a --format prom output strictly, and against the JSON report of
# the same data: every value must equal the JSON's, and every number of
# the JSON must be in the metrics (or be listed below as left out).
#   prom_check.py REPORT.json METRICS.prom
# Prints the problems and exits 1 when there is any.
import json, re, sys
from calendar import timegm
from time import strptime

from prometheus_client.parser import text_string_to_metric_families

P = "vmcp_telemetry_"
QUALITY = ["lines_read", "events", "app_lines", "lines_blank", "lines_too_long",
           "late_events", "events_before_consent", "files", "files_failed",
           "fields_wrong_type", "fields_out_of_range", "unknown_event_types",
           "bad_timestamps", "lines_without_time", "nul_bytes_skipped",
           "lines_over_instance_cap", "files_lost", "files_reset"]
SCALARS = {
    "instances": ("deployment", "instances"),
    "processes": ("deployment", "processes"),
    "instances_configured": ("deployment", "instances_configured"),
    "sessions_total": ("usage", "sessions"),
    "restarts_total": ("operational", "restarts"),
    "config_changes_total": ("operational", "config_changes"),
    "server_discover_probes_total": ("usage", "server_discover_probes"),
}
SCALARS.update({q + "_total": ("quality", q) for q in QUALITY})
MAPS = {
    "instances_by_backends": (("deployment", "backends_per_instance"), "bucket"),
    "instances_by_conflict_resolution": (("deployment", "conflict_resolution"), "strategy"),
    "instances_by_incoming_auth": (("deployment", "incoming_auth"), "type"),
    "instances_by_outgoing_auth": (("deployment", "outgoing_auth"), "strategy"),
    "instances_by_composite_tools_defined": (("deployment", "composite_tools_defined"), "bucket"),
    "instances_with_feature": (("deployment", "features"), "feature"),
    "instances_by_session_storage": (("deployment", "session_storage"), "provider"),
    "composite_steps_defined": (("deployment", "composite_steps_defined"), "step_type"),
    "tool_calls_total": (("usage", "tool_calls", "by_outcome"), "outcome"),
    "instances_by_tool_calls": (("usage", "tool_calls_per_instance"), "bucket"),
    "tool_calls_by_duration_total": (("usage", "tool_call_duration_ms"), "bucket"),
    "composite_tool_executions_total": (("usage", "composite_tool_executions"), "event"),
    "workflow_steps_total": (("usage", "workflow_steps"), "step_type"),
    "workflow_step_results_total": (("usage", "workflow_step_results"), "result"),
    "backend_tool_calls_total": (("usage", "backend_distribution"), "backend"),
    "client_sessions_total": (("usage", "clients"), "client"),
    "server_discover_client_probes_total": (("usage", "server_discover_clients"), "client"),
    "requests_total": (("usage", "requests_by_type"), "type"),
    "instances_by_uptime": (("operational", "uptime_seconds_per_instance"), "bucket"),
    "backend_health_events_total": (("operational", "backend_health"), "event"),
    "lines_malformed_total": (("quality", "malformed_by_reason"), "reason"),
    "lines_unrecognized_total": (("quality", "unrecognized_by_reason"), "reason"),
    "lines_by_wrapper_total": (("quality", "lines_by_wrapper"), "wrapper"),
    "bytes_read": (("quality", "bytes_read"), "bucket"),
    "bytes_lost": (("quality", "bytes_lost"), "bucket"),
}
# JSON numbers that are sums of a labelled metric.
SUMS = {("usage", "tool_calls", "total"): "tool_calls_total",
        ("quality", "lines_malformed"): "lines_malformed_total",
        ("quality", "lines_unrecognized"): "lines_unrecognized_total"}
# JSON numbers left out of the metrics on purpose (docs/formats.md).
LEFT_OUT = [("schema_version",), ("usage", "tool_calls_by_hour")]
INFO_LABELS = ["schema_version", "generator_version", "granularity"]

problems = []


def bad(msg):
    problems.append(msg)


def get(doc, path):
    for k in path:
        doc = doc[k]
    return doc


LINE = re.compile(r'^(?:# (HELP|TYPE) (' + P + r'[a-z_]+) (.+)'
                  r'|(' + P + r'[a-z_]+)(\{[a-z_]+="(?:[^"\\\n]|\\[\\"n])*"'
                  r'(?:,[a-z_]+="(?:[^"\\\n]|\\[\\"n])*")*\})? (0|[1-9][0-9]*))$')
LABEL = re.compile(r'([a-z_]+)="((?:[^"\\]|\\.)*)"')


def lex(text):
    """The series of the text, checking the shape of every line."""
    series, helps, types, order = {}, {}, {}, []
    if not text.endswith("\n"):
        bad("the text does not end with a newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        m = LINE.match(line)
        if not m:
            bad("line %d is not a HELP, TYPE or sample line: %r" % (n, line))
            continue
        if m.group(1):
            kind, name, rest = m.group(1, 2, 3)
            table = helps if kind == "HELP" else types
            if name in table:
                bad("line %d: a second %s for %s" % (n, kind, name))
            if kind == "TYPE" and name not in helps:
                bad("line %d: TYPE before HELP for %s" % (n, name))
            if kind == "TYPE" and rest not in ("counter", "gauge"):
                bad("line %d: type %s" % (n, rest))
            if kind == "TYPE" and (rest == "counter") != name.endswith("_total"):
                bad("line %d: %s is a %s (counters, and only they, end in _total)" % (n, name, rest))
            table[name] = rest
            if kind == "HELP":
                order.append(name)
            continue
        name, labels, value = m.group(4, 5, 6)
        if name not in types or order[-1] != name:
            bad("line %d: sample of %s outside its family" % (n, name))
        pairs = tuple(LABEL.findall(labels or ""))
        key = (name, pairs)
        if key in series:
            bad("line %d: duplicate series %s%s" % (n, name, labels or ""))
        series[key] = int(value)
    return series, types


def by_label(series, name):
    out = {}
    for (n, pairs), v in series.items():
        if n == name:
            if len(pairs) != 1:
                bad("%s: want one label, got %r" % (name, pairs))
                continue
            out[pairs[0][1]] = v
    return out


def compare(doc, series, types):
    covered = set()
    for metric, path in SCALARS.items():
        got = series.get((P + metric, ()))
        if got != get(doc, path):
            bad("%s%s = %r, JSON %s = %r" % (P, metric, got, ".".join(path), get(doc, path)))
        covered.add(path)
    for metric, (path, label) in MAPS.items():
        got = by_label(series, P + metric)
        want = get(doc, path)
        if got != want:
            bad("%s%s = %r, JSON %s = %r" % (P, metric, got, ".".join(path), want))
        if any(pairs and pairs[0][0] != label for (n, pairs) in series if n == P + metric):
            bad("%s%s: label is not %s" % (P, metric, label))
        covered.add(path)
    for path, metric in SUMS.items():
        if sum(by_label(series, P + metric).values()) != get(doc, path):
            bad("JSON %s is not the sum of %s%s" % (".".join(path), P, metric))
        covered.add(path)
    info = [pairs for (n, pairs) in series if n == P + "report_info"]
    want = [("schema_version", str(doc["schema_version"])),
            ("generator_version", doc["generator"]["version"]),
            ("granularity", doc["period"]["granularity"])]
    if info != [tuple(want)] or series[(P + "report_info", tuple(want))] != 1:
        bad("report_info %r, want %r" % (info, want))
    for end in ("start", "end"):
        t = timegm(strptime(doc["period"][end], "%Y-%m-%dT%H:%M:%SZ"))
        if series.get((P + "period_%s_timestamp_seconds" % end, ())) != t:
            bad("period_%s_timestamp_seconds is not %d" % (end, t))
    known = {P + m for m in list(SCALARS) + list(MAPS)} | {
        P + "report_info", P + "period_start_timestamp_seconds", P + "period_end_timestamp_seconds"}
    for name in types:
        if name not in known:
            bad("%s is not checked against the JSON (add it here)" % name)
    return covered


def leaves(doc, path=()):
    if isinstance(doc, dict):
        if path == ("deployment", "instances_sketch"):
            return
        for k, v in doc.items():
            yield from leaves(v, path + (k,))
    elif isinstance(doc, int) and not isinstance(doc, bool):
        yield path


def main():
    doc = json.load(open(sys.argv[1]))
    text = open(sys.argv[2]).read()
    series, types = lex(text)
    covered = compare(doc, series, types)
    for path in leaves(doc):
        if not any(path[:len(c)] == c for c in list(covered) + LEFT_OUT):
            bad("JSON %s has no metric" % ".".join(path))
    # The reference parser must read it too, to the same samples.
    n = sum(len(f.samples) for f in text_string_to_metric_families(text))
    if n != len(series):
        bad("prometheus_client read %d samples, this check %d" % (n, len(series)))
    for p in problems:
        print("prom_check: %s: %s" % (sys.argv[2], p))
    sys.exit(1 if problems else 0)


main()
