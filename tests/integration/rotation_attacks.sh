#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fixed scenarios of 'run' that once lost, double counted or raised false
# alarms (issue 13's attacks), each kept as a permanent test:
#
#   bash tests/integration/rotation_attacks.sh build/vmcp-telemetry
#   VT_ONLY=copytruncate-overlap bash tests/integration/rotation_attacks.sh BIN
#
# Each scenario writes sequence-numbered vMCP audit lines, runs, rotates
# (real logrotate, or by hand as logrotate and the kubelet do) and checks
# that the tool calls counted equal the lines written (none lost, none
# counted twice), or that a loss that cannot be avoided is named and
# counted (exit 3, quality.files_lost). Needs logrotate, gzip, zstd, bzip2,
# strace (to hold logrotate between its copy and its truncation).
set -u
[ $# -ge 1 ] || { echo "usage: bash $0 BIN" >&2; exit 2; }
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/integration/clean-env.sh"
LOGROTATE=${LOGROTATE:-/usr/sbin/logrotate}
NOW=2026-11-25T00:00:00Z
TOP=$(mktemp -d "${TMPDIR:-/tmp}/vt-rotatk.XXXXXX") || exit 1
chmod 0700 "$TOP" # logrotate refuses a group or world writable directory
trap 'rm -rf "$TOP"' EXIT
pass=0 fail=0

. "$ROOT/tests/integration/audit-line.sh"
# A fresh scenario directory; the writer's descriptor is 3.
begin() {
	T=$TOP/$1; D=$T/d; ST=$T/st; live=$D/x.log
	mkdir -p "$D"; chmod 755 "$T" "$D"
	seq=0 written=0 nonzero=0 exit3=0 LIVES=() ; : >"$T/errs"
}
wopen() { exec 3>>"${1:-$live}"; }
lines() {
	local i c=""
	for ((i = 0; i < $1; i++)); do line "$seq"; seq=$((seq + 1)); written=$((written + 1)); c+=$L; done
	printf '%s' "$c" >&3
}
header() { printf '%s\n' "$H" >&3; }
vrun() {
	"$BIN" run --state "$ST" --now "$NOW" --grace 1d "$@" "${LIVES[@]:-$live}" 2>>"$T/errs"
	local rc=$?
	[ $rc = 0 ] || nonzero=$((nonzero + 1))
	[ $rc = 3 ] && exit3=$((exit3 + 1))
	return 0
}
lr() { "$LOGROTATE" -s "$T/lr.state" -f "$T/conf" >>"$T/lr.out" 2>&1; }
conf() { { echo "$live {"; for o in "$@"; do echo "  $o"; done; echo "}"; } >"$T/conf"; }
reports() { local f; for f in "$ST"/reports/*.json.gz; do [ -e "$f" ] && gzip -dc "$f"; done; }
tool_calls() {
	reports | awk '/"tool_calls": *\{/ { f = 1 }
		f && $1 == "\"total\":" { v = $2; sub(/,$/, "", v); s += v; f = 0 } END { print s + 0 }'
}
sum_of() { reports | awk -v key="\"$1\":" '$1 == key { v = $2; sub(/,$/, "", v); s += v } END { print s + 0 }'; }
verdict() { # NAME [lossok]: counted == written, or a named, counted loss
	vrun --flush >/dev/null
	local got lost
	got=$(tool_calls) lost=$(sum_of files_lost)
	if [ "$got" = "$written" ] && [ "${2:-}" != loss ]; then
		pass=$((pass + 1)); return
	fi
	if [ "${2:-}" = loss ] && [ "$got" -lt "$written" ] && [ "$lost" -gt 0 ] &&
		[ "$exit3" -gt 0 ] && grep -q "lost" "$T/errs"; then
		pass=$((pass + 1)); return
	fi
	fail=$((fail + 1))
	echo "FAIL $1: written $written, counted $got, files_lost $lost, exit-3 runs $exit3" >&2
	sed 's/^/    /' "$T/errs" | head -5 >&2
}
want() { [ -n "${VT_ONLY:-}" ] && [ "$VT_ONLY" != "$1" ] && return 1; return 0; }

# A log that begins with a startup line a run saw alone: after rotation
# the new log begins with it too, and its head proves nothing.
if want header-prefix; then
	begin header-prefix
	H='{"time":"2026-11-24T10:00:00Z","level":"INFO","msg":"Loading configuration","path":"/etc/vmcp/config.yaml"}'
	conf "rotate 10" missingok nomail create compress
	wopen; header; vrun
	lr; wopen; header; lines 10; vrun; lines 5; vrun
	lr; wopen; header; lines 7; vrun; exec 3>&-
	verdict header-prefix
fi

# Every file of the group begins with the same 1 KiB (or 50-byte)
# header: rotations, runs and interrupted runs in fixed orders (found at
# random: these were failing orders).
same_head() { # MODE HLEN STEPS...
	local mode=$1 hlen=$2 s; shift 2
	begin "same-head-$mode-$hlen-$RANDOM"
	H='{"time":"2026-11-24T10:00:00Z","level":"INFO","msg":"Loading configuration","config":"'$(head -c "$hlen" /dev/zero | tr '\0' a)'"}'
	conf "rotate 20" missingok nomail "$mode" compress delaycompress
	wopen; header
	for s in "$@"; do case $s in
		r) vrun ;;
		l*) lines "${s#l}" ;;
		o) lr; [ "$mode" = create ] && wopen; header ;;
	esac; done
	exec 3>&-
	verdict "same-head $mode $hlen"
}
if want same-head; then
	# an old rotated file's inode taken again by a copy that starts with the header
	same_head copytruncate 50 r r l4 o o l2 r o o l3 r l2 r o r r l4 o l2 r l6 r r l1 o l7 l5 l7
	same_head copytruncate 1100 r r l4 o o l2 r o o l3 r l2 r o r r l4 o l2 r l6 r r l1 o l7 l5 l7
	# files holding only the header, and files that merely begin with it
	same_head create 50 l9 r o r l10 o o r r o o l2 o o r o l6 r o l10 o o o r l4 l7 l5 o r
	same_head create 1100 l4 r r r l2 l1 o r l8 o o r l8 r l10 o o l6 r l6 r r o o l6 l7 o l6 l3
	same_head copytruncate 1100 l4 r r r l2 l1 o r l8 o o r l8 r l10 o o l6 r l6 r r o o l6 l7 o l6 l3
fi

# Two instances' logs (two directories) with the same first 1 KiB.
if want same-head-two-instances; then
	begin same-head-two
	H='{"time":"2026-11-24T10:00:00Z","level":"INFO","msg":"Loading configuration","config":"'$(head -c 1100 /dev/zero | tr '\0' a)'"}'
	mkdir -p "$D/a" "$D/b"; LIVES=("$D/a/audit.log" "$D/b/audit.log")
	for f in "${LIVES[@]}"; do printf '%s\n' "$H" >"$f"; done
	for ((i = 0; i < 6; i++)); do wopen "$D/a/audit.log"; lines 3; wopen "$D/b/audit.log"; lines 2; vrun; done
	exec 3>&-
	verdict same-head-two-instances
fi

# copytruncate: a run reads lines written after the copy, before the
# truncation; the copy is then shorter than where the run stopped.
if want copytruncate-overlap; then
	begin copytruncate-overlap
	wopen; lines 5; vrun; lines 4
	cp --preserve=all "$live" "$live.1"
	lines 3; vrun
	: >"$live"
	lines 2; vrun; exec 3>&-
	verdict copytruncate-overlap
fi
if want copytruncate-overlap-logrotate && command -v strace >/dev/null; then
	begin copytruncate-overlap-logrotate
	conf "rotate 5" missingok nomail copytruncate
	wopen; lines 5; vrun; lines 4
	strace -f -qq -o /dev/null -e trace=ftruncate -e inject=ftruncate:delay_enter=1500000 \
		"$LOGROTATE" -s "$T/lr.state" -f "$T/conf" &
	lp=$!
	for i in $(seq 100); do [ -s "$live.1" ] && break; sleep 0.02; done
	sleep 0.2
	lines 3; vrun
	wait $lp
	lines 2; vrun; exec 3>&-
	verdict copytruncate-overlap-logrotate
fi

# delaycompress and rotate 1: the writer adds lines to x.log.1 after a run
# read it, then x.log.1 is deleted. Cannot be read: named and counted.
if want late-writer; then
	begin late-writer
	conf "rotate 1" missingok nomail create compress delaycompress
	wopen; lines 5; vrun
	lr; lines 2; vrun
	lines 3
	wopen; lines 4
	lr; wopen; lines 1; vrun; exec 3>&-
	verdict late-writer loss
fi

# The kubelet removes 0.log of a crash-looping container while 2.log is
# written: what 0.log got after the last run is lost, named.
if want kubelet-restart-gc; then
	begin kubelet-restart-gc
	P=$D/pods/ns_vmcp-abc_0c1f2e3d-4b5a-6978-8a9b-0c1d2e3f4a5b/vmcp; mkdir -p "$P"
	LIVES=("$D/pods/*/*/*.log")
	crilines() {
		local i c=""
		for ((i = 0; i < $1; i++)); do
			line "$seq"
			c+="2026-11-24T10:$(printf %02d $(((seq / 60) % 60))):$(printf %02d $((seq % 60))).$(printf %09d $((seq * 1000 + 7)))Z stdout F $L"
			seq=$((seq + 1)) written=$((written + 1))
		done
		printf '%s' "$c" >&3
	}
	wopen "$P/0.log"; crilines 5; vrun
	crilines 4
	wopen "$P/1.log"; crilines 3
	wopen "$P/2.log"; rm "$P/0.log"; crilines 2
	vrun; exec 3>&-
	if grep -q "0.log' was removed by the kubelet" "$T/errs"; then verdict kubelet-restart-gc loss
	else fail=$((fail + 1)); echo "FAIL kubelet-restart-gc: 0.log not named" >&2; fi
	# a deleted pod is not a loss
	begin kubelet-pod-deleted
	P=$D/pods/ns_vmcp-abc_0c1f2e3d-4b5a-6978-8a9b-0c1d2e3f4a5b/vmcp; mkdir -p "$P"
	LIVES=("$D/pods/*/*/*.log")
	wopen "$P/0.log"; crilines 5; vrun; exec 3>&-
	rm -rf "$D/pods"; mkdir -p "$D/pods/ns_other_0c1f2e3d-4b5a-6978-8a9b-0c1d2e3f4a5c/app"
	wopen "$D/pods/ns_other_0c1f2e3d-4b5a-6978-8a9b-0c1d2e3f4a5c/app/0.log"; crilines 2; vrun; exec 3>&-
	if [ "$exit3" = 0 ]; then verdict kubelet-pod-deleted
	else fail=$((fail + 1)); echo "FAIL kubelet-pod-deleted: reported as a loss" >&2; fi
fi

# Files beside the log whose names hold digits that are no date.
if want unrelated-digits; then
	begin unrelated-digits
	live=$D/vmcp.log; wopen; lines 4; exec 3>&-
	for o in vmcp-8080.log vmcp.log.8443 vmcp.12345.log vmcp_2025.log vmcp-10.0.0.12.log vmcp.log.2.0.1; do
		line 5000; printf '%s' "$L" >"$D/$o"
	done
	verdict unrelated-digits
fi

# logrotate compressing x.log.1 (half written) while x.log.1 is there: no
# error, nothing failed; then the whole .zst or .bz2 replaces it.
partial() { # EXT COMMAND
	begin "partial-$1"
	wopen; lines 5; vrun; lines 40; exec 3>&-; mv "$live" "$live.1"; wopen; lines 3
	$2 -c "$live.1" >"$T/full"
	head -c $(($(stat -c %s "$T/full") / 2)) "$T/full" >"$live.1.$1"
	vrun
	local r1=$nonzero
	cp "$T/full" "$live.1.$1"; rm "$live.1"; vrun; exec 3>&-
	if [ "$r1" != 0 ] || [ "$(sum_of files_failed)" != 0 ]; then
		fail=$((fail + 1)); echo "FAIL partial-$1: a run during compression failed" >&2
		return
	fi
	verdict "partial-$1"
}
if want partial-compress; then
	partial zst "zstd -q"
	partial bz2 bzip2
fi

# A directory name with control characters: named escaped everywhere.
if want escape-loss; then
	begin escape-loss
	D2="$D/evil"$'\e[31m\nfake line\r'; mkdir -p "$D2"; live="$D2/x.log"
	wopen; lines 4; vrun; lines 3; mv "$live" "$live.1"; rm "$live.1"; wopen; lines 2
	vrun; exec 3>&-
	"$BIN" status --state "$ST" "$live" >"$T/s" 2>&1
	"$BIN" status --json --state "$ST" "$live" >"$T/j" 2>&1
	bad=0
	for f in "$T/errs" "$T/s" "$T/j"; do
		if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f]' "$f" ||
			[ "$(grep -c 'fake line' "$f")" != "$(grep -c evil "$f")" ]; then
			echo "FAIL escape-loss: raw control characters in $(basename "$f")" >&2; bad=1
		fi
	done
	grep -q evil "$T/s" || { echo "FAIL escape-loss: status does not name the file" >&2; bad=1; }
	[ $bad = 0 ] && pass=$((pass + 1)) || fail=$((fail + 1))
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
