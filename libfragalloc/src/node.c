// SPDX-License-Identifier: MIT
/*
 * libfragalloc: NUMA nodes (FRAGALLOC_1.3): ALLOC on a node, a batch's
 * pages per node, STATS of one node's pool, and the nodes with memory.
 *
 * Copyright (C) 2026 The fragalloc authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define FA_NODE_LIST_PATH	"/sys/devices/system/node/has_memory"

/* A module without node support refuses the node fields with EINVAL. */
static int fa_need_nodes(const struct fragalloc *h)
{
	return h->features & FRAGALLOC_FEAT_NODES ? 0 : -EOPNOTSUPP;
}

FA_EXPORT int fragalloc_alloc_node(struct fragalloc *h, uint64_t nr_pages,
				   enum fragalloc_mobility mobility,
				   enum fragalloc_policy policy, uint32_t flags,
				   int node, struct fragalloc_batch *out)
{
	int ret;

	if (!h || !out || node < FRAGALLOC_NODE_DEFAULT ||
	    (flags & FRAGALLOC_ALLOC_NODE))
		return -EINVAL;
	/* the default node needs no flag: old modules do the same */
	if (node == FRAGALLOC_NODE_DEFAULT && !(flags & FRAGALLOC_ALLOC_THISNODE))
		return fa_alloc(h, nr_pages, mobility, policy, flags, 0, out);
	if (node == FRAGALLOC_NODE_DEFAULT)
		return -EINVAL;	/* strict needs a node to be strict about */
	ret = fa_need_nodes(h);
	if (ret)
		return ret;
	return fa_alloc(h, nr_pages, mobility, policy,
			flags | FRAGALLOC_ALLOC_NODE, node, out);
}

FA_EXPORT int fragalloc_batch_nodes(struct fragalloc *h, uint32_t handle,
				    uint64_t *node_pages, size_t nr_node_pages,
				    uint32_t *nr_nodes)
{
	struct fragalloc_batch_info a = {
		.flags = FRAGALLOC_BATCH_INFO_NODES,
		.handle = handle,
		.node_pages = (uint64_t)(uintptr_t)node_pages,
	};
	int ret;

	if (!h || (!node_pages && nr_node_pages) || nr_node_pages > UINT32_MAX)
		return -EINVAL;
	ret = fa_need_nodes(h);
	if (ret)
		return ret;
	a.nr_node_pages = (uint32_t)nr_node_pages;
	ret = fa_ioctl_sized(h->fd, FRAGALLOC_IOC_BATCH_INFO, &a, sizeof(a),
			     FRAGALLOC_BATCH_INFO_SIZE_VER1);
	if (ret)
		return ret;
	if (nr_nodes)
		*nr_nodes = a.out_nr_nodes;
	return 0;
}

FA_EXPORT int fragalloc_stats_node(struct fragalloc *h, int node,
				   struct fragalloc_stats *out)
{
	struct fragalloc_stats a = {
		.flags = FRAGALLOC_STATS_NODE,
		.node = node,
	};
	int ret;

	if (!h || !out || node < FRAGALLOC_NODE_DEFAULT)
		return -EINVAL;
	if (node == FRAGALLOC_NODE_DEFAULT)
		return fragalloc_stats(h, out);
	ret = fa_need_nodes(h);
	if (ret)
		return ret;
	ret = fa_ioctl_sized(h->fd, FRAGALLOC_IOC_STATS, &a, sizeof(a),
			     FRAGALLOC_STATS_SIZE_VER1);
	if (!ret)
		*out = a;
	return ret;
}

FA_EXPORT int fragalloc_nr_node_ids(const struct fragalloc *h)
{
	if (!h)
		return -EINVAL;
	if (fa_need_nodes(h))
		return -EOPNOTSUPP;
	return (int)h->nr_node_ids;
}

/* "0-1,3\n" into @ids (up to @max); the count, or -EBADMSG. */
int fa_node_list_parse(const char *s, int *ids, size_t max)
{
	size_t n = 0;

	while (*s && *s != '\n') {
		char *end;
		long a, b;

		if (*s < '0' || *s > '9')
			return -EBADMSG;
		a = strtol(s, &end, 10);
		b = a;
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return -EBADMSG;
			b = strtol(end + 1, &end, 10);
		}
		if (b < a || b >= FRAGALLOC_MAX_NODES)
			return -EBADMSG;
		for (long i = a; i <= b; i++, n++)
			if (n < max)
				ids[n] = (int)i;
		if (*end == ',')
			end++;
		else if (*end && *end != '\n')
			return -EBADMSG;
		s = end;
	}
	return (int)n;
}

FA_EXPORT int fragalloc_memory_nodes(const char *path, int *ids, size_t max)
{
	size_t len;
	char *text;
	int ret;

	if (!ids && max)
		return -EINVAL;
	ret = fa_read_file(path ? path : FA_NODE_LIST_PATH, &text, &len);
	/* a kernel without CONFIG_NUMA has no node directory: node 0 alone */
	if (ret == -ENOENT && !path) {
		if (max)
			ids[0] = 0;
		return 1;
	}
	if (ret)
		return ret;
	ret = fa_node_list_parse(text, ids, max);
	free(text);
	return ret;
}
