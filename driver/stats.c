// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: the pool-wide statistics, as STATS, the in-kernel API and
 * debugfs report them.
 */
#include <linux/fragalloc.h>
#include <linux/mm.h>
#include <linux/mutex.h>

#include "fa.h"

/**
 * fa_fill_pool_stats() - fill the pool-wide out_ members of a STATS reply
 * @st: the reply; size, flags and the per-fd members (out_fd_*) are left
 *	alone, for the caller to set or zero
 *
 * Callers: the STATS ioctl (which adds the per-fd members), the in-kernel
 * fragalloc_get_stats(), debugfs, and anything else that reports the
 * pool-wide figures (a netlink reply, say), all with the same meaning.
 * Takes fa_dev.pool_lock itself, so the caller must not hold it; it may
 * hold any lock the order in fa.h puts before it (a file's lock, say). The
 * pool must exist: call only between fa_source_init() and fa_source_exit().
 * Sleeps.
 */
void fa_fill_pool_stats(struct fragalloc_stats *st)
{
	struct fa_pool_stats ps;
	unsigned int i;

	mutex_lock(&fa_dev.pool_lock);
	fa_pool_get_stats(fa_dev.pool, &ps);
	st->out_reclaimable_pages = fa_pool_reclaimable_pages(fa_dev.pool);
	st->out_recompact_runs = fa_dev.recompact_runs;
	st->out_recompact_moved = fa_dev.recompact_moved;
	st->out_auto_recompact_runs = fa_dev.auto_runs;
	st->out_auto_pages_released = fa_dev.auto_pages;
	st->out_shrink_runs = atomic64_read(&fa_dev.shrink_runs);
	st->out_shrink_pages = atomic64_read(&fa_dev.shrink_pages);
	st->out_shrink_blocks_broken = atomic64_read(&fa_dev.shrink_broken);
	mutex_unlock(&fa_dev.pool_lock);
	st->out_idle_pages = ps.reserve_blocks << pageblock_order;
	for (i = 0; i < FRAGALLOC_NR_MOBILITY; i++) {
		st->out_blocks[i] = ps.cls[i].blocks;
		st->out_pages_used[i] = ps.cls[i].pages_used;
		st->out_pages_free[i] = ps.cls[i].pages_free;
		st->out_loose_pages[i] = ps.cls[i].loose_pages;
		st->out_idle_pages += ps.cls[i].pages_free;
	}
	for (i = 0; i < FRAGALLOC_FILL_BUCKETS; i++)
		st->out_fill_hist[i] = ps.fill_hist[i];
	st->out_reserve_blocks = ps.reserve_blocks;
	st->out_fallbacks = ps.fallbacks;
	st->out_blocks_acquired = ps.blocks_acquired;
	st->out_blocks_released = ps.blocks_released;
	st->out_meta_bytes = ps.meta_bytes;
	st->out_other_pages = atomic_long_read(&fa_dev.other_pages);
}
