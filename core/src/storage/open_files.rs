//! The fast path of mapping: one `openat2` beneath the DocumentRoot that the kernel refuses if
//! the path goes through any symbolic link or `..`, and a few open files kept per thread.

use std::cell::RefCell;
use std::fs::{File, Metadata};
use std::io;
use std::os::fd::FromRawFd;
use std::os::unix::fs::MetadataExt;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Open files kept per thread (nginx's open_file_cache, small and short-lived): reusing one
/// costs a `fstatat` instead of `openat2`, `fstat` and `close`.
const OPEN_FILES: usize = 8;
/// How long an open file is reused at most.
const OPEN_FILE_TTL: Duration = Duration::from_secs(1);
/// Larger files are not kept. A kept file that is deleted holds its disk space until the
/// thread's next request for it or past its TTL (an idle thread keeps it until it serves
/// again), so this bounds that to 8 MiB per thread. Opening (openat2, statx, close) is about a
/// sixth of the server's work for a 100 KiB file on loopback: keeping such files open took
/// mpm_event from 25k to 28k req/s on them (35 -> 30 us of server CPU per request).
const OPEN_FILE_MAX: u64 = 1024 * 1024;

struct OpenFile {
    root: Vec<u8>,
    rel: Vec<u8>,
    file: Rc<File>,
    meta: Metadata,
    opened: Instant,
}

thread_local! {
    static KEPT: RefCell<Vec<OpenFile>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with `rel` NUL-terminated (on the stack when short, so the fast path does not
/// allocate); `None` when `rel` holds a NUL.
pub fn with_c_path<T>(rel: &[u8], f: impl FnOnce(*const libc::c_char) -> T) -> Option<T> {
    if rel.contains(&0) {
        return None;
    }
    let mut stack = [0u8; 256];
    let heap;
    let cpath: &[u8] = if rel.len() < stack.len() {
        stack[..rel.len()].copy_from_slice(rel);
        &stack[..=rel.len()]
    } else {
        let mut v = Vec::with_capacity(rel.len() + 1);
        v.extend_from_slice(rel);
        v.push(0);
        heap = v;
        &heap
    };
    Some(f(cpath.as_ptr().cast()))
}

/// How the core opens what it maps: read-only, and non-blocking with no controlling terminal, so
/// a FIFO or device is opened without waiting and then never read.
pub const OPEN_FLAGS: libc::c_int =
    libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOCTTY | libc::O_NONBLOCK;

/// Opens `rel` beneath the directory `dir` with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`:
/// the kernel refuses `..`, absolute paths and any symbolic link on the way, so what opens is
/// inside the DocumentRoot by construction. `None` when the kernel refused for one of those
/// reasons (or lacks openat2): the caller walks the path itself, judging each link.
fn open_beneath(dir: i32, rel: &[u8]) -> Option<io::Result<File>> {
    with_c_path(rel, |cpath| {
        // SAFETY: open_how is plain data; zero is the documented default for every field.
        let mut how: libc::open_how = unsafe { std::mem::zeroed() };
        how.flags = OPEN_FLAGS as u64;
        how.resolve =
            libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
        // SAFETY: a NUL-terminated path, an initialized open_how of the size passed.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                dir,
                cpath,
                &how as *const libc::open_how,
                std::mem::size_of::<libc::open_how>(),
            )
        };
        if fd >= 0 {
            // SAFETY: just opened, owned by nobody else.
            return Some(Ok(unsafe { File::from_raw_fd(fd as i32) }));
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            // Missing, or a file used as a directory: resolution stops at the first component
            // that fails, so no link was crossed before it.
            Some(libc::ENOENT) | Some(libc::ENOTDIR) | Some(libc::EACCES) => Some(Err(e)),
            // ELOOP (a link), EXDEV (would leave the root), ENOSYS, EPERM (filtered), ...
            _ => None,
        }
    })?
}

/// Whether `st` (an lstat of the path now) is the file `meta` describes, unchanged: same inode,
/// size, modification and change times. The path may have been replaced, or the file written.
// The casts are no-ops on x86_64 Linux, not on every target libc's stat has.
#[allow(clippy::unnecessary_cast)]
fn unchanged(st: &libc::stat, meta: &Metadata) -> bool {
    st.st_dev as u64 == meta.dev()
        && st.st_ino as u64 == meta.ino()
        && st.st_size as i64 == meta.size() as i64
        && st.st_mtime as i64 == meta.mtime()
        && st.st_mtime_nsec as i64 == meta.mtime_nsec()
        && st.st_ctime as i64 == meta.ctime()
        && st.st_ctime_nsec as i64 == meta.ctime_nsec()
}

/// `rel` (relative, normalized) beneath the open DocumentRoot `dir` whose real path is `root`,
/// from the thread's open files when the path still names the same unchanged file, else opened
/// with [`open_beneath`]. A kept file was opened without crossing a link; the same inode found
/// again is that file. `None`: the path needs the walk.
pub fn cached_or_open(
    root: &[u8],
    dir: i32,
    rel: &[u8],
) -> Option<io::Result<(Rc<File>, Metadata)>> {
    KEPT.with(|cell| {
        let mut kept = cell.borrow_mut();
        let now = Instant::now();
        kept.retain(|f| now.duration_since(f.opened) < OPEN_FILE_TTL);
        if let Some(i) = kept.iter().position(|f| f.rel == rel && f.root == root) {
            // SAFETY: stat is plain data, filled by fstatat.
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            let found = with_c_path(rel, |cpath| {
                // SAFETY: a NUL-terminated path and a writable stat.
                unsafe { libc::fstatat(dir, cpath, &mut st, libc::AT_SYMLINK_NOFOLLOW) == 0 }
            })
            .unwrap_or(false);
            if found && unchanged(&st, &kept[i].meta) {
                return Some(Ok((kept[i].file.clone(), kept[i].meta.clone())));
            }
            kept.remove(i);
        }
        let file = match open_beneath(dir, rel)? {
            Ok(file) => file,
            Err(e) => return Some(Err(e)),
        };
        let meta = file.metadata().ok()?;
        let file = Rc::new(file);
        if meta.is_file() && meta.len() <= OPEN_FILE_MAX {
            if kept.len() == OPEN_FILES {
                kept.remove(0);
            }
            kept.push(OpenFile {
                root: root.to_vec(),
                rel: rel.to_vec(),
                file: file.clone(),
                meta: meta.clone(),
                opened: now,
            });
        }
        Some(Ok((file, meta)))
    })
}
