#!/bin/sh
# preload-fork.sh: a forking server (tests/preload/fork-echo.c: one child
# per connection, echoing) and a client making 50 connections at once,
# both plain TCP programs under rdt-run, on loopback or between two
# namespaces (PRELOAD_WHERE=netns, preload-lib.sh; fork-echo takes the
# addresses from FORK_ECHO_SERVER and FORK_ECHO_CLIENT).  Every
# connection's bytes must
# come back exactly (1 MiB each way per connection; 4 MiB with
# RDT_TEST_LONG=1), the children must find their inherited sockets
# answering as TCP would (getpeername, SO_TYPE, ...), and the server's
# RDT_PCAP log must hold the 50 connections: the children used the
# connections that run in the parent; no TCP segment of the port may
# appear on the server's interface (as root, with tcpdump).  A second run sets SO_LINGER 0 on
# each accepted socket before the fork, and a third has each child
# execute cat(1) with the connection as stdin and stdout.

. "${srcdir:-.}/tests/preload/preload-lib.sh"

preload_setup fork
export FORK_ECHO_SERVER="$SRV_ADDR" FORK_ECHO_CLIENT="$CLI_ADDR"
FORK_ECHO=$builddir/tests/preload/fork-echo
[ -x "$FORK_ECHO" ] || { echo "fork: $FORK_ECHO not built" >&2; exit 99; }

conns=50
if [ "${RDT_TEST_LONG:-0}" = 1 ]; then
	each=$((4 * 1048576))
elif [ "${RDT_TEST_QUICK:-0}" = 1 ]; then
	each=262144
else
	each=1048576
fi

# one_run NAME [exec]: the server, its port, the client, the checks.
one_run() {
	name=$1
	rm -f "$work/port"
	# The server exits as soon as its last child has: what the
	# children wrote last is then still draining in its library, and
	# on a loaded machine 50 connections can need more than the
	# suite's 5 s of exit linger (a cut one reads ECONNRESET).
	RDT_EXIT_LINGER=60 timeout -k 10 "$RCAT_TIMEOUT" $NS_WRAP "$RDT_RUN" \
		-P "$work/$name.pcap" "$FORK_ECHO" server "$work/port" "$conns" ${2:-} \
		> "$work/$name.out" 2> "$work/$name.err" &
	server_pid=$!
	rcat_pids="$rcat_pids $server_pid"
	i=0
	while [ ! -s "$work/port" ]; do
		if ! kill -0 "$server_pid" 2>/dev/null; then
			cat "$work/$name.err" >&2
			fail "$name: server exited before listening"
		fi
		i=$((i + 1))
		[ $i -le 200 ] || fail "$name: server wrote no port in 10 s"
		sleep 0.05
	done
	port=$(cat "$work/port")
	tcp_watch_start "$port"

	t0=$(now_ms)
	timeout -k 10 "$RCAT_TIMEOUT" $CLI_WRAP "$RDT_RUN" \
		-P "$work/$name.cli.pcap" \
		"$FORK_ECHO" client "$port" \
		"$conns" "$each" > "$work/$name.cli.out" \
		2> "$work/$name.cli.err"
	expect_status "$name: client" 0 $? "$work/$name.cli.err"
	reap "$server_pid"
	expect_status "$name: server" 0 "$reaped" "$work/$name.err"
	t1=$(now_ms)
	cat "$work/$name.cli.out"
	echo "$name: $conns connections x $each bytes each way in" \
		"$((t1 - t0)) ms"
	pcap_check "$work/$name.pcap" "$conns" $((conns * each)) \
		$((conns * each))
	tcp_watch_check "$port"
}

one_run fork
# SO_LINGER 0 (close resets) on the accepted socket before the fork:
# the parent's close of its copy is not the last, so it must not reset.
one_run linger linger
# The child executes cat(1) on the connection, as inetd does: the
# descriptors survive exec as plain streams while the parent lives.
if command -v cat > /dev/null 2>&1; then
	one_run exec exec
fi
exit 0
