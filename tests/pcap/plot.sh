#!/bin/sh
# rdt-pcap plot draws well-formed SVG with the layers it promises; on a
# lossy simulated transfer every retransmission and RTT sample rdt-pcap
# check counts is drawn, inside the plot area, on a scale the window edge
# does not set; the time and byte ranges zoom; the other graphs draw;
# PNG comes out as a PNG of the right size (with cairo).
. "${srcdir:-.}/tests/pcap/lib.sh"

# layer SVG CLASS ELEMENT: how many ELEMENTs (line, rect, path) the group
# of CLASS holds.
layer() {
	sed -n "/<g class=\"$2\"/,/<\/g>/p" "$1" | grep -c "<$3 "
}

# well_formed SVG
well_formed() {
	if command -v xmllint >/dev/null 2>&1; then
		xmllint --noout "$1" || fail "$1: not well-formed XML"
	else
		[ "$(head -c 5 "$1")" = "<?xml" ] || fail "$1: no XML header"
		[ "$(tail -n 1 "$1")" = "</svg>" ] || fail "$1: no </svg>"
	fi
}

"$PCAP" plot -o "$tmp/good.svg" "$DATA/good.pcap" || fail "plot failed"
well_formed "$tmp/good.svg"
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
echo "ok: plot of good.pcap"

# Usage errors.
for bad in "-t 2:1" "-t x:" "-t 1" "-y 5:2" "-g pie" "--format gif" \
	   "--dir up" "-b 0"; do
	# shellcheck disable=SC2086
	"$PCAP" plot $bad "$DATA/good.pcap" >/dev/null 2>"$tmp/err"
	[ $? -eq 2 ] || fail "plot $bad: expected exit 2"
done

SIM=$top_builddir/tests/sim/rdt-sim
[ -x "$SIM" ] || { echo "SKIP: no rdt-sim for the lossy plots"; exit 0; }
"$SIM" run loss10 --seed 7 --size 1000000 --pcap "$tmp/loss.pcap" \
	>/dev/null 2>&1 || fail "rdt-sim run loss10 failed"
"$PCAP" check --json "$tmp/loss.pcap" >"$tmp/loss.json" ||
	fail "check of the lossy capture failed"
c2s=$(grep -o '"c2s":{[^}]*}' "$tmp/loss.json")
retx=$(echo "$c2s" | grep -o '"retransmitted_packets":[0-9]*' | cut -d: -f2)
rtts=$(echo "$c2s" | grep -o '"rtt_samples":[0-9]*' | cut -d: -f2)
bytes=$(echo "$c2s" | grep -o '"stream_bytes":[0-9]*' | cut -d: -f2)
[ "$retx" -gt 10 ] || fail "loss10 retransmitted only $retx packets"

"$PCAP" plot -o "$tmp/loss.svg" "$tmp/loss.pcap" || fail "plot of loss10"
well_formed "$tmp/loss.svg"
# Every retransmission: a stroke and a marker each, counted in the legend.
[ "$(layer "$tmp/loss.svg" retransmission line)" -eq "$retx" ] ||
	fail "expected $retx retransmission strokes"
[ "$(layer "$tmp/loss.svg" retransmission rect)" -eq "$retx" ] ||
	fail "expected $retx retransmission markers"
expect_in "$tmp/loss.svg" "retransmission ($retx)"
[ "$(layer "$tmp/loss.svg" sack line)" -gt 0 ] || fail "no SACKed range"
# The scale follows the bytes (1 MB), not the window edge (4 MiB above):
# the top tick is within 20% of the stream's end, and every retransmission
# lies inside the plot area (y from 40 to 560).
top=$(sed -n 's/.*text-anchor="end"[^>]*>\([0-9]*\)<\/text>/\1/p' \
	"$tmp/loss.svg" | sort -n | tail -n 1)
[ "$top" -le $((bytes * 12 / 10)) ] ||
	fail "the y axis reaches $top for $bytes bytes: the window sets the scale"
sed -n '/<g class="retransmission"/,/<\/g>/p' "$tmp/loss.svg" |
	sed -n 's/.*<line [^>]*y1="\([0-9.]*\)".*y2="\([0-9.]*\)".*/\1 \2/p' |
	awk '$1 < 40 || $1 > 560 || $2 < 40 || $2 > 560 { bad++ }
	     END { exit bad > 0 }' ||
	fail "retransmissions drawn outside the plot area"
"$PCAP" plot --no-window "$tmp/loss.pcap" >"$tmp/nowin.svg" ||
	fail "plot --no-window"
! grep -q 'class="window"' "$tmp/nowin.svg" || fail "--no-window drew it"

# Zoom: the time axis runs from 1 to 2 s, the byte axis within 100K-200K.
"$PCAP" plot -t 1:2 -y 100K:200K "$tmp/loss.pcap" >"$tmp/zoom.svg" ||
	fail "plot -t 1:2 -y 100K:200K"
well_formed "$tmp/zoom.svg"
sed -n 's/.*text-anchor="middle"[^>]*>\([0-9.]*\)<\/text>/\1/p' \
	"$tmp/zoom.svg" >"$tmp/xt"
[ "$(head -n 1 "$tmp/xt")" = 1 ] && [ "$(tail -n 1 "$tmp/xt")" = 2 ] ||
	fail "-t 1:2: time ticks $(tr '\n' ' ' <"$tmp/xt")"
sed -n 's/.*text-anchor="end"[^>]*>\([0-9]*\)<\/text>/\1/p' \
	"$tmp/zoom.svg" | awk '$1 < 102400 || $1 > 204800 { bad++ }
		END { exit bad > 0 }' || fail "-y 100K:200K: ticks outside"

# The other graphs: one RTT marker per sample rdt-pcap counts, and lines.
"$PCAP" plot -g rtt "$tmp/loss.pcap" >"$tmp/rtt.svg" || fail "plot -g rtt"
well_formed "$tmp/rtt.svg"
[ "$(layer "$tmp/rtt.svg" rtt rect)" -eq "$rtts" ] ||
	fail "expected $rtts RTT samples drawn"
"$PCAP" plot -g throughput -b 0.5 "$tmp/loss.pcap" >"$tmp/tp.svg" ||
	fail "plot -g throughput"
well_formed "$tmp/tp.svg"
for cls in sent retransmitted acked; do
	[ "$(layer "$tmp/tp.svg" "$cls" path)" -eq 1 ] ||
		fail "throughput: no $cls line"
done
"$PCAP" plot -g window "$tmp/loss.pcap" >"$tmp/win.svg" ||
	fail "plot -g window"
well_formed "$tmp/win.svg"
for cls in window inflight; do
	[ "$(layer "$tmp/win.svg" "$cls" path)" -eq 1 ] ||
		fail "window graph: no $cls line"
done

# PNG, when this build has cairo: the signature and 1000x620 pixels.
# fontconfig, under cairo, keeps caches for the life of the process,
# which LeakSanitizer reports in a sanitizer build: not ours to fix.
printf 'leak:libfontconfig.so\n' >"$tmp/lsan.supp"
if LSAN_OPTIONS="suppressions=$tmp/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
	"$PCAP" plot -o "$tmp/loss.png" "$tmp/loss.pcap" 2>"$tmp/err"; then
	[ "$(od -An -tx1 -N8 "$tmp/loss.png" | tr -d ' ')" = \
	  89504e470d0a1a0a ] || fail "loss.png is not a PNG"
	[ "$(od -An -tu1 -j16 -N8 "$tmp/loss.png" | tr -s ' ')" = \
	  " 0 0 3 232 0 0 2 108" ] || fail "loss.png is not 1000x620"
	echo "ok: PNG"
else
	expect_in "$tmp/err" "without cairo"
	echo "note: no PNG in this build (no cairo)"
fi
# rsvg-convert, where installed, must render the SVG.
if command -v rsvg-convert >/dev/null 2>&1; then
	rsvg-convert "$tmp/loss.svg" -o "$tmp/svg.png" ||
		fail "rsvg-convert cannot render the SVG"
fi
echo "ok: plots of a lossy transfer ($retx retransmissions, $rtts RTT samples)"
