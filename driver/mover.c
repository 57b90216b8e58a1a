// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: recompaction, the mover.
 *
 * The core's planner picks the fewest page moves that leave each class with
 * at most one partial pageblock and reserves their destinations. The moves
 * then go in runs: consecutive planned moves of one batch's pages within
 * FA_RUN_PAGES of each other run under one hold of the file's lock, taken
 * for writing so no fault can map the pages meanwhile: one zap of the
 * run's span (one TLB flush), copy each page, switch the batch's
 * references, and give the old pages back (a block returns to the buddy
 * allocator when it empties). A client's page is a run of its own, under
 * the client's lock, through its move(). A thread touching a page either
 * wrote to the old page before the zap, which the copy carries over, or
 * faults after the switch and gets the new page. Between runs no lock is
 * held, so faults and other ioctls go on; a fatal signal stops the
 * recompaction with everything consistent and the moves made so far kept.
 *
 * The invariant that makes this safe against a page freed after the plan:
 * nothing the mover acts on comes from a struct page alone.
 *  - Movability is the pool's own record (FA_POOL_MOVABLE_MARKS): a page is
 *    planned only while the core marks it, fa_pool_free() clears the mark,
 *    and the mark is set only after the owner's tag was written.
 *  - A page's owner tag (page->private, page->index of a file's page) is an
 *    id, never a pointer, and is read only under fa_dev.pool_lock while the
 *    page is marked. The id is looked up in fa_dev.file_ids (files_lock held
 *    for a pool-wide run; in a file's own run only its own id counts).
 *    Client pages are never tagged (their fields are the client's): the
 *    client's page registry says whose they are. In a file's own run a
 *    client page's private may still be read as a would-be id; it can only
 *    match the file's own id by chance, and then the batch check refuses.
 *  - Before anything is copied or switched, the owner's own record is
 *    checked under the lock that guards it: the batch must still hold the
 *    page at that index (fa_file.lock), or the client's registry must
 *    still hold it (fragalloc_client.lock). FREE changes those records
 *    under the same locks, so a page freed, or freed and handed out again,
 *    since the plan fails the check and its move is abandoned.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include <linux/fragalloc_kapi.h>

#include "fa.h"
#include "fa_events.h"

/**
 * fa_page_tag() - record which batch page a pool page is
 * @page: the page
 * @id: its file's id, or 0 to clear the record
 * @handle: its batch
 * @idx: its index in the batch
 *
 * Written before the page is marked movable, cleared under the pool lock
 * before the page goes back to the pool.
 */
void fa_page_tag(struct page *page, u32 id, u32 handle, unsigned long idx)
{
	set_page_private(page, id);
	page->index = id ? ((unsigned long)handle << 32) | idx : 0;
}

/**
 * fa_in_recompaction() - whether the caller runs inside a recompaction
 *
 * True within a client's move(): the in-kernel API refuses what would
 * deadlock there.
 */
bool fa_in_recompaction(void)
{
	return READ_ONCE(fa_dev.recompact_task) == current;
}

/* Whose a marked page is, as far as its tag and the registries tell. */
struct fa_owner_ref {
	struct fa_file *ff;
	u32 handle;
	unsigned long idx;
	struct fragalloc_client *client;
	unsigned long cookie;
};

/* The client whose registry holds @pfn; files_lock held (pool scope). */
static struct fragalloc_client *fa_client_of(unsigned long pfn)
{
	struct fragalloc_client *c;

	list_for_each_entry(c, &fa_dev.clients, node)
		if (xa_load(&c->pages, pfn))
			return c;
	return NULL;
}

/*
 * Called under the pool lock, for a page the pool marks movable. Follows no
 * pointer read from the page: ids are looked up, and only the scope's own
 * owner or a registered one is ever returned.
 */
static bool fa_owner_of(const struct fa_scope *scope, unsigned long pfn,
			struct fa_owner_ref *ref)
{
	struct page *page = pfn_to_page(pfn);
	struct fragalloc_client *client = NULL;
	unsigned long id;
	void *entry;

	memset(ref, 0, sizeof(*ref));
	if (scope->kind == FA_SCOPE_CLIENT)
		client = scope->client;
	else if (scope->kind == FRAGALLOC_SCOPE_POOL)
		client = fa_client_of(pfn);
	if (client) {
		entry = xa_load(&client->pages, pfn);
		/* reclaim calls no move(): it may wait on anything */
		if (!entry || scope->reclaim)
			return false;
		ref->client = client;
		ref->cookie = xa_to_value(entry);
		return true;
	}
	if (scope->kind == FA_SCOPE_CLIENT)
		return false;

	id = page_private(page);
	if (!id || id > U32_MAX)
		return false;
	if (scope->kind == FRAGALLOC_SCOPE_POOL)
		ref->ff = xa_load(&fa_dev.file_ids, id);
	else if (id == scope->ff->id)
		ref->ff = scope->ff;
	if (!ref->ff)
		return false;
	ref->handle = page->index >> 32;
	ref->idx = page->index & U32_MAX;
	return scope->kind != FRAGALLOC_SCOPE_BATCH ||
	       ref->handle == scope->handle;
}

/* The planner's test; called under the pool lock. */
static bool fa_movable(void *data, unsigned long pfn)
{
	struct fa_owner_ref ref;

	return fa_owner_of(data, pfn, &ref);
}

static void fa_pool_put_page(struct page *page)
{
	unsigned long pfn = page_to_pfn(page);

	mutex_lock(&fa_dev.pool_lock);
	fa_page_tag(page, 0, 0, 0);
	fa_pfns_free(&pfn, 1);
	mutex_unlock(&fa_dev.pool_lock);
}

/* Move a client's page: the client copies and switches its references. */
static bool fa_move_client_page(struct fragalloc_client *client,
				struct page *src, struct page *dst)
{
	unsigned long spfn = page_to_pfn(src), dpfn = page_to_pfn(dst);
	bool moved = false;
	void *entry;

	mutex_lock(&client->lock);
	/* Freed since the plan? Then leave it. */
	entry = xa_load(&client->pages, spfn);
	if (!entry || xa_reserve(&client->pages, dpfn, GFP_KERNEL))
		goto out;
	client->mover = current;
	client->moving = src;
	moved = client->move(client, src, dst, xa_to_value(entry));
	client->moving = NULL;
	client->mover = NULL;
	/*
	 * The registry still holds @src as before: only this task may change
	 * it now (the lock is ours), and from inside move() freeing @src is
	 * refused and allocating cannot hand out @src, which is in use.
	 */
	if (moved) {
		/* The slot was reserved: this store allocates nothing. */
		xa_store(&client->pages, dpfn, entry, GFP_NOWAIT);
		xa_erase(&client->pages, spfn);
		fa_pages_set_movable(&dst, 1, true);
	} else {
		xa_release(&client->pages, dpfn);
	}
out:
	mutex_unlock(&client->lock);
	return moved;
}

/* Copy @src to @dst and switch @b's slot @idx to @dst; PTEs zapped already. */
static void fa_batch_switch_page(struct fa_file *ff, struct fa_batch *b,
				 unsigned long idx, struct page *src,
				 struct page *dst)
{
	copy_highpage(dst, src);
	b->pages[idx] = dst;
	fa_page_tag(dst, ff->id, b->handle, idx);
}

/**
 * fa_batch_move_page() - move one page of a batch to @dst
 * @ff: the batch's file, its lock held for writing
 * @b: the batch, which holds @src at @idx (checked by the caller)
 * @idx: the page's index
 * @src: the page
 * @dst: where it goes
 *
 * Zaps the page's PTEs, copies it and switches the batch's reference: a
 * thread that wrote before the zap has its write copied, one that touches
 * the page after it faults, waits for the lock and maps @dst. The caller
 * deals with both pages' ownership (the pool's, or the kernel's migration).
 */
void fa_batch_move_page(struct fa_file *ff, struct fa_batch *b,
			unsigned long idx, struct page *src, struct page *dst)
{
	fa_zap_range(ff, b->pgoff + idx, 1);
	fa_batch_switch_page(ff, b, idx, src, dst);
}

/*
 * Pages a run moves under one hold of the file's lock, with one zap and one
 * TLB flush: a fault on the run's pages waits that long (docs/BENCHMARKS.md
 * "Speed" has the measured bound).
 */
#define FA_RUN_PAGES	32

/*
 * A run: consecutive planned moves of one batch's pages, whose indexes lie
 * within FA_RUN_PAGES of each other, so one zap covers them all.
 */
struct fa_run {
	struct fa_file *ff;
	u32 handle;
	unsigned long lo, hi;
	unsigned int n;
	unsigned long idx[FA_RUN_PAGES];
	bool moved[FA_RUN_PAGES];
};

/*
 * Move a run of a file's pages: each only once its batch proves the page is
 * still there. One zap of the run's span, then the copies and the switches,
 * all under the file's lock for writing, so no fault maps an old page again
 * and none sees a new page before its copy. Return: pages moved.
 */
static unsigned int fa_move_file_run(struct fa_run *run,
				     const struct fa_move *mv)
{
	unsigned long pfns[FA_RUN_PAGES];
	struct fa_file *ff = run->ff;
	unsigned int k, nr = 0;
	struct fa_batch *b;

	down_write(&ff->lock);
	b = xa_load(&ff->batches, run->handle);
	for (k = 0; b && k < run->n; k++) {
		run->moved[k] = run->idx[k] < b->nr_pages &&
				b->pages[run->idx[k]] == pfn_to_page(mv[k].src);
		nr += run->moved[k];
	}
	if (!nr)
		goto out;
	fa_zap_range(ff, b->pgoff + run->lo, run->hi - run->lo + 1);
	nr = 0;
	for (k = 0; k < run->n; k++) {
		struct page *dst = pfn_to_page(mv[k].dst);

		if (!run->moved[k])
			continue;
		fa_batch_switch_page(ff, b, run->idx[k], pfn_to_page(mv[k].src),
				     dst);
		pfns[nr++] = mv[k].dst;
	}
	mutex_lock(&fa_dev.pool_lock);
	fa_pfns_set_movable(pfns, nr, true);
	mutex_unlock(&fa_dev.pool_lock);
out:
	up_write(&ff->lock);
	return nr;
}

/*
 * Whether planned move @mv still stands: still marked, still of the planned
 * class (a loose page freed and handed out again may now be another
 * class's), still its owner's. Pool lock held.
 */
static bool fa_move_valid(const struct fa_scope *scope, unsigned int cls,
			  const struct fa_move *mv, struct fa_owner_ref *ref)
{
	struct fa_pool *pool = fa_pfn_pool(mv->src);

	return pool && fa_pool_page_movable(pool, mv->src) &&
	       fa_pool_page_class(pool, mv->src) == cls &&
	       fa_owner_of(scope, mv->src, ref);
}

/*
 * Gather the run that starts at @mv[0] (at most @left moves) under the pool
 * lock: the owners are looked up again, the plan's view may be stale. The
 * owner stays alive: in the fd scopes it is the caller's own file or
 * client; in the pool scope files_lock keeps every registered file and
 * client. Return: moves the run takes (0: @mv[0] is abandoned); @ref0
 * gets @mv[0]'s owner: a client's page is a run of its own (its move() is
 * the client's, under the client's lock).
 */
static unsigned int fa_gather_run(const struct fa_scope *scope,
				  unsigned int cls, const struct fa_move *mv,
				  unsigned long left, struct fa_run *run,
				  struct fa_owner_ref *ref0)
{
	struct fa_owner_ref ref;
	unsigned int k;

	left = min_t(unsigned long, left, FA_RUN_PAGES);
	mutex_lock(&fa_dev.pool_lock);
	run->n = 0;
	if (!fa_move_valid(scope, cls, mv, ref0))
		goto out;
	run->n = 1;
	if (ref0->client)
		goto out;
	run->ff = ref0->ff;
	run->handle = ref0->handle;
	run->lo = ref0->idx;
	run->hi = ref0->idx;
	run->idx[0] = ref0->idx;
	for (k = 1; k < left; k++) {
		if (!fa_move_valid(scope, cls, &mv[k], &ref) ||
		    ref.ff != run->ff || ref.handle != run->handle ||
		    max(run->hi, ref.idx) - min(run->lo, ref.idx) >=
		    FA_RUN_PAGES)
			break;
		run->idx[k] = ref.idx;
		run->lo = min(run->lo, ref.idx);
		run->hi = max(run->hi, ref.idx);
		run->n++;
	}
out:
	mutex_unlock(&fa_dev.pool_lock);
	return run->n;
}

/*
 * Move the run of planned moves that starts at @mv[0]. Every move it takes
 * is settled: the old page of a move made, or the reserved destination of
 * one abandoned, goes back to the pool. Return: moves settled (>= 1).
 */
static unsigned int fa_move_run(const struct fa_scope *scope, unsigned int cls,
				const struct fa_move *mv, unsigned long left,
				unsigned long *nr_moved)
{
	unsigned long pfns[FA_RUN_PAGES];
	struct fa_owner_ref ref;
	struct fa_run run;
	unsigned int k, n;

	n = fa_gather_run(scope, cls, mv, left, &run, &ref);
	memset(run.moved, 0, sizeof(run.moved));
	if (n && ref.client)
		run.moved[0] = fa_move_client_page(ref.client,
						   pfn_to_page(mv->src),
						   pfn_to_page(mv->dst));
	else if (n)
		fa_move_file_run(&run, mv);
	n = max(n, 1U);

	mutex_lock(&fa_dev.pool_lock);
	for (k = 0; k < n; k++) {
		pfns[k] = run.moved[k] ? mv[k].src : mv[k].dst;
		if (run.moved[k]) {
			fa_ev_page_move(mv[k].src, mv[k].dst, cls);
			(*nr_moved)++;
		}
		fa_page_tag(pfn_to_page(pfns[k]), 0, 0, 0);
	}
	fa_pfns_free(pfns, n);
	mutex_unlock(&fa_dev.pool_lock);
	return n;
}

static int fa_apply_moves(const struct fa_scope *scope, unsigned int cls,
			  const struct fa_move *moves, unsigned long n,
			  unsigned long *nr_moved)
{
	unsigned long i;
	int ret = 0;

	for (i = 0; i < n && !ret; ) {
		if (fatal_signal_pending(current))
			ret = -EINTR;
		else
			i += fa_move_run(scope, cls, moves + i, n - i,
					 nr_moved);
		cond_resched();
	}
	/* Abandoned: the reserved destinations go back. */
	for (; i < n; i++)
		fa_pool_put_page(pfn_to_page(moves[i].dst));
	return ret;
}

/*
 * Reclaim: one move with the pool lock held (fa_reclaim()). The file's lock
 * is only tried; a move that cannot have it is abandoned.
 */
static bool fa_reclaim_move(const struct fa_scope *scope,
			    struct fa_pool *pool, const struct fa_move *mv)
{
	struct page *src = pfn_to_page(mv->src), *dst = pfn_to_page(mv->dst);
	struct fa_owner_ref ref;
	struct fa_file *ff;
	struct fa_batch *b;
	bool moved = false;

	if (!fa_pool_page_movable(pool, mv->src) ||
	    !fa_owner_of(scope, mv->src, &ref) || !ref.ff)
		return false;
	ff = ref.ff;
	if (!down_write_trylock(&ff->lock))
		return false;
	b = xa_load(&ff->batches, ref.handle);
	if (b && ref.idx < b->nr_pages && b->pages[ref.idx] == src) {
		fa_batch_move_page(ff, b, ref.idx, src, dst);
		fa_pool_set_movable(pool, &mv->dst, 1, true);
		fa_ev_page_move(mv->src, mv->dst,
				fa_pool_page_class(pool, mv->dst));
		moved = true;
	}
	up_write(&ff->lock);
	return moved;
}

/*
 * One planned round of class @cls of @pool (pool lock held). Return: pages
 * moved.
 */
static unsigned long fa_reclaim_class(const struct fa_scope *scope,
				      struct fa_pool *pool, unsigned int cls)
{
	unsigned long moved = 0, i;
	long n;

	n = fa_plan(pool, cls, fa_movable, (void *)scope,
		    fa_dev.reclaim_moves, FA_RECLAIM_MOVES, 0, NULL);
	for (i = 0; n > 0 && i < n; i++) {
		const struct fa_move *mv = &fa_dev.reclaim_moves[i];
		bool ok = fa_reclaim_move(scope, pool, mv);
		unsigned long pfn = ok ? mv->src : mv->dst;

		if (ok) {
			fa_page_tag(pfn_to_page(mv->src), 0, 0, 0);
			moved++;
		}
		fa_pool_free(pool, &pfn, 1);
		cond_resched();
	}
	if (n >= 0)
		fa_plan_finish(pool, cls);
	return moved;
}

/*
 * One class step of fa_reclaim_recompact() on node @nid's pool: the pool
 * lock only tried. Return: false when it could not be had (or the pool is
 * gone); *@given and *@moved grow.
 */
static bool fa_reclaim_step(const struct fa_scope *scope, unsigned int cls,
			    unsigned long *given, unsigned long *moved)
{
	struct fa_pool_stats st0, st1;
	struct fa_pool *pool;
	unsigned long step;

	if (!mutex_trylock(&fa_dev.pool_lock))
		return false;
	pool = fa_node_pool(scope->nid);
	if (!pool) {
		mutex_unlock(&fa_dev.pool_lock);
		return false;
	}
	fa_pool_get_stats(pool, &st0);
	step = fa_reclaim_class(scope, pool, cls);
	/* what the moves emptied went to the reserve */
	fa_pool_trim(pool, ULONG_MAX);
	fa_pool_get_stats(pool, &st1);
	*given += (st1.blocks_released - st0.blocks_released) <<
		  pageblock_order;
	fa_dev.nodes[scope->nid].recompact_moved += step;
	mutex_unlock(&fa_dev.pool_lock);
	*moved += step;
	return true;
}

/*
 * The recompaction step of fa_reclaim() for node @nid: every lock only
 * tried, the pool's last; rounds until nothing moves (at most
 * FA_RECLAIM_ROUNDS). Return: pages the rounds gave back; *moved gets the
 * moves made.
 */
static unsigned long fa_reclaim_recompact(int nid, bool greedy,
					  unsigned long *moved)
{
	struct fa_scope scope = { .kind = FRAGALLOC_SCOPE_POOL,
				  .reclaim = true, .one_node = true,
				  .nid = nid };
	unsigned long given = 0;
	unsigned int cls, round;

	*moved = 0;
	/*
	 * Direct reclaim waits for a running shrinker recompaction (kswapd's)
	 * rather than coming back empty-handed while that run is giving the
	 * pool's memory back: only the shrinker takes reclaim_lock, and its
	 * holder never waits for memory, so the wait ends. kswapd only tries.
	 */
	if (greedy)
		mutex_lock(&fa_dev.reclaim_lock);
	else if (!mutex_trylock(&fa_dev.reclaim_lock))
		return 0;
	if (!mutex_trylock(&fa_dev.recompact_lock))
		goto out_reclaim;
	if (!mutex_trylock(&fa_dev.files_lock))
		goto out_recompact;
	WRITE_ONCE(fa_dev.recompact_task, current);
	/*
	 * In rounds of at most FA_RECLAIM_MOVES moves per class, while they
	 * make progress, however little was asked for: recompaction keeps the
	 * pages packed (splitting pageblocks does not), every block it empties
	 * goes back whole, and the pool is left at its optimum. The pool lock
	 * is taken per class step, so that between steps other reclaimers
	 * trim and split, and each step's emptied blocks go back at once.
	 */
	for (round = 0; round < FA_RECLAIM_ROUNDS; round++) {
		unsigned long moved0 = *moved;

		for (cls = 0; cls < FA_NR_CLASSES; cls++) {
			if (!fa_reclaim_step(&scope, cls, &given, moved))
				goto out_files;
			cond_resched();
		}
		if (*moved == moved0)
			break;
	}
out_files:
	WRITE_ONCE(fa_dev.recompact_task, NULL);
	mutex_unlock(&fa_dev.files_lock);
out_recompact:
	mutex_unlock(&fa_dev.recompact_lock);
out_reclaim:
	mutex_unlock(&fa_dev.reclaim_lock);
	return given;
}

/* Steps 1 and 3 of fa_reclaim(): the pool lock only tried. */
static unsigned long fa_reclaim_trim(int nid, bool greedy,
				     unsigned long *nr_pages, bool *contended)
{
	struct fa_pool *pool;
	unsigned long given = 0;

	if (!mutex_trylock(&fa_dev.pool_lock)) {
		*contended = true;
		return 0;
	}
	pool = fa_node_pool(nid);
	if (pool) {
		if (greedy)
			*nr_pages = max_t(unsigned long, *nr_pages,
					  fa_pool_reclaimable_pages(pool) / 2);
		given = fa_pool_trim(pool, ULONG_MAX) << pageblock_order;
	}
	mutex_unlock(&fa_dev.pool_lock);
	return given;
}

static unsigned long fa_reclaim_break(int nid, unsigned long nr_pages,
				      bool *contended)
{
	struct fa_node *node = &fa_dev.nodes[nid];
	unsigned long given = 0;
	struct fa_pool_stats st;
	struct fa_pool *pool;
	unsigned int cls;
	u64 broken;

	if (!mutex_trylock(&fa_dev.pool_lock)) {
		*contended = true;
		return 0;
	}
	pool = fa_node_pool(nid);
	if (pool) {
		fa_pool_get_stats(pool, &st);
		broken = st.blocks_broken;
		for (cls = 0; cls < FA_NR_CLASSES && given < nr_pages; cls++)
			given += fa_pool_break(pool, cls, nr_pages - given, 1);
		fa_pool_get_stats(pool, &st);
		atomic64_add(st.blocks_broken - broken, &node->shrink_broken);
	}
	mutex_unlock(&fa_dev.pool_lock);
	return given;
}

/**
 * fa_reclaim() - give memory back under pressure (the shrinker's scan)
 * @nid: the node reclaim wants memory on: only its pool gives back
 * @nr_pages: pages wanted
 * @greedy: give back at least half of what is reclaimable (direct reclaim)
 * @contended: set when a lock could not be had (the caller reports
 *	SHRINK_STOP rather than nothing)
 *
 * Reclaim's rules: only trylocks, so a task that holds one of these locks
 * while it allocates (ALLOC holds the pool lock across the buddy
 * allocator) is never waited for; the reserve and the splitting of
 * pageblocks need only the pool lock, so they go on while a recompaction
 * (or another shrinker run, reclaim_lock) holds the others. No memory
 * needed (the move buffer is preallocated, destinations are free pages in
 * blocks the pool already owns: no FA_PLAN_GROW); a bounded number of moves
 * with cond_resched() between them. In order: the reserve of empty blocks;
 * recompaction of file pages into the fullest blocks (a move whose file
 * lock is busy is abandoned; client pages are not moved, their move() may
 * wait on anything); then, for what could not move, the free pages of the
 * emptiest partial blocks go back one by one (fa_pool_break()), keeping
 * the fullest partial block of each class.
 *
 * Return: pages given back to the buddy allocator.
 */
unsigned long fa_reclaim(int nid, unsigned long nr_pages, bool greedy,
			 bool *contended)
{
	struct fa_node *node = &fa_dev.nodes[nid];
	unsigned long given, moved;
	unsigned int noreclaim;

	/*
	 * Whoever calls (kswapd, direct reclaim, drop_caches): nothing in
	 * here may recurse into reclaim (the planner's scratch allocation).
	 */
	noreclaim = memalloc_noreclaim_save();
	*contended = false;

	/* 1. The reserve of empty blocks: the pool lock alone. */
	given = fa_reclaim_trim(nid, greedy, &nr_pages, contended);
	/* 2. Recompaction, if its locks can be had. */
	if (given < nr_pages)
		given += fa_reclaim_recompact(nid, greedy, &moved);
	/* 3. What could not move: split pageblocks, the pool lock alone. */
	if (given < nr_pages)
		given += fa_reclaim_break(nid, nr_pages - given, contended);
	if (given) {
		atomic64_inc(&node->shrink_runs);
		atomic64_add(given, &node->shrink_pages);
	}
	memalloc_noreclaim_restore(noreclaim);
	return given;
}

/* Whether recompactions of @scope work on node @nid's pool. */
static bool fa_scope_node(const struct fa_scope *scope, int nid)
{
	return !scope->one_node || scope->nid == nid;
}

/*
 * Owned blocks of every class of every node; with @mark, each node's
 * reserve and count of blocks ever released are noted for
 * fa_recompact_release().
 */
static u64 fa_pool_blocks(bool mark)
{
	struct fa_pool_stats st;
	struct fa_pool *pool;
	u64 blocks = 0;
	unsigned int i;
	int nid;

	mutex_lock(&fa_dev.pool_lock);
	for (nid = fa_next_pool(0, &pool); nid < nr_node_ids;
	     nid = fa_next_pool(nid + 1, &pool)) {
		fa_pool_get_stats(pool, &st);
		if (mark) {
			fa_dev.nodes[nid].run_reserve = st.reserve_blocks;
			fa_dev.nodes[nid].run_released = st.blocks_released;
		}
		for (i = 0; i < FA_NR_CLASSES; i++)
			blocks += st.cls[i].blocks;
	}
	mutex_unlock(&fa_dev.pool_lock);
	return blocks;
}

static int fa_recompact_class(const struct fa_scope *scope, int nid,
			      unsigned int cls, struct fa_move *moves,
			      unsigned long cap, bool dry_run,
			      struct fragalloc_recompact *out)
{
	struct fa_plan_result res = { 0 };
	unsigned long moved = 0;
	struct fa_pool *pool;
	long n;
	int ret;

	mutex_lock(&fa_dev.pool_lock);
	pool = fa_node_pool(nid);
	if (!pool) {
		mutex_unlock(&fa_dev.pool_lock);
		return 0;
	}
	/* pageblocks the plan takes (FA_PLAN_GROW) are @cls's, for the events */
	fa_ev_pool_alloc(cls);
	/*
	 * Loose pages go back into whole pageblocks when some can be had.
	 * The plan's pages are all the node's: its moves stay on the node.
	 */
	n = fa_plan(pool, cls, fa_movable, (void *)scope, moves, cap,
		    FA_PLAN_GROW | (dry_run ? FA_PLAN_DRY_RUN : 0), &res);
	mutex_unlock(&fa_dev.pool_lock);
	if (n < 0)
		return n;
	if (dry_run) {
		out->out_blocks_released += res.blocks_before - res.blocks_after;
		out->out_pages_planned += res.nr_moves;
		return 0;
	}
	out->out_pages_planned += n;

	ret = fa_apply_moves(scope, cls, moves, n, &moved);

	/* the pool lives as long as the module: no node loses its pool */
	mutex_lock(&fa_dev.pool_lock);
	fa_plan_finish(pool, cls);
	fa_dev.nodes[nid].recompact_moved += moved;
	mutex_unlock(&fa_dev.pool_lock);
	out->out_pages_moved += moved;
	out->out_bytes_copied += (u64)moved << PAGE_SHIFT;
	return ret;
}

/*
 * The most pages a plan of @scope can move: a plan never moves more pages
 * than its scope holds, nor more than @max_pages (0: no cap). Return: 0 or
 * -ENOENT for an unknown batch.
 */
static int fa_recompact_cap(const struct fa_scope *scope, u64 max_pages,
			    unsigned long *cap)
{
	struct fa_file *ff = scope->ff;
	struct fa_batch *b;

	switch (scope->kind) {
	case FRAGALLOC_SCOPE_BATCH:
		down_read(&ff->lock);
		b = xa_load(&ff->batches, scope->handle);
		*cap = b ? b->nr_present : 0;
		up_read(&ff->lock);
		if (!b)
			return -ENOENT;
		break;
	case FRAGALLOC_SCOPE_FD:
		*cap = atomic_long_read(&ff->nr_pages);
		break;
	case FA_SCOPE_CLIENT:
		*cap = atomic_long_read(&scope->client->nr_pages);
		break;
	default:
		*cap = atomic_long_read(&fa_dev.total_pages);
		break;
	}
	if (max_pages && max_pages < *cap)
		*cap = max_pages;
	return 0;
}

/*
 * Plan and move node by node (each node's pool on its own), class by
 * class, at most @cap pages in all.
 */
static int fa_recompact_classes(const struct fa_scope *scope,
				struct fa_move *moves, unsigned long cap,
				bool dry_run, struct fragalloc_recompact *out)
{
	unsigned long left = cap;
	unsigned int cls;
	int nid, ret = 0;

	for_each_node(nid) {
		if (!fa_scope_node(scope, nid))
			continue;
		for (cls = 0; cls < FA_NR_CLASSES && !ret && left; cls++) {
			u64 planned = out->out_pages_planned;

			ret = fa_recompact_class(scope, nid, cls, moves, left,
						 dry_run, out);
			left -= min_t(u64, left,
				      out->out_pages_planned - planned);
		}
		if (ret || !left)
			break;
	}
	return ret;
}

/*
 * After the moves: the blocks the run emptied go back to the buddy
 * allocator, not to the reserve (the reserve each node's pool had when
 * the run began stays); and the out_blocks_ figures, against the counts
 * of blocks ever released before the run (fa_pool_blocks(true)). Every
 * node the run worked on counts it; the automatic mode's only if it
 * succeeded (@ret 0).
 */
static void fa_recompact_release(const struct fa_scope *scope, bool dry_run,
				 int ret, struct fragalloc_recompact *out)
{
	struct fa_pool_stats st;
	struct fa_pool *pool;
	struct fa_node *node;
	unsigned long now;
	u64 delta;
	int nid;

	if (dry_run) {
		out->out_blocks_after = out->out_blocks_before -
					out->out_blocks_released;
		return;
	}
	out->out_blocks_released = 0;
	mutex_lock(&fa_dev.pool_lock);
	fa_dev.recompact_runs++;
	for (nid = fa_next_pool(0, &pool); nid < nr_node_ids;
	     nid = fa_next_pool(nid + 1, &pool)) {
		node = &fa_dev.nodes[nid];
		now = fa_pool_reserve_blocks(pool);
		if (fa_scope_node(scope, nid) && now > node->run_reserve)
			fa_pool_trim(pool, now - node->run_reserve);
		/* What went back to the buddy allocator during the run. */
		fa_pool_get_stats(pool, &st);
		delta = st.blocks_released - node->run_released;
		out->out_blocks_released += delta;
		if (!fa_scope_node(scope, nid))
			continue;
		node->recompact_runs++;
		if (scope->auto_run && !ret) {
			node->auto_runs++;
			node->auto_pages += delta << pageblock_order;
		}
	}
	mutex_unlock(&fa_dev.pool_lock);
	out->out_blocks_after = fa_pool_blocks(false);
}

/**
 * fa_recompact() - migrate pages into the fullest pageblocks of their class
 * @scope: the pages that may move
 * @max_pages: most pages to move, 0 for no cap
 * @dry_run: plan only
 * @out: receives the out_ figures
 *
 * Takes recompact_lock, and files_lock for the pool scope, for the whole
 * run; no fragalloc lock may be held by the caller.
 *
 * Return: 0, -ENOENT for an unknown batch, -ENOMEM, or -EINTR.
 */
int fa_recompact(const struct fa_scope *scope, u64 max_pages, bool dry_run,
		 struct fragalloc_recompact *out)
{
	bool pool_wide = scope->kind == FRAGALLOC_SCOPE_POOL;
	struct fa_move *moves;
	unsigned long cap;
	u64 begin;
	int ret;

	out->out_pages_planned = 0;
	out->out_pages_moved = 0;
	out->out_bytes_copied = 0;
	out->out_blocks_released = 0;
	ret = fa_recompact_cap(scope, max_pages, &cap);
	if (ret)
		return ret;
	/* Before the locks: the shrinker must not find them held meanwhile. */
	moves = kvmalloc_array(max(cap, 1UL), sizeof(*moves), GFP_KERNEL);
	if (!moves)
		return -ENOMEM;

	begin = fa_ev_recompact_begin(scope->kind, max_pages, dry_run);
	mutex_lock(&fa_dev.recompact_lock);
	WRITE_ONCE(fa_dev.recompact_task, current);
	if (pool_wide)
		mutex_lock(&fa_dev.files_lock);
	out->out_blocks_before = fa_pool_blocks(true);
	ret = fa_recompact_classes(scope, moves, cap, dry_run, out);
	fa_recompact_release(scope, dry_run, ret, out);
	if (pool_wide)
		mutex_unlock(&fa_dev.files_lock);
	WRITE_ONCE(fa_dev.recompact_task, NULL);
	mutex_unlock(&fa_dev.recompact_lock);
	kvfree(moves);
	fa_ev_recompact_end(scope->kind, begin, dry_run, ret, out);
	return ret;
}

/*
 * Whether node @nid's pool owns more than auto_recompact_pct percent of the
 * pageblocks its pages need, and more than one partial block per class
 * that holds pages (a load of one class packs to its optimum plus one).
 */
static bool fa_auto_node_due(int nid, unsigned int pct)
{
	u64 owned = 0, needed = 0, partial = 0;
	struct fa_pool_stats st;
	struct fa_pool *pool;
	unsigned int i;

	mutex_lock(&fa_dev.pool_lock);
	pool = fa_node_pool(nid);
	if (pool)
		fa_pool_get_stats(pool, &st);
	mutex_unlock(&fa_dev.pool_lock);
	if (!pool)
		return false;
	for (i = 0; i < FA_NR_CLASSES; i++) {
		owned += st.cls[i].blocks;
		needed += DIV_ROUND_UP_ULL(st.cls[i].pages_used,
					   1UL << pageblock_order);
		partial += !!st.cls[i].pages_used;
	}
	/* One partial block per class in use is as good as it gets. */
	return owned > needed + partial && owned * 100 > needed * pct;
}

/*
 * Automatic mode: when a free leaves a node's pool owning more than
 * auto_recompact_pct percent of the pageblocks its pages need, recompact
 * that node's pool from a work item, at most once per
 * auto_recompact_interval_ms.
 */
static void fa_auto_recompact_work(struct work_struct *work)
{
	struct fa_scope scope = { .kind = FRAGALLOC_SCOPE_POOL,
				  .one_node = true, .auto_run = true };
	struct fragalloc_recompact out;
	bool again = false;
	unsigned int pct;

	for_each_node(scope.nid) {
		/* Turned off since it was queued: off means off. */
		pct = READ_ONCE(fa_auto_recompact_pct);
		if (!pct)
			return;
		if (!fa_auto_node_due(scope.nid, pct))
			continue;
		/*
		 * Capped: a run started by any user's FREE stays short
		 * (capped plans are prefixes of the full plan, so runs
		 * converge); a FREE after it queues the next.
		 */
		memset(&out, 0, sizeof(out));
		fa_recompact(&scope, FA_AUTO_MAX_PAGES, false, &out);
		/* A capped run that made progress goes on after the interval. */
		again |= out.out_pages_moved >= FA_AUTO_MAX_PAGES;
	}
	WRITE_ONCE(fa_dev.auto_last, jiffies);
	if (again)
		fa_auto_recompact_kick();
}

void fa_auto_recompact_init(void)
{
	INIT_DELAYED_WORK(&fa_dev.auto_work, fa_auto_recompact_work);
	fa_dev.auto_last = jiffies;
}

/**
 * fa_auto_recompact_kick() - schedule a recompaction if packing got poor
 * on some node
 *
 * Called after frees, with no fragalloc lock held.
 */
void fa_auto_recompact_kick(void)
{
	unsigned int pct = READ_ONCE(fa_auto_recompact_pct);
	unsigned long next;
	bool due = false;
	int nid;

	if (!pct)
		return;
	for_each_node(nid)
		if (!due)
			due = fa_auto_node_due(nid, pct);
	if (!due)
		return;
	next = READ_ONCE(fa_dev.auto_last) +
	       msecs_to_jiffies(READ_ONCE(fa_auto_recompact_interval_ms));
	queue_delayed_work(system_unbound_wq, &fa_dev.auto_work,
			   time_after(next, jiffies) ? next - jiffies : 0);
}

void fa_auto_recompact_exit(void)
{
	cancel_delayed_work_sync(&fa_dev.auto_work);
}
