/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the benchmark's guest programs: the uapi ioctls, the
 * splitmix64 PRNG (the same sequence as the CLI's stress), the guest clock.
 */
#ifndef FA_BENCH_COMMON_H
#define FA_BENCH_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/fragalloc.h>

#define FA_DEV "/dev/fragalloc"

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct rng {
	uint64_t state;
};

static inline uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t rnd_below(struct rng *r, uint64_t n)
{
	uint64_t lim = UINT64_MAX - UINT64_MAX % n, x;

	do
		x = rnd(r);
	while (x >= lim);
	return x % n;
}

static inline double rnd_unit(struct rng *r)
{
	return (double)(rnd(r) >> 11) / 9007199254740992.0;
}

static inline int fa_open(void)
{
	int fd = open(FA_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror("open " FA_DEV);
		exit(1);
	}
	return fd;
}

/* 0 or -errno; *out filled on success */
static inline int fa_alloc(int fd, uint64_t pages, uint32_t policy,
			   struct fragalloc_alloc *out)
{
	struct fragalloc_alloc a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.mobility = FRAGALLOC_UNMOVABLE;
	a.policy = policy;
	a.nr_pages = pages;
	if (ioctl(fd, FRAGALLOC_IOC_ALLOC, &a))
		return -errno;
	if (out)
		*out = a;
	return 0;
}

static inline int fa_free(int fd, uint32_t handle)
{
	struct fragalloc_free f;

	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.handle = handle;
	return ioctl(fd, FRAGALLOC_IOC_FREE, &f) ? -errno : 0;
}

static inline int fa_free_range(int fd, uint32_t handle, uint64_t first,
				uint64_t nr, uint64_t *freed)
{
	struct fragalloc_free f;

	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.flags = FRAGALLOC_FREE_RANGE;
	f.handle = handle;
	f.first_page = first;
	f.nr_pages = nr;
	if (ioctl(fd, FRAGALLOC_IOC_FREE, &f))
		return -errno;
	if (freed)
		*freed = f.out_nr_freed;
	return 0;
}

static inline int fa_recompact(int fd, uint32_t scope,
			       struct fragalloc_recompact *out)
{
	struct fragalloc_recompact r;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.scope = scope;
	if (ioctl(fd, FRAGALLOC_IOC_RECOMPACT, &r))
		return -errno;
	if (out)
		*out = r;
	return 0;
}

static inline int parse_policy(const char *s)
{
	if (!strcmp(s, "compact"))
		return FRAGALLOC_POLICY_COMPACT;
	if (!strcmp(s, "plain"))
		return FRAGALLOC_POLICY_PLAIN;
	if (!strcmp(s, "bulk"))
		return FRAGALLOC_POLICY_BULK;
	if (!strcmp(s, "highorder"))
		return FRAGALLOC_POLICY_HIGHORDER;
	return -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static inline double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
