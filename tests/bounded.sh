#!/bin/sh
# bounded.sh TEST [ARGS...]: run one test of `make check` with a bound on
# its wall-clock time, so a test that hangs fails with its log instead of
# holding the whole suite (and CI) until an outer limit kills everything
# without a word.  Tests bound their own steps much more tightly; this is
# the net under them.  RDT_TEST_BOUND (seconds, default 1500) moves it.
bound=${RDT_TEST_BOUND:-1500}
# -k: a test that blocks SIGTERM is killed 30 s later.  timeout signals
# the test's whole process group, so helpers the test started go too.
timeout -k 30 "$bound" "$@"
rc=$?
case $rc in
124|137)
	echo "bounded.sh: $1 ran past its bound of $bound s and was" \
		"killed (exit $rc); RDT_TEST_BOUND moves the bound" >&2 ;;
esac
exit $rc
