// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: the movable policy, pages the kernel's own compaction moves.
 *
 * Each page comes from a movable pageblock (GFP_HIGHUSER_MOVABLE) and is
 * registered with fa_movable_ops through __SetPageMovable(), as zsmalloc
 * and balloon_compaction register theirs. kcompactd, compact_memory,
 * hugetlb and CMA allocations and memory offlining then isolate the page
 * and call the ops below to move it (mm/migrate.c). Nothing is pooled:
 * the compaction free scanner only takes destinations in MOVABLE or CMA
 * pageblocks, and async compaction only scans movable source blocks, so a
 * page kept in the pool's unmovable-typed blocks would be out of its
 * reach (docs/CORE.md, "The movable policy", has the measurement).
 *
 * A registered page carries its owner's tag (mover.c, fa_page_tag()): the
 * file's id, the batch's handle and the page's index. The tag is a hint
 * only. The ops look the id up in fa_dev.file_ids and believe it only once
 * the batch, under the file's lock, still holds this very page at that
 * index. The file is found under RCU (fa_release() frees it after a grace
 * period) and its lock is only ever tried: the kernel may call the ops
 * from an allocation made under any fragalloc lock (direct compaction
 * from a GFP_KERNEL allocation under fa_file.lock or files_lock), where
 * waiting for the lock would deadlock; -EAGAIN makes migrate_pages() try
 * again a few times, then the page stays where it is. That holds in every
 * migrate mode, MIGRATE_ASYNC included. The one wait left is the zap's
 * i_mmap lock (unmap_mapping_range()), taken for reading, which only
 * mmap() and munmap() of this file hold for writing, briefly: the kernel's
 * own migration of file pages waits on it the same way (rmap walks).
 *
 * Locking: the VM holds the page lock around every op, so the ops take
 * fa_file.lock inside the page lock. The freeing side therefore never takes
 * a page lock under fa_file.lock: FREE takes the pages out of the batch
 * under the file's lock, then, with no lock held, clears each page's
 * registration under its page lock and drops the driver's reference. A
 * page the VM had isolated at that moment is freed by the VM: the migration
 * finds it no longer movable, or holding only the VM's reference, and
 * drops it (mm/migrate.c on 6.1 and 6.12: migrate_folio_unmap()'s "freed
 * from under us", migrate_movable_ops_page() or move_to_new_folio() for
 * "released by its owner", putback_movable_pages()).
 */
#include <linux/fragalloc_kapi.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>

#include "fa.h"
#include "compat.h"

#ifdef FA_MOVABLE

/*
 * What the kernel's calls into the ops came to, both kinds of pages
 * (debugfs "stats", one line each, in this order).
 */
enum fa_mov_event {
	FA_MOV_ISOLATED,	/* isolate_page took the page */
	/* not live in its batch or registry, or its file's lock busy */
	FA_MOV_ISOLATE_REFUSED,
	FA_MOV_MIGRATED,	/* migrate_page moved it */
	FA_MOV_MIGRATE_AGAIN,	/* -EAGAIN: a lock busy, or freed since */
	FA_MOV_MIGRATE_REFUSED,	/* a client's move() declined (-EBUSY) */
	FA_MOV_NR,
};

static const char * const fa_mov_names[FA_MOV_NR] = {
	"movable_isolated", "movable_isolate_refused", "movable_migrated",
	"movable_migrate_again", "movable_migrate_refused",
};

static atomic64_t fa_mov_count[FA_MOV_NR];

static void fa_mov_event(enum fa_mov_event ev)
{
	atomic64_inc(&fa_mov_count[ev]);
}

/**
 * fa_movable_stats_show() - the movable ops' counters, for debugfs
 * @m: the seq_file
 */
void fa_movable_stats_show(struct seq_file *m)
{
	unsigned int i;

	for (i = 0; i < FA_MOV_NR; i++)
		seq_printf(m, "%s %lld\n", fa_mov_names[i],
			   (long long)atomic64_read(&fa_mov_count[i]));
}

static const struct movable_operations fa_movable_ops;

/* page->mapping of a page registered with fa_movable_ops. */
#define FA_MOVABLE_MAPPING \
	((void *)((unsigned long)&fa_movable_ops | PAGE_MAPPING_MOVABLE))

/*
 * The file whose batch holds @page, by its tag, with its lock tried
 * (@write: for writing); RCU read lock held. *@bp and *@idx receive the
 * batch and the index. Return: the file, locked, or NULL (no file, the lock
 * was busy, or the batch no longer holds @page there).
 */
static struct fa_file *fa_movable_owner(struct page *page, bool write,
					struct fa_batch **bp,
					unsigned long *idx)
{
	unsigned long id = page_private(page);
	struct fa_file *ff;
	struct fa_batch *b;

	if (!id || id > U32_MAX)
		return NULL;
	ff = xa_load(&fa_dev.file_ids, id);
	if (!ff)
		return NULL;
	if (write ? !down_write_trylock(&ff->lock) :
		    !down_read_trylock(&ff->lock))
		return NULL;
	b = xa_load(&ff->batches, page->index >> 32);
	*idx = page->index & U32_MAX;
	if (b && *idx < b->nr_pages && b->pages[*idx] == page) {
		*bp = b;
		return ff;
	}
	if (write)
		up_write(&ff->lock);
	else
		up_read(&ff->lock);
	return NULL;
}

/*
 * Page locked, with the VM's reference; must not sleep. Only a page still
 * live in its batch may go: anything else (being freed, punched, or a tag
 * from before) stays.
 */
static bool fa_movable_isolate(struct page *page, isolate_mode_t mode)
{
	struct fa_file *ff;
	struct fa_batch *b;
	unsigned long idx;

	rcu_read_lock();
	ff = fa_movable_owner(page, false, &b, &idx);
	if (ff)
		up_read(&ff->lock);
	rcu_read_unlock();
	fa_mov_event(ff ? FA_MOV_ISOLATED : FA_MOV_ISOLATE_REFUSED);
	return !!ff;
}

/*
 * @src and @dst locked, @src isolated. Under the file's lock for writing:
 * the mover's zap, copy and switch (fa_batch_move_page()), so a fault waits
 * and then maps @dst. @dst gets the driver's reference and registration,
 * @src loses both; the VM frees @src once it drops its own reference.
 */
static int fa_movable_migrate(struct page *dst, struct page *src,
			      enum migrate_mode mode)
{
	struct fa_file *ff;
	struct fa_batch *b;
	unsigned long idx;

	if (fa_migrate_mode_nocopy(mode))
		return -EINVAL;
	rcu_read_lock();
	ff = fa_movable_owner(src, true, &b, &idx);
	/*
	 * Past the RCU section @ff stays valid because we hold its lock with
	 * a batch of it holding @src: fa_release() frees a file only after
	 * taking its lock for writing to free each batch.
	 */
	rcu_read_unlock();
	/*
	 * Busy, or freed or punched since the isolation: the caller tries
	 * again, or puts the page back (a freed page is then the VM's to drop).
	 */
	if (!ff) {
		fa_mov_event(FA_MOV_MIGRATE_AGAIN);
		return -EAGAIN;
	}
	get_page(dst);
	/* Offlining may move it to another node: its figures follow it. */
	if (page_to_nid(src) != page_to_nid(dst)) {
		fa_other_account(&src, 1, -1);
		fa_other_account(&dst, 1, 1);
	}
	fa_batch_move_page(ff, b, idx, src, dst);
	fa_set_page_movable(dst, &fa_movable_ops);
	fa_clear_page_movable(src);
	fa_page_tag(src, 0, 0, 0);
	/* counted before BATCH_INFO can see the new page */
	fa_mov_event(FA_MOV_MIGRATED);
	up_write(&ff->lock);
	/* the driver's reference: the VM's is the last one now */
	put_page(src);
	return MIGRATEPAGE_SUCCESS;
}

/* Isolation changed nothing of ours: the page is still in its batch. */
static void fa_movable_putback(struct page *page)
{
}

static const struct movable_operations fa_movable_ops = {
	.isolate_page = fa_movable_isolate,
	.migrate_page = fa_movable_migrate,
	.putback_page = fa_movable_putback,
};

/**
 * fa_movable_publish() - register a new batch's pages with the kernel
 * @ff: the batch's file
 * @b: the batch, just given its handle
 *
 * Called with @ff->lock held for writing: no op can find the pages before
 * the batch is complete. Every page is registered: one left unregistered
 * would sit unmovable in movable memory (ZONE_MOVABLE, CMA), failing
 * offlining and contiguous allocations there. The pages are fresh, so
 * their lock is normally free; a PFN walker (memory failure, DAMON) may
 * hold one for a moment, and waiting for it here cannot deadlock: the ops,
 * which run under page locks, only ever try fa_file.lock, and nothing that
 * holds a fragalloc page's lock waits for it. The tag is written under the
 * page lock, before the mark, so an op that sees the mark sees the tag.
 */
void fa_movable_publish(struct fa_file *ff, struct fa_batch *b)
{
	unsigned long i;

	for (i = 0; i < b->nr_pages; i++) {
		struct page *page = b->pages[i];

		lock_page(page);
		fa_page_tag(page, ff->id, b->handle, i);
		fa_set_page_movable(page, &fa_movable_ops);
		unlock_page(page);
	}
}

/**
 * fa_movable_free() - give back pages of the movable policy
 * @pages: the pages, already out of their batch; NULL entries are skipped
 * @nr: entries in @pages
 *
 * Sleeps on page locks: called with no fragalloc lock held (the ops take
 * fa_file.lock inside the page lock). A page the VM has isolated is
 * unregistered all the same; the VM then drops it instead of moving it.
 */
void fa_movable_free(struct page **pages, unsigned long nr)
{
	unsigned long i, freed = 0;

	fa_other_account(pages, nr, -1);
	for (i = 0; i < nr; i++) {
		struct page *page = pages[i];

		if (!page)
			continue;
		lock_page(page);
		if (page->mapping == FA_MOVABLE_MAPPING)
			fa_clear_page_movable(page);
		fa_page_tag(page, 0, 0, 0);
		unlock_page(page);
		put_page(page);
		freed++;
		if (!(freed % FA_CHUNK_PAGES))
			cond_resched();
	}
	atomic_long_sub(freed, &fa_dev.other_pages);
}

/*
 * In-kernel clients' movable pages (fragalloc_client_alloc_movable()).
 *
 * Such a page is registered with fa_kmov_ops. Its page->mapping is the
 * kernel's movable mark and the VM owns page->lru while it holds the page
 * isolated, so no struct page field says whose it is: fa_kmov_pages maps
 * its pfn to its client, and the client's own registry (client->pages, pfn
 * -> cookie, the one recompaction reads for pool pages) says it is live.
 *
 * The client behind an fa_kmov_pages entry is alive while the page lock is
 * held: the freeing side (fa_kmov_free()) drops the entry under the page
 * lock, and fragalloc_client_destroy() returns only once every page is
 * freed. The ops run under the page lock, so they may follow the entry.
 * The client's lock is only ever tried there (the VM may call from an
 * allocation made under it, or under any lock of the client's): busy is
 * -EAGAIN, and the freeing side may wait for a page lock under it.
 */
static DEFINE_XARRAY(fa_kmov_pages);
static const struct movable_operations fa_kmov_ops;

#define FA_KMOV_MAPPING \
	((void *)((unsigned long)&fa_kmov_ops | PAGE_MAPPING_MOVABLE))

/* Page locked, with the VM's reference; no sleeping. Only a live page. */
static bool fa_kmov_isolate(struct page *page, isolate_mode_t mode)
{
	unsigned long pfn = page_to_pfn(page);
	struct fragalloc_client *client = xa_load(&fa_kmov_pages, pfn);
	bool live = client && xa_load(&client->pages, pfn);

	fa_mov_event(live ? FA_MOV_ISOLATED : FA_MOV_ISOLATE_REFUSED);
	return live;
}

/*
 * The client's move() from @src to @dst, both locked, under its lock:
 * room for @dst in both registries first (no sleep: GFP_NOWAIT), so a
 * move() that returned true is never undone.
 */
static int fa_kmov_call(struct fragalloc_client *client, struct page *dst,
			struct page *src, void *entry)
{
	unsigned long spfn = page_to_pfn(src), dpfn = page_to_pfn(dst);
	bool moved;

	if (xa_reserve(&client->pages, dpfn, GFP_NOWAIT | __GFP_NOWARN))
		return -EAGAIN;
	if (xa_reserve(&fa_kmov_pages, dpfn, GFP_NOWAIT | __GFP_NOWARN)) {
		xa_release(&client->pages, dpfn);
		return -EAGAIN;
	}
	WRITE_ONCE(client->mover, current);
	client->moving = src;
	moved = client->move(client, src, dst, xa_to_value(entry));
	client->moving = NULL;
	WRITE_ONCE(client->mover, NULL);
	if (!moved) {
		xa_release(&fa_kmov_pages, dpfn);
		xa_release(&client->pages, dpfn);
		/* pinned: not worth the VM's retries */
		return -EBUSY;
	}
	xa_store(&client->pages, dpfn, entry, GFP_NOWAIT);
	xa_erase(&client->pages, spfn);
	xa_store(&fa_kmov_pages, dpfn, client, GFP_NOWAIT);
	xa_erase(&fa_kmov_pages, spfn);
	return 0;
}

/*
 * @src and @dst locked, @src isolated. @dst gets the driver's reference,
 * registration and registry entries, @src loses them; the VM frees @src.
 */
static int fa_kmov_migrate(struct page *dst, struct page *src,
			   enum migrate_mode mode)
{
	struct fragalloc_client *client;
	void *entry;
	int ret;

	if (fa_migrate_mode_nocopy(mode))
		return -EINVAL;
	client = xa_load(&fa_kmov_pages, page_to_pfn(src));
	if (!client || !mutex_trylock(&client->lock)) {
		fa_mov_event(FA_MOV_MIGRATE_AGAIN);
		return -EAGAIN;
	}
	/* freed since the isolation: the VM drops it once we are gone */
	entry = xa_load(&client->pages, page_to_pfn(src));
	ret = entry ? fa_kmov_call(client, dst, src, entry) : -EAGAIN;
	if (!ret) {
		get_page(dst);
		if (page_to_nid(src) != page_to_nid(dst)) {
			fa_other_account(&src, 1, -1);
			fa_other_account(&dst, 1, 1);
		}
		fa_set_page_movable(dst, &fa_kmov_ops);
		fa_clear_page_movable(src);
	}
	mutex_unlock(&client->lock);
	if (ret) {
		fa_mov_event(ret == -EBUSY ? FA_MOV_MIGRATE_REFUSED :
					     FA_MOV_MIGRATE_AGAIN);
		return ret;
	}
	fa_mov_event(FA_MOV_MIGRATED);
	put_page(src);
	return MIGRATEPAGE_SUCCESS;
}

static const struct movable_operations fa_kmov_ops = {
	.isolate_page = fa_kmov_isolate,
	.migrate_page = fa_kmov_migrate,
	.putback_page = fa_movable_putback,
};

/**
 * fa_kmov_register() - give a client's new movable pages to the kernel
 * @client: the client, its lock held
 * @pages: fresh pages of the movable policy
 * @nr: entries in @pages
 * @cookie: the cookie of @pages[0]
 *
 * Return: 0, or -ENOMEM with nothing registered.
 */
int fa_kmov_register(struct fragalloc_client *client, struct page **pages,
		     unsigned long nr, unsigned long cookie)
{
	unsigned long i, pfn;
	int err = 0;

	for (i = 0; i < nr && !err; i++) {
		pfn = page_to_pfn(pages[i]);
		err = xa_err(xa_store(&client->pages, pfn,
				      xa_mk_value(cookie + i), GFP_KERNEL));
		if (!err)
			err = xa_err(xa_store(&fa_kmov_pages, pfn, client,
					      GFP_KERNEL));
	}
	if (err) {
		while (i-- > 0) {
			pfn = page_to_pfn(pages[i]);
			xa_erase(&fa_kmov_pages, pfn);
			xa_erase(&client->pages, pfn);
		}
		return err;
	}
	/*
	 * Every page registered, as fa_movable_publish() does and for its
	 * reason; waiting for a page lock under the client's lock is what
	 * fa_kmov_free() does too (the ops only try the client's lock).
	 */
	for (i = 0; i < nr; i++) {
		lock_page(pages[i]);
		fa_set_page_movable(pages[i], &fa_kmov_ops);
		unlock_page(pages[i]);
	}
	return 0;
}

/* @page is a client's movable page (registered by fa_kmov_register()). */
bool fa_kmov_held(struct page *page)
{
	return xa_load(&fa_kmov_pages, page_to_pfn(page));
}

/**
 * fa_kmov_free() - free a client's movable page
 * @page: the page, already out of its client's registry
 *
 * Sleeps on the page lock; the client's lock may be held (the ops only try
 * it). A page the VM has isolated is unregistered all the same; the VM then
 * drops it instead of moving it.
 */
void fa_kmov_free(struct page *page)
{
	lock_page(page);
	xa_erase(&fa_kmov_pages, page_to_pfn(page));
	if (page->mapping == FA_KMOV_MAPPING)
		fa_clear_page_movable(page);
	unlock_page(page);
	fa_other_account(&page, 1, -1);
	atomic_long_dec(&fa_dev.other_pages);
	put_page(page);
}

#else /* !FA_MOVABLE */

/* No movable ops in this build: nothing to count. */
void fa_movable_stats_show(struct seq_file *m)
{
}

#endif /* FA_MOVABLE */
