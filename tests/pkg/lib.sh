# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lib.sh - shared by the packaging tests (tests/pkg/*.sh): TAP-ish results
# (tests/gates/lib.sh), the packages they install, and a copy of the tree to
# build from. Source it.

pkg_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# results: fa_ok, fa_notok NAME [DETAIL [LOG]] and fa_step NAME LOG CMD...
# shellcheck source=tests/gates/lib.sh
. "$pkg_repo/tests/gates/lib.sh"

# pkg_summary LABEL: the closing line; exit status 1 if anything failed
pkg_summary() {
	echo "$1: $fa_passed passed, $fa_failed failed"
	((fa_failed == 0))
}

# What building, checking and unpacking the packages needs, as bookworm
# names it (dh-dkms is its own package there). scripts/deps.sh installs the
# rest of the project's needs.
PKG_DEPS=(debhelper dh-dkms dkms lintian dpkg-dev fakeroot pkg-config
	gcc libc6-dev make python3 libnl-genl-3-dev)

# pkg_deps: install PKG_DEPS that are missing (apt-get update first)
pkg_deps() {
	local missing=() p st
	for p in "${PKG_DEPS[@]}"; do
		st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
		[[ $st == ii* ]] || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	if [[ $(id -u) != 0 ]]; then
		echo "pkg: missing ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
		return 1
	fi
	echo "pkg: installing ${missing[*]}" >&2
	apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "${missing[@]}"
}

# pkg_export DIR: copy the tree as git sees it (tracked and untracked files,
# not ignored ones, so no build/ or .cache/; uncommitted edits included)
# into DIR. Outside a git checkout: everything but build/, .cache/, .git/.
pkg_export() {
	local dst=$1
	mkdir -p "$dst"
	if git -C "$pkg_repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		(cd "$pkg_repo" && git ls-files -z -co --exclude-standard |
			while IFS= read -r -d '' f; do
				[[ -e $f || -L $f ]] && printf '%s\0' "$f"
			done | tar --null -T - -cf -) | tar -C "$dst" -xf -
	else
		tar -C "$pkg_repo" --exclude=./build --exclude=./.cache --exclude=./.git \
			-cf - . | tar -C "$dst" -xf -
	fi
}
