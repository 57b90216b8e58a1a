#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs the core unit tests and a short fuzz run; prints TAP lines and, as
# the last line, "unit: N passed, N failed".  Exit status 1 on failure.
set -u
cd "$(dirname "$0")"
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
log=$(mktemp)
trap 'rm -rf "$log" "$log.corpus"' EXIT

./test_unit >"$log"
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
if [ -d fuzz_seeds ]; then cp fuzz_seeds/* "$log.corpus"/ 2>/dev/null; fi
if ./fuzz_core -max_total_time="$FUZZ_SECONDS" -max_len=4096 \
	-print_final_stats=1 "$log.corpus" >"$log.fuzz" 2>&1; then
	grep -E 'stat::number_of_executed_units|Done' "$log.fuzz" | sed 's/^/# /'
	echo "ok $n - fuzz_short (${FUZZ_SECONDS}s)"
	pass=$((pass + 1))
else
	tail -n 40 "$log.fuzz"
	echo "not ok $n - fuzz_short (${FUZZ_SECONDS}s)"
	fail=$((fail + 1))
fi
rm -f "$log.fuzz"
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
