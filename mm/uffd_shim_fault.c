// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-shim fault path: the default vm_uffd_ops callbacks of a page-cache
 * memory type, the default ->fault with its MISSING and MINOR hand-off to
 * handle_userfault() (not exported: this is why the shim is built in), and
 * the one insertion path every page the shim adds takes.
 */

#define pr_fmt(fmt) "uffd_shim: " fmt

#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/userfaultfd_k.h>
#include "uffd_shim_internal.h"

/* Charge @nr pages to @inode's type: 0, or the type's refusal. */
int uffd_shim_type_account(const struct uffd_shim_type *type,
			   struct inode *inode, long nr)
{
	if (!type || !type->ops.account)
		return 0;
	return type->ops.account(inode, nr);
}

/* Give back @nr pages accounted to @inode that left or never got in. */
void uffd_shim_type_unaccount(const struct uffd_shim_type *type,
			      struct inode *inode, long nr)
{
	if (!type || nr <= 0)
		return;
	if (type->ops.unaccount)
		type->ops.unaccount(inode, nr);
	else if (type->ops.account)
		type->ops.account(inode, -nr);
}

/*
 * Account @folio to @type, prepare it, then insert it at @index of
 * @mapping: 0 with the folio locked in the cache, or an errno with nothing
 * inserted, prepared or accounted. Every page the shim puts in a page
 * cache comes through here.
 */
int uffd_shim_type_insert(const struct uffd_shim_type *type,
			  struct address_space *mapping, struct folio *folio,
			  pgoff_t index)
{
	struct inode *inode = mapping->host;
	long nr = folio_nr_pages(folio);
	int err = uffd_shim_type_account(type, inode, nr);

	if (err)
		return err;
	if (type && type->ops.prepare_folio) {
		err = type->ops.prepare_folio(inode, folio);
		if (err)
			goto unaccount;
	}
	err = uffd_shim_filemap_add_folio(mapping, folio, index);
	if (err)
		goto unprepare;
	return 0;

unprepare:
	if (type && type->ops.prepare_folio && type->ops.free_folio)
		type->ops.free_folio(folio);
unaccount:
	uffd_shim_type_unaccount(type, inode, nr);
	return err;
}

/**
 * uffd_shim_filemap_insert() - put a new folio in a type's page cache.
 * @mapping: the page cache of a file of a memory type.
 * @folio: a new folio, as uffd_shim_filemap_add_folio() takes it.
 * @index: where, in pages.
 *
 * The way every page enters the page cache of a type's file: accounted by
 * the type's @account, prepared by its @prepare_folio, then inserted as by
 * uffd_shim_filemap_add_folio(). A driver's own filemap_add or fault path
 * uses it so that its pages are counted and prepared as the shim's are
 * (Rust's AddressSpace::add_folio() does).
 *
 * Return: 0 with @folio locked in the page cache; or the error of
 * @account, @prepare_folio or uffd_shim_filemap_add_folio(), with nothing
 * inserted, prepared or accounted.
 */
int uffd_shim_filemap_insert(struct address_space *mapping,
			     struct folio *folio, pgoff_t index)
{
	return uffd_shim_type_insert(uffd_shim_inode_type(mapping->host),
				     mapping, folio, index);
}
EXPORT_SYMBOL_GPL(uffd_shim_filemap_insert);

static bool index_beyond_eof(struct inode *inode, pgoff_t index)
{
	return index >= DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);
}

/* --- Default callbacks for page-cache memory types ------------------------- */

/**
 * uffd_shim_default_get_folio_noalloc() - default get_folio_noalloc.
 * @inode: the file's inode.
 * @pgoff: page index.
 *
 * Serves UFFDIO_CONTINUE: the page must already be in the page cache.
 *
 * Return: the folio locked with a reference; ERR_PTR(-ENOENT) on a hole or
 * at/after EOF (userspace sees -EFAULT), ERR_PTR(-EIO) if not uptodate.
 */
struct folio *uffd_shim_default_get_folio_noalloc(struct inode *inode,
						  pgoff_t pgoff)
{
	struct folio *folio;

	if (index_beyond_eof(inode, pgoff))
		return ERR_PTR(-ENOENT);
	folio = filemap_lock_folio(inode->i_mapping, pgoff);
	if (IS_ERR(folio))
		return ERR_PTR(-ENOENT);
	if (!folio_test_uptodate(folio)) {
		folio_unlock(folio);
		folio_put(folio);
		return ERR_PTR(-EIO);
	}
	return folio;
}
EXPORT_SYMBOL_GPL(uffd_shim_default_get_folio_noalloc);

/**
 * uffd_shim_default_alloc_folio() - default alloc_folio.
 * @vma: the destination VMA of UFFDIO_COPY or UFFDIO_ZEROPAGE.
 * @addr: destination address.
 *
 * Return: as uffd_shim_folio_alloc_vma(), but the contents are undefined:
 * UFFDIO_COPY and UFFDIO_ZEROPAGE overwrite the whole folio before
 * filemap_add, which refuses it unless it is uptodate. The EOF check is
 * left to filemap_add so that a fill beyond EOF fails with -EFAULT, not
 * -ENOMEM.
 */
struct folio *uffd_shim_default_alloc_folio(struct vm_area_struct *vma,
					    unsigned long addr)
{
	/* Not zeroed: the kernel writes every byte before filemap_add. */
	return uffd_shim_alloc_charged(mapping_gfp_mask(vma->vm_file->f_mapping),
			     vma->vm_mm, GFP_KERNEL);
}
EXPORT_SYMBOL_GPL(uffd_shim_default_alloc_folio);

static int type_filemap_add(const struct uffd_shim_type *type,
			    struct address_space *mapping,
			    struct folio *folio, pgoff_t index)
{
	/* The kernel rechecks under the PTE lock; this saves the work. */
	if (index_beyond_eof(mapping->host, index))
		return -EFAULT;
	return uffd_shim_type_insert(type, mapping, folio, index);
}

/**
 * uffd_shim_default_filemap_add() - default filemap_add.
 * @folio: a folio from alloc_folio.
 * @vma: the destination VMA.
 * @addr: destination address.
 *
 * Refuses an index at or beyond EOF, accounts the page with the type's
 * ->account hook, then inserts it as uffd_shim_filemap_add_folio() does.
 *
 * Return: 0 with @folio locked in the page cache, or a negative errno
 * (-EFAULT beyond EOF, ->account's error, -EEXIST) with @folio unlocked
 * and nothing accounted.
 */
int uffd_shim_default_filemap_add(struct folio *folio,
				  struct vm_area_struct *vma,
				  unsigned long addr)
{
	return type_filemap_add(uffd_shim_vma_type(vma), vma->vm_file->f_mapping,
				folio, linear_page_index(vma, addr));
}
EXPORT_SYMBOL_GPL(uffd_shim_default_filemap_add);

/**
 * uffd_shim_default_filemap_remove() - default filemap_remove.
 * @folio: a folio that filemap_add inserted, still locked.
 * @vma: the destination VMA.
 *
 * Undoes uffd_shim_default_filemap_add(): removes and unlocks. The page
 * leaves the page cache, so the mapping's ->free_folio sees it, as for any
 * truncation; that is where a driver unaccounts. A folio that is not
 * locked is left alone, with a warning: its lock is not the caller's to
 * give back. The caller must hold the lock: folio locks have no owner, so
 * a lock another task holds cannot be told from the caller's.
 */
void uffd_shim_default_filemap_remove(struct folio *folio,
				      struct vm_area_struct *vma)
{
	if (WARN_ON_ONCE(!folio_test_locked(folio)))
		return;
	uffd_shim_filemap_remove_folio(folio);
	folio_unlock(folio);
}
EXPORT_SYMBOL_GPL(uffd_shim_default_filemap_remove);

/* --- Fault path ------------------------------------------------------------ */

/**
 * uffd_shim_vma_wants_missing() - is the VMA registered for MISSING faults?
 * @vma: the faulting VMA.
 *
 * Return: true if a fault on a hole must go to userfaultfd.
 */
bool uffd_shim_vma_wants_missing(struct vm_area_struct *vma)
{
	return userfaultfd_missing(vma);
}
EXPORT_SYMBOL_GPL(uffd_shim_vma_wants_missing);

/**
 * uffd_shim_vma_wants_minor() - is the VMA registered for MINOR faults?
 * @vma: the faulting VMA.
 *
 * Return: true if a fault on a page present in the page cache must go to
 * userfaultfd.
 */
bool uffd_shim_vma_wants_minor(struct vm_area_struct *vma)
{
	return userfaultfd_minor(vma);
}
EXPORT_SYMBOL_GPL(uffd_shim_vma_wants_minor);

/**
 * uffd_shim_handle_missing() - hand a fault on a hole to userfaultfd.
 * @vmf: the fault; the caller holds no folio lock or reference for it.
 *
 * Context: from ->fault. May drop the mmap/VMA lock and sleep until the
 * userfaultfd handler resolves the fault.
 *
 * Return: the vm_fault_t to return from ->fault; VM_FAULT_SIGBUS (with a
 * warning) if the VMA is not registered for MISSING.
 */
vm_fault_t uffd_shim_handle_missing(struct vm_fault *vmf)
{
	if (WARN_ON_ONCE(!userfaultfd_missing(vmf->vma)))
		return VM_FAULT_SIGBUS;
	return handle_userfault(vmf, VM_UFFD_MISSING);
}
EXPORT_SYMBOL_GPL(uffd_shim_handle_missing);

/**
 * uffd_shim_handle_minor() - hand a fault on a cached page to userfaultfd.
 * @vmf: the fault; the caller holds no folio lock or reference for it.
 *
 * Context: as uffd_shim_handle_missing().
 * Return: the vm_fault_t to return from ->fault; VM_FAULT_SIGBUS (with a
 * warning) if the VMA is not registered for MINOR.
 */
vm_fault_t uffd_shim_handle_minor(struct vm_fault *vmf)
{
	if (WARN_ON_ONCE(!userfaultfd_minor(vmf->vma)))
		return VM_FAULT_SIGBUS;
	return handle_userfault(vmf, VM_UFFD_MINOR);
}
EXPORT_SYMBOL_GPL(uffd_shim_handle_minor);

/**
 * uffd_shim_fault() - default ->fault for page-cache memory types.
 * @vmf: the fault.
 *
 * A page in the page cache is returned locked, unless the VMA is registered
 * for MINOR faults, which go to userfaultfd. A hole goes to userfaultfd when
 * the VMA is registered for MISSING, and is otherwise filled with a zeroed,
 * accounted folio. Beyond EOF is SIGBUS.
 *
 * Return: VM_FAULT_LOCKED with vmf->page set, or the userfaultfd result, or
 * VM_FAULT_SIGBUS / VM_FAULT_OOM / VM_FAULT_HWPOISON.
 */
vm_fault_t uffd_shim_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct address_space *mapping = vma->vm_file->f_mapping;
	struct inode *inode = mapping->host;
	struct folio *folio;
	int err;

retry:
	if (index_beyond_eof(inode, vmf->pgoff))
		return VM_FAULT_SIGBUS;

	folio = filemap_get_folio(mapping, vmf->pgoff);
	if (!IS_ERR(folio)) {
		if (userfaultfd_minor(vma)) {
			folio_put(folio);
			return handle_userfault(vmf, VM_UFFD_MINOR);
		}
		folio_lock(folio);
		if (unlikely(folio->mapping != mapping)) {
			/* Truncated while we slept on the lock. */
			folio_unlock(folio);
			folio_put(folio);
			goto retry;
		}
		if (unlikely(uffd_shim_folio_test_hwpoison(folio))) {
			folio_unlock(folio);
			folio_put(folio);
			return VM_FAULT_HWPOISON;
		}
		/* The shim adds uptodate folios only: a driver added this. */
		if (WARN_ON_ONCE(!folio_test_uptodate(folio))) {
			folio_unlock(folio);
			folio_put(folio);
			return VM_FAULT_SIGBUS;
		}
		/* As filemap_fault(): truncation may not have reached it yet. */
		if (unlikely(index_beyond_eof(inode, vmf->pgoff))) {
			folio_unlock(folio);
			folio_put(folio);
			return VM_FAULT_SIGBUS;
		}
		vmf->page = folio_file_page(folio, vmf->pgoff);
		return VM_FAULT_LOCKED;
	}

	if (userfaultfd_missing(vma))
		return handle_userfault(vmf, VM_UFFD_MISSING);

	folio = uffd_shim_folio_alloc_vma(vma, vmf->address);
	if (!folio)
		return VM_FAULT_OOM;
	__folio_mark_uptodate(folio);
	err = type_filemap_add(uffd_shim_vma_type(vma), mapping, folio,
			       vmf->pgoff);
	if (err) {
		folio_put(folio);
		/* Lost a race with another fault or a fill: use theirs. */
		if (err == -EEXIST)
			goto retry;
		return vmf_error(err);
	}
	/*
	 * A truncation that set i_size after the check in type_filemap_add()
	 * may have swept the page cache before this insertion: recheck now
	 * that the folio is findable and locked, as shmem does, or it would
	 * outlive the truncation beyond EOF.
	 */
	if (unlikely(index_beyond_eof(inode, vmf->pgoff))) {
		filemap_remove_folio(folio);
		uffd_shim_ram_recalc(inode);
		folio_unlock(folio);
		folio_put(folio);
		return VM_FAULT_SIGBUS;
	}
	vmf->page = folio_file_page(folio, vmf->pgoff);
	return VM_FAULT_LOCKED;
}
EXPORT_SYMBOL_GPL(uffd_shim_fault);
