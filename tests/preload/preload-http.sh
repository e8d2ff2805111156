#!/bin/sh
# preload-http.sh: curl downloads a file from `python3 -m http.server`,
# both unmodified under rdt-run on loopback or between two namespaces
# (PRELOAD_WHERE=netns, preload-lib.sh) (16 MiB; 256 MiB with
# RDT_TEST_LONG=1).  The SHA-256 must be equal, the server's RDT_PCAP
# log must hold the download, and (as root, with tcpdump) no TCP segment
# of the port may appear on the server's interface.  Then the same
# download through
# rdt-impair losing 2% of the datagrams each way (4 MiB; the full size
# with RDT_TEST_LONG=1): equal again, and the relay must have dropped
# datagrams that the server's log shows retransmitted.

. "${srcdir:-.}/tests/preload/preload-lib.sh"

preload_setup http
need curl python3
runs_under_sanitizer curl --version
runs_under_sanitizer python3 -c pass

size=$(size_mib 256 16 4)
mkdir "$work/www" || fail "mkdir"
gen_data "$work/www/file" "$size"

start_server_retry srv \
	'python3 -m http.server --bind $SRV_ADDR --directory "$work/www" $port'
tcp_watch_start "$port"
t0=$(now_ms)
timeout -k 10 "$RCAT_TIMEOUT" $CLI_WRAP "$RDT_RUN" curl -sS --fail \
	--max-time 200 -o "$work/got" "http://$SRV_ADDR:$port/file" \
	2> "$work/curl.err"
expect_status "curl" 0 $? "$work/curl.err"
t1=$(now_ms)
echo "downloaded $size bytes in $((t1 - t0)) ms"
same_bytes "http.server -> curl" "$work/www/file" "$work/got"

pcap_settle "$work/srv.pcap" 1 0 "$size"
pcap_check "$work/srv.pcap" 1 0 "$size"
tcp_watch_check "$port"

# --- through rdt-impair, 2% loss each way ---------------------------------

IMPAIR=$builddir/tools/rdt-impair/rdt-impair
[ -x "$IMPAIR" ] || { echo "note: rdt-impair not built: no lossy run"; exit 0; }
[ "${RDT_TEST_LONG:-0}" = 1 ] || {
	size=$(size_mib 4 4 1)
	head -c "$size" "$work/www/file" > "$work/www/small"
}
[ -f "$work/www/small" ] || cp "$work/www/file" "$work/www/small"
# The relay runs beside the client, in its namespace.
timeout -k 10 "$RCAT_TIMEOUT" $CLI_WRAP "$IMPAIR" -v --listen 127.0.0.1:0 \
	--forward "$SRV_ADDR:$port" --both 'loss 2%' \
	--stats "$work/impair.json" 2> "$work/impair.err" &
relay_pid=$!
rcat_pids="$rcat_pids $relay_pid"
i=0
until relay=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' \
	"$work/impair.err") && [ -n "$relay" ]; do
	kill -0 "$relay_pid" 2>/dev/null ||
		{ cat "$work/impair.err" >&2; fail "rdt-impair exited"; }
	i=$((i + 1))
	[ $i -le 200 ] || fail "rdt-impair named no port in 10 s"
	sleep 0.05
done
t0=$(now_ms)
timeout -k 10 "$RCAT_TIMEOUT" $CLI_WRAP "$RDT_RUN" curl -sS --fail \
	--max-time 200 -o "$work/got-lossy" "http://127.0.0.1:$relay/small" \
	2> "$work/curl-lossy.err"
expect_status "curl through 2% loss" 0 $? "$work/curl-lossy.err"
t1=$(now_ms)
echo "downloaded $size bytes through 2% loss in $((t1 - t0)) ms"
same_bytes "http.server -> 2% loss -> curl" "$work/www/small" \
	"$work/got-lossy"
kill "$relay_pid"
reap "$relay_pid"
expect_status "rdt-impair on SIGTERM" 0 "$reaped" "$work/impair.err"
lost=$(sed -n 's/.*"b2a":{[^}]*"dropped_loss":\([0-9]*\).*/\1/p' \
	"$work/impair.json")
[ "${lost:-0}" -gt 0 ] || fail "the relay dropped nothing server -> client"
echo "ok: the relay dropped $lost datagrams server -> client"
# The server's log, read while it runs (its flusher writes every
# 100 ms; a read may catch a record half written): bounded retries
# until it shows the retransmissions.
if [ -x "$RDT_PCAP_TOOL" ]; then
	i=0
	while :; do
		"$RDT_PCAP_TOOL" check "$work/srv.pcap" > "$work/check2.txt" 2>&1
		retx=$(awk '$1 == "s2c:" { getline; s += $2 } END { print s + 0 }' \
			"$work/check2.txt")
		[ "$retx" -gt 0 ] && break
		i=$((i + 1))
		[ $i -le 100 ] || { cat "$work/check2.txt" >&2;
			fail "the server's log shows no retransmission"; }
		sleep 0.1
	done
	echo "ok: the server retransmitted $retx packets"
fi
kill "$server_pid"
wait "$server_pid" 2>/dev/null
exit 0
