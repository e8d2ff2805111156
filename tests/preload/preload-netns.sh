#!/bin/sh
# preload-netns.sh: preload-nc.sh between two network namespaces joined
# by a veth pair (created and removed by this test, as rcat-netns.sh
# does): nc in one, `nc -l` in the other, both under rdt-run, 16 MiB
# each way (256 MiB with RDT_TEST_LONG=1), byte-exact; the server's
# RDT_PCAP log holds each transfer and tcpdump on the veth sees no TCP
# segment of the port.  Needs root.

. "${srcdir:-.}/tests/preload/preload-lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to create network namespaces"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) not found"
need nc
nc -h 2>&1 | grep -q OpenBSD || skip "nc is not netcat-openbsd"

ns_a=prl-$$-a
ns_b=prl-$$-b
netns_cleanup() {
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
}
preload_setup netns
rcat_on_cleanup=netns_cleanup

ip netns add "$ns_a" || skip "cannot create a network namespace here"
ip netns add "$ns_b" || fail "ip netns add $ns_b"
# Interface names are at most 15 bytes; addresses from 198.18.0.0/15
# (RFC 2544), which exist only inside the two namespaces.
ip link add "pl$$a" netns "$ns_a" type veth peer name "pl$$b" \
	netns "$ns_b" || fail "cannot create the veth pair"
ip -n "$ns_a" addr add 198.18.0.1/24 dev "pl$$a" || fail "address a"
ip -n "$ns_b" addr add 198.18.0.2/24 dev "pl$$b" || fail "address b"
for ns in "$ns_a" "$ns_b"; do
	ip -n "$ns" link set lo up || fail "lo up in $ns"
done
ip -n "$ns_a" link set "pl$$a" up || fail "veth up in $ns_a"
ip -n "$ns_b" link set "pl$$b" up || fail "veth up in $ns_b"

size=$(size_mib 256 16 4)
gen_data "$work/up.in" "$size"
gen_data "$work/down.in" "$size"
NS_WRAP="ip netns exec $ns_b"

# One direction at a time, for the reason preload-nc.sh gives.
# 1. a -> b.
server_in=/dev/null
start_server_retry up 'nc -l -d 198.18.0.2 $port'
tcp_watch_start "$port" "pl$$b"
t0=$(now_ms)
timeout -k 10 "$RCAT_TIMEOUT" ip netns exec "$ns_a" "$RDT_RUN" nc -N 198.18.0.2 \
	"$port" < "$work/up.in" > /dev/null 2> "$work/up.cli.err"
expect_status "sender nc -N in $ns_a" 0 $? "$work/up.cli.err"
reap "$server_pid"
expect_status "receiver nc -l -d in $ns_b" 0 "$reaped" "$work/up.err"
t1=$(now_ms)
echo "$ns_a -> $ns_b: $size bytes in $((t1 - t0)) ms"
same_bytes "$ns_a -> $ns_b" "$work/up.in" "$work/up.out"
pcap_check "$work/up.pcap" 1 "$size" 0
grep -q '198.18.0.1:' "$work/check.txt" 2>/dev/null ||
	[ ! -x "$RDT_PCAP_TOOL" ] || fail "the log does not show the peer 198.18.0.1"
tcp_watch_check "$port" "pl$$b"

# 2. b -> a.
server_in=$work/down.in
start_server_retry down 'nc -l -N 198.18.0.2 $port'
tcp_watch_start "$port" "pl$$b"
t0=$(now_ms)
timeout -k 10 "$RCAT_TIMEOUT" ip netns exec "$ns_a" "$RDT_RUN" nc -d 198.18.0.2 \
	"$port" > "$work/down.got" 2> "$work/down.cli.err"
expect_status "receiver nc -d in $ns_a" 0 $? "$work/down.cli.err"
reap "$server_pid"
expect_status "sender nc -l -N in $ns_b" 0 "$reaped" "$work/down.err"
t1=$(now_ms)
echo "$ns_b -> $ns_a: $size bytes in $((t1 - t0)) ms"
same_bytes "$ns_b -> $ns_a" "$work/down.in" "$work/down.got"
pcap_check "$work/down.pcap" 1 0 "$size"
tcp_watch_check "$port" "pl$$b"
exit 0
