#!/bin/sh
# install.sh: `make install DESTDIR=...` gives a usable installation.
#
#   1. `man -w` finds, under the installed man directory only, rdt(7), a
#      page for every function include/rdt.h declares and one for every
#      installed program; each page renders (a ".so" link resolves).
#      Without man(1) (Debian: man-db) it checks the files instead.
#   2. A program compiled against the installed rdt.h and linked -static
#      with `pkg-config --static --cflags --libs librdt` (run against the
#      DESTDIR tree through PKG_CONFIG_SYSROOT_DIR) runs: it moves bytes
#      over a loopback rdt connection, and with RDT_PCAP set it writes a
#      pcap file, so the capture log needs no library that a static
#      program cannot link.  Skipped (and said so) when the build has no
#      static library or is instrumented with sanitizers, which cannot be
#      linked -static.
#   3. replay, replay.1 and the Wireshark dissector are installed where
#      docs/BUILDING.md says, and the installed replay runs (--dry-run).
#
# Runs in the build tree ($top_builddir); everything goes into a temporary
# directory that is removed at exit.

set -u

top=${srcdir:-.}
build=${top_builddir:-.}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rdt-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
dest=$tmp/root

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# A make started by a test must not try to join the parent's jobserver.
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ${MAKE:-make} -C "$build" \
	install DESTDIR="$dest" >"$tmp/install.log" 2>&1; then
	tail -n 40 "$tmp/install.log"
	echo "FAIL: make install DESTDIR=$dest"
	exit 1
fi

# Where things went, found rather than computed, so that any --prefix,
# --libdir or --mandir works.
pc=$(find "$dest" -name librdt.pc | head -n 1)
man7=$(find "$dest" -type f -name rdt.7 | head -n 1)
if [ -z "$pc" ] || [ -z "$man7" ]; then
	echo "FAIL: librdt.pc or rdt.7 not installed:"
	(cd "$dest" && find . -type f)
	exit 1
fi
mandir=${man7%/man7/rdt.7}
prefixdir=${pc%/lib*/pkgconfig/librdt.pc}
bindir=$prefixdir/bin

# --- 1. man pages ------------------------------------------------------------

functions=$(sed -n 's/^RDT_EXTERN[^(]*[ *]\(rdt_[a-z0-9_]*\)(.*/\1/p' \
	"$top/include/rdt.h")
[ -n "$functions" ] || fail "no RDT_EXTERN function found in rdt.h"
programs=$(cd "$bindir" 2>/dev/null && ls)
names="rdt replay $functions $programs"

if command -v man >/dev/null 2>&1; then
	for name in $names; do
		where=$(MANPATH=$mandir man -w "$name" 2>&1)
		case $where in
		"$mandir"/*) ;;
		*) fail "man -w $name: $where"; continue ;;
		esac
		# Rendering follows a .so link; a dangling one prints
		# nothing useful and an error.
		MANPATH=$mandir MANPAGER=cat PAGER=cat MANWIDTH=80 \
			man -E ascii "$name" >"$tmp/page" 2>"$tmp/err"
		if [ -s "$tmp/err" ] || ! grep -q "SYNOPSIS" "$tmp/page"; then
			fail "man $name does not render: $(cat "$tmp/err")"
		fi
	done
	echo "ok: man -w finds $(echo $names | wc -w) pages under $mandir"
else
	echo "note: man(1) not installed (Debian: man-db); checking files"
	for name in $names; do
		found=$(find "$mandir" -name "$name.[1-9]" | head -n 1)
		[ -n "$found" ] || fail "no man page for $name under $mandir"
	done
fi

# --- 2. a static program -----------------------------------------------------

pcdir=${pc%/librdt.pc}
libdir=${pc%/pkgconfig/librdt.pc}
flags=$(PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$dest \
	pkg-config --static --cflags --libs librdt) ||
	fail "pkg-config --static librdt"
echo "pkg-config --static --cflags --libs librdt: $flags"

if [ ! -f "$libdir/librdt.a" ]; then
	echo "note: no librdt.a (--disable-static): static link not tried"
elif nm "$libdir/librdt.a" 2>/dev/null | grep -q '__[at]san_'; then
	echo "note: librdt.a is built with sanitizers, which cannot be" \
	     "linked -static: static link not tried"
else
	# $flags is a list of words for the compiler.
	# shellcheck disable=SC2086
	if ! ${CC:-cc} -static -o "$tmp/static-prog" \
		"$top/tests/packaging/static-prog.c" $flags \
		>"$tmp/cc.log" 2>&1; then
		cat "$tmp/cc.log"
		fail "cc -static ... \$(pkg-config --static --libs librdt)"
	elif ! RDT_PCAP=$tmp/log.pcap timeout -k 10 60 "$tmp/static-prog"; then
		fail "the static program failed"
	else
		# The pcap magic, in the writer's byte order: microsecond
		# a1b2c3d4 or nanosecond a1b23c4d.
		magic=$(od -An -tx4 -N4 "$tmp/log.pcap" 2>/dev/null |
			tr -d ' ')
		records=$(($(wc -c <"$tmp/log.pcap") > 24))
		case $magic in
		a1b2c3d4|a1b23c4d) ;;
		*) fail "RDT_PCAP in a static program: no pcap file" \
			"(magic '$magic')" ;;
		esac
		[ "$records" -eq 1 ] ||
			fail "RDT_PCAP in a static program: no records"
		echo "ok: a -static program linked with pkg-config ran" \
		     "and logged $(wc -c <"$tmp/log.pcap") pcap bytes"
	fi
fi

# --- 3. the tools' data ------------------------------------------------------

for f in netem-scripts/replay netem-scripts/profiles/clean.netem \
	netem-scripts/scenarios/blackout-3s.scn rdt.lua; do
	found=$(find "$dest" -path "*/share/rdt/$f" | head -n 1)
	if [ -z "$found" ]; then
		fail "$f not installed in the package data directory"
	elif [ "${f##*/}" = replay ] && [ ! -x "$found" ]; then
		fail "$found is not executable"
	fi
done

# The installed replay must find what it needs beside itself (profiles,
# scenarios, its library files) and the tools on PATH: a dry run reads
# and checks a profile without starting anything.
replay=$(find "$dest" -path '*/share/rdt/netem-scripts/replay' | head -n 1)
if [ -n "$replay" ] &&
   ! (cd "$tmp" && PATH=$bindir:$PATH RDT_IMPAIR=$bindir/rdt-impair \
	RELIABLE_CAT=$bindir/reliable-cat top_builddir= \
	"$replay" --dry-run clean >"$tmp/replay.log" 2>&1); then
	cat "$tmp/replay.log"
	fail "the installed replay cannot run: $replay --dry-run clean"
fi

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s); installed files:"
	(cd "$dest" && find . -type f | sort)
	exit 1
fi
exit 0
