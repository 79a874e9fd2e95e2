#!/bin/sh
# Regenerates the committed seed corpus, tests/fuzz/corpus/<target>/, from
# the project's fixtures (vmcp-lines.jsonl holds lines as vMCP writes them), and state
# files that the real binary writes. Seeds stay small (a few KiB each);
# libFuzzer's mutations do the rest. Needs a built binary ('make').
#
#   tests/fuzz/make-corpus.sh [path/to/vmcp-telemetry]
set -eu

cd "$(dirname "$0")/../.."
BIN=${1:-build/vmcp-telemetry}
REF=fixtures/input/vmcp-lines.jsonl
C=tests/fuzz/corpus
MAX=4096

[ -x "$BIN" ] || { echo "make-corpus: build $BIN first ('make')" >&2; exit 1; }
rm -rf "$C"
for t in fuzz_lines fuzz_decode fuzz_rules fuzz_state fuzz_agg fuzz_source fuzz_report fuzz_collector; do
	mkdir -p "$C/$t"
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# seed TARGET NAME FILE: the file's first MAX bytes.
seed() { head -c "$MAX" "$3" >"$C/$1/$2"; }
# lines TARGET PREFIX FILE [N]: each of the first N lines as its own seed.
lines() {
	n=$(grep -ac "" "$3")
	[ "$n" -le "${4:-1000}" ] || n=${4:-1000}
	i=1
	while [ "$i" -le "$n" ]; do
		# sed keeps NUL bytes and CRs, which shell variables would not
		sed -n "${i}p" "$3" | tr -d '\n' | head -c "$MAX" \
			>"$C/$1/$2-$(printf %02d "$i")"
		i=$((i + 1))
	done
}
# first line of FILE for each distinct value of a JSON string key.
distinct() {
	awk -v k="\"$2\":\"" '{ i = index($0, k); if (!i) next;
		v = substr($0, i + length(k)); v = substr(v, 1, index(v, "\"") - 1);
		if (!(v in seen)) { seen[v] = 1; print } }' "$1"
}

S=fixtures/samples
K8S=$(find $S/kubernetes -name '0.log' | sort | head -n 1)
K8SGZ=$(find $S/kubernetes -name '*.gz' | sort | head -n 1)
DOCKER=$(find $S/docker -name '*-json.log' | sort | head -n 1)

# fuzz_lines: whole streams (CRI and docker wrappers, partial lines, NULs).
for f in cri.log docker.log malformed.jsonl garbage.bin rotated.log \
	planted.txt private.jsonl events.jsonl rotated.log.2.gz; do
	seed fuzz_lines "$f" "fixtures/input/$f"
done
seed fuzz_lines k8s-cri.log "$K8S"
seed fuzz_lines docker-json.log "$DOCKER"
seed fuzz_lines cli-host.log $S/cli-host/vmcp.log
seed fuzz_lines reference.jsonl "$REF"
printf '\0\0\0{"msg":"a"}\r\n\r\n\n2026-08-21T10:15:02Z stdout P {"ms\n2026-08-21T10:15:02Z stdout F g":"b"}\nno newline' \
	>"$C/fuzz_lines/nuls-crlf-cri-partial"

# fuzz_decode: single lines of every kind, bad ones included.
lines fuzz_decode ref "$REF"
lines fuzz_decode malformed fixtures/input/malformed.jsonl
distinct fixtures/input/events.jsonl type >"$tmp/events"
lines fuzz_decode event "$tmp/events"
distinct $S/cli-host/vmcp.log.1 msg >"$tmp/cli"
lines fuzz_decode cli "$tmp/cli" 20
lines fuzz_decode docker fixtures/input/docker.log
lines fuzz_decode private fixtures/input/private.jsonl 4

# fuzz_rules: application lines (their msg), and rules files.
{ cat "$REF" $S/cli-host/vmcp.log $S/cli-host/vmcp.log.1 fixtures/input/events.jsonl
  cut -d' ' -f4- "$K8S"; } |
	grep -v '"msg":"audit_event"' | distinct /dev/stdin msg >"$tmp/app"
lines fuzz_rules app "$tmp/app" 60
seed fuzz_rules rules.conf data/rules.conf
grep -v '^#' data/rules.conf | grep . | split -l 8 - "$tmp/rules-"
for f in "$tmp"/rules-*; do cp "$f" "$C/fuzz_rules/$(basename "$f")"; done

# fuzz_state and fuzz_agg: state files from real runs, and their aggregate.
state() {
	name=$1
	shift
	CI=true "$BIN" run -q --state "$tmp/$name" "$@" >/dev/null 2>&1 || true
	[ -f "$tmp/$name/state" ] || { echo "make-corpus: run $* wrote no state" >&2; exit 1; }
	cp "$tmp/$name/state" "$C/fuzz_state/$name"
	at=$(LC_ALL=C grep -obaU VTAG "$tmp/$name/state" | head -n 1 | cut -d: -f1)
	size=$(wc -c <"$tmp/$name/state")
	# the aggregate runs from its magic to the state's own 4-byte CRC
	tail -c +$((at + 1)) "$tmp/$name/state" | head -c $((size - at - 4)) \
		>"$C/fuzz_agg/$name"
}
state hour-samples --period hour --now 2026-11-24T06:20:00Z $S/
state day-inputs --period day --now 2026-08-21T23:00:00Z fixtures/input/events.jsonl \
	fixtures/input/cri.log fixtures/input/docker.log fixtures/input/malformed.jsonl
state week-samples --period week --now 2026-11-24T12:00:00Z $S/ fixtures/input/rotated.log
state flushed --period day --flush --now 2026-11-25T00:00:00Z $S/cli-host/

# fuzz_source: plain and gzip files: concatenated, truncated, trailing bytes.
for f in rotated.log planted.txt rotated.log.2.gz trailing.log.gz truncated.log.gz; do
	seed fuzz_source "$f" "fixtures/input/$f"
done
seed fuzz_source cli-host.log.2.gz $S/cli-host/vmcp.log.2.gz
seed fuzz_source k8s.log.gz "$K8SGZ"
printf '{"msg":"one"}\n' | gzip -n >"$tmp/a.gz"
printf '{"msg":"two"}\n' | gzip -n >"$tmp/b.gz"
printf '' | gzip -n >"$tmp/empty.gz"
cat "$tmp/a.gz" "$tmp/empty.gz" "$tmp/b.gz" >"$C/fuzz_source/concatenated.gz"
cat "$tmp/a.gz" >"$C/fuzz_source/member.gz"
printf '' >"$C/fuzz_source/empty"
printf '\037' >"$C/fuzz_source/one-magic-byte"
printf '\037\213' >"$C/fuzz_source/magic-only"

# fuzz_report: the golden reports whole (a report is about 4 KiB), one
# gzip'd as run writes them, a merged one with an HLL sketch and hours.
for f in fixtures/expected/*.json; do
	cp "$f" "$C/fuzz_report/$(basename "$f")"
done
gzip -n -c fixtures/expected/events.json >"$C/fuzz_report/events.json.gz"
"$BIN" report -q --now 2026-11-25T00:00:00Z fixtures/input/events.jsonl \
	$S/cli-host/ >"$tmp/r1.json"
"$BIN" merge "$tmp/r1.json" fixtures/expected/samples.json \
	>"$C/fuzz_report/merged.json"

# fuzz_collector: a flag byte (fuzz_collector.c) and a report as run
# writes it for 2026-11-24 (installation_id included): as JSON to be
# gzip'd (1), as the gzip'd file itself (2), with a wrong key (9).
env -i PATH="$PATH" HOME="$tmp" "$BIN" run --state "$tmp/st" --flush \
	--now 2026-11-25T12:00:00Z fixtures/input/events.jsonl >/dev/null
for r in "$tmp"/st/reports/*.json.gz; do
	n=$(basename "$r" .json.gz)
	{ printf '\001'; gzip -dc "$r"; } >"$C/fuzz_collector/$n.json"
	{ printf '\002'; cat "$r"; } >"$C/fuzz_collector/$n.gz"
	{ printf '\011'; gzip -dc "$r"; } >"$C/fuzz_collector/$n.key"
done

echo "make-corpus: $(find "$C" -type f | wc -l) seeds, $(find "$C" -type f -exec cat {} + | wc -c) bytes" >&2
