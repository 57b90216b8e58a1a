// SPDX-License-Identifier: GPL-2.0
/*
 * fa_churn - the competing load of the separate-boot benchmark, seeded.
 *
 *   fa_churn slab DIR SEED OPS LIVE   create/delete empty files in DIR (a
 *                                     tmpfs): inode and dentry slab churn;
 *                                     up to LIVE files stay at the end
 *   fa_churn anon SEED OPS MAXMB      map, touch and unmap anonymous chunks
 *                                     of 64 KiB..4 MiB, at most MAXMB live;
 *                                     everything is unmapped at the end
 * Prints one line "churn MODE ops=N seconds=S".
 */
#include <sys/mman.h>

#include "common.h"

static int slab(const char *dir, struct rng *r, uint64_t ops, uint64_t live_max)
{
	uint64_t *live = calloc(live_max + 1, sizeof(*live)), nlive = 0, next = 0;
	char path[512];

	if (!live)
		return 1;
	for (uint64_t k = 0; k < ops; k++) {
		if (nlive < live_max && (nlive == 0 || rnd_unit(r) < 0.55)) {
			int fd;

			snprintf(path, sizeof(path), "%s/f%llu", dir,
				 (unsigned long long)next);
			fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
			if (fd < 0) {
				perror(path);
				return 1;
			}
			close(fd);
			live[nlive++] = next++;
		} else {
			uint64_t i = rnd_below(r, nlive);

			snprintf(path, sizeof(path), "%s/f%llu", dir,
				 (unsigned long long)live[i]);
			unlink(path);
			live[i] = live[--nlive];
		}
	}
	free(live);
	return 0;
}

struct chunk {
	char *p;
	size_t len;
};

static int anon(struct rng *r, uint64_t ops, uint64_t max_mb)
{
	struct chunk ch[4096];
	size_t n = 0, live = 0, cap = (size_t)max_mb << 20;
	long psz = sysconf(_SC_PAGESIZE);

	for (uint64_t k = 0; k < ops; k++) {
		size_t len = (size_t)(16 + rnd_below(r, 1009)) * (size_t)psz;

		while (n && (live + len > cap || n == 4096 || rnd_unit(r) < 0.3)) {
			size_t i = (size_t)rnd_below(r, n);

			munmap(ch[i].p, ch[i].len);
			live -= ch[i].len;
			ch[i] = ch[--n];
			if (live + len <= cap && n < 4096)
				break;
		}
		ch[n].p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ch[n].p == MAP_FAILED)
			continue;
		ch[n].len = len;
		for (size_t o = 0; o < len; o += (size_t)psz)
			ch[n].p[o] = (char)k;
		live += len;
		n++;
	}
	while (n--)
		munmap(ch[n].p, ch[n].len);
	return 0;
}

int main(int argc, char **argv)
{
	struct rng r;
	double t0 = now_s();
	int ret;

	if (argc == 6 && !strcmp(argv[1], "slab")) {
		r.state = strtoull(argv[3], NULL, 0) ^ 0x51ab;
		ret = slab(argv[2], &r, strtoull(argv[4], NULL, 0),
			   strtoull(argv[5], NULL, 0));
	} else if (argc == 5 && !strcmp(argv[1], "anon")) {
		r.state = strtoull(argv[2], NULL, 0) ^ 0xa707;
		ret = anon(&r, strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0));
	} else {
		fprintf(stderr, "usage: fa_churn slab DIR SEED OPS LIVE | anon SEED OPS MAXMB\n");
		return 2;
	}
	printf("churn %s ops=%s seconds=%.2f\n", argv[1],
	       argv[1][0] == 's' ? argv[4] : argv[3], now_s() - t0);
	return ret;
}
