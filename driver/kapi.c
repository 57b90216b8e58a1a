// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: the in-kernel API, the 2015 alloc_pages_compact() proposal as a
 * module interface.
 */
#include <linux/export.h>
#include <linux/fragalloc_kapi.h>
#include <linux/mm.h>

#include "fa.h"

/**
 * fragalloc_alloc_pages() - allocate order-0 pages packed into few pageblocks
 * @mobility: &enum fragalloc_mobility; classes never share a pageblock
 * @flags: FRAGALLOC_ALLOC_BEST_EFFORT and/or FRAGALLOC_ALLOC_STRICT
 * @nr: pages wanted, at least 1
 * @pages: array of @nr entries that receives the pages
 *
 * The pages are zeroed, each with a reference count of one, and are not
 * moved by recompaction. Sleeps; killable. Without
 * FRAGALLOC_ALLOC_BEST_EFFORT the call is all-or-nothing.
 *
 * Return: the number of pages allocated (@nr unless
 * FRAGALLOC_ALLOC_BEST_EFFORT), -EINVAL for bad arguments, -ENOMEM, or
 * -EINTR when a fatal signal is pending.
 */
int fragalloc_alloc_pages(unsigned int mobility, unsigned int flags,
			  unsigned long nr, struct page **pages)
{
	unsigned long done = 0;
	int ret;

	if (mobility >= FRAGALLOC_NR_MOBILITY || !nr || nr > INT_MAX ||
	    (flags & ~FRAGALLOC_ALLOC_FLAGS_MASK))
		return -EINVAL;
	ret = fa_pages_alloc(FRAGALLOC_POLICY_COMPACT, mobility, flags, nr,
			     pages, &done);
	if (ret)
		return ret;
	atomic_long_add(done, &fa_dev.total_pages);
	return done;
}
EXPORT_SYMBOL_GPL(fragalloc_alloc_pages);

/**
 * fragalloc_free_pages() - free pages from fragalloc_alloc_pages()
 * @pages: the pages; NULL entries are skipped
 * @nr: entries in @pages
 *
 * A pageblock left empty goes back to the buddy allocator whole (beyond a
 * small reserve that a shrinker drains).
 */
void fragalloc_free_pages(struct page **pages, unsigned long nr)
{
	unsigned long i, present = 0;

	for (i = 0; i < nr; i++)
		present += !!pages[i];
	fa_pages_free(FRAGALLOC_POLICY_COMPACT, pages, nr);
	atomic_long_sub(present, &fa_dev.total_pages);
}
EXPORT_SYMBOL_GPL(fragalloc_free_pages);

/**
 * fa_fill_pool_stats() - fill the pool-wide out_ members of a STATS reply
 * @st: the reply; size, flags and the per-fd members are left alone
 */
void fa_fill_pool_stats(struct fragalloc_stats *st)
{
	struct fa_pool_stats ps;
	unsigned int i;

	mutex_lock(&fa_dev.pool_lock);
	fa_pool_get_stats(fa_dev.pool, &ps);
	st->out_recompact_runs = fa_dev.recompact_runs;
	st->out_recompact_moved = fa_dev.recompact_moved;
	st->out_auto_recompact_runs = fa_dev.auto_runs;
	mutex_unlock(&fa_dev.pool_lock);
	for (i = 0; i < FRAGALLOC_NR_MOBILITY; i++) {
		st->out_blocks[i] = ps.cls[i].blocks;
		st->out_pages_used[i] = ps.cls[i].pages_used;
		st->out_pages_free[i] = ps.cls[i].pages_free;
		st->out_loose_pages[i] = ps.cls[i].loose_pages;
	}
	for (i = 0; i < FRAGALLOC_FILL_BUCKETS; i++)
		st->out_fill_hist[i] = ps.fill_hist[i];
	st->out_reserve_blocks = ps.reserve_blocks;
	st->out_fallbacks = ps.fallbacks;
	st->out_blocks_acquired = ps.blocks_acquired;
	st->out_blocks_released = ps.blocks_released;
	st->out_meta_bytes = ps.meta_bytes;
	st->out_other_pages = atomic_long_read(&fa_dev.other_pages);
}

/**
 * fragalloc_get_stats() - read the pool-wide statistics
 * @st: receives the figures; the per-fd members read zero
 */
void fragalloc_get_stats(struct fragalloc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	fa_fill_pool_stats(st);
}
EXPORT_SYMBOL_GPL(fragalloc_get_stats);

/**
 * fragalloc_client_init() - prepare a client before its first allocation
 * @client: the client, with @move set
 */
void fragalloc_client_init(struct fragalloc_client *client)
{
	mutex_init(&client->lock);
	atomic_long_set(&client->nr_pages, 0);
}
EXPORT_SYMBOL_GPL(fragalloc_client_init);

/**
 * fragalloc_client_destroy() - end a client
 * @client: the client; all its pages must have been freed
 *
 * Waits for running recompactions, which may still look at the client.
 */
void fragalloc_client_destroy(struct fragalloc_client *client)
{
	WARN_ON(atomic_long_read(&client->nr_pages));
	mutex_lock(&fa_dev.recompact_lock);
	mutex_unlock(&fa_dev.recompact_lock);
	mutex_destroy(&client->lock);
}
EXPORT_SYMBOL_GPL(fragalloc_client_destroy);

/**
 * fragalloc_client_alloc() - allocate pages that recompaction may move
 * @client: the client
 * @mobility: &enum fragalloc_mobility
 * @flags: FRAGALLOC_ALLOC_BEST_EFFORT and/or FRAGALLOC_ALLOC_STRICT
 * @nr: pages wanted
 * @pages: receives the pages
 * @cookie: handed to @client->move() as @cookie + index of the page
 *
 * As fragalloc_alloc_pages(), but the pages may later be moved through
 * @client->move().
 *
 * Return: the number of pages allocated, or a negative errno.
 */
int fragalloc_client_alloc(struct fragalloc_client *client,
			   unsigned int mobility, unsigned int flags,
			   unsigned long nr, struct page **pages,
			   unsigned long cookie)
{
	unsigned long tag = (unsigned long)client | FA_TAG_CLIENT;
	int i, ret;

	if (!client->move)
		return -EINVAL;
	ret = fragalloc_alloc_pages(mobility, flags, nr, pages);
	if (ret <= 0)
		return ret;
	mutex_lock(&client->lock);
	for (i = 0; i < ret; i++) {
		set_page_private(pages[i], tag);
		pages[i]->index = cookie + i;
	}
	mutex_unlock(&client->lock);
	atomic_long_add(ret, &client->nr_pages);
	return ret;
}
EXPORT_SYMBOL_GPL(fragalloc_client_alloc);

/**
 * fragalloc_client_free() - free pages from fragalloc_client_alloc()
 * @client: the client
 * @pages: the pages (their current addresses, after any move); NULL entries
 *	are skipped
 * @nr: entries in @pages
 */
void fragalloc_client_free(struct fragalloc_client *client,
			   struct page **pages, unsigned long nr)
{
	unsigned long i, present = 0;

	mutex_lock(&client->lock);
	for (i = 0; i < nr; i++) {
		if (!pages[i])
			continue;
		present++;
		set_page_private(pages[i], 0);
	}
	mutex_unlock(&client->lock);
	atomic_long_sub(present, &client->nr_pages);
	fragalloc_free_pages(pages, nr);
}
EXPORT_SYMBOL_GPL(fragalloc_client_free);

/**
 * fragalloc_client_recompact() - recompact a client's pages
 * @client: the client
 * @max_pages: most pages to move, 0 for no cap
 * @out: if not NULL, receives the figures (as the RECOMPACT ioctl's)
 *
 * Return: 0, -ENOMEM, or -EINTR.
 */
int fragalloc_client_recompact(struct fragalloc_client *client,
			       unsigned long max_pages,
			       struct fragalloc_recompact *out)
{
	struct fa_scope scope = { .kind = FA_SCOPE_CLIENT, .client = client };
	struct fragalloc_recompact res = { 0 };
	int ret;

	ret = fa_recompact(&scope, max_pages, false, &res);
	if (out)
		*out = res;
	return ret;
}
EXPORT_SYMBOL_GPL(fragalloc_client_recompact);
