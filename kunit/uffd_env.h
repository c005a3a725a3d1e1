/* SPDX-License-Identifier: GPL-2.0 */
/* A real userfaultfd and a faulting kernel thread, for the KUnit suites. */
#ifndef UFFD_SHIM_KUNIT_UFFD_ENV_H
#define UFFD_SHIM_KUNIT_UFFD_ENV_H

#include <linux/completion.h>
#include <uapi/linux/userfaultfd.h>

#include "fixture.h"

#define WAIT (5 * HZ)

/* A userfaultfd of the KUnit mm, and a user page for ioctl arguments. */
struct uffd_env {
	struct kunit *test;
	struct file *uffd;
	/* The page cache holding the mapped file's data (shmem on the fallback). */
	struct address_space *data;
	unsigned long scratch;	/* ioctl argument block, user memory */
	unsigned long src;	/* UFFDIO_COPY source page, user memory */
};

/* A kernel thread on the KUnit mm that reads 16 bytes at @addr. */
struct faulter {
	struct uffd_env *env;
	struct mm_struct *mm;
	unsigned long addr;
	char buf[16];
	unsigned long left;	/* bytes copy_from_user() could not read */
	struct completion done;
};

long uffd_env_ioctl(struct uffd_env *env, unsigned int cmd, void *arg,
		    size_t size);
struct uffd_env *uffd_env_create(struct kunit *test);
/* Close the uffd now (a KUnit action of uffd_env_create()). */
void uffd_env_release(void *data);
/* Register TEST_PAGES pages at @start in @mode. */
long uffd_env_register(struct uffd_env *env, unsigned long start, u64 mode);
/* UFFDIO_COPY of one page holding the string @fill to @dst. */
long uffd_env_copy(struct uffd_env *env, unsigned long dst, const char *fill);
/* A one-page UFFDIO_ZEROPAGE, _CONTINUE or _POISON at @dst. */
long uffd_env_range_ioctl(struct uffd_env *env, unsigned int cmd,
			  unsigned long dst);
struct faulter *uffd_env_faulter(struct uffd_env *env, unsigned long addr);
/* Wait for the faulter's userfault message; it must be for @addr. */
void uffd_env_expect_fault(struct uffd_env *env, unsigned long addr, u64 flags);
void uffd_env_expect_woken(struct kunit *test, struct faulter *f);

#endif /* UFFD_SHIM_KUNIT_UFFD_ENV_H */
