#!/bin/sh
# The library's own datagram log (RDT_PCAP=FILE) of real transfers over
# loopback must check clean, every time: every byte acknowledged, both FINs
# sent.  The traffic comes from tests/bench/bench_loopback, the one
# program that drives the socket API end to end in this tree; it moves the
# bytes three times, in clear and in the two encrypted modes (RDT_PSK,
# then the public-key handshake), so the log holds three connections, the
# last two sealed.  Without the key those are counted, never a violation;
# with it (--psk-file) the pre-shared key's checks as the clear one does,
# and the public-key one, which no key opens (forward secrecy), is counted
# as not opened, not as failing; with another key, or where an attacker
# altered a datagram, authentication fails, and that is not a violation
# either.
. "${srcdir:-.}/tests/pcap/lib.sh"

BENCH=$top_builddir/tests/bench/bench_loopback
[ -x "$BENCH" ] || { echo "SKIP: $BENCH not built"; exit 77; }
if [ -n "$RDT_TEST_QUICK" ]; then mib=1; else mib=8; fi
bytes=$((mib * 1048576))

bench_key "$tmp/bench.key"

# count FILE TEXT: how many times TEXT occurs in FILE.
count() {
	grep -o -F -- "$2" "$1" | wc -l
}

# conn_num FILE ID FIELD: FIELD of connection ID in check's JSON FILE.
conn_num() {
	python3 -c 'import json, sys
c = [c for c in json.load(open(sys.argv[1]))["connections"]
     if c["id"] == int(sys.argv[2])]
print(c[0][sys.argv[3]] if c else "none")' "$@"
}

# Several runs: a log out of order (an ACK logged before the packet it
# acknowledges) shows only now and then, and must never.
if [ -n "$RDT_TEST_QUICK" ]; then runs=3; else runs=8; fi
run=1
while [ $run -le $runs ]; do
	RDT_PCAP=$tmp/lib.pcap timeout -k 10 120 "$BENCH" "$mib" 1 0 >"$tmp/bench.out" 2>&1 ||
		fail "bench_loopback failed: $(cat "$tmp/bench.out")"
	[ -s "$tmp/lib.pcap" ] || { echo "SKIP: no RDT_PCAP log written"; exit 77; }
	"$PCAP" check --json "$tmp/lib.pcap" >"$tmp/lib.json" ||
		fail "the library's log has violations: $(cat "$tmp/lib.json")"
	# The client's data all acknowledged, its FIN too, and the server's FIN
	# sent.  The last ACK (of the server's FIN) may be missing: the program
	# exits right after closing, and the log ends with it.
	expect_in "$tmp/lib.json" "\"stream_bytes\":$bytes,\"acked_bytes\":$bytes"
	expect_in "$tmp/lib.json" '"fin":true,"fin_acked":true},"s2c"'
	expect_in "$tmp/lib.json" '"s2c":{"packets"'
	grep -o '"s2c":{.*' "$tmp/lib.json" | grep -q '"fin":true' ||
		fail "the server's FIN is missing: $(cat "$tmp/lib.json")"
	[ "$(count "$tmp/lib.json" '"id":')" -eq 3 ] ||
		fail "expected three connections: $(cat "$tmp/lib.json")"
	# Without the key: the sealed connection is there, nothing opened.
	sealed=$(json_num "$tmp/lib.json" sealed)
	[ "$sealed" -gt 0 ] && [ "$(json_num "$tmp/lib.json" sealed_no_key)" = "$sealed" ] ||
		fail "the encrypted run is not counted sealed: $(cat "$tmp/lib.json")"
	expect_in "$tmp/lib.json" '"close":"unknown (sealed)"'

	# With the key, both connections check to the last byte.
	"$PCAP" check --json --psk-file "$tmp/bench.key" "$tmp/lib.pcap" \
		>"$tmp/key.json" ||
		fail "the encrypted log has violations: $(cat "$tmp/key.json")"
	[ "$(count "$tmp/key.json" "\"stream_bytes\":$bytes,\"acked_bytes\":$bytes")" -eq 2 ] ||
		fail "with the key, not both streams acknowledged: $(cat "$tmp/key.json")"
	[ "$(count "$tmp/key.json" '"fin":true,"fin_acked":true},"s2c"')" -eq 2 ] ||
		fail "with the key, not both client FINs acknowledged"
	# Connection 2 is the pre-shared key's, 3 the public-key one's.
	psk_sealed=$(conn_num "$tmp/key.json" 2 sealed)
	pk_sealed=$(conn_num "$tmp/key.json" 3 sealed)
	[ "$((psk_sealed + pk_sealed))" = "$sealed" ] &&
	[ "$(json_num "$tmp/key.json" sealed_opened)" = "$psk_sealed" ] &&
	[ "$(conn_num "$tmp/key.json" 3 sealed_not_opened)" = "$pk_sealed" ] &&
	[ "$(json_num "$tmp/key.json" auth_failed)" = 0 ] &&
	[ "$(json_num "$tmp/key.json" violation_count)" = 0 ] ||
		fail "with the key, not every pre-shared-key datagram opened, or a public-key one taken for a failure: $(cat "$tmp/key.json")"
	echo "ok: RDT_PCAP log $run of $mib MiB, $psk_sealed sealed datagrams opened, $pk_sealed of the public-key mode not"
	run=$((run + 1))
done

# Without the key, in text: no violation, and what the checks need.
"$PCAP" check "$tmp/lib.pcap" >"$tmp/out" || fail "check without the key: exit $?"
expect_in "$tmp/out" "$sealed not opened: no key, the stream checks need --psk-file"
expect_in "$tmp/out" "0 violations"
# Another key: every sealed datagram fails authentication, which is no
# violation; the clear connection still checks.
printf '%064d\n' 7 >"$tmp/other.key"
"$PCAP" check --json --psk-file "$tmp/other.key" "$tmp/lib.pcap" \
	>"$tmp/other.json" 2>"$tmp/err" ||
	fail "check with another key: exit $?: $(cat "$tmp/other.json")"
[ "$(json_num "$tmp/other.json" auth_failed)" = "$psk_sealed" ] &&
[ "$(json_num "$tmp/other.json" sealed_opened)" = 0 ] ||
	fail "another key: not every pre-shared-key datagram failed authentication: $(cat "$tmp/other.json")"
expect_in "$tmp/err" "opened none of the $sealed sealed datagrams"
echo "ok: another key: $psk_sealed datagrams failed authentication, 0 violations"
# An attacker's alteration (ciphertext changed, CRC made good): one
# failure of authentication; its copy on the other side of the log (the
# same process sent and received it) still opens, so the streams check.
"$GEN" --alter-sealed "$tmp/lib.pcap" "$tmp/altered.pcap" ||
	fail "gen-pcaps --alter-sealed failed"
"$PCAP" check --psk-file "$tmp/bench.key" "$tmp/altered.pcap" >"$tmp/out" ||
	fail "the altered log has violations: $(cat "$tmp/out")"
expect_in "$tmp/out" "$((psk_sealed - 1)) opened, $pk_sealed not opened"
expect_in "$tmp/out" ", 1 failed authentication"
[ "$(grep -c '^AUTH-FAILED packet #[0-9]* conn 2 ' "$tmp/out")" -eq 1 ] ||
	fail "expected one AUTH-FAILED line on conn 2: $(cat "$tmp/out")"
expect_in "$tmp/out" "0 violations"
echo "ok: $(grep '^AUTH-FAILED' "$tmp/out")"
