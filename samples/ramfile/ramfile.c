// SPDX-License-Identifier: GPL-2.0
/*
 * ramfile: a RAM file system whose mappings support userfaultfd.
 *
 * A model memory-type driver for uffd-shim, and everything it takes:
 *  1. one struct uffd_shim_ops describing the type (MISSING, MINOR, WP);
 *  2. the shim's RAM file system, so it can be mounted and the shim owns
 *     the VFS side, ->mmap and the fault path;
 *  3. page accounting, so a size limit holds and leaks are visible in
 *     /sys/module/ramfile/parameters/pages.
 *
 * Nothing here touches vm_uffd_ops, handle_userfault() or VFS interfaces
 * that change between kernels: only <linux/uffd_shim.h>. samples/rust/
 * rust_ramfile.rs is the same driver in Rust.
 *
 *   mount -t ramfile none /mnt
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/module.h>
#include <linux/uffd_shim.h>

/* --- Page accounting ------------------------------------------------------ */

/*
 * Pages in ramfile page caches, all mounts together. Every page enters
 * through ramfile_account() (writes, fallocate, faults, userfaultfd fills;
 * reading a hole allocates nothing) and leaves through ramfile_free_folio(),
 * whatever removed it: truncate, hole punch, eviction, a failed fill. On the
 * 6.12 shmem fallback the shim charges each file's extent instead, and gives
 * it back through ramfile_account() with a negative count.
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

/* --- The memory type ------------------------------------------------------ */

static const struct uffd_shim_ops ramfile_uffd_ops = {
	.api_version	= UFFD_SHIM_API_VERSION,
	.name		= "ramfile",
	.modes		= UFFD_SHIM_MODE_MISSING | UFFD_SHIM_MODE_MINOR |
			  UFFD_SHIM_MODE_WP | UFFD_SHIM_MODE_RWP,
	.fops		= NULL,		/* the shim's RAM-file operations */
	.account	= ramfile_account,
	.free_folio	= ramfile_free_folio,
	/* Every folio callback: the shim's page-cache defaults. */
};

/* Static: the VFS keeps lockdep keys in it. The shim fills in the rest. */
static struct file_system_type ramfile_fs_type = {
	.owner		= THIS_MODULE,	/* a mount pins the module */
	.name		= "ramfile",
};

static struct uffd_shim_type *ramfile_type;

static int __init ramfile_init(void)
{
	int err;

	ramfile_type = uffd_shim_register(&ramfile_uffd_ops);
	if (IS_ERR(ramfile_type))
		return PTR_ERR(ramfile_type);
	err = uffd_shim_register_fs(ramfile_type, &ramfile_fs_type);
	if (err)
		uffd_shim_unregister(ramfile_type);
	return err;
}

static void __exit ramfile_exit(void)
{
	uffd_shim_unregister(ramfile_type);	/* and its file system */
}

module_init(ramfile_init);
module_exit(ramfile_exit);

MODULE_DESCRIPTION("RAM file system with userfaultfd support, on uffd-shim");
MODULE_LICENSE("GPL");
