#!/bin/sh
# preload-http.sh: curl downloads a file from `python3 -m http.server`,
# both unmodified under rdt-run on loopback (16 MiB; 256 MiB with
# RDT_TEST_LONG=1).  The SHA-256 must be equal, the server's RDT_PCAP
# log must hold the download, and (as root, with tcpdump) no TCP segment
# of the port may appear on loopback.

. "${srcdir:-.}/tests/preload/preload-lib.sh"

preload_setup http
need curl python3

size=$(size_mib 256 16 4)
mkdir "$work/www" || fail "mkdir"
gen_data "$work/www/file" "$size"

start_server_retry srv \
	'python3 -m http.server --bind 127.0.0.1 --directory "$work/www" $port'
tcp_watch_start "$port"
t0=$(now_ms)
timeout "$RCAT_TIMEOUT" "$RDT_RUN" curl -sS --fail --max-time 200 \
	-o "$work/got" "http://127.0.0.1:$port/file" 2> "$work/curl.err"
expect_status "curl" 0 $? "$work/curl.err"
t1=$(now_ms)
echo "downloaded $size bytes in $((t1 - t0)) ms"
same_bytes "http.server -> curl" "$work/www/file" "$work/got"

pcap_settle "$work/srv.pcap" 1 0 "$size"
kill "$server_pid"
wait "$server_pid" 2>/dev/null
pcap_check "$work/srv.pcap" 1 0 "$size"
tcp_watch_check "$port"
exit 0
