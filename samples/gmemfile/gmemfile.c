// SPDX-License-Identifier: GPL-2.0
/*
 * gmemfile: guest_memfd-like memory files whose mappings support
 * userfaultfd, on uffd-shim.
 *
 * The model for an fd-style memory type:
 *  1. fds from an ioctl on /dev/gmemfile (UFFD_SHIM_IOC_CREATE), one
 *     memory file each, with no file system;
 *  2. shared mappings only, left out of core dumps;
 *  3. pages out of the kernel direct map for as long as they are in a
 *     file: taken out as they enter (after UFFDIO_COPY's copy, a write()'s
 *     copy or a fault's zeroing), put back and scrubbed as they leave;
 *  4. page accounting per file and for the module, with a limit.
 *
 * Every userfaultfd mode works on it, including MISSING resolved by
 * UFFDIO_COPY, which the shim routes through ->prepare_folio. Callbacks
 * find their state through the shim, per type and per file: no globals
 * but the module parameters.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uffd_shim.h>
#include <uapi/linux/uffd_shim.h>

static unsigned long max_size = SZ_1G;
module_param(max_size, ulong, 0644);
MODULE_PARM_DESC(max_size, "Largest gmemfile, in bytes");

static unsigned long max_pages;
module_param(max_pages, ulong, 0644);
MODULE_PARM_DESC(max_pages, "Limit on gmemfile pages, all files (0: none)");

/* The device: the type's private data. */
struct gmemfile_dev {
	struct uffd_shim_type *type;
	struct miscdevice misc;
	atomic_long_t pages;
	atomic_long_t unmapped;	/* pages the direct map says it lacks */
};

static struct gmemfile_dev gmemfile_dev;

/* One memory file: its inode's private data. */
struct gmemfile {
	atomic_long_t pages;
};

static struct gmemfile_dev *inode_dev(struct inode *inode)
{
	return uffd_shim_type_data(uffd_shim_inode_type(inode));
}

/* --- Accounting ------------------------------------------------------------ */

static int gmemfile_account(struct inode *inode, long nr_pages)
{
	struct gmemfile_dev *dev = inode_dev(inode);
	struct gmemfile *gmem = uffd_shim_inode_data(inode);
	unsigned long limit = READ_ONCE(max_pages);

	if (atomic_long_add_return(nr_pages, &dev->pages) > limit && limit) {
		atomic_long_sub(nr_pages, &dev->pages);
		return -ENOSPC;
	}
	atomic_long_add(nr_pages, &gmem->pages);
	return 0;
}

static void gmemfile_unaccount(struct inode *inode, long nr_pages)
{
	struct gmemfile *gmem = uffd_shim_inode_data(inode);

	atomic_long_sub(nr_pages, &gmem->pages);
	atomic_long_sub(nr_pages, &inode_dev(inode)->pages);
}

/* --- Pages out of the direct map -------------------------------------------- */

static int gmemfile_prepare_folio(struct inode *inode, struct folio *folio)
{
	int err = uffd_shim_folio_unmap_direct(folio);

	if (!err && !uffd_shim_folio_direct_mapped(folio))
		atomic_long_inc(&inode_dev(inode)->unmapped);
	return err;
}

/* ->free_folio gets no inode: the module's one device it is. */
static void gmemfile_free_folio(struct folio *folio)
{
	if (!uffd_shim_folio_direct_mapped(folio))
		atomic_long_dec(&gmemfile_dev.unmapped);
	uffd_shim_folio_restore_direct(folio);
	uffd_shim_folio_zero(folio);	/* guest data must not outlive the file */
}

/* --- Files ------------------------------------------------------------------ */

static int gmemfile_mmap_policy(struct file *file, unsigned int *map)
{
	if (!(*map & UFFD_SHIM_MAP_SHARED))
		return -EINVAL;
	*map |= UFFD_SHIM_MAP_DONTDUMP;
	return 0;
}

static void gmemfile_release(struct inode *inode)
{
	kfree(uffd_shim_inode_data(inode));
}

static const struct uffd_shim_ops gmemfile_uffd_ops = {
	.api_version	= UFFD_SHIM_API_VERSION,
	.name		= "gmemfile",
	.modes		= UFFD_SHIM_MODE_ALL,
	.flags		= UFFD_SHIM_FLAG_MEMFILE | UFFD_SHIM_FLAG_NO_DIRECT_MAP,
	.account	= gmemfile_account,
	.unaccount	= gmemfile_unaccount,
	.prepare_folio	= gmemfile_prepare_folio,
	.free_folio	= gmemfile_free_folio,
	.mmap_policy	= gmemfile_mmap_policy,
	.release	= gmemfile_release,
};

static int gmemfile_create(struct gmemfile_dev *dev,
			   const struct uffd_shim_create *req)
{
	struct gmemfile *gmem;
	struct file *file;
	int fd;

	if (req->flags & ~UFFD_SHIM_CREATE_CLOEXEC || !req->size ||
	    !PAGE_ALIGNED(req->size))
		return -EINVAL;
	if (req->size > READ_ONCE(max_size))
		return -E2BIG;

	gmem = kzalloc_obj(*gmem);
	if (!gmem)
		return -ENOMEM;
	fd = get_unused_fd_flags(req->flags & UFFD_SHIM_CREATE_CLOEXEC ?
				 O_CLOEXEC : 0);
	if (fd < 0)
		goto free_gmem;
	file = uffd_shim_file_create(dev->type, "[gmemfile]", req->size, gmem);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		fd = PTR_ERR(file);
		goto free_gmem;
	}
	fd_install(fd, file);	/* gmem is the file's now */
	return fd;

free_gmem:
	kfree(gmem);
	return fd;
}

static long gmemfile_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct gmemfile_dev *dev = container_of(file->private_data,
						struct gmemfile_dev, misc);
	struct uffd_shim_create req;

	if (cmd != UFFD_SHIM_IOC_CREATE)
		return -ENOTTY;
	if (copy_from_user(&req, (void __user *)arg, sizeof(req)))
		return -EFAULT;
	return gmemfile_create(dev, &req);
}

static const struct file_operations gmemfile_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= gmemfile_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/* --- Module ------------------------------------------------------------------ */

static struct gmemfile_dev gmemfile_dev = {
	.misc = {
		.minor	= MISC_DYNAMIC_MINOR,
		.name	= "gmemfile",
		.fops	= &gmemfile_dev_fops,
	},
};

static int counter_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(kp->arg));
}

static const struct kernel_param_ops counter_ops = {
	.get = counter_get,
};
module_param_cb(pages, &counter_ops, &gmemfile_dev.pages, 0444);
MODULE_PARM_DESC(pages, "Pages currently held by gmemfile files (read-only)");
module_param_cb(unmapped, &counter_ops, &gmemfile_dev.unmapped, 0444);
MODULE_PARM_DESC(unmapped, "Of those, pages out of the kernel direct map (read-only)");

static int __init gmemfile_init(void)
{
	int err;

	gmemfile_dev.type = uffd_shim_register_data(&gmemfile_uffd_ops,
						    &gmemfile_dev);
	if (IS_ERR(gmemfile_dev.type))
		return PTR_ERR(gmemfile_dev.type);
	err = misc_register(&gmemfile_dev.misc);
	if (err)
		uffd_shim_unregister(gmemfile_dev.type);
	return err;
}

static void __exit gmemfile_exit(void)
{
	misc_deregister(&gmemfile_dev.misc);
	uffd_shim_unregister(gmemfile_dev.type);
}

module_init(gmemfile_init);
module_exit(gmemfile_exit);

MODULE_DESCRIPTION("guest_memfd-like memory files with userfaultfd, on uffd-shim");
MODULE_LICENSE("GPL");
