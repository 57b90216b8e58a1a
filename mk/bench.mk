# SPDX-License-Identifier: GPL-2.0
#
# The separate-boot benchmark (docs/BENCHMARKS.md, "Separate-boot benchmark"):
#   make bench          every strategy, 3 seeds, workloads B, C and A in one
#                       fresh 1.25 GiB / 2 vCPU guest per strategy and seed,
#                       each judged by the probe and the kernel's
#                       compaction_test, plus the speed boot
#                       (not in CI; ~20-25 min on a 2-core TCG host)
#   make bench-quick    1 seed, fewer cycles, same boots (< 8 min)
#   make bench-sweep    the automatic recompaction's thresholds: compact,
#                       workloads B and C, one boot per setting (~6 min)
# KERNEL=6.12 picks the kernel (default 6.1); SEEDS="1 2 3", CYCLES=N,
# BENCH_LOCK=FILE runs each boot under flock FILE (a shared VM lane).
# Both end with "bench: N passed, N failed" (structural passes only).
#   make bench-test     host test of the summary's bookkeeping
#                       (tests/bench/test_summarize.py; no VM, < 5 s)

bench:
	@$(TOP)/scripts/bench.sh full

bench-quick:
	@$(TOP)/scripts/bench.sh quick

bench-sweep:
	@$(TOP)/scripts/bench.sh sweep

bench-test:
	@python3 $(TOP)/tests/bench/test_summarize.py

.PHONY: bench bench-quick bench-sweep bench-test
