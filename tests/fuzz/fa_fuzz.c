// SPDX-License-Identifier: GPL-2.0
/*
 * fa_fuzz - type-aware ioctl/mmap fuzzer for /dev/fragalloc (runs in the VM).
 *
 * Usage: fa_fuzz [-t SECONDS] [-s SEED] [-j THREADS] [-m MAX_PAGES] [-r] [-v]
 *
 * -r adds a thread with an fd of its own that issues pool-wide RECOMPACT
 * back to back (root), so the workers' frees and range frees race pages
 * that a recompaction started from another fd is moving. tests/fuzz/
 * fuzz_race.sh runs it with release_delay_ms=0, reserve_blocks=0 and the
 * automatic mode on, where such windows are widest.
 *
 * Several threads, some sharing one fd and some with an fd of their own,
 * issue random sequences of ALLOC / FREE / range FREE / BATCH_INFO / STATS /
 * RECOMPACT (batch, fd and pool scope, dry runs, caps) / INFO, mmap, munmap,
 * mremap, madvise, mprotect, fork and close+reopen, with edge values (0, 1,
 * page multiples, 2^32 +- 1, 2^64 - 1, garbage flags and reserved members,
 * bad struct sizes, bad pointers). Each thread writes a pattern into every
 * page of its own batches that it maps, and checks all its live mappings
 * after every operation (so also after recompactions done by other threads).
 *
 * On a shared fd a thread frees and recompacts only its own handles (or
 * handles no fd ever has), so a mapping can only lose a page because its
 * owner freed it. Every errno is checked against the uapi DOC table for that
 * call; calls built to be invalid must fail with the expected errno.
 *
 * TAP output, 5 results: no data mismatch; every errno documented; invalid
 * input rejected as documented; no unexpected signal or failed child; pool
 * stats back to baseline after close. The seed is printed at start:
 * `fa_fuzz -t 25 -s SEED` repeats the run (modulo thread scheduling).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/fragalloc.h>

#include "fa_ioc.h"

#define MAX_THREADS	16
#define MAX_BATCHES	48
#define MAX_MAPS	48
#define MAX_LOG		40

typedef unsigned __int128 eset;	/* a set of errnos, bit 0: success */
#define E(x)		((eset)1 << (x))
/* errnos the DOC block allows for mmap() (the ioctls': fa_iocs[].errnos) */
#define DOC_MMAP	(E(EINVAL) | E(ENXIO))

/* ------------------------------------------------------------------ */

static const char *dev_path = "/dev/fragalloc";
static size_t ps;
static struct fragalloc_info info;
static bool is_root;
static volatile int stop;
static int verbose;
static unsigned long max_pages_per_thread = 768;

/* results */
enum { R_DATA, R_ERRNO, R_EXPECT, R_SIGNAL, R_NR };
static const char *const r_name[R_NR] = {
	"no data mismatch",
	"every errno documented",
	"invalid input rejected as documented",
	"every fork child verified the shared mappings",
};
static int nfail[R_NR];
static int nlog;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void failf(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failf(int r, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&log_lock);
	nfail[r]++;
	if (nlog++ < MAX_LOG) {
		fprintf(stdout, "# FAIL[%s] ", r_name[r]);
		va_start(ap, fmt);
		vfprintf(stdout, fmt, ap);
		va_end(ap);
		fputc('\n', stdout);
		fflush(stdout);
	}
	pthread_mutex_unlock(&log_lock);
}

/* ------------------------------------------------------------------ */
/* random numbers: xorshift64*, per thread                             */

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(uint64_t *s, uint64_t n)
{
	return n ? rnd(s) % n : 0;
}

static bool chance(uint64_t *s, unsigned int pct)
{
	return below(s, 100) < pct;
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* an edge value for a 64-bit count */
static uint64_t edge64(uint64_t *s)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 7, 8, 511, 512, 513, 1023, 4096,
		(1ULL << 31) - 1, 1ULL << 31, (1ULL << 32) - 1, 1ULL << 32,
		(1ULL << 32) + 1, (1ULL << 63), ~0ULL, ~0ULL - 1, 0x7fffffff,
		0xdeadbeefcafef00dULL,
	};

	return v[below(s, sizeof(v) / sizeof(v[0]))];
}

static uint32_t edge32(uint64_t *s)
{
	static const uint32_t v[] = {
		0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe,
		0x10000, 0xdeadbeef,
	};

	return v[below(s, sizeof(v) / sizeof(v[0]))];
}

/* ------------------------------------------------------------------ */
/* per-thread state                                                   */

enum { PG_FRESH = 0, PG_DATA, PG_HOLE };

struct batch {
	bool used;		/* slot in use */
	bool live;		/* the fd still has it (not freed, fd open) */
	bool freed;		/* its pages are gone: accesses SIGBUS */
	int fdgen;		/* generation of the fd it was made on */
	uint32_t handle;
	uint64_t nr_pages;
	uint64_t off;
	uint64_t uid;
	uint32_t policy, mobility;
	unsigned char *pg;	/* PG_* per page */
	int nmaps;
};

struct map {
	bool used;
	char *addr;
	uint64_t npages;
	struct batch *b;
	uint64_t first;		/* first batch page mapped */
	bool ro;		/* mprotect'ed read-only */
};

struct thr {
	int id;
	pthread_t tid;
	uint64_t rs;
	int fd;			/* current fd */
	bool shared;		/* fd is shared with other threads */
	int fdgen;
	uint64_t uid_next;
	uint64_t pages;		/* pages held by live batches (bookkeeping) */
	char *guard_area;	/* [RW page][PROT_NONE page] */
	char *ro_w, *ro_page;	/* one page: writable alias, read-only alias */
	struct batch b[MAX_BATCHES];
	struct map m[MAX_MAPS];
	/* counters */
	unsigned long ops, calls, verifies, forks, reopens, recompacts, moved;
	unsigned long errs[FA_NR_IOCS];
};

static int shared_fd = -1;
static bool race_thread;
static unsigned long race_runs, race_moved;
static struct thr thr[MAX_THREADS];
static int nthreads = 4;

/* ------------------------------------------------------------------ */
/* SIGBUS/SIGSEGV probing, per thread                                 */

static __thread sigjmp_buf probe_env;
static __thread volatile int probe_armed;
static __thread volatile int probe_sig;

static void sig_handler(int sig)
{
	if (probe_armed) {
		probe_sig = sig;
		probe_armed = 0;
		siglongjmp(probe_env, 1);
	}
	/* an access we did not expect to fault */
	signal(sig, SIG_DFL);
	raise(sig);
}

/* reads one byte at @p; returns 0 or the signal it raised */
static int probe_read(volatile char *p)
{
	probe_sig = 0;
	if (sigsetjmp(probe_env, 1) == 0) {
		probe_armed = 1;
		(void)*p;
		probe_armed = 0;
		return 0;
	}
	return probe_sig;
}

/* /sys/module/fragalloc/parameters/NAME as a number, -1 if unreadable */
static long long read_param(const char *name)
{
	char path[128], buf[32];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/fragalloc/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtoll(buf, NULL, 0);
	fclose(f);
	return v;
}

/* ------------------------------------------------------------------ */
/* ioctl wrappers and errno checks                                    */

/* "EINVAL|ENOENT" for a set of errnos (bit 0: success); static buffer per thread */
static const char *eset_str(eset s)
{
	static __thread char buf[256];
	size_t n = 0;

	buf[0] = 0;
	for (int e = 0; e < 128 && n < sizeof(buf) - 24; e++)
		if (s & E(e))
			n += snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "|" : "",
				      e ? strerrorname_np(e) : "success");
	return buf;
}

/*
 * Issues ioctl @k with @arg; checks the errno against the DOC table for that
 * ioctl and, when @expect is non-zero, against the set of errnos expected
 * for these arguments (E(0) for success). Returns 0 or -errno.
 */
static int call(struct thr *t, int fd, int k, void *arg, eset expect,
		const char *what)
{
	int ret = ioctl(fd, fa_iocs[k].cmd, arg) < 0 ? errno : 0;

	t->calls++;
	if (ret) {
		t->errs[k]++;
		if (ret >= 128 || !fa_ioc_documents(&fa_iocs[k], ret))
			failf(R_ERRNO, "t%d %s (%s): errno %d (%s) is not documented for %s",
			      t->id, fa_iocs[k].name, what, ret, strerror(ret), fa_iocs[k].name);
	}
	if (expect && (ret >= 128 || !(expect & E(ret))))
		failf(R_EXPECT, "t%d %s (%s): got %s (%d), expected %s",
		      t->id, fa_iocs[k].name, what, ret ? strerror(ret) : "success", ret,
		      eset_str(expect));
	return -ret;
}

/* ------------------------------------------------------------------ */
/* pages and patterns                                                 */

static uint64_t page_seed(struct thr *t, struct batch *b, uint64_t pg)
{
	return mix(((uint64_t)t->id << 56) ^ (b->uid << 32) ^ pg);
}

static void fill_page(char *p, uint64_t seed)
{
	uint64_t *w = (uint64_t *)p;
	size_t n = ps / 8;

	for (size_t i = 0; i < n; i++)
		w[i] = seed ^ (i * 0x100000001b3ULL);
}

static long check_page(const char *p, uint64_t seed)
{
	const volatile uint64_t *w = (const volatile uint64_t *)p;
	size_t n = ps / 8;

	for (size_t i = 0; i < n; i++)
		if (w[i] != (seed ^ (i * 0x100000001b3ULL)))
			return (long)i;
	return -1;
}

static long check_zero(const char *p)
{
	const volatile uint64_t *w = (const volatile uint64_t *)p;

	for (size_t i = 0; i < ps / 8; i++)
		if (w[i])
			return (long)i;
	return -1;
}

/*
 * Checks every page of every live mapping; fresh pages must read zero and
 * are then given their pattern (unless the mapping is read-only).
 * Returns the number of bad pages.
 */
static int verify(struct thr *t, const char *after)
{
	int bad = 0;

	t->verifies++;
	for (int i = 0; i < MAX_MAPS; i++) {
		struct map *m = &t->m[i];

		if (!m->used || m->b->freed)
			continue;	/* batch freed: the pages SIGBUS */
		for (uint64_t k = 0; k < m->npages; k++) {
			uint64_t pg = m->first + k;
			char *p = m->addr + k * ps;
			long w = -1;

			switch (m->b->pg[pg]) {
			case PG_HOLE:
				continue;
			case PG_FRESH:
				w = check_zero(p);
				if (w < 0 && !m->ro) {
					fill_page(p, page_seed(t, m->b, pg));
					m->b->pg[pg] = PG_DATA;
				}
				break;
			case PG_DATA:
				w = check_page(p, page_seed(t, m->b, pg));
				break;
			}
			if (w >= 0) {
				bad++;
				failf(R_DATA, "t%d after %s: batch %u (uid %llu, %s) page %llu word %ld: 0x%llx",
				      t->id, after, m->b->handle,
				      (unsigned long long)m->b->uid,
				      m->b->pg[pg] == PG_FRESH ? "fresh page not zero" : "pattern",
				      (unsigned long long)pg, w,
				      (unsigned long long)((volatile uint64_t *)p)[w]);
				/* re-sync so one corruption is reported once */
				if (!m->ro) {
					fill_page(p, page_seed(t, m->b, pg));
					m->b->pg[pg] = PG_DATA;
				}
			}
		}
	}
	return bad;
}

/* ------------------------------------------------------------------ */
/* bookkeeping                                                        */

static struct batch *new_batch(struct thr *t)
{
	for (int i = 0; i < MAX_BATCHES; i++)
		if (!t->b[i].used)
			return &t->b[i];
	return NULL;
}

static void put_batch(struct batch *b)
{
	if (b->used && !b->live && !b->nmaps) {
		free(b->pg);
		memset(b, 0, sizeof(*b));
	}
}

static struct batch *pick_live(struct thr *t)
{
	int n = 0, idx[MAX_BATCHES];

	for (int i = 0; i < MAX_BATCHES; i++)
		if (t->b[i].used && t->b[i].live)
			idx[n++] = i;
	return n ? &t->b[idx[below(&t->rs, n)]] : NULL;
}

static struct map *pick_map(struct thr *t)
{
	int n = 0, idx[MAX_MAPS];

	for (int i = 0; i < MAX_MAPS; i++)
		if (t->m[i].used)
			idx[n++] = i;
	return n ? &t->m[idx[below(&t->rs, n)]] : NULL;
}

static struct map *new_map(struct thr *t)
{
	for (int i = 0; i < MAX_MAPS; i++)
		if (!t->m[i].used)
			return &t->m[i];
	return NULL;
}

static uint64_t mapped_pages(struct thr *t)
{
	uint64_t n = 0;

	for (int i = 0; i < MAX_MAPS; i++)
		if (t->m[i].used)
			n += t->m[i].npages;
	return n;
}

static void drop_map(struct map *m)
{
	struct batch *b = m->b;

	b->nmaps--;
	memset(m, 0, sizeof(*m));
	put_batch(b);
}

/* marks @b freed (the fd no longer has it) */
static void batch_gone(struct thr *t, struct batch *b)
{
	uint64_t present = 0;

	for (uint64_t i = 0; i < b->nr_pages; i++)
		present += b->pg[i] != PG_HOLE;
	t->pages -= present;
	b->live = false;
	b->freed = true;
	put_batch(b);
}

/* ------------------------------------------------------------------ */
/* operations                                                         */

static const char *arg_kind_name[] = { "valid", "null", "ptr 1", "kernel ptr",
				       "guard page", "read-only" };

/*
 * Picks the argument pointer: mostly @good, sometimes a bad pointer. The
 * returned @expect mask is E(EFAULT) for a bad one, else 0. Read-only
 * pointers only for ioctls that create nothing (@may_ro).
 */
static void *arg_ptr(struct thr *t, void *good, bool may_ro,
		     eset *expect, const char **kind)
{
	unsigned int r = below(&t->rs, 100);

	*expect = 0;
	*kind = arg_kind_name[0];
	if (r >= 6)
		return good;
	*expect = E(EFAULT);
	switch (r) {
	case 0:
		*kind = arg_kind_name[1];
		return NULL;
	case 1:
		*kind = arg_kind_name[2];
		return (void *)1;
	case 2:
		*kind = arg_kind_name[3];
		return (void *)0xffff888000000000ULL;
	case 3:
	case 4: {
		/* the struct runs into a PROT_NONE page, only size readable */
		char *p = t->guard_area + ps - 4;

		*kind = arg_kind_name[4];
		memcpy(p, good, 4);
		return p;
	}
	default:
		if (!may_ro) {
			*expect = 0;
			return good;
		}
		*kind = arg_kind_name[5];
		/* the kernel can read it but not write the result */
		return t->ro_page;
	}
}

/* a struct size: mostly right, sometimes an edge */
static uint32_t pick_size(struct thr *t, int k, eset *expect,
			  bool *tail_garbage)
{
	uint32_t sz = fa_iocs[k].size;
	unsigned int r = below(&t->rs, 100);

	*expect = 0;
	*tail_garbage = false;
	if (r < 88)
		return sz;
	if (r < 92) {
		uint32_t min = fa_iocs[k].min_size;

		/* an older caller's size, between versions: accepted */
		if (min < sz && r < 90)
			return min + below(&t->rs, sz - min);
		*expect = E(EINVAL);
		return below(&t->rs, min);	/* below the first version */
	}
	if (r < 95) {
		return sz + 8 * (1 + below(&t->rs, 8));	/* zero tail: accepted */
	}
	if (r < 98) {
		*tail_garbage = true;
		*expect = E(E2BIG);
		return sz + 8 * (1 + below(&t->rs, 8));
	}
	/* absurd: the tail check reads unmapped memory or finds garbage */
	*expect = E(EFAULT) | E(E2BIG);
	*tail_garbage = true;
	return 0xffffffffu - (uint32_t)below(&t->rs, 2) * 0x7fffffffu;
}

/* buffer big enough for a struct with a tail */
union ubuf {
	struct fragalloc_info info;
	struct fragalloc_alloc alloc;
	struct fragalloc_free free;
	struct fragalloc_batch_info bi;
	struct fragalloc_stats st;
	struct fragalloc_recompact rc;
	char raw[4096];
};

/*
 * Runs ioctl @k on @u (already filled in, @exp: the errnos expected for its
 * members, E(0) for success); with @may_perturb, sometimes a bad struct size
 * or argument pointer, which changes what is expected. *kind tells which
 * pointer was used; *perturbed, whether size or pointer was bad.
 */
static int issue(struct thr *t, int fd, int k, union ubuf *u, eset exp,
		 bool may_ro, bool may_perturb, const char *what, bool *perturbed,
		 const char **kindp)
{
	eset sexp = 0, pexp = 0;
	bool garbage = false;
	const char *kind = arg_kind_name[0];
	uint32_t sz = fa_iocs[k].size;
	void *p = u;
	char desc[256];
	int ret;

	*perturbed = false;
	if (may_perturb) {
		sz = pick_size(t, k, &sexp, &garbage);
		p = arg_ptr(t, u, may_ro, &pexp, &kind);
	}
	u->alloc.size = sz;		/* size is the first member of every struct */
	if (sz > fa_iocs[k].size && sz <= sizeof(*u)) {
		memset(u->raw + fa_iocs[k].size, 0, sz - fa_iocs[k].size);
		if (garbage)
			u->raw[sz - 1 - below(&t->rs, sz - fa_iocs[k].size)] = 1 + below(&t->rs, 255);
	} else if (sz > sizeof(*u)) {
		/* the kernel reads past the buffer: nonzero stack or a fault */
		memset(u->raw + fa_iocs[k].size, 0, sizeof(*u) - fa_iocs[k].size);
	}
	if (kind == arg_kind_name[4])
		memcpy(p, u, 4);
	if (kind == arg_kind_name[5])
		/* at least the size member: else the page keeps an older one */
		memcpy(t->ro_w, u, sz < 4 ? 4 : sz < ps ? sz : ps);
	*perturbed = sexp || pexp;
	if (kind == arg_kind_name[1] || kind == arg_kind_name[2] || kind == arg_kind_name[3]) {
		exp = E(EFAULT);			/* size unreadable */
	} else if (kind == arg_kind_name[4]) {
		exp = sz < fa_iocs[k].min_size ? E(EINVAL) : E(EFAULT);	/* only size readable */
	} else {
		if (sexp)
			exp = sexp;
		if (kind == arg_kind_name[5] && (exp & E(0)))
			exp = (exp & ~E(0)) | E(EFAULT);	/* result not writable */
	}
	snprintf(desc, sizeof(desc), "%s, size %u, %s arg", what, sz, kind);
	if (verbose > 1)
		printf("# t%d %s\n", t->id, desc);
	ret = call(t, fd, k, p, exp, desc);
	if (kindp)
		*kindp = kind;
	return ret;
}

static eset alloc_ok_set(void)
{
	return E(0) | E(ENOMEM) | E(EDQUOT) | E(ENOSPC);
}

static void op_alloc(struct thr *t)
{
	union ubuf u;
	struct batch *b;
	eset exp;
	bool pert, valid = true;
	uint64_t nr;
	int ret;

	memset(&u, 0, sizeof(u));
	u.alloc.mobility = below(&t->rs, FRAGALLOC_NR_MOBILITY);
	u.alloc.policy = chance(&t->rs, 70) ? FRAGALLOC_POLICY_COMPACT :
					      below(&t->rs, FRAGALLOC_NR_POLICIES);
	switch (below(&t->rs, 10)) {
	case 0: nr = 1; break;
	case 1: nr = 512 - below(&t->rs, 3); break;
	case 2: nr = 64 + below(&t->rs, 128); break;
	default: nr = 1 + below(&t->rs, 32); break;
	}
	u.alloc.nr_pages = nr;
	if (chance(&t->rs, 20))
		u.alloc.flags |= FRAGALLOC_ALLOC_BEST_EFFORT;
	if (u.alloc.policy == FRAGALLOC_POLICY_COMPACT && chance(&t->rs, 10))
		u.alloc.flags |= FRAGALLOC_ALLOC_STRICT;
	exp = alloc_ok_set();
	/* one invalid member at a time */
	switch (below(&t->rs, 14)) {
	case 0:
		u.alloc.flags |= 1u << (2 + below(&t->rs, 30));
		valid = false;
		break;
	case 1:
		u.alloc.__reserved = edge32(&t->rs) | 1;
		valid = false;
		break;
	case 2:
		u.alloc.mobility = FRAGALLOC_NR_MOBILITY + (uint32_t)below(&t->rs, 3) * 0x7ffffff0;
		valid = false;
		break;
	case 3:
		u.alloc.policy = FRAGALLOC_NR_POLICIES + (uint32_t)below(&t->rs, 3) * 0x7ffffff0;
		valid = false;
		break;
	case 4:
		do
			nr = edge64(&t->rs);
		while (nr && nr <= info.out_max_batch_pages);
		u.alloc.nr_pages = nr;
		valid = false;
		break;
	case 5:
		if (u.alloc.policy != FRAGALLOC_POLICY_COMPACT) {
			u.alloc.flags |= FRAGALLOC_ALLOC_STRICT;
			valid = false;
		}
		break;
	case 6:
		/* output members are ignored on input */
		u.alloc.out_handle = edge32(&t->rs);
		u.alloc.out_nr_pages = edge64(&t->rs);
		u.alloc.out_mmap_offset = edge64(&t->rs);
		break;
	default:
		break;
	}
	if (!valid)
		exp = E(EINVAL);
	if (valid && (t->pages + nr > max_pages_per_thread || !new_batch(t))) {
		/* keep memory bounded: only a failure test */
		u.alloc.nr_pages = 0;
		exp = E(EINVAL);
		valid = false;
	}
	/* never a read-only pointer: the kernel would allocate, then EFAULT */
	ret = issue(t, t->fd, FA_IOC_ALLOC, &u, exp, false, true, "alloc", &pert, NULL);
	if (ret)
		return;
	if (!valid || pert) {
		/* an invalid call succeeded (already reported): undo it */
		struct fragalloc_free f = { .size = sizeof(f), .handle = u.alloc.out_handle };

		ioctl(t->fd, FRAGALLOC_IOC_FREE, &f);
		return;
	}
	b = new_batch(t);
	if (u.alloc.out_nr_pages < 1 || u.alloc.out_nr_pages > nr ||
	    (!(u.alloc.flags & FRAGALLOC_ALLOC_BEST_EFFORT) && u.alloc.out_nr_pages != nr) ||
	    !u.alloc.out_handle || (u.alloc.out_mmap_offset & (ps - 1)))
		failf(R_EXPECT, "t%d alloc %llu pages: out_nr_pages %llu handle %u offset 0x%llx",
		      t->id, (unsigned long long)nr, (unsigned long long)u.alloc.out_nr_pages,
		      u.alloc.out_handle, (unsigned long long)u.alloc.out_mmap_offset);
	for (int i = 0; i < MAX_BATCHES; i++)
		if (t->b[i].used && t->b[i].live && t->b[i].handle == u.alloc.out_handle &&
		    t->b[i].fdgen == t->fdgen)
			failf(R_EXPECT, "t%d alloc: handle %u is still live", t->id,
			      u.alloc.out_handle);
	memset(b, 0, sizeof(*b));
	b->used = b->live = true;
	b->fdgen = t->fdgen;
	b->handle = u.alloc.out_handle;
	b->nr_pages = u.alloc.out_nr_pages;
	b->off = u.alloc.out_mmap_offset;
	b->uid = t->uid_next++;
	b->policy = u.alloc.policy;
	b->mobility = u.alloc.mobility;
	b->pg = calloc(b->nr_pages, 1);
	if (!b->pg) {
		perror("calloc");
		exit(2);
	}
	t->pages += b->nr_pages;
}

/* a handle that names no batch of any fd (handles are 1..INT_MAX) */
static uint32_t dead_handle(struct thr *t)
{
	static const uint32_t v[] = { 0, 0x80000000u, 0xffffffffu, 0xfffffffeu };

	return v[below(&t->rs, 4)];
}

/* applies a range free [first, first + nr) to the bookkeeping; returns the pages punched */
static uint64_t punch(struct thr *t, struct batch *b, uint64_t first, uint64_t nr)
{
	uint64_t holes = 0;

	for (uint64_t i = first; i < first + nr; i++)
		if (b->pg[i] != PG_HOLE) {
			b->pg[i] = PG_HOLE;
			holes++;
		}
	t->pages -= holes;
	return holes;
}

static uint64_t present_pages(const struct batch *b)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < b->nr_pages; i++)
		n += b->pg[i] != PG_HOLE;
	return n;
}

/*
 * A FREE whose result could not be written (read-only argument: EFAULT)
 * did free: find out what happened to @b.
 */
static void resync_after_efault(struct thr *t, struct batch *b, const struct fragalloc_free *f)
{
	struct fragalloc_batch_info bi = { .size = sizeof(bi), .handle = b->handle };
	int r = ioctl(t->fd, FRAGALLOC_IOC_BATCH_INFO, &bi) ? errno : 0;

	if (r == ENOENT) {
		batch_gone(t, b);
		return;
	}
	if (r || !(f->flags & FRAGALLOC_FREE_RANGE))
		return;
	if (bi.out_nr_present != present_pages(b))
		punch(t, b, f->first_page, f->nr_pages);
	if (bi.out_nr_present != present_pages(b))
		failf(R_EXPECT, "t%d range free (EFAULT): present %llu, expected %llu", t->id,
		      (unsigned long long)bi.out_nr_present,
		      (unsigned long long)present_pages(b));
}

static void op_free(struct thr *t, bool range)
{
	struct batch *b = pick_live(t);
	union ubuf u;
	eset exp = E(0);
	bool pert, valid = true, bynumber = false;
	const char *kind = NULL;
	char what[128];
	int ret;

	memset(&u, 0, sizeof(u));
	if (range)
		u.free.flags = FRAGALLOC_FREE_RANGE;
	if (!t->shared && chance(&t->rs, 4)) {
		/* a small number: maybe one of ours, maybe a fork child's */
		u.free.size = sizeof(u.free);
		u.free.handle = 1 + below(&t->rs, 64);
		if (range)
			u.free.nr_pages = 1;
		ret = call(t, t->fd, FA_IOC_FREE, &u, E(0) | E(ENOENT), "free by number");
		if (ret)
			return;
		for (int i = 0; i < MAX_BATCHES; i++)
			if (t->b[i].used && t->b[i].live && t->b[i].handle == u.free.handle) {
				if (range)
					punch(t, &t->b[i], 0, 1);
				else
					batch_gone(t, &t->b[i]);
			}
		return;
	}
	if (!b || chance(&t->rs, 8)) {
		/* handles are 1..INT_MAX: these name no batch of any fd */
		u.free.handle = dead_handle(t);
		exp = E(ENOENT);
		b = NULL;
		if (range)
			u.free.nr_pages = 1;
	} else {
		u.free.handle = b->handle;
		if (range) {
			u.free.first_page = below(&t->rs, b->nr_pages);
			u.free.nr_pages = 1 + below(&t->rs, b->nr_pages - u.free.first_page);
			if (chance(&t->rs, 10)) {
				/* past the end, empty, or wrapping around */
				switch (below(&t->rs, 4)) {
				case 0: u.free.nr_pages = 0; break;
				case 1: u.free.first_page = b->nr_pages; u.free.nr_pages = 1; break;
				case 2:
					/* first + nr wraps around to a small number */
					u.free.nr_pages = u.free.first_page >= 2 ?
						~0ULL - u.free.first_page + 2 : ~0ULL;
					break;
				default: u.free.nr_pages = b->nr_pages - u.free.first_page + 1; break;
				}
				valid = false;
			}
		}
	}
	switch (below(&t->rs, 12)) {
	case 0:
		u.free.flags |= 2u << below(&t->rs, 31);
		valid = false;
		break;
	case 1:
		u.free.__reserved = edge32(&t->rs) | 1;
		valid = false;
		break;
	case 2:
		if (!range) {
			u.free.first_page = edge64(&t->rs);
			u.free.nr_pages = edge64(&t->rs) | 1;
			valid = false;
		}
		break;
	default:
		break;
	}
	if (!valid)
		exp = b ? E(EINVAL) : (E(EINVAL) | E(ENOENT));
	(void)bynumber;
	snprintf(what, sizeof(what), "%s handle %u [%llu,+%llu) flags 0x%x rsv 0x%x of %llu pages",
		 range ? "range free" : "free", u.free.handle,
		 (unsigned long long)u.free.first_page, (unsigned long long)u.free.nr_pages,
		 u.free.flags, u.free.__reserved, b ? (unsigned long long)b->nr_pages : 0ULL);
	ret = issue(t, t->fd, FA_IOC_FREE, &u, exp, true, true, what, &pert, &kind);
	if (!b)
		return;
	if (ret == -EFAULT && kind == arg_kind_name[5]) {
		resync_after_efault(t, b, &u.free);
		return;
	}
	if (ret)
		return;
	if (!valid || pert) {
		/* an invalid call succeeded (reported): resync */
		resync_after_efault(t, b, &u.free);
		return;
	}
	if (!range) {
		if (u.free.out_nr_freed != present_pages(b) && u.free.size >= fa_iocs[FA_IOC_FREE].size)
			failf(R_EXPECT, "t%d free: out_nr_freed %llu, expected %llu", t->id,
			      (unsigned long long)u.free.out_nr_freed,
			      (unsigned long long)present_pages(b));
		batch_gone(t, b);
	} else {
		uint64_t holes = punch(t, b, u.free.first_page, u.free.nr_pages);

		if (u.free.out_nr_freed != holes && u.free.size >= fa_iocs[FA_IOC_FREE].size)
			failf(R_EXPECT, "t%d range free [%llu,+%llu): out_nr_freed %llu, expected %llu",
			      t->id, (unsigned long long)u.free.first_page,
			      (unsigned long long)u.free.nr_pages,
			      (unsigned long long)u.free.out_nr_freed,
			      (unsigned long long)holes);
	}
}

static void op_batch_info(struct thr *t)
{
	struct batch *b = pick_live(t);
	union ubuf u;
	eset exp = E(0);
	bool pert, valid = true;
	uint64_t pfns[64];
	struct map *target = NULL;
	int ret;

	memset(&u, 0, sizeof(u));
	if (!b || chance(&t->rs, 8)) {
		u.bi.handle = dead_handle(t);
		exp = E(ENOENT);
		b = NULL;
	} else {
		u.bi.handle = b->handle;
	}
	switch (below(&t->rs, 10)) {
	case 0:
		u.bi.flags = FRAGALLOC_BATCH_INFO_PFNS;
		u.bi.pfns = (uintptr_t)pfns;
		u.bi.nr_pfns = 1 + below(&t->rs, 64);
		break;
	case 1:
		u.bi.flags = FRAGALLOC_BATCH_INFO_PFNS;
		u.bi.nr_pfns = edge64(&t->rs);
		u.bi.pfns = chance(&t->rs, 50) ? 0 : (uintptr_t)(t->guard_area + ps);
		if (b && u.bi.nr_pfns)
			exp = E(EFAULT);
		else if (!b)
			exp = E(ENOENT);
		break;
	case 2:
		/* the PFNs are written into one of our own mappings */
		target = pick_map(t);
		if (b && target && !target->b->freed && !target->ro &&
		    target->b->pg[target->first] == PG_DATA) {
			u.bi.flags = FRAGALLOC_BATCH_INFO_PFNS;
			u.bi.pfns = (uintptr_t)target->addr;
			u.bi.nr_pfns = ps / 8;
		} else {
			target = NULL;
		}
		break;
	case 3:
		u.bi.pfns = (uintptr_t)pfns;
		valid = false;
		break;
	case 4:
		u.bi.nr_pfns = 1 + below(&t->rs, 10);
		valid = false;
		break;
	case 5:
		u.bi.flags = 2u << below(&t->rs, 31);
		valid = false;
		break;
	case 6:
		u.bi.__reserved = edge32(&t->rs) | 1;
		valid = false;
		break;
	default:
		break;
	}
	if (!valid)
		exp = b ? E(EINVAL) : (E(EINVAL) | E(ENOENT));
	ret = issue(t, t->fd, FA_IOC_BATCH_INFO, &u, exp, true, !target, "batch info", &pert, NULL);
	if (target) {
		/* the first page now holds PFNs (or zeros) and ~0 for holes */
		struct batch *tb = target->b;

		if (!ret || ret == -EFAULT) {
			fill_page(target->addr, page_seed(t, tb, target->first));
			tb->pg[target->first] = PG_DATA;
		}
	}
	if (ret || !b || pert || !valid)
		return;
	{
		uint64_t pres = 0;

		for (uint64_t i = 0; i < b->nr_pages; i++)
			pres += b->pg[i] != PG_HOLE;
		if (u.bi.out_nr_pages != b->nr_pages || u.bi.out_nr_present != pres ||
		    u.bi.out_mmap_offset != b->off || u.bi.out_policy != b->policy ||
		    u.bi.out_mobility != b->mobility)
			failf(R_EXPECT, "t%d batch info %u: pages %llu/%llu present %llu/%llu off 0x%llx/0x%llx",
			      t->id, b->handle,
			      (unsigned long long)u.bi.out_nr_pages, (unsigned long long)b->nr_pages,
			      (unsigned long long)u.bi.out_nr_present, (unsigned long long)pres,
			      (unsigned long long)u.bi.out_mmap_offset, (unsigned long long)b->off);
		if (u.bi.flags && u.bi.pfns == (uintptr_t)pfns) {
			for (uint64_t i = 0; i < u.bi.nr_pfns && i < b->nr_pages; i++) {
				bool hole = b->pg[i] == PG_HOLE;

				if (hole != (pfns[i] == FRAGALLOC_PFN_HOLE) ||
				    (!hole && !is_root && pfns[i]))
					failf(R_EXPECT, "t%d batch info %u: pfn[%llu] = 0x%llx (hole %d)",
					      t->id, b->handle, (unsigned long long)i,
					      (unsigned long long)pfns[i], hole);
			}
		}
	}
}

static void op_stats_info(struct thr *t)
{
	union ubuf u;
	eset exp = E(0);
	bool pert;
	int k = chance(&t->rs, 50) ? FA_IOC_STATS : FA_IOC_INFO;

	memset(&u, 0, sizeof(u));
	if (chance(&t->rs, 10)) {
		u.st.flags = 1u << below(&t->rs, 32);
		exp = E(EINVAL);
	}
	if (chance(&t->rs, 5)) {
		/* output members are ignored on input */
		memset(u.raw + 8, 0xa5, fa_iocs[k].size - 8);
	}
	issue(t, t->fd, k, &u, exp, true, true, k == FA_IOC_STATS ? "stats" : "info", &pert, NULL);
	if (k == FA_IOC_INFO && !pert && exp == E(0) &&
	    (u.info.out_page_size != ps || u.info.out_abi_version != FRAGALLOC_ABI_VERSION))
		failf(R_EXPECT, "t%d info: page size %u abi %u", t->id, u.info.out_page_size,
		      u.info.out_abi_version);
	if (k == FA_IOC_STATS && !pert && exp == E(0) && !t->shared) {
		uint64_t nb = 0;

		for (int i = 0; i < MAX_BATCHES; i++)
			nb += t->b[i].used && t->b[i].live && t->b[i].fdgen == t->fdgen;
		if (u.st.out_fd_batches < nb)
			failf(R_EXPECT, "t%d stats: fd batches %llu < %llu known", t->id,
			      (unsigned long long)u.st.out_fd_batches, (unsigned long long)nb);
	}
}

static void op_recompact(struct thr *t)
{
	struct batch *b = pick_live(t);
	union ubuf u;
	eset exp = E(0) | E(ENOMEM);
	bool pert;
	int ret;

	memset(&u, 0, sizeof(u));
	switch (below(&t->rs, 10)) {
	case 0: case 1: case 2:
		u.rc.scope = FRAGALLOC_SCOPE_BATCH;
		if (b) {
			u.rc.handle = b->handle;
		} else {
			u.rc.handle = dead_handle(t);
			exp = E(ENOENT);
		}
		break;
	case 3: case 4: case 5:
		u.rc.scope = FRAGALLOC_SCOPE_FD;
		break;
	case 6: case 7:
		u.rc.scope = FRAGALLOC_SCOPE_POOL;
		if (!is_root)
			exp = E(EPERM);
		break;
	case 8:
		u.rc.scope = FRAGALLOC_NR_SCOPES + (uint32_t)below(&t->rs, 2) * 0x7ffffff0;
		exp = E(EINVAL);
		break;
	default:
		u.rc.scope = 1 + below(&t->rs, 2);
		u.rc.handle = 1 + below(&t->rs, 100);
		exp = E(EINVAL) | (u.rc.scope == FRAGALLOC_SCOPE_POOL && !is_root ? E(EPERM) : 0);
		break;
	}
	if (chance(&t->rs, 30))
		u.rc.flags |= FRAGALLOC_RECOMPACT_DRY_RUN;
	if (chance(&t->rs, 40))
		u.rc.max_pages = chance(&t->rs, 50) ? 1 + below(&t->rs, 64) : edge64(&t->rs);
	if (chance(&t->rs, 6)) {
		u.rc.flags |= 2u << below(&t->rs, 31);
		exp = E(EINVAL);
	}
	ret = issue(t, t->fd, FA_IOC_RECOMPACT, &u, exp, true, true, "recompact", &pert, NULL);
	if (!ret && !pert) {
		t->recompacts++;
		t->moved += u.rc.out_pages_moved;
		if ((u.rc.flags & FRAGALLOC_RECOMPACT_DRY_RUN) && u.rc.out_pages_moved)
			failf(R_EXPECT, "t%d dry run moved %llu pages", t->id,
			      (unsigned long long)u.rc.out_pages_moved);
		if (u.rc.max_pages && u.rc.out_pages_planned > u.rc.max_pages)
			failf(R_EXPECT, "t%d recompact: planned %llu > cap %llu", t->id,
			      (unsigned long long)u.rc.out_pages_planned,
			      (unsigned long long)u.rc.max_pages);
	}
}

static void op_bad_ioctl(struct thr *t)
{
	static const unsigned long cmds[] = {
		_IO(FRAGALLOC_TYPE, 0x7f), _IO(FRAGALLOC_TYPE, 0x86),
		_IO(FRAGALLOC_TYPE, 0xff), _IO(FRAGALLOC_TYPE, 0),
		_IOW(FRAGALLOC_TYPE, FRAGALLOC_CMD_ALLOC, struct fragalloc_alloc),
		_IOWR(FRAGALLOC_TYPE, FRAGALLOC_CMD_INFO, struct fragalloc_info),
		_IO(0xFB, FRAGALLOC_CMD_INFO), 0, ~0UL,
	};
	unsigned long cmd = cmds[below(&t->rs, sizeof(cmds) / sizeof(cmds[0]))];
	union ubuf u;
	int ret;

	memset(&u, 0, sizeof(u));
	u.info.size = sizeof(u.info);
	ret = ioctl(t->fd, cmd, &u) < 0 ? errno : 0;
	t->calls++;
	if (ret != ENOTTY)
		failf(ret == 0 || ret == ENOTTY || ret == EINVAL || ret == EFAULT || ret == E2BIG ?
		      R_EXPECT : R_ERRNO,
		      "t%d ioctl 0x%lx: %s, expected ENOTTY", t->id, cmd,
		      ret ? strerror(ret) : "success");
}

static void op_mmap(struct thr *t)
{
	struct batch *b = pick_live(t);
	struct map *m = new_map(t);
	eset exp = 0;
	uint64_t first, n, off;
	int flags = MAP_SHARED, prot = PROT_READ | PROT_WRITE;
	const char *what = "mmap";
	char *p;
	int err;

	if (!b || !m)
		return;
	first = below(&t->rs, b->nr_pages);
	n = 1 + below(&t->rs, b->nr_pages - first);
	if (n > 64)
		n = 64;
	off = b->off + first * ps;
	switch (below(&t->rs, 14)) {
	case 0:
		flags = MAP_PRIVATE;
		exp = E(EINVAL);
		what = "mmap MAP_PRIVATE";
		break;
	case 1:
		n = b->nr_pages - first + 1;	/* one page past the end */
		exp = E(ENXIO);
		what = "mmap past the end";
		break;
	case 2:
		off = b->off + b->nr_pages * ps;	/* the guard page */
		n = 1;
		exp = E(ENXIO);
		what = "mmap guard page";
		break;
	case 3:
		off = edge64(&t->rs) & ~(uint64_t)(ps - 1) & ((1ULL << 62) - 1);
		exp = E(ENXIO) | E(0);	/* might hit a live batch of ours */
		what = "mmap random offset";
		break;
	case 4: {
		/* another thread's offset: never a batch of this fd unless shared */
		struct thr *o = &thr[(t->id + 1) % nthreads];

		off = o->b[below(&t->rs, MAX_BATCHES)].off;
		if (!off)
			return;
		n = 1;
		exp = (t->shared && o->shared) ? (E(0) | E(ENXIO)) : E(ENXIO);
		what = "mmap foreign offset";
		break;
	}
	default:
		break;
	}
	if (mapped_pages(t) + n > 256 && !exp)
		return;
	p = mmap(NULL, n * ps, prot, flags, t->fd, (off_t)off);
	err = p == MAP_FAILED ? errno : 0;
	t->calls++;
	if (err && !(DOC_MMAP & E(err)) && !(exp & E(0)))
		failf(R_ERRNO, "t%d %s: errno %d (%s) is not documented for mmap", t->id, what,
		      err, strerror(err));
	if (!exp && err && err != ENOMEM)
		failf(R_EXPECT, "t%d %s of batch %u [%llu,+%llu): %s", t->id, what, b->handle,
		      (unsigned long long)first, (unsigned long long)n, strerror(err));
	if (exp && !(exp & E(err)))
		failf(R_EXPECT, "t%d %s (off 0x%llx, %llu pages): %s, expected %s", t->id,
		      what, (unsigned long long)off, (unsigned long long)n,
		      err ? strerror(err) : "success", eset_str(exp));
	if (err)
		return;
	if (exp) {
		munmap(p, n * ps);
		return;
	}
	m->used = true;
	m->addr = p;
	m->npages = n;
	m->b = b;
	m->first = first;
	b->nmaps++;
}

static void op_munmap(struct thr *t)
{
	struct map *m = pick_map(t);
	uint64_t k;

	if (!m)
		return;
	switch (below(&t->rs, 3)) {
	case 0:
		/* the first k pages */
		k = below(&t->rs, m->npages);
		if (k) {
			munmap(m->addr, k * ps);
			m->addr += k * ps;
			m->first += k;
			m->npages -= k;
			return;
		}
		break;
	case 1: {
		/* a hole in the middle: split */
		struct map *m2 = new_map(t);

		if (m->npages >= 3 && m2) {
			uint64_t a = 1 + below(&t->rs, m->npages - 2);
			uint64_t len = 1 + below(&t->rs, m->npages - a - 1);

			munmap(m->addr + a * ps, len * ps);
			*m2 = *m;
			m2->addr = m->addr + (a + len) * ps;
			m2->first = m->first + a + len;
			m2->npages = m->npages - a - len;
			m->npages = a;
			m->b->nmaps++;
			return;
		}
		break;
	}
	default:
		break;
	}
	munmap(m->addr, m->npages * ps);
	drop_map(m);
}

static void op_mremap(struct thr *t)
{
	struct map *m = pick_map(t);
	void *p;
	int err;

	if (!m)
		return;
	switch (below(&t->rs, 3)) {
	case 0:
		/* grow: must fail (VM_DONTEXPAND) */
		p = mremap(m->addr, m->npages * ps, (m->npages + 1 + below(&t->rs, 4)) * ps,
			   chance(&t->rs, 50) ? MREMAP_MAYMOVE : 0);
		t->calls++;
		if (p != MAP_FAILED) {
			failf(R_EXPECT, "t%d mremap grew a fragalloc mapping", t->id);
			m->addr = p;	/* keep the old size as known */
		}
		break;
	case 1:
		/* shrink */
		if (m->npages < 2)
			break;
		{
			uint64_t n = 1 + below(&t->rs, m->npages - 1);

			p = mremap(m->addr, m->npages * ps, n * ps, 0);
			err = p == MAP_FAILED ? errno : 0;
			t->calls++;
			if (err) {
				failf(R_EXPECT, "t%d mremap shrink: %s", t->id, strerror(err));
			} else {
				m->npages = n;
			}
		}
		break;
	default: {
		/* move to a fresh place */
		void *dst = mmap(NULL, m->npages * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);

		if (dst == MAP_FAILED)
			break;
		p = mremap(m->addr, m->npages * ps, m->npages * ps,
			   MREMAP_MAYMOVE | MREMAP_FIXED, dst);
		err = p == MAP_FAILED ? errno : 0;
		t->calls++;
		if (err) {
			munmap(dst, m->npages * ps);
			failf(R_EXPECT, "t%d mremap move: %s", t->id, strerror(err));
		} else {
			m->addr = p;
		}
		break;
	}
	}
}

static void op_madvise_mprotect(struct thr *t)
{
	static const int adv[] = {
		MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED,
		MADV_DONTNEED, MADV_DONTFORK, MADV_DOFORK, MADV_COLD,
		MADV_PAGEOUT, MADV_FREE, MADV_REMOVE, MADV_HUGEPAGE,
		MADV_NOHUGEPAGE, MADV_MERGEABLE, MADV_POPULATE_READ,
		MADV_POPULATE_WRITE,
	};
	struct map *m = pick_map(t);
	int a;

	if (!m)
		return;
	if (chance(&t->rs, 25)) {
		/* read-only and back: contents must not change */
		if (!mprotect(m->addr, m->npages * ps, m->ro ? PROT_READ | PROT_WRITE : PROT_READ))
			m->ro = !m->ro;
		t->calls++;
		return;
	}
	a = adv[below(&t->rs, sizeof(adv) / sizeof(adv[0]))];
	/* populate faults every page in: a punched page makes it fail, fine */
	if (a == MADV_DONTFORK)
		a = MADV_NORMAL;	/* the fork check reads every mapping */
	(void)madvise(m->addr, m->npages * ps, a);	/* any errno: not ours */
	t->calls++;
}

/* probes a punched page of a live batch: must SIGBUS */
static void op_probe_hole(struct thr *t)
{
	for (int i = 0; i < MAX_MAPS; i++) {
		struct map *m = &t->m[i];

		if (!m->used || !m->b->live || m->b->fdgen != t->fdgen)
			continue;
		for (uint64_t k = 0; k < m->npages; k++) {
			if (m->b->pg[m->first + k] != PG_HOLE)
				continue;
			int sig = probe_read(m->addr + k * ps);

			if (sig != SIGBUS)
				failf(R_EXPECT, "t%d read of a punched page: signal %d, expected SIGBUS",
				      t->id, sig);
			return;
		}
	}
	/* a freed batch's mapping */
	for (int i = 0; i < MAX_MAPS; i++) {
		struct map *m = &t->m[i];

		if (m->used && m->b->freed) {
			int sig = probe_read(m->addr);

			if (sig != SIGBUS)
				failf(R_EXPECT, "t%d read of a freed batch's page: signal %d, expected SIGBUS",
				      t->id, sig);
			return;
		}
	}
}

/*
 * fork: the child checks this thread's mappings (shared with the parent),
 * checks that pool-wide recompaction is EPERM without privileges, and may
 * leave a small batch on the fd, charged to its own (dying) mm.
 */
static void op_fork(struct thr *t)
{
	pid_t pid;
	int st;

	t->forks++;
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		int bad = 0;

		for (int i = 0; i < MAX_MAPS; i++) {
			struct map *m = &t->m[i];

			if (!m->used || m->b->freed)
				continue;
			for (uint64_t k = 0; k < m->npages; k++) {
				uint64_t pg = m->first + k;

				if (m->b->pg[pg] == PG_DATA &&
				    check_page(m->addr + k * ps, page_seed(t, m->b, pg)) >= 0)
					bad |= 1;
				if (m->b->pg[pg] == PG_FRESH && check_zero(m->addr + k * ps) >= 0)
					bad |= 1;
			}
		}
		if (t->id & 1) {
			struct fragalloc_alloc a = {
				.size = sizeof(a), .nr_pages = 1 + (t->forks & 3),
			};
			int r = ioctl(t->fd, FRAGALLOC_IOC_ALLOC, &a) ? errno : 0;

			if (r && r != ENOMEM)
				bad |= 2;
			if (!r && (t->forks & 4)) {
				struct fragalloc_free f = { .size = sizeof(f),
							    .handle = a.out_handle };

				if (ioctl(t->fd, FRAGALLOC_IOC_FREE, &f))
					bad |= 2;
			}
		}
		if ((t->forks & 7) == 1 && is_root) {
			struct fragalloc_recompact r = {
				.size = sizeof(r), .scope = FRAGALLOC_SCOPE_POOL,
				.flags = FRAGALLOC_RECOMPACT_DRY_RUN,
			};

			if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
				bad |= 8;
			else if (!ioctl(t->fd, FRAGALLOC_IOC_RECOMPACT, &r) || errno != EPERM)
				bad |= 4;
		}
		_exit(bad);
	}
	if (waitpid(pid, &st, 0) != pid)
		return;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		failf(WIFEXITED(st) && (WEXITSTATUS(st) & 1) ? R_DATA :
		      WIFEXITED(st) && (WEXITSTATUS(st) & 4) ? R_EXPECT : R_SIGNAL,
		      "t%d fork child: %s %d (1: data, 2: alloc/free, 4: pool recompact not EPERM, 8: setuid)",
		      t->id, WIFEXITED(st) ? "exit" : "signal",
		      WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/*
 * close + reopen (own fd only): the mappings keep their batches alive and
 * valid; the batches become unreachable by ioctl.
 */
static void op_reopen(struct thr *t)
{
	int fd;

	if (t->shared)
		return;
	fd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		failf(R_EXPECT, "t%d reopen: %s", t->id, strerror(errno));
		return;
	}
	close(t->fd);
	t->fd = fd;
	t->reopens++;
	for (int i = 0; i < MAX_BATCHES; i++) {
		struct batch *b = &t->b[i];

		if (b->used && b->live) {
			uint64_t present = 0;

			for (uint64_t k = 0; k < b->nr_pages; k++)
				present += b->pg[k] != PG_HOLE;
			t->pages -= present;
			b->live = false;	/* orphaned: alive while mapped */
			put_batch(b);
		}
	}
	t->fdgen++;
}

static void *worker(void *arg)
{
	struct thr *t = arg;
	char what[32];

	while (!stop) {
		unsigned int r = below(&t->rs, 1000);

		if (r < 200) {
			op_alloc(t);
			strcpy(what, "alloc");
		} else if (r < 290) {
			op_free(t, false);
			strcpy(what, "free");
		} else if (r < 390) {
			op_free(t, true);
			strcpy(what, "range free");
		} else if (r < 460) {
			op_batch_info(t);
			strcpy(what, "batch info");
		} else if (r < 510) {
			op_stats_info(t);
			strcpy(what, "stats/info");
		} else if (r < 640) {
			op_recompact(t);
			strcpy(what, "recompact");
		} else if (r < 650) {
			op_bad_ioctl(t);
			strcpy(what, "bad ioctl");
		} else if (r < 800) {
			op_mmap(t);
			strcpy(what, "mmap");
		} else if (r < 860) {
			op_munmap(t);
			strcpy(what, "munmap");
		} else if (r < 900) {
			op_mremap(t);
			strcpy(what, "mremap");
		} else if (r < 950) {
			op_madvise_mprotect(t);
			strcpy(what, "madvise/mprotect");
		} else if (r < 975) {
			op_probe_hole(t);
			strcpy(what, "probe hole");
		} else if (r < 990) {
			op_fork(t);
			strcpy(what, "fork");
		} else {
			op_reopen(t);
			strcpy(what, "reopen");
		}
		t->ops++;
		verify(t, what);
	}
	/* tear down: everything mapped is checked one last time, unmapped */
	verify(t, "the end");
	for (int i = 0; i < MAX_MAPS; i++)
		if (t->m[i].used) {
			munmap(t->m[i].addr, t->m[i].npages * ps);
			drop_map(&t->m[i]);
		}
	return NULL;
}

/* -r: pool-wide recompaction back to back, from an fd no worker uses */
static void *racer(void *arg)
{
	int fd = open(dev_path, O_RDWR | O_CLOEXEC);

	(void)arg;
	if (fd < 0) {
		failf(R_EXPECT, "racer: open: %s", strerror(errno));
		return NULL;
	}
	while (!stop) {
		struct fragalloc_recompact rc = {
			.size = sizeof(rc), .scope = FRAGALLOC_SCOPE_POOL,
		};

		if (ioctl(fd, FRAGALLOC_IOC_RECOMPACT, &rc)) {
			if (errno != ENOMEM && errno != EINTR)
				failf(R_ERRNO, "racer: pool RECOMPACT: %s",
				      strerror(errno));
			continue;
		}
		race_runs++;
		race_moved += rc.out_pages_moved;
	}
	close(fd);
	return NULL;
}

/* ------------------------------------------------------------------ */

/* the guard page and the read-only alias (a memfd page mapped twice) */
static int setup_pages(struct thr *t)
{
	int mfd;

	t->guard_area = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->guard_area == MAP_FAILED || mprotect(t->guard_area + ps, ps, PROT_NONE))
		return -1;
	mfd = memfd_create("fa_fuzz", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, ps))
		return -1;
	t->ro_w = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	t->ro_page = mmap(NULL, ps, PROT_READ, MAP_SHARED, mfd, 0);
	close(mfd);
	return t->ro_w == MAP_FAILED || t->ro_page == MAP_FAILED ? -1 : 0;
}

static int pool_stats(struct fragalloc_stats *st)
{
	int fd = open(dev_path, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	ret = ioctl(fd, FRAGALLOC_IOC_STATS, st) ? -errno : 0;
	close(fd);
	return ret;
}

static void log_stats(const char *what, const struct fragalloc_stats *s)
{
	printf("# %s: blocks %llu/%llu/%llu used %llu/%llu/%llu loose %llu/%llu/%llu other %llu reserve %llu acquired %llu released %llu runs %llu moved %llu\n",
	       what,
	       (unsigned long long)s->out_blocks[0], (unsigned long long)s->out_blocks[1],
	       (unsigned long long)s->out_blocks[2],
	       (unsigned long long)s->out_pages_used[0], (unsigned long long)s->out_pages_used[1],
	       (unsigned long long)s->out_pages_used[2],
	       (unsigned long long)s->out_loose_pages[0], (unsigned long long)s->out_loose_pages[1],
	       (unsigned long long)s->out_loose_pages[2],
	       (unsigned long long)s->out_other_pages, (unsigned long long)s->out_reserve_blocks,
	       (unsigned long long)s->out_blocks_acquired,
	       (unsigned long long)s->out_blocks_released,
	       (unsigned long long)s->out_recompact_runs,
	       (unsigned long long)s->out_recompact_moved);
}

static void usage(void)
{
	fprintf(stderr, "usage: fa_fuzz [-t SECONDS] [-s SEED] [-j THREADS] [-m MAX_PAGES_PER_THREAD] [-d DEV] [-r] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct fragalloc_stats base, end;
	unsigned long seconds = 25;
	uint64_t seed = 1;
	struct sigaction sa;
	int fd, opt, res = 0;
	bool stats_ok = true;
	unsigned long ops = 0, calls = 0, verifies = 0, forks = 0, reopens = 0,
		      recompacts = 0, moved = 0, errs[FA_NR_IOCS] = { 0 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "t:s:j:m:d:rv")) != -1) {
		switch (opt) {
		case 't': seconds = strtoul(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'j': nthreads = atoi(optarg); break;
		case 'm': max_pages_per_thread = strtoul(optarg, NULL, 0); break;
		case 'd': dev_path = optarg; break;
		case 'r': race_thread = true; break;
		case 'v': verbose++; break;
		default: usage();
		}
	}
	if (nthreads < 1 || nthreads > MAX_THREADS)
		usage();
	ps = (size_t)sysconf(_SC_PAGESIZE);
	is_root = geteuid() == 0;

	printf("TAP version 13\n");
	printf("# fa_fuzz: seed %llu, %lu s, %d threads, %lu pages per thread (repeat: fa_fuzz -t %lu -s %llu -j %d)\n",
	       (unsigned long long)seed, seconds, nthreads, max_pages_per_thread, seconds,
	       (unsigned long long)seed, nthreads);
	fd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("1..0 # SKIP cannot open %s: %s\n", dev_path, strerror(errno));
		return 4;
	}
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	if (ioctl(fd, FRAGALLOC_IOC_INFO, &info)) {
		printf("1..0 # SKIP INFO failed: %s\n", strerror(errno));
		return 4;
	}
	close(fd);
	printf("1..%d\n", R_NR + 1);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);

	if (pool_stats(&base)) {
		printf("Bail out! STATS failed: %s\n", strerror(errno));
		return 1;
	}
	log_stats("pool before", &base);

	shared_fd = open(dev_path, O_RDWR | O_CLOEXEC);
	for (int i = 0; i < nthreads; i++) {
		struct thr *t = &thr[i];

		t->id = i;
		t->rs = mix(seed * 1000003 + i) | 1;
		/* threads 0 and 1 (and every third one after) share an fd */
		t->shared = i < 2 || i % 3 == 2;
		t->fd = t->shared ? shared_fd : open(dev_path, O_RDWR | O_CLOEXEC);
		if (setup_pages(t)) {
			printf("Bail out! cannot set up the guard and read-only pages: %s\n",
			       strerror(errno));
			return 1;
		}
		if (t->fd < 0) {
			printf("Bail out! open: %s\n", strerror(errno));
			return 1;
		}
	}
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&thr[i].tid, NULL, worker, &thr[i])) {
			printf("Bail out! pthread_create failed\n");
			return 1;
		}
	pthread_t rt;
	bool racing = race_thread && is_root &&
		      !pthread_create(&rt, NULL, racer, NULL);

	if (race_thread && !racing)
		printf("# -r: no racer thread (%s)\n", is_root ? "pthread_create failed" : "not root");
	for (unsigned long s = 0; s < seconds * 10; s++)
		usleep(100000);
	stop = 1;
	for (int i = 0; i < nthreads; i++)
		pthread_join(thr[i].tid, NULL);
	if (racing) {
		pthread_join(rt, NULL);
		printf("# racer: %lu pool recompactions moved %lu pages\n", race_runs, race_moved);
	}

	for (int i = 0; i < nthreads; i++) {
		struct thr *t = &thr[i];

		ops += t->ops;
		calls += t->calls;
		verifies += t->verifies;
		forks += t->forks;
		reopens += t->reopens;
		recompacts += t->recompacts;
		moved += t->moved;
		for (int k = 0; k < FA_NR_IOCS; k++)
			errs[k] += t->errs[k];
		if (!t->shared)
			close(t->fd);
	}
	close(shared_fd);
	printf("# %lu ops, %lu calls, %lu verifications, %lu forks, %lu reopens, %lu recompactions moved %lu pages\n",
	       ops, calls, verifies, forks, reopens, recompacts, moved);
	printf("# failed ioctls: info %lu alloc %lu free %lu batch_info %lu stats %lu recompact %lu\n",
	       errs[0], errs[1], errs[2], errs[3], errs[4], errs[5]);

	for (int r = 0; r < R_NR; r++) {
		printf("%s %d %s\n", nfail[r] ? "not ok" : "ok", r + 1, r_name[r]);
		if (nfail[r]) {
			printf("# %d failure(s) of \"%s\" (seed %llu)\n", nfail[r], r_name[r],
			       (unsigned long long)seed);
			res = 1;
		}
	}

	/*
	 * every fd is closed, every mapping unmapped: the pool is back (blocks
	 * that fell empty may wait release_delay_ms in the reserve first)
	 */
	for (int waited = 0, delay = (int)read_param("release_delay_ms");
	     !pool_stats(&end) && delay > 0 && waited < delay + 3000 &&
	     end.out_reserve_blocks > 2 + base.out_reserve_blocks; waited += 100)
		usleep(100 * 1000);
	if (pool_stats(&end)) {
		stats_ok = false;
		printf("# STATS failed: %s\n", strerror(errno));
	} else {
		log_stats("pool after", &end);
		for (int c = 0; c < FRAGALLOC_NR_MOBILITY; c++)
			if (end.out_pages_used[c] != base.out_pages_used[c] ||
			    end.out_loose_pages[c] != base.out_loose_pages[c] ||
			    end.out_blocks[c] > base.out_blocks[c])
				stats_ok = false;
		if (end.out_other_pages != base.out_other_pages ||
		    end.out_reserve_blocks > 2 + base.out_reserve_blocks)
			stats_ok = false;
	}
	printf("%s %d pool stats back to baseline after close\n", stats_ok ? "ok" : "not ok",
	       R_NR + 1);
	if (!stats_ok) {
		log_stats("pool before", &base);
		res = 1;
	}
	return res;
}
