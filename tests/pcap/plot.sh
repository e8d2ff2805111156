#!/bin/sh
# rdt-pcap plot draws well-formed SVG with the layers it promises.
. "${srcdir:-.}/tests/pcap/lib.sh"

"$PCAP" plot -o "$tmp/good.svg" "$DATA/good.pcap" || fail "plot failed"
if command -v xmllint >/dev/null 2>&1; then
	xmllint --noout "$tmp/good.svg" || fail "plot: not well-formed XML"
else
	[ "$(head -c 5 "$tmp/good.svg")" = "<?xml" ] || fail "no XML header"
	[ "$(tail -n 1 "$tmp/good.svg")" = "</svg>" ] || fail "no </svg>"
fi
expect_in "$tmp/good.svg" '<svg xmlns="http://www.w3.org/2000/svg"'
expect_in "$tmp/good.svg" 'rdt conn 1 c2s: 10.0.0.1:40000 to 10.0.0.2:7000'
# Six data strokes, two of them retransmissions, and both step lines.
sed -n '/class="data"/,/<\/g>/p' "$tmp/good.svg" | grep -c '<line' \
	>"$tmp/n"
[ "$(cat "$tmp/n")" -eq 4 ] || fail "expected 4 first transmissions"
sed -n '/class="retransmission"/,/<\/g>/p' "$tmp/good.svg" |
	grep -c '<line' >"$tmp/n"
[ "$(cat "$tmp/n")" -eq 2 ] || fail "expected 2 retransmissions"
sed -n '/class="ack"/,/<\/g>/p' "$tmp/good.svg" | grep -q '<path d="M' ||
	fail "no ACK line"
sed -n '/class="window"/,/<\/g>/p' "$tmp/good.svg" | grep -q '<path d="M' ||
	fail "no window line"

# By connection ID, to standard output; an unknown one is an error.
"$PCAP" plot --conn 0x2222222222222222 "$DATA/good-sll-ip6.pcap" \
	>"$tmp/b.svg" || fail "plot --conn failed"
expect_in "$tmp/b.svg" "</svg>"
"$PCAP" plot --conn 0x99 "$DATA/good.pcap" >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] || fail "plot --conn of an unknown connection must exit 1"
expect_in "$tmp/err" "no connection"
echo "ok: plot"
