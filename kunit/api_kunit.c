// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the uffd-shim core API: every exported function, on its
 * success and error paths, against a real page cache and real mappings.
 */

#include "fixture.h"

/* --- probe and registration --- */

static void api_version_matches_header(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, uffd_shim_api_version(),
			(unsigned int)UFFD_SHIM_API_VERSION);
}

/* The hook a type's files get: ->mmap_prepare natively, ->mmap on the fallback. */
#ifdef CONFIG_UFFD_SHIM_NATIVE
#define shim_mmap_hook(fops) ((fops)->mmap_prepare)
#else
#define shim_mmap_hook(fops) ((fops)->mmap)
#endif

static void features_report_the_backend_of_this_kernel(struct kunit *test)
{
	unsigned int f = uffd_shim_features();
	bool native = IS_ENABLED(CONFIG_UFFD_SHIM_NATIVE);

	KUNIT_EXPECT_EQ(test, !!(f & UFFD_SHIM_FEAT_VM_UFFD_OPS), native);
	KUNIT_EXPECT_EQ(test, !!(f & UFFD_SHIM_FEAT_SHMEM_FALLBACK), !native);
}

static void features_report_modes(struct kunit *test)
{
	unsigned int f = uffd_shim_features();

	KUNIT_EXPECT_TRUE(test, f & UFFD_SHIM_FEAT_MISSING);
	KUNIT_EXPECT_TRUE(test, f & UFFD_SHIM_FEAT_MINOR);
	KUNIT_EXPECT_TRUE(test, f & UFFD_SHIM_FEAT_POISON);
	KUNIT_EXPECT_EQ(test, !!(f & UFFD_SHIM_FEAT_WP),
			IS_ENABLED(CONFIG_PTE_MARKER_UFFD_WP));
}

static void native_only_type_registers_only_with_the_native_backend(struct kunit *test)
{
	struct uffd_shim_ops ops = uffd_kunit_ops;
	struct uffd_shim_type *type;

	ops.flags = UFFD_SHIM_FLAG_NATIVE_ONLY;
	type = uffd_shim_register(&ops);
	if (IS_ENABLED(CONFIG_UFFD_SHIM_NATIVE)) {
		KUNIT_EXPECT_FALSE(test, IS_ERR_OR_NULL(type));
		uffd_shim_unregister(type);
	} else {
		KUNIT_EXPECT_EQ(test, PTR_ERR(type), -EOPNOTSUPP);
	}
}

static void register_rejects_unknown_flags(struct kunit *test)
{
	struct uffd_shim_ops ops = uffd_kunit_ops;

	ops.flags = UFFD_SHIM_FLAG_NATIVE_ONLY << 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(uffd_shim_register(&ops)), -EINVAL);
}

static void register_rejects_null_ops(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, PTR_ERR(uffd_shim_register(NULL)), -EINVAL);
}

static void register_rejects_bad_tables(struct kunit *test)
{
	static const struct file_operations mmap_fops = {
#ifdef CONFIG_UFFD_SHIM_NATIVE
		.mmap_prepare = generic_file_mmap_prepare,
#else
		.mmap = generic_file_mmap,
#endif
	};
	struct uffd_shim_ops ops;

	ops = uffd_kunit_ops;
	ops.api_version = 0;
	KUNIT_EXPECT_EQ(test, PTR_ERR(uffd_shim_register(&ops)), -EINVAL);
	ops.api_version = UFFD_SHIM_API_VERSION + 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(uffd_shim_register(&ops)), -EINVAL);

	ops = uffd_kunit_ops;
	ops.modes = UFFD_SHIM_MODE_ALL + 1;
	KUNIT_EXPECT_EQ(test, PTR_ERR(uffd_shim_register(&ops)), -EINVAL);

	ops = uffd_kunit_ops;
	ops.api_version = 1;	/* NULL fops came with API 2 */
	ops.fops = NULL;
	KUNIT_EXPECT_EQ(test, PTR_ERR(uffd_shim_register(&ops)), -EINVAL);
	ops.fops = &mmap_fops;
	KUNIT_EXPECT_EQ(test, PTR_ERR(uffd_shim_register(&ops)), -EINVAL);

	ops = uffd_kunit_ops;
	ops.filemap_add = uffd_shim_default_filemap_add;
	KUNIT_EXPECT_EQ(test, PTR_ERR(uffd_shim_register(&ops)), -EINVAL);
}

static void register_copies_template_and_adds_mmap(struct kunit *test)
{
	struct uffd_shim_type *type = uffd_shim_register(&uffd_kunit_ops);
	const struct file_operations *fops;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, type);
	fops = uffd_shim_type_fops(type);
	KUNIT_EXPECT_PTR_NE(test, fops, &uffd_kunit_fops);
	KUNIT_EXPECT_PTR_EQ(test, fops->owner, THIS_MODULE);
	KUNIT_EXPECT_NOT_NULL(test, shim_mmap_hook(fops));
	uffd_shim_unregister(type);
	uffd_shim_unregister(NULL);
	uffd_shim_unregister(ERR_PTR(-EINVAL));
}

static struct inode *no_inode(struct super_block *sb, const struct inode *dir,
			      umode_t mode)
{
	return NULL;
}

static void dir_iops_only_for_types_with_new_inode(struct kunit *test)
{
	struct uffd_shim_ops ops = uffd_kunit_ops;
	struct uffd_shim_type *type;
	const struct inode_operations *iops;

	KUNIT_EXPECT_NULL(test, uffd_shim_type_dir_iops(uffd_kunit_type));
	ops.new_inode = no_inode;
	type = uffd_shim_register(&ops);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, type);
	iops = uffd_shim_type_dir_iops(type);
	KUNIT_EXPECT_NOT_NULL(test, iops);
	KUNIT_EXPECT_NOT_NULL(test, iops->create);
	KUNIT_EXPECT_NOT_NULL(test, iops->mkdir);
	KUNIT_EXPECT_TRUE(test, iops->lookup == simple_lookup);
	uffd_shim_unregister(type);
}

/*
 * A driver built against API 1 has a shorter table: the shim must not read
 * past it. The table sits at the end of an allocation of exactly its size,
 * so KASAN (make test SANITIZE=1) reports any read of a later field.
 */
static void register_reads_no_field_beyond_a_v1_table(struct kunit *test)
{
	size_t v1_size = offsetofend(struct uffd_shim_ops, new_inode);
	struct uffd_shim_ops *ops = kunit_kmalloc(test, v1_size, GFP_KERNEL);
	struct uffd_shim_type *type;

	KUNIT_ASSERT_NOT_NULL(test, ops);
	memcpy(ops, &uffd_kunit_ops, v1_size);
	ops->api_version = 1;
	type = uffd_shim_register(ops);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, type);
	uffd_shim_unregister(type);
}

/* Without KASAN: later fields full of garbage must not matter to API 1. */
static void register_ignores_later_fields_of_a_v1_table(struct kunit *test)
{
	size_t v1_size = offsetofend(struct uffd_shim_ops, new_inode);
	struct uffd_shim_ops ops;
	struct uffd_shim_type *type;

	memset(&ops, 0xff, sizeof(ops));	/* unknown flags, bogus free_folio */
	memcpy(&ops, &uffd_kunit_ops, v1_size);
	ops.api_version = 1;
	type = uffd_shim_register(&ops);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, type);
	uffd_shim_unregister(type);
}

/*
 * Built in, THIS_MODULE is NULL and would prove nothing: a stand-in owner,
 * never dereferenced, as the file system is never mounted.
 */
static struct module kunit_ram_owner;

static struct file_system_type kunit_ram_fs = {
	.owner = &kunit_ram_owner,
	.name = "uffd_shim_kunit_ram",
};

static struct file_system_type kunit_ram_fs_probe = {
	.owner = THIS_MODULE,
	.name = "uffd_shim_kunit_ram",
};

static struct uffd_shim_type *register_ram_type(struct kunit *test)
{
	struct uffd_shim_ops ops = uffd_kunit_ops;
	struct uffd_shim_type *type;

	ops.fops = NULL;
	type = uffd_shim_register(&ops);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, type);
	return type;
}

static void register_fs_refuses_types_with_own_vfs_hooks(struct kunit *test)
{
	struct uffd_shim_ops ops = uffd_kunit_ops;

	/* uffd_kunit_type brings its own fops. */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			uffd_shim_register_fs(uffd_kunit_type, &kunit_ram_fs));

	/* NULL fops means RAM-fs files, whose inodes the shim makes. */
	ops.fops = NULL;
	ops.new_inode = no_inode;
	KUNIT_EXPECT_EQ(test, PTR_ERR(uffd_shim_register(&ops)), -EINVAL);
}

static void register_fs_twice_is_ebusy(struct kunit *test)
{
	struct uffd_shim_type *type = register_ram_type(test);

	KUNIT_ASSERT_EQ(test, 0, uffd_shim_register_fs(type, &kunit_ram_fs));
	KUNIT_EXPECT_EQ(test, -EBUSY, uffd_shim_register_fs(type, &kunit_ram_fs));
	uffd_shim_unregister(type);
}

/* A second type cannot take (and on failure must not drop) the first's fs. */
static void register_fs_of_an_fs_type_in_use_is_ebusy(struct kunit *test)
{
	struct uffd_shim_type *first = register_ram_type(test);
	struct uffd_shim_type *second = register_ram_type(test);

	KUNIT_ASSERT_EQ(test, 0, uffd_shim_register_fs(first, &kunit_ram_fs));
	KUNIT_EXPECT_EQ(test, -EBUSY, uffd_shim_register_fs(second, &kunit_ram_fs));
	KUNIT_EXPECT_EQ(test, -EBUSY, register_filesystem(&kunit_ram_fs_probe));
	uffd_shim_unregister(second);
	uffd_shim_unregister(first);
}

/* The name is taken while the type is registered and free after. */
static void register_fs_registers_until_unregister(struct kunit *test)
{
	struct uffd_shim_type *type = register_ram_type(test);

	KUNIT_ASSERT_EQ(test, 0, uffd_shim_register_fs(type, &kunit_ram_fs));
	KUNIT_EXPECT_NOT_NULL(test, uffd_shim_type_dir_iops(type));
	KUNIT_EXPECT_EQ(test, -EBUSY, register_filesystem(&kunit_ram_fs_probe));
	uffd_shim_unregister(type);
	KUNIT_EXPECT_EQ(test, 0, register_filesystem(&kunit_ram_fs_probe));
	unregister_filesystem(&kunit_ram_fs_probe);
}

static void ram_type_files_take_the_fs_owner_and_ram_fops(struct kunit *test)
{
	struct uffd_shim_type *type = register_ram_type(test);
	const struct file_operations *fops = uffd_shim_type_fops(type);

	KUNIT_ASSERT_EQ(test, 0, uffd_shim_register_fs(type, &kunit_ram_fs));
	KUNIT_EXPECT_PTR_EQ(test, fops->owner, &kunit_ram_owner);
	KUNIT_EXPECT_NOT_NULL(test, fops->read_iter);
	KUNIT_EXPECT_NOT_NULL(test, fops->write_iter);
	KUNIT_EXPECT_NOT_NULL(test, fops->fallocate);
	KUNIT_EXPECT_NOT_NULL(test, shim_mmap_hook(fops));
	uffd_shim_unregister(type);
}

static void file_and_vma_type_lookup(struct kunit *test)
{
	struct file *file;
	unsigned long addr;
	struct vm_area_struct *vma = uffd_kunit_vma(test, &file, &addr);

	KUNIT_EXPECT_PTR_EQ(test, uffd_shim_file_type(file), uffd_kunit_type);
	KUNIT_EXPECT_PTR_EQ(test, uffd_shim_vma_type(vma), uffd_kunit_type);
	KUNIT_EXPECT_NULL(test, uffd_shim_file_type(NULL));
	KUNIT_EXPECT_EQ(test, uffd_shim_vma_pgoff(vma, addr + 2 * PAGE_SIZE), 2UL);
#ifdef CONFIG_UFFD_SHIM_NATIVE
	KUNIT_EXPECT_NOT_NULL(test, vma->vm_ops->uffd_ops);
#endif
}

#ifdef CONFIG_UFFD_SHIM_NATIVE
static void can_userfault_allows_declared_modes_only(struct kunit *test)
{
	unsigned long addr;
	struct vm_area_struct *vma = uffd_kunit_vma(test, NULL, &addr);
	const struct vm_uffd_ops *uops = vma->vm_ops->uffd_ops;

	KUNIT_EXPECT_TRUE(test, uops->can_userfault(vma, VM_UFFD_MISSING));
	KUNIT_EXPECT_TRUE(test, uops->can_userfault(vma, VM_UFFD_MINOR));
	KUNIT_EXPECT_FALSE(test, uops->can_userfault(vma, VM_UFFD_WP));
	KUNIT_EXPECT_FALSE(test, uops->can_userfault(vma, VM_UFFD_MISSING | VM_UFFD_WP));
}
#else
static void can_userfault_allows_declared_modes_only(struct kunit *test)
{
	kunit_skip(test, "no vm_uffd_ops: the kernel does not ask the type");
}
#endif

/* --- folio operations --- */

static void folio_alloc_returns_unlocked_private_folio(struct kunit *test)
{
	struct folio *folio = uffd_shim_folio_alloc(uffd_kunit_mapping(test, 1));

	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_EXPECT_EQ(test, uffd_shim_folio_refcount(folio), 1);
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_test_locked(folio));
	KUNIT_EXPECT_NULL(test, uffd_shim_folio_mapping(folio));
	KUNIT_EXPECT_EQ(test, uffd_shim_folio_nr_pages(folio), 1UL);
	KUNIT_EXPECT_EQ(test, uffd_shim_folio_size(folio), PAGE_SIZE);
	uffd_shim_folio_put(folio);
}

static void folio_get_put_counts_references(struct kunit *test)
{
	struct folio *folio = uffd_shim_folio_alloc(uffd_kunit_mapping(test, 1));

	KUNIT_ASSERT_NOT_NULL(test, folio);
	uffd_shim_folio_get(folio);
	KUNIT_EXPECT_EQ(test, uffd_shim_folio_refcount(folio), 2);
	uffd_shim_folio_put(folio);
	KUNIT_EXPECT_EQ(test, uffd_shim_folio_refcount(folio), 1);
	uffd_shim_folio_put(folio);
}

static void folio_lock_trylock_unlock(struct kunit *test)
{
	struct folio *folio = uffd_shim_folio_alloc(uffd_kunit_mapping(test, 1));

	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_EXPECT_TRUE(test, uffd_shim_folio_trylock(folio));
	KUNIT_EXPECT_TRUE(test, uffd_shim_folio_test_locked(folio));
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_trylock(folio));
	uffd_shim_folio_unlock(folio);
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_test_locked(folio));
	uffd_shim_folio_lock(folio);
	KUNIT_EXPECT_TRUE(test, uffd_shim_folio_test_locked(folio));
	uffd_shim_folio_unlock(folio);
	uffd_shim_folio_put(folio);
}

static void folio_uptodate_and_dirty_flags(struct kunit *test)
{
	struct folio *folio = uffd_shim_folio_alloc(NULL);

	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_test_uptodate(folio));
	uffd_shim_folio_mark_uptodate(folio);
	KUNIT_EXPECT_TRUE(test, uffd_shim_folio_test_uptodate(folio));
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_test_hwpoison(folio));
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_test_dirty(folio));
	KUNIT_EXPECT_TRUE(test, uffd_shim_folio_mark_dirty(folio));
	KUNIT_EXPECT_TRUE(test, uffd_shim_folio_test_dirty(folio));
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_mark_dirty(folio));
	uffd_shim_folio_put(folio);
}

/* Its data is nowhere else: neither reclaim nor drop_caches may drop it. */
static void filemap_add_leaves_the_folio_dirty(struct kunit *test)
{
	struct address_space *mapping = uffd_kunit_mapping(test, 1);
	struct folio *folio = uffd_kunit_added_folio(test, mapping, 0);

	KUNIT_EXPECT_TRUE(test, uffd_shim_folio_test_dirty(folio));
	uffd_shim_folio_unlock(folio);
	uffd_shim_folio_put(folio);
}

static void folio_write_read_roundtrip_and_zero(struct kunit *test)
{
	struct folio *folio = uffd_shim_folio_alloc(uffd_kunit_mapping(test, 1));
	char in[16] = "uffd-shim bytes", out[16] = {};

	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_EXPECT_EQ(test, 0, uffd_shim_folio_write(folio, 100, in, sizeof(in)));
	KUNIT_EXPECT_EQ(test, 0, uffd_shim_folio_read(folio, 100, out, sizeof(out)));
	KUNIT_EXPECT_MEMEQ(test, in, out, sizeof(in));
	uffd_shim_folio_zero(folio);
	KUNIT_EXPECT_EQ(test, 0, uffd_shim_folio_read(folio, 100, out, sizeof(out)));
	KUNIT_EXPECT_TRUE(test, !memchr_inv(out, 0, sizeof(out)));
	uffd_shim_folio_put(folio);
}

static void folio_write_read_reject_out_of_range(struct kunit *test)
{
	struct folio *folio = uffd_shim_folio_alloc(uffd_kunit_mapping(test, 1));
	char buf[8];

	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			uffd_shim_folio_write(folio, PAGE_SIZE - 4, buf, sizeof(buf)));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			uffd_shim_folio_read(folio, PAGE_SIZE + 1, buf, 0));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			uffd_shim_folio_read(folio, 8, buf, SIZE_MAX));
	uffd_shim_folio_put(folio);
}

static void folio_write_read_of_nothing_at_the_end_is_ok(struct kunit *test)
{
	struct folio *folio = uffd_shim_folio_alloc(uffd_kunit_mapping(test, 1));
	char buf[1];

	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_EXPECT_EQ(test, 0, uffd_shim_folio_write(folio, PAGE_SIZE, buf, 0));
	KUNIT_EXPECT_EQ(test, 0, uffd_shim_folio_read(folio, PAGE_SIZE, buf, 0));
	uffd_shim_folio_put(folio);
}

static void folio_alloc_without_mapping_gives_a_private_folio(struct kunit *test)
{
	struct folio *folio = uffd_shim_folio_alloc(NULL);

	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_EXPECT_EQ(test, 1, uffd_shim_folio_refcount(folio));
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_test_locked(folio));
	KUNIT_EXPECT_NULL(test, uffd_shim_folio_mapping(folio));
	uffd_shim_folio_put(folio);
}

static void folio_copy_from_user_copies_and_faults(struct kunit *test)
{
	struct folio *folio = uffd_shim_folio_alloc(uffd_kunit_mapping(test, 1));
	static const char msg[] = "from user space";
	char out[sizeof(msg)];
	const void __user *src;
	unsigned long uaddr;

	KUNIT_ASSERT_NOT_NULL(test, folio);
	uaddr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			      MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(uaddr));
	KUNIT_ASSERT_EQ(test, 0UL, copy_to_user((void __user *)uaddr, msg, sizeof(msg)));

	src = (const void __user *)uaddr;
	KUNIT_EXPECT_EQ(test, 0,
			uffd_shim_folio_copy_from_user(folio, 10, src, sizeof(msg)));
	KUNIT_EXPECT_EQ(test, 0, uffd_shim_folio_read(folio, 10, out, sizeof(out)));
	KUNIT_EXPECT_STREQ(test, out, msg);

	/* The second page of the source is not mapped. */
	KUNIT_EXPECT_EQ(test, -EFAULT,
			uffd_shim_folio_copy_from_user(folio, 0, src + PAGE_SIZE - 8, 16));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			uffd_shim_folio_copy_from_user(folio, 1, src, PAGE_SIZE));
	uffd_shim_folio_put(folio);
}

static void folio_alloc_vma_charges_for_the_vma(struct kunit *test)
{
	unsigned long addr;
	struct vm_area_struct *vma = uffd_kunit_vma(test, NULL, &addr);
	struct folio *folio = uffd_shim_folio_alloc_vma(vma, addr);

	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_EXPECT_EQ(test, uffd_shim_folio_refcount(folio), 1);
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_test_locked(folio));
#ifdef CONFIG_MEMCG	/* before 7.1 no stub without it */
	KUNIT_EXPECT_EQ(test, folio_memcg_charged(folio), !mem_cgroup_disabled());
#endif
	uffd_shim_folio_put(folio);
}

/* --- page cache --- */

static void filemap_add_inserts_locked_at_index(struct kunit *test)
{
	struct address_space *mapping = uffd_kunit_mapping(test, TEST_PAGES);
	struct folio *folio = uffd_kunit_added_folio(test, mapping, 3);

	KUNIT_EXPECT_TRUE(test, uffd_shim_folio_test_locked(folio));
	KUNIT_EXPECT_PTR_EQ(test, uffd_shim_folio_mapping(folio), mapping);
	KUNIT_EXPECT_EQ(test, uffd_shim_folio_index(folio), 3UL);
	KUNIT_EXPECT_EQ(test, mapping->nrpages, 1UL);
	/* Our reference plus the page cache's, once the LRU batch let go. */
	lru_add_drain_all();
	KUNIT_EXPECT_EQ(test, uffd_shim_folio_refcount(folio), 2);
	uffd_shim_folio_unlock(folio);
	uffd_shim_folio_put(folio);
}

static void filemap_add_twice_is_eexist(struct kunit *test)
{
	struct address_space *mapping = uffd_kunit_mapping(test, TEST_PAGES);
	struct folio *first = uffd_kunit_added_folio(test, mapping, 1);
	struct folio *second = uffd_shim_folio_alloc(mapping);

	KUNIT_ASSERT_NOT_NULL(test, second);
	uffd_shim_folio_mark_uptodate(second);
	KUNIT_EXPECT_EQ(test, -EEXIST, uffd_shim_filemap_add_folio(mapping, second, 1));
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_test_locked(second));
	KUNIT_EXPECT_NULL(test, uffd_shim_folio_mapping(second));
	KUNIT_EXPECT_EQ(test, mapping->nrpages, 1UL);
	uffd_shim_folio_put(second);
	uffd_shim_folio_unlock(first);
	uffd_shim_folio_put(first);
}

static void filemap_add_beyond_eof_is_allowed_for_writers(struct kunit *test)
{
	struct address_space *mapping = uffd_kunit_mapping(test, 2);
	struct folio *folio = uffd_kunit_added_folio(test, mapping, 5);

	KUNIT_EXPECT_EQ(test, uffd_shim_folio_index(folio), 5UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 0L);
	uffd_shim_folio_unlock(folio);
	uffd_shim_folio_put(folio);
}

static void filemap_get_and_lock_find_present_folio(struct kunit *test)
{
	struct address_space *mapping = uffd_kunit_mapping(test, TEST_PAGES);
	struct folio *folio = uffd_kunit_added_folio(test, mapping, 2);
	struct folio *found;

	uffd_shim_folio_unlock(folio);
	found = uffd_shim_filemap_lookup(mapping, 2);
	KUNIT_EXPECT_PTR_EQ(test, found, folio);
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_test_locked(found));
	uffd_shim_folio_put(found);

	found = uffd_shim_filemap_lookup_locked(mapping, 2);
	KUNIT_EXPECT_PTR_EQ(test, found, folio);
	KUNIT_EXPECT_TRUE(test, uffd_shim_folio_test_locked(found));
	uffd_shim_folio_unlock(found);
	uffd_shim_folio_put(found);
	uffd_shim_folio_put(folio);
}

/* As filemap_get_folio() since 6.3: mm's convention, not its inverse. */
static void filemap_lookup_of_hole_is_enoent(struct kunit *test)
{
	struct address_space *mapping = uffd_kunit_mapping(test, TEST_PAGES);

	KUNIT_EXPECT_PTR_EQ(test, uffd_shim_filemap_lookup(mapping, 0),
			    ERR_PTR(-ENOENT));
	KUNIT_EXPECT_PTR_EQ(test, uffd_shim_filemap_lookup_locked(mapping, 0),
			    ERR_PTR(-ENOENT));
	KUNIT_EXPECT_PTR_EQ(test, uffd_shim_filemap_lookup(mapping, ULONG_MAX),
			    ERR_PTR(-ENOENT));
}

static void filemap_lookup_after_truncate_is_enoent(struct kunit *test)
{
	struct address_space *mapping = uffd_kunit_mapping(test, TEST_PAGES);
	struct folio *folio = uffd_kunit_added_folio(test, mapping, 3);

	uffd_shim_folio_unlock(folio);
	truncate_setsize(mapping->host, PAGE_SIZE);
	KUNIT_EXPECT_NULL(test, uffd_shim_folio_mapping(folio));
	KUNIT_EXPECT_PTR_EQ(test, uffd_shim_filemap_lookup_locked(mapping, 3),
			    ERR_PTR(-ENOENT));
	KUNIT_EXPECT_EQ(test, mapping->nrpages, 0UL);
	uffd_shim_folio_put(folio);
}

static void filemap_remove_undoes_add(struct kunit *test)
{
	struct address_space *mapping = uffd_kunit_mapping(test, TEST_PAGES);
	struct folio *folio = uffd_kunit_added_folio(test, mapping, 0);

	lru_add_drain_all();
	KUNIT_EXPECT_EQ(test, 0, uffd_shim_filemap_remove_folio(folio));
	KUNIT_EXPECT_NULL(test, uffd_shim_folio_mapping(folio));
	KUNIT_EXPECT_TRUE(test, uffd_shim_folio_test_locked(folio));
	KUNIT_EXPECT_EQ(test, mapping->nrpages, 0UL);
	KUNIT_EXPECT_EQ(test, uffd_shim_folio_refcount(folio), 1);
	KUNIT_EXPECT_PTR_EQ(test, uffd_shim_filemap_lookup(mapping, 0),
			    ERR_PTR(-ENOENT));
	uffd_shim_folio_unlock(folio);
	uffd_shim_folio_put(folio);
}

static void filemap_remove_of_folio_not_in_cache_is_einval(struct kunit *test)
{
	struct folio *folio = uffd_shim_folio_alloc(uffd_kunit_mapping(test, 1));

	KUNIT_ASSERT_NOT_NULL(test, folio);
	uffd_shim_folio_lock(folio);
	/* Warns once: removing a folio the mapping does not own is a driver bug. */
	KUNIT_EXPECT_EQ(test, -EINVAL, uffd_shim_filemap_remove_folio(folio));
	uffd_shim_folio_unlock(folio);
	uffd_shim_folio_put(folio);
}

/* --- default callbacks --- */

static void default_get_folio_noalloc_returns_locked_folio(struct kunit *test)
{
	struct address_space *mapping = uffd_kunit_mapping(test, TEST_PAGES);
	struct folio *folio = uffd_kunit_added_folio(test, mapping, 1);
	struct folio *found;

	uffd_shim_folio_unlock(folio);
	found = uffd_shim_default_get_folio_noalloc(mapping->host, 1);
	KUNIT_ASSERT_PTR_EQ(test, found, folio);
	KUNIT_EXPECT_TRUE(test, uffd_shim_folio_test_locked(found));
	uffd_shim_folio_unlock(found);
	uffd_shim_folio_put(found);
	uffd_shim_folio_put(folio);
}

static void default_get_folio_noalloc_on_hole_is_enoent(struct kunit *test)
{
	struct address_space *mapping = uffd_kunit_mapping(test, TEST_PAGES);

	KUNIT_EXPECT_EQ(test, -ENOENT,
			PTR_ERR(uffd_shim_default_get_folio_noalloc(mapping->host, 0)));
	KUNIT_EXPECT_EQ(test, -ENOENT,
			PTR_ERR(uffd_shim_default_get_folio_noalloc(mapping->host,
								    TEST_PAGES)));
}

static void default_get_folio_noalloc_on_truncated_folio_is_enoent(struct kunit *test)
{
	struct address_space *mapping = uffd_kunit_mapping(test, TEST_PAGES);
	struct folio *folio = uffd_kunit_added_folio(test, mapping, 2);

	uffd_shim_folio_unlock(folio);
	truncate_setsize(mapping->host, 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, -ENOENT,
			PTR_ERR(uffd_shim_default_get_folio_noalloc(mapping->host, 2)));
	/* Regrown: the old folio must not come back. */
	truncate_setsize(mapping->host, TEST_PAGES * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, -ENOENT,
			PTR_ERR(uffd_shim_default_get_folio_noalloc(mapping->host, 2)));
	uffd_shim_folio_put(folio);
}

/* Added behind the shim's back, which refuses a folio that is not uptodate. */
static void default_get_folio_noalloc_on_stale_folio_is_eio(struct kunit *test)
{
	struct address_space *mapping = uffd_kunit_mapping(test, TEST_PAGES);
	struct folio *folio = folio_alloc(GFP_KERNEL, 0);

	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_ASSERT_EQ(test, 0, filemap_add_folio(mapping, folio, 0, GFP_KERNEL));
	uffd_shim_folio_unlock(folio);
	KUNIT_EXPECT_EQ(test, -EIO,
			PTR_ERR(uffd_shim_default_get_folio_noalloc(mapping->host, 0)));
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_test_locked(folio));
	uffd_shim_folio_put(folio);
}

static void default_filemap_add_accounts_and_remove_reaches_free_folio(struct kunit *test)
{
	unsigned long addr;
	struct vm_area_struct *vma = uffd_kunit_vma(test, NULL, &addr);
	struct folio *folio = uffd_shim_default_alloc_folio(vma, addr + PAGE_SIZE);

	KUNIT_ASSERT_NOT_NULL(test, folio);
	uffd_shim_folio_zero(folio);	/* as UFFDIO_ZEROPAGE does */
	uffd_shim_folio_mark_uptodate(folio);
	KUNIT_ASSERT_EQ(test, 0, uffd_shim_default_filemap_add(folio, vma, addr + PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 1L);
	KUNIT_EXPECT_EQ(test, uffd_shim_folio_index(folio), 1UL);
	KUNIT_EXPECT_TRUE(test, uffd_shim_folio_test_locked(folio));

	uffd_shim_default_filemap_remove(folio, vma);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 0L);
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_test_locked(folio));
	KUNIT_EXPECT_NULL(test, uffd_shim_folio_mapping(folio));
	uffd_shim_folio_put(folio);
}

static void default_filemap_add_refused_by_account_is_enospc(struct kunit *test)
{
	unsigned long addr;
	struct vm_area_struct *vma = uffd_kunit_vma(test, NULL, &addr);
	struct folio *folio = uffd_shim_default_alloc_folio(vma, addr);

	KUNIT_ASSERT_NOT_NULL(test, folio);
	uffd_kunit_account_limit = 0;
	KUNIT_EXPECT_EQ(test, -ENOSPC, uffd_shim_default_filemap_add(folio, vma, addr));
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_test_locked(folio));
	KUNIT_EXPECT_EQ(test, vma->vm_file->f_mapping->nrpages, 0UL);
	uffd_shim_folio_put(folio);
}

static void default_filemap_add_beyond_eof_is_efault(struct kunit *test)
{
	struct file *file;
	unsigned long addr;
	struct vm_area_struct *vma = uffd_kunit_vma(test, &file, &addr);
	struct folio *folio = uffd_shim_default_alloc_folio(vma, addr + PAGE_SIZE);

	KUNIT_ASSERT_NOT_NULL(test, folio);
	truncate_setsize(file_inode(file), PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, -EFAULT,
			uffd_shim_default_filemap_add(folio, vma, addr + PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, file->f_mapping->nrpages, 0UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 0L);
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_test_locked(folio));
	uffd_shim_folio_put(folio);
}

static void default_filemap_add_failure_leaves_nothing_accounted(struct kunit *test)
{
	unsigned long addr;
	struct vm_area_struct *vma = uffd_kunit_vma(test, NULL, &addr);
	struct folio *first = uffd_shim_default_alloc_folio(vma, addr);
	struct folio *second = uffd_shim_default_alloc_folio(vma, addr);

	KUNIT_ASSERT_NOT_NULL(test, first);
	KUNIT_ASSERT_NOT_NULL(test, second);
	uffd_shim_folio_zero(first);
	uffd_shim_folio_mark_uptodate(first);
	uffd_shim_folio_zero(second);
	uffd_shim_folio_mark_uptodate(second);
	KUNIT_ASSERT_EQ(test, 0, uffd_shim_default_filemap_add(first, vma, addr));
	KUNIT_EXPECT_EQ(test, -EEXIST, uffd_shim_default_filemap_add(second, vma, addr));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 1L);
	uffd_shim_folio_unlock(first);
	uffd_shim_folio_put(first);
	uffd_shim_folio_put(second);
}

/* --- fault path --- */

static void fault_on_hole_fills_zeroed_accounted_page(struct kunit *test)
{
	struct file *file;
	unsigned long addr;
	char byte = 1;
	struct folio *folio;

	uffd_kunit_vma(test, &file, &addr);
	/* A real fault through uffd_shim_fault(): the VMA is not registered. */
	KUNIT_ASSERT_EQ(test, 0UL, copy_from_user(&byte, (void __user *)addr + 5, 1));
	KUNIT_EXPECT_EQ(test, byte, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 1L);
	KUNIT_EXPECT_EQ(test, file->f_mapping->nrpages, 1UL);

	KUNIT_ASSERT_EQ(test, 0UL, copy_to_user((void __user *)addr + PAGE_SIZE, "hi", 2));
	folio = uffd_shim_filemap_lookup(file->f_mapping, 1);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, folio);
	KUNIT_EXPECT_EQ(test, 0, uffd_shim_folio_read(folio, 0, &byte, 1));
	KUNIT_EXPECT_EQ(test, byte, 'h');
	uffd_shim_folio_put(folio);
}

static void fault_maps_page_already_in_cache(struct kunit *test)
{
	struct file *file;
	unsigned long addr;
	struct folio *folio;
	char out[4] = {};

	uffd_kunit_vma(test, &file, &addr);
	folio = uffd_kunit_added_folio(test, file->f_mapping, 2);
	uffd_shim_folio_write(folio, 0, "abc", 4);
	uffd_shim_folio_unlock(folio);
	KUNIT_ASSERT_EQ(test, 0UL, copy_from_user(out, (void __user *)addr + 2 * PAGE_SIZE, 4));
	KUNIT_EXPECT_STREQ(test, out, "abc");
	KUNIT_EXPECT_EQ(test, atomic_long_read(&uffd_kunit_accounted), 0L);
	uffd_shim_folio_put(folio);
}

static void fault_beyond_eof_is_sigbus(struct kunit *test)
{
	struct file *file;
	unsigned long addr;
	char byte;

	uffd_kunit_vma(test, &file, &addr);
	truncate_setsize(file_inode(file), PAGE_SIZE);
	KUNIT_EXPECT_NE(test, 0UL, copy_from_user(&byte, (void __user *)addr + PAGE_SIZE, 1));
	KUNIT_EXPECT_EQ(test, file->f_mapping->nrpages, 0UL);
}

static void fault_refused_by_account_is_sigbus(struct kunit *test)
{
	struct file *file;
	unsigned long addr;
	char byte;

	uffd_kunit_vma(test, &file, &addr);
	uffd_kunit_account_limit = 0;
	KUNIT_EXPECT_NE(test, 0UL, copy_from_user(&byte, (void __user *)addr, 1));
	KUNIT_EXPECT_EQ(test, file->f_mapping->nrpages, 0UL);
}

static void unregistered_vma_wants_no_userfault(struct kunit *test)
{
	unsigned long addr;
	struct vm_area_struct *vma = uffd_kunit_vma(test, NULL, &addr);

	KUNIT_EXPECT_FALSE(test, uffd_shim_vma_wants_missing(vma));
	KUNIT_EXPECT_FALSE(test, uffd_shim_vma_wants_minor(vma));
}

static void handle_userfault_on_unregistered_vma_is_sigbus(struct kunit *test)
{
	unsigned long addr;
	struct vm_area_struct *vma = uffd_kunit_vma(test, NULL, &addr);
	struct vm_fault vmf = { .vma = vma, .address = addr };

	/* Each warns once: calling them without registration is a driver bug. */
	KUNIT_EXPECT_TRUE(test, uffd_shim_handle_missing(&vmf) == VM_FAULT_SIGBUS);
	KUNIT_EXPECT_TRUE(test, uffd_shim_handle_minor(&vmf) == VM_FAULT_SIGBUS);
}

static struct kunit_case uffd_shim_api_cases[] = {
	KUNIT_CASE(api_version_matches_header),
	KUNIT_CASE(features_report_the_backend_of_this_kernel),
	KUNIT_CASE(features_report_modes),
	KUNIT_CASE(native_only_type_registers_only_with_the_native_backend),
	KUNIT_CASE(register_rejects_null_ops),
	KUNIT_CASE(register_rejects_unknown_flags),
	KUNIT_CASE(register_rejects_bad_tables),
	KUNIT_CASE(register_copies_template_and_adds_mmap),
	KUNIT_CASE(dir_iops_only_for_types_with_new_inode),
	KUNIT_CASE(register_reads_no_field_beyond_a_v1_table),
	KUNIT_CASE(register_ignores_later_fields_of_a_v1_table),
	KUNIT_CASE(register_fs_refuses_types_with_own_vfs_hooks),
	KUNIT_CASE(register_fs_twice_is_ebusy),
	KUNIT_CASE(register_fs_of_an_fs_type_in_use_is_ebusy),
	KUNIT_CASE(register_fs_registers_until_unregister),
	KUNIT_CASE(ram_type_files_take_the_fs_owner_and_ram_fops),
	KUNIT_CASE(file_and_vma_type_lookup),
	KUNIT_CASE(can_userfault_allows_declared_modes_only),
	KUNIT_CASE(folio_alloc_returns_unlocked_private_folio),
	KUNIT_CASE(folio_get_put_counts_references),
	KUNIT_CASE(folio_lock_trylock_unlock),
	KUNIT_CASE(folio_uptodate_and_dirty_flags),
	KUNIT_CASE(filemap_add_leaves_the_folio_dirty),
	KUNIT_CASE(folio_write_read_roundtrip_and_zero),
	KUNIT_CASE(folio_write_read_reject_out_of_range),
	KUNIT_CASE(folio_write_read_of_nothing_at_the_end_is_ok),
	KUNIT_CASE(folio_alloc_without_mapping_gives_a_private_folio),
	KUNIT_CASE(folio_copy_from_user_copies_and_faults),
	KUNIT_CASE(folio_alloc_vma_charges_for_the_vma),
	KUNIT_CASE(filemap_add_inserts_locked_at_index),
	KUNIT_CASE(filemap_add_twice_is_eexist),
	KUNIT_CASE(filemap_add_beyond_eof_is_allowed_for_writers),
	KUNIT_CASE(filemap_get_and_lock_find_present_folio),
	KUNIT_CASE(filemap_lookup_of_hole_is_enoent),
	KUNIT_CASE(filemap_lookup_after_truncate_is_enoent),
	KUNIT_CASE(filemap_remove_undoes_add),
	KUNIT_CASE(filemap_remove_of_folio_not_in_cache_is_einval),
	KUNIT_CASE(default_get_folio_noalloc_returns_locked_folio),
	KUNIT_CASE(default_get_folio_noalloc_on_hole_is_enoent),
	KUNIT_CASE(default_get_folio_noalloc_on_truncated_folio_is_enoent),
	KUNIT_CASE(default_get_folio_noalloc_on_stale_folio_is_eio),
	KUNIT_CASE(default_filemap_add_accounts_and_remove_reaches_free_folio),
	KUNIT_CASE(default_filemap_add_refused_by_account_is_enospc),
	KUNIT_CASE(default_filemap_add_beyond_eof_is_efault),
	KUNIT_CASE(default_filemap_add_failure_leaves_nothing_accounted),
	KUNIT_CASE(fault_on_hole_fills_zeroed_accounted_page),
	KUNIT_CASE(fault_maps_page_already_in_cache),
	KUNIT_CASE(fault_beyond_eof_is_sigbus),
	KUNIT_CASE(fault_refused_by_account_is_sigbus),
	KUNIT_CASE(unregistered_vma_wants_no_userfault),
	KUNIT_CASE(handle_userfault_on_unregistered_vma_is_sigbus),
	{}
};

static struct kunit_suite uffd_shim_api_suite = {
	.name = "uffd_shim_api",
	.suite_init = uffd_kunit_suite_init,
	.suite_exit = uffd_kunit_suite_exit,
	.init = uffd_kunit_case_init,
	.test_cases = uffd_shim_api_cases,
};

kunit_test_suites(&uffd_shim_api_suite);
