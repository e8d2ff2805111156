#!/bin/sh
# scenario-parse.sh: every shipped profile and scenario parses; bad lines
# are refused with exit 2 and a message naming the file, the line and the
# fault; the plans printed for both backends carry what the timeline says.
# Needs no root: only `replay --check` and `replay --dry-run` run.

: "${srcdir:=.}"
: "${top_builddir:=.}"
export top_builddir
replay=$srcdir/netem-scripts/replay
impair=${RDT_IMPAIR:-$top_builddir/tools/rdt-impair/rdt-impair}
[ -x "$impair" ] || {
	echo "SKIP: rdt-impair, which checks the profiles, is not built"
	exit 77
}
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
bad scn 'at 5s loss 130%%' "bad.scn:1: both: loss: bad percentage"
bad scn 'at 5s up\nat 3s down' "bad.scn:2: time 3s is before"
bad scn 'at 1s nosuchprofile' "'nosuchprofile' is neither a profile"
bad scn '5s loss 3%%' "expected 'at TIME ACTION'"
bad scn 'at 1s' "needs an action"
bad scn 'at 1s delay' "bad.scn:1: both: delay"
bad scn 'at 1s reorder 10%%' "reordering needs a delay"
bad scn 'at 1s loss 1%% loss 2%%' "loss: given twice"
bad scn 'at 1s down now' "'down' takes no parameters"
bad scn 'at 1s lan fast' "profile 'lan' takes no parameters"
bad scn 'at 1s delay 1ms 2ms distribution cauchy' "unknown distribution"
bad scn 'at 1s slot 1ms' "slot: not supported by rdt-impair"
bad scn 'at 1s a2b limit -3' "bad.scn:1: a2b: limit"
bad scn 'at 1s both jitter 3ms' 'unknown keyword "jitter"'
bad scn '# only a comment' "no 'at TIME ACTION' steps"
bad scn '# replay: size=lots\nat 0s clean' "bad setting 'size=lots'"
bad netem 'sideways delay 1ms' 'bad.netem:1: unknown command "sideways"'
bad netem 'a2b delay 1ms\nb2a loss 1%% loss 2%%' "bad.netem:2: b2a: loss: given twice"

# One grammar: every line of this table goes, as a profile, through
# rdt-impair --check and replay --check, and as a scenario step through
# replay --check; all must give the table's verdict, and for a profile
# replay must show rdt-impair's own "FILE:LINE: reason".  The accepted
# lines are tc-netem's syntax (tc-netem(8)), units included.
tab=$(printf '\t')
cat >"$tmp/table" <<'EOF'
ok	both rate 10Mbit
ok	both rate 10mbit
ok	a2b rate 500kbps
ok	b2a rate 1gibit
ok	both rate 100kbit 20 48 -4
ok	both delay 100
ok	both delay 10ms 5ms
ok	both delay 10ms 5ms 25%
ok	both delay 1.5s
ok	both delay 200usec 50us distribution pareto
ok	both latency 10ms
ok	both delay 10ms 5ms distribution normal loss 2% rate 20mbit
ok	both loss 1%
ok	both loss 0.5
ok	both loss random 1% 25%
ok	both drop 1%
ok	both loss gemodel 1% 30% 100% 0%
ok	both loss gemodel 1%
ok	a2b duplicate 5% 10%
ok	a2b corrupt 0.1%
ok	both delay 10ms reorder 25% 50%
ok	both delay 10ms reorder 25% gap 5
ok	both limit 100
ok	both
bad	both rate 0mbit
bad	both rate fast
bad	both rate
bad	both delay
bad	both delay 10parsecs
bad	both loss 101%
bad	both loss -1%
bad	both loss 1% loss 2%
bad	both loss state 1%
bad	both reorder 25%
bad	both gap 5
bad	both delay 10ms distribution normal
bad	both delay 10ms 1ms distribution cauchy
bad	both limit 0
bad	both limit many
bad	both slot 1ms
bad	both ecn
bad	both jitter 3ms
bad	sideways delay 1ms
bad	down
EOF
n=0
while IFS=$tab read -r want line; do
	n=$((n + 1))
	printf '%s\n' "$line" >"$tmp/t.netem"
	"$impair" --check "$tmp/t.netem" >/dev/null 2>"$tmp/err.i"
	ri=$?
	"$replay" --check "$tmp/t.netem" >/dev/null 2>"$tmp/err.r"
	rr=$?
	# The same parameters as a scenario step.
	case $line in
	a2b*|b2a*|both*)
		printf 'at 0s %s\n' "$line" >"$tmp/t.scn"
		"$replay" --check "$tmp/t.scn" >/dev/null 2>"$tmp/err.s"
		rs=$? ;;
	*) rs=$rr ;;
	esac
	case $want in
	ok)
		[ "$ri" = 0 ] || fail "rdt-impair refuses '$line': $(cat "$tmp/err.i")"
		[ "$rr" = 0 ] || fail "replay refuses the profile '$line': $(cat "$tmp/err.r")"
		[ "$rs" = 0 ] || fail "replay refuses the step '$line': $(cat "$tmp/err.s")" ;;
	bad)
		[ "$ri" = 1 ] || fail "rdt-impair accepts '$line' (exit $ri)"
		grep -q "t.netem:1: " "$tmp/err.i" ||
			fail "rdt-impair's message for '$line' lacks FILE:LINE: $(cat "$tmp/err.i")"
		[ "$rr" = 2 ] || fail "replay accepts the profile '$line' (exit $rr)"
		cmp -s "$tmp/err.i" "$tmp/err.r" ||
			fail "replay words '$line' otherwise than rdt-impair: $(cat "$tmp/err.r")"
		[ "$rs" = 2 ] || fail "replay accepts the step '$line' (exit $rs)" ;;
	*) fail "table line $n: '$want'?" ;;
	esac
done <"$tmp/table"
[ "$n" -ge 40 ] || fail "the grammar table was not read ($n lines)"

# A later profile line replaces an earlier one, in replay as in the relay.
printf 'both delay 1ms\na2b loss 1%%\n' >"$tmp/later.netem"
"$replay" --dry-run --backend impair "$tmp/later.netem" >"$tmp/later" ||
	fail "a profile setting a2b twice was refused"
grep -qF -- "--a2b loss 1% --b2a delay 1ms" "$tmp/later" ||
	fail "the later a2b line did not win: $(cat "$tmp/later")"

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
