// SPDX-License-Identifier: GPL-2.0

//! The memory-type vtable: [`MemoryType`], and the ops table the shim gets from it.
//!
//! C header: [`include/linux/uffd_shim.h`](srctree/include/linux/uffd_shim.h)

use super::{
    AddressSpace,
    IncomingFolio,
    Inode,
    LeavingFolio,
    LockedFolio,
    MapFlag,
    MapFlags,
    Modes,
    NewFolio,
    TypeFlag,
    TypeFlags,
    UnfilledFolio, //
};
use crate::{
    bindings, error::VTABLE_DEFAULT_ERROR, mm::virt::VmaRef, prelude::*, sync::aref::ARef,
};
use core::{
    marker::PhantomData,
    ops::Deref,
    ptr::{
        self,
        NonNull, //
    },
};

/// A VMA that maps a file of the memory type `T`, with its lock held.
///
/// This is the VMA the callbacks of a [`MemoryType`] get. It dereferences to [`VmaRef`]; it also
/// has the file's inode and page cache, and [`UnfilledFolio::alloc_for_vma`] and
/// [`NewFolio::alloc_for_vma`] allocate for it.
///
/// # Invariants
///
/// The invariants of [`VmaRef`] hold (the mmap or VMA read lock is held), and the VMA maps a file
/// of a type registered with the ops of `T`: `vm_file` is not null and is such a file.
#[repr(transparent)]
pub struct ShimVma<T: MemoryType> {
    vma: VmaRef,
    _t: PhantomData<T>,
}

impl<T: MemoryType> ShimVma<T> {
    /// Borrows a VMA of a file of type `T` from a raw pointer.
    ///
    /// # Safety
    ///
    /// The requirements of [`VmaRef::from_raw`] must hold for `'a`, and `vma` must map a file of
    /// a type registered with the ops of `T`.
    #[inline]
    pub(crate) unsafe fn from_raw<'a>(vma: *const bindings::vm_area_struct) -> &'a Self {
        // SAFETY: `ShimVma<T>` is a transparent wrapper of `VmaRef`, itself one of
        // `struct vm_area_struct`, and the caller guarantees the invariants of both for `'a`.
        unsafe { &*vma.cast() }
    }

    /// The inode of the mapped file.
    #[inline]
    pub fn inode(&self) -> &Inode<T> {
        // SAFETY: `vm_file` is not null (type invariants) and stays valid while the VMA lock is
        // held, since the VMA holds a reference on it, and the file pins its inode, which is of
        // a file of type `T`.
        unsafe { Inode::from_raw((*(*self.as_ptr()).vm_file).f_inode) }
    }

    /// The page cache of the mapped file.
    #[inline]
    pub fn mapping(&self) -> &AddressSpace {
        self.inode().mapping()
    }

    /// The page index, in the mapped file, of the page that `addr` maps (`linear_page_index()`).
    #[inline]
    pub fn pgoff(&self, addr: usize) -> usize {
        // SAFETY: `self` is a valid VMA (type invariants); the function only computes from its
        // `vm_start` and `vm_pgoff`.
        unsafe { bindings::uffd_shim_vma_pgoff(self.as_ptr(), addr) }
    }
}

// Make all `VmaRef` methods available on `ShimVma`.
impl<T: MemoryType> Deref for ShimVma<T> {
    type Target = VmaRef;

    #[inline]
    fn deref(&self) -> &VmaRef {
        &self.vma
    }
}

/// A memory type, as its driver describes it to uffd-shim (`struct uffd_shim_ops`).
///
/// Implement it, with `#[vtable]`, on a type that only names the memory type (a unit struct), and
/// register it with a [`Registration`](super::Registration). Every callback is optional: for a
/// folio callback the type does not implement, the shim uses its page-cache default, and an
/// implementation may call those defaults itself (see [`defaults`]). Every callback gets the
/// registration's [`MemoryType::Data`] but [`MemoryType::free_folio`], which C calls without
/// context.
///
/// The folio callbacks have the contracts of `struct vm_uffd_ops` of Linux 7.2, which the
/// signatures express: `get_folio_noalloc` returns a [`LockedFolio`]; `alloc_folio` returns an
/// [`UnfilledFolio`], which the kernel fills; `filemap_add` consumes it, filled, as a
/// [`NewFolio`] and returns it locked in the page cache; `filemap_remove` borrows it locked, and
/// the abstraction unlocks it after. The shim checks what they return before the kernel uses
/// it, and refuses with a warning: a folio from `get_folio_noalloc` that is unlocked, large, not
/// uptodate, of another file or at another index (`UFFDIO_CONTINUE` fails with `EFAULT`); a
/// folio from `alloc_folio` that is not new (`ENOMEM`); a `filemap_add` that left the folio
/// anywhere but at the index `addr` maps (`EINVAL`).
///
/// Implementing [`MemoryType::filemap_add`] without [`MemoryType::filemap_remove`], or
/// [`MemoryType::charge`] without [`MemoryType::uncharge`], or the other way round, fails the
/// build.
///
/// # Examples
///
/// A memory type whose files count their pages, and one of its memory files:
///
/// ```
/// use kernel::{
///     prelude::*,
///     sync::atomic::{Atomic, Relaxed},
///     uffd_shim::{Inode, MemoryType, Modes, Registration, TypeFlag, TypeFlags},
/// };
///
/// struct Counted;
///
/// #[vtable]
/// impl MemoryType for Counted {
///     type Data = ();
///     type FileData = Atomic<usize>;
///     const NAME: &'static CStr = c"doc_counted";
///     const MODES: Modes = Modes::ALL;
///     const FLAGS: TypeFlags = TypeFlags::empty().with(TypeFlag::Memfile);
///
///     fn charge(_data: &(), inode: &Inode<Self>, pages: usize) -> Result {
///         inode.file_data().ok_or(EINVAL)?.add(pages, Relaxed);
///         Ok(())
///     }
///
///     fn uncharge(_data: &(), inode: &Inode<Self>, pages: usize) {
///         if let Some(count) = inode.file_data() {
///             let _ = count.fetch_sub(pages, Relaxed);
///         }
///     }
/// }
///
/// let registration = KBox::pin_init(Registration::<Counted>::new_memfile(()), GFP_KERNEL)?;
/// let size = 4 * kernel::page::PAGE_SIZE;
/// let file = registration.create_file(c"[doc_counted]", size, Atomic::new(0))?;
/// // Memory files may be mapped, written and fallocated; dropping the last reference frees them,
/// // and the registration waits for that.
/// drop(file);
/// drop(registration);
/// # Ok::<(), Error>(())
/// ```
#[vtable]
pub trait MemoryType: Sized + 'static {
    /// The registration's data, which every callback but [`MemoryType::free_folio`] gets.
    type Data: Send + Sync;

    /// The data of each memory file, from [`Registration::create_file`] to the file's end
    /// ([`Inode::file_data`]); unused by a type with a RAM file system.
    ///
    /// [`Registration::create_file`]: super::Registration::create_file
    type FileData: Send + Sync;

    /// Short name, for messages.
    const NAME: &'static CStr;

    /// The userfaultfd registration modes the type supports.
    ///
    /// The shim refuses the registration of any other mode before it asks
    /// [`MemoryType::can_userfault`].
    const MODES: Modes;

    /// How the type is served: [`TypeFlag::Memfile`] for memory files
    /// ([`Registration::new_memfile`]), with [`TypeFlag::NoDirectMap`] for pages out of the
    /// kernel direct map.
    ///
    /// [`Registration::new_memfile`]: super::Registration::new_memfile
    const FLAGS: TypeFlags = TypeFlags::empty();

    /// Makes the data of a new memory file of `size` bytes (whole pages), for a
    /// [`MemfileDevice`](super::MemfileDevice) that `UFFD_SHIM_IOC_CREATE` asked for one; may
    /// refuse the file, with [`E2BIG`] beyond a size limit, say. Without it the device refuses
    /// every file with [`ENOTTY`].
    fn create(_data: &Self::Data, _size: usize) -> Result<Self::FileData> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Charges `pages` pages about to enter the page cache of `inode`, through the shim (a fault
    /// fill, `UFFDIO_COPY` and `UFFDIO_ZEROPAGE` through the default `filemap_add`, write() and
    /// fallocate); may refuse them, typically with [`ENOSPC`].
    ///
    /// Context: process context, may sleep.
    fn charge(_data: &Self::Data, _inode: &Inode<Self>, _pages: usize) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Gives back `pages` pages that left the page cache of `inode` (truncation, hole punch,
    /// eviction, a failed fill), or never got in after [`MemoryType::charge`] took them.
    ///
    /// Context: any process context, after the fact, possibly batched; must not fail.
    fn uncharge(_data: &Self::Data, _inode: &Inode<Self>, _pages: usize) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Veto on the userfaultfd registration of `vma` for `modes`, asked after the
    /// [`MemoryType::MODES`] check.
    ///
    /// The kernel asks again, for the modes the VMA already has, when the range is unregistered
    /// or its VMA split or merged: decide on what the VMA was mapped with, not on state that
    /// changes. Without it every mode in [`MemoryType::MODES`] is allowed.
    fn can_userfault(_data: &Self::Data, _vma: &ShimVma<Self>, _modes: Modes) -> bool {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Decides on each mmap() of a file of the type: `map` has [`MapFlag::Shared`] and
    /// [`MapFlag::Write`] as the mapping has them. Refuse with an error ([`EINVAL`] for a private
    /// mapping, say), or return the flags to add ([`MapFlag::DontDump`], [`MapFlag::DontFork`]).
    fn mmap_policy(_data: &Self::Data, _inode: &Inode<Self>, _map: MapFlags) -> Result<MapFlags> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Sees every new folio on its way into the page cache of `inode`, whichever path brings it,
    /// after [`MemoryType::charge`], holding its final contents, before anyone else can see it;
    /// may refuse it with an error. For a [`TypeFlag::NoDirectMap`] type the folio is already out
    /// of the direct map.
    fn prepare_folio(_data: &Self::Data, _inode: &Inode<Self>, _folio: &IncomingFolio) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Sees every folio that leaves the page cache of a file of the type, and every prepared one
    /// that could not enter it. For a [`TypeFlag::NoDirectMap`] type the abstraction then puts
    /// the folio back in the direct map and zeroes it: its data does not outlive the file.
    ///
    /// Context: may be reclaim or truncation: must not sleep.
    fn free_folio(_folio: &LeavingFolio) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Serves `UFFDIO_CONTINUE`: the folio at `pgoff` in the page cache of `inode`, locked.
    ///
    /// The default is [`defaults::get_folio_noalloc`].
    fn get_folio_noalloc(
        _data: &Self::Data,
        _inode: &Inode<Self>,
        _pgoff: usize,
    ) -> Result<LockedFolio> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Allocates the folio that `UFFDIO_COPY` or `UFFDIO_ZEROPAGE` on a shared mapping fills and
    /// inserts at `addr`. On an error, userspace sees `ENOMEM`.
    ///
    /// The default is [`defaults::alloc_folio`].
    fn alloc_folio(
        _data: &Self::Data,
        _vma: &ShimVma<Self>,
        _addr: usize,
    ) -> Result<UnfilledFolio> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Inserts `folio`, from [`MemoryType::alloc_folio`] and filled by the kernel, into the page
    /// cache of `vma` at the index that `addr` maps, and returns it locked there: the lock passes
    /// to the kernel.
    ///
    /// The default is [`defaults::filemap_add`].
    fn filemap_add(
        _data: &Self::Data,
        _folio: NewFolio,
        _vma: &ShimVma<Self>,
        _addr: usize,
    ) -> Result<LockedFolio> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Undoes [`MemoryType::filemap_add`] when the kernel could not map the folio; the
    /// abstraction unlocks it after.
    ///
    /// The default is [`defaults::filemap_remove`].
    fn filemap_remove(_data: &Self::Data, _folio: &LockedFolio, _vma: &ShimVma<Self>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The shim's page-cache defaults for the callbacks of a [`MemoryType`].
///
/// The shim uses them for the callbacks a type does not implement; an implementation may call
/// them too, for the cases it does not handle itself.
pub mod defaults {
    use super::{
        Inode,
        LockedFolio,
        MemoryType,
        NewFolio,
        ShimVma,
        UnfilledFolio, //
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

    /// The default [`MemoryType::get_folio_noalloc`].
    ///
    /// Fails with [`ENOENT`] on a hole or at or after the end of the file, and with [`EIO`] if the
    /// folio is not uptodate.
    #[inline]
    pub fn get_folio_noalloc<T: MemoryType>(inode: &Inode<T>, pgoff: usize) -> Result<LockedFolio> {
        // SAFETY: `inode` is valid (type invariants of `Inode`).
        let ptr = unsafe { bindings::uffd_shim_default_get_folio_noalloc(inode.as_raw(), pgoff) };
        // The function returns a locked folio with a reference or an `ERR_PTR()`, never NULL.
        let ptr = NonNull::new(from_err_ptr(ptr)?).ok_or(ENOENT)?;
        // SAFETY: The folio is locked, with a reference: both are now ours.
        Ok(unsafe { LockedFolio::from_raw(ptr) })
    }

    /// The default [`MemoryType::alloc_folio`]: [`UnfilledFolio::alloc_for_vma`].
    #[inline]
    pub fn alloc_folio<T: MemoryType>(vma: &ShimVma<T>, addr: usize) -> Result<UnfilledFolio> {
        UnfilledFolio::alloc_for_vma(vma, addr)
    }

    /// The default [`MemoryType::filemap_add`].
    ///
    /// Refuses an index at or after the end of the file with [`EFAULT`], charges the page
    /// ([`MemoryType::charge`]), prepares it ([`MemoryType::prepare_folio`]) and inserts it.
    pub fn filemap_add<T: MemoryType>(
        folio: NewFolio,
        vma: &ShimVma<T>,
        addr: usize,
    ) -> Result<LockedFolio> {
        // SAFETY: `folio` is valid, and its contents are defined: nobody else sees it yet (type
        // invariants of `NewFolio`).
        unsafe { bindings::uffd_shim_folio_mark_uptodate(folio.as_raw()) };
        let folio = folio.into_folio();
        // SAFETY: `folio` is new, uptodate, and `vma` a locked VMA of a file of a shim type.
        to_result(unsafe {
            bindings::uffd_shim_default_filemap_add(folio.as_raw(), vma.as_ptr(), addr)
        })?;
        // SAFETY: On success the folio is locked in the page cache, and the lock is ours; so is
        // the reference.
        Ok(unsafe { LockedFolio::from_raw(ARef::into_raw(folio).cast()) })
    }

    /// The default [`MemoryType::filemap_remove`]: takes the folio out of the page cache, unless
    /// it got mapped meanwhile.
    #[inline]
    pub fn filemap_remove<T: MemoryType>(folio: &LockedFolio, vma: &ShimVma<T>) {
        // A folio mapped meanwhile stays: a page table uses it.
        let _ = vma.mapping().remove_folio(folio);
    }
}

/// The ops table the shim gets for `T`, and the callbacks in it.
pub(crate) struct OpsTable<T: MemoryType>(PhantomData<T>);

impl<T: MemoryType> OpsTable<T> {
    /// The registration's data, reached from the type.
    ///
    /// # Safety
    ///
    /// `type_` must be a type registered with [`Self::OPS`] by a `Registration<T>`, which outlives
    /// `'a`.
    unsafe fn type_data<'a>(type_: *const bindings::uffd_shim_type) -> &'a T::Data {
        // SAFETY: A `Registration<T>` registers the type with a pointer to its pinned `data`,
        // which it drops only after unregistering the type: valid for `'a`, by the requirements
        // of this function.
        unsafe { &*bindings::uffd_shim_type_data(type_).cast::<T::Data>() }
    }

    /// # Safety
    ///
    /// `inode` must be the inode of a file of a type registered with [`Self::OPS`], alive for
    /// `'a`.
    unsafe fn inode<'a>(inode: *mut bindings::inode) -> (&'a T::Data, &'a Inode<T>) {
        // SAFETY: The file's type is registered as long as it has a file or inode (the shim's
        // `unregister` waits for them), and the caller keeps the inode alive for `'a`.
        let data = unsafe { Self::type_data(bindings::uffd_shim_inode_type(inode)) };
        // SAFETY: The caller guarantees the invariants of `Inode<T>` for `'a`.
        (data, unsafe { Inode::from_raw(inode) })
    }

    /// # Safety
    ///
    /// `vma` must be a locked VMA of a file of a type registered with [`Self::OPS`], for `'a`.
    unsafe fn vma<'a>(vma: *mut bindings::vm_area_struct) -> (&'a T::Data, &'a ShimVma<T>) {
        // SAFETY: The VMA pins its file, and the file the type's registration; the shim gives
        // its `vm_ops` only to VMAs of its files.
        let data = unsafe { Self::type_data(bindings::uffd_shim_vma_type(vma)) };
        // SAFETY: The caller guarantees the invariants of `ShimVma<T>` for `'a`.
        (data, unsafe { ShimVma::from_raw(vma) })
    }

    /// # Safety
    ///
    /// Only the shim calls this, as `account` of a type registered with [`Self::OPS`]: `inode`
    /// must be the inode of one of its files, alive for the call.
    unsafe extern "C" fn account(inode: *mut bindings::inode, nr_pages: c_long) -> c_int {
        // SAFETY: By the requirements of this function.
        let (data, inode) = unsafe { Self::inode(inode) };
        // With `unaccount` in the table, the shim only charges: `nr_pages > 0`.
        let Ok(pages) = usize::try_from(nr_pages) else {
            return EINVAL.to_errno();
        };
        match T::charge(data, inode, pages) {
            Ok(()) => 0,
            Err(err) => err.to_errno(),
        }
    }

    /// # Safety
    ///
    /// As for [`Self::account`].
    unsafe extern "C" fn unaccount(inode: *mut bindings::inode, nr_pages: c_long) {
        // SAFETY: By the requirements of this function.
        let (data, inode) = unsafe { Self::inode(inode) };
        if let Ok(pages) = usize::try_from(nr_pages) {
            T::uncharge(data, inode, pages);
        }
    }

    /// # Safety
    ///
    /// Only the kernel calls this, through the shim, as `can_userfault`: `vma` must be a VMA of
    /// a file of the type, locked for writing for the call.
    unsafe extern "C" fn can_userfault(vma: *mut bindings::vm_area_struct, modes: c_uint) -> bool {
        // SAFETY: By the requirements of this function.
        let (data, vma) = unsafe { Self::vma(vma) };
        T::can_userfault(data, vma, Modes::from_bits_truncate(modes))
    }

    /// # Safety
    ///
    /// Only the shim calls this, as `mmap_policy`, during mmap() of `file`, a file of the type,
    /// with `map` valid for reads and writes.
    unsafe extern "C" fn mmap_policy(file: *mut bindings::file, map: *mut c_uint) -> c_int {
        // SAFETY: `file` is valid for the call, and pins its inode.
        let (data, inode) = unsafe { Self::inode((*file).f_inode) };
        // SAFETY: `map` is valid for reads, by the requirements of this function.
        let seen = MapFlags::from_bits_truncate(unsafe { *map });
        match T::mmap_policy(data, inode, seen) {
            Ok(add) => {
                let add = add & (MapFlag::DontDump | MapFlag::DontFork);
                // SAFETY: `map` is valid for writes, by the requirements of this function.
                unsafe { *map |= add.bits() };
                0
            }
            Err(err) => err.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Only the shim calls this, as `prepare_folio`: `inode` must be the inode of a file of the
    /// type, and `folio` a new folio on its way into its page cache, with a reference held and
    /// nobody else using it, for the call.
    unsafe extern "C" fn prepare_folio(
        inode: *mut bindings::inode,
        folio: *mut bindings::folio,
    ) -> c_int {
        // SAFETY: By the requirements of this function.
        let (data, inode) = unsafe { Self::inode(inode) };
        // SAFETY: The shim holds a reference for the call, and nobody else sees the folio.
        let folio = unsafe { IncomingFolio::from_raw(folio) };
        let no_direct_map = T::FLAGS.has(TypeFlag::NoDirectMap);
        if no_direct_map {
            // SAFETY: The folio is new, seen by nobody yet; the registration checked that the
            // shim keeps the kernel from reading it through the direct map.
            let ret = unsafe { bindings::uffd_shim_folio_unmap_direct(folio.as_raw()) };
            if ret != 0 {
                return ret;
            }
        }
        let ret = if T::HAS_PREPARE_FOLIO {
            T::prepare_folio(data, inode, folio)
        } else {
            Ok(())
        };
        match ret {
            Ok(()) => 0,
            Err(err) => {
                if no_direct_map {
                    // SAFETY: As above: nobody else uses the folio.
                    unsafe { bindings::uffd_shim_folio_restore_direct(folio.as_raw()) };
                }
                err.to_errno()
            }
        }
    }

    /// # Safety
    ///
    /// Only the kernel calls this, as `->free_folio` of the type's files: `folio` must be valid,
    /// out of every page cache and unmapped, for the call.
    unsafe extern "C" fn free_folio(folio: *mut bindings::folio) {
        if T::HAS_FREE_FOLIO {
            // SAFETY: By the requirements of this function.
            T::free_folio(unsafe { LeavingFolio::from_raw(folio) });
        }
        if T::FLAGS.has(TypeFlag::NoDirectMap) {
            // SAFETY: The folio left the page cache and every mapping: nobody reaches it through
            // a page table any more, so it may go back in the direct map, then be zeroed.
            unsafe {
                bindings::uffd_shim_folio_restore_direct(folio);
                bindings::uffd_shim_folio_zero(folio);
            }
        }
    }

    /// # Safety
    ///
    /// Only the kernel calls this, through the shim, as `get_folio_noalloc`: `inode` must be the
    /// inode of a file of the type, pinned for the call.
    unsafe extern "C" fn get_folio_noalloc(
        inode: *mut bindings::inode,
        pgoff: c_ulong,
    ) -> *mut bindings::folio {
        // SAFETY: By the requirements of this function.
        let (data, inode) = unsafe { Self::inode(inode) };
        match T::get_folio_noalloc(data, inode, pgoff) {
            // The lock and the reference pass to the kernel; the shim checks the folio first.
            Ok(folio) => folio.into_raw(),
            Err(err) => err.to_ptr(),
        }
    }

    /// # Safety
    ///
    /// Only the kernel calls this, through the shim, as `alloc_folio`: `vma` must be a VMA of a
    /// file of the type, locked for the call.
    unsafe extern "C" fn alloc_folio(
        vma: *mut bindings::vm_area_struct,
        addr: c_ulong,
    ) -> *mut bindings::folio {
        // SAFETY: By the requirements of this function.
        let (data, vma) = unsafe { Self::vma(vma) };
        match T::alloc_folio(data, vma, addr) {
            // The reference passes to the kernel.
            Ok(folio) => ARef::into_raw(folio.into_folio()).cast().as_ptr(),
            Err(_) => ptr::null_mut(),
        }
    }

    /// # Safety
    ///
    /// Only the kernel calls this, through the shim, as `filemap_add`: `folio` must come from
    /// [`Self::alloc_folio`] (the shim checked it is new), filled and marked uptodate, with a
    /// reference held and untouched by the kernel for the call, and `vma` a VMA of a file of the
    /// type, locked for the call.
    unsafe extern "C" fn filemap_add(
        folio: *mut bindings::folio,
        vma: *mut bindings::vm_area_struct,
        addr: c_ulong,
    ) -> c_int {
        // SAFETY: By the requirements of this function.
        let (data, vma) = unsafe { Self::vma(vma) };
        // SAFETY: `folio` is valid, with the kernel's reference held for the call.
        unsafe { bindings::folio_get(folio) };
        // SAFETY: We own the reference just taken; the folio is new, and the kernel does not use
        // it until this returns (requirements of this function).
        let new = unsafe { NewFolio::from_owned(NonNull::new_unchecked(folio)) };
        match T::filemap_add(data, new, vma, addr) {
            // The shim then checks that it is in the VMA's page cache at the index `addr` maps.
            Ok(locked) if ptr::eq(locked.as_raw(), folio) => {
                // The lock passes to the kernel, which unlocks the folio or hands it to
                // `filemap_remove`.
                locked.leave_locked();
                0
            }
            // Dropping another folio's lock unlocks it; the shim takes `folio` back out of any
            // page cache the callback put it in, and the kernel puts it.
            Ok(_) => {
                crate::pr_warn_once!("{}: filemap_add returned another folio\n", T::NAME);
                EINVAL.to_errno()
            }
            Err(err) => err.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Only the kernel calls this, through the shim, as `filemap_remove`: `folio` must be one
    /// that [`Self::filemap_add`] left locked in the page cache, with a reference held for the
    /// call, and `vma` a VMA of a file of the type, locked for the call.
    unsafe extern "C" fn filemap_remove(
        folio: *mut bindings::folio,
        vma: *mut bindings::vm_area_struct,
    ) {
        // SAFETY: By the requirements of this function.
        let (data, vma) = unsafe { Self::vma(vma) };
        // SAFETY: `folio` is valid, with the kernel's reference held for the call.
        unsafe { bindings::folio_get(folio) };
        // SAFETY: The kernel hands the lock back here, for us to release; the reference is the
        // one just taken.
        let locked = unsafe { LockedFolio::from_raw(NonNull::new_unchecked(folio)) };
        T::filemap_remove(data, &locked, vma);
        // Dropping `locked` unlocks the folio and drops our reference.
    }

    /// # Safety
    ///
    /// Only the shim calls this, as `release` of a memory file of the type, once, as its inode
    /// goes.
    unsafe extern "C" fn release(inode: *mut bindings::inode) {
        // SAFETY: `inode` is valid for the call.
        let ptr = unsafe { bindings::uffd_shim_inode_data(inode) };
        if !ptr.is_null() {
            // SAFETY: The data of a memory file of type `T` is a `KBox<T::FileData>` that
            // `Registration::create_file` leaked, and this is the last use of it.
            drop(unsafe { KBox::from_raw(ptr.cast::<T::FileData>()) });
        }
    }

    /// The ops table; `uffd_shim_register()` copies it.
    pub(crate) const OPS: bindings::uffd_shim_ops = {
        const_assert!(
            T::HAS_FILEMAP_ADD == T::HAS_FILEMAP_REMOVE,
            "MemoryType: implement filemap_add and filemap_remove together, or neither"
        );
        const_assert!(
            T::HAS_CHARGE == T::HAS_UNCHARGE,
            "MemoryType: implement charge and uncharge together, or neither"
        );
        let memfile = T::FLAGS.has(TypeFlag::Memfile);
        let no_direct_map = T::FLAGS.has(TypeFlag::NoDirectMap);
        const_assert!(
            !T::FLAGS.has(TypeFlag::NoDirectMap) || T::FLAGS.has(TypeFlag::Memfile),
            "MemoryType: TypeFlag::NoDirectMap is for memory files (TypeFlag::Memfile)"
        );
        const_assert!(
            !T::HAS_FILEMAP_ADD || !(T::HAS_PREPARE_FOLIO || T::FLAGS.has(TypeFlag::NoDirectMap)),
            "MemoryType: a type that prepares its folios inserts them through the shim: \
             leave filemap_add to it"
        );

        bindings::uffd_shim_ops {
            api_version: bindings::uffd_shim_api_UFFD_SHIM_API_VERSION,
            modes: T::MODES.bits(),
            name: crate::str::as_char_ptr_in_const_context(T::NAME),
            // The shim's file operations: those of its RAM file system, or of memory files.
            fops: ptr::null(),
            account: if T::HAS_CHARGE {
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
            // The shim makes the inodes.
            new_inode: None,
            free_folio: if T::HAS_FREE_FOLIO || no_direct_map {
                Some(Self::free_folio)
            } else {
                None
            },
            flags: T::FLAGS.bits(),
            prepare_folio: if T::HAS_PREPARE_FOLIO || no_direct_map {
                Some(Self::prepare_folio)
            } else {
                None
            },
            unaccount: if T::HAS_UNCHARGE {
                Some(Self::unaccount)
            } else {
                None
            },
            mmap_policy: if T::HAS_MMAP_POLICY {
                Some(Self::mmap_policy)
            } else {
                None
            },
            release: if memfile { Some(Self::release) } else { None },
        }
    };
}
