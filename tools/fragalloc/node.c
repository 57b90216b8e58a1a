// SPDX-License-Identifier: MIT
/* fragalloc: NUMA nodes: --node, the machine's node list, node errors. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "main.h"

#define NODE_ONLINE_PATH	"/sys/devices/system/node/online"
#define NODE_MEMORY_PATH	"/sys/devices/system/node/has_memory"

int parse_node(const char *cmd, const char *arg, int *node)
{
	uint64_t v;

	if (parse_u64(arg, &v) || v >= FRAGALLOC_MAX_NODES)
		return usage_err("%s: bad --node '%s' (a NUMA node id: 0, 1, ...)",
				 cmd, arg);
	*node = (int)v;
	return 0;
}

int node_list(struct fragalloc *h, int *ids, int max)
{
	int nr = fragalloc_nr_node_ids(h), n, k = 0;

	if (nr == -EOPNOTSUPP)
		return 0;
	if (nr < 0)
		return nr;
	n = fragalloc_memory_nodes(NULL, ids, (size_t)max);
	if (n < 0)
		return n;
	if (n > max)
		n = max;
	for (int i = 0; i < n; i++)
		if (ids[i] < nr)
			ids[k++] = ids[i];
	return k;
}

/* "0-1,3" of ascending @ids */
static void node_list_fmt(const int *ids, int n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0, j; i < n && off < len; i = j + 1) {
		for (j = i; j + 1 < n && ids[j + 1] == ids[j] + 1; j++)
			;
		off += (size_t)snprintf(buf + off, len - off, "%s%d",
					i ? "," : "", ids[i]);
		if (j > i && off < len)
			off += (size_t)snprintf(buf + off, len - off, "-%d", ids[j]);
	}
}

/* Whether @node is in the node list at @path, and that list as text. */
static int node_in(const char *path, int node, char *list, size_t len)
{
	int ids[NODE_MAX_LIST], n, in = 0;

	n = fragalloc_memory_nodes(path, ids, NODE_MAX_LIST);
	if (n < 0) {
		snprintf(list, len, "?");
		return 0;
	}
	if (n > NODE_MAX_LIST)
		n = NODE_MAX_LIST;
	for (int i = 0; i < n; i++)
		in |= ids[i] == node;
	node_list_fmt(ids, n, list, len);
	return in;
}

void node_err(int err, int node, int strict, const char *what)
{
	char online[128], mem[128];

	if (err == -EINVAL && node >= 0 &&
	    !node_in(NODE_ONLINE_PATH, node, online, sizeof(online))) {
		p_hint_err("the online nodes are listed in " NODE_ONLINE_PATH,
			   "%s: node %d is not online (this machine has node%s %s)",
			   what, node, strpbrk(online, ",-") ? "s" : "", online);
	} else if (err == -EINVAL && node >= 0 &&
		   !node_in(NODE_MEMORY_PATH, node, mem, sizeof(mem))) {
		p_hint_err("pick a node with memory (" NODE_MEMORY_PATH ")",
			   "%s: node %d has no memory (nodes with memory: %s)",
			   what, node, mem);
	} else if (err == -ENOMEM && strict) {
		p_hint_err("without --thisnode the other nodes make up the rest",
			   "%s: node %d has no free memory left for it (--thisnode)",
			   what, node);
	} else {
		p_fa_err(err, 0, "%s", what);
	}
}

void node_batch_print(struct fragalloc *h, uint32_t handle)
{
	int ids[NODE_MAX_LIST], n = node_list(h, ids, NODE_MAX_LIST);
	uint64_t pages[FRAGALLOC_MAX_NODES];
	uint32_t nr_nodes = 0;

	memset(pages, 0, sizeof(pages));
	if (n <= 0 || fragalloc_batch_nodes(h, handle, pages, FRAGALLOC_MAX_NODES,
					    &nr_nodes))
		return;
	if (json_output) {
		jw_key(&jw, "nodes");
		jw_obj_start(&jw);
		for (int i = 0; i < n; i++) {
			char key[16];

			snprintf(key, sizeof(key), "%d", ids[i]);
			jw_ku64(&jw, key, pages[ids[i]]);
		}
		jw_obj_end(&jw);
		jw_ku64(&jw, "nr_nodes", nr_nodes);
		return;
	}
	printf("  pages per NUMA node:");
	for (int i = 0; i < n; i++)
		printf("%s node %d: %" PRIu64, i ? "," : "", ids[i],
		       (uint64_t)pages[ids[i]]);
	printf(" (%u node%s)\n", nr_nodes, nr_nodes == 1 ? "" : "s");
}
