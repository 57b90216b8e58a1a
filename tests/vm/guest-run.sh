#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# guest-run.sh - the in-guest test runner (busybox sh), started by /init.
#
# Kernel command line parameters (read from /proc/cmdline):
#   fa.mode=check|demo|shell   (default check)
#   fa.args="..."              extra arguments for each selftest (check) or
#                              for /fragalloc/bin/demo.sh (demo)
#   fa.modargs="..."           module parameters for insmod
#   fa.ptimeout=SECONDS        per-program timeout in the guest (0 = none)
#
# Output protocol (on the console, and clean -- without kernel messages --
# on /dev/ttyS1 when the host attached a second serial port):
#   ### FA-KVER <uname -r>
#   ### FA-BEGIN <name>          then the program's TAP output
#   ### FA-END <name> rc=<N>
#   ### FA-DONE                  everything ran to the end
# insmod, rmmod and the taint check are reported as one-test TAP programs
# named "insmod", "rmmod" and "taint".

PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
FA=/fragalloc
KO=$FA/fragalloc.ko

# --- kernel command line -------------------------------------------------
cmdline=$(cat /proc/cmdline)
# prints the value of fa.NAME (fa.NAME=word or fa.NAME="several words")
param() {
	echo "$cmdline" | awk -v key="fa.$1=" '{
		s = $0
		while ((i = index(s, key)) > 0) {
			pre = (i == 1) ? " " : substr(s, i - 1, 1)
			s = substr(s, i + length(key))
			if (pre != " ")
				continue
			if (substr(s, 1, 1) == "\"") {
				s = substr(s, 2); j = index(s, "\"")
				val = (j > 0) ? substr(s, 1, j - 1) : s
			} else {
				j = index(s, " ")
				val = (j > 0) ? substr(s, 1, j - 1) : s
			}
			found = 1
		}
		if (found) print val
	}'
}
MODE=$(param mode)
MODE=${MODE:-check}
FA_ARGS=$(param args)
MODARGS=$(param modargs)
PTIMEOUT=$(param ptimeout)
PTIMEOUT=${PTIMEOUT:-0}
export FA_ARGS FA_MODE="$MODE"

# --- output channels -----------------------------------------------------
TAPDEV=
if grep -q '^1: uart:[0-9A-Z]' /proc/tty/driver/serial 2>/dev/null &&
	[ -c /dev/ttyS1 ]; then
	stty -F /dev/ttyS1 raw -echo 2>/dev/null
	if exec 3>/dev/ttyS1; then
		TAPDEV=/dev/ttyS1
	fi
fi

emit() {
	printf '%s\n' "$*"
	[ -n "$TAPDEV" ] && printf '%s\n' "$*" >&3
}

# run NAME CMD...: run CMD with stdout+stderr captured to both channels
run() {
	name=$1
	shift
	emit "### FA-BEGIN $name"
	rcf=/tmp/.fa-rc
	rm -f "$rcf"
	if [ "$PTIMEOUT" != 0 ]; then
		set -- timeout -s KILL "$PTIMEOUT" "$@"
	fi
	if [ -n "$TAPDEV" ]; then
		{
			"$@" </dev/null 2>&1
			echo $? >"$rcf"
		} | tee /dev/ttyS1
	else
		"$@" </dev/null 2>&1
		echo $? >"$rcf"
	fi
	rc=$(cat "$rcf" 2>/dev/null)
	emit "### FA-END $name rc=${rc:-255}"
	return "${rc:-255}"
}

# one_test NAME DESCRIPTION CMD...: run CMD as a one-result TAP "program"
# (the BEGIN marker comes first, so a crash inside CMD is attributed)
one_test() {
	name=$1 desc=$2
	shift 2
	emit "### FA-BEGIN $name"
	emit "TAP version 13"
	emit "1..1"
	out=$("$@" 2>&1)
	rc=$?
	if [ -n "$out" ]; then
		echo "$out" | while IFS= read -r l; do emit "# $l"; done
	fi
	if [ $rc = 0 ]; then
		emit "ok 1 $desc"
	else
		emit "not ok 1 $desc # rc=$rc"
	fi
	emit "### FA-END $name rc=$rc"
	return $rc
}

load_module() {
	if [ -s $FA/deps.list ]; then
		while read -r d; do
			insmod "$FA/deps/$d.ko" || emit "# insmod dependency $d failed"
		done <$FA/deps.list
	fi
	# shellcheck disable=SC2086 # MODARGS is a list of words
	one_test insmod "insmod fragalloc.ko${MODARGS:+ $MODARGS}" insmod $KO $MODARGS || return 1
	[ -e /dev/fragalloc ] && emit "# $(ls -l /dev/fragalloc)"
	return 0
}

unload_module() {
	one_test rmmod "rmmod fragalloc" rmmod fragalloc
}

# taint bits that mean something went wrong: M(4) B(5) D(7) W(9) L(14)
BADTAINT=$(((1 << 4) | (1 << 5) | (1 << 7) | (1 << 9) | (1 << 14)))
taint0=$(cat /proc/sys/kernel/tainted)

# shellcheck disable=SC2317 # called through one_test
taint_ok() {
	t=$(cat /proc/sys/kernel/tainted)
	echo "tainted: boot=$taint0 now=$t"
	[ $(((t & ~taint0) & BADTAINT)) = 0 ]
}

check_taint() {
	one_test taint "no new M/B/D/W/L kernel taint" taint_ok
}

# --- kmemleak (debug kernels only) ----------------------------------------
# With CONFIG_DEBUG_KMEMLEAK (auto scan off), memory is scanned explicitly:
# before insmod (whatever the boot leaked is cleared, not ours), after every
# test program, and at the end (after rmmod, once the youngest objects are
# older than kmemleak's 5 s minimum age). A report is a failed one-result TAP
# program "kmemleak-<after what>" with the report as diagnostics; the kernel's
# "kmemleak: N new suspected memory leaks" line is also a splat for analyze.sh.
KMEMLEAK=/sys/kernel/debug/kmemleak

kmemleak_on() {
	[ -w "$KMEMLEAK" ]
}

# shellcheck disable=SC2317 # called through one_test
kmemleak_none() {
	echo scan >"$KMEMLEAK"
	rep=$(cat "$KMEMLEAK")
	[ -z "$rep" ] && return 0
	echo "$rep" | head -n 80
	echo clear >"$KMEMLEAK" # report each leak once
	return 1
}

kmemleak_baseline() {
	kmemleak_on || return 0
	echo scan >"$KMEMLEAK"
	echo clear >"$KMEMLEAK"
}

kmemleak_check() {
	kmemleak_on || return 0
	[ -z "$2" ] || sleep "$2"
	one_test "kmemleak-$1" "no kmemleak report after $1" kmemleak_none
}

emit "### FA-UPTIME $(cut -d' ' -f1 /proc/uptime)"
emit "### FA-KVER $(uname -r)"
emit "### FA-MODE $MODE"

case $MODE in
check)
	kmemleak_baseline
	if load_module; then
		while read -r t; do
			[ -n "$t" ] || continue
			# shellcheck disable=SC2086 # FA_ARGS is a list of words
			(cd /tmp && run "$t" "$FA/bin/$t" $FA_ARGS)
			kmemleak_check "$t"
		done <$FA/tests.list
		unload_module
		kmemleak_check rmmod 6
	else
		emit "# module not loaded: selftests not run"
	fi
	check_taint
	;;
demo)
	load_module
	if [ -x $FA/bin/demo.sh ]; then
		# shellcheck disable=SC2086
		(cd /tmp && $FA/bin/demo.sh $FA_ARGS </dev/null 2>&1)
		emit "### FA-DEMO rc=$?"
	else
		emit "# no /fragalloc/bin/demo.sh; /proc/buddyinfo:"
		cat /proc/buddyinfo
	fi
	unload_module
	check_taint
	;;
shell)
	load_module
	echo "fragalloc shell: module ${KO}; tests in $FA/bin; 'exit' powers off"
	setsid cttyhack sh -l
	;;
*)
	emit "# unknown fa.mode=$MODE"
	exit 2
	;;
esac

emit "### FA-DONE"
exit 0
