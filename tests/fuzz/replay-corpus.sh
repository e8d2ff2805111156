#!/bin/sh
# Replays every fuzz corpus through the targets built without libFuzzer, so
# a crasher once found stays fixed.  Run by `make check`.
set -e
srcdir=${srcdir:-.}
exec ./tests/fuzz/fuzz_pkt_replay "$srcdir/tests/fuzz/corpus/pkt"
