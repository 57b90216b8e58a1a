#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# guest-bench.sh - one boot of the separate-boot benchmark (run in the guest
# as /fragalloc/bin/demo.sh by guest-run.sh's demo mode; scripts/bench.sh).
#
# Arguments (fa.args), NAME=VALUE:
#   WLS=a|b|c|b,c,a|speed  workloads, in order, in this boot (a: the
#                    original report with competing load; b: interleaved
#                    streams; c: issue 12's report, 12 streams of small
#                    batches with tmpfs files and anonymous churn, two of
#                    three streams freed; speed: fa_speed); each is
#                    released before the next
#   STRAT=none|plain|bulk|highorder|compact|compact+recompact|movable
#   SEED=S CYCLES=N  the driver load's seed and cycles (workload a)
#   SLAB=OPS LIVE=N  slab churn operations, files left at the end
#   ANON=OPS ANONMB=M  anonymous churn operations, most MB live
#   DISK=PASSES      reads of /mnt/big, a 1.4 GiB file on the ext4 disk
#                    /dev/vda (page-cache churn)
#   CYCLEMS=MS       pause between driver cycles (spreads the load over the
#                    competing load's run time)
#   REPS=N           fa_speed rounds
#   SETTLE=MS        fa_load waits MS after its load before it measures (the
#                    automatic recompaction's turn; default 3000)
#   CTEST=0|1        run the kernel's compaction_test after the probe, the
#                    driver still holding its memory (default 1)
#   LONG=0|1         the long run (`make bench-long`, workload a): the
#                    page-cache, slab and anonymous churn loop in a cgroup
#                    of their own for as long as the driver cycles; fa_load
#                    runs for none too (no allocations) and samples the
#                    metrics after the first fill and every EVERY cycles,
#                    the churn frozen meanwhile; each cycle takes PERIOD ms
#   EVERY=N PERIOD=MS  (LONG=1) the sampling interval in cycles, the period
# Result: one line "### BENCH-RESULT {json}" on the console and on ttyS1.

BIN=$(cd "$(dirname "$0")" && pwd)
PATH=$BIN:$PATH
WLS=a STRAT=compact SEED=1 CYCLES=6 SLAB=60000 LIVE=20000 ANON=3000 ANONMB=96
DISK=1 CYCLEMS=0 REPS=5 SETTLE=3000 CTEST=1 LONG=0 EVERY=10 PERIOD=0
for a; do
	case $a in
	WLS=* | STRAT=* | SEED=* | CYCLES=* | SLAB=* | LIVE=* | ANON=* | ANONMB=* | \
		DISK=* | CYCLEMS=* | REPS=* | SETTLE=* | CTEST=* | LONG=* | EVERY=* | \
		PERIOD=*) eval "${a%%=*}='${a#*=}'" ;;
	esac
done

result() {
	echo "### BENCH-RESULT $1"
	[ -c /dev/ttyS1 ] && echo "### BENCH-RESULT $1" >>/dev/ttyS1
}
uptime_s() { cut -d' ' -f1 /proc/uptime; }
note() { echo "bench: $*"; }
# what compaction and the driver's movable ops did so far, for the log: a
# probe's count is explained by its compactions and migrations
probe_diag() {
	awk '/^(compact_stall|compact_fail|compact_success|pgmigrate_success|pgmigrate_fail) / {
		printf "%s=%s ", $1, $2 }' /proc/vmstat
	grep '^movable_' /sys/kernel/debug/fragalloc/stats 2>/dev/null | tr ' \n' '= '
}
# the OOM kills so far (/proc/vmstat oom_kill), with shell builtins only
oom_kills() {
	_n=0
	while read -r _k _v; do [ "$_k" = oom_kill ] && _n=$_v; done </proc/vmstat
	echo "$_n"
}

if [ "$WLS" = speed ]; then
	out=$(fa_speed --reps "$REPS") || { note "fa_speed failed"; exit 1; }
	result "{\"kind\":\"speed\",\"kver\":\"$(uname -r)\",\"speed\":$out}"
	exit 0
fi

# --- virtio disk for the page-cache churn (workload a) --------------------
if [ -s /bench/mods/order ]; then
	while read -r m; do
		insmod "/bench/mods/$m.ko" 2>/dev/null
	done </bench/mods/order
	i=0
	while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
fi
# the disk is an ext4 image holding one file larger than the guest's RAM:
# reading a file fills movable page cache (a raw block device's page cache
# is GFP_USER, i.e. unmovable, and would pollute every pageblock)
BIG=
if [ -b /dev/vda ]; then
	mkdir -p /mnt
	if mount -t ext4 -o ro /dev/vda /mnt 2>/dev/null && [ -f /mnt/big ]; then
		BIG=/mnt/big
	else
		note "cannot mount /dev/vda as ext4: reading the raw device"
		BIG=/dev/vda
	fi
fi

# --- extfrag events ----------------------------------------------------------
T=/sys/kernel/tracing
EV=$T/events/kmem/mm_page_alloc_extfrag
[ -d $EV ] || mount -t tracefs nodev $T 2>/dev/null
# the recompactions' CPU cost: fragalloc:recompact_end (its duration_ns, the
# run's wall time from begin to end: an upper bound on its CPU time) in an
# instance of its own (the extfrag count reads the main buffer's stats),
# stamped with the boot clock, i.e. /proc/uptime's
RI=$T/instances/fabench
[ -d $RI ] || mkdir $RI 2>/dev/null
[ -d $RI/events/fragalloc/recompact_end ] || RI=
[ -n "$RI" ] && { echo boot >$RI/trace_clock || echo global >$RI/trace_clock; } 2>/dev/null

# the long run's churn cgroup: frozen while fa_load samples, killed at the end
CG=
if [ "$LONG" = 1 ]; then
	CG=/sys/fs/cgroup/churn
	mkdir -p /sys/fs/cgroup
	[ -e /sys/fs/cgroup/cgroup.procs ] || mount -t cgroup2 none /sys/fs/cgroup
	mkdir -p $CG
	[ -e $CG/cgroup.freeze ] || { note "no cgroup v2 freezer"; exit 1; }
fi

# the long run's competing load: each churn in a loop until killed, one
# line per pass in /tmp/churn-KIND.log; their shells' PIDs in lcpids
lcpids=
churn_loops() {
	(
		i=0
		while :; do
			fa_churn slab /tmp/slab $((SEED + i)) "$SLAB" "$LIVE" >>/tmp/churn-slab.log
			i=$((i + 1))
		done
	) &
	lcpids=$!
	(
		i=0
		while :; do
			fa_churn anon $((SEED + i)) "$ANON" "$ANONMB" >>/tmp/churn-anon.log
			i=$((i + 1))
		done
	) &
	lcpids="$lcpids $!"
	if [ -n "$BIG" ]; then
		(
			while :; do
				dd if="$BIG" of=/dev/null bs=1M 2>/dev/null
				echo pass >>/tmp/churn-pagecache.log
			done
		) &
		lcpids="$lcpids $!"
	fi
}
count_lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

one() {
	WL=$1
	policy=${STRAT%+recompact}
	rcflag=
	[ "$policy" != "$STRAT" ] && rcflag=--recompact
	rm -f /tmp/load.json /tmp/load.log
	oom_start=$(oom_kills)
	if [ -n "$RI" ]; then
		echo 0 >$RI/tracing_on
		echo 1024 >$RI/buffer_size_kb
		echo >$RI/trace
		echo 1 >$RI/events/fragalloc/recompact_end/enable
		echo 1 >$RI/tracing_on
	fi
	if [ -d $EV ]; then
		echo 0 >$T/tracing_on
		echo 4096 >$T/buffer_size_kb
		echo >$T/trace
		echo 1 >$EV/enable
		echo 1 >$T/tracing_on
	fi
	t0=$(uptime_s)
	note "start $WL $STRAT seed $SEED at ${t0}s"

	lpid=
	# none runs fa_load in workload c (its tmpfs and anonymous churn are
	# fa_load's, the no-driver guest gets the same without allocations)
	# and in the long run (fa_load's cycles pace the samples)
	if [ "$policy" != none ] || [ "$WL" = c ] || [ "$LONG" = 1 ]; then
		case $WL in
		a) largs="--workload a --batch 10240 --total 92160 --cycles $CYCLES --cycle-ms $CYCLEMS"
			[ "$LONG" = 1 ] && largs="$largs --cycle-period-ms $PERIOD --sample-every $EVERY --sample-out /tmp/samples.json --freeze $CG" ;;
		b) largs="--workload b --streams 8 --stream-batch 64 --stream-total 65536" ;;
		*) largs="--workload c --streams 12 --min-batch 8 --stream-batch 64 --stream-total 76800 --files /tmp/wc --file-mb 32 --anon-mb 64" ;;
		esac
		mkdir -p /tmp/wc
		# shellcheck disable=SC2086
		fa_load $largs --policy "$policy" $rcflag --seed "$SEED" --settle-ms "$SETTLE" \
			--out /tmp/load.json >/tmp/load.log 2>&1 &
		lpid=$!
	fi
	cpids=
	rm -f /tmp/samples.json /tmp/churn-*.log
	if [ "$WL" = a ] && [ "$LONG" = 1 ]; then
		mkdir -p /tmp/slab
		[ -n "$BIG" ] || note "no disk: no page-cache churn"
		# the loops start inside the cgroup (children inherit it)
		echo $$ >$CG/cgroup.procs
		churn_loops
		echo $$ >/sys/fs/cgroup/cgroup.procs
	elif [ "$WL" = a ]; then
		mkdir -p /tmp/slab
		fa_churn slab /tmp/slab "$SEED" "$SLAB" "$LIVE" &
		cpids="$cpids $!"
		fa_churn anon "$SEED" "$ANON" "$ANONMB" &
		cpids="$cpids $!"
		if [ -n "$BIG" ]; then
			(
				p=0
				while [ $p -lt "$DISK" ]; do
					dd if="$BIG" of=/dev/null bs=1M 2>/dev/null
					p=$((p + 1))
				done
				echo "churn pagecache passes=$DISK"
			) &
			cpids="$cpids $!"
		else
			note "no disk: no page-cache churn"
		fi
	fi
	# shellcheck disable=SC2086
	for p in $cpids; do wait "$p"; done
	if [ -n "$lpid" ]; then
		while ! grep -q '^holding' /tmp/load.log 2>/dev/null; do
			if ! kill -0 "$lpid" 2>/dev/null; then
				cat /tmp/load.log
				wait "$lpid"
				if [ $? = 4 ]; then
					# a strategy this kernel or module lacks: a
					# result that says so, not a failed boot
					why=$(sed -n 's/^skip: //p' /tmp/load.log | tr -d '"[:cntrl:]')
					result "{\"kind\":\"skip\",\"kver\":\"$(uname -r)\",\"workload\":\"$WL\",\"strategy\":\"$STRAT\",\"seed\":$SEED,\"reason\":\"$why\"}"
					rm -rf /tmp/wc
					return 0
				fi
				note "fa_load stopped early"
				exit 1
			fi
			sleep 0.2
		done
		cat /tmp/load.log
	fi
	churn=null
	if [ -n "$CG" ] && [ "$WL" = a ]; then
		echo 1 >$CG/cgroup.kill
		i=0
		while [ -n "$(cat $CG/cgroup.procs)" ] && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		# shellcheck disable=SC2086
		for p in $lcpids; do wait "$p"; done
		churn="{\"slab_passes\":$(count_lines /tmp/churn-slab.log),\"anon_passes\":$(count_lines /tmp/churn-anon.log),\"pagecache_passes\":$(count_lines /tmp/churn-pagecache.log)}"
		note "churn $churn"
	fi
	# a watchdog: the end-of-run measurement takes well under a minute;
	# past 240 s the kernel's view of every task and CPU goes to the log
	echo 1 >/proc/sys/kernel/sysrq 2>/dev/null
	(
		sleep 240
		note "end-of-run measurement still running after 240 s: sysrq t, l"
		echo t >/proc/sysrq-trigger
		echo l >/proc/sysrq-trigger
	) &
	wdog=$!
	t1=$(uptime_s)
	load_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')

	# the automatic mode's runs (a kworker's) from the start to now: their
	# time as a share of one CPU over that window; the other callers'
	# (fa_load's RECOMPACT, the shrinker in a reclaiming task) apart
	rcpu='{"auto_runs":-1}'
	note "end of load: tracing figures"
	if [ -n "$RI" ]; then
		echo 0 >$RI/tracing_on
		rcpu=$(awk -v a="$t0" -v b="$t1" '
			/recompact_end:/ {
				for (i = 1; i <= NF; i++) {
					if ($i == "recompact_end:") ts = $(i - 1) + 0
					if ($i ~ /^duration_ns=/) { d = $i; sub(/^duration_ns=/, "", d) }
					if ($i ~ /^moved=/) { m = $i; sub(/^moved=/, "", m) }
				}
				if (ts < a || ts > b) next
				if ($1 ~ /^kworker/) { n++; s += d; mv += m; if (d > mx) mx = d }
				else { on++; os += d }
			}
			END { w = b - a; sh = 0
				if (w > 0) sh = s / 1e9 / w
				printf "{\"auto_runs\":%d,\"auto_cpu_s\":%.6f,\"auto_max_s\":%.6f,\"auto_moved\":%d,\"window_s\":%.2f,\"auto_cpu_share\":%.6f,\"other_runs\":%d,\"other_cpu_s\":%.6f}",
					n, s / 1e9, mx / 1e9, mv, w, sh, on, os / 1e9 }' $RI/trace)
		echo 0 >$RI/events/fragalloc/recompact_end/enable
	fi

	extfrag=-1
	if [ -d $EV ]; then
		echo 0 >$T/tracing_on
		echo 0 >$EV/enable
		extfrag=$(cat $T/per_cpu/cpu*/stats | awk '/^entries:/ { n += $2 } /^overrun:/ { n += $2 } END { print n + 0 }')
	fi

	# --- metrics, the driver still holding its memory ---
	note "metrics"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	# free blocks per order summed over the zones; unusable free space index
	buddy=$(awk '{ for (i = 5; i <= NF; i++) c[i - 5] += $i; if (NF - 4 > n) n = NF - 4 }
		END { s = ""; for (o = 0; o < n; o++) s = s (o ? "," : "") c[o]; print s }' /proc/buddyinfo)
	idx() {
		echo "$buddy" | awk -F, -v j="$1" '{
			m = 1
			for (o = 0; o < NF; o++) { p = $(o + 1) * m; m *= 2; tot += p; if (o >= j) ge += p }
			printf "%.4f", tot ? (tot - ge) / tot : 0 }'
	}
	u3=$(idx 3)
	u9=$(idx 9)
	unmov=$(awk '/^Number of blocks type/ { hdr = 1; next }
		hdr && /^Node/ { n += $5 } END { print n + 0 }' /proc/pagetypeinfo)
	recl=$(awk '/^Number of blocks type/ { hdr = 1; next }
		hdr && /^Node/ { n += $7 } END { print n + 0 }' /proc/pagetypeinfo)
	memfree=$(awk '/^MemFree:/ { print $2 }' /proc/meminfo)
	note "frag report"
	fragalloc frag --json >/tmp/frag.json 2>/dev/null || echo null >/tmp/frag.json
	cat /proc/buddyinfo
	# the probe takes every huge page it can, i.e. nearly all free memory:
	# read the count back with shell builtins only (no fork), or the next
	# process to fault a page in is OOM-killed before the pages are given
	# back (seen: `cat` killed, boot lost). From /proc/meminfo, a seq_file:
	# the builtin read takes a byte at a time, and a sysctl file such as
	# nr_hugepages returns only its first digit to 1-byte reads
	note "probe: before: $(probe_diag)"
	echo 1024 >/proc/sys/vm/nr_hugepages
	huge=
	while read -r k v _; do
		[ "$k" = HugePages_Total: ] && huge=$v
	done </proc/meminfo
	echo 0 >/proc/sys/vm/nr_hugepages
	note "probe: $huge huge pages; after: $(probe_diag)"
	if [ -z "$huge" ]; then
		note "huge-page probe: no HugePages_Total in /proc/meminfo"
		exit 1
	fi
	share=$(awk -v h="$huge" -v f="$memfree" 'BEGIN { printf "%.4f", f ? h / (f / 2048) : 0 }')
	# The kernel's judge (tools/testing/selftests/mm/compaction_test), run
	# here: the churn is over (waited for above), the driver still holds
	# its memory. It mlocks 100 MB maps until it has 80% of MemFree,
	# rounded UP to 100 MB (up to 80% + 100 MB), then unmaps every other
	# one and asks for huge pages. In a 1 GiB guest holding A's 360 MB,
	# MemFree is ~520 MB: it mlocked 500 MB and was OOM-killed in every
	# strategy, plain's included (2026-12-01). With 1.25 GiB MemFree was
	# >= ~770 MB, and 20% of it less the rounding left 56-150 MB: too
	# little once fallbacks had boosted the watermarks (highorder, A:
	# 68 MB free against a boosted min of 69 MB, compaction_test killed,
	# 2026-12-01, kernels booted without page poisoning). The guests have
	# 1.5 GiB (scripts/bench.sh): what is left is then >= ~100 MB.
	ct=-1 ct_rc=-1 ct_free=0
	if [ "$CTEST" = 1 ] && [ -x "$BIN/compaction_test" ]; then
		while read -r k v _; do [ "$k" = MemFree: ] && ct_free=$v; done </proc/meminfo
		note "compaction_test"
		"$BIN/compaction_test" >/tmp/ct.log 2>&1
		ct_rc=$?
		while read -r a b c d e f g h i; do
			[ "$b $c $d $e $f $g" = "Number of huge pages allocated =" ] && ct=$h
		done </tmp/ct.log
		: "$a$i" # read's spare fields
		[ "$ct" = -1 ] && cat /tmp/ct.log
	fi
	oom=$(($(oom_kills) - oom_start))
	[ "$oom" -gt 0 ] && note "$oom OOM kill(s) in workload $WL"
	load=null
	[ -s /tmp/load.json ] && load=$(cat /tmp/load.json)
	samples=
	[ -s /tmp/samples.json ] && samples=$(awk 'NR > 1 { printf "," } { printf "%s", $0 }' /tmp/samples.json)
	result "{\"kind\":\"boot\",\"kver\":\"$(uname -r)\",\"workload\":\"$WL\",\"strategy\":\"$STRAT\",\"seed\":$SEED,\"cycles\":$CYCLES,\"load_wall_s\":$load_s,\"free_blocks\":[$buddy],\"unusable_3\":$u3,\"unusable_9\":$u9,\"unmovable_pageblocks\":$unmov,\"reclaimable_pageblocks\":$recl,\"memfree_kb\":$memfree,\"huge_obtained\":$huge,\"huge_share\":$share,\"compaction_test_huge\":$ct,\"compaction_test_rc\":$ct_rc,\"compaction_test_memfree_kb\":$ct_free,\"oom_kills\":$oom,\"recompact_cpu\":$rcpu,\"extfrag_events\":$extfrag,\"load\":$load,\"churn\":$churn,\"samples\":[$samples],\"frag\":$(cat /tmp/frag.json)}"

	kill "$wdog" 2>/dev/null
	if [ -n "$lpid" ]; then
		kill "$lpid"
		wait "$lpid"
	fi
	rm -rf /tmp/wc
}

for w in $(echo "$WLS" | tr , " "); do
	one "$w"
done
note "done"
exit 0
