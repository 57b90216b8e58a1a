#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stage-vm.sh - collect what goes into /fragalloc/bin of the VM initramfs.
#
# Usage: scripts/stage-vm.sh check|demo DIR [KVER]
#
#   check: the static selftests (build/selftests) in their run order, the
#          in-kernel API test (tests/kapi, module built for KVER), then the
#          in-guest CLI test when the CLI is built
#   demo:  the demo script
#   both:  the static CLI as "fragalloc" and its JSON checker, if built

set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=$1
dir=$2
kver=${3:-}

rm -rf "$dir"
mkdir -p "$dir"
: >"$dir/tests.list"

cli=$repo/build/tools/fragalloc-static
[[ -x $cli ]] && cp "$cli" "$dir/fragalloc"
[[ -x $repo/build/tools/jsoncheck ]] && cp "$repo/build/tools/jsoncheck" "$dir/"

case $mode in
check)
	while IFS= read -r t; do
		[[ -n $t ]] || continue
		cp "$repo/build/selftests/$t" "$dir/"
		echo "$t" >>"$dir/tests.list"
	done <"$repo/build/selftests/tests.list"
	kapi=$repo/build/kmod/$kver/kapi/fragalloc_kapi_test.ko
	if [[ -n $kver && -f $kapi ]]; then
		install -m 0755 "$kapi" "$repo/tests/kapi/kapi_test.sh" "$dir/"
		echo kapi_test.sh >>"$dir/tests.list"
	fi
	if [[ -x $dir/fragalloc && -f $repo/tests/cli/guest_cli_test.sh ]]; then
		install -m 0755 "$repo/tests/cli/guest_cli_test.sh" "$dir/"
		echo guest_cli_test.sh >>"$dir/tests.list"
	fi
	;;
demo)
	install -m 0755 "$repo/tests/vm/demo.sh" "$dir/demo.sh"
	;;
*)
	echo "stage-vm.sh: unknown mode '$mode'" >&2
	exit 2
	;;
esac
