/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fragalloc: the in-kernel API.
 *
 * Other modules allocate order-0 pages packed into as few pageblocks as
 * possible, so their unmovable memory pollutes the fewest pageblocks, and
 * free them again. Build against fragalloc's Module.symvers
 * (KBUILD_EXTRA_SYMBOLS) and include this header.
 */
#ifndef _LINUX_FRAGALLOC_KAPI_H
#define _LINUX_FRAGALLOC_KAPI_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <linux/fragalloc.h>

struct page;
struct task_struct;

int fragalloc_alloc_pages(unsigned int mobility, unsigned int flags,
			  unsigned long nr, struct page **pages);
/*
 * NUMA: the _node variants take the node (NUMA_NO_NODE: the calling task's
 * memory policy and local node, what the variants without a node do) and
 * FRAGALLOC_ALLOC_THISNODE (that node only, -ENOMEM rather than another).
 * Each node's pages come from that node's own pool, and recompaction never
 * moves a page to another node.
 */
int fragalloc_alloc_pages_node(int nid, unsigned int mobility,
			       unsigned int flags, unsigned long nr,
			       struct page **pages);
void fragalloc_free_pages(struct page **pages, unsigned long nr);
void fragalloc_get_stats(struct fragalloc_stats *st);
void fragalloc_get_node_stats(int nid, struct fragalloc_stats *st);

/**
 * struct fragalloc_client - an in-kernel user whose pages may be recompacted
 * @move: moves one page; see "Locking contract" below. The client must,
 *	under whatever lock keeps its own users away from the page, copy @old
 *	to @new (copy_highpage()), replace its references to @old by @new, and
 *	return true. Returning false keeps @old where it is (a pinned page);
 *	the planner's destination is given back. @cookie is the value given to
 *	fragalloc_client_alloc() plus the page's index in that call. fragalloc
 *	frees @old afterwards.
 * @priv: for the client
 * @lock: internal; serialises @move against fragalloc_client_free()
 * @nr_pages: internal; pages the client holds
 * @pages: internal; pfn -> cookie of every page the client holds: the
 *	record recompaction believes (never a struct page field)
 * @node: internal; entry in fragalloc's list of clients
 * @mover: internal; the task inside @move, or NULL
 * @moving: internal; the @old page of the running @move, or NULL
 *
 * Pages from fragalloc_alloc_pages() are never moved; pages from
 * fragalloc_client_alloc() are moved by recompactions of the client
 * (fragalloc_client_recompact()) and of the whole pool. Every field of the
 * pages themselves (page->private, page->index, page->lru, ...) is the
 * client's: fragalloc reads none of them. Pages from
 * fragalloc_client_alloc_movable() are the movable policy's and the
 * kernel's own migration moves them; "Movable pages" below says which of
 * their fields stay the client's.
 *
 * Locking contract:
 *  - @move runs in process context and may sleep. It is called with
 *    fragalloc's recompaction lock held (plus its list of owners, for a
 *    pool-wide run) and with @lock.
 *  - From inside @move, fragalloc_client_free() and fragalloc_client_alloc()
 *    of the same client, fragalloc_alloc_pages(), fragalloc_free_pages()
 *    and fragalloc_get_stats() work; fragalloc_client_recompact() returns
 *    -EDEADLK and fragalloc_client_destroy() returns -EDEADLK.
 *    fragalloc_client_free() of @old itself from inside @move leaves it
 *    alone (fragalloc frees @old after a move that returns true; after one
 *    that returns false, @old is still the client's).
 *  - fragalloc_client_free() waits for a running @move of that client. So
 *    @move must not block on a lock the client holds around
 *    fragalloc_client_free() (or around anything else that waits for
 *    @move): take such a lock with mutex_trylock() and return false when
 *    it is busy. The page stays where it is, and a later recompaction
 *    tries again.
 *
 * Movable pages (fragalloc_client_alloc_movable(); FRAGALLOC_FEAT_MOVABLE
 * kernels, -EOPNOTSUPP elsewhere):
 *  - They come from movable pageblocks and are registered with the
 *    kernel's movable_operations: kernel compaction (kcompactd,
 *    compact_memory, direct compaction of any task's allocation), CMA and
 *    huge page allocations and memory offlining migrate them, calling
 *    @move. fragalloc's own recompaction never moves them.
 *  - Their fields: page->mapping is the kernel's movable mark (fragalloc's
 *    operations) and the page lock and flags are the VM's, which locks the
 *    page to isolate and migrate it; page->lru is the VM's while it holds
 *    the page isolated, which may be at any time. fragalloc looks such a
 *    page up by PFN in its own registry, never through a page field, and
 *    holds the one reference the page came with. page->private and
 *    page->index stay the client's, but a move does not carry them over:
 *    @move sets them on @new (which arrives with page->private 0).
 *  - @move is then called from inside the kernel's migration
 *    (mm/migrate.c, the movable_operations' migrate_page()), in process
 *    context: that of kcompactd, of the task writing compact_memory, or of
 *    any task whose allocation runs direct compaction (then with
 *    PF_MEMALLOC set), under whatever locks that task holds, the client's
 *    own included. The page locks of @old and @new are held, no spinlock
 *    is, preemption is on; in every migrate mode (MIGRATE_ASYNC, _SYNC_LIGHT
 *    and _SYNC alike: the mode is not passed on) @move may take a mutex
 *    with mutex_trylock() and sleep briefly, but must wait for nothing
 *    another task may hold while it allocates memory. fragalloc holds
 *    @lock, tried only (busy: the VM tries again later). @move must not
 *    take a page lock (lock_page(), of any page), must not allocate but
 *    with GFP_NOWAIT or GFP_ATOMIC (an allocation that may reclaim or
 *    compact would run compaction from inside compaction with two page
 *    locks held), and must call no fragalloc function. It copies @old to
 *    @new and returns true; fragalloc then gives @new its reference,
 *    registration and registry entry and drops @old's, which the VM frees.
 *  - @move returning false is the pinned case: the page stays where it is,
 *    as it was, still the client's (the VM is told -EBUSY and puts it
 *    back); a later compaction may ask again.
 *  - fragalloc_client_free() and fragalloc_client_destroy() of a movable
 *    page wait for its page lock (a migration in progress) and are safe
 *    while the VM holds the page isolated: the page is unregistered, and
 *    the VM frees it instead of moving it. They wait for a running @move,
 *    as above.
 */
struct fragalloc_client {
	bool (*move)(struct fragalloc_client *client, struct page *old,
		     struct page *new, unsigned long cookie);
	void *priv;
	struct mutex lock;	/* serialises move() and free */
	atomic_long_t nr_pages;
	struct xarray pages;
	struct list_head node;
	struct task_struct *mover;
	struct page *moving;
};

void fragalloc_client_init(struct fragalloc_client *client);
int fragalloc_client_destroy(struct fragalloc_client *client);
int fragalloc_client_alloc(struct fragalloc_client *client,
			   unsigned int mobility, unsigned int flags,
			   unsigned long nr, struct page **pages,
			   unsigned long cookie);
int fragalloc_client_alloc_node(struct fragalloc_client *client, int nid,
				unsigned int mobility, unsigned int flags,
				unsigned long nr, struct page **pages,
				unsigned long cookie);
int fragalloc_client_alloc_movable(struct fragalloc_client *client, int nid,
				   unsigned int flags, unsigned long nr,
				   struct page **pages, unsigned long cookie);
void fragalloc_client_free(struct fragalloc_client *client,
			   struct page **pages, unsigned long nr);
int fragalloc_client_recompact(struct fragalloc_client *client,
			       unsigned long max_pages,
			       struct fragalloc_recompact *out);

#endif /* _LINUX_FRAGALLOC_KAPI_H */
