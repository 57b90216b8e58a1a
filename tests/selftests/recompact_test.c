// SPDX-License-Identifier: GPL-2.0
/*
 * recompact_test: FRAGALLOC_IOC_RECOMPACT keeps the content of every live
 * page and every user mapping valid while it migrates pages into denser
 * pageblocks, and its dry run predicts the real run.
 */
#include "common.h"

#include <sched.h>
#include <stdatomic.h>

/* TCG is 10-50x slower than native: a hang guard, not a time budget. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 120

T_FIXTURE(fa, T_MAY_HOLD);

/* A batch whose every present page holds t_page_seed(tag, idx, page). */
struct rb {
	__u32 h;
	__u32 mob;
	__u64 off;
	__u64 nr;
	__u64 tag;
	__u64 idx;
	char *map;		/* MAP_SHARED mapping of the whole batch */
	unsigned char *present;
	__u64 nr_present;
};

static int rb_alloc(int fd, struct rb *b, __u64 nr, __u32 mob, __u64 tag, __u64 idx)
{
	struct fragalloc_alloc a;
	int ret;

	memset(b, 0, sizeof(*b));
	ret = t_alloc(fd, nr, mob, FRAGALLOC_POLICY_COMPACT, 0, &a);
	if (ret)
		return ret;
	b->h = a.out_handle;
	b->off = a.out_mmap_offset;
	b->nr = nr;
	b->mob = mob;
	b->tag = tag;
	b->idx = idx;
	b->nr_present = nr;
	b->present = malloc(nr);
	if (!b->present)
		return -ENOMEM;
	memset(b->present, 1, nr);
	b->map = t_map(fd, b->off, nr);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		return -errno;
	}
	for (__u64 i = 0; i < nr; i++)
		t_fill_page(b->map + i * t_page_size(), t_page_seed(tag, idx, i));
	return 0;
}

static int rb_punch(int fd, struct rb *b, __u64 first, __u64 n)
{
	__u64 freed, expect = 0;
	int ret;

	for (__u64 i = first; i < first + n; i++)
		expect += b->present[i];
	ret = t_free_range(fd, b->h, first, n, &freed);
	if (ret)
		return ret;
	if (freed != expect)
		return -EBADMSG;
	memset(b->present + first, 0, n);
	b->nr_present -= expect;
	return 0;
}

/* Pages of @b (present ones) not holding their pattern, read through @map. */
static __u64 rb_bad(const struct rb *b, const char *map)
{
	__u64 bad = 0;

	for (__u64 i = 0; i < b->nr; i++)
		if (b->present[i] &&
		    t_check_page(map + i * t_page_size(), t_page_seed(b->tag, b->idx, i)) != -1)
			bad++;
	return bad;
}

/* Same through a fresh mapping of the batch. */
static __u64 rb_bad_fresh(int fd, const struct rb *b)
{
	char *m = t_map(fd, b->off, b->nr);
	__u64 bad;

	if (m == MAP_FAILED)
		return ~0ULL;
	bad = rb_bad(b, m);
	munmap(m, b->nr * t_page_size());
	return bad;
}

static void rb_release(struct rb *b)
{
	if (b->map)
		munmap(b->map, b->nr * t_page_size());
	free(b->present);
	b->map = NULL;
	b->present = NULL;
}

/* Simple deterministic PRNG (xorshift64*). */
static __u64 rnd(__u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/*
 * Fragments a set of batches: batch k loses its first half (k even) or its
 * second half (k odd), then about a tenth of the remaining pages at random.
 */
static int fragment(int fd, struct rb *b, int n, __u64 seed)
{
	for (int k = 0; k < n; k++) {
		__u64 half = b[k].nr / 2, s = seed + k;
		int ret = rb_punch(fd, &b[k], k & 1 ? half : 0, k & 1 ? b[k].nr - half : half);

		if (ret)
			return ret;
		for (__u64 j = 0; j < b[k].nr / 20; j++) {
			__u64 p = rnd(&s) % b[k].nr;

			if (b[k].present[p] && (ret = rb_punch(fd, &b[k], p, 1)))
				return ret;
		}
	}
	return 0;
}

/* Distinct pageblocks holding the present pages of the batches of class @mob. */
static __u64 class_blocks(int fd, struct rb *b, int n, __u32 mob,
			  unsigned int order, __u64 *present)
{
	__u64 total = 0, off = 0, count;
	__u64 *pfns;

	for (int k = 0; k < n; k++)
		if (b[k].mob == mob)
			total += b[k].nr;
	pfns = calloc(total ? total : 1, sizeof(*pfns));
	if (!pfns)
		return ~0ULL;
	*present = 0;
	for (int k = 0; k < n; k++) {
		struct fragalloc_batch_info bi;

		if (b[k].mob != mob)
			continue;
		if (t_batch_info(fd, b[k].h, pfns + off, b[k].nr, &bi)) {
			free(pfns);
			return ~0ULL;
		}
		off += b[k].nr;
		*present += bi.out_nr_present;
	}
	count = t_count_blocks(pfns, total, order);
	free(pfns);
	return count;
}

static __u64 sum_blocks(const struct fragalloc_stats *s)
{
	__u64 n = 0;

	for (int c = 0; c < FRAGALLOC_NR_MOBILITY; c++)
		n += s->out_blocks[c];
	return n;
}

static void log_rc(struct __test_metadata *_metadata, const char *what,
		   const struct fragalloc_recompact *r)
{
	TH_LOG("%s: planned %llu moved %llu copied %llu released %llu blocks %llu -> %llu",
	       what, (unsigned long long)r->out_pages_planned,
	       (unsigned long long)r->out_pages_moved,
	       (unsigned long long)r->out_bytes_copied,
	       (unsigned long long)r->out_blocks_released,
	       (unsigned long long)r->out_blocks_before,
	       (unsigned long long)r->out_blocks_after);
}

/* ====================================================================== */

#define NB 8		/* batches */
#define BNR 384		/* pages per batch */

TEST_F_TIMEOUT(fa, recompact_integrity, 240)
{
	struct rb b[NB];
	struct fragalloc_recompact dry, real, again;
	struct fragalloc_stats s0, s1;
	const __u32 mobs[2] = { FRAGALLOC_UNMOVABLE, FRAGALLOC_MOVABLE };

	for (int k = 0; k < NB; k++) {
		ASSERT_EQ(0, rb_alloc(self->fd, &b[k], BNR, mobs[k % 2], 1, k));
	}
	ASSERT_EQ(0, fragment(self->fd, b, NB, 42));

	ASSERT_EQ(0, t_stats(self->fd, &s0));
	t_log_pool("before", &s0);
	ASSERT_EQ(0, t_recompact(self->fd, FRAGALLOC_SCOPE_FD, 0,
				  FRAGALLOC_RECOMPACT_DRY_RUN, 0, &dry));
	log_rc(_metadata, "dry run", &dry);
	EXPECT_EQ(0, dry.out_pages_moved);
	EXPECT_LT(0, dry.out_pages_planned);
	EXPECT_LT(0, dry.out_blocks_released);
	EXPECT_EQ(sum_blocks(&s0), dry.out_blocks_before);
	EXPECT_EQ(dry.out_blocks_before - dry.out_blocks_released, dry.out_blocks_after);

	ASSERT_EQ(0, t_recompact(self->fd, FRAGALLOC_SCOPE_FD, 0, 0, 0, &real));
	log_rc(_metadata, "real", &real);
	EXPECT_EQ(dry.out_pages_planned, real.out_pages_planned);
	EXPECT_EQ(dry.out_pages_planned, real.out_pages_moved);
	EXPECT_EQ(dry.out_blocks_released, real.out_blocks_released);
	EXPECT_EQ(dry.out_blocks_before, real.out_blocks_before);
	EXPECT_EQ(dry.out_blocks_after, real.out_blocks_after);
	EXPECT_EQ(real.out_pages_moved * self->ps, real.out_bytes_copied);

	ASSERT_EQ(0, t_stats(self->fd, &s1));
	t_log_pool("after", &s1);
	EXPECT_EQ(real.out_blocks_after, sum_blocks(&s1));
	EXPECT_EQ(s0.out_recompact_runs + 1, s1.out_recompact_runs);
	EXPECT_EQ(s0.out_recompact_moved + real.out_pages_moved, s1.out_recompact_moved);
	EXPECT_EQ(s0.out_blocks_released + real.out_blocks_released, s1.out_blocks_released);
	for (int c = 0; c < FRAGALLOC_NR_MOBILITY; c++) {
		EXPECT_EQ(s0.out_pages_used[c], s1.out_pages_used[c]);
	}
	EXPECT_EQ(s0.out_fd_pages, s1.out_fd_pages);

	for (int k = 0; k < NB; k++) {
		struct fragalloc_batch_info bi;

		EXPECT_EQ(0, rb_bad(&b[k], b[k].map)) {
			TH_LOG("batch %d: bad pages through the old mapping", k);
		}
		EXPECT_EQ(0, rb_bad_fresh(self->fd, &b[k])) {
			TH_LOG("batch %d: bad pages through a new mapping", k);
		}
		ASSERT_EQ(0, t_batch_info(self->fd, b[k].h, NULL, 0, &bi));
		EXPECT_EQ(b[k].nr, bi.out_nr_pages);
		EXPECT_EQ(b[k].nr_present, bi.out_nr_present);
		EXPECT_EQ(b[k].off, bi.out_mmap_offset);
	}
	for (int i = 0; i < 2; i++) {
		__u64 present = 0, blocks = class_blocks(self->fd, b, NB, mobs[i],
						     self->info.out_pageblock_order, &present);
		__u64 ideal = t_div_round_up(present, self->bs);

		TH_LOG("class %u: %llu present pages in %llu blocks (ideal %llu)",
		       mobs[i], (unsigned long long)present,
		       (unsigned long long)blocks, (unsigned long long)ideal);
		EXPECT_GE(ideal + 1, blocks);
	}
	/* A second pass has nothing left to do. */
	ASSERT_EQ(0, t_recompact(self->fd, FRAGALLOC_SCOPE_FD, 0,
				  FRAGALLOC_RECOMPACT_DRY_RUN, 0, &again));
	log_rc(_metadata, "second dry run", &again);
	EXPECT_EQ(0, again.out_pages_planned);
	EXPECT_EQ(0, again.out_blocks_released);
	EXPECT_EQ(real.out_blocks_after, again.out_blocks_before);
	for (int k = 0; k < NB; k++)
		rb_release(&b[k]);
}

TEST_F_TIMEOUT(fa, recompact_max_pages_cap, 180)
{
	struct rb b[4];
	struct fragalloc_recompact dry, real, dry2, rest;
	__u64 cap, total = 0;
	bool done = false;

	for (int k = 0; k < 4; k++) {
		ASSERT_EQ(0, rb_alloc(self->fd, &b[k], BNR, FRAGALLOC_MOVABLE, 2, k));
	}
	ASSERT_EQ(0, fragment(self->fd, b, 4, 7));
	ASSERT_EQ(0, t_recompact(self->fd, FRAGALLOC_SCOPE_FD, 0,
				  FRAGALLOC_RECOMPACT_DRY_RUN, 0, &dry));
	log_rc(_metadata, "uncapped dry run", &dry);
	ASSERT_LT(3, dry.out_pages_planned);
	cap = dry.out_pages_planned / 3;

	ASSERT_EQ(0, t_recompact(self->fd, FRAGALLOC_SCOPE_FD, 0,
				  FRAGALLOC_RECOMPACT_DRY_RUN, cap, &dry2));
	EXPECT_GE(cap, dry2.out_pages_planned);
	/* a capped plan is the full plan's first cap moves */
	EXPECT_EQ(cap, dry2.out_pages_planned);
	/* resumable: capped runs eventually do the whole job */
	for (int i = 0; i < 10; i++) {
		ASSERT_EQ(0, t_recompact(self->fd, FRAGALLOC_SCOPE_FD, 0, 0, cap, &real));
		log_rc(_metadata, "capped", &real);
		EXPECT_GE(cap, real.out_pages_moved);
		EXPECT_GE(cap, real.out_pages_planned);
		total += real.out_pages_moved;
		for (int k = 0; k < 4; k++) {
			EXPECT_EQ(0, rb_bad(&b[k], b[k].map));
		}
		if (!real.out_pages_moved) {
			done = true;
			break;
		}
	}
	TH_LOG("%llu pages moved in capped runs, %llu planned uncapped",
	       (unsigned long long)total, (unsigned long long)dry.out_pages_planned);
	EXPECT_LT(0, total);
	/* the capped runs ended by themselves and add up to the full plan */
	EXPECT_TRUE(done);
	EXPECT_EQ(dry.out_pages_planned, total);
	ASSERT_EQ(0, t_recompact(self->fd, FRAGALLOC_SCOPE_FD, 0,
				  FRAGALLOC_RECOMPACT_DRY_RUN, 0, &rest));
	log_rc(_metadata, "dry run after the capped runs", &rest);
	EXPECT_EQ(0, rest.out_pages_planned);
	EXPECT_EQ(dry.out_blocks_after, rest.out_blocks_before);
	for (int k = 0; k < 4; k++) {
		EXPECT_EQ(0, rb_bad_fresh(self->fd, &b[k]));
		rb_release(&b[k]);
	}
}

TEST_F_TIMEOUT(fa, recompact_scope_batch, 180)
{
	struct rb b[4];
	struct fragalloc_recompact r;
	__u64 *before[4], *after[4];
	struct fragalloc_batch_info bi;

	for (int k = 0; k < 4; k++) {
		ASSERT_EQ(0, rb_alloc(self->fd, &b[k], BNR, FRAGALLOC_RECLAIMABLE, 3, k));
		before[k] = calloc(BNR, 8);
		after[k] = calloc(BNR, 8);
		ASSERT_NE(NULL, before[k]);
		ASSERT_NE(NULL, after[k]);
	}
	ASSERT_EQ(0, fragment(self->fd, b, 4, 99));
	for (int k = 0; k < 4; k++) {
		ASSERT_EQ(0, t_batch_info(self->fd, b[k].h, before[k], BNR, &bi));
	}
	ASSERT_EQ(0, t_recompact(self->fd, FRAGALLOC_SCOPE_BATCH, b[0].h, 0, 0, &r));
	log_rc(_metadata, "batch 0", &r);
	for (int k = 0; k < 4; k++) {
		ASSERT_EQ(0, t_batch_info(self->fd, b[k].h, after[k], BNR, &bi));
	}
	for (int k = 1; k < 4; k++) {
		EXPECT_EQ(0, memcmp(before[k], after[k], BNR * 8)) {
			TH_LOG("batch %d moved by a recompaction of batch 0", k);
		}
	}
	{
		__u64 changed = 0;

		for (int i = 0; i < BNR; i++)
			changed += before[0][i] != after[0][i];
		EXPECT_EQ(r.out_pages_moved, changed);
	}
	for (int k = 0; k < 4; k++) {
		EXPECT_EQ(0, rb_bad(&b[k], b[k].map));
		EXPECT_EQ(0, rb_bad_fresh(self->fd, &b[k]));
		rb_release(&b[k]);
		free(before[k]);
		free(after[k]);
	}
}

/* A forked child's (populated) mapping sees the moved data and can write it. */
TEST_F_TIMEOUT(fa, recompact_fork_child_sees_moved_data, 180)
{
	struct rb b[4];
	struct fragalloc_recompact r;
	int go[2], ready[2];
	pid_t pid;
	char c;

	for (int k = 0; k < 4; k++) {
		ASSERT_EQ(0, rb_alloc(self->fd, &b[k], BNR, FRAGALLOC_UNMOVABLE, 4, k));
	}
	ASSERT_EQ(0, fragment(self->fd, b, 4, 5));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u64 bad = 0;

		close(go[1]);
		close(ready[0]);
		for (int k = 0; k < 4; k++)
			bad += rb_bad(&b[k], b[k].map);	/* populates the ptes */
		if (write(ready[1], "r", 1) != 1 || bad)
			_exit(1);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		for (int k = 0; k < 4; k++)
			bad += rb_bad(&b[k], b[k].map);
		if (bad)
			_exit(3);
		/* write a new pattern for the parent to check */
		for (int k = 0; k < 4; k++)
			for (__u64 i = 0; i < b[k].nr; i++)
				if (b[k].present[i])
					t_fill_page(b[k].map + i * t_page_size(),
						     t_page_seed(5, k, i));
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(0, t_recompact(self->fd, FRAGALLOC_SCOPE_FD, 0, 0, 0, &r));
	log_rc(_metadata, "parent", &r);
	EXPECT_LT(0, r.out_pages_moved);
	ASSERT_EQ(1, write(go[1], "g", 1));
	EXPECT_EQ(0, t_wait(pid));
	for (int k = 0; k < 4; k++) {
		b[k].tag = 5;
		EXPECT_EQ(0, rb_bad(&b[k], b[k].map));
		EXPECT_EQ(0, rb_bad_fresh(self->fd, &b[k]));
		rb_release(&b[k]);
	}
	close(go[1]);
	close(ready[0]);
}

/* ====================================================================== */
/* Writers racing recompaction                                            */

#define NWRITERS 4
#define WPAGES 64	/* pages per writer */
#define WSAMPLES 16	/* words checked per page */
#define WITERS 20	/* recompactions */

struct wctx {
	char *base;		/* the writer's first page */
	int tid;
	atomic_bool *stop;
	atomic_ullong passes;
	atomic_ullong mismatches;
	__u64 first_bad_page, first_bad_want, first_bad_got;
};

static inline __u64 wval(int tid, __u64 page, __u64 v)
{
	return ((__u64)tid << 56) | (page << 40) | v;
}

static void *writer(void *arg)
{
	struct wctx *w = arg;
	size_t ps = t_page_size(), stride = ps / sizeof(__u64) / WSAMPLES;
	__u64 v = 0;

	while (!atomic_load(w->stop)) {
		v++;
		for (__u64 p = 0; p < WPAGES; p++) {
			volatile __u64 *word = (volatile __u64 *)(w->base + p * ps);

			for (int s = 0; s < WSAMPLES; s++) {
				__u64 want = v > 1 ? wval(w->tid, p, v - 1) : 0;
				__u64 got = word[s * stride];

				if (got != want) {
					if (!atomic_fetch_add(&w->mismatches, 1)) {
						w->first_bad_page = p;
						w->first_bad_want = want;
						w->first_bad_got = got;
					}
				}
				word[s * stride] = wval(w->tid, p, v);
			}
		}
		for (__u64 p = 0; p < WPAGES; p++) {
			volatile __u64 *word = (volatile __u64 *)(w->base + p * ps);

			for (int s = 0; s < WSAMPLES; s++)
				if (word[s * stride] != wval(w->tid, p, v))
					atomic_fetch_add(&w->mismatches, 1);
		}
		atomic_fetch_add(&w->passes, 1);
		sched_yield();
	}
	return NULL;
}

struct filler {
	__u32 h;
	__u64 nr;
	unsigned char *present;
};

/* pfn >> order of each page of a batch; holes as ~0. */
static int batch_blocks(int fd, __u32 h, __u64 nr, unsigned int order, __u64 *out)
{
	struct fragalloc_batch_info bi;
	int ret = t_batch_info(fd, h, out, nr, &bi);

	if (ret)
		return ret;
	for (__u64 i = 0; i < nr; i++)
		out[i] = out[i] == FRAGALLOC_PFN_HOLE ? ~0ULL : out[i] >> order;
	return 0;
}

static bool in_set(const __u64 *set, size_t n, __u64 v)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == v)
			return true;
	return false;
}

/*
 * Steers the pool so that the writers' pages sit in the emptiest blocks:
 * every filler page sharing a block with a writer page is punched, and a
 * quarter of each of two filler-only blocks is punched to make room. Returns
 * -errno or 0.
 */
static int steer(int fd, struct filler *f, int nf, __u32 wh, __u64 wnr,
		 unsigned int order, __u64 bs)
{
	__u64 *wb = calloc(wnr, 8), *fb = NULL;
	__u64 wset[64];
	size_t nw = 0;
	int ret = -ENOMEM, holes_blocks = 0;
	__u64 hole_block[2] = { ~0ULL, ~0ULL }, hole_count[2] = { 0, 0 };

	if (!wb)
		return ret;
	ret = batch_blocks(fd, wh, wnr, order, wb);
	if (ret)
		goto out;
	for (__u64 i = 0; i < wnr; i++)
		if (wb[i] != ~0ULL && !in_set(wset, nw, wb[i]) && nw < ARRAY_SIZE(wset))
			wset[nw++] = wb[i];
	for (int k = 0; k < nf; k++) {
		free(fb);
		fb = calloc(f[k].nr, 8);
		ret = -ENOMEM;
		if (!fb)
			goto out;
		ret = batch_blocks(fd, f[k].h, f[k].nr, order, fb);
		if (ret)
			goto out;
		for (__u64 i = 0; i < f[k].nr; i++) {
			bool punch = false;

			if (!f[k].present[i])
				continue;
			if (in_set(wset, nw, fb[i])) {
				punch = true;
			} else {
				for (int h = 0; h < 2; h++) {
					if (hole_block[h] == ~0ULL && holes_blocks == h &&
					    !in_set(hole_block, 2, fb[i])) {
						hole_block[h] = fb[i];
						holes_blocks++;
					}
					if (hole_block[h] == fb[i] && hole_count[h] < bs / 4) {
						hole_count[h]++;
						punch = true;
						break;
					}
				}
			}
			if (punch) {
				ret = t_free_range(fd, f[k].h, i, 1, NULL);
				if (ret)
					goto out;
				f[k].present[i] = 0;
			}
		}
	}
	ret = 0;
out:
	free(fb);
	free(wb);
	return ret;
}

TEST_F_TIMEOUT(fa, recompact_vs_writers, 300)
{
	atomic_bool stop = false;
	struct wctx w[NWRITERS];
	pthread_t th[NWRITERS];
	struct filler f[WITERS];
	struct fragalloc_alloc wa;
	__u64 wnr = NWRITERS * WPAGES, moved = 0, wmoved = 0;
	__u64 *pf0 = calloc(wnr, 8), *pf1 = calloc(wnr, 8);
	struct fragalloc_batch_info bi;
	char *wmap;
	int nf = 0;

	ASSERT_NE(NULL, pf0);
	ASSERT_NE(NULL, pf1);
	ASSERT_EQ(0, t_alloc(self->fd, wnr, FRAGALLOC_UNMOVABLE, 0, 0, &wa));
	wmap = t_map(self->fd, wa.out_mmap_offset, wnr);
	ASSERT_NE(MAP_FAILED, wmap);
	for (int t = 0; t < NWRITERS; t++) {
		w[t] = (struct wctx){ .base = wmap + t * WPAGES * self->ps, .tid = t + 1,
				      .stop = &stop };
		ASSERT_EQ(0, pthread_create(&th[t], NULL, writer, &w[t]));
	}
	for (int it = 0; it < WITERS; it++) {
		struct fragalloc_recompact r;
		struct fragalloc_alloc a;
		__u64 nr = self->bs + self->bs / 2;
		int ret;

		/* new filler: takes free slots, including the writers' blocks */
		ret = t_alloc(self->fd, nr, FRAGALLOC_UNMOVABLE, 0, 0, &a);
		if (ret)
			break;
		f[nf].h = a.out_handle;
		f[nf].nr = nr;
		f[nf].present = malloc(nr);
		ASSERT_NE(NULL, f[nf].present);
		memset(f[nf].present, 1, nr);
		nf++;
		ASSERT_EQ(0, steer(self->fd, f, nf, wa.out_handle, wnr,
				   self->info.out_pageblock_order, self->bs));
		ASSERT_EQ(0, t_batch_info(self->fd, wa.out_handle, pf0, wnr, &bi));
		ret = t_recompact(self->fd, FRAGALLOC_SCOPE_FD, 0, 0, 0, &r);
		ASSERT_EQ(0, ret);
		ASSERT_EQ(0, t_batch_info(self->fd, wa.out_handle, pf1, wnr, &bi));
		moved += r.out_pages_moved;
		for (__u64 i = 0; i < wnr; i++)
			wmoved += pf0[i] != pf1[i];
	}
	atomic_store(&stop, true);
	for (int t = 0; t < NWRITERS; t++)
		pthread_join(th[t], NULL);
	TH_LOG("%d recompactions moved %llu pages, %llu of them writer pages",
	       nf, (unsigned long long)moved, (unsigned long long)wmoved);
	for (int t = 0; t < NWRITERS; t++) {
		TH_LOG("writer %d: %llu passes, %llu mismatches", t,
		       (unsigned long long)atomic_load(&w[t].passes),
		       (unsigned long long)atomic_load(&w[t].mismatches));
		EXPECT_EQ(0, atomic_load(&w[t].mismatches)) {
			TH_LOG("writer %d page %llu: want %#llx got %#llx", t,
			       (unsigned long long)w[t].first_bad_page,
			       (unsigned long long)w[t].first_bad_want,
			       (unsigned long long)w[t].first_bad_got);
		}
	}
	EXPECT_EQ(WITERS, nf);
	/* otherwise the race was never exercised */
	EXPECT_LT(0, wmoved);
	munmap(wmap, wnr * self->ps);
	for (int k = 0; k < nf; k++)
		free(f[k].present);
	free(pf0);
	free(pf1);
}

/* ====================================================================== */
/* Recompaction racing FREE, close, munmap, fork and another recompaction */

#define RITERS 20

struct race {
	int fd;				/* the main fd */
	struct rb *sentinel;
	atomic_ullong errors;
	atomic_ullong bad_pages;
	atomic_int first_err;
	atomic_ullong moved;
	atomic_int done;
};

static void race_err(struct race *r, int err)
{
	int zero = 0;

	atomic_fetch_add(&r->errors, 1);
	atomic_compare_exchange_strong(&r->first_err, &zero, err ? err : -EBADMSG);
}

static void *race_pool_recompact(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < RITERS; i++) {
		struct fragalloc_recompact rc;
		int ret = t_recompact(r->fd, FRAGALLOC_SCOPE_POOL, 0, 0, 0, &rc);

		if (ret)
			race_err(r, ret);
		else
			atomic_fetch_add(&r->moved, rc.out_pages_moved);
		sched_yield();
	}
	return NULL;
}

static void *race_fd_recompact(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < RITERS; i++) {
		struct fragalloc_recompact rc;
		__u32 flags = i % 3 == 2 ? FRAGALLOC_RECOMPACT_DRY_RUN : 0;
		int ret = t_recompact(r->fd, FRAGALLOC_SCOPE_FD, 0, flags, i & 1 ? 7 : 0, &rc);

		if (ret)
			race_err(r, ret);
		else
			atomic_fetch_add(&r->moved, rc.out_pages_moved);
		ret = t_recompact(r->fd, FRAGALLOC_SCOPE_BATCH, r->sentinel->h, 0, 0, &rc);
		if (ret)
			race_err(r, ret);
		sched_yield();
	}
	return NULL;
}

/* Allocs, maps, punches, frees (sometimes while mapped), munmaps. */
static void *race_churn(void *arg)
{
	struct race *r = arg;
	__u64 s = 12345;

	for (int i = 0; i < RITERS; i++) {
		struct rb b;
		int ret = rb_alloc(r->fd, &b, 200 + i * 7, i % FRAGALLOC_NR_MOBILITY, 6, i);

		if (ret) {
			race_err(r, ret);
			rb_release(&b);
			continue;
		}
		for (int j = 0; j < 10; j++) {
			__u64 p = rnd(&s) % b.nr, n = 1 + rnd(&s) % 8;

			if (p + n > b.nr)
				n = b.nr - p;
			if ((ret = rb_punch(r->fd, &b, p, n)))
				race_err(r, ret);
		}
		if (rb_bad(&b, b.map))
			atomic_fetch_add(&r->bad_pages, rb_bad(&b, b.map));
		if (i & 1) {
			/* free while mapped, then unmap */
			if ((ret = t_free(r->fd, b.h)))
				race_err(r, ret);
			rb_release(&b);
		} else {
			/* partial unmap, then the rest, then free */
			munmap(b.map, t_page_size());
			munmap(b.map + t_page_size(), (b.nr - 1) * t_page_size());
			b.map = NULL;
			if ((ret = t_free(r->fd, b.h)))
				race_err(r, ret);
			rb_release(&b);
		}
	}
	return NULL;
}

/* Opens its own fd, fills batches, closes the fd with the mappings alive. */
static void *race_close(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < RITERS / 2; i++) {
		struct rb b[2];
		int fd = t_open(), ret;

		if (fd < 0) {
			race_err(r, -errno);
			continue;
		}
		ret = rb_alloc(fd, &b[0], 160, FRAGALLOC_MOVABLE, 7, i * 2);
		if (!ret)
			ret = rb_alloc(fd, &b[1], 160, FRAGALLOC_MOVABLE, 7, i * 2 + 1);
		else
			memset(&b[1], 0, sizeof(b[1]));
		if (!ret)
			ret = fragment(fd, b, 2, i);
		if (ret)
			race_err(r, ret);
		close(fd);
		for (int k = 0; k < 2; k++) {
			if (!ret && b[k].map)
				atomic_fetch_add(&r->bad_pages, rb_bad(&b[k], b[k].map));
			rb_release(&b[k]);
		}
	}
	return NULL;
}

/* Forks children that check the sentinel batch through the inherited mapping. */
static void *race_fork(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < RITERS / 2; i++) {
		pid_t pid = fork();
		int st;

		if (pid < 0) {
			race_err(r, -errno);
			continue;
		}
		if (pid == 0)
			_exit(rb_bad(r->sentinel, r->sentinel->map) ? 1 : 0);
		st = t_wait(pid);
		if (st)
			race_err(r, -1000 - st);
	}
	return NULL;
}

TEST_F_TIMEOUT(fa, recompact_races, 300)
{
	struct fragalloc_stats s0, s1;
	struct race *r = calloc(1, sizeof(*r));
	struct rb sentinel;
	void *(*fns[])(void *) = {
		race_pool_recompact, race_fd_recompact, race_churn,
		race_close, race_fork,
	};
	pthread_t th[ARRAY_SIZE(fns)];

	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, t_pool_stats(&s0));
	ASSERT_EQ(0, rb_alloc(self->fd, &sentinel, 300, FRAGALLOC_MOVABLE, 8, 0));
	for (__u64 i = 0; i < sentinel.nr; i += 3) {
		ASSERT_EQ(0, rb_punch(self->fd, &sentinel, i, 1));
	}
	r->fd = self->fd;
	r->sentinel = &sentinel;
	for (size_t t = 0; t < ARRAY_SIZE(fns); t++) {
		ASSERT_EQ(0, pthread_create(&th[t], NULL, fns[t], r));
	}
	for (size_t t = 0; t < ARRAY_SIZE(fns); t++)
		pthread_join(th[t], NULL);
	TH_LOG("%llu pages moved, %llu errors (first %d), %llu bad pages",
	       (unsigned long long)atomic_load(&r->moved),
	       (unsigned long long)atomic_load(&r->errors),
	       atomic_load(&r->first_err),
	       (unsigned long long)atomic_load(&r->bad_pages));
	EXPECT_EQ(0, atomic_load(&r->errors));
	EXPECT_EQ(0, atomic_load(&r->bad_pages));
	EXPECT_EQ(0, rb_bad(&sentinel, sentinel.map));
	EXPECT_EQ(0, rb_bad_fresh(self->fd, &sentinel));
	rb_release(&sentinel);
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, t_pool_stats(&s1));
	t_log_pool("after close", &s1);
	for (int c = 0; c < FRAGALLOC_NR_MOBILITY; c++) {
		EXPECT_EQ(s0.out_pages_used[c], s1.out_pages_used[c]);
		EXPECT_EQ(s0.out_loose_pages[c], s1.out_loose_pages[c]);
	}
	EXPECT_EQ(s0.out_other_pages, s1.out_other_pages);
	free(r);
}

/* Pool scope as root moves every user's pages and keeps them intact. */
TEST_F_TIMEOUT(fa, recompact_pool_scope_two_fds, 180)
{
	int fd2 = t_open();
	struct rb b1[2], b2[2];
	struct fragalloc_recompact r;

	ASSERT_LE(0, fd2);
	for (int k = 0; k < 2; k++) {
		ASSERT_EQ(0, rb_alloc(self->fd, &b1[k], BNR, FRAGALLOC_MOVABLE, 9, k));
		ASSERT_EQ(0, rb_alloc(fd2, &b2[k], BNR, FRAGALLOC_MOVABLE, 10, k));
	}
	ASSERT_EQ(0, fragment(self->fd, b1, 2, 1));
	ASSERT_EQ(0, fragment(fd2, b2, 2, 2));
	ASSERT_EQ(0, t_recompact(self->fd, FRAGALLOC_SCOPE_POOL, 0, 0, 0, &r));
	log_rc(_metadata, "pool", &r);
	EXPECT_LT(0, r.out_pages_moved);
	for (int k = 0; k < 2; k++) {
		EXPECT_EQ(0, rb_bad(&b1[k], b1[k].map));
		EXPECT_EQ(0, rb_bad(&b2[k], b2[k].map));
		EXPECT_EQ(0, rb_bad_fresh(self->fd, &b1[k]));
		EXPECT_EQ(0, rb_bad_fresh(fd2, &b2[k]));
		rb_release(&b1[k]);
		rb_release(&b2[k]);
	}
	close(fd2);
}

/*
 * Automatic mode: with auto_recompact_pct set, a FREE that leaves the pool
 * owning more pageblocks than the threshold allows schedules a pool-wide
 * recompaction; the pool shrinks and no byte changes.
 */
TEST_F_TIMEOUT(fa, recompact_automatic_mode, 180)
{
	const int nb = 8, chunk = 64;
	long long pct0 = t_param("auto_recompact_pct", -1);
	long long iv0 = t_param("auto_recompact_interval_ms", -1);
	struct fragalloc_stats s0, s1;
	__u64 nr = 2ULL << self->info.out_pageblock_order;
	struct rb b[8];
	int i, waited;

	if (pct0 < 0 || iv0 < 0)
		SKIP(return, "no auto_recompact module parameters");
	ASSERT_EQ(0, t_param("auto_recompact_pct", 0));
	for (i = 0; i < nb; i++)
		ASSERT_EQ(0, rb_alloc(self->fd, &b[i], nr, FRAGALLOC_UNMOVABLE,
				      91, i));
	/* Every other 64-page run: each pageblock ends up half full. */
	for (i = 0; i < nb; i++)
		for (__u64 p = chunk; p < nr; p += 2 * chunk)
			ASSERT_EQ(0, rb_punch(self->fd, &b[i], p, chunk));
	ASSERT_EQ(0, t_pool_stats(&s0));

	ASSERT_EQ(0, t_param("auto_recompact_interval_ms", 0));
	ASSERT_EQ(110, t_param("auto_recompact_pct", 110));
	/* The next free kicks the automatic mode. */
	ASSERT_EQ(0, rb_punch(self->fd, &b[0], 0, 1));
	for (waited = 0; waited < 300; waited++) {
		ASSERT_EQ(0, t_pool_stats(&s1));
		if (s1.out_auto_recompact_runs > s0.out_auto_recompact_runs)
			break;
		usleep(100 * 1000);
	}
	t_param("auto_recompact_pct", pct0);
	t_param("auto_recompact_interval_ms", iv0);
	TH_LOG("automatic runs %llu -> %llu after %d ms; blocks %llu -> %llu, moved %llu",
	       (unsigned long long)s0.out_auto_recompact_runs,
	       (unsigned long long)s1.out_auto_recompact_runs, waited * 100,
	       (unsigned long long)sum_blocks(&s0),
	       (unsigned long long)sum_blocks(&s1),
	       (unsigned long long)(s1.out_recompact_moved -
				    s0.out_recompact_moved));
	EXPECT_LT(s0.out_auto_recompact_runs, s1.out_auto_recompact_runs);
	EXPECT_LT(sum_blocks(&s1), sum_blocks(&s0));
	for (i = 0; i < nb; i++) {
		EXPECT_EQ(0, rb_bad(&b[i], b[i].map));
		EXPECT_EQ(0, rb_bad_fresh(self->fd, &b[i]));
		rb_release(&b[i]);
	}
}

/*
 * The automatic mode packs a load of one class to its optimum plus one
 * pageblock (one partial block per class in use): five full pageblocks of
 * one class, four of them punched half empty, need three; the pool owns
 * five, more than three plus one, and a run must follow (it used to allow
 * one partial block for each of the three classes, used or not: three plus
 * three, and left the pool at five).
 */
TEST_F_TIMEOUT(fa, recompact_automatic_one_class_optimum_plus_one, 120)
{
	long long pct0 = t_param("auto_recompact_pct", -1);
	long long iv0 = t_param("auto_recompact_interval_ms", -1);
	__u64 bs = 1ULL << self->info.out_pageblock_order;
	struct fragalloc_stats s0, s1;
	struct rb b[5];
	int i, waited;

	if (pct0 < 0 || iv0 < 0)
		SKIP(return, "no auto_recompact module parameters");
	ASSERT_EQ(0, t_param("auto_recompact_pct", 0));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, rb_alloc(self->fd, &b[i], bs, FRAGALLOC_UNMOVABLE,
				      95, i));
	ASSERT_EQ(0, t_pool_stats(&s0));
	if (sum_blocks(&s0) != 5)
		SKIP(goto out, "the pool holds %llu pageblocks, not this test's 5",
		     (unsigned long long)sum_blocks(&s0));
	for (i = 1; i < 4; i++)
		ASSERT_EQ(0, rb_punch(self->fd, &b[i], 0, bs / 2));
	ASSERT_EQ(0, t_param("auto_recompact_interval_ms", 0));
	ASSERT_EQ(100, t_param("auto_recompact_pct", 100));
	/* the next free kicks the automatic mode */
	ASSERT_EQ(0, rb_punch(self->fd, &b[4], 0, bs / 2));
	for (waited = 0; waited < 100; waited++) {
		ASSERT_EQ(0, t_pool_stats(&s1));
		if (s1.out_auto_recompact_runs > s0.out_auto_recompact_runs &&
		    sum_blocks(&s1) <= 3)
			break;
		usleep(100 * 1000);
	}
	TH_LOG("automatic runs %llu -> %llu after %d ms; blocks %llu -> %llu",
	       (unsigned long long)s0.out_auto_recompact_runs,
	       (unsigned long long)s1.out_auto_recompact_runs, waited * 100,
	       (unsigned long long)sum_blocks(&s0),
	       (unsigned long long)sum_blocks(&s1));
	EXPECT_LT(s0.out_auto_recompact_runs, s1.out_auto_recompact_runs);
	EXPECT_EQ(3, sum_blocks(&s1));
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(0, rb_bad(&b[i], b[i].map));
		EXPECT_EQ(0, rb_bad_fresh(self->fd, &b[i]));
	}
out:
	t_param("auto_recompact_pct", pct0);
	t_param("auto_recompact_interval_ms", iv0);
	for (i = 0; i < 5; i++)
		rb_release(&b[i]);
}

TEST_HARNESS_MAIN
