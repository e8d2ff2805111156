#!/bin/sh
# scenario-parse.sh: every shipped profile and scenario parses; bad lines
# are refused with exit 2 and a message naming the file, the line and the
# fault; the plans printed for both backends carry what the timeline says.
# Needs no root: only `replay --check` and `replay --dry-run` run.

: "${srcdir:=.}"
replay=$srcdir/netem-scripts/replay
tmp=$(mktemp -d "${TMPDIR:-/tmp}/scenario-parse.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "scenario-parse.sh: FAIL: $*" >&2
	failures=$((failures + 1))
}

for f in "$srcdir"/netem-scripts/profiles/*.netem \
	 "$srcdir"/netem-scripts/scenarios/*.scn; do
	"$replay" --check "$f" >/dev/null || fail "$f does not parse"
done

# bad EXT LINE EXPECTED: a file of LINE (printf escapes allowed) is
# refused with exit 2 and a message containing EXPECTED.
bad() {
	printf "$2\n" >"$tmp/bad.$1"
	"$replay" --check "$tmp/bad.$1" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" != 2 ]; then
		fail "'$2': exit $rc, expected 2"
	elif ! grep -qF -- "$3" "$tmp/err"; then
		fail "'$2': message '$(cat "$tmp/err")' lacks '$3'"
	fi
}

bad scn 'at 5x loss 30%%' "bad.scn:1: bad time '5x'"
bad scn 'at 5s lose 30%%' "bad.scn:1: 'lose' is neither a profile"
bad scn 'at 5s loss 130%%' "loss needs a percentage"
bad scn 'at 5s up\nat 3s down' "bad.scn:2: time 3s is before"
bad scn 'at 1s nosuchprofile' "'nosuchprofile' is neither a profile"
bad scn '5s loss 3%%' "expected 'at TIME ACTION'"
bad scn 'at 1s' "needs an action"
bad scn 'at 1s delay' "delay needs a TIME"
bad scn 'at 1s reorder 10%%' "reorder needs a delay"
bad scn 'at 1s loss 1%% loss 2%%' "'loss' given twice"
bad scn 'at 1s down now' "'down' takes no parameters"
bad scn 'at 1s lan fast' "profile 'lan' takes no parameters"
bad scn 'at 1s delay 1ms 2ms distribution cauchy' "unknown distribution"
bad scn 'at 1s loss gemodel x' "loss gemodel needs P"
bad scn 'at 1s rate 0mbit' "rate needs a RATE"
bad scn 'at 1s a2b limit -3' "limit needs a packet count"
bad scn 'at 1s both jitter 3ms' "unknown netem parameter 'jitter'"
bad scn '# only a comment' "no 'at TIME ACTION' steps"
bad scn '# replay: size=lots\nat 0s clean' "bad setting 'size=lots'"
bad netem 'sideways delay 1ms' "unknown direction 'sideways'"
bad netem 'a2b delay 1ms\nboth loss 1%%' "bad.netem:2: a2b is already set on line 1"
bad netem 'b2a' "netem parameters expected"

# want PLAN TEXT: the printed plan contains the line TEXT.
want() {
	grep -qF -- "$2" "$1" || fail "plan $(basename "$1") lacks '$2'"
}

printf 'at 0s both delay 10ms rate 20mbit\nat 2s down\nat 5s up\nat 6s a2b loss 1%%\nat 7s clean\n' \
	>"$tmp/plan.scn"
"$replay" --dry-run --backend netem "$tmp/plan.scn" >"$tmp/netem" ||
	fail "--dry-run --backend netem failed"
want "$tmp/netem" "0s tc -n NS_A qdisc add dev rdt-a root netem delay 10ms rate 20mbit"
# down keeps the delay and rate, so packets queued before it still leave.
want "$tmp/netem" "2s tc -n NS_B qdisc change dev rdt-b root netem delay 10ms rate 20mbit loss 100%"
want "$tmp/netem" "5s tc -n NS_A qdisc change dev rdt-a root netem delay 10ms rate 20mbit loss 0%"
# Dropping the rate cannot be done by "change": the qdisc is replaced.
want "$tmp/netem" "6s tc -n NS_A qdisc del dev rdt-a root"
want "$tmp/netem" "6s tc -n NS_A qdisc add dev rdt-a root netem loss 1%"
want "$tmp/netem" "7s tc -n NS_B qdisc del dev rdt-b root"
"$replay" --dry-run --backend impair "$tmp/plan.scn" >"$tmp/impair" ||
	fail "--dry-run --backend impair failed"
want "$tmp/impair" "0s rdt-impair --a2b delay 10ms rate 20mbit --b2a delay 10ms rate 20mbit"
want "$tmp/impair" "2s control: down"
want "$tmp/impair" "5s control: up"
want "$tmp/impair" "6s control: a2b loss 1%"
want "$tmp/impair" "7s control: b2a delay 0ms"

[ "$failures" = 0 ] || exit 1
echo "scenario-parse.sh: PASS"
