#!/bin/sh
# bench-relay.sh: rdt's goodput through rdt-impair set to impair nothing,
# against the same transfer straight over loopback, same run (issue 13:
# the relay must not be the bottleneck of the lossy tests).
#
#   tests/bench/bench-relay.sh [MIB [ROUNDS]]
#
# Each round sends MIB MiB (default 1024) with reliable-cat, once
# directly and once through the relay, and reads the goodput from
# reliable-cat's --stats.  Prints every round and the medians, with the
# ratio relayed/direct.  A benchmark: it fails only when a transfer
# does; the relay's own datagram figure is tests/impair/impair-bench's.

set -u
mib=${1:-1024}
rounds=${2:-3}
top=${top_builddir:-.}
RCAT=$top/tools/reliable-cat/reliable-cat
IMPAIR=$top/tools/rdt-impair/rdt-impair
for p in "$RCAT" "$IMPAIR"; do
	[ -x "$p" ] || { echo "bench-relay: $p not built" >&2; exit 2; }
done
command -v python3 >/dev/null || { echo "bench-relay: needs python3" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-relay.XXXXXX") || exit 2
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# wait_for FILE PID WHAT: until FILE is non-empty, while PID lives, 10 s.
wait_for() {
	i=0
	until [ -s "$1" ]; do
		kill -0 "$2" 2>/dev/null || { cat "$work"/*.err >&2; echo "bench-relay: $3 exited" >&2; exit 1; }
		i=$((i + 1))
		[ $i -le 200 ] || { echo "bench-relay: $3 not ready in 10 s" >&2; exit 1; }
		sleep 0.05
	done
}

# transfer VIA: one transfer of $mib MiB, "direct" or "relay"; prints Mbit/s.
transfer() {
	rm -f "$work/port" "$work/relay.err"
	timeout -k 5 600 "$RCAT" -l --port-file "$work/port" 127.0.0.1 0 \
		< /dev/null > /dev/null 2> "$work/srv.err" &
	srv=$!
	pids="$pids $srv"
	wait_for "$work/port" $srv "the receiver"
	port=$(cat "$work/port")
	relay=
	if [ "$1" = relay ]; then
		timeout -k 5 600 "$IMPAIR" -v --listen 127.0.0.1:0 \
			--forward "127.0.0.1:$port" --stats /dev/null \
			2> "$work/relay.err" &
		relay=$!
		pids="$pids $relay"
		until port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' \
			"$work/relay.err") && [ -n "$port" ]; do
			kill -0 $relay 2>/dev/null || { cat "$work/relay.err" >&2; exit 1; }
			sleep 0.05
		done
	fi
	head -c $((mib * 1048576)) /dev/zero |
		timeout -k 5 600 "$RCAT" --stats "$work/cli.json" 127.0.0.1 "$port" \
			> /dev/null 2> "$work/cli.err" ||
		{ cat "$work/cli.err" >&2; echo "bench-relay: $1 transfer failed" >&2; exit 1; }
	wait $srv || { cat "$work/srv.err" >&2; echo "bench-relay: receiver failed" >&2; exit 1; }
	if [ -n "$relay" ]; then
		kill $relay 2>/dev/null
		wait $relay 2>/dev/null
	fi
	pids=
	python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print("%.0f" % (s["bytes_sent"] * 8 / s["duration_s"] / 1e6))' "$work/cli.json"
}

direct= relayed=
r=1
while [ $r -le "$rounds" ]; do
	d=$(transfer direct) || exit 1
	v=$(transfer relay) || exit 1
	echo "round $r: $mib MiB direct $d Mbit/s, through rdt-impair $v Mbit/s"
	direct="$direct $d" relayed="$relayed $v"
	r=$((r + 1))
done
python3 - "$direct" "$relayed" <<'EOF'
import statistics, sys
d = statistics.median(float(x) for x in sys.argv[1].split())
v = statistics.median(float(x) for x in sys.argv[2].split())
print("rdt through rdt-impair (no impairment): median %.0f Mbit/s; "
      "direct %.0f Mbit/s; relayed/direct %.2f" % (v, d, v / d))
EOF
