// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the input bytes are an operation sequence (see ops.c)
 * run against the core with the simulated page source and the invariant
 * checker after every operation.
 */
#include <stdlib.h>
#include "core.h"
#include "ops.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	if (size > 4096)
		return 0;
	if (ops_run(data, size, 0, NULL))
		abort();
	return 0;
}
