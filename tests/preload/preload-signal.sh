#!/bin/sh
# preload-signal.sh: under rdt-run, a signal handler's dup(2) and
# close(2), on a plain descriptor and on an rdt listener, never wait for
# the preload library's table lock, which the interrupted thread may
# hold (tests/preload/signal-dup.c): the program must finish within its
# bound, where waiting there deadlocks it.

. "${srcdir:-.}/tests/preload/preload-lib.sh"

preload_setup signal
SIGNAL_DUP=$builddir/tests/preload/signal-dup
[ -x "$SIGNAL_DUP" ] || { echo "signal: $SIGNAL_DUP not built" >&2; exit 99; }

secs=3
[ "${RDT_TEST_QUICK:-0}" = 1 ] && secs=1
timeout -k 10 60 "$RDT_RUN" "$SIGNAL_DUP" "$secs" > "$work/out" \
	2> "$work/err"
rc=$?
cat "$work/out"
[ $rc -ne 124 ] && [ $rc -ne 137 ] ||
	fail "signal-dup did not finish in 60 s (a deadlock in a handler)"
expect_status "signal-dup under rdt-run" 0 $rc "$work/err"
grep -q 'handlers ran' "$work/out" || fail "no report"
exit 0
