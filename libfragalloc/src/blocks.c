// SPDX-License-Identifier: MIT
/*
 * libfragalloc: pageblock pollution from /proc/kpageflags.
 *
 * /proc/kpageflags (0400 root, CONFIG_PROC_PAGE_MONITOR) holds one u64 of
 * KPF_* bits per PFN, from 0 up to the highest PFN (fs/proc/page.c,
 * stable_page_flags()). A page is
 *   absent    KPF_NOPAGE (no struct page: a hole);
 *   free      KPF_BUDDY: the head of a free buddy block and, since the kernel
 *             reports them too (page_count 0 and is_free_buddy_page()), its
 *             tail pages;
 *   LRU       KPF_LRU, or a compound tail (KPF_COMPOUND_TAIL) of an LRU head
 *             (before 6.x folios only the head carries PG_lru);
 *   other     anything else: slab, page tables, kernel and driver pages,
 *             reserved memory, hugetlb pages, pages cached on the per-CPU
 *             free lists (free, but not PageBuddy: counted here as allocated;
 *             the report carries buddyinfo's free count to compare).
 * A pageblock is free (only free pages), movable (LRU and free pages, at
 * least one LRU), polluted (at least one "other" page) or absent (no page).
 *
 * Zone spans come from /proc/zoneinfo ("start_pfn:" and "spanned"), the
 * pageblock order and the per-zone migratetype block counts from
 * /proc/pagetypeinfo (through fragalloc_frag_read()), the pool's pageblocks
 * from the driver's debugfs file "pfn class state used".
 *
 * Copyright (C) 2026 The fragalloc authors
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define KPF_LRU			5
#define KPF_BUDDY		10
#define KPF_COMPOUND_HEAD	15
#define KPF_COMPOUND_TAIL	16
#define KPF_NOPAGE		20

#define FA_BLK_DEFAULT_KPAGEFLAGS	"/proc/kpageflags"
#define FA_BLK_DEFAULT_ZONEINFO		"/proc/zoneinfo"
#define FA_BLK_DEFAULT_POOL		"/sys/kernel/debug/fragalloc/pageblocks"
#define FA_BLK_CHUNK			65536	/* PFNs per read */
#define FA_BLK_MAX_PFNS			(1ULL << 40)

enum { PG_ABSENT, PG_FREE, PG_LRU, PG_OTHER };

static const char *const class_names[FRAGALLOC_BLOCK_NR_CLASSES] = {
	"absent", "free", "movable", "polluted", "pool", "loose",
};

FA_EXPORT const char *fragalloc_block_class_name(unsigned int cls)
{
	return cls < FRAGALLOC_BLOCK_NR_CLASSES ? class_names[cls] : NULL;
}

/* ---------------------------------------------------------------------- */
/* Small text helpers */

static int parse_ull(const char *s, uint64_t *v)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -EBADMSG;
	errno = 0;
	*v = strtoull(s, NULL, 0);
	return errno ? -EBADMSG : 0;
}

/* ---------------------------------------------------------------------- */
/* /proc/zoneinfo: "Node N, zone NAME", "spanned N", "start_pfn: N" */

static int add_zone(struct fragalloc_blocks_report *r,
		    const struct fragalloc_blocks_zone *z)
{
	struct fragalloc_blocks_zone *nz;

	if (r->nr_zones >= INT16_MAX)	/* the per-block zone[] is int16_t */
		return -ERANGE;
	nz = realloc(r->zones, (r->nr_zones + 1) * sizeof(*nz));
	if (!nz)
		return -ENOMEM;
	r->zones = nz;
	r->zones[r->nr_zones++] = *z;
	return 0;
}

struct zone_acc {
	struct fragalloc_blocks_zone z;	/* name[0] 0: before the first zone */
	uint64_t spanned;
	int have_span, have_start;
};

static int finish_zone(struct fragalloc_blocks_report *r, struct zone_acc *za)
{
	if (!za->z.name[0])
		return 0;
	if (!za->have_span)
		return -EBADMSG;
	if (!za->spanned)
		return 0;	/* empty zone (Movable, Device): no start_pfn line */
	if (!za->have_start)
		return -EBADMSG;
	za->z.end_pfn = za->z.start_pfn + za->spanned;
	return add_zone(r, &za->z);
}

/* A zone's "spanned N" or "start_pfn: N" line (the others are not needed) */
static int zone_field(struct zone_acc *za, const char *line)
{
	const char *p = line;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!strncmp(p, "spanned ", 8)) {
		za->have_span = 1;
		return parse_ull(p + 8, &za->spanned);
	}
	if (!strncmp(p, "start_pfn:", 10)) {
		za->have_start = 1;
		return parse_ull(p + 10, &za->z.start_pfn);
	}
	return 0;
}

static int fa_blocks_parse_zoneinfo(struct fragalloc_blocks_report *r,
				    char *buf, void *unused)
{
	struct zone_acc za;
	char *line, *save = NULL;
	int ret;

	(void)unused;
	memset(&za, 0, sizeof(za));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[FRAGALLOC_FRAG_NAME_LEN];
		int node, off = 0;

		if (sscanf(line, "Node %d, zone %31s%n", &node, name, &off) == 2 &&
		    off > 0) {
			ret = finish_zone(r, &za);
			if (ret)
				return ret;
			memset(&za, 0, sizeof(za));
			za.z.node = node;
			za.z.zone_index = -1;
			strcpy(za.z.name, name);
		} else if (za.z.name[0] && zone_field(&za, line)) {
			return -EBADMSG;
		}
	}
	ret = finish_zone(r, &za);
	if (ret)
		return ret;
	return r->nr_zones ? 0 : -EBADMSG;
}

/* ---------------------------------------------------------------------- */
/* The pool's debugfs list: header, then "0x%08lx class state used" */

/* The pool's state per pageblock index: 0 none, POOL_OWNED, POOL_LOOSE */
enum { POOL_NONE, POOL_OWNED, POOL_LOOSE };

struct pool_map {
	uint8_t *state;
	size_t nr;
};

static int pool_set(struct pool_map *m, uint64_t b, uint8_t s)
{
	if (b >= FA_BLK_MAX_PFNS)
		return -EBADMSG;
	if (b >= m->nr) {
		size_t n = m->nr ? m->nr : 1024;
		uint8_t *ns;

		while (n <= b)
			n *= 2;
		ns = realloc(m->state, n);
		if (!ns)
			return -ENOMEM;
		memset(ns + m->nr, 0, n - m->nr);
		m->state = ns;
		m->nr = n;
	}
	m->state[b] = s;
	return 0;
}

static int parse_pool(struct fragalloc_blocks_report *r, char *buf, void *arg)
{
	struct pool_map *m = arg;
	char *line, *save = NULL;
	int first = 1, ret;

	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char cls[32], st[32];
		unsigned long long pfn, used;
		uint8_t s;

		if (first && !strncmp(line, "pfn", 3)) {
			first = 0;
			continue;
		}
		first = 0;
		if (sscanf(line, "%llx %31s %31s %llu", &pfn, cls, st, &used) != 4)
			return -EBADMSG;
		if (!strcmp(st, "owned") || !strcmp(st, "isolated"))
			s = POOL_OWNED;
		else if (!strcmp(st, "loose"))
			s = POOL_LOOSE;
		else
			continue;
		ret = pool_set(m, pfn >> r->pageblock_order, s);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */

struct blk_acc {
	uint64_t pages[4];	/* PG_* */
	uint64_t own;		/* the caller's pages */
	uint64_t own_other;	/* ... of them "other" */
	int zone;
	int seen_present;
};

static int grow(struct fragalloc_blocks_report *r, uint64_t *cap, uint64_t need)
{
	uint64_t n = *cap ? *cap : 1024;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(r->block_class, n);
	if (!p)
		return -ENOMEM;
	r->block_class = p;
	p = realloc(r->map, n);
	if (!p)
		return -ENOMEM;
	r->map = p;
	p = realloc(r->own, n * sizeof(*r->own));
	if (!p)
		return -ENOMEM;
	r->own = p;
	p = realloc(r->zone, n * sizeof(*r->zone));
	if (!p)
		return -ENOMEM;
	r->zone = p;
	*cap = n;
	return 0;
}

static int zone_of(const struct fragalloc_blocks_report *r, uint64_t pfn)
{
	for (unsigned int i = 0; i < r->nr_zones; i++)
		if (pfn >= r->zones[i].start_pfn && pfn < r->zones[i].end_pfn)
			return (int)i;
	return -1;
}

/* The same totals are kept for the report and for each zone. */
#define COUNT_BLOCK(t, cls, map, own, own_only) do {			\
	(t)->blocks[cls]++;						\
	(t)->map_blocks[map]++;						\
	if ((cls) == FRAGALLOC_BLOCK_POLLUTED && (own))			\
		(t)->polluted_own++;					\
	if (own_only)							\
		(t)->polluted_own_only++;				\
} while (0)

static void close_block(struct fragalloc_blocks_report *r, uint64_t b,
			const struct blk_acc *a, const uint8_t *pool,
			size_t nr_pool)
{
	uint8_t cls, map;
	uint64_t present = a->pages[PG_FREE] + a->pages[PG_LRU] +
			   a->pages[PG_OTHER];
	int own_only = 0;

	if (!present)
		cls = FRAGALLOC_BLOCK_ABSENT;
	else if (a->pages[PG_OTHER])
		cls = FRAGALLOC_BLOCK_POLLUTED;
	else if (a->pages[PG_LRU])
		cls = FRAGALLOC_BLOCK_MOVABLE;
	else
		cls = FRAGALLOC_BLOCK_FREE;
	map = cls;
	if (cls == FRAGALLOC_BLOCK_POLLUTED && a->own_other &&
	    a->own_other == a->pages[PG_OTHER])
		own_only = 1;
	if (r->has_pool) {
		uint8_t s = b < nr_pool ? pool[b] : 0;

		if (s == POOL_OWNED)
			map = FRAGALLOC_BLOCK_POOL;
		else if (s == POOL_LOOSE || a->own)
			map = FRAGALLOC_BLOCK_LOOSE;
	} else if (a->own) {
		map = own_only && !a->pages[PG_LRU] ? FRAGALLOC_BLOCK_POOL :
						      FRAGALLOC_BLOCK_LOOSE;
	}
	r->block_class[b] = cls;
	r->map[b] = map;
	r->own[b] = (uint32_t)a->own;
	r->zone[b] = (int16_t)a->zone;
	COUNT_BLOCK(r, cls, map, a->own, own_only);
	if (a->own)
		r->own_blocks++;
	if (a->zone >= 0) {
		struct fragalloc_blocks_zone *z = &r->zones[a->zone];

		COUNT_BLOCK(z, cls, map, a->own, own_only);
		if (z->first_block == UINT64_MAX)
			z->first_block = b;
		z->last_block = b;
	}
	r->pages_free += a->pages[PG_FREE];
	r->pages_lru += a->pages[PG_LRU];
	r->pages_other += a->pages[PG_OTHER];
	r->own_pages_found += a->own;
}

static inline int bit_test(const uint64_t *bm, uint64_t i)
{
	return (int)((bm[i >> 6] >> (i & 63)) & 1);
}

/* The kind of a page from its KPF_* bits (see the top of this file) */
static int page_kind(uint64_t f, int *head_kind)
{
	int kind;

	if (f & (1ULL << KPF_NOPAGE))
		kind = PG_ABSENT;
	else if (f & (1ULL << KPF_BUDDY))
		kind = PG_FREE;
	else if (f & (1ULL << KPF_LRU))
		kind = PG_LRU;
	else if (f & (1ULL << KPF_COMPOUND_TAIL))
		kind = *head_kind;
	else
		kind = PG_OTHER;
	if (f & (1ULL << KPF_COMPOUND_HEAD))
		*head_kind = kind;
	return kind;
}

struct kpf_scan {
	struct fragalloc_blocks_report *r;
	const uint64_t *own_bm;
	uint64_t own_bits;
	const uint8_t *pool;
	size_t nr_pool;
	uint64_t cap;		/* entries of r's per-block arrays */
	uint64_t pfn;		/* PFNs read */
	int head_kind;		/* of the latest compound head */
	struct blk_acc a;	/* the block being read */
};

static void acc_reset(struct blk_acc *a)
{
	memset(a, 0, sizeof(*a));
	a->zone = -1;
}

/* Closes the block of @last_pfn with what was counted since its start. */
static int end_block(struct kpf_scan *s, uint64_t last_pfn)
{
	uint64_t b = last_pfn / s->r->pages_per_block;
	int ret;

	if (s->a.zone < 0)	/* a hole: the zone spanning it */
		s->a.zone = zone_of(s->r, last_pfn);
	ret = grow(s->r, &s->cap, b + 1);
	if (ret)
		return ret;
	close_block(s->r, b, &s->a, s->pool, s->nr_pool);
	acc_reset(&s->a);
	return 0;
}

static int scan_page(struct kpf_scan *s, uint64_t flags)
{
	struct blk_acc *a = &s->a;
	uint64_t pfn = s->pfn;
	int kind;

	if (pfn >= FA_BLK_MAX_PFNS)
		return -EFBIG;
	s->pfn++;
	kind = page_kind(flags, &s->head_kind);
	a->pages[kind]++;
	/* the zone of the block's first page that has one */
	if (kind != PG_ABSENT && a->zone < 0 && a->seen_present < 2) {
		a->zone = zone_of(s->r, pfn);
		if (a->zone < 0 && !s->r->nr_zones)
			a->seen_present = 2;	/* no zoneinfo */
	}
	if (pfn < s->own_bits && bit_test(s->own_bm, pfn)) {
		a->own++;
		if (kind == PG_OTHER)
			a->own_other++;
	}
	if ((pfn + 1) % s->r->pages_per_block == 0)
		return end_block(s, pfn);
	return 0;
}

/* Feeds every u64 of @fd to scan_page(), read in chunks of FA_BLK_CHUNK. */
static int scan_fd(struct kpf_scan *s, int fd)
{
	const size_t size = FA_BLK_CHUNK * sizeof(uint64_t);
	uint64_t *buf = malloc(size);
	size_t fill = 0;	/* bytes in buf */
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	while (!ret) {
		ssize_t got = read(fd, (char *)buf + fill, size - fill);
		size_t n;

		if (got < 0) {
			if (errno != EINTR)
				ret = -errno;
			continue;
		}
		if (got == 0) {
			if (fill)
				ret = -EBADMSG;	/* not a multiple of 8 bytes */
			break;
		}
		fill += (size_t)got;
		n = fill / sizeof(*buf);
		for (size_t i = 0; !ret && i < n; i++)
			ret = scan_page(s, buf[i]);
		fill -= n * sizeof(*buf);
		if (fill)
			memmove(buf, (char *)buf + n * sizeof(*buf), fill);
	}
	free(buf);
	return ret;
}

static int scan_kpageflags(struct fragalloc_blocks_report *r, int fd,
			   const uint64_t *own_bm, uint64_t own_bits,
			   const struct pool_map *pool)
{
	struct kpf_scan s = {
		.r = r, .own_bm = own_bm, .own_bits = own_bits,
		.pool = pool->state, .nr_pool = pool->nr, .head_kind = PG_OTHER,
	};
	uint64_t ppb = r->pages_per_block;
	int ret;

	acc_reset(&s.a);
	ret = scan_fd(&s, fd);
	if (!ret && s.pfn % ppb)	/* a last, partial block */
		ret = end_block(&s, s.pfn - 1);
	if (!ret && !s.pfn)
		ret = -EBADMSG;	/* empty file */
	r->nr_pfns = s.pfn;
	r->nr_blocks = (s.pfn + ppb - 1) / ppb;
	return ret;
}

static int build_own_bitmap(const struct fragalloc_blocks_opts *o,
			    struct fragalloc_blocks_report *r, uint64_t **bm,
			    uint64_t *bits)
{
	uint64_t max = 0;

	*bm = NULL;
	*bits = 0;
	if (!o->nr_own_pfns)
		return 0;
	if (!o->own_pfns)
		return -EINVAL;
	for (size_t i = 0; i < o->nr_own_pfns; i++) {
		uint64_t p = o->own_pfns[i];

		if (p == FRAGALLOC_PFN_HOLE || p == 0)
			continue;
		if (p >= FA_BLK_MAX_PFNS)
			return -EINVAL;
		if (p + 1 > max)
			max = p + 1;
	}
	if (!max)
		return 0;
	*bm = calloc((max + 63) / 64, sizeof(uint64_t));
	if (!*bm)
		return -ENOMEM;
	*bits = max;
	for (size_t i = 0; i < o->nr_own_pfns; i++) {
		uint64_t p = o->own_pfns[i];
		uint64_t *w;

		if (p == FRAGALLOC_PFN_HOLE || p == 0)
			continue;
		w = &(*bm)[p >> 6];
		if (!(*w & (1ULL << (p & 63)))) {
			*w |= 1ULL << (p & 63);
			r->own_pages++;
		}
	}
	return 0;
}

static int join_pagetypeinfo(struct fragalloc_blocks_report *r,
			     const struct fragalloc_frag_report *f)
{
	r->nr_types = f->nr_types;
	memcpy(r->type_names, f->type_names, sizeof(r->type_names));
	for (unsigned int i = 0; i < r->nr_zones; i++) {
		struct fragalloc_blocks_zone *z = &r->zones[i];

		for (unsigned int j = 0; j < f->nr_zones; j++) {
			const struct fragalloc_frag_zone *fz = &f->zones[j];

			if (fz->node != z->node || strcmp(fz->name, z->name))
				continue;
			z->zone_index = (int)j;
			z->buddyinfo_free_pages = fz->free_pages;
			if (fz->has_blocks) {
				z->has_types = 1;
				memcpy(z->type_blocks, fz->type_blocks,
				       sizeof(z->type_blocks));
			}
		}
	}
	for (unsigned int j = 0; j < f->nr_zones; j++)
		r->buddyinfo_free_pages += f->zones[j].free_pages;
	r->has_buddyinfo = 1;
	return 0;
}

/* buddyinfo + pagetypeinfo: pageblock order, type names, free counts */
static int read_frag(const struct fragalloc_blocks_opts *o,
		     struct fragalloc_blocks_report *r,
		     struct fragalloc_frag_report **f)
{
	int ret;

	if (!o->buddyinfo_path || *o->buddyinfo_path) {
		ret = fragalloc_frag_read(o->buddyinfo_path, o->pagetypeinfo_path,
					  f);
		if (ret == -ENOMEM)
			return ret;
		if (ret)
			r->buddyinfo_error = ret;
	} else {
		r->buddyinfo_error = -ENOENT;
	}
	r->pagetypeinfo_error = *f ? (*f)->pagetypeinfo_error : -ENOENT;
	r->has_pagetypeinfo = *f && (*f)->has_pagetypeinfo;
	if (o->pageblock_order)
		r->pageblock_order = o->pageblock_order;
	else if (r->has_pagetypeinfo && (*f)->pageblock_order > 0 &&
		 (*f)->pageblock_order <= 30)
		r->pageblock_order = (unsigned int)(*f)->pageblock_order;
	else
		return -ENODATA;
	r->pages_per_block = 1ULL << r->pageblock_order;
	return 0;
}

typedef int (*table_parser)(struct fragalloc_blocks_report *r, char *text,
			    void *arg);

/*
 * An optional table (@path NULL: @dflt; "": not wanted, -ENOENT): 1 when
 * read and parsed, 0 when it could not be read (*@err says why), else the
 * error that fails the whole report (ENOMEM, a malformed table).
 */
static int read_table(const char *path, const char *dflt, table_parser parse,
		      struct fragalloc_blocks_report *r, void *arg, int *err)
{
	char *text;
	size_t len;
	int ret;

	if (!path)
		path = dflt;
	ret = *path ? fa_read_file(path, &text, &len) : -ENOENT;
	if (ret == -ENOMEM)
		return ret;
	if (ret) {
		*err = ret;
		return 0;
	}
	ret = parse(r, text, arg);
	free(text);
	return ret ? ret : 1;
}

static int read_zones(const struct fragalloc_blocks_opts *o,
		      struct fragalloc_blocks_report *r,
		      const struct fragalloc_frag_report *f)
{
	int ret = read_table(o->zoneinfo_path, FA_BLK_DEFAULT_ZONEINFO,
			     fa_blocks_parse_zoneinfo, r, NULL,
			     &r->zoneinfo_error);

	if (ret < 0)
		return ret;
	r->has_zoneinfo = ret;
	for (unsigned int i = 0; i < r->nr_zones; i++) {
		r->zones[i].first_block = UINT64_MAX;
		r->zones[i].zone_index = -1;
	}
	if (f)
		join_pagetypeinfo(r, f);
	return 0;
}

static int read_pool(const struct fragalloc_blocks_opts *o,
		     struct fragalloc_blocks_report *r, struct pool_map *pool)
{
	int ret = read_table(o->pool_path, FA_BLK_DEFAULT_POOL, parse_pool, r,
			     pool, &r->pool_error);

	if (ret < 0)
		return ret;
	r->has_pool = ret;
	for (size_t b = 0; b < pool->nr; b++) {
		if (pool->state[b] == POOL_OWNED)
			r->pool_owned++;
		else if (pool->state[b] == POOL_LOOSE)
			r->pool_loose++;
	}
	return 0;
}

static void finish_report(struct fragalloc_blocks_report *r)
{
	r->memory_blocks = r->nr_blocks - r->blocks[FRAGALLOC_BLOCK_ABSENT];
	r->polluted_share = r->memory_blocks ?
		(int)(r->blocks[FRAGALLOC_BLOCK_POLLUTED] * 1000 / r->memory_blocks) : 0;
	for (unsigned int i = 0; i < r->nr_zones; i++)
		if (r->zones[i].first_block == UINT64_MAX)
			r->zones[i].first_block = r->zones[i].last_block = 0;
}

FA_EXPORT int fragalloc_blocks_read(const struct fragalloc_blocks_opts *opts,
				    struct fragalloc_blocks_report **out)
{
	static const struct fragalloc_blocks_opts dflt;
	const struct fragalloc_blocks_opts *o = opts ? opts : &dflt;
	struct fragalloc_frag_report *f = NULL;
	struct fragalloc_blocks_report *r;
	struct pool_map pool = { NULL, 0 };
	uint64_t *own_bm = NULL, own_bits = 0;
	int ret, fd;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (o->pageblock_order > 30)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	/* kpageflags first: without root nothing else matters */
	fd = open(o->kpageflags_path ? o->kpageflags_path :
		  FA_BLK_DEFAULT_KPAGEFLAGS, O_RDONLY | O_CLOEXEC);
	ret = fd < 0 ? -errno : read_frag(o, r, &f);
	if (!ret)
		ret = read_zones(o, r, f);
	if (!ret)
		ret = read_pool(o, r, &pool);
	if (!ret)
		ret = build_own_bitmap(o, r, &own_bm, &own_bits);
	if (!ret)
		ret = scan_kpageflags(r, fd, own_bm, own_bits, &pool);
	if (fd >= 0)
		close(fd);
	free(own_bm);
	free(pool.state);
	fragalloc_frag_free(f);
	if (ret) {
		fragalloc_blocks_free(r);
		return ret;
	}
	finish_report(r);
	*out = r;
	return 0;
}

FA_EXPORT void fragalloc_blocks_free(struct fragalloc_blocks_report *r)
{
	if (!r)
		return;
	free(r->block_class);
	free(r->map);
	free(r->own);
	free(r->zone);
	free(r->zones);
	free(r);
}
