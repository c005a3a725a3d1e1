// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-shim RAM file system: a mountable home for the files of any memory
 * type, so that a driver which only describes its memory (C or Rust) can be
 * mounted, written, read, truncated, hole-punched and mapped with
 * userfaultfd, and the same userspace suite can run against every type.
 *
 * It is ramfs with three differences:
 *  - every page enters through one accounting point that may refuse
 *    (->account: writes, fallocate, faults, userfaultfd fills) and leaves
 *    through the type's ->free_folio;
 *  - reading a hole copies zeroes instead of allocating (as shmem does), so
 *    a read can never be refused and never needs accounting;
 *  - the superblock, inodes and directory operations come from the shim, so
 *    the driver has no kernel-version-specific VFS code.
 */

#define pr_fmt(fmt) "uffd_shim: " fmt

#include <linux/fs.h>
#include <linux/falloc.h>	/* after fs.h: needs its types */
#include <linux/fs_context.h>
#include <linux/highmem.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/splice.h>
#include <linux/uio.h>
#include <linux/wait_bit.h>
#include "uffd_shim_internal.h"

#define UFFD_SHIM_RAM_MAGIC 0x75667372	/* "ufsr" */

/* Types with a file system; searched only at mount time. */
static LIST_HEAD(ram_types);
static DEFINE_MUTEX(ram_types_lock);

static const struct super_operations ram_sops;

static struct uffd_shim_type *inode_type(struct inode *inode)
{
	return inode->i_sb->s_fs_info;
}

/* --- Shmem fallback ---------------------------------------------------------- */

/*
 * Without vm_uffd_ops, userfaultfd works only on shmem mappings: each regular
 * file then keeps its data in a shmem file of its own (i_private), which
 * mmap hands its VMAs to and which reads, writes, fallocate and truncate go
 * to, so that all of them see the same pages. Our own page cache stays empty.
 */

/**
 * uffd_shim_ram_backing() - the shmem file holding a RAM-fs file's data.
 * @inode: any inode.
 *
 * Return: the backing file on a fallback kernel for a regular file of the
 * shim's RAM file system; NULL otherwise (the data is in @inode's own page
 * cache, or @inode is not ours).
 */
struct file *uffd_shim_ram_backing(struct inode *inode)
{
	if (inode->i_sb->s_op != &ram_sops || !S_ISREG(inode->i_mode))
		return NULL;
	return inode->i_private;
}

static struct file *ram_new_backing(void)
{
#ifdef CONFIG_UFFD_SHIM_NATIVE
	return NULL;
#else
	/* VM_NORESERVE: commit memory page by page, as the file fills. */
	return shmem_kernel_file_setup("uffd_shim", 0, VM_NORESERVE);
#endif
}

/* Our i_size follows the backing file's; the caller holds our i_rwsem. */
static void ram_sync_size(struct inode *inode, struct file *backing)
{
	i_size_write(inode, i_size_read(file_inode(backing)));
	inode_set_mtime_to_ts(inode, inode_set_ctime_current(inode));
}

/* --- Page cache -------------------------------------------------------------- */

/* The folio at @index, locked with a reference; a new, accounted zero page on a hole. */
static struct folio *ram_get_folio(struct inode *inode, pgoff_t index)
{
	struct address_space *mapping = inode->i_mapping;
	struct folio *folio;
	int err;

	for (;;) {
		folio = uffd_shim_filemap_lock_folio(mapping, index);
		if (folio)
			return folio;

		folio = uffd_shim_folio_alloc(mapping);
		if (!folio)
			return ERR_PTR(-ENOMEM);
		folio_zero_range(folio, 0, folio_size(folio));
		__folio_mark_uptodate(folio);
		/* Any index: a write fills the page before it moves EOF. */
		err = uffd_shim_type_insert(inode_type(inode), mapping, folio,
					    index);
		if (!err)
			return folio;
		folio_put(folio);
		if (err != -EEXIST)
			return ERR_PTR(err);
		/* Raced with a fault or a userfaultfd fill: take theirs. */
	}
}

static int ram_begin(struct address_space *mapping, loff_t pos,
		     struct folio **foliop)
{
	struct folio *folio = ram_get_folio(mapping->host, pos >> PAGE_SHIFT);

	if (IS_ERR(folio))
		return PTR_ERR(folio);
	*foliop = folio;
	return 0;
}

static int ram_end(struct address_space *mapping, loff_t pos,
		   unsigned int copied, struct folio *folio)
{
	struct inode *inode = mapping->host;

	/* i_rwsem is held: i_size cannot change under us. */
	if (pos + copied > inode->i_size)
		i_size_write(inode, pos + copied);
	folio_mark_dirty(folio);
	folio_unlock(folio);
	folio_put(folio);
	return copied;
}

/*
 * ->write_begin/->write_end take a kiocb since 6.17, a file before: the
 * right pair is picked by the type of the tree's own members.
 */
static int __maybe_unused ram_write_begin(const struct kiocb *iocb,
					  struct address_space *mapping,
					  loff_t pos, unsigned int len,
					  struct folio **foliop, void **fsdata)
{
	return ram_begin(mapping, pos, foliop);
}

static int __maybe_unused ram_write_end(const struct kiocb *iocb,
					struct address_space *mapping,
					loff_t pos, unsigned int len,
					unsigned int copied, struct folio *folio,
					void *fsdata)
{
	return ram_end(mapping, pos, copied, folio);
}

static int __maybe_unused ram_write_begin_file(struct file *file,
					       struct address_space *mapping,
					       loff_t pos, unsigned int len,
					       struct folio **foliop,
					       void **fsdata)
{
	return ram_begin(mapping, pos, foliop);
}

static int __maybe_unused ram_write_end_file(struct file *file,
					     struct address_space *mapping,
					     loff_t pos, unsigned int len,
					     unsigned int copied,
					     struct folio *folio, void *fsdata)
{
	return ram_end(mapping, pos, copied, folio);
}

#define WRITE_BEGIN_TAKES_KIOCB						\
	__builtin_types_compatible_p(					\
		typeof(((struct address_space_operations *)NULL)->write_begin), \
		typeof(ram_write_begin) *)

/**
 * uffd_shim_ram_init_aops() - the address_space_operations of a type's RAM files.
 * @type: the type being registered.
 *
 * No ->read_folio: reads of holes are served by ram_read_iter() without a
 * page, and nothing else on this file system reads through the page cache.
 */
void uffd_shim_ram_init_aops(struct uffd_shim_type *type)
{
	type->aops.write_begin = __builtin_choose_expr(WRITE_BEGIN_TAKES_KIOCB,
						       ram_write_begin,
						       ram_write_begin_file);
	type->aops.write_end = __builtin_choose_expr(WRITE_BEGIN_TAKES_KIOCB,
						     ram_write_end,
						     ram_write_end_file);
	type->aops.dirty_folio = noop_dirty_folio;
	type->aops.free_folio = type->ops.free_folio;
}

/* --- Regular files -------------------------------------------------------- */

/* Copy cached pages, zeroes for holes: a read never allocates. */
static ssize_t ram_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	struct file *backing = uffd_shim_ram_backing(inode);
	ssize_t done = 0;
	int err = 0;

	if (backing) {
		done = vfs_iter_read(backing, to, &iocb->ki_pos, 0);
		file_accessed(iocb->ki_filp);
		return done;
	}

	while (iov_iter_count(to)) {
		loff_t pos = iocb->ki_pos, size = i_size_read(inode);
		size_t offset = offset_in_page(pos), n, copied;
		struct folio *folio;

		if (pos >= size)
			break;
		n = min3(PAGE_SIZE - offset, (size_t)(size - pos),
			 iov_iter_count(to));
		folio = uffd_shim_filemap_get_folio(inode->i_mapping,
						    pos >> PAGE_SHIFT);
		if (folio && folio_test_hwpoison(folio)) {
			folio_put(folio);
			err = -EIO;
			break;
		}
		if (!folio) {
			copied = iov_iter_zero(n, to);
		} else {
			copied = copy_folio_to_iter(folio,
						    offset_in_folio(folio, pos),
						    n, to);
			folio_put(folio);
		}
		done += copied;
		iocb->ki_pos += copied;
		if (copied < n) {
			err = -EFAULT;
			break;
		}
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		cond_resched();
	}
	file_accessed(iocb->ki_filp);
	return done ?: err;
}

static ssize_t ram_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	struct file *backing = uffd_shim_ram_backing(inode);
	ssize_t ret;

	if (!backing)
		return generic_file_write_iter(iocb, from);
	inode_lock(inode);
	ret = generic_write_checks(iocb, from);	/* O_APPEND, limits */
	if (ret > 0) {
		int err = file_remove_privs(iocb->ki_filp);	/* setuid */

		ret = err ?: vfs_iter_write(backing, from, &iocb->ki_pos, 0);
	}
	if (ret > 0)
		ram_sync_size(inode, backing);
	inode_unlock(inode);
	return ret;
}

static long ram_fallocate(struct file *file, int mode, loff_t offset,
			  loff_t len)
{
	struct inode *inode = file_inode(file);
	struct file *backing = uffd_shim_ram_backing(inode);
	loff_t end = offset + len, old_size;
	pgoff_t index;
	int err = 0;

	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP;
	if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;

	inode_lock(inode);
	if (backing) {
		err = vfs_fallocate(backing, mode, offset, len);
		if (!err)
			ram_sync_size(inode, backing);
		inode_unlock(inode);
		return err;
	}
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		/* Zaps mappings, drops whole pages, zeroes partial ones. */
		if (offset < i_size_read(inode))
			truncate_pagecache_range(inode, offset,
						 min(end, i_size_read(inode)) - 1);
		goto out;
	}

	err = inode_newsize_ok(inode, end);
	if (err)
		goto out;
	/* As shmem does: the whole range, beyond EOF too with KEEP_SIZE. */
	old_size = i_size_read(inode);
	for (index = offset >> PAGE_SHIFT; index < DIV_ROUND_UP(end, PAGE_SIZE);
	     index++) {
		struct folio *folio = ram_get_folio(inode, index);

		if (IS_ERR(folio)) {
			err = PTR_ERR(folio);
			break;
		}
		folio_unlock(folio);
		folio_put(folio);
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
	}
	if (err) {
		/* Failed: give back what was allocated past EOF, keep the size. */
		if (end > PAGE_ALIGN(old_size))
			truncate_pagecache_range(inode, PAGE_ALIGN(old_size), end - 1);
	} else if (!(mode & FALLOC_FL_KEEP_SIZE) && end > old_size) {
		i_size_write(inode, end);
	}
out:
	inode_set_mtime_to_ts(inode, inode_set_ctime_current(inode));
	inode_unlock(inode);
	return err;
}

/* The template of a RAM-fs type's fops; the core adds ->mmap_prepare. */
const struct file_operations uffd_shim_ram_fops = {
	.read_iter	= ram_read_iter,
	.write_iter	= ram_write_iter,
	.fsync		= noop_fsync,
	.splice_read	= copy_splice_read,
	.splice_write	= iter_file_splice_write,
	.llseek		= generic_file_llseek,
	.fallocate	= ram_fallocate,
};

/* Resize: truncate_setsize() on ours, and the backing file first if any. */
static int ram_setattr(struct mnt_idmap *idmap, struct dentry *dentry,
		       struct iattr *attr)
{
	struct file *backing = uffd_shim_ram_backing(d_inode(dentry));
	int err = setattr_prepare(idmap, dentry, attr);

	if (err)
		return err;
	if (backing && attr->ia_valid & ATTR_SIZE) {
		struct iattr size = {
			.ia_valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME,
			.ia_size = attr->ia_size,
		};
		struct inode *shmem = file_inode(backing);

		/* shmem_setattr() unmaps, truncates and re-accounts. */
		inode_lock(shmem);
		err = notify_change(&nop_mnt_idmap, backing->f_path.dentry,
				    &size, NULL);
		inode_unlock(shmem);
		if (err)
			return err;
	}
	return simple_setattr(idmap, dentry, attr);
}

/* Blocks from the page cache that holds the data. */
static int ram_getattr(struct mnt_idmap *idmap, const struct path *path,
		       struct kstat *stat, u32 request_mask,
		       unsigned int query_flags)
{
	struct file *backing = uffd_shim_ram_backing(d_inode(path->dentry));
	int err = simple_getattr(idmap, path, stat, request_mask, query_flags);

	if (!err && backing)
		stat->blocks = READ_ONCE(file_inode(backing)->i_blocks);
	return err;
}

static const struct inode_operations ram_file_iops = {
	.setattr	= ram_setattr,
	.getattr	= ram_getattr,
};

/* --- Inodes and the file system -------------------------------------------- */

static struct inode *ram_new_inode(struct super_block *sb,
				   const struct inode *dir, umode_t mode)
{
	struct uffd_shim_type *type = sb->s_fs_info;
	struct inode *inode;

	if (!S_ISDIR(mode) && !S_ISREG(mode))
		return ERR_PTR(-EOPNOTSUPP);
	inode = new_inode(sb);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	inode->i_ino = get_next_ino();
	inode_init_owner(&nop_mnt_idmap, inode, dir, mode);
	inode->i_mapping->a_ops = &type->aops;
	mapping_set_gfp_mask(inode->i_mapping, GFP_HIGHUSER);
	mapping_set_unevictable(inode->i_mapping);
	simple_inode_init_ts(inode);
	if (S_ISDIR(mode)) {
		inode->i_op = &type->dir_iops;
		inode->i_fop = &simple_dir_operations;
		inc_nlink(inode);	/* "." */
	} else {
		inode->i_op = &ram_file_iops;
		inode->i_fop = &type->fops;
		inode->i_private = ram_new_backing();
		if (IS_ERR(inode->i_private)) {
			struct file *err = inode->i_private;

			inode->i_private = NULL;
			iput(inode);
			return ERR_CAST(err);
		}
	}
	return inode;
}

static void ram_evict_inode(struct inode *inode)
{
	struct file *backing = uffd_shim_ram_backing(inode);

	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	if (backing)
		fput(backing);
}

/* No ->drop_inode: the default drops unhashed inodes, and ours all are. */
static const struct super_operations ram_sops = {
	.statfs		= simple_statfs,
	.evict_inode	= ram_evict_inode,
};

static int ram_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct uffd_shim_type *type = sb->s_fs_info;
	struct inode *root;

	/* Paired in ram_kill_sb(), which runs even if this fails. */
	atomic_inc(&type->nr_sb);
	sb->s_maxbytes = MAX_LFS_FILESIZE;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_magic = UFFD_SHIM_RAM_MAGIC;
	sb->s_op = &ram_sops;
#ifdef CONFIG_UFFD_SHIM_SB_D_FLAGS
	sb->s_d_flags = DCACHE_DONTCACHE;
#endif
	sb->s_time_gran = 1;
	root = ram_new_inode(sb, NULL, S_IFDIR | 0755);
	if (IS_ERR(root))
		return PTR_ERR(root);
	sb->s_root = d_make_root(root);
	return sb->s_root ? 0 : -ENOMEM;
}

static void ram_kill_sb(struct super_block *sb)
{
	struct uffd_shim_type *type = sb->s_fs_info;

#ifdef CONFIG_UFFD_SHIM_D_MAKE_PERSISTENT
	kill_anon_super(sb);
#else
	kill_litter_super(sb);	/* drops the pinned dentries */
#endif
	if (atomic_dec_and_test(&type->nr_sb))
		wake_up_var(&type->nr_sb);
}

static int ram_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, ram_fill_super);
}

static const struct fs_context_operations ram_context_ops = {
	.get_tree	= ram_get_tree,
};

static int ram_init_fs_context(struct fs_context *fc)
{
	struct uffd_shim_type *type;
	int err = -ENODEV;

	/* The mount pins fs_type->owner, so the type outlives the mount. */
	mutex_lock(&ram_types_lock);
	list_for_each_entry(type, &ram_types, fs_node) {
		if (type->fs_type == fc->fs_type) {
			fc->s_fs_info = type;	/* becomes sb->s_fs_info */
			fc->ops = &ram_context_ops;
			err = 0;
			break;
		}
	}
	mutex_unlock(&ram_types_lock);
	return err;
}

/**
 * uffd_shim_register_fs() - give a memory type a mountable RAM file system.
 * @type: a type registered with NULL ->fops and no ->new_inode.
 * @fs_type: the driver's static file_system_type with ->name and ->owner
 *	set; the shim fills in the rest. It must be static storage (lockdep
 *	keys live in it) and stay untouched until uffd_shim_unregister().
 *
 * After this, ``mount -t <name> none <dir>`` gives a RAM file system whose
 * regular files are files of @type: read, write, truncate, fallocate
 * (KEEP_SIZE, PUNCH_HOLE), mmap with userfaultfd in the type's modes.
 * Reads of holes copy zeroes and allocate nothing; every other way a page
 * enters calls ->account first, and pages leave through ->free_folio.
 * A mount holds a reference on @fs_type->owner, which is also made the
 * owner of the type's files. uffd_shim_unregister() unregisters the file
 * system.
 *
 * Context: process context, may sleep; before any file of @type exists.
 * Return: 0; -EINVAL if @type brings its own fops or ->new_inode, or
 * @fs_type has no name; -EBUSY if @type already has a file system or
 * @fs_type is in use; the error of register_filesystem() (-EBUSY for a
 * name in use).
 */
int uffd_shim_register_fs(struct uffd_shim_type *type,
			  struct file_system_type *fs_type)
{
	int err;

	if (type->fs_type)
		return -EBUSY;
	if (!fs_type || !fs_type->name || type->ops.fops || type->ops.new_inode)
		return -EINVAL;
	if (fs_type->init_fs_context)	/* another type's, or the driver's own */
		return -EBUSY;

	fs_type->init_fs_context = ram_init_fs_context;
	fs_type->kill_sb = ram_kill_sb;
	type->fops.owner = fs_type->owner;
	type->ops.new_inode = ram_new_inode;	/* for the directory iops */
	type->fs_type = fs_type;
	mutex_lock(&ram_types_lock);
	list_add(&type->fs_node, &ram_types);
	mutex_unlock(&ram_types_lock);

	err = register_filesystem(fs_type);
	if (err)
		uffd_shim_ram_unregister(type);
	return err;
}
EXPORT_SYMBOL_GPL(uffd_shim_register_fs);

/**
 * uffd_shim_ram_unregister() - undo uffd_shim_register_fs(), if it was done.
 * @type: the type being unregistered.
 *
 * Waits for the last superblock to be gone: a mount pins the owner module,
 * but the final mntput() of a kernel-internal mount (kern_unmount() from a
 * kernel thread, a built-in user) is deferred to a work item.
 *
 * Context: process context, may sleep; no mount of the file system is left.
 */
void uffd_shim_ram_unregister(struct uffd_shim_type *type)
{
	if (!type->fs_type)
		return;
	unregister_filesystem(type->fs_type);	/* no-op if never registered */
	wait_var_event(&type->nr_sb, !atomic_read(&type->nr_sb));
	mutex_lock(&ram_types_lock);
	list_del(&type->fs_node);
	mutex_unlock(&ram_types_lock);
	/* The driver may register the same static fs_type again. */
	type->fs_type->init_fs_context = NULL;
	type->fs_type->kill_sb = NULL;
	type->fs_type = NULL;
	type->ops.new_inode = NULL;
}
