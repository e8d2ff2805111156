# netem-scripts/lib/run.sh: one run: namespaces, backend, capture, transfer, verdict.
# Sourced by netem-scripts/replay, never run; see the map there.

# --- one run ---------------------------------------------------------------

# detect_backend: set BACKEND (and BACKEND_WHY) from the --backend choice
# by trying a netem qdisc on the server's veth.
detect_backend() {
	local out
	out=$(tc -n "$NS_B" qdisc add dev "$VETH_B" root netem delay 0ms 2>&1)
	if [ $? = 0 ]; then
		tc -n "$NS_B" qdisc del dev "$VETH_B" root
		HAVE_NETEM=1
		NETEM_WHY="the kernel has the netem qdisc"
	else
		HAVE_NETEM=0
		NETEM_WHY="no netem qdisc in this kernel: tc said \"$(echo $out)\""
	fi
	case $BACKEND_OPT in
	auto)
		if [ "$HAVE_NETEM" = 1 ]; then
			BACKEND=netem
		else
			BACKEND=impair
		fi
		BACKEND_WHY="auto: $NETEM_WHY" ;;
	netem)
		[ "$HAVE_NETEM" = 1 ] || skip "--backend netem: $NETEM_WHY"
		BACKEND=netem
		BACKEND_WHY="requested" ;;
	impair)
		BACKEND=impair
		BACKEND_WHY="requested; $NETEM_WHY" ;;
	esac
}

# reap_stale: delete the namespaces that a replay killed with SIGKILL (no
# trap ran) left behind: named by a PID that is no longer a replay, and
# with no process inside.
reap_stale() {
	local ns pid
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		[[ $ns =~ ^rdtreplay-([0-9]+)-[0-9]+-[ab]$ ]] || continue
		pid=${BASH_REMATCH[1]}
		grep -qs replay "/proc/$pid/cmdline" && continue
		[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] || continue
		vlog "deleting stale namespace $ns"
		ip netns del "$ns" 2>/dev/null
	done
}

# make_hosts: the two namespaces and the veth pair between them.  Senders
# may batch datagrams with UDP GSO (UDP_SEGMENT), and a veth passes such
# a batch on whole, so a capture would see one "datagram" of many
# segments; gso_max_segs 1 makes the kernel split batches before the
# capture sees them (after the qdisc: netem still takes a batch as one
# packet).
make_hosts() {
	local tag=$$-$RANDOM
	reap_stale
	NS_A=rdtreplay-$tag-a
	NS_B=rdtreplay-$tag-b
	local out
	out=$(ip netns add "$NS_A" 2>&1) || {
		NS_A=
		skip "cannot create a network namespace: $out"
	}
	ip netns add "$NS_B" &&
	ip link add "$VETH_A" netns "$NS_A" type veth \
		peer name "$VETH_B" netns "$NS_B" &&
	ip -n "$NS_A" addr add "$ADDR_A/24" dev "$VETH_A" &&
	ip -n "$NS_B" addr add "$ADDR_B/24" dev "$VETH_B" &&
	ip -n "$NS_A" link set "$VETH_A" gso_max_segs 1 up &&
	ip -n "$NS_B" link set "$VETH_B" gso_max_segs 1 up &&
	ip -n "$NS_A" link set lo up &&
	ip -n "$NS_B" link set lo up || {
		err "cannot set up the namespaces and veth pair"
		return 1
	}
}

# analyse_progress: from $WORK/progress ("us bytes" samples), print
# "STALL_S START_S END_S BYTES_AFTER": the longest time without progress
# between the first and the last byte, when it began and ended, and how
# much arrived after it.
analyse_progress() {
	awk '
	{ t = $1 / 1e6; b = $2 }
	b > last {
		if (seen && t - tlast > best) {
			best = t - tlast; s = tlast; e = t; before = last
		}
		seen = 1; tlast = t; last = b
	}
	END { printf "%.2f %.2f %.2f %d\n", best, s, e, last - before }
	' "$WORK/progress"
}

# timeline_bins: delivered MiB per second, from $WORK/progress.
timeline_bins() {
	awk '
	{ sec = int($1 / 1e6); if (sec > max) max = sec; at[sec] = $2 }
	END {
		prev = 0
		for (s = 0; s <= max; s++) {
			if (s in at) cur = at[s]; else cur = prev
			printf "%s%.1f", s ? " " : "", (cur - prev) / 1048576
			prev = cur
		}
		printf "\n"
	}' "$WORK/progress"
}

# run_one FILE: one transfer over the profile or scenario FILE.
run_one() {
	local file=$1 size timeout seed tool_rc
	parse_file "$file" || exit 2

	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, veth, tc)"
	command -v ip >/dev/null || skip "needs ip (iproute2)"
	RCAT=$(find_tool reliable-cat RELIABLE_CAT) ||
		skip "reliable-cat not found (build it, or set RELIABLE_CAT)"
	PCAP_TOOL=$(find_tool rdt-pcap RDT_PCAP_TOOL) || PCAP_TOOL=
	[ -n "$PCAP_TOOL" ] || [ "$REQUIRE_CHECKER" = 0 ] ||
		skip "rdt-pcap not found (build it, or set RDT_PCAP_TOOL), so the capture cannot be checked"
	unset RDT_PCAP

	if [ -n "$SIZE_OPT" ]; then
		size=$SIZE_OPT
	elif [ "${RDT_TEST_QUICK:-0}" = 1 ] && [ -n "$META_QUICK" ]; then
		size=$META_QUICK
	else
		size=${META_SIZE:-$((16 << 20))}
	fi
	timeout=${TIMEOUT_OPT:-${META_TIMEOUT:-120}}
	seed=${SEED_OPT:-$(( (RANDOM << 15 | RANDOM) ))}

	# An interrupted run leaves nothing behind, unless --keep.
	trap cleanup EXIT
	trap 'RUN_FAILED=0; exit 130' INT
	trap 'RUN_FAILED=0; exit 143' TERM
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/rdt-replay.XXXXXX") || exit 1

	make_hosts || exit 1
	detect_backend
	if [ "$BACKEND" = impair ]; then
		IMPAIR=$(find_tool rdt-impair RDT_IMPAIR) ||
			skip "rdt-impair not found (build it, or set RDT_IMPAIR)"
	fi

	# The client connects to ADDR_B:PORT, where the server listens, or
	# with the impair backend the relay, in front of the server on the
	# loopback of the same namespace.
	local srv_addr=$ADDR_B srv_port=$PORT
	if [ "$BACKEND" = impair ]; then
		srv_addr=127.0.0.1
		srv_port=$((PORT + 1))
	fi

	initial_state
	LINK0_A2B=$CUR_A2B LINK0_B2A=$CUR_B2A
	# A corrupting link needs no option: the checker counts corruption in
	# transit and only an endpoint's faults are violations.
	local corrupted=

	# The file.
	head -c "$size" /dev/urandom >"$WORK/send" || exit 1
	local sum_sent
	sum_sent=$(sha256sum <"$WORK/send" | cut -d' ' -f1)

	# The link at 0 s.
	if [ "$BACKEND" = netem ]; then
		netem_setup || exit 1
	else
		mkfifo "$WORK/control" || exit 1
		# Held open for writing for the whole run, so the relay never
		# sees end-of-file between two commands.
		exec 9<>"$WORK/control"
		CONTROL_OPEN=1
		local -a iargs
		mapfile -t iargs < <(impair_args)
		start relay ip netns exec "$NS_B" "$IMPAIR" -v \
			--listen "$ADDR_B:$PORT" --forward "$srv_addr:$srv_port" \
			--control "$WORK/control" --seed "$seed" \
			--stats "$WORK/impair.json" --duration $((timeout + 30)) \
			"${iargs[@]}" 2>"$WORK/impair.log"
		wait_for rdt-impair "$PID_relay" "$WORK/impair.log" \
			udp_bound "$NS_B" "$PORT" ||
			exit 1
	fi

	# The capture, on the server's veth: with netem it sees both
	# directions after their impairment; with rdt-impair (which runs
	# behind that veth) the client's packets before it and the server's
	# after it.  tcpdump comes first because it can enlarge the kernel's
	# capture buffer (-B, in KiB): with libpcap's default of 2 MiB, a
	# fast transfer overflows it, and a checker that misses packets sees
	# ACKs of data "never sent".
	local pcap=${PCAP_OPT:-$WORK/capture.pcap} capture_with=
	if command -v tcpdump >/dev/null; then
		capture_with=tcpdump
		start capture ip netns exec "$NS_B" tcpdump -i "$VETH_B" \
			-B 65536 -s 0 -w "$pcap" udp port "$PORT" \
			2>"$WORK/capture.log"
	elif [ -n "$PCAP_TOOL" ]; then
		capture_with=rdt-pcap
		start capture ip netns exec "$NS_B" "$PCAP_TOOL" capture \
			-i "$VETH_B" -w "$pcap" -d $((timeout + 30)) "$PORT" \
			2>"$WORK/capture.log"
	fi
	if [ -n "$capture_with" ]; then
		wait_for "the capture" "$PID_capture" "$WORK/capture.log" \
			capture_ready "$PID_capture" "$NS_B" ||
			exit 1
	fi

	# Server, then client.  Who reads the file depends on --upload.
	# The sender alone writes a qlog trace: its RTT samples give the
	# report's median RTT (a final srtt is one sample of a whole run).
	local srv_in=$WORK/send srv_out=/dev/null srv_d= srv_qlog=$WORK/qlog
	local cli_in=/dev/null cli_out=$WORK/recv cli_d=-d cli_qlog=
	if [ "$UPLOAD" = 1 ]; then
		srv_in=/dev/null srv_out=$WORK/recv srv_d=-d srv_qlog=
		cli_in=$WORK/send cli_out=/dev/null cli_d= cli_qlog=$WORK/qlog
	fi
	mkdir -p "$WORK/qlog"
	: >"$WORK/recv"
	start server ip netns exec "$NS_B" env RDT_QLOG="$srv_qlog" \
		timeout -k 10 "$timeout" "$RCAT" -l \
		$srv_d -w 30 --stats "$WORK/server.json" "$srv_addr" "$srv_port" \
		<"$srv_in" >"$srv_out" 2>"$WORK/server.log"
	wait_for "the reliable-cat server" "$PID_server" "$WORK/server.log" \
		udp_bound "$NS_B" "$srv_port" || exit 1

	local t0
	t0=$(now_us)
	start client ip netns exec "$NS_A" env RDT_QLOG="$cli_qlog" \
		timeout -k 10 "$timeout" "$RCAT" \
		$cli_d -w 30 --size "$size" --stats "$WORK/client.json" \
		"$ADDR_B" "$PORT" <"$cli_in" >"$cli_out" \
		2>"$WORK/client.log"
	: >"$WORK/steps"
	[ "$FIRST_TIMED" -lt ${#S_T[@]} ] && start timeline run_timeline "$t0"

	# Sample the progress of the received file until both ends exit.
	local rc_client= rc_server= linger_end=0 now
	: >"$WORK/progress"
	while :; do
		now=$(now_us)
		echo "$((now - t0)) $(stat -c %s "$WORK/recv")" >>"$WORK/progress"
		if [ -z "$rc_client" ] && ! kill -0 "$PID_client" 2>/dev/null; then
			wait "$PID_client"
			rc_client=$?
		fi
		if [ -z "$rc_server" ] && ! kill -0 "$PID_server" 2>/dev/null; then
			wait "$PID_server"
			rc_server=$?
		fi
		[ -n "$rc_client" ] && [ -n "$rc_server" ] && break
		if [ -n "$rc_client$rc_server" ]; then
			[ "$linger_end" != 0 ] ||
				linger_end=$((now + LINGER_S * 1000000))
			if [ "$now" -gt "$linger_end" ]; then
				if [ -z "$rc_client" ]; then
					stop "$PID_client"
					rc_client="killed, still running $LINGER_S s after the server ended"
				fi
				if [ -z "$rc_server" ]; then
					stop "$PID_server"
					rc_server="killed, still running $LINGER_S s after the client ended"
				fi
				break
			fi
		fi
		sleep "$SAMPLE_S"
	done
	local t_end
	t_end=$(now_us)
	echo "$((t_end - t0)) $(stat -c %s "$WORK/recv")" >>"$WORK/progress"
	[ -n "${PID_timeline-}" ] && stop "$PID_timeline"
	# The relay writes its stats when it is told to end.
	[ "$BACKEND" = impair ] && stop "$PID_relay"
	[ -n "$capture_with" ] && stop "$PID_capture"

	# Verify.
	local sum_recv bytes_recv verdict=PASS why=
	sum_recv=$(sha256sum <"$WORK/recv" | cut -d' ' -f1)
	bytes_recv=$(stat -c %s "$WORK/recv")
	if [ "$rc_client" != 0 ] || [ "$rc_server" != 0 ]; then
		verdict=FAIL
		why="reliable-cat: $(end_of client "$rc_client"), $(end_of server "$rc_server")"
	elif [ "$sum_recv" != "$sum_sent" ]; then
		verdict=FAIL
		why="received $bytes_recv of $size bytes, SHA-256 differs$(
			[ "$bytes_recv" -gt 0 ] &&
			cmp "$WORK/send" "$WORK/recv" 2>&1 | sed 's/^/; /' | head -1)"
	fi

	# Check the capture, unless it is incomplete: both tools report the
	# kernel's drops ("N packets dropped by kernel", "N dropped by the
	# kernel").
	local checker="not run (rdt-pcap not built)" lost
	lost=$(sed -n 's/^\([0-9]*\) \(packets \)\{0,1\}dropped by \(the \)\{0,1\}kernel.*/\1/p; s/.*, \([0-9]*\) dropped by the kernel.*/\1/p' \
		"$WORK/capture.log" 2>/dev/null | head -1)
	if [ "${lost:-0}" -gt 0 ]; then
		checker="NOT VALID: the capture lost $lost datagrams (kernel drops)"
		verdict=FAIL
		why="${why:+$why; }the capture is incomplete"
	elif [ -n "$PCAP_TOOL" ] && [ -s "$pcap" ]; then
		"$PCAP_TOOL" check -p "$PORT" "$pcap" \
			>"$WORK/check.log" 2>&1
		tool_rc=$?
		corrupted=$(sed -n 's/^other: \([0-9]*\) corrupted in transit.*/\1/p' \
			"$WORK/check.log")
		[ "${corrupted:-0}" -gt 0 ] || corrupted=
		case $tool_rc in
		0) checker="PASS, no violation" ;;
		1)
			checker="FAIL, $(grep -c '^VIOLATION' "$WORK/check.log") violations in $WORK/check.log"
			verdict=FAIL
			why="${why:+$why; }the checker found violations" ;;
		*)
			checker="ERROR (exit $tool_rc): $(head -1 "$WORK/check.log")"
			verdict=FAIL
			why="${why:+$why; }the checker could not read the capture" ;;
		esac
	elif [ -n "$PCAP_TOOL" ]; then
		checker="ERROR: no capture (see $WORK/capture.log)"
		verdict=FAIL
		why="${why:+$why; }no capture"
	fi
	[ "$verdict" = PASS ] && RUN_FAILED=0

	local plot=
	if [ -n "$PLOT_OPT" ] && [ -n "$PCAP_TOOL" ] && [ -s "$pcap" ]; then
		if "$PCAP_TOOL" plot -o "$PLOT_OPT" -p "$PORT" "$pcap" \
			>"$WORK/plot.log" 2>&1; then
			plot=$PLOT_OPT
		else
			plot="failed: $(head -1 "$WORK/plot.log")"
		fi
	fi

	report
	[ "$verdict" = PASS ]
}

# end_of SIDE RC: how SIDE's reliable-cat ended, with the error of its
# --stats.
end_of() {
	local side=$1 rc=$2 error
	error=$(json_get "$WORK/$side.json" error)
	case $rc in
	0) echo "$side exit 0" ;;
	124) echo "$side timed out after $timeout s" ;;
	[0-9]*) echo "$side exit $rc${error:+ ($error)}" ;;
	*) echo "$side $rc${error:+ ($error)}" ;;
	esac
}
