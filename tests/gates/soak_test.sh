#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# soak_test.sh - host test of the in-guest soak runner, tests/vm/soak.sh
# (run with busybox sh if installed, else sh), on fake programs: exit 0 is
# "ok", exit 4 (KSFT_SKIP) is "ok ... # SKIP" and counted as skipped by the
# VM judge (tests/vm/analyze.sh), any other status is "not ok".
#
# TAP; last line "gates-soak: N passed, N failed, N skipped".

set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/tap.sh
. "$repo/tests/tap.sh"
shcmd=(sh)
command -v busybox >/dev/null && shcmd=(busybox sh)

# check NAME CMD...: ok if CMD succeeds, else not ok with the output judged
check() {
	local name=$1
	shift
	if "$@"; then
		ok "$name"
	else
		nok "$name"
		sed 's/^/#   | /' "$tmp/out"
	fi
}

# soak.sh runs its programs from its own directory: the real script, fakes
mkdir "$tmp/bin"
cp "$repo/tests/vm/soak.sh" "$tmp/bin/"
fake() { # NAME RC [OUTPUT]
	printf '#!/bin/sh\necho "%s"\nexit %s\n' "${3:-}" "$2" >"$tmp/bin/$1"
	chmod +x "$tmp/bin/$1"
}
fake fa_fuzz 4 "1..0 # SKIP cannot open /dev/fragalloc"
fake recompact_test 0 "ok 1 x"
fake fragalloc_test 1 "not ok 1 y"

"${shcmd[@]}" "$tmp/bin/soak.sh" -m 1 -r 1 >"$tmp/out" 2>&1
check "exit status 4 is 'ok ... # SKIP'" grep -q '^ok 1 round 1: fa_fuzz .* # SKIP ' "$tmp/out"
check "exit status 0 is 'ok'" grep -q '^ok 2 round 1: recompact_test$' "$tmp/out"
check "exit status 1 is 'not ok'" grep -q '^not ok 3 round 1: fragalloc_test # rc=1' "$tmp/out"
check "-r 1: one round, plan 1..3" grep -qx '1\.\.3' "$tmp/out"

# as the VM judge counts it
{
	echo "### FA-BEGIN soak.sh"
	cat "$tmp/out"
	echo "### FA-END soak.sh rc=0"
	echo "### FA-DONE"
} >"$tmp/guest.log"
cp "$tmp/out" "$tmp/soak.out"
"$repo/tests/vm/analyze.sh" --kver 6.12.117-debug --console "$tmp/guest.log" >"$tmp/out" 2>&1
check "analyze.sh counts 1 passed, 1 failed, 1 skipped" \
	grep -qx 'vm\[6.12.117-debug\]: 1 passed, 1 failed, 1 skipped' <(tail -n1 "$tmp/out")

tap_done gates-soak
