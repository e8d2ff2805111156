# netem-scripts/lib/backends.sh: the netem and impair backends and the timeline driver.
# Sourced by netem-scripts/replay, never run; see the map there.

# --- backends --------------------------------------------------------------
#
# Each backend has: _setup (before the client starts, with the state at
# 0 s), _set DIR PARAMS (replace one direction's impairment), _down, _up.
# CUR_A2B/CUR_B2A hold the impairment in force ("" for none), DOWN whether
# the link is blacked out.

CUR_A2B= CUR_B2A= DOWN=0

# netem_dev DIR: "NAMESPACE DEVICE" whose egress carries DIR.
netem_dev() {
	case $1 in
	a2b) echo "$NS_A $VETH_A" ;;
	b2a) echo "$NS_B $VETH_B" ;;
	esac
}

# netem_apply DIR OLD NEW: move DIR's qdisc from OLD to NEW parameters.
# "tc qdisc change" keeps whatever NEW does not mention, so NEW is
# completed with the neutral value of every clause OLD had; a rate cannot
# be unset that way, so dropping one re-creates the qdisc.
netem_apply() {
	local dir=$1 old=$2 new=$3 ns dev kw
	read -r ns dev <<<"$(netem_dev "$dir")"
	# rdt-impair names tc's default jitter shape "uniform"; tc has no
	# table of that name.
	old=${old/ distribution uniform/}
	new=${new/ distribution uniform/}
	if [ -z "$new" ]; then
		[ -z "$old" ] || do_cmd tc -n "$ns" qdisc del dev "$dev" root
		return
	fi
	if [ -z "$old" ]; then
		do_cmd tc -n "$ns" qdisc add dev "$dev" root netem $new
		return
	fi
	if params_has rate "$old" && ! params_has rate "$new"; then
		do_cmd tc -n "$ns" qdisc del dev "$dev" root
		do_cmd tc -n "$ns" qdisc add dev "$dev" root netem $new
		return
	fi
	for kw in delay loss duplicate corrupt reorder limit; do
		params_has "$kw" "$new" && continue
		case $kw in
		delay) new="$new delay 0ms" ;;
		limit) new="$new limit 1000" ;;
		*) new="$new $kw 0%" ;;
		esac
	done
	do_cmd tc -n "$ns" qdisc change dev "$dev" root netem $new
}

# netem_blackhole PARAMS: PARAMS with every packet lost.
netem_blackhole() { echo "$(params_drop loss "$1") loss 100%"; }

netem_setup() {
	netem_apply a2b "" "$CUR_A2B" && netem_apply b2a "" "$CUR_B2A"
}

netem_set() {
	local dir=$1 new=$2 old
	old=$(cur_get "$dir")
	cur_set "$dir" "$new"
	[ "$DOWN" = 1 ] && return 0
	netem_apply "$dir" "$old" "$new"
}

netem_down() {
	local dir cur
	for dir in a2b b2a; do
		cur=$(cur_get "$dir")
		netem_apply "$dir" "$cur" "$(netem_blackhole "$cur")"
	done
}

netem_up() {
	local dir cur
	for dir in a2b b2a; do
		cur=$(cur_get "$dir")
		netem_apply "$dir" "$(netem_blackhole "$cur")" "$cur"
	done
}

# impair_args: rdt-impair's options for the impairment in force.
impair_args() {
	[ -n "$CUR_A2B" ] && printf '%s\n' --a2b "$CUR_A2B"
	[ -n "$CUR_B2A" ] && printf '%s\n' --b2a "$CUR_B2A"
	return 0
}

# impair_send LINE: one command to rdt-impair's control FIFO.
impair_send() {
	if [ "$DRY_RUN" = 1 ]; then
		echo "  $PLAN_AT control: $*"
		return 0
	fi
	vlog "control: $*"
	echo "$*" >&9
}

impair_set() {
	cur_set "$1" "$2"
	impair_send "$1 ${2:-$NO_IMPAIRMENT}"
}
impair_down() { impair_send down; }
impair_up() { impair_send up; }

cur_get() { if [ "$1" = a2b ]; then echo "$CUR_A2B"; else echo "$CUR_B2A"; fi; }
cur_set() { if [ "$1" = a2b ]; then CUR_A2B=$2; else CUR_B2A=$2; fi; }

# apply_step I: carry out timeline step I with BACKEND.
apply_step() {
	local i=$1
	case ${S_ACT[$i]} in
	down)
		[ "$DOWN" = 1 ] || "${BACKEND}_down"
		DOWN=1 ;;
	up)
		[ "$DOWN" = 0 ] || "${BACKEND}_up"
		DOWN=0 ;;
	set)
		[ "${S_A2B[$i]}" = = ] || "${BACKEND}_set" a2b "${S_A2B[$i]}"
		[ "${S_B2A[$i]}" = = ] || "${BACKEND}_set" b2a "${S_B2A[$i]}" ;;
	esac
}

# initial_state: fold the "set" steps at 0 s into CUR_*; echo the index of
# the first step left for the timeline driver.
FIRST_TIMED=0
initial_state() {
	local i
	CUR_A2B= CUR_B2A= DOWN=0
	for ((i = 0; i < ${#S_T[@]}; i++)); do
		[ "${S_T[$i]}" = 0 ] && [ "${S_ACT[$i]}" = set ] || break
		[ "${S_A2B[$i]}" = = ] || CUR_A2B=${S_A2B[$i]}
		[ "${S_B2A[$i]}" = = ] || CUR_B2A=${S_B2A[$i]}
	done
	FIRST_TIMED=$i
}

# run_timeline T0: the timeline driver; apply the remaining steps at
# their times after T0 (microseconds), logging each to $WORK/steps.
run_timeline() {
	local t0=$1 i delay nap=
	# Stopped while waiting for a step: end the sleep too.
	trap '[ -n "$nap" ] && kill "$nap" 2>/dev/null; exit 0' TERM
	for ((i = FIRST_TIMED; i < ${#S_T[@]}; i++)); do
		delay=$((t0 + S_T[i] - $(now_us)))
		if [ "$delay" -gt 0 ]; then
			sleep "$((delay / 1000000)).$(printf %06d $((delay % 1000000)))" &
			nap=$!
			wait "$nap"
			nap=
		fi
		apply_step "$i"
		echo "$(( $(now_us) - t0 )) ${S_TEXT[$i]}" >>"$WORK/steps"
	done
}

# print_plan BACKEND: what BACKEND would run for the parsed timeline.
print_plan() {
	local i
	BACKEND=$1
	NS_A=NS_A NS_B=NS_B
	initial_state
	echo "$BACKEND backend:"
	PLAN_AT="0s"
	if [ "$BACKEND" = netem ]; then
		netem_setup
	else
		echo "  0s rdt-impair $(impair_args | tr '\n' ' ')--control FIFO"
	fi
	for ((i = FIRST_TIMED; i < ${#S_T[@]}; i++)); do
		PLAN_AT="$(awk -v u="${S_T[$i]}" 'BEGIN { printf "%gs", u / 1e6 }')"
		apply_step "$i"
	done
}
