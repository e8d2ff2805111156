#!/bin/sh
# rcat-lossy.sh: both directions at once through rdt-impair, the
# project's user-space netem (this kernel has no netem qdisc): each way
# 1 ms delay with 0.5 ms jitter (so reordering), 1% loss, 1% duplication
# and 0.5% corruption.  16 MiB each way (RDT_TEST_QUICK=1: 4 MiB) must
# arrive byte-exact and both ends must exit 0; the counters must show
# that the impairments were met: the relay lost and corrupted datagrams,
# the senders retransmitted, the receivers dropped corrupted datagrams by
# their checksum.  Then a blackout after the last byte: with -w, the
# sender must give up waiting for the acknowledgement of its end of
# stream ("timed out") instead of waiting for the user timeout.

. "${srcdir:-.}/tests/integration/rcat-lib.sh"

IMPAIR=${RDT_IMPAIR:-${top_builddir:-.}/tools/rdt-impair/rdt-impair}
[ -x "$IMPAIR" ] || skip "rdt-impair is not built ($IMPAIR)"
$have_python || skip "python3 is needed to read the counters"

rcat_setup lossy
size=$(rcat_size 16 4)
gen_data "$work/srv.in" "$size"
gen_data "$work/cli.in" "$size"

start_listener srv --stats "$work/srv.json" 127.0.0.1 0
# The relay listens on a port of its choosing and names it with -v.
start_impair impair --forward "127.0.0.1:$port" \
	--both 'delay 1ms 500us loss 1% duplicate 1% corrupt 0.5%' \
	--stats "$work/impair.json"

timeout -k 10 "$RCAT_TIMEOUT" "$RCAT" -v --stats "$work/cli.json" 127.0.0.1 \
	"$relay" < "$work/cli.in" > "$work/cli.out" 2> "$work/cli.err"
expect_status "client through the relay" 0 $? "$work/cli.err"
reap "$listener_pid"
expect_status "server behind the relay" 0 "$reaped" "$work/srv.err"
# SIGTERM makes the relay write its counters.
kill "$relay_pid"
reap "$relay_pid"
expect_status "rdt-impair on SIGTERM" 0 "$reaped" "$work/impair.err"

same_bytes "client -> relay -> server" "$work/cli.in" "$work/srv.out"
same_bytes "server -> relay -> client" "$work/srv.in" "$work/cli.out"

python3 - "$work/impair.json" "$work/cli.json" "$work/srv.json" <<'PY' ||
import json, sys
relay = json.load(open(sys.argv[1]))
cli = json.load(open(sys.argv[2]))
srv = json.load(open(sys.argv[3]))
# a2b runs client -> server, b2a server -> client.
for way, sender, receiver, sname, rname in (
        ("a2b", cli, srv, "client", "server"),
        ("b2a", srv, cli, "server", "client")):
    r = relay[way]
    drops = receiver["drop_checksum"] + receiver["port_drop_checksum"]
    print("%s: relay lost %d, corrupted %d, duplicated %d of %d; "
          "%s retransmitted %d packets; %s dropped %d by checksum, "
          "saw %d duplicates" % (
              way, r["dropped_loss"], r["corrupted"], r["duplicated"],
              r["received"], sname, sender["pkts_retransmitted"], rname,
              drops, receiver["pkts_duplicate"]))
    if r["dropped_loss"] == 0 or r["corrupted"] == 0:
        sys.exit("%s: the relay impaired nothing" % way)
    if sender["pkts_retransmitted"] == 0:
        sys.exit("%s: datagrams were lost but the %s retransmitted none"
                 % (way, sname))
    # Every corrupted datagram that reached the receiver must have been
    # caught by its checksum (a few may arrive after it exited).
    if not 0 < drops <= r["corrupted"]:
        sys.exit("%s: %d corrupted in flight, %d dropped by checksum"
                 % (way, r["corrupted"], drops))
PY
	fail "the counters do not show the impairments handled"
sed 's/^/  /' "$work/cli.err"

# --- a blackout at the end ---------------------------------------------
start_listener dark -d 127.0.0.1 0
mkfifo "$work/ctl" "$work/dark.fifo" || fail "mkfifo"
start_impair dark-impair --forward "127.0.0.1:$port" \
	--control "$work/ctl" --stats /dev/null
# The client's stdin is a FIFO this shell opens only after starting it,
# so that closing our end is the client's end of input.
timeout -k 10 30 "$RCAT" -w 1 127.0.0.1 "$relay" < "$work/dark.fifo" \
	> /dev/null 2> "$work/dark-cli.err" &
client=$!
rcat_pids="$rcat_pids $client"
exec 5> "$work/dark.fifo"
echo hello >&5
i=0
until [ "$(wc -c < "$work/dark.out")" = 6 ]; do
	i=$((i + 1))
	[ $i -le 200 ] || fail "the first bytes did not arrive in 10 s"
	sleep 0.05
done
echo down > "$work/ctl"
i=0
until grep -q 'applied: down' "$work/dark-impair.err"; do
	i=$((i + 1))
	[ $i -le 200 ] || fail "rdt-impair did not apply 'down' in 10 s"
	sleep 0.05
done
exec 5>&-
reap "$client"
expect_status "-w 1, blackout before the last ACK" 1 "$reaped" \
	"$work/dark-cli.err"
grep -q 'nothing acknowledged.*timed out' "$work/dark-cli.err" || {
	cat "$work/dark-cli.err" >&2
	fail "blackout: not ended by -w while waiting for the last ACK"
}
echo "ok: blackout at the end: $(cat "$work/dark-cli.err")"
exit 0
