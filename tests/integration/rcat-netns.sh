#!/bin/sh
# rcat-netns.sh: two network namespaces joined by a veth pair, created and
# removed by this test; reliable-cat moves 256 MiB (RDT_TEST_QUICK=1:
# 32 MiB) from one to the other, byte-exact.  Needs root.
#
# Names carry this shell's PID so that parallel runs do not collide; the
# namespaces (and with them the veth pair) are deleted on any exit.  The
# addresses are from TEST-NET-1 (192.0.2.0/24), which exists only inside
# the two namespaces.

. "${srcdir:-.}/tests/integration/rcat-lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to create network namespaces"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) not found"

ns_a=rcat-$$-a
ns_b=rcat-$$-b
netns_cleanup() {
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
}
rcat_setup netns
rcat_on_cleanup=netns_cleanup

ip netns add "$ns_a" || skip "cannot create a network namespace here"
ip netns add "$ns_b" || fail "ip netns add $ns_b"
# Interface names are at most 15 bytes.
ip link add "rc$$a" netns "$ns_a" type veth peer name "rc$$b" \
	netns "$ns_b" || fail "cannot create the veth pair"
ip -n "$ns_a" addr add 192.0.2.1/24 dev "rc$$a" || fail "address a"
ip -n "$ns_b" addr add 192.0.2.2/24 dev "rc$$b" || fail "address b"
for ns in "$ns_a" "$ns_b"; do
	ip -n "$ns" link set lo up || fail "lo up in $ns"
done
ip -n "$ns_a" link set "rc$$a" up || fail "veth up in $ns_a"
ip -n "$ns_b" link set "rc$$b" up || fail "veth up in $ns_b"

size=$(rcat_size 256 32)
gen_data "$work/data" "$size"

RCAT_WRAP="ip netns exec $ns_b"
start_listener srv -v 192.0.2.2 0
timeout "$RCAT_TIMEOUT" ip netns exec "$ns_a" "$RCAT" -v 192.0.2.2 "$port" \
	< "$work/data" > "$work/cli.out" 2> "$work/cli.err"
expect_status "sender in $ns_a" 0 $? "$work/cli.err"
reap "$listener_pid"
expect_status "receiver in $ns_b" 0 "$reaped" "$work/srv.err"
same_bytes "$ns_a -> $ns_b over veth" "$work/data" "$work/srv.out"
grep -q '192.0.2.1:' "$work/srv.err" ||
	fail "the receiver did not report the peer 192.0.2.1"
sed 's/^/  /' "$work/cli.err"
exit 0
