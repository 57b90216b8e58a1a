#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest test (TAP): the module cannot be unloaded while a file or a
# mapping holds it, and the device keeps working meanwhile. The final rmmod
# of the runner checks that unloading then succeeds.
echo "TAP version 13"
echo "1..2"
exec 3<>/dev/fragalloc
if rmmod fragalloc 2>/tmp/rmmod.err; then
	echo "not ok 1 rmmod refused while /dev/fragalloc is open"
	# put it back so the rest of the run is not disturbed
	insmod /fragalloc/fragalloc.ko
else
	echo "# $(cat /tmp/rmmod.err)"
	echo "ok 1 rmmod refused while /dev/fragalloc is open"
fi
exec 3>&-
if grep -q '^fragalloc ' /proc/modules && [ -c /dev/fragalloc ]; then
	echo "ok 2 module still loaded and usable after the refused rmmod"
else
	echo "not ok 2 module still loaded and usable after the refused rmmod"
fi
