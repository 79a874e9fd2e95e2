#!/bin/sh
# --vmcp-config: the deployment facts read from vMCP's own configuration.
# Expected values are written by hand from the fixtures (not generated),
# every output byte is searched for the configurations' private values,
# and bad configuration files must name the file and spare the rest.
#   sh tests/integration/config.sh BIN
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
. tests/integration/clean-env.sh
CFG=fixtures/configs
NOW=2026-11-25T00:00:00Z
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
WRAP=${VT_WRAPPER:-}
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
vt() { $WRAP "$BIN" "$@"; }

# expect NAME 'python expression over d (the report)' ...: every
# expression must hold for $TMP/NAME.json.
expect() {
	name=$1
	shift
	for e in "$@"; do
		if python3 - "$TMP/$name.json" "$e" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
dep = d["deployment"]
nz = lambda m: {k: v for k, v in m.items() if v}
sys.exit(0 if eval(sys.argv[2]) else 1)
EOF
		then ok; else
			bad "$name: does not hold: $e"
		fi
	done
}

# report NAME WANT_RC ARGS...: a report over ARGS into $TMP/NAME.json.
report() {
	name=$1 want=$2
	shift 2
	vt report --now "$NOW" "$@" >"$TMP/$name.json" 2>"$TMP/$name.err"
	rc=$?
	[ "$rc" = "$want" ] && ok || { bad "$name: exit $rc, want $want"; cat "$TMP/$name.err"; }
}

# --- every auth type and strategy, one fixture each -----------------------
report cli-full 0 --vmcp-config $CFG/cli-full.yaml /dev/null
expect cli-full \
	'dep["instances"] == 1 and dep["instances_configured"] == 1' \
	'nz(dep["backends_per_instance"]) == {"2-3": 1}' \
	'nz(dep["conflict_resolution"]) == {"manual": 1}' \
	'nz(dep["incoming_auth"]) == {"anonymous": 1}' \
	'nz(dep["outgoing_auth"]) == {"unauthenticated": 1, "header_injection": 1}' \
	'nz(dep["composite_tools_defined"]) == {"2-3": 1}' \
	'nz(dep["composite_steps_defined"]) == {"tool": 2, "elicitation": 1, "forEach": 1}' \
	'nz(dep["features"]) == {"audit": 1, "optimizer": 1, "code_mode": 1, "health_monitoring": 1}' \
	'nz(dep["session_storage"]) == {"redis": 1}'

report strategies 0 --vmcp-config $CFG/cli-local-strategies.yaml /dev/null
expect strategies \
	'nz(dep["incoming_auth"]) == {"local": 1}' \
	'nz(dep["conflict_resolution"]) == {"priority": 1}' \
	'nz(dep["outgoing_auth"]) == {"token_exchange": 1, "upstream_inject": 1, "aws_sts": 1, "obo": 1, "xaa": 1, "header_injection": 1, "other": 1}' \
	'nz(dep["backends_per_instance"]) == {"unknown": 1}' \
	'nz(dep["composite_tools_defined"]) == {"0": 1}' \
	'nz(dep["features"]) == {"health_monitoring": 1}' \
	'nz(dep["session_storage"]) == {"memory": 1}'

report configmap 0 --vmcp-config $CFG/configmap.yaml /dev/null
expect configmap \
	'nz(dep["incoming_auth"]) == {"oidc": 1}' \
	'nz(dep["outgoing_auth"]) == {"unauthenticated": 1}' \
	'nz(dep["conflict_resolution"]) == {"prefix": 1}' \
	'dep["features"]["audit"] == 1'

report crd 0 --vmcp-config $CFG/crd-discovered.yaml /dev/null
expect crd \
	'dep["instances"] == 2 and dep["instances_configured"] == 2' \
	'nz(dep["incoming_auth"]) == {"oidc": 1, "anonymous": 1}' \
	'nz(dep["outgoing_auth"]) == {"unauthenticated": 1, "token_exchange": 2, "other": 1}' \
	'nz(dep["backends_per_instance"]) == {"1": 1, "2-3": 1}' \
	'nz(dep["conflict_resolution"]) == {"prefix": 1, "priority": 1}' \
	'nz(dep["composite_tools_defined"]) == {"0": 1, "1": 1}' \
	'nz(dep["composite_steps_defined"]) == {"tool": 1, "elicitation": 1}' \
	'nz(dep["features"]) == {"audit": 1, "optimizer": 1, "health_monitoring": 2}' \
	'nz(dep["session_storage"]) == {"memory": 1, "redis": 1}'

# discovered mode, no externalAuthConfigRef: outgoingAuth's default and backends
report crd-fallback 0 --vmcp-config $CFG/crd-discovered-fallback.yaml /dev/null
expect crd-fallback \
	'nz(dep["outgoing_auth"]) == {"header_injection": 1, "token_exchange": 1}' \
	'nz(dep["backends_per_instance"]) == {"2-3": 1}'

# --- configurations shaped like ToolHive's own examples ----------------------
report th-cli 0 --vmcp-config $CFG/toolhive-cli-example.yaml /dev/null
expect th-cli \
	'nz(dep["incoming_auth"]) == {"oidc": 1}' \
	'nz(dep["outgoing_auth"]) == {"unauthenticated": 1, "header_injection": 1}' \
	'nz(dep["conflict_resolution"]) == {"prefix": 1}' \
	'nz(dep["composite_tools_defined"]) == {"0": 1}' \
	'dep["features"]["audit"] == 0'
report th-strategies 0 --vmcp-config $CFG/toolhive-crd-strategies.yaml /dev/null
expect th-strategies \
	'dep["instances"] == 3' \
	'nz(dep["conflict_resolution"]) == {"prefix": 1, "priority": 1, "manual": 1}' \
	'nz(dep["backends_per_instance"]) == {"2-3": 3}' \
	'nz(dep["incoming_auth"]) == {"anonymous": 3}'
report th-composites 0 --vmcp-config $CFG/toolhive-composites.yaml /dev/null
expect th-composites \
	'nz(dep["composite_tools_defined"]) == {"2-3": 1}' \
	'nz(dep["composite_steps_defined"]) == {"tool": 8, "elicitation": 2}' \
	'nz(dep["backends_per_instance"]) == {"2-3": 1}'

# --- which instances a configuration describes -----------------------------
# The example's name is the audit component of one sample instance: only
# that one gets its facts; the logs' own facts are untouched.
report match 0 --vmcp-config $CFG/toolhive-cli-example.yaml fixtures/samples/
vt report --now "$NOW" fixtures/samples/ >"$TMP/nomatch.json" 2>/dev/null
expect match 'dep["instances"] == 3 and dep["instances_configured"] == 1' \
	'nz(dep["outgoing_auth"]) == {"unauthenticated": 1, "header_injection": 1, "unknown": 2}' \
	'dep["usage"] if False else d["usage"] == json.load(open(sys.argv[1].replace("match", "nomatch")))["usage"]'
# one configuration that names no logged component: it is the logs' vMCP;
# its startup lines were read and name no Redis: the logs win (memory),
# the file fills what they leave unknown (optimizer, code mode)
report only 0 --vmcp-config $CFG/cli-full.yaml fixtures/samples/cli-host/
expect only 'dep["instances"] == 1 and dep["instances_configured"] == 1' \
	'nz(dep["session_storage"]) == {"memory": 1}' \
	'dep["features"]["optimizer"] == 1 and dep["features"]["code_mode"] == 1'
# two: cli-full names a component the logs do not carry (an instance of
# its own); cli-local-strategies has no audit section, so only
# --enable-audit audits it, as "vmcp-server": the component the CLI
# host's events carry, so it describes the logs' instance
report two 0 --vmcp-config $CFG/cli-full.yaml --vmcp-config $CFG/cli-local-strategies.yaml fixtures/samples/cli-host/
expect two 'dep["instances"] == 2 and dep["instances_configured"] == 2' \
	'nz(dep["session_storage"]) == {"memory": 1, "redis": 1}' \
	'nz(dep["incoming_auth"]) == {"anonymous": 1, "oidc": 1}'

# a mounted ConfigMap is a chain of symlinks: it is followed
mkdir -p "$TMP/cm/..2026_11_25" && cp $CFG/configmap.yaml "$TMP/cm/..2026_11_25/config.yaml"
ln -s ..2026_11_25 "$TMP/cm/..data" && ln -s ..data/config.yaml "$TMP/cm/config.yaml"
report symlink 0 --vmcp-config "$TMP/cm/config.yaml" /dev/null
expect symlink 'nz(dep["incoming_auth"]) == {"oidc": 1}'

# --- bad configuration files: named, skipped, the rest still counted -------
vt report --now "$NOW" fixtures/samples/cli-host/ >"$TMP/plain.json" 2>/dev/null
for f in broken not-a-config deep missing; do
	report "bad-$f" 3 --vmcp-config $CFG/$f.yaml fixtures/samples/cli-host/
	grep -q "'$CFG/$f.yaml'" "$TMP/bad-$f.err" && ok || bad "bad-$f: message does not name the file"
	[ "$(wc -l <"$TMP/bad-$f.err")" -eq 1 ] && ok || bad "bad-$f: want one line on stderr"
	expect "bad-$f" 'd["usage"] == json.load(open(sys.argv[1].replace("bad-'"$f"'", "plain")))["usage"]' \
		'dep["instances_configured"] == 0'
done
# aliases are not expanded: the file is read, fast, as one configuration
report laughs 0 --vmcp-config $CFG/laughs.yaml /dev/null
expect laughs 'dep["instances_configured"] == 1'
# a good file beside a bad one is still used
report mixed 3 --vmcp-config $CFG/broken.yaml --vmcp-config $CFG/cli-full.yaml /dev/null
expect mixed 'dep["instances_configured"] == 1'
# -q: nothing on stderr
vt report -q --now "$NOW" --vmcp-config $CFG/broken.yaml /dev/null >/dev/null 2>"$TMP/q.err"
[ -s "$TMP/q.err" ] && bad "-q still printed" || ok

# --- run: a changed configuration is a configuration change ---------------
ST="$TMP/state" LOG="$TMP/vmcp.log" C="$TMP/c.yaml"
cp $CFG/cli-full.yaml "$C"
cp fixtures/samples/cli-host/vmcp.log "$LOG"
runit() { env -i PATH="$PATH" "$BIN" run -q --state "$ST" --now "$1" --vmcp-config "$C" "$LOG"; }
runit 2026-08-21T12:00:00Z && ok || bad "run with --vmcp-config failed"
sum1=$(sha256sum <"$ST/state")
runit 2026-08-21T12:10:00Z
[ "$(sha256sum <"$ST/state")" = "$sum1" ] && ok || bad "run with nothing new changed the state"
# only reformatted (comments, quotes, indentation): not a change
sed -i 's/^# A vmcp/#   A vmcp/; s/conflictResolution: manual/conflictResolution: "manual"/' "$C"
runit 2026-08-21T12:20:00Z
[ "$(sha256sum <"$ST/state")" = "$sum1" ] && ok || bad "a reformatted configuration changed the state"
sed -i 's/conflictResolution: "manual"/conflictResolution: priority/' "$C"
runit 2026-08-21T12:30:00Z
env -i PATH="$PATH" "$BIN" run -q --state "$ST" --now 2026-08-21T12:40:00Z --flush --vmcp-config "$C" "$LOG"
n=$(ls "$ST"/reports/*.json.gz 2>/dev/null | wc -l)
[ "$n" -ge 1 ] && ok || bad "run wrote no report"
python3 -c '
import glob, gzip, json, sys
docs = [json.load(gzip.open(f)) for f in glob.glob(sys.argv[1] + "/reports/*.json.gz")]
sys.exit(0 if sum(d["operational"]["config_changes"] for d in docs) == 1 else 1)' "$ST" && ok || bad "want exactly one config change over the reports"

# --- nothing from a configuration leaves: every output, every byte --------
# Every private value in the fixtures contains "planted"; the examples'
# names, hosts and variable names are listed.
for f in "$TMP"/*.json "$TMP"/*.err "$ST"/state "$ST"/reports/*; do
	case $f in *.gz) zcat "$f" ;; *) cat "$f" ;; esac >"$TMP/bytes" 2>/dev/null
	for s in planted engineering-vmcp engineering-team keycloak VMCP_CLIENT_SECRET \
		GITHUB_API_TOKEN production-vmcp production-services yardstick \
		vmcp-data-processor multi-source interactive-deploy example.com \
		10.77.66.55 arn:aws localhost:4317; do
		if grep -aqi -- "$s" "$TMP/bytes"; then
			bad "'$s' appears in $(basename "$f")"
		else ok; fi
	done
done

echo "config.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
