#!/bin/sh
# rdt-pcap capture on the loopback of a network namespace of our own:
# the BPF filter keeps the rdt port only, -c ends the capture, the file
# checks clean; SIGTERM and -d end an idle capture cleanly; the printout
# shows sealed datagrams (the encrypted mode), opened with --psk-file.
. "${srcdir:-.}/tests/pcap/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: live capture needs root"; exit 77; }
command -v ip >/dev/null 2>&1 || { echo "SKIP: no ip(8)"; exit 77; }
ns=rdt-pcap-test-$$
ip netns add "$ns" || { echo "SKIP: cannot create a namespace"; exit 77; }
pid=
cleanup_hooks='[ -n "$pid" ] && kill "$pid" 2>/dev/null; ip netns del "$ns"'
ip -n "$ns" link set lo up || fail "lo up"

# wait_listening ERRFILE: until the capture says it is listening (5 s).
wait_listening() {
	i=0
	until grep -q "listening on" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "capture did not start: $(cat "$1")"
		sleep 0.1
	done
}

# A capture buffer too small for a few frames of SNAPLEN is a usage
# error: the kernel would drop nearly everything.
"$PCAP" capture -i lo -B 1 7000 2>"$tmp/err"
[ $? -eq 2 ] || fail "-B 1 was accepted: $(cat "$tmp/err")"
"$PCAP" capture -i lo -B 512 7000 2>"$tmp/err"
[ $? -eq 2 ] || fail "-B 512 with the default snaplen was accepted"

# COUNT datagrams of the scenario; a datagram to port 7001 comes first.
ip netns exec "$ns" "$PCAP" capture -i lo -w "$tmp/cap.pcap" -c 14 -d 20 \
	-B 4096 7000 2>"$tmp/err" &
pid=$!
wait_listening "$tmp/err"
ip netns exec "$ns" "$GEN" --send 127.0.0.1 7000 || fail "send failed"
wait "$pid"
rc=$?
pid=
[ $rc -eq 0 ] || fail "capture exit $rc: $(cat "$tmp/err")"
expect_in "$tmp/err" "14 datagrams captured"
"$PCAP" check --json "$tmp/cap.pcap" >"$tmp/cap.json" ||
	fail "the live capture does not check clean: $(cat "$tmp/cap.json")"
[ "$(json_num "$tmp/cap.json" rdt_datagrams)" = 14 ] ||
	fail "expected 14 rdt datagrams: $(cat "$tmp/cap.json")"
[ "$(json_num "$tmp/cap.json" other_udp)" = 0 ] ||
	fail "the filter let other UDP through"
expect_in "$tmp/cap.json" '"close":"closed"'

# SIGTERM ends a capture with no limits, leaving a valid file.
ip netns exec "$ns" "$PCAP" capture -i lo -w "$tmp/idle.pcap" 7000 \
	2>"$tmp/err2" &
pid=$!
wait_listening "$tmp/err2"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ $rc -eq 0 ] || fail "capture after SIGTERM: exit $rc"
"$PCAP" check "$tmp/idle.pcap" >/dev/null || fail "idle capture unreadable"

# -d ends it too; without -w, one line per datagram.
ip netns exec "$ns" "$PCAP" capture -i lo -d 0.3 7000 >"$tmp/lines" \
	2>"$tmp/err3" || fail "capture -d: $(cat "$tmp/err3")"
expect_in "$tmp/err3" "0 datagrams captured"

# The encrypted mode, printed: with the key each sealed datagram opens
# and shows its fields; without it, its clear header and why not.  A
# key with -w would do nothing: a usage error.
"$PCAP" capture -i lo -w "$tmp/x.pcap" --psk-file "$DATA/sealed.key" 7000 \
	2>"$tmp/err"
[ $? -eq 2 ] || fail "--psk-file with -w was accepted"
for key in "--psk-file $DATA/sealed.key" ""; do
	# The last run's "listening on" must not start the sender early.
	rm -f "$tmp/err4"
	# shellcheck disable=SC2086 # the words are meant to split
	ip netns exec "$ns" "$PCAP" capture -i lo -c 14 -d 20 $key 7000 \
		>"$tmp/lines" 2>"$tmp/err4" &
	pid=$!
	wait_listening "$tmp/err4"
	ip netns exec "$ns" "$GEN" --send-sealed 127.0.0.1 7000 ||
		fail "send failed"
	wait "$pid"
	rc=$?
	pid=
	[ $rc -eq 0 ] || fail "capture $key: exit $rc: $(cat "$tmp/err4")"
	[ "$(wc -l <"$tmp/lines")" -eq 14 ] ||
		fail "capture $key: expected 14 lines: $(cat "$tmp/lines")"
	if [ -n "$key" ]; then
		expect_in "$tmp/lines" "DATA dcid 0x2222222222222222 pn 103 sealed 246 bytes edge 66536 stream 384 len 200"
	else
		expect_in "$tmp/lines" "INIT dcid 0x0000000000000000 pn 100 scid 0x1111111111111111 sealed 1216 bytes: not opened: no key (--psk-file)"
	fi
done
echo "ok: capture"
