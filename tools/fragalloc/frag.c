// SPDX-License-Identifier: MIT
/*
 * fragalloc frag: per-zone fragmentation report from /proc/buddyinfo and
 * /proc/pagetypeinfo (no module needed), as text, JSON or a gnuplot PNG.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "main.h"

#define BAR_WIDTH 40

static int usage(void)
{
	printf("Usage: %s frag [--png FILE] [--buddyinfo PATH] [--pagetypeinfo PATH]\n"
	       "                     [--brief] [--json|--pretty]\n"
	       "Per-zone free blocks per order, the unusable free space index and\n"
	       "the fragmentation index per order (as the kernel's debugfs extfrag\n"
	       "files), free blocks per migrate type, pageblocks per migrate type,\n"
	       "and a bar chart of free memory by order. /proc/pagetypeinfo needs\n"
	       "root; without it the per-type parts are left out.\n"
	       "  --png FILE   also render a chart with gnuplot (gnuplot-nox)\n"
	       "  --brief      one summary line per zone\n"
	       "\n"
	       "       %s frag --blocks|--map [--png FILE] [--alloc SIZE [--class C]\n"
	       "                     [--policy P]] [--pfns FILE] [--kpageflags PATH]\n"
	       "                     [--zoneinfo PATH] [--pool PATH] [--pageblock-order N]\n"
	       "                     [--json|--pretty]\n"
	       "Pageblock pollution from /proc/kpageflags (root only): every pageblock\n"
	       "is free, movable (LRU and free pages only) or polluted (at least one\n"
	       "allocated page neither LRU nor free), per zone and in total, with the\n"
	       "part that holds pages of this process's own batches.\n"
	       "  --blocks        the counts (text or JSON)\n"
	       "  --map           also a map, one cell per pageblock in PFN order (text:\n"
	       "                  one character each; with --png FILE a picture through\n"
	       "                  gnuplot, zone boundaries marked, legend with counts)\n"
	       "  --alloc SIZE    first allocate a batch (K/M/G, or pages with p) through\n"
	       "                  the device and hold it while reading; its BATCH_INFO\n"
	       "                  PFNs are this process's pages; --class, --policy as alloc\n"
	       "  --pfns FILE     PFNs (decimal or 0x hex, whitespace separated) to count\n"
	       "                  as own pages, e.g. another program's batch\n"
	       "  --kpageflags, --zoneinfo, --pool PATH   read recorded tables instead of\n"
	       "                  /proc and /sys/kernel/debug/fragalloc/pageblocks (\"\"\n"
	       "                  leaves zoneinfo or the pool list out)\n"
	       "  --pageblock-order N   when pagetypeinfo does not say\n"
	       "  --record DIR    after the scan, copy the tables read and the own PFNs\n"
	       "                  into DIR (kpageflags, zoneinfo, buddyinfo, pagetypeinfo,\n"
	       "                  pool, pfns), e.g. to make a test sample\n"
	       "The map's classes: free, movable, polluted, pool (a pageblock the\n"
	       "fragalloc pool owns whole), loose (a pageblock holding loose pool pages).\n",
	       bin_name, bin_name);
	return EXIT_OK;
}

static double idx(int thousandths)
{
	return thousandths / 1000.0;
}

void frag_print_text(const struct fragalloc_frag_report *r, int verbose)
{
	long psz = sysconf(_SC_PAGESIZE);

	for (unsigned int i = 0; i < r->nr_zones; i++) {
		const struct fragalloc_frag_zone *z = &r->zones[i];
		char b[32];

		fmt_bytes(b, sizeof(b), z->free_pages * (uint64_t)psz);
		printf("Node %d, zone %s: %" PRIu64 " free pages (%s) in %" PRIu64
		       " free blocks\n", z->node, z->name, z->free_pages, b,
		       z->free_blocks_total);
		if (!verbose)
			continue;
		printf("  %-14s", "order");
		for (unsigned int o = 0; o < z->nr_orders; o++)
			printf(" %7u", o);
		printf("\n  %-14s", "free blocks");
		for (unsigned int o = 0; o < z->nr_orders; o++)
			printf(" %7" PRIu64, z->free_blocks[o]);
		printf("\n  %-14s", "blocks >= ord");
		for (unsigned int o = 0; o < z->nr_orders; o++)
			printf(" %7" PRIu64, fragalloc_frag_free_blocks_ge(z, o));
		printf("\n  %-14s", "unusable idx");
		for (unsigned int o = 0; o < z->nr_orders; o++)
			printf(" %7.3f", idx(z->unusable_index[o]));
		printf("\n  %-14s", "extfrag idx");
		for (unsigned int o = 0; o < z->nr_orders; o++)
			printf(" %7.3f", idx(z->extfrag_index[o]));
		printf("\n");
		if (z->has_types) {
			printf("  free blocks per migrate type:\n");
			for (unsigned int t = 0; t < r->nr_types; t++) {
				printf("  %-14s", r->type_names[t]);
				for (unsigned int o = 0; o < z->nr_orders; o++)
					printf(" %s%6" PRIu64,
					       z->type_free_capped[t] & (1ULL << o) ? ">" : " ",
					       z->type_free[t][o]);
				printf("\n");
			}
		}
		if (z->has_blocks) {
			printf("  pageblocks:");
			for (unsigned int t = 0; t < r->nr_types; t++)
				printf(" %s %" PRIu64 "%s", r->type_names[t],
				       z->type_blocks[t], t + 1 < r->nr_types ? "," : "");
			printf("\n");
		}
		printf("  free memory by order (share of free pages):\n");
		for (unsigned int o = 0; o < z->nr_orders; o++) {
			uint64_t pages = z->free_blocks[o] << o;
			double share = z->free_pages ? (double)pages / (double)z->free_pages : 0;
			int n = (int)(share * BAR_WIDTH + 0.5);

			printf("  %5u |", o);
			for (int k = 0; k < BAR_WIDTH; k++)
				putchar(k < n ? '#' : ' ');
			printf("| %5.1f%%\n", share * 100);
		}
		printf("\n");
	}
	if (!r->has_pagetypeinfo)
		printf("(pagetypeinfo not read: %s; run as root for per-type figures)\n",
		       strerror(-r->pagetypeinfo_error));
	else
		printf("pageblock order %d (%" PRIu64 " pages per block)\n",
		       r->pageblock_order, r->pages_per_block);
}

static unsigned int summary_order(const struct fragalloc_frag_report *r)
{
	return r->pageblock_order > 0 ? (unsigned int)r->pageblock_order : 9;
}

void frag_summary_text(const char *title, const struct fragalloc_frag_report *r)
{
	unsigned int pbo = summary_order(r);

	printf("%s:\n", title);
	for (unsigned int i = 0; i < r->nr_zones; i++) {
		const struct fragalloc_frag_zone *z = &r->zones[i];

		printf("  node %d %-8s free %9" PRIu64 " pages; blocks >=order3 %7" PRIu64
		       ", >=order%u %6" PRIu64 "; unusable@3 %.3f @%u %.3f\n",
		       z->node, z->name, z->free_pages,
		       fragalloc_frag_free_blocks_ge(z, 3), pbo,
		       fragalloc_frag_free_blocks_ge(z, pbo),
		       z->nr_orders > 3 ? idx(z->unusable_index[3]) : 0.0, pbo,
		       z->nr_orders > pbo ? idx(z->unusable_index[pbo]) : 0.0);
	}
}

/* "key": [v[0], ...] */
static void json_u64s(const char *key, const uint64_t *v, unsigned int n)
{
	jw_key(&jw, key);
	jw_arr_start(&jw);
	for (unsigned int i = 0; i < n; i++)
		jw_u64(&jw, v[i]);
	jw_arr_end(&jw);
}

/* "key": [index, ...], the indices given in thousandths */
static void json_indices(const char *key, const int *v, unsigned int n)
{
	jw_key(&jw, key);
	jw_arr_start(&jw);
	for (unsigned int i = 0; i < n; i++)
		jw_dbl(&jw, idx(v[i]));
	jw_arr_end(&jw);
}

/* "key": {"Unmovable": n, ...}, per migrate type */
static void json_per_type(const char *key,
			  const char (*names)[FRAGALLOC_FRAG_NAME_LEN],
			  unsigned int nr_types, const uint64_t *v)
{
	jw_key(&jw, key);
	jw_obj_start(&jw);
	for (unsigned int t = 0; t < nr_types; t++)
		jw_ku64(&jw, names[t], v[t]);
	jw_obj_end(&jw);
}

/* opens a zone's object: {"node": N, "zone": "Normal", */
static void json_zone_start(int node, const char *name)
{
	jw_obj_start(&jw);
	jw_ki64(&jw, "node", node);
	jw_kstr(&jw, "zone", name);
}

void frag_summary_json(const struct fragalloc_frag_report *r)
{
	unsigned int pbo = summary_order(r);

	jw_arr_start(&jw);
	for (unsigned int i = 0; i < r->nr_zones; i++) {
		const struct fragalloc_frag_zone *z = &r->zones[i];

		json_zone_start(z->node, z->name);
		jw_ku64(&jw, "free_pages", z->free_pages);
		jw_ku64(&jw, "free_blocks_ge_order3", fragalloc_frag_free_blocks_ge(z, 3));
		jw_ku64(&jw, "free_blocks_ge_pageblock", fragalloc_frag_free_blocks_ge(z, pbo));
		json_u64s("free_blocks", z->free_blocks, z->nr_orders);
		json_indices("unusable_index", z->unusable_index, z->nr_orders);
		jw_obj_end(&jw);
	}
	jw_arr_end(&jw);
}

static void frag_zone_json(const struct fragalloc_frag_report *r,
			   const struct fragalloc_frag_zone *z)
{
	uint64_t ge[FRAGALLOC_FRAG_MAX_ORDERS];

	for (unsigned int o = 0; o < z->nr_orders; o++)
		ge[o] = fragalloc_frag_free_blocks_ge(z, o);
	json_zone_start(z->node, z->name);
	jw_ku64(&jw, "nr_orders", z->nr_orders);
	jw_ku64(&jw, "free_pages", z->free_pages);
	jw_ku64(&jw, "free_blocks_total", z->free_blocks_total);
	json_u64s("free_blocks", z->free_blocks, z->nr_orders);
	json_u64s("free_blocks_ge", ge, z->nr_orders);
	json_indices("unusable_index", z->unusable_index, z->nr_orders);
	json_indices("extfrag_index", z->extfrag_index, z->nr_orders);
	if (z->has_types) {
		jw_key(&jw, "free_by_type");
		jw_obj_start(&jw);
		for (unsigned int t = 0; t < r->nr_types; t++)
			json_u64s(r->type_names[t], z->type_free[t], z->nr_orders);
		jw_obj_end(&jw);
	}
	if (z->has_blocks)
		json_per_type("pageblocks", r->type_names, r->nr_types,
			      z->type_blocks);
	jw_obj_end(&jw);
}

void frag_print_json(const struct fragalloc_frag_report *r)
{
	jw_obj_start(&jw);
	jw_ku64(&jw, "page_size", (uint64_t)sysconf(_SC_PAGESIZE));
	jw_kbool(&jw, "pagetypeinfo", r->has_pagetypeinfo);
	if (!r->has_pagetypeinfo)
		jw_kstr(&jw, "pagetypeinfo_error", strerror(-r->pagetypeinfo_error));
	jw_ki64(&jw, "pageblock_order", r->pageblock_order);
	jw_ku64(&jw, "pages_per_block", r->pages_per_block);
	jw_key(&jw, "migrate_types");
	jw_arr_start(&jw);
	for (unsigned int t = 0; t < r->nr_types; t++)
		jw_str(&jw, r->type_names[t]);
	jw_arr_end(&jw);
	jw_key(&jw, "zones");
	jw_arr_start(&jw);
	for (unsigned int i = 0; i < r->nr_zones; i++)
		frag_zone_json(r, &r->zones[i]);
	jw_arr_end(&jw);
	jw_obj_end(&jw);
	jw_end_doc(&jw);
}

static int in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t n = colon ? (size_t)(colon - path) : strlen(path);

		if (n && n + strlen(prog) + 2 < sizeof(buf)) {
			memcpy(buf, path, n);
			buf[n] = '/';
			strcpy(buf + n + 1, prog);
			if (!access(buf, X_OK))
				return 1;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return 0;
}

/*
 * A gnuplot that writes @file with pngcairo @terminal ("size W,H ..."), or
 * NULL with the error printed. Neither @file nor @title (may be NULL) can
 * hold a quote: they go into the script between quotes.
 */
static FILE *gnuplot_open(const char *file, const char *title,
			  const char *terminal)
{
	FILE *gp;

	if (strchr(file, '"') || strchr(file, '\n') || (title && strchr(title, '"'))) {
		p_err("--png: unsupported character in file name");
		return NULL;
	}
	if (!in_path("gnuplot")) {
		p_err("--png needs gnuplot, which is not installed\n"
		      "  hint: apt install gnuplot-nox");
		return NULL;
	}
	gp = popen("gnuplot", "w");
	if (!gp) {
		p_fa_err(-errno, 0, "cannot run gnuplot");
		return NULL;
	}
	fprintf(gp, "set terminal pngcairo %s\n", terminal);
	fprintf(gp, "set output \"%s\"\n", file);
	return gp;
}

/* Ends the script: EXIT_OK once gnuplot has written @file, else EXIT_ERR. */
static int gnuplot_close(FILE *gp, const char *file)
{
	int st = pclose(gp);

	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		p_err("gnuplot failed (status %d) writing %s", st, file);
		return EXIT_ERR;
	}
	if (!json_output)
		p_info("wrote %s\n", file);
	return EXIT_OK;
}

static int render_png(const struct fragalloc_frag_report *r, const char *file)
{
	long psz = sysconf(_SC_PAGESIZE);
	char terminal[64];
	FILE *gp;

	snprintf(terminal, sizeof(terminal), "size 1200,%u",
		 400 + 300 * (r->nr_zones > 1 ? 1 : 0) + 300);
	gp = gnuplot_open(file, NULL, terminal);
	if (!gp)
		return EXIT_ERR;
	fprintf(gp, "$free << EOD\n");
	for (unsigned int o = 0; o < r->max_orders; o++) {
		fprintf(gp, "%u", o);
		for (unsigned int i = 0; i < r->nr_zones; i++) {
			const struct fragalloc_frag_zone *z = &r->zones[i];
			uint64_t pages = o < z->nr_orders ? z->free_blocks[o] << o : 0;

			fprintf(gp, " %.3f", (double)pages * (double)psz / (1 << 20));
		}
		fprintf(gp, "\n");
	}
	fprintf(gp, "EOD\n$unusable << EOD\n");
	for (unsigned int o = 0; o < r->max_orders; o++) {
		fprintf(gp, "%u", o);
		for (unsigned int i = 0; i < r->nr_zones; i++) {
			const struct fragalloc_frag_zone *z = &r->zones[i];

			fprintf(gp, " %.3f", o < z->nr_orders ? idx(z->unusable_index[o]) : 1.0);
		}
		fprintf(gp, "\n");
	}
	fprintf(gp, "EOD\n");
	fprintf(gp, "set multiplot layout 2,1 title \"fragalloc: free memory by order\"\n"
		    "set style data histograms\nset style histogram clustered gap 1\n"
		    "set style fill solid 0.8 border -1\nset grid ytics\n"
		    "set xlabel \"order\"\nset ylabel \"free MiB\"\nset key top left\n");
	fprintf(gp, "plot ");
	for (unsigned int i = 0; i < r->nr_zones; i++)
		fprintf(gp, "%s$free using %u:xtic(1) title \"node %d %s\"",
			i ? ", " : "", i + 2, r->zones[i].node, r->zones[i].name);
	fprintf(gp, "\nset style data linespoints\nset ylabel \"unusable free space index\"\n"
		    "set yrange [0:1.05]\nplot ");
	for (unsigned int i = 0; i < r->nr_zones; i++)
		fprintf(gp, "%s$unusable using 1:%u title \"node %d %s\"",
			i ? ", " : "", i + 2, r->zones[i].node, r->zones[i].name);
	fprintf(gp, "\nunset multiplot\n");
	return gnuplot_close(gp, file);
}

/* ---------------------------------------------------------------------- */
/* --blocks / --map: pageblock pollution from /proc/kpageflags */

struct blocks_args {
	struct fragalloc_blocks_opts o;
	const char *pfns_file;
	const char *record;
	const char *png;
	int map;
	uint64_t alloc_size;
	int alloc_is_pages;
	int mobility, policy;
};

/* map characters, by enum fragalloc_block_class */
static const char map_chars[FRAGALLOC_BLOCK_NR_CLASSES] = {
	' ', '.', 'm', 'X', 'P', 'L',
};
static const char *const map_colors[FRAGALLOC_BLOCK_NR_CLASSES] = {
	"#bdbdbd", "#c7e9c0", "#4a90d9", "#d7301f", "#ff9900", "#7b3fa0",
};

static int read_pfns_file(const char *file, uint64_t **pfns, size_t *nr)
{
	FILE *f = fopen(file, "re");
	size_t cap = 0, n = 0;
	uint64_t *p = NULL;
	char tok[64];

	if (!f)
		return -errno;
	while (fscanf(f, "%63s", tok) == 1) {
		uint64_t v;

		if (parse_u64(tok, &v)) {
			fclose(f);
			free(p);
			return -EBADMSG;
		}
		if (n == cap) {
			uint64_t *np;

			cap = cap ? cap * 2 : 1024;
			np = realloc(p, cap * sizeof(*p));
			if (!np) {
				fclose(f);
				free(p);
				return -ENOMEM;
			}
			p = np;
		}
		p[n++] = v;
	}
	fclose(f);
	*pfns = p;
	*nr = n;
	return 0;
}

static const char *src_err(int err)
{
	return strerror(err < 0 ? -err : err);
}

/* the map's character for pageblock @i */
static char map_char(const struct fragalloc_blocks_report *r, uint64_t i)
{
	return map_chars[r->map[i] < FRAGALLOC_BLOCK_NR_CLASSES ? r->map[i] : 0];
}

static void blocks_print_text(const struct fragalloc_blocks_report *r,
			      const struct fragalloc_batch *b, int map)
{
	uint64_t bsz = r->pages_per_block * (uint64_t)sysconf(_SC_PAGESIZE);
	char s1[32], s2[32];

	fmt_bytes(s1, sizeof(s1), bsz);
	fmt_bytes(s2, sizeof(s2), r->memory_blocks * bsz);
	printf("pageblocks: order %u (%s), %" PRIu64 " with memory (%s), PFNs 0-%#" PRIx64 "\n",
	       r->pageblock_order, s1, r->memory_blocks, s2,
	       r->nr_pfns ? r->nr_pfns - 1 : 0);
	for (unsigned int c = FRAGALLOC_BLOCK_FREE; c <= FRAGALLOC_BLOCK_POLLUTED; c++) {
		fmt_bytes(s1, sizeof(s1), r->blocks[c] * bsz);
		printf("  %-9s %8" PRIu64 "  %5.1f%%  %s\n", fragalloc_block_class_name(c),
		       r->blocks[c], r->memory_blocks ?
		       100.0 * (double)r->blocks[c] / (double)r->memory_blocks : 0.0, s1);
	}
	printf("polluted: %" PRIu64 " pageblocks, %.1f%% of memory\n",
	       r->blocks[FRAGALLOC_BLOCK_POLLUTED], r->polluted_share / 10.0);
	printf("pages: free %" PRIu64 ", LRU %" PRIu64 ", other %" PRIu64,
	       r->pages_free, r->pages_lru, r->pages_other);
	if (r->has_buddyinfo)
		printf(" (buddyinfo free %" PRIu64 ")", r->buddyinfo_free_pages);
	printf("\n");
	if (b)
		printf("batch %u: %" PRIu64 " pages in %" PRIu64 " pageblocks (%" PRIu64
		       " loose pages)\n", b->handle, b->nr_pages, b->nr_blocks, b->nr_loose);
	if (r->own_pages)
		printf("own pages: %" PRIu64 " (%" PRIu64 " found) in %" PRIu64
		       " pageblocks; polluted with own pages %" PRIu64
		       ", polluted by own pages only %" PRIu64 "\n",
		       r->own_pages, r->own_pages_found, r->own_blocks,
		       r->polluted_own, r->polluted_own_only);
	else
		printf("own pages: none given\n");
	if (r->has_pool)
		printf("fragalloc pool: %" PRIu64 " owned pageblocks, %" PRIu64
		       " with loose pages\n", r->pool_owned, r->pool_loose);
	else
		printf("fragalloc pool list not read (%s)\n", src_err(r->pool_error));
	for (unsigned int i = 0; i < r->nr_zones; i++) {
		const struct fragalloc_blocks_zone *z = &r->zones[i];
		uint64_t mem = z->blocks[FRAGALLOC_BLOCK_FREE] +
			       z->blocks[FRAGALLOC_BLOCK_MOVABLE] +
			       z->blocks[FRAGALLOC_BLOCK_POLLUTED];

		printf("Node %d, zone %-8s PFNs %#" PRIx64 "-%#" PRIx64 ": free %" PRIu64
		       ", movable %" PRIu64 ", polluted %" PRIu64 " of %" PRIu64 "",
		       z->node, z->name, z->start_pfn, z->end_pfn - 1,
		       z->blocks[FRAGALLOC_BLOCK_FREE], z->blocks[FRAGALLOC_BLOCK_MOVABLE],
		       z->blocks[FRAGALLOC_BLOCK_POLLUTED], mem);
		if (r->own_pages)
			printf(" (own %" PRIu64 ")", z->polluted_own);
		printf("\n");
		if (z->has_types) {
			printf("  pagetypeinfo labels:");
			for (unsigned int t = 0; t < r->nr_types; t++)
				printf(" %s %" PRIu64 "%s", r->type_names[t], z->type_blocks[t],
				       t + 1 < r->nr_types ? "," : "\n");
		}
	}
	if (!r->has_zoneinfo)
		printf("(zoneinfo not read: %s)\n", src_err(r->zoneinfo_error));
	if (!r->has_pagetypeinfo)
		printf("(pagetypeinfo not read: %s)\n", src_err(r->pagetypeinfo_error));
	if (map) {
		printf("map, one character per pageblock (. free, m movable, X polluted,"
		       " P pool, L loose, blank: no memory; | zone boundary):\n");
		for (uint64_t i = 0; i < r->nr_blocks; i++) {
			if (i % 64 == 0)
				printf("%#10" PRIx64 " ", i << r->pageblock_order);
			if (i && r->zone[i] != r->zone[i - 1])
				putchar('|');
			putchar(map_char(r, i));
			if (i % 64 == 63 || i + 1 == r->nr_blocks)
				putchar('\n');
		}
	}
}

static void json_classes(const char *key, const uint64_t *v)
{
	jw_key(&jw, key);
	jw_obj_start(&jw);
	for (unsigned int c = 0; c < FRAGALLOC_BLOCK_NR_CLASSES; c++)
		jw_ku64(&jw, fragalloc_block_class_name(c), v[c]);
	jw_obj_end(&jw);
}

static void json_source(const char *key, int has, int err)
{
	jw_key(&jw, key);
	if (has)
		jw_str(&jw, "ok");
	else
		jw_str(&jw, src_err(err));
}

static const char *const own_keys[] = {
	"pages", "pages_found", "blocks", "polluted", "polluted_only_by_own",
};
static const char *const batch_keys[] = {
	"handle", "nr_pages", "nr_blocks", "nr_loose",
};

/* "pages" and "own" */
static void blocks_pages_json(const struct fragalloc_blocks_report *r)
{
	const uint64_t own[ARRAY_SIZE(own_keys)] = {
		r->own_pages, r->own_pages_found, r->own_blocks, r->polluted_own,
		r->polluted_own_only,
	};

	jw_key(&jw, "pages");
	jw_obj_start(&jw);
	jw_ku64(&jw, "free", r->pages_free);
	jw_ku64(&jw, "lru", r->pages_lru);
	jw_ku64(&jw, "other", r->pages_other);
	if (r->has_buddyinfo)
		jw_ku64(&jw, "buddyinfo_free", r->buddyinfo_free_pages);
	jw_obj_end(&jw);
	jw_key(&jw, "own");
	jw_obj_start(&jw);
	jw_ku64_list(&jw, own_keys, own, ARRAY_SIZE(own));
	jw_obj_end(&jw);
}

/* with --alloc: the batch held while reading */
static void blocks_batch_json(const struct fragalloc_batch *b)
{
	const uint64_t v[ARRAY_SIZE(batch_keys)] = {
		b->handle, b->nr_pages, b->nr_blocks, b->nr_loose,
	};

	jw_key(&jw, "batch");
	jw_obj_start(&jw);
	jw_ku64_list(&jw, batch_keys, v, ARRAY_SIZE(v));
	jw_kstr(&jw, "class", fragalloc_mobility_name(b->mobility));
	jw_kstr(&jw, "policy", fragalloc_policy_name(b->policy));
	jw_obj_end(&jw);
}

/* "pool" and "sources": what was read */
static void blocks_sources_json(const struct fragalloc_blocks_report *r)
{
	jw_key(&jw, "pool");
	jw_obj_start(&jw);
	jw_kbool(&jw, "read", r->has_pool);
	if (r->has_pool) {
		jw_ku64(&jw, "owned", r->pool_owned);
		jw_ku64(&jw, "loose", r->pool_loose);
	} else {
		jw_kstr(&jw, "error", src_err(r->pool_error));
	}
	jw_obj_end(&jw);
	jw_key(&jw, "sources");
	jw_obj_start(&jw);
	json_source("zoneinfo", r->has_zoneinfo, r->zoneinfo_error);
	json_source("buddyinfo", r->has_buddyinfo, r->buddyinfo_error);
	json_source("pagetypeinfo", r->has_pagetypeinfo, r->pagetypeinfo_error);
	json_source("pool", r->has_pool, r->pool_error);
	jw_obj_end(&jw);
}

static void blocks_zone_json(const struct fragalloc_blocks_report *r,
			     const struct fragalloc_blocks_zone *z)
{
	json_zone_start(z->node, z->name);
	jw_ku64(&jw, "start_pfn", z->start_pfn);
	jw_ku64(&jw, "end_pfn", z->end_pfn);
	json_classes("blocks", z->blocks);
	json_classes("map_blocks", z->map_blocks);
	jw_ku64(&jw, "polluted_own", z->polluted_own);
	jw_ku64(&jw, "polluted_only_by_own", z->polluted_own_only);
	if (z->zone_index >= 0)
		jw_ku64(&jw, "buddyinfo_free_pages", z->buddyinfo_free_pages);
	if (z->has_types)
		json_per_type("pagetypeinfo_blocks", r->type_names, r->nr_types,
			      z->type_blocks);
	jw_obj_end(&jw);
}

/* "map": one character per pageblock, as the text map */
static void blocks_map_json(const struct fragalloc_blocks_report *r)
{
	char *m = malloc(r->nr_blocks + 1);

	if (!m)
		return;
	for (uint64_t i = 0; i < r->nr_blocks; i++)
		m[i] = map_char(r, i);
	m[r->nr_blocks] = '\0';
	jw_kstr(&jw, "map", m);
	free(m);
}

static void blocks_print_json(const struct fragalloc_blocks_report *r,
			      const struct fragalloc_batch *b, int map)
{
	jw_obj_start(&jw);
	jw_ku64(&jw, "page_size", (uint64_t)sysconf(_SC_PAGESIZE));
	jw_ku64(&jw, "pageblock_order", r->pageblock_order);
	jw_ku64(&jw, "pages_per_block", r->pages_per_block);
	jw_ku64(&jw, "nr_pfns", r->nr_pfns);
	jw_ku64(&jw, "nr_blocks", r->nr_blocks);
	jw_ku64(&jw, "memory_blocks", r->memory_blocks);
	json_classes("blocks", r->blocks);
	json_classes("map_blocks", r->map_blocks);
	jw_ku64(&jw, "polluted", r->blocks[FRAGALLOC_BLOCK_POLLUTED]);
	jw_kdbl(&jw, "polluted_share", r->polluted_share / 1000.0);
	blocks_pages_json(r);
	if (b)
		blocks_batch_json(b);
	blocks_sources_json(r);
	jw_key(&jw, "zones");
	jw_arr_start(&jw);
	for (unsigned int i = 0; i < r->nr_zones; i++)
		blocks_zone_json(r, &r->zones[i]);
	jw_arr_end(&jw);
	if (map)
		blocks_map_json(r);
	jw_obj_end(&jw);
	jw_end_doc(&jw);
}

/* map columns: a power of two, about twice the rows */
static unsigned int map_cols(uint64_t n)
{
	unsigned int c = 8;

	while ((uint64_t)c * c < 2 * n && c < 4096)
		c *= 2;
	return c;
}

static unsigned int hexv(char c)
{
	return (unsigned int)(c <= '9' ? c - '0' : c - 'a' + 10);
}

/* the cells: x y r g b, y grows downwards */
static void map_png_cells(FILE *gp, const struct fragalloc_blocks_report *r,
			  unsigned int cols)
{
	fprintf(gp, "$cells << EOD\n");
	for (uint64_t i = 0; i < r->nr_blocks; i++) {
		const char *c = map_colors[r->map[i] < FRAGALLOC_BLOCK_NR_CLASSES ?
					   r->map[i] : 0];

		fprintf(gp, "%" PRIu64 " %" PRIu64 " %u %u %u\n", i % cols, i / cols,
			hexv(c[1]) * 16 + hexv(c[2]), hexv(c[3]) * 16 + hexv(c[4]),
			hexv(c[5]) * 16 + hexv(c[6]));
	}
	fprintf(gp, "EOD\n");
}

static void map_png_axes(FILE *gp, const struct fragalloc_blocks_report *r,
			 unsigned int cols, uint64_t rows, const char *title)
{
	fprintf(gp, "set title \"%s\\n%" PRIu64 " pageblocks of %" PRIu64
		" pages, PFN order: left to right, top to bottom, %u per row\"\n",
		title, r->nr_blocks, r->pages_per_block, cols);
	fprintf(gp, "set xrange [-0.5:%u.5]\nset yrange [%" PRIu64 ".5:-0.5]\n",
		cols - 1, rows - 1);
	fprintf(gp, "unset xtics\nset ytics out nomirror\nset size ratio -1\n"
		    "set key outside right top box opaque samplen 2 spacing 1.3\n"
		    "set lmargin 12\nset rmargin 30\n");
	/* y tics: the PFN that starts every few rows */
	fprintf(gp, "set ytics (");
	for (uint64_t y = 0, step = rows > 16 ? rows / 8 : 1; y < rows; y += step)
		fprintf(gp, "%s\"%#" PRIx64 "\" %" PRIu64, y ? ", " : "",
			(y * cols) << r->pageblock_order, y);
	fprintf(gp, ")\n");
}

static void gp_line(FILE *gp, double x0, double y0, double x1, double y1)
{
	fprintf(gp, "set arrow from %f,%f to %f,%f nohead lw 3 lc rgb \"black\" front\n",
		x0, y0, x1, y1);
}

/* zone boundaries: a staircase between block b-1 and b, and a label */
static void map_png_zones(FILE *gp, const struct fragalloc_blocks_report *r,
			  unsigned int cols)
{
	for (uint64_t b = 1; b < r->nr_blocks; b++) {
		unsigned int c;
		double y;

		if (r->zone[b] == r->zone[b - 1] || r->zone[b] < 0)
			continue;
		c = (unsigned int)(b % cols);
		y = (double)(b / cols);
		gp_line(gp, c - 0.5, y - 0.5, c - 0.5, y + 0.5);
		if (c) {
			gp_line(gp, c - 0.5, y - 0.5, cols - 0.5, y - 0.5);
			gp_line(gp, -0.5, y + 0.5, c - 0.5, y + 0.5);
		} else {
			gp_line(gp, -0.5, y - 0.5, cols - 0.5, y - 0.5);
		}
	}
	for (unsigned int i = 0; i < r->nr_zones; i++) {
		const struct fragalloc_blocks_zone *z = &r->zones[i];
		uint64_t b = z->start_pfn >> r->pageblock_order;

		if (b >= r->nr_blocks)
			continue;
		fprintf(gp, "set label \"%s\" at %f,%f left front font \",9\" "
			"tc rgb \"black\" offset 0.2,0\n", z->name,
			(double)(b % cols) - 0.5, (double)(b / cols) - 0.25);
	}
}

/* the plot, with a legend entry and count per class */
static void map_png_plot(FILE *gp, const struct fragalloc_blocks_report *r)
{
	fprintf(gp, "plot $cells using 1:2:3:4:5 with rgbimage notitle");
	for (unsigned int c = FRAGALLOC_BLOCK_FREE; c < FRAGALLOC_BLOCK_NR_CLASSES; c++)
		fprintf(gp, ", NaN with boxes fs solid 1.0 border lc rgb \"black\" "
			"fc rgb \"%s\" title \"%s %" PRIu64 "\"", map_colors[c],
			fragalloc_block_class_name(c), r->map_blocks[c]);
	if (r->map_blocks[FRAGALLOC_BLOCK_ABSENT])
		fprintf(gp, ", NaN with boxes fs solid 1.0 fc rgb \"%s\" title \"no memory %"
			PRIu64 "\"", map_colors[0], r->map_blocks[FRAGALLOC_BLOCK_ABSENT]);
	fprintf(gp, ", NaN with lines lw 3 lc rgb \"black\" title \"zone boundary\"\n");
}

static int render_map_png(const struct fragalloc_blocks_report *r,
			  const char *file, const char *title)
{
	unsigned int cols = map_cols(r->nr_blocks);
	uint64_t rows = (r->nr_blocks + cols - 1) / cols;
	unsigned int cell = cols >= 256 ? 4 : cols >= 64 ? 12 : 24;
	unsigned int w = cols * cell + 330, h = (unsigned int)rows * cell + 140;
	char terminal[64];
	FILE *gp;

	if (h < 360)
		h = 360;
	if (w < 900)
		w = 900;
	snprintf(terminal, sizeof(terminal), "size %u,%u font \"sans,10\"", w, h);
	gp = gnuplot_open(file, title, terminal);
	if (!gp)
		return EXIT_ERR;
	map_png_cells(gp, r, cols);
	map_png_axes(gp, r, cols, rows, title);
	map_png_zones(gp, r, cols);
	map_png_plot(gp, r);
	return gnuplot_close(gp, file);
}

static int copy_file(const char *from, const char *dir, const char *name)
{
	char path[4096], buf[65536];
	FILE *in, *out;
	size_t n;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	in = fopen(from, "re");
	if (!in)
		return -errno;
	out = fopen(path, "we");
	if (!out) {
		ret = -errno;
		fclose(in);
		return ret;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n) {
			ret = -EIO;
			break;
		}
	if (ferror(in))
		ret = -EIO;
	fclose(in);
	if (fclose(out) && !ret)
		ret = -errno;
	return ret;
}

/* --record DIR: the tables as read now, and the own PFNs, for a test sample */
static int record_tables(const struct blocks_args *a, const char *dir)
{
	static const char *const names[] = {
		"kpageflags", "zoneinfo", "buddyinfo", "pagetypeinfo", "pool",
	};
	const char *from[5] = {
		a->o.kpageflags_path ? a->o.kpageflags_path : "/proc/kpageflags",
		a->o.zoneinfo_path ? a->o.zoneinfo_path : "/proc/zoneinfo",
		a->o.buddyinfo_path ? a->o.buddyinfo_path : "/proc/buddyinfo",
		a->o.pagetypeinfo_path ? a->o.pagetypeinfo_path : "/proc/pagetypeinfo",
		a->o.pool_path ? a->o.pool_path : "/sys/kernel/debug/fragalloc/pageblocks",
	};
	char path[4096];
	FILE *f;
	int ret;

	for (unsigned int i = 0; i < 5; i++) {
		if (!*from[i])
			continue;
		ret = copy_file(from[i], dir, names[i]);
		if (ret && (i == 0 || ret != -ENOENT)) {
			p_fa_err(ret, 0, "--record: cannot copy %s to %s", from[i], dir);
			return EXIT_ERR;
		}
	}
	snprintf(path, sizeof(path), "%s/pfns", dir);
	f = fopen(path, "we");
	if (!f) {
		p_fa_err(-errno, 0, "--record: cannot write %s", path);
		return EXIT_ERR;
	}
	for (size_t i = 0; i < a->o.nr_own_pfns; i++)
		fprintf(f, "%" PRIu64 "\n", a->o.own_pfns[i]);
	if (fclose(f)) {
		p_fa_err(-errno, 0, "--record: cannot write %s", path);
		return EXIT_ERR;
	}
	return EXIT_OK;
}

static uint64_t meminfo_free_pages(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	unsigned long long kb = 0;
	char line[256];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024 / (uint64_t)sysconf(_SC_PAGESIZE);
}

/* what one --blocks run holds */
struct blocks_run {
	struct fragalloc *h;		/* with --alloc; closing it frees the batch */
	struct fragalloc_batch b, *bp;	/* bp: &b once allocated */
	uint64_t *pfns;			/* own PFNs: --pfns, then the batch's */
	uint64_t *apfns;		/* the batch's part of pfns */
	size_t nr;
	struct fragalloc_blocks_report *r;
};

/* --alloc: a batch, held while reading, its PFNs added to the own ones */
static int blocks_alloc(const struct blocks_args *a, struct blocks_run *run)
{
	struct fragalloc_batch_status st;
	uint64_t pages, *np;
	int ret;

	if (open_device(&run->h))
		return EXIT_ERR;
	pages = size_to_pages(a->alloc_size, a->alloc_is_pages,
			      fragalloc_page_size(run->h));
	ret = fragalloc_alloc(run->h, pages, (enum fragalloc_mobility)a->mobility,
			      (enum fragalloc_policy)a->policy, 0, &run->b);
	if (ret) {
		p_fa_err(ret, 0, "cannot allocate %" PRIu64 " pages", pages);
		return EXIT_ERR;
	}
	run->bp = &run->b;
	np = realloc(run->pfns, (run->nr + run->b.nr_pages) * sizeof(*np));
	if (!np) {
		p_fa_err(-ENOMEM, 0, "PFN array");
		return EXIT_ERR;
	}
	run->pfns = np;
	run->apfns = np + run->nr;
	ret = fragalloc_batch_info(run->h, run->b.handle, &st, run->apfns,
				   run->b.nr_pages);
	if (ret) {
		p_fa_err(ret, 0, "batch info of handle %u", run->b.handle);
		return EXIT_ERR;
	}
	run->nr += run->b.nr_pages;
	return EXIT_OK;
}

/* Reads and classifies, with the errors explained; 0 or EXIT_ERR. */
static int blocks_read(struct blocks_args *a, struct blocks_run *run)
{
	const char *kpf = a->o.kpageflags_path ? a->o.kpageflags_path : "/proc/kpageflags";
	int ret;

	a->o.own_pfns = run->pfns;
	a->o.nr_own_pfns = run->nr;
	ret = fragalloc_blocks_read(&a->o, &run->r);
	if (ret == -EACCES || ret == -EPERM) {
		p_err("cannot read %s: %s; the pageblock classes need root "
		      "(/proc/kpageflags is readable by root only)", kpf, strerror(-ret));
		return EXIT_ERR;
	}
	if (ret == -ENODATA) {
		p_err("pageblock order unknown: /proc/pagetypeinfo unreadable; "
		      "give --pageblock-order");
		return EXIT_ERR;
	}
	if (ret) {
		p_fa_err(ret, 0, "cannot classify pageblocks from %s", kpf);
		return EXIT_ERR;
	}
	return EXIT_OK;
}

/* notes on stderr where the counts may surprise */
static void blocks_notes(const struct blocks_args *a, const struct blocks_run *run)
{
	const struct fragalloc_blocks_report *r = run->r;

	if (!a->o.kpageflags_path && r->has_buddyinfo) {
		uint64_t mf = meminfo_free_pages();

		if (mf > r->buddyinfo_free_pages + r->memory_blocks * r->pages_per_block / 100)
			p_info("note: MemFree is %" PRIu64 " pages but the buddy lists hold %"
			       PRIu64 "; the rest (per-CPU lists, memory not yet initialised)"
			       " counts as allocated here\n", mf, r->buddyinfo_free_pages);
	}
	if (run->apfns && r->own_pages_found == 0 && run->bp)
		p_info("note: BATCH_INFO gave no PFNs (they need CAP_SYS_ADMIN)\n");
}

/* the report, then --record and --png */
static int blocks_output(const struct blocks_args *a, const struct blocks_run *run)
{
	const struct fragalloc_blocks_report *r = run->r;
	char title[128];
	int rc;

	if (json_output)
		blocks_print_json(r, run->bp, a->map);
	else
		blocks_print_text(r, run->bp, a->map);
	rc = a->record ? record_tables(a, a->record) : EXIT_OK;
	if (rc || !a->png)
		return rc;
	snprintf(title, sizeof(title), "fragalloc: physical memory by pageblock, "
		 "%.1f%% polluted", r->polluted_share / 10.0);
	return render_map_png(r, a->png, title);
}

static int do_blocks(struct blocks_args *a)
{
	struct blocks_run run = { 0 };
	int ret, rc = EXIT_ERR;

	if (a->pfns_file) {
		ret = read_pfns_file(a->pfns_file, &run.pfns, &run.nr);
		if (ret) {
			p_fa_err(ret, 0, "cannot read PFNs from %s", a->pfns_file);
			return EXIT_ERR;
		}
	}
	if (a->alloc_size && blocks_alloc(a, &run))
		goto out;
	if (blocks_read(a, &run))
		goto out;
	blocks_notes(a, &run);
	rc = blocks_output(a, &run);
out:
	fragalloc_blocks_free(run.r);
	free(run.pfns);
	if (run.h)
		fragalloc_close(run.h);	/* frees the batch */
	return rc;
}

/* the command line of frag */
struct frag_args {
	struct blocks_args ba;
	const char *png, *bi, *pti;	/* --png, --buddyinfo, --pagetypeinfo */
	int brief;
	int blocks;		/* --blocks or --map */
	int blocks_only;	/* an option that needs --blocks was given */
};

/* the options that go with --blocks or --map only */
static int frag_blocks_opt(int c, const char *arg, struct blocks_args *ba)
{
	uint64_t v;

	switch (c) {
	case 'A':
		return opt_size(arg, &ba->alloc_size, &ba->alloc_is_pages,
				"frag: bad --alloc size");
	case 'c': return parse_class("frag", arg, &ba->mobility);
	case 'y': return parse_policy("frag", arg, &ba->policy);
	case 'F': ba->pfns_file = arg; return 0;
	case 'R': ba->record = arg; return 0;
	case 'k': ba->o.kpageflags_path = arg; return 0;
	case 'z': ba->o.zoneinfo_path = arg; return 0;
	case 'o': ba->o.pool_path = arg; return 0;
	case 'O':
		if (parse_u64(arg, &v) || v < 1 || v > 30)
			return usage_err("frag: bad --pageblock-order '%s'", arg);
		ba->o.pageblock_order = (unsigned int)v;
		return 0;
	default:
		return OPT_UNKNOWN;
	}
}

static int frag_opt(int c, const char *arg, void *ctx)
{
	struct frag_args *f = ctx;
	int ret;

	switch (c) {
	case 'P': f->png = arg; return 0;
	case 'B': f->bi = arg; return 0;
	case 'T': f->pti = arg; return 0;
	case 'b': f->brief = 1; return 0;
	case 'K': f->blocks = 1; return 0;
	case 'M': f->ba.map = 1; f->blocks = 1; return 0;
	}
	ret = frag_blocks_opt(c, arg, &f->ba);
	if (!ret)
		f->blocks_only = 1;
	return ret;
}

static int frag_check(void *ctx)
{
	const struct frag_args *f = ctx;

	if (f->blocks_only && !f->blocks)
		return usage_err("frag: --alloc, --class, --policy, --pfns, --kpageflags, "
				 "--zoneinfo, --pool, --pageblock-order and --record need "
				 "--blocks or --map");
	if (f->blocks && f->brief)
		return usage_err("frag: --brief does not go with --blocks/--map");
	if (f->blocks && f->png && !f->ba.map)
		return usage_err("frag: --png with --blocks needs --map");
	return 0;
}

/* the report from /proc/buddyinfo and /proc/pagetypeinfo */
static int frag_report(const struct frag_args *f)
{
	struct fragalloc_frag_report *r;
	int ret = fragalloc_frag_read(f->bi, f->pti, &r);

	if (ret) {
		p_fa_err(ret, 0, "cannot read %s%s%s", f->bi ? f->bi : "/proc/buddyinfo",
			 ret == -EBADMSG ? " / " : "",
			 ret == -EBADMSG ? (f->pti ? f->pti : "/proc/pagetypeinfo") : "");
		return EXIT_ERR;
	}
	if (json_output)
		frag_print_json(r);
	else
		frag_print_text(r, !f->brief);
	ret = f->png ? render_png(r, f->png) : EXIT_OK;
	fragalloc_frag_free(r);
	return ret;
}

int do_frag(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "png", required_argument, NULL, 'P' },
		{ "buddyinfo", required_argument, NULL, 'B' },
		{ "pagetypeinfo", required_argument, NULL, 'T' },
		{ "brief", no_argument, NULL, 'b' },
		{ "blocks", no_argument, NULL, 'K' },
		{ "map", no_argument, NULL, 'M' },
		{ "alloc", required_argument, NULL, 'A' },
		{ "class", required_argument, NULL, 'c' },
		{ "policy", required_argument, NULL, 'y' },
		{ "pfns", required_argument, NULL, 'F' },
		{ "kpageflags", required_argument, NULL, 'k' },
		{ "zoneinfo", required_argument, NULL, 'z' },
		{ "pool", required_argument, NULL, 'o' },
		{ "pageblock-order", required_argument, NULL, 'O' },
		{ "record", required_argument, NULL, 'R' },
		{ 0 },
	};
	static const struct cmd_spec spec = {
		.name = "frag", .shortopts = "b", .longopts = opts,
		.usage = usage, .opt = frag_opt, .check = frag_check,
	};
	struct frag_args f = {
		.ba = { .mobility = FRAGALLOC_UNMOVABLE,
			.policy = FRAGALLOC_POLICY_COMPACT },
	};
	int ret = cmd_getopt(&spec, argc, argv, &f, NULL);

	if (ret != CMD_RUN)
		return ret;
	if (!f.blocks)
		return frag_report(&f);
	f.ba.o.buddyinfo_path = f.bi;
	f.ba.o.pagetypeinfo_path = f.pti;
	f.ba.png = f.png;
	return do_blocks(&f.ba);
}
