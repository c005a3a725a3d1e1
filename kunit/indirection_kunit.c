// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite: what the shim's indirection costs. The vm_uffd_ops the
 * kernel calls for a shim file (the type's callbacks or the shim's
 * defaults, with their EOF, state and accounting checks) against the bare
 * page-cache operations called directly. Each case checks that both ways
 * have the same outcome (the same folio found; a hole and balanced
 * accounting left behind), and reports nanoseconds per operation and their
 * ratio in a KTAP diagnostic line, which `make bench` collects. Timings
 * assert nothing: a loaded or emulated machine would make them flaky.
 */

#include <linux/ktime.h>

#include "fixture.h"

#define BENCH_PAGES	TEST_PAGES	/* what uffd_kunit_vma_of() maps */
#define BENCH_OPS	2000	/* per timed round */
#define BENCH_ROUNDS	5	/* the fastest round counts: least disturbed */

#ifdef CONFIG_UFFD_SHIM_NATIVE

/* A shared mapping of a RAM-fs file whose first @present pages are present. */
static struct vm_area_struct *bench_vma(struct kunit *test, int present,
					unsigned long *addrp)
{
	struct file *file = uffd_kunit_ram_file(test, BENCH_PAGES);
	static const char page[PAGE_SIZE];
	loff_t pos = 0;

	for (int i = 0; i < present; i++)
		KUNIT_ASSERT_EQ(test, (ssize_t)PAGE_SIZE,
				kernel_write(file, page, PAGE_SIZE, &pos));
	return uffd_kunit_vma_of(test, file, MAP_SHARED, addrp);
}

static void report(struct kunit *test, const char *what, u64 shim, u64 direct)
{
	u64 pct = direct ? div64_u64(shim * 100, direct) : 0;

	kunit_info(test, "indirection %s: shim %llu ns/op, direct %llu ns/op, ratio %llu.%02llu\n",
		   what, shim, direct, pct / 100, pct % 100);
}

static void get_folio_noalloc_via_shim_matches_filemap_lock_folio(struct kunit *test)
{
	unsigned long addr;
	struct vm_area_struct *vma = bench_vma(test, BENCH_PAGES, &addr);
	const struct vm_uffd_ops *ops = vma->vm_ops->uffd_ops;
	struct inode *inode = file_inode(vma->vm_file);
	struct address_space *mapping = inode->i_mapping;
	u64 best_shim = U64_MAX, best_direct = U64_MAX;

	for (pgoff_t i = 0; i < BENCH_PAGES; i++) {
		struct folio *a = ops->get_folio_noalloc(inode, i);
		struct folio *b;

		KUNIT_ASSERT_FALSE(test, IS_ERR(a));
		folio_unlock(a);
		b = filemap_lock_folio(mapping, i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(b));
		folio_unlock(b);
		KUNIT_EXPECT_PTR_EQ(test, a, b);
		folio_put(a);
		folio_put(b);
	}

	for (int round = 0; round < BENCH_ROUNDS; round++) {
		u64 t0 = ktime_get_ns(), t1, t2;
		struct folio *folio;

		for (int n = 0; n < BENCH_OPS; n++) {
			folio = ops->get_folio_noalloc(inode, n % BENCH_PAGES);
			folio_unlock(folio);
			folio_put(folio);
		}
		t1 = ktime_get_ns();
		for (int n = 0; n < BENCH_OPS; n++) {
			folio = filemap_lock_folio(mapping, n % BENCH_PAGES);
			folio_unlock(folio);
			folio_put(folio);
		}
		t2 = ktime_get_ns();
		best_shim = min(best_shim, div_u64(t1 - t0, BENCH_OPS));
		best_direct = min(best_direct, div_u64(t2 - t1, BENCH_OPS));
	}
	report(test, "get_folio_noalloc", best_shim, best_direct);
}

/*
 * One UFFDIO_COPY's page-cache work without the copy: alloc_folio,
 * filemap_add, then filemap_remove (the kernel's undo path, used here so
 * the loop can repeat). "Direct" does what the shim does for the type
 * (account, allocate, insert, remove) by plain calls.
 */
static void fill_cycle_via_shim_matches_direct_calls(struct kunit *test)
{
	/* The cycle fills the last page, a hole. */
	unsigned long addr;
	struct vm_area_struct *vma = bench_vma(test, BENCH_PAGES - 1, &addr);
	const struct vm_uffd_ops *ops = vma->vm_ops->uffd_ops;
	struct inode *inode = file_inode(vma->vm_file);
	struct address_space *mapping = inode->i_mapping;
	gfp_t gfp = mapping_gfp_mask(mapping);
	u64 best_shim = U64_MAX, best_direct = U64_MAX;
	const pgoff_t hole = BENCH_PAGES - 1;
	unsigned long dst = addr + hole * PAGE_SIZE;
	long accounted = atomic_long_read(&uffd_kunit_accounted);
	struct folio *folio;

	for (int round = 0; round < BENCH_ROUNDS; round++) {
		u64 t0 = ktime_get_ns(), t1, t2;

		for (int n = 0; n < BENCH_OPS; n++) {
			folio = ops->alloc_folio(vma, dst);
			KUNIT_ASSERT_NOT_NULL(test, folio);
			__folio_mark_uptodate(folio);	/* as mfill does */
			KUNIT_ASSERT_EQ(test, 0, ops->filemap_add(folio, vma, dst));
			ops->filemap_remove(folio, vma);
			folio_put(folio);
		}
		t1 = ktime_get_ns();
		for (int n = 0; n < BENCH_OPS; n++) {
			KUNIT_ASSERT_EQ(test, 0, uffd_kunit_ops.account(inode, 1));
			folio = folio_alloc(gfp, 0);
			KUNIT_ASSERT_NOT_NULL(test, folio);
			KUNIT_ASSERT_EQ(test, 0, filemap_add_folio(mapping, folio, hole, gfp));
			filemap_remove_folio(folio);
			folio_unlock(folio);
			folio_put(folio);
		}
		t2 = ktime_get_ns();
		best_shim = min(best_shim, div_u64(t1 - t0, BENCH_OPS));
		best_direct = min(best_direct, div_u64(t2 - t1, BENCH_OPS));
	}
	/* Both ways leave a hole and give back every page they accounted. */
	folio = filemap_get_folio(mapping, hole);
	KUNIT_EXPECT_TRUE(test, IS_ERR(folio));
	if (!IS_ERR(folio))
		folio_put(folio);
	KUNIT_EXPECT_EQ(test, accounted, atomic_long_read(&uffd_kunit_accounted));
	report(test, "alloc+filemap_add+filemap_remove", best_shim, best_direct);
}

#else	/* !CONFIG_UFFD_SHIM_NATIVE */

static void get_folio_noalloc_via_shim_matches_filemap_lock_folio(struct kunit *test)
{
	kunit_skip(test, "no vm_uffd_ops in this kernel: the shmem fallback has no indirection");
}

static void fill_cycle_via_shim_matches_direct_calls(struct kunit *test)
{
	kunit_skip(test, "no vm_uffd_ops in this kernel: the shmem fallback has no indirection");
}

#endif

static struct kunit_case uffd_shim_indirection_cases[] = {
	KUNIT_CASE(get_folio_noalloc_via_shim_matches_filemap_lock_folio),
	KUNIT_CASE(fill_cycle_via_shim_matches_direct_calls),
	{}
};

static struct kunit_suite uffd_shim_indirection_suite = {
	.name = "uffd_shim_indirection",
	.suite_init = uffd_kunit_suite_init,
	.suite_exit = uffd_kunit_suite_exit,
	.init = uffd_kunit_case_init,
	.test_cases = uffd_shim_indirection_cases,
};

kunit_test_suite(uffd_shim_indirection_suite);
