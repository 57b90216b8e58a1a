#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest test (TAP, from reclaim_test): memory pressure while the pool
# holds pages that cannot move. The kapi test module pins about 100 MB of
# pages (fragalloc_alloc_pages()) in pageblocks a third full; reclaim_test's
# pressure_pinned then mlocks MemFree plus most of the pool's idle memory:
# no OOM kill, and the free pages of the pinned pageblocks went back one by
# one (STATS out_shrink_blocks_broken).
d=$(dirname "$0")
k=/sys/kernel/debug/fragalloc_kapi_test
insmod "$d/fragalloc_kapi_test.ko" || { echo "1..1"; echo "not ok 1 insmod fragalloc_kapi_test.ko"; exit 1; }
if ! echo 25600 >"$k/pin"; then
	echo "1..1"
	echo "not ok 1 pinning pages through the kapi test module"
	rmmod fragalloc_kapi_test
	exit 1
fi
FA_PINNED_EXPECTED=1 "$d/reclaim_test" -t pressure_pinned
rc=$?
echo 0 >"$k/pin" || rc=1
rmmod fragalloc_kapi_test || rc=1
exit $rc
