# SPDX-License-Identifier: GPL-2.0
#
# The separate-boot benchmark (docs/BENCHMARKS.md, "Separate-boot benchmark"):
#   make bench          every strategy, 3 seeds, workloads A and B each on a
#                       fresh 1 GiB / 2 vCPU guest, plus the speed boot
#                       (not in CI; ~20-25 min on a 2-core TCG host)
#   make bench-quick    1 seed, fewer cycles, B then A in one boot per
#                       strategy, plus the speed boot (< 5 min)
# KERNEL=6.12 picks the kernel (default 6.1); SEEDS="1 2 3", CYCLES=N.
# Both end with "bench: N passed, N failed" (structural passes only).
#   make bench-test     host test of the summary's bookkeeping
#                       (tests/bench/test_summarize.py; no VM, < 5 s)

bench:
	@$(TOP)/scripts/bench.sh full

bench-quick:
	@$(TOP)/scripts/bench.sh quick

bench-test:
	@python3 $(TOP)/tests/bench/test_summarize.py

.PHONY: bench bench-quick bench-test
