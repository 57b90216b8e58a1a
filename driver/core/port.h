/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fragalloc portable core: the only place where the kernel and the host
 * (userspace unit test) builds differ.
 */
#ifndef _FRAGALLOC_CORE_PORT_H
#define _FRAGALLOC_CORE_PORT_H

#ifdef __KERNEL__

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/bug.h>
#include <linux/sched.h>

/* kvzalloc: the planner's scratch array grows with the pool */
#define fa_zalloc(size)		kvzalloc((size), GFP_KERNEL)
#define fa_free(ptr)		kvfree(ptr)
/* long loops under the caller's lock yield (the lock is a mutex) */
#define fa_resched()		cond_resched()
#define FA_WARN_ON(cond)		WARN_ON(cond)
#define fa_ffs_word(w)		__ffs(w)
#define fa_popcount_word(w)	hweight_long(w)

#else /* !__KERNEL__ */

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <limits.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#ifndef BITS_PER_LONG
#define BITS_PER_LONG		((int)(sizeof(long) * CHAR_BIT))
#endif

/*
 * Host builds: misuse and broken invariants abort by default; tests that
 * exercise misuse on purpose set fa_warn_fatal = false and count instead.
 * Both are defined by the host test programs (tests/core/harness/port_user.c).
 */
extern bool fa_warn_fatal;
extern unsigned long fa_warn_count;
bool fa_warn_report(const char *file, int line, const char *cond);

#define FA_WARN_ON(cond) \
	((cond) ? fa_warn_report(__FILE__, __LINE__, #cond) : false)

#ifndef BIT
#define BIT(nr)			(1UL << (nr))
#endif

#define fa_zalloc(size)		calloc(1, (size))
#define fa_free(ptr)		free(ptr)
#define fa_resched()		do { } while (0)
#define fa_ffs_word(w)		((unsigned long)__builtin_ctzl(w))
#define fa_popcount_word(w)	((unsigned int)__builtin_popcountl(w))

#endif /* __KERNEL__ */

#define FA_BITS_TO_LONGS(n)	(((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)

/*
 * Minimal circular doubly linked list, shared by both builds so that the
 * core does not depend on <linux/list.h> semantics.
 */
struct fa_list {
	struct fa_list *next;
	struct fa_list *prev;
};

static inline void fa_list_init(struct fa_list *head)
{
	head->next = head;
	head->prev = head;
}

static inline bool fa_list_empty(const struct fa_list *head)
{
	return head->next == head;
}

static inline void fa_list_add(struct fa_list *node, struct fa_list *head)
{
	node->next = head->next;
	node->prev = head;
	head->next->prev = node;
	head->next = node;
}

static inline void fa_list_del(struct fa_list *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	node->next = node;
	node->prev = node;
}

#define fa_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#endif /* _FRAGALLOC_CORE_PORT_H */
