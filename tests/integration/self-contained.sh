#!/bin/sh
# The repository stands alone: no tracked file names a directory beside the
# checkout (../shared, where a developer's notes may lie) or an absolute
# path of a development machine (/work/..., /root/..., a real home
# directory). The planted home directory of the privacy fixtures
# (/home/carol/PLANTED...) is the one allowed home: it is data a test
# proves never leaves, not a path anything reads.
#   sh tests/integration/self-contained.sh
set -u
cd "$(dirname "$0")/../.." || exit 1
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	list() { git ls-files -z; }
else
	list() { find . -path ./build -prune -o -type f -print0; }
fi
pattern='\.\./shared|/work/|/root/|/Users/[A-Za-z]|/home/[A-Za-z0-9_.-]+'
hits=$(list | xargs -0 grep -nIoE "$pattern" 2>/dev/null |
	grep -vE ':/home/carol$' |
	grep -v '^tests/integration/self-contained.sh:')
files=$(list | tr '\0' '\n' | grep -c .)
if [ -n "$hits" ]; then
	echo "$hits" | sed 's/^/FAIL: names a path outside the repository: /'
	echo "self-contained: 0 passed, 1 failed"
	exit 1
fi
# ...and the check itself finds what it looks for
probe=$(printf 'x ../shared/y\n' | grep -cE "$pattern")
[ "$probe" = 1 ] || { echo "self-contained: 0 passed, 1 failed (the pattern matches nothing)"; exit 1; }
echo "self-contained: $files files checked; 1 passed, 0 failed"
