// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: the allocation policies, one &struct fa_policy each.
 *
 * The compact policy takes its pages from the portable pool (core/pool.c,
 * fed by the buddy source in source.c). The other policies exist for
 * comparison and allocate the way common drivers do; their pages count in
 * fa_dev.other_pages. A new policy is one entry of fa_policies[] and the
 * functions it names.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "fa.h"
#include "compat.h"
#include "fa_events.h"

/* PFNs handed to the pool per call: the pool lock is never held long. */
#define FA_PFN_BATCH	64

/* Orders tried by the highorder policy, as the dma-buf system heap does. */
static const unsigned int fa_highorders[] = { 8, 4, 0 };

/*
 * Call @fn under the pool lock on the PFNs of @pages (NULL entries skipped),
 * FA_PFN_BATCH at a time, rescheduling between calls. Return: the pages.
 */
static unsigned long fa_pool_for_pfns(struct page **pages, unsigned long nr,
				      void (*fn)(const unsigned long *pfns,
						 unsigned long n, bool arg),
				      bool arg)
{
	unsigned long pfns[FA_PFN_BATCH];
	unsigned long i, n = 0, seen = 0;

	for (i = 0; i < nr; i++) {
		if (!pages[i])
			continue;
		pfns[n++] = page_to_pfn(pages[i]);
		seen++;
		if (n < ARRAY_SIZE(pfns))
			continue;
		mutex_lock(&fa_dev.pool_lock);
		fn(pfns, n, arg);
		mutex_unlock(&fa_dev.pool_lock);
		n = 0;
		cond_resched();
	}
	if (n) {
		mutex_lock(&fa_dev.pool_lock);
		fn(pfns, n, arg);
		mutex_unlock(&fa_dev.pool_lock);
	}
	return seen;
}

/*
 * The tags are cleared under the pool lock, with the pages still marked: a
 * planner never sees a marked page without its tag, nor a tag on a page the
 * pool no longer has.
 */
static void fa_pool_put_pfns(const unsigned long *pfns, unsigned long n,
			     bool unused)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		fa_page_tag(pfn_to_page(pfns[i]), 0, 0, 0);
	fa_pool_free(fa_dev.pool, pfns, n);
	fa_zero_kick();
}

static void fa_pool_mark_pfns(const unsigned long *pfns, unsigned long n,
			      bool movable)
{
	fa_pool_set_movable(fa_dev.pool, pfns, n, movable);
}

/**
 * fa_pages_set_movable() - mark pool pages as movable by recompaction, or not
 * @pages: pool pages (a &fa_policy.pooled policy's); NULL entries are skipped
 * @nr: entries in @pages
 * @movable: the mark
 *
 * The caller has tagged the pages (fa_page_tag()) or keeps their owner in
 * its own registry; see mover.c. Takes the pool lock.
 */
void fa_pages_set_movable(struct page **pages, unsigned long nr,
			  bool movable)
{
	fa_pool_for_pfns(pages, nr, fa_pool_mark_pfns, movable);
}

static void fa_compact_free(struct page **pages, unsigned long nr)
{
	if (fa_pool_for_pfns(pages, nr, fa_pool_put_pfns, false) &&
	    READ_ONCE(fa_release_delay_ms))
		fa_reserve_kick();
}

/* A page the pool says holds zeroes; checked on debug kernels. */
static void fa_check_prezeroed(struct page *page)
{
	void *p;

	if (!IS_ENABLED(CONFIG_DEBUG_VM))
		return;
	p = kmap_local_page(page);
	WARN_ON_ONCE(memchr_inv(p, 0, PAGE_SIZE));
	kunmap_local(p);
}

/*
 * Pool pages: zero those the zeroer has not (@zeroed: the pool's marks) and
 * clear the owner fields of their last use.
 */
static void fa_prep_pool_pages(struct page **pages, const unsigned long *pfns,
			       const unsigned long *zeroed, unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++) {
		pages[i] = pfn_to_page(pfns[i]);
		set_page_private(pages[i], 0);
		if (test_bit(i, zeroed))
			fa_check_prezeroed(pages[i]);
		else
			clear_highpage(pages[i]);
	}
}

static int fa_compact_alloc(const struct fa_policy *pol,
			    unsigned int mobility, unsigned int flags,
			    unsigned long nr, struct page **pages,
			    unsigned long *nr_done)
{
	unsigned int core_flags = 0;
	unsigned long done = 0, chunk = FA_CHUNK_PAGES;
	unsigned long *pfns, *zeroed;
	int ret = 0;

	if (flags & FRAGALLOC_ALLOC_STRICT)
		core_flags |= FA_ALLOC_STRICT;
	/* the PFNs of a chunk, then a bit each: pre-zeroed */
	pfns = kmalloc_array(FA_CHUNK_PAGES + BITS_TO_LONGS(FA_CHUNK_PAGES),
			     sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;
	zeroed = pfns + FA_CHUNK_PAGES;

	while (done < nr) {
		unsigned long n = min(chunk, nr - done);

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		mutex_lock(&fa_dev.pool_lock);
		fa_ev_pool_alloc(mobility);
		ret = fa_pool_alloc_zeroed(fa_dev.pool, mobility, n, pfns,
					   zeroed, core_flags, NULL);
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
		fa_prep_pool_pages(pages + done, pfns, zeroed, n);
		done += n;
		cond_resched();
	}
	kfree(pfns);

	if (ret && ret != -EINTR && (flags & FRAGALLOC_ALLOC_BEST_EFFORT) &&
	    done)
		ret = 0;
	if (ret) {
		fa_compact_free(pages, done);
		return ret;
	}
	*nr_done = done;
	return 0;
}

static gfp_t fa_user_gfp(void)
{
	return GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN | __GFP_RETRY_MAYFAIL;
}

static unsigned long fa_plain_fill(struct page **pages, unsigned long n)
{
	unsigned long got;

	for (got = 0; got < n; got++) {
		pages[got] = alloc_page(fa_user_gfp());
		if (!pages[got])
			break;
	}
	return got;
}

static unsigned long fa_bulk_fill(struct page **pages, unsigned long n)
{
	memset(pages, 0, n * sizeof(*pages));
	return alloc_pages_bulk_array(fa_user_gfp(), n, pages);
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

static unsigned long fa_highorder_fill(struct page **pages, unsigned long n)
{
	unsigned long got = 0, i;
	unsigned int order;
	struct page *page;

	while (got < n) {
		page = fa_alloc_highorder_chunk(n - got, &order);
		if (!page)
			break;
		for (i = 0; i < (1UL << order); i++)
			pages[got + i] = page + i;
		got += 1UL << order;
	}
	return got;
}

static void fa_buddy_free(struct page **pages, unsigned long nr)
{
	unsigned long i, freed = 0;

	for (i = 0; i < nr; i++) {
		if (!pages[i])
			continue;
		__free_page(pages[i]);
		freed++;
	}
	atomic_long_sub(freed, &fa_dev.other_pages);
}

/* The policies that allocate straight from the buddy allocator. */
static int fa_buddy_alloc(const struct fa_policy *pol, unsigned int mobility,
			  unsigned int flags, unsigned long nr,
			  struct page **pages, unsigned long *nr_done)
{
	unsigned long done = 0;
	int ret = 0;

	while (done < nr) {
		unsigned long n = min(FA_CHUNK_PAGES, nr - done);
		unsigned long got;

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		got = pol->fill(pages + done, n);
		done += got;
		if (got < n) {
			ret = -ENOMEM;
			break;
		}
		cond_resched();
	}

	/* Counted now: fa_buddy_free() uncounts what it frees. */
	atomic_long_add(done, &fa_dev.other_pages);
	if (ret == -ENOMEM && (flags & FRAGALLOC_ALLOC_BEST_EFFORT) && done)
		ret = 0;
	if (ret) {
		fa_buddy_free(pages, done);
		return ret;
	}
	*nr_done = done;
	return 0;
}

/* A policy that takes its pages from the buddy allocator, @_fill at a time. */
#define FA_BUDDY_POLICY(_fill) {				\
	.alloc = fa_buddy_alloc,				\
	.free = fa_buddy_free,					\
	.fill = _fill,						\
	.alloc_flags = FRAGALLOC_ALLOC_BEST_EFFORT,		\
}

static const struct fa_policy fa_policies[FRAGALLOC_NR_POLICIES] = {
	[FRAGALLOC_POLICY_COMPACT] = {
		.alloc = fa_compact_alloc,
		.free = fa_compact_free,
		.alloc_flags = FRAGALLOC_ALLOC_BEST_EFFORT |
			       FRAGALLOC_ALLOC_STRICT,
		.pooled = true,
	},
	[FRAGALLOC_POLICY_PLAIN] = FA_BUDDY_POLICY(fa_plain_fill),
	[FRAGALLOC_POLICY_BULK] = FA_BUDDY_POLICY(fa_bulk_fill),
	[FRAGALLOC_POLICY_HIGHORDER] = FA_BUDDY_POLICY(fa_highorder_fill),
#ifdef FA_MOVABLE
	/* Registered with the kernel's compaction, which moves them (movable.c). */
	[FRAGALLOC_POLICY_MOVABLE] = {
		.alloc = fa_buddy_alloc,
		.free = fa_movable_free,
		.fill = fa_movable_fill,
		.publish = fa_movable_publish,
		.alloc_flags = FRAGALLOC_ALLOC_BEST_EFFORT,
		.free_unlocked = true,
	},
#else
	/* No .alloc: refused with -EOPNOTSUPP, after the usual checks. */
	[FRAGALLOC_POLICY_MOVABLE] = {
		.alloc_flags = FRAGALLOC_ALLOC_BEST_EFFORT,
	},
#endif
};

/**
 * fa_policy_get() - the policy of a number
 * @policy: &enum fragalloc_policy, possibly user controlled
 *
 * Return: the policy, or NULL when @policy is out of range.
 */
const struct fa_policy *fa_policy_get(unsigned int policy)
{
	if (policy >= ARRAY_SIZE(fa_policies))
		return NULL;
	/* Spectre v1: the index may come from an ioctl. */
	return &fa_policies[array_index_nospec(policy,
					       ARRAY_SIZE(fa_policies))];
}

static int fa_cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/**
 * fa_pages_count_blocks() - distinct pageblocks a set of pages lies in
 * @pages: the pages, of any policy; NULL entries are skipped
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
