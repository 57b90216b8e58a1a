#!/bin/sh
# SPDX-License-Identifier: MIT
#
# CLI tests inside the VM, with the module loaded (busybox sh; no bash, no
# python). JSON validity is checked with the static tests/cli/jsoncheck.
#
#   FRAGALLOC=/bin/fragalloc-static JSONCHECK=/bin/jsoncheck sh guest_cli_test.sh
#
# Prints TAP ("ok N - name"), then "1..N" and, as the last line,
# "guest-cli: N passed, N failed, N skipped" (a SKIP is "ok N - name # SKIP
# reason", counted as skipped, not passed). Exit 1 on failure.

# shellcheck disable=SC2015 # ok and nok return 0: "C && ok X || nok X" is if-then-else
FA=${FRAGALLOC:-fragalloc}
JC=${JSONCHECK:-jsoncheck}
T=${TMPDIR:-/tmp}/fa-cli.$$
mkdir -p "$T" || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
TAP_TMP=$T
# the TAP helper: TAP_SH where scripts/stage-vm.sh staged it, else the tree's
# shellcheck source=tests/tap.sh
. "${TAP_SH:-$(dirname "$0")/../tap.sh}"

# tj NAME KEYS CMD... : exit 0 and valid JSON with top-level KEYS
tj() {
	name=$1 keys=$2; shift 2
	run "$@"
	# shellcheck disable=SC2086 # $keys: one argument per key
	if [ "$rc" -ne 0 ]; then
		echo "# exit $rc"; nok "$name"
	elif ! "$JC" $keys <"$T/out" 2>>"$T/err"; then
		nok "$name"
	else
		ok "$name"
	fi
}

# value of a numeric top-level-ish key in compact JSON: jnum KEY < file
jnum() { sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p" | head -n 1; }

if [ ! -c /dev/fragalloc ]; then
	echo "Bail out! /dev/fragalloc missing (is the module loaded?)"
	echo "guest-cli: 0 passed, 1 failed"
	exit 1
fi

# --- basics
expect_rc 0 "version" "$FA" version
tj "version --json" "version libfragalloc abi_version" "$FA" version --json
expect_rc 0 "help" "$FA" help
expect_rc 2 "no command -> 2" "$FA"
expect_rc 2 "unknown command -> 2" "$FA" frobnicate

# --- info
expect_rc 0 "info" "$FA" info
has "info shows ABI version" "abi version:"
tj "info --json" "abi_version page_size pageblock_order features max_batch_pages max_fd_pages max_total_pages" "$FA" info --json
[ "$(jnum abi_version <"$T/out")" = 1 ] && ok "module ABI version is 1" || nok "module ABI version is 1"
tj "info --pretty" "abi_version" "$FA" info --pretty
tj "global --json before command" "abi_version" "$FA" --json inf
psz=$("$FA" info --json | jnum page_size)
[ -n "$psz" ] && [ "$psz" -ge 4096 ] && ok "page size reported ($psz)" || nok "page size reported"

# --- stats
expect_rc 0 "stats" "$FA" stats
has "stats table" "pages_used"
tj "stats --json" "blocks pages_used pages_free loose_pages fill_hist fd_batches fd_pages" "$FA" stats --json
if command -v timeout >/dev/null 2>&1; then
	timeout 2 "$FA" stats --watch 0.5 --json >"$T/out" 2>"$T/err"
	lines=$(wc -l <"$T/out")
	if [ "$lines" -ge 2 ] && "$JC" blocks <"$T/out"; then ok "stats --watch --json: NDJSON ($lines objects)"; else nok "stats --watch --json"; fi
else
	skip "stats --watch --json" "no timeout applet"
fi

# --- frag
expect_rc 0 "frag" "$FA" frag
has "frag index rows" "unusable idx"
tj "frag --json" "zones migrate_types pagetypeinfo pageblock_order" "$FA" frag --json
expect_rc 0 "frag --brief" "$FA" frag --brief

# --- frag --blocks / --map: pageblock pollution from /proc/kpageflags
# "own" of compact JSON: pages pages_found blocks polluted polluted_only_by_own
own4() { sed -n 's/.*"own":{"pages":\([0-9]*\),"pages_found":\([0-9]*\),"blocks":\([0-9]*\),"polluted":\([0-9]*\),"polluted_only_by_own":\([0-9]*\)}.*/\1 \2 \3 \4 \5/p' "$T/out"; }
batch4() { sed -n 's/.*"batch":{"handle":[0-9]*,"nr_pages":\([0-9]*\),"nr_blocks":\([0-9]*\),"nr_loose":\([0-9]*\).*/\1 \2 \3/p' "$T/out"; }
# top-level class counts: cls blocks|map_blocks (the zones have the same keys:
# the top-level "blocks" follows "memory_blocks", "map_blocks" precedes
# "polluted")
cls() {
	case $1 in
	blocks) pre='"memory_blocks":[0-9]*,"blocks":' post='' ;;
	*) pre='"map_blocks":' post=',"polluted":[0-9]' ;;
	esac
	sed -n "s/.*$pre{\"absent\":\([0-9]*\),\"free\":\([0-9]*\),\"movable\":\([0-9]*\),\"polluted\":\([0-9]*\),\"pool\":\([0-9]*\),\"loose\":\([0-9]*\)}$post.*/\1 \2 \3 \4 \5 \6/p" "$T/out" | head -n 1
}
if [ -r /proc/kpageflags ]; then
	tj "frag --blocks --json" "pageblock_order blocks map_blocks polluted polluted_share own pool zones" "$FA" frag --blocks --json
	# shellcheck disable=SC2046 # word splitting wanted
	set -- $(cls blocks) "$(jnum memory_blocks <"$T/out")" "$(jnum nr_blocks <"$T/out")"
	if [ $# -eq 8 ] && [ $(($2 + $3 + $4)) -eq "$7" ] && [ $(($1 + $7)) -eq "$8" ] && [ "$7" -gt 0 ]; then
		ok "frag --blocks: free $2 + movable $3 + polluted $4 = $7 pageblocks with memory"
	else
		echo "# blocks: $*"; nok "frag --blocks: classes add up"
	fi
	free=$(sed -n 's/.*"pages":{"free":\([0-9]*\),"lru":[0-9]*,"other":[0-9]*,"buddyinfo_free":\([0-9]*\)}.*/\1 \2/p' "$T/out")
	# shellcheck disable=SC2086
	set -- $free
	# kpageflags marks free buddy tails too: its free pages match buddyinfo's
	# (read a moment apart) within 2% of memory
	mem=$(( $(jnum memory_blocks <"$T/out") * $(jnum pages_per_block <"$T/out") ))
	if [ $# -eq 2 ] && [ $(( ($1 - $2) * ($1 - $2) )) -le $(( (mem / 50) * (mem / 50) )) ]; then
		ok "free pages from kpageflags ($1) match buddyinfo ($2)"
	else
		echo "# free: $free mem $mem"; nok "free pages from kpageflags match buddyinfo"
	fi
	for spec in "8M compact" "1M plain"; do
		sz=${spec% *} pol=${spec#* }
		tj "frag --blocks --alloc $sz --policy $pol" "batch own map_blocks" "$FA" frag --blocks --map --alloc "$sz" --policy "$pol" --json
		read -r b_pages b_blocks b_loose <<EOF
$(batch4)
EOF
		read -r o_pages o_found o_blocks o_pol o_only <<EOF
$(own4)
EOF
		read -r m_abs m_free m_mov m_pol m_pool m_loose <<EOF
$(cls map_blocks)
EOF
		polluted=$(cls blocks | cut -d" " -f4)
		vals="batch $b_pages/$b_blocks/$b_loose own $o_pages/$o_found/$o_blocks/$o_pol/$o_only map $m_abs/$m_free/$m_mov/$m_pol/$m_pool/$m_loose polluted $polluted"
		if [ -n "$m_loose" ] && [ -n "$polluted" ] && [ "$b_pages" -eq "$o_pages" ] &&
		   [ "$o_found" -eq "$o_pages" ] && [ "$o_blocks" -eq "$b_blocks" ] &&
		   [ "$o_pol" -eq "$o_blocks" ] && [ "$polluted" -ge "$o_pol" ] &&
		   [ $((m_pool + m_loose)) -ge "$o_blocks" ]; then
			ok "$pol batch: $b_pages pages in $b_blocks pageblocks (BATCH_INFO) = own pages $o_pages in $o_blocks blocks, all polluted ($o_only only by it); map pool $m_pool, loose $m_loose"
		else
			echo "# $vals"; nok "$pol batch: kpageflags counts match BATCH_INFO"
		fi
		if [ "$pol" = compact ]; then
			[ "${m_pool:-0}" -ge 4 ] && ok "compact 8M: at least 4 pool pageblocks on the map ($m_pool)" || nok "compact 8M: at least 4 pool pageblocks on the map ($m_pool)"
			[ "${o_only:-0}" -ge 4 ] && ok "compact 8M: at least 4 blocks polluted only by the batch ($o_only)" || nok "compact 8M: at least 4 blocks polluted only by the batch ($o_only)"
		else
			[ "${m_loose:-0}" -ge 1 ] && ok "plain 1M: loose pageblocks on the map ($m_loose)" || nok "plain 1M: loose pageblocks on the map ($m_loose)"
		fi
	done
	expect_rc 0 "frag --map (text)" "$FA" frag --map --alloc 4M
	has "text map has pool cells" "P"
	has "text map names the batch" "own pages: 1024 (1024 found)"
	if command -v gnuplot >/dev/null 2>&1; then
		skip "frag --map --png without gnuplot" "gnuplot installed"
	else
		expect_rc 1 "frag --map --png without gnuplot -> 1" "$FA" frag --map --png "$T/m.png"
		has "--map --png: install hint" "gnuplot-nox" "$T/err"
	fi
	if command -v su >/dev/null 2>&1 && id fauser >/dev/null 2>&1; then
		expect_rc 1 "frag --blocks as uid 1000 -> 1" su -s /bin/sh fauser -c "$FA frag --blocks"
		has "frag --blocks as uid 1000: needs root" "the pageblock classes need root" "$T/err"
		if [ -s "$T/out" ]; then nok "frag --blocks as uid 1000: no number printed"; else ok "frag --blocks as uid 1000: no number printed"; fi
	else
		skip "frag --blocks as uid 1000 -> 1" "no su or no fauser"
		skip "frag --blocks as uid 1000: needs root" "no su or no fauser"
		skip "frag --blocks as uid 1000: no number printed" "no su or no fauser"
	fi
else
	skip "frag --blocks" "/proc/kpageflags not readable"
fi

# --- alloc: classes and policies
for cls in unmovable reclaimable movable; do
	tj "alloc -n 64 --class $cls" "handle nr_pages nr_blocks nr_loose mmap_offset class policy" \
		"$FA" alloc -n 64 --class "$cls" --json
	has "alloc class $cls echoed" "\"class\":\"$cls\""
done
for pol in compact plain bulk highorder movable; do
	tj "alloc --size 2M --policy $pol" "handle nr_pages" "$FA" alloc --size 2M --policy "$pol" --json
	[ "$(jnum nr_pages <"$T/out")" = $((2097152 / psz)) ] && ok "policy $pol: full batch" || nok "policy $pol: full batch"
done
expect_rc 0 "alloc text output" "$FA" alloc -n 16
has "alloc text names the batch" "batch "
tj "alloc --fill 0xa5 (mmap, write, verify)" "handle" "$FA" alloc --size 1M --fill 0xa5 --json
has "alloc --fill reported" "\"filled\":true"
expect_rc 0 "alloc --fill string pattern" "$FA" alloc -n 33 --fill fragalloc
has "fill verified" "filled and verified"
expect_rc 0 "alloc --strict (compact)" "$FA" alloc -n 512 --strict
expect_rc 1 "alloc --strict with plain -> 1 (EINVAL)" "$FA" alloc -n 16 --strict --policy plain
has "strict+plain: invalid argument message" "invalid argument" "$T/err"
expect_rc 0 "alloc --best-effort" "$FA" alloc -n 128 --best-effort
expect_rc 0 "alloc --hold 1" "$FA" alloc -n 64 --hold 1
expect_rc 0 "alloc prefix command 'al'" "$FA" al -n 8
expect_rc 2 "alloc without size -> 2" "$FA" alloc
expect_rc 2 "alloc bad class -> 2" "$FA" alloc -n 1 --class glue

# held memory is visible pool-wide while alloc --hold runs, gone after
"$FA" alloc --size 4M --hold 3 >/dev/null 2>&1 &
apid=$!
sleep 1
used=$("$FA" stats --json | sed -n 's/.*"pages_used":{"unmovable":\([0-9]*\).*/\1/p')
if [ -n "$used" ] && [ "$used" -ge $((4194304 / psz)) ]; then ok "held batch counted in pool stats ($used pages)"; else echo "# used=$used"; nok "held batch counted in pool stats"; fi
kill -INT "$apid" 2>/dev/null
if wait "$apid"; then ok "alloc --hold ends cleanly on SIGINT"; else nok "alloc --hold ends cleanly on SIGINT"; fi
used=$("$FA" stats --json | sed -n 's/.*"pages_used":{"unmovable":\([0-9]*\).*/\1/p')
[ "$used" = 0 ] && ok "pages returned after exit" || { echo "# used=$used"; nok "pages returned after exit"; }

# --- recompact
tj "recompact --dry-run" "scope dry_run pages_planned pages_moved blocks_before blocks_after" "$FA" recompact --dry-run --json
tj "recompact (pool)" "pages_moved blocks_released" "$FA" recompact --json
tj "recompact --scope fd" "pages_moved" "$FA" recompact --scope fd --json
tj "recompact --max-pages 10" "pages_moved" "$FA" recompact --max-pages 10 --json
expect_rc 0 "recompact text" "$FA" recompact --dry-run
has "recompact text line" "recompact (pool, dry run)"
expect_rc 2 "recompact bad scope -> 2" "$FA" recompact --scope everything

# --- stress
tj "stress small --json" "params cycles_done allocs alloc_failures frees range_frees reports" \
	"$FA" stress --batch 1M --total 8M --cycles 3 --seed 7 --json
[ "$(jnum cycles_done <"$T/out")" = 3 ] && ok "stress ran 3 cycles" || nok "stress ran 3 cycles"
has "stress before/after reports" "\"after_free\""
expect_rc 0 "stress text" "$FA" stress --batch 1M --total 8M --cycles 4 --seed 11
cp "$T/out" "$T/s1"
has "stress text has summary" "stress: 4/4 cycles, seed 11"
expect_rc 0 "stress same seed again" "$FA" stress --batch 1M --total 8M --cycles 4 --seed 11
if [ "$(grep '^stress:' "$T/s1")" = "$(grep '^stress:' "$T/out")" ]; then ok "stress is deterministic for a seed"; else nok "stress is deterministic for a seed"; fi
expect_rc 0 "stress --recompact" "$FA" stress --batch 1M --total 8M --cycles 3 --seed 3 --recompact
has "stress recompact line" "recompact: moved"
for pol in plain bulk highorder movable; do
	expect_rc 0 "stress --policy $pol" "$FA" stress --batch 1M --total 4M --cycles 2 --policy "$pol"
done
expect_rc 0 "stress --free-ratio 1" "$FA" stress --batch 512K --total 4M --cycles 2 --free-ratio 1
"$FA" stress --batch 1M --total 4M --cycles 1 --keep >"$T/out" 2>"$T/err" &
spid=$!
sleep 2
used=$("$FA" stats --json | sed -n 's/.*"pages_used":{"unmovable":\([0-9]*\).*/\1/p')
if [ -n "$used" ] && [ "$used" -gt 0 ]; then ok "stress --keep holds memory ($used pages)"; else nok "stress --keep holds memory"; fi
kill -TERM "$spid"
if wait "$spid"; then ok "stress --keep frees and exits 0 on SIGTERM"; else nok "stress --keep frees and exits 0 on SIGTERM"; fi
expect_rc 2 "stress bad ratio -> 2" "$FA" stress --free-ratio 0

# --- error paths with hints
expect_rc 1 "missing device -> 1" "$FA" info --device /dev/nonexistent
has "missing device hint" "hint: is the module loaded? (modprobe fragalloc)" "$T/err"
mp=/sys/module/fragalloc/parameters/max_fd_pages
if [ -w "$mp" ]; then
	old=$(cat "$mp")
	echo 16 >"$mp"
	expect_rc 1 "over max_fd_pages -> 1 (ENOSPC)" "$FA" alloc -n 64
	has "ENOSPC hint names the parameter" "max_fd_pages" "$T/err"
	echo "$old" >"$mp"
else
	skip "over max_fd_pages -> 1 (ENOSPC)" "$mp not writable"
	skip "ENOSPC hint names the parameter" "$mp not writable"
fi
big=$("$FA" info --json | jnum max_batch_pages)
if [ -n "$big" ] && [ "$big" -gt 0 ]; then
	expect_rc 1 "batch over max_batch_pages -> 1" "$FA" alloc -n $((big + 1))
else
	skip "batch over max_batch_pages -> 1" "no max_batch_pages"
fi

# --- monitor: live events over the module's generic netlink family. A
# module without the netlink side (or a tool without libnl) must give the
# documented error instead; the "# monitor:" line says which case ran.
run "$FA" monitor --json --count 1 --timeout 1
if [ "$rc" -eq 1 ] && grep -qF '"errno":2' "$T/out"; then
	echo "# monitor: no generic netlink family \"fragalloc\" in this module: checking the error"
	has "monitor without the family -> exit 1, JSON error with the modprobe hint" \
		'"hint":"is the module loaded? (modprobe fragalloc)"'
	expect_rc 1 "monitor without the family (text) -> 1" "$FA" monitor --count 1 --timeout 1
	has "monitor without the family names it" 'no generic netlink family "fragalloc"' "$T/err"
elif [ "$rc" -eq 1 ] && grep -qF 'this kernel has no generic netlink' "$T/out"; then
	echo "# monitor: this kernel has no netlink (CONFIG_NET off): checking the error"
	ok "monitor on a kernel without netlink -> exit 1, JSON error saying so"
	expect_rc 1 "monitor on a kernel without netlink (text) -> 1" "$FA" monitor --count 1 --timeout 1
	has "monitor without netlink names the missing config" "CONFIG_NET" "$T/err"
elif [ "$rc" -eq 1 ] && grep -qF 'built without libnl-genl-3' "$T/out"; then
	echo "# monitor: this fragalloc was built without libnl: checking the error"
	ok "monitor without libnl -> exit 1, JSON error saying so"
	expect_rc 1 "monitor without libnl (text) -> 1" "$FA" monitor --count 1 --timeout 1
elif [ "$rc" -eq 0 ]; then
	echo "# monitor: the family is there: checking the events"
	"$FA" monitor --json --count 2 --timeout 30 >"$T/mon" 2>"$T/monerr" &
	mpid=$!
	sleep 1	# subscribed before the load starts
	i=0
	while [ $i -lt 15 ] && kill -0 "$mpid" 2>/dev/null; do
		"$FA" alloc -n 512 >/dev/null 2>&1
		sleep 1
		i=$((i + 1))
	done
	if wait "$mpid"; then ok "monitor --json --count 2 --timeout 30 exits 0"; else nok "monitor --json --count 2 --timeout 30 exits 0"; fi
	cp "$T/mon" "$T/out"
	if "$JC" time time_ns kind count <"$T/mon" 2>>"$T/err"; then ok "monitor --json: valid NDJSON, events with time, time_ns, kind, count"; else nok "monitor --json: valid NDJSON"; fi
	[ "$(grep -c '"kind":' "$T/mon")" -eq 2 ] && ok "monitor --count 2: two event lines" || nok "monitor --count 2: two event lines"
	has "monitor saw the allocations" '"kind":"alloc"' "$T/mon"
	has "monitor summary: stopped by the count" '"reason":"count"' "$T/mon"
	"$FA" monitor >"$T/out" 2>"$T/err" &
	mpid=$!
	sleep 1
	kill -INT "$mpid"
	if wait "$mpid"; then ok "monitor exits 0 on SIGINT"; else nok "monitor exits 0 on SIGINT"; fi
	has "monitor prints a summary on SIGINT" "(signal)"
else
	echo "# monitor: exit $rc"
	nok "monitor --json --count 1 --timeout 1: exit 0, or 1 with the documented error"
fi

tap_done guest-cli
