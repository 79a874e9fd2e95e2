#!/usr/bin/env bash
# Integration test of consent and upload: 'run' against a local receiver
# (tests/integration/receiver.py) that answers as each case scripts it.
#
#   bash tests/integration/upload.sh build/vmcp-telemetry
#   VT_KEEP=1 bash tests/integration/upload.sh BIN     keep the scratch dir
#   VT_WRAPPER="valgrind -q" bash ... BIN               run the binary under a wrapper
#                                                       (timing checks may then fail)
#
# Every invocation of the binary goes through vt(), which gives it an empty
# environment (env -i) plus PATH, HOME and exactly the variables a case
# names: CI sets CI=true, and a developer's shell may set DO_NOT_TRACK or
# VMCP_TELEMETRY_*; none of that may leak into a case.
#
# Consent is recorded when a run first has mode on, and a period that
# began before it is never sent; so an uploadable report takes a first run
# with mode on at 2026-11-23T12:00 over lines of 2026-11-24, then a run with
# --flush at 2026-11-25T12:00.
#
# Needs bash, python3 (the receiver), openssl (the HTTPS cases), gzip,
# sha256sum, cmp. Receivers listen on 127.0.0.1 only and are killed at exit.
set -u
if [ $# -lt 1 ]; then
	echo "usage: bash $0 BIN" >&2
	exit 2
fi
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RECV=$ROOT/tests/integration/receiver.py
PY=${PYTHON:-python3}
for tool in "$PY" openssl gzip sha256sum cmp; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "upload.sh: $tool not found; 'make deps' installs it" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vt-upload.XXXXXX") || exit 1
rpids=""
cleanup() {
	for p in $rpids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ -n "${VT_KEEP:-}" ]; then echo "upload.sh: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$TMP/home"

pass=0
fail=0
CASE=""
ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL: [$CASE] $*"
}
# check MESSAGE COMMAND...: passes when the command succeeds.
check() {
	local msg=$1
	shift
	if "$@"; then ok; else bad "$msg"; fi
}
section() {
	CASE=$1
	echo "== $1"
}

# vt [NAME=VALUE...] ARGS...: the binary in a controlled environment.
vt() {
	local envs=()
	while [ $# -gt 0 ] && [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do
		envs+=("$1")
		shift
	done
	# shellcheck disable=SC2086 # VT_WRAPPER is a command line, e.g. "valgrind -q"
	env -i PATH="$PATH" HOME="$TMP/home" LC_ALL=C "${envs[@]}" ${VT_WRAPPER:-} "$BIN" "$@"
}

# A bearer token that must never show up anywhere but on the wire.
TOKEN="vt-test-token-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$TOKEN" >"$TMP/token"
chmod 600 "$TMP/token"
TOKEN_SHA=$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)

# ---------------------------------------------------------------- helpers

# audit_lines DAY: a few vMCP audit lines on 2026-11-DAY.
audit_lines() {
	local d=$1
	cat <<EOF
{"time":"2026-11-${d}T10:00:01Z","level":"AUDIT","msg":"audit_event","audit_id":"a-${d}-1","type":"mcp_tool_call","logged_at":"2026-11-${d}T10:00:01.2Z","outcome":"success","component":"vmcp-server","source":{"type":"network","value":"10.1.2.3","extra":{"request_id":"req-${d}1","user_agent":"claude-code/2.0.14"}},"subjects":{"user":"alice@example.com","user_id":"u-1"},"target":{"endpoint":"/mcp","method":"tools/call","name":"github_search","type":"tool"},"metadata":{"extra":{"backend_name":"github","duration_ms":84,"transport":"http"}},"data":{"request":{"query":"quarterly numbers"}}}
{"time":"2026-11-${d}T10:00:02Z","level":"AUDIT","msg":"audit_event","type":"mcp_tool_call","outcome":"success","metadata":{"extra":{"backend_name":"github","duration_ms":5}}}
{"time":"2026-11-${d}T11:30:00Z","level":"AUDIT","msg":"audit_event","type":"mcp_tool_call","outcome":"failure","target":{"method":"tools/call","name":"slack_post","type":"tool"},"metadata":{"extra":{"backend_name":"slack","duration_ms":1200}}}
EOF
}

# start_receiver NAME [receiver options]: a fresh receiver in $TMP/NAME.recv;
# sets R (its directory), RPID and URL. Write R/script before the first request.
start_receiver() {
	R=$TMP/$1.recv
	shift
	mkdir -p "$R"
	echo 200 >"$R/script"
	RECEIVER_LIFETIME=100 "$PY" "$RECV" "$R" "$@" >"$R/log" 2>&1 &
	RPID=$!
	rpids="$rpids $RPID"
	for _ in $(seq 100); do
		[ -s "$R/port" ] && break
		sleep 0.05
	done
	if [ ! -s "$R/port" ]; then
		bad "receiver did not start: $(cat "$R/log")"
		URL=http://127.0.0.1:9/none
		return 1
	fi
	URL=http://127.0.0.1:$(cat "$R/port")/v1/reports
}
stop_receiver() {
	kill "$RPID" 2>/dev/null
	wait "$RPID" 2>/dev/null
}
script() { printf '%s\n' "$@" >"$R/script"; }
count() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
nreq() { count "$R/requests"; }
nacc() { count "$R/accepted"; }

report_id() { gzip -dc "$1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["report_id"])'; }
npending() { find "$1/reports" -maxdepth 1 -name '*.json.gz' | wc -l | tr -d ' '; }
nsent() { find "$1/reports/sent" -maxdepth 1 -name '*.json.gz' 2>/dev/null | wc -l | tr -d ' '; }
# snapshot DIR: every file under DIR with its checksum (the secret left out).
snapshot() { (cd "$1" && find . -type f ! -name secret ${2:+! -name "$2"} -print0 | sort -z | xargs -0 -r sha256sum); }
# field N LINE: the Nth field of a receiver log line (1-based).
field() { echo "$2" | cut -d' ' -f"$1"; }
# absent STRING PATH...: STRING is in no file at or under PATH.
absent() {
	local str=$1
	shift
	! grep -rqaF -- "$str" "$@"
}
now_s() { echo "${EPOCHREALTIME/,/.}"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

ON=(--telemetry on --token-file "$TMP/token")
FAST=(--timeout 2s --deadline 20s)
# consent STATE LOG URL [args]: the first run with mode on (before the events).
consent() {
	local s=$1 log=$2 url=$3
	shift 3
	vt run --state "$s" "${ON[@]}" --endpoint "$url" --now 2026-11-23T12:00:00Z "$@" "$log" \
		>"$s.consent.out" 2>"$s.consent.err"
}

# The template: a state that consented on 2026-11-23T12:00 and holds one
# pending report (of 2026-11-24) that the next run with mode on would send;
# made against an endpoint nobody listens on.
DEAD_URL=http://127.0.0.1:$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')/v1/reports
TPL=$TMP/template
audit_lines 24 >"$TPL.log"
consent "$TPL" "$TPL.log" "$DEAD_URL"
vt run --state "$TPL" "${ON[@]}" --endpoint "$DEAD_URL" --flush --now 2026-11-25T12:00:00Z \
	--timeout 1s --deadline 1s "$TPL.log" >/dev/null 2>"$TPL.flush.err"
TPL_REPORT=20261124T000000Z-day.json.gz
if [ ! -f "$TPL/reports/$TPL_REPORT" ] || [ ! -f "$TPL/secret" ]; then
	echo "upload.sh: cannot build the template state:" >&2
	cat "$TPL.consent.err" "$TPL.flush.err" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
# from_template NAME: a copy of the template in $TMP/NAME (sets S, LOG).
from_template() {
	S=$TMP/$1
	LOG=$TMP/$1.log
	cp -a "$TPL" "$S"
	cp "$TPL.log" "$LOG"
}

# assert_delivered WHAT FILE: the receiver accepted FILE exactly once, and
# every request it got for it carried FILE's report_id and FILE's bytes.
assert_delivered() {
	local what=$1 f=$2 id n line ok1=1
	id=$(report_id "$f")
	check "$what: exactly one accepted delivery of $id (accepted: $(cat "$R/accepted" 2>/dev/null))" \
		test "$(grep -c "^$id " "$R/accepted" 2>/dev/null)" = 1
	while read -r line; do
		[ "$(field 3 "$line")" = "$id" ] || continue
		n=$(field 1 "$line")
		cmp -s "$R/body.$n" "$f" || ok1=0
	done <"$R/requests"
	check "$what: every attempt for $id sent the report file byte for byte" test $ok1 = 1
}

# ====================================================================== 1
section "1 200"
start_receiver c1
S=$TMP/c1
LOG=$TMP/c1.log
{ audit_lines 24; audit_lines 25; } >"$LOG"
consent "$S" "$LOG" "$URL"
check "consent run exits 0 ($(cat "$S.consent.err"))" test $? = 0
check "consent run sends nothing" test "$(nreq)" = 0
vt run --state "$S" "${ON[@]}" --endpoint "$URL" --flush --now 2026-11-26T12:00:00Z "${FAST[@]}" \
	"$LOG" >"$S.out" 2>"$S.err"
rc=$?
check "upload run exits 0, got $rc ($(cat "$S.err"))" test $rc = 0
check "both reports moved to reports/sent" test "$(nsent "$S")" = 2
check "nothing left pending" test "$(npending "$S")" = 0
check "two requests, two accepted (requests: $(nreq), accepted: $(nacc))" \
	test "$(nreq)" = 2 -a "$(nacc)" = 2
first=$(head -1 "$R/requests")
check "oldest report goes first" \
	test "$(field 3 "$first")" = "$(report_id "$S/reports/sent/20261124T000000Z-day.json.gz")"
for f in "$S"/reports/sent/*.json.gz; do
	name=$(basename "$f")
	id=$(report_id "$f")
	assert_delivered "$name" "$f"
	line=$(awk -v id="$id" '$3 == id' "$R/requests")
	n=$(field 1 "$line")
	check "$name: Idempotency-Key is the report_id" test "$(field 3 "$line")" = "$id"
	check "$name: Content-Encoding gzip, got $(field 4 "$line")" test "$(field 4 "$line")" = gzip
	check "$name: Content-Type application/json, got $(field 5 "$line")" \
		test "$(field 5 "$line")" = application/json
	check "$name: the bearer token arrives (auth $(field 6 "$line"))" \
		test "$(field 6 "$line")" = "bearer:$TOKEN_SHA"
	check "$name: User-Agent vmcp-telemetry/..., got $(field 7 "$line")" \
		grep -q '^vmcp-telemetry/' <<<"$(field 7 "$line")"
	gzip -dc "$R/body.$n" >"$TMP/c1.body" 2>/dev/null
	gzip -dc "$f" >"$TMP/c1.file"
	check "$name: the body gunzips to the report file's content" cmp -s "$TMP/c1.body" "$TMP/c1.file"
	check "$name: the body is the report file byte for byte" cmp -s "$R/body.$n" "$f"
done
check "the token is not on stdout or stderr" \
	absent "$TOKEN" "$S.out" "$S.err" "$S.consent.out" "$S.consent.err"
check "the token is in no file under the state dir" absent "$TOKEN" "$S"
check "sent reports are 0600" test "$(stat -c %a "$S/reports/sent/20261124T000000Z-day.json.gz")" = 600
# a later run finds nothing more to send
vt run --state "$S" "${ON[@]}" --endpoint "$URL" --now 2026-11-26T13:00:00Z "${FAST[@]}" "$LOG" \
	>/dev/null 2>&1
check "a later run sends nothing again (requests: $(nreq))" test "$(nreq)" = 2
# the token from the environment works too, and does not leak either
from_template c1env
vt VMCP_TELEMETRY_TOKEN="$TOKEN" VMCP_TELEMETRY_ENDPOINT="$URL" run --state "$S" --telemetry on \
	--now 2026-11-25T13:00:00Z "${FAST[@]}" "$LOG" >"$S.out" 2>"$S.err"
line=$(tail -1 "$R/requests")
check "VMCP_TELEMETRY_TOKEN, VMCP_TELEMETRY_ENDPOINT: sent with the bearer token (auth $(field 6 "$line"))" \
	test "$(nreq)" = 3 -a "$(field 6 "$line")" = "bearer:$TOKEN_SHA"
check "VMCP_TELEMETRY_TOKEN: not in output nor state" \
	absent "$TOKEN" "$S" "$S.out" "$S.err"
stop_receiver

# ====================================================================== 2
# retry_case NAME ATTEMPTS SCRIPT...: the report is delivered once after
# ATTEMPTS requests, all with one Idempotency-Key.
retry_case() {
	local name=$1 attempts=$2 t0 t1 rc
	shift 2
	section "2 retry: $*"
	start_receiver "c2-$name"
	script "$@"
	from_template "c2-$name"
	t0=$(now_s)
	vt run --state "$S" "${ON[@]}" --endpoint "$URL" --now 2026-11-25T13:00:00Z "${FAST[@]}" \
		"$LOG" >"$S.out" 2>"$S.err"
	rc=$?
	t1=$(now_s)
	check "exit 0, got $rc ($(cat "$S.err"))" test $rc = 0
	if [ "$name" = slow ]; then
		# the slow answer comes after the run gave up on it; wait for it
		for _ in $(seq 80); do [ -s "$R/abandoned" ] && break; sleep 0.1; done
		check "the timed-out attempt was abandoned by the client" test "$(count "$R/abandoned")" = 1
	fi
	check "$attempts requests, got $(nreq)" test "$(nreq)" = "$attempts"
	check "exactly one accepted (accepted: $(nacc))" test "$(nacc)" = 1
	check "the report moved to sent/" test -f "$S/reports/sent/$TPL_REPORT" -a ! -e "$S/reports/$TPL_REPORT"
	local id keys
	id=$(report_id "$S/reports/sent/$TPL_REPORT")
	keys=$(cut -d' ' -f3 "$R/requests" | sort -u)
	check "the same Idempotency-Key on every attempt (keys: $keys)" test "$keys" = "$id"
	assert_delivered "$name" "$S/reports/sent/$TPL_REPORT"
	if [ "$name" = 429 ]; then
		local a b
		a=$(sed -n 1p "$R/requests" | cut -d' ' -f8)
		b=$(sed -n 2p "$R/requests" | cut -d' ' -f8)
		check "Retry-After 2 honoured: the retry came $(elapsed "$a" "$b") s later" ge "$(elapsed "$a" "$b")" 2
	fi
	check "the run took $(elapsed "$t0" "$t1") s (< 15)" lt "$(elapsed "$t0" "$t1")" 15
	stop_receiver
}
retry_case 500 2 500 200
retry_case 503 3 503 503 200
retry_case 408 2 408 200
retry_case 429 2 "429 2" 200
retry_case drop 2 drop 200
retry_case slow 2 "slow 5" 200

# ====================================================================== 3
section "3 refused (400)"
start_receiver c3
script 400 200
from_template c3
vt run --state "$S" "${ON[@]}" --endpoint "$URL" --now 2026-11-25T13:00:00Z "${FAST[@]}" "$LOG" \
	>"$S.out" 2>"$S.err"
rc=$?
check "exit 4 on a refusal, got $rc" test $rc = 4
check "a refusal is not retried (requests: $(nreq))" test "$(nreq)" = 1
check "nothing accepted" test "$(nacc)" = 0
check "the report stays pending" test -f "$S/reports/$TPL_REPORT" -a "$(nsent "$S")" = 0
check "NAME.refused holds 400 ($(cat "$S/reports/$TPL_REPORT.refused" 2>/dev/null))" \
	grep -qx 400 "$S/reports/$TPL_REPORT.refused"
check "stderr says it was refused ($(cat "$S.err"))" grep -q 'refused.*400' "$S.err"
vt status --state "$S" "${ON[@]}" --endpoint "$URL" >"$S.status" 2>&1
check "status shows the refusal" grep -q "$TPL_REPORT.*refused with HTTP 400" "$S.status"
vt status --state "$S" "${ON[@]}" --endpoint "$URL" --json >"$S.json" 2>&1
check "status --json: refused_status 400" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
p = [e for e in d["pending"] if e["name"] == sys.argv[2]]
sys.exit(not (p and p[0]["refused_status"] == 400))' "$S.json" "$TPL_REPORT"
check "status sends nothing" test "$(nreq)" = 1
vt run --state "$S" "${ON[@]}" --endpoint "$URL" --now 2026-11-25T14:00:00Z "${FAST[@]}" "$LOG" \
	>"$S.out2" 2>"$S.err2"
rc=$?
check "the next run (200) exits 0, got $rc ($(cat "$S.err2"))" test $rc = 0
check "it sent the report" test -f "$S/reports/sent/$TPL_REPORT" -a "$(nacc)" = 1
check "the .refused marker is gone" test ! -e "$S/reports/$TPL_REPORT.refused"
check "the same Idempotency-Key both times" test "$(cut -d' ' -f3 "$R/requests" | sort -u | wc -l)" = 1
vt status --state "$S" "${ON[@]}" --endpoint "$URL" >"$S.status2" 2>&1
check "status no longer shows a refusal" absent refused "$S.status2"
stop_receiver

# a refusal of one report does not hold back the next
section "3 refused, then the next report"
start_receiver c3b
script 400 200
S=$TMP/c3b
LOG=$TMP/c3b.log
{ audit_lines 24; audit_lines 25; } >"$LOG"
consent "$S" "$LOG" "$URL"
vt run --state "$S" "${ON[@]}" --endpoint "$URL" --flush --now 2026-11-26T12:00:00Z "${FAST[@]}" \
	"$LOG" >"$S.out" 2>"$S.err"
rc=$?
check "exit 4, got $rc" test $rc = 4
check "the refused one stays, the next is sent" \
	test -f "$S/reports/20261124T000000Z-day.json.gz.refused" -a \
	-f "$S/reports/sent/20261125T000000Z-day.json.gz" -a "$(nacc)" = 1
stop_receiver

# ====================================================================== 4
section "4 always 500, --deadline 5s"
start_receiver c4
script 500
from_template c4
t0=$(now_s)
vt run --state "$S" "${ON[@]}" --endpoint "$URL" --now 2026-11-25T13:00:00Z --timeout 2s \
	--deadline 5s "$LOG" >"$S.out" 2>"$S.err"
rc=$?
t1=$(now_s)
check "exit 0, got $rc ($(cat "$S.err"))" test $rc = 0
check "it gave up in bounded time: $(elapsed "$t0" "$t1") s (< 30)" lt "$(elapsed "$t0" "$t1")" 30
check "it gave up within the deadline plus one attempt: $(elapsed "$t0" "$t1") s (< 8)" \
	lt "$(elapsed "$t0" "$t1")" 8
check "it retried (requests: $(nreq))" test "$(nreq)" -ge 2
check "the report stays pending" test -f "$S/reports/$TPL_REPORT" -a "$(nsent "$S")" = 0
check "no refusal marker" test ! -e "$S/reports/$TPL_REPORT.refused"
check "stderr says it stays pending ($(cat "$S.err"))" grep -q 'pending' "$S.err"
script 200
before=$(nreq)
vt run --state "$S" "${ON[@]}" --endpoint "$URL" --now 2026-11-25T14:00:00Z "${FAST[@]}" "$LOG" \
	>"$S.out" 2>"$S.err"
rc=$?
check "the next run (200) exits 0, got $rc" test $rc = 0
check "and sends it" test -f "$S/reports/sent/$TPL_REPORT" -a "$(nacc)" = 1 -a "$(nreq)" = $((before + 1))
stop_receiver

section "4 nobody listening, --deadline 3s"
from_template c4dead
t0=$(now_s)
vt run --state "$S" "${ON[@]}" --endpoint "$DEAD_URL" --now 2026-11-25T13:00:00Z --timeout 2s \
	--deadline 3s "$LOG" >"$S.out" 2>"$S.err"
rc=$?
t1=$(now_s)
check "exit 0, got $rc" test $rc = 0
check "bounded: $(elapsed "$t0" "$t1") s (< 10)" lt "$(elapsed "$t0" "$t1")" 10
check "the report stays pending" test -f "$S/reports/$TPL_REPORT"

# ====================================================================== 5
# optout_off NAME VARS/ARGS...: mode off. From a fresh directory nothing is
# created; in an existing one only the secret goes. Nothing is sent.
CFG_OFF=$TMP/off.conf
printf '# test config\ntelemetry = off\nendpoint = %s\n' "$DEAD_URL" >"$CFG_OFF"
optout_off() {
	local name=$1 rc
	shift
	local envs=() args=()
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; then envs+=("$a"); else args+=("$a"); fi
	done
	section "5 off: $*"
	start_receiver "c5-$name"
	# a directory that does not exist yet
	local fresh=$TMP/c5-$name.fresh
	audit_lines 24 >"$fresh.log"
	vt "${envs[@]}" run --state "$fresh" --endpoint "$URL" --token-file "$TMP/token" "${args[@]}" \
		--now 2026-11-23T12:00:00Z "$fresh.log" >"$fresh.out" 2>"$fresh.err"
	rc=$?
	check "fresh: exit 0, got $rc" test $rc = 0
	check "fresh: no state directory created" test ! -e "$fresh"
	check "fresh: one line on stderr, got: $(cat "$fresh.err")" test "$(count "$fresh.err")" = 1
	check "fresh: it says telemetry is off" grep -q 'telemetry is off' "$fresh.err"
	check "fresh: nothing on stdout" test ! -s "$fresh.out"
	# an existing state with a report the next run with mode on would send
	from_template "c5-$name"
	local before
	before=$(snapshot "$S" state)
	vt "${envs[@]}" run --state "$S" --endpoint "$URL" --token-file "$TMP/token" "${args[@]}" \
		--flush --now 2026-11-25T13:00:00Z "${FAST[@]}" "$LOG" >"$S.out" 2>"$S.err"
	rc=$?
	check "existing: exit 0, got $rc" test $rc = 0
	check "existing: DIR/secret deleted" test ! -e "$S/secret"
	check "existing: nothing else changed (reports, lock)" test "$(snapshot "$S" state)" = "$before"
	# the state keeps times and modes only: no checkpoint, no count
	check "existing: the state was cleared ($(wc -c <"$S/state") bytes)" test "$(wc -c <"$S/state")" -lt 64
	check "existing: one line on stderr, got: $(cat "$S.err")" test "$(count "$S.err")" = 1
	check "zero requests (got $(nreq))" test "$(nreq)" = 0
	# turning it on again is a new consent: the old pending report is never sent
	vt run --state "$S" "${ON[@]}" --endpoint "$URL" --now 2026-11-25T14:00:00Z "${FAST[@]}" "$LOG" \
		>"$S.on.out" 2>"$S.on.err"
	check "on again after off: the report from before is not sent (requests: $(nreq))" \
		test "$(nreq)" = 0 -a -f "$S/reports/$TPL_REPORT"
	check "on again after off: a new secret" test -s "$S/secret"
	stop_receiver
}
# optout_local NAME VARS/ARGS...: mode local; reports are written, never sent.
optout_local() {
	local name=$1 rc
	shift
	local envs=() args=()
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; then envs+=("$a"); else args+=("$a"); fi
	done
	section "5 local: $*"
	start_receiver "c5-$name"
	from_template "c5-$name"
	audit_lines 25 >>"$LOG"
	vt "${envs[@]}" run --state "$S" --endpoint "$URL" --token-file "$TMP/token" "${args[@]}" \
		--flush --now 2026-11-26T12:00:00Z "${FAST[@]}" "$LOG" >"$S.out" 2>"$S.err"
	rc=$?
	check "exit 0, got $rc ($(cat "$S.err"))" test $rc = 0
	check "a report is still written" test -f "$S/reports/20261125T000000Z-day.json.gz"
	check "the pending one is kept" test -f "$S/reports/$TPL_REPORT"
	check "nothing moved to sent/" test "$(nsent "$S")" = 0
	check "the secret is kept" test -s "$S/secret"
	check "zero requests (got $(nreq))" test "$(nreq)" = 0
	stop_receiver
}
# control: the template, with mode on and nothing opting out, does send
section "5 control (mode on, no opt-out)"
start_receiver c5-control
from_template c5-control
vt run --state "$S" "${ON[@]}" --endpoint "$URL" --now 2026-11-25T13:00:00Z "${FAST[@]}" "$LOG" \
	>"$S.out" 2>"$S.err"
check "the template's report is sent when nothing opts out" test "$(nacc)" = 1
stop_receiver
optout_off dnt1 DO_NOT_TRACK=1 --telemetry on
optout_off dnttrue DO_NOT_TRACK=true VMCP_TELEMETRY=on
optout_off thmetrics TOOLHIVE_USAGE_METRICS_ENABLED=false --telemetry on
optout_off envoff VMCP_TELEMETRY=off --telemetry on
optout_off flagoff --telemetry off VMCP_TELEMETRY=on
optout_off config --config "$CFG_OFF" --telemetry on
optout_off configenv VMCP_TELEMETRY_CONFIG="$CFG_OFF" VMCP_TELEMETRY=on
optout_local flaglocal --telemetry local VMCP_TELEMETRY=on
optout_local ci CI=true --telemetry on
optout_local gha GITHUB_ACTIONS=true VMCP_TELEMETRY=on
optout_local skipupdate TOOLHIVE_SKIP_UPDATE_CHECK=true --telemetry on
optout_local gitlab VMCP_TELEMETRY=on GITLAB_CI=1
# ToolHive counts any non-empty CI variable as CI, "false" included
optout_local cifalse CI=false --telemetry on
optout_local skipupper TOOLHIVE_SKIP_UPDATE_CHECK=TRUE --telemetry on
# ToolHive's config file: disable_usage_metrics: true (thv config
# usage-metrics disable), under $XDG_CONFIG_HOME or $HOME/.config
mkdir -p "$TMP/thxdg/toolhive" "$TMP/thhome/.config/toolhive"
printf 'disable_usage_metrics: true\n' >"$TMP/thxdg/toolhive/config.yaml"
printf 'disable_usage_metrics: true\n' >"$TMP/thhome/.config/toolhive/config.yaml"
optout_off thxdg XDG_CONFIG_HOME="$TMP/thxdg" --telemetry on
optout_off thhome HOME="$TMP/thhome" --telemetry on
# An opt-out needs no --period: a state of hour periods is cleared by a
# run with the default (day), as the one line says.
section "5 off clears a state of another period length"
S=$TMP/c5-period
audit_lines 10 >"$TMP/c5-period.log"
vt run --state "$S" --period hour --now 2026-11-24T12:00:00Z "$TMP/c5-period.log" >/dev/null 2>"$S.err0"
check "the hour state holds a checkpoint ($(cat "$S.err0"))" test "$(wc -c <"$S/state")" -ge 64
vt DO_NOT_TRACK=1 run --state "$S" --now 2026-11-24T13:00:00Z "$TMP/c5-period.log" >"$S.out" 2>"$S.err"
rc=$?
check "off without --period: exit 0, got $rc ($(cat "$S.err"))" test $rc = 0
check "off without --period: one line on stderr" test "$(count "$S.err")" = 1
check "off without --period: DIR/secret deleted" test ! -e "$S/secret"
check "off without --period: the state was cleared ($(wc -c <"$S/state") bytes)" test "$(wc -c <"$S/state")" -lt 64
vt status --state "$S" >"$S.status" 2>&1
check "off without --period: status tracks no file" grep -q "^tracked files: 0$" "$S.status"
# DO_NOT_TRACK=0 / false / empty are not opt-outs
section "5 DO_NOT_TRACK=0 is not an opt-out"
start_receiver c5-dnt0
from_template c5-dnt0
vt DO_NOT_TRACK=0 CI= TOOLHIVE_SKIP_UPDATE_CHECK=1 run --state "$S" "${ON[@]}" --endpoint "$URL" --now 2026-11-25T13:00:00Z \
	"${FAST[@]}" "$LOG" >"$S.out" 2>"$S.err"
check "DO_NOT_TRACK=0 CI= TOOLHIVE_SKIP_UPDATE_CHECK=1 with --telemetry on: sent" test "$(nacc)" = 1
stop_receiver

# ====================================================================== 6
section "6 consent is not retroactive (local, then on)"
start_receiver c6
S=$TMP/c6
LOG=$TMP/c6.log
audit_lines 24 >"$LOG"
vt run --state "$S" --endpoint "$URL" --now 2026-11-24T12:00:00Z "$LOG" >/dev/null 2>"$S.err1"
vt run --state "$S" --endpoint "$URL" --flush --now 2026-11-25T12:00:00Z "$LOG" >/dev/null 2>>"$S.err1"
check "local runs wrote the 2026-11-24 report ($(cat "$S.err1"))" test -f "$S/reports/$TPL_REPORT"
old_id=$(report_id "$S/reports/$TPL_REPORT")
audit_lines 26 >>"$LOG"
vt run --state "$S" "${ON[@]}" --endpoint "$URL" --now 2026-11-25T13:00:00Z "${FAST[@]}" "$LOG" \
	>"$S.out" 2>"$S.err"
check "upload turned on: the earlier period is not sent (requests: $(nreq))" test "$(nreq)" = 0
vt status --state "$S" "${ON[@]}" --endpoint "$URL" --json >"$S.json" 2>&1
check "status --json: the earlier report is local only" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
p = [e for e in d["pending"] if e["name"] == sys.argv[2]]
sys.exit(not (p and p[0]["fate"].startswith("local only")
              and d["upload_enabled_at"] == "2026-11-25T13:00:00Z"))' "$S.json" "$TPL_REPORT"
vt run --state "$S" "${ON[@]}" --endpoint "$URL" --flush --now 2026-11-27T12:00:00Z "${FAST[@]}" "$LOG" \
	>"$S.out" 2>"$S.err"
rc=$?
check "exit 0, got $rc ($(cat "$S.err"))" test $rc = 0
new=$S/reports/sent/20261126T000000Z-day.json.gz
check "the later period's report is sent" test -f "$new" -a "$(nacc)" = 1
[ -f "$new" ] && assert_delivered "later period" "$new"
check "the earlier report is never sent" absent "$old_id" "$R/requests"
check "and stays in reports/" test -f "$S/reports/$TPL_REPORT"
vt run --state "$S" "${ON[@]}" --endpoint "$URL" --now 2026-11-28T12:00:00Z "${FAST[@]}" "$LOG" \
	>/dev/null 2>&1
check "still never sent by a later run (requests: $(nreq))" test "$(nreq)" = 1
stop_receiver

section "6 on, local, on again: a new consent"
start_receiver c6b
S=$TMP/c6b
LOG=$TMP/c6b.log
audit_lines 24 >"$LOG"
consent "$S" "$LOG" "$URL"
vt run --state "$S" --telemetry local --endpoint "$URL" --now 2026-11-24T12:00:00Z "$LOG" >/dev/null 2>&1
vt run --state "$S" "${ON[@]}" --endpoint "$URL" --flush --now 2026-11-25T12:00:00Z "${FAST[@]}" "$LOG" \
	>"$S.out" 2>"$S.err"
check "a period that began before the renewed consent is not sent (requests: $(nreq))" \
	test "$(nreq)" = 0 -a -f "$S/reports/$TPL_REPORT"
stop_receiver

# ====================================================================== 7
section "7 HTTPS"
PKI=$TMP/pki
mkdir -p "$PKI"
mkcert() { # NAME CN EXT  (signed by $PKI/ca)
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$PKI/$1.key" -out "$PKI/$1.csr" -subj "/CN=$2" 2>/dev/null &&
		printf '%b' "$3" >"$PKI/$1.ext" &&
		openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
			-CAcreateserial -days 2 -out "$PKI/$1.crt" -extfile "$PKI/$1.ext" 2>/dev/null
}
pki_ok=1
for ca in ca other-ca; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$PKI/$ca.key" -out "$PKI/$ca.crt" -days 2 -subj "/CN=vt test $ca" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
		2>"$PKI/$ca.err" || pki_ok=0
done
mkcert server localhost 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' || pki_ok=0
mkcert wrongname example.invalid 'subjectAltName=DNS:example.invalid\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' || pki_ok=0
mkcert client vt-client 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' || pki_ok=0
check "openssl made a CA, a server and a client certificate ($(cat "$PKI"/*.err))" test $pki_ok = 1

start_receiver c7 --tls "$PKI/server.crt" "$PKI/server.key"
HURL=https://127.0.0.1:$(cat "$R/port")/v1/reports
# untrusted: no --cacert
from_template c7
t0=$(now_s)
vt run --state "$S" "${ON[@]}" --endpoint "$HURL" --now 2026-11-25T13:00:00Z "${FAST[@]}" "$LOG" \
	>"$S.out" 2>"$S.err"
rc=$?
t1=$(now_s)
check "untrusted: nothing accepted, report pending (rc $rc)" \
	test "$(nacc)" = 0 -a "$(nreq)" = 0 -a -f "$S/reports/$TPL_REPORT"
check "untrusted: stderr names a certificate problem ($(cat "$S.err"))" grep -qi 'certificate' "$S.err"
check "untrusted: a verification failure is not retried until the deadline ($(elapsed "$t0" "$t1") s)" \
	lt "$(elapsed "$t0" "$t1")" 10
# the wrong CA
vt run --state "$S" "${ON[@]}" --endpoint "$HURL" --cacert "$PKI/other-ca.crt" --now 2026-11-25T13:00:00Z \
	"${FAST[@]}" "$LOG" >"$S.out" 2>"$S.err"
check "another CA: nothing accepted ($(cat "$S.err"))" \
	test "$(nacc)" = 0 -a -f "$S/reports/$TPL_REPORT"
# there is no way to turn verification off
for opt in --insecure -k --no-verify --tls-no-verify; do
	vt run --state "$S" "${ON[@]}" --endpoint "$HURL" "$opt" --now 2026-11-25T13:00:00Z "$LOG" \
		>/dev/null 2>&1
	rc=$?
	check "$opt is a usage error (exit $rc)" test $rc = 2
done
check "still nothing accepted" test "$(nacc)" = 0
# trusted with --cacert
vt run --state "$S" "${ON[@]}" --endpoint "$HURL" --cacert "$PKI/ca.crt" --now 2026-11-25T13:00:00Z \
	"${FAST[@]}" "$LOG" >"$S.out" 2>"$S.err"
rc=$?
check "--cacert CA: exit 0, got $rc ($(cat "$S.err"))" test $rc = 0
check "--cacert CA: delivered over HTTPS" test "$(nacc)" = 1 -a -f "$S/reports/sent/$TPL_REPORT"
[ -f "$S/reports/sent/$TPL_REPORT" ] && assert_delivered https "$S/reports/sent/$TPL_REPORT"
check "no token in output over HTTPS either" absent "$TOKEN" "$S" "$S.out" "$S.err"
stop_receiver

section "7 HTTPS, a trusted certificate for another name"
start_receiver c7n --tls "$PKI/wrongname.crt" "$PKI/wrongname.key"
HURL=https://127.0.0.1:$(cat "$R/port")/v1/reports
from_template c7n
vt run --state "$S" "${ON[@]}" --endpoint "$HURL" --cacert "$PKI/ca.crt" --now 2026-11-25T13:00:00Z \
	"${FAST[@]}" "$LOG" >"$S.out" 2>"$S.err"
check "the host name is verified: nothing accepted, report pending ($(cat "$S.err"))" \
	test "$(nacc)" = 0 -a "$(nreq)" = 0 -a -f "$S/reports/$TPL_REPORT"
stop_receiver

section "7 HTTPS with a client certificate"
start_receiver c7m --tls "$PKI/server.crt" "$PKI/server.key" --client-ca "$PKI/ca.crt"
HURL=https://127.0.0.1:$(cat "$R/port")/v1/reports
from_template c7m
vt run --state "$S" "${ON[@]}" --endpoint "$HURL" --cacert "$PKI/ca.crt" --now 2026-11-25T13:00:00Z \
	--timeout 2s --deadline 3s "$LOG" >"$S.out" 2>"$S.err"
rc=$?
check "without --cert/--key: nothing accepted, report pending (rc $rc, $(cat "$S.err"))" \
	test "$(nacc)" = 0 -a -f "$S/reports/$TPL_REPORT"
# the client certificate from a config file (also covers its other keys)
CFG_ON=$TMP/on.conf
cat >"$CFG_ON" <<EOF
# settings for the mTLS case
telemetry = on
endpoint = $HURL
token_file = $TMP/token
cacert = $PKI/ca.crt
cert = $PKI/client.crt
key = $PKI/client.key
EOF
vt run --state "$S" --config "$CFG_ON" --now 2026-11-25T13:00:00Z "${FAST[@]}" "$LOG" >"$S.out" 2>"$S.err"
rc=$?
check "with the client certificate (config file): exit 0, got $rc ($(cat "$S.err"))" test $rc = 0
check "with the client certificate: delivered" test "$(nacc)" = 1 -a -f "$S/reports/sent/$TPL_REPORT"
line=$(grep -v '^$' "$R/requests" | tail -1)
check "config token_file: the token arrives" test "$(field 6 "$line")" = "bearer:$TOKEN_SHA"
from_template c7m2
vt run --state "$S" "${ON[@]}" --endpoint "$HURL" --cacert "$PKI/ca.crt" --cert "$PKI/client.crt" \
	--key "$PKI/client.key" --now 2026-11-25T13:00:00Z "${FAST[@]}" "$LOG" >"$S.out" 2>"$S.err"
rc=$?
check "with --cert/--key: exit 0, got $rc ($(cat "$S.err"))" test $rc = 0
check "with --cert/--key: delivered" test "$(nacc)" = 2 -a -f "$S/reports/sent/$TPL_REPORT"
stop_receiver

# ====================================================================== 8
section "8 preview and status"
start_receiver c8
from_template c8
F=$S/reports/$TPL_REPORT
id=$(report_id "$F")
before=$(snapshot "$S")
vt preview --state "$S" "${ON[@]}" --endpoint "$URL" >"$S.preview" 2>"$S.preview.err"
rc=$?
check "preview exits 0, got $rc ($(cat "$S.preview.err"))" test $rc = 0
"$PY" - "$S.preview" "$URL" "$id" "$(stat -c %s "$F")" "$F" >"$S.pcheck" 2>&1 <<'EOF'
import gzip, sys
out = open(sys.argv[1], "rb").read().decode()
url, rid, size, path = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
head, _, body = out.partition("\n\n")
lines = head.split("\n")
want = ["POST " + url, "Content-Type: application/json",
        "Content-Encoding: gzip", "Idempotency-Key: " + rid]
problems = []
if lines[:4] != want:
    problems.append("first lines %r, want %r" % (lines[:4], want))
hdr = dict(l.split(": ", 1) for l in lines[1:] if ": " in l)
if not hdr.get("User-Agent", "").startswith("vmcp-telemetry/"):
    problems.append("User-Agent %r" % hdr.get("User-Agent"))
if hdr.get("Content-Length") != size:
    problems.append("Content-Length %r, want %s" % (hdr.get("Content-Length"), size))
if "not shown" not in hdr.get("Authorization", ""):
    problems.append("Authorization %r" % hdr.get("Authorization"))
report = gzip.open(path).read().decode()
if body not in (report, report + "\n"):
    problems.append("body differs from the report (%d vs %d chars)" % (len(body), len(report)))
print(hdr.get("User-Agent", "").replace(" ", "_"))
for p in problems:
    print("PROBLEM:", p)
EOF
check "preview shows the exact headers and body: $(grep PROBLEM "$S.pcheck")" \
	absent PROBLEM "$S.pcheck"
check "preview check ran ($(cat "$S.pcheck"))" grep -q '^vmcp-telemetry/' "$S.pcheck"
check "preview does not show the token" absent "$TOKEN" "$S.preview" "$S.preview.err"
vt preview --state "$S" "${ON[@]}" --endpoint "$URL" --raw >"$S.raw" 2>"$S.raw.err"
check "preview --raw is the report file byte for byte" cmp -s "$S.raw" "$F"
vt preview --state "$S" --endpoint "$URL" >"$S.preview.local" 2>&1
check "preview in local mode says nothing is sent" grep -q '^# telemetry is local' "$S.preview.local"
vt DO_NOT_TRACK=1 preview --state "$S" "${ON[@]}" --endpoint "$URL" >/dev/null 2>&1
vt DO_NOT_TRACK=1 status --state "$S" "${ON[@]}" --endpoint "$URL" >/dev/null 2>&1
check "preview and status send nothing (requests: $(nreq))" test "$(nreq)" = 0
check "preview and status change nothing, not even the secret" \
	test "$(snapshot "$S")" = "$before" -a -s "$S/secret"
# status --json parses and names the deciding signal
status_json() { # WANT_MODE WANT_DECIDED_BY VARS/ARGS...
	local mode=$1 by=$2
	shift 2
	local envs=() args=()
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; then envs+=("$a"); else args+=("$a"); fi
	done
	vt "${envs[@]}" status --state "$S" --endpoint "$URL" --json "${args[@]}" >"$S.sj" 2>"$S.sj.err"
	check "status --json ($*) is JSON" "$PY" -m json.tool "$S.sj" /dev/null
	check "status --json ($*): mode $mode, decided by $by: $(tr -d '\n' <"$S.sj" | cut -c1-160)" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
want_by = None if sys.argv[3] == "-" else sys.argv[3]
sys.exit(not (d["mode"] == sys.argv[2] and d["decided_by"] == want_by))' "$S.sj" "$mode" "$by"
}
status_json on --telemetry --telemetry on
status_json off DO_NOT_TRACK DO_NOT_TRACK=1 --telemetry on
status_json off TOOLHIVE_USAGE_METRICS_ENABLED TOOLHIVE_USAGE_METRICS_ENABLED=false VMCP_TELEMETRY=on
status_json local CI CI=true --telemetry on
status_json local GITHUB_ACTIONS GITHUB_ACTIONS=true VMCP_TELEMETRY=on
status_json off "config file" --config "$CFG_OFF" --telemetry on
status_json off VMCP_TELEMETRY VMCP_TELEMETRY=off --telemetry on
status_json local -
vt status --state "$S" "${ON[@]}" --endpoint "$URL" --json >"$S.sj" 2>&1
check "status --json: the pending report would be sent, token source named" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
p = [e for e in d["pending"] if e["name"] == sys.argv[2]]
sys.exit(not (p and p[0]["fate"] == "sent by the next run" and d["token_source"] == "--token-file"))' \
	"$S.sj" "$TPL_REPORT"
vt DO_NOT_TRACK=yes-dnt-value status --state "$S" "${ON[@]}" --endpoint "$URL" >"$S.st" 2>&1
vt DO_NOT_TRACK=yes-dnt-value status --json --state "$S" "${ON[@]}" --endpoint "$URL" >>"$S.st" 2>&1
check "status (text) names the deciding signal" grep -q 'decided by DO_NOT_TRACK=set' "$S.st"
check "status (text, --json) never shows DO_NOT_TRACK's value" absent yes-dnt-value "$S.st"
# the upload then sends what preview showed
vt run --state "$S" "${ON[@]}" --endpoint "$URL" --now 2026-11-25T13:00:00Z "${FAST[@]}" "$LOG" \
	>"$S.out" 2>"$S.err"
line=$(head -1 "$R/requests" 2>/dev/null)
check "the upload sends what preview showed (key, User-Agent, bytes)" \
	test "$(nacc)" = 1 -a "$(field 3 "$line")" = "$id" -a "$(field 7 "$line")" = "$(head -1 "$S.pcheck")"
check "the upload's body is the --raw output" cmp -s "$R/body.0" "$S.raw"
stop_receiver

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
