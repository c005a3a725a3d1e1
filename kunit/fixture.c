// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture shared by the uffd-shim KUnit suites: a tiny memory type on a
 * pseudo filesystem (the secretmem pattern). Files come from
 * alloc_file_pseudo() with the type's fops and are mapped into a
 * KUnit-attached mm with kunit_vm_mmap(), so faults and VMAs are genuine.
 */

#include <linux/module.h>
#include "fixture.h"

#define KUNIT_MEM_MAGIC 0x75666664	/* "uffd" */

static struct vfsmount *test_mnt, *ram_mnt;
static struct uffd_shim_type *ram_type;
static atomic_t ram_files = ATOMIC_INIT(0);
struct uffd_shim_type *uffd_kunit_type;
atomic_long_t uffd_kunit_accounted;
long uffd_kunit_account_limit = LONG_MAX;
void (*uffd_kunit_account_hook)(struct inode *inode, long nr);

static int test_account(struct inode *inode, long nr)
{
	if (uffd_kunit_account_hook)
		uffd_kunit_account_hook(inode, nr);
	if (nr > 0 && atomic_long_read(&uffd_kunit_accounted) + nr > uffd_kunit_account_limit)
		return -ENOSPC;
	atomic_long_add(nr, &uffd_kunit_accounted);
	return 0;
}

const struct file_operations uffd_kunit_fops = {
	.owner = THIS_MODULE,
};

static void test_free_folio(struct folio *folio)
{
	atomic_long_sub(folio_nr_pages(folio), &uffd_kunit_accounted);
}

static const struct address_space_operations test_aops = {
	.dirty_folio = noop_dirty_folio,
	.free_folio = test_free_folio,
};

const struct uffd_shim_ops uffd_kunit_ops = {
	.api_version = UFFD_SHIM_API_VERSION,
	.name = "kunit_mem",
	.modes = UFFD_SHIM_MODE_MISSING | UFFD_SHIM_MODE_MINOR,
	.fops = &uffd_kunit_fops,
	.account = test_account,
};

static struct file_system_type ram_fs = {
	.owner = THIS_MODULE,
	.name = "uffd_shim_kunit_ramfs",
};

bool uffd_kunit_fallback(void)
{
	return uffd_shim_features() & UFFD_SHIM_FEAT_SHMEM_FALLBACK;
}

static int test_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, KUNIT_MEM_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type test_fs = {
	.name = "uffd_shim_kunit",
	.init_fs_context = test_init_fs_context,
	.kill_sb = kill_anon_super,
};

static void fput_action(void *file)
{
	fput(file);
}

/* A file of the test type, @pages long, with @aops; released when the test ends. */
struct file *uffd_kunit_file_aops(struct kunit *test, loff_t pages,
				  const struct address_space_operations *aops)
{
	struct inode *inode;
	struct file *file;

	inode = alloc_anon_inode(test_mnt->mnt_sb);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, inode);
	inode->i_mode |= S_IFREG;
	inode->i_fop = uffd_shim_type_fops(uffd_kunit_type);
	inode->i_mapping->a_ops = aops;
	mapping_set_gfp_mask(inode->i_mapping, GFP_HIGHUSER);
	mapping_set_unevictable(inode->i_mapping);
	i_size_write(inode, pages * PAGE_SIZE);

	file = alloc_file_pseudo(inode, test_mnt, "kunit_mem", O_RDWR,
				 uffd_shim_type_fops(uffd_kunit_type));
	if (IS_ERR(file))
		iput(inode);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, fput_action, file));
	return file;
}

/* A file of the test type, @pages long, released when the test ends. */
struct file *uffd_kunit_file(struct kunit *test, loff_t pages)
{
	return uffd_kunit_file_aops(test, pages, &test_aops);
}

struct address_space *uffd_kunit_mapping(struct kunit *test, loff_t pages)
{
	return uffd_kunit_file(test, pages)->f_mapping;
}

/* A mapping of @file with @flags (MAP_SHARED/MAP_PRIVATE); returns the VMA. */
struct vm_area_struct *uffd_kunit_vma_of(struct kunit *test,
					 struct file *file, int flags,
					 unsigned long *addrp)
{
	struct vm_area_struct *vma;
	unsigned long addr;

	/* A run-time probe: a constant would make this function noreturn. */
	if (uffd_kunit_fallback() && file->f_path.mnt != ram_mnt)
		kunit_skip(test, "shmem fallback maps RAM-fs files only");
	addr = kunit_vm_mmap(test, file, 0, TEST_PAGES * PAGE_SIZE,
			     PROT_READ | PROT_WRITE, flags, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr));
	mmap_read_lock(current->mm);
	vma = find_vma(current->mm, addr);
	mmap_read_unlock(current->mm);
	KUNIT_ASSERT_NOT_NULL(test, vma);
	*addrp = addr;
	return vma;
}

/* A shared mapping of a fresh test file; returns the VMA. */
struct vm_area_struct *uffd_kunit_vma(struct kunit *test,
				      struct file **filep, unsigned long *addrp)
{
	struct file *file = uffd_kunit_file(test, TEST_PAGES);

	if (filep)
		*filep = file;
	return uffd_kunit_vma_of(test, file, MAP_SHARED, addrp);
}

/* A folio added at @index of @mapping, locked, with the caller's reference. */
struct folio *uffd_kunit_added_folio(struct kunit *test,
				     struct address_space *mapping,
				     pgoff_t index)
{
	struct folio *folio = uffd_shim_folio_alloc(mapping);

	KUNIT_ASSERT_NOT_NULL(test, folio);
	uffd_shim_folio_zero(folio);
	uffd_shim_folio_mark_uptodate(folio);
	KUNIT_ASSERT_EQ(test, 0, uffd_shim_filemap_add_folio(mapping, folio, index));
	return folio;
}

/* A new file of the RAM-fs test type, @pages long, closed when the test ends. */
struct file *uffd_kunit_ram_file(struct kunit *test, loff_t pages)
{
	char name[16];
	struct file *file;

	snprintf(name, sizeof(name), "f%d", atomic_inc_return(&ram_files));
	file = file_open_root_mnt(ram_mnt, name, O_CREAT | O_EXCL | O_RDWR, 0600);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, fput_action, file));
	KUNIT_ASSERT_EQ(test, 0, vfs_truncate(&file->f_path, pages * PAGE_SIZE));
	return file;
}

static int ram_init(void)
{
	struct uffd_shim_ops ops = uffd_kunit_ops;
	int err;

	ops.fops = NULL;
	ops.free_folio = test_free_folio;
	ram_type = uffd_shim_register(&ops);
	if (IS_ERR(ram_type))
		return PTR_ERR(ram_type);
	err = uffd_shim_register_fs(ram_type, &ram_fs);
	if (!err) {
		ram_mnt = kern_mount(&ram_fs);
		err = PTR_ERR_OR_ZERO(ram_mnt);
	}
	if (err)
		uffd_shim_unregister(ram_type);
	return err;
}

int uffd_kunit_suite_init(struct kunit_suite *suite)
{
	int err;

	test_mnt = kern_mount(&test_fs);
	if (IS_ERR(test_mnt))
		return PTR_ERR(test_mnt);
	uffd_kunit_type = uffd_shim_register(&uffd_kunit_ops);
	err = PTR_ERR_OR_ZERO(uffd_kunit_type);
	if (!err) {
		err = ram_init();
		if (err)
			uffd_shim_unregister(uffd_kunit_type);
	}
	if (err)
		kern_unmount(test_mnt);
	return err;
}

void uffd_kunit_suite_exit(struct kunit_suite *suite)
{
	/*
	 * The last case's files may still wait in delayed fput, and their f_op
	 * lives in the type: a built-in test has no module reference to hold
	 * it. Found by KASAN (slab-use-after-free in __fput).
	 */
	flush_delayed_fput();
	kern_unmount(ram_mnt);
	uffd_shim_unregister(ram_type);	/* waits for the superblock */
	uffd_shim_unregister(uffd_kunit_type);
	kern_unmount(test_mnt);
}

int uffd_kunit_case_init(struct kunit *test)
{
	/* Files of earlier cases are released by delayed fput: finish that. */
	flush_delayed_fput();
	atomic_long_set(&uffd_kunit_accounted, 0);
	uffd_kunit_account_limit = LONG_MAX;
	uffd_kunit_account_hook = NULL;
	return 0;
}

MODULE_DESCRIPTION("KUnit tests for uffd-shim");
MODULE_LICENSE("GPL");
