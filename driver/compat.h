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

#ifndef FA_HAVE_SHRINKER_ALLOC
static inline struct shrinker *
fa_shrinker_create(const char *name,
		   unsigned long (*count)(struct shrinker *,
					  struct shrink_control *),
		   unsigned long (*scan)(struct shrinker *,
					 struct shrink_control *))
{
	static struct shrinker s;

	s.count_objects = count;
	s.scan_objects = scan;
	s.seeks = DEFAULT_SEEKS;
	if (register_shrinker(&s, "%s", name))
		return NULL;
	return &s;
}

static inline void fa_shrinker_destroy(struct shrinker *s)
{
	if (s)
		unregister_shrinker(s);
}
#else
static inline struct shrinker *
fa_shrinker_create(const char *name,
		   unsigned long (*count)(struct shrinker *,
					  struct shrink_control *),
		   unsigned long (*scan)(struct shrinker *,
					 struct shrink_control *))
{
	struct shrinker *s = shrinker_alloc(0, "%s", name);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	shrinker_register(s);
	return s;
}

static inline void fa_shrinker_destroy(struct shrinker *s)
{
	shrinker_free(s);
}
#endif

#endif /* _FRAGALLOC_COMPAT_H */
