// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: page sources.
 *
 * The compact policy takes whole pageblocks from the buddy allocator for the
 * portable pool (core/pool.c) and, when none can be had, the largest smaller
 * chunk. The other policies exist for comparison and allocate the way common
 * drivers do. A shrinker gives the pool's idle memory back under pressure
 * (fa_reclaim(): the reserve, recompaction, then pageblocks split up).
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "fa.h"
#include "compat.h"

#define FA_CHUNK_PAGES	BIT(pageblock_order)

/* Orders tried by the highorder policy, as the dma-buf system heap does. */
static const unsigned int fa_highorders[] = { 8, 4, 0 };

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

/* Pool pages: zero them and clear the owner fields of their last use. */
static void fa_prep_pool_pages(struct page **pages, const unsigned long *pfns,
			       unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++) {
		pages[i] = pfn_to_page(pfns[i]);
		set_page_private(pages[i], 0);
		clear_highpage(pages[i]);
	}
}

static int fa_alloc_compact(unsigned int mobility, unsigned int flags,
			    unsigned long nr, struct page **pages,
			    unsigned long *nr_done)
{
	unsigned int core_flags = 0;
	unsigned long done = 0, chunk = FA_CHUNK_PAGES;
	unsigned long *pfns;
	int ret = 0;

	if (flags & FRAGALLOC_ALLOC_STRICT)
		core_flags |= FA_ALLOC_STRICT;
	pfns = kmalloc_array(FA_CHUNK_PAGES, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;

	while (done < nr) {
		unsigned long n = min(chunk, nr - done);

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		mutex_lock(&fa_dev.pool_lock);
		ret = fa_pool_alloc(fa_dev.pool, mobility, n, pfns, core_flags,
				    NULL);
		mutex_unlock(&fa_dev.pool_lock);
		if (ret == -ENOMEM && (flags & FRAGALLOC_ALLOC_BEST_EFFORT) &&
		    chunk > 1) {
			/* Take what fits: halve the request and go on. */
			chunk /= 2;
			ret = 0;
			continue;
		}
		if (ret)
			break;
		fa_prep_pool_pages(pages + done, pfns, n);
		done += n;
		cond_resched();
	}
	kfree(pfns);

	if (ret && ret != -EINTR && (flags & FRAGALLOC_ALLOC_BEST_EFFORT) &&
	    done)
		ret = 0;
	if (ret) {
		fa_pages_free(FRAGALLOC_POLICY_COMPACT, pages, done);
		return ret;
	}
	*nr_done = done;
	return 0;
}

static gfp_t fa_user_gfp(void)
{
	return GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN | __GFP_RETRY_MAYFAIL;
}

static struct page *fa_alloc_highorder_chunk(unsigned long left,
					     unsigned int *order)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fa_highorders); i++) {
		unsigned int o = fa_highorders[i];
		gfp_t gfp = fa_user_gfp();
		struct page *page;

		if ((1UL << o) > left)
			continue;
		if (o)
			gfp = (gfp & ~__GFP_RETRY_MAYFAIL) | __GFP_NORETRY;
		page = alloc_pages(gfp, o);
		if (page) {
			if (o)
				split_page(page, o);
			*order = o;
			return page;
		}
	}
	return NULL;
}

static int fa_alloc_other(unsigned int policy, unsigned int flags,
			  unsigned long nr, struct page **pages,
			  unsigned long *nr_done)
{
	unsigned long done = 0;
	int ret = 0;

	while (done < nr) {
		unsigned long n = min(FA_CHUNK_PAGES, nr - done);
		unsigned long got = 0, i;
		unsigned int order;
		struct page *page;

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		switch (policy) {
		case FRAGALLOC_POLICY_PLAIN:
			for (got = 0; got < n; got++) {
				pages[done + got] = alloc_page(fa_user_gfp());
				if (!pages[done + got])
					break;
			}
			break;
		case FRAGALLOC_POLICY_BULK:
			memset(pages + done, 0, n * sizeof(*pages));
			got = alloc_pages_bulk_array(fa_user_gfp(), n,
						     pages + done);
			break;
		case FRAGALLOC_POLICY_HIGHORDER:
			while (got < n) {
				page = fa_alloc_highorder_chunk(n - got, &order);
				if (!page)
					break;
				for (i = 0; i < (1UL << order); i++)
					pages[done + got + i] = page + i;
				got += 1UL << order;
			}
			break;
		}
		done += got;
		if (got < n) {
			ret = -ENOMEM;
			break;
		}
		cond_resched();
	}

	/* Counted now: fa_pages_free() uncounts what it frees. */
	atomic_long_add(done, &fa_dev.other_pages);
	if (ret == -ENOMEM && (flags & FRAGALLOC_ALLOC_BEST_EFFORT) && done)
		ret = 0;
	if (ret) {
		fa_pages_free(policy, pages, done);
		return ret;
	}
	*nr_done = done;
	return 0;
}

/**
 * fa_pages_alloc() - allocate zeroed order-0 pages by policy
 * @policy: &enum fragalloc_policy
 * @mobility: &enum fragalloc_mobility
 * @flags: FRAGALLOC_ALLOC_* bits
 * @nr: pages wanted
 * @pages: receives the pages
 * @nr_done: pages allocated (== @nr unless FRAGALLOC_ALLOC_BEST_EFFORT)
 *
 * Killable. On failure nothing stays allocated.
 *
 * Return: 0, -ENOMEM or -EINTR.
 */
int fa_pages_alloc(unsigned int policy, unsigned int mobility,
		   unsigned int flags, unsigned long nr, struct page **pages,
		   unsigned long *nr_done)
{
	if (policy == FRAGALLOC_POLICY_COMPACT)
		return fa_alloc_compact(mobility, flags, nr, pages, nr_done);
	return fa_alloc_other(policy, flags, nr, pages, nr_done);
}

/**
 * fa_pages_free() - give pages back where they came from
 * @policy: the policy that allocated them
 * @pages: the pages; NULL entries (holes) are skipped
 * @nr: entries in @pages
 */
void fa_pages_free(unsigned int policy, struct page **pages, unsigned long nr)
{
	unsigned long pfns[64];
	unsigned long i, j, n = 0, freed = 0;

	for (i = 0; i < nr; i++) {
		struct page *page = pages[i];

		if (!page)
			continue;
		freed++;
		if (policy != FRAGALLOC_POLICY_COMPACT) {
			__free_page(page);
			continue;
		}
		pfns[n++] = page_to_pfn(page);
		if (n < ARRAY_SIZE(pfns) && i + 1 < nr)
			continue;
		/*
		 * The tags are cleared under the pool lock, with the pages
		 * still marked: a planner never sees a marked page without
		 * its tag, nor a tag on a page the pool no longer has.
		 */
		mutex_lock(&fa_dev.pool_lock);
		for (j = 0; j < n; j++)
			fa_page_tag(pfn_to_page(pfns[j]), 0, 0, 0);
		fa_pool_free(fa_dev.pool, pfns, n);
		mutex_unlock(&fa_dev.pool_lock);
		n = 0;
		cond_resched();
	}
	if (n) {
		mutex_lock(&fa_dev.pool_lock);
		for (j = 0; j < n; j++)
			fa_page_tag(pfn_to_page(pfns[j]), 0, 0, 0);
		fa_pool_free(fa_dev.pool, pfns, n);
		mutex_unlock(&fa_dev.pool_lock);
	}
	if (policy != FRAGALLOC_POLICY_COMPACT)
		atomic_long_sub(freed, &fa_dev.other_pages);
	else if (freed && READ_ONCE(fa_release_delay_ms))
		fa_reserve_kick();
}

/**
 * fa_pages_set_movable() - mark pool pages as movable by recompaction, or not
 * @pages: pool pages (compact policy); NULL entries are skipped
 * @nr: entries in @pages
 * @movable: the mark
 *
 * The caller has tagged the pages (fa_page_tag()) or keeps their owner in
 * its own registry; see mover.c.
 */
void fa_pages_set_movable(struct page **pages, unsigned long nr,
			  bool movable)
{
	unsigned long pfns[64];
	unsigned long i, n = 0;

	for (i = 0; i < nr; i++) {
		if (pages[i])
			pfns[n++] = page_to_pfn(pages[i]);
		if (n < ARRAY_SIZE(pfns) && i + 1 < nr)
			continue;
		mutex_lock(&fa_dev.pool_lock);
		fa_pool_set_movable(fa_dev.pool, pfns, n, movable);
		mutex_unlock(&fa_dev.pool_lock);
		n = 0;
		if (i + 1 < nr)
			cond_resched();
	}
}

static int fa_cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/**
 * fa_pages_count_blocks() - distinct pageblocks a set of pages lies in
 * @pages: the pages; NULL entries are skipped
 * @nr: entries in @pages
 * @nr_blocks: receives the number of distinct pageblocks
 * @nr_loose: receives how many pages lie outside whole pool pageblocks
 *
 * Return: 0 or -ENOMEM.
 */
int fa_pages_count_blocks(struct page **pages, unsigned long nr,
			  u64 *nr_blocks, u64 *nr_loose)
{
	unsigned long *blocks, i, n = 0, distinct = 0, loose = 0;

	blocks = kvmalloc_array(max(nr, 1UL), sizeof(*blocks), GFP_KERNEL);
	if (!blocks)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		unsigned long pfn;

		if (!pages[i])
			continue;
		pfn = page_to_pfn(pages[i]);
		blocks[n++] = pfn >> pageblock_order;
	}
	/* The pool's view, a chunk at a time: the lock is never held long. */
	for (i = 0; i < n; i++) {
		if (!(i % FA_CHUNK_PAGES)) {
			if (i) {
				mutex_unlock(&fa_dev.pool_lock);
				cond_resched();
			}
			mutex_lock(&fa_dev.pool_lock);
		}
		if ((fa_pool_block_flags(fa_dev.pool,
					 blocks[i] << pageblock_order) &
		     FA_BF_STATE_MASK) == FA_BS_LOOSE)
			loose++;
	}
	if (n)
		mutex_unlock(&fa_dev.pool_lock);
	sort(blocks, n, sizeof(*blocks), fa_cmp_ulong, NULL);
	for (i = 0; i < n; i++)
		if (!i || blocks[i] != blocks[i - 1])
			distinct++;
	kvfree(blocks);
	*nr_blocks = distinct;
	*nr_loose = loose;
	return 0;
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
