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
	return sizeof(*ops);
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
	struct module *mod;

	preempt_disable();
	mod = __module_address((unsigned long)table);
	preempt_enable();
	return !mod || mod == owner;
}

static int check_ops(const struct uffd_shim_ops *ops)
{
	unsigned int flags;

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
	flags = ops->api_version >= 2 ? ops->flags : 0;
	if (flags & ~UFFD_SHIM_FLAG_NATIVE_ONLY) {
		pr_err("%s: unknown flags %#x\n", ops->name, flags);
		return -EINVAL;
	}
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
	if (!IS_ENABLED(CONFIG_UFFD_SHIM_NATIVE) &&
	    flags & UFFD_SHIM_FLAG_NATIVE_ONLY)
		return -EOPNOTSUPP;
	return 0;
}

/**
 * uffd_shim_register() - register a memory type.
 * @ops: the type's description; copied, so it may be on the stack. Only
 *	the fields of @ops->api_version are read.
 *
 * Context: process context, may sleep.
 * Return: the type, to pass to uffd_shim_type_fops() and finally
 * uffd_shim_unregister(); ERR_PTR(-EINVAL) if @ops is NULL or inconsistent
 * (the reason is logged), ERR_PTR(-EOPNOTSUPP) for a type flagged
 * UFFD_SHIM_FLAG_NATIVE_ONLY on a kernel with only the shmem fallback,
 * ERR_PTR(-ENOMEM).
 */
struct uffd_shim_type *uffd_shim_register(const struct uffd_shim_ops *ops)
{
	struct uffd_shim_type *type;
	int err = check_ops(ops);

	if (err)
		return ERR_PTR(err);
	type = kzalloc_obj(*type);
	if (!type)
		return ERR_PTR(-ENOMEM);

	memcpy(&type->ops, ops, ops_size(ops));
	type->fops = ops->fops ? *ops->fops : uffd_shim_ram_fops;
	type->vm_ops.fault = ops->fault ?: uffd_shim_fault;
	type->vm_ops.map_pages = filemap_map_pages;
	uffd_shim_init_backend(type);
	uffd_shim_init_dir_iops(&type->dir_iops);
	uffd_shim_ram_init_aops(type);
	INIT_LIST_HEAD(&type->fs_node);
	return type;
}
EXPORT_SYMBOL_GPL(uffd_shim_register);

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
