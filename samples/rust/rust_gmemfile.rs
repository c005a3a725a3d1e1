// SPDX-License-Identifier: GPL-2.0

//! rust_gmemfile: guest_memfd-like memory files whose mappings support userfaultfd, in Rust.
//!
//! The Rust twin of `samples/gmemfile/gmemfile.c`, the model for an fd-style memory type:
//!
//! 1. fds from an ioctl on `/dev/rust_gmemfile` (`UFFD_SHIM_IOC_CREATE`), one memory file each,
//!    with no file system;
//! 2. shared mappings only, left out of core dumps;
//! 3. pages out of the kernel direct map for as long as they are in a file, and scrubbed as they
//!    leave;
//! 4. page accounting per file and for the module, with a limit (`max_pages`, writable in
//!    debugfs).
//!
//! Every userfaultfd mode works on it. Its counters are in `/sys/kernel/debug/rust_gmemfile/`.
//! Nothing here is `unsafe`.

use core::borrow::Borrow;
use kernel::{
    debugfs::Scope,
    prelude::*,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
    uffd_shim::{
        IncomingFolio,
        Inode,
        LeavingFolio,
        MapFlag,
        MapFlags,
        MemfileDevice,
        MemoryType,
        Modes,
        TypeFlag,
        TypeFlags, //
    },
};

module! {
    type: RustGmemfile,
    name: "rust_gmemfile",
    description: "guest_memfd-like memory files with userfaultfd, on uffd-shim, in Rust",
    license: "GPL",
    params: {
        max_size: u64 {
            default: 1 << 30,
            description: "Largest rust_gmemfile, in bytes",
        },
        max_pages: u64 {
            default: 0,
            description: "Initial limit on rust_gmemfile pages, all files (0: none)",
        },
    },
}

/// A module parameter's value: `value()` returns `&u64` in 7.2 and `u64` from 7.3 on.
fn param(value: impl Borrow<u64>) -> u64 {
    *value.borrow()
}

/// Pages out of the direct map, all files together.
///
/// `free_folio` is called without any context (the page has already left its file), so this
/// one counter cannot be in the registration's data.
static UNMAPPED: Atomic<i64> = Atomic::new(0);

/// The registration's data.
struct Counters {
    /// Pages held by all files together.
    pages: Atomic<u64>,
    /// The limit on `pages`, 0 for none: the `max_pages` parameter at load time, then what is
    /// written to `/sys/kernel/debug/rust_gmemfile/max_pages` (parameters of Rust modules are
    /// not writable).
    max_pages: Atomic<u64>,
}

/// The memory type.
struct RustGmemfileType;

#[vtable]
impl MemoryType for RustGmemfileType {
    type Data = Scope<Counters>;
    /// The pages this file holds.
    type FileData = Atomic<u64>;
    const NAME: &'static CStr = c"rust_gmemfile";
    const MODES: Modes = Modes::ALL;
    const FLAGS: TypeFlags = TypeFlags::empty()
        .with(TypeFlag::Memfile)
        .with(TypeFlag::NoDirectMap);

    fn create(_: &Scope<Counters>, size: usize) -> Result<Atomic<u64>> {
        if u64::try_from(size).map_err(|_| E2BIG)? > param(module_parameters::max_size.value()) {
            return Err(E2BIG);
        }
        Ok(Atomic::new(0))
    }

    fn charge(counters: &Scope<Counters>, inode: &Inode<Self>, nr: usize) -> Result {
        let nr = u64::try_from(nr).map_err(|_| ENOSPC)?;
        let limit = counters.max_pages.load(Relaxed);
        let now = counters.pages.fetch_add(nr, Relaxed).saturating_add(nr);

        if limit != 0 && now > limit {
            let _ = counters.pages.fetch_sub(nr, Relaxed);
            return Err(ENOSPC);
        }
        if let Some(pages) = inode.file_data() {
            pages.add(nr, Relaxed);
        }
        Ok(())
    }

    fn uncharge(counters: &Scope<Counters>, inode: &Inode<Self>, nr: usize) {
        let nr = u64::try_from(nr).unwrap_or(u64::MAX);
        if let Some(pages) = inode.file_data() {
            let _ = pages.fetch_sub(nr, Relaxed);
        }
        let _ = counters.pages.fetch_sub(nr, Relaxed);
    }

    fn mmap_policy(_: &Scope<Counters>, _: &Inode<Self>, map: MapFlags) -> Result<MapFlags> {
        if !map.contains(MapFlag::Shared) {
            return Err(EINVAL);
        }
        Ok(MapFlag::DontDump.into())
    }

    fn prepare_folio(_: &Scope<Counters>, _: &Inode<Self>, folio: &IncomingFolio) -> Result {
        if !folio.is_direct_mapped() {
            UNMAPPED.add(1, Relaxed);
        }
        Ok(())
    }

    fn free_folio(folio: &LeavingFolio) {
        // The abstraction puts it back in the direct map and zeroes it after this.
        if !folio.is_direct_mapped() {
            let _ = UNMAPPED.fetch_sub(1, Relaxed);
        }
    }
}

#[pin_data]
struct RustGmemfile {
    #[pin]
    device: MemfileDevice<RustGmemfileType>,
}

impl kernel::InPlaceModule for RustGmemfile {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let counters = Counters {
            pages: Atomic::new(0),
            max_pages: Atomic::new(param(module_parameters::max_pages.value())),
        };
        let counters = Scope::dir(counters, c"rust_gmemfile", |counters, dir| {
            dir.read_callback_file(c"pages", counters, &|counters: &Counters, f| {
                writeln!(f, "{}", counters.pages.load(Relaxed))
            });
            dir.read_callback_file(c"unmapped", counters, &|_: &Counters, f| {
                writeln!(f, "{}", UNMAPPED.load(Relaxed))
            });
            dir.read_write_file(c"max_pages", &counters.max_pages);
        });

        try_pin_init!(Self {
            device <- MemfileDevice::register(c"rust_gmemfile", module, counters),
        })
    }
}
