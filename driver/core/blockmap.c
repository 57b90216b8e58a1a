// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc portable core: sparse per-pageblock flags bitmap.
 *
 * FA_BLOCK_FLAG_BITS bits of flags and one struct fa_block pointer per
 * pageblock, indexed by pfn >> block_order.  Storage is a radix tree of
 * lazily allocated chunks, so that memory with large holes (pfn 0 and
 * pfn 2^40, say) costs only the chunks actually used; the tree grows in
 * height on demand and shrinks back to nothing when everything is
 * detached.
 */
#include "internal.h"

#define FA_BM_MAX_HEIGHT	12

void *fa_meta_zalloc(u64 *ctr, size_t size)
{
	void *p = fa_zalloc(size);

	if (p)
		*ctr += size;
	return p;
}

void fa_meta_free(u64 *ctr, void *p, size_t size)
{
	if (!p)
		return;
	FA_WARN_ON(*ctr < size);
	*ctr -= size;
	fa_free(p);
}

static bool fa_bm_covers(unsigned int height, unsigned long ci)
{
	unsigned int shift = (height - 1) * FA_BM_FANOUT_SHIFT;

	if (!height)
		return false;
	if (shift >= BITS_PER_LONG)
		return true;
	return (ci >> shift) == 0;
}

/* slot of chunk index @ci in an interior node at @level (1 = lowest) */
static unsigned int fa_bm_slot(unsigned long ci, unsigned int level)
{
	unsigned int shift = (level - 1) * FA_BM_FANOUT_SHIFT;

	if (shift >= BITS_PER_LONG)
		return 0;
	return (ci >> shift) & (FA_BM_FANOUT - 1);
}

/**
 * fa_bm_init() - initialise an empty blockmap
 * @bm: blockmap
 * @block_order: log2 of the pageblock size in pages
 */
void fa_bm_init(struct fa_blockmap *bm, unsigned int block_order)
{
	memset(bm, 0, sizeof(*bm));
	bm->block_order = block_order;
}

static void fa_bm_free_tree(struct fa_blockmap *bm, void *p,
			    unsigned int level)
{
	struct fa_bm_node *node = p;
	unsigned int i;

	if (!p)
		return;
	if (!level) {
		fa_meta_free(&bm->meta_bytes, p, sizeof(struct fa_bm_chunk));
		return;
	}
	for (i = 0; i < FA_BM_FANOUT; i++)
		fa_bm_free_tree(bm, node->slot[i], level - 1);
	fa_meta_free(&bm->meta_bytes, node, sizeof(*node));
}

/**
 * fa_bm_destroy() - free all blockmap memory
 * @bm: blockmap
 */
void fa_bm_destroy(struct fa_blockmap *bm)
{
	if (bm->height)
		fa_bm_free_tree(bm, bm->root, bm->height - 1);
	bm->root = NULL;
	bm->height = 0;
}

static struct fa_bm_chunk *fa_bm_chunk(const struct fa_blockmap *bm,
				       unsigned long ci)
{
	void *p = bm->root;
	unsigned int level;

	if (!fa_bm_covers(bm->height, ci))
		return NULL;
	for (level = bm->height - 1; level > 0 && p; level--)
		p = ((struct fa_bm_node *)p)->slot[fa_bm_slot(ci, level)];
	return p;
}

/*
 * The node or chunk (@size bytes) in slot *@pp of @parent (NULL: the root),
 * allocated zeroed if the slot is empty.  Return: it, or NULL.
 */
static void *fa_bm_fill_slot(struct fa_blockmap *bm, void **pp,
			     struct fa_bm_node *parent, size_t size)
{
	if (!*pp) {
		*pp = fa_meta_zalloc(&bm->meta_bytes, size);
		if (*pp && parent)
			parent->nr_slots++;
	}
	return *pp;
}

/**
 * fa_bm_attach() - make a pageblock known to the blockmap
 * @bm: blockmap
 * @pfn: any pfn inside the pageblock
 * @blk: block structure to record for the pageblock (not NULL)
 * @flags: initial flag bits
 *
 * Allocates the chunk (and tree nodes) covering @pfn if needed.
 *
 * Return: 0, or -ENOMEM.
 */
int fa_bm_attach(struct fa_blockmap *bm, unsigned long pfn,
		 struct fa_block *blk, unsigned int flags)
{
	unsigned long idx = pfn >> bm->block_order;
	unsigned long ci = idx >> FA_BM_CHUNK_SHIFT;
	unsigned int e = idx & (FA_BM_CHUNK_BLOCKS - 1);
	struct fa_bm_node *parent = NULL;
	struct fa_bm_chunk *chunk;
	void **pp;
	unsigned int level;

	if (!bm->root) {
		bm->height = 1;
		while (!fa_bm_covers(bm->height, ci))
			bm->height++;
	}
	while (!fa_bm_covers(bm->height, ci)) {
		struct fa_bm_node *node;

		node = fa_meta_zalloc(&bm->meta_bytes, sizeof(*node));
		if (!node)
			return -ENOMEM;
		node->slot[0] = bm->root;
		node->nr_slots = 1;
		bm->root = node;
		bm->height++;
	}
	pp = &bm->root;
	for (level = bm->height - 1; level > 0; level--) {
		struct fa_bm_node *node;

		node = fa_bm_fill_slot(bm, pp, parent, sizeof(*node));
		if (!node)
			goto fail;
		parent = node;
		pp = &node->slot[fa_bm_slot(ci, level)];
	}
	chunk = fa_bm_fill_slot(bm, pp, parent, sizeof(*chunk));
	if (!chunk)
		goto fail;
	if (FA_WARN_ON(chunk->blk[e]))
		return -EINVAL;
	chunk->blk[e] = blk;
	chunk->nr_attached++;
	fa_bm_set_flags(bm, pfn, flags, ~0U);
	return 0;
fail:
	/* undo the empty path just created */
	fa_bm_detach(bm, pfn);
	return -ENOMEM;
}

/**
 * fa_bm_detach() - forget a pageblock, freeing chunks and nodes that empty
 * @bm: blockmap
 * @pfn: any pfn inside the pageblock
 *
 * Also used to prune an empty path left by a failed fa_bm_attach().
 */
void fa_bm_detach(struct fa_blockmap *bm, unsigned long pfn)
{
	unsigned long idx = pfn >> bm->block_order;
	unsigned long ci = idx >> FA_BM_CHUNK_SHIFT;
	unsigned int e = idx & (FA_BM_CHUNK_BLOCKS - 1);
	void **path[FA_BM_MAX_HEIGHT];
	struct fa_bm_chunk *chunk;
	void **pp = &bm->root;
	unsigned int level, depth = 0;

	if (!fa_bm_covers(bm->height, ci) || !bm->root)
		return;
	for (level = bm->height - 1; level > 0; level--) {
		struct fa_bm_node *node = *pp;

		if (!node)
			break;
		path[depth++] = pp;
		pp = &node->slot[fa_bm_slot(ci, level)];
	}
	chunk = level ? NULL : *pp;
	if (chunk) {
		if (chunk->blk[e]) {
			chunk->blk[e] = NULL;
			chunk->nr_attached--;
			fa_bm_set_flags(bm, pfn, 0, ~0U);
		}
		if (chunk->nr_attached)
			return;
		fa_meta_free(&bm->meta_bytes, chunk, sizeof(*chunk));
		*pp = NULL;
		if (depth)
			((struct fa_bm_node *)*path[depth - 1])->nr_slots--;
	} else if (*pp) {
		/* path ends at an interior node: nothing to prune below */
		return;
	}
	/* free interior nodes that became empty, bottom up */
	while (depth) {
		void **np = path[--depth];
		struct fa_bm_node *node = *np;

		if (node->nr_slots)
			return;
		fa_meta_free(&bm->meta_bytes, node, sizeof(*node));
		*np = NULL;
		if (depth)
			((struct fa_bm_node *)*path[depth - 1])->nr_slots--;
	}
	if (!bm->root)
		bm->height = 0;
}

/**
 * fa_bm_lookup() - block structure recorded for the pageblock of a pfn
 * @bm: blockmap
 * @pfn: pfn
 *
 * Return: the block, or NULL when the pageblock is not known.
 */
struct fa_block *fa_bm_lookup(const struct fa_blockmap *bm, unsigned long pfn)
{
	unsigned long idx = pfn >> bm->block_order;
	struct fa_bm_chunk *chunk = fa_bm_chunk(bm, idx >> FA_BM_CHUNK_SHIFT);

	return chunk ? chunk->blk[idx & (FA_BM_CHUNK_BLOCKS - 1)] : NULL;
}

/**
 * fa_bm_replace() - point an attached pageblock at another struct fa_block
 * @bm: blockmap
 * @pfn: any pfn inside the pageblock (attached)
 * @blk: the new block; allocates nothing, so it cannot fail
 */
void fa_bm_replace(struct fa_blockmap *bm, unsigned long pfn,
		   struct fa_block *blk)
{
	unsigned long idx = pfn >> bm->block_order;
	struct fa_bm_chunk *chunk = fa_bm_chunk(bm, idx >> FA_BM_CHUNK_SHIFT);

	if (FA_WARN_ON(!chunk || !chunk->blk[idx & (FA_BM_CHUNK_BLOCKS - 1)]))
		return;
	chunk->blk[idx & (FA_BM_CHUNK_BLOCKS - 1)] = blk;
}

/**
 * fa_bm_get_flags() - read a group of flag bits of a pageblock
 * @bm: blockmap
 * @pfn: any pfn inside the pageblock
 * @mask: bits wanted
 *
 * Return: flags & @mask; 0 for pageblocks not known to the blockmap.
 */
unsigned int fa_bm_get_flags(const struct fa_blockmap *bm, unsigned long pfn,
			     unsigned int mask)
{
	unsigned long idx = pfn >> bm->block_order;
	struct fa_bm_chunk *chunk = fa_bm_chunk(bm, idx >> FA_BM_CHUNK_SHIFT);
	unsigned long bit;

	if (!chunk)
		return 0;
	bit = (idx & (FA_BM_CHUNK_BLOCKS - 1)) * FA_BLOCK_FLAG_BITS;
	return (chunk->flags[bit / BITS_PER_LONG] >> (bit % BITS_PER_LONG)) &
	       mask & ((1U << FA_BLOCK_FLAG_BITS) - 1);
}

/**
 * fa_bm_set_flags() - write a group of flag bits of an attached pageblock
 * @bm: blockmap
 * @pfn: any pfn inside the pageblock
 * @flags: new values
 * @mask: bits to change
 */
void fa_bm_set_flags(struct fa_blockmap *bm, unsigned long pfn,
		     unsigned int flags, unsigned int mask)
{
	unsigned long idx = pfn >> bm->block_order;
	struct fa_bm_chunk *chunk = fa_bm_chunk(bm, idx >> FA_BM_CHUNK_SHIFT);
	unsigned long bit, m;
	unsigned long *w;

	if (FA_WARN_ON(!chunk))
		return;
	bit = (idx & (FA_BM_CHUNK_BLOCKS - 1)) * FA_BLOCK_FLAG_BITS;
	w = &chunk->flags[bit / BITS_PER_LONG];
	m = (unsigned long)(mask & ((1U << FA_BLOCK_FLAG_BITS) - 1)) <<
	    (bit % BITS_PER_LONG);
	*w = (*w & ~m) | (((unsigned long)flags << (bit % BITS_PER_LONG)) & m);
}

static int fa_bm_walk(const struct fa_blockmap *bm, const void *p,
		      unsigned int level,
		      int (*fn)(void *arg, struct fa_block *blk,
				unsigned int flags),
		      void *arg)
{
	const struct fa_bm_node *node = p;
	const struct fa_bm_chunk *chunk = p;
	unsigned int i;
	int ret;

	if (!p)
		return 0;
	if (level) {
		for (i = 0; i < FA_BM_FANOUT; i++) {
			ret = fa_bm_walk(bm, node->slot[i], level - 1, fn, arg);
			if (ret)
				return ret;
		}
		return 0;
	}
	for (i = 0; i < FA_BM_CHUNK_BLOCKS; i++) {
		unsigned long bit = (unsigned long)i * FA_BLOCK_FLAG_BITS;
		unsigned int flags;

		if (!chunk->blk[i])
			continue;
		flags = (chunk->flags[bit / BITS_PER_LONG] >>
			 (bit % BITS_PER_LONG)) &
			((1U << FA_BLOCK_FLAG_BITS) - 1);
		ret = fn(arg, chunk->blk[i], flags);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * fa_bm_for_each() - call @fn for every attached pageblock, by ascending pfn
 * @bm: blockmap
 * @fn: callback; a non-zero return stops the walk
 * @arg: passed to @fn
 *
 * Return: 0, or the first non-zero value returned by @fn.
 */
int fa_bm_for_each(const struct fa_blockmap *bm,
		   int (*fn)(void *arg, struct fa_block *blk,
			     unsigned int flags),
		   void *arg)
{
	if (!bm->height)
		return 0;
	return fa_bm_walk(bm, bm->root, bm->height - 1, fn, arg);
}
