#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest wrapper: load the kapi test module, run it, unload it (TAP).
# First the module holds pages whose struct page fields it wrote itself
# while a pool-wide RECOMPACT runs from user space (the staged CLI); the
# next read of "run" reports on them with the other tests.
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
cat "$k/run"
rc=$?
rmmod fragalloc_kapi_test || rc=1
exit $rc
