#!/bin/sh
# preload-fork.sh: a forking server (tests/preload/fork-echo.c: one child
# per connection, echoing) and a client making 50 connections at once,
# both plain TCP programs under rdt-run.  Every connection's bytes must
# come back exactly (1 MiB each way per connection; 4 MiB with
# RDT_TEST_LONG=1), the children must find their inherited sockets
# answering as TCP would (getpeername, SO_TYPE, ...), and the server's
# RDT_PCAP log must hold the 50 connections: the children used the
# connections that run in the parent.

. "${srcdir:-.}/tests/preload/preload-lib.sh"

preload_setup fork
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

timeout "$RCAT_TIMEOUT" "$RDT_RUN" -P "$work/srv.pcap" "$FORK_ECHO" \
	server "$work/port" "$conns" > "$work/srv.out" 2> "$work/srv.err" &
server_pid=$!
rcat_pids="$rcat_pids $server_pid"
i=0
while [ ! -s "$work/port" ]; do
	if ! kill -0 "$server_pid" 2>/dev/null; then
		cat "$work/srv.err" >&2
		fail "server exited before listening"
	fi
	i=$((i + 1))
	[ $i -le 200 ] || fail "server wrote no port in 10 s"
	sleep 0.05
done
port=$(cat "$work/port")

t0=$(now_ms)
timeout "$RCAT_TIMEOUT" "$RDT_RUN" "$FORK_ECHO" client "$port" "$conns" \
	"$each" > "$work/cli.out" 2> "$work/cli.err"
expect_status "client" 0 $? "$work/cli.err"
reap "$server_pid"
expect_status "server" 0 "$reaped" "$work/srv.err"
t1=$(now_ms)
cat "$work/cli.out"
echo "$conns connections x $each bytes each way in $((t1 - t0)) ms"
pcap_check "$work/srv.pcap" "$conns" $((conns * each)) $((conns * each))
exit 0
