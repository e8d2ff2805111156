#!/bin/sh
# preload-psk.sh: rdt-run's encrypted modes for programs that know
# nothing of them: --psk-file at both ends, and --key on the listener
# with --peer-key on the client.  netcat-openbsd moves 4 MiB (1 MiB
# quick) byte-exact in each mode, and the server's RDT_PCAP log holds
# none of it in clear (a clear run's log does, so the check can fail);
# with another key, or a client expecting another server, the client's
# connect fails at once with EKEYREJECTED; a key file rdt-run cannot use
# stops it (125) before the command runs, as do both modes at once.

. "${srcdir:-.}/tests/preload/preload-lib.sh"

preload_setup psk
need nc python3
nc -h 2>&1 | grep -q OpenBSD || skip "nc is not netcat-openbsd"

umask 077
head -c 32 /dev/urandom | od -An -tx1 > "$work/a.key"
head -c 32 /dev/urandom | od -An -tx1 > "$work/b.key"
echo 'not a key' > "$work/bad.key"
RCAT=${top_builddir:-.}/tools/reliable-cat/reliable-cat
"$RCAT" --gen-key "$work/srv.key" > /dev/null || fail "reliable-cat --gen-key"
"$RCAT" --gen-key "$work/other.key" > /dev/null || fail "reliable-cat --gen-key"
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
"$RDT_RUN" --psk-file "$work/a.key" --peer-key "$work/srv.key.pub" true \
	2> "$work/both.err"
expect_status "rdt-run with both modes" 125 $? "$work/both.err"

server_in=/dev/null
for mode in clear psk pk; do
	skey= ckey=
	case $mode in
	psk) skey="--psk-file $work/a.key" ckey=$skey ;;
	pk) skey="--key $work/srv.key" ckey="--peer-key $work/srv.key.pub" ;;
	esac
	# rdt-run's own options go before the command.
	start_server_retry "$mode" "$skey nc -l -d \$SRV_ADDR \$port"
	timeout -k 10 "$RCAT_TIMEOUT" "$RDT_RUN" $ckey nc -N "$SRV_ADDR" "$port" \
		< "$work/up.in" > /dev/null 2> "$work/$mode.cli.err"
	expect_status "$mode client nc -N" 0 $? "$work/$mode.cli.err"
	reap "$server_pid"
	expect_status "$mode server nc -l -d" 0 "$reaped" "$work/$mode.err"
	same_bytes "$mode, client -> server" "$work/up.in" "$work/$mode.out"
done
has_plaintext "$work/clear.pcap" ||
	fail "the check for plaintext finds none in the clear run's log"
for mode in psk pk; do
	[ -s "$work/$mode.pcap" ] || fail "the $mode server logged nothing"
	! has_plaintext "$work/$mode.pcap" ||
		fail "the $mode run's log holds the stream in clear"
done
echo "ok: the clear run's log holds the input, the encrypted runs' do not"

# Another key, or another server: the connect fails at once, with the
# reason.
for pair in "--psk-file a.key --psk-file b.key" \
	"--key srv.key --peer-key other.key.pub"; do
	set -- $pair
	start_server_retry wrong "$1 $work/$2 nc -l -d \$SRV_ADDR \$port"
	# -v: netcat-openbsd names the reason only then.
	timeout -k 10 60 "$RDT_RUN" "$3" "$work/$4" nc -v -N "$SRV_ADDR" \
		"$port" < /dev/null > /dev/null 2> "$work/wrong.cli.err"
	st=$?
	[ "$st" != 0 ] && [ "$st" != 124 ] || {
		cat "$work/wrong.cli.err" >&2
		fail "server $1 $2, client $3 $4: exit status $st"
	}
	grep -q 'Key was rejected' "$work/wrong.cli.err" || {
		cat "$work/wrong.cli.err" >&2
		fail "server $1 $2, client $3 $4: no EKEYREJECTED"
	}
	echo "ok: server $1 $2, client $3 $4: $(head -n 1 "$work/wrong.cli.err")"
	kill "$server_pid"
	reap "$server_pid"
done
exit 0
