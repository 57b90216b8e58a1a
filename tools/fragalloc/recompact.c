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

struct recompact_args {
	int scope;
	uint64_t max_pages;
	uint32_t flags;
};

static int recompact_opt(int c, const char *arg, void *ctx)
{
	struct recompact_args *a = ctx;

	switch (c) {
	case 'n':
		a->flags |= FRAGALLOC_RECOMPACT_DRY_RUN;
		return 0;
	case 's':
		a->scope = fragalloc_scope_parse(arg);
		if (a->scope < 0)
			return usage_err("recompact: unknown scope '%s'", arg);
		if (a->scope == FRAGALLOC_SCOPE_BATCH)
			return usage_err("recompact: --scope batch needs a batch of this process; use pool or fd");
		return 0;
	case 'm': return opt_u64(arg, &a->max_pages, 0, "recompact: bad --max-pages");
	default:
		return OPT_UNKNOWN;
	}
}

static void recompact_print_json(const struct recompact_args *a,
				 const struct fragalloc_recompact *rc)
{
	jw_obj_start(&jw);
	jw_kstr(&jw, "scope", fragalloc_scope_name((unsigned int)a->scope));
	jw_kbool(&jw, "dry_run", !!(a->flags & FRAGALLOC_RECOMPACT_DRY_RUN));
	jw_ku64(&jw, "max_pages", a->max_pages);
	jw_ku64(&jw, "pages_planned", rc->out_pages_planned);
	jw_ku64(&jw, "pages_moved", rc->out_pages_moved);
	jw_ku64(&jw, "bytes_copied", rc->out_bytes_copied);
	recompact_blocks_json(rc);
	jw_obj_end(&jw);
	jw_end_doc(&jw);
}

static void recompact_print_plain(const struct recompact_args *a,
				  const struct fragalloc_recompact *rc)
{
	int dry = !!(a->flags & FRAGALLOC_RECOMPACT_DRY_RUN);

	printf("recompact (%s%s): planned %" PRIu64 " pages, moved %" PRIu64
	       " (%" PRIu64 " bytes)\n",
	       fragalloc_scope_name((unsigned int)a->scope),
	       dry ? ", dry run" : "",
	       (uint64_t)rc->out_pages_planned, (uint64_t)rc->out_pages_moved,
	       (uint64_t)rc->out_bytes_copied);
	printf("  pageblocks %" PRIu64 " -> %" PRIu64 " (%" PRIu64 " released%s)\n",
	       (uint64_t)rc->out_blocks_before, (uint64_t)rc->out_blocks_after,
	       (uint64_t)rc->out_blocks_released, dry ? ", predicted" : "");
}

int do_recompact(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "scope", required_argument, NULL, 's' },
		{ "max-pages", required_argument, NULL, 'm' },
		{ 0 },
	};
	static const struct cmd_spec spec = {
		.name = "recompact", .shortopts = "n", .longopts = opts,
		.usage = usage, .opt = recompact_opt,
	};
	struct recompact_args a = { .scope = FRAGALLOC_SCOPE_POOL };
	struct fragalloc_recompact rc;
	struct fragalloc *h;
	int ret = cmd_getopt(&spec, argc, argv, &a, &h);

	if (ret != CMD_RUN)
		return ret;
	ret = fragalloc_recompact(h, (enum fragalloc_scope)a.scope, 0,
				  a.max_pages, a.flags, &rc);
	fragalloc_close(h);
	if (ret) {
		p_fa_err(ret, 0, "recompaction (scope %s)",
			 fragalloc_scope_name((unsigned int)a.scope));
		return EXIT_ERR;
	}
	if (json_output)
		recompact_print_json(&a, &rc);
	else
		recompact_print_plain(&a, &rc);
	return EXIT_OK;
}

/* blocks_released, _before, _after: shared with stress's "recompact" object */
void recompact_blocks_json(const struct fragalloc_recompact *rc)
{
	jw_ku64(&jw, "blocks_released", rc->out_blocks_released);
	jw_ku64(&jw, "blocks_before", rc->out_blocks_before);
	jw_ku64(&jw, "blocks_after", rc->out_blocks_after);
}
