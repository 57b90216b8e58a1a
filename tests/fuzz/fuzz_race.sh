#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# fuzz_race.sh - the fuzzer where use-after-free windows are widest (issue
# 11): freed pages go straight back to the buddy allocator
# (release_delay_ms=0, reserve_blocks=0), the automatic mode recompacts the
# pool after frees (auto_recompact_pct=101, every 10 ms), and a thread of
# its own fd issues pool-wide RECOMPACT back to back (fa_fuzz -r) while the
# workers free and range-free. The module's parameters are restored after.
# Reads -t SECONDS and -s SEED from the arguments like fuzz_check.sh
# (default 15 s, seed 2).

here=$(dirname "$0")
P=/sys/module/fragalloc/parameters
t=15 s=2
while [ $# -gt 0 ]; do
	case $1 in
	-t) t=$2; shift 2 ;;
	-s) s=$2; shift 2 ;;
	*) shift ;;
	esac
done
saved=
for p in release_delay_ms reserve_blocks auto_recompact_pct auto_recompact_interval_ms; do
	saved="$saved $p=$(cat "$P/$p")"
done
set_params() {
	for kv in "$@"; do
		echo "${kv#*=}" >"$P/${kv%%=*}" || echo "# cannot set ${kv%%=*}"
	done
}
set_params release_delay_ms=0 reserve_blocks=0 auto_recompact_pct=101 \
	auto_recompact_interval_ms=10
echo "# fuzz_race: release_delay_ms=0 reserve_blocks=0 auto_recompact_pct=101 auto_recompact_interval_ms=10, fa_fuzz -r"
"$here/fa_fuzz" -r -t "$t" -s "$s"
rc=$?
# shellcheck disable=SC2086 # a list of name=value words
set_params $saved
exit $rc
