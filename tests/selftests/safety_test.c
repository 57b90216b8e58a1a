// SPDX-License-Identifier: GPL-2.0
/*
 * Memory safety (issue 11): each test reproduces one finding of the review
 * of driver/ and fails (a crash, a KASAN report or a wrong answer) on the
 * code before its fix. docs/ROBUSTNESS.md lists finding, test and fix.
 *
 *   pool_recompact_races_free  pool-wide RECOMPACT in two threads while two
 *                              others allocate, punch and free batches on
 *                              their own fds and a fifth churns tmpfs, with
 *                              release_delay_ms=0 reserve_blocks=0: the
 *                              original oops (a freed page's private taken
 *                              for an owner); every kept byte is checked
 *   memlock_per_user           children on an inherited fd keep allocating:
 *                              the user never holds more than its limit
 *   max_batch_pages_bounded    the parameter refuses what kvmalloc() warns on
 *   ioctl_numbers              every command number outside the table, or
 *                              with size/direction bits, is ENOTTY
 *   free_under_fail_nth        FREE on an fd with 40 batches under fail-nth:
 *                              a freed batch's offset is gone (ENXIO), its
 *                              old mapping SIGBUS (debug kernel only)
 *   param_write_races_nothing  reserve_blocks written in a loop while
 *                              batches come and go (rmmod racing a write is
 *                              tests/vm/unload_test.sh)
 *
 * FA_RACE_SECONDS sets the race's length (default 6).
 */
#include "common.h"

#include <grp.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* ---------------------------------------------------------------- race */

struct race {
	volatile int stop;
	unsigned long rounds[2];
	unsigned long recompacts, moved;
	unsigned long errors, mismatches;
	char why[160];
};

static void race_fail(struct race *r, const char *what, int err)
{
	if (!__atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED))
		snprintf(r->why, sizeof(r->why), "%s: %s", what, strerror(-err));
}

static void *race_recompact(void *arg)
{
	struct race *r = arg;
	int fd = t_open();

	if (fd < 0) {
		race_fail(r, "open (recompact)", -errno);
		return NULL;
	}
	while (!r->stop) {
		struct fragalloc_recompact rc;
		int ret = t_recompact(fd, FRAGALLOC_SCOPE_POOL, 0, 0, 0, &rc);

		if (ret && ret != -EINTR) {
			race_fail(r, "pool RECOMPACT", ret);
			break;
		}
		__atomic_fetch_add(&r->recompacts, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&r->moved, rc.out_pages_moved,
				   __ATOMIC_RELAXED);
	}
	close(fd);
	return NULL;
}

#define RACE_BATCHES	64
#define RACE_PAGES	512

struct worker {
	struct race *r;
	int id;
};

/* 64 batches of 512 pages, half of each punched, the rest checked, freed */
static void *race_alloc(void *arg)
{
	struct worker *w = arg;
	struct race *r = w->r;
	size_t ps = t_page_size();
	int fd = t_open();

	if (fd < 0) {
		race_fail(r, "open (alloc)", -errno);
		return NULL;
	}
	while (!r->stop) {
		struct fragalloc_alloc a[RACE_BATCHES];
		unsigned char *map[RACE_BATCHES];
		int i, n = 0, ret;
		unsigned long p;

		for (i = 0; i < RACE_BATCHES && !r->stop; i++) {
			ret = t_alloc(fd, RACE_PAGES, 0, 0, 0, &a[i]);
			if (ret == -ENOMEM)
				break;
			if (ret) {
				race_fail(r, "ALLOC", ret);
				break;
			}
			map[i] = t_map(fd, a[i].out_mmap_offset, RACE_PAGES);
			if (map[i] == MAP_FAILED) {
				race_fail(r, "mmap", -errno);
				t_free(fd, a[i].out_handle);
				break;
			}
			for (p = 0; p < RACE_PAGES; p++)
				t_fill_page(map[i] + p * ps,
					     t_page_seed(w->id, i, p));
			n++;
			/* punch the second half of every batch */
			ret = t_free_range(fd, a[i].out_handle, RACE_PAGES / 2,
					    RACE_PAGES / 2, NULL);
			if (ret)
				race_fail(r, "range FREE", ret);
		}
		for (i = 0; i < n; i++) {
			for (p = 0; p < RACE_PAGES / 2; p++)
				if (t_check_page(map[i] + p * ps,
						  t_page_seed(w->id, i, p)) >= 0)
					__atomic_fetch_add(&r->mismatches, 1,
							   __ATOMIC_RELAXED);
			munmap(map[i], RACE_PAGES * ps);
			ret = t_free(fd, a[i].out_handle);
			if (ret)
				race_fail(r, "FREE", ret);
		}
		r->rounds[w->id]++;
	}
	close(fd);
	return NULL;
}

/* small tmpfs files: their pages take what the pool just gave back */
static void *race_tmpfs(void *arg)
{
	struct race *r = arg;
	char path[64], buf[4096];
	unsigned long i = 0;

	memset(buf, 0x5a, sizeof(buf));
	while (!r->stop) {
		int fd;

		snprintf(path, sizeof(path), "/tmp/fa-race-%lu", i++ % 64);
		fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
		if (fd >= 0) {
			for (int k = 0; k < 4; k++)
				if (write(fd, buf, sizeof(buf)) < 0)
					break;
			close(fd);
		}
		if (i % 3 == 0)
			unlink(path);
	}
	for (i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "/tmp/fa-race-%lu", i);
		unlink(path);
	}
	return NULL;
}

TEST(pool_recompact_races_free)
{
	long long delay0, reserve0;
	struct race r = { 0 };
	struct worker w[2];
	pthread_t t[5];
	const char *env = getenv("FA_RACE_SECONDS");
	int secs = env ? atoi(env) : 6, i, fd;

	if (geteuid())
		SKIP(return, "needs root (pool-scope RECOMPACT, parameters)");
	fd = t_open();
	if (fd < 0)
		SKIP(return, "cannot open %s: %s", t_dev_path(), strerror(errno));
	close(fd);
	/* the widest window: freed pages go straight back to the buddy */
	delay0 = t_param("release_delay_ms", -1);
	reserve0 = t_param("reserve_blocks", -1);
	ASSERT_EQ(0, t_param("release_delay_ms", 0));
	ASSERT_EQ(0, t_param("reserve_blocks", 0));

	ASSERT_EQ(0, pthread_create(&t[0], NULL, race_recompact, &r));
	ASSERT_EQ(0, pthread_create(&t[1], NULL, race_recompact, &r));
	for (i = 0; i < 2; i++) {
		w[i].r = &r;
		w[i].id = i;
		ASSERT_EQ(0, pthread_create(&t[2 + i], NULL, race_alloc, &w[i]));
	}
	ASSERT_EQ(0, pthread_create(&t[4], NULL, race_tmpfs, &r));
	sleep(secs);
	r.stop = 1;
	for (i = 0; i < 5; i++)
		pthread_join(t[i], NULL);

	t_param("release_delay_ms", delay0);
	t_param("reserve_blocks", reserve0);
	TH_LOG("%d s: %lu + %lu alloc rounds, %lu pool recompactions moved %lu pages",
	       secs, r.rounds[0], r.rounds[1], r.recompacts, r.moved);
	EXPECT_EQ(0, r.errors) TH_LOG("first error: %s", r.why);
	EXPECT_EQ(0, r.mismatches) TH_LOG("pages whose bytes changed");
	/* the race must have happened: both sides ran, pages moved */
	EXPECT_LT(0, r.rounds[0] + r.rounds[1]);
	EXPECT_LT(0, r.recompacts);
	EXPECT_LT(0, r.moved) TH_LOG("no page moved: the race was not exercised");
}

/* ------------------------------------------------------------ memlock */

/*
 * uid 1000 with a 64-page limit; its children, on the fd they inherited,
 * each allocate 64 pages and exit without freeing them. The charge stays
 * with the user, so only the first child gets its pages, and the fd (which
 * holds every batch) never holds more than 64.
 */
TEST(memlock_per_user)
{
	struct fragalloc_stats st;
	int fd, status, k;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root (to drop to uid %d)", T_TEST_UID);
	fd = t_open();
	if (fd < 0)
		SKIP(return, "cannot open %s: %s", t_dev_path(), strerror(errno));
	pid = t_fork_limited(64);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int granted = 0;

		for (k = 0; k < 6; k++) {
			pid_t c = fork();

			if (c < 0)
				_exit(101);
			if (c == 0) {
				struct fragalloc_alloc a;
				int ret = t_alloc(fd, 64, 0, 0, 0, &a);

				_exit(ret == 0 ? 0 : ret == -EDQUOT ? 1 : 2);
			}
			if (waitpid(c, &status, 0) != c || !WIFEXITED(status))
				_exit(102);
			if (WEXITSTATUS(status) == 2)
				_exit(103);
			granted += WEXITSTATUS(status) == 0;
		}
		/* one more in this process: still over the limit */
		{
			struct fragalloc_alloc a;

			if (t_alloc(fd, 1, 0, 0, 0, &a) != -EDQUOT)
				_exit(104);
		}
		_exit(granted);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(1, WEXITSTATUS(status))
		TH_LOG("children granted 64 pages each (%d+: setup step failed)", T_CHILD_SETUP);
	ASSERT_EQ(0, t_stats(fd, &st));
	EXPECT_GE(64, st.out_fd_pages) TH_LOG("fd holds %llu pages for a 64-page user",
					      (unsigned long long)st.out_fd_pages);
	close(fd);

	/* closing the fd gave the user its room back */
	fd = t_open();
	ASSERT_LE(0, fd);
	pid = t_fork_limited(64);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct fragalloc_alloc a;

		_exit(t_alloc(fd, 64, 0, 0, 0, &a) ? 1 : 0);
	}
	EXPECT_EQ(0, t_wait(pid)) TH_LOG("the closed fd's charge was not given back");
	close(fd);
}

/* ---------------------------------------------------------- parameters */

TEST(max_batch_pages_bounded)
{
	long long v0 = t_param("max_batch_pages", -1);
	/* INT_MAX / sizeof(struct page *) */
	long long limit = 0x7fffffffLL / 8;

	if (v0 < 0)
		SKIP(return, "no /sys/module/fragalloc/parameters (module not loaded)");
	if (geteuid())
		SKIP(return, "needs root to write parameters");
	EXPECT_EQ(-1, t_param("max_batch_pages", 4294967295LL))
		TH_LOG("U32_MAX accepted: a page array of 32 GiB would WARN in kvmalloc");
	EXPECT_EQ(-1, t_param("max_batch_pages", limit + 1));
	EXPECT_EQ(limit, t_param("max_batch_pages", limit));
	EXPECT_EQ(-1, t_param("max_batch_pages", 0));
	EXPECT_EQ(v0, t_param("max_batch_pages", v0));
}

/* reserve_blocks written over and over while batches come and go */
TEST(param_write_races_nothing)
{
	long long r0 = t_param("reserve_blocks", -1);
	struct fragalloc_alloc a;
	int fd, i;

	if (r0 < 0 || geteuid())
		SKIP(return, "needs root and the module's parameters");
	fd = t_open();
	ASSERT_LE(0, fd);
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(i % 4, t_param("reserve_blocks", i % 4));
		ASSERT_EQ(0, t_alloc(fd, 300, 0, 0, 0, &a));
		ASSERT_EQ(0, t_free(fd, a.out_handle));
	}
	EXPECT_EQ(r0, t_param("reserve_blocks", r0));
	close(fd);
}

/* --------------------------------------------------------------- ioctl */

TEST(ioctl_numbers)
{
	struct fragalloc_info info = { .size = sizeof(info) };
	static const unsigned long bad[] = {
		_IO(FRAGALLOC_TYPE, FRAGALLOC_CMD_BASE - 1),
		_IO(FRAGALLOC_TYPE, FRAGALLOC_CMD_RECOMPACT + 1),
		_IO(FRAGALLOC_TYPE, FRAGALLOC_CMD_BASE + 0x40),
		_IO(FRAGALLOC_TYPE, 0),
		_IO(FRAGALLOC_TYPE, 0xff),
		_IO(FRAGALLOC_TYPE + 1, FRAGALLOC_CMD_INFO),
		_IOR(FRAGALLOC_TYPE, FRAGALLOC_CMD_INFO, struct fragalloc_info),
		_IOW(FRAGALLOC_TYPE, FRAGALLOC_CMD_ALLOC, __u32),
		_IOWR(FRAGALLOC_TYPE, FRAGALLOC_CMD_FREE, __u64),
	};
	unsigned int i;
	int fd = t_open();

	if (fd < 0)
		SKIP(return, "cannot open %s: %s", t_dev_path(), strerror(errno));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(fd, bad[i], &info));
		EXPECT_EQ(ENOTTY, errno) TH_LOG("cmd %#lx", bad[i]);
	}
	EXPECT_EQ(0, t_info(fd, &info));
	close(fd);
}

/* ----------------------------------------------------------- fail-nth */

#define DBG	"/sys/kernel/debug"

static const char *const knobs[][2] = {
	{ DBG "/failslab/ignore-gfp-wait", "N" },
	{ DBG "/failslab/verbose", "0" },
	{ DBG "/fail_page_alloc/ignore-gfp-wait", "N" },
	{ DBG "/fail_page_alloc/min-order", "0" },
	{ DBG "/fail_page_alloc/verbose", "0" },
};

static int sigbus_at(volatile unsigned char *p)
{
	return t_probe(p, false, 0, NULL) == SIGBUS;
}

/*
 * FREE used to erase the batch's mmap range from a maple tree and ignore
 * the erase's ENOMEM: the freed batch stayed reachable from mmap and the
 * fault handler. With 40 batches on the fd, every fault point of FREE is
 * made to fail in turn; whatever FREE returns, a freed batch is gone and a
 * kept one is whole. (FREE now allocates nothing at all: the offsets are an
 * rbtree; the test keeps it that way.)
 */
TEST(free_under_fail_nth)
{
	char nth[64], saved[ARRAY_SIZE(knobs)][16], buf[16] = { 0 };
	size_t ps = t_page_size();
	struct fragalloc_alloc a[40];
	unsigned char *m[40];
	unsigned int i, k, fired = 0;
	int fd;

	snprintf(nth, sizeof(nth), "/proc/self/task/%d/fail-nth", (int)gettid());
	if (access(nth, W_OK))
		SKIP(return, "no fail-nth: kernel without CONFIG_FAULT_INJECTION");
	for (k = 0; k < ARRAY_SIZE(knobs); k++) {
		if (t_read_file(knobs[k][0], saved[k], sizeof(saved[k])))
			SKIP(return, "no %s", knobs[k][0]);
		ASSERT_EQ(0, t_write_file(knobs[k][0], knobs[k][1]));
	}
	fd = t_open();
	ASSERT_LE(0, fd);
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(0, t_alloc(fd, 4, 0, 0, 0, &a[i]));
		m[i] = t_map(fd, a[i].out_mmap_offset, 4);
		ASSERT_NE(MAP_FAILED, m[i]);
		memset(m[i], 0x40 + i, 4 * ps);
	}
	/*
	 * Free batches 0, 2, 4, ... (then the tree must merge ranges around
	 * the holes): each FREE is tried with fault point 1, 2, ... armed
	 * until it runs without the armed fault firing.
	 */
	for (i = 0; i < 40; i += 2) {
		unsigned int n;
		void *again;
		int ret = -1;

		for (n = 1; n < 64 && ret; n++) {
			char arm[16];
			ssize_t len;
			int nfd;

			/*
			 * One fd, opened before arming: the open itself would
			 * be a fault point. Written, read back after the call
			 * (0: the armed fault fired), then disarmed.
			 */
			nfd = open(nth, O_RDWR | O_CLOEXEC);
			ASSERT_LE(0, nfd);
			len = snprintf(arm, sizeof(arm), "%u", n);
			ASSERT_EQ(len, write(nfd, arm, len));
			ret = t_free(fd, a[i].out_handle);
			len = read(nfd, buf, sizeof(buf) - 1);
			ASSERT_EQ(1, write(nfd, "0", 1));
			close(nfd);
			ASSERT_LT(0, len);
			fired += buf[0] == '0';
			if (ret) {
				/* failed: nothing was freed */
				EXPECT_EQ(-ENOMEM, ret);
				EXPECT_TRUE(t_page_is(m[i], 0x40 + i));
			}
		}
		EXPECT_EQ(0, ret);
		again = mmap(NULL, 4 * ps, PROT_READ, MAP_SHARED, fd,
			     a[i].out_mmap_offset);
		EXPECT_EQ(MAP_FAILED, again)
			TH_LOG("batch %u: freed, but its offset still maps", i);
		EXPECT_EQ(ENXIO, errno);
		if (again != MAP_FAILED)
			munmap(again, 4 * ps);
		EXPECT_TRUE(sigbus_at(m[i])) TH_LOG("batch %u: old mapping still reads", i);
	}
	for (i = 1; i < 40; i += 2) {
		EXPECT_TRUE(t_page_is(m[i], 0x40 + i));
		EXPECT_TRUE(t_page_is(m[i] + 3 * ps, 0x40 + i));
		EXPECT_EQ(0, t_free(fd, a[i].out_handle));
	}
	for (i = 0; i < 40; i++)
		munmap(m[i], 4 * ps);
	close(fd);
	for (k = 0; k < ARRAY_SIZE(knobs); k++)
		t_write_file(knobs[k][0], saved[k]);
	TH_LOG("%u injected faults fired inside FREE", fired);
}

TEST_HARNESS_MAIN
