#!/bin/sh
# rdt-run-cli.sh: rdt-run's command line: --help, --version, exit
# statuses (125 own failure, 126 not executable, 127 not found, else the
# command's), the environment it hands the command (LD_PRELOAD after
# what was there, the policy variables, RDT_PCAP), -v's one line, lists
# it must refuse, and the warning for a statically linked program.

. "${srcdir:-.}/tests/preload/preload-lib.sh"

preload_setup cli
STATIC_TRUE=$work/static-true

# status WHAT EXPECTED CMD...: CMD's exit status must be EXPECTED.
status() {
	what=$1 want=$2
	shift 2
	"$@" > "$work/out" 2> "$work/err"
	got=$?
	[ "$got" = "$want" ] || { cat "$work/err" >&2;
		fail "$what: exit status $got, expected $want"; }
	echo "ok: $what: $got"
}

status "--help" 0 "$RDT_RUN" --help
grep -q '^Usage: rdt-run' "$work/out" || fail "--help: no usage line"
grep -q -- '--exclude' "$work/out" || fail "--help: no --exclude"
status "--version" 0 "$RDT_RUN" --version
grep -q '^rdt-run (rdt) [0-9]' "$work/out" || fail "--version: $(cat "$work/out")"
status "no command" 125 "$RDT_RUN"
status "unknown option" 125 "$RDT_RUN" --frobnicate true
status "missing library" 125 "$RDT_RUN" --lib /nonexistent/lib.so true
status "bad --ports" 125 "$RDT_RUN" -p 70000 true
status "bad --exclude" 125 "$RDT_RUN" -x 300.1.1.1 true
status "command not found" 127 "$RDT_RUN" /nonexistent/command
status "not executable" 126 "$RDT_RUN" "$srcdir/tests/preload/static-true.c"
status "command's status" 3 "$RDT_RUN" sh -c 'exit 3'
# Options after COMMAND are COMMAND's.
status "command's options" 0 "$RDT_RUN" sh -c 'exit 0' -v

# The environment: the library goes after an existing LD_PRELOAD (a
# sanitizer runtime must stay first); an outer policy is not inherited.
RDT_RUN_PORTS=1 LD_PRELOAD="$RDT_PRELOAD_LIB" status "environment" 0 \
	"$RDT_RUN" -x ':53,[::1]:80' -P "$work/x.pcap" env
grep -qx "LD_PRELOAD=$RDT_PRELOAD_LIB $RDT_PRELOAD_LIB" "$work/out" ||
	fail "LD_PRELOAD: $(grep LD_PRELOAD "$work/out")"
grep -qx 'RDT_RUN_EXCLUDE=:53,\[::1\]:80' "$work/out" ||
	fail "RDT_RUN_EXCLUDE missing"
grep -q '^RDT_RUN_PORTS=' "$work/out" && fail "an outer RDT_RUN_PORTS leaked"
grep -qx "RDT_PCAP=$work/x.pcap" "$work/out" || fail "RDT_PCAP missing"
echo "ok: environment"

# -v: exactly one line, naming the command and the policy.
status "-v" 0 "$RDT_RUN" -v -p 9000 true
[ "$(wc -l < "$work/err")" -eq 1 ] || fail "-v: not one line: $(cat "$work/err")"
grep -q '^rdt-run: true: .*ports 9000' "$work/err" || fail "-v: $(cat "$work/err")"
status "quiet without -v" 0 "$RDT_RUN" true
[ ! -s "$work/err" ] || fail "without -v: $(cat "$work/err")"

# Compiled here, without the build's flags (a sanitizer build cannot
# link -static); a machine without a static C library skips this part.
if ${CC:-cc} -static -o "$STATIC_TRUE" \
	"$srcdir/tests/preload/static-true.c" 2> "$work/cc.err"; then
	status "static program" 0 "$RDT_RUN" "$STATIC_TRUE"
	grep -q 'statically linked' "$work/err" ||
		fail "static program: no warning"
else
	echo "note: no static test program (no static C library)"
fi
exit 0
