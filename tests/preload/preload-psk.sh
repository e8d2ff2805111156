#!/bin/sh
# preload-psk.sh: rdt-run --psk-file, the encrypted mode for programs
# that know nothing of it: netcat-openbsd at both ends with the same key
# moves 4 MiB (1 MiB quick) byte-exact, and the server's RDT_PCAP log
# holds none of it in clear (a clear run's log does, so the check can
# fail); with another key the client's connect fails at once with
# EKEYREJECTED, and a key file rdt-run cannot use stops it (125) before
# the command runs.

. "${srcdir:-.}/tests/preload/preload-lib.sh"

preload_setup psk
need nc python3
nc -h 2>&1 | grep -q OpenBSD || skip "nc is not netcat-openbsd"

umask 077
head -c 32 /dev/urandom | od -An -tx1 > "$work/a.key"
head -c 32 /dev/urandom | od -An -tx1 > "$work/b.key"
echo 'not a key' > "$work/bad.key"
size=$(size_mib 16 4 1)
gen_data "$work/up.in" "$size"

# has_plaintext LOG: does LOG hold a 32-byte block of up.in?
has_plaintext() {
	python3 - "$1" "$work/up.in" <<'PY'
import sys
log = open(sys.argv[1], "rb").read()
data = open(sys.argv[2], "rb").read()
blocks = [data[i:i + 32] for i in range(0, len(data), 8192)]
sys.exit(0 if any(b in log for b in blocks) else 1)
PY
}

"$RDT_RUN" --psk-file "$work/bad.key" true 2> "$work/bad.err"
expect_status "rdt-run with a bad key file" 125 $? "$work/bad.err"
grep -q '64 hexadecimal digits' "$work/bad.err" ||
	fail "a bad key file: $(cat "$work/bad.err")"

server_in=/dev/null
for mode in clear encrypted; do
	key=
	[ $mode = encrypted ] && key="--psk-file $work/a.key"
	# rdt-run's own options go before the command.
	start_server_retry "$mode" "$key nc -l -d \$SRV_ADDR \$port"
	timeout -k 10 "$RCAT_TIMEOUT" "$RDT_RUN" $key nc -N "$SRV_ADDR" "$port" \
		< "$work/up.in" > /dev/null 2> "$work/$mode.cli.err"
	expect_status "$mode client nc -N" 0 $? "$work/$mode.cli.err"
	reap "$server_pid"
	expect_status "$mode server nc -l -d" 0 "$reaped" "$work/$mode.err"
	same_bytes "$mode, client -> server" "$work/up.in" "$work/$mode.out"
done
[ -s "$work/encrypted.pcap" ] || fail "the encrypted server logged nothing"
has_plaintext "$work/clear.pcap" ||
	fail "the check for plaintext finds none in the clear run's log"
! has_plaintext "$work/encrypted.pcap" ||
	fail "the encrypted run's log holds the stream in clear"
echo "ok: the clear run's log holds the input, the encrypted run's does not"

# Another key: the connect fails at once, with the reason.
start_server_retry wrong "--psk-file $work/a.key nc -l -d \$SRV_ADDR \$port"
# -v: netcat-openbsd names the reason only then.
timeout -k 10 60 "$RDT_RUN" --psk-file "$work/b.key" nc -v -N "$SRV_ADDR" \
	"$port" < /dev/null > /dev/null 2> "$work/wrong.cli.err"
st=$?
[ "$st" != 0 ] && [ "$st" != 124 ] || {
	cat "$work/wrong.cli.err" >&2
	fail "a client with another key: exit status $st"
}
grep -q 'Key was rejected' "$work/wrong.cli.err" || {
	cat "$work/wrong.cli.err" >&2
	fail "a client with another key: no EKEYREJECTED"
}
echo "ok: another key: $(head -n 1 "$work/wrong.cli.err")"
kill "$server_pid"
reap "$server_pid"
exit 0
