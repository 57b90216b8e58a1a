// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: /dev/fragalloc, its ioctls and the per-fd batch table.
 *
 * Every ioctl is validated here, once, then becomes calls on the page
 * sources and the pool.
 */
#include <linux/capability.h>
#include <linux/cpuset.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/rbtree.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "fa.h"
#include "fa_events.h"

/* Largest mmap page offset: byte offsets must stay below 2^63. */
#define FA_PGOFF_MAX	(1UL << (63 - PAGE_SHIFT - 1))
/* PFNs copied per step of BATCH_INFO. */
#define FA_PFN_CHUNK	512UL

/*
 * Charge @nr pages to the module limits and to @user's RLIMIT_MEMLOCK, as
 * io_uring does: the charge lives with the user, not with an mm, so it holds
 * across fork, exec and fd passing. CAP_IPC_LOCK lifts the limit (the pages
 * are still counted).
 */
static int fa_charge(struct fa_file *ff, struct user_struct *user,
		     unsigned long nr)
{
	long total = atomic_long_add_return(nr, &fa_dev.total_pages);
	long mine = atomic_long_add_return(nr, &ff->nr_pages);
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	bool unlimited = capable(CAP_IPC_LOCK);
	unsigned long cur, next;
	int ret = -ENOSPC;

	if (fa_max_total_pages && total > fa_max_total_pages)
		goto undo;
	if (fa_max_fd_pages && mine > fa_max_fd_pages)
		goto undo;
	cur = atomic_long_read(&user->locked_vm);
	do {
		next = cur + nr;
		if (!unlimited && (next > limit || next < cur)) {
			ret = -EDQUOT;
			goto undo;
		}
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, next));
	return 0;
undo:
	atomic_long_sub(nr, &fa_dev.total_pages);
	atomic_long_sub(nr, &ff->nr_pages);
	return fa_ev_limit_hit(ret == -EDQUOT ? FRAGALLOC_NL_LIMIT_MEMLOCK :
			       fa_max_total_pages && total > fa_max_total_pages ?
			       FRAGALLOC_NL_LIMIT_TOTAL : FRAGALLOC_NL_LIMIT_FD,
			       ret);
}

/* Takes no lock: callable under any of ours. */
static void fa_uncharge(struct fa_file *ff, struct user_struct *user,
			unsigned long nr)
{
	if (!nr)
		return;
	atomic_long_sub(nr, &fa_dev.total_pages);
	atomic_long_sub(nr, &ff->nr_pages);
	atomic_long_sub(nr, &user->locked_vm);
}

static void fa_batch_destroy(struct fa_batch *b)
{
	kvfree(b->pages);
	if (b->user)
		free_uid(b->user);
	kfree(b);
}

/* The mmap offset index: an rbtree of batches, so no change can fail. */
static void fa_offsets_insert(struct fa_file *ff, struct fa_batch *b)
{
	struct rb_node **link = &ff->offsets.rb_node, *parent = NULL;

	while (*link) {
		struct fa_batch *cur = rb_entry(*link, struct fa_batch,
						off_node);

		parent = *link;
		link = b->pgoff < cur->pgoff ? &(*link)->rb_left :
					       &(*link)->rb_right;
	}
	rb_link_node(&b->off_node, parent, link);
	rb_insert_color(&b->off_node, &ff->offsets);
}

struct fa_batch *fa_batch_by_pgoff(struct fa_file *ff, unsigned long pgoff)
{
	struct rb_node *n = ff->offsets.rb_node;

	while (n) {
		struct fa_batch *b = rb_entry(n, struct fa_batch, off_node);

		if (pgoff < b->pgoff)
			n = n->rb_left;
		else if (pgoff - b->pgoff >= b->nr_pages)
			n = n->rb_right;
		else
			return b;
	}
	return NULL;
}

/*
 * Pages of @b from @first, @nr of them: zap, free, and punch the holes. A
 * &fa_policy.free_unlocked policy's pages are not freed here but moved to
 * @out (@nr entries), for the caller to free once the lock is dropped; with
 * @out NULL they stay in @b->pages (the whole batch, out of the file already).
 */
static unsigned long fa_batch_release_range(struct fa_file *ff,
					    struct fa_batch *b,
					    unsigned long first,
					    unsigned long nr,
					    struct page **out)
{
	const struct fa_policy *pol = fa_policy_get(b->policy);
	unsigned long i, freed = 0;

	fa_zap_range(ff, b->pgoff + first, nr);
	for (i = first; i < first + nr; i++)
		freed += !!b->pages[i];
	b->nr_present -= freed;
	if (pol->free_unlocked && !out)
		return freed;
	if (pol->free_unlocked)
		memcpy(out, b->pages + first, nr * sizeof(*b->pages));
	else
		pol->free(b->pages + first, nr);
	memset(b->pages + first, 0, nr * sizeof(*b->pages));
	return freed;
}

static int fa_ioctl_info(struct fa_file *ff, void *arg)
{
	struct fragalloc_info *cmd = arg;

	if (cmd->flags)
		return -EINVAL;
	cmd->out_abi_version = FRAGALLOC_ABI_VERSION;
	cmd->out_page_size = PAGE_SIZE;
	cmd->out_pageblock_order = pageblock_order;
	cmd->out_nr_mobility = FRAGALLOC_NR_MOBILITY;
	cmd->out_features = FRAGALLOC_FEAT_RANGE_FREE |
			    FRAGALLOC_FEAT_RECOMPACT |
			    FRAGALLOC_FEAT_POLICIES | FRAGALLOC_FEAT_MMAP |
			    FRAGALLOC_FEAT_NODES;
	if (fa_policy_get(FRAGALLOC_POLICY_MOVABLE)->alloc)
		cmd->out_features |= FRAGALLOC_FEAT_MOVABLE;
	cmd->out_max_batch_pages = fa_max_batch_pages;
	cmd->out_max_fd_pages = fa_max_fd_pages;
	cmd->out_max_total_pages = fa_max_total_pages;
	cmd->out_alloc_flags = FRAGALLOC_ALLOC_FLAGS_MASK;
	cmd->out_free_flags = FRAGALLOC_FREE_FLAGS_MASK;
	cmd->out_batch_info_flags = FRAGALLOC_BATCH_INFO_FLAGS_MASK;
	cmd->out_recompact_flags = FRAGALLOC_RECOMPACT_FLAGS_MASK;
	cmd->out_nr_node_ids = nr_node_ids;
	cmd->out_stats_flags = FRAGALLOC_STATS_FLAGS_MASK;
	return 0;
}

/*
 * ALLOC's node: without FRAGALLOC_ALLOC_NODE, 0 (an old caller's zeroed
 * tail) and the default; with it, -1 or a node pages can come from, the
 * latter needed by THISNODE (a strict default would be a strict guess).
 * Return: the node for &fa_policy.alloc (NUMA_NO_NODE: the default), or
 * -EINVAL.
 */
static int fa_alloc_node(const struct fragalloc_alloc *cmd)
{
	bool thisnode = cmd->flags & FRAGALLOC_ALLOC_THISNODE;
	int nid;

	if (!(cmd->flags & FRAGALLOC_ALLOC_NODE))
		return cmd->node || thisnode ? -EINVAL : NUMA_NO_NODE;
	if (cmd->node == -1 && !thisnode)
		return NUMA_NO_NODE;
	nid = fa_node_check(cmd->node);
	/* as set_mempolicy() and mbind(): a node outside the task's cpuset */
	if (nid >= 0 && !node_isset(nid, cpuset_current_mems_allowed))
		return -EINVAL;
	return nid;
}

/*
 * ALLOC's arguments. @nid: their node, found once here (a node may lose its
 * memory later: asking again could give -EINVAL as a node id).
 * Return: their policy, or NULL for -EINVAL.
 */
static const struct fa_policy *
fa_alloc_validate(const struct fragalloc_alloc *cmd, int *nid)
{
	const struct fa_policy *pol;

	if (cmd->flags & ~FRAGALLOC_ALLOC_FLAGS_MASK || cmd->__reserved ||
	    cmd->__reserved2)
		return NULL;
	*nid = fa_alloc_node(cmd);
	if (*nid == -EINVAL)
		return NULL;
	if (cmd->mobility >= FRAGALLOC_NR_MOBILITY)
		return NULL;
	if (!cmd->nr_pages || cmd->nr_pages > fa_max_batch_pages) {
		if (cmd->nr_pages)
			fa_ev_limit_hit(FRAGALLOC_NL_LIMIT_BATCH, -EINVAL);
		return NULL;
	}
	pol = fa_policy_get(cmd->policy);
	/* STRICT, say, means nothing to a policy without pageblocks. */
	if (pol && (cmd->flags & ~pol->alloc_flags))
		return NULL;
	return pol;
}

/* Undo fa_batch_fill(): the batch never became visible. */
static void fa_batch_discard(struct fa_file *ff, const struct fa_policy *pol,
			     struct fa_batch *b)
{
	pol->free(b->pages, b->nr_pages);
	fa_uncharge(ff, b->user, b->nr_pages);
	fa_batch_destroy(b);
}

/*
 * A batch of @cmd's pages from node @nid (fa_alloc_node()), charged to the
 * caller, with its mmap range; not yet visible to anyone.
 * Return: the batch, or an ERR_PTR().
 */
static struct fa_batch *fa_batch_fill(struct fa_file *ff,
				      const struct fa_policy *pol,
				      struct fragalloc_alloc *cmd, int nid)
{
	unsigned long nr = cmd->nr_pages, done = 0;
	struct fa_batch *b;
	int ret;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return ERR_PTR(-ENOMEM);
	b->pages = kvcalloc(nr, sizeof(*b->pages), GFP_KERNEL);
	if (!b->pages) {
		ret = -ENOMEM;
		goto err_batch;
	}
	b->user = get_uid(current_user());
	ret = fa_charge(ff, b->user, nr);
	if (ret)
		goto err_batch;
	ret = pol->alloc(pol, cmd->mobility, cmd->flags & ~FRAGALLOC_ALLOC_NODE,
			 nid, nr, b->pages, &done);
	if (ret) {
		fa_uncharge(ff, b->user, nr);
		goto err_batch;
	}
	fa_uncharge(ff, b->user, nr - done);
	b->mobility = cmd->mobility;
	b->policy = cmd->policy;
	b->nr_pages = done;
	b->nr_present = done;

	/* Counted while the pages are still ours alone. */
	ret = fa_pages_count_blocks(b->pages, done, &cmd->out_nr_blocks,
				    &cmd->out_nr_loose);
	if (ret)
		goto err_pages;
	/* One unmapped guard page between batches. */
	b->pgoff = atomic64_fetch_add(done + 1, &fa_dev.next_pgoff);
	if (b->pgoff + done >= FA_PGOFF_MAX) {
		ret = -ENOSPC;
		goto err_pages;
	}
	return b;

err_pages:
	fa_batch_discard(ff, pol, b);
	return ERR_PTR(ret);
err_batch:
	fa_batch_destroy(b);
	return ERR_PTR(ret);
}

/* Give @b a handle and its place at its mmap offset; fill ALLOC's reply. */
static int fa_batch_publish(struct fa_file *ff, const struct fa_policy *pol,
			    struct fa_batch *b, struct fragalloc_alloc *cmd)
{
	unsigned long i;
	int ret;

	down_write(&ff->lock);
	ret = xa_alloc_cyclic(&ff->batches, &b->handle, b,
			      XA_LIMIT(1, INT_MAX), &ff->next_handle,
			      GFP_KERNEL);
	if (ret < 0) {
		up_write(&ff->lock);
		return ret;
	}
	fa_offsets_insert(ff, b);
	if (pol->pooled) {
		/* Tagged first: the pool's movable mark vouches for the tag. */
		for (i = 0; i < b->nr_pages; i++)
			fa_page_tag(b->pages[i], ff->id, b->handle, i);
		fa_pages_set_movable(b->pages, b->nr_pages, true);
	}
	if (pol->publish)
		pol->publish(ff, b);
	ff->nr_batches++;
	cmd->out_handle = b->handle;
	cmd->out_nr_pages = b->nr_pages;
	cmd->out_mmap_offset = (u64)b->pgoff << PAGE_SHIFT;
	up_write(&ff->lock);
	return 0;
}

static int fa_ioctl_alloc(struct fa_file *ff, void *arg)
{
	struct fragalloc_alloc *cmd = arg;
	const struct fa_policy *pol;
	struct fa_batch *b;
	int ret, nid;

	pol = fa_alloc_validate(cmd, &nid);
	if (!pol)
		return -EINVAL;
	/* a policy this kernel cannot offer (movable, see compat.h) */
	if (!pol->alloc)
		return -EOPNOTSUPP;
	b = fa_batch_fill(ff, pol, cmd, nid);
	if (IS_ERR(b))
		return PTR_ERR(b);
	ret = fa_batch_publish(ff, pol, b, cmd);
	if (ret)
		fa_batch_discard(ff, pol, b);
	else	/* @b is visible now: another thread may free it */
		fa_ev_alloc(ff->id, cmd->out_handle, cmd->policy, cmd->mobility,
			    cmd->out_nr_pages, cmd->out_nr_blocks,
			    cmd->out_nr_loose);
	return ret;
}

/* Free batch @handle whole. Return: pages freed, or -ENOENT. */
static long fa_batch_free(struct fa_file *ff, u32 handle)
{
	unsigned long freed;
	struct fa_batch *b;

	down_write(&ff->lock);
	b = xa_erase(&ff->batches, handle);
	if (!b) {
		up_write(&ff->lock);
		return -ENOENT;
	}
	rb_erase(&b->off_node, &ff->offsets);
	freed = fa_batch_release_range(ff, b, 0, b->nr_pages, NULL);
	ff->nr_batches--;
	up_write(&ff->lock);
	if (fa_policy_get(b->policy)->free_unlocked)
		fa_policy_get(b->policy)->free(b->pages, b->nr_pages);

	fa_ev_free(ff->id, handle, b->policy, b->mobility, freed);
	fa_uncharge(ff, b->user, freed);
	fa_batch_destroy(b);
	return freed;
}

/* ALLOC succeeded but its reply could not be written: keep nothing. */
static void fa_ioctl_alloc_undo(struct fa_file *ff, void *arg)
{
	struct fragalloc_alloc *cmd = arg;

	fa_batch_free(ff, cmd->out_handle);
}

/* Pages a range FREE of a &fa_policy.free_unlocked policy frees per lock. */
#define FA_FREE_CHUNK	64UL

/*
 * Range FREE of @cmd. A &fa_policy.free_unlocked policy's range goes
 * FA_FREE_CHUNK pages per hold of the file's lock, each chunk freed once
 * the lock is dropped; the batch is looked up again every time, and is the
 * same one while its mmap offset (never reused) is. Return: pages freed,
 * -ENOENT or -EINVAL.
 */
static long fa_batch_free_range(struct fa_file *ff,
				const struct fragalloc_free *cmd)
{
	unsigned long first = cmd->first_page, left = cmd->nr_pages;
	const struct fa_policy *pol = NULL;
	struct page *out[FA_FREE_CHUNK];
	unsigned long pgoff = 0, n, freed;
	struct fa_batch *b;
	long done = 0;

	do {
		down_write(&ff->lock);
		b = xa_load(&ff->batches, cmd->handle);
		if (!pol && (!b || !left || first >= b->nr_pages ||
			     left > b->nr_pages - first)) {
			up_write(&ff->lock);
			return b ? -EINVAL : -ENOENT;
		}
		if (!pol) {
			pol = fa_policy_get(b->policy);
			pgoff = b->pgoff;
		} else if (!b || b->pgoff != pgoff) {
			/* freed whole meanwhile: the rest went with it */
			up_write(&ff->lock);
			break;
		}
		n = pol->free_unlocked ? min(left, FA_FREE_CHUNK) : left;
		freed = fa_batch_release_range(ff, b, first, n, out);
		fa_ev_free(ff->id, b->handle, b->policy, b->mobility, freed);
		fa_uncharge(ff, b->user, freed);
		up_write(&ff->lock);
		if (pol->free_unlocked)
			pol->free(out, n);
		done += freed;
		first += n;
		left -= n;
		cond_resched();
	} while (left);
	return done;
}

static int fa_ioctl_free(struct fa_file *ff, void *arg)
{
	struct fragalloc_free *cmd = arg;
	bool range = cmd->flags & FRAGALLOC_FREE_RANGE;
	long ret;

	if (cmd->flags & ~FRAGALLOC_FREE_FLAGS_MASK || cmd->__reserved)
		return -EINVAL;
	if (!range && (cmd->first_page || cmd->nr_pages))
		return -EINVAL;

	ret = range ? fa_batch_free_range(ff, cmd) :
		      fa_batch_free(ff, cmd->handle);
	if (ret < 0)
		return ret;
	cmd->out_nr_freed = ret;
	fa_auto_recompact_kick();
	return 0;
}

/*
 * Copy the PFNs of pages [start, start + n) of batch @handle into @buf.
 * Return: the batch's length, or 0 if the batch is gone.
 */
static unsigned long fa_batch_pfns(struct fa_file *ff, u32 handle,
				   unsigned long start, unsigned long n,
				   u64 *buf, bool show)
{
	unsigned long i, len = 0;
	struct fa_batch *b;

	down_read(&ff->lock);
	b = xa_load(&ff->batches, handle);
	if (b) {
		len = b->nr_pages;
		for (i = 0; i < n && start + i < len; i++) {
			struct page *page = b->pages[start + i];

			if (!page)
				buf[i] = FRAGALLOC_PFN_HOLE;
			else
				buf[i] = show ? page_to_pfn(page) : 0;
		}
	}
	up_read(&ff->lock);
	return len;
}

/*
 * BATCH_INFO's node counts: *@counts gets nr_node_ids entries, pages per
 * node (present ones), for FRAGALLOC_BATCH_INFO_NODES; NULL without.
 * File lock held. Return: 0 or -ENOMEM.
 */
static int fa_batch_nodes(struct fa_batch *b, struct fragalloc_batch_info *cmd,
			  u64 **counts)
{
	u64 *c = kcalloc(nr_node_ids, sizeof(*c), GFP_KERNEL);

	if (!c)
		return -ENOMEM;
	cmd->out_nr_nodes = fa_pages_count_nodes(b->pages, b->nr_pages, c);
	if (cmd->flags & FRAGALLOC_BATCH_INFO_NODES) {
		*counts = c;
	} else {
		*counts = NULL;
		kfree(c);
	}
	return 0;
}

/* Copy the batch's node counts out: entries up to nr_node_ids only. */
static int fa_copy_node_pages(const struct fragalloc_batch_info *cmd,
			      const u64 *counts)
{
	u32 n = min_t(u32, cmd->nr_node_pages, nr_node_ids);

	if (copy_to_user(u64_to_user_ptr(cmd->node_pages), counts,
			 n * sizeof(*counts)))
		return -EFAULT;
	return 0;
}

/* Stage and copy the batch's PFNs, a chunk at a time. */
static int fa_copy_pfns(struct fa_file *ff,
			const struct fragalloc_batch_info *cmd)
{
	u64 __user *upfns = u64_to_user_ptr(cmd->pfns);
	bool show = capable(CAP_SYS_ADMIN);
	unsigned long i, n;
	u64 *buf;
	int ret = 0;

	buf = kmalloc_array(FA_PFN_CHUNK, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	n = min_t(u64, cmd->nr_pfns, cmd->out_nr_pages);
	for (i = 0; i < n && !ret; i += FA_PFN_CHUNK) {
		unsigned long step = min(FA_PFN_CHUNK, n - i);

		if (!fa_batch_pfns(ff, cmd->handle, i, step, buf, show))
			ret = -ENOENT;
		else if (copy_to_user(upfns + i, buf, step * sizeof(*buf)))
			ret = -EFAULT;
	}
	kfree(buf);
	return ret;
}

static int fa_ioctl_batch_info(struct fa_file *ff, void *arg)
{
	struct fragalloc_batch_info *cmd = arg;
	bool want_pfns = cmd->flags & FRAGALLOC_BATCH_INFO_PFNS;
	bool want_nodes = cmd->flags & FRAGALLOC_BATCH_INFO_NODES;
	u64 *counts = NULL;
	struct fa_batch *b;
	int ret;

	if (cmd->flags & ~FRAGALLOC_BATCH_INFO_FLAGS_MASK || cmd->__reserved)
		return -EINVAL;
	if (!want_pfns && (cmd->pfns || cmd->nr_pfns))
		return -EINVAL;
	if (!want_nodes && (cmd->node_pages || cmd->nr_node_pages))
		return -EINVAL;

	down_read(&ff->lock);
	b = xa_load(&ff->batches, cmd->handle);
	if (!b) {
		up_read(&ff->lock);
		return -ENOENT;
	}
	cmd->out_nr_pages = b->nr_pages;
	cmd->out_nr_present = b->nr_present;
	cmd->out_mmap_offset = (u64)b->pgoff << PAGE_SHIFT;
	cmd->out_mobility = b->mobility;
	cmd->out_policy = b->policy;
	ret = fa_pages_count_blocks(b->pages, b->nr_pages, &cmd->out_nr_blocks,
				    &cmd->out_nr_loose);
	if (!ret)
		ret = fa_batch_nodes(b, cmd, &counts);
	up_read(&ff->lock);
	/* Copies outside the lock: the user buffer may be one of our maps. */
	if (!ret && counts)
		ret = fa_copy_node_pages(cmd, counts);
	kfree(counts);
	if (ret || !want_pfns || !cmd->nr_pfns)
		return ret;
	return fa_copy_pfns(ff, cmd);
}

static int fa_ioctl_stats(struct fa_file *ff, void *arg)
{
	struct fragalloc_stats *cmd = arg;

	if (cmd->flags & ~FRAGALLOC_STATS_FLAGS_MASK || cmd->__reserved)
		return -EINVAL;
	if (!(cmd->flags & FRAGALLOC_STATS_NODE)) {
		if (cmd->node)
			return -EINVAL;
		fa_fill_pool_stats(cmd);
	} else {
		int nid = cmd->node;

		if (nid < 0 || nid >= nr_node_ids)
			return -EINVAL;
		/* Spectre v1: clamped before the node bitmap is tested. */
		nid = array_index_nospec(nid, nr_node_ids);
		/* An online node without memory has a pool of zeroes. */
		if (!node_online(nid))
			return -EINVAL;
		fa_fill_node_stats(cmd, nid);
	}
	down_read(&ff->lock);
	cmd->out_fd_batches = ff->nr_batches;
	up_read(&ff->lock);
	cmd->out_fd_pages = atomic_long_read(&ff->nr_pages);
	return 0;
}

static int fa_ioctl_recompact(struct fa_file *ff, void *arg)
{
	struct fragalloc_recompact *cmd = arg;
	struct fa_scope scope = {
		.kind = cmd->scope, .ff = ff, .handle = cmd->handle,
	};

	if (cmd->flags & ~FRAGALLOC_RECOMPACT_FLAGS_MASK)
		return -EINVAL;
	if (cmd->scope >= FRAGALLOC_NR_SCOPES)
		return -EINVAL;
	if (cmd->scope != FRAGALLOC_SCOPE_BATCH && cmd->handle)
		return -EINVAL;
	if (cmd->scope == FRAGALLOC_SCOPE_POOL && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	return fa_recompact(&scope, cmd->max_pages,
			    cmd->flags & FRAGALLOC_RECOMPACT_DRY_RUN, cmd);
}

union fa_ucmd_buffer {
	struct fragalloc_info info;
	struct fragalloc_alloc alloc;
	struct fragalloc_free free;
	struct fragalloc_batch_info batch_info;
	struct fragalloc_stats stats;
	struct fragalloc_recompact recompact;
};

/*
 * One entry per ioctl, indexed by its number. @ioctl_num is compared with
 * the caller's command, so a gap in the table (an entry left zero) can
 * never reach a NULL @execute. @undo, if set, reverts a successful @execute
 * whose reply could not be copied back, so that nothing the caller cannot
 * name is left behind.
 */
struct fa_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	int (*execute)(struct fa_file *ff, void *arg);
	void (*undo)(struct fa_file *ff, void *arg);
};

/* The command buffer must hold every structure: checked at build time. */
#define FA_IOCTL_OP_UNDO(_cmd, _fn, _undo, _struct, _last)		\
	[FRAGALLOC_CMD_##_cmd - FRAGALLOC_CMD_BASE] = {			\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union fa_ucmd_buffer) < \
					  sizeof(_struct)),		\
		.min_size = offsetofend(_struct, _last),		\
		.ioctl_num = FRAGALLOC_IOC_##_cmd,			\
		.execute = _fn,						\
		.undo = _undo,						\
	}

#define FA_IOCTL_OP(_cmd, _fn, _struct, _last)				\
	FA_IOCTL_OP_UNDO(_cmd, _fn, NULL, _struct, _last)

static const struct fa_ioctl_op fa_ioctl_ops[] = {
	FA_IOCTL_OP(INFO, fa_ioctl_info, struct fragalloc_info,
		    out_recompact_flags),
	FA_IOCTL_OP_UNDO(ALLOC, fa_ioctl_alloc, fa_ioctl_alloc_undo,
			 struct fragalloc_alloc, out_mmap_offset),
	FA_IOCTL_OP(FREE, fa_ioctl_free, struct fragalloc_free,
		    out_nr_freed),
	FA_IOCTL_OP(BATCH_INFO, fa_ioctl_batch_info,
		    struct fragalloc_batch_info, out_policy),
	FA_IOCTL_OP(STATS, fa_ioctl_stats, struct fragalloc_stats,
		    out_auto_recompact_runs),
	FA_IOCTL_OP(RECOMPACT, fa_ioctl_recompact, struct fragalloc_recompact,
		    out_blocks_after),
};

static long fa_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct fa_file *ff = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct fa_ioctl_op *op;
	union fa_ucmd_buffer buf;
	unsigned int nr = _IOC_NR(cmd);
	u32 usize;
	int ret;

	if (nr < FRAGALLOC_CMD_BASE ||
	    nr - FRAGALLOC_CMD_BASE >= ARRAY_SIZE(fa_ioctl_ops))
		return -ENOTTY;
	/* Spectre v1: the index is user controlled. */
	op = &fa_ioctl_ops[array_index_nospec(nr - FRAGALLOC_CMD_BASE,
					      ARRAY_SIZE(fa_ioctl_ops))];
	if (op->ioctl_num != cmd || !op->execute)
		return -ENOTTY;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < op->min_size)
		return -EINVAL;
	ret = copy_struct_from_user(&buf, op->size, uarg, usize);
	if (ret)
		return ret;

	ret = op->execute(ff, &buf);
	if (ret)
		return ret;
	if (copy_to_user(uarg, &buf, min_t(u32, op->size, usize))) {
		if (op->undo)
			op->undo(ff, &buf);
		return -EFAULT;
	}
	return 0;
}

static int fa_open(struct inode *inode, struct file *file)
{
	struct fa_file *ff;
	int ret;

	ff = kzalloc(sizeof(*ff), GFP_KERNEL);
	if (!ff)
		return -ENOMEM;
	init_rwsem(&ff->lock);
	xa_init_flags(&ff->batches, XA_FLAGS_ALLOC1);
	ff->offsets = RB_ROOT;
	ff->mapping = file->f_mapping;
	file->private_data = ff;

	mutex_lock(&fa_dev.files_lock);
	ret = xa_alloc_cyclic(&fa_dev.file_ids, &ff->id, ff,
			      XA_LIMIT(1, U32_MAX), &fa_dev.next_file_id,
			      GFP_KERNEL);
	if (ret >= 0)
		list_add_tail(&ff->node, &fa_dev.files);
	mutex_unlock(&fa_dev.files_lock);
	if (ret < 0) {
		kfree(ff);
		return ret;
	}
	return 0;
}

/*
 * No mapping is left: every VMA holds a reference on the file. Once the
 * file is out of the registry (under files_lock, which a pool-wide
 * recompaction holds for its whole run) no recompaction can reach it, so
 * the batches are freed without holding files_lock. Each batch is freed
 * under ff->lock for writing, before the RCU-delayed free of @ff: the
 * movable policy's migration, which holds ff->lock past its RCU section,
 * relies on that.
 */
static int fa_release(struct inode *inode, struct file *file)
{
	struct fa_file *ff = file->private_data;
	struct fa_batch *b;
	unsigned long handle;

	mutex_lock(&fa_dev.files_lock);
	list_del(&ff->node);
	xa_erase(&fa_dev.file_ids, ff->id);
	mutex_unlock(&fa_dev.files_lock);
	xa_for_each(&ff->batches, handle, b) {
		fa_batch_free(ff, handle);
		cond_resched();
	}
	xa_destroy(&ff->batches);
	kfree_rcu(ff, rcu);
	/* A closed fd is a FREE of everything it held. */
	fa_auto_recompact_kick();
	return 0;
}

static const struct file_operations fa_fops = {
	.owner = THIS_MODULE,
	.open = fa_open,
	.release = fa_release,
	.unlocked_ioctl = fa_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = fa_mmap,
	.fadvise = fa_fadvise,
};

static struct miscdevice fa_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "fragalloc",
	.fops = &fa_fops,
	.mode = 0600,
};

int fa_chardev_init(void)
{
	return misc_register(&fa_misc);
}

void fa_chardev_exit(void)
{
	misc_deregister(&fa_misc);
}
