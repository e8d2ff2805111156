#!/bin/sh
# check-exports.sh: fail if the built shared library exports any symbol,
# or the static library defines any global, whose name does not start
# with rdt_.
#
# Everything else in librdt is compiled with -fvisibility=hidden; a stray
# export becomes ABI that users can link against and that we would then
# have to keep.  The script first checks its own filter against a made-up
# symbol list, so a broken filter cannot pass silently, then checks the
# real library, which must export at least rdt_version.
#
# Exit codes follow the automake test protocol: 0 pass, 1 fail, 77 skip.

set -u

lib=${RDT_LIBRARY:-${top_builddir:-.}/.libs/librdt.so}

# bad_symbols: reads `nm -D --defined-only` output on stdin and prints
# every exported name that is not rdt_* and not a linker-made symbol.
# Absolute (A) symbols are version nodes and linker marks, never code.
bad_symbols() {
	awk 'NF >= 2 {
		type = $(NF - 1); name = $NF
		sub(/@.*/, "", name)
		if (type == "A" || type == "U" || type == "w" || type == "v")
			next
		# AddressSanitizer marks each instrumented global.
		if (name ~ /^__odr_asan[.]/)
			next
		if (name ~ /^(_init|_fini|_edata|_end|__bss_start)$/ ||
		    name ~ /^(_DYNAMIC|_GLOBAL_OFFSET_TABLE_)$/)
			next
		if (name !~ /^rdt_/)
			print name
	}'
}

# Self-check: the filter must flag the stray symbol and nothing else.
sample='0000000000001139 T rdt_version
0000000000004010 D rdt_table
0000000000001200 T helper_leak
0000000000004020 B _edata
0000000000004028 B _end
0000000000004020 B __bss_start
0000000000001000 T _init
0000000000000000 A LIBRDT_0'
flagged=$(printf '%s\n' "$sample" | bad_symbols)
if [ "$flagged" != "helper_leak" ]; then
	echo "check-exports: self-check failed: filter flagged '$flagged'," \
	     "expected 'helper_leak'" >&2
	exit 1
fi

if ! command -v nm >/dev/null 2>&1; then
	echo "check-exports: nm not found; skipping" >&2
	exit 77
fi
if [ ! -f "$lib" ]; then
	# --disable-shared builds have nothing to check.
	echo "check-exports: $lib not found (static-only build?); skipping" >&2
	exit 77
fi

if ! syms=$(nm -D --defined-only "$lib"); then
	echo "check-exports: nm failed on $lib" >&2
	exit 1
fi

status=0
if ! printf '%s\n' "$syms" | awk '$NF == "rdt_version" { f = 1 }
				    END { exit !f }'; then
	echo "check-exports: $lib does not export rdt_version" >&2
	status=1
fi
bad=$(printf '%s\n' "$syms" | bad_symbols)
if [ -n "$bad" ]; then
	echo "check-exports: $lib exports symbols outside rdt_*:" >&2
	printf '  %s\n' $bad >&2
	status=1
fi
# librdt.a hides nothing (visibility only matters when linking the .so),
# so a static program sees every global of every object: they must all
# carry the prefix too, or they collide with the program's own names.
archive=${lib%.so}.a
if [ -f "$archive" ]; then
	if ! asyms=$(nm -g --defined-only "$archive"); then
		echo "check-exports: nm failed on $archive" >&2
		exit 1
	fi
	abad=$(printf '%s\n' "$asyms" | awk 'NF == 3' | bad_symbols | sort -u)
	if [ -n "$abad" ]; then
		echo "check-exports: $archive defines globals outside rdt_*:" >&2
		printf '  %s\n' $abad >&2
		status=1
	fi
fi
if [ $status -eq 0 ]; then
	echo "check-exports: $lib exports only rdt_* symbols:"
	printf '%s\n' "$syms" | awk '$NF ~ /^rdt_/ { print "  " $NF }'
fi
exit $status
