#!/bin/bash
# dissector.sh: docs/rdt.lua, the Wireshark dissector, checked with tshark.
#
# Captures: three simulated transfers (rdt-sim --pcap): 10% loss recorded
# as sent (ACK ranges with holes), 2% corruption and 20% reordering
# recorded as delivered (bad CRCs, reordered and duplicated datagrams);
# the library's own RDT_PCAP log of real transfers on loopback
# (tests/bench/bench_loopback: one in clear, one in the encrypted mode),
# filtered by tcpdump on the listeners' random ports; and rdt-fields'
# crafted capture (every type, flag combination, RESET reason, tokens and
# reset tokens, 32 wrapping ACK ranges, IPv6, corrupted, malformed and
# foreign-version datagrams, sealed ones of every sealed type, corrupted
# and malformed, and a UDP flow that is not rdt); and its garbage
# capture, rdt-like datagrams of random content.
#
# For every capture:
#   - tcpdump reads it and a port filter selects every rdt datagram;
#     tshark finds every IPv4 and UDP checksum correct (pcaplog);
#   - tshark with the dissector prints every rdtp field of every frame,
#     and rdt-fields prints the same fields decoded by src/wire's codec
#     (of a sealed datagram, its clear header, ciphertext length and
#     tag): each good datagram must match field for field; each corrupted one
#     must be decoded as rdtp with a bad CRC, each malformed or foreign-
#     version one with a good CRC and its expert info; the non-rdt flow
#     must not be claimed by the heuristic;
#   - Decode As (-d udp.port==5000,rdtp) and the rdtp.ports preference
#     give exactly what the heuristic gave;
#   - tshark -V shows no Lua error and no malformed-packet exception,
#     not even on the garbage.
# For the simulated ones, the datagram counts per direction must equal
# what rdt-sim reports having recorded.  For the crafted one, every
# field must occur, and -V must show the decoded details (ranges,
# reasons, token, FIN offset, expected CRC).
#
# The analysis (expert infos, stream index, relative offsets) is checked
# against rdt-pcap check, an independent implementation in C: on each
# simulated capture, the frames tshark flags as retransmissions (plain
# or spurious), out of order and duplicates, and those with a bad CRC,
# number exactly what rdt-pcap counts; a receiver that stops reading
# (stall60) shows zero-window and window-full frames; two transfers
# concatenated, from the same addresses, are two streams told apart by
# their connection IDs; the first byte of each stream is at relative
# offset 0; and one real capture (a sender's RDT_PCAP log through a
# lossy, jittery, corrupting rdt-impair relay) shows retransmissions, out
# of order and corrupted datagrams together.
#
# Needs tshark and tcpdump (exit 77 without them).  RDT_TEST_QUICK=1
# makes the transfers smaller.

set -u

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
LUA=$srcdir/docs/rdt.lua
SIM=$top_builddir/tests/sim/rdt-sim
FIELDS_PROG=$top_builddir/tests/lua/rdt-fields
PCAP_TOOL=$top_builddir/tools/rdt-pcap/rdt-pcap
# Every tool run is bounded; a hung tshark fails the test.
TO="timeout -k 10 300"

for tool in tshark tcpdump; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed"
		exit 77
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rdt-lua.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
# No personal Wireshark preferences or plugins may change the outcome.
export HOME=$tmp XDG_CONFIG_HOME=$tmp/.config

fail=0
err() {
	echo "FAIL: $*"
	fail=1
}

if [ "${RDT_TEST_QUICK:-0}" = 1 ]; then
	size=150000
else
	size=1000000
fi

FIELDS="frame.protocols rdtp.version rdtp.type rdtp.flags rdtp.reserved
	rdtp.dcid rdtp.pn rdtp.scid rdtp.isn rdtp.window rdtp.max_dgram
	rdtp.token_len rdtp.token rdtp.padding_len rdtp.echo_pn
	rdtp.window_edge rdtp.ack.cum rdtp.ack.largest rdtp.ack.delay_us
	rdtp.ack.first_len rdtp.ack.nranges rdtp.ack.gap rdtp.ack.len
	rdtp.ack.range.largest rdtp.ack.range.smallest rdtp.ack.acked
	rdtp.stream.offset rdtp.stream.len rdtp.stream.data
	rdtp.stream.fin_offset rdtp.reason rdtp.reset_token rdtp.sealed.len
	rdtp.sealed.tag rdtp.crc rdtp.crc.status"
field_args=()
for f in $FIELDS; do
	field_args+=(-e "$f")
done

# tshark_lua ARGS...: tshark with the dissector; stderr kept apart.
tshark_lua() {
	$TO tshark -X "lua_script:$LUA" "$@" 2>>"$tmp/tshark.err"
}

# fields FILE OUT [ARGS...]: the FIELDS of every frame of FILE in OUT.
fields() {
	local file=$1 out=$2
	shift 2
	tshark_lua -r "$file" "$@" -T fields -E occurrence=a \
		-E aggregator=, "${field_args[@]}" >"$out"
}

# count FILE FILTER: how many frames of FILE match FILTER (-2: the
# heuristic's conversations apply to every frame).
count() {
	tshark_lua -2 -r "$1" -Y "$2" -T fields -e frame.number | wc -l
}

# check_capture NAME FILE [PORTS]: every check above that needs no extra
# facts; PORTS (default 5000) are the servers' UDP ports in FILE, comma-
# separated.
check_capture() {
	local name=$1 file=$2 ports=${3:-5000} port n_rdt n bad filter
	local expect=$tmp/$name.expect got=$tmp/$name.got

	port=${ports%%,*}
	filter="udp and (port $(echo "$ports" | sed 's/,/ or port /g'))"
	if ! "$FIELDS_PROG" fields "$file" "$ports" >"$expect"; then
		err "$name: rdt-fields cannot read $file"
		return
	fi
	n_rdt=$(grep -cv '^foreign' "$expect")

	n=$($TO tcpdump -nr "$file" "$filter" 2>/dev/null | wc -l)
	[ "$n" = "$n_rdt" ] ||
		err "$name: tcpdump '$filter' saw $n datagrams, not $n_rdt"
	bad=$(tshark_lua -r "$file" -o ip.check_checksum:TRUE \
		-o udp.check_checksum:TRUE -T fields -e frame.number \
		-Y '(ip && ip.checksum.status != 1) || udp.checksum.status != 1' |
		wc -l)
	[ "$bad" = 0 ] || err "$name: $bad IP or UDP checksums are wrong"

	fields "$file" "$got" -2
	if [ "$(wc -l <"$got")" != "$(wc -l <"$expect")" ]; then
		err "$name: tshark printed $(wc -l <"$got") frames, rdt-fields" \
		    "$(wc -l <"$expect")"
		return
	fi
	# Frame by frame: C's status, then what tshark must show.
	awk -F '\t' -v name="$name" '
		NR == FNR { want[FNR] = $0; next }
		{
			split(want[FNR], w, "\t")
			st = w[1]
			line = want[FNR]
			sub(/^[^\t]*\t?/, "", line)
			if (st == "ok")
				ok = $0 == line
			else if (st == "foreign")
				ok = $1 !~ /rdtp/
			else if (st == "corrupt")
				ok = $1 == w[2] && $NF == "0"
			else
				ok = $1 == w[2] && $NF == "1"
			if (!ok && ++bad <= 5) {
				printf "%s frame %d (%s) differs:\n", name, FNR, st
				printf "  codec:  %s\n  tshark: %s\n", line, $0
			}
		}
		END { exit bad > 0 }' "$expect" "$got" ||
		err "$name: the dissector disagrees with src/wire's codec"

	n=$(count "$file" rdtp.crc.bad)
	[ "$n" = "$(grep -c '^corrupt' "$expect")" ] ||
		err "$name: $n frames flagged rdtp.crc.bad, expected" \
		    "$(grep -c '^corrupt' "$expect")"
	n=$(count "$file" 'rdtp.invalid && rdtp.crc.status == 1')
	[ "$n" = "$(grep -c '^malformed' "$expect")" ] ||
		err "$name: $n good-CRC frames flagged rdtp.invalid"
	# A rule broken in a corrupted datagram is the corruption's doing:
	# rdtp.garbled (a note), never rdtp.invalid (an error).
	n=$(count "$file" 'rdtp.invalid && rdtp.crc.status == 0')
	[ "$n" = 0 ] ||
		err "$name: $n bad-CRC frames flagged rdtp.invalid (an error)"
	n=$(count "$file" 'rdtp.version.unknown && rdtp.crc.status == 1')
	[ "$n" = "$(grep -c '^version' "$expect")" ] ||
		err "$name: $n good-CRC frames flagged rdtp.version.unknown"

	# Decode As (of the first port) and the port preference, one pass:
	# the same as the heuristic in two.
	fields "$file" "$tmp/$name.da" -d "udp.port==$port,rdtp"
	cmp -s "$got" "$tmp/$name.da" ||
		err "$name: Decode As decodes differently from the heuristic"
	fields "$file" "$tmp/$name.pref" -o "rdtp.ports:$ports"
	cmp -s "$got" "$tmp/$name.pref" ||
		err "$name: the rdtp.ports preference decodes differently"

	tshark_lua -2 -r "$file" -V >"$tmp/$name.V"
	if grep -Eq 'Lua: Error|Lua Error|Malformed Packet|Dissector bug' \
		"$tmp/$name.V" "$tmp/tshark.err"; then
		err "$name: tshark reports dissector errors:"
		grep -Eh 'Lua: Error|Lua Error|Malformed Packet|Dissector bug' \
			"$tmp/$name.V" "$tmp/tshark.err" | sort | uniq -c | head
	fi
	echo "$name: $n_rdt rdt datagrams checked" \
	     "($(grep -c '^corrupt' "$expect") corrupted)"
}

# sim_capture NAME PROFILE SEED [--pcap-at delivered]: a simulated
# transfer, checked, and its counts compared with rdt-sim's.
sim_capture() {
	local name=$1 profile=$2 seed=$3 file=$tmp/$1.pcap report c s
	shift 3

	report=$($TO "$SIM" run "$profile" --seed "$seed" --size "$size" \
		--pcap "$file" "$@")
	if [ $? != 0 ]; then
		err "$name: rdt-sim run $profile --seed $seed failed"
		return
	fi
	c=$(echo "$report" | sed -n 's/^pcap: \([0-9]*\) datagrams from the client, .*/\1/p')
	s=$(echo "$report" | sed -n 's/.*client, \([0-9]*\) from the server.*/\1/p')
	check_capture "$name" "$file"
	[ "$(count "$file" 'rdtp && ip.src == 10.0.0.1')" = "$c" ] ||
		err "$name: client datagram count differs from rdt-sim's $c"
	[ "$(count "$file" 'rdtp && ip.src == 10.0.0.2')" = "$s" ] ||
		err "$name: server datagram count differs from rdt-sim's $s"
}

# The expert infos' messages, by the name of their rdtp.analysis field.
declare -A expert_msg=(
	[retransmission]="Retransmission: stream bytes seen before"
	[spurious_retransmission]="Spurious retransmission: every byte was"
	[out_of_order]="Out of order: a higher packet number came first"
	[duplicate]="Duplicate: this packet number was seen before"
	[zero_window]="Zero window: the receiver accepts no more bytes"
	[window_full]="Window full: these bytes reach the receiver"
	[crc]="Bad CRC32C: corrupted in transit"
)

# analysis_fields FILE: one line per frame of FILE in FILE.an: stream
# index, direction, relative offset and expert messages ('|' between).
analysis_fields() {
	[ -s "$1.an" ] && return
	tshark_lua -2 -r "$1" -T fields -E occurrence=a -E aggregator='|' \
		-e rdtp.stream_index -e rdtp.dir -e rdtp.stream.offset_rel \
		-e _ws.expert.message >"$1.an"
}

# expert_count FILE NAME [DIR]: frames of FILE flagged with NAME's
# expert info (sent in direction DIR: 0 client, 1 server).
expert_count() {
	analysis_fields "$1"
	awk -F '\t' -v m="${expert_msg[$2]}" -v d="${3:-}" \
		'index($4, m) && (d == "" || $2 == d) { n++ }
		 END { print n + 0 }' "$1.an"
}

# pcap_sum JSON KEY: KEY summed over both directions of rdt-pcap's report.
pcap_sum() {
	grep -o "\"$2\":[0-9]*" "$1" | awk -F: '{ s += $2 } END { print s + 0 }'
}

# analysis NAME: the expert infos of $tmp/NAME.pcap against rdt-pcap.
analysis() {
	local name=$1 file=$tmp/$1.pcap json=$tmp/$1.json got want
	if [ ! -x "$PCAP_TOOL" ]; then
		err "$name: $PCAP_TOOL is not built"
		return
	fi
	"$PCAP_TOOL" check --json "$file" >"$json" ||
		err "$name: rdt-pcap check failed: $(cat "$json")"
	got=$(($(expert_count "$file" retransmission) +
	       $(expert_count "$file" spurious_retransmission)))
	want=$(pcap_sum "$json" retransmitted_packets)
	[ "$got" = "$want" ] ||
		err "$name: $got retransmissions flagged, rdt-pcap counts $want"
	for pair in out_of_order:reordered duplicate:duplicates; do
		got=$(expert_count "$file" "${pair%%:*}")
		want=$(pcap_sum "$json" "${pair#*:}")
		[ "$got" = "$want" ] ||
			err "$name: $got frames flagged ${pair%%:*}, rdt-pcap counts $want ${pair#*:}"
	done
	got=$(expert_count "$file" crc)
	want=$(grep -o '"corrupted_in_transit":[0-9]*' "$json" | head -n 1 |
	       cut -d: -f2)
	[ "$got" = "$want" ] ||
		err "$name: $got frames flagged rdtp.crc.bad, rdt-pcap counts $want"
	got=$(awk -F '\t' '$1 != "0"' "$file.an" | wc -l)
	[ "$got" = 0 ] || err "$name: $got frames outside stream 0"
	got=$(awk -F '\t' '$2 == "0" && $3 != "" && (m == "" || $3 < m) {
		m = $3 } END { print m }' "$file.an")
	[ "$got" = 0 ] ||
		err "$name: the client's lowest relative offset is '$got', not 0"
	echo "$name: analysis agrees with rdt-pcap ($want corrupted," \
	     "$(expert_count "$file" retransmission) retransmissions," \
	     "$(expert_count "$file" out_of_order) out of order," \
	     "$(expert_count "$file" duplicate) duplicates)"
}

sim_capture loss10-sent loss10 7
sim_capture corrupt2-delivered corrupt2 3 --pcap-at delivered
sim_capture reorder20-delivered reorder20 5 --pcap-at delivered
if [ -f "$tmp/corrupt2-delivered.expect" ] &&
   ! grep -q '^corrupt' "$tmp/corrupt2-delivered.expect"; then
	err "corrupt2-delivered: no corrupted datagram to check"
fi
# Duplicates only for the analysis: the decoding is checked above.
$TO "$SIM" run dup5 --seed 2 --size "$size" --pcap "$tmp/dup5-delivered.pcap" \
	--pcap-at delivered >/dev/null || err "dup5: rdt-sim failed"
for name in loss10-sent corrupt2-delivered reorder20-delivered \
	    dup5-delivered; do
	analysis "$name"
done
for name in loss10-sent reorder20-delivered dup5-delivered; do
	case $name in
	loss10*) e=retransmission ;;
	reorder*) e=out_of_order ;;
	dup*) e=duplicate ;;
	esac
	[ "$(expert_count "$tmp/$name.pcap" "$e")" -gt 0 ] ||
		err "$name: no frame flagged $e: nothing was tested"
done

# A receiver that stops reading: its window closes, then the sender's
# data reaches the edge.
if $TO "$SIM" run stall60 --seed 1 --size 400000 --pcap "$tmp/stall.pcap" \
	>/dev/null; then
	[ "$(expert_count "$tmp/stall.pcap" zero_window)" -gt 0 ] ||
		err "stall60: no zero window flagged"
	[ "$(expert_count "$tmp/stall.pcap" window_full)" -gt 0 ] ||
		err "stall60: no window full flagged"
	# The zero window is the receiver's: in the server's datagrams.
	[ "$(expert_count "$tmp/stall.pcap" zero_window 0)" = 0 ] ||
		err "stall60: zero window flagged on the sender's side"
else
	err "stall60: rdt-sim failed"
fi

# Two transfers one after the other between the same addresses: two
# streams, told apart by their connection IDs, each whole.
if [ -f "$tmp/loss10-sent.pcap" ] && [ -f "$tmp/dup5-delivered.pcap" ]; then
	editcap -t 100 "$tmp/dup5-delivered.pcap" "$tmp/later.pcap" &&
	mergecap -a -w "$tmp/two.pcap" "$tmp/loss10-sent.pcap" \
		"$tmp/later.pcap" || err "editcap or mergecap failed"
	analysis_fields "$tmp/two.pcap"
	for i in 0 1; do
		n=$(awk -F '\t' -v i=$i '$1 == i' "$tmp/two.pcap.an" | wc -l)
		case $i in
		0) want=$(grep -c . "$tmp/loss10-sent.pcap.an") ;;
		1) want=$(grep -c . "$tmp/dup5-delivered.pcap.an") ;;
		esac
		[ "$n" = "$want" ] ||
			err "two streams: stream $i has $n frames, expected $want"
	done
fi
# One real capture with loss, reordering and corruption together: the
# sender's own RDT_PCAP log of a transfer through rdt-impair (loss and
# jitter, so reordering, and corruption, both ways).  Its retransmitted
# data, and the ACKs that came back reordered or corrupted, must all be
# flagged.
RCAT=$top_builddir/tools/reliable-cat/reliable-cat
IMPAIR=$top_builddir/tools/rdt-impair/rdt-impair
if [ -x "$RCAT" ] && [ -x "$IMPAIR" ]; then
	head -c 1048576 /dev/urandom >"$tmp/relay.in"
	$TO "$RCAT" -l --port-file "$tmp/relay.port" 127.0.0.1 0 \
		</dev/null >"$tmp/relay.out" 2>"$tmp/relay.srv" &
	srv=$!
	i=0
	while [ ! -s "$tmp/relay.port" ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	$TO "$IMPAIR" -v -s 11 --listen 127.0.0.1:0 \
		--forward "127.0.0.1:$(cat "$tmp/relay.port")" \
		--both 'delay 2ms 2ms loss 3% corrupt 2%' 2>"$tmp/relay.err" &
	relay=$!
	i=0
	until rport=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' \
		"$tmp/relay.err" 2>/dev/null) && [ -n "$rport" ] || [ $i -ge 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	if RDT_PCAP=$tmp/relay.pcap $TO "$RCAT" 127.0.0.1 "$rport" \
		<"$tmp/relay.in" >/dev/null 2>"$tmp/relay.cli" &&
	   wait "$srv" && cmp -s "$tmp/relay.in" "$tmp/relay.out"; then
		for e in retransmission out_of_order crc; do
			[ "$(expert_count "$tmp/relay.pcap" "$e")" -gt 0 ] ||
				err "relay: no frame flagged $e in a lossy, reordering, corrupting transfer"
		done
		echo "relay: $(expert_count "$tmp/relay.pcap" retransmission) retransmissions," \
		     "$(expert_count "$tmp/relay.pcap" out_of_order) out of order," \
		     "$(expert_count "$tmp/relay.pcap" crc) corrupted, in one capture"
	else
		err "relay: the transfer through rdt-impair failed: $(cat "$tmp/relay.cli")"
	fi
	kill "$relay" "$srv" 2>/dev/null
	wait "$relay" "$srv" 2>/dev/null
else
	err "relay: reliable-cat or rdt-impair is not built"
fi

if [ -f "$tmp/loss10-sent.got" ] &&
   ! awk -F '\t' '$21 > 0 { found = 1 } END { exit !found }' \
	"$tmp/loss10-sent.got"; then
	err "loss10-sent: no ACK with several ranges to check"
fi

# The library's own log (RDT_PCAP=FILE) of a real transfer on loopback,
# written without privileges: tcpdump filters it by the listener's port,
# and tshark decodes it as it decodes the simulator's.
BENCH=$top_builddir/tests/bench/bench_loopback
if [ -x "$BENCH" ]; then
	if RDT_PCAP=$tmp/lib.pcap $TO "$BENCH" 1 1 0 >"$tmp/bench.out" 2>&1; then
		# The first datagram is the client's INIT, to the listener;
		# the first sealed INIT (version 2, type 1, no flag) goes to
		# the pre-shared-key run's, the first with the public-key
		# flag (0x01) to the public-key run's.
		lport=$($TO tcpdump -nr "$tmp/lib.pcap" -c 1 2>/dev/null |
			sed -n 's/.* > [0-9.]*\.\([0-9]*\): UDP.*/\1/p')
		eport=$($TO tcpdump -nr "$tmp/lib.pcap" -c 1 \
			'udp[8] = 2 and udp[9] = 1 and udp[10] = 0' 2>/dev/null |
			sed -n 's/.* > [0-9.]*\.\([0-9]*\): UDP.*/\1/p')
		pport=$($TO tcpdump -nr "$tmp/lib.pcap" -c 1 \
			'udp[8] = 2 and udp[9] = 1 and udp[10] = 1' 2>/dev/null |
			sed -n 's/.* > [0-9.]*\.\([0-9]*\): UDP.*/\1/p')
		if [ -n "$lport" ] && [ -n "$eport" ] && [ -n "$pport" ]; then
			check_capture library "$tmp/lib.pcap" \
				"$lport,$eport,$pport"
			n=$(count "$tmp/lib.pcap" \
				'rdtp.version == 2 && rdtp.crc.status == 1')
			[ "$n" -gt 0 ] ||
				err "library: no sealed datagram decoded"
			echo "library: $n sealed datagrams of the encrypted run"
		else
			err "library: no clear, pre-shared-key and public-key INIT in the RDT_PCAP log"
		fi
	else
		err "library: bench_loopback failed: $(cat "$tmp/bench.out")"
	fi
else
	err "library: $BENCH is not built"
fi

if ! "$FIELDS_PROG" craft "$tmp/crafted.pcap" >/dev/null; then
	err "rdt-fields craft failed"
else
	check_capture crafted "$tmp/crafted.pcap"
	# Every field occurs in some frame.
	awk -F '\t' -v names="$(echo $FIELDS)" '
		{ for (i = 1; i <= NF; i++) if ($i != "") seen[i] = 1 }
		END {
			n = split(names, f, " ")
			for (i = 1; i <= n; i++)
				if (!seen[i]) {
					print "never shown: " f[i]
					bad = 1
				}
			exit bad
		}' "$tmp/crafted.got" ||
		err "crafted: some fields never appear"
	for want in \
		'Range 32: 4294967156-4294967159 (gap 1, length 3)' \
		'Range 1: 4085-4089 (gap 3, length 4)' \
		'Reason: REFUSED (2)' 'Reason: TIMEOUT (5)' \
		'Reason: Unknown (57005)' \
		'Token: 746f6b656e' '[Padding length: 1140]' \
		'Reset token: 101112131415161718191a1b1c1d1e1f' \
		'Reset token: e0e1e2e3e4e5e6e7e8e9eaebecedeeef' \
		'[FIN at offset: 13]' 'Packets acknowledged: 8' \
		'CRC32C: 0x70d38e9b [correct]' \
		'[incorrect, should be 0x' 'Bad CRC32C: corrupted in transit, dropped by the receiver' \
		'data_len 5, but 6 bytes reach the CRC' \
		'Version 3: body not decoded' \
		'Version: 2 (sealed: encrypted mode)' \
		'INIT pn=7000 scid=0x0123456789abcdef [sealed, 1172 encrypted bytes]' \
		'ACCEPT pn=9000 dcid=0x0123456789abcdef scid=0xfedcba9876543210 [sealed, 30 encrypted bytes]' \
		'DATA pn=7001 [sealed, 32 encrypted bytes]' \
		'RESET pn=9001 dcid=0x0123456789abcdef [sealed, 20 encrypted bytes]' \
		'Sealed body: 32 encrypted bytes and a 16-byte tag' \
		'Sealed (encrypted mode): only the header is in clear' \
		'RETRY is never sealed' \
		'too short for its clear prefix and tag' \
		'DATA pn=4011 off=8 len=5 FIN PING ACK cum=77 largest=4097 nranges=1 edge=65613' \
		'INIT pn=4001 scid=0x0123456789abcdef isn=4294967040 win=1048576 max=1400 token=5' \
		'ACCEPT pn=4294967294 dcid=0x0123456789abcdef scid=0xfedcba9876543210 isn=77 win=65536 max=256 echo=4003' \
		'RESET pn=4099 dcid=0x0123456789abcdef reason=REFUSED' \
		'RESET pn=4105 dcid=0x0123456789abcdef reason=ABORT token'; do
		grep -qF -- "$want" "$tmp/crafted.V" ||
			err "crafted: tshark -V does not show '$want'"
	done
fi

# Garbage forced through the dissector (Decode As) and offered to the
# heuristic: decoded or declined, never a Lua error or an exception.
# Other heuristic dissectors may claim some of it and choke (TAPA does):
# not ours to judge, so only exceptions inside RDTP count.
if ! "$FIELDS_PROG" garbage "$tmp/garbage.pcap" >/dev/null; then
	err "rdt-fields garbage failed"
else
	bad='Lua: Error|Lua Error|Malformed Packet: RDTP|Dissector bug'
	for args in "-d udp.port==5000,rdtp" "-2"; do
		# shellcheck disable=SC2086
		tshark_lua -r "$tmp/garbage.pcap" $args -V >"$tmp/garbage.V"
		if grep -Eq "$bad" "$tmp/garbage.V" "$tmp/tshark.err"; then
			err "garbage ($args): tshark reports dissector errors:"
			grep -Eh "$bad" "$tmp/garbage.V" "$tmp/tshark.err" |
				sort | uniq -c | head
		fi
	done
	# UDP hands every non-empty payload on; Decode As must take them all.
	n=$(tshark_lua -r "$tmp/garbage.pcap" -d udp.port==5000,rdtp \
		-Y rdtp -T fields -e frame.number | wc -l)
	want=$(tshark_lua -r "$tmp/garbage.pcap" -Y 'udp.length > 8' \
		-T fields -e frame.number | wc -l)
	[ "$n" = "$want" ] && [ "$n" -gt 0 ] ||
		err "garbage: Decode As decoded $n of $want datagrams"
	echo "garbage: $n datagrams survived"
fi

if [ $fail != 0 ]; then
	echo "tshark stderr:"
	grep -v 'Running as user' "$tmp/tshark.err" | head -20
fi
exit $fail
