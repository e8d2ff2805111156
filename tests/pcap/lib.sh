# tests/pcap/lib.sh: sourced by the rdt-pcap tests.  Finds the programs,
# gives each test a scratch directory removed on any exit, and the
# helpers that make a failure say what was expected.

top_builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
PCAP=$top_builddir/tools/rdt-pcap/rdt-pcap
GEN=$top_builddir/tests/pcap/gen-pcaps
DATA=$srcdir/tests/data

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rdt-pcap-test.XXXXXX") || exit 99
cleanup_hooks=
cleanup() {
	eval "$cleanup_hooks"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 99' INT TERM HUP

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect_in FILE TEXT: FILE must contain the fixed string TEXT.
expect_in() {
	grep -F -q -- "$2" "$1" || {
		echo "--- $1:" >&2
		cat "$1" >&2
		fail "expected '$2' in $1"
	}
}

# json_num FILE KEY: the first number after "KEY": in FILE.
json_num() {
	grep -o "\"$2\":[0-9]*" "$1" | head -n 1 | cut -d: -f2
}
