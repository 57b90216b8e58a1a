#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lib_test.sh - host test of tests/gates/lib.sh, the summary bookkeeping of
# scripts/check.sh and tests/vm/robust.sh: summary lines with and without a
# skipped count, a log without one (a failure, not 0/0), the expected SKIP
# table, and the check that both kernel series are there.
#
# TAP; last line "gates-lib: N passed, N failed, N skipped".

set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/gates/lib.sh
. "$repo/tests/gates/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/tap.sh
. "$repo/tests/tap.sh"

is() { # NAME GOT WANT
	if [[ $2 == "$3" ]]; then
		ok "$1"
	else
		nok "$1"
		echo "#   got '$2', want '$3'"
	fi
}

sum() { # LINES...: fa_summary of a log holding LINES, and its status
	printf '%s\n' "$@" >"$tmp/log"
	fa_summary "$tmp/log"
	echo "rc=$?"
}

is "suite line without skips" "$(sum "ok 1 x" "unit: 19 passed, 0 failed")" "19 0 0
rc=0"
is "VM line with skips" "$(sum "[6.1] ok 1 x" "vm[6.12.117+deb12-amd64]: 195 passed, 0 failed, 17 skipped")" "195 0 17
rc=0"
is "bare final line" "$(sum "3 passed, 1 failed, 2 skipped")" "3 1 2
rc=0"
is "the last summary line counts" "$(sum "cli: 1 passed, 0 failed" "lib: 5 passed, 2 failed, 1 skipped")" "5 2 1
rc=0"
is "CRLF line" "$(sum $'guest-cli: 7 passed, 0 failed, 3 skipped\r')" "7 0 3
rc=0"
is "no summary line is an error, not 0/0" "$(sum "ok 1 x" "1..1")" "rc=1"
is "empty log" "$(sum)" "rc=1"
is "missing log" "$(fa_summary "$tmp/nonexistent"; echo "rc=$?")" "rc=1"
is "a test's own output is not a summary" "$(sum "# round 3: 12 passed, 0 failed so far")" "rc=1"

# the lookup, on a table of the same format (the numbers are not repeated
# here: tests/gates/expected-skips is their one place)
cat >"$tmp/skips" <<'EOS'
# lane series skips why
check   6.1   3   a reason
check   6.12  4   another
soak    *     0   any kernel
EOS
sk() { FA_EXPECTED_SKIPS=$tmp/skips fa_expected_skips "$@"; echo "rc=$?"; }
is "expected skips: check on 6.1" "$(sk check 6.1.0-57-amd64)" "3
rc=0"
is "expected skips: check on 6.12 (not 6.1's)" "$(sk check 6.12.117+deb12-amd64)" "4
rc=0"
is "expected skips: '*' matches any kernel" "$(sk soak 6.12.117-fa-debug)" "0
rc=0"
is "expected skips: no entry is an error" "$(sk check 6.18.1-amd64)" "rc=1"
is "expected skips: unknown lane is an error" "$(sk fuzz-vm 6.1.0-57-amd64)" "rc=1"
# the real table has an entry for every lane that uses it
for lane in "check 6.1.0-57-amd64" "check 6.12.117+deb12-amd64" "check-debug 6.12.117-debug" \
	"check-numa 6.1.0-57-amd64" "check-numa 6.12.117-debug" "fuzz-vm 6.12.117+deb12-amd64" "soak 6.12.117-debug"; do
	# shellcheck disable=SC2086
	got=$(fa_expected_skips $lane)
	is "tests/gates/expected-skips has an entry for $lane" "$([[ $got =~ ^[0-9]+$ ]] && echo yes)" yes
done

is "both series present" "$(fa_missing_series "6.1.0-57-amd64 6.12.117+deb12-amd64" 6.1 6.12; echo "rc=$?")" "rc=0"
is "6.12 missing" "$(fa_missing_series "6.1.0-57-amd64" 6.1 6.12; echo "rc=$?")" "6.12
rc=1"
is "6.1 missing (6.12 is not 6.1)" "$(fa_missing_series "6.12.117+deb12-amd64" 6.1 6.12; echo "rc=$?")" "6.1
rc=1"
is "no kernel at all" "$(fa_missing_series "" 6.1 6.12; echo "rc=$?")" "6.1
6.12
rc=1"

# the results of check.sh and the packaging tests
res() { # CMD...: its output and the counters after it
	(
		fa_passed=0 fa_failed=0 fa_failures=()
		"$@"
		echo "passed=$fa_passed failed=$fa_failed failures=${fa_failures[*]}"
	)
}
is "fa_step: a command that succeeds is ok" \
	"$(res fa_step "works" "$tmp/step.log" true)" "ok - works
passed=1 failed=0 failures="
printf 'l%s\n' 1 2 3 >"$tmp/fail.out"
is "fa_step: a failure names its log and shows its tail" \
	"$(cd "$tmp" && res fa_step "breaks" "$tmp/step.log" cat fail.out missing)" "not ok - breaks (log: step.log)
    l1
    l2
    l3
    cat: missing: No such file or directory
passed=0 failed=1 failures=breaks"
name=global log=global
seen() { echo "$name $log"; }
fa_step "x" "$tmp/step.log" seen >/dev/null
is "fa_step: a shell function run as CMD sees the caller's globals" "$(cat "$tmp/step.log")" "global global"
is "fa_notok: detail and log" "$(cd "$tmp" && res fa_notok "n" "exit 3" "$tmp/none.log")" "not ok - n (exit 3; log: none.log)
passed=0 failed=1 failures=n"

# the shellcheck gate's file list: by name and by shebang, tracked or not,
# never an ignored file, a link or a script of another language
mkdir "$tmp/tree"
(
	cd "$tmp/tree" && git init -q . &&
		mkdir -p bin debian &&
		printf 'echo\n' >a.sh &&
		printf '#!/usr/bin/env bash\necho\n' >bin/tool &&
		printf '#!/bin/sh -e\necho\n' >debian/postinst &&
		printf '#! /bin/dash\n' >d &&
		printf '#!/usr/bin/python3\n' >py &&
		printf '#!/bin/shell-like\n' >notsh &&
		printf 'no shebang\n' >README &&
		printf 'built.sh\n' >.gitignore && printf 'echo\n' >built.sh &&
		ln -s a.sh link.sh && git add a.sh bin/tool
) >/dev/null 2>&1
is "shell scripts: by name and shebang, tracked and untracked" \
	"$(fa_shell_scripts "$tmp/tree" | sort | tr '\n' ' ')" "a.sh bin/tool d debian/postinst "
is "shell scripts of this tree include .ci/run and tests/vm/init" \
	"$(fa_shell_scripts "$repo" | grep -cxE '\.ci/run|tests/vm/init|scripts/check\.sh')" 3

tap_done gates-lib
