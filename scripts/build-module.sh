#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh - build driver/fragalloc.ko for one kernel, with W=1, in
# build/kmod/KVER/ (a copy of driver/ and uapi/, so that builds for several
# kernels do not overwrite each other), and the in-kernel API's test module
# (tests/kapi) in build/kmod/KVER/kapi/.
#
# Usage: scripts/build-module.sh KVER [KDIR]     (KDIR: /lib/modules/KVER/build)
#        scripts/build-module.sh --gate OUT LOG   only the warnings gate: print
#                 LOG's warning/error lines for files under OUT; exit 1 if any
#                 (tests/gates/build_gate_test.sh)
# Env:   FA_SPARSE=1  also run sparse (C=2) over the module
#        FA_NO_MOVABLE=1  hide the kernel's movable_ops interface (the build
#                 of a kernel without it: the movable policy is refused), in
#                 build/kmod/KVER-nomovable/
# Warnings and sparse findings are printed and make the build fail.

set -euo pipefail

# gate OUT LOG: the "no warnings" gate. A line of LOG that starts with
# "OUT/" (compared as a fixed string: kernel releases such as
# 6.12.117+deb12-amd64 hold regex operators) and has "warning:" or "error:"
# after it is a finding in our files. Prints the findings; exit 1 if any.
gate() {
	FA_GATE_PREFIX="$1/" awk '
		BEGIN { p = ENVIRON["FA_GATE_PREFIX"]; n = 0 }
		substr($0, 1, length(p)) == p && substr($0, length(p) + 1) ~ /(warning|error):/ { print; n++ }
		END { exit n > 0 }' "$2"
}
if [[ ${1:-} == --gate ]]; then
	(($# == 3)) || { echo "usage: build-module.sh --gate OUT LOG" >&2; exit 2; }
	gate "$2" "$3"
	exit
fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kver=$1
kdir=${2:-/lib/modules/$kver/build}
out=$repo/build/kmod/$kver${FA_NO_MOVABLE:+-nomovable}

mkdir -p "$out"
# Mirror the sources; drop files that no longer exist upstream.
rm -rf "$out/driver.new"
cp -a "$repo/driver" "$out/driver.new"
if [[ -d $out/driver ]]; then
	# keep objects of unchanged files for incremental builds
	(cd "$out/driver.new" && find . -type f) | sort >"$out/src.list"
	(cd "$out/driver" && find . -type f \( -name '*.c' -o -name '*.h' -o -name Kbuild -o -name Makefile \)) |
		sort | comm -23 - "$out/src.list" | (cd "$out/driver" && xargs -r rm -f)
	cp -a "$out/driver.new/." "$out/driver/"
	rm -rf "$out/driver.new"
else
	mv "$out/driver.new" "$out/driver"
fi
rm -rf "$out/uapi" "$out/kapi"
cp -a "$repo/uapi" "$out/uapi"
cp -a "$repo/tests/kapi" "$out/kapi"

extra=()
[[ ${FA_SPARSE:-0} == 1 ]] && extra+=(C=2)
[[ ${FA_NO_MOVABLE:-} ]] && extra+=(FA_NO_MOVABLE=1)

log=$out/build.log
if ! make -C "$kdir" M="$out/driver" W=1 "${extra[@]}" modules >"$log" 2>&1; then
	cat "$log" >&2
	echo "build-module: build for $kver failed" >&2
	exit 1
fi
# The in-kernel API's test module, linked against the module just built.
if ! make -C "$kdir" M="$out/kapi" W=1 "${extra[@]}" \
	KBUILD_EXTRA_SYMBOLS="$out/driver/Module.symvers" modules >>"$log" 2>&1; then
	cat "$log" >&2
	echo "build-module: kapi test module for $kver failed" >&2
	exit 1
fi
# W=1 warnings, sparse findings and errors in our files fail the build.
if ! gate "$out" "$log" >&2; then
	# drop the objects, or the next (incremental) build would compile
	# nothing, print no warning and pass
	find "$out/driver" "$out/kapi" -name '*.o' -delete
	echo "build-module: $kver: warnings (see above; full log $log)" >&2
	exit 1
fi
echo "build-module: $out/driver/fragalloc.ko"
