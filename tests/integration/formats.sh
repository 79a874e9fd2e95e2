#!/bin/sh
# The views of a report: --format table and --format prom, for report and
# merge. Golden files for the fixtures (fixtures/expected/NAME.table and
# NAME.prom), 80 columns, colour only on a terminal (a real pseudo-
# terminal) and never with NO_COLOR, the metrics parsed by promtool and by
# a strict checker that compares every value with the JSON report.
#   sh tests/integration/formats.sh BIN
#   VT_GOLDEN_UPDATE=1 sh ... BIN     rewrite the golden files
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
. tests/integration/clean-env.sh
IN=fixtures/input
EXP=fixtures/expected
NOW=2026-11-25T00:00:00Z
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# One fleet key for every report: a report made without one is keyed at
# random, and these tests compare views of reports made separately.
KEY=$TMP/fleet-key
printf "formats-test-fleet-key-0123456789\n" >"$KEY"
WRAP=${VT_WRAPPER:-}
PY=/usr/bin/python3 # Debian's, which has python3-prometheus-client
ONPTY="$PY tests/integration/onpty.py"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
vt() { $WRAP "$BIN" "$@"; }

for tool in promtool "$PY"; do
	command -v "$tool" >/dev/null 2>&1 || { bad "$tool is missing ('make deps' installs it)"; }
done
"$PY" -c "import prometheus_client" 2>/dev/null || bad "python3-prometheus-client is missing ('make deps')"

# The report id (and so the table's "report" line) depends on the host and
# the checkout's directory (see run.sh): goldens mask it.
mask() {
	sed -E -e 's/^(  report  )[0-9a-f]{32}$/\1-/' "$1"
}

# width FILE: every line at most 80 columns once colour escapes are
# removed, printable ASCII only
width() {
	"$PY" - "$1" <<'PY'
import re, sys
bad = 0
for n, line in enumerate(open(sys.argv[1], "rb").read().split(b"\n"), 1):
    plain = re.sub(rb"\x1b\[[0-9;]*m", b"", line)
    if len(plain) > 80 or any(c < 0x20 or c > 0x7e for c in plain):
        print("line %d: %d columns or a byte that is not printable ASCII: %r" % (n, len(plain), plain))
        bad = 1
sys.exit(bad)
PY
}

# golden NAME ARGS...: the table and the metrics of the fixture
golden() {
	name=$1
	shift
	vt report --fleet-key-file "$KEY" -q --now "$NOW" "$@" >"$TMP/$name.json"
	for f in table prom; do
		vt report --fleet-key-file "$KEY" -q --now "$NOW" --format $f "$@" >"$TMP/$name.$f"
		[ "${VT_GOLDEN_UPDATE:-}" = 1 ] && cp "$TMP/$name.$f" "$EXP/$name.$f"
		mask "$TMP/$name.$f" >"$TMP/got" && mask "$EXP/$name.$f" >"$TMP/want" &&
			cmp -s "$TMP/got" "$TMP/want" && ok ||
			{ bad "$name: --format $f differs from $EXP/$name.$f"; diff -u "$TMP/want" "$TMP/got" | head -30; }
	done
	width "$TMP/$name.table" && ok || bad "$name: the table is wider than 80 columns"
	grep -q "$(sed -n 's/^  "report_id": "\(.*\)",$/\1/p' "$TMP/$name.json")" "$TMP/$name.table" && ok ||
		bad "$name: the table does not name the JSON's report id"
	promtool check metrics <"$TMP/$name.prom" >"$TMP/promtool.out" 2>&1 && ok ||
		{ bad "$name: promtool check metrics"; cat "$TMP/promtool.out"; }
	"$PY" tests/integration/prom_check.py "$TMP/$name.json" "$TMP/$name.prom" && ok ||
		bad "$name: the metrics are not the JSON report's"
}

golden samples fixtures/samples/
golden events $IN/events.jsonl
golden malformed $IN/malformed.jsonl
golden rotated "$IN/rotated.log*"
golden wrappers $IN/cri.log $IN/docker.log
golden damaged-gzip $IN/truncated.log.gz $IN/trailing.log.gz
golden by-component --instance-by component fixtures/samples/
golden empty /dev/null
golden config --vmcp-config fixtures/configs/cli-full.yaml $IN/events.jsonl

# merge --format: the view of the merged shards is the view of the whole
for f in table prom; do
	vt report --fleet-key-file "$KEY" -q --now "$NOW" --format $f fixtures/samples/ $IN/events.jsonl >"$TMP/whole.$f"
	vt report --fleet-key-file "$KEY" -q --now "$NOW" --shard 0/2 -o "$TMP/s0.json.gz" fixtures/samples/ $IN/events.jsonl
	vt report --fleet-key-file "$KEY" -q --now "$NOW" --shard 1/2 -o "$TMP/s1.json" fixtures/samples/ $IN/events.jsonl
	vt merge --format $f "$TMP/s0.json.gz" "$TMP/s1.json" >"$TMP/merged.$f"
	cmp -s "$TMP/whole.$f" "$TMP/merged.$f" && ok ||
		{ bad "merge --format $f of shards differs from the whole"; diff "$TMP/whole.$f" "$TMP/merged.$f" | head; }
done

# --top N: N names, the rest in "other" (samples: 4 backends and other)
vt report --fleet-key-file "$KEY" -q --now "$NOW" --format table --top 2 fixtures/samples/ >"$TMP/top2.table"
sed -n '/^  backends  *[a-z]/,/^  sessions/p' "$TMP/top2.table" | sed '$d' >"$TMP/top2.rows"
[ "$(wc -l <"$TMP/top2.rows")" = 3 ] && grep -q ' jira  *90 ' "$TMP/top2.rows" &&
	grep -q ' fetch  *71 ' "$TMP/top2.rows" && grep -q ' other  *138 ' "$TMP/top2.rows" && ok ||
	{ bad "--top 2: want jira, fetch and other (68+60+10)"; cat "$TMP/top2.rows"; }
for v in 0 -1 1001 x; do
	vt report --fleet-key-file "$KEY" --top "$v" /dev/null >/dev/null 2>&1
	[ $? = 2 ] && ok || bad "--top $v is not a usage error"
done

# A wide report: the largest counts and the longest names still fit.
"$PY" - "$EXP/samples.json" "$TMP/wide.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
big = 2**63 - 1
d["usage"]["backend_distribution"] = {("b%02d-" % i) + "x" * 60: big for i in range(40)}
d["usage"]["backend_distribution"]["other"] = big
d["usage"]["tool_calls"]["by_outcome"] = {k: big for k in d["usage"]["tool_calls"]["by_outcome"]}
d["usage"]["tool_calls"]["total"] = big
d["deployment"]["instances"] = big
d["deployment"]["conflict_resolution"] = {k: big for k in d["deployment"]["conflict_resolution"]}
d["usage"]["requests_by_type"] = {k: big for k in d["usage"]["requests_by_type"]}
d["quality"]["bytes_read"] = {"4611686018427387904-9223372036854775807": big}
json.dump(d, open(sys.argv[2], "w"))
# merge keeps only names on a list: these are given as public names
with open(sys.argv[2] + ".servers", "w") as f:
    f.writelines(n + "\n" for n in d["usage"]["backend_distribution"] if n != "other")
PY
vt merge --servers "$TMP/wide.json.servers" --format table "$TMP/wide.json" >"$TMP/wide.table" && ok || bad "merge of the wide report failed"
width "$TMP/wide.table" && ok || bad "the wide report's table is wider than 80 columns"
grep -q '9223372036854775807' "$TMP/wide.table" && grep -q 'b00-xxxxxxxx' "$TMP/wide.table" && ok ||
	bad "the wide report's counts or names are missing"

# Colour: only when standard output is a terminal, TERM is not dumb and
# NO_COLOR is unset or empty; never with -o FILE or through a pipe.
esc=$(printf '\033[')
colour() { # colour WANT ENV...: run on a pty with ENV, want escapes or not
	want=$1
	shift
	env "$@" $ONPTY --stderr /dev/null -- "$BIN" report --fleet-key-file "$KEY" -q --now "$NOW" --format table fixtures/samples/ >"$TMP/tty.out"
	if grep -F -q "$esc" "$TMP/tty.out"; then got=yes; else got=no; fi
	[ "$got" = "$want" ] && ok || bad "colour with $*: $got, want $want"
}
colour yes TERM=xterm
colour yes TERM=xterm NO_COLOR=
colour no TERM=xterm NO_COLOR=1
colour no TERM=xterm NO_COLOR=0
colour no TERM=dumb
colour no -u TERM
# the same escapes are the only difference from the plain table
tr -d '\r' <"$TMP/tty.out" >"$TMP/tty.plain"
env TERM=xterm $ONPTY --stderr /dev/null -- "$BIN" report --fleet-key-file "$KEY" -q --now "$NOW" --format table fixtures/samples/ |
	tr -d '\r' | sed 's/\x1b\[[0-9;]*m//g' >"$TMP/tty.stripped"
cmp -s "$TMP/tty.stripped" "$TMP/tty.plain" && cmp -s "$TMP/tty.plain" "$TMP/samples.table" && ok ||
	bad "the coloured table is not the plain table plus escapes"
env TERM=xterm $ONPTY --stdout '|' -- "$BIN" report --fleet-key-file "$KEY" -q --format table fixtures/samples/ >"$TMP/pipe.out"
grep -F -q "$esc" "$TMP/pipe.out" && bad "colour through a pipe" || ok
env TERM=xterm $ONPTY -- "$BIN" report --fleet-key-file "$KEY" -q --format table -o "$TMP/o.table" fixtures/samples/ >/dev/null
grep -F -q "$esc" "$TMP/o.table" && bad "colour with -o FILE on a terminal" || ok
width "$TMP/o.table" && ok || bad "-o FILE table too wide"

# -o FILE.prom is replaced atomically (node_exporter reads *.prom only,
# and never sees a half-written file) with mode 0644
mkdir "$TMP/textfile"
(umask 022 && vt report --fleet-key-file "$KEY" -q --now "$NOW" --format prom -o "$TMP/textfile/vmcp.prom" fixtures/samples/)
[ "$(ls "$TMP/textfile")" = vmcp.prom ] && cmp -s "$TMP/textfile/vmcp.prom" "$TMP/samples.prom" && ok ||
	bad "-o FILE.prom left other files or other bytes"
[ "$(stat -c %a "$TMP/textfile/vmcp.prom")" = 644 ] && ok || bad "-o FILE.prom is not mode 0644"

# privacy: the views of every input at once hold no planted string
for f in table prom; do
	vt report --fleet-key-file "$KEY" --now "$NOW" --format $f $IN/private.jsonl $IN/malformed.jsonl $IN >"$TMP/private.$f" 2>/dev/null
done
leaks=0
while IFS= read -r s; do
	[ -n "$s" ] || continue
	if grep -a -F -q -- "$s" "$TMP/private.table" "$TMP/private.prom"; then
		bad "planted string leaked into a view: $s"
		leaks=1
	fi
done <$IN/planted.txt
[ $leaks = 0 ] && ok

# formats on the command line
vt report --fleet-key-file "$KEY" --format html /dev/null >"$TMP/html.out" 2>"$TMP/html.err"
[ $? = 0 ] && head -1 "$TMP/html.out" | grep -q "^<!DOCTYPE html>" && ok || bad "--format html: want a page (tests/integration/html.sh tests it)"
for cmd in report merge; do
	vt $cmd --format xml /dev/null >/dev/null 2>"$TMP/xml.err"
	[ $? = 2 ] && grep -q "unknown format 'xml'" "$TMP/xml.err" && ok || bad "$cmd --format xml is not a usage error"
done
vt report --fleet-key-file "$KEY" --help | grep -q -- "--format FORMAT" && vt merge --help | grep -q -- "--format FORMAT" && ok ||
	bad "--help does not describe --format"

echo "formats.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
