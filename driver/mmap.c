// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: mapping batches into user space.
 *
 * Batches are mapped VM_PFNMAP and filled by the fault handler, as TTM maps
 * buffer objects: no PTE holds a page reference and GUP cannot pin the
 * pages, so a page can be moved (recompaction) or freed after its PTEs are
 * zapped with unmap_mapping_range(). Every batch has its own range of file
 * offsets, never reused, so a zap hits exactly that batch's mappings.
 */
#include <linux/mm.h>

#include "fa.h"
#include "compat.h"

/**
 * fa_zap_range() - remove every user PTE of a range of batch pages
 * @ff: the file the batch belongs to
 * @pgoff: first mmap page offset
 * @nr_pages: pages in the range
 *
 * Called with @ff->lock held for writing, so no fault can map the pages again
 * until the caller has changed them.
 */
void fa_zap_range(struct fa_file *ff, unsigned long pgoff,
		  unsigned long nr_pages)
{
	unmap_mapping_range(ff->mapping, (loff_t)pgoff << PAGE_SHIFT,
			    (loff_t)nr_pages << PAGE_SHIFT, 1);
}

static vm_fault_t fa_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct fa_file *ff = vma->vm_private_data;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	struct fa_batch *b;
	struct page *page;

	down_read(&ff->lock);
	b = fa_batch_by_pgoff(ff, vmf->pgoff);
	/* The batch may have been freed, or this page punched out. */
	if (b) {
		page = b->pages[vmf->pgoff - b->pgoff];
		if (page)
			ret = vmf_insert_pfn(vma, vmf->address,
					     page_to_pfn(page));
	}
	up_read(&ff->lock);
	return ret;
}

static const struct vm_operations_struct fa_vm_ops = {
	.fault = fa_vm_fault,
};

int fa_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct fa_file *ff = file->private_data;
	unsigned long last;
	struct fa_batch *b;
	int ret = 0;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (check_add_overflow(vma->vm_pgoff, vma_pages(vma) - 1, &last))
		return -ENXIO;

	down_read(&ff->lock);
	b = fa_batch_by_pgoff(ff, vma->vm_pgoff);
	if (!b || last >= b->pgoff + b->nr_pages)
		ret = -ENXIO;
	up_read(&ff->lock);
	if (ret)
		return ret;

	fa_vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &fa_vm_ops;
	vma->vm_private_data = ff;
	return 0;
}
