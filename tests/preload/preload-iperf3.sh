#!/bin/sh
# preload-iperf3.sh: iperf3 server and client, unmodified, under rdt-run
# on loopback or between two namespaces (PRELOAD_WHERE=netns,
# preload-lib.sh): a plain run, a reverse run (-R) and four parallel streams
# (-P 4), each -t 2 (-t 5 with RDT_TEST_LONG=1, -t 1 with
# RDT_TEST_QUICK=1).  Each must complete and report (exit 0, a JSON
# report with bytes received and no error), and the server's RDT_PCAP
# log must hold its control connection and every data stream, carrying
# at least the bytes iperf3 reports, and (as root, with tcpdump) the
# server's interface must see no TCP segment of the port.  Rates are
# printed, not asserted.

. "${srcdir:-.}/tests/preload/preload-lib.sh"

preload_setup iperf3
need iperf3

if [ "${RDT_TEST_LONG:-0}" = 1 ]; then
	secs=5
elif [ "${RDT_TEST_QUICK:-0}" = 1 ]; then
	secs=1
else
	secs=2
fi

# received_bytes FILE: end.sum_received.bytes of an iperf3 JSON report
# that holds no error; empty if there is none.
received_bytes() {
	if command -v python3 >/dev/null 2>&1; then
		python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
if d.get("error"):
    sys.exit("iperf3: " + d["error"])
s = d["end"]["sum_received"]
print(s["bytes"], int(s["bits_per_second"] / 1e6))
PY
	else
		grep -q '"error"' "$1" && return 1
		awk '/"sum_received"/ { f = 1 } f && /"bytes"/ {
			gsub(/[^0-9]/, "", $2); print $2, "?"; exit }' "$1"
	fi
}

# run NAME CONNS DIRECTION ARGS...: one iperf3 test against a fresh
# one-off server (-1); DIRECTION is c2s or s2c, where the data flows.
run() {
	name=$1 conns=$2 dir=$3
	shift 3
	start_server_retry "$name" \
		'iperf3 -s -1 -B $SRV_ADDR -p $port'
	tcp_watch_start "$port"
	timeout -k 10 "$RCAT_TIMEOUT" $CLI_WRAP "$RDT_RUN" iperf3 -J \
		-c "$SRV_ADDR" \
		-p "$port" -t "$secs" "$@" > "$work/$name.json" \
		2> "$work/$name.cli.err"
	expect_status "$name: iperf3 -c" 0 $? "$work/$name.json"
	reap "$server_pid"
	expect_status "$name: iperf3 -s" 0 "$reaped" "$work/$name.err"
	tcp_watch_check "$port"
	set -- $(received_bytes "$work/$name.json") ||
		fail "$name: no report"
	[ "${1:-0}" -gt 0 ] || fail "$name: no bytes received"
	echo "ok: $name: $1 bytes received, $2 Mbit/s"
	if [ "$dir" = c2s ]; then
		pcap_check "$work/$name.pcap" "$conns" "$1" 0
	else
		pcap_check "$work/$name.pcap" "$conns" 0 "$1"
	fi
}

# Connections: iperf3's control connection plus one per stream.
run plain 2 c2s
run reverse 2 s2c -R
run parallel 5 c2s -P 4
exit 0
