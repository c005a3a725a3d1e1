// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite uffd_shim_ramfs: the shim's RAM file system's own file
 * operations, where the userspace suite cannot see inside (which pages a
 * failed call leaves, what the type is charged).
 */

#include "fixture.h"
#include <linux/falloc.h>	/* after fs.h: needs its types */
#include <linux/migrate.h>
#include <linux/mount.h>
#include <linux/uaccess.h>

static bool cached(struct file *file, pgoff_t index)
{
	struct folio *folio = uffd_shim_filemap_lookup(file->f_mapping, index);

	if (IS_ERR(folio))
		return false;
	uffd_shim_folio_put(folio);
	return true;
}

/*
 * A 2-page file with page 3 reserved beyond EOF; room for two more pages:
 * a fallocate of pages 0-5 fills the holes at 0 and 1, then fails.
 */
static void failed_fallocate_gives_back_only_what_it_allocated(struct kunit *test)
{
	struct file *file = uffd_kunit_ram_file(test, 2);

	if (uffd_kunit_fallback())
		kunit_skip(test, "the fallback charges extents, not pages");
	KUNIT_ASSERT_EQ(test, 0, vfs_fallocate(file, FALLOC_FL_KEEP_SIZE,
					       3 * PAGE_SIZE, PAGE_SIZE));
	KUNIT_ASSERT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 1L);
	uffd_kunit_account_limit = 3;
	KUNIT_EXPECT_EQ(test, -ENOSPC, vfs_fallocate(file, 0, 0, 6 * PAGE_SIZE));
	KUNIT_EXPECT_FALSE(test, cached(file, 0));
	KUNIT_EXPECT_FALSE(test, cached(file, 1));
	KUNIT_EXPECT_TRUE(test, cached(file, 3));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 1L);
	KUNIT_EXPECT_EQ(test, i_size_read(file_inode(file)), 2 * PAGE_SIZE);
}

/* A page a failed fallocate found in the cache is not its to give back. */
static void failed_fallocate_keeps_pages_written_before(struct kunit *test)
{
	struct file *file = uffd_kunit_ram_file(test, 2);
	loff_t pos = PAGE_SIZE;
	char byte = 0;

	if (uffd_kunit_fallback())
		kunit_skip(test, "the fallback charges extents, not pages");
	KUNIT_ASSERT_EQ(test, 2L, kernel_write(file, "ab", 2, &pos));
	uffd_kunit_account_limit = 2;
	KUNIT_EXPECT_EQ(test, -ENOSPC, vfs_fallocate(file, 0, 0, 4 * PAGE_SIZE));
	pos = PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, 1L, kernel_read(file, &byte, 1, &pos));
	KUNIT_EXPECT_EQ(test, byte, 'a');
	KUNIT_EXPECT_FALSE(test, cached(file, 0));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 1L);
}

static unsigned long page_zero_addr;
static bool page_zero_written;

/* The refused page's ->account: meanwhile, a user writes page 0 through a mapping. */
static void write_page_zero_before_the_refusal(struct inode *inode, long nr)
{
	if (nr > 0 && !page_zero_written &&
	    atomic_long_read(&uffd_kunit_accounted) + nr > uffd_kunit_account_limit)
		page_zero_written = !copy_to_user((void __user *)page_zero_addr, "x", 1);
}

/* A page a failed fallocate added, but that was mapped and written since, stays. */
static void failed_fallocate_keeps_a_page_written_through_a_mapping_meanwhile(struct kunit *test)
{
	struct file *file = uffd_kunit_ram_file(test, TEST_PAGES);
	loff_t pos = 0;
	char byte = 0;

	if (uffd_kunit_fallback())
		kunit_skip(test, "the fallback's RAM files are shmem's");
	uffd_kunit_vma_of(test, file, MAP_SHARED, &page_zero_addr);
	page_zero_written = false;
	uffd_kunit_account_limit = 2;
	uffd_kunit_account_hook = write_page_zero_before_the_refusal;
	KUNIT_EXPECT_EQ(test, -ENOSPC, vfs_fallocate(file, 0, 0, 3 * PAGE_SIZE));
	uffd_kunit_account_hook = NULL;
	KUNIT_ASSERT_TRUE(test, page_zero_written);
	KUNIT_EXPECT_TRUE(test, cached(file, 0));
	KUNIT_EXPECT_FALSE(test, cached(file, 1));
	KUNIT_EXPECT_EQ(test, 1L, kernel_read(file, &byte, 1, &pos));
	KUNIT_EXPECT_EQ(test, byte, 'x');
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 1L);
}

/*
 * On the fallback a fault or UFFDIO_COPY fills a shmem page without the
 * shim, so the type is charged for the file's extent, before it grows.
 */
static void fallback_charges_the_type_for_the_extent_first(struct kunit *test)
{
	struct file *file = uffd_kunit_ram_file(test, 2);
	loff_t pos = 3 * PAGE_SIZE;

	if (!uffd_kunit_fallback())
		kunit_skip(test, "natively pages are charged as they enter the cache");
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 2L);
	uffd_kunit_account_limit = 4;
	KUNIT_EXPECT_EQ(test, 1L, kernel_write(file, "x", 1, &pos));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 4L);
	KUNIT_EXPECT_EQ(test, -ENOSPC, vfs_fallocate(file, FALLOC_FL_KEEP_SIZE,
						     4 * PAGE_SIZE, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, -ENOSPC, vfs_truncate(&file->f_path, 5 * PAGE_SIZE));
	pos = 4 * PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, -ENOSPC, kernel_write(file, "y", 1, &pos));
	KUNIT_EXPECT_EQ(test, i_size_read(file_inode(file)), 3 * PAGE_SIZE + 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 4L);

	KUNIT_EXPECT_EQ(test, 0, vfs_truncate(&file->f_path, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 1L);
	KUNIT_EXPECT_EQ(test, 0, vfs_fallocate(file, FALLOC_FL_KEEP_SIZE,
					       2 * PAGE_SIZE, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 3L);
}

static struct folio *alloc_migration_dst(struct folio *src, unsigned long private)
{
	return folio_alloc(GFP_HIGHUSER_MOVABLE, folio_order(src));
}

/* Dirty for good, yet movable: compaction and memory hot-remove can take it. */
static void folio_migrates_with_its_data(struct kunit *test)
{
	struct file *file = uffd_kunit_ram_file(test, 1);
	struct folio *folio, *moved;
	LIST_HEAD(isolated);
	bool isolated_ok;
	loff_t pos = 0;
	char byte = 0;

	if (uffd_kunit_fallback())
		kunit_skip(test, "the fallback's RAM files are shmem's");
	if (!IS_ENABLED(CONFIG_MIGRATION))
		kunit_skip(test, "CONFIG_MIGRATION is off");
	KUNIT_ASSERT_EQ(test, 1L, kernel_write(file, "m", 1, &pos));
	lru_add_drain_all();
	folio = uffd_shim_filemap_lookup(file->f_mapping, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, folio);
	isolated_ok = isolate_folio_to_list(folio, &isolated);
	folio_put(folio);	/* isolation holds its own reference */
	KUNIT_ASSERT_TRUE(test, isolated_ok);
	KUNIT_EXPECT_EQ(test, 0, migrate_pages(&isolated, alloc_migration_dst,
					       NULL, 0, MIGRATE_SYNC, MR_SYSCALL,
					       NULL));
	putback_movable_pages(&isolated);
	moved = uffd_shim_filemap_lookup(file->f_mapping, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, moved);
	KUNIT_EXPECT_PTR_NE(test, moved, folio);
	KUNIT_EXPECT_TRUE(test, folio_test_dirty(moved));
	folio_put(moved);
	pos = 0;
	KUNIT_EXPECT_EQ(test, 1L, kernel_read(file, &byte, 1, &pos));
	KUNIT_EXPECT_EQ(test, byte, 'm');
}

/* --- A whole page written into a hole ------------------------------------- */

#ifdef CONFIG_UFFD_SHIM_NATIVE	/* ->write_begin takes a kiocb (Linux 6.17+) */

/*
 * Page 0 of a new 2-page file as generic_perform_write() writes it: the
 * folio ->write_begin gives, @copied bytes of 'x' copied into it, then
 * ->write_end's answer. A @racer folio, if any, enters the page cache at
 * index 0 in between, as a fault or a userfaultfd fill would.
 */
static int write_page_zero(struct kunit *test, struct file *file,
			   unsigned int copied, struct folio *racer)
{
	struct address_space *mapping = file->f_mapping;
	const struct address_space_operations *aops = mapping->a_ops;
	struct folio *folio;
	void *fsdata, *kaddr;
	struct kiocb iocb;
	int ret;

	init_sync_kiocb(&iocb, file);
	inode_lock(file_inode(file));
	ret = aops->write_begin(&iocb, mapping, 0, PAGE_SIZE, &folio, &fsdata);
	KUNIT_EXPECT_EQ(test, 0, ret);
	if (!ret) {
		/* Not in the page cache: nobody can see it before it is full. */
		KUNIT_EXPECT_NULL(test, folio->mapping);
		kaddr = kmap_local_folio(folio, 0);
		memset(kaddr, 'x', copied);
		kunmap_local(kaddr);
		if (racer) {
			int err = uffd_shim_filemap_insert(mapping, racer, 0);

			KUNIT_EXPECT_EQ(test, 0, err);
			if (!err)
				folio_unlock(racer);
		}
		ret = aops->write_end(&iocb, mapping, 0, PAGE_SIZE, copied, folio, fsdata);
	}
	inode_unlock(file_inode(file));
	return ret;
}

static char byte_of_page_zero(struct kunit *test, struct file *file)
{
	loff_t pos = 0;
	char byte = 1;

	KUNIT_EXPECT_EQ(test, 1L, kernel_read(file, &byte, 1, &pos));
	return byte;
}

static void whole_page_write_inserts_the_full_folio(struct kunit *test)
{
	struct file *file = uffd_kunit_ram_file(test, 2);

	KUNIT_EXPECT_EQ(test, (int)PAGE_SIZE, write_page_zero(test, file, PAGE_SIZE, NULL));
	KUNIT_EXPECT_TRUE(test, cached(file, 0));
	KUNIT_EXPECT_EQ(test, byte_of_page_zero(test, file), 'x');
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 1L);
}

/* 0 makes generic_perform_write() write the copied part again, through the cache. */
static void whole_page_write_with_a_short_copy_inserts_nothing(struct kunit *test)
{
	struct file *file = uffd_kunit_ram_file(test, 2);

	KUNIT_EXPECT_EQ(test, 0, write_page_zero(test, file, PAGE_SIZE / 2, NULL));
	KUNIT_EXPECT_FALSE(test, cached(file, 0));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 0L);
}

static void whole_page_write_gives_way_to_a_page_filled_meanwhile(struct kunit *test)
{
	struct file *file = uffd_kunit_ram_file(test, 2);
	struct folio *racer = uffd_shim_folio_alloc(file->f_mapping), *found;

	KUNIT_ASSERT_NOT_NULL(test, racer);
	uffd_shim_folio_mark_uptodate(racer);
	KUNIT_EXPECT_EQ(test, 0, write_page_zero(test, file, PAGE_SIZE, racer));
	found = uffd_shim_filemap_lookup(file->f_mapping, 0);
	KUNIT_EXPECT_PTR_EQ(test, found, racer);
	if (!IS_ERR(found))
		folio_put(found);
	folio_put(racer);
	KUNIT_EXPECT_EQ(test, byte_of_page_zero(test, file), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 1L);
}

#else

static void whole_page_write_inserts_the_full_folio(struct kunit *test)
{
	kunit_skip(test, "the fallback's RAM files are shmem's");
}

static void whole_page_write_with_a_short_copy_inserts_nothing(struct kunit *test)
{
	kunit_skip(test, "the fallback's RAM files are shmem's");
}

static void whole_page_write_gives_way_to_a_page_filled_meanwhile(struct kunit *test)
{
	kunit_skip(test, "the fallback's RAM files are shmem's");
}

#endif

/* --- One population path on the RAM file system too ----------------------- */

static atomic_t ram_prepared;

static int count_prepare(struct inode *inode, struct folio *folio)
{
	atomic_inc(&ram_prepared);
	return 0;
}

/* Static: the VFS keeps lockdep keys in it. */
static struct file_system_type prep_fs = {
	.name = "uffd_kunit_prep",
};

static void write_fallocate_and_fault_reach_prepare_folio(struct kunit *test)
{
	const struct uffd_shim_ops ops = {
		.api_version	= UFFD_SHIM_API_VERSION,
		.name		= "uffd_kunit_prep",
		.modes		= UFFD_SHIM_MODE_MISSING,
		.prepare_folio	= count_prepare,
	};
	struct uffd_shim_type *type;
	struct vfsmount *mnt;
	struct file *file;
	unsigned long addr;
	loff_t pos = 0;
	char byte = 1;

	if (uffd_kunit_fallback())
		kunit_skip(test, "the fallback does not call the type");
	atomic_set(&ram_prepared, 0);
	type = uffd_shim_register(&ops);
	KUNIT_ASSERT_FALSE(test, IS_ERR(type));
	KUNIT_ASSERT_EQ(test, 0, uffd_shim_register_fs(type, &prep_fs));
	mnt = kern_mount(&prep_fs);
	KUNIT_ASSERT_FALSE(test, IS_ERR(mnt));
	file = file_open_root_mnt(mnt, "f", O_CREAT | O_RDWR, 0600);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));

	KUNIT_EXPECT_EQ(test, 1L, kernel_write(file, "w", 1, &pos));
	KUNIT_EXPECT_EQ(test, atomic_read(&ram_prepared), 1);
	KUNIT_EXPECT_EQ(test, 0, vfs_fallocate(file, 0, PAGE_SIZE, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, atomic_read(&ram_prepared), 2);
	KUNIT_EXPECT_EQ(test, 0, vfs_truncate(&file->f_path, 3 * PAGE_SIZE));
	/* An mm for the mapping: an anonymous page of the case's own. */
	KUNIT_ASSERT_NE(test, 0UL, kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ,
						 MAP_ANONYMOUS | MAP_PRIVATE, 0));
	addr = vm_mmap(file, 0, 3 * PAGE_SIZE, PROT_READ, MAP_SHARED, 0);
	KUNIT_EXPECT_FALSE(test, IS_ERR_VALUE(addr));
	if (!IS_ERR_VALUE(addr)) {
		const char __user *page2 = (const char __user *)addr + 2 * PAGE_SIZE;

		KUNIT_EXPECT_EQ(test, 0UL, copy_from_user(&byte, page2, 1));
		vm_munmap(addr, 3 * PAGE_SIZE);
	}
	KUNIT_EXPECT_EQ(test, byte, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ram_prepared), 3);

	fput(file);
	flush_delayed_fput();
	kern_unmount(mnt);
	uffd_shim_unregister(type);
}

static struct kunit_case uffd_shim_ramfs_cases[] = {
	KUNIT_CASE(failed_fallocate_gives_back_only_what_it_allocated),
	KUNIT_CASE(failed_fallocate_keeps_pages_written_before),
	KUNIT_CASE(failed_fallocate_keeps_a_page_written_through_a_mapping_meanwhile),
	KUNIT_CASE(fallback_charges_the_type_for_the_extent_first),
	KUNIT_CASE(folio_migrates_with_its_data),
	KUNIT_CASE(write_fallocate_and_fault_reach_prepare_folio),
	KUNIT_CASE(whole_page_write_inserts_the_full_folio),
	KUNIT_CASE(whole_page_write_with_a_short_copy_inserts_nothing),
	KUNIT_CASE(whole_page_write_gives_way_to_a_page_filled_meanwhile),
	{}
};

static struct kunit_suite uffd_shim_ramfs_suite = {
	.name = "uffd_shim_ramfs",
	.suite_init = uffd_kunit_suite_init,
	.suite_exit = uffd_kunit_suite_exit,
	.init = uffd_kunit_case_init,
	.test_cases = uffd_shim_ramfs_cases,
};

kunit_test_suites(&uffd_shim_ramfs_suite);
