// SPDX-License-Identifier: GPL-2.0
/* Simulated physical memory / page source for host tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sim.h"

void sim_init(struct sim *s, unsigned int block_order)
{
	memset(s, 0, sizeof(*s));
	s->block_order = block_order;
	s->max_order = -1;
	s->fail_after = -1;
	s->stop_after = -1;
}

void sim_add_region(struct sim *s, unsigned long base, unsigned long nblocks)
{
	struct sim_region *r = &s->reg[s->nreg++];
	unsigned long bp = 1UL << s->block_order, i;

	r->base = base;
	r->npages = nblocks * bp;
	r->st = calloc(r->npages, 1);
	r->user = calloc(r->npages, 1);
	r->zero = calloc(r->npages, 1);
	r->bfree = calloc(nblocks, sizeof(*r->bfree));
	for (i = 0; i < nblocks; i++)
		r->bfree[i] = bp;
}

void sim_destroy(struct sim *s)
{
	int i;

	for (i = 0; i < s->nreg; i++) {
		free(s->reg[i].st);
		free(s->reg[i].user);
		free(s->reg[i].zero);
		free(s->reg[i].bfree);
	}
	s->nreg = 0;
}

static struct sim_region *sim_find(struct sim *s, unsigned long pfn)
{
	int i;

	for (i = 0; i < s->nreg; i++)
		if (pfn >= s->reg[i].base &&
		    pfn - s->reg[i].base < s->reg[i].npages)
			return &s->reg[i];
	return NULL;
}

unsigned char *sim_state(struct sim *s, unsigned long pfn)
{
	struct sim_region *r = sim_find(s, pfn);

	return r ? &r->st[pfn - r->base] : NULL;
}

unsigned char *sim_user(struct sim *s, unsigned long pfn)
{
	struct sim_region *r = sim_find(s, pfn);

	return r ? &r->user[pfn - r->base] : NULL;
}

unsigned char *sim_zero(struct sim *s, unsigned long pfn)
{
	struct sim_region *r = sim_find(s, pfn);

	return r ? &r->zero[pfn - r->base] : NULL;
}

static void sim_set(struct sim *s, struct sim_region *r, unsigned long off,
		    unsigned char st)
{
	unsigned long blk = off >> s->block_order;

	if (r->st[off] == SIM_FREE)
		r->bfree[blk]--;
	if (st == SIM_FREE)
		r->bfree[blk]++;
	r->st[off] = st;
}

/* First free, aligned run of @n pages in block @b of @r, or -1. */
static long sim_find_run(const struct sim_region *r, unsigned long b,
			 unsigned long n, unsigned long bp)
{
	unsigned long off, k;

	for (off = b * bp; off < (b + 1) * bp; off += n) {
		for (k = 0; k < n; k++)
			if (r->st[off + k] != SIM_FREE)
				break;
		if (k == n)
			return off;
	}
	return -1;
}

static int sim_get(void *ctx, unsigned int order, unsigned long *pfn)
{
	struct sim *s = ctx;
	unsigned long n = 1UL << order, bp = 1UL << s->block_order;
	int pass, i;

	if (order > s->block_order) {
		s->errors++;
		return -EINVAL;
	}
	if (s->max_order >= 0 && (int)order > s->max_order)
		return -ENOMEM;
	if (s->fail_after == 0)
		return -ENOMEM;
	/* pass 0: split partially used blocks first (like the buddy) */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < s->nreg; i++) {
			struct sim_region *r = &s->reg[i];
			unsigned long nb = r->npages / bp, b, k;
			long off;

			for (b = 0; b < nb; b++) {
				if (r->bfree[b] < n)
					continue;
				if (pass == 0 && r->bfree[b] == bp && n < bp)
					continue;
				off = sim_find_run(r, b, n, bp);
				if (off < 0)
					continue;
				for (k = 0; k < n; k++)
					sim_set(s, r, off + k, SIM_OUT);
				*pfn = r->base + off;
				s->outstanding += n;
				s->nget++;
				if (s->fail_after > 0)
					s->fail_after--;
				return 0;
			}
		}
	}
	return -ENOMEM;
}

static void sim_put(void *ctx, unsigned long pfn, unsigned int order)
{
	struct sim *s = ctx;
	unsigned long n = 1UL << order, k;

	s->nput++;
	if (order && (order != s->block_order || (pfn & (n - 1)))) {
		if (!s->quiet)
			fprintf(stderr, "sim: bad put order %u pfn %#lx\n",
				order, pfn);
		s->errors++;
		return;
	}
	for (k = 0; k < n; k++) {
		struct sim_region *r = sim_find(s, pfn + k);
		unsigned long off;

		if (!r || r->st[pfn + k - r->base] != SIM_OUT) {
			if (!s->quiet)
				fprintf(stderr, "sim: put of page %#lx not out\n",
					pfn + k);
			s->errors++;
			continue;
		}
		off = pfn + k - r->base;
		if (r->user[off]) {
			if (!s->quiet)
				fprintf(stderr, "sim: put of page %#lx in use\n",
					pfn + k);
			s->errors++;
		}
		sim_set(s, r, off, SIM_FREE);
		/* the next owner writes anything to it */
		r->zero[off] = 0;
		s->outstanding--;
	}
}

static bool sim_should_stop(void *ctx)
{
	struct sim *s = ctx;

	s->nstop++;
	if (s->stop_after < 0)
		return false;
	if (s->stop_after == 0)
		return true;
	s->stop_after--;
	return false;
}

const struct fa_source_ops sim_ops = {
	.get = sim_get,
	.put = sim_put,
	.should_stop = sim_should_stop,
};

bool sim_take_other(struct sim *s, unsigned long pfn)
{
	struct sim_region *r = sim_find(s, pfn);

	if (!r || r->st[pfn - r->base] != SIM_FREE)
		return false;
	sim_set(s, r, pfn - r->base, SIM_OTHER);
	return true;
}

void sim_release_others(struct sim *s)
{
	int i;
	unsigned long off;

	for (i = 0; i < s->nreg; i++)
		for (off = 0; off < s->reg[i].npages; off++)
			if (s->reg[i].st[off] == SIM_OTHER)
				sim_set(s, &s->reg[i], off, SIM_FREE);
}

void sim_fragment(struct sim *s, unsigned int stride)
{
	int i;
	unsigned long off;

	for (i = 0; i < s->nreg; i++)
		for (off = 0; off < s->reg[i].npages; off += stride)
			sim_take_other(s, s->reg[i].base + off);
}

unsigned long sim_total_pages(const struct sim *s)
{
	unsigned long t = 0;
	int i;

	for (i = 0; i < s->nreg; i++)
		t += s->reg[i].npages;
	return t;
}

unsigned long sim_free_pages(const struct sim *s)
{
	unsigned long t = 0, b;
	int i;

	for (i = 0; i < s->nreg; i++)
		for (b = 0; b < s->reg[i].npages >> s->block_order; b++)
			t += s->reg[i].bfree[b];
	return t;
}
