#!/bin/sh
# Real traffic must pass the checker: every simulator profile's transfer,
# recorded as sent and as delivered (tests/sim/rdt-sim --pcap), checks
# clean, and the transfers that finish show a proper close.  Skips while
# rdt-sim has no --pcap.
. "${srcdir:-.}/tests/pcap/lib.sh"

SIM=$top_builddir/tests/sim/rdt-sim
if [ -n "$RDT_TEST_QUICK" ]; then
	# Still more than stall60's 256 KiB receive buffer, or its window
	# never closes and the profile fails its own check.
	size=400000 seeds=1
else
	size=1000000 seeds="1 2"
fi
"$SIM" run clean --seed 1 --size 1000 --pcap "$tmp/probe.pcap" \
	>/dev/null 2>&1
[ -s "$tmp/probe.pcap" ] || { echo "SKIP: rdt-sim has no --pcap"; exit 77; }

{ printf '%s' "rdt-sim: the profiles' own key."; head -c 1 /dev/zero; } |
	od -An -tx1 >"$tmp/sim.key"
profiles=$("$SIM" list | awk '{ print $1 }')
[ -n "$profiles" ] || fail "rdt-sim list printed no profile"
for p in $profiles; do
	for seed in $seeds; do
		for at in sent delivered; do
			# The forger's datagrams are on the delivered side and
			# are violations on purpose: the checker is right to
			# flag them, so only the genuine (sent) side is held
			# to a clean check.
			case $p-$at in forgery*-delivered) continue ;; esac
			# The encrypted profiles' key (sim_psk in rdt-sim.c).
			key=
			case $p in *-psk) key="--psk-file $tmp/sim.key" ;; esac
			f=$tmp/$p-$seed-$at.pcap
			"$SIM" run "$p" --seed "$seed" --size "$size" \
				--pcap "$f" --pcap-at "$at" >"$tmp/sim.out" 2>&1 ||
				fail "rdt-sim run $p --seed $seed failed: $(cat "$tmp/sim.out")"
			"$PCAP" check $key "$f" >"$tmp/out" 2>&1 || {
				cat "$tmp/out" >&2
				fail "check $p seed $seed ($at): violations"
			}
			expect_in "$tmp/out" "handshake seen"
			case $p in
			vanish) ;;
			*) expect_in "$tmp/out" "handshake seen; closed" ;;
			esac
			echo "ok: $p seed $seed $at"
		done
	done
done

# Corruption in flight is listed, not a violation, and --strict-crc
# (no link between the endpoint and the capture) makes it one.
"$SIM" run corrupt2 --seed 1 --size "$size" --pcap "$tmp/c.pcap" \
	--pcap-at delivered >/dev/null 2>&1 || fail "rdt-sim corrupt2"
"$PCAP" check "$tmp/c.pcap" >"$tmp/out" 2>&1 ||
	fail "corrupted datagrams made violations: $(cat "$tmp/out")"
grep -q '^CORRUPTED packet #' "$tmp/out" ||
	fail "corrupted datagrams passed unnoticed"
"$PCAP" check --strict-crc "$tmp/c.pcap" >"$tmp/out" 2>&1
[ $? -eq 1 ] || fail "--strict-crc let corrupted datagrams pass"
expect_in "$tmp/out" "CRC32C mismatch"
