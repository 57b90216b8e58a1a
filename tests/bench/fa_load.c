// SPDX-License-Identifier: GPL-2.0
/*
 * fa_load - the driver side of the separate-boot benchmark.
 *
 *   fa_load --workload a|b --policy P [--recompact] [--seed S] [--cycles N]
 *           [--batch PAGES] [--total PAGES] [--free-ratio R] [--cycle-ms MS]
 *           [--streams N] [--stream-batch PAGES] [--stream-total PAGES]
 *           [--min-batch PAGES] [--files DIR] [--file-mb MB] [--anon-mb MB]
 *           [--settle-ms MS] [--out FILE]
 *
 * Workload a (the original report): batches of --batch pages up to --total,
 * then per cycle free a random --free-ratio share of the batches whole, punch
 * a random page range into that share of the others, and allocate up to
 * --total again (the CLI's `stress` algorithm and PRNG, splitmix64).
 * Workload b: --streams file descriptors allocate --stream-batch pages in
 * turn until --stream-total pages are held, then every other stream frees
 * all its batches.
 * Workload c (issue 12's report): --streams (12) file descriptors allocate
 * small batches of --min-batch..--stream-batch (8..64) pages in turn until
 * --stream-total pages are held; after every batch, seeded, an empty or
 * small file is created in --files DIR (a tmpfs: up to --file-mb MB of
 * data, kept) and an anonymous chunk of 64 KiB..1 MiB is mapped and touched
 * (at most --anon-mb MB live, older chunks unmapped at random; all unmapped
 * when the load ends); then two of every three streams free all their
 * batches.
 * --policy none (workload c only): the same churn, seeded the same, without
 * the driver's allocations (the no-driver guest's competing load).
 * --recompact: a pool-scope RECOMPACT at the end (compact policy).
 * --settle-ms MS: wait MS after the load (and --recompact) before measuring,
 * so the automatic recompaction of the module defaults has had its turn.
 *
 * Then, with the memory held: counts the distinct pageblocks (pfn >> order)
 * of every present page (BATCH_INFO with PFNS, needs root), writes one JSON
 * object to --out (default stdout), prints "holding" and waits for SIGTERM.
 */
#include <getopt.h>
#include <signal.h>
#include <sys/mman.h>

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

/* workload b and c's end: the streams s with s % keep_every != 0 free all */
static void free_streams(const int *fds, int nstreams, int keep_every)
{
	for (size_t i = 0; i < nbt; i++) {
		int s;

		for (s = 0; s < nstreams && fds[s] != bt[i].fd; s++)
			;
		if (s % keep_every) {
			drop(i);
			i--;
		}
	}
}

struct cload {
	const char *dir;
	uint64_t min_batch, max_batch, total, file_max, anon_max;
	uint64_t files, file_bytes, anon_ops;
};

#define C_CHUNKS 1024

/* one step of workload c's competing load: a tmpfs file, an anonymous chunk */
static void c_churn(struct rng *r, struct cload *c, void **ch, size_t *chlen,
		    size_t *nch, uint64_t *live)
{
	size_t len = (size_t)(16 + rnd_below(r, 241)) << 12, fl;
	char path[512];

	fl = (size_t)rnd_below(r, 65) << 10;	/* 0..64 KiB */
	if (c->dir && c->file_bytes + fl <= c->file_max) {
		static char buf[65536];
		int fd;

		snprintf(path, sizeof(path), "%s/c%llu", c->dir,
			 (unsigned long long)c->files);
		fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			memset(buf, (int)c->files, fl);
			if (write(fd, buf, fl) == (ssize_t)fl)
				c->file_bytes += fl;
			close(fd);
			c->files++;
		}
	}
	while (*nch && (*live + len > c->anon_max || *nch == C_CHUNKS ||
			rnd_unit(r) < 0.3)) {
		size_t i = (size_t)rnd_below(r, *nch);

		munmap(ch[i], chlen[i]);
		*live -= chlen[i];
		ch[i] = ch[*nch - 1];
		chlen[i] = chlen[--*nch];
		if (*live + len <= c->anon_max)
			break;
	}
	if (*live + len > c->anon_max)
		return;
	ch[*nch] = mmap(NULL, len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ch[*nch] == MAP_FAILED)
		return;
	for (size_t o = 0; o < len; o += 4096)
		((char *)ch[*nch])[o] = (char)o;
	chlen[*nch] = len;
	*live += len;
	(*nch)++;
	c->anon_ops++;
}

static void workload_c(struct rng *r, const int *fds, int nstreams,
		       struct cload *c)
{
	static void *ch[C_CHUNKS];
	static size_t chlen[C_CHUNKS];
	size_t nch = 0;
	uint64_t live = 0;

	while (held < c->total) {
		uint64_t f0 = alloc_fail;

		for (int s = 0; s < nstreams && held < c->total; s++) {
			uint64_t n = c->min_batch +
				     rnd_below(r, c->max_batch - c->min_batch + 1);

			if (policy >= 0)
				add(fds[s], n);
			else
				held += n;	/* none: the churn alone */
			c_churn(r, c, ch, chlen, &nch, &live);
		}
		if (alloc_fail - f0 == (uint64_t)nstreams)
			break;
	}
	while (nch--)
		munmap(ch[nch], chlen[nch]);
	if (policy < 0)
		held = 0;
	free_streams(fds, nstreams, 3);
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
		ARG("min-batch", 'M'),
		ARG("files", 'F'),
		ARG("file-mb", 'L'),
		ARG("anon-mb", 'A'),
		ARG("settle-ms", 'W'),
		{ NULL, 0, NULL, 0 },
	};
	char workload = 'a';
	const char *pol = "compact", *out = NULL;
	int do_recompact = 0, c, nstreams = 8, fds[64];
	uint64_t seed = 1, cycles = 10, batch = 10240, total = 92160;
	uint64_t sbatch = 64, stotal = 65536, cycle_ms = 0, settle_ms = 0;
	struct cload cl = { .min_batch = 8, .file_max = 32 << 20,
			    .anon_max = 64 << 20 };
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
		case 'M': cl.min_batch = strtoull(optarg, NULL, 0); break;
		case 'F': cl.dir = optarg; break;
		case 'L': cl.file_max = strtoull(optarg, NULL, 0) << 20; break;
		case 'A': cl.anon_max = strtoull(optarg, NULL, 0) << 20; break;
		case 'W': settle_ms = strtoull(optarg, NULL, 0); break;
		default: return 2;
		}
	}
	/* none (workload c): the same seeded churn, no driver allocation */
	policy = strcmp(pol, "none") ? parse_policy(pol) : -2;
	if ((policy < 0 && (policy != -2 || workload != 'c')) ||
	    !strchr("abc", workload) || !workload ||
	    nstreams < 1 || nstreams > 64 || !batch || !sbatch ||
	    !cl.min_batch || cl.min_batch > sbatch) {
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
	if (policy == FRAGALLOC_POLICY_MOVABLE &&
	    !(info.out_features & FRAGALLOC_FEAT_MOVABLE)) {
		printf("skip: the movable policy is not in this module or kernel (no FRAGALLOC_FEAT_MOVABLE)\n");
		return 4;
	}

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
	}
	if (workload == 'b') {
		while (held < stotal) {
			uint64_t f0 = alloc_fail;

			for (int s = 0; s < nstreams && held < stotal; s++)
				add(fds[s], sbatch);
			if (alloc_fail - f0 == (uint64_t)nstreams)
				break;
		}
		free_streams(fds, nstreams, 2);
	} else if (workload == 'c') {
		cl.max_batch = sbatch;
		cl.total = stotal;
		workload_c(&r, fds, nstreams, &cl);
	}
	t_load = now_s() - t0;
	if (do_recompact) {
		double t1 = now_s();

		if (t_recompact(fds[0], FRAGALLOC_SCOPE_POOL, &rc))
			perror("RECOMPACT");
		t_rc = now_s() - t1;
	}
	if (settle_ms)
		usleep((useconds_t)(settle_ms * 1000));

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
		"\"pool_acquired\":%llu,\"pool_released\":%llu,\"pool_fallbacks\":%llu,"
		"\"auto_runs\":%llu,\"auto_pages_released\":%llu,"
		"\"shrink_runs\":%llu,\"shrink_pages\":%llu,\"idle_pages\":%llu,"
		"\"c_files\":%llu,\"c_file_bytes\":%llu,\"c_anon_ops\":%llu,"
		"\"settle_ms\":%llu}\n",
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
		(unsigned long long)st.out_fallbacks,
		(unsigned long long)st.out_auto_recompact_runs,
		(unsigned long long)st.out_auto_pages_released,
		(unsigned long long)st.out_shrink_runs,
		(unsigned long long)st.out_shrink_pages,
		(unsigned long long)st.out_idle_pages,
		(unsigned long long)cl.files, (unsigned long long)cl.file_bytes,
		(unsigned long long)cl.anon_ops, (unsigned long long)settle_ms);
	if (f != stdout)
		fclose(f);
	(void)max_pfn;
	printf("holding %llu pages in %zu batches\n", (unsigned long long)present, nbt);
	fflush(stdout);
	pause();
	return 0;
}
