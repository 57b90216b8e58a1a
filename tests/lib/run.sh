#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh DATA BIN...: runs the unit test binaries (each given DATA) and the
# install test, prints their TAP lines numbered in one sequence, the plan
# and the tally "lib: N passed, N failed" as the last line; exit 1 on any
# failure.
data=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
log=$(mktemp)
one=$(mktemp)
trap 'rm -f "$log" "$one"' EXIT

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

for bin in "$@"; do
	"$bin" "$data" >"$one" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$one"; then
		# crashed or sanitizer report without a failing TAP line
		echo "not ok - $(basename "$bin") exited with status $rc" >>"$one"
	fi
	cat "$one" >>"$log"
done

if out=$(sh "$here/test_install.sh" 2>&1); then
	echo "ok - install: pkg-config build and run against the installed library" >>"$log"
else
	printf '%s\n' "$out" | sed 's/^/# /' >>"$log"
	echo "not ok - install: pkg-config build and run against the installed library" >>"$log"
fi

# one numbering over all the programs
awk '/^(not )?ok( |$)/ {
	n++
	no = ($1 == "not")
	sub(/^(not )?ok( [0-9]+)?/, "")
	print (no ? "not ok " : "ok ") n $0
	next
} { print }' "$log" >"$one"
cat "$one"
pass=$(grep -c '^ok ' "$one")
fail=$(grep -c '^not ok ' "$one")
echo "1..$((pass + fail))"
echo "lib: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
