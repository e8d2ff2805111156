#!/bin/sh
# tests/integration/valgrind.sh: run integration test programs under
# valgrind with small sizes; fails if valgrind reports any error or a
# definite or possible leak in any process of a case.
#
# usage: valgrind.sh PROGRAM...  (from the build directory;
#        `make check-valgrind-integration` runs it)
#
# The cases fork (one process per case, and helper processes); valgrind
# follows forks by itself, and --error-exitcode makes each process exit
# non-zero on an error, which the case runner reports as a failure.

set -u

if ! command -v valgrind >/dev/null 2>&1; then
	echo "valgrind.sh: valgrind not found" >&2
	exit 77
fi

top_builddir=${top_builddir:-.}
srcdir=${srcdir:-$(dirname "$0")/../..}
libtool="$top_builddir/libtool"
log_dir=${VALGRIND_LOG_DIR:-valgrind-logs}
mkdir -p "$log_dir" || exit 2

# Small sizes: valgrind is 20 to 50 times slower.
RDT_TEST_QUICK=1
RDT_ITEST_CYCLES=${RDT_ITEST_CYCLES:-200}
# Cases whose premise valgrind breaks: emfile sets RLIMIT_NOFILE, which
# valgrind intercepts and keeps descriptors of its own under; eagain
# takes 500 ms without progress for "the buffers are full", which a
# program running 20-50 times slower does not prove.  Both run in every
# other build.
RDT_ITEST_SKIP=${RDT_ITEST_SKIP:-"emfile eagain"}
export RDT_TEST_QUICK RDT_ITEST_CYCLES RDT_ITEST_SKIP

status=0
for prog in "$@"; do
	name=$(basename "$prog")
	echo "valgrind.sh: $prog"
	# A sanitizer build cannot run under valgrind.
	if nm -D "$(dirname "$prog")/.libs/$name" 2>/dev/null |
	   grep -q __asan_init || nm "$prog" 2>/dev/null | grep -q __asan_init
	then
		echo "valgrind.sh: $prog is built with AddressSanitizer" >&2
		exit 77
	fi
	if ! "$libtool" --mode=execute valgrind -q \
		--error-exitcode=1 --leak-check=full \
		--errors-for-leak-kinds=definite,possible \
		--suppressions="$srcdir/tests/integration/valgrind.supp" \
		--log-file="$log_dir/$name.%p.log" "$prog"; then
		echo "valgrind.sh: $prog FAILED; logs in $log_dir/$name.*.log" >&2
		status=1
	fi
	for log in "$log_dir/$name".*.log; do
		[ -s "$log" ] && { echo "==== $log"; cat "$log"; }
	done
done
exit $status
