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
	       "  --policy P        compact (default) | plain | bulk | highorder\n"
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

int do_alloc(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_LONGOPTS,
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
	uint64_t pages = 0, size = 0;
	int mobility = FRAGALLOC_UNMOVABLE, policy = FRAGALLOC_POLICY_COMPACT;
	const char *fill = NULL;
	struct fragalloc_batch_status st;
	struct fragalloc_batch b;
	struct fragalloc *h;
	uint32_t flags = 0;
	double hold = 0;
	int c, ret, size_is_pages = 0, rc = EXIT_OK;

	optind = 0;
	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS "n:s:", opts, NULL)) != -1) {
		int cr = common_opt(c);

		if (cr < 0)
			return usage();
		if (cr)
			continue;
		switch (c) {
		case 'n':
			if (parse_u64(optarg, &pages) || !pages)
				return usage_err("alloc: bad page count '%s'", optarg);
			break;
		case 's':
			if (parse_size(optarg, &size, &size_is_pages) || !size)
				return usage_err("alloc: bad size '%s'", optarg);
			break;
		case 'c':
			mobility = fragalloc_mobility_parse(optarg);
			if (mobility < 0)
				return usage_err("alloc: unknown class '%s'", optarg);
			break;
		case 'P':
			policy = fragalloc_policy_parse(optarg);
			if (policy < 0)
				return usage_err("alloc: unknown policy '%s'", optarg);
			break;
		case 'b': flags |= FRAGALLOC_ALLOC_BEST_EFFORT; break;
		case 'S': flags |= FRAGALLOC_ALLOC_STRICT; break;
		case 'H':
			if (parse_double(optarg, &hold) || hold < 0)
				return usage_err("alloc: bad --hold '%s'", optarg);
			break;
		case 'f': fill = optarg; break;
		default: return usage_err("alloc: bad option");
		}
	}
	if (optind < argc)
		return usage_err("alloc: unexpected argument '%s'", argv[optind]);
	if (!!pages == !!size)
		return usage_err("alloc: give exactly one of -n PAGES or --size SIZE");
	jw_init(&jw, stdout, pretty_output);
	if (open_device(&h))
		return EXIT_ERR;
	if (size) {
		uint64_t psz = fragalloc_page_size(h);

		pages = size_is_pages ? size : (size + psz - 1) / psz;
	}
	ret = fragalloc_alloc(h, pages, (enum fragalloc_mobility)mobility,
			      (enum fragalloc_policy)policy, flags, &b);
	if (ret) {
		p_fa_err(ret, 0, "cannot allocate %" PRIu64 " pages (%s, %s)", pages,
			 fragalloc_mobility_name((unsigned int)mobility),
			 fragalloc_policy_name((unsigned int)policy));
		fragalloc_close(h);
		return EXIT_ERR;
	}
	if (fill) {
		rc = fill_batch(h, &b, fill);
		if (rc)
			goto out;
	}
	ret = fragalloc_batch_info(h, b.handle, &st, NULL, 0);
	if (ret) {
		p_fa_err(ret, 0, "batch info of handle %u", b.handle);
		rc = EXIT_ERR;
		goto out;
	}
	if (json_output) {
		jw_obj_start(&jw);
		jw_ku64(&jw, "handle", b.handle);
		jw_ku64(&jw, "requested_pages", pages);
		jw_ku64(&jw, "nr_pages", b.nr_pages);
		jw_ku64(&jw, "nr_present", st.nr_present);
		jw_ku64(&jw, "nr_blocks", b.nr_blocks);
		jw_ku64(&jw, "nr_loose", b.nr_loose);
		jw_ku64(&jw, "mmap_offset", b.mmap_offset);
		jw_kstr(&jw, "class", fragalloc_mobility_name(st.mobility));
		jw_kstr(&jw, "policy", fragalloc_policy_name(st.policy));
		jw_ku64(&jw, "bytes", b.nr_pages * fragalloc_page_size(h));
		jw_kbool(&jw, "filled", fill != NULL);
		jw_kdbl(&jw, "hold_seconds", hold);
		jw_obj_end(&jw);
		jw_end_doc(&jw);
	} else {
		char bb[32];

		fmt_bytes(bb, sizeof(bb), b.nr_pages * fragalloc_page_size(h));
		printf("batch %u: %" PRIu64 " pages (%s) of %" PRIu64 " requested, "
		       "class %s, policy %s\n", b.handle, b.nr_pages, bb, pages,
		       fragalloc_mobility_name(st.mobility),
		       fragalloc_policy_name(st.policy));
		printf("  pageblocks %" PRIu64 ", loose pages %" PRIu64
		       ", mmap offset 0x%" PRIx64 "%s\n", b.nr_blocks, b.nr_loose,
		       b.mmap_offset, fill ? ", filled and verified" : "");
	}
	if (hold > 0) {
		if (!json_output)
			p_info("holding for %g s (Ctrl-C to free now)\n", hold);
		sleep_interruptible(hold);
	}
out:
	ret = fragalloc_free(h, b.handle);
	if (ret && !rc) {
		p_fa_err(ret, 0, "free of batch %u", b.handle);
		rc = EXIT_ERR;
	}
	fragalloc_close(h);
	return rc;
}
