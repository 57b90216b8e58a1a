/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the event tests (trace_test.c, netlink_test.c): the ioctls
 * they script and the module parameters they pin, so that nothing but the
 * scripted sequence raises events while they look.
 */
#ifndef FA_EV_UTIL_H
#define FA_EV_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/fragalloc.h>

/*
 * kselftest_harness.h is not -Wextra clean (EXPECT_EQ(0, unsigned), an
 * unused handler parameter, a local kept across setjmp): silence exactly
 * these for the test files, as -Werror is the build contract.
 */
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"

#define EV_DEV		"/dev/fragalloc"
#define EV_PARAMS	"/sys/module/fragalloc/parameters/"

static inline int ev_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int ev_alloc(int fd, unsigned long long n, unsigned int mob,
			   unsigned int policy, struct fragalloc_alloc *a)
{
	*a = (struct fragalloc_alloc){
		.size = sizeof(*a), .mobility = mob, .policy = policy,
		.nr_pages = n,
	};
	return ev_ioctl(fd, FRAGALLOC_IOC_ALLOC, a);
}

static inline int ev_free_range(int fd, unsigned int handle,
				unsigned long long first,
				unsigned long long n)
{
	struct fragalloc_free f = {
		.size = sizeof(f), .handle = handle,
		.flags = n ? FRAGALLOC_FREE_RANGE : 0,
		.first_page = first, .nr_pages = n,
	};

	return ev_ioctl(fd, FRAGALLOC_IOC_FREE, &f);
}

static inline int ev_free(int fd, unsigned int handle)
{
	return ev_free_range(fd, handle, 0, 0);
}

static inline int ev_stats(int fd, struct fragalloc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return ev_ioctl(fd, FRAGALLOC_IOC_STATS, st);
}

static inline int ev_info(int fd, struct fragalloc_info *in)
{
	memset(in, 0, sizeof(*in));
	in->size = sizeof(*in);
	return ev_ioctl(fd, FRAGALLOC_IOC_INFO, in);
}

static inline int ev_recompact(int fd, unsigned int scope, unsigned int handle,
			       unsigned int flags, struct fragalloc_recompact *r)
{
	*r = (struct fragalloc_recompact){
		.size = sizeof(*r), .scope = scope, .handle = handle,
		.flags = flags,
	};
	return ev_ioctl(fd, FRAGALLOC_IOC_RECOMPACT, r);
}

/* Write @val to @path; 0 or -errno. */
static inline int ev_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

/* A module parameter's value, or -1 when it cannot be read. */
static inline long long ev_param(const char *name)
{
	char path[256], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), EV_PARAMS "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtoll(buf, NULL, 0);
}

static inline int ev_set_param(const char *name, long long v)
{
	char path[256], buf[32];

	snprintf(path, sizeof(path), EV_PARAMS "%s", name);
	snprintf(buf, sizeof(buf), "%lld", v);
	return ev_write(path, buf);
}

/*
 * The parameters a test pins: no automatic recompaction (it would move
 * pages and raise events of its own), and empty pageblocks beyond the
 * reserve go back at once instead of from a delayed work.
 */
struct ev_pinned {
	long long auto_pct;
	long long delay_ms;
	long long fd_pages;
};

static inline void ev_pin(struct ev_pinned *p, long long delay_ms)
{
	p->auto_pct = ev_param("auto_recompact_pct");
	p->delay_ms = ev_param("release_delay_ms");
	p->fd_pages = ev_param("max_fd_pages");
	ev_set_param("auto_recompact_pct", 0);
	ev_set_param("release_delay_ms", delay_ms);
}

static inline void ev_unpin(const struct ev_pinned *p)
{
	if (p->auto_pct >= 0)
		ev_set_param("auto_recompact_pct", p->auto_pct);
	if (p->delay_ms >= 0)
		ev_set_param("release_delay_ms", p->delay_ms);
	if (p->fd_pages >= 0)
		ev_set_param("max_fd_pages", p->fd_pages);
}

static inline long long ev_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static inline void ev_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

#endif /* FA_EV_UTIL_H */
