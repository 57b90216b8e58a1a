/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * fragalloc: generic netlink family "fragalloc" (pool-wide figures and
 * coalesced events).
 *
 * Copyright (C) 2026 The fragalloc authors
 */
#ifndef _UAPI_LINUX_FRAGALLOC_NETLINK_H
#define _UAPI_LINUX_FRAGALLOC_NETLINK_H

/**
 * DOC: Generic netlink family
 *
 * Family FRAGALLOC_GENL_NAME, version FRAGALLOC_GENL_VERSION, registered
 * while the module is loaded. It carries pool-wide figures only: no PFN,
 * nothing about one file descriptor or one user, so neither the command nor
 * the group needs a privilege (like /proc/buddyinfo).
 *
 * Commands (userspace to kernel):
 *
 *  - FRAGALLOC_NL_CMD_GET_STATS: reply with one FRAGALLOC_NL_CMD_GET_STATS
 *    message carrying the FRAGALLOC_NL_A_STATS_* attributes and one
 *    FRAGALLOC_NL_A_CLASS nest per mobility class. The optional request
 *    attribute FRAGALLOC_NL_A_CLASS_ID (u32) limits the nests to that class.
 *
 * Multicast group FRAGALLOC_GENL_MCGRP_EVENTS: FRAGALLOC_NL_CMD_EVENT
 * messages. Events are coalesced: for each &enum fragalloc_nl_event kind
 * at most one message per FRAGALLOC_NL_COALESCE_MS milliseconds is sent;
 * it carries how many events of that kind happened since the previous
 * message of that kind (FRAGALLOC_NL_A_EVENT_COUNT) and their sums. A storm
 * of page-level work therefore costs a listener at most
 * FRAGALLOC_NL_NR_EVENTS messages per period.
 *
 * Errnos (in the netlink error message, with an extack message):
 *
 *  - EOPNOTSUPP: unknown command, or a command only the kernel sends
 *    (FRAGALLOC_NL_CMD_EVENT).
 *  - EINVAL: an attribute this family does not know (strict validation),
 *    an attribute of the wrong length, or trailing garbage.
 *  - ERANGE: FRAGALLOC_NL_A_CLASS_ID is not below FRAGALLOC_NR_MOBILITY.
 *  - ENODEV: the module is being unloaded.
 */

#define FRAGALLOC_GENL_NAME		"fragalloc"
#define FRAGALLOC_GENL_VERSION		1
#define FRAGALLOC_GENL_MCGRP_EVENTS	"events"
#define FRAGALLOC_NL_COALESCE_MS	100

/**
 * enum fragalloc_nl_cmd - generic netlink commands
 * @FRAGALLOC_NL_CMD_UNSPEC: unused
 * @FRAGALLOC_NL_CMD_GET_STATS: request and reply: pool-wide figures
 * @FRAGALLOC_NL_CMD_EVENT: kernel to userspace only, on the events group
 * @__FRAGALLOC_NL_CMD_MAX: number of commands
 */
enum fragalloc_nl_cmd {
	FRAGALLOC_NL_CMD_UNSPEC,
	FRAGALLOC_NL_CMD_GET_STATS,
	FRAGALLOC_NL_CMD_EVENT,
	__FRAGALLOC_NL_CMD_MAX,
};

#define FRAGALLOC_NL_CMD_MAX (__FRAGALLOC_NL_CMD_MAX - 1)

/**
 * enum fragalloc_nl_event - event kinds (FRAGALLOC_NL_A_EVENT_KIND)
 * @FRAGALLOC_NL_EVENT_ALLOC: batches allocated; PAGES, BLOCKS, LOOSE
 * @FRAGALLOC_NL_EVENT_FREE: batches or ranges freed; PAGES
 * @FRAGALLOC_NL_EVENT_BLOCK_ACQUIRE: pageblocks taken from the buddy
 *	allocator; BLOCKS
 * @FRAGALLOC_NL_EVENT_BLOCK_RELEASE: pageblocks given back whole; BLOCKS
 * @FRAGALLOC_NL_EVENT_FALLBACK_LOOSE: allocations that took loose pages;
 *	PAGES (the loose pages)
 * @FRAGALLOC_NL_EVENT_RECOMPACT: recompactions finished; PLANNED, MOVED,
 *	BLOCKS (released), DURATION_NS (sum)
 * @FRAGALLOC_NL_EVENT_SHRINK: shrinker scans that gave memory back;
 *	ASKED, PAGES (given back)
 * @FRAGALLOC_NL_EVENT_LIMIT_HIT: requests refused by a limit; LIMIT and
 *	ERRNO of the latest one
 * @FRAGALLOC_NL_NR_EVENTS: number of kinds
 */
enum fragalloc_nl_event {
	FRAGALLOC_NL_EVENT_ALLOC,
	FRAGALLOC_NL_EVENT_FREE,
	FRAGALLOC_NL_EVENT_BLOCK_ACQUIRE,
	FRAGALLOC_NL_EVENT_BLOCK_RELEASE,
	FRAGALLOC_NL_EVENT_FALLBACK_LOOSE,
	FRAGALLOC_NL_EVENT_RECOMPACT,
	FRAGALLOC_NL_EVENT_SHRINK,
	FRAGALLOC_NL_EVENT_LIMIT_HIT,
	FRAGALLOC_NL_NR_EVENTS,
};

/**
 * enum fragalloc_nl_limit - which limit refused a request
 * @FRAGALLOC_NL_LIMIT_BATCH: max_batch_pages (EINVAL)
 * @FRAGALLOC_NL_LIMIT_FD: max_fd_pages (ENOSPC)
 * @FRAGALLOC_NL_LIMIT_TOTAL: max_total_pages (ENOSPC)
 * @FRAGALLOC_NL_LIMIT_MEMLOCK: the user's RLIMIT_MEMLOCK (EDQUOT)
 */
enum fragalloc_nl_limit {
	FRAGALLOC_NL_LIMIT_BATCH,
	FRAGALLOC_NL_LIMIT_FD,
	FRAGALLOC_NL_LIMIT_TOTAL,
	FRAGALLOC_NL_LIMIT_MEMLOCK,
};

/**
 * enum fragalloc_nl_attr - attributes (one flat space; u64 values are
 * padded with FRAGALLOC_NL_A_PAD)
 * @FRAGALLOC_NL_A_UNSPEC: unused
 * @FRAGALLOC_NL_A_PAD: padding for 64-bit attributes
 * @FRAGALLOC_NL_A_CLASS: nest, one per mobility class, in GET_STATS replies
 * @FRAGALLOC_NL_A_CLASS_ID: u32, &enum fragalloc_mobility (request filter,
 *	and inside each CLASS nest)
 * @FRAGALLOC_NL_A_CLASS_BLOCKS: u64, pageblocks owned by the class
 * @FRAGALLOC_NL_A_CLASS_USED: u64, pages handed out from owned pageblocks
 * @FRAGALLOC_NL_A_CLASS_FREE: u64, free pages inside owned pageblocks
 * @FRAGALLOC_NL_A_CLASS_LOOSE: u64, pages handed out outside whole blocks
 * @FRAGALLOC_NL_A_STATS_RESERVE_BLOCKS: u64, empty pageblocks kept
 * @FRAGALLOC_NL_A_STATS_FALLBACKS: u64, allocations that took loose pages
 * @FRAGALLOC_NL_A_STATS_BLOCKS_ACQUIRED: u64, ever
 * @FRAGALLOC_NL_A_STATS_BLOCKS_RELEASED: u64, ever
 * @FRAGALLOC_NL_A_STATS_OTHER_PAGES: u64, pages of non-compact policies
 * @FRAGALLOC_NL_A_STATS_RECOMPACT_RUNS: u64, ever
 * @FRAGALLOC_NL_A_STATS_RECOMPACT_MOVED: u64, ever
 * @FRAGALLOC_NL_A_STATS_META_BYTES: u64, the pool's own metadata
 * @FRAGALLOC_NL_A_STATS_AUTO_RUNS: u64, automatic recompactions, ever
 * @FRAGALLOC_NL_A_STATS_IDLE_PAGES: u64, owned but not handed out
 * @FRAGALLOC_NL_A_STATS_RECLAIMABLE_PAGES: u64, the shrinker's count
 * @FRAGALLOC_NL_A_STATS_SHRINK_RUNS: u64, ever
 * @FRAGALLOC_NL_A_STATS_SHRINK_PAGES: u64, ever
 * @FRAGALLOC_NL_A_STATS_SHRINK_BLOCKS_BROKEN: u64, ever
 * @FRAGALLOC_NL_A_STATS_AUTO_PAGES_RELEASED: u64, ever
 * @FRAGALLOC_NL_A_EVENT_KIND: u32, &enum fragalloc_nl_event
 * @FRAGALLOC_NL_A_EVENT_COUNT: u64, events coalesced into this message
 * @FRAGALLOC_NL_A_EVENT_TIME_NS: u64, CLOCK_MONOTONIC of the latest event
 * @FRAGALLOC_NL_A_EVENT_PAGES: u64, sum (see &enum fragalloc_nl_event)
 * @FRAGALLOC_NL_A_EVENT_BLOCKS: u64, sum
 * @FRAGALLOC_NL_A_EVENT_LOOSE: u64, sum
 * @FRAGALLOC_NL_A_EVENT_PLANNED: u64, sum
 * @FRAGALLOC_NL_A_EVENT_MOVED: u64, sum
 * @FRAGALLOC_NL_A_EVENT_ASKED: u64, sum
 * @FRAGALLOC_NL_A_EVENT_DURATION_NS: u64, sum
 * @FRAGALLOC_NL_A_EVENT_LIMIT: u32, &enum fragalloc_nl_limit (latest)
 * @FRAGALLOC_NL_A_EVENT_ERRNO: u32, positive errno (latest)
 * @__FRAGALLOC_NL_A_MAX: number of attributes
 */
enum fragalloc_nl_attr {
	FRAGALLOC_NL_A_UNSPEC,
	FRAGALLOC_NL_A_PAD,
	FRAGALLOC_NL_A_CLASS,
	FRAGALLOC_NL_A_CLASS_ID,
	FRAGALLOC_NL_A_CLASS_BLOCKS,
	FRAGALLOC_NL_A_CLASS_USED,
	FRAGALLOC_NL_A_CLASS_FREE,
	FRAGALLOC_NL_A_CLASS_LOOSE,
	FRAGALLOC_NL_A_STATS_RESERVE_BLOCKS,
	FRAGALLOC_NL_A_STATS_FALLBACKS,
	FRAGALLOC_NL_A_STATS_BLOCKS_ACQUIRED,
	FRAGALLOC_NL_A_STATS_BLOCKS_RELEASED,
	FRAGALLOC_NL_A_STATS_OTHER_PAGES,
	FRAGALLOC_NL_A_STATS_RECOMPACT_RUNS,
	FRAGALLOC_NL_A_STATS_RECOMPACT_MOVED,
	FRAGALLOC_NL_A_STATS_META_BYTES,
	FRAGALLOC_NL_A_STATS_AUTO_RUNS,
	FRAGALLOC_NL_A_STATS_IDLE_PAGES,
	FRAGALLOC_NL_A_STATS_RECLAIMABLE_PAGES,
	FRAGALLOC_NL_A_STATS_SHRINK_RUNS,
	FRAGALLOC_NL_A_STATS_SHRINK_PAGES,
	FRAGALLOC_NL_A_STATS_SHRINK_BLOCKS_BROKEN,
	FRAGALLOC_NL_A_STATS_AUTO_PAGES_RELEASED,
	FRAGALLOC_NL_A_EVENT_KIND,
	FRAGALLOC_NL_A_EVENT_COUNT,
	FRAGALLOC_NL_A_EVENT_TIME_NS,
	FRAGALLOC_NL_A_EVENT_PAGES,
	FRAGALLOC_NL_A_EVENT_BLOCKS,
	FRAGALLOC_NL_A_EVENT_LOOSE,
	FRAGALLOC_NL_A_EVENT_PLANNED,
	FRAGALLOC_NL_A_EVENT_MOVED,
	FRAGALLOC_NL_A_EVENT_ASKED,
	FRAGALLOC_NL_A_EVENT_DURATION_NS,
	FRAGALLOC_NL_A_EVENT_LIMIT,
	FRAGALLOC_NL_A_EVENT_ERRNO,
	__FRAGALLOC_NL_A_MAX,
};

#define FRAGALLOC_NL_A_MAX (__FRAGALLOC_NL_A_MAX - 1)

#endif /* _UAPI_LINUX_FRAGALLOC_NETLINK_H */
