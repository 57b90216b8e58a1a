/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fragalloc: shared declarations of the kernel glue.
 *
 * Locking, outermost first:
 *   fa_dev.recompact_lock	one recompaction at a time
 *   fa_dev.files_lock	the list of open files
 *   fa_file.lock		a file's batches and their page arrays
 *				(read: page faults, lookups; write: changes)
 *   fa_dev.pool_lock	the portable core (not thread-safe itself)
 * mmap_lock is taken before fa_file.lock (fault, mmap), so nothing may take
 * mmap_lock (account_locked_vm does) while holding fa_file.lock.
 */
#ifndef _FRAGALLOC_FA_H
#define _FRAGALLOC_FA_H

#include <linux/fs.h>
#include <linux/list.h>
#include <linux/maple_tree.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/fragalloc.h>

#include "core.h"

struct dentry;
struct fragalloc_client;
struct shrinker;

/**
 * struct fa_device - module-wide state
 * @pool_lock: serialises calls into @pool
 * @pool: the compact pool (portable core)
 * @recompact_lock: one recompaction at a time
 * @files_lock: protects @files
 * @files: every open &struct fa_file
 * @total_pages: pages held by all batches of every policy
 * @other_pages: pages held by batches of non-compact policies
 * @next_pgoff: mmap offset (in pages) of the next batch, never reused
 * @recompact_runs: recompactions performed
 * @recompact_moved: pages moved by recompaction
 * @auto_runs: recompactions started by the automatic mode
 * @auto_work: the automatic mode's work item
 * @auto_last: jiffies of the last automatic recompaction
 * @trim_work: gives back empty pageblocks beyond reserve_blocks once they
 *	have waited release_delay_ms
 * @shrinker: drains the pool's reserve of empty pageblocks
 * @debugfs: debugfs directory
 */
struct fa_device {
	struct mutex pool_lock;		/* the core is not thread-safe */
	struct fa_pool *pool;
	struct mutex recompact_lock;	/* one recompaction at a time */
	struct mutex files_lock;	/* protects files */
	struct list_head files;
	atomic_long_t total_pages;
	atomic_long_t other_pages;
	atomic64_t next_pgoff;
	u64 recompact_runs;
	u64 recompact_moved;
	u64 auto_runs;
	struct delayed_work auto_work;
	unsigned long auto_last;
	struct delayed_work trim_work;
	struct shrinker *shrinker;
	struct dentry *debugfs;
};

extern struct fa_device fa_dev;

/* Module parameters (main.c). */
extern unsigned long fa_max_batch_pages;
extern unsigned long fa_max_fd_pages;
extern unsigned long fa_max_total_pages;
extern unsigned int fa_reserve_blocks;
extern unsigned int fa_release_delay_ms;
extern unsigned int fa_auto_recompact_pct;
extern unsigned int fa_auto_recompact_interval_ms;

/**
 * struct fa_file - one open file description of /dev/fragalloc
 * @lock: protects @batches, @offsets and the batches' page arrays
 * @batches: handle -> &struct fa_batch
 * @offsets: mmap page offset range -> &struct fa_batch
 * @next_handle: cursor for cyclic handle allocation
 * @nr_pages: pages held by this file's batches
 * @nr_batches: live batches
 * @mapping: the address space every mapping of this file lives in
 * @node: entry in &fa_device.files
 */
struct fa_file {
	struct rw_semaphore lock;
	struct xarray batches;
	struct maple_tree offsets;
	u32 next_handle;
	atomic_long_t nr_pages;
	unsigned long nr_batches;
	struct address_space *mapping;
	struct list_head node;
};

/**
 * struct fa_batch - a batch of order-0 pages
 * @handle: the batch's handle in its file
 * @mobility: &enum fragalloc_mobility
 * @policy: &enum fragalloc_policy
 * @pgoff: first mmap page offset
 * @nr_pages: length in pages, holes included
 * @nr_present: pages not punched out
 * @pages: the pages; NULL marks a hole
 * @mm: the mm charged for the pages (RLIMIT_MEMLOCK), or NULL
 *
 * Pool pages of a batch carry their file in page->private and
 * (handle << 32 | index) in page->index, so a recompaction can tell whose a
 * page is without following a pointer that may be going away.
 */
struct fa_batch {
	u32 handle;
	u8 mobility;
	u8 policy;
	unsigned long pgoff;
	unsigned long nr_pages;
	unsigned long nr_present;
	struct page **pages;
	struct mm_struct *mm;
};

/* source.c: where pages come from and go back to. */
int fa_source_init(void);
void fa_source_exit(void);
int fa_pages_alloc(unsigned int policy, unsigned int mobility,
		   unsigned int flags, unsigned long nr, struct page **pages,
		   unsigned long *nr_done);
void fa_pages_free(unsigned int policy, struct page **pages,
		   unsigned long nr);
void fa_reserve_kick(void);
void fa_reserve_apply(void);
int fa_pages_count_blocks(struct page **pages, unsigned long nr,
			  u64 *nr_blocks, u64 *nr_loose);

/* mmap.c */
int fa_mmap(struct file *file, struct vm_area_struct *vma);
void fa_zap_range(struct fa_file *ff, unsigned long pgoff,
		  unsigned long nr_pages);

/* Internal scope beyond &enum fragalloc_scope: one in-kernel client. */
#define FA_SCOPE_CLIENT	FRAGALLOC_NR_SCOPES

/**
 * struct fa_scope - the pages a recompaction may move
 * @kind: &enum fragalloc_scope, or FA_SCOPE_CLIENT
 * @ff: the file (FRAGALLOC_SCOPE_BATCH, FRAGALLOC_SCOPE_FD)
 * @handle: the batch (FRAGALLOC_SCOPE_BATCH)
 * @client: the in-kernel client (FA_SCOPE_CLIENT)
 */
struct fa_scope {
	unsigned int kind;
	struct fa_file *ff;
	u32 handle;
	struct fragalloc_client *client;
};

/*
 * page->private of a pool page: 0 (not movable), a &struct fa_file pointer,
 * or a &struct fragalloc_client pointer with FA_TAG_CLIENT set.
 */
#define FA_TAG_CLIENT	1UL

/* mover.c */
int fa_recompact(const struct fa_scope *scope, u64 max_pages, bool dry_run,
		 struct fragalloc_recompact *out);
void fa_page_tag(struct page *page, struct fa_file *ff, u32 handle,
		 unsigned long idx);
void fa_auto_recompact_init(void);
void fa_auto_recompact_kick(void);
void fa_auto_recompact_exit(void);

/* kapi.c */
void fa_fill_pool_stats(struct fragalloc_stats *st);

/* chardev.c */
int fa_chardev_init(void);
void fa_chardev_exit(void);

/* debugfs.c */
void fa_debugfs_init(void);
void fa_debugfs_exit(void);

#endif /* _FRAGALLOC_FA_H */
