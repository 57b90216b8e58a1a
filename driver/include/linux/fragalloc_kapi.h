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

#include <linux/types.h>
#include <linux/fragalloc.h>

struct page;

int fragalloc_alloc_pages(unsigned int mobility, unsigned int flags,
			  unsigned long nr, struct page **pages);
void fragalloc_free_pages(struct page **pages, unsigned long nr);
void fragalloc_get_stats(struct fragalloc_stats *st);

#endif /* _LINUX_FRAGALLOC_KAPI_H */
