// SPDX-License-Identifier: GPL-2.0
/* Invariant checker and shadow-tracking wrappers for host tests. */
#include <stdio.h>
#include <stdarg.h>
#include "check.h"

char check_msg[256];

static bool fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(check_msg, sizeof(check_msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "invariant: %s\n", check_msg);
	return false;
}

static unsigned int popc(const unsigned long *map, unsigned int words)
{
	unsigned int i, n = 0;

	for (i = 0; i < words; i++)
		n += __builtin_popcountl(map[i]);
	return n;
}

unsigned long check_partial_room(struct fa_pool *pool, unsigned int cls)
{
	struct fa_class *c = &pool->cls[cls];
	unsigned long room = 0;
	unsigned int i;
	struct fa_list *p;

	for (i = 1; i < pool->bp; i++)
		for (p = c->bucket[i].next; p != &c->bucket[i]; p = p->next)
			room += i;
	return room;
}

struct full_ctx {
	struct fa_pool *pool;
	unsigned int cls;
	struct fa_block **out;
	unsigned long max, n;
};

static int full_cb(void *arg, struct fa_block *b, unsigned int flags)
{
	struct full_ctx *f = arg;

	if (flags == (FA_BS_OWNED | f->cls) && b->nr_used == f->pool->bp) {
		if (f->n < f->max)
			f->out[f->n] = b;
		f->n++;
	}
	return 0;
}

unsigned long check_class_blocks(struct fa_pool *pool, unsigned int cls,
				 struct fa_block **out, unsigned long max)
{
	struct full_ctx f = { pool, cls, out, max, 0 };
	struct fa_list *p;
	unsigned int i;

	fa_bm_for_each(&pool->bm, full_cb, &f);
	for (i = 1; i < pool->bp; i++)
		for (p = pool->cls[cls].bucket[i].next;
		     p != &pool->cls[cls].bucket[i]; p = p->next) {
			if (f.n < max)
				out[f.n] = fa_container_of(p, struct fa_block,
							   node);
			f.n++;
		}
	return f.n;
}

struct walk_ctx {
	unsigned long n;
	unsigned long last;
	bool bad;
};

static int walk_cb(void *arg, const struct fa_block_info *bi)
{
	struct walk_ctx *w = arg;

	if (w->n && bi->pfn <= w->last)
		w->bad = true;
	w->last = bi->pfn;
	w->n++;
	return 0;
}

static bool check_owned_block(struct fa_pool *pool, struct sim *s,
			      struct fa_block *b, unsigned int cls,
			      u8 state, u64 *hist)
{
	unsigned int bit;

	if (b->state != state || b->cls != cls)
		return fail("block %#lx state %x cls %u, want %x %u", b->pfn,
			    b->state, b->cls, state, cls);
	if (b->pfn & (pool->bp - 1))
		return fail("block %#lx misaligned", b->pfn);
	if (fa_bm_lookup(&pool->bm, b->pfn) != b)
		return fail("blockmap lookup %#lx", b->pfn);
	if (fa_pool_block_flags(pool, b->pfn + pool->bp - 1) != (cls | state))
		return fail("blockmap flags %#lx: %x want %x", b->pfn,
			    fa_pool_block_flags(pool, b->pfn), cls | state);
	if (popc(b->map, pool->words) != b->nr_used)
		return fail("block %#lx popcount %u nr_used %u", b->pfn,
			    popc(b->map, pool->words), b->nr_used);
	if (pool->bp < BITS_PER_LONG && (b->map[0] >> pool->bp))
		return fail("block %#lx bits beyond bp", b->pfn);
	/* taking pages starts at free_word: no free page below it */
	if (b->free_word > pool->words)
		return fail("block %#lx free_word %u", b->pfn, b->free_word);
	for (bit = 0; bit < b->free_word * BITS_PER_LONG && bit < pool->bp;
	     bit++)
		if (!fa_test_bit(b->map, bit))
			return fail("block %#lx: free page %u below free_word %u",
				    b->pfn, bit, b->free_word);
	for (bit = 0; bit < pool->bp; bit++)
		if (fa_test_bit(fa_block_movable_map(pool, b), bit) &&
		    !fa_test_bit(b->map, bit))
			return fail("block %#lx: free page %u marked movable",
				    b->pfn, bit);
	/* a zeroed mark: a free page, that really holds zeroes */
	for (bit = 0; bit < pool->bp; bit++) {
		if (!fa_test_bit(fa_block_zeroed_map(pool, b), bit))
			continue;
		if (fa_test_bit(b->map, bit))
			return fail("block %#lx: page %u in use marked zeroed",
				    b->pfn, bit);
		if (!*sim_zero(s, b->pfn + bit))
			return fail("block %#lx: dirty page %u marked zeroed",
				    b->pfn, bit);
	}
	for (bit = 0; bit < pool->bp; bit++) {
		unsigned long pfn = b->pfn + bit;
		unsigned char *st = sim_state(s, pfn), *u = sim_user(s, pfn);

		if (!st || *st != SIM_OUT)
			return fail("page %#lx of owned block not out", pfn);
		if (fa_test_bit(b->map, bit) ?
		    (*u & ~SHADOW_PLANNED) != cls + 1 : *u != 0)
			return fail("page %#lx shadow %u, bit %d cls %u", pfn,
				    *u, fa_test_bit(b->map, bit), cls);
	}
	if (hist)
		hist[b->nr_used * FA_FILL_BUCKETS / pool->bp <
		     FA_FILL_BUCKETS ? b->nr_used * FA_FILL_BUCKETS / pool->bp
		     : FA_FILL_BUCKETS - 1]++;
	return true;
}

bool check_pool(struct fa_pool *pool, struct sim *s)
{
	u64 hist[FA_FILL_BUCKETS] = { 0 };
	unsigned long nblk = 0, nloose = 0, nres = 0, shadow = 0, ndirty = 0;
	unsigned long pages_pool = 0;
	struct fa_pool_stats st;
	struct walk_ctx w = { 0 };
	struct fa_list *p;
	unsigned int c, i;
	int r;

	fa_pool_get_stats(pool, &st);
	for (c = 0; c < FA_NR_CLASSES; c++) {
		struct fa_class *fc = &pool->cls[c];
		u64 blocks = 0, used = 0, loose = 0;

		struct fa_block **all;
		unsigned long nall, k;

		if (!fa_list_empty(&fc->bucket[0]))
			return fail("cls %u: full blocks on a list", c);
		for (i = 1; i < pool->bp; i++) {
			bool empty = fa_list_empty(&fc->bucket[i]);

			if (fa_test_bit(fc->nonempty, i) == empty)
				return fail("cls %u bucket %u nonempty bit", c, i);
			for (p = fc->bucket[i].next; p != &fc->bucket[i];
			     p = p->next) {
				struct fa_block *b = fa_container_of(p,
						struct fa_block, node);

				if (pool->bp - b->nr_used != i)
					return fail("block %#lx in bucket %u with %u used",
						    b->pfn, i, b->nr_used);
			}
		}
		nall = check_class_blocks(pool, c, NULL, 0);
		all = calloc(nall + 1, sizeof(*all));
		check_class_blocks(pool, c, all, nall);
		for (k = 0; k < nall; k++) {
			struct fa_block *b = all[k];

			if (!check_owned_block(pool, s, b, c, FA_BS_OWNED,
					       hist)) {
				free(all);
				return false;
			}
			blocks++;
			used += b->nr_used;
		}
		free(all);
		for (p = fc->isolated.next; p != &fc->isolated; p = p->next) {
			struct fa_block *b = fa_container_of(p, struct fa_block,
							     node);

			if (!fc->planning)
				return fail("isolated block without a plan");
			if (!b->nr_used)
				return fail("empty isolated block");
			if (!check_owned_block(pool, s, b, c, FA_BS_ISOLATED,
					       hist))
				return false;
			blocks++;
			used += b->nr_used;
		}
		for (p = pool->loose.next; p != &pool->loose; p = p->next) {
			struct fa_block *b = fa_container_of(p, struct fa_block,
							     node);

			loose += b->nr_cls[c];
		}
		if (blocks != fc->blocks || used != fc->pages_used ||
		    loose != fc->loose_pages)
			return fail("cls %u blocks %llu/%llu used %llu/%llu loose %llu/%llu",
				    c, blocks, fc->blocks, used, fc->pages_used,
				    loose, fc->loose_pages);
		if (st.cls[c].blocks != blocks ||
		    st.cls[c].pages_used != used ||
		    st.cls[c].pages_free != blocks * pool->bp - used ||
		    st.cls[c].loose_pages != loose)
			return fail("cls %u stats", c);
		nblk += blocks;
		pages_pool += blocks * pool->bp + loose;
		shadow += used + loose;
	}
	for (p = pool->reserve.next; p != &pool->reserve; p = p->next) {
		struct fa_block *b = fa_container_of(p, struct fa_block, node);
		bool clean = popc(fa_block_zeroed_map(pool, b), pool->words) ==
			     pool->bp;

		if (b->nr_used)
			return fail("reserve block %#lx used", b->pfn);
		if (!check_owned_block(pool, s, b, FA_CLASS_NONE, FA_BS_OWNED,
				       NULL))
			return false;
		ndirty += !clean;
		nres++;
	}
	if (ndirty != pool->nr_reserve_dirty)
		return fail("reserve: %lu dirty blocks, counted %lu", ndirty,
			    pool->nr_reserve_dirty);
	if (pool->zeroing) {
		if (pool->zeroing->nr_used ||
		    !check_owned_block(pool, s, pool->zeroing, FA_CLASS_NONE,
				       FA_BS_OWNED, NULL))
			return fail("zeroing block %#lx", pool->zeroing->pfn);
		nres++;
	}
	/* set_reserve() leaves a block being zeroed over the limit */
	if (nres != pool->nr_reserve ||
	    nres > pool->cfg.reserve_blocks + !!pool->zeroing ||
	    st.reserve_blocks != nres)
		return fail("reserve %lu/%lu cfg %u", nres, pool->nr_reserve,
			    pool->cfg.reserve_blocks);
	pages_pool += nres * pool->bp;
	for (p = pool->loose.next; p != &pool->loose; p = p->next) {
		struct fa_block *b = fa_container_of(p, struct fa_block, node);
		unsigned int total = 0, ncls = 0, want_cls = FA_CLASS_NONE;
		unsigned int bit;

		if (b->state != FA_BS_LOOSE || fa_bm_lookup(&pool->bm, b->pfn) != b)
			return fail("loose block %#lx state/lookup", b->pfn);
		for (c = 0; c < FA_NR_CLASSES; c++) {
			unsigned int n = popc(fa_loose_map(pool, b, c),
					      pool->words);

			if (n != b->nr_cls[c])
				return fail("loose %#lx cls %u count", b->pfn, c);
			total += n;
			if (n) {
				ncls++;
				want_cls = c;
			}
		}
		if (ncls != 1)
			want_cls = FA_CLASS_NONE;
		if (!total || total != b->nr_used)
			return fail("loose %#lx nr_used %u/%u", b->pfn,
				    total, b->nr_used);
		if (fa_pool_block_flags(pool, b->pfn) != (FA_BS_LOOSE | want_cls))
			return fail("loose %#lx flags %x", b->pfn,
				    fa_pool_block_flags(pool, b->pfn));
		for (bit = 0; bit < pool->bp; bit++) {
			unsigned long pfn = b->pfn + bit;
			unsigned char *st2 = sim_state(s, pfn);
			unsigned char *u = sim_user(s, pfn);
			int owner = -1;

			for (c = 0; c < FA_NR_CLASSES; c++) {
				if (fa_test_bit(fa_loose_map(pool, b, c), bit)) {
					if (owner >= 0)
						return fail("loose page %#lx in 2 classes", pfn);
					owner = c;
				}
			}
			if (owner < 0)
				continue;
			if (!st2 || *st2 != SIM_OUT || *u != owner + 1)
				return fail("loose page %#lx sim/shadow", pfn);
			if (!fa_pool_page_in_use(pool, pfn))
				return fail("loose page %#lx not in use", pfn);
		}
		nloose++;
	}
	if (nloose != pool->nr_loose_blocks)
		return fail("loose blocks %lu/%lu", nloose,
			    pool->nr_loose_blocks);
	hist[0] += nres;
	for (i = 0; i < FA_FILL_BUCKETS; i++)
		if (hist[i] != st.fill_hist[i])
			return fail("fill_hist[%u] %llu/%llu", i, hist[i],
				    st.fill_hist[i]);
	if (s->outstanding != pages_pool)
		return fail("sim outstanding %lu, pool holds %lu",
			    s->outstanding, pages_pool);
	if (s->errors)
		return fail("sim errors %lu", s->errors);
	r = fa_pool_walk_blocks(pool, walk_cb, &w);
	if (r || w.bad || w.n != nblk + nres + nloose)
		return fail("walk %lu blocks (want %lu) order %d", w.n,
			    nblk + nres + nloose, w.bad);
	/* shadow count: pages marked handed out */
	{
		unsigned long cnt = 0, off;
		int ri;

		for (ri = 0; ri < s->nreg; ri++)
			for (off = 0; off < s->reg[ri].npages; off++)
				cnt += s->reg[ri].user[off] != 0;
		if (cnt != shadow)
			return fail("shadow %lu, pool %lu in use", cnt, shadow);
	}
	if (st.meta_bytes < sizeof(struct fa_pool))
		return fail("meta_bytes");
	return true;
}

/*
 * Pages handed out marked zeroed must hold zeroes; then the user writes to
 * every page handed out. The prezeroed counter counts the marks.
 */
static bool check_handed_zeroed(struct fa_pool *pool, struct sim *s,
				const unsigned long *pfns, unsigned long n,
				const unsigned long *zmap,
				const struct fa_pool_stats *st0)
{
	struct fa_pool_stats st;
	unsigned long i, hits = 0;

	for (i = 0; i < n; i++) {
		unsigned char *z = sim_zero(s, pfns[i]);

		if (fa_test_bit(zmap, i)) {
			if (!z || !*z)
				return fail("page %#lx handed out as zeroed, dirty",
					    pfns[i]);
			hits++;
		}
		if (z)
			*z = 0;
	}
	fa_pool_get_stats(pool, &st);
	if (st.pages_prezeroed - st0->pages_prezeroed != hits)
		return fail("prezeroed %llu, %lu marks handed out",
			    st.pages_prezeroed - st0->pages_prezeroed, hits);
	return true;
}

int check_alloc(struct fa_pool *pool, struct sim *s, unsigned int cls,
		unsigned long n, unsigned long *pfns, unsigned int flags,
		struct fa_alloc_result *resp)
{
	unsigned long room = cls < FA_NR_CLASSES ?
			     check_partial_room(pool, cls) : 0;
	unsigned long bp = pool->bp, i, loose = 0;
	struct fa_alloc_result res;
	int ret;

	unsigned long best[64], nbest = 0, k, *zmap;
	unsigned int min_free = 0;
	struct fa_pool_stats st0;

	/* best fit: the first page must come from a block with fewest free */
	if (cls < FA_NR_CLASSES && n < bp) {
		struct fa_class *fc = &pool->cls[cls];
		struct fa_list *p;

		for (min_free = 1; min_free < bp; min_free++)
			if (!fa_list_empty(&fc->bucket[min_free]))
				break;
		if (min_free < bp)
			for (p = fc->bucket[min_free].next;
			     p != &fc->bucket[min_free] && nbest < 64;
			     p = p->next)
				best[nbest++] = fa_container_of(p,
								struct fa_block,
								node)->pfn;
		if (nbest == 64)
			nbest = 0;	/* too many to check cheaply */
	}
	zmap = calloc(FA_BITS_TO_LONGS(n) + 1, sizeof(*zmap));
	fa_pool_get_stats(pool, &st0);
	ret = fa_pool_alloc_zeroed(pool, cls, n, pfns, zmap, flags, &res);
	if (resp)
		*resp = res;
	if (!ret && !check_handed_zeroed(pool, s, pfns, n, zmap, &st0)) {
		free(zmap);
		return CHECK_FAILED;
	}
	free(zmap);
	if (!ret && nbest) {
		for (k = 0; k < nbest; k++)
			if ((pfns[0] & ~(bp - 1)) == best[k])
				break;
		if (k == nbest)
			return fail("best fit: first page %#lx not in a block with %u free",
				    pfns[0], min_free), CHECK_FAILED;
	}
	if (ret) {
		if (res.nr_pages)
			return fail("failed alloc with nr_pages"), CHECK_FAILED;
		return ret;
	}
	if (res.nr_pages != n)
		return fail("nr_pages %lu/%lu", res.nr_pages, n), CHECK_FAILED;
	if (res.nr_fresh_blocks > n / bp && room >= n % bp)
		return fail("fresh block opened (%lu fresh, n %lu) with partial room %lu",
			    res.nr_fresh_blocks, n, room), CHECK_FAILED;
	if ((flags & FA_ALLOC_STRICT) && res.nr_loose)
		return fail("loose pages in strict alloc"), CHECK_FAILED;
	if (res.nr_blocks_touched > n || (n && !res.nr_blocks_touched))
		return fail("blocks touched %lu", res.nr_blocks_touched),
		       CHECK_FAILED;
	for (i = 0; i < n; i++) {
		unsigned char *st = sim_state(s, pfns[i]);
		unsigned char *u = sim_user(s, pfns[i]);
		unsigned int fl = fa_pool_block_flags(pool, pfns[i]);

		if (!st || *st != SIM_OUT)
			return fail("alloc page %#lx not from source", pfns[i]),
			       CHECK_FAILED;
		if (*u)
			return fail("page %#lx handed out twice", pfns[i]),
			       CHECK_FAILED;
		*u = cls + 1;
		if ((fl & FA_BF_STATE_MASK) == FA_BS_LOOSE)
			loose++;
		else if ((fl & FA_BF_CLASS_MASK) != cls)
			return fail("page %#lx in block of class %u", pfns[i],
				    fl & FA_BF_CLASS_MASK), CHECK_FAILED;
	}
	if (loose != res.nr_loose)
		return fail("nr_loose %lu/%lu", res.nr_loose, loose),
		       CHECK_FAILED;
	return 0;
}

bool check_free(struct fa_pool *pool, struct sim *s,
		const unsigned long *pfns, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		unsigned char *u = sim_user(s, pfns[i]);

		if (!u || !*u)
			return fail("freeing page %#lx not handed out",
				    pfns[i]);
		*u = 0;
	}
	fa_pool_free(pool, pfns, n);
	return true;
}

bool check_plan_dsts(struct sim *s, const struct fa_move *mv, long n,
		     unsigned int cls)
{
	long i;

	for (i = 0; i < n; i++) {
		unsigned char *u = sim_user(s, mv[i].dst);
		unsigned char *us = sim_user(s, mv[i].src);

		if (!u || *u)
			return fail("plan dst %#lx not free", mv[i].dst);
		if (!us || *us != cls + 1)
			return fail("plan src %#lx not in use by class %u",
				    mv[i].src, cls);
		*u = SHADOW_PLANNED | (cls + 1);
		/* the mover writes to it */
		*sim_zero(s, mv[i].dst) = 0;
	}
	return true;
}

long check_zero_begin(struct fa_pool *pool, struct sim *s,
		      unsigned long *pfn, unsigned long *dirty)
{
	long n = fa_pool_zero_begin(pool, pfn, dirty);
	unsigned int bit;

	if (n <= 0)
		return n;
	for (bit = 0; bit < pool->bp; bit++)
		if (!fa_test_bit(dirty, bit) && !*sim_zero(s, *pfn + bit))
			return fail("zero_begin: dirty page %#lx not reported",
				    *pfn + bit), -CHECK_FAILED;
	return n;
}

void check_zero_end(struct fa_pool *pool, struct sim *s, unsigned long pfn,
		    unsigned long *dirty, unsigned int keep)
{
	unsigned int bit, seen = 0;

	for (bit = 0; bit < pool->bp; bit++) {
		if (!fa_test_bit(dirty, bit))
			continue;
		/* a zeroer that stopped early: the rest stays dirty */
		if (seen++ >= keep) {
			fa_clear_bit(dirty, bit);
			continue;
		}
		*sim_zero(s, pfn + bit) = 1;
	}
	fa_pool_zero_end(pool, dirty);
}

bool check_move(struct fa_pool *pool, struct sim *s, const struct fa_move *m,
		bool complete)
{
	unsigned char *ud = sim_user(s, m->dst), *us = sim_user(s, m->src);

	if (!ud || !(*ud & SHADOW_PLANNED) || !us || !*us)
		return fail("move %#lx -> %#lx shadow", m->src, m->dst);
	if (complete) {
		*ud = *us;
		*us = 0;
		fa_pool_free(pool, &m->src, 1);
	} else {
		*ud = 0;
		fa_pool_free(pool, &m->dst, 1);
	}
	return true;
}
