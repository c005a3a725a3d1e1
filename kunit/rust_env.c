// SPDX-License-Identifier: GPL-2.0
/* Real userfaultfd for kernel::uffd_shim's KUnit cases (rust_env.h). */

#include <kunit/test-bug.h>

#include "rust_env.h"
#include "uffd_env.h"

static struct uffd_env *rust_env(struct file *file, u64 mode,
				 unsigned long *addrp)
{
	struct kunit *test = kunit_get_current_test();
	struct uffd_env *env = uffd_env_create(test);

	uffd_kunit_vma_of(test, file, MAP_SHARED, addrp);
	env->data = file->f_mapping;
	KUNIT_ASSERT_EQ(test, 0L, uffd_env_register(env, *addrp, mode));
	return env;
}

/*
 * The mapping goes with the call: the case drops its memory type before it
 * ends, which waits for the last reference on the file.
 */
static long unmapped(unsigned long addr, long ret)
{
	vm_munmap(addr, TEST_PAGES * PAGE_SIZE);
	return ret;
}

long uffd_kunit_rust_continue(struct file *file, unsigned long pgoff)
{
	unsigned long addr;
	struct uffd_env *env = rust_env(file, UFFDIO_REGISTER_MODE_MINOR, &addr);

	return unmapped(addr, uffd_env_range_ioctl(env, UFFDIO_CONTINUE,
						   addr + pgoff * PAGE_SIZE));
}

long uffd_kunit_rust_copy(struct file *file, unsigned long pgoff,
			  const char *fill)
{
	unsigned long addr;
	struct uffd_env *env = rust_env(file, UFFDIO_REGISTER_MODE_MISSING, &addr);

	return unmapped(addr, uffd_env_copy(env, addr + pgoff * PAGE_SIZE, fill));
}

unsigned long uffd_kunit_rust_user_page(const char *text)
{
	struct kunit *test = kunit_get_current_test();
	unsigned long addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE,
					   PROT_READ | PROT_WRITE,
					   MAP_ANONYMOUS | MAP_PRIVATE, 0);

	if (IS_ERR_VALUE(addr) ||
	    copy_to_user((void __user *)addr, text, strlen(text) + 1))
		return 0;
	return addr;
}

struct folio *uffd_kunit_rust_stale_folio(struct address_space *mapping,
					  unsigned long index)
{
	struct folio *folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, 0);

	if (!folio)
		return NULL;
	if (filemap_add_folio(mapping, folio, index, GFP_KERNEL)) {
		folio_put(folio);
		return NULL;
	}
	folio_unlock(folio);
	return folio;
}
