#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# robust.sh - the robustness lane's VM runs (called from mk/debug.mk).
#
# Usage: tests/vm/robust.sh check-debug
#        tests/vm/robust.sh fuzz-vm [SECONDS] [SEED]     (env FA_FUZZ_KVER)
#        tests/vm/robust.sh soak [MINUTES]
#
#   check-debug  every selftest, the kapi test and the fuzzer (25 s) on the
#                debug kernel (scripts/debug-kernel.sh), with
#                page_table_check=on and kmemleak scanned after each program
#   fuzz-vm      a long fuzzer run on a stock kernel (default 6.12)
#   soak         fuzzer + recompaction + selftest rounds on the debug kernel
# Each prints the VM's results and ends with one line "N passed, N failed".

set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo" || exit 2
# Like make check and make demo: install what is missing first.
if ! scripts/deps.sh; then
	echo "robust: dependencies could not be installed"
	echo "0 passed, 1 failed"
	exit 1
fi
mode=${1:-}
shift || true
logs=$repo/build/check
mkdir -p "$logs" build/vm

summary() { # LOG: turn the vm[...] line into "N passed, N failed"
	local line p=0 f=1
	line=$(grep -E '^vm\[.*\]: [0-9]+ passed, [0-9]+ failed' "$1" | tail -n1)
	if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
	fi
	echo "$p passed, $f failed"
	((f == 0))
}

userspace() {
	make -s selftests >"$logs/robust-build.log" 2>&1 &&
		make -s -C tests/fuzz O="$repo/build/fuzz" >>"$logs/robust-build.log" 2>&1 ||
		{ cat "$logs/robust-build.log"; echo "0 passed, 1 failed"; exit 1; }
}

debug_kernel() {
	local envs
	envs=$(scripts/debug-kernel.sh --env) || { echo "0 passed, 1 failed"; exit 1; }
	eval "$envs"
	scripts/build-module.sh "$KVER" "$KDIR" >"$logs/robust-module.log" 2>&1 ||
		{ tail -n 30 "$logs/robust-module.log"; echo "0 passed, 1 failed"; exit 1; }
}

# stage BINDIR KVER MODE: the programs for one run
stage() {
	local dir=$1 kver=$2 what=$3
	case $what in
	check)
		scripts/stage-vm.sh check "$dir" "$kver" >/dev/null || return 1
		install -m 0755 build/fuzz/fa_fuzz tests/fuzz/fuzz_check.sh "$dir/"
		grep -qx fuzz_check.sh "$dir/tests.list" || echo fuzz_check.sh >>"$dir/tests.list"
		;;
	fuzz)
		rm -rf "$dir" && mkdir -p "$dir"
		install -m 0755 build/fuzz/fa_fuzz tests/fuzz/fuzz_check.sh "$dir/"
		echo fuzz_check.sh >"$dir/tests.list"
		;;
	soak)
		rm -rf "$dir" && mkdir -p "$dir"
		install -m 0755 build/fuzz/fa_fuzz tests/vm/soak.sh build/selftests/recompact_test \
			build/selftests/fragalloc_test "$dir/"
		echo soak.sh >"$dir/tests.list"
		;;
	esac
	tests/vm/mkinitramfs.sh "build/vm/initramfs-$kver-$what.cpio.gz" "$kver" \
		"build/kmod/$kver/driver/fragalloc.ko" "$dir"
}

case $mode in
check-debug)
	userspace
	debug_kernel
	stage build/vm/bin-debug "$KVER" check || { echo "0 passed, 1 failed"; exit 1; }
	tests/vm/run.sh --kernel "$KVER" --bzimage "$BZIMAGE" \
		--initrd "build/vm/initramfs-$KVER-check.cpio.gz" \
		--append "page_table_check=on" --timeout 2400 \
		--log "build/vm/$KVER-check-debug.log" 2>&1 | tee "$logs/check-debug.log"
	summary "$logs/check-debug.log"
	;;
fuzz-vm)
	secs=${1:-300} seed=${2:-1}
	kver=${FA_FUZZ_KVER:-6.12.117+deb12-amd64}
	userspace
	scripts/build-module.sh "$kver" >"$logs/robust-module.log" 2>&1 ||
		{ tail -n 30 "$logs/robust-module.log"; echo "0 passed, 1 failed"; exit 1; }
	stage build/vm/bin-fuzz "$kver" fuzz || { echo "0 passed, 1 failed"; exit 1; }
	tests/vm/run.sh --kernel "$kver" --initrd "build/vm/initramfs-$kver-fuzz.cpio.gz" \
		--args "-t $secs -s $seed" --timeout $((secs + 300)) \
		--log "build/vm/$kver-fuzz.log" 2>&1 | tee "$logs/fuzz-vm.log"
	summary "$logs/fuzz-vm.log"
	;;
soak)
	minutes=${1:-10}
	userspace
	debug_kernel
	stage build/vm/bin-soak "$KVER" soak || { echo "0 passed, 1 failed"; exit 1; }
	tests/vm/run.sh --kernel "$KVER" --bzimage "$BZIMAGE" \
		--initrd "build/vm/initramfs-$KVER-soak.cpio.gz" \
		--append "page_table_check=on" --args "-m $minutes" \
		--timeout $((minutes * 60 * 2 + 600)) \
		--log "build/vm/$KVER-soak.log" 2>&1 | tee "$logs/soak.log"
	summary "$logs/soak.log"
	;;
*)
	sed -n '4,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
