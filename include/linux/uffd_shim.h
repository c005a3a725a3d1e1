/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uffd-shim: userfaultfd for memory types outside mm/.
 *
 * A driver describes its memory type once with struct uffd_shim_ops and
 * registers it; the shim builds the vm_operations_struct and vm_uffd_ops the
 * kernel wants, owns ->mmap, and supplies page-cache defaults for every
 * callback. Everything here is out of line and exported, so the header is
 * complete for bindgen (no static inline, no macro-only constants).
 *
 * Ownership conventions used below:
 *  - "returns a reference": the caller owns one folio reference and must drop
 *    it with uffd_shim_folio_put().
 *  - "locked": the folio lock is held on return; the caller unlocks it.
 *  - lookups return ERR_PTR(-ENOENT) for a hole, as filemap_get_folio()
 *    does; allocations return NULL when they fail.
 */
#ifndef _LINUX_UFFD_SHIM_H
#define _LINUX_UFFD_SHIM_H

#include <linux/types.h>
#include <linux/mm_types.h>
#include <uapi/linux/uffd_shim.h>

struct file_operations;
struct file_system_type;
struct inode_operations;
struct super_block;
struct address_space;
struct inode;
struct vm_fault;

/**
 * enum uffd_shim_api - version of this API.
 * @UFFD_SHIM_API_VERSION: set struct uffd_shim_ops.api_version to this. It
 *	grows when fields are appended to struct uffd_shim_ops, or when an
 *	exported function changes its contract (it then changes its name, so
 *	that a module built against the old one fails to load rather than
 *	misread a result); a table built against an older version keeps
 *	working (fields it does not have are never read), one from a newer
 *	version is refused.
 *	1: the first release. 2: @free_folio and @flags; @fops may be NULL
 *	for a type served by uffd_shim_register_fs(). 3: memory files
 *	(UFFD_SHIM_FLAG_MEMFILE, uffd_shim_file_create()), @prepare_folio,
 *	@unaccount, @mmap_policy, UFFD_SHIM_FLAG_NO_DIRECT_MAP, private data
 *	per type and per file. 4: uffd_shim_filemap_lookup() and
 *	uffd_shim_filemap_lookup_locked() replace uffd_shim_filemap_get_folio()
 *	and uffd_shim_filemap_lock_folio(): they return ERR_PTR(-ENOENT) on a
 *	hole, not NULL, as filemap_get_folio() does.
 */
enum uffd_shim_api {
	UFFD_SHIM_API_VERSION = 4,
};

/**
 * enum uffd_shim_mode - userfaultfd registration modes a memory type supports.
 * @UFFD_SHIM_MODE_MISSING: UFFDIO_REGISTER_MODE_MISSING, resolved by
 *	UFFDIO_COPY and UFFDIO_ZEROPAGE (both go through alloc_folio and
 *	filemap_add on shared mappings; the kernel offers both together).
 * @UFFD_SHIM_MODE_MINOR: UFFDIO_REGISTER_MODE_MINOR, resolved by
 *	UFFDIO_CONTINUE through get_folio_noalloc.
 * @UFFD_SHIM_MODE_WP: UFFDIO_REGISTER_MODE_WP; on file memory the kernel
 *	also needs PTE-marker support (see UFFD_SHIM_FEAT_WP).
 * @UFFD_SHIM_MODE_RWP: UFFDIO_REGISTER_MODE_RWP, read-write protection
 *	with UFFDIO_RWPROTECT (Linux 7.3, see UFFD_SHIM_FEAT_RWP). Like WP it
 *	needs nothing from the driver; declaring it on a kernel without RWP
 *	is harmless, the kernel refuses such registrations itself.
 * @UFFD_SHIM_MODE_ALL: every mode above.
 *
 * UFFDIO_POISON needs nothing from the driver and is available on any
 * registered range. A registration for WP alone on a userfaultfd with
 * UFFD_FEATURE_WP_ASYNC is allowed by the kernel on any VMA without asking
 * the memory type (mm/userfaultfd.c, vma_can_userfault()): neither @modes
 * nor @can_userfault of struct uffd_shim_ops can refuse it.
 */
enum uffd_shim_mode {
	UFFD_SHIM_MODE_MISSING = 1U << 0,
	UFFD_SHIM_MODE_MINOR = 1U << 1,
	UFFD_SHIM_MODE_WP = 1U << 2,
	UFFD_SHIM_MODE_RWP = 1U << 3,
	UFFD_SHIM_MODE_ALL = (1U << 4) - 1,
};

/**
 * enum uffd_shim_feature - what the running kernel offers through the shim.
 * @UFFD_SHIM_FEAT_VM_UFFD_OPS: native backend: the kernel calls the memory
 *	type's callbacks through vm_operations_struct.uffd_ops.
 * @UFFD_SHIM_FEAT_MISSING: MISSING faults, UFFDIO_COPY and UFFDIO_ZEROPAGE.
 * @UFFD_SHIM_FEAT_MINOR: MINOR faults and UFFDIO_CONTINUE.
 * @UFFD_SHIM_FEAT_WP: write-protect on file memory (PTE markers).
 * @UFFD_SHIM_FEAT_POISON: UFFDIO_POISON.
 * @UFFD_SHIM_FEAT_RWP: read-write protection on file memory
 *	(UFFDIO_REGISTER_MODE_RWP, UFFDIO_RWPROTECT; Linux 7.3).
 * @UFFD_SHIM_FEAT_SHMEM_FALLBACK: fallback backend, on kernels without
 *	vm_uffd_ops (before 7.2): files of the shim's RAM file system keep
 *	their data in a shmem file, whose mappings userfaultfd supports, so
 *	userspace sees the same behaviour; the type's callbacks (@free_folio,
 *	@prepare_folio, @can_userfault, @mmap_policy, @fault and the folio
 *	callbacks) are not called, @account charges each file's extent
 *	rather than its pages (see there), files
 *	of types without the RAM file system cannot be mapped (-EOPNOTSUPP),
 *	and memory-file types cannot be registered (-EOPNOTSUPP).
 */
enum uffd_shim_feature {
	UFFD_SHIM_FEAT_VM_UFFD_OPS = 1U << 0,
	UFFD_SHIM_FEAT_MISSING = 1U << 1,
	UFFD_SHIM_FEAT_MINOR = 1U << 2,
	UFFD_SHIM_FEAT_WP = 1U << 3,
	UFFD_SHIM_FEAT_POISON = 1U << 4,
	UFFD_SHIM_FEAT_SHMEM_FALLBACK = 1U << 5,
	UFFD_SHIM_FEAT_RWP = 1U << 6,
};

/**
 * enum uffd_shim_flags - how a memory type wants to be served.
 * @UFFD_SHIM_FLAG_NATIVE_ONLY: the type depends on its callbacks being
 *	called: refuse to register it (-EOPNOTSUPP) where only the shmem
 *	fallback is available, rather than bypass them.
 * @UFFD_SHIM_FLAG_MEMFILE: (API 3) the type's files are memory files, one
 *	inode per file and no file system, made by uffd_shim_file_create()
 *	(as memfd and guest_memfd make theirs). @fops, @new_inode and
 *	uffd_shim_register_fs() are not for such a type. Its files, and
 *	their inodes until evicted, pin the module that holds its ops table
 *	(or, for a table on the stack, its @name): keep one of them static
 *	in the module. With @account it needs @unaccount. Memory files need
 *	the native backend: a memory-file type implies NATIVE_ONLY, and its
 *	registration fails with -EOPNOTSUPP on a kernel with only the shmem
 *	fallback, whose shmem files would bypass its mmap policy, its
 *	preparation and its accounting.
 * @UFFD_SHIM_FLAG_NO_DIRECT_MAP: (API 3, memory files only) the type takes
 *	its pages out of the kernel direct map in @prepare_folio and puts
 *	them back in @free_folio (uffd_shim_folio_unmap_direct() and
 *	uffd_shim_folio_restore_direct()), so both are required. The shim
 *	then keeps the kernel from touching the pages: the files have no
 *	read(), their mappings are shared only (MAP_PRIVATE: -EINVAL; a copy
 *	on write would read the page) and left out of core dumps, refuse
 *	get_user_pages() as secretmem's do (process_vm_readv(),
 *	/proc/pid/mem, O_DIRECT get -EFAULT), and their pages are neither
 *	migrated nor partly zeroed by truncation. Unlike secretmem, they do
 *	not block hibernation, whose image copies them (through a temporary
 *	mapping) like any page. Registration fails with -EOPNOTSUPP where the
 *	kernel cannot change its direct map.
 */
enum uffd_shim_flags {
	UFFD_SHIM_FLAG_NATIVE_ONLY = 1U << 0,
	UFFD_SHIM_FLAG_MEMFILE = 1U << 1,
	UFFD_SHIM_FLAG_NO_DIRECT_MAP = 1U << 2,
};

/**
 * enum uffd_shim_map - what @mmap_policy of struct uffd_shim_ops sees and sets.
 * @UFFD_SHIM_MAP_SHARED: in: a MAP_SHARED mapping (else MAP_PRIVATE).
 * @UFFD_SHIM_MAP_WRITE: in: the mapping is or may become writable.
 * @UFFD_SHIM_MAP_DONTDUMP: out: leave the mapping out of core dumps
 *	(VM_DONTDUMP).
 * @UFFD_SHIM_MAP_DONTFORK: out: do not copy the mapping into a child on
 *	fork() (VM_DONTCOPY).
 */
enum uffd_shim_map {
	UFFD_SHIM_MAP_SHARED = 1U << 0,
	UFFD_SHIM_MAP_WRITE = 1U << 1,
	UFFD_SHIM_MAP_DONTDUMP = 1U << 8,
	UFFD_SHIM_MAP_DONTFORK = 1U << 9,
};

/**
 * struct uffd_shim_ops - a memory type, as its driver describes it.
 * @api_version: UFFD_SHIM_API_VERSION the driver was built against.
 * @modes: mask of enum uffd_shim_mode the type supports; registration of
 *	any other mode is refused in can_userfault.
 * @name: short name, for messages.
 * @fops: template for the type's regular files; NULL for memory files.
 *	The shim copies it and adds its own mmap hook, so ->mmap and
 *	->mmap_prepare must be NULL, and ->owner must be the module it is in
 *	(THIS_MODULE): every file, so every VMA, pins it. Files must use
 *	uffd_shim_type_fops() as their f_op, and their mapping needs a
 *	->dirty_folio. NULL (API 2) for a type on
 *	the shim's RAM file system: the shim's RAM-file operations are used.
 * @account: optional. Called with @nr_pages > 0 before pages enter the page
 *	cache through the shim (fault fill, UFFDIO_COPY/ZEROPAGE, and writes
 *	and fallocate on the shim's RAM file system and memory files); may
 *	refuse with a negative errno, typically -ENOSPC. Without @unaccount,
 *	called with -@nr_pages if that insertion then fails, and pages that
 *	leave the page cache must be unaccounted in @free_folio. On the shmem
 *	fallback, where faults and UFFDIO_COPY fill shmem's pages without
 *	the shim, each file is charged for its extent instead (i_size, or
 *	the end of a KEEP_SIZE fallocate past it): before a write, truncate
 *	or fallocate extends it, so every page shmem may fill is granted
 *	first; what it no longer covers is given back (@unaccount, or
 *	@account with a negative count) as it shrinks and when it goes.
 * @can_userfault: optional veto, called after the @modes check with the
 *	requested modes (enum uffd_shim_mode mask). The kernel asks again,
 *	for the modes the VMA already has, when the range is unregistered or
 *	its VMA is split or merged (and in VM_WARN_ON_ONCE checks): the answer
 *	for a VMA and modes must not change while the VMA exists, or those
 *	operations fail or warn. Decide on what the VMA was mapped with, not
 *	on state that changes.
 * @fault: optional ->fault replacing uffd_shim_fault().
 * @get_folio_noalloc: optional; default uffd_shim_default_get_folio_noalloc().
 * @alloc_folio: optional; default uffd_shim_default_alloc_folio().
 * @filemap_add: optional; default uffd_shim_default_filemap_add(). Given
 *	together with @filemap_remove or not at all.
 * @filemap_remove: optional; default uffd_shim_default_filemap_remove().
 * @new_inode: optional, for a mountable type: make an inode of @mode
 *	(S_IFREG or S_IFDIR) in @sb, or return NULL/ERR_PTR. With it the shim
 *	supplies the type's directory operations, uffd_shim_type_dir_iops(),
 *	whose signatures follow the running kernel so the driver's do not.
 *	Not with uffd_shim_register_fs(), which makes the inodes itself.
 * @free_folio: optional (API 2), for a type on the shim's RAM file system
 *	or of memory files: the ->free_folio of its files'
 *	address_space_operations, called as a page leaves the page cache
 *	(truncate, hole punch, eviction, a failed userfaultfd fill), and for a
 *	folio @prepare_folio accepted that could not be inserted. The place to
 *	undo @prepare_folio; without @unaccount, also to unaccount.
 * @flags: optional (API 2), mask of enum uffd_shim_flags.
 * @prepare_folio: optional (API 3): called for every new folio on its way
 *	into the type's page cache, whichever path brings it (a fault on a
 *	hole, write(), fallocate, UFFDIO_COPY, UFFDIO_ZEROPAGE), after
 *	@account, once the folio holds its final contents and is uptodate,
 *	before it is inserted: nothing can see it yet, and it is not locked.
 *	One exception: write() of part of a page, or over a populated
 *	page, of a RAM-fs file copies its data in after the insertion, under
 *	the folio lock, as every page-cache write does; a whole page written
 *	into a hole, and memory files, copy first. Return 0, or a negative
 *	errno to refuse the page (the operation then fails with it). A prepared folio that then
 *	fails to enter the page cache is handed to @free_folio, as one that
 *	leaves it later is. With @account it needs @unaccount.
 * @unaccount: optional (API 3): with it, @account is only ever called
 *	with @nr_pages > 0, and this gives pages back: @nr_pages > 0 that
 *	left @inode's page cache (truncate, hole punch, eviction of the last
 *	reference, a failed userfaultfd fill) or never got in. Called after
 *	the fact, possibly batched, from any process context; must not fail.
 *	@inode, its private data and the type's are valid.
 * @mmap_policy: optional (API 3): called on each mmap() of the type's
 *	files with *@map holding enum uffd_shim_map input bits; may refuse
 *	with a negative errno (-EINVAL for a MAP_PRIVATE mapping, say) or add
 *	output bits to *@map. The shim keeps ->mmap itself. The output bits
 *	are defaults: madvise(MADV_DODUMP/MADV_DOFORK) may undo them.
 * @release: optional (API 3), for memory files: called once as the inode
 *	of a memory file goes, after its pages left and @unaccount saw them;
 *	the place to free uffd_shim_inode_data().
 *
 * The four folio callbacks have the contracts of struct vm_uffd_ops (Linux
 * 7.2): get_folio_noalloc returns the folio locked with a reference, or
 * NULL/ERR_PTR on a hole; alloc_folio returns an unlocked folio with one
 * reference, charged to the VMA's memcg, or NULL; filemap_add returns 0 with
 * the folio locked in the page cache, or a negative errno with the folio
 * unlocked and not in the cache; filemap_remove undoes filemap_add and
 * unlocks. The shim checks what a driver's callbacks return before the
 * kernel uses it, and refuses it with a warning: a folio from
 * get_folio_noalloc that is not locked, large, not uptodate, or not the
 * one at @pgoff in @inode's page cache (UFFDIO_CONTINUE fails with
 * -EFAULT); a folio from alloc_folio that is not new (large, locked, in a
 * page cache, on the LRU, or with a reference besides the caller's:
 * -ENOMEM, before anything is copied into it); and a filemap_add that
 * left the folio unlocked or anywhere but the VMA's page cache at the
 * index @addr maps (-EINVAL, the folio taken back out). get_folio_noalloc
 * needs an inode the shim can trace to the type: a RAM-fs file, a memory
 * file, or an inode whose i_fop is uffd_shim_type_fops().
 */
struct uffd_shim_ops {
	unsigned int api_version;
	unsigned int modes;
	const char *name;
	const struct file_operations *fops;
	int (*account)(struct inode *inode, long nr_pages);
	bool (*can_userfault)(struct vm_area_struct *vma, unsigned int modes);
	vm_fault_t (*fault)(struct vm_fault *vmf);
	struct folio *(*get_folio_noalloc)(struct inode *inode, pgoff_t pgoff);
	struct folio *(*alloc_folio)(struct vm_area_struct *vma,
				     unsigned long addr);
	int (*filemap_add)(struct folio *folio, struct vm_area_struct *vma,
			   unsigned long addr);
	void (*filemap_remove)(struct folio *folio, struct vm_area_struct *vma);
	struct inode *(*new_inode)(struct super_block *sb, const struct inode *dir,
				   umode_t mode);
	/* API 2 */
	void (*free_folio)(struct folio *folio);
	unsigned int flags;
	/* API 3 */
	int (*prepare_folio)(struct inode *inode, struct folio *folio);
	void (*unaccount)(struct inode *inode, long nr_pages);
	int (*mmap_policy)(struct file *file, unsigned int *map);
	void (*release)(struct inode *inode);
};

/* A registered memory type; opaque to drivers. */
struct uffd_shim_type;

/* Probe */
unsigned int uffd_shim_api_version(void);
unsigned int uffd_shim_features(void);

/* Memory types */
struct uffd_shim_type *uffd_shim_register(const struct uffd_shim_ops *ops);
struct uffd_shim_type *uffd_shim_register_data(const struct uffd_shim_ops *ops,
					       void *data);
void *uffd_shim_type_data(const struct uffd_shim_type *type);
const struct uffd_shim_type *uffd_shim_inode_type(const struct inode *inode);
void uffd_shim_unregister(struct uffd_shim_type *type);
const struct file_operations *uffd_shim_type_fops(const struct uffd_shim_type *type);
const struct inode_operations *uffd_shim_type_dir_iops(const struct uffd_shim_type *type);
const struct uffd_shim_type *uffd_shim_file_type(const struct file *file);
const struct uffd_shim_type *uffd_shim_vma_type(const struct vm_area_struct *vma);

/* RAM file system (API 2) */
int uffd_shim_register_fs(struct uffd_shim_type *type,
			  struct file_system_type *fs_type);

/* Memory files (API 3) */
struct file *uffd_shim_file_create(struct uffd_shim_type *type,
				   const char *name, loff_t size, void *data);
void *uffd_shim_inode_data(const struct inode *inode);

/* The kernel direct map (API 3) */
int uffd_shim_folio_unmap_direct(struct folio *folio);
void uffd_shim_folio_restore_direct(struct folio *folio);
bool uffd_shim_folio_direct_mapped(struct folio *folio);

/* Fault path */
vm_fault_t uffd_shim_fault(struct vm_fault *vmf);
bool uffd_shim_vma_wants_missing(struct vm_area_struct *vma);
bool uffd_shim_vma_wants_minor(struct vm_area_struct *vma);
vm_fault_t uffd_shim_handle_missing(struct vm_fault *vmf);
vm_fault_t uffd_shim_handle_minor(struct vm_fault *vmf);

/* Defaults for page-cache memory types */
struct folio *uffd_shim_default_get_folio_noalloc(struct inode *inode,
						  pgoff_t pgoff);
struct folio *uffd_shim_default_alloc_folio(struct vm_area_struct *vma,
					    unsigned long addr);
int uffd_shim_default_filemap_add(struct folio *folio,
				  struct vm_area_struct *vma,
				  unsigned long addr);
void uffd_shim_default_filemap_remove(struct folio *folio,
				      struct vm_area_struct *vma);

/* Folio operations */
void uffd_shim_folio_get(struct folio *folio);
void uffd_shim_folio_put(struct folio *folio);
void uffd_shim_folio_lock(struct folio *folio);
bool uffd_shim_folio_trylock(struct folio *folio);
void uffd_shim_folio_unlock(struct folio *folio);
bool uffd_shim_folio_test_locked(struct folio *folio);
bool uffd_shim_folio_test_uptodate(struct folio *folio);
void uffd_shim_folio_mark_uptodate(struct folio *folio);
bool uffd_shim_folio_test_dirty(struct folio *folio);
bool uffd_shim_folio_mark_dirty(struct folio *folio);
bool uffd_shim_folio_test_hwpoison(struct folio *folio);
pgoff_t uffd_shim_folio_index(struct folio *folio);
size_t uffd_shim_folio_size(struct folio *folio);
unsigned long uffd_shim_folio_nr_pages(struct folio *folio);
struct address_space *uffd_shim_folio_mapping(struct folio *folio);
int uffd_shim_folio_refcount(struct folio *folio);
void uffd_shim_folio_zero(struct folio *folio);
int uffd_shim_folio_write(struct folio *folio, size_t offset,
			  const void *src, size_t len);
int uffd_shim_folio_read(struct folio *folio, size_t offset, void *dst,
			 size_t len);
int uffd_shim_folio_copy_from_user(struct folio *folio, size_t offset,
				   const void __user *src, size_t len);

/* Page cache */
struct folio *uffd_shim_folio_alloc(struct address_space *mapping);
struct folio *uffd_shim_folio_alloc_vma(struct vm_area_struct *vma,
					unsigned long addr);
struct folio *uffd_shim_filemap_lookup(struct address_space *mapping,
				       pgoff_t index);
struct folio *uffd_shim_filemap_lookup_locked(struct address_space *mapping,
					      pgoff_t index);
int uffd_shim_filemap_add_folio(struct address_space *mapping,
				struct folio *folio, pgoff_t index);
int uffd_shim_filemap_insert(struct address_space *mapping,
			     struct folio *folio, pgoff_t index);
int uffd_shim_filemap_remove_folio(struct folio *folio);
pgoff_t uffd_shim_vma_pgoff(struct vm_area_struct *vma, unsigned long addr);

#endif /* _LINUX_UFFD_SHIM_H */
