// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: the allocation policies, one &struct fa_policy each.
 *
 * The compact policy takes its pages from the portable pool (core/pool.c,
 * fed by the buddy source in source.c). The other policies exist for
 * comparison and allocate the way common drivers do; their pages count in
 * fa_dev.other_pages. A new policy is one entry of fa_policies[] and the
 * functions it names.
 */
#include <linux/cpuset.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mempolicy.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/nospec.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "fa.h"
#include "compat.h"
#include "fa_events.h"

/* PFNs handed to the pool per call: the pool lock is never held long. */
#define FA_PFN_BATCH	64

/* Orders tried by the highorder policy, as the dma-buf system heap does. */
static const unsigned int fa_highorders[] = { 8, 4, 0 };

/*
 * Call @fn under the pool lock on the PFNs of @pages (NULL entries skipped),
 * FA_PFN_BATCH at a time, rescheduling between calls. Return: the pages.
 */
static unsigned long fa_pool_for_pfns(struct page **pages, unsigned long nr,
				      void (*fn)(const unsigned long *pfns,
						 unsigned long n, bool arg),
				      bool arg)
{
	unsigned long pfns[FA_PFN_BATCH];
	unsigned long i, n = 0, seen = 0;

	for (i = 0; i < nr; i++) {
		if (!pages[i])
			continue;
		pfns[n++] = page_to_pfn(pages[i]);
		seen++;
		if (n < ARRAY_SIZE(pfns))
			continue;
		mutex_lock(&fa_dev.pool_lock);
		fn(pfns, n, arg);
		mutex_unlock(&fa_dev.pool_lock);
		n = 0;
		cond_resched();
	}
	if (n) {
		mutex_lock(&fa_dev.pool_lock);
		fn(pfns, n, arg);
		mutex_unlock(&fa_dev.pool_lock);
	}
	return seen;
}

/*
 * Call @fn on each run of PFNs of one node in @pfns with that node's pool
 * (pool lock held). A batch may hold pages of several nodes.
 */
static void fa_pfns_by_pool(const unsigned long *pfns, unsigned long n,
			    void (*fn)(struct fa_pool *pool,
				       const unsigned long *pfns,
				       unsigned long n, bool arg),
			    bool arg)
{
	unsigned long i, start = 0;
	struct fa_pool *pool;

	for (i = 1; i <= n; i++) {
		if (i < n && pfn_to_nid(pfns[i]) == pfn_to_nid(pfns[start]))
			continue;
		pool = fa_pfn_pool(pfns[start]);
		if (!WARN_ON_ONCE(!pool))
			fn(pool, pfns + start, i - start, arg);
		start = i;
	}
}

static void fa_pool_free_run(struct fa_pool *pool, const unsigned long *pfns,
			     unsigned long n, bool kick)
{
	fa_pool_free(pool, pfns, n);
	if (kick)
		fa_zero_kick(pool);
}

/**
 * fa_pfns_free() - fa_pool_free() for pool pages of any nodes
 * @pfns: the pages
 * @n: entries in @pfns
 *
 * Pool lock held.
 */
void fa_pfns_free(const unsigned long *pfns, unsigned long n)
{
	fa_pfns_by_pool(pfns, n, fa_pool_free_run, false);
}

static void fa_pool_mark_run(struct fa_pool *pool, const unsigned long *pfns,
			     unsigned long n, bool movable)
{
	fa_pool_set_movable(pool, pfns, n, movable);
}

/**
 * fa_pfns_set_movable() - fa_pool_set_movable() for pool pages of any nodes
 * @pfns: the pages
 * @n: entries in @pfns
 * @movable: the mark
 *
 * Pool lock held.
 */
void fa_pfns_set_movable(const unsigned long *pfns, unsigned long n,
			 bool movable)
{
	fa_pfns_by_pool(pfns, n, fa_pool_mark_run, movable);
}

/*
 * The tags are cleared under the pool lock, with the pages still marked: a
 * planner never sees a marked page without its tag, nor a tag on a page the
 * pool no longer has.
 */
static void fa_pool_put_pfns(const unsigned long *pfns, unsigned long n,
			     bool unused)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		fa_page_tag(pfn_to_page(pfns[i]), 0, 0, 0);
	fa_pfns_by_pool(pfns, n, fa_pool_free_run, true);
}

static void fa_pool_mark_pfns(const unsigned long *pfns, unsigned long n,
			      bool movable)
{
	fa_pfns_set_movable(pfns, n, movable);
}

/**
 * fa_pages_set_movable() - mark pool pages as movable by recompaction, or not
 * @pages: pool pages (a &fa_policy.pooled policy's); NULL entries are skipped
 * @nr: entries in @pages
 * @movable: the mark
 *
 * The caller has tagged the pages (fa_page_tag()) or keeps their owner in
 * its own registry; see mover.c. Takes the pool lock.
 */
void fa_pages_set_movable(struct page **pages, unsigned long nr,
			  bool movable)
{
	fa_pool_for_pfns(pages, nr, fa_pool_mark_pfns, movable);
}

static void fa_compact_free(struct page **pages, unsigned long nr)
{
	if (fa_pool_for_pfns(pages, nr, fa_pool_put_pfns, false) &&
	    READ_ONCE(fa_release_delay_ms))
		fa_reserve_kick();
}

/* A page the pool says holds zeroes; checked on debug kernels. */
static void fa_check_prezeroed(struct page *page)
{
	void *p;

	if (!IS_ENABLED(CONFIG_DEBUG_VM))
		return;
	p = kmap_local_page(page);
	WARN_ON_ONCE(memchr_inv(p, 0, PAGE_SIZE));
	kunmap_local(p);
}

/*
 * Pool pages: zero those the zeroer has not (@zeroed: the pool's marks) and
 * clear the owner fields of their last use.
 */
static void fa_prep_pool_pages(struct page **pages, const unsigned long *pfns,
			       const unsigned long *zeroed, unsigned long nr)
{
	unsigned long i;

	for (i = 0; i < nr; i++) {
		pages[i] = pfn_to_page(pfns[i]);
		set_page_private(pages[i], 0);
		if (test_bit(i, zeroed))
			fa_check_prezeroed(pages[i]);
		else
			clear_highpage(pages[i]);
	}
}

/*
 * Where an allocation's pages may come from: node @nid first, then the
 * other nodes of @allowed, nearest to @nid first. A node that ran out
 * during the allocation (@failed) is not tried again by its later chunks.
 * @bind: @allowed is a restriction (MPOL_BIND, FRAGALLOC_ALLOC_THISNODE),
 * not every node with memory.
 */
struct fa_where {
	int nid;
	bool bind;
	nodemask_t allowed;
	nodemask_t failed;
};

/* The node of @mask nearest to @from, or NUMA_NO_NODE for none. */
static int fa_nearest_node(int from, const nodemask_t *mask)
{
	int nid, best = NUMA_NO_NODE;

	for_each_node_mask(nid, *mask)
		if (best == NUMA_NO_NODE ||
		    node_distance(from, nid) < node_distance(from, best))
			best = nid;
	return best;
}

#ifdef CONFIG_NUMA
/*
 * The calling task's memory policy applied to @w: the policy's first node
 * and, for MPOL_BIND, its nodes. Pageblocks being the unit, this is an
 * approximation of alloc_pages() (docs/ABI.md): interleaving starts every
 * chunk at the policy's node nearest to the caller, and MPOL_PREFERRED_MANY
 * at its nearest node (or home node); both then fall back to every allowed
 * node by distance. Called under task_lock(current).
 */
static void fa_where_mempolicy(struct fa_where *w)
{
	struct mempolicy *pol = current->mempolicy;
	int nid;

	switch (pol ? pol->mode : MPOL_DEFAULT) {
	case MPOL_DEFAULT:
	case MPOL_LOCAL:
		break;
	case MPOL_PREFERRED:
		w->nid = first_node(pol->nodes);
		break;
	case MPOL_BIND:
		nodes_and(w->allowed, w->allowed, pol->nodes);
		w->bind = true;
		if (pol->home_node != NUMA_NO_NODE)
			w->nid = pol->home_node;
		break;
	default:
		nid = pol->mode == MPOL_PREFERRED_MANY ? pol->home_node :
							 NUMA_NO_NODE;
		if (nid == NUMA_NO_NODE)
			nid = fa_nearest_node(w->nid, &pol->nodes);
		if (nid != NUMA_NO_NODE)
			w->nid = nid;
		break;
	}
}
#else
static void fa_where_mempolicy(struct fa_where *w)
{
}
#endif

/*
 * The nodes the calling task may take memory from: those with memory in
 * its cpuset (set_mempolicy() and mbind() refuse the others, and so does
 * the buddy allocator's fallback). Called under task_lock(current).
 */
static void fa_task_allowed(nodemask_t *allowed)
{
	nodes_and(*allowed, node_states[N_MEMORY], cpuset_current_mems_allowed);
}

/*
 * The calling task's placement outside any VMA, as fa_where_mempolicy()
 * approximates it: the local node or the policy's, within the cpuset.
 */
static void fa_where_task(struct fa_where *w)
{
	w->nid = numa_node_id();
	w->bind = false;
	/* a cpuset change rebinds mems and the policy under the task lock */
	task_lock(current);
	fa_task_allowed(&w->allowed);
	fa_where_mempolicy(w);
	task_unlock(current);
}

/* @nid: NUMA_NO_NODE (the task's policy) or a node with memory. */
static void fa_where_init(struct fa_where *w, int nid, unsigned int flags)
{
	nodes_clear(w->failed);
	if (nid == NUMA_NO_NODE) {
		fa_where_task(w);
		return;
	}
	w->nid = nid;
	w->bind = flags & FRAGALLOC_ALLOC_THISNODE;
	if (w->bind) {
		nodes_clear(w->allowed);
	} else {
		/* the fallback stays in the cpuset */
		task_lock(current);
		fa_task_allowed(&w->allowed);
		task_unlock(current);
	}
	/* an in-kernel client's node counts even outside the cpuset */
	node_set(nid, w->allowed);
}

/* The next node to try: the nearest allowed one not in @tried yet. */
static int fa_where_next(const struct fa_where *w, const nodemask_t *tried)
{
	nodemask_t left;

	nodes_andnot(left, w->allowed, *tried);
	return fa_nearest_node(w->nid, &left);
}

/*
 * One walk over the nodes of @w not failed yet, nearest first, for @n pool
 * pages all from one node (each pool takes its memory from its own node
 * only). @light: the pools ask the buddy allocator for nothing it must
 * reclaim, and a node that has nothing now is not marked failed.
 */
static int fa_compact_walk(struct fa_where *w, unsigned int mobility,
			   unsigned long n, unsigned long *pfns,
			   unsigned long *zeroed, unsigned int core_flags,
			   bool light)
{
	nodemask_t tried = w->failed;
	struct fa_pool *pool;
	int nid, ret = -ENOMEM;

	while (ret == -ENOMEM) {
		nid = fa_where_next(w, &tried);
		if (nid == NUMA_NO_NODE)
			break;
		node_set(nid, tried);
		mutex_lock(&fa_dev.pool_lock);
		pool = fa_node_pool_get(nid);
		fa_ev_pool_alloc(mobility);
		/* a pool means fa_dev.nodes is still there (pool_lock) */
		if (pool) {
			fa_dev.nodes[nid].light = light;
			ret = fa_pool_alloc_zeroed(pool, mobility, n, pfns,
						   zeroed, core_flags, NULL);
			fa_dev.nodes[nid].light = false;
		}
		mutex_unlock(&fa_dev.pool_lock);
		if (ret == -ENOMEM && !light)
			node_set(nid, w->failed);
	}
	return ret;
}

/*
 * @n pool pages from the first node of @w whose pool has them. Where the
 * request may fall back, a first pass takes whole pageblocks that are free
 * now on any allowed node (no direct reclaim, no loose pages), before the
 * nearest node is reclaimed or broken into loose pages; a request with a
 * single node has the second pass only.
 */
static int fa_compact_chunk(struct fa_where *w, unsigned int mobility,
			    unsigned long n, unsigned long *pfns,
			    unsigned long *zeroed, unsigned int core_flags)
{
	int ret;

	if (nodes_weight(w->allowed) > 1) {
		ret = fa_compact_walk(w, mobility, n, pfns, zeroed,
				      core_flags | FA_ALLOC_STRICT, true);
		if (ret != -ENOMEM)
			return ret;
	}
	return fa_compact_walk(w, mobility, n, pfns, zeroed, core_flags,
			       false);
}

static int fa_compact_alloc(const struct fa_policy *pol,
			    unsigned int mobility, unsigned int flags, int nid,
			    unsigned long nr, struct page **pages,
			    unsigned long *nr_done)
{
	unsigned int core_flags = 0;
	unsigned long done = 0, chunk = FA_CHUNK_PAGES;
	unsigned long *pfns, *zeroed;
	struct fa_where w;
	int ret = 0;

	/* a node id the caller forgot to check would index past the pools */
	if (WARN_ON_ONCE(nid < 0 && nid != NUMA_NO_NODE))
		return -EINVAL;
	if (flags & FRAGALLOC_ALLOC_STRICT)
		core_flags |= FA_ALLOC_STRICT;
	fa_where_init(&w, nid, flags);
	/* the PFNs of a chunk, then a bit each: pre-zeroed */
	pfns = kmalloc_array(FA_CHUNK_PAGES + BITS_TO_LONGS(FA_CHUNK_PAGES),
			     sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;
	zeroed = pfns + FA_CHUNK_PAGES;

	while (done < nr) {
		unsigned long n = min(chunk, nr - done);

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		ret = fa_compact_chunk(&w, mobility, n, pfns, zeroed,
				       core_flags);
		if (ret == -ENOMEM && (flags & FRAGALLOC_ALLOC_BEST_EFFORT) &&
		    chunk > 1) {
			/* Take what fits: halve the request and go on. */
			chunk /= 2;
			nodes_clear(w.failed);
			ret = 0;
			continue;
		}
		if (ret)
			break;
		fa_prep_pool_pages(pages + done, pfns, zeroed, n);
		done += n;
		cond_resched();
	}
	kfree(pfns);

	if (ret && ret != -EINTR && (flags & FRAGALLOC_ALLOC_BEST_EFFORT) &&
	    done)
		ret = 0;
	if (ret) {
		fa_compact_free(pages, done);
		return ret;
	}
	*nr_done = done;
	return 0;
}

static gfp_t fa_user_gfp(void)
{
	return GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN | __GFP_RETRY_MAYFAIL;
}

/* NUMA_NO_NODE: the task's memory policy decides, as for any allocation. */
static struct page *fa_buddy_pages(int nid, gfp_t gfp, unsigned int order)
{
	if (nid == NUMA_NO_NODE)
		return alloc_pages(gfp, order);
	return alloc_pages_node(nid, gfp, order);
}

/* Up to @n pages of @gfp, one alloc_page() each. Return: how many. */
static unsigned long fa_plain_fill(struct page **pages, unsigned long n,
				   int nid, gfp_t gfp)
{
	unsigned long got;

	for (got = 0; got < n; got++) {
		pages[got] = fa_buddy_pages(nid, gfp, 0);
		if (!pages[got])
			break;
	}
	return got;
}

/*
 * The bulk allocator reads no memory policy (alloc_pages_bulk_array() is
 * the local node's): the task's is applied here as the pool applies it
 * (fa_where_mempolicy(): interleave sends every page to one node), a bind
 * as its nodemask.
 */
static unsigned long fa_bulk_fill(struct page **pages, unsigned long n,
				  int nid, gfp_t gfp)
{
	nodemask_t *mask = NULL;
	unsigned long got = 0, prev;
	struct fa_where w;

	memset(pages, 0, n * sizeof(*pages));
	if (nid == NUMA_NO_NODE) {
		fa_where_task(&w);
		nid = w.nid;
		mask = w.bind ? &w.allowed : NULL;
	}
	/*
	 * Short of free pages on the per-CPU and zone lists, the bulk
	 * allocator takes one page the slow way (reclaim included) and
	 * returns: called again, as its callers do, it fills the empty
	 * entries that follow (its return is how many are populated), until
	 * a call adds nothing.
	 */
	do {
		prev = got;
		got = __alloc_pages_bulk(gfp, nid, mask, n, NULL, pages);
	} while (got < n && got > prev);
	return got;
}

static struct page *fa_alloc_highorder_chunk(unsigned long left, int nid,
					     gfp_t base, unsigned int *order)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fa_highorders); i++) {
		unsigned int o = fa_highorders[i];
		gfp_t gfp = base;
		struct page *page;

		if ((1UL << o) > left)
			continue;
		if (o)
			gfp = (gfp & ~__GFP_RETRY_MAYFAIL) | __GFP_NORETRY;
		page = fa_buddy_pages(nid, gfp, o);
		if (page) {
			if (o)
				split_page(page, o);
			*order = o;
			return page;
		}
	}
	return NULL;
}

static unsigned long fa_highorder_fill(struct page **pages, unsigned long n,
				       int nid, gfp_t gfp)
{
	unsigned long got = 0, i;
	unsigned int order;
	struct page *page;

	while (got < n) {
		page = fa_alloc_highorder_chunk(n - got, nid, gfp, &order);
		if (!page)
			break;
		for (i = 0; i < (1UL << order); i++)
			pages[got + i] = page + i;
		got += 1UL << order;
	}
	return got;
}

#ifdef FA_MOVABLE
/*
 * The movable policy's pages: from movable pageblocks (of @nid, strictly if
 * @gfp says so), registered with the kernel once their batch has a handle
 * (fa_movable_publish()). Taken in split high-order chunks where free memory
 * has them, as the highorder policy takes its own, without asking for
 * compaction (__GFP_NORETRY above order 0): order-0 pages would come from
 * wherever the free lists have them and spread a batch over many more
 * pageblocks, so that a huge-page request after it needs the kernel to move
 * most of them first (docs/CORE.md, "The movable policy"); each page is
 * still registered, and moved, on its own.
 */
static unsigned long fa_movable_fill(struct page **pages, unsigned long n,
				     int nid, gfp_t gfp)
{
	return fa_highorder_fill(pages, n, nid,
				 GFP_HIGHUSER_MOVABLE | __GFP_ZERO |
				 __GFP_NOWARN | __GFP_RETRY_MAYFAIL |
				 (gfp & __GFP_THISNODE));
}
#endif

/* Count (@sign 1) or uncount (-1) buddy pages in their nodes' figures. */
void fa_other_account(struct page **pages, unsigned long nr, long sign)
{
	unsigned long i, run = 0;
	int nid = NUMA_NO_NODE;

	for (i = 0; i <= nr; i++) {
		if (i < nr && !pages[i])
			continue;
		if (i < nr && page_to_nid(pages[i]) == nid) {
			run++;
			continue;
		}
		if (run)
			atomic_long_add(sign * run,
					&fa_dev.nodes[nid].other_pages);
		if (i < nr) {
			nid = page_to_nid(pages[i]);
			run = 1;
		}
	}
}

static void fa_buddy_free(struct page **pages, unsigned long nr)
{
	unsigned long i, freed = 0;

	fa_other_account(pages, nr, -1);
	for (i = 0; i < nr; i++) {
		if (!pages[i])
			continue;
		__free_page(pages[i]);
		freed++;
	}
	atomic_long_sub(freed, &fa_dev.other_pages);
}

/* The policies that allocate straight from the buddy allocator. */
static int fa_buddy_alloc(const struct fa_policy *pol, unsigned int mobility,
			  unsigned int flags, int nid, unsigned long nr,
			  struct page **pages, unsigned long *nr_done)
{
	gfp_t gfp = fa_user_gfp();
	unsigned long done = 0;
	int ret = 0;

	/* see fa_compact_alloc() */
	if (WARN_ON_ONCE(nid < 0 && nid != NUMA_NO_NODE))
		return -EINVAL;
	if (flags & FRAGALLOC_ALLOC_THISNODE)
		gfp |= __GFP_THISNODE;
	while (done < nr) {
		unsigned long n = min(FA_CHUNK_PAGES, nr - done);
		unsigned long got;

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		got = pol->fill(pages + done, n, nid, gfp);
		done += got;
		if (got < n) {
			ret = -ENOMEM;
			break;
		}
		cond_resched();
	}

	/* Counted now: fa_buddy_free() uncounts what it frees. */
	atomic_long_add(done, &fa_dev.other_pages);
	fa_other_account(pages, done, 1);
	if (ret == -ENOMEM && (flags & FRAGALLOC_ALLOC_BEST_EFFORT) && done)
		ret = 0;
	if (ret) {
		fa_buddy_free(pages, done);
		return ret;
	}
	*nr_done = done;
	return 0;
}

/* A policy that takes its pages from the buddy allocator, @_fill at a time. */
#define FA_BUDDY_POLICY(_fill) {				\
	.alloc = fa_buddy_alloc,				\
	.free = fa_buddy_free,					\
	.fill = _fill,						\
	.alloc_flags = FRAGALLOC_ALLOC_BEST_EFFORT |		\
		       FRAGALLOC_ALLOC_NODE |			\
		       FRAGALLOC_ALLOC_THISNODE,		\
}

static const struct fa_policy fa_policies[FRAGALLOC_NR_POLICIES] = {
	[FRAGALLOC_POLICY_COMPACT] = {
		.alloc = fa_compact_alloc,
		.free = fa_compact_free,
		.alloc_flags = FRAGALLOC_ALLOC_BEST_EFFORT |
			       FRAGALLOC_ALLOC_STRICT |
			       FRAGALLOC_ALLOC_NODE |
			       FRAGALLOC_ALLOC_THISNODE,
		.pooled = true,
	},
	[FRAGALLOC_POLICY_PLAIN] = FA_BUDDY_POLICY(fa_plain_fill),
	[FRAGALLOC_POLICY_BULK] = FA_BUDDY_POLICY(fa_bulk_fill),
	[FRAGALLOC_POLICY_HIGHORDER] = FA_BUDDY_POLICY(fa_highorder_fill),
#ifdef FA_MOVABLE
	/* Registered with the kernel's compaction, which moves them (movable.c). */
	[FRAGALLOC_POLICY_MOVABLE] = {
		.alloc = fa_buddy_alloc, .fill = fa_movable_fill,
		.free = fa_movable_free, .free_unlocked = true,
		.publish = fa_movable_publish,
		.alloc_flags = FRAGALLOC_ALLOC_BEST_EFFORT |
			       FRAGALLOC_ALLOC_NODE |
			       FRAGALLOC_ALLOC_THISNODE,
	},
#else
	/* No .alloc: refused with -EOPNOTSUPP, after the usual checks. */
	[FRAGALLOC_POLICY_MOVABLE] = {
		.alloc_flags = FRAGALLOC_ALLOC_BEST_EFFORT |
			       FRAGALLOC_ALLOC_NODE |
			       FRAGALLOC_ALLOC_THISNODE,
	},
#endif
};

/**
 * fa_policy_get() - the policy of a number
 * @policy: &enum fragalloc_policy, possibly user controlled
 *
 * Return: the policy, or NULL when @policy is out of range.
 */
const struct fa_policy *fa_policy_get(unsigned int policy)
{
	if (policy >= ARRAY_SIZE(fa_policies))
		return NULL;
	/* Spectre v1: the index may come from an ioctl. */
	return &fa_policies[array_index_nospec(policy,
					       ARRAY_SIZE(fa_policies))];
}

static int fa_cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/**
 * fa_pages_count_blocks() - distinct pageblocks a set of pages lies in
 * @pages: the pages, of any policy; NULL entries are skipped
 * @nr: entries in @pages
 * @nr_blocks: receives the number of distinct pageblocks
 * @nr_loose: receives how many pages lie outside whole pool pageblocks
 *
 * Return: 0 or -ENOMEM.
 */
int fa_pages_count_blocks(struct page **pages, unsigned long nr,
			  u64 *nr_blocks, u64 *nr_loose)
{
	unsigned long *blocks, i, n = 0, distinct = 0, loose = 0;
	struct fa_pool *pool;

	blocks = kvmalloc_array(max(nr, 1UL), sizeof(*blocks), GFP_KERNEL);
	if (!blocks)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		unsigned long pfn;

		if (!pages[i])
			continue;
		pfn = page_to_pfn(pages[i]);
		blocks[n++] = pfn >> pageblock_order;
	}
	/* The pool's view, a chunk at a time: the lock is never held long. */
	for (i = 0; i < n; i++) {
		if (!(i % FA_CHUNK_PAGES)) {
			if (i) {
				mutex_unlock(&fa_dev.pool_lock);
				cond_resched();
			}
			mutex_lock(&fa_dev.pool_lock);
		}
		pool = fa_pfn_pool(blocks[i] << pageblock_order);
		if (pool && (fa_pool_block_flags(pool,
						 blocks[i] << pageblock_order) &
			     FA_BF_STATE_MASK) == FA_BS_LOOSE)
			loose++;
	}
	if (n)
		mutex_unlock(&fa_dev.pool_lock);
	sort(blocks, n, sizeof(*blocks), fa_cmp_ulong, NULL);
	for (i = 0; i < n; i++)
		if (!i || blocks[i] != blocks[i - 1])
			distinct++;
	kvfree(blocks);
	*nr_blocks = distinct;
	*nr_loose = loose;
	return 0;
}

/**
 * fa_pages_count_nodes() - the pages of a batch, node by node
 * @pages: the pages, of any policy; NULL entries are skipped
 * @nr: entries in @pages
 * @counts: nr_node_ids entries, zeroed by the caller: pages per node id
 *
 * Return: how many nodes hold pages.
 */
unsigned int fa_pages_count_nodes(struct page **pages, unsigned long nr,
				  u64 *counts)
{
	unsigned int nodes = 0;
	unsigned long i;

	for (i = 0; i < nr; i++) {
		if (!pages[i])
			continue;
		nodes += !counts[page_to_nid(pages[i])]++;
		if (!(i % FA_CHUNK_PAGES))
			cond_resched();
	}
	return nodes;
}

/**
 * fa_node_check() - the node id @nid, if pages can be asked of it
 * @nid: a node id, possibly user controlled
 *
 * Return: @nid clamped against speculation (it indexes the per-node pools,
 * and the clamp comes before the node bitmap is tested), for an online node
 * with memory; else -EINVAL.
 */
int fa_node_check(int nid)
{
	if (nid < 0 || nid >= nr_node_ids)
		return -EINVAL;
	nid = array_index_nospec(nid, nr_node_ids);
	return node_state(nid, N_MEMORY) ? nid : -EINVAL;
}

/**
 * fa_node_valid() - whether pages can be asked of node @nid
 * @nid: a node id, possibly user controlled
 *
 * Return: true for an online node with memory.
 */
bool fa_node_valid(int nid)
{
	return fa_node_check(nid) >= 0;
}
