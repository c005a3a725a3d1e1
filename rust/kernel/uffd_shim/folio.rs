// SPDX-License-Identifier: GPL-2.0

//! Folios and page caches, through the out-of-line folio operations of uffd-shim.
//!
//! C header: [`include/linux/uffd_shim.h`](srctree/include/linux/uffd_shim.h)

use super::ShimVma;
use crate::{
    bindings,
    error::to_result,
    prelude::*,
    sync::aref::{
        ARef,
        AlwaysRefCounted, //
    },
    types::Opaque,
};
use core::{
    mem::ManuallyDrop,
    ops::Deref,
    ptr::{
        self,
        NonNull, //
    },
};

/// A folio: a power-of-two run of pages, the unit of the page cache (`struct folio`).
///
/// It is always used by reference: [`ARef<Folio>`] owns a reference, `&Folio` borrows one. The
/// operations that need the folio lock are on [`FolioLocked`], which a [`FolioGuard`] (from
/// [`Folio::lock`]) or a [`LockedFolio`] dereferences to.
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
// same folio: reference counts and flags are atomic, and the folio lock is a sleeping lock.
unsafe impl Sync for Folio {}

// SAFETY: By the type invariants, a folio is always reference counted, with `folio_get()` and
// `folio_put()`, and a reference keeps it alive.
unsafe impl AlwaysRefCounted for Folio {
    fn inc_ref(&self) {
        // SAFETY: `self` is valid and a reference on it is held (type invariants), as
        // `folio_get()` requires.
        unsafe { bindings::uffd_shim_folio_get(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it owns on a valid folio; `Folio` is a
        // transparent wrapper of `struct folio`.
        unsafe { bindings::uffd_shim_folio_put(obj.cast::<bindings::folio>().as_ptr()) };
    }
}

impl Folio {
    /// Borrows a folio from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct folio`, and a reference on it must be held, by the
    /// caller or on its behalf, for the whole of `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::folio) -> &'a Self {
        // SAFETY: `Folio` is a transparent wrapper of `struct folio`, and the caller guarantees
        // the type invariants for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns a raw pointer to the `struct folio`.
    pub fn as_raw(&self) -> *mut bindings::folio {
        self.0.get()
    }

    /// Takes ownership of a reference on a folio.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct folio`, and the caller must own a reference on it,
    /// which it hands over.
    unsafe fn from_owned(ptr: NonNull<bindings::folio>) -> ARef<Self> {
        // SAFETY: `Folio` is a transparent wrapper of `struct folio`, and the caller hands over a
        // reference it owns.
        unsafe { ARef::from_raw(ptr.cast()) }
    }

    /// Allocates an order-0 folio for the page cache of `mapping`.
    ///
    /// The folio uses the gfp mask of `mapping`, or `GFP_KERNEL` without one, and is charged to
    /// the memory cgroup of the current task. It is unlocked, has one reference (the returned
    /// one), is in no page cache, and its contents are undefined.
    ///
    /// Fails with [`ENOMEM`] when memory, or the memory cgroup's allowance, runs out.
    pub fn alloc(mapping: Option<&Mapping>) -> Result<ARef<Self>> {
        let mapping = mapping.map_or(ptr::null_mut(), Mapping::as_raw);
        // SAFETY: `mapping` is null, which the function accepts, or a valid mapping (type
        // invariants of `Mapping`).
        let ptr = unsafe { bindings::uffd_shim_folio_alloc(mapping) };
        let ptr = NonNull::new(ptr).ok_or(ENOMEM)?;
        // SAFETY: A folio the function returns has one reference, which is now ours.
        Ok(unsafe { Self::from_owned(ptr) })
    }

    /// Allocates an order-0 folio for the page cache of `vma`, to be mapped at `addr`.
    ///
    /// Like [`Folio::alloc`] with the VMA's page cache, but charged to the memory cgroup of the
    /// VMA's mm, where userfaultfd fills belong.
    pub fn alloc_for_vma(vma: &ShimVma, addr: usize) -> Result<ARef<Self>> {
        // SAFETY: `vma` maps a file of a registered shim type and is locked (type invariants of
        // `ShimVma`), so its `vm_file`, the file's `f_mapping` and its `vm_mm`, which the function
        // uses, are valid.
        let ptr = unsafe { bindings::uffd_shim_folio_alloc_vma(vma.as_ptr(), addr) };
        let ptr = NonNull::new(ptr).ok_or(ENOMEM)?;
        // SAFETY: A folio the function returns has one reference, which is now ours.
        Ok(unsafe { Self::from_owned(ptr) })
    }

    /// The file index of the folio's first page, in pages.
    ///
    /// Only meaningful for a page-cache folio, and stable only while the folio is locked.
    pub fn index(&self) -> usize {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::uffd_shim_folio_index(self.as_raw()) }
    }

    /// The size of the folio, in bytes.
    pub fn size(&self) -> usize {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::uffd_shim_folio_size(self.as_raw()) }
    }

    /// The number of pages in the folio: a power of two, 1 for a small folio.
    pub fn nr_pages(&self) -> usize {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::uffd_shim_folio_nr_pages(self.as_raw()) }
    }

    /// The reference count, for tests and checks; racy unless other users are excluded.
    pub fn refcount(&self) -> i32 {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::uffd_shim_folio_refcount(self.as_raw()) }
    }

    /// Returns `true` if the folio holds valid data.
    pub fn is_uptodate(&self) -> bool {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::uffd_shim_folio_test_uptodate(self.as_raw()) }
    }

    /// Returns `true` if the folio is dirty.
    pub fn is_dirty(&self) -> bool {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::uffd_shim_folio_test_dirty(self.as_raw()) }
    }

    /// Returns `true` if someone holds the folio lock.
    pub fn is_locked(&self) -> bool {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::uffd_shim_folio_test_locked(self.as_raw()) }
    }

    /// Returns `true` if memory-failure handling marked a page of the folio as poisoned; such
    /// data must not be mapped.
    pub fn is_hwpoison(&self) -> bool {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::uffd_shim_folio_test_hwpoison(self.as_raw()) }
    }

    /// Locks the folio, sleeping until the lock is available.
    ///
    /// The folio lock is not recursive: locking a folio whose lock the caller already holds
    /// deadlocks.
    ///
    /// Context: process context, may sleep.
    pub fn lock(&self) -> FolioGuard<'_> {
        // SAFETY: `self` is valid (type invariants).
        unsafe { bindings::uffd_shim_folio_lock(self.as_raw()) };
        // SAFETY: We just took the lock, and hand it over to the guard.
        unsafe { FolioGuard::from_locked(self) }
    }

    /// Locks the folio if nobody holds its lock; never sleeps.
    pub fn try_lock(&self) -> Option<FolioGuard<'_>> {
        // SAFETY: `self` is valid (type invariants).
        let locked = unsafe { bindings::uffd_shim_folio_trylock(self.as_raw()) };
        if !locked {
            return None;
        }
        // SAFETY: We just took the lock, and hand it over to the guard.
        Some(unsafe { FolioGuard::from_locked(self) })
    }
}

/// A folio whose lock is held: what [`FolioGuard`] and [`LockedFolio`] dereference to.
///
/// It has the operations that need the folio lock, and dereferences to [`Folio`] for the rest.
/// The lock excludes the other holders of the lock (truncation, page-cache insertion and removal,
/// writes through `write_begin`), not readers of an uptodate folio nor userspace mappings of it.
/// The copies are done by C, with `kmap_local`, into memory that Rust never references.
///
/// # Invariants
///
/// The folio lock is held, on behalf of whoever lent the `&FolioLocked`, for the whole lifetime of
/// the reference.
#[repr(transparent)]
pub struct FolioLocked(Folio);

impl FolioLocked {
    /// Views a locked folio as a [`FolioLocked`].
    ///
    /// # Safety
    ///
    /// The lock of `folio` must be held, by the caller or on its behalf, for the whole of `'a`.
    unsafe fn from_folio<'a>(folio: &'a Folio) -> &'a Self {
        // SAFETY: `FolioLocked` is a transparent wrapper of `Folio`, and the caller guarantees
        // the type invariants for `'a`.
        unsafe { &*ptr::from_ref(folio).cast() }
    }

    /// Fills the whole folio with zeroes.
    pub fn zero(&self) {
        // SAFETY: `self` is valid (type invariants of `Folio`).
        unsafe { bindings::uffd_shim_folio_zero(self.as_raw()) };
    }

    /// Copies `data` into the folio, at byte `offset`.
    ///
    /// Fails with [`EINVAL`] if the range does not fit in the folio.
    pub fn write(&self, offset: usize, data: &[u8]) -> Result {
        // SAFETY: `self` is valid (type invariants of `Folio`) and `data` is valid for reads of
        // `data.len()` bytes. The function checks the range against the folio.
        to_result(unsafe {
            bindings::uffd_shim_folio_write(self.as_raw(), offset, data.as_ptr().cast(), data.len())
        })
    }

    /// Copies from the folio, at byte `offset`, into `buf`, filling it.
    ///
    /// Fails with [`EINVAL`] if the range does not fit in the folio.
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result {
        // SAFETY: `self` is valid (type invariants of `Folio`) and `buf` is valid for writes of
        // `buf.len()` bytes. The function checks the range against the folio.
        to_result(unsafe {
            bindings::uffd_shim_folio_read(
                self.as_raw(),
                offset,
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        })
    }

    /// Marks the folio's data valid.
    ///
    /// Orders the preceding writes to the data before the flag, so that a mapping installed
    /// after this sees the data.
    pub fn mark_uptodate(&self) {
        // SAFETY: `self` is valid and locked (type invariants), as the function requires.
        unsafe { bindings::uffd_shim_folio_mark_uptodate(self.as_raw()) };
    }

    /// Marks the folio dirty, through its mapping; returns `true` if it was clean.
    pub fn mark_dirty(&self) -> bool {
        // SAFETY: `self` is valid and locked (type invariants), which keeps its mapping, if any,
        // from going away under the function.
        unsafe { bindings::uffd_shim_folio_mark_dirty(self.as_raw()) }
    }

    /// The page cache the folio is in, or `None` if it is in none (never added, or truncated).
    pub fn mapping(&self) -> Option<&Mapping> {
        // SAFETY: `self` is valid (type invariants of `Folio`).
        let ptr = unsafe { bindings::uffd_shim_folio_mapping(self.as_raw()) };
        if ptr.is_null() {
            return None;
        }
        // SAFETY: The folio is locked (type invariants) and in the page cache `ptr`. Truncation
        // locks a folio before it takes it out of the page cache, so it stays there for the
        // borrow of `self`, and an inode is only freed once its page cache is empty: `ptr` and its
        // host stay valid for the borrow of `self`.
        Some(unsafe { Mapping::from_raw(ptr) })
    }
}

// Make all `Folio` methods available on `FolioLocked`.
impl Deref for FolioLocked {
    type Target = Folio;

    fn deref(&self) -> &Folio {
        &self.0
    }
}

/// The lock of a borrowed [`Folio`], released when the guard is dropped.
///
/// It dereferences to [`FolioLocked`]. [`FolioGuard::keep_locked`] consumes the guard without
/// unlocking, to hand the lock over to C.
///
/// # Invariants
///
/// The guard owns the lock of `folio` until it is dropped or consumed by
/// [`FolioGuard::keep_locked`].
#[must_use = "the folio is unlocked when the guard is dropped"]
pub struct FolioGuard<'a> {
    folio: &'a Folio,
}

impl<'a> FolioGuard<'a> {
    /// Takes over the lock of `folio`, which the guard releases when dropped.
    ///
    /// # Safety
    ///
    /// The caller must hold the lock of `folio` and hand it over to the guard.
    pub unsafe fn from_locked(folio: &'a Folio) -> Self {
        // INVARIANT: The caller hands the lock over to the guard.
        Self { folio }
    }

    /// Consumes the guard without unlocking the folio.
    ///
    /// The lock passes to the caller's C counterpart, which must release it: this is how
    /// [`MemoryType::filemap_add`](super::MemoryType::filemap_add) leaves the folio locked in
    /// the page cache for the kernel.
    pub fn keep_locked(self) {
        core::mem::forget(self);
    }
}

impl Deref for FolioGuard<'_> {
    type Target = FolioLocked;

    fn deref(&self) -> &FolioLocked {
        // SAFETY: The guard owns the lock (type invariants) until it is dropped or consumed, both
        // of which end the borrow of `self`.
        unsafe { FolioLocked::from_folio(self.folio) }
    }
}

impl Drop for FolioGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: The guard owns the lock (type invariants), and the borrowed reference keeps the
        // folio valid.
        unsafe { bindings::uffd_shim_folio_unlock(self.folio.as_raw()) };
    }
}

/// An owned reference on a folio together with the folio lock.
///
/// It dereferences to [`FolioLocked`]. Dropping it unlocks the folio, then drops the reference.
/// [`LockedFolio::into_raw`] hands both over to C: this is what
/// [`MemoryType::get_folio_noalloc`](super::MemoryType::get_folio_noalloc) returns.
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
    /// Context: process context, may sleep.
    pub fn lock(folio: ARef<Folio>) -> Self {
        // SAFETY: `folio` is valid (type invariants of `Folio`).
        unsafe { bindings::uffd_shim_folio_lock(folio.as_raw()) };
        // INVARIANT: We just took the lock.
        Self { folio }
    }

    /// Takes over a locked folio and a reference on it.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid, locked `struct folio`; the caller must own both the lock and
    /// a reference on it, and hand them over.
    pub unsafe fn from_raw(ptr: NonNull<bindings::folio>) -> Self {
        // SAFETY: The caller hands over a reference on a valid folio.
        let folio = unsafe { Folio::from_owned(ptr) };
        // INVARIANT: The caller hands over the lock.
        Self { folio }
    }

    /// Consumes `self` without unlocking the folio or dropping the reference.
    fn into_locked_ref(self) -> ARef<Folio> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the reference moves out exactly once.
        unsafe { ptr::read(&this.folio) }
    }

    /// Hands the lock and the reference over to C, which must release both.
    pub fn into_raw(self) -> *mut bindings::folio {
        ARef::into_raw(self.into_locked_ref())
            .cast::<bindings::folio>()
            .as_ptr()
    }

    /// Unlocks the folio, keeping the reference.
    pub fn unlock(self) -> ARef<Folio> {
        let folio = self.into_locked_ref();
        // SAFETY: `folio` is valid, and we owned its lock (type invariants) and give it up here.
        unsafe { bindings::uffd_shim_folio_unlock(folio.as_raw()) };
        folio
    }
}

impl Deref for LockedFolio {
    type Target = FolioLocked;

    fn deref(&self) -> &FolioLocked {
        // SAFETY: `self` owns the lock (type invariants) until it is dropped or consumed, both of
        // which end the borrow of `self`.
        unsafe { FolioLocked::from_folio(&self.folio) }
    }
}

impl Drop for LockedFolio {
    fn drop(&mut self) {
        // SAFETY: `self` owns the lock (type invariants), and the reference, dropped after this,
        // keeps the folio valid.
        unsafe { bindings::uffd_shim_folio_unlock(self.folio.as_raw()) };
    }
}

/// The page cache of a file (`struct address_space`).
///
/// # Invariants
///
/// A `&Mapping` points to a valid `struct address_space` whose host inode stays alive for the
/// whole lifetime of the reference.
#[repr(transparent)]
pub struct Mapping(Opaque<bindings::address_space>);

// SAFETY: The page-cache operations reached through `&Mapping` are C functions that are safe to
// call concurrently on the same mapping (the page cache has its own locking).
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Borrows a page cache from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct address_space` whose host inode stays alive for the
    /// whole of `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::address_space) -> &'a Self {
        // SAFETY: `Mapping` is a transparent wrapper of `struct address_space`, and the caller
        // guarantees the type invariants for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns a raw pointer to the `struct address_space`.
    pub fn as_raw(&self) -> *mut bindings::address_space {
        self.0.get()
    }

    /// The folio covering `index`, with a reference, unlocked; `None` on a hole.
    ///
    /// Without the lock the folio may be truncated at any time: check
    /// [`FolioLocked::mapping`] under the lock before trusting it.
    pub fn get_folio(&self, index: usize) -> Option<ARef<Folio>> {
        // SAFETY: `self` is valid (type invariants).
        let ptr = unsafe { bindings::uffd_shim_filemap_get_folio(self.as_raw(), index) };
        let ptr = NonNull::new(ptr)?;
        // SAFETY: A folio the function returns has a reference, which is now ours.
        Some(unsafe { Folio::from_owned(ptr) })
    }

    /// The folio covering `index`, locked, with a reference, and still in this page cache;
    /// `None` on a hole.
    ///
    /// Context: process context, may sleep for the folio lock.
    pub fn lock_folio(&self, index: usize) -> Option<LockedFolio> {
        // SAFETY: `self` is valid (type invariants).
        let ptr = unsafe { bindings::uffd_shim_filemap_lock_folio(self.as_raw(), index) };
        let ptr = NonNull::new(ptr)?;
        // SAFETY: A folio the function returns is locked, with a reference: both are now ours.
        Some(unsafe { LockedFolio::from_raw(ptr) })
    }

    /// Inserts `folio` into this page cache at `index`, and onto the LRU.
    ///
    /// `folio` must come from [`Folio::alloc`] or [`Folio::alloc_for_vma`]: unlocked, in no page
    /// cache. `index` must be a multiple of its page count. The page cache takes references of its
    /// own; the caller's is unchanged. Any index is accepted, even at or after the end of the file.
    ///
    /// Returns the folio locked in the page cache. Fails with [`EEXIST`] if `index` is populated,
    /// [`EINVAL`] (with a warning) if `folio` is locked, in a page cache or misaligned, and
    /// [`ENOMEM`]; `folio` is then unlocked and not in the page cache.
    pub fn add_folio<'a>(&self, folio: &'a Folio, index: usize) -> Result<FolioGuard<'a>> {
        // SAFETY: `self` and `folio` are valid (type invariants); the function checks the
        // folio's state itself.
        to_result(unsafe {
            bindings::uffd_shim_filemap_add_folio(self.as_raw(), folio.as_raw(), index)
        })?;
        // SAFETY: On success the folio is locked, and the lock is ours.
        Ok(unsafe { FolioGuard::from_locked(folio) })
    }

    /// Takes `folio`, locked and in this page cache, out of the page cache.
    ///
    /// The folio stays locked and the caller's reference valid; the mapping's `->free_folio`
    /// sees it leave. Fails with [`EINVAL`] if the folio is not in this page cache (any more),
    /// and with [`EBUSY`] if a page table still maps it.
    pub fn remove_folio(&self, folio: &FolioLocked) -> Result {
        let in_self = folio
            .mapping()
            .is_some_and(|mapping| ptr::eq(mapping, self));
        if !in_self {
            return Err(EINVAL);
        }
        // SAFETY: `folio` is valid, locked and in a page cache, as the function requires.
        to_result(unsafe { bindings::uffd_shim_filemap_remove_folio(folio.as_raw()) })
    }
}

#[cfg(CONFIG_UFFD_SHIM_KUNIT_TEST)]
#[macros::kunit_tests(rust_uffd_shim_folio)]
mod tests {
    // Each test takes its results first and asserts them once it has released the folio: a
    // failed assertion ends the test without running destructors, which would leave the folio
    // locked or leak it.

    use super::*;

    #[test]
    fn clone_takes_a_reference_and_drop_releases_it() -> Result {
        let folio = Folio::alloc(None)?;
        let alone = folio.refcount();
        let clone = folio.clone();
        let with_clone = folio.refcount();
        drop(clone);
        let after = folio.refcount();
        drop(folio);

        assert_eq!(alone, 1);
        assert_eq!(with_clone, 2);
        assert_eq!(after, 1);
        Ok(())
    }

    #[test]
    fn guard_unlocks_on_drop() -> Result {
        let folio = Folio::alloc(None)?;
        let before = folio.is_locked();
        let guard = folio.lock();
        let held = folio.is_locked();
        drop(guard);
        let after = folio.is_locked();
        drop(folio);

        assert!(!before);
        assert!(held);
        assert!(!after);
        Ok(())
    }

    #[test]
    fn try_lock_fails_while_locked() -> Result {
        let folio = Folio::alloc(None)?;
        let guard = folio.lock();
        let second = folio.try_lock();
        let refused = second.is_none();
        drop(second);
        drop(guard);
        let again = folio.try_lock();
        let taken = again.is_some();
        drop(again);
        drop(folio);

        assert!(refused);
        assert!(taken);
        Ok(())
    }

    #[test]
    fn keep_locked_hands_the_lock_over() -> Result {
        let folio = Folio::alloc(None)?;
        folio.lock().keep_locked();
        let kept = folio.is_locked();
        // SAFETY: `keep_locked` left the lock with us; the new guard takes it over.
        drop(unsafe { FolioGuard::from_locked(&folio) });
        let released = !folio.is_locked();
        drop(folio);

        assert!(kept);
        assert!(released);
        Ok(())
    }

    #[test]
    fn locked_folio_unlock_keeps_the_reference() -> Result {
        let locked = LockedFolio::lock(Folio::alloc(None)?);
        let held = locked.is_locked();
        let folio = locked.unlock();
        let released = !folio.is_locked();
        let refs = folio.refcount();
        drop(folio);

        assert!(held);
        assert!(released);
        assert_eq!(refs, 1);
        Ok(())
    }

    #[test]
    fn write_then_read_returns_the_bytes() -> Result {
        const DATA: [u8; 16] = *b"uffd-shim folio!";

        let folio = Folio::alloc(None)?;
        let guard = folio.lock();
        // Up to the last byte of the folio.
        let offset = guard.size() - DATA.len();
        let mut back = [0u8; DATA.len()];
        let written = guard.write(offset, &DATA);
        let read = guard.read(offset, &mut back);
        drop(guard);
        drop(folio);

        assert_eq!(written, Ok(()));
        assert_eq!(read, Ok(()));
        assert_eq!(back, DATA);
        Ok(())
    }

    #[test]
    fn write_past_the_end_is_einval() -> Result {
        let folio = Folio::alloc(None)?;
        let guard = folio.lock();
        let size = guard.size();
        let mut buf = [0u8; 2];
        let straddling_write = guard.write(size - 1, &[1, 2]);
        let straddling_read = guard.read(size - 1, &mut buf);
        let beyond = guard.write(size + 1, &[]);
        let overflowing = guard.write(usize::MAX, &[1]);
        drop(guard);
        drop(folio);

        assert_eq!(straddling_write, Err(EINVAL));
        assert_eq!(straddling_read, Err(EINVAL));
        assert_eq!(beyond, Err(EINVAL));
        assert_eq!(overflowing, Err(EINVAL));
        Ok(())
    }

    #[test]
    fn zero_clears_the_folio() -> Result {
        const CHUNK: usize = 64;

        let folio = Folio::alloc(None)?;
        let guard = folio.lock();
        let size = guard.size();
        let mut copied = Ok(());
        for offset in (0..size).step_by(CHUNK) {
            let len = CHUNK.min(size - offset);
            copied = copied.and(guard.write(offset, &[0xa5; CHUNK][..len]));
        }
        guard.zero();
        let mut all_zero = true;
        for offset in (0..size).step_by(CHUNK) {
            let len = CHUNK.min(size - offset);
            let mut buf = [0xffu8; CHUNK];
            copied = copied.and(guard.read(offset, &mut buf[..len]));
            all_zero &= buf[..len].iter().all(|&byte| byte == 0);
        }
        drop(guard);
        drop(folio);

        assert_eq!(copied, Ok(()));
        assert!(all_zero);
        Ok(())
    }

    #[test]
    fn mark_uptodate_sets_the_flag() -> Result {
        let folio = Folio::alloc(None)?;
        let before = folio.is_uptodate();
        folio.lock().mark_uptodate();
        let after = folio.is_uptodate();
        drop(folio);

        assert!(!before);
        assert!(after);
        Ok(())
    }
}
