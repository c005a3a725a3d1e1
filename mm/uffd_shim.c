// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-shim core: userfaultfd for memory types outside mm/.
 *
 * Built in because handle_userfault() is not exported. A registered type
 * owns one struct uffd_shim_type holding the file_operations, the
 * vm_operations_struct and the vm_uffd_ops the kernel sees; callbacks find
 * their type back with container_of() on file->f_op or vma->vm_ops, so no
 * registry or lookup is needed on any path.
 */

#define pr_fmt(fmt) "uffd_shim: " fmt

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/init.h>
#include <linux/kobject.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>
#include <linux/uffd_shim.h>
#include <linux/userfaultfd_k.h>
#include "uffd_shim_internal.h"

/* --- Probe --------------------------------------------------------------- */

/**
 * uffd_shim_api_version() - API version implemented by the running shim.
 *
 * Return: UFFD_SHIM_API_VERSION of the built-in core. A driver built against
 * a newer header than this must not register.
 */
unsigned int uffd_shim_api_version(void)
{
	return UFFD_SHIM_API_VERSION;
}
EXPORT_SYMBOL_GPL(uffd_shim_api_version);

/**
 * uffd_shim_features() - what the running kernel supports through the shim.
 *
 * Return: mask of enum uffd_shim_feature.
 */
unsigned int uffd_shim_features(void)
{
	unsigned int f = UFFD_SHIM_FEAT_MISSING | UFFD_SHIM_FEAT_POISON;

	f |= IS_ENABLED(CONFIG_UFFD_SHIM_NATIVE) ? UFFD_SHIM_FEAT_VM_UFFD_OPS :
						   UFFD_SHIM_FEAT_SHMEM_FALLBACK;
	if (VM_UFFD_MINOR != VM_NONE)
		f |= UFFD_SHIM_FEAT_MINOR;
	/* 7.2 asks the architecture at run time; before, a config option said. */
#ifdef pgtable_supports_uffd_wp
	if (uffd_supports_wp_marker())
		f |= UFFD_SHIM_FEAT_WP;
#else
	if (IS_ENABLED(CONFIG_PTE_MARKER_UFFD_WP))
		f |= UFFD_SHIM_FEAT_WP;
#endif
	return f;
}
EXPORT_SYMBOL_GPL(uffd_shim_features);

/* --- Type lookup ---------------------------------------------------------- */

#ifdef CONFIG_UFFD_SHIM_NATIVE
static int uffd_shim_mmap_prepare(struct vm_area_desc *desc);

static bool is_shim_fops(const struct file_operations *fops)
{
	return fops->mmap_prepare == uffd_shim_mmap_prepare;
}

static bool has_mmap_hook(const struct file_operations *fops)
{
	return fops->mmap || fops->mmap_prepare;
}
#else
static int uffd_shim_mmap_fallback(struct file *file, struct vm_area_struct *vma);

static bool is_shim_fops(const struct file_operations *fops)
{
	return fops->mmap == uffd_shim_mmap_fallback;
}

static bool has_mmap_hook(const struct file_operations *fops)
{
	return fops->mmap;
}
#endif

/**
 * uffd_shim_file_type() - the memory type a file belongs to.
 * @file: any file.
 *
 * Return: the type whose uffd_shim_type_fops() @file uses, or NULL.
 */
const struct uffd_shim_type *uffd_shim_file_type(const struct file *file)
{
	if (!file || !is_shim_fops(file->f_op))
		return NULL;
	return container_of(file->f_op, struct uffd_shim_type, fops);
}
EXPORT_SYMBOL_GPL(uffd_shim_file_type);

/**
 * uffd_shim_vma_type() - the memory type a VMA maps.
 * @vma: any VMA.
 *
 * Return: the type whose vm_operations_struct @vma uses, or NULL (anonymous
 * memory, other files, or a driver that replaced vm_ops). Always NULL with
 * the shmem fallback: its mappings are shmem's, and pin nothing of the type.
 */
const struct uffd_shim_type *uffd_shim_vma_type(const struct vm_area_struct *vma)
{
	const struct uffd_shim_type *type = uffd_shim_file_type(vma->vm_file);

	if (!type || vma->vm_ops != &type->vm_ops)
		return NULL;
	return type;
}
EXPORT_SYMBOL_GPL(uffd_shim_vma_type);

static int type_account(const struct uffd_shim_type *type,
			struct inode *inode, long nr)
{
	if (!type || !type->ops.account)
		return 0;
	return type->ops.account(inode, nr);
}

/*
 * Account @folio to @type, then insert it at @index of @mapping: 0 with the
 * folio locked in the cache, or an errno with nothing inserted or accounted.
 * Every page the shim puts in a page cache comes through here.
 */
int uffd_shim_type_insert(const struct uffd_shim_type *type,
			  struct address_space *mapping, struct folio *folio,
			  pgoff_t index)
{
	long nr = folio_nr_pages(folio);
	int err = type_account(type, mapping->host, nr);

	if (err)
		return err;
	err = uffd_shim_filemap_add_folio(mapping, folio, index);
	if (err)
		type_account(type, mapping->host, -nr);
	return err;
}

static bool index_beyond_eof(struct inode *inode, pgoff_t index)
{
	return index >= DIV_ROUND_UP(i_size_read(inode), PAGE_SIZE);
}

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

/**
 * uffd_shim_folio_zero() - fill the whole folio with zeroes.
 * @folio: a folio the caller holds a reference on.
 */
void uffd_shim_folio_zero(struct folio *folio)
{
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
 * Return: 0, or -EINVAL if the range does not fit in @folio.
 */
int uffd_shim_folio_write(struct folio *folio, size_t offset,
			  const void *src, size_t len)
{
	if (!folio_range_ok(folio, offset, len))
		return -EINVAL;
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
 * Return: 0, or -EINVAL if the range does not fit in @folio.
 */
int uffd_shim_folio_read(struct folio *folio, size_t offset, void *dst,
			 size_t len)
{
	if (!folio_range_ok(folio, offset, len))
		return -EINVAL;
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
 * byte of @src could not be read (the folio then holds a partial copy).
 */
int uffd_shim_folio_copy_from_user(struct folio *folio, size_t offset,
				   const void __user *src, size_t len)
{
	if (!folio_range_ok(folio, offset, len))
		return -EINVAL;
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
static struct folio *alloc_charged(gfp_t gfp, struct mm_struct *mm,
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
 * cache, contents undefined; or NULL if memory or the memcg limit ran out.
 */
struct folio *uffd_shim_folio_alloc(struct address_space *mapping)
{
	gfp_t gfp = mapping ? mapping_gfp_mask(mapping) : GFP_KERNEL;

	return alloc_charged(gfp, NULL, gfp);
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
 * Return: an unlocked folio with one reference, or NULL.
 */
struct folio *uffd_shim_folio_alloc_vma(struct vm_area_struct *vma,
					unsigned long addr)
{
	return alloc_charged(mapping_gfp_mask(vma->vm_file->f_mapping),
			     vma->vm_mm, GFP_KERNEL);
}
EXPORT_SYMBOL_GPL(uffd_shim_folio_alloc_vma);

static struct folio *none_if_err(struct folio *folio)
{
	return IS_ERR(folio) ? NULL : folio;
}

/**
 * uffd_shim_filemap_get_folio() - look a folio up in the page cache.
 * @mapping: the mapping.
 * @index: page index.
 *
 * Return: the folio covering @index with a reference, unlocked; NULL on a
 * hole. Without the lock the folio may be truncated at any time: check
 * uffd_shim_folio_mapping() under the lock before trusting it.
 */
struct folio *uffd_shim_filemap_get_folio(struct address_space *mapping,
					  pgoff_t index)
{
	return none_if_err(filemap_get_folio(mapping, index));
}
EXPORT_SYMBOL_GPL(uffd_shim_filemap_get_folio);

/**
 * uffd_shim_filemap_lock_folio() - look a folio up and lock it.
 * @mapping: the mapping.
 * @index: page index.
 *
 * Context: may sleep for the folio lock.
 * Return: the folio covering @index, locked, with a reference, and still in
 * @mapping (a folio truncated while we waited is not returned); NULL on a
 * hole.
 */
struct folio *uffd_shim_filemap_lock_folio(struct address_space *mapping,
					   pgoff_t index)
{
	return none_if_err(filemap_lock_folio(mapping, index));
}
EXPORT_SYMBOL_GPL(uffd_shim_filemap_lock_folio);

/**
 * uffd_shim_filemap_add_folio() - insert a new folio in the page cache.
 * @mapping: the mapping.
 * @folio: a folio from uffd_shim_folio_alloc*(), unlocked, in no mapping.
 * @index: page index, a multiple of the folio's page count.
 *
 * Adds @folio at @index and onto the LRU. The page cache takes its own
 * references; the caller's reference is unchanged.
 *
 * Any index is accepted: a write may fill the page before it moves EOF.
 * Callers serving userfaultfd or faults check EOF first (the defaults do).
 *
 * Return: 0 with @folio locked; -EEXIST if @index is already populated;
 * -EINVAL (with a warning) if @folio is locked, already in a mapping or
 * misaligned; -ENOMEM. On error @folio is unlocked and not in the page cache.
 */
int uffd_shim_filemap_add_folio(struct address_space *mapping,
				struct folio *folio, pgoff_t index)
{
	int err;

	if (WARN_ON_ONCE(folio_test_locked(folio) || folio->mapping ||
			 folio_test_swapbacked(folio) ||
			 index & (folio_nr_pages(folio) - 1) ||
			 folio_order(folio) < mapping_min_folio_order(mapping)))
		return -EINVAL;

	__folio_set_locked(folio);
	err = __filemap_add_folio(mapping, folio, index,
				  mapping_gfp_mask(mapping), NULL);
	if (err) {
		__folio_clear_locked(folio);
		return err;
	}
	folio_add_lru(folio);
	return 0;
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
	if (WARN_ON_ONCE(!folio_test_locked(folio) ||
			 !uffd_shim_folio_mapping(folio)))
		return -EINVAL;
	if (folio_mapped(folio))
		return -EBUSY;
	filemap_remove_folio(folio);
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
 * Return: see uffd_shim_folio_alloc_vma(). The EOF check is left to
 * filemap_add so that a fill beyond EOF fails with -EFAULT, not -ENOMEM.
 */
struct folio *uffd_shim_default_alloc_folio(struct vm_area_struct *vma,
					    unsigned long addr)
{
	return uffd_shim_folio_alloc_vma(vma, addr);
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
 * truncation; that is where a driver unaccounts.
 */
void uffd_shim_default_filemap_remove(struct folio *folio,
				      struct vm_area_struct *vma)
{
	uffd_shim_filemap_remove_folio(folio);
	/* Unlock even after a refusal: the caller frees the folio next. */
	if (folio_test_locked(folio))
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

static vm_fault_t errno_to_fault(int err)
{
	return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
}

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
	folio_zero_range(folio, 0, folio_size(folio));
	__folio_mark_uptodate(folio);
	err = type_filemap_add(uffd_shim_vma_type(vma), mapping, folio,
			       vmf->pgoff);
	if (err) {
		folio_put(folio);
		/* Lost a race with another fault or a fill: use theirs. */
		if (err == -EEXIST)
			goto retry;
		return errno_to_fault(err);
	}
	/*
	 * A truncation that set i_size after the check in type_filemap_add()
	 * may have swept the page cache before this insertion: recheck now
	 * that the folio is findable and locked, as shmem does, or it would
	 * outlive the truncation beyond EOF.
	 */
	if (unlikely(index_beyond_eof(inode, vmf->pgoff))) {
		filemap_remove_folio(folio);
		folio_unlock(folio);
		folio_put(folio);
		return VM_FAULT_SIGBUS;
	}
	vmf->page = folio_file_page(folio, vmf->pgoff);
	return VM_FAULT_LOCKED;
}
EXPORT_SYMBOL_GPL(uffd_shim_fault);

/* --- Directory operations for mountable types ----------------------------- */

static const struct uffd_shim_type *dir_type(const struct inode *dir)
{
	return container_of(dir->i_op, struct uffd_shim_type, dir_iops);
}

static int dir_mknod(struct inode *dir, struct dentry *dentry, umode_t mode)
{
	struct inode *inode = dir_type(dir)->ops.new_inode(dir->i_sb, dir, mode);

	if (IS_ERR_OR_NULL(inode))
		return inode ? PTR_ERR(inode) : -ENOSPC;
#ifdef CONFIG_UFFD_SHIM_D_MAKE_PERSISTENT
	d_make_persistent(dentry, inode);
#else
	d_instantiate(dentry, inode);
	dget(dentry);	/* pinned until unlink; kill_litter_super() drops the rest */
#endif
	inode_set_mtime_to_ts(dir, inode_set_ctime_current(dir));
	return 0;
}

/* ->create lost its "excl" argument in 7.3: one of these two is used. */
static int __maybe_unused dir_create(struct mnt_idmap *idmap, struct inode *dir,
				     struct dentry *dentry, umode_t mode)
{
	return dir_mknod(dir, dentry, (mode & ~S_IFMT) | S_IFREG);
}

static int __maybe_unused dir_create_excl(struct mnt_idmap *idmap,
					  struct inode *dir,
					  struct dentry *dentry, umode_t mode,
					  bool excl)
{
	return dir_create(idmap, dir, dentry, mode);
}

#define CREATE_HAS_EXCL							\
	__builtin_types_compatible_p(typeof(((struct inode_operations *)NULL)->create), \
				     typeof(dir_create_excl) *)

/* ->mkdir returns the dentry since 6.15, an int before: one of these two. */
static int __maybe_unused dir_mkdir_int(struct mnt_idmap *idmap,
					struct inode *dir,
					struct dentry *dentry, umode_t mode)
{
	int err = dir_mknod(dir, dentry, (mode & ~S_IFMT) | S_IFDIR);

	if (!err)
		inc_nlink(dir);
	return err;
}

static struct dentry *__maybe_unused dir_mkdir(struct mnt_idmap *idmap,
					       struct inode *dir,
					       struct dentry *dentry,
					       umode_t mode)
{
	return ERR_PTR(dir_mkdir_int(idmap, dir, dentry, mode));
}

#define MKDIR_RETURNS_DENTRY						\
	__builtin_types_compatible_p(typeof(((struct inode_operations *)NULL)->mkdir), \
				     typeof(dir_mkdir) *)

static int dir_tmpfile(struct mnt_idmap *idmap, struct inode *dir,
		       struct file *file, umode_t mode)
{
	struct inode *inode;

	inode = dir_type(dir)->ops.new_inode(dir->i_sb, dir,
					     (mode & ~S_IFMT) | S_IFREG);
	if (IS_ERR_OR_NULL(inode))
		return inode ? PTR_ERR(inode) : -ENOSPC;
	d_tmpfile(file, inode);
	return finish_open_simple(file, 0);
}

static void init_dir_iops(struct inode_operations *iops)
{
	/* A feature test on the tree's own type, not a version guess. */
	iops->create = __builtin_choose_expr(CREATE_HAS_EXCL, dir_create_excl,
					     dir_create);
	iops->lookup = simple_lookup;
	iops->link = simple_link;
	iops->unlink = simple_unlink;
	iops->mkdir = __builtin_choose_expr(MKDIR_RETURNS_DENTRY, dir_mkdir,
					    dir_mkdir_int);
	iops->rmdir = simple_rmdir;
	iops->rename = simple_rename;
	iops->tmpfile = dir_tmpfile;
}

/**
 * uffd_shim_type_dir_iops() - directory operations for a mountable type.
 * @type: a type registered with a ->new_inode callback.
 *
 * create, mkdir, tmpfile (through ->new_inode), lookup, link, unlink,
 * rmdir and rename, with the running kernel's signatures: a RAM file system
 * built on the shim needs no kernel-version conditionals for them.
 *
 * Return: the operations, valid until uffd_shim_unregister(); NULL if the
 * type has no ->new_inode.
 */
const struct inode_operations *uffd_shim_type_dir_iops(const struct uffd_shim_type *type)
{
	return type->ops.new_inode ? &type->dir_iops : NULL;
}
EXPORT_SYMBOL_GPL(uffd_shim_type_dir_iops);

/* --- Registration ---------------------------------------------------------- */

#ifdef CONFIG_UFFD_SHIM_NATIVE

static unsigned int vm_flags_to_modes(vm_flags_t vm_flags)
{
	unsigned int modes = 0;

	if (vm_flags & VM_UFFD_MISSING)
		modes |= UFFD_SHIM_MODE_MISSING;
	if (vm_flags & VM_UFFD_MINOR)
		modes |= UFFD_SHIM_MODE_MINOR;
	if (vm_flags & VM_UFFD_WP)
		modes |= UFFD_SHIM_MODE_WP;
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

static int uffd_shim_mmap_prepare(struct vm_area_desc *desc)
{
	const struct uffd_shim_type *type = uffd_shim_file_type(desc->file);

	if (WARN_ON_ONCE(!type))
		return -ENODEV;
	file_accessed(desc->file);
	desc->vm_ops = &type->vm_ops;
	return 0;
}

static void init_uffd_ops(struct uffd_shim_type *type)
{
	const struct uffd_shim_ops *ops = &type->ops;

	type->fops.mmap_prepare = uffd_shim_mmap_prepare;
	type->vm_ops.uffd_ops = &type->uffd_ops;
	type->uffd_ops.can_userfault = uffd_shim_can_userfault;
	type->uffd_ops.get_folio_noalloc =
		ops->get_folio_noalloc ?: uffd_shim_default_get_folio_noalloc;
	type->uffd_ops.alloc_folio =
		ops->alloc_folio ?: uffd_shim_default_alloc_folio;
	type->uffd_ops.filemap_add =
		ops->filemap_add ?: uffd_shim_default_filemap_add;
	type->uffd_ops.filemap_remove =
		ops->filemap_remove ?: uffd_shim_default_filemap_remove;
}

#else /* !CONFIG_UFFD_SHIM_NATIVE: the shmem fallback */

/*
 * Userfaultfd here accepts only anonymous, shmem and hugetlb VMAs, so the
 * mapping is handed to the file's backing shmem file, whose own ->mmap makes
 * it a genuine shmem VMA (the i915_gem_dmabuf_mmap() pattern). The shim's RAM
 * file system keeps all file data in that shmem file, so reads, writes and
 * mappings stay coherent. The VMA no longer pins our file: nothing of ours
 * runs for it again.
 */
static int uffd_shim_mmap_fallback(struct file *file, struct vm_area_struct *vma)
{
	const struct uffd_shim_type *type = uffd_shim_file_type(file);
	struct file *backing = uffd_shim_ram_backing(file_inode(file));

	if (WARN_ON_ONCE(!type))
		return -ENODEV;
	/* Not a RAM-fs file, or a shmem that moved to ->mmap_prepare. */
	if (!backing || !backing->f_op->mmap)
		return -EOPNOTSUPP;
	file_accessed(file);
	vma_set_file(vma, backing);
	return backing->f_op->mmap(backing, vma);
}

static void init_uffd_ops(struct uffd_shim_type *type)
{
	type->fops.mmap = uffd_shim_mmap_fallback;
}

#endif /* CONFIG_UFFD_SHIM_NATIVE */

/* Size of @ops as its API version knows it: later fields are never read. */
static size_t ops_size(const struct uffd_shim_ops *ops)
{
	if (ops->api_version < 2)
		return offsetofend(struct uffd_shim_ops, new_inode);
	return sizeof(*ops);
}

static int check_ops(const struct uffd_shim_ops *ops)
{
	unsigned int flags;

	if (!ops)
		return -EINVAL;
	if (!ops->api_version || ops->api_version > UFFD_SHIM_API_VERSION) {
		pr_err("%s: API version %u, this kernel has 1..%u\n",
		       ops->name ?: "?", ops->api_version, UFFD_SHIM_API_VERSION);
		return -EINVAL;
	}
	if (!ops->name) {
		pr_err("?: a memory type needs a name\n");
		return -EINVAL;
	}
	if (ops->fops ? has_mmap_hook(ops->fops) :
			ops->api_version < 2 || ops->new_inode) {
		pr_err("%s: needs fops without mmap hooks, or none (API 2, RAM fs)\n",
		       ops->name);
		return -EINVAL;
	}
	flags = ops->api_version >= 2 ? ops->flags : 0;
	if (flags & ~UFFD_SHIM_FLAG_NATIVE_ONLY) {
		pr_err("%s: unknown flags %#x\n", ops->name, flags);
		return -EINVAL;
	}
	if (ops->modes & ~UFFD_SHIM_MODE_ALL) {
		pr_err("%s: unknown modes %#x\n", ops->name,
		       ops->modes & ~UFFD_SHIM_MODE_ALL);
		return -EINVAL;
	}
	if (!ops->filemap_add != !ops->filemap_remove) {
		pr_err("%s: filemap_add and filemap_remove go together\n",
		       ops->name);
		return -EINVAL;
	}
	if (!IS_ENABLED(CONFIG_UFFD_SHIM_NATIVE) &&
	    flags & UFFD_SHIM_FLAG_NATIVE_ONLY)
		return -EOPNOTSUPP;
	return 0;
}

/**
 * uffd_shim_register() - register a memory type.
 * @ops: the type's description; copied, so it may be on the stack. Only
 *	the fields of @ops->api_version are read.
 *
 * Context: process context, may sleep.
 * Return: the type, to pass to uffd_shim_type_fops() and finally
 * uffd_shim_unregister(); ERR_PTR(-EINVAL) if @ops is NULL or inconsistent
 * (the reason is logged), ERR_PTR(-EOPNOTSUPP) for a type flagged
 * UFFD_SHIM_FLAG_NATIVE_ONLY on a kernel with only the shmem fallback,
 * ERR_PTR(-ENOMEM).
 */
struct uffd_shim_type *uffd_shim_register(const struct uffd_shim_ops *ops)
{
	struct uffd_shim_type *type;
	int err = check_ops(ops);

	if (err)
		return ERR_PTR(err);
	type = kzalloc_obj(*type);
	if (!type)
		return ERR_PTR(-ENOMEM);

	memcpy(&type->ops, ops, ops_size(ops));
	type->fops = ops->fops ? *ops->fops : uffd_shim_ram_fops;
	type->vm_ops.fault = ops->fault ?: uffd_shim_fault;
	type->vm_ops.map_pages = filemap_map_pages;
	init_uffd_ops(type);
	init_dir_iops(&type->dir_iops);
	uffd_shim_ram_init_aops(type);
	INIT_LIST_HEAD(&type->fs_node);
	return type;
}
EXPORT_SYMBOL_GPL(uffd_shim_register);

/**
 * uffd_shim_unregister() - forget a memory type.
 * @type: from uffd_shim_register(), or NULL/ERR_PTR (ignored).
 *
 * Unregisters the type's file system, if uffd_shim_register_fs() made one.
 *
 * Context: no file of the type may remain, not even one waiting in
 * delayed fput: the fops and vm_ops they point to are freed here. Module
 * exit guarantees it when fops.owner is the module (every VMA pins its
 * file, every file and every mount pins the owner); built-in users must
 * see to it.
 */
void uffd_shim_unregister(struct uffd_shim_type *type)
{
	if (IS_ERR_OR_NULL(type))
		return;
	uffd_shim_ram_unregister(type);
	kfree(type);
}
EXPORT_SYMBOL_GPL(uffd_shim_unregister);

/**
 * uffd_shim_type_fops() - the file_operations files of a type must use.
 * @type: a registered type.
 *
 * Return: the driver's template with the shim's mmap hook; valid until
 * uffd_shim_unregister().
 */
const struct file_operations *uffd_shim_type_fops(const struct uffd_shim_type *type)
{
	return &type->fops;
}
EXPORT_SYMBOL_GPL(uffd_shim_type_fops);

/* --- Feature report -------------------------------------------------------- */

static int format_features(char *buf, size_t size)
{
	unsigned int f = uffd_shim_features();

	return scnprintf(buf, size, "api %u backend %s%s%s%s%s\n",
			 uffd_shim_api_version(),
			 f & UFFD_SHIM_FEAT_VM_UFFD_OPS ? "vm_uffd_ops" :
			 f & UFFD_SHIM_FEAT_SHMEM_FALLBACK ? "shmem" : "none",
			 f & UFFD_SHIM_FEAT_MISSING ? " missing copy zeropage" : "",
			 f & UFFD_SHIM_FEAT_MINOR ? " minor continue" : "",
			 f & UFFD_SHIM_FEAT_WP ? " wp" : "",
			 f & UFFD_SHIM_FEAT_POISON ? " poison" : "");
}

static ssize_t features_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return format_features(buf, PAGE_SIZE);
}

static struct kobj_attribute features_attr = __ATTR_RO(features);

static struct attribute *uffd_shim_attrs[] = {
	&features_attr.attr,
	NULL,
};

static const struct attribute_group uffd_shim_group = {
	.name = "uffd_shim",
	.attrs = uffd_shim_attrs,
};

static int __init uffd_shim_init(void)
{
	char buf[128];
	int err;

	format_features(buf, sizeof(buf));
	pr_info("%s", buf);
	err = sysfs_create_group(mm_kobj, &uffd_shim_group);
	if (err)
		pr_warn("no /sys/kernel/mm/uffd_shim: %d\n", err);
	return 0;
}
subsys_initcall(uffd_shim_init);
