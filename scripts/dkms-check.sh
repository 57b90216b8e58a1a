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

# shellcheck source=tests/gates/lib.sh
. "$repo/tests/gates/lib.sh"
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
	fa_notok "dkms add $name/$ver"
	echo "dkms: 0 passed, 1 failed"
	exit 1
fi
# dkms_build KVER: the build, and the module it leaves in DKMS's tree
dkms_build() {
	dkms build "$name/$ver" -k "$1" &&
		ls /var/lib/dkms/"$name/$ver/$1"/*/module/"$name".ko* >/dev/null
}
mkdir -p "$repo/build/check"
for k in "${kvers[@]}"; do
	fa_step "dkms build $name/$ver -k $k" "$repo/build/check/dkms-$k.log" dkms_build "$k"
done
echo "dkms: $fa_passed passed, $fa_failed failed"
((fa_failed == 0))
