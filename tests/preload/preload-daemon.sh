#!/bin/sh
# preload-daemon.sh: what rdt-run(1) says of daemons (a parent that exits
# after fork), checked with tests/preload/daemon.c, a plain TCP program
# under rdt-run.
#
# 1. A daemon that forks before it opens its sockets works: the child
#    listens and echoes 1 MiB to nc (under rdt-run), byte-exact, over
#    rdt (the client's RDT_PCAP log holds the connection).
# 2. A daemon that connects, then forks and lets the parent exit: the
#    child's inherited connection reads end of stream or ECONNRESET
#    (rdt-run(1), "A parent that exits after fork"), never hangs; and the
#    peer got what was sent before the fork.
#
# The daemons' children outlive the processes the shell started: each
# reports its PID in a file, and the cleanup ends it by that PID.

. "${srcdir:-.}/tests/preload/preload-lib.sh"

preload_setup daemon
need nc
DAEMON=$builddir/tests/preload/daemon
[ -x "$DAEMON" ] || { echo "daemon: $DAEMON not built" >&2; exit 99; }

# wait_file FILE WHAT: bounded wait (20 s) until FILE is not empty.
wait_file() {
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ $i -le 400 ] || fail "$2: nothing in $1 after 20 s"
		sleep 0.05
	done
}

# 1. Fork first, then listen.
timeout -k 10 "$RCAT_TIMEOUT" "$RDT_RUN" "$DAEMON" late "$work/late.port" \
	2> "$work/late.err"
expect_status "daemon late (the parent)" 0 $? "$work/late.err"
wait_file "$work/late.port" "daemon late"
set -- $(cat "$work/late.port")
port=$1
rcat_pids="$rcat_pids $2"
gen_data "$work/late.in" 1048576
timeout -k 10 "$RCAT_TIMEOUT" "$RDT_RUN" -P "$work/late.pcap" nc -N 127.0.0.1 \
	"$port" < "$work/late.in" > "$work/late.out" 2> "$work/late.cli.err"
expect_status "nc -N to the daemon" 0 $? "$work/late.cli.err"
same_bytes "echoed by the daemon's child" "$work/late.in" "$work/late.out"
pcap_check "$work/late.pcap" 1 1048576 1048576

# 2. Connect first, then fork; the parent exits.
server_in=/dev/null
start_server_retry early 'nc -l -d 127.0.0.1 $port'
timeout -k 10 "$RCAT_TIMEOUT" "$RDT_RUN" "$DAEMON" early "$port" \
	"$work/early.result" 2> "$work/early.err"
expect_status "daemon early (the parent)" 0 $? "$work/early.err"
wait_file "$work/early.result.pid" "daemon early"
rcat_pids="$rcat_pids $(cat "$work/early.result.pid")"
# The child reads for at most 30 s (SO_RCVTIMEO); allow that and more.
i=0
while [ ! -s "$work/early.result" ]; do
	i=$((i + 1))
	[ $i -le 800 ] || fail "daemon early: the child's read did not end" \
		"in 40 s"
	sleep 0.05
done
got=$(cat "$work/early.result")
case $got in
eof|econnreset)
	echo "ok: the orphaned child's inherited connection read: $got" ;;
*)
	cat "$work/early.err" >&2
	fail "the orphaned child's read gave '$got'; rdt-run(1) promises" \
		"end of stream or ECONNRESET" ;;
esac
reap "$server_pid"
expect_status "nc -l -d (the peer)" 0 "$reaped" "$work/early.err"
[ "$(cat "$work/early.out")" = hello ] ||
	fail "the peer got '$(cat "$work/early.out")', not hello"
echo "ok: the peer got the bytes sent before the fork, then end of stream"
exit 0
