#!/bin/sh
# rcat-netns.sh: two network namespaces joined by a veth pair, created and
# removed by this test; reliable-cat moves 256 MiB (RDT_TEST_QUICK=1:
# 32 MiB) from one to the other, byte-exact; then 32 MiB (quick: 8 MiB)
# through a bottleneck whose small queue overflows, so that the transfer
# must recover from real losses; and a sender killed with SIGKILL is
# noticed by the receiver within 1 s.  Needs root.
#
# Names carry this shell's PID so that parallel runs do not collide; the
# namespaces (and with them the veth pair) are deleted on any exit.  The
# addresses, from the benchmarking range 198.18.0.0/15 (RFC 2544), exist
# only inside the two namespaces.

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
ip -n "$ns_a" addr add 198.18.0.1/24 dev "rc$$a" || fail "address a"
ip -n "$ns_b" addr add 198.18.0.2/24 dev "rc$$b" || fail "address b"
for ns in "$ns_a" "$ns_b"; do
	ip -n "$ns" link set lo up || fail "lo up in $ns"
done
ip -n "$ns_a" link set "rc$$a" up || fail "veth up in $ns_a"
ip -n "$ns_b" link set "rc$$b" up || fail "veth up in $ns_b"

size=$(rcat_size 256 32)
gen_data "$work/data" "$size"

RCAT_WRAP="ip netns exec $ns_b"
start_listener srv -v 198.18.0.2 0
timeout -k 10 "$RCAT_TIMEOUT" ip netns exec "$ns_a" "$RCAT" -v 198.18.0.2 "$port" \
	< "$work/data" > "$work/cli.out" 2> "$work/cli.err"
expect_status "sender in $ns_a" 0 $? "$work/cli.err"
reap "$listener_pid"
expect_status "receiver in $ns_b" 0 "$reaped" "$work/srv.err"
same_bytes "$ns_a -> $ns_b over veth" "$work/data" "$work/srv.out"
grep -q '198.18.0.1:' "$work/srv.err" ||
	fail "the receiver did not report the peer 198.18.0.1"
sed 's/^/  /' "$work/cli.err"

# A sender killed with SIGKILL mid-transfer: the receiver, in the other
# namespace, must fail within 1 s (the dead port's ICMP port unreachable),
# not at its 60 s user timeout.  `ip netns exec` execs reliable-cat in
# place, so the PID is reliable-cat's own.
start_listener kill 198.18.0.2 0
ip netns exec "$ns_a" "$RCAT" 198.18.0.2 "$port" < /dev/zero \
	> /dev/null 2> "$work/kill-cli.err" &
sender=$!
rcat_pids="$rcat_pids $sender"
# Until a megabyte arrived, bounded: 200 * 0.05 s = 10 s.
i=0
while [ "$(stat -c %s "$work/kill.out")" -lt 1048576 ]; do
	i=$((i + 1))
	[ $i -le 200 ] || fail "kill: no megabyte arrived in 10 s"
	sleep 0.05
done
t0=$(date +%s%N)
kill -KILL "$sender"
reap "$listener_pid"
t1=$(date +%s%N)
took=$(( (t1 - t0) / 1000000 ))
echo "receiver in $ns_b failed $took ms after its peer's SIGKILL" \
	"(exit status $reaped): $(tail -n 1 "$work/kill.err")"
[ "$reaped" != 0 ] && [ "$reaped" != 124 ] ||
	fail "the receiver must fail when its sender dies (status $reaped)"
[ "$took" -le 1000 ] || fail "the dead sender was noticed after $took ms"
wait "$sender" 2>/dev/null

# The bottleneck: a token bucket of 200 Mbit/s with a 64 KiB queue on
# a's side of the veth (the kernel here has tbf but no netem).  Whatever
# slow start sends beyond the queue is dropped.
if ! ip netns exec "$ns_a" tc qdisc add dev "rc$$a" root tbf \
	rate 200mbit burst 32kb limit 64kb 2> "$work/tc.err"; then
	echo "note: no tbf qdisc ($(cat "$work/tc.err")), lossy part not run"
	exit 0
fi
size=$(rcat_size 32 8)
gen_data "$work/data2" "$size"
start_listener lossy 198.18.0.2 0
timeout -k 10 "$RCAT_TIMEOUT" ip netns exec "$ns_a" "$RCAT" -v \
	--stats "$work/lossy.json" 198.18.0.2 "$port" < "$work/data2" \
	> "$work/cli2.out" 2> "$work/cli2.err"
expect_status "sender through the bottleneck" 0 $? "$work/cli2.err"
reap "$listener_pid"
expect_status "receiver behind the bottleneck" 0 "$reaped" \
	"$work/lossy.err"
same_bytes "$ns_a -> $ns_b through 200 Mbit/s, 64 KiB queue" \
	"$work/data2" "$work/lossy.out"
json_check "$work/lossy.json" "s['result'] == 'ok' and
	s['bytes_sent'] == $size and s['goodput_send_mbps'] < 200"
sed 's/^/  /' "$work/cli2.err"
exit 0
