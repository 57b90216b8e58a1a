/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fragalloc: event hooks. Each fa_ev_*() fires its tracepoint (fa_trace.h)
 * and feeds the generic netlink coalescer (events.c, netlink.c), so that a
 * call site is one line. Hooks may be called under the pool lock and from
 * reclaim: they never sleep and never allocate.
 */
#ifndef _FRAGALLOC_FA_EVENTS_H
#define _FRAGALLOC_FA_EVENTS_H

#include <linux/kconfig.h>
#include <linux/types.h>
#include <linux/fragalloc_netlink.h>

struct fragalloc_recompact;
struct genl_info;
struct sk_buff;

/* Class of a pageblock that has none (empty blocks of the reserve). */
#define FA_EV_NO_CLASS		255

/* Why a pageblock was taken or given back (block_acquire, block_release). */
enum fa_ev_reason {
	FA_EV_REASON_ALLOC,
	FA_EV_REASON_FREE,
	FA_EV_REASON_TRIM,
	FA_EV_REASON_RECOMPACT,
	FA_EV_REASON_SHRINK,
};

/**
 * struct fa_ev_batch - what the alloc, free and fallback_loose events report
 * @owner: the file's id (&fa_file.id), 0 for an in-kernel client
 * @handle: the batch's handle, 0 for an in-kernel client
 * @pages: pages allocated or freed
 * @blocks: distinct pageblocks of the pages (alloc only)
 * @loose: pages taken outside whole pageblocks (alloc only)
 * @policy: &enum fragalloc_policy
 * @cls: &enum fragalloc_mobility
 */
struct fa_ev_batch {
	u32 owner;
	u32 handle;
	u64 pages;
	u64 blocks;
	u64 loose;
	u32 policy;
	u32 cls;
};

/* Sums a coalesced message carries, in FRAGALLOC_NL_A_EVENT_* order. */
enum fa_ev_sum {
	FA_EV_PAGES,
	FA_EV_BLOCKS,
	FA_EV_LOOSE,
	FA_EV_PLANNED,
	FA_EV_MOVED,
	FA_EV_ASKED,
	FA_EV_DURATION,
	FA_EV_NR_SUMS,
};

/**
 * struct fa_ev_acc - one event kind's figures since its last message
 * @count: events
 * @time_ns: CLOCK_MONOTONIC of the latest event
 * @sum: &enum fa_ev_sum sums
 * @limit: &enum fragalloc_nl_limit of the latest event (limit_hit)
 * @err: positive errno of the latest event (limit_hit)
 */
struct fa_ev_acc {
	u64 count;
	u64 time_ns;
	u64 sum[FA_EV_NR_SUMS];
	u32 limit;
	u32 err;
};

/* Latest-value attributes of a kind, beyond its sums (fa_ev_kind.latest). */
#define FA_EV_LATEST_LIMIT	BIT(0)

/**
 * struct fa_ev_kind - one &enum fragalloc_nl_event kind
 * @name: the kind's name (debugfs, messages)
 * @sums: BIT(&enum fa_ev_sum) of the sums its messages carry
 * @latest: FA_EV_LATEST_* values its messages carry
 */
struct fa_ev_kind {
	const char *name;
	unsigned int sums;
	unsigned int latest;
};

extern const struct fa_ev_kind fa_ev_kinds[];

/* Hooks (events.c). */
void fa_ev_alloc(u32 owner, u32 handle, unsigned int policy, unsigned int cls,
		 u64 pages, u64 blocks, u64 loose);
void fa_ev_free(u32 owner, u32 handle, unsigned int policy, unsigned int cls,
		u64 pages);
void fa_ev_pool_alloc(unsigned int cls);
void fa_ev_block(unsigned long pfn, unsigned int order, bool acquire);
u64 fa_ev_recompact_begin(unsigned int scope, u64 max_pages, bool dry_run);
void fa_ev_recompact_end(unsigned int scope, u64 begin, bool dry_run,
			 int err, const struct fragalloc_recompact *out);
void fa_ev_page_move(unsigned long old_pfn, unsigned long new_pfn,
		     unsigned int cls);
void fa_ev_shrink_begin(void);
void fa_ev_shrink(u64 asked, u64 given);
int fa_ev_limit_hit(unsigned int limit, int err);

/* Coalescer (events.c) and generic netlink family (netlink.c). */
int fa_events_init(void);
void fa_events_exit(void);
#if IS_ENABLED(CONFIG_NET)
bool fa_nl_listening(void);
int fa_nl_send_event(unsigned int kind, const struct fa_ev_acc *acc);
int fa_nl_init(void);
void fa_nl_exit(void);
#else
/* No networking: no family, nobody ever listens, events are traced only. */
static inline bool fa_nl_listening(void)
{
	return false;
}

static inline int fa_nl_send_event(unsigned int kind,
				   const struct fa_ev_acc *acc)
{
	return 0;
}

static inline int fa_nl_init(void)
{
	return 0;
}

static inline void fa_nl_exit(void)
{
}
#endif

#endif /* _FRAGALLOC_FA_EVENTS_H */
