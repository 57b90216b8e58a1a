#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the unit test binary and the install test, prints TAP and the tally
# "lib: N passed, N failed" as the last line; exit 1 on any failure.
bin=$1
data=$2
here=$(cd "$(dirname "$0")" && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

"$bin" "$data" >"$log" 2>&1
rc=$?
cat "$log"
n=$(grep -cE '^(not )?ok ' "$log")
if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$log"; then
	# crashed or sanitizer report without a failing TAP line
	n=$((n + 1))
	echo "not ok $n - test_lib exited with status $rc"
	echo "not ok $n" >>"$log"
fi

n=$((n + 1))
if out=$(sh "$here/test_install.sh" 2>&1); then
	echo "ok $n - install: pkg-config build and run against the installed library"
	echo "ok $n" >>"$log"
else
	printf '%s\n' "$out" | sed 's/^/# /'
	echo "not ok $n - install: pkg-config build and run against the installed library"
	echo "not ok $n" >>"$log"
fi

pass=$(grep -c '^ok ' "$log")
fail=$(grep -c '^not ok ' "$log")
echo "1..$((pass + fail))"
echo "lib: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
