#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh - build (once per machine) the fragalloc debug kernel:
# Debian's /usr/src/linux-source-6.12.tar.xz, `make tinyconfig` plus the
# fragment tests/vm/debug.config (KASAN, KFENCE, lockdep, DEBUG_VM,
# page_table_check, kmemleak, fault injection), bzImage + modules.
#
# Usage: scripts/debug-kernel.sh [--env] [--force]
#   --env    print only shell assignments KDIR=... KVER=... BZIMAGE=...
#            (building first when the cache has no finished tree)
#   --force  rebuild even if the cached tree is complete
#
# Env: FA_DEBUG_KERNEL_CACHE  cache root (default /var/cache/fragalloc/debug-kernel)
#      FA_KSRC_TARBALL        source tarball (default /usr/src/linux-source-6.12.tar.xz)
#      FA_JOBS                make -j (default 2)
#
# The tree lives in CACHE/<source version>-<config hash>/linux/; a finished
# build has CACHE/<key>/built (written last), so an interrupted build is
# redone. Build log: CACHE/<key>/build.log.

set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
frag=$repo/tests/vm/debug.config
tarball=${FA_KSRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
root=${FA_DEBUG_KERNEL_CACHE:-/var/cache/fragalloc/debug-kernel}
jobs=${FA_JOBS:-2}
envonly=0 force=0
for a in "$@"; do
	case $a in
	--env) envonly=1 ;;
	--force) force=1 ;;
	*) echo "debug-kernel.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done

say() { echo "debug-kernel: $*" >&2; }
die() { say "$*"; exit 1; }

[[ -r $tarball ]] || die "$tarball missing (apt-get install linux-source-6.12)"
# build tools the tinyconfig build needs that deps.sh does not install
need=()
for t in flex:flex bison:bison bc:bc; do
	command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
[[ -f /usr/include/libelf.h || -f /usr/include/gelf.h ]] || need+=(libelf-dev)
[[ -f /usr/include/openssl/evp.h ]] || need+=(libssl-dev)
if ((${#need[@]})); then
	say "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2 ||
		{ apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2; } ||
		die "could not install ${need[*]}"
fi

# cache key: the source package version (or the tarball's size+mtime), the
# fragment, this script and the compiler
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
[[ -n $srcver ]] || srcver=$(stat -c '%s-%Y' "$tarball")
hash=$( { cat "$frag" "${BASH_SOURCE[0]}"; gcc --version | sed -n 1p; } | sha256sum | cut -c1-12)
key=6.12-${srcver//[^A-Za-z0-9.+]/_}-$hash
dir=$root/$key
tree=$dir/linux
mkdir -p "$root"

emit_env() {
	local kver
	kver=$(make -s -C "$tree" kernelrelease)
	echo "KDIR=$tree"
	echo "KVER=$kver"
	echo "BZIMAGE=$tree/arch/x86/boot/bzImage"
}

# one builder at a time per machine
exec 9>"$root/.lock"
if ! flock -n 9; then
	say "another build holds $root/.lock; waiting"
	flock 9
fi

if [[ -f $dir/built && $force == 0 ]]; then
	if ((envonly)); then emit_env; else
		say "cached: $tree"
		emit_env
	fi
	exit 0
fi

rm -rf "$dir"
mkdir -p "$dir"
log=$dir/build.log
t0=$(date +%s)
say "extracting $tarball into $dir (log: $log)"
tar -xJf "$tarball" -C "$dir"
top=$(find "$dir" -mindepth 1 -maxdepth 1 -type d -name 'linux*' -print -quit)
[[ -n $top ]] || die "no linux* directory in $tarball"
[[ $top == "$tree" ]] || mv "$top" "$tree"
t1=$(date +%s)

mk=(make -C "$tree" ARCH=x86_64)
say "configuring: tinyconfig + $frag"
{
	"${mk[@]}" tinyconfig
	(cd "$tree" && ARCH=x86_64 scripts/kconfig/merge_config.sh -m .config "$frag")
	"${mk[@]}" olddefconfig
} >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "configuration failed"; }

# every option asked for must have its value in .config
missing=0
while IFS= read -r l; do
	if [[ $l =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
		want="${BASH_REMATCH[1]}=${BASH_REMATCH[2]}"
		grep -qxF "$want" "$tree/.config" || {
			say "missing: $want (have: $(grep -E "^(# )?${BASH_REMATCH[1]}[= ]" "$tree/.config" || echo unset))"
			missing=$((missing + 1))
		}
	elif [[ $l =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
		if grep -qE "^${BASH_REMATCH[1]}=" "$tree/.config"; then
			say "should be unset: ${BASH_REMATCH[1]} ($(grep -E "^${BASH_REMATCH[1]}=" "$tree/.config"))"
			missing=$((missing + 1))
		fi
	fi
done <"$frag"
((missing == 0)) || die "$missing Kconfig option(s) of $frag did not end up as asked"

say "building bzImage + modules (nice, -j$jobs)"
if ! nice -n 10 "${mk[@]}" -j"$jobs" bzImage modules >>"$log" 2>&1; then
	tail -n 40 "$log" >&2
	die "kernel build failed (log: $log)"
fi
[[ -f $tree/Module.symvers ]] || die "no Module.symvers after the build"
t2=$(date +%s)
echo "extract $((t1 - t0)) s, configure+build $((t2 - t1)) s, jobs $jobs" >"$dir/built"
say "built in $((t2 - t0)) s (extract $((t1 - t0)) s, build $((t2 - t1)) s): $tree"
emit_env
