#!/bin/bash
# tests/fuzz/run-fuzz.sh: builds every fuzz target with clang's libFuzzer,
# ASan and UBSan, and runs each for a while; `make fuzz` calls it with
# the core's source list.
#
# Environment (make sets the first ones):
#   FUZZ_SOURCES    the core and codec sources, relative to srcdir
#   FUZZ_TARGETS    which of tests/fuzz/fuzz_<target>.c to run (pkt net admit
#                   seal)
#   FUZZ_SECONDS    how long each runs (60)
#   FUZZ_JOBS       how many run at once (1)
#   FUZZ_CC         the compiler (clang)
#   FUZZ_MERGE=1    afterwards, merge what each run found into
#                   tests/fuzz/corpus/<target> (minimized), so `make check`
#                   replays it from then on
#
# Each target starts from its corpus in the source tree and works in
# fuzz-out/<target>/.  A finding is kept as fuzz-out/<target>/crash-*, and
# the script prints the one command that replays it without libFuzzer.
# The exit status is non-zero if any target found something.
set -u
srcdir=${srcdir:-.}
: "${FUZZ_SOURCES:?run by make fuzz, which sets it}"
FUZZ_TARGETS=${FUZZ_TARGETS:-pkt net admit seal}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_JOBS=${FUZZ_JOBS:-1}
FUZZ_CC=${FUZZ_CC:-clang}
out=fuzz-out

# Inputs up to this long: a datagram for the codec, a script of a few
# hundred operations for the others.
max_len() {
	case $1 in
	pkt) echo 65536 ;;
	*) echo 4096 ;;
	esac
}

probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' >"$probe/p.c"
if ! "$FUZZ_CC" -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" 2>/dev/null; then
	echo "run-fuzz: $FUZZ_CC cannot build with -fsanitize=fuzzer;" \
		"install clang (Debian: apt-get install clang) or set FUZZ_CC" >&2
	exit 2
fi

sources=
for s in $FUZZ_SOURCES; do
	sources="$sources $srcdir/$s"
done

build() {
	local t=$1
	mkdir -p "$out/$t" || return 1
	# shellcheck disable=SC2086 # word lists on purpose
	"$FUZZ_CC" -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -Wall -Wextra \
		-I"$srcdir/include" -I"$srcdir/src" ${SODIUM_CFLAGS:-} \
		$sources "$srcdir/tests/fuzz/fuzz_$t.c" ${SODIUM_LIBS:--lsodium} \
		-o "$out/$t/fuzz_$t"
}

# run TARGET: fuzz it, then print its figures.
run() {
	local t=$1 dir=$out/$1 rc
	# A finding of an earlier run must not be reported as this one's.
	rm -rf "$dir/corpus" "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-*
	mkdir -p "$dir/corpus"
	"$dir/fuzz_$t" -max_total_time="$FUZZ_SECONDS" \
		-max_len="$(max_len "$t")" -len_control=0 \
		-print_final_stats=1 -artifact_prefix="$dir/" \
		"$dir/corpus" "$srcdir/tests/fuzz/corpus/$t" \
		>"$dir/log" 2>&1
	rc=$?
	local execs cov corp crash
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log")
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$dir/log" | tail -n 1)
	corp=$(find "$dir/corpus" -type f | wc -l)
	crash=$(find "$dir" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' \
		-o -name 'timeout-*' \) | head -n 1)
	if [ "$rc" -ne 0 ] || [ -n "$crash" ]; then
		echo "fuzz $t: FINDING after ${execs:-?} executions ($dir/log)"
		[ -n "$crash" ] && echo "  replay: tests/fuzz/fuzz_${t}_replay $crash"
		return 1
	fi
	echo "fuzz $t: no finding in ${FUZZ_SECONDS} s: ${execs:-?} executions, ${cov:-cov ?}, $corp new inputs"
	if [ "${FUZZ_MERGE:-0}" = 1 ]; then
		"$dir/fuzz_$t" -merge=1 -max_len="$(max_len "$t")" \
			"$srcdir/tests/fuzz/corpus/$t" "$dir/corpus" \
			>"$dir/merge.log" 2>&1 &&
			echo "  merged into $srcdir/tests/fuzz/corpus/$t:" \
				"$(find "$srcdir/tests/fuzz/corpus/$t" -type f | wc -l) inputs"
	fi
}

for t in $FUZZ_TARGETS; do
	if [ ! -f "$srcdir/tests/fuzz/fuzz_$t.c" ]; then
		echo "run-fuzz: no target $t (tests/fuzz/fuzz_$t.c)" >&2
		exit 2
	fi
	echo "run-fuzz: building $t"
	build "$t" || exit 1
done

status=0
pids=()
running=0
for t in $FUZZ_TARGETS; do
	echo "run-fuzz: $t for $FUZZ_SECONDS s"
	run "$t" >"$out/$t.result" &
	pids+=($!)
	running=$((running + 1))
	if [ "$running" -ge "$FUZZ_JOBS" ]; then
		wait -n || status=1
		running=$((running - 1))
	fi
done
while [ "$running" -gt 0 ]; do
	wait -n || status=1
	running=$((running - 1))
done
for t in $FUZZ_TARGETS; do
	cat "$out/$t.result"
done
exit $status
