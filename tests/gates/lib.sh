# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lib.sh - summary bookkeeping shared by scripts/check.sh and
# tests/vm/robust.sh, and tested by tests/gates/lib_test.sh. Source it.

fa_gates_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# fa_summary LOG: the last summary line of LOG, "[X: ]N passed, N failed" with
# an optional ", N skipped", printed as "P F S" (S = 0 when absent).
# Returns 1 (and prints nothing) when LOG has no summary line.
fa_summary() {
	local line
	line=$(grep -E '^([^ ]+:? )?[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?[[:space:]]*$' "$1" 2>/dev/null | tail -n 1)
	[[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?[[:space:]]*$ ]] || return 1
	echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[4]:-0}"
}

# fa_expected_skips LANE KVER: the expected SKIP count from
# tests/gates/expected-skips (series "6.12" matches 6.12.*, "*" any kernel).
# Returns 1 when the table has no entry.
fa_expected_skips() {
	local lane=$1 kver=$2 l s n
	while read -r l s n _; do
		[[ -z $l || $l == \#* || $l != "$lane" ]] && continue
		if [[ $s == "*" || $kver == "$s".* || $kver == "$s" ]]; then
			echo "$n"
			return 0
		fi
	done <"${FA_EXPECTED_SKIPS:-$fa_gates_dir/expected-skips}"
	return 1
}

# fa_missing_series "KVER..." SERIES...: print each SERIES (e.g. 6.12) that
# none of the kernel releases belongs to; returns 1 if any is missing.
fa_missing_series() {
	local kvers=$1 s k found rc=0
	shift
	for s in "$@"; do
		found=0
		for k in $kvers; do
			[[ $k == "$s".* ]] && found=1
		done
		((found)) || { echo "$s"; rc=1; }
	done
	return "$rc"
}
