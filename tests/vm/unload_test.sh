#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest test (TAP): the module cannot be unloaded while a file or a
# mapping holds it, and the device keeps working meanwhile; a parameter
# written while rmmod runs reaches nothing freed (the debug kernel's KASAN
# names it if it does). The final rmmod of the runner checks that unloading
# then succeeds.

# the TAP helper, staged next to this script by scripts/stage-vm.sh
# shellcheck source=tests/tap.sh
. "$(dirname "$0")/tap.sh"
P=/sys/module/fragalloc/parameters
KO=/fragalloc/fragalloc.ko
echo "TAP version 13"
exec 3<>/dev/fragalloc
if rmmod fragalloc 2>/tmp/rmmod.err; then
	nok "rmmod refused while /dev/fragalloc is open"
	# put it back so the rest of the run is not disturbed
	insmod $KO
else
	echo "# $(cat /tmp/rmmod.err)"
	ok "rmmod refused while /dev/fragalloc is open"
fi
exec 3>&-
grep -q '^fragalloc ' /proc/modules && [ -c /dev/fragalloc ]
result $? "module still loaded and usable after the refused rmmod"

# The parameters as loaded, to load the module again the same way.
args=
for f in "$P"/*; do
	args="$args ${f##*/}=$(cat "$f")"
done
good=1
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
	rmmod fragalloc || good=0
	kill $w 2>/dev/null
	wait $w 2>/dev/null
	# shellcheck disable=SC2086 # a list of name=value words
	insmod $KO $args || { good=0; break; }
	i=$((i + 1))
done
if [ $good = 1 ] && [ -c /dev/fragalloc ]; then
	ok "rmmod while parameters are written, $i times: module back and usable"
else
	nok "rmmod while parameters are written ($i rounds done)"
fi
tap_done unload
