// SPDX-License-Identifier: GPL-2.0
/*
 * fa_load - the driver side of the separate-boot benchmark.
 *
 *   fa_load --workload a|b --policy P [--recompact] [--seed S] [--cycles N]
 *           [--batch PAGES] [--total PAGES] [--free-ratio R] [--cycle-ms MS]
 *           [--streams N] [--stream-batch PAGES] [--stream-total PAGES]
 *           [--min-batch PAGES] [--files DIR] [--file-mb MB] [--anon-mb MB]
 *           [--settle-ms MS] [--out FILE] [--cycle-period-ms MS]
 *           [--sample-every N --sample-out FILE [--freeze CGROUP]]
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
 * --policy none (workloads a and c): the same cycles (a) or churn (c),
 * seeded the same, without the driver's allocations (the no-driver guest).
 * --cycle-period-ms MS (workload a): each cycle takes at least MS, padded
 * with a sleep, so every strategy's cycle k comes at the same time into the
 * competing load (--cycle-ms: a fixed pause after each cycle instead).
 * --sample-every N (workload a, `make bench-long`): after the first fill and
 * every N cycles, one line of metrics to --sample-out (sample.c: pollution,
 * the load's pageblocks, unusable index, extfrag events, huge pages), the
 * churn in cgroup --freeze frozen meanwhile.
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
#include "sample.h"

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

	while (policy >= 0 && held < total && fails < 3) {
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

struct aload {
	uint64_t batch, total, cycles, period_ms, pause_ms, every, pb_order;
	double ratio;
	const char *sample_out, *freeze;
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

/*
 * Every present page's PFN (BATCH_INFO with PFNS, needs root) into a new
 * array *@pfns of *@nr, and the distinct pageblocks (pfn >> @pb_order) they
 * touch into *@blocks. 0 or 1 (error printed).
 */
static int collect(uint64_t pb_order, uint64_t **pfns, uint64_t *nr,
		   uint64_t *blocks)
{
	static uint8_t *bitmap;	/* 8M pageblocks: far beyond 1 GiB */
	uint64_t *all = malloc((held + 1) * sizeof(*all)), n = 0, nb = 0;

	if (!bitmap)
		bitmap = malloc(1u << 20);
	if (!all || !bitmap)
		return 1;
	memset(bitmap, 0, 1u << 20);
	for (size_t i = 0; i < nbt; i++) {
		struct fragalloc_batch_info bi;
		uint64_t *p = malloc(bt[i].pages * sizeof(*p));

		if (!p)
			return 1;
		memset(&bi, 0, sizeof(bi));
		bi.size = sizeof(bi);
		bi.flags = FRAGALLOC_BATCH_INFO_PFNS;
		bi.handle = bt[i].handle;
		bi.pfns = (uintptr_t)p;
		bi.nr_pfns = bt[i].pages;
		if (ioctl(bt[i].fd, FRAGALLOC_IOC_BATCH_INFO, &bi)) {
			perror("BATCH_INFO");
			return 1;
		}
		for (uint64_t k = 0; k < bt[i].pages; k++) {
			uint64_t b = p[k] >> pb_order;

			if (p[k] == FRAGALLOC_PFN_HOLE || n > held)
				continue;
			all[n++] = p[k];
			if (b >= (8ULL << 20))
				continue;
			if (!(bitmap[b >> 3] & (1u << (b & 7)))) {
				bitmap[b >> 3] |= (uint8_t)(1u << (b & 7));
				nb++;
			}
		}
		free(p);
	}
	*pfns = all;
	*nr = n;
	*blocks = nb;
	return 0;
}

/* one line of the long run's metrics (sample.c) after @cycle cycles */
static int sample(FILE *f, const char *cg, int fd, uint64_t pb_order,
		  uint64_t cycle, double t)
{
	struct fa_sample_ctx c = {
		.freeze = cg, .pb_order = (unsigned int)pb_order, .cycle = cycle,
		.t_s = t, .pool_blocks = -1, .pool_reserve = -1, .auto_runs = -1,
	};
	uint64_t *pfns = NULL, n = 0, nb = 0;
	struct fragalloc_stats st = { .size = sizeof(st) };
	int ret;

	if (policy >= 0) {
		if (collect(pb_order, &pfns, &n, &nb))
			return 1;
		if (!ioctl(fd, FRAGALLOC_IOC_STATS, &st)) {
			c.pool_blocks = (int64_t)(st.out_blocks[0] + st.out_blocks[1] +
						  st.out_blocks[2]);
			c.pool_reserve = (int64_t)st.out_reserve_blocks;
			c.auto_runs = (int64_t)st.out_auto_recompact_runs;
		}
	}
	c.pfns = pfns;
	c.nr_pfns = (size_t)n;
	ret = fa_sample(f, &c);
	if (ret)
		fprintf(stderr, "fa_load: sample at cycle %llu: %s\n",
			(unsigned long long)cycle, strerror(-ret));
	free(pfns);
	return ret ? 1 : 0;
}

/* workload a: the first fill, then @cycles cycles, sampled every @every */
static int workload_a(struct rng *r, int fd, const struct aload *a)
{
	double t0 = now_s();
	FILE *f = NULL;

	fill(fd, a->batch, a->total);
	if (a->every) {
		f = fopen(a->sample_out, "w");
		if (!f) {
			perror(a->sample_out);
			return 1;
		}
		if (sample(f, a->freeze, fd, a->pb_order, 0, now_s() - t0))
			return 1;
	}
	for (uint64_t k = 0; k < a->cycles; k++) {
		double c0 = now_s(), left;

		cycle(r, fd, a->ratio, a->batch, a->total);
		left = (double)a->period_ms / 1e3 - (now_s() - c0);
		if (left > 0)
			usleep((useconds_t)(left * 1e6));
		if (a->pause_ms)
			usleep((useconds_t)(a->pause_ms * 1000));
		if (f && (k + 1) % a->every == 0 &&
		    sample(f, a->freeze, fd, a->pb_order, k + 1, now_s() - t0))
			return 1;
	}
	if (f)
		fclose(f);
	return 0;
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
		ARG("cycle-period-ms", 'P'),
		ARG("sample-every", 'E'),
		ARG("sample-out", 'O'),
		ARG("freeze", 'Z'),
		{ NULL, 0, NULL, 0 },
	};
	char workload = 'a';
	const char *pol = "compact", *out = NULL;
	int do_recompact = 0, c, nstreams = 8, fds[64];
	uint64_t seed = 1, sbatch = 64, stotal = 65536, settle_ms = 0;
	struct aload al = { .batch = 10240, .total = 92160, .cycles = 10,
			    .ratio = 0.3 };
	struct cload cl = { .min_batch = 8, .file_max = 32 << 20,
			    .anon_max = 64 << 20 };
	uint64_t pb_order, nr_pb, present = 0, blocks = 0, *pfns;
	double t0, t_load, t_rc = 0;
	struct fragalloc_recompact rc;
	struct fragalloc_info info;
	struct fragalloc_stats st;
	struct rng r;
	FILE *f;

	memset(&rc, 0, sizeof(rc));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'w': workload = optarg[0]; break;
		case 'p': pol = optarg; break;
		case 'r': do_recompact = 1; break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'c': al.cycles = strtoull(optarg, NULL, 0); break;
		case 'b': al.batch = strtoull(optarg, NULL, 0); break;
		case 't': al.total = strtoull(optarg, NULL, 0); break;
		case 'f': al.ratio = strtod(optarg, NULL); break;
		case 'm': al.pause_ms = strtoull(optarg, NULL, 0); break;
		case 'P': al.period_ms = strtoull(optarg, NULL, 0); break;
		case 'E': al.every = strtoull(optarg, NULL, 0); break;
		case 'O': al.sample_out = optarg; break;
		case 'Z': al.freeze = optarg; break;
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
	/* none (workloads a and c): the same load, no driver allocation */
	policy = strcmp(pol, "none") ? parse_policy(pol) : -2;
	if ((policy < 0 && (policy != -2 || workload == 'b')) ||
	    !strchr("abc", workload) || !workload ||
	    (al.every && !al.sample_out) ||
	    nstreams < 1 || nstreams > 64 || !al.batch || !sbatch ||
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
	al.pb_order = pb_order;
	if (policy == FRAGALLOC_POLICY_MOVABLE &&
	    !(info.out_features & FRAGALLOC_FEAT_MOVABLE)) {
		printf("skip: the movable policy is not in this module or kernel (no FRAGALLOC_FEAT_MOVABLE)\n");
		return 4;
	}

	t0 = now_s();
	if (workload == 'a') {
		if (workload_a(&r, fds[0], &al))
			return 1;
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

	if (collect(pb_order, &pfns, &present, &blocks))
		return 1;
	free(pfns);
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
		(unsigned long long)al.cycles, nbt, (unsigned long long)present,
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
	printf("holding %llu pages in %zu batches\n", (unsigned long long)present, nbt);
	fflush(stdout);
	pause();
	return 0;
}
