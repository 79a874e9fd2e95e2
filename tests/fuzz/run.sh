#!/bin/sh
# Builds the libFuzzer targets with clang (ASan + UBSan) into build/fuzz/,
# replays every saved regression, then fuzzes each target for a bounded
# time over a copy of its seed corpus. Fails when a target crashes, leaks,
# hits undefined behaviour, runs out of memory or times out.
#
#   tests/fuzz/run.sh                  every target, VT_FUZZ_SECONDS each
#   tests/fuzz/run.sh fuzz_decode      one target
#   VT_FUZZ_SECONDS=600 tests/fuzz/run.sh fuzz_decode
#   VT_FUZZ_SECONDS=0 tests/fuzz/run.sh   build and replay only
#
# VT_FUZZ_JOBS targets run at once (default: the number of CPUs).
set -eu

cd "$(dirname "$0")/../.."
ALL="fuzz_lines fuzz_decode fuzz_rules fuzz_state fuzz_agg fuzz_source fuzz_report fuzz_collector"
TARGETS=${*:-$ALL}
SECONDS_EACH=${VT_FUZZ_SECONDS:-20}
JOBS=${VT_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
CC=${FUZZ_CC:-clang}
OUT=build/fuzz

say() { echo "fuzz: $*" >&2; }
die() { echo "fuzz: $*" >&2; exit 1; }

for t in $TARGETS; do
	case " $ALL " in *" $t "*) ;; *) die "unknown target '$t' (have: $ALL)";; esac
done

# --- packages: the build's own, then clang and its libFuzzer runtime ----
sh tools/install-deps.sh
apt_install() {
	echo "fuzz: installing Debian packages: $*" >&2
	if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then
		sudo="sudo"; else die "run as root: apt-get install $*"; fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
command -v "$CC" >/dev/null 2>&1 || apt_install clang
rt="$("$CC" --print-runtime-dir 2>/dev/null || true)/libclang_rt.fuzzer-$(uname -m).a"
if [ ! -f "$rt" ]; then
	major=$("$CC" -dumpversion | cut -d. -f1)
	apt_install "libclang-rt-$major-dev"
	rt="$("$CC" --print-runtime-dir)/libclang_rt.fuzzer-$(uname -m).a"
	[ -f "$rt" ] || die "no libFuzzer runtime at $rt"
fi

# --- what the Makefile builds the library from (it is not edited) ------
make --no-print-directory -s build/gen/data.c
mkvar() {
	printf 'vt-fuzz-print:\n\t@echo $(%s)\n' "$1" |
		make --no-print-directory -s -f Makefile -f - vt-fuzz-print
}
# The collector's validator (fuzz_collector): no server library in it.
LIB_SRC="$(mkvar LIB_SRC) build/gen/data.c collector/ingest.c"
DEPS=$(mkvar DEPS)
VERSION=$(mkvar VERSION)
for m in $DEPS; do
	pkg-config --exists "$m" || die "missing library '$m' ('make deps' installs it)"
done

SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"
CFLAGS="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
-DVT_VERSION=\"$VERSION\" -g -O1 -fno-omit-frame-pointer $SAN \
-Wall -Wextra -Wno-unused-parameter $(pkg-config --cflags $DEPS)"
LIBS="$(pkg-config --libs $DEPS) -lpthread"
export CC CFLAGS OUT

# --- build: objects in parallel, one archive, one binary per target ---
start=$(date +%s)
mkdir -p "$OUT/obj" "$OUT/logs"
say "building with $CC ($(echo "$LIB_SRC" | wc -w) library sources)"
# shellcheck disable=SC2086
printf '%s\n' $LIB_SRC | xargs -P "$JOBS" -I{} sh -c '
	o="$OUT/obj/$(echo "{}" | tr / _).o"
	$CC $CFLAGS -c "{}" -o "$o" 2>"$o.log" || { cat "$o.log" >&2; exit 255; }' ||
	die "building the library failed"
rm -f "$OUT/libvt-fuzz.a"
ar rcs "$OUT/libvt-fuzz.a" "$OUT"/obj/*.o
for t in $ALL; do
	echo "$t"
done | xargs -P "$JOBS" -I{} sh -c '
	$CC $CFLAGS -fsanitize=fuzzer "tests/fuzz/{}.c" "$OUT/libvt-fuzz.a" '"$LIBS"' \
		-o "$OUT/{}"' || die "building the targets failed"
say "built in $(($(date +%s) - start)) s"

# --- regressions: every saved input must now pass ----------------------
fail=0
for t in $TARGETS; do
	files=$(find "tests/fuzz/regressions/$t" -type f ! -name 'README*' 2>/dev/null | sort)
	[ -n "$files" ] || continue
	# shellcheck disable=SC2086
	if "$OUT/$t" -rss_limit_mb=2048 -timeout=10 $files >"$OUT/logs/$t.replay.log" 2>&1; then
		say "$t: $(echo "$files" | wc -l) regression input(s) pass"
	else
		say "$t: a regression input fails again:"
		tail -n 30 "$OUT/logs/$t.replay.log" >&2
		fail=1
	fi
done

[ "$SECONDS_EACH" -gt 0 ] || exit $fail

# --- fuzzing: JOBS targets at a time ------------------------------------
max_len() {
	case $1 in
	fuzz_decode|fuzz_rules) echo 8192;;
	fuzz_collector) echo 65536;;
	*) echo 16384;;
	esac
}
run_one() {
	t=$1
	mkdir -p "$OUT/corpus/$t" "$OUT/artifacts/$t"
	cp -f "tests/fuzz/corpus/$t"/* "$OUT/corpus/$t/" 2>/dev/null || true
	"$OUT/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$(max_len "$t")" -print_final_stats=1 \
		-artifact_prefix="$OUT/artifacts/$t/" \
		"$OUT/corpus/$t" >"$OUT/logs/$t.log" 2>&1
}
report() {
	t=$1 rc=$2 log="$OUT/logs/$1.log"
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		say "$t: ok, ${runs:-?} runs (${rate:-?}/s), ${cov:-cov: ?}"
	else
		say "$t: FAILED (exit $rc); log $log, input in $OUT/artifacts/$t/"
		grep -E 'ERROR|runtime error|invariant failed|SUMMARY' "$log" | head -n 5 >&2 || true
		tail -n 40 "$log" >&2
	fi
}

say "fuzzing $(echo "$TARGETS" | wc -w) target(s), ${SECONDS_EACH} s each, $JOBS at a time"
set -- $TARGETS
while [ $# -gt 0 ]; do
	pids="" names=""
	i=0
	while [ $# -gt 0 ] && [ $i -lt "$JOBS" ]; do
		run_one "$1" &
		pids="$pids $!" names="$names $1"
		shift
		i=$((i + 1))
	done
	for pid in $pids; do
		# shellcheck disable=SC2086
		name=$(echo $names | cut -d' ' -f1)
		# shellcheck disable=SC2086
		names=$(echo $names | cut -s -d' ' -f2-)
		rc=0
		wait "$pid" || rc=$?
		report "$name" "$rc"
		[ "$rc" -eq 0 ] || fail=1
	done
done
say "total $(($(date +%s) - start)) s"
exit $fail
