// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: every ioctl under fail-nth.
 *
 * For each scenario, N = 1, 2, ... : write N to /proc/self/task/<tid>/fail-nth,
 * issue the ioctl, read fail-nth back (0: the N-th fault point fired). A call
 * that failed must have returned an errno documented for that ioctl in the
 * uapi DOC block; afterwards the fd must hold nothing it should not (its
 * STATS), the pool must be back to its baseline, VmLck (the locked_vm charge)
 * must be back, and the fd must still work (a plain alloc + free). The loop
 * ends when the call completes without the N-th fault firing; the number of
 * fault points (N - 1) is logged. A path that allocates must have at least one
 * fault point (else nothing was injected and the test would prove nothing);
 * a path that cannot fail must have none, and SKIPs with the reason.
 *
 * Needs CONFIG_FAULT_INJECTION (fail-nth), CONFIG_FAILSLAB and
 * CONFIG_FAIL_PAGE_ALLOC with their debugfs knobs: fail-nth only counts
 * allocations the per-type filters let through, and by default both ignore
 * sleeping (GFP_KERNEL) allocations, and fail_page_alloc ignores order 0 and
 * highmem. The fixture sets ignore-gfp-wait=N, ignore-gfp-highmem=N,
 * min-order=0 and verbose=0 (no stack dump per injected fault) and restores
 * them. Without fail-nth (the stock Debian kernels) every test SKIPs.
 */
#include <stdarg.h>

#include "common.h"

#define FI_MAX_POINTS	4000
#define DBG		"/sys/kernel/debug"

#define EB(x)		((unsigned long long)1 << (x))
/* ioctl-specific errnos of the DOC block a fault may produce */
#define FI_ALLOC_OK	(EB(ENOMEM) | EB(EINTR))
#define FI_RECOMPACT_OK	(EB(ENOMEM) | EB(EINTR))
#define FI_NONE		0ULL

static const char *const knobs[][2] = {
	{ DBG "/failslab/ignore-gfp-wait", "N" },
	{ DBG "/failslab/verbose", "0" },
	{ DBG "/fail_page_alloc/ignore-gfp-wait", "N" },
	{ DBG "/fail_page_alloc/ignore-gfp-highmem", "N" },
	{ DBG "/fail_page_alloc/min-order", "0" },
	{ DBG "/fail_page_alloc/verbose", "0" },
};
#define NKNOBS	ARRAY_SIZE(knobs)

/* VmLck of this process, in kB (what account_locked_vm() charged) */
static long vm_locked_kb(void)
{
	char buf[4096], *p;

	if (t_read_file("/proc/self/status", buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "VmLck:");
	return p ? strtol(p + 6, NULL, 10) : -1;
}

static int nth_open(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", (int)gettid());
	return open(path, O_RDWR | O_CLOEXEC);
}

/*
 * Arms fail-nth: a fresh fd each time (the file cannot seek, and its read
 * side is at EOF after one read; a write leaves the position alone, so the
 * read after the call sees the whole value). Returns the fd or -errno.
 */
static int nth_arm(unsigned int n)
{
	char b[16];
	int l = snprintf(b, sizeof(b), "%u", n);
	int fd = nth_open();

	if (fd < 0)
		return -errno;
	if (write(fd, b, l) != l) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* Reads the counter back (0: the fault fired), disarms, closes. */
static long nth_disarm(int fd)
{
	char b[16];
	ssize_t n = read(fd, b, sizeof(b) - 1);
	long v = -1;

	if (n > 0) {
		b[n] = 0;
		v = strtol(b, NULL, 10);
	}
	if (write(fd, "0", 1) != 1)
		v = -1;
	close(fd);
	return v;
}

/* ------------------------------------------------------------------ */

struct fi;
struct fi_ops {
	const char *name;
	unsigned long long ok;		/* errnos a fault may produce */
	/*
	 * NULL for a path that allocates: it must have fault points, or the
	 * test would pass with nothing injected. Otherwise why the path
	 * cannot fail: it must have none, and the test SKIPs with this reason.
	 */
	const char *cannot_fail;
	int (*setup)(struct fi *f);	/* runs without injection */
	int (*call)(struct fi *f);	/* the ioctl under injection, 0/-errno */
	int (*cleanup)(struct fi *f, int ret);	/* without injection; 0 or a message */
};

struct fi {
	int fd;
	size_t ps;
	const struct fi_ops *ops;
	/* scenario parameters */
	__u64 nr;
	__u32 policy, flags, scope, rflags;
	/* scenario state */
	struct fragalloc_alloc a, b;	/* batches made by setup/call */
	bool have_a, have_b;
	char *map;
	size_t map_pages;
	char msg[256];
};

static int fail_msg(struct fi *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail_msg(struct fi *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int free_batch(struct fi *f, struct fragalloc_alloc *a, bool *have)
{
	int ret;

	if (!*have)
		return 0;
	*have = false;
	ret = t_free(f->fd, a->out_handle);
	if (ret)
		return fail_msg(f, "FREE of batch %u after the test call: %s", a->out_handle,
				strerror(-ret));
	return 0;
}

static void unmap(struct fi *f)
{
	if (f->map) {
		munmap(f->map, f->map_pages * f->ps);
		f->map = NULL;
	}
}

/* maps batch @a whole and writes the pattern */
static int map_fill(struct fi *f, struct fragalloc_alloc *a, __u64 tag)
{
	f->map_pages = a->out_nr_pages;
	f->map = t_map(f->fd, a->out_mmap_offset, f->map_pages);
	if (f->map == MAP_FAILED) {
		f->map = NULL;
		return fail_msg(f, "mmap: %s", strerror(errno));
	}
	for (size_t i = 0; i < f->map_pages; i++)
		t_fill_page(f->map + i * f->ps, t_page_seed(tag, 0, i));
	return 0;
}

static int map_check(struct fi *f, __u64 tag, __u64 skip_first, __u64 skip_nr)
{
	for (size_t i = 0; i < f->map_pages; i++) {
		long w;

		if (i >= skip_first && i < skip_first + skip_nr)
			continue;
		w = t_check_page(f->map + i * f->ps, t_page_seed(tag, 0, i));
		if (w >= 0)
			return fail_msg(f, "page %zu of the mapped batch is corrupt at word %ld", i, w);
	}
	return 0;
}

/* --- ALLOC --- */
static int alloc_setup(struct fi *f)
{
	(void)f;
	return 0;
}

static int alloc_call(struct fi *f)
{
	int ret = t_alloc(f->fd, f->nr, FRAGALLOC_UNMOVABLE, f->policy, f->flags, &f->a);

	f->have_a = !ret;
	return ret;
}

static int alloc_cleanup(struct fi *f, int ret)
{
	if (!ret) {
		if (f->a.out_nr_pages != f->nr &&
		    !(f->flags & FRAGALLOC_ALLOC_BEST_EFFORT))
			return fail_msg(f, "ALLOC succeeded with %llu of %llu pages",
					(unsigned long long)f->a.out_nr_pages,
					(unsigned long long)f->nr);
		if (!f->a.out_nr_pages || f->a.out_nr_pages > f->nr)
			return fail_msg(f, "ALLOC returned %llu pages",
					(unsigned long long)f->a.out_nr_pages);
		/* the new batch works: map it, write, read */
		if (map_fill(f, &f->a, 7) || map_check(f, 7, 0, 0))
			return -1;
		unmap(f);
	}
	return free_batch(f, &f->a, &f->have_a);
}

/* --- FREE (whole or range) of a mapped batch --- */
static int free_setup(struct fi *f)
{
	int ret = t_alloc(f->fd, f->nr, FRAGALLOC_UNMOVABLE, FRAGALLOC_POLICY_COMPACT, 0, &f->a);

	if (ret)
		return fail_msg(f, "setup ALLOC: %s", strerror(-ret));
	f->have_a = true;
	return map_fill(f, &f->a, 3);
}

static int free_call(struct fi *f)
{
	int ret;

	if (f->flags & FRAGALLOC_FREE_RANGE)
		return t_free_range(f->fd, f->a.out_handle, 2, 3, NULL);
	ret = t_free(f->fd, f->a.out_handle);
	if (!ret)
		f->have_a = false;
	return ret;
}

static int free_cleanup(struct fi *f, int ret)
{
	int r = 0;

	if (f->flags & FRAGALLOC_FREE_RANGE) {
		struct fragalloc_batch_info bi;

		if (t_batch_info(f->fd, f->a.out_handle, NULL, 0, &bi))
			r = fail_msg(f, "BATCH_INFO after the range free failed");
		else if (bi.out_nr_present != f->nr - (ret ? 0 : 3))
			r = fail_msg(f, "range free returned %d but %llu of %llu pages are present",
				     ret, (unsigned long long)bi.out_nr_present,
				     (unsigned long long)f->nr);
		if (!r)
			r = map_check(f, 3, 2, ret ? 0 : 3);
		unmap(f);
		return r ? r : free_batch(f, &f->a, &f->have_a);
	}
	unmap(f);
	if (!ret) {
		/* the offset must be gone: a stale entry would map freed pages */
		void *p = t_map(f->fd, f->a.out_mmap_offset, 1);

		if (p != MAP_FAILED) {
			munmap(p, f->ps);
			return fail_msg(f, "mmap of a freed batch's offset succeeded");
		}
		if (errno != ENXIO)
			return fail_msg(f, "mmap of a freed batch's offset: %s, expected ENXIO",
					strerror(errno));
	}
	return free_batch(f, &f->a, &f->have_a);
}

/* --- BATCH_INFO with PFNs --- */
static int binfo_call(struct fi *f)
{
	struct fragalloc_batch_info bi;
	__u64 *pfns = calloc(f->nr, sizeof(*pfns));
	int ret;

	if (!pfns)
		return -ENOMEM;
	ret = t_batch_info(f->fd, f->a.out_handle, pfns, f->nr, &bi);
	free(pfns);
	return ret;
}

static int binfo_cleanup(struct fi *f, int ret)
{
	(void)ret;
	unmap(f);
	return free_batch(f, &f->a, &f->have_a);
}

/* --- STATS / INFO --- */
static int stats_call(struct fi *f)
{
	struct fragalloc_stats st;

	return t_stats(f->fd, &st);
}

static int info_call(struct fi *f)
{
	struct fragalloc_info info;

	return t_info(f->fd, &info);
}

static int nothing_cleanup(struct fi *f, int ret)
{
	(void)f;
	(void)ret;
	return 0;
}

/* --- RECOMPACT over a fragmented pool --- */
static int recompact_setup(struct fi *f)
{
	int ret;

	/* A, then B right after it; freeing A leaves B's blocks part-empty */
	ret = t_alloc(f->fd, f->nr, FRAGALLOC_MOVABLE, FRAGALLOC_POLICY_COMPACT, 0, &f->a);
	if (ret)
		return fail_msg(f, "setup ALLOC A: %s", strerror(-ret));
	f->have_a = true;
	ret = t_alloc(f->fd, f->nr, FRAGALLOC_MOVABLE, FRAGALLOC_POLICY_COMPACT, 0, &f->b);
	if (ret)
		return fail_msg(f, "setup ALLOC B: %s", strerror(-ret));
	f->have_b = true;
	/* punch every other page of A, keep A: B and A's rest get moved */
	for (__u64 i = 0; i < f->nr; i += 2) {
		ret = t_free_range(f->fd, f->a.out_handle, i, 1, NULL);
		if (ret)
			return fail_msg(f, "setup range free: %s", strerror(-ret));
	}
	return map_fill(f, &f->b, 5);
}

static int recompact_call(struct fi *f)
{
	return t_recompact(f->fd, f->scope,
			    f->scope == FRAGALLOC_SCOPE_BATCH ? f->b.out_handle : 0,
			    f->rflags, 0, NULL);
}

static int recompact_cleanup(struct fi *f, int ret)
{
	int r = map_check(f, 5, 0, 0);

	(void)ret;
	unmap(f);
	if (r)
		return r;
	if (free_batch(f, &f->b, &f->have_b))
		return -1;
	return free_batch(f, &f->a, &f->have_a);
}

static int binfo_setup(struct fi *f)
{
	return free_setup(f);
}

/* ------------------------------------------------------------------ */

static bool pool_equal(const struct fragalloc_stats *a, const struct fragalloc_stats *b)
{
	for (int c = 0; c < FRAGALLOC_NR_MOBILITY; c++)
		if (a->out_pages_used[c] != b->out_pages_used[c] ||
		    a->out_loose_pages[c] != b->out_loose_pages[c] ||
		    a->out_blocks[c] != b->out_blocks[c])
			return false;
	return a->out_other_pages == b->out_other_pages;
}

FIXTURE(fi) {
	int fd;
	int nth;
	size_t ps;
	char saved[NKNOBS][32];
	bool set[NKNOBS];
};

FIXTURE_SETUP(fi)
{
	self->fd = -1;
	self->nth = nth_open();
	if (self->nth < 0)
		SKIP(return, "no fail-nth: kernel without CONFIG_FAULT_INJECTION");
	if (access(DBG "/failslab", F_OK) || access(DBG "/fail_page_alloc", F_OK))
		SKIP(return, "no %s/failslab or fail_page_alloc (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS, debugfs mounted?)", DBG);
	if (geteuid())
		SKIP(return, "needs root for the debugfs knobs");
	self->fd = t_open();
	if (self->fd < 0)
		SKIP(return, "cannot open %s: %s", t_dev_path(), strerror(errno));
	self->ps = t_page_size();
	for (size_t i = 0; i < NKNOBS; i++) {
		ASSERT_EQ(0, t_read_file(knobs[i][0], self->saved[i], sizeof(self->saved[i])))
			TH_LOG("read %s", knobs[i][0]);
		ASSERT_EQ(0, t_write_file(knobs[i][0], knobs[i][1]))
			TH_LOG("write %s", knobs[i][0]);
		self->set[i] = true;
	}
}

FIXTURE_TEARDOWN(fi)
{
	for (size_t i = 0; i < NKNOBS; i++)
		if (self->set[i])
			t_write_file(knobs[i][0], self->saved[i]);
	if (self->fd >= 0)
		close(self->fd);
	if (self->nth >= 0)
		close(self->nth);
}

/*
 * The loop. Returns the number of fault points; every problem is an
 * EXPECT/ASSERT failure with the N at which it happened.
 */
static void fi_run(struct __test_metadata *_metadata, FIXTURE_DATA(fi) *self, struct fi *f)
{
	struct fragalloc_stats p0, p1, s;
	long lck0, lck1;
	unsigned int n, points = 0, absorbed = 0, failed = 0;
	unsigned long long seen = 0;

	f->fd = self->fd;
	f->ps = self->ps;
	ASSERT_EQ(0, t_pool_stats(&p0));
	lck0 = vm_locked_kb();
	for (n = 1; n <= FI_MAX_POINTS; n++) {
		long left;
		int ret, r, nfd;

		f->msg[0] = 0;
		ASSERT_EQ(0, f->ops->setup(f)) TH_LOG("%s: setup: %s", f->ops->name, f->msg);
		nfd = nth_arm(n);
		ASSERT_LE(0, nfd) TH_LOG("arming fail-nth: %s", strerror(-nfd));
		ret = f->ops->call(f);
		left = nth_disarm(nfd);
		ASSERT_LE(0, left) TH_LOG("reading fail-nth back failed");
		r = f->ops->cleanup(f, ret);
		EXPECT_EQ(0, r) TH_LOG("%s: fault point %u (ret %d): %s", f->ops->name, n, ret, f->msg);
		if (left != 0) {
			/* the call had fewer than n fault points */
			EXPECT_EQ(0, ret) TH_LOG("%s: failed with %s without an injected fault",
						 f->ops->name, strerror(-ret));
			break;
		}
		points++;
		if (ret) {
			failed++;
			if (-ret < 64)
				seen |= EB(-ret);
			EXPECT_TRUE(-ret < 64 && (f->ops->ok & EB(-ret)))
				TH_LOG("%s: fault point %u: errno %d (%s) is not documented for this ioctl",
				       f->ops->name, n, -ret, strerror(-ret));
		} else {
			absorbed++;
		}
		/* nothing leaked: fd, pool, locked_vm */
		ASSERT_EQ(0, t_stats(f->fd, &s));
		EXPECT_EQ(0, s.out_fd_batches) TH_LOG("%s: fault point %u: fd keeps %llu batches",
						       f->ops->name, n,
						       (unsigned long long)s.out_fd_batches);
		EXPECT_EQ(0, s.out_fd_pages) TH_LOG("%s: fault point %u: fd keeps %llu pages",
						     f->ops->name, n,
						     (unsigned long long)s.out_fd_pages);
		ASSERT_EQ(0, t_pool_stats(&p1));
		if (!pool_equal(&p0, &p1)) {
			t_log_pool("baseline", &p0);
			t_log_pool("now", &p1);
		}
		EXPECT_TRUE(pool_equal(&p0, &p1)) TH_LOG("%s: fault point %u: pool not back to baseline",
							 f->ops->name, n);
		lck1 = vm_locked_kb();
		EXPECT_EQ(lck0, lck1) TH_LOG("%s: fault point %u: VmLck %ld kB, was %ld kB",
					     f->ops->name, n, lck1, lck0);
		/* the fd still works */
		{
			struct fragalloc_alloc a;

			EXPECT_EQ(0, t_alloc(f->fd, 1, 0, 0, 0, &a));
			EXPECT_EQ(0, t_free(f->fd, a.out_handle));
		}
		if (_metadata->exit_code == KSFT_FAIL && failed + absorbed > 20)
			break;	/* one broken path is enough to report */
	}
	EXPECT_GT(FI_MAX_POINTS + 1, n) TH_LOG("%s: more than %d fault points?", f->ops->name,
					      FI_MAX_POINTS);
	TH_LOG("%s: %u fault points: %u failed the call (errnos 0x%llx), %u were absorbed",
	       f->ops->name, points, failed, seen, absorbed);
	if (!f->ops->cannot_fail) {
		/* otherwise nothing was injected and the loop above proved nothing */
		EXPECT_LT(0, points) TH_LOG("%s: allocates, but fail-nth reached no fault point: no fault was injected",
					     f->ops->name);
		return;
	}
	EXPECT_EQ(0, points) TH_LOG("%s: declared unable to fail (%s), but it has %u fault points: make it an allocating path",
				     f->ops->name, f->ops->cannot_fail, points);
	/* a SKIP would hide a failure reported above */
	if (_metadata->exit_code != KSFT_FAIL)
		SKIP(return, "%s cannot fail: %s", f->ops->name, f->ops->cannot_fail);
}

#define FI_OPS(_name, _ok, _setup, _call, _cleanup, _cannot_fail) \
	static const struct fi_ops _name = { #_name, _ok, _cannot_fail, _setup, _call, _cleanup }

FI_OPS(alloc, FI_ALLOC_OK, alloc_setup, alloc_call, alloc_cleanup, NULL);
FI_OPS(free_whole, FI_NONE, free_setup, free_call, free_cleanup,
       "a FREE allocates nothing (the batch leaves an xarray, whose erase never allocates, and the offset rbtree, whose node is in the batch; before issue 11 the offsets were a maple tree whose erase allocated, 2 fault points, and could fail unseen)");
FI_OPS(free_range, FI_NONE, free_setup, free_call, free_cleanup,
       "a range FREE allocates nothing (it zaps the range's PTEs and gives its pages back; the batch and its offset stay)");
FI_OPS(batch_info_pfns, EB(ENOMEM), binfo_setup, binfo_call, binfo_cleanup, NULL);
FI_OPS(stats, FI_NONE, alloc_setup, stats_call, nothing_cleanup,
       "STATS allocates nothing (it reads counters into the ioctl's on-stack buffer)");
FI_OPS(info, FI_NONE, alloc_setup, info_call, nothing_cleanup,
       "INFO allocates nothing (it writes constants into the ioctl's on-stack buffer)");
FI_OPS(recompact, FI_RECOMPACT_OK, recompact_setup, recompact_call, recompact_cleanup, NULL);

#define ALLOC_TEST(tname, _nr, _policy, _flags)					\
	TEST_F_TIMEOUT(fi, tname, 600)						\
	{									\
		struct fi f = { .ops = &alloc, .nr = _nr, .policy = _policy,	\
				.flags = _flags };				\
		fi_run(_metadata, self, &f);					\
	}

ALLOC_TEST(alloc_compact_1, 1, FRAGALLOC_POLICY_COMPACT, 0)
ALLOC_TEST(alloc_compact_600, 600, FRAGALLOC_POLICY_COMPACT, 0)
ALLOC_TEST(alloc_compact_strict_512, 512, FRAGALLOC_POLICY_COMPACT, FRAGALLOC_ALLOC_STRICT)
ALLOC_TEST(alloc_compact_best_effort_600, 600, FRAGALLOC_POLICY_COMPACT,
	   FRAGALLOC_ALLOC_BEST_EFFORT)
ALLOC_TEST(alloc_plain_16, 16, FRAGALLOC_POLICY_PLAIN, 0)
ALLOC_TEST(alloc_plain_best_effort_16, 16, FRAGALLOC_POLICY_PLAIN,
	   FRAGALLOC_ALLOC_BEST_EFFORT)
ALLOC_TEST(alloc_bulk_64, 64, FRAGALLOC_POLICY_BULK, 0)
ALLOC_TEST(alloc_highorder_300, 300, FRAGALLOC_POLICY_HIGHORDER, 0)

TEST_F_TIMEOUT(fi, free_whole, 600)
{
	struct fi f = { .ops = &free_whole, .nr = 8 };

	fi_run(_metadata, self, &f);
}

TEST_F_TIMEOUT(fi, free_range, 600)
{
	struct fi f = { .ops = &free_range, .nr = 8, .flags = FRAGALLOC_FREE_RANGE };

	fi_run(_metadata, self, &f);
}

TEST_F_TIMEOUT(fi, batch_info_pfns, 600)
{
	struct fi f = { .ops = &batch_info_pfns, .nr = 600 };

	fi_run(_metadata, self, &f);
}

TEST_F_TIMEOUT(fi, stats, 600)
{
	struct fi f = { .ops = &stats };

	fi_run(_metadata, self, &f);
}

TEST_F_TIMEOUT(fi, info, 600)
{
	struct fi f = { .ops = &info };

	fi_run(_metadata, self, &f);
}

#define RECOMPACT_TEST(tname, _scope, _rflags)					\
	TEST_F_TIMEOUT(fi, tname, 600)						\
	{									\
		struct fi f = { .ops = &recompact, .nr = 300, .scope = _scope,	\
				.rflags = _rflags };				\
		fi_run(_metadata, self, &f);					\
	}

RECOMPACT_TEST(recompact_fd, FRAGALLOC_SCOPE_FD, 0)
RECOMPACT_TEST(recompact_batch, FRAGALLOC_SCOPE_BATCH, 0)
RECOMPACT_TEST(recompact_pool, FRAGALLOC_SCOPE_POOL, 0)
RECOMPACT_TEST(recompact_fd_dry_run, FRAGALLOC_SCOPE_FD, FRAGALLOC_RECOMPACT_DRY_RUN)

TEST_HARNESS_MAIN
