#!/bin/sh
# check-man.sh: fails when the library's man pages (docs/man/) and its
# public header (include/rdt.h) disagree, so neither can drift unnoticed.
#
#   check-man.sh [HEADER [MANDIR [SOURCEDIR]]]
#
# Defaults: $srcdir/include/rdt.h, $srcdir/docs/man, $srcdir/src ($srcdir
# is "." unless the test environment sets it).  Exit 0 when they agree,
# 1 with one line per disagreement otherwise.
#
# What it compares:
#   1. Every function rdt.h declares (RDT_EXTERN ... ;) has a page NAME.3,
#      real or a ".so" link, whose NAME section lists the function and
#      whose SYNOPSIS holds the same prototype (whitespace aside).
#   2. No page's NAME or SYNOPSIS declares a function rdt.h lacks, and no
#      page mentions an rdt_* or RDT_* name that rdt.h does not define
#      (RDT_* environment variables read in SOURCEDIR are allowed).
#   3. Every errno value that rdt.h's comment above a function gives as
#      its error (from "Errors:", "-1 with" or "fails with" on) is in the
#      ERRORS section of that function's page.
#   4. Every system constant (SO_*, TCP_*, IPPROTO_*, MSG_*, SOCK_*, ...)
#      that comment names appears in that page too: how a call treats
#      TCP's names is the part of rdt.h most likely to change.
#   5. Every RDT_* macro and enum constant of rdt.h appears in some page,
#      every field of struct rdt_info in rdt_setsockopt.3, and every
#      environment variable that SOURCEDIR reads with getenv() in the
#      ENVIRONMENT section of rdt.7.
#   6. ".so" links and "rdt_*(3)" / "rdt(7)" cross-references point at
#      pages that exist, and groff formats every page without a warning
#      (skipped when groff is not installed).
#
# The parsing is deliberately simple (awk over the header's own layout:
# one comment block above each group of RDT_EXTERN declarations); a
# header change that defeats it makes this script fail loudly, not pass.

set -u

top=${srcdir:-.}
header=${1:-$top/include/rdt.h}
mandir=${2:-$top/docs/man}
sourcedir=${3:-$top/src}

for p in "$header" "$mandir" "$sourcedir"; do
	if [ ! -e "$p" ]; then
		echo "check-man: $p: not found" >&2
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-man.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# The errno names this system knows, so that a capitalised word in a
# comment ("EOF", "IPV6") is not taken for one.
if ! printf '#include <errno.h>\n' | ${CC:-cc} -E -dM - 2>/dev/null |
	sed -n 's/^#define \(E[A-Z0-9]*\) .*/\1/p' | sort -u >"$tmp/errnos" ||
	[ ! -s "$tmp/errnos" ]; then
	echo "check-man: cannot list errno names with ${CC:-cc}" >&2
	exit 1
fi

# --- the header -----------------------------------------------------------
# Writes "proto NAME PROTOTYPE", "errno NAME EXXX", "field NAME" and
# "ident NAME" (every rdt_*/RDT_* identifier it defines) lines.
awk -v errfile="$tmp/errnos" '
function norm(s) {
	gsub(/[ \t]+/, " ", s)
	sub(/^ /, "", s); sub(/ $/, "", s)
	sub(/^RDT_EXTERN /, "", s)
	gsub(/ ?\* ?/, " *", s)
	gsub(/\( /, "(", s); gsub(/ \)/, ")", s)
	gsub(/ ?, ?/, ", ", s)
	sub(/ ?;$/, ";", s)
	return s
}
function fname(s,    t) {
	if (!match(s, /[A-Za-z_][A-Za-z0-9_]* *\(/))
		return ""
	t = substr(s, RSTART, RLENGTH)
	sub(/ *\($/, "", t)
	return t
}
BEGIN {
	while ((getline e < errfile) > 0) errno[e] = 1
	SYSCONST = "^(SO|TCP|IPPROTO|MSG|SOCK|SHUT|AF|F|FD|O|POLL)_[A-Z0-9_]+$"
}
{
	line = $0
	# Comments: remember the last block; a declaration group uses it.
	if (incomment) {
		comment = comment " " line
		if (line ~ /\*\//) incomment = 0
		next
	}
	if (line ~ /^[ \t]*\/\*/ && !instruct) {
		comment = line
		if (line !~ /\*\//) incomment = 1
		next
	}
	if (line ~ /^RDT_EXTERN/ || indecl) {
		decl = decl " " line
		indecl = (line !~ /;/)
		if (indecl) next
		name = fname(decl)
		print "proto", name, norm(decl)
		# Only the errors the function returns: the comment from
		# its first "Errors:", "-1 with" or "fail(s) with" on, not
		# an errno it mentions for the peer ("the peer sees ...").
		errtext = comment
		if (match(errtext, /Errors:|-1 with|[Ff]ails? with|errno/))
			errtext = substr(errtext, RSTART)
		else
			errtext = ""
		n = split(errtext, w, /[^A-Z0-9_]+/)
		for (i = 1; i <= n; i++)
			if (w[i] in errno && !seen[name, w[i]]++)
				print "errno", name, w[i]
		n = split(comment, w, /[^A-Z0-9_]+/)
		for (i = 1; i <= n; i++)
			if (w[i] ~ SYSCONST && !seen[name, w[i]]++)
				print "const", name, w[i]
		decl = ""
		next
	}
	if (match(line, /^(struct|enum) rdt_[a-z0-9_]+ \{/)) {
		id = line; sub(/^(struct|enum) /, "", id); sub(/ .*/, "", id)
		print "tag", id
	}
	if (line ~ /^struct rdt_info \{/) { instruct = 1; body = ""; next }
	if (instruct) {
		if (line ~ /^\};/) {
			instruct = 0
			gsub(/\/\*([^*]|\*+[^*\/])*\*+\//, " ", body)
			n = split(body, d, /;/)
			for (i = 1; i <= n; i++) {
				m = split(d[i], v, /,/)
				for (j = 1; j <= m; j++) {
					f = v[j]
					gsub(/\[[^]]*\]|\*/, " ", f)
					if (split(f, t, /[ \t]+/) == 0) continue
					f = t[length(t)] == "" ? t[length(t) - 1] : t[length(t)]
					if (f != "") print "field", f
				}
			}
			next
		}
		body = body " " line
		next
	}
	if (line !~ /^[ \t]*$/ && line !~ /^RDT_EXTERN/)
		comment = ""
	# Identifiers the header defines, for the pages to use.
	if (match(line, /^#define RDT_[A-Z0-9_]+/)) {
		id = substr(line, 9, RLENGTH - 8)
		if (id !~ /_$/ && id != "RDT_H" && id != "RDT_EXTERN")
			print "ident", id
	}
	if (match(line, /^[ \t]*RDT_[A-Z0-9_]+( = [0-9]+)?,/)) {
		id = line; sub(/^[ \t]*/, "", id); sub(/[ ,=].*/, "", id)
		print "ident", id
	}
}
' "$header" >"$tmp/header" || exit 1

grep '^proto ' "$tmp/header" | cut -d' ' -f2 | sort -u >"$tmp/functions"
if [ ! -s "$tmp/functions" ]; then
	echo "check-man: $header: no RDT_EXTERN declaration found" >&2
	exit 1
fi

# Environment variables the library reads.
grep -rhoE 'getenv\("[A-Za-z0-9_]+"\)' "$sourcedir" |
	sed 's/getenv("\(.*\)")/\1/' | sort -u >"$tmp/environ"

# --- the pages ------------------------------------------------------------
# For each page writes "page FILE", "so FILE TARGET", "name FILE NAME",
# "proto FILE NAME PROTOTYPE", "error FILE EXXX", "env FILE NAME",
# "ref FILE PAGE.SECTION" and "word FILE TOKEN" (rdt_*/RDT_* tokens).
# pages PATTERN...: the pages in $mandir; a built page (rdt.7) stands in
# for its template (rdt.7.in) once it exists.
pages() {
	for page in "$mandir"/*.[1-9] "$mandir"/*.[1-9].in; do
		[ -f "$page" ] || continue
		case $page in
		*.in) [ -f "${page%.in}" ] && continue ;;
		esac
		echo "$page"
	done
}

for page in $(pages); do
	name=${page##*/}
	awk -v file="${name%.in}" '
	function unescape(s) {
		gsub(/\\f[BIRP]/, "", s)
		gsub(/\\-/, "-", s); gsub(/\\e/, "\\", s)
		gsub(/\\\(dq/, "\"", s); gsub(/\\&/, "", s)
		return s
	}
	# The text a font macro line prints: .B and .I join their
	# arguments with spaces, the alternating ones (.BI, .BR, ...)
	# without.
	function macrotext(s,    m, sep, out, arg, c, q) {
		m = s; sub(/[ \t].*/, "", m)
		sub(/^\.[A-Z]+[ \t]*/, "", s)
		sep = (m == ".B" || m == ".I") ? " " : ""
		out = ""; first = 1
		while (s != "") {
			sub(/^[ \t]+/, "", s)
			if (s == "") break
			if (substr(s, 1, 1) == "\"") {
				s = substr(s, 2); q = index(s, "\"")
				if (q == 0) q = length(s) + 1
				arg = substr(s, 1, q - 1); s = substr(s, q + 1)
			} else {
				q = match(s, /[ \t]/)
				if (q == 0) q = length(s) + 1
				arg = substr(s, 1, q - 1); s = substr(s, q)
			}
			out = out (first ? "" : sep) arg; first = 0
		}
		return out
	}
	function norm(s) {
		gsub(/[ \t]+/, " ", s)
		sub(/^ /, "", s); sub(/ $/, "", s)
		gsub(/ ?\* ?/, " *", s)
		gsub(/\( /, "(", s); gsub(/ \)/, ")", s)
		gsub(/ ?, ?/, ", ", s)
		return s
	}
	NR == 1 && /^\.so / {
		print "so", file, $2
		so = 1
		next
	}
	so || /^\.\\"/ { next }
	/^\.SH / { section = $0; sub(/^\.SH "?/, "", section); sub(/"$/, "", section); next }
	{
		text = /^\.[A-Z]+([ \t]|$)/ ? macrotext($0) : $0
		text = unescape(text)
		n = split(text, w, /[^A-Za-z0-9_]+/)
		for (i = 1; i <= n; i++)
			if (w[i] ~ /^(rdt_[a-z0-9_]+|RDT_[A-Z0-9_]+)$/)
				print "word", file, w[i]
			else if (w[i] ~ /^[A-Z]+_[A-Z0-9_]+$/)
				print "sysword", file, w[i]
		r = $0
		while (match(r, /(rdt_[a-z0-9_]+|rdt) \([37]\)/)) {
			ref = substr(r, RSTART, RLENGTH)
			r = substr(r, RSTART + RLENGTH)
			gsub(/[ ()]/, "", ref)
			print "ref", file, substr(ref, 1, length(ref) - 1) "." substr(ref, length(ref))
		}
	}
	section == "NAME" {
		names = names " " text
	}
	section == "SYNOPSIS" && /^\.nf/ { insyn = 1; next }
	section == "SYNOPSIS" && /^\.fi/ { insyn = 0; next }
	section == "SYNOPSIS" && insyn && !/^\.PP/ && text !~ /#include/ {
		syn = syn " " text
	}
	section == "ERRORS" && /^\.(B|BR) E[A-Z0-9]+/ {
		n = split(text, w, /[^A-Z0-9]+/)
		for (i = 1; i <= n; i++)
			if (w[i] ~ /^E[A-Z0-9]+$/) print "error", file, w[i]
	}
	section == "ENVIRONMENT" && /^\.B [A-Z_0-9]+$/ {
		print "env", file, $2
	}
	END {
		if (so) exit
		print "page", file
		sub(/\\-.*/, "", names)
		n = split(names, w, /[ ,]+/)
		for (i = 1; i <= n; i++) if (w[i] != "") print "name", file, w[i]
		# Only section 3 declares functions; rdt(7) shows calls.
		n = file ~ /\.3$/ ? split(syn, p, /;/) : 0
		for (i = 1; i <= n; i++) {
			if (p[i] !~ /\(/) continue
			s = norm(p[i])
			if (!match(s, /[A-Za-z_][A-Za-z0-9_]*\(/)) continue
			f = substr(s, RSTART, RLENGTH - 1)
			print "proto", file, f, s ";"
		}
	}
	' "$page" || exit 1
done >"$tmp/pages"

# --- the comparison -------------------------------------------------------
awk -v header="${header##*/}" -v environ="$tmp/environ" '
FNR == 1 { part++ }
part == 1 {
	if ($1 == "proto") { p = $0; sub(/^proto [^ ]+ /, "", p); hproto[$2] = p; order[++nf] = $2 }
	else if ($1 == "errno") { herr[$2] = herr[$2] " " $3 }
	else if ($1 == "const") { hconst[$2] = hconst[$2] " " $3 }
	else if ($1 == "ident") ident[$2] = 1
	else if ($1 == "tag") tag[$2] = 1
	next
}
part == 2 { envvar[$1] = 1; next }
{
	file = $2
	if ($1 == "so") { so[file] = $3; next }
	if ($1 == "page") { page[file] = 1; next }
	if ($1 == "name") { named[$3] = file; namesof[file] = namesof[file] " " $3; next }
	if ($1 == "proto") {
		p = $0; sub(/^proto [^ ]+ [^ ]+ /, "", p)
		mproto[$3] = p; protofile[$3] = file; next
	}
	if ($1 == "error") { merr[file, $3] = 1; next }
	if ($1 == "env") { menv[file, $3] = 1; next }
	if ($1 == "ref") { refs[++nr] = file " " $3; next }
	if ($1 == "sysword") { sysused[file, $3] = 1; next }
	if ($1 == "word") { words[++nw] = file " " $3; used[$3] = 1; next }
}
function fail(msg) { print "check-man: " msg; bad = 1 }
function resolve(f,    t) {
	if (f in so) { t = so[f]; sub(/^.*\//, "", t); return t }
	return f
}
END {
	for (f in so) {
		t = resolve(f)
		if (!(t in page))
			fail(f ": .so target " so[f] " is not a page in the man directory")
	}
	for (i = 1; i <= nf; i++) {
		fn = order[i]
		f = fn ".3"
		if (!(f in page) && !(f in so)) {
			fail(header ": " fn " has no man page " f)
			continue
		}
		t = resolve(f)
		if (index(namesof[t] " ", " " fn " ") == 0)
			fail(t ": NAME does not list " fn ", which " f " leads to")
		if (!(fn in mproto))
			fail(t ": SYNOPSIS lacks the prototype of " fn)
		else if (protofile[fn] != t)
			fail(protofile[fn] ": has the prototype of " fn ", but " f " leads to " t)
		else if (mproto[fn] != hproto[fn])
			fail(t ": SYNOPSIS of " fn " differs from " header ":\n  page:   " mproto[fn] "\n  header: " hproto[fn])
		n = split(herr[fn], e, / /)
		for (j = 1; j <= n; j++)
			if (e[j] != "" && !((t, e[j]) in merr))
				fail(t ": ERRORS lacks " e[j] ", which " header " names for " fn)
		n = split(hconst[fn], e, / /)
		for (j = 1; j <= n; j++)
			if (e[j] != "" && !((t, e[j]) in sysused))
				fail(t ": never mentions " e[j] ", which " header " names for " fn)
	}
	for (fn in mproto)
		if (!(fn in hproto))
			fail(protofile[fn] ": SYNOPSIS declares " fn ", which " header " lacks")
	for (fn in named)
		if (fn ~ /^rdt_/ && !(fn in hproto))
			fail(named[fn] ": NAME lists " fn ", which " header " lacks")
	for (i = 1; i <= nw; i++) {
		split(words[i], w, / /)
		if (w[2] in hproto || w[2] in ident || w[2] in tag || w[2] in envvar)
			continue
		if (!reported[w[1], w[2]]++)
			fail(w[1] ": names " w[2] ", which " header " does not define")
	}
	for (id in ident)
		if (!(id in used))
			fail(header ": " id " appears in no man page")
	for (v in envvar)
		if (!(("rdt.7", v) in menv))
			fail("rdt.7: ENVIRONMENT lacks " v ", which the library reads with getenv()")
	for (i = 1; i <= nr; i++) {
		split(refs[i], r, / /)
		if (!(r[2] in page) && !(r[2] in so))
			fail(r[1] ": refers to " r[2] ", which is not a page here")
	}
	exit bad
}
' "$tmp/header" "$tmp/environ" "$tmp/pages" >"$tmp/report"
status=$?

# Fields of struct rdt_info have no prefix to collect them by, so each is
# looked for in the page that documents RDT_INFO.
fields_page=$mandir/rdt_setsockopt.3
for f in $(sed -n 's/^field //p' "$tmp/header"); do
	if ! grep -qw -- "$f" "$fields_page" 2>/dev/null; then
		echo "check-man: rdt_setsockopt.3: RDT_INFO lacks the field" \
		     "$f of struct rdt_info" >>"$tmp/report"
		status=1
	fi
done

if command -v groff >/dev/null 2>&1; then
	for page in $(pages); do
		head -n 1 "$page" | grep -q '^\.so ' && continue
		warnings=$(groff -man -ww -z -Tutf8 "$page" 2>&1)
		if [ -n "$warnings" ]; then
			printf 'check-man: %s: groff: %s\n' "${page##*/}" \
			       "$warnings" >>"$tmp/report"
			status=1
		fi
	done
else
	echo "check-man: groff not installed, pages not formatted"
fi

cat "$tmp/report"
if [ "$status" -eq 0 ]; then
	echo "check-man: $(wc -l <"$tmp/functions") functions of" \
	     "${header##*/} match the pages in $mandir"
fi
exit "$status"
