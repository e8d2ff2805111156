#!/bin/sh
# preload-nc.sh: netcat-openbsd, unmodified, under rdt-run at both ends on
# loopback: `nc -l -N` and `nc -N` move a file each way at once (16 MiB;
# 256 MiB with RDT_TEST_LONG=1), byte-exact, and the proof that the
# bytes went over rdt: the server's RDT_PCAP log holds one connection
# carrying all of them both ways, and (as root, with tcpdump) loopback
# saw no TCP segment of the port.

. "${srcdir:-.}/tests/preload/preload-lib.sh"

preload_setup nc
need nc
nc -h 2>&1 | grep -q OpenBSD || skip "nc is not netcat-openbsd"

size=$(size_mib 256 16 4)
gen_data "$work/srv.in" "$size"
gen_data "$work/cli.in" "$size"

# -N: shut the connection down for writing at the end of stdin, so each
# side reads the other's end of stream.
server_in=$work/srv.in
start_server_retry srv 'nc -l -N 127.0.0.1 $port'
tcp_watch_start "$port"
t0=$(now_ms)
timeout "$RCAT_TIMEOUT" "$RDT_RUN" -P "$work/cli.pcap" nc -N 127.0.0.1 \
	"$port" < "$work/cli.in" > "$work/cli.out" 2> "$work/cli.err"
expect_status "client nc" 0 $? "$work/cli.err"
reap "$server_pid"
expect_status "server nc" 0 "$reaped" "$work/srv.err"
t1=$(now_ms)
echo "moved $size bytes each way in $((t1 - t0)) ms"

same_bytes "client -> server" "$work/cli.in" "$work/srv.out"
same_bytes "server -> client" "$work/srv.in" "$work/cli.out"
pcap_check "$work/srv.pcap" 1 "$size" "$size"
tcp_watch_check "$port"
exit 0
