#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest test (TAP): the module cannot be unloaded while a file or a
# mapping holds it, and the device keeps working meanwhile; a parameter
# written while rmmod runs reaches nothing freed (the debug kernel's KASAN
# names it if it does). The final rmmod of the runner checks that unloading
# then succeeds.
P=/sys/module/fragalloc/parameters
KO=/fragalloc/fragalloc.ko
echo "TAP version 13"
echo "1..3"
exec 3<>/dev/fragalloc
if rmmod fragalloc 2>/tmp/rmmod.err; then
	echo "not ok 1 rmmod refused while /dev/fragalloc is open"
	# put it back so the rest of the run is not disturbed
	insmod $KO
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

# The parameters as loaded, to load the module again the same way.
args=
for f in "$P"/*; do
	args="$args ${f##*/}=$(cat "$f")"
done
ok=1
i=0
while [ $i -lt 20 ]; do
	(
		while :; do
			echo 3 >$P/reserve_blocks
			echo 0 >$P/release_delay_ms
			echo 1 >$P/reserve_blocks
		done
	) 2>/dev/null &
	w=$!
	usleep 20000 2>/dev/null || sleep 1
	rmmod fragalloc || ok=0
	kill $w 2>/dev/null
	wait $w 2>/dev/null
	# shellcheck disable=SC2086 # a list of name=value words
	insmod $KO $args || { ok=0; break; }
	i=$((i + 1))
done
if [ $ok = 1 ] && [ -c /dev/fragalloc ]; then
	echo "ok 3 rmmod while parameters are written, $i times: module back and usable"
else
	echo "not ok 3 rmmod while parameters are written ($i rounds done)"
fi
