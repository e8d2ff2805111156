#!/bin/sh
# A transfer through a relay that corrupts datagrams (rdt-impair, 3% each
# way) must check clean: the receiver's own RDT_PCAP log shows the
# damaged datagrams, which it dropped as designed, and rdt-pcap check
# lists and counts them as corrupted in transit, exit 0, no VIOLATION.
# With --strict-crc the same datagrams are violations (exit 1), so the
# count is real.
. "${srcdir:-.}/tests/pcap/lib.sh"

RCAT=$top_builddir/tools/reliable-cat/reliable-cat
IMPAIR=$top_builddir/tools/rdt-impair/rdt-impair
[ -x "$RCAT" ] || { echo "SKIP: reliable-cat not built"; exit 77; }
[ -x "$IMPAIR" ] || { echo "SKIP: rdt-impair not built"; exit 77; }

pids=
cleanup_hooks='for p in $pids; do kill "$p" 2>/dev/null; done'
head -c 524288 /dev/urandom >"$tmp/in" || fail "no random data"

RDT_PCAP=$tmp/srv.pcap timeout -k 10 120 "$RCAT" -l --port-file "$tmp/port" \
	127.0.0.1 0 </dev/null >"$tmp/out" 2>"$tmp/srv.err" &
srv=$!
pids="$pids $srv"
i=0
until [ -s "$tmp/port" ]; do
	i=$((i + 1))
	[ $i -le 200 ] || fail "reliable-cat wrote no port in 10 s"
	sleep 0.05
done
timeout -k 10 120 "$IMPAIR" -v -s 7 --listen 127.0.0.1:0 \
	--forward "127.0.0.1:$(cat "$tmp/port")" --both 'corrupt 3%' \
	--stats "$tmp/impair.json" 2>"$tmp/impair.err" &
pids="$pids $!"
i=0
until relay=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' \
	"$tmp/impair.err") && [ -n "$relay" ]; do
	i=$((i + 1))
	[ $i -le 200 ] || fail "rdt-impair named no port in 10 s"
	sleep 0.05
done
timeout -k 10 120 "$RCAT" 127.0.0.1 "$relay" <"$tmp/in" >/dev/null \
	2>"$tmp/cli.err" || fail "client: $(cat "$tmp/cli.err")"
wait "$srv" || fail "server: $(cat "$tmp/srv.err")"
cmp -s "$tmp/in" "$tmp/out" || fail "the bytes arrived changed"

"$PCAP" check "$tmp/srv.pcap" >"$tmp/check" 2>&1 || {
	cat "$tmp/check" >&2
	fail "a corrupting link made the checker fail"
}
n=$(sed -n 's/^other: \([0-9]*\) corrupted in transit,.*/\1/p' "$tmp/check")
[ "${n:-0}" -gt 0 ] || fail "no corrupted datagram counted: $(cat "$tmp/check")"
[ "$(grep -c '^CORRUPTED packet #[0-9]* conn 1 ' "$tmp/check")" -eq "$n" ] ||
	fail "expected $n CORRUPTED lines: $(cat "$tmp/check")"
! grep -q '^VIOLATION' "$tmp/check" || fail "violations: $(cat "$tmp/check")"
expect_in "$tmp/check" "0 violations"
"$PCAP" check --json "$tmp/srv.pcap" >"$tmp/check.json" ||
	fail "check --json failed"
[ "$(json_num "$tmp/check.json" corrupted_in_transit)" = "$n" ] ||
	fail "JSON count differs: $(cat "$tmp/check.json")"
"$PCAP" check --strict-crc "$tmp/srv.pcap" >"$tmp/strict" 2>&1
[ $? -eq 1 ] || fail "--strict-crc passed $n corrupted datagrams"
[ "$(grep -c '^VIOLATION.*CRC32C mismatch' "$tmp/strict")" -eq "$n" ] ||
	fail "--strict-crc: expected $n violations"
echo "ok: $n datagrams corrupted in transit, no violation"
