# netem-scripts/lib/grammar.sh: the netem grammar, which is rdt-impair's.
# Sourced by netem-scripts/replay, never run; see the map there.
#
# replay does not parse netem parameters itself: "rdt-impair --check"
# does, with the parser the relay runs, so a profile the relay would
# refuse never reaches it, and the two can never disagree.  That grammar
# is tc-netem's for everything rdt-impair implements; replay hands the
# same words to tc with the netem backend, after normalise_params.

# Netem keywords, each starting one clause of the grammar.
NETEM_KEYWORDS="delay loss duplicate corrupt reorder rate limit distribution"
# Words that start netem parameters in a scenario step without a
# direction: the keywords, tc's synonyms, and what tc has and rdt-impair
# refuses (so that rdt-impair says why).
NETEM_WORDS="$NETEM_KEYWORDS latency drop gap slot ecn seed"

# grammar_tool: the rdt-impair that checks profiles, found once.
GRAMMAR_TOOL=
grammar_tool() {
	[ -n "$GRAMMAR_TOOL" ] && return 0
	GRAMMAR_TOOL=$(find_tool rdt-impair RDT_IMPAIR) || {
		err "rdt-impair checks the profiles and is not built (build it, or set RDT_IMPAIR)"
		return 1
	}
}

# check_profile_file FILE: rdt-impair's verdict on the profile FILE; its
# messages ("FILE:LINE: reason") go to stderr.
check_profile_file() {
	grammar_tool || return 1
	"$GRAMMAR_TOOL" --check "$1"
}

# netem_check DIR WORD...: check one profile line, DIR (a2b, b2a or both)
# and its parameters; on error print why (without a file position: the
# caller knows it) and fail.
netem_check() {
	local dir=$1 out
	shift
	grammar_tool 2>/dev/null || {
		echo "rdt-impair checks the netem parameters and is not built (build it, or set RDT_IMPAIR)"
		return 1
	}
	out=$(printf '%s %s\n' "$dir" "$*" | "$GRAMMAR_TOOL" --check - 2>&1) ||
		{ echo "${out#-:1: }"; return 1; }
}

# normalise_params WORD...: checked parameters with tc's synonyms
# (latency, drop) replaced, so that params_has and params_drop find each
# clause under one name.
normalise_params() {
	local w out=
	for w; do
		case $w in
		latency) w=delay ;;
		drop) w=loss ;;
		esac
		out="$out $w"
	done
	echo "${out# }"
}

# params_has KEYWORD PARAMS: PARAMS has a KEYWORD clause.
params_has() { [[ " $2 " == *" $1 "* ]]; }

# params_drop KEYWORD PARAMS: PARAMS without its KEYWORD clause.
params_drop() {
	local kw=$1 w out= skipping=0
	for w in $2; do
		if [[ " $NETEM_KEYWORDS " == *" $w "* ]]; then
			skipping=0
			[ "$w" = "$kw" ] && skipping=1
		fi
		[ "$skipping" = 1 ] || out="$out $w"
	done
	echo "${out# }"
}

# rate_bps DIR PARAMS: the rate limit in bit/s that PARAMS (checked
# parameters, "" for none) set on DIR (a2b or b2a), 0 for none; read with
# "rdt-impair --check -v", so tc's units are parsed in one place only.
rate_bps() {
	local dir=$1 out
	grammar_tool || return 1
	out=$(printf '%s %s\n' "$dir" "$2" | "$GRAMMAR_TOOL" --check -v -) ||
		return 1
	out=$(sed -n "s/.* $dir rate_bps=\([0-9]*\).*/\1/p" <<<"$out")
	[ -n "$out" ] && echo "$out"
}
