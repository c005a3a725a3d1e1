// SPDX-License-Identifier: GPL-2.0

//! rust_ramfile: a RAM file system whose mappings support userfaultfd, in Rust.
//!
//! The Rust twin of `samples/ramfile/ramfile.c`, a model memory-type driver for uffd-shim. The
//! shim serves the file system from RAM (inodes, directories, reads, writes, fallocate, `->mmap`
//! and the fault path); the driver only describes its memory type:
//!
//! 1. the userfaultfd modes it supports: all of them;
//! 2. page accounting, charged and uncharged per file, so that a size limit (the `max_pages`
//!    parameter, then `/sys/kernel/debug/rust_ramfile/max_pages`) holds and leaks are visible in
//!    `/sys/kernel/debug/rust_ramfile/pages`;
//! 3. the userfaultfd folio callbacks, written in Rust on `kernel::uffd_shim` rather than left to
//!    the shim's defaults, to show how.
//!
//! Nothing here touches `vm_uffd_ops` or `handle_userfault()`, and nothing is `unsafe`.
//!
//! ```sh
//! mount -t rust_ramfile none /mnt
//! ```

use core::borrow::Borrow;
use kernel::{
    debugfs::Scope,
    prelude::*,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
    uffd_shim::{
        self,
        defaults,
        FsType,
        Inode,
        LockedFolio,
        MemoryType,
        Modes,
        NewFolio,
        Registration,
        ShimVma,
        UnfilledFolio, //
    },
};

module! {
    type: RustRamfile,
    name: "rust_ramfile",
    description: "RAM file system with userfaultfd support, on uffd-shim, in Rust",
    license: "GPL",
    params: {
        max_pages: u64 {
            default: 0,
            description: "Initial limit on rust_ramfile pages, all mounts (0: none)",
        },
    },
}

/// A module parameter's value: `value()` returns `&u64` in 7.2 and `u64` from 7.3 on; `Borrow`
/// takes either, so the driver needs no version conditional.
fn param(value: impl Borrow<u64>) -> u64 {
    *value.borrow()
}

/// The registration's data, in a debugfs scope that shows it.
struct Counters {
    /// Pages in rust_ramfile page caches, all mounts together.
    pages: Atomic<i64>,
    /// The limit on `pages`, 0 for none: the `max_pages` parameter at load time, then what is
    /// written to `/sys/kernel/debug/rust_ramfile/max_pages` (parameters of Rust modules are
    /// not writable).
    max_pages: Atomic<u64>,
}

/// The memory type.
struct RustRamfileType;

#[vtable]
impl MemoryType for RustRamfileType {
    type Data = Scope<Counters>;
    type FileData = ();
    const NAME: &'static CStr = c"rust_ramfile";
    const MODES: Modes = Modes::ALL;

    fn charge(counters: &Scope<Counters>, _: &Inode<Self>, nr: usize) -> Result {
        let nr = i64::try_from(nr).map_err(|_| ENOSPC)?;
        let now = counters.pages.fetch_add(nr, Relaxed).saturating_add(nr);
        let limit = i64::try_from(counters.max_pages.load(Relaxed)).unwrap_or(i64::MAX);

        if limit != 0 && now > limit {
            let _ = counters.pages.fetch_sub(nr, Relaxed);
            return Err(ENOSPC);
        }
        Ok(())
    }

    fn uncharge(counters: &Scope<Counters>, _: &Inode<Self>, nr: usize) {
        let _ = counters
            .pages
            .fetch_sub(i64::try_from(nr).unwrap_or(i64::MAX), Relaxed);
    }

    fn get_folio_noalloc(
        _: &Scope<Counters>,
        inode: &Inode<Self>,
        pgoff: usize,
    ) -> Result<LockedFolio> {
        if pgoff >= inode.size_in_pages() {
            return Err(ENOENT);
        }
        let folio = inode.mapping().lock_folio(pgoff).ok_or(ENOENT)?;
        if !folio.is_uptodate() {
            // Dropping `folio` unlocks it and drops the reference.
            return Err(EIO);
        }
        Ok(folio)
    }

    // Not zeroed: the kernel fills every byte before `filemap_add`.
    fn alloc_folio(_: &Scope<Counters>, vma: &ShimVma<Self>, addr: usize) -> Result<UnfilledFolio> {
        UnfilledFolio::alloc_for_vma(vma, addr)
    }

    fn filemap_add(
        _: &Scope<Counters>,
        folio: NewFolio,
        vma: &ShimVma<Self>,
        addr: usize,
    ) -> Result<LockedFolio> {
        let index = vma.pgoff(addr);
        let inode = vma.inode();

        // The kernel checks the size again under the page table lock; this saves the work.
        if index >= inode.size_in_pages() {
            return Err(EFAULT);
        }
        // Charged through `charge` on the way in; the lock goes back to the shim.
        inode.mapping().add_folio(folio, index)
    }

    fn filemap_remove(_: &Scope<Counters>, folio: &LockedFolio, vma: &ShimVma<Self>) {
        defaults::filemap_remove(folio, vma);
    }
}

static FS: FsType = FsType::new(c"rust_ramfile");

#[pin_data]
struct RustRamfile {
    #[pin]
    registration: Registration<RustRamfileType>,
}

impl kernel::InPlaceModule for RustRamfile {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        // The counters, and their files in /sys/kernel/debug/rust_ramfile, live as long as the
        // registration, whose data they are.
        let counters = Counters {
            pages: Atomic::new(0),
            max_pages: Atomic::new(param(module_parameters::max_pages.value())),
        };
        let counters = Scope::dir(counters, c"rust_ramfile", |counters, dir| {
            dir.read_callback_file(c"pages", counters, &|counters: &Counters, f| {
                writeln!(f, "{}", counters.pages.load(Relaxed))
            });
            dir.read_write_file(c"max_pages", &counters.max_pages);
        });

        try_pin_init!(Self {
            registration <- Registration::new_ram_fs(&FS, module, counters),
        })
        .pin_chain(|_| {
            pr_info!(
                "uffd-shim API {}, features {:#x}, max_pages {}\n",
                uffd_shim::api_version(),
                uffd_shim::features().bits(),
                param(module_parameters::max_pages.value())
            );
            Ok(())
        })
    }
}
