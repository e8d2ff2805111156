# netem-scripts/lib/report.sh: the report of one run, and --all's table.
# Sourced by netem-scripts/replay, never run; see the map there.

# fmt_mib BYTES: BYTES in MiB, two decimals.
fmt_mib() { awk -v b="${1:-0}" 'BEGIN { printf "%.2f", b / 1048576 }'; }

# sender_rtt_median: "COUNT MEDIAN_MS" of the RTT samples (latest_rtt)
# in the sender's qlog trace under $WORK/qlog, or "0" without any.  The
# final srtt is one moment of a run; a bloated buffer shows in the median.
sender_rtt_median() {
	cat "$WORK"/qlog/*.sqlog 2>/dev/null |
		grep -o '"latest_rtt":[0-9.]*' | cut -d: -f2 | sort -n |
		awk '{ v[NR] = $1 }
		     END {
			if (NR == 0) { print 0; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%d %.3f\n", NR, m
		     }'
}

# sender_startup_end_us T0: microseconds from T0 (epoch microseconds) to
# the moment the sender's congestion control left its start (the first
# state in its qlog trace other than startup, drain or a slow start), or
# nothing if it never did.  The trace's times count in milliseconds from
# its reference_time, itself milliseconds since the epoch.
sender_startup_end_us() {
	cat "$WORK"/qlog/*.sqlog 2>/dev/null | awk -v t0="$1" '
	function field(name, pat) {
		if (!match($0, "\"" name "\":" pat)) return ""
		return substr($0, RSTART + length(name) + 3,
			      RLENGTH - length(name) - 3)
	}
	ref == "" { ref = field("reference_time", "[0-9.]+") }
	/congestion_state_updated/ && ref != "" {
		st = field("new", "\"[a-z_]+\"")
		if (st ~ /^"(startup|drain|slow_start|conservative_slow_start)"$/)
			next
		printf "%d\n", (ref + field("time", "[0-9.]+")) * 1000 - t0
		exit
	}'
}

# utilization DIR BYTES SECONDS: set U_BPS (DIR's rate limit at 0 s in
# bit/s, 0 for none), U_VALUE (goodput / U_BPS, three decimals, "" when
# there is no limit), U_CHANGES (1 when a later step of a scenario sets
# another rate on DIR) and U_TEXT (the report's line).  A scenario is
# measured against its link at 0 s: the rate in force at each moment
# would need the delivery times, and a mean of the steps' rates would
# depend on when the transfer ended.
utilization() {
	local dir=$1 bytes=$2 secs=$3 p0 i p r
	U_BPS=0 U_VALUE= U_CHANGES=0 U_TEXT=
	if [ "$dir" = a2b ]; then p0=$LINK0_A2B; else p0=$LINK0_B2A; fi
	U_BPS=$(rate_bps "$dir" "$p0") || U_BPS=0
	for ((i = FIRST_TIMED; i < ${#S_T[@]}; i++)); do
		[ "${S_ACT[$i]}" = set ] || continue
		if [ "$dir" = a2b ]; then p=${S_A2B[$i]}; else p=${S_B2A[$i]}; fi
		[ "$p" = = ] && continue
		r=$(rate_bps "$dir" "$p") || continue
		[ "$r" = "$U_BPS" ] || U_CHANGES=1
	done
	if [ "$U_BPS" = 0 ]; then
		U_TEXT="n/a (no rate limit)"
		[ "$U_CHANGES" = 1 ] &&
			U_TEXT="$U_TEXT; the scenario sets one later"
		return 0
	fi
	U_VALUE=$(awk -v b="$bytes" -v d="$secs" -v r="$U_BPS" \
		'BEGIN { printf "%.3f", (d > 0 ? b * 8 / d / r : 0) }')
	U_TEXT=$(awk -v u="$U_VALUE" -v r="$U_BPS" -v dir="$dir" \
		'BEGIN { printf "%.2f = goodput / %g Mbit/s, the %s rate limit", u, r / 1e6, dir }')
	[ "$U_CHANGES" = 1 ] &&
		U_TEXT="$U_TEXT at 0 s (the scenario changes it later; this is against the initial link only)"
	return 0
}

# report: print what run_one found (its locals are visible here).
report() {
	local sender=$WORK/server.json receiver=$WORK/client.json dirn
	local data_dir=b2a ack_dir=a2b
	dirn="server -> client (download)"
	if [ "$UPLOAD" = 1 ]; then
		sender=$WORK/client.json receiver=$WORK/server.json
		data_dir=a2b ack_dir=b2a
		dirn="client -> server (upload)"
	fi
	local dur goodput stall s_start s_end after
	dur=$(awk -v u=$((t_end - t0)) 'BEGIN { printf "%.2f", u / 1e6 }')
	goodput=$(awk -v b="$size" -v d="$dur" \
		'BEGIN { printf "%.2f", (d > 0 ? b * 8 / d / 1e6 : 0) }')
	read -r stall s_start s_end after <<<"$(analyse_progress)"
	utilization "$data_dir" "$size" "$dur"
	# The same after the start: from the progress sample at or before
	# the moment the sender left it to the end of the run.
	local su_us su_s= su_value= su_text
	su_us=$(sender_startup_end_us "$t0")
	if [ -n "$su_us" ]; then
		su_s=$(awk -v u="$su_us" 'BEGIN { printf "%.2f", u / 1e6 }')
		[ "$U_BPS" != 0 ] && su_value=$(awk -v t="$su_us" \
			-v e=$((t_end - t0)) -v b="$size" -v r="$U_BPS" '
			$1 <= t { b0 = $2 }
			END { if (e > t) printf "%.3f", (b - b0) * 8 / ((e - t) / 1e6) / r }' \
			"$WORK/progress")
	fi
	if [ -z "$su_us" ]; then
		su_text="n/a after the start (the sender's qlog trace never left it)"
	elif [ -z "$su_value" ]; then
		su_text="n/a after the start (no rate limit), which ended at $su_s s"
	else
		su_text="$(awk -v u="$su_value" 'BEGIN { printf "%.2f", u }') after the start, from $su_s s (when the sender's congestion control left it) to the end"
	fi

	local s_retx s_retx_b s_lost s_spur s_rto s_tlp srtt rttvar minrtt
	s_retx=$(json_get "$sender" pkts_retransmitted)
	s_retx_b=$(json_get "$sender" bytes_retransmitted)
	s_lost=$(json_get "$sender" pkts_lost)
	s_spur=$(json_get "$sender" pkts_spurious_lost)
	s_rto=$(json_get "$sender" rto_count)
	s_tlp=$(json_get "$sender" tlp_count)
	srtt=$(json_get "$sender" srtt_ms)
	rttvar=$(json_get "$sender" rttvar_ms)
	minrtt=$(json_get "$sender" min_rtt_ms)
	local rtt_n rtt_median rtt_ratio
	read -r rtt_n rtt_median <<<"$(sender_rtt_median)"
	rtt_ratio=$(awk -v m="$rtt_median" -v b="$minrtt" \
		'BEGIN { if (m != "" && b > 0) printf "%.2f", m / b }')
	local r_dup r_reord r_ck r_pck
	r_dup=$(json_get "$receiver" pkts_duplicate)
	r_reord=$(json_get "$receiver" pkts_reordered)
	r_ck=$(json_get "$receiver" drop_checksum)
	r_pck=$(json_get "$receiver" port_drop_checksum)

	echo "==== $PROG: $KIND $NAME ($file)"
	echo "  backend     $BACKEND ($BACKEND_WHY)"
	echo "  link a2b    ${LINK0_A2B:-no impairment}"
	echo "  link b2a    ${LINK0_B2A:-no impairment}"
	if [ "$KIND" = scenario ]; then
		local t txt
		while read -r t txt; do
			printf '  step        at %6.2f s: %s\n' \
				"$(awk -v u="$t" 'BEGIN { print u / 1e6 }')" "$txt"
		done <"$WORK/steps"
		local applied timed=$((${#S_T[@]} - FIRST_TIMED))
		applied=$(grep -c . "$WORK/steps")
		[ "$applied" -lt "$timed" ] &&
			echo "  steps       only $applied of $timed applied: the transfer ended first (a larger --size runs the whole timeline)"
	fi
	echo "  transfer    $size bytes $dirn, seed $seed"
	echo "  result      $verdict${why:+: $why}"
	[ "$verdict" = PASS ] &&
		echo "  verified    byte-exact, SHA-256 $sum_sent"
	echo "  duration    $dur s, goodput $goodput Mbit/s"
	echo "  utilization $U_TEXT"
	echo "              $su_text"
	echo "  sender      retransmitted ${s_retx:-?} packets (${s_retx_b:-?} bytes), lost ${s_lost:-?} (spurious ${s_spur:-?}), RTOs ${s_rto:-?}, TLPs ${s_tlp:-?}"
	echo "  rtt         srtt ${srtt:-?} ms, rttvar ${rttvar:-?} ms, min ${minrtt:-?} ms"
	if [ "${rtt_n:-0}" -gt 0 ]; then
		echo "  rtt median  $rtt_median ms over the run ($rtt_n samples), ${rtt_ratio:-?} x the min RTT"
	else
		echo "  rtt median  n/a (the sender's qlog trace has no RTT sample)"
	fi
	echo "  receiver    duplicates ${r_dup:-?}, reordered ${r_reord:-?}, checksum drops ${r_ck:-?} (port ${r_pck:-?})"
	if [ "$BACKEND" = impair ] && [ -s "$WORK/impair.json" ]; then
		local d
		for d in "$data_dir" "$ack_dir"; do
			echo "  relay $d   received $(json_get "$WORK/impair.json" received "$d"), delivered $(json_get "$WORK/impair.json" delivered "$d"), dropped: loss $(json_get "$WORK/impair.json" dropped_loss "$d") queue $(json_get "$WORK/impair.json" dropped_queue "$d") down $(json_get "$WORK/impair.json" dropped_down "$d"); duplicated $(json_get "$WORK/impair.json" duplicated "$d"), corrupted $(json_get "$WORK/impair.json" corrupted "$d"), reordered $(json_get "$WORK/impair.json" reordered "$d")"
		done
	fi
	echo "  progress    longest stall $stall s (from $s_start s to $s_end s), then $(fmt_mib "$after") MiB delivered"
	[ "$KIND" = scenario ] && echo "  MiB/s       $(timeline_bins)"
	local kept=$pcap
	[ -z "$PCAP_OPT" ] && [ "$KEEP" = 0 ] && [ "$verdict" = PASS ] &&
		kept="(removed at exit; --pcap FILE keeps it)"
	echo "  capture     ${capture_with:-none} $kept"
	echo "  checker     $checker${corrupted:+ ($corrupted datagrams corrupted in transit)}"
	[ -n "$plot" ] && echo "  plot        $plot"
	[ "$verdict" = PASS ] ||
		echo "  repeat      $SELF $file --backend $BACKEND --size $size --seed $seed${TIMEOUT_OPT:+ --timeout $TIMEOUT_OPT}$([ "$UPLOAD" = 1 ] && echo " --upload")"

	if [ -n "$SUMMARY_OPT" ]; then
		cat >"$SUMMARY_OPT" <<EOF
name=$NAME
kind=$KIND
backend=$BACKEND
verdict=$verdict
size=$size
seed=$seed
duration_s=$dur
goodput_mbps=$goodput
bottleneck_dir=$data_dir
bottleneck_bps=$U_BPS
bottleneck_changes=$U_CHANGES
utilization=$U_VALUE
startup_end_s=$su_s
utilization_after_startup=$su_value
retransmitted=${s_retx:-}
lost=${s_lost:-}
rto=${s_rto:-}
srtt_ms=${srtt:-}
min_rtt_ms=${minrtt:-}
rtt_median_ms=${rtt_median:-}
rtt_samples=${rtt_n:-0}
rtt_median_over_min=${rtt_ratio:-}
stall_s=$stall
stall_start_s=$s_start
stall_end_s=$s_end
bytes_after_stall=$after
exit_client=$rc_client
exit_server=$rc_server
checker=$checker
EOF
	fi
}

# run_all: every profile in its own process, then a table.
run_all() {
	local f failed=0 rc n=0
	local -a args=(--backend "$BACKEND_OPT")
	[ -n "$SEED_OPT" ] && args+=(--seed "$SEED_OPT")
	[ -n "$TIMEOUT_OPT" ] && args+=(--timeout "$TIMEOUT_OPT")
	[ "$UPLOAD" = 1 ] && args+=(--upload)
	[ "$VERBOSE" = 1 ] && args+=(--verbose)
	[ "$KEEP" = 1 ] && args+=(--keep)
	[ "$REQUIRE_CHECKER" = 1 ] && args+=(--require-checker)
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, veth, tc)"
	# Global: the EXIT trap runs after this function has returned.
	ALL_TABLE=$(mktemp "${TMPDIR:-/tmp}/rdt-replay-all.XXXXXX") || exit 1
	trap 'rm -f "$ALL_TABLE" "$ALL_TABLE.one"' EXIT
	local table=$ALL_TABLE
	trap 'exit 130' INT
	trap 'exit 143' TERM
	for f in "$PROFILE_DIR"/*.netem; do
		n=$((n + 1))
		rm -f "$table.one"
		"$SELF" "${args[@]}" --summary "$table.one" "$f"
		rc=$?
		[ "$rc" = 77 ] && exit 77
		[ "$rc" = 0 ] || failed=$((failed + 1))
		if [ -s "$table.one" ]; then
			awk -F= '{ v[$1] = $2 } END {
				u = "n/a"
				if (v["utilization"] != "")
					u = sprintf("%.2f", v["utilization"])
				r = "n/a"
				if (v["rtt_median_over_min"] != "")
					r = v["rtt_median_over_min"]
				printf "%-16s %-6s %8.2f %8.2f %8s %5s %7s %8s %6s  %s\n",
				v["name"], v["verdict"], v["size"] / 1048576,
				v["duration_s"], v["goodput_mbps"], u, r,
				v["retransmitted"], v["stall_s"], v["checker"] }' \
				"$table.one" >>"$table"
		else
			printf '%-16s %-6s (exit %s, no report)\n' \
				"$(basename "$f" .netem)" FAIL "$rc" >>"$table"
		fi
	done
	echo "==== $PROG --all: $((n - failed)) of $n profiles passed"
	printf '%-16s %-6s %8s %8s %8s %5s %7s %8s %6s  %s\n' profile result MiB \
		seconds Mbit/s util rtt/min retrans stall checker
	cat "$table"
	[ "$failed" = 0 ]
}
