// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-shim folio operations: the folio and page-cache helpers a memory
 * type needs, out of line and exported, because the kernel's are mostly
 * static inline (invisible to bindgen, so to Rust) and change between
 * kernels.
 */

#define pr_fmt(fmt) "uffd_shim: " fmt

#include <kunit/static_stub.h>
#include <linux/backing-dev.h>
#include <linux/highmem.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/swap.h>
#include <linux/uaccess.h>
#include "uffd_shim_internal.h"

/* --- Folio operations ------------------------------------------------------ */

/**
 * uffd_shim_folio_get() - take a reference on a folio.
 * @folio: a folio the caller already holds a reference on.
 */
void uffd_shim_folio_get(struct folio *folio)
{
	folio_get(folio);
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_get);

/**
 * uffd_shim_folio_put() - drop a reference on a folio.
 * @folio: the folio; it is freed when this was the last reference.
 */
void uffd_shim_folio_put(struct folio *folio)
{
	folio_put(folio);
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_put);

/**
 * uffd_shim_folio_lock() - lock a folio, sleeping until it is available.
 * @folio: a folio the caller holds a reference on.
 *
 * Context: process context, may sleep.
 */
void uffd_shim_folio_lock(struct folio *folio)
{
	folio_lock(folio);
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_lock);

/**
 * uffd_shim_folio_trylock() - lock a folio without sleeping.
 * @folio: a folio the caller holds a reference on.
 *
 * Return: true if the lock was taken.
 */
bool uffd_shim_folio_trylock(struct folio *folio)
{
	return folio_trylock(folio);
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_trylock);

/**
 * uffd_shim_folio_unlock() - unlock a folio and wake its waiters.
 * @folio: a folio locked by the caller.
 */
void uffd_shim_folio_unlock(struct folio *folio)
{
	if (WARN_ON_ONCE(!folio_test_locked(folio)))
		return;
	folio_unlock(folio);
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_unlock);

/**
 * uffd_shim_folio_test_locked() - is the folio locked?
 * @folio: the folio.
 *
 * Return: true if someone holds the folio lock.
 */
bool uffd_shim_folio_test_locked(struct folio *folio)
{
	return folio_test_locked(folio);
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_test_locked);

/**
 * uffd_shim_folio_test_uptodate() - does the folio hold valid data?
 * @folio: the folio.
 *
 * Return: true if the folio is uptodate.
 */
bool uffd_shim_folio_test_uptodate(struct folio *folio)
{
	return folio_test_uptodate(folio);
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_test_uptodate);

/**
 * uffd_shim_folio_mark_uptodate() - mark the folio's data valid.
 * @folio: a folio the caller has locked or that nobody else can see yet.
 *
 * Orders the preceding writes to the data before the flag, so that a mapping
 * installed after this sees the data.
 */
void uffd_shim_folio_mark_uptodate(struct folio *folio)
{
	folio_mark_uptodate(folio);
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_mark_uptodate);

/**
 * uffd_shim_folio_test_dirty() - is the folio dirty?
 * @folio: the folio.
 *
 * Return: true if the folio is dirty.
 */
bool uffd_shim_folio_test_dirty(struct folio *folio)
{
	return folio_test_dirty(folio);
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_test_dirty);

/**
 * uffd_shim_folio_mark_dirty() - mark a folio dirty through its mapping.
 * @folio: a folio the caller holds a reference on.
 *
 * Return: true if the folio was newly dirtied.
 */
bool uffd_shim_folio_mark_dirty(struct folio *folio)
{
	struct address_space *mapping = folio_mapping(folio);

	if (WARN_ON_ONCE(mapping && !mapping->a_ops->dirty_folio))
		return false;
	return folio_mark_dirty(folio);
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_mark_dirty);

/**
 * uffd_shim_folio_test_hwpoison() - does the folio hold a poisoned page?
 * @folio: the folio.
 *
 * Return: true if the folio, or for a large folio any of its pages, has
 * been marked by memory-failure handling. Such data must not be mapped.
 */
bool uffd_shim_folio_test_hwpoison(struct folio *folio)
{
	return folio_test_hwpoison(folio) ||
	       (folio_test_large(folio) && folio_test_has_hwpoisoned(folio));
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_test_hwpoison);

/**
 * uffd_shim_folio_index() - file index of the folio's first page.
 * @folio: a page-cache folio.
 *
 * Return: the index in PAGE_SIZE units; stable while the folio is locked.
 */
pgoff_t uffd_shim_folio_index(struct folio *folio)
{
	return folio->index;
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_index);

/**
 * uffd_shim_folio_size() - size of the folio in bytes.
 * @folio: the folio.
 *
 * Return: the number of bytes of memory the folio covers.
 */
size_t uffd_shim_folio_size(struct folio *folio)
{
	return folio_size(folio);
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_size);

/**
 * uffd_shim_folio_nr_pages() - number of pages in the folio.
 * @folio: the folio.
 *
 * Return: a power of two, 1 for a small folio.
 */
unsigned long uffd_shim_folio_nr_pages(struct folio *folio)
{
	return folio_nr_pages(folio);
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_nr_pages);

/**
 * uffd_shim_folio_mapping() - the page cache a folio belongs to.
 * @folio: a folio the caller has locked (otherwise the answer may be stale).
 *
 * Return: the file mapping, or NULL when the folio is not in a page cache
 * (never added, or truncated).
 */
struct address_space *uffd_shim_folio_mapping(struct folio *folio)
{
	if (folio_test_anon(folio))
		return NULL;
	return folio->mapping;
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_mapping);

/**
 * uffd_shim_folio_refcount() - current reference count, for tests and checks.
 * @folio: the folio.
 *
 * Return: the reference count; racy unless the caller excludes other users.
 */
int uffd_shim_folio_refcount(struct folio *folio)
{
	return folio_ref_count(folio);
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_refcount);

static bool folio_range_ok(struct folio *folio, size_t offset, size_t len)
{
	return offset <= folio_size(folio) && len <= folio_size(folio) - offset;
}

/* kmap_local reaches a page through the direct map: one out of it faults. */
static bool folio_unreachable(struct folio *folio)
{
	return WARN_ON_ONCE(!uffd_shim_folio_direct_mapped(folio));
}

/**
 * uffd_shim_folio_zero() - fill the whole folio with zeroes.
 * @folio: a folio the caller holds a reference on.
 *
 * A folio out of the kernel direct map is left alone, with a warning: put
 * it back first (uffd_shim_folio_restore_direct()).
 */
void uffd_shim_folio_zero(struct folio *folio)
{
	if (folio_unreachable(folio))
		return;
	folio_zero_range(folio, 0, folio_size(folio));
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_zero);

/**
 * uffd_shim_folio_write() - copy kernel memory into a folio.
 * @folio: destination.
 * @offset: byte offset in @folio.
 * @src: source buffer.
 * @len: bytes to copy.
 *
 * The folio is mapped with kmap_local for the copy, page by page.
 *
 * Return: 0, -EINVAL if the range does not fit in @folio, or -EFAULT (with
 * a warning) if @folio is out of the kernel direct map.
 */
int uffd_shim_folio_write(struct folio *folio, size_t offset,
			  const void *src, size_t len)
{
	if (!folio_range_ok(folio, offset, len))
		return -EINVAL;
	if (folio_unreachable(folio))
		return -EFAULT;
	if (!len)	/* the copy helpers map a page even for nothing */
		return 0;
	memcpy_to_folio(folio, offset, src, len);
	return 0;
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_write);

/**
 * uffd_shim_folio_read() - copy from a folio into kernel memory.
 * @folio: source.
 * @offset: byte offset in @folio.
 * @dst: destination buffer.
 * @len: bytes to copy.
 *
 * Return: 0, -EINVAL if the range does not fit in @folio, or -EFAULT (with
 * a warning) if @folio is out of the kernel direct map.
 */
int uffd_shim_folio_read(struct folio *folio, size_t offset, void *dst,
			 size_t len)
{
	if (!folio_range_ok(folio, offset, len))
		return -EINVAL;
	if (folio_unreachable(folio))
		return -EFAULT;
	if (!len)	/* the copy helpers map a page even for nothing */
		return 0;
	memcpy_from_folio(dst, folio, offset, len);
	return 0;
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_read);

/**
 * uffd_shim_folio_copy_from_user() - copy user memory into a folio.
 * @folio: destination.
 * @offset: byte offset in @folio.
 * @src: user address.
 * @len: bytes to copy.
 *
 * Context: process context; may fault on @src, so the caller must not hold
 * locks a fault on @src could need (mmap_lock of the same mm, the folio
 * lock of a page @src maps).
 *
 * Return: 0, -EINVAL if the range does not fit in @folio, -EFAULT if any
 * byte of @src could not be read (the folio then holds a partial copy) or
 * (with a warning) if @folio is out of the kernel direct map.
 */
int uffd_shim_folio_copy_from_user(struct folio *folio, size_t offset,
				   const void __user *src, size_t len)
{
	if (!folio_range_ok(folio, offset, len))
		return -EINVAL;
	if (folio_unreachable(folio))
		return -EFAULT;
	while (len) {
		size_t chunk = min_t(size_t, len, PAGE_SIZE - offset_in_page(offset));
		void *kaddr = kmap_local_folio(folio, offset);
		unsigned long left = copy_from_user(kaddr, src, chunk);

		kunmap_local(kaddr);
		if (left)
			return -EFAULT;
		offset += chunk;
		src += chunk;
		len -= chunk;
	}
	flush_dcache_folio(folio);
	return 0;
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_copy_from_user);

/* --- Page cache ----------------------------------------------------------- */

/* An order-0 folio, charged to @mm's memcg (NULL: current's). */
struct folio *uffd_shim_alloc_charged(gfp_t gfp, struct mm_struct *mm,
				      gfp_t charge_gfp)
{
	/* Not filemap_alloc_folio(): its arguments differ between kernels. */
	struct page *page = __page_cache_alloc(gfp);
	struct folio *folio = page ? page_folio(page) : NULL;

	if (folio && mem_cgroup_charge(folio, mm, charge_gfp)) {
		folio_put(folio);
		folio = NULL;
	}
	return folio;
}

/**
 * uffd_shim_folio_alloc() - allocate a page-cache folio for a mapping.
 * @mapping: the mapping the folio is meant for; its gfp mask is used.
 *	NULL for a folio meant for no mapping (GFP_KERNEL), e.g. in tests.
 *
 * The folio is charged to the current task's memory cgroup.
 *
 * Return: an unlocked order-0 folio with one reference, not in any page
 * cache, zeroed, not yet uptodate; or NULL if memory or the memcg limit ran
 * out.
 */
struct folio *uffd_shim_folio_alloc(struct address_space *mapping)
{
	gfp_t gfp = mapping ? mapping_gfp_mask(mapping) : GFP_KERNEL;

	return uffd_shim_alloc_charged(gfp | __GFP_ZERO, NULL, gfp);
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_alloc);

/**
 * uffd_shim_folio_alloc_vma() - allocate a page-cache folio for a VMA address.
 * @vma: a file VMA.
 * @addr: address in @vma the folio will be mapped at.
 *
 * Like uffd_shim_folio_alloc(), but charged to the memory cgroup of
 * @vma's mm, which is where userfaultfd fills belong.
 *
 * Return: an unlocked, zeroed folio with one reference, or NULL.
 */
struct folio *uffd_shim_folio_alloc_vma(struct vm_area_struct *vma,
					unsigned long addr)
{
	return uffd_shim_alloc_charged(mapping_gfp_mask(vma->vm_file->f_mapping) | __GFP_ZERO,
			     vma->vm_mm, GFP_KERNEL);
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_alloc_vma);

/**
 * uffd_shim_filemap_lookup() - look a folio up in the page cache.
 * @mapping: the mapping.
 * @index: page index.
 *
 * Return: the folio covering @index with a reference, unlocked;
 * ERR_PTR(-ENOENT) on a hole, as filemap_get_folio(). Without the lock the
 * folio may be truncated at any time: check uffd_shim_folio_mapping() under
 * the lock before trusting it.
 */
struct folio *uffd_shim_filemap_lookup(struct address_space *mapping,
				       pgoff_t index)
{
	return filemap_get_folio(mapping, index);
}
EXPORT_SYMBOL_GPL(uffd_shim_filemap_lookup);

/**
 * uffd_shim_filemap_lookup_locked() - look a folio up and lock it.
 * @mapping: the mapping.
 * @index: page index.
 *
 * Context: may sleep for the folio lock.
 * Return: the folio covering @index, locked, with a reference, and still in
 * @mapping (a folio truncated while we waited is not returned);
 * ERR_PTR(-ENOENT) on a hole, as filemap_lock_folio().
 */
struct folio *uffd_shim_filemap_lookup_locked(struct address_space *mapping,
					      pgoff_t index)
{
	return filemap_lock_folio(mapping, index);
}
EXPORT_SYMBOL_GPL(uffd_shim_filemap_lookup_locked);

/**
 * uffd_shim_filemap_add_folio() - insert a new folio in the page cache.
 * @mapping: the mapping.
 * @folio: a new folio (from uffd_shim_folio_alloc*(), say), uptodate,
 *	unlocked, in no mapping, on no LRU and mapped nowhere.
 * @index: page index, a multiple of the folio's page count.
 *
 * Adds @folio at @index and onto the LRU, charged to the current task's
 * memory cgroup if nobody charged it yet (and, in the shim's RAM file
 * system, to the mount's size=), and dirty: its data exists nowhere else,
 * so neither reclaim nor drop_caches may drop it. The page cache takes its
 * own references; the caller's reference is unchanged.
 *
 * Any index is accepted: a write may fill the page before it moves EOF.
 * Callers serving userfaultfd or faults check EOF first (the defaults do).
 *
 * Return: 0 with @folio locked; -EEXIST if @index is already populated;
 * -EINVAL (with a warning) if @folio is not uptodate, is locked, is or was
 * in a mapping, or is misaligned, or large for a memory file (those are
 * order 0, which GUP-fast relies on), or if @mapping has no ->dirty_folio or
 * can write back (nothing would ever clean the folio);
 * -ENOSPC beyond a RAM-fs mount's size=; -ENOMEM. On error @folio is
 * unlocked and not in the page cache.
 */
int uffd_shim_filemap_add_folio(struct address_space *mapping,
				struct folio *folio, pgoff_t index)
{
	gfp_t gfp = mapping_gfp_mask(mapping);
	bool charged = false;
	int err;

	if (WARN_ON_ONCE(!folio_test_uptodate(folio) || folio->mapping ||
			 folio_test_lru(folio) || folio_mapped(folio) ||
			 folio_test_swapbacked(folio) ||
			 (folio_test_large(folio) &&
			  uffd_shim_is_mem_inode(mapping->host)) ||
			 index & (folio_nr_pages(folio) - 1) ||
			 folio_order(folio) < mapping_min_folio_order(mapping) ||
			 !mapping->a_ops->dirty_folio ||
			 mapping_can_writeback(mapping)))
		return -EINVAL;
	/* Atomically: others may still set flags on a folio they once saw. */
	if (WARN_ON_ONCE(!folio_trylock(folio)))
		return -EINVAL;
	if (!folio_memcg(folio)) {
		err = mem_cgroup_charge(folio, NULL, gfp);
		if (err)
			goto unlock;
		charged = true;
	}
	err = uffd_shim_ram_charge(mapping->host, folio_nr_pages(folio));
	if (err)
		goto uncharge_memcg;
	err = __filemap_add_folio(mapping, folio, index, gfp, NULL);
	if (err)
		goto uncharge_mount;
	uffd_shim_ram_commit(mapping->host, folio_nr_pages(folio));
	folio_add_lru(folio);
	folio_mark_dirty(folio);
	return 0;

uncharge_mount:
	uffd_shim_ram_uncharge(mapping->host, folio_nr_pages(folio));
uncharge_memcg:
	if (charged)
		mem_cgroup_uncharge(folio);
unlock:
	folio_unlock(folio);
	return err;
}
EXPORT_SYMBOL_GPL(uffd_shim_filemap_add_folio);

/**
 * uffd_shim_filemap_remove_folio() - take a folio out of the page cache.
 * @folio: a locked page-cache folio, mapped in no page table.
 *
 * The folio stays locked and the caller's reference stays valid.
 *
 * Return: 0; -EINVAL (with a warning) if @folio is not locked or not in a
 * page cache; -EBUSY if it is still mapped.
 */
int uffd_shim_filemap_remove_folio(struct folio *folio)
{
	struct address_space *mapping = uffd_shim_folio_mapping(folio);

	KUNIT_STATIC_STUB_REDIRECT(uffd_shim_filemap_remove_folio, folio);
	if (WARN_ON_ONCE(!folio_test_locked(folio) || !mapping))
		return -EINVAL;
	if (folio_mapped(folio))
		return -EBUSY;
	filemap_remove_folio(folio);
	uffd_shim_ram_recalc(mapping->host);
	return 0;
}
EXPORT_SYMBOL_GPL(uffd_shim_filemap_remove_folio);

/**
 * uffd_shim_vma_pgoff() - file page index that a VMA address maps.
 * @vma: a file VMA.
 * @addr: an address inside @vma.
 *
 * Return: the page index in @vma's file.
 */
pgoff_t uffd_shim_vma_pgoff(struct vm_area_struct *vma, unsigned long addr)
{
	return linear_page_index(vma, addr);
}
EXPORT_SYMBOL_GPL(uffd_shim_vma_pgoff);
