// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite: MISSING, ZEROPAGE, MINOR and POISON through the real kernel
 * path, no mocks. A real userfaultfd (from the syscall's entry point), a
 * real mapping of a test-type file in the KUnit mm, a kernel thread using
 * that mm whose copy_from_user() faults, the real UFFDIO_* ioctls resolving
 * it, and the bytes the faulting thread read, checked.
 *
 * Where a failure must be forced, the memory type's ops table carries a
 * stub (named "stub" in the case name); nothing in mm/ is patched.
 */

#include "uffd_env.h"

/* A uffd and a @flags mapping of a fresh RAM-fs test file, registered in @mode. */
static struct uffd_env *registered_mapping_of(struct kunit *test, u64 mode,
					      int flags, struct file **filep,
					      unsigned long *addrp)
{
	struct uffd_env *env = uffd_env_create(test);
	struct file *file = uffd_kunit_ram_file(test, TEST_PAGES);
	struct vm_area_struct *vma = uffd_kunit_vma_of(test, file, flags, addrp);

	env->data = vma->vm_file->f_mapping;
	if (filep)
		*filep = file;
	KUNIT_ASSERT_EQ(test, 0L, uffd_env_register(env, *addrp, mode));
	return env;
}

static struct uffd_env *registered_mapping(struct kunit *test, u64 mode,
					   struct file **filep,
					   unsigned long *addrp)
{
	return registered_mapping_of(test, mode, MAP_SHARED, filep, addrp);
}

/* The type accounted @pages pages (natively: the fallback charges extents). */
static void expect_accounted(struct kunit *test, long pages)
{
	if (!uffd_kunit_fallback())
		KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), pages);
}

/* A failed fill left nothing behind: no page cached, none accounted. */
static void expect_nothing_filled(struct kunit *test, struct uffd_env *env)
{
	KUNIT_EXPECT_EQ(test, env->data->nrpages, 0UL);
	expect_accounted(test, 0);
}

/* Put @str at page @index of @file, as write(2) would. */
static void seed(struct kunit *test, struct file *file, pgoff_t index,
		 const char *str)
{
	loff_t pos = index * PAGE_SIZE;

	KUNIT_ASSERT_EQ(test, (ssize_t)strlen(str) + 1,
			kernel_write(file, str, strlen(str) + 1, &pos));
}

static void resize(struct kunit *test, struct file *file, loff_t size)
{
	KUNIT_ASSERT_EQ(test, 0, vfs_truncate(&file->f_path, size));
}

/* The file's page at @index is cached and holds the string @str. */
static void expect_cached(struct kunit *test, struct address_space *mapping,
			  pgoff_t index, const char *str)
{
	struct folio *folio = uffd_shim_filemap_lookup(mapping, index);
	char cached[16] = {};

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, folio);
	uffd_shim_folio_read(folio, 0, cached, sizeof(cached) - 1);
	uffd_shim_folio_put(folio);
	KUNIT_EXPECT_STREQ(test, cached, str);
}

/* --- MISSING ------------------------------------------------------------- */

static void missing_copy_fills_hole_and_wakes_faulter(struct kunit *test)
{
	struct uffd_env *env;
	struct file *file;
	unsigned long addr;
	struct faulter *f;

	env = registered_mapping(test, UFFDIO_REGISTER_MODE_MISSING, &file, &addr);

	f = uffd_env_faulter(env, addr + PAGE_SIZE);
	uffd_env_expect_fault(env, addr + PAGE_SIZE, 0);
	KUNIT_EXPECT_EQ(test, 0L, uffd_env_copy(env, addr + PAGE_SIZE, "copied by uffd"));
	uffd_env_expect_woken(test, f);

	KUNIT_EXPECT_EQ(test, f->left, 0UL);
	KUNIT_EXPECT_STREQ(test, f->buf, "copied by uffd");
	/* Shared mapping: the page is the file's, accounted once. */
	expect_cached(test, env->data, 1, "copied by uffd");
	expect_accounted(test, 1);
}

static void missing_zeropage_fills_zeroed_page_and_wakes_faulter(struct kunit *test)
{
	struct uffd_env *env;
	struct file *file;
	unsigned long addr;
	struct faulter *f;

	env = registered_mapping(test, UFFDIO_REGISTER_MODE_MISSING, &file, &addr);
	f = uffd_env_faulter(env, addr + 2 * PAGE_SIZE);
	uffd_env_expect_fault(env, addr + 2 * PAGE_SIZE, 0);
	KUNIT_EXPECT_EQ(test, 0L, uffd_env_range_ioctl(env, UFFDIO_ZEROPAGE,
						       addr + 2 * PAGE_SIZE));
	uffd_env_expect_woken(test, f);

	KUNIT_EXPECT_EQ(test, f->left, 0UL);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(f->buf, 0, sizeof(f->buf)));
	/* Shared mapping: a zeroed folio went into the page cache. */
	KUNIT_EXPECT_EQ(test, env->data->nrpages, 1UL);
}

static void missing_copy_on_private_mapping_leaves_file_alone(struct kunit *test)
{
	struct uffd_env *env;
	unsigned long addr;
	struct faulter *f;

	env = registered_mapping_of(test, UFFDIO_REGISTER_MODE_MISSING,
				    MAP_PRIVATE, NULL, &addr);
	f = uffd_env_faulter(env, addr);
	uffd_env_expect_fault(env, addr, 0);
	KUNIT_EXPECT_EQ(test, 0L, uffd_env_copy(env, addr, "private copy"));
	uffd_env_expect_woken(test, f);

	KUNIT_EXPECT_STREQ(test, f->buf, "private copy");
	expect_nothing_filled(test, env);
}

static void copy_twice_is_eexist_and_keeps_first_fill(struct kunit *test)
{
	struct uffd_env *env;
	struct file *file;
	unsigned long addr;

	env = registered_mapping(test, UFFDIO_REGISTER_MODE_MISSING, &file, &addr);
	KUNIT_EXPECT_EQ(test, 0L, uffd_env_copy(env, addr, "first"));
	KUNIT_EXPECT_EQ(test, -EEXIST, uffd_env_copy(env, addr, "second"));
	expect_cached(test, env->data, 0, "first");
	expect_accounted(test, 1);
}

static void copy_beyond_eof_is_efault(struct kunit *test)
{
	struct uffd_env *env;
	struct file *file;
	unsigned long addr;

	env = registered_mapping(test, UFFDIO_REGISTER_MODE_MISSING, &file, &addr);
	resize(test, file, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, -EFAULT, uffd_env_copy(env, addr + 2 * PAGE_SIZE, "x"));
	KUNIT_EXPECT_EQ(test, -EFAULT, uffd_env_range_ioctl(env, UFFDIO_ZEROPAGE,
							    addr + 2 * PAGE_SIZE));
	expect_nothing_filled(test, env);
}

static void copy_refused_by_account_is_enospc_and_unwinds(struct kunit *test)
{
	struct uffd_env *env;
	unsigned long addr;

	if (uffd_kunit_fallback())
		kunit_skip(test, "shmem fallback: UFFDIO_COPY is charged with the extent");
	env = registered_mapping(test, UFFDIO_REGISTER_MODE_MISSING, NULL, &addr);
	uffd_kunit_account_limit = 0;
	KUNIT_EXPECT_EQ(test, -ENOSPC, uffd_env_copy(env, addr, "x"));
	expect_nothing_filled(test, env);
}

/* A second type whose alloc_folio is a stub that always fails. */
/*
 * A fresh file whose f_op are those of @type, a variant of the test type:
 * same inode and mapping, the variant's callbacks. Mapped shared and
 * registered for @mode with a real userfaultfd.
 */
static struct uffd_env *variant_mapping(struct kunit *test,
					struct uffd_shim_type *type, u64 mode,
					struct file **filep, unsigned long *addrp)
{
	struct file *file = uffd_kunit_file(test, TEST_PAGES);
	struct uffd_env *env;

	replace_fops(file, uffd_shim_type_fops(type));
	env = uffd_env_create(test);
	uffd_kunit_vma_of(test, file, MAP_SHARED, addrp);
	KUNIT_ASSERT_EQ(test, 0L, uffd_env_register(env, *addrp, mode));
	*filep = file;
	return env;
}

/* Undo variant_mapping(), so that @type can go before the case ends. */
static void variant_release(struct kunit *test, struct uffd_shim_type *type,
			    struct uffd_env *env, struct file *file,
			    unsigned long addr)
{
	kunit_release_action(test, uffd_env_release, env);
	vm_munmap(addr, TEST_PAGES * PAGE_SIZE);
	replace_fops(file, uffd_shim_type_fops(uffd_kunit_type));
	uffd_shim_unregister(type);
}

static struct folio *failing_alloc_folio(struct vm_area_struct *vma,
					 unsigned long addr)
{
	return NULL;
}

static void copy_with_alloc_folio_stub_failing_is_enomem(struct kunit *test)
{
	struct uffd_shim_ops ops = uffd_kunit_ops;
	struct uffd_shim_type *type;
	struct uffd_env *env;
	struct file *file;
	unsigned long addr;

	if (uffd_kunit_fallback())
		kunit_skip(test, "shmem fallback: the type's alloc_folio is not called");
	ops.alloc_folio = failing_alloc_folio;
	type = uffd_shim_register(&ops);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, type);
	env = variant_mapping(test, type, UFFDIO_REGISTER_MODE_MISSING, &file, &addr);
	KUNIT_EXPECT_EQ(test, -ENOMEM, uffd_env_copy(env, addr, "x"));
	KUNIT_EXPECT_EQ(test, file->f_mapping->nrpages, 0UL);
	variant_release(test, type, env, file, addr);
}

static void register_of_undeclared_wp_mode_is_einval(struct kunit *test)
{
	struct uffd_env *env;
	unsigned long addr;

	if (uffd_kunit_fallback())
		kunit_skip(test, "shmem fallback: the type's modes are not asked");
	env = uffd_env_create(test);
	uffd_kunit_vma(test, NULL, &addr);
	/* The test type declares MISSING and MINOR only. */
	KUNIT_EXPECT_EQ(test, -EINVAL, uffd_env_register(env, addr, UFFDIO_REGISTER_MODE_WP));
}

static bool can_userfault_answer;

static bool changing_can_userfault(struct vm_area_struct *vma, unsigned int modes)
{
	return READ_ONCE(can_userfault_answer);
}

/*
 * Why <linux/uffd_shim.h> asks can_userfault for an answer that does not
 * change: the kernel asks again at UFFDIO_UNREGISTER, and a "no" then
 * leaves the range registered.
 */
static void can_userfault_that_changes_its_answer_blocks_unregister(struct kunit *test)
{
	struct uffd_shim_ops ops = uffd_kunit_ops;
	struct uffdio_range range = { .len = TEST_PAGES * PAGE_SIZE };
	struct uffd_shim_type *type;
	struct uffd_env *env;
	struct file *file;
	unsigned long addr;

	if (uffd_kunit_fallback())
		kunit_skip(test, "shmem fallback: the type is not asked");
	ops.can_userfault = changing_can_userfault;
	WRITE_ONCE(can_userfault_answer, true);
	type = uffd_shim_register(&ops);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, type);
	env = variant_mapping(test, type, UFFDIO_REGISTER_MODE_MISSING, &file, &addr);
	range.start = addr;
	WRITE_ONCE(can_userfault_answer, false);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			uffd_env_ioctl(env, UFFDIO_UNREGISTER, &range, sizeof(range)));
	WRITE_ONCE(can_userfault_answer, true);
	KUNIT_EXPECT_EQ(test, 0L,
			uffd_env_ioctl(env, UFFDIO_UNREGISTER, &range, sizeof(range)));
	variant_release(test, type, env, file, addr);
}

/* --- MINOR --------------------------------------------------------------- */

static void minor_continue_maps_cached_page_and_wakes_faulter(struct kunit *test)
{
	struct uffd_env *env;
	struct file *file;
	unsigned long addr;
	struct faulter *f;
	struct folio *folio;

	env = registered_mapping(test, UFFDIO_REGISTER_MODE_MINOR, &file, &addr);
	seed(test, file, 3, "in the cache");
	folio = uffd_shim_filemap_lookup(env->data, 3);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, folio);

	f = uffd_env_faulter(env, addr + 3 * PAGE_SIZE);
	uffd_env_expect_fault(env, addr + 3 * PAGE_SIZE, UFFD_PAGEFAULT_FLAG_MINOR);
	KUNIT_EXPECT_EQ(test, 0L, uffd_env_range_ioctl(env, UFFDIO_CONTINUE,
						       addr + 3 * PAGE_SIZE));
	uffd_env_expect_woken(test, f);

	KUNIT_EXPECT_EQ(test, f->left, 0UL);
	KUNIT_EXPECT_STREQ(test, f->buf, "in the cache");
	KUNIT_EXPECT_TRUE(test, folio_mapped(folio));
	uffd_shim_folio_put(folio);
}

static void continue_on_hole_is_efault(struct kunit *test)
{
	struct uffd_env *env;
	unsigned long addr;

	env = registered_mapping(test, UFFDIO_REGISTER_MODE_MINOR, NULL, &addr);
	KUNIT_EXPECT_EQ(test, -EFAULT, uffd_env_range_ioctl(env, UFFDIO_CONTINUE, addr));
}

static void continue_on_truncated_page_is_efault(struct kunit *test)
{
	struct uffd_env *env;
	struct file *file;
	unsigned long addr;

	env = registered_mapping(test, UFFDIO_REGISTER_MODE_MINOR, &file, &addr);
	seed(test, file, 1, "gone");
	resize(test, file, PAGE_SIZE);
	resize(test, file, TEST_PAGES * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, -EFAULT, uffd_env_range_ioctl(env, UFFDIO_CONTINUE,
							    addr + PAGE_SIZE));
}

/* --- POISON -------------------------------------------------------------- */

static void poison_makes_later_access_fail(struct kunit *test)
{
	struct uffd_env *env;
	unsigned long addr;
	struct faulter *f;

	env = registered_mapping(test, UFFDIO_REGISTER_MODE_MISSING, NULL, &addr);
	KUNIT_EXPECT_EQ(test, 0L, uffd_env_range_ioctl(env, UFFDIO_POISON, addr + PAGE_SIZE));
	/* No userfault: the poisoned PTE fails the access right away. */
	f = uffd_env_faulter(env, addr + PAGE_SIZE);
	uffd_env_expect_woken(test, f);
	KUNIT_EXPECT_EQ(test, f->left, sizeof(f->buf));
	KUNIT_EXPECT_EQ(test, -EEXIST, uffd_env_range_ioctl(env, UFFDIO_POISON,
							    addr + PAGE_SIZE));
}

/* 7.2 treats the poison marker as a uffd marker: a fill may replace it. */
static void copy_over_poisoned_page_replaces_the_poison(struct kunit *test)
{
	struct uffd_env *env;
	unsigned long addr;
	struct faulter *f;

	env = registered_mapping(test, UFFDIO_REGISTER_MODE_MISSING, NULL, &addr);
	KUNIT_ASSERT_EQ(test, 0L, uffd_env_range_ioctl(env, UFFDIO_POISON, addr));
	KUNIT_EXPECT_EQ(test, 0L, uffd_env_copy(env, addr, "repaired"));
	f = uffd_env_faulter(env, addr);
	uffd_env_expect_woken(test, f);
	KUNIT_EXPECT_EQ(test, f->left, 0UL);
	KUNIT_EXPECT_STREQ(test, f->buf, "repaired");
}

static struct kunit_case uffd_shim_realpath_cases[] = {
	KUNIT_CASE(missing_copy_fills_hole_and_wakes_faulter),
	KUNIT_CASE(missing_zeropage_fills_zeroed_page_and_wakes_faulter),
	KUNIT_CASE(missing_copy_on_private_mapping_leaves_file_alone),
	KUNIT_CASE(copy_twice_is_eexist_and_keeps_first_fill),
	KUNIT_CASE(copy_beyond_eof_is_efault),
	KUNIT_CASE(copy_refused_by_account_is_enospc_and_unwinds),
	KUNIT_CASE(copy_with_alloc_folio_stub_failing_is_enomem),
	KUNIT_CASE(register_of_undeclared_wp_mode_is_einval),
	KUNIT_CASE(can_userfault_that_changes_its_answer_blocks_unregister),
	KUNIT_CASE(minor_continue_maps_cached_page_and_wakes_faulter),
	KUNIT_CASE(continue_on_hole_is_efault),
	KUNIT_CASE(continue_on_truncated_page_is_efault),
	KUNIT_CASE(poison_makes_later_access_fail),
	KUNIT_CASE(copy_over_poisoned_page_replaces_the_poison),
	{}
};

static struct kunit_suite uffd_shim_realpath_suite = {
	.name = "uffd_shim_realpath",
	.suite_init = uffd_kunit_suite_init,
	.suite_exit = uffd_kunit_suite_exit,
	.init = uffd_kunit_case_init,
	.test_cases = uffd_shim_realpath_cases,
};

kunit_test_suites(&uffd_shim_realpath_suite);
