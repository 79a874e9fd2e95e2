#!/bin/sh
# Installs what the build and the tests need, if missing; does nothing (and
# fast) when everything is there.
#   sh tools/install-deps.sh                 Debian packages ('make deps', so
#                                            'make run' and 'make test')
#   sh tools/install-deps.sh npm DIR         the npm modules of the deployment
#                                            checks (tests/deploy/package-lock.json)
#                                            into DIR/node_modules
#   sh tools/install-deps.sh kubectl-1.20 DIR
#                                            Debian 12's kubectl (kubernetes-client,
#                                            kustomize v2) unpacked into DIR, not
#                                            installed: it conflicts with other
#                                            kubectl packages
# prometheus (for promtool, about 19 MB) and python3-prometheus-client
# parse the --format prom output in the tests; nothing runs them here.
# libmicrohttpd-dev (the collector's HTTP server, with TLS through GnuTLS)
# and libsqlite3-dev (its database) build vmcp-telemetry-collector only;
# sqlite3 (the command) and curl look into its database and at its
# answers in tests/integration/collector.sh.
# chromium (about 200 MB with its libraries) opens the --format html page
# in the tests, headless; nothing else uses it.
set -eu

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "vmcp-telemetry: run as root: $*" >&2
		exit 1
	fi
}

debian_packages() {
	pkgs="gcc make pkg-config libyajl-dev zlib1g-dev libcurl4-openssl-dev \
libpcre2-dev libyaml-dev libmicrohttpd-dev libsqlite3-dev sqlite3 curl check gzip python3 openssl man-db logrotate \
prometheus python3-prometheus-client chromium binutils strace valgrind"
	missing=""
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing="$missing $p"
	done
	# Tools of the deployment checks, by command: any kubectl, node and npm
	# will do; Debian's packages when there is none.
	command -v kubectl >/dev/null 2>&1 || missing="$missing kubernetes-client"
	command -v node >/dev/null 2>&1 || missing="$missing nodejs"
	command -v npm >/dev/null 2>&1 || missing="$missing npm"
	command -v systemd-analyze >/dev/null 2>&1 || missing="$missing systemd"
	[ -z "$missing" ] && return 0
	echo "vmcp-telemetry: installing Debian packages:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	as_root apt-get update -qq
	# shellcheck disable=SC2086
	as_root apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# npm ci of the pinned modules, once per package-lock.json: the copy of the
# lock file in DIR is the stamp, written only after a successful install.
npm_modules() {
	dir=$1
	src=$(dirname "$0")/../tests/deploy
	if [ -d "$dir/node_modules" ] && cmp -s "$src/package-lock.json" "$dir/.installed-lock.json"; then
		return 0
	fi
	mkdir -p "$dir"
	rm -f "$dir/.installed-lock.json"
	cp "$src/package.json" "$src/package-lock.json" "$dir/"
	echo "vmcp-telemetry: installing the npm modules of the deployment checks into $dir" >&2
	if ! npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error \
		--fetch-timeout=30000 --fetch-retries=1 >"$dir/npm.log" 2>&1; then
		echo "vmcp-telemetry: 'npm ci' failed; is the npm registry reachable? (npm config get registry: $(npm config get registry 2>/dev/null))" >&2
		tail -5 "$dir/npm.log" >&2
		exit 1
	fi
	cp "$src/package-lock.json" "$dir/.installed-lock.json"
}

# Debian 12's kubectl, unpacked: renders the manifests the way the oldest
# kustomize we support does.
kubectl_120() {
	dir=$1
	[ -x "$dir/usr/bin/kubectl" ] && return 0
	mkdir -p "$dir/deb"
	if ! (cd "$dir/deb" && apt-get download kubernetes-client >/dev/null 2>&1); then
		as_root apt-get update -qq
		if ! (cd "$dir/deb" && apt-get download kubernetes-client >/dev/null 2>&1); then
			echo "vmcp-telemetry: cannot download Debian's kubernetes-client (apt-get download); is the Debian archive reachable?" >&2
			exit 1
		fi
	fi
	dpkg-deb -x "$dir"/deb/kubernetes-client_*.deb "$dir"
	rm -rf "$dir/deb"
}

case "${1:-}" in
"") debian_packages ;;
npm) npm_modules "$2" ;;
kubectl-1.20) kubectl_120 "$2" ;;
*)
	echo "usage: sh tools/install-deps.sh [npm DIR | kubectl-1.20 DIR]" >&2
	exit 2
	;;
esac
