#!/bin/sh
# Progress on a terminal's stderr: shown there (a real pseudo-terminal),
# erased at the end, never in the way of a diagnostic, never on stdout,
# never when stderr is a file or a pipe, never with -q; counters that
# stay within their totals when several threads add to them.
#   sh tests/integration/progress.sh BIN
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
. tests/integration/clean-env.sh
IN=fixtures/input
NOW=2026-11-25T00:00:00Z
TMP=$(mktemp -d)
# One fleet key: without one every report has a random key of its own.
KEY=$TMP/fleet-key
trap 'rm -rf "$TMP"' EXIT
printf 'progress-fleet-key-0123456789\n' >"$KEY"
WRAP=${VT_WRAPPER:-}
PY=/usr/bin/python3
ONPTY="$PY tests/integration/onpty.py"
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# The first line is drawn before anything is read: no test waits on time.
export VMCP_TELEMETRY_PROGRESS_DELAY=0

# 20 MiB of plain audit log (split in chunks with --threads 2), a .gz in a
# group of its own, and bad lines that make diagnostics.
"$PY" tools/bench/gen.py 20 "$TMP/big.log"
mkdir "$TMP/gz"
head -c 3000000 "$TMP/big.log" | gzip -1 >"$TMP/gz/part.log.gz"
set -- "$TMP/big.log" "$TMP/gz/part.log.gz" $IN/malformed.jsonl

# screen PTY_BYTES: what a terminal shows at the end (\r returns to the
# line's start, \n ends it), trailing blanks dropped
screen() {
	"$PY" - "$1" <<'PY'
import sys
data = open(sys.argv[1], "rb").read().decode("ascii", "replace").replace("\r\n", "\n")
lines, cur, col = [], [], 0
for ch in data:
    if ch == "\r":
        col = 0
    elif ch == "\n":
        lines.append("".join(cur).rstrip())
        cur, col = [], 0
    else:
        cur[col:col + 1] = [ch]
        col += 1
if "".join(cur).strip():
    lines.append("".join(cur).rstrip())
sys.stdout.write("".join(l + "\n" for l in lines))
PY
}

# drawn PTY_BYTES COLS: every progress line drawn, checked: within the
# terminal's width, share and files within their totals, never falling
drawn() {
	"$PY" - "$1" "$2" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read().decode("ascii", "replace").replace("\r\n", "\n")
cols, last, n, bad = int(sys.argv[2]), -1, 0, 0
for seg in data.split("\r"):
    if "\n" in seg or not seg.startswith("vmcp-telemetry: "):
        continue  # a message, or what the terminal had before
    n += 1
    if len(seg) >= cols:
        print("progress line of %d columns on a %d-column terminal" % (len(seg), cols)); bad = 1
    m = re.match(r"vmcp-telemetry: +(?:(\d+)% )?.*?(\d+)/(\d+) files", seg)
    if not m:
        continue  # cut to the terminal's width
    pct, done, total = m.group(1), int(m.group(2)), int(m.group(3))
    if done > total or (pct and not 0 <= int(pct) <= 100):
        print("counters past their totals: %r" % seg); bad = 1
    if pct and int(pct) < last:
        print("share fell: %r" % seg); bad = 1
    last = int(pct) if pct else last
if n == 0:
    print("no progress line drawn"); bad = 1
sys.exit(bad)
PY
}

for t in 1 2; do
	"$BIN" report --fleet-key-file "$KEY" --now "$NOW" --threads $t "$@" >"$TMP/plain.$t.json" 2>"$TMP/plain.$t.err"
	$ONPTY --stdout "$TMP/tty.$t.json" -- $WRAP "$BIN" report --fleet-key-file "$KEY" --now "$NOW" --threads $t "$@" >"$TMP/tty.$t.pty"
	[ $? = 3 ] && ok || bad "threads $t: exit code on a terminal"
	grep -a -q "files, ETA" "$TMP/tty.$t.pty" && ok || bad "threads $t: no progress on the terminal"
	drawn "$TMP/tty.$t.pty" 80 && ok || bad "threads $t: bad progress lines"
	cmp -s "$TMP/plain.$t.json" "$TMP/tty.$t.json" && ok || bad "threads $t: the report changed on a terminal"
	# what stays on screen is exactly the diagnostics: progress erased,
	# never cutting into a message
	screen "$TMP/tty.$t.pty" >"$TMP/screen.$t"
	cmp -s "$TMP/screen.$t" "$TMP/plain.$t.err" && ok ||
		{ bad "threads $t: the screen is not the diagnostics"; diff "$TMP/plain.$t.err" "$TMP/screen.$t" | head; }
	grep -a -q -e "ETA" -e "$(printf '\r')" "$TMP/plain.$t.err" && bad "threads $t: progress on stderr that is a file" || ok
done
cmp -s "$TMP/plain.1.json" "$TMP/plain.2.json" && ok || bad "the report depends on --threads"

# a narrow terminal: the line is cut to fit
$ONPTY --cols 40 --stdout /dev/null -- "$BIN" report "$TMP/big.log" >"$TMP/narrow.pty"
drawn "$TMP/narrow.pty" 40 && ok || bad "progress wider than a 40-column terminal"

# -q: nothing at all
$ONPTY --stdout /dev/null -- "$BIN" report -q --now "$NOW" "$@" >"$TMP/quiet.pty"
[ ! -s "$TMP/quiet.pty" ] && ok || bad "-q: something was drawn"
# a pipe on stderr: nothing either
$ONPTY --stdout /dev/null --stderr '|' -- "$BIN" report --fleet-key-file "$KEY" --now "$NOW" "$@" >"$TMP/pipe.pty"
[ ! -s "$TMP/pipe.pty" ] && ok || bad "stderr a pipe: something on the terminal"
# stdout on the terminal, stderr a file: the report only, no progress
$ONPTY --stderr "$TMP/err.file" -- "$BIN" report --fleet-key-file "$KEY" --now "$NOW" "$@" | tr -d '\r' >"$TMP/stdout.pty"
cmp -s "$TMP/stdout.pty" "$TMP/plain.1.json" && ok || bad "stdout on a terminal holds more than the report"
grep -a -q "ETA" "$TMP/err.file" && bad "progress in a stderr file" || ok
# both on the terminal: the report, after the progress was erased
$ONPTY -- "$BIN" report --fleet-key-file "$KEY" --now "$NOW" "$TMP/big.log" >"$TMP/both.pty"
"$BIN" report --fleet-key-file "$KEY" --now "$NOW" "$TMP/big.log" >"$TMP/both.json" 2>/dev/null
screen "$TMP/both.pty" >"$TMP/both.screen"
cmp -s "$TMP/both.screen" "$TMP/both.json" && ok || bad "progress left on screen before the report"

# run: progress without a total (what is new is not known beforehand)
$ONPTY --stdout /dev/null -- "$BIN" run --state "$TMP/state" --now "$NOW" --telemetry local "$TMP/big.log" >"$TMP/run.pty"
grep -a -q "vmcp-telemetry: .*/1 files" "$TMP/run.pty" && ok || bad "run: no progress on the terminal"
[ -z "$(screen "$TMP/run.pty")" ] && ok || bad "run: progress left on screen"

echo "progress.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
