#!/bin/sh
# rcat-progress.sh: --progress through a pseudo-terminal (issue 12).
#
# 1 MiB goes through rdt-impair limited to 4 Mbit/s (about 2 s) with the
# client's stderr on a pty (python3's pty module): the progress line
# must be redrawn several times, count acknowledged bytes upwards (never
# down), show a rate and an ETA while running (the size comes from the
# regular file on stdin), and end at 100% of 1.0 MiB.  With stderr not a
# terminal, --progress writes nothing.

. "${srcdir:-.}/tests/integration/rcat-lib.sh"

IMPAIR=${RDT_IMPAIR:-${top_builddir:-.}/tools/rdt-impair/rdt-impair}
[ -x "$IMPAIR" ] || skip "rdt-impair is not built ($IMPAIR)"
$have_python || skip "python3 is needed for the pty"

rcat_setup progress
gen_data "$work/cli.in" 1048576

# start_relay: rdt-impair in front of $port; sets $relay.
start_relay() {
	run_bg "$IMPAIR" -v --listen 127.0.0.1:0 \
		--forward "127.0.0.1:$port" --a2b 'rate 4mbit' \
		--stats /dev/null 2> "$work/impair$1.err"
	i=0
	until relay=$(sed -n \
		's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' \
		"$work/impair$1.err") && [ -n "$relay" ]; do
		i=$((i + 1))
		[ $i -le 200 ] || fail "rdt-impair named no port in 10 s"
		sleep 0.05
	done
}

start_listener srv -d 127.0.0.1 0
start_relay 1
timeout -k 10 "$RCAT_TIMEOUT" python3 - "$RCAT" "$relay" "$work/cli.in" \
	"$work/pty.log" <<'PY' || fail "--progress on a pty: see above"
import os, pty, subprocess, sys, time
rcat, port, infile, log = sys.argv[1:5]
master, slave = pty.openpty()
with open(infile, "rb") as fin:
    p = subprocess.Popen([rcat, "--progress", "127.0.0.1", port],
                         stdin=fin, stdout=subprocess.DEVNULL,
                         stderr=slave)
os.close(slave)
out = b""
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    try:
        chunk = os.read(master, 4096)
    except OSError:  # EIO: the client closed the pty
        break
    if not chunk:
        break
    out += chunk
rc = p.wait(timeout=max(1, deadline - time.monotonic()))
open(log, "wb").write(out)
if rc != 0:
    sys.exit("client exit status %d: %r" % (rc, out[-300:]))
lines = [l for l in out.decode(errors="replace").replace("\n", "\r")
         .split("\r") if l.strip()]
lines = [l.replace("\x1b[K", "") for l in lines]
print("progress: %d redraws, first %r, last %r"
      % (len(lines), lines[0] if lines else "", lines[-1] if lines else ""))
if len(lines) < 3:
    sys.exit("fewer than 3 progress lines")
done = []
for l in lines:
    if not l.startswith("acknowledged ") or " of 1.0 MiB (" not in l \
            or "Mbit/s" not in l:
        sys.exit("not a progress line: %r" % l)
    done.append(int(l.split("(")[1].split("%")[0]))
if done != sorted(done):
    sys.exit("progress went backwards: %s" % done)
if done[-1] != 100 or done[0] == 100:
    sys.exit("progress did not run up to 100%%: %s" % done)
if not any("ETA" in l for l in lines[:-1]):
    sys.exit("no ETA while running")
PY
reap "$listener_pid"
expect_status "the receiver" 0 "$reaped" "$work/srv.err"
same_bytes "--progress transfer" "$work/cli.in" "$work/srv.out"

# Not a terminal: nothing at all on stderr.
start_listener srv2 -d 127.0.0.1 0
start_relay 2
timeout -k 10 "$RCAT_TIMEOUT" "$RCAT" --progress 127.0.0.1 "$relay" \
	< "$work/cli.in" > /dev/null 2> "$work/notty.err"
expect_status "--progress without a terminal" 0 $? "$work/notty.err"
[ -s "$work/notty.err" ] && fail "--progress wrote to a non-terminal:" \
	"$(head -c 200 "$work/notty.err")"
reap "$listener_pid"
echo "ok: --progress on a pty up to 100%, silent without one"
exit 0
