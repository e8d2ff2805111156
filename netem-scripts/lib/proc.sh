# netem-scripts/lib/proc.sh: running, waiting for and cleaning up processes.
# Sourced by netem-scripts/replay, never run; see the map there.

# --- running things --------------------------------------------------------

PIDS=
NS_A= NS_B=
WORK=
KEEP=0
RUN_FAILED=1
CONTROL_OPEN=0

# do_cmd CMD...: run CMD, or print it with --dry-run.
do_cmd() {
	if [ "$DRY_RUN" = 1 ]; then
		echo "  $PLAN_AT $*"
		return 0
	fi
	vlog "run: $*"
	"$@"
}

# start NAME CMD...: run CMD in the background, recording its PID in PIDS
# and in the variable PID_<NAME>.
start() {
	local name=$1
	shift
	"$@" &
	PIDS="$PIDS $!"
	printf -v "PID_$name" %s $!
	vlog "started $name (pid $!): $*"
}

# stop PID...: end the processes we started, TERM then KILL after 5 s.
stop() {
	local pid i
	for pid in "$@"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "$@"; do
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
}

cleanup() {
	local pid alive=
	for pid in $PIDS; do
		kill -0 "$pid" 2>/dev/null && alive="$alive $pid"
	done
	# shellcheck disable=SC2086
	[ -n "$alive" ] && stop $alive
	[ "$CONTROL_OPEN" = 1 ] && exec 9>&-
	[ -n "$NS_A" ] && ip netns del "$NS_A" 2>/dev/null
	[ -n "$NS_B" ] && ip netns del "$NS_B" 2>/dev/null
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if [ "$KEEP" = 1 ] || [ "$RUN_FAILED" = 1 ]; then
			echo "$PROG: work directory kept: $WORK" >&2
		else
			rm -rf "$WORK"
		fi
	fi
}

# wait_for WHAT PID LOG CMD...: poll CMD until it succeeds, for at most
# READY_TIMEOUT_S, while process PID (writing its messages to LOG) runs;
# fail with a message naming WHAT.
wait_for() {
	local what=$1 pid=$2 log=$3 i
	shift 3
	for ((i = 0; i < READY_TIMEOUT_S * 20; i++)); do
		"$@" && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			err "$what exited (status $?) before it was ready$(
				tail -1 "$log" 2>/dev/null | sed 's/^/: /')"
			return 1
		fi
		sleep 0.05
	done
	err "$what not ready after ${READY_TIMEOUT_S} s"
	return 1
}

# udp_bound NS PORT: something in NS has bound UDP port PORT.
udp_bound() {
	[ -n "$(ip netns exec "$1" ss -Hnlu "sport = :$2" 2>/dev/null)" ]
}

# capture_ready PID NS: process PID has a packet socket bound to an
# interface in NS, so the capture cannot miss the first packets.
capture_ready() {
	local pid=$1 ns=$2 inodes
	kill -0 "$pid" 2>/dev/null || return 1
	inodes=$(ls -l "/proc/$pid/fd" 2>/dev/null |
		sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p')
	[ -n "$inodes" ] || return 1
	# /proc/net/packet: sk RefCnt Type Proto Iface R Rmem User Inode
	ip netns exec "$ns" cat /proc/net/packet |
		awk -v list=" $(echo $inodes) " \
			'NR > 1 && $5 != 0 && index(list, " " $9 " ") { ok = 1 }
			 END { exit !ok }'
}

# now_us: microseconds since the epoch, without a fork.
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }

# json_get FILE KEY [OBJECT]: the value of KEY in the flat JSON object in
# FILE, or in its sub-object OBJECT; empty if absent.
json_get() {
	local text
	text=$(tr -d '\n' <"$1" 2>/dev/null) || return 0
	if [ -n "${3-}" ]; then
		text=$(sed -n "s/.*\"$3\"[[:space:]]*:[[:space:]]*{\([^}]*\)}.*/\1/p" <<<"$text")
	fi
	sed -n "s/.*\"$2\"[[:space:]]*:[[:space:]]*\"\{0,1\}\([^\",}]*\).*/\1/p" <<<"$text"
}
