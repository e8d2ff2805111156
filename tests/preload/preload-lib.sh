# preload-lib.sh: shared by the tests that run real TCP programs under
# rdt-run (tests/preload/*.sh); sourced, not run.  It builds on
# tests/integration/rcat-lib.sh (work directory, PID bookkeeping and
# cleanup on any exit, byte comparison) and adds:
#
#   rdt_run ARGS...     tools/rdt-run/rdt-run with the build tree's
#                       preload library and librdt
#   need PROGRAM...     skip (77) with the reason when one is missing
#   free_port           a port number for a program that cannot listen
#                       on port 0; start_server retries on a collision
#   start_server NAME PORT CMD...   run CMD under rdt-run in the
#                       background, logging its datagrams to
#                       $work/NAME.pcap, and wait (bounded) until its UDP
#                       port is bound
#   tcp_watch_start PORT / tcp_watch_count   as root with tcpdump: count
#                       TCP segments of PORT on loopback (must be 0)
#   pcap_bytes FILE     stream bytes each way that rdt-pcap saw in FILE
#
# Sizes: RDT_TEST_LONG=1 moves the issue's 256 MiB, RDT_TEST_QUICK=1 a
# few MiB, otherwise 16 MiB (size_mib).
#
# Where: with PRELOAD_WHERE=netns (set by the preload-netns-*.sh
# wrappers before they source a test), preload_setup puts the server in
# one network namespace and the client in another, joined by a veth pair
# it creates and removes; a test then addresses the server as $SRV_ADDR,
# runs its clients under $CLI_WRAP and its server under $NS_WRAP, and
# watches $WATCH_IF for TCP.  By default all four name loopback.

. "${srcdir:-.}/tests/integration/rcat-lib.sh"

builddir=${top_builddir:-.}
RDT_RUN=$builddir/tools/rdt-run/rdt-run
RDT_PCAP_TOOL=$builddir/tools/rdt-pcap/rdt-pcap
export RDT_PRELOAD_LIB="$builddir/.libs/librdt-preload.so"
# The uninstalled preload library finds the uninstalled librdt.
export LD_LIBRARY_PATH="$builddir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# Connections still open at exit get this long to drain (librdt's
# default is 10 s); a healthy test has none.
export RDT_EXIT_LINGER=${RDT_EXIT_LINGER:-5}

# preload_setup NAME: the work directory and traps, the checks that the
# tools under test were built, and the place (PRELOAD_WHERE, above).
preload_setup() {
	rcat_setup "$1"
	[ -x "$RDT_RUN" ] || { echo "$1: $RDT_RUN not built" >&2; exit 99; }
	[ -f "$RDT_PRELOAD_LIB" ] ||
		{ echo "$1: $RDT_PRELOAD_LIB not built" >&2; exit 99; }
	sanitizer_preload
	case "${PRELOAD_WHERE:-loopback}" in
	loopback) ;;
	netns) netns_place ;;
	*) echo "$1: PRELOAD_WHERE=$PRELOAD_WHERE: loopback or netns" >&2
	   exit 99 ;;
	esac
}

SRV_ADDR=127.0.0.1
CLI_ADDR=127.0.0.1
CLI_WRAP=
NS_WRAP=${NS_WRAP:-}
WATCH_IF=lo

netns_cleanup() {
	ip netns del "$ns_srv" 2>/dev/null
	ip netns del "$ns_cli" 2>/dev/null
}

# netns_place: two namespaces joined by a veth pair, removed on any exit
# (rcat_cleanup).  Addresses from 198.18.0.0/15 (RFC 2544), which exist
# only inside the two namespaces; interface names are at most 15 bytes.
netns_place() {
	[ "$(id -u)" = 0 ] || skip "needs root to create network namespaces"
	command -v ip >/dev/null 2>&1 || skip "ip (iproute2) not found"
	ns_cli=prl-$$-c
	ns_srv=prl-$$-s
	rcat_on_cleanup=netns_cleanup
	ip netns add "$ns_cli" || skip "cannot create a network namespace here"
	ip netns add "$ns_srv" || fail "ip netns add $ns_srv"
	ip link add "pl$$c" netns "$ns_cli" type veth peer name "pl$$s" \
		netns "$ns_srv" || fail "cannot create the veth pair"
	ip -n "$ns_cli" addr add 198.18.0.1/24 dev "pl$$c" || fail "address c"
	ip -n "$ns_srv" addr add 198.18.0.2/24 dev "pl$$s" || fail "address s"
	for ns in "$ns_cli" "$ns_srv"; do
		ip -n "$ns" link set lo up || fail "lo up in $ns"
	done
	ip -n "$ns_cli" link set "pl$$c" up || fail "veth up in $ns_cli"
	ip -n "$ns_srv" link set "pl$$s" up || fail "veth up in $ns_srv"
	SRV_ADDR=198.18.0.2
	CLI_ADDR=198.18.0.1
	CLI_WRAP="ip netns exec $ns_cli"
	NS_WRAP="ip netns exec $ns_srv"
	WATCH_IF=pl$$s
	echo "netns: server in $ns_srv ($SRV_ADDR), client in $ns_cli" \
		"($CLI_ADDR), veth pl$$c-pl$$s"
}

# A sanitizer build's preload library needs its runtime loaded before
# anything else, and the programs under test are not instrumented: their
# own leaks are not ours to report.
sanitizer_preload() {
	rt=$(ldd "$RDT_PRELOAD_LIB" 2>/dev/null |
		awk '/lib(asan|tsan|ubsan)[.]so/ { print $3 }' | head -n 1)
	if [ -n "$rt" ]; then
		export LD_PRELOAD="$rt${LD_PRELOAD:+ $LD_PRELOAD}"
		export ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	fi
}

# runs_under_sanitizer CMD...: in a sanitizer build, whether CMD (a
# quick command such as `curl --version`) runs at all with the sanitizer
# runtime preloaded; some programs do not (curl hangs at start with
# libasan preloaded, with or without rdt), and a test of them is then
# skipped with that reason.  Always true in a normal build.
runs_under_sanitizer() {
	case "${LD_PRELOAD:-}" in
	*lib[at]san*|*libubsan*) ;;
	*) return 0 ;;
	esac
	timeout -k 10 10 "$@" > /dev/null 2>&1 ||
		skip "$1 does not run with the sanitizer runtime preloaded" \
			"(a sanitizer build; unrelated to rdt)"
}

rdt_run() {
	"$RDT_RUN" "$@"
}

need() {
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 ||
			skip "$p is not installed (Debian: see .ci/run)"
	done
}

# size_mib LONG DEFAULT QUICK: the size to move, in bytes.
size_mib() {
	if [ "${RDT_TEST_LONG:-0}" = 1 ]; then
		echo $(($1 * 1048576))
	elif [ "${RDT_TEST_QUICK:-0}" = 1 ]; then
		echo $(($3 * 1048576))
	else
		echo $(($2 * 1048576))
	fi
}

# A port in 20000..59999, from the shell's PID and clock so that
# parallel tests start apart; start_server moves on if it is taken.
free_port() {
	echo $(( (($$ * 7919) + $(date +%N | sed 's/^0*//;s/^$/0/')) % 40000 + 20000 ))
}

# udp_bound PORT: is a UDP socket bound to PORT (IPv4 or IPv6)?
udp_bound() {
	hex=$(printf ':%04X ' "$1")
	$NS_WRAP cat /proc/net/udp /proc/net/udp6 2>/dev/null |
		awk -v h="$hex" 'NR > 1 && index($2 " ", h) { f = 1 } END { exit !f }'
}

# start_server NAME PORT CMD...: CMD (its arguments may use $port) runs
# under rdt-run in the background, stdin from $server_in (default
# /dev/null), output in
# $work/NAME.out/.err.  Waits until it has bound PORT over UDP: at most
# 10 s.  If it exits first because the port was taken, the caller's
# retry loop (start_server_retry) picks another.  Sets $server_pid.
start_server() {
	name=$1
	sport=$2
	shift 2
	timeout -k 10 "$RCAT_TIMEOUT" $NS_WRAP "$RDT_RUN" -P "$work/$name.pcap" "$@" \
		< "${server_in:-/dev/null}" > "$work/$name.out" \
		2> "$work/$name.err" &
	server_pid=$!
	rcat_pids="$rcat_pids $server_pid"
	i=0
	while ! udp_bound "$sport"; do
		kill -0 "$server_pid" 2>/dev/null || return 1
		i=$((i + 1))
		[ $i -le 200 ] || fail "$name: port $sport not bound in 10 s"
		sleep 0.05
	done
	return 0
}

# start_server_retry NAME CMD-WITH-$port...: start_server on a free port,
# up to 5 ports.  The command is a string evaluated with $port set.
start_server_retry() {
	name=$1
	shift
	for attempt in 1 2 3 4 5; do
		port=$(free_port)
		port=$((port + attempt * 97))
		if ! udp_bound "$port" && eval "start_server $name $port $*"
		then
			return 0
		fi
		# Nothing was started when the port was found taken.
		[ -n "${server_pid:-}" ] && wait "$server_pid" 2>/dev/null
	done
	cat "$work/$name.err" >&2
	fail "$name: could not start on any of 5 ports"
}

# tcp_watch_start PORT [IFACE]: as root with tcpdump, capture TCP
# segments of PORT on IFACE (default $WATCH_IF; in $NS_WRAP's namespace) in the
# background (bounded wait until it listens).
tcp_watch=false
tcp_watch_start() {
	tcp_watch=false
	if [ "$(id -u)" -ne 0 ] || ! command -v tcpdump >/dev/null 2>&1; then
		echo "note: not root or no tcpdump: no TCP capture"
		return 0
	fi
	timeout -k 10 "$RCAT_TIMEOUT" $NS_WRAP tcpdump -i "${2:-$WATCH_IF}" -n -U \
		-w "$work/tcp.pcap" "tcp port $1" 2> "$work/tcpdump.err" &
	tcpdump_pid=$!
	rcat_pids="$rcat_pids $tcpdump_pid"
	i=0
	while ! grep -q 'listening on' "$work/tcpdump.err" 2>/dev/null; do
		if ! kill -0 "$tcpdump_pid" 2>/dev/null; then
			echo "note: tcpdump could not capture:" \
				"$(cat "$work/tcpdump.err")"
			return 0
		fi
		i=$((i + 1))
		[ $i -le 200 ] || fail "tcpdump not listening after 10 s"
		sleep 0.05
	done
	tcp_watch=true
}

# tcp_watch_check PORT [IFACE]: stop the capture; fail if it holds a
# segment.
tcp_watch_check() {
	$tcp_watch || return 0
	kill -INT "$tcpdump_pid" 2>/dev/null
	wait "$tcpdump_pid" 2>/dev/null
	n=$(tcpdump -r "$work/tcp.pcap" -n 2>/dev/null | wc -l)
	[ "$n" -eq 0 ] || fail "$n TCP segments of port $1 on ${2:-$WATCH_IF}"
	echo "ok: no TCP segment of port $1 on ${2:-$WATCH_IF}"
}

# pcap_check FILE CONNS MIN_C2S MIN_S2C: rdt-pcap decodes FILE without a
# violation, finds CONNS connections, and at least MIN_C2S and MIN_S2C
# stream bytes each way in total.  Without rdt-pcap (no libpcap), the
# file must at least hold more bytes than were moved.
pcap_check() {
	f=$1
	[ -s "$f" ] || fail "$f: no rdt datagrams logged"
	if [ ! -x "$RDT_PCAP_TOOL" ]; then
		bytes=$(wc -c < "$f")
		[ "$bytes" -gt $(($3 + $4)) ] ||
			fail "$f: $bytes bytes, less than the transfer"
		echo "ok: $f holds $bytes bytes of rdt datagrams" \
			"(rdt-pcap not built)"
		return 0
	fi
	"$RDT_PCAP_TOOL" check "$f" > "$work/check.txt" 2>&1 ||
		{ cat "$work/check.txt" >&2; fail "rdt-pcap check $f"; }
	awk -v conns="$2" -v c2s="$3" -v s2c="$4" '
		NR == 1 { n = $(NF - 1) + 0 }
		$1 == "c2s:" { for (i = 1; i < NF; i++)
			if ($(i + 1) == "stream") a += $i }
		$1 == "s2c:" { for (i = 1; i < NF; i++)
			if ($(i + 1) == "stream") b += $i }
		END {
			printf "rdt-pcap: %d connections, %d bytes c2s, %d s2c\n", n, a, b
			exit !(n == conns && a >= c2s && b >= s2c)
		}' "$work/check.txt" ||
		{ cat "$work/check.txt" >&2; fail "$f: not the transfer"; }
	# Between namespaces the server's peer is the other namespace.
	[ "$CLI_ADDR" = 127.0.0.1 ] || grep -qF "$CLI_ADDR:" "$work/check.txt" ||
		fail "$f: the log does not show the client's address $CLI_ADDR"
	echo "ok: $f holds the transfer (rdt-pcap check: 0 violations)"
}

# pcap_settle FILE CONNS MIN_C2S MIN_S2C: before a server is stopped by
# a signal (which skips librdt's exit, where the log is flushed), wait
# until what the log's flusher thread writes every 100 ms holds the
# transfer; bounded at 10 s, after which pcap_check reports what is
# missing.
pcap_settle() {
	i=0
	while [ $i -lt 100 ]; do
		(pcap_check "$@") > /dev/null 2>&1 && return 0
		i=$((i + 1))
		sleep 0.1
	done
}

# now_ms: a monotonic-enough clock for printing durations (not asserted).
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}
