#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - everything `make check` runs, tallied into one closing line
# "N passed, N failed, N skipped".
#
#   1. dependencies (scripts/deps.sh; quick when all is present)
#   2. module build for every target kernel with W=1 and sparse (C=2),
#      no warnings allowed; library, CLI and selftest builds
#   3. host tests: portable core (unit, property, fuzz), library, CLI, and
#      the gates' own tests (tests/gates: build warnings gate, VM judge,
#      errno tables against the uapi DOC block, summary bookkeeping,
#      function-length gate)
#   4. style and packaging: shellcheck -x over every shell script (found by
#      name and by shebang); no function over 80 lines in driver/,
#      libfragalloc/ and tools/ (tests/gates/funclen.py); checkpatch.pl
#      --strict over driver/ and uapi/; DKMS builds the module for every
#      target kernel; the uapi header compiled standalone as C and C++
#   5. the VM lane: each target kernel boots in QEMU (TCG), loads the module,
#      runs the selftests, unloads it; any splat in the guest log fails, and
#      so does a SKIP count other than tests/gates/expected-skips says;
#      then the NUMA lane: a two-node guest (run.sh --numa 2) per kernel
#      and the debug kernel runs numa_test
#
# Every suite must print a summary line ("X: N passed, N failed[, N skipped]");
# one that does not is a failure. Both target kernel series (6.1 and 6.12,
# scripts/kvers.sh) are required.
#
# Env: FA_KVERS="K1 K2" names the kernels instead (and then only those are
# required); FA_SKIP_VM=1 skips stage 5.
# Logs: build/check/*.log

set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 2
logs=$repo/build/check
mkdir -p "$logs"

# shellcheck source=tests/gates/lib.sh
. "$repo/tests/gates/lib.sh"
# stock kernels inject no faults: an allocation failure in their VM logs is
# a splat (tests/vm/analyze.sh --fault-injection)
unset FA_FAULT_INJECTION

skipped=0
# results: fa_notok NAME [DETAIL [LOG]] and fa_step NAME LOG CMD... of
# tests/gates/lib.sh, counted in fa_passed and fa_failed
notok() { fa_notok "$@"; }
step() { fa_step "$@"; }

# suite [--skips LANE KVER] NAME LOG CMD...: a test program that ends with
# "X: N passed, N failed[, N skipped]". No such line is a failure; with
# --skips, so is a skipped count other than tests/gates/expected-skips says.
suite() {
	local lane="" skver="" name log rc p f s want
	if [[ $1 == --skips ]]; then
		lane=$2 skver=$3
		shift 3
	fi
	name=$1 log=$2
	shift 2
	"$@" >"$log" 2>&1
	rc=$?
	read -r p f s < <(fa_summary "$log" || echo "- - -")
	grep -E '^(not ok|SPLAT|\[[0-9.]+\] not ok)' "$log" | sed 's/^/    /'
	if [[ $p == - ]]; then
		notok "$name" "no summary line (N passed, N failed), exit $rc" "$log"
		return
	fi
	fa_passed=$((fa_passed + p))
	fa_failed=$((fa_failed + f))
	skipped=$((skipped + s))
	if ((rc != 0 && f == 0)); then
		notok "$name" "exit $rc without a failed count" "$log"
	elif ((f)); then
		fa_failures+=("$name: $f failed")
	fi
	if [[ -n $lane ]]; then
		if ! want=$(fa_expected_skips "$lane" "$skver"); then
			notok "$name: skipped count" "$s skipped; tests/gates/expected-skips has no entry for $lane $skver"
		elif ((s != want)); then
			notok "$name: skipped count" "$s skipped, expected $want (tests/gates/expected-skips, lane $lane)"
			grep -E '# SKIP' "$log" | sed 's/^/    /'
		fi
	fi
	echo "# $name: $p passed, $f failed, $s skipped"
}

echo "# fragalloc check: $(date -u +%FT%TZ)"

# 1. dependencies
if ! scripts/deps.sh >"$logs/deps.log" 2>&1; then
	cat "$logs/deps.log"
	echo "check: dependencies could not be installed"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
# the target kernels: both series, unless FA_KVERS names them
krc=0
if [[ -n ${FA_KVERS:-} ]]; then
	kvers=$FA_KVERS
else
	kvers=$(scripts/kvers.sh)
	krc=$?
fi
read -r -d '' -a kvl <<<"$kvers"
echo "# kernels${FA_KVERS:+ (FA_KVERS)}: ${kvl[*]}"
if [[ -z ${FA_KVERS:-} ]]; then
	((krc == 0)) || notok "target kernels found" "scripts/kvers.sh exit $krc"
	for s in $(fa_missing_series "${kvl[*]}" 6.1 6.12); do
		notok "target kernel series $s installed" \
			"scripts/kvers.sh found none (FA_KVERS=\"K...\" names kernels explicitly)"
	done
fi

# 2. builds
for k in "${kvl[@]}"; do
	step "module build, W=1 + sparse C=2, no warnings [$k]" \
		"$logs/module-$k.log" env FA_SPARSE=1 scripts/build-module.sh "$k"
done
# a kernel without movable_ops (6.17 on): the interface hidden, the policy refused
((${#kvl[@]})) && step "module build without movable_ops, no warnings [${kvl[-1]}]" \
	"$logs/module-nomovable.log" env FA_NO_MOVABLE=1 scripts/build-module.sh "${kvl[-1]}"
step "library and CLI build (-Wall -Wextra -Werror)" "$logs/userspace.log" \
	make -s lib tools
step "selftests build (static)" "$logs/selftests-build.log" make -s selftests
step "fuzzer build (static)" "$logs/fuzz-build.log" \
	make -s -C tests/fuzz O="$repo/build/fuzz"

# 3. host tests
suite "core unit tests" "$logs/unit.log" \
	make -s --no-print-directory -C tests/core check O="$repo/build/core"
suite "library tests" "$logs/lib.log" make -s --no-print-directory -C tests/lib check
suite "CLI tests (host)" "$logs/cli.log" make -s --no-print-directory -C tests/cli check
suite "gate: module build warnings" "$logs/gates-build.log" tests/gates/build_gate_test.sh
suite "gate: VM judge (analyze.sh)" "$logs/gates-analyze.log" tests/gates/analyze_test.sh
suite "gate: errno tables vs uapi DOC block" "$logs/gates-errno.log" tests/gates/errno_tables_test.py
suite "gate: summary bookkeeping" "$logs/gates-lib.log" tests/gates/lib_test.sh
suite "gate: soak runner (soak.sh)" "$logs/gates-soak.log" tests/gates/soak_test.sh
suite "gate: function length (funclen.py)" "$logs/gates-funclen.log" tests/gates/funclen_test.py
suite "benchmark summary (summarize.py)" "$logs/bench-summary.log" python3 tests/bench/test_summarize.py
suite "long-run summary (long.py)" "$logs/bench-long.log" python3 tests/bench/test_long.py

# 4. style
mapfile -t shscripts < <(fa_shell_scripts .)
step "shellcheck -x over the ${#shscripts[@]} shell scripts" "$logs/shellcheck.log" \
	shellcheck -x "${shscripts[@]}"
step "no function over 80 lines in driver/, libfragalloc/, tools/" "$logs/funclen.log" \
	tests/gates/funclen.py --max 80 driver libfragalloc tools
checkpatch=.cache/ksrc/scripts/checkpatch.pl
while IFS= read -r f; do
	step "checkpatch --strict $f" "$logs/checkpatch.log" \
		"$checkpatch" --strict --no-tree --quiet --show-types -f "$f"
done < <(git ls-files -co --exclude-standard -- 'driver/*.[ch]' 'uapi/*.h' | sort)
suite "DKMS build" "$logs/dkms.log" scripts/dkms-check.sh "${kvl[@]}"
suite "build reports (bad KDIR, no headers, no kselftest headers)" "$logs/build-reports.log" tests/pkg/build_test.sh
suite "Debian packages (make deb, lintian, dpkg -x, pkg-config, CLI, dkms build)" "$logs/pkg.log" env FA_KVERS="${kvl[*]}" tests/pkg/pkg_test.sh
# every uapi header, alone, as C and as C++
for h in uapi/linux/*.h; do
	h=${h#uapi/}
	step "uapi header $h compiles standalone (C)" "$logs/uapi-c.log" \
		sh -c "echo '#include <$h>' | gcc -Wall -Wextra -Werror -pedantic -std=c99 -Iuapi -x c -c -o /dev/null -"
	step "uapi header $h compiles standalone (C++)" "$logs/uapi-cxx.log" \
		sh -c "echo '#include <$h>' | g++ -Wall -Wextra -Werror -x c++ -c -o /dev/null -Iuapi -"
done

# 5. the VM lane
if [[ ${FA_SKIP_VM:-0} != 1 ]]; then
	for k in "${kvl[@]}"; do
		ko=build/kmod/$k/driver/fragalloc.ko
		if [[ ! -f $ko ]]; then
			notok "VM selftests [$k]" "no module built"
			continue
		fi
		if ! { scripts/stage-vm.sh check "build/vm/bin-check" "$k" >"$logs/stage-$k.log" 2>&1 &&
			tests/vm/mkinitramfs.sh "build/vm/initramfs-$k.cpio.gz" "$k" "$ko" \
				build/vm/bin-check >>"$logs/stage-$k.log" 2>&1; }; then
			notok "VM initramfs [$k]" "log: build/check/stage-$k.log"
			continue
		fi
		suite --skips check "$k" "VM selftests [$k]" "$logs/vm-$k.log" \
			tests/vm/run.sh --kernel "$k" --mode check --timeout 900
	done
	# the NUMA lane: a two-node guest per kernel, the debug kernel too,
	# running only the NUMA programs (about a minute each)
	numa=("${kvl[@]}")
	if dk=$(scripts/debug-kernel.sh --env 2>"$logs/debug-kernel.log"); then
		eval "$dk"
		numa+=("$KVER")
	else
		notok "debug kernel for the NUMA lane" "log: build/check/debug-kernel.log"
	fi
	for k in "${numa[@]}"; do
		dbg=()
		[[ ${KVER:-} == "$k" ]] && dbg=(--bzimage "$BZIMAGE" --append page_table_check=on)
		if ! { { ((${#dbg[@]} == 0)) || scripts/build-module.sh "$k" "$KDIR"; } &&
			scripts/stage-vm.sh check build/vm/bin-numa "$k" &&
			echo numa_test >build/vm/bin-numa/tests.list &&
			tests/vm/mkinitramfs.sh "build/vm/initramfs-numa-$k.cpio.gz" "$k" \
				"build/kmod/$k/driver/fragalloc.ko" build/vm/bin-numa; } \
			>"$logs/stage-numa-$k.log" 2>&1; then
			notok "VM NUMA initramfs [$k]" "log: build/check/stage-numa-$k.log"
			continue
		fi
		suite --skips check-numa "$k" "VM NUMA selftests, 2 nodes [$k]" "$logs/vm-numa-$k.log" \
			tests/vm/run.sh --kernel "$k" "${dbg[@]}" --numa 2 --mode check --timeout 600 \
			--initrd "build/vm/initramfs-numa-$k.cpio.gz" --log "build/vm/$k-numa.log"
	done
fi

if ((${#fa_failures[@]})); then
	echo "# failures:"
	printf '#   %s\n' "${fa_failures[@]}"
fi
echo "$fa_passed passed, $fa_failed failed, $skipped skipped"
((fa_failed == 0))
