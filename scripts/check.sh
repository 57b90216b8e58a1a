#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - everything `make check` runs, tallied into one closing line
# "N passed, N failed".
#
#   1. dependencies (scripts/deps.sh; quick when all is present)
#   2. module build for every target kernel with W=1 and sparse (C=2),
#      no warnings allowed; library, CLI and selftest builds
#   3. host tests: portable core (unit, property, fuzz), library, CLI
#   4. style and packaging: checkpatch.pl --strict over driver/ and uapi/;
#      DKMS builds the module for every target kernel; the uapi header
#      compiled standalone as C and C++
#   5. the VM lane: each target kernel boots in QEMU (TCG), loads the module,
#      runs the selftests, unloads it; any splat in the guest log fails
#
# Env: FA_KVERS="K1 K2" restricts the kernels; FA_SKIP_VM=1 skips stage 5.
# Logs: build/check/*.log

set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 2
logs=$repo/build/check
mkdir -p "$logs"

passed=0
failed=0
failures=()

ok() {
	passed=$((passed + 1))
	echo "ok - $1"
}

notok() {
	failed=$((failed + 1))
	failures+=("$1")
	echo "not ok - $1${2:+ ($2)}"
}

# step NAME LOG CMD...: one test that passes when CMD exits 0
step() {
	local name=$1 log=$2
	shift 2
	if "$@" >"$log" 2>&1; then
		ok "$name"
	else
		notok "$name" "log: ${log#"$repo"/}"
		tail -n 25 "$log" | sed 's/^/    /'
	fi
}

# suite NAME LOG CMD...: a test program that ends with "X: N passed, N failed"
suite() {
	local name=$1 log=$2 rc line p f
	shift 2
	"$@" >"$log" 2>&1
	rc=$?
	line=$(grep -E '^[^ ]*:? ?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
	else
		p=0 f=0
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	grep -E '^(not ok|SPLAT|\[[0-9.]+\] not ok)' "$log" | sed 's/^/    /'
	if ((rc != 0 && f == 0)); then
		notok "$name" "exit $rc without a failed count; log: ${log#"$repo"/}"
		tail -n 25 "$log" | sed 's/^/    /'
	elif ((f)); then
		failures+=("$name: $f failed")
	fi
	echo "# $name: $p passed, $f failed"
}

echo "# fragalloc check: $(date -u +%FT%TZ)"

# 1. dependencies
if ! scripts/deps.sh >"$logs/deps.log" 2>&1; then
	cat "$logs/deps.log"
	echo "check: dependencies could not be installed"
	echo "0 passed, 1 failed"
	exit 1
fi
kvers=${FA_KVERS:-$(scripts/kvers.sh)}
echo "# kernels:" $kvers

# 2. builds
for k in $kvers; do
	step "module build, W=1 + sparse C=2, no warnings [$k]" \
		"$logs/module-$k.log" env FA_SPARSE=1 scripts/build-module.sh "$k"
done
step "library and CLI build (-Wall -Wextra -Werror)" "$logs/userspace.log" \
	make -s lib tools
step "selftests build (static)" "$logs/selftests-build.log" make -s selftests
step "fuzzer build (static)" "$logs/fuzz-build.log" \
	make -s -C tests/fuzz O="$repo/build/fuzz"

# 3. host tests
suite "core unit tests" "$logs/unit.log" make -s --no-print-directory -C tests/unit check
suite "library tests" "$logs/lib.log" make -s --no-print-directory -C tests/lib check
suite "CLI tests (host)" "$logs/cli.log" make -s --no-print-directory -C tests/cli check

# 4. style
checkpatch=.cache/ksrc/scripts/checkpatch.pl
while IFS= read -r f; do
	step "checkpatch --strict $f" "$logs/checkpatch.log" \
		"$checkpatch" --strict --no-tree --quiet --show-types -f "$f"
done < <(git ls-files -co --exclude-standard -- 'driver/*.[ch]' 'uapi/*.h' | sort)
suite "DKMS build" "$logs/dkms.log" scripts/dkms-check.sh $kvers
step "uapi header compiles standalone (C)" "$logs/uapi-c.log" \
	sh -c 'echo "#include <linux/fragalloc.h>" | gcc -Wall -Wextra -Werror -pedantic -std=c99 -Iuapi -x c -c -o /dev/null -'
step "uapi header compiles standalone (C++)" "$logs/uapi-cxx.log" \
	sh -c 'echo "#include <linux/fragalloc.h>" | g++ -Wall -Wextra -Werror -x c++ -c -o /dev/null -Iuapi -'

# 5. the VM lane
if [[ ${FA_SKIP_VM:-0} != 1 ]]; then
	for k in $kvers; do
		ko=build/kmod/$k/driver/fragalloc.ko
		if [[ ! -f $ko ]]; then
			notok "VM selftests [$k]" "no module built"
			continue
		fi
		scripts/stage-vm.sh check "build/vm/bin-check" "$k" >"$logs/stage-$k.log" 2>&1 &&
			tests/vm/mkinitramfs.sh "build/vm/initramfs-$k.cpio.gz" "$k" "$ko" \
				build/vm/bin-check >>"$logs/stage-$k.log" 2>&1
		if (($?)); then
			notok "VM initramfs [$k]" "log: build/check/stage-$k.log"
			continue
		fi
		suite "VM selftests [$k]" "$logs/vm-$k.log" \
			tests/vm/run.sh --kernel "$k" --mode check --timeout 900
	done
fi

if ((${#failures[@]})); then
	echo "# failures:"
	printf '#   %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
((failed == 0))
