#!/bin/sh
# man-pages.sh: docs/check-man.sh passes on the tree and fails, for
# the right reason, on copies of rdt.h and src/ changed the ways the
# header drifts in practice: a function added or removed, a prototype
# changed, an error or option or struct rdt_info field added, an
# environment variable read.  Each mutation must name what it injected in
# the checker's output, so a checker that fails for another reason (or
# a mutation that no longer applies to rdt.h) fails this test.

set -u

top=${srcdir:-.}
checker=$top/docs/check-man.sh
header=$top/include/rdt.h
mandir=$top/docs/man

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-man-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# The pages as installed: rdt.7 generated from its template and rdt.h.
mkdir "$tmp/man"
cp "$mandir"/*.[1-9] "$mandir"/*.in "$tmp/man/" 2>/dev/null
rm -f "$tmp/man/rdt.7"
if ! sh "$top/docs/man/gen-rdt7.sh" "$header" "$mandir/rdt.7.in" \
	>"$tmp/man/rdt.7"; then
	fail "gen-rdt7.sh failed"
elif [ "$(grep -c '^\.SS' "$tmp/man/rdt.7")" -le \
       "$(grep -c '^\.SS' "$mandir/rdt.7.in")" ]; then
	fail "gen-rdt7.sh put no subsection of rdt.h's model into rdt.7"
fi
mandir=$tmp/man

if ! sh "$checker" "$header" "$mandir" "$top/src"; then
	fail "the man pages and rdt.h disagree (see above)"
fi

# expect_failure WHAT NEEDLE HEADER [SOURCEDIR]: the checker must fail on
# HEADER and mention NEEDLE.
expect_failure() {
	what=$1 needle=$2 h=$3 src=${4:-$top/src}
	if cmp -s "$h" "$header" && [ "$src" = "$top/src" ]; then
		fail "$what: the mutation no longer applies to rdt.h"
		return
	fi
	if sh "$checker" "$h" "$mandir" "$src" >"$tmp/out" 2>&1; then
		fail "$what: the checker passed"
	elif ! grep -q -- "$needle" "$tmp/out"; then
		fail "$what: the checker failed without naming $needle:"
		cat "$tmp/out"
	else
		echo "ok: $what: $(grep -m1 -- "$needle" "$tmp/out")"
	fi
}

# Inserts LINE before the header's closing extern "C" block.
add_before_end() {
	awk -v add="$1" '
		{ line[NR] = $0 }
		/^#ifdef __cplusplus/ { last = NR }
		END { for (i = 1; i <= NR; i++) {
			if (i == last) print add
			print line[i] } }' "$header"
}

add_before_end 'RDT_EXTERN int rdt_frobnicate(int fd);' >"$tmp/added.h"
expect_failure "function without a page" rdt_frobnicate "$tmp/added.h"

grep -v '^RDT_EXTERN int rdt_poll(' "$header" >"$tmp/removed.h"
expect_failure "page for a removed function" rdt_poll "$tmp/removed.h"

# The first "(int fd" of a declaration becomes "(long fd".
sed '/^RDT_EXTERN/{s/(int fd/(long fd/;t done
b
:done
n
:copy
n
b copy
}' "$header" >"$tmp/proto.h"
expect_failure "prototype changed" "long fd" "$tmp/proto.h"

# A new error in the comment above rdt_close.
awk '{ line[NR] = $0 }
	/^RDT_EXTERN int rdt_close\(/ { at = NR }
	END { for (i = 1; i <= NR; i++) {
		if (i == at - 1) print " * Errors: EXDEV."
		print line[i] } }' "$header" >"$tmp/newerror.h"
expect_failure "new error" EXDEV "$tmp/newerror.h"

awk '{ line[NR] = $0 }
	/^RDT_EXTERN int rdt_close\(/ { at = NR }
	END { for (i = 1; i <= NR; i++) {
		if (i == at - 1) print " * MSG_ZEROCOPY is ignored."
		print line[i] } }' "$header" >"$tmp/newconst.h"
expect_failure "new flag" MSG_ZEROCOPY "$tmp/newconst.h"

add_before_end '#define RDT_FROBNICATE 99' >"$tmp/option.h"
expect_failure "new option" RDT_FROBNICATE "$tmp/option.h"

awk '{ print }
	/^struct rdt_info \{/ { print "\tuint64_t frob_count;" }' \
	"$header" >"$tmp/field.h"
expect_failure "new RDT_INFO field" frob_count "$tmp/field.h"

mkdir "$tmp/src"
cp -R "$top/src/." "$tmp/src/"
echo 'static const char *frob(void) { return getenv("RDT_FROB"); }' \
	>"$tmp/src/frob.c"
expect_failure "new environment variable" RDT_FROB "$header" "$tmp/src"

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
exit 0
