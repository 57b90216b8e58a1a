// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: recompaction, the mover.
 *
 * The core's planner picks the fewest page moves that leave each class with
 * at most one partial pageblock and reserves their destinations. Each move
 * then runs under the owning file's lock, taken for writing, so no fault can
 * map the page meanwhile: zap the page's PTEs, copy it, switch the batch's
 * pointer, and give the old page back (its block returns to the buddy
 * allocator when it empties). A thread touching the page either wrote to the
 * old page before the zap, which the copy carries over, or faults after the
 * switch and gets the new page. Between moves no lock is held, so faults and
 * other ioctls go on; a fatal signal stops the run with everything
 * consistent and the moves made so far kept.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include <linux/fragalloc_kapi.h>

#include "fa.h"

/**
 * fa_page_tag() - record which batch page a pool page is
 * @page: the page
 * @ff: its file, or NULL to clear the record
 * @handle: its batch
 * @idx: its index in the batch
 */
void fa_page_tag(struct page *page, struct fa_file *ff, u32 handle,
		 unsigned long idx)
{
	set_page_private(page, (unsigned long)ff);
	page->index = ff ? ((unsigned long)handle << 32) | idx : 0;
}

/* Called under the pool lock; reads the tag only, follows no pointer. */
static bool fa_movable(void *data, unsigned long pfn)
{
	const struct fa_scope *scope = data;
	struct page *page = pfn_to_page(pfn);
	unsigned long tag = page_private(page);

	if (!tag)
		return false;
	switch (scope->kind) {
	case FRAGALLOC_SCOPE_POOL:
		return true;
	case FA_SCOPE_CLIENT:
		return tag == ((unsigned long)scope->client | FA_TAG_CLIENT);
	case FRAGALLOC_SCOPE_FD:
		return tag == (unsigned long)scope->ff;
	default:
		return tag == (unsigned long)scope->ff &&
		       (page->index >> 32) == scope->handle;
	}
}

static void fa_pool_put_page(struct page *page)
{
	unsigned long pfn = page_to_pfn(page);

	fa_page_tag(page, NULL, 0, 0);
	mutex_lock(&fa_dev.pool_lock);
	fa_pool_free(fa_dev.pool, &pfn, 1);
	mutex_unlock(&fa_dev.pool_lock);
}

/* Move a client's page: the client copies and switches its references. */
static bool fa_move_client_page(struct fragalloc_client *client,
				struct page *src, struct page *dst)
{
	unsigned long tag = (unsigned long)client | FA_TAG_CLIENT;
	bool moved = false;

	mutex_lock(&client->lock);
	/* Freed since the plan? Then leave it. */
	if (page_private(src) == tag &&
	    client->move(client, src, dst, src->index)) {
		set_page_private(dst, tag);
		dst->index = src->index;
		moved = true;
	}
	mutex_unlock(&client->lock);
	return moved;
}

/*
 * Move one page. Its owner is alive: in the fd scopes it is the caller's
 * own file; in the pool scope fa_dev.files_lock keeps every file alive; a
 * client waits for running recompactions before it goes away.
 */
static bool fa_move_one(const struct fa_scope *scope, struct page *src,
			struct page *dst)
{
	unsigned long tag = page_private(src);
	struct fa_file *owner = (struct fa_file *)tag;
	unsigned long idx;
	struct fa_batch *b;
	bool moved = false;
	u32 handle;

	if (!tag || !fa_movable((void *)scope, page_to_pfn(src)))
		return false;
	if (tag & FA_TAG_CLIENT)
		return fa_move_client_page((struct fragalloc_client *)
					   (tag & ~FA_TAG_CLIENT), src, dst);

	down_write(&owner->lock);
	/* Freed, or freed and reused, since the plan? Then leave it. */
	if (page_private(src) != (unsigned long)owner)
		goto out;
	handle = src->index >> 32;
	idx = src->index & U32_MAX;
	b = xa_load(&owner->batches, handle);
	if (!b || idx >= b->nr_pages || b->pages[idx] != src)
		goto out;

	fa_zap_range(owner, b->pgoff + idx, 1);
	copy_highpage(dst, src);
	b->pages[idx] = dst;
	fa_page_tag(dst, owner, handle, idx);
	moved = true;
out:
	up_write(&owner->lock);
	return moved;
}

static int fa_apply_moves(const struct fa_scope *scope, const struct fa_move *moves,
			  unsigned long n, unsigned long *nr_moved)
{
	unsigned long i;
	int ret = 0;

	for (i = 0; i < n; i++) {
		struct page *src = pfn_to_page(moves[i].src);
		struct page *dst = pfn_to_page(moves[i].dst);

		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
		if (!ret && fa_move_one(scope, src, dst)) {
			fa_pool_put_page(src);
			(*nr_moved)++;
		} else {
			/* Abandoned: the reserved destination goes back. */
			fa_pool_put_page(dst);
		}
		cond_resched();
	}
	return ret;
}

/*
 * Owned blocks of every class; also the reserve's size and the count of
 * blocks ever released, if @reserve.
 */
static u64 fa_pool_blocks(unsigned long *reserve, u64 *released)
{
	struct fa_pool_stats st;
	u64 blocks = 0;
	unsigned int i;

	mutex_lock(&fa_dev.pool_lock);
	fa_pool_get_stats(fa_dev.pool, &st);
	mutex_unlock(&fa_dev.pool_lock);
	if (reserve) {
		*reserve = st.reserve_blocks;
		*released = st.blocks_released;
	}
	for (i = 0; i < FA_NR_CLASSES; i++)
		blocks += st.cls[i].blocks;
	return blocks;
}

static int fa_recompact_class(const struct fa_scope *scope, unsigned int cls,
			      struct fa_move *moves, unsigned long cap,
			      bool dry_run, struct fragalloc_recompact *out)
{
	struct fa_plan_result res = { 0 };
	unsigned long moved = 0;
	long n;
	int ret;

	mutex_lock(&fa_dev.pool_lock);
	/* Loose pages go back into whole pageblocks when some can be had. */
	n = fa_plan(fa_dev.pool, cls, fa_movable, (void *)scope, moves, cap,
		    FA_PLAN_GROW | (dry_run ? FA_PLAN_DRY_RUN : 0), &res);
	mutex_unlock(&fa_dev.pool_lock);
	if (n < 0)
		return n;
	if (dry_run) {
		out->out_blocks_released += res.blocks_before - res.blocks_after;
		out->out_pages_planned += res.nr_moves;
		return 0;
	}
	out->out_pages_planned += n;

	ret = fa_apply_moves(scope, moves, n, &moved);

	mutex_lock(&fa_dev.pool_lock);
	fa_plan_finish(fa_dev.pool, cls);
	fa_dev.recompact_moved += moved;
	mutex_unlock(&fa_dev.pool_lock);
	out->out_pages_moved += moved;
	out->out_bytes_copied += (u64)moved << PAGE_SHIFT;
	return ret;
}

/**
 * fa_recompact() - migrate pages into the fullest pageblocks of their class
 * @scope: the pages that may move
 * @max_pages: most pages to move, 0 for no cap
 * @dry_run: plan only
 * @out: receives the out_ figures
 *
 * Return: 0, -ENOENT for an unknown batch, -ENOMEM, or -EINTR.
 */
int fa_recompact(const struct fa_scope *scope, u64 max_pages, bool dry_run,
		 struct fragalloc_recompact *out)
{
	struct fa_file *ff = scope->ff;
	unsigned long cap, left, reserve, now;
	u64 released, released_after;
	struct fa_move *moves;
	unsigned int cls;
	int ret = 0;

	out->out_pages_planned = 0;
	out->out_pages_moved = 0;
	out->out_bytes_copied = 0;
	out->out_blocks_released = 0;

	if (scope->kind == FRAGALLOC_SCOPE_BATCH) {
		down_read(&ff->lock);
		if (!xa_load(&ff->batches, scope->handle))
			ret = -ENOENT;
		up_read(&ff->lock);
		if (ret)
			return ret;
	}

	mutex_lock(&fa_dev.recompact_lock);
	if (scope->kind == FRAGALLOC_SCOPE_POOL)
		mutex_lock(&fa_dev.files_lock);

	/* A plan never moves more pages than are handed out. */
	cap = atomic_long_read(&fa_dev.total_pages);
	if (max_pages && max_pages < cap)
		cap = max_pages;
	moves = kvmalloc_array(max(cap, 1UL), sizeof(*moves), GFP_KERNEL);
	if (!moves) {
		ret = -ENOMEM;
		goto unlock;
	}

	out->out_blocks_before = fa_pool_blocks(&reserve, &released);
	left = cap;
	for (cls = 0; cls < FA_NR_CLASSES && !ret; cls++) {
		u64 planned = out->out_pages_planned;

		ret = fa_recompact_class(scope, cls, moves, left, dry_run, out);
		left -= min_t(u64, left, out->out_pages_planned - planned);
		if (!left)
			break;
	}
	if (!dry_run) {
		mutex_lock(&fa_dev.pool_lock);
		/*
		 * Blocks the run emptied go back to the buddy allocator, not to
		 * the reserve; the reserve the run found stays.
		 */
		now = fa_pool_reserve_blocks(fa_dev.pool);
		if (now > reserve)
			fa_pool_trim(fa_dev.pool, now - reserve);
		fa_dev.recompact_runs++;
		mutex_unlock(&fa_dev.pool_lock);
	}
	if (dry_run) {
		out->out_blocks_after = out->out_blocks_before -
					out->out_blocks_released;
	} else {
		/* What went back to the buddy allocator during the run. */
		out->out_blocks_after = fa_pool_blocks(&now, &released_after);
		out->out_blocks_released = released_after - released;
	}
	kvfree(moves);
unlock:
	if (scope->kind == FRAGALLOC_SCOPE_POOL)
		mutex_unlock(&fa_dev.files_lock);
	mutex_unlock(&fa_dev.recompact_lock);
	return ret;
}

/*
 * Automatic mode: when a free leaves the pool owning more than
 * auto_recompact_pct percent of the pageblocks its pages need, recompact the
 * whole pool from a work item, at most once per auto_recompact_interval_ms.
 */
static void fa_auto_recompact_work(struct work_struct *work)
{
	struct fa_scope scope = { .kind = FRAGALLOC_SCOPE_POOL };
	struct fragalloc_recompact out = { 0 };

	if (!fa_recompact(&scope, 0, false, &out)) {
		mutex_lock(&fa_dev.pool_lock);
		fa_dev.auto_runs++;
		mutex_unlock(&fa_dev.pool_lock);
	}
	WRITE_ONCE(fa_dev.auto_last, jiffies);
}

void fa_auto_recompact_init(void)
{
	INIT_DELAYED_WORK(&fa_dev.auto_work, fa_auto_recompact_work);
	fa_dev.auto_last = jiffies;
}

/**
 * fa_auto_recompact_kick() - schedule a recompaction if packing got poor
 *
 * Called after frees, with no fragalloc lock held.
 */
void fa_auto_recompact_kick(void)
{
	unsigned int pct = READ_ONCE(fa_auto_recompact_pct);
	u64 owned = 0, needed = 0;
	struct fa_pool_stats st;
	unsigned long next;
	unsigned int i;

	if (!pct)
		return;
	mutex_lock(&fa_dev.pool_lock);
	fa_pool_get_stats(fa_dev.pool, &st);
	mutex_unlock(&fa_dev.pool_lock);
	for (i = 0; i < FA_NR_CLASSES; i++) {
		owned += st.cls[i].blocks;
		needed += DIV_ROUND_UP_ULL(st.cls[i].pages_used,
					   1UL << pageblock_order);
	}
	/* One partial block per class is as good as it gets. */
	if (owned <= needed + FA_NR_CLASSES || owned * 100 <= needed * pct)
		return;
	next = READ_ONCE(fa_dev.auto_last) +
	       msecs_to_jiffies(READ_ONCE(fa_auto_recompact_interval_ms));
	schedule_delayed_work(&fa_dev.auto_work,
			      time_after(next, jiffies) ? next - jiffies : 0);
}

void fa_auto_recompact_exit(void)
{
	cancel_delayed_work_sync(&fa_dev.auto_work);
}
