// SPDX-License-Identifier: GPL-2.0
/*
 * fa_speed - speed ratios measured in one guest (the guest's clock).
 *
 *   fa_speed [--reps N] [--batches N]
 *
 * 1. allocate+free pages/s of 40 MB batches (--batches at a time) per
 *    policy, relative to bulk (policies interleaved in every round);
 * 2. equal work on both sides, allocation included: allocate a 40 MB
 *    compact batch (zeroed pages), mmap it, write every page, munmap, free
 *    it, in MB/s, relative to an anonymous mmap(MAP_POPULATE) of the same
 *    size (the kernel allocates and zeroes the pages), written the same way,
 *    munmap (the kernel frees them);
 * 2b. mapping only, no allocation on either side: mmap an already-allocated
 *    40 MB compact batch, write every page, munmap, relative to the same on a
 *    memfd whose 40 MB were allocated and written before the rounds;
 * 2c. the same two with the mappings populated before the writes: the
 *    batch with madvise(MADV_WILLNEED) after mmap (MAP_POPULATE does not
 *    reach a VM_PFNMAP driver, docs/ABI.md), the memfd with MAP_POPULATE;
 *    and allocate + map + MADV_WILLNEED + touch vs the anonymous round;
 * 3. recompact MB/s: --batches compact batches, then every page whose PFN is
 *    in the upper half of its pageblock is freed (each pageblock half free),
 *    then a pool-scope RECOMPACT; out_bytes_copied / time, relative to a
 *    memcpy() of the same number of bytes (one after each RECOMPACT);
 * 3b. one more such round, untimed, with the batches mapped and a thread
 *    reading every mapped page in a loop during the RECOMPACT: the longest
 *    single read is how long a fault waits for a run of moves.
 * Each figure is the median of --reps rounds. One JSON object on stdout.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "common.h"

#define BATCH 10240ULL		/* 40 MB of 4 KiB pages */
#define MAXREPS 64

static const char *const pnames[] = { "compact", "plain", "bulk", "highorder" };

static int fd;
static long psz;
static uint64_t maps_off[16];
static double plan_s;	/* the last round's dry-run RECOMPACT, seconds */

static double alloc_free_round(int policy, int nb)
{
	uint32_t h[16];
	struct fragalloc_alloc a = { 0 };
	double t0 = now_s();

	for (int i = 0; i < nb; i++) {
		if (t_alloc(fd, BATCH, (uint32_t)policy, &a)) {
			perror("ALLOC");
			exit(1);
		}
		h[i] = a.out_handle;
	}
	for (int i = 0; i < nb; i++)
		t_free(fd, h[i]);
	return (double)(BATCH * (uint64_t)nb) / (now_s() - t0);
}

static double touch(char *p, size_t len)
{
	double t0 = now_s();

	for (size_t o = 0; o < len; o += (size_t)psz)
		p[o] = 1;
	return t0;
}

/* MADV_WILLNEED after mmap: the populate that reaches fragalloc */
static int willneed;

/* mmap a batch's length of @mfd at @off with @flags, write every page, munmap */
static void map_touch(int mfd, off_t off, int flags, const char *what)
{
	size_t len = BATCH * (size_t)psz;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, mfd, off);

	if (p == MAP_FAILED) {
		perror(what);
		exit(1);
	}
	if (willneed && mfd == fd && madvise(p, len, MADV_WILLNEED)) {
		perror("MADV_WILLNEED");
		exit(1);
	}
	touch(p, len);
	munmap(p, len);
}

/* MB/s of a batch's length since @t0 */
static double batch_mbps(double t0)
{
	return (double)(BATCH * (size_t)psz) / 1048576.0 / (now_s() - t0);
}

static double map_batch_round(uint64_t off)
{
	double t0 = now_s();

	map_touch(fd, (off_t)off, MAP_SHARED, "mmap batch");
	return batch_mbps(t0);
}

/* allocate + map + touch + unmap + free: the same work as map_anon_round() */
static double alloc_map_round(void)
{
	struct fragalloc_alloc a = { 0 };
	double t0 = now_s();

	if (t_alloc(fd, BATCH, FRAGALLOC_POLICY_COMPACT, &a)) {
		perror("ALLOC");
		exit(1);
	}
	map_touch(fd, (off_t)a.out_mmap_offset, MAP_SHARED, "mmap batch");
	if (t_free(fd, a.out_handle)) {
		perror("FREE");
		exit(1);
	}
	return batch_mbps(t0);
}

/* map + touch + unmap of memory allocated beforehand: memfd, MAP_SHARED */
static double map_memfd_round(int mfd)
{
	double t0 = now_s();

	map_touch(mfd, 0, MAP_SHARED | (willneed ? MAP_POPULATE : 0),
		  "mmap memfd");
	return batch_mbps(t0);
}

static double map_anon_round(void)
{
	double t0 = now_s();

	map_touch(-1, 0, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, "mmap anon");
	return batch_mbps(t0);
}

/*
 * A child reading one byte of every page of the @nb mapped batches in a
 * loop until sh[0] is set; sh[1] gets its longest single read, in seconds.
 */
static pid_t start_reader(char *const *maps, int nb, volatile double *sh)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	while (!sh[0])
		for (int i = 0; i < nb; i++)
			for (size_t o = 0; o < BATCH * (size_t)psz; o += (size_t)psz) {
				double t0 = now_s(), t;

				(void)*(volatile char *)(maps[i] + o);
				t = now_s() - t0;
				if (t > sh[1])
					sh[1] = t;
			}
	_exit(0);
}

/* --batches compact batches, every page in the upper half of its block freed */
static void half_free_batches(int nb, uint32_t *h)
{
	uint64_t *pfns = malloc(BATCH * sizeof(*pfns));
	struct fragalloc_alloc a = { 0 };

	if (!pfns)
		exit(1);
	for (int i = 0; i < nb; i++) {
		struct fragalloc_batch_info bi;
		uint64_t k = 0;

		if (t_alloc(fd, BATCH, FRAGALLOC_POLICY_COMPACT, &a)) {
			perror("ALLOC");
			exit(1);
		}
		h[i] = a.out_handle;
		memset(&bi, 0, sizeof(bi));
		bi.size = sizeof(bi);
		bi.flags = FRAGALLOC_BATCH_INFO_PFNS;
		bi.handle = h[i];
		bi.pfns = (uintptr_t)pfns;
		bi.nr_pfns = BATCH;
		if (ioctl(fd, FRAGALLOC_IOC_BATCH_INFO, &bi)) {
			perror("BATCH_INFO");
			exit(1);
		}
		/* free each run of pages in the upper half of their pageblock */
		while (k < BATCH) {
			uint64_t e;

			if ((pfns[k] & 511) < 256) {
				k++;
				continue;
			}
			for (e = k + 1; e < BATCH && (pfns[e] & 511) >= 256 &&
			     pfns[e] == pfns[e - 1] + 1; e++)
				;
			t_free_range(fd, h[i], k, e - k, NULL);
			k = e;
		}
		maps_off[i] = bi.out_mmap_offset;
	}
	free(pfns);
}

/*
 * half-free pageblocks, recompact; returns MB/s, *bytes the bytes copied.
 * With @stall: the batches mapped, populated and read by a child during the
 * RECOMPACT; *stall gets the child's longest read.
 */
static double recompact_round(int nb, uint64_t *bytes, uint64_t *moved,
			      double *stall)
{
	struct fragalloc_recompact rc = { 0 }, dry = {
		.size = sizeof(dry), .flags = FRAGALLOC_RECOMPACT_DRY_RUN,
		.scope = FRAGALLOC_SCOPE_POOL,
	};
	size_t len = BATCH * (size_t)psz;
	volatile double *sh = NULL;
	uint32_t h[16];
	char *maps[16];
	pid_t pid = 0;
	double t0, t;

	half_free_batches(nb, h);
	if (stall) {
		sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (sh == MAP_FAILED)
			exit(1);
		for (int i = 0; i < nb; i++) {
			maps[i] = mmap(NULL, len, PROT_READ, MAP_SHARED, fd,
				       (off_t)maps_off[i]);
			if (maps[i] == MAP_FAILED ||
			    madvise(maps[i], len, MADV_WILLNEED))
				exit(1);
		}
		pid = start_reader(maps, nb, sh);
		usleep(100000);
	}
	/* the plan alone (dry run): how much of the time is planning */
	t0 = now_s();
	if (t_ioctl(fd, FRAGALLOC_IOC_RECOMPACT, &dry, &rc, sizeof(rc))) {
		perror("RECOMPACT dry run");
		exit(1);
	}
	plan_s = now_s() - t0;
	t0 = now_s();
	if (t_recompact(fd, FRAGALLOC_SCOPE_POOL, &rc)) {
		perror("RECOMPACT");
		exit(1);
	}
	t = now_s() - t0;
	if (stall) {
		sh[0] = 1;
		waitpid(pid, NULL, 0);
		*stall = sh[1];
		for (int i = 0; i < nb; i++)
			munmap(maps[i], len);
		munmap((void *)sh, 4096);
	}
	for (int i = 0; i < nb; i++)
		t_free(fd, h[i]);
	*bytes = rc.out_bytes_copied;
	*moved = rc.out_pages_moved;
	return (double)rc.out_bytes_copied / 1048576.0 / t;
}

static double memcpy_round(char *dst, const char *src, size_t len)
{
	double t0 = now_s();

	memcpy(dst, src, len);
	__asm__ __volatile__("" : : "r"(dst) : "memory");
	return (double)len / 1048576.0 / (now_s() - t0);
}

/* ratio of the medians of the two rows of @v */
static double ratio(double (*v)[MAXREPS], int reps, double *m0, double *m1)
{
	*m0 = median(v[0], reps);
	*m1 = median(v[1], reps);
	return *m0 / *m1;
}

/*
 * The mapping figures, as the current @willneed says: equal work (@am[0]:
 * allocate + map + touch, @am[1]: anonymous MAP_POPULATE) and mapping only
 * (@mb[0]: a batch allocated beforehand, @mb[1]: a memfd).
 */
static void map_rounds(int reps, double (*am)[MAXREPS], double (*mb)[MAXREPS])
{
	struct fragalloc_alloc a = { 0 };
	int mfd;

	/* equal work: allocate (zeroed) + map + touch + unmap + free */
	alloc_map_round();
	map_anon_round();
	for (int r = 0; r < reps; r++) {
		am[0][r] = alloc_map_round();
		am[1][r] = map_anon_round();
	}

	/* mapping only: both sides allocated (and written) before the rounds */
	mfd = memfd_create("fa_speed", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, (off_t)(BATCH * (uint64_t)psz))) {
		perror("memfd");
		exit(1);
	}
	if (t_alloc(fd, BATCH, FRAGALLOC_POLICY_COMPACT, &a)) {
		perror("ALLOC");
		exit(1);
	}
	map_memfd_round(mfd);	/* allocates the memfd's pages; not counted */
	map_batch_round(a.out_mmap_offset);
	for (int r = 0; r < reps; r++) {
		mb[0][r] = map_batch_round(a.out_mmap_offset);
		mb[1][r] = map_memfd_round(mfd);
	}
	t_free(fd, a.out_handle);
	close(mfd);
}

int main(int argc, char **argv)
{
	double af[4][MAXREPS], am[2][2][MAXREPS], mb[2][2][MAXREPS];
	double rcs[MAXREPS], mc[MAXREPS], plan[MAXREPS];
	double afm[4], amm[2][2], mbm[2][2], amr[2], mbr[2], rcm, mcm;
	uint64_t bytes[MAXREPS], moved = 0, maxbytes = 0, sb, sm;
	int reps = 5, nb = 4;
	double stall = 0;
	char *src, *dst;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--reps"))
			reps = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--batches"))
			nb = atoi(argv[i + 1]);
	}
	if (reps < 1 || reps > MAXREPS || nb < 1 || nb > 16) {
		fprintf(stderr, "fa_speed: bad arguments\n");
		return 2;
	}
	psz = sysconf(_SC_PAGESIZE);
	fd = t_open();

	/* warm-up round, not counted */
	for (int p = 0; p < 4; p++)
		alloc_free_round(p, 1);
	for (int r = 0; r < reps; r++)
		for (int p = 0; p < 4; p++)
			af[p][r] = alloc_free_round(p, nb);

	for (willneed = 0; willneed < 2; willneed++)
		map_rounds(reps, am[willneed], mb[willneed]);

	/*
	 * memcpy() rounds interleaved with the recompactions, as the other
	 * peers are: a shared host's load changes between phases. The moves
	 * are at most the half of the pages that stay.
	 */
	maxbytes = (uint64_t)nb * BATCH / 2 * (uint64_t)psz;
	src = malloc(maxbytes);
	dst = malloc(maxbytes);
	if (!src || !dst)
		return 1;
	memset(src, 7, maxbytes);
	memset(dst, 0, maxbytes);
	for (int r = 0; r < reps; r++) {
		rcs[r] = recompact_round(nb, &bytes[r], &moved, NULL);
		plan[r] = plan_s * 1e3;
		mc[r] = memcpy_round(dst, src, bytes[r] && bytes[r] < maxbytes ?
					       bytes[r] : maxbytes);
	}
	/* untimed: how long a reader's fault waits for a run of moves */
	recompact_round(nb, &sb, &sm, &stall);

	for (int p = 0; p < 4; p++)
		afm[p] = median(af[p], reps);
	for (int w = 0; w < 2; w++) {
		amr[w] = ratio(am[w], reps, &amm[w][0], &amm[w][1]);
		mbr[w] = ratio(mb[w], reps, &mbm[w][0], &mbm[w][1]);
	}
	rcm = median(rcs, reps);
	mcm = median(mc, reps);

	printf("{\"reps\":%d,\"batches\":%d,\"alloc_free_pages_s\":{", reps, nb);
	for (int p = 0; p < 4; p++)
		printf("%s\"%s\":%.0f", p ? "," : "", pnames[p], afm[p]);
	printf("},\"alloc_free_vs_bulk\":{");
	for (int p = 0; p < 4; p++)
		printf("%s\"%s\":%.3f", p ? "," : "", pnames[p], afm[p] / afm[2]);
	printf("},\"alloc_map_touch_mb_s\":%.1f,\"anon_populate_touch_mb_s\":%.1f,"
	       "\"alloc_map_touch_vs_anon\":%.3f,"
	       "\"prealloc_map_touch_mb_s\":%.1f,\"memfd_map_touch_mb_s\":%.1f,"
	       "\"prealloc_map_touch_vs_memfd\":%.3f,\"recompact_mb_s\":%.1f,"
	       "\"recompact_bytes\":%llu,\"recompact_pages_moved\":%llu,"
	       "\"memcpy_mb_s\":%.1f,\"recompact_vs_memcpy\":%.3f,",
	       amm[0][0], amm[0][1], amr[0], mbm[0][0], mbm[0][1], mbr[0], rcm,
	       (unsigned long long)bytes[reps / 2],
	       (unsigned long long)moved, mcm, rcm / mcm);
	printf("\"alloc_map_willneed_touch_mb_s\":%.1f,"
	       "\"anon_populate_touch_2_mb_s\":%.1f,"
	       "\"alloc_map_willneed_touch_vs_anon\":%.3f,"
	       "\"prealloc_map_willneed_touch_mb_s\":%.1f,"
	       "\"memfd_populate_touch_mb_s\":%.1f,"
	       "\"prealloc_map_willneed_touch_vs_memfd_populate\":%.3f,"
	       "\"prealloc_map_willneed_touch_vs_anon\":%.3f,"
	       "\"recompact_stall_max_us\":%.0f,\"recompact_stall_moved\":%llu,"
	       "\"recompact_plan_ms\":%.2f}\n",
	       amm[1][0], amm[1][1], amr[1], mbm[1][0], mbm[1][1], mbr[1],
	       mbm[1][0] / amm[1][1], stall * 1e6, (unsigned long long)sm,
	       median(plan, reps));
	return 0;
}
