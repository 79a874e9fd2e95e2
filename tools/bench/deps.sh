#!/bin/sh
# Installs the yardsticks 'make bench' compares with, if missing (Debian
# packages; the bench is not part of 'make test' or CI): json_verify
# (yajl-tools), jq, gzip/zcat, python3, GNU time (peak RSS); miller is
# optional context.
set -eu
need="yajl-tools jq gzip python3 time"
want="miller"
missing=""
for p in $need $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "vmcp-telemetry bench: run as root: apt-get install$missing" >&2
	exit 1
fi
echo "vmcp-telemetry bench: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# miller is context only: carry on without it
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
	$sudo apt-get install -y -qq --no-install-recommends $need >/dev/null
