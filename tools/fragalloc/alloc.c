// SPDX-License-Identifier: MIT
/* fragalloc alloc: allocate one batch, optionally fill it, hold, free. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "main.h"

static int usage(void)
{
	printf("Usage: %s alloc (-n PAGES | --size SIZE) [--class CLASS] [--policy POLICY]\n"
	       "                      [--best-effort] [--strict] [--hold SECONDS]\n"
	       "                      [--fill PATTERN] [--json|--pretty]\n"
	       "Allocate a batch, print it, optionally map and fill it, hold it\n"
	       "for SECONDS (Ctrl-C ends the wait early), then free it.\n"
	       "  -n, --pages N     pages (order-0)\n"
	       "  -s, --size SIZE   bytes with K/M/G suffix (40M), or pages with p (100p)\n"
	       "  --class C         unmovable (default) | reclaimable | movable\n"
	       "  --policy P        compact (default) | plain | bulk | highorder |\n"
	       "                    movable (moved by the kernel's compaction; no DMA)\n"
	       "  --best-effort     keep a partial batch instead of failing\n"
	       "  --strict          whole pageblocks only (compact policy)\n"
	       "  --hold SECONDS    keep the batch before freeing it (default 0)\n"
	       "  --fill PATTERN    write PATTERN (0xNN for a byte, else the string\n"
	       "                    repeated) through mmap and verify it\n", bin_name);
	return EXIT_OK;
}

static int fill_batch(struct fragalloc *h, const struct fragalloc_batch *b,
		      const char *pattern)
{
	uint64_t len = b->nr_pages * fragalloc_page_size(h);
	unsigned char byte[1];
	const unsigned char *pat;
	size_t plen;
	unsigned char *p;
	void *addr;
	int ret;

	if (!strncmp(pattern, "0x", 2) || !strncmp(pattern, "0X", 2)) {
		uint64_t v;

		if (parse_u64(pattern, &v) || v > 255) {
			p_err("--fill: bad byte '%s'", pattern);
			return EXIT_USAGE;
		}
		byte[0] = (unsigned char)v;
		pat = byte;
		plen = 1;
	} else {
		pat = (const unsigned char *)pattern;
		plen = strlen(pattern);
	}
	if (!plen) {
		p_err("--fill: empty pattern");
		return EXIT_USAGE;
	}
	ret = fragalloc_map(h, b, 0, 0, &addr);
	if (ret) {
		p_fa_err(ret, 0, "mmap of batch %u", b->handle);
		return EXIT_ERR;
	}
	p = addr;
	for (uint64_t i = 0; i < len; i++)
		p[i] = pat[i % plen];
	for (uint64_t i = 0; i < len; i++)
		if (p[i] != pat[i % plen]) {
			p_err("--fill: verify mismatch at byte %" PRIu64, i);
			fragalloc_unmap(h, addr, b->nr_pages);
			return EXIT_ERR;
		}
	fragalloc_unmap(h, addr, b->nr_pages);
	return EXIT_OK;
}

struct alloc_args {
	uint64_t pages, size;	/* -n, or --size (in pages if size_is_pages) */
	int size_is_pages;
	int mobility, policy;
	uint32_t flags;
	double hold;
	const char *fill;
};

static int alloc_opt(int c, const char *arg, void *ctx)
{
	struct alloc_args *a = ctx;

	switch (c) {
	case 'n': return opt_u64(arg, &a->pages, 1, "alloc: bad page count");
	case 's': return opt_size(arg, &a->size, &a->size_is_pages, "alloc: bad size");
	case 'c': return parse_class("alloc", arg, &a->mobility);
	case 'P': return parse_policy("alloc", arg, &a->policy);
	case 'b': a->flags |= FRAGALLOC_ALLOC_BEST_EFFORT; return 0;
	case 'S': a->flags |= FRAGALLOC_ALLOC_STRICT; return 0;
	case 'H':
		if (parse_double(arg, &a->hold) || a->hold < 0)
			return usage_err("alloc: bad --hold '%s'", arg);
		return 0;
	case 'f': a->fill = arg; return 0;
	default: return OPT_UNKNOWN;
	}
}

static int alloc_check(void *ctx)
{
	const struct alloc_args *a = ctx;

	if (!!a->pages == !!a->size)
		return usage_err("alloc: give exactly one of -n PAGES or --size SIZE");
	return 0;
}

static const char *const batch_keys[] = {
	"handle", "requested_pages", "nr_pages", "nr_present", "nr_blocks",
	"nr_loose", "mmap_offset",
};

static void alloc_print_json(const struct alloc_args *a,
			     const struct fragalloc_batch *b,
			     const struct fragalloc_batch_status *st, uint64_t bytes)
{
	const uint64_t v[ARRAY_SIZE(batch_keys)] = {
		b->handle, a->pages, b->nr_pages, st->nr_present, b->nr_blocks,
		b->nr_loose, b->mmap_offset,
	};

	jw_obj_start(&jw);
	jw_ku64_list(&jw, batch_keys, v, ARRAY_SIZE(v));
	jw_kstr(&jw, "class", fragalloc_mobility_name(st->mobility));
	jw_kstr(&jw, "policy", fragalloc_policy_name(st->policy));
	jw_ku64(&jw, "bytes", bytes);
	jw_kbool(&jw, "filled", a->fill != NULL);
	jw_kdbl(&jw, "hold_seconds", a->hold);
	jw_obj_end(&jw);
	jw_end_doc(&jw);
}

static void alloc_print_plain(const struct alloc_args *a,
			      const struct fragalloc_batch *b,
			      const struct fragalloc_batch_status *st, uint64_t bytes)
{
	char bb[32];

	fmt_bytes(bb, sizeof(bb), bytes);
	printf("batch %u: %" PRIu64 " pages (%s) of %" PRIu64 " requested, "
	       "class %s, policy %s\n", b->handle, b->nr_pages, bb, a->pages,
	       fragalloc_mobility_name(st->mobility),
	       fragalloc_policy_name(st->policy));
	printf("  pageblocks %" PRIu64 ", loose pages %" PRIu64
	       ", mmap offset 0x%" PRIx64 "%s\n", b->nr_blocks, b->nr_loose,
	       b->mmap_offset, a->fill ? ", filled and verified" : "");
}

/* With the batch allocated: fill, describe, hold. 0 or the exit code. */
static int alloc_use(struct fragalloc *h, const struct alloc_args *a,
		     const struct fragalloc_batch *b)
{
	uint64_t bytes = b->nr_pages * fragalloc_page_size(h);
	struct fragalloc_batch_status st;
	int ret;

	if (a->fill) {
		ret = fill_batch(h, b, a->fill);
		if (ret)
			return ret;
	}
	ret = fragalloc_batch_info(h, b->handle, &st, NULL, 0);
	if (ret) {
		p_fa_err(ret, 0, "batch info of handle %u", b->handle);
		return EXIT_ERR;
	}
	if (json_output)
		alloc_print_json(a, b, &st, bytes);
	else
		alloc_print_plain(a, b, &st, bytes);
	if (a->hold > 0) {
		if (!json_output)
			p_info("holding for %g s (Ctrl-C to free now)\n", a->hold);
		sleep_interruptible(a->hold);
	}
	return EXIT_OK;
}

int do_alloc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pages", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "class", required_argument, NULL, 'c' },
		{ "policy", required_argument, NULL, 'P' },
		{ "best-effort", no_argument, NULL, 'b' },
		{ "strict", no_argument, NULL, 'S' },
		{ "hold", required_argument, NULL, 'H' },
		{ "fill", required_argument, NULL, 'f' },
		{ 0 },
	};
	static const struct cmd_spec spec = {
		.name = "alloc", .shortopts = "n:s:", .longopts = opts,
		.usage = usage, .opt = alloc_opt, .check = alloc_check,
	};
	struct alloc_args a = {
		.mobility = FRAGALLOC_UNMOVABLE, .policy = FRAGALLOC_POLICY_COMPACT,
	};
	struct fragalloc_batch b;
	struct fragalloc *h;
	int ret, rc;

	ret = cmd_getopt(&spec, argc, argv, &a, &h);
	if (ret != CMD_RUN)
		return ret;
	if (a.size)
		a.pages = size_to_pages(a.size, a.size_is_pages,
					fragalloc_page_size(h));
	ret = fragalloc_alloc(h, a.pages, (enum fragalloc_mobility)a.mobility,
			      (enum fragalloc_policy)a.policy, a.flags, &b);
	if (ret) {
		p_fa_err(ret, 0, "cannot allocate %" PRIu64 " pages (%s, %s)", a.pages,
			 fragalloc_mobility_name((unsigned int)a.mobility),
			 fragalloc_policy_name((unsigned int)a.policy));
		fragalloc_close(h);
		return EXIT_ERR;
	}
	rc = alloc_use(h, &a, &b);
	ret = fragalloc_free(h, b.handle);
	if (ret && !rc) {
		p_fa_err(ret, 0, "free of batch %u", b.handle);
		rc = EXIT_ERR;
	}
	fragalloc_close(h);
	return rc;
}
