# rcat-lib.sh: shared by the rcat-*.sh integration tests; sourced, not run.
#
# Every test gets a private work directory, runs each reliable-cat under
# `timeout`, remembers the PID of everything it starts in the background
# and, on any exit, kills those PIDs (and nothing else), runs the test's
# own cleanup and removes the work directory.
#
# Ports: a listener is started on port 0 with --port-file and the test
# reads the port the system chose from that file, so parallel tests never
# collide and no port is guessed.
#
# Sizes: RDT_TEST_QUICK=1 (sanitizer and distcheck runs) selects the small
# size of each test.

set -u

RCAT=${RCAT:-${top_builddir:-.}/tools/reliable-cat/reliable-cat}
# Upper bound for any single reliable-cat run, seconds: far above what a
# healthy run needs, so only a hang reaches it.
RCAT_TIMEOUT=${RCAT_TIMEOUT:-300}

rcat_pids=""
rcat_work=""
# Set by a test to a command run first during cleanup (e.g. deleting
# network namespaces).
rcat_on_cleanup=""

rcat_cleanup() {
	status=$?
	trap - EXIT INT TERM HUP
	for pid in $rcat_pids; do
		kill "$pid" 2>/dev/null
	done
	for pid in $rcat_pids; do
		wait "$pid" 2>/dev/null
	done
	if [ -n "$rcat_on_cleanup" ]; then
		$rcat_on_cleanup
	fi
	if [ -n "$rcat_work" ] && [ -z "${RCAT_KEEP:-}" ]; then
		rm -rf "$rcat_work"
	fi
	exit $status
}

# rcat_setup NAME: create $work and install the cleanup traps.
rcat_setup() {
	if [ ! -x "$RCAT" ]; then
		echo "$1: $RCAT not built" >&2
		exit 99
	fi
	rcat_work=$(mktemp -d "${TMPDIR:-/tmp}/rcat-$1.XXXXXX") || exit 99
	work=$rcat_work
	trap rcat_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*"
	exit 77
}

# rcat_size FULL QUICK: the byte count to use, given in MiB.
rcat_size() {
	if [ "${RDT_TEST_QUICK:-0}" = 1 ]; then
		echo $(($2 * 1048576))
	else
		echo $(($1 * 1048576))
	fi
}

# gen_data FILE BYTES: random bytes, so that any misplaced, lost or
# repeated block changes the hash.
gen_data() {
	head -c "$2" /dev/urandom > "$1" || fail "cannot write $1"
}

sha() {
	sha256sum < "$1" | cut -d ' ' -f 1
}

# same_bytes WHAT EXPECTED ACTUAL: sizes and SHA-256 must match.
same_bytes() {
	a=$(wc -c < "$2")
	b=$(wc -c < "$3")
	[ "$a" = "$b" ] || fail "$1: $b bytes arrived, $a were sent"
	[ "$(sha "$2")" = "$(sha "$3")" ] ||
		fail "$1: SHA-256 differs ($2 vs $3)"
	echo "ok: $1: $a bytes, SHA-256 equal"
}

# run_bg CMD...: run CMD in the background under timeout; its PID is
# remembered in $rcat_pids and left in $bg_pid.
run_bg() {
	timeout -k 10 "$RCAT_TIMEOUT" "$@" &
	bg_pid=$!
	rcat_pids="$rcat_pids $bg_pid"
}

# start_listener NAME [ARGS...]: run `reliable-cat -l --port-file` in the
# background with stdout/stderr in $work/NAME.out/.err and stdin from
# $work/NAME.in if it exists (a file or a FIFO; else /dev/null).  ARGS
# end with the address and port 0.  Sets $port and $listener_pid.  Prefix
# the command with RCAT_WRAP (e.g. "ip netns exec NS") to run it
# elsewhere.
start_listener() {
	name=$1
	shift
	in=$work/$name.in
	[ -e "$in" ] || in=/dev/null
	rm -f "$work/$name.port"
	# Not through run_bg: an asynchronous command keeps the stdin we
	# give it only when the redirection is on the command itself.
	timeout -k 10 "$RCAT_TIMEOUT" ${RCAT_WRAP:-} "$RCAT" -l \
		--port-file "$work/$name.port" "$@" \
		< "$in" > "$work/$name.out" 2> "$work/$name.err" &
	listener_pid=$!
	rcat_pids="$rcat_pids $listener_pid"
	# Wait for the port, bounded: 200 * 0.05 s = 10 s.
	i=0
	while [ ! -s "$work/$name.port" ]; do
		if ! kill -0 "$listener_pid" 2>/dev/null; then
			cat "$work/$name.err" >&2
			fail "$name: listener exited before listening"
		fi
		i=$((i + 1))
		[ $i -le 200 ] || fail "$name: listener wrote no port in 10 s"
		sleep 0.05
	done
	port=$(cat "$work/$name.port")
}

# start_impair NAME ARGS...: rdt-impair (RDT_IMPAIR or the build's) in
# the background, listening on a port of its choosing, with ARGS, its
# stderr in $work/NAME.err; waits (10 s at most) for it to name the port
# in that file with -v.  Sets $relay (the port) and $relay_pid.
start_impair() {
	name=$1
	shift
	run_bg "${IMPAIR:-${top_builddir:-.}/tools/rdt-impair/rdt-impair}" -v \
		--listen 127.0.0.1:0 "$@" 2> "$work/$name.err"
	relay_pid=$bg_pid
	i=0
	until relay=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' \
		"$work/$name.err") && [ -n "$relay" ]; do
		kill -0 "$relay_pid" 2>/dev/null || {
			cat "$work/$name.err" >&2
			fail "rdt-impair exited"
		}
		i=$((i + 1))
		[ $i -le 200 ] || fail "rdt-impair named no port in 10 s"
		sleep 0.05
	done
}

# reap PID: wait for a background job; its exit status goes to $reaped.
# (Not a command substitution: a subshell cannot wait for our children.)
reap() {
	wait "$1"
	reaped=$?
}

# expect_status WHAT EXPECTED ACTUAL [ERRFILE]
expect_status() {
	if [ "$3" != "$2" ]; then
		[ -n "${4:-}" ] && cat "$4" >&2
		[ "$3" = 124 ] && fail "$1: timed out (killed after" \
			"${RCAT_TIMEOUT} s)"
		fail "$1: exit status $3, expected $2"
	fi
}

# json_check FILE PYTHON-EXPR: FILE holds one JSON object, bound to `s`,
# for which EXPR is true.  Needs python3; a missing python3 is reported
# and the check skipped (the caller decides what else to assert).
have_python=false
command -v python3 >/dev/null 2>&1 && have_python=true
json_check() {
	if ! $have_python; then
		echo "note: python3 missing, not checking $1"
		return 0
	fi
	python3 - "$1" "$2" <<'EOF' || fail "$1: JSON check failed: $2"
import json, sys
with open(sys.argv[1]) as f:
    text = f.read()
if text.count("\n") != 1 or not text.endswith("\n"):
    sys.exit("not exactly one line: %r" % text[:200])
s = json.loads(text)
keys = ("role local peer result error bytes_sent bytes_received "
        "duration_s goodput_send_mbps goodput_recv_mbps srtt_ms rttvar_ms "
        "min_rtt_ms cwnd pkts_sent pkts_received pkts_retransmitted "
        "bytes_retransmitted pkts_lost pkts_spurious_lost pkts_reordered "
        "pkts_duplicate tlp_count rto_count drop_checksum drop_malformed "
        "port_drop_checksum port_drop_malformed port_drop_unknown_cid")
missing = [k for k in keys.split() if k not in s]
if missing:
    sys.exit("missing keys: %s" % missing)
if not eval("(" + sys.argv[2] + ")", {}, {"s": s}):
    sys.exit("false: %s in %s" % (sys.argv[2], text.strip()))
EOF
}
