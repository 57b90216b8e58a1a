// SPDX-License-Identifier: MIT
/* fragalloc stats [--watch SECONDS]: pool statistics. */
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "main.h"

static int usage(void)
{
	printf("Usage: %s stats [--node N] [--watch SECONDS] [--json|--pretty] [--device PATH]\n"
	       "Pool-wide statistics of the compact pool, per mobility class, and\n"
	       "per NUMA node (\"nodes\" with --json) when the module has nodes.\n"
	       "With --node N, the figures of node N's pool only (the fd figures\n"
	       "stay this fd's). With --watch, repeat every SECONDS until\n"
	       "interrupted (with --json: one JSON object per line).\n", bin_name);
	return EXIT_OK;
}

static void arr3(const char *key, const __u64 *v)
{
	jw_key(&jw, key);
	jw_obj_start(&jw);
	for (unsigned int m = 0; m < FRAGALLOC_NR_MOBILITY; m++)
		jw_ku64(&jw, fragalloc_mobility_name(m), v[m]);
	jw_obj_end(&jw);
}

/* The members of one STATS object (the caller opens and closes it). */
static void print_json(const struct fragalloc_stats *s)
{
	jw_ki64(&jw, "time", (int64_t)time(NULL));
	arr3("blocks", s->out_blocks);
	arr3("pages_used", s->out_pages_used);
	arr3("pages_free", s->out_pages_free);
	arr3("loose_pages", s->out_loose_pages);
	jw_ku64(&jw, "reserve_blocks", s->out_reserve_blocks);
	jw_key(&jw, "fill_hist");
	jw_arr_start(&jw);
	for (int i = 0; i < FRAGALLOC_FILL_BUCKETS; i++)
		jw_u64(&jw, s->out_fill_hist[i]);
	jw_arr_end(&jw);
	jw_ku64(&jw, "fallbacks", s->out_fallbacks);
	jw_ku64(&jw, "blocks_acquired", s->out_blocks_acquired);
	jw_ku64(&jw, "blocks_released", s->out_blocks_released);
	jw_ku64(&jw, "other_pages", s->out_other_pages);
	jw_ku64(&jw, "recompact_runs", s->out_recompact_runs);
	jw_ku64(&jw, "recompact_moved", s->out_recompact_moved);
	jw_ku64(&jw, "fd_batches", s->out_fd_batches);
	jw_ku64(&jw, "fd_pages", s->out_fd_pages);
	jw_ku64(&jw, "meta_bytes", s->out_meta_bytes);
	jw_ku64(&jw, "auto_recompact_runs", s->out_auto_recompact_runs);
	jw_ku64(&jw, "auto_pages_released", s->out_auto_pages_released);
	jw_ku64(&jw, "idle_pages", s->out_idle_pages);
	jw_ku64(&jw, "reclaimable_pages", s->out_reclaimable_pages);
	jw_ku64(&jw, "shrink_runs", s->out_shrink_runs);
	jw_ku64(&jw, "shrink_pages", s->out_shrink_pages);
	jw_ku64(&jw, "shrink_blocks_broken", s->out_shrink_blocks_broken);
}

static uint64_t sum3(const __u64 *v)
{
	return (uint64_t)(v[0] + v[1] + v[2]);
}

/* One node's pool figures: a "nodes" element, or a row of the table. */
static void print_node(int node, const struct fragalloc_stats *s)
{
	if (json_output) {
		jw_obj_start(&jw);
		jw_ki64(&jw, "node", node);
		arr3("blocks", s->out_blocks);
		arr3("pages_used", s->out_pages_used);
		arr3("pages_free", s->out_pages_free);
		arr3("loose_pages", s->out_loose_pages);
		jw_ku64(&jw, "reserve_blocks", s->out_reserve_blocks);
		jw_ku64(&jw, "other_pages", s->out_other_pages);
		jw_ku64(&jw, "idle_pages", s->out_idle_pages);
		jw_obj_end(&jw);
		return;
	}
	printf("%-6d %10" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64
	       " %12" PRIu64 " %8" PRIu64 "\n", node, sum3(s->out_blocks),
	       sum3(s->out_pages_used), sum3(s->out_pages_free),
	       sum3(s->out_loose_pages), (uint64_t)s->out_other_pages,
	       (uint64_t)s->out_reserve_blocks);
}

/* Every node's figures (nothing on a module without nodes); 0 or -errno. */
static int print_nodes(struct fragalloc *h)
{
	int ids[NODE_MAX_LIST], n = node_list(h, ids, NODE_MAX_LIST), ret = 0;
	struct fragalloc_stats s;

	if (n <= 0)
		return n;
	if (json_output) {
		jw_key(&jw, "nodes");
		jw_arr_start(&jw);
	} else {
		printf("per NUMA node (all classes):\n%-6s %10s %12s %12s %12s %12s %8s\n",
		       "node", "blocks", "pages_used", "pages_free", "loose_pages",
		       "other_pages", "reserve");
	}
	for (int i = 0; i < n && !ret; i++) {
		ret = fragalloc_stats_node(h, ids[i], &s);
		if (!ret)
			print_node(ids[i], &s);
	}
	if (json_output)
		jw_arr_end(&jw);
	return ret;
}

static void print_text(const struct fragalloc_stats *s)
{
	printf("%-12s %10s %12s %12s %12s\n", "class", "blocks", "pages_used",
	       "pages_free", "loose_pages");
	for (unsigned int m = 0; m < FRAGALLOC_NR_MOBILITY; m++)
		printf("%-12s %10" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n",
		       fragalloc_mobility_name(m), (uint64_t)s->out_blocks[m],
		       (uint64_t)s->out_pages_used[m], (uint64_t)s->out_pages_free[m],
		       (uint64_t)s->out_loose_pages[m]);
	printf("fill (eighths):");
	for (int i = 0; i < FRAGALLOC_FILL_BUCKETS; i++)
		printf(" %" PRIu64, (uint64_t)s->out_fill_hist[i]);
	printf("  (last = full blocks)\n");
	printf("reserve blocks %" PRIu64 ", fallbacks %" PRIu64
	       ", blocks acquired %" PRIu64 " / released %" PRIu64 "\n",
	       (uint64_t)s->out_reserve_blocks, (uint64_t)s->out_fallbacks,
	       (uint64_t)s->out_blocks_acquired, (uint64_t)s->out_blocks_released);
	printf("other-policy pages %" PRIu64 ", recompactions %" PRIu64
	       " (%" PRIu64 " pages moved), metadata %" PRIu64 " bytes\n",
	       (uint64_t)s->out_other_pages, (uint64_t)s->out_recompact_runs,
	       (uint64_t)s->out_recompact_moved, (uint64_t)s->out_meta_bytes);
	printf("idle: %" PRIu64 " pages (%.1f MB) owned but not handed out, %"
	       PRIu64 " (%.1f MB) reclaimable under pressure\n",
	       (uint64_t)s->out_idle_pages,
	       (double)s->out_idle_pages * (double)sysconf(_SC_PAGESIZE) / 1e6,
	       (uint64_t)s->out_reclaimable_pages,
	       (double)s->out_reclaimable_pages * (double)sysconf(_SC_PAGESIZE) / 1e6);
	printf("given back: shrinker %" PRIu64 " pages in %" PRIu64
	       " runs (%" PRIu64 " pageblocks split), automatic recompaction %"
	       PRIu64 " pages in %" PRIu64 " runs\n",
	       (uint64_t)s->out_shrink_pages, (uint64_t)s->out_shrink_runs,
	       (uint64_t)s->out_shrink_blocks_broken,
	       (uint64_t)s->out_auto_pages_released,
	       (uint64_t)s->out_auto_recompact_runs);
	printf("this fd: %" PRIu64 " batches, %" PRIu64 " pages\n",
	       (uint64_t)s->out_fd_batches, (uint64_t)s->out_fd_pages);
}

struct stats_args {
	double watch;
	int node;		/* FRAGALLOC_NODE_DEFAULT: every node */
};

static int stats_opt(int c, const char *arg, void *ctx)
{
	struct stats_args *a = ctx;

	if (c == 'N')
		return parse_node("stats", arg, &a->node);
	if (c != 'w')
		return OPT_UNKNOWN;
	if (parse_double(arg, &a->watch) || a->watch <= 0)
		return usage_err("stats: bad --watch '%s'", arg);
	return 0;
}

/* One report: the totals (or node @node's), then the nodes; 0 or -errno. */
static int stats_report(struct fragalloc *h, int node)
{
	struct fragalloc_stats s;
	int ret = fragalloc_stats_node(h, node, &s);

	if (ret)
		return ret;
	if (json_output) {
		jw_obj_start(&jw);
		print_json(&s);
		if (node >= 0)
			jw_ki64(&jw, "node", node);
		else
			ret = print_nodes(h);
		jw_obj_end(&jw);
		jw_end_doc(&jw);
		return ret;
	}
	if (node >= 0)
		printf("NUMA node %d (this fd's figures: all nodes)\n", node);
	print_text(&s);
	return node >= 0 ? 0 : print_nodes(h);
}

/* with --watch, a "--- HH:MM:SS" line before each report, blank-separated */
static void print_time(int first)
{
	char tbuf[32];
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	printf("%s--- %s\n", first ? "" : "\n", tbuf);
}

int do_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "watch", required_argument, NULL, 'w' },
		{ "node", required_argument, NULL, 'N' },
		{ 0 },
	};
	static const struct cmd_spec spec = {
		.name = "stats", .shortopts = "w:", .longopts = opts,
		.usage = usage, .opt = stats_opt,
	};
	struct stats_args a = { .node = FRAGALLOC_NODE_DEFAULT };
	struct fragalloc *h;
	int ret, first = 1;

	ret = cmd_getopt(&spec, argc, argv, &a, &h);
	if (ret != CMD_RUN)
		return ret;
	do {
		if (!first)
			sleep_interruptible(a.watch);
		if (stop_requested)
			break;
		if (!json_output && a.watch)
			print_time(first);
		ret = stats_report(h, a.node);
		if (ret) {
			node_err(ret, a.node, 0, "FRAGALLOC_IOC_STATS");
			fragalloc_close(h);
			return EXIT_ERR;
		}
		fflush(stdout);
		first = 0;
	} while (a.watch > 0 && !stop_requested);
	fragalloc_close(h);
	return EXIT_OK;
}
