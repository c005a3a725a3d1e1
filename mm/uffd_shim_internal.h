/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uffd-shim internals shared by the files of the core. Not for drivers:
 * they see only <linux/uffd_shim.h>.
 */
#ifndef _MM_UFFD_SHIM_INTERNAL_H
#define _MM_UFFD_SHIM_INTERNAL_H

#include <linux/fs.h>
#include <linux/jump_label.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/uffd_shim.h>
#include <linux/userfaultfd_k.h>

/*
 * What the kernel sees of a registered type. Callbacks find it back by
 * container_of() on file->f_op, vma->vm_ops or a directory's i_op, or from
 * the superblock of its RAM file system.
 */
struct uffd_shim_type {
	struct uffd_shim_ops ops;
	struct file_operations fops;
	struct vm_operations_struct vm_ops;
#ifdef CONFIG_UFFD_SHIM_NATIVE
	struct vm_uffd_ops uffd_ops;
#endif
	struct inode_operations dir_iops;
	void *data;		/* uffd_shim_register_data() */
	/* RAM file system, set up by uffd_shim_register_fs() */
	struct address_space_operations aops;
	struct file_system_type *fs_type;
	struct list_head fs_node;
	atomic_t nr_users;	/* mount contexts and superblocks; unregister waits for 0 */
};

/* One mount of a type's RAM file system: sb->s_fs_info. */
struct uffd_shim_ram_sb {
	struct uffd_shim_type *type;
	unsigned long max_pages;	/* size=; 0: no bound */
	atomic_long_t nr_pages;		/* charged to this mount */
	struct vfsmount *shm_mnt;	/* shmem fallback: the data's tmpfs */
};

/* The backend: uffd_shim_uffd.c (vm_uffd_ops), or uffd_shim_fallback.c. */
void uffd_shim_init_backend(struct uffd_shim_type *type);
bool uffd_shim_is_type_fops(const struct file_operations *fops);
bool uffd_shim_fops_have_mmap(const struct file_operations *fops);

/* uffd_shim_type.c */
bool uffd_shim_owner_ok(const void *table, const struct module *owner);

/* uffd_shim_folio.c */
struct folio *uffd_shim_alloc_charged(gfp_t gfp, struct mm_struct *mm,
				      gfp_t charge_gfp);

/* uffd_shim_fault.c */
int uffd_shim_type_insert(const struct uffd_shim_type *type,
			  struct address_space *mapping, struct folio *folio,
			  pgoff_t index);
int uffd_shim_type_account(const struct uffd_shim_type *type,
			   struct inode *inode, long nr);
void uffd_shim_type_unaccount(const struct uffd_shim_type *type,
			      struct inode *inode, long nr);

/* uffd_shim_memfile.c: memory files, or their stubs in the fallback */
int uffd_shim_memfile_init(void);
bool uffd_shim_is_mem_inode(const struct inode *inode);
void uffd_shim_mem_init_type(struct uffd_shim_type *type, struct module *owner);
bool uffd_shim_memfiles_work(void);
void uffd_shim_no_direct_map_get(void);
void uffd_shim_no_direct_map_put(void);
/* Used by mm/gup.c, where scripts/overlay declares them again. */
DECLARE_STATIC_KEY_FALSE(uffd_shim_no_direct_map);
bool uffd_shim_gup_vma_refused(struct vm_area_struct *vma);
bool uffd_shim_gup_fast_mapping_refused(struct address_space *mapping);

/* uffd_shim_directmap.c */
bool uffd_shim_direct_map_changeable(void);

/* uffd_shim_dir.c */
void uffd_shim_init_dir_iops(struct inode_operations *iops);

/* uffd_shim_ramfs.c: the RAM file system */
void uffd_shim_ram_unregister(struct uffd_shim_type *type);
bool uffd_shim_is_ram_inode(const struct inode *inode);
struct uffd_shim_type *uffd_shim_ram_type(const struct inode *inode);
bool uffd_shim_ram_falloc_mode_ok(int mode);
int uffd_shim_ram_charge(struct inode *inode, long nr);
void uffd_shim_ram_uncharge(struct inode *inode, long nr);
void uffd_shim_ram_commit(struct inode *inode, long nr);
void uffd_shim_ram_recalc(struct inode *inode);
int uffd_shim_ram_falloc_range(struct inode *inode, pgoff_t start, pgoff_t end);

/* Its regular files: uffd_shim_ramfile.c, or uffd_shim_fallback.c. */
extern const struct file_operations uffd_shim_ram_fops;
void uffd_shim_ram_init_aops(struct uffd_shim_type *type);
int uffd_shim_ram_init_file(struct inode *inode);
void uffd_shim_ram_evict_file(struct inode *inode);
int uffd_shim_ram_mount_data(struct uffd_shim_ram_sb *sbi);
void uffd_shim_ram_unmount_data(struct uffd_shim_ram_sb *sbi);

#endif /* _MM_UFFD_SHIM_INTERNAL_H */
