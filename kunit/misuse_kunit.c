// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite uffd_shim_misuse: what the shim does when a driver breaks
 * the API's rules or races it. Each case breaks one rule and expects a
 * warning and an errno, never stale memory reaching userspace, a crash,
 * a leak or a use after free.
 */

#include <kunit/static_stub.h>
#include <linux/backing-dev.h>
#include <linux/completion.h>
#include <linux/fs_context.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include "fixture.h"

#define STALE 0xa5

/*
 * A folio put in @mapping at @index behind the shim's back, as a buggy
 * driver would: stale bytes, not uptodate, unlocked; the page cache holds
 * the only reference.
 */
static void add_stale_folio(struct kunit *test, struct address_space *mapping,
			    pgoff_t index)
{
	struct folio *folio = folio_alloc(GFP_KERNEL, 0);

	KUNIT_ASSERT_NOT_NULL(test, folio);
	memset(folio_address(folio), STALE, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, 0, filemap_add_folio(mapping, folio, index,
						   GFP_KERNEL));
	folio_unlock(folio);
	folio_put(folio);
}

static void fault_on_a_folio_not_uptodate_is_sigbus(struct kunit *test)
{
	struct file *file;
	unsigned long addr;
	char byte = 0;

	uffd_kunit_vma(test, &file, &addr);
	add_stale_folio(test, file->f_mapping, 1);
	/* The same mapping faults fine on a hole. */
	KUNIT_ASSERT_EQ(test, 0UL, copy_from_user(&byte, (void __user *)addr, 1));
	byte = 0;
	KUNIT_EXPECT_NE(test, 0UL,
			copy_from_user(&byte, (void __user *)addr + PAGE_SIZE, 1));
	KUNIT_EXPECT_NE(test, byte, (char)STALE);
}

static void ram_read_of_a_folio_not_uptodate_is_eio(struct kunit *test)
{
	struct file *file = uffd_kunit_ram_file(test, 1);
	char buf[16] = {};
	loff_t pos = 0;

	if (uffd_kunit_fallback())
		kunit_skip(test, "the fallback reads from shmem");
	add_stale_folio(test, file->f_mapping, 0);
	KUNIT_EXPECT_EQ(test, -EIO, kernel_read(file, buf, sizeof(buf), &pos));
	KUNIT_EXPECT_NE(test, buf[0], (char)STALE);
}

static bool folio_is_zero(struct folio *folio)
{
	return !memchr_inv(folio_address(folio), 0, PAGE_SIZE);
}

/* Freed pages come back first: allocate what was just dirtied. */
static void folio_alloc_returns_zeroed_memory(struct kunit *test)
{
	struct folio *folios[16];
	int i;

	if (want_init_on_alloc(GFP_KERNEL) || want_init_on_free())
		kunit_skip(test, "init_on_alloc/init_on_free zero every page anyway");

	for (i = 0; i < ARRAY_SIZE(folios); i++) {
		folios[i] = uffd_shim_folio_alloc(NULL);
		KUNIT_ASSERT_NOT_NULL(test, folios[i]);
		memset(folio_address(folios[i]), STALE, PAGE_SIZE);
	}
	for (i = 0; i < ARRAY_SIZE(folios); i++)
		uffd_shim_folio_put(folios[i]);
	for (i = 0; i < ARRAY_SIZE(folios); i++) {
		folios[i] = uffd_shim_folio_alloc(NULL);
		KUNIT_ASSERT_NOT_NULL(test, folios[i]);
	}
	for (i = 0; i < ARRAY_SIZE(folios); i++) {
		KUNIT_EXPECT_TRUE(test, folio_is_zero(folios[i]));
		uffd_shim_folio_put(folios[i]);
	}
}

static void filemap_add_of_a_folio_not_uptodate_is_einval(struct kunit *test)
{
	struct address_space *mapping = uffd_kunit_mapping(test, TEST_PAGES);
	struct folio *folio = uffd_shim_folio_alloc(mapping);

	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_EXPECT_EQ(test, -EINVAL,
			uffd_shim_filemap_add_folio(mapping, folio, 0));
	KUNIT_EXPECT_EQ(test, mapping->nrpages, 0UL);
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_test_locked(folio));
	uffd_shim_folio_put(folio);
}

/* Removed, but the LRU still holds it: adding it again would corrupt the LRU. */
static void filemap_add_of_a_folio_still_on_the_lru_is_einval(struct kunit *test)
{
	struct address_space *mapping = uffd_kunit_mapping(test, TEST_PAGES);
	struct folio *folio = uffd_kunit_added_folio(test, mapping, 0);

	KUNIT_ASSERT_EQ(test, 0, uffd_shim_filemap_remove_folio(folio));
	uffd_shim_folio_unlock(folio);
	lru_add_drain_all();
	KUNIT_ASSERT_TRUE(test, folio_test_lru(folio));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			uffd_shim_filemap_add_folio(mapping, folio, 1));
	KUNIT_EXPECT_EQ(test, mapping->nrpages, 0UL);
	uffd_shim_folio_put(folio);
}

/*
 * Another CPU sets and clears a flag bit of the folio the whole time it is
 * being inserted, as holders of a reference may (reclaim, compaction, GUP,
 * a driver). A non-atomic update of the flags word anywhere on the way in
 * writes back a stale word, and the other CPU sees its own bit go wrong.
 * The window is a few instructions, so this is a race test, not a proof:
 * on the non-atomic __folio_set_locked() it lost 32 updates in 20000
 * rounds under two-vCPU TCG, and none since.
 */
enum { TOGGLER_IDLE, TOGGLER_RUN, TOGGLER_STOP };

struct flag_toggler {
	struct folio *folio;
	atomic_t state;
	unsigned long toggles;
	unsigned long lost;
	int cpu;
};

static void toggle_once(struct flag_toggler *t)
{
	unsigned long *flags = folio_flags(t->folio, 0);

	set_bit(PG_owner_2, flags);
	if (!test_bit(PG_owner_2, flags))
		t->lost++;
	clear_bit(PG_owner_2, flags);
	if (test_bit(PG_owner_2, flags))
		t->lost++;
	WRITE_ONCE(t->toggles, t->toggles + 1);
}

static int toggle_flag(void *data)
{
	struct flag_toggler *t = data;

	t->cpu = raw_smp_processor_id();
	while (!kthread_should_stop()) {
		int state = atomic_read_acquire(&t->state);

		if (state == TOGGLER_RUN) {
			toggle_once(t);
			continue;
		}
		if (state == TOGGLER_STOP)
			atomic_set_release(&t->state, TOGGLER_IDLE);
		cond_resched();
	}
	return 0;
}

/*
 * Inserts @folio at 0 while @t toggles a flag of it, then takes it out.
 * Return: whether the insertion succeeded.
 */
static bool add_under_toggler(struct address_space *mapping,
			      struct folio *folio, struct flag_toggler *t)
{
	unsigned long toggles = READ_ONCE(t->toggles);
	int err;

	t->folio = folio;
	atomic_set_release(&t->state, TOGGLER_RUN);
	while (READ_ONCE(t->toggles) == toggles)
		cpu_relax();
	err = uffd_shim_filemap_add_folio(mapping, folio, 0);
	atomic_set(&t->state, TOGGLER_STOP);
	while (atomic_read_acquire(&t->state) != TOGGLER_IDLE)
		cpu_relax();
	if (!err) {
		uffd_shim_filemap_remove_folio(folio);
		folio_unlock(folio);
	}
	return !err;
}

#define FLAG_ROUNDS 20000

static void filemap_add_loses_no_flag_another_cpu_sets(struct kunit *test)
{
	struct address_space *mapping = uffd_kunit_mapping(test, TEST_PAGES);
	struct flag_toggler t = { .cpu = -1 };
	struct task_struct *thread;
	int cpu, round, added = 0;

	migrate_disable();
	cpu = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());
	if (cpu >= nr_cpu_ids) {
		migrate_enable();
		kunit_skip(test, "one CPU online: a race on one CPU proves nothing");
	}
	thread = kthread_create(toggle_flag, &t, "uffd_kunit_flags");
	if (IS_ERR(thread)) {
		migrate_enable();
		KUNIT_FAIL(test, "kthread_create: %ld", PTR_ERR(thread));
		return;
	}
	kthread_bind(thread, cpu);
	wake_up_process(thread);
	for (round = 0; round < FLAG_ROUNDS; round++) {
		struct folio *folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, 0);

		if (!folio)
			break;
		folio_mark_uptodate(folio);
		added += add_under_toggler(mapping, folio, &t);
		folio_put(folio);
		cond_resched();
	}
	kunit_info(test, "%d rounds, %lu toggles: inserted on CPU %d, toggled on CPU %d; %lu lost",
		   round, t.toggles, raw_smp_processor_id(), t.cpu, t.lost);
	KUNIT_EXPECT_NE(test, t.cpu, raw_smp_processor_id());
	migrate_enable();
	kthread_stop(thread);
	KUNIT_EXPECT_EQ(test, round, FLAG_ROUNDS);
	KUNIT_EXPECT_EQ(test, added, FLAG_ROUNDS);
	KUNIT_EXPECT_EQ(test, t.lost, 0UL);
}

static bool locked_meanwhile;

/* Another task takes the lock in the window, as one may on another CPU. */
static int remove_folio_locked_meanwhile(struct folio *folio)
{
	folio_lock(folio);
	locked_meanwhile = true;
	return -EINVAL;	/* as uffd_shim_filemap_remove_folio() of an unlocked folio */
}

/*
 * filemap_remove is handed a folio its caller did not lock. Whoever takes
 * the lock while the default works keeps it: it is not the caller's to give
 * back.
 */
static void default_filemap_remove_of_an_unlocked_folio_releases_no_lock(struct kunit *test)
{
	unsigned long addr;
	struct vm_area_struct *vma = uffd_kunit_vma(test, NULL, &addr);
	struct address_space *mapping = vma->vm_file->f_mapping;
	struct folio *folio = uffd_kunit_added_folio(test, mapping, 0);

	folio_unlock(folio);
	locked_meanwhile = false;
	kunit_activate_static_stub(test, uffd_shim_filemap_remove_folio,
				   remove_folio_locked_meanwhile);
	uffd_shim_default_filemap_remove(folio, vma);
	kunit_deactivate_static_stub(test, uffd_shim_filemap_remove_folio);
	KUNIT_EXPECT_PTR_EQ(test, uffd_shim_folio_mapping(folio), mapping);
	KUNIT_EXPECT_EQ(test, folio_test_locked(folio), locked_meanwhile);
	if (folio_test_locked(folio))
		folio_unlock(folio);
	folio_put(folio);
}

#ifdef CONFIG_MEMCG
/* As filemap_add_folio(): what enters the page cache is charged. */
static void filemap_add_charges_a_folio_the_driver_allocated(struct kunit *test)
{
	struct address_space *mapping = uffd_kunit_mapping(test, TEST_PAGES);
	struct folio *folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, 0);

	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_ASSERT_FALSE(test, folio_memcg_charged(folio));
	folio_mark_uptodate(folio);
	KUNIT_ASSERT_EQ(test, 0, uffd_shim_filemap_add_folio(mapping, folio, 0));
	KUNIT_EXPECT_EQ(test, folio_memcg_charged(folio), !mem_cgroup_disabled());
	uffd_shim_folio_unlock(folio);
	uffd_shim_folio_put(folio);
}
#endif

#ifdef CONFIG_UFFD_SHIM_NATIVE
/* mfill fills only the first page of what alloc_folio returns. */
static void uffd_filemap_add_of_a_large_folio_is_einval(struct kunit *test)
{
	unsigned long addr;
	struct vm_area_struct *vma = uffd_kunit_vma(test, NULL, &addr);
	const struct vm_uffd_ops *ops = vma->vm_ops->uffd_ops;
	struct folio *folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, 1);
	int err;

	KUNIT_ASSERT_NOT_NULL(test, folio);
	folio_mark_uptodate(folio);
	err = ops->filemap_add(folio, vma, addr);
	KUNIT_EXPECT_EQ(test, -EINVAL, err);
	if (!err)
		ops->filemap_remove(folio, vma);
	KUNIT_EXPECT_EQ(test, vma->vm_file->f_mapping->nrpages, 0UL);
	folio_put(folio);
}
#else
static void uffd_filemap_add_of_a_large_folio_is_einval(struct kunit *test)
{
	kunit_skip(test, "no vm_uffd_ops on this kernel");
}
#endif

/* A new_inode()'s empty_aops: nothing for zapping a dirty PTE to call. */
static const struct address_space_operations no_dirty_aops = {};

static void mmap_of_a_file_that_cannot_dirty_its_folios_is_einval(struct kunit *test)
{
	struct file *file = uffd_kunit_file_aops(test, TEST_PAGES, &no_dirty_aops);
	unsigned long addr;

	if (uffd_kunit_fallback())
		kunit_skip(test, "shmem fallback maps RAM-fs files only");
	addr = kunit_vm_mmap(test, file, 0, TEST_PAGES * PAGE_SIZE,
			     PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	KUNIT_EXPECT_EQ(test, (long)addr, -EINVAL);
}

/* A folio planted in such a mapping behind the shim's back is not dirtied. */
static void mark_dirty_in_a_mapping_that_cannot_dirty_is_refused(struct kunit *test)
{
	struct file *file = uffd_kunit_file_aops(test, TEST_PAGES, &no_dirty_aops);
	struct folio *folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, 0);

	KUNIT_ASSERT_NOT_NULL(test, folio);
	folio_mark_uptodate(folio);
	KUNIT_ASSERT_EQ(test, 0, filemap_add_folio(file->f_mapping, folio, 0,
						   GFP_KERNEL));
	KUNIT_EXPECT_FALSE(test, uffd_shim_folio_mark_dirty(folio));
	KUNIT_EXPECT_FALSE(test, folio_test_dirty(folio));
	folio_unlock(folio);
	folio_put(folio);
}

/* A file system whose mappings write back, as a disk file system's do. */
static int wb_fill_super(struct super_block *sb, struct fs_context *fc)
{
	static const struct tree_descr no_files[] = { {""} };

	return super_setup_bdi(sb) ?: simple_fill_super(sb, 0x75667762, no_files);
}

static int wb_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, wb_fill_super);
}

static const struct fs_context_operations wb_context_ops = {
	.get_tree = wb_get_tree,
};

static int wb_init_fs_context(struct fs_context *fc)
{
	fc->ops = &wb_context_ops;
	return 0;
}

static struct file_system_type wb_fs = {
	.name = "uffd_kunit_wb",
	.init_fs_context = wb_init_fs_context,
	.kill_sb = kill_anon_super,
};

static const struct address_space_operations wb_aops = {
	.dirty_folio = filemap_dirty_folio,
};

/* Nothing would ever clean the folio: writeback would be throttled on it. */
static void filemap_add_into_a_mapping_that_writes_back_is_einval(struct kunit *test)
{
	struct vfsmount *mnt = kern_mount(&wb_fs);
	struct folio *folio;
	struct inode *inode;

	KUNIT_ASSERT_FALSE(test, IS_ERR(mnt));
	inode = new_inode(mnt->mnt_sb);
	folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, 0);
	if (inode && folio) {
		int err;

		inode->i_mapping->a_ops = &wb_aops;
		KUNIT_EXPECT_TRUE(test, mapping_can_writeback(inode->i_mapping));
		folio_mark_uptodate(folio);
		err = uffd_shim_filemap_add_folio(inode->i_mapping, folio, 0);
		KUNIT_EXPECT_EQ(test, err, -EINVAL);
		if (!err)
			folio_unlock(folio);
		KUNIT_EXPECT_EQ(test, inode->i_mapping->nrpages, 0UL);
	}
	KUNIT_EXPECT_NOT_NULL(test, inode);
	KUNIT_EXPECT_NOT_NULL(test, folio);
	if (folio)
		folio_put(folio);
	iput(inode);
	kern_unmount(mnt);
}

static struct uffd_shim_type *new_ram_type(struct kunit *test)
{
	struct uffd_shim_ops ops = uffd_kunit_ops;
	struct uffd_shim_type *type;

	ops.fops = NULL;
	type = uffd_shim_register(&ops);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, type);
	return type;
}

/* register_filesystem() BUG()s on such a name. */
static void register_fs_with_a_dot_in_the_name_is_einval(struct kunit *test)
{
	static struct file_system_type dotted = {
		.owner = THIS_MODULE,
		.name = "uffd.kunit",
	};
	struct uffd_shim_type *type = new_ram_type(test);

	KUNIT_EXPECT_EQ(test, -EINVAL, uffd_shim_register_fs(type, &dotted));
	uffd_shim_unregister(type);
}

struct unregister_work {
	struct uffd_shim_type *type;
	struct completion done;
};

static int unregister_thread(void *data)
{
	struct unregister_work *work = data;

	uffd_shim_unregister(work->type);
	complete(&work->done);
	return 0;
}

/* A mount under way holds the type: unregister waits for it to end. */
static void unregister_waits_for_a_mount_under_way(struct kunit *test)
{
	static struct file_system_type fs = {
		.owner = THIS_MODULE,
		.name = "uffd_shim_kunit_ctx",
	};
	struct unregister_work work = { .type = new_ram_type(test) };
	struct fs_context *fc;
	struct task_struct *thread;

	init_completion(&work.done);
	KUNIT_ASSERT_EQ(test, 0, uffd_shim_register_fs(work.type, &fs));
	fc = fs_context_for_mount(&fs, 0);
	if (IS_ERR(fc)) {
		uffd_shim_unregister(work.type);
		KUNIT_FAIL(test, "fs_context_for_mount: %ld", PTR_ERR(fc));
		return;
	}
	thread = kthread_run(unregister_thread, &work, "uffd_kunit_unreg");
	if (IS_ERR(thread)) {
		put_fs_context(fc);
		uffd_shim_unregister(work.type);
		KUNIT_FAIL(test, "kthread_run: %ld", PTR_ERR(thread));
		return;
	}
	msleep(500);
	KUNIT_EXPECT_FALSE(test, completion_done(&work.done));
	put_fs_context(fc);
	wait_for_completion(&work.done);
}

static struct kunit_case uffd_shim_misuse_cases[] = {
	KUNIT_CASE(fault_on_a_folio_not_uptodate_is_sigbus),
	KUNIT_CASE(ram_read_of_a_folio_not_uptodate_is_eio),
	KUNIT_CASE(folio_alloc_returns_zeroed_memory),
	KUNIT_CASE(filemap_add_of_a_folio_not_uptodate_is_einval),
	KUNIT_CASE(filemap_add_of_a_folio_still_on_the_lru_is_einval),
	KUNIT_CASE_SLOW(filemap_add_loses_no_flag_another_cpu_sets),
	KUNIT_CASE(default_filemap_remove_of_an_unlocked_folio_releases_no_lock),
#ifdef CONFIG_MEMCG
	KUNIT_CASE(filemap_add_charges_a_folio_the_driver_allocated),
#endif
	KUNIT_CASE(uffd_filemap_add_of_a_large_folio_is_einval),
	KUNIT_CASE(mmap_of_a_file_that_cannot_dirty_its_folios_is_einval),
	KUNIT_CASE(mark_dirty_in_a_mapping_that_cannot_dirty_is_refused),
	KUNIT_CASE(filemap_add_into_a_mapping_that_writes_back_is_einval),
	KUNIT_CASE(register_fs_with_a_dot_in_the_name_is_einval),
	KUNIT_CASE(unregister_waits_for_a_mount_under_way),
	{}
};

static struct kunit_suite uffd_shim_misuse_suite = {
	.name = "uffd_shim_misuse",
	.suite_init = uffd_kunit_suite_init,
	.suite_exit = uffd_kunit_suite_exit,
	.init = uffd_kunit_case_init,
	.test_cases = uffd_shim_misuse_cases,
};

kunit_test_suites(&uffd_shim_misuse_suite);
