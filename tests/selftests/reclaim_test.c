// SPDX-License-Identifier: GPL-2.0
/*
 * The pool never hoards (issue 12): its idle memory goes back when the
 * kernel needs it, and by itself once a load has freed its batches.
 *
 *   pressure_no_oom         12 fds fill the pool with interleaved small
 *                           batches, 2 of every 3 fds free theirs: the pool
 *                           owns about three times the pageblocks its pages
 *                           need. With the automatic mode off, a child then
 *                           mlocks all the memory that is free above the
 *                           zones' high watermarks plus 30% of the pool's
 *                           idle memory: nobody is OOM-killed (/proc/vmstat
 *                           oom_kill, the child's exit), the shrinker gave
 *                           the memory back (STATS), and the pool ends at
 *                           the optimum plus at most one pageblock per class
 *   pressure_pinned         the same with pages that cannot move (the kapi
 *                           test module's pinned pages, when
 *                           FA_PINNED_EXPECTED is set by
 *                           tests/kapi/pinned_test.sh): their free pages go
 *                           back one by one, no OOM
 *   defaults_give_back      module defaults, no RECOMPACT ioctl: after the
 *                           fragmenting load and a few seconds idle, the
 *                           pool owns at most the optimum plus one block
 *                           per class
 *   stats_tail              the new STATS members: tail-extensible, and the
 *                           idle figure is what the per-class figures say
 */
#include "common.h"

#include <sys/mman.h>
#include <sys/wait.h>

#define NFD	12

#ifndef offsetofend
#define offsetofend(T, m)	(offsetof(T, m) + sizeof(((T *)0)->m))
#endif

/* pages per pageblock, from INFO */
static __u64 block_pages(void)
{
	struct fragalloc_info info;
	int fd = t_open();
	__u64 bs = 512;

	if (fd >= 0) {
		if (!t_info(fd, &info))
			bs = 1ULL << info.out_pageblock_order;
		close(fd);
	}
	return bs;
}

/* The zones' high watermarks, in kB: free memory user space never gets. */
static long watermarks_kb(void)
{
	char line[256];
	long sum = 0, v;
	FILE *f = fopen("/proc/zoneinfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " high %ld", &v) == 1)
			sum += v;
	fclose(f);
	return sum * (long)(sysconf(_SC_PAGESIZE) / 1024);
}

static __u64 owned_blocks(const struct fragalloc_stats *st)
{
	return st->out_blocks[0] + st->out_blocks[1] + st->out_blocks[2];
}

/* pageblocks the pages in use need: one partial block per class at most */
static __u64 optimum_blocks(const struct fragalloc_stats *st, __u64 bs)
{
	__u64 n = 0;

	for (int c = 0; c < FRAGALLOC_NR_MOBILITY; c++)
		n += t_div_round_up(st->out_pages_used[c], bs);
	return n;
}

/*
 * Fill about @mb MB in batches of 8..64 pages taken from @nfd fds in turn,
 * then close 2 of every 3 fds. The survivors stay open in @fds.
 */
static void fragment(int *fds, int nfd, unsigned long mb, size_t ps)
{
	unsigned long pages = mb * (1UL << 20) / ps, got = 0, i = 0;
	unsigned int seed = 12345;

	for (int k = 0; k < nfd; k++)
		fds[k] = t_open();
	while (got < pages) {
		struct fragalloc_alloc a;
		unsigned long n = 8 + (seed = seed * 1103515245 + 12345) % 57;

		if (fds[i % nfd] < 0 ||
		    t_alloc(fds[i % nfd], n, 0, 0, 0, &a))
			break;
		got += n;
		i++;
	}
	for (int k = 0; k < nfd; k++)
		if (k % 3 != 0 && fds[k] >= 0) {
			close(fds[k]);
			fds[k] = -1;
		}
}

/*
 * A child mlocks @target_kb in 4 MB steps and exits 0 when it has all of
 * it; a child killed by the OOM killer shows up as SIGKILL.
 */
static int mlock_child(long target_kb)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		long done = 0;

		while (done < target_kb) {
			size_t len = 4UL << 20;
			void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
				       -1, 0);

			if (p == MAP_FAILED || mlock(p, len))
				_exit(2);
			done += len >> 10;
		}
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

struct params {
	long long pct, delay;
};

static void params_off(struct params *p)
{
	p->pct = t_param("auto_recompact_pct", -1);
	p->delay = t_param("release_delay_ms", -1);
	t_param("auto_recompact_pct", 0);
}

static void params_back(const struct params *p)
{
	if (p->pct >= 0)
		t_param("auto_recompact_pct", p->pct);
	if (p->delay >= 0)
		t_param("release_delay_ms", p->delay);
}

/* Reads or writes /proc/sys/vm/watermark_boost_factor; -1 on error. */
static long boost_factor(long set)
{
	const char *path = "/proc/sys/vm/watermark_boost_factor";
	FILE *f = fopen(path, set < 0 ? "re" : "we");
	long v = -1;

	if (!f)
		return -1;
	if (set >= 0)
		v = fprintf(f, "%ld\n", set) > 0 ? set : -1;
	else if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	if (fclose(f))
		v = -1;
	return v;
}

/* The pressure, its verdict, and the pool's end state. */
static void pressure(struct __test_metadata *_metadata, bool pinned)
{
	long boost0 = -1;
	struct fragalloc_stats s0, s1;
	size_t ps = t_page_size();
	long long oom0, oom1;
	long free_kb, wm_kb, target;
	__u64 bs, idle_kb;
	int rc;

	ASSERT_EQ(0, t_pool_stats(&s0));
	bs = block_pages();
	idle_kb = s0.out_idle_pages * ps / 1024;
	free_kb = t_meminfo_kb("MemFree");
	wm_kb = watermarks_kb();
	ASSERT_LT(0, free_kb);
	ASSERT_LT(0, wm_kb);
	TH_LOG("before: %llu blocks for %llu pages (optimum %llu), idle %llu kB, reclaimable %llu kB, MemFree %ld kB, high watermarks %ld kB",
	       (unsigned long long)owned_blocks(&s0),
	       (unsigned long long)(s0.out_pages_used[0] + s0.out_pages_used[1] + s0.out_pages_used[2]),
	       (unsigned long long)optimum_blocks(&s0, bs),
	       (unsigned long long)idle_kb,
	       (unsigned long long)(s0.out_reclaimable_pages * ps / 1024), free_kb,
	       wm_kb);
	ASSERT_LT(32 * 1024, idle_kb) TH_LOG("the load left too little idle memory to test");
	/*
	 * More than user space could have without the pool's memory: all
	 * that is free above the watermarks, plus 30% of the pool's idle
	 * memory: only what the pool gives back can cover it. The rest is
	 * margin: the child's page tables, the other CPU's per-CPU free lists
	 * (15 MB seen), the kernel's own allocations meanwhile (more on the
	 * debug kernel). Measured with 80% and 60%: OOM-killed now and then
	 * (6.12, the debug kernel) with the pool already down to 0.6 MB idle,
	 * i.e. a test asking for memory that is not there, not a pool that
	 * hoards; that the pool gave everything back is asserted below (the
	 * optimum at the end). With pinned pages the free pages of split pageblocks go
	 * back into pageblocks labelled unmovable, so the child's movable
	 * allocations fall back into them, and each fallback boosts the
	 * watermarks (watermark_boost_factor; 53 MB of boost seen).
	 */
	target = free_kb - wm_kb + (long)(idle_kb * 3 / 10);
	/*
	 * The watermark boost is off for the pressure (see above): it answers
	 * fallbacks into the pool's old pageblocks with memory nobody may
	 * have, which would test the boost's heuristic, not whether the pool
	 * gave its memory back. Measured on 6.1 with it on and pinned pages:
	 * the pool down to 1.3 MB idle, the child OOM-killed with 104 MB free
	 * against a boosted min watermark of 98 MB.
	 */
	boost0 = boost_factor(-1);
	ASSERT_LE(0, boost0);
	ASSERT_EQ(0, boost_factor(0));
	oom0 = t_vmstat("oom_kill");
	rc = mlock_child(target);
	oom1 = t_vmstat("oom_kill");
	if (boost0 >= 0)
		boost_factor(boost0);
	ASSERT_EQ(0, t_pool_stats(&s1));
	TH_LOG("mlocked %ld kB: child %d; after: %llu blocks (optimum %llu), idle %llu kB; shrinker %llu runs gave back %llu pages, %llu pageblocks split",
	       target, rc, (unsigned long long)owned_blocks(&s1),
	       (unsigned long long)optimum_blocks(&s1, bs),
	       (unsigned long long)(s1.out_idle_pages * ps / 1024),
	       (unsigned long long)(s1.out_shrink_runs - s0.out_shrink_runs),
	       (unsigned long long)(s1.out_shrink_pages - s0.out_shrink_pages),
	       (unsigned long long)(s1.out_shrink_blocks_broken - s0.out_shrink_blocks_broken));
	EXPECT_EQ(oom0, oom1) TH_LOG("the OOM killer ran while the pool held idle memory");
	/* the shrinker's work, not the automatic mode's (it is off) */
	EXPECT_EQ(s0.out_auto_recompact_runs, s1.out_auto_recompact_runs);
	EXPECT_EQ(0, rc) TH_LOG("the mlocking child did not get its memory (137: OOM-killed)");
	EXPECT_LT(s0.out_shrink_pages, s1.out_shrink_pages);
	if (pinned) {
		EXPECT_LT(s0.out_shrink_blocks_broken, s1.out_shrink_blocks_broken);
	} else {
		EXPECT_GE(optimum_blocks(&s1, bs) + FRAGALLOC_NR_MOBILITY,
			  owned_blocks(&s1));
	}
}

TEST(pressure_no_oom)
{
	struct params p;
	int fds[NFD];

	if (geteuid())
		SKIP(return, "needs root (module parameters, mlock)");
	if (access(T_DEV_DEFAULT, R_OK | W_OK))
		SKIP(return, "no %s", T_DEV_DEFAULT);
	params_off(&p);
	fragment(fds, NFD, 300, t_page_size());
	pressure(_metadata, false);
	for (int k = 0; k < NFD; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	params_back(&p);
}

TEST(pressure_pinned)
{
	struct fragalloc_stats st;
	struct params p;

	if (!getenv("FA_PINNED_EXPECTED"))
		SKIP(return, "run by tests/kapi/pinned_test.sh with pinned pages held");
	ASSERT_EQ(0, t_pool_stats(&st));
	params_off(&p);
	pressure(_metadata, true);
	params_back(&p);
}

TEST(defaults_give_back)
{
	struct fragalloc_stats s0, s1;
	int fds[NFD], waited = 0;
	long long pct = t_param("auto_recompact_pct", -1);
	__u64 bs = block_pages();

	if (access(T_DEV_DEFAULT, R_OK | W_OK))
		SKIP(return, "no %s", T_DEV_DEFAULT);
	ASSERT_LT(0, pct) TH_LOG("the automatic mode is off by default");
	ASSERT_EQ(0, t_pool_stats(&s0));
	fragment(fds, NFD, 120, t_page_size());
	/* a few seconds idle */
	do {
		sleep(1);
		ASSERT_EQ(0, t_pool_stats(&s1));
	} while (++waited < 8 &&
		 owned_blocks(&s1) > optimum_blocks(&s1, bs) + FRAGALLOC_NR_MOBILITY);
	TH_LOG("after %d s: %llu blocks, optimum %llu; automatic mode %llu runs, %llu pages given back",
	       waited, (unsigned long long)owned_blocks(&s1),
	       (unsigned long long)optimum_blocks(&s1, bs),
	       (unsigned long long)(s1.out_auto_recompact_runs - s0.out_auto_recompact_runs),
	       (unsigned long long)(s1.out_auto_pages_released - s0.out_auto_pages_released));
	EXPECT_GE(optimum_blocks(&s1, bs) + FRAGALLOC_NR_MOBILITY, owned_blocks(&s1));
	EXPECT_LT(s0.out_auto_recompact_runs, s1.out_auto_recompact_runs);
	for (int k = 0; k < NFD; k++)
		if (fds[k] >= 0)
			close(fds[k]);
}

TEST(stats_tail)
{
	struct fragalloc_stats st;
	__u64 idle = 0;

	if (access(T_DEV_DEFAULT, R_OK | W_OK))
		SKIP(return, "no %s", T_DEV_DEFAULT);
	ASSERT_EQ(0, t_pool_stats(&st));
	for (int c = 0; c < FRAGALLOC_NR_MOBILITY; c++)
		idle += st.out_pages_free[c];
	idle += st.out_reserve_blocks * block_pages();
	EXPECT_EQ(idle, st.out_idle_pages);
	EXPECT_GE(st.out_idle_pages, st.out_reclaimable_pages);
	/* the new members sit at the tail, after the last one of version 1 */
	EXPECT_LT(offsetof(struct fragalloc_stats, out_auto_recompact_runs),
		  offsetof(struct fragalloc_stats, out_idle_pages));
	/* and the node selector after them (a later tail extension) */
	EXPECT_LT(offsetof(struct fragalloc_stats, out_auto_pages_released),
		  offsetof(struct fragalloc_stats, node));
	EXPECT_EQ(sizeof(st), offsetofend(struct fragalloc_stats, __reserved));
}

TEST_HARNESS_MAIN
