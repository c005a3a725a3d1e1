/* SPDX-License-Identifier: GPL-2.0 */
/* The memory type and files the uffd-shim KUnit suites run against. */
#ifndef UFFD_SHIM_KUNIT_FIXTURE_H
#define UFFD_SHIM_KUNIT_FIXTURE_H

#include <kunit/test.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/mm.h>
#include <linux/swap.h>
#include <linux/uaccess.h>
#include <linux/uffd_shim.h>
#include <linux/userfaultfd_k.h>

/* Pages of the files uffd_kunit_file() and uffd_kunit_vma() make. */
enum { TEST_PAGES = 4 };

/* The test type: MISSING and MINOR, accounting into uffd_kunit_accounted. */
extern struct uffd_shim_type *uffd_kunit_type;
extern const struct uffd_shim_ops uffd_kunit_ops;
extern const struct file_operations uffd_kunit_fops;
/* Pages accounted by ->account minus those seen by ->free_folio. */
extern atomic_long_t uffd_kunit_accounted;
/* ->account refuses beyond this many pages. */
extern long uffd_kunit_account_limit;
/* Called first by each ->account of the case; reset to NULL between cases. */
extern void (*uffd_kunit_account_hook)(struct inode *inode, long nr);

struct file *uffd_kunit_file(struct kunit *test, loff_t pages);
struct file *uffd_kunit_file_aops(struct kunit *test, loff_t pages,
				  const struct address_space_operations *aops);
struct address_space *uffd_kunit_mapping(struct kunit *test, loff_t pages);
struct vm_area_struct *uffd_kunit_vma(struct kunit *test,
				      struct file **filep, unsigned long *addrp);
struct vm_area_struct *uffd_kunit_vma_of(struct kunit *test,
					 struct file *file, int flags,
					 unsigned long *addrp);
struct folio *uffd_kunit_added_folio(struct kunit *test,
				     struct address_space *mapping,
				     pgoff_t index);

/*
 * The same type served by the shim's RAM file system, mounted per suite: its
 * files map with either backend, so the real-path cases run on all kernels.
 */
struct file *uffd_kunit_ram_file(struct kunit *test, loff_t pages);
/* Is the shim on its shmem fallback (no vm_uffd_ops)? */
bool uffd_kunit_fallback(void);

int uffd_kunit_suite_init(struct kunit_suite *suite);
void uffd_kunit_suite_exit(struct kunit_suite *suite);
int uffd_kunit_case_init(struct kunit *test);

#endif /* UFFD_SHIM_KUNIT_FIXTURE_H */
