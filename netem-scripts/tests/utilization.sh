#!/bin/sh
# utilization.sh: the report's link utilization is goodput divided by the
# rate limit of the direction that carries the data, computed here from
# the rates written in this test's own profiles (not from replay's or
# rdt-impair's parse of them): b2a for a download, a2b for an upload; a
# profile without a rate says "n/a (no rate limit)"; a scenario is read
# against its link at 0 s and says that the rate changes later.  The
# same after the start: from the moment the sender's qlog trace says its
# congestion control left startup, which must fall inside the run, to
# the end; it cannot exceed the whole run's utilization stretched over
# what is left of the run.  Four short transfers through rdt-impair;
# replay skips (77) without root or without the tools.

: "${srcdir:=.}"
export top_builddir="${top_builddir:-.}"
replay=$srcdir/netem-scripts/replay
tmp=$(mktemp -d "${TMPDIR:-/tmp}/utilization.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "utilization.sh: FAIL: $*" >&2
	failures=$((failures + 1))
}

# run NAME ARGS...: one replay of NAME into $tmp/NAME.{out,sum}; the
# skip status ends the test.
run() {
	name=$1
	shift
	"$replay" --backend impair --summary "$tmp/$name.sum" "$@" \
		>"$tmp/$name.out" 2>&1
	rc=$?
	[ "$rc" = 77 ] && { cat "$tmp/$name.out"; exit 77; }
	[ "$rc" = 0 ] || fail "$name: replay exit $rc: $(cat "$tmp/$name.out")"
}

value() { sed -n "s/^$2=//p" "$tmp/$1.sum"; }

# check_util NAME DIR BPS: the summary and the report of NAME give
# goodput / BPS on DIR, within the rounding of the printed numbers.
check_util() {
	name=$1 dir=$2 bps=$3
	size=$(value "$name" size)
	dur=$(value "$name" duration_s)
	goodput=$(value "$name" goodput_mbps)
	util=$(value "$name" utilization)
	echo "utilization.sh: $name: $size bytes in $dur s, $goodput Mbit/s, utilization ${util:-missing} of $bps bit/s"
	[ "$(value "$name" bottleneck_dir)" = "$dir" ] ||
		fail "$name: bottleneck_dir '$(value "$name" bottleneck_dir)', expected $dir"
	[ "$(value "$name" bottleneck_bps)" = "$bps" ] ||
		fail "$name: bottleneck_bps '$(value "$name" bottleneck_bps)', expected $bps"
	# From the bytes and seconds (util has three decimals), and from the
	# goodput (two decimals of Mbit/s): both must agree with util.
	awk -v u="$util" -v s="$size" -v d="$dur" -v g="$goodput" -v r="$bps" '
	function abs(x) { return x < 0 ? -x : x }
	BEGIN {
		if (u !~ /^[0-9]+\.[0-9]+$/ || d <= 0) exit 1
		if (abs(u - s * 8 / d / r) > 0.0006) exit 1
		if (abs(u - g * 1e6 / r) > 0.0006 + 0.005e6 / r) exit 1
		if (u <= 0 || u > 1) exit 1
	}' || fail "$name: utilization '$util' is not $size * 8 / $dur / $bps (goodput $goodput Mbit/s)"
	line=$(grep '^  utilization ' "$tmp/$name.out")
	want=$(awk -v u="$util" 'BEGIN { printf "%.2f", u }')
	case $line in
	"  utilization $want = goodput / "*" Mbit/s, the $dir rate limit"*) ;;
	*) fail "$name: report line '$line', expected 'utilization $want = goodput / ... Mbit/s, the $dir rate limit'" ;;
	esac
	check_after_start "$name"
	after=$(value "$name" utilization_after_startup)
	echo "utilization.sh: $name: ${after:-missing} after the start at $(value "$name" startup_end_s) s"
	awk -v a="$after" -v u="$util" -v d="$dur" -v s="$(value "$name" startup_end_s)" '
	BEGIN {
		if (a !~ /^[0-9]+\.[0-9]+$/ || a <= 0) exit 1
		if (a > u * d / (d - s) + 0.01) exit 1
	}' || fail "$name: utilization after the start '$after' is not in (0, $util * $dur / ($dur - start)]"
	want=$(awk -v a="$after" 'BEGIN { printf "%.2f", a }')
	grep -qx "              $want after the start, from $(value "$name" startup_end_s) s (when the sender's congestion control left it) to the end" \
		"$tmp/$name.out" ||
		fail "$name: no report line for $want after the start: $(grep -A1 '^  utilization ' "$tmp/$name.out")"
}

# check_after_start NAME: the sender left its start inside the run.
check_after_start() {
	awk -v s="$(value "$1" startup_end_s)" -v d="$(value "$1" duration_s)" '
	BEGIN { if (s !~ /^[0-9]+\.[0-9]+$/ || s <= 0 || s >= d) exit 1 }' ||
		fail "$1: startup_end_s '$(value "$1" startup_end_s)' is not inside the run (duration_s $(value "$1" duration_s))"
}

# Different rates each way, in different units, so that taking the
# wrong direction's rate, or misreading a unit, shows.
printf '# replay: size=2MiB\na2b delay 1ms rate 8mbit\nb2a delay 1ms rate 40000kbit\n' \
	>"$tmp/asym.netem"
run down "$tmp/asym.netem" --size 2M
check_util down b2a 40000000
run up "$tmp/asym.netem" --size 1M --upload
check_util up a2b 8000000

# No rate: no utilization.
printf 'both delay 1ms\n' >"$tmp/norate.netem"
run norate "$tmp/norate.netem" --size 1M
[ -z "$(value norate utilization)" ] ||
	fail "norate: utilization '$(value norate utilization)' without a rate limit"
[ "$(value norate bottleneck_bps)" = 0 ] ||
	fail "norate: bottleneck_bps '$(value norate bottleneck_bps)', expected 0"
grep -qx '  utilization n/a (no rate limit)' "$tmp/norate.out" ||
	fail "norate: no 'utilization n/a (no rate limit)' line: $(grep utilization "$tmp/norate.out")"
[ -z "$(value norate utilization_after_startup)" ] ||
	fail "norate: utilization_after_startup '$(value norate utilization_after_startup)' without a rate limit"
# Unlimited, a 1 MiB transfer may end before the sender leaves its start
# (it did under the sanitizers); either way the line says which.
if [ -z "$(value norate startup_end_s)" ]; then
	want="n/a after the start (the sender's qlog trace never left it)"
else
	check_after_start norate
	want="n/a after the start (no rate limit), which ended at $(value norate startup_end_s) s"
fi
grep -qx "              $want" "$tmp/norate.out" ||
	fail "norate: no line '$want': $(grep -A1 '^  utilization ' "$tmp/norate.out")"

# A scenario whose rate changes: against the rate at 0 s, and said so.
# Whether the change happens before the transfer ends does not matter.
printf 'at 0s both delay 1ms rate 20mbit\nat 60s both delay 1ms rate 5mbit\n' \
	>"$tmp/change.scn"
run change "$tmp/change.scn" --size 1M
check_util change b2a 20000000
[ "$(value change bottleneck_changes)" = 1 ] ||
	fail "change: bottleneck_changes '$(value change bottleneck_changes)', expected 1"
grep -q '^  utilization .* at 0 s (the scenario changes it later' \
	"$tmp/change.out" ||
	fail "change: the report does not say the rate changes: $(grep utilization "$tmp/change.out")"
[ "$(value down bottleneck_changes)" = 0 ] ||
	fail "down: bottleneck_changes '$(value down bottleneck_changes)' for a profile"

[ "$failures" = 0 ] || exit 1
echo "utilization.sh: PASS"
