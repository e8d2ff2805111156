#!/bin/sh
# rcat-qlog.sh: RDT_QLOG traces of a lossy transfer, checked.
#
# A client sends 4 MiB (RDT_TEST_QUICK=1: 1 MiB) to a server through
# rdt-impair with 3% loss each way, both ends with RDT_QLOG pointing at
# one directory.  qlog_check.py then reads the two traces (JSON-SEQ
# framing, header, events, the loss the relay caused as packet_lost,
# which must match each end's pkts_lost counter, the stream and ACK
# frames against each other).  Then RDT_QLOG naming a directory that
# does not exist: the transfer must still work and librdt must say why
# there is no trace.

. "${srcdir:-.}/tests/integration/rcat-lib.sh"

IMPAIR=${RDT_IMPAIR:-${top_builddir:-.}/tools/rdt-impair/rdt-impair}
CHECK=${srcdir:-.}/tests/integration/qlog_check.py
[ -x "$IMPAIR" ] || fail "rdt-impair is not built ($IMPAIR)"
$have_python || skip "python3 is needed to read the traces"

rcat_setup qlog
size=$(rcat_size 4 1)
gen_data "$work/cli.in" "$size"
mkdir "$work/qlog" || fail "mkdir"

# Exported around the function: an assignment before a function call
# may or may not reach its commands, by shell.
export RDT_QLOG="$work/qlog"
start_listener srv --stats "$work/srv.json" 127.0.0.1 0
unset RDT_QLOG
run_bg "$IMPAIR" -v --listen 127.0.0.1:0 --forward "127.0.0.1:$port" \
	--both 'loss 3%' --stats /dev/null 2> "$work/impair.err"
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

RDT_QLOG=$work/qlog timeout -k 10 "$RCAT_TIMEOUT" "$RCAT" --stats \
	"$work/cli.json" 127.0.0.1 "$relay" < "$work/cli.in" \
	> /dev/null 2> "$work/cli.err"
expect_status "client through the relay" 0 $? "$work/cli.err"
reap "$listener_pid"
expect_status "server behind the relay" 0 "$reaped" "$work/srv.err"
kill "$relay_pid"
reap "$relay_pid"
same_bytes "client -> relay -> server" "$work/cli.in" "$work/srv.out"
# Nothing on stderr: a trace that lost records would say so there.
for f in cli srv; do
	[ -s "$work/$f.err" ] && {
		cat "$work/$f.err" >&2
		fail "$f: unexpected messages on stderr"
	}
done
timeout -k 10 120 python3 "$CHECK" "$work/qlog" "$work/cli.json" "$work/srv.json" \
	"$size" || fail "the traces do not hold"

# --- a directory that cannot be written ----------------------------------
echo hello > "$work/small.in"
export RDT_QLOG="$work/missing"
start_listener small 127.0.0.1 0
unset RDT_QLOG
RDT_QLOG=$work/missing timeout -k 10 30 "$RCAT" 127.0.0.1 "$port" \
	< "$work/small.in" > /dev/null 2> "$work/small-cli.err"
expect_status "client, RDT_QLOG unwritable" 0 $? "$work/small-cli.err"
reap "$listener_pid"
expect_status "server, RDT_QLOG unwritable" 0 "$reaped" "$work/small.err"
same_bytes "RDT_QLOG unwritable" "$work/small.in" "$work/small.out"
for f in small-cli small; do
	grep -q "^librdt: RDT_QLOG=$work/missing: No such file or directory" \
		"$work/$f.err" || {
		cat "$work/$f.err" >&2
		fail "$f: no message about the missing RDT_QLOG directory"
	}
done
[ -e "$work/missing" ] && fail "RDT_QLOG created $work/missing"
echo "ok: unwritable RDT_QLOG reported: $(cat "$work/small-cli.err")"
exit 0
