// SPDX-License-Identifier: GPL-2.0
/*
 * fragalloc: mapping batches into user space.
 *
 * Batches are mapped VM_PFNMAP and filled by the fault handler, as TTM maps
 * buffer objects: no PTE holds a page reference and GUP cannot pin the
 * pages, so a page can be moved (recompaction) or freed after its PTEs are
 * zapped with unmap_mapping_range(). Every batch has its own range of file
 * offsets, never reused, so a zap hits exactly that batch's mappings.
 *
 * PTEs are only ever inserted into a vma that is already linked into the
 * file's i_mmap tree (a fault, or MADV_WILLNEED on an existing mapping),
 * and under fa_file.lock: that is what lets a zap under the lock for
 * writing find and remove every one of them. Hence no prefault in
 * fa_mmap(): the vma joins i_mmap only after ->mmap returns, so a zap in
 * between would miss what ->mmap inserted and leave a PTE to a page that is
 * then moved or freed. MAP_POPULATE itself never reaches the driver
 * (mm_populate() skips VM_PFNMAP vmas); MADV_WILLNEED is the way to
 * populate (docs/ABI.md).
 */
#include <linux/fadvise.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>

#include "fa.h"
#include "compat.h"

/*
 * Pages a fault inserts around the faulting one (aligned window, within one
 * page table): one fault per 64 pages of a sequential walk. TTM's
 * TTM_BO_VM_NUM_PREFAULT and the page cache's fault-around take 16; with
 * one walk per window (fa_insert_range()) a 64-page window costs little
 * more than a 16-page one and takes a quarter of the faults: 1.30-1.40x
 * against 1.14-1.42x anonymous memory on 6.12 (docs/BENCHMARKS.md, "Speed").
 */
#define FA_FAULT_AROUND		64

/* Pages MADV_WILLNEED inserts per hold of fa_file.lock. */
#define FA_POPULATE_CHUNK	512

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

/* A range being filled: the mm, the batch's page at the next PTE, its prot. */
struct fa_insert {
	struct mm_struct *mm;
	struct page **page;
	pgprot_t prot;
};

/* apply_to_page_range()'s step: one PTE of the range, its lock held. */
static int fa_insert_pte(pte_t *pte, unsigned long addr, void *data)
{
	struct fa_insert *ins = data;
	struct page *page = *ins->page++;

	/* A hole keeps no PTE; one a racing fault set is left as it is. */
	if (page && pte_none(ptep_get(pte)))
		set_pte_at(ins->mm, addr, pte,
			   pte_mkspecial(pfn_pte(page_to_pfn(page), ins->prot)));
	return 0;
}

/*
 * Insert the present pages of file page offsets [@first, @end) of @vma;
 * fa_file.lock held, @vma accessible (a fault, or fa_populate_vma()).
 * Holes get no PTE, so touching one still faults and gets SIGBUS.
 *
 * One walk of the page tables and one PTE lock per page table for the
 * whole range (apply_to_page_range(), as i915 fills its PFN mappings from
 * its fault handler), where vmf_insert_pfn() walks, locks and looks up the
 * PAT memory type once per page, 0.84 us of every page's mapping here
 * (docs/BENCHMARKS.md, "Speed"). The PTE is the one vmf_insert_pfn() makes
 * for a pfn of RAM: special (no struct page behind it for the VM, no
 * reference, no GUP), with the vma's protection. The PAT lookup it skips
 * would give write-back, the mode vm_page_prot already has: these are the
 * buddy allocator's pages, whose memory type nobody changes (a caller of
 * set_memory_*() owns its pages; these are the driver's). Return: the
 * result for @want (VM_FAULT_SIGBUS if it is a hole or not in the range).
 */
static vm_fault_t fa_insert_range(struct vm_area_struct *vma,
				  struct fa_file *ff, unsigned long first,
				  unsigned long end, unsigned long want)
{
	struct fa_batch *b;
	struct fa_insert ins;
	int err;

	b = fa_batch_by_pgoff(ff, first);
	/* The batch may have been freed since the mapping was made. */
	if (!b)
		return VM_FAULT_SIGBUS;
	end = min(end, b->pgoff + b->nr_pages);
	if (first >= end)
		return VM_FAULT_SIGBUS;
	ins.mm = vma->vm_mm;
	ins.page = &b->pages[first - b->pgoff];
	ins.prot = vma->vm_page_prot;
	/*
	 * Page tables could not be had: the PTEs set so far map the batch's
	 * pages as any fault would, and a zap removes them as any other.
	 */
	err = apply_to_page_range(vma->vm_mm, vma->vm_start +
				  ((first - vma->vm_pgoff) << PAGE_SHIFT),
				  (end - first) << PAGE_SHIFT, fa_insert_pte,
				  &ins);
	if (want < first || want >= end || !b->pages[want - b->pgoff])
		return VM_FAULT_SIGBUS;
	if (err)
		return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	return VM_FAULT_NOPAGE;
}

static vm_fault_t fa_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct fa_file *ff = vma->vm_private_data;
	unsigned long first, end, base, start_addr, end_addr;
	vm_fault_t ret;

	/*
	 * The aligned window of addresses, within the vma: within one page
	 * table too, so a failure to get it leaves no PTE of the window set.
	 */
	base = ALIGN_DOWN(vmf->address, FA_FAULT_AROUND * PAGE_SIZE);
	start_addr = max(base, vma->vm_start);
	end_addr = min(base + FA_FAULT_AROUND * PAGE_SIZE, vma->vm_end);
	first = vma->vm_pgoff + ((start_addr - vma->vm_start) >> PAGE_SHIFT);
	end = vma->vm_pgoff + ((end_addr - vma->vm_start) >> PAGE_SHIFT);

	down_read(&ff->lock);
	ret = fa_insert_range(vma, ff, first, end, vmf->pgoff);
	up_read(&ff->lock);
	return ret;
}

static const struct vm_operations_struct fa_vm_ops = {
	.fault = fa_vm_fault,
};

/* Insert every present page of @vma from file offset @first to @end. */
static void fa_populate_vma(struct vm_area_struct *vma, unsigned long first,
			    unsigned long end)
{
	struct fa_file *ff = vma->vm_private_data;
	unsigned long next;

	/*
	 * PROT_NONE: no touch can use a PTE (and the one vm_page_prot would
	 * make is not present, a kind fa_insert_range() does not make).
	 */
	if (!(vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC)))
		return;
	/*
	 * In chunks: a FREE or a recompaction waits for the lock at most one
	 * chunk's time.
	 */
	for (; first < end; first = next) {
		next = min(end, first + FA_POPULATE_CHUNK);
		down_read(&ff->lock);
		fa_insert_range(vma, ff, first, next, ULONG_MAX);
		up_read(&ff->lock);
		if (fatal_signal_pending(current))
			break;
		cond_resched();
	}
}

/**
 * fa_fadvise() - POSIX_FADV_WILLNEED populates the caller's mappings
 * @file: the fragalloc file
 * @offset: first byte of the range, in mmap offsets
 * @len: bytes (0: to the end)
 * @advice: POSIX_FADV_*
 *
 * madvise(MADV_WILLNEED) on a mapping of @file arrives here, with the
 * mmap_lock dropped, for the range of offsets it covers: every present page
 * of that range is inserted into the caller's mappings of @file, so that
 * the first touches take no fault. Other advice has its generic meaning.
 * The mappings filled are those of the calling task's mm: a
 * process_madvise() on another process's mapping reaches this hook in the
 * caller's context, which cannot see the target mm, and fills nothing of it.
 *
 * Return: 0; -EINVAL for a negative @len; -EINTR if a fatal signal came
 * while waiting for the mmap lock; generic_fadvise()'s errno for other
 * advice.
 */
int fa_fadvise(struct file *file, loff_t offset, loff_t len, int advice)
{
	struct mm_struct *mm = current->mm;
	unsigned long first, end, vfirst, vend;
	struct vm_area_struct *vma;
	loff_t stop;

	if (advice != POSIX_FADV_WILLNEED)
		return generic_fadvise(file, offset, len, advice);
	/* as generic_fadvise() answers a negative length */
	if (len < 0)
		return -EINVAL;
	if (!mm || offset < 0)
		return 0;
	first = offset >> PAGE_SHIFT;
	/* len 0, as for posix_fadvise(), or past the largest offset: to the end */
	if (!len || check_add_overflow(offset, len, &stop))
		end = ULONG_MAX;
	else
		end = ((stop - 1) >> PAGE_SHIFT) + 1;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	{
		VMA_ITERATOR(vmi, mm, 0);

		for_each_vma(vmi, vma) {
			if (vma->vm_file != file || vma->vm_ops != &fa_vm_ops)
				continue;
			vfirst = max(first, vma->vm_pgoff);
			vend = min(end, vma->vm_pgoff + vma_pages(vma));
			if (vfirst < vend)
				fa_populate_vma(vma, vfirst, vend);
			if (fatal_signal_pending(current))
				break;
		}
	}
	mmap_read_unlock(mm);
	return 0;
}

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
