#!/bin/sh
# Integration tests of 'report --format html': golden pages, the page's
# structure and numbers against the JSON report of the same input, and
# what headless Chromium makes of it (no request, no horizontal scroll,
# not blank, prints).
#   sh tests/integration/html.sh BIN
#   VT_GOLDEN_UPDATE=1 sh ... BIN     rewrite the golden pages
#   VT_WRAPPER="valgrind ..." sh ...  run the binary under a wrapper
# Needs python3 and chromium (tools/install-deps.sh installs both).
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
. tests/integration/clean-env.sh
IN=fixtures/input
EXP=fixtures/expected
NOW=2026-11-25T00:00:00Z
CHECK="python3 tests/integration/html_check.py"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# One fleet key for every report: a report made without one is keyed at
# random, and these tests compare views of reports made separately.
KEY=$TMP/fleet-key
printf "formats-test-fleet-key-0123456789\n" >"$KEY"
WRAP=${VT_WRAPPER:-}
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
vt() { $WRAP "$BIN" "$@"; }

# The report_id depends on the instances sketch, which hashes the
# canonical path of each file: it differs from one checkout to another.
# The golden pages hold it as ID; the real one is checked against the
# JSON report's instead.
unid() { sed 's|<code>report_id</code> <code>[0-9a-f]*</code>|<code>report_id</code> <code>ID</code>|' "$1"; }

# page NAME EXPECTED_RC ARGS...: the HTML report of ARGS is well-formed,
# self-contained and accessible, shows the numbers of the golden JSON
# report fixtures/expected/NAME.json and the report_id of the JSON report
# of the same run, and (for the pages that have one) equals
# fixtures/expected/NAME.html byte for byte but for the report_id.
page() {
	name=$1 want=$2
	shift 2
	vt report --fleet-key-file "$KEY" -q --now "$NOW" --format html "$@" >"$TMP/$name.html" 2>"$TMP/$name.err"
	rc=$?
	[ "$rc" = "$want" ] || { bad "$name: exit $rc, want $want"; cat "$TMP/$name.err"; return; }
	if $CHECK page "$TMP/$name.html" "$EXP/$name.json"; then ok; else
		bad "$name: the page fails its checks"
	fi
	id=$(vt report --fleet-key-file "$KEY" -q --now "$NOW" "$@" | sed -n 's/^  "report_id": "\([0-9a-f]*\)",$/\1/p')
	if [ -n "$id" ] && grep -q "<code>report_id</code> <code>$id</code>" "$TMP/$name.html"; then ok; else
		bad "$name: the page does not show the JSON report's report_id '$id'"
	fi
	case " samples events malformed empty " in
	*" $name "*)
		[ "${VT_GOLDEN_UPDATE:-}" = 1 ] && unid "$TMP/$name.html" >"$EXP/$name.html"
		unid "$TMP/$name.html" >"$TMP/$name.unid.html"
		if cmp -s "$TMP/$name.unid.html" "$EXP/$name.html"; then ok; else
			bad "$name: page differs from $EXP/$name.html"
			diff -u "$EXP/$name.html" "$TMP/$name.unid.html" | head -40
		fi
		;;
	esac
}

page samples 0 fixtures/samples/
page events 0 $IN/events.jsonl
page malformed 3 $IN/malformed.jsonl
page rotated 0 "$IN/rotated.log*"
page wrappers 0 $IN/cri.log $IN/docker.log
page damaged-gzip 3 $IN/truncated.log.gz $IN/trailing.log.gz
page by-component 0 --instance-by component fixtures/samples/
page empty 0 /dev/null

# The same bytes on stdout, in -o FILE and in -o FILE.gz, with any
# number of threads.
vt report --fleet-key-file "$KEY" -q --now "$NOW" --format html -o "$TMP/a.html" fixtures/samples/ &&
	vt report --fleet-key-file "$KEY" -q --now "$NOW" --format html --threads 3 -o "$TMP/b.html.gz" fixtures/samples/ &&
	gzip -dc "$TMP/b.html.gz" >"$TMP/b.html" &&
	cmp -s "$TMP/a.html" "$TMP/samples.html" && cmp -s "$TMP/b.html" "$TMP/samples.html" && ok ||
	bad "-o FILE.html / -o FILE.html.gz / --threads differ from stdout"
vt report --fleet-key-file "$KEY" --format xml /dev/null >/dev/null 2>&1
[ $? = 2 ] && ok || bad "--format xml is not a usage error"
vt report --fleet-key-file "$KEY" --help | grep -q -- "html (a page with charts)" && ok || bad "--help does not name --format html"

# merge writes the page of the merged report: two copies of the samples'
# report make a page with twice its numbers.
vt merge -q --format html $EXP/samples.json $EXP/samples.json >"$TMP/merged.html" &&
	vt merge -q $EXP/samples.json $EXP/samples.json >"$TMP/merged.json" &&
	$CHECK page "$TMP/merged.html" "$TMP/merged.json" &&
	grep -q "<dt>Tool calls</dt><dd>648</dd>" "$TMP/merged.html" && ok ||
	bad "merge --format html"

# Privacy: the planted strings stay out of the HTML page too.
vt report --fleet-key-file "$KEY" --now "$NOW" --format html $IN/private.jsonl $IN/malformed.jsonl $IN \
	>"$TMP/private.html" 2>/dev/null
leaks=0
while IFS= read -r s; do
	[ -n "$s" ] || continue
	if grep -a -F -q -- "$s" "$TMP/private.html"; then
		bad "planted string leaked into the HTML page: $s"
		leaks=1
	fi
done <$IN/planted.txt
[ $leaks = 0 ] && grep -q "<svg" "$TMP/private.html" && ok || bad "private run wrote no page"

# The checker can fail: each broken copy of the page must be refused,
# for the right reason. mutant WHAT REGEX REPLACEMENT MESSAGE
mutant() {
	python3 -c "import re,sys; t=open(sys.argv[1]).read(); n=re.sub(sys.argv[2], sys.argv[3], t, count=1); assert n != t; open(sys.argv[4],'w').write(n)" \
		"$TMP/samples.html" "$2" "$3" "$TMP/mutant.html" || { bad "mutant $1: no change"; return; }
	if $CHECK page "$TMP/mutant.html" "$EXP/samples.json" >"$TMP/mutant.out"; then
		bad "the checker accepted a page with $1"
	elif grep -q -F -- "$4" "$TMP/mutant.out"; then ok; else
		bad "the checker refused a page with $1, but not for it:"
		cat "$TMP/mutant.out"
	fi
}
mutant "a script" '</body>' '<script>alert(1)</script></body>' "forbidden element <script>"
mutant "an external image" '</main>' '<p><img src="https://example.com/x.png" alt=""/></p></main>' "<img src=...> may fetch"
mutant "an external style" '</style>' 'b{background:url(http://example.com/x)}</style>' "the style sheet contains //"
mutant "an event handler" '<body>' '<body onload="x()">' "event handler attribute onload"
mutant "no Content-Security-Policy" '<meta http-equiv="Content-Security-Policy"[^>]*>' '' "no Content-Security-Policy"
mutant "a wrong key number" '<dt>Tool calls</dt><dd>324</dd>' '<dt>Tool calls</dt><dd>325</dd>' "key number Tool calls: 325"
mutant "a wrong table count" '<th scope="row">github</th><td class="n">68</td>' '<th scope="row">github</th><td class="n">67</td>' "figure usage.backend_distribution"
mutant "a wrong hour" '<td class="n">197</td>' '<td class="n">196</td>' "timeline 2026-11-24 08:00"
mutant "an unclosed element" '<section aria-labelledby="usage">' '<section aria-labelledby="usage"><div>' "</section> does not close"
mutant "a self-closed div" '<main>' '<main><div/>' "<div/> self-closes"
mutant "a chart without a description" '<desc id="outcomes-c-d">[^<]*</desc>' '' "desc 'outcomes-c-d' missing"
mutant "a duplicate id" 'id="backends"' 'id="outcomes"' "id 'outcomes' used 2 times"
mutant "a raw ampersand" '<h1>vMCP usage report</h1>' '<h1>vMCP & co</h1>' "not well-formed"

# The longest names an allowlist takes (64 characters, no space), 14 of
# them: the chart shortens them and groups the rest, the table must wrap
# them, even on a phone.
long=abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijklmnopqrstuvwxy
: >"$TMP/long-servers.txt"
: >"$TMP/long.log"
for i in 10 11 12 13 14 15 16 17 18 19 20 21 22 23; do
	printf '%s%s\n' "$long" "$i" >>"$TMP/long-servers.txt"
	printf '{"time":"2026-11-24T10:%s:00Z","level":"AUDIT","msg":"audit_event","type":"mcp_tool_call","outcome":"success","metadata":{"extra":{"backend_name":"%s%s","duration_ms":%s}}}\n' \
		"$i" "$long" "$i" "$i" >>"$TMP/long.log"
done
vt report --fleet-key-file "$KEY" -q --now "$NOW" --format html --servers "$TMP/long-servers.txt" "$TMP/long.log" >"$TMP/long.html"
grep -q ">3 more names<" "$TMP/long.html" && grep -q "<th scope=\"row\">${long}23</th>" "$TMP/long.html" &&
	$CHECK page "$TMP/long.html" && ok || bad "a page of long names"

# A real browser: no request, no horizontal scroll, not blank, prints.
if command -v chromium >/dev/null 2>&1 || [ -n "${CHROMIUM:-}" ]; then
	mkdir -p "$TMP/browser"
	if python3 tests/integration/html_browser.py "$TMP/browser" \
		"$TMP/samples.html" "$TMP/empty.html" "$TMP/malformed.html" \
		"$TMP/long.html"; then ok; else
		bad "the page does not pass in headless Chromium"
	fi
else
	bad "chromium is not installed ('make deps' installs it)"
fi

echo "html: $pass passed, $fail failed"
[ "$fail" = 0 ]
