#!/bin/sh
# blackout.sh: a 3 s blackout in the middle of a transfer
# (scenarios/blackout-3s.scn, through rdt-impair): the file must arrive
# byte-exact, and the report must show the stall and the recovery after
# it.  The stall is asserted as a lower bound only: nothing can arrive
# while the link is down, whatever the machine's speed.

: "${srcdir:=.}"
export top_builddir="${top_builddir:-.}"
summary=$(mktemp "${TMPDIR:-/tmp}/blackout.XXXXXX") || exit 1
trap 'rm -f "$summary"' EXIT

"$srcdir/netem-scripts/replay" blackout-3s --backend impair \
	--require-checker --summary "$summary"
rc=$?
[ "$rc" = 0 ] || exit "$rc"

value() { sed -n "s/^$1=//p" "$summary"; }

stall=$(value stall_s)
after=$(value bytes_after_stall)
echo "blackout.sh: longest stall ${stall:-?} s, then ${after:-?} bytes"
if ! awk -v s="$stall" 'BEGIN { exit !(s + 0 >= 2.5) }'; then
	echo "blackout.sh: FAIL: no stall of 2.5 s or more; the blackout did not fall mid-transfer" >&2
	exit 1
fi
if ! [ "${after:-0}" -gt 0 ]; then
	echo "blackout.sh: FAIL: nothing was delivered after the blackout" >&2
	exit 1
fi
echo "blackout.sh: PASS: stalled during the blackout and recovered"
