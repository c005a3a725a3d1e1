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
#include <linux/splice.h>
#include <linux/uio.h>
#include "uffd_shim_internal.h"

#define UFFD_SHIM_RAM_MAGIC 0x75667372	/* "ufsr" */

/* Types with a file system; searched only at mount time. */
static LIST_HEAD(ram_types);
static DEFINE_MUTEX(ram_types_lock);

static struct uffd_shim_type *inode_type(struct inode *inode)
{
	return inode->i_sb->s_fs_info;
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
		err = uffd_shim_type_account(inode_type(inode), inode, 1);
		if (!err) {
			err = uffd_shim_filemap_add_folio(mapping, folio, index);
			if (err)
				uffd_shim_type_account(inode_type(inode), inode, -1);
		}
		if (!err)
			return folio;
		folio_put(folio);
		if (err != -EEXIST)
			return ERR_PTR(err);
		/* Raced with a fault or a userfaultfd fill: take theirs. */
	}
}

static int ram_write_begin(const struct kiocb *iocb,
			   struct address_space *mapping, loff_t pos,
			   unsigned int len, struct folio **foliop,
			   void **fsdata)
{
	struct folio *folio = ram_get_folio(mapping->host, pos >> PAGE_SHIFT);

	if (IS_ERR(folio))
		return PTR_ERR(folio);
	*foliop = folio;
	return 0;
}

static int ram_write_end(const struct kiocb *iocb,
			 struct address_space *mapping, loff_t pos,
			 unsigned int len, unsigned int copied,
			 struct folio *folio, void *fsdata)
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

/**
 * uffd_shim_ram_init_aops() - the address_space_operations of a type's RAM files.
 * @type: the type being registered.
 *
 * No ->read_folio: reads of holes are served by ram_read_iter() without a
 * page, and nothing else on this file system reads through the page cache.
 */
void uffd_shim_ram_init_aops(struct uffd_shim_type *type)
{
	type->aops.write_begin = ram_write_begin;
	type->aops.write_end = ram_write_end;
	type->aops.dirty_folio = noop_dirty_folio;
	type->aops.free_folio = type->ops.free_folio;
}

/* --- Regular files -------------------------------------------------------- */

/* Copy cached pages, zeroes for holes: a read never allocates. */
static ssize_t ram_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	ssize_t done = 0;
	int err = 0;

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

static long ram_fallocate(struct file *file, int mode, loff_t offset,
			  loff_t len)
{
	struct inode *inode = file_inode(file);
	loff_t end = offset + len;
	pgoff_t index;
	int err = 0;

	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP;
	if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;

	inode_lock(inode);
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
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > i_size_read(inode))
		i_size_write(inode, end);
	for (index = offset >> PAGE_SHIFT;
	     index < DIV_ROUND_UP(min(end, i_size_read(inode)), PAGE_SIZE);
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
out:
	inode_set_mtime_to_ts(inode, inode_set_ctime_current(inode));
	inode_unlock(inode);
	return err;
}

/* The template of a RAM-fs type's fops; the core adds ->mmap_prepare. */
const struct file_operations uffd_shim_ram_fops = {
	.read_iter	= ram_read_iter,
	.write_iter	= generic_file_write_iter,
	.fsync		= noop_fsync,
	.splice_read	= copy_splice_read,
	.splice_write	= iter_file_splice_write,
	.llseek		= generic_file_llseek,
	.fallocate	= ram_fallocate,
};

static const struct inode_operations ram_file_iops = {
	.setattr	= simple_setattr,	/* truncate_setsize() on resize */
	.getattr	= simple_getattr,	/* blocks from nrpages */
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
		return NULL;
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
	}
	return inode;
}

static const struct super_operations ram_sops = {
	.statfs		= simple_statfs,
	.drop_inode	= inode_just_drop,
};

static int ram_fill_super(struct super_block *sb, struct fs_context *fc)
{
	sb->s_maxbytes = MAX_LFS_FILESIZE;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_magic = UFFD_SHIM_RAM_MAGIC;
	sb->s_op = &ram_sops;
	sb->s_d_flags = DCACHE_DONTCACHE;
	sb->s_time_gran = 1;
	sb->s_root = d_make_root(ram_new_inode(sb, NULL, S_IFDIR | 0755));
	return sb->s_root ? 0 : -ENOMEM;
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
 * @fs_type has no name; -EBUSY if @type already has a file system; the
 * error of register_filesystem() (-EBUSY for a name in use).
 */
int uffd_shim_register_fs(struct uffd_shim_type *type,
			  struct file_system_type *fs_type)
{
	int err;

	if (type->fs_type)
		return -EBUSY;
	if (!fs_type || !fs_type->name || type->ops.fops || type->ops.new_inode)
		return -EINVAL;

	fs_type->init_fs_context = ram_init_fs_context;
	fs_type->kill_sb = kill_anon_super;
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
 * Context: no mount of the file system is left (a mount pins the owner).
 */
void uffd_shim_ram_unregister(struct uffd_shim_type *type)
{
	if (!type->fs_type)
		return;
	unregister_filesystem(type->fs_type);	/* no-op if never registered */
	mutex_lock(&ram_types_lock);
	list_del(&type->fs_node);
	mutex_unlock(&ram_types_lock);
	type->fs_type = NULL;
	type->ops.new_inode = NULL;
}
