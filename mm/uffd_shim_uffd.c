// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-shim's native backend (Linux 7.2 and later): the vm_uffd_ops and
 * ->mmap_prepare of a type, through which the kernel's userfaultfd calls
 * the type's callbacks, checked where the kernel would trust them.
 */

#define pr_fmt(fmt) "uffd_shim: " fmt

#include <linux/backing-dev.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/userfaultfd_k.h>
#include "uffd_shim_internal.h"

#ifndef VM_UFFD_RWP	/* Linux 7.3 */
#define VM_UFFD_RWP VM_NONE
#endif

/* A mode this shim does not know maps to a bit no type declares. */
#define UFFD_SHIM_MODE_UNKNOWN BIT(31)

static unsigned int vm_flags_to_modes(vm_flags_t vm_flags)
{
	vm_flags_t known = VM_UFFD_MISSING | VM_UFFD_MINOR | VM_UFFD_WP |
			   VM_UFFD_RWP;
	unsigned int modes = 0;

	if (vm_flags & VM_UFFD_MISSING)
		modes |= UFFD_SHIM_MODE_MISSING;
	if (vm_flags & VM_UFFD_MINOR)
		modes |= UFFD_SHIM_MODE_MINOR;
	if (vm_flags & VM_UFFD_WP)
		modes |= UFFD_SHIM_MODE_WP;
	if (vm_flags & VM_UFFD_RWP)
		modes |= UFFD_SHIM_MODE_RWP;
	if (vm_flags & __VM_UFFD_FLAGS & ~known)
		modes |= UFFD_SHIM_MODE_UNKNOWN;
	return modes;
}

static bool uffd_shim_can_userfault(struct vm_area_struct *vma,
				    vm_flags_t vm_flags)
{
	const struct uffd_shim_type *type = uffd_shim_vma_type(vma);
	unsigned int modes = vm_flags_to_modes(vm_flags);

	if (!type || modes & ~type->ops.modes)
		return false;
	if (type->ops.can_userfault)
		return type->ops.can_userfault(vma, modes);
	return true;
}

/* The type's say on a mapping: refuse it, or add flags to it. */
static int mmap_policy(const struct uffd_shim_type *type,
		       struct vm_area_desc *desc)
{
	unsigned int map = 0;
	int err;

	if (!type->ops.mmap_policy)
		return 0;
	if (vma_desc_test_any(desc, VMA_SHARED_BIT, VMA_MAYSHARE_BIT))
		map |= UFFD_SHIM_MAP_SHARED;
	if (vma_desc_test_any(desc, VMA_WRITE_BIT, VMA_MAYWRITE_BIT))
		map |= UFFD_SHIM_MAP_WRITE;
	err = type->ops.mmap_policy(desc->file, &map);
	if (err)
		return err;
	if (map & UFFD_SHIM_MAP_DONTDUMP)
		vma_desc_set_flags(desc, VMA_DONTDUMP_BIT);
	if (map & UFFD_SHIM_MAP_DONTFORK)
		vma_desc_set_flags(desc, VMA_DONTCOPY_BIT);
	return 0;
}

static int uffd_shim_mmap_prepare(struct vm_area_desc *desc)
{
	const struct uffd_shim_type *type = uffd_shim_file_type(desc->file);
	int err;

	if (WARN_ON_ONCE(!type))
		return -ENODEV;
	/*
	 * Unmapping a page written through a mapping dirties it, and nothing
	 * writes our pages back.
	 */
	if (WARN_ON_ONCE(!desc->file->f_mapping->a_ops->dirty_folio ||
			 mapping_can_writeback(desc->file->f_mapping)))
		return -EINVAL;
	/* A memory-file type's fops on an inode of the driver's own. */
	if (WARN_ON_ONCE(type->ops.flags & UFFD_SHIM_FLAG_MEMFILE &&
			 !uffd_shim_is_mem_inode(file_inode(desc->file))))
		return -EINVAL;
	/* No copy-on-write of a page the kernel cannot read; not in dumps. */
	if (type->ops.flags & UFFD_SHIM_FLAG_NO_DIRECT_MAP) {
		if (!vma_desc_test_any(desc, VMA_SHARED_BIT, VMA_MAYSHARE_BIT))
			return -EINVAL;
		vma_desc_set_flags(desc, VMA_DONTDUMP_BIT);
	}
	err = mmap_policy(type, desc);
	if (err)
		return err;
	file_accessed(desc->file);
	desc->vm_ops = &type->vm_ops;
	return 0;
}

/*
 * What the kernel maps must be the page-cache folio of that file and index:
 * one that is not maps another file's data, or stale data, and breaks rmap.
 */
static bool folio_is_at(struct folio *folio, struct address_space *mapping,
			pgoff_t index)
{
	return !folio_test_large(folio) && folio->mapping == mapping &&
	       folio->index == index && folio_test_uptodate(folio);
}

/*
 * A folio for UFFDIO_COPY is written without its lock, then inserted: it
 * must be new, seen by no one else. A page-cache folio, or one a driver
 * also keeps, would be overwritten under its users.
 */
static bool folio_is_new(struct folio *folio)
{
	return !folio_test_large(folio) && !folio->mapping &&
	       !folio_test_lru(folio) && !folio_test_locked(folio) &&
	       folio_ref_count(folio) == 1;
}

static struct folio *uffd_shim_get_folio_noalloc(struct inode *inode,
						 pgoff_t pgoff)
{
	const struct uffd_shim_type *type = uffd_shim_inode_type(inode);
	struct folio *folio;

	if (WARN_ON_ONCE(!type))
		return ERR_PTR(-EINVAL);
	folio = type->ops.get_folio_noalloc(inode, pgoff);
	if (IS_ERR_OR_NULL(folio))
		return folio;
	if (WARN_ON_ONCE(!folio_test_locked(folio)))
		goto put;
	if (WARN_ON_ONCE(!folio_is_at(folio, inode->i_mapping, pgoff)))
		goto unlock;
	return folio;

unlock:
	folio_unlock(folio);
put:
	folio_put(folio);
	return ERR_PTR(-EINVAL);
}

static struct folio *uffd_shim_alloc_folio(struct vm_area_struct *vma,
					   unsigned long addr)
{
	const struct uffd_shim_type *type = uffd_shim_vma_type(vma);
	struct folio *folio = type->ops.alloc_folio(vma, addr);

	if (folio && WARN_ON_ONCE(!folio_is_new(folio))) {
		folio_put(folio);
		return NULL;
	}
	return folio;
}

/*
 * Undo an insertion that went wrong: take the folio back out of whatever
 * page cache it went into, under its lock, which keeps it unmapped.
 */
static void filemap_add_undo(struct folio *folio)
{
	if (!folio_test_locked(folio)) {
		if (!folio->mapping)
			return;
		folio_lock(folio);
	}
	if (folio->mapping)
		uffd_shim_filemap_remove_folio(folio);
	folio_unlock(folio);
}

/* mfill fills the first page only: the rest of a large folio would be stale. */
static int uffd_shim_filemap_add(struct folio *folio, struct vm_area_struct *vma,
				 unsigned long addr)
{
	const struct uffd_shim_type *type = uffd_shim_vma_type(vma);
	int err;

	if (WARN_ON_ONCE(folio_test_large(folio)))
		return -EINVAL;
	if (!type->ops.filemap_add)
		return uffd_shim_default_filemap_add(folio, vma, addr);
	err = type->ops.filemap_add(folio, vma, addr);
	/* On error the folio must be unlocked and in no page cache. */
	if (err) {
		if (WARN_ON_ONCE(folio_test_locked(folio) || folio->mapping))
			filemap_add_undo(folio);
		return err;
	}
	if (WARN_ON_ONCE(!folio_test_locked(folio) ||
			 !folio_is_at(folio, vma->vm_file->f_mapping,
				      linear_page_index(vma, addr)))) {
		filemap_add_undo(folio);
		return -EINVAL;
	}
	return 0;
}

void uffd_shim_init_backend(struct uffd_shim_type *type)
{
	const struct uffd_shim_ops *ops = &type->ops;

	type->fops.mmap_prepare = uffd_shim_mmap_prepare;
	type->vm_ops.uffd_ops = &type->uffd_ops;
	type->uffd_ops.can_userfault = uffd_shim_can_userfault;
	type->uffd_ops.get_folio_noalloc = ops->get_folio_noalloc ?
		uffd_shim_get_folio_noalloc : uffd_shim_default_get_folio_noalloc;
	type->uffd_ops.alloc_folio = ops->alloc_folio ?
		uffd_shim_alloc_folio : uffd_shim_default_alloc_folio;
	type->uffd_ops.filemap_add = uffd_shim_filemap_add;
	type->uffd_ops.filemap_remove =
		ops->filemap_remove ?: uffd_shim_default_filemap_remove;
}

bool uffd_shim_is_type_fops(const struct file_operations *fops)
{
	return fops->mmap_prepare == uffd_shim_mmap_prepare;
}

bool uffd_shim_fops_have_mmap(const struct file_operations *fops)
{
	return fops->mmap || fops->mmap_prepare;
}
