// SPDX-License-Identifier: GPL-2.0

//! rust_ramfile: a RAM file system whose mappings support userfaultfd, in Rust.
//!
//! The Rust twin of `samples/ramfile/ramfile.c`, a model memory-type driver for uffd-shim. The
//! shim serves the file system from RAM (inodes, directories, reads, writes, fallocate, `->mmap`
//! and the fault path); the driver only describes its memory type:
//!
//! 1. the userfaultfd modes it supports: MISSING, MINOR and WP;
//! 2. page accounting, so that a size limit (the `max_pages` parameter) holds and leaks are
//!    visible in `/sys/kernel/debug/rust_ramfile/pages`;
//! 3. the userfaultfd folio callbacks, written in Rust on `kernel::uffd_shim` rather than left to
//!    the shim's defaults, to show how.
//!
//! Nothing here touches `vm_uffd_ops` or `handle_userfault()`.
//!
//! ```sh
//! mount -t rust_ramfile none /mnt
//! ```

use core::borrow::Borrow;
use kernel::{
    debugfs::{
        Dir,
        File, //
    },
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            Atomic,
            Relaxed, //
        },
    },
    uffd_shim::{
        self,
        Folio,
        FolioGuard,
        FsType,
        LockedFolio,
        Mapping,
        MemoryType,
        Modes,
        Registration,
        ShimVma, //
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
            description: "Limit on rust_ramfile pages, all mounts (0: none)",
        },
    },
}

/// Pages in rust_ramfile page caches, all mounts together.
///
/// Every page enters through [`RustRamfileType::account`], called by the shim (fills, faults,
/// writes, fallocate) or by [`RustRamfileType::filemap_add`], and leaves through it, with a
/// negative count, as it leaves the page cache, whatever removed it.
static PAGES: Atomic<i64> = Atomic::new(0);

/// The page limit, 0 for none.
///
/// Rust module parameters are read-only (not in sysfs): the value is fixed at load time, so
/// reading it on every call is reading the same value.
fn max_pages() -> i64 {
    let value = module_parameters::max_pages.value();
    // `value()` returns `&u64` in 7.2 and `u64` from 7.3 on; `Borrow` takes either, so the
    // driver needs no version conditional.
    let max: u64 = *Borrow::<u64>::borrow(&value);
    i64::try_from(max).unwrap_or(i64::MAX)
}

/// The memory type.
struct RustRamfileType;

#[vtable]
impl MemoryType for RustRamfileType {
    const NAME: &'static CStr = c"rust_ramfile";
    const MODES: Modes = Modes::ALL;

    fn account(pages: isize) -> Result {
        let pages = i64::try_from(pages).map_err(|_| EINVAL)?;
        let now = PAGES.fetch_add(pages, Relaxed).wrapping_add(pages);
        let limit = max_pages();

        if pages > 0 && limit != 0 && now > limit {
            PAGES.add(pages.wrapping_neg(), Relaxed);
            return Err(ENOSPC);
        }
        Ok(())
    }

    fn get_folio_noalloc(mapping: &Mapping, pgoff: usize) -> Result<LockedFolio> {
        // Unlike the shim's default, this does not refuse `pgoff` at or after the end of the
        // file: only the inode knows its size. A folio there is transient (a write fills the page
        // before it moves the end of the file, truncation removes it), and the kernel checks the
        // size again, under the page table lock, before it maps the folio.
        let folio = mapping.lock_folio(pgoff).ok_or(ENOENT)?;
        if !folio.is_uptodate() {
            // Dropping `folio` unlocks it and drops the reference.
            return Err(EIO);
        }
        Ok(folio)
    }

    fn alloc_folio(vma: &ShimVma, addr: usize) -> Result<ARef<Folio>> {
        Folio::alloc_for_vma(vma, addr)
    }

    fn filemap_add<'a>(folio: &'a Folio, vma: &ShimVma, addr: usize) -> Result<FolioGuard<'a>> {
        let pages = isize::try_from(folio.nr_pages()).map_err(|_| EINVAL)?;

        // Unlike the shim's default, this does not refuse an index at or after the end of the
        // file with `EFAULT` up front: the kernel checks the size under the page table lock, and
        // a folio it then refuses comes back through `filemap_remove`.
        Self::account(pages)?;
        // On success the guard, and with it the lock, goes back to the shim.
        vma.mapping()
            .add_folio(folio, vma.pgoff(addr))
            .inspect_err(|_| {
                // Unaccounting is never refused.
                let _ = Self::account(-pages);
            })
    }

    fn filemap_remove(folio: FolioGuard<'_>, vma: &ShimVma) {
        // Leaving the page cache goes through `->free_folio`, which unaccounts the page. If the
        // folio got mapped meanwhile it stays in the page cache, accounted, as with the default.
        let _ = vma.mapping().remove_folio(&folio);
        // Dropping `folio` unlocks it, as the kernel requires.
    }
}

static FS: FsType = FsType::new(c"rust_ramfile");

struct RustRamfile {
    _registration: Registration<RustRamfileType>,
    _pages: Pin<KBox<File<()>>>,
    _debugfs: Dir,
}

impl kernel::Module for RustRamfile {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let debugfs = Dir::new(c"rust_ramfile");
        let pages = KBox::pin_init(
            debugfs.read_callback_file(c"pages", (), &|(), f| {
                writeln!(f, "{}", PAGES.load(Relaxed))
            }),
            GFP_KERNEL,
        )?;

        // SAFETY: `module` is our own `THIS_MODULE`, nothing after this can fail, and the
        // registration lives in the module data: it is dropped only at module exit, which cannot
        // begin while a superblock of `FS` pins the module.
        let registration = unsafe { Registration::<RustRamfileType>::new_ram_fs(&FS, module) }?;

        pr_info!(
            "uffd-shim API {}, features {:#x}, max_pages {}\n",
            uffd_shim::api_version(),
            uffd_shim::features().bits(),
            max_pages()
        );

        Ok(Self {
            _registration: registration,
            _pages: pages,
            _debugfs: debugfs,
        })
    }
}

impl Drop for RustRamfile {
    fn drop(&mut self) {
        // Module exit runs with no mount left, so every page cache is gone: anything still
        // accounted leaked.
        let left = PAGES.load(Relaxed);
        if left != 0 {
            pr_warn!("{} pages still accounted at exit\n", left);
        }
    }
}
