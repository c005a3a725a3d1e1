// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite uffd_shim_callbacks: a memory type whose folio callbacks
 * hand the kernel the wrong folio, driven through real UFFDIO_CONTINUE and
 * UFFDIO_COPY. The shim must refuse each folio, with a warning and an
 * errno, before the kernel maps it or copies into it, and leave the folio
 * as it found it: unlocked, its data intact, no reference taken.
 */

#include "uffd_env.h"

enum misbehaviour {
	GIVE_VICTIM_LOCKED,	/* get_folio_noalloc: the victim, locked */
	GIVE_VICTIM_UNLOCKED,	/* get_folio_noalloc: the victim, unlocked */
	ALLOC_VICTIM,		/* alloc_folio: the victim */
	ADD_ONE_PAGE_ON,	/* filemap_add: at the next index */
	ADD_THEN_FAIL,		/* filemap_add: inserts, then reports an error */
};

static struct {
	enum misbehaviour how;
	struct folio *victim;
} bad;

static struct folio *bad_get_folio_noalloc(struct inode *inode, pgoff_t pgoff)
{
	folio_get(bad.victim);
	if (bad.how == GIVE_VICTIM_LOCKED)
		folio_lock(bad.victim);
	return bad.victim;
}

static struct folio *bad_alloc_folio(struct vm_area_struct *vma,
				     unsigned long addr)
{
	if (bad.how != ALLOC_VICTIM)
		return uffd_shim_default_alloc_folio(vma, addr);
	folio_get(bad.victim);
	return bad.victim;
}

static int bad_filemap_add(struct folio *folio, struct vm_area_struct *vma,
			   unsigned long addr)
{
	pgoff_t index = linear_page_index(vma, addr);
	int err;

	if (bad.how == ADD_ONE_PAGE_ON)
		index++;
	err = uffd_shim_filemap_add_folio(vma->vm_file->f_mapping, folio, index);
	return err ?: bad.how == ADD_THEN_FAIL ? -ENOSPC : 0;
}

static const struct uffd_shim_ops bad_ops = {
	.api_version		= UFFD_SHIM_API_VERSION,
	.name			= "uffd_kunit_bad",
	.modes			= UFFD_SHIM_MODE_MISSING | UFFD_SHIM_MODE_MINOR,
	.flags			= UFFD_SHIM_FLAG_MEMFILE,
	.get_folio_noalloc	= bad_get_folio_noalloc,
	.alloc_folio		= bad_alloc_folio,
	.filemap_add		= bad_filemap_add,
	.filemap_remove		= uffd_shim_default_filemap_remove,
};

static struct uffd_shim_type *bad_type;

static int bad_suite_init(struct kunit_suite *suite)
{
	bad_type = uffd_shim_register(&bad_ops);
	return uffd_kunit_suite_init(suite);
}

static void bad_suite_exit(struct kunit_suite *suite)
{
	uffd_kunit_suite_exit(suite);
	uffd_shim_unregister(bad_type);
}

static void put_victim(void *folio)
{
	folio_put(folio);
}

static void fput_now(void *file)
{
	fput(file);
	flush_delayed_fput();
}

static struct file *bad_file(struct kunit *test)
{
	struct file *file;

	if (IS_ERR(bad_type))
		kunit_skip(test, "memory files need the native backend (%ld)",
			   PTR_ERR(bad_type));
	file = uffd_shim_file_create(bad_type, "[uffd_kunit_bad]",
				     TEST_PAGES * PAGE_SIZE, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, fput_now, file));
	return file;
}

/* @file mapped shared, with a userfaultfd registered on it in @mode. */
static struct uffd_env *bad_mapping(struct kunit *test, struct file *file,
				    u64 mode, unsigned long *addrp)
{
	struct uffd_env *env = uffd_env_create(test);

	uffd_kunit_vma_of(test, file, MAP_SHARED, addrp);
	env->data = file->f_mapping;
	KUNIT_ASSERT_EQ(test, 0L, uffd_env_register(env, *addrp, mode));
	return env;
}

/* The callbacks hand out @folio, whose reference the case holds. */
static void set_victim(struct kunit *test, enum misbehaviour how,
		       struct folio *folio)
{
	bad.how = how;
	bad.victim = folio;
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, put_victim, folio));
}

/* An uptodate folio holding @text, at @index of @file. */
static struct folio *cached_victim(struct kunit *test, struct file *file,
				   pgoff_t index, const char *text)
{
	struct folio *folio = uffd_kunit_added_folio(test, file->f_mapping, index);

	uffd_shim_folio_write(folio, 0, text, strlen(text) + 1);
	folio_unlock(folio);
	return folio;
}

/* The folio is as the case left it: unlocked, @text intact, no new reference. */
static void expect_untouched(struct kunit *test, struct folio *folio,
			     const char *text, int refs)
{
	char buf[16] = {};

	KUNIT_EXPECT_FALSE(test, folio_test_locked(folio));
	KUNIT_EXPECT_EQ(test, folio_ref_count(folio), refs);
	uffd_shim_folio_read(folio, 0, buf, sizeof(buf));
	KUNIT_EXPECT_STREQ(test, buf, text);
}

static void continue_refused(struct kunit *test, struct file *file,
			     enum misbehaviour how, struct folio *victim)
{
	int refs = folio_ref_count(victim);
	unsigned long addr;
	struct uffd_env *env = bad_mapping(test, file,
					   UFFDIO_REGISTER_MODE_MINOR, &addr);

	set_victim(test, how, victim);
	KUNIT_EXPECT_EQ(test, -EFAULT,
			uffd_env_range_ioctl(env, UFFDIO_CONTINUE, addr + PAGE_SIZE));
	expect_untouched(test, victim, "victim", refs);
}

static void continue_with_a_folio_of_another_file_is_efault(struct kunit *test)
{
	struct file *file = bad_file(test);
	struct file *other = bad_file(test);

	continue_refused(test, file, GIVE_VICTIM_LOCKED,
			 cached_victim(test, other, 1, "victim"));
}

static void continue_with_a_folio_at_another_index_is_efault(struct kunit *test)
{
	struct file *file = bad_file(test);

	continue_refused(test, file, GIVE_VICTIM_LOCKED,
			 cached_victim(test, file, 2, "victim"));
}

static void continue_with_a_folio_not_uptodate_is_efault(struct kunit *test)
{
	struct file *file = bad_file(test);
	/* Not charged: filemap_add_folio() charges it. */
	struct folio *folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, 0);

	KUNIT_ASSERT_NOT_NULL(test, folio);
	uffd_shim_folio_write(folio, 0, "victim", sizeof("victim"));
	/* Behind the shim's back: its own insertion refuses such a folio. */
	KUNIT_ASSERT_EQ(test, 0, filemap_add_folio(file->f_mapping, folio, 1,
						   GFP_KERNEL));
	folio_unlock(folio);
	continue_refused(test, file, GIVE_VICTIM_LOCKED, folio);
}

static void continue_with_an_unlocked_folio_is_efault(struct kunit *test)
{
	struct file *file = bad_file(test);

	continue_refused(test, file, GIVE_VICTIM_UNLOCKED,
			 cached_victim(test, file, 1, "victim"));
}

static void copy_refused(struct kunit *test, struct file *file,
			 struct folio *victim)
{
	int refs = folio_ref_count(victim);
	unsigned long addr;
	struct uffd_env *env = bad_mapping(test, file,
					   UFFDIO_REGISTER_MODE_MISSING, &addr);

	set_victim(test, ALLOC_VICTIM, victim);
	KUNIT_EXPECT_EQ(test, -ENOMEM, uffd_env_copy(env, addr + PAGE_SIZE, "copy"));
	expect_untouched(test, victim, "victim", refs);
	KUNIT_EXPECT_PTR_EQ(test, uffd_shim_filemap_lookup(file->f_mapping, 1),
			    ERR_PTR(-ENOENT));
}

static void copy_into_a_folio_in_a_page_cache_is_enomem(struct kunit *test)
{
	struct file *file = bad_file(test);
	struct file *other = bad_file(test);

	copy_refused(test, file, cached_victim(test, other, 1, "victim"));
}

static void copy_into_a_removed_folio_someone_holds_is_enomem(struct kunit *test)
{
	struct file *file = bad_file(test);
	struct folio *folio = cached_victim(test, file, 3, "victim");

	folio_lock(folio);
	KUNIT_ASSERT_EQ(test, 0, uffd_shim_filemap_remove_folio(folio));
	folio_unlock(folio);
	copy_refused(test, file, folio);
}

static void copy_added_at_another_index_is_einval(struct kunit *test)
{
	struct file *file = bad_file(test);
	unsigned long addr;
	struct uffd_env *env = bad_mapping(test, file,
					   UFFDIO_REGISTER_MODE_MISSING, &addr);

	bad.how = ADD_ONE_PAGE_ON;
	KUNIT_EXPECT_EQ(test, -EINVAL, uffd_env_copy(env, addr + PAGE_SIZE, "copy"));
	KUNIT_EXPECT_PTR_EQ(test, uffd_shim_filemap_lookup(file->f_mapping, 1),
			    ERR_PTR(-ENOENT));
	KUNIT_EXPECT_PTR_EQ(test, uffd_shim_filemap_lookup(file->f_mapping, 2),
			    ERR_PTR(-ENOENT));
}

static void copy_whose_filemap_add_fails_after_inserting_leaves_no_page(struct kunit *test)
{
	struct file *file = bad_file(test);
	unsigned long addr;
	struct uffd_env *env = bad_mapping(test, file,
					   UFFDIO_REGISTER_MODE_MISSING, &addr);

	bad.how = ADD_THEN_FAIL;
	KUNIT_EXPECT_EQ(test, -ENOSPC, uffd_env_copy(env, addr + PAGE_SIZE, "copy"));
	KUNIT_EXPECT_PTR_EQ(test, uffd_shim_filemap_lookup(file->f_mapping, 1),
			    ERR_PTR(-ENOENT));
}

static struct kunit_case uffd_shim_callback_cases[] = {
	KUNIT_CASE(continue_with_a_folio_of_another_file_is_efault),
	KUNIT_CASE(continue_with_a_folio_at_another_index_is_efault),
	KUNIT_CASE(continue_with_a_folio_not_uptodate_is_efault),
	KUNIT_CASE(continue_with_an_unlocked_folio_is_efault),
	KUNIT_CASE(copy_into_a_folio_in_a_page_cache_is_enomem),
	KUNIT_CASE(copy_into_a_removed_folio_someone_holds_is_enomem),
	KUNIT_CASE(copy_added_at_another_index_is_einval),
	KUNIT_CASE(copy_whose_filemap_add_fails_after_inserting_leaves_no_page),
	{}
};

static struct kunit_suite uffd_shim_callback_suite = {
	.name = "uffd_shim_callbacks",
	.suite_init = bad_suite_init,
	.suite_exit = bad_suite_exit,
	.init = uffd_kunit_case_init,
	.test_cases = uffd_shim_callback_cases,
};

kunit_test_suites(&uffd_shim_callback_suite);
