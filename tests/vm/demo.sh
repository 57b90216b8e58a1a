#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - the original report's scenario, told with the fragalloc CLI inside
# the 1 GiB guest (run by `make demo`).
#
#   Act 1: the 2015 driver: 360 MB in 40 MB batches of plain alloc_page()
#          pages, freed and re-allocated over several cycles.
#   Act 2: the same seeded load through fragalloc's compact pool.
#   Act 3: fragalloc recompacts act 2's live pages into dense pageblocks.
#   Act 4: 360 MB in 40 MB batches with every pageblock's second half freed
#          (issue 5's scenario), then a recompaction.
#   Act 5: act 1's load with the movable policy (where INFO lists the
#          movable feature), then the kernel's own compaction
#          (compact_memory): pgmigrate_success before and after.
# After each act, with the memory still held: free blocks of order >= 3 and
# of order 9 (2 MiB) from /proc/buddyinfo, and the huge pages the kernel can
# still assemble (the nr_hugepages probe).
#
# Arguments (fa.args): FA_DEMO_CYCLES=N (default 6), FA_DEMO_SEED=S (default 1).

PATH=$(cd "$(dirname "$0")" && pwd):$PATH
# fa.args arrive as arguments: NAME=VALUE settings
for a; do
	case $a in
	FA_DEMO_CYCLES=* | FA_DEMO_SEED=*) export "${a?}" ;;
	esac
done
CYCLES=${FA_DEMO_CYCLES:-6}
SEED=${FA_DEMO_SEED:-1}
LOAD="--batch 40M --total 360M --cycles $CYCLES --seed $SEED"

say() {
	printf '\n==== %s\n' "$*"
}

# "GE3 O9": free blocks of order >= 3, free 2 MiB blocks (order >= 9)
blocks() {
	awk '{
		for (i = 5; i <= NF; i++) {
			o = i - 5
			if (o >= 3) ge3 += $i
			if (o < 9)
				continue
			m = 1
			for (k = 9; k < o; k++)
				m *= 2
			o9 += $i * m
		}
	} END { printf "%d %d\n", ge3, o9 }' /proc/buddyinfo
}

# huge pages the kernel can assemble right now; given back at once
hugeprobe() {
	echo 512 >/proc/sys/vm/nr_hugepages
	n=$(cat /proc/sys/vm/nr_hugepages)
	echo 0 >/proc/sys/vm/nr_hugepages
	echo "$n"
}

# snapshot NAME: print and remember the figures of this moment
snapshot() {
	blk=$(blocks)
	set -- "$1" "${blk% *}" "${blk#* }" "$(hugeprobe)"
	printf '%-34s free order>=3 blocks %6s   free 2 MiB blocks %4s   huge pages obtainable %4s\n' \
		"$1:" "$2" "$3" "$4"
	echo "$1|$2|$3|$4" >>/tmp/demo.figures
}

# hold ARGS: run the load in the background until it holds its memory
hold() {
	log=/tmp/stress.log
	# shellcheck disable=SC2086 # LOAD is a list of words
	fragalloc stress $LOAD "$@" --keep >"$log" 2>&1 &
	pid=$!
	while ! grep -q '^holding\|holding [0-9]' "$log" 2>/dev/null; do
		if ! kill -0 "$pid" 2>/dev/null; then
			cat "$log"
			echo "demo: the load stopped early" >&2
			exit 1
		fi
		sleep 1
	done
	cat "$log"
}

release() {
	kill "$pid"
	wait "$pid"
}

rm -f /tmp/demo.figures
say "fragalloc info"
fragalloc info || exit 1

say "the fresh guest"
cat /proc/buddyinfo
snapshot "fresh guest"

say "Act 1: the 2015 driver (plain alloc_page), $LOAD"
hold --policy plain
say "Act 1 holds its memory: /proc/pagetypeinfo and /proc/buddyinfo"
cat /proc/pagetypeinfo /proc/buddyinfo
snapshot "act 1, plain alloc_page"
release

say "Act 2: the same load through fragalloc's compact pool"
hold --policy compact
fragalloc stats
snapshot "act 2, fragalloc compact"

say "Act 3: fragalloc recompact (the load still holds its memory)"
fragalloc recompact --dry-run
fragalloc recompact || exit 1
fragalloc stats
say "after recompaction: /proc/pagetypeinfo and /proc/buddyinfo"
cat /proc/pagetypeinfo /proc/buddyinfo
snapshot "act 3, after recompact"
release

say "Act 4: 360 MB in 40 MB batches, then every pageblock's second half freed"
demo_halves >/tmp/halves.log 2>&1 &
pid=$!
while ! grep -q '^holding' /tmp/halves.log 2>/dev/null; do
	if ! kill -0 "$pid" 2>/dev/null; then
		cat /tmp/halves.log
		exit 1
	fi
	sleep 1
done
cat /tmp/halves.log
fragalloc stats
snapshot "act 4, half-full pageblocks"
fragalloc recompact || exit 1
snapshot "act 4, after recompact"
release

if fragalloc info | grep -q 'features:.*movable'; then
	say "Act 5: the same load with --policy movable: the kernel moves these pages"
	hold --policy movable
	snapshot "act 5, fragalloc movable"
	m0=$(awk '$1 == "pgmigrate_success" { print $2 }' /proc/vmstat)
	echo 1 >/proc/sys/vm/compact_memory
	m1=$(awk '$1 == "pgmigrate_success" { print $2 }' /proc/vmstat)
	echo "compact_memory: pgmigrate_success $m0 -> $m1 (+$((m1 - m0)) pages moved by the kernel)"
	snapshot "act 5, after compact_memory"
	release
fi

say "summary (seed $SEED, $CYCLES cycles, 360 MB held in 40 MB batches)"
printf '%-34s %16s %16s %16s\n' "" "order>=3 blocks" "2 MiB blocks" "huge pages"
while IFS='|' read -r name ge3 o9 hp; do
	printf '%-34s %16s %16s %16s\n' "$name" "$ge3" "$o9" "$hp"
done </tmp/demo.figures
