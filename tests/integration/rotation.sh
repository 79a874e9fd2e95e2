#!/usr/bin/env bash
# Integration test of 'run' against the real logrotate.
#
#   bash tests/integration/rotation.sh build/vmcp-telemetry
#   VT_SEED=1234 bash tests/integration/rotation.sh BIN     replay a seed
#   VT_ONLY=zstd VT_SEED=1234 ...                           one scenario of it
#   VT_STEPS=200 ...                                        longer scenarios
#
# For each rotation scheme (every logrotate directive that renames, moves
# or compresses: create, copytruncate, copy, compress, delaycompress,
# dateext with six dateformats, extension, olddir, compresscmd with gzip,
# zstd, xz and bzip2, start, nocreate, dateyesterday, renamecopy,
# addextension, an ISO-week dateformat; and the kubelet's
# own renaming, done here as the kubelet does it), a writer appends sequence-numbered vMCP audit
# lines, sometimes leaving a torn last line that its next write completes;
# between writes, in an order drawn from a seeded RNG, 'run' is called,
# logrotate rotates the file, and runs are started in the background and
# killed with SIGKILL at varied moments (some as soon as the run starts
# writing its new state, so the kill lands in the commit). At the end the
# tool calls in DIR/reports must equal the lines written, exactly: none
# lost, none counted twice. Then deterministic checks: a run with nothing
# new leaves the state alone, the lock, a damaged state, a file rotated
# away unread, and a same-name replacement.
#
# Needs bash, logrotate (/usr/sbin/logrotate; tools/install-deps.sh
# installs it), flock, gzip, zstd, xz, bzip2, awk, cmp, stat. No python.
set -u
if [ $# -lt 1 ]; then
	echo "usage: bash $0 BIN" >&2
	exit 2
fi
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# A caller's DO_NOT_TRACK=1 (or VMCP_TELEMETRY=off) would make every run
# count nothing: the scenarios run with a clean environment.
. "$ROOT/tests/integration/clean-env.sh"
LOGROTATE=${LOGROTATE:-/usr/sbin/logrotate}
NOW=2026-11-25T00:00:00Z
STEPS=${VT_STEPS:-80}
seed=${VT_SEED:-$(date +%s)}
echo "rotation.sh: seed $seed (replay with VT_SEED=$seed)"
RANDOM=$seed

if [ ! -x "$LOGROTATE" ]; then
	echo "rotation.sh: $LOGROTATE not found; install the Debian package logrotate (make deps)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vt-rotation.XXXXXX") || exit 1
# logrotate, run as root, refuses a log directory that is group or world
# writable; mktemp -d makes it 0700 and every scenario directory is 0755.
chmod 0700 "$TMP"
bgpids=""
cleanup() {
	for p in $bgpids; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ -n "${VT_KEEP:-}" ]; then echo "rotation.sh: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL: $* (seed $seed)"
}
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok; else bad "$what"; fi
}

# Sub-second pauses without forking sleep: read from a FIFO nobody writes.
mkfifo "$TMP/fifo"
exec 9<>"$TMP/fifo"
pause_us() { # microseconds
	local us=$1
	[ "$us" -gt 0 ] || return 0
	read -r -t "$((us / 1000000)).$(printf '%06d' $((us % 1000000)))" -u 9 _
	return 0
}
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$((10#$t))"; }

# One audit line, as vMCP writes it, for sequence number $1 (into L).
# All times fall on 2026-11-24, so every line is in one 'day' period.
. "$ROOT/tests/integration/audit-line.sh"

# Numbers of every '"KEY": N' in the reports of state dir $1, one a line.
values() {
	local f
	for f in "$1"/reports/*.json.gz; do
		[ -e "$f" ] && gzip -dc "$f"
	done | awk -v key="\"$2\":" '$1 == key { v = $2; sub(/,$/, "", v); print v + 0 }'
}
sum_of() { values "$1" "$2" | awk '{ s += $1 } END { print s + 0 }'; }
max_of() { values "$1" "$2" | awk '$1 > m { m = $1 } END { print m + 0 }'; }
# usage.tool_calls.total summed over all reports of state dir $1
tool_calls() {
	local f
	for f in "$1"/reports/*.json.gz; do
		[ -e "$f" ] && gzip -dc "$f"
	done | awk '/"tool_calls": *\{/ { f = 1 }
		f && $1 == "\"total\":" { v = $2; sub(/,$/, "", v); s += v; f = 0 }
		END { print s + 0 }'
}
mode_of() { stat -c %a "$1" 2>/dev/null; }

# The state dir and its files are private.
check_modes() { # NAME STATEDIR
	local name=$1 st=$2 f m badm=""
	[ "$(mode_of "$st")" = 700 ] || badm="$badm $st=$(mode_of "$st")"
	[ "$(mode_of "$st/reports")" = 700 ] || badm="$badm reports=$(mode_of "$st/reports")"
	for f in "$st/state" "$st/lock" "$st"/reports/*.json.gz; do
		[ -e "$f" ] || { badm="$badm $(basename "$f")=missing"; continue; }
		m=$(mode_of "$f")
		[ "$m" = 600 ] || badm="$badm $(basename "$f")=$m"
	done
	if [ -z "$badm" ]; then ok; else bad "$name: modes (want dir 700, files 600):$badm"; fi
}

# --- the writer -----------------------------------------------------------
# Appends through fd 3, opened with O_APPEND like a logger's. After a
# rename-style rotation the writer still holds the renamed file until it
# reopens: it finishes its torn line there and may write more whole lines
# there (never a torn one: a run treats a rotated file as closed, so its
# torn tail counts as it stands) until it reopens. copytruncate keeps the
# one file; compress (without delaycompress) gzips the renamed file at
# once, so the writer finishes its line before logrotate runs and reopens
# right after, as a postrotate signal makes it.
seq=0      # lines started so far (a torn one counts: it is finished later)
pending="" # the rest of the torn line
late=0     # 1: fd 3 still holds the renamed file

writer_open() { exec 3>>"$live"; late=0; }
writer_finish() {
	if [ -n "$pending" ]; then
		printf '%s' "$pending" >&3
		pending=""
	fi
}
write_step() {
	local k=$((RANDOM % 25 + 1)) chunk i cut
	if [ "$late" = 1 ] && [ $((RANDOM % 2)) = 0 ]; then writer_open; fi
	chunk=$pending
	pending=""
	for ((i = 0; i < k; i++)); do
		line "$seq"
		seq=$((seq + 1))
		chunk+=$L
	done
	if [ "$late" = 0 ] && [ $((RANDOM % 3)) = 0 ]; then
		line "$seq"
		seq=$((seq + 1))
		cut=$((RANDOM % (${#L} - 1) + 1))
		chunk+=${L:0:cut}
		pending=${L:cut}
	fi
	printf '%s' "$chunk" >&3
}

# --- the job ----------------------------------------------------------------
runs_us=0
runs_n=0
RUN_EXTRA=() # --olddir for the olddir scenario
vt_run() { "$BIN" run -q --state "$ST" --now "$NOW" --grace 1d "${RUN_EXTRA[@]}" "$@" "$live"; }
# For runs started in the background to be killed: exec, so that $! is the
# binary itself and SIGKILL reaches it (not only the subshell around it).
vt_exec() { exec "$BIN" run -q --state "$ST" --now "$NOW" --grace 1d "${RUN_EXTRA[@]}" "$@" "$live"; }

run_step() {
	local t0 rc
	t0=$(now_us)
	vt_run 2>"$D/run.err"
	rc=$?
	runs_us=$((runs_us + $(now_us) - t0))
	runs_n=$((runs_n + 1))
	if [ "$rc" != 0 ]; then
		bad "$name: step $step: run exited $rc"
		cat "$D/run.err"
	fi
}

kills=0
kills_changed=0
kills_commit=0
# A run in the background, SIGKILLed after a random delay of up to 1.5
# times a run's average duration; the writer sometimes writes meanwhile.
killed_step() {
	local avg pid delay before after
	avg=$((runs_n ? runs_us / runs_n : 10000))
	before=$( { cksum <"$ST/state"; } 2>/dev/null)
	vt_exec 2>/dev/null &
	pid=$!
	bgpids="$bgpids $pid"
	if [ $((RANDOM % 2)) = 0 ] && [ "${VT_CONCURRENT:-1}" = 1 ]; then write_step; fi
	delay=$(((RANDOM * 32768 + RANDOM) % (avg * 3 / 2 + 1)))
	pause_us "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	bgpids=${bgpids% "$pid"}
	after=$( { cksum <"$ST/state"; } 2>/dev/null)
	kills=$((kills + 1))
	[ "$before" = "$after" ] || kills_changed=$((kills_changed + 1))
}
# A run killed as soon as its new state file appears, i.e. in the commit
# (if the run has nothing to commit it ends by itself).
commit_kill_step() {
	local pid f n=0
	vt_exec 2>/dev/null &
	pid=$!
	bgpids="$bgpids $pid"
	while kill -0 "$pid" 2>/dev/null && [ $n -lt 200000 ]; do
		n=$((n + 1))
		for f in "$ST"/state.tmp.* "$ST"/reports/*.tmp.*; do
			if [ -e "$f" ]; then
				kill -9 "$pid" 2>/dev/null
				kills_commit=$((kills_commit + 1))
				break 2
			fi
		done
	done
	wait "$pid" 2>/dev/null
	bgpids=${bgpids% "$pid"}
	kills=$((kills + 1))
}

# --- logrotate --------------------------------------------------------------
last_rotation=0
write_conf() { # FILE OPTIONS...
	local conf=$1
	shift
	{
		echo "$live {"
		for o in "$@"; do echo "    $o"; done
		echo "}"
	} >"$conf"
	chmod 0644 "$conf"
}
logrotate_now() { # CONF
	if ! "$LOGROTATE" -s "$D/lr.state" -f "$1" >"$D/lr.out" 2>&1; then
		# a dateformat coarser than a second names two rotations in one
		# hour alike: logrotate refuses the second, and nothing moves
		if [ "$coarse" = 1 ] && grep -q "already exists" "$D/lr.out"; then
			skipped=$((skipped + 1))
			return 1
		fi
		bad "$name: logrotate failed"
		cat "$D/lr.out"
		return 1
	fi
}
# The kubelet's rotation (pkg/kubelet/logs): gzip every rotated file but
# the newest (to NAME.tmp, renamed to NAME.gz, then the original removed),
# then rename the live N.log to N.log.<UTC YYYYmmdd-HHMMSS>; the runtime
# reopens N.log.
kubelet_rotate() {
	local f
	for f in "$live".*; do
		case $f in *.gz | *.tmp) continue ;; esac
		[ -e "$f" ] || continue
		gzip -c "$f" >"$f.tmp" && mv "$f.tmp" "$f.gz" && rm "$f"
	done
	mv "$live" "$live.$(date -u +%Y%m%d-%H%M%S)"
}
rotate_step() {
	# The writer reopens before logrotate, so nothing goes to a file that
	# is about to be compressed.
	[ "$late" = 1 ] && writer_open
	case $mode in
	copy | compress)
		# copytruncate, copy: between copying and truncating, logrotate
		# itself loses what a writer appends, and a torn line would be
		# split between the copy and the file; compress without
		# delaycompress: the renamed file is compressed at once. So the
		# writer pauses at a line boundary while logrotate runs (this
		# script is the writer, and it does nothing else meanwhile).
		writer_finish
		;;
	esac
	if [ "$by_second" = 1 ]; then
		# names with one-second resolution: one rotation a second
		while [ "$EPOCHSECONDS" = "$last_rotation" ]; do pause_us 50000; done
		last_rotation=$EPOCHSECONDS
	fi
	if [ "$mode" = kubelet ]; then
		kubelet_rotate
		: >>"$live" # the runtime reopens (creates) the log at once
	else
		logrotate_now "$D/lr.conf" || return 0
	fi
	rotations=$((rotations + 1))
	case $mode in
	copy) ;; # fd 3 appends to the same (maybe truncated) file
	compress | reopen) writer_open ;;
	*)
		writer_finish # into the renamed file, which fd 3 still holds
		if [ $((RANDOM % 2)) = 0 ]; then late=1; else writer_open; fi
		;;
	esac
}

# --- the scenarios ------------------------------------------------------------
# scenario NAME LOGROTATE-OPTIONS... ("kubelet" alone: the kubelet's scheme).
# How the writer behaves around a rotation follows from the options.
scenario() {
	name=$1
	shift
	# VT_ONLY=NAME runs one scenario; each is seeded from the seed and its
	# name, so it replays alone as it ran among the others
	[ -z "${VT_ONLY:-}" ] || [ "$VT_ONLY" = "$name" ] || return 0
	local h
	h=$(printf '%s' "$name" | cksum)
	RANDOM=$(((seed + ${h%% *}) % 2147483648))
	D=$TMP/$name
	ST=$D/st
	live=$D/x.log
	RUN_EXTRA=()
	mkdir -m 0755 "$D"
	local o all=" $* "
	mode=rename by_second=0 coarse=0 skipped=0
	case $all in
	*" kubelet "*)
		mode=kubelet by_second=1
		live=$D/pods/vmcp_vmcp-7d9f8b6c5d-x2k4p_0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b/vmcp/0.log
		mkdir -p "$(dirname "$live")"
		;;
	*" copytruncate "* | *" copy "*) mode=copy ;;
	# renamecopy: renamed to x.log.tmp, copied into place, removed; what a
	# writer adds to x.log.tmp meanwhile is lost by logrotate itself
	*" renamecopy "*) mode=compress ;;
	*" compress "*) case $all in *" delaycompress "*) ;; *) mode=compress ;; esac ;;
	esac
	# nocreate: the writer creates the new file when it reopens, at once
	case $all in *" nocreate "*) [ "$mode" = rename ] && mode=reopen ;; esac
	case $all in *"%s"* | *"%S"*) by_second=1 ;; *"dateext"*) coarse=1 ;; esac
	for o in "$@"; do
		case $o in "olddir "*)
			mkdir -m 0755 "$D/${o#olddir }"
			RUN_EXTRA=(--olddir "${o#olddir }")
			;;
		esac
	done
	[ "$mode" = kubelet ] || write_conf "$D/lr.conf" "rotate 50" missingok nomail "$@"
	seq=0 pending="" rotations=0 kills=0 kills_changed=0 kills_commit=0
	runs_us=0 runs_n=0
	writer_open
	local r
	for ((step = 0; step < STEPS; step++)); do
		r=$((RANDOM % 20))
		if [ $r -lt 8 ]; then write_step
		elif [ $r -lt 12 ]; then run_step
		elif [ $r -lt 15 ]; then rotate_step
		elif [ $r -lt 18 ]; then killed_step
		else commit_kill_step
		fi
	done
	# every scheme rotates at least twice, whatever the seed
	while [ "$rotations" -lt 2 ] && [ "$skipped" -lt 2 ]; do write_step; rotate_step; done
	writer_finish
	step=final
	run_step
	vt_run --flush 2>"$D/run.err" || { bad "$name: --flush failed"; cat "$D/run.err"; }
	exec 3>&-

	local got lost malformed resets files
	got=$(tool_calls "$ST")
	lost=$(sum_of "$ST" files_lost)
	malformed=$(max_of "$ST" lines_malformed)
	resets=$(sum_of "$ST" files_reset)
	files=$(cd "$(dirname "$live")" && ls | grep -v '^st$\|^lr' | tr '\n' ' ')
	echo "  $name: $seq lines, $rotations rotations, $runs_n runs, $kills killed runs ($kills_changed changed the state, $kills_commit killed in the commit), files_reset $resets; counted $got"
	if [ "$got" = "$seq" ]; then ok; else
		bad "$name: reports count $got tool calls, $seq lines were written"
		echo "  files: $files"
	fi
	check "$name: files_lost is $lost, want 0" [ "$lost" = 0 ]
	check "$name: a report has lines_malformed $malformed, want 0" [ "$malformed" = 0 ]
	check_modes "$name" "$ST"
	# status names every file of the group, and why
	"$BIN" status --state "$ST" "${RUN_EXTRA[@]}" "$live" >"$D/status.out" 2>&1
	local f n=0 miss=""
	for f in "$(dirname "$live")"/* "$D"/old/*; do
		case $f in */st | */lr.* | */run.err | */status.out | */old) continue ;; esac
		[ -f "$f" ] || continue
		n=$((n + 1))
		grep -qF "$f" "$D/status.out" || miss="$miss $(basename "$f")"
	done
	check "$name: status does not list$miss in the rotation group" [ -z "$miss" ]
}

echo "rotation.sh: $STEPS steps per scenario"
GZ=$(command -v gzip) ZSTD=$(command -v zstd) XZ=$(command -v xz) BZ=$(command -v bzip2)
scenario create create
scenario copytruncate copytruncate
scenario copy copy
scenario compress create compress
scenario delaycompress create compress delaycompress
# the issue's recipe for rotating more than once a day
scenario dateext-epoch create dateext "dateformat -%Y%m%d-%s" compress
scenario dateext-dashes create dateext "dateformat -%Y-%m-%d-%s" compress delaycompress
scenario dateext-T create dateext "dateformat .%Y%m%dT%H%M%S"
scenario dateext-under copytruncate dateext "dateformat _%Y-%m-%d_%H-%M-%S" compress \
	"compresscmd $XZ" "uncompresscmd $(command -v unxz)" "compressext .xz"
scenario dateext-hour create dateext "dateformat -%Y%m%d%H" compress delaycompress
scenario dateext-yesterday create dateext dateyesterday "dateformat -%Y%m%d-%s"
# x.log -> x-20261124-1764000000.log.gz
scenario extension create dateext "dateformat -%Y%m%d-%s" "extension .log" compress
# x.log -> x.1.log, x.2.log.gz
scenario extension-numbered create "extension .log" compress delaycompress
scenario olddir create "olddir old" dateext "dateformat -%Y%m%d-%s" compress delaycompress
scenario gzipcmd create compress "compresscmd $GZ" "uncompresscmd $(command -v gunzip)" \
	"compressext .gz" "compressoptions -9"
scenario zstd create compress delaycompress "compresscmd $ZSTD" \
	"uncompresscmd $(command -v unzstd)" "compressext .zst" "compressoptions -q"
scenario xz create compress "compresscmd $XZ" "uncompresscmd $(command -v unxz)" \
	"compressext .xz"
scenario bzip2 copytruncate compress delaycompress "compresscmd $BZ" \
	"uncompresscmd $(command -v bunzip2)" "compressext .bz2"
# numbered from 0; logrotate does not create the new file (the writer does)
scenario start0-nocreate nocreate "start 0" compress "compressoptions -1"
scenario kubelet kubelet
# found by trying schemes the rules were not written for: an ISO week with
# a literal W (one rotation a week), renamecopy into an olddir, and
# addextension with compress (x.log -> x.log.1.gz.gz is not made, but
# x-20261124.log.gz is, as with extension)
scenario week create dateext "dateformat -%Y-W%V" compress
scenario renamecopy renamecopy create "olddir old" compress delaycompress
scenario addextension create "addextension .log" dateext "dateformat .%Y%m%d.%s" compress

# --- deterministic checks -------------------------------------------------------
new_dir() { # NAME: sets D, ST, live; a fresh writer
	name=$1
	D=$TMP/$name
	ST=$D/st
	live=$D/x.log
	mkdir -m 0755 "$D"
	seq=$2 pending="" late=0
	writer_open
}
lines() { # N: whole lines to the writer
	local i chunk=""
	for ((i = 0; i < $1; i++)); do
		line "$seq"
		seq=$((seq + 1))
		chunk+=$L
	done
	printf '%s' "$chunk" >&3
}

# (1) a run with nothing new exits 0 and does not touch the state
new_dir idle 10000
lines 5
vt_run 2>"$D/err"
before=$(cksum <"$ST/state")$(stat -c %y "$ST/state")
pause_us 20000
vt_run 2>"$D/err"
rc=$?
after=$(cksum <"$ST/state")$(stat -c %y "$ST/state")
check "idle: a run with nothing new exited $rc, want 0" [ "$rc" = 0 ]
check "idle: a run with nothing new rewrote the state" [ "$before" = "$after" ]
exec 3>&-

# (2) a second run while one holds the lock exits 0 at once, saying so
new_dir lock 11000
lines 5
vt_run 2>/dev/null
lines 3
flock "$ST/lock" sleep 2 &
holder=$!
bgpids="$bgpids $holder"
n=0
while flock -n "$ST/lock" true && [ $n -lt 100 ]; do pause_us 10000; n=$((n + 1)); done
before=$(cksum <"$ST/state")
t0=$(now_us)
"$BIN" run --state "$ST" --now "$NOW" --grace 1d "$live" 2>"$D/err"
rc=$?
took=$(($(now_us) - t0))
check "lock: a locked-out run exited $rc, want 0" [ "$rc" = 0 ]
check "lock: a locked-out run took ${took}us, want under 1s" [ "$took" -lt 1000000 ]
if grep -q lock "$D/err"; then ok; else
	bad "lock: the locked-out run's message does not mention the lock: $(cat "$D/err")"
fi
check "lock: a locked-out run changed the state" [ "$before" = "$(cksum <"$ST/state")" ]
wait "$holder"
bgpids=${bgpids% "$holder"}
# the lines it left are read by the next run
vt_run --flush 2>"$D/err"
check "lock: $(tool_calls "$ST") tool calls after the lock was released, want 8" \
	[ "$(tool_calls "$ST")" = 8 ]
exec 3>&-

# (3) a damaged state: exit 1, a message that says how to recover, and the
# state file left as it is
new_dir damaged 12000
lines 5
vt_run 2>/dev/null
lines 2
size=$(stat -c %s "$ST/state")
cp "$ST/state" "$D/state.good"
for off in 0 $((size / 2)) $((size - 1)); do
	cp "$D/state.good" "$ST/state"
	byte=$(od -An -tu1 -j "$off" -N1 "$ST/state" | tr -d ' ')
	printf '%b' "\\0$(printf '%03o' $((byte ^ 0x5a)))" |
		dd of="$ST/state" bs=1 seek="$off" conv=notrunc 2>/dev/null
	cp "$ST/state" "$D/state.bad"
	"$BIN" run --state "$ST" --now "$NOW" --grace 1d "$live" 2>"$D/err"
	rc=$?
	check "damaged (byte $off): exit $rc, want 1" [ "$rc" = 1 ]
	if grep -q damaged "$D/err" && grep -qi "move it aside\|start over" "$D/err"; then ok; else
		bad "damaged (byte $off): the message does not say the state is damaged and how to recover: $(cat "$D/err")"
	fi
	check "damaged (byte $off): the damaged state file was changed" cmp -s "$ST/state" "$D/state.bad"
done
cp "$D/state.good" "$ST/state"
exec 3>&-

# (4) a file rotated away with lines the job had not read yet is reported
# as lost. The job knows a file had unread bytes only if a run saw them: the
# run below sees a torn last line, which waits for its newline; the file is
# then rotated twice with 'rotate 1' before the next run, so it is deleted.
new_dir lost 13000
write_conf "$D/lr1.conf" "rotate 1" missingok nomail create
lines 3
line "$seq"
seq=$((seq + 1))
printf '%s' "${L:0:40}" >&3
vt_run 2>/dev/null
printf '%s' "${L:40}" >&3 # finished, and two more lines: all lost
lines 2
logrotate_now "$D/lr1.conf"
writer_open
lines 2 # these survive, as x.log.1
logrotate_now "$D/lr1.conf"
writer_open
lines 1
"$BIN" run --state "$ST" --now "$NOW" --grace 1d "$live" 2>"$D/err"
vt_run --flush 2>/dev/null
lost=$(sum_of "$ST" files_lost)
got=$(tool_calls "$ST")
check "lost: quality.files_lost is $lost, want >= 1" [ "$lost" -ge 1 ]
check "lost: $got tool calls, want 6 (3 read, 3 lost, 3 after)" [ "$got" = 6 ]
check "lost: the run did not name the lost file ($live) on stderr: $(cat "$D/err")" \
	grep -qF "'$live' was rotated away" "$D/err"
exec 3>&-

# (4b) lines written after a run that read everything, then two rotations
# with 'rotate 1' before the next run: no run read those lines, and their
# file is gone. The live file's checkpoint is found nowhere (neither the
# live file nor any rotated file begins with its bytes), so the loss is
# reported: counted, named, in status, and exit 3. The rest counts once.
new_dir lost2 14000
lines 3
vt_run 2>/dev/null
lines 2 # written after the run, deleted before the next: lost
write_conf "$D/lr1.conf" "rotate 1" missingok nomail create
logrotate_now "$D/lr1.conf"
writer_open
lines 2
logrotate_now "$D/lr1.conf"
writer_open
lines 1
check_lost() { # NAME: the next run finds 6 lines (3 or 4 read before, 2 or 3 lost
	# unseen, the rest after); the loss of $live is counted, named, in status, exit 3
	local what=$1 code lost
	"$BIN" run --state "$ST" --now "$NOW" --grace 1d "$live" 2>"$D/err"
	code=$?
	vt_run --flush 2>/dev/null
	check "$what: $(tool_calls "$ST") tool calls, want 6" [ "$(tool_calls "$ST")" = 6 ]
	lost=$(sum_of "$ST" files_lost)
	check "$what: exit $code, want 3 (some input not counted)" [ "$code" = 3 ]
	check "$what: quality.files_lost is $lost, want 1" [ "$lost" = 1 ]
	check "$what: stderr does not name '$live': $(cat "$D/err")" grep -qF "'$live'" "$D/err"
	"$BIN" status --state "$ST" "$live" >"$D/status.out" 2>&1
	check "$what: status does not list the lost file" \
		grep -A1 -F "lost files" "$D/status.out" | grep -qF "$live"
	"$BIN" status --json --state "$ST" "$live" >"$D/status.json" 2>&1
	check "$what: status --json has no files_lost 1" grep -q '"files_lost": 1' "$D/status.json"
	check "$what: status --json does not name the lost file" grep -qF "\"name\": \"$live\"" "$D/status.json"
}
check_lost lost2
exec 3>&-

# (4c) logrotate 'rotate 0': the file is deleted at rotation, before a run
# read what was written since the last one
new_dir rotate0 14500
lines 4
vt_run 2>/dev/null
lines 3
write_conf "$D/lr0.conf" "rotate 0" missingok nomail create
logrotate_now "$D/lr0.conf"
writer_open
lines 2
check_lost rotate0 # 4 read, 3 deleted unread, 2 after
exec 3>&-

# (4d) logrotate 'maxage 1': the rotated file is older than a day by its
# mtime, and the next rotation deletes it before a run read it
new_dir maxage 14700
lines 4
vt_run 2>/dev/null
lines 3
write_conf "$D/lra.conf" "rotate 5" "maxage 1" missingok nomail create
logrotate_now "$D/lra.conf"
writer_open
touch -d '3 days ago' "$live.1"
lines 2
logrotate_now "$D/lra.conf"
writer_open
check_lost maxage # 4 read, 3 deleted unread, 2 after
exec 3>&-

# (4e) a rotated compressed file that cannot be read (cut short) is named
# on stderr and counted, and the run exits 3; the lines before the damage
# count
new_dir damagedgz 14800
lines 6
exec 3>&-
for z in gzip zstd xz bzip2; do
	# each its own lines: files with the same head would be one file
	: >"$D/plain"
	for ((i = 0; i < 40; i++)); do line "$seq"; seq=$((seq + 1)); printf '%s' "$L" >>"$D/plain"; done
	$z -c "$D/plain" >"$D/whole"
	head -c $(($(stat -c %s "$D/whole") - 9)) "$D/whole" >"$live.9.$z"
done
mv "$live.9.gzip" "$live.9.gz"
mv "$live.9.zstd" "$live.9.zst"
mv "$live.9.bzip2" "$live.9.bz2"
rm -f "$D/whole" "$D/plain"
: >"$live"
"$BIN" run --state "$ST" --now "$NOW" --grace 1d "$live" 2>"$D/err"
rc=$?
check "damagedgz: exit $rc, want 3" [ "$rc" = 3 ]
for z in gz zst xz bz2; do
	check "damagedgz: stderr does not name x.log.9.$z: $(cat "$D/err")" \
		grep -qF "$live.9.$z" "$D/err"
done
vt_run --flush 2>/dev/null
failed=$(sum_of "$ST" files_failed)
# the .zst gave no byte before the damage: each run tries it again
check "damagedgz: quality.files_failed is $failed, want 5 (2 for the .zst)" [ "$failed" = 5 ]

# (4f) other logs in the directory are never taken: a backup, another
# log, another program's rotated log, a temporary file
new_dir others 14900
lines 3
for o in x.log.bak x-other.log syslog.1 x.log.1.tmp x.logger x.log.old; do
	cp "$live" "$D/$o"
done
vt_run --flush 2>"$D/err"
check "others: $(tool_calls "$ST") tool calls, want 3 (only x.log)" [ "$(tool_calls "$ST")" = 3 ]
exec 3>&-

# (5) the file is replaced under the same name (the inode may be reused):
# every line of the new file counts, none is skipped.
new_dir replace 15000
lines 4
vt_run 2>/dev/null
exec 3>&-
ino1=$(stat -c %i "$live")
rm "$live"
writer_open # a new x.log
lines 7 # longer than the old one
vt_run 2>/dev/null
ino2=$(stat -c %i "$live")
exec 3>&-
rm "$live"
writer_open
lines 1 # shorter than the old one
vt_run 2>/dev/null
exec 3>&-
# rewritten in place: truncated, then longer than before
: >"$live"
writer_open
lines 9
vt_run 2>/dev/null
lines 2
vt_run 2>/dev/null
vt_run --flush 2>/dev/null
got=$(tool_calls "$ST")
check "replace: $got tool calls, want 23 (inode $ino1, then $ino2)" [ "$got" = 23 ]
check "replace: lines_malformed $(max_of "$ST" lines_malformed), want 0" \
	[ "$(max_of "$ST" lines_malformed)" = 0 ]
check_modes replace "$ST"
exec 3>&-

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
