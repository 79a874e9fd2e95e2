#!/usr/bin/env bash
# Integration test of the collector with the real client: several
# 'run --telemetry on' upload to build/vmcp-telemetry-collector on
# loopback while the collector is killed with SIGKILL and restarted;
# afterwards every report is stored exactly once (sqlite3 on the database)
# and /v1/summary equals 'vmcp-telemetry merge' of the reports the clients
# sent, per range and per day, before and after retention rolled them up.
# Then cells under --min-installations withheld, the dashboard in headless
# Chromium (collector_browser.py, skipped without chromium), HTTPS with
# --tls-cert and bearer tokens with the real client, and the hostile
# requests (collector_hostile.py), and the attacks on withholding, health,
# timeouts and the protocol (collector_privacy.py).
#
#   bash tests/integration/collector.sh build/vmcp-telemetry
#   VT_KEEP=1 bash ...         keep the scratch dir
#   VT_WRAPPER="valgrind -q"   run the collector under a wrapper
#
# The clients run with env -i: the CI variables of the machine running
# the test would turn upload off (a CI environment never uploads).
set -u
if [ $# -lt 1 ]; then
	echo "usage: bash $0 BIN" >&2
	exit 2
fi
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
COLL=$(dirname "$BIN")/vmcp-telemetry-collector
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PYTHON:-python3}
NCLIENTS=${VT_COLLECTOR_CLIENTS:-6}
for tool in "$PY" sqlite3 curl gzip openssl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "collector.sh: $tool not found; 'make deps' installs it" >&2
		echo "0 passed, 1 failed"
		exit 1
	fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vt-collector.XXXXXX") || exit 1
CPID=""
cleanup() {
	[ -n "$CPID" ] && kill -9 "$CPID" 2>/dev/null
	wait 2>/dev/null
	if [ -n "${VT_KEEP:-}" ]; then echo "collector.sh: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$TMP/home"

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}
check() {
	local msg=$1
	shift
	if "$@"; then ok; else bad "$msg"; fi
}

DB=$TMP/db.sqlite
# start_collector [options]: the collector on $PORT (0 at first), in the
# background (CPID); waits until /healthz answers.
PORT=0
start_collector() {
	rm -f "$TMP/port"
	# shellcheck disable=SC2086 # VT_WRAPPER is a command line
	${VT_WRAPPER:-} "$COLL" --listen "127.0.0.1:$PORT" --db "$DB" \
		--port-file "$TMP/port" --min-installations 1 "$@" \
		2>>"$TMP/collector.err" &
	CPID=$!
	for _ in $(seq 200); do
		[ -s "$TMP/port" ] && break
		sleep 0.05
	done
	PORT=$(cat "$TMP/port" 2>/dev/null || echo 0)
	BASE=${SCHEME:-http}://127.0.0.1:$PORT
	for _ in $(seq 100); do
		# shellcheck disable=SC2086 # CURL_TLS is options
		curl -fs ${CURL_TLS:-} "$BASE/healthz" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	bad "the collector did not start: $(cat "$TMP/collector.err")"
	return 1
}
# stop_collector -TERM: it must exit 0 (under ASan: no leak, no error).
# kill9: SIGKILL, as a crash or an OOM kill would (bash's "Killed" notice
# silenced).
kill9() {
	{ kill -9 "$CPID" && wait "$CPID"; } 2>/dev/null
	CPID=""
}
stop_collector() {
	local rc
	kill "$1" "$CPID" 2>/dev/null
	wait "$CPID" 2>/dev/null
	rc=$?
	CPID=""
	check "the collector exits 0 on SIGTERM (exit $rc: $(tail -3 "$TMP/collector.err"))" test "$rc" = 0
}

day() { date -u -d "$1 day" +%Y-%m-%d; }
D0=$(day -6)
D1=$(day -5)
D2=$(day -4)
D3=$(day -3)
BACKENDS=(github slack jira notion linear sentry)

# audit_lines DATE CLIENT: a client's vMCP audit lines of one day.
audit_lines() {
	local d=$1 b=${BACKENDS[$(($2 % ${#BACKENDS[@]}))]}
	local calls=$(($2 + 1)) i
	for i in $(seq "$calls"); do
		echo "{\"time\":\"${d}T10:0${i}:01Z\",\"level\":\"AUDIT\",\"msg\":\"audit_event\",\"type\":\"mcp_tool_call\",\"outcome\":\"success\",\"component\":\"vmcp-$2\",\"source\":{\"type\":\"network\",\"value\":\"10.1.2.$2\",\"extra\":{\"user_agent\":\"claude-code/2.0.14\"}},\"target\":{\"method\":\"tools/call\",\"name\":\"t\",\"type\":\"tool\"},\"metadata\":{\"extra\":{\"backend_name\":\"$b\",\"duration_ms\":$((i * 40))}}}"
	done
	echo "{\"time\":\"${d}T11:30:00Z\",\"level\":\"AUDIT\",\"msg\":\"audit_event\",\"type\":\"mcp_tool_call\",\"outcome\":\"failure\",\"component\":\"vmcp-$2\",\"metadata\":{\"extra\":{\"backend_name\":\"github\",\"duration_ms\":1200}}}"
}

# vt ARGS: the client with only PATH and HOME (no CI, no DO_NOT_TRACK).
vt() { env -i PATH="$PATH" HOME="$TMP/home" LC_ALL=C "$BIN" "$@"; }

# ------------------------------------------------ clients, kill -9, restart
echo "== clients against a collector killed with SIGKILL"
# One report at a time (--max-inflight 1): the clients that find the slot
# taken get 429 and retry after Retry-After, so the uploads spread over
# seconds and the SIGKILLs land while some are in flight.
start_collector --max-inflight 1 || exit 1
URL=$BASE/v1/reports
for c in $(seq "$NCLIENTS"); do
	{ audit_lines "$D1" "$c"; audit_lines "$D2" "$c"; } >"$TMP/c$c.log"
	vt run --state "$TMP/c$c" --telemetry on --endpoint "$URL" \
		--now "${D0}T12:00:00Z" "$TMP/c$c.log" >/dev/null 2>"$TMP/c$c.consent.err" ||
		bad "client $c: the consent run failed: $(cat "$TMP/c$c.consent.err")"
done
cpids=()
for c in $(seq "$NCLIENTS"); do
	vt run --state "$TMP/c$c" --telemetry on --endpoint "$URL" --flush \
		--now "${D3}T12:00:00Z" --timeout 2s --deadline 60s "$TMP/c$c.log" \
		>"$TMP/c$c.out" 2>"$TMP/c$c.err" &
	cpids+=($!)
done
# Kill as soon as the first report is stored, while the rest are in flight.
for _ in $(seq 400); do
	n=$(sqlite3 "$DB" "SELECT count(*) FROM reports" 2>/dev/null || echo 0)
	[ "${n:-0}" -ge 1 ] && break
	sleep 0.01
done
kill9
stored_at_kill=$(sqlite3 "$DB" "SELECT count(*) FROM reports")
sleep 1
start_collector --max-inflight 1 || exit 1
# A second kill, mid-run again, then the collector stays up.
sleep 0.5
stored_at_kill2=$(sqlite3 "$DB" "SELECT count(*) FROM reports")
kill9
sleep 0.5
start_collector || exit 1
for i in "${!cpids[@]}"; do
	wait "${cpids[$i]}"
	rc=$?
	check "client $((i + 1)) exits 0 after the collector came back (rc $rc: $(cat "$TMP/c$((i + 1)).err"))" test "$rc" = 0
done
echo "   reports stored at the first SIGKILL: $stored_at_kill, at the second: $stored_at_kill2, of $((2 * NCLIENTS))"
check "the first SIGKILL came while reports were still to be stored ($stored_at_kill of $((2 * NCLIENTS)))" \
	test "$stored_at_kill" -lt $((2 * NCLIENTS))

SENT=()
for c in $(seq "$NCLIENTS"); do
	for f in "$TMP/c$c"/reports/sent/*.json.gz; do [ -f "$f" ] && SENT+=("$f"); done
	check "client $c has nothing pending" \
		test "$(find "$TMP/c$c/reports" -maxdepth 1 -name '*.json.gz' | wc -l)" = 0
done
check "every client sent two reports (${#SENT[@]})" test "${#SENT[@]}" = $((2 * NCLIENTS))
ids() { for f in "$@"; do gzip -dc "$f" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["report_id"])'; done | sort; }
ids "${SENT[@]}" >"$TMP/sent.ids"
sqlite3 "$DB" "SELECT idempotency_key FROM reports ORDER BY 1" >"$TMP/stored.ids"
check "the database holds every sent report exactly once" cmp -s "$TMP/sent.ids" "$TMP/stored.ids"
check "no idempotency key twice" test -z "$(sqlite3 "$DB" "SELECT idempotency_key FROM reports GROUP BY 1 HAVING count(*) > 1")"
check "the database is intact" test "$(sqlite3 "$DB" "PRAGMA integrity_check")" = ok
check "the database is in WAL mode" test "$(sqlite3 "$DB" "PRAGMA journal_mode")" = wal

# compare SUMMARY_JSON PYTHON_EXPR MERGED: the bucket (d is the document)
# is merge's report plus the numbers behind it.
compare() {
	"$PY" - "$@" <<'PYEOF'
import json, sys
summary, expr, merged = sys.argv[1], sys.argv[2], sys.argv[3]
doc = json.load(open(summary))
got = eval(expr, {"d": doc})
want = json.load(open(merged))
# The bucket is the report, in the report schema, plus the numbers behind
# it: every field of merge's report, equal, and the numbers.
extra = set(got) - set(want)
if extra != {"reports", "installation_periods", "installations", "withheld"} | (
        {"from", "to", "by", "min_installations"} & extra):
    print("unexpected fields", extra, file=sys.stderr)
    sys.exit(1)
if {k: got.get(k) for k in want} != want:
    for k in want:
        if got.get(k) != want.get(k):
            print("differs at", k, file=sys.stderr)
    sys.exit(1)
PYEOF
}
summary_matches() {
	local what=$1
	vt merge -o "$TMP/merged.json" "${SENT[@]}" 2>"$TMP/merge.err"
	curl -fs "$BASE/v1/summary?from=$D1&to=$D2" >"$TMP/summary.json"
	check "$what: /v1/summary equals merge of the sent reports" \
		compare "$TMP/summary.json" 'd' "$TMP/merged.json"
	check "$what: /v1/summary counts every report" \
		"$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d['reports']==d['installation_periods']==${#SENT[@]} and d['withheld']==[]))" "$TMP/summary.json"
	curl -fs "$BASE/v1/summary?from=$D1&to=$D2&by=day" >"$TMP/byday.json"
	local i=0 d f
	for d in "$D1" "$D2"; do
		local day_files=()
		for f in "${SENT[@]}"; do
			case $f in *"${d//-/}T000000Z-day.json.gz") day_files+=("$f") ;; esac
		done
		vt merge -o "$TMP/merged.$d.json" "${day_files[@]}"
		check "$what: the bucket of $d equals merge of that day's reports" \
			compare "$TMP/byday.json" "d['buckets'][$i]" "$TMP/merged.$d.json"
		i=$((i + 1))
	done
}
summary_matches "after two SIGKILLs"

# A report sent again: 200, nothing stored twice.
F=${SENT[0]}
ID=$(ids "$F")
post() {
	curl -s -o "$TMP/post.out" -w '%{http_code}' -H 'Content-Type: application/json' \
		-H 'Content-Encoding: gzip' -H "Idempotency-Key: $ID" --data-binary "@$F" "$URL"
}
check "the same report again is 200" test "$(post)" = 200
check "still stored once" test "$(sqlite3 "$DB" "SELECT count(*) FROM reports")" = $((2 * NCLIENTS))

# ------------------------------------------------ retention and rollups
echo "== retention"
stop_collector -TERM
start_collector --retain-days 2 || exit 1
check "retention rolled up both days" test "$(sqlite3 "$DB" "SELECT count(*) FROM rollups")" = 2
check "retention dropped the raw documents" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM reports WHERE body IS NOT NULL")" = 0
summary_matches "after the rollup"
check "a rolled-up report sent again is still 200" test "$(post)" = 200
check "and not stored again" test "$(sqlite3 "$DB" "SELECT count(*) FROM reports")" = $((2 * NCLIENTS))
# A late installation reports days already rolled up: its reports are held
# raw beside the rollups, summaries merge both, and the next retention
# pass folds them into the same rollups.
L=$((NCLIENTS + 1))
{ audit_lines "$D1" "$L"; audit_lines "$D2" "$L"; } >"$TMP/c$L.log"
vt run --state "$TMP/c$L" --telemetry on --endpoint "$URL" \
	--now "${D0}T12:00:00Z" "$TMP/c$L.log" >/dev/null 2>&1
vt run --state "$TMP/c$L" --telemetry on --endpoint "$URL" --flush \
	--now "${D3}T12:00:00Z" --timeout 2s --deadline 20s "$TMP/c$L.log" >/dev/null 2>"$TMP/c$L.err"
check "the late client exits 0 ($(cat "$TMP/c$L.err"))" test $? = 0
for f in "$TMP/c$L"/reports/sent/*.json.gz; do [ -f "$f" ] && SENT+=("$f"); done
check "the late reports are held raw" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM reports WHERE body IS NOT NULL")" = 2
summary_matches "rollups and late raw reports"
stop_collector -TERM
start_collector --retain-days 2 || exit 1
check "the next pass folded them into the rollups" \
	test "$(sqlite3 "$DB" "SELECT count(*) FROM reports WHERE body IS NOT NULL") $(sqlite3 "$DB" "SELECT count(*) FROM rollups")" = "0 2"
summary_matches "after the second rollup"
stop_collector -TERM

# ------------------------------------------------ withholding, dashboard
echo "== cells under --min-installations withheld"
# Each client has a backend of its own (BACKENDS), and every one of them
# calls github: at the default K=3, github is shown and the others not.
PORT=0
start_collector --min-installations 3 || exit 1
curl -fs "$BASE/v1/summary?from=$D1&to=$D2" >"$TMP/k3.json"
check "K=3: the single-installation backends are withheld, with count 0; github is not" \
	"$PY" - "$TMP/k3.json" "$NCLIENTS" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
w = d["withheld"]
b = d["usage"]["backend_distribution"]
ok = d["min_installations"] == 3 and "usage.backend_distribution.github" not in w
ok = ok and b["github"] > 0
for name in ("slack", "jira", "notion", "linear", "sentry")[: max(0, n - 1)]:
    ok = ok and "usage.backend_distribution." + name in w and b.get(name) == 0
sys.exit(not ok)
PYEOF
curl -fs "$BASE/" >"$TMP/dashboard.html"
check "the dashboard marks withheld cells" grep -q "(withheld)" "$TMP/dashboard.html"
check "the dashboard carries no script" test "$(grep -ci "<script" "$TMP/dashboard.html")" = 0
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
	echo "== dashboard in headless Chromium"
	if "$PY" "$ROOT/tests/integration/collector_browser.py" "$BASE/" "$TMP/browser" \
		>"$TMP/browser.out" 2>&1; then ok; else bad "collector_browser.py:"; fi
	cat "$TMP/browser.out"
else
	echo "collector.sh: chromium not found: the dashboard was not opened"
fi
stop_collector -TERM

# ------------------------------------------------ HTTPS and tokens, real client
echo "== HTTPS (--tls-cert) and bearer tokens with the real client"
PKI=$TMP/pki
mkdir -p "$PKI"
pki() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$PKI/ca.key" -out "$PKI/ca.crt" -days 2 -subj "/CN=vt collector test ca" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$PKI/server.key" -out "$PKI/server.csr" -subj "/CN=localhost" &&
		printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >"$PKI/ext" &&
		openssl x509 -req -in "$PKI/server.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
			-CAcreateserial -days 2 -out "$PKI/server.crt" -extfile "$PKI/ext"
}
if command -v openssl >/dev/null 2>&1 && pki 2>"$PKI/err"; then
	TOKEN="collector-test-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
	printf 'some-other-token\n%s\n' "$TOKEN" >"$TMP/tokens"
	printf '%s\n' "$TOKEN" >"$TMP/good.token"
	printf 'not-%s\n' "$TOKEN" >"$TMP/bad.token"
	chmod 600 "$TMP/tokens" "$TMP"/*.token
	DB=$TMP/tls.sqlite PORT=0 SCHEME=https CURL_TLS="--cacert $PKI/ca.crt"
	start_collector --tls-cert "$PKI/server.crt" --tls-key "$PKI/server.key" \
		--token-file "$TMP/tokens" || exit 1
	for who in good bad; do
		S=$TMP/tls-$who
		audit_lines "$D1" 1 >"$S.log"
		vt run --state "$S" --telemetry on --endpoint "$BASE/v1/reports" --cacert "$PKI/ca.crt" \
			--token-file "$TMP/$who.token" --now "${D0}T12:00:00Z" "$S.log" >/dev/null 2>&1
		vt run --state "$S" --telemetry on --endpoint "$BASE/v1/reports" --cacert "$PKI/ca.crt" \
			--token-file "$TMP/$who.token" --flush --now "${D3}T12:00:00Z" --timeout 2s \
			--deadline 20s "$S.log" >"$S.out" 2>"$S.err"
		eval "rc_$who=$?"
	done
	# shellcheck disable=SC2154 # set by eval
	check "HTTPS with the right token: the client exits 0 (rc $rc_good: $(cat "$TMP/tls-good.err"))" test "$rc_good" = 0
	# shellcheck disable=SC2154
	check "HTTPS with a wrong token: refused, the client exits 4 (rc $rc_bad)" test "$rc_bad" = 4
	check "only the report with the right token is stored" \
		test "$(sqlite3 "$DB" "SELECT count(*) FROM reports")" = 1
	check "the token appears nowhere in the collector's output" \
		sh -c "! grep -qF '$TOKEN' '$TMP/collector.err'"
	check "plain HTTP to the TLS port is not served" \
		sh -c "! curl -fs --max-time 5 'http://127.0.0.1:$PORT/healthz' >/dev/null 2>&1"
	stop_collector -TERM
	SCHEME=http CURL_TLS=""
else
	bad "openssl could not make the test certificates: $(cat "$PKI/err")"
fi

echo "== hostile requests"
if "$PY" "$ROOT/tests/integration/collector_hostile.py" "$COLL" "$F" "$TMP/hostile" \
	>"$TMP/hostile.out" 2>&1; then ok; else bad "collector_hostile.py:"; fi
cat "$TMP/hostile.out"

echo "== attacks on withholding, health, timeouts and the protocol"
if "$PY" "$ROOT/tests/integration/collector_privacy.py" "$COLL" "$BIN" "$TMP/privacy" \
	>"$TMP/privacy.out" 2>&1; then ok; else bad "collector_privacy.py:"; fi
cat "$TMP/privacy.out"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
