// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-shim RAM file system: a mountable home for the files of any memory
 * type, so that a driver which only describes its memory (C or Rust) can be
 * mounted, written, read, truncated, hole-punched and mapped with
 * userfaultfd, and the same userspace suite can run against every type.
 *
 * This file is the file system: mounts and their size= bound, superblocks,
 * inodes. The regular files' operations are the backend's:
 * uffd_shim_ramfile.c (vm_uffd_ops) or uffd_shim_fallback.c (shmem).
 *
 * A mount's pages are counted as shmem counts them: charged to the mount
 * before a page enters a page cache (uffd_shim_ram_charge()), recorded per
 * inode in i_blocks once it is in, and given back by
 * uffd_shim_ram_recalc(), which compares i_blocks with the page cache
 * after whatever removed pages (->free_folio knows no mapping).
 */

#define pr_fmt(fmt) "uffd_shim: " fmt

#include <linux/fs.h>
#include <linux/falloc.h>	/* after fs.h: needs its types */
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include <linux/wait_bit.h>
#include "uffd_shim_internal.h"

#define UFFD_SHIM_RAM_MAGIC 0x75667372	/* "ufsr" */
#define BLOCKS_PER_PAGE (PAGE_SIZE / 512)

/* Types with a file system; searched only at mount time. */
static LIST_HEAD(ram_types);
static DEFINE_MUTEX(ram_types_lock);

static const struct super_operations ram_sops;

bool uffd_shim_is_ram_inode(const struct inode *inode)
{
	return inode->i_sb->s_op == &ram_sops;
}

static struct uffd_shim_type *sb_type(struct super_block *sb)
{
	return ((struct uffd_shim_ram_sb *)sb->s_fs_info)->type;
}

struct uffd_shim_type *uffd_shim_ram_type(const struct inode *inode)
{
	return sb_type(inode->i_sb);
}

/* The fallocate modes RAM files take, on either backend. */
bool uffd_shim_ram_falloc_mode_ok(int mode)
{
	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return false;
	return !(mode & FALLOC_FL_PUNCH_HOLE) || (mode & FALLOC_FL_KEEP_SIZE);
}

/* --- Pages of a mount ------------------------------------------------------ */

static struct uffd_shim_ram_sb *ram_sb(struct inode *inode)
{
	return uffd_shim_is_ram_inode(inode) ? inode->i_sb->s_fs_info : NULL;
}

/* Inodes whose resident pages are counted in i_blocks. */
static bool counted(const struct inode *inode)
{
	return uffd_shim_is_ram_inode(inode) || uffd_shim_is_mem_inode(inode);
}

/*
 * Give back what left @inode's page cache since the last call: to its
 * mount, and to its type's ->unaccount.
 */
void uffd_shim_ram_recalc(struct inode *inode)
{
	const struct uffd_shim_type *type = uffd_shim_inode_type(inode);
	struct uffd_shim_ram_sb *sbi = ram_sb(inode);
	long freed;

	if (!counted(inode))
		return;
	spin_lock(&inode->i_lock);
	freed = inode->i_blocks / BLOCKS_PER_PAGE -
		READ_ONCE(inode->i_mapping->nrpages);
	if (freed > 0)
		inode->i_blocks -= freed * BLOCKS_PER_PAGE;
	spin_unlock(&inode->i_lock);
	if (freed <= 0)
		return;
	if (sbi)
		atomic_long_sub(freed, &sbi->nr_pages);
	/* API 2 types give pages back in ->free_folio instead. */
	if (type && type->ops.unaccount)
		type->ops.unaccount(inode, freed);
}

/**
 * uffd_shim_ram_charge() - reserve room in @inode's mount for @nr pages.
 * @inode: any inode: only those of a RAM file system are charged.
 * @nr: pages about to enter @inode's page cache.
 *
 * Return: 0; -ENOSPC beyond the mount's size=. Follow with
 * uffd_shim_ram_commit() once the pages are in, or with
 * uffd_shim_ram_uncharge() if they never got in.
 */
int uffd_shim_ram_charge(struct inode *inode, long nr)
{
	struct uffd_shim_ram_sb *sbi = ram_sb(inode);
	unsigned long nr_pages;

	if (!sbi)
		return 0;
	uffd_shim_ram_recalc(inode);
	/* Added first: concurrent chargers never overshoot the bound together. */
	nr_pages = atomic_long_add_return(nr, &sbi->nr_pages);
	if (sbi->max_pages && nr_pages > sbi->max_pages) {
		atomic_long_sub(nr, &sbi->nr_pages);
		return -ENOSPC;
	}
	return 0;
}

void uffd_shim_ram_uncharge(struct inode *inode, long nr)
{
	struct uffd_shim_ram_sb *sbi = ram_sb(inode);

	if (sbi)
		atomic_long_sub(nr, &sbi->nr_pages);
}

void uffd_shim_ram_commit(struct inode *inode, long nr)
{
	if (!counted(inode))
		return;
	spin_lock(&inode->i_lock);
	inode->i_blocks += nr * BLOCKS_PER_PAGE;
	spin_unlock(&inode->i_lock);
	/* A removal that raced the insertion went unseen until now. */
	uffd_shim_ram_recalc(inode);
}

static int ram_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct uffd_shim_ram_sb *sbi = dentry->d_sb->s_fs_info;
	struct path data = { .mnt = sbi->shm_mnt };
	long used = atomic_long_read(&sbi->nr_pages);
	int err;

	/* The fallback's pages are the tmpfs's: ask it. */
	if (sbi->shm_mnt) {
		data.dentry = sbi->shm_mnt->mnt_root;
		err = vfs_statfs(&data, buf);
		buf->f_type = UFFD_SHIM_RAM_MAGIC;
		return err;
	}
	err = simple_statfs(dentry, buf);
	if (!err && sbi->max_pages) {
		buf->f_blocks = sbi->max_pages;
		buf->f_bfree = sbi->max_pages - min_t(long, used, sbi->max_pages);
		buf->f_bavail = buf->f_bfree;
	}
	return err;
}

/* --- Inodes and the file system -------------------------------------------- */

static struct inode *ram_new_inode(struct super_block *sb,
				   const struct inode *dir, umode_t mode)
{
	struct uffd_shim_type *type = sb_type(sb);
	struct inode *inode;
	int err;

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
		return inode;
	}
	inode->i_fop = &type->fops;
	err = uffd_shim_ram_init_file(inode);
	if (err) {
		iput(inode);
		return ERR_PTR(err);
	}
	return inode;
}

static void ram_evict_inode(struct inode *inode)
{
	truncate_inode_pages_final(&inode->i_data);
	uffd_shim_ram_recalc(inode);
	if (S_ISREG(inode->i_mode))
		uffd_shim_ram_evict_file(inode);
	clear_inode(inode);
}

/* No ->drop_inode: the default drops unhashed inodes, and ours all are. */
static const struct super_operations ram_sops = {
	.statfs		= ram_statfs,
	.evict_inode	= ram_evict_inode,
};

/* A mount context, then its superblock, holds the type until it ends. */
static void ram_put_sb(struct uffd_shim_ram_sb *sbi)
{
	struct uffd_shim_type *type = sbi->type;

	kfree(sbi);
	if (atomic_dec_and_test(&type->nr_users))
		wake_up_var(&type->nr_users);
}

static int ram_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct inode *root;
	int err;

	sb->s_maxbytes = MAX_LFS_FILESIZE;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_magic = UFFD_SHIM_RAM_MAGIC;
	sb->s_op = &ram_sops;
#ifdef CONFIG_UFFD_SHIM_SB_D_FLAGS
	sb->s_d_flags = DCACHE_DONTCACHE;
#endif
	sb->s_time_gran = 1;
	err = uffd_shim_ram_mount_data(sb->s_fs_info);
	if (err)
		return err;
	root = ram_new_inode(sb, NULL, S_IFDIR | 0755);
	if (IS_ERR(root))
		return PTR_ERR(root);
	sb->s_root = d_make_root(root);
	return sb->s_root ? 0 : -ENOMEM;
}

static void ram_kill_sb(struct super_block *sb)
{
	struct uffd_shim_ram_sb *sbi = sb->s_fs_info;

#ifdef CONFIG_UFFD_SHIM_D_MAKE_PERSISTENT
	kill_anon_super(sb);
#else
	kill_litter_super(sb);	/* drops the pinned dentries */
#endif
	/* From the mount context, by sget_fc(); NULL if that failed. */
	if (sbi) {
		uffd_shim_ram_unmount_data(sbi);
		ram_put_sb(sbi);
	}
}

enum { OPT_SIZE };

static const struct fs_parameter_spec ram_params[] = {
	fsparam_string("size", OPT_SIZE),
	{}
};

/* size=: bytes, with tmpfs's k, m, g suffixes; rounded up to pages. */
static int ram_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct uffd_shim_ram_sb *sbi = fc->s_fs_info;
	struct fs_parse_result result;
	unsigned long long size;
	char *rest;
	int opt = fs_parse(fc, ram_params, param, &result);

	if (opt < 0)
		return opt;
	/* The fallback's tmpfs was made with the old size: keep it. */
	if (fc->purpose == FS_CONTEXT_FOR_RECONFIGURE)
		return invalfc(fc, "size cannot change on remount");
	size = memparse(param->string, &rest);
	if (*rest)
		return invalfc(fc, "bad value for size: %s", param->string);
	sbi->max_pages = DIV_ROUND_UP_ULL(size, PAGE_SIZE);
	return 0;
}

static int ram_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, ram_fill_super);
}

/* A context that made no superblock still holds the type. */
static void ram_free_fc(struct fs_context *fc)
{
	if (fc->s_fs_info)
		ram_put_sb(fc->s_fs_info);
}

static const struct fs_context_operations ram_context_ops = {
	.parse_param	= ram_parse_param,
	.get_tree	= ram_get_tree,
	.free		= ram_free_fc,
};

static struct uffd_shim_type *ram_fs_user(const struct file_system_type *fs_type)
{
	struct uffd_shim_type *type;

	lockdep_assert_held(&ram_types_lock);
	list_for_each_entry(type, &ram_types, fs_node)
		if (type->fs_type == fs_type)
			return type;
	return NULL;
}

/*
 * The context holds the type, and passes it on to the superblock:
 * uffd_shim_ram_unregister() waits for both, whatever pins the owner.
 */
static int ram_init_fs_context(struct fs_context *fc)
{
	struct uffd_shim_ram_sb *sbi = kzalloc_obj(*sbi);
	int err = -ENODEV;

	if (!sbi)
		return -ENOMEM;
	sbi->max_pages = totalram_pages() / 2;	/* as tmpfs */
	mutex_lock(&ram_types_lock);
	sbi->type = ram_fs_user(fc->fs_type);
	if (sbi->type) {
		atomic_inc(&sbi->type->nr_users);
		fc->s_fs_info = sbi;	/* becomes sb->s_fs_info */
		fc->ops = &ram_context_ops;
		err = 0;
	}
	mutex_unlock(&ram_types_lock);
	if (err)
		kfree(sbi);
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
 * ``-o size=`` bounds each mount as it bounds tmpfs (default: half of RAM;
 * 0: no bound).
 * A mount holds a reference on @fs_type->owner, which is also made the
 * owner of the type's files. uffd_shim_unregister() unregisters the file
 * system.
 *
 * Context: process context, may sleep; before any file of @type exists.
 * Return: 0; -EINVAL if @type brings its own fops or ->new_inode, or
 * @fs_type has no name or one with a '.', or lies in a module that is not
 * its ->owner; -EBUSY if @type already has a
 * file system or @fs_type is in use, by another type or with the driver's
 * own mount hooks; the error of register_filesystem() (-EBUSY for a name in
 * use).
 */
int uffd_shim_register_fs(struct uffd_shim_type *type,
			  struct file_system_type *fs_type)
{
	int err = 0;

	if (type->fs_type)
		return -EBUSY;
	if (!fs_type || !fs_type->name || strchr(fs_type->name, '.') ||
	    type->ops.fops || type->ops.new_inode ||
	    type->ops.flags & UFFD_SHIM_FLAG_MEMFILE)
		return -EINVAL;
	if (!uffd_shim_owner_ok(fs_type, fs_type->owner)) {
		pr_err("%s: fs_type->owner must be THIS_MODULE\n", fs_type->name);
		return -EINVAL;
	}
	/* Once set, the hooks stay: a mount may be about to call them. */
	if ((fs_type->init_fs_context &&
	     fs_type->init_fs_context != ram_init_fs_context) ||
	    (fs_type->kill_sb && fs_type->kill_sb != ram_kill_sb))
		return -EBUSY;

	mutex_lock(&ram_types_lock);
	if (ram_fs_user(fs_type)) {
		err = -EBUSY;
	} else {
		fs_type->init_fs_context = ram_init_fs_context;
		fs_type->kill_sb = ram_kill_sb;
		type->fops.owner = fs_type->owner;
		type->ops.new_inode = ram_new_inode;	/* for the directory iops */
		type->fs_type = fs_type;
		list_add(&type->fs_node, &ram_types);
	}
	mutex_unlock(&ram_types_lock);
	if (err)
		return err;

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
 * No new mount finds the type after this; it waits for the mount
 * contexts and superblocks that hold it. A mount pins the owner module, so
 * this matters for built-in users, whose mounts and mounts under way pin
 * nothing, and whose files may still wait in delayed fput.
 *
 * Context: process context, may sleep; no mount of the file system is left.
 */
void uffd_shim_ram_unregister(struct uffd_shim_type *type)
{
	if (!type->fs_type)
		return;
	mutex_lock(&ram_types_lock);
	list_del_init(&type->fs_node);
	mutex_unlock(&ram_types_lock);
	unregister_filesystem(type->fs_type);	/* no-op if never registered */
	wait_var_event(&type->nr_users, !atomic_read(&type->nr_users));
	/* The driver may register the same static fs_type again. */
	type->fs_type = NULL;
	type->ops.new_inode = NULL;
}
