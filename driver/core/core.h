/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fragalloc portable core: public API.
 *
 * The core hands out order-0 pages packed into as few pageblocks as
 * possible.  It is plain C compiled both into the kernel module and into
 * host unit tests; see port.h.  It is NOT thread-safe: the caller holds a
 * lock around every call.  It never touches page contents.
 */
#ifndef _FRAGALLOC_CORE_H
#define _FRAGALLOC_CORE_H

#include "port.h"

#define FA_CLASS_UNMOVABLE	0
#define FA_CLASS_RECLAIMABLE	1
#define FA_CLASS_MOVABLE	2
#define FA_NR_CLASSES		3

/*
 * Per-pageblock flags, FA_BLOCK_FLAG_BITS bits per pageblock, kept in the
 * sparse blockmap and returned by fa_pool_block_flags():
 *
 *   bits 0-1  class (FA_CLASS_*); FA_CLASS_NONE for an empty reserve block,
 *             or for a LOOSE pageblock holding loose pages of several classes
 *   bits 2-3  state:
 *             FA_BS_NONE      not known to the pool
 *             FA_BS_OWNED     whole pageblock owned by the pool
 *             FA_BS_LOOSE     pool holds some loose pages of this pageblock
 *             FA_BS_ISOLATED  owned, isolated by the planner: no new pages
 */
#define FA_BLOCK_FLAG_BITS	4
#define FA_BF_CLASS_MASK	0x3U
#define FA_CLASS_NONE		3U
#define FA_BF_STATE_SHIFT	2
#define FA_BF_STATE_MASK	(0x3U << FA_BF_STATE_SHIFT)
#define FA_BS_NONE		(0x0U << FA_BF_STATE_SHIFT)
#define FA_BS_OWNED		(0x1U << FA_BF_STATE_SHIFT)
#define FA_BS_LOOSE		(0x2U << FA_BF_STATE_SHIFT)
#define FA_BS_ISOLATED		(0x3U << FA_BF_STATE_SHIFT)

/* Largest supported block_order (bitmaps, counters are sized for it). */
#define FA_MAX_BLOCK_ORDER	16

/**
 * struct fa_source_ops - where the pool gets its pages from
 * @get: get 2^order physically contiguous, 2^order-aligned pages
 *	(order <= block_order); returns 0 and sets *pfn, or -ENOMEM.  The pages
 *	must be individually freeable (kernel: alloc_pages + split_page).
 * @put: give back 2^order pages starting at @pfn: a whole block, or one
 *	loose page with order 0.
 * @should_stop: optional (may be NULL); true when a long operation must
 *	stop (kernel: fatal_signal_pending()); also a place to cond_resched().
 */
struct fa_source_ops {
	int (*get)(void *ctx, unsigned int order, unsigned long *pfn);
	void (*put)(void *ctx, unsigned long pfn, unsigned int order);
	bool (*should_stop)(void *ctx);
};

/*
 * FA_POOL_MOVABLE_MARKS: the pool keeps its own record of which pages in use
 * may be moved. A page is pinned from fa_pool_alloc() until the caller marks
 * it with fa_pool_set_movable(), and fa_pool_free() clears the mark, so the
 * planner never proposes to move a page on the strength of anything but this
 * record (and the caller's @movable test on top of it).
 */
#define FA_POOL_MOVABLE_MARKS	BIT(0)
#define FA_POOL_VALID_FLAGS	(FA_POOL_MOVABLE_MARKS)

/**
 * struct fa_pool_config - pool parameters
 * @block_order: log2 of the pageblock size in pages (9 on x86-64), 1..16
 * @reserve_blocks: number of empty blocks kept instead of being released
 * @flags: FA_POOL_*
 */
struct fa_pool_config {
	unsigned int block_order;
	unsigned int reserve_blocks;
	unsigned int flags;
};

struct fa_pool;

/* Whole pageblocks only: no loose fallback; fail with -ENOMEM instead. */
#define FA_ALLOC_STRICT		BIT(0)
#define FA_ALLOC_VALID_FLAGS	(FA_ALLOC_STRICT)

/**
 * struct fa_alloc_result - what one fa_pool_alloc() call did
 * @nr_pages: pages handed out
 * @nr_blocks_touched: distinct pageblocks (owned or loose) the pages are in
 * @nr_loose: pages taken as loose pages (fallback)
 * @nr_fresh_blocks: empty blocks opened by the call (from reserve or source)
 */
struct fa_alloc_result {
	unsigned long nr_pages;
	unsigned long nr_blocks_touched;
	unsigned long nr_loose;
	unsigned long nr_fresh_blocks;
};

/**
 * struct fa_class_stats - per-class counters
 * @blocks: owned blocks of the class (including planner-isolated ones)
 * @pages_used: pages in use inside those blocks
 * @pages_free: free pages inside those blocks
 * @loose_pages: loose pages of the class in use
 */
struct fa_class_stats {
	u64 blocks;
	u64 pages_used;
	u64 pages_free;
	u64 loose_pages;
};

/* Histogram of owned blocks by fill: [0,1/8), ... [7/8,1]; full in last. */
#define FA_FILL_BUCKETS		8

/**
 * struct fa_pool_stats - pool counters
 * @cls: per-class counters
 * @reserve_blocks: empty blocks currently kept in the reserve
 * @fill_hist: owned blocks by fill (reserve blocks count in bucket 0)
 * @fallbacks: successful alloc calls that took loose pages
 * @blocks_acquired: whole blocks taken from the source
 * @blocks_released: whole blocks given back to the source
 * @loose_acquired: loose pages taken from the source
 * @loose_released: loose pages given back to the source
 * @blocks_broken: owned blocks turned into loose pages by fa_pool_break()
 * @broken_pages_released: free pages those breaks gave back one by one
 * @meta_bytes: metadata bytes currently allocated by the core
 * @pages_zeroed: pages fa_pool_zero_end() marked as holding zeroes
 * @pages_prezeroed: pages handed out with that mark (no clearing needed)
 */
struct fa_pool_stats {
	struct fa_class_stats cls[FA_NR_CLASSES];
	u64 reserve_blocks;
	u64 fill_hist[FA_FILL_BUCKETS];
	u64 fallbacks;
	u64 blocks_acquired;
	u64 blocks_released;
	u64 loose_acquired;
	u64 loose_released;
	u64 blocks_broken;
	u64 broken_pages_released;
	u64 meta_bytes;
	u64 pages_zeroed;
	u64 pages_prezeroed;
};

struct fa_pool *fa_pool_create(const struct fa_pool_config *cfg,
			       const struct fa_source_ops *ops, void *ctx);
void fa_pool_destroy(struct fa_pool *pool);
int fa_pool_alloc(struct fa_pool *pool, unsigned int cls, unsigned long n,
		  unsigned long *pfns, unsigned int flags,
		  struct fa_alloc_result *res);
int fa_pool_alloc_zeroed(struct fa_pool *pool, unsigned int cls,
			 unsigned long n, unsigned long *pfns,
			 unsigned long *zeroed, unsigned int flags,
			 struct fa_alloc_result *res);
void fa_pool_free(struct fa_pool *pool, const unsigned long *pfns,
		  unsigned long n);
long fa_pool_zero_begin(struct fa_pool *pool, unsigned long *pfn,
			unsigned long *dirty);
void fa_pool_zero_end(struct fa_pool *pool, const unsigned long *zeroed);
unsigned long fa_pool_trim(struct fa_pool *pool, unsigned long nr_blocks);
unsigned long fa_pool_break(struct fa_pool *pool, unsigned int cls,
			    unsigned long max_pages, unsigned int keep);
u64 fa_pool_reclaimable_pages(const struct fa_pool *pool);
unsigned long fa_pool_reserve_blocks(const struct fa_pool *pool);
void fa_pool_set_reserve(struct fa_pool *pool, unsigned int reserve_blocks);
void fa_pool_get_stats(const struct fa_pool *pool, struct fa_pool_stats *st);
void fa_pool_stats_add(struct fa_pool_stats *sum,
		       const struct fa_pool_stats *st);
unsigned int fa_pool_block_flags(const struct fa_pool *pool,
				 unsigned long pfn);
unsigned int fa_pool_block_order(const struct fa_pool *pool);
bool fa_pool_page_in_use(const struct fa_pool *pool, unsigned long pfn);
void fa_pool_set_movable(struct fa_pool *pool, const unsigned long *pfns,
			 unsigned long n, bool movable);
bool fa_pool_page_movable(const struct fa_pool *pool, unsigned long pfn);
unsigned int fa_pool_page_class(const struct fa_pool *pool, unsigned long pfn);

/**
 * struct fa_block_info - one pageblock, as seen by fa_pool_walk_blocks()
 * @pfn: first pfn of the pageblock
 * @flags: blockmap flags (FA_BF_CLASS_MASK, FA_BF_STATE_MASK)
 * @nr_used: pages of the pageblock in use (owned or loose)
 */
struct fa_block_info {
	unsigned long pfn;
	unsigned int flags;
	unsigned long nr_used;
};

int fa_pool_walk_blocks(const struct fa_pool *pool,
			int (*fn)(void *arg,
				  const struct fa_block_info *bi),
			void *arg);

/**
 * struct fa_move - one page move planned by fa_plan()
 * @src: page to copy from (freed by the mover when the move completes)
 * @dst: page to copy to (already allocated; freed if the move is abandoned)
 */
struct fa_move {
	unsigned long src;
	unsigned long dst;
};

/**
 * struct fa_plan_result - what a plan does
 * @nr_moves: moves in the plan
 * @blocks_before: owned blocks of the class before
 * @blocks_after: owned blocks of the class once all moves complete
 * @blocks_released: predicted blocks given back to the source (emptied
 *	blocks that do not fit into the reserve)
 * @loose_before: loose pages of the class before
 * @loose_after: loose pages of the class once all moves complete
 */
struct fa_plan_result {
	unsigned long nr_moves;
	unsigned long blocks_before;
	unsigned long blocks_after;
	unsigned long blocks_released;
	unsigned long loose_before;
	unsigned long loose_after;
};

/*
 * FA_PLAN_GROW: when the kept blocks lack room for the movable loose pages,
 * open fresh blocks (reserve first, then the source) as destinations, so
 * loose pages go back into whole pageblocks. A dry run assumes the blocks
 * can be had.
 */
#define FA_PLAN_DRY_RUN		BIT(0)
#define FA_PLAN_GROW		BIT(1)
#define FA_PLAN_VALID_FLAGS	(FA_PLAN_DRY_RUN | FA_PLAN_GROW)

long fa_plan(struct fa_pool *pool, unsigned int cls,
	     bool (*movable)(void *ctx, unsigned long pfn), void *mctx,
	     struct fa_move *moves, unsigned long max_moves,
	     unsigned int flags, struct fa_plan_result *res);
void fa_plan_finish(struct fa_pool *pool, unsigned int cls);

#endif /* _FRAGALLOC_CORE_H */
