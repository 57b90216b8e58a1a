#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stage-vm.sh - collect what goes into /fragalloc/bin of the VM initramfs.
#
# Usage: scripts/stage-vm.sh check|demo DIR [KVER]
#
#   check: the static selftests (build/selftests) in their run order, the
#          unload test, the in-kernel API test (tests/kapi, module built for
#          KVER), the bounded ioctl fuzzer (build/fuzz) with the module's
#          defaults and again with its race windows open, then the in-guest
#          CLI test when the CLI is built
#   demo:  the demo script and its static helper demo_halves
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
[[ -x $repo/build/cli/jsoncheck ]] && cp "$repo/build/cli/jsoncheck" "$dir/"

case $mode in
check)
	while IFS= read -r t; do
		[[ -n $t ]] || continue
		cp "$repo/build/selftests/$t" "$dir/"
		echo "$t" >>"$dir/tests.list"
	done <"$repo/build/selftests/tests.list"
	# the TAP helper of the shell tests (mode 0755: tests/vm/mkinitramfs.sh
	# copies only executables)
	install -m 0755 "$repo/tests/tap.sh" "$repo/tests/vm/unload_test.sh" "$dir/"
	echo unload_test.sh >>"$dir/tests.list"
	kapi=$repo/build/kmod/$kver/kapi/fragalloc_kapi_test.ko
	if [[ -n $kver && -f $kapi ]]; then
		install -m 0755 "$kapi" "$repo/tests/kapi/kapi_test.sh" \
			"$repo/tests/kapi/pinned_test.sh" "$dir/"
		echo kapi_test.sh >>"$dir/tests.list"
		# memory pressure with pinned pages (reclaim_test, staged above)
		echo pinned_test.sh >>"$dir/tests.list"
	fi
	if [[ -x $repo/build/fuzz/fa_fuzz ]]; then
		install -m 0755 "$repo/build/fuzz/fa_fuzz" \
			"$repo/tests/fuzz/fuzz_check.sh" \
			"$repo/tests/fuzz/fuzz_race.sh" "$dir/"
		echo fuzz_check.sh >>"$dir/tests.list"
		# the same fuzzer with the module's widest race windows open
		echo fuzz_race.sh >>"$dir/tests.list"
	fi
	if [[ -x $dir/fragalloc && -x $dir/jsoncheck ]]; then
		install -m 0755 "$repo/tests/cli/guest_cli_test.sh" "$dir/"
		cat >"$dir/cli_test.sh" <<'EOS'
#!/bin/sh
# The CLI's in-guest test, with the staged CLI, JSON checker and TAP helper.
d=$(dirname "$0")
FRAGALLOC=$d/fragalloc JSONCHECK=$d/jsoncheck TAP_SH=$d/tap.sh \
	exec sh "$d/guest_cli_test.sh"
EOS
		chmod 0755 "$dir/cli_test.sh"
		echo cli_test.sh >>"$dir/tests.list"
	fi
	;;
demo)
	install -m 0755 "$repo/tests/vm/demo.sh" "$dir/demo.sh"
	gcc -static -O2 -Wall -Wextra -Werror -I"$repo/uapi" \
		-o "$dir/demo_halves" "$repo/tests/vm/demo_halves.c"
	;;
*)
	echo "stage-vm.sh: unknown mode '$mode'" >&2
	exit 2
	;;
esac
