#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pkg_test.sh - the Debian packaging test (make pkg-test; make check). On the
# host, no VM, nothing installed into the system but the build tools:
#   - the one version: dkms.conf, fragalloc_version.h and debian/changelog
#     agree with VERSION in the top-level Makefile (make check-version)
#   - `make deb` builds the four packages with dpkg-buildpackage -us -uc -b
#     from a copy of the tree, and the work tree is left as it was
#   - lintian reports no error or warning (pedantic and info tags shown)
#   - each package holds what it should (dkms source and udev rule, the
#     library and its symbols file, headers/.so/.a/.pc/man3, CLI/man8)
#   - unpacked with dpkg -x into a scratch root: a program built through
#     pkg-config against libfragalloc-dev (-Wall -Wextra -Werror) runs on
#     the packaged libfragalloc1, shared and static; the packaged CLI runs
#     `fragalloc --version` and `fragalloc frag --json`
#   - `dkms build` of the packaged /usr/src/fragalloc-VERSION, with a scratch
#     DKMS tree, for every target kernel (scripts/kvers.sh: 6.1 and 6.12)
# Last line: "pkg: N passed, N failed".
#
# Usage: tests/pkg/pkg_test.sh       Env: FA_KVERS="K1 K2" names the kernels;
#        FA_PKG_KEEP=1 keeps the scratch directory (printed).

set -uo pipefail

# shellcheck source=tests/pkg/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
repo=$pkg_repo
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fragalloc-pkg.XXXXXX")
if [[ ${FA_PKG_KEEP:-0} == 1 ]]; then
	echo "# scratch: $tmp"
else
	trap 'rm -rf "$tmp"' EXIT
fi
logs=$tmp/logs
mkdir -p "$logs"

if ! pkg_deps >"$logs/deps.log" 2>&1; then
	fa_notok "packaging tools installed (${PKG_DEPS[*]})" "" "$logs/deps.log"
	pkg_summary pkg
	exit 1
fi
fa_ok "packaging tools installed"

ver=$(sed -n 's/^VERSION[[:space:]]*:=[[:space:]]*//p' "$repo/Makefile")
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
echo "# VERSION $ver ($arch)"

fa_step "one version: make check-version" "$logs/version.log" \
	make -s --no-print-directory -C "$repo" check-version

# dpkg-buildpackage's droppings, had it run in the work tree
droppings() {
	local f
	for f in debian/build debian/tmp debian/files debian/.debhelper \
		debian/debhelper-build-stamp debian/fragalloc-dkms debian/libfragalloc1 \
		debian/libfragalloc-dev debian/fragalloc-tools; do
		[[ -e $repo/$f ]] && echo "$f"
	done
	compgen -G "$repo/debian/*.substvars" || true
}
before=$(droppings)
deb=$tmp/deb
if make -s --no-print-directory -C "$repo" deb DEB_OUT="$deb" >"$logs/deb.log" 2>&1; then
	fa_ok "make deb (dpkg-buildpackage -us -uc -b in a copy of the tree)"
else
	fa_notok "make deb (dpkg-buildpackage -us -uc -b in a copy of the tree)" "" "$logs/deb.log"
fi
after=$(droppings)
if [[ $after == "$before" ]]; then
	fa_ok "the work tree is untouched by the package build"
else
	fa_notok "the work tree is untouched by the package build: $after"
fi

declare -A debfile
for p in fragalloc-dkms libfragalloc1 libfragalloc-dev fragalloc-tools; do
	a=$arch
	[[ $p == fragalloc-dkms ]] && a=all
	f=$deb/${p}_${ver}_$a.deb
	if [[ -f $f ]] && [[ $(dpkg-deb -f "$f" Version) == "$ver" ]]; then
		debfile[$p]=$f
		fa_ok "$p $ver built"
	else
		fa_notok "$p $ver built ($f)"
	fi
done
if ((${#debfile[@]} != 4)); then
	pkg_summary pkg
	exit 1
fi

# lintian: -I --pedantic shows every tag; errors and warnings fail
changes=$deb/fragalloc_${ver}_$arch.changes
if lintian --fail-on error,warning -I --pedantic --show-overrides "$changes" \
	>"$logs/lintian.log" 2>&1; then
	fa_ok "lintian: no errors or warnings ($(grep -c '^[EWIPX]: ' "$logs/lintian.log") tags in all)"
else
	fa_notok "lintian: no errors or warnings" "" "$logs/lintian.log"
fi
sed -n 's/^\([EWIPXO]: \)/    lintian: \1/p' "$logs/lintian.log"

# has DEB PATH...: every PATH (a ./-relative dpkg-deb -c name) is in DEB
has() {
	local deb=$1 list p
	shift
	list=$(dpkg-deb -c "$deb" | awk '{print $6}')
	for p in "$@"; do
		grep -qxF "./$p" <<<"$list" || {
			echo "missing $p in ${deb##*/}"
			return 1
		}
	done
}
src=usr/src/fragalloc-$ver
lib=usr/lib/$multiarch
fa_step "fragalloc-dkms: dkms.conf, driver/, uapi/, udev rule" "$logs/c-dkms.log" \
	has "${debfile[fragalloc-dkms]}" "$src/dkms.conf" "$src/driver/Makefile" \
	"$src/driver/Kbuild" "$src/driver/main.c" "$src/uapi/linux/fragalloc.h" \
	lib/udev/rules.d/99-fragalloc.rules
dkms_scripts() {
	local d=$tmp/ctl-dkms
	dpkg-deb -e "${debfile[fragalloc-dkms]}" "$d" &&
		grep -q 'addgroup --system --quiet fragalloc' "$d/postinst" &&
		grep -q "common.postinst" "$d/postinst" &&
		grep -qx "DKMS_VERSION=$ver" "$d/prerm" &&
		grep -qF "dkms remove -m \$DKMS_NAME -v \$DKMS_VERSION" "$d/prerm" &&
		dpkg-deb --fsys-tarfile "${debfile[fragalloc-dkms]}" |
		tar -xOf - ./lib/udev/rules.d/99-fragalloc.rules | grep -q 'GROUP="fragalloc", MODE="0660"'
}
fa_step "fragalloc-dkms: postinst creates group fragalloc and runs DKMS; prerm removes it; udev rule gives the group /dev/fragalloc" \
	"$logs/c-dkms-scripts.log" dkms_scripts
# every symbol names the release that brought it (fragalloc_open: the
# first, 1.0.0), never one later than VERSION
symbols_not_newer() {
	local sym v
	while read -r sym v; do
		case $sym in *@*) ;; *) continue ;; esac
		dpkg --compare-versions "$v" le "$ver" || { echo "$sym: $v > $ver"; return 1; }
	done <"$1"
}
lib_ctl() {
	local d=$tmp/ctl-lib
	dpkg-deb -e "${debfile[libfragalloc1]}" "$d" &&
		grep -q "^libfragalloc.so.1 libfragalloc1 #MINVER#" "$d/symbols" &&
		grep -q "fragalloc_open@FRAGALLOC_1.0 1.0.0" "$d/symbols" &&
		symbols_not_newer "$d/symbols" &&
		dpkg-deb -f "${debfile[fragalloc-tools]}" Depends | grep -q "libfragalloc1 (>= "
}
fa_step "libfragalloc1: libfragalloc.so.1 and libfragalloc.so.$ver" "$logs/c-lib.log" \
	has "${debfile[libfragalloc1]}" "$lib/libfragalloc.so.1" "$lib/libfragalloc.so.$ver"
fa_step "libfragalloc1: symbols file (each symbol with its first release, none after VERSION); fragalloc-tools depends on libfragalloc1" \
	"$logs/c-lib-ctl.log" lib_ctl
fa_step "libfragalloc-dev: headers, .so, .a, .pc, man3" "$logs/c-dev.log" \
	has "${debfile[libfragalloc-dev]}" usr/include/fragalloc.h usr/include/fragalloc_version.h \
	usr/include/linux/fragalloc.h "$lib/libfragalloc.so" "$lib/libfragalloc.a" \
	"$lib/pkgconfig/fragalloc.pc" usr/share/man/man3/fragalloc.3.gz \
	usr/share/man/man3/fragalloc_open.3.gz
fa_step "fragalloc-tools: CLI and man8" "$logs/c-tools.log" \
	has "${debfile[fragalloc-tools]}" usr/sbin/fragalloc usr/share/man/man8/fragalloc.8.gz

# ---- the packages unpacked in a scratch root ---------------------------------
root=$tmp/root
unpack() {
	local f
	for f in "${debfile[@]}"; do dpkg -x "$f" "$root" || return 1; done
}
fa_step "dpkg -x all four into a scratch root" "$logs/unpack.log" unpack

export PKG_CONFIG_SYSROOT_DIR=$root
# and the system's: fragalloc.pc requires libnl-genl-3.0 (libfragalloc-dev
# depends on libnl-genl-3-dev)
syspc=$(pkg-config --variable pc_path pkg-config)
export PKG_CONFIG_LIBDIR=$root/$lib/pkgconfig:$syspc
pcver=$(pkg-config --modversion fragalloc 2>"$logs/pc.log")
if [[ $pcver == "$ver" ]]; then
	fa_ok "pkg-config --modversion fragalloc: $ver"
else
	fa_notok "pkg-config --modversion fragalloc: '$pcver', VERSION is $ver" "" "$logs/pc.log"
fi

# the program of tests/lib/test_install.sh, against the packages
client=$repo/tests/lib/installed_client.c
link_shared() {
	# shellcheck disable=SC2046 # pkg-config prints several words
	gcc -Wall -Wextra -Werror -o "$tmp/t" "$client" $(pkg-config --cflags --libs fragalloc) &&
		LD_LIBRARY_PATH=$root/$lib "$tmp/t" | tee "$tmp/t.out" &&
		grep -qx "lib=$ver header=$ver abi=1 zones=[1-9][0-9]*" "$tmp/t.out" &&
		LD_LIBRARY_PATH=$root/$lib ldd "$tmp/t" | grep -F "$root/$lib/libfragalloc.so.1"
}
fa_step "a program built with pkg-config against libfragalloc-dev runs on libfragalloc1" \
	"$logs/link-shared.log" link_shared
link_static() {
	# shellcheck disable=SC2046
	gcc -Wall -Wextra -Werror -static -o "$tmp/ts" "$client" $(pkg-config --static --cflags --libs fragalloc) &&
		"$tmp/ts"
}
fa_step "the same program linked statically (pkg-config --static, libfragalloc.a)" \
	"$logs/link-static.log" link_static

fa=$root/usr/sbin/fragalloc
cli_version() {
	LD_LIBRARY_PATH=$root/$lib "$fa" --version | tee "$tmp/v.out" &&
		grep -qx "fragalloc v$ver" "$tmp/v.out" &&
		grep -qx "libfragalloc v$ver" "$tmp/v.out" &&
		LD_LIBRARY_PATH=$root/$lib ldd "$fa" | grep -F "$root/$lib/libfragalloc.so.1"
}
fa_step "fragalloc --version (fragalloc-tools on libfragalloc1): $ver" "$logs/cli-version.log" cli_version
cli_frag() {
	LD_LIBRARY_PATH=$root/$lib "$fa" frag --json >"$tmp/frag.json" &&
		python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["page_size"] > 0 and d["zones"], d
print("zones:", len(d["zones"]))' "$tmp/frag.json"
}
fa_step "fragalloc frag --json prints the fragmentation report as JSON" "$logs/cli-frag.log" cli_frag

# ---- DKMS from the packaged source tree ----------------------------------------
if [[ -n ${FA_KVERS:-} ]]; then
	read -r -a kvers <<<"$FA_KVERS"
else
	mapfile -t kvers < <("$repo/scripts/kvers.sh")
	for s in 6.1 6.12; do
		printf '%s\n' "${kvers[@]}" | grep -q "^$s\." ||
			fa_notok "a $s kernel with headers to build against (scripts/kvers.sh; make deps installs it)"
	done
fi
dkmstree=$tmp/dkms
mkdir -p "$dkmstree"
dk=(--sourcetree "$root/usr/src" --dkmstree "$dkmstree")
fa_step "dkms add fragalloc/$ver (packaged /usr/src, scratch DKMS tree)" "$logs/dkms-add.log" \
	dkms add "fragalloc/$ver" "${dk[@]}"
for k in "${kvers[@]}"; do
	dkms_build() {
		dkms build "fragalloc/$ver" -k "$1" "${dk[@]}" &&
			ls "$dkmstree/fragalloc/$ver/$1"/*/module/fragalloc.ko*
	}
	fa_step "dkms build fragalloc/$ver -k $k (packaged source)" "$logs/dkms-$k.log" dkms_build "$k"
done

pkg_summary pkg
