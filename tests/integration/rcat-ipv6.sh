#!/bin/sh
# rcat-ipv6.sh: a transfer over IPv6 loopback (::1), byte-exact, with the
# addresses reported as [::1]:PORT; then an IPv4 client of a listener
# started without HOST, which listens on :: and must take IPv4 peers too.

. "${srcdir:-.}/tests/integration/rcat-lib.sh"

if ! grep -qi '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null; then
	skip "no IPv6 loopback address ::1 on this system"
fi

rcat_setup ipv6
size=$(rcat_size 32 8)
gen_data "$work/data" "$size"

start_listener srv -6 --stats "$work/srv.json" ::1 0
timeout -k 10 "$RCAT_TIMEOUT" "$RCAT" -6 --stats "$work/cli.json" ::1 "$port" \
	< "$work/data" > "$work/cli.out" 2> "$work/cli.err"
expect_status "IPv6 sender" 0 $? "$work/cli.err"
reap "$listener_pid"
expect_status "IPv6 receiver" 0 "$reaped" "$work/srv.err"
same_bytes "[::1] client -> server" "$work/data" "$work/srv.out"
json_check "$work/cli.json" \
	"s['peer'] == '[::1]:$port' and s['local'].startswith('[::1]:')"
json_check "$work/srv.json" \
	"s['local'] == '[::1]:$port' and s['peer'].startswith('[::1]:')"

# The wildcard listener and an IPv4 client.  bindv6only=1 makes :: take
# IPv6 peers only, by the administrator's choice.
if [ "$(cat /proc/sys/net/ipv6/bindv6only 2>/dev/null)" = 1 ]; then
	echo "note: net.ipv6.bindv6only=1, IPv4 client of :: not tested"
	exit 0
fi
start_listener any 0
timeout -k 10 "$RCAT_TIMEOUT" "$RCAT" 127.0.0.1 "$port" < "$work/data" \
	> "$work/cli2.out" 2> "$work/cli2.err"
expect_status "IPv4 sender to ::" 0 $? "$work/cli2.err"
reap "$listener_pid"
expect_status "wildcard receiver" 0 "$reaped" "$work/any.err"
same_bytes "127.0.0.1 client -> [::] server" "$work/data" "$work/any.out"
exit 0
