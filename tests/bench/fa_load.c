// SPDX-License-Identifier: GPL-2.0
/*
 * fa_load - the driver side of the separate-boot benchmark.
 *
 *   fa_load --workload a|b --policy P [--recompact] [--seed S] [--cycles N]
 *           [--batch PAGES] [--total PAGES] [--free-ratio R] [--cycle-ms MS]
 *           [--streams N] [--stream-batch PAGES] [--stream-total PAGES]
 *           [--out FILE]
 *
 * Workload a (the original report): batches of --batch pages up to --total,
 * then per cycle free a random --free-ratio share of the batches whole, punch
 * a random page range into that share of the others, and allocate up to
 * --total again (the CLI's `stress` algorithm and PRNG, splitmix64).
 * Workload b: --streams file descriptors allocate --stream-batch pages in
 * turn until --stream-total pages are held, then every other stream frees
 * all its batches.
 * --recompact: a pool-scope RECOMPACT at the end (compact policy).
 *
 * Then, with the memory held: counts the distinct pageblocks (pfn >> order)
 * of every present page (BATCH_INFO with PFNS, needs root), writes one JSON
 * object to --out (default stdout), prints "holding" and waits for SIGTERM.
 */
#include <getopt.h>
#include <signal.h>

#include "common.h"

struct batch {
	int fd;
	uint32_t handle;
	uint64_t pages, present;
};

static struct batch *bt;
static size_t nbt, capbt;
static uint64_t held, allocs, alloc_fail, frees, range_frees, punched;
static int policy;

static void add(int fd, uint64_t pages)
{
	struct fragalloc_alloc a = { 0 };
	int ret;

	if (nbt == capbt) {
		capbt = capbt ? capbt * 2 : 256;
		bt = realloc(bt, capbt * sizeof(*bt));
		if (!bt)
			exit(1);
	}
	ret = t_alloc(fd, pages, (uint32_t)policy, &a);
	if (ret) {
		alloc_fail++;
		return;
	}
	allocs++;
	bt[nbt].fd = fd;
	bt[nbt].handle = a.out_handle;
	bt[nbt].pages = bt[nbt].present = a.out_nr_pages;
	nbt++;
	held += a.out_nr_pages;
}

static void drop(size_t i)
{
	if (t_free(bt[i].fd, bt[i].handle)) {
		perror("FREE");
		exit(1);
	}
	held -= bt[i].present;
	frees++;
	bt[i] = bt[--nbt];
}

static void fill(int fd, uint64_t batch, uint64_t total)
{
	uint64_t fails = 0;

	while (held < total && fails < 3) {
		uint64_t want = total - held, f0 = alloc_fail;

		add(fd, want > batch ? batch : want);
		if (alloc_fail != f0)
			fails++;
	}
}

static void cycle(struct rng *r, int fd, double ratio, uint64_t batch,
		  uint64_t total)
{
	size_t nfree = (size_t)((double)nbt * ratio + 0.5);

	if (!nfree && nbt)
		nfree = 1;
	for (size_t k = 0; k < nfree && nbt; k++)
		drop((size_t)rnd_below(r, nbt));
	for (size_t i = 0; i < nbt; i++) {
		struct batch *b = &bt[i];
		uint64_t first, nr, freed = 0;

		if (rnd_unit(r) >= ratio || b->pages < 2)
			continue;
		rnd_punch(r, b->pages, &first, &nr);
		if (t_free_range(b->fd, b->handle, first, nr, &freed)) {
			perror("FREE_RANGE");
			exit(1);
		}
		range_frees++;
		punched += freed;
		b->present -= freed;
		held -= freed;
		if (!b->present) {
			drop(i);
			i--;
		}
	}
	fill(fd, batch, total);
}

/* an option with a value */
#define ARG(name, val) { name, required_argument, NULL, val }

static void stop(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		ARG("workload", 'w'),
		ARG("policy", 'p'),
		{ "recompact", no_argument, NULL, 'r' },
		ARG("seed", 's'),
		ARG("cycles", 'c'),
		ARG("batch", 'b'),
		ARG("total", 't'),
		ARG("free-ratio", 'f'),
		ARG("cycle-ms", 'm'),
		ARG("streams", 'S'),
		ARG("stream-batch", 'B'),
		ARG("stream-total", 'T'),
		ARG("out", 'o'),
		{ NULL, 0, NULL, 0 },
	};
	char workload = 'a';
	const char *pol = "compact", *out = NULL;
	int do_recompact = 0, c, nstreams = 8, fds[64];
	uint64_t seed = 1, cycles = 10, batch = 10240, total = 92160;
	uint64_t sbatch = 64, stotal = 65536, cycle_ms = 0;
	uint64_t pb_order, nr_pb, present = 0, blocks = 0, max_pfn = 0;
	double ratio = 0.3, t0, t_load, t_rc = 0;
	struct fragalloc_recompact rc;
	struct fragalloc_info info;
	struct fragalloc_stats st;
	struct rng r;
	uint8_t *bitmap;
	FILE *f;

	memset(&rc, 0, sizeof(rc));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'w': workload = optarg[0]; break;
		case 'p': pol = optarg; break;
		case 'r': do_recompact = 1; break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'c': cycles = strtoull(optarg, NULL, 0); break;
		case 'b': batch = strtoull(optarg, NULL, 0); break;
		case 't': total = strtoull(optarg, NULL, 0); break;
		case 'f': ratio = strtod(optarg, NULL); break;
		case 'm': cycle_ms = strtoull(optarg, NULL, 0); break;
		case 'S': nstreams = atoi(optarg); break;
		case 'B': sbatch = strtoull(optarg, NULL, 0); break;
		case 'T': stotal = strtoull(optarg, NULL, 0); break;
		case 'o': out = optarg; break;
		default: return 2;
		}
	}
	policy = parse_policy(pol);
	if (policy < 0 || (workload != 'a' && workload != 'b') ||
	    nstreams < 1 || nstreams > 64 || !batch || !sbatch) {
		fprintf(stderr, "fa_load: bad arguments\n");
		return 2;
	}
	r.state = seed;
	signal(SIGTERM, stop);
	signal(SIGINT, stop);

	fds[0] = t_open();
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	if (ioctl(fds[0], FRAGALLOC_IOC_INFO, &info)) {
		perror("INFO");
		return 1;
	}
	pb_order = info.out_pageblock_order;

	t0 = now_s();
	if (workload == 'a') {
		fill(fds[0], batch, total);
		for (uint64_t k = 0; k < cycles; k++) {
			cycle(&r, fds[0], ratio, batch, total);
			if (cycle_ms)
				usleep((useconds_t)(cycle_ms * 1000));
		}
	} else {
		for (int s = 1; s < nstreams; s++)
			fds[s] = t_open();
		while (held < stotal) {
			uint64_t f0 = alloc_fail;

			for (int s = 0; s < nstreams && held < stotal; s++)
				add(fds[s], sbatch);
			if (alloc_fail - f0 == (uint64_t)nstreams)
				break;
		}
		for (size_t i = 0; i < nbt; i++) {
			int s;

			for (s = 0; s < nstreams && fds[s] != bt[i].fd; s++)
				;
			if (s % 2) {
				drop(i);
				i--;
			}
		}
	}
	t_load = now_s() - t0;
	if (do_recompact) {
		double t1 = now_s();

		if (t_recompact(fds[0], FRAGALLOC_SCOPE_POOL, &rc))
			perror("RECOMPACT");
		t_rc = now_s() - t1;
	}

	/* pageblocks touched: distinct pfn >> pageblock_order of present pages */
	bitmap = calloc(1u << 20, 1);	/* 8M pageblocks: far beyond 1 GiB */
	for (size_t i = 0; i < nbt; i++) {
		struct fragalloc_batch_info bi;
		uint64_t *pfns = malloc(bt[i].pages * sizeof(*pfns));

		if (!pfns || !bitmap)
			return 1;
		memset(&bi, 0, sizeof(bi));
		bi.size = sizeof(bi);
		bi.flags = FRAGALLOC_BATCH_INFO_PFNS;
		bi.handle = bt[i].handle;
		bi.pfns = (uintptr_t)pfns;
		bi.nr_pfns = bt[i].pages;
		if (ioctl(bt[i].fd, FRAGALLOC_IOC_BATCH_INFO, &bi)) {
			perror("BATCH_INFO");
			return 1;
		}
		for (uint64_t k = 0; k < bt[i].pages; k++) {
			uint64_t b;

			if (pfns[k] == FRAGALLOC_PFN_HOLE)
				continue;
			present++;
			if (pfns[k] > max_pfn)
				max_pfn = pfns[k];
			b = pfns[k] >> pb_order;
			if (b >= (8ULL << 20))
				continue;
			if (!(bitmap[b >> 3] & (1u << (b & 7)))) {
				bitmap[b >> 3] |= (uint8_t)(1u << (b & 7));
				blocks++;
			}
		}
		free(pfns);
	}
	nr_pb = 1ULL << pb_order;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	if (ioctl(fds[0], FRAGALLOC_IOC_STATS, &st))
		perror("STATS");

	f = out ? fopen(out, "w") : stdout;
	if (!f) {
		perror(out);
		return 1;
	}
	fprintf(f, "{\"workload\":\"%c\",\"policy\":\"%s\",\"recompact\":%d,"
		"\"seed\":%llu,\"cycles\":%llu,\"batches\":%zu,"
		"\"pages\":%llu,\"blocks_touched\":%llu,\"blocks_optimum\":%llu,"
		"\"allocs\":%llu,\"alloc_fail\":%llu,\"frees\":%llu,"
		"\"range_frees\":%llu,\"pages_punched\":%llu,"
		"\"load_s\":%.3f,\"recompact_s\":%.3f,"
		"\"rc_moved\":%llu,\"rc_bytes\":%llu,\"rc_released\":%llu,"
		"\"rc_blocks_before\":%llu,\"rc_blocks_after\":%llu,"
		"\"pool_blocks\":%llu,\"pool_loose\":%llu,\"pool_reserve\":%llu,"
		"\"pool_acquired\":%llu,\"pool_released\":%llu,\"pool_fallbacks\":%llu}\n",
		workload, pol, do_recompact, (unsigned long long)seed,
		(unsigned long long)cycles, nbt, (unsigned long long)present,
		(unsigned long long)blocks,
		(unsigned long long)((present + nr_pb - 1) / nr_pb),
		(unsigned long long)allocs, (unsigned long long)alloc_fail,
		(unsigned long long)frees, (unsigned long long)range_frees,
		(unsigned long long)punched, t_load, t_rc,
		(unsigned long long)rc.out_pages_moved,
		(unsigned long long)rc.out_bytes_copied,
		(unsigned long long)rc.out_blocks_released,
		(unsigned long long)rc.out_blocks_before,
		(unsigned long long)rc.out_blocks_after,
		(unsigned long long)(st.out_blocks[0] + st.out_blocks[1] + st.out_blocks[2]),
		(unsigned long long)(st.out_loose_pages[0] + st.out_loose_pages[1] +
				     st.out_loose_pages[2]),
		(unsigned long long)st.out_reserve_blocks,
		(unsigned long long)st.out_blocks_acquired,
		(unsigned long long)st.out_blocks_released,
		(unsigned long long)st.out_fallbacks);
	if (f != stdout)
		fclose(f);
	(void)max_pfn;
	printf("holding %llu pages in %zu batches\n", (unsigned long long)present, nbt);
	fflush(stdout);
	pause();
	return 0;
}
