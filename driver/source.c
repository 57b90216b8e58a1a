// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: the pool's page source, its reserve and its shrinker.
 *
 * The portable pool (core/pool.c), behind the compact policy (policy.c),
 * takes whole pageblocks from the buddy allocator and, when none can be had,
 * the largest smaller chunk. Empty pageblocks wait in its reserve for reuse.
 * A shrinker gives the pool's idle memory back under pressure (fa_reclaim():
 * the reserve, recompaction, then pageblocks split up). A zeroer clears
 * the dirty pages of reserve blocks ahead of the allocations that reuse
 * them, while memory is plentiful.
 */
#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/page_ref.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmstat.h>

#include "fa.h"
#include "fa_events.h"
#include "compat.h"

/*
 * A node's pool takes its pages from that node only (__GFP_THISNODE): a
 * pageblock never straddles pools, and a node's pool never holds another
 * node's memory. ALLOC falls back to another node's pool instead.
 */
static int fa_src_get(void *ctx, unsigned int order, unsigned long *pfn)
{
	struct fa_node *node = ctx;
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN | __GFP_THISNODE;
	struct page *page;

	/*
	 * Light (node->light): what is free now, as the buddy allocator's
	 * fast path falls back along the zonelist before any reclaim.
	 * Partial pageblocks: one try, compaction allowed, no OOM killer.
	 * Single pages: retry hard but still fail rather than kill.
	 */
	if (node->light)
		gfp &= ~__GFP_DIRECT_RECLAIM;
	else
		gfp |= order ? __GFP_NORETRY : __GFP_RETRY_MAYFAIL;
	page = alloc_pages_node(node->nid, gfp, order);
	/*
	 * A whole pageblock is worth more effort than the loose pages taken
	 * instead: try once more with reclaim and synchronous compaction,
	 * unless such a try on this node failed within the last second.
	 */
	if (!page && !node->light && order == pageblock_order &&
	    time_after(jiffies, READ_ONCE(node->hard_fail) + HZ)) {
		page = alloc_pages_node(node->nid, GFP_KERNEL | __GFP_NOWARN |
					__GFP_THISNODE | __GFP_RETRY_MAYFAIL,
					order);
		if (!page)
			WRITE_ONCE(node->hard_fail, jiffies);
	}
	if (!page)
		return -ENOMEM;
	if (order)
		split_page(page, order);
	*pfn = page_to_pfn(page);
	fa_ev_block(*pfn, order, true);
	return 0;
}

/*
 * Whether @page is as the buddy allocator takes a free page back: no
 * mapping, not mapped, none of the flags it checks, not hardware-poisoned
 * (a poisoned page is kept out of the free lists only when freed alone).
 * Read to distrust: any doubt and the block goes back page by page, the
 * way the allocator's own checks expect.
 */
static bool fa_page_plain(struct page *page)
{
	return !READ_ONCE(page->mapping) && !page_mapped(page) &&
	       !(READ_ONCE(page->flags) & PAGE_FLAGS_CHECK_AT_FREE) &&
	       !PageHWPoison(page);
}

/*
 * Free a split block of 2^@order pages with one __free_pages() rather than
 * 2^@order frees of single pages, which cost the mover half its time
 * (docs/BENCHMARKS.md, "Speed"). split_page() gave every page a reference
 * of its own, ours. Freezing each tail's count from 1 to 0 proves nobody
 * else holds it (a PFN walker's get_page_unless_zero()) and keeps anyone
 * from taking it, as migration freezes a folio; __free_pages() then frees
 * the block whole, or, if the head is held meanwhile, every part but the
 * head, which its holder frees. A tail held elsewhere, or a page that is
 * not plain: thaw, and free page by page. Not with allocation profiling,
 * whose tags split_page() split.
 */
static bool fa_free_whole(struct page *page, unsigned int order)
{
	unsigned long i, n = 1UL << order;

	if (IS_ENABLED(CONFIG_MEM_ALLOC_PROFILING))
		return false;
	for (i = 0; i < n; i++)
		if (!fa_page_plain(page + i) ||
		    (i && !page_ref_freeze(page + i, 1)))
			break;
	if (i == n) {
		__free_pages(page, order);
		return true;
	}
	/* tails 1 .. i - 1 are frozen */
	while (i-- > 1)
		page_ref_unfreeze(page + i, 1);
	return false;
}

static void fa_src_put(void *ctx, unsigned long pfn, unsigned int order)
{
	struct page *page = pfn_to_page(pfn);
	unsigned long i;

	fa_ev_block(pfn, order, false);
	if (order && fa_free_whole(page, order))
		return;
	for (i = 0; i < (1UL << order); i++)
		__free_page(page + i);
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
 * The pool's reclaim, node by node (SHRINKER_NUMA_AWARE: reclaim of node
 * sc->nid asks for that node's memory). Count: what the node's pool could
 * give back now (the reserve, and every free page of its blocks but those
 * of each class's fullest partial block). Scan: fa_reclaim() of the node,
 * with trylocks only. The last count is kept for when the pool lock is
 * busy: a count must not wait either.
 */
static unsigned long fa_shrink_count(struct shrinker *s,
				     struct shrink_control *sc)
{
	struct fa_node *node = &fa_dev.nodes[sc->nid];
	struct fa_pool *pool;
	unsigned long n;

	if (!mutex_trylock(&fa_dev.pool_lock))
		return READ_ONCE(node->shrink_last);
	pool = fa_node_pool(sc->nid);
	n = pool ? fa_pool_reclaimable_pages(pool) : 0;
	mutex_unlock(&fa_dev.pool_lock);
	WRITE_ONCE(node->shrink_last, n);
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
	fa_ev_shrink_begin();
	WRITE_ONCE(fa_dev.nodes[sc->nid].shrink_when, jiffies);
	freed = fa_reclaim(sc->nid, sc->nr_to_scan, !current_is_kswapd(),
			   &contended);
	fa_ev_shrink(sc->nr_to_scan, freed);

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
	unsigned int keep = READ_ONCE(fa_reserve_blocks);
	struct fa_pool *pool;
	unsigned long now;
	int nid;

	mutex_lock(&fa_dev.pool_lock);
	for (nid = fa_next_pool(0, &pool); nid < nr_node_ids;
	     nid = fa_next_pool(nid + 1, &pool)) {
		now = fa_pool_reserve_blocks(pool);
		if (now > keep)
			fa_pool_trim(pool, now - keep);
	}
	mutex_unlock(&fa_dev.pool_lock);
}

/**
 * fa_reserve_kick() - schedule the release of empty pageblocks beyond the
 * reserve (reserve_blocks per node); called after frees, with no fragalloc
 * lock held
 */
void fa_reserve_kick(void)
{
	struct fa_pool *pool;
	int nid;

	/*
	 * Queued under the pool lock: once fa_source_exit() has cleared
	 * fa_dev.nodes, nothing (a parameter write racing rmmod included)
	 * queues the work again.
	 */
	mutex_lock(&fa_dev.pool_lock);
	for (nid = fa_next_pool(0, &pool); nid < nr_node_ids;
	     nid = fa_next_pool(nid + 1, &pool)) {
		if (fa_pool_reserve_blocks(pool) <= READ_ONCE(fa_reserve_blocks))
			continue;
		mod_delayed_work(system_wq, &fa_dev.trim_work,
				 msecs_to_jiffies(READ_ONCE(fa_release_delay_ms)));
		break;
	}
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
	struct fa_pool *pool;
	int nid;

	mutex_lock(&fa_dev.pool_lock);
	for (nid = fa_next_pool(0, &pool); nid < nr_node_ids;
	     nid = fa_next_pool(nid + 1, &pool))
		fa_pool_set_reserve(pool, fa_core_reserve());
	mutex_unlock(&fa_dev.pool_lock);
	fa_reserve_kick();
}

static bool fa_prezero = true;
module_param_named(prezero, fa_prezero, bool, 0644);
MODULE_PARM_DESC(prezero,
		 "Zero the free pages of empty pool pageblocks in the background while memory is plentiful, so that allocations reusing them skip clearing (default on)");

static void fa_zero_work_fn(struct work_struct *work);
static DECLARE_WORK(fa_zero_work, fa_zero_work_fn);
/* the dirty pages of the block being zeroed; only the zero work uses it */
static unsigned long *fa_zero_dirty;

/*
 * Memory is short on @node when reclaim of the node ran within the last
 * second or its free memory is below its zones' high watermarks (kswapd's
 * goal): the zeroer leaves the node's blocks alone, since zeroed pages
 * only help allocations that reuse the pool's blocks, and reclaim is about
 * to give those blocks back. Another node may have plenty meanwhile.
 */
static bool fa_zero_pressure(const struct fa_node *node)
{
	struct zone *zones = NODE_DATA(node->nid)->node_zones;
	unsigned long high = 0, free = 0;
	int z;

	if (!READ_ONCE(fa_prezero) ||
	    time_before(jiffies, READ_ONCE(node->shrink_when) + HZ))
		return true;
	for (z = 0; z < MAX_NR_ZONES; z++) {
		high += high_wmark_pages((zones + z));
		free += zone_page_state(zones + z, NR_FREE_PAGES);
	}
	return free < high;
}

/*
 * Clear the pages of @dirty in the pageblock at @pfn of @node, without the
 * pool lock (the pool keeps the block out of reach meanwhile). Under
 * pressure, stop: the pages not cleared leave @dirty, so they stay
 * unmarked.
 */
static void fa_zero_block(const struct fa_node *node, unsigned long pfn,
			  unsigned long *dirty)
{
	unsigned long bit, n = 0;

	for_each_set_bit(bit, dirty, pageblock_nr_pages) {
		if (!(++n % 32)) {
			cond_resched();
			if (fa_zero_pressure(node)) {
				bitmap_clear(dirty, bit,
					     pageblock_nr_pages - bit);
				return;
			}
		}
		clear_highpage(pfn_to_page(pfn + bit));
	}
}

/*
 * The next dirty reserve block of a node's pool, of a node not short of
 * memory (pool lock held). *@nodep: its node, which outlives this work.
 */
static long fa_zero_next(struct fa_node **nodep, unsigned long *pfn)
{
	struct fa_pool *pool;
	long n;
	int nid;

	for (nid = fa_next_pool(0, &pool); nid < nr_node_ids;
	     nid = fa_next_pool(nid + 1, &pool)) {
		if (fa_zero_pressure(&fa_dev.nodes[nid]))
			continue;
		/* -EBUSY: that pool's block is out (by nobody else, though) */
		n = fa_pool_zero_begin(pool, pfn, fa_zero_dirty);
		if (n > 0) {
			*nodep = &fa_dev.nodes[nid];
			return n;
		}
	}
	return 0;
}

/*
 * One dirty reserve block after another, of every node's pool (never the
 * front one, which the next allocation takes), until none is left on a
 * node with memory to spare. Holds no lock while zeroing; the node (and
 * its pool) is the one the block came from, valid until fa_source_exit()
 * has cancelled this work.
 */
static void fa_zero_work_fn(struct work_struct *work)
{
	struct fa_node *node = NULL;
	unsigned long pfn;
	long n;

	for (;;) {
		mutex_lock(&fa_dev.pool_lock);
		n = fa_zero_next(&node, &pfn);
		mutex_unlock(&fa_dev.pool_lock);
		if (n <= 0)
			break;
		fa_zero_block(node, pfn, fa_zero_dirty);
		mutex_lock(&fa_dev.pool_lock);
		fa_pool_zero_end(node->pool, fa_zero_dirty);
		mutex_unlock(&fa_dev.pool_lock);
		cond_resched();
	}
	/*
	 * A trim that ran while a block was out left it in the reserve
	 * beyond reserve_blocks: schedule another.
	 */
	if (!delayed_work_pending(&fa_dev.trim_work))
		fa_reserve_kick();
}

/**
 * fa_zero_kick() - start the zeroer if the pool of @pool has reserve
 * blocks; called with the pool lock held, after frees
 * @pool: the pool pages went back to
 */
void fa_zero_kick(struct fa_pool *pool)
{
	lockdep_assert_held(&fa_dev.pool_lock);
	if (READ_ONCE(fa_prezero) && fa_pool_reserve_blocks(pool))
		queue_work(system_unbound_wq, &fa_zero_work);
}

static struct fa_pool *fa_node_pool_create(struct fa_node *node)
{
	struct fa_pool_config cfg = {
		.block_order = pageblock_order,
		.reserve_blocks = fa_core_reserve(),
		.flags = FA_POOL_MOVABLE_MARKS,
	};

	return fa_pool_create(&cfg, &fa_buddy_source, node);
}

/**
 * fa_node_pool_get() - the pool of node @nid, created if the node got
 * memory since load
 * @nid: a node id below nr_node_ids
 *
 * Pool lock held.
 *
 * Return: the pool, or NULL (no memory on the node, no memory for the
 * pool, or the module going away).
 */
struct fa_pool *fa_node_pool_get(int nid)
{
	struct fa_node *node;

	lockdep_assert_held(&fa_dev.pool_lock);
	if (!fa_dev.nodes)
		return NULL;
	node = &fa_dev.nodes[nid];
	if (!node->pool && node_state(nid, N_MEMORY))
		node->pool = fa_node_pool_create(node);
	return node->pool;
}

static void fa_nodes_free(struct fa_node *nodes)
{
	int nid;

	if (!nodes)
		return;
	for_each_node(nid)
		if (nodes[nid].pool)
			fa_pool_destroy(nodes[nid].pool);
	kfree(nodes);
}

/* One pool per node with memory; nodes without get theirs if they get some. */
static struct fa_node *fa_nodes_create(void)
{
	struct fa_node *nodes;
	int nid;

	nodes = kcalloc(nr_node_ids, sizeof(*nodes), GFP_KERNEL);
	if (!nodes)
		return NULL;
	for_each_node(nid)
		nodes[nid].nid = nid;
	for_each_node_state(nid, N_MEMORY) {
		nodes[nid].pool = fa_node_pool_create(&nodes[nid]);
		if (!nodes[nid].pool) {
			fa_nodes_free(nodes);
			return NULL;
		}
	}
	return nodes;
}

int fa_source_init(void)
{
	INIT_DELAYED_WORK(&fa_dev.trim_work, fa_trim_work_fn);
	fa_zero_dirty = bitmap_zalloc(pageblock_nr_pages, GFP_KERNEL);
	fa_dev.reclaim_moves = kvmalloc_array(FA_RECLAIM_MOVES,
					      sizeof(*fa_dev.reclaim_moves),
					      GFP_KERNEL);
	if (!fa_dev.reclaim_moves || !fa_zero_dirty)
		goto fail;
	fa_dev.nodes = fa_nodes_create();
	if (!fa_dev.nodes)
		goto fail;
	fa_dev.shrinker = fa_shrinker_create("fragalloc-pool",
					     SHRINKER_NUMA_AWARE,
					     fa_shrink_count, fa_shrink_scan);
	if (!fa_dev.shrinker) {
		fa_nodes_free(fa_dev.nodes);
		fa_dev.nodes = NULL;
		goto fail;
	}
	return 0;
fail:
	kvfree(fa_dev.reclaim_moves);
	bitmap_free(fa_zero_dirty);
	return -ENOMEM;
}

void fa_source_exit(void)
{
	struct fa_node *nodes;

	fa_shrinker_destroy(fa_dev.shrinker);
	/* A parameter write may race this: it finds no pool from now on. */
	mutex_lock(&fa_dev.pool_lock);
	nodes = fa_dev.nodes;
	fa_dev.nodes = NULL;
	mutex_unlock(&fa_dev.pool_lock);
	/* the zeroer puts its block back first; it may kick the trim work */
	cancel_work_sync(&fa_zero_work);
	cancel_delayed_work_sync(&fa_dev.trim_work);
	fa_nodes_free(nodes);
	kvfree(fa_dev.reclaim_moves);
	bitmap_free(fa_zero_dirty);
}
