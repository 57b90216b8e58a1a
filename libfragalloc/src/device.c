// SPDX-License-Identifier: MIT
/*
 * libfragalloc: /dev/fragalloc ioctl wrappers.
 *
 * Copyright (C) 2026 The fragalloc authors
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

_Static_assert(sizeof(struct fragalloc_info) >= FRAGALLOC_INFO_SIZE_VER1, "info");
_Static_assert(sizeof(struct fragalloc_alloc) >= FRAGALLOC_ALLOC_SIZE_VER1, "alloc");
_Static_assert(sizeof(struct fragalloc_free) >= FRAGALLOC_FREE_SIZE_VER1, "free");
_Static_assert(sizeof(struct fragalloc_batch_info) >= FRAGALLOC_BATCH_INFO_SIZE_VER1,
	       "batch_info");
_Static_assert(sizeof(struct fragalloc_stats) >= FRAGALLOC_STATS_SIZE_VER1, "stats");
_Static_assert(sizeof(struct fragalloc_recompact) >= FRAGALLOC_RECOMPACT_SIZE_VER1,
	       "recompact");

static int fa_sys_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg);
}

fa_ioctl_fn fa_ioctl_hook = fa_sys_ioctl;

static int tail_is_zero(const void *arg, size_t from, size_t to)
{
	const unsigned char *p = arg;

	for (size_t i = from; i < to; i++)
		if (p[i])
			return 0;
	return 1;
}

int fa_ioctl_sized(int fd, unsigned long req, void *arg, size_t size,
		   size_t ver1_size)
{
	uint32_t *psize = arg;
	int ret;

	*psize = (uint32_t)size;
	ret = fa_ioctl_hook(fd, req, arg);
	if (ret >= 0)
		return 0;
	ret = -errno;
	if (ret != -E2BIG || size <= ver1_size)
		return ret;
	/*
	 * The kernel is older than this library and our tail is not zero in
	 * its eyes. If the caller asked for nothing beyond version 1 (the tail
	 * past the first version is zero here too), a version-1 call means the
	 * same thing; otherwise the feature is just not there.
	 */
	if (!tail_is_zero(arg, ver1_size, size))
		return -EOPNOTSUPP;
	*psize = (uint32_t)ver1_size;
	if (fa_ioctl_hook(fd, req, arg) < 0)
		return -errno;
	return 0;
}

#define FA_IOCTL(h, req, s, ver1) \
	fa_ioctl_sized((h)->fd, (req), (s), sizeof(*(s)), (ver1))

FA_EXPORT const char *fragalloc_version(void)
{
	return FRAGALLOC_LIB_VERSION;
}

FA_EXPORT int fragalloc_open(const char *path, struct fragalloc **out)
{
	struct fragalloc_info info;
	struct fragalloc *h;
	int fd, ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!path)
		path = FRAGALLOC_DEFAULT_PATH;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return -ENOMEM;
	}
	h->fd = fd;
	ret = fragalloc_info(h, &info);
	if (ret) {
		/* EINVAL here: something else answering our ioctl numbers */
		if (ret == -EINVAL)
			ret = -ENOTTY;
		close(fd);
		free(h);
		return ret;
	}
	h->page_size = info.out_page_size;
	h->pageblock_order = info.out_pageblock_order;
	h->abi_version = info.out_abi_version;
	if (!h->page_size)
		h->page_size = (uint32_t)sysconf(_SC_PAGESIZE);
	*out = h;
	return 0;
}

FA_EXPORT void fragalloc_close(struct fragalloc *h)
{
	if (!h)
		return;
	close(h->fd);
	free(h);
}

FA_EXPORT int fragalloc_fd(const struct fragalloc *h)
{
	return h ? h->fd : -EINVAL;
}

FA_EXPORT uint32_t fragalloc_page_size(const struct fragalloc *h)
{
	return h ? h->page_size : 0;
}

FA_EXPORT uint32_t fragalloc_pageblock_order(const struct fragalloc *h)
{
	return h ? h->pageblock_order : 0;
}

/*
 * An ioctl that only reads a struct: issued on a zeroed @buf of @size bytes,
 * copied to @out on success only (so that a failed call leaves it alone).
 */
static int fa_query(struct fragalloc *h, unsigned long req, void *buf,
		    size_t size, size_t ver1_size, void *out)
{
	int ret;

	if (!h || !out)
		return -EINVAL;
	memset(buf, 0, size);
	ret = fa_ioctl_sized(h->fd, req, buf, size, ver1_size);
	if (!ret)
		memcpy(out, buf, size);
	return ret;
}

FA_EXPORT int fragalloc_info(struct fragalloc *h, struct fragalloc_info *out)
{
	struct fragalloc_info a;

	return fa_query(h, FRAGALLOC_IOC_INFO, &a, sizeof(a),
			FRAGALLOC_INFO_SIZE_VER1, out);
}

FA_EXPORT int fragalloc_alloc(struct fragalloc *h, uint64_t nr_pages,
			      enum fragalloc_mobility mobility,
			      enum fragalloc_policy policy, uint32_t flags,
			      struct fragalloc_batch *out)
{
	/* uapi structs have no implicit padding: every byte starts zero */
	struct fragalloc_alloc a = {
		.flags = flags,
		.mobility = (uint32_t)mobility,
		.policy = (uint32_t)policy,
		.nr_pages = nr_pages,
	};
	int ret;

	if (!h || !out)
		return -EINVAL;
	ret = FA_IOCTL(h, FRAGALLOC_IOC_ALLOC, &a, FRAGALLOC_ALLOC_SIZE_VER1);
	if (ret)
		return ret;
	*out = (struct fragalloc_batch){
		.handle = a.out_handle,
		.mobility = a.mobility,
		.policy = a.policy,
		.flags = flags,
		.nr_pages = a.out_nr_pages,
		.nr_blocks = a.out_nr_blocks,
		.nr_loose = a.out_nr_loose,
		.mmap_offset = a.out_mmap_offset,
	};
	return 0;
}

static int do_free(struct fragalloc *h, uint32_t flags, uint32_t handle,
		   uint64_t first, uint64_t nr, uint64_t *nr_freed)
{
	struct fragalloc_free a = {
		.flags = flags,
		.handle = handle,
		.first_page = first,
		.nr_pages = nr,
	};
	int ret;

	if (!h)
		return -EINVAL;
	ret = FA_IOCTL(h, FRAGALLOC_IOC_FREE, &a, FRAGALLOC_FREE_SIZE_VER1);
	if (ret)
		return ret;
	if (nr_freed)
		*nr_freed = a.out_nr_freed;
	return 0;
}

FA_EXPORT int fragalloc_free(struct fragalloc *h, uint32_t handle)
{
	return do_free(h, 0, handle, 0, 0, NULL);
}

FA_EXPORT int fragalloc_free_range(struct fragalloc *h, uint32_t handle,
				   uint64_t first_page, uint64_t nr_pages,
				   uint64_t *nr_freed)
{
	return do_free(h, FRAGALLOC_FREE_RANGE, handle, first_page, nr_pages,
		       nr_freed);
}

FA_EXPORT int fragalloc_map(struct fragalloc *h,
			    const struct fragalloc_batch *batch,
			    uint64_t first_page, uint64_t nr_pages, void **addr)
{
	uint64_t len, off;
	void *p;

	if (!h || !batch || !addr)
		return -EINVAL;
	if (first_page >= batch->nr_pages)
		return -EINVAL;
	if (!nr_pages)
		nr_pages = batch->nr_pages - first_page;
	if (nr_pages > batch->nr_pages - first_page)
		return -EINVAL;
	if (nr_pages > SIZE_MAX / h->page_size ||
	    first_page > (UINT64_MAX - batch->mmap_offset) / h->page_size)
		return -EOVERFLOW;
	len = nr_pages * h->page_size;
	off = batch->mmap_offset + first_page * h->page_size;
	if (off > (uint64_t)INT64_MAX)
		return -EOVERFLOW;
	p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED, h->fd,
		 (off_t)off);
	if (p == MAP_FAILED)
		return -errno;
	*addr = p;
	return 0;
}

FA_EXPORT int fragalloc_unmap(struct fragalloc *h, void *addr,
			      uint64_t nr_pages)
{
	if (!h || !addr || !nr_pages || nr_pages > SIZE_MAX / h->page_size)
		return -EINVAL;
	if (munmap(addr, (size_t)(nr_pages * h->page_size)))
		return -errno;
	return 0;
}

FA_EXPORT int fragalloc_batch_info(struct fragalloc *h, uint32_t handle,
				   struct fragalloc_batch_status *out,
				   uint64_t *pfns, size_t nr_pfns)
{
	int want = pfns && nr_pfns;
	struct fragalloc_batch_info a = {
		.flags = want ? FRAGALLOC_BATCH_INFO_PFNS : 0,
		.handle = handle,
		.pfns = want ? (uint64_t)(uintptr_t)pfns : 0,
		.nr_pfns = want ? nr_pfns : 0,
	};
	int ret;

	if (!h || !out || (!pfns && nr_pfns))
		return -EINVAL;
	ret = FA_IOCTL(h, FRAGALLOC_IOC_BATCH_INFO, &a,
		       FRAGALLOC_BATCH_INFO_SIZE_VER1);
	if (ret)
		return ret;
	*out = (struct fragalloc_batch_status){
		.handle = handle,
		.mobility = a.out_mobility,
		.policy = a.out_policy,
		.nr_pages = a.out_nr_pages,
		.nr_present = a.out_nr_present,
		.nr_blocks = a.out_nr_blocks,
		.nr_loose = a.out_nr_loose,
		.mmap_offset = a.out_mmap_offset,
	};
	return 0;
}

FA_EXPORT int fragalloc_stats(struct fragalloc *h, struct fragalloc_stats *out)
{
	struct fragalloc_stats a;

	return fa_query(h, FRAGALLOC_IOC_STATS, &a, sizeof(a),
			FRAGALLOC_STATS_SIZE_VER1, out);
}

FA_EXPORT int fragalloc_recompact(struct fragalloc *h,
				  enum fragalloc_scope scope, uint32_t handle,
				  uint64_t max_pages, uint32_t flags,
				  struct fragalloc_recompact *out)
{
	struct fragalloc_recompact a = {
		.flags = flags,
		.scope = (uint32_t)scope,
		.handle = handle,
		.max_pages = max_pages,
	};
	int ret;

	if (!h)
		return -EINVAL;
	ret = FA_IOCTL(h, FRAGALLOC_IOC_RECOMPACT, &a,
		       FRAGALLOC_RECOMPACT_SIZE_VER1);
	if (ret)
		return ret;
	if (out)
		*out = a;
	return 0;
}

/* ---------------------------------------------------------------------- */

static const char *const mobility_names[FRAGALLOC_NR_MOBILITY] = {
	[FRAGALLOC_UNMOVABLE] = "unmovable",
	[FRAGALLOC_RECLAIMABLE] = "reclaimable",
	[FRAGALLOC_MOVABLE] = "movable",
};

static const char *const policy_names[FRAGALLOC_NR_POLICIES] = {
	[FRAGALLOC_POLICY_COMPACT] = "compact",
	[FRAGALLOC_POLICY_PLAIN] = "plain",
	[FRAGALLOC_POLICY_BULK] = "bulk",
	[FRAGALLOC_POLICY_HIGHORDER] = "highorder",
	[FRAGALLOC_POLICY_MOVABLE] = "movable",
};

static const char *const scope_names[FRAGALLOC_NR_SCOPES] = {
	[FRAGALLOC_SCOPE_BATCH] = "batch",
	[FRAGALLOC_SCOPE_FD] = "fd",
	[FRAGALLOC_SCOPE_POOL] = "pool",
};

static int name_parse(const char *const *names, int n, const char *s)
{
	size_t len;
	int found = -EINVAL;

	if (!s || !*s)
		return -EINVAL;
	len = strlen(s);
	for (int i = 0; i < n; i++) {
		if (!strcasecmp(names[i], s))
			return i;
		if (!strncasecmp(names[i], s, len)) {
			if (found >= 0)
				return -EINVAL;	/* ambiguous */
			found = i;
		}
	}
	return found;
}

FA_EXPORT const char *fragalloc_mobility_name(unsigned int m)
{
	return m < FRAGALLOC_NR_MOBILITY ? mobility_names[m] : NULL;
}

FA_EXPORT const char *fragalloc_policy_name(unsigned int p)
{
	return p < FRAGALLOC_NR_POLICIES ? policy_names[p] : NULL;
}

FA_EXPORT const char *fragalloc_scope_name(unsigned int s)
{
	return s < FRAGALLOC_NR_SCOPES ? scope_names[s] : NULL;
}

FA_EXPORT int fragalloc_mobility_parse(const char *name)
{
	return name_parse(mobility_names, FRAGALLOC_NR_MOBILITY, name);
}

FA_EXPORT int fragalloc_policy_parse(const char *name)
{
	return name_parse(policy_names, FRAGALLOC_NR_POLICIES, name);
}

FA_EXPORT int fragalloc_scope_parse(const char *name)
{
	return name_parse(scope_names, FRAGALLOC_NR_SCOPES, name);
}
