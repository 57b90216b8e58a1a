// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: the in-kernel API, the 2015 alloc_pages_compact() proposal as a
 * module interface.
 */
#include <linux/export.h>
#include <linux/fragalloc_kapi.h>
#include <linux/mm.h>

#include "fa.h"

/**
 * fragalloc_alloc_pages() - allocate order-0 pages packed into few pageblocks
 * @mobility: &enum fragalloc_mobility; classes never share a pageblock
 * @flags: FRAGALLOC_ALLOC_BEST_EFFORT and/or FRAGALLOC_ALLOC_STRICT
 * @nr: pages wanted, at least 1
 * @pages: array of @nr entries that receives the pages
 *
 * The pages are zeroed, each with a reference count of one, and are not
 * moved by recompaction. Sleeps; killable. Without
 * FRAGALLOC_ALLOC_BEST_EFFORT the call is all-or-nothing.
 *
 * Return: the number of pages allocated (@nr unless
 * FRAGALLOC_ALLOC_BEST_EFFORT), -EINVAL for bad arguments, -ENOMEM, or
 * -EINTR when a fatal signal is pending.
 */
int fragalloc_alloc_pages(unsigned int mobility, unsigned int flags,
			  unsigned long nr, struct page **pages)
{
	unsigned long done = 0;
	int ret;

	if (mobility >= FRAGALLOC_NR_MOBILITY || !nr || nr > INT_MAX ||
	    (flags & ~FRAGALLOC_ALLOC_FLAGS_MASK))
		return -EINVAL;
	ret = fa_pages_alloc(FRAGALLOC_POLICY_COMPACT, mobility, flags, nr,
			     pages, &done);
	if (ret)
		return ret;
	atomic_long_add(done, &fa_dev.total_pages);
	return done;
}
EXPORT_SYMBOL_GPL(fragalloc_alloc_pages);

/**
 * fragalloc_free_pages() - free pages from fragalloc_alloc_pages()
 * @pages: the pages; NULL entries are skipped
 * @nr: entries in @pages
 *
 * A pageblock left empty goes back to the buddy allocator whole (beyond a
 * small reserve that a shrinker drains).
 */
void fragalloc_free_pages(struct page **pages, unsigned long nr)
{
	unsigned long i, present = 0;

	for (i = 0; i < nr; i++)
		present += !!pages[i];
	fa_pages_free(FRAGALLOC_POLICY_COMPACT, pages, nr);
	atomic_long_sub(present, &fa_dev.total_pages);
}
EXPORT_SYMBOL_GPL(fragalloc_free_pages);

/**
 * fa_fill_pool_stats() - fill the pool-wide out_ members of a STATS reply
 * @st: the reply; size, flags and the per-fd members are left alone
 */
void fa_fill_pool_stats(struct fragalloc_stats *st)
{
	struct fa_pool_stats ps;
	unsigned int i;

	mutex_lock(&fa_dev.pool_lock);
	fa_pool_get_stats(fa_dev.pool, &ps);
	st->out_recompact_runs = fa_dev.recompact_runs;
	st->out_recompact_moved = fa_dev.recompact_moved;
	st->out_auto_recompact_runs = fa_dev.auto_runs;
	mutex_unlock(&fa_dev.pool_lock);
	for (i = 0; i < FRAGALLOC_NR_MOBILITY; i++) {
		st->out_blocks[i] = ps.cls[i].blocks;
		st->out_pages_used[i] = ps.cls[i].pages_used;
		st->out_pages_free[i] = ps.cls[i].pages_free;
		st->out_loose_pages[i] = ps.cls[i].loose_pages;
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

/**
 * fragalloc_get_stats() - read the pool-wide statistics
 * @st: receives the figures; the per-fd members read zero
 */
void fragalloc_get_stats(struct fragalloc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	fa_fill_pool_stats(st);
}
EXPORT_SYMBOL_GPL(fragalloc_get_stats);
