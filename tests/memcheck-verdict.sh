#!/bin/sh
# After 'make memcheck': every valgrind log (one per process) must be
# empty. valgrind -q writes only errors and leaks, and the scripts that
# ran the binary under it may have kept its exit code from mattering
# (a command in a pipe), so the logs are the verdict.
#   sh tests/memcheck-verdict.sh DIR
set -eu
dir=$1
n=$(find "$dir" -name '*.log' | wc -l)
bad=$(find "$dir" -name '*.log' -size +0c | sort)
if [ -n "$bad" ]; then
	for f in $bad; do
		echo "memcheck: $f:" >&2
		head -n 60 "$f" >&2
	done
	echo "memcheck: FAILED: $(echo "$bad" | wc -l) of $n processes had errors or leaks" >&2
	exit 1
fi
[ "$n" -gt 0 ] || { echo "memcheck: no valgrind log in $dir" >&2; exit 1; }
echo "memcheck: $n processes under valgrind, no error, no leak"
