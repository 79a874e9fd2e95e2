#!/bin/sh
# merge and --shard: the merged report of the shards of an input equals
# the report of the whole input, byte for byte; every golden report reads
# back to itself; bad reports are named and left out; the instances
# sketch dedups across reports made with one key and not across keys.
#   sh tests/integration/merge.sh BIN
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
. tests/integration/clean-env.sh
IN=fixtures/input
NOW=2026-11-25T00:00:00Z
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
WRAP=${VT_WRAPPER:-}
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
vt() { $WRAP "$BIN" "$@"; }
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

printf 'shards-fleet-key-0123456789\n' >"$TMP/k0"

# shards NAME N ARGS...: N shards merged == the whole report
shards() {
	name=$1 n=$2
	shift 2
	# the shards of one backfill share a fleet key
	vt report -q --now "$NOW" --fleet-key-file "$TMP/k0" "$@" >"$TMP/$name.whole.json"
	want=$?
	parts=""
	i=0
	while [ $i -lt "$n" ]; do
		vt report -q --now "$NOW" --fleet-key-file "$TMP/k0" --shard "$i/$n" -o "$TMP/$name.$i.json.gz" "$@"
		parts="$parts $TMP/$name.$i.json.gz"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	vt merge $parts >"$TMP/$name.merged.json"
	rc=$?
	[ "$rc" = 0 ] && ok || bad "$name/$n: merge exit $rc"
	cmp -s "$TMP/$name.whole.json" "$TMP/$name.merged.json" && ok ||
		{ bad "$name/$n: merged shards differ from the whole (report exit $want)"; diff "$TMP/$name.whole.json" "$TMP/$name.merged.json" | head -20; }
	# field by field, and in any order of the parts
	python3 tests/integration/fields.py "$TMP/$name.whole.json" "$TMP/$name.merged.json" && ok ||
		bad "$name/$n: merged shards differ from the whole, field by field"
	# shellcheck disable=SC2086
	vt merge $(printf '%s\n' $parts | sort -r) >"$TMP/$name.reversed.json"
	python3 tests/integration/fields.py "$TMP/$name.whole.json" "$TMP/$name.reversed.json" && ok ||
		bad "$name/$n: the order of the parts changes the merge"
}

for n in 1 2 3 5; do
	shards samples $n fixtures/samples/
	shards mixed $n fixtures/samples/ $IN/events.jsonl "$IN/rotated.log*" $IN/cri.log $IN/docker.log $IN/malformed.jsonl $IN/truncated.log.gz
done
shards config 2 --vmcp-config fixtures/configs/cli-full.yaml $IN/events.jsonl

# every golden report reads back to itself
for g in fixtures/expected/*.json; do
	vt merge "$g" >"$TMP/back.json" && cmp -s "$g" "$TMP/back.json" && ok ||
		{ bad "$(basename "$g") does not read back to itself"; diff "$g" "$TMP/back.json" | head -10; }
done

# the same report twice: counts double, instances do not
S=fixtures/expected/samples.json
vt merge $S $S >"$TMP/twice.json"
[ "$(field "$TMP/twice.json" 'd["deployment"]["instances"]')" = "$(field $S 'd["deployment"]["instances"]')" ] && ok || bad "instances doubled"
[ "$(field "$TMP/twice.json" 'd["usage"]["tool_calls"]["total"]')" = "$(field $S '2*d["usage"]["tool_calls"]["total"]')" ] && ok || bad "tool calls not added"

# different sketch keys: the same instances count twice
printf 'first-fleet-key-0123456789\n' >"$TMP/k1"
printf 'second-fleet-key-0123456789\n' >"$TMP/k2"
vt report -q --now "$NOW" --fleet-key-file "$TMP/k1" -o "$TMP/a.json" fixtures/samples/
vt report -q --now "$NOW" --fleet-key-file "$TMP/k2" -o "$TMP/b.json" fixtures/samples/
vt report -q --now "$NOW" --fleet-key-file "$TMP/k1" -o "$TMP/c.json" fixtures/samples/
vt merge "$TMP/a.json" "$TMP/b.json" >"$TMP/ab.json"
vt merge "$TMP/a.json" "$TMP/c.json" >"$TMP/ac.json"
[ "$(field "$TMP/ab.json" 'd["deployment"]["instances"]')" = 6 ] && ok || bad "different keys: want 6 instances"
[ "$(field "$TMP/ac.json" 'd["deployment"]["instances"]')" = 3 ] && ok || bad "same key: want 3 instances"
cmp -s "$TMP/a.json" "$TMP/b.json" && bad "the key does not change the sketch" || ok
# two hosts (another machine id, in a mount namespace) with the same log
# path and one fleet key: two instances; the replicas of one Kubernetes
# workload seen from two nodes: one instance
printf '0123456789abcdef0123456789abcdef\n' >"$TMP/machine-id"
if [ ! -f /etc/machine-id ]; then
	echo "merge.sh: no /etc/machine-id to mount another one over; the two-host case is not run"
elif unshare -m true 2>/dev/null; then
	for layout in file k8s; do
		case $layout in
		file) in=fixtures/samples/cli-host/ want=2 ;;
		k8s) in=fixtures/samples/kubernetes/ want=1 ;;
		esac
		vt report -q --now "$NOW" --fleet-key-file "$TMP/k1" -o "$TMP/h1.json" $in
		unshare -m sh -c 'mount --bind "$1" /etc/machine-id && shift && exec "$@"' sh "$TMP/machine-id" \
			$WRAP "$BIN" report -q --now "$NOW" --fleet-key-file "$TMP/k1" -o "$TMP/h2.json" $in
		vt merge "$TMP/h1.json" "$TMP/h2.json" >"$TMP/h12.json"
		[ "$(field "$TMP/h12.json" 'd["deployment"]["instances"]')" = $want ] && ok ||
			bad "$layout: two hosts merge to $(field "$TMP/h12.json" 'd["deployment"]["instances"]') instances, want $want"
	done
else
	echo "merge.sh: no mount namespace here (unshare -m); the two-host case is not run"
fi
printf 'short\n' >"$TMP/k3"
vt report -q --fleet-key-file "$TMP/k3" fixtures/samples/ >/dev/null 2>"$TMP/k3.err"
[ $? = 2 ] && grep -q "k3" "$TMP/k3.err" && ok || bad "a short fleet key is not a usage error"

# bad reports: named, left out, the rest merged
printf '{"schema_version": 1' >"$TMP/truncated.json"
sed 's/"schema_version": 1/"schema_version": 99/' $S >"$TMP/future.json"
sed 's/"prefix"/"sideways"/' $S >"$TMP/unknownkey.json"
python3 -c "
import json; d=json.load(open('$S')); del d['usage']['sessions']; json.dump(d, open('$TMP/missing.json','w'))"
head -c 200 "$TMP/a.json" | gzip >"$TMP/cut.json.gz"
printf 'PLANTED-SECRET-CONTENT' >"$TMP/garbage.json"
for f in truncated future unknownkey missing garbage; do
	vt merge $S "$TMP/$f.json" >"$TMP/m.json" 2>"$TMP/m.err"
	rc=$?
	[ $rc = 3 ] && ok || bad "$f: exit $rc, want 3"
	grep -q "$TMP/$f.json" "$TMP/m.err" && ok || bad "$f: message does not name the file"
	grep -q PLANTED "$TMP/m.err" "$TMP/m.json" && bad "$f: content leaked" || ok
	cmp -s "$TMP/m.json" $S && ok || bad "$f: the good report was not merged alone"
done
# a name no report can hold (not a public name's shape: a terminal
# escape, a label quote, an address, empty, over 64 bytes, a lookalike)
# is off every list: its count is merged as 'other', the report kept
for evil in 'x\u001b[2Jy' 'a\"b' 'bob@example.com' '' "$(printf 'g%.0s' $(seq 70))" 'gith\u0443b'; do
	python3 -c "
import json,sys; d=json.load(open('$S')); b=d['usage']['backend_distribution']
b[json.loads('\"'+sys.argv[1]+'\"')]=7; json.dump(d, open('$TMP/evil.json','w'))" "$evil"
	vt merge $S "$TMP/evil.json" >"$TMP/evil.out" 2>"$TMP/evil.err"
	rc=$?
	python3 -c "
import json,sys; a=json.load(open(sys.argv[1]))['usage']['backend_distribution']
m=json.load(open(sys.argv[2]))['usage']['backend_distribution']
sys.exit(not (m.get('other',0) == 2*a.get('other',0) + 7 and set(m) <= set(a) | {'other'}))" "$S" "$TMP/evil.out"
	[ $? = 0 ] && [ $rc = 0 ] && ok || bad "name '$evil': exit $rc, not merged as 'other'"
	vt merge --format table $S "$TMP/evil.json" >"$TMP/evil.out" 2>"$TMP/evil.err"
	grep -q -F "$(printf '\033')" "$TMP/evil.out" && bad "name '$evil': an escape reached the table" || ok
done
vt merge "$TMP/garbage.json" "$TMP/nothere.json" >"$TMP/none.json" 2>/dev/null
[ $? = 1 ] && [ ! -s "$TMP/none.json" ] && ok || bad "nothing readable: want exit 1 and no output"
vt merge >/dev/null 2>&1
[ $? = 2 ] && ok || bad "merge without reports is not a usage error"
for s in 3/3 -1/2 1/0 a/b 1/2x; do
	vt report --fleet-key-file "$TMP/k0" --shard "$s" /dev/null >/dev/null 2>&1
	[ $? = 2 ] && ok || bad "--shard $s is not a usage error"
done
# unkeyed, a non-empty shard would confirm a guessed name: refused
vt report --shard 0/2 /dev/null >/dev/null 2>"$TMP/nokey.err"
[ $? = 2 ] && grep -q -- "--shard needs --fleet-key-file" "$TMP/nokey.err" && ok || bad "--shard without --fleet-key-file is not a usage error"

# beyond the exact set: 1500 instances, the HLL estimate within 5%
mkdir -p "$TMP/many"
python3 - "$TMP/many" <<'PY'
import os, sys
line = '{"time":"2026-11-24T10:00:00Z","level":"AUDIT","msg":"audit_event","type":"mcp_tool_call","outcome":"success","component":"c","target":{"name":"t"},"metadata":{"extra":{"backend_name":"github","duration_ms":5}}}\n'
for i in range(1500):
    with open(os.path.join(sys.argv[1], "vmcp-%04d.log" % i), "w") as f:
        f.write(line)
PY
vt report -q --now "$NOW" --fleet-key-file "$TMP/k0" -o "$TMP/many.json" "$TMP/many/"
[ "$(field "$TMP/many.json" 'd["deployment"]["instances"]')" = 1500 ] && ok || bad "1500 instances not counted"
[ "$(field "$TMP/many.json" 'd["deployment"]["instances_sketch"]["type"]')" = hll ] && ok || bad "no hll past the exact set"
for i in 0 1 2; do vt report -q --now "$NOW" --fleet-key-file "$TMP/k0" --shard $i/3 -o "$TMP/many.$i.json" "$TMP/many/"; done
vt merge "$TMP/many.0.json" "$TMP/many.1.json" "$TMP/many.2.json" "$TMP/many.json" >"$TMP/many.m.json"
est=$(field "$TMP/many.m.json" 'd["deployment"]["instances"]')
[ "$est" -ge 1425 ] && [ "$est" -le 1575 ] && ok || bad "hll estimate $est not within 5% of 1500"
# without a fleet key every report has its own random key: nothing dedups
vt report -q --now "$NOW" -o "$TMP/many.r.json" "$TMP/many/"
vt merge "$TMP/many.r.json" "$TMP/many.json" >"$TMP/many.r2.json"
est=$(field "$TMP/many.r2.json" 'd["deployment"]["instances"]')
[ "$est" -ge 2850 ] && [ "$est" -le 3150 ] && ok || bad "reports without a key dedup ($est instances, want about 3000)"

echo "merge.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
