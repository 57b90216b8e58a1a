// SPDX-License-Identifier: GPL-2.0
/*
 * Limits under pressure: RLIMIT_MEMLOCK for an unprivileged caller, the
 * root-only device node, filling most of the machine's memory and giving it
 * all back, and the documented memcg imprecision (pool pages are not charged
 * to a memory cgroup, so memory.max does not stop an allocation and nothing
 * is OOM-killed).
 */
#include "common.h"

#include <sys/mount.h>
#include <sys/statfs.h>

/* source.c: the pool keeps at most this many empty pageblocks */
#define T_RESERVE_BLOCKS	2

/* the device open; its teardown checks that the fd was left empty */
T_FIXTURE(lim, T_ENDS_EMPTY);

/* ------------------------------------------------------------------ */

/*
 * Opened as root, then uid 1000 without capabilities: the pages count
 * against RLIMIT_MEMLOCK, EDQUOT past it; freeing gives the room back.
 */
TEST_F(lim, memlock_enforced_for_unprivileged)
{
	const size_t ps = self->ps;
	const int fd = self->fd;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root (to drop to uid %d)", T_TEST_UID);
	pid = t_fork_limited(64);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rlimit rl = { .rlim_max = 64 * ps };
		struct fragalloc_alloc a, b, c, x;
		int rc = 0;

		/* 32 + 32 = the limit exactly */
		if (t_alloc(fd, 32, 0, 0, 0, &a))
			_exit(11);
		if (t_alloc(fd, 32, 0, FRAGALLOC_POLICY_PLAIN, 0, &b))
			_exit(12);
		/* one page more: EDQUOT, whatever the policy or flags */
		if (t_alloc(fd, 1, 0, 0, 0, &x) != -EDQUOT)
			_exit(13);
		if (t_alloc(fd, 1, 0, FRAGALLOC_POLICY_BULK, FRAGALLOC_ALLOC_BEST_EFFORT, &x) != -EDQUOT)
			_exit(14);
		/* a range free gives its pages back to the limit */
		if (t_free_range(fd, a.out_handle, 0, 4, NULL))
			_exit(15);
		if (t_alloc(fd, 4, 0, 0, 0, &c))
			_exit(16);
		if (t_alloc(fd, 1, 0, 0, 0, &x) != -EDQUOT)
			_exit(17);
		if (t_free(fd, a.out_handle) || t_free(fd, b.out_handle) ||
		    t_free(fd, c.out_handle))
			_exit(18);
		/* a lower limit: a batch larger than it fails outright */
		rl.rlim_cur = 8 * ps;
		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(19);
		if (t_alloc(fd, 9, 0, 0, 0, &a) != -EDQUOT)
			_exit(20);
		if (t_alloc(fd, 8, 0, 0, 0, &a) || t_free(fd, a.out_handle))
			_exit(21);
		rl.rlim_cur = 0;
		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(22);
		if (t_alloc(fd, 1, 0, 0, 0, &a) != -EDQUOT)
			_exit(23);
		_exit(rc);
	}
	EXPECT_EQ(0, t_wait(pid)) TH_LOG("child failed at the step of that _exit code (%d: setup)",
					 T_CHILD_SETUP);
}

/* The node is 0600 root: uid 1000 gets EACCES; no batch was made. */
TEST(open_denied_without_access)
{
	struct stat st;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root (to drop to uid %d)", T_TEST_UID);
	if (stat(t_dev_path(), &st))
		SKIP(return, "no %s: %s", t_dev_path(), strerror(errno));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		if (t_become(T_TEST_UID))
			_exit(10);
		fd = t_open();
		if (fd >= 0)
			_exit(11);
		_exit(errno == EACCES ? 0 : 12);
	}
	EXPECT_EQ(0, t_wait(pid)) TH_LOG("11: open succeeded, 12: errno not EACCES");
}

/*
 * After a close: the reserve is at most T_RESERVE_BLOCKS per node (each
 * node's pool keeps its own, source.c), every node's checked here and their
 * sum being @total's. Return: the bound on @total's reserve, in pageblocks
 * (T_RESERVE_BLOCKS for a module without per-node pools).
 */
static __u64 lim_reserve_bound(struct __test_metadata *_metadata,
			       const struct fragalloc_info *info,
			       const struct fragalloc_stats *total)
{
	struct fragalloc_stats ns;
	__u64 sum = 0, nodes = 0;
	__u32 n;

	if (!(info->out_features & FRAGALLOC_FEAT_NODES))
		return T_RESERVE_BLOCKS;
	for (n = 0; n < info->out_nr_node_ids; n++) {
		/* EINVAL: an offline node, which has no pool */
		if (t_node_stats(n, &ns))
			continue;
		EXPECT_GE(T_RESERVE_BLOCKS, ns.out_reserve_blocks)
			TH_LOG("node %u keeps %llu empty pageblocks", n,
			       (unsigned long long)ns.out_reserve_blocks);
		sum += ns.out_reserve_blocks;
		nodes++;
	}
	EXPECT_LT(0, nodes);
	EXPECT_EQ(sum, total->out_reserve_blocks);
	return nodes * T_RESERVE_BLOCKS;
}

/*
 * Fill most of the guest's memory through fragalloc (every policy and
 * class, batches of 8 MiB, BEST_EFFORT on some) until ENOMEM or the cap
 * (MemAvailable less a margin for the test itself and the kernel), then
 * close: the pool must hold nothing, no owned pageblocks, at most its
 * reserve, and MemFree must come back.
 */
TEST_F_TIMEOUT(lim, fill_memory_and_release, 300)
{
	const __u64 chunk = 2048;
	size_t ps = t_page_size();
	long avail = t_meminfo_kb("MemAvailable"), free0 = t_meminfo_kb("MemFree"), free1, keep;
	int bucket;
	__u64 hist, reserve;
	__u64 cap, got = 0, batches = 0, enomem = 0;
	struct fragalloc_stats st;
	const int fd = self->fd;

	ASSERT_LT(0, avail);
	/* keep max(96 MiB, 15%) for everything else */
	keep = avail * 15 / 100;
	if (keep < 96 * 1024)
		keep = 96 * 1024;
	if (avail <= keep + 16 * 1024)
		SKIP(return, "only %ld kB available", avail);
	cap = (__u64)(avail - keep) * 1024 / ps;
	TH_LOG("MemAvailable %ld kB, MemFree %ld kB: filling up to %llu pages (%llu MiB)",
	       avail, free0, (unsigned long long)cap,
	       (unsigned long long)(cap * ps >> 20));
	while (got < cap) {
		struct fragalloc_alloc a;
		__u64 n = cap - got < chunk ? cap - got : chunk;
		__u32 policy = batches % 5 < 3 ? FRAGALLOC_POLICY_COMPACT : batches % 5 - 2;
		__u32 flags = batches % 3 == 0 ? FRAGALLOC_ALLOC_BEST_EFFORT : 0;
		int ret = t_alloc(fd, n, batches % FRAGALLOC_NR_MOBILITY, policy, flags, &a);

		if (ret == -ENOMEM) {
			if (++enomem > 3)
				break;
			continue;
		}
		ASSERT_EQ(0, ret) TH_LOG("alloc %llu pages after %llu: %s",
					 (unsigned long long)n, (unsigned long long)got,
					 strerror(-ret));
		got += a.out_nr_pages;
		batches++;
	}
	ASSERT_EQ(0, t_stats(fd, &st));
	t_log_pool("full", &st);
	TH_LOG("%llu pages (%llu MiB) in %llu batches, %llu ENOMEM; MemFree now %ld kB",
	       (unsigned long long)got, (unsigned long long)(got * ps >> 20),
	       (unsigned long long)batches, (unsigned long long)enomem, t_meminfo_kb("MemFree"));
	EXPECT_EQ(got, st.out_fd_pages);
	EXPECT_LT(cap / 2, got) TH_LOG("could allocate only %llu of %llu pages",
				       (unsigned long long)got, (unsigned long long)cap);
	close(self->fd);
	self->fd = -1;

	ASSERT_EQ(0, t_pool_stats(&st));
	t_log_pool("after close", &st);
	for (int c = 0; c < FRAGALLOC_NR_MOBILITY; c++) {
		EXPECT_EQ(0, st.out_blocks[c]) TH_LOG("class %d keeps %llu pageblocks", c,
						      (unsigned long long)st.out_blocks[c]);
		EXPECT_EQ(0, st.out_pages_used[c]);
		EXPECT_EQ(0, st.out_pages_free[c]);
		EXPECT_EQ(0, st.out_loose_pages[c]);
	}
	EXPECT_EQ(0, st.out_other_pages);
	reserve = lim_reserve_bound(_metadata, &self->info, &st);
	EXPECT_GE(reserve, st.out_reserve_blocks);
	/* the histogram's empty bucket also counts the reserve (pool.c) */
	hist = 0;
	for (bucket = 0; bucket < FRAGALLOC_FILL_BUCKETS; bucket++) {
		if (st.out_fill_hist[bucket])
			fprintf(stderr, "# fill_hist[%d] = %llu with %llu reserve blocks\n", bucket,
				(unsigned long long)st.out_fill_hist[bucket],
				(unsigned long long)st.out_reserve_blocks);
		hist += st.out_fill_hist[bucket];
	}
	EXPECT_EQ(st.out_reserve_blocks, hist);
	EXPECT_EQ(st.out_reserve_blocks, st.out_fill_hist[0]);
	/*
	 * The memory is back: the reserve aside, and a margin for per-cpu page
	 * lists, slab and the pool's metadata (a lost pageblock would not
	 * show here, the stats above catch that; this catches pages that
	 * never went back to the buddy allocator at all).
	 */
	free1 = t_meminfo_kb("MemFree");
	TH_LOG("MemFree after close %ld kB (before %ld kB)", free1, free0);
	EXPECT_GE(free1, free0 - (long)(reserve * (2 << 10)) - 64 * 1024)
		TH_LOG("MemFree %ld kB after close, %ld kB before", free1, free0);
}

/* ------------------------------------------------------------------ */
/* memcg: pool pages are not charged (docs/ABI.md, "Lifetimes and security") */

#define CG_ROOT	"/sys/fs/cgroup"

static int cg_write(const char *dir, const char *file, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return t_write_file(path, val);
}

static long long cg_read_key(const char *dir, const char *file, const char *key)
{
	char path[256], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			v = strtoll(line, NULL, 10);
			break;
		}
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ' ') {
			v = strtoll(line + strlen(key) + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

TEST_F_TIMEOUT(lim, memcg_not_charged, 120)
{
	const long long max = 16LL << 20;	/* memory.max: 16 MiB */
	const __u64 pages = (64ULL << 20) / t_page_size();	/* 64 MiB through fragalloc */
	char dir[128], buf[32];
	struct statfs sfs;
	bool mounted = false;
	long long oom0, oomk0, cur;
	int *res, fd;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root");
	if (statfs(CG_ROOT, &sfs) || sfs.f_type != 0x63677270 /* CGROUP2_SUPER_MAGIC */) {
		mkdir(CG_ROOT, 0755);
		if (mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL))
			SKIP(return, "cannot mount cgroup2 at %s: %s", CG_ROOT, strerror(errno));
		mounted = true;
	}
	if (cg_write(CG_ROOT, "cgroup.subtree_control", "+memory")) {
		if (mounted)
			umount(CG_ROOT);
		SKIP(return, "no memory controller (CONFIG_MEMCG)");
	}
	snprintf(dir, sizeof(dir), CG_ROOT "/fa_limits_test.%d", (int)getpid());
	ASSERT_EQ(0, mkdir(dir, 0755)) TH_LOG("mkdir %s: %s", dir, strerror(errno));
	snprintf(buf, sizeof(buf), "%lld", max);
	ASSERT_EQ(0, cg_write(dir, "memory.max", buf));
	oom0 = cg_read_key(dir, "memory.events", "oom");
	oomk0 = cg_read_key(dir, "memory.events", "oom_kill");

	res = t_shared_alloc(4096);
	ASSERT_NE(NULL, res);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct fragalloc_alloc a;
		char me[32];
		char *p;

		snprintf(me, sizeof(me), "%d", (int)getpid());
		if (cg_write(dir, "cgroup.procs", me))
			_exit(10);
		fd = t_open();
		if (fd < 0)
			_exit(11);
		/* four times memory.max, in one batch: not charged, succeeds */
		res[0] = -t_alloc(fd, pages, FRAGALLOC_MOVABLE, FRAGALLOC_POLICY_COMPACT, 0, &a);
		if (res[0])
			_exit(12);
		res[1] = (int)(cg_read_key(dir, "memory.current", NULL) >> 10);
		/* mapping and touching them charges nothing either (VM_PFNMAP) */
		p = t_map(fd, a.out_mmap_offset, 256);
		if (p == MAP_FAILED)
			_exit(13);
		memset(p, 0x5a, 256 * t_page_size());
		res[2] = (int)(cg_read_key(dir, "memory.current", NULL) >> 10);
		munmap(p, 256 * t_page_size());
		if (t_free(fd, a.out_handle))
			_exit(14);
		close(fd);
		_exit(0);
	}
	EXPECT_EQ(0, t_wait(pid)) TH_LOG("child: 10 cgroup.procs, 11 open, 12 alloc (%s), 13 mmap, 14 free; 137 = killed",
					  strerror(res[0]));
	TH_LOG("memory.max %lld kB; memory.current after the %llu-page alloc %d kB, after touching 1 MiB of it %d kB",
	       max >> 10, (unsigned long long)pages, res[1], res[2]);
	EXPECT_EQ(0, res[0]);
	EXPECT_LT(0, res[1]);
	EXPECT_GT(max >> 10, res[1]) TH_LOG("the pool pages were charged to the cgroup?");
	EXPECT_GT(max >> 10, res[2]);
	EXPECT_EQ(oom0, cg_read_key(dir, "memory.events", "oom"));
	EXPECT_EQ(oomk0, cg_read_key(dir, "memory.events", "oom_kill"));
	cur = cg_read_key(dir, "memory.current", NULL);
	TH_LOG("memory.current after the child exited: %lld", cur);
	EXPECT_EQ(0, rmdir(dir)) TH_LOG("rmdir %s: %s", dir, strerror(errno));
	if (mounted)
		umount(CG_ROOT);
}

TEST_HARNESS_MAIN
