//! Memory shared with the children: an anonymous memory file (memfd, close-on-exec) mapped
//! shared. Made in the master before it forks, so every child sees the same bytes; a
//! re-executed master maps it again from the descriptor it was handed. The scoreboard and the
//! metric area each live in one; what they keep there is only atomics, never pointers.

use nix::sys::mman::{mmap, munmap, MapFlags, ProtFlags};
use std::ffi::CStr;
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::ptr::NonNull;

/// One mapped memory file.
pub struct SharedMemory {
    fd: OwnedFd,
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is only ever read and written through atomics (the users' records are
// atomics and padding), so it may be shared and sent between threads like the atomics are.
unsafe impl Send for SharedMemory {}
// SAFETY: as above.
unsafe impl Sync for SharedMemory {}

impl SharedMemory {
    /// A new, zeroed memory file of `len` bytes (not 0), named `name` in /proc/PID/fd.
    pub fn create(name: &CStr, len: usize) -> Result<SharedMemory, String> {
        let fd = nix::sys::memfd::memfd_create(name, nix::sys::memfd::MFdFlags::MFD_CLOEXEC)
            .map_err(|e| format!("memfd_create: {e}"))?;
        nix::unistd::ftruncate(&fd, len as libc::off_t).map_err(|e| format!("ftruncate: {e}"))?;
        SharedMemory::map(fd, len)
    }

    /// Maps the whole memory file `fd` (handed over across exec). Smaller than `min_len` is
    /// "not a `what` (too small)".
    pub fn from_fd(fd: OwnedFd, min_len: usize, what: &str) -> Result<SharedMemory, String> {
        let st = nix::sys::stat::fstat(&fd).map_err(|e| format!("fstat: {e}"))?;
        let len = usize::try_from(st.st_size).unwrap_or(0);
        if len < min_len.max(1) {
            return Err(format!("not a {what} (too small)"));
        }
        SharedMemory::map(fd, len)
    }

    fn map(fd: OwnedFd, len: usize) -> Result<SharedMemory, String> {
        let size = NonZeroUsize::new(len).ok_or("empty shared memory")?;
        // SAFETY: a new shared mapping of a memory file we hold; nothing else refers to the range.
        let base = unsafe {
            mmap(
                None,
                size,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
                &fd,
                0,
            )
        }
        .map_err(|e| format!("mmap: {e}"))?;
        Ok(SharedMemory {
            fd,
            base: base.cast(),
            len,
        })
    }

    /// Its size in bytes.
    pub fn size(&self) -> usize {
        self.len
    }

    /// The memory file.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The raw descriptor number (for handing over across exec).
    pub fn raw_fd(&self) -> i32 {
        self.fd.as_raw_fd()
    }

    /// The `T` at `offset`.
    ///
    /// # Safety
    /// `offset` plus the size of `T` must lie inside the mapping, `offset` must be aligned for
    /// `T`, and every bit pattern must be a valid `T` (atomics and padding only).
    pub unsafe fn at<T>(&self, offset: usize) -> &T {
        debug_assert!(offset + std::mem::size_of::<T>() <= self.len);
        debug_assert!(offset.is_multiple_of(std::mem::align_of::<T>()));
        &*(self.base.as_ptr().add(offset) as *const T)
    }
}

impl std::fmt::Debug for SharedMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedMemory")
            .field("fd", &self.fd)
            .field("len", &self.len)
            .finish()
    }
}

impl Drop for SharedMemory {
    fn drop(&mut self) {
        // SAFETY: our own mapping; what users borrowed from it cannot outlive `self`.
        let _ = unsafe { munmap(self.base.cast(), self.len) };
    }
}
