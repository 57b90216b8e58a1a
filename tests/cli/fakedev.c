// SPDX-License-Identifier: MIT
/*
 * LD_PRELOAD fake of /dev/fragalloc for host CLI tests: open() of the path in
 * $FRAGALLOC_FAKE returns a memfd, and the fragalloc ioctls on it are
 * emulated (batches are ranges of the memfd, so mmap works). Only what the
 * CLI needs; not a model of the module's placement. NUMA: one node, node 0
 * (FRAGALLOC_FAKE_NONODES: a module without node support;
 * FRAGALLOC_FAKE_NODEFULL: node 0 is full for --thisnode requests).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/fragalloc.h>

#define MAXB 4096
static int fake_fd = -1;
static struct { int live; uint64_t pages, present, off; uint32_t mob, pol; } b[MAXB];
static uint32_t nb;
static uint64_t next_off, used, rc_runs;

static int is_fake(const char *path)
{
	const char *f = getenv("FRAGALLOC_FAKE");

	return f && path && !strcmp(path, f);
}

static int fake_open(void)
{
	fake_fd = memfd_create("fragalloc-fake", MFD_CLOEXEC);
	return fake_fd;
}

int open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	va_list ap;
	mode_t mode;

	if (is_fake(path))
		return fake_open();
	if (!real)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	va_start(ap, flags);
	mode = va_arg(ap, mode_t);
	va_end(ap);
	return real(path, flags, mode);
}

/* On LP64 open64 is open (glibc makes one an alias of the other): so here. */
_Static_assert(sizeof(off_t) == 8, "open64 as an alias of open needs LP64");
int open64(const char *path, int flags, ...) __attribute__((alias("open")));

static int fail(int e) { errno = e; return -1; }

/* The node fields: 0, or the errno of the module's checks (node 0 only). */
static int node_check(uint32_t flags, int32_t node, uint32_t node_flag)
{
	int nodes = !getenv("FRAGALLOC_FAKE_NONODES");

	if ((flags & node_flag) && !nodes)
		return EINVAL;	/* an old module: an unknown flag bit */
	if (!(flags & node_flag) && node)
		return EINVAL;
	if ((flags & node_flag) && node != 0 &&
	    (node_flag == FRAGALLOC_STATS_NODE || node != -1))
		return EINVAL;
	return 0;
}

static int alloc_node_check(const struct fragalloc_alloc *a)
{
	int e = node_check(a->flags, a->node, FRAGALLOC_ALLOC_NODE);

	if (e)
		return e;
	if ((a->flags & FRAGALLOC_ALLOC_THISNODE) &&
	    (!(a->flags & FRAGALLOC_ALLOC_NODE) || a->node < 0))
		return EINVAL;
	if ((a->flags & FRAGALLOC_ALLOC_THISNODE) && getenv("FRAGALLOC_FAKE_NODEFULL"))
		return ENOMEM;
	return 0;
}

/* the index of batch HANDLE (handles count from 1), or -1: no live batch */
static int batch_of(uint32_t handle)
{
	return handle && handle <= nb && b[handle - 1].live ? (int)handle - 1 : -1;
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd != fake_fd || fd < 0) {
		if (!real)
			real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
		return real(fd, req, arg);
	}
	if (req == FRAGALLOC_IOC_INFO) {
		struct fragalloc_info *in = arg;

		in->out_abi_version = FRAGALLOC_ABI_VERSION;
		in->out_page_size = 4096;
		in->out_pageblock_order = 9;
		in->out_nr_mobility = FRAGALLOC_NR_MOBILITY;
		in->out_features = 0xf;
		if (!getenv("FRAGALLOC_FAKE_NONODES")) {
			in->out_features |= FRAGALLOC_FEAT_NODES;
			in->out_nr_node_ids = 1;
			in->out_stats_flags = FRAGALLOC_STATS_FLAGS_MASK;
		}
		in->out_max_batch_pages = 1 << 20;
		in->out_max_fd_pages = getenv("FRAGALLOC_FAKE_MAXFD") ? 64 : 0;
		in->out_alloc_flags = FRAGALLOC_ALLOC_FLAGS_MASK;
		in->out_free_flags = FRAGALLOC_FREE_FLAGS_MASK;
		return 0;
	}
	if (req == FRAGALLOC_IOC_ALLOC) {
		struct fragalloc_alloc *a = arg;
		int e = alloc_node_check(a);

		if (e)
			return fail(e);
		if (!a->nr_pages || a->mobility >= FRAGALLOC_NR_MOBILITY ||
		    a->policy >= FRAGALLOC_NR_POLICIES || (a->flags & ~FRAGALLOC_ALLOC_FLAGS_MASK) ||
		    ((a->flags & FRAGALLOC_ALLOC_STRICT) && a->policy))
			return fail(EINVAL);
		if (getenv("FRAGALLOC_FAKE_MAXFD") && used + a->nr_pages > 64)
			return fail(ENOSPC);
		if (getenv("FRAGALLOC_FAKE_MEMLOCK") && used + a->nr_pages > 16)
			return fail(EDQUOT);
		if (nb == MAXB)
			return fail(ENOMEM);
		b[nb].live = 1;
		b[nb].pages = b[nb].present = a->nr_pages;
		b[nb].off = next_off;
		b[nb].mob = a->mobility;
		b[nb].pol = a->policy;
		next_off += a->nr_pages * 4096;
		if (ftruncate(fd, (off_t)next_off))
			return fail(ENOMEM);
		used += a->nr_pages;
		a->out_handle = nb + 1;
		a->out_nr_pages = a->nr_pages;
		a->out_nr_blocks = (a->nr_pages + 511) / 512;
		a->out_nr_loose = 0;
		a->out_mmap_offset = b[nb].off;
		nb++;
		return 0;
	}
	if (req == FRAGALLOC_IOC_FREE) {
		struct fragalloc_free *f = arg;
		int h = batch_of(f->handle);

		if (h < 0)
			return fail(ENOENT);
		if (f->flags & FRAGALLOC_FREE_RANGE) {
			if (!f->nr_pages || f->first_page >= b[h].pages ||
			    f->nr_pages > b[h].pages - f->first_page)
				return fail(EINVAL);
			/* approximate: no hole tracking */
			f->out_nr_freed = f->nr_pages < b[h].present ? f->nr_pages : b[h].present;
			b[h].present -= f->out_nr_freed;
			used -= f->out_nr_freed;
			return 0;
		}
		used -= b[h].present;
		b[h].live = 0;
		f->out_nr_freed = b[h].present;
		return 0;
	}
	if (req == FRAGALLOC_IOC_BATCH_INFO) {
		struct fragalloc_batch_info *bi = arg;
		int h = batch_of(bi->handle);

		if (h < 0)
			return fail(ENOENT);
		bi->out_nr_pages = b[h].pages;
		bi->out_nr_present = b[h].present;
		bi->out_nr_blocks = (b[h].present + 511) / 512;
		bi->out_mmap_offset = b[h].off;
		bi->out_mobility = b[h].mob;
		bi->out_policy = b[h].pol;
		if ((bi->flags & FRAGALLOC_BATCH_INFO_NODES) && getenv("FRAGALLOC_FAKE_NONODES"))
			return fail(EINVAL);
		if ((bi->flags & FRAGALLOC_BATCH_INFO_NODES) && bi->nr_node_pages)
			*(uint64_t *)(uintptr_t)bi->node_pages = b[h].present;
		bi->out_nr_nodes = b[h].present ? 1 : 0;
		return 0;
	}
	if (req == FRAGALLOC_IOC_STATS) {
		struct fragalloc_stats *s = arg;
		int e = node_check(s->flags, s->node, FRAGALLOC_STATS_NODE);

		if (e)
			return fail(e);
		s->out_pages_used[0] = used;
		s->out_blocks[0] = (used + 511) / 512;
		s->out_fd_pages = used;
		s->out_recompact_runs = rc_runs;
		return 0;
	}
	if (req == FRAGALLOC_IOC_RECOMPACT) {
		struct fragalloc_recompact *r = arg;

		if (r->scope >= FRAGALLOC_NR_SCOPES)
			return fail(EINVAL);
		r->out_blocks_before = r->out_blocks_after = (used + 511) / 512;
		if (!(r->flags & FRAGALLOC_RECOMPACT_DRY_RUN))
			rc_runs++;
		return 0;
	}
	return fail(ENOTTY);
}
