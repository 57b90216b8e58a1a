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
#define FA_BLK_TEXT_MAX			(16u << 20)

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

static int read_text(const char *path, char **out, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *buf = NULL, *nb;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t r;

		if (!buf || n + 1 >= cap) {
			if (buf)
				cap *= 2;
			if (cap > FA_BLK_TEXT_MAX) {
				ret = -EFBIG;
				break;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static int parse_ull(const char *s, uint64_t *v, char **end)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -EBADMSG;
	errno = 0;
	*v = strtoull(s, &e, 0);
	if (errno)
		return -EBADMSG;
	if (end)
		*end = e;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* /proc/zoneinfo: "Node N, zone NAME", "spanned N", "start_pfn: N" */

static int add_zone(struct fragalloc_blocks_report *r,
		    const struct fragalloc_blocks_zone *z)
{
	struct fragalloc_blocks_zone *nz;

	if (r->nr_zones >= 1024)
		return -ERANGE;
	nz = realloc(r->zones, (r->nr_zones + 1) * sizeof(*nz));
	if (!nz)
		return -ENOMEM;
	r->zones = nz;
	r->zones[r->nr_zones++] = *z;
	return 0;
}

static int finish_zone(struct fragalloc_blocks_report *r,
		       struct fragalloc_blocks_zone *z, uint64_t spanned,
		       int have_span, int have_start)
{
	if (!z->name[0])
		return 0;
	if (!have_span)
		return -EBADMSG;
	if (!spanned)
		return 0;	/* empty zone (Movable, Device): no start_pfn line */
	if (!have_start)
		return -EBADMSG;
	return add_zone(r, z);
}

static int fa_blocks_parse_zoneinfo(struct fragalloc_blocks_report *r, char *buf)
{
	struct fragalloc_blocks_zone z;
	int have_span = 0, have_start = 0, ret;
	uint64_t spanned = 0;
	char *line, *save = NULL;

	memset(&z, 0, sizeof(z));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *p = line, *e;
		int node, off = 0;
		char name[FRAGALLOC_FRAG_NAME_LEN];
		uint64_t v;

		if (sscanf(line, "Node %d, zone %31s%n", &node, name, &off) == 2 &&
		    off > 0) {
			if (have_start)
				z.end_pfn = z.start_pfn + spanned;
			ret = finish_zone(r, &z, spanned, have_span, have_start);
			if (ret)
				return ret;
			memset(&z, 0, sizeof(z));
			z.node = node;
			z.zone_index = -1;
			strcpy(z.name, name);
			have_span = have_start = 0;
			continue;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (!z.name[0])
			continue;
		if (!strncmp(p, "spanned ", 8)) {
			if (parse_ull(p + 8, &v, &e))
				return -EBADMSG;
			spanned = v;
			have_span = 1;
		} else if (!strncmp(p, "start_pfn:", 10)) {
			if (parse_ull(p + 10, &v, &e))
				return -EBADMSG;
			z.start_pfn = v;
			have_start = 1;
		}
	}
	if (have_start)
		z.end_pfn = z.start_pfn + spanned;
	ret = finish_zone(r, &z, spanned, have_span, have_start);
	if (ret)
		return ret;
	return r->nr_zones ? 0 : -EBADMSG;
}

/* ---------------------------------------------------------------------- */
/* The pool's debugfs list: header, then "0x%08lx class state used" */

static int parse_pool(struct fragalloc_blocks_report *r, char *buf,
		      uint8_t **state, size_t *nr_state)
{
	char *line, *save = NULL;
	int first = 1;

	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char cls[32], st[32];
		unsigned long long pfn, used;
		uint64_t b;
		uint8_t s;

		if (first && !strncmp(line, "pfn", 3)) {
			first = 0;
			continue;
		}
		first = 0;
		if (sscanf(line, "%llx %31s %31s %llu", &pfn, cls, st, &used) != 4)
			return -EBADMSG;
		if (!strcmp(st, "owned") || !strcmp(st, "isolated"))
			s = 1;
		else if (!strcmp(st, "loose"))
			s = 2;
		else
			continue;
		b = pfn >> r->pageblock_order;
		if (b >= FA_BLK_MAX_PFNS)
			return -EBADMSG;
		if (b >= *nr_state) {
			size_t n = *nr_state ? *nr_state : 1024;
			uint8_t *ns;

			while (n <= b)
				n *= 2;
			ns = realloc(*state, n);
			if (!ns)
				return -ENOMEM;
			memset(ns + *nr_state, 0, n - *nr_state);
			*state = ns;
			*nr_state = n;
		}
		(*state)[b] = s;
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

		if (s == 1)
			map = FRAGALLOC_BLOCK_POOL;
		else if (s == 2 || a->own)
			map = FRAGALLOC_BLOCK_LOOSE;
	} else if (a->own) {
		map = own_only && !a->pages[PG_LRU] ? FRAGALLOC_BLOCK_POOL :
						      FRAGALLOC_BLOCK_LOOSE;
	}
	r->block_class[b] = cls;
	r->map[b] = map;
	r->own[b] = (uint32_t)a->own;
	r->zone[b] = (int16_t)a->zone;
	r->blocks[cls]++;
	r->map_blocks[map]++;
	if (cls == FRAGALLOC_BLOCK_POLLUTED && a->own)
		r->polluted_own++;
	if (own_only)
		r->polluted_own_only++;
	if (a->own)
		r->own_blocks++;
	if (a->zone >= 0) {
		struct fragalloc_blocks_zone *z = &r->zones[a->zone];

		z->blocks[cls]++;
		z->map_blocks[map]++;
		if (cls == FRAGALLOC_BLOCK_POLLUTED && a->own)
			z->polluted_own++;
		if (own_only)
			z->polluted_own_only++;
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

static int scan_kpageflags(struct fragalloc_blocks_report *r, int fd,
			   const uint64_t *own_bm, uint64_t own_bits,
			   const uint8_t *pool, size_t nr_pool)
{
	uint64_t *buf, cap = 0, pfn = 0, ppb = r->pages_per_block;
	struct blk_acc a;
	int head_kind = PG_OTHER, ret = 0;
	size_t fill = 0;	/* bytes in buf */

	buf = malloc(FA_BLK_CHUNK * sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	memset(&a, 0, sizeof(a));
	a.zone = -1;
	for (;;) {
		ssize_t got = read(fd, (char *)buf + fill,
				   FA_BLK_CHUNK * sizeof(*buf) - fill);
		size_t n;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (got == 0) {
			if (fill)
				ret = -EBADMSG;	/* not a multiple of 8 bytes */
			break;
		}
		fill += (size_t)got;
		n = fill / sizeof(*buf);
		for (size_t i = 0; i < n; i++, pfn++) {
			uint64_t f = buf[i];
			int kind;

			if (pfn >= FA_BLK_MAX_PFNS) {
				ret = -EFBIG;
				goto out;
			}
			if (f & (1ULL << KPF_NOPAGE))
				kind = PG_ABSENT;
			else if (f & (1ULL << KPF_BUDDY))
				kind = PG_FREE;
			else if (f & (1ULL << KPF_LRU))
				kind = PG_LRU;
			else if (f & (1ULL << KPF_COMPOUND_TAIL))
				kind = head_kind;
			else
				kind = PG_OTHER;
			if (f & (1ULL << KPF_COMPOUND_HEAD))
				head_kind = kind;
			a.pages[kind]++;
			/* the zone of the block's first page that has one */
			if (kind != PG_ABSENT && a.zone < 0 && a.seen_present < 2) {
				a.zone = zone_of(r, pfn);
				if (a.zone < 0 && !r->nr_zones)
					a.seen_present = 2;	/* no zoneinfo */
			}
			if (pfn < own_bits && bit_test(own_bm, pfn)) {
				a.own++;
				if (kind == PG_OTHER)
					a.own_other++;
			}
			if ((pfn + 1) % ppb == 0) {
				uint64_t b = pfn / ppb;

				if (a.zone < 0)	/* a hole: the zone spanning it */
					a.zone = zone_of(r, pfn);
				ret = grow(r, &cap, b + 1);
				if (ret)
					goto out;
				close_block(r, b, &a, pool, nr_pool);
				memset(&a, 0, sizeof(a));
				a.zone = -1;
			}
		}
		fill -= n * sizeof(*buf);
		if (fill)
			memmove(buf, (char *)buf + n * sizeof(*buf), fill);
	}
	if (!ret && pfn % ppb) {	/* a last, partial block */
		uint64_t b = pfn / ppb;

		if (a.zone < 0)
			a.zone = zone_of(r, pfn - 1);

		ret = grow(r, &cap, b + 1);
		if (!ret)
			close_block(r, b, &a, pool, nr_pool);
	}
	if (!ret && !pfn)
		ret = -EBADMSG;	/* empty file */
out:
	r->nr_pfns = pfn;
	r->nr_blocks = (pfn + ppb - 1) / ppb;
	free(buf);
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

FA_EXPORT int fragalloc_blocks_read(const struct fragalloc_blocks_opts *opts,
				    struct fragalloc_blocks_report **out)
{
	static const struct fragalloc_blocks_opts dflt;
	const struct fragalloc_blocks_opts *o = opts ? opts : &dflt;
	struct fragalloc_frag_report *f = NULL;
	struct fragalloc_blocks_report *r;
	uint64_t *own_bm = NULL, own_bits = 0;
	uint8_t *pool = NULL;
	size_t nr_pool = 0, len;
	const char *path;
	char *text;
	int ret, fd = -1;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (o->pageblock_order > 30)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;

	/* kpageflags first: without root nothing else matters */
	path = o->kpageflags_path ? o->kpageflags_path : FA_BLK_DEFAULT_KPAGEFLAGS;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto fail;
	}

	/* buddyinfo + pagetypeinfo: pageblock order, labels, free counts */
	if (!o->buddyinfo_path || *o->buddyinfo_path) {
		ret = fragalloc_frag_read(o->buddyinfo_path, o->pagetypeinfo_path,
					  &f);
		if (ret == -ENOMEM)
			goto fail;
		if (ret)
			r->buddyinfo_error = ret;
	} else {
		r->buddyinfo_error = -ENOENT;
	}
	r->pagetypeinfo_error = f ? f->pagetypeinfo_error : -ENOENT;
	r->has_pagetypeinfo = f && f->has_pagetypeinfo;
	if (o->pageblock_order) {
		r->pageblock_order = o->pageblock_order;
	} else if (f && f->has_pagetypeinfo && f->pageblock_order > 0 &&
		   f->pageblock_order <= 30) {
		r->pageblock_order = (unsigned int)f->pageblock_order;
	} else {
		ret = -ENODATA;
		goto fail;
	}
	r->pages_per_block = 1ULL << r->pageblock_order;

	/* zones */
	path = o->zoneinfo_path ? o->zoneinfo_path : FA_BLK_DEFAULT_ZONEINFO;
	if (*path) {
		ret = read_text(path, &text, &len);
		if (ret == -ENOMEM)
			goto fail;
		if (!ret) {
			ret = fa_blocks_parse_zoneinfo(r, text);
			free(text);
			if (ret)
				goto fail;
			r->has_zoneinfo = 1;
		} else {
			r->zoneinfo_error = ret;
		}
	} else {
		r->zoneinfo_error = -ENOENT;
	}
	for (unsigned int i = 0; i < r->nr_zones; i++) {
		r->zones[i].first_block = UINT64_MAX;
		r->zones[i].zone_index = -1;
	}
	if (f)
		join_pagetypeinfo(r, f);

	/* the pool's pageblocks */
	path = o->pool_path ? o->pool_path : FA_BLK_DEFAULT_POOL;
	if (*path) {
		ret = read_text(path, &text, &len);
		if (ret == -ENOMEM)
			goto fail;
		if (!ret) {
			ret = parse_pool(r, text, &pool, &nr_pool);
			free(text);
			if (ret)
				goto fail;
			r->has_pool = 1;
		} else {
			r->pool_error = ret;
		}
	} else {
		r->pool_error = -ENOENT;
	}
	for (size_t b = 0; b < nr_pool; b++) {
		if (pool[b] == 1)
			r->pool_owned++;
		else if (pool[b] == 2)
			r->pool_loose++;
	}

	ret = build_own_bitmap(o, r, &own_bm, &own_bits);
	if (ret)
		goto fail;
	ret = scan_kpageflags(r, fd, own_bm, own_bits, pool, nr_pool);
	if (ret)
		goto fail;
	r->memory_blocks = r->nr_blocks - r->blocks[FRAGALLOC_BLOCK_ABSENT];
	r->polluted_share = r->memory_blocks ?
		(int)(r->blocks[FRAGALLOC_BLOCK_POLLUTED] * 1000 / r->memory_blocks) : 0;
	for (unsigned int i = 0; i < r->nr_zones; i++)
		if (r->zones[i].first_block == UINT64_MAX)
			r->zones[i].first_block = r->zones[i].last_block = 0;
	close(fd);
	free(own_bm);
	free(pool);
	fragalloc_frag_free(f);
	*out = r;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(own_bm);
	free(pool);
	fragalloc_frag_free(f);
	fragalloc_blocks_free(r);
	return ret;
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
