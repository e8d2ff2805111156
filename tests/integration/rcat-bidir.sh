#!/bin/sh
# rcat-bidir.sh: both directions at once, 256 MiB each way
# (RDT_TEST_QUICK=1: 32 MiB); each direction's bytes must arrive with the
# same SHA-256 and both ends must exit 0.

. "${srcdir:-.}/tests/integration/rcat-lib.sh"

rcat_setup bidir
size=$(rcat_size 256 32)
gen_data "$work/srv.in" "$size"
gen_data "$work/cli.in" "$size"

start_listener srv -v 127.0.0.1 0
timeout -k 10 "$RCAT_TIMEOUT" "$RCAT" -v 127.0.0.1 "$port" < "$work/cli.in" \
	> "$work/cli.out" 2> "$work/cli.err"
expect_status "client" 0 $? "$work/cli.err"
reap "$listener_pid"
expect_status "server" 0 "$reaped" "$work/srv.err"

same_bytes "client -> server" "$work/cli.in" "$work/srv.out"
same_bytes "server -> client" "$work/srv.in" "$work/cli.out"
echo "client:"
sed 's/^/  /' "$work/cli.err"
echo "server:"
sed 's/^/  /' "$work/srv.err"
exit 0
