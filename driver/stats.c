// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: the pool statistics, as STATS, the in-kernel API and debugfs
 * report them: one node's pool, or the sums over every node's.
 */
#include <linux/fragalloc.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>

#include "fa.h"

/* Add node @nid's figures to @ps and @st (pool lock held). */
static void fa_add_node(int nid, struct fa_pool_stats *ps,
			struct fragalloc_stats *st)
{
	struct fa_node *node = &fa_dev.nodes[nid];
	struct fa_pool_stats one;

	if (node->pool) {
		fa_pool_get_stats(node->pool, &one);
		fa_pool_stats_add(ps, &one);
		st->out_reclaimable_pages +=
			fa_pool_reclaimable_pages(node->pool);
	}
	st->out_recompact_runs += node->recompact_runs;
	st->out_recompact_moved += node->recompact_moved;
	st->out_auto_recompact_runs += node->auto_runs;
	st->out_auto_pages_released += node->auto_pages;
	st->out_shrink_runs += atomic64_read(&node->shrink_runs);
	st->out_shrink_pages += atomic64_read(&node->shrink_pages);
	st->out_shrink_blocks_broken += atomic64_read(&node->shrink_broken);
	st->out_other_pages += atomic_long_read(&node->other_pages);
}

/* The pool figures of node @nid, or of every node for NUMA_NO_NODE. */
static void fa_fill_stats(struct fragalloc_stats *st, int nid)
{
	struct fa_pool_stats ps = { 0 };
	unsigned int i;
	int n;

	st->out_reclaimable_pages = 0;
	st->out_recompact_runs = 0;
	st->out_recompact_moved = 0;
	st->out_auto_recompact_runs = 0;
	st->out_auto_pages_released = 0;
	st->out_shrink_runs = 0;
	st->out_shrink_pages = 0;
	st->out_shrink_blocks_broken = 0;
	st->out_other_pages = 0;
	mutex_lock(&fa_dev.pool_lock);
	if (fa_dev.nodes && nid != NUMA_NO_NODE)
		fa_add_node(nid, &ps, st);
	else if (fa_dev.nodes)
		for_each_node(n)
			fa_add_node(n, &ps, st);
	/*
	 * A run over several nodes is one run (each node counts it too);
	 * the other policies' pages are counted whole as well as per node.
	 */
	if (nid == NUMA_NO_NODE) {
		st->out_recompact_runs = fa_dev.recompact_runs;
		st->out_other_pages = atomic_long_read(&fa_dev.other_pages);
	}
	mutex_unlock(&fa_dev.pool_lock);
	st->out_idle_pages = ps.reserve_blocks << pageblock_order;
	for (i = 0; i < FRAGALLOC_NR_MOBILITY; i++) {
		st->out_blocks[i] = ps.cls[i].blocks;
		st->out_pages_used[i] = ps.cls[i].pages_used;
		st->out_pages_free[i] = ps.cls[i].pages_free;
		st->out_loose_pages[i] = ps.cls[i].loose_pages;
		st->out_idle_pages += ps.cls[i].pages_free;
	}
	for (i = 0; i < FRAGALLOC_FILL_BUCKETS; i++)
		st->out_fill_hist[i] = ps.fill_hist[i];
	st->out_reserve_blocks = ps.reserve_blocks;
	st->out_fallbacks = ps.fallbacks;
	st->out_blocks_acquired = ps.blocks_acquired;
	st->out_blocks_released = ps.blocks_released;
	st->out_meta_bytes = ps.meta_bytes;
}

/**
 * fa_fill_pool_stats() - fill the pool-wide out_ members of a STATS reply
 * @st: the reply; size, flags, node and the per-fd members (out_fd_*) are
 *	left alone, for the caller to set or zero
 *
 * Every figure is the sum over the nodes' pools but out_recompact_runs,
 * which counts a recompaction over several nodes once. Callers: the STATS ioctl
 * (which adds the per-fd members), the in-kernel fragalloc_get_stats(),
 * debugfs, and anything else that reports the pool-wide figures (a netlink
 * reply, say), all with the same meaning. Takes fa_dev.pool_lock itself,
 * so the caller must not hold it; it may hold any lock the order in fa.h
 * puts before it (a file's lock, say). Sleeps.
 */
void fa_fill_pool_stats(struct fragalloc_stats *st)
{
	fa_fill_stats(st, NUMA_NO_NODE);
}

/**
 * fa_fill_node_stats() - fa_fill_pool_stats() for one node's pool
 * @st: the reply, as for fa_fill_pool_stats()
 * @nid: a node id below nr_node_ids (a node without a pool reads zeroes)
 *
 * The per-node figures add up to fa_fill_pool_stats()'s, but
 * out_recompact_runs: the recompactions that worked on the node's pool;
 * out_other_pages counts the other policies' pages on the node.
 */
void fa_fill_node_stats(struct fragalloc_stats *st, int nid)
{
	fa_fill_stats(st, nid);
}
