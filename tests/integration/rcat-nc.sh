#!/bin/sh
# rcat-nc.sh: the nc options of issue 12.
#   -z   probe: exit 0 against a listener (which then ends cleanly, exit
#        0), exit 1 where nothing listens; nothing on stdout;
#   -n   a host name is not looked up (exit 1), a service name is a usage
#        error (exit 2), numeric addresses work;
#   -s/-p  the client connects from that address and port: the listener
#        reports the peer as 127.0.0.1:PORT;
#   -l -p PORT -s ADDR  listens there, as nc -l -p does.

. "${srcdir:-.}/tests/integration/rcat-lib.sh"

rcat_setup nc

# --- -z ----------------------------------------------------------------------
start_listener probe --user-timeout 2000 127.0.0.1 0
timeout -k 10 20 "$RCAT" -z 127.0.0.1 "$port" < /dev/null > "$work/z.out" \
	2> "$work/z.err"
expect_status "-z toward a listener" 0 $? "$work/z.err"
[ -s "$work/z.out" ] && fail "-z wrote to stdout"
reap "$listener_pid"
expect_status "the listener probed by -z" 0 "$reaped" "$work/probe.err"
[ -s "$work/probe.out" ] && fail "-z sent data"
timeout -k 10 20 "$RCAT" -z 127.0.0.1 "$port" < /dev/null > /dev/null \
	2> "$work/z2.err"
expect_status "-z where nothing listens" 1 $? "$work/z2.err"
grep -q refused "$work/z2.err" || fail "-z refused: $(cat "$work/z2.err")"
echo "ok: -z: 0 when accepted, 1 when refused"

# --- -n ----------------------------------------------------------------------
timeout -k 10 20 "$RCAT" -n -d localhost 9 < /dev/null > /dev/null \
	2> "$work/n1.err"
expect_status "-n with a host name" 1 $? "$work/n1.err"
timeout -k 10 20 "$RCAT" -n -d 127.0.0.1 http < /dev/null > /dev/null \
	2> "$work/n2.err"
expect_status "-n with a service name" 2 $? "$work/n2.err"
grep -q 'not a number' "$work/n2.err" || fail "-n: $(cat "$work/n2.err")"
gen_data "$work/n.data" 20000
start_listener num 127.0.0.1 0
timeout -k 10 60 "$RCAT" -n 127.0.0.1 "$port" < "$work/n.data" > /dev/null \
	2> "$work/n3.err"
expect_status "-n with numbers" 0 $? "$work/n3.err"
reap "$listener_pid"
same_bytes "-n" "$work/n.data" "$work/num.out"

# --- -s and -p ---------------------------------------------------------------
# A free port: one a listener was given, and gave back.
start_listener free 127.0.0.1 0
src=$port
kill "$listener_pid"
wait "$listener_pid"
start_listener src -v 127.0.0.1 0
timeout -k 10 60 "$RCAT" -s 127.0.0.1 -p "$src" 127.0.0.1 "$port" \
	< "$work/n.data" > /dev/null 2> "$work/src.err"
expect_status "-s/-p client" 0 $? "$work/src.err"
reap "$listener_pid"
expect_status "the peer of -s/-p" 0 "$reaped" "$work/src.err"
grep -q "<-> 127\.0\.0\.1:$src\$" "$work/src.err" || {
	cat "$work/src.err" >&2
	fail "-s 127.0.0.1 -p $src: the listener saw another source"
}
same_bytes "-s/-p" "$work/n.data" "$work/src.out"

# --- -l -p PORT -s ADDR --------------------------------------------------------
rm -f "$work/lp.port"
timeout -k 10 "$RCAT_TIMEOUT" "$RCAT" -l -p 0 -s 127.0.0.1 \
	--port-file "$work/lp.port" < /dev/null > "$work/lp.out" \
	2> "$work/lp.err" &
lp=$!
rcat_pids="$rcat_pids $lp"
i=0
while [ ! -s "$work/lp.port" ]; do
	i=$((i + 1))
	[ $i -le 200 ] || fail "-l -p 0: no port in 10 s"
	sleep 0.05
done
timeout -k 10 60 "$RCAT" 127.0.0.1 "$(cat "$work/lp.port")" < "$work/n.data" \
	> /dev/null 2> "$work/lpc.err"
expect_status "client of -l -p" 0 $? "$work/lpc.err"
reap "$lp"
expect_status "-l -p 0 -s 127.0.0.1" 0 "$reaped" "$work/lp.err"
same_bytes "-l -p -s" "$work/n.data" "$work/lp.out"
timeout -k 10 10 "$RCAT" -l -p 1 127.0.0.1 2 < /dev/null 2> /dev/null
expect_status "-l with both -p and PORT" 2 $?
echo "ok: -n, -s, -p and -l -p"
exit 0
