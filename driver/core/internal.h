/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fragalloc portable core: private structures shared by blockmap.c,
 * pool.c, planner.c and the host invariant checker.
 */
#ifndef _FRAGALLOC_CORE_INTERNAL_H
#define _FRAGALLOC_CORE_INTERNAL_H

#include "core.h"

/*
 * Sparse blockmap: a radix tree over pageblock indices (pfn >> block_order).
 * Leaves (chunks) cover FA_BM_CHUNK_BLOCKS pageblocks each and hold the
 * flag bits plus a struct fa_block pointer per pageblock; interior nodes
 * have FA_BM_FANOUT slots.  The tree grows in height on demand, so no
 * memory is sized by the largest pfn; empty chunks and nodes are freed.
 */
#define FA_BM_CHUNK_SHIFT	6
#define FA_BM_CHUNK_BLOCKS	BIT(FA_BM_CHUNK_SHIFT)
#define FA_BM_FANOUT_SHIFT	6
#define FA_BM_FANOUT		BIT(FA_BM_FANOUT_SHIFT)
#define FA_BM_FLAG_WORDS \
	FA_BITS_TO_LONGS(FA_BM_CHUNK_BLOCKS * FA_BLOCK_FLAG_BITS)

struct fa_block;

struct fa_bm_chunk {
	unsigned long flags[FA_BM_FLAG_WORDS];
	struct fa_block *blk[FA_BM_CHUNK_BLOCKS];
	unsigned int nr_attached;
};

struct fa_bm_node {
	void *slot[FA_BM_FANOUT];
	unsigned int nr_slots;
};

struct fa_blockmap {
	unsigned int block_order;
	unsigned int height;		/* 0: empty; 1: root is a chunk */
	void *root;
	u64 meta_bytes;
};

void fa_bm_init(struct fa_blockmap *bm, unsigned int block_order);
void fa_bm_destroy(struct fa_blockmap *bm);
int fa_bm_attach(struct fa_blockmap *bm, unsigned long pfn,
		 struct fa_block *blk, unsigned int flags);
void fa_bm_detach(struct fa_blockmap *bm, unsigned long pfn);
void fa_bm_replace(struct fa_blockmap *bm, unsigned long pfn,
		   struct fa_block *blk);
struct fa_block *fa_bm_lookup(const struct fa_blockmap *bm,
			      unsigned long pfn);
unsigned int fa_bm_get_flags(const struct fa_blockmap *bm, unsigned long pfn,
			     unsigned int mask);
void fa_bm_set_flags(struct fa_blockmap *bm, unsigned long pfn,
		     unsigned int flags, unsigned int mask);
int fa_bm_for_each(const struct fa_blockmap *bm,
		   int (*fn)(void *arg, struct fa_block *blk,
			     unsigned int flags),
		   void *arg);

/*
 * One pageblock known to the pool: either owned whole (state OWNED or
 * ISOLATED, bitmap of used pages in map[]) or a LOOSE pageblock whose
 * individual pages the pool holds (one bitmap per class in map[]). A
 * bitmap after those marks the pages in use that may move
 * (FA_POOL_MOVABLE_MARKS); it is always a subset of the used pages. Owned
 * blocks have one more: the free pages known to hold zeroes (set only by
 * fa_pool_zero_end(), cleared when a page is handed out or freed); it is
 * always a subset of the free pages. Loose pages are never free in the
 * pool, so loose blocks have none.
 *
 * An owned block's used words below free_word (at most pool->words) are
 * all full: taking pages starts at the first word that may have a free
 * page, so that a random single page costs one used word and one zeroed
 * word, not a scan of both bitmaps from word 0. Loose blocks have nr_cls[]
 * in its place.
 */
struct fa_block {
	struct fa_list node;		/* bucket, isolated, reserve or loose */
	unsigned long pfn;		/* first pfn of the pageblock */
	u32 nr_used;
	u32 stamp;			/* alloc call generation (touched) */
	union {
		u32 nr_cls[FA_NR_CLASSES];	/* loose: used pages per class */
		u32 free_word;			/* owned: none free below */
	};
	u8 cls;
	u8 state;			/* FA_BS_* */
	u8 plan;			/* planner scratch */
	unsigned long map[];
};

struct fa_class {
	struct fa_list *bucket;		/* [nr_free], 0..bp-1 */
	unsigned long *nonempty;	/* bit per bucket 1..bp-1 */
	struct fa_list isolated;
	u64 blocks;
	u64 pages_used;
	u64 loose_pages;
	bool planning;
};

struct fa_pool {
	struct fa_pool_config cfg;
	const struct fa_source_ops *ops;
	void *ctx;
	unsigned int bp;		/* pages per block */
	unsigned int words;		/* bitmap words per block */
	unsigned int bucket_words;
	struct fa_blockmap bm;
	struct fa_class cls[FA_NR_CLASSES];
	/*
	 * Empty blocks, last emptied first: allocations and releases take
	 * the front. The zeroer takes a dirty block other than the front one
	 * (the next allocation's, so that a free and an allocation reuse the
	 * same pages whatever the zeroer does) and puts it back at the end.
	 * nr_reserve counts @zeroing too; nr_reserve_dirty the blocks on the
	 * list with a page not known to hold zeroes.
	 */
	struct fa_list reserve;
	unsigned long nr_reserve;
	unsigned long nr_reserve_dirty;
	struct fa_block *zeroing;	/* off the list, being zeroed */
	struct fa_list loose;
	unsigned long nr_loose_blocks;
	u32 gen;
	/*
	 * The counters fa_pool_get_stats() reports, kept as they change:
	 * fill_hist[] (owned blocks only), the event counters and meta_bytes
	 * (all but the blockmap's).  cls[] and reserve_blocks stay zero here;
	 * fa_pool_get_stats() fills them in from the classes and the reserve.
	 */
	struct fa_pool_stats st;
};

void *fa_meta_zalloc(u64 *ctr, size_t size);
void fa_meta_free(u64 *ctr, void *p, size_t size);

void fa_pool_block_set_used(struct fa_pool *pool, struct fa_block *b,
			    unsigned int bit);
void fa_pool_block_isolate(struct fa_pool *pool, struct fa_block *b);
struct fa_block *fa_open_block(struct fa_pool *pool, unsigned int cls,
			       int *err);
void fa_pool_block_unlink(struct fa_pool *pool, struct fa_block *b);
void fa_pool_block_link(struct fa_pool *pool, struct fa_block *b);

/* The movable marks of @b (see struct fa_block). */
static inline unsigned long *fa_block_movable_map(const struct fa_pool *pool,
						  struct fa_block *b)
{
	return b->map + (b->state == FA_BS_LOOSE ? FA_NR_CLASSES : 1) *
			pool->words;
}

/* The zeroed marks of owned block @b (see struct fa_block). */
static inline unsigned long *fa_block_zeroed_map(const struct fa_pool *pool,
						 struct fa_block *b)
{
	return b->map + 2 * pool->words;
}

/* The used bitmap of class @cls in LOOSE block @b (see struct fa_block). */
static inline unsigned long *fa_loose_map(const struct fa_pool *pool,
					  struct fa_block *b, unsigned int cls)
{
	return b->map + cls * pool->words;
}

static inline bool fa_test_bit(const unsigned long *map, unsigned long bit)
{
	return (map[bit / BITS_PER_LONG] >> (bit % BITS_PER_LONG)) & 1UL;
}

static inline void fa_set_bit(unsigned long *map, unsigned long bit)
{
	map[bit / BITS_PER_LONG] |= 1UL << (bit % BITS_PER_LONG);
}

static inline void fa_clear_bit(unsigned long *map, unsigned long bit)
{
	map[bit / BITS_PER_LONG] &= ~(1UL << (bit % BITS_PER_LONG));
}

#endif /* _FRAGALLOC_CORE_INTERNAL_H */
