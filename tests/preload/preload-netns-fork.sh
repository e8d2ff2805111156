#!/bin/sh
# preload-netns-fork.sh: preload-fork.sh with its server and its client
# in two network namespaces joined by a veth pair, which the test creates
# and removes (PRELOAD_WHERE=netns, preload-lib.sh).  Needs root.

PRELOAD_WHERE=netns
. "${srcdir:-.}/tests/preload/preload-fork.sh"
