#!/bin/sh
# The hand-crafted captures of tests/data/: gen-pcaps must rebuild them
# byte for byte (so they are what its source says), and rdt-pcap check
# must pass the good ones and reject each bad one with its one message.
. "${srcdir:-.}/tests/pcap/lib.sh"

mkdir "$tmp/gen"
"$GEN" "$tmp/gen" || fail "gen-pcaps failed"
n=0
for f in "$tmp"/gen/*.pcap; do
	cmp "$f" "$DATA/${f##*/}" ||
		fail "tests/data/${f##*/} differs from what gen-pcaps builds"
	n=$((n + 1))
done
[ "$n" -eq "$(ls "$DATA"/*.pcap | wc -l)" ] ||
	fail "tests/data has captures gen-pcaps does not build"
cmp "$tmp/gen/sealed.key" "$DATA/sealed.key" ||
	fail "tests/data/sealed.key is not the key gen-pcaps seals with"
KEY=$DATA/sealed.key

# check_one FILE STATUS VIOLATIONS TEXT [OPTION...]
check_one() {
	file=$1 status=$2 count=$3 text=$4
	shift 4
	"$PCAP" check "$@" "$DATA/$file" >"$tmp/out" 2>&1
	rc=$?
	[ "$rc" -eq "$status" ] || {
		cat "$tmp/out" >&2
		fail "check $* $file: exit $rc, expected $status"
	}
	expect_in "$tmp/out" "$text"
	expect_in "$tmp/out" "$count violation"
	[ "$(grep -c '^VIOLATION' "$tmp/out")" -eq "$count" ] ||
		fail "check $file: expected $count VIOLATION lines"
	echo "ok: $file $*"
}

for good in good.pcap good-sll-ip6.pcap good-sll2.pcap good-raw-ip6.pcap; do
	check_one "$good" 0 0 "handshake seen; closed"
done
check_one good-relay.pcap 0 0 "handshake seen; closed"
check_one good-vlan-mixed.pcap 0 0 "handshake seen; closed"
check_one midstream.pcap 0 0 "capture began mid-connection"
check_one data-before-accept.pcap 1 1 \
	"VIOLATION packet #2 conn 1 c2s pn 101: DATA to cid 0x2222222222222222 before any ACCEPT announced it"
check_one reused-pn.pcap 1 1 \
	"VIOLATION packet #12 conn 1 c2s pn 104: packet number 104 reused: first sent in packet #6 with other content"
check_one retx-differs.pcap 1 1 \
	"VIOLATION packet #10 conn 1 c2s pn 105: retransmitted stream bytes 400..600 differ from their first transmission at position 523"
check_one ack-unsent-pn.pcap 1 1 \
	"VIOLATION packet #9 conn 1 s2c pn 5002: acknowledges c2s packet number 109, never sent (the largest sent is 104)"
check_one ack-unsent-data.pcap 1 1 \
	"VIOLATION packet #8 conn 1 s2c pn 5001: acknowledges c2s stream bytes up to position 1000, but only 800 were sent"
check_one beyond-window.pcap 1 1 \
	"VIOLATION packet #6 conn 1 c2s pn 104: stream bytes 600..800 reach beyond the receiver's window edge 700 (advertised in packet #2)"
# A datagram damaged in transit is the network's doing: listed with the
# packet number its header claims, counted, and no violation; unless the
# capture point rules the network out (--strict-crc).
check_one bad-checksum.pcap 0 0 \
	"CORRUPTED packet #4 conn 1 c2s pn 102 (unverified): "
expect_in "$tmp/out" "; 1 corrupted in transit"
expect_in "$tmp/out" "other: 1 corrupted in transit,"
check_one bad-checksum.pcap 0 0 "CORRUPTED packet #4" --allow-corrupt
check_one bad-checksum.pcap 1 1 \
	"VIOLATION packet #4 conn 1 c2s: CRC32C mismatch" --strict-crc
"$PCAP" check --json "$DATA/bad-checksum.pcap" >"$tmp/bad.json" ||
	fail "check --json bad-checksum.pcap: exit $?"
expect_in "$tmp/bad.json" \
	'"corrupted_datagrams":[{"packet":4,"conn":1,"dir":"c2s","bytes":'
expect_in "$tmp/bad.json" '"pn_unverified":102}]'
[ "$(json_num "$tmp/bad.json" corrupted_in_transit)" = 1 ] ||
	fail "bad-checksum.pcap: expected corrupted_in_transit 1"

# The statistics of the good capture, as JSON.
"$PCAP" check --json "$DATA/good.pcap" >"$tmp/good.json" ||
	fail "check --json good.pcap failed"
for kv in retransmitted_packets:2 retransmitted_bytes:400 \
	  spurious_packets:1 spurious_bytes:200 duplicates:1 \
	  stream_bytes:800 acked_bytes:800 violation_count:0; do
	[ "$(json_num "$tmp/good.json" "${kv%%:*}")" = "${kv#*:}" ] ||
		fail "good.pcap: expected ${kv%%:*} ${kv#*:} in $(cat "$tmp/good.json")"
done
expect_in "$tmp/good.json" '"close":"closed"'
expect_in "$tmp/good.json" '"handshake":true'

# What is not rdt is counted, not checked: other UDP, TCP, ARP and an IP
# fragment, around datagrams behind a VLAN tag and an IPv6 extension
# header.
"$PCAP" check --json "$DATA/good-vlan-mixed.pcap" >"$tmp/mixed.json" ||
	fail "check --json good-vlan-mixed.pcap failed"
for kv in frames:18 rdt_datagrams:14 other_udp:1 not_udp:2 fragments:1 \
	  stream_bytes:800; do
	[ "$(json_num "$tmp/mixed.json" "${kv%%:*}")" = "${kv#*:}" ] ||
		fail "good-vlan-mixed.pcap: expected ${kv%%:*} ${kv#*:} in $(cat "$tmp/mixed.json")"
done
# Both legs through a relay: one connection, the second copies duplicates.
"$PCAP" check --json "$DATA/good-relay.pcap" >"$tmp/relay.json" ||
	fail "check --json good-relay.pcap failed"
[ "$(json_num "$tmp/relay.json" duplicates)" = 10 ] ||
	fail "good-relay.pcap: expected 10 c2s duplicates: $(cat "$tmp/relay.json")"
expect_in "$tmp/relay.json" '"close":"closed"'

# The encrypted mode (sealed.pcap is good.pcap's scenario, sealed).  With
# the key, every datagram opens and the capture checks as the clear one
# does, statistics and all.
check_one sealed.pcap 0 0 "handshake seen; closed" --psk-file "$KEY"
expect_in "$tmp/out" "sealed: 14 datagrams (encrypted mode), 14 opened, 0 failed authentication"
"$PCAP" check --json --psk-file "$KEY" "$DATA/sealed.pcap" >"$tmp/sealed.json" ||
	fail "check --json --psk-file sealed.pcap failed"
for kv in retransmitted_packets:2 retransmitted_bytes:400 \
	  spurious_packets:1 spurious_bytes:200 duplicates:1 \
	  stream_bytes:800 acked_bytes:800 violation_count:0 sealed:14 \
	  sealed_opened:14 auth_failed:0; do
	[ "$(json_num "$tmp/sealed.json" "${kv%%:*}")" = "${kv#*:}" ] ||
		fail "sealed.pcap: expected ${kv%%:*} ${kv#*:} in $(cat "$tmp/sealed.json")"
done
# Without it: no violation, the connection from the clear IDs, and what
# was not opened said.
check_one sealed.pcap 0 0 "handshake seen; unknown (sealed)"
expect_in "$tmp/out" "14 sealed (14 not opened)"
expect_in "$tmp/out" "14 not opened: no key, the stream checks need --psk-file"
expect_in "$tmp/out" "conn 1: client 10.0.0.1:40000 cid 0x1111111111111111, server 10.0.0.2:7000 cid 0x2222222222222222"
# Another key: every datagram fails authentication, none is a violation,
# and a warning says the key is likely wrong.
printf '%064d\n' 0 >"$tmp/zero.key"
"$PCAP" check --psk-file "$tmp/zero.key" "$DATA/sealed.pcap" >"$tmp/out" \
	2>"$tmp/err" || fail "check with another key: exit $?"
expect_in "$tmp/out" "0 opened, 14 failed authentication"
[ "$(grep -c '^AUTH-FAILED packet #' "$tmp/out")" -eq 14 ] ||
	fail "another key: expected 14 AUTH-FAILED lines"
expect_in "$tmp/out" "0 violations"
expect_in "$tmp/err" "opened none of the 14 sealed datagrams"
# An attacker's copy of a datagram (its ciphertext altered, its CRC made
# good): one authentication failure, listed, and nothing else changes.
check_one sealed-altered.pcap 0 0 \
	"AUTH-FAILED packet #7 conn 1 c2s DATA pn 102 (unverified): 246 bytes sealed" \
	--psk-file "$KEY"
expect_in "$tmp/out" "13 opened, 1 failed authentication"
expect_in "$tmp/out" "handshake seen; closed"
[ "$(grep -c '^AUTH-FAILED' "$tmp/out")" -eq 1 ] ||
	fail "sealed-altered.pcap: expected one AUTH-FAILED line"
"$PCAP" check -v --psk-file "$KEY" "$DATA/sealed-altered.pcap" >"$tmp/out" ||
	fail "check -v sealed-altered.pcap: exit $?"
expect_in "$tmp/out" "10.0.0.1:40000 > 10.0.0.2:7000 DATA dcid 0x2222222222222222 pn 102 sealed 246 bytes: failed authentication"
expect_in "$tmp/out" "10.0.0.1:40000 > 10.0.0.2:7000 DATA dcid 0x2222222222222222 pn 103 sealed 246 bytes edge 66536 stream 384 len 200"
# Damage in transit is told from forgery by the outer CRC, with or
# without the key.
for k in "" "--psk-file $KEY"; do
	# shellcheck disable=SC2086 # the words are meant to split
	check_one sealed-bad-checksum.pcap 0 0 \
		"CORRUPTED packet #4 conn 1 c2s pn 102 (unverified): 246 bytes sealed failed CRC32C" $k
done
check_one sealed-bad-checksum.pcap 1 1 \
	"VIOLATION packet #4 conn 1 c2s: CRC32C mismatch" --strict-crc
# What no sealed datagram can be is malformed, key or not.
for k in "" "--psk-file $KEY"; do
	# shellcheck disable=SC2086 # the words are meant to split
	check_one sealed-retry.pcap 1 1 \
		"VIOLATION packet #15 conn 1: malformed sealed datagram (43 bytes): a RETRY, which is never sealed [malformed]" $k
done
# A capture that missed the handshake: the two dcids of the flow pair up
# once both directions were seen; what came before cannot be opened.
check_one sealed-midstream.pcap 0 0 "capture began mid-connection; closed" \
	--psk-file "$KEY"
expect_in "$tmp/out" "5 opened, 2 not opened: keys unknown, the capture missed the handshake"
# A key file as reliable-cat reads it, or a usage error.
printf '0123456789abcdef\n' >"$tmp/short.key"
"$PCAP" check --psk-file "$tmp/short.key" "$DATA/sealed.pcap" \
	>/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "a 16-digit key file was accepted"
expect_in "$tmp/err" "expected a 32-byte key as 64 hexadecimal digits"
echo "ok: sealed captures"

# Port selection, and standard input.
"$PCAP" check --json -p 7000 "$DATA/good.pcap" >"$tmp/p.json" ||
	fail "check -p 7000 failed"
[ "$(json_num "$tmp/p.json" rdt_datagrams)" = 14 ] || fail "-p 7000"
"$PCAP" check --json -p 9 "$DATA/good.pcap" >"$tmp/p.json" ||
	fail "check -p 9 failed"
[ "$(json_num "$tmp/p.json" other_udp)" = 14 ] || fail "-p 9"
"$PCAP" check - <"$DATA/good.pcap" >"$tmp/out" || fail "check - failed"
expect_in "$tmp/out" "0 violations"

# Usage and I/O errors exit 2 with one line on stderr.
for args in "" "check" "check --bogus x" "check -p 0 x" "bogus" \
	    "check $tmp/missing.pcap" "check $srcdir/tests/pcap/lib.sh"; do
	# shellcheck disable=SC2086 # the words are meant to split
	"$PCAP" $args >/dev/null 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 2 ] || fail "rdt-pcap $args: exit $rc, expected 2"
	expect_in "$tmp/err" "rdt-pcap"
done
head -c 3000 "$DATA/good.pcap" >"$tmp/cut.pcap"
"$PCAP" check "$tmp/cut.pcap" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "a truncated capture must exit 2"
expect_in "$tmp/err" "truncated"

# Damaged frames anywhere: an answer (0 or 1), never a crash.
size=$(wc -c <"$DATA/good.pcap")
i=0
while [ $i -lt 40 ]; do
	off=$((24 + (i * 787) % (size - 24)))
	cp "$DATA/good.pcap" "$tmp/hit.pcap"
	printf '\377' | dd of="$tmp/hit.pcap" bs=1 seek=$off conv=notrunc \
		2>/dev/null
	"$PCAP" check "$tmp/hit.pcap" >/dev/null 2>&1
	rc=$?
	[ $rc -le 2 ] || fail "byte $off damaged: exit $rc"
	i=$((i + 1))
done
echo "ok: 40 damaged captures"
