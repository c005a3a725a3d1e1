// SPDX-License-Identifier: GPL-2.0

//! The device of an fd-style memory type: `/dev/<name>`, whose `UFFD_SHIM_IOC_CREATE` ioctl
//! makes a memory file.
//!
//! C headers: [`include/uapi/linux/uffd_shim.h`](srctree/include/uapi/linux/uffd_shim.h),
//! [`include/linux/miscdevice.h`](srctree/include/linux/miscdevice.h)

use super::{
    MemoryType,
    Registration, //
};
use crate::{
    bindings,
    error::to_result,
    fs::file::{
        flags::O_CLOEXEC,
        FileDescriptorReservation, //
    },
    new_condvar, new_spinlock,
    prelude::*,
    sync::{
        CondVar,
        SpinLock, //
    },
    types::Opaque,
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};
use core::{
    marker::PhantomPinned,
    mem::size_of, //
};

/// `UFFD_SHIM_IOC_CREATE`: the ioctl of fd-style types that makes a memory file.
pub const IOC_CREATE: u32 = crate::ioctl::_IOW::<bindings::uffd_shim_create>(b'u' as u32, 0xa0);

/// `UFFD_SHIM_CREATE_CLOEXEC`: the new file descriptor gets `FD_CLOEXEC`.
pub const CREATE_CLOEXEC: u64 = 1 << 0;

/// A memory type's device: `/dev/<name>`, a misc device whose one ioctl, [`IOC_CREATE`], makes a
/// memory file of the type and returns its file descriptor, as guest_memfd's ioctl does.
///
/// The device checks the request (`flags`, a `size` that is whole pages), asks
/// [`MemoryType::create`] for the file's data (the type's policy: a size limit, say), makes the
/// file ([`Registration::create_file`]) and installs it. The device's file operations are owned
/// by `module`, so an open device pins it; dropping the device waits for the last one to close.
///
/// # Invariants
///
/// `misc` is registered with `fops` for as long as the device lives; `open` counts the open
/// files of the device, and `registration`, `name` and `open` outlive the registration of `misc`
/// and every open file.
#[pin_data(PinnedDrop)]
pub struct MemfileDevice<T: MemoryType> {
    #[pin]
    registration: Registration<T>,
    name: &'static CStr,
    /// A spinlock, not a mutex: `release()` must not touch the lock once the dropping thread
    /// can see the count at zero, and `mutex_unlock()` may.
    #[pin]
    open: SpinLock<usize>,
    #[pin]
    closed: CondVar,
    #[pin]
    fops: Opaque<bindings::file_operations>,
    #[pin]
    misc: Opaque<bindings::miscdevice>,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: `registration` is `Send`; the C structs are used by the misc core (register, open,
// deregister) under its own lock and the open count under its spinlock, from any thread.
unsafe impl<T: MemoryType> Send for MemfileDevice<T> {}

// SAFETY: Shared references only reach the registration, which is `Sync`, and the lock.
unsafe impl<T: MemoryType> Sync for MemfileDevice<T> {}

// `struct uffd_shim_create` is two `__u64`, read one after the other.
const _: () = assert!(size_of::<bindings::uffd_shim_create>() == 2 * size_of::<u64>());

impl<T: MemoryType> MemfileDevice<T> {
    /// Registers the memory-file type `T` with `data`, then its device `/dev/<name>`.
    ///
    /// `module` must be the caller's own module, `THIS_MODULE`: it owns the device's file
    /// operations.
    pub fn register<E>(
        name: &'static CStr,
        module: &'static ThisModule,
        data: impl PinInit<T::Data, E>,
    ) -> impl PinInit<Self, Error>
    where
        Error: From<E>,
    {
        try_pin_init!(&this in Self {
            registration <- Registration::new_memfile(data),
            name,
            open <- new_spinlock!(0),
            closed <- new_condvar!(),
            fops <- Opaque::ffi_init(move |slot: *mut bindings::file_operations| {
                let mut fops: bindings::file_operations = pin_init::zeroed();
                fops.owner = module.as_ptr();
                fops.open = Some(Self::open);
                fops.release = Some(Self::release);
                fops.unlocked_ioctl = Some(Self::ioctl);
                fops.compat_ioctl = bindings::compat_ptr_ioctl;
                // SAFETY: `slot` is valid for writes.
                unsafe { slot.write(fops) };
            }),
            misc <- Opaque::try_ffi_init(move |slot: *mut bindings::miscdevice| {
                let mut misc: bindings::miscdevice = pin_init::zeroed();
                misc.minor = bindings::MISC_DYNAMIC_MINOR as c_int;
                misc.name = name.as_char_ptr();
                // SAFETY: `fops` is initialized, pinned with the rest of `this`; `Opaque<T>` has
                // the layout of `T`.
                misc.fops = unsafe { (&raw mut (*this.as_ptr()).fops).cast() };
                // SAFETY: `slot` is valid for writes.
                unsafe { slot.write(misc) };
                // SAFETY: `slot` holds a `struct miscdevice` with its name and pinned fops set,
                // pinned until `drop`, which deregisters it; every other field is initialized.
                // INVARIANT: on success, `misc` is registered with `fops`, and no file is open.
                to_result(unsafe { bindings::misc_register(slot) })
            }),
            _pin: PhantomPinned,
        }? Error)
    }

    /// The memory type's registration.
    #[inline]
    pub fn registration(&self) -> &Registration<T> {
        &self.registration
    }

    /// Makes a memory file as [`IOC_CREATE`] asks, and installs it in a new file descriptor.
    fn create(&self, arg: usize) -> Result<isize> {
        if !T::HAS_CREATE {
            return Err(ENOTTY);
        }
        let len = size_of::<bindings::uffd_shim_create>();
        let mut reader = UserSlice::new(UserPtr::from_addr(arg), len).reader();
        let size: u64 = reader.read()?;
        let flags: u64 = reader.read()?;
        let page_size = crate::page::PAGE_SIZE as u64;
        if flags & !CREATE_CLOEXEC != 0 || size == 0 || size % page_size != 0 {
            return Err(EINVAL);
        }
        let size = usize::try_from(size).map_err(|_| E2BIG)?;
        let file_data = T::create(self.registration.data(), size)?;
        let fd_flags = if flags & CREATE_CLOEXEC != 0 {
            O_CLOEXEC
        } else {
            0
        };
        let fd = FileDescriptorReservation::get_unused_fd_flags(fd_flags)?;
        let file = self.registration.create_file(self.name, size, file_data)?;
        let number = fd.reserved_fd();
        fd.fd_install(file);
        Ok(number as isize)
    }

    /// The device a file of it was opened on.
    ///
    /// # Safety
    ///
    /// `file` must be a file of the device being opened, open or being released: the misc core
    /// set its `private_data` to the device's `struct miscdevice`.
    unsafe fn of_file<'a>(file: *mut bindings::file) -> &'a Self {
        // SAFETY: `private_data` is the `misc` field of a `MemfileDevice<T>` (type invariants),
        // which outlives the open file: dropping the device waits for the last one to close.
        unsafe {
            &*crate::container_of!(
                (*file).private_data.cast::<Opaque<bindings::miscdevice>>(),
                Self,
                misc
            )
        }
    }

    /// # Safety
    ///
    /// Only the misc core calls this, as `open` of the device, under `misc_mtx`.
    unsafe extern "C" fn open(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: By the requirements of this function: `misc_mtx` keeps `misc_deregister()`,
        // so the device's drop, from running.
        *unsafe { Self::of_file(file) }.open.lock() += 1;
        0
    }

    /// # Safety
    ///
    /// Only the kernel calls this, as `release` of an open file of the device.
    unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: By the requirements of this function.
        let this = unsafe { Self::of_file(file) };
        let mut open = this.open.lock();
        *open -= 1;
        if *open == 0 {
            this.closed.notify_all();
        }
        0
    }

    /// # Safety
    ///
    /// Only the kernel calls this, as `unlocked_ioctl` of an open file of the device.
    unsafe extern "C" fn ioctl(file: *mut bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
        if cmd != IOC_CREATE {
            return ENOTTY.to_errno() as c_long;
        }
        // SAFETY: By the requirements of this function.
        match unsafe { Self::of_file(file) }.create(arg) {
            Ok(fd) => fd as c_long,
            Err(err) => err.to_errno() as c_long,
        }
    }
}

#[pinned_drop]
impl<T: MemoryType> PinnedDrop for MemfileDevice<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `misc` is registered (type invariants); once this returns, nobody can open the
        // device.
        unsafe { bindings::misc_deregister(self.misc.get()) };
        let mut open = self.open.lock();
        while *open != 0 {
            self.closed.wait(&mut open);
        }
        // `registration` is dropped after this: it waits for the last memory file.
    }
}
