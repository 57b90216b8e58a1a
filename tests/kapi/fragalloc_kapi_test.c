// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of fragalloc's in-kernel API, run from user space by reading
 * /sys/kernel/debug/fragalloc_kapi_test/run, which returns KTAP.
 */
#include <linux/debugfs.h>
#include <linux/fragalloc_kapi.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>

#define KT_PAGES	2048UL

struct kt_client {
	struct fragalloc_client client;
	struct page **pages;	/* indexed by cookie */
	unsigned long nr_moves;
	unsigned long refuse_below;	/* cookies below this are pinned */
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

static void kt_client(struct seq_file *m, unsigned int *n, bool pin)
{
	struct fragalloc_recompact out;
	struct kt_client kc = { .client.move = kt_move };
	unsigned long i, present = 0, before, after;
	u64 used0 = kt_used();
	bool intact = true;
	int ret;

	kc.pages = kvcalloc(KT_PAGES, sizeof(*kc.pages), GFP_KERNEL);
	if (!kc.pages) {
		KT_EXPECT(m, n, false, "client: test memory");
		return;
	}
	fragalloc_client_init(&kc.client);
	ret = fragalloc_client_alloc(&kc.client, FRAGALLOC_RECLAIMABLE, 0,
				     KT_PAGES, kc.pages, 0);
	KT_EXPECT(m, n, ret == KT_PAGES, "client: allocates all pages");
	if (ret != KT_PAGES)
		goto out;
	for (i = 0; i < KT_PAGES; i++)
		kt_fill(kc.pages[i], i);
	/* Free the first half of every pageblock's worth of cookies. */
	for (i = 0; i < KT_PAGES; i++) {
		if ((i & ((1UL << pageblock_order) - 1)) <
		    (1UL << (pageblock_order - 1))) {
			fragalloc_client_free(&kc.client, &kc.pages[i], 1);
			kc.pages[i] = NULL;
		} else {
			present++;
		}
	}
	kc.refuse_below = pin ? KT_PAGES : 0;
	before = kt_blocks(kc.pages, KT_PAGES);
	ret = fragalloc_client_recompact(&kc.client, 0, &out);
	after = kt_blocks(kc.pages, KT_PAGES);
	seq_printf(m, "# %s: %lu present pages, blocks %lu -> %lu, moved %llu, released %llu\n",
		   pin ? "pinned" : "movable", present, before, after,
		   out.out_pages_moved, out.out_blocks_released);
	KT_EXPECT(m, n, !ret, "client: recompact succeeds");
	for (i = 0; i < KT_PAGES; i++)
		if (kc.pages[i])
			intact &= kt_check(kc.pages[i], i);
	KT_EXPECT(m, n, intact, "client: every byte intact after moves");
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

static int kt_run_show(struct seq_file *m, void *v)
{
	unsigned int n = 0;

	seq_puts(m, "TAP version 13\n");
	kt_bad_args(m, &n);
	kt_plain(m, &n);
	kt_client(m, &n, false);
	kt_client(m, &n, true);
	/* The plan comes last: the number of checks depends on the path. */
	seq_printf(m, "1..%u\n", n);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kt_run);

static int __init kt_init(void)
{
	kt_dir = debugfs_create_dir("fragalloc_kapi_test", NULL);
	debugfs_create_file("run", 0400, kt_dir, NULL, &kt_run_fops);
	return 0;
}

static void __exit kt_exit(void)
{
	debugfs_remove_recursive(kt_dir);
}

module_init(kt_init);
module_exit(kt_exit);
MODULE_DESCRIPTION("Tests of fragalloc's in-kernel API");
MODULE_LICENSE("GPL");
