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
#include <ctype.h>
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
#define MAX_OPS		16	/* entries of ops[] */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

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
static unsigned long seconds = 25;	/* -t */
static uint64_t seed = 1;		/* -s */

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

	return v[below(s, ARRAY_SIZE(v))];
}

static uint32_t edge32(uint64_t *s)
{
	static const uint32_t v[] = {
		0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe,
		0x10000, 0xdeadbeef,
	};

	return v[below(s, ARRAY_SIZE(v))];
}

/* one flag bit above the valid ones of @mask (its bits are the low ones) */
static uint32_t bad_flag(uint64_t *s, uint32_t mask)
{
	unsigned int used = mask ? 32 - __builtin_clz(mask) : 0;

	return 1u << (used + below(s, 32 - used));
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
	unsigned long op_count[MAX_OPS];	/* per entry of ops[] */
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

/* which slots of struct thr's arrays pick_slot() and free_slot() look for */
static bool batch_used(const void *slot)
{
	return ((const struct batch *)slot)->used;
}

static bool batch_live(const void *slot)
{
	const struct batch *b = slot;

	return b->used && b->live;
}

static bool map_used(const void *slot)
{
	return ((const struct map *)slot)->used;
}

/* the first of the @n slots at @slots (@size bytes each) not @in_set, NULL if none */
static void *free_slot(void *slots, size_t size, int n, bool (*in_set)(const void *))
{
	for (int i = 0; i < n; i++)
		if (!in_set((char *)slots + i * size))
			return (char *)slots + i * size;
	return NULL;
}

/* a random one of the @n slots at @slots (@size bytes each) that are @in_set, NULL if none */
static void *pick_slot(struct thr *t, void *slots, size_t size, int n,
		       bool (*in_set)(const void *))
{
	int k = 0, idx[MAX_BATCHES > MAX_MAPS ? MAX_BATCHES : MAX_MAPS];

	for (int i = 0; i < n; i++)
		if (in_set((char *)slots + i * size))
			idx[k++] = i;
	return k ? (char *)slots + idx[below(&t->rs, k)] * size : NULL;
}

/* a slot for a new batch, or mapping, of thread @t; NULL when all are in use */
#define unused_batch(t)	\
	((struct batch *)free_slot((t)->b, sizeof(struct batch), MAX_BATCHES, batch_used))
#define unused_map(t)	((struct map *)free_slot((t)->m, sizeof(struct map), MAX_MAPS, map_used))

static struct batch *pick_live(struct thr *t)
{
	return pick_slot(t, t->b, sizeof(t->b[0]), MAX_BATCHES, batch_live);
}

static struct map *pick_map(struct thr *t)
{
	return pick_slot(t, t->m, sizeof(t->m[0]), MAX_MAPS, map_used);
}

static void put_batch(struct batch *b)
{
	if (b->used && !b->live && !b->nmaps) {
		free(b->pg);
		memset(b, 0, sizeof(*b));
	}
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

static uint64_t present_pages(const struct batch *b)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < b->nr_pages; i++)
		n += b->pg[i] != PG_HOLE;
	return n;
}

/* the fd no longer has @b: its pages stop counting, it lives on while mapped */
static void batch_unreachable(struct thr *t, struct batch *b)
{
	t->pages -= present_pages(b);
	b->live = false;
	put_batch(b);
}

/* marks @b freed (the fd no longer has it) */
static void batch_gone(struct thr *t, struct batch *b)
{
	b->freed = true;
	batch_unreachable(t, b);
}

/* ------------------------------------------------------------------ */
/* operations                                                         */

/* the argument pointer of an ioctl */
enum arg_kind {
	ARG_VALID,	/* the structure */
	ARG_NULL,
	ARG_PTR1,	/* (void *)1 */
	ARG_KERNEL,	/* a kernel address */
	ARG_GUARD,	/* runs into a PROT_NONE page: only the size is readable */
	ARG_RDONLY,	/* readable, but the result cannot be written back */
};

static const char *const arg_kind_name[] = {
	[ARG_VALID] = "valid",
	[ARG_NULL] = "null",
	[ARG_PTR1] = "ptr 1",
	[ARG_KERNEL] = "kernel ptr",
	[ARG_GUARD] = "guard page",
	[ARG_RDONLY] = "read-only",
};

/*
 * Picks the argument pointer: mostly @good, sometimes a bad pointer. The
 * returned @expect mask is E(EFAULT) for a bad one, else 0. Read-only
 * pointers only for ioctls that create nothing (@may_ro).
 */
static void *arg_ptr(struct thr *t, void *good, bool may_ro,
		     eset *expect, enum arg_kind *kind)
{
	unsigned int r = below(&t->rs, 100);

	*expect = 0;
	*kind = ARG_VALID;
	if (r >= 6)
		return good;
	*expect = E(EFAULT);
	switch (r) {
	case 0:
		*kind = ARG_NULL;
		return NULL;
	case 1:
		*kind = ARG_PTR1;
		return (void *)1;
	case 2:
		*kind = ARG_KERNEL;
		return (void *)0xffff888000000000ULL;
	case 3:
	case 4: {
		char *p = t->guard_area + ps - 4;

		*kind = ARG_GUARD;
		memcpy(p, good, 4);
		return p;
	}
	default:
		if (!may_ro) {
			*expect = 0;
			return good;
		}
		*kind = ARG_RDONLY;
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

/* how issue() may vary a call */
#define MAY_PERTURB	1	/* now and then a bad struct size or argument pointer */
#define MAY_RDONLY	2	/* a read-only pointer among them: the ioctl creates nothing */

/* what issue() did to a call */
struct issued {
	bool perturbed;		/* a bad size or pointer: @exp did not apply */
	enum arg_kind kind;	/* the pointer passed */
};

/* @size past the kernel's structure: a zero tail, with @garbage one non-zero byte */
static void fill_tail(struct thr *t, int k, union ubuf *u, uint32_t sz, bool garbage)
{
	size_t ksz = fa_iocs[k].size;

	if (sz > ksz && sz <= sizeof(*u)) {
		memset(u->raw + ksz, 0, sz - ksz);
		if (garbage)
			u->raw[sz - 1 - below(&t->rs, sz - ksz)] = 1 + below(&t->rs, 255);
	} else if (sz > sizeof(*u)) {
		/* the kernel reads past the buffer: nonzero stack or a fault */
		memset(u->raw + ksz, 0, sizeof(*u) - ksz);
	}
}

/*
 * What a call made with size @sz and pointer @kind must return, given @exp
 * for its members and @sexp for its size (0: a size that is accepted).
 */
static eset issue_expect(int k, eset exp, eset sexp, uint32_t sz, enum arg_kind kind)
{
	switch (kind) {
	case ARG_NULL:
	case ARG_PTR1:
	case ARG_KERNEL:
		return E(EFAULT);			/* size unreadable */
	case ARG_GUARD:
		return sz < fa_iocs[k].min_size ? E(EINVAL) : E(EFAULT);
	default:
		if (sexp)
			exp = sexp;
		if (kind == ARG_RDONLY && (exp & E(0)))
			exp = (exp & ~E(0)) | E(EFAULT);	/* result not writable */
		return exp;
	}
}

/*
 * Runs ioctl @k on @u (already filled in, @exp: the errnos expected for its
 * members, E(0) for success); with MAY_PERTURB in @how, sometimes a bad
 * struct size or argument pointer, which changes what is expected. @out
 * tells which pointer was used and whether size or pointer was bad.
 */
static int issue(struct thr *t, int k, union ubuf *u, eset exp, unsigned int how,
		 const char *what, struct issued *out)
{
	eset sexp = 0, pexp = 0;
	bool garbage = false;
	enum arg_kind kind = ARG_VALID;
	uint32_t sz = fa_iocs[k].size;
	void *p = u;
	char desc[256];

	if (how & MAY_PERTURB) {
		sz = pick_size(t, k, &sexp, &garbage);
		p = arg_ptr(t, u, how & MAY_RDONLY, &pexp, &kind);
	}
	u->alloc.size = sz;		/* size is the first member of every struct */
	fill_tail(t, k, u, sz, garbage);
	if (kind == ARG_GUARD)
		memcpy(p, u, 4);
	if (kind == ARG_RDONLY)
		/* at least the size member: else the page keeps an older one */
		memcpy(t->ro_w, u, sz < 4 ? 4 : sz < ps ? sz : ps);
	out->perturbed = sexp || pexp;
	out->kind = kind;
	exp = issue_expect(k, exp, sexp, sz, kind);
	snprintf(desc, sizeof(desc), "%s, size %u, %s arg", what, sz, arg_kind_name[kind]);
	if (verbose > 1)
		printf("# t%d %s\n", t->id, desc);
	return call(t, t->fd, k, p, exp, desc);
}

/* What a valid ALLOC of @policy may answer. */
static eset alloc_ok_set(uint32_t policy)
{
	eset ok = E(0) | E(ENOMEM) | E(EDQUOT) | E(ENOSPC);

	/* the movable policy, where the kernel cannot have it */
	if (policy == FRAGALLOC_POLICY_MOVABLE &&
	    !(info.out_features & FRAGALLOC_FEAT_MOVABLE))
		ok |= E(EOPNOTSUPP);
	return ok;
}

/*
 * The invalid members every structure with __reserved can have, for the
 * draw @which of a *_break() function: 0, a flag outside ioctl @k's valid
 * ones; 1, a non-zero __reserved. Returns whether @which was one of them.
 */
static bool bad_flags_or_reserved(struct thr *t, int k, __u32 *flags, __u32 *reserved,
				  unsigned int which)
{
	if (which == 0)
		*flags |= bad_flag(&t->rs, fa_iocs[k].flags_mask);
	else if (which == 1)
		*reserved = edge32(&t->rs) | 1;
	return which <= 1;
}

/* the size of a valid ALLOC: mostly a few pages, sometimes a pageblock's worth */
static uint64_t alloc_nr(struct thr *t)
{
	switch (below(&t->rs, 10)) {
	case 0:
		return 1;
	case 1:
		return 512 - below(&t->rs, 3);
	case 2:
		return 64 + below(&t->rs, 128);
	default:
		return 1 + below(&t->rs, 32);
	}
}

static void alloc_fill(struct thr *t, struct fragalloc_alloc *a)
{
	a->mobility = below(&t->rs, FRAGALLOC_NR_MOBILITY);
	a->policy = chance(&t->rs, 70) ? FRAGALLOC_POLICY_COMPACT :
					 below(&t->rs, FRAGALLOC_NR_POLICIES);
	a->nr_pages = alloc_nr(t);
	if (chance(&t->rs, 20))
		a->flags |= FRAGALLOC_ALLOC_BEST_EFFORT;
	if (a->policy == FRAGALLOC_POLICY_COMPACT && chance(&t->rs, 10))
		a->flags |= FRAGALLOC_ALLOC_STRICT;
}

/* now and then one invalid member (one at a time); false when there is one */
static bool alloc_break(struct thr *t, struct fragalloc_alloc *a)
{
	unsigned int r = below(&t->rs, 14);
	uint64_t nr;

	if (bad_flags_or_reserved(t, FA_IOC_ALLOC, &a->flags, &a->__reserved, r))
		return false;
	switch (r) {
	case 2:
		a->mobility = FRAGALLOC_NR_MOBILITY + (uint32_t)below(&t->rs, 3) * 0x7ffffff0;
		return false;
	case 3:
		a->policy = FRAGALLOC_NR_POLICIES + (uint32_t)below(&t->rs, 3) * 0x7ffffff0;
		return false;
	case 4:
		do
			nr = edge64(&t->rs);
		while (nr && nr <= info.out_max_batch_pages);
		a->nr_pages = nr;
		return false;
	case 5:
		if (a->policy == FRAGALLOC_POLICY_COMPACT)
			return true;
		a->flags |= FRAGALLOC_ALLOC_STRICT;
		return false;
	case 6:
		/* output members are ignored on input */
		a->out_handle = edge32(&t->rs);
		a->out_nr_pages = edge64(&t->rs);
		a->out_mmap_offset = edge64(&t->rs);
		return true;
	default:
		return true;
	}
}

/* checks the reply of a valid ALLOC of @nr pages and records the batch */
static void alloc_record(struct thr *t, const struct fragalloc_alloc *a, uint64_t nr)
{
	struct batch *b = unused_batch(t);

	if (a->out_nr_pages < 1 || a->out_nr_pages > nr ||
	    (!(a->flags & FRAGALLOC_ALLOC_BEST_EFFORT) && a->out_nr_pages != nr) ||
	    !a->out_handle || (a->out_mmap_offset & (ps - 1)))
		failf(R_EXPECT, "t%d alloc %llu pages: out_nr_pages %llu handle %u offset 0x%llx",
		      t->id, (unsigned long long)nr, (unsigned long long)a->out_nr_pages,
		      a->out_handle, (unsigned long long)a->out_mmap_offset);
	for (int i = 0; i < MAX_BATCHES; i++)
		if (t->b[i].used && t->b[i].live && t->b[i].handle == a->out_handle &&
		    t->b[i].fdgen == t->fdgen)
			failf(R_EXPECT, "t%d alloc: handle %u is still live", t->id,
			      a->out_handle);
	memset(b, 0, sizeof(*b));
	b->used = b->live = true;
	b->fdgen = t->fdgen;
	b->handle = a->out_handle;
	b->nr_pages = a->out_nr_pages;
	b->off = a->out_mmap_offset;
	b->uid = t->uid_next++;
	b->policy = a->policy;
	b->mobility = a->mobility;
	b->pg = calloc(b->nr_pages, 1);
	if (!b->pg) {
		perror("calloc");
		exit(2);
	}
	t->pages += b->nr_pages;
}

static void op_alloc(struct thr *t)
{
	union ubuf u;
	struct issued is;
	uint64_t nr;
	bool valid;
	eset exp;

	memset(&u, 0, sizeof(u));
	alloc_fill(t, &u.alloc);
	valid = alloc_break(t, &u.alloc);
	exp = valid ? alloc_ok_set(u.alloc.policy) : E(EINVAL);
	nr = u.alloc.nr_pages;
	if (valid && (t->pages + nr > max_pages_per_thread || !unused_batch(t))) {
		/* keep memory bounded: only a failure test */
		u.alloc.nr_pages = 0;
		exp = E(EINVAL);
		valid = false;
	}
	/* never a read-only pointer: the kernel would allocate, then EFAULT */
	if (issue(t, FA_IOC_ALLOC, &u, exp, MAY_PERTURB, "alloc", &is))
		return;
	if (valid && !is.perturbed) {
		alloc_record(t, &u.alloc, nr);
	} else {
		/* an invalid call succeeded (already reported): undo it */
		struct fragalloc_free f = { .size = sizeof(f), .handle = u.alloc.out_handle };

		ioctl(t->fd, FRAGALLOC_IOC_FREE, &f);
	}
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

/*
 * A FREE whose result could not be written (read-only argument: EFAULT)
 * did free, and so did an invalid one that succeeded (already reported):
 * find out what happened to @b.
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

/* what a call with an invalid member must return: EINVAL, or ENOENT first */
static eset invalid_exp(const struct batch *b)
{
	return b ? E(EINVAL) : (E(EINVAL) | E(ENOENT));
}

/* a small handle (own fd only): maybe one of ours, maybe a fork child's */
static void free_by_number(struct thr *t, struct fragalloc_free *f, bool range)
{
	f->size = sizeof(*f);
	f->handle = 1 + below(&t->rs, 64);
	if (range)
		f->nr_pages = 1;
	if (call(t, t->fd, FA_IOC_FREE, f, E(0) | E(ENOENT), "free by number"))
		return;
	for (int i = 0; i < MAX_BATCHES; i++)
		if (t->b[i].used && t->b[i].live && t->b[i].handle == f->handle) {
			if (range)
				punch(t, &t->b[i], 0, 1);
			else
				batch_gone(t, &t->b[i]);
		}
}

/* a range of @b to free, now and then a bad one; false for a bad one */
static bool free_pick_range(struct thr *t, const struct batch *b, struct fragalloc_free *f)
{
	f->first_page = below(&t->rs, b->nr_pages);
	f->nr_pages = 1 + below(&t->rs, b->nr_pages - f->first_page);
	if (!chance(&t->rs, 10))
		return true;
	/* past the end, empty, or wrapping around */
	switch (below(&t->rs, 4)) {
	case 0:
		f->nr_pages = 0;
		break;
	case 1:
		f->first_page = b->nr_pages;
		f->nr_pages = 1;
		break;
	case 2:
		/* first + nr wraps around to a small number */
		f->nr_pages = f->first_page >= 2 ? ~0ULL - f->first_page + 2 : ~0ULL;
		break;
	default:
		f->nr_pages = b->nr_pages - f->first_page + 1;
		break;
	}
	return false;
}

/* now and then one invalid member; false when there is one */
static bool free_break(struct thr *t, struct fragalloc_free *f, bool range)
{
	unsigned int r = below(&t->rs, 12);

	if (bad_flags_or_reserved(t, FA_IOC_FREE, &f->flags, &f->__reserved, r))
		return false;
	switch (r) {
	case 2:
		if (range)
			return true;
		f->first_page = edge64(&t->rs);
		f->nr_pages = edge64(&t->rs) | 1;
		return false;
	default:
		return true;
	}
}

/* checks the reply of a valid FREE of @b and applies it */
static void free_check(struct thr *t, struct batch *b, const struct fragalloc_free *f,
		       bool range)
{
	uint64_t holes;

	if (!range) {
		if (f->out_nr_freed != present_pages(b) && f->size >= fa_iocs[FA_IOC_FREE].size)
			failf(R_EXPECT, "t%d free: out_nr_freed %llu, expected %llu", t->id,
			      (unsigned long long)f->out_nr_freed,
			      (unsigned long long)present_pages(b));
		batch_gone(t, b);
		return;
	}
	holes = punch(t, b, f->first_page, f->nr_pages);
	if (f->out_nr_freed != holes && f->size >= fa_iocs[FA_IOC_FREE].size)
		failf(R_EXPECT, "t%d range free [%llu,+%llu): out_nr_freed %llu, expected %llu",
		      t->id, (unsigned long long)f->first_page,
		      (unsigned long long)f->nr_pages,
		      (unsigned long long)f->out_nr_freed,
		      (unsigned long long)holes);
}

static void op_free(struct thr *t, bool range)
{
	struct batch *b = pick_live(t);
	union ubuf u;
	struct issued is;
	eset exp = E(0);
	bool valid = true;
	char what[128];
	int ret;

	memset(&u, 0, sizeof(u));
	if (range)
		u.free.flags = FRAGALLOC_FREE_RANGE;
	if (!t->shared && chance(&t->rs, 4)) {
		free_by_number(t, &u.free, range);
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
		if (range)
			valid = free_pick_range(t, b, &u.free);
	}
	if (!free_break(t, &u.free, range))
		valid = false;
	if (!valid)
		exp = invalid_exp(b);
	snprintf(what, sizeof(what), "%s handle %u [%llu,+%llu) flags 0x%x rsv 0x%x of %llu pages",
		 range ? "range free" : "free", u.free.handle,
		 (unsigned long long)u.free.first_page, (unsigned long long)u.free.nr_pages,
		 u.free.flags, u.free.__reserved, b ? (unsigned long long)b->nr_pages : 0ULL);
	ret = issue(t, FA_IOC_FREE, &u, exp, MAY_PERTURB | MAY_RDONLY, what, &is);
	if (!b)
		return;
	if (ret == -EFAULT && is.kind == ARG_RDONLY)
		resync_after_efault(t, b, &u.free);
	else if (!ret && (!valid || is.perturbed))
		resync_after_efault(t, b, &u.free);
	else if (!ret)
		free_check(t, b, &u.free, range);
}

/*
 * The PFN request of a BATCH_INFO of @b (NULL: a handle that names no
 * batch) in @bi, now and then with one invalid member: returns false then.
 * A bad PFN array changes *exp; *target is the mapping the PFNs are
 * written into, if any.
 */
static bool binfo_args(struct thr *t, const struct batch *b, struct fragalloc_batch_info *bi,
		       uint64_t *pfns, eset *exp, struct map **target)
{
	unsigned int r = below(&t->rs, 10);
	struct map *m;

	switch (r) {
	case 0:
		bi->flags = FRAGALLOC_BATCH_INFO_PFNS;
		bi->pfns = (uintptr_t)pfns;
		bi->nr_pfns = 1 + below(&t->rs, 64);
		return true;
	case 1:
		bi->flags = FRAGALLOC_BATCH_INFO_PFNS;
		bi->nr_pfns = edge64(&t->rs);
		bi->pfns = chance(&t->rs, 50) ? 0 : (uintptr_t)(t->guard_area + ps);
		if (b && bi->nr_pfns)
			*exp = E(EFAULT);
		else if (!b)
			*exp = E(ENOENT);
		return true;
	case 2:
		/* the PFNs are written into one of our own mappings */
		m = pick_map(t);
		if (b && m && !m->b->freed && !m->ro && m->b->pg[m->first] == PG_DATA) {
			bi->flags = FRAGALLOC_BATCH_INFO_PFNS;
			bi->pfns = (uintptr_t)m->addr;
			bi->nr_pfns = ps / 8;
			*target = m;
		}
		return true;
	case 3:
		bi->pfns = (uintptr_t)pfns;
		return false;
	case 4:
		bi->nr_pfns = 1 + below(&t->rs, 10);
		return false;
	case 5:
	case 6:
		/* flags is 0 here: no PFN request */
		bad_flags_or_reserved(t, FA_IOC_BATCH_INFO, &bi->flags, &bi->__reserved, r - 5);
		return false;
	default:
		return true;
	}
}

/* checks the reply of a valid BATCH_INFO of @b, @pfns the array it named */
static void binfo_check(struct thr *t, const struct batch *b,
			const struct fragalloc_batch_info *bi, const uint64_t *pfns)
{
	uint64_t pres = present_pages(b);

	if (bi->out_nr_pages != b->nr_pages || bi->out_nr_present != pres ||
	    bi->out_mmap_offset != b->off || bi->out_policy != b->policy ||
	    bi->out_mobility != b->mobility)
		failf(R_EXPECT, "t%d batch info %u: pages %llu/%llu present %llu/%llu off 0x%llx/0x%llx",
		      t->id, b->handle,
		      (unsigned long long)bi->out_nr_pages, (unsigned long long)b->nr_pages,
		      (unsigned long long)bi->out_nr_present, (unsigned long long)pres,
		      (unsigned long long)bi->out_mmap_offset, (unsigned long long)b->off);
	if (!bi->flags || bi->pfns != (uintptr_t)pfns)
		return;
	for (uint64_t i = 0; i < bi->nr_pfns && i < b->nr_pages; i++) {
		bool hole = b->pg[i] == PG_HOLE;

		if (hole != (pfns[i] == FRAGALLOC_PFN_HOLE) || (!hole && !is_root && pfns[i]))
			failf(R_EXPECT, "t%d batch info %u: pfn[%llu] = 0x%llx (hole %d)",
			      t->id, b->handle, (unsigned long long)i,
			      (unsigned long long)pfns[i], hole);
	}
}

static void op_batch_info(struct thr *t)
{
	struct batch *b = pick_live(t);
	struct map *target = NULL;
	uint64_t pfns[64];
	struct issued is;
	union ubuf u;
	eset exp = E(0);
	bool valid;
	int ret;

	memset(&u, 0, sizeof(u));
	if (!b || chance(&t->rs, 8)) {
		u.bi.handle = dead_handle(t);
		exp = E(ENOENT);
		b = NULL;
	} else {
		u.bi.handle = b->handle;
	}
	valid = binfo_args(t, b, &u.bi, pfns, &exp, &target);
	if (!valid)
		exp = invalid_exp(b);
	/* PFNs written into a mapping: no perturbation, the page is resynced below */
	ret = issue(t, FA_IOC_BATCH_INFO, &u, exp, target ? 0 : MAY_PERTURB | MAY_RDONLY,
		    "batch info", &is);
	if (target && (!ret || ret == -EFAULT)) {
		/* the first page now holds PFNs (or zeros) and ~0 for holes */
		fill_page(target->addr, page_seed(t, target->b, target->first));
		target->b->pg[target->first] = PG_DATA;
	}
	if (!ret && b && !is.perturbed && valid)
		binfo_check(t, b, &u.bi, pfns);
}

static void op_stats_info(struct thr *t)
{
	union ubuf u;
	eset exp = E(0);
	struct issued is;
	int k = chance(&t->rs, 50) ? FA_IOC_STATS : FA_IOC_INFO;

	memset(&u, 0, sizeof(u));
	if (chance(&t->rs, 10)) {
		u.st.flags = bad_flag(&t->rs, fa_iocs[k].flags_mask);
		exp = E(EINVAL);
	}
	if (chance(&t->rs, 5)) {
		/* output members are ignored on input (STATS' @node is input) */
		memset(u.raw + 8, 0xa5, (k == FA_IOC_STATS ?
					 offsetof(struct fragalloc_stats, node) :
					 fa_iocs[k].size) - 8);
	}
	issue(t, k, &u, exp, MAY_PERTURB | MAY_RDONLY, k == FA_IOC_STATS ? "stats" : "info", &is);
	if (k == FA_IOC_INFO && !is.perturbed && exp == E(0) &&
	    (u.info.out_page_size != ps || u.info.out_abi_version != FRAGALLOC_ABI_VERSION))
		failf(R_EXPECT, "t%d info: page size %u abi %u", t->id, u.info.out_page_size,
		      u.info.out_abi_version);
	if (k == FA_IOC_STATS && !is.perturbed && exp == E(0) && !t->shared) {
		uint64_t nb = 0;

		for (int i = 0; i < MAX_BATCHES; i++)
			nb += t->b[i].used && t->b[i].live && t->b[i].fdgen == t->fdgen;
		if (u.st.out_fd_batches < nb)
			failf(R_EXPECT, "t%d stats: fd batches %llu < %llu known", t->id,
			      (unsigned long long)u.st.out_fd_batches, (unsigned long long)nb);
	}
}

/* the scope (and handle) of a RECOMPACT, now and then a bad one; returns what to expect */
static eset recompact_scope(struct thr *t, const struct batch *b, struct fragalloc_recompact *rc)
{
	switch (below(&t->rs, 10)) {
	case 0: case 1: case 2:
		rc->scope = FRAGALLOC_SCOPE_BATCH;
		if (!b) {
			rc->handle = dead_handle(t);
			return E(ENOENT);
		}
		rc->handle = b->handle;
		break;
	case 3: case 4: case 5:
		rc->scope = FRAGALLOC_SCOPE_FD;
		break;
	case 6: case 7:
		rc->scope = FRAGALLOC_SCOPE_POOL;
		if (!is_root)
			return E(EPERM);
		break;
	case 8:
		rc->scope = FRAGALLOC_NR_SCOPES + (uint32_t)below(&t->rs, 2) * 0x7ffffff0;
		return E(EINVAL);
	default:
		/* a handle outside FRAGALLOC_SCOPE_BATCH */
		rc->scope = 1 + below(&t->rs, 2);
		rc->handle = 1 + below(&t->rs, 100);
		return E(EINVAL) | (rc->scope == FRAGALLOC_SCOPE_POOL && !is_root ? E(EPERM) : 0);
	}
	return E(0) | E(ENOMEM);
}

static void op_recompact(struct thr *t)
{
	struct batch *b = pick_live(t);
	struct issued is;
	union ubuf u;
	eset exp;

	memset(&u, 0, sizeof(u));
	exp = recompact_scope(t, b, &u.rc);
	if (chance(&t->rs, 30))
		u.rc.flags |= FRAGALLOC_RECOMPACT_DRY_RUN;
	if (chance(&t->rs, 40))
		u.rc.max_pages = chance(&t->rs, 50) ? 1 + below(&t->rs, 64) : edge64(&t->rs);
	if (chance(&t->rs, 6)) {
		u.rc.flags |= bad_flag(&t->rs, fa_iocs[FA_IOC_RECOMPACT].flags_mask);
		exp = E(EINVAL);
	}
	if (issue(t, FA_IOC_RECOMPACT, &u, exp, MAY_PERTURB | MAY_RDONLY, "recompact", &is) ||
	    is.perturbed)
		return;
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

static void op_bad_ioctl(struct thr *t)
{
	static const unsigned long cmds[] = {
		_IO(FRAGALLOC_TYPE, 0x7f), _IO(FRAGALLOC_TYPE, 0x86),
		_IO(FRAGALLOC_TYPE, 0xff), _IO(FRAGALLOC_TYPE, 0),
		_IOW(FRAGALLOC_TYPE, FRAGALLOC_CMD_ALLOC, struct fragalloc_alloc),
		_IOWR(FRAGALLOC_TYPE, FRAGALLOC_CMD_INFO, struct fragalloc_info),
		_IO(0xFB, FRAGALLOC_CMD_INFO), 0, ~0UL,
	};
	unsigned long cmd = cmds[below(&t->rs, ARRAY_SIZE(cmds))];
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

/* one mmap() of a batch */
struct mmap_req {
	uint64_t first;		/* first batch page */
	uint64_t n;		/* pages */
	uint64_t off;		/* file offset */
	int flags;
	eset exp;		/* 0: must map (ENOMEM aside) */
	const char *what;
};

/* now and then turns @r into a bad mmap(); false when there is none to make */
static bool mmap_edge(struct thr *t, const struct batch *b, struct mmap_req *r)
{
	struct thr *o;

	switch (below(&t->rs, 14)) {
	case 0:
		r->flags = MAP_PRIVATE;
		r->exp = E(EINVAL);
		r->what = "mmap MAP_PRIVATE";
		break;
	case 1:
		r->n = b->nr_pages - r->first + 1;	/* one page past the end */
		r->exp = E(ENXIO);
		r->what = "mmap past the end";
		break;
	case 2:
		r->off = b->off + b->nr_pages * ps;	/* the guard page */
		r->n = 1;
		r->exp = E(ENXIO);
		r->what = "mmap guard page";
		break;
	case 3:
		r->off = edge64(&t->rs) & ~(uint64_t)(ps - 1) & ((1ULL << 62) - 1);
		r->exp = E(ENXIO) | E(0);	/* might hit a live batch of ours */
		r->what = "mmap random offset";
		break;
	case 4:
		/* another thread's offset: never a batch of this fd unless shared */
		o = &thr[(t->id + 1) % nthreads];
		r->off = o->b[below(&t->rs, MAX_BATCHES)].off;
		if (!r->off)
			return false;
		r->n = 1;
		r->exp = (t->shared && o->shared) ? (E(0) | E(ENXIO)) : E(ENXIO);
		r->what = "mmap foreign offset";
		break;
	default:
		break;
	}
	return true;
}

/* checks the errno @err of the mmap() @r of @b against what was expected */
static void mmap_check(struct thr *t, const struct batch *b, const struct mmap_req *r, int err)
{
	if (err && !(DOC_MMAP & E(err)) && !(r->exp & E(0)))
		failf(R_ERRNO, "t%d %s: errno %d (%s) is not documented for mmap", t->id, r->what,
		      err, strerror(err));
	if (!r->exp && err && err != ENOMEM)
		failf(R_EXPECT, "t%d %s of batch %u [%llu,+%llu): %s", t->id, r->what, b->handle,
		      (unsigned long long)r->first, (unsigned long long)r->n, strerror(err));
	if (r->exp && !(r->exp & E(err)))
		failf(R_EXPECT, "t%d %s (off 0x%llx, %llu pages): %s, expected %s", t->id,
		      r->what, (unsigned long long)r->off, (unsigned long long)r->n,
		      err ? strerror(err) : "success", eset_str(r->exp));
}

static void op_mmap(struct thr *t)
{
	struct batch *b = pick_live(t);
	struct map *m = unused_map(t);
	struct mmap_req r = { .flags = MAP_SHARED, .what = "mmap" };
	char *p;
	int err;

	if (!b || !m)
		return;
	r.first = below(&t->rs, b->nr_pages);
	r.n = 1 + below(&t->rs, b->nr_pages - r.first);
	if (r.n > 64)
		r.n = 64;
	r.off = b->off + r.first * ps;
	if (!mmap_edge(t, b, &r))
		return;
	if (mapped_pages(t) + r.n > 256 && !r.exp)
		return;
	p = mmap(NULL, r.n * ps, PROT_READ | PROT_WRITE, r.flags, t->fd, (off_t)r.off);
	err = p == MAP_FAILED ? errno : 0;
	t->calls++;
	mmap_check(t, b, &r, err);
	if (err)
		return;
	if (r.exp) {
		munmap(p, r.n * ps);
		return;
	}
	m->used = true;
	m->addr = p;
	m->npages = r.n;
	m->b = b;
	m->first = r.first;
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
		struct map *m2 = unused_map(t);

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
	a = adv[below(&t->rs, ARRAY_SIZE(adv))];
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

/* in a fork child: every page of the parent's mappings; returns 1 if one is wrong */
static int child_verify(struct thr *t)
{
	for (int i = 0; i < MAX_MAPS; i++) {
		struct map *m = &t->m[i];

		if (!m->used || m->b->freed)
			continue;
		for (uint64_t k = 0; k < m->npages; k++) {
			uint64_t pg = m->first + k;

			if (m->b->pg[pg] == PG_DATA &&
			    check_page(m->addr + k * ps, page_seed(t, m->b, pg)) >= 0)
				return 1;
			if (m->b->pg[pg] == PG_FRESH && check_zero(m->addr + k * ps) >= 0)
				return 1;
		}
	}
	return 0;
}

/*
 * The fork child; its exit status ORs 1: a data mismatch, 2: a failed ALLOC
 * or FREE, 4: a pool-wide recompaction without privileges that was not
 * EPERM, 8: a failed setuid.
 */
static int fork_child(struct thr *t)
{
	int bad = child_verify(t);

	if (t->id & 1) {
		struct fragalloc_alloc a = {
			.size = sizeof(a), .nr_pages = 1 + (t->forks & 3),
		};
		int r = ioctl(t->fd, FRAGALLOC_IOC_ALLOC, &a) ? errno : 0;

		if (r && r != ENOMEM)
			bad |= 2;
		if (!r && (t->forks & 4)) {
			struct fragalloc_free f = { .size = sizeof(f), .handle = a.out_handle };

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
	return bad;
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
	if (pid == 0)
		_exit(fork_child(t));
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

		if (b->used && b->live)
			batch_unreachable(t, b);	/* orphaned: alive while mapped */
	}
	t->fdgen++;
}

static void op_free_whole(struct thr *t)
{
	op_free(t, false);
}

static void op_free_range(struct thr *t)
{
	op_free(t, true);
}

typedef void (*op_fn)(struct thr *t);

/* what a worker does, each op picked with probability weight / sum of weights */
static const struct {
	const char *name;
	unsigned int weight;
	op_fn fn;
} ops[] = {
	{ "alloc",		200,	op_alloc },
	{ "free",		 90,	op_free_whole },
	{ "range free",		100,	op_free_range },
	{ "batch info",		 70,	op_batch_info },
	{ "stats/info",		 50,	op_stats_info },
	{ "recompact",		130,	op_recompact },
	{ "bad ioctl",		 10,	op_bad_ioctl },
	{ "mmap",		150,	op_mmap },
	{ "munmap",		 60,	op_munmap },
	{ "mremap",		 40,	op_mremap },
	{ "madvise/mprotect",	 50,	op_madvise_mprotect },
	{ "probe hole",		 25,	op_probe_hole },
	{ "fork",		 15,	op_fork },
	{ "reopen",		 10,	op_reopen },
};

#define NR_OPS	ARRAY_SIZE(ops)
_Static_assert(NR_OPS <= MAX_OPS, "struct thr counts at most MAX_OPS ops");

/* an index into ops[], by weight */
static unsigned int pick_op(struct thr *t)
{
	unsigned int total = 0, r, i;

	for (i = 0; i < NR_OPS; i++)
		total += ops[i].weight;
	r = below(&t->rs, total);
	for (i = 0; r >= ops[i].weight; i++)
		r -= ops[i].weight;
	return i;
}

static void *worker(void *arg)
{
	struct thr *t = arg;

	while (!stop) {
		unsigned int i = pick_op(t);

		ops[i].fn(t);
		t->ops++;
		t->op_count[i]++;
		verify(t, ops[i].name);
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
	/* per mobility class (n: FRAGALLOC_NR_MOBILITY), then pool-wide (n: 1) */
	const struct {
		const char *name;
		const __u64 *v;
		int n;
	} f[] = {
		{ "blocks", s->out_blocks, FRAGALLOC_NR_MOBILITY },
		{ "used", s->out_pages_used, FRAGALLOC_NR_MOBILITY },
		{ "loose", s->out_loose_pages, FRAGALLOC_NR_MOBILITY },
		{ "other", &s->out_other_pages, 1 },
		{ "reserve", &s->out_reserve_blocks, 1 },
		{ "acquired", &s->out_blocks_acquired, 1 },
		{ "released", &s->out_blocks_released, 1 },
		{ "runs", &s->out_recompact_runs, 1 },
		{ "moved", &s->out_recompact_moved, 1 },
	};

	printf("# %s:", what);
	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		printf(" %s %llu", f[i].name, (unsigned long long)f[i].v[0]);
		for (int c = 1; c < f[i].n; c++)
			printf("/%llu", (unsigned long long)f[i].v[c]);
	}
	printf("\n");
}

static void usage(void)
{
	fprintf(stderr, "usage: fa_fuzz [-t SECONDS] [-s SEED] [-j THREADS] [-m MAX_PAGES_PER_THREAD] [-d DEV] [-r] [-v]\n");
	exit(2);
}

static void parse_opts(int argc, char **argv)
{
	int opt;

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
}

/* reads INFO into @info; false (after the TAP skip line) without a usable device */
static bool probe_device(void)
{
	int fd = open(dev_path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		printf("1..0 # SKIP cannot open %s: %s\n", dev_path, strerror(errno));
		return false;
	}
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	if (ioctl(fd, FRAGALLOC_IOC_INFO, &info)) {
		printf("1..0 # SKIP INFO failed: %s\n", strerror(errno));
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

/* SIGBUS and SIGSEGV go to probe_read() (or kill the process when unexpected) */
static void catch_faults(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

/* the fd, random state and probe pages of every worker; false after a TAP bail out */
static bool setup_threads(void)
{
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
			return false;
		}
		if (t->fd < 0) {
			printf("Bail out! open: %s\n", strerror(errno));
			return false;
		}
	}
	return true;
}

/* the workers (and with -r the racer) for @seconds; false after a TAP bail out */
static bool run_threads(void)
{
	pthread_t rt;
	bool racing;

	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&thr[i].tid, NULL, worker, &thr[i])) {
			printf("Bail out! pthread_create failed\n");
			return false;
		}
	racing = race_thread && is_root && !pthread_create(&rt, NULL, racer, NULL);
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
	for (int i = 0; i < nthreads; i++)
		if (!thr[i].shared)
			close(thr[i].fd);
	close(shared_fd);
	return true;
}

/* the workers' counters, summed */
static void log_counters(void)
{
	struct thr sum = { 0 };
	char name[16];

	for (int i = 0; i < nthreads; i++) {
		const struct thr *t = &thr[i];

		sum.ops += t->ops;
		sum.calls += t->calls;
		sum.verifies += t->verifies;
		sum.forks += t->forks;
		sum.reopens += t->reopens;
		sum.recompacts += t->recompacts;
		sum.moved += t->moved;
		for (int k = 0; k < FA_NR_IOCS; k++)
			sum.errs[k] += t->errs[k];
		for (size_t k = 0; k < NR_OPS; k++)
			sum.op_count[k] += t->op_count[k];
	}
	printf("# %lu ops, %lu calls, %lu verifications, %lu forks, %lu reopens, %lu recompactions moved %lu pages\n",
	       sum.ops, sum.calls, sum.verifies, sum.forks, sum.reopens, sum.recompacts, sum.moved);
	printf("# failed ioctls:");
	for (int k = 0; k < FA_NR_IOCS; k++) {
		size_t n;

		for (n = 0; fa_iocs[k].name[n] && n < sizeof(name) - 1; n++)
			name[n] = tolower((unsigned char)fa_iocs[k].name[n]);
		name[n] = 0;
		printf(" %s %lu", name, sum.errs[k]);
	}
	printf("\n# ops:");
	for (size_t k = 0; k < NR_OPS; k++)
		printf("%s %s %lu", k ? "," : "", ops[k].name, sum.op_count[k]);
	printf("\n");
}

/* a TAP line for each R_* result; false if one failed */
static bool report_results(void)
{
	bool ok = true;

	for (int r = 0; r < R_NR; r++) {
		printf("%s %d %s\n", nfail[r] ? "not ok" : "ok", r + 1, r_name[r]);
		if (nfail[r]) {
			printf("# %d failure(s) of \"%s\" (seed %llu)\n", nfail[r], r_name[r],
			       (unsigned long long)seed);
			ok = false;
		}
	}
	return ok;
}

/*
 * Every fd is closed, every mapping unmapped: the pool must be back at
 * @base (blocks that fell empty may wait release_delay_ms in the reserve
 * first).
 */
static bool pool_back_to(const struct fragalloc_stats *base)
{
	struct fragalloc_stats end;
	bool ok = true;

	for (int waited = 0, delay = (int)read_param("release_delay_ms");
	     !pool_stats(&end) && delay > 0 && waited < delay + 3000 &&
	     end.out_reserve_blocks > 2 + base->out_reserve_blocks; waited += 100)
		usleep(100 * 1000);
	if (pool_stats(&end)) {
		printf("# STATS failed: %s\n", strerror(errno));
		return false;
	}
	log_stats("pool after", &end);
	for (int c = 0; c < FRAGALLOC_NR_MOBILITY; c++)
		if (end.out_pages_used[c] != base->out_pages_used[c] ||
		    end.out_loose_pages[c] != base->out_loose_pages[c] ||
		    end.out_blocks[c] > base->out_blocks[c])
			ok = false;
	if (end.out_other_pages != base->out_other_pages ||
	    end.out_reserve_blocks > 2 + base->out_reserve_blocks)
		ok = false;
	return ok;
}

int main(int argc, char **argv)
{
	struct fragalloc_stats base;
	bool ok, stats_ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_opts(argc, argv);
	ps = (size_t)sysconf(_SC_PAGESIZE);
	is_root = geteuid() == 0;

	printf("TAP version 13\n");
	printf("# fa_fuzz: seed %llu, %lu s, %d threads, %lu pages per thread (repeat: fa_fuzz -t %lu -s %llu -j %d)\n",
	       (unsigned long long)seed, seconds, nthreads, max_pages_per_thread, seconds,
	       (unsigned long long)seed, nthreads);
	if (!probe_device())
		return 4;
	printf("1..%d\n", R_NR + 1);
	catch_faults();
	if (pool_stats(&base)) {
		printf("Bail out! STATS failed: %s\n", strerror(errno));
		return 1;
	}
	log_stats("pool before", &base);
	if (!setup_threads() || !run_threads())
		return 1;
	log_counters();
	ok = report_results();
	stats_ok = pool_back_to(&base);
	printf("%s %d pool stats back to baseline after close\n", stats_ok ? "ok" : "not ok",
	       R_NR + 1);
	if (!stats_ok)
		log_stats("pool before", &base);
	return ok && stats_ok ? 0 : 1;
}
