/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uffd-shim internals shared by the core (uffd_shim.c) and its RAM file
 * system (uffd_shim_ramfs.c). Not for drivers: they see only
 * <linux/uffd_shim.h>.
 */
#ifndef _MM_UFFD_SHIM_INTERNAL_H
#define _MM_UFFD_SHIM_INTERNAL_H

#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/uffd_shim.h>
#include <linux/userfaultfd_k.h>

/*
 * What the kernel sees of a registered type. Callbacks find it back by
 * container_of() on file->f_op, vma->vm_ops or a directory's i_op, or from
 * sb->s_fs_info on the RAM file system.
 */
struct uffd_shim_type {
	struct uffd_shim_ops ops;
	struct file_operations fops;
	struct vm_operations_struct vm_ops;
#ifdef CONFIG_UFFD_SHIM_NATIVE
	struct vm_uffd_ops uffd_ops;
#endif
	struct inode_operations dir_iops;
	/* RAM file system, set up by uffd_shim_register_fs() */
	struct address_space_operations aops;
	struct file_system_type *fs_type;
	struct list_head fs_node;
	atomic_t nr_sb;		/* live superblocks; unregister waits for 0 */
};

int uffd_shim_type_insert(const struct uffd_shim_type *type,
			  struct address_space *mapping, struct folio *folio,
			  pgoff_t index);

/* uffd_shim_ramfs.c */
extern const struct file_operations uffd_shim_ram_fops;
void uffd_shim_ram_init_aops(struct uffd_shim_type *type);
void uffd_shim_ram_unregister(struct uffd_shim_type *type);
struct file *uffd_shim_ram_backing(struct inode *inode);

#endif /* _MM_UFFD_SHIM_INTERNAL_H */
