// SPDX-License-Identifier: GPL-2.0

//! Folios: shared, new and locked.
//!
//! C headers: [`include/linux/mm.h`](srctree/include/linux/mm.h),
//! [`include/linux/pagemap.h`](srctree/include/linux/pagemap.h),
//! [`include/linux/uffd_shim.h`](srctree/include/linux/uffd_shim.h)

use super::{
    AddressSpace,
    MemoryType,
    ShimVma, //
};
use crate::{
    bindings,
    error::to_result,
    page::BorrowedPage,
    prelude::*,
    sync::aref::{
        ARef,
        AlwaysRefCounted, //
    },
    types::Opaque,
    uaccess::UserSliceReader,
};
use core::{
    mem::ManuallyDrop,
    ops::Deref,
    ptr::NonNull, //
};

/// A folio: a power-of-two run of pages, the unit of the page cache (`struct folio`).
///
/// It is always used by reference: [`ARef<Folio>`] owns a reference, `&Folio` borrows one. Others
/// may use the folio at the same time: its contents and the operations that need the folio lock
/// are on [`NewFolio`] (a folio nobody else sees) and [`LockedFolio`].
///
/// # Invariants
///
/// A `&Folio` or an [`ARef<Folio>`] only exists while a reference on the folio is held, so the
/// `struct folio` is valid for its whole lifetime.
#[repr(transparent)]
pub struct Folio(Opaque<bindings::folio>);

// SAFETY: A reference on a folio may be dropped on any thread: `folio_put()` is thread-safe.
unsafe impl Send for Folio {}

// SAFETY: Every method taking `&self` calls a C function that is safe to call concurrently on the
// same folio: reference counts and flags are atomic.
unsafe impl Sync for Folio {}

// SAFETY: By the type invariants, a folio is always reference counted, with `folio_get()` and
// `folio_put()`, and a reference keeps it alive.
unsafe impl AlwaysRefCounted for Folio {
    #[inline]
    fn inc_ref(&self) {
        // SAFETY: `self` is valid and a reference on it is held (type invariants), as
        // `folio_get()` requires.
        unsafe { bindings::folio_get(self.as_raw()) };
    }

    #[inline]
    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it owns on a valid folio; `Folio` is a
        // transparent wrapper of `struct folio`.
        unsafe { bindings::folio_put(obj.cast::<bindings::folio>().as_ptr()) };
    }
}

impl Folio {
    /// Borrows a folio from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct folio`, and a reference on it must be held, by the
    /// caller or on its behalf, for the whole of `'a`.
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::folio) -> &'a Self {
        // SAFETY: `Folio` is a transparent wrapper of `struct folio`, and the caller guarantees
        // the type invariants for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns a raw pointer to the `struct folio`.
    #[inline]
    pub fn as_raw(&self) -> *mut bindings::folio {
        self.0.get()
    }

    /// Takes ownership of a reference on a folio.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct folio`, and the caller must own a reference on it,
    /// which it hands over.
    #[inline]
    pub(crate) unsafe fn from_owned(ptr: NonNull<bindings::folio>) -> ARef<Self> {
        // SAFETY: `Folio` is a transparent wrapper of `struct folio`, and the caller hands over a
        // reference it owns.
        unsafe { ARef::from_raw(ptr.cast()) }
    }

    /// The file index of the folio's first page, in pages.
    ///
    /// Only meaningful for a page-cache folio, and stable only while the folio is locked.
    #[inline]
    pub fn index(&self) -> usize {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::uffd_shim_folio_index(self.as_raw()) }
    }

    /// The size of the folio, in bytes.
    #[inline]
    pub fn size(&self) -> usize {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::folio_size(self.as_raw()) }
    }

    /// The number of pages in the folio: a power of two, 1 for a small folio.
    #[inline]
    pub fn nr_pages(&self) -> usize {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::folio_nr_pages(self.as_raw()) }
    }

    /// The reference count, for tests and checks; racy unless other users are excluded.
    #[inline]
    pub fn refcount(&self) -> i32 {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::folio_ref_count(self.as_raw()) }
    }

    /// Returns `true` if the folio holds valid data.
    #[inline]
    pub fn is_uptodate(&self) -> bool {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::folio_test_uptodate(self.as_raw()) }
    }

    /// Returns `true` if the folio is dirty.
    #[inline]
    pub fn is_dirty(&self) -> bool {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::folio_test_dirty(self.as_raw()) }
    }

    /// Returns `true` if someone holds the folio lock.
    #[inline]
    pub fn is_locked(&self) -> bool {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::folio_test_locked(self.as_raw()) }
    }

    /// Returns `true` if memory-failure handling marked a page of the folio as poisoned; such
    /// data must not be mapped.
    #[inline]
    pub fn is_hwpoison(&self) -> bool {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::uffd_shim_folio_test_hwpoison(self.as_raw()) }
    }

    /// Returns `true` if the folio's pages are in the kernel direct map, as every page is but
    /// those of a [`TypeFlag::NoDirectMap`](super::TypeFlag::NoDirectMap) type while in a file.
    #[inline]
    pub fn is_direct_mapped(&self) -> bool {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::uffd_shim_folio_direct_mapped(self.as_raw()) }
    }
}

/// A new folio that nobody else sees: the only form of a folio that can enter a page cache.
///
/// It is made by allocation ([`NewFolio::alloc`], [`NewFolio::alloc_for_vma`]) zeroed, so its
/// contents are always defined; it can be written ([`NewFolio::write`],
/// [`NewFolio::copy_from_user`]) without a lock, and inserting it
/// ([`AddressSpace::add_folio`]) consumes it. It is not [`Clone`] and does not dereference to
/// [`Folio`]: no shared reference to it can exist while it lives.
///
/// # Invariants
///
/// `folio` is order 0, unlocked, in no page cache, not on the LRU and mapped by no page table,
/// and no one else reads or writes its contents or takes references on it while the `NewFolio`
/// lives: the only other reference, if any, is held by the kernel code that lent it, which does
/// not touch it until the `NewFolio` is gone.
pub struct NewFolio {
    folio: ARef<Folio>,
}

impl NewFolio {
    /// Takes over a new folio.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid folio that satisfies the invariants of [`NewFolio`] for as
    /// long as the returned value lives, with a reference that the caller hands over.
    #[inline]
    pub(crate) unsafe fn from_owned(ptr: NonNull<bindings::folio>) -> Self {
        // SAFETY: The caller hands over a reference on a valid folio.
        let folio = unsafe { Folio::from_owned(ptr) };
        // INVARIANT: The caller guarantees the rest.
        Self { folio }
    }

    /// Allocates a zeroed, order-0 folio for the page cache of `mapping`.
    ///
    /// The folio uses the gfp mask of `mapping`, or `GFP_KERNEL` without one, and is charged to
    /// the memory cgroup of the current task. Fails with [`ENOMEM`] when memory, or the memory
    /// cgroup's allowance, runs out.
    #[inline]
    pub fn alloc(mapping: Option<&AddressSpace>) -> Result<Self> {
        let mapping = mapping.map_or(core::ptr::null_mut(), AddressSpace::as_raw);
        // SAFETY: `mapping` is null, which the function accepts, or a valid mapping (type
        // invariants of `AddressSpace`).
        let ptr = unsafe { bindings::uffd_shim_folio_alloc(mapping) };
        let ptr = NonNull::new(ptr).ok_or(ENOMEM)?;
        // SAFETY: The function returns a zeroed order-0 folio, unlocked, in no page cache, on no
        // LRU, unmapped, with one reference: ours. Nobody else knows it.
        Ok(unsafe { Self::from_owned(ptr) })
    }

    /// Allocates a zeroed, order-0 folio for the page cache of `vma`, to be mapped at `addr`.
    ///
    /// Like [`NewFolio::alloc`] with the VMA's page cache, but charged to the memory cgroup of
    /// the VMA's mm, where userfaultfd fills belong.
    #[inline]
    pub fn alloc_for_vma<T: MemoryType>(vma: &ShimVma<T>, addr: usize) -> Result<Self> {
        // SAFETY: `vma` maps a file of a registered shim type and is locked (type invariants of
        // `ShimVma`), so its `vm_file`, the file's `f_mapping` and its `vm_mm` are valid.
        let ptr = unsafe { bindings::uffd_shim_folio_alloc_vma(vma.as_ptr(), addr) };
        let ptr = NonNull::new(ptr).ok_or(ENOMEM)?;
        // SAFETY: As for `alloc`.
        Ok(unsafe { Self::from_owned(ptr) })
    }

    #[inline]
    pub(crate) fn as_raw(&self) -> *mut bindings::folio {
        self.folio.as_raw()
    }

    /// Hands the reference over, for insertion into a page cache.
    #[inline]
    pub(crate) fn into_folio(self) -> ARef<Folio> {
        self.folio
    }

    /// The size of the folio, in bytes.
    #[inline]
    pub fn size(&self) -> usize {
        self.folio.size()
    }

    /// Fills the whole folio with zeroes.
    #[inline]
    pub fn zero(&mut self) {
        // SAFETY: `self` is valid (type invariants of `Folio`).
        unsafe { bindings::uffd_shim_folio_zero(self.as_raw()) };
    }

    /// Copies `data` into the folio, at byte `offset`.
    ///
    /// Fails with [`EINVAL`] if the range does not fit in the folio.
    #[inline]
    pub fn write(&mut self, offset: usize, data: &[u8]) -> Result {
        // SAFETY: `self` is valid and `data` is valid for reads of `data.len()` bytes. The
        // function checks the range against the folio.
        to_result(unsafe {
            bindings::uffd_shim_folio_write(self.as_raw(), offset, data.as_ptr().cast(), data.len())
        })
    }

    /// Copies from the folio, at byte `offset`, into `buf`, filling it.
    ///
    /// Fails with [`EINVAL`] if the range does not fit in the folio.
    #[inline]
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result {
        // SAFETY: `self` is valid and `buf` is valid for writes of `buf.len()` bytes. The
        // function checks the range against the folio.
        to_result(unsafe {
            bindings::uffd_shim_folio_read(
                self.as_raw(),
                offset,
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        })
    }

    /// Copies `len` bytes from user space, read from `reader`, into the folio at byte `offset`.
    ///
    /// Fails with [`EINVAL`] if the range does not fit in the folio, and with [`EFAULT`] if user
    /// space could not be read; the folio's contents are then partly copied, but defined.
    pub fn copy_from_user(
        &mut self,
        offset: usize,
        reader: &mut UserSliceReader,
        len: usize,
    ) -> Result {
        // SAFETY: A folio is its first `struct page` followed by the others; the folio is order
        // 0 (type invariants), and its page is valid while `self` holds its reference.
        let page = unsafe { BorrowedPage::from_raw(NonNull::from(&*self.folio).cast()) };
        // SAFETY: Nobody else reads or writes the folio's contents while `self` lives (type
        // invariants), and `&mut self` excludes this `NewFolio`'s other users: the slice the
        // copy makes into the page is the only access. A new folio is in the direct map.
        unsafe { page.copy_from_user_slice_raw(reader, offset, len) }
    }
}

/// A new folio whose contents are not defined yet: what [`MemoryType::alloc_folio`] returns for
/// `UFFDIO_COPY` or `UFFDIO_ZEROPAGE` to fill.
///
/// The kernel writes every byte of it before it hands it back to [`MemoryType::filemap_add`] as a
/// [`NewFolio`], so it need not be zeroed, and zeroing a page is most of what allocating one
/// costs. Nothing can read or write it: it has no methods but the allocation and the conversion
/// from a [`NewFolio`], for a type that allocates in its own way.
///
/// # Invariants
///
/// As for [`NewFolio`], but for the contents, which are undefined.
pub struct UnfilledFolio {
    folio: ARef<Folio>,
}

impl UnfilledFolio {
    /// Allocates an order-0 folio for the page cache of `vma`, to be mapped at `addr`, with
    /// undefined contents, as the shim's default `alloc_folio` does.
    ///
    /// It is charged to the memory cgroup of the VMA's mm, where userfaultfd fills belong. Fails
    /// with [`ENOMEM`] when memory, or the memory cgroup's allowance, runs out.
    #[inline]
    pub fn alloc_for_vma<T: MemoryType>(vma: &ShimVma<T>, addr: usize) -> Result<Self> {
        // SAFETY: `vma` maps a file of a registered shim type and is locked (type invariants of
        // `ShimVma`), so its `vm_file`, the file's `f_mapping` and its `vm_mm` are valid.
        let ptr = unsafe { bindings::uffd_shim_default_alloc_folio(vma.as_ptr(), addr) };
        let ptr = NonNull::new(ptr).ok_or(ENOMEM)?;
        // SAFETY: The function returns an order-0 folio, unlocked, in no page cache, on no LRU,
        // unmapped, with one reference: ours. Nobody else knows it.
        let folio = unsafe { Folio::from_owned(ptr) };
        // INVARIANT: As just said; its contents are not read before the kernel fills them.
        Ok(Self { folio })
    }

    /// Hands the reference over, to the kernel that fills the folio.
    #[inline]
    pub(crate) fn into_folio(self) -> ARef<Folio> {
        self.folio
    }
}

impl From<NewFolio> for UnfilledFolio {
    /// A folio the type allocated itself, whose contents the kernel then overwrites.
    #[inline]
    fn from(folio: NewFolio) -> Self {
        // INVARIANT: A `NewFolio` satisfies every invariant of `UnfilledFolio`.
        Self {
            folio: folio.into_folio(),
        }
    }
}

/// An owned reference on a folio together with the folio lock.
///
/// It dereferences to [`Folio`] and adds what needs the lock. Dropping it unlocks the folio,
/// then drops the reference. The lock excludes the other holders of the lock (truncation,
/// page-cache insertion and removal), not readers of an uptodate folio nor userspace mappings of
/// it: its copies are done by C, with `kmap_local`, into memory that Rust never references, and
/// C refuses them ([`EFAULT`], with a warning) on a folio out of the kernel direct map.
///
/// # Invariants
///
/// `folio` is locked, and the lock is owned by this `LockedFolio`.
pub struct LockedFolio {
    folio: ARef<Folio>,
}

impl LockedFolio {
    /// Locks `folio`, sleeping until the lock is available.
    ///
    /// The folio lock is not recursive: locking a folio whose lock the caller already holds
    /// deadlocks.
    ///
    /// Context: process context, may sleep.
    #[inline]
    pub fn lock(folio: ARef<Folio>) -> Self {
        // SAFETY: `folio` is valid (type invariants of `Folio`).
        unsafe { bindings::folio_lock(folio.as_raw()) };
        // INVARIANT: We just took the lock.
        Self { folio }
    }

    /// Locks `folio` if nobody holds its lock; never sleeps. Gives `folio` back otherwise.
    #[inline]
    pub fn try_lock(folio: ARef<Folio>) -> core::result::Result<Self, ARef<Folio>> {
        // SAFETY: `folio` is valid (type invariants of `Folio`).
        if unsafe { bindings::folio_trylock(folio.as_raw()) } {
            // INVARIANT: We just took the lock.
            Ok(Self { folio })
        } else {
            Err(folio)
        }
    }

    /// Takes over a locked folio and a reference on it.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid, locked `struct folio`; the caller must own both the lock and
    /// a reference on it, and hand them over.
    #[inline]
    pub(crate) unsafe fn from_raw(ptr: NonNull<bindings::folio>) -> Self {
        // SAFETY: The caller hands over a reference on a valid folio.
        let folio = unsafe { Folio::from_owned(ptr) };
        // INVARIANT: The caller hands over the lock.
        Self { folio }
    }

    /// Consumes `self` without unlocking the folio, keeping the reference.
    #[inline]
    fn forget_lock(self) -> ARef<Folio> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the reference moves out exactly once.
        unsafe { core::ptr::read(&this.folio) }
    }

    /// Hands the lock and the reference over to C, which must release both.
    #[inline]
    pub(crate) fn into_raw(self) -> *mut bindings::folio {
        ARef::into_raw(self.forget_lock())
            .cast::<bindings::folio>()
            .as_ptr()
    }

    /// Hands the lock over to C, which must release it, and drops the reference.
    #[inline]
    pub(crate) fn leave_locked(self) {
        drop(self.forget_lock());
    }

    /// Unlocks the folio, keeping the reference.
    #[inline]
    pub fn unlock(self) -> ARef<Folio> {
        let folio = self.forget_lock();
        // SAFETY: `folio` is valid, and we owned its lock (type invariants) and give it up here.
        unsafe { bindings::folio_unlock(folio.as_raw()) };
        folio
    }

    /// Returns `true` if the folio is in the page cache `mapping`.
    ///
    /// The lock keeps the answer true: truncation locks a folio before it takes it out of the
    /// page cache.
    #[inline]
    pub fn is_in(&self, mapping: &AddressSpace) -> bool {
        // SAFETY: `self` is valid (type invariants of `Folio`).
        let ptr = unsafe { bindings::folio_mapping(self.as_raw()) };
        core::ptr::eq(ptr, mapping.as_raw())
    }

    /// Fills the whole folio with zeroes.
    #[inline]
    pub fn zero(&self) {
        // SAFETY: `self` is valid (type invariants of `Folio`).
        unsafe { bindings::uffd_shim_folio_zero(self.as_raw()) };
    }

    /// Copies `data` into the folio, at byte `offset`.
    ///
    /// Fails with [`EINVAL`] if the range does not fit in the folio.
    #[inline]
    pub fn write(&self, offset: usize, data: &[u8]) -> Result {
        // SAFETY: `self` is valid and `data` is valid for reads of `data.len()` bytes. The
        // function checks the range against the folio.
        to_result(unsafe {
            bindings::uffd_shim_folio_write(self.as_raw(), offset, data.as_ptr().cast(), data.len())
        })
    }

    /// Copies from the folio, at byte `offset`, into `buf`, filling it.
    ///
    /// Fails with [`EINVAL`] if the range does not fit in the folio.
    #[inline]
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result {
        // SAFETY: `self` is valid and `buf` is valid for writes of `buf.len()` bytes. The
        // function checks the range against the folio.
        to_result(unsafe {
            bindings::uffd_shim_folio_read(
                self.as_raw(),
                offset,
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        })
    }

    /// Marks the folio dirty, through its mapping; returns `true` if it was clean.
    #[inline]
    pub fn mark_dirty(&self) -> bool {
        // SAFETY: `self` is valid and locked (type invariants), which keeps its mapping, if any,
        // from going away under the function.
        unsafe { bindings::uffd_shim_folio_mark_dirty(self.as_raw()) }
    }
}

impl Deref for LockedFolio {
    type Target = Folio;

    #[inline]
    fn deref(&self) -> &Folio {
        &self.folio
    }
}

impl Drop for LockedFolio {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: `self` owns the lock (type invariants), and the reference, dropped after this,
        // keeps the folio valid.
        unsafe { bindings::folio_unlock(self.folio.as_raw()) };
    }
}

/// A new folio on its way into the page cache of a file, as [`MemoryType::prepare_folio`] sees
/// it: its contents are final, and nobody else sees it yet.
///
/// It only tells about the folio: it cannot be locked, copied from or referenced, which would
/// stop it from entering the page cache.
///
/// # Invariants
///
/// The folio is valid, with a reference held by the shim, for the lifetime of the reference.
#[repr(transparent)]
pub struct IncomingFolio(Opaque<bindings::folio>);

impl IncomingFolio {
    /// Borrows a folio on its way into a page cache.
    ///
    /// # Safety
    ///
    /// `ptr` must satisfy the type invariants for `'a`.
    #[inline]
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::folio) -> &'a Self {
        // SAFETY: `IncomingFolio` is a transparent wrapper of `struct folio`, and the caller
        // guarantees the type invariants for `'a`.
        unsafe { &*ptr.cast() }
    }

    #[inline]
    pub(crate) fn as_raw(&self) -> *mut bindings::folio {
        self.0.get()
    }

    /// The number of pages in the folio.
    #[inline]
    pub fn nr_pages(&self) -> usize {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::folio_nr_pages(self.as_raw()) }
    }

    /// Returns `true` if the folio's pages are in the kernel direct map.
    #[inline]
    pub fn is_direct_mapped(&self) -> bool {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::uffd_shim_folio_direct_mapped(self.0.get()) }
    }
}

/// A folio leaving the page cache of a file, as [`MemoryType::free_folio`] sees it.
///
/// Its reference count may be frozen at zero (reclaim), so no reference can be taken on it; it is
/// valid for the duration of the callback.
///
/// # Invariants
///
/// The folio is valid, out of every page cache and mapped by no page table, for the lifetime of
/// the reference.
#[repr(transparent)]
pub struct LeavingFolio(Opaque<bindings::folio>);

impl LeavingFolio {
    /// Borrows a folio that leaves the page cache.
    ///
    /// # Safety
    ///
    /// `ptr` must satisfy the type invariants for `'a`.
    #[inline]
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::folio) -> &'a Self {
        // SAFETY: `LeavingFolio` is a transparent wrapper of `struct folio`, and the caller
        // guarantees the type invariants for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns `true` if the folio's pages are in the kernel direct map; those of a
    /// [`TypeFlag::NoDirectMap`](super::TypeFlag::NoDirectMap) type are not, until the
    /// abstraction puts them back (and zeroes them) after [`MemoryType::free_folio`].
    #[inline]
    pub fn is_direct_mapped(&self) -> bool {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::uffd_shim_folio_direct_mapped(self.0.get()) }
    }

    /// Fills the folio with zeroes, so that its data does not outlive the file; a folio out of
    /// the direct map is left alone, with a warning.
    #[inline]
    pub fn zero(&self) {
        // SAFETY: `self` is valid (type invariants); the function refuses a folio it cannot
        // reach.
        unsafe { bindings::uffd_shim_folio_zero(self.0.get()) };
    }
}
