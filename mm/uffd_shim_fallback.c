// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-shim's shmem fallback, for kernels without vm_uffd_ops (before 7.2),
 * where userfaultfd accepts only anonymous, shmem and hugetlb VMAs.
 *
 * Each regular file of a type's RAM file system keeps its data in a shmem
 * file of its own (i_private), on a tmpfs mount private to the RAM-fs
 * mount, with its size= (so the limit holds for writes, fallocate and
 * faults alike). mmap hands VMAs to that file, and reads, writes, fallocate
 * and truncate go to it, so all of them see the same pages; our own page
 * cache stays empty and the type's folio callbacks are never called.
 *
 * Nor can the type's ->account see shmem fill a page: a fault or
 * UFFDIO_COPY goes straight to shmem. So the type is charged for each
 * file's extent instead, before the file grows, as shmem commits a SysV
 * segment for its whole size: every page shmem can fill later lies in it.
 * The extent is i_size, or the end of a KEEP_SIZE fallocate beyond it,
 * until the file is truncated; a hole punched in it stays charged.
 */

#define pr_fmt(fmt) "uffd_shim: " fmt

#include <linux/fs.h>
#include <linux/falloc.h>	/* after fs.h: needs its types */
#include <linux/mount.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/splice.h>
#include <linux/uio.h>
#include "uffd_shim_internal.h"

/* A RAM-fs file's i_private; the extent fields are under its i_rwsem. */
struct ram_data {
	struct file *backing;	/* the shmem file holding the data */
	loff_t falloc_end;	/* end of KEEP_SIZE allocations past i_size */
	long granted;		/* pages the type's ->account granted */
};

static struct ram_data *ram_data(struct inode *inode)
{
	if (!uffd_shim_is_ram_inode(inode) || !S_ISREG(inode->i_mode))
		return NULL;
	return inode->i_private;
}

/* The shmem file holding a RAM-fs file's data, or NULL for other files. */
static struct file *ram_backing(struct inode *inode)
{
	struct ram_data *data = ram_data(inode);

	return data ? data->backing : NULL;
}

/* Pages of a file that ends at @end, which may exceed LONG_MAX on 32-bit. */
static long ram_pages(loff_t end)
{
	return min_t(u64, DIV_ROUND_UP_ULL(end, PAGE_SIZE), LONG_MAX);
}

/* Have the type grant every page up to @end before the file may reach it. */
static int ram_grant(struct inode *inode, loff_t end)
{
	struct ram_data *data = inode->i_private;
	long more = ram_pages(end) - data->granted;
	int err;

	if (more <= 0)
		return 0;
	err = uffd_shim_type_account(uffd_shim_inode_type(inode), inode, more);
	if (!err)
		data->granted += more;
	return err;
}

/* Give back what the file's extent no longer covers. */
static void ram_trim(struct inode *inode)
{
	struct ram_data *data = inode->i_private;
	loff_t end = max(i_size_read(inode), data->falloc_end);
	long less = data->granted - ram_pages(end);

	if (less <= 0)
		return;
	data->granted -= less;
	uffd_shim_type_unaccount(uffd_shim_inode_type(inode), inode, less);
}

/* Our i_size follows the backing file's; the caller holds our i_rwsem. */
static void ram_sync_size(struct inode *inode, struct file *backing)
{
	i_size_write(inode, i_size_read(file_inode(backing)));
	inode_set_mtime_to_ts(inode, inode_set_ctime_current(inode));
}

static ssize_t ram_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct file *backing = ram_backing(file_inode(iocb->ki_filp));
	ssize_t done = vfs_iter_read(backing, to, &iocb->ki_pos, 0);

	file_accessed(iocb->ki_filp);
	return done;
}

static ssize_t ram_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	struct file *backing = ram_backing(inode);
	ssize_t ret;

	inode_lock(inode);
	ret = generic_write_checks(iocb, from);	/* O_APPEND, limits */
	if (ret > 0) {
		int err = ram_grant(inode, iocb->ki_pos + ret) ?:
			  file_remove_privs(iocb->ki_filp);	/* setuid */

		ret = err ?: vfs_iter_write(backing, from, &iocb->ki_pos, 0);
	}
	if (ret > 0)
		ram_sync_size(inode, backing);
	ram_trim(inode);
	inode_unlock(inode);
	return ret;
}

static long ram_fallocate(struct file *file, int mode, loff_t offset,
			  loff_t len)
{
	struct inode *inode = file_inode(file);
	struct ram_data *data = ram_data(inode);
	bool alloc = !(mode & FALLOC_FL_PUNCH_HOLE);
	int err = 0;

	if (!uffd_shim_ram_falloc_mode_ok(mode))
		return -EOPNOTSUPP;
	inode_lock(inode);
	/* vfs_fallocate() checked offset + len against our s_maxbytes. */
	if (alloc)
		err = ram_grant(inode, offset + len);
	if (!err)
		err = vfs_fallocate(data->backing, mode, offset, len);
	if (!err) {
		if (alloc && mode & FALLOC_FL_KEEP_SIZE)
			data->falloc_end = max(data->falloc_end, offset + len);
		ram_sync_size(inode, data->backing);
	}
	ram_trim(inode);
	inode_unlock(inode);
	return err;
}

/*
 * The VMA is handed to the backing shmem file, whose own ->mmap makes it a
 * genuine shmem VMA (the i915_gem_dmabuf_mmap() pattern). It no longer
 * pins our file: nothing of ours runs for it again.
 */
static int ram_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct file *backing = ram_backing(file_inode(file));

	if (WARN_ON_ONCE(!uffd_shim_file_type(file)))
		return -ENODEV;
	/* Not a RAM-fs file, or a shmem that moved to ->mmap_prepare. */
	if (!backing || !backing->f_op->mmap)
		return -EOPNOTSUPP;
	file_accessed(file);
	vma_set_file(vma, backing);
	return backing->f_op->mmap(backing, vma);
}

/* The template of a RAM-fs type's fops. */
const struct file_operations uffd_shim_ram_fops = {
	.read_iter	= ram_read_iter,
	.write_iter	= ram_write_iter,
	.fsync		= noop_fsync,
	.splice_read	= copy_splice_read,
	.splice_write	= iter_file_splice_write,
	.llseek		= generic_file_llseek,
	.fallocate	= ram_fallocate,
};

static int ram_resize_backing(struct file *backing, loff_t size)
{
	struct iattr attr = {
		.ia_valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME,
		.ia_size = size,
	};
	int err;

	inode_lock(file_inode(backing));
	err = notify_change(&nop_mnt_idmap, backing->f_path.dentry, &attr, NULL);
	inode_unlock(file_inode(backing));
	return err;
}

/*
 * Resize the backing file first: shmem_setattr() unmaps and truncates, and
 * a file that does not grow loses every page past its new size.
 */
static int ram_setattr(struct mnt_idmap *idmap, struct dentry *dentry,
		       struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	struct ram_data *data = ram_data(inode);
	int err = setattr_prepare(idmap, dentry, attr);

	if (err || !(attr->ia_valid & ATTR_SIZE))
		return err ?: simple_setattr(idmap, dentry, attr);
	err = ram_grant(inode, attr->ia_size) ?:
	      ram_resize_backing(data->backing, attr->ia_size);
	if (!err) {
		if (attr->ia_size <= i_size_read(inode))
			data->falloc_end = 0;
		err = simple_setattr(idmap, dentry, attr);
	}
	ram_trim(inode);
	return err;
}

/* Blocks from the page cache that holds the data. */
static int ram_getattr(struct mnt_idmap *idmap, const struct path *path,
		       struct kstat *stat, u32 request_mask,
		       unsigned int query_flags)
{
	struct file *backing = ram_backing(d_inode(path->dentry));
	int err = simple_getattr(idmap, path, stat, request_mask, query_flags);

	if (!err)
		stat->blocks = READ_ONCE(file_inode(backing)->i_blocks);
	return err;
}

static const struct inode_operations ram_file_iops = {
	.setattr	= ram_setattr,
	.getattr	= ram_getattr,
};

int uffd_shim_ram_init_file(struct inode *inode)
{
	struct uffd_shim_ram_sb *sbi = inode->i_sb->s_fs_info;
	struct ram_data *data = kzalloc_obj(*data, GFP_KERNEL_ACCOUNT);

	if (!data)
		return -ENOMEM;
	/* VM_NORESERVE: commit memory page by page, as the file fills. */
	data->backing = shmem_file_setup_with_mnt(sbi->shm_mnt, "uffd_shim", 0,
						  VM_NORESERVE);
	if (IS_ERR(data->backing)) {
		int err = PTR_ERR(data->backing);

		kfree(data);
		return err;
	}
	inode->i_op = &ram_file_iops;
	inode->i_private = data;
	return 0;
}

void uffd_shim_ram_evict_file(struct inode *inode)
{
	struct ram_data *data = ram_data(inode);

	if (!data)
		return;
	uffd_shim_type_unaccount(uffd_shim_inode_type(inode), inode,
				 data->granted);
	fput(data->backing);
	kfree(data);
}

/* This mount's tmpfs: its size= is ours, so shmem enforces it everywhere. */
int uffd_shim_ram_mount_data(struct uffd_shim_ram_sb *sbi)
{
	struct file_system_type *tmpfs = get_fs_type("tmpfs");
	char opts[48];

	if (!tmpfs)
		return -ENODEV;
	snprintf(opts, sizeof(opts), "size=%luk,nr_inodes=0",
		 sbi->max_pages << (PAGE_SHIFT - 10));
	sbi->shm_mnt = vfs_kern_mount(tmpfs, SB_KERNMOUNT, tmpfs->name, opts);
	put_filesystem(tmpfs);
	if (IS_ERR(sbi->shm_mnt)) {
		int err = PTR_ERR(sbi->shm_mnt);

		sbi->shm_mnt = NULL;
		return err;
	}
	return 0;
}

void uffd_shim_ram_unmount_data(struct uffd_shim_ram_sb *sbi)
{
	if (sbi->shm_mnt)
		kern_unmount(sbi->shm_mnt);
}

/* Nothing of a RAM file's data is in our page cache. */
void uffd_shim_ram_init_aops(struct uffd_shim_type *type)
{
	type->aops.dirty_folio = noop_dirty_folio;
}

void uffd_shim_init_backend(struct uffd_shim_type *type)
{
	type->fops.mmap = ram_mmap;
}

bool uffd_shim_is_type_fops(const struct file_operations *fops)
{
	return fops->mmap == ram_mmap;
}

bool uffd_shim_fops_have_mmap(const struct file_operations *fops)
{
	return fops->mmap;
}

/* --- Memory files: none without vm_uffd_ops (check_ops() refuses the types) */

int __init uffd_shim_memfile_init(void)
{
	return 0;
}

bool uffd_shim_is_mem_inode(const struct inode *inode)
{
	return false;
}

bool uffd_shim_memfiles_work(void)
{
	return false;
}

void uffd_shim_no_direct_map_get(void)
{
}

void uffd_shim_no_direct_map_put(void)
{
}

void uffd_shim_mem_init_type(struct uffd_shim_type *type, struct module *owner)
{
}

/**
 * uffd_shim_file_create() - make a memory file (native backend only).
 * @type: a registered type; no memory-file type registers on this backend.
 * @name: unused.
 * @size: unused.
 * @data: unused.
 *
 * Return: ERR_PTR(-EINVAL) (with a warning), as natively, for @type is not
 * a memory-file type.
 */
struct file *uffd_shim_file_create(struct uffd_shim_type *type,
				   const char *name, loff_t size, void *data)
{
	WARN_ON_ONCE(!(type->ops.flags & UFFD_SHIM_FLAG_MEMFILE));
	return ERR_PTR(-EINVAL);
}
EXPORT_SYMBOL_GPL(uffd_shim_file_create);

/**
 * uffd_shim_inode_data() - the private data of a memory file.
 * @inode: any inode; none is a memory file on this backend.
 *
 * Return: NULL.
 */
void *uffd_shim_inode_data(const struct inode *inode)
{
	return NULL;
}
EXPORT_SYMBOL_GPL(uffd_shim_inode_data);
