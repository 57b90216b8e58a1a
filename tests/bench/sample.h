/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The long-run benchmark's sampler (`make bench-long`, fa_load --sample-every):
 * the metrics of one point in time, the driver still holding its memory.
 */
#ifndef FA_BENCH_SAMPLE_H
#define FA_BENCH_SAMPLE_H

#include <stdint.h>
#include <stdio.h>

struct fa_sample_ctx {
	const char *freeze;	/* cgroup v2 dir of the churn, or NULL */
	unsigned int pb_order;	/* pageblock order (INFO) */
	uint64_t cycle;		/* cycles done */
	double t_s;		/* seconds since the load started */
	const uint64_t *pfns;	/* the load's present pages */
	size_t nr_pfns;
	/* the pool's figures (STATS), -1 when there is no driver load */
	int64_t pool_blocks, pool_reserve, auto_runs;
};

/*
 * Freezes the churn (ctx->freeze), drops the caches as the end-of-run
 * measurement does, reads /proc/kpageflags (pollution, the load's part),
 * /proc/buddyinfo (unusable index at order 3), the extfrag events so far
 * (the tracing buffer's per-CPU stats), the huge pages a one-shot hugetlb
 * request obtains, then the same after compact_memory, thaws the churn and writes one JSON object (one line) to
 * @out. 0, or -errno of the first source that failed.
 */
int fa_sample(FILE *out, const struct fa_sample_ctx *ctx);

#endif
