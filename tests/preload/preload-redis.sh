#!/bin/sh
# preload-redis.sh: redis-server and redis-benchmark, unmodified, under
# rdt-run on loopback or between two namespaces (PRELOAD_WHERE=netns,
# preload-lib.sh): `redis-benchmark -n 100000 -c 50` (50 concurrent
# connections against Redis's event loop) must complete every test with
# no error.  The default run does SET and GET (10000 requests with
# RDT_TEST_QUICK=1); RDT_TEST_LONG=1 runs the whole suite, as issue 11
# asks.  The server's RDT_PCAP log must hold at least the 50
# connections, and (as root, with tcpdump) the server's interface must
# see no TCP segment of the port.  Rates are printed, not asserted.

. "${srcdir:-.}/tests/preload/preload-lib.sh"

preload_setup redis
need redis-server redis-benchmark

requests=100000
tests="-t set,get"
[ "${RDT_TEST_QUICK:-0}" = 1 ] && requests=10000
[ "${RDT_TEST_LONG:-0}" = 1 ] && tests=""

# No persistence, no daemon, nothing written outside $work.  Protected
# mode would refuse the other namespace's client (it has no password);
# only this test's namespaces can reach the server.
start_server_retry srv 'redis-server --port $port --bind $SRV_ADDR \
	--protected-mode no --save "" --appendonly no --daemonize no \
	--dir "$work"'
tcp_watch_start "$port"
t0=$(now_ms)
# shellcheck disable=SC2086 # $tests is meant to split
timeout -k 10 "$RCAT_TIMEOUT" $CLI_WRAP "$RDT_RUN" redis-benchmark \
	-h "$SRV_ADDR" \
	-p "$port" -n "$requests" -c 50 $tests --csv \
	> "$work/bench.csv" 2> "$work/bench.err"
expect_status "redis-benchmark" 0 $? "$work/bench.err"
t1=$(now_ms)
cat "$work/bench.csv"
echo "redis-benchmark took $((t1 - t0)) ms"
if grep -qi 'err' "$work/bench.csv" "$work/bench.err"; then
	cat "$work/bench.err" >&2
	fail "redis-benchmark reported errors"
fi
# Every test line: "NAME","RPS",...; each must have a rate.
n=$(awk -F '"' 'NR > 1 && $4 + 0 > 0 { n++ } END { print n + 0 }' \
	"$work/bench.csv")
want=2
[ -z "$tests" ] && want=$(($(wc -l < "$work/bench.csv") - 1))
[ "$n" -ge "$want" ] && [ "$n" -gt 0 ] ||
	fail "only $n of $want tests reported a rate"
echo "ok: $n tests completed without errors"
tcp_watch_check "$port"

# The server's log, read while it runs (its flusher writes every
# 100 ms; a read may catch a record half written): bounded retries.
f=$work/srv.pcap
[ -s "$f" ] || fail "$f: no rdt datagrams logged"
if [ -x "$RDT_PCAP_TOOL" ]; then
	i=0
	while :; do
		conns=$("$RDT_PCAP_TOOL" check "$f" 2>/dev/null |
			awk 'NR == 1 { print $(NF - 1) + 0 }')
		[ "${conns:-0}" -ge 50 ] && break
		i=$((i + 1))
		[ $i -le 100 ] ||
			fail "$f: ${conns:-0} connections, fewer than 50"
		sleep 0.1
	done
	echo "ok: $f holds $conns rdt connections"
fi
kill "$server_pid"
wait "$server_pid" 2>/dev/null
exit 0
