// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite: what the shim's indirection costs. The vm_uffd_ops the
 * kernel calls for a shim file (the type's callbacks or the shim's
 * defaults, with their EOF, state and accounting checks) against the bare
 * page-cache operations called directly. Each case checks that both ways
 * have the same outcome (the same folio found; a hole and balanced
 * accounting left behind), and reports nanoseconds per operation and their
 * ratio in a KTAP diagnostic line, which `make bench` collects. Two more
 * cases price what some types add on purpose (zeroed allocation, direct-map
 * removal) in "cost" lines, so that the benchmark can account for a type's
 * gap to shmem. Timings assert nothing: a loaded or emulated machine would
 * make them flaky.
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

static void report_cost(struct kunit *test, const char *what, u64 ns)
{
	kunit_info(test, "cost %s: %llu ns/op\n", what, ns);
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
 * the loop can repeat). "Direct" does the same work (account, allocate,
 * insert with the mount's accounting, remove) by plain calls, so the
 * difference is what the indirection adds: the type lookups, the EOF
 * check and the checks of what the callbacks return. A third loop does
 * the bare page-cache calls (filemap_add_folio() and friends), which
 * prices the RAM file system's own work (size= and i_blocks accounting,
 * the insertion checks) apart.
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
	u64 best_shim = U64_MAX, best_direct = U64_MAX, best_bare = U64_MAX;
	const pgoff_t hole = BENCH_PAGES - 1;
	unsigned long dst = addr + hole * PAGE_SIZE;
	long accounted = atomic_long_read(&uffd_kunit_accounted);
	struct folio *folio;

	for (int round = 0; round < BENCH_ROUNDS; round++) {
		u64 t0 = ktime_get_ns(), t1, t2, t3;

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
			__folio_mark_uptodate(folio);
			KUNIT_ASSERT_EQ(test, 0, uffd_shim_filemap_add_folio(mapping, folio, hole));
			KUNIT_ASSERT_EQ(test, 0, uffd_shim_filemap_remove_folio(folio));
			folio_unlock(folio);
			folio_put(folio);
		}
		t2 = ktime_get_ns();
		for (int n = 0; n < BENCH_OPS; n++) {
			KUNIT_ASSERT_EQ(test, 0, uffd_kunit_ops.account(inode, 1));
			folio = folio_alloc(gfp, 0);
			KUNIT_ASSERT_NOT_NULL(test, folio);
			KUNIT_ASSERT_EQ(test, 0, filemap_add_folio(mapping, folio, hole, gfp));
			filemap_remove_folio(folio);
			folio_unlock(folio);
			folio_put(folio);
		}
		t3 = ktime_get_ns();
		best_shim = min(best_shim, div_u64(t1 - t0, BENCH_OPS));
		best_direct = min(best_direct, div_u64(t2 - t1, BENCH_OPS));
		best_bare = min(best_bare, div_u64(t3 - t2, BENCH_OPS));
	}
	/* Both ways leave a hole and give back every page they accounted. */
	folio = filemap_get_folio(mapping, hole);
	KUNIT_EXPECT_TRUE(test, IS_ERR(folio));
	if (!IS_ERR(folio))
		folio_put(folio);
	KUNIT_EXPECT_EQ(test, accounted, atomic_long_read(&uffd_kunit_accounted));
	report(test, "alloc+filemap_add+filemap_remove", best_shim, best_direct);
	report_cost(test, "the RAM fs's accounting and checks over the bare page cache",
		    best_direct > best_bare ? best_direct - best_bare : 0);
}

/*
 * What a folio allocation costs zeroed (a fault on a hole, a partial
 * write) over the default alloc_folio, which leaves the page to the
 * kernel's copy: the price of a type or path that zeroes a page it then
 * overwrites.
 */
static void zeroed_allocation_reads_back_zero(struct kunit *test)
{
	unsigned long addr;
	struct vm_area_struct *vma = bench_vma(test, 0, &addr);
	u64 best_zeroed = U64_MAX, best_plain = U64_MAX;
	struct folio *folio;
	void *kaddr;

	folio = uffd_shim_folio_alloc_vma(vma, addr);
	KUNIT_ASSERT_NOT_NULL(test, folio);
	kaddr = kmap_local_folio(folio, 0);
	KUNIT_EXPECT_NULL(test, memchr_inv(kaddr, 0, PAGE_SIZE));
	kunmap_local(kaddr);
	folio_put(folio);

	for (int round = 0; round < BENCH_ROUNDS; round++) {
		u64 t0 = ktime_get_ns(), t1, t2;

		for (int n = 0; n < BENCH_OPS; n++) {
			folio = uffd_shim_folio_alloc_vma(vma, addr);
			KUNIT_ASSERT_NOT_NULL(test, folio);
			folio_put(folio);
		}
		t1 = ktime_get_ns();
		for (int n = 0; n < BENCH_OPS; n++) {
			folio = uffd_shim_default_alloc_folio(vma, addr);
			KUNIT_ASSERT_NOT_NULL(test, folio);
			folio_put(folio);
		}
		t2 = ktime_get_ns();
		best_zeroed = min(best_zeroed, div_u64(t1 - t0, BENCH_OPS));
		best_plain = min(best_plain, div_u64(t2 - t1, BENCH_OPS));
	}
	report_cost(test, "zeroed allocation over the default",
		    best_zeroed > best_plain ? best_zeroed - best_plain : 0);
}

#define UNMAP_PAGES 64

/*
 * What a NO_DIRECT_MAP type pays per page: taking it out of the direct map
 * (with the kernel TLB flush: on one CPU, no shootdown) as it enters,
 * putting it back as it leaves.
 */
static void direct_map_removal_hides_pages_until_restored(struct kunit *test)
{
	struct folio **folios = kunit_kcalloc(test, UNMAP_PAGES, sizeof(*folios), GFP_KERNEL);
	u64 best_unmap = U64_MAX, best_restore = U64_MAX;
	int n, i, err = 0;
	bool measured;

	KUNIT_ASSERT_NOT_NULL(test, folios);
	for (n = 0; n < UNMAP_PAGES; n++) {
		folios[n] = uffd_shim_folio_alloc(NULL);
		if (!folios[n])
			break;
	}
	KUNIT_EXPECT_EQ(test, UNMAP_PAGES, n);
	for (int round = 0; n == UNMAP_PAGES && !err && round < BENCH_ROUNDS; round++) {
		u64 t0 = ktime_get_ns(), t1, t2;

		for (i = 0; i < n; i++) {
			err = uffd_shim_folio_unmap_direct(folios[i]);
			if (err)
				break;
		}
		t1 = ktime_get_ns();
		for (int j = 0; j < i; j++)
			KUNIT_EXPECT_FALSE(test, uffd_shim_folio_direct_mapped(folios[j]));
		t2 = ktime_get_ns();
		for (int j = 0; j < i; j++)
			uffd_shim_folio_restore_direct(folios[j]);
		best_unmap = min(best_unmap, div_u64(t1 - t0, n));
		best_restore = min(best_restore, div_u64(ktime_get_ns() - t2, n));
		for (int j = 0; j < i; j++)
			KUNIT_EXPECT_TRUE(test, uffd_shim_folio_direct_mapped(folios[j]));
	}
	measured = n == UNMAP_PAGES;
	while (n--)
		folio_put(folios[n]);
	if (err == -EOPNOTSUPP)
		kunit_skip(test, "this kernel cannot change its direct map");
	KUNIT_ASSERT_EQ(test, 0, err);
	if (!measured)
		return;
	report_cost(test, "direct map removal (unmap and TLB flush)", best_unmap);
	report_cost(test, "direct map restore", best_restore);
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

static void zeroed_allocation_reads_back_zero(struct kunit *test)
{
	kunit_skip(test, "no vm_uffd_ops in this kernel: the fallback's copies are shmem's");
}

static void direct_map_removal_hides_pages_until_restored(struct kunit *test)
{
	kunit_skip(test, "no vm_uffd_ops in this kernel: its memory types are shmem's");
}

#endif

static struct kunit_case uffd_shim_indirection_cases[] = {
	KUNIT_CASE(get_folio_noalloc_via_shim_matches_filemap_lock_folio),
	KUNIT_CASE(fill_cycle_via_shim_matches_direct_calls),
	KUNIT_CASE(zeroed_allocation_reads_back_zero),
	KUNIT_CASE(direct_map_removal_hides_pages_until_restored),
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
