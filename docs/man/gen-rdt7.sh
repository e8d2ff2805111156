#!/bin/sh
# gen-rdt7.sh: writes rdt(7) to stdout from docs/man/rdt.7.in and the
# "The socket API" block comment of include/rdt.h.
#
#   gen-rdt7.sh RDT_H RDT_7_IN
#
# The block is the header's account of the model (descriptors, threads,
# processes, transport), which is exactly what rdt(7) must say and what
# changes when the library does; generating that part of the page from
# it means the page cannot drift.  The line '.\" @RDT_H_SOCKET_API@' in
# RDT_7_IN is replaced by the block:
#   - a paragraph opening with a title ("Descriptors.  ...") becomes a
#     subsection of that title;
#   - lines indented by two spaces or more (a table) are kept as they are
#     (.nf);
#   - untitled paragraphs (the introduction, which speaks of "the
#     comment" of each call) are left out, and so is "Environment.": the
#     page's ENVIRONMENT section covers it, and docs/check-man.sh checks
#     that section against the getenv() calls of the library.
# Fails (and writes nothing useful) when the marker or the block is
# missing, so a renamed block breaks the build instead of the page.

set -eu

header=$1
template=$2

block=$(awk '
	/^\/\* -+$/ { start = NR; next }
	start && NR == start + 1 && /^ \* The socket API$/ { inblock = 1; next }
	inblock && /^ \* -+ \*\/$/ { found = 1; exit }
	inblock { sub(/^ \*( |$)/, ""); print }
	END { if (!found) exit 1 }
' "$header") || {
	echo "gen-rdt7.sh: no \"The socket API\" block in $header" >&2
	exit 1
}

grep -q '^\.\\" @RDT_H_SOCKET_API@$' "$template" || {
	echo "gen-rdt7.sh: no @RDT_H_SOCKET_API@ line in $template" >&2
	exit 1
}

printf '%s\n' "$block" | awk -v template="$template" '
function roff(s,    out, pre, name) {
	gsub(/\\/, "\\e", s)
	# |name| is the header comments'"'"' way of naming a parameter.
	out = ""
	while (match(s, /\|[A-Za-z_][A-Za-z0-9_]*\|/)) {
		name = substr(s, RSTART + 1, RLENGTH - 2)
		out = out substr(s, 1, RSTART - 1) "\\fI" name "\\fP"
		s = substr(s, RSTART + RLENGTH)
	}
	s = out s
	if (s ~ /^[.'"'"']/) s = "\\&" s
	return s
}
function flush(    i, first, title, nf) {
	if (n == 0) return
	first = para[1]
	title = ""
	if (match(first, /^[A-Z][a-z]+( [a-z]+)*\.  /)) {
		title = substr(first, 1, RLENGTH - 3)
		para[1] = substr(first, RLENGTH + 1)
	}
	if (title == "" || title == "Environment") { n = 0; return }
	print ".SS " title
	nf = 0
	for (i = 1; i <= n; i++) {
		if (para[i] ~ /^  +/) {
			if (!nf) { print ".nf"; nf = 1 }
		} else if (nf) {
			print ".fi"; nf = 0
		}
		print roff(para[i])
	}
	if (nf) print ".fi"
	n = 0
}
{
	if ($0 == "") flush()
	else para[++n] = $0
}
END {
	flush()
}
' >"${TMPDIR:-/tmp}/gen-rdt7.$$" || exit 1

awk -v gen="${TMPDIR:-/tmp}/gen-rdt7.$$" '
	/^\.\\" @RDT_H_SOCKET_API@$/ {
		while ((getline line < gen) > 0) print line
		next
	}
	{ print }
' "$template"
status=$?
rm -f "${TMPDIR:-/tmp}/gen-rdt7.$$"
exit $status
