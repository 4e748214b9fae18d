//! The DocumentRoot a thread maps paths under: an open directory (`O_PATH`) and its real path,
//! read from the descriptor itself, so the two always describe the same directory.

use std::cell::RefCell;
use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How long an open DocumentRoot is reused: a DocumentRoot symlink swapped at deploy time is
/// followed within this delay.
const ROOT_TTL: Duration = Duration::from_secs(1);
/// DocumentRoots kept open per thread.
const ROOTS_KEPT: usize = 4;

/// An open DocumentRoot.
pub struct Root {
    /// The DocumentRoot as configured (normalized).
    pub configured: Vec<u8>,
    /// The directory (`O_PATH | O_DIRECTORY`).
    pub fd: OwnedFd,
    /// Its real path (absolute, no symbolic link).
    pub real: Vec<u8>,
    opened: Instant,
}

thread_local! {
    static ROOTS: RefCell<Vec<Rc<Root>>> = const { RefCell::new(Vec::new()) };
}

/// The open DocumentRoot `configured`, opened at most [`ROOT_TTL`] ago.
pub fn open(configured: &[u8]) -> io::Result<Rc<Root>> {
    ROOTS.with(|cell| {
        let mut roots = cell.borrow_mut();
        let now = Instant::now();
        roots.retain(|r| now.duration_since(r.opened) < ROOT_TTL);
        if let Some(r) = roots.iter().find(|r| r.configured == configured) {
            return Ok(r.clone());
        }
        let c = CString::new(configured).map_err(|_| io::Error::from(io::ErrorKind::NotFound))?;
        // SAFETY: a valid C string; the descriptor returned is ours.
        let fd = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: just opened, owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // Without /proc, the path is resolved again: the same directory unless it is being
        // swapped at this very moment.
        let real = real_path(&fd).or_else(|_| {
            std::fs::canonicalize(OsStr::from_bytes(configured))
                .map(|p| p.into_os_string().into_vec())
        })?;
        let root = Rc::new(Root {
            configured: configured.to_vec(),
            fd,
            real,
            opened: now,
        });
        if roots.len() == ROOTS_KEPT {
            roots.remove(0);
        }
        roots.push(root.clone());
        Ok(root)
    })
}

/// The path the kernel knows an open descriptor by (`/proc/self/fd/N`).
pub fn real_path(fd: &OwnedFd) -> io::Result<Vec<u8>> {
    let link = format!("/proc/self/fd/{}", fd.as_raw_fd());
    let target = std::fs::read_link(link)?;
    Ok(target.into_os_string().into_vec())
}
