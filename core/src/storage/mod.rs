//! Mapping a request's URL path onto the file system (Apache's map_to_storage and directory
//! walk): the core does it once per request, before the access check and before any handler, so
//! that the `<Directory>` sections that apply are those of the directory the file really is in,
//! and the file handlers read is the one that was checked.
//!
//! - `path.rs`: the one lexical form paths are compared in.
//! - `root.rs`: the DocumentRoot a thread maps under, open, with its real path.
//! - `open_files.rs`: the fast path (one `openat2` that refuses every link) and its open files.
//! - `walk.rs`: the slow path, a walk by directory descriptors judging each link.

mod open_files;
pub mod path;
mod root;
mod walk;

pub use mapache_plugin_api::sdk::options::Links;
pub use walk::Refused;

use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::rc::Rc;

/// What a path names on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Nothing: the OS error of the lookup.
    None(i32),
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A FIFO, socket or device.
    Other,
}

/// A URL path mapped under DocumentRoot.
#[derive(Debug)]
pub struct Mapped {
    /// The URL path it was mapped from (normalized).
    pub url_path: Vec<u8>,
    /// What is there.
    pub kind: Kind,
    /// The file or directory, opened in the step that resolved its path.
    pub file: Option<Rc<File>>,
    /// Its real path (absolute, no link; for a missing file the deepest real directory and the
    /// rest as asked).
    pub real: Vec<u8>,
    /// DocumentRoot as configured joined with the URL path: the name asked for.
    pub requested: Vec<u8>,
    /// The open file's size and modification time (ns since the epoch); zero when none.
    pub size: u64,
    /// See `size`.
    pub mtime_ns: i64,
}

/// An open file and its metadata, or the errno of the lookup.
type Opened = Result<(Rc<File>, Metadata), i32>;

/// Maps `url_path` (decoded; dot segments are resolved and cannot climb above `/`) under the
/// DocumentRoot `document_root` (normalized). `links_at(dir)` is the link policy in the real
/// directory `dir` (the `Options` of its `<Directory>` sections), asked only when a link is met.
pub fn map(
    document_root: &[u8],
    url_path: &[u8],
    links_at: &dyn Fn(&[u8]) -> Links,
) -> Result<Mapped, Refused> {
    let url = path::normalize(url_path);
    let rel = url.strip_prefix(b"/").unwrap_or(&url);
    let requested = path::join(document_root, rel);
    let root = match root::open(document_root) {
        Ok(root) => root,
        Err(e) => {
            crate::logs::error_log::log(
                "core",
                crate::logs::error_log::ERROR,
                None,
                &format!(
                    "DocumentRoot {} is not accessible: {e}",
                    String::from_utf8_lossy(document_root)
                ),
            );
            return Ok(Mapped {
                url_path: url,
                kind: Kind::None(e.raw_os_error().unwrap_or(libc::ENOENT)),
                file: None,
                real: requested.clone(),
                requested,
                size: 0,
                mtime_ns: 0,
            });
        }
    };
    let fast = if rel.is_empty() {
        None
    } else {
        open_files::cached_or_open(&root.real, std::os::fd::AsRawFd::as_raw_fd(&root.fd), rel)
    };
    let (opened, real): (Opened, Vec<u8>) = match fast {
        Some(Ok(found)) => (Ok(found), path::join(&root.real, rel)),
        Some(Err(e)) => (Err(os_error(&e)), path::join(&root.real, rel)),
        None => match walk::walk(&root.fd, &root.real, rel, open_files::OPEN_FLAGS, links_at)? {
            walk::Found::Open(file, real) => {
                let opened = file.metadata().map_err(|e| os_error(&e));
                (opened.map(|meta| (Rc::new(file), meta)), real)
            }
            walk::Found::Missing(errno, real) => (Err(errno), real),
        },
    };
    let (kind, file, size, mtime_ns) = match opened {
        Ok((file, meta)) => (kind_of(&meta), Some(file), meta.len(), mtime_ns(&meta)),
        Err(errno) => (Kind::None(errno), None, 0, 0),
    };
    Ok(Mapped {
        url_path: url,
        kind,
        file,
        real,
        requested,
        size,
        mtime_ns,
    })
}

/// DocumentRoot (normalized) joined with the URL path, normalized: the name a path asks for.
pub fn requested(document_root: &[u8], url_path: &[u8]) -> Vec<u8> {
    let url = path::normalize(url_path);
    path::join(document_root, url.strip_prefix(b"/").unwrap_or(&url))
}

/// Modification time in nanoseconds since the epoch.
fn mtime_ns(meta: &Metadata) -> i64 {
    meta.mtime()
        .saturating_mul(1_000_000_000)
        .saturating_add(meta.mtime_nsec())
}

fn os_error(e: &io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

fn kind_of(meta: &std::fs::Metadata) -> Kind {
    if meta.is_file() {
        Kind::File
    } else if meta.is_dir() {
        Kind::Directory
    } else {
        Kind::Other
    }
}

/// The error-log line for a refused path, in Apache's words where it has them.
pub fn refusal_message(refused: &Refused) -> String {
    match refused {
        Refused::Link(link) => format!(
            "Symbolic link not allowed or link target not accessible: {}",
            String::from_utf8_lossy(link)
        ),
        Refused::Outside(link, target) => format!(
            "symbolic link leads outside DocumentRoot and Options FollowSymLinks is off: {} -> {}",
            String::from_utf8_lossy(link),
            String::from_utf8_lossy(target)
        ),
    }
}
