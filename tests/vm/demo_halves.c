// SPDX-License-Identifier: GPL-2.0
/*
 * demo_halves - issue 5's scenario for `make demo`: allocate 360 MB in
 * 40 MB batches (compact policy), then free the second half of every
 * pageblock's worth of pages of each batch, so every pool pageblock is half
 * full; print "holding" and keep the memory until SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/fragalloc.h>

#define BATCHES		9
#define BATCH_PAGES	10240ULL

int main(void)
{
	struct fragalloc_info info = { .size = sizeof(info) };
	unsigned long long bp, freed = 0;
	int fd = open("/dev/fragalloc", O_RDWR);
	sigset_t set;
	int sig;

	if (fd < 0 || ioctl(fd, FRAGALLOC_IOC_INFO, &info)) {
		perror("demo_halves: /dev/fragalloc");
		return 1;
	}
	bp = 1ULL << info.out_pageblock_order;
	for (int i = 0; i < BATCHES; i++) {
		struct fragalloc_alloc a = { .size = sizeof(a),
					     .nr_pages = BATCH_PAGES };

		if (ioctl(fd, FRAGALLOC_IOC_ALLOC, &a)) {
			perror("demo_halves: ALLOC");
			return 1;
		}
		for (unsigned long long p = bp / 2; p < BATCH_PAGES; p += bp) {
			struct fragalloc_free f = {
				.size = sizeof(f), .flags = FRAGALLOC_FREE_RANGE,
				.handle = a.out_handle, .first_page = p,
				.nr_pages = bp / 2,
			};

			if (ioctl(fd, FRAGALLOC_IOC_FREE, &f)) {
				perror("demo_halves: FREE");
				return 1;
			}
			freed += f.out_nr_freed;
		}
	}
	printf("holding %llu pages in %d batches, every pageblock half full (%llu freed)\n",
	       BATCHES * BATCH_PAGES - freed, BATCHES, freed);
	fflush(stdout);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigwait(&set, &sig);
	close(fd);
	return 0;
}
