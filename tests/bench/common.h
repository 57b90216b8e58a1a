/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the benchmark's guest programs: the uapi ioctls, the
 * guest clock; the splitmix64 PRNG is the CLI's own (splitmix64.h).
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

/* tools/fragalloc: the CLI's stress PRNG, so the load is the same */
#include "splitmix64.h"

#define FA_DEV "/dev/fragalloc"

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int t_open(void)
{
	int fd = open(FA_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror("open " FA_DEV);
		exit(1);
	}
	return fd;
}

/* the ioctl @req on @arg: 0, with a copy of @arg in @out if not NULL, or -errno */
static inline int t_ioctl(int fd, unsigned long req, void *arg, void *out,
			   size_t len)
{
	if (ioctl(fd, req, arg))
		return -errno;
	if (out)
		memcpy(out, arg, len);
	return 0;
}

static inline int t_alloc(int fd, uint64_t pages, uint32_t policy,
			   struct fragalloc_alloc *out)
{
	struct fragalloc_alloc a = {
		.size = sizeof(a), .mobility = FRAGALLOC_UNMOVABLE,
		.policy = policy, .nr_pages = pages,
	};

	return t_ioctl(fd, FRAGALLOC_IOC_ALLOC, &a, out, sizeof(a));
}

static inline int t_free(int fd, uint32_t handle)
{
	struct fragalloc_free f = { .size = sizeof(f), .handle = handle };

	return t_ioctl(fd, FRAGALLOC_IOC_FREE, &f, NULL, 0);
}

/* FREE with FREE_RANGE; *freed (if not NULL): the pages it freed */
static inline int t_free_range(int fd, uint32_t handle, uint64_t first,
				uint64_t nr, uint64_t *freed)
{
	struct fragalloc_free f = {
		.size = sizeof(f), .flags = FRAGALLOC_FREE_RANGE,
		.handle = handle, .first_page = first, .nr_pages = nr,
	};
	int ret = t_ioctl(fd, FRAGALLOC_IOC_FREE, &f, NULL, 0);

	if (!ret && freed)
		*freed = f.out_nr_freed;
	return ret;
}

static inline int t_recompact(int fd, uint32_t scope,
			       struct fragalloc_recompact *out)
{
	struct fragalloc_recompact r = { .size = sizeof(r), .scope = scope };

	return t_ioctl(fd, FRAGALLOC_IOC_RECOMPACT, &r, out, sizeof(r));
}

/*
 * "movable" (issue 13): a module or kernel without it says so in INFO's
 * out_features (no FRAGALLOC_FEAT_MOVABLE); the benchmark skips it there.
 */
static inline int parse_policy(const char *s)
{
	if (!strcmp(s, "movable"))
		return FRAGALLOC_POLICY_MOVABLE;
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
