// SPDX-License-Identifier: GPL-2.0

//! KUnit cases of `kernel::uffd_shim`.
//!
//! Each case takes its results first and asserts them once it has released what it holds: a
//! failed assertion ends the case without running destructors, which would leave a folio locked
//! or a type registered.

use super::*;
use crate::new_mutex;
use crate::{
    fs::File,
    page::PAGE_SIZE,
    sync::{
        aref::ARef,
        Mutex, //
    },
    uaccess::{
        UserPtr,
        UserSlice, //
    },
};
use core::ptr::NonNull;

/// The page cache of `file`.
fn mapping_of(file: &File) -> &AddressSpace {
    // SAFETY: `file` is valid and pins its inode, whose page cache `f_mapping` is, for the borrow.
    unsafe { AddressSpace::from_raw((*file.as_ptr()).f_mapping) }
}

/// `text`, NUL-terminated, in a new folio inserted at `index` of `mapping`, unlocked.
fn cached_folio(mapping: &AddressSpace, index: usize, text: &[u8]) -> Result<ARef<Folio>> {
    let mut folio = NewFolio::alloc(Some(mapping))?;
    folio.write(0, text)?;
    Ok(mapping.add_folio(folio, index)?.unlock())
}

/// The first bytes of `folio`, read under its lock.
fn text_of(folio: &Folio) -> [u8; 8] {
    let mut buf = [0u8; 8];
    let _ = LockedFolio::lock(ARef::from(folio)).read(0, &mut buf);
    buf
}

#[macros::kunit_tests(rust_uffd_shim_folio)]
mod folio {
    use super::*;

    #[test]
    fn clone_takes_a_reference_and_drop_releases_it() -> Result {
        let folio = NewFolio::alloc(None)?.into_folio();
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
    fn locked_folio_unlocks_on_drop() -> Result {
        let folio = NewFolio::alloc(None)?.into_folio();
        let before = folio.is_locked();
        let locked = LockedFolio::lock(folio.clone());
        let held = folio.is_locked();
        drop(locked);
        let after = folio.is_locked();
        drop(folio);

        assert!(!before);
        assert!(held);
        assert!(!after);
        Ok(())
    }

    #[test]
    fn try_lock_gives_the_folio_back_while_locked() -> Result {
        let folio = NewFolio::alloc(None)?.into_folio();
        let locked = LockedFolio::lock(folio.clone());
        let second = LockedFolio::try_lock(folio.clone());
        let refused = second.is_err();
        drop(second);
        drop(locked);
        let again = LockedFolio::try_lock(folio.clone());
        let taken = again.is_ok();
        drop(again);
        drop(folio);

        assert!(refused);
        assert!(taken);
        Ok(())
    }

    #[test]
    fn unlock_keeps_the_reference() -> Result {
        let locked = LockedFolio::lock(NewFolio::alloc(None)?.into_folio());
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
    fn new_folio_is_zeroed() -> Result {
        let folio = NewFolio::alloc(None)?;
        let mut all_zero = true;
        for offset in (0..folio.size()).step_by(64) {
            let mut buf = [0xffu8; 64];
            folio.read(offset, &mut buf)?;
            all_zero &= buf.iter().all(|&byte| byte == 0);
        }
        drop(folio);

        assert!(all_zero);
        Ok(())
    }

    #[test]
    fn write_then_read_returns_the_bytes() -> Result {
        const DATA: [u8; 16] = *b"uffd-shim folio!";

        let mut folio = NewFolio::alloc(None)?;
        // Up to the last byte of the folio.
        let offset = folio.size() - DATA.len();
        let mut back = [0u8; DATA.len()];
        let written = folio.write(offset, &DATA);
        let read = folio.read(offset, &mut back);
        drop(folio);

        assert_eq!(written, Ok(()));
        assert_eq!(read, Ok(()));
        assert_eq!(back, DATA);
        Ok(())
    }

    #[test]
    fn copy_from_user_fills_the_folio() -> Result {
        // SAFETY: The function maps a page in the case's mm and copies the string into it.
        let addr = unsafe { bindings::uffd_kunit_rust_user_page(c"from user".as_char_ptr()) };
        let mut reader = UserSlice::new(UserPtr::from_addr(addr), 10).reader();
        let mut folio = NewFolio::alloc(None)?;
        let copied = folio.copy_from_user(100, &mut reader, 10);
        let mut back = [0u8; 10];
        let read = folio.read(100, &mut back);
        let past_the_end = folio.copy_from_user(folio.size() - 1, &mut reader, 2);
        drop(folio);

        assert_ne!(addr, 0);
        assert_eq!(copied, Ok(()));
        assert_eq!(read, Ok(()));
        assert_eq!(&back, b"from user\0");
        assert_eq!(past_the_end, Err(EINVAL));
        Ok(())
    }

    #[test]
    fn write_past_the_end_is_einval() -> Result {
        let mut folio = NewFolio::alloc(None)?;
        let size = folio.size();
        let mut buf = [0u8; 2];
        let straddling_write = folio.write(size - 1, &[1, 2]);
        let straddling_read = folio.read(size - 1, &mut buf);
        let beyond = folio.write(size + 1, &[]);
        let overflowing = folio.write(usize::MAX, &[1]);
        drop(folio);

        assert_eq!(straddling_write, Err(EINVAL));
        assert_eq!(straddling_read, Err(EINVAL));
        assert_eq!(beyond, Err(EINVAL));
        assert_eq!(overflowing, Err(EINVAL));
        Ok(())
    }
}

/// A memory-file type for the page-cache cases.
struct Plain;

#[vtable]
impl MemoryType for Plain {
    type Data = ();
    type FileData = ();
    const NAME: &'static CStr = c"rust_kunit_plain";
    const MODES: Modes = Modes::ALL;
    const FLAGS: TypeFlags = TypeFlags::empty().with(TypeFlag::Memfile);
}

#[macros::kunit_tests(rust_uffd_shim_address_space)]
mod address_space {
    use super::*;

    #[test]
    fn add_folio_inserts_it_locked_and_uptodate() -> Result {
        let registration = KBox::pin_init(Registration::<Plain>::new_memfile(()), GFP_KERNEL)?;
        let file = registration.create_file(c"[rust_kunit]", 4 * PAGE_SIZE, ())?;
        let mapping = mapping_of(&file);
        let locked = mapping.add_folio(NewFolio::alloc(Some(mapping))?, 1)?;
        let found = locked.is_in(mapping) && locked.is_locked() && locked.is_uptodate();
        let index = locked.index();
        drop(locked);
        let looked_up = mapping
            .lock_folio(1)
            .is_some_and(|folio| folio.index() == 1);
        drop(file);
        drop(registration);

        assert!(found);
        assert_eq!(index, 1);
        assert!(looked_up);
        Ok(())
    }

    #[test]
    fn add_folio_on_a_populated_index_is_eexist() -> Result {
        let registration = KBox::pin_init(Registration::<Plain>::new_memfile(()), GFP_KERNEL)?;
        let file = registration.create_file(c"[rust_kunit]", 4 * PAGE_SIZE, ())?;
        let mapping = mapping_of(&file);
        let first = cached_folio(mapping, 2, b"first\0");
        let second = mapping
            .add_folio(NewFolio::alloc(Some(mapping))?, 2)
            .map(|_| ());
        let kept = first.as_deref().map(text_of).ok();
        drop(first);
        drop(file);
        drop(registration);

        assert_eq!(second, Err(EEXIST));
        assert_eq!(kept, Some(*b"first\0\0\0"));
        Ok(())
    }

    #[test]
    fn remove_folio_of_another_page_cache_is_einval() -> Result {
        let registration = KBox::pin_init(Registration::<Plain>::new_memfile(()), GFP_KERNEL)?;
        let file = registration.create_file(c"[rust_kunit]", 4 * PAGE_SIZE, ())?;
        let other = registration.create_file(c"[rust_kunit]", 4 * PAGE_SIZE, ())?;
        let locked = mapping_of(&file).add_folio(NewFolio::alloc(None)?, 0)?;
        let elsewhere = mapping_of(&other).remove_folio(&locked);
        let here = mapping_of(&file).remove_folio(&locked);
        let gone = !locked.is_in(mapping_of(&file));
        drop(locked);
        drop((file, other));
        drop(registration);

        assert_eq!(elsewhere, Err(EINVAL));
        assert_eq!(here, Ok(()));
        assert!(gone);
        Ok(())
    }

    #[test]
    fn registering_a_ram_fs_type_as_memfile_is_einval() -> Result {
        struct NotMemfile;

        #[vtable]
        impl MemoryType for NotMemfile {
            type Data = ();
            type FileData = ();
            const NAME: &'static CStr = c"rust_kunit_not_memfile";
            const MODES: Modes = Modes::ALL;
        }

        let registration = KBox::pin_init(Registration::<NotMemfile>::new_memfile(()), GFP_KERNEL);
        let refused = registration.as_ref().err().copied();
        drop(registration);

        assert_eq!(refused, Some(EINVAL));
        Ok(())
    }
}

/// What the misbehaving type's callbacks hand the kernel.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Misdeed {
    /// `get_folio_noalloc`: the victim folio, wherever it is.
    GiveVictim,
    /// `filemap_add`: insert at the next index.
    AddOnePageOn,
}

/// A memory-file type whose callbacks misbehave, in safe Rust, as the case says.
struct Misbehaving;

/// The case's orders.
struct Orders {
    misdeed: Misdeed,
    victim: Option<ARef<Folio>>,
}

#[vtable]
impl MemoryType for Misbehaving {
    type Data = Pin<KBox<Mutex<Orders>>>;
    type FileData = ();
    const NAME: &'static CStr = c"rust_kunit_misbehaving";
    const MODES: Modes = Modes::ALL;
    const FLAGS: TypeFlags = TypeFlags::empty().with(TypeFlag::Memfile);

    fn get_folio_noalloc(data: &Self::Data, _: &Inode<Self>, _: usize) -> Result<LockedFolio> {
        let victim = data.lock().victim.clone().ok_or(ENOENT)?;
        Ok(LockedFolio::lock(victim))
    }

    fn filemap_add(
        data: &Self::Data,
        folio: NewFolio,
        vma: &ShimVma<Self>,
        addr: usize,
    ) -> Result<LockedFolio> {
        let next = usize::from(data.lock().misdeed == Misdeed::AddOnePageOn);
        vma.mapping().add_folio(folio, vma.pgoff(addr) + next)
    }

    fn filemap_remove(_: &Self::Data, folio: &LockedFolio, vma: &ShimVma<Self>) {
        defaults::filemap_remove(folio, vma);
    }
}

/// The misbehaving type, registered, with a file, and the victim folio.
struct Scene {
    files: KVec<ARef<File>>,
    registration: Pin<KBox<Registration<Misbehaving>>>,
}

impl Scene {
    fn new(misdeed: Misdeed) -> Result<Self> {
        let orders = KBox::pin_init(
            new_mutex!(Orders {
                misdeed,
                victim: None
            }),
            GFP_KERNEL,
        )?;
        let registration = KBox::pin_init(Registration::new_memfile(orders), GFP_KERNEL)?;
        let mut files = KVec::new();
        for _ in 0..2 {
            files.push(
                registration.create_file(c"[rust_kunit]", 4 * PAGE_SIZE, ())?,
                GFP_KERNEL,
            )?;
        }
        Ok(Self {
            files,
            registration,
        })
    }

    /// Has `get_folio_noalloc` hand out `victim` for `UFFDIO_CONTINUE` of page 1 of the first
    /// file, then ends the scene. Returns the ioctl's result, the victim's reference count
    /// before, and its lock state, reference count and first bytes after.
    fn continue_with(self, victim: ARef<Folio>) -> (isize, i32, (bool, i32, [u8; 8])) {
        let refs = victim.refcount();
        self.registration.data().lock().victim = Some(victim.clone());
        // SAFETY: The file is valid; the function maps it in the case's mm and registers it, with
        // the KUnit test of the current thread.
        let ret = unsafe { bindings::uffd_kunit_rust_continue(self.files[0].as_ptr(), 1) };
        self.registration.data().lock().victim = None;
        // Read before the scene ends: its files' truncation would wait for a lock left held.
        let (locked, refs_after) = (victim.is_locked(), victim.refcount());
        let text = if locked { [0; 8] } else { text_of(&victim) };
        drop(self);
        (ret as isize, refs, (locked, refs_after, text))
    }

    fn copy_page_1(&self) -> isize {
        // SAFETY: As in `continue_with`; the fill string is NUL-terminated.
        unsafe {
            bindings::uffd_kunit_rust_copy(self.files[0].as_ptr(), 1, c"copy".as_char_ptr())
                as isize
        }
    }
}

fn errno(err: Error) -> isize {
    err.to_errno() as isize
}

#[macros::kunit_tests(rust_uffd_shim_misuse)]
mod misuse {
    use super::*;

    #[test]
    fn continue_with_a_folio_of_another_file_is_efault() -> Result {
        let scene = Scene::new(Misdeed::GiveVictim)?;
        let victim = cached_folio(mapping_of(&scene.files[1]), 1, b"victim\0")?;
        let (ret, refs, after) = scene.continue_with(victim);
        assert_eq!(ret, errno(EFAULT));
        assert_eq!(after, (false, refs, *b"victim\0\0"));
        Ok(())
    }

    #[test]
    fn continue_with_a_folio_at_another_index_is_efault() -> Result {
        let scene = Scene::new(Misdeed::GiveVictim)?;
        let victim = cached_folio(mapping_of(&scene.files[0]), 2, b"victim\0")?;
        let (ret, refs, after) = scene.continue_with(victim);
        assert_eq!(ret, errno(EFAULT));
        assert_eq!(after, (false, refs, *b"victim\0\0"));
        Ok(())
    }

    #[test]
    fn continue_with_a_removed_folio_is_efault() -> Result {
        let scene = Scene::new(Misdeed::GiveVictim)?;
        let mapping = mapping_of(&scene.files[0]);
        let victim = cached_folio(mapping, 1, b"victim\0")?;
        let locked = LockedFolio::lock(victim.clone());
        let removed = mapping.remove_folio(&locked);
        drop(locked);
        let (ret, refs, after) = scene.continue_with(victim);

        assert_eq!(removed, Ok(()));
        assert_eq!(ret, errno(EFAULT));
        assert_eq!(after, (false, refs, *b"victim\0\0"));
        Ok(())
    }

    #[test]
    fn continue_with_a_folio_not_uptodate_is_efault() -> Result {
        let scene = Scene::new(Misdeed::GiveVictim)?;
        let mapping = mapping_of(&scene.files[0]);
        // Safe Rust cannot make one: `add_folio` marks what it inserts uptodate. C can.
        // SAFETY: `mapping` is valid; the function returns a folio with a reference, or NULL.
        let ptr = unsafe { bindings::uffd_kunit_rust_stale_folio(mapping.as_raw(), 1) };
        let ptr = NonNull::new(ptr).ok_or(ENOMEM)?;
        // SAFETY: The reference is ours.
        let victim = unsafe { Folio::from_owned(ptr) };
        let (ret, refs, (locked, refs_after, _)) = scene.continue_with(victim);

        assert_eq!(ret, errno(EFAULT));
        assert!(!locked);
        assert_eq!(refs_after, refs);
        Ok(())
    }

    #[test]
    fn copy_added_at_another_index_is_einval_and_leaves_no_page() -> Result {
        let scene = Scene::new(Misdeed::AddOnePageOn)?;
        let ret = scene.copy_page_1();
        let mapping = mapping_of(&scene.files[0]);
        let at_1 = mapping.get_folio(1).is_some();
        let at_2 = mapping.get_folio(2).is_some();
        drop(scene);

        assert_eq!(ret, errno(EINVAL));
        assert!(!at_1);
        assert!(!at_2);
        Ok(())
    }
}
