# netem-scripts/lib/common.sh: messages, value syntax and finding the tools.
# Sourced by netem-scripts/replay, never run; see the map there.

# --- messages --------------------------------------------------------------

err() { echo "$PROG: $*" >&2; }
die_usage() { err "$*"; echo "Try '$PROG --help'." >&2; exit 2; }
skip() { echo "$PROG: SKIP: $*" >&2; RUN_FAILED=0; exit 77; }
vlog() { [ "$VERBOSE" = 1 ] && echo "$PROG: $*" >&2; return 0; }

# --- value syntax ----------------------------------------------------------

is_time() { [[ ${1-} =~ ^[0-9]+(\.[0-9]+)?(s|ms|us)$ ]]; }
is_uint() { [[ ${1-} =~ ^[0-9]+$ ]]; }
is_rate() {
	[[ ${1-} =~ ^[0-9]+(\.[0-9]+)?(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$ ]] &&
		[[ ${1-} =~ [1-9] ]]
}

# is_pct VALUE: VALUE is a percentage from 0% to 100%.
is_pct() {
	[[ ${1-} =~ ^([0-9]+)(\.[0-9]+)?%$ ]] || return 1
	local int=$((10#${BASH_REMATCH[1]}))
	[ "$int" -lt 100 ] || [[ ${1-} =~ ^0*100(\.0*)?%$ ]]
}

# time_us TIME: TIME (s, ms or us) in microseconds.
time_us() {
	local v=$1 unit mult whole frac
	case $v in
	*us) unit=us; mult=1 ;;
	*ms) unit=ms; mult=1000 ;;
	*s) unit=s; mult=1000000 ;;
	esac
	v=${v%"$unit"}
	whole=${v%%.*}
	frac=
	[ "$whole" != "$v" ] && frac=${v#*.}
	frac=${frac}000000
	echo $((10#$whole * mult + 10#${frac:0:6} * mult / 1000000))
}

# size_bytes N: N with an optional K/M/G (KiB/MiB/GiB) suffix, in bytes;
# fails on anything else.
size_bytes() {
	[[ ${1-} =~ ^([0-9]+)([KkMmGg]?)(i?B)?$ ]] || return 1
	local n=$((10#${BASH_REMATCH[1]}))
	case ${BASH_REMATCH[2]} in
	[Kk]) n=$((n << 10)) ;;
	[Mm]) n=$((n << 20)) ;;
	[Gg]) n=$((n << 30)) ;;
	esac
	[ "$n" -gt 0 ] && echo "$n"
}

# --- tools -----------------------------------------------------------------

# find_tool NAME ENVVAR: the absolute path of tool NAME: $ENVVAR, else
# the build tree, else PATH; fails when there is none.
find_tool() {
	local name=$1 var=$2 dir cand
	if [ -n "${!var-}" ]; then
		[ -f "${!var}" ] && [ -x "${!var}" ] && echo "${!var}"
		return
	fi
	for dir in ${top_builddir:+"$top_builddir/tools"} "$HERE/../tools"; do
		for cand in "$dir/$name" "$dir/$name/$name"; do
			if [ -f "$cand" ] && [ -x "$cand" ]; then
				echo "$(cd "$(dirname "$cand")" && pwd)/$name"
				return 0
			fi
		done
	done
	command -v "$name"
}
