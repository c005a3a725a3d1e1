// SPDX-License-Identifier: GPL-2.0
/*
 * A real userfaultfd for the KUnit suites: created through the syscall,
 * driven by its ioctls with arguments staged in user memory, and a kernel
 * thread on the KUnit mm whose copy_from_user() faults into it.
 */

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/fdtable.h>
#include <linux/kthread.h>
#include <linux/poll.h>

#include "uffd_env.h"

#ifdef CONFIG_X86_64
/*
 * The syscall's own entry point, as arch/x86's syscall_wrapper.h declares
 * a few: the test creates its userfaultfd exactly as userspace does.
 */
long __x64_sys_userfaultfd(const struct pt_regs *regs);
#endif

void uffd_env_release(void *data)
{
	struct uffd_env *env = data;

	if (env->uffd)
		fput(env->uffd);
	env->uffd = NULL;
}

/* ioctl on the uffd with @arg staged through user memory, as userspace would. */
long uffd_env_ioctl(struct uffd_env *env, unsigned int cmd, void *arg,
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
struct uffd_env *uffd_env_create(struct kunit *test)
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
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, uffd_env_release, env));
	KUNIT_ASSERT_EQ(test, 0L, uffd_env_ioctl(env, UFFDIO_API, &api, sizeof(api)));
	return env;
}

long uffd_env_register(struct uffd_env *env, unsigned long start, u64 mode)
{
	struct uffdio_register reg = {
		.range = { .start = start, .len = TEST_PAGES * PAGE_SIZE },
		.mode = mode,
	};

	return uffd_env_ioctl(env, UFFDIO_REGISTER, &reg, sizeof(reg));
}

long uffd_env_copy(struct uffd_env *env, unsigned long dst, const char *fill)
{
	struct uffdio_copy copy = {
		.dst = dst, .src = env->src, .len = PAGE_SIZE,
	};
	char page[64];

	memset(page, 0, sizeof(page));
	strscpy(page, fill, sizeof(page));
	if (copy_to_user((void __user *)env->src, page, sizeof(page)))
		return -EFAULT;
	return uffd_env_ioctl(env, UFFDIO_COPY, &copy, sizeof(copy));
}

long uffd_env_range_ioctl(struct uffd_env *env, unsigned int cmd,
			  unsigned long dst)
{
	/* uffdio_zeropage, _continue and _poison all start with the range. */
	struct {
		struct uffdio_range range;
		u64 mode;
		s64 result;
	} arg = { .range = { .start = dst, .len = PAGE_SIZE } };

	return uffd_env_ioctl(env, cmd, &arg, sizeof(arg));
}

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
		uffd_env_release(f->env);
		wait_for_completion(&f->done);
	}
}

struct faulter *uffd_env_faulter(struct uffd_env *env, unsigned long addr)
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
void uffd_env_expect_fault(struct uffd_env *env, unsigned long addr, u64 flags)
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

void uffd_env_expect_woken(struct kunit *test, struct faulter *f)
{
	KUNIT_ASSERT_TRUE_MSG(test, wait_for_completion_timeout(&f->done, WAIT),
			      "the faulting thread was not woken");
}
