// SPDX-License-Identifier: GPL-2.0
/*
 * The movable policy (issue 13): pages the kernel's own compaction moves.
 *
 *   policy_errno          INFO's FRAGALLOC_FEAT_MOVABLE is there on 6.1 to
 *                         6.16 and says whether ALLOC of the policy works; without it ALLOC is EOPNOTSUPP
 *                         (after the usual checks: STRICT is EINVAL either
 *                         way); BEST_EFFORT is accepted
 *   zeroed_and_holes      pages read zero, a punched page raises SIGBUS, the
 *                         pages count in out_other_pages
 *   memlock_limit         the locked-memory charge: EDQUOT beyond
 *                         RLIMIT_MEMLOCK, the pages within it
 *   compact_memory_moves  a mapped batch of all free memory but 96 MiB with
 *                         every other page punched, written by threads all along: after
 *                         compact_memory the PFNs (BATCH_INFO) changed,
 *                         pgmigrate_success rose, every page holds what
 *                         its writer wrote last, holes still SIGBUS
 *   hugetlb_moves         the same with a hugetlb request (nr_hugepages) as
 *                         the trigger; also logs the huge pages obtained
 *                         after the same fragmentation by compact batches
 *   races                 FREE, range FREE, close, munmap and fork of mapped
 *                         batches while other threads run compaction: no
 *                         crash, new batches read zero, nothing left over
 */
#include "common.h"

#include <pthread.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#define T_POL		FRAGALLOC_POLICY_MOVABLE
#define NWRITERS	4

T_FIXTURE(movable, T_ENDS_EMPTY);

static bool have_movable(const struct fragalloc_info *info)
{
	return info->out_features & FRAGALLOC_FEAT_MOVABLE;
}

#define NEED_MOVABLE()							\
	do {								\
		if (!have_movable(&self->info))				\
			SKIP(return, "no FRAGALLOC_FEAT_MOVABLE");	\
	} while (0)

#define NEED_ROOT()							\
	do {								\
		if (geteuid())						\
			SKIP(return, "needs root (compaction, PFNs)");	\
	} while (0)

/* /proc/vmstat's @key, or -1. */
static long long vmstat(const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	long long v = -1;
	FILE *f = fopen("/proc/vmstat", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ' ') {
			v = strtoll(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static int compact_memory(void)
{
	return t_write_file("/proc/sys/vm/compact_memory", "1");
}

/*
 * Whether this kernel should have the policy: 6.1 to 6.16 with compaction,
 * unless the module was built with FA_NO_MOVABLE=1 (FA_EXPECT_NO_MOVABLE
 * set by whoever loaded it).
 */
static bool kernel_has_movable_ops(void)
{
	struct utsname u;
	unsigned int major, minor;

	if (getenv("FA_EXPECT_NO_MOVABLE") || uname(&u) ||
	    sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major == 6 && minor >= 1 && minor <= 16 &&
	       !access("/proc/sys/vm/compact_memory", F_OK);
}

TEST_F(movable, policy_errno)
{
	struct fragalloc_alloc a;
	int ret;

	EXPECT_EQ(kernel_has_movable_ops(), have_movable(&self->info));

	/* STRICT means whole pool pageblocks: EINVAL, supported or not */
	EXPECT_EQ(-EINVAL, t_alloc(self->fd, 1, FRAGALLOC_UNMOVABLE, T_POL,
				   FRAGALLOC_ALLOC_STRICT, NULL));
	ret = t_alloc(self->fd, 8, FRAGALLOC_UNMOVABLE, T_POL,
		      FRAGALLOC_ALLOC_BEST_EFFORT, &a);
	if (!have_movable(&self->info)) {
		EXPECT_EQ(-EOPNOTSUPP, ret);
		EXPECT_EQ(-EOPNOTSUPP, t_alloc(self->fd, 1, FRAGALLOC_MOVABLE,
					       T_POL, 0, NULL));
		return;
	}
	ASSERT_EQ(0, ret);
	EXPECT_EQ(8, a.out_nr_pages);
	EXPECT_EQ(0, t_free(self->fd, a.out_handle));
}

TEST_F(movable, zeroed_and_holes)
{
	struct fragalloc_stats st0, st1;
	struct fragalloc_batch_info bi;
	struct fragalloc_alloc a;
	const size_t n = 64;
	char *p;

	NEED_MOVABLE();
	ASSERT_EQ(0, t_pool_stats(&st0));
	ASSERT_EQ(0, t_alloc(self->fd, n, FRAGALLOC_UNMOVABLE, T_POL, 0, &a));
	ASSERT_EQ(0, t_pool_stats(&st1));
	/* other fds' batches may come and go; ours are there at least */
	EXPECT_GE(st1.out_other_pages, n);
	ASSERT_EQ(0, t_batch_info(self->fd, a.out_handle, NULL, 0, &bi));
	EXPECT_EQ(T_POL, bi.out_policy);
	p = t_map(self->fd, a.out_mmap_offset, n);
	ASSERT_NE(MAP_FAILED, p);
	for (size_t i = 0; i < n; i++) {
		EXPECT_TRUE(t_page_is(p + i * self->ps, 0));
		memset(p + i * self->ps, 0xa5, self->ps);
	}
	ASSERT_EQ(0, t_free_range(self->fd, a.out_handle, 3, 2, NULL));
	EXPECT_EQ(SIGBUS, t_probe(p + 3 * self->ps, false, 0, NULL));
	EXPECT_EQ(SIGBUS, t_probe(p + 4 * self->ps, true, 1, NULL));
	EXPECT_TRUE(t_page_is(p + 5 * self->ps, 0xa5));
	munmap(p, n * self->ps);
	EXPECT_EQ(0, t_free(self->fd, a.out_handle));

	/* freed pages come back zeroed */
	ASSERT_EQ(0, t_alloc(self->fd, n, FRAGALLOC_UNMOVABLE, T_POL, 0, &a));
	p = t_map(self->fd, a.out_mmap_offset, n);
	ASSERT_NE(MAP_FAILED, p);
	for (size_t i = 0; i < n; i++)
		EXPECT_TRUE(t_page_is(p + i * self->ps, 0));
	munmap(p, n * self->ps);
	EXPECT_EQ(0, t_free(self->fd, a.out_handle));
}

TEST_F(movable, memlock_limit)
{
	int fd = self->fd, ret;
	pid_t pid;

	NEED_MOVABLE();
	/* the child allocates on the parent's fd, as an unprivileged user */
	pid = t_fork_limited(32);
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct fragalloc_alloc a;

		if (t_alloc(fd, 33, FRAGALLOC_UNMOVABLE, T_POL, 0, NULL) !=
		    -EDQUOT)
			_exit(1);
		if (t_alloc(fd, 32, FRAGALLOC_UNMOVABLE, T_POL, 0, &a))
			_exit(2);
		if (t_alloc(fd, 1, FRAGALLOC_UNMOVABLE, T_POL, 0, NULL) !=
		    -EDQUOT)
			_exit(3);
		if (t_free(fd, a.out_handle) ||
		    t_alloc(fd, 1, FRAGALLOC_UNMOVABLE, T_POL, 0, &a) ||
		    t_free(fd, a.out_handle))
			_exit(4);
		_exit(0);
	}
	ret = t_wait(pid);
	if (ret == T_CHILD_SETUP)
		SKIP(return, "cannot become uid %d", T_TEST_UID);
	EXPECT_EQ(0, ret);
}

/* ---------------------------------------------------------------------- */
/* Migration by the kernel, under writers                                  */

/* free memory the fragmenting batch leaves (kB) */
#define MARGIN_KB	(96 * 1024)

/* pages the writers keep rewriting (the first even pages of the batch) */
#define NR_WRITTEN	8192

struct writer {
	char *base;		/* the mapping */
	size_t ps;
	size_t first, n;	/* its pages: first, first + 2, ... (n of them) */
	__u64 *last;		/* per page: the seed written last */
	volatile bool *stop;
	volatile unsigned long rounds;
};

static void *writer_loop(void *arg)
{
	struct writer *w = arg;

	while (!*w->stop) {
		for (size_t k = 0; k < w->n; k++) {
			size_t i = w->first + 2 * k;
			__u64 seed = t_page_seed(w->rounds + 1, 77, i);

			t_fill_page(w->base + i * w->ps, seed);
			w->last[k] = seed;
		}
		w->rounds++;
	}
	return NULL;
}

/* /proc/vmstat figures printed with the results, to explain a failure */
static const char *const diag_keys[] = {
	"pgmigrate_fail", "compact_migrate_scanned", "compact_free_scanned",
	"compact_isolated", "compact_stall", "compact_fail",
};

#define NR_DIAG	ARRAY_SIZE(diag_keys)

struct mig_ctx {
	long long diag0[NR_DIAG];
	struct fragalloc_alloc a;
	size_t nr;		/* pages of the batch, holes included */
	char *p;
	__u64 *pfns0, *pfns1;
	pthread_t th[NWRITERS];
	struct writer w[NWRITERS];
	volatile bool stop;
	long long migrated0;
};

/*
 * Free memory but a margin as one batch of @policy with every odd page
 * punched: pageblocks all over memory half full, free memory in order-0
 * holes, so compaction and huge pages need to move the batch's pages.
 * (Compaction leaves whole free pageblocks alone: with many of them left,
 * its scanners meet without touching the batch, as 6.1's do.) Mapped; with
 * @writers, NR_WRITTEN even pages rewritten by NWRITERS threads.
 */
static void frag_setup(struct __test_metadata *_metadata, int fd, size_t ps,
		       __u32 policy, bool writers, struct mig_ctx *c)
{
	size_t per = NR_WRITTEN / NWRITERS;

	memset(c, 0, sizeof(*c));
	c->nr = (size_t)(t_meminfo_kb("MemFree") - MARGIN_KB) * 1024 / ps;
	ASSERT_GE(c->nr, 2 * NR_WRITTEN);
	ASSERT_EQ(0, t_alloc(fd, c->nr, FRAGALLOC_UNMOVABLE, policy, 0, &c->a));
	c->p = t_map(fd, c->a.out_mmap_offset, c->nr);
	ASSERT_NE(MAP_FAILED, c->p);
	for (size_t i = 1; i < c->nr; i += 2)
		ASSERT_EQ(0, t_free_range(fd, c->a.out_handle, i, 1, NULL));
	c->pfns0 = calloc(c->nr, sizeof(__u64));
	c->pfns1 = calloc(c->nr, sizeof(__u64));
	ASSERT_TRUE(c->pfns0 && c->pfns1);
	for (int t = 0; writers && t < NWRITERS; t++) {
		struct writer *w = &c->w[t];

		*w = (struct writer){ .base = c->p, .ps = ps,
				      .first = 2 * t * per, .n = per,
				      .stop = &c->stop };
		w->last = calloc(per, sizeof(__u64));
		ASSERT_NE(NULL, w->last);
		ASSERT_EQ(0, pthread_create(&c->th[t], NULL, writer_loop, w));
	}
	/* every page written once before the PFNs are taken */
	for (int t = 0; writers && t < NWRITERS; t++)
		while (c->w[t].rounds < 1)
			usleep(1000);
	ASSERT_EQ(0, t_batch_info(fd, c->a.out_handle, c->pfns0, c->nr,
				  &(struct fragalloc_batch_info){ 0 }));
	c->migrated0 = vmstat("pgmigrate_success");
	for (int k = 0; k < NR_DIAG; k++)
		c->diag0[k] = vmstat(diag_keys[k]);
}

static void frag_teardown(struct __test_metadata *_metadata, int fd,
			  size_t ps, struct mig_ctx *c)
{
	munmap(c->p, c->nr * ps);
	EXPECT_EQ(0, t_free(fd, c->a.out_handle));
	free(c->pfns0);
	free(c->pfns1);
}

/* Stop the writers, check what the kernel moved and what the pages hold. */
static void mig_check(struct __test_metadata *_metadata, int fd, size_t ps,
		      struct mig_ctx *c, const char *what)
{
	size_t moved = 0, bad = 0, dirty = 0;
	long long migrated;

	usleep(100000);
	c->stop = true;
	for (int t = 0; t < NWRITERS; t++)
		pthread_join(c->th[t], NULL);
	migrated = vmstat("pgmigrate_success");
	ASSERT_EQ(0, t_batch_info(fd, c->a.out_handle, c->pfns1, c->nr,
				  &(struct fragalloc_batch_info){ 0 }));
	for (size_t i = 0; i < c->nr; i += 2)
		moved += c->pfns0[i] != c->pfns1[i];
	for (int t = 0; t < NWRITERS; t++) {
		struct writer *w = &c->w[t];

		for (size_t k = 0; k < w->n; k++)
			bad += t_check_page(c->p + (w->first + 2 * k) * ps,
					    w->last[k]) >= 0;
		free(w->last);
	}
	/* the pages nobody wrote still read zero */
	for (size_t i = 2 * NR_WRITTEN; i < c->nr; i += 2)
		dirty += !t_page_is(c->p + i * ps, 0);
	fprintf(stderr, "# %s: %zu of %zu pages moved, pgmigrate_success +%lld, writer rounds %lu\n",
		what, moved, c->nr / 2, migrated - c->migrated0,
		c->w[0].rounds);
	for (int k = 0; k < NR_DIAG; k++)
		fprintf(stderr, "#   %s +%lld\n", diag_keys[k],
			vmstat(diag_keys[k]) - c->diag0[k]);
	EXPECT_GT(moved, 0);
	EXPECT_GE(migrated - c->migrated0, (long long)moved);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, dirty);
	for (size_t i = 1; i < c->nr; i += 2) {
		EXPECT_EQ(FRAGALLOC_PFN_HOLE, c->pfns1[i]);
		if (i < 64)
			EXPECT_EQ(SIGBUS, t_probe(c->p + i * ps, false, 0, NULL));
	}
	frag_teardown(_metadata, fd, ps, c);
}

TEST_F(movable, compact_memory_moves)
{
	struct mig_ctx c;

	NEED_MOVABLE();
	NEED_ROOT();
	frag_setup(_metadata, self->fd, self->ps, T_POL, true, &c);
	for (int k = 0; k < 3; k++) {
		ASSERT_EQ(0, compact_memory());
		fprintf(stderr, "# compact_memory %d: pgmigrate_success +%lld\n",
			k, vmstat("pgmigrate_success") - c.migrated0);
	}
	mig_check(_metadata, self->fd, self->ps, &c, "compact_memory");
}

/*
 * Ask for as many huge pages as memory holds, note how many came, give
 * them back. Return: the count obtained.
 */
static long hugetlb_try(struct __test_metadata *_metadata)
{
	const char *nr = "/proc/sys/vm/nr_hugepages";
	char old[32], got[32], want[32];

	if (t_read_file(nr, old, sizeof(old)))
		return -1;
	/* all of memory: what comes is what compaction could free */
	snprintf(want, sizeof(want), "%ld", t_meminfo_kb("MemTotal") / 2048);
	EXPECT_EQ(0, t_write_file(nr, want));
	EXPECT_EQ(0, t_read_file(nr, got, sizeof(got)));
	EXPECT_EQ(0, t_write_file(nr, old));
	fprintf(stderr, "# nr_hugepages: asked %s, got %s\n", want, got);
	return strtol(got, NULL, 10) - strtol(old, NULL, 10);
}

/*
 * The huge pages a request gets with half of memory in half-full
 * pageblocks: compact's pool blocks are unmovable to the kernel (its pages
 * move only by fragalloc's recompaction, here its shrinker's), the movable
 * policy's pages are moved by the kernel (docs/CORE.md has the figures).
 */
TEST_F(movable, hugetlb_moves)
{
	long compact_got, movable_got;
	struct mig_ctx c;

	NEED_MOVABLE();
	NEED_ROOT();
	if (access("/proc/sys/vm/nr_hugepages", W_OK))
		SKIP(return, "no hugetlb");
	frag_setup(_metadata, self->fd, self->ps, FRAGALLOC_POLICY_COMPACT,
		   false, &c);
	compact_got = hugetlb_try(_metadata);
	frag_teardown(_metadata, self->fd, self->ps, &c);

	frag_setup(_metadata, self->fd, self->ps, T_POL, true, &c);
	movable_got = hugetlb_try(_metadata);
	mig_check(_metadata, self->fd, self->ps, &c, "nr_hugepages");
	/* the measurement of docs/CORE.md; the kernel's effort varies */
	fprintf(stderr, "# huge pages obtained: compact %ld, movable %ld\n",
		compact_got, movable_got);
	EXPECT_GT(movable_got, 0);
}

/* ---------------------------------------------------------------------- */
/* Races with compaction                                                   */

static void *compactor(void *arg)
{
	volatile bool *stop = arg;

	while (!*stop)
		compact_memory();
	return NULL;
}

/* One round of the racing user: returns 0 or the step that failed. */
static int race_round(size_t ps, unsigned int r)
{
	struct fragalloc_alloc a;
	const size_t n = 256;
	int fd = t_open(), ret = 0;
	pid_t pid;
	char *p;

	if (fd < 0)
		return 1;
	if (t_alloc(fd, n, FRAGALLOC_UNMOVABLE, T_POL, 0, &a)) {
		close(fd);
		return 2;
	}
	p = t_map(fd, a.out_mmap_offset, n);
	if (p == MAP_FAILED) {
		close(fd);
		return 3;
	}
	for (size_t i = 0; i < n; i++)
		if (!t_page_is(p + i * ps, 0))
			ret = 4;
	for (size_t i = 0; i < n; i++)
		t_fill_page(p + i * ps, t_page_seed(r, 1, i));
	if (r % 3 == 0) {
		pid = fork();
		if (!pid)
			_exit(t_check_page(p + 7 * ps, t_page_seed(r, 1, 7)) >= 0);
		if (t_wait(pid))
			ret = 5;
	}
	if (t_free_range(fd, a.out_handle, r % 64, 64, NULL))
		ret = 6;
	for (size_t i = 128; i < n; i++)
		if (t_check_page(p + i * ps, t_page_seed(r, 1, i)) >= 0)
			ret = 7;
	/* end in turn by munmap + FREE, FREE of a mapped batch, close */
	if (r % 3 == 1)
		munmap(p, n * ps);
	if (r % 3 != 2 && t_free(fd, a.out_handle))
		ret = 8;
	if (r % 3 != 1)
		munmap(p, n * ps);
	close(fd);
	return ret;
}

TEST_F(movable, races)
{
	volatile bool stop = false;
	struct fragalloc_stats st;
	pthread_t th[2];
	int bad = 0;

	NEED_MOVABLE();
	NEED_ROOT();
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, compactor,
					    (void *)&stop));
	for (unsigned int r = 0; r < 300; r++) {
		int ret = race_round(self->ps, r);

		if (ret && !bad)
			fprintf(stderr, "# round %u failed at step %d\n", r, ret);
		bad += !!ret;
	}
	stop = true;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(0, bad);
	ASSERT_EQ(0, t_stats(self->fd, &st));
	EXPECT_EQ(0, st.out_fd_pages);
}

TEST_HARNESS_MAIN
