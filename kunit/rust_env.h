/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Real userfaultfd for kernel::uffd_shim's KUnit cases, which Rust cannot
 * set up itself: the file mapped shared in the case's mm, registered, and
 * one ioctl on page @pgoff. Return: the ioctl's result (0 or -errno).
 */
#ifndef UFFD_SHIM_KUNIT_RUST_ENV_H
#define UFFD_SHIM_KUNIT_RUST_ENV_H

struct address_space;
struct file;
struct folio;

long uffd_kunit_rust_continue(struct file *file, unsigned long pgoff);
long uffd_kunit_rust_copy(struct file *file, unsigned long pgoff,
			  const char *fill);
/*
 * A zeroed folio put at @index of @mapping behind the shim's back, not
 * uptodate, unlocked, with a reference for the caller; NULL on failure.
 */
struct folio *uffd_kunit_rust_stale_folio(struct address_space *mapping,
					  unsigned long index);
/* A user page of the case's mm holding @text; 0 on failure. */
unsigned long uffd_kunit_rust_user_page(const char *text);

#endif /* UFFD_SHIM_KUNIT_RUST_ENV_H */
