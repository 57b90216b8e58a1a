// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: the in-kernel API, the 2015 alloc_pages_compact() proposal as a
 * module interface.
 */
#include <linux/export.h>
#include <linux/fragalloc_kapi.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/xarray.h>

#include "fa.h"
#include "compat.h"
#include "fa_events.h"

/* FRAGALLOC_ALLOC_NODE is the ioctl's: here the @nid argument says it. */
#define FA_KAPI_FLAGS	(FRAGALLOC_ALLOC_BEST_EFFORT | FRAGALLOC_ALLOC_STRICT | \
			 FRAGALLOC_ALLOC_THISNODE)

/*
 * @nid, @flags (of @allowed) and @nr do not make a request: -EINVAL. A
 * node must be online with memory; THISNODE needs one.
 */
static bool fa_kapi_args_bad(int nid, unsigned int flags,
			     unsigned int allowed, unsigned long nr)
{
	if (!nr || nr > INT_MAX || (flags & ~allowed))
		return true;
	return nid != NUMA_NO_NODE ? !fa_node_valid(nid) :
	       flags & FRAGALLOC_ALLOC_THISNODE;
}

/**
 * fragalloc_alloc_pages_node() - allocate order-0 pages packed into few
 * pageblocks, from a chosen NUMA node
 * @nid: the node to take the pages from, falling back to the nearest
 *	others when it has none left; NUMA_NO_NODE for the calling task's
 *	memory policy and local node (as alloc_pages())
 * @mobility: &enum fragalloc_mobility; classes never share a pageblock
 * @flags: FRAGALLOC_ALLOC_BEST_EFFORT, FRAGALLOC_ALLOC_STRICT and
 *	FRAGALLOC_ALLOC_THISNODE (no fallback to another node: -ENOMEM
 *	instead; needs a @nid)
 * @nr: pages wanted, at least 1
 * @pages: array of @nr entries that receives the pages
 *
 * The pages are zeroed, each with a reference count of one, and are not
 * moved by recompaction: the pool marks them pinned, whatever the caller
 * stores in them. Sleeps; killable. Without
 * FRAGALLOC_ALLOC_BEST_EFFORT the call is all-or-nothing.
 *
 * Return: the number of pages allocated (@nr unless
 * FRAGALLOC_ALLOC_BEST_EFFORT), -EINVAL for bad arguments (a @nid that is
 * not NUMA_NO_NODE nor an online node with memory, FRAGALLOC_ALLOC_NODE,
 * FRAGALLOC_ALLOC_THISNODE without a @nid), -ENOMEM, or -EINTR when a
 * fatal signal is pending.
 */
int fragalloc_alloc_pages_node(int nid, unsigned int mobility,
			       unsigned int flags, unsigned long nr,
			       struct page **pages)
{
	const struct fa_policy *pol = fa_policy_get(FRAGALLOC_POLICY_COMPACT);
	unsigned long done = 0;
	int ret;

	if (mobility >= FRAGALLOC_NR_MOBILITY ||
	    fa_kapi_args_bad(nid, flags, FA_KAPI_FLAGS, nr))
		return -EINVAL;
	ret = pol->alloc(pol, mobility, flags, nid, nr, pages, &done);
	if (ret)
		return ret;
	atomic_long_add(done, &fa_dev.total_pages);
	fa_ev_alloc(0, 0, FRAGALLOC_POLICY_COMPACT, mobility, done, 0, 0);
	return done;
}
EXPORT_SYMBOL_GPL(fragalloc_alloc_pages_node);

/**
 * fragalloc_alloc_pages() - allocate order-0 pages packed into few pageblocks
 * @mobility: &enum fragalloc_mobility; classes never share a pageblock
 * @flags: FRAGALLOC_ALLOC_BEST_EFFORT and/or FRAGALLOC_ALLOC_STRICT
 * @nr: pages wanted, at least 1
 * @pages: array of @nr entries that receives the pages
 *
 * fragalloc_alloc_pages_node() with NUMA_NO_NODE: the calling task's
 * memory policy and local node choose.
 *
 * Return: as fragalloc_alloc_pages_node().
 */
int fragalloc_alloc_pages(unsigned int mobility, unsigned int flags,
			  unsigned long nr, struct page **pages)
{
	if (flags & FRAGALLOC_ALLOC_THISNODE)
		return -EINVAL;
	return fragalloc_alloc_pages_node(NUMA_NO_NODE, mobility, flags, nr,
					  pages);
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
	fa_policy_get(FRAGALLOC_POLICY_COMPACT)->free(pages, nr);
	atomic_long_sub(present, &fa_dev.total_pages);
	fa_ev_free(0, 0, FRAGALLOC_POLICY_COMPACT, FA_EV_NO_CLASS, present);
}
EXPORT_SYMBOL_GPL(fragalloc_free_pages);

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
 * fragalloc_get_node_stats() - read one NUMA node's pool statistics
 * @nid: an online node id
 * @st: receives the figures (as STATS with FRAGALLOC_STATS_NODE); the
 *	per-fd members read zero; all zero for a @nid that is not online
 */
void fragalloc_get_node_stats(int nid, struct fragalloc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->flags = FRAGALLOC_STATS_NODE;
	st->node = nid;
	if (nid >= 0 && nid < nr_node_ids && node_online(nid))
		fa_fill_node_stats(st, nid);
}
EXPORT_SYMBOL_GPL(fragalloc_get_node_stats);

/*
 * The client's lock, unless the caller is the client's own move(), which
 * runs with it held already.
 */
static bool fa_client_lock(struct fragalloc_client *client)
{
	if (READ_ONCE(client->mover) == current)
		return false;
	mutex_lock(&client->lock);
	return true;
}

static void fa_client_unlock(struct fragalloc_client *client, bool locked)
{
	if (locked)
		mutex_unlock(&client->lock);
}

/**
 * fragalloc_client_init() - prepare a client before its first allocation
 * @client: the client, with @move set
 *
 * Not from inside a move().
 */
void fragalloc_client_init(struct fragalloc_client *client)
{
	mutex_init(&client->lock);
	atomic_long_set(&client->nr_pages, 0);
	xa_init(&client->pages);
	client->mover = NULL;
	client->moving = NULL;
	mutex_lock(&fa_dev.files_lock);
	list_add_tail(&client->node, &fa_dev.clients);
	mutex_unlock(&fa_dev.files_lock);
}
EXPORT_SYMBOL_GPL(fragalloc_client_init);

/*
 * Give back @nr pages already taken out of the client's registry (client
 * lock held; each page once: taking the entry out is what claims it).
 */
static void fa_client_release(struct fragalloc_client *client,
			      struct page **pages, unsigned long nr)
{
	if (!nr)
		return;
	fa_pages_set_movable(pages, nr, false);
	fragalloc_free_pages(pages, nr);
	atomic_long_sub(nr, &client->nr_pages);
}

/*
 * Give back one page already out of the client's registry (client lock
 * held, or in its move()): true for a movable one, freed here; false for a
 * pool page, which the caller batches for fa_client_release().
 */
static bool fa_client_release_movable(struct fragalloc_client *client,
				      struct page *page)
{
#ifdef FA_MOVABLE
	if (!fa_kmov_held(page))
		return false;
	fa_kmov_free(page);
	atomic_long_dec(&client->nr_pages);
	atomic_long_dec(&fa_dev.total_pages);
	fa_ev_free(0, 0, FRAGALLOC_POLICY_MOVABLE, FA_EV_NO_CLASS, 1);
	return true;
#else
	return false;
#endif
}

/**
 * fragalloc_client_destroy() - end a client
 * @client: the client
 *
 * Waits for running recompactions, which may still look at the client.
 * Pages the client still holds are freed (and a warning is logged): after
 * this call the client must not touch them, and no recompaction ever calls
 * its move() again.
 *
 * Return: 0, or -EDEADLK when called from inside a move() (nothing done).
 */
int fragalloc_client_destroy(struct fragalloc_client *client)
{
	struct page *batch[64];
	unsigned long pfn, left = 0, n = 0;
	void *entry;

	if (fa_in_recompaction())
		return -EDEADLK;
	mutex_lock(&fa_dev.files_lock);
	list_del_init(&client->node);
	mutex_unlock(&fa_dev.files_lock);
	mutex_lock(&fa_dev.recompact_lock);
	mutex_unlock(&fa_dev.recompact_lock);

	mutex_lock(&client->lock);
	xa_for_each(&client->pages, pfn, entry) {
		xa_erase(&client->pages, pfn);
		left++;
		if (fa_client_release_movable(client, pfn_to_page(pfn)))
			continue;
		batch[n++] = pfn_to_page(pfn);
		if (n == ARRAY_SIZE(batch)) {
			fa_client_release(client, batch, n);
			n = 0;
			cond_resched();
		}
	}
	fa_client_release(client, batch, n);
	mutex_unlock(&client->lock);
	if (left)
		pr_warn("fragalloc: client destroyed holding %lu pages; they were freed\n",
			left);
	xa_destroy(&client->pages);
	mutex_destroy(&client->lock);
	return 0;
}
EXPORT_SYMBOL_GPL(fragalloc_client_destroy);

/* No move(), no pages, or cookies beyond LONG_MAX: -EINVAL. */
static bool fa_client_args_bad(struct fragalloc_client *client,
			       unsigned long nr, unsigned long cookie)
{
	return !client->move || !nr || cookie > LONG_MAX ||
	       nr - 1 > LONG_MAX - cookie;
}

/**
 * fragalloc_client_alloc_node() - allocate pages that recompaction may
 * move, from a chosen NUMA node
 * @client: the client
 * @nid: as for fragalloc_alloc_pages_node(); recompaction keeps every page
 *	on the node it was allocated on
 * @mobility: &enum fragalloc_mobility
 * @flags: as for fragalloc_alloc_pages_node()
 * @nr: pages wanted
 * @pages: receives the pages
 * @cookie: handed to @client->move() as @cookie + index of the page;
 *	@cookie + @nr - 1 must not exceed LONG_MAX
 *
 * As fragalloc_alloc_pages_node(), but the pages may later be moved
 * through @client->move().
 *
 * Return: the number of pages allocated, or a negative errno.
 */
int fragalloc_client_alloc_node(struct fragalloc_client *client, int nid,
				unsigned int mobility, unsigned int flags,
				unsigned long nr, struct page **pages,
				unsigned long cookie)
{
	bool locked;
	int i, ret, err = 0;

	if (fa_client_args_bad(client, nr, cookie))
		return -EINVAL;
	ret = fragalloc_alloc_pages_node(nid, mobility, flags, nr, pages);
	if (ret <= 0)
		return ret;
	locked = fa_client_lock(client);
	for (i = 0; i < ret && !err; i++)
		err = xa_err(xa_store(&client->pages, page_to_pfn(pages[i]),
				      xa_mk_value(cookie + i), GFP_KERNEL));
	if (err) {
		/* Nothing half done: the pages stored so far are forgotten. */
		while (i-- > 0)
			xa_erase(&client->pages, page_to_pfn(pages[i]));
		fa_client_unlock(client, locked);
		fragalloc_free_pages(pages, ret);
		return err;
	}
	fa_pages_set_movable(pages, ret, true);
	atomic_long_add(ret, &client->nr_pages);
	fa_client_unlock(client, locked);
	return ret;
}
EXPORT_SYMBOL_GPL(fragalloc_client_alloc_node);

/**
 * fragalloc_client_alloc() - allocate pages that recompaction may move
 * @client: the client
 * @mobility: &enum fragalloc_mobility
 * @flags: FRAGALLOC_ALLOC_BEST_EFFORT and/or FRAGALLOC_ALLOC_STRICT
 * @nr: pages wanted
 * @pages: receives the pages
 * @cookie: handed to @client->move() as @cookie + index of the page;
 *	@cookie + @nr - 1 must not exceed LONG_MAX
 *
 * fragalloc_client_alloc_node() with NUMA_NO_NODE.
 *
 * Return: the number of pages allocated, or a negative errno.
 */
int fragalloc_client_alloc(struct fragalloc_client *client,
			   unsigned int mobility, unsigned int flags,
			   unsigned long nr, struct page **pages,
			   unsigned long cookie)
{
	if (flags & FRAGALLOC_ALLOC_THISNODE)
		return -EINVAL;
	return fragalloc_client_alloc_node(client, NUMA_NO_NODE, mobility,
					   flags, nr, pages, cookie);
}
EXPORT_SYMBOL_GPL(fragalloc_client_alloc);

/**
 * fragalloc_client_alloc_movable() - allocate pages the kernel's own
 * compaction may move
 * @client: the client
 * @nid: as for fragalloc_alloc_pages_node(); a migration (memory
 *	offlining) may still move a page to another node
 * @flags: FRAGALLOC_ALLOC_BEST_EFFORT and FRAGALLOC_ALLOC_THISNODE
 * @nr: pages wanted
 * @pages: receives the pages
 * @cookie: handed to @client->move() as @cookie + index of the page;
 *	@cookie + @nr - 1 must not exceed LONG_MAX
 *
 * The movable policy: zeroed pages from movable pageblocks, registered
 * with the kernel so that compaction (kcompactd, compact_memory, direct
 * compaction), CMA and memory offlining migrate them through
 * @client->move(), in the context the header's "Movable pages" describes.
 * fragalloc's own recompaction never moves them. Freed with
 * fragalloc_client_free() like the client's other pages. Sleeps.
 *
 * Return: the number of pages allocated, -EINVAL for bad arguments (as
 * fragalloc_alloc_pages_node()'s, FRAGALLOC_ALLOC_STRICT included),
 * -ENOMEM, -EINTR, or -EOPNOTSUPP when the kernel offers no movable_ops
 * interface (FRAGALLOC_FEAT_MOVABLE absent).
 */
int fragalloc_client_alloc_movable(struct fragalloc_client *client, int nid,
				   unsigned int flags, unsigned long nr,
				   struct page **pages, unsigned long cookie)
{
#ifdef FA_MOVABLE
	const struct fa_policy *pol = fa_policy_get(FRAGALLOC_POLICY_MOVABLE);
	unsigned long done = 0;
	bool locked;
	int ret;

	if (fa_client_args_bad(client, nr, cookie) ||
	    fa_kapi_args_bad(nid, flags, FRAGALLOC_ALLOC_BEST_EFFORT |
			     FRAGALLOC_ALLOC_THISNODE, nr))
		return -EINVAL;
	ret = pol->alloc(pol, FRAGALLOC_MOVABLE, flags, nid, nr, pages, &done);
	if (ret)
		return ret;
	locked = fa_client_lock(client);
	ret = fa_kmov_register(client, pages, done, cookie);
	if (!ret)
		atomic_long_add(done, &client->nr_pages);
	fa_client_unlock(client, locked);
	if (ret) {
		pol->free(pages, done);
		return ret;
	}
	atomic_long_add(done, &fa_dev.total_pages);
	fa_ev_alloc(0, 0, FRAGALLOC_POLICY_MOVABLE, FRAGALLOC_MOVABLE, done, 0, 0);
	return done;
#else
	return -EOPNOTSUPP;
#endif
}
EXPORT_SYMBOL_GPL(fragalloc_client_alloc_movable);

/**
 * fragalloc_client_free() - free pages from fragalloc_client_alloc()
 * @client: the client
 * @pages: the pages (their current addresses, after any move); NULL entries
 *	are skipped
 * @nr: entries in @pages
 *
 * A page the client does not hold (never its, already freed, listed twice,
 * or an address from before a move) is left alone, with a warning in the
 * log; so is the page a running move() of this client is moving (its @old:
 * fragalloc frees it once the move is done).
 */
void fragalloc_client_free(struct fragalloc_client *client,
			   struct page **pages, unsigned long nr)
{
	struct page *batch[64];
	unsigned long i, n = 0, foreign = 0;
	bool locked;

	locked = fa_client_lock(client);
	for (i = 0; i < nr; i++) {
		if (!pages[i])
			continue;
		/* taking the entry out claims the page: a duplicate finds none */
		if (pages[i] == client->moving ||
		    !xa_erase(&client->pages, page_to_pfn(pages[i]))) {
			foreign++;
			continue;
		}
		if (fa_client_release_movable(client, pages[i]))
			continue;
		batch[n++] = pages[i];
		if (n == ARRAY_SIZE(batch)) {
			fa_client_release(client, batch, n);
			n = 0;
		}
	}
	fa_client_release(client, batch, n);
	fa_client_unlock(client, locked);
	if (foreign)
		pr_warn_ratelimited("fragalloc: client freed %lu pages it does not hold; left alone\n",
				    foreign);
}
EXPORT_SYMBOL_GPL(fragalloc_client_free);

/**
 * fragalloc_client_recompact() - recompact a client's pages
 * @client: the client
 * @max_pages: most pages to move, 0 for no cap
 * @out: if not NULL, receives the figures (as the RECOMPACT ioctl's)
 *
 * Return: 0, -ENOMEM, -EINTR, or -EDEADLK from inside a move().
 */
int fragalloc_client_recompact(struct fragalloc_client *client,
			       unsigned long max_pages,
			       struct fragalloc_recompact *out)
{
	struct fa_scope scope = { .kind = FA_SCOPE_CLIENT, .client = client };
	struct fragalloc_recompact res = { 0 };
	int ret;

	if (fa_in_recompaction())
		return -EDEADLK;
	ret = fa_recompact(&scope, max_pages, false, &res);
	if (out)
		*out = res;
	return ret;
}
EXPORT_SYMBOL_GPL(fragalloc_client_recompact);
