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

#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/fragalloc.h>

struct page;

int fragalloc_alloc_pages(unsigned int mobility, unsigned int flags,
			  unsigned long nr, struct page **pages);
void fragalloc_free_pages(struct page **pages, unsigned long nr);
void fragalloc_get_stats(struct fragalloc_stats *st);

/**
 * struct fragalloc_client - an in-kernel user whose pages may be recompacted
 * @move: moves one page. Called by recompaction, in process context (it may
 *	sleep), with @lock held. The client must, under whatever lock keeps its
 *	own users away from the page, copy @old to @new (copy_highpage()),
 *	replace its references to @old by @new, and return true. Returning
 *	false keeps @old where it is (a pinned page); the planner's destination
 *	is given back. @cookie is the value given to fragalloc_client_alloc()
 *	plus the page's index in that call. fragalloc frees @old afterwards.
 * @priv: for the client
 * @lock: internal; serialises @move against fragalloc_client_free()
 * @nr_pages: internal; pages the client holds
 *
 * Pages from fragalloc_alloc_pages() are never moved; pages from
 * fragalloc_client_alloc() are moved by recompactions of the client
 * (fragalloc_client_recompact()) and of the whole pool.
 */
struct fragalloc_client {
	bool (*move)(struct fragalloc_client *client, struct page *old,
		     struct page *new, unsigned long cookie);
	void *priv;
	struct mutex lock;	/* serialises move() and free */
	atomic_long_t nr_pages;
};

void fragalloc_client_init(struct fragalloc_client *client);
void fragalloc_client_destroy(struct fragalloc_client *client);
int fragalloc_client_alloc(struct fragalloc_client *client,
			   unsigned int mobility, unsigned int flags,
			   unsigned long nr, struct page **pages,
			   unsigned long cookie);
void fragalloc_client_free(struct fragalloc_client *client,
			   struct page **pages, unsigned long nr);
int fragalloc_client_recompact(struct fragalloc_client *client,
			       unsigned long max_pages,
			       struct fragalloc_recompact *out);

#endif /* _LINUX_FRAGALLOC_KAPI_H */
