// SPDX-License-Identifier: GPL-2.0

//! Page caches, and the inodes of a memory type's files.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/uffd_shim.h`](srctree/include/linux/uffd_shim.h)

use super::{
    Folio,
    LockedFolio,
    MemoryType,
    NewFolio, //
};
use crate::{
    bindings,
    error::{
        from_err_ptr,
        to_result, //
    },
    prelude::*,
    sync::aref::ARef,
    types::Opaque,
};
use core::{
    marker::PhantomData,
    ptr::NonNull, //
};

/// The page cache of a file (`struct address_space`).
///
/// # Invariants
///
/// A `&AddressSpace` points to a valid `struct address_space` whose host inode stays alive for
/// the whole lifetime of the reference.
#[repr(transparent)]
pub struct AddressSpace(Opaque<bindings::address_space>);

// SAFETY: The page-cache operations reached through `&AddressSpace` are C functions that are
// safe to call concurrently on the same mapping (the page cache has its own locking).
unsafe impl Sync for AddressSpace {}

impl AddressSpace {
    /// Borrows a page cache from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct address_space` whose host inode stays alive for the
    /// whole of `'a`.
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::address_space) -> &'a Self {
        // SAFETY: `AddressSpace` is a transparent wrapper of `struct address_space`, and the
        // caller guarantees the type invariants for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns a raw pointer to the `struct address_space`.
    #[inline]
    pub fn as_raw(&self) -> *mut bindings::address_space {
        self.0.get()
    }

    /// The folio covering `index`, with a reference, unlocked; `None` on a hole.
    ///
    /// Without the lock the folio may be truncated at any time: lock it and check
    /// [`LockedFolio::is_in`] before trusting it.
    #[inline]
    pub fn get_folio(&self, index: usize) -> Option<ARef<Folio>> {
        // SAFETY: `self` is valid (type invariants).
        let ptr = unsafe { bindings::uffd_shim_filemap_lookup(self.as_raw(), index) };
        // The function returns `ERR_PTR(-ENOENT)` on a hole, never NULL.
        let ptr = NonNull::new(from_err_ptr(ptr).ok()?)?;
        // SAFETY: A folio the function returns has a reference, which is now ours.
        Some(unsafe { Folio::from_owned(ptr) })
    }

    /// The folio covering `index`, locked, with a reference, and still in this page cache;
    /// `None` on a hole.
    ///
    /// Context: process context, may sleep for the folio lock.
    #[inline]
    pub fn lock_folio(&self, index: usize) -> Option<LockedFolio> {
        // SAFETY: `self` is valid (type invariants).
        let ptr = unsafe { bindings::uffd_shim_filemap_lookup_locked(self.as_raw(), index) };
        // The function returns `ERR_PTR(-ENOENT)` on a hole, never NULL.
        let ptr = NonNull::new(from_err_ptr(ptr).ok()?)?;
        // SAFETY: A folio the function returns is locked, with a reference: both are now ours.
        Some(unsafe { LockedFolio::from_raw(ptr) })
    }

    /// Inserts `folio` into this page cache at `index`, as every page enters the page cache of a
    /// memory type's file: charged ([`MemoryType::charge`]), prepared
    /// ([`MemoryType::prepare_folio`]), then inserted uptodate, dirty and on the LRU.
    ///
    /// The page cache takes references of its own. Any index is accepted, even at or after the
    /// end of the file.
    ///
    /// Returns the folio locked in the page cache. Fails with [`EEXIST`] if `index` is populated,
    /// with the type's error, [`ENOSPC`] beyond a RAM file system's size, and [`ENOMEM`]; the
    /// folio is then freed, and nothing stays charged.
    pub fn add_folio(&self, folio: NewFolio, index: usize) -> Result<LockedFolio> {
        // SAFETY: `folio` is valid; its contents are defined (zeroed at allocation, or written),
        // so it may be marked uptodate: nobody else sees it yet (type invariants of `NewFolio`).
        unsafe { bindings::uffd_shim_folio_mark_uptodate(folio.as_raw()) };
        let folio = folio.into_folio();
        // SAFETY: `self` and `folio` are valid. `folio` is new: unlocked, uptodate, order 0, in
        // no page cache and on no LRU, as the function requires.
        to_result(unsafe {
            bindings::uffd_shim_filemap_insert(self.as_raw(), folio.as_raw(), index)
        })?;
        // SAFETY: On success the folio is locked, and the lock is ours; so is the reference.
        Ok(unsafe { LockedFolio::from_raw(ARef::into_raw(folio).cast()) })
    }

    /// Takes `folio`, locked and in this page cache, out of the page cache.
    ///
    /// The folio stays locked and the caller's reference valid; the type sees the page leave
    /// ([`MemoryType::uncharge`], [`MemoryType::free_folio`]). Fails with [`EINVAL`] if the
    /// folio is not in this page cache (any more), and with [`EBUSY`] if a page table still maps
    /// it.
    #[inline]
    pub fn remove_folio(&self, folio: &LockedFolio) -> Result {
        if !folio.is_in(self) {
            return Err(EINVAL);
        }
        // SAFETY: `folio` is valid, locked and in a page cache, as the function requires.
        to_result(unsafe { bindings::uffd_shim_filemap_remove_folio(folio.as_raw()) })
    }
}

/// The inode of a file of the memory type `T` (`struct inode`).
///
/// The callbacks of a [`MemoryType`] get it; it gives the file's size, page cache and, for a
/// memory file, the data it was made with.
///
/// # Invariants
///
/// A `&Inode<T>` points to a valid inode of a file of a type registered with the ops of `T`,
/// alive for the whole lifetime of the reference.
#[repr(transparent)]
pub struct Inode<T: MemoryType> {
    inode: Opaque<bindings::inode>,
    _t: PhantomData<T>,
}

impl<T: MemoryType> Inode<T> {
    /// Borrows the inode of a file of type `T`.
    ///
    /// # Safety
    ///
    /// `ptr` must satisfy the type invariants for `'a`.
    #[inline]
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::inode) -> &'a Self {
        // SAFETY: `Inode<T>` is a transparent wrapper of `struct inode`, and the caller
        // guarantees the type invariants for `'a`.
        unsafe { &*ptr.cast() }
    }

    #[inline]
    pub(crate) fn as_raw(&self) -> *mut bindings::inode {
        self.inode.get()
    }

    /// The size of the file, in bytes (`i_size_read()`).
    #[inline]
    pub fn size(&self) -> i64 {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::i_size_read(self.as_raw()) }
    }

    /// The number of pages that cover the file, the last one possibly in part.
    #[inline]
    pub fn size_in_pages(&self) -> usize {
        let size = usize::try_from(self.size()).unwrap_or(0);
        size.div_ceil(crate::page::PAGE_SIZE)
    }

    /// The page cache of the file.
    #[inline]
    pub fn mapping(&self) -> &AddressSpace {
        // SAFETY: `i_mapping` of a live inode is its page cache, whose host is the inode, alive
        // for the borrow of `self` (type invariants).
        unsafe { AddressSpace::from_raw((*self.as_raw()).i_mapping) }
    }

    /// The data of a memory file, as [`Registration::create_file`] got it; `None` for a file of a
    /// RAM file system.
    ///
    /// [`Registration::create_file`]: super::Registration::create_file
    #[inline]
    pub fn file_data(&self) -> Option<&T::FileData> {
        // SAFETY: `self` is valid (type invariants).
        let ptr = unsafe { bindings::uffd_shim_inode_data(self.as_raw()) };
        // SAFETY: The inode is of type `T` (type invariants), and for such an inode the data is
        // a `KBox<T::FileData>` from `Registration::create_file`, freed only when the inode goes
        // (`->release`), after every borrow of it.
        (!ptr.is_null()).then(|| unsafe { &*ptr.cast::<T::FileData>() })
    }
}
