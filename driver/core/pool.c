// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc portable core: compact pool.
 *
 * Whole pageblocks come from the page source; order-0 pages are handed out
 * best fit: the partial block of the class with the fewest free pages
 * first.  Partial blocks sit in per-class buckets indexed by their number
 * of free pages, with a bitmap of non-empty buckets, so picking the best
 * block is a find-first-set over bp / BITS_PER_LONG words and never a scan
 * over blocks.  Empty blocks go back to the source whole (beyond a small
 * reserve).  When the source has no whole block left, pages are taken as
 * "loose" lower-order chunks and recorded per physical pageblock.
 */
#include "internal.h"

static size_t fa_block_bytes(const struct fa_pool *pool, bool loose)
{
	/* used bitmap(s), the movable marks, for owned blocks the zeroed */
	return sizeof(struct fa_block) +
	       (loose ? FA_NR_CLASSES + 1 : 3) * pool->words *
	       sizeof(unsigned long);
}

static unsigned long fa_valid_mask(const struct fa_pool *pool, unsigned int w)
{
	unsigned int rem = pool->bp - w * BITS_PER_LONG;

	return rem >= BITS_PER_LONG ? ~0UL : (1UL << rem) - 1;
}

static unsigned int fa_fill_idx(const struct fa_pool *pool, u32 nr_used)
{
	unsigned int i = (u64)nr_used * FA_FILL_BUCKETS >> pool->cfg.block_order;

	return i < FA_FILL_BUCKETS ? i : FA_FILL_BUCKETS - 1;
}

static void fa_block_flags_sync(struct fa_pool *pool, struct fa_block *b)
{
	fa_bm_set_flags(&pool->bm, b->pfn, b->cls | b->state, ~0U);
}

/*
 * Bucket membership depends on nr_used: always unlink before changing it
 * and link again afterwards.  Full blocks are on no list (their node points
 * to itself), so that the first free of a full block touches no neighbour.
 */
void fa_pool_block_unlink(struct fa_pool *pool, struct fa_block *b)
{
	struct fa_class *c = &pool->cls[b->cls];
	unsigned int nr_free = pool->bp - b->nr_used;

	fa_list_del(&b->node);
	if (b->state == FA_BS_OWNED && nr_free > 0 && nr_free < pool->bp &&
	    fa_list_empty(&c->bucket[nr_free]))
		fa_clear_bit(c->nonempty, nr_free);
}

void fa_pool_block_link(struct fa_pool *pool, struct fa_block *b)
{
	struct fa_class *c = &pool->cls[b->cls];
	unsigned int nr_free = pool->bp - b->nr_used;

	if (b->state == FA_BS_ISOLATED) {
		fa_list_add(&b->node, &c->isolated);
		return;
	}
	if (!nr_free) {
		/* full blocks sit on no list: nothing ever searches them */
		fa_list_init(&b->node);
		return;
	}
	fa_list_add(&b->node, &c->bucket[nr_free]);
	fa_set_bit(c->nonempty, nr_free);
}

static void fa_fill_move(struct fa_pool *pool, u32 old_used, u32 new_used)
{
	pool->st.fill_hist[fa_fill_idx(pool, old_used)]--;
	pool->st.fill_hist[fa_fill_idx(pool, new_used)]++;
}

void fa_pool_block_set_used(struct fa_pool *pool, struct fa_block *b,
			    unsigned int bit)
{
	if (FA_WARN_ON(fa_test_bit(b->map, bit)))
		return;
	fa_pool_block_unlink(pool, b);
	fa_set_bit(b->map, bit);
	fa_clear_bit(fa_block_zeroed_map(pool, b), bit);
	fa_fill_move(pool, b->nr_used, b->nr_used + 1);
	b->nr_used++;
	pool->cls[b->cls].pages_used++;
	fa_pool_block_link(pool, b);
}

void fa_pool_block_isolate(struct fa_pool *pool, struct fa_block *b)
{
	fa_pool_block_unlink(pool, b);
	b->state = FA_BS_ISOLATED;
	fa_block_flags_sync(pool, b);
	fa_pool_block_link(pool, b);
}

/* Give an empty owned block (already unlinked) back to the source. */
static void fa_block_release(struct fa_pool *pool, struct fa_block *b)
{
	unsigned long pfn = b->pfn;

	fa_bm_detach(&pool->bm, pfn);
	fa_meta_free(&pool->st.meta_bytes, b, fa_block_bytes(pool, false));
	pool->st.blocks_released++;
	pool->ops->put(pool->ctx, pfn, pool->cfg.block_order);
}

/* An owned block (unlinked) just became empty: reserve or release it. */
static void fa_block_emptied(struct fa_pool *pool, struct fa_block *b)
{
	pool->cls[b->cls].blocks--;
	pool->st.fill_hist[0]--;
	if (pool->nr_reserve < pool->cfg.reserve_blocks) {
		b->cls = FA_CLASS_NONE;
		b->state = FA_BS_OWNED;
		fa_block_flags_sync(pool, b);
		/* a page of it was handed out (its mark went): dirty */
		fa_list_add(&b->node, &pool->reserve);
		pool->nr_reserve++;
		pool->nr_reserve_dirty++;
		return;
	}
	fa_block_release(pool, b);
}

/* Whether every page of empty block @b holds zeroes (zeroed marks). */
static bool fa_block_clean(const struct fa_pool *pool, struct fa_block *b)
{
	const unsigned long *z = fa_block_zeroed_map(pool, b);
	unsigned int w;

	for (w = 0; w < pool->words; w++)
		if (z[w] != fa_valid_mask(pool, w))
			return false;
	return true;
}

/* Take reserve block @b off the reserve list. */
static void fa_reserve_del(struct fa_pool *pool, struct fa_block *b)
{
	fa_list_del(&b->node);
	pool->nr_reserve--;
	if (!fa_block_clean(pool, b))
		pool->nr_reserve_dirty--;
}

static void fa_release_reserve_one(struct fa_pool *pool)
{
	struct fa_block *b = fa_container_of(pool->reserve.next,
					     struct fa_block, node);

	fa_reserve_del(pool, b);
	fa_block_release(pool, b);
}

/**
 * fa_pool_create() - create a pool
 * @cfg: configuration (copied)
 * @ops: page source (must stay valid for the life of the pool)
 * @ctx: page source context
 *
 * Return: the pool, or NULL on bad arguments or out of memory.
 */
struct fa_pool *fa_pool_create(const struct fa_pool_config *cfg,
			       const struct fa_source_ops *ops, void *ctx)
{
	struct fa_pool *pool;
	unsigned int i, j;
	u64 meta = 0;

	if (!cfg || !ops || !ops->get || !ops->put || !cfg->block_order ||
	    cfg->block_order > FA_MAX_BLOCK_ORDER ||
	    (cfg->flags & ~FA_POOL_VALID_FLAGS))
		return NULL;
	pool = fa_meta_zalloc(&meta, sizeof(*pool));
	if (!pool)
		return NULL;
	pool->st.meta_bytes = meta;
	pool->cfg = *cfg;
	pool->ops = ops;
	pool->ctx = ctx;
	pool->bp = 1U << cfg->block_order;
	pool->words = FA_BITS_TO_LONGS(pool->bp);
	pool->bucket_words = FA_BITS_TO_LONGS(pool->bp);
	fa_bm_init(&pool->bm, cfg->block_order);
	fa_list_init(&pool->reserve);
	fa_list_init(&pool->loose);
	for (i = 0; i < FA_NR_CLASSES; i++) {
		struct fa_class *c = &pool->cls[i];

		fa_list_init(&c->isolated);
		c->bucket = fa_meta_zalloc(&pool->st.meta_bytes,
					   pool->bp * sizeof(*c->bucket));
		c->nonempty = fa_meta_zalloc(&pool->st.meta_bytes,
					     pool->bucket_words *
					     sizeof(unsigned long));
		if (!c->bucket || !c->nonempty)
			goto fail;
		for (j = 0; j < pool->bp; j++)
			fa_list_init(&c->bucket[j]);
	}
	return pool;
fail:
	for (i = 0; i < FA_NR_CLASSES; i++) {
		fa_free(pool->cls[i].bucket);
		fa_free(pool->cls[i].nonempty);
	}
	fa_free(pool);
	return NULL;
}

static int fa_first_block(void *arg, struct fa_block *b, unsigned int flags)
{
	struct fa_block **out = arg;

	(void)flags;
	*out = b;
	return 1;
}

static void fa_destroy_list(struct fa_pool *pool, struct fa_list *head,
			    bool loose)
{
	while (!fa_list_empty(head)) {
		struct fa_block *b = fa_container_of(head->next,
						     struct fa_block, node);

		/* pages still in use: leak them rather than free them */
		fa_list_del(&b->node);
		fa_bm_detach(&pool->bm, b->pfn);
		fa_meta_free(&pool->st.meta_bytes, b, fa_block_bytes(pool, loose));
	}
}

/**
 * fa_pool_destroy() - destroy a pool
 * @pool: pool (may be NULL)
 *
 * All pages must already be freed; the reserve is released to the source.
 * Pages still in use trigger a warning and are leaked, never given back.
 */
void fa_pool_destroy(struct fa_pool *pool)
{
	unsigned int i, j;
	bool leak = false;

	if (!pool)
		return;
	for (i = 0; i < FA_NR_CLASSES; i++)
		if (pool->cls[i].pages_used || pool->cls[i].loose_pages ||
		    pool->cls[i].blocks)
			leak = true;
	/* a zeroer still writing to its block: leak the block too */
	if (FA_WARN_ON(pool->zeroing)) {
		fa_bm_detach(&pool->bm, pool->zeroing->pfn);
		fa_meta_free(&pool->st.meta_bytes, pool->zeroing,
			     fa_block_bytes(pool, false));
		pool->zeroing = NULL;
		pool->nr_reserve--;
	}
	FA_WARN_ON(leak);
	while (!fa_list_empty(&pool->reserve))
		fa_release_reserve_one(pool);
	for (i = 0; i < FA_NR_CLASSES; i++) {
		struct fa_class *c = &pool->cls[i];

		for (j = 0; j < pool->bp; j++)
			fa_destroy_list(pool, &c->bucket[j], false);
		fa_destroy_list(pool, &c->isolated, false);
		fa_meta_free(&pool->st.meta_bytes, c->bucket,
			     pool->bp * sizeof(*c->bucket));
		fa_meta_free(&pool->st.meta_bytes, c->nonempty,
			     pool->bucket_words * sizeof(unsigned long));
	}
	fa_destroy_list(pool, &pool->loose, true);
	/* leaked full blocks are on no list: find them in the blockmap */
	for (;;) {
		struct fa_block *b = NULL;

		fa_bm_for_each(&pool->bm, fa_first_block, &b);
		if (!b)
			break;
		fa_bm_detach(&pool->bm, b->pfn);
		fa_meta_free(&pool->st.meta_bytes, b, fa_block_bytes(pool, false));
	}
	fa_bm_destroy(&pool->bm);
	fa_free(pool);
}

/* Partial block of class @cls with the fewest free pages, or NULL. */
static struct fa_block *fa_best_partial(struct fa_pool *pool, unsigned int cls)
{
	struct fa_class *c = &pool->cls[cls];
	unsigned int w;

	for (w = 0; w < pool->bucket_words; w++) {
		unsigned long word = c->nonempty[w];

		if (!w)
			word &= ~1UL;
		if (word) {
			unsigned int i = w * BITS_PER_LONG + fa_ffs_word(word);

			return fa_container_of(c->bucket[i].next,
					       struct fa_block, node);
		}
	}
	return NULL;
}

/*
 * Copy the zeroed marks @z of the pages just handed out (@taken bits of one
 * block word) to the caller's bitmap, from bit @at on, and clear them: a
 * page in use is never marked.
 */
static void fa_take_zeroed(struct fa_pool *pool, unsigned long *z,
			   unsigned long taken, unsigned long *zout,
			   unsigned long at)
{
	unsigned long hit = *z & taken;

	*z &= ~taken;
	if (!hit)
		return;
	pool->st.pages_prezeroed += fa_popcount_word(hit);
	if (!zout)
		return;
	for (; taken; taken &= taken - 1, at++)
		if (hit & (taken & -taken))
			fa_set_bit(zout, at);
}

/*
 * Take @k free pages of an owned, unlinked block into @out; their zeroed
 * marks go to bit @at on of @zout (may be NULL).
 */
static void fa_block_take(struct fa_pool *pool, struct fa_block *b,
			  unsigned long k, unsigned long *out,
			  unsigned long *zout, unsigned long at)
{
	unsigned long *z = fa_block_zeroed_map(pool, b);
	u32 old = b->nr_used;
	unsigned int w;

	/* the lowest free pages first: none below free_word */
	for (w = b->free_word; k && w < pool->words; w++) {
		unsigned long free = ~b->map[w] & fa_valid_mask(pool, w);
		unsigned long taken = 0;
		unsigned int i;

		if (free == ~0UL && k >= BITS_PER_LONG) {
			taken = ~0UL;
			for (i = 0; i < BITS_PER_LONG; i++)
				out[i] = b->pfn + w * BITS_PER_LONG + i;
			i = BITS_PER_LONG;
		} else {
			for (i = 0; free && i < k; i++) {
				unsigned int bit = fa_ffs_word(free);

				free &= free - 1;
				taken |= 1UL << bit;
				out[i] = b->pfn + w * BITS_PER_LONG + bit;
			}
		}
		b->map[w] |= taken;
		fa_take_zeroed(pool, &z[w], taken, zout, at);
		out += i;
		at += i;
		k -= i;
		b->nr_used += i;
	}
	FA_WARN_ON(k);
	/*
	 * The words before the last one looked at are full now. A full block
	 * gets pool->words, so that the next free alone says where the next
	 * take looks (the word of that page, not one in between).
	 */
	if (b->nr_used == pool->bp)
		b->free_word = pool->words;
	else if (w > b->free_word)
		b->free_word = w - 1;
	pool->cls[b->cls].pages_used += b->nr_used - old;
	fa_fill_move(pool, old, b->nr_used);
}

/*
 * Open an empty block for @cls: from the reserve, else from the source.
 * Returns NULL with *err = 0 when the source has no whole block, or with
 * *err = -ENOMEM when metadata could not be allocated.
 */
struct fa_block *fa_open_block(struct fa_pool *pool, unsigned int cls,
			       int *err)
{
	struct fa_block *b;
	unsigned long pfn;

	*err = 0;
	if (!fa_list_empty(&pool->reserve)) {
		b = fa_container_of(pool->reserve.next, struct fa_block, node);
		fa_reserve_del(pool, b);
	} else {
		if (pool->ops->get(pool->ctx, pool->cfg.block_order, &pfn))
			return NULL;
		b = fa_meta_zalloc(&pool->st.meta_bytes,
				   fa_block_bytes(pool, false));
		if (!b || fa_bm_attach(&pool->bm, pfn, b, 0)) {
			fa_meta_free(&pool->st.meta_bytes, b,
				     fa_block_bytes(pool, false));
			pool->ops->put(pool->ctx, pfn, pool->cfg.block_order);
			*err = -ENOMEM;
			return NULL;
		}
		fa_list_init(&b->node);
		b->pfn = pfn;
		pool->st.blocks_acquired++;
	}
	b->cls = cls;
	b->state = FA_BS_OWNED;
	fa_block_flags_sync(pool, b);
	pool->cls[cls].blocks++;
	pool->st.fill_hist[0]++;
	return b;
}

static void fa_loose_sync_class(struct fa_pool *pool, struct fa_block *b)
{
	unsigned int i, cls = FA_CLASS_NONE, nr = 0;

	for (i = 0; i < FA_NR_CLASSES; i++) {
		if (b->nr_cls[i]) {
			cls = i;
			nr++;
		}
	}
	b->cls = nr == 1 ? cls : FA_CLASS_NONE;
	fa_block_flags_sync(pool, b);
}

/* Record one loose page of class @cls. */
static int fa_loose_add(struct fa_pool *pool, unsigned int cls,
			unsigned long pfn, struct fa_block **bp)
{
	unsigned long base = pfn & ~((unsigned long)pool->bp - 1);
	struct fa_block *b = *bp;
	unsigned int off = pfn - base;

	if (!b || b->pfn != base) {
		b = fa_bm_lookup(&pool->bm, pfn);
		if (!b) {
			b = fa_meta_zalloc(&pool->st.meta_bytes,
					   fa_block_bytes(pool, true));
			if (!b)
				return -ENOMEM;
			if (fa_bm_attach(&pool->bm, pfn, b, FA_BS_LOOSE)) {
				fa_meta_free(&pool->st.meta_bytes, b,
					     fa_block_bytes(pool, true));
				return -ENOMEM;
			}
			b->pfn = base;
			b->state = FA_BS_LOOSE;
			fa_list_add(&b->node, &pool->loose);
			pool->nr_loose_blocks++;
		}
		*bp = b;
	}
	/* the source handed out a page of a block it gave us whole */
	if (FA_WARN_ON(b->state != FA_BS_LOOSE))
		return -EINVAL;
	if (FA_WARN_ON(fa_test_bit(fa_loose_map(pool, b, cls), off)))
		return -EINVAL;
	fa_set_bit(fa_loose_map(pool, b, cls), off);
	b->nr_used++;
	b->nr_cls[cls]++;
	fa_loose_sync_class(pool, b);
	pool->cls[cls].loose_pages++;
	pool->st.loose_acquired++;
	return 0;
}

/* Class of the page at @off of LOOSE block @b, FA_CLASS_NONE if not used. */
static unsigned int fa_loose_class(const struct fa_pool *pool,
				   struct fa_block *b, unsigned int off)
{
	unsigned int cls;

	for (cls = 0; cls < FA_NR_CLASSES; cls++)
		if (fa_test_bit(fa_loose_map(pool, b, cls), off))
			return cls;
	return FA_CLASS_NONE;
}

static void fa_loose_free(struct fa_pool *pool, struct fa_block *b,
			  unsigned long pfn)
{
	unsigned int off = pfn - b->pfn;
	unsigned int cls = fa_loose_class(pool, b, off);

	if (FA_WARN_ON(cls == FA_CLASS_NONE))
		return;
	fa_clear_bit(fa_loose_map(pool, b, cls), off);
	fa_clear_bit(fa_block_movable_map(pool, b), off);
	b->nr_used--;
	b->nr_cls[cls]--;
	pool->cls[cls].loose_pages--;
	pool->st.loose_released++;
	if (!b->nr_used) {
		fa_list_del(&b->node);
		fa_bm_detach(&pool->bm, b->pfn);
		fa_meta_free(&pool->st.meta_bytes, b, fa_block_bytes(pool, true));
		pool->nr_loose_blocks--;
	} else {
		fa_loose_sync_class(pool, b);
	}
	pool->ops->put(pool->ctx, pfn, 0);
}

static unsigned int fa_ilog2(unsigned long n)
{
	unsigned int r = 0;

	while (n >>= 1)
		r++;
	return r;
}

/* One fa_pool_alloc() call. */
struct fa_alloc_ctx {
	struct fa_pool *pool;
	unsigned int cls;
	unsigned long n;
	unsigned long *pfns;
	unsigned long *zeroed;		/* caller's bitmap, or NULL */
	unsigned long done;		/* pages in pfns[] so far */
	unsigned long since;		/* pages since should_stop() was asked */
	bool no_block;			/* the source had no whole block */
	unsigned int loose_order;	/* largest loose order still worth a try */
	struct fa_block *lb;		/* last loose block (fa_loose_add()) */
	struct fa_alloc_result r;
};

/*
 * should_stop() is asked before every source call (@source) and at least
 * every bp pages, so that a fatal signal stops a large request early.
 */
static bool fa_alloc_stop(struct fa_alloc_ctx *ac, bool source)
{
	struct fa_pool *pool = ac->pool;

	if (!source && ac->since < pool->bp)
		return false;
	ac->since = 0;
	return pool->ops->should_stop && pool->ops->should_stop(pool->ctx);
}

/* Count @b once per call in nr_blocks_touched. */
static void fa_touch(struct fa_alloc_ctx *ac, struct fa_block *b)
{
	if (b->stamp != ac->pool->gen) {
		b->stamp = ac->pool->gen;
		ac->r.nr_blocks_touched++;
	}
}

/* An empty block from the reserve or the source; see fa_open_block(). */
static struct fa_block *fa_alloc_open(struct fa_alloc_ctx *ac, int *err)
{
	struct fa_block *b = fa_open_block(ac->pool, ac->cls, err);

	if (b)
		ac->r.nr_fresh_blocks++;
	else
		ac->no_block = true;
	return b;
}

/* Take @k free pages of the owned, unlinked block @b. */
static void fa_alloc_take(struct fa_alloc_ctx *ac, struct fa_block *b,
			  unsigned long k)
{
	struct fa_pool *pool = ac->pool;

	fa_block_take(pool, b, k, ac->pfns + ac->done, ac->zeroed, ac->done);
	fa_pool_block_link(pool, b);
	fa_touch(ac, b);
	ac->done += k;
	ac->since += k;
}

/*
 * Step 1: floor(n / bp) whole blocks of the request's own; when the source
 * has no whole block left, step 2 takes the rest.
 */
static int fa_alloc_whole(struct fa_alloc_ctx *ac)
{
	unsigned long i, whole = ac->n >> ac->pool->cfg.block_order;
	struct fa_block *b;
	int err;

	for (i = 0; i < whole; i++) {
		if (fa_alloc_stop(ac, true))
			return -EINTR;
		b = fa_alloc_open(ac, &err);
		if (!b)
			return err;
		fa_alloc_take(ac, b, ac->pool->bp);
	}
	return 0;
}

/*
 * Step 2: the rest best fit, into the partial block of the class with the
 * fewest free pages, again and again; a fresh block only when none has room.
 */
static int fa_alloc_partial(struct fa_alloc_ctx *ac)
{
	struct fa_pool *pool = ac->pool;
	struct fa_block *b;
	unsigned long k;
	int err;

	while (ac->done < ac->n) {
		b = fa_best_partial(pool, ac->cls);
		if (!b && ac->no_block)
			return 0;
		if (fa_alloc_stop(ac, !b))
			return -EINTR;
		if (b) {
			fa_pool_block_unlink(pool, b);
		} else {
			b = fa_alloc_open(ac, &err);
			if (!b)
				return err;
		}
		k = pool->bp - b->nr_used;
		if (k > ac->n - ac->done)
			k = ac->n - ac->done;
		fa_alloc_take(ac, b, k);
	}
	return 0;
}

/* One loose chunk: the largest order the source has that fits the rest. */
static int fa_alloc_loose_chunk(struct fa_alloc_ctx *ac)
{
	struct fa_pool *pool = ac->pool;
	unsigned int order = fa_ilog2(ac->n - ac->done);
	unsigned long pfn, k;
	int err;

	if (order > ac->loose_order)
		order = ac->loose_order;
	while (pool->ops->get(pool->ctx, order, &pfn)) {
		if (!order)
			return -ENOMEM;
		order--;
	}
	/* the larger orders just failed: not asked for again in this call */
	ac->loose_order = order;
	for (k = 0; k < (1UL << order); k++) {
		err = fa_loose_add(pool, ac->cls, pfn + k, &ac->lb);
		if (err) {
			for (; k < (1UL << order); k++)
				pool->ops->put(pool->ctx, pfn + k, 0);
			return err;
		}
		fa_touch(ac, ac->lb);
		ac->pfns[ac->done++] = pfn + k;
		ac->r.nr_loose++;
	}
	return 0;
}

/*
 * Step 3: loose pages, when no owned block has room and the source has no
 * whole block. Every chunk is a source call, so each is preceded by a stop
 * check; nothing here makes room in an owned block, so step 2 is not
 * tried again.
 */
static int fa_alloc_loose(struct fa_alloc_ctx *ac)
{
	int err = 0;

	while (!err && ac->done < ac->n)
		err = fa_alloc_stop(ac, true) ? -EINTR :
		      fa_alloc_loose_chunk(ac);
	return err;
}

/**
 * fa_pool_alloc() - allocate order-0 pages
 * @pool: pool
 * @cls: FA_CLASS_*
 * @n: number of pages
 * @pfns: receives the n pfns
 * @flags: FA_ALLOC_*
 * @res: optional result details (zeroed on failure)
 *
 * floor(n / block pages) whole blocks are opened for the request; the rest
 * goes best fit into partial blocks of the class, then into a new block,
 * then (unless FA_ALLOC_STRICT) into loose pages from the largest
 * lower-order chunks the source still has.  All or nothing.
 *
 * Return: 0; -EINVAL on bad arguments, -ENOMEM, or -EINTR when
 * should_stop() fired.  On failure nothing stays allocated.
 */
int fa_pool_alloc(struct fa_pool *pool, unsigned int cls, unsigned long n,
		  unsigned long *pfns, unsigned int flags,
		  struct fa_alloc_result *res)
{
	return fa_pool_alloc_zeroed(pool, cls, n, pfns, NULL, flags, res);
}

/**
 * fa_pool_alloc_zeroed() - fa_pool_alloc(), telling which pages hold zeroes
 * @pool: pool
 * @cls: FA_CLASS_*
 * @n: number of pages
 * @pfns: receives the n pfns
 * @zeroed: NULL, or a bitmap of n bits: bit i is set when pfns[i] is known
 *	to hold zeroes (fa_pool_zero_end()); the others hold anything
 * @flags: FA_ALLOC_*
 * @res: optional result details (zeroed on failure)
 *
 * Return: as fa_pool_alloc().
 */
int fa_pool_alloc_zeroed(struct fa_pool *pool, unsigned int cls,
			 unsigned long n, unsigned long *pfns,
			 unsigned long *zeroed, unsigned int flags,
			 struct fa_alloc_result *res)
{
	struct fa_alloc_ctx ac = { .pool = pool, .cls = cls, .n = n,
				   .pfns = pfns, .zeroed = zeroed };
	unsigned long w;
	int err;

	if (res)
		*res = ac.r;
	if (!pool || cls >= FA_NR_CLASSES || (flags & ~FA_ALLOC_VALID_FLAGS) ||
	    (n && !pfns))
		return -EINVAL;
	if (!n)
		return 0;
	for (w = 0; zeroed && w < FA_BITS_TO_LONGS(n); w++)
		zeroed[w] = 0;
	if (!++pool->gen)
		pool->gen = 1;
	ac.loose_order = pool->cfg.block_order - 1;
	err = fa_alloc_whole(&ac);
	if (!err)
		err = fa_alloc_partial(&ac);
	if (!err && ac.done < n)
		err = (flags & FA_ALLOC_STRICT) ? -ENOMEM : fa_alloc_loose(&ac);
	if (err) {
		fa_pool_free(pool, pfns, ac.done);
		return err;
	}
	if (ac.r.nr_loose)
		pool->st.fallbacks++;
	ac.r.nr_pages = n;
	if (res)
		*res = ac.r;
	return 0;
}

/**
 * fa_pool_free() - free pages handed out by fa_pool_alloc() or fa_plan()
 * @pool: pool
 * @pfns: pages
 * @n: number of pages
 *
 * Loose pages go back to the source at once; a block that becomes empty
 * goes to the reserve, or back to the source whole.
 */
void fa_pool_free(struct fa_pool *pool, const unsigned long *pfns,
		  unsigned long n)
{
	unsigned long i = 0;

	while (i < n) {
		unsigned long pfn = pfns[i];
		struct fa_block *b = fa_bm_lookup(&pool->bm, pfn);
		u32 old;

		if (FA_WARN_ON(!b)) {
			i++;
			continue;
		}
		if (b->state == FA_BS_LOOSE) {
			fa_loose_free(pool, b, pfn);
			i++;
			continue;
		}
		/* misuse (a page freed twice): never touch a reserve block */
		if (FA_WARN_ON(b->cls >= FA_NR_CLASSES ||
			       !fa_test_bit(b->map, pfn & (pool->bp - 1)))) {
			i++;
			continue;
		}
		/*
		 * Owned block: free the run of following pages that lie in
		 * the same block with one bucket move.
		 */
		old = b->nr_used;
		fa_pool_block_unlink(pool, b);
		for (; i < n && pfns[i] - b->pfn < pool->bp; i++) {
			/* pfns[i] - b->pfn, without waiting for b->pfn */
			unsigned int off = pfns[i] & (pool->bp - 1);

			if (FA_WARN_ON(!fa_test_bit(b->map, off)))
				continue;
			fa_clear_bit(b->map, off);
			fa_clear_bit(fa_block_movable_map(pool, b), off);
			/*
			 * It comes back dirty, unmarked: the mark went when
			 * it was handed out (one cache line less per free).
			 */
			if (off / BITS_PER_LONG < b->free_word)
				b->free_word = off / BITS_PER_LONG;
			b->nr_used--;
		}
		pool->cls[b->cls].pages_used -= old - b->nr_used;
		fa_fill_move(pool, old, b->nr_used);
		if (b->nr_used)
			fa_pool_block_link(pool, b);
		else
			fa_block_emptied(pool, b);
	}
}

/**
 * fa_pool_trim() - release empty reserve blocks to the source
 * @pool: pool
 * @nr_blocks: at most this many
 *
 * Return: number of blocks released.
 */
unsigned long fa_pool_trim(struct fa_pool *pool, unsigned long nr_blocks)
{
	unsigned long done = 0;

	while (done < nr_blocks && !fa_list_empty(&pool->reserve)) {
		fa_release_reserve_one(pool);
		done++;
	}
	return done;
}

/**
 * fa_pool_zero_begin() - take a reserve block out to zero its dirty pages
 * @pool: pool
 * @pfn: receives the block's first pfn
 * @dirty: receives a bitmap of block-size bits: the pages not known to hold
 *	zeroes, which the caller is to clear
 *
 * The block leaves the reserve list (it still counts in the reserve), so
 * that nothing hands out or releases its pages while the caller writes to
 * them without the pool lock; fa_pool_zero_end() puts it back. Never the
 * front block, the one the next allocation takes.
 *
 * Return: the number of dirty pages; 0 when no reserve block but the front
 * one has any (nothing taken); -EBUSY when a block is out already.
 */
long fa_pool_zero_begin(struct fa_pool *pool, unsigned long *pfn,
			unsigned long *dirty)
{
	struct fa_list *pos;
	struct fa_block *b;
	unsigned long *z;
	unsigned int w;
	long n = 0;

	if (pool->zeroing)
		return -EBUSY;
	if (!pool->nr_reserve_dirty)
		return 0;
	/*
	 * Not the front block. Dirty blocks come in at the front and clean
	 * ones go to the end, so the first dirty one is near the front.
	 */
	for (pos = pool->reserve.next->next; pos != &pool->reserve;
	     pos = pos->next)
		if (!fa_block_clean(pool, fa_container_of(pos, struct fa_block,
							  node)))
			break;
	if (pos == &pool->reserve)
		return 0;
	b = fa_container_of(pos, struct fa_block, node);
	z = fa_block_zeroed_map(pool, b);
	for (w = 0; w < pool->words; w++) {
		dirty[w] = ~z[w] & fa_valid_mask(pool, w);
		n += fa_popcount_word(dirty[w]);
	}
	fa_reserve_del(pool, b);
	pool->nr_reserve++;		/* still counts while it is out */
	pool->zeroing = b;
	*pfn = b->pfn;
	return n;
}

/**
 * fa_pool_zero_end() - put back the block of fa_pool_zero_begin()
 * @pool: pool
 * @zeroed: bitmap of the pages now holding zeroes (a subset of the dirty
 *	ones, when the caller stopped early)
 *
 * No page of the block was handed out since fa_pool_zero_begin() (it was
 * off every list), so the marks hold. The block goes to the end of the
 * reserve, or to the source when the reserve limit dropped meanwhile.
 */
void fa_pool_zero_end(struct fa_pool *pool, const unsigned long *zeroed)
{
	struct fa_block *b = pool->zeroing;
	unsigned long *z;
	unsigned int w;

	if (FA_WARN_ON(!b))
		return;
	pool->zeroing = NULL;
	z = fa_block_zeroed_map(pool, b);
	for (w = 0; w < pool->words; w++) {
		unsigned long add = zeroed[w] & ~z[w] & fa_valid_mask(pool, w);

		pool->st.pages_zeroed += fa_popcount_word(add);
		z[w] |= add;
	}
	if (pool->nr_reserve > pool->cfg.reserve_blocks) {
		pool->nr_reserve--;
		fa_block_release(pool, b);
		return;
	}
	/* behind the blocks emptied meanwhile: they are reused first */
	fa_list_add(&b->node, pool->reserve.prev);
	if (!fa_block_clean(pool, b))
		pool->nr_reserve_dirty++;
}

/*
 * Turn owned block @b (linked, not isolated, not full) into a LOOSE block:
 * its used pages become loose pages of its class, its free pages go back to
 * the source one by one. Return: pages given back, 0 if no metadata.
 */
static unsigned long fa_block_break(struct fa_pool *pool, struct fa_block *b)
{
	struct fa_block *l = fa_meta_zalloc(&pool->st.meta_bytes,
					    fa_block_bytes(pool, true));
	unsigned int cls = b->cls, w, bit;
	unsigned long freed = 0;

	if (!l)
		return 0;
	fa_pool_block_unlink(pool, b);
	l->pfn = b->pfn;
	l->state = FA_BS_LOOSE;
	l->nr_used = b->nr_used;
	l->nr_cls[cls] = b->nr_used;
	for (w = 0; w < pool->words; w++) {
		fa_loose_map(pool, l, cls)[w] = b->map[w];
		fa_block_movable_map(pool, l)[w] =
			fa_block_movable_map(pool, b)[w];
	}
	pool->cls[cls].blocks--;
	pool->cls[cls].pages_used -= b->nr_used;
	pool->cls[cls].loose_pages += b->nr_used;
	pool->st.fill_hist[fa_fill_idx(pool, b->nr_used)]--;
	/* the loose counters: as if the used pages had come in loose */
	pool->st.loose_acquired += b->nr_used;
	fa_bm_replace(&pool->bm, b->pfn, l);
	fa_list_add(&l->node, &pool->loose);
	pool->nr_loose_blocks++;
	fa_loose_sync_class(pool, l);
	for (bit = 0; bit < pool->bp; bit++) {
		if (fa_test_bit(b->map, bit))
			continue;
		pool->ops->put(pool->ctx, b->pfn + bit, 0);
		freed++;
	}
	fa_meta_free(&pool->st.meta_bytes, b, fa_block_bytes(pool, false));
	pool->st.blocks_broken++;
	pool->st.broken_pages_released += freed;
	return freed;
}

/**
 * fa_pool_break() - give back the free pages of partial blocks one by one
 * @pool: pool
 * @cls: class
 * @max_pages: stop once this many pages went back (0: no limit)
 * @keep: partial blocks of the class to leave whole (the fullest ones)
 *
 * For memory the kernel needs now, when recompaction cannot empty blocks
 * (pinned pages, locks not to be had): the emptiest partial blocks become
 * LOOSE, their free pages go back to the source, and their used pages go
 * back one by one as they are freed. Nothing while the class is planned.
 *
 * Return: pages given back.
 */
unsigned long fa_pool_break(struct fa_pool *pool, unsigned int cls,
			    unsigned long max_pages, unsigned int keep)
{
	struct fa_class *c;
	unsigned long done = 0, partial = 0, i;
	struct fa_list *pos;

	if (cls >= FA_NR_CLASSES)
		return 0;
	c = &pool->cls[cls];
	if (c->planning)
		return 0;
	for (i = 1; i < pool->bp; i++)
		for (pos = c->bucket[i].next; pos != &c->bucket[i];
		     pos = pos->next)
			partial++;
	/* emptiest first: the most free pages per break */
	for (i = pool->bp - 1; i > 0 && partial > keep; i--) {
		while (!fa_list_empty(&c->bucket[i]) && partial > keep &&
		       (!max_pages || done < max_pages)) {
			struct fa_block *b = fa_container_of(c->bucket[i].next,
							     struct fa_block,
							     node);
			unsigned long n = fa_block_break(pool, b);

			if (!n)
				return done;
			done += n;
			partial--;
		}
		if (max_pages && done >= max_pages)
			break;
	}
	return done;
}

/**
 * fa_pool_reclaimable_pages() - free pages the pool could give back now
 * @pool: pool
 *
 * The reserve, plus the free pages of every class's owned blocks except
 * those of its fullest partial block: what trimming, recompaction and
 * fa_pool_break() together can return (what a shrinker reports).
 *
 * Return: a page count.
 */
u64 fa_pool_reclaimable_pages(const struct fa_pool *pool)
{
	/* the block being zeroed is off the list: trimming cannot take it */
	u64 n = (u64)(pool->nr_reserve - !!pool->zeroing) * pool->bp;
	unsigned int cls, i;

	for (cls = 0; cls < FA_NR_CLASSES; cls++) {
		const struct fa_class *c = &pool->cls[cls];
		u64 free = c->blocks * pool->bp - c->pages_used;

		/* the fullest partial block (fewest free pages) stays */
		for (i = 1; i < pool->bp; i++)
			if (fa_test_bit(c->nonempty, i))
				break;
		if (i < pool->bp)
			free -= i;
		n += free;
	}
	return n;
}

/**
 * fa_pool_reserve_blocks() - number of empty blocks in the reserve
 * @pool: pool
 *
 * Return: the count (what a shrinker could free).
 */
unsigned long fa_pool_reserve_blocks(const struct fa_pool *pool)
{
	return pool->nr_reserve;
}

/**
 * fa_pool_set_reserve() - change the number of empty blocks kept
 * @pool: pool
 * @reserve_blocks: new limit; excess reserve blocks are released now
 */
void fa_pool_set_reserve(struct fa_pool *pool, unsigned int reserve_blocks)
{
	pool->cfg.reserve_blocks = reserve_blocks;
	/* a block being zeroed goes at fa_pool_zero_end() */
	while (pool->nr_reserve > reserve_blocks &&
	       !fa_list_empty(&pool->reserve))
		fa_release_reserve_one(pool);
}

/**
 * fa_pool_get_stats() - snapshot of the pool counters
 * @pool: pool
 * @st: filled in
 */
void fa_pool_get_stats(const struct fa_pool *pool, struct fa_pool_stats *st)
{
	unsigned int i;

	*st = pool->st;
	for (i = 0; i < FA_NR_CLASSES; i++) {
		const struct fa_class *c = &pool->cls[i];

		st->cls[i].blocks = c->blocks;
		st->cls[i].pages_used = c->pages_used;
		st->cls[i].pages_free = c->blocks * pool->bp - c->pages_used;
		st->cls[i].loose_pages = c->loose_pages;
	}
	st->reserve_blocks = pool->nr_reserve;
	st->fill_hist[0] += pool->nr_reserve;
	st->meta_bytes += pool->bm.meta_bytes;
}

/**
 * fa_pool_stats_add() - add one pool's counters to another's
 * @sum: the running sum (start from zeroes)
 * @st: a pool's fa_pool_get_stats()
 *
 * For a caller with several pools (one per NUMA node, say): every counter
 * of the sum is the sum of the pools' (the fill histogram bucket by
 * bucket), so the sum reads as the counters of one pool holding them all.
 */
void fa_pool_stats_add(struct fa_pool_stats *sum,
		       const struct fa_pool_stats *st)
{
	unsigned int i;

	for (i = 0; i < FA_NR_CLASSES; i++) {
		sum->cls[i].blocks += st->cls[i].blocks;
		sum->cls[i].pages_used += st->cls[i].pages_used;
		sum->cls[i].pages_free += st->cls[i].pages_free;
		sum->cls[i].loose_pages += st->cls[i].loose_pages;
	}
	for (i = 0; i < FA_FILL_BUCKETS; i++)
		sum->fill_hist[i] += st->fill_hist[i];
	sum->reserve_blocks += st->reserve_blocks;
	sum->fallbacks += st->fallbacks;
	sum->blocks_acquired += st->blocks_acquired;
	sum->blocks_released += st->blocks_released;
	sum->loose_acquired += st->loose_acquired;
	sum->loose_released += st->loose_released;
	sum->blocks_broken += st->blocks_broken;
	sum->broken_pages_released += st->broken_pages_released;
	sum->meta_bytes += st->meta_bytes;
	sum->pages_zeroed += st->pages_zeroed;
	sum->pages_prezeroed += st->pages_prezeroed;
}

/**
 * fa_pool_block_flags() - blockmap flags of the pageblock holding a pfn
 * @pool: pool
 * @pfn: pfn
 *
 * Return: FA_BF_CLASS_MASK and FA_BF_STATE_MASK bits; 0 (FA_BS_NONE) for
 * pageblocks the pool does not know.
 */
unsigned int fa_pool_block_flags(const struct fa_pool *pool, unsigned long pfn)
{
	return fa_bm_get_flags(&pool->bm, pfn, ~0U);
}

/**
 * fa_pool_block_order() - pageblock order of the pool
 * @pool: pool
 *
 * Return: block_order from the configuration.
 */
unsigned int fa_pool_block_order(const struct fa_pool *pool)
{
	return pool->cfg.block_order;
}

/**
 * fa_pool_page_in_use() - whether a pfn is a page handed out by the pool
 * @pool: pool
 * @pfn: pfn
 *
 * Return: true for pages in use (owned or loose).
 */
bool fa_pool_page_in_use(const struct fa_pool *pool, unsigned long pfn)
{
	return fa_pool_page_class(pool, pfn) != FA_CLASS_NONE;
}

struct fa_iter_ctx {
	int (*fn)(void *arg, const struct fa_block_info *bi);
	void *arg;
};

static int fa_iter_one(void *arg, struct fa_block *b, unsigned int flags)
{
	struct fa_iter_ctx *it = arg;
	struct fa_block_info bi = {
		.pfn = b->pfn,
		.flags = flags,
		.nr_used = b->nr_used,
	};

	return it->fn(it->arg, &bi);
}

/**
 * fa_pool_walk_blocks() - walk the pageblocks known to the pool
 * @pool: pool
 * @fn: called for each pageblock in ascending pfn order; a non-zero
 *	return stops the walk
 * @arg: passed to @fn
 *
 * Return: 0, or the first non-zero value returned by @fn.
 */
int fa_pool_walk_blocks(const struct fa_pool *pool,
			int (*fn)(void *arg,
				  const struct fa_block_info *bi),
			void *arg)
{
	struct fa_iter_ctx it = { .fn = fn, .arg = arg };

	return fa_bm_for_each(&pool->bm, fa_iter_one, &it);
}

/**
 * fa_pool_set_movable() - record whether pages in use may be moved
 * @pool: pool created with FA_POOL_MOVABLE_MARKS
 * @pfns: pages handed out by the pool
 * @n: number of pages
 * @movable: the new mark
 *
 * The mark is the pool's own record: fa_pool_free() clears it, and the
 * planner moves no page without it.
 */
void fa_pool_set_movable(struct fa_pool *pool, const unsigned long *pfns,
			 unsigned long n, bool movable)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		struct fa_block *b = fa_bm_lookup(&pool->bm, pfns[i]);
		unsigned long *map;

		if (FA_WARN_ON(!b || !fa_pool_page_in_use(pool, pfns[i])))
			continue;
		map = fa_block_movable_map(pool, b);
		if (movable)
			fa_set_bit(map, pfns[i] - b->pfn);
		else
			fa_clear_bit(map, pfns[i] - b->pfn);
	}
}

/**
 * fa_pool_page_class() - the class of a page in use
 * @pool: pool
 * @pfn: pfn
 *
 * Return: FA_CLASS_*, or FA_CLASS_NONE for pages not in use.
 */
unsigned int fa_pool_page_class(const struct fa_pool *pool, unsigned long pfn)
{
	struct fa_block *b = fa_bm_lookup(&pool->bm, pfn);
	unsigned int off;

	if (!b)
		return FA_CLASS_NONE;
	off = pfn - b->pfn;
	if (b->state == FA_BS_LOOSE)
		return fa_loose_class(pool, b, off);
	return fa_test_bit(b->map, off) ? b->cls : FA_CLASS_NONE;
}

/**
 * fa_pool_page_movable() - whether a page in use is marked movable
 * @pool: pool
 * @pfn: pfn
 *
 * Return: the mark set by fa_pool_set_movable(); false for pages the pool
 * does not hand out.
 */
bool fa_pool_page_movable(const struct fa_pool *pool, unsigned long pfn)
{
	struct fa_block *b = fa_bm_lookup(&pool->bm, pfn);

	return b && fa_test_bit(fa_block_movable_map(pool, b), pfn - b->pfn);
}
