/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the fragalloc selftests.
 *
 * Every test wrapper is named t_*: t_open(), t_ioctl(), t_alloc(), t_free() ...
 * Every helper that issues an ioctl returns 0 or -errno, so tests read
 *	EXPECT_EQ(-EINVAL, t_ioctl(fd, FRAGALLOC_IOC_ALLOC, &a));
 * Helpers never use the ASSERT/EXPECT macros themselves (they may run in
 * threads or forked children, where the harness' longjmp/metadata must not
 * be used); the fixtures at the end of this file do.
 */
#ifndef FRAGALLOC_SELFTEST_COMMON_H
#define FRAGALLOC_SELFTEST_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/fragalloc.h>

/*
 * kselftest_harness.h is not -Wextra clean: its EXPECT_EQ(0, unsigned_field)
 * style compares an int literal with an unsigned value, and one of its
 * signal handlers has an unused parameter, and its TEST_F wrapper keeps a
 * local across setjmp (-Wclobbered). The build contract uses
 * -Wall -Wextra -Werror, so silence exactly these two for the test files.
 */
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"

#define T_DEV_DEFAULT	"/dev/fragalloc"
#define T_NOBODY	65534
/* the unprivileged user of the limit tests (limits_test, safety_test) */
#define T_TEST_UID	1000

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

static inline const char *t_dev_path(void)
{
	const char *p = getenv("FRAGALLOC_DEV");

	return p && *p ? p : T_DEV_DEFAULT;
}

static inline int t_open_path(const char *path)
{
	return open(path, O_RDWR | O_CLOEXEC);
}

static inline int t_open(void)
{
	return t_open_path(t_dev_path());
}

static inline int t_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static inline int t_info(int fd, struct fragalloc_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return t_ioctl(fd, FRAGALLOC_IOC_INFO, info);
}

static inline void t_alloc_init(struct fragalloc_alloc *a, __u64 nr,
				 __u32 mobility, __u32 policy, __u32 flags)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->flags = flags;
	a->mobility = mobility;
	a->policy = policy;
	a->nr_pages = nr;
}

/* The one ALLOC wrapper: allocates a batch; the reply goes to *out (may be NULL). */
static inline int t_alloc(int fd, __u64 nr, __u32 mobility, __u32 policy,
			  __u32 flags, struct fragalloc_alloc *out)
{
	struct fragalloc_alloc a;

	if (!out)
		out = &a;
	t_alloc_init(out, nr, mobility, policy, flags);
	return t_ioctl(fd, FRAGALLOC_IOC_ALLOC, out);
}

/* A FREE of the whole batch @handle, for tests that set other fields. */
static inline void t_free_init(struct fragalloc_free *f, __u32 handle)
{
	memset(f, 0, sizeof(*f));
	f->size = sizeof(*f);
	f->handle = handle;
}

static inline int t_free(int fd, __u32 handle)
{
	struct fragalloc_free f;

	t_free_init(&f, handle);
	return t_ioctl(fd, FRAGALLOC_IOC_FREE, &f);
}

static inline int t_free_range(int fd, __u32 handle, __u64 first, __u64 nr,
			       __u64 *nr_freed)
{
	struct fragalloc_free f;
	int ret;

	t_free_init(&f, handle);
	f.flags = FRAGALLOC_FREE_RANGE;
	f.first_page = first;
	f.nr_pages = nr;
	ret = t_ioctl(fd, FRAGALLOC_IOC_FREE, &f);
	if (nr_freed)
		*nr_freed = f.out_nr_freed;
	return ret;
}

/* BATCH_INFO; with pfns != NULL also asks for the pfns. */
static inline int t_batch_info(int fd, __u32 handle, __u64 *pfns, __u64 nr_pfns,
				struct fragalloc_batch_info *bi)
{
	memset(bi, 0, sizeof(*bi));
	bi->size = sizeof(*bi);
	bi->handle = handle;
	if (pfns) {
		bi->flags = FRAGALLOC_BATCH_INFO_PFNS;
		bi->pfns = (__u64)(uintptr_t)pfns;
		bi->nr_pfns = nr_pfns;
	}
	return t_ioctl(fd, FRAGALLOC_IOC_BATCH_INFO, bi);
}

static inline int t_stats(int fd, struct fragalloc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return t_ioctl(fd, FRAGALLOC_IOC_STATS, st);
}

/* Pool-wide STATS through a private fd (its own fd figures are zero). */
static inline int t_pool_stats(struct fragalloc_stats *st)
{
	int fd = t_open(), ret;

	if (fd < 0)
		return -errno;
	ret = t_stats(fd, st);
	close(fd);
	return ret;
}

/* Prints the pool figures as TAP diagnostics. */
static inline void t_log_pool(const char *what, const struct fragalloc_stats *s)
{
	__u64 hist = 0;

	for (int b = 0; b < FRAGALLOC_FILL_BUCKETS; b++)
		hist += s->out_fill_hist[b];
	fprintf(stderr, "# %s: blocks %llu/%llu/%llu used %llu/%llu/%llu free %llu/%llu/%llu loose %llu/%llu/%llu reserve %llu hist-sum %llu acquired %llu released %llu other %llu runs %llu moved %llu meta %llu\n",
		what,
		(unsigned long long)s->out_blocks[0], (unsigned long long)s->out_blocks[1],
		(unsigned long long)s->out_blocks[2],
		(unsigned long long)s->out_pages_used[0], (unsigned long long)s->out_pages_used[1],
		(unsigned long long)s->out_pages_used[2],
		(unsigned long long)s->out_pages_free[0], (unsigned long long)s->out_pages_free[1],
		(unsigned long long)s->out_pages_free[2],
		(unsigned long long)s->out_loose_pages[0], (unsigned long long)s->out_loose_pages[1],
		(unsigned long long)s->out_loose_pages[2],
		(unsigned long long)s->out_reserve_blocks, (unsigned long long)hist,
		(unsigned long long)s->out_blocks_acquired,
		(unsigned long long)s->out_blocks_released,
		(unsigned long long)s->out_other_pages,
		(unsigned long long)s->out_recompact_runs,
		(unsigned long long)s->out_recompact_moved,
		(unsigned long long)s->out_meta_bytes);
}

/* RECOMPACT; the reply goes to *out (may be NULL). */
static inline int t_recompact(int fd, __u32 scope, __u32 handle, __u32 flags,
			      __u64 max_pages, struct fragalloc_recompact *out)
{
	struct fragalloc_recompact r = {
		.size = sizeof(r),
		.flags = flags,
		.scope = scope,
		.handle = handle,
		.max_pages = max_pages,
	};
	int ret = t_ioctl(fd, FRAGALLOC_IOC_RECOMPACT, &r);

	if (out)
		*out = r;
	return ret;
}

static inline size_t t_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* mmap(MAP_SHARED, RW) of @npages pages at byte offset @off; MAP_FAILED on error. */
static inline void *t_map(int fd, __u64 off, size_t npages)
{
	return mmap(NULL, npages * t_page_size(), PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, (off_t)off);
}

static inline __u64 t_pool_used(const struct fragalloc_stats *st)
{
	__u64 n = 0;

	for (int c = 0; c < FRAGALLOC_NR_MOBILITY; c++)
		n += st->out_pages_used[c];
	return n;
}

/* ---------------------------------------------------------------------- */
/* Per-page patterns                                                       */

/* A well-mixed 64-bit value (splitmix64 finaliser). */
static inline __u64 t_mix(__u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline __u64 t_page_seed(__u64 tag, __u64 batch, __u64 page)
{
	return t_mix((tag << 48) ^ (batch << 32) ^ page);
}

/*
 * Fills a page with words derived from @seed: word i = seed + i * odd, and
 * the last word is a checksum (xor of the others) so a page mixed from two
 * sources is caught even if its first word is right.
 */
static inline void t_fill_page(void *p, __u64 seed)
{
	size_t n = t_page_size() / sizeof(__u64);
	volatile __u64 *w = p;
	__u64 sum = 0;

	for (size_t i = 0; i + 1 < n; i++) {
		__u64 v = seed + i * 0x100000001b3ULL;

		w[i] = v;
		sum ^= v;
	}
	w[n - 1] = sum ^ seed;
}

/* Returns the index of the first bad word, or -1 if the page is intact. */
static inline long t_check_page(const void *p, __u64 seed)
{
	size_t n = t_page_size() / sizeof(__u64);
	const volatile __u64 *w = p;
	__u64 sum = 0;

	for (size_t i = 0; i + 1 < n; i++) {
		__u64 v = seed + i * 0x100000001b3ULL;

		if (w[i] != v)
			return (long)i;
		sum ^= v;
	}
	if (w[n - 1] != (sum ^ seed))
		return (long)(n - 1);
	return -1;
}

static inline bool t_page_is(const void *p, unsigned char byte)
{
	const unsigned char *c = p;
	size_t n = t_page_size();

	for (size_t i = 0; i < n; i++)
		if (c[i] != byte)
			return false;
	return true;
}

/* ---------------------------------------------------------------------- */
/* Observing SIGBUS/SIGSEGV on a single access (single-threaded callers).  */

static sigjmp_buf t_probe_env __attribute__((unused));
static volatile sig_atomic_t t_probe_sig __attribute__((unused));

static void __attribute__((unused)) t_probe_handler(int sig)
{
	t_probe_sig = sig;
	siglongjmp(t_probe_env, 1);
}

/*
 * Touches *addr (a read, or a write of @val if @write). Returns 0 if the
 * access completed, else the signal number it raised (SIGBUS/SIGSEGV).
 * *readval gets the value read (if non-NULL).
 */
static inline int t_probe(volatile void *addr, bool write, unsigned char val,
			   unsigned char *readval)
{
	struct sigaction sa = { .sa_handler = t_probe_handler }, obus, osegv;
	volatile int sig = 0;

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGBUS, &sa, &obus);
	sigaction(SIGSEGV, &sa, &osegv);
	t_probe_sig = 0;
	if (sigsetjmp(t_probe_env, 1) == 0) {
		if (write) {
			*(volatile unsigned char *)addr = val;
		} else {
			unsigned char v = *(volatile unsigned char *)addr;

			if (readval)
				*readval = v;
		}
	} else {
		sig = t_probe_sig;
	}
	sigaction(SIGBUS, &obus, NULL);
	sigaction(SIGSEGV, &osegv, NULL);
	return sig;
}

/* ---------------------------------------------------------------------- */
/* Privilege dropping                                                      */

/* Becomes uid/gid @uid with no supplementary groups (drops every capability). */
static inline int t_become(uid_t uid)
{
	if (setgroups(0, NULL) && errno != EPERM)
		return -errno;
	if (setresgid(uid, uid, uid))
		return -errno;
	if (setresuid(uid, uid, uid))
		return -errno;
	return geteuid() == uid ? 0 : -EPERM;
}

static inline int t_drop_privs(void)
{
	return t_become(T_NOBODY);
}

/*
 * Forks a child that runs with RLIMIT_MEMLOCK at @pages pages as
 * T_TEST_UID without capabilities (the child exits with T_CHILD_SETUP if
 * it cannot). Returns fork()'s value.
 */
#define T_CHILD_SETUP	100
static inline pid_t t_fork_limited(__u64 pages)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct rlimit rl = {
			.rlim_cur = pages * t_page_size(),
			.rlim_max = pages * t_page_size(),
		};

		if (setrlimit(RLIMIT_MEMLOCK, &rl) || t_become(T_TEST_UID))
			_exit(T_CHILD_SETUP);
	}
	return pid;
}

/*
 * The device node is root-only. To let an unprivileged process open the
 * device itself (so that both the caller's and the opener's credentials are
 * unprivileged), make a private 0666 node with the same device number.
 * Returns 0 and the path in @path, or -errno (callers SKIP).
 */
static inline int t_make_open_node(char *path, size_t len)
{
	static const char *const dirs[] = { "/dev", "/tmp", "/run", "." };
	struct stat st;

	if (stat(t_dev_path(), &st))
		return -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENODEV;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		int fd;

		snprintf(path, len, "%s/.fragalloc-selftest.%d", dirs[i], (int)getpid());
		unlink(path);
		if (mknod(path, S_IFCHR | 0666, st.st_rdev))
			continue;
		if (chmod(path, 0666)) {
			unlink(path);
			continue;
		}
		/* A nodev mount would refuse the open: check it works. */
		fd = t_open_path(path);
		if (fd < 0) {
			unlink(path);
			continue;
		}
		close(fd);
		return 0;
	}
	path[0] = '\0';
	return -EPERM;
}

/* Waits for @pid; returns its exit code, or 128 + signal, or -1. */
static inline int t_wait(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/* Anonymous MAP_SHARED memory for results written by forked children. */
static inline void *t_shared_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, len);
	return p;
}

/* Number of distinct pageblocks among @n pfns (holes and zeros ignored). */
static inline __u64 t_count_blocks(const __u64 *pfns, size_t n, unsigned int order)
{
	__u64 *b = malloc((n ? n : 1) * sizeof(*b));
	size_t m = 0;
	__u64 count = 0;

	if (!b)
		return ~0ULL;
	for (size_t i = 0; i < n; i++)
		if (pfns[i] != FRAGALLOC_PFN_HOLE && pfns[i] != 0)
			b[m++] = pfns[i] >> order;
	/* shell sort, then count runs */
	for (size_t gap = m / 2; gap > 0; gap /= 2)
		for (size_t i = gap; i < m; i++)
			for (size_t j = i; j >= gap && b[j - gap] > b[j]; j -= gap) {
				__u64 t = b[j];

				b[j] = b[j - gap];
				b[j - gap] = t;
			}
	for (size_t i = 0; i < m; i++)
		if (i == 0 || b[i] != b[i - 1])
			count++;
	free(b);
	return count;
}

static inline __u64 t_div_round_up(__u64 a, __u64 b)
{
	return (a + b - 1) / b;
}

/* Reads @path into @buf (trailing blanks cut); 0 or -errno. */
static inline int t_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

/*
 * With per-node pools (FRAGALLOC_FEAT_NODES) the reserve and its floor
 * (reserve_blocks) are per node: a test that counts them pins its batches
 * to one node and reads that node's figures. Return: the first node with
 * memory, or -1 for a module without per-node pools (the totals then).
 */
static inline int t_one_node(const struct fragalloc_info *info)
{
	char buf[256];

	if (!(info->out_features & FRAGALLOC_FEAT_NODES))
		return -1;
	if (t_read_file("/sys/devices/system/node/has_memory", buf, sizeof(buf)))
		return 0;	/* a kernel without NUMA: node 0 */
	return atoi(buf);
}

/* t_alloc(), from node @node alone (NODE|THISNODE); node < 0: t_alloc(). */
static inline int t_alloc_on(int fd, int node, __u64 nr, __u32 mobility,
			     __u32 policy, __u32 flags,
			     struct fragalloc_alloc *out)
{
	struct fragalloc_alloc a;

	if (node < 0)
		return t_alloc(fd, nr, mobility, policy, flags, out);
	if (!out)
		out = &a;
	t_alloc_init(out, nr, mobility, policy,
		     flags | FRAGALLOC_ALLOC_NODE | FRAGALLOC_ALLOC_THISNODE);
	out->node = node;
	return t_ioctl(fd, FRAGALLOC_IOC_ALLOC, out);
}

/* STATS of node @node's pool (private fd); node < 0: t_pool_stats(). */
static inline int t_node_stats(int node, struct fragalloc_stats *st)
{
	int fd, ret;

	if (node < 0)
		return t_pool_stats(st);
	fd = t_open();
	if (fd < 0)
		return -errno;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->flags = FRAGALLOC_STATS_NODE;
	st->node = node;
	ret = t_ioctl(fd, FRAGALLOC_IOC_STATS, st);
	close(fd);
	return ret;
}

/* Writes @val to @path in one write(); 0 or -errno (-EIO: a short write). */
static inline int t_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

/*
 * The value of the "@key N" line of a "name value" file (/proc/vmstat,
 * debugfs stats); -1 if there is none.
 */
static inline long long t_key_value(const char *path, const char *key)
{
	FILE *f = fopen(path, "re");
	long long v, found = -1;
	char line[256], name[64];

	while (f && found < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", name, &v) == 2 &&
		    !strcmp(name, key))
			found = v;
	if (f)
		fclose(f);
	return found;
}

/* /proc/vmstat's @key; -1 if absent (no CONFIG_VM_EVENT_COUNTERS). */
static inline long long t_vmstat(const char *key)
{
	return t_key_value("/proc/vmstat", key);
}

/* The /proc/meminfo line @key (MemFree, MemAvailable ...) in kB; -1 if absent. */
static inline long t_meminfo_kb(const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Reads or writes /sys/module/fragalloc/parameters/NAME; -1 on error. */
static inline long long t_param(const char *name, long long set)
{
	char path[128], buf[32];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/fragalloc/parameters/%s",
		 name);
	f = fopen(path, set < 0 ? "r" : "w");
	if (!f)
		return -1;
	if (set >= 0)
		v = fprintf(f, "%lld\n", set) > 0 ? set : -1;
	else if (fgets(buf, sizeof(buf), f))
		v = strtoll(buf, NULL, 0);
	if (fclose(f))
		v = -1;
	return v;
}

/*
 * These tests assert exact pool accounting (blocks, reserve, releases), so
 * they run with release_delay_ms and auto_recompact_pct at 0: a timer giving
 * blocks back, or a recompaction started by a FREE, in the middle of a test
 * would race with the figures. Both have tests of their own, and the
 * fuzzer and the kapi and CLI tests run with the module's settings. Returns
 * what to restore (-1: nothing), the delay in the low 32 bits and the
 * automatic mode's percentage above.
 */
static inline long long t_pin_params(void)
{
	long long d = t_param("release_delay_ms", -1);
	long long a = t_param("auto_recompact_pct", -1);

	if (d < 0 || a < 0)
		return -1;
	if (d > 0 && t_param("release_delay_ms", 0) != 0)
		d = 0;
	if (a > 0 && t_param("auto_recompact_pct", 0) != 0)
		a = 0;
	return (a << 32) | d;
}

static inline void t_unpin_params(long long saved)
{
	if (saved < 0)
		return;
	if (saved & 0xffffffffLL)
		t_param("release_delay_ms", saved & 0xffffffffLL);
	if (saved >> 32)
		t_param("auto_recompact_pct", saved >> 32);
}

/* ---------------------------------------------------------------------- */
/* Fixtures                                                                */

#include "kselftest_harness.h"

/*
 * The leak check: a test that frees what it allocated leaves its fd with
 * no batch and no page.
 */
static inline void t_expect_fd_empty(struct __test_metadata *_metadata, int fd)
{
	struct fragalloc_stats st;

	EXPECT_EQ(0, t_stats(fd, &st));
	EXPECT_EQ(0, st.out_fd_batches);
	EXPECT_EQ(0, st.out_fd_pages);
}

/* What the teardown of a T_FIXTURE checks (see there). */
enum t_end { T_MAY_HOLD, T_ENDS_EMPTY };

static inline void t_fixture_teardown(struct __test_metadata *_metadata,
				      int fd, enum t_end end,
				      long long params)
{
	if (fd >= 0) {
		if (end == T_ENDS_EMPTY)
			t_expect_fd_empty(_metadata, fd);
		close(fd);
	}
	t_unpin_params(params);
}

/*
 * T_FIXTURE(name, end): every test of fixture @name runs with an open fd
 * (self->fd), the module's INFO, the page and pageblock sizes, and
 * release_delay_ms and auto_recompact_pct at 0 (t_pin_params()). It SKIPs
 * when the device is missing (module not loaded). With @end T_ENDS_EMPTY
 * the teardown runs the leak check on the fd (a test that closes it sets
 * self->fd to -1 and checks the pool itself); with T_MAY_HOLD the tests
 * leave their batches to close().
 */
#define T_FIXTURE(name, end)						\
	FIXTURE(name) {							\
		int fd;							\
		struct fragalloc_info info;				\
		size_t ps;						\
		__u64 bs; /* pages per pageblock */			\
		long long params; /* what t_unpin_params() restores */	\
	};								\
	FIXTURE_SETUP(name)						\
	{								\
		self->params = t_pin_params();				\
		self->fd = t_open();					\
		if (self->fd < 0)					\
			SKIP(return, "cannot open %s: %s", t_dev_path(), \
			     strerror(errno));				\
		ASSERT_EQ(0, t_info(self->fd, &self->info));		\
		self->ps = t_page_size();				\
		self->bs = 1ULL << self->info.out_pageblock_order;	\
	}								\
	FIXTURE_TEARDOWN(name)						\
	{								\
		t_fixture_teardown(_metadata, self->fd, end, self->params); \
	}

/*
 * T_POLICY_VARIANTS(fixture): the tests of @fixture run once per
 * allocation policy (variant->policy). @pooled: the pages come from the
 * pool's pageblocks (compact: counted in out_pages_used, packed into the
 * fewest pageblocks, ALLOC_STRICT allowed); the other policies take pages
 * from the buddy allocator (counted in out_other_pages).
 */
#define T_POLICY_VARIANTS(fixture)						\
	FIXTURE_VARIANT(fixture) {						\
		__u32 policy;						\
		bool pooled;						\
		const char *name;					\
	};								\
	FIXTURE_VARIANT_ADD(fixture, compact) {				\
		.policy = FRAGALLOC_POLICY_COMPACT, .pooled = true,	\
		.name = "compact",					\
	};								\
	FIXTURE_VARIANT_ADD(fixture, plain) {				\
		.policy = FRAGALLOC_POLICY_PLAIN, .name = "plain",	\
	};								\
	FIXTURE_VARIANT_ADD(fixture, bulk) {				\
		.policy = FRAGALLOC_POLICY_BULK, .name = "bulk",	\
	};								\
	FIXTURE_VARIANT_ADD(fixture, highorder) {				\
		.policy = FRAGALLOC_POLICY_HIGHORDER, .name = "highorder", \
	}

#endif /* FRAGALLOC_SELFTEST_COMMON_H */
