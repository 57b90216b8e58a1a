/* SPDX-License-Identifier: MIT */
/*
 * libfragalloc internals. Not installed.
 *
 * Copyright (C) 2026 The fragalloc authors
 */
#ifndef FRAGALLOC_INTERNAL_H
#define FRAGALLOC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "fragalloc.h"

#define FA_EXPORT __attribute__((visibility("default")))

/*
 * Struct sizes of ABI version 1 (the first published version). A kernel
 * accepts any size from these up; see fa_ioctl_sized().
 */
#define FRAGALLOC_INFO_SIZE_VER1		72
#define FRAGALLOC_ALLOC_SIZE_VER1		64
#define FRAGALLOC_FREE_SIZE_VER1		40
#define FRAGALLOC_BATCH_INFO_SIZE_VER1		80
#define FRAGALLOC_STATS_SIZE_VER1		248
#define FRAGALLOC_RECOMPACT_SIZE_VER1		72

struct fragalloc {
	int fd;
	uint32_t page_size;
	uint32_t pageblock_order;
	uint32_t abi_version;
	uint64_t features;	/* INFO's FRAGALLOC_FEAT_* */
	uint32_t nr_node_ids;	/* INFO's out_nr_node_ids (0: an older module) */
};

/*
 * ALLOC with @node in its node field (0 unless @flags has
 * FRAGALLOC_ALLOC_NODE); the batch's flags leave that bit out.
 */
int fa_alloc(struct fragalloc *h, uint64_t nr_pages,
	     enum fragalloc_mobility mobility, enum fragalloc_policy policy,
	     uint32_t flags, int node, struct fragalloc_batch *out);

/* A node list ("0-1,3") into @ids (up to @max): the count, or -EBADMSG. */
int fa_node_list_parse(const char *s, int *ids, size_t max);

/* ioctl(2) hook, replaceable by unit tests. Returns -1/errno like ioctl. */
typedef int (*fa_ioctl_fn)(int fd, unsigned long req, void *arg);
extern fa_ioctl_fn fa_ioctl_hook;

/*
 * Issues @req with @arg whose first member is "__u32 size": sets it to
 * @size; on E2BIG retries with @ver1_size if the bytes [ver1_size, size) of
 * @arg are all zero, else returns -EOPNOTSUPP. Returns 0 or -errno.
 */
int fa_ioctl_sized(int fd, unsigned long req, void *arg, size_t size,
		   size_t ver1_size);

/* Largest /proc or debugfs table read: far above any real one. */
#define FA_TEXT_MAX_BYTES	(16u << 20)

/*
 * Reads the whole file at @path into a malloc'ed, NUL-terminated *@out of
 * *@len bytes (the NUL not counted). Errors: the open/read errno, EFBIG
 * (FA_TEXT_MAX_BYTES or more), ENOMEM.
 */
int fa_read_file(const char *path, char **out, size_t *len);

/*
 * A GET_STATS reply (one netlink message) into *@out. Errors as
 * fragalloc_event_parse(); a CLASS nest without CLASS_ID is EBADMSG.
 */
int fa_nl_stats_parse(const void *buf, size_t len,
		      struct fragalloc_nl_stats *out);
/* 1 if @buf is nlctrl's CTRL_CMD_DELFAMILY of @family, else 0. */
int fa_nl_family_removed(const void *buf, size_t len, int family);
/*
 * The message at *@pos of the datagram @buf[0, @fill), advancing *@pos:
 * its length, 0 at the end, -EBADMSG for a header overrunning the datagram
 * (the rest of it is dropped).
 */
int fa_nl_next_msg(const unsigned char *buf, size_t fill, size_t *pos,
		   const unsigned char **msg);
/*
 * The next event of @family in the datagram (as fa_nl_next_msg()): 1 with
 * *@ev, 0 when none is left, -ENODEV when nlctrl says the family was
 * removed, -EBADMSG for a malformed one (the next call goes on after it).
 * Other families' and other commands' messages are skipped.
 */
int fa_nl_next_event(const unsigned char *buf, size_t fill, size_t *pos,
		     int family, struct fragalloc_event *ev);

#ifdef FA_HAVE_LIBNL
/*
 * fragalloc_monitor_open() and fragalloc_nl_stats() for another family and
 * group, so that the host tests drive the socket code with a family every
 * kernel has (nlctrl).
 */
int fa_monitor_open_family(const char *name, const char *group,
			   struct fragalloc_monitor **out);
int fa_nl_stats_family(const char *name, int class_id,
		       struct fragalloc_nl_stats *out);
#endif

#endif
