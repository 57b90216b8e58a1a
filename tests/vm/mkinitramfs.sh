#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh - build a tiny busybox initramfs for the fragalloc VM tests.
#
# Usage: tests/vm/mkinitramfs.sh OUT.cpio.gz KVER KO_PATH BIN_DIR [EXTRA_DIR]
#
#   OUT.cpio.gz  output (gzip'd newc cpio)
#   KVER         kernel the module was built for (e.g. 6.12.117+deb12-amd64);
#                checked against the module's vermagic, used to find the
#                module's dependencies (if any) in /lib/modules/KVER
#   KO_PATH      the module, installed as /fragalloc/fragalloc.ko
#   BIN_DIR      every executable file is copied to /fragalloc/bin/; an
#                optional BIN_DIR/tests.list (one program name a line, '#'
#                comments allowed) names the selftests to run, in order.
#                ELF binaries must be statically linked (there is no libc).
#   EXTRA_DIR    optional tree copied over the root of the initramfs
#
# Layout: /init, /bin/busybox (+ applet symlinks), /fragalloc/{fragalloc.ko,
# guest-run.sh, tests.list, deps.list, deps/*.ko, bin/*}, /etc/passwd with
# root and fauser (uid 1000).

set -euo pipefail

die() {
	echo "mkinitramfs: $*" >&2
	exit 1
}

(($# >= 4 && $# <= 5)) || die "usage: $0 OUT.cpio.gz KVER KO_PATH BIN_DIR [EXTRA_DIR]"
out=$1 kver=$2 ko=$3 bindir=$4 extra=${5:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
busybox=${FA_BUSYBOX:-/bin/busybox}

[[ -f $ko ]] || die "module $ko not found"
[[ -d $bindir ]] || die "BIN_DIR $bindir is not a directory"
[[ -z $extra || -d $extra ]] || die "EXTRA_DIR $extra is not a directory"
[[ -x $busybox ]] || die "$busybox missing (apt-get install busybox-static)"
if readelf -l "$busybox" 2>/dev/null | grep 'Requesting program interpreter' >/dev/null; then
	die "$busybox is dynamically linked; install busybox-static"
fi

vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1) || true
[[ $vermagic == "$kver" ]] ||
	die "$ko has vermagic '$vermagic', expected '$kver' (built against the wrong headers?)"

root=$(mktemp -d "${TMPDIR:-/tmp}/fa-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,sys,tmp,root,run,home/fauser} \
	"$root"/fragalloc/{bin,deps} "$root"/sys/kernel/debug
chmod 1777 "$root/tmp"

# busybox and its applet links, precreated (no --install at boot needed)
install -m 0755 "$busybox" "$root/bin/busybox"
while read -r applet; do
	[[ -n $applet && $applet != bin/busybox ]] || continue
	[[ -e $root/$applet || -L $root/$applet ]] && continue
	mkdir -p "$root/$(dirname "$applet")"
	ln -s /bin/busybox "$root/$applet"
done < <("$busybox" --list-full)
[[ -L $root/bin/sh ]] || ln -s busybox "$root/bin/sh"

# minimal /etc
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
fauser:x:1000:1000:fragalloc test user:/home/fauser:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
fauser:x:1000:
nogroup:x:65534:
EOF
echo fa-vm >"$root/etc/hostname"
chown 1000:1000 "$root/home/fauser" 2>/dev/null || true

install -m 0755 "$here/init" "$root/init"
install -m 0755 "$here/guest-run.sh" "$root/fragalloc/guest-run.sh"
install -m 0644 "$ko" "$root/fragalloc/fragalloc.ko"

# module dependencies (normally none): copied uncompressed, in load order
declare -A seen=()
deps_order=()
add_deps() {
	local m dep path
	m=$1
	for dep in $(modinfo -F depends "$m" 2>/dev/null | tr ',' ' '); do
		[[ -n ${seen[$dep]:-} ]] && continue
		seen[$dep]=1
		path=$(modinfo -k "$kver" -n "$dep" 2>/dev/null) ||
			die "dependency '$dep' of $m not found in /lib/modules/$kver"
		[[ $path == /* ]] || die "dependency '$dep' is built into $kver? ($path)"
		add_deps "$path"
		deps_order+=("$dep:$path")
	done
}
add_deps "$ko"
: >"$root/fragalloc/deps.list"
for d in "${deps_order[@]}"; do
	name=${d%%:*} path=${d#*:}
	case $path in
	*.ko.xz) xz -dc "$path" >"$root/fragalloc/deps/$name.ko" ;;
	*.ko.zst) zstd -dcq "$path" >"$root/fragalloc/deps/$name.ko" ;;
	*.ko.gz) gzip -dc "$path" >"$root/fragalloc/deps/$name.ko" ;;
	*) cp "$path" "$root/fragalloc/deps/$name.ko" ;;
	esac
	echo "$name" >>"$root/fragalloc/deps.list"
done

# test programs and tools
shopt -s nullglob
for f in "$bindir"/*; do
	[[ -f $f && -x $f ]] || continue
	if head -c4 "$f" | grep -q $'^\x7fELF' &&
		readelf -l "$f" 2>/dev/null | grep 'Requesting program interpreter' >/dev/null; then
		die "$f is dynamically linked; build it with -static"
	fi
	install -m 0755 "$f" "$root/fragalloc/bin/"
done
if [[ -f $bindir/tests.list ]]; then
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^[[:space:]]*$/d' \
		"$bindir/tests.list" >"$root/fragalloc/tests.list"
	while read -r t; do
		[[ -x $root/fragalloc/bin/$t ]] || die "tests.list names '$t' but $bindir/$t is not an executable"
	done <"$root/fragalloc/tests.list"
else
	: >"$root/fragalloc/tests.list"
fi

if [[ -n $extra ]]; then
	cp -a "$extra"/. "$root"/
fi

echo "$kver" >"$root/fragalloc/kver"

mkdir -p "$(dirname "$out")"
tmpout="$out.tmp.$$"
(cd "$root" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -6 -n >"$tmpout"
mv -f "$tmpout" "$out"
