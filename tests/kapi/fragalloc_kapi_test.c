// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of fragalloc's in-kernel API, run from user space by reading
 * /sys/kernel/debug/fragalloc_kapi_test/run, which returns KTAP.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fragalloc_kapi.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>

#define KT_PAGES	2048UL

struct kt_client {
	struct fragalloc_client client;
	struct page **pages;	/* indexed by cookie */
	unsigned long nr_moves;
	unsigned long refuse_below;	/* cookies below this are pinned */
	/* kt_reentrant: what the API answered from inside move() */
	int recompact_ret, destroy_ret;
	unsigned long freed_inside;
	bool stats_inside;
	/* kt_trylock: the client's own lock, held around its frees */
	struct mutex own;
	unsigned long busy;
};

static struct dentry *kt_dir;

static u64 kt_pattern(unsigned long idx, unsigned int word)
{
	return ((u64)idx << 32) ^ (word * 0x9e3779b97f4a7c15ULL);
}

static void kt_fill(struct page *page, unsigned long idx)
{
	u64 *p = kmap_local_page(page);
	unsigned int w;

	for (w = 0; w < PAGE_SIZE / sizeof(u64); w++)
		p[w] = kt_pattern(idx, w);
	kunmap_local(p);
}

static bool kt_check(struct page *page, unsigned long idx)
{
	u64 *p = kmap_local_page(page);
	bool ok = true;
	unsigned int w;

	for (w = 0; w < PAGE_SIZE / sizeof(u64) && ok; w++)
		ok = p[w] == kt_pattern(idx, w);
	kunmap_local(p);
	return ok;
}

static bool kt_zeroed(struct page *page)
{
	u64 *p = kmap_local_page(page);
	bool ok = true;
	unsigned int w;

	for (w = 0; w < PAGE_SIZE / sizeof(u64) && ok; w++)
		ok = !p[w];
	kunmap_local(p);
	return ok;
}

static bool kt_move(struct fragalloc_client *client, struct page *old,
		    struct page *new, unsigned long cookie)
{
	struct kt_client *kc = container_of(client, struct kt_client, client);

	if (cookie < kc->refuse_below || kc->pages[cookie] != old)
		return false;
	copy_highpage(new, old);
	kc->pages[cookie] = new;
	kc->nr_moves++;
	return true;
}

static int kt_cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static unsigned long kt_blocks(struct page **pages, unsigned long nr)
{
	unsigned long *b = kvmalloc_array(nr, sizeof(*b), GFP_KERNEL);
	unsigned long i, n = 0, distinct = 0;

	if (!b)
		return ULONG_MAX;
	for (i = 0; i < nr; i++)
		if (pages[i])
			b[n++] = page_to_pfn(pages[i]) >> pageblock_order;
	sort(b, n, sizeof(*b), kt_cmp, NULL);
	for (i = 0; i < n; i++)
		distinct += !i || b[i] != b[i - 1];
	kvfree(b);
	return distinct;
}

static u64 kt_used(void)
{
	struct fragalloc_stats st;
	u64 used = 0;
	unsigned int i;

	fragalloc_get_stats(&st);
	for (i = 0; i < FRAGALLOC_NR_MOBILITY; i++)
		used += st.out_pages_used[i] + st.out_loose_pages[i];
	return used;
}

/* Pages of the other policies, the movable one included. */
static u64 kt_other(void)
{
	struct fragalloc_stats st;

	fragalloc_get_stats(&st);
	return st.out_other_pages;
}

#define KT_EXPECT(m, n, cond, name) do {				\
	bool __ok = (cond);						\
	seq_printf(m, "%s %u %s\n", __ok ? "ok" : "not ok", ++(*(n)), name); \
} while (0)

static void kt_bad_args(struct seq_file *m, unsigned int *n)
{
	struct page *page;

	KT_EXPECT(m, n, fragalloc_alloc_pages(FRAGALLOC_NR_MOBILITY, 0, 1,
					      &page) == -EINVAL,
		  "alloc: unknown mobility is -EINVAL");
	KT_EXPECT(m, n, fragalloc_alloc_pages(0, 0, 0, &page) == -EINVAL,
		  "alloc: zero pages is -EINVAL");
	KT_EXPECT(m, n, fragalloc_alloc_pages(0, 1U << 31, 1, &page) ==
		  -EINVAL, "alloc: unknown flag is -EINVAL");
}

/* Pages of @nr on node @nid. */
static unsigned long kt_on_node(struct page **pages, unsigned long nr, int nid)
{
	unsigned long i, on = 0;

	for (i = 0; i < nr; i++)
		on += pages[i] && page_to_nid(pages[i]) == nid;
	return on;
}

/* The node of the _node variants: bad ids, strict placement, its stats. */
static void kt_nodes(struct seq_file *m, unsigned int *n)
{
	struct fragalloc_stats st0, st1;
	struct page *pages[64], *page;
	bool placed = true, counted = true;
	int nid, ret;

	KT_EXPECT(m, n, fragalloc_alloc_pages_node(nr_node_ids, 0, 0, 1,
						   &page) == -EINVAL,
		  "node: nid nr_node_ids is -EINVAL");
	KT_EXPECT(m, n, fragalloc_alloc_pages_node(-2, 0, 0, 1, &page) ==
		  -EINVAL, "node: nid -2 is -EINVAL");
	KT_EXPECT(m, n, fragalloc_alloc_pages_node(NUMA_NO_NODE, 0,
						   FRAGALLOC_ALLOC_THISNODE, 1,
						   &page) == -EINVAL,
		  "node: THISNODE without a node is -EINVAL");
	KT_EXPECT(m, n, fragalloc_alloc_pages_node(first_memory_node, 0,
						   FRAGALLOC_ALLOC_NODE, 1,
						   &page) == -EINVAL,
		  "node: FRAGALLOC_ALLOC_NODE is -EINVAL");
	KT_EXPECT(m, n, fragalloc_alloc_pages(0, FRAGALLOC_ALLOC_THISNODE, 1,
					      &page) == -EINVAL,
		  "node: THISNODE without the node argument is -EINVAL");
	for_each_node_state(nid, N_MEMORY) {
		fragalloc_get_node_stats(nid, &st0);
		ret = fragalloc_alloc_pages_node(nid, FRAGALLOC_UNMOVABLE,
						 FRAGALLOC_ALLOC_THISNODE,
						 ARRAY_SIZE(pages), pages);
		if (ret != ARRAY_SIZE(pages)) {
			placed = false;
			continue;
		}
		placed &= kt_on_node(pages, ret, nid) == ret;
		fragalloc_get_node_stats(nid, &st1);
		counted &= st1.out_pages_used[FRAGALLOC_UNMOVABLE] +
			   st1.out_loose_pages[FRAGALLOC_UNMOVABLE] >=
			   st0.out_pages_used[FRAGALLOC_UNMOVABLE] +
			   st0.out_loose_pages[FRAGALLOC_UNMOVABLE] + ret;
		fragalloc_free_pages(pages, ret);
	}
	KT_EXPECT(m, n, placed,
		  "node: a strict request's pages are all on its node, every node");
	KT_EXPECT(m, n, counted, "node: the node's stats count them");
}

static void kt_plain(struct seq_file *m, unsigned int *n)
{
	u64 used0 = kt_used();
	struct page **pages;
	unsigned long i, blocks;
	bool zero = true;
	int ret;

	pages = kvcalloc(KT_PAGES, sizeof(*pages), GFP_KERNEL);
	if (!pages) {
		KT_EXPECT(m, n, false, "plain: test memory");
		return;
	}
	ret = fragalloc_alloc_pages(FRAGALLOC_UNMOVABLE, 0, KT_PAGES, pages);
	KT_EXPECT(m, n, ret == KT_PAGES, "plain: allocates all pages");
	if (ret == KT_PAGES) {
		for (i = 0; i < KT_PAGES; i++)
			zero &= kt_zeroed(pages[i]);
		KT_EXPECT(m, n, zero, "plain: pages arrive zeroed");
		blocks = kt_blocks(pages, KT_PAGES);
		seq_printf(m, "# %lu pages in %lu pageblocks\n", KT_PAGES,
			   blocks);
		KT_EXPECT(m, n, blocks <= (KT_PAGES >> pageblock_order) + 1,
			  "plain: packed into at most ideal + 1 pageblocks");
		KT_EXPECT(m, n, kt_used() == used0 + KT_PAGES,
			  "plain: stats count the pages");
		fragalloc_free_pages(pages, KT_PAGES);
	}
	KT_EXPECT(m, n, kt_used() == used0, "plain: stats back after free");
	kvfree(pages);
}

/* Half of every pageblock's worth of cookies freed: recompaction has work. */
static unsigned long kt_punch(struct kt_client *kc, unsigned long nr)
{
	unsigned long i, present = 0;

	for (i = 0; i < nr; i++) {
		if ((i & ((1UL << pageblock_order) - 1)) <
		    (1UL << (pageblock_order - 1))) {
			fragalloc_client_free(&kc->client, &kc->pages[i], 1);
			kc->pages[i] = NULL;
		} else {
			present++;
		}
	}
	return present;
}

/*
 * Starts client @kc of test @who: its cookie array, then KT_PAGES pages of
 * @mobility (*all: every one of them came). Returns false, with "test
 * memory" reported, when there is no array: nothing to undo. Otherwise the
 * client must be destroyed.
 */
static bool kt_start(struct seq_file *m, unsigned int *n, struct kt_client *kc,
		     unsigned int mobility, const char *who, bool *all)
{
	char name[64];
	int ret;

	kc->pages = kvcalloc(KT_PAGES, sizeof(*kc->pages), GFP_KERNEL);
	if (!kc->pages) {
		snprintf(name, sizeof(name), "%s: test memory", who);
		KT_EXPECT(m, n, false, name);
		return false;
	}
	fragalloc_client_init(&kc->client);
	ret = fragalloc_client_alloc(&kc->client, mobility, 0, KT_PAGES,
				     kc->pages, 0);
	*all = ret == KT_PAGES;
	snprintf(name, sizeof(name), "%s: allocates all pages", who);
	KT_EXPECT(m, n, *all, name);
	return true;
}

static void kt_fill_all(struct kt_client *kc)
{
	unsigned long i;

	for (i = 0; i < KT_PAGES; i++)
		kt_fill(kc->pages[i], i);
}

/* Every page the client still holds has its pattern. */
static bool kt_intact(struct kt_client *kc)
{
	unsigned long i;
	bool intact = true;

	for (i = 0; i < KT_PAGES; i++)
		if (kc->pages[i])
			intact &= kt_check(kc->pages[i], i);
	return intact;
}

/* Destroys the client, which gives back what it held, and its array. */
static void kt_finish(struct seq_file *m, unsigned int *n, struct kt_client *kc,
		      u64 used0, const char *who)
{
	char name[64];

	snprintf(name, sizeof(name), "%s: stats back after destroy", who);
	KT_EXPECT(m, n, fragalloc_client_destroy(&kc->client) == 0 &&
		  kt_used() == used0, name);
	kvfree(kc->pages);
}

static void kt_client(struct seq_file *m, unsigned int *n, bool pin)
{
	struct fragalloc_recompact out;
	struct kt_client kc = { .client.move = kt_move };
	unsigned long present, before, after;
	u64 used0 = kt_used();
	bool all;
	int ret;

	if (!kt_start(m, n, &kc, FRAGALLOC_RECLAIMABLE, "client", &all))
		return;
	if (!all)
		goto out;
	kt_fill_all(&kc);
	present = kt_punch(&kc, KT_PAGES);
	kc.refuse_below = pin ? KT_PAGES : 0;
	before = kt_blocks(kc.pages, KT_PAGES);
	ret = fragalloc_client_recompact(&kc.client, 0, &out);
	after = kt_blocks(kc.pages, KT_PAGES);
	seq_printf(m, "# %s: %lu present pages, blocks %lu -> %lu, moved %llu, released %llu\n",
		   pin ? "pinned" : "movable", present, before, after,
		   out.out_pages_moved, out.out_blocks_released);
	KT_EXPECT(m, n, !ret, "client: recompact succeeds");
	KT_EXPECT(m, n, kt_intact(&kc), "client: every byte intact after moves");
	if (pin) {
		KT_EXPECT(m, n, !kc.nr_moves && !out.out_pages_moved &&
			  !out.out_blocks_released && after == before,
			  "client: refused moves leave pages in place");
	} else {
		KT_EXPECT(m, n, kc.nr_moves == out.out_pages_moved &&
			  kc.nr_moves > 0,
			  "client: moves go through the callback");
		KT_EXPECT(m, n, after <= DIV_ROUND_UP(present,
						      1UL << pageblock_order) + 1,
			  "client: packed into at most ideal + 1 pageblocks");
	}
	fragalloc_client_free(&kc.client, kc.pages, KT_PAGES);
	KT_EXPECT(m, n, kt_used() == used0, "client: stats back after free");
out:
	fragalloc_client_destroy(&kc.client);
	kvfree(kc.pages);
}

/*
 * A client destroyed while it still holds pages: the pages are freed (the
 * pool's figures come back) and nothing calls into the client afterwards.
 */
static void kt_destroy_outstanding(struct seq_file *m, unsigned int *n)
{
	struct kt_client kc = { .client.move = kt_move };
	u64 used0 = kt_used();
	bool all;

	if (!kt_start(m, n, &kc, FRAGALLOC_UNMOVABLE, "destroy", &all))
		return;
	kt_punch(&kc, KT_PAGES);
	KT_EXPECT(m, n, fragalloc_client_destroy(&kc.client) == 0,
		  "destroy: with pages outstanding succeeds");
	KT_EXPECT(m, n, kt_used() == used0,
		  "destroy: the outstanding pages were freed");
	kvfree(kc.pages);
}

/* move() calls back into the API: what works works, the rest says so. */
static bool kt_move_reentrant(struct fragalloc_client *client,
			      struct page *old, struct page *new,
			      unsigned long cookie)
{
	struct kt_client *kc = container_of(client, struct kt_client, client);
	struct fragalloc_stats st;
	unsigned long next;

	kc->recompact_ret = fragalloc_client_recompact(client, 0, NULL);
	kc->destroy_ret = fragalloc_client_destroy(client);
	fragalloc_get_stats(&st);
	kc->stats_inside = st.size == sizeof(st);
	/* free another page of ours from inside move() */
	for (next = cookie + 1; next < KT_PAGES; next++) {
		if (kc->pages[next]) {
			fragalloc_client_free(client, &kc->pages[next], 1);
			kc->pages[next] = NULL;
			kc->freed_inside++;
			break;
		}
	}
	return kt_move(client, old, new, cookie);
}

static void kt_reentrant(struct seq_file *m, unsigned int *n)
{
	struct kt_client kc = { .client.move = kt_move_reentrant };
	struct fragalloc_recompact out;
	u64 used0 = kt_used();
	bool all;
	int ret;

	if (!kt_start(m, n, &kc, FRAGALLOC_RECLAIMABLE, "reentrant", &all))
		return;
	if (all) {
		kt_fill_all(&kc);
		kt_punch(&kc, KT_PAGES);
		ret = fragalloc_client_recompact(&kc.client, 0, &out);
		seq_printf(m, "# reentrant: moved %llu, freed %lu from inside move()\n",
			   out.out_pages_moved, kc.freed_inside);
		KT_EXPECT(m, n, !ret && kc.nr_moves > 0,
			  "reentrant: recompaction completes");
		KT_EXPECT(m, n, kc.recompact_ret == -EDEADLK,
			  "reentrant: recompact from move() is -EDEADLK");
		KT_EXPECT(m, n, kc.destroy_ret == -EDEADLK,
			  "reentrant: destroy from move() is -EDEADLK");
		KT_EXPECT(m, n, kc.stats_inside && kc.freed_inside > 0,
			  "reentrant: stats and free work from move()");
		KT_EXPECT(m, n, kt_intact(&kc), "reentrant: every byte intact");
		fragalloc_client_free(&kc.client, kc.pages, KT_PAGES);
	}
	kt_finish(m, n, &kc, used0, "reentrant");
}

/*
 * The documented pattern for a client lock held around frees: move() only
 * tries it. A thread frees pages with the lock held while a recompaction
 * runs; neither waits for the other forever.
 */
static bool kt_move_trylock(struct fragalloc_client *client,
			    struct page *old, struct page *new,
			    unsigned long cookie)
{
	struct kt_client *kc = container_of(client, struct kt_client, client);
	bool ret;

	if (!mutex_trylock(&kc->own)) {
		kc->busy++;
		return false;
	}
	ret = kt_move(client, old, new, cookie);
	mutex_unlock(&kc->own);
	return ret;
}

static int kt_freer(void *arg)
{
	struct kt_client *kc = arg;
	unsigned long i;

	/* cookies of the second quarter of each block, one by one */
	for (i = 0; i < KT_PAGES && !kthread_should_stop(); i++) {
		if ((i & ((1UL << pageblock_order) - 1)) >>
		    (pageblock_order - 2) != 2)
			continue;
		mutex_lock(&kc->own);
		if (kc->pages[i]) {
			fragalloc_client_free(&kc->client, &kc->pages[i], 1);
			kc->pages[i] = NULL;
		}
		usleep_range(50, 100);
		mutex_unlock(&kc->own);
		cond_resched();
	}
	while (!kthread_should_stop())
		msleep(1);
	return 0;
}

static void kt_trylock(struct seq_file *m, unsigned int *n)
{
	struct kt_client kc = { .client.move = kt_move_trylock };
	struct fragalloc_recompact out = { 0 };
	struct task_struct *t;
	u64 used0 = kt_used();
	int ret, runs;
	bool all;

	mutex_init(&kc.own);
	if (!kt_start(m, n, &kc, FRAGALLOC_RECLAIMABLE, "trylock", &all))
		return;
	if (all) {
		kt_fill_all(&kc);
		kt_punch(&kc, KT_PAGES);
		t = kthread_run(kt_freer, &kc, "kt_freer");
		ret = IS_ERR(t) ? PTR_ERR(t) : 0;
		for (runs = 0; runs < 4 && !ret; runs++) {
			mutex_lock(&kc.own);
			ret = fragalloc_client_recompact(&kc.client, 0, &out);
			mutex_unlock(&kc.own);
			ret = ret ?: fragalloc_client_recompact(&kc.client, 0,
								&out);
		}
		if (!IS_ERR(t))
			kthread_stop(t);
		seq_printf(m, "# trylock: %lu moves, %lu refused while the lock was busy\n",
			   kc.nr_moves, kc.busy);
		KT_EXPECT(m, n, !ret && kc.busy > 0,
			  "trylock: recompaction and a freer holding the client's lock both finish");
		KT_EXPECT(m, n, kt_intact(&kc), "trylock: every byte intact");
		fragalloc_client_free(&kc.client, kc.pages, KT_PAGES);
	}
	kt_finish(m, n, &kc, used0, "trylock");
}

/*
 * Pages whose struct page fields the user of the API wrote: plain pages
 * (never moved) and client pages (moved through move() only). "hold" keeps
 * them across a pool-wide RECOMPACT that kapi_test.sh issues from user
 * space; the results are reported by the next read of "run".
 */
#define KT_HOLD	1024UL
static struct kt_client kt_held = { .client.move = kt_move };
static struct page *kt_plain_held[KT_HOLD];
static unsigned long kt_plain_pfn[KT_HOLD];
static int kt_hold_state;	/* 0 none, 1 held, 2 checked ok, 3 bad */
static unsigned long kt_hold_moved;

static unsigned long kt_garbage(unsigned long i)
{
	/* what such users store: pointers, counters, flags */
	switch (i % 4) {
	case 0: return (unsigned long)&kt_held;
	case 1: return 0xdead000000000100UL + i;
	case 2: return i << 1;
	default: return (unsigned long)kt_dir | 1;
	}
}

static int kt_hold_start(void)
{
	unsigned long i;
	int ret;

	kt_held.pages = kvcalloc(KT_HOLD, sizeof(*kt_held.pages), GFP_KERNEL);
	if (!kt_held.pages)
		return -ENOMEM;
	fragalloc_client_init(&kt_held.client);
	ret = fragalloc_client_alloc(&kt_held.client, FRAGALLOC_UNMOVABLE, 0,
				     KT_HOLD, kt_held.pages, 0);
	if (ret != KT_HOLD)
		return ret < 0 ? ret : -ENOMEM;
	ret = fragalloc_alloc_pages(FRAGALLOC_UNMOVABLE, 0, KT_HOLD,
				    kt_plain_held);
	if (ret != KT_HOLD)
		return ret < 0 ? ret : -ENOMEM;
	for (i = 0; i < KT_HOLD; i++) {
		kt_fill(kt_held.pages[i], i);
		kt_fill(kt_plain_held[i], KT_HOLD + i);
	}
	kt_punch(&kt_held, KT_HOLD);
	/* free half of the plain pages too: their blocks are half empty */
	for (i = 0; i < KT_HOLD; i += 2) {
		fragalloc_free_pages(&kt_plain_held[i], 1);
		kt_plain_held[i] = NULL;
	}
	for (i = 0; i < KT_HOLD; i++) {
		if (kt_plain_held[i]) {
			kt_plain_pfn[i] = page_to_pfn(kt_plain_held[i]);
			set_page_private(kt_plain_held[i], kt_garbage(i));
			kt_plain_held[i]->index = kt_garbage(i + 1);
		}
		if (kt_held.pages[i]) {
			set_page_private(kt_held.pages[i], kt_garbage(i + 2));
			kt_held.pages[i]->index = kt_garbage(i + 3);
		}
	}
	return 0;
}

static void kt_hold_end(void)
{
	unsigned long i;
	bool ok = true;

	for (i = 0; i < KT_HOLD; i++) {
		if (kt_plain_held[i]) {
			/* the user's fields and bytes untouched, not moved */
			ok &= page_private(kt_plain_held[i]) == kt_garbage(i);
			ok &= page_to_pfn(kt_plain_held[i]) == kt_plain_pfn[i];
			ok &= kt_check(kt_plain_held[i], KT_HOLD + i);
			set_page_private(kt_plain_held[i], 0);
		}
		if (kt_held.pages[i])
			ok &= kt_check(kt_held.pages[i], i);
	}
	kt_hold_moved = kt_held.nr_moves;
	fragalloc_free_pages(kt_plain_held, KT_HOLD);
	memset(kt_plain_held, 0, sizeof(kt_plain_held));
	if (kt_held.pages)
		fragalloc_client_free(&kt_held.client, kt_held.pages, KT_HOLD);
	fragalloc_client_destroy(&kt_held.client);
	kvfree(kt_held.pages);
	kt_held.pages = NULL;
	kt_hold_state = ok ? 2 : 3;
}

static ssize_t kt_hold_write(struct file *file, const char __user *buf,
			     size_t len, loff_t *ppos)
{
	char c;

	if (!len || get_user(c, buf))
		return -EFAULT;
	if (c == '1' && kt_hold_state != 1) {
		kt_hold_state = 1;
		if (kt_hold_start()) {
			kt_hold_end();
			kt_hold_state = 3;
			return -ENOMEM;
		}
	} else if (c == '0' && kt_hold_state == 1) {
		kt_hold_end();
	} else {
		return -EINVAL;
	}
	return len;
}

static const struct file_operations kt_hold_fops = {
	.owner = THIS_MODULE,
	.write = kt_hold_write,
};

/*
 * "pin": write N to hold about N pinned pages (fragalloc_alloc_pages(),
 * never moved) in pageblocks a third full: 3N pages are taken in runs of
 * 48 and two of every three runs freed again. Write 0 to free them. For
 * tests/kapi/pinned_test.sh (pressure with pages that cannot move).
 */
static struct page **kt_pinned;
static unsigned long kt_nr_pinned;

static void kt_unpin(void)
{
	fragalloc_free_pages(kt_pinned, kt_nr_pinned);
	kvfree(kt_pinned);
	kt_pinned = NULL;
	kt_nr_pinned = 0;
}

static ssize_t kt_pin_write(struct file *file, const char __user *buf,
			    size_t len, loff_t *ppos)
{
	unsigned long n, i;
	int ret;

	ret = kstrtoul_from_user(buf, len, 0, &n);
	if (ret)
		return ret;
	if (kt_pinned)
		kt_unpin();
	if (!n)
		return len;
	n = roundup(n, 48) * 3;
	kt_pinned = kvcalloc(n, sizeof(*kt_pinned), GFP_KERNEL);
	if (!kt_pinned)
		return -ENOMEM;
	kt_nr_pinned = n;
	for (i = 0; i < n; i += 48) {
		ret = fragalloc_alloc_pages(FRAGALLOC_UNMOVABLE, 0, 48,
					    kt_pinned + i);
		if (ret != 48) {
			kt_unpin();
			return ret < 0 ? ret : -ENOMEM;
		}
	}
	for (i = 0; i < n; i += 48) {
		if ((i / 48) % 3 == 0)
			continue;
		fragalloc_free_pages(kt_pinned + i, 48);
		memset(kt_pinned + i, 0, 48 * sizeof(*kt_pinned));
		cond_resched();
	}
	return len;
}

static const struct file_operations kt_pin_fops = {
	.owner = THIS_MODULE,
	.write = kt_pin_write,
};

/*
 * "movable": in-kernel movable pages (fragalloc_client_alloc_movable())
 * moved by the kernel's own compaction, driven by kapi_test.sh: write 1
 * (pages that move), 2 (pinned: move() refuses) or 3 (a thread frees them
 * while compaction runs) to take all free memory but 96 MiB as one
 * client's movable pages with every other run of 32 freed (pageblocks all
 * over memory half full: 6.1's scanners meet without touching a batch that
 * leaves whole free pageblocks, see tests/selftests/movable_test.c); the
 * script then runs compact_memory and writes 0, which checks the pages
 * and destroys the client. "run" reports the rounds.
 */
#define KT_MV_RUN	32
#define KT_MV_MARGIN	((96UL << 20) >> PAGE_SHIFT)

struct kt_mv_round {
	bool done, all, ctx_ok, intact, stats_back;
	unsigned long nr, kept, moves, refused, changed, freed, foreign;
};

static struct kt_mv {
	struct kt_client kc;
	unsigned long nr, *pfns;
	unsigned int mode;	/* 1, 2, 3 as written; 0: none running */
	u64 used0, other0;
	bool ctx_ok;
	struct task_struct *freer;
	unsigned long freed;
} kt_mv;

/* the rounds' results, by mode, for "run" */
static struct kt_mv_round kt_mv_rounds[4];

static bool kt_mv_kept(unsigned long i)
{
	return i % (2 * KT_MV_RUN) < KT_MV_RUN;
}

/*
 * Called by kernel migration: both pages locked (kernel compaction holds
 * them), never from fragalloc's own recompaction. The client's own lock is
 * only tried, as the header asks.
 */
static bool kt_mv_move(struct fragalloc_client *client, struct page *old,
		       struct page *new, unsigned long cookie)
{
	struct kt_client *kc = container_of(client, struct kt_client, client);

	might_sleep();
	if (!PageLocked(old) || !PageLocked(new))
		kt_mv.ctx_ok = false;
	if (kt_mv.mode == 2 || !mutex_trylock(&kc->own)) {
		kc->busy++;
		return false;
	}
	if (kc->pages[cookie] != old) {
		mutex_unlock(&kc->own);
		kt_mv.ctx_ok = false;
		return false;
	}
	copy_highpage(new, old);
	kc->pages[cookie] = new;
	kc->nr_moves++;
	mutex_unlock(&kc->own);
	return true;
}

/* Mode 3: frees the kept pages one by one, racing compaction. */
static int kt_mv_freer(void *arg)
{
	struct kt_client *kc = &kt_mv.kc;
	unsigned long i;

	for (i = 0; i < kt_mv.nr && !kthread_should_stop(); i++) {
		mutex_lock(&kc->own);
		if (kc->pages[i]) {
			fragalloc_client_free(&kc->client, &kc->pages[i], 1);
			kc->pages[i] = NULL;
			kt_mv.freed++;
		}
		mutex_unlock(&kc->own);
		if (!(i % KT_MV_RUN))
			usleep_range(200, 400);
	}
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

static int kt_mv_alloc(struct kt_client *kc, unsigned long nr)
{
	unsigned long done = 0;
	int ret;

	while (done < nr) {
		ret = fragalloc_client_alloc_movable(&kc->client, NUMA_NO_NODE,
						     FRAGALLOC_ALLOC_BEST_EFFORT,
						     min(nr - done, 4096UL),
						     kc->pages + done, done);
		if (ret <= 0)
			return ret ? ret : -ENOMEM;
		done += ret;
		cond_resched();
	}
	return 0;
}

static int kt_mv_start(unsigned int mode)
{
	unsigned long free = global_zone_page_state(NR_FREE_PAGES), i;
	struct kt_client *kc = &kt_mv.kc;
	int ret;

	if (free < KT_MV_MARGIN + 4096)
		return -ENOMEM;
	memset(&kt_mv, 0, sizeof(kt_mv));
	kt_mv.nr = free - KT_MV_MARGIN;
	kt_mv.used0 = kt_used();
	kt_mv.other0 = kt_other();
	kt_mv.ctx_ok = true;
	kc->pages = kvcalloc(kt_mv.nr, sizeof(*kc->pages), GFP_KERNEL);
	kt_mv.pfns = kvcalloc(kt_mv.nr, sizeof(*kt_mv.pfns), GFP_KERNEL);
	if (!kc->pages || !kt_mv.pfns) {
		kvfree(kc->pages);
		kvfree(kt_mv.pfns);
		return -ENOMEM;
	}
	mutex_init(&kc->own);
	kc->client.move = kt_mv_move;
	fragalloc_client_init(&kc->client);
	kt_mv.mode = mode;
	ret = kt_mv_alloc(kc, kt_mv.nr);
	memset(&kt_mv_rounds[mode], 0, sizeof(kt_mv_rounds[mode]));
	kt_mv_rounds[mode].all = !ret;
	for (i = 0; i < kt_mv.nr; i++) {
		if (!kc->pages[i])
			continue;
		if (!kt_mv_kept(i)) {
			mutex_lock(&kc->own);
			fragalloc_client_free(&kc->client, &kc->pages[i], 1);
			kc->pages[i] = NULL;
			mutex_unlock(&kc->own);
		} else {
			mutex_lock(&kc->own);
			kt_fill(kc->pages[i], i);
			kt_mv.pfns[i] = page_to_pfn(kc->pages[i]);
			mutex_unlock(&kc->own);
		}
		if (!(i % 1024))
			cond_resched();
	}
	if (mode == 3)
		kt_mv.freer = kthread_run(kt_mv_freer, NULL, "kt_mv_freer");
	return 0;
}

/* Checks the round and destroys the client (the pages it still holds). */
static void kt_mv_end(void)
{
	struct kt_mv_round *r = &kt_mv_rounds[kt_mv.mode];
	struct kt_client *kc = &kt_mv.kc;
	unsigned long i;

	if (kt_mv.freer)
		kthread_stop(kt_mv.freer);
	r->nr = kt_mv.nr;
	r->intact = true;
	mutex_lock(&kc->own);
	for (i = 0; i < kt_mv.nr; i++) {
		if (!kc->pages[i])
			continue;
		r->kept++;
		r->changed += page_to_pfn(kc->pages[i]) != kt_mv.pfns[i];
		r->intact &= kt_check(kc->pages[i], i);
		if (!(i % 1024))
			cond_resched();
	}
	mutex_unlock(&kc->own);
	r->moves = kc->nr_moves;
	r->refused = kc->busy;
	r->freed = kt_mv.freed;
	r->ctx_ok = kt_mv.ctx_ok;
	r->stats_back = !fragalloc_client_destroy(&kc->client) &&
			kt_used() == kt_mv.used0 && kt_other() == kt_mv.other0;
	r->done = true;
	kvfree(kc->pages);
	kvfree(kt_mv.pfns);
	kt_mv.mode = 0;
}

static ssize_t kt_mv_write(struct file *file, const char __user *buf,
			   size_t len, loff_t *ppos)
{
	unsigned int mode;
	int ret;

	ret = kstrtouint_from_user(buf, len, 0, &mode);
	if (ret)
		return ret;
	if (mode > 3 || !mode == !kt_mv.mode)
		return -EINVAL;
	if (!mode)
		kt_mv_end();
	else if (kt_mv_start(mode))
		return -ENOMEM;
	return len;
}

static const struct file_operations kt_mv_fops = {
	.owner = THIS_MODULE,
	.write = kt_mv_write,
};

static bool kt_refuse(struct fragalloc_client *client, struct page *old,
		      struct page *new, unsigned long cookie)
{
	return false;
}

static void kt_mv_args(struct seq_file *m, unsigned int *n)
{
	struct kt_client kc = { .client.move = kt_refuse };
	struct page *page = NULL;
	u64 other0;
	int ret;

	fragalloc_client_init(&kc.client);
	KT_EXPECT(m, n, fragalloc_client_alloc_movable(&kc.client, NUMA_NO_NODE,
						       0, 0, &page, 0) == -EINVAL,
		  "movable: 0 pages is EINVAL");
	KT_EXPECT(m, n, fragalloc_client_alloc_movable(&kc.client, NUMA_NO_NODE,
						       FRAGALLOC_ALLOC_STRICT,
						       1, &page, 0) == -EINVAL,
		  "movable: FRAGALLOC_ALLOC_STRICT is EINVAL");
	KT_EXPECT(m, n, fragalloc_client_alloc_movable(&kc.client, -2, 0, 1,
						       &page, 0) == -EINVAL,
		  "movable: a bad node is EINVAL");
	other0 = kt_other();
	ret = fragalloc_client_alloc_movable(&kc.client, NUMA_NO_NODE, 0, 1,
					     &page, 7);
	KT_EXPECT(m, n, ret == 1 && kt_zeroed(page) &&
		  kt_other() == other0 + 1,
		  "movable: one zeroed page, counted in out_other_pages");
	if (ret == 1)
		fragalloc_client_free(&kc.client, &page, 1);
	KT_EXPECT(m, n, fragalloc_client_destroy(&kc.client) == 0 &&
		  !atomic_long_read(&kc.client.nr_pages) &&
		  kt_other() == other0,
		  "movable: freed, the client holds nothing, stats back");
}

static void kt_mv_expect(struct seq_file *m, unsigned int *n, bool ok,
			 const char *round, const char *what)
{
	char name[96];

	snprintf(name, sizeof(name), "movable %s: %s", round, what);
	KT_EXPECT(m, n, ok, name);
}

static void kt_mv_report(struct seq_file *m, unsigned int *n)
{
	static const char * const what[] = { "", "moves", "pinned", "race" };
	struct kt_mv_round *r;
	unsigned int i;

	for (i = 1; i < 4; i++) {
		r = &kt_mv_rounds[i];
		kt_mv_expect(m, n, r->done, what[i],
			     "the round ran (kapi_test.sh)");
		if (!r->done)
			continue;
		seq_printf(m, "# movable %s: %lu pages, %lu kept, %lu moves, %lu refused, %lu PFNs changed, %lu freed racing\n",
			   what[i], r->nr, r->kept, r->moves, r->refused,
			   r->changed, r->freed);
		kt_mv_expect(m, n, r->all, what[i], "all pages allocated");
		kt_mv_expect(m, n, r->ctx_ok, what[i],
			     "move() with both pages locked, may sleep");
		kt_mv_expect(m, n, r->intact, what[i], "contents intact");
		kt_mv_expect(m, n, r->stats_back, what[i],
			     "stats back after destroy");
		if (i == 1)
			KT_EXPECT(m, n, r->changed > 0 && r->changed <= r->moves,
				  "movable moves: compaction moved pages, each PFN change a move()");
		if (i == 2)
			KT_EXPECT(m, n, r->refused > 0 && !r->changed && !r->moves,
				  "movable pinned: move() asked and refused, no PFN changed");
		if (i == 3)
			KT_EXPECT(m, n, r->freed > 0,
				  "movable race: pages freed during compaction");
	}
}

static void kt_hold_report(struct seq_file *m, unsigned int *n)
{
	if (!kt_hold_state)
		return;
	seq_printf(m, "# held: pool-wide recompaction moved %lu client pages\n",
		   kt_hold_moved);
	KT_EXPECT(m, n, kt_hold_state == 2,
		  "held: plain pages with user-written private/index stay put and intact; client pages intact");
	KT_EXPECT(m, n, kt_hold_moved > 0,
		  "held: client pages moved by a pool-wide recompaction, private/index ignored");
}

static int kt_run_show(struct seq_file *m, void *v)
{
	unsigned int n = 0;

	seq_puts(m, "TAP version 13\n");
	kt_bad_args(m, &n);
	kt_nodes(m, &n);
	kt_plain(m, &n);
	kt_client(m, &n, false);
	kt_client(m, &n, true);
	kt_destroy_outstanding(m, &n);
	kt_reentrant(m, &n);
	kt_trylock(m, &n);
	kt_hold_report(m, &n);
	kt_mv_args(m, &n);
	kt_mv_report(m, &n);
	/* The plan comes last: the number of checks depends on the path. */
	seq_printf(m, "1..%u\n", n);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kt_run);

static int __init kt_init(void)
{
	kt_dir = debugfs_create_dir("fragalloc_kapi_test", NULL);
	debugfs_create_file("run", 0400, kt_dir, NULL, &kt_run_fops);
	debugfs_create_file("hold", 0200, kt_dir, NULL, &kt_hold_fops);
	debugfs_create_file("pin", 0200, kt_dir, NULL, &kt_pin_fops);
	debugfs_create_file("movable", 0200, kt_dir, NULL, &kt_mv_fops);
	return 0;
}

static void __exit kt_exit(void)
{
	debugfs_remove_recursive(kt_dir);
	if (kt_hold_state == 1)
		kt_hold_end();
	if (kt_pinned)
		kt_unpin();
	if (kt_mv.mode)
		kt_mv_end();
}

module_init(kt_init);
module_exit(kt_exit);
MODULE_DESCRIPTION("Tests of fragalloc's in-kernel API");
MODULE_LICENSE("GPL");
