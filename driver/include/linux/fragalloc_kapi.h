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
 * The movable policy (pages the kernel's own compaction migrates) is not
 * offered here yet: every page of this API comes from the compact pool.
 *
 * Pages from fragalloc_alloc_pages() are never moved; pages from
 * fragalloc_client_alloc() are moved by recompactions of the client
 * (fragalloc_client_recompact()) and of the whole pool. Every field of the
 * pages themselves (page->private, page->index, page->lru, ...) is the
 * client's: fragalloc reads none of them.
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
