/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * fragalloc: order-0 page batches packed into few pageblocks.
 *
 * Copyright (C) 2026 The fragalloc authors
 */
#ifndef _UAPI_LINUX_FRAGALLOC_H
#define _UAPI_LINUX_FRAGALLOC_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: General ioctl format
 *
 * Every ioctl of /dev/fragalloc takes a pointer to a structure whose first
 * two members are ``__u32 size`` and ``__u32 flags``. @size is the size of
 * the structure as userspace knows it. The kernel reads it with
 * copy_struct_from_user(): a shorter structure (down to the first published
 * version, which for every structure is its size in ABI version 1, i.e. as
 * defined here) has its missing tail treated as zero; a longer structure is
 * accepted only if every byte the kernel does not understand is zero. Output
 * members (prefixed ``out_``) are ignored on input and written back, on
 * success only, up to min(@size, kernel size). Members named ``__reserved``
 * must be zero.
 *
 * Handles are per file descriptor, never 0, and name nothing on any other
 * fd. mmap offsets are never reused while the module is loaded. Privilege
 * checks (CAP_SYS_ADMIN, CAP_IPC_LOCK) look at the calling task.
 *
 * Errnos shared by every ioctl:
 *
 *  - ENOTTY: the ioctl number is not a fragalloc command.
 *  - EFAULT: the argument (or a user pointer inside it) is not accessible.
 *    When the reply of a successful ALLOC cannot be written back, the batch
 *    is freed again: nothing is left that the caller cannot name.
 *  - EINVAL: @size is smaller than the first version of the structure; or
 *    @flags has a bit outside the command's valid mask; or a ``__reserved``
 *    member, or a member the chosen flags make meaningless, is non-zero; or
 *    a value is out of range (zero or too large a page count, unknown
 *    mobility class, policy or scope).
 *  - E2BIG: @size is larger than the kernel's structure and the extra tail
 *    holds non-zero bytes (a newer feature this kernel does not have).
 *
 * Command-specific errnos:
 *
 *  - ENOENT: the handle does not name a live batch of *this* file
 *    descriptor (never allocated, already freed, or another fd's handle).
 *  - ENOMEM: the system could not provide the pages (nothing is kept when
 *    the allocation is all-or-nothing).
 *  - EDQUOT: the pages would take the calling user's locked memory (every
 *    batch that user holds, on any fd) beyond the caller's RLIMIT_MEMLOCK
 *    (callers with CAP_IPC_LOCK are exempt).
 *  - ENOSPC: the pages would exceed a module limit (max_fd_pages or
 *    max_total_pages, see &struct fragalloc_info).
 *  - EPERM: a pool-wide recompaction was asked for without CAP_SYS_ADMIN.
 *  - EOPNOTSUPP: ALLOC of FRAGALLOC_POLICY_MOVABLE on a kernel that cannot
 *    register movable pages (INFO does not report FRAGALLOC_FEAT_MOVABLE);
 *    reported after the arguments were found valid.
 *  - EINTR: a fatal signal interrupted a long allocation or recompaction;
 *    everything allocated so far is rolled back, pages already moved stay
 *    moved (recompaction is always consistent and resumable).
 *
 * mmap() of a batch:
 *
 *  - EINVAL: the mapping is not MAP_SHARED.
 *  - ENXIO: the offset is not inside a live batch of this fd, or the length
 *    runs past the batch's end.
 *  - SIGBUS: an access to a page of a mapped batch that was freed (whole or
 *    as a range) after the mapping was made.
 *  - mremap() that grows the mapping fails (the mapping is VM_DONTEXPAND).
 */

#define FRAGALLOC_TYPE 0xFA

enum {
	FRAGALLOC_CMD_BASE = 0x80,
	FRAGALLOC_CMD_INFO = FRAGALLOC_CMD_BASE,
	FRAGALLOC_CMD_ALLOC = 0x81,
	FRAGALLOC_CMD_FREE = 0x82,
	FRAGALLOC_CMD_BATCH_INFO = 0x83,
	FRAGALLOC_CMD_STATS = 0x84,
	FRAGALLOC_CMD_RECOMPACT = 0x85,
};

/* ABI version reported by FRAGALLOC_IOC_INFO. */
#define FRAGALLOC_ABI_VERSION 1

/**
 * enum fragalloc_mobility - lifetime class of a batch
 * @FRAGALLOC_UNMOVABLE: long-lived pages (the default).
 * @FRAGALLOC_RECLAIMABLE: pages the owner can drop under pressure.
 * @FRAGALLOC_MOVABLE: short-lived pages.
 * @FRAGALLOC_NR_MOBILITY: number of classes.
 *
 * Batches of different classes never share a pageblock.
 */
enum fragalloc_mobility {
	FRAGALLOC_UNMOVABLE = 0,
	FRAGALLOC_RECLAIMABLE = 1,
	FRAGALLOC_MOVABLE = 2,
	FRAGALLOC_NR_MOBILITY = 3,
};

/**
 * enum fragalloc_policy - where the pages of a batch come from
 * @FRAGALLOC_POLICY_COMPACT: the compact pool: pages packed into as few
 *	pageblocks as possible (the default; the only policy that recompacts).
 * @FRAGALLOC_POLICY_PLAIN: one alloc_page() per page, like a plain driver.
 * @FRAGALLOC_POLICY_BULK: the kernel's bulk page allocator.
 * @FRAGALLOC_POLICY_HIGHORDER: largest order first (8, 4, then 0, as the
 *	dma-buf system heap does), split into order-0 pages.
 * @FRAGALLOC_POLICY_MOVABLE: order-0 pages from movable pageblocks that the
 *	kernel's own compaction (kcompactd, compact_memory, hugetlb and CMA
 *	allocations, memory offlining) migrates: a mapped page's physical
 *	address may change at any time (BATCH_INFO shows the current PFNs),
 *	so never hand it to a device. Only where the kernel lets modules
 *	register movable pages (6.1 to 6.16) and has CONFIG_COMPACTION:
 *	FRAGALLOC_FEAT_MOVABLE in INFO; elsewhere ALLOC answers EOPNOTSUPP.
 *	Not moved by RECOMPACT (the kernel moves them); BEST_EFFORT only.
 * @FRAGALLOC_NR_POLICIES: number of policies.
 *
 * plain, bulk and highorder exist to compare fragmentation on the user's
 * own machine.
 */
enum fragalloc_policy {
	FRAGALLOC_POLICY_COMPACT = 0,
	FRAGALLOC_POLICY_PLAIN = 1,
	FRAGALLOC_POLICY_BULK = 2,
	FRAGALLOC_POLICY_HIGHORDER = 3,
	FRAGALLOC_POLICY_MOVABLE = 4,
	FRAGALLOC_NR_POLICIES = 5,
};

/* Feature bits reported in &fragalloc_info.out_features. */
#define FRAGALLOC_FEAT_RANGE_FREE	_BITULL(0)
#define FRAGALLOC_FEAT_RECOMPACT	_BITULL(1)
#define FRAGALLOC_FEAT_POLICIES		_BITULL(2)
#define FRAGALLOC_FEAT_MMAP		_BITULL(3)
#define FRAGALLOC_FEAT_MOVABLE		_BITULL(4)
#define FRAGALLOC_FEAT_NODES		_BITULL(5)

/**
 * struct fragalloc_info - ioctl(FRAGALLOC_IOC_INFO)
 * @size: sizeof(struct fragalloc_info)
 * @flags: must be 0
 * @out_abi_version: FRAGALLOC_ABI_VERSION of the running module
 * @out_page_size: PAGE_SIZE in bytes
 * @out_pageblock_order: pageblock_order; a pageblock holds
 *	2^out_pageblock_order pages
 * @out_nr_mobility: number of mobility classes (FRAGALLOC_NR_MOBILITY)
 * @out_features: FRAGALLOC_FEAT_* bits
 * @out_max_batch_pages: largest nr_pages accepted by one ALLOC
 * @out_max_fd_pages: pages one file descriptor may hold (0: no limit)
 * @out_max_total_pages: pages all users together may hold (0: no limit)
 * @out_alloc_flags: valid &fragalloc_alloc.flags bits
 * @out_free_flags: valid &fragalloc_free.flags bits
 * @out_batch_info_flags: valid &fragalloc_batch_info.flags bits
 * @out_recompact_flags: valid &fragalloc_recompact.flags bits
 * @out_nr_node_ids: NUMA node ids run from 0 to @out_nr_node_ids - 1 (the
 *	kernel's nr_node_ids; not every id need be online)
 * @out_stats_flags: valid &fragalloc_stats.flags bits
 *
 * Describes the running module. Errnos: the general ones only. The members
 * from @out_nr_node_ids on were added later (tail extension).
 */
struct fragalloc_info {
	__u32 size;
	__u32 flags;
	__u32 out_abi_version;
	__u32 out_page_size;
	__u32 out_pageblock_order;
	__u32 out_nr_mobility;
	__aligned_u64 out_features;
	__aligned_u64 out_max_batch_pages;
	__aligned_u64 out_max_fd_pages;
	__aligned_u64 out_max_total_pages;
	__u32 out_alloc_flags;
	__u32 out_free_flags;
	__u32 out_batch_info_flags;
	__u32 out_recompact_flags;
	__u32 out_nr_node_ids;
	__u32 out_stats_flags;
};

#define FRAGALLOC_IOC_INFO _IO(FRAGALLOC_TYPE, FRAGALLOC_CMD_INFO)

/*
 * ALLOC flags.
 * FRAGALLOC_ALLOC_BEST_EFFORT: when the full count cannot be had, keep what
 *	was allocated (at least one page) and report it in out_nr_pages instead
 *	of failing. Without it, ALLOC is all-or-nothing.
 * FRAGALLOC_ALLOC_STRICT: whole pageblocks only; never take loose pages from
 *	fragmented memory (compact policy only, EINVAL with any other).
 * FRAGALLOC_ALLOC_NODE: @node is meaningful: take the pages from that NUMA
 *	node, falling back to others when it has none left (-1: the default).
 *	Without it, @node must be 0 and the default applies: the calling
 *	task's memory policy and local node, in pageblocks (an approximation
 *	of alloc_pages()'s choice, docs/ABI.md). Either way only nodes of the
 *	calling task's cpuset are used (an explicit other node is EINVAL).
 * FRAGALLOC_ALLOC_THISNODE: never fall back to another node; ENOMEM
 *	instead. Needs FRAGALLOC_ALLOC_NODE and a @node >= 0 (EINVAL otherwise).
 */
#define FRAGALLOC_ALLOC_BEST_EFFORT	_BITUL(0)
#define FRAGALLOC_ALLOC_STRICT		_BITUL(1)
#define FRAGALLOC_ALLOC_NODE		_BITUL(2)
#define FRAGALLOC_ALLOC_THISNODE	_BITUL(3)
#define FRAGALLOC_ALLOC_FLAGS_MASK \
	(FRAGALLOC_ALLOC_BEST_EFFORT | FRAGALLOC_ALLOC_STRICT | \
	 FRAGALLOC_ALLOC_NODE | FRAGALLOC_ALLOC_THISNODE)

/**
 * struct fragalloc_alloc - ioctl(FRAGALLOC_IOC_ALLOC)
 * @size: sizeof(struct fragalloc_alloc)
 * @flags: FRAGALLOC_ALLOC_* bits
 * @mobility: an &enum fragalloc_mobility value
 * @policy: an &enum fragalloc_policy value
 * @nr_pages: pages wanted, 1..out_max_batch_pages
 * @out_handle: handle of the new batch, valid on this fd only
 * @__reserved: must be 0
 * @out_nr_pages: pages actually allocated (== @nr_pages unless
 *	FRAGALLOC_ALLOC_BEST_EFFORT)
 * @out_nr_blocks: distinct pageblocks the batch's pages lie in
 * @out_nr_loose: pages taken from fragmented memory outside whole pageblocks
 * @out_mmap_offset: offset to pass to mmap() to map the batch
 * @node: NUMA node to take the pages from (FRAGALLOC_ALLOC_NODE only):
 *	0..out_nr_node_ids - 1, online, with memory and in the calling task's
 *	cpuset (cpuset.mems), or -1 for the default
 * @__reserved2: must be 0
 *
 * Allocates a batch of zeroed order-0 pages. Errnos: ENOMEM, EDQUOT, ENOSPC,
 * EINTR, EOPNOTSUPP for FRAGALLOC_POLICY_MOVABLE without
 * FRAGALLOC_FEAT_MOVABLE, and EINVAL for a zero or too large @nr_pages, an
 * unknown @mobility or @policy, FRAGALLOC_ALLOC_STRICT with a policy other
 * than compact, a @node that is not -1 or an online node with memory, a
 * @node outside the calling task's cpuset (as set_mempolicy() refuses it),
 * a non-zero @node without FRAGALLOC_ALLOC_NODE, FRAGALLOC_ALLOC_THISNODE
 * without a @node >= 0, or a non-zero @__reserved or @__reserved2.
 * The members from @node on were added later (tail extension).
 */
struct fragalloc_alloc {
	__u32 size;
	__u32 flags;
	__u32 mobility;
	__u32 policy;
	__aligned_u64 nr_pages;
	__u32 out_handle;
	__u32 __reserved;
	__aligned_u64 out_nr_pages;
	__aligned_u64 out_nr_blocks;
	__aligned_u64 out_nr_loose;
	__aligned_u64 out_mmap_offset;
	__s32 node;
	__u32 __reserved2;
};

#define FRAGALLOC_IOC_ALLOC _IO(FRAGALLOC_TYPE, FRAGALLOC_CMD_ALLOC)

/*
 * FREE flags.
 * FRAGALLOC_FREE_RANGE: free only pages [first_page, first_page + nr_pages)
 *	of the batch, punching a hole; the batch keeps its handle and offset.
 *	Without it, the whole batch is freed and first_page/nr_pages must be 0.
 */
#define FRAGALLOC_FREE_RANGE		_BITUL(0)
#define FRAGALLOC_FREE_FLAGS_MASK	(FRAGALLOC_FREE_RANGE)

/**
 * struct fragalloc_free - ioctl(FRAGALLOC_IOC_FREE)
 * @size: sizeof(struct fragalloc_free)
 * @flags: FRAGALLOC_FREE_* bits
 * @handle: the batch
 * @__reserved: must be 0
 * @first_page: first page of the range (FRAGALLOC_FREE_RANGE only)
 * @nr_pages: pages in the range, at least 1 (FRAGALLOC_FREE_RANGE only)
 * @out_nr_freed: pages given back (pages of the range already punched are
 *	not counted)
 *
 * Frees a batch or a range of it. Mapped pages are first unmapped from every
 * process; later accesses to them through a mapping get SIGBUS. Errnos:
 * ENOENT; EINVAL for a range that is empty or runs past the batch's end.
 */
struct fragalloc_free {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
	__aligned_u64 first_page;
	__aligned_u64 nr_pages;
	__aligned_u64 out_nr_freed;
};

#define FRAGALLOC_IOC_FREE _IO(FRAGALLOC_TYPE, FRAGALLOC_CMD_FREE)

/*
 * BATCH_INFO flags.
 * FRAGALLOC_BATCH_INFO_PFNS: also write the page frame number of each page
 *	into the __u64 array at @pfns (at most @nr_pfns entries; entries past the
 *	batch's end are left alone). Callers without CAP_SYS_ADMIN get zeros, as
 *	with /proc/PID/pagemap. Punched pages read as FRAGALLOC_PFN_HOLE for
 *	every caller.
 * FRAGALLOC_BATCH_INFO_NODES: also write, for each NUMA node id, the number
 *	of the batch's present pages on that node into the __u64 array at
 *	@node_pages (index: node id; at most @nr_node_pages entries, entries
 *	from out_nr_node_ids on are left alone). Needs no privilege.
 */
#define FRAGALLOC_BATCH_INFO_PFNS	_BITUL(0)
#define FRAGALLOC_BATCH_INFO_NODES	_BITUL(1)
#define FRAGALLOC_BATCH_INFO_FLAGS_MASK \
	(FRAGALLOC_BATCH_INFO_PFNS | FRAGALLOC_BATCH_INFO_NODES)
#define FRAGALLOC_PFN_HOLE		(~0ULL)

/**
 * struct fragalloc_batch_info - ioctl(FRAGALLOC_IOC_BATCH_INFO)
 * @size: sizeof(struct fragalloc_batch_info)
 * @flags: FRAGALLOC_BATCH_INFO_* bits
 * @handle: the batch
 * @__reserved: must be 0
 * @pfns: user pointer to a __u64 array (FRAGALLOC_BATCH_INFO_PFNS only)
 * @nr_pfns: entries in @pfns (FRAGALLOC_BATCH_INFO_PFNS only)
 * @out_nr_pages: length of the batch in pages, holes included
 * @out_nr_present: pages not punched out
 * @out_nr_blocks: distinct pageblocks the present pages lie in
 * @out_nr_loose: present pages outside whole pool pageblocks
 * @out_mmap_offset: offset to pass to mmap()
 * @out_mobility: the batch's &enum fragalloc_mobility
 * @out_policy: the batch's &enum fragalloc_policy
 * @node_pages: user pointer to a __u64 array (FRAGALLOC_BATCH_INFO_NODES only)
 * @nr_node_pages: entries in @node_pages (FRAGALLOC_BATCH_INFO_NODES only)
 * @out_nr_nodes: distinct NUMA nodes the present pages lie on
 *
 * Errnos: ENOENT; ENOMEM when the kernel could not get the memory to count
 * pageblocks or nodes or to stage PFNs; EINVAL for @pfns or @nr_pfns
 * non-zero without FRAGALLOC_BATCH_INFO_PFNS, or @node_pages or
 * @nr_node_pages non-zero without FRAGALLOC_BATCH_INFO_NODES. The members
 * from @node_pages on were added later (tail extension).
 */
struct fragalloc_batch_info {
	__u32 size;
	__u32 flags;
	__u32 handle;
	__u32 __reserved;
	__aligned_u64 pfns;
	__aligned_u64 nr_pfns;
	__aligned_u64 out_nr_pages;
	__aligned_u64 out_nr_present;
	__aligned_u64 out_nr_blocks;
	__aligned_u64 out_nr_loose;
	__aligned_u64 out_mmap_offset;
	__u32 out_mobility;
	__u32 out_policy;
	__aligned_u64 node_pages;
	__u32 nr_node_pages;
	__u32 out_nr_nodes;
};

#define FRAGALLOC_IOC_BATCH_INFO _IO(FRAGALLOC_TYPE, FRAGALLOC_CMD_BATCH_INFO)

#define FRAGALLOC_FILL_BUCKETS 8

/*
 * STATS flags.
 * FRAGALLOC_STATS_NODE: the pool figures are those of NUMA node @node's pool
 *	only (the fd figures, @out_fd_batches and @out_fd_pages, stay the fd's
 *	totals). Without it, every pool figure is the sum over all nodes and
 *	@node must be 0; but @out_recompact_runs counts a recompaction once
 *	however many nodes it covered, while each node's counts the runs that
 *	worked on its pool (their sum may exceed the total).
 */
#define FRAGALLOC_STATS_NODE		_BITUL(0)
#define FRAGALLOC_STATS_FLAGS_MASK	(FRAGALLOC_STATS_NODE)

/**
 * struct fragalloc_stats - ioctl(FRAGALLOC_IOC_STATS)
 * @size: sizeof(struct fragalloc_stats)
 * @flags: FRAGALLOC_STATS_* bits
 * @out_blocks: pool pageblocks owned, per mobility class (the reserve of
 *	empty pageblocks is not included)
 * @out_pages_used: pool pages handed out from owned pageblocks, per class
 * @out_pages_free: free pages inside owned pageblocks, per class
 * @out_loose_pages: pages handed out from outside whole pageblocks, per class
 *	(not included in @out_pages_used)
 * @out_reserve_blocks: empty pageblocks kept for reuse (a shrinker drains
 *	them under memory pressure)
 * @out_fill_hist: owned pageblocks by fill level, in eighths (the last bucket
 *	holds full blocks)
 * @out_fallbacks: allocations that had to take loose pages
 * @out_blocks_acquired: pageblocks taken from the buddy allocator, ever
 * @out_blocks_released: pageblocks given back whole, ever
 * @out_other_pages: pages held by batches of non-compact policies
 * @out_recompact_runs: recompactions performed (dry runs excluded)
 * @out_recompact_moved: pages moved by recompaction, ever
 * @out_fd_batches: live batches of this fd
 * @out_fd_pages: pages held by this fd
 * @out_meta_bytes: memory used by the pool's own metadata
 * @out_auto_recompact_runs: recompactions started by the automatic mode
 *	(module parameter auto_recompact_pct)
 * @out_idle_pages: pages the pool owns but has not handed out: the free
 *	pages of its owned pageblocks plus its reserve (memory it sits on)
 * @out_reclaimable_pages: what the pool would give back under memory
 *	pressure now (its shrinker's count): the reserve and every free page
 *	of its pageblocks except those of each class's fullest partial block
 * @out_shrink_runs: shrinker calls that gave memory back, ever
 * @out_shrink_pages: pages the shrinker gave back to the buddy allocator,
 *	ever (whole pageblocks, and pages of split pageblocks)
 * @out_shrink_blocks_broken: pageblocks whose pages could not move and
 *	whose free pages the shrinker gave back one by one, ever (their
 *	remaining pages count in @out_loose_pages)
 * @out_auto_pages_released: pages the automatic mode's recompactions gave
 *	back in whole pageblocks, ever
 * @node: the NUMA node whose pool to report (FRAGALLOC_STATS_NODE only): an
 *	online node id
 * @__reserved: must be 0
 *
 * Pool-wide figures, plus this fd's. Errnos: the general ones, and EINVAL
 * for an unknown flag, a non-zero @__reserved, a @node that is not online,
 * or a non-zero @node without FRAGALLOC_STATS_NODE. The members from
 * @out_idle_pages on were added later (tail extension): a module that
 * predates them leaves them 0 for a caller's larger @size; one that
 * predates @node refuses a non-zero @node or flag with E2BIG or EINVAL.
 */
struct fragalloc_stats {
	__u32 size;
	__u32 flags;
	__aligned_u64 out_blocks[FRAGALLOC_NR_MOBILITY];
	__aligned_u64 out_pages_used[FRAGALLOC_NR_MOBILITY];
	__aligned_u64 out_pages_free[FRAGALLOC_NR_MOBILITY];
	__aligned_u64 out_loose_pages[FRAGALLOC_NR_MOBILITY];
	__aligned_u64 out_reserve_blocks;
	__aligned_u64 out_fill_hist[FRAGALLOC_FILL_BUCKETS];
	__aligned_u64 out_fallbacks;
	__aligned_u64 out_blocks_acquired;
	__aligned_u64 out_blocks_released;
	__aligned_u64 out_other_pages;
	__aligned_u64 out_recompact_runs;
	__aligned_u64 out_recompact_moved;
	__aligned_u64 out_fd_batches;
	__aligned_u64 out_fd_pages;
	__aligned_u64 out_meta_bytes;
	__aligned_u64 out_auto_recompact_runs;
	__aligned_u64 out_idle_pages;
	__aligned_u64 out_reclaimable_pages;
	__aligned_u64 out_shrink_runs;
	__aligned_u64 out_shrink_pages;
	__aligned_u64 out_shrink_blocks_broken;
	__aligned_u64 out_auto_pages_released;
	__s32 node;
	__u32 __reserved;
};

#define FRAGALLOC_IOC_STATS _IO(FRAGALLOC_TYPE, FRAGALLOC_CMD_STATS)

/**
 * enum fragalloc_scope - what a recompaction may move
 * @FRAGALLOC_SCOPE_BATCH: the pages of one batch (@handle)
 * @FRAGALLOC_SCOPE_FD: the pages of every batch of this fd
 * @FRAGALLOC_SCOPE_POOL: every pool page of every user (CAP_SYS_ADMIN)
 * @FRAGALLOC_NR_SCOPES: number of scopes
 */
enum fragalloc_scope {
	FRAGALLOC_SCOPE_BATCH = 0,
	FRAGALLOC_SCOPE_FD = 1,
	FRAGALLOC_SCOPE_POOL = 2,
	FRAGALLOC_NR_SCOPES = 3,
};

/*
 * RECOMPACT flags.
 * FRAGALLOC_RECOMPACT_DRY_RUN: plan only; report what would be moved and
 *	released, move nothing.
 */
#define FRAGALLOC_RECOMPACT_DRY_RUN	_BITUL(0)
#define FRAGALLOC_RECOMPACT_FLAGS_MASK	(FRAGALLOC_RECOMPACT_DRY_RUN)

/**
 * struct fragalloc_recompact - ioctl(FRAGALLOC_IOC_RECOMPACT)
 * @size: sizeof(struct fragalloc_recompact)
 * @flags: FRAGALLOC_RECOMPACT_* bits
 * @scope: an &enum fragalloc_scope value
 * @handle: the batch, with FRAGALLOC_SCOPE_BATCH; must be 0 otherwise
 * @max_pages: most pages to move (0: no cap)
 * @out_pages_planned: moves in the plan (after the cap)
 * @out_pages_moved: pages actually moved (0 on a dry run)
 * @out_bytes_copied: bytes copied
 * @out_blocks_released: pageblocks emptied and given back to the buddy
 *	allocator (predicted, on a dry run)
 * @out_blocks_before: pool pageblocks owned before (all classes, whatever the
 *	scope)
 * @out_blocks_after: pool pageblocks owned after (predicted, on a dry run)
 *
 * Migrates live pages into the fullest pageblocks of their class, keeping
 * their contents and every user mapping valid, and gives the pageblocks it
 * empties back to the buddy allocator (not to the reserve). The plan is the
 * fewest moves that leave at most one partial pageblock per class; pages
 * outside the scope stay put and keep their pageblocks. With @max_pages the
 * plan is cut to its first @max_pages moves, taken from the emptiest
 * pageblocks first, so repeated capped runs converge to the full plan.
 * Errnos: ENOENT, EPERM, EINTR, ENOMEM, and
 * EINVAL for an unknown @scope or a non-zero @handle outside
 * FRAGALLOC_SCOPE_BATCH.
 */
struct fragalloc_recompact {
	__u32 size;
	__u32 flags;
	__u32 scope;
	__u32 handle;
	__aligned_u64 max_pages;
	__aligned_u64 out_pages_planned;
	__aligned_u64 out_pages_moved;
	__aligned_u64 out_bytes_copied;
	__aligned_u64 out_blocks_released;
	__aligned_u64 out_blocks_before;
	__aligned_u64 out_blocks_after;
};

#define FRAGALLOC_IOC_RECOMPACT _IO(FRAGALLOC_TYPE, FRAGALLOC_CMD_RECOMPACT)

#endif /* _UAPI_LINUX_FRAGALLOC_H */
