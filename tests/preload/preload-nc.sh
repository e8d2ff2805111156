#!/bin/sh
# preload-nc.sh: netcat-openbsd, unmodified, under rdt-run at both ends on
# loopback (between two namespaces with PRELOAD_WHERE=netns, as
# preload-netns.sh runs it), moving 16 MiB (256 MiB with RDT_TEST_LONG=1)
# each way:
# first `nc -N` sends to `nc -l -d`, then `nc -l -N` sends to `nc -d`.
# Byte-exact, and the proof that the bytes went over rdt: each server's
# RDT_PCAP log holds one connection carrying all of them, and (as root,
# with tcpdump) the server's interface saw no TCP segment of the port.
# Then, on loopback, 1 MiB over IPv6 (::1), where the system has it.
#
# Why one direction at a time: `nc -l` stops sending its standard input
# once the peer's end of stream has arrived and its buffers are empty
# (netcat-openbsd's readwrite()), so with both directions at once the
# listener's output is cut short whenever the client finishes first.
# That holds on kernel TCP too; it shows less there only because the
# kernel takes the listener's writes faster.  -d (do not read stdin)
# keeps the receiving side from ending its sending direction early.

. "${srcdir:-.}/tests/preload/preload-lib.sh"

preload_setup nc
need nc
nc -h 2>&1 | grep -q OpenBSD || skip "nc is not netcat-openbsd"

size=$(size_mib 256 16 4)
gen_data "$work/up.in" "$size"
gen_data "$work/down.in" "$size"

# 1. client -> server.
server_in=/dev/null
start_server_retry up 'nc -l -d $SRV_ADDR $port'
tcp_watch_start "$port"
t0=$(now_ms)
timeout -k 10 "$RCAT_TIMEOUT" $CLI_WRAP "$RDT_RUN" nc -N "$SRV_ADDR" "$port" \
	< "$work/up.in" > /dev/null 2> "$work/up.cli.err"
expect_status "client nc -N" 0 $? "$work/up.cli.err"
reap "$server_pid"
expect_status "server nc -l -d" 0 "$reaped" "$work/up.err"
t1=$(now_ms)
echo "client -> server: $size bytes in $((t1 - t0)) ms"
same_bytes "client -> server" "$work/up.in" "$work/up.out"
pcap_check "$work/up.pcap" 1 "$size" 0
tcp_watch_check "$port"

# 2. server -> client.
server_in=$work/down.in
start_server_retry down 'nc -l -N $SRV_ADDR $port'
tcp_watch_start "$port"
t0=$(now_ms)
timeout -k 10 "$RCAT_TIMEOUT" $CLI_WRAP "$RDT_RUN" nc -d "$SRV_ADDR" "$port" \
	> "$work/down.got" 2> "$work/down.cli.err"
expect_status "client nc -d" 0 $? "$work/down.cli.err"
reap "$server_pid"
expect_status "server nc -l -N" 0 "$reaped" "$work/down.err"
t1=$(now_ms)
echo "server -> client: $size bytes in $((t1 - t0)) ms"
same_bytes "server -> client" "$work/down.in" "$work/down.got"
pcap_check "$work/down.pcap" 1 0 "$size"
tcp_watch_check "$port"

# 3. IPv6: AF_INET6 sockets become rdt too.
[ "$SRV_ADDR" = 127.0.0.1 ] || exit 0
if ! grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null; then
	echo "note: no ::1 here, IPv6 not tried"
	exit 0
fi
head -c 1048576 "$work/up.in" > "$work/v6.in"
server_in=/dev/null
start_server_retry v6 'nc -6 -l -d ::1 $port'
timeout -k 10 "$RCAT_TIMEOUT" "$RDT_RUN" nc -6 -N ::1 "$port" \
	< "$work/v6.in" > /dev/null 2> "$work/v6.cli.err"
expect_status "client nc -6 -N" 0 $? "$work/v6.cli.err"
reap "$server_pid"
expect_status "server nc -6 -l -d" 0 "$reaped" "$work/v6.err"
same_bytes "client -> server over ::1" "$work/v6.in" "$work/v6.out"
pcap_check "$work/v6.pcap" 1 1048576 0
grep -q '\[::1\]' "$work/check.txt" 2>/dev/null ||
	[ ! -x "$RDT_PCAP_TOOL" ] || fail "the log does not show ::1"
exit 0
