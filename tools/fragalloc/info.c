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

int do_info(int argc, char **argv)
{
	static const struct option opts[] = { COMMON_LONGOPTS, { 0 } };
	struct fragalloc_info info;
	struct fragalloc *h;
	struct rlimit rl;
	char buf[64];
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, COMMON_SHORTOPTS, opts, NULL)) != -1) {
		int r = common_opt(c);

		if (r < 0)
			return usage();
		if (!r)
			return usage_err("info: bad option");
	}
	if (optind < argc)
		return usage_err("info: unexpected argument '%s'", argv[optind]);
	jw_init(&jw, stdout, pretty_output);

	if (open_device(&h))
		return EXIT_ERR;
	ret = fragalloc_info(h, &info);
	if (ret) {
		p_fa_err(ret, 0, "FRAGALLOC_IOC_INFO");
		fragalloc_close(h);
		return EXIT_ERR;
	}
	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		rl.rlim_cur = RLIM_INFINITY;

	if (json_output) {
		jw_obj_start(&jw);
		jw_kstr(&jw, "device", device_path ? device_path : FRAGALLOC_DEFAULT_PATH);
		jw_ku64(&jw, "abi_version", info.out_abi_version);
		jw_ku64(&jw, "lib_abi_version", FRAGALLOC_ABI_VERSION);
		jw_ku64(&jw, "page_size", info.out_page_size);
		jw_ku64(&jw, "pageblock_order", info.out_pageblock_order);
		jw_ku64(&jw, "pageblock_pages", 1ULL << info.out_pageblock_order);
		jw_ku64(&jw, "nr_mobility", info.out_nr_mobility);
		jw_ku64(&jw, "features_mask", info.out_features);
		jw_key(&jw, "features");
		jw_arr_start(&jw);
		for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
			if (info.out_features & features[i].bit)
				jw_str(&jw, features[i].name);
		jw_arr_end(&jw);
		jw_ku64(&jw, "max_batch_pages", info.out_max_batch_pages);
		jw_ku64(&jw, "max_fd_pages", info.out_max_fd_pages);
		jw_ku64(&jw, "max_total_pages", info.out_max_total_pages);
		jw_ku64(&jw, "alloc_flags", info.out_alloc_flags);
		jw_ku64(&jw, "free_flags", info.out_free_flags);
		jw_ku64(&jw, "batch_info_flags", info.out_batch_info_flags);
		jw_ku64(&jw, "recompact_flags", info.out_recompact_flags);
		jw_key(&jw, "memlock_limit");
		if (rl.rlim_cur == RLIM_INFINITY)
			jw_null(&jw);
		else
			jw_u64(&jw, rl.rlim_cur);
		jw_obj_end(&jw);
		jw_end_doc(&jw);
	} else {
		printf("device:           %s\n",
		       device_path ? device_path : FRAGALLOC_DEFAULT_PATH);
		printf("abi version:      %u (library %d)\n", info.out_abi_version,
		       FRAGALLOC_ABI_VERSION);
		printf("page size:        %u\n", info.out_page_size);
		printf("pageblock:        order %u, %llu pages\n",
		       info.out_pageblock_order,
		       1ULL << info.out_pageblock_order);
		printf("mobility classes: %u\n", info.out_nr_mobility);
		printf("features:        ");
		for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
			if (info.out_features & features[i].bit)
				printf(" %s", features[i].name);
		printf("\n");
		limit_text(buf, sizeof(buf), info.out_max_batch_pages, info.out_page_size);
		printf("max batch:        %s\n", buf);
		limit_text(buf, sizeof(buf), info.out_max_fd_pages, info.out_page_size);
		printf("max per fd:       %s\n", buf);
		limit_text(buf, sizeof(buf), info.out_max_total_pages, info.out_page_size);
		printf("max total:        %s\n", buf);
		printf("flags:            alloc 0x%x free 0x%x batch_info 0x%x recompact 0x%x\n",
		       info.out_alloc_flags, info.out_free_flags,
		       info.out_batch_info_flags, info.out_recompact_flags);
		if (rl.rlim_cur == RLIM_INFINITY) {
			printf("RLIMIT_MEMLOCK:   unlimited\n");
		} else {
			fmt_bytes(buf, sizeof(buf), rl.rlim_cur);
			printf("RLIMIT_MEMLOCK:   %s (CAP_IPC_LOCK exempts)\n", buf);
		}
	}
	fragalloc_close(h);
	return EXIT_OK;
}
