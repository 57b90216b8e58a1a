# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# lib.sh - shared by the packaging tests (tests/pkg/*.sh): TAP-ish results,
# the packages they install, and a copy of the tree to build from. Source it.

pkg_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pkg_passed=0
pkg_failed=0

pkg_ok() {
	pkg_passed=$((pkg_passed + 1))
	echo "ok - $1"
}

# pkg_notok NAME [LOG]: a failure; the last lines of LOG are shown
pkg_notok() {
	pkg_failed=$((pkg_failed + 1))
	echo "not ok - $1${2:+ (log: $2)}"
	if [[ -n ${2:-} && -f $2 ]]; then
		tail -n 20 "$2" | sed 's/^/    /'
	fi
}

# pkg_check NAME LOG CMD...: one test that passes when CMD exits 0
pkg_check() {
	local name=$1 log=$2
	shift 2
	if "$@" >"$log" 2>&1; then
		pkg_ok "$name"
	else
		pkg_notok "$name" "$log"
	fi
}

# pkg_summary LABEL: the closing line; exit status 1 if anything failed
pkg_summary() {
	echo "$1: $pkg_passed passed, $pkg_failed failed"
	((pkg_failed == 0))
}

# What building, checking and unpacking the packages needs, as bookworm
# names it (dh-dkms is its own package there). scripts/deps.sh installs the
# rest of the project's needs.
PKG_DEPS=(debhelper dh-dkms dkms lintian dpkg-dev fakeroot pkg-config
	gcc libc6-dev make python3)

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
