// SPDX-License-Identifier: MIT
/* fragalloc info: describe the running module. */
#include <inttypes.h>
#include <string.h>
#include <sys/resource.h>

#include "main.h"

static const struct {
	uint64_t bit;
	const char *name;
} features[] = {
	{ FRAGALLOC_FEAT_RANGE_FREE, "range_free" },
	{ FRAGALLOC_FEAT_RECOMPACT, "recompact" },
	{ FRAGALLOC_FEAT_POLICIES, "policies" },
	{ FRAGALLOC_FEAT_MMAP, "mmap" },
	{ FRAGALLOC_FEAT_MOVABLE, "movable" },
};

static int usage(void)
{
	printf("Usage: %s info [--json|--pretty] [--device PATH]\n"
	       "Describe the loaded fragalloc module: ABI version, page and\n"
	       "pageblock size, features, limits, and this process's RLIMIT_MEMLOCK.\n",
	       bin_name);
	return EXIT_OK;
}

static void limit_text(char *buf, size_t len, uint64_t pages, uint32_t psz)
{
	char b[32];

	if (!pages) {
		snprintf(buf, len, "no limit");
		return;
	}
	fmt_bytes(b, sizeof(b), pages * psz);
	snprintf(buf, len, "%" PRIu64 " pages (%s)", pages, b);
}

/* the limits and the valid flags of each ioctl, as both outputs list them */
static const char *const limit_keys[] = {
	"max_batch_pages", "max_fd_pages", "max_total_pages",
};
static const char *const limit_labels[] = {
	"max batch:", "max per fd:", "max total:",
};
static const char *const flag_names[] = {
	"alloc", "free", "batch_info", "recompact",
};

/* what info prints beyond struct fragalloc_info's own fields */
struct info_extra {
	uint64_t limits[3];	/* by limit_keys */
	uint32_t flags[4];	/* by flag_names */
	struct rlimit rl;	/* RLIMIT_MEMLOCK */
};

static void info_extra_read(const struct fragalloc_info *info,
			    struct info_extra *x)
{
	x->limits[0] = info->out_max_batch_pages;
	x->limits[1] = info->out_max_fd_pages;
	x->limits[2] = info->out_max_total_pages;
	x->flags[0] = info->out_alloc_flags;
	x->flags[1] = info->out_free_flags;
	x->flags[2] = info->out_batch_info_flags;
	x->flags[3] = info->out_recompact_flags;
	if (getrlimit(RLIMIT_MEMLOCK, &x->rl))
		x->rl.rlim_cur = RLIM_INFINITY;
}

static const char *info_device(void)
{
	return device_path ? device_path : FRAGALLOC_DEFAULT_PATH;
}

static void info_print_json(const struct fragalloc_info *info,
			    const struct info_extra *x)
{
	char key[32];

	jw_obj_start(&jw);
	jw_kstr(&jw, "device", info_device());
	jw_ku64(&jw, "abi_version", info->out_abi_version);
	jw_ku64(&jw, "lib_abi_version", FRAGALLOC_ABI_VERSION);
	jw_ku64(&jw, "page_size", info->out_page_size);
	jw_ku64(&jw, "pageblock_order", info->out_pageblock_order);
	jw_ku64(&jw, "pageblock_pages", 1ULL << info->out_pageblock_order);
	jw_ku64(&jw, "nr_mobility", info->out_nr_mobility);
	jw_ku64(&jw, "features_mask", info->out_features);
	jw_key(&jw, "features");
	jw_arr_start(&jw);
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (info->out_features & features[i].bit)
			jw_str(&jw, features[i].name);
	jw_arr_end(&jw);
	for (size_t i = 0; i < 3; i++)
		jw_ku64(&jw, limit_keys[i], x->limits[i]);
	for (size_t i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "%s_flags", flag_names[i]);
		jw_ku64(&jw, key, x->flags[i]);
	}
	jw_key(&jw, "memlock_limit");
	if (x->rl.rlim_cur == RLIM_INFINITY)
		jw_null(&jw);
	else
		jw_u64(&jw, x->rl.rlim_cur);
	jw_obj_end(&jw);
	jw_end_doc(&jw);
}

static void info_print_plain(const struct fragalloc_info *info,
			     const struct info_extra *x)
{
	char buf[64];

	printf("device:           %s\n", info_device());
	printf("abi version:      %u (library %d)\n", info->out_abi_version,
	       FRAGALLOC_ABI_VERSION);
	printf("page size:        %u\n", info->out_page_size);
	printf("pageblock:        order %u, %llu pages\n",
	       info->out_pageblock_order, 1ULL << info->out_pageblock_order);
	printf("mobility classes: %u\n", info->out_nr_mobility);
	printf("features:        ");
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (info->out_features & features[i].bit)
			printf(" %s", features[i].name);
	printf("\n");
	for (size_t i = 0; i < 3; i++) {
		limit_text(buf, sizeof(buf), x->limits[i], info->out_page_size);
		printf("%-18s%s\n", limit_labels[i], buf);
	}
	printf("flags:           ");
	for (size_t i = 0; i < 4; i++)
		printf(" %s 0x%x", flag_names[i], x->flags[i]);
	printf("\n");
	if (x->rl.rlim_cur == RLIM_INFINITY) {
		printf("RLIMIT_MEMLOCK:   unlimited\n");
	} else {
		fmt_bytes(buf, sizeof(buf), x->rl.rlim_cur);
		printf("RLIMIT_MEMLOCK:   %s (CAP_IPC_LOCK exempts)\n", buf);
	}
}

int do_info(int argc, char **argv)
{
	static const struct cmd_spec spec = { .name = "info", .usage = usage };
	struct fragalloc_info info;
	struct info_extra x;
	struct fragalloc *h;
	int ret = cmd_getopt(&spec, argc, argv, NULL, &h);

	if (ret != CMD_RUN)
		return ret;
	ret = fragalloc_info(h, &info);
	fragalloc_close(h);
	if (ret) {
		p_fa_err(ret, 0, "FRAGALLOC_IOC_INFO");
		return EXIT_ERR;
	}
	info_extra_read(&info, &x);
	if (json_output)
		info_print_json(&info, &x);
	else
		info_print_plain(&info, &x);
	return EXIT_OK;
}
