// SPDX-License-Identifier: GPL-2.0
/*
 * ramfile: a RAM file system whose mappings support userfaultfd.
 *
 * A model memory-type driver for uffd-shim. It is ramfs plus three things:
 *  1. one struct uffd_shim_ops describing the type (MISSING, MINOR, WP);
 *  2. regular files use uffd_shim_type_fops(), so the shim owns ->mmap and
 *     the fault path, and userfaultfd works on every mapping;
 *  3. page accounting, so a size limit holds and leaks are visible in
 *     /sys/module/ramfile/parameters/pages.
 *
 * Nothing here touches vm_uffd_ops or handle_userfault(): only
 * <linux/uffd_shim.h> and the ordinary VFS library.
 *
 *   mount -t ramfile none /mnt
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/falloc.h>	/* after fs.h: needs its types */
#include <linux/fs_context.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/uffd_shim.h>

#define RAMFILE_MAGIC 0x72616d66	/* "ramf" */

/* --- Page accounting ------------------------------------------------------ */

/*
 * Pages in ramfile page caches, all mounts together. Every page enters
 * through ramfile_account() (shim fills and faults, writes, fallocate) or
 * ramfile_read_folio() (a read of a hole) and leaves through
 * ramfile_free_folio(), whatever removed it: truncate, hole punch, eviction,
 * a failed userfaultfd fill.
 */
static atomic_long_t ramfile_pages = ATOMIC_LONG_INIT(0);

static unsigned long max_pages;
module_param(max_pages, ulong, 0644);
MODULE_PARM_DESC(max_pages, "Limit on ramfile pages, all mounts (0: none)");

static int pages_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&ramfile_pages));
}

static const struct kernel_param_ops pages_ops = {
	.get = pages_get,
};
module_param_cb(pages, &pages_ops, NULL, 0444);
MODULE_PARM_DESC(pages, "Pages currently held by ramfile files (read-only)");

static int ramfile_account(struct inode *inode, long nr_pages)
{
	long limit = READ_ONCE(max_pages);
	long now = atomic_long_add_return(nr_pages, &ramfile_pages);

	if (nr_pages > 0 && limit && now > limit) {
		atomic_long_sub(nr_pages, &ramfile_pages);
		return -ENOSPC;
	}
	return 0;
}

static void ramfile_free_folio(struct folio *folio)
{
	atomic_long_sub(uffd_shim_folio_nr_pages(folio), &ramfile_pages);
}

/* --- Page cache: how data gets in without mmap ---------------------------- */

/* A read of a hole: the page cache added a folio for us; it reads as zero. */
static int ramfile_read_folio(struct file *file, struct folio *folio)
{
	atomic_long_add(uffd_shim_folio_nr_pages(folio), &ramfile_pages);
	uffd_shim_folio_zero(folio);
	uffd_shim_folio_mark_uptodate(folio);
	uffd_shim_folio_unlock(folio);
	return 0;
}

/* The folio at @index, locked with a reference; a new zeroed one on a hole. */
static struct folio *ramfile_get_folio(struct inode *inode, pgoff_t index)
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
		uffd_shim_folio_zero(folio);
		uffd_shim_folio_mark_uptodate(folio);
		err = ramfile_account(inode, 1);
		if (!err) {
			err = uffd_shim_filemap_add_folio(mapping, folio, index);
			if (err)
				ramfile_account(inode, -1);
		}
		if (!err)
			return folio;
		uffd_shim_folio_put(folio);
		if (err != -EEXIST)
			return ERR_PTR(err);
		/* Raced with a fault or a userfaultfd fill: take theirs. */
	}
}

static int ramfile_write_begin(const struct kiocb *iocb,
			       struct address_space *mapping, loff_t pos,
			       unsigned int len, struct folio **foliop,
			       void **fsdata)
{
	struct folio *folio = ramfile_get_folio(mapping->host, pos >> PAGE_SHIFT);

	if (IS_ERR(folio))
		return PTR_ERR(folio);
	*foliop = folio;
	return 0;
}

static int ramfile_write_end(const struct kiocb *iocb,
			     struct address_space *mapping, loff_t pos,
			     unsigned int len, unsigned int copied,
			     struct folio *folio, void *fsdata)
{
	struct inode *inode = mapping->host;

	/* i_rwsem is held: i_size cannot change under us. */
	if (pos + copied > inode->i_size)
		i_size_write(inode, pos + copied);
	uffd_shim_folio_mark_dirty(folio);
	uffd_shim_folio_unlock(folio);
	uffd_shim_folio_put(folio);
	return copied;
}

static const struct address_space_operations ramfile_aops = {
	.read_folio	= ramfile_read_folio,
	.write_begin	= ramfile_write_begin,
	.write_end	= ramfile_write_end,
	.dirty_folio	= noop_dirty_folio,
	.free_folio	= ramfile_free_folio,
};

/* --- Regular files --------------------------------------------------------- */

static long ramfile_fallocate(struct file *file, int mode, loff_t offset,
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
		struct folio *folio = ramfile_get_folio(inode, index);

		if (IS_ERR(folio)) {
			err = PTR_ERR(folio);
			break;
		}
		uffd_shim_folio_unlock(folio);
		uffd_shim_folio_put(folio);
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

/* The template the shim copies; it adds ->mmap_prepare. */
static const struct file_operations ramfile_file_template = {
	.owner		= THIS_MODULE,
	.read_iter	= generic_file_read_iter,
	.write_iter	= generic_file_write_iter,
	.fsync		= noop_fsync,
	.splice_read	= filemap_splice_read,
	.splice_write	= iter_file_splice_write,
	.llseek		= generic_file_llseek,
	.fallocate	= ramfile_fallocate,
};

static const struct inode_operations ramfile_file_iops = {
	.setattr	= simple_setattr,	/* truncate_setsize() on resize */
	.getattr	= simple_getattr,	/* blocks from nrpages */
};

/* --- The memory type --------------------------------------------------------- */

static struct inode *ramfile_get_inode(struct super_block *sb,
				       const struct inode *dir, umode_t mode);

static const struct uffd_shim_ops ramfile_uffd_ops = {
	.api_version	= UFFD_SHIM_API_VERSION,
	.name		= "ramfile",
	.modes		= UFFD_SHIM_MODE_MISSING | UFFD_SHIM_MODE_MINOR |
			  UFFD_SHIM_MODE_WP,
	.fops		= &ramfile_file_template,
	.account	= ramfile_account,
	.new_inode	= ramfile_get_inode,	/* the shim's directory ops use it */
	/* Every folio callback: the shim's page-cache defaults. */
};

static struct uffd_shim_type *ramfile_type;

/* --- Inodes and the file system ------------------------------------------------ */

static struct inode *ramfile_get_inode(struct super_block *sb,
				       const struct inode *dir, umode_t mode)
{
	struct inode *inode = new_inode(sb);

	if (!inode)
		return NULL;
	inode->i_ino = get_next_ino();
	inode_init_owner(&nop_mnt_idmap, inode, dir, mode);
	inode->i_mapping->a_ops = &ramfile_aops;
	mapping_set_gfp_mask(inode->i_mapping, GFP_HIGHUSER);
	mapping_set_unevictable(inode->i_mapping);
	simple_inode_init_ts(inode);
	if (S_ISDIR(mode)) {
		inode->i_op = uffd_shim_type_dir_iops(ramfile_type);
		inode->i_fop = &simple_dir_operations;
		inc_nlink(inode);	/* "." */
	} else {
		inode->i_op = &ramfile_file_iops;
		inode->i_fop = uffd_shim_type_fops(ramfile_type);
	}
	return inode;
}

static const struct super_operations ramfile_sops = {
	.statfs		= simple_statfs,
	.drop_inode	= inode_just_drop,
};

static int ramfile_fill_super(struct super_block *sb, struct fs_context *fc)
{
	sb->s_maxbytes = MAX_LFS_FILESIZE;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_magic = RAMFILE_MAGIC;
	sb->s_op = &ramfile_sops;
	sb->s_d_flags = DCACHE_DONTCACHE;
	sb->s_time_gran = 1;
	sb->s_root = d_make_root(ramfile_get_inode(sb, NULL, S_IFDIR | 0755));
	return sb->s_root ? 0 : -ENOMEM;
}

static int ramfile_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, ramfile_fill_super);
}

static const struct fs_context_operations ramfile_context_ops = {
	.get_tree	= ramfile_get_tree,
};

static int ramfile_init_fs_context(struct fs_context *fc)
{
	fc->ops = &ramfile_context_ops;
	return 0;
}

static struct file_system_type ramfile_fs_type = {
	.owner		= THIS_MODULE,	/* a mount pins the module */
	.name		= "ramfile",
	.init_fs_context = ramfile_init_fs_context,
	.kill_sb	= kill_anon_super,
};

static int __init ramfile_init(void)
{
	int err;

	ramfile_type = uffd_shim_register(&ramfile_uffd_ops);
	if (IS_ERR(ramfile_type))
		return PTR_ERR(ramfile_type);
	err = register_filesystem(&ramfile_fs_type);
	if (err)
		uffd_shim_unregister(ramfile_type);
	return err;
}

static void __exit ramfile_exit(void)
{
	unregister_filesystem(&ramfile_fs_type);
	uffd_shim_unregister(ramfile_type);
}

module_init(ramfile_init);
module_exit(ramfile_exit);

MODULE_DESCRIPTION("RAM file system with userfaultfd support, on uffd-shim");
MODULE_LICENSE("GPL");
