#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# fuzz_check.sh - the fuzzer as one program of the VM check suite (busybox sh).
#
# The guest passes fa.args to every program of tests.list; this wrapper reads
# only the fuzzer's own options from them (-t SECONDS, -s SEED, -j THREADS,
# -m PAGES) and ignores the rest, so `run.sh --args "-t 600 -s 42"` (used by
# `make fuzz-vm SECONDS=600 SEED=42`) drives a long run. Default: 25 s, seed 1.

here=$(dirname "$0")
t=25 s=1 j='' m=''
while [ $# -gt 0 ]; do
	case $1 in
	-t) t=$2; shift 2 ;;
	-s) s=$2; shift 2 ;;
	-j) j=$2; shift 2 ;;
	-m) m=$2; shift 2 ;;
	*) shift ;;
	esac
done
exec "$here/fa_fuzz" -t "$t" -s "$s" ${j:+-j "$j"} ${m:+-m "$m"}
