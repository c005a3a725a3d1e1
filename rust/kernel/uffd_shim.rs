// SPDX-License-Identifier: GPL-2.0

//! userfaultfd for memory types outside `mm/`, on uffd-shim.
//!
//! C header: [`include/linux/uffd_shim.h`](srctree/include/linux/uffd_shim.h)
//!
//! A driver describes its memory type once, as a [`MemoryType`]: a name, the userfaultfd
//! registration [`Modes`] it supports and, optionally, page accounting and its own versions of
//! the folio callbacks of `struct vm_uffd_ops`. [`Registration::new_ram_fs`] registers the type
//! together with a file system that the shim serves from RAM: the shim makes the inodes, the
//! directories and the file operations, owns `->mmap` and the fault path, and calls the type's
//! callbacks when userfaultfd works on the mappings of its files.
//!
//! Folios come in three forms:
//!
//! - [`ARef<Folio>`]: an owned reference, `&Folio` a borrowed one;
//! - [`FolioGuard`]: the folio lock, held for as long as a `&Folio` is borrowed;
//! - [`LockedFolio`]: an owned reference together with the folio lock.
//!
//! The last two dereference to [`FolioLocked`], which has the operations that need the lock.

use crate::{
    bindings,
    error::{
        from_err_ptr,
        to_result,
        VTABLE_DEFAULT_ERROR, //
    },
    mm::virt::VmaRef,
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            AtomicFlag,
            Full,
            Release, //
        },
    },
    types::Opaque,
};
use core::{
    marker::PhantomData,
    ops::{
        BitOr,
        BitOrAssign,
        Deref, //
    },
    ptr::{
        self,
        NonNull, //
    },
};

mod folio;

pub use folio::{
    Folio,
    FolioGuard,
    FolioLocked,
    LockedFolio,
    Mapping, //
};

/// Implements the operations shared by the bitmask newtypes over `u32` of this module.
macro_rules! impl_mask {
    ($name:ident) => {
        impl $name {
            /// The empty set.
            pub const fn empty() -> Self {
                Self(0)
            }

            /// The mask as the C API spells it.
            pub const fn bits(self) -> u32 {
                self.0
            }

            /// Returns `true` if every bit set in `other` is set in `self`.
            pub const fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }

            /// Returns `true` if no bit is set.
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }

            /// The union of `self` and `other`; unlike `|`, usable in constants.
            pub const fn union(self, other: Self) -> Self {
                Self(self.0 | other.0)
            }
        }

        impl BitOr for $name {
            type Output = Self;

            fn bitor(self, rhs: Self) -> Self {
                self.union(rhs)
            }
        }

        impl BitOrAssign for $name {
            fn bitor_assign(&mut self, rhs: Self) {
                *self = self.union(rhs);
            }
        }
    };
}

/// The userfaultfd registration modes of a memory type (`enum uffd_shim_mode`).
///
/// # Invariants
///
/// Only bits of `UFFD_SHIM_MODE_ALL` are set.
///
/// # Examples
///
/// ```
/// use kernel::uffd_shim::Modes;
///
/// const MODES: Modes = Modes::MISSING.union(Modes::MINOR);
///
/// assert!((MODES | Modes::WP).contains(Modes::MINOR | Modes::WP));
/// assert!(!MODES.contains(Modes::WP));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Modes(u32);

impl Modes {
    /// `UFFDIO_REGISTER_MODE_MISSING`, resolved by `UFFDIO_COPY` and `UFFDIO_ZEROPAGE`.
    pub const MISSING: Self = Self(bindings::uffd_shim_mode_UFFD_SHIM_MODE_MISSING);

    /// `UFFDIO_REGISTER_MODE_MINOR`, resolved by `UFFDIO_CONTINUE`.
    pub const MINOR: Self = Self(bindings::uffd_shim_mode_UFFD_SHIM_MODE_MINOR);

    /// `UFFDIO_REGISTER_MODE_WP`; on file memory the kernel also needs [`Features::WP`].
    pub const WP: Self = Self(bindings::uffd_shim_mode_UFFD_SHIM_MODE_WP);

    /// `UFFDIO_REGISTER_MODE_RWP` (Linux 7.3); the kernel also needs [`Features::RWP`].
    pub const RWP: Self = Self(bindings::uffd_shim_mode_UFFD_SHIM_MODE_RWP);

    /// Every mode above.
    pub const ALL: Self = Self(bindings::uffd_shim_mode_UFFD_SHIM_MODE_ALL);

    /// Keeps the known modes of a mask that comes from C.
    const fn from_bits_truncate(bits: u32) -> Self {
        // INVARIANT: Masked with `UFFD_SHIM_MODE_ALL`.
        Self(bits & Self::ALL.0)
    }
}

impl_mask!(Modes);

/// What the running kernel offers through the shim (`enum uffd_shim_feature`).
///
/// Returned by [`features`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features(u32);

impl Features {
    /// Native backend: the kernel calls the type's callbacks through `vm_uffd_ops`.
    pub const VM_UFFD_OPS: Self = Self(bindings::uffd_shim_feature_UFFD_SHIM_FEAT_VM_UFFD_OPS);

    /// MISSING faults, `UFFDIO_COPY` and `UFFDIO_ZEROPAGE`.
    pub const MISSING: Self = Self(bindings::uffd_shim_feature_UFFD_SHIM_FEAT_MISSING);

    /// MINOR faults and `UFFDIO_CONTINUE`.
    pub const MINOR: Self = Self(bindings::uffd_shim_feature_UFFD_SHIM_FEAT_MINOR);

    /// Write-protect on file memory (PTE markers).
    pub const WP: Self = Self(bindings::uffd_shim_feature_UFFD_SHIM_FEAT_WP);

    /// `UFFDIO_POISON`.
    pub const POISON: Self = Self(bindings::uffd_shim_feature_UFFD_SHIM_FEAT_POISON);

    /// Read-write protection on file memory (`UFFDIO_RWPROTECT`, Linux 7.3).
    pub const RWP: Self = Self(bindings::uffd_shim_feature_UFFD_SHIM_FEAT_RWP);
}

impl_mask!(Features);

/// The API version of the running shim.
///
/// A [`MemoryType`] is registered with the version these bindings were built against; the shim
/// refuses one newer than its own.
pub fn api_version() -> u32 {
    // SAFETY: `uffd_shim_api_version()` has no preconditions.
    unsafe { bindings::uffd_shim_api_version() }
}

/// What the running kernel offers through the shim.
pub fn features() -> Features {
    // SAFETY: `uffd_shim_features()` has no preconditions.
    Features(unsafe { bindings::uffd_shim_features() })
}

/// A VMA that maps a file of a registered uffd-shim memory type, with its lock held.
///
/// This is the VMA the callbacks of a [`MemoryType`] get. It dereferences to [`VmaRef`]; because
/// it maps a file of a shim type, it also has a page cache ([`ShimVma::mapping`]) and
/// [`Folio::alloc_for_vma`] can allocate for it.
///
/// # Invariants
///
/// The invariants of [`VmaRef`] hold (the mmap or VMA read lock is held), and the VMA maps a file
/// of a registered uffd-shim memory type: `vm_file` is not null and is such a file.
#[repr(transparent)]
pub struct ShimVma(VmaRef);

impl ShimVma {
    /// Borrows a VMA of a uffd-shim file from a raw pointer.
    ///
    /// # Safety
    ///
    /// The requirements of [`VmaRef::from_raw`] must hold for `'a`, and `vma` must map a file of
    /// a registered uffd-shim memory type.
    pub unsafe fn from_raw<'a>(vma: *const bindings::vm_area_struct) -> &'a Self {
        // SAFETY: `ShimVma` is a transparent wrapper of `VmaRef`, itself one of
        // `struct vm_area_struct`, and the caller guarantees the invariants of both for `'a`.
        unsafe { &*vma.cast() }
    }

    /// Returns `vma` as a [`ShimVma`] if it maps a file of a registered uffd-shim memory type.
    pub fn from_vma(vma: &VmaRef) -> Option<&Self> {
        // SAFETY: `vma` is valid and locked (type invariants of `VmaRef`); the function only reads
        // `vm_file`, the file's `f_op` and `vm_ops`.
        let type_ = unsafe { bindings::uffd_shim_vma_type(vma.as_ptr()) };
        if type_.is_null() {
            return None;
        }
        // SAFETY: `vma` satisfies the requirements of `VmaRef::from_raw` for its lifetime, and it
        // maps a file of a registered type, since `uffd_shim_vma_type()` found one.
        Some(unsafe { Self::from_raw(vma.as_ptr()) })
    }

    /// The page cache of the mapped file (`vma->vm_file->f_mapping`).
    pub fn mapping(&self) -> &Mapping {
        // SAFETY: `vm_file` is not null (type invariants) and stays valid while the VMA lock is
        // held, since the VMA holds a reference on it. `f_mapping` is the page cache of the file's
        // inode, which the file pins: the mapping and its host outlive the borrow of `self`.
        unsafe { Mapping::from_raw((*(*self.as_ptr()).vm_file).f_mapping) }
    }

    /// The page index, in the mapped file, of the page that `addr` maps (`linear_page_index()`).
    pub fn pgoff(&self, addr: usize) -> usize {
        // SAFETY: `self` is a valid VMA (type invariants); the function only computes from its
        // `vm_start` and `vm_pgoff`.
        unsafe { bindings::uffd_shim_vma_pgoff(self.as_ptr(), addr) }
    }
}

// Make all `VmaRef` methods available on `ShimVma`.
impl Deref for ShimVma {
    type Target = VmaRef;

    fn deref(&self) -> &VmaRef {
        &self.0
    }
}

/// A memory type, as its driver describes it to uffd-shim (`struct uffd_shim_ops`).
///
/// Implement it, with `#[vtable]`, on a type that only names the memory type (a unit struct), and
/// register it with [`Registration`]. Every method is optional: for a callback the type does not
/// implement, the shim uses its page-cache default, and an implementation may call those defaults
/// itself (see [`defaults`]).
///
/// The folio callbacks have the contracts of `struct vm_uffd_ops` of Linux 7.2, which the
/// signatures here express: `get_folio_noalloc` returns the folio locked with a reference
/// ([`LockedFolio`]); `alloc_folio` returns an unlocked folio with a reference
/// ([`ARef<Folio>`]); `filemap_add` returns the lock of the folio it put in the page cache
/// ([`FolioGuard`]), which passes to the kernel; `filemap_remove` gets that lock back and must
/// release it.
///
/// Implementing [`MemoryType::filemap_add`] without [`MemoryType::filemap_remove`], or the other
/// way round, fails the build.
#[vtable]
pub trait MemoryType: 'static {
    /// Short name, for messages.
    const NAME: &'static CStr;

    /// The userfaultfd registration modes the type supports.
    ///
    /// The shim refuses the registration of any other mode before it asks
    /// [`MemoryType::can_userfault`].
    const MODES: Modes;

    /// Type-wide page accounting.
    ///
    /// Called with `pages > 0` before pages enter the page cache through the shim: a fault fill,
    /// `UFFDIO_COPY` and `UFFDIO_ZEROPAGE` through the default `filemap_add`, writes and
    /// fallocate on the RAM file system. It may refuse them with an error, typically [`ENOSPC`].
    ///
    /// Called with `pages < 0` when such an insertion then fails, and for every page that leaves
    /// the page cache of one of the type's files, whatever removes it (truncation, hole punch,
    /// eviction, a failed userfaultfd fill): the registration makes it the file system's
    /// `->free_folio` too. With a negative count the result is ignored, and the call may come
    /// from reclaim or truncation: it must not sleep.
    fn account(_pages: isize) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Veto on the userfaultfd registration of `vma` for `modes`, asked after the
    /// [`MemoryType::MODES`] check.
    ///
    /// Without it every mode in [`MemoryType::MODES`] is allowed.
    fn can_userfault(_vma: &ShimVma, _modes: Modes) -> bool {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Serves `UFFDIO_CONTINUE`: the folio at `pgoff` in `mapping`, locked, with a reference.
    ///
    /// The folio must already be in the page cache; on an error, userspace sees `-EFAULT`. The
    /// kernel checks again, under the page table lock, that `pgoff` is below the end of the file
    /// before it maps the folio. The default is [`defaults::get_folio_noalloc`].
    fn get_folio_noalloc(_mapping: &Mapping, _pgoff: usize) -> Result<LockedFolio> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Allocates the folio that `UFFDIO_COPY` or `UFFDIO_ZEROPAGE` on a shared mapping fills
    /// and inserts at `addr`.
    ///
    /// The folio must be unlocked, in no page cache and charged to the memory cgroup of the
    /// VMA's mm, as [`Folio::alloc_for_vma`] makes it. On an error, userspace sees `-ENOMEM`.
    /// The default is [`defaults::alloc_folio`].
    fn alloc_folio(_vma: &ShimVma, _addr: usize) -> Result<ARef<Folio>> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Inserts `folio`, from [`MemoryType::alloc_folio`], filled and marked uptodate by the
    /// kernel, into the page cache of `vma` at the index that `addr` maps.
    ///
    /// On success, returns the lock of `folio` in the page cache of `vma`, as
    /// [`Mapping::add_folio`] returns it; the lock passes to the kernel. A guard of another folio,
    /// or of a folio that is not in that page cache, is refused with a warning and [`EINVAL`]
    /// (after the guard is dropped). On an error, `folio` must be unlocked, not in the page cache,
    /// and nothing must stay accounted for it. The default is [`defaults::filemap_add`].
    fn filemap_add<'a>(_folio: &'a Folio, _vma: &ShimVma, _addr: usize) -> Result<FolioGuard<'a>> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Undoes [`MemoryType::filemap_add`] when the kernel could not map the folio.
    ///
    /// Takes the folio out of the page cache. The folio comes locked, as `folio`; the lock must
    /// be released before returning, which dropping the guard does (so never call
    /// [`FolioGuard::keep_locked`] on it): the kernel drops its reference next. The default is
    /// [`defaults::filemap_remove`].
    fn filemap_remove(_folio: FolioGuard<'_>, _vma: &ShimVma) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The shim's page-cache defaults for the callbacks of a [`MemoryType`].
///
/// The shim uses them for the callbacks a type does not implement; an implementation may call
/// them too, for the cases it does not handle itself.
pub mod defaults {
    use super::{
        Folio,
        FolioGuard,
        LockedFolio,
        Mapping,
        ShimVma, //
    };
    use crate::{
        bindings,
        error::{
            from_err_ptr,
            to_result, //
        },
        prelude::*,
        sync::aref::ARef,
    };
    use core::ptr::NonNull;

    /// The default [`MemoryType::get_folio_noalloc`](super::MemoryType::get_folio_noalloc).
    ///
    /// Fails with [`ENOENT`] on a hole or at or after the end of the file, and with [`EIO`] if the
    /// folio is not uptodate.
    pub fn get_folio_noalloc(mapping: &Mapping, pgoff: usize) -> Result<LockedFolio> {
        // SAFETY: `mapping` is valid and its host inode alive (type invariants of `Mapping`); the
        // function reads the inode's size and looks `pgoff` up in its page cache.
        let ptr = unsafe {
            bindings::uffd_shim_default_get_folio_noalloc((*mapping.as_raw()).host, pgoff)
        };
        // The function returns a folio or an `ERR_PTR()`, never NULL.
        let ptr = NonNull::new(from_err_ptr(ptr)?).ok_or(ENOENT)?;
        // SAFETY: On success the folio is locked, with a reference, and both are ours.
        Ok(unsafe { LockedFolio::from_raw(ptr) })
    }

    /// The default [`MemoryType::alloc_folio`](super::MemoryType::alloc_folio): a folio from
    /// [`Folio::alloc_for_vma`].
    pub fn alloc_folio(vma: &ShimVma, addr: usize) -> Result<ARef<Folio>> {
        Folio::alloc_for_vma(vma, addr)
    }

    /// The default [`MemoryType::filemap_add`](super::MemoryType::filemap_add).
    ///
    /// Refuses an index at or after the end of the file with [`EFAULT`], accounts the folio's
    /// pages with [`MemoryType::account`](super::MemoryType::account) if the type implements it,
    /// then inserts the folio as [`Mapping::add_folio`] does ([`EEXIST`] if the index is
    /// populated). On an error nothing stays accounted.
    pub fn filemap_add<'a>(folio: &'a Folio, vma: &ShimVma, addr: usize) -> Result<FolioGuard<'a>> {
        // SAFETY: `folio` is valid (type invariants of `Folio`). `vma` maps a file of a registered
        // type and is locked (type invariants of `ShimVma`), so its `vm_file` and the file's
        // `f_mapping`, which the function uses, are valid. It checks the folio's own state
        // (locked, already in a mapping, misaligned).
        to_result(unsafe {
            bindings::uffd_shim_default_filemap_add(folio.as_raw(), vma.as_ptr(), addr)
        })?;
        // SAFETY: On success the folio is locked in the page cache, and the lock is ours.
        Ok(unsafe { FolioGuard::from_locked(folio) })
    }

    /// The default [`MemoryType::filemap_remove`](super::MemoryType::filemap_remove).
    ///
    /// Takes the folio out of the page cache (unless it got mapped meanwhile) and unlocks it; its
    /// pages are unaccounted by `->free_folio` as they leave the page cache.
    pub fn filemap_remove(folio: FolioGuard<'_>, vma: &ShimVma) {
        let raw = folio.as_raw();
        // The C function releases the lock.
        folio.keep_locked();
        // SAFETY: We own the lock of `raw`, handed over from the guard, and the reference the
        // guard borrowed is still held by our caller, so `raw` is valid. `vma` is valid and
        // locked (type invariants of `ShimVma`). The function unlocks the folio in every case.
        unsafe { bindings::uffd_shim_default_filemap_remove(raw, vma.as_ptr()) };
    }
}

/// The `struct uffd_shim_ops` of a [`MemoryType`], and the callbacks it points to.
struct OpsTable<T: MemoryType>(PhantomData<T>);

impl<T: MemoryType> OpsTable<T> {
    /// # Safety
    ///
    /// Only the shim calls this, as the `->account` of a type registered with [`Self::OPS`].
    unsafe extern "C" fn account(_inode: *mut bindings::inode, nr_pages: c_long) -> c_int {
        // Accounting is type-wide: the inode does not matter.
        match T::account(nr_pages) {
            Ok(()) => 0,
            Err(err) => err.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Only the kernel calls this, as the `->free_folio` of the files of a type registered with
    /// [`Self::OPS`]: `folio` must be valid for the duration of the call.
    unsafe extern "C" fn free_folio(folio: *mut bindings::folio) {
        // No `&Folio` here: on reclaim the caller has frozen the reference count at zero.
        // SAFETY: `->free_folio` runs as the folio leaves the page cache, before the folio can be
        // freed: `filemap_free_folio()` drops the page cache's references after it, and reclaim
        // (`__remove_mapping()`) frees the folio, whose references it froze, after it.
        let nr_pages = unsafe { bindings::uffd_shim_folio_nr_pages(folio) };
        // A folio has far fewer than `isize::MAX` pages.
        let pages = isize::try_from(nr_pages).unwrap_or(isize::MAX);
        // Unaccounting cannot be refused.
        let _ = T::account(-pages);
    }

    /// # Safety
    ///
    /// Only the kernel calls this, through the shim, as `vm_uffd_ops.can_userfault` of a type
    /// registered with [`Self::OPS`]: `vma` must be a locked VMA of a file of that type.
    unsafe extern "C" fn can_userfault(vma: *mut bindings::vm_area_struct, modes: c_uint) -> bool {
        // SAFETY: The shim asks only for VMAs of its type (it checked `uffd_shim_vma_type()`),
        // and the kernel holds the mmap lock, for writing, during userfaultfd (un)registration,
        // the only callers.
        let vma = unsafe { ShimVma::from_raw(vma) };
        T::can_userfault(vma, Modes::from_bits_truncate(modes))
    }

    /// # Safety
    ///
    /// Only the kernel calls this, through the shim, as `vm_uffd_ops.get_folio_noalloc` of a type
    /// registered with [`Self::OPS`]: `inode` must be the inode of a file of that type, pinned
    /// for the duration of the call.
    unsafe extern "C" fn get_folio_noalloc(
        inode: *mut bindings::inode,
        pgoff: c_ulong,
    ) -> *mut bindings::folio {
        // SAFETY: The kernel passes `file_inode(vma->vm_file)` of the locked destination VMA
        // (`mfill_atomic_pte_continue()`): the VMA pins the file, the file pins the inode, and
        // `i_mapping` is the inode's page cache, whose host is the inode.
        let mapping = unsafe { Mapping::from_raw((*inode).i_mapping) };
        match T::get_folio_noalloc(mapping, pgoff) {
            // The lock and the reference pass to the kernel.
            Ok(folio) => folio.into_raw(),
            Err(err) => err.to_ptr(),
        }
    }

    /// # Safety
    ///
    /// Only the kernel calls this, through the shim, as `vm_uffd_ops.alloc_folio` of a type
    /// registered with [`Self::OPS`]: `vma` must be a locked VMA of a file of that type.
    unsafe extern "C" fn alloc_folio(
        vma: *mut bindings::vm_area_struct,
        addr: c_ulong,
    ) -> *mut bindings::folio {
        // SAFETY: The kernel uses the `vm_uffd_ops` of a VMA's own `vm_ops`, which the shim gives
        // only to VMAs of its files, and holds the VMA's lock (the per-VMA lock or the mmap read
        // lock, `uffd_mfill_lock()`) for the duration of the call.
        let vma = unsafe { ShimVma::from_raw(vma) };
        match T::alloc_folio(vma, addr) {
            // The reference passes to the kernel.
            Ok(folio) => ARef::into_raw(folio).cast::<bindings::folio>().as_ptr(),
            Err(_) => ptr::null_mut(),
        }
    }

    /// # Safety
    ///
    /// Only the kernel calls this, through the shim, as `vm_uffd_ops.filemap_add` of a type
    /// registered with [`Self::OPS`]: `folio` must come from [`Self::alloc_folio`], with a
    /// reference held for the duration of the call, and `vma` must be a locked VMA of a file of
    /// that type.
    unsafe extern "C" fn filemap_add(
        folio: *mut bindings::folio,
        vma: *mut bindings::vm_area_struct,
        addr: c_ulong,
    ) -> c_int {
        // SAFETY: The kernel passes the folio `alloc_folio` returned and keeps that reference
        // until after this call (`__mfill_atomic_pte()`).
        let folio = unsafe { Folio::from_raw(folio) };
        // SAFETY: As for `alloc_folio`: a VMA of one of the type's files, locked for the call.
        let vma = unsafe { ShimVma::from_raw(vma) };
        let guard = match T::filemap_add(folio, vma, addr) {
            Ok(guard) => guard,
            Err(err) => return err.to_errno(),
        };
        // The kernel goes on as if `folio` were locked in the VMA's page cache: make sure.
        let added: &Folio = &guard;
        let in_cache = guard
            .mapping()
            .is_some_and(|mapping| ptr::eq(mapping, vma.mapping()));
        if crate::warn_on!(!ptr::eq(added, folio) || !in_cache) {
            // Dropping `guard` unlocks what it locked; the kernel then puts `folio`.
            return EINVAL.to_errno();
        }
        // The lock passes to the kernel, which unlocks the folio or hands it to `filemap_remove`.
        guard.keep_locked();
        0
    }

    /// # Safety
    ///
    /// Only the kernel calls this, through the shim, as `vm_uffd_ops.filemap_remove` of a type
    /// registered with [`Self::OPS`]: `folio` must be one that [`Self::filemap_add`] left locked
    /// in the page cache, with a reference held for the duration of the call, and `vma` a locked
    /// VMA of a file of that type.
    unsafe extern "C" fn filemap_remove(
        folio: *mut bindings::folio,
        vma: *mut bindings::vm_area_struct,
    ) {
        // SAFETY: The kernel calls `filemap_remove` after a successful `filemap_add`, with the
        // reference from `alloc_folio`, which it drops only after this call.
        let folio = unsafe { Folio::from_raw(folio) };
        // SAFETY: `filemap_add` handed the folio lock to the kernel (`keep_locked`), which hands
        // it back here: the contract of `filemap_remove` is to release it.
        let folio = unsafe { FolioGuard::from_locked(folio) };
        // SAFETY: As for `alloc_folio`: a VMA of one of the type's files, locked for the call.
        let vma = unsafe { ShimVma::from_raw(vma) };
        T::filemap_remove(folio, vma);
    }

    /// The ops table; `uffd_shim_register()` copies it.
    const OPS: bindings::uffd_shim_ops = {
        const_assert!(
            T::HAS_FILEMAP_ADD == T::HAS_FILEMAP_REMOVE,
            "MemoryType: implement filemap_add and filemap_remove together, or neither"
        );

        bindings::uffd_shim_ops {
            api_version: bindings::uffd_shim_api_UFFD_SHIM_API_VERSION,
            modes: T::MODES.bits(),
            name: crate::str::as_char_ptr_in_const_context(T::NAME),
            // A type on the shim's RAM file system uses the shim's file operations.
            fops: ptr::null(),
            account: if T::HAS_ACCOUNT {
                Some(Self::account)
            } else {
                None
            },
            can_userfault: if T::HAS_CAN_USERFAULT {
                Some(Self::can_userfault)
            } else {
                None
            },
            fault: None,
            get_folio_noalloc: if T::HAS_GET_FOLIO_NOALLOC {
                Some(Self::get_folio_noalloc)
            } else {
                None
            },
            alloc_folio: if T::HAS_ALLOC_FOLIO {
                Some(Self::alloc_folio)
            } else {
                None
            },
            filemap_add: if T::HAS_FILEMAP_ADD {
                Some(Self::filemap_add)
            } else {
                None
            },
            filemap_remove: if T::HAS_FILEMAP_REMOVE {
                Some(Self::filemap_remove)
            } else {
                None
            },
            // `uffd_shim_register_fs()` makes the inodes.
            new_inode: None,
            // Pages leave the page cache through `->free_folio`: unaccount there.
            free_folio: if T::HAS_ACCOUNT {
                Some(Self::free_folio)
            } else {
                None
            },
            // Rust needs 7.2's kernel crate, which comes with the native backend.
            flags: 0,
            // API 3: RAM-fs types need none of these; without `unaccount`, `account` gets
            // `-nr_pages` back on a failed insertion, as in API 2.
            prepare_folio: None,
            unaccount: None,
            mmap_policy: None,
            release: None,
        }
    };
}

/// A file system type served from RAM by the shim, for [`Registration::new_ram_fs`].
///
/// The driver declares it as a `static` item, with only its name:
///
/// ```
/// use kernel::uffd_shim::FsType;
///
/// static FS: FsType = FsType::new(c"ramfile");
/// # let _ = &FS;
/// ```
///
/// It must be a `static` item, not, say, a leaked allocation: the kernel links it into its list
/// of file systems and keeps in it the lockdep class keys of the file system's locks, and
/// lockdep only accepts keys in static storage. The registration sets its owner and the shim
/// fills in the rest (`init_fs_context`, `kill_sb`).
///
/// # Invariants
///
/// `raw.name` is `name`. `busy` is set while a [`Registration`] uses the file system type. Rust
/// code only writes `raw` in [`Registration::new_ram_fs`], with `busy` just taken and before
/// registering it, and never reads it.
pub struct FsType {
    raw: Opaque<bindings::file_system_type>,
    name: &'static CStr,
    busy: AtomicFlag,
}

// SAFETY: Rust code writes the `struct file_system_type` only in `Registration::new_ram_fs`, with
// `busy` taken, when the kernel has no access to it, and never reads it (type invariants). Once
// registered, the kernel owns it and serializes its own accesses (`file_systems_lock`,
// `sb_lock`). `busy` is atomic.
unsafe impl Sync for FsType {}

impl FsType {
    /// Creates the file system type `name`, as in `mount -t <name>`.
    ///
    /// `register_filesystem()` does not allow a `.` in the name: [`Registration::new_ram_fs`]
    /// refuses such a name with [`EINVAL`].
    pub const fn new(name: &'static CStr) -> Self {
        let mut raw: bindings::file_system_type = pin_init::zeroed();
        raw.name = crate::str::as_char_ptr_in_const_context(name);
        // INVARIANT: `raw.name` is `name`, and `busy` is clear.
        Self {
            raw: Opaque::new(raw),
            name,
            busy: AtomicFlag::new(false),
        }
    }

    fn as_raw(&self) -> *mut bindings::file_system_type {
        self.raw.get()
    }
}

/// A [`MemoryType`] registered with the shim, with its RAM file system.
///
/// Dropping it unregisters both.
///
/// # Invariants
///
/// `type_` is a type registered by `uffd_shim_register()` with the ops table of `T`, with `fs`
/// registered for it by `uffd_shim_register_fs()`, and `fs.busy` is set on its behalf.
pub struct Registration<T: MemoryType> {
    type_: NonNull<bindings::uffd_shim_type>,
    fs: &'static FsType,
    _t: PhantomData<T>,
}

// SAFETY: The registration is only used to unregister, in `drop`, and `uffd_shim_unregister()`
// may be called from any thread in process context.
unsafe impl<T: MemoryType> Send for Registration<T> {}

// SAFETY: No method takes `&self`: a shared reference gives access to nothing.
unsafe impl<T: MemoryType> Sync for Registration<T> {}

impl<T: MemoryType> Registration<T> {
    /// Registers `T` and the file system `fs`, served from RAM by the shim.
    ///
    /// The shim fills in `fs` and makes every inode, directory and file operation of it;
    /// userfaultfd works on every mapping of its files, with the callbacks of `T`. `module`
    /// becomes the owner of `fs`, so that every mount pins it.
    ///
    /// Fails with [`EBUSY`] if `fs` is in another registration, with [`EINVAL`] if its name has a
    /// `.` or the shim refuses `T` (it logs why), and with the error of the file system
    /// registration ([`EBUSY`] if another file system has the name).
    ///
    /// # Safety
    ///
    /// The registration must not be dropped while a superblock of `fs`, or a file of the type,
    /// exists: unregistering frees the operations they use. A module meets this by passing its
    /// own `THIS_MODULE` as `module`, registering last in its `init` (so that no later failure
    /// drops the registration) and keeping the registration in its module data: every superblock
    /// pins the module through the owner of `fs`, so module exit cannot begin before the last
    /// superblock, with its files, is gone.
    pub unsafe fn new_ram_fs(fs: &'static FsType, module: &'static ThisModule) -> Result<Self> {
        // `register_filesystem()` would BUG.
        if fs.name.to_bytes().contains(&b'.') {
            return Err(EINVAL);
        }
        if fs.busy.xchg(true, Full) {
            return Err(EBUSY);
        }

        // SAFETY: `fs` is a static, valid for writes through its `Opaque`. We just took `busy`:
        // `fs` is not registered and, by the safety requirements of any earlier registration of
        // it, has no superblock left, so the kernel does not read `owner` now. It must be set
        // before `fs` is registered: a mount takes a reference on the owner.
        unsafe { (*fs.as_raw()).owner = module.as_ptr() };

        // SAFETY: `OPS` is a valid `struct uffd_shim_ops`, which the function copies; its `name`
        // is a `'static` string and its callbacks are functions of `OpsTable<T>`, which stay
        // valid as long as the type is registered, by the safety requirements of this function.
        let type_ = from_err_ptr(unsafe { bindings::uffd_shim_register(&OpsTable::<T>::OPS) })
            .and_then(|type_| NonNull::new(type_).ok_or(EINVAL));
        let type_ = match type_ {
            Ok(type_) => type_,
            Err(err) => {
                fs.busy.store(false, Release);
                return Err(err);
            }
        };

        // SAFETY: `type_` was just registered. `fs` is a `struct file_system_type` in static
        // storage, with its name (without a `.`) and owner set, unhashed (zeroed, or unregistered
        // since), that nothing else uses: we hold `busy`.
        let ret = unsafe { bindings::uffd_shim_register_fs(type_.as_ptr(), fs.as_raw()) };
        if let Err(err) = to_result(ret) {
            // SAFETY: `type_` is registered and has no file: its file system is not registered.
            unsafe { bindings::uffd_shim_unregister(type_.as_ptr()) };
            fs.busy.store(false, Release);
            return Err(err);
        }

        // INVARIANT: `type_` is registered with the ops of `T`, `fs` is registered for it, and we
        // hold `fs.busy`.
        Ok(Self {
            type_,
            fs,
            _t: PhantomData,
        })
    }
}

impl<T: MemoryType> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: `type_` is registered, with `fs` (type invariants); the function unregisters
        // both. By the safety requirements of `new_ram_fs`, no superblock of `fs` and no file of
        // the type is left, as the function requires.
        unsafe { bindings::uffd_shim_unregister(self.type_.as_ptr()) };
        // `fs` is unregistered and has no superblock: another registration may use it.
        self.fs.busy.store(false, Release);
    }
}
