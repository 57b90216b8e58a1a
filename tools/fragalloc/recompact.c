// SPDX-License-Identifier: MIT
/* fragalloc recompact: migrate pool pages into the fullest pageblocks. */
#include <inttypes.h>
#include <string.h>

#include "main.h"

static int usage(void)
{
	printf("Usage: %s recompact [--dry-run] [--scope pool|fd] [--max-pages N]\n"
	       "                          [--json|--pretty]\n"
	       "Move live pages of the compact pool into the fullest pageblocks of\n"
	       "their class and give emptied pageblocks back to the kernel.\n"
	       "  --scope pool   every user's pages (default; needs CAP_SYS_ADMIN)\n"
	       "  --scope fd     this command's own fd (which holds no batches, so\n"
	       "                 this is only useful as a permission-free check)\n"
	       "  --dry-run      plan only, move nothing\n"
	       "  --max-pages N  move at most N pages (0: no cap)\n", bin_name);
	return EXIT_OK;
}

int do_recompact(int argc, char **argv)
{
	static const struct option opts[] = {
		COMMON_LONGOPTS,
		{ "dry-run", no_argument, NULL, 'n' },
		{ "scope", required_argument, NULL, 's' },
		{ "max-pages", required_argument, NULL, 'm' },
		{ 0 },
	};
	int c, ret, scope = FRAGALLOC_SCOPE_POOL;
	struct fragalloc_recompact rc;
	uint64_t max_pages = 0;
	struct fragalloc *h;
	uint32_t flags = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS "n", opts, NULL)) != -1) {
		int cr = common_opt(c);

		if (cr < 0)
			return usage();
		if (cr)
			continue;
		switch (c) {
		case 'n': flags |= FRAGALLOC_RECOMPACT_DRY_RUN; break;
		case 's':
			scope = fragalloc_scope_parse(optarg);
			if (scope < 0)
				return usage_err("recompact: unknown scope '%s'", optarg);
			if (scope == FRAGALLOC_SCOPE_BATCH)
				return usage_err("recompact: --scope batch needs a batch of this process; use pool or fd");
			break;
		case 'm':
			if (parse_u64(optarg, &max_pages))
				return usage_err("recompact: bad --max-pages '%s'", optarg);
			break;
		default: return usage_err("recompact: bad option");
		}
	}
	if (optind < argc)
		return usage_err("recompact: unexpected argument '%s'", argv[optind]);
	jw_init(&jw, stdout, pretty_output);
	if (open_device(&h))
		return EXIT_ERR;
	ret = fragalloc_recompact(h, (enum fragalloc_scope)scope, 0, max_pages,
				  flags, &rc);
	fragalloc_close(h);
	if (ret) {
		p_fa_err(ret, 0, "recompaction (scope %s)",
			 fragalloc_scope_name((unsigned int)scope));
		return EXIT_ERR;
	}
	if (json_output) {
		jw_obj_start(&jw);
		jw_kstr(&jw, "scope", fragalloc_scope_name((unsigned int)scope));
		jw_kbool(&jw, "dry_run", !!(flags & FRAGALLOC_RECOMPACT_DRY_RUN));
		jw_ku64(&jw, "max_pages", max_pages);
		jw_ku64(&jw, "pages_planned", rc.out_pages_planned);
		jw_ku64(&jw, "pages_moved", rc.out_pages_moved);
		jw_ku64(&jw, "bytes_copied", rc.out_bytes_copied);
		jw_ku64(&jw, "blocks_released", rc.out_blocks_released);
		jw_ku64(&jw, "blocks_before", rc.out_blocks_before);
		jw_ku64(&jw, "blocks_after", rc.out_blocks_after);
		jw_obj_end(&jw);
		jw_end_doc(&jw);
	} else {
		printf("recompact (%s%s): planned %" PRIu64 " pages, moved %" PRIu64
		       " (%" PRIu64 " bytes)\n",
		       fragalloc_scope_name((unsigned int)scope),
		       flags & FRAGALLOC_RECOMPACT_DRY_RUN ? ", dry run" : "",
		       (uint64_t)rc.out_pages_planned, (uint64_t)rc.out_pages_moved,
		       (uint64_t)rc.out_bytes_copied);
		printf("  pageblocks %" PRIu64 " -> %" PRIu64 " (%" PRIu64 " released%s)\n",
		       (uint64_t)rc.out_blocks_before, (uint64_t)rc.out_blocks_after,
		       (uint64_t)rc.out_blocks_released,
		       flags & FRAGALLOC_RECOMPACT_DRY_RUN ? ", predicted" : "");
	}
	return EXIT_OK;
}
