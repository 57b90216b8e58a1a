#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh - the separate-boot benchmark (`make bench`, `make bench-quick`).
#
# Usage: scripts/bench.sh full|quick|sweep|long
#
# For every strategy (none plain bulk highorder compact compact+recompact
# movable; movable, issue 13's policy, is a "skip" result where the module or
# kernel lacks it)
# and seed, boots a FRESH 1.5 GiB / 2 vCPU QEMU TCG guest and runs the same
# seeded workload (tests/bench/guest-bench.sh): A, the original report (the
# driver holds 360 MB in 40 MB batches over CYCLES cycles of whole-batch and
# range frees, against page-cache, slab and anonymous churn), B (8
# interleaved streams of 64-page batches, then every other stream freed) and
# C (issue 12: 12 streams of 8-64-page batches up to 300 MB, interleaved
# with tmpfs files and anonymous churn, then two of three streams freed);
# each ends with the huge-page probe and the kernel's compaction_test, the
# driver still holding its memory; then one more boot for the speed ratios
# (tests/bench/fa_speed.c).
# Each boot runs B, C, then A, each released before the next
# (BENCH_LAYOUT=separate: each workload in its own boot, three times the
# boots).
# sweep: the automatic recompaction's thresholds: one compact boot of B and
# C per auto_recompact_pct in SWEEP_PCTS (100 125 150 200, at 1000 ms) and
# per auto_recompact_interval_ms in SWEEP_INTERVALS (250 4000, at 100%).
# long:  `make bench-long`: workload A for 200 cycles (CYCLES) of PERIOD ms
# (1500) in one fresh guest per strategy (none plain bulk highorder compact
# movable; compact with the module defaults), the page-cache, slab and
# anonymous churn looping the whole time; every EVERY (10) cycles the
# metrics are sampled with the driver holding its memory
# (tests/bench/sample.c); tests/bench/long.py writes the tables and one
# chart per metric (docs/bench/long-*.png).
# full:  3 seeds (SEEDS), 10 cycles.  quick: 1 seed, 4 cycles, less churn.
# Prints one table per workload and the targets, writes build/bench/*.json;
# full also renders docs/bench/free-by-order-A.png. Last line:
# "bench: N passed, N failed" (a pass: the boot ran to the end and its
# metrics were collected; the targets are reported, not asserted).
#
# Env: KERNEL=6.1|6.12 (default 6.1), SEEDS="1 2 3", CYCLES=N,
#      STRATS="none plain ..." (STRATS="": the speed boot only),
#      BENCH_OUT=dir (default build/bench), BENCH_SPEED=0 (no speed boot),
#      BENCH_WLS=b,c,a (the workloads of each boot), BENCH_MEM=1536M,
#      BENCH_LOCK=FILE (each boot under flock FILE: a VM lane shared with
#      other test runs), FA_MODARGS="release_delay_ms=1000 ..." (module
#      parameters), BENCH_MM_DEBUG=off|on (default off: the guest kernels
#      boot with their own defaults, not the page poisoning and slab
#      debugging of the test boots, run.sh --mm-debug)

set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
mode=${1:-quick}
case $mode in full | quick | sweep | long) ;; *) echo "usage: $0 full|quick|sweep|long" >&2; exit 2 ;; esac

out=${BENCH_OUT:-$repo/build/bench}
strats=${STRATS-"none plain bulk highorder compact compact+recompact movable"}
timeout=900
if [[ $mode == long ]]; then
	seeds=${SEEDS:-1}
	cycles=${CYCLES:-200}
	strats=${STRATS-"none plain bulk highorder compact movable"}
	churn="SLAB=20000 LIVE=20000 ANON=600 ANONMB=96 DISK=1 CYCLEMS=0 REPS=5"
	churn="$churn LONG=1 EVERY=${EVERY:-10} PERIOD=${PERIOD:-1500}"
	layout=separate
	# the load takes cycles x (period + ~0.2 s of sampling); the rest of
	# a boot well under two minutes
	timeout=$((300 + cycles * (${PERIOD:-1500} + 300) / 1000))
elif [[ $mode == full ]]; then
	seeds=${SEEDS:-"1 2 3"}
	cycles=${CYCLES:-10}
	churn="SLAB=40000 LIVE=20000 ANON=1200 ANONMB=96 DISK=1 CYCLEMS=500 REPS=7"
	layout=${BENCH_LAYOUT:-combined}
else
	seeds=${SEEDS:-1}
	cycles=${CYCLES:-4}
	[[ $mode == sweep ]] && strats=${STRATS-compact}
	churn="SLAB=15000 LIVE=15000 ANON=450 ANONMB=96 DISK=1 CYCLEMS=300 REPS=5"
	layout=${BENCH_LAYOUT:-combined}
fi

T0=$(date +%s)
scripts/deps.sh >/dev/null
series=${KERNEL:-6.1}
kver=$(scripts/kvers.sh "$series")
echo "bench: $mode, kernel $kver, seeds $seeds, $cycles cycles, $(date -u +%F)"
scripts/build-module.sh "$kver" >/dev/null
make -s tools >/dev/null
make -s -C tests/bench O="$out/bin" >/dev/null

# --- the initramfs: the CLI, the bench programs, guest-bench.sh as demo.sh --
stage=$out/stage-bin
rm -rf "$stage" "$out/extra"
mkdir -p "$stage" "$out/extra/bench/mods" "$out/logs" "$out/results"
cp build/tools/fragalloc-static "$stage/fragalloc"
cp "$out"/bin/fa_load "$out"/bin/fa_churn "$out"/bin/fa_speed \
	"$out"/bin/compaction_test "$stage/"
install -m 0755 tests/bench/guest-bench.sh "$stage/demo.sh"

# virtio_blk and the modules it needs (built in on 6.12, modules on 6.1)
declare -A seen=()
addmod() {
	local m=$1 path dep
	[[ -n ${seen[$m]:-} ]] && return 0
	seen[$m]=1
	path=$(modinfo -k "$kver" -n "$m" 2>/dev/null) || return 0
	[[ $path == /* ]] || return 0 # built in
	for dep in $(modinfo -k "$kver" -F depends "$m" | tr ',' ' '); do
		addmod "$dep"
	done
	case $path in
	*.ko.xz) xz -dc "$path" >"$out/extra/bench/mods/$m.ko" ;;
	*.ko.zst) zstd -dcq "$path" >"$out/extra/bench/mods/$m.ko" ;;
	*) cp "$path" "$out/extra/bench/mods/$m.ko" ;;
	esac
	echo "$m" >>"$out/extra/bench/mods/order"
}
: >"$out/extra/bench/mods/order"
addmod virtio_pci
addmod virtio_blk
addmod crc32c_generic
addmod ext4

initrd=$out/initramfs-$kver.cpio.gz
tests/vm/mkinitramfs.sh "$initrd" "$kver" "build/kmod/$kver/driver/fragalloc.ko" \
	"$stage" "$out/extra" >/dev/null

# the page-cache churn's disk: an ext4 image (2 GiB, sparse) holding one
# sparse 1.9 GiB file, more than the guest's RAM; reading a file gives movable
# page cache (a raw block device's page cache is unmovable)
disk=$out/disk-ext4-2g.img
if [[ ! -f $disk ]]; then
	rm -rf "$out/disk.d"
	mkdir -p "$out/disk.d"
	truncate -s 1900M "$out/disk.d/big"
	truncate -s 2048M "$disk.tmp"
	mkfs.ext4 -F -q -O ^metadata_csum,^has_journal -d "$out/disk.d" "$disk.tmp"
	mv "$disk.tmp" "$disk"
	rm -rf "$out/disk.d"
fi
qargs="-drive file=$disk,if=virtio,format=raw,readonly=on"
wls=${BENCH_WLS:-b,c,a}
[[ $mode == sweep ]] && wls=${BENCH_WLS:-b,c}
[[ $mode == long ]] && wls=a

pass=0 fail=0
rm -f "$out"/results/*.json "$out"/results/boots.txt "$out"/results/retried.txt
: >"$out/results/boots.txt"
: >"$out/results/cmdline.txt"
# boot NAME ARGS [MODARGS]: one fresh guest; its results go to
# results/NAME-N.json and its status to results/boots.txt ("NAME ok oom=N"
# or "NAME fail REASON oom=N", N: the OOM kills in its console log):
# summarize.py leaves a failed boot's results out of every figure and lists
# them as excluded, and counts every OOM kill against the target
boot() {
	local name=$1 args=$2 modargs=${3-${FA_MODARGS:-}} log=$out/logs/$1.log t0 t1 n rc=0 oom
	local lock=()
	[[ -n ${BENCH_LOCK:-} ]] && lock=(flock "$BENCH_LOCK")
	t0=$(date +%s)
	"${lock[@]}" tests/vm/run.sh --kernel "$kver" --mode demo --timeout "$timeout" --initrd "$initrd" \
		--mem "${BENCH_MEM:-1536M}" --mm-debug "${BENCH_MM_DEBUG:-off}" \
		--args "$args" --qemu-args "$qargs" --modargs "$modargs" \
		--log "$log" >/dev/null 2>"$log.run" || rc=$?
	t1=$(date +%s)
	# the guest kernel's command line: summarize.py says whether memory
	# debugging (page poisoning ...) was on in any boot
	sed -i "/^$name /d" "$out/results/cmdline.txt"
	printf '%s %s\n' "$name" "$(tr -d '\r' <"$log" | sed -n 's/.*Command line: //p' | head -n 1)" \
		>>"$out/results/cmdline.txt"
	n=0
	while IFS= read -r line; do
		n=$((n + 1))
		printf '%s\n' "${line#\#\#\# BENCH-RESULT }" >"$out/results/$name-$n.json"
	done < <(tr -d '\r' <"$log.tap" | grep '^### BENCH-RESULT {')
	local want=1 w=${args%% *}
	w=${w#WLS=}
	[[ $w == speed ]] || want=$(tr , '\n' <<<"$w" | wc -l)
	oom=$(tr -d '\r' <"$log" | grep -c 'Out of memory: Killed process' || true)
	if ((rc == 0 && n == want)) && grep -q '^### FA-DONE' "$log.tap" &&
		python3 -c 'import json,sys; [json.load(open(f)) for f in sys.argv[1:]]' \
			"$out/results/$name"-*.json; then
		pass=$((pass + 1))
		echo "$name ok oom=$oom" >>"$out/results/boots.txt"
		echo "bench: ok   $name ($((t1 - t0)) s)"
	else
		fail=$((fail + 1))
		local why="rc=$rc, $n of $want results"
		grep -q '^### FA-DONE' "$log.tap" 2>/dev/null || why="$why, no FA-DONE"
		((oom == 0)) || why="$why, $oom OOM kill(s)"
		echo "$name fail $why oom=$oom" >>"$out/results/boots.txt"
		echo "bench: FAIL $name (rc=$rc, $n results; log $log)"
		tail -n 3 "$log.run" | sed 's/^/bench:   /'
	fi
}

# the long run: a boot that failed is booted once more (a fresh guest, the
# same load); the first attempt stays a failure in the count and its logs
# are kept as NAME.try1.log*, the summary lists the boot as retried
boot_long() {
	local name=$1 f0=$fail f
	boot "$@"
	((fail == f0)) && return 0
	for f in "$out/logs/$name".log*; do mv "$f" "${f/.log/.try1.log}"; done
	sed -i "/^$name /d" "$out/results/boots.txt"
	echo "$name retried" >>"$out/results/retried.txt"
	echo "bench: retry $name"
	boot "$@"
}

sweep_pcts=${SWEEP_PCTS:-"100 125 150 200"}
sweep_ivs=${SWEEP_INTERVALS:-"250 4000"}
for seed in $seeds; do
	for s in $strats; do
		common="STRAT=$s SEED=$seed CYCLES=$cycles $churn ${BENCH_ARGS:-}"
		if [[ $mode == sweep ]]; then
			# the settle time follows the interval: three of them
			for p in $sweep_pcts; do
				boot "sweep_p${p}_i1000-$s-s$seed" "WLS=$wls $common SETTLE=3000" \
					"${FA_MODARGS:-} auto_recompact_pct=$p auto_recompact_interval_ms=1000"
			done
			for i in $sweep_ivs; do
				boot "sweep_p100_i$i-$s-s$seed" "WLS=$wls $common SETTLE=$((3 * i > 3000 ? 3 * i : 3000))" \
					"${FA_MODARGS:-} auto_recompact_pct=100 auto_recompact_interval_ms=$i"
			done
		elif [[ $mode == long ]]; then
			boot_long "A-$s-s$seed" "WLS=a $common"
		elif [[ $layout == separate ]]; then
			for w in $(tr , ' ' <<<"$wls"); do
				boot "${w^^}-$s-s$seed" "WLS=$w $common"
			done
		else
			boot "$(tr -d , <<<"${wls^^}")-$s-s$seed" "WLS=$wls $common"
		fi
	done
done
[[ ${BENCH_SPEED:-1} == 1 && $mode != sweep && $mode != long ]] && boot speed "WLS=speed $churn"

T1=$(date +%s)
if [[ $mode == long ]]; then
	python3 tests/bench/long.py --results "$out/results" --out "$out" \
		--kver "$kver" --cycles "$cycles" \
		--elapsed $((T1 - T0)) --charts "${LONG_CHARTS:-$out/charts}" || fail=$((fail + 1))
	echo "bench: total $((T1 - T0)) s"
	echo "bench: $pass passed, $fail failed"
	((fail == 0))
	exit
fi
chart=
[[ $mode == full ]] && chart=$repo/docs/bench/free-by-order-A.png
python3 tests/bench/summarize.py --results "$out/results" --out "$out" \
	--mode "$mode" --kver "$kver" --seeds "$seeds" --cycles "$cycles" \
	--strats "$strats" \
	--elapsed $((T1 - T0)) ${chart:+--chart "$chart"} || fail=$((fail + 1))
echo "bench: total $((T1 - T0)) s"
echo "bench: $pass passed, $fail failed"
((fail == 0))
