#!/bin/sh
# The library's own datagram log (RDT_PCAP=FILE) of real transfers over
# loopback must check clean, every time: one connection, every byte acknowledged,
# both FINs sent.  The traffic comes from tests/bench/bench_loopback, the one
# program that drives the socket API end to end in this tree.
. "${srcdir:-.}/tests/pcap/lib.sh"

BENCH=$top_builddir/tests/bench/bench_loopback
[ -x "$BENCH" ] || { echo "SKIP: $BENCH not built"; exit 77; }
if [ -n "$RDT_TEST_QUICK" ]; then mib=1; else mib=8; fi

# Several runs: a log out of order (an ACK logged before the packet it
# acknowledges) shows only now and then, and must never.
if [ -n "$RDT_TEST_QUICK" ]; then runs=3; else runs=8; fi
run=1
while [ $run -le $runs ]; do
	RDT_PCAP=$tmp/lib.pcap timeout -k 10 120 "$BENCH" "$mib" 1 0 >"$tmp/bench.out" 2>&1 ||
		fail "bench_loopback failed: $(cat "$tmp/bench.out")"
	[ -s "$tmp/lib.pcap" ] || { echo "SKIP: no RDT_PCAP log written"; exit 77; }
	"$PCAP" check --json "$tmp/lib.pcap" >"$tmp/lib.json" ||
		fail "the library's log has violations: $(cat "$tmp/lib.json")"
	# The client's data all acknowledged, its FIN too, and the server's FIN
	# sent.  The last ACK (of the server's FIN) may be missing: the program
	# exits right after closing, and the log ends with it.
	bytes=$((mib * 1048576))
	expect_in "$tmp/lib.json" "\"stream_bytes\":$bytes,\"acked_bytes\":$bytes"
	expect_in "$tmp/lib.json" '"fin":true,"fin_acked":true},"s2c"'
	expect_in "$tmp/lib.json" '"s2c":{"packets"'
	grep -o '"s2c":{.*' "$tmp/lib.json" | grep -q '"fin":true' ||
		fail "the server's FIN is missing: $(cat "$tmp/lib.json")"
	[ "$(grep -o '"id":' "$tmp/lib.json" | wc -l)" -eq 1 ] ||
		fail "expected one connection: $(cat "$tmp/lib.json")"
	echo "ok: RDT_PCAP log $run of $mib MiB"
	run=$((run + 1))
done
