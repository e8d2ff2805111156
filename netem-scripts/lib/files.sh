# netem-scripts/lib/files.sh: profiles and scenarios, parsed into the timeline.
# Sourced by netem-scripts/replay, never run; see the map there.

# --- profiles and scenarios ------------------------------------------------

# The timeline: step i happens S_T[i] microseconds after the start;
# S_ACT is set, down or up; for set, S_A2B and S_B2A are the new
# parameters of each direction ("" for none, "=" for unchanged).
S_T=() S_ACT=() S_A2B=() S_B2A=() S_TEXT=()
# The "# replay:" settings of the file last parsed.
META_SIZE= META_QUICK= META_TIMEOUT=
KIND= NAME=

# resolve ARG: the file named by ARG (a path, or a profile or scenario
# name), on stdout.
resolve() {
	local arg=$1
	if [ -f "$arg" ]; then
		echo "$arg"
	elif [[ $arg =~ ^[A-Za-z0-9._-]+$ ]] && [ -f "$PROFILE_DIR/$arg.netem" ]; then
		echo "$PROFILE_DIR/$arg.netem"
	elif [[ $arg =~ ^[A-Za-z0-9._-]+$ ]] && [ -f "$SCENARIO_DIR/$arg.scn" ]; then
		echo "$SCENARIO_DIR/$arg.scn"
	else
		err "no profile or scenario '$arg' (see $PROG --list)"
		return 1
	fi
}

# parse_meta FILE: read FILE's "# replay: KEY=VALUE..." settings.
parse_meta() {
	local file=$1 line kv n=0
	META_SIZE= META_QUICK= META_TIMEOUT=
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		[[ $line =~ ^#[[:space:]]*replay:(.*)$ ]] || continue
		for kv in ${BASH_REMATCH[1]}; do
			case $kv in
			size=*) META_SIZE=$(size_bytes "${kv#size=}") ;;
			quick=*) META_QUICK=$(size_bytes "${kv#quick=}") ;;
			timeout=*) is_uint "${kv#timeout=}" && META_TIMEOUT=${kv#timeout=} ;;
			*) false ;;
			esac || {
				err "$file:$n: bad setting '$kv' (size=N, quick=N, timeout=SECS)"
				return 1
			}
		done
	done <"$file"
}

# parse_profile_lines FILE: set P_A2B and P_B2A from the direction lines
# of the profile FILE ("" where a direction is not impaired).  rdt-impair
# checks the file first, so the lines read here are known good; as in the
# relay, a later line replaces what an earlier one set.
parse_profile_lines() {
	local file=$1 line
	local -a words
	P_A2B= P_B2A=
	check_profile_file "$file" || return 1
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%%#*}
		read -ra words <<<"$line"
		[ ${#words[@]} -gt 0 ] || continue
		case ${words[0]} in
		a2b) P_A2B=$(normalise_params "${words[@]:1}") ;;
		b2a) P_B2A=$(normalise_params "${words[@]:1}") ;;
		both)
			P_A2B=$(normalise_params "${words[@]:1}")
			P_B2A=$P_A2B ;;
		esac
	done <"$file"
}

# add_step US ACT A2B B2A TEXT: append one step to the timeline.
add_step() {
	S_T+=("$1") S_ACT+=("$2") S_A2B+=("$3") S_B2A+=("$4") S_TEXT+=("$5")
}

# parse_scenario FILE: the timeline of the scenario FILE.
parse_scenario() {
	local file=$1 line n=0 msg us last=0 what p
	local -a words
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		line=${line%%#*}
		read -ra words <<<"$line"
		[ ${#words[@]} -gt 0 ] || continue
		[ "${words[0]}" = at ] || {
			err "$file:$n: expected 'at TIME ACTION', not '${words[0]}'"
			return 1
		}
		[[ ${words[1]-} =~ ^[0-9]+(\.[0-9]+)?(s|ms)$ ]] || {
			err "$file:$n: bad time '${words[1]-}' (like 0s, 1.5s or 500ms)"
			return 1
		}
		us=$(time_us "${words[1]}")
		[ "$us" -ge "$last" ] || {
			err "$file:$n: time ${words[1]} is before the previous step's"
			return 1
		}
		last=$us
		what=${words[2]-}
		case $what in
		"")
			err "$file:$n: 'at ${words[1]}' needs an action (a profile, parameters, down or up)"
			return 1 ;;
		down|up)
			[ ${#words[@]} = 3 ] || {
				err "$file:$n: '$what' takes no parameters"
				return 1
			}
			add_step "$us" "$what" = = "$what" ;;
		a2b|b2a|both)
			msg=$(netem_check "$what" "${words[@]:3}") || {
				err "$file:$n: $msg"
				return 1
			}
			p=$(normalise_params "${words[@]:3}")
			case $what in
			a2b) add_step "$us" set "$p" = "$what $p" ;;
			b2a) add_step "$us" set = "$p" "$what $p" ;;
			both) add_step "$us" set "$p" "$p" "$what $p" ;;
			esac ;;
		*)
			if [[ " $NETEM_WORDS " == *" $what "* ]]; then
				msg=$(netem_check both "${words[@]:2}") || {
					err "$file:$n: $msg"
					return 1
				}
				p=$(normalise_params "${words[@]:2}")
				add_step "$us" set "$p" "$p" "${words[*]:2}"
			elif [[ $what =~ ^[A-Za-z0-9._-]+$ ]] &&
			     [ -f "$PROFILE_DIR/$what.netem" ]; then
				[ ${#words[@]} = 3 ] || {
					err "$file:$n: profile '$what' takes no parameters"
					return 1
				}
				parse_profile_lines "$PROFILE_DIR/$what.netem" ||
					return 1
				add_step "$us" set "$P_A2B" "$P_B2A" "$what"
			else
				err "$file:$n: '$what' is neither a profile ($(list_names profiles)) nor a netem parameter, down or up"
				return 1
			fi ;;
		esac
	done <"$file"
	[ ${#S_T[@]} -gt 0 ] || {
		err "$file: no 'at TIME ACTION' steps"
		return 1
	}
}

# parse_file FILE: fill KIND, NAME, META_* and the timeline from FILE.
parse_file() {
	local file=$1
	S_T=() S_ACT=() S_A2B=() S_B2A=() S_TEXT=()
	NAME=$(basename "$file")
	NAME=${NAME%.*}
	parse_meta "$file" || return 1
	case $file in
	*.scn)
		KIND=scenario
		parse_scenario "$file" ;;
	*)
		KIND=profile
		parse_profile_lines "$file" || return 1
		add_step 0 set "$P_A2B" "$P_B2A" "$NAME" ;;
	esac
}

# list_names profiles|scenarios: the names in that directory, one line.
list_names() {
	local f out=
	for f in "$HERE/$1"/*; do
		[ -f "$f" ] || continue
		f=$(basename "$f")
		out="$out ${f%.*}"
	done
	echo "${out# }"
}
