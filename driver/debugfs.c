// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: debugfs files. They only read the core's counters.
 *
 *   /sys/kernel/debug/fragalloc/stats	pool statistics: the sums over
 *					the nodes, the kernel's calls into
 *					the movable ops (movable builds),
 *					then a line per node
 *   /sys/kernel/debug/fragalloc/pageblocks	one line per pageblock the pool
 *						knows: pfn, class, state bits
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "fa.h"

static const char * const fa_class_names[FA_NR_CLASSES] = {
	"unmovable", "reclaimable", "movable",
};

/* The per-node breakdown: one line per online node. */
static void fa_nodes_show(struct seq_file *m)
{
	struct fragalloc_stats st;
	u64 blocks, used, free, loose;
	unsigned int i;
	int nid;

	for_each_online_node(nid) {
		memset(&st, 0, sizeof(st));
		fa_fill_node_stats(&st, nid);
		blocks = 0;
		used = 0;
		free = 0;
		loose = 0;
		for (i = 0; i < FA_NR_CLASSES; i++) {
			blocks += st.out_blocks[i];
			used += st.out_pages_used[i];
			free += st.out_pages_free[i];
			loose += st.out_loose_pages[i];
		}
		seq_printf(m, "node %d blocks %llu used %llu free %llu loose %llu reserve %llu other %llu moved %llu\n",
			   nid, blocks, used, free, loose,
			   st.out_reserve_blocks, st.out_other_pages,
			   st.out_recompact_moved);
	}
}

static int fa_stats_show(struct seq_file *m, void *v)
{
	struct fragalloc_stats st = { 0 };
	unsigned int i;

	fa_fill_pool_stats(&st);
	for (i = 0; i < FA_NR_CLASSES; i++)
		seq_printf(m, "%-12s blocks %llu used %llu free %llu loose %llu\n",
			   fa_class_names[i], st.out_blocks[i],
			   st.out_pages_used[i], st.out_pages_free[i],
			   st.out_loose_pages[i]);
	seq_puts(m, "fill_hist");
	for (i = 0; i < FRAGALLOC_FILL_BUCKETS; i++)
		seq_printf(m, " %llu", st.out_fill_hist[i]);
	seq_printf(m, "\nreserve_blocks %llu\nfallbacks %llu\n",
		   st.out_reserve_blocks, st.out_fallbacks);
	seq_printf(m, "blocks_acquired %llu\nblocks_released %llu\n",
		   st.out_blocks_acquired, st.out_blocks_released);
	seq_printf(m, "other_pages %llu\nrecompact_runs %llu\n",
		   st.out_other_pages, st.out_recompact_runs);
	seq_printf(m, "recompact_moved %llu\nmeta_bytes %llu\n",
		   st.out_recompact_moved, st.out_meta_bytes);
	seq_printf(m, "auto_recompact_runs %llu\n", st.out_auto_recompact_runs);
	fa_movable_stats_show(m);
	fa_nodes_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fa_stats);

static const char * const fa_state_names[] = {
	"none", "owned", "loose", "isolated",
};

static int fa_pageblock_show(void *arg, const struct fa_block_info *bi)
{
	unsigned int cls = bi->flags & FA_BF_CLASS_MASK;
	unsigned int state = (bi->flags & FA_BF_STATE_MASK) >> FA_BF_STATE_SHIFT;

	seq_printf(arg, "%#010lx %-11s %-8s %lu\n", bi->pfn,
		   cls < FA_NR_CLASSES ? fa_class_names[cls] : "-",
		   fa_state_names[state], bi->nr_used);
	return 0;
}

static int fa_pageblocks_show(struct seq_file *m, void *v)
{
	struct fa_pool *pool;
	int nid;

	seq_puts(m, "pfn        class       state    used\n");
	mutex_lock(&fa_dev.pool_lock);
	/* node by node; nodes' memory ranges ascend with their ids */
	for (nid = fa_next_pool(0, &pool); nid < nr_node_ids;
	     nid = fa_next_pool(nid + 1, &pool))
		fa_pool_walk_blocks(pool, fa_pageblock_show, m);
	mutex_unlock(&fa_dev.pool_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fa_pageblocks);

void fa_debugfs_init(void)
{
	fa_dev.debugfs = debugfs_create_dir("fragalloc", NULL);
	debugfs_create_file("stats", 0400, fa_dev.debugfs, NULL,
			    &fa_stats_fops);
	debugfs_create_file("pageblocks", 0400, fa_dev.debugfs, NULL,
			    &fa_pageblocks_fops);
}

void fa_debugfs_exit(void)
{
	debugfs_remove_recursive(fa_dev.debugfs);
}
