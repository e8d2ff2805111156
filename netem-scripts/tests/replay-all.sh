#!/bin/sh
# replay-all.sh: the acceptance run: every profile moved byte-exact through
# rdt-impair (this CI kernel has no netem), the capture checked, the
# report printed; torture moves 64 MiB (8 MiB with RDT_TEST_QUICK=1).
# replay itself skips (77) without root or without the tools.

: "${srcdir:=.}"
export top_builddir="${top_builddir:-.}"
exec "$srcdir/netem-scripts/replay" --all --backend impair --require-checker
