#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - boot a Debian kernel in QEMU with a fragalloc initramfs and judge
# the run.
#
# Usage: see usage() below (tests/vm/run.sh --help).

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

kver="" initrd="" mode=check tmo=600 mem=1G smp=2 accel=${FA_ACCEL:-tcg}
append="" args="" modargs="" ptimeout="" log="" bzimage="" qargs="" numa=""
mmdebug=on
usage() {
	cat <<'EOF'
Usage: tests/vm/run.sh --kernel KVER [--initrd FILE] [--mode check|demo|shell]
         [--timeout SECONDS] [--mem 1G] [--smp 2] [--accel tcg|kvm]
         [--append "KERNEL ARGS"] [--args "SELFTEST/DEMO ARGS"]
         [--modargs "MODULE PARAMS"] [--ptimeout SECONDS] [--log FILE]
         [--bzimage PATH] [--qemu-args "EXTRA QEMU ARGS"] [--numa N]
         [--mm-debug on|off]

  --kernel KVER   boots /boot/vmlinuz-KVER (required; with --bzimage only
                  names the kernel release, for labels and the log name)
  --bzimage PATH  boot this kernel image instead (the debug kernel,
                  scripts/debug-kernel.sh)
  --initrd FILE   default build/vm/initramfs-KVER.cpio.gz
  --mode          check (default): run the selftests, print "[6.12] ok ..."
                  lines, splats and one "vm[KVER]: N passed, N failed,
                  N skipped" line; exit 0 iff nothing failed.
                  demo: stream the console to stdout, then judge the same way.
                  shell: interactive busybox shell on the console (no judging).
  --timeout S     hard limit for the whole VM run (default 600)
  --accel         tcg (default) or kvm; env FA_ACCEL also sets it
  --append        extra kernel command line
  --args          fa.args (arguments for each selftest / demo.sh)
  --modargs       fa.modargs (insmod parameters)
  --ptimeout S    per-program timeout inside the guest (default none)
  --log FILE      full serial console log (default build/vm/KVER-MODE.log);
                  the clean test channel (guest ttyS1) goes to FILE.tap
  --qemu-args     extra qemu arguments, split on white space (e.g. a
                  "-drive file=F,if=virtio,format=raw,readonly=on")
  --numa N        N NUMA nodes (1-8): --mem split evenly across them (each
                  node a memory-backend-ram of mem/N), the vCPUs dealt out
                  in order (--smp 2 --numa 2: one vCPU per node); --smp
                  must be a multiple of N
  --mm-debug      on (default): page_poison=1 slub_debug=FZPU, and on 6.12
                  kfence.sample_interval=100, so a use after free or a
                  corrupted object shows in the log; off: the kernel's own
                  defaults, as Debian ships it (benchmarks: poisoning every
                  freed page costs a memset of it)
EOF
}

# each option and the variable its value goes to
declare -A optvar=([--kernel]=kver [--initrd]=initrd [--mode]=mode
	[--timeout]=tmo [--mem]=mem [--smp]=smp [--accel]=accel
	[--append]=append [--args]=args [--modargs]=modargs
	[--ptimeout]=ptimeout [--log]=log [--bzimage]=bzimage [--qemu-args]=qargs
	[--numa]=numa [--mm-debug]=mmdebug)
while (($#)); do
	[[ $1 == -h || $1 == --help ]] && { usage; exit 0; }
	[[ -n ${optvar[$1]:-} ]] || { echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2; }
	(($# >= 2)) || { echo "run.sh: $1 needs a value" >&2; exit 2; }
	printf -v "${optvar[$1]}" '%s' "$2"
	shift 2
done

die() { echo "run.sh: $*" >&2; exit 2; }
[[ -n $kver ]] || die "--kernel KVER is required"
case $mode in check | demo | shell) ;; *) die "bad --mode $mode" ;; esac
case $accel in tcg | kvm) ;; *) die "bad --accel $accel" ;; esac
[[ $tmo =~ ^[0-9]+$ ]] || die "bad --timeout $tmo"
[[ $smp =~ ^[1-9][0-9]*$ ]] || die "bad --smp $smp"
if [[ -n $numa ]]; then
	[[ $numa =~ ^[1-8]$ ]] || die "bad --numa $numa (1 to 8 nodes)"
	((smp % numa == 0)) || die "--smp $smp is not a multiple of --numa $numa"
fi
kernel=${bzimage:-/boot/vmlinuz-$kver}
[[ -r $kernel ]] || die "$kernel not found or not readable"
initrd=${initrd:-$repo/build/vm/initramfs-$kver.cpio.gz}
[[ -r $initrd ]] || die "initramfs $initrd not found (tests/vm/mkinitramfs.sh)"
log=${log:-$repo/build/vm/$kver-$mode.log}
mkdir -p "$(dirname "$log")"
taplog=$log.tap
: >"$log"
: >"$taplog"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (scripts/deps.sh)"

# --- kernel command line ---------------------------------------------------
# ignore_loglevel: every printk reaches the serial console (and the log).
cmd="console=ttyS0,115200 ignore_loglevel printk.time=1 panic=-1"
case $mmdebug in
on)
	cmd+=" page_poison=1 slub_debug=FZPU"
	case $kver in
	6.12*) cmd+=" kfence.sample_interval=100" ;;
	esac ;;
off) ;;
*) die "--mm-debug must be on or off, not '$mmdebug'" ;;
esac
cmd+=" fa.mode=$mode"
[[ -z $args ]] || cmd+=" fa.args=\"$args\""
[[ -z $modargs ]] || cmd+=" fa.modargs=\"$modargs\""
[[ -z $ptimeout ]] || cmd+=" fa.ptimeout=$ptimeout"
[[ -z $append ]] || cmd+=" $append"

smpopt=$smp
# --numa: one socket per node; the CPUs of one socket share the LLC, and
# the kernel WARNs (topology_sane) when LLC siblings sit on two nodes
[[ -z $numa ]] || smpopt+=",sockets=$numa,cores=$((smp / numa)),threads=1"
qemu=(qemu-system-x86_64 -machine q35 -m "$mem" -smp "$smpopt"
	-nodefaults -display none -no-reboot
	-kernel "$kernel" -initrd "$initrd" -append "$cmd")

# --numa N: node i gets memory backend m<i> (mem/N) and vCPUs
# i*smp/N .. (i+1)*smp/N-1, so each node has memory and a CPU, as on a real
# N-socket machine (the guest's SRAT then lists N nodes)
if [[ -n $numa ]]; then
	# --mem in MiB (QEMU sizes: 1G, 512M, or plain MiB)
	[[ $mem =~ ^([0-9]+)([MmGg]?)$ ]] || die "bad --mem $mem for --numa (e.g. 1G, 512M)"
	total=${BASH_REMATCH[1]}
	[[ ${BASH_REMATCH[2]} == [Gg] ]] && total=$((total * 1024))
	((total % numa == 0)) || die "--mem $mem does not split evenly across $numa nodes"
	per=$((smp / numa))
	for ((i = 0; i < numa; i++)); do
		qemu+=(-object "memory-backend-ram,id=m$i,size=$((total / numa))M"
			-numa "node,nodeid=$i,memdev=m$i,cpus=$((i * per))-$(((i + 1) * per - 1))")
	done
fi
if [[ -n $qargs ]]; then
	read -r -a qextra <<<"$qargs"
	qemu+=("${qextra[@]}")
fi
if [[ $accel == kvm ]]; then
	[[ -w /dev/kvm ]] || die "--accel kvm: /dev/kvm not usable"
	qemu+=(-accel kvm -cpu host)
else
	qemu+=(-accel tcg)
fi

if [[ $mode == shell ]]; then
	# interactive: console on this terminal (Ctrl-A X quits qemu)
	qemu+=(-serial mon:stdio -serial "file:$taplog")
	exec timeout --foreground --kill-after=10 "$tmo" "${qemu[@]}"
fi
qemu+=(-serial stdio -serial "file:$taplog")

# boot ATTEMPT: one qemu run into $log (and $taplog); sets qrc
boot() {
	echo "run.sh: booting $kver ($accel, $mem, $smp vCPUs${numa:+, $numa NUMA nodes}, timeout ${tmo}s), log: $log${1:+ (attempt $1)}" >&2
	set +e
	if [[ $mode == demo ]]; then
		timeout --kill-after=10 "$tmo" "${qemu[@]}" </dev/null 2>&1 | tee "$log"
		qrc=${PIPESTATUS[0]}
	else
		timeout --kill-after=10 "$tmo" "${qemu[@]}" </dev/null >"$log" 2>&1
		qrc=$?
	fi
	set -e
}

# The kernel died before /init started the runner (no FA-UPTIME line: the
# module was never loaded), e.g. QEMU TCG's cross-modifying-code hazard
# when the kernel patches a static key with int3 ("Oops: int3" in early
# boot). Not a test result: one more boot, with the first log kept and
# named. A crash after the runner started is judged as always.
crashed_before_runner() {
	! tr -d '\r' <"$log" | grep -q '^### FA-UPTIME ' &&
		grep -qE 'Kernel panic|Oops:|BUG:' "$log"
}

t0=$(date +%s.%N)
boot
if [[ $mode != demo ]] && crashed_before_runner; then
	mv "$log" "$log.boot1"
	echo "run.sh: $kver crashed before the runner started (module not loaded yet): booting once more; first log: $log.boot1" >&2
	grep -m1 -E 'Kernel panic|Oops:|BUG:' "$log.boot1" | sed 's/^/run.sh:   /' >&2
	: >"$taplog"
	boot 2
fi
t1=$(date +%s.%N)
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

timedout=0
if ((qrc == 124 || qrc == 137)); then
	timedout=$tmo
	echo "run.sh: TIMEOUT: $kver did not power off within ${tmo}s; killed" >&2
elif ((qrc != 0)); then
	echo "run.sh: qemu exited with status $qrc" >&2
	tail -n 5 "$log" >&2
fi

# boot time: guest uptime when /init started the runner (see guest-run.sh)
up=$(tr -d '\r' <"$log" | sed -n 's/^### FA-UPTIME \([0-9.]*\).*/\1/p' | head -n1)
echo "run.sh: $kver: runner started at ${up:-?}s guest uptime; VM wall time ${wall}s" >&2

quiet=()
[[ $mode == demo ]] && quiet=(--quiet-tap)
rc=0
"$here/analyze.sh" --kver "$kver" --console "$log" --tap "$taplog" \
	--mode "$mode" --timed-out "$timedout" "${quiet[@]}" || rc=1
exit "$rc"
