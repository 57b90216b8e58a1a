#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build_test.sh - the builds tell the truth (make build-test; make check).
# In a copy of the tree (no build/, no .cache/, so no kselftest headers):
#   - `make modules KDIR=...` with a missing directory, an empty one, or
#     MODROOT/V/build that does not exist fails, naming the directory and
#     the linux-headers package; `make` with such a KDIR fails too
#   - `make modules` with no kernel headers at all fails, naming
#     linux-headers-$(uname -r)
#   - plain `make` with no headers and no kselftest headers builds the
#     library and the CLI, exits 0 and says it skipped the module and the
#     selftests and why; with a broken compiler (nothing built) it fails
#   - plain `make` with the installed headers builds the module for each of
#     them, the library and the CLI, and says it skipped the selftests
#   - `make modules KDIR=/lib/modules/V/build` builds into build/kmod/V
#     (Debian's 6.1 headers call themselves "6.1.192")
# Last line: "build: N passed, N failed".

set -uo pipefail

# shellcheck source=tests/pkg/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fragalloc-build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tree=$tmp/tree
pkg_export "$tree"
empty=$tmp/empty
mkdir -p "$empty"
running=$(uname -r)
ver=$(sed -n 's/^VERSION[[:space:]]*:=[[:space:]]*//p' "$tree/Makefile")

# expect NAME RC(0|fail) LOG PATTERN... -- MAKEARGS...: run make in the copy;
# pass when its exit status is as expected and its output has every PATTERN
# (fixed strings)
expect() {
	local name=$1 want=$2 log=$tmp/$3 rc p
	shift 3
	local pats=()
	while [[ $1 != -- ]]; do
		pats+=("$1")
		shift
	done
	shift
	make -C "$tree" --no-print-directory "$@" >"$log" 2>&1
	rc=$?
	if [[ $want == 0 && $rc != 0 ]] || [[ $want == fail && $rc == 0 ]]; then
		fa_notok "$name: exit $rc" "" "$log"
		return 1
	fi
	for p in "${pats[@]}"; do
		grep -qF -- "$p" "$log" || {
			fa_notok "$name: no \"$p\" in the output" "" "$log"
			return 1
		}
	done
	fa_ok "$name"
}

expect "make modules KDIR=<missing dir> fails naming it and the headers package" fail bad1.log \
	"KDIR=/nonexistent/kernel/build is not a kernel build tree (no such directory)" \
	"apt-get install linux-headers-$running" -- modules KDIR=/nonexistent/kernel/build
expect "make modules KDIR=<dir without a kernel tree> fails naming it" fail bad2.log \
	"KDIR=$empty is not a kernel build tree (no Makefile)" "linux-headers-" -- \
	modules KDIR="$empty"
expect "make modules KDIR=/lib/modules/V/build (V without headers) names linux-headers-V" fail bad3.log \
	"KDIR=/lib/modules/0.0.0-0-fatest/build is not a kernel build tree" \
	"apt-get install linux-headers-0.0.0-0-fatest" -- modules KDIR=/lib/modules/0.0.0-0-fatest/build
expect "make KDIR=<missing dir> fails too (the module was asked for)" fail bad4.log \
	"KDIR=/nonexistent/kernel/build is not a kernel build tree" -- KDIR=/nonexistent/kernel/build
expect "make modules with no kernel headers at all fails naming linux-headers-$running" fail bad5.log \
	"no kernel build tree in $empty/*/build" "apt-get install linux-headers-$running" -- \
	modules MODROOT="$empty"
expect "make with a compiler that builds nothing fails" fail bad6.log "Error" -- \
	MODROOT="$empty" CC=false

expect "make with no headers and no kselftest headers: library + CLI, says what it skipped" 0 nohdr.log \
	"library: build/lib/libfragalloc.so.$ver" "CLI: build/tools/fragalloc" \
	"skipped the module: no kernel build tree in $empty/*/build (apt-get install linux-headers-$running)" \
	"skipped the selftests" "run \`make deps\`" -- MODROOT="$empty"
built() {
	local f
	for f in "$@"; do
		[[ -s $tree/$f ]] || {
			echo "missing $f"
			return 1
		}
	done
}
fa_step "... and the library and the CLI are there" "$tmp/nohdr-files.log" \
	built "build/lib/libfragalloc.so.$ver" build/lib/libfragalloc.a build/tools/fragalloc
if [[ -e $tree/build/kmod || -e $tree/build/selftests ]]; then
	fa_notok "... and no module or selftest was built"
else
	fa_ok "... and no module or selftest was built"
fi

mapfile -t hdrs < <(cd /lib/modules && for d in */build/Makefile; do [[ -e $d ]] && echo "${d%%/*}"; done)
if ((${#hdrs[@]} == 0)); then
	fa_notok "kernel headers installed (make deps installs them)"
else
	pats=()
	for k in "${hdrs[@]}"; do
		pats+=("module for $k: build/kmod/$k/driver/fragalloc.ko")
	done
	rm -rf "$tree/build"
	expect "make with headers, without kselftest headers: module for ${hdrs[*]}, library, CLI; selftests skipped" 0 \
		hdr.log "${pats[@]}" "CLI: build/tools/fragalloc" "skipped the selftests" --
	files=()
	for k in "${hdrs[@]}"; do files+=("build/kmod/$k/driver/fragalloc.ko"); done
	fa_step "... and the modules are there" "$tmp/hdr-files.log" built "${files[@]}"
	k=${hdrs[0]}
	rm -f "$tree/build/kmod/$k/driver/fragalloc.ko"
	expect "make modules KDIR=/lib/modules/$k/build builds build/kmod/$k" 0 kdir.log \
		"build-module: $tree/build/kmod/$k/driver/fragalloc.ko" -- modules KDIR="/lib/modules/$k/build"
fi

pkg_summary build
