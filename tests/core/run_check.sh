#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# run_check.sh OUT: runs OUT/test_unit and a short OUT/fuzz_core run (both
# built by tests/core/Makefile into OUT); prints TAP lines and, as the last
# line, "unit: N passed, N failed".  Exit status 1 on failure.
set -u
out=${1:?usage: run_check.sh OUT}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
log=$(mktemp)
trap 'rm -rf "$log" "$log.corpus" "$log.fuzz"' EXIT

"$out/test_unit" >"$log"
rc=$?
cat "$log"
pass=$(sed -n 's/^# core: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log")
fail=$(sed -n 's/^# core: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log")
n=$(grep -c '^\(not \)\?ok ' "$log")
if [ -z "$pass" ]; then
	# crashed before the summary: count what ran, plus one failure
	pass=$(grep -c '^ok ' "$log")
	fail=$(( $(grep -c '^not ok ' "$log") + 1 ))
	n=$((n + 1))
	echo "not ok $n - test_unit exited with status $rc"
elif [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
	fail=1
fi

n=$((n + 1))
mkdir -p "$log.corpus"
# a crashing input is kept in OUT, next to the fuzzer
if "$out/fuzz_core" -max_total_time="$FUZZ_SECONDS" -max_len=4096 \
	-artifact_prefix="$out/" -print_final_stats=1 "$log.corpus" \
	>"$log.fuzz" 2>&1; then
	grep -E 'stat::number_of_executed_units|Done' "$log.fuzz" | sed 's/^/# /'
	echo "ok $n - fuzz_short (${FUZZ_SECONDS}s)"
	pass=$((pass + 1))
else
	tail -n 40 "$log.fuzz"
	echo "not ok $n - fuzz_short (${FUZZ_SECONDS}s)"
	fail=$((fail + 1))
fi
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
