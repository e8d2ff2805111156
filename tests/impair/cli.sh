#!/bin/sh
# cli.sh: rdt-impair's command line: --help, --version, and every kind of
# usage error giving exit status 2 and one line on stderr that names the
# problem.  Runtime errors (an address in use) give 1.  Run by
# `make check`; needs no network beyond loopback and no root.
set -u

relay=${top_builddir:-.}/tools/rdt-impair/rdt-impair
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rdt-impair-cli.XXXXXX") || exit 99
pids=""
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# expect STATUS PATTERN ARGS...: run the relay (bounded by --duration
# where it would run), check its exit status and that stderr is one
# line matching PATTERN (for status 2 and 1).
expect() {
	want=$1 pattern=$2
	shift 2
	timeout -k 10 10 "$relay" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		fail "rdt-impair $*: status $got, expected $want:" \
		     "$(cat "$tmp/err")"
		return
	fi
	if [ "$want" -ne 0 ]; then
		if [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
			fail "rdt-impair $*: not one line on stderr:" \
			     "$(cat "$tmp/err")"
		elif ! grep -q -- "$pattern" "$tmp/err"; then
			fail "rdt-impair $*: stderr lacks '$pattern':" \
			     "$(cat "$tmp/err")"
		fi
	fi
}

ok="-l 127.0.0.1:0 -f 127.0.0.1:9"

# Help and version.
expect 0 "" --help
grep -q "^Usage: rdt-impair" "$tmp/out" || fail "--help: no usage line"
grep -q "loss gemodel P" "$tmp/out" || fail "--help: no grammar"
grep -q "Exit status" "$tmp/out" || fail "--help: no exit status"
expect 0 "" -V
grep -q "^rdt-impair (rdt) [0-9]" "$tmp/out" || fail "-V: $(cat "$tmp/out")"

# Usage errors: status 2, one line naming the problem.
expect 2 "--listen is required" -f 127.0.0.1:9
expect 2 "--forward is required" -l 9000
expect 2 "unknown option --bogus" $ok --bogus
expect 2 "unknown option -x" $ok -x
expect 2 "--a2b needs an argument" $ok --a2b
expect 2 "-s needs an argument" $ok -s
expect 2 "unexpected argument \"extra\"" $ok extra
expect 2 "bad address \"127.0.0.1\" (expected HOST:PORT)" -l 0 -f 127.0.0.1
expect 2 "IPv6 address goes in brackets" -l 0 -f ::1:9
expect 2 "bad address \"\[::1:9\"" -l 0 -f '[::1:9'
expect 2 "--forward: bad port" -l 0 -f 127.0.0.1:0
expect 2 "--listen: bad port" -l 127.0.0.1:99999 -f 127.0.0.1:9
expect 2 "--forward nosuchhost.invalid:9" -l 0 -f nosuchhost.invalid:9
expect 2 "--a2b: unknown keyword \"bogus\"" $ok --a2b 'delay 1ms bogus'
expect 2 "--b2a: loss: bad percentage \"x\"" $ok --b2a 'loss random x'
expect 2 "--both: rate: bad rate \"fast\"" $ok --both 'rate fast'
expect 2 "--a2b: reorder: reordering needs a delay" $ok --a2b 'reorder 5%'
expect 2 "--seed: bad number \"-1\"" $ok --seed -1
expect 2 "--duration: bad number of seconds \"0\"" $ok --duration 0
expect 2 "--flow-timeout: bad number of seconds \"x\"" $ok --flow-timeout x
expect 2 "--max-flows: must be at least 1" $ok --max-flows 0

# Profiles: comments, blank lines, later lines win; errors name the line.
cat >"$tmp/good.profile" <<'EOF'
# a lossy path
both delay 10ms 2ms distribution normal

a2b loss gemodel 1% 20% 70% 0.1%   # bursts uplink only
b2a rate 10mbit limit 100
EOF
expect 0 "" $ok --profile "$tmp/good.profile" --duration 0.1
printf 'a2b delay 1ms\nb2a loss 1%% loss 2%%\n' >"$tmp/bad.profile"
expect 2 "bad.profile:2: b2a: loss: given twice" \
	$ok --profile "$tmp/bad.profile"
printf 'down\n' >"$tmp/down.profile"
expect 2 "down.profile:1: up and down are control commands" \
	$ok --profile "$tmp/down.profile"
expect 2 "nonexistent.profile: No such file" \
	$ok --profile "$tmp/nonexistent.profile"

# --check -v prints each good file's rate limits in bit/s (0: none), the
# last line for a direction winning; replay's utilization reads them.
# Units are tc's: powers of 1000, of 1024 (kibit...), bytes (bps).
printf 'both rate 10Mbit\na2b delay 1ms rate 500kbps\n' >"$tmp/r1.profile"
printf 'b2a rate 1gibit\n' >"$tmp/r2.profile"
printf 'a2b loss 1%%\n' >"$tmp/r3.profile"
expect 0 "" --check -v "$tmp/r1.profile" "$tmp/r2.profile" "$tmp/r3.profile"
printf '%s\n' \
	"$tmp/r1.profile: a2b rate_bps=4000000 b2a rate_bps=10000000" \
	"$tmp/r2.profile: a2b rate_bps=0 b2a rate_bps=1073741824" \
	"$tmp/r3.profile: a2b rate_bps=0 b2a rate_bps=0" >"$tmp/want"
cmp -s "$tmp/out" "$tmp/want" ||
	fail "--check -v printed: $(cat "$tmp/out")"
printf 'b2a rate 2500kbit\n' | "$relay" --check -v - >"$tmp/out" 2>&1
[ "$(cat "$tmp/out")" = "-: a2b rate_bps=0 b2a rate_bps=2500000" ] ||
	fail "--check -v -: $(cat "$tmp/out")"
# Without -v, --check prints nothing for good files.
expect 0 "" --check "$tmp/r1.profile"
[ -s "$tmp/out" ] && fail "--check without -v printed: $(cat "$tmp/out")"

# Runtime errors: status 1.
: >"$tmp/plain"
expect 1 "not a FIFO" $ok --control "$tmp/plain" --duration 0.1
expect 1 "--stats .*: No such file or directory" \
	$ok --stats "$tmp/no/such/dir/s.json" --duration 0.1

# An address in use: a relay holds a port, a second one cannot have it.
"$relay" -v -l 127.0.0.1:0 -f 127.0.0.1:9 --duration 20 \
	2>"$tmp/first.err" &
pids="$pids $!"
i=0
while ! grep -q "listening on" "$tmp/first.err" && [ $i -lt 500 ]; do
	sleep 0.02
	i=$((i + 1))
done
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' \
	"$tmp/first.err")
if [ -z "$port" ]; then
	fail "first relay did not start: $(cat "$tmp/first.err")"
else
	expect 1 "cannot listen: Address already in use" \
		-l "127.0.0.1:$port" -f 127.0.0.1:9
fi

if [ "$failures" -ne 0 ]; then
	echo "cli.sh: $failures failure(s)"
	exit 1
fi
echo "cli.sh: PASS"
