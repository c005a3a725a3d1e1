// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-shim directory operations for mountable memory types: create,
 * mkdir, tmpfile through the type's ->new_inode, with the signatures of the
 * running kernel, so a driver has no kernel-version conditionals.
 */

#define pr_fmt(fmt) "uffd_shim: " fmt

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/security.h>
#include "uffd_shim_internal.h"

static const struct uffd_shim_type *dir_type(const struct inode *dir)
{
	return container_of(dir->i_op, struct uffd_shim_type, dir_iops);
}

/* A new inode for @name in @dir, labelled by the LSMs, as ramfs does. */
static struct inode *dir_new_inode(struct inode *dir, const struct qstr *name,
				   umode_t mode)
{
	struct inode *inode = dir_type(dir)->ops.new_inode(dir->i_sb, dir, mode);
	int err;

	if (IS_ERR_OR_NULL(inode))
		return inode ?: ERR_PTR(-ENOSPC);
	err = security_inode_init_security(inode, dir, name, NULL, NULL);
	if (err) {
		iput(inode);
		return ERR_PTR(err);
	}
	return inode;
}

static int dir_mknod(struct inode *dir, struct dentry *dentry, umode_t mode)
{
	struct inode *inode = dir_new_inode(dir, &dentry->d_name, mode);

	if (IS_ERR(inode))
		return PTR_ERR(inode);
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

	inode = dir_new_inode(dir, &file_dentry(file)->d_name,
			      (mode & ~S_IFMT) | S_IFREG);
	if (IS_ERR(inode))
		return PTR_ERR(inode);
	d_tmpfile(file, inode);
	return finish_open_simple(file, 0);
}

void uffd_shim_init_dir_iops(struct inode_operations *iops)
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
