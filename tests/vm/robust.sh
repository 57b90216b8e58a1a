#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# robust.sh - the robustness lane's VM runs (called from mk/debug.mk).
#
# Usage: see usage() below. Each lane prints the VM's results and ends with
# one line "N passed, N failed, N skipped"; a skipped count other than
# tests/gates/expected-skips gives for the lane is one more failure.
# check-debug judges with FA_FAULT_INJECTION=1 (analyze.sh --fault-injection):
# faultinject_test's injected allocation failures are expected there; in
# fuzz-vm and soak an allocation failure report is a splat.

set -uo pipefail

usage() {
	cat <<'EOF'
Usage: tests/vm/robust.sh check-debug
       tests/vm/robust.sh fuzz-vm [SECONDS] [SEED]     (env FA_FUZZ_KVER)
       tests/vm/robust.sh soak [MINUTES]

  check-debug  every selftest, the kapi test and the fuzzer (25 s) on the
               debug kernel (scripts/debug-kernel.sh), with
               page_table_check=on and kmemleak scanned after each program
  fuzz-vm      a long fuzzer run on a stock kernel (default 6.12)
  soak         fuzzer + recompaction + selftest rounds on the debug kernel
EOF
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo" || exit 2
# shellcheck source=tests/gates/lib.sh
. "$repo/tests/gates/lib.sh"
unset FA_FAULT_INJECTION	# only check-debug injects faults (below)
# Like make check and make demo: install what is missing first.
if ! scripts/deps.sh; then
	echo "robust: dependencies could not be installed"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
mode=${1:-}
shift || true
logs=$repo/build/check
mkdir -p "$logs" build/vm

summary() { # LANE KVER LOG: the vm[...] line as "N passed, N failed, N skipped"
	local lane=$1 kver=$2 p=0 f=1 s=0 want
	read -r p f s < <(fa_summary "$3" || echo "0 1 0")
	if ! want=$(fa_expected_skips "$lane" "$kver"); then
		echo "not ok - $lane: $s skipped; tests/gates/expected-skips has no entry for $lane $kver"
		f=$((f + 1))
	elif ((s != want)); then
		echo "not ok - $lane: $s skipped, expected $want (tests/gates/expected-skips)"
		f=$((f + 1))
	fi
	echo "$p passed, $f failed, $s skipped"
	((f == 0))
}

userspace() {
	# tools: the in-guest CLI test is staged only when the static CLI is built
	if ! { make -s selftests tools >"$logs/robust-build.log" 2>&1 &&
		make -s -C tests/fuzz O="$repo/build/fuzz" >>"$logs/robust-build.log" 2>&1; }; then
		cat "$logs/robust-build.log"
		echo "0 passed, 1 failed, 0 skipped"
		exit 1
	fi
}

KVER="" KDIR="" BZIMAGE=""	# set by debug_kernel (scripts/debug-kernel.sh --env)
debug_kernel() {
	local envs
	envs=$(scripts/debug-kernel.sh --env) || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
	eval "$envs"
	scripts/build-module.sh "$KVER" "$KDIR" >"$logs/robust-module.log" 2>&1 ||
		{ tail -n 30 "$logs/robust-module.log"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
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
	stage build/vm/bin-debug "$KVER" check || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
	FA_FAULT_INJECTION=1 tests/vm/run.sh --kernel "$KVER" --bzimage "$BZIMAGE" \
		--initrd "build/vm/initramfs-$KVER-check.cpio.gz" \
		--append "page_table_check=on" --timeout 2400 \
		--log "build/vm/$KVER-check-debug.log" 2>&1 | tee "$logs/check-debug.log"
	summary check-debug "$KVER" "$logs/check-debug.log"
	;;
fuzz-vm)
	secs=${1:-300} seed=${2:-1}
	kver=${FA_FUZZ_KVER:-6.12.117+deb12-amd64}
	userspace
	scripts/build-module.sh "$kver" >"$logs/robust-module.log" 2>&1 ||
		{ tail -n 30 "$logs/robust-module.log"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
	stage build/vm/bin-fuzz "$kver" fuzz || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
	tests/vm/run.sh --kernel "$kver" --initrd "build/vm/initramfs-$kver-fuzz.cpio.gz" \
		--args "-t $secs -s $seed" --timeout $((secs + 300)) \
		--log "build/vm/$kver-fuzz.log" 2>&1 | tee "$logs/fuzz-vm.log"
	summary fuzz-vm "$kver" "$logs/fuzz-vm.log"
	;;
soak)
	minutes=${1:-10}
	userspace
	debug_kernel
	stage build/vm/bin-soak "$KVER" soak || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
	tests/vm/run.sh --kernel "$KVER" --bzimage "$BZIMAGE" \
		--initrd "build/vm/initramfs-$KVER-soak.cpio.gz" \
		--append "page_table_check=on" --args "-m $minutes" \
		--timeout $((minutes * 60 * 2 + 600)) \
		--log "build/vm/$KVER-soak.log" 2>&1 | tee "$logs/soak.log"
	summary soak "$KVER" "$logs/soak.log"
	;;
*)
	usage >&2
	exit 2
	;;
esac
