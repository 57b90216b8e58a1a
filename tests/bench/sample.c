// SPDX-License-Identifier: GPL-2.0
/*
 * The long-run benchmark's sampler: see sample.h. The pollution figures come
 * from libfragalloc's fragalloc_blocks_read() (the CLI's `frag --blocks`),
 * the unusable index from fragalloc_frag_read(): the same code users run.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fragalloc.h>

#include "sample.h"

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* the first number after @key in @path (whole file), or -1 */
static long long read_num(const char *path, const char *key)
{
	char buf[4096], *p;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = key ? strstr(buf, key) : buf;
	if (!p)
		return -1;
	return strtoll(p + (key ? strlen(key) : 0), NULL, 10);
}

/*
 * cgroup v2 freeze: every task of @dir stops at its next return to user
 * space; wait (up to 10 s) for cgroup.events to say so
 */
static int freeze(const char *dir, int on)
{
	char path[512];
	int ret;

	if (!dir)
		return 0;
	snprintf(path, sizeof(path), "%s/cgroup.freeze", dir);
	ret = write_str(path, on ? "1\n" : "0\n");
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	for (int i = 0; on && i < 500; i++) {
		if (read_num(path, "frozen ") == 1)
			return 0;
		usleep(20000);
	}
	return 0;
}

/* extfrag events so far: entries + overrun of every CPU's buffer */
static long long extfrag_events(void)
{
	long long n = 0, v;
	char path[128];
	int cpus = (int)sysconf(_SC_NPROCESSORS_CONF);

	for (int c = 0; c < cpus; c++) {
		snprintf(path, sizeof(path),
			 "/sys/kernel/tracing/per_cpu/cpu%d/stats", c);
		v = read_num(path, "entries: ");
		if (v < 0)
			return -1;
		n += v;
		v = read_num(path, "overrun: ");
		n += v > 0 ? v : 0;
	}
	return n;
}

/* huge pages one request for 1024 obtains; given back at once */
static long long huge_probe(void)
{
	const char *nr = "/proc/sys/vm/nr_hugepages";
	long long got;

	if (write_str(nr, "1024\n"))
		return -1;
	got = read_num(nr, NULL);
	write_str(nr, "0\n");
	return got;
}

/* unusable free space index at order 3, thousandths, over all zones */
static int unusable_3(void)
{
	struct fragalloc_frag_report *r;
	uint64_t sum[FRAGALLOC_FRAG_MAX_ORDERS] = { 0 };
	int ret;

	ret = fragalloc_frag_read(NULL, "", &r);
	if (ret)
		return ret;
	for (unsigned int z = 0; z < r->nr_zones; z++)
		for (unsigned int o = 0; o < r->zones[z].nr_orders; o++)
			sum[o] += r->zones[z].free_blocks[o];
	ret = fragalloc_frag_unusable_index(sum, r->max_orders, 3);
	fragalloc_frag_free(r);
	return ret;
}

int fa_sample(FILE *out, const struct fa_sample_ctx *c)
{
	struct fragalloc_blocks_opts o = {
		.pool_path = "", .own_pfns = c->pfns, .nr_own_pfns = c->nr_pfns,
	};
	struct fragalloc_blocks_report *b;
	long long huge, huge_direct, ext, memfree;
	int ret, u3;

	freeze(c->freeze, 1);
	sync();
	write_str("/proc/sys/vm/drop_caches", "3\n");
	ret = fragalloc_blocks_read(&o, &b);
	if (ret) {
		freeze(c->freeze, 0);
		return ret;
	}
	u3 = unusable_3();
	ext = extfrag_events();
	memfree = read_num("/proc/meminfo", "MemFree:");
	/*
	 * The one-shot request, as the end-of-run probe makes it, depends on
	 * the compaction deferral earlier samples left (a request that fails
	 * defers compaction at its order); after compact_memory, which ignores
	 * deferral and skip marks, the count is what the kernel can assemble
	 * around the pages it cannot move: the series' "huge"
	 */
	huge_direct = huge_probe();
	write_str("/proc/sys/vm/compact_memory", "1\n");
	huge = huge_probe();
	freeze(c->freeze, 0);
	fprintf(out, "{\"cycle\":%llu,\"t_s\":%.1f,\"pages\":%zu,"
		"\"blocks_touched\":%llu,\"blocks_optimum\":%llu,"
		"\"memory_blocks\":%llu,\"free_pb\":%llu,\"movable_pb\":%llu,"
		"\"polluted\":%llu,\"polluted_own\":%llu,\"polluted_own_only\":%llu,"
		"\"unusable_3\":%.3f,\"extfrag_events\":%lld,\"memfree_kb\":%lld,"
		"\"huge\":%lld,\"huge_direct\":%lld,\"pool_blocks\":%lld,\"pool_reserve\":%lld,"
		"\"auto_runs\":%lld,\"kpf_free\":%llu,\"buddy_free\":%llu,"
		"\"pages_other\":%llu}\n",
		(unsigned long long)c->cycle, c->t_s, c->nr_pfns,
		(unsigned long long)b->own_blocks,
		(unsigned long long)((c->nr_pfns + (1ULL << c->pb_order) - 1) >>
				     c->pb_order),
		(unsigned long long)b->memory_blocks,
		(unsigned long long)b->blocks[FRAGALLOC_BLOCK_FREE],
		(unsigned long long)b->blocks[FRAGALLOC_BLOCK_MOVABLE],
		(unsigned long long)b->blocks[FRAGALLOC_BLOCK_POLLUTED],
		(unsigned long long)b->polluted_own,
		(unsigned long long)b->polluted_own_only,
		u3 < 0 ? -1.0 : u3 / 1000.0, ext, memfree, huge, huge_direct,
		(long long)c->pool_blocks, (long long)c->pool_reserve,
		(long long)c->auto_runs, (unsigned long long)b->pages_free,
		(unsigned long long)b->buddyinfo_free_pages,
		(unsigned long long)b->pages_other);
	fflush(out);
	fragalloc_blocks_free(b);
	return 0;
}
