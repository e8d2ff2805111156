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

# bench_key FILE: the key of bench_loopback's encrypted runs (bench_psk in
# tests/bench/bench_loopback.c, a string padded with zero bytes to 32) in
# FILE, as --psk-file reads it.
bench_key() {
	_psk=$(sed -n 's/^static const unsigned char bench_psk\[32\] = "\([^"\\]*\)";$/\1/p' \
		"$srcdir/tests/bench/bench_loopback.c")
	[ -n "$_psk" ] && [ ${#_psk} -le 32 ] ||
		fail "no plain bench_psk string in tests/bench/bench_loopback.c"
	{ printf '%s' "$_psk"; head -c $((32 - ${#_psk})) /dev/zero; } |
		od -An -tx1 >"$1"
}
