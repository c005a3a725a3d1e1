// SPDX-License-Identifier: GPL-2.0
/*
 * A memory-type driver that forgets an owner: insmod must fail with EINVAL,
 * because with the module unpinned rmmod would free what a VMA or a mount
 * still uses. what=fops: its fops template has no .owner; what=fs: its
 * file_system_type has none. Loaded by selftests/vm-init.
 */

#include <linux/fs.h>
#include <linux/module.h>
#include <linux/uffd_shim.h>

static char *what = "fops";
module_param(what, charp, 0444);
MODULE_PARM_DESC(what, "fops or fs: the table without an owner");

static const struct file_operations ownerless_fops = {
	.llseek = generic_file_llseek,
};

static struct file_system_type ownerless_fs = {
	.name = "uffd_shim_ownerless",
};

static struct uffd_shim_type *type;

static int __init ownerless_init(void)
{
	struct uffd_shim_ops ops = {
		.api_version = UFFD_SHIM_API_VERSION,
		.name = "ownerless",
		.modes = UFFD_SHIM_MODE_MISSING,
		.fops = strcmp(what, "fs") ? &ownerless_fops : NULL,
	};
	int err;

	type = uffd_shim_register(&ops);
	if (IS_ERR(type))
		return PTR_ERR(type);
	err = ops.fops ? 0 : uffd_shim_register_fs(type, &ownerless_fs);
	if (err)
		uffd_shim_unregister(type);
	return err;
}

static void __exit ownerless_exit(void)
{
	uffd_shim_unregister(type);
}

module_init(ownerless_init);
module_exit(ownerless_exit);

MODULE_DESCRIPTION("uffd-shim test: a memory type without an owner");
MODULE_LICENSE("GPL");
