#!/bin/sh
# Integration tests: run the real binary over fixtures and compare whole
# reports with golden files, check exit codes, and grep every output byte
# for planted private strings.
#   sh tests/integration/run.sh BIN            run
#   VT_GOLDEN_UPDATE=1 sh ... BIN              rewrite the golden files
#   VT_WRAPPER="valgrind ..." sh ... BIN       run the binary under a wrapper
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
WRAP=${VT_WRAPPER:-}
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
vt() { $WRAP "$BIN" "$@"; }

# The instances sketch hashes each instance's key under a key that is
# random for every report made without --fleet-key-file: the sketch, and
# the report_id derived from it, differ from one report to the next.
# Comparisons mask both (privacy_attack.py checks what they hide).
mask() {
	sed -E -e 's/^(  "report_id": ")[0-9a-f]{32}"/\1-"/' \
		-e 's/^(      "(hashes|registers)": ")[0-9a-f]*"/\1-"/' "$1"
}
same() {
	mask "$1" >"$TMP/same.a" && mask "$2" >"$TMP/same.b" &&
		cmp -s "$TMP/same.a" "$TMP/same.b"
}

# golden NAME EXPECTED_RC ARGS...: the report on stdout must equal
# fixtures/expected/NAME.json byte for byte (but for the path's hashes).
golden() {
	name=$1 want=$2
	shift 2
	vt report -q --now "$NOW" "$@" >"$TMP/$name.json" 2>"$TMP/$name.err"
	rc=$?
	if [ "${VT_GOLDEN_UPDATE:-}" = 1 ]; then
		cp "$TMP/$name.json" "$EXP/$name.json"
	fi
	[ "$rc" = "$want" ] || { bad "$name: exit $rc, want $want"; cat "$TMP/$name.err"; return; }
	if same "$TMP/$name.json" "$EXP/$name.json"; then ok; else
		bad "$name: report differs from $EXP/$name.json"
		diff -u "$TMP/same.b" "$TMP/same.a" | head -40
	fi
}

mkdir -p "$EXP"
golden samples 0 fixtures/samples/
golden events 0 $IN/events.jsonl
golden malformed 3 $IN/malformed.jsonl
golden rotated 0 "$IN/rotated.log*"
golden wrappers 0 $IN/cri.log $IN/docker.log
golden damaged-gzip 3 $IN/truncated.log.gz $IN/trailing.log.gz
golden by-component 0 --instance-by component fixtures/samples/
golden empty 0 /dev/null
# The four deployments of fixtures/deployments/ (each README.md explains
# every number of its report).
for d in cli-restart operator-discovered modern-codemode audit-off; do
	golden deploy-$d 0 fixtures/deployments/$d/
done

# stdin gives the same numbers as the file
vt report -q --now "$NOW" - <$IN/events.jsonl >"$TMP/stdin.json"
# (the instances sketch hashes the instance, which is the path or stdin)
numbers() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); del d['report_id']; del d['deployment']['instances_sketch']; print(json.dumps(d))" "$1"; }
[ "$(numbers "$TMP/stdin.json")" = "$(numbers $EXP/events.json)" ] && ok || bad "stdin report differs from file report"
# no path at all means stdin
vt report -q --now "$NOW" <$IN/events.jsonl >"$TMP/stdin2.json"
same "$TMP/stdin2.json" "$TMP/stdin.json" && ok || bad "report without paths does not read stdin"

# the same file named twice (path, glob, ./path) is read once
vt report -q --now "$NOW" $IN/events.jsonl "$IN/events.json*" ./$IN/events.jsonl >"$TMP/twice.json"
same "$TMP/twice.json" $EXP/events.json && ok || bad "a file named three times was not read once"

# deterministic bytes; -o FILE and -o FILE.gz hold the same report
vt report -q --now "$NOW" -o "$TMP/a.json" fixtures/samples/ &&
	vt report -q --now "$NOW" -o "$TMP/b.json.gz" fixtures/samples/ &&
	gzip -dc "$TMP/b.json.gz" >"$TMP/b.json" &&
	same "$TMP/a.json" $EXP/samples.json && same "$TMP/b.json" "$TMP/a.json" && ok ||
	bad "-o FILE / -o FILE.gz do not hold the golden report"
SOURCE_DATE_EPOCH=1795564800 vt report -q /dev/null >"$TMP/sde.json"
same "$TMP/sde.json" $EXP/empty.json && ok || bad "SOURCE_DATE_EPOCH does not fix the clock"

# privacy: every output byte, stdout, stderr and files, is free of the
# planted strings, across every input at once
vt report --now "$NOW" $IN/private.jsonl $IN/malformed.jsonl $IN \
	-o "$TMP/private.json.gz" >"$TMP/private.out" 2>"$TMP/private.err"
gzip -dc "$TMP/private.json.gz" >"$TMP/private.json"
# ... and in a pod path whose namespace and pod name are planted: the
# report must not carry them (stderr names the file, as it must)
pod="$TMP/pods/PLANTED-ns_PLANTED-pod-7d9f8b6c5d-abcde_0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7/vmcp"
mkdir -p "$pod"
cp $IN/private.jsonl "$pod/0.log"
vt report -q --now "$NOW" "$TMP/pods" >>"$TMP/private.out"
leaks=0
while IFS= read -r s; do
	[ -n "$s" ] || continue
	if grep -a -F -q -- "$s" "$TMP/private.out" "$TMP/private.err" "$TMP/private.json"; then
		bad "planted string leaked: $s"
		leaks=1
	fi
done <$IN/planted.txt
[ $leaks = 0 ] && ok
grep -q '"tool_calls"' "$TMP/private.json" && grep -q '"instances": 1' "$TMP/private.out" && ok ||
	bad "private run wrote no report"

# bad input: a clear message naming the file, the rest still counted
vt report --now "$NOW" /nonexistent/x.log $IN/events.jsonl >"$TMP/missing.json" 2>"$TMP/missing.err"
rc=$?
[ $rc = 3 ] && grep -q "cannot read '/nonexistent/x.log'" "$TMP/missing.err" &&
	grep -q '"files_failed": 1' "$TMP/missing.json" && grep -q '"events": 92' "$TMP/missing.json" && ok ||
	bad "missing file: exit $rc or message or counts wrong"
vt report --now "$NOW" "$IN/nothing-*.log" >/dev/null 2>"$TMP/glob.err"
[ $? = 3 ] && grep -q "no file matches" "$TMP/glob.err" && ok || bad "empty glob not reported"
vt report -q --now "$NOW" $IN/garbage.bin >"$TMP/garbage.json"
[ $? = 3 ] && grep -q '"lines_read": ' "$TMP/garbage.json" && ok || bad "binary garbage not handled"
mkfifo "$TMP/fifo"
cat $IN/events.jsonl >"$TMP/fifo" &
vt report -q --now "$NOW" "$TMP/fifo" >"$TMP/fifo.json"
wait
grep -q '"events": 92' "$TMP/fifo.json" && ok || bad "FIFO input not read"

# --strict stops at the first bad line and writes nothing
vt report --strict --now "$NOW" $IN/malformed.jsonl >"$TMP/strict.json" 2>/dev/null
[ $? = 3 ] && [ ! -s "$TMP/strict.json" ] && ok || bad "--strict wrote a report or exit code wrong"

# the line-length limit, at its boundary: 64-byte lines are kept at
# --max-line-bytes 64 and skipped at 63; a 5 MB line is streamed past
line='{"time":"2026-08-21T10:00:00Z","level":"INFO","msg":"xxxxxxxxx"}'
[ ${#line} = 64 ] || bad "boundary fixture is ${#line} bytes, not 64"
printf '%s\n%s\n' "$line" "$line" >"$TMP/limit.log"
vt report -q --now "$NOW" --max-line-bytes 64 "$TMP/limit.log" | grep -q '"app_lines": 2' && ok ||
	bad "a line of exactly the limit was not kept"
vt report -q --now "$NOW" --max-line-bytes 63 "$TMP/limit.log" | grep -q '"lines_too_long": 2' && ok ||
	bad "a line one byte over the limit was not skipped"
{ head -c 5000000 /dev/zero | tr '\0' 'x'; echo; cat $IN/events.jsonl; } >"$TMP/huge.log"
vt report -q --now "$NOW" "$TMP/huge.log" >"$TMP/huge.json"
[ $? = 3 ] && grep -q '"lines_too_long": 1' "$TMP/huge.json" && grep -q '"events": 92' "$TMP/huge.json" && ok ||
	bad "over-long line not streamed past"

# command line
vt report --help | grep -q "usage: vmcp-telemetry report" && ok || bad "report --help"
vt --version | grep -q "^vmcp-telemetry " && ok || bad "--version"
# every command has --help (exit 0, on stdout, nothing on stderr), and the
# man page names every command and every long option the helps list
cmds=$(vt --help | sed -n '/^commands:/,/^$/p' | awk '$1 ~ /^[a-z]+$/ {print $1}')
[ "$(echo "$cmds" | wc -w)" -ge 5 ] && ok || bad "top-level --help lists too few commands: $cmds"
man_text=$(sed 's/\\-/-/g' man/vmcp-telemetry.1)
for c in $cmds; do
	vt "$c" --help >"$TMP/help.$c" 2>"$TMP/help.$c.err"
	[ $? = 0 ] && grep -q "^usage: vmcp-telemetry $c" "$TMP/help.$c" && [ ! -s "$TMP/help.$c.err" ] && ok ||
		bad "$c --help"
	echo "$man_text" | grep -q "^\.B $c\$" && ok || bad "the man page does not describe '$c'"
	for o in $(grep -o -- '--[a-z][a-z-]*' "$TMP/help.$c" | sort -u); do
		echo "$man_text" | grep -q -- "$o" && ok || bad "the man page lacks $c $o"
	done
done
vt report --bogus >/dev/null 2>&1
[ $? = 2 ] && ok || bad "unknown option is not exit 2"
vt frobnicate >/dev/null 2>&1
[ $? = 2 ] && ok || bad "unknown command is not exit 2"
vt report --rules /nonexistent-rules >/dev/null 2>&1
[ $? = 2 ] && ok || bad "missing rules file is not exit 2"
printf 'backends $1 ^Fleet of (\\d+) backends$\n' >"$TMP/rules.conf"
printf '{"time":"2026-08-21T10:00:00Z","level":"INFO","msg":"Fleet of 40 backends"}\n' >"$TMP/fleet.log"
vt report -q --now "$NOW" --rules "$TMP/rules.conf" "$TMP/fleet.log" | grep -q '"32-63": 1' && ok ||
	bad "a user rule was not applied"
printf 'acme-search\n' >"$TMP/servers.txt"
printf '%s\n' "$(sed -n 2p $IN/malformed.jsonl | head -c 0)" >/dev/null
printf '{"time":"2026-08-21T10:00:00Z","level":"AUDIT","msg":"audit_event","type":"mcp_tool_call","outcome":"success","metadata":{"extra":{"backend_name":"ACME-Search"}}}\n' >"$TMP/acme.log"
vt report -q --now "$NOW" --servers "$TMP/servers.txt" "$TMP/acme.log" | grep -q '"acme-search": 1' && ok ||
	bad "a user allowlist entry was not applied"
printf 'bob@example.com\n' >"$TMP/badnames.txt"
vt report --servers "$TMP/badnames.txt" /dev/null >/dev/null 2>"$TMP/badnames.err"
[ $? = 2 ] && grep -q "badnames.txt:1" "$TMP/badnames.err" && ok || bad "a private name in an allowlist was accepted"

# install into a DESTDIR; the installed binary and man page work
# (only for the default build: make install builds what it installs)
if [ -z "$WRAP" ] && [ "$BIN" = "$ROOT/build/vmcp-telemetry" ]; then
	make -s --no-print-directory install DESTDIR="$TMP/dest" PREFIX=/usr >/dev/null 2>&1
	"$TMP/dest/usr/bin/vmcp-telemetry" report -q --now "$NOW" $IN/events.jsonl >"$TMP/installed.json"
	same "$TMP/installed.json" $EXP/events.json &&
		ok || bad "installed binary does not give the golden report"
	if command -v man >/dev/null 2>&1; then
		man -l "$TMP/dest/usr/share/man/man1/vmcp-telemetry.1" 2>/dev/null | grep -q "EXIT STATUS" && ok ||
			bad "installed man page does not render"
	fi
	make -s --no-print-directory uninstall DESTDIR="$TMP/dest" PREFIX=/usr >/dev/null 2>&1
	[ ! -e "$TMP/dest/usr/bin/vmcp-telemetry" ] && [ ! -e "$TMP/dest/usr/share/man/man1/vmcp-telemetry.1" ] && ok ||
		bad "uninstall left files behind"
fi

echo "$pass passed, $fail failed"
[ $fail = 0 ]
