// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc portable core: recompaction planner.
 *
 * For one class with U pages in use in its owned blocks, P blocks pinned
 * by an immovable page and Lm movable loose pages, keep
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
 *
 * Source blocks are emitted emptiest first, so a plan capped by max_moves
 * is the full plan's first max_moves moves: it frees as many blocks as the
 * cap allows, makes progress on the next one, and repeated capped plans
 * converge to the full plan.
 */
#include "internal.h"

#define FA_PLAN_PINNED	0x1
#define FA_PLAN_KEEP	0x2

struct fa_dst_cursor {
	struct fa_block **blk;
	unsigned long nb;
	unsigned long idx;
	unsigned int bit;
};

/* Next free slot of a kept block, fullest kept block first. */
static bool fa_next_dst(struct fa_pool *pool, struct fa_dst_cursor *dc,
			bool dry, unsigned long *pfn)
{
	while (dc->idx < dc->nb) {
		struct fa_block *b = dc->blk[dc->idx];

		if (b->plan & FA_PLAN_KEEP) {
			while (dc->bit < pool->bp &&
			       fa_test_bit(b->map, dc->bit))
				dc->bit++;
			if (dc->bit < pool->bp) {
				*pfn = b->pfn + dc->bit;
				if (!dry)
					fa_pool_block_set_used(pool, b, dc->bit);
				dc->bit++;
				return true;
			}
		}
		dc->idx++;
		dc->bit = 0;
	}
	return false;
}

/*
 * FA_PLAN_GROW: open one more block of @cls as a destination. The caller
 * takes a slot of it at once, so no empty block is ever left behind.
 */
static bool fa_plan_grow(struct fa_pool *pool, unsigned int cls,
			 struct fa_dst_cursor *dc, unsigned long cap, bool dry)
{
	struct fa_block *b;
	int err;

	if (dry)
		return true;
	if (dc->nb >= cap)
		return false;
	b = fa_open_block(pool, cls, &err);
	if (!b)
		return false;
	b->plan = FA_PLAN_KEEP;
	dc->blk[dc->nb++] = b;
	return true;
}

struct fa_collect {
	struct fa_pool *pool;
	unsigned int cls;
	struct fa_block **blk;
	unsigned long nb;
	unsigned long n;
};

static int fa_collect_full(void *arg, struct fa_block *b, unsigned int flags)
{
	struct fa_collect *fc = arg;

	if (flags != (FA_BS_OWNED | fc->cls) || b->nr_used != fc->pool->bp)
		return 0;
	if (FA_WARN_ON(fc->n >= fc->nb))
		return 1;
	fc->blk[fc->n++] = b;
	return 0;
}

/* The pool's own record first; the caller's test only on top of it. */
static bool fa_is_movable(const struct fa_pool *pool,
			  bool (*movable)(void *ctx, unsigned long pfn),
			  void *mctx, unsigned long pfn)
{
	if ((pool->cfg.flags & FA_POOL_MOVABLE_MARKS) &&
	    !fa_pool_page_movable(pool, pfn))
		return false;
	return !movable || movable(mctx, pfn);
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
	bool dry = flags & FA_PLAN_DRY_RUN;
	struct fa_plan_result r = { 0 };
	struct fa_dst_cursor dc = { 0 };
	unsigned long nb, i, j, keep, room, emptied = 0, nr = 0;
	unsigned long used = 0, pinned = 0, lm = 0, lmoved = 0;
	unsigned long cap, real_room, grown = 0;
	struct fa_block **blk = NULL;
	struct fa_collect fc;
	struct fa_class *c;
	struct fa_list *pos;
	size_t bytes;
	unsigned int bit;

	if (res)
		*res = r;
	if (!pool || cls >= FA_NR_CLASSES || (flags & ~FA_PLAN_VALID_FLAGS) ||
	    (!dry && max_moves && !moves))
		return -EINVAL;
	c = &pool->cls[cls];
	if (c->planning)
		return -EBUSY;
	nb = c->blocks;
	/* room for the blocks FA_PLAN_GROW may open: one per bp loose pages */
	cap = nb + ((flags & FA_PLAN_GROW) ?
		    ((c->loose_pages + pool->bp - 1) >> pool->cfg.block_order) : 0);
	bytes = cap * sizeof(*blk);
	if (cap) {
		blk = fa_meta_zalloc(&pool->meta_bytes, bytes);
		if (!blk)
			return -ENOMEM;
	}
	/* owned blocks, fullest first: full ones are on no list */
	fc.pool = pool;
	fc.cls = cls;
	fc.blk = blk;
	fc.nb = nb;
	fc.n = 0;
	if (nb)
		fa_bm_for_each(&pool->bm, fa_collect_full, &fc);
	j = fc.n;
	for (i = 1; i < pool->bp; i++) {
		for (pos = c->bucket[i].next; pos != &c->bucket[i];
		     pos = pos->next) {
			struct fa_block *b = fa_container_of(pos,
							     struct fa_block,
							     node);

			if (FA_WARN_ON(j >= nb))
				break;
			blk[j++] = b;
		}
	}
	FA_WARN_ON(j != nb);
	nb = j;
	for (i = 0; i < nb; i++) {
		struct fa_block *b = blk[i];

		fa_resched();
		b->plan = 0;
		used += b->nr_used;
		for (bit = 0; bit < pool->bp; bit++) {
			if (fa_test_bit(b->map, bit) &&
			    !fa_is_movable(pool, movable, mctx, b->pfn + bit)) {
				b->plan = FA_PLAN_PINNED | FA_PLAN_KEEP;
				pinned++;
				break;
			}
		}
	}
	for (pos = pool->loose.next; pos != &pool->loose; pos = pos->next) {
		struct fa_block *b = fa_container_of(pos, struct fa_block, node);

		if (!b->nr_cls[cls])
			continue;
		fa_resched();
		for (bit = 0; bit < pool->bp; bit++)
			if (fa_test_bit(b->map, cls * pool->words *
					BITS_PER_LONG + bit) &&
			    fa_is_movable(pool, movable, mctx, b->pfn + bit))
				lm++;
	}
	keep = (used + lm + pool->bp - 1) >> pool->cfg.block_order;
	if (keep > nb)
		keep = nb;
	if (keep < pinned)
		keep = pinned;
	room = keep * pool->bp - used;
	/* keep the fullest unpinned blocks */
	for (i = 0, j = pinned; i < nb && j < keep; i++) {
		if (!(blk[i]->plan & FA_PLAN_PINNED)) {
			blk[i]->plan = FA_PLAN_KEEP;
			j++;
		}
	}
	real_room = room;
	dc.blk = blk;
	dc.nb = nb;
	/*
	 * Empty the other blocks, emptiest first. A cap cuts the plan after
	 * max_moves moves, possibly inside a block: that block is isolated
	 * all the same, and the next plan goes on emptying it.
	 */
	for (i = nb; i-- > 0 && nr < max_moves;) {
		struct fa_block *b = blk[i];
		bool whole;

		if (b->plan & FA_PLAN_KEEP)
			continue;
		whole = b->nr_used <= max_moves - nr;
		for (bit = 0; bit < pool->bp && nr < max_moves; bit++) {
			unsigned long dst;

			if (!fa_test_bit(b->map, bit))
				continue;
			if (FA_WARN_ON(!fa_next_dst(pool, &dc, dry, &dst)))
				goto out;
			if (!dry) {
				moves[nr].src = b->pfn + bit;
				moves[nr].dst = dst;
			}
			nr++;
		}
		if (whole)
			emptied++;
		if (!dry)
			fa_pool_block_isolate(pool, b);
	}
	/* then loose pages into the room left, opening blocks if asked to */
	for (pos = pool->loose.next; pos != &pool->loose && nr < max_moves;
	     pos = pos->next) {
		struct fa_block *b = fa_container_of(pos, struct fa_block, node);

		if (!b->nr_cls[cls])
			continue;
		for (bit = 0; bit < pool->bp && nr < max_moves; bit++) {
			unsigned long src = b->pfn + bit, dst = 0;

			if (!fa_test_bit(b->map, cls * pool->words *
					 BITS_PER_LONG + bit) ||
			    !fa_is_movable(pool, movable, mctx, src))
				continue;
			if (lmoved >= room) {
				if (!(flags & FA_PLAN_GROW) ||
				    !fa_plan_grow(pool, cls, &dc, cap, dry))
					goto out;
				room += pool->bp;
				grown++;
			}
			/* a dry run's grown blocks are only counted */
			if (!dry || lmoved < real_room) {
				if (FA_WARN_ON(!fa_next_dst(pool, &dc, dry,
							    &dst)))
					goto out;
			}
			if (!dry) {
				moves[nr].src = src;
				moves[nr].dst = dst;
			}
			nr++;
			lmoved++;
		}
	}
out:
	r.nr_moves = nr;
	r.blocks_before = nb;
	r.blocks_after = nb - emptied + grown;
	room = pool->cfg.reserve_blocks > pool->nr_reserve ?
	       pool->cfg.reserve_blocks - pool->nr_reserve : 0;
	r.blocks_released = emptied > room ? emptied - room : 0;
	r.loose_before = c->loose_pages;
	r.loose_after = c->loose_pages - lmoved;
	if (res)
		*res = r;
	if (!dry)
		c->planning = true;
	fa_meta_free(&pool->meta_bytes, blk, bytes);
	return nr;
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
