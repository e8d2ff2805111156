#!/bin/sh
# A live capture of a transfer whose sender uses UDP segmentation offload
# (GSO): on loopback each train of datagrams is captured as one UDP
# payload, and both rdt-pcap check and the Wireshark dissector must take
# the datagrams apart again.  In a network namespace of our own, as root:
# 16 MiB by tests/bench/bench_loopback while `rdt-pcap capture` records
# its loopback, in clear and then in the encrypted mode, whose trains are
# of sealed datagrams, their lengths hidden.  The capture must hold
# trains (UDP payloads longer than one datagram; otherwise the kernel
# offered no GSO and the test says so and skips), check clean with every
# byte counted (the sealed ones with the bench's key), and (with tshark)
# show the trains as such, sealed ones too, with no warning.
. "${srcdir:-.}/tests/pcap/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: live capture needs root"; exit 77; }
command -v ip >/dev/null 2>&1 || { echo "SKIP: no ip(8)"; exit 77; }
BENCH=$top_builddir/tests/bench/bench_loopback
[ -x "$BENCH" ] || { echo "$BENCH not built" >&2; exit 99; }
ns=rdt-gso-test-$$
ip netns add "$ns" || { echo "SKIP: cannot create a namespace"; exit 77; }
pid=
cleanup_hooks='[ -n "$pid" ] && kill "$pid" 2>/dev/null; ip netns del "$ns"'
ip -n "$ns" link set lo up || fail "lo up"

# capture_transfer: one capture of one 16 MiB transfer; sets $dropped
# to what the kernel dropped of it (the capture cannot keep up on a
# loaded machine, and a dropped train is a hole in the capture, not in
# the transfer).
capture_transfer() {
	rm -f "$tmp/gso.pcap" "$tmp/err"
	ip netns exec "$ns" timeout -k 10 60 "$PCAP" capture -i lo \
		-w "$tmp/gso.pcap" -B 65536 2>"$tmp/err" &
	pid=$!
	i=0
	until grep -q "listening on" "$tmp/err" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 50 ] ||
			fail "capture did not start: $(cat "$tmp/err")"
		sleep 0.1
	done
	ip netns exec "$ns" timeout -k 10 60 "$BENCH" 16 1 0 >"$tmp/bench" ||
		fail "the transfer failed: $(cat "$tmp/bench")"
	kill -TERM "$pid"
	wait "$pid"
	pid=
	dropped=$(sed -n 's/.* \([0-9][0-9]*\) dropped by the kernel$/\1/p' \
		"$tmp/err")
	[ -n "$dropped" ] || fail "the capture said nothing of drops: $(cat "$tmp/err")"
}

attempt=1
capture_transfer
while [ "$dropped" -gt 0 ] && [ $attempt -lt 3 ]; do
	echo "note: the kernel dropped $dropped datagrams of capture $attempt; again"
	attempt=$((attempt + 1))
	capture_transfer
done

trains=$(tcpdump -nr "$tmp/gso.pcap" 'udp and greater 1500' 2>/dev/null |
	wc -l)
if [ "$trains" -eq 0 ]; then
	echo "SKIP: no GSO train in the capture (the kernel sent none)"
	exit 77
fi
echo "the capture holds $trains GSO trains"
"$PCAP" check "$tmp/gso.pcap" >"$tmp/check" ||
	fail "the capture does not check clean: $(tail -5 "$tmp/check")"
# bench_loopback moves 16 MiB over TCP first, then over rdt, then over
# rdt encrypted: two rdt connections, the second sealed.
bench_key "$tmp/bench.key"
"$PCAP" check --psk-file "$tmp/bench.key" "$tmp/gso.pcap" >"$tmp/check" ||
	fail "the capture does not check clean with the key: $(tail -5 "$tmp/check")"
if [ "$dropped" -eq 0 ]; then
	want="16777216 stream bytes, 16777216 acked, FIN acked"
else
	# Three captures in a row lost datagrams: the byte count cannot
	# be complete; everything that was captured must still check.
	echo "note: the kernel dropped $dropped datagrams of every capture;" \
		"the stream's byte count is not checked"
	want="16777216 acked, FIN acked"
fi
[ "$(grep -c -F "$want" "$tmp/check")" -eq 2 ] ||
	fail "expected two connections with '$want': $(cat "$tmp/check")"
expect_in "$tmp/check" "0 failed authentication"
expect_in "$tmp/check" "0 violations"
sealed=$(tcpdump -nr "$tmp/gso.pcap" 'udp and greater 1500 and udp[8] = 2' \
	2>/dev/null | wc -l)
echo "ok: rdt-pcap check takes the trains apart ($sealed of them sealed)"

if command -v tshark >/dev/null 2>&1; then
	lua=$srcdir/docs/rdt.lua
	timeout -k 10 300 tshark -X "lua_script:$lua" -r "$tmp/gso.pcap" \
		>"$tmp/tshark" 2>&1 || fail "tshark failed"
	n=$(grep -c "GSO train of" "$tmp/tshark")
	[ "$n" -gt 0 ] || fail "tshark shows no GSO train"
	[ "$sealed" -eq 0 ] ||
		[ "$(grep "GSO train of" "$tmp/tshark" | grep -c sealed)" -eq "$sealed" ] ||
		fail "tshark does not show the $sealed sealed trains as trains"
	# A zero window is the receiver's flow control, not a decoding
	# fault: on a loaded machine the bench's reading thread falls
	# behind a sender that can now outrun it (the dissector warns, as
	# Wireshark's TCP does).  Every other warning fails the test.
	timeout -k 10 300 tshark -X "lua_script:$lua" -r "$tmp/gso.pcap" \
		-Y "rdtp and _ws.expert.severity >= warning and
		    not rdtp.analysis.zero_window" >"$tmp/warn" 2>"$tmp/err" ||
		fail "tshark failed on the warning filter: $(cat "$tmp/err")"
	warn=$(wc -l <"$tmp/warn")
	[ "$warn" -eq 0 ] || fail "the dissector warns on $warn frames: $(head -5 "$tmp/warn")"
	echo "ok: the dissector shows $n trains, no warning"
else
	echo "note: no tshark, dissector not tried"
fi
echo "ok: gso-train"
