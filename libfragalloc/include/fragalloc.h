/* SPDX-License-Identifier: MIT */
/*
 * libfragalloc: userspace library for /dev/fragalloc and for the kernel's
 * fragmentation tables (/proc/buddyinfo, /proc/pagetypeinfo).
 *
 * Conventions:
 *  - Every function returning int returns 0 (or a non-negative count) on
 *    success and a negative errno value on failure. errno is not part of the
 *    interface (it may be clobbered).
 *  - A struct fragalloc handle is not thread-safe; use one per thread or
 *    lock around calls.
 *
 * Copyright (C) 2026 The fragalloc authors
 */
#ifndef FRAGALLOC_H
#define FRAGALLOC_H

#include <stddef.h>
#include <stdint.h>
#include <linux/fragalloc.h>
#include <linux/fragalloc_netlink.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FRAGALLOC_DEFAULT_PATH	"/dev/fragalloc"

/*
 * FRAGALLOC_LIB_VERSION_{MAJOR,MINOR,PATCH} and FRAGALLOC_LIB_VERSION (the
 * string), generated from VERSION in the top-level Makefile.
 */
#include "fragalloc_version.h"

/* Library version string, FRAGALLOC_LIB_VERSION of the library's build. */
const char *fragalloc_version(void);

/* ------------------------------------------------------------------------
 * Device handle
 */
struct fragalloc;

/*
 * Opens @path (NULL: FRAGALLOC_DEFAULT_PATH) read-write, close-on-exec, and
 * checks that it is a fragalloc device (FRAGALLOC_IOC_INFO). Errors: the
 * open(2) errno (ENOENT/ENODEV: module not loaded; EACCES: permission),
 * ENOTTY (not a fragalloc device), ENOMEM.
 */
int fragalloc_open(const char *path, struct fragalloc **out);
/* Closes the fd: every batch of the handle is freed by the kernel. */
void fragalloc_close(struct fragalloc *h);
int fragalloc_fd(const struct fragalloc *h);
/* Cached at open time from FRAGALLOC_IOC_INFO. */
uint32_t fragalloc_page_size(const struct fragalloc *h);
uint32_t fragalloc_pageblock_order(const struct fragalloc *h);

/* FRAGALLOC_IOC_INFO. */
int fragalloc_info(struct fragalloc *h, struct fragalloc_info *out);

/* A batch as returned by fragalloc_alloc(). */
struct fragalloc_batch {
	uint32_t handle;	/* valid on this handle's fd only */
	uint32_t mobility;	/* enum fragalloc_mobility */
	uint32_t policy;	/* enum fragalloc_policy */
	uint32_t flags;		/* FRAGALLOC_ALLOC_* used */
	uint64_t nr_pages;	/* pages allocated */
	uint64_t nr_blocks;	/* distinct pageblocks */
	uint64_t nr_loose;	/* pages outside whole pageblocks */
	uint64_t mmap_offset;	/* for mmap() / fragalloc_map() */
};

/*
 * Allocates @nr_pages zeroed order-0 pages. @flags: FRAGALLOC_ALLOC_*.
 * Errors: EINVAL, ENOMEM, EDQUOT, ENOSPC, EINTR, EOPNOTSUPP (see
 * fragalloc_strerror()).
 */
int fragalloc_alloc(struct fragalloc *h, uint64_t nr_pages,
		    enum fragalloc_mobility mobility,
		    enum fragalloc_policy policy, uint32_t flags,
		    struct fragalloc_batch *out);
/* Frees a whole batch. Errors: ENOENT. */
int fragalloc_free(struct fragalloc *h, uint32_t handle);
/*
 * Frees pages [first_page, first_page + nr_pages) of a batch. @nr_freed
 * (may be NULL) receives the pages actually given back. Errors: ENOENT,
 * EINVAL.
 */
int fragalloc_free_range(struct fragalloc *h, uint32_t handle,
			 uint64_t first_page, uint64_t nr_pages,
			 uint64_t *nr_freed);

/*
 * Maps pages [first_page, first_page + nr_pages) of @batch shared,
 * read-write. @nr_pages 0 means "to the end of the batch".
 * Errors: EINVAL, ENXIO, ENOMEM, and the other mmap(2) errnos.
 */
int fragalloc_map(struct fragalloc *h, const struct fragalloc_batch *batch,
		  uint64_t first_page, uint64_t nr_pages, void **addr);
/* Unmaps @nr_pages pages at @addr (as returned by fragalloc_map()). */
int fragalloc_unmap(struct fragalloc *h, void *addr, uint64_t nr_pages);

/* State of a batch, from FRAGALLOC_IOC_BATCH_INFO. */
struct fragalloc_batch_status {
	uint32_t handle;
	uint32_t mobility;
	uint32_t policy;
	uint32_t __pad;
	uint64_t nr_pages;	/* length, holes included */
	uint64_t nr_present;	/* pages not punched out */
	uint64_t nr_blocks;
	uint64_t nr_loose;
	uint64_t mmap_offset;
};

/*
 * @pfns (may be NULL, then @nr_pfns must be 0) receives up to @nr_pfns page
 * frame numbers (zeros without CAP_SYS_ADMIN, FRAGALLOC_PFN_HOLE for punched
 * pages). Errors: ENOENT, EINVAL.
 */
int fragalloc_batch_info(struct fragalloc *h, uint32_t handle,
			 struct fragalloc_batch_status *out,
			 uint64_t *pfns, size_t nr_pfns);

/* FRAGALLOC_IOC_STATS. */
int fragalloc_stats(struct fragalloc *h, struct fragalloc_stats *out);

/*
 * FRAGALLOC_IOC_RECOMPACT. @scope: enum fragalloc_scope; @handle only with
 * FRAGALLOC_SCOPE_BATCH; @max_pages 0 = no cap; @flags FRAGALLOC_RECOMPACT_*.
 * @out may be NULL. Errors: ENOENT, EPERM, EINTR, ENOMEM, EINVAL.
 */
int fragalloc_recompact(struct fragalloc *h, enum fragalloc_scope scope,
			uint32_t handle, uint64_t max_pages, uint32_t flags,
			struct fragalloc_recompact *out);

/* ------------------------------------------------------------------------
 * Names
 */
/* "unmovable", "reclaimable", "movable"; NULL if out of range. */
const char *fragalloc_mobility_name(unsigned int mobility);
/* "compact", "plain", "bulk", "highorder", "movable"; NULL if out of range. */
const char *fragalloc_policy_name(unsigned int policy);
/* "batch", "fd", "pool"; NULL if out of range. */
const char *fragalloc_scope_name(unsigned int scope);
/* Parse a name (case-insensitive, unambiguous prefix). -EINVAL if unknown. */
int fragalloc_mobility_parse(const char *name);
int fragalloc_policy_parse(const char *name);
int fragalloc_scope_parse(const char *name);

/* ------------------------------------------------------------------------
 * Errors
 */
/*
 * Explains an error of this library (@err positive or negative) in
 * fragalloc's terms, e.g. ENOENT -> unknown handle for this fd. Falls back to
 * strerror() text for other values. Never NULL; the string is static.
 */
const char *fragalloc_strerror(int err);
/* Same, for an error returned by fragalloc_open(). */
const char *fragalloc_open_strerror(int err);
/*
 * One-line advice on how to fix @err (e.g. "is the module loaded?
 * (modprobe fragalloc)"), or NULL when there is none. @on_open selects the
 * meaning for errors of fragalloc_open().
 */
const char *fragalloc_hint(int err, int on_open);

/* ------------------------------------------------------------------------
 * Fragmentation metrics from /proc/buddyinfo and /proc/pagetypeinfo
 *
 * They work without the module. Indices are returned as the kernel's
 * integer thousandths (value 1000 means 1.000), computed exactly as
 * mm/vmstat.c does for /sys/kernel/debug/extfrag/{unusable_index,
 * extfrag_index}.
 */
#define FRAGALLOC_FRAG_MAX_ORDERS	32
#define FRAGALLOC_FRAG_MAX_TYPES	12
#define FRAGALLOC_FRAG_NAME_LEN		32
/* extfrag_index value meaning "an allocation of this order would succeed" */
#define FRAGALLOC_FRAG_INDEX_SUCCEEDS	(-1000)

struct fragalloc_frag_zone {
	int node;
	char name[FRAGALLOC_FRAG_NAME_LEN];	/* "DMA", "DMA32", "Normal"... */
	unsigned int nr_orders;			/* columns in /proc/buddyinfo */
	uint64_t free_blocks[FRAGALLOC_FRAG_MAX_ORDERS];  /* per order */
	uint64_t free_pages;		/* sum of free_blocks[o] << o */
	uint64_t free_blocks_total;	/* sum of free_blocks[o] */
	/*
	 * Unusable free space index per order, thousandths, 0..1000: share of
	 * free memory in blocks smaller than the order.
	 */
	int unusable_index[FRAGALLOC_FRAG_MAX_ORDERS];
	/*
	 * Fragmentation index per order, thousandths: -1000 when a block of
	 * that order is free (allocation would succeed); else towards 0 means
	 * failure from lack of memory, towards 1000 from fragmentation.
	 */
	int extfrag_index[FRAGALLOC_FRAG_MAX_ORDERS];
	/* From /proc/pagetypeinfo (only when the report's has_pagetypeinfo). */
	int has_types;
	/* free blocks per type (index into the report's type_names) and order */
	uint64_t type_free[FRAGALLOC_FRAG_MAX_TYPES][FRAGALLOC_FRAG_MAX_ORDERS];
	/* bit o set: the kernel capped type_free[t][o] (printed ">100000") */
	uint64_t type_free_capped[FRAGALLOC_FRAG_MAX_TYPES];
	int has_blocks;
	uint64_t type_blocks[FRAGALLOC_FRAG_MAX_TYPES];	/* pageblocks per type */
};

struct fragalloc_frag_report {
	unsigned int nr_zones;
	struct fragalloc_frag_zone *zones;
	unsigned int max_orders;	/* largest nr_orders of any zone */
	/* pagetypeinfo part; 0/negative errno if it could not be read */
	int has_pagetypeinfo;
	int pagetypeinfo_error;		/* e.g. -EACCES when not root */
	int pageblock_order;		/* -1 if unknown */
	uint64_t pages_per_block;	/* 0 if unknown */
	unsigned int nr_types;
	/* migratetype names as the kernel prints them ("Unmovable", ...) */
	char type_names[FRAGALLOC_FRAG_MAX_TYPES][FRAGALLOC_FRAG_NAME_LEN];
};

/*
 * Reads and parses the tables. @buddyinfo_path NULL: /proc/buddyinfo.
 * @pagetypeinfo_path NULL: /proc/pagetypeinfo; "" skips it. An unreadable
 * pagetypeinfo (EACCES/ENOENT) is not an error: the report has
 * has_pagetypeinfo 0 and pagetypeinfo_error set. Errors: the open/read
 * errno of buddyinfo, EBADMSG (malformed or truncated content), ERANGE
 * (more orders or types than the report holds), EFBIG, ENOMEM.
 */
int fragalloc_frag_read(const char *buddyinfo_path,
			const char *pagetypeinfo_path,
			struct fragalloc_frag_report **out);
/* Same, from in-memory text (@pagetypeinfo may be NULL). */
int fragalloc_frag_parse(const char *buddyinfo, size_t buddyinfo_len,
			 const char *pagetypeinfo, size_t pagetypeinfo_len,
			 struct fragalloc_frag_report **out);
void fragalloc_frag_free(struct fragalloc_frag_report *r);

/* Free blocks of order >= @order in @z (counted as blocks, any size). */
uint64_t fragalloc_frag_free_blocks_ge(const struct fragalloc_frag_zone *z,
				       unsigned int order);
/* Free pages that lie in blocks of order >= @order. */
uint64_t fragalloc_frag_free_pages_ge(const struct fragalloc_frag_zone *z,
				      unsigned int order);
/* Index of a migratetype name in @r->type_names, or -ENOENT. */
int fragalloc_frag_type_index(const struct fragalloc_frag_report *r,
			      const char *name);
/* The kernel's formulas, exposed for tests (thousandths). */
int fragalloc_frag_unusable_index(const uint64_t *free_blocks,
				  unsigned int nr_orders, unsigned int order);
int fragalloc_frag_extfrag_index(const uint64_t *free_blocks,
				 unsigned int nr_orders, unsigned int order);

/* ------------------------------------------------------------------------
 * Pageblock pollution from /proc/kpageflags (root only)
 *
 * Every pageblock is classified by what its pages hold: free (every page in
 * the buddy allocator), movable (LRU and free pages only), or polluted (at
 * least one allocated page that is neither LRU nor free: slab, page tables,
 * driver pages, reserved memory, ...). Pages on the per-CPU free lists are
 * not PageBuddy and count as allocated; compare pages_free with
 * buddyinfo_free_pages. See fragalloc_blocks(3).
 */
enum fragalloc_block_class {
	FRAGALLOC_BLOCK_ABSENT,		/* no page: a hole in physical memory */
	FRAGALLOC_BLOCK_FREE,
	FRAGALLOC_BLOCK_MOVABLE,
	FRAGALLOC_BLOCK_POLLUTED,
	FRAGALLOC_BLOCK_POOL,		/* map only: owned whole by the pool */
	FRAGALLOC_BLOCK_LOOSE,		/* map only: holds loose pool pages */
	FRAGALLOC_BLOCK_NR_CLASSES
};

struct fragalloc_blocks_opts {
	/* NULL: the /proc (or debugfs) default; "": do not read it */
	const char *kpageflags_path;	/* /proc/kpageflags ("" not allowed) */
	const char *zoneinfo_path;	/* /proc/zoneinfo */
	const char *buddyinfo_path;	/* /proc/buddyinfo */
	const char *pagetypeinfo_path;	/* /proc/pagetypeinfo */
	const char *pool_path;		/* /sys/kernel/debug/fragalloc/pageblocks */
	/* 0: from /proc/pagetypeinfo ("Page block order:") */
	unsigned int pageblock_order;
	/*
	 * The caller's own pages, e.g. the PFNs of its batches from
	 * fragalloc_batch_info(); 0 and FRAGALLOC_PFN_HOLE are skipped,
	 * duplicates count once.
	 */
	const uint64_t *own_pfns;
	size_t nr_own_pfns;
};

struct fragalloc_blocks_zone {
	int node;
	char name[FRAGALLOC_FRAG_NAME_LEN];
	uint64_t start_pfn, end_pfn;	/* spanned PFNs [start, end) */
	/* blocks whose first page lies in the zone, by class */
	uint64_t blocks[FRAGALLOC_BLOCK_NR_CLASSES];	/* ABSENT..POLLUTED */
	uint64_t map_blocks[FRAGALLOC_BLOCK_NR_CLASSES];	/* as in map[] */
	uint64_t polluted_own, polluted_own_only;	/* as in the report */
	uint64_t first_block, last_block;	/* lowest, highest block index */
	int zone_index;			/* in the buddyinfo report, or -1 */
	uint64_t buddyinfo_free_pages;	/* from /proc/buddyinfo */
	int has_types;			/* type_blocks from /proc/pagetypeinfo */
	uint64_t type_blocks[FRAGALLOC_FRAG_MAX_TYPES];	/* by type_names */
};

struct fragalloc_blocks_report {
	unsigned int pageblock_order;
	uint64_t pages_per_block;
	uint64_t nr_pfns;		/* PFNs read, 0 .. nr_pfns - 1 */
	uint64_t nr_blocks;		/* entries of the per-block arrays */
	/* per block (index = PFN >> pageblock_order) */
	uint8_t *block_class;		/* ABSENT, FREE, MOVABLE or POLLUTED */
	uint8_t *map;			/* block_class, or POOL / LOOSE */
	uint32_t *own;			/* the caller's pages in the block */
	int16_t *zone;			/* index into zones[], -1: none */
	/* totals */
	uint64_t blocks[FRAGALLOC_BLOCK_NR_CLASSES];	/* of block_class[] */
	uint64_t map_blocks[FRAGALLOC_BLOCK_NR_CLASSES];	/* of map[] */
	uint64_t memory_blocks;		/* blocks that are not ABSENT */
	int polluted_share;		/* thousandths of memory_blocks */
	uint64_t pages_free, pages_lru, pages_other;
	/* the caller's part */
	uint64_t own_pages;		/* distinct own PFNs given */
	uint64_t own_pages_found;	/* ... of them within nr_pfns */
	uint64_t own_blocks;		/* blocks holding own pages */
	uint64_t polluted_own;		/* polluted blocks holding own pages */
	uint64_t polluted_own_only;	/* ... polluted by own pages only */
	/* sources; *_error: 0 or the negative errno that left them out */
	int has_zoneinfo, zoneinfo_error;
	int has_buddyinfo, buddyinfo_error;
	int has_pagetypeinfo, pagetypeinfo_error;
	int has_pool, pool_error;
	uint64_t buddyinfo_free_pages;
	uint64_t pool_owned, pool_loose;	/* pool pageblocks by state */
	unsigned int nr_types;
	char type_names[FRAGALLOC_FRAG_MAX_TYPES][FRAGALLOC_FRAG_NAME_LEN];
	unsigned int nr_zones;		/* zones with a non-empty span */
	struct fragalloc_blocks_zone *zones;
};

/*
 * Reads /proc/kpageflags and the tables of @opts (NULL: all defaults) and
 * classifies every pageblock. Errors: the open errno of kpageflags (EACCES or
 * EPERM: not root), ENODATA (pageblock order unknown: pagetypeinfo
 * unreadable and opts->pageblock_order 0), EINVAL, EBADMSG (malformed
 * kpageflags, zoneinfo or pool list), EFBIG, ENOMEM. The other tables are
 * optional: when one cannot be read, its has_* is 0 and *_error says why.
 */
int fragalloc_blocks_read(const struct fragalloc_blocks_opts *opts,
			  struct fragalloc_blocks_report **out);
void fragalloc_blocks_free(struct fragalloc_blocks_report *r);
/* "absent", "free", "movable", "polluted", "pool", "loose"; NULL if out of range */
const char *fragalloc_block_class_name(unsigned int cls);

/* ------------------------------------------------------------------------
 * Live events and pool figures over generic netlink (since FRAGALLOC_1.2)
 *
 * The module registers the generic netlink family FRAGALLOC_GENL_NAME
 * while it is loaded (see linux/fragalloc_netlink.h). A monitor subscribes
 * to its multicast group of coalesced events; fragalloc_nl_stats() asks for
 * the pool-wide figures. Neither needs a privilege. A library built without
 * libnl-genl-3 has the same functions: the socket ones return -EOPNOTSUPP,
 * the parsers work. See fragalloc_monitor(3).
 */

/*
 * One EVENT message: @count events of @kind (enum fragalloc_nl_event)
 * since the previous message of that kind, and their sums. Which sums a
 * kind carries is in enum fragalloc_nl_event; @attrs has bit (1ULL << A)
 * set for every attribute A (enum fragalloc_nl_attr) the message carried,
 * so that a zero sum and an absent one can be told apart.
 */
struct fragalloc_event {
	uint32_t kind;		/* enum fragalloc_nl_event */
	uint32_t limit;		/* LIMIT_HIT: enum fragalloc_nl_limit (latest) */
	uint32_t error;		/* LIMIT_HIT: positive errno (latest) */
	uint32_t __pad;
	uint64_t attrs;		/* 1ULL << FRAGALLOC_NL_A_*: present */
	uint64_t count;		/* events coalesced into this message */
	uint64_t time_ns;	/* CLOCK_MONOTONIC of the latest one */
	uint64_t pages;
	uint64_t blocks;
	uint64_t loose;
	uint64_t planned;
	uint64_t moved;
	uint64_t asked;
	uint64_t duration_ns;
	uint64_t __reserved[5];	/* zero: room for later attributes */
};

/* A mobility class in a GET_STATS reply (FRAGALLOC_NL_A_CLASS nest). */
struct fragalloc_nl_class {
	uint64_t blocks;	/* pageblocks owned by the class */
	uint64_t used;		/* pages handed out from owned pageblocks */
	uint64_t free;		/* free pages inside owned pageblocks */
	uint64_t loose;		/* pages handed out outside whole blocks */
};

/* A GET_STATS reply; the fields are the FRAGALLOC_NL_A_STATS_* ones. */
struct fragalloc_nl_stats {
	uint64_t attrs;		/* 1ULL << FRAGALLOC_NL_A_*: present */
	uint32_t class_mask;	/* bit m: classes[m] was in the reply */
	uint32_t __pad;
	struct fragalloc_nl_class classes[FRAGALLOC_NR_MOBILITY];
	uint64_t reserve_blocks;
	uint64_t fallbacks;
	uint64_t blocks_acquired;
	uint64_t blocks_released;
	uint64_t other_pages;
	uint64_t recompact_runs;
	uint64_t recompact_moved;
	uint64_t meta_bytes;
	uint64_t auto_runs;
	uint64_t idle_pages;
	uint64_t reclaimable_pages;
	uint64_t shrink_runs;
	uint64_t shrink_pages;
	uint64_t shrink_blocks_broken;
	uint64_t auto_pages_released;
	uint64_t __reserved[8];	/* zero: room for later attributes */
};

struct fragalloc_monitor;

/*
 * Opens a netlink socket subscribed to the family's events group. Errors:
 * ENOENT (no family FRAGALLOC_GENL_NAME or no events group: the module is
 * not loaded, or too old to have them), EOPNOTSUPP (the library was built
 * without libnl), EPROTONOSUPPORT (no generic netlink in this kernel:
 * no CONFIG_NET or CONFIG_NETLINK),
 * ENOMEM, and the socket errnos (EACCES, EPERM...).
 */
int fragalloc_monitor_open(struct fragalloc_monitor **out);
/*
 * Waits up to @timeout_ms (-1: no limit, 0: do not wait) for the next
 * event. Returns 1 with *@ev filled, 0 on timeout, or: -EINTR (a signal
 * arrived: check your flag and call again), -ENOBUFS (the kernel dropped
 * messages because they were not read fast enough; the next ones arrive
 * normally), -ENODEV (the module was unloaded: the family is gone; every
 * later call says so too), -EBADMSG (a malformed message, skipped).
 */
int fragalloc_monitor_next(struct fragalloc_monitor *m, int timeout_ms,
			   struct fragalloc_event *ev);
/* The socket, for poll(2) (POLLIN: call fragalloc_monitor_next(m, 0, ...)). */
int fragalloc_monitor_fd(const struct fragalloc_monitor *m);
void fragalloc_monitor_close(struct fragalloc_monitor *m);

/*
 * FRAGALLOC_NL_CMD_GET_STATS. @class_id -1: every class; else only that
 * one (enum fragalloc_mobility). Errors: ENOENT (no family), EOPNOTSUPP (no
 * libnl), ERANGE (@class_id not a class), ETIMEDOUT (no reply in 5 s),
 * EBADMSG (malformed reply), and the kernel's errno.
 */
int fragalloc_nl_stats(int class_id, struct fragalloc_nl_stats *out);

/*
 * Parses one netlink message (nlmsghdr, genlmsghdr, attributes) as the
 * kernel multicasts it; works without libnl. Unknown attributes (a newer
 * kernel) and FRAGALLOC_NL_A_PAD are skipped. Errors: EBADMSG (truncated,
 * an attribute overrunning the message or of the wrong size, KIND or
 * COUNT missing), ENOMSG (not an EVENT message: another command, nlctrl,
 * a netlink control message), EINVAL (NULL). It cannot know the family's
 * id (nlmsg_type) the kernel gave "fragalloc": a caller reading a socket
 * that carries other generic netlink families must check nlmsg_type
 * itself (fragalloc_monitor_next() does).
 */
int fragalloc_event_parse(const void *buf, size_t len,
			  struct fragalloc_event *ev);
/* "alloc", "free", "block_acquire", ...; NULL if unknown (a newer kernel). */
const char *fragalloc_event_kind_name(unsigned int kind);
/* "max_batch_pages", "max_fd_pages", "max_total_pages", "memlock"; NULL if unknown. */
const char *fragalloc_event_limit_name(unsigned int limit);

#ifdef __cplusplus
}
#endif

#endif /* FRAGALLOC_H */
