// SPDX-License-Identifier: GPL-2.0

//! userfaultfd for memory types outside `mm/`, on uffd-shim.
//!
//! C header: [`include/linux/uffd_shim.h`](srctree/include/linux/uffd_shim.h)
//!
//! A driver describes its memory type once, as a [`MemoryType`]: a name, the userfaultfd
//! registration [`Modes`] it supports, how it is served ([`TypeFlags`]) and, optionally, page
//! accounting, an mmap policy, the preparation of its pages and its own versions of the folio
//! callbacks of `struct vm_uffd_ops`. A [`Registration`] registers the type in one of two shapes:
//!
//! - [`Registration::new_ram_fs`]: with a file system that the shim serves from RAM, as a
//!   mountable file system does;
//! - [`Registration::new_memfile`]: with memory files, one inode per file and no file system,
//!   made by [`Registration::create_file`], as memfd and guest_memfd make theirs.
//!
//! Either way the shim owns `->mmap` and the fault path, and calls the type's callbacks when
//! userfaultfd works on the mappings of its files.
//!
//! Ownership of folios is in the types:
//!
//! - [`Folio`]: a shared folio, owned as [`ARef<Folio>`](crate::sync::aref::ARef) or borrowed;
//! - [`NewFolio`]: a new folio nobody else sees, the only form that can enter a page cache;
//! - [`UnfilledFolio`]: a new folio whose contents the kernel fills (`UFFDIO_COPY`,
//!   `UFFDIO_ZEROPAGE`);
//! - [`LockedFolio`]: a reference together with the folio lock.

use crate::{
    bindings,
    prelude::*, //
};

mod address_space;
mod device;
mod folio;
mod memory_type;
mod registration;

#[cfg(CONFIG_RUST_UFFD_SHIM_KUNIT_TEST)]
mod tests;

pub use address_space::{
    AddressSpace,
    Inode, //
};
pub use device::{
    MemfileDevice,
    CREATE_CLOEXEC,
    IOC_CREATE, //
};
pub use folio::{
    Folio,
    IncomingFolio,
    LeavingFolio,
    LockedFolio,
    NewFolio,
    UnfilledFolio, //
};
pub use memory_type::{
    defaults,
    MemoryType,
    ShimVma, //
};
pub use registration::{
    FsType,
    Registration, //
};

/// Adds, to a mask `impl_flags!` made, what the C API and constants need.
macro_rules! impl_c_mask {
    ($flags:ident, $flag:ident) => {
        impl $flags {
            /// `self` with `flag` added; unlike `|`, usable in constants.
            #[inline]
            pub const fn with(self, flag: $flag) -> Self {
                Self(self.0 | flag as u32)
            }

            /// Returns `true` if `flag` is set; unlike `contains`, usable in constants.
            #[inline]
            pub const fn has(self, flag: $flag) -> bool {
                self.0 & flag as u32 != 0
            }

            /// The mask as the C API spells it.
            #[inline]
            pub const fn bits(self) -> u32 {
                self.0
            }

            /// Keeps the known bits of a mask that comes from C.
            #[inline]
            pub const fn from_bits_truncate(bits: u32) -> Self {
                Self(bits & Self::all_bits())
            }
        }
    };
}

crate::impl_flags!(
    /// The userfaultfd registration modes of a memory type (`enum uffd_shim_mode`).
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::uffd_shim::{Mode, Modes};
    ///
    /// const MODES: Modes = Modes::empty().with(Mode::Missing).with(Mode::Minor);
    ///
    /// assert!((MODES | Mode::Wp).contains_all(Mode::Minor | Mode::Wp));
    /// assert!(!MODES.contains(Mode::Wp));
    /// assert!(Modes::ALL.contains(Mode::Rwp));
    /// ```
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Modes(u32);

    /// One userfaultfd registration mode.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Mode {
        /// `UFFDIO_REGISTER_MODE_MISSING`, resolved by `UFFDIO_COPY` and `UFFDIO_ZEROPAGE`.
        Missing = bindings::uffd_shim_mode_UFFD_SHIM_MODE_MISSING,
        /// `UFFDIO_REGISTER_MODE_MINOR`, resolved by `UFFDIO_CONTINUE`.
        Minor = bindings::uffd_shim_mode_UFFD_SHIM_MODE_MINOR,
        /// `UFFDIO_REGISTER_MODE_WP`; on file memory the kernel also needs [`Feature::Wp`].
        Wp = bindings::uffd_shim_mode_UFFD_SHIM_MODE_WP,
        /// `UFFDIO_REGISTER_MODE_RWP` (Linux 7.3); the kernel also needs [`Feature::Rwp`].
        Rwp = bindings::uffd_shim_mode_UFFD_SHIM_MODE_RWP,
    }
);

impl_c_mask!(Modes, Mode);

impl Modes {
    /// Every mode.
    pub const ALL: Self = Self(Self::all_bits());
}

crate::impl_flags!(
    /// What the running kernel offers through the shim (`enum uffd_shim_feature`).
    ///
    /// Returned by [`features`].
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Features(u32);

    /// One feature of the running kernel.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Feature {
        /// Native backend: the kernel calls the type's callbacks through `vm_uffd_ops`.
        VmUffdOps = bindings::uffd_shim_feature_UFFD_SHIM_FEAT_VM_UFFD_OPS,
        /// MISSING faults, `UFFDIO_COPY` and `UFFDIO_ZEROPAGE`.
        Missing = bindings::uffd_shim_feature_UFFD_SHIM_FEAT_MISSING,
        /// MINOR faults and `UFFDIO_CONTINUE`.
        Minor = bindings::uffd_shim_feature_UFFD_SHIM_FEAT_MINOR,
        /// Write-protect on file memory (PTE markers).
        Wp = bindings::uffd_shim_feature_UFFD_SHIM_FEAT_WP,
        /// `UFFDIO_POISON`.
        Poison = bindings::uffd_shim_feature_UFFD_SHIM_FEAT_POISON,
        /// The shmem fallback of kernels without `vm_uffd_ops`.
        ShmemFallback = bindings::uffd_shim_feature_UFFD_SHIM_FEAT_SHMEM_FALLBACK,
        /// Read-write protection on file memory (`UFFDIO_RWPROTECT`, Linux 7.3).
        Rwp = bindings::uffd_shim_feature_UFFD_SHIM_FEAT_RWP,
    }
);

impl_c_mask!(Features, Feature);

crate::impl_flags!(
    /// How a memory type wants to be served (`enum uffd_shim_flags`).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct TypeFlags(u32);

    /// One way of serving a memory type.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum TypeFlag {
        /// Refuse the registration where only the shmem fallback would serve the type, which
        /// would not call its callbacks.
        NativeOnly = bindings::uffd_shim_flags_UFFD_SHIM_FLAG_NATIVE_ONLY,
        /// Memory files ([`Registration::new_memfile`]) rather than a RAM file system.
        Memfile = bindings::uffd_shim_flags_UFFD_SHIM_FLAG_MEMFILE,
        /// (With [`TypeFlag::Memfile`]) pages out of the kernel direct map while in a file.
        ///
        /// The abstraction takes each page out of the direct map before
        /// [`MemoryType::prepare_folio`] sees it and puts it back after
        /// [`MemoryType::free_folio`]; the shim keeps the kernel away from such pages: shared
        /// mappings only, out of core dumps, and `get_user_pages()` refused.
        NoDirectMap = bindings::uffd_shim_flags_UFFD_SHIM_FLAG_NO_DIRECT_MAP,
    }
);

impl_c_mask!(TypeFlags, TypeFlag);

crate::impl_flags!(
    /// What [`MemoryType::mmap_policy`] sees of a mapping and adds to it (`enum uffd_shim_map`).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct MapFlags(u32);

    /// One property of a mapping.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum MapFlag {
        /// In: a `MAP_SHARED` mapping (else `MAP_PRIVATE`).
        Shared = bindings::uffd_shim_map_UFFD_SHIM_MAP_SHARED,
        /// In: the mapping is or may become writable.
        Write = bindings::uffd_shim_map_UFFD_SHIM_MAP_WRITE,
        /// Out: leave the mapping out of core dumps (`VM_DONTDUMP`).
        DontDump = bindings::uffd_shim_map_UFFD_SHIM_MAP_DONTDUMP,
        /// Out: do not copy the mapping into a child on `fork()` (`VM_DONTCOPY`).
        DontFork = bindings::uffd_shim_map_UFFD_SHIM_MAP_DONTFORK,
    }
);

impl_c_mask!(MapFlags, MapFlag);

/// The API version of the running shim.
///
/// A [`MemoryType`] is registered with the version these bindings were built against; the shim
/// refuses one newer than its own.
#[inline]
pub fn api_version() -> u32 {
    // SAFETY: `uffd_shim_api_version()` has no preconditions.
    unsafe { bindings::uffd_shim_api_version() }
}

/// What the running kernel offers through the shim.
///
/// # Examples
///
/// ```
/// use kernel::uffd_shim::{self, Feature};
///
/// // Rust is only built on kernels with the native backend.
/// assert!(uffd_shim::features().contains(Feature::VmUffdOps));
/// assert!(uffd_shim::api_version() >= 3);
/// ```
#[inline]
pub fn features() -> Features {
    // SAFETY: `uffd_shim_features()` has no preconditions.
    Features(unsafe { bindings::uffd_shim_features() } & Features::all_bits())
}
