#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest wrapper: load the kapi test module, run it, unload it (TAP).
d=$(dirname "$0")
insmod "$d/fragalloc_kapi_test.ko" || { echo "1..1"; echo "not ok 1 insmod fragalloc_kapi_test.ko"; exit 1; }
cat /sys/kernel/debug/fragalloc_kapi_test/run
rc=$?
rmmod fragalloc_kapi_test || rc=1
exit $rc
