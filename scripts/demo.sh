#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - `make demo`: install what is missing, build the module and the
# CLI, boot a 1 GiB / 2 vCPU guest of Debian's 6.1 kernel under QEMU and run
# tests/vm/demo.sh in it (the original report's scenario).
#
# Env: KERNEL=6.12 boots the 6.12 kernel instead; FA_DEMO_CYCLES, FA_DEMO_SEED
# are passed to the guest script; FA_MODARGS to insmod.

set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

scripts/deps.sh
series=${KERNEL:-6.1}
kver=$(scripts/kvers.sh "$series")
echo "demo: kernel $kver"
scripts/build-module.sh "$kver" >/dev/null
make -s tools >/dev/null
scripts/stage-vm.sh demo build/vm/bin-demo "$kver"
tests/vm/mkinitramfs.sh "build/vm/initramfs-demo-$kver.cpio.gz" "$kver" \
	"build/kmod/$kver/driver/fragalloc.ko" build/vm/bin-demo >/dev/null
args="FA_DEMO_CYCLES=${FA_DEMO_CYCLES:-6} FA_DEMO_SEED=${FA_DEMO_SEED:-1}"
exec tests/vm/run.sh --kernel "$kver" --mode demo --timeout 1200 \
	--initrd "build/vm/initramfs-demo-$kver.cpio.gz" --args "$args" \
	--modargs "${FA_MODARGS:-}"
