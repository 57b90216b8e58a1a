// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: the pool's page source, its reserve and its shrinker.
 *
 * The portable pool (core/pool.c), behind the compact policy (policy.c),
 * takes whole pageblocks from the buddy allocator and, when none can be had,
 * the largest smaller chunk. Empty pageblocks wait in its reserve for reuse.
 * A shrinker gives the pool's idle memory back under pressure (fa_reclaim():
 * the reserve, recompaction, then pageblocks split up).
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "fa.h"
#include "compat.h"

/* jiffies of the last whole-pageblock allocation that failed trying hard */
static unsigned long fa_hard_fail;

static int fa_src_get(void *ctx, unsigned int order, unsigned long *pfn)
{
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	struct page *page;

	/*
	 * Partial pageblocks: one try, compaction allowed, no OOM killer.
	 * Single pages: retry hard but still fail rather than kill.
	 */
	gfp |= order ? __GFP_NORETRY : __GFP_RETRY_MAYFAIL;
	page = alloc_pages(gfp, order);
	/*
	 * A whole pageblock is worth more effort than the loose pages taken
	 * instead: try once more with reclaim and synchronous compaction,
	 * unless such a try failed within the last second.
	 */
	if (!page && order == pageblock_order &&
	    time_after(jiffies, READ_ONCE(fa_hard_fail) + HZ)) {
		page = alloc_pages(GFP_KERNEL | __GFP_NOWARN |
				   __GFP_RETRY_MAYFAIL, order);
		if (!page)
			WRITE_ONCE(fa_hard_fail, jiffies);
	}
	if (!page)
		return -ENOMEM;
	if (order)
		split_page(page, order);
	*pfn = page_to_pfn(page);
	return 0;
}

static void fa_src_put(void *ctx, unsigned long pfn, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++)
		__free_page(pfn_to_page(pfn + i));
}

static bool fa_src_should_stop(void *ctx)
{
	cond_resched();
	return fatal_signal_pending(current);
}

static const struct fa_source_ops fa_buddy_source = {
	.get = fa_src_get,
	.put = fa_src_put,
	.should_stop = fa_src_should_stop,
};

/*
 * The pool's reclaim. Count: what it could give back now (the reserve, and
 * every free page of its blocks but those of each class's fullest partial
 * block). Scan: fa_reclaim(), with trylocks only. The last count is kept
 * for when the pool lock is busy: a count must not wait either.
 */
static unsigned long fa_shrink_last;

static unsigned long fa_shrink_count(struct shrinker *s,
				     struct shrink_control *sc)
{
	unsigned long n;

	if (!mutex_trylock(&fa_dev.pool_lock))
		return READ_ONCE(fa_shrink_last);
	n = fa_dev.pool ? fa_pool_reclaimable_pages(fa_dev.pool) : 0;
	mutex_unlock(&fa_dev.pool_lock);
	WRITE_ONCE(fa_shrink_last, n);
	return n ?: SHRINK_EMPTY;
}

static unsigned long fa_shrink_scan(struct shrinker *s,
				    struct shrink_control *sc)
{
	bool contended;
	unsigned long freed;

	/*
	 * Direct reclaim: an allocation is waiting, and the retry logic that
	 * decides on the OOM killer does not know this memory exists. Give
	 * back at least half of what is reclaimable now, not a batch.
	 */
	freed = fa_reclaim(sc->nr_to_scan, !current_is_kswapd(), &contended);

	fa_account_reclaimed(freed);
	/*
	 * What was given back counts as scanned: one greedy call ends the
	 * pass (do_shrink_slab() loops while what it asked for lasts).
	 */
	sc->nr_scanned = max(sc->nr_to_scan, freed);
	return freed ?: SHRINK_STOP;
}

/*
 * Empty pageblocks beyond reserve_blocks wait release_delay_ms in the pool's
 * reserve, so that a free followed by an allocation reuses them instead of
 * giving them back and taking others (each new pageblock is an order-9
 * allocation that may compact, and the given-back one stays marked
 * unmovable). The shrinker drains the reserve at any time.
 */
static void fa_trim_work_fn(struct work_struct *work)
{
	unsigned long now;

	mutex_lock(&fa_dev.pool_lock);
	if (fa_dev.pool) {
		now = fa_pool_reserve_blocks(fa_dev.pool);
		if (now > READ_ONCE(fa_reserve_blocks))
			fa_pool_trim(fa_dev.pool,
				     now - READ_ONCE(fa_reserve_blocks));
	}
	mutex_unlock(&fa_dev.pool_lock);
}

/**
 * fa_reserve_kick() - schedule the release of empty pageblocks beyond the
 * reserve; called after frees, with no fragalloc lock held
 */
void fa_reserve_kick(void)
{
	/*
	 * Queued under the pool lock: once fa_source_exit() has cleared
	 * fa_dev.pool, nothing (a parameter write racing rmmod included)
	 * queues the work again.
	 */
	mutex_lock(&fa_dev.pool_lock);
	if (fa_dev.pool &&
	    fa_pool_reserve_blocks(fa_dev.pool) > READ_ONCE(fa_reserve_blocks))
		mod_delayed_work(system_wq, &fa_dev.trim_work,
				 msecs_to_jiffies(READ_ONCE(fa_release_delay_ms)));
	mutex_unlock(&fa_dev.pool_lock);
}

/* The core's reserve limit: the floor, or everything while a delay is set. */
static unsigned int fa_core_reserve(void)
{
	return READ_ONCE(fa_release_delay_ms) ? UINT_MAX :
						READ_ONCE(fa_reserve_blocks);
}

/**
 * fa_reserve_apply() - make new reserve_blocks / release_delay_ms values
 * take effect
 */
void fa_reserve_apply(void)
{
	mutex_lock(&fa_dev.pool_lock);
	if (fa_dev.pool)
		fa_pool_set_reserve(fa_dev.pool, fa_core_reserve());
	mutex_unlock(&fa_dev.pool_lock);
	fa_reserve_kick();
}

int fa_source_init(void)
{
	struct fa_pool_config cfg = {
		.block_order = pageblock_order,
		.reserve_blocks = fa_core_reserve(),
		.flags = FA_POOL_MOVABLE_MARKS,
	};

	INIT_DELAYED_WORK(&fa_dev.trim_work, fa_trim_work_fn);
	fa_dev.reclaim_moves = kvmalloc_array(FA_RECLAIM_MOVES,
					      sizeof(*fa_dev.reclaim_moves),
					      GFP_KERNEL);
	if (!fa_dev.reclaim_moves)
		return -ENOMEM;
	fa_dev.pool = fa_pool_create(&cfg, &fa_buddy_source, NULL);
	if (!fa_dev.pool) {
		kvfree(fa_dev.reclaim_moves);
		return -ENOMEM;
	}
	fa_dev.shrinker = fa_shrinker_create("fragalloc-pool",
					     fa_shrink_count, fa_shrink_scan);
	if (!fa_dev.shrinker) {
		fa_pool_destroy(fa_dev.pool);
		fa_dev.pool = NULL;
		kvfree(fa_dev.reclaim_moves);
		return -ENOMEM;
	}
	return 0;
}

void fa_source_exit(void)
{
	struct fa_pool *pool;

	fa_shrinker_destroy(fa_dev.shrinker);
	/* A parameter write may race this: it finds no pool from now on. */
	mutex_lock(&fa_dev.pool_lock);
	pool = fa_dev.pool;
	fa_dev.pool = NULL;
	mutex_unlock(&fa_dev.pool_lock);
	cancel_delayed_work_sync(&fa_dev.trim_work);
	fa_pool_destroy(pool);
	kvfree(fa_dev.reclaim_moves);
}
