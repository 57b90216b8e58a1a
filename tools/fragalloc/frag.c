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
	       "  --brief      one summary line per zone\n", bin_name);
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

void frag_summary_json(const struct fragalloc_frag_report *r)
{
	unsigned int pbo = summary_order(r);

	jw_arr_start(&jw);
	for (unsigned int i = 0; i < r->nr_zones; i++) {
		const struct fragalloc_frag_zone *z = &r->zones[i];

		jw_obj_start(&jw);
		jw_ki64(&jw, "node", z->node);
		jw_kstr(&jw, "zone", z->name);
		jw_ku64(&jw, "free_pages", z->free_pages);
		jw_ku64(&jw, "free_blocks_ge_order3", fragalloc_frag_free_blocks_ge(z, 3));
		jw_ku64(&jw, "free_blocks_ge_pageblock", fragalloc_frag_free_blocks_ge(z, pbo));
		jw_key(&jw, "free_blocks");
		jw_arr_start(&jw);
		for (unsigned int o = 0; o < z->nr_orders; o++)
			jw_u64(&jw, z->free_blocks[o]);
		jw_arr_end(&jw);
		jw_key(&jw, "unusable_index");
		jw_arr_start(&jw);
		for (unsigned int o = 0; o < z->nr_orders; o++)
			jw_dbl(&jw, idx(z->unusable_index[o]));
		jw_arr_end(&jw);
		jw_obj_end(&jw);
	}
	jw_arr_end(&jw);
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
	for (unsigned int i = 0; i < r->nr_zones; i++) {
		const struct fragalloc_frag_zone *z = &r->zones[i];

		jw_obj_start(&jw);
		jw_ki64(&jw, "node", z->node);
		jw_kstr(&jw, "zone", z->name);
		jw_ku64(&jw, "nr_orders", z->nr_orders);
		jw_ku64(&jw, "free_pages", z->free_pages);
		jw_ku64(&jw, "free_blocks_total", z->free_blocks_total);
		jw_key(&jw, "free_blocks");
		jw_arr_start(&jw);
		for (unsigned int o = 0; o < z->nr_orders; o++)
			jw_u64(&jw, z->free_blocks[o]);
		jw_arr_end(&jw);
		jw_key(&jw, "free_blocks_ge");
		jw_arr_start(&jw);
		for (unsigned int o = 0; o < z->nr_orders; o++)
			jw_u64(&jw, fragalloc_frag_free_blocks_ge(z, o));
		jw_arr_end(&jw);
		jw_key(&jw, "unusable_index");
		jw_arr_start(&jw);
		for (unsigned int o = 0; o < z->nr_orders; o++)
			jw_dbl(&jw, idx(z->unusable_index[o]));
		jw_arr_end(&jw);
		jw_key(&jw, "extfrag_index");
		jw_arr_start(&jw);
		for (unsigned int o = 0; o < z->nr_orders; o++)
			jw_dbl(&jw, idx(z->extfrag_index[o]));
		jw_arr_end(&jw);
		if (z->has_types) {
			jw_key(&jw, "free_by_type");
			jw_obj_start(&jw);
			for (unsigned int t = 0; t < r->nr_types; t++) {
				jw_key(&jw, r->type_names[t]);
				jw_arr_start(&jw);
				for (unsigned int o = 0; o < z->nr_orders; o++)
					jw_u64(&jw, z->type_free[t][o]);
				jw_arr_end(&jw);
			}
			jw_obj_end(&jw);
		}
		if (z->has_blocks) {
			jw_key(&jw, "pageblocks");
			jw_obj_start(&jw);
			for (unsigned int t = 0; t < r->nr_types; t++)
				jw_ku64(&jw, r->type_names[t], z->type_blocks[t]);
			jw_obj_end(&jw);
		}
		jw_obj_end(&jw);
	}
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

static int render_png(const struct fragalloc_frag_report *r, const char *file)
{
	long psz = sysconf(_SC_PAGESIZE);
	FILE *gp;
	int st;

	if (strchr(file, '"') || strchr(file, '\n')) {
		p_err("--png: unsupported character in file name");
		return EXIT_ERR;
	}
	if (!in_path("gnuplot")) {
		p_err("--png needs gnuplot, which is not installed\n"
		      "  hint: apt install gnuplot-nox");
		return EXIT_ERR;
	}
	gp = popen("gnuplot", "w");
	if (!gp) {
		p_fa_err(-errno, 0, "cannot run gnuplot");
		return EXIT_ERR;
	}
	fprintf(gp, "set terminal pngcairo size 1200,%u\n",
		400 + 300 * (r->nr_zones > 1 ? 1 : 0) + 300);
	fprintf(gp, "set output \"%s\"\n", file);
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
	st = pclose(gp);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		p_err("gnuplot failed (status %d) writing %s", st, file);
		return EXIT_ERR;
	}
	if (!json_output)
		p_info("wrote %s\n", file);
	return EXIT_OK;
}

int do_frag(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_LONGOPTS,
		{ "png", required_argument, NULL, 'P' },
		{ "buddyinfo", required_argument, NULL, 'B' },
		{ "pagetypeinfo", required_argument, NULL, 'T' },
		{ "brief", no_argument, NULL, 'b' },
		{ 0 },
	};
	const char *png = NULL, *bi = NULL, *pti = NULL;
	struct fragalloc_frag_report *r;
	int c, ret, brief = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS "b", opts, NULL)) != -1) {
		int cr = common_opt(c);

		if (cr < 0)
			return usage();
		if (cr)
			continue;
		switch (c) {
		case 'P': png = optarg; break;
		case 'B': bi = optarg; break;
		case 'T': pti = optarg; break;
		case 'b': brief = 1; break;
		default: return usage_err("frag: bad option");
		}
	}
	if (optind < argc)
		return usage_err("frag: unexpected argument '%s'", argv[optind]);
	jw_init(&jw, stdout, pretty_output);
	ret = fragalloc_frag_read(bi, pti, &r);
	if (ret) {
		p_fa_err(ret, 0, "cannot read %s%s%s", bi ? bi : "/proc/buddyinfo",
			 ret == -EBADMSG ? " / " : "",
			 ret == -EBADMSG ? (pti ? pti : "/proc/pagetypeinfo") : "");
		return EXIT_ERR;
	}
	if (json_output)
		frag_print_json(r);
	else
		frag_print_text(r, !brief);
	ret = png ? render_png(r, png) : EXIT_OK;
	fragalloc_frag_free(r);
	return ret;
}
