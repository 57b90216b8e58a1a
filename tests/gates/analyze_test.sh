#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# analyze_test.sh - host test of the VM judge, tests/vm/analyze.sh, on
# made-up guest logs: allocation-failure reports are skipped (only their own
# stack dump, up to </TASK>) in fault-injection runs and are failures in
# every other run; a real report right after or inside such a dump is never
# hidden.
#
# Usage: tests/gates/analyze_test.sh     (env FA_ANALYZE: another judge to test)
# TAP; last line "gates-analyze: N passed, N failed, N skipped".

set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
analyze=${FA_ANALYZE:-$repo/tests/vm/analyze.sh}
kver=6.12.117+deb12-amd64
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/tap.sh
. "$repo/tests/tap.sh"
unset FA_FAULT_INJECTION

# a guest log: one TAP program that passes, kernel messages from stdin
# inserted while it runs
mklog() { # FILE
	{
		echo "[    0.000000] Linux version $kver (debian-kernel@lists.debian.org)"
		echo "### FA-UPTIME 4.58"
		echo "### FA-KVER $kver"
		echo "### FA-BEGIN t_one"
		echo "TAP version 13"
		echo "1..1"
		cat
		echo "ok 1 one"
		echo "### FA-END t_one rc=0"
		echo "### FA-DONE"
	} >"$1"
}

# the head of a stack dump, up to dump_stack_lvl: STAMP1 STAMP2 (timestamps)
dumphead() {
	cat <<EOS
[   $1] CPU: 1 UID: 0 PID: 321 Comm: faultinject_tes Tainted: G           OE      6.12.117-fa-debug #1
[   $1] Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[   $2] Call Trace:
[   $2]  <TASK>
[   $2]  dump_stack_lvl+0x5f/0x80
EOS
}

# a warn_alloc report (as 6.12 prints it) with its stack dump and Mem-Info;
# $1: "inject" puts the fault-injection notice first
allocfail() {
	local t=12
	if [[ ${1:-} == inject ]]; then
		cat <<EOS
[   $t.100000] FAULT_INJECTION: forcing a failure.
[   $t.100000] name fail_page_alloc, interval 1, probability 0, space 0, times 1
EOS
		dumphead "$t.100001" "$t.100002"
		cat <<EOS
[   $t.100003]  should_fail_ex+0x4b8/0x5b0
[   $t.100003]  __alloc_pages_noprof+0x1e4/0x630
[   $t.100004]  </TASK>
EOS
	fi
	cat <<EOS
[   $t.200000] faultinject_tes: page allocation failure: order:0, mode:0x400dc0(GFP_KERNEL_ACCOUNT|__GFP_ZERO), nodemask=(null),cpuset=/,mems_allowed=0
EOS
	dumphead "$t.200001" "$t.200002"
	cat <<EOS
[   $t.200003]  warn_alloc+0x1a4/0x1e0
[   $t.200003]  lockdep_hardirqs_on_prepare+0x12/0x40
[   $t.200004]  __alloc_pages_slowpath.constprop.0+0x9b1/0xc10
[   $t.200004]  fa_source_alloc+0x7c/0x1a0 [fragalloc]
[   $t.200005]  fa_ioctl+0x2e1/0x6f0 [fragalloc]
[   $t.200005]  __x64_sys_ioctl+0x94/0xd0
[   $t.200006]  do_syscall_64+0x82/0x160
[   $t.200006]  entry_SYSCALL_64_after_hwframe+0x76/0x7e
[   $t.200007] RIP: 0033:0x4184cb
[   $t.200007]  </TASK>
[   $t.200008] Mem-Info:
[   $t.200008] active_anon:12 inactive_anon:0 isolated_anon:0
[   $t.200009] Node 0 DMA free:15360kB boost:0kB min:200kB low:248kB high:296kB
[   $t.200009] lowmem_reserve[]: 0 943 943 943 943
[   $t.200010] 262014 pages RAM
EOS
}

lockdep() {
	cat <<'EOS'
[   13.000000] ======================================================
[   13.000001] WARNING: possible circular locking dependency detected
[   13.000002] 6.12.117-fa-debug #1 Tainted: G           OE
[   13.000003] ------------------------------------------------------
[   13.000004] fa_fuzz/400 is trying to acquire lock:
[   13.000005] ffff888003a1c0b8 (&pool->lock){+.+.}-{3:3}, at: fa_recompact+0x51/0x3a0 [fragalloc]
[   13.000006] 
[   13.000006] but task is already holding lock:
[   13.000007] ffff888003a1c1f0 (&fd->lock){+.+.}-{3:3}, at: fa_ioctl+0x1b2/0x6f0 [fragalloc]
[   13.000008] stack backtrace:
[   13.000009] Call Trace:
[   13.000010]  <TASK>
[   13.000011]  dump_stack_lvl+0x5f/0x80
[   13.000012]  print_circular_bug+0x2a4/0x380
[   13.000013]  </TASK>
EOS
}

# expect NAME WANT_RC WANT_FAILED [ANALYZE-ARGS...] (log: $tmp/log)
expect() {
	local name=$1 want=$2 wantf=$3 rc line
	shift 3
	"$analyze" --kver "$kver" --console "$tmp/log" "$@" >"$tmp/out" 2>&1
	rc=$?
	line=$(tail -n1 "$tmp/out")
	if [[ $rc == "$want" && $line =~ ^vm\[$kver\]:\ [0-9]+\ passed,\ $wantf\ failed, ]] ||
		[[ $rc == "$want" && $line == "vm[$kver]: "*" passed, $wantf failed, "* ]]; then
		ok "$name"
	else
		nok "$name"
		echo "#   ${FA_FAULT_INJECTION:+FA_FAULT_INJECTION=$FA_FAULT_INJECTION }analyze.sh $* exited $rc (want $want), want $wantf failed; its output:"
		sed 's/^/#   | /' "$tmp/out"
	fi
}

mklog "$tmp/log" </dev/null
expect "clean run passes" 0 0
expect "clean run passes with --fault-injection" 0 0 --fault-injection

allocfail | mklog "$tmp/log"
expect "fault-injection run: allocation failure with its stack passes" 0 0 --fault-injection
FA_FAULT_INJECTION=1 expect "FA_FAULT_INJECTION=1 is the same as --fault-injection" 0 0
expect "run without fault injection: an allocation failure fails" 1 1

allocfail inject | mklog "$tmp/log"
FA_FAULT_INJECTION=1 expect "fault-injection run: FAULT_INJECTION notice + allocation failure pass" 0 0
expect "run without fault injection: FAULT_INJECTION notice and the failure fail" 1 2

{ allocfail | head -n 3; lockdep; } | mklog "$tmp/log"
FA_FAULT_INJECTION=1 expect "fault-injection run: lockdep report 2 lines after an allocation failure fails" 1 1
expect "run without fault injection: allocation failure and lockdep both count" 1 2

{ allocfail; lockdep; } | mklog "$tmp/log"
FA_FAULT_INJECTION=1 expect "fault-injection run: lockdep report right after the failure's stack fails" 1 1

{
	allocfail | head -n 6
	echo "[   12.300000] BUG: KASAN: slab-use-after-free in fa_batch_free+0x2c/0x1a0 [fragalloc]"
	echo "[   12.300001] Read of size 8 at addr ffff888004b2a010 by task fa_fuzz/400"
	allocfail | tail -n +7
} | mklog "$tmp/log"
FA_FAULT_INJECTION=1 expect "fault-injection run: KASAN report inside a failure's stack dump fails" 1 1

{
	allocfail
	echo "[   12.400000] Call Trace:"
	echo "[   12.400001]  <TASK>"
	echo "[   12.400002]  fa_ioctl+0x2e1/0x6f0 [fragalloc]"
	echo "[   12.400003]  </TASK>"
} | mklog "$tmp/log"
FA_FAULT_INJECTION=1 expect "fault-injection run: a second stack dump after the failure's </TASK> fails" 1 1

tap_done gates-analyze
