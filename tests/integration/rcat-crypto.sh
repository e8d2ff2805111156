#!/bin/sh
# rcat-crypto.sh: the encrypted modes from the command line (issue 10):
# a pre-shared key (reliable-cat --psk-file) and the public-key handshake
# (--key on the listener, --peer-key on the client, keys from --gen-key).
#
#  1. A key file that is not 64 hex digits is a usage error (exit 2) that
#     says how to make one; a key others can read draws a warning;
#     --gen-key never overwrites, keeps the secret to its owner and
#     prints the public half; the modes' options cannot be mixed.
#  2. In each mode, both directions at once through rdt-impair (1% loss,
#     1% duplicates, 0.5% corruption), 8 MiB each way (RDT_TEST_QUICK=1:
#     2 MiB): byte-exact, exit 0, both ends report the connection
#     encrypted, and the corrupted datagrams were dropped by their
#     checksum.
#  3. In each mode, through tamper-relay.py, an on-path attacker that
#     alters every 50th sealed DATA datagram and makes its CRC good
#     again: still byte-exact, and every altered datagram that arrived
#     was dropped by authentication (drop_auth), none taken.
#  4. What travels is ciphertext: each end's RDT_PCAP log of a run in
#     either mode holds no 32-byte block of the input, where the same
#     check on a clear run finds them (so the check can fail).  Given
#     the key, 'rdt-pcap decrypt' turns a PSK run's logs (over 127.0.0.1,
#     and ::1 where it exists) into captures in clear: the input is then
#     in them, 'rdt-pcap check' finds the whole stream without a
#     violation, and tshark (where installed) finds every IP and UDP
#     checksum of the rebuilt frames correct.  A public-key run's logs
#     open with no key file (exit 1, "opened none").
#  5. A wrong key, a key against none and none against a key, a client
#     expecting another server, and one mode against the other: the
#     client fails at once (result key_rejected, exit 1), not at its
#     timeout.

. "${srcdir:-.}/tests/integration/rcat-lib.sh"

IMPAIR=${RDT_IMPAIR:-${top_builddir:-.}/tools/rdt-impair/rdt-impair}
TAMPER=${srcdir:-.}/tests/integration/tamper-relay.py
[ -x "$IMPAIR" ] || skip "rdt-impair is not built ($IMPAIR)"
$have_python || skip "python3 is needed for the tampering relay"

rcat_setup crypto
umask 077
head -c 32 /dev/urandom | od -An -tx1 > "$work/a.key"
head -c 32 /dev/urandom | od -An -tx1 > "$work/b.key"
"$RCAT" --gen-key "$work/srv.key" > "$work/srv.printed" ||
	fail "--gen-key failed"
"$RCAT" --gen-key "$work/other.key" > /dev/null || fail "--gen-key failed"

# wait_port NAME FILE PID: a relay's port, bounded (10 s).
wait_port() {
	i=0
	until [ -s "$2" ]; do
		kill -0 "$3" 2>/dev/null || fail "$1 exited before listening"
		i=$((i + 1))
		[ $i -le 200 ] || fail "$1 named no port in 10 s"
		sleep 0.05
	done
	cat "$2"
}

# --- 1. key files ----------------------------------------------------------
printf '%s\n' 0123456789abcdef > "$work/short.key"
timeout 10 "$RCAT" --psk-file "$work/short.key" 127.0.0.1 9 \
	< /dev/null 2> "$work/short.err"
expect_status "a 16-digit key" 2 $? "$work/short.err"
grep -q 'expected a 32-byte key as 64 hexadecimal digits' \
	"$work/short.err" || { cat "$work/short.err" >&2
	fail "a short key: no message saying what a key is"; }
grep -q 'head -c 32 /dev/urandom' "$work/short.err" ||
	fail "a short key: the message does not say how to make one"
echo "ok: a bad key file: $(head -n 1 "$work/short.err")"
[ "$(stat -c %a "$work/srv.key")" = 600 ] ||
	fail "--gen-key: the secret key's mode is $(stat -c %a "$work/srv.key")"
cmp -s "$work/srv.printed" "$work/srv.key.pub" ||
	fail "--gen-key: printed a public key other than FILE.pub's"
! cmp -s "$work/srv.key" "$work/srv.key.pub" ||
	fail "--gen-key: the public half is the secret"
cp "$work/srv.key" "$work/srv.key.before"
"$RCAT" --gen-key "$work/srv.key" > /dev/null 2> "$work/gen.err"
expect_status "--gen-key over an existing file" 1 $? "$work/gen.err"
cmp -s "$work/srv.key" "$work/srv.key.before" ||
	fail "--gen-key overwrote an existing key"
for bad in "--key $work/srv.key 127.0.0.1 9" \
	"-l --peer-key $work/srv.key.pub 127.0.0.1 0" \
	"--psk-file $work/a.key --peer-key $work/srv.key.pub 127.0.0.1 9"; do
	timeout 10 "$RCAT" $bad < /dev/null > /dev/null 2> "$work/mix.err"
	expect_status "reliable-cat $bad" 2 $? "$work/mix.err"
done
echo "ok: --gen-key, and options of the wrong end or of both modes"

# Each mode: its listener's and its client's options.
SRV_psk="--psk-file $work/a.key"
CLI_psk="--psk-file $work/a.key"
SRV_pk="--key $work/srv.key"
CLI_pk="--peer-key $work/srv.key.pub"

size=$(rcat_size 8 2)
gen_data "$work/srv.in" "$size"
gen_data "$work/cli.in" "$size"
for mode in psk pk; do
eval "skey=\$SRV_$mode ckey=\$CLI_$mode"
# --- 2. through rdt-impair -------------------------------------------------
start_listener srv $skey --stats "$work/srv.json" 127.0.0.1 0
start_impair impair --forward "127.0.0.1:$port" \
	--both 'delay 1ms 500us loss 1% duplicate 1% corrupt 0.5%' \
	--stats "$work/impair.json"
timeout -k 10 "$RCAT_TIMEOUT" "$RCAT" -v $ckey \
	--stats "$work/cli.json" 127.0.0.1 "$relay" \
	< "$work/cli.in" > "$work/cli.out" 2> "$work/cli.err"
expect_status "$mode: client through rdt-impair" 0 $? "$work/cli.err"
reap "$listener_pid"
expect_status "$mode: server behind rdt-impair" 0 "$reaped" \
	"$work/srv.err"
kill "$relay_pid"
reap "$relay_pid"
same_bytes "$mode, client -> rdt-impair -> server" "$work/cli.in" \
	"$work/srv.out"
same_bytes "$mode, server -> rdt-impair -> client" "$work/srv.in" \
	"$work/cli.out"
python3 - "$work/impair.json" "$work/cli.json" "$work/srv.json" <<'PY' ||
import json, sys
relay = json.load(open(sys.argv[1]))
cli, srv = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
for name, s in (("client", cli), ("server", srv)):
    if s["encrypted"] is not True:
        sys.exit("%s: not reported encrypted" % name)
    if s["drop_auth"] != 0:
        sys.exit("%s: %d datagrams failed authentication, but nobody "
                 "tampered with them" % (name, s["drop_auth"]))
corrupted = relay["a2b"]["corrupted"] + relay["b2a"]["corrupted"]
caught = sum(s["drop_checksum"] + s["port_drop_checksum"]
             for s in (cli, srv))
print("rdt-impair corrupted %d, the ends dropped %d by checksum, "
      "retransmitted %d + %d" % (corrupted, caught,
      cli["pkts_retransmitted"], srv["pkts_retransmitted"]))
if corrupted == 0 or not 0 < caught <= corrupted:
    sys.exit("corruption: %d in flight, %d caught" % (corrupted, caught))
PY
	fail "$mode: the counters of the run through rdt-impair"

# --- 3. an attacker on the path --------------------------------------------
start_listener tsrv $skey --stats "$work/tsrv.json" 127.0.0.1 0
rm -f "$work/tamper.port"
run_bg python3 "$TAMPER" --forward "127.0.0.1:$port" --every 50 \
	--port-file "$work/tamper.port" --stats "$work/tamper.json"
tamper_pid=$bg_pid
relay=$(wait_port tamper-relay.py "$work/tamper.port" "$tamper_pid")
timeout -k 10 "$RCAT_TIMEOUT" "$RCAT" $ckey \
	--stats "$work/tcli.json" 127.0.0.1 "$relay" \
	< "$work/cli.in" > /dev/null 2> "$work/tcli.err"
expect_status "$mode: client through the tampering relay" 0 $? \
	"$work/tcli.err"
reap "$listener_pid"
expect_status "$mode: server behind the tampering relay" 0 \
	"$reaped" "$work/tsrv.err"
kill "$tamper_pid"
reap "$tamper_pid"
same_bytes "$mode, through the tampering relay" "$work/cli.in" \
	"$work/tsrv.out"
python3 - "$work/tamper.json" "$work/tcli.json" "$work/tsrv.json" <<'PY' ||
import json, sys
relay = json.load(open(sys.argv[1]))
cli, srv = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
for way, receiver, name in (("a2b", srv, "server"), ("b2a", cli, "client")):
    t = relay[way]["tampered"]
    print("%s: %d of %d sealed DATA datagrams altered, the %s dropped %d "
          "by authentication" % (way, t, relay[way]["sealed_data"], name,
                                 receiver["drop_auth"]))
    # The client ends before the last of what the server sends it may
    # arrive; every altered datagram that did arrive must be counted.
    if receiver["drop_auth"] > t:
        sys.exit("%s: more failures than alterations" % name)
if relay["a2b"]["tampered"] == 0:
    sys.exit("the relay altered nothing on the way to the server")
if srv["drop_auth"] != relay["a2b"]["tampered"]:
    sys.exit("server: %d altered datagrams, %d dropped by authentication"
             % (relay["a2b"]["tampered"], srv["drop_auth"]))
PY
	fail "$mode: the tampered datagrams were not all dropped and counted"
done

# --- 4. ciphertext on the wire --------------------------------------------
# has_plaintext LOG: does LOG hold any 32-byte block of cli.in?
has_plaintext() {
	python3 - "$1" "$work/cli.in" <<'PY'
import sys
log = open(sys.argv[1], "rb").read()
data = open(sys.argv[2], "rb").read()
blocks = [data[i:i + 32] for i in range(0, min(len(data), 1 << 20), 4096)]
sys.exit(0 if any(b in log for b in blocks) else 1)
PY
}
for mode in clear psk pk; do
	skey= ckey=
	[ $mode != clear ] && eval "skey=\$SRV_$mode ckey=\$CLI_$mode"
	RCAT_WRAP="env RDT_PCAP=$work/$mode-srv.pcap" start_listener "w$mode" \
		$skey 127.0.0.1 0
	timeout -k 10 "$RCAT_TIMEOUT" env RDT_PCAP="$work/$mode-cli.pcap" \
		"$RCAT" $ckey 127.0.0.1 "$port" < "$work/cli.in" > /dev/null \
		2> "$work/w$mode-cli.err"
	expect_status "$mode client, logged" 0 $? "$work/w$mode-cli.err"
	reap "$listener_pid"
	expect_status "$mode server, logged" 0 "$reaped" "$work/w$mode.err"
done
has_plaintext "$work/clear-cli.pcap" ||
	fail "the check for plaintext finds none in a clear run's log"
for log in psk-cli psk-srv pk-cli pk-srv; do
	[ -s "$work/$log.pcap" ] || fail "no RDT_PCAP log $log"
	! has_plaintext "$work/$log.pcap" ||
		fail "the $log log holds stream bytes in clear"
done
echo "ok: a clear run's log holds the input; the encrypted runs' logs do not"

PCAP=${top_builddir:-.}/tools/rdt-pcap/rdt-pcap
if [ -x "$PCAP" ]; then
	logs="psk-cli psk-srv"
	if grep -qi '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null; then
		start_listener w6 $SRV_psk -6 ::1 0
		timeout -k 10 "$RCAT_TIMEOUT" env RDT_PCAP="$work/psk6-cli.pcap" \
			"$RCAT" $CLI_psk -6 ::1 "$port" < "$work/cli.in" \
			> /dev/null 2> "$work/w6-cli.err"
		expect_status "psk client over ::1, logged" 0 $? \
			"$work/w6-cli.err"
		reap "$listener_pid"
		expect_status "psk server over ::1" 0 "$reaped" "$work/w6.err"
		logs="$logs psk6-cli"
	else
		echo "note: no ::1, decrypt checked on IPv4 only"
	fi
	size=$(wc -c < "$work/cli.in")
	for log in $logs; do
		"$PCAP" decrypt --psk-file "$work/a.key" -w "$work/$log.dec" \
			"$work/$log.pcap" 2> "$work/$log.dec.err"
		expect_status "rdt-pcap decrypt $log" 0 $? "$work/$log.dec.err"
		grep -q " 0 not opened" "$work/$log.dec.err" || {
			cat "$work/$log.dec.err" >&2
			fail "decrypt $log: some datagrams did not open"
		}
		has_plaintext "$work/$log.dec" ||
			fail "the decrypted $log log does not hold the input"
		"$PCAP" check "$work/$log.dec" > "$work/$log.check" 2>&1 ||
			{ cat "$work/$log.check" >&2
			  fail "rdt-pcap check of the decrypted $log log"; }
		grep -q "c2s: .* $size stream bytes, $size acked, FIN acked" \
			"$work/$log.check" || { cat "$work/$log.check" >&2
			fail "decrypted $log: not the whole stream of $size bytes"; }
		if command -v tshark >/dev/null 2>&1; then
			bad=$(HOME=$work timeout -k 10 120 tshark -r "$work/$log.dec" \
				-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
				-Y '(ip && ip.checksum.status != 1) || udp.checksum.status != 1' \
				-T fields -e frame.number 2>/dev/null | wc -l)
			[ "$bad" = 0 ] ||
				fail "decrypted $log: $bad frames with a bad IP or UDP checksum"
		fi
	done
	"$PCAP" decrypt --psk-file "$work/a.key" -w "$work/pk.dec" \
		"$work/pk-cli.pcap" 2> "$work/pk.dec.err"
	expect_status "rdt-pcap decrypt of a public-key log" 1 $? \
		"$work/pk.dec.err"
	grep -q "opened none" "$work/pk.dec.err" ||
		fail "decrypt of a public-key log does not say it opened none"
	echo "ok: decrypted with the key, the PSK logs ($logs) hold the" \
	     "input and check clean; a public-key log does not open"
else
	echo "note: rdt-pcap is not built, decrypt not checked"
fi

# --- 5. keys that do not match --------------------------------------------
chmod 644 "$work/b.key"
# Server's option and file, client's: "-" for none.
for pair in "--psk-file a.key --psk-file b.key" "--psk-file a.key - -" \
	"- - --psk-file a.key" "--key srv.key --peer-key other.key.pub" \
	"--key srv.key - -" "- - --peer-key srv.key.pub" \
	"--key srv.key --psk-file a.key" \
	"--psk-file a.key --peer-key srv.key.pub"; do
	set -- $pair
	skey= ckey=
	[ "$1" != - ] && skey="$1 $work/$2"
	[ "$3" != - ] && ckey="$3 $work/$4"
	set -- "$1 $2" "$3 $4"
	start_listener mismatch $skey 127.0.0.1 0
	# A client waiting for its timeout would be killed at 60 s (124).
	timeout -k 10 60 "$RCAT" $ckey --user-timeout 50000 \
		--stats "$work/m.json" 127.0.0.1 "$port" < /dev/null \
		> /dev/null 2> "$work/m.err"
	expect_status "server key $1, client key $2" 1 $? "$work/m.err"
	json_check "$work/m.json" 's["result"] == "key_rejected"'
	grep -q 'the peer refused our key' "$work/m.err" || {
		cat "$work/m.err" >&2
		fail "server key $1, client key $2: no clear message"
	}
	if [ "$2" = "--psk-file b.key" ]; then
		grep -q 'warning: --psk-file .* can be read by other users' \
			"$work/m.err" || fail "no warning for a readable key"
	fi
	kill "$listener_pid"
	reap "$listener_pid"
	echo "ok: server key $1, client key $2: $(grep refused "$work/m.err")"
done
exit 0
