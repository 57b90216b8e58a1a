#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-check.sh - build the module with DKMS, as a user installing it would,
# against every target kernel's headers (build only: nothing is installed
# into /lib/modules). Prints TAP-ish lines and "dkms: N passed, N failed".
#
# Usage: scripts/dkms-check.sh [KVER...]     (default: scripts/kvers.sh)

set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
name=fragalloc
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$repo/dkms.conf")
src=/usr/src/$name-$ver
kvers=("$@")
((${#kvers[@]})) || mapfile -t kvers < <("$repo/scripts/kvers.sh")

passed=0 failed=0
cleanup() {
	dkms remove "$name/$ver" --all >/dev/null 2>&1
	rm -rf "$src"
}
cleanup
# What DKMS needs, as a user would copy it: dkms.conf, driver/, uapi/.
mkdir -p "$src"
cp -a "$repo/dkms.conf" "$repo/driver" "$repo/uapi" "$src/"
find "$src" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' \) -delete
trap cleanup EXIT

if ! dkms add "$name/$ver" >/dev/null; then
	echo "not ok - dkms add $name/$ver"
	echo "dkms: 0 passed, 1 failed"
	exit 1
fi
for k in "${kvers[@]}"; do
	log=$repo/build/check/dkms-$k.log
	mkdir -p "$(dirname "$log")"
	if dkms build "$name/$ver" -k "$k" >"$log" 2>&1 &&
		ls /var/lib/dkms/"$name/$ver/$k"/*/module/"$name".ko* >/dev/null 2>&1; then
		echo "ok - dkms build $name/$ver -k $k"
		passed=$((passed + 1))
	else
		echo "not ok - dkms build $name/$ver -k $k (log: ${log#"$repo"/})"
		tail -n 20 "$log" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done
echo "dkms: $passed passed, $failed failed"
((failed == 0))
