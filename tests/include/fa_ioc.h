/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fa_ioc.h - one table describing every fragalloc ioctl, for the tests.
 *
 * The fuzzer (tests/fuzz) and the selftests (tests/selftests) loop over the
 * commands of uapi/linux/fragalloc.h; this table is the single place that
 * lists them, so a new command (or a structure that grows a tail) is added
 * once and every loop covers it.
 *
 *	for (size_t k = 0; k < FA_NR_IOCS; k++)
 *		ioctl(fd, fa_iocs[k].cmd, NULL);	// EFAULT for every one
 *
 * Build with -I<top>/uapi -I<top>/tests/include.
 */
#ifndef _FA_IOC_H
#define _FA_IOC_H

#include <errno.h>
#include <stddef.h>

#include <linux/fragalloc.h>

/* offset of the first byte past member @m of struct type @T */
#define FA_END_OF(T, m)	(offsetof(T, m) + sizeof(((T *)0)->m))

/* index of each command in fa_iocs[] */
enum fa_ioc_id {
	FA_IOC_INFO,
	FA_IOC_ALLOC,
	FA_IOC_FREE,
	FA_IOC_BATCH_INFO,
	FA_IOC_STATS,
	FA_IOC_RECOMPACT,
	FA_NR_IOCS
};

/* most errnos one command documents (the list is 0-terminated) */
#define FA_IOC_MAX_ERRNOS	12

/* the errnos the DOC block allows for every ioctl */
#define FA_DOC_GENERAL		ENOTTY, EFAULT, EINVAL, E2BIG

/**
 * struct ioc_desc - one fragalloc ioctl
 * @name: the command without its FRAGALLOC_IOC_ prefix, for messages
 * @cmd: the ioctl number
 * @size: sizeof() its structure as this tree's uapi header defines it
 * @min_size: the first published version of the structure: smaller sizes are
 *	EINVAL, sizes from here up to @size are older callers and accepted
 *	(only STATS grew a tail so far)
 * @flags_mask: the valid bits of its @flags member (any other is EINVAL)
 * @errnos: every errno the uapi DOC block documents for it, 0-terminated
 */
struct ioc_desc {
	const char *name;
	unsigned long cmd;
	size_t size;
	size_t min_size;
	__u32 flags_mask;
	int errnos[FA_IOC_MAX_ERRNOS];
};

static const struct ioc_desc fa_iocs[FA_NR_IOCS] __attribute__((unused)) = {
	[FA_IOC_INFO] = {
		.name = "INFO",
		.cmd = FRAGALLOC_IOC_INFO,
		.size = sizeof(struct fragalloc_info),
		.min_size = sizeof(struct fragalloc_info),
		.flags_mask = 0,
		.errnos = { FA_DOC_GENERAL },
	},
	[FA_IOC_ALLOC] = {
		.name = "ALLOC",
		.cmd = FRAGALLOC_IOC_ALLOC,
		.size = sizeof(struct fragalloc_alloc),
		.min_size = sizeof(struct fragalloc_alloc),
		.flags_mask = FRAGALLOC_ALLOC_FLAGS_MASK,
		.errnos = { FA_DOC_GENERAL, ENOMEM, EDQUOT, ENOSPC, EINTR },
	},
	[FA_IOC_FREE] = {
		.name = "FREE",
		.cmd = FRAGALLOC_IOC_FREE,
		.size = sizeof(struct fragalloc_free),
		.min_size = sizeof(struct fragalloc_free),
		.flags_mask = FRAGALLOC_FREE_FLAGS_MASK,
		.errnos = { FA_DOC_GENERAL, ENOENT },
	},
	[FA_IOC_BATCH_INFO] = {
		.name = "BATCH_INFO",
		.cmd = FRAGALLOC_IOC_BATCH_INFO,
		.size = sizeof(struct fragalloc_batch_info),
		.min_size = sizeof(struct fragalloc_batch_info),
		.flags_mask = FRAGALLOC_BATCH_INFO_FLAGS_MASK,
		.errnos = { FA_DOC_GENERAL, ENOENT, ENOMEM },
	},
	[FA_IOC_STATS] = {
		.name = "STATS",
		.cmd = FRAGALLOC_IOC_STATS,
		.size = sizeof(struct fragalloc_stats),
		/* ABI 1 ended there; out_idle_pages on is a tail extension */
		.min_size = FA_END_OF(struct fragalloc_stats, out_auto_recompact_runs),
		.flags_mask = 0,
		.errnos = { FA_DOC_GENERAL },
	},
	[FA_IOC_RECOMPACT] = {
		.name = "RECOMPACT",
		.cmd = FRAGALLOC_IOC_RECOMPACT,
		.size = sizeof(struct fragalloc_recompact),
		.min_size = sizeof(struct fragalloc_recompact),
		.flags_mask = FRAGALLOC_RECOMPACT_FLAGS_MASK,
		.errnos = { FA_DOC_GENERAL, ENOENT, EPERM, EINTR, ENOMEM },
	},
};

/* whether the DOC block lists @err for ioctl @d */
static inline int fa_ioc_documents(const struct ioc_desc *d, int err)
{
	for (int i = 0; i < FA_IOC_MAX_ERRNOS && d->errnos[i]; i++)
		if (d->errnos[i] == err)
			return 1;
	return 0;
}

#endif /* _FA_IOC_H */
