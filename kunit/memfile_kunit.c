// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite: memory files (UFFD_SHIM_FLAG_MEMFILE) of a type that keeps
 * its pages out of the kernel direct map. Its hooks count their calls in
 * the type's private data and check that they reach the file's, so each
 * case shows one population path reaching ->account and ->prepare_folio,
 * what the direct map says of the page, and that leaving gives everything
 * back: ->free_folio, ->unaccount, the direct map, the data.
 */

#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/falloc.h>	/* after fs.h: needs its types */

#include "uffd_env.h"

struct mem_hooks {
	atomic_t account, prepare, policy;
	unsigned int policy_saw;	/* *map as ->mmap_policy got it */
	/*
	 * The folio ->prepare_folio last saw, and how often ->free_folio saw
	 * it: files of earlier cases may still be evicted during a case (their
	 * mm goes after the case's thread), so global counts of ->free_folio
	 * would race; this one is the case's own.
	 */
	struct folio *last_prepared;
	atomic_t last_prepared_freed;
	int prepare_err;	/* ->prepare_folio fails with it when set */
};

/* A memory file's data: who it is, and its pages. */
struct mem_file_data {
	long magic;
	atomic_long_t pages;
};

#define MEM_FILE_MAGIC 0x6d656d66L

static struct mem_hooks *hooks_of(struct inode *inode)
{
	return uffd_shim_type_data(uffd_shim_inode_type(inode));
}

static struct mem_file_data *file_data_of(struct inode *inode)
{
	struct mem_file_data *data = uffd_shim_inode_data(inode);

	WARN_ON_ONCE(!data || data->magic != MEM_FILE_MAGIC);
	return data;
}

static int mem_account(struct inode *inode, long nr)
{
	atomic_inc(&hooks_of(inode)->account);
	atomic_long_add(nr, &file_data_of(inode)->pages);
	return 0;
}

static void mem_unaccount(struct inode *inode, long nr)
{
	atomic_long_sub(nr, &file_data_of(inode)->pages);
}

static int mem_prepare(struct inode *inode, struct folio *folio)
{
	struct mem_hooks *hooks = hooks_of(inode);

	atomic_inc(&hooks->prepare);
	WRITE_ONCE(hooks->last_prepared, folio);
	if (hooks->prepare_err)
		return hooks->prepare_err;
	return uffd_shim_folio_unmap_direct(folio);
}

static struct mem_hooks hooks;

/* ->free_folio gets no inode: the one hook that finds its state globally. */
static void mem_free_folio(struct folio *folio)
{
	if (folio == READ_ONCE(hooks.last_prepared))
		atomic_inc(&hooks.last_prepared_freed);
	uffd_shim_folio_restore_direct(folio);
	uffd_shim_folio_zero(folio);
}

static int mem_policy(struct file *file, unsigned int *map)
{
	atomic_inc(&hooks_of(file_inode(file))->policy);
	hooks_of(file_inode(file))->policy_saw = *map;
	if (!(*map & UFFD_SHIM_MAP_SHARED))
		return -EINVAL;
	*map |= UFFD_SHIM_MAP_DONTDUMP;
	return 0;
}

static void mem_release(struct inode *inode)
{
	file_data_of(inode)->magic = 0;
}

static const struct uffd_shim_ops mem_ops = {
	.api_version	= UFFD_SHIM_API_VERSION,
	.name		= "uffd_kunit_mem",
	.modes		= UFFD_SHIM_MODE_MISSING | UFFD_SHIM_MODE_MINOR |
			  UFFD_SHIM_MODE_WP,
	.flags		= UFFD_SHIM_FLAG_MEMFILE | UFFD_SHIM_FLAG_NO_DIRECT_MAP,
	.account	= mem_account,
	.unaccount	= mem_unaccount,
	.prepare_folio	= mem_prepare,
	.free_folio	= mem_free_folio,
	.mmap_policy	= mem_policy,
	.release	= mem_release,
};

static struct uffd_shim_type *mem_type;

/* An error here is what a case checks, not a reason to fail the suite. */
static int mem_suite_init(struct kunit_suite *suite)
{
	mem_type = uffd_shim_register_data(&mem_ops, &hooks);
	return uffd_kunit_suite_init(suite);
}

static void mem_suite_exit(struct kunit_suite *suite)
{
	uffd_kunit_suite_exit(suite);
	uffd_shim_unregister(mem_type);	/* waits for the last memory file */
}

static int mem_case_init(struct kunit *test)
{
	int err = uffd_kunit_case_init(test);	/* earlier files: flushed first */

	memset(&hooks, 0, sizeof(hooks));
	return err;
}

struct mem_file {
	struct file *file;
	struct mem_file_data data;
	bool released;		/* ->release saw the file: @data may go */
};

/*
 * ->release may come after the case: a mapping's last reference can be
 * dropped by a thread that borrowed the mm, and its fput() is a delayed
 * one. Wait for it, flushing delayed fputs, before the data may go.
 */
static void mem_file_put(void *data)
{
	struct mem_file *mf = data;
	unsigned long timeout = jiffies + 10 * HZ;

	fput(mf->file);
	do {
		flush_delayed_fput();
		if (!READ_ONCE(mf->data.magic)) {
			mf->released = true;
			return;
		}
		fsleep(1000);
	} while (time_before(jiffies, timeout));
	WARN(1, "uffd_kunit: a memory file outlived its case\n");
}

/* After mem_file_put(); a file still in use keeps its data (kmemleak tells). */
static void mem_file_free(void *data)
{
	struct mem_file *mf = data;

	if (mf->released)
		kfree(mf);
}

/* A memory file of TEST_PAGES pages, put (and released) when the case ends. */
static struct mem_file *mem_file(struct kunit *test)
{
	struct mem_file *mf;

	if (IS_ERR(mem_type))
		kunit_skip(test, "memory files need the native backend (%ld)",
			   PTR_ERR(mem_type));
	mf = kzalloc_obj(*mf);
	KUNIT_ASSERT_NOT_NULL(test, mf);
	mf->released = true;	/* until there is a file */
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, mem_file_free, mf));
	mf->data.magic = MEM_FILE_MAGIC;
	mf->file = uffd_shim_file_create(mem_type, "[uffd_kunit_mem]",
					 TEST_PAGES * PAGE_SIZE, &mf->data);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, mf->file);
	mf->released = false;
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, mem_file_put, mf));
	return mf;
}

/* Page @index is in the file's page cache, prepared: out of the direct map. */
static void expect_prepared(struct kunit *test, struct mem_file *mf,
			    pgoff_t index)
{
	struct folio *folio = uffd_shim_filemap_lookup(mf->file->f_mapping,
						       index);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, folio);
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_direct_mapped(folio));
	uffd_shim_folio_put(folio);
	KUNIT_EXPECT_EQ(test, atomic_read(&hooks.prepare), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&hooks.account), 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&mf->data.pages), 1L);
}

static void write_page(struct kunit *test, struct mem_file *mf, pgoff_t index,
		       ssize_t expect)
{
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	loff_t pos = index * PAGE_SIZE;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	strscpy(buf, "written", PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, expect, kernel_write(mf->file, buf, PAGE_SIZE, &pos));
}

/* A shared mapping of @mf in the KUnit mm, with a uffd registered in @mode. */
static struct uffd_env *mem_mapping(struct kunit *test, struct mem_file *mf,
				    u64 mode, unsigned long *addrp)
{
	struct uffd_env *env = uffd_env_create(test);

	uffd_kunit_vma_of(test, mf->file, MAP_SHARED, addrp);
	env->data = mf->file->f_mapping;
	if (mode)
		KUNIT_ASSERT_EQ(test, 0L, uffd_env_register(env, *addrp, mode));
	return env;
}

/* An mm for the case (kunit_attach_mm() is not in every kernel we run on). */
static void attach_mm(struct kunit *test)
{
	KUNIT_ASSERT_NE(test, 0UL, kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ,
						 MAP_ANONYMOUS | MAP_PRIVATE, 0));
}

/* --- Every population path: prepared, out of the direct map --------------- */

static void write_prepares_the_page_out_of_the_direct_map(struct kunit *test)
{
	struct mem_file *mf = mem_file(test);

	write_page(test, mf, 1, PAGE_SIZE);
	expect_prepared(test, mf, 1);
}

static void fallocate_prepares_the_page_out_of_the_direct_map(struct kunit *test)
{
	struct mem_file *mf = mem_file(test);

	KUNIT_EXPECT_EQ(test, 0, vfs_fallocate(mf->file, 0, PAGE_SIZE, PAGE_SIZE));
	expect_prepared(test, mf, 1);
}

static void fault_fill_prepares_the_page_out_of_the_direct_map(struct kunit *test)
{
	struct mem_file *mf = mem_file(test);
	unsigned long addr;
	struct uffd_env *env = mem_mapping(test, mf, 0, &addr);
	struct faulter *f = uffd_env_faulter(env, addr + PAGE_SIZE);

	uffd_env_expect_woken(test, f);
	KUNIT_EXPECT_EQ(test, f->left, 0UL);
	KUNIT_EXPECT_EQ(test, f->buf[0], 0);
	expect_prepared(test, mf, 1);
}

/* @mf mapped, registered in @mode, and a thread's MISSING fault on page 1. */
static struct faulter *missing_fault(struct kunit *test, struct mem_file *mf,
				     u64 mode, struct uffd_env **envp,
				     unsigned long *addrp)
{
	struct uffd_env *env = mem_mapping(test, mf, mode, addrp);
	struct faulter *f = uffd_env_faulter(env, *addrp + PAGE_SIZE);

	uffd_env_expect_fault(env, *addrp + PAGE_SIZE, 0);
	*envp = env;
	return f;
}

static void uffd_copy_prepares_the_page_after_the_copy(struct kunit *test)
{
	struct mem_file *mf = mem_file(test);
	struct uffd_env *env;
	unsigned long addr;
	struct faulter *f = missing_fault(test, mf, UFFDIO_REGISTER_MODE_MISSING,
					  &env, &addr);

	KUNIT_EXPECT_EQ(test, 0L, uffd_env_copy(env, addr + PAGE_SIZE, "copied"));
	uffd_env_expect_woken(test, f);
	/* The faulter reads the copy through its mapping, not the direct map. */
	KUNIT_EXPECT_STREQ(test, f->buf, "copied");
	expect_prepared(test, mf, 1);
}

static void uffd_zeropage_prepares_the_page(struct kunit *test)
{
	struct mem_file *mf = mem_file(test);
	struct uffd_env *env;
	unsigned long addr;
	struct faulter *f = missing_fault(test, mf, UFFDIO_REGISTER_MODE_MISSING,
					  &env, &addr);

	KUNIT_EXPECT_EQ(test, 0L, uffd_env_range_ioctl(env, UFFDIO_ZEROPAGE,
						       addr + PAGE_SIZE));
	uffd_env_expect_woken(test, f);
	KUNIT_EXPECT_EQ(test, f->buf[0], 0);
	expect_prepared(test, mf, 1);
}

static void missing_resolved_by_write_and_continue(struct kunit *test)
{
	struct mem_file *mf = mem_file(test);
	struct uffd_env *env;
	unsigned long addr;
	struct faulter *f = missing_fault(test, mf, UFFDIO_REGISTER_MODE_MISSING |
					  UFFDIO_REGISTER_MODE_MINOR, &env, &addr);

	write_page(test, mf, 1, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, 0L, uffd_env_range_ioctl(env, UFFDIO_CONTINUE,
						       addr + PAGE_SIZE));
	uffd_env_expect_woken(test, f);
	KUNIT_EXPECT_STREQ(test, f->buf, "written");
	expect_prepared(test, mf, 1);
}

/* --- Leaving: everything given back ---------------------------------------- */

static void punch_hole_restores_the_direct_map_and_unaccounts(struct kunit *test)
{
	struct mem_file *mf = mem_file(test);
	struct folio *folio;
	char byte = 1;

	write_page(test, mf, 0, PAGE_SIZE);
	folio = uffd_shim_filemap_lookup(mf->file->f_mapping, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, folio);
	KUNIT_EXPECT_EQ(test, 0, vfs_fallocate(mf->file, FALLOC_FL_PUNCH_HOLE |
					       FALLOC_FL_KEEP_SIZE, 0, PAGE_SIZE));
	/* Our reference keeps the folio: ->free_folio put it back, scrubbed. */
	KUNIT_EXPECT_EQ(test, atomic_read(&hooks.last_prepared_freed), 1);
	KUNIT_EXPECT_TRUE(test, uffd_shim_folio_direct_mapped(folio));
	uffd_shim_folio_read(folio, 0, &byte, 1);
	KUNIT_EXPECT_EQ(test, byte, 0);
	uffd_shim_folio_put(folio);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&mf->data.pages), 0L);
}

static void last_reference_unaccounts_and_releases_the_file(struct kunit *test)
{
	struct mem_file *mf = mem_file(test);

	KUNIT_EXPECT_EQ(test, 0, vfs_fallocate(mf->file, 0, 0,
					       TEST_PAGES * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&mf->data.pages), (long)TEST_PAGES);
	kunit_release_action(test, mem_file_put, mf);
	KUNIT_EXPECT_EQ(test, atomic_read(&hooks.last_prepared_freed), 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&mf->data.pages), 0L);
	KUNIT_EXPECT_EQ(test, mf->data.magic, 0L);	/* ->release saw this file */
}

static void failed_prepare_fails_the_write_and_unaccounts(struct kunit *test)
{
	struct mem_file *mf = mem_file(test);

	hooks.prepare_err = -EIO;
	write_page(test, mf, 0, -EIO);
	KUNIT_EXPECT_EQ(test, mf->file->f_mapping->nrpages, 0UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&mf->data.pages), 0L);
	/* Not prepared, so nothing to undo. */
	KUNIT_EXPECT_EQ(test, atomic_read(&hooks.last_prepared_freed), 0);
}

/* --- What the kernel must not do with such pages --------------------------- */

static void write_over_a_populated_page_is_eexist(struct kunit *test)
{
	struct mem_file *mf = mem_file(test);

	write_page(test, mf, 0, PAGE_SIZE);
	write_page(test, mf, 0, -EEXIST);
	KUNIT_EXPECT_EQ(test, atomic_read(&hooks.prepare), 2);
	/* The second, prepared but refused: given back to ->free_folio. */
	KUNIT_EXPECT_EQ(test, atomic_read(&hooks.last_prepared_freed), 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&mf->data.pages), 1L);
}

static void get_user_pages_of_the_mapping_is_efault(struct kunit *test)
{
	struct mem_file *mf = mem_file(test);
	unsigned long addr;
	struct uffd_env *env = mem_mapping(test, mf, 0, &addr);
	struct faulter *f = uffd_env_faulter(env, addr);
	struct page *page;

	uffd_env_expect_woken(test, f);		/* the page is mapped now */
	KUNIT_EXPECT_EQ(test, -EFAULT, get_user_pages_fast(addr, 1, 0, &page));
	KUNIT_EXPECT_EQ(test, -EFAULT, pin_user_pages_fast(addr, 1, 0, &page));
}

/* What ptrace and /proc/pid/mem do: with the page pinned, copy through the direct map. */
static void access_remote_vm_of_the_mapping_reads_nothing(struct kunit *test)
{
	struct mem_file *mf = mem_file(test);
	unsigned long addr;
	struct uffd_env *env = mem_mapping(test, mf, 0, &addr);
	struct faulter *f = uffd_env_faulter(env, addr);
	char byte;

	uffd_env_expect_woken(test, f);
	/* access_process_vm() would find no mm: the KUnit thread borrows one. */
	KUNIT_EXPECT_EQ(test, 0, access_remote_vm(current->mm, addr, &byte, 1,
						  FOLL_FORCE));
}

static void private_mapping_is_einval(struct kunit *test)
{
	struct mem_file *mf = mem_file(test);
	unsigned long addr;

	attach_mm(test);
	addr = vm_mmap(mf->file, 0, TEST_PAGES * PAGE_SIZE,
		       PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	KUNIT_EXPECT_EQ(test, (long)addr, -EINVAL);
}

static void policy_sees_a_shared_writable_mapping(struct kunit *test)
{
	struct mem_file *mf = mem_file(test);
	unsigned long addr;

	uffd_kunit_vma_of(test, mf->file, MAP_SHARED, &addr);
	KUNIT_EXPECT_EQ(test, atomic_read(&hooks.policy), 1);
	KUNIT_EXPECT_EQ(test, hooks.policy_saw,
			UFFD_SHIM_MAP_SHARED | UFFD_SHIM_MAP_WRITE);
}

static void shared_mapping_is_left_out_of_core_dumps(struct kunit *test)
{
	struct mem_file *mf = mem_file(test);
	unsigned long addr;
	struct vm_area_struct *vma = uffd_kunit_vma_of(test, mf->file, MAP_SHARED,
						       &addr);

	KUNIT_EXPECT_TRUE(test, vma->vm_flags & VM_DONTDUMP);
}

static void ftruncate_to_another_size_is_einval(struct kunit *test)
{
	struct mem_file *mf = mem_file(test);

	KUNIT_EXPECT_EQ(test, -EINVAL, vfs_truncate(&mf->file->f_path, PAGE_SIZE));
}

/* --- Misuse of the API ------------------------------------------------------ */

static long create_error(struct uffd_shim_type *type, loff_t size)
{
	return PTR_ERR(uffd_shim_file_create(type, "[x]", size, NULL));
}

static void file_create_with_unaligned_size_is_einval(struct kunit *test)
{
	if (IS_ERR(mem_type))
		kunit_skip(test, "memory files need the native backend");
	KUNIT_EXPECT_EQ(test, -EINVAL, create_error(mem_type, PAGE_SIZE + 1));
	KUNIT_EXPECT_EQ(test, -EINVAL, create_error(mem_type, 0));
}

static void file_create_for_a_ram_fs_type_is_einval(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, -EINVAL, create_error(uffd_kunit_type, PAGE_SIZE));
}

static void no_direct_map_without_prepare_is_refused(struct kunit *test)
{
	struct uffd_shim_ops ops = mem_ops;

	ops.prepare_folio = NULL;
	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR(uffd_shim_register(&ops)));
}

static void prepare_with_own_filemap_add_is_refused(struct kunit *test)
{
	struct uffd_shim_ops ops = mem_ops;

	ops.filemap_add = uffd_shim_default_filemap_add;
	ops.filemap_remove = uffd_shim_default_filemap_remove;
	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR(uffd_shim_register(&ops)));
}

static void account_without_unaccount_is_refused(struct kunit *test)
{
	struct uffd_shim_ops ops = mem_ops;
	struct uffd_shim_type *type;

	/* ->free_folio gets no inode: pages leaving could not be given back. */
	ops.unaccount = NULL;
	type = uffd_shim_register(&ops);
	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR(type));
	if (!IS_ERR(type))
		uffd_shim_unregister(type);
}

static void variant_put(void *type)
{
	flush_delayed_fput();
	uffd_shim_unregister(type);
}

/* Out of the direct map, a page must not be copied on write: shared only. */
static void private_mapping_without_a_policy_is_refused(struct kunit *test)
{
	struct mem_file_data data = { .magic = MEM_FILE_MAGIC };
	struct uffd_shim_ops ops = mem_ops;
	struct uffd_shim_type *type;
	struct file *file;
	unsigned long addr;

	if (IS_ERR(mem_type))
		kunit_skip(test, "memory files need the native backend");
	ops.mmap_policy = NULL;
	type = uffd_shim_register_data(&ops, &hooks);
	KUNIT_ASSERT_FALSE(test, IS_ERR(type));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, variant_put, type));
	file = uffd_shim_file_create(type, "[x]", PAGE_SIZE, &data);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	attach_mm(test);
	addr = vm_mmap(file, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	KUNIT_EXPECT_EQ(test, (long)addr, -EINVAL);
	if (!IS_ERR_VALUE(addr))
		vm_munmap(addr, PAGE_SIZE);
	fput(file);
	flush_delayed_fput();	/* ->release: before @data goes */
}

static void memfile_type_is_refused_only_on_the_fallback(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(mem_type),
			uffd_kunit_fallback() ? -EOPNOTSUPP : 0);
}

static void unmap_direct_of_a_page_cache_folio_is_einval(struct kunit *test)
{
	struct address_space *mapping = uffd_kunit_mapping(test, TEST_PAGES);
	struct folio *folio = uffd_kunit_added_folio(test, mapping, 0);

	KUNIT_EXPECT_EQ(test, -EINVAL, uffd_shim_folio_unmap_direct(folio));
	KUNIT_EXPECT_TRUE(test, uffd_shim_folio_direct_mapped(folio));
	uffd_shim_folio_unlock(folio);
	uffd_shim_folio_put(folio);
}

/* The copy helpers go through the direct map: a page out of it is refused. */
static void folio_copies_of_a_page_out_of_the_direct_map_are_efault(struct kunit *test)
{
	struct mem_file *mf = mem_file(test);
	char buf[8] = "x";
	struct folio *folio;

	write_page(test, mf, 1, PAGE_SIZE);
	folio = uffd_shim_filemap_lookup_locked(mf->file->f_mapping, 1);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, folio);
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_direct_mapped(folio));
	KUNIT_EXPECT_EQ(test, -EFAULT, uffd_shim_folio_read(folio, 0, buf, sizeof(buf)));
	KUNIT_EXPECT_EQ(test, -EFAULT, uffd_shim_folio_write(folio, 0, buf, sizeof(buf)));
	uffd_shim_folio_zero(folio);
	uffd_shim_folio_unlock(folio);
	uffd_shim_folio_put(folio);
}

/* Memory files are order 0: GUP-fast and the direct map rely on it. */
static void filemap_add_of_a_large_folio_to_a_memory_file_is_einval(struct kunit *test)
{
	struct mem_file *mf = mem_file(test);
	struct folio *folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, 1);

	KUNIT_ASSERT_NOT_NULL(test, folio);
	folio_mark_uptodate(folio);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			uffd_shim_filemap_add_folio(mf->file->f_mapping, folio, 0));
	KUNIT_EXPECT_EQ(test, mf->file->f_mapping->nrpages, 0UL);
	folio_put(folio);
}

static struct kunit_case uffd_shim_memfile_cases[] = {
	KUNIT_CASE(write_prepares_the_page_out_of_the_direct_map),
	KUNIT_CASE(folio_copies_of_a_page_out_of_the_direct_map_are_efault),
	KUNIT_CASE(fallocate_prepares_the_page_out_of_the_direct_map),
	KUNIT_CASE(fault_fill_prepares_the_page_out_of_the_direct_map),
	KUNIT_CASE(uffd_copy_prepares_the_page_after_the_copy),
	KUNIT_CASE(uffd_zeropage_prepares_the_page),
	KUNIT_CASE(missing_resolved_by_write_and_continue),
	KUNIT_CASE(punch_hole_restores_the_direct_map_and_unaccounts),
	KUNIT_CASE(last_reference_unaccounts_and_releases_the_file),
	KUNIT_CASE(failed_prepare_fails_the_write_and_unaccounts),
	KUNIT_CASE(write_over_a_populated_page_is_eexist),
	KUNIT_CASE(get_user_pages_of_the_mapping_is_efault),
	KUNIT_CASE(access_remote_vm_of_the_mapping_reads_nothing),
	KUNIT_CASE(private_mapping_is_einval),
	KUNIT_CASE(policy_sees_a_shared_writable_mapping),
	KUNIT_CASE(shared_mapping_is_left_out_of_core_dumps),
	KUNIT_CASE(ftruncate_to_another_size_is_einval),
	KUNIT_CASE(file_create_with_unaligned_size_is_einval),
	KUNIT_CASE(file_create_for_a_ram_fs_type_is_einval),
	KUNIT_CASE(no_direct_map_without_prepare_is_refused),
	KUNIT_CASE(prepare_with_own_filemap_add_is_refused),
	KUNIT_CASE(account_without_unaccount_is_refused),
	KUNIT_CASE(private_mapping_without_a_policy_is_refused),
	KUNIT_CASE(memfile_type_is_refused_only_on_the_fallback),
	KUNIT_CASE(unmap_direct_of_a_page_cache_folio_is_einval),
	KUNIT_CASE(filemap_add_of_a_large_folio_to_a_memory_file_is_einval),
	{}
};

static struct kunit_suite uffd_shim_memfile_suite = {
	.name = "uffd_shim_memfile",
	.suite_init = mem_suite_init,
	.suite_exit = mem_suite_exit,
	.init = mem_case_init,
	.test_cases = uffd_shim_memfile_cases,
};

kunit_test_suites(&uffd_shim_memfile_suite);
