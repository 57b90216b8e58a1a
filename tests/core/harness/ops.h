/* SPDX-License-Identifier: GPL-2.0 */
/* Byte-code driven operation sequences (property test and fuzzer). */
#ifndef OPS_H
#define OPS_H

#include <stddef.h>

struct ops_counters {
	unsigned long ops, allocs, alloc_fail, frees, plans, moves, loose;
	unsigned long zeroings;	/* blocks the harness zeroer put back */
};

/* Returns 0 when every invariant held, -1 otherwise. */
int ops_run(const unsigned char *data, size_t len, unsigned int block_order,
	    struct ops_counters *cnt);

#endif
