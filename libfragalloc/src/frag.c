// SPDX-License-Identifier: MIT
/*
 * libfragalloc: fragmentation metrics from /proc/buddyinfo and
 * /proc/pagetypeinfo, with the unusable free space index and the
 * fragmentation index computed as mm/vmstat.c does.
 *
 * Formats (mm/vmstat.c, unchanged in substance from 2.6.24 to 6.x):
 *   buddyinfo:    "Node %d, zone %8s " then "%6lu " per order
 *   pagetypeinfo: "Page block order: %d" / "Pages per block:  %lu" /
 *                 "Free pages count per migrate type at order" + orders /
 *                 "Node %4d, zone %8s, type %12s " then "%s%6lu " per order
 *                 (prefix ">" when the kernel capped the count) /
 *                 "Number of blocks type " + names /
 *                 "Node %d, zone %8s " then "%12lu " per type /
 *                 optional "Number of mixed blocks " section (ignored).
 *   The pagetypeinfo block repeats per node with memory. Migratetype names
 *   differ between kernels (Reserve before 4.4, HighAtomic after; CMA and
 *   Isolate depend on the config), so they are kept as strings.
 *
 * Copyright (C) 2026 The fragalloc authors
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define FA_PROC_MAX_BYTES	(16u << 20)
#define FA_MAX_TOKENS		(FRAGALLOC_FRAG_MAX_ORDERS + 16)

/* ---------------------------------------------------------------------- */
/* Kernel formulas */

struct contig_info {
	uint64_t free_pages;
	uint64_t free_blocks_total;
	uint64_t free_blocks_suitable;
};

/* fill_contig_page_info() */
static void fill_contig(const uint64_t *free_blocks, unsigned int nr_orders,
			unsigned int suitable_order, struct contig_info *info)
{
	info->free_pages = 0;
	info->free_blocks_total = 0;
	info->free_blocks_suitable = 0;
	for (unsigned int order = 0; order < nr_orders; order++) {
		uint64_t blocks = free_blocks[order];

		info->free_blocks_total += blocks;
		info->free_pages += blocks << order;
		if (order >= suitable_order)
			info->free_blocks_suitable +=
				blocks << (order - suitable_order);
	}
}

/* unusable_free_index() */
static int unusable_index(unsigned int order, const struct contig_info *info)
{
	uint64_t suitable_pages;

	if (info->free_pages == 0)
		return 1000;
	suitable_pages = order < 64 ? info->free_blocks_suitable << order : 0;
	return (int)((info->free_pages - suitable_pages) * 1000ULL /
		     info->free_pages);
}

/* __fragmentation_index() */
static int extfrag_index(unsigned int order, unsigned int nr_orders,
			 const struct contig_info *info)
{
	uint64_t requested;

	if (order >= nr_orders)	/* WARN_ON_ONCE(order > MAX_PAGE_ORDER) */
		return 0;
	requested = 1ULL << order;
	if (!info->free_blocks_total)
		return 0;
	if (info->free_blocks_suitable)
		return FRAGALLOC_FRAG_INDEX_SUCCEEDS;
	return (int)(1000 - (int64_t)((1000 + (info->free_pages * 1000ULL /
					       requested)) /
				      info->free_blocks_total));
}

FA_EXPORT int fragalloc_frag_unusable_index(const uint64_t *free_blocks,
					    unsigned int nr_orders,
					    unsigned int order)
{
	struct contig_info info;

	if (!free_blocks || nr_orders > FRAGALLOC_FRAG_MAX_ORDERS)
		return -EINVAL;
	fill_contig(free_blocks, nr_orders, order, &info);
	return unusable_index(order, &info);
}

FA_EXPORT int fragalloc_frag_extfrag_index(const uint64_t *free_blocks,
					   unsigned int nr_orders,
					   unsigned int order)
{
	struct contig_info info;

	if (!free_blocks || nr_orders > FRAGALLOC_FRAG_MAX_ORDERS)
		return 0;
	fill_contig(free_blocks, nr_orders, order, &info);
	return extfrag_index(order, nr_orders, &info);
}

FA_EXPORT uint64_t fragalloc_frag_free_blocks_ge(const struct fragalloc_frag_zone *z,
						 unsigned int order)
{
	uint64_t n = 0;

	if (!z)
		return 0;
	for (unsigned int o = order; o < z->nr_orders; o++)
		n += z->free_blocks[o];
	return n;
}

FA_EXPORT uint64_t fragalloc_frag_free_pages_ge(const struct fragalloc_frag_zone *z,
						unsigned int order)
{
	uint64_t n = 0;

	if (!z)
		return 0;
	for (unsigned int o = order; o < z->nr_orders; o++)
		n += z->free_blocks[o] << o;
	return n;
}

FA_EXPORT int fragalloc_frag_type_index(const struct fragalloc_frag_report *r,
					const char *name)
{
	if (!r || !name)
		return -EINVAL;
	for (unsigned int i = 0; i < r->nr_types; i++)
		if (!strcmp(r->type_names[i], name))
			return (int)i;
	return -ENOENT;
}

/* ---------------------------------------------------------------------- */
/* Tokenizer */

struct line_iter {
	char *p, *end;
};

/* Next line, NUL-terminated in place. 0: line; 1: end; -EBADMSG: truncated */
static int next_line(struct line_iter *it, char **line)
{
	char *nl;

	if (it->p >= it->end)
		return 1;
	nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	if (!nl)
		return -EBADMSG;	/* /proc tables always end lines */
	*nl = '\0';
	*line = it->p;
	it->p = nl + 1;
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int tokenize(char *line, char **tok, int max)
{
	int n = 0;

	while (*line) {
		while (is_space(*line))
			line++;
		if (!*line)
			break;
		if (n == max)
			return -ERANGE;
		tok[n++] = line;
		while (*line && !is_space(*line))
			line++;
		if (*line)
			*line++ = '\0';
	}
	return n;
}

static int parse_u64(const char *s, uint64_t *v, int *capped)
{
	uint64_t x = 0;

	if (capped)
		*capped = 0;
	if (*s == '>' && capped) {
		*capped = 1;
		s++;
	}
	if (!*s)
		return -EBADMSG;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EBADMSG;
		if (x > (UINT64_MAX - 9) / 10)
			return -EBADMSG;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return 0;
}

/* A name token, optionally followed by ',' (stripped). */
static int parse_name(char *s, int comma, char *out)
{
	size_t len = strlen(s);

	if (comma) {
		if (len < 2 || s[len - 1] != ',')
			return -EBADMSG;
		s[--len] = '\0';
	} else if (len && s[len - 1] == ',') {
		return -EBADMSG;
	}
	if (!len || len >= FRAGALLOC_FRAG_NAME_LEN)
		return -EBADMSG;
	memcpy(out, s, len + 1);
	return 0;
}

/* "Node" "<n>," "zone" "<name>[,]" -> 4 tokens */
static int parse_node_zone(char **tok, int ntok, int zone_comma, int *node,
			   char *zone)
{
	uint64_t v;
	size_t len;
	char buf[24];

	if (ntok < 4 || strcmp(tok[0], "Node") || strcmp(tok[2], "zone"))
		return -EBADMSG;
	len = strlen(tok[1]);
	if (len < 2 || len >= sizeof(buf) || tok[1][len - 1] != ',')
		return -EBADMSG;
	memcpy(buf, tok[1], len - 1);
	buf[len - 1] = '\0';
	if (parse_u64(buf, &v, NULL) || v > 1u << 20)
		return -EBADMSG;
	*node = (int)v;
	return parse_name(tok[3], zone_comma, zone);
}

/* ---------------------------------------------------------------------- */

static struct fragalloc_frag_zone *find_zone(struct fragalloc_frag_report *r,
					     int node, const char *name)
{
	for (unsigned int i = 0; i < r->nr_zones; i++)
		if (r->zones[i].node == node && !strcmp(r->zones[i].name, name))
			return &r->zones[i];
	return NULL;
}

static int type_intern(struct fragalloc_frag_report *r, const char *name)
{
	int i = fragalloc_frag_type_index(r, name);

	if (i >= 0)
		return i;
	if (r->nr_types >= FRAGALLOC_FRAG_MAX_TYPES)
		return -ERANGE;
	if (strlen(name) >= FRAGALLOC_FRAG_NAME_LEN)
		return -EBADMSG;
	strcpy(r->type_names[r->nr_types], name);
	return (int)r->nr_types++;
}

static int parse_buddyinfo(struct fragalloc_frag_report *r, char *buf,
			   size_t len)
{
	struct line_iter it = { buf, buf + len };
	char *tok[FA_MAX_TOKENS];
	char *line;
	int ret, ntok;

	while (!(ret = next_line(&it, &line))) {
		struct fragalloc_frag_zone z, *nz;
		char name[FRAGALLOC_FRAG_NAME_LEN];
		int node;

		ntok = tokenize(line, tok, FA_MAX_TOKENS);
		if (ntok < 0)
			return ntok;
		if (ntok == 0)
			continue;
		ret = parse_node_zone(tok, ntok, 0, &node, name);
		if (ret)
			return ret;
		if (ntok - 4 < 1)
			return -EBADMSG;
		if (ntok - 4 > FRAGALLOC_FRAG_MAX_ORDERS)
			return -ERANGE;
		if (find_zone(r, node, name))
			return -EBADMSG;	/* duplicate zone */
		memset(&z, 0, sizeof(z));
		z.node = node;
		strcpy(z.name, name);
		z.nr_orders = (unsigned int)(ntok - 4);
		for (unsigned int o = 0; o < z.nr_orders; o++) {
			ret = parse_u64(tok[4 + o], &z.free_blocks[o], NULL);
			if (ret)
				return ret;
		}
		if (r->nr_zones && z.nr_orders != r->zones[0].nr_orders)
			return -EBADMSG;	/* truncated line */
		nz = realloc(r->zones, (r->nr_zones + 1) * sizeof(*nz));
		if (!nz)
			return -ENOMEM;
		r->zones = nz;
		r->zones[r->nr_zones++] = z;
	}
	if (ret < 0)
		return ret;
	if (!r->nr_zones)
		return -EBADMSG;
	return 0;
}

enum pti_state { PTI_NONE, PTI_FREE, PTI_BLOCKS, PTI_MIXED };

static int tok_is(char **tok, int ntok, int n, ...);

static int parse_pagetypeinfo(struct fragalloc_frag_report *r, char *buf,
			      size_t len)
{
	struct line_iter it = { buf, buf + len };
	char *tok[FA_MAX_TOKENS];
	int hdr_types[FRAGALLOC_FRAG_MAX_TYPES];
	unsigned int nr_hdr_types = 0, hdr_orders = 0;
	unsigned int zone_type_lines[1024];
	enum pti_state st = PTI_NONE;
	char *line;
	int ret, ntok;

	if (r->nr_zones > 1024)
		return -ERANGE;
	memset(zone_type_lines, 0, sizeof(zone_type_lines));
	while (!(ret = next_line(&it, &line))) {
		char zname[FRAGALLOC_FRAG_NAME_LEN];
		struct fragalloc_frag_zone *z;
		uint64_t v;
		int node;

		ntok = tokenize(line, tok, FA_MAX_TOKENS);
		if (ntok < 0)
			return ntok;
		if (ntok == 0)
			continue;
		if (tok_is(tok, ntok, 3, "Page", "block", "order:")) {
			if (ntok != 4 || parse_u64(tok[3], &v, NULL) || v > 63)
				return -EBADMSG;
			r->pageblock_order = (int)v;
			st = PTI_NONE;
			continue;
		}
		if (tok_is(tok, ntok, 3, "Pages", "per", "block:")) {
			if (ntok != 4 || parse_u64(tok[3], &r->pages_per_block, NULL))
				return -EBADMSG;
			st = PTI_NONE;
			continue;
		}
		if (tok_is(tok, ntok, 8, "Free", "pages", "count", "per",
			   "migrate", "type", "at", "order")) {
			if (ntok - 8 < 1)
				return -EBADMSG;
			if (ntok - 8 > FRAGALLOC_FRAG_MAX_ORDERS)
				return -ERANGE;
			hdr_orders = (unsigned int)(ntok - 8);
			for (unsigned int o = 0; o < hdr_orders; o++)
				if (parse_u64(tok[8 + o], &v, NULL) || v != o)
					return -EBADMSG;
			st = PTI_FREE;
			continue;
		}
		if (tok_is(tok, ntok, 4, "Number", "of", "blocks", "type")) {
			if (ntok - 4 < 1)
				return -EBADMSG;
			if (ntok - 4 > FRAGALLOC_FRAG_MAX_TYPES)
				return -ERANGE;
			nr_hdr_types = (unsigned int)(ntok - 4);
			for (unsigned int t = 0; t < nr_hdr_types; t++) {
				int idx;

				if (strchr(tok[4 + t], ','))
					return -EBADMSG;
				idx = type_intern(r, tok[4 + t]);
				if (idx < 0)
					return idx;
				hdr_types[t] = idx;
			}
			st = PTI_BLOCKS;
			continue;
		}
		if (tok_is(tok, ntok, 4, "Number", "of", "mixed", "blocks")) {
			st = PTI_MIXED;
			continue;
		}
		if (st == PTI_FREE) {
			char tname[FRAGALLOC_FRAG_NAME_LEN];
			int t;

			ret = parse_node_zone(tok, ntok, 1, &node, zname);
			if (ret)
				return ret;
			if (ntok < 6 || strcmp(tok[4], "type") ||
			    parse_name(tok[5], 0, tname))
				return -EBADMSG;
			if ((unsigned int)(ntok - 6) != hdr_orders)
				return -EBADMSG;
			t = type_intern(r, tname);
			if (t < 0)
				return t;
			z = find_zone(r, node, zname);
			if (!z)
				continue;	/* zone came and went between reads */
			if (z->nr_orders != hdr_orders)
				return -EBADMSG;
			for (unsigned int o = 0; o < hdr_orders; o++) {
				int capped;

				ret = parse_u64(tok[6 + o], &z->type_free[t][o],
						&capped);
				if (ret)
					return ret;
				if (capped)
					z->type_free_capped[t] |= 1ULL << o;
			}
			z->has_types = 1;
			zone_type_lines[z - r->zones]++;
			continue;
		}
		if (st == PTI_BLOCKS) {
			ret = parse_node_zone(tok, ntok, 0, &node, zname);
			if (ret)
				return ret;
			if ((unsigned int)(ntok - 4) != nr_hdr_types)
				return -EBADMSG;
			z = find_zone(r, node, zname);
			if (!z)
				continue;
			for (unsigned int t = 0; t < nr_hdr_types; t++) {
				ret = parse_u64(tok[4 + t],
						&z->type_blocks[hdr_types[t]], NULL);
				if (ret)
					return ret;
			}
			z->has_blocks = 1;
			continue;
		}
		if (st == PTI_MIXED)
			continue;
		return -EBADMSG;
	}
	if (ret < 0)
		return ret;
	/* A table cut at a line boundary leaves zones without their rows. */
	for (unsigned int i = 0; i < r->nr_zones; i++) {
		if (!r->zones[i].has_types || !r->zones[i].has_blocks)
			return -EBADMSG;
		if (zone_type_lines[i] != nr_hdr_types)
			return -EBADMSG;
	}
	return 0;
}

static int tok_is(char **tok, int ntok, int n, ...)
{
	va_list ap;
	int ok = 1;

	if (ntok < n)
		return 0;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		if (strcmp(tok[i], va_arg(ap, const char *)))
			ok = 0;
	va_end(ap);
	return ok;
}

static void compute(struct fragalloc_frag_report *r)
{
	r->max_orders = 0;
	for (unsigned int i = 0; i < r->nr_zones; i++) {
		struct fragalloc_frag_zone *z = &r->zones[i];
		struct contig_info info;

		if (z->nr_orders > r->max_orders)
			r->max_orders = z->nr_orders;
		for (unsigned int o = 0; o < z->nr_orders; o++) {
			fill_contig(z->free_blocks, z->nr_orders, o, &info);
			z->unusable_index[o] = unusable_index(o, &info);
			z->extfrag_index[o] = extfrag_index(o, z->nr_orders,
							    &info);
		}
		fill_contig(z->free_blocks, z->nr_orders, 0, &info);
		z->free_pages = info.free_pages;
		z->free_blocks_total = info.free_blocks_total;
	}
}

static char *dup_text(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

FA_EXPORT int fragalloc_frag_parse(const char *buddyinfo, size_t buddyinfo_len,
				   const char *pagetypeinfo,
				   size_t pagetypeinfo_len,
				   struct fragalloc_frag_report **out)
{
	struct fragalloc_frag_report *r;
	char *buf;
	int ret;

	if (!out || !buddyinfo)
		return -EINVAL;
	*out = NULL;
	if (memchr(buddyinfo, '\0', buddyinfo_len) ||
	    (pagetypeinfo && memchr(pagetypeinfo, '\0', pagetypeinfo_len)))
		return -EBADMSG;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->pageblock_order = -1;
	r->pagetypeinfo_error = -ENOENT;

	buf = dup_text(buddyinfo, buddyinfo_len);
	if (!buf) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = parse_buddyinfo(r, buf, buddyinfo_len);
	free(buf);
	if (ret)
		goto fail;

	if (pagetypeinfo) {
		buf = dup_text(pagetypeinfo, pagetypeinfo_len);
		if (!buf) {
			ret = -ENOMEM;
			goto fail;
		}
		ret = parse_pagetypeinfo(r, buf, pagetypeinfo_len);
		free(buf);
		if (ret)
			goto fail;
		r->has_pagetypeinfo = 1;
		r->pagetypeinfo_error = 0;
	}
	compute(r);
	*out = r;
	return 0;
fail:
	fragalloc_frag_free(r);
	return ret;
}

static int read_all(const char *path, char **out, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *buf, *nb;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap >= FA_PROC_MAX_BYTES) {
				free(buf);
				close(fd);
				return -EFBIG;
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			free(buf);
			close(fd);
			return -err;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*out = buf;
	*len = n;
	return 0;
}

FA_EXPORT int fragalloc_frag_read(const char *buddyinfo_path,
				  const char *pagetypeinfo_path,
				  struct fragalloc_frag_report **out)
{
	char *bi = NULL, *pti = NULL;
	size_t bi_len = 0, pti_len = 0;
	int ret, pti_err = 0;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!buddyinfo_path)
		buddyinfo_path = "/proc/buddyinfo";
	if (!pagetypeinfo_path)
		pagetypeinfo_path = "/proc/pagetypeinfo";
	ret = read_all(buddyinfo_path, &bi, &bi_len);
	if (ret)
		return ret;
	if (*pagetypeinfo_path) {
		pti_err = read_all(pagetypeinfo_path, &pti, &pti_len);
		if (pti_err == -ENOMEM || pti_err == -EFBIG) {
			free(bi);
			return pti_err;
		}
	} else {
		pti_err = -ENOENT;
	}
	ret = fragalloc_frag_parse(bi, bi_len, pti_err ? NULL : pti, pti_len,
				   out);
	free(bi);
	free(pti);
	if (!ret && pti_err)
		(*out)->pagetypeinfo_error = pti_err;
	return ret;
}

FA_EXPORT void fragalloc_frag_free(struct fragalloc_frag_report *r)
{
	if (!r)
		return;
	free(r->zones);
	free(r);
}
