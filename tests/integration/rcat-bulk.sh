#!/bin/sh
# rcat-bulk.sh: 1 GiB (RDT_TEST_QUICK=1: 64 MiB) through two reliable-cat
# processes over loopback, one way; the bytes must arrive with the same
# SHA-256, both ends must exit 0, and the sender's -v goodput is printed
# next to kernel TCP's on the same machine for comparison.

. "${srcdir:-.}/tests/integration/rcat-lib.sh"

rcat_setup bulk
size=$(rcat_size 1024 64)
gen_data "$work/data" "$size"

start_listener srv -v --stats "$work/srv.json" 127.0.0.1 0
timeout -k 10 "$RCAT_TIMEOUT" "$RCAT" -v --stats "$work/cli.json" 127.0.0.1 \
	"$port" < "$work/data" > "$work/cli.out" 2> "$work/cli.err"
expect_status "sender" 0 $? "$work/cli.err"
reap "$listener_pid"
expect_status "receiver" 0 "$reaped" "$work/srv.err"

same_bytes "client -> server" "$work/data" "$work/srv.out"
[ -s "$work/cli.out" ] && fail "the sender wrote to stdout"
json_check "$work/cli.json" \
	"s['result'] == 'ok' and s['role'] == 'client' and
	 s['bytes_sent'] == $size and s['bytes_received'] == 0"
json_check "$work/srv.json" \
	"s['result'] == 'ok' and s['role'] == 'server' and
	 s['bytes_received'] == $size"

echo "sender:"
sed 's/^/  /' "$work/cli.err"
echo "receiver:"
sed 's/^/  /' "$work/srv.err"

# The reference: kernel TCP over loopback from the same file, received
# into memory, and the ratio of the two.  Informational only (absolute
# numbers on a shared machine are noise), so a missing python3 skips it.
if $have_python; then
	python3 - "$work/data" "$work/cli.json" <<'PY' ||
import json, socket, sys, threading, time
path = sys.argv[1]
with open(sys.argv[2]) as f:
    rdt = json.load(f)["goodput_send_mbps"]
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
got = []
def receive():
    conn, _ = srv.accept()
    buf, n = bytearray(1 << 20), 0
    while True:
        k = conn.recv_into(buf)
        if not k:
            break
        n += k
    got.append(n)
t = threading.Thread(target=receive)
t.start()
cl = socket.create_connection(srv.getsockname())
t0 = time.monotonic()
with open(path, "rb") as f:
    cl.sendfile(f)
cl.shutdown(socket.SHUT_WR)
t.join(60)
dt = time.monotonic() - t0
tcp = got[0] * 8 / dt / 1e6
print("reliable-cat goodput: %.1f Mbit/s" % rdt)
print("kernel TCP reference (python3 sendfile, loopback, same file): "
      "%d bytes in %.3f s, %.1f Mbit/s" % (got[0], dt, tcp))
print("ratio rdt/TCP: %.3f" % (rdt / tcp))
PY
		echo "note: TCP reference failed"
fi
exit 0
