// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-shim RAM files, native backend: the regular files of a type's RAM
 * file system keep their data in their own page cache, where every page
 * enters through uffd_shim_type_insert() (->account, the mount's size=) and
 * leaves through the type's ->free_folio.
 *
 * Reading a hole copies zeroes instead of allocating (as shmem does), so a
 * read can never be refused and never needs accounting. Every page is
 * dirty from the start: its data exists nowhere else.
 */

#define pr_fmt(fmt) "uffd_shim: " fmt

#include <linux/fs.h>
#include <linux/falloc.h>	/* after fs.h: needs its types */
#include <linux/highmem.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/splice.h>
#include <linux/uio.h>
#include <linux/xarray.h>
#include "uffd_shim_internal.h"

/*
 * The folio at @index, locked with a reference; a new, accounted zero page
 * on a hole, and then *@created is set.
 */
static struct folio *ram_get_folio(struct inode *inode, pgoff_t index,
				   bool *created)
{
	struct address_space *mapping = inode->i_mapping;
	struct folio *folio;
	int err;

	for (;;) {
		folio = uffd_shim_filemap_lookup_locked(mapping, index);
		if (!IS_ERR(folio))
			return folio;

		folio = uffd_shim_folio_alloc(mapping);
		if (!folio)
			return ERR_PTR(-ENOMEM);
		__folio_mark_uptodate(folio);
		/* Any index: a write fills the page before it moves EOF. */
		err = uffd_shim_type_insert(uffd_shim_inode_type(inode), mapping,
					    folio, index);
		if (!err) {
			*created = true;
			return folio;
		}
		folio_put(folio);
		if (err != -EEXIST)
			return ERR_PTR(err);
		/* Raced with a fault or a userfaultfd fill: take theirs. */
	}
}

/* In *fsdata: the folio of a whole-page write into a hole, not inserted yet. */
#define RAM_DETACHED ((void *)1)

/*
 * A write of a whole page into a hole fills a new folio that is in no page
 * cache: it need not be zeroed first, as nobody can see it before
 * ram_end_detached() inserts it full. Any other write fills the page-cache
 * folio.
 */
static int ram_begin(struct address_space *mapping, loff_t pos,
		     unsigned int len, struct folio **foliop, void **fsdata)
{
	pgoff_t index = pos >> PAGE_SHIFT;
	gfp_t gfp = mapping_gfp_mask(mapping);
	struct folio *folio = NULL;
	bool created;

	/* generic_perform_write() passes it again when it retries a page. */
	*fsdata = NULL;
	if (!offset_in_page(pos) && len == PAGE_SIZE) {
		folio = uffd_shim_filemap_lookup_locked(mapping, index);
		if (IS_ERR(folio)) {
			folio = uffd_shim_alloc_charged(gfp, NULL, gfp);
			if (!folio)
				return -ENOMEM;
			*fsdata = RAM_DETACHED;
		}
	}
	if (!folio) {
		folio = ram_get_folio(mapping->host, index, &created);
		if (IS_ERR(folio))
			return PTR_ERR(folio);
	}
	*foliop = folio;
	return 0;
}

static int ram_end(struct address_space *mapping, loff_t pos,
		   unsigned int copied, struct folio *folio)
{
	struct inode *inode = mapping->host;

	/* i_rwsem is held: i_size cannot change under us. */
	if (pos + copied > inode->i_size)
		i_size_write(inode, pos + copied);
	folio_mark_dirty(folio);
	folio_unlock(folio);
	folio_put(folio);
	return copied;
}

/*
 * Insert a detached folio once the copy filled it. A short copy, or a
 * fault or fill that populated the page meanwhile, returns 0: the
 * caller, generic_perform_write(), then writes again through the page cache.
 */
static int ram_end_detached(struct address_space *mapping, loff_t pos,
			    unsigned int copied, struct folio *folio)
{
	struct inode *inode = mapping->host;
	int err = 0;

	/* Only a stale *fsdata brings here the cached folio ram_begin() locked. */
	if (WARN_ON_ONCE(folio->mapping))
		return ram_end(mapping, pos, copied, folio);
	if (copied == PAGE_SIZE) {
		__folio_mark_uptodate(folio);
		err = uffd_shim_type_insert(uffd_shim_inode_type(inode), mapping,
					    folio, pos >> PAGE_SHIFT);
		if (!err)
			return ram_end(mapping, pos, copied, folio);
	}
	folio_put(folio);
	return err == -EEXIST ? 0 : err;
}

static int ram_write_end_any(struct address_space *mapping, loff_t pos,
			     unsigned int copied, struct folio *folio,
			     void *fsdata)
{
	if (fsdata == RAM_DETACHED)
		return ram_end_detached(mapping, pos, copied, folio);
	return ram_end(mapping, pos, copied, folio);
}

/*
 * ->write_begin/->write_end take a kiocb since 6.17, a file before: the
 * right pair is picked by the type of the tree's own members.
 */
static int __maybe_unused ram_write_begin(const struct kiocb *iocb,
					  struct address_space *mapping,
					  loff_t pos, unsigned int len,
					  struct folio **foliop, void **fsdata)
{
	return ram_begin(mapping, pos, len, foliop, fsdata);
}

static int __maybe_unused ram_write_end(const struct kiocb *iocb,
					struct address_space *mapping,
					loff_t pos, unsigned int len,
					unsigned int copied, struct folio *folio,
					void *fsdata)
{
	return ram_write_end_any(mapping, pos, copied, folio, fsdata);
}

static int __maybe_unused ram_write_begin_file(struct file *file,
					       struct address_space *mapping,
					       loff_t pos, unsigned int len,
					       struct folio **foliop,
					       void **fsdata)
{
	return ram_begin(mapping, pos, len, foliop, fsdata);
}

static int __maybe_unused ram_write_end_file(struct file *file,
					     struct address_space *mapping,
					     loff_t pos, unsigned int len,
					     unsigned int copied,
					     struct folio *folio, void *fsdata)
{
	return ram_write_end_any(mapping, pos, copied, folio, fsdata);
}

#define WRITE_BEGIN_TAKES_KIOCB						\
	__builtin_types_compatible_p(					\
		typeof(((struct address_space_operations *)NULL)->write_begin), \
		typeof(ram_write_begin) *)

/**
 * uffd_shim_ram_init_aops() - the address_space_operations of a type's RAM files.
 * @type: the type being registered.
 *
 * No ->read_folio: reads of holes are served by ram_read_iter() without a
 * page, and nothing else on this file system reads through the page cache.
 */
void uffd_shim_ram_init_aops(struct uffd_shim_type *type)
{
	type->aops.write_begin = __builtin_choose_expr(WRITE_BEGIN_TAKES_KIOCB,
						       ram_write_begin,
						       ram_write_begin_file);
	type->aops.write_end = __builtin_choose_expr(WRITE_BEGIN_TAKES_KIOCB,
						     ram_write_end,
						     ram_write_end_file);
	type->aops.dirty_folio = noop_dirty_folio;
	/* Dirty for good: without it no folio of ours could ever move. */
	type->aops.migrate_folio = filemap_migrate_folio;
	type->aops.free_folio = type->ops.free_folio;
}

/* Copy cached pages, zeroes for holes: a read never allocates. */
static ssize_t ram_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	ssize_t done = 0;
	int err = 0;

	while (iov_iter_count(to)) {
		loff_t pos = iocb->ki_pos, size = i_size_read(inode);
		size_t offset = offset_in_page(pos), n, copied;
		struct folio *folio;

		if (pos >= size)
			break;
		n = min3(PAGE_SIZE - offset, (size_t)(size - pos),
			 iov_iter_count(to));
		folio = uffd_shim_filemap_lookup(inode->i_mapping,
						 pos >> PAGE_SHIFT);
		/* Not uptodate: a driver's filemap_add broke the rules. */
		if (!IS_ERR(folio) && (folio_test_hwpoison(folio) ||
				       WARN_ON_ONCE(!folio_test_uptodate(folio)))) {
			folio_put(folio);
			err = -EIO;
			break;
		}
		if (IS_ERR(folio)) {
			copied = iov_iter_zero(n, to);
		} else {
			copied = copy_folio_to_iter(folio,
						    offset_in_folio(folio, pos),
						    n, to);
			folio_put(folio);
		}
		done += copied;
		iocb->ki_pos += copied;
		if (copied < n) {
			err = -EFAULT;
			break;
		}
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		cond_resched();
	}
	file_accessed(iocb->ki_filp);
	return done ?: err;
}

/*
 * Give back a page a failed fallocate added, unless a fault or
 * UFFDIO_CONTINUE has mapped it since (both map it under its lock): then
 * userspace may have written to it, and it stays.
 */
static void ram_unfalloc_page(struct inode *inode, pgoff_t index)
{
	struct folio *folio = uffd_shim_filemap_lookup_locked(inode->i_mapping,
							      index);

	if (IS_ERR(folio))
		return;
	if (!folio_mapped(folio))
		uffd_shim_filemap_remove_folio(folio);
	folio_unlock(folio);
	folio_put(folio);
}

static void ram_unfalloc(struct inode *inode, struct xarray *created)
{
	unsigned long index;
	void *entry;

	xa_for_each(created, index, entry)
		ram_unfalloc_page(inode, index);
}

/*
 * Fill every hole of [@start, @end) of a RAM file or a memory file: 0, or
 * an error with nothing added.
 */
int uffd_shim_ram_falloc_range(struct inode *inode, pgoff_t start, pgoff_t end)
{
	struct xarray created;
	pgoff_t index;
	int err = 0;

	xa_init(&created);
	for (index = start; index < end; index++) {
		bool new = false;
		struct folio *folio = ram_get_folio(inode, index, &new);

		if (IS_ERR(folio)) {
			err = PTR_ERR(folio);
			break;
		}
		folio_unlock(folio);
		folio_put(folio);
		if (new)
			err = xa_err(xa_store(&created, index, xa_mk_value(0),
					      GFP_KERNEL));
		if (err) {
			/* Not recorded, so not given back below: do it now. */
			ram_unfalloc_page(inode, index);
			break;
		}
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
	}
	if (err)
		ram_unfalloc(inode, &created);
	xa_destroy(&created);
	return err;
}

static long ram_fallocate(struct file *file, int mode, loff_t offset,
			  loff_t len)
{
	struct inode *inode = file_inode(file);
	loff_t end = offset + len;
	int err = 0;

	if (!uffd_shim_ram_falloc_mode_ok(mode))
		return -EOPNOTSUPP;

	inode_lock(inode);
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		/*
		 * Zaps mappings, drops whole pages, zeroes partial ones; beyond
		 * EOF too, where KEEP_SIZE may have allocated.
		 */
		truncate_pagecache_range(inode, offset, end - 1);
		uffd_shim_ram_recalc(inode);
		goto out;
	}

	err = inode_newsize_ok(inode, end);
	if (err)
		goto out;
	/* As shmem does: the whole range, beyond EOF too with KEEP_SIZE. */
	err = uffd_shim_ram_falloc_range(inode, offset >> PAGE_SHIFT,
					 DIV_ROUND_UP(end, PAGE_SIZE));
	if (!err && !(mode & FALLOC_FL_KEEP_SIZE) && end > i_size_read(inode))
		i_size_write(inode, end);
out:
	inode_set_mtime_to_ts(inode, inode_set_ctime_current(inode));
	inode_unlock(inode);
	return err;
}

/* The template of a RAM-fs type's fops; the core adds ->mmap_prepare. */
const struct file_operations uffd_shim_ram_fops = {
	.read_iter	= ram_read_iter,
	.write_iter	= generic_file_write_iter,
	.fsync		= noop_fsync,
	.splice_read	= copy_splice_read,
	.splice_write	= iter_file_splice_write,
	.llseek		= generic_file_llseek,
	.fallocate	= ram_fallocate,
};

/* A shrink drops pages: give them back to the mount. */
static int ram_setattr(struct mnt_idmap *idmap, struct dentry *dentry,
		       struct iattr *attr)
{
	int err = simple_setattr(idmap, dentry, attr);

	if (!err && attr->ia_valid & ATTR_SIZE)
		uffd_shim_ram_recalc(d_inode(dentry));
	return err;
}

static const struct inode_operations ram_file_iops = {
	.setattr	= ram_setattr,
	.getattr	= simple_getattr,	/* blocks: the page cache's */
};

int uffd_shim_ram_init_file(struct inode *inode)
{
	inode->i_op = &ram_file_iops;
	return 0;
}

void uffd_shim_ram_evict_file(struct inode *inode)
{
}

int uffd_shim_ram_mount_data(struct uffd_shim_ram_sb *sbi)
{
	return 0;
}

void uffd_shim_ram_unmount_data(struct uffd_shim_ram_sb *sbi)
{
}
