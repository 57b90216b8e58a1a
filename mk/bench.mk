# SPDX-License-Identifier: GPL-2.0
#
# The separate-boot benchmark (docs/BENCHMARKS.md, "Separate-boot benchmark"):
#   make bench          every strategy, 3 seeds, workloads B, C and A in one
#                       fresh 1.25 GiB / 2 vCPU guest per strategy and seed,
#                       each judged by the probe and the kernel's
#                       compaction_test, plus the speed boot
#                       (not in CI; ~20-25 min on a 2-core TCG host)
#   make bench-quick    1 seed, fewer cycles, same boots (< 8 min)
#   make bench-long     the long run: workload A for 200 cycles with the
#                       churn going the whole time, one fresh guest per
#                       strategy, metrics sampled every 10 cycles; tables in
#                       build/bench-long, charts in docs/bench/long-*.png
#                       (~60 min)
#   make bench-sweep    the automatic recompaction's thresholds: compact,
#                       workloads B and C, one boot per setting (~6 min)
# KERNEL=6.12 picks the kernel (default 6.1); SEEDS="1 2 3", CYCLES=N,
# BENCH_LOCK=FILE runs each boot under flock FILE (a shared VM lane).
# Both end with "bench: N passed, N failed" (structural passes only).
#   make bench-test     host test of the summary's bookkeeping
#                       (tests/bench/test_summarize.py, test_long.py; no VM,
#                       < 5 s)

bench:
	@$(TOP)/scripts/bench.sh full

bench-quick:
	@$(TOP)/scripts/bench.sh quick

bench-long:
	@BENCH_OUT=$${BENCH_OUT:-$(BUILD)/bench-long} \
		LONG_CHARTS=$${LONG_CHARTS:-$(TOP)/docs/bench} $(TOP)/scripts/bench.sh long

bench-sweep:
	@$(TOP)/scripts/bench.sh sweep

bench-test:
	@python3 $(TOP)/tests/bench/test_summarize.py
	@python3 $(TOP)/tests/bench/test_long.py

.PHONY: bench bench-quick bench-long bench-sweep bench-test
