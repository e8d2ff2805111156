#!/bin/sh
# rcat-errors.sh: reliable-cat's exit statuses and one-line reasons, -k,
# -v and --stats:
#   - usage errors exit 2, --help and --version exit 0;
#   - bad ports and unknown services exit 2; a TCP service name
#     resolves (http: port 80); -N is accepted;
#   - a port with no listener: exit 1, "refused", quickly;
#   - -w toward a UDP port that swallows datagrams: exit 1, "timed out";
#   - -w on an established connection where nothing moves and nothing
#     is owed: a normal end as with nc -w (exit 0, and the peer, closed
#     cleanly, exits 0 too); a -w stall with bytes owed is a failure
#     (rcat-lossy.sh's blackout);
#   - a reader that goes away (EPIPE on stdout): exit 1, and the peer
#     sees the connection reset;
#   - a peer killed with SIGKILL: exit 1, "reset" (its host's ICMP port
#     unreachable), well within the user timeout;
#   - -q with a peer that never closes: exit 0 once our bytes are
#     delivered, and the peer is closed cleanly (exit 0, no reset);
#   - -k serves two consecutive clients, and ends cleanly on SIGTERM;
#   - -v writes its summary on stderr only; --stats writes one JSON object.

. "${srcdir:-.}/tests/integration/rcat-lib.sh"

rcat_setup errors

# one_line WHAT FILE PATTERN: FILE is one line matching PATTERN (-i).
one_line() {
	n=$(wc -l < "$2")
	[ "$n" -eq 1 ] || { cat "$2" >&2; fail "$1: $n lines on stderr"; }
	grep -qi "$3" "$2" || { cat "$2" >&2; fail "$1: no '$3' in reason"; }
	grep -q '^reliable-cat: ' "$2" || fail "$1: reason lacks the name"
	echo "ok: $1: $(cat "$2")"
}

# --- usage -------------------------------------------------------------
for args in "" "--bogus 127.0.0.1 1" "-w abc 127.0.0.1 1" "-w 0 h 1" \
	    "-k 127.0.0.1 1" "--sndbuf 12 h 1" "--size -5 h 1" "onlyhost" \
	    "-l 1 2 3"; do
	# shellcheck disable=SC2086 # the arguments are meant to split
	"$RCAT" $args < /dev/null > "$work/u.out" 2> "$work/u.err"
	expect_status "usage '$args'" 2 $? "$work/u.err"
	[ -s "$work/u.out" ] && fail "usage '$args': wrote to stdout"
	[ -s "$work/u.err" ] || fail "usage '$args': no message"
done
echo "ok: usage errors exit 2 with a message"

# --- ports -----------------------------------------------------------------
# A port out of range, 0 where it is not allowed, or an unknown service is
# a usage error with a message naming it (it used to wrap: 70000 listened
# on 4464).
for args in "-l 127.0.0.1 70000" "127.0.0.1 65536" "127.0.0.1 0" \
	    "127.0.0.1 99999999999999999999" "127.0.0.1 no-such-service-rdt" \
	    "127.0.0.1 8x"; do
	# shellcheck disable=SC2086 # the arguments are meant to split
	timeout -k 10 10 "$RCAT" -d $args < /dev/null > "$work/p.out" 2> "$work/p.err"
	expect_status "port '$args'" 2 $? "$work/p.err"
	grep -q "port" "$work/p.err" || fail "port '$args': unclear message"
done
timeout -k 10 10 "$RCAT" -d 127.0.0.1 00080x < /dev/null 2> /dev/null
expect_status "port '00080x'" 2 $?
echo "ok: bad ports and services are usage errors"
# A TCP service name is resolved as TCP (rdt mirrors TCP's ports): http
# is 80.  Nothing listens on UDP 80 of 127.0.0.1 here, so it is refused,
# and the message names the port tried.
if getent services http/tcp > /dev/null 2>&1; then
	timeout -k 10 20 "$RCAT" -d 127.0.0.1 http < /dev/null > /dev/null \
		2> "$work/http.err"
	expect_status "service http" 1 $? "$work/http.err"
	one_line "service http" "$work/http.err" "127\.0\.0\.1:80: "
else
	echo "note: no services database, 'http' not tested"
fi
# -N (nc's shutdown at the end of input) is accepted and changes nothing.
gen_data "$work/n.data" 50000
start_listener nflag 127.0.0.1 0
timeout -k 10 60 "$RCAT" -N 127.0.0.1 "$port" < "$work/n.data" > /dev/null \
	2> "$work/n.err"
expect_status "-N" 0 $? "$work/n.err"
reap "$listener_pid"
expect_status "the peer of -N" 0 "$reaped" "$work/nflag.err"
same_bytes "-N" "$work/n.data" "$work/nflag.out"
"$RCAT" --help > "$work/help" 2>&1
expect_status "--help" 0 $?
grep -q '^Usage: reliable-cat' "$work/help" || fail "--help: no usage line"
grep -q 'Exit status' "$work/help" || fail "--help: no exit statuses"
"$RCAT" -V > "$work/version" 2>&1
expect_status "-V" 0 $?
grep -q '^reliable-cat (rdt) [0-9]' "$work/version" || fail "-V: no version"

# --- refused -------------------------------------------------------------
# A port that was just ours and is free now: start a listener, stop it.
start_listener gone 127.0.0.1 0
kill "$listener_pid"
wait "$listener_pid"
timeout -k 10 10 "$RCAT" -d --stats "$work/refused.json" 127.0.0.1 "$port" \
	> "$work/refused.out" 2> "$work/refused.err"
expect_status "refused" 1 $? "$work/refused.err"
one_line "refused" "$work/refused.err" "refused"
json_check "$work/refused.json" \
	"s['result'] == 'refused' and s['peer'] == '127.0.0.1:$port' and
	 'refused' in s['error']"

# --- connect timeout -----------------------------------------------------
if $have_python; then
	run_bg python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
time.sleep(600)' > "$work/sink.port"
	i=0
	while [ ! -s "$work/sink.port" ]; do
		i=$((i + 1))
		[ $i -le 200 ] || fail "the UDP sink did not start in 10 s"
		sleep 0.05
	done
	sink=$(cat "$work/sink.port")
	timeout -k 10 20 "$RCAT" -w 1 -d --stats "$work/wait.json" 127.0.0.1 \
		"$sink" > "$work/wait.out" 2> "$work/wait.err"
	expect_status "-w 1 toward a silent port" 1 $? "$work/wait.err"
	one_line "connect timeout" "$work/wait.err" "timed out"
	json_check "$work/wait.json" "s['result'] == 'timeout'"
else
	echo "note: python3 missing, connect timeout not tested"
fi

# --- idle timeout ----------------------------------------------------------
# The client's stdin is a FIFO this shell holds open without writing, and
# the server sends nothing (-d): after the handshake nothing moves, and
# nothing is owed, so -w ends the connection as nc -w does: exit 0, a
# clean close, and the listener exits 0 (rcat-nccompat.sh compares).
mkfifo "$work/idle.fifo" || fail "mkfifo"
exec 3<> "$work/idle.fifo"
start_listener idle -d 127.0.0.1 0
timeout -k 10 20 "$RCAT" -w 1 127.0.0.1 "$port" < "$work/idle.fifo" \
	> "$work/idlecli.out" 2> "$work/idlecli.err" 3>&-
expect_status "-w 1 on an idle connection" 0 $? "$work/idlecli.err"
[ -s "$work/idlecli.err" ] && fail "idle -w: $(cat "$work/idlecli.err")"
exec 3>&-
reap "$listener_pid"
expect_status "the peer of an idle -w end" 0 "$reaped" "$work/idle.err"
echo "ok: -w 1 on an idle connection: a clean end, both exit 0"

# --- the reader goes away ----------------------------------------------------
gen_data "$work/pipe.in" "$(rcat_size 64 8)"
start_listener pipe --stats "$work/pipe.json" 127.0.0.1 0
{
	timeout -k 10 60 "$RCAT" -d 127.0.0.1 "$port" 2> "$work/epipe.err"
	echo $? > "$work/epipe.rc"
} | head -c 1000 > /dev/null
expect_status "stdout closed early" 1 "$(cat "$work/epipe.rc")" \
	"$work/epipe.err"
one_line "stdout closed early" "$work/epipe.err" "stdout.*broken pipe"
reap "$listener_pid"
expect_status "sender to a vanished reader" 1 "$reaped" \
	"$work/pipe.err"
one_line "peer reset" "$work/pipe.err" "reset"
json_check "$work/pipe.json" "s['result'] == 'reset'"

# --- the peer vanishes ----------------------------------------------------
# Started without timeout(1) so that SIGKILL reaches reliable-cat itself;
# the trap still kills it if the test fails first.
"$RCAT" -l -v --port-file "$work/kill.port" 127.0.0.1 0 < /dev/null \
	> /dev/null 2> "$work/kill.err" &
victim=$!
rcat_pids="$rcat_pids $victim"
i=0
while [ ! -s "$work/kill.port" ]; do
	i=$((i + 1))
	[ $i -le 200 ] || fail "the victim wrote no port in 10 s"
	sleep 0.05
done
# The client sends without end, so it is always waiting for
# acknowledgements when the victim dies.
timeout -k 10 30 "$RCAT" --user-timeout 2000 127.0.0.1 "$(cat "$work/kill.port")" \
	< /dev/zero > /dev/null 2> "$work/vanish.err" &
client=$!
rcat_pids="$rcat_pids $client"
i=0
until grep -q connected "$work/kill.err"; do
	i=$((i + 1))
	[ $i -le 200 ] || fail "the victim reported no connection in 10 s"
	sleep 0.05
done
kill -KILL "$victim"
reap "$client"
expect_status "peer killed" 1 "$reaped" "$work/vanish.err"
# The dead port answers with ICMP port unreachable: a reset, long before
# the user timeout.
one_line "peer killed" "$work/vanish.err" "reset"

# --- -q with a peer that never closes ----------------------------------------
# The server's stdin is a FIFO held open (and never written) by this
# shell, so the server does not half-close while the client runs.  -q
# closes cleanly, as nc -q does: the client exits 0 once its bytes are
# delivered, and the peer is not reset: when its own input ends it
# finishes and exits 0 too (its user timeout bounds the wait for the
# acknowledgement of its end of stream, which the gone client cannot
# give).
mkfifo "$work/quit.in" || fail "mkfifo"
exec 4<> "$work/quit.in"
gen_data "$work/q.data" 100000
start_listener quit --user-timeout 2000 127.0.0.1 0 4>&-
timeout -k 10 20 "$RCAT" -q 0.5 127.0.0.1 "$port" < "$work/q.data" \
	> /dev/null 2> "$work/q.err" 4>&-
expect_status "-q 0.5 with a peer that stays open" 0 $? "$work/q.err"
exec 4>&-
reap "$listener_pid"
expect_status "the peer of a -q client" 0 "$reaped" "$work/quit.err"
grep -qi reset "$work/quit.err" && fail "-q: the peer saw a reset"
same_bytes "-q: everything delivered before quitting" "$work/q.data" \
	"$work/quit.out"

# --- -k: two clients, one after the other; -v and --stats ------------------
gen_data "$work/one" 100000
gen_data "$work/two" 200000
start_listener keep -k -v --stats "$work/keep.json" 127.0.0.1 0
for c in one two; do
	timeout -k 10 60 "$RCAT" -v --stats "$work/$c.json" 127.0.0.1 "$port" \
		< "$work/$c" > "$work/$c.out" 2> "$work/$c.err"
	expect_status "-k client $c" 0 $? "$work/$c.err"
	[ -s "$work/$c.out" ] && fail "-v: client $c wrote to stdout"
	grep -q 'goodput' "$work/$c.err" || fail "-v: client $c: no summary"
	json_check "$work/$c.json" \
		"s['result'] == 'ok' and s['role'] == 'client' and
		 s['bytes_sent'] == $(wc -c < "$work/$c") and
		 s['bytes_received'] == 0 and s['error'] == '' and
		 s['pkts_sent'] > 0 and s['duration_s'] > 0"
done
kill "$listener_pid"
reap "$listener_pid"
expect_status "-k listener after SIGTERM" 0 "$reaped" \
	"$work/keep.err"
cat "$work/one" "$work/two" > "$work/both"
same_bytes "-k: two clients in turn" "$work/both" "$work/keep.out"
n=$(grep -c 'goodput' "$work/keep.err")
[ "$n" -eq 2 ] || fail "-k -v: $n summaries for 2 connections"
json_check "$work/keep.json" \
	"s['result'] == 'ok' and s['role'] == 'server' and
	 s['bytes_received'] == 200000"
echo "ok: -k served two clients; -v on stderr only; --stats parses"
exit 0
