#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kvers.sh - print the target kernel versions, one per line: the newest
# installed 6.1 kernel and the newest installed 6.12 kernel (generic amd64
# flavour), each only if both /boot/vmlinuz-V and /lib/modules/V/build exist.
#
# Usage: scripts/kvers.sh [SERIES...]     (default series: 6.1 6.12)
# Exits 1 if no kernel at all is found.

set -euo pipefail

series=("$@")
((${#series[@]})) || series=(6.1 6.12)

found=0
for s in "${series[@]}"; do
	best=""
	for vmlinuz in /boot/vmlinuz-"$s".*-amd64; do
		[[ -e $vmlinuz ]] || continue
		v=${vmlinuz#/boot/vmlinuz-}
		# generic flavour only: 6.1.0-56-amd64, 6.12.117+deb12-amd64
		[[ $v =~ ^${s//./\\.}\.[0-9]+(-[0-9]+|\+deb[0-9]+)-amd64$ ]] || continue
		[[ -d /lib/modules/$v/build ]] || continue
		best=$(printf '%s\n%s\n' "$best" "$v" | sed '/^$/d' | sort -V | tail -n1)
	done
	if [[ -n $best ]]; then
		echo "$best"
		found=1
	fi
done
((found))
