#!/bin/sh
# Makes the README's picture of the HTML report: the report of the
# bundled samples, as headless Chromium shows its top at 1000x1400.
#   sh tools/screenshot.sh BIN OUT.png
set -eu
BIN=$1 OUT=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$BIN" report -q --now 2026-11-25T00:00:00Z --format html \
	-o "$TMP/report.html" "$ROOT/fixtures/samples/"
python3 "$ROOT/tests/integration/browser.py" "$TMP/report.html" \
	--size 1000x1400 --out "$TMP" >/dev/null
cp "$TMP/report-1000x1400.png" "$OUT"
size=$(wc -c <"$OUT")
echo "$OUT: $size bytes"
[ "$size" -lt 204800 ] || { echo "screenshot.sh: $OUT is over 200 KB" >&2; exit 1; }
