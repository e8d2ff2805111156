#!/bin/sh
# rtt-median.sh: the report's median RTT comes from the sender's RTT
# samples over the whole run (its qlog trace), not from one final srtt.
# A link that delays each direction by 20 ms cannot give a round trip
# under 40 ms, so every median must be at least that and at least the
# min RTT, with samples behind it; the report's line must say what the
# summary says.  Run as a download (the server sends) and as an upload
# (the client sends): a report that read the receiver's side, which
# writes no trace, has no samples.  replay skips (77) without root or
# without the tools.

: "${srcdir:=.}"
export top_builddir="${top_builddir:-.}"
replay=$srcdir/netem-scripts/replay
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rtt-median.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "rtt-median.sh: FAIL: $*" >&2
	failures=$((failures + 1))
}

value() { sed -n "s/^$2=//p" "$tmp/$1.sum"; }

printf '# replay: size=2MiB\nboth delay 20ms rate 20mbit\n' >"$tmp/delay.netem"
for way in down up; do
	set -- --size 2M
	[ "$way" = up ] && set -- "$@" --upload
	"$replay" --backend impair --summary "$tmp/$way.sum" "$@" \
		"$tmp/delay.netem" >"$tmp/$way.out" 2>&1
	rc=$?
	[ "$rc" = 77 ] && { cat "$tmp/$way.out"; exit 77; }
	if [ "$rc" != 0 ]; then
		fail "$way: replay exit $rc: $(cat "$tmp/$way.out")"
		continue
	fi
	n=$(value "$way" rtt_samples)
	median=$(value "$way" rtt_median_ms)
	min=$(value "$way" min_rtt_ms)
	ratio=$(value "$way" rtt_median_over_min)
	echo "rtt-median.sh: $way: median ${median:-missing} ms over ${n:-?} samples, min ${min:-?} ms, ratio ${ratio:-?}"
	awk -v n="$n" -v m="$median" -v b="$min" -v r="$ratio" '
	function abs(x) { return x < 0 ? -x : x }
	BEGIN {
		if (n !~ /^[0-9]+$/ || n < 10) exit 1
		if (m !~ /^[0-9]+\.[0-9]+$/ || m < 40 || m < b) exit 1
		if (abs(r - m / b) > 0.006) exit 1
	}' || fail "$way: samples '$n', median '$median' ms, min '$min' ms, ratio '$ratio': expected at least 10 samples and a median of at least 40 ms and the min, and ratio = median / min"
	grep -qx "  rtt median  $median ms over the run ($n samples), $ratio x the min RTT" \
		"$tmp/$way.out" ||
		fail "$way: report line '$(grep '^  rtt median' "$tmp/$way.out")' does not match the summary"
done

[ "$failures" = 0 ] || exit 1
echo "rtt-median.sh: PASS"
