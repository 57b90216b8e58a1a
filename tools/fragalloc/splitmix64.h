/* SPDX-License-Identifier: MIT */
/*
 * The PRNG of the stress load: splitmix64, a fixed, portable sequence for a
 * given seed, so that a seed gives the same load on every machine. The CLI's
 * `stress` and the benchmark's programs (tests/bench) include this one copy:
 * the benchmark replays the CLI's load bit for bit.
 */
#ifndef FRAGALLOC_SPLITMIX64_H
#define FRAGALLOC_SPLITMIX64_H

#include <stdint.h>

struct rng {
	uint64_t state;		/* the seed, then the generator's state */
};

static inline uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in [0, n), n > 0 (rejection sampling: no modulo bias) */
static inline uint64_t rnd_below(struct rng *r, uint64_t n)
{
	uint64_t lim = UINT64_MAX - UINT64_MAX % n, x;

	do
		x = rnd(r);
	while (x >= lim);
	return x % n;
}

/* uniform in [0, 1), 53 bits */
static inline double rnd_unit(struct rng *r)
{
	return (double)(rnd(r) >> 11) / 9007199254740992.0;
}

/*
 * The page range a cycle of the load punches into a batch of @pages pages
 * (@pages >= 2): a random first page, and at most a quarter of the batch
 * plus one page from there.
 */
static inline void rnd_punch(struct rng *r, uint64_t pages, uint64_t *first,
			     uint64_t *nr)
{
	uint64_t max;

	*first = rnd_below(r, pages);
	max = pages - *first;
	if (max > pages / 4 + 1)
		max = pages / 4 + 1;
	*nr = 1 + rnd_below(r, max);
}

#endif
