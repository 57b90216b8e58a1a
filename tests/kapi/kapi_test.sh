#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest wrapper: load the kapi test module, run it, unload it (TAP).
# First the module holds pages whose struct page fields it wrote itself
# while a pool-wide RECOMPACT runs from user space (the staged CLI); the
# next read of "run" reports on them with the other tests. Then the
# rounds of movable client pages that the kernel's compaction moves.
d=$(dirname "$0")
k=/sys/kernel/debug/fragalloc_kapi_test
insmod "$d/fragalloc_kapi_test.ko" || { echo "1..1"; echo "not ok 1 insmod fragalloc_kapi_test.ko"; exit 1; }
if [ -x "$d/fragalloc" ]; then
	if echo 1 >"$k/hold"; then
		"$d/fragalloc" recompact --scope pool | sed 's/^/# /'
		"$d/fragalloc" recompact --scope pool >/dev/null
		echo 0 >"$k/hold"
	else
		echo "# holding pages failed"
	fi
else
	echo "# no staged CLI: the held-pages check does not run"
fi
# Movable client pages and the kernel's compaction: round 1 moves them,
# round 2 has move() refuse (pinned), round 3 frees them from a thread
# while compaction runs, then destroys the client while another one runs.
# "run" reports each round.
for r in 1 2 3; do
	if ! echo $r >"$k/movable"; then
		echo "# movable round $r did not start"
		continue
	fi
	echo 1 >/proc/sys/vm/compact_memory
	if [ $r = 3 ]; then
		# and the client destroyed while a second one runs
		echo 1 >/proc/sys/vm/compact_memory &
		echo 0 >"$k/movable"
		wait
	else
		echo 0 >"$k/movable"
	fi
done
cat "$k/run"
rc=$?
rmmod fragalloc_kapi_test || rc=1
exit $rc
