# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lib.sh - summary bookkeeping shared by scripts/check.sh, tests/vm/robust.sh
# and the packaging tests (tests/pkg), tested by tests/gates/lib_test.sh.
# Source it.

fa_gates_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Results as "ok - NAME" and "not ok - NAME (DETAIL)", counted in fa_passed
# and fa_failed; fa_failures names the failures, for a closing list.
fa_passed=0
fa_failed=0
fa_failures=()

fa_ok() {
	fa_passed=$((fa_passed + 1))
	echo "ok - $1"
}

# fa_notok NAME [DETAIL [LOG]]: a failure; with LOG, the detail names it
# (relative to the current directory) and its last 25 lines follow
fa_notok() {
	local detail=${2:-}
	fa_failed=$((fa_failed + 1))
	fa_failures+=("$1")
	[[ -n ${3:-} ]] && detail="${detail:+$detail; }log: ${3#"$PWD"/}"
	echo "not ok - $1${detail:+ ($detail)}"
	if [[ -n ${3:-} && -f $3 ]]; then
		tail -n 25 "$3" | sed 's/^/    /'
	fi
	return 0
}

# fa_step NAME LOG CMD...: one test that passes when CMD exits 0; CMD's
# output goes to LOG. (No local variables: CMD, when a shell function, would
# see them in place of the caller's globals of the same name.)
fa_step() {
	if "${@:3}" >"$2" 2>&1; then
		fa_ok "$1"
	else
		fa_notok "$1" "" "$2"
	fi
}

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

# fa_shell_scripts [DIR]: the shell scripts of the git tree at DIR (default
# .), one path a line, relative to DIR: every tracked or untracked (not
# ignored) regular file named *.sh or whose first line is a sh, bash, dash
# or ksh shebang (#!/bin/sh, #!/usr/bin/env bash ...), so that a new script
# is found however it is named.
fa_shell_scripts() {
	local dir=${1:-.} f line
	git -C "$dir" ls-files -co --exclude-standard | while IFS= read -r f; do
		[[ -f $dir/$f && ! -L $dir/$f ]] || continue
		if [[ $f == *.sh ]]; then
			echo "$f"
		elif IFS= read -r line <"$dir/$f" &&
			[[ $line =~ ^#![[:space:]]*(/usr)?/bin/(env[[:space:]]+)?(ba|da|k)?sh([[:space:]]|$) ]]; then
			echo "$f"
		fi
	done
}
