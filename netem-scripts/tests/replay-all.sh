#!/bin/sh
# replay-all.sh: the acceptance run: every profile moved byte-exact through
# rdt-impair (this CI kernel has no netem), the capture checked, the
# report printed; torture moves 64 MiB (8 MiB with RDT_TEST_QUICK=1).
# replay itself skips (77) without root or without the tools.
#
# The summary table must have a row for every profile, whose utilization
# is "n/a" for a profile without a b2a rate and otherwise Mbit/s over that
# rate, the rate read here from the profile's own text.
# Its rtt/min column (median RTT over min RTT) must be a ratio of at
# least 1.

: "${srcdir:=.}"
export top_builddir="${top_builddir:-.}"
out=$(mktemp "${TMPDIR:-/tmp}/replay-all.XXXXXX") || exit 1
trap 'rm -f "$out" "$out.rc"' EXIT
{
	"$srcdir/netem-scripts/replay" --all --backend impair --require-checker
	echo $? >"$out.rc"
} | tee "$out"
rc=$(cat "$out.rc")
[ "$rc" = 0 ] || exit "$rc"

failures=0
grep -q '^profile  *result  *MiB  *seconds  *Mbit/s  *util ' "$out" || {
	echo "replay-all.sh: FAIL: the table's header has no util column" >&2
	failures=$((failures + 1))
}
for f in "$srcdir"/netem-scripts/profiles/*.netem; do
	name=$(basename "$f" .netem)
	# The b2a rate in bit/s (0: none) from the last line setting b2a.
	bps=$(awk '{ sub(/#.*/, "") } $1 == "b2a" || $1 == "both" {
		r = 0
		for (i = 2; i < NF; i++) if ($i == "rate") r = $(i + 1)
		n = r + 0; u = tolower(r); sub(/^[0-9.]+/, "", u)
		m = u == "kbit" ? 1e3 : u == "mbit" ? 1e6 : u == "gbit" ? 1e9 : 1
		bps = n * m
	} END { printf "%d", bps }' "$f")
	row=$(awk -v n="$name" '$1 == n && NF >= 9' "$out")
	if [ -z "$row" ]; then
		echo "replay-all.sh: FAIL: no table row for $name" >&2
		failures=$((failures + 1))
		continue
	fi
	# The median RTT over the min RTT: a median below the least sample
	# is impossible, a missing one means the sender left no trace.
	echo "$row" | awk '{ exit !($7 ~ /^[0-9]+\.[0-9][0-9]$/ && $7 >= 1) }' || {
		echo "replay-all.sh: FAIL: $name's rtt/min is not a ratio of at least 1: $row" >&2
		failures=$((failures + 1))
	}
	echo "$row" | awk -v bps="$bps" '{
		g = $5; u = $6
		if (bps == 0) exit (u != "n/a")
		# 0.00 is right for a slow run on a fast link (lan: under
		# 5 Mbit/s of 1 Gbit/s, as on a loaded CI machine).
		if (u !~ /^[0-9]+\.[0-9][0-9]$/ || u > 1) exit 1
		# Both columns are rounded, util twice (to three decimals
		# for --summary, then to two): allow one unit of the last
		# digit of each.
		d = u - g * 1e6 / bps
		exit (d < 0 ? -d : d) > 0.01 + 0.01e6 / bps
	}' || {
		echo "replay-all.sh: FAIL: $name's utilization is not Mbit/s over $bps bit/s: $row" >&2
		failures=$((failures + 1))
	}
done
[ "$failures" = 0 ]
