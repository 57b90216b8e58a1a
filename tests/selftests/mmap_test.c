// SPDX-License-Identifier: GPL-2.0
/*
 * mmap_test: mapping a fragalloc batch (the "mmap() of a batch" part of the
 * DOC in uapi/linux/fragalloc.h).
 */
#include "common.h"

/* TCG is 10-50x slower than native: a hang guard, not a time budget. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 120

/* The tests of fa leave their batches to close(); those of batch free them. */
T_FIXTURE(fa, T_MAY_HOLD);
T_FIXTURE(batch, T_ENDS_EMPTY);
T_POLICY_VARIANTS(batch);

#define NR 16

static void fill(void *m, size_t npages, __u64 tag, __u64 first)
{
	for (size_t i = 0; i < npages; i++)
		t_fill_page((char *)m + i * t_page_size(), t_page_seed(tag, 0, first + i));
}

/* Number of pages in [0, npages) that do not hold their pattern. */
static size_t count_bad(const void *m, size_t npages, __u64 tag, __u64 first)
{
	size_t bad = 0;

	for (size_t i = 0; i < npages; i++)
		bad += t_check_page((const char *)m + i * t_page_size(),
				     t_page_seed(tag, 0, first + i)) != -1;
	return bad;
}

static __u64 alloc_batch(struct __test_metadata *_metadata, int fd, __u64 nr,
			 __u32 policy, __u32 *handle)
{
	struct fragalloc_alloc a;

	ASSERT_EQ(0, t_alloc(fd, nr, FRAGALLOC_UNMOVABLE, policy, 0, &a));
	*handle = a.out_handle;
	return a.out_mmap_offset;
}

/* A batch of NR pages (alloc_batch(), compact), mapped whole; @off may be NULL. */
static char *map_new_batch(struct __test_metadata *_metadata, int fd,
			   __u32 *handle, __u64 *off)
{
	__u64 o = alloc_batch(_metadata, fd, NR, FRAGALLOC_POLICY_COMPACT, handle);
	char *m = t_map(fd, o, NR);

	ASSERT_NE(MAP_FAILED, m);
	if (off)
		*off = o;
	return m;
}

/* Minor faults this thread has taken so far (a VM_PFNMAP fault is one). */
static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt;
}

/* Faults taken reading pages [@first, @end) of @m. */
static long read_faults(const char *m, size_t first, size_t end)
{
	long f0 = minflt();

	for (size_t i = first; i < end; i++)
		(void)*(volatile const char *)(m + i * t_page_size());
	return minflt() - f0;
}

/* Batch @h's first @npages pages mapped again, then MADV_WILLNEED. */
static char *map_willneed(struct __test_metadata *_metadata, int fd, __u32 h,
			  size_t npages)
{
	struct fragalloc_batch_info bi;
	char *m;

	ASSERT_EQ(0, t_batch_info(fd, h, NULL, 0, &bi));
	m = t_map(fd, bi.out_mmap_offset, npages);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0, madvise(m, npages * t_page_size(), MADV_WILLNEED));
	return m;
}

TEST_F(batch, map_twice_shared)
{
	const __u32 p = variant->policy;
	__u32 h;
	__u64 off = alloc_batch(_metadata, self->fd, NR, p, &h);
	char *m1 = t_map(self->fd, off, NR), *m2;

	ASSERT_NE(MAP_FAILED, m1);
	fill(m1, NR, 1 + p, 0);
	m2 = t_map(self->fd, off, NR);
	ASSERT_NE(MAP_FAILED, m2);
	EXPECT_NE(m1, m2);
	EXPECT_EQ(0, count_bad(m2, NR, 1 + p, 0));
	/* and back the other way */
	fill(m2, NR, 11 + p, 0);
	EXPECT_EQ(0, count_bad(m1, NR, 11 + p, 0));
	munmap(m1, NR * self->ps);
	munmap(m2, NR * self->ps);
	EXPECT_EQ(0, t_free(self->fd, h));
}

TEST_F(fa, map_read_only)
{
	__u32 h;
	__u64 off;
	char *rw = map_new_batch(_metadata, self->fd, &h, &off), *ro;

	fill(rw, NR, 5, 0);
	ro = mmap(NULL, NR * self->ps, PROT_READ, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(0, count_bad(ro, NR, 5, 0));
	EXPECT_EQ(SIGSEGV, t_probe(ro, true, 1, NULL));
	munmap(ro, NR * self->ps);
	munmap(rw, NR * self->ps);
}

TEST_F(fa, map_sub_range)
{
	__u32 h;
	__u64 off;
	char *all = map_new_batch(_metadata, self->fd, &h, &off);

	fill(all, NR, 2, 0);
	for (size_t k = 0; k < NR; k += 5) {
		size_t len = NR - k < 3 ? NR - k : 3;
		char *sub = t_map(self->fd, off + k * self->ps, len);

		ASSERT_NE(MAP_FAILED, sub) {
			TH_LOG("offset +%zu pages: %s", k, strerror(errno));
		}
		EXPECT_EQ(0, count_bad(sub, len, 2, k));
		/* a write through the sub-range lands in the right page */
		t_fill_page(sub, t_page_seed(3, 0, k));
		EXPECT_EQ(-1, t_check_page(all + k * self->ps, t_page_seed(3, 0, k)));
		t_fill_page(sub, t_page_seed(2, 0, k));
		munmap(sub, len * self->ps);
	}
	/* the last page alone */
	{
		char *last = t_map(self->fd, off + (NR - 1) * self->ps, 1);

		ASSERT_NE(MAP_FAILED, last);
		EXPECT_EQ(0, count_bad(last, 1, 2, NR - 1));
		munmap(last, self->ps);
	}
	munmap(all, NR * self->ps);
}

TEST_F(fa, map_private_einval)
{
	__u32 h;
	__u64 off = alloc_batch(_metadata, self->fd, NR, 0, &h);
	void *m;

	m = mmap(NULL, NR * self->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, off);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
	m = mmap(NULL, self->ps, PROT_READ, MAP_PRIVATE, self->fd, off);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(fa, map_offset_not_in_batch_enxio)
{
	__u32 h, h2;
	__u64 off, off2, end;
	void *m;
	int fd0 = t_open();

	ASSERT_LE(0, fd0);
	/* an fd with no batch: offset 0 and any other */
	m = t_map(fd0, 0, 1);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(ENXIO, errno);
	close(fd0);

	off = alloc_batch(_metadata, self->fd, NR, 0, &h);
	off2 = alloc_batch(_metadata, self->fd, NR, 0, &h2);
	end = (off > off2 ? off : off2) + NR * self->ps;
	/* beyond the highest batch */
	m = t_map(self->fd, end + 64 * self->ps, 1);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(ENXIO, errno);
	m = t_map(self->fd, 1ULL << 40, 1);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(ENXIO, errno);
	/* a freed batch's offset */
	ASSERT_EQ(0, t_free(self->fd, h));
	m = t_map(self->fd, off, 1);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(ENXIO, errno);
	m = t_map(self->fd, off2, NR);
	EXPECT_NE(MAP_FAILED, m);
	munmap(m, NR * self->ps);
}

TEST_F(fa, map_past_end_enxio)
{
	__u32 h;
	__u64 off = alloc_batch(_metadata, self->fd, NR, 0, &h);
	void *m;

	m = t_map(self->fd, off, NR + 1);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(ENXIO, errno);
	m = t_map(self->fd, off + (NR - 1) * self->ps, 2);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(ENXIO, errno);
	m = t_map(self->fd, off + 4 * self->ps, NR);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(ENXIO, errno);
	/* exactly to the end is fine */
	m = t_map(self->fd, off + 4 * self->ps, NR - 4);
	EXPECT_NE(MAP_FAILED, m);
	munmap(m, (NR - 4) * self->ps);
}

TEST_F(fa, map_other_fd_batch_enxio)
{
	int fd2 = t_open();
	struct fragalloc_alloc a, b;
	void *m;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, t_alloc(self->fd, NR, 0, 0, 0, &a));
	/* fd2 without batches cannot map fd's batch */
	m = t_map(fd2, a.out_mmap_offset, NR);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(ENXIO, errno);
	m = t_map(fd2, a.out_mmap_offset, 1);
	EXPECT_EQ(MAP_FAILED, m);
	EXPECT_EQ(ENXIO, errno);
	/* fd2 with a batch of its own: still only if the ranges are disjoint */
	ASSERT_EQ(0, t_alloc(fd2, 1, 0, 0, 0, &b));
	if (b.out_mmap_offset + self->ps <= a.out_mmap_offset ||
	    a.out_mmap_offset + NR * self->ps <= b.out_mmap_offset) {
		m = t_map(fd2, a.out_mmap_offset, NR);
		EXPECT_EQ(MAP_FAILED, m);
		EXPECT_EQ(ENXIO, errno);
	}
	close(fd2);
}

/* fork() of a mapping (populated first if @willneed): both sides share it. */
static void fork_shares(struct __test_metadata *_metadata, int fd, bool willneed)
{
	__u32 h;
	char *m = map_new_batch(_metadata, fd, &h, NULL);
	size_t ps = t_page_size();
	pid_t pid;

	fill(m, NR, 7, 0);
	if (willneed) {
		ASSERT_EQ(0, munmap(m, NR * ps));
		m = map_willneed(_metadata, fd, h, NR);
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (count_bad(m, NR, 7, 0))
			_exit(1);
		fill(m, NR / 2, 8, 0);
		_exit(0);
	}
	ASSERT_EQ(0, t_wait(pid));
	EXPECT_EQ(0, count_bad(m, NR / 2, 8, 0));
	EXPECT_EQ(0, count_bad(m + NR / 2 * ps, NR / 2, 7, NR / 2));
	munmap(m, NR * ps);
}

TEST_F(fa, fork_shares_mapping)
{
	fork_shares(_metadata, self->fd, false);
}

TEST_F(fa, fork_shares_populated_mapping)
{
	fork_shares(_metadata, self->fd, true);
}

TEST_F(fa, mremap_grow_fails)
{
	__u32 h, h2;
	__u64 off = alloc_batch(_metadata, self->fd, NR, 0, &h);
	char *m, *r;

	alloc_batch(_metadata, self->fd, NR, 0, &h2);
	m = t_map(self->fd, off, NR / 2);
	ASSERT_NE(MAP_FAILED, m);
	fill(m, NR / 2, 9, 0);
	r = mremap(m, NR / 2 * self->ps, NR * self->ps, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, r);
	r = mremap(m, NR / 2 * self->ps, NR / 2 * self->ps + self->ps, 0);
	EXPECT_EQ(MAP_FAILED, r);
	/* the mapping is unharmed */
	EXPECT_EQ(0, count_bad(m, NR / 2, 9, 0));
	munmap(m, NR / 2 * self->ps);
}

TEST_F(fa, munmap_remap_persists)
{
	__u32 h;
	__u64 off;
	char *m = map_new_batch(_metadata, self->fd, &h, &off);

	fill(m, NR, 10, 0);
	ASSERT_EQ(0, munmap(m, NR * self->ps));
	m = t_map(self->fd, off, NR);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0, count_bad(m, NR, 10, 0));
	/* unmap a hole in the middle: the rest of the vma still works */
	ASSERT_EQ(0, munmap(m + 4 * self->ps, 2 * self->ps));
	EXPECT_EQ(0, count_bad(m, 4, 10, 0));
	EXPECT_EQ(0, count_bad(m + 6 * self->ps, NR - 6, 10, 6));
	EXPECT_EQ(SIGSEGV, t_probe(m + 4 * self->ps, false, 0, NULL));
	munmap(m, NR * self->ps);
}

/* Touching a page punched after the mapping was made: SIGBUS. */
TEST_F(fa, free_range_while_mapped_sigbus)
{
	__u32 h;
	__u64 off;
	char *m = map_new_batch(_metadata, self->fd, &h, &off), *m2;
	const size_t k = 5;

	fill(m, NR, 12, 0);		/* every pte populated */
	ASSERT_EQ(0, t_free_range(self->fd, h, k, 2, NULL));
	EXPECT_EQ(SIGBUS, t_probe(m + k * self->ps, false, 0, NULL));
	EXPECT_EQ(SIGBUS, t_probe(m + (k + 1) * self->ps + 100, true, 1, NULL));
	EXPECT_EQ(0, count_bad(m, k, 12, 0));
	EXPECT_EQ(0, count_bad(m + (k + 2) * self->ps, NR - k - 2, 12, k + 2));
	/* a new mapping over the hole can be made; the hole still SIGBUSes */
	m2 = t_map(self->fd, off, NR);
	ASSERT_NE(MAP_FAILED, m2) {
		TH_LOG("mmap over a punched range: %s", strerror(errno));
	}
	EXPECT_EQ(SIGBUS, t_probe(m2 + k * self->ps, false, 0, NULL));
	EXPECT_EQ(0, count_bad(m2 + (k + 2) * self->ps, NR - k - 2, 12, k + 2));
	munmap(m2, NR * self->ps);
	munmap(m, NR * self->ps);
}

/* Same, but the pages were never touched before the punch. */
TEST_F(fa, free_range_unfaulted_sigbus)
{
	__u32 h;
	char *m = map_new_batch(_metadata, self->fd, &h, NULL);

	ASSERT_EQ(0, t_free_range(self->fd, h, 0, 1, NULL));
	EXPECT_EQ(SIGBUS, t_probe(m, false, 0, NULL));
	EXPECT_EQ(0, t_probe(m + self->ps, false, 0, NULL));
	munmap(m, NR * self->ps);
}

TEST_F(fa, free_whole_while_mapped_sigbus)
{
	__u32 h;
	char *m = map_new_batch(_metadata, self->fd, &h, NULL);
	int go[2], ready[2];
	pid_t pid;
	char c;

	fill(m, NR, 13, 0);
	/* a forked child's (populated) mapping is zapped too */
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int bad;

		close(go[1]);
		close(ready[0]);
		bad = count_bad(m, NR, 13, 0) != 0;
		if (write(ready[1], "r", 1) != 1 || bad)
			_exit(1);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		if (t_probe(m, false, 0, NULL) != SIGBUS)
			_exit(3);
		if (t_probe(m + (NR - 1) * t_page_size(), true, 1, NULL) != SIGBUS)
			_exit(4);
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(0, t_free(self->fd, h));
	ASSERT_EQ(1, write(go[1], "x", 1));
	close(go[1]);
	close(ready[0]);
	EXPECT_EQ(SIGBUS, t_probe(m, false, 0, NULL));
	EXPECT_EQ(SIGBUS, t_probe(m + 3 * self->ps, true, 1, NULL));
	EXPECT_EQ(SIGBUS, t_probe(m + (NR - 1) * self->ps, false, 0, NULL));
	EXPECT_EQ(0, t_wait(pid));
	/* munmap of the dead mapping is fine */
	EXPECT_EQ(0, munmap(m, NR * self->ps));
}

/* A write to a mapping after close() of the fd still reaches the batch. */
TEST_F(fa, close_fd_mapping_survives)
{
	__u32 h;
	__u64 off;
	char *m = map_new_batch(_metadata, self->fd, &h, &off), *m2;

	m2 = t_map(self->fd, off, NR);
	ASSERT_NE(MAP_FAILED, m2);
	close(self->fd);
	self->fd = -1;
	/* never-touched pages fault in after close */
	fill(m, NR, 14, 0);
	EXPECT_EQ(0, count_bad(m2, NR, 14, 0));
	munmap(m, NR * self->ps);
	EXPECT_EQ(0, count_bad(m2, NR, 14, 0));
	munmap(m2, NR * self->ps);
}

/* The mapping ends exactly at the batch's end: one past is SIGSEGV. */
TEST_F(fa, access_past_mapping_end)
{
	__u32 h;
	__u64 off = alloc_batch(_metadata, self->fd, NR, 0, &h);
	char *guard, *m;

	/* reserve NR+1 pages so the page after the mapping is known unmapped */
	guard = mmap(NULL, (NR + 1) * self->ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, guard);
	ASSERT_EQ(0, munmap(guard + NR * self->ps, self->ps));
	m = mmap(guard, NR * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 self->fd, off);
	ASSERT_EQ(guard, m);
	EXPECT_EQ(0, t_probe(m + NR * self->ps - 1, true, 1, NULL));
	EXPECT_EQ(SIGSEGV, t_probe(m + NR * self->ps, false, 0, NULL));
	munmap(m, NR * self->ps);
}

/* The fault-around window: 64 pages, aligned on their virtual address. */
#define WIN 64

/* Index of the first page of @m that starts a fault-around window. */
static size_t win_start(const char *m)
{
	size_t ps = t_page_size();

	return ((WIN * ps - (uintptr_t)m % (WIN * ps)) / ps) % WIN;
}

/*
 * A freshly mapped 2 * WIN-page batch, filled with @tag through an earlier
 * mapping (so this one has no PTE yet); @hole (if < 2 * WIN) punched.
 */
static char *map_cold(struct __test_metadata *_metadata, int fd, __u64 tag,
		      size_t hole, __u32 *h)
{
	__u64 off = alloc_batch(_metadata, fd, 2 * WIN, FRAGALLOC_POLICY_COMPACT, h);
	char *m = t_map(fd, off, 2 * WIN);

	ASSERT_NE(MAP_FAILED, m);
	fill(m, 2 * WIN, tag, 0);
	ASSERT_EQ(0, munmap(m, 2 * WIN * t_page_size()));
	if (hole < 2 * WIN)
		ASSERT_EQ(0, t_free_range(fd, *h, hole, 1, NULL));
	m = t_map(fd, off, 2 * WIN);
	ASSERT_NE(MAP_FAILED, m);
	return m;
}

/* One fault maps its whole window: the other 15 pages take no fault. */
TEST_F(fa, fault_around_maps_window)
{
	__u32 h;
	char *m = map_cold(_metadata, self->fd, 20, SIZE_MAX, &h);
	size_t w = win_start(m);

	EXPECT_EQ(1, read_faults(m, w, w + 1));
	EXPECT_EQ(0, read_faults(m, w + 1, w + WIN)) {
		TH_LOG("the pages around a fault were not mapped with it");
	}
	EXPECT_EQ(0, count_bad(m, 2 * WIN, 20, 0));
	munmap(m, 2 * WIN * self->ps);
}

/* A hole inside the window gets no PTE: it still SIGBUSes. */
TEST_F(fa, fault_around_hole_sigbus)
{
	__u32 h;
	char *m, *probe;
	size_t w;

	/* where the window falls is only known once mapped: punch then */
	m = map_cold(_metadata, self->fd, 21, SIZE_MAX, &h);
	w = win_start(m);
	ASSERT_EQ(0, t_free_range(self->fd, h, w + 5, 1, NULL));
	EXPECT_EQ(1, read_faults(m, w, w + 1));
	EXPECT_EQ(0, read_faults(m, w + 1, w + 5));
	EXPECT_EQ(0, read_faults(m, w + 6, w + WIN));
	probe = m + (w + 5) * self->ps;
	EXPECT_EQ(SIGBUS, t_probe(probe, false, 0, NULL));
	EXPECT_EQ(SIGBUS, t_probe(probe + 7, true, 1, NULL));
	EXPECT_EQ(0, count_bad(m, w + 5, 21, 0));
	EXPECT_EQ(0, count_bad(m + (w + 6) * self->ps, 2 * WIN - w - 6, 21, w + 6));
	munmap(m, 2 * WIN * self->ps);
}

/* MADV_WILLNEED inserts every present page: no fault at all afterwards. */
TEST_F(fa, willneed_populates)
{
	__u32 h;
	char *m = map_cold(_metadata, self->fd, 22, 9, &h);

	ASSERT_EQ(0, munmap(m, 2 * WIN * self->ps));
	m = map_willneed(_metadata, self->fd, h, 2 * WIN);
	EXPECT_EQ(0, read_faults(m, 0, 9)) {
		TH_LOG("MADV_WILLNEED left pages unmapped");
	}
	EXPECT_EQ(0, read_faults(m, 10, 2 * WIN));
	EXPECT_EQ(0, count_bad(m, 9, 22, 0));
	EXPECT_EQ(0, count_bad(m + 10 * self->ps, 2 * WIN - 10, 22, 10));
	EXPECT_EQ(SIGBUS, t_probe(m + 9 * self->ps, false, 0, NULL));
	/* a sub-range of another mapping: only that mapping's range */
	EXPECT_EQ(0, madvise(m + self->ps, self->ps, MADV_WILLNEED));
	munmap(m, 2 * WIN * self->ps);
}

/*
 * MADV_WILLNEED on a PROT_NONE mapping is accepted and maps nothing a touch
 * could use: still SIGSEGV. After mprotect() to read-write the pages fault
 * in with their data, the hole still SIGBUSes, and writes reach the batch.
 */
TEST_F(fa, willneed_prot_none)
{
	struct fragalloc_batch_info bi;
	__u32 h;
	char *m = map_cold(_metadata, self->fd, 23, 9, &h), *m2;
	size_t len = 2 * WIN * self->ps;

	ASSERT_EQ(0, munmap(m, len));
	ASSERT_EQ(0, t_batch_info(self->fd, h, NULL, 0, &bi));
	m = mmap(NULL, len, PROT_NONE, MAP_SHARED, self->fd, bi.out_mmap_offset);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0, madvise(m, len, MADV_WILLNEED));
	EXPECT_EQ(SIGSEGV, t_probe(m, false, 0, NULL));
	EXPECT_EQ(SIGSEGV, t_probe(m + 10 * self->ps, true, 1, NULL));
	ASSERT_EQ(0, mprotect(m, len, PROT_READ | PROT_WRITE));
	EXPECT_EQ(0, count_bad(m, 9, 23, 0));
	EXPECT_EQ(0, count_bad(m + 10 * self->ps, 2 * WIN - 10, 23, 10));
	EXPECT_EQ(SIGBUS, t_probe(m + 9 * self->ps, false, 0, NULL));
	fill(m + 10 * self->ps, 1, 24, 0);
	m2 = t_map(self->fd, bi.out_mmap_offset, 2 * WIN);
	ASSERT_NE(MAP_FAILED, m2);
	EXPECT_EQ(0, count_bad(m2 + 10 * self->ps, 1, 24, 0));
	munmap(m2, len);
	munmap(m, len);
}

/*
 * posix_fadvise(WILLNEED) on the fd is accepted (0) and leaves the data
 * intact; a negative length is EINVAL, as for any other file
 * (generic_fadvise()), and other advice keeps its generic answer. (That
 * it maps every page is willneed_populates' assertion, through madvise.)
 */
TEST_F(fa, fadvise_willneed_and_bad_length)
{
	__u32 h;
	char *m = map_cold(_metadata, self->fd, 24, SIZE_MAX, &h);
	struct fragalloc_batch_info bi;
	off_t off;

	ASSERT_EQ(0, t_batch_info(self->fd, h, NULL, 0, &bi));
	off = (off_t)bi.out_mmap_offset;
	EXPECT_EQ(EINVAL, posix_fadvise(self->fd, off, -1, POSIX_FADV_WILLNEED));
	EXPECT_EQ(0, posix_fadvise(self->fd, off, 0, POSIX_FADV_WILLNEED));
	EXPECT_EQ(0, count_bad(m, 2 * WIN, 24, 0));
	EXPECT_EQ(EINVAL, posix_fadvise(self->fd, off, -1, POSIX_FADV_DONTNEED));
	munmap(m, 2 * WIN * self->ps);
}

/* FREE of a range inside a populated window zaps it: SIGBUS, rest intact. */
TEST_F(fa, free_range_populated_sigbus)
{
	__u32 h;
	char *m = map_cold(_metadata, self->fd, 23, SIZE_MAX, &h);

	ASSERT_EQ(0, munmap(m, 2 * WIN * self->ps));
	m = map_willneed(_metadata, self->fd, h, 2 * WIN);
	ASSERT_EQ(0, read_faults(m, 0, 2 * WIN));
	ASSERT_EQ(0, t_free_range(self->fd, h, 3, 2, NULL));
	EXPECT_EQ(SIGBUS, t_probe(m + 3 * self->ps, false, 0, NULL));
	EXPECT_EQ(SIGBUS, t_probe(m + 4 * self->ps, true, 1, NULL));
	EXPECT_EQ(0, count_bad(m, 3, 23, 0));
	EXPECT_EQ(0, count_bad(m + 5 * self->ps, 2 * WIN - 5, 23, 5));
	munmap(m, 2 * WIN * self->ps);
}

#define WNR	1024	/* pages of the batch the writers write */
#define WCHUNK	128	/* every other chunk of this size is freed */
#define NWRITERS 2

struct wr {
	char *m;
	int id;
	volatile int *stop;
	volatile __u64 round;	/* last round written in full */
};

/* Writer @id owns the kept chunks k with k / 2 % NWRITERS == id. */
static bool wr_owns(int id, size_t page)
{
	size_t k = page / WCHUNK;

	return !(k & 1) && k / 2 % NWRITERS == (size_t)id;
}

static void *wr_loop(void *arg)
{
	struct wr *w = arg;

	for (__u64 r = 1; !*w->stop; r++) {
		for (size_t i = 0; i < WNR; i++)
			if (wr_owns(w->id, i))
				t_fill_page(w->m + i * t_page_size(),
					    t_page_seed(30 + w->id, r, i));
		w->round = r;
	}
	return NULL;
}

/*
 * Recompaction of a populated mapping while threads write to it: every
 * page holds its writer's last round afterwards, through the same mapping.
 */
TEST_F_TIMEOUT(fa, recompact_populated_vs_writers, 240)
{
	struct fragalloc_recompact rc;
	pthread_t th[NWRITERS];
	struct wr w[NWRITERS];
	volatile int stop = 0;
	size_t bad = 0;
	__u32 h;
	char *m;

	alloc_batch(_metadata, self->fd, WNR, FRAGALLOC_POLICY_COMPACT, &h);
	/* half of every pageblock's worth freed: the survivors can move */
	for (size_t k = 1; k < WNR / WCHUNK; k += 2)
		ASSERT_EQ(0, t_free_range(self->fd, h, k * WCHUNK, WCHUNK, NULL));
	m = map_willneed(_metadata, self->fd, h, WNR);
	for (int i = 0; i < NWRITERS; i++) {
		w[i] = (struct wr){ .m = m, .id = i, .stop = &stop };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, wr_loop, &w[i]));
	}
	while (w[0].round < 1 || w[NWRITERS - 1].round < 1)
		usleep(1000);
	EXPECT_EQ(0, t_recompact(self->fd, FRAGALLOC_SCOPE_FD, 0, 0, 0, &rc));
	stop = 1;
	for (int i = 0; i < NWRITERS; i++)
		pthread_join(th[i], NULL);
	EXPECT_LT(0, rc.out_pages_moved) {
		TH_LOG("nothing moved: the test proves nothing");
	}
	for (size_t i = 0; i < WNR; i++)
		for (int id = 0; id < NWRITERS; id++)
			if (wr_owns(id, i))
				bad += t_check_page(m + i * self->ps,
						    t_page_seed(30 + id, w[id].round, i)) != -1;
	EXPECT_EQ(0, bad);
	EXPECT_EQ(SIGBUS, t_probe(m + WCHUNK * self->ps, false, 0, NULL));
	munmap(m, WNR * self->ps);
}

TEST_HARNESS_MAIN
