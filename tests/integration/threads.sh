#!/bin/sh
# --threads: the report and the diagnostics must not depend on it. Large
# files are split in chunks read in parallel; these inputs put process
# restarts, configuration facts, wrapped lines and bad lines on both sides
# of the chunk edges, and compare every byte of stdout and stderr with
# the one-thread run.
#   sh tests/integration/threads.sh BIN
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
. tests/integration/clean-env.sh
NOW=2026-11-25T00:00:00Z
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
WRAP=${VT_WRAPPER:-}
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# same NAME ARGS...: threads 2, 3 and 4 give what one thread gives.
# One fleet key: without one every report's sketch has a key of its own.
printf 'threads-fleet-key-0123456789\n' >"$TMP/fleet-key"
same() {
	name=$1
	shift
	$WRAP "$BIN" report --fleet-key-file "$TMP/fleet-key" --threads 1 --now "$NOW" "$@" >"$TMP/$name.1.out" 2>"$TMP/$name.1.err"
	rc1=$?
	for t in 2 3 4; do
		$WRAP "$BIN" report --fleet-key-file "$TMP/fleet-key" --threads $t --now "$NOW" "$@" >"$TMP/$name.$t.out" 2>"$TMP/$name.$t.err"
		rc=$?
		[ "$rc" = "$rc1" ] && ok || bad "$name: exit $rc with $t threads, $rc1 with one"
		cmp -s "$TMP/$name.1.out" "$TMP/$name.$t.out" && ok ||
			{ bad "$name: report differs with $t threads"; diff "$TMP/$name.1.out" "$TMP/$name.$t.out" | head -20; }
		cmp -s "$TMP/$name.1.err" "$TMP/$name.$t.err" && ok ||
			{ bad "$name: stderr differs with $t threads"; diff "$TMP/$name.1.err" "$TMP/$name.$t.err" | head -10; }
	done
}

# 34 MiB of audit lines: four chunks of at least 8 MiB.
python3 tools/bench/gen.py 34 "$TMP/big.log" || exit 1
lines=$(wc -l <"$TMP/big.log")
same plain "$TMP/big.log"

# a restart (with configuration facts) and bad lines near every quarter
python3 - "$TMP/big.log" "$TMP/mixed.log" "$lines" <<'PY'
import sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
marks = {n // 4 - 1, n // 2, n // 2 + 1, 3 * n // 4 + 2}
start = ['{"time":"2026-11-02T10:00:00Z","level":"INFO","msg":"Loading configuration from: /etc/vmcp-config/config.yaml"}',
         '{"time":"2026-11-02T10:00:00Z","level":"INFO","msg":"Discovered 4 backends"}',
         '{"time":"2026-11-02T10:00:01Z","level":"INFO","msg":"  Conflict Resolution: priority"}',
         '{"time":"2026-11-02T10:00:01Z","level":"INFO","msg":"starting Virtual MCP Server","address":"0.0.0.0:4483"}']
with open(src) as f, open(dst, "w") as out:
    for i, line in enumerate(f):
        if i in marks:
            out.write("\n".join(start) + "\n")
            out.write('{"time":"2026-11-02T10:00:02Z","level":"AUDIT",\n')
            out.write("not json at all\n")
        out.write(line)
PY
same restarts "$TMP/mixed.log"

# --debug lines all through: "set" facts (outgoing strategies, code mode)
# and counts (health, INFO workflows) in every chunk, merged, not re-read;
# one startup at the start and one restart in the middle
python3 - "$TMP/big.log" "$TMP/debug.log" "$lines" <<'PY'
import sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def app(msg, extra=""):
    return '{"time":"2026-11-02T10:00:00Z","level":"DEBUG","msg":"%s"%s}\n' % (msg, extra)
start = (app("Loading configuration from: /etc/vmcp-config/config.yaml") +
         app("dynamic mode: initializing group manager for backend discovery") +
         app("Discovered 2 backends") +
         app("starting Virtual MCP Server"))
strategies = ["unauthenticated", "token_exchange", "header_injection", "obo"]
with open(src) as f, open(dst, "w") as out:
    out.write(start)
    for i, line in enumerate(f):
        if i == n // 2:
            out.write(start)
        if i % 997 == 0:
            out.write(app("applied authentication strategy to backend",
                          ',"strategy":"%s","backend":"b"' % strategies[(i // 997) % 4 if i > n // 3 else 0]))
        if i % 1511 == 0:
            out.write(app("backend status changed", ',"backend":"b","status":"healthy"'))
        if i == 3 * n // 4:
            out.write(app("codemode: executing script", ',"principal":"anonymous","script_len":12'))
        out.write(line)
PY
same debug "$TMP/debug.log"

# a CRI partial line before the middle edge, its final part after it
python3 - "$TMP/big.log" "$TMP/cri.log" "$lines" <<'PY'
import sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src) as f, open(dst, "w") as out:
    for i, line in enumerate(f):
        if i == n // 2 - 500:
            out.write('2026-11-02T10:00:00.1Z stdout P {"time":"2026-11-02T10:00:00Z","level":"INFO",\n')
        if i == n // 2 + 500:
            out.write('2026-11-02T10:00:00.1Z stdout F "msg":"Discovered 2 backends"}\n')
        out.write(line)
PY
same cri "$TMP/cri.log"

# CRI parts everywhere: every line of the big file split in stdout P parts
# with a stderr line between two parts; the planner cuts where no parts
# are open (no chunk read again), and the report is exact
python3 - "$TMP/big.log" "$TMP/parts.log" <<'PY'
import sys
src, dst = sys.argv[1], sys.argv[2]
err = '2026-11-02T10:00:00.2Z stderr F {"time":"2026-11-02T10:00:00Z","level":"INFO","msg":"Discovered 3 backends"}\n'
with open(src) as f, open(dst, "w") as out:
    for line in f:
        line = line.rstrip("\n")
        parts = [line[i:i + 300] for i in range(0, len(line), 300)]
        for k, p in enumerate(parts):
            last = k + 1 == len(parts)
            out.write("2026-11-02T10:00:00.1Z stdout %s %s\n" % ("F" if last else "P", p))
            if not last and k == 0:
                out.write(err)
PY
same parts "$TMP/parts.log"
VT_PARALLEL_STATS=1 $WRAP "$BIN" report --threads 2 --now "$NOW" "$TMP/parts.log" 2>&1 >/dev/null |
	grep -Eq " [2-9][0-9]* chunks, 0 chunks read again, 0 serial" && ok || bad "parts: a chunk was read again"

# a torn last line, and no newline at the end
head -c 20000000 "$TMP/big.log" >"$TMP/torn.log"
same torn "$TMP/torn.log"

# many files: rotation groups, pods, gzip, plus the big one
same samples fixtures/samples/ "$TMP/mixed.log" fixtures/input/rotated.log fixtures/input/rotated.log.1 fixtures/input/rotated.log.2.gz
same bad fixtures/input/malformed.jsonl fixtures/input/truncated.log.gz fixtures/input/garbage.bin

# rotation groups: each file of a group is a job of its own (the later ones
# continue the stream); a restart or CRI lines in a later file, and more
# bad lines than are printed in two files of a group, must not show it
mkdir -p "$TMP/rot" "$TMP/rot2" "$TMP/pods/ns_vmcp-7d9f8c6b5-x2x9q_0f1e/vmcp"
head -n 9000 "$TMP/big.log" >"$TMP/head.log"
split -l 3000 -d "$TMP/head.log" "$TMP/part."
gzip -c "$TMP/part.00" >"$TMP/rot/audit.log.2.gz"
gzip -c "$TMP/part.01" >"$TMP/rot/audit.log.1.gz"
cp "$TMP/part.02" "$TMP/rot/audit.log"
same group "$TMP/rot/"
python3 - "$TMP" <<'PY'
import gzip, sys
t = sys.argv[1]
parts = [open(f"{t}/part.0{i}").read().splitlines(True) for i in range(3)]
start = ['{"time":"2026-11-02T10:00:00Z","level":"INFO","msg":"Loading configuration from: /etc/vmcp-config/config.yaml"}\n',
         '{"time":"2026-11-02T10:00:01Z","level":"INFO","msg":"  Conflict Resolution: manual"}\n',
         '{"time":"2026-11-02T10:00:01Z","level":"INFO","msg":"starting Virtual MCP Server"}\n']
bad = ["not json %d\n" % i for i in range(8)]
# rot2: bad lines in the two older files, a restart in the middle one
with gzip.open(f"{t}/rot2/audit.log.2.gz", "wt") as f:
    f.writelines(parts[0][:100] + bad + parts[0][100:])
with gzip.open(f"{t}/rot2/audit.log.1.gz", "wt") as f:
    f.writelines(bad + parts[1][:1500] + start + parts[1][1500:])
with open(f"{t}/rot2/audit.log", "w") as f:
    f.writelines(parts[2])
# a pod's rotated CRI logs, a partial line left open at a file's end
def cri(lines, tail=None):
    out = ['2026-11-02T10:00:00.%09dZ stdout F %s' % (i, l) for i, l in enumerate(lines)]
    if tail:
        out.append('2026-11-02T10:00:01.0Z stdout P ' + tail + '\n')
    return out
d = f"{t}/pods/ns_vmcp-7d9f8c6b5-x2x9q_0f1e/vmcp"
with gzip.open(f"{d}/0.log.20261102-100000.gz", "wt") as f:
    f.writelines(cri(start + parts[0][:1000], '{"time":"2026-11-02T10:00:00Z",'))
with gzip.open(f"{d}/0.log.20261102-110000.gz", "wt") as f:
    f.writelines(cri(parts[1][:1000]))
with open(f"{d}/0.log", "w") as f:
    f.writelines(cri(parts[2][:1000], '{"level":"INFO"'))
PY
same group-restart "$TMP/rot2/"
same group-pods "$TMP/pods/"
same groups "$TMP/rot/" "$TMP/rot2/" "$TMP/pods/" fixtures/input/rotated.log*

# the chunks of a file count it once, and every byte
python3 - "$TMP/plain.1.out" "$TMP/big.log" <<'PY' && ok || bad "plain: files or bytes_read wrong"
import json, os, sys
q = json.load(open(sys.argv[1]))["quality"]
n = os.path.getsize(sys.argv[2])
k = n.bit_length()  # the log2 bucket of the file's size
label = "0" if n == 0 else "1" if k == 1 else "%d-%d" % (1 << (k - 1), (1 << k) - 1)
sys.exit(0 if q["files"] == 1 and q["bytes_read"] == {label: 1} else 1)
PY

echo "threads.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
