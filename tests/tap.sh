# SPDX-License-Identifier: MIT
# shellcheck shell=sh
#
# tap.sh - the TAP bookkeeping of the shell tests, in POSIX sh so that
# busybox sh runs it in the guest too (scripts/stage-vm.sh stages it next to
# guest_cli_test.sh). Source it; then
#
#   ok NAME                  "ok N - NAME"
#   nok NAME                 "not ok N - NAME", then, with TAP_TMP set, the
#                            first lines of $TAP_TMP/out and $TAP_TMP/err
#   skip NAME REASON         "ok N - NAME # SKIP REASON", counted as skipped
#   result STATUS NAME       ok NAME if STATUS is 0, else nok NAME
#   run CMD...               CMD's stdout and stderr into $TAP_TMP/out and
#                            $TAP_TMP/err, its exit status into $rc
#   expect_rc WANT NAME CMD...
#                            run CMD; ok if it exited WANT
#   has NAME STRING [FILE]   ok if FILE (default $TAP_TMP/out) holds STRING
#   tap_done LABEL           the plan "1..N" and the closing line
#                            "LABEL: N passed, N failed, N skipped"; returns
#                            1 if anything failed
#
# ok, nok and skip always return 0, so "COND && ok X || nok X" is an
# if-then-else.

tap_n=0
tap_pass=0
tap_fail=0
tap_skip=0

ok() {
	tap_n=$((tap_n + 1))
	tap_pass=$((tap_pass + 1))
	echo "ok $tap_n - $1"
}

nok() {
	tap_n=$((tap_n + 1))
	tap_fail=$((tap_fail + 1))
	echo "not ok $tap_n - $1"
	[ -n "${TAP_TMP:-}" ] || return 0
	[ -s "$TAP_TMP/out" ] && head -n 10 "$TAP_TMP/out" | sed 's/^/#   out: /'
	[ -s "$TAP_TMP/err" ] && head -n 10 "$TAP_TMP/err" | sed 's/^/#   err: /'
	return 0
}

skip() {
	tap_n=$((tap_n + 1))
	tap_skip=$((tap_skip + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

result() {
	if [ "$1" -eq 0 ]; then ok "$2"; else nok "$2"; fi
}

run() {
	"$@" >"$TAP_TMP/out" 2>"$TAP_TMP/err"
	rc=$?
}

expect_rc() {
	tap_want=$1 tap_name=$2
	shift 2
	run "$@"
	if [ "$rc" -eq "$tap_want" ]; then
		ok "$tap_name"
	else
		echo "# exit $rc, want $tap_want"
		nok "$tap_name"
	fi
}

has() {
	if grep -qF -- "$2" "${3:-$TAP_TMP/out}"; then
		ok "$1"
	else
		echo "# no '$2' in ${3:-the output}"
		nok "$1"
	fi
}

tap_done() {
	echo "1..$tap_n"
	echo "$1: $tap_pass passed, $tap_fail failed, $tap_skip skipped"
	[ "$tap_fail" -eq 0 ]
}
