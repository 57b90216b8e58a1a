// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: event hooks and the netlink coalescer.
 *
 * Every hook fires its tracepoint and, while someone listens on the
 * netlink "events" group, adds the event to its kind's figures. A delayed
 * work sends one message per kind that had events, FRAGALLOC_NL_COALESCE_MS
 * after the first event it covers: at most one message per kind per period,
 * whatever the event rate. Hooks run under the pool lock and in reclaim, so
 * the hot path is a spinlock and additions; the message is built in the
 * work, which may allocate.
 */
#include <linux/bitops.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>

#include "fa.h"
#include "fa_events.h"

#define CREATE_TRACE_POINTS
#include "fa_trace.h"

#define FA_EV_SUM(s)	BIT(FA_EV_##s)

/* One table: what each kind carries, for the hooks and for netlink. */
const struct fa_ev_kind fa_ev_kinds[FRAGALLOC_NL_NR_EVENTS] = {
	[FRAGALLOC_NL_EVENT_ALLOC] = {
		"alloc", FA_EV_SUM(PAGES) | FA_EV_SUM(BLOCKS) | FA_EV_SUM(LOOSE)
	},
	[FRAGALLOC_NL_EVENT_FREE] = { "free", FA_EV_SUM(PAGES) },
	[FRAGALLOC_NL_EVENT_BLOCK_ACQUIRE] = {
		"block_acquire", FA_EV_SUM(BLOCKS)
	},
	[FRAGALLOC_NL_EVENT_BLOCK_RELEASE] = {
		"block_release", FA_EV_SUM(BLOCKS)
	},
	[FRAGALLOC_NL_EVENT_FALLBACK_LOOSE] = {
		"fallback_loose", FA_EV_SUM(PAGES)
	},
	[FRAGALLOC_NL_EVENT_RECOMPACT] = {
		"recompact", FA_EV_SUM(PLANNED) | FA_EV_SUM(MOVED) |
			     FA_EV_SUM(BLOCKS) | FA_EV_SUM(DURATION)
	},
	[FRAGALLOC_NL_EVENT_SHRINK] = {
		"shrink", FA_EV_SUM(ASKED) | FA_EV_SUM(PAGES)
	},
	[FRAGALLOC_NL_EVENT_LIMIT_HIT] = {
		"limit_hit", 0, FA_EV_LATEST_LIMIT
	},
};

static DEFINE_SPINLOCK(fa_ev_lock);	/* fa_ev_pending, fa_ev_live */
static struct fa_ev_acc fa_ev_pending[FRAGALLOC_NL_NR_EVENTS];
/* Cleared at unload under fa_ev_lock: nothing queues the work after. */
static bool fa_ev_live;

static void fa_ev_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(fa_ev_work, fa_ev_work_fn);

static void fa_ev_work_fn(struct work_struct *work)
{
	struct fa_ev_acc snap[FRAGALLOC_NL_NR_EVENTS];
	unsigned int k;

	spin_lock_irq(&fa_ev_lock);
	memcpy(snap, fa_ev_pending, sizeof(snap));
	memset(fa_ev_pending, 0, sizeof(fa_ev_pending));
	spin_unlock_irq(&fa_ev_lock);
	for (k = 0; k < FRAGALLOC_NL_NR_EVENTS; k++)
		if (snap[k].count)
			fa_nl_send_event(k, &snap[k]);
}

/* Add one event of @kind (its sums and latest values in @one). */
static void fa_ev_feed(unsigned int kind, const struct fa_ev_acc *one)
{
	const struct fa_ev_kind *ek = &fa_ev_kinds[kind];
	unsigned long flags, sums = ek->sums;
	struct fa_ev_acc *acc;
	unsigned int i;
	u64 now;

	/* Nobody listens: nothing to keep, and no lock taken. */
	if (!READ_ONCE(fa_ev_live) || !fa_nl_listening())
		return;
	now = ktime_get_ns();
	spin_lock_irqsave(&fa_ev_lock, flags);
	if (fa_ev_live) {
		acc = &fa_ev_pending[kind];
		acc->count++;
		acc->time_ns = now;
		for_each_set_bit(i, &sums, FA_EV_NR_SUMS)
			acc->sum[i] += one->sum[i];
		if (ek->latest & FA_EV_LATEST_LIMIT) {
			acc->limit = one->limit;
			acc->err = one->err;
		}
		/*
		 * Queued once per period; one jiffy more so that the period
		 * is never cut short by the jiffy the timer starts in.
		 */
		queue_delayed_work(system_wq, &fa_ev_work,
				   msecs_to_jiffies(FRAGALLOC_NL_COALESCE_MS) +
				   1);
	}
	spin_unlock_irqrestore(&fa_ev_lock, flags);
}

/**
 * fa_ev_alloc() - a batch was allocated
 * @owner: the file's id, 0 for an in-kernel caller
 * @handle: the batch's handle, 0 for an in-kernel caller
 * @policy: &enum fragalloc_policy
 * @cls: &enum fragalloc_mobility
 * @pages: pages allocated
 * @blocks: distinct pageblocks they lie in (0: not counted)
 * @loose: pages outside whole pool pageblocks (0: not counted)
 */
void fa_ev_alloc(u32 owner, u32 handle, unsigned int policy, unsigned int cls,
		 u64 pages, u64 blocks, u64 loose)
{
	struct fa_ev_batch b = {
		.owner = owner, .handle = handle, .pages = pages,
		.blocks = blocks, .loose = loose, .policy = policy, .cls = cls,
	};
	struct fa_ev_acc one = {
		.sum[FA_EV_PAGES] = pages,
		.sum[FA_EV_BLOCKS] = blocks,
		.sum[FA_EV_LOOSE] = loose,
	};

	trace_alloc(&b);
	fa_ev_feed(FRAGALLOC_NL_EVENT_ALLOC, &one);
	/* Other policies take nothing but "loose" pages: no fallback. */
	if (!loose || policy != FRAGALLOC_POLICY_COMPACT)
		return;
	trace_fallback_loose(&b);
	one.sum[FA_EV_PAGES] = loose;
	fa_ev_feed(FRAGALLOC_NL_EVENT_FALLBACK_LOOSE, &one);
}

/* fa_ev_free() - pages of a batch were freed (as fa_ev_alloc()) */
void fa_ev_free(u32 owner, u32 handle, unsigned int policy, unsigned int cls,
		u64 pages)
{
	struct fa_ev_batch b = {
		.owner = owner, .handle = handle, .pages = pages,
		.policy = policy, .cls = cls,
	};
	struct fa_ev_acc one = { .sum[FA_EV_PAGES] = pages };

	trace_free(&b);
	fa_ev_feed(FRAGALLOC_NL_EVENT_FREE, &one);
}

/*
 * The task in the shrinker's scan, for the reason of the blocks it gives
 * back: drop_caches calls it without PF_MEMALLOC. One slot: a second scan
 * at the same time is only seen through PF_MEMALLOC.
 */
static struct task_struct *fa_ev_shrinker;

/* Why the current task takes or gives back a pageblock. */
static unsigned int fa_ev_reason(bool acquire)
{
	/* Direct reclaim and kswapd: only the shrinker gets here. */
	if ((current->flags & PF_MEMALLOC) ||
	    READ_ONCE(fa_ev_shrinker) == current)
		return FA_EV_REASON_SHRINK;
	if (fa_in_recompaction())
		return FA_EV_REASON_RECOMPACT;
	if (current_work() == &fa_dev.trim_work.work)
		return FA_EV_REASON_TRIM;
	return acquire ? FA_EV_REASON_ALLOC : FA_EV_REASON_FREE;
}

/* The class the pool allocates for (pool_lock), for block_acquire. */
static unsigned int fa_ev_pool_cls = FA_EV_NO_CLASS;

/**
 * fa_ev_pool_alloc() - the pool lock holder is about to allocate from the
 * pool for @cls: pageblocks the pool takes meanwhile are @cls's
 * @cls: &enum fragalloc_mobility
 */
void fa_ev_pool_alloc(unsigned int cls)
{
	lockdep_assert_held(&fa_dev.pool_lock);
	fa_ev_pool_cls = cls;
}

/**
 * fa_ev_block() - the page source took or gave back memory (pool lock held)
 * @pfn: first page
 * @order: of the chunk; only whole pageblocks are events
 * @acquire: taken from (true) or given back to (false) the buddy allocator;
 *	a block given back is empty and has no class
 */
void fa_ev_block(unsigned long pfn, unsigned int order, bool acquire)
{
	struct fa_ev_acc one = { .sum[FA_EV_BLOCKS] = 1 };

	if (order != pageblock_order)
		return;
	if (acquire) {
		trace_block_acquire(pfn, fa_ev_pool_cls, fa_ev_reason(true));
		fa_ev_feed(FRAGALLOC_NL_EVENT_BLOCK_ACQUIRE, &one);
	} else {
		trace_block_release(pfn, FA_EV_NO_CLASS, fa_ev_reason(false));
		fa_ev_feed(FRAGALLOC_NL_EVENT_BLOCK_RELEASE, &one);
	}
}

/**
 * fa_ev_recompact_begin() - a recompaction starts
 * @scope: &enum fragalloc_scope, or FA_SCOPE_CLIENT
 * @max_pages: its cap (0: none)
 * @dry_run: plan only
 *
 * Return: the start time, for fa_ev_recompact_end().
 */
u64 fa_ev_recompact_begin(unsigned int scope, u64 max_pages, bool dry_run)
{
	trace_recompact_begin(scope, max_pages, dry_run);
	return ktime_get_ns();
}

/**
 * fa_ev_recompact_end() - a recompaction is over
 * @scope: as given to fa_ev_recompact_begin()
 * @begin: what fa_ev_recompact_begin() returned
 * @dry_run: as given to fa_ev_recompact_begin()
 * @err: its result; failed runs and dry runs are traced but not counted
 *	(as in &fragalloc_stats.out_recompact_runs)
 * @out: its figures
 */
void fa_ev_recompact_end(unsigned int scope, u64 begin, bool dry_run,
			 int err, const struct fragalloc_recompact *out)
{
	u64 dur = ktime_get_ns() - begin;
	struct fa_ev_acc one = {
		.sum[FA_EV_PLANNED] = out->out_pages_planned,
		.sum[FA_EV_MOVED] = out->out_pages_moved,
		.sum[FA_EV_BLOCKS] = out->out_blocks_released,
		.sum[FA_EV_DURATION] = dur,
	};

	trace_recompact_end(scope, err, out->out_pages_planned,
			    out->out_pages_moved, out->out_blocks_released, dur);
	if (!err && !dry_run)
		fa_ev_feed(FRAGALLOC_NL_EVENT_RECOMPACT, &one);
}

/* Trace only: a netlink message per page would be the storm it avoids. */
void fa_ev_page_move(unsigned long old_pfn, unsigned long new_pfn,
		     unsigned int cls)
{
	trace_page_move(old_pfn, new_pfn, cls);
}

/* fa_ev_shrink_begin() - a shrinker scan starts (fa_ev_shrink() ends it) */
void fa_ev_shrink_begin(void)
{
	cmpxchg(&fa_ev_shrinker, NULL, current);
}

/**
 * fa_ev_shrink() - a shrinker scan is over
 * @asked: pages reclaim asked for
 * @given: pages given back; scans that gave nothing are traced only
 */
void fa_ev_shrink(u64 asked, u64 given)
{
	struct fa_ev_acc one = {
		.sum[FA_EV_ASKED] = asked,
		.sum[FA_EV_PAGES] = given,
	};

	cmpxchg(&fa_ev_shrinker, current, NULL);
	trace_shrink(asked, given);
	if (given)
		fa_ev_feed(FRAGALLOC_NL_EVENT_SHRINK, &one);
}

/**
 * fa_ev_limit_hit() - a request was refused by a limit
 * @limit: &enum fragalloc_nl_limit
 * @err: the errno returned (negative, as in the kernel)
 *
 * Return: @err, for "return fa_ev_limit_hit(...);".
 */
int fa_ev_limit_hit(unsigned int limit, int err)
{
	struct fa_ev_acc one = { .limit = limit, .err = abs(err) };

	trace_limit_hit(limit, abs(err));
	fa_ev_feed(FRAGALLOC_NL_EVENT_LIMIT_HIT, &one);
	return err;
}

/**
 * fa_events_init() - register the netlink family and start feeding it;
 * called last at load, when GET_STATS finds everything in place
 *
 * Return: 0 or a negative errno.
 */
int fa_events_init(void)
{
	int ret = fa_nl_init();

	if (ret)
		return ret;
	spin_lock_irq(&fa_ev_lock);
	fa_ev_live = true;
	spin_unlock_irq(&fa_ev_lock);
	return 0;
}

/**
 * fa_events_exit() - stop the coalescer and unregister the family; called
 * first at unload, while the shrinker and the automatic recompaction still
 * run: their events are traced but no longer queue the work.
 */
void fa_events_exit(void)
{
	spin_lock_irq(&fa_ev_lock);
	fa_ev_live = false;
	spin_unlock_irq(&fa_ev_lock);
	cancel_delayed_work_sync(&fa_ev_work);
	fa_nl_exit();
}
