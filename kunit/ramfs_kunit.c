// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite uffd_shim_ramfs: the shim's RAM file system's own file
 * operations, where the userspace suite cannot see inside (which pages a
 * failed call leaves, what the type is charged).
 */

#include "fixture.h"
#include <linux/falloc.h>	/* after fs.h: needs its types */

static bool cached(struct file *file, pgoff_t index)
{
	struct folio *folio = uffd_shim_filemap_get_folio(file->f_mapping, index);

	if (folio)
		uffd_shim_folio_put(folio);
	return folio;
}

/*
 * A 2-page file with page 3 reserved beyond EOF; room for two more pages:
 * a fallocate of pages 0-5 fills the holes at 0 and 1, then fails.
 */
static void failed_fallocate_gives_back_only_what_it_allocated(struct kunit *test)
{
	struct file *file = uffd_kunit_ram_file(test, 2);

	if (uffd_kunit_fallback())
		kunit_skip(test, "the fallback does not call ->account");
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
		kunit_skip(test, "the fallback does not call ->account");
	KUNIT_ASSERT_EQ(test, 2L, kernel_write(file, "ab", 2, &pos));
	uffd_kunit_account_limit = 2;
	KUNIT_EXPECT_EQ(test, -ENOSPC, vfs_fallocate(file, 0, 0, 4 * PAGE_SIZE));
	pos = PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, 1L, kernel_read(file, &byte, 1, &pos));
	KUNIT_EXPECT_EQ(test, byte, 'a');
	KUNIT_EXPECT_FALSE(test, cached(file, 0));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 1L);
}

static struct kunit_case uffd_shim_ramfs_cases[] = {
	KUNIT_CASE(failed_fallocate_gives_back_only_what_it_allocated),
	KUNIT_CASE(failed_fallocate_keeps_pages_written_before),
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
