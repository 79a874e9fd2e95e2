#!/bin/sh
# Installs what is missing, and does nothing (fast) when everything is there.
#   sh tools/install-deps.sh           what building and running need: the
#                                      compiler and the -dev packages
#                                      ('make deps', so 'make run')
#   sh tools/install-deps.sh test      all that, and the tools the tests
#                                      drive for real ('make test-deps', so
#                                      'make test'): Check, Python, logrotate,
#                                      valgrind, strace, clang, Chromium,
#                                      promtool, Node.js and npm
#   sh tools/install-deps.sh npm DIR [SRC]
#                                      npm ci of SRC/package-lock.json (default
#                                      tests/deploy) into DIR/node_modules
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

# The Debian packages of building and running.
BUILD_PACKAGES="gcc make pkg-config libyajl-dev zlib1g-dev libcurl4-openssl-dev \
libpcre2-dev libyaml-dev libmicrohttpd-dev libsqlite3-dev"
# And of the tests.
TEST_PACKAGES="check gzip python3 openssl man-db logrotate prometheus \
python3-prometheus-client chromium binutils strace valgrind clang sqlite3 curl"

# debian_packages PACKAGE...: installs those of them that are missing; for
# the tests also node and npm by command (any will do; Debian's packages
# when there is none). kubectl is optional: the deployment checks render
# with the kustomize pinned in tests/deploy, and with kubectl as well when it
# is 1.21 or later (Debian 12's kubernetes-client is 1.20, too old).
debian_packages() {
	missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing="$missing $p"
	done
	if [ "${WITH_TEST_TOOLS:-0}" = 1 ]; then
		command -v node >/dev/null 2>&1 || missing="$missing nodejs"
		command -v npm >/dev/null 2>&1 || missing="$missing npm"
		command -v systemd-analyze >/dev/null 2>&1 || missing="$missing systemd"
	fi
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
	src=${2:-$(dirname "$0")/../tests/deploy}
	if [ -d "$dir/node_modules" ] && cmp -s "$src/package-lock.json" "$dir/.installed-lock.json"; then
		return 0
	fi
	if ! command -v npm >/dev/null 2>&1; then
		echo "vmcp-telemetry: npm not found; 'make test-deps' installs it" >&2
		exit 1
	fi
	mkdir -p "$dir"
	rm -f "$dir/.installed-lock.json"
	cp "$src/package.json" "$src/package-lock.json" "$dir/"
	echo "vmcp-telemetry: installing the npm modules of $src into $dir" >&2
	if ! npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error \
		--fetch-timeout=30000 --fetch-retries=1 >"$dir/npm.log" 2>&1; then
		echo "vmcp-telemetry: 'npm ci' failed; is the npm registry reachable? (npm config get registry: $(npm config get registry 2>/dev/null))" >&2
		tail -5 "$dir/npm.log" >&2
		exit 1
	fi
	cp "$src/package-lock.json" "$dir/.installed-lock.json"
}

case "${1:-}" in
"") debian_packages $BUILD_PACKAGES ;;
test)
	# shellcheck disable=SC2086
	WITH_TEST_TOOLS=1 debian_packages $BUILD_PACKAGES $TEST_PACKAGES
	;;
npm) npm_modules "$2" "${3:-}" ;;
*)
	echo "usage: sh tools/install-deps.sh [test | npm DIR [SRC]]" >&2
	exit 2
	;;
esac
