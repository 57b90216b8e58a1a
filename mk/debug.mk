# SPDX-License-Identifier: GPL-2.0
#
# The robustness lane (docs/ROBUSTNESS.md):
#   make debug-kernel              build (once per machine) the KASAN/lockdep/
#                                  kmemleak/fault-injection kernel
#   make check-debug               selftests + kapi + fuzzer on it
#   make fuzz-vm SECONDS=600 SEED=7  a long fuzzer run on a stock kernel
#                                  (FA_FUZZ_KVER=... picks the kernel)
#   make soak MINUTES=30           fuzzer + recompaction rounds on the debug kernel
# Each ends with one line "N passed, N failed, N skipped" (check-debug: the
# skipped count must match tests/gates/expected-skips).

SECONDS	?= 300
SEED	?= 1
MINUTES	?= 10

debug-kernel:
	@$(TOP)/scripts/debug-kernel.sh && echo "1 passed, 0 failed" || \
		{ echo "0 passed, 1 failed"; exit 1; }

check-debug:
	@$(TOP)/tests/vm/robust.sh check-debug

fuzz-vm:
	@$(TOP)/tests/vm/robust.sh fuzz-vm $(SECONDS) $(SEED)

soak:
	@$(TOP)/tests/vm/robust.sh soak $(MINUTES)

.PHONY: debug-kernel check-debug fuzz-vm soak
