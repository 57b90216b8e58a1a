#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# soak.sh - in-guest soak (busybox sh): until MINUTES are up, rounds of
#   the fuzzer (60 s, a new seed each round, 6 threads: allocation,
#   recompaction and mapping stress at once), then recompact_test and
#   fragalloc_test (one after the other: those tests assert pool-wide
#   figures that a concurrent fuzzer would change).
# One TAP result per program per round; the plan comes last. A program
# that exits 4 (KSFT_SKIP) is reported "ok N name # SKIP ...", a skip, not a
# pass (tests/gates/expected-skips: the soak lane expects none).
#
# Usage (fa.args): soak.sh [-m MINUTES] [-s FIRST_SEED] [-r MAX_ROUNDS]
#   -r: stop after this many rounds even if time is left (default: no limit;
#       tests/gates/soak_test.sh runs one round of fake programs)

here=$(dirname "$0")
min=10 seed=1 maxr=0
while [ $# -gt 0 ]; do
	case $1 in
	-m) min=$2; shift 2 ;;
	-s) seed=$2; shift 2 ;;
	-r) maxr=$2; shift 2 ;;
	*) shift ;;
	esac
done
echo "TAP version 13"
echo "# soak: $min minutes, first seed $seed"
end=$(($(cut -d. -f1 /proc/uptime) + min * 60))
n=0
result() { # NAME RC LOG
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n $1"
	elif [ "$2" = 4 ]; then
		grep -i 'skip' "$3" | sed 's/^/# /' | tail -n 5
		echo "ok $n $1 # SKIP exit status 4 (KSFT_SKIP)"
	else
		sed 's/^/# /' "$3" | grep -v '^# ok ' | tail -n 40
		echo "not ok $n $1 # rc=$2"
	fi
}
round=0
while [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ] && { [ "$maxr" = 0 ] || [ "$round" -lt "$maxr" ]; }; do
	round=$((round + 1))
	s=$((seed + round - 1))
	"$here/fa_fuzz" -t 60 -s "$s" -j 6 >/tmp/soak-fuzz.log 2>&1
	result "round $round: fa_fuzz -t 60 -s $s -j 6" $? /tmp/soak-fuzz.log
	grep '^# [0-9]* ops' /tmp/soak-fuzz.log
	for t in recompact_test fragalloc_test; do
		if [ -x "$here/$t" ]; then
			"$here/$t" >/tmp/soak-$t.log 2>&1
			result "round $round: $t" $? /tmp/soak-$t.log
		fi
	done
done
echo "1..$n"
