#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-debs.sh - build the Debian packages (`make deb`): copy the tree to
# OUT/src, run `dpkg-buildpackage -us -uc -b` there (its `debian/rules
# clean` then never touches the work tree), leave the .debs, .buildinfo and
# .changes in OUT. Installs the build tools it needs (tests/pkg/lib.sh).
#
# Usage: tests/pkg/build-debs.sh OUT      (make deb: build/deb)

set -euo pipefail

# shellcheck source=tests/pkg/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

(($# == 1)) || {
	echo "usage: build-debs.sh OUT" >&2
	exit 2
}
out=$(mkdir -p "$1" && cd "$1" && pwd)
pkg_deps
rm -rf "$out/src" "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
pkg_export "$out/src"
(cd "$out/src" && dpkg-buildpackage -us -uc -b)
ls "$out"/*.deb
