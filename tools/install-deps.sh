#!/bin/sh
# Installs the Debian packages the build and the tests need, if missing.
# Used by 'make deps' (and so by 'make run' and 'make test').
set -eu
pkgs="gcc make pkg-config libyajl-dev zlib1g-dev libcurl4-openssl-dev \
libpcre2-dev libyaml-dev check gzip python3 openssl man-db logrotate valgrind"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "vmcp-telemetry: installing Debian packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "vmcp-telemetry: run as root: apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
