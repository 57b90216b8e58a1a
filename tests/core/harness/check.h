/* SPDX-License-Identifier: GPL-2.0 */
/* Invariant checker and shadow-tracking wrappers for host tests. */
#ifndef CHECK_H
#define CHECK_H

#include "internal.h"
#include "sim.h"

/* returns true when all invariants hold; prints the first violation */
bool check_pool(struct fa_pool *pool, struct sim *s);

/* partial room (free pages in partial blocks) of a class */
unsigned long check_partial_room(struct fa_pool *pool, unsigned int cls);

/*
 * fa_pool_alloc() + shadow update + checks (pages unique, belong to the
 * pool, fresh-block rule).  Returns the fa_pool_alloc() result, or
 * -EFAULT (127) when a check failed.
 */
#define CHECK_FAILED 127
int check_alloc(struct fa_pool *pool, struct sim *s, unsigned int cls,
		unsigned long n, unsigned long *pfns, unsigned int flags,
		struct fa_alloc_result *res);
/* shadow update + fa_pool_free() */
bool check_free(struct fa_pool *pool, struct sim *s,
		const unsigned long *pfns, unsigned long n);

/* shadow value of a planner destination page not yet moved into */
#define SHADOW_PLANNED 0x40
/* mark plan destinations in the shadow (checks they were free) */
bool check_plan_dsts(struct sim *s, const struct fa_move *mv, long n,
		     unsigned int cls);
/* mover: complete (copy, free src) or abandon (free dst) one move */
bool check_move(struct fa_pool *pool, struct sim *s, const struct fa_move *m,
		bool complete);

/*
 * A zeroer: fa_pool_zero_begin() (checks the dirty map against the
 * contents); then check_zero_end() zeroes the first @keep dirty pages in
 * the shadow and hands them to fa_pool_zero_end(), the others not.
 */
long check_zero_begin(struct fa_pool *pool, struct sim *s,
		      unsigned long *pfn, unsigned long *dirty);
void check_zero_end(struct fa_pool *pool, struct sim *s, unsigned long pfn,
		    unsigned long *dirty, unsigned int keep);

/* owned, non-isolated blocks of a class (full ones come from the blockmap) */
unsigned long check_class_blocks(struct fa_pool *pool, unsigned int cls,
				 struct fa_block **out, unsigned long max);

extern char check_msg[256];

#endif
