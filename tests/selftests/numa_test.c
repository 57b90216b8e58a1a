// SPDX-License-Identifier: GPL-2.0
/*
 * numa_test: node-aware ALLOC, per-node BATCH_INFO and STATS, and a
 * recompaction that keeps every page on its node, checked against the
 * kernel's own view of each PFN's node (the zone PFN spans of
 * /proc/zoneinfo and, where the kernel has them, the memory blocks under
 * /sys/devices/system/node/nodeN/).
 *
 * Needs a guest with at least two nodes that have memory
 * (tests/vm/run.sh --numa 2); every test SKIPs on a one-node machine.
 */
#include "common.h"

#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

/* TCG is 10-50x slower than native: a hang guard, not a time budget. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 180

#define N_MAX_NODES	64
#define N_MAX_SPANS	512
#define N_MAX_FILL	8192

/* set_mempolicy(2) modes (linux/mempolicy.h), raw: no libnuma needed */
#define N_MPOL_DEFAULT	0
#define N_MPOL_BIND	2

/* A PFN range [start, end) of one node. */
struct n_span {
	int node;
	__u64 start, end;
};

/* The kernel's view of the nodes: who has memory, and which PFNs where. */
struct n_topo {
	int nr;				/* nodes with memory */
	int ids[N_MAX_NODES];		/* their ids, ascending */
	int nr_zone, nr_block;
	struct n_span zone[N_MAX_SPANS];	/* /proc/zoneinfo */
	struct n_span block[N_MAX_SPANS];	/* sysfs memory blocks */
};

/* Parses a node list ("0-1,3") into @ids; returns the count or -1. */
static int n_parse_list(const char *s, int *ids, int max)
{
	int n = 0;

	while (*s) {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end == s)
			return -1;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (long i = a; i <= b && n < max; i++)
			ids[n++] = (int)i;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return n;
}

/* Zone spans: "Node N, zone NAME", then "spanned X", then "start_pfn: Y". */
static int n_read_zoneinfo(struct n_topo *t)
{
	FILE *f = fopen("/proc/zoneinfo", "re");
	char line[256];
	int node = -1;
	__u64 spanned = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;
		int nd;

		if (sscanf(line, "Node %d, zone", &nd) == 1) {
			node = nd;
			spanned = 0;
		} else if (sscanf(line, " spanned %llu", &v) == 1) {
			spanned = v;
		} else if (sscanf(line, " start_pfn: %llu", &v) == 1 &&
			   spanned && t->nr_zone < N_MAX_SPANS) {
			t->zone[t->nr_zone++] = (struct n_span){
				.node = node, .start = v, .end = v + spanned,
			};
		}
	}
	fclose(f);
	return t->nr_zone ? 0 : -ENOENT;
}

/* Memory blocks of node @node (memoryM entries), if the kernel has them. */
static void n_read_blocks(struct n_topo *t, int node, __u64 block_pages)
{
	char path[96];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", node);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)) && t->nr_block < N_MAX_SPANS) {
		unsigned long m;
		char tail;

		if (sscanf(e->d_name, "memory%lu%c", &m, &tail) != 1)
			continue;
		t->block[t->nr_block++] = (struct n_span){
			.node = node, .start = m * block_pages,
			.end = (m + 1) * block_pages,
		};
	}
	closedir(d);
}

static int n_read_topo(struct n_topo *t)
{
	char buf[256];
	int ret;

	memset(t, 0, sizeof(*t));
	ret = t_read_file("/sys/devices/system/node/has_memory", buf, sizeof(buf));
	if (ret)
		return ret;
	t->nr = n_parse_list(buf, t->ids, N_MAX_NODES);
	if (t->nr < 0)
		return -EINVAL;
	ret = n_read_zoneinfo(t);
	if (ret)
		return ret;
	if (!t_read_file("/sys/devices/system/memory/block_size_bytes", buf,
			 sizeof(buf))) {
		__u64 pages = strtoull(buf, NULL, 16) / t_page_size();

		for (int i = 0; pages && i < t->nr; i++)
			n_read_blocks(t, t->ids[i], pages);
	}
	return 0;
}

/* The node whose spans hold @pfn: -1 for none, -2 for several. */
static int n_span_node(const struct n_span *s, int n, __u64 pfn)
{
	int node = -1;

	for (int i = 0; i < n; i++) {
		if (pfn < s[i].start || pfn >= s[i].end || s[i].node == node)
			continue;
		if (node >= 0)
			return -2;
		node = s[i].node;
	}
	return node;
}

/*
 * The node of @pfn by the zone spans; when the kernel also lists memory
 * blocks, they must agree (-3 otherwise).
 */
static int n_pfn_node(const struct n_topo *t, __u64 pfn)
{
	int z = n_span_node(t->zone, t->nr_zone, pfn);

	if (t->nr_block && z >= 0 && n_span_node(t->block, t->nr_block, pfn) != z)
		return -3;
	return z;
}

/* An ALLOC with the node fields: flags include FRAGALLOC_ALLOC_NODE or not. */
static int n_alloc(int fd, __u64 nr, __u32 policy, __u32 flags, int node,
		   struct fragalloc_alloc *a)
{
	t_alloc_init(a, nr, FRAGALLOC_UNMOVABLE, policy, flags);
	a->node = node;
	return t_ioctl(fd, FRAGALLOC_IOC_ALLOC, a);
}

static int n_alloc_on(int fd, __u64 nr, __u32 policy, int node, bool strict,
		      struct fragalloc_alloc *a)
{
	return n_alloc(fd, nr, policy, FRAGALLOC_ALLOC_NODE |
		       (strict ? FRAGALLOC_ALLOC_THISNODE : 0), node, a);
}

/* What a batch's PFNs and BATCH_INFO say about its nodes. */
struct n_where {
	__u64 reported[N_MAX_NODES];	/* BATCH_INFO node_pages */
	__u64 seen[N_MAX_NODES];	/* PFNs on each node, by the kernel's view */
	__u64 unknown;			/* PFNs of no (or several) node */
	__u64 present;
	__u32 out_nr_nodes;
	__u32 nodes_seen;
	__u64 *pfns;			/* the batch's PFNs (caller frees) */
};

/* BATCH_INFO with @flags and the node array (@arr, @nr) as given. */
static int n_bi_nodes(int fd, __u32 h, __u32 flags, __u64 *arr, __u32 nr,
		      __u32 *out_nr_nodes)
{
	struct fragalloc_batch_info bi;
	int ret;

	memset(&bi, 0, sizeof(bi));
	bi.size = sizeof(bi);
	bi.handle = h;
	bi.flags = flags;
	bi.node_pages = (__u64)(uintptr_t)arr;
	bi.nr_node_pages = nr;
	ret = t_ioctl(fd, FRAGALLOC_IOC_BATCH_INFO, &bi);
	if (!ret && out_nr_nodes)
		*out_nr_nodes = bi.out_nr_nodes;
	return ret;
}

static int n_where(int fd, const struct n_topo *t, __u32 h, __u64 nr,
		   struct n_where *w)
{
	struct fragalloc_batch_info bi;
	int ret;

	memset(w, 0, sizeof(*w));
	w->pfns = calloc(nr, sizeof(__u64));
	if (!w->pfns)
		return -ENOMEM;
	ret = t_batch_info(fd, h, w->pfns, nr, &bi);
	if (ret)
		return ret;
	/* the node counts in a second call: each flag alone works too */
	ret = n_bi_nodes(fd, h, FRAGALLOC_BATCH_INFO_NODES, w->reported,
			 N_MAX_NODES, &w->out_nr_nodes);
	if (ret)
		return ret;
	for (__u64 i = 0; i < nr; i++) {
		int node;

		if (w->pfns[i] == FRAGALLOC_PFN_HOLE)
			continue;
		w->present++;
		node = n_pfn_node(t, w->pfns[i]);
		if (node < 0 || node >= N_MAX_NODES) {
			w->unknown++;
			continue;
		}
		if (!w->seen[node]++)
			w->nodes_seen++;
	}
	return 0;
}

static __u64 n_sum(const __u64 *v)
{
	__u64 s = 0;

	for (int i = 0; i < N_MAX_NODES; i++)
		s += v[i];
	return s;
}

static int n_stats_node(int fd, int node, struct fragalloc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->flags = FRAGALLOC_STATS_NODE;
	st->node = node;
	return t_ioctl(fd, FRAGALLOC_IOC_STATS, st);
}

static long n_set_mempolicy(int mode, const unsigned long *mask,
			    unsigned long maxnode)
{
	return syscall(SYS_set_mempolicy, mode, mask, maxnode);
}

/* Pins the caller to the CPUs of @node (its cpulist); 0 or -errno. */
static int n_pin_to_node(int node)
{
	char path[96], buf[256];
	int cpus[256], n, ret;
	cpu_set_t set;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist",
		 node);
	ret = t_read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	n = n_parse_list(buf, cpus, 256);
	if (n <= 0)
		return -ENOENT;
	CPU_ZERO(&set);
	for (int i = 0; i < n; i++)
		CPU_SET(cpus[i], &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static const __u32 n_policies[] = {
	FRAGALLOC_POLICY_COMPACT, FRAGALLOC_POLICY_PLAIN,
	FRAGALLOC_POLICY_BULK, FRAGALLOC_POLICY_HIGHORDER,
};

FIXTURE(numa) {
	int fd;
	struct fragalloc_info info;
	__u64 bs;
	long long params;
	struct n_topo topo;
};

FIXTURE_SETUP(numa)
{
	self->params = t_pin_params();
	self->fd = t_open();
	if (self->fd < 0)
		SKIP(return, "cannot open %s: %s", t_dev_path(), strerror(errno));
	ASSERT_EQ(0, n_read_topo(&self->topo));
	if (self->topo.nr < 2)
		SKIP(return, "%d NUMA node(s) with memory: needs two (tests/vm/run.sh --numa 2)",
		     self->topo.nr);
	ASSERT_EQ(0, t_info(self->fd, &self->info));
	ASSERT_NE(0, self->info.out_features & FRAGALLOC_FEAT_NODES);
	self->bs = 1ULL << self->info.out_pageblock_order;
	TH_LOG("nodes with memory: %d, zone spans %d, memory blocks %d",
	       self->topo.nr, self->topo.nr_zone, self->topo.nr_block);
}

FIXTURE_TEARDOWN(numa)
{
	t_fixture_teardown(_metadata, self->fd, T_ENDS_EMPTY, self->params);
}

/* INFO tells what a caller needs to pick a node. */
TEST_F(numa, info_reports_nodes)
{
	int last = self->topo.ids[self->topo.nr - 1];

	EXPECT_LE((__u32)last + 1, self->info.out_nr_node_ids);
	EXPECT_LE(self->info.out_nr_node_ids, (__u32)N_MAX_NODES);
	EXPECT_EQ(FRAGALLOC_STATS_FLAGS_MASK, self->info.out_stats_flags);
	EXPECT_EQ(FRAGALLOC_ALLOC_FLAGS_MASK, self->info.out_alloc_flags);
	EXPECT_EQ(FRAGALLOC_BATCH_INFO_FLAGS_MASK, self->info.out_batch_info_flags);
}

/*
 * Every policy, every node, strict or not: each PFN lies on the node asked
 * for, and BATCH_INFO counts them there.
 */
TEST_F(numa, pages_land_on_requested_node)
{
	__u64 nr = self->bs + self->bs / 2 + 3;

	for (size_t p = 0; p < ARRAY_SIZE(n_policies); p++) {
		for (int i = 0; i < self->topo.nr; i++) {
			for (int strict = 0; strict < 2; strict++) {
				int node = self->topo.ids[i];
				struct fragalloc_alloc a;
				struct n_where w;

				ASSERT_EQ(0, n_alloc_on(self->fd, nr, n_policies[p],
							node, strict, &a));
				ASSERT_EQ(0, n_where(self->fd, &self->topo,
						     a.out_handle, nr, &w));
				EXPECT_EQ(nr, w.present);
				EXPECT_EQ(0, w.unknown);
				EXPECT_EQ(nr, w.seen[node]);
				EXPECT_EQ(nr, w.reported[node]);
				EXPECT_EQ(nr, n_sum(w.reported));
				EXPECT_EQ(1, w.out_nr_nodes);
				if (w.seen[node] != nr)
					TH_LOG("policy %u node %d strict %d: %llu of %llu pages there",
					       n_policies[p], node, strict,
					       (unsigned long long)w.seen[node],
					       (unsigned long long)nr);
				free(w.pfns);
				ASSERT_EQ(0, t_free(self->fd, a.out_handle));
			}
		}
	}
}

/*
 * Strict batches of @chunk pages of @policy on @node until ENOMEM (or
 * N_MAX_FILL batches in @fill); the last errno, the pages in *@filled.
 */
static int n_fill(int fd, int node, __u32 policy, __u64 chunk, __u32 *fill,
		  int *nfill, __u64 *filled)
{
	struct fragalloc_alloc a;
	int ret = 0;

	while (*nfill < N_MAX_FILL) {
		ret = n_alloc_on(fd, chunk, policy, node, true, &a);
		if (ret)
			break;
		fill[(*nfill)++] = a.out_handle;
		*filled += chunk;
	}
	return ret;
}

/* A strict ALLOC that must fail; one that does not is freed again. */
static int n_strict_fails(int fd, int node, __u32 policy, __u64 nr)
{
	struct fragalloc_alloc a;
	int ret = n_alloc_on(fd, nr, policy, node, true, &a);

	if (!ret)
		t_free(fd, a.out_handle);
	return ret;
}

/*
 * A strict request on a node with no memory left is ENOMEM, nothing is
 * taken elsewhere; the same request without THISNODE falls back to another
 * node, and BATCH_INFO's counts match where its PFNs really are. The node
 * is filled with compact batches of 8 and then 1 pageblock(s), then with
 * plain ones of a pageblock and of one page, so that no policy finds a
 * page left on it.
 */
TEST_F(numa, thisnode_full_node_enomem_then_fallback)
{
	static const struct { __u32 policy; __u64 blocks; } steps[] = {
		{ FRAGALLOC_POLICY_COMPACT, 8 }, { FRAGALLOC_POLICY_COMPACT, 1 },
		{ FRAGALLOC_POLICY_PLAIN, 1 }, { FRAGALLOC_POLICY_PLAIN, 0 },
	};
	int node = self->topo.ids[self->topo.nr - 1], ret = 0, nfill = 0;
	__u32 *fill = calloc(N_MAX_FILL, sizeof(*fill));
	struct fragalloc_stats before, after;
	struct fragalloc_alloc a;
	__u64 filled = 0;
	struct n_where w;

	ASSERT_NE(NULL, fill);
	/*
	 * Again until a round takes nothing: a failed allocation drains the
	 * per-CPU free lists, so the next one may find pages (seen on 6.1).
	 */
	for (__u64 last = ~0ULL; last != filled && (!ret || ret == -ENOMEM);) {
		last = filled;
		for (size_t i = 0; i < ARRAY_SIZE(steps) && (!ret || ret == -ENOMEM); i++)
			ret = n_fill(self->fd, node, steps[i].policy,
				     steps[i].blocks ? steps[i].blocks * self->bs : 1,
				     fill, &nfill, &filled);
	}
	TH_LOG("node %d: %llu pages taken in %d batches before %s", node,
	       (unsigned long long)filled, nfill, strerror(-ret));
	ASSERT_EQ(-ENOMEM, ret);
	ASSERT_LT(0, filled);

	/* strict: ENOMEM, and the pool holds nothing more than before */
	ASSERT_EQ(0, t_stats(self->fd, &before));
	EXPECT_EQ(-ENOMEM, n_strict_fails(self->fd, node, FRAGALLOC_POLICY_COMPACT,
					  self->bs));
	EXPECT_EQ(-ENOMEM, n_strict_fails(self->fd, node, FRAGALLOC_POLICY_PLAIN,
					  self->bs));
	ASSERT_EQ(0, t_stats(self->fd, &after));
	EXPECT_EQ(before.out_fd_pages, after.out_fd_pages);
	EXPECT_EQ(before.out_fd_batches, after.out_fd_batches);

	/*
	 * preferred only: the pages come from another node, with every
	 * policy (the bulk allocator hands out one page per call once the
	 * preferred node is short: it must be called again, not taken as
	 * ENOMEM)
	 */
	for (size_t p = 0; p < ARRAY_SIZE(n_policies); p++) {
		ASSERT_EQ(0, n_alloc_on(self->fd, self->bs, n_policies[p],
					node, false, &a))
			TH_LOG("policy %u", n_policies[p]);
		ASSERT_EQ(0, n_where(self->fd, &self->topo, a.out_handle,
				     self->bs, &w));
		EXPECT_EQ(0, w.unknown);
		EXPECT_GT(self->bs, w.seen[node]);
		for (int i = 0; i < N_MAX_NODES; i++)
			EXPECT_EQ(w.seen[i], w.reported[i]);
		EXPECT_EQ(self->bs, n_sum(w.reported));
		EXPECT_EQ(w.nodes_seen, w.out_nr_nodes);
		free(w.pfns);
		EXPECT_EQ(0, t_free(self->fd, a.out_handle));
	}

	for (int i = 0; i < nfill; i++)
		EXPECT_EQ(0, t_free(self->fd, fill[i]));
	free(fill);
	/* the node has memory again */
	ASSERT_EQ(0, n_alloc_on(self->fd, self->bs, FRAGALLOC_POLICY_COMPACT,
				node, true, &a));
	EXPECT_EQ(0, t_free(self->fd, a.out_handle));
}

#define N_BATCHES	6

/*
 * Batches fragmented on two nodes; a pool-wide RECOMPACT moves pages, yet
 * each page stays on its node, and each node ends packed at its optimum
 * (at most one partial pageblock).
 */
TEST_F(numa, recompact_keeps_pages_on_their_node)
{
	int nodes[2] = { self->topo.ids[0], self->topo.ids[self->topo.nr - 1] };
	__u64 nr = 2 * self->bs, nodes_before[N_BATCHES];
	struct fragalloc_recompact r;
	struct fragalloc_alloc a;
	__u32 h[N_BATCHES];
	struct n_where w;

	for (int k = 0; k < N_BATCHES; k++) {
		ASSERT_EQ(0, n_alloc_on(self->fd, nr, FRAGALLOC_POLICY_COMPACT,
					nodes[k & 1], true, &a));
		h[k] = a.out_handle;
		/* keep every fourth page: three quarters of each block free */
		for (__u64 p = 0; p < nr; p += 4)
			ASSERT_EQ(0, t_free_range(self->fd, h[k], p + 1, 3, NULL));
		nodes_before[k] = nodes[k & 1];
	}
	ASSERT_EQ(0, t_recompact(self->fd, FRAGALLOC_SCOPE_POOL, 0, 0, 0, &r));
	TH_LOG("moved %llu, blocks %llu -> %llu, released %llu",
	       (unsigned long long)r.out_pages_moved,
	       (unsigned long long)r.out_blocks_before,
	       (unsigned long long)r.out_blocks_after,
	       (unsigned long long)r.out_blocks_released);
	EXPECT_LT(0, r.out_pages_moved);
	for (int k = 0; k < N_BATCHES; k++) {
		ASSERT_EQ(0, n_where(self->fd, &self->topo, h[k], nr, &w));
		EXPECT_EQ(nr / 4, w.present);
		EXPECT_EQ(nr / 4, w.seen[nodes_before[k]]);
		EXPECT_EQ(nr / 4, w.reported[nodes_before[k]]);
		EXPECT_EQ(1, w.out_nr_nodes);
		free(w.pfns);
	}
	for (int i = 0; i < 2; i++) {
		struct fragalloc_stats st;
		__u64 used;

		ASSERT_EQ(0, n_stats_node(self->fd, nodes[i], &st));
		used = st.out_pages_used[FRAGALLOC_UNMOVABLE];
		EXPECT_EQ(N_BATCHES / 2 * nr / 4, used);
		EXPECT_EQ(t_div_round_up(used, self->bs),
			  st.out_blocks[FRAGALLOC_UNMOVABLE]);
	}
	for (int k = 0; k < N_BATCHES; k++)
		EXPECT_EQ(0, t_free(self->fd, h[k]));
}

/* Every pool gauge summed over the nodes' STATS is the all-node STATS. */
static void n_expect_sum(struct __test_metadata *_metadata,
			 const struct fragalloc_stats *tot,
			 const struct fragalloc_stats *sum)
{
	for (int c = 0; c < FRAGALLOC_NR_MOBILITY; c++) {
		EXPECT_EQ(tot->out_blocks[c], sum->out_blocks[c]);
		EXPECT_EQ(tot->out_pages_used[c], sum->out_pages_used[c]);
		EXPECT_EQ(tot->out_pages_free[c], sum->out_pages_free[c]);
		EXPECT_EQ(tot->out_loose_pages[c], sum->out_loose_pages[c]);
	}
	for (int b = 0; b < FRAGALLOC_FILL_BUCKETS; b++)
		EXPECT_EQ(tot->out_fill_hist[b], sum->out_fill_hist[b]);
	EXPECT_EQ(tot->out_reserve_blocks, sum->out_reserve_blocks);
	EXPECT_EQ(tot->out_other_pages, sum->out_other_pages);
	EXPECT_EQ(tot->out_blocks_acquired, sum->out_blocks_acquired);
	EXPECT_EQ(tot->out_blocks_released, sum->out_blocks_released);
}

static void n_add(struct fragalloc_stats *sum, const struct fragalloc_stats *s)
{
	for (int c = 0; c < FRAGALLOC_NR_MOBILITY; c++) {
		sum->out_blocks[c] += s->out_blocks[c];
		sum->out_pages_used[c] += s->out_pages_used[c];
		sum->out_pages_free[c] += s->out_pages_free[c];
		sum->out_loose_pages[c] += s->out_loose_pages[c];
	}
	for (int b = 0; b < FRAGALLOC_FILL_BUCKETS; b++)
		sum->out_fill_hist[b] += s->out_fill_hist[b];
	sum->out_reserve_blocks += s->out_reserve_blocks;
	sum->out_other_pages += s->out_other_pages;
	sum->out_blocks_acquired += s->out_blocks_acquired;
	sum->out_blocks_released += s->out_blocks_released;
}

/*
 * Pages on each node (pooled and not) show in that node's STATS, the
 * nodes add up to the totals, and the fd figures stay the fd's.
 */
TEST_F(numa, node_stats_add_up_to_totals)
{
	struct fragalloc_stats tot, sum = { 0 }, st, base[N_MAX_NODES];
	__u32 h[2 * N_MAX_NODES];
	struct fragalloc_alloc a;
	__u64 fd_pages = 0;
	int nh = 0;

	for (int i = 0; i < self->topo.nr; i++)
		ASSERT_EQ(0, n_stats_node(self->fd, self->topo.ids[i], &base[i]));
	for (int i = 0; i < self->topo.nr; i++) {
		__u64 nr = self->bs / 2 + 100 * (i + 1);

		ASSERT_EQ(0, n_alloc_on(self->fd, nr, FRAGALLOC_POLICY_COMPACT,
					self->topo.ids[i], true, &a));
		h[nh++] = a.out_handle;
		ASSERT_EQ(0, n_alloc_on(self->fd, nr + 7, FRAGALLOC_POLICY_PLAIN,
					self->topo.ids[i], true, &a));
		h[nh++] = a.out_handle;
		fd_pages += 2 * nr + 7;
	}
	ASSERT_EQ(0, t_stats(self->fd, &tot));
	for (int i = 0; i < self->topo.nr; i++) {
		__u64 nr = self->bs / 2 + 100 * (i + 1);

		ASSERT_EQ(0, n_stats_node(self->fd, self->topo.ids[i], &st));
		EXPECT_EQ(nr, st.out_pages_used[FRAGALLOC_UNMOVABLE] -
			  base[i].out_pages_used[FRAGALLOC_UNMOVABLE]);
		EXPECT_EQ(nr + 7, st.out_other_pages - base[i].out_other_pages);
		EXPECT_EQ(tot.out_fd_pages, st.out_fd_pages);
		EXPECT_EQ(tot.out_fd_batches, st.out_fd_batches);
		n_add(&sum, &st);
	}
	EXPECT_EQ(fd_pages, tot.out_fd_pages);
	EXPECT_EQ((__u64)nh, tot.out_fd_batches);
	n_expect_sum(_metadata, &tot, &sum);
	for (int i = 0; i < nh; i++)
		EXPECT_EQ(0, t_free(self->fd, h[i]));
}

/* The default node (no NODE flag, or node -1) honours MPOL_BIND. */
TEST_F(numa, mempolicy_bind_is_honoured_by_default)
{
	__u64 nr = self->bs + 5;

	for (int i = 0; i < self->topo.nr; i++) {
		int node = self->topo.ids[i];
		unsigned long mask = 1UL << node;

		ASSERT_EQ(0, n_set_mempolicy(N_MPOL_BIND, &mask, N_MAX_NODES + 1));
		for (size_t p = 0; p < 2; p++) {
			for (int byflag = 0; byflag < 2; byflag++) {
				struct fragalloc_alloc a;
				struct n_where w;

				ASSERT_EQ(0, n_alloc(self->fd, nr, n_policies[p],
						     byflag ? FRAGALLOC_ALLOC_NODE : 0,
						     byflag ? -1 : 0, &a));
				ASSERT_EQ(0, n_where(self->fd, &self->topo,
						     a.out_handle, nr, &w));
				EXPECT_EQ(nr, w.seen[node]);
				EXPECT_EQ(nr, w.reported[node]);
				free(w.pfns);
				ASSERT_EQ(0, t_free(self->fd, a.out_handle));
			}
		}
		ASSERT_EQ(0, n_set_mempolicy(N_MPOL_DEFAULT, NULL, 0));
	}
}

/* Without a policy, the default node is the local one of the caller's CPU. */
TEST_F(numa, default_is_the_local_node)
{
	__u64 nr = self->bs + 5;

	for (int i = 0; i < self->topo.nr; i++) {
		int node = self->topo.ids[i];
		struct fragalloc_alloc a;
		struct n_where w;
		char path[96];

		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist",
			 node);
		if (access(path, R_OK))
			continue;
		ASSERT_EQ(0, n_pin_to_node(node));
		ASSERT_EQ(0, n_alloc(self->fd, nr, FRAGALLOC_POLICY_COMPACT, 0, 0, &a));
		ASSERT_EQ(0, n_where(self->fd, &self->topo, a.out_handle, nr, &w));
		EXPECT_EQ(nr, w.seen[node]);
		EXPECT_EQ(nr, w.reported[node]);
		free(w.pfns);
		ASSERT_EQ(0, t_free(self->fd, a.out_handle));
	}
}

/*
 * Node @node filled with plain batches (pageblock-sized, then single
 * pages), every other page of the former given back: the node has free
 * pages, but no free pageblock the buddy allocator could hand out without
 * moving kernel pages. The batches' handles in @fill; the errno of the fill.
 */
static int n_fragment_node(int fd, int node, __u64 bs, __u32 *fill, int *nfill)
{
	__u64 filled = 0;
	int ret = 0;

	for (__u64 last = ~0ULL; last != filled && (!ret || ret == -ENOMEM);) {
		last = filled;
		ret = n_fill(fd, node, FRAGALLOC_POLICY_PLAIN, bs, fill, nfill,
			     &filled);
		if (!ret || ret == -ENOMEM)
			ret = n_fill(fd, node, FRAGALLOC_POLICY_PLAIN, 1, fill,
				     nfill, &filled);
	}
	if (ret != -ENOMEM)
		return ret ? ret : -ENOSPC;
	for (int i = 0; i < *nfill; i++) {
		struct fragalloc_batch_info bi;

		ret = t_batch_info(fd, fill[i], NULL, 0, &bi);
		if (ret)
			return ret;
		for (__u64 p = 1; bi.out_nr_pages > 1 && p < bi.out_nr_pages;
		     p += 2) {
			ret = t_free_range(fd, fill[i], p, 1, NULL);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Logs node @node's lines of /proc/buddyinfo (free blocks per order). */
static void n_log_buddyinfo(int node)
{
	char line[256], want[32];
	FILE *f = fopen("/proc/buddyinfo", "re");

	if (!f)
		return;
	snprintf(want, sizeof(want), "Node %d,", node);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)))
			fprintf(stderr, "# %s", line);
	fclose(f);
}

/*
 * A request that may fall back takes the whole pageblocks another node has
 * free before it breaks its first node into loose pages: from a CPU of a
 * node with free pages but hardly a free pageblock (what the watermarks
 * kept from the fill), a default compact ALLOC of 48 pageblocks gets whole
 * pageblocks only, most of them from the other node.
 */
TEST_F_TIMEOUT(numa, fallback_takes_free_blocks_before_loose_pages, 600)
{
	int a_node = self->topo.ids[0], b_node = self->topo.ids[1], nfill = 0;
	__u32 *fill = calloc(N_MAX_FILL, sizeof(*fill));
	__u64 nr = 48 * self->bs, pool_free;
	struct fragalloc_stats st;
	struct fragalloc_alloc a;
	char cpus[96];
	struct n_where w;

	ASSERT_NE(NULL, fill);
	snprintf(cpus, sizeof(cpus), "/sys/devices/system/node/node%d/cpulist",
		 a_node);
	if (access(cpus, R_OK))
		SKIP(free(fill); return, "node %d has no CPU", a_node);
	ASSERT_EQ(0, n_fragment_node(self->fd, a_node, self->bs, fill, &nfill));
	/* what node A's pool holds free needs no buddy allocation at all */
	ASSERT_EQ(0, n_stats_node(self->fd, a_node, &st));
	pool_free = st.out_reserve_blocks * self->bs;
	for (int c = 0; c < FRAGALLOC_NR_MOBILITY; c++)
		pool_free += st.out_pages_free[c];
	TH_LOG("node %d: %d plain batches, every other page freed; pool free %llu",
	       a_node, nfill, (unsigned long long)pool_free);
	n_log_buddyinfo(a_node);

	ASSERT_EQ(0, n_pin_to_node(a_node));
	ASSERT_EQ(0, n_alloc(self->fd, nr, FRAGALLOC_POLICY_COMPACT, 0, 0, &a));
	ASSERT_EQ(0, n_where(self->fd, &self->topo, a.out_handle, nr, &w));
	TH_LOG("%llu pages: %llu on node %d, %llu on node %d, %llu loose",
	       (unsigned long long)nr, (unsigned long long)w.seen[a_node],
	       a_node, (unsigned long long)w.seen[b_node], b_node,
	       (unsigned long long)a.out_nr_loose);
	EXPECT_EQ(0, a.out_nr_loose);
	EXPECT_EQ(nr, w.seen[a_node] + w.seen[b_node]);
	EXPECT_LT(nr / 2, w.seen[b_node]);
	free(w.pfns);
	EXPECT_EQ(0, t_free(self->fd, a.out_handle));
	for (int i = 0; i < nfill; i++)
		EXPECT_EQ(0, t_free(self->fd, fill[i]));
	free(fill);
}

#define N_CG_ROOT	"/sys/fs/cgroup"

/*
 * A cgroup v2 cpuset with cpuset.mems = @node, in @dir; mounts cgroup2
 * (*@mounted) if needed. 0, or a reason to skip.
 */
static const char *n_cpuset_make(char *dir, size_t len, int node, bool *mounted)
{
	char path[192], val[16];
	struct statfs sfs;

	*mounted = false;
	if (geteuid())
		return "needs root";
	if (statfs(N_CG_ROOT, &sfs) || sfs.f_type != 0x63677270 /* CGROUP2 */) {
		mkdir(N_CG_ROOT, 0755);
		if (mount("cgroup2", N_CG_ROOT, "cgroup2", 0, NULL))
			return "cannot mount cgroup2";
		*mounted = true;
	}
	if (t_write_file(N_CG_ROOT "/cgroup.subtree_control", "+cpuset"))
		return "no cpuset controller (CONFIG_CPUSETS)";
	snprintf(dir, len, N_CG_ROOT "/fa_numa_test.%d", (int)getpid());
	if (mkdir(dir, 0755))
		return "cannot make a cgroup";
	snprintf(path, sizeof(path), "%s/cpuset.mems", dir);
	snprintf(val, sizeof(val), "%d", node);
	if (t_write_file(path, val)) {
		rmdir(dir);
		return "cannot set cpuset.mems";
	}
	return NULL;
}

/*
 * In a cpuset whose mems are node @in only, from a CPU of node @out: an
 * explicit @out is EINVAL, with or without THISNODE; @in works; the default
 * of each policy stays in the cpuset although @out is the local node.
 * res[]: 0 errno of NODE @out, 1 of NODE|THISNODE @out, 2 of NODE @in,
 * 3.. pages of each policy's default batch found on @in (-errno).
 */
static void n_cpuset_child(const struct n_topo *t, const char *dir, int in,
			   int out, __u64 nr, long long *res)
{
	struct fragalloc_alloc a;
	char path[192], me[16];
	struct n_where w;
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(me, sizeof(me), "%d", (int)getpid());
	if (t_write_file(path, me))
		_exit(10);
	fd = t_open();
	if (fd < 0)
		_exit(11);
	res[0] = n_alloc_on(fd, 1, FRAGALLOC_POLICY_COMPACT, out, false, &a);
	res[1] = n_alloc_on(fd, 1, FRAGALLOC_POLICY_PLAIN, out, true, &a);
	res[2] = n_alloc_on(fd, 1, FRAGALLOC_POLICY_COMPACT, in, false, &a);
	if (!res[2] && t_free(fd, a.out_handle))
		_exit(12);
	if (n_pin_to_node(out))
		_exit(13);
	for (size_t p = 0; p < ARRAY_SIZE(n_policies); p++) {
		res[3 + p] = n_alloc(fd, nr, n_policies[p], 0, 0, &a);
		if (res[3 + p])
			continue;
		res[3 + p] = n_where(fd, t, a.out_handle, nr, &w);
		if (!res[3 + p])
			res[3 + p] = w.seen[in];
		free(w.pfns);
		if (t_free(fd, a.out_handle))
			_exit(14);
	}
	close(fd);
	_exit(0);
}

/* The task's cpuset bounds ALLOC's nodes, as it bounds set_mempolicy(). */
TEST_F(numa, cpuset_mems_are_honoured)
{
	int in = self->topo.ids[0], out = self->topo.ids[1];
	__u64 nr = self->bs + 5;
	const char *why;
	long long *res;
	char dir[128], cpus[96];
	bool mounted;
	pid_t pid;

	snprintf(cpus, sizeof(cpus), "/sys/devices/system/node/node%d/cpulist",
		 out);
	if (access(cpus, R_OK))
		SKIP(return, "node %d has no CPU", out);
	why = n_cpuset_make(dir, sizeof(dir), in, &mounted);
	if (why) {
		if (mounted)
			umount(N_CG_ROOT);
		SKIP(return, "%s", why);
	}
	res = t_shared_alloc(4096);
	ASSERT_NE(NULL, res);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		n_cpuset_child(&self->topo, dir, in, out, nr, res);
	EXPECT_EQ(0, t_wait(pid)) TH_LOG("10: cgroup.procs, 11: open, 12-14");
	EXPECT_EQ(-EINVAL, res[0]);
	EXPECT_EQ(-EINVAL, res[1]);
	EXPECT_EQ(0, res[2]);
	for (size_t p = 0; p < ARRAY_SIZE(n_policies); p++) {
		EXPECT_EQ((long long)nr, res[3 + p])
			TH_LOG("policy %u: %lld of %llu pages on node %d",
			       n_policies[p], res[3 + p],
			       (unsigned long long)nr, in);
	}
	EXPECT_EQ(0, rmdir(dir));
	if (mounted)
		umount(N_CG_ROOT);
}

/* The node errnos of ALLOC, STATS and BATCH_INFO. */
TEST_F(numa, node_errnos)
{
	int bad[] = { (int)self->info.out_nr_node_ids, N_MAX_NODES * 16, INT_MAX,
		      -2, INT_MIN };
	int node = self->topo.ids[self->topo.nr - 1];
	__u64 counts[2] = { 0, ~0ULL };
	struct fragalloc_stats st;
	struct fragalloc_alloc a;
	__u32 nr_nodes = 0;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, n_alloc_on(self->fd, 1, FRAGALLOC_POLICY_COMPACT,
					      bad[i], false, &a));
		EXPECT_EQ(-EINVAL, n_alloc_on(self->fd, 1, FRAGALLOC_POLICY_PLAIN,
					      bad[i], true, &a));
		if (bad[i] >= 0)
			EXPECT_EQ(-EINVAL, n_stats_node(self->fd, bad[i], &st));
	}
	/* an id below nr_node_ids without memory (none on most guests) */
	for (int id = 0; id < (int)self->info.out_nr_node_ids; id++) {
		bool mem = false;

		for (int i = 0; i < self->topo.nr; i++)
			mem |= self->topo.ids[i] == id;
		if (!mem)
			EXPECT_EQ(-EINVAL, n_alloc_on(self->fd, 1,
						      FRAGALLOC_POLICY_COMPACT,
						      id, false, &a));
	}
	EXPECT_EQ(-EINVAL, n_stats_node(self->fd, -1, &st));
	/* THISNODE needs NODE and a real node; a node needs NODE */
	EXPECT_EQ(-EINVAL, n_alloc(self->fd, 1, FRAGALLOC_POLICY_COMPACT,
				   FRAGALLOC_ALLOC_THISNODE, node, &a));
	EXPECT_EQ(-EINVAL, n_alloc(self->fd, 1, FRAGALLOC_POLICY_COMPACT,
				   FRAGALLOC_ALLOC_THISNODE, 0, &a));
	EXPECT_EQ(-EINVAL, n_alloc_on(self->fd, 1, FRAGALLOC_POLICY_COMPACT, -1,
				      true, &a));
	EXPECT_EQ(-EINVAL, n_alloc(self->fd, 1, FRAGALLOC_POLICY_COMPACT, 0,
				   node, &a));
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.node = node;
	EXPECT_EQ(-EINVAL, t_ioctl(self->fd, FRAGALLOC_IOC_STATS, &st));

	/* BATCH_INFO: the node array needs its flag; a short one is respected */
	ASSERT_EQ(0, n_alloc_on(self->fd, 3, FRAGALLOC_POLICY_COMPACT, node, true, &a));
	EXPECT_EQ(-EINVAL, n_bi_nodes(self->fd, a.out_handle, 0, counts, 0, NULL));
	EXPECT_EQ(-EINVAL, n_bi_nodes(self->fd, a.out_handle, 0, NULL, 1, NULL));
	EXPECT_EQ(0, n_bi_nodes(self->fd, a.out_handle, FRAGALLOC_BATCH_INFO_NODES,
				counts, 1, &nr_nodes));
	EXPECT_EQ(1, nr_nodes);
	EXPECT_EQ(node ? 0 : 3, counts[0]);
	EXPECT_EQ(~0ULL, counts[1]);
	EXPECT_EQ(0, t_free(self->fd, a.out_handle));
}

TEST_HARNESS_MAIN
