// SPDX-License-Identifier: GPL-2.0
/* Byte-code driven operation sequences (property test and fuzzer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "ops.h"

#define MAXB 32

struct batch {
	unsigned int cls;
	unsigned long n;
	unsigned long *pfns;
};

struct ost {
	struct fa_pool *pool;
	struct sim sim;
	struct batch b[MAXB];
	int nb;
	unsigned int bo, bp;
	const unsigned char *in;
	size_t len, pos;
	unsigned int pin_mod, pin_seed;
	struct ops_counters *cnt;
	/* a zeroer's block, out between two ops (see do_zero()) */
	bool zeroing;
	unsigned long zpfn;
	unsigned long zdirty[FA_BITS_TO_LONGS(1UL << FA_MAX_BLOCK_ORDER)];
};

static unsigned int nx(struct ost *o)
{
	return o->pos < o->len ? o->in[o->pos++] : 0;
}

/* Report a failed check of operation number o->cnt->ops and fail. */
#define FAILF(...) do {						\
	fprintf(stderr, "ops: " __VA_ARGS__);			\
	fprintf(stderr, " (op %lu)\n", o->cnt->ops);		\
	return false;						\
} while (0)

static void drop_batch(struct ost *o, int i)
{
	free(o->b[i].pfns);
	o->b[i] = o->b[--o->nb];
}

static bool do_free_batch(struct ost *o, int i)
{
	if (!check_free(o->pool, &o->sim, o->b[i].pfns, o->b[i].n))
		return false;
	o->cnt->frees++;
	drop_batch(o, i);
	return true;
}

static unsigned long avail_pages(struct ost *o, unsigned int cls)
{
	return sim_free_pages(&o->sim) + check_partial_room(o->pool, cls) +
	       (o->pool->nr_reserve - !!o->pool->zeroing) * o->bp;
}

/*
 * The zeroer: take a reserve block out, and at a later op put it back
 * with all, some or none of its dirty pages zeroed; the ops in between
 * allocate, free, plan, trim and shrink the reserve around it.
 */
static bool do_zero(struct ost *o)
{
	unsigned int a = nx(o);
	long n;

	if (o->zeroing) {
		o->zeroing = false;
		o->cnt->zeroings++;
		check_zero_end(o->pool, &o->sim, o->zpfn, o->zdirty,
			       a % 4 ? o->bp : nx(o) % o->bp);
		return true;
	}
	n = check_zero_begin(o->pool, &o->sim, &o->zpfn, o->zdirty);
	if (n == -CHECK_FAILED)
		FAILF("zero begin: %s", check_msg);
	if (n < 0)
		FAILF("zero begin %ld with no block out", n);
	o->zeroing = n > 0;
	/* now and then the same op zeroes at once */
	if (o->zeroing && a % 3 == 0)
		return do_zero(o);
	return true;
}

/* With FA_POOL_MOVABLE_MARKS: every page a batch keeps is marked movable. */
static void mark_movable(struct ost *o, const unsigned long *pfns,
			 unsigned long n)
{
	if (o->pool->cfg.flags & FA_POOL_MOVABLE_MARKS)
		fa_pool_set_movable(o->pool, pfns, n, true);
}

static bool do_alloc(struct ost *o, unsigned int cls, unsigned long n,
		     unsigned int flags)
{
	unsigned long *pfns = malloc((n ? n : 1) * sizeof(*pfns));
	struct fa_alloc_result res;
	bool limited = o->sim.max_order >= 0 || o->sim.fail_after >= 0 ||
		       o->sim.stop_after >= 0;
	int ret;

	ret = check_alloc(o->pool, &o->sim, cls, n, pfns, flags, &res);
	o->cnt->allocs++;
	if (ret == CHECK_FAILED) {
		free(pfns);
		FAILF("alloc check cls %u n %lu: %s", cls, n, check_msg);
	}
	if (ret) {
		o->cnt->alloc_fail++;
		free(pfns);
		if (ret == -EINTR && o->sim.stop_after == 0)
			return true;
		if (ret != -ENOMEM)
			FAILF("alloc ret %d", ret);
		if (!limited && !(flags & FA_ALLOC_STRICT) &&
		    avail_pages(o, cls) >= n)
			FAILF("ENOMEM with %lu pages available for %lu",
			      avail_pages(o, cls), n);
		return true;
	}
	o->cnt->loose += res.nr_loose;
	if (!n || o->nb == MAXB) {
		bool ok = check_free(o->pool, &o->sim, pfns, n);

		free(pfns);
		return ok;
	}
	mark_movable(o, pfns, n);
	o->b[o->nb].cls = cls;
	o->b[o->nb].n = n;
	o->b[o->nb].pfns = pfns;
	o->nb++;
	return true;
}

static bool pinned(struct ost *o, unsigned long pfn)
{
	return o->pin_mod &&
	       ((pfn * 2654435761UL + o->pin_seed) >> 5) % 16 < o->pin_mod;
}

static bool movable_cb(void *ctx, unsigned long pfn)
{
	return !pinned(ctx, pfn);
}

static bool replace_pfn(struct ost *o, unsigned long src, unsigned long dst)
{
	int i;
	unsigned long j;

	for (i = 0; i < o->nb; i++)
		for (j = 0; j < o->b[i].n; j++)
			if (o->b[i].pfns[j] == src) {
				o->b[i].pfns[j] = dst;
				return true;
			}
	return false;
}

static bool do_plan(struct ost *o)
{
	unsigned int cls = nx(o) % 3, fl = nx(o);
	bool dry = fl & 1;
	/* a quarter of the plans may open blocks for loose pages */
	unsigned int grow = nx(o) % 4 == 0 ? FA_PLAN_GROW : 0;
	unsigned long cap = (fl & 6) == 0 ? nx(o) % 16 : ~0UL / 2;
	struct fa_plan_result res, dres;
	struct fa_move *mv;
	unsigned long nmax, i;
	bool all = true;
	long n, dn;

	o->pin_mod = (fl >> 3) % 4 ? nx(o) % 6 : 0;
	o->pin_seed = nx(o);
	o->cnt->plans++;
	dn = fa_plan(o->pool, cls, movable_cb, o, NULL, cap,
		     FA_PLAN_DRY_RUN | grow, &dres);
	if (dn < 0)
		FAILF("dry plan %ld", dn);
	if (dry)
		return true;
	nmax = o->pool->cls[cls].pages_used + o->pool->cls[cls].loose_pages;
	/* GROW reserves slots in blocks it opens: at most one per loose page */
	if (cap < nmax)
		nmax = cap;
	mv = malloc((nmax + 1) * sizeof(*mv));
	n = fa_plan(o->pool, cls, movable_cb, o, mv, cap, grow, &res);
	if (n < 0) {
		free(mv);
		FAILF("plan %ld", n);
	}
	/*
	 * A dry run predicts the real plan exactly; with GROW it assumes the
	 * source has whole blocks, so the real plan may only fall short.
	 */
	if (!grow && (n != dn || memcmp(&res, &dres, sizeof(res))))
		FAILF("dry run differs: %ld vs %ld", dn, n);
	if (grow && (n > dn || res.loose_after < dres.loose_after))
		FAILF("grow plan beyond its dry run: %ld vs %ld", n, dn);
	if ((unsigned long)n > cap)
		FAILF("plan exceeds cap");
	for (i = 0; i < (unsigned long)n; i++) {
		unsigned long src = mv[i].src, dst = mv[i].dst;
		unsigned int fd = fa_pool_block_flags(o->pool, dst);

		if (pinned(o, src))
			FAILF("move of pinned page %#lx", src);
		if (!fa_pool_page_in_use(o->pool, dst))
			FAILF("move dst %#lx not reserved", dst);
		if (fd != (FA_BS_OWNED | cls))
			FAILF("move dst %#lx in block flags %x", dst, fd);
		if ((fa_pool_block_flags(o->pool, src) & FA_BF_STATE_MASK) ==
		    FA_BS_OWNED)
			FAILF("move src %#lx in a kept block", src);
	}
	if (!check_plan_dsts(&o->sim, mv, n, cls))
		FAILF("plan dsts: %s", check_msg);
	if (!check_pool(o->pool, &o->sim))
		FAILF("after plan: %s", check_msg);
	/* allocate while the plan is open: nothing may land in isolated blocks */
	if (fl & 0x80) {
		unsigned long k = 1 + nx(o) % o->bp, *p = malloc(k * sizeof(*p));
		int r = check_alloc(o->pool, &o->sim, cls, k, p, 0, NULL);

		if (r == CHECK_FAILED)
			FAILF("alloc during plan: %s", check_msg);
		if (!r) {
			for (i = 0; i < k; i++)
				if ((fa_pool_block_flags(o->pool, p[i]) &
				     FA_BF_STATE_MASK) == FA_BS_ISOLATED)
					FAILF("alloc into isolated block");
			check_free(o->pool, &o->sim, p, k);
		}
		free(p);
	}
	for (i = 0; i < (unsigned long)n; i++) {
		bool complete = nx(o) % 5 != 0;

		if (complete && !replace_pfn(o, mv[i].src, mv[i].dst))
			FAILF("moved page not in a batch");
		if (!check_move(o->pool, &o->sim, &mv[i], complete))
			FAILF("move: %s", check_msg);
		if (complete) {
			mark_movable(o, &mv[i].dst, 1);
			o->cnt->moves++;
		} else {
			all = false;
		}
	}
	free(mv);
	if (!check_pool(o->pool, &o->sim))
		FAILF("after moves: %s", check_msg);
	fa_plan_finish(o->pool, cls);
	if (all && (o->pool->cls[cls].blocks != res.blocks_after ||
		    o->pool->cls[cls].loose_pages != res.loose_after))
		FAILF("plan result: blocks %llu/%lu loose %llu/%lu",
		      o->pool->cls[cls].blocks, res.blocks_after,
		      o->pool->cls[cls].loose_pages, res.loose_after);
	if (all && !o->pin_mod && cap > nmax) {
		/* full, unpinned plan: ceil(used / bp) blocks */
		unsigned long used = o->pool->cls[cls].pages_used;
		unsigned long want = (used + o->bp - 1) / o->bp;

		if (o->pool->cls[cls].blocks != want)
			FAILF("full plan left %llu blocks, want %lu",
			      o->pool->cls[cls].blocks, want);
	}
	return true;
}

static unsigned long pick_n(struct ost *o)
{
	unsigned int sz = nx(o);

	if (sz < 128)
		return 1 + sz % o->bp;
	if (sz < 200)
		return 1 + (sz * 7 + nx(o)) % (4 * o->bp);
	return o->bp * (1 + sz % 3) + nx(o) % o->bp;
}

/*
 * One allocation with a limit on the source (*@limit: fail_after or
 * stop_after) that a following byte sets; the limit is lifted afterwards.
 */
static bool do_alloc_limited(struct ost *o, long *limit)
{
	unsigned int cls;

	*limit = nx(o) % 8;
	cls = nx(o) % 3;
	if (!do_alloc(o, cls, pick_n(o), 0))
		return false;
	*limit = -1;
	return true;
}

static bool step(struct ost *o)
{
	unsigned int op = nx(o) % 13, a;
	int i;

	switch (op) {
	case 0: case 1: case 2:
		a = nx(o);
		return do_alloc(o, a % 3, pick_n(o),
				(a & 0x38) == 0x38 ? FA_ALLOC_STRICT : 0);
	case 3:
		if (!o->nb)
			return true;
		return do_free_batch(o, nx(o) % o->nb);
	case 4: {
		struct batch *b;
		unsigned long start, len;

		if (!o->nb)
			return true;
		i = nx(o) % o->nb;
		b = &o->b[i];
		start = (nx(o) * 131 + nx(o)) % b->n;
		len = 1 + (nx(o) * 257 + nx(o)) % (b->n - start);
		if (!check_free(o->pool, &o->sim, b->pfns + start, len))
			return false;
		memmove(b->pfns + start, b->pfns + start + len,
			(b->n - start - len) * sizeof(*b->pfns));
		b->n -= len;
		if (!b->n)
			drop_batch(o, i);
		o->cnt->frees++;
		return true;
	}
	case 5:
		a = nx(o);
		if ((a & 0xc0) == 0xc0)
			return do_zero(o);
		/* now and then, partial blocks give their free pages back */
		if (a % 4 == 0)
			fa_pool_break(o->pool, (a >> 2) % 3,
				      (a >> 4) % 2 ? nx(o) % (2 * o->bp) : 0,
				      (a >> 5) % 2);
		else
			fa_pool_trim(o->pool, a % 4);
		return true;
	case 6:
		fa_pool_set_reserve(o->pool, nx(o) % 4);
		return true;
	case 7:
		a = nx(o);
		switch (a % 4) {
		case 0: {
			unsigned int k, cnt = nx(o) % 64;

			for (k = 0; k < cnt; k++) {
				struct sim_region *r =
					&o->sim.reg[nx(o) % o->sim.nreg];

				sim_take_other(&o->sim, r->base +
					       (nx(o) * 256 + nx(o)) % r->npages);
			}
			return true;
		}
		case 1:
			sim_release_others(&o->sim);
			return true;
		case 2:
			o->sim.max_order = (int)(nx(o) % (o->bo + 2)) - 1;
			return true;
		default:
			return do_alloc_limited(o, &o->sim.fail_after);
		}
	case 8:
		return do_alloc_limited(o, &o->sim.stop_after);
	case 9: case 10:
		return do_plan(o);
	case 11:
		a = nx(o) % 3;
		for (i = o->nb - 1; i >= 0; i--)
			if (o->b[i].cls == a && !do_free_batch(o, i))
				return false;
		return true;
	default:
		a = nx(o);
		return do_alloc(o, a % 3, 1 + (a * 37 + nx(o)) % (6 * o->bp),
				0);
	}
}

int ops_run(const unsigned char *data, size_t len, unsigned int block_order,
	    struct ops_counters *cnt)
{
	struct fa_pool_config cfg = { 0 };
	struct ops_counters dummy = { 0 };
	struct fa_pool_stats st;
	struct ost *o = calloc(1, sizeof(*o));
	u64 base;
	bool ok = true;

	o->in = data;
	o->len = len;
	o->cnt = cnt ? cnt : &dummy;
	o->bo = block_order ? block_order : 2 + nx(o) % 4;
	o->bp = 1U << o->bo;
	cfg.block_order = o->bo;
	cfg.reserve_blocks = nx(o) % 4;
	/*
	 * odd block orders keep the pool's own movable marks (all kept
	 * pages marked: the same plans, and the marks checked throughout)
	 */
	cfg.flags = (o->bo & 1) ? FA_POOL_MOVABLE_MARKS : 0;
	sim_init(&o->sim, o->bo);
	sim_add_region(&o->sim, 0, 24);
	sim_add_region(&o->sim, (1UL << 32) + (5UL << o->bo), 8);
	sim_add_region(&o->sim, 1UL << 40, 16);
	o->pool = fa_pool_create(&cfg, &sim_ops, &o->sim);
	if (!o->pool) {
		fprintf(stderr, "ops: create failed\n");
		return -1;
	}
	fa_pool_get_stats(o->pool, &st);
	base = st.meta_bytes;
	while (o->pos < o->len) {
		o->cnt->ops++;
		if (!step(o) || !check_pool(o->pool, &o->sim)) {
			fprintf(stderr, "ops: failed at op %lu (byte %zu): %s\n",
				o->cnt->ops, o->pos, check_msg);
			ok = false;
			break;
		}
	}
	/* teardown: everything back, metadata back to baseline */
	while (o->nb)
		if (!do_free_batch(o, o->nb - 1))
			ok = false;
	if (ok && o->zeroing)
		check_zero_end(o->pool, &o->sim, o->zpfn, o->zdirty, o->bp);
	if (ok) {
		for (int c = 0; c < FA_NR_CLASSES; c++)
			if (o->pool->cls[c].planning)
				fa_plan_finish(o->pool, c);
		fa_pool_set_reserve(o->pool, 0);
		fa_pool_get_stats(o->pool, &st);
		if (!check_pool(o->pool, &o->sim)) {
			fprintf(stderr, "ops: teardown: %s\n", check_msg);
			ok = false;
		} else if (st.meta_bytes != base || o->sim.outstanding) {
			fprintf(stderr, "ops: teardown meta %llu/%llu outstanding %lu\n",
				st.meta_bytes, base, o->sim.outstanding);
			ok = false;
		} else if (st.blocks_acquired !=
			   st.blocks_released + st.blocks_broken ||
			   st.loose_acquired != st.loose_released) {
			fprintf(stderr, "ops: teardown counters\n");
			ok = false;
		}
		fa_pool_destroy(o->pool);
		if (o->sim.outstanding || o->sim.errors) {
			fprintf(stderr, "ops: after destroy outstanding %lu errors %lu\n",
				o->sim.outstanding, o->sim.errors);
			ok = false;
		}
	}
	while (o->nb)
		drop_batch(o, o->nb - 1);
	sim_destroy(&o->sim);
	free(o);
	return ok ? 0 : -1;
}
