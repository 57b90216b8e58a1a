// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc portable core: recompaction planner.
 *
 * fa_plan() works in phases over one struct fa_plan_ctx: collect the
 * class's owned blocks (fullest first), mark the pinned ones, count the
 * movable loose pages, choose the blocks to keep, then emit the moves out
 * of the other blocks and finally the moves of loose pages into the room
 * left.  Each phase is O(pages or blocks it looks at).
 */
#include "internal.h"

#define FA_PLAN_PINNED	0x1
#define FA_PLAN_KEEP	0x2

/* One fa_plan() call. */
struct fa_plan_ctx {
	struct fa_pool *pool;
	unsigned int cls;
	struct fa_class *c;
	bool (*movable)(void *ctx, unsigned long pfn);
	void *mctx;
	struct fa_move *moves;		/* not written by a dry run */
	unsigned long max_moves;
	unsigned int flags;
	bool dry;
	/* owned blocks of the class, fullest first, then the grown ones */
	struct fa_block **blk;
	unsigned long nr_blocks;	/* owned blocks collected */
	unsigned long nb;		/* entries in blk[] */
	unsigned long cap;		/* slots in blk[] */
	/* next destination: a free slot at or after dst_bit of blk[dst_idx] */
	unsigned long dst_idx;
	unsigned int dst_bit;
	unsigned long used;		/* pages in use in the owned blocks */
	unsigned long pinned;		/* blocks holding an immovable page */
	unsigned long lm;		/* movable loose pages */
	unsigned long room;		/* free slots of the kept blocks */
	unsigned long nr;		/* moves emitted */
	unsigned long emptied;		/* blocks all of whose pages move */
	unsigned long lmoved;		/* loose pages moved */
	unsigned long grown;		/* blocks opened by FA_PLAN_GROW */
};

/* The pool's own record first; the caller's test only on top of it. */
static bool fa_plan_movable(const struct fa_plan_ctx *pc, unsigned long pfn)
{
	const struct fa_pool *pool = pc->pool;

	if ((pool->cfg.flags & FA_POOL_MOVABLE_MARKS) &&
	    !fa_pool_page_movable(pool, pfn))
		return false;
	return !pc->movable || pc->movable(pc->mctx, pfn);
}

/* Next free slot of a kept block, fullest kept block first. */
static bool fa_next_dst(struct fa_plan_ctx *pc, unsigned long *pfn)
{
	unsigned int bp = pc->pool->bp;

	while (pc->dst_idx < pc->nb) {
		struct fa_block *b = pc->blk[pc->dst_idx];

		if (b->plan & FA_PLAN_KEEP) {
			while (pc->dst_bit < bp && fa_test_bit(b->map, pc->dst_bit))
				pc->dst_bit++;
			if (pc->dst_bit < bp) {
				*pfn = b->pfn + pc->dst_bit;
				if (!pc->dry)
					fa_pool_block_set_used(pc->pool, b,
							       pc->dst_bit);
				pc->dst_bit++;
				return true;
			}
		}
		pc->dst_idx++;
		pc->dst_bit = 0;
	}
	return false;
}

/*
 * FA_PLAN_GROW: open one more block of the class as a destination. The
 * caller takes a slot of it at once, so no empty block is ever left behind.
 */
static bool fa_plan_grow(struct fa_plan_ctx *pc)
{
	struct fa_block *b;
	int err;

	if (pc->dry)
		return true;
	if (pc->nb >= pc->cap)
		return false;
	b = fa_open_block(pc->pool, pc->cls, &err);
	if (!b)
		return false;
	b->plan = FA_PLAN_KEEP;
	pc->blk[pc->nb++] = b;
	return true;
}

static void fa_plan_emit(struct fa_plan_ctx *pc, unsigned long src,
			 unsigned long dst)
{
	if (!pc->dry) {
		pc->moves[pc->nr].src = src;
		pc->moves[pc->nr].dst = dst;
	}
	pc->nr++;
}

static int fa_collect_full(void *arg, struct fa_block *b, unsigned int flags)
{
	struct fa_plan_ctx *pc = arg;

	if (flags != (FA_BS_OWNED | pc->cls) || b->nr_used != pc->pool->bp)
		return 0;
	if (FA_WARN_ON(pc->nb >= pc->c->blocks))
		return 1;
	pc->blk[pc->nb++] = b;
	return 0;
}

/*
 * Phase 1: the owned blocks of the class, fullest first. Full ones are on
 * no list: they come from the blockmap, the others from the fill buckets.
 */
static int fa_plan_collect(struct fa_plan_ctx *pc)
{
	struct fa_pool *pool = pc->pool;
	struct fa_class *c = pc->c;
	struct fa_list *pos;
	unsigned long i;

	/* room for the blocks FA_PLAN_GROW may open: one per bp loose pages */
	pc->cap = c->blocks + ((pc->flags & FA_PLAN_GROW) ?
		  ((c->loose_pages + pool->bp - 1) >> pool->cfg.block_order) :
		  0);
	if (pc->cap) {
		pc->blk = fa_meta_zalloc(&pool->st.meta_bytes,
					 pc->cap * sizeof(*pc->blk));
		if (!pc->blk)
			return -ENOMEM;
	}
	if (c->blocks)
		fa_bm_for_each(&pool->bm, fa_collect_full, pc);
	for (i = 1; i < pool->bp; i++) {
		for (pos = c->bucket[i].next; pos != &c->bucket[i];
		     pos = pos->next) {
			if (FA_WARN_ON(pc->nb >= c->blocks))
				break;
			pc->blk[pc->nb++] = fa_container_of(pos,
							    struct fa_block,
							    node);
		}
	}
	FA_WARN_ON(pc->nb != c->blocks);
	pc->nr_blocks = pc->nb;
	return 0;
}

/* Phase 2: a block with a page that cannot move is pinned (and kept). */
static void fa_plan_mark_pinned(struct fa_plan_ctx *pc)
{
	unsigned long i;
	unsigned int bit;

	for (i = 0; i < pc->nr_blocks; i++) {
		struct fa_block *b = pc->blk[i];

		fa_resched();
		b->plan = 0;
		pc->used += b->nr_used;
		for (bit = 0; bit < pc->pool->bp; bit++) {
			if (fa_test_bit(b->map, bit) &&
			    !fa_plan_movable(pc, b->pfn + bit)) {
				b->plan = FA_PLAN_PINNED | FA_PLAN_KEEP;
				pc->pinned++;
				break;
			}
		}
	}
}

/* Phase 3: the loose pages of the class that may move. */
static void fa_plan_count_loose(struct fa_plan_ctx *pc)
{
	struct fa_pool *pool = pc->pool;
	struct fa_list *pos;
	unsigned int bit;

	for (pos = pool->loose.next; pos != &pool->loose; pos = pos->next) {
		struct fa_block *b = fa_container_of(pos, struct fa_block, node);
		unsigned long *map = fa_loose_map(pool, b, pc->cls);

		if (!b->nr_cls[pc->cls])
			continue;
		fa_resched();
		for (bit = 0; bit < pool->bp; bit++)
			if (fa_test_bit(map, bit) &&
			    fa_plan_movable(pc, b->pfn + bit))
				pc->lm++;
	}
}

/*
 * Phase 4: for a class with U pages in use in its owned blocks, P blocks
 * pinned by an immovable page and Lm movable loose pages, keep
 *
 *	B = max(P, min(nr_blocks, ceil((U + Lm) / bp)))
 *
 * blocks: all pinned ones plus the fullest unpinned ones.  Every page of
 * the other blocks moves into free slots of kept blocks (fullest kept
 * block first), then up to B * bp - U movable loose pages follow.  Among
 * all choices this leaves the fewest loose pages, then the fewest blocks,
 * then takes the fewest moves: the block count and the loose room only
 * depend on B, and the moves out of non-kept blocks are the pages they
 * hold, minimal when the kept ones are the fullest.
 */
static void fa_plan_keep(struct fa_plan_ctx *pc)
{
	struct fa_pool *pool = pc->pool;
	unsigned long keep, i, j;

	keep = (pc->used + pc->lm + pool->bp - 1) >> pool->cfg.block_order;
	if (keep > pc->nr_blocks)
		keep = pc->nr_blocks;
	if (keep < pc->pinned)
		keep = pc->pinned;
	pc->room = keep * pool->bp - pc->used;
	for (i = 0, j = pc->pinned; i < pc->nr_blocks && j < keep; i++) {
		if (!(pc->blk[i]->plan & FA_PLAN_PINNED)) {
			pc->blk[i]->plan = FA_PLAN_KEEP;
			j++;
		}
	}
}

/*
 * Phase 5: empty the blocks not kept, emptiest first, so that a plan
 * capped by max_moves is the full plan's first max_moves moves: it frees
 * as many blocks as the cap allows and makes progress on the next one
 * (isolated all the same, so the next plan goes on emptying it), and
 * repeated capped plans converge to the full plan.
 *
 * Return: false if the kept blocks ran out of room (a bug).
 */
static bool fa_plan_emit_blocks(struct fa_plan_ctx *pc)
{
	unsigned long i, dst;
	unsigned int bit;

	for (i = pc->nr_blocks; i-- > 0 && pc->nr < pc->max_moves;) {
		struct fa_block *b = pc->blk[i];
		bool whole;

		if (b->plan & FA_PLAN_KEEP)
			continue;
		whole = b->nr_used <= pc->max_moves - pc->nr;
		for (bit = 0; bit < pc->pool->bp && pc->nr < pc->max_moves;
		     bit++) {
			if (!fa_test_bit(b->map, bit))
				continue;
			if (FA_WARN_ON(!fa_next_dst(pc, &dst)))
				return false;
			fa_plan_emit(pc, b->pfn + bit, dst);
		}
		if (whole)
			pc->emptied++;
		if (!pc->dry)
			fa_pool_block_isolate(pc->pool, b);
	}
	return true;
}

/*
 * Phase 6: movable loose pages into the room left, opening blocks if
 * FA_PLAN_GROW asks for it.  A dry run's grown blocks are only counted.
 */
static void fa_plan_emit_loose(struct fa_plan_ctx *pc)
{
	struct fa_pool *pool = pc->pool;
	unsigned long real_room = pc->room;
	struct fa_list *pos;
	unsigned int bit;

	for (pos = pool->loose.next;
	     pos != &pool->loose && pc->nr < pc->max_moves; pos = pos->next) {
		struct fa_block *b = fa_container_of(pos, struct fa_block, node);
		unsigned long *map = fa_loose_map(pool, b, pc->cls);

		if (!b->nr_cls[pc->cls])
			continue;
		for (bit = 0; bit < pool->bp && pc->nr < pc->max_moves; bit++) {
			unsigned long src = b->pfn + bit, dst = 0;

			if (!fa_test_bit(map, bit) || !fa_plan_movable(pc, src))
				continue;
			if (pc->lmoved >= pc->room) {
				if (!(pc->flags & FA_PLAN_GROW) ||
				    !fa_plan_grow(pc))
					return;
				pc->room += pool->bp;
				pc->grown++;
			}
			if ((!pc->dry || pc->lmoved < real_room) &&
			    FA_WARN_ON(!fa_next_dst(pc, &dst)))
				return;
			fa_plan_emit(pc, src, dst);
			pc->lmoved++;
		}
	}
}

static void fa_plan_summarize(const struct fa_plan_ctx *pc,
			      struct fa_plan_result *r)
{
	const struct fa_pool *pool = pc->pool;
	unsigned long room = pool->cfg.reserve_blocks > pool->nr_reserve ?
			     pool->cfg.reserve_blocks - pool->nr_reserve : 0;

	r->nr_moves = pc->nr;
	r->blocks_before = pc->nr_blocks;
	r->blocks_after = pc->nr_blocks - pc->emptied + pc->grown;
	r->blocks_released = pc->emptied > room ? pc->emptied - room : 0;
	r->loose_before = pc->c->loose_pages;
	r->loose_after = pc->c->loose_pages - pc->lmoved;
}

/**
 * fa_plan() - plan the minimal set of page moves that compacts a class
 * @pool: pool
 * @cls: FA_CLASS_*
 * @movable: returns false for pages that cannot move (they pin their
 *	block); NULL means every page is movable. With FA_POOL_MOVABLE_MARKS
 *	only pages marked by fa_pool_set_movable() are asked about; the rest
 *	are pinned.
 * @mctx: passed to @movable
 * @moves: receives up to @max_moves moves (unused with FA_PLAN_DRY_RUN)
 * @max_moves: cap on the number of pages moved
 * @flags: FA_PLAN_*
 * @res: optional summary
 *
 * Unless FA_PLAN_DRY_RUN, destination pages are allocated and the source
 * blocks the plan empties are isolated until fa_plan_finish(), which must
 * follow every successful non-dry call.  For each move the mover completes
 * it frees the source page, for each it abandons the destination page.
 *
 * Return: number of moves, or -EINVAL, -EBUSY (a plan of this class is
 * still open), -ENOMEM.
 */
long fa_plan(struct fa_pool *pool, unsigned int cls,
	     bool (*movable)(void *ctx, unsigned long pfn), void *mctx,
	     struct fa_move *moves, unsigned long max_moves,
	     unsigned int flags, struct fa_plan_result *res)
{
	struct fa_plan_ctx pc = {
		.pool = pool, .cls = cls, .movable = movable, .mctx = mctx,
		.moves = moves, .max_moves = max_moves, .flags = flags,
		.dry = flags & FA_PLAN_DRY_RUN,
	};
	struct fa_plan_result r = { 0 };
	int err;

	if (res)
		*res = r;
	if (!pool || cls >= FA_NR_CLASSES || (flags & ~FA_PLAN_VALID_FLAGS) ||
	    (!pc.dry && max_moves && !moves))
		return -EINVAL;
	pc.c = &pool->cls[cls];
	if (pc.c->planning)
		return -EBUSY;
	err = fa_plan_collect(&pc);
	if (err)
		return err;
	fa_plan_mark_pinned(&pc);
	fa_plan_count_loose(&pc);
	fa_plan_keep(&pc);
	if (fa_plan_emit_blocks(&pc))
		fa_plan_emit_loose(&pc);
	fa_plan_summarize(&pc, &r);
	if (res)
		*res = r;
	if (!pc.dry)
		pc.c->planning = true;
	fa_meta_free(&pool->st.meta_bytes, pc.blk, pc.cap * sizeof(*pc.blk));
	return pc.nr;
}

/**
 * fa_plan_finish() - close the plan of a class
 * @pool: pool
 * @cls: FA_CLASS_*
 *
 * Isolated blocks that did not empty return to the fill buckets.
 */
void fa_plan_finish(struct fa_pool *pool, unsigned int cls)
{
	struct fa_class *c;

	if (FA_WARN_ON(!pool || cls >= FA_NR_CLASSES))
		return;
	c = &pool->cls[cls];
	while (!fa_list_empty(&c->isolated)) {
		struct fa_block *b = fa_container_of(c->isolated.next,
						     struct fa_block, node);

		fa_list_del(&b->node);
		b->state = FA_BS_OWNED;
		fa_bm_set_flags(&pool->bm, b->pfn, b->cls | b->state, ~0U);
		fa_pool_block_link(pool, b);
	}
	c->planning = false;
}
