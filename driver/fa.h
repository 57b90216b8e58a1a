/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fragalloc: shared declarations of the kernel glue.
 *
 * Locking, outermost first:
 *   fa_dev.reclaim_lock	one shrinker recompaction at a time (tried, as
 *				every lock in reclaim)
 *   fa_dev.recompact_lock	one recompaction at a time
 *   fa_dev.files_lock	the owners: open files (list and id registry)
 *				and in-kernel clients
 *   fa_file.lock		a file's batches and their page arrays
 *				(read: page faults, lookups; write: changes)
 *   fragalloc_client.lock	a client's page registry, and its move()
 *   fa_dev.pool_lock	the portable core (not thread-safe itself):
 *				every node's pool, and the owner tags of pool
 *				pages
 * mmap_lock is taken before fa_file.lock (fault, mmap), so nothing may take
 * mmap_lock while holding fa_file.lock.
 */
#ifndef _FRAGALLOC_FA_H
#define _FRAGALLOC_FA_H

#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/rwsem.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/fragalloc.h>

#include "core.h"

#if BITS_PER_LONG != 64
#error "fragalloc needs a 64-bit kernel: page tags pack a 32-bit handle and index into page->index"
#endif
/*
 * fragalloc charges locked memory to user->locked_vm, which
 * <linux/sched/user.h> has only under this condition (every distribution
 * kernel has CONFIG_NET).
 */
#if !(defined(CONFIG_NET) || defined(CONFIG_IO_URING) || \
	defined(CONFIG_VFIO_PCI_ZDEV_KVM) || IS_ENABLED(CONFIG_IOMMUFD) || \
	defined(CONFIG_SECRETMEM))
#error "fragalloc needs user->locked_vm: enable CONFIG_NET or CONFIG_IO_URING"
#endif

struct dentry;
struct fragalloc_client;
struct shrinker;
struct user_struct;

/**
 * struct fa_node - one NUMA node's pool, and the figures STATS reports for it
 * @pool: the node's compact pool: its pageblocks all lie on the node (the
 *	source allocates with __GFP_THISNODE); NULL for a node without memory
 *	at load, until an allocation wants it (pool_lock)
 * @nid: the node id
 * @hard_fail: jiffies of the node's last whole-pageblock allocation that
 *	failed trying hard
 * @light: the pool asks the buddy allocator without direct reclaim or a
 *	hard retry: the first pass of an ALLOC that may fall back, which looks
 *	for free pageblocks on every allowed node before reclaiming one
 *	(pool_lock)
 * @shrink_last: the shrinker's last count for the node
 * @shrink_when: jiffies of the shrinker's last scan of the node: the
 *	zeroer keeps off the node's blocks while reclaim runs there
 * @run_reserve: the reserve a recompaction found (recompact_lock)
 * @run_released: blocks ever released when that recompaction began
 * @recompact_runs: recompactions that worked on the node's pool
 * @recompact_moved: pages they moved (within the node)
 * @auto_runs: those started by the automatic mode
 * @auto_pages: pages those gave back to the buddy allocator
 * @shrink_runs: shrinker scans of the node that gave memory back
 * @shrink_pages: pages the shrinker gave back (reserve, recompaction and
 *	broken pageblocks)
 * @shrink_broken: pageblocks the shrinker split up, their free pages given
 *	back one by one
 * @other_pages: pages on the node held by batches of the policies that are
 *	not &fa_policy.pooled
 *
 * The pool figures are pool_lock's, the atomics are not.
 */
struct fa_node {
	struct fa_pool *pool;
	int nid;
	unsigned long hard_fail;
	bool light;
	unsigned long shrink_last;
	unsigned long shrink_when;
	unsigned long run_reserve;
	u64 run_released;
	u64 recompact_runs;
	u64 recompact_moved;
	u64 auto_runs;
	u64 auto_pages;
	atomic64_t shrink_runs;
	atomic64_t shrink_pages;
	atomic64_t shrink_broken;
	atomic_long_t other_pages;
};

/**
 * struct fa_device - module-wide state
 * @pool_lock: serialises calls into the pools of @nodes
 * @nodes: one entry per NUMA node id (nr_node_ids of them): each node's
 *	compact pool (portable core) and figures; NULL once the module goes
 *	away (pool_lock)
 * @recompact_lock: one recompaction at a time
 * @recompact_task: the task running a recompaction, or NULL
 * @files_lock: protects @files, @file_ids and @clients
 * @files: every open &struct fa_file
 * @file_ids: id -> &struct fa_file, the registry page tags name
 * @next_file_id: cursor for cyclic id allocation
 * @clients: every in-kernel &struct fragalloc_client
 * @total_pages: pages held by all batches of every policy
 * @other_pages: pages held by batches of the policies that are not
 *	&fa_policy.pooled (kept by their alloc and free)
 * @next_pgoff: mmap offset (in pages) of the next batch, never reused
 * @recompact_runs: recompactions performed (a run over several nodes counts
 *	once here, and once in the &fa_node.recompact_runs of each)
 * @reclaim_moves: the shrinker's move buffer (recompact_lock), allocated at
 *	load so that reclaim never needs memory for it
 * @reclaim_lock: one shrinker recompaction at a time (tried only)
 * @auto_work: the automatic mode's work item
 * @auto_last: jiffies of the last automatic recompaction
 * @trim_work: gives back empty pageblocks beyond reserve_blocks once they
 *	have waited release_delay_ms
 * @shrinker: drains the pool's reserve of empty pageblocks
 * @debugfs: debugfs directory
 */
struct fa_device {
	struct mutex pool_lock;		/* the core is not thread-safe */
	struct fa_node *nodes;
	struct mutex recompact_lock;	/* one recompaction at a time */
	struct task_struct *recompact_task;
	struct mutex files_lock;	/* protects files, file_ids, clients */
	struct list_head files;
	struct xarray file_ids;
	u32 next_file_id;
	struct list_head clients;
	atomic_long_t total_pages;
	atomic_long_t other_pages;
	atomic64_t next_pgoff;
	u64 recompact_runs;
	struct fa_move *reclaim_moves;
	struct mutex reclaim_lock;	/* one shrinker recompaction */
	struct delayed_work auto_work;
	unsigned long auto_last;
	struct delayed_work trim_work;
	struct shrinker *shrinker;
	struct dentry *debugfs;
};

extern struct fa_device fa_dev;

/* The pool of node @nid, or NULL (pool_lock held; @nid a valid node id). */
static inline struct fa_pool *fa_node_pool(int nid)
{
	return fa_dev.nodes ? fa_dev.nodes[nid].pool : NULL;
}

/* The pool a pool page belongs to: its node's (pool_lock held). */
static inline struct fa_pool *fa_pfn_pool(unsigned long pfn)
{
	return fa_node_pool(pfn_to_nid(pfn));
}

/*
 * The first node id from @nid on with a pool, into *@pool (pool_lock held);
 * nr_node_ids for none. Every pool: for (nid = fa_next_pool(0, &pool);
 * nid < nr_node_ids; nid = fa_next_pool(nid + 1, &pool)).
 */
static inline int fa_next_pool(int nid, struct fa_pool **pool)
{
	for (*pool = NULL; nid < nr_node_ids; nid++) {
		*pool = fa_node_pool(nid);
		if (*pool)
			break;
	}
	return nid;
}

/*
 * Largest max_batch_pages: a batch's page array stays below INT_MAX bytes
 * (kvmalloc() warns beyond), and its indexes fit in 32 bits.
 */
#define FA_MAX_BATCH_LIMIT	((unsigned long)INT_MAX / sizeof(struct page *))

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
 * @id: the file's id in &fa_device.file_ids; its pool pages carry it
 * @batches: handle -> &struct fa_batch
 * @offsets: the batches by mmap page offset (an rbtree: inserting and
 *	erasing never allocate, so neither can fail)
 * @next_handle: cursor for cyclic handle allocation
 * @nr_pages: pages held by this file's batches
 * @nr_batches: live batches
 * @mapping: the address space every mapping of this file lives in
 * @node: entry in &fa_device.files
 * @rcu: frees the file after a grace period: the movable policy's ops find
 *	it by id under RCU (movable.c)
 */
struct fa_file {
	struct rw_semaphore lock;
	u32 id;
	struct xarray batches;
	struct rb_root offsets;
	u32 next_handle;
	atomic_long_t nr_pages;
	unsigned long nr_batches;
	struct address_space *mapping;
	struct list_head node;
	struct rcu_head rcu;
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
 * @user: the user charged for the pages (RLIMIT_MEMLOCK)
 * @off_node: entry in &fa_file.offsets
 *
 * Pool pages of a batch carry their file's id in page->private and
 * (handle << 32 | index) in page->index. These tags are only hints, read
 * while the pool marks the page movable: the mover looks the id up in
 * &fa_device.file_ids and believes it only once the batch's @pages, under
 * the file's lock, still holds the page at that index. The movable
 * policy's pages carry the same tags, for the kernel's migration
 * (movable.c), which checks them the same way.
 */
struct fa_batch {
	u32 handle;
	u8 mobility;
	u8 policy;
	unsigned long pgoff;
	unsigned long nr_pages;
	unsigned long nr_present;
	struct page **pages;
	struct user_struct *user;
	struct rb_node off_node;
};

/* chardev.c: the batch whose mmap range holds @pgoff (fa_file.lock held) */
struct fa_batch *fa_batch_by_pgoff(struct fa_file *ff, unsigned long pgoff);

/* Pages the page sources handle per step: one pageblock. */
#define FA_CHUNK_PAGES	BIT(pageblock_order)

/**
 * struct fa_policy - one &enum fragalloc_policy: where a batch's pages come
 *	from and go back to (policy.c, fa_policies[])
 * @alloc: allocate @nr zeroed order-0 pages into @pages; killable; on
 *	failure nothing stays allocated. *@nr_done == @nr unless
 *	FRAGALLOC_ALLOC_BEST_EFFORT. @nid: NUMA_NO_NODE for the calling task's
 *	memory policy and local node, else the node to prefer (one with
 *	memory), the only one with FRAGALLOC_ALLOC_THISNODE in @flags
 *	(FRAGALLOC_ALLOC_NODE is never passed). Return: 0, -ENOMEM or -EINTR.
 * @free: give pages from @alloc back; NULL entries (holes) are skipped. Any
 *	subset of a batch may go back at any time (range FREE): pages are
 *	order-0 and independent.
 * @fill: for @alloc's buddy allocator loop: put up to @n pages into @pages,
 *	from node @nid (NUMA_NO_NODE: the task's memory policy) with @gfp.
 *	Return: how many, the first ones; fewer means out of memory.
 * @alloc_flags: the FRAGALLOC_ALLOC_* bits the policy accepts; ALLOC
 *	refuses others with -EINVAL
 * @pooled: the pages are the compact pool's: tagged and marked movable at
 *	ALLOC, so recompaction and the shrinker may move them, and counted by
 *	the pool's statistics. Pages of the other policies are never moved
 *	by fragalloc and count in &fa_device.other_pages and in their
 *	node's &fa_node.other_pages (their @alloc and @free keep both).
 * @publish: if set, called once the batch has its handle, under the file's
 *	lock for writing (the movable policy registers its pages there)
 * @free_unlocked: @free may sleep on page locks, so it is called only with
 *	no fragalloc lock held, the pages already out of their batch
 *
 * A policy without @alloc is one this kernel cannot offer: ALLOC refuses it
 * with -EOPNOTSUPP.
 *
 * The table is read-only; fa_policy_get() bounds a user-supplied index.
 */
struct fa_policy {
	int (*alloc)(const struct fa_policy *pol, unsigned int mobility,
		     unsigned int flags, int nid, unsigned long nr,
		     struct page **pages, unsigned long *nr_done);
	void (*free)(struct page **pages, unsigned long nr);
	unsigned long (*fill)(struct page **pages, unsigned long n, int nid,
			      gfp_t gfp);
	void (*publish)(struct fa_file *ff, struct fa_batch *b);
	unsigned int alloc_flags;
	bool pooled;
	bool free_unlocked;
};

/* policy.c: the policies, and the pages of a batch whatever its policy. */
const struct fa_policy *fa_policy_get(unsigned int policy);
void fa_other_account(struct page **pages, unsigned long nr, long sign);
int fa_pages_count_blocks(struct page **pages, unsigned long nr,
			  u64 *nr_blocks, u64 *nr_loose);
void fa_pages_set_movable(struct page **pages, unsigned long nr,
			  bool movable);
unsigned int fa_pages_count_nodes(struct page **pages, unsigned long nr,
				  u64 *counts);
void fa_pfns_free(const unsigned long *pfns, unsigned long n);
void fa_pfns_set_movable(const unsigned long *pfns, unsigned long n,
			 bool movable);
int fa_node_check(int nid);
bool fa_node_valid(int nid);

/* source.c: the pool's buddy source, its reserve and its shrinker. */
int fa_source_init(void);
void fa_source_exit(void);
void fa_reserve_kick(void);
void fa_zero_kick(struct fa_pool *pool);
void fa_reserve_apply(void);
struct fa_pool *fa_node_pool_get(int nid);

/* mmap.c */
int fa_mmap(struct file *file, struct vm_area_struct *vma);
int fa_fadvise(struct file *file, loff_t offset, loff_t len, int advice);
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
 * @reclaim: the shrinker's pool-wide run: client pages count as pinned
 * @one_node: recompact node @nid's pool only; else every node's in turn
 *	(either way, pages never move to another node)
 * @nid: that node (@one_node)
 * @auto_run: the automatic mode's run (counted in &fa_node.auto_runs)
 */
struct fa_scope {
	unsigned int kind;
	struct fa_file *ff;
	u32 handle;
	struct fragalloc_client *client;
	bool reclaim;
	bool one_node;
	int nid;
	bool auto_run;
};

/* Moves one shrinker round plans at most (per class), and rounds per call. */
#define FA_RECLAIM_MOVES	2048
#define FA_RECLAIM_ROUNDS	8
/* Pages one automatic recompaction moves at most (128 MiB). */
#define FA_AUTO_MAX_PAGES	32768

/* mover.c */
int fa_recompact(const struct fa_scope *scope, u64 max_pages, bool dry_run,
		 struct fragalloc_recompact *out);
void fa_page_tag(struct page *page, u32 id, u32 handle, unsigned long idx);
void fa_batch_move_page(struct fa_file *ff, struct fa_batch *b,
			unsigned long idx, struct page *src, struct page *dst);
bool fa_in_recompaction(void);
unsigned long fa_reclaim(int nid, unsigned long nr_pages, bool greedy,
			 bool *contended);
void fa_auto_recompact_init(void);
void fa_auto_recompact_kick(void);
void fa_auto_recompact_exit(void);

/* movable.c: the movable policy (FA_MOVABLE builds only, see compat.h) */
void fa_movable_free(struct page **pages, unsigned long nr);
void fa_movable_publish(struct fa_file *ff, struct fa_batch *b);
struct fragalloc_client;
int fa_kmov_register(struct fragalloc_client *client, struct page **pages,
		     unsigned long nr, unsigned long cookie);
bool fa_kmov_held(struct page *page);
void fa_kmov_free(struct page *page);
struct seq_file;
void fa_movable_stats_show(struct seq_file *m);

/* stats.c */
void fa_fill_pool_stats(struct fragalloc_stats *st);
void fa_fill_node_stats(struct fragalloc_stats *st, int nid);

/* chardev.c */
int fa_chardev_init(void);
void fa_chardev_exit(void);

/* debugfs.c */
void fa_debugfs_init(void);
void fa_debugfs_exit(void);

#endif /* _FRAGALLOC_FA_H */
