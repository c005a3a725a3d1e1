// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-shim memory files: a file with its own inode and no file system, as
 * memfd and guest_memfd hand out, for a type flagged UFFD_SHIM_FLAG_MEMFILE.
 * Its size is fixed at creation; write() and fallocate() populate holes
 * only, whole pages at a time, and every page enters through the type's
 * ->account and ->prepare_folio like every other page the shim adds. The
 * inodes live on one internal pseudo file system and pin their type.
 *
 * A type flagged UFFD_SHIM_FLAG_NO_DIRECT_MAP keeps its pages out of the
 * kernel direct map, so the kernel must never touch them: its files have
 * no read(), their mappings are AS_INACCESSIBLE (no migration, no partial
 * zeroing) and get_user_pages() refuses them, through the two hooks at the
 * end of this file that scripts/overlay adds to mm/gup.c next to
 * secretmem's.
 */

#define pr_fmt(fmt) "uffd_shim: " fmt

#include <linux/fs.h>
#include <linux/falloc.h>	/* after fs.h: needs its types */
#include <linux/fs_context.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/jump_label.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>
#include "uffd_shim_internal.h"

#define UFFD_SHIM_MEM_MAGIC 0x75666d66	/* "ufmf" */

static struct vfsmount *mem_mnt __ro_after_init;	/* NULL: no memory files */

/* Some type keeps pages out of the direct map: GUP-fast must look. */
DEFINE_STATIC_KEY_FALSE(uffd_shim_no_direct_map);

bool uffd_shim_is_mem_inode(const struct inode *inode)
{
	return mem_mnt && inode->i_sb == mem_mnt->mnt_sb;
}

static struct uffd_shim_type *mem_type(const struct inode *inode)
{
	return container_of(inode->i_fop, struct uffd_shim_type, fops);
}

/* --- Population ---------------------------------------------------- */

/*
 * Not zeroed: the copy fills the whole page, and a page it did not fill is
 * never inserted.
 */
static int mem_write_page(struct inode *inode, pgoff_t index,
			  struct iov_iter *from)
{
	gfp_t gfp = mapping_gfp_mask(inode->i_mapping);
	struct folio *folio = uffd_shim_alloc_charged(gfp, NULL, gfp);
	size_t copied;
	int err;

	if (!folio)
		return -ENOMEM;
	copied = copy_folio_from_iter(folio, 0, PAGE_SIZE, from);
	err = copied == PAGE_SIZE ? 0 : -EFAULT;
	if (!err) {
		__folio_mark_uptodate(folio);
		err = uffd_shim_type_insert(mem_type(inode), inode->i_mapping,
					    folio, index);
	}
	if (err)
		iov_iter_revert(from, copied);
	else
		folio_unlock(folio);
	folio_put(folio);
	return err;
}

/* Whole pages inside the file: 0, or why not. */
static int mem_write_checks(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	ssize_t ret = generic_write_checks(iocb, from);	/* O_APPEND, RLIMIT_FSIZE */
	size_t len = iov_iter_count(from);
	loff_t pos = iocb->ki_pos;

	if (ret <= 0)
		return ret;
	if (!PAGE_ALIGNED(pos) || !PAGE_ALIGNED(len))
		return -EINVAL;
	if (pos > i_size_read(inode) || len > i_size_read(inode) - pos)
		return -EFBIG;
	return file_modified(iocb->ki_filp);
}

/* Into holes only: -EEXIST on a populated page. */
static ssize_t mem_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	ssize_t done = 0;
	loff_t pos;
	int err;

	inode_lock(inode);
	err = mem_write_checks(iocb, from);
	pos = iocb->ki_pos;
	while (!err && iov_iter_count(from)) {
		err = mem_write_page(inode, pos >> PAGE_SHIFT, from);
		if (err)
			break;
		pos += PAGE_SIZE;
		done += PAGE_SIZE;
		if (fatal_signal_pending(current))
			err = -EINTR;
		cond_resched();
	}
	inode_unlock(inode);
	iocb->ki_pos = pos;
	return done ?: err;
}

static long mem_fallocate(struct file *file, int mode, loff_t offset,
			  loff_t len)
{
	struct inode *inode = file_inode(file);
	loff_t end = offset + len;
	int err = 0;

	if (!uffd_shim_ram_falloc_mode_ok(mode))
		return -EOPNOTSUPP;
	if (!PAGE_ALIGNED(offset) || !PAGE_ALIGNED(len) || end < offset ||
	    end > i_size_read(inode))
		return -EINVAL;

	inode_lock(inode);
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		truncate_pagecache_range(inode, offset, end - 1);
		uffd_shim_ram_recalc(inode);
	} else {
		err = uffd_shim_ram_falloc_range(inode, offset >> PAGE_SHIFT,
						 end >> PAGE_SHIFT);
	}
	inode_unlock(inode);
	return err;
}

/* The template of a memory-file type's fops; the core adds ->mmap_prepare. */
static const struct file_operations uffd_shim_mem_fops = {
	.write_iter	= mem_write_iter,
	.fallocate	= mem_fallocate,
	.fsync		= noop_fsync,
	.llseek		= generic_file_llseek,
};

/* The size is fixed at creation, as guest_memfd's is. */
static int mem_setattr(struct mnt_idmap *idmap, struct dentry *dentry,
		       struct iattr *attr)
{
	if (attr->ia_valid & ATTR_SIZE &&
	    attr->ia_size != i_size_read(d_inode(dentry)))
		return -EINVAL;
	return simple_setattr(idmap, dentry, attr);
}

static const struct inode_operations mem_iops = {
	.setattr	= mem_setattr,
	.getattr	= simple_getattr,
};

/**
 * uffd_shim_mem_init_type() - a memory-file type's fops and aops.
 * @type: a memory-file type being registered.
 * @owner: the module its ops table is in: every file pins it.
 *
 * Pages out of the direct map cannot be copied, so cannot migrate.
 */
void uffd_shim_mem_init_type(struct uffd_shim_type *type, struct module *owner)
{
	type->fops = uffd_shim_mem_fops;
	type->fops.owner = owner;
	type->aops.dirty_folio = noop_dirty_folio;
	type->aops.free_folio = type->ops.free_folio;
	if (!(type->ops.flags & UFFD_SHIM_FLAG_NO_DIRECT_MAP))
		type->aops.migrate_folio = filemap_migrate_folio;
}

/* --- Files --------------------------------------------------------- */

/**
 * uffd_shim_file_create() - make a memory file.
 * @type: a type registered with UFFD_SHIM_FLAG_MEMFILE.
 * @name: the file's name (its dentry's, so /proc/pid/maps shows "/@name").
 * @size: its size in bytes: a multiple of PAGE_SIZE, not 0. Fixed:
 *	ftruncate() to another size fails with -EINVAL.
 * @data: the driver's, for this file: uffd_shim_inode_data() returns it,
 *	and the type's @release frees it when the inode goes.
 *
 * The file is open for reading and writing, maps with userfaultfd through
 * the type, and pins the type and the module of its ops table; so does its
 * inode, which an inotify watch, say, may keep after the last file. Give
 * it to userspace with get_unused_fd_flags() and fd_install().
 *
 * Context: process context, may sleep. The new inode is labelled by the
 * LSM as an anonymous inode of the caller.
 * Return: the file; ERR_PTR(-EINVAL) (with a warning) for a type that is
 * not a memory-file type, ERR_PTR(-EINVAL) for a bad @size, -ENODEV if
 * memory files could not be set up at boot, -ENOENT if
 * the type's module is going away, -ENOMEM, or the LSM's error. On error
 * @data is the caller's again.
 */
struct file *uffd_shim_file_create(struct uffd_shim_type *type,
				   const char *name, loff_t size, void *data)
{
	struct inode *inode;
	struct file *file;

	if (WARN_ON_ONCE(!(type->ops.flags & UFFD_SHIM_FLAG_MEMFILE)))
		return ERR_PTR(-EINVAL);
	if (!mem_mnt)
		return ERR_PTR(-ENODEV);
	if (size <= 0 || !PAGE_ALIGNED(size) || size > MAX_LFS_FILESIZE)
		return ERR_PTR(-EINVAL);

	inode = anon_inode_make_secure_inode(mem_mnt->mnt_sb, name, NULL);
	if (IS_ERR(inode))
		return ERR_CAST(inode);
	inode->i_mode |= S_IFREG;
	inode->i_size = size;
	inode->i_op = &mem_iops;
	inode->i_mapping->a_ops = &type->aops;
	mapping_set_unevictable(inode->i_mapping);
	if (type->ops.flags & UFFD_SHIM_FLAG_NO_DIRECT_MAP) {
		/* Neither movable nor highmem: no direct-map alias to drop. */
		mapping_set_gfp_mask(inode->i_mapping, GFP_USER);
		mapping_set_inaccessible(inode->i_mapping);
	}

	/* __fput() puts the owner: take it for the file, as anon inodes do. */
	if (!fops_get(&type->fops)) {
		file = ERR_PTR(-ENOENT);
		goto put_inode;
	}
	file = alloc_file_pseudo(inode, mem_mnt, name, O_RDWR | O_LARGEFILE,
				 &type->fops);
	if (IS_ERR(file))
		goto put_fops;
	/* As memfd's: pread() and pwrite() work, at any offset. */
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	/*
	 * From here on the inode is a memory file of @type: evict sees it.
	 * The inode may outlive every file (an inotify watch holds it), and
	 * its eviction calls the type: it pins the type and the module too.
	 */
	inode->i_private = data;
	inode->i_fop = &type->fops;
	atomic_inc(&type->nr_users);
	__module_get(type->fops.owner);
	return file;

put_fops:
	fops_put(&type->fops);
put_inode:
	iput(inode);
	return file;
}
EXPORT_SYMBOL_GPL(uffd_shim_file_create);

/**
 * uffd_shim_inode_data() - the private data of a memory file.
 * @inode: any inode.
 *
 * Return: the @data @inode was made with by uffd_shim_file_create(); NULL
 * for any other inode.
 */
void *uffd_shim_inode_data(const struct inode *inode)
{
	return uffd_shim_is_mem_inode(inode) ? inode->i_private : NULL;
}
EXPORT_SYMBOL_GPL(uffd_shim_inode_data);

static void mem_evict_inode(struct inode *inode)
{
	struct uffd_shim_type *type = NULL;
	struct module *owner;

	if (uffd_shim_is_type_fops(inode->i_fop))
		type = mem_type(inode);
	truncate_inode_pages_final(&inode->i_data);
	if (type)
		uffd_shim_ram_recalc(inode);
	clear_inode(inode);
	if (!type)
		return;
	if (type->ops.release)
		type->ops.release(inode);
	owner = type->fops.owner;
	if (atomic_dec_and_test(&type->nr_users))
		wake_up_var(&type->nr_users);	/* @type may go now */
	module_put(owner);
}

static const struct super_operations mem_sops = {
	.statfs		= simple_statfs,
	.evict_inode	= mem_evict_inode,
};

static int mem_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, UFFD_SHIM_MEM_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->ops = &mem_sops;
	fc->s_iflags |= SB_I_NOEXEC | SB_I_NODEV;
	return 0;
}

static struct file_system_type mem_fs_type = {
	.name		= "uffd_shim_mem",
	.init_fs_context = mem_init_fs_context,
	.kill_sb	= kill_anon_super,
};

int __init uffd_shim_memfile_init(void)
{
	struct vfsmount *mnt = kern_mount(&mem_fs_type);

	if (IS_ERR(mnt))
		return PTR_ERR(mnt);
	mem_mnt = mnt;
	return 0;
}

bool uffd_shim_memfiles_work(void)
{
	return mem_mnt;
}

/* --- mm/gup.c: pages out of the direct map ------------------------- */

void uffd_shim_no_direct_map_get(void)
{
	static_branch_inc(&uffd_shim_no_direct_map);
}

void uffd_shim_no_direct_map_put(void)
{
	static_branch_dec(&uffd_shim_no_direct_map);
}

static bool no_direct_map_mapping(struct address_space *mapping)
{
	return mapping_inaccessible(mapping) && mapping->host &&
	       uffd_shim_is_mem_inode(mapping->host);
}

/*
 * get_user_pages() and friends: a VMA of a memory file whose pages left
 * the direct map is refused, as secretmem's are: whoever asked would touch
 * the pages through it.
 */
bool uffd_shim_gup_vma_refused(struct vm_area_struct *vma)
{
	struct file *file = vma->vm_file;

	return static_branch_unlikely(&uffd_shim_no_direct_map) && file &&
	       no_direct_map_mapping(file->f_mapping);
}

/*
 * GUP-fast, interrupts off (so the inode, freed by RCU, stays), no VMA:
 * while uffd_shim_no_direct_map is on, gup_fast_folio_allowed() sends
 * folios of every order through secretmem's check of the mapping, then
 * here, and refused ones to the slow path, which asks the VMA above.
 * @mapping was read once; it is a file's, not NULL and not anonymous.
 */
bool uffd_shim_gup_fast_mapping_refused(struct address_space *mapping)
{
	return no_direct_map_mapping(mapping);
}
