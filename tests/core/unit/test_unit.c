// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the fragalloc portable core.  Prints one TAP line per
 * test and a summary line "# core: P passed, F failed" for run_check.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "ops.h"

static int t_pass, t_fail, t_num;

#define T_ASSERT(c) do { if (!(c)) { \
	fprintf(stderr, "  %s:%d: assertion failed: %s\n", __FILE__, \
		__LINE__, #c); return false; } } while (0)
#define T_CHECK(pool, s) T_ASSERT(check_pool(pool, s))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static void report(const char *name, bool ok)
{
	t_num++;
	if (ok)
		t_pass++;
	else
		t_fail++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", t_num, name);
	fflush(stdout);
}

static u64 rng_state;

static u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static struct fa_pool *mkpool(struct sim *s, unsigned int bo,
			      unsigned int reserve, unsigned long nblocks)
{
	struct fa_pool_config cfg = { .block_order = bo,
				      .reserve_blocks = reserve };

	sim_init(s, bo);
	sim_add_region(s, 0, nblocks);
	return fa_pool_create(&cfg, &sim_ops, s);
}

static u64 meta(struct fa_pool *pool)
{
	struct fa_pool_stats st;

	fa_pool_get_stats(pool, &st);
	return st.meta_bytes;
}

static bool teardown(struct fa_pool *pool, struct sim *s, u64 base)
{
	fa_pool_set_reserve(pool, 0);
	T_CHECK(pool, s);
	T_ASSERT(meta(pool) == base);
	fa_pool_destroy(pool);
	T_ASSERT(s->outstanding == 0);
	T_ASSERT(s->errors == 0);
	sim_destroy(s);
	return true;
}

static void run(const char *name, bool (*fn)(void))
{
	fa_warn_fatal = true;
	report(name, fn());
}

/*
 * A test on a fresh pool of block order @bo keeping @reserve empty blocks,
 * over a source of @nblocks blocks.  The test frees what it allocated;
 * teardown() then checks that the pool and the source are back where they
 * started.
 */
static void run_pool(const char *name,
		     bool (*fn)(struct fa_pool *pool, struct sim *s),
		     unsigned int bo, unsigned int reserve,
		     unsigned long nblocks)
{
	struct fa_pool *pool;
	struct sim s;
	u64 base;

	fa_warn_fatal = true;
	pool = mkpool(&s, bo, reserve, nblocks);
	base = pool ? meta(pool) : 0;
	report(name, pool && fn(pool, &s) && teardown(pool, &s, base));
}

/* ---- blockmap ---- */

static int count_cb(void *arg, struct fa_block *b, unsigned int flags)
{
	unsigned long *last = arg;

	(void)flags;
	if (last[1] && b->pfn <= last[0])
		return -1;
	last[0] = b->pfn;
	last[1]++;
	return 0;
}

static bool test_blockmap_basic(void)
{
	struct fa_blockmap bm;
	struct fa_block dummy[4];
	unsigned long st[2] = { 0 };

	fa_bm_init(&bm, 9);
	dummy[0].pfn = 512 * 7;
	dummy[1].pfn = 512 * 6;
	dummy[2].pfn = 512 * 8;
	T_ASSERT(!fa_bm_lookup(&bm, 12345));
	T_ASSERT(fa_bm_get_flags(&bm, 12345, ~0U) == 0);
	T_ASSERT(fa_bm_attach(&bm, 512 * 7 + 3, &dummy[0],
			      FA_BS_OWNED | 2) == 0);
	T_ASSERT(fa_bm_lookup(&bm, 512 * 7) == &dummy[0]);
	T_ASSERT(fa_bm_lookup(&bm, 512 * 7 + 511) == &dummy[0]);
	T_ASSERT(!fa_bm_lookup(&bm, 512 * 8));
	T_ASSERT(fa_bm_get_flags(&bm, 512 * 7, ~0U) == (FA_BS_OWNED | 2));
	T_ASSERT(fa_bm_get_flags(&bm, 512 * 7, FA_BF_CLASS_MASK) == 2);
	fa_bm_set_flags(&bm, 512 * 7, 1, FA_BF_CLASS_MASK);
	T_ASSERT(fa_bm_get_flags(&bm, 512 * 7, ~0U) == (FA_BS_OWNED | 1));
	fa_bm_set_flags(&bm, 512 * 7, FA_BS_ISOLATED, FA_BF_STATE_MASK);
	T_ASSERT(fa_bm_get_flags(&bm, 512 * 7, ~0U) == (FA_BS_ISOLATED | 1));
	/* neighbours in the same flag word are untouched */
	T_ASSERT(fa_bm_attach(&bm, 512 * 6, &dummy[1], FA_BS_LOOSE | 3) == 0);
	T_ASSERT(fa_bm_attach(&bm, 512 * 8, &dummy[2], FA_BS_OWNED) == 0);
	T_ASSERT(fa_bm_get_flags(&bm, 512 * 7, ~0U) == (FA_BS_ISOLATED | 1));
	T_ASSERT(fa_bm_get_flags(&bm, 512 * 6, ~0U) == (FA_BS_LOOSE | 3));
	T_ASSERT(fa_bm_get_flags(&bm, 512 * 8, ~0U) == FA_BS_OWNED);
	T_ASSERT(fa_bm_for_each(&bm, count_cb, st) == 0 && st[1] == 3);
	fa_bm_detach(&bm, 512 * 7);
	T_ASSERT(!fa_bm_lookup(&bm, 512 * 7));
	T_ASSERT(fa_bm_get_flags(&bm, 512 * 7, ~0U) == 0);
	fa_bm_detach(&bm, 512 * 6);
	fa_bm_detach(&bm, 512 * 8);
	T_ASSERT(bm.meta_bytes == 0 && bm.height == 0 && !bm.root);
	fa_bm_destroy(&bm);
	return true;
}

static bool test_blockmap_sparse(void)
{
	static const unsigned long pfns[] = {
		0, 4, 1UL << 20, 1UL << 40, (1UL << 40) + 4, (1UL << 52) + 16,
		~0UL & ~3UL,
	};
	struct fa_block dummy[8];
	struct fa_blockmap bm;
	unsigned long st[2] = { 0 };
	unsigned int i;

	fa_bm_init(&bm, 2);
	for (i = 0; i < ARRAY_SIZE(pfns); i++) {
		dummy[i].pfn = pfns[i];
		T_ASSERT(fa_bm_attach(&bm, pfns[i], &dummy[i], i & 3) == 0);
	}
	for (i = 0; i < ARRAY_SIZE(pfns); i++) {
		T_ASSERT(fa_bm_lookup(&bm, pfns[i] + 3) == &dummy[i]);
		T_ASSERT(fa_bm_get_flags(&bm, pfns[i], ~0U) == (i & 3));
	}
	T_ASSERT(!fa_bm_lookup(&bm, 8));
	T_ASSERT(!fa_bm_lookup(&bm, (1UL << 40) + 8));
	/* a few chunks and a short path per pfn, not sized by the max pfn */
	T_ASSERT(bm.meta_bytes < 64 * 1024);
	T_ASSERT(fa_bm_for_each(&bm, count_cb, st) == 0 && st[1] == 7);
	for (i = 0; i < ARRAY_SIZE(pfns); i++)
		fa_bm_detach(&bm, pfns[i]);
	T_ASSERT(bm.meta_bytes == 0 && bm.height == 0);
	/* detaching unknown pfns is harmless */
	fa_bm_detach(&bm, 1UL << 33);
	fa_bm_destroy(&bm);
	return true;
}

/* ---- pool ---- */

static bool test_create_invalid(void)
{
	struct fa_pool_config cfg = { .block_order = 0 };
	struct fa_source_ops bad = { 0 };
	struct sim s;
	struct fa_pool *pool;
	unsigned long pfn;

	sim_init(&s, 3);
	sim_add_region(&s, 0, 4);
	T_ASSERT(!fa_pool_create(&cfg, &sim_ops, &s));
	cfg.block_order = FA_MAX_BLOCK_ORDER + 1;
	T_ASSERT(!fa_pool_create(&cfg, &sim_ops, &s));
	cfg.block_order = 3;
	T_ASSERT(!fa_pool_create(&cfg, &bad, &s));
	T_ASSERT(!fa_pool_create(NULL, &sim_ops, &s));
	pool = fa_pool_create(&cfg, &sim_ops, &s);
	T_ASSERT(pool);
	T_ASSERT(fa_pool_alloc(pool, 3, 1, &pfn, 0, NULL) == -EINVAL);
	T_ASSERT(fa_pool_alloc(pool, 0, 1, &pfn, 0x80, NULL) == -EINVAL);
	T_ASSERT(fa_pool_alloc(pool, 0, 1, NULL, 0, NULL) == -EINVAL);
	T_ASSERT(fa_pool_alloc(NULL, 0, 1, &pfn, 0, NULL) == -EINVAL);
	T_ASSERT(fa_pool_alloc(pool, 0, 0, NULL, 0, NULL) == 0);
	T_ASSERT(fa_plan(pool, 3, NULL, NULL, NULL, 0, 0, NULL) == -EINVAL);
	T_ASSERT(fa_plan(pool, 0, NULL, NULL, NULL, 0, 0x10, NULL) == -EINVAL);
	T_ASSERT(fa_pool_block_order(pool) == 3);
	return teardown(pool, &s, sizeof(struct fa_pool) ? meta(pool) : 0);
}

static bool test_best_fit(struct fa_pool *pool, struct sim *s)
{
	unsigned long a[8], b[8], c[8], d[8];
	struct fa_alloc_result r;

	/* A: 3 used; B: 6 used (2 free) */
	T_ASSERT(check_alloc(pool, s, 0, 3, a, 0, &r) == 0);
	T_ASSERT(r.nr_fresh_blocks == 1 && r.nr_blocks_touched == 1);
	T_ASSERT(check_alloc(pool, s, 0, 5, b, 0, &r) == 0);
	/* 5 free in A: fits, no fresh block */
	T_ASSERT(r.nr_fresh_blocks == 0);
	T_ASSERT((a[0] >> 3) == (b[0] >> 3));
	T_ASSERT(check_alloc(pool, s, 0, 6, c, 0, &r) == 0);
	T_ASSERT(r.nr_fresh_blocks == 1);
	check_free(pool, s, c, 2);	/* C block: 4 used, 4 free */
	check_free(pool, s, a, 2);	/* A block: 6 used, 2 free */
	T_CHECK(pool, s);
	/* 1 page: the block with the fewest free pages (A) */
	T_ASSERT(check_alloc(pool, s, 0, 1, d, 0, &r) == 0);
	T_ASSERT((d[0] >> 3) == (a[0] >> 3));
	/* 3 pages: 1 from A then 2 from C, no fresh block */
	T_ASSERT(check_alloc(pool, s, 0, 3, d + 1, 0, &r) == 0);
	T_ASSERT(r.nr_fresh_blocks == 0 && r.nr_blocks_touched == 2);
	T_CHECK(pool, s);
	check_free(pool, s, a + 2, 1);
	check_free(pool, s, b, 5);
	check_free(pool, s, c + 2, 4);
	check_free(pool, s, d, 4);
	return true;
}

static bool test_batch_affinity(struct fa_pool *pool, struct sim *s)
{
	unsigned long a[8], big[19];
	struct fa_alloc_result r;
	unsigned int i, inpart = 0;

	T_ASSERT(check_alloc(pool, s, 1, 4, a, 0, &r) == 0);
	T_ASSERT(check_alloc(pool, s, 1, 19, big, 0, &r) == 0);
	/* 2 whole blocks of its own, the 3 tail pages into the partial */
	T_ASSERT(r.nr_fresh_blocks == 2 && r.nr_blocks_touched == 3);
	for (i = 0; i < 19; i++)
		inpart += (big[i] >> 3) == (a[0] >> 3);
	T_ASSERT(inpart == 3);
	T_CHECK(pool, s);
	check_free(pool, s, big, 19);
	check_free(pool, s, a, 4);
	return true;
}

static bool test_classes(struct fa_pool *pool, struct sim *s)
{
	unsigned long p[3][5];
	unsigned int c, d, i, j;

	for (c = 0; c < 3; c++)
		T_ASSERT(check_alloc(pool, s, c, 5, p[c], 0, NULL) == 0);
	for (c = 0; c < 3; c++)
		for (d = 0; d < 3; d++)
			for (i = 0; c != d && i < 5; i++)
				for (j = 0; j < 5; j++)
					T_ASSERT(p[c][i] >> 2 != p[d][j] >> 2);
	T_CHECK(pool, s);
	for (c = 0; c < 3; c++)
		check_free(pool, s, p[c], 5);
	return true;
}

static bool test_reserve(struct fa_pool *pool, struct sim *s)
{
	unsigned long p[24], q[8];
	struct fa_pool_stats st;

	T_ASSERT(check_alloc(pool, s, 0, 24, p, 0, NULL) == 0);
	check_free(pool, s, p, 24);
	T_CHECK(pool, s);
	fa_pool_get_stats(pool, &st);
	T_ASSERT(st.reserve_blocks == 1 && fa_pool_reserve_blocks(pool) == 1);
	T_ASSERT(st.blocks_released == 2 && s->outstanding == 8);
	/* reused with another class */
	T_ASSERT(check_alloc(pool, s, 2, 3, q, 0, NULL) == 0);
	fa_pool_get_stats(pool, &st);
	T_ASSERT(st.reserve_blocks == 0 && st.blocks_acquired == 3);
	T_ASSERT((fa_pool_block_flags(pool, q[0]) & FA_BF_CLASS_MASK) == 2);
	check_free(pool, s, q, 3);
	T_ASSERT(fa_pool_reserve_blocks(pool) == 1);
	T_ASSERT(fa_pool_trim(pool, 5) == 1);
	T_ASSERT(fa_pool_reserve_blocks(pool) == 0 && s->outstanding == 0);
	fa_pool_set_reserve(pool, 3);
	T_ASSERT(check_alloc(pool, s, 0, 24, p, 0, NULL) == 0);
	check_free(pool, s, p, 24);
	T_ASSERT(fa_pool_reserve_blocks(pool) == 3);
	fa_pool_set_reserve(pool, 1);
	T_ASSERT(fa_pool_reserve_blocks(pool) == 1);
	T_CHECK(pool, s);
	return true;
}

static u64 prezeroed(struct fa_pool *pool)
{
	struct fa_pool_stats st;

	fa_pool_get_stats(pool, &st);
	return st.pages_prezeroed;
}

/*
 * The zeroed marks: set on free pages of a reserve block by the zeroer
 * (never on the front block, the next allocation's), handed out with the
 * pages (check_alloc() checks every marked page holds zeroes), never kept
 * on a page that was written since (the sequence freed, zeroed, allocated
 * and written, freed again).
 */
static bool test_zeroed(struct fa_pool *pool, struct sim *s)
{
	unsigned long p[16], q[16], pfn, dirty[1], other, a, b;
	struct fa_pool_stats st;
	u64 z0;

	T_ASSERT(fa_pool_zero_begin(pool, &pfn, dirty) == 0);
	T_ASSERT(check_alloc(pool, s, 0, 8, p, 0, NULL) == 0);
	check_free(pool, s, p, 8);
	a = p[0];
	/* never the front block: the next allocation reuses it */
	T_ASSERT(fa_pool_zero_begin(pool, &pfn, dirty) == 0);
	T_ASSERT(check_alloc(pool, s, 0, 16, q, 0, NULL) == 0);
	T_ASSERT(q[0] == a);
	b = q[8];
	check_free(pool, s, q, 16);
	/* reserve: b (emptied last) then a */
	T_ASSERT(check_zero_begin(pool, s, &pfn, dirty) == 8);
	T_ASSERT(pfn == a && dirty[0] == 0xff);
	T_ASSERT(fa_pool_zero_begin(pool, &other, dirty) == -EBUSY);
	dirty[0] = 0xff;
	/* a is out: an allocation meanwhile takes b */
	T_ASSERT(check_alloc(pool, s, 1, 8, q, 0, NULL) == 0);
	T_ASSERT(q[0] == b && fa_pool_reserve_blocks(pool) == 1);
	T_CHECK(pool, s);
	check_free(pool, s, q, 8);
	T_ASSERT(fa_pool_reserve_blocks(pool) == 2);
	check_zero_end(pool, s, pfn, dirty, 8);
	T_CHECK(pool, s);
	fa_pool_get_stats(pool, &st);
	T_ASSERT(st.pages_zeroed == 8);
	/* b first (dirty), then a: every page of a comes marked */
	z0 = prezeroed(pool);
	T_ASSERT(check_alloc(pool, s, 2, 16, q, 0, NULL) == 0);
	T_ASSERT(q[0] == b && q[8] == a && prezeroed(pool) - z0 == 8);
	/* written (check_alloc), freed dirty: no mark survives */
	check_free(pool, s, q, 16);
	T_CHECK(pool, s);
	z0 = prezeroed(pool);
	T_ASSERT(check_alloc(pool, s, 2, 8, q, 0, NULL) == 0);
	T_ASSERT(q[0] == a && prezeroed(pool) == z0);
	check_free(pool, s, q, 8);
	/* part of b zeroed (a zeroer that stopped early), then handed out */
	T_ASSERT(check_zero_begin(pool, s, &pfn, dirty) == 8);
	T_ASSERT(pfn == b);
	check_zero_end(pool, s, pfn, dirty, 3);
	T_CHECK(pool, s);
	z0 = prezeroed(pool);
	T_ASSERT(check_alloc(pool, s, 0, 16, q, 0, NULL) == 0);
	T_ASSERT(q[0] == a && q[8] == b && prezeroed(pool) - z0 == 3);
	check_free(pool, s, q, 16);
	/* the reserve shrinks meanwhile: the block goes when put back */
	T_ASSERT(check_zero_begin(pool, s, &pfn, dirty) == 8);
	fa_pool_set_reserve(pool, 0);
	T_ASSERT(fa_pool_reserve_blocks(pool) == 1);
	T_CHECK(pool, s);
	fa_pool_get_stats(pool, &st);
	z0 = st.blocks_released;
	check_zero_end(pool, s, pfn, dirty, 8);
	fa_pool_get_stats(pool, &st);
	T_ASSERT(st.blocks_released == z0 + 1 && !st.reserve_blocks);
	T_ASSERT(s->outstanding == 0);
	T_CHECK(pool, s);
	return true;
}

static bool test_loose_fallback(struct fa_pool *pool, struct sim *s)
{
	unsigned long p[40], q[16];
	struct fa_alloc_result r;
	struct fa_pool_stats st;
	unsigned long before;
	unsigned int i;

	/* one whole block, then the source only has order <= 1 chunks */
	T_ASSERT(check_alloc(pool, s, 0, 16, q, 0, &r) == 0);
	for (i = 16; i < 8 * 16; i += 4)
		T_ASSERT(sim_take_other(s, i));
	T_ASSERT(check_alloc(pool, s, 0, 13, p, FA_ALLOC_STRICT, &r) ==
		 -ENOMEM);
	T_ASSERT(s->outstanding == 16);
	before = s->outstanding;
	T_ASSERT(check_alloc(pool, s, 0, 13, p, 0, &r) == 0);
	T_ASSERT(r.nr_loose == 13);
	/* never over-allocates: exactly 13 pages more from the source */
	T_ASSERT(s->outstanding == before + 13);
	for (i = 0; i < 13; i++)
		T_ASSERT((fa_pool_block_flags(pool, p[i]) & FA_BF_STATE_MASK) ==
			 FA_BS_LOOSE);
	fa_pool_get_stats(pool, &st);
	T_ASSERT(st.fallbacks == 1 && st.cls[0].loose_pages == 13 &&
		 st.loose_acquired == 13);
	T_CHECK(pool, s);
	/* loose pages go back at once */
	check_free(pool, s, p, 5);
	T_ASSERT(s->outstanding == before + 8);
	/* a freed owned page makes room: used before any loose page */
	check_free(pool, s, q, 1);
	T_ASSERT(check_alloc(pool, s, 0, 1, q, FA_ALLOC_STRICT, &r) == 0);
	T_ASSERT(r.nr_loose == 0);
	/* two classes' loose pages may share a physical pageblock */
	T_ASSERT(check_alloc(pool, s, 1, 3, p + 20, 0, &r) == 0);
	T_ASSERT(r.nr_loose == 3);
	T_CHECK(pool, s);
	check_free(pool, s, p + 5, 8);
	check_free(pool, s, p + 20, 3);
	check_free(pool, s, q, 16);
	T_CHECK(pool, s);
	sim_release_others(s);
	return true;
}

static bool test_no_source(struct fa_pool *pool, struct sim *s)
{
	unsigned long p[40];
	struct fa_pool_stats st, st2;

	T_ASSERT(check_alloc(pool, s, 0, 10, p, 0, NULL) == 0);
	fa_pool_get_stats(pool, &st);
	/* 33 > 32 total: -ENOMEM, everything rolled back */
	T_ASSERT(check_alloc(pool, s, 1, 23, p + 10, 0, NULL) == -ENOMEM);
	T_CHECK(pool, s);
	fa_pool_get_stats(pool, &st2);
	T_ASSERT(st2.cls[1].pages_used == 0 && st2.cls[1].loose_pages == 0);
	T_ASSERT(st2.cls[0].pages_used == 10);
	T_ASSERT(s->outstanding <= 16 + 16);
	/* exactly the rest fits */
	T_ASSERT(check_alloc(pool, s, 0, 22, p + 10, 0, NULL) == 0);
	T_CHECK(pool, s);
	check_free(pool, s, p, 32);
	(void)st;
	return true;
}

static bool test_eintr(struct fa_pool *pool, struct sim *s)
{
	unsigned long p[200];

	s->stop_after = 3;
	T_ASSERT(check_alloc(pool, s, 0, 200, p, 0, NULL) == -EINTR);
	T_ASSERT(s->outstanding == 0);
	T_CHECK(pool, s);
	/* should_stop consulted at least once per block's worth of pages */
	s->stop_after = -1;
	s->nstop = 0;
	T_ASSERT(check_alloc(pool, s, 0, 200, p, 0, NULL) == 0);
	T_ASSERT(s->nstop >= 200 / 8);
	check_free(pool, s, p, 200);
	return true;
}

static bool test_misuse(void)
{
	struct sim s;
	struct fa_pool *pool = mkpool(&s, 3, 0, 8);
	unsigned long p[4], bogus = 12345;

	T_ASSERT(check_alloc(pool, &s, 0, 4, p, 0, NULL) == 0);
	fa_warn_fatal = false;
	fa_warn_count = 0;
	check_free(pool, &s, p, 1);
	fa_pool_free(pool, p, 1);		/* double free */
	T_ASSERT(fa_warn_count == 1);
	fa_pool_free(pool, &bogus, 1);		/* never handed out */
	T_ASSERT(fa_warn_count == 2);
	T_CHECK(pool, &s);
	/* destroy with pages in use: warns, leaks pages, frees metadata */
	fa_pool_destroy(pool);
	T_ASSERT(fa_warn_count == 3);
	T_ASSERT(s.outstanding == 8 && s.errors == 0);
	fa_warn_fatal = true;
	sim_destroy(&s);
	return true;
}

static bool test_sparse_pool(void)
{
	struct fa_pool_config cfg = { .block_order = 9, .reserve_blocks = 0 };
	struct sim s;
	struct fa_pool *pool;
	unsigned long *p = malloc(2048 * sizeof(*p));
	u64 base;
	unsigned int i, hi = 0;

	sim_init(&s, 9);
	sim_add_region(&s, 0, 2);
	sim_add_region(&s, 1UL << 40, 2);
	pool = fa_pool_create(&cfg, &sim_ops, &s);
	base = meta(pool);
	T_ASSERT(check_alloc(pool, &s, 0, 2048, p, 0, NULL) == 0);
	for (i = 0; i < 2048; i++)
		hi += p[i] >= (1UL << 40);
	T_ASSERT(hi == 1024);
	T_ASSERT(meta(pool) - base < 8192);
	T_CHECK(pool, &s);
	check_free(pool, &s, p, 2048);
	free(p);
	return teardown(pool, &s, base);
}

static bool test_meta_per_page(struct fa_pool *pool, struct sim *s)
{
	unsigned long n = 256UL * 512, *p = malloc(n * sizeof(*p));
	u64 base = meta(pool), m;

	T_ASSERT(check_alloc(pool, s, 0, n, p, 0, NULL) == 0);
	m = meta(pool);
	fprintf(stderr, "  meta: %llu bytes for %lu pages (%.3f B/page, ",
		m, n, (double)m / n);
	fprintf(stderr, "%.3f excluding fixed %llu)\n",
		(double)(m - base) / n, base);
	T_ASSERT(m <= n);
	T_CHECK(pool, s);
	check_free(pool, s, p, n);
	free(p);
	return true;
}

/* ---- planner ---- */

static unsigned int pin_mod;
static u64 pin_seed;

static bool is_pinned(unsigned long pfn)
{
	return pin_mod && ((pfn * 2654435761UL + pin_seed) >> 7) % 16 < pin_mod;
}

static bool movable_fn(void *ctx, unsigned long pfn)
{
	(void)ctx;
	return !is_pinned(pfn);
}

struct oracle {
	unsigned long loose_after, blocks, moves;
};

static struct oracle brute_force(struct fa_pool *pool, unsigned int cls)
{
	unsigned long used[16], nused = 0, nloose = 0, lm = 0, n = 0;
	unsigned long bp = pool->bp;
	bool pin[16];
	struct oracle best = { ~0UL, ~0UL, ~0UL };
	struct fa_list *p;
	unsigned int i, bit, mask;
	struct fa_block *all[16];
	unsigned long nall = check_class_blocks(pool, cls, all, 16), k;

	for (k = 0; k < nall; k++) {
		struct fa_block *b = all[k];

		used[n] = b->nr_used;
		pin[n] = false;
		for (bit = 0; bit < bp; bit++)
			if (fa_test_bit(b->map, bit) && is_pinned(b->pfn + bit))
				pin[n] = true;
		nused += used[n++];
	}
	for (p = pool->loose.next; p != &pool->loose; p = p->next) {
		struct fa_block *b = fa_container_of(p, struct fa_block, node);

		for (bit = 0; bit < bp; bit++)
			if (fa_test_bit(fa_loose_map(pool, b, cls), bit)) {
				nloose++;
				lm += !is_pinned(b->pfn + bit);
			}
	}
	for (mask = 0; mask < (1U << n); mask++) {
		unsigned long k = 0, kept_used = 0, absorb;
		struct oracle o;
		bool ok = true;

		for (i = 0; i < n; i++) {
			if (mask & (1U << i)) {
				k++;
				kept_used += used[i];
			} else if (pin[i]) {
				ok = false;
			}
		}
		if (!ok || k * bp < nused)
			continue;
		absorb = k * bp - nused < lm ? k * bp - nused : lm;
		o.loose_after = nloose - absorb;
		o.blocks = k;
		o.moves = nused - kept_used + absorb;
		if (o.loose_after < best.loose_after ||
		    (o.loose_after == best.loose_after &&
		     (o.blocks < best.blocks ||
		      (o.blocks == best.blocks && o.moves < best.moves))))
			best = o;
	}
	return best;
}

/* random class state: up to nblk owned blocks of cls, some loose pages */
static bool build_state(struct fa_pool *pool, struct sim *s, unsigned int cls,
			unsigned int nblk, unsigned int nloose,
			unsigned long **pages, unsigned long *np)
{
	unsigned long bp = pool->bp, n = nblk * bp, i, k = 0;
	unsigned long *p = malloc((n + nloose + 1) * sizeof(*p));

	if (n)
		T_ASSERT(check_alloc(pool, s, cls, n, p, 0, NULL) == 0);
	if (nloose) {
		s->max_order = pool->cfg.block_order - 1;
		T_ASSERT(check_alloc(pool, s, cls, nloose, p + n, 0, NULL) == 0);
		s->max_order = -1;
	}
	n += nloose;
	/* free a random subset, keeping the rest */
	for (i = 0; i < n; i++) {
		if (rnd() % 100 < 55)
			T_ASSERT(check_free(pool, s, &p[i], 1));
		else
			p[k++] = p[i];
	}
	*pages = p;
	*np = k;
	return true;
}

static bool apply_plan(struct fa_pool *pool, struct sim *s, unsigned int cls,
		       struct fa_move *mv, long n, unsigned long *pages,
		       unsigned long np)
{
	long i;
	unsigned long j;

	(void)cls;
	for (i = 0; i < n; i++) {
		T_ASSERT(!is_pinned(mv[i].src));
		for (j = 0; j < np; j++)
			if (pages[j] == mv[i].src)
				pages[j] = mv[i].dst;
		T_ASSERT(check_move(pool, s, &mv[i], true));
	}
	return true;
}

static bool test_planner_oracle(void)
{
	unsigned int iter, passes = 0;

	rng_state = 0x9e3779b97f4a7c15ULL;
	for (iter = 0; iter < 1500; iter++) {
		unsigned int bo = 2 + rnd() % 2, cls = rnd() % 3;
		struct sim s;
		struct fa_pool *pool = mkpool(&s, bo, rnd() % 3, 24);
		unsigned long *pages, np, cap = ~0UL;
		struct fa_plan_result res, dres;
		struct fa_move mv[256];
		struct oracle o;
		u64 base = meta(pool);
		long n;

		pin_mod = rnd() % 3 ? rnd() % 4 : 0;
		pin_seed = rnd();
		if (!build_state(pool, &s, cls, 1 + rnd() % 8, rnd() % 3 ?
				 rnd() % 12 : 0, &pages, &np))
			return false;
		T_CHECK(pool, &s);
		o = brute_force(pool, cls);
		n = fa_plan(pool, cls, movable_fn, NULL, NULL, cap,
			    FA_PLAN_DRY_RUN, &dres);
		T_ASSERT(n >= 0);
		n = fa_plan(pool, cls, movable_fn, NULL, mv, 256, 0, &res);
		T_ASSERT(n >= 0 && memcmp(&res, &dres, sizeof(res)) == 0);
		T_ASSERT(check_plan_dsts(&s, mv, n, cls));
		if ((unsigned long)n != o.moves || res.blocks_after != o.blocks ||
		    res.loose_after != o.loose_after) {
			fprintf(stderr, "  iter %u: plan moves %ld blocks %lu loose %lu; ",
				iter, n, res.blocks_after, res.loose_after);
			fprintf(stderr, "oracle %lu %lu %lu\n",
				o.moves, o.blocks, o.loose_after);
			return false;
		}
		T_ASSERT(fa_plan(pool, cls, NULL, NULL, mv, 256, 0, NULL) ==
			 -EBUSY);
		T_CHECK(pool, &s);
		if (!apply_plan(pool, &s, cls, mv, n, pages, np))
			return false;
		T_CHECK(pool, &s);
		fa_plan_finish(pool, cls);
		T_CHECK(pool, &s);
		T_ASSERT(pool->cls[cls].blocks == res.blocks_after);
		T_ASSERT(pool->cls[cls].loose_pages == res.loose_after);
		if (!pin_mod)
			T_ASSERT(pool->cls[cls].blocks ==
				 (pool->cls[cls].pages_used + pool->bp - 1) /
				 pool->bp);
		/* a second plan has nothing left to do */
		n = fa_plan(pool, cls, movable_fn, NULL, NULL, cap,
			    FA_PLAN_DRY_RUN, &res);
		T_ASSERT(n == 0);
		check_free(pool, &s, pages, np);
		free(pages);
		if (!teardown(pool, &s, base))
			return false;
		passes++;
	}
	return passes == 1500;
}

static bool test_planner_cap(struct fa_pool *pool, struct sim *s)
{
	unsigned long p[64], keep[64], nk = 0;
	struct fa_plan_result res;
	struct fa_move mv[64];
	unsigned int i;
	long n;

	pin_mod = 0;
	/* 8 blocks with 7,6,5,4,3,2,1,1 used pages (29 pages: 4 blocks) */
	T_ASSERT(check_alloc(pool, s, 0, 64, p, 0, NULL) == 0);
	{
		static const unsigned int u[8] = { 7, 6, 5, 4, 3, 2, 1, 1 };
		unsigned int b;

		for (b = 0; b < 8; b++)
			for (i = 0; i < 8; i++) {
				if (i < u[b])
					keep[nk++] = p[b * 8 + i];
				else
					check_free(pool, s, &p[b * 8 + i], 1);
			}
	}
	T_CHECK(pool, s);
	/*
	 * cap 3: empties the two 1-page blocks (2 moves) and takes one of the
	 * 2-page block's pages, a prefix of the full plan
	 */
	n = fa_plan(pool, 0, NULL, NULL, mv, 3, 0, &res);
	T_ASSERT(n == 3 && res.blocks_after == 6 && res.blocks_before == 8);
	T_ASSERT(check_plan_dsts(s, mv, n, 0));
	T_ASSERT(res.blocks_released == 2);
	for (i = 0; i < 3; i++)
		T_ASSERT((fa_pool_block_flags(pool, mv[i].src) &
			  FA_BF_STATE_MASK) == FA_BS_ISOLATED);
	/* the allocator does not use isolated blocks */
	T_ASSERT(check_alloc(pool, s, 0, 2, p, 0, NULL) == 0);
	T_ASSERT((fa_pool_block_flags(pool, p[0]) & FA_BF_STATE_MASK) ==
		 FA_BS_OWNED);
	check_free(pool, s, p, 2);
	/* abandon one move, complete the others */
	T_ASSERT(check_move(pool, s, &mv[0], false));
	if (!apply_plan(pool, s, 0, mv + 1, 2, keep, nk))
		return false;
	T_CHECK(pool, s);
	fa_plan_finish(pool, 0);
	T_CHECK(pool, s);
	T_ASSERT(pool->cls[0].blocks == 7);
	/* full plan: 4 blocks remain */
	n = fa_plan(pool, 0, NULL, NULL, mv, 64, 0, &res);
	T_ASSERT(n > 0 && res.blocks_after == 4);
	T_ASSERT(check_plan_dsts(s, mv, n, 0));
	if (!apply_plan(pool, s, 0, mv, n, keep, nk))
		return false;
	fa_plan_finish(pool, 0);
	T_CHECK(pool, s);
	T_ASSERT(pool->cls[0].blocks == 4 && s->outstanding == 32);
	check_free(pool, s, keep, nk);
	return true;
}

/*
 * FA_POOL_MOVABLE_MARKS: the planner moves only pages the pool itself
 * recorded as movable; a freed page loses its mark, so a page that was
 * freed and handed out again is pinned until marked anew.
 */
static bool test_movable_marks(void)
{
	struct fa_pool_config cfg = { .block_order = 3,
				      .flags = FA_POOL_MOVABLE_MARKS };
	struct fa_plan_result res;
	unsigned long p[16], q;
	struct fa_pool *pool;
	struct sim s;
	u64 base;

	sim_init(&s, 3);
	sim_add_region(&s, 0, 8);
	cfg.flags = 0x80;
	T_ASSERT(!fa_pool_create(&cfg, &sim_ops, &s));
	cfg.flags = FA_POOL_MOVABLE_MARKS;
	pool = fa_pool_create(&cfg, &sim_ops, &s);
	T_ASSERT(pool);
	base = meta(pool);
	/* two half-full blocks of class 0 */
	T_ASSERT(check_alloc(pool, &s, 0, 16, p, 0, NULL) == 0);
	T_ASSERT((p[0] >> 3) != (p[8] >> 3));
	check_free(pool, &s, p + 4, 4);
	check_free(pool, &s, p + 12, 4);
	T_CHECK(pool, &s);
	/* nothing marked: nothing moves */
	T_ASSERT(fa_plan(pool, 0, NULL, NULL, NULL, 16, FA_PLAN_DRY_RUN,
			 &res) == 0);
	/* the second block's pages marked: they move into the first */
	fa_pool_set_movable(pool, p + 8, 4, true);
	T_ASSERT(fa_pool_page_movable(pool, p[8]) &&
		 !fa_pool_page_movable(pool, p[0]));
	T_CHECK(pool, &s);
	T_ASSERT(fa_plan(pool, 0, NULL, NULL, NULL, 16, FA_PLAN_DRY_RUN,
			 &res) == 4 && res.blocks_after == 1);
	/* a freed page loses its mark, also when it is handed out again */
	check_free(pool, &s, p + 8, 1);
	T_ASSERT(!fa_pool_page_movable(pool, p[8]));
	T_CHECK(pool, &s);
	T_ASSERT(check_alloc(pool, &s, 0, 1, &q, 0, NULL) == 0);
	T_ASSERT(!fa_pool_page_movable(pool, q));
	/*
	 * p[8]'s block now holds an unmarked page (q, or p[1..3]'s block
	 * took it): whichever block that is stays
	 */
	T_ASSERT(fa_plan(pool, 0, NULL, NULL, NULL, 16, FA_PLAN_DRY_RUN,
			 &res) >= 0);
	T_ASSERT(res.blocks_after == 2 || (q >> 3) == (p[0] >> 3));
	/* unmarking works too */
	fa_pool_set_movable(pool, p + 9, 3, false);
	T_ASSERT(fa_plan(pool, 0, NULL, NULL, NULL, 16, FA_PLAN_DRY_RUN,
			 &res) == 0);
	check_free(pool, &s, &q, 1);
	check_free(pool, &s, p, 4);
	check_free(pool, &s, p + 9, 3);
	return teardown(pool, &s, base);
}

/*
 * fa_pool_break(): pinned partial blocks give their free pages back one by
 * one; their used pages live on as loose pages and go back as they are
 * freed; the fullest block(s) asked to be kept stay whole.
 */
static bool test_break(struct fa_pool *pool, struct sim *s)
{
	struct fa_pool_stats st;
	unsigned long p[32];
	unsigned int i;

	/* four blocks of class 1: 8, 6, 3 and 1 pages used */
	T_ASSERT(check_alloc(pool, s, 1, 32, p, 0, NULL) == 0);
	check_free(pool, s, p + 14, 2);
	check_free(pool, s, p + 19, 5);
	check_free(pool, s, p + 25, 7);
	T_CHECK(pool, s);
	T_ASSERT(pool->cls[1].blocks == 4);
	/* 14 free pages, less the 2 of the fullest partial block */
	T_ASSERT(fa_pool_reclaimable_pages(pool) == 12);
	T_ASSERT(fa_pool_break(pool, 0, 0, 0) == 0);	/* no such blocks */
	/* keep one partial block: the 3- and 1-page blocks break */
	T_ASSERT(fa_pool_break(pool, 1, 0, 1) == 5 + 7);
	T_CHECK(pool, s);
	fa_pool_get_stats(pool, &st);
	T_ASSERT(st.blocks_broken == 2 && st.broken_pages_released == 12);
	T_ASSERT(st.cls[1].blocks == 2 && st.cls[1].loose_pages == 4);
	T_ASSERT((fa_pool_block_flags(pool, p[16]) & FA_BF_STATE_MASK) ==
		 FA_BS_LOOSE);
	T_ASSERT((fa_pool_block_flags(pool, p[8]) & FA_BF_STATE_MASK) ==
		 FA_BS_OWNED);
	/* a cap stops after the block that reaches it */
	T_ASSERT(fa_pool_break(pool, 1, 1, 0) == 2);
	T_CHECK(pool, s);
	/* the full block never breaks */
	T_ASSERT(fa_pool_break(pool, 1, 0, 0) == 0);
	T_ASSERT(pool->cls[1].blocks == 1);
	/* loose pages go back one by one */
	for (i = 8; i < 32; i++)
		if (fa_pool_page_in_use(pool, p[i]))
			check_free(pool, s, &p[i], 1);
	T_CHECK(pool, s);
	check_free(pool, s, p, 8);
	return true;
}

/*
 * FA_PLAN_GROW: loose pages taken while memory was fragmented go back into
 * whole blocks opened once the source has them again.
 */
static bool test_planner_grow(struct fa_pool *pool, struct sim *s)
{
	unsigned long q[16], p[20], keep[36], nk = 0;
	struct fa_plan_result dres, res;
	struct fa_move mv[40];
	unsigned int i;
	long dn, n;

	pin_mod = 0;
	/* one full block, then 20 loose pages while the source is fragmented */
	T_ASSERT(check_alloc(pool, s, 0, 16, q, 0, NULL) == 0);
	for (i = 16; i < 8 * 16; i += 4)
		T_ASSERT(sim_take_other(s, i));
	T_ASSERT(check_alloc(pool, s, 0, 20, p, 0, NULL) == 0);
	T_ASSERT(pool->cls[0].loose_pages == 20);
	/* without GROW the full block has no room: nothing to do */
	n = fa_plan(pool, 0, NULL, NULL, mv, 40, FA_PLAN_DRY_RUN, &res);
	T_ASSERT(n == 0 && res.nr_moves == 0 && res.loose_after == 20);
	/* fragmentation gone: GROW opens 2 blocks for the 20 loose pages */
	sim_release_others(s);
	dn = fa_plan(pool, 0, NULL, NULL, NULL, 40,
		     FA_PLAN_DRY_RUN | FA_PLAN_GROW, &dres);
	T_ASSERT(dn == 20 && dres.loose_after == 0 && dres.blocks_after == 3);
	n = fa_plan(pool, 0, NULL, NULL, mv, 40, FA_PLAN_GROW, &res);
	T_ASSERT(n == dn && !memcmp(&res, &dres, sizeof(res)));
	T_ASSERT(check_plan_dsts(s, mv, n, 0));
	for (i = 0; i < 16; i++)
		keep[nk++] = q[i];
	for (i = 0; i < 20; i++)
		keep[nk++] = p[i];
	if (!apply_plan(pool, s, 0, mv, n, keep, nk))
		return false;
	fa_plan_finish(pool, 0);
	T_CHECK(pool, s);
	T_ASSERT(pool->cls[0].loose_pages == 0 && pool->cls[0].blocks == 3);
	check_free(pool, s, keep, nk);
	return true;
}

/* ---- property ---- */

/* Runs the op interpreter over len seeded bytes; at least 1500 ops must run. */
static bool property_run(u64 seed, size_t len, unsigned int bo)
{
	unsigned char *buf = malloc(len);
	struct ops_counters cnt = { 0 };
	size_t i;
	int r;

	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	for (i = 0; i < len; i++)
		buf[i] = rnd() >> 56;
	r = ops_run(buf, len, bo, &cnt);
	fprintf(stderr, "  seed %llu bo %u: %lu ops, %lu allocs (%lu failed), ",
		seed, bo, cnt.ops, cnt.allocs, cnt.alloc_fail);
	fprintf(stderr, "%lu frees, %lu plans, %lu moves, %lu loose, ",
		cnt.frees, cnt.plans, cnt.moves, cnt.loose);
	fprintf(stderr, "%lu zeroings\n", cnt.zeroings);
	free(buf);
	if (r)
		fprintf(stderr, "  seed %llu: the op interpreter failed\n", seed);
	if (cnt.ops < 1500)
		fprintf(stderr, "  seed %llu: only %lu ops ran\n", seed, cnt.ops);
	return r == 0 && cnt.ops >= 1500;
}

static bool test_property(void)
{
	u64 seed;

	for (seed = 1; seed <= 8; seed++)
		if (!property_run(seed, 12000, 2 + seed % 4))
			return false;
	return true;
}

static bool test_property_order9(void)
{
	/* Order-9 plans move more pages, and each move consumes input. */
	return property_run(42, 32000, 9) && property_run(43, 32000, 9);
}

/*
 * Two NUMA nodes as the driver runs them: one pool per node, each over its
 * own source (here disjoint PFN ranges). Each pool hands out and plans
 * only its node's pages (a move never leaves its node), and
 * fa_pool_stats_add() sums the pools' counters, every one of them, into
 * what one pool holding all the pages would report.
 */
static bool test_two_node_pools(void)
{
	struct fa_pool_config cfg = { .block_order = 3, .reserve_blocks = 1 };
	unsigned long p[2][40], lo[2] = { 0, 1UL << 20 };
	struct fa_pool_stats st[2], sum, zero;
	struct fa_plan_result res;
	struct fa_move mv[40];
	struct fa_pool *pool[2];
	struct sim s[2];
	unsigned int i, k;
	long n;

	for (k = 0; k < 2; k++) {
		sim_init(&s[k], 3);
		sim_add_region(&s[k], lo[k], 16);
		pool[k] = fa_pool_create(&cfg, &sim_ops, &s[k]);
		T_ASSERT(pool[k]);
		/* node 1 gets more, so that the sums tell the pools apart */
		T_ASSERT(check_alloc(pool[k], &s[k], 0, 20 + 20 * k, p[k], 0,
				     NULL) == 0);
		for (i = 0; i < 20 + 20 * k; i++)
			T_ASSERT(p[k][i] >= lo[k] && p[k][i] < lo[k] + 128);
		/* every other page back: half-empty blocks to recompact */
		for (i = 0; i < 20 + 20 * k; i += 2)
			T_ASSERT(check_free(pool[k], &s[k], &p[k][i], 1));
	}
	for (k = 0; k < 2; k++) {
		n = fa_plan(pool[k], 0, NULL, NULL, mv, 40, 0, &res);
		T_ASSERT(n > 0);
		for (i = 0; i < n; i++)
			T_ASSERT(mv[i].src >= lo[k] && mv[i].src < lo[k] + 128 &&
				 mv[i].dst >= lo[k] && mv[i].dst < lo[k] + 128);
		T_ASSERT(check_plan_dsts(&s[k], mv, n, 0));
		for (i = 0; i < n; i++)
			T_ASSERT(check_move(pool[k], &s[k], &mv[i], true));
		fa_plan_finish(pool[k], 0);
		T_CHECK(pool[k], &s[k]);
	}

	memset(&sum, 0, sizeof(sum));
	memset(&zero, 0, sizeof(zero));
	for (k = 0; k < 2; k++) {
		fa_pool_get_stats(pool[k], &st[k]);
		fa_pool_stats_add(&sum, &st[k]);
	}
	T_ASSERT(st[0].cls[0].pages_used == 10 && st[1].cls[0].pages_used == 20);
	T_ASSERT(sum.cls[0].pages_used == 30);
	/* each counter the two pools' sum: checked as the u64s they all are */
	{
		const u64 *a = (const u64 *)&st[0], *b = (const u64 *)&st[1];
		const u64 *c = (const u64 *)&sum;

		for (i = 0; i < sizeof(sum) / sizeof(u64); i++)
			T_ASSERT(c[i] == a[i] + b[i]);
	}
	fa_pool_stats_add(&sum, &zero);
	T_ASSERT(sum.cls[0].pages_used == 30);
	for (k = 0; k < 2; k++) {
		unsigned long pfn;

		for (pfn = lo[k]; pfn < lo[k] + 128; pfn++)
			if (fa_pool_page_in_use(pool[k], pfn))
				T_ASSERT(check_free(pool[k], &s[k], &pfn, 1));
		fa_pool_set_reserve(pool[k], 0);
		T_ASSERT(s[k].outstanding == 0);
		fa_pool_destroy(pool[k]);
		T_ASSERT(s[k].errors == 0);
		sim_destroy(&s[k]);
	}
	return true;
}

int main(void)
{
	run("blockmap_basic", test_blockmap_basic);
	run("blockmap_sparse", test_blockmap_sparse);
	run("create_invalid_args", test_create_invalid);
	run_pool("best_fit", test_best_fit, 3, 0, 16);
	run_pool("batch_affinity", test_batch_affinity, 3, 0, 16);
	run_pool("classes_never_share", test_classes, 2, 0, 16);
	run_pool("reserve_trim_reclass", test_reserve, 3, 1, 16);
	run_pool("zeroed_marks", test_zeroed, 3, 2, 16);
	run_pool("loose_fallback", test_loose_fallback, 4, 0, 8);
	run_pool("enomem_rollback", test_no_source, 3, 2, 4);
	run_pool("eintr_rollback", test_eintr, 3, 0, 32);
	run("misuse_warns", test_misuse);
	run("sparse_pool", test_sparse_pool);
	run_pool("meta_bytes_per_page", test_meta_per_page, 9, 0, 256);
	run("planner_vs_bruteforce_oracle", test_planner_oracle);
	run_pool("planner_cap_isolation", test_planner_cap, 3, 0, 32);
	run_pool("planner_grow_loose", test_planner_grow, 4, 0, 8);
	run("movable_marks", test_movable_marks);
	run_pool("break_pinned_blocks", test_break, 3, 0, 16);
	run("property_random_ops", test_property);
	run("property_order9", test_property_order9);
	run("two_node_pools", test_two_node_pools);
	printf("# core: %d passed, %d failed\n", t_pass, t_fail);
	return t_fail ? 1 : 0;
}
