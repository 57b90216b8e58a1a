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
 *	(INFO, ALLOC, BATCH_INFO and STATS grew tails since)
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

/*
 * The entry of command @NAME, whose structure is struct @T; @v1_last is the
 * last member of its first published version (as in driver/chardev.c);
 * the variable arguments list its errnos (FA_DOC_GENERAL first).
 */
#define FA_IOC_DESC(NAME, T, v1_last, mask, ...)			\
	[FA_IOC_##NAME] = {						\
		.name = #NAME,						\
		.cmd = FRAGALLOC_IOC_##NAME,				\
		.size = sizeof(struct T),				\
		.min_size = FA_END_OF(struct T, v1_last),		\
		.flags_mask = (mask),					\
		.errnos = { __VA_ARGS__ },				\
	}

static const struct ioc_desc fa_iocs[FA_NR_IOCS] __attribute__((unused)) = {
	FA_IOC_DESC(INFO, fragalloc_info, out_recompact_flags, 0, FA_DOC_GENERAL),
	FA_IOC_DESC(ALLOC, fragalloc_alloc, out_mmap_offset, FRAGALLOC_ALLOC_FLAGS_MASK,
		    FA_DOC_GENERAL, ENOMEM, EDQUOT, ENOSPC, EINTR, EOPNOTSUPP),
	FA_IOC_DESC(FREE, fragalloc_free, out_nr_freed, FRAGALLOC_FREE_FLAGS_MASK,
		    FA_DOC_GENERAL, ENOENT),
	FA_IOC_DESC(BATCH_INFO, fragalloc_batch_info, out_policy,
		    FRAGALLOC_BATCH_INFO_FLAGS_MASK, FA_DOC_GENERAL, ENOENT, ENOMEM),
	/* ABI 1 ended there; out_idle_pages on is a tail extension */
	FA_IOC_DESC(STATS, fragalloc_stats, out_auto_recompact_runs,
		    FRAGALLOC_STATS_FLAGS_MASK, FA_DOC_GENERAL),
	FA_IOC_DESC(RECOMPACT, fragalloc_recompact, out_blocks_after,
		    FRAGALLOC_RECOMPACT_FLAGS_MASK,
		    FA_DOC_GENERAL, ENOENT, EPERM, EINTR, ENOMEM),
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
