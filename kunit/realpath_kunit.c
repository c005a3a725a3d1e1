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

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/fdtable.h>
#include <linux/kthread.h>
#include <linux/poll.h>
#include <uapi/linux/userfaultfd.h>

#include "fixture.h"

#define WAIT (5 * HZ)

#ifdef CONFIG_X86_64
/*
 * The syscall's own entry point, as arch/x86's syscall_wrapper.h declares
 * a few: the test creates its userfaultfd exactly as userspace does.
 */
long __x64_sys_userfaultfd(const struct pt_regs *regs);
#endif

/* A userfaultfd of the KUnit mm, and a user page for ioctl arguments. */
struct uffd_env {
	struct kunit *test;
	struct file *uffd;
	/* The page cache holding the mapped file's data (shmem on the fallback). */
	struct address_space *data;
	unsigned long scratch;	/* ioctl argument block, user memory */
	unsigned long src;	/* UFFDIO_COPY source page, user memory */
};

static void uffd_release(void *data)
{
	struct uffd_env *env = data;

	if (env->uffd)
		fput(env->uffd);
	env->uffd = NULL;
}

/* ioctl on the uffd with @arg staged through user memory, as userspace would. */
static long uffd_ioctl(struct uffd_env *env, unsigned int cmd, void *arg,
		       size_t size)
{
	void __user *uarg = (void __user *)env->scratch;
	long ret;

	if (copy_to_user(uarg, arg, size))
		return -EFAULT;
	ret = env->uffd->f_op->unlocked_ioctl(env->uffd, cmd, (unsigned long)uarg);
	if (copy_from_user(arg, uarg, size))
		return -EFAULT;
	return ret;
}

/* Test-lifetime allocation: the cleanup actions run after the case returns. */
static struct uffd_env *uffd_env_create(struct kunit *test)
{
	struct pt_regs regs = { .di = O_CLOEXEC | O_NONBLOCK };
	struct uffdio_api api = { .api = UFFD_API };
	struct uffd_env *env = kunit_kzalloc(test, sizeof(*env), GFP_KERNEL);
	long fd;

	KUNIT_ASSERT_NOT_NULL(test, env);
	env->test = test;
	env->scratch = kunit_vm_mmap(test, NULL, 0, 2 * PAGE_SIZE,
				     PROT_READ | PROT_WRITE,
				     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(env->scratch));
	env->src = env->scratch + PAGE_SIZE;

#ifdef CONFIG_X86_64
	fd = __x64_sys_userfaultfd(&regs);
#else
	kunit_skip(test, "creates its userfaultfd through x86-64's syscall table");
#endif
	KUNIT_ASSERT_GE_MSG(test, fd, 0, "userfaultfd() failed");
	env->uffd = file_close_fd(fd);
	KUNIT_ASSERT_NOT_NULL(test, env->uffd);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, uffd_release, env));
	KUNIT_ASSERT_EQ(test, 0L, uffd_ioctl(env, UFFDIO_API, &api, sizeof(api)));
	return env;
}

static long uffd_register(struct uffd_env *env, unsigned long start, u64 mode)
{
	struct uffdio_register reg = {
		.range = { .start = start, .len = TEST_PAGES * PAGE_SIZE },
		.mode = mode,
	};

	return uffd_ioctl(env, UFFDIO_REGISTER, &reg, sizeof(reg));
}

static long uffd_copy(struct uffd_env *env, unsigned long dst, const char *fill)
{
	struct uffdio_copy copy = {
		.dst = dst, .src = env->src, .len = PAGE_SIZE,
	};
	char page[64];

	memset(page, 0, sizeof(page));
	strscpy(page, fill, sizeof(page));
	if (copy_to_user((void __user *)env->src, page, sizeof(page)))
		return -EFAULT;
	return uffd_ioctl(env, UFFDIO_COPY, &copy, sizeof(copy));
}

static long uffd_range_ioctl(struct uffd_env *env, unsigned int cmd,
			     unsigned long dst)
{
	/* uffdio_zeropage, _continue and _poison all start with the range. */
	struct {
		struct uffdio_range range;
		u64 mode;
		s64 result;
	} arg = { .range = { .start = dst, .len = PAGE_SIZE } };

	return uffd_ioctl(env, cmd, &arg, sizeof(arg));
}

/* A kernel thread on the KUnit mm that reads 16 bytes at @addr. */
struct faulter {
	struct uffd_env *env;
	struct mm_struct *mm;
	unsigned long addr;
	char buf[16];
	unsigned long left;	/* bytes copy_from_user() could not read */
	struct completion done;
};

static int faulter_fn(void *data)
{
	struct faulter *f = data;

	kthread_use_mm(f->mm);
	f->left = copy_from_user(f->buf, (const void __user *)f->addr,
				 sizeof(f->buf));
	kthread_unuse_mm(f->mm);
	complete_all(&f->done);		/* both the case and the reaper wait */
	return 0;
}

/* Never leave the thread blocked in handle_userfault(): releasing the uffd wakes it. */
static void faulter_reap(void *data)
{
	struct faulter *f = data;

	if (!wait_for_completion_timeout(&f->done, WAIT)) {
		uffd_release(f->env);
		wait_for_completion(&f->done);
	}
}

static struct faulter *faulter_start(struct uffd_env *env, unsigned long addr)
{
	struct kunit *test = env->test;
	struct faulter *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	struct task_struct *task;

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->env = env;
	f->mm = current->mm;
	f->addr = addr;
	init_completion(&f->done);
	task = kthread_run(faulter_fn, f, "uffd_kunit_faulter");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, faulter_reap, f));
	return f;
}

/* Wait for the faulter's userfault message; it must be for @addr. */
static void expect_fault(struct uffd_env *env, unsigned long addr, u64 flags)
{
	struct kunit *test = env->test;
	struct uffd_msg msg;
	unsigned long deadline = jiffies + WAIT;
	ssize_t n;

	while (!(vfs_poll(env->uffd, NULL) & EPOLLIN)) {
		KUNIT_ASSERT_TRUE_MSG(test, time_before(jiffies, deadline),
				      "no userfault arrived");
		usleep_range(5000, 10000);
	}
	n = kernel_read(env->uffd, &msg, sizeof(msg), NULL);
	KUNIT_ASSERT_EQ(test, n, (ssize_t)sizeof(msg));
	KUNIT_EXPECT_EQ(test, msg.event, (u8)UFFD_EVENT_PAGEFAULT);
	KUNIT_EXPECT_EQ(test, msg.arg.pagefault.address & PAGE_MASK, (u64)addr);
	KUNIT_EXPECT_EQ(test, msg.arg.pagefault.flags &
			(UFFD_PAGEFAULT_FLAG_MINOR | UFFD_PAGEFAULT_FLAG_WP), flags);
}

static void expect_woken(struct kunit *test, struct faulter *f)
{
	KUNIT_ASSERT_TRUE_MSG(test, wait_for_completion_timeout(&f->done, WAIT),
			      "the faulting thread was not woken");
}

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
	KUNIT_ASSERT_EQ(test, 0L, uffd_register(env, *addrp, mode));
	return env;
}

static struct uffd_env *registered_mapping(struct kunit *test, u64 mode,
					   struct file **filep,
					   unsigned long *addrp)
{
	return registered_mapping_of(test, mode, MAP_SHARED, filep, addrp);
}

/* The type accounted @pages pages (natively: the fallback does not ask it). */
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
	struct folio *folio = uffd_shim_filemap_get_folio(mapping, index);
	char cached[16] = {};

	KUNIT_ASSERT_NOT_NULL(test, folio);
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

	f = faulter_start(env, addr + PAGE_SIZE);
	expect_fault(env, addr + PAGE_SIZE, 0);
	KUNIT_EXPECT_EQ(test, 0L, uffd_copy(env, addr + PAGE_SIZE, "copied by uffd"));
	expect_woken(test, f);

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
	f = faulter_start(env, addr + 2 * PAGE_SIZE);
	expect_fault(env, addr + 2 * PAGE_SIZE, 0);
	KUNIT_EXPECT_EQ(test, 0L, uffd_range_ioctl(env, UFFDIO_ZEROPAGE,
						   addr + 2 * PAGE_SIZE));
	expect_woken(test, f);

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
	f = faulter_start(env, addr);
	expect_fault(env, addr, 0);
	KUNIT_EXPECT_EQ(test, 0L, uffd_copy(env, addr, "private copy"));
	expect_woken(test, f);

	KUNIT_EXPECT_STREQ(test, f->buf, "private copy");
	expect_nothing_filled(test, env);
}

static void copy_twice_is_eexist_and_keeps_first_fill(struct kunit *test)
{
	struct uffd_env *env;
	struct file *file;
	unsigned long addr;

	env = registered_mapping(test, UFFDIO_REGISTER_MODE_MISSING, &file, &addr);
	KUNIT_EXPECT_EQ(test, 0L, uffd_copy(env, addr, "first"));
	KUNIT_EXPECT_EQ(test, -EEXIST, uffd_copy(env, addr, "second"));
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
	KUNIT_EXPECT_EQ(test, -EFAULT, uffd_copy(env, addr + 2 * PAGE_SIZE, "x"));
	KUNIT_EXPECT_EQ(test, -EFAULT, uffd_range_ioctl(env, UFFDIO_ZEROPAGE,
							addr + 2 * PAGE_SIZE));
	expect_nothing_filled(test, env);
}

static void copy_refused_by_account_is_enospc_and_unwinds(struct kunit *test)
{
	struct uffd_env *env;
	unsigned long addr;

	if (uffd_kunit_fallback())
		kunit_skip(test, "shmem fallback: the type's ->account is not asked");
	env = registered_mapping(test, UFFDIO_REGISTER_MODE_MISSING, NULL, &addr);
	uffd_kunit_account_limit = 0;
	KUNIT_EXPECT_EQ(test, -ENOSPC, uffd_copy(env, addr, "x"));
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
	KUNIT_ASSERT_EQ(test, 0L, uffd_register(env, *addrp, mode));
	*filep = file;
	return env;
}

/* Undo variant_mapping(), so that @type can go before the case ends. */
static void variant_release(struct kunit *test, struct uffd_shim_type *type,
			    struct uffd_env *env, struct file *file,
			    unsigned long addr)
{
	kunit_release_action(test, uffd_release, env);
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
	KUNIT_EXPECT_EQ(test, -ENOMEM, uffd_copy(env, addr, "x"));
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
	KUNIT_EXPECT_EQ(test, -EINVAL, uffd_register(env, addr, UFFDIO_REGISTER_MODE_WP));
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
			uffd_ioctl(env, UFFDIO_UNREGISTER, &range, sizeof(range)));
	WRITE_ONCE(can_userfault_answer, true);
	KUNIT_EXPECT_EQ(test, 0L,
			uffd_ioctl(env, UFFDIO_UNREGISTER, &range, sizeof(range)));
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
	folio = uffd_shim_filemap_get_folio(env->data, 3);
	KUNIT_ASSERT_NOT_NULL(test, folio);

	f = faulter_start(env, addr + 3 * PAGE_SIZE);
	expect_fault(env, addr + 3 * PAGE_SIZE, UFFD_PAGEFAULT_FLAG_MINOR);
	KUNIT_EXPECT_EQ(test, 0L, uffd_range_ioctl(env, UFFDIO_CONTINUE,
						   addr + 3 * PAGE_SIZE));
	expect_woken(test, f);

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
	KUNIT_EXPECT_EQ(test, -EFAULT, uffd_range_ioctl(env, UFFDIO_CONTINUE, addr));
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
	KUNIT_EXPECT_EQ(test, -EFAULT, uffd_range_ioctl(env, UFFDIO_CONTINUE,
							addr + PAGE_SIZE));
}

/* --- POISON -------------------------------------------------------------- */

static void poison_makes_later_access_fail(struct kunit *test)
{
	struct uffd_env *env;
	unsigned long addr;
	struct faulter *f;

	env = registered_mapping(test, UFFDIO_REGISTER_MODE_MISSING, NULL, &addr);
	KUNIT_EXPECT_EQ(test, 0L, uffd_range_ioctl(env, UFFDIO_POISON, addr + PAGE_SIZE));
	/* No userfault: the poisoned PTE fails the access right away. */
	f = faulter_start(env, addr + PAGE_SIZE);
	expect_woken(test, f);
	KUNIT_EXPECT_EQ(test, f->left, sizeof(f->buf));
	KUNIT_EXPECT_EQ(test, -EEXIST, uffd_range_ioctl(env, UFFDIO_POISON,
							addr + PAGE_SIZE));
}

/* 7.2 treats the poison marker as a uffd marker: a fill may replace it. */
static void copy_over_poisoned_page_replaces_the_poison(struct kunit *test)
{
	struct uffd_env *env;
	unsigned long addr;
	struct faulter *f;

	env = registered_mapping(test, UFFDIO_REGISTER_MODE_MISSING, NULL, &addr);
	KUNIT_ASSERT_EQ(test, 0L, uffd_range_ioctl(env, UFFDIO_POISON, addr));
	KUNIT_EXPECT_EQ(test, 0L, uffd_copy(env, addr, "repaired"));
	f = faulter_start(env, addr);
	expect_woken(test, f);
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
