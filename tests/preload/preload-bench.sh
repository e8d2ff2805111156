#!/bin/sh
# preload-bench.sh: the overhead benchmark (`make bench-preload`) keeps
# measuring what it says.  bench_loopback runs under rdt-run with a small
# transfer; its BSD-call side must have become rdt through the shim (the
# program says "shim" only when the connected socket answers RDT_INFO),
# every transfer must arrive intact (the program exits non-zero
# otherwise), and it must print the shim/native ratios.  The figures are
# printed, never asserted: speed is the benchmark's business.

. "${srcdir:-.}/tests/preload/preload-lib.sh"

preload_setup bench
bench=$builddir/tests/bench/bench_loopback
[ -x "$bench" ] || { echo "bench: $bench not built" >&2; exit 99; }

mib=$(($(size_mib 256 16 4) / 1048576))
timeout -k 10 "$RCAT_TIMEOUT" "$RDT_RUN" "$bench" "$mib" 1 1000 \
	> "$work/bench.out" 2> "$work/bench.err"
rc=$?
cat "$work/bench.out"
expect_status "bench_loopback under rdt-run" 0 "$rc" "$work/bench.err"
grep -q '^shim round 1: ' "$work/bench.out" ||
	fail "the BSD calls under rdt-run did not make rdt sockets"
grep -q 'shim/native = ' "$work/bench.out" ||
	fail "no bulk shim/native ratio printed"
grep -q 'ping-pong: shim/native median = ' "$work/bench.out" ||
	fail "no ping-pong shim/native ratio printed"
echo "ok: the shim was measured against the native API"
