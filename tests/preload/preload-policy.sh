#!/bin/sh
# preload-policy.sh: rdt-run's policy options take effect, with netcat-
# openbsd against kernel TCP peers on loopback.
#   1. By default a client's socket is rdt: against a TCP listener it is
#      refused (nothing listens on the UDP port).
#   2. --exclude :PORT and --exclude ADDR: the client stays TCP and its
#      bytes reach a kernel TCP listener; nothing is logged as rdt.
#   3. --ports OTHER: a port not in the list stays TCP; so does a socket
#      bound before it connects.
#   4. A listener under --exclude ADDR accepts a kernel TCP client.
# Each case moves 1 MiB one way and compares it byte for byte.

. "${srcdir:-.}/tests/preload/preload-lib.sh"

preload_setup policy
need nc
nc -h 2>&1 | grep -q OpenBSD || skip "nc is not netcat-openbsd"

gen_data "$work/data" 1048576

# tcp_listening PORT: a kernel TCP socket listens on PORT.
tcp_listening() {
	hex=$(printf ':%04X ' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk -v h="$hex" 'NR > 1 && index($2 " ", h) && $4 == "0A" { f = 1 }
			END { exit !f }'
}

# tcp_server NAME [WRAP...]: `nc -l` on a fresh port ($port), its output
# in $work/NAME.out, run with WRAP in front (e.g. rdt-run options); waits
# (bounded) until the kernel TCP socket listens, or, under rdt-run, the
# UDP port is bound.
tcp_server() {
	name=$1
	shift
	for attempt in 1 2 3 4 5; do
		port=$(($(free_port) + attempt * 89))
		tcp_listening "$port" && continue
		udp_bound "$port" && continue
		timeout -k 10 "$RCAT_TIMEOUT" "$@" nc -l 127.0.0.1 "$port" \
			< /dev/null > "$work/$name.out" 2> "$work/$name.err" &
		server_pid=$!
		rcat_pids="$rcat_pids $server_pid"
		i=0
		while ! tcp_listening "$port" && ! udp_bound "$port"; do
			kill -0 "$server_pid" 2>/dev/null || break
			i=$((i + 1))
			[ $i -le 200 ] || fail "$name: not listening in 10 s"
			sleep 0.05
		done
		kill -0 "$server_pid" 2>/dev/null && return 0
		wait "$server_pid" 2>/dev/null
	done
	fail "$name: could not listen on any of 5 ports"
}

# no_rdt FILE: a pcap log that holds no datagram (24 bytes: the header).
no_rdt() {
	n=$(wc -c < "$1" 2>/dev/null || echo 0)
	[ "$n" -le 24 ] || fail "$1: $n bytes of rdt datagrams logged"
}

# 1. The default: rdt, so a kernel TCP listener is out of reach.
tcp_server refused
timeout -k 10 60 "$RDT_RUN" nc -N 127.0.0.1 "$port" < "$work/data" \
	> /dev/null 2> "$work/refused.cli.err"
st=$?
[ "$st" -ne 0 ] && [ "$st" -ne 124 ] ||
	fail "default: an rdt client reached a TCP listener (status $st)"
echo "ok: default: the client's socket was rdt (refused by TCP's port)"
kill "$server_pid"
wait "$server_pid" 2>/dev/null

# client_case NAME RDT-RUN-OPTIONS...: a client under rdt-run with the
# options sends the data to a kernel TCP listener.
client_case() {
	name=$1
	shift
	tcp_server "$name"
	eval "set -- $*"
	timeout -k 10 60 "$RDT_RUN" -P "$work/$name.pcap" "$@" nc ${NC_EXTRA:-} -N \
		127.0.0.1 "$port" < "$work/data" > /dev/null \
		2> "$work/$name.cli.err"
	expect_status "$name: client" 0 $? "$work/$name.cli.err"
	reap "$server_pid"
	expect_status "$name: server" 0 "$reaped" "$work/$name.err"
	same_bytes "$name" "$work/data" "$work/$name.out"
	no_rdt "$work/$name.pcap"
}

client_case exclude-port '-x ":$port"'
client_case exclude-addr '-x 10.0.0.0/8 -x 127.0.0.0/8'
client_case ports-other '-p "$((port + 1))-$((port + 3)),80"'
# Bound before connecting (nc -s binds port 0): the kernel TCP socket
# that replaces it is bound to the address, with a port of its own.
NC_EXTRA="-s 127.0.0.1" client_case bound-first '-x ":$port"'

# 4. A listener excluded by address: a kernel TCP client reaches it.
tcp_server listener "$RDT_RUN" -P "$work/listener.pcap" -x 127.0.0.1
tcp_listening "$port" || fail "listener: not a kernel TCP listener"
timeout -k 10 60 nc -N 127.0.0.1 "$port" < "$work/data" > /dev/null \
	2> "$work/listener.cli.err"
expect_status "listener: client" 0 $? "$work/listener.cli.err"
reap "$server_pid"
expect_status "listener: server" 0 "$reaped" "$work/listener.err"
same_bytes "listener" "$work/data" "$work/listener.out"
no_rdt "$work/listener.pcap"
exit 0
