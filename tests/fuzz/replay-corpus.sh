#!/bin/sh
# Replays every fuzz corpus through the targets built without libFuzzer, so
# a crasher once found stays fixed.  Run by `make check`.
set -e
srcdir=${srcdir:-.}
for target in pkt net admit seal; do
	./tests/fuzz/fuzz_${target}_replay "$srcdir/tests/fuzz/corpus/$target"
done
