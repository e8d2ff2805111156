#!/bin/sh
# rcat-slow.sh: a healthy slow transfer is not killed (issue 12).
#
# reliable-cat sends through rdt-impair limited to 400 kbit/s one way
# (no loss), so that the buffers hold far more at the end of input than
# the link moves in one user timeout.  The final drain must wait as long
# as acknowledgements keep coming, and give up only when none came for
# the user timeout: the bytes must arrive byte-exact and both ends exit
# 0, and the --stats duration must exceed what a fixed deadline of one
# user timeout after the end of input allowed (else this test proved
# nothing).
#
# Sizes: by default 1 MiB with a 5 s user timeout (about 22 s);
# RDT_TEST_QUICK=1: 512 KiB with 3 s (about 11 s); RDT_TEST_LONG=1
# (`make check-long`): the issue's case, 4 MiB with the default 60 s
# user timeout (about 85 s).

. "${srcdir:-.}/tests/integration/rcat-lib.sh"

IMPAIR=${RDT_IMPAIR:-${top_builddir:-.}/tools/rdt-impair/rdt-impair}
[ -x "$IMPAIR" ] || skip "rdt-impair is not built ($IMPAIR)"
$have_python || skip "python3 is needed to read --stats"

if [ "${RDT_TEST_LONG:-0}" = 1 ]; then
	size=$((4 * 1048576)) ut_opt= ut_s=60
elif [ "${RDT_TEST_QUICK:-0}" = 1 ]; then
	size=$((512 * 1024)) ut_opt="--user-timeout 3000" ut_s=3
else
	size=$((1024 * 1024)) ut_opt="--user-timeout 5000" ut_s=5
fi

rcat_setup slow
gen_data "$work/cli.in" "$size"

start_listener srv -d 127.0.0.1 0
run_bg "$IMPAIR" -v --listen 127.0.0.1:0 --forward "127.0.0.1:$port" \
	--a2b 'rate 400kbit' --stats /dev/null 2> "$work/impair.err"
relay_pid=$bg_pid
i=0
until relay=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' \
	"$work/impair.err") && [ -n "$relay" ]; do
	kill -0 "$relay_pid" 2>/dev/null || {
		cat "$work/impair.err" >&2
		fail "rdt-impair exited"
	}
	i=$((i + 1))
	[ $i -le 200 ] || fail "rdt-impair named no port in 10 s"
	sleep 0.05
done

# shellcheck disable=SC2086 # $ut_opt is one option and its value, or none
timeout -k 10 "$RCAT_TIMEOUT" "$RCAT" -w 3 $ut_opt --stats "$work/cli.json" \
	127.0.0.1 "$relay" < "$work/cli.in" > /dev/null 2> "$work/cli.err"
expect_status "client over 400 kbit/s" 0 $? "$work/cli.err"
reap "$listener_pid"
expect_status "server over 400 kbit/s" 0 "$reaped" "$work/srv.err"
same_bytes "client -> 400 kbit/s -> server" "$work/cli.in" "$work/srv.out"
json_check "$work/cli.json" "s['result'] == 'ok' and
	s['duration_s'] > $ut_s + 1"
echo "ok: $size bytes at 400 kbit/s in $(python3 -c '
import json, sys
print("%.1f s" % json.load(open(sys.argv[1]))["duration_s"])' \
	"$work/cli.json"), user timeout ${ut_s} s"
exit 0
