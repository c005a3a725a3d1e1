// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-shim memory types: registration, and finding a file's or a VMA's
 * type again. A registered type owns one struct uffd_shim_type holding the
 * file_operations, vm_operations_struct and vm_uffd_ops the kernel sees;
 * callbacks find their type with container_of() on file->f_op or
 * vma->vm_ops, so no registry or lookup is needed on any path.
 */

#define pr_fmt(fmt) "uffd_shim: " fmt

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include "uffd_shim_internal.h"

/**
 * uffd_shim_file_type() - the memory type a file belongs to.
 * @file: any file.
 *
 * Return: the type whose uffd_shim_type_fops() @file uses, or NULL.
 */
const struct uffd_shim_type *uffd_shim_file_type(const struct file *file)
{
	if (!file || !uffd_shim_is_type_fops(file->f_op))
		return NULL;
	return container_of(file->f_op, struct uffd_shim_type, fops);
}
EXPORT_SYMBOL_GPL(uffd_shim_file_type);

/**
 * uffd_shim_vma_type() - the memory type a VMA maps.
 * @vma: any VMA.
 *
 * Return: the type whose vm_operations_struct @vma uses, or NULL (anonymous
 * memory, other files, or a driver that replaced vm_ops). Always NULL with
 * the shmem fallback: its mappings are shmem's, and pin nothing of the type.
 */
const struct uffd_shim_type *uffd_shim_vma_type(const struct vm_area_struct *vma)
{
	const struct uffd_shim_type *type = uffd_shim_file_type(vma->vm_file);

	if (!type || vma->vm_ops != &type->vm_ops)
		return NULL;
	return type;
}
EXPORT_SYMBOL_GPL(uffd_shim_vma_type);

/* Size of @ops as its API version knows it: later fields are never read. */
static size_t ops_size(const struct uffd_shim_ops *ops)
{
	if (ops->api_version < 2)
		return offsetofend(struct uffd_shim_ops, new_inode);
	if (ops->api_version < 3)
		return offsetofend(struct uffd_shim_ops, flags);
	return sizeof(*ops);
}

static struct module *table_module(const void *table)
{
	struct module *mod;

	preempt_disable();
	mod = __module_address((unsigned long)table);
	preempt_enable();
	return mod;
}

/**
 * uffd_shim_owner_ok() - does a driver's static table name its module?
 * @table: a file_operations or file_system_type in the driver's storage.
 * @owner: its ->owner.
 *
 * A file pins fops->owner and a mount fs_type->owner: with the wrong owner
 * (typically none) rmmod frees what a VMA or a mount still uses. Tables
 * outside modules (built in, or on the stack) are not checked.
 *
 * Return: true if @table is in no module, or in @owner.
 */
bool uffd_shim_owner_ok(const void *table, const struct module *owner)
{
	struct module *mod = table_module(table);

	return !mod || mod == owner;
}

#define UFFD_SHIM_FLAGS_KNOWN (UFFD_SHIM_FLAG_NATIVE_ONLY |		\
			     UFFD_SHIM_FLAG_MEMFILE |			\
			     UFFD_SHIM_FLAG_NO_DIRECT_MAP)

static int check_fops(const struct uffd_shim_ops *ops, unsigned int flags)
{
	if (flags & UFFD_SHIM_FLAG_MEMFILE) {
		if (!ops->fops && !ops->new_inode)
			return 0;
		pr_err("%s: memory files take no fops and no new_inode\n",
		       ops->name);
		return -EINVAL;
	}
	if (ops->fops ? uffd_shim_fops_have_mmap(ops->fops) :
			ops->api_version < 2 || ops->new_inode) {
		pr_err("%s: needs fops without mmap hooks, or none (API 2, RAM fs)\n",
		       ops->name);
		return -EINVAL;
	}
	if (ops->fops && !uffd_shim_owner_ok(ops->fops, ops->fops->owner)) {
		pr_err("%s: fops->owner must be THIS_MODULE\n", ops->name);
		return -EINVAL;
	}
	return 0;
}

/* API 3: what a memory-file type, or one out of the direct map, needs. */
static int check_v3(const struct uffd_shim_ops *ops, unsigned int flags)
{
	if (flags & UFFD_SHIM_FLAG_NO_DIRECT_MAP &&
	    (!(flags & UFFD_SHIM_FLAG_MEMFILE) || !ops->prepare_folio ||
	     !ops->free_folio)) {
		pr_err("%s: NO_DIRECT_MAP: memory files, prepare_folio, free_folio\n",
		       ops->name);
		return -EINVAL;
	}
	/* prepare_folio runs in the shim's insertion, which filemap_add replaces. */
	if (ops->prepare_folio && ops->filemap_add) {
		pr_err("%s: prepare_folio needs the default filemap_add\n",
		       ops->name);
		return -EINVAL;
	}
	if (ops->release && !(flags & UFFD_SHIM_FLAG_MEMFILE)) {
		pr_err("%s: release is for memory files\n", ops->name);
		return -EINVAL;
	}
	/* ->free_folio has no inode, and unaccounting twice is worse. */
	if ((flags & UFFD_SHIM_FLAG_MEMFILE || ops->prepare_folio) &&
	    ops->account && !ops->unaccount) {
		pr_err("%s: account needs unaccount here\n", ops->name);
		return -EINVAL;
	}
	return 0;
}

/* What this kernel cannot give a type it would otherwise take. */
static int check_support(unsigned int flags)
{
	if (!IS_ENABLED(CONFIG_UFFD_SHIM_NATIVE) &&
	    flags & (UFFD_SHIM_FLAG_NATIVE_ONLY | UFFD_SHIM_FLAG_MEMFILE))
		return -EOPNOTSUPP;
	if (flags & UFFD_SHIM_FLAG_MEMFILE && !uffd_shim_memfiles_work())
		return -ENODEV;
	if (flags & UFFD_SHIM_FLAG_NO_DIRECT_MAP &&
	    !uffd_shim_direct_map_changeable())
		return -EOPNOTSUPP;
	return 0;
}

static int check_ops(const struct uffd_shim_ops *ops)
{
	unsigned int flags;
	int err;

	if (!ops)
		return -EINVAL;
	if (!ops->api_version || ops->api_version > UFFD_SHIM_API_VERSION) {
		pr_err("%s: API version %u, this kernel has 1..%u\n",
		       ops->name ?: "?", ops->api_version, UFFD_SHIM_API_VERSION);
		return -EINVAL;
	}
	if (!ops->name) {
		pr_err("?: a memory type needs a name\n");
		return -EINVAL;
	}
	flags = ops->api_version >= 2 ? ops->flags : 0;
	if (flags & ~UFFD_SHIM_FLAGS_KNOWN ||
	    (ops->api_version < 3 && flags & ~UFFD_SHIM_FLAG_NATIVE_ONLY)) {
		pr_err("%s: unknown flags %#x\n", ops->name, flags);
		return -EINVAL;
	}
	err = check_fops(ops, flags);
	if (!err && ops->api_version >= 3)
		err = check_v3(ops, flags);
	if (err)
		return err;
	if (ops->modes & ~UFFD_SHIM_MODE_ALL) {
		pr_err("%s: unknown modes %#x\n", ops->name,
		       ops->modes & ~UFFD_SHIM_MODE_ALL);
		return -EINVAL;
	}
	if (!ops->filemap_add != !ops->filemap_remove) {
		pr_err("%s: filemap_add and filemap_remove go together\n",
		       ops->name);
		return -EINVAL;
	}
	return check_support(flags);
}

/**
 * uffd_shim_register_data() - register a memory type with private data.
 * @ops: the type's description; copied, so it may be on the stack. Only
 *	the fields of @ops->api_version are read.
 * @data: the driver's, returned by uffd_shim_type_data(); the shim never
 *	dereferences it.
 *
 * Context: process context, may sleep.
 * Return: the type, to pass to uffd_shim_type_fops() and finally
 * uffd_shim_unregister(); ERR_PTR(-EINVAL) if @ops is NULL or inconsistent
 * (the reason is logged), ERR_PTR(-EOPNOTSUPP) for a type flagged
 * UFFD_SHIM_FLAG_NATIVE_ONLY or UFFD_SHIM_FLAG_MEMFILE on a kernel with
 * only the shmem fallback, or UFFD_SHIM_FLAG_NO_DIRECT_MAP where the
 * kernel cannot change its direct map, ERR_PTR(-ENODEV) for memory files
 * when their file system could not be mounted at boot, ERR_PTR(-ENOMEM).
 */
struct uffd_shim_type *uffd_shim_register_data(const struct uffd_shim_ops *ops,
					       void *data)
{
	struct uffd_shim_type *type;
	int err = check_ops(ops);

	if (err)
		return ERR_PTR(err);
	type = kzalloc_obj(*type);
	if (!type)
		return ERR_PTR(-ENOMEM);

	memcpy(&type->ops, ops, ops_size(ops));
	type->data = data;
	if (type->ops.flags & UFFD_SHIM_FLAG_MEMFILE) {
		uffd_shim_mem_init_type(type, table_module(ops) ?:
					      table_module(ops->name));
	} else {
		type->fops = ops->fops ? *ops->fops : uffd_shim_ram_fops;
		uffd_shim_ram_init_aops(type);
	}
	type->vm_ops.fault = ops->fault ?: uffd_shim_fault;
	type->vm_ops.map_pages = filemap_map_pages;
	uffd_shim_init_backend(type);
	uffd_shim_init_dir_iops(&type->dir_iops);
	INIT_LIST_HEAD(&type->fs_node);
	if (type->ops.flags & UFFD_SHIM_FLAG_NO_DIRECT_MAP)
		uffd_shim_no_direct_map_get();
	return type;
}
EXPORT_SYMBOL_GPL(uffd_shim_register_data);

/**
 * uffd_shim_register() - register a memory type.
 * @ops: the type's description, as for uffd_shim_register_data().
 *
 * Context: process context, may sleep.
 * Return: as uffd_shim_register_data(), whose data is then NULL.
 */
struct uffd_shim_type *uffd_shim_register(const struct uffd_shim_ops *ops)
{
	return uffd_shim_register_data(ops, NULL);
}
EXPORT_SYMBOL_GPL(uffd_shim_register);

/**
 * uffd_shim_type_data() - the private data a type was registered with.
 * @type: a registered type.
 *
 * Return: the @data of uffd_shim_register_data(), NULL after
 * uffd_shim_register().
 */
void *uffd_shim_type_data(const struct uffd_shim_type *type)
{
	return type->data;
}
EXPORT_SYMBOL_GPL(uffd_shim_type_data);

/**
 * uffd_shim_inode_type() - the memory type an inode belongs to.
 * @inode: any inode.
 *
 * Reaches the type, and with uffd_shim_type_data() its data, from the
 * callbacks that get an inode.
 *
 * Return: the type of a file of a type's RAM file system, of a memory
 * file, or of an inode whose i_fop is the type's uffd_shim_type_fops();
 * NULL for other inodes (and the shmem fallback's data files).
 */
const struct uffd_shim_type *uffd_shim_inode_type(const struct inode *inode)
{
	if (uffd_shim_is_ram_inode(inode))
		return uffd_shim_ram_type(inode);
	if (inode->i_fop && uffd_shim_is_type_fops(inode->i_fop))
		return container_of(inode->i_fop, struct uffd_shim_type, fops);
	return NULL;
}
EXPORT_SYMBOL_GPL(uffd_shim_inode_type);

/**
 * uffd_shim_unregister() - forget a memory type.
 * @type: from uffd_shim_register(), or NULL/ERR_PTR (ignored).
 *
 * Unregisters the type's file system, if uffd_shim_register_fs() made one.
 *
 * Context: no file of the type may remain, not even one waiting in
 * delayed fput: the fops and vm_ops they point to are freed here. Module
 * exit guarantees it when fops.owner is the module (every VMA pins its
 * file, every file and every mount pins the owner); built-in users must
 * see to it.
 */
void uffd_shim_unregister(struct uffd_shim_type *type)
{
	if (IS_ERR_OR_NULL(type))
		return;
	uffd_shim_ram_unregister(type);
	/* Built-in users' memory files still in delayed fput or evict. */
	wait_var_event(&type->nr_users, !atomic_read(&type->nr_users));
	if (type->ops.flags & UFFD_SHIM_FLAG_NO_DIRECT_MAP)
		uffd_shim_no_direct_map_put();
	kfree(type);
}
EXPORT_SYMBOL_GPL(uffd_shim_unregister);

/**
 * uffd_shim_type_fops() - the file_operations files of a type must use.
 * @type: a registered type.
 *
 * Return: the driver's template with the shim's mmap hook; valid until
 * uffd_shim_unregister().
 */
const struct file_operations *uffd_shim_type_fops(const struct uffd_shim_type *type)
{
	return &type->fops;
}
EXPORT_SYMBOL_GPL(uffd_shim_type_fops);
