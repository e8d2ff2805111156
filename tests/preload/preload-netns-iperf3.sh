#!/bin/sh
# preload-netns-iperf3.sh: preload-iperf3.sh with its server and its
# client in two network namespaces joined by a veth pair, which the test
# creates and removes (PRELOAD_WHERE=netns, preload-lib.sh).  Needs root.

PRELOAD_WHERE=netns
. "${srcdir:-.}/tests/preload/preload-iperf3.sh"
