#!/bin/sh
# decrypt.sh: rdt-pcap decrypt on the crafted captures of tests/data.
#
#   - sealed.pcap (good.pcap's scenario, sealed) decrypted with its key
#     checks clean without the key, every datagram opened; with tshark
#     and the dissector, every rdtp field of every frame, its time,
#     addresses and ports are those of good.pcap, and every rebuilt IP
#     and UDP checksum is correct;
#   - sealed-altered.pcap: the one altered datagram is written as it was,
#     still sealed, and counted as not opened; the rest opened;
#   - the wrong key opens nothing: exit 1, and the report says so;
#   - no key, no output file, no capture, a missing capture: exit 2.
# (rcat-crypto.sh decrypts real logs of both address families.)

. "${srcdir:-.}/tests/pcap/lib.sh"

KEY=$DATA/sealed.key

"$PCAP" decrypt --psk-file "$KEY" -w "$tmp/dec.pcap" "$DATA/sealed.pcap" \
	2> "$tmp/dec.err" || { cat "$tmp/dec.err" >&2; fail "decrypt sealed.pcap"; }
expect_in "$tmp/dec.err" "14 rdt datagrams written to $tmp/dec.pcap: 14 sealed, 14 opened, 0 not opened"
"$PCAP" check "$tmp/dec.pcap" > "$tmp/check" 2>&1 ||
	{ cat "$tmp/check" >&2; fail "check of the decrypted capture"; }
expect_in "$tmp/check" "c2s: 9 packets (6 with data), 800 stream bytes, 800 acked, FIN acked"
expect_in "$tmp/check" "0 violations"
grep -q "sealed" "$tmp/check" && fail "the decrypted capture still has sealed datagrams"

if command -v tshark >/dev/null 2>&1; then
	export HOME=$tmp XDG_CONFIG_HOME=$tmp/.config
	F="-e frame.time_epoch -e ip.src -e ip.dst -e udp.srcport -e udp.dstport"
	for f in version type flags dcid pn scid isn window max_dgram \
		token_len echo_pn window_edge ack.cum ack.largest ack.nranges \
		ack.gap ack.len stream.offset stream.len stream.data \
		stream.fin_offset reason reset_token crc crc.status; do
		F="$F -e rdtp.$f"
	done
	lua=$srcdir/docs/rdt.lua
	timeout -k 10 120 tshark -X "lua_script:$lua" -r "$DATA/good.pcap" \
		-T fields $F > "$tmp/good.f" 2>/dev/null
	timeout -k 10 120 tshark -X "lua_script:$lua" -r "$tmp/dec.pcap" \
		-T fields $F > "$tmp/dec.f" 2>/dev/null
	[ "$(grep -c . "$tmp/good.f")" = 14 ] ||
		fail "tshark shows $(grep -c . "$tmp/good.f") rdt frames of good.pcap, not 14"
	cmp -s "$tmp/good.f" "$tmp/dec.f" || {
		diff "$tmp/good.f" "$tmp/dec.f" >&2
		fail "the dissector shows the decrypted sealed.pcap unlike good.pcap"
	}
	bad=$(timeout -k 10 120 tshark -r "$tmp/dec.pcap" \
		-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
		-Y '(ip && ip.checksum.status != 1) || udp.checksum.status != 1' \
		-T fields -e frame.number 2>/dev/null | wc -l)
	[ "$bad" = 0 ] || fail "$bad rebuilt frames have a bad IP or UDP checksum"
	echo "ok: the dissector shows decrypted sealed.pcap as good.pcap"
else
	echo "note: tshark is not installed, the dissector's view not compared"
fi

"$PCAP" decrypt --psk-file "$KEY" -w "$tmp/alt.pcap" \
	"$DATA/sealed-altered.pcap" 2> "$tmp/alt.err" ||
	{ cat "$tmp/alt.err" >&2; fail "decrypt sealed-altered.pcap"; }
expect_in "$tmp/alt.err" "14 sealed, 13 opened, 1 not opened"
"$PCAP" check "$tmp/alt.pcap" > "$tmp/alt.check" 2>&1
expect_in "$tmp/alt.check" "sealed: 1 datagram (encrypted mode)"

head -c 32 /dev/zero | od -An -v -tx1 > "$tmp/zero.key"
"$PCAP" decrypt --psk-file "$tmp/zero.key" -w "$tmp/wrong.pcap" \
	"$DATA/sealed.pcap" 2> "$tmp/wrong.err"
st=$?
[ $st = 1 ] || { cat "$tmp/wrong.err" >&2; fail "the wrong key: exit $st, expected 1"; }
expect_in "$tmp/wrong.err" "the key opened none of the 14 sealed datagrams"

for args in "-w $tmp/x.pcap $DATA/sealed.pcap" \
	"--psk-file $KEY $DATA/sealed.pcap" "--psk-file $KEY -w $tmp/x.pcap" \
	"--psk-file $KEY -w $tmp/x.pcap $tmp/missing.pcap" \
	"--psk-file $tmp/missing.key -w $tmp/x.pcap $DATA/sealed.pcap"; do
	"$PCAP" decrypt $args > /dev/null 2> "$tmp/usage.err"
	st=$?
	[ $st = 2 ] || { cat "$tmp/usage.err" >&2; fail "decrypt $args: exit $st, expected 2"; }
	[ -s "$tmp/usage.err" ] || fail "decrypt $args: no message"
done
echo "ok: altered datagrams kept sealed, the wrong key and usage errors reported"
