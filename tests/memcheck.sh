#!/bin/sh
# make memcheck: the unit tests and the main, hostile-input and security
# integration tests with the binary under valgrind. Errors and definite or
# indirect leaks fail the run; each process logs to its own file and any
# log that is not empty fails it (tests/memcheck-verdict.sh). valgrind's
# options travel in VT_WRAPPER, split on blanks, so the logs and the
# suppressions live in a directory of their own under /tmp: the checkout's
# path may hold spaces.
#   sh tests/memcheck.sh UNIT_BIN BIN
set -u
unit=$1
bin=$2
dir=$(mktemp -d /tmp/vt-memcheck.XXXXXX) || exit 1
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/logs"
cp tests/valgrind.supp "$dir/valgrind.supp"
VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full \
--errors-for-leak-kinds=definite,indirect --suppressions=$dir/valgrind.supp \
--log-file=$dir/logs/%p.log"
rc=0
step() {
	echo "memcheck: $*"
	"$@" || rc=1
}
step env CK_FORK=no $VALGRIND "$unit"
step env VT_WRAPPER="$VALGRIND" sh tests/integration/run.sh "$bin"
step env VT_WRAPPER="$VALGRIND" python3 tests/integration/hostile.py "$bin"
step env VT_WRAPPER="$VALGRIND" python3 tests/integration/security.py "$bin"
step sh tests/memcheck-verdict.sh "$dir/logs"
exit $rc
