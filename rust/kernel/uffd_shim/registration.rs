// SPDX-License-Identifier: GPL-2.0

//! Registering a memory type, with its RAM file system or its memory files.
//!
//! C header: [`include/linux/uffd_shim.h`](srctree/include/linux/uffd_shim.h)

use super::{
    memory_type::OpsTable,
    MemoryType,
    TypeFlag, //
};
use crate::{
    bindings,
    error::{
        from_err_ptr,
        to_result, //
    },
    fs::File,
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
    marker::PhantomPinned,
    ptr::NonNull, //
};

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
/// It must be a `static` item: the kernel links it into its list of file systems and keeps in it
/// the lockdep class keys of the file system's locks, and lockdep only accepts keys in static
/// storage. The registration sets its owner and the shim fills in the rest (`init_fs_context`,
/// `kill_sb`).
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

    #[inline]
    fn as_raw(&self) -> *mut bindings::file_system_type {
        self.raw.get()
    }
}

/// A [`MemoryType`] registered with the shim, with its RAM file system or its memory files, and
/// the registration's data.
///
/// It is pinned: the shim keeps a pointer to `data` for the callbacks. Dropping it unregisters
/// the type, which waits until no mount (or mount under way) of its file system and no file or
/// inode of the type is left: every mount and every memory file pins the module that registered
/// the type, so module exit never waits.
///
/// # Examples
///
/// A type of memory files, registered in place, as module data would be:
///
/// ```
/// use kernel::{
///     prelude::*,
///     uffd_shim::{MemoryType, Modes, Registration, TypeFlag, TypeFlags},
/// };
///
/// struct Plain;
///
/// #[vtable]
/// impl MemoryType for Plain {
///     type Data = KVec<u8>;
///     type FileData = ();
///     const NAME: &'static CStr = c"doc_plain";
///     const MODES: Modes = Modes::ALL;
///     const FLAGS: TypeFlags = TypeFlags::empty().with(TypeFlag::Memfile);
/// }
///
/// let data = KVec::from_elem(7u8, 3, GFP_KERNEL)?;
/// let registration = KBox::pin_init(Registration::<Plain>::new_memfile(data), GFP_KERNEL)?;
/// assert_eq!(registration.data()[..], [7, 7, 7]);
///
/// // A file system type is for types of the other shape.
/// let file = registration.create_file(c"[doc_plain]", kernel::page::PAGE_SIZE, ())?;
/// drop(file);
/// # Ok::<(), Error>(())
/// ```
///
/// # Invariants
///
/// `type_` is a type registered by `uffd_shim_register_data()` with the ops table of `T` and a
/// pointer to `data`; with `fs`, that file system type is registered for it and its `busy` flag
/// set on its behalf.
#[pin_data(PinnedDrop)]
pub struct Registration<T: MemoryType> {
    type_: NonNull<bindings::uffd_shim_type>,
    fs: Option<&'static FsType>,
    #[pin]
    data: T::Data,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: The registration is used to unregister, in `drop`, which may run on any thread in
// process context, and to reach `data`, which is `Send`.
unsafe impl<T: MemoryType> Send for Registration<T> {}

// SAFETY: Shared references give `create_file()`, which may be called from any thread at once
// (the C function is thread-safe), and `&T::Data`, which is `Sync`.
unsafe impl<T: MemoryType> Sync for Registration<T> {}

impl<T: MemoryType> Registration<T> {
    /// Registers `T` with `data`, and `fs` for it, if given.
    ///
    /// # Safety
    ///
    /// `data` must point to the initialized `data` of the registration being initialized, which
    /// is pinned and dropped only after the type is unregistered. `fs`, if given, must have its
    /// `busy` flag taken by the caller and its owner set.
    unsafe fn register(
        data: *mut T::Data,
        fs: Option<&'static FsType>,
    ) -> Result<NonNull<bindings::uffd_shim_type>> {
        // SAFETY: `OPS` is a valid ops table, which the function copies; its `name` is static and
        // its callbacks are functions of `OpsTable<T>`. `data` stays valid until the type is
        // unregistered (requirements of this function).
        let type_ = unsafe { bindings::uffd_shim_register_data(&OpsTable::<T>::OPS, data.cast()) };
        let type_ = NonNull::new(from_err_ptr(type_)?).ok_or(EINVAL)?;
        if let Some(fs) = fs {
            // SAFETY: `type_` was just registered, without a file system. `fs` is in static
            // storage, with its name and owner set, and unregistered: its `busy` flag is ours.
            let ret = unsafe { bindings::uffd_shim_register_fs(type_.as_ptr(), fs.as_raw()) };
            if let Err(err) = to_result(ret) {
                // SAFETY: `type_` is registered and has no file: it has no file system.
                unsafe { bindings::uffd_shim_unregister(type_.as_ptr()) };
                return Err(err);
            }
        }
        Ok(type_)
    }

    /// Registers `T`, a type of memory files ([`TypeFlag::Memfile`]), with `data`.
    ///
    /// Fails with [`EINVAL`] if `T` is not a memory-file type or the shim refuses it (it logs
    /// why), and with `EOPNOTSUPP` where the kernel cannot serve it.
    pub fn new_memfile<E>(data: impl PinInit<T::Data, E>) -> impl PinInit<Self, Error>
    where
        Error: From<E>,
    {
        try_pin_init!(&this in Self {
            data <- data,
            type_: {
                if !T::FLAGS.has(TypeFlag::Memfile) {
                    Err::<(), Error>(EINVAL)?;
                }
                // SAFETY: `data` is initialized, pinned with the rest of `this`, and dropped
                // after `drop` unregisters the type.
                unsafe { Self::register(&raw mut (*this.as_ptr()).data, None)? }
            },
            fs: None,
            _pin: PhantomPinned,
        }? Error)
    }

    /// Registers `T` with `data` and the file system `fs`, served from RAM by the shim.
    ///
    /// The shim fills in `fs` and makes every inode, directory and file operation of it;
    /// userfaultfd works on every mapping of its files, with the callbacks of `T`. `module`
    /// becomes the owner of `fs`, so that every mount pins it.
    ///
    /// Fails with [`EBUSY`] if `fs` is in another registration, with [`EINVAL`] if its name has a
    /// `.`, if `T` is a memory-file type or the shim refuses it (it logs why), and with the error
    /// of the file system registration ([`EBUSY`] if another file system has the name).
    pub fn new_ram_fs<E>(
        fs: &'static FsType,
        module: &'static ThisModule,
        data: impl PinInit<T::Data, E>,
    ) -> impl PinInit<Self, Error>
    where
        Error: From<E>,
    {
        try_pin_init!(&this in Self {
            data <- data,
            type_: {
                // `register_filesystem()` would BUG on a `.`.
                if T::FLAGS.has(TypeFlag::Memfile) || fs.name.to_bytes().contains(&b'.') {
                    Err::<(), Error>(EINVAL)?;
                }
                if fs.busy.xchg(true, Full) {
                    Err::<(), Error>(EBUSY)?;
                }
                // SAFETY: `fs` is a static, valid for writes through its `Opaque`. We just took
                // `busy`: `fs` is not registered, and an earlier registration of it unregistered
                // it, which waited for its last superblock: the kernel does not read `owner` now.
                unsafe { (*fs.as_raw()).owner = module.as_ptr() };
                // SAFETY: As in `new_memfile`; `busy` is ours and the owner set.
                let type_ = unsafe { Self::register(&raw mut (*this.as_ptr()).data, Some(fs)) };
                if type_.is_err() {
                    fs.busy.store(false, Release);
                }
                type_?
            },
            fs: Some(fs),
            _pin: PhantomPinned,
        }? Error)
    }

    /// The registration's data, which the callbacks get too.
    #[inline]
    pub fn data(&self) -> &T::Data {
        &self.data
    }

    /// Makes a memory file of `size` bytes, with `file_data` for [`Inode::file_data`].
    ///
    /// `name` is the file's name in `/proc/<pid>/maps`, say `[gmemfile]`. The file is open for
    /// reading and writing; install it in a file descriptor with
    /// [`FileDescriptorReservation`].
    ///
    /// Fails with [`EINVAL`] for a type that is not of memory files, a `size` that is zero or
    /// not page-aligned, with [`ENOENT`] if the type's module is going away, [`ENODEV`] if memory
    /// files could not be set up at boot, with [`ENOMEM`], or the LSM's error.
    ///
    /// [`Inode::file_data`]: super::Inode::file_data
    /// [`FileDescriptorReservation`]: crate::fs::file::FileDescriptorReservation
    pub fn create_file(
        &self,
        name: &'static CStr,
        size: usize,
        file_data: T::FileData,
    ) -> Result<ARef<File>> {
        if !T::FLAGS.has(TypeFlag::Memfile) {
            return Err(EINVAL);
        }
        let size = i64::try_from(size).map_err(|_| EINVAL)?;
        let data = KBox::into_raw(KBox::new(file_data, GFP_KERNEL)?);
        // SAFETY: `type_` is registered (type invariants); `name` is static, and `data` is ours
        // to hand over: on success the file owns it, and `->release` frees it.
        let file = unsafe {
            bindings::uffd_shim_file_create(
                self.type_.as_ptr(),
                name.as_char_ptr(),
                size,
                data.cast(),
            )
        };
        match from_err_ptr(file) {
            Ok(file) => {
                // SAFETY: The function returns a new file with a reference, which is now ours,
                // and no `fdget_pos()` on it.
                Ok(unsafe { ARef::from_raw(NonNull::new_unchecked(file.cast::<File>())) })
            }
            Err(err) => {
                // SAFETY: On error `data` is ours again, and nothing else refers to it.
                drop(unsafe { KBox::from_raw(data) });
                Err(err)
            }
        }
    }
}

#[pinned_drop]
impl<T: MemoryType> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `type_` is registered, with `fs` if any (type invariants); the function
        // unregisters both, after waiting for the last mount and file of the type.
        unsafe { bindings::uffd_shim_unregister(self.type_.as_ptr()) };
        if let Some(fs) = self.fs {
            // `fs` is unregistered and has no superblock: another registration may use it.
            fs.busy.store(false, Release);
        }
        // `data` is dropped after this, once the shim no longer reaches it.
    }
}
