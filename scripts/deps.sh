#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh - install everything fragalloc needs on a Debian 12 (bookworm) host
# and extract the few kernel-tree files we use into .cache/ksrc/.
#
# Usage: see usage() below (scripts/deps.sh --help).

set -euo pipefail

usage() {
	cat <<'EOF'
Usage: scripts/deps.sh [--force]

  --force          re-check everything (ignore the stamp), run apt-get if
                   anything is missing, re-extract .cache/ksrc.
  FA_DEPS_UPGRADE=1
                   also install the newest 6.12 image/headers pair even if
                   an older 6.12 pair is already installed.
  FA_DEPS_DRYRUN=1 print what would be installed, change nothing.

Fast path (< 1 s, no root needed): the stamp in .cache/ matches this script
and dpkg-query reports every package installed and .cache/ksrc matches the
installed linux-source-6.12 version.
EOF
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="$repo/.cache"
ksrc="$cache/ksrc"
stamp="$cache/deps.stamp"
srctar=/usr/src/linux-source-6.12.tar.xz

force=0
case "${1:-}" in
--force) force=1 ;;
"") ;;
-h | --help)
	usage
	exit 0
	;;
*)
	echo "deps.sh: unknown argument '$1'" >&2
	exit 2
	;;
esac

# Packages with a fixed name. The 6.12 image/headers pair is handled apart.
PKGS=(
	linux-image-amd64 linux-headers-amd64
	qemu-system-x86 busybox-static cpio kmod sparse linux-source-6.12
	xz-utils make gcc clang libclang-rt-14-dev python3 pkg-config
	gnuplot-nox dkms shellcheck
	# the library's generic netlink monitor: headers and the static
	# libnl-3.a / libnl-genl-3.a the static CLI links
	libnl-genl-3-dev
)

# kselftest headers (kselftest_harness.h includes only kselftest.h and libc /
# linux-libc-dev headers) and checkpatch.pl with the data files it opens
# (checkpatch.rst is read only with --verbose; spdxcheck.py/get_maintainer.pl
# only inside a full tree, so they are not needed with --no-tree).
# The kernel's compaction_test (tools/testing/selftests/mm) is the
# benchmark's judge of each strategy's guest (make bench).
KSRC_FILES=(
	tools/testing/selftests/kselftest.h
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/mm/compaction_test.c
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
	Documentation/dev-tools/checkpatch.rst
)

log() { echo "deps: $*" >&2; }

self_sum() { cksum <"${BASH_SOURCE[0]}" | cut -d' ' -f1; }

# Prints the names of the packages from "$@" that are not fully installed.
missing_pkgs() {
	local st
	st=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null || true)
	local p
	for p in "$@"; do
		grep -qE "^${p//+/\\+}(:[a-z0-9]+)? ii" <<<"$st" || echo "$p"
	done
}

# Prints "ABI" (e.g. 6.12.117+deb12) of every installed 6.12 generic pair
# (linux-image-ABI-amd64-unsigned or linux-image-ABI-amd64 + linux-headers-ABI-amd64).
installed_612_abis() {
	local st
	st=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' \
		'linux-image-6.12.*' 'linux-headers-6.12.*' 2>/dev/null || true)
	local abi
	# shellcheck disable=SC2013 # one word per line
	for abi in $(sed -nE 's/^ii +linux-image-(6\.12\.[^-]+)-amd64(-unsigned)?$/\1/p' <<<"$st" | sort -Vru); do
		if grep -qxE "ii +linux-headers-${abi//+/\\+}-amd64" <<<"$st"; then
			echo "$abi"
		fi
	done
}

# (not "apt-cache … | grep -q": grep -q stops reading at the first match,
# apt-cache then dies of SIGPIPE and pipefail makes the test fail)
has_candidate() {
	local out
	out=$(apt-cache policy "$1" 2>/dev/null) || return 1
	grep -qE '^ +Candidate: +[^(]' <<<"$out"
}

# Newest ABI for which both linux-image-ABI-amd64-unsigned and
# linux-headers-ABI-amd64 are installable (generic flavour only).
select_612_abi() {
	local abi
	for abi in $(apt-cache pkgnames linux-image-6.12. 2>/dev/null |
		sed -nE 's/^linux-image-(6\.12\.[^-]+)-amd64-unsigned$/\1/p' | sort -Vru); do
		if has_candidate "linux-image-$abi-amd64-unsigned" &&
			has_candidate "linux-headers-$abi-amd64"; then
			echo "$abi"
			return 0
		fi
	done
	return 1
}

ksrc_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true
}

ksrc_ok() {
	local v f
	v=$(ksrc_version)
	[[ -n $v && -f $ksrc/.version && "$(cat "$ksrc/.version")" == "$v" ]] || return 1
	for f in "${KSRC_FILES[@]}"; do
		[[ -f $ksrc/$f ]] || return 1
	done
}

extract_ksrc() {
	local v tmp top f
	v=$(ksrc_version)
	[[ -n $v && -f $srctar ]] || {
		log "linux-source-6.12 not installed ($srctar missing)"
		return 1
	}
	log "extracting kselftest headers + checkpatch from $srctar ($v)"
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/ksrc.tmp.XXXXXX")
	top=$(tar -tJf "$srctar" 2>/dev/null | head -n1 | cut -d/ -f1) || true
	[[ -n $top ]] || top=linux-source-6.12
	local members=()
	for f in "${KSRC_FILES[@]}"; do members+=("$top/$f"); done
	tar -xJf "$srctar" -C "$tmp" --strip-components=1 "${members[@]}"
	for f in "${KSRC_FILES[@]}"; do
		[[ -f $tmp/$f ]] || {
			log "missing $f in $srctar"
			rm -rf "$tmp"
			return 1
		}
	done
	echo "$v" >"$tmp/.version"
	rm -rf "$ksrc"
	mv "$tmp" "$ksrc"
}

# ---- fast path --------------------------------------------------------------
if [[ $force == 0 && -f $stamp && "$(cat "$stamp")" == "$(self_sum)" ]] &&
	[[ -z "$(missing_pkgs "${PKGS[@]}")" ]] &&
	[[ -n "$(installed_612_abis)" ]] && ksrc_ok; then
	exit 0
fi

# ---- slow path --------------------------------------------------------------
mapfile -t need < <(missing_pkgs "${PKGS[@]}")
want612=""
if [[ -z "$(installed_612_abis)" || ${FA_DEPS_UPGRADE:-0} == 1 ]]; then
	want612=select
fi

if ((${#need[@]})) || [[ -n $want612 ]]; then
	if [[ ${FA_DEPS_DRYRUN:-0} != 1 && $(id -u) != 0 ]]; then
		log "missing packages (${need[*]} ${want612:+6.12-kernel}); run as root: sudo $0"
		exit 1
	fi
	log "apt-get update"
	if [[ ${FA_DEPS_DRYRUN:-0} != 1 ]]; then
		apt-get update -qq
	fi
	if [[ -n $want612 ]]; then
		abi=$(select_612_abi) || {
			log "no installable linux-image-6.12.*-amd64-unsigned + headers pair found (is bookworm-security enabled?)"
			exit 1
		}
		log "selected 6.12 kernel $abi-amd64"
		for p in "linux-image-$abi-amd64-unsigned" "linux-headers-$abi-amd64"; do
			[[ -n "$(missing_pkgs "$p")" ]] && need+=("$p")
		done
	fi
	if ((${#need[@]})); then
		log "installing: ${need[*]}"
		if [[ ${FA_DEPS_DRYRUN:-0} == 1 ]]; then
			exit 0
		fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "${need[@]}"
	fi
fi
[[ ${FA_DEPS_DRYRUN:-0} == 1 ]] && exit 0

left=$(missing_pkgs "${PKGS[@]}")
[[ -z $left ]] || {
	log "still missing after install: $left"
	exit 1
}
[[ -n "$(installed_612_abis)" ]] || {
	log "no 6.12 image+headers pair installed"
	exit 1
}

ksrc_ok || extract_ksrc

mkdir -p "$cache"
self_sum >"$stamp"
log "ok ($("$repo/scripts/kvers.sh" | tr '\n' ' '))"
