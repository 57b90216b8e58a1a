// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: module init/exit and parameters.
 *
 * fragalloc hands out order-0 pages packed into as few pageblocks as
 * possible, so that unmovable driver memory pollutes the fewest pageblocks,
 * gives empty pageblocks back to the buddy allocator whole, and recompacts
 * live, mapped pages into denser pageblocks on request.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "fa.h"

struct fa_device fa_dev = {
	.pool_lock = __MUTEX_INITIALIZER(fa_dev.pool_lock),
	.recompact_lock = __MUTEX_INITIALIZER(fa_dev.recompact_lock),
	.reclaim_lock = __MUTEX_INITIALIZER(fa_dev.reclaim_lock),
	.files_lock = __MUTEX_INITIALIZER(fa_dev.files_lock),
	.files = LIST_HEAD_INIT(fa_dev.files),
	.file_ids = XARRAY_INIT(fa_dev.file_ids, XA_FLAGS_ALLOC1),
	.clients = LIST_HEAD_INIT(fa_dev.clients),
};

/* The parameters (declared in fa.h), each defined by its module_param. */
static int fa_set_batch_limit(const char *val, const struct kernel_param *kp)
{
	unsigned long v;
	int ret = kstrtoul(val, 0, &v);

	/*
	 * Batch page indexes must fit in 32 bits (see fa_page_tag()), and a
	 * batch's page array in what kvmalloc() accepts without a warning.
	 */
	if (ret || !v || v > FA_MAX_BATCH_LIMIT)
		return -EINVAL;
	*(unsigned long *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops fa_batch_limit_ops = {
	.set = fa_set_batch_limit,
	.get = param_get_ulong,
};

unsigned long fa_max_batch_pages = 1UL << 18;
module_param_cb(max_batch_pages, &fa_batch_limit_ops, &fa_max_batch_pages,
		0644);
MODULE_PARM_DESC(max_batch_pages,
		 "Most pages in one batch (default 262144 = 1 GiB)");

unsigned long fa_max_fd_pages;
module_param_named(max_fd_pages, fa_max_fd_pages, ulong, 0644);
MODULE_PARM_DESC(max_fd_pages,
		 "Most pages one open file may hold, 0 = no limit (default)");

unsigned long fa_max_total_pages;
module_param_named(max_total_pages, fa_max_total_pages, ulong, 0644);
MODULE_PARM_DESC(max_total_pages,
		 "Most pages all users together may hold, 0 = no limit (default)");

static int fa_set_reserve(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret = kstrtouint(val, 0, &v);

	if (ret)
		return ret;
	*(unsigned int *)kp->arg = v;
	/*
	 * At load time the pool does not exist yet and reads the value; during
	 * rmmod it is gone: fa_reserve_apply() checks under the pool lock.
	 */
	fa_reserve_apply();
	return 0;
}

static const struct kernel_param_ops fa_reserve_ops = {
	.set = fa_set_reserve,
	.get = param_get_uint,
};

unsigned int fa_reserve_blocks = 2;
module_param_cb(reserve_blocks, &fa_reserve_ops, &fa_reserve_blocks, 0644);
MODULE_PARM_DESC(reserve_blocks,
		 "Empty pageblocks the pool keeps for reuse for good; a shrinker drains them under memory pressure (default 2)");

unsigned int fa_release_delay_ms = 1000;
module_param_cb(release_delay_ms, &fa_reserve_ops, &fa_release_delay_ms,
		0644);
MODULE_PARM_DESC(release_delay_ms,
		 "How long pageblocks that fall empty are kept beyond reserve_blocks, for reuse by the next allocation, before they go back to the buddy allocator; 0 = at once (default 1000)");

unsigned int fa_auto_recompact_pct = 100;
module_param_named(auto_recompact_pct, fa_auto_recompact_pct, uint, 0644);
MODULE_PARM_DESC(auto_recompact_pct,
		 "Recompact the pool automatically when it owns more than this percentage of the pageblocks its pages need (and more than one partial pageblock per class), 0 = off (default 100)");

unsigned int fa_auto_recompact_interval_ms = 1000;
module_param_named(auto_recompact_interval_ms, fa_auto_recompact_interval_ms,
		   uint, 0644);
MODULE_PARM_DESC(auto_recompact_interval_ms,
		 "Least time between two automatic recompactions (default 1000)");

static int __init fa_init(void)
{
	int ret;

	ret = fa_source_init();
	if (ret)
		return ret;
	fa_auto_recompact_init();
	ret = fa_chardev_init();
	if (ret)
		goto err_source;
	fa_debugfs_init();
	return 0;

err_source:
	fa_source_exit();
	return ret;
}

static void __exit fa_exit(void)
{
	/* Every client must be gone: their modules depend on this one. */
	WARN_ON(!list_empty(&fa_dev.clients));
	fa_debugfs_exit();
	fa_chardev_exit();
	fa_auto_recompact_exit();
	fa_source_exit();
}

module_init(fa_init);
module_exit(fa_exit);

MODULE_DESCRIPTION("fragalloc: order-0 page batches packed into few pageblocks");
MODULE_AUTHOR("The fragalloc authors");
MODULE_LICENSE("GPL");
