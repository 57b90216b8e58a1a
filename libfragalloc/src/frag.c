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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

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

/* Free blocks (@pages 0) or pages (@pages 1) in blocks of order >= @order */
static uint64_t free_ge(const struct fragalloc_frag_zone *z,
			unsigned int order, int pages)
{
	uint64_t n = 0;

	if (!z)
		return 0;
	for (unsigned int o = order; o < z->nr_orders; o++)
		n += pages ? z->free_blocks[o] << o : z->free_blocks[o];
	return n;
}

FA_EXPORT uint64_t fragalloc_frag_free_blocks_ge(const struct fragalloc_frag_zone *z,
						 unsigned int order)
{
	return free_ge(z, order, 0);
}

FA_EXPORT uint64_t fragalloc_frag_free_pages_ge(const struct fragalloc_frag_zone *z,
						unsigned int order)
{
	return free_ge(z, order, 1);
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

typedef int (*line_fn)(void *ctx, char **tok, int ntok);

/*
 * Calls @fn with the tokens of every non-blank line of @buf, in order. 0 at
 * the end of the text, else the first error of @fn or of the tokenizer.
 */
static int for_each_line(char *buf, size_t len, line_fn fn, void *ctx)
{
	struct line_iter it = { buf, buf + len };
	char *tok[FA_MAX_TOKENS];
	char *line;
	int ret, ntok;

	while (!(ret = next_line(&it, &line))) {
		ntok = tokenize(line, tok, FA_MAX_TOKENS);
		if (ntok < 0)
			return ntok;
		if (ntok == 0)
			continue;
		ret = fn(ctx, tok, ntok);
		if (ret)
			return ret;
	}
	return ret < 0 ? ret : 0;
}

/*
 * The columns after the first @skip tokens: at least one, at most @max
 * (what the report can hold: -ERANGE beyond, a kernel newer than us).
 */
static int nr_columns(int ntok, int skip, unsigned int max)
{
	if (ntok - skip < 1)
		return -EBADMSG;
	if (ntok - skip > (int)max)
		return -ERANGE;
	return ntok - skip;
}

/* "Node N, zone NAME c0 c1 ..." */
static int buddyinfo_line(void *ctx, char **tok, int ntok)
{
	struct fragalloc_frag_report *r = ctx;
	struct fragalloc_frag_zone z, *nz;
	int ret, n;

	memset(&z, 0, sizeof(z));
	ret = parse_node_zone(tok, ntok, 0, &z.node, z.name);
	if (ret)
		return ret;
	n = nr_columns(ntok, 4, FRAGALLOC_FRAG_MAX_ORDERS);
	if (n < 0)
		return n;
	if (find_zone(r, z.node, z.name))
		return -EBADMSG;	/* duplicate zone */
	z.nr_orders = (unsigned int)n;
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
	return 0;
}

static int parse_buddyinfo(struct fragalloc_frag_report *r, char *buf,
			   size_t len)
{
	int ret = for_each_line(buf, len, buddyinfo_line, r);

	if (ret)
		return ret;
	return r->nr_zones ? 0 : -EBADMSG;
}

/*
 * /proc/pagetypeinfo is a sequence of sections, each a header line and the
 * rows that follow it; the header says how the rows read.
 */
struct pti_parser;
typedef int (*pti_fn)(struct pti_parser *p, char **tok, int ntok);

struct pti_parser {
	struct fragalloc_frag_report *r;
	pti_fn row;			/* of the current section; NULL: none */
	unsigned int hdr_orders;	/* columns of the free-pages rows */
	unsigned int nr_hdr_types;	/* columns of the block-count rows */
	int hdr_types[FRAGALLOC_FRAG_MAX_TYPES];	/* ... their type index */
	unsigned int *type_rows;	/* per zone of r: free-pages rows seen */
};

/* "Page block order: N" */
static int pti_order(struct pti_parser *p, char **tok, int ntok)
{
	uint64_t v;

	if (ntok != 4 || parse_u64(tok[3], &v, NULL) || v > 63)
		return -EBADMSG;
	p->r->pageblock_order = (int)v;
	return 0;
}

/* "Pages per block: N" */
static int pti_pages_per_block(struct pti_parser *p, char **tok, int ntok)
{
	if (ntok != 4 || parse_u64(tok[3], &p->r->pages_per_block, NULL))
		return -EBADMSG;
	return 0;
}

/* "Free pages count per migrate type at order 0 1 ... N" */
static int pti_free_header(struct pti_parser *p, char **tok, int ntok)
{
	int n = nr_columns(ntok, 8, FRAGALLOC_FRAG_MAX_ORDERS);
	uint64_t v;

	if (n < 0)
		return n;
	p->hdr_orders = (unsigned int)n;
	for (unsigned int o = 0; o < p->hdr_orders; o++)
		if (parse_u64(tok[8 + o], &v, NULL) || v != o)
			return -EBADMSG;
	return 0;
}

/* "Node N, zone NAME, type NAME c0 c1 ..." (a count may be ">N": capped) */
static int pti_free_row(struct pti_parser *p, char **tok, int ntok)
{
	char zname[FRAGALLOC_FRAG_NAME_LEN], tname[FRAGALLOC_FRAG_NAME_LEN];
	struct fragalloc_frag_zone *z;
	int node, t, ret, capped;

	ret = parse_node_zone(tok, ntok, 1, &node, zname);
	if (ret)
		return ret;
	if (ntok < 6 || strcmp(tok[4], "type") || parse_name(tok[5], 0, tname))
		return -EBADMSG;
	if ((unsigned int)(ntok - 6) != p->hdr_orders)
		return -EBADMSG;
	t = type_intern(p->r, tname);
	if (t < 0)
		return t;
	z = find_zone(p->r, node, zname);
	if (!z)
		return 0;	/* zone came and went between reads */
	if (z->nr_orders != p->hdr_orders)
		return -EBADMSG;
	for (unsigned int o = 0; o < p->hdr_orders; o++) {
		ret = parse_u64(tok[6 + o], &z->type_free[t][o], &capped);
		if (ret)
			return ret;
		if (capped)
			z->type_free_capped[t] |= 1ULL << o;
	}
	z->has_types = 1;
	p->type_rows[z - p->r->zones]++;
	return 0;
}

/* "Number of blocks type NAME NAME ..." */
static int pti_blocks_header(struct pti_parser *p, char **tok, int ntok)
{
	int n = nr_columns(ntok, 4, FRAGALLOC_FRAG_MAX_TYPES);

	if (n < 0)
		return n;
	p->nr_hdr_types = (unsigned int)n;
	for (unsigned int t = 0; t < p->nr_hdr_types; t++) {
		int idx;

		if (strchr(tok[4 + t], ','))
			return -EBADMSG;
		idx = type_intern(p->r, tok[4 + t]);
		if (idx < 0)
			return idx;
		p->hdr_types[t] = idx;
	}
	return 0;
}

/* "Node N, zone NAME c0 c1 ..." (one count per type of the header) */
static int pti_blocks_row(struct pti_parser *p, char **tok, int ntok)
{
	struct fragalloc_frag_zone *z;
	char zname[FRAGALLOC_FRAG_NAME_LEN];
	int node, ret;

	ret = parse_node_zone(tok, ntok, 0, &node, zname);
	if (ret)
		return ret;
	if ((unsigned int)(ntok - 4) != p->nr_hdr_types)
		return -EBADMSG;
	z = find_zone(p->r, node, zname);
	if (!z)
		return 0;
	for (unsigned int t = 0; t < p->nr_hdr_types; t++) {
		ret = parse_u64(tok[4 + t], &z->type_blocks[p->hdr_types[t]],
				NULL);
		if (ret)
			return ret;
	}
	z->has_blocks = 1;
	return 0;
}

/* "Number of mixed blocks" rows (CONFIG_PAGE_OWNER): not reported */
static int pti_skip_row(struct pti_parser *p, char **tok, int ntok)
{
	(void)p;
	(void)tok;
	(void)ntok;
	return 0;
}

#define PTI_MAX_WORDS	8

static const struct pti_section {
	const char *words[PTI_MAX_WORDS + 1];	/* NULL-terminated */
	pti_fn header;		/* parses the header line; NULL: nothing to */
	pti_fn row;		/* parses the rows after it; NULL: none allowed */
} pti_sections[] = {
	{ { "Page", "block", "order:" }, pti_order, NULL },
	{ { "Pages", "per", "block:" }, pti_pages_per_block, NULL },
	{ { "Free", "pages", "count", "per", "migrate", "type", "at", "order" },
	  pti_free_header, pti_free_row },
	{ { "Number", "of", "blocks", "type" }, pti_blocks_header,
	  pti_blocks_row },
	{ { "Number", "of", "mixed", "blocks" }, NULL, pti_skip_row },
};

static const struct pti_section *pti_section_of(char **tok, int ntok)
{
	for (size_t i = 0; i < sizeof(pti_sections) / sizeof(pti_sections[0]); i++) {
		const struct pti_section *s = &pti_sections[i];
		int n = 0;

		while (s->words[n] && n < ntok && !strcmp(tok[n], s->words[n]))
			n++;
		if (!s->words[n])
			return s;
	}
	return NULL;
}

static int pti_line(void *ctx, char **tok, int ntok)
{
	struct pti_parser *p = ctx;
	const struct pti_section *s = pti_section_of(tok, ntok);

	if (s) {
		p->row = s->row;
		return s->header ? s->header(p, tok, ntok) : 0;
	}
	return p->row ? p->row(p, tok, ntok) : -EBADMSG;
}

/* Called after buddyinfo: every zone it listed must have its rows here. */
static int parse_pagetypeinfo(struct fragalloc_frag_report *r, char *buf,
			      size_t len)
{
	struct pti_parser p = { .r = r };
	int ret;

	p.type_rows = calloc(r->nr_zones, sizeof(*p.type_rows));
	if (!p.type_rows)
		return -ENOMEM;
	ret = for_each_line(buf, len, pti_line, &p);
	/* A table cut at a line boundary leaves zones without their rows. */
	for (unsigned int i = 0; !ret && i < r->nr_zones; i++)
		if (!r->zones[i].has_types || !r->zones[i].has_blocks ||
		    p.type_rows[i] != p.nr_hdr_types)
			ret = -EBADMSG;
	free(p.type_rows);
	return ret;
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

typedef int (*text_parser)(struct fragalloc_frag_report *r, char *buf,
			   size_t len);

/* Runs @parse on a copy of @text: the tokenizer cuts lines in place. */
static int parse_copy(struct fragalloc_frag_report *r, const char *text,
		      size_t len, text_parser parse)
{
	char *buf = malloc(len + 1);
	int ret;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, text, len);
	buf[len] = '\0';
	ret = parse(r, buf, len);
	free(buf);
	return ret;
}

FA_EXPORT int fragalloc_frag_parse(const char *buddyinfo, size_t buddyinfo_len,
				   const char *pagetypeinfo,
				   size_t pagetypeinfo_len,
				   struct fragalloc_frag_report **out)
{
	struct fragalloc_frag_report *r;
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

	/* pagetypeinfo's rows are checked against buddyinfo's zones */
	ret = parse_copy(r, buddyinfo, buddyinfo_len, parse_buddyinfo);
	if (!ret && pagetypeinfo) {
		ret = parse_copy(r, pagetypeinfo, pagetypeinfo_len,
				 parse_pagetypeinfo);
		r->has_pagetypeinfo = !ret;
		r->pagetypeinfo_error = ret;
	}
	if (ret) {
		fragalloc_frag_free(r);
		return ret;
	}
	compute(r);
	*out = r;
	return 0;
}

int fa_read_file(const char *path, char **out, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *buf = NULL, *nb;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t got;

		if (!buf || n + 1 >= cap) {
			if (buf)
				cap *= 2;
			if (cap > FA_TEXT_MAX_BYTES) {
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
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
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
	ret = fa_read_file(buddyinfo_path, &bi, &bi_len);
	if (ret)
		return ret;
	if (*pagetypeinfo_path) {
		pti_err = fa_read_file(pagetypeinfo_path, &pti, &pti_len);
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
