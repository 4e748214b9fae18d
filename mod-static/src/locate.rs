//! Mapping a request path onto the file system under `DocumentRoot`: containment, symbolic links,
//! `.ht*` refusal, and the `DirectoryIndex` search.

use crate::escape::shown;
use mapache_plugin_api::sdk::{Level, Outcome, Request};
use std::cell::RefCell;
use std::ffi::OsStr;
use std::fs::{self, File, Metadata};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Why a request is refused, and what the error log should say about it.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub level: Level,
    pub message: String,
}

impl Refusal {
    pub fn forbidden(message: String) -> Self {
        Refusal {
            status: 403,
            level: Level::Error,
            message,
        }
    }

    /// Apache's mapping: missing → 404 (logged at info), anything else → 403.
    pub fn from_io(err: io::Error, path: &Path) -> Self {
        match err.kind() {
            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => Refusal {
                status: 404,
                level: Level::Info,
                message: format!("File does not exist: {}", shown(path)),
            },
            io::ErrorKind::PermissionDenied => Refusal::forbidden(format!(
                "file permissions deny server access: {}",
                shown(path)
            )),
            _ => Refusal::forbidden(format!("access to {} failed: {err}", shown(path))),
        }
    }

    /// Logs the reason and hands the status to the core for its error page.
    pub fn answer(self, req: &Request<'_>) -> Outcome {
        req.log(self.level, &self.message);
        Outcome::Status(self.status)
    }
}

/// What a path names on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Directory,
    /// FIFO, socket, device: never served (opening a FIFO would even block the worker).
    Other,
}

impl Kind {
    pub fn of(meta: &Metadata) -> Self {
        if meta.is_file() {
            Kind::File
        } else if meta.is_dir() {
            Kind::Directory
        } else {
            Kind::Other
        }
    }
}

/// What happens to a symbolic link whose target is outside `DocumentRoot` (links that stay inside
/// are always followed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Links {
    /// Refused with 403: the default, stricter than Apache's on purpose.
    Contained,
    /// Followed: `Options FollowSymLinks`.
    Follow,
}

/// A path found inside DocumentRoot.
#[derive(Debug)]
pub struct Located {
    /// DocumentRoot joined with the request path (or the index name): names the content type.
    pub requested: PathBuf,
    /// Canonical (no symlink, no `..`); under the canonical DocumentRoot unless a link was
    /// followed out of it. What is opened.
    pub path: PathBuf,
    pub kind: Kind,
    /// The file already opened, with its metadata (the fast path of [`locate_fast`]; shared
    /// with the thread's cache of open files).
    pub opened: Option<(Rc<File>, Metadata)>,
}

/// The canonical DocumentRoot, the base every served path must stay under.
pub fn canonical_root(document_root: &Path) -> Result<PathBuf, Refusal> {
    fs::canonicalize(document_root).map_err(|e| Refusal {
        // A missing root is the configuration's fault, not the client's: say so loudly.
        level: Level::Error,
        message: format!(
            "DocumentRoot {} is not accessible: {e}",
            shown(document_root)
        ),
        ..Refusal::from_io(e, document_root)
    })
}

/// `.htaccess`, `.htpasswd` and friends are never served (Debian's Apache default). Compared
/// case-insensitively so a case-insensitive file system cannot be used to read them.
pub fn is_ht_name(segment: &[u8]) -> bool {
    segment
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case(b".ht"))
}

fn has_ht_segment(url_path: &[u8]) -> bool {
    url_path.split(|&b| b == b'/').any(is_ht_name)
}

/// The request path under `root`. Every leading '/' goes, so `//etc` cannot make `join` replace
/// the root (the containment check would catch it anyway).
fn candidate_path(root: &Path, url_path: &[u8]) -> PathBuf {
    let start = url_path
        .iter()
        .position(|&b| b != b'/')
        .unwrap_or(url_path.len());
    root.join(OsStr::from_bytes(&url_path[start..]))
}

/// Maps a request path onto the canonical root `root`.
pub fn locate(root: &Path, url_path: &[u8], links: Links) -> Result<Located, Refusal> {
    let requested = candidate_path(root, url_path);
    // Refused before touching the disk, so a 403 says nothing about existence.
    if has_ht_segment(url_path) {
        return Err(Refusal::forbidden(format!(
            "access to .ht* files is denied: {}",
            shown(&requested)
        )));
    }
    // The core resolves dot segments before any handler runs; this holds even if it did not,
    // which matters once FollowSymLinks lifts the containment check below.
    if url_path.split(|&b| b == b'/').any(|s| s == b"..") {
        return Err(Refusal::forbidden(format!(
            "path contains '..': {}",
            shown(&requested)
        )));
    }
    locate_path(root, requested, links)
}

/// Resolves `requested` and keeps it when it stays under the canonical root `root`, or when it
/// leaves it through a link and `links` says to follow.
pub fn locate_path(root: &Path, requested: PathBuf, links: Links) -> Result<Located, Refusal> {
    let path = fs::canonicalize(&requested).map_err(|e| Refusal::from_io(e, &requested))?;
    // Component-wise: /srv/www2 is not under /srv/www.
    let ht_in_target = match path.strip_prefix(root) {
        // A link inside the root may still point at a .ht* file.
        Ok(inside) => inside
            .components()
            .any(|c| matches!(c, Component::Normal(n) if is_ht_name(n.as_bytes()))),
        Err(_) if links == Links::Follow => {
            path.file_name().is_some_and(|n| is_ht_name(n.as_bytes()))
        }
        Err(_) => {
            return Err(Refusal::forbidden(format!(
            "symbolic link leads outside DocumentRoot and Options FollowSymLinks is off: {} -> {}",
            shown(&requested),
            shown(&path)
        )))
        }
    };
    if ht_in_target {
        return Err(Refusal::forbidden(format!(
            "access to .ht* files is denied: {} -> {}",
            shown(&requested),
            shown(&path)
        )));
    }
    let meta = fs::metadata(&path).map_err(|e| Refusal::from_io(e, &requested))?;
    Ok(Located {
        requested,
        kind: Kind::of(&meta),
        path,
        opened: None,
    })
}

/// How long an open DocumentRoot descriptor is reused: a DocumentRoot symlink swapped at deploy
/// time is followed within this delay.
const ROOT_FD_TTL: Duration = Duration::from_secs(1);
/// DocumentRoots kept open per thread (sections may name several).
const ROOT_FDS: usize = 4;

/// An open DocumentRoot directory (`O_PATH`), the base of `openat2`.
struct RootFd {
    path: PathBuf,
    fd: OwnedFd,
    opened: Instant,
}

thread_local! {
    static ROOT_FDS_OPEN: RefCell<Vec<RootFd>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with a descriptor of `document_root`, opened at most [`ROOT_FD_TTL`] ago; `None`
/// when it cannot be opened (the slow path then reports why).
fn with_root_fd<T>(document_root: &Path, f: impl FnOnce(i32) -> T) -> Option<T> {
    ROOT_FDS_OPEN.with(|cell| {
        let mut roots = cell.borrow_mut();
        let now = Instant::now();
        roots.retain(|r| now.duration_since(r.opened) < ROOT_FD_TTL);
        let i = match roots.iter().position(|r| r.path == document_root) {
            Some(i) => i,
            None => {
                let c = std::ffi::CString::new(document_root.as_os_str().as_bytes()).ok()?;
                // SAFETY: a valid C string; the descriptor returned is ours.
                let fd = unsafe {
                    libc::open(
                        c.as_ptr(),
                        libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
                    )
                };
                if fd < 0 {
                    return None;
                }
                if roots.len() == ROOT_FDS {
                    roots.remove(0);
                }
                roots.push(RootFd {
                    path: document_root.to_path_buf(),
                    // SAFETY: just opened, owned by nobody else.
                    fd: unsafe { OwnedFd::from_raw_fd(fd) },
                    opened: now,
                });
                roots.len() - 1
            }
        };
        Some(f(roots[i].fd.as_raw_fd()))
    })
}

/// Opens `rel` beneath the directory `dir` with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`:
/// the kernel refuses `..`, absolute paths and any symbolic link on the way, so what opens is
/// inside the DocumentRoot by construction. `None` when the kernel refused for one of those
/// reasons (or lacks openat2): the caller takes the canonicalizing path, which judges links.
fn open_beneath(dir: i32, rel: &[u8]) -> Option<io::Result<File>> {
    with_c_path(rel, |cpath| open_beneath_c(dir, cpath))?
}

/// Runs `f` with `rel` NUL-terminated (on the stack when short, so the fast path does not
/// allocate); `None` when `rel` holds a NUL.
fn with_c_path<T>(rel: &[u8], f: impl FnOnce(*const libc::c_char) -> T) -> Option<T> {
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

fn open_beneath_c(dir: i32, cpath: *const libc::c_char) -> Option<io::Result<File>> {
    // SAFETY: open_how is plain data; zero is the documented default for every field.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    // Non-blocking and no controlling terminal: a FIFO or device is opened without waiting and
    // then refused after fstat, never read.
    how.flags = (libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOCTTY | libc::O_NONBLOCK) as u64;
    how.resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
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
        // Missing, or a file used as a directory: the same answer the slow path would give.
        Some(libc::ENOENT) | Some(libc::ENOTDIR) | Some(libc::EACCES) => Some(Err(e)),
        // ELOOP (a link), EXDEV (would leave the root), ENOSYS, EPERM (filtered), ...
        _ => None,
    }
}

/// The fast path of [`locate`] for a regular file: one `openat2` beneath the DocumentRoot and one
/// `fstat`, instead of canonicalizing the root and the path (a `readlink` per component).
/// `None` when the slow path must decide: a symbolic link on the way, a directory, anything
/// else than a regular file, or no openat2.
pub fn locate_fast(document_root: &Path, url_path: &[u8]) -> Option<Result<Located, Refusal>> {
    let rel_start = url_path.iter().position(|&b| b != b'/')?;
    let rel = &url_path[rel_start..];
    // Directories (and their index files) take the slow path; so do the refusals `locate`
    // words, and anything with a `.` or empty segment.
    if rel.ends_with(b"/")
        || rel
            .split(|&b| b == b'/')
            .any(|s| s.is_empty() || s == b"." || s == b".." || is_ht_name(s))
    {
        return None;
    }
    let opened = with_root_fd(document_root, |dir| cached_or_open(document_root, dir, rel))??;
    let requested = document_root.join(OsStr::from_bytes(rel));
    let (file, meta) = match opened {
        Ok(found) => found,
        Err(e) => return Some(Err(Refusal::from_io(e, &requested))),
    };
    if !meta.is_file() {
        return None;
    }
    Some(Ok(Located {
        path: requested.clone(),
        requested,
        kind: Kind::File,
        opened: Some((file, meta)),
    }))
}

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
    root: PathBuf,
    rel: Vec<u8>,
    file: Rc<File>,
    meta: Metadata,
    opened: Instant,
}

thread_local! {
    static OPEN_FILES_KEPT: RefCell<Vec<OpenFile>> = const { RefCell::new(Vec::new()) };
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

/// The regular file `rel` beneath `dir` (the open `root`), from the thread's open files when the
/// path still names the same unchanged file, else opened with [`open_beneath`]. A kept file was
/// checked to be inside the root when opened; the same inode found again is that file.
fn cached_or_open(root: &Path, dir: i32, rel: &[u8]) -> Option<io::Result<(Rc<File>, Metadata)>> {
    OPEN_FILES_KEPT.with(|cell| {
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
                root: root.to_path_buf(),
                rel: rel.to_vec(),
                file: file.clone(),
                meta: meta.clone(),
                opened: now,
            });
        }
        Some(Ok((file, meta)))
    })
}

/// The first `DirectoryIndex` name in `dir` that is a regular file, `None` when there is none.
/// Names that do not exist, or name a directory, are skipped; any other refusal stops the search
/// (as Apache's mod_dir does).
pub fn find_index(
    root: &Path,
    dir: &Located,
    names: &[PathBuf],
    links: Links,
) -> Result<Option<Located>, Refusal> {
    for name in names {
        match locate_path(root, dir.path.join(name), links) {
            Ok(found) if found.kind == Kind::File => return Ok(Some(found)),
            Ok(_) => {}
            Err(refusal) if refusal.status == 404 => {}
            Err(refusal) => return Err(refusal),
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_dir::tree;
    use std::os::unix::fs::symlink;

    fn status(r: Result<Located, Refusal>) -> u16 {
        r.map_or_else(|e| e.status, |_| 200)
    }

    #[test]
    fn ht_segments() {
        for p in [
            "/.htaccess",
            "/a/.htpasswd",
            "/a/.HTaccess/x",
            "/.ht",
            "/.htdir/",
        ] {
            assert!(has_ht_segment(p.as_bytes()), "{p}");
        }
        for p in ["/", "/a.htaccess", "/x/ht", "/.h", "/x/.hidden", "/a/b.ht"] {
            assert!(!has_ht_segment(p.as_bytes()), "{p}");
        }
    }

    #[test]
    fn joining_the_request_path() {
        let root = Path::new("/srv/www");
        assert_eq!(candidate_path(root, b"/"), Path::new("/srv/www/"));
        assert_eq!(
            candidate_path(root, b"/a/b.txt"),
            Path::new("/srv/www/a/b.txt")
        );
        assert_eq!(
            candidate_path(root, b"//etc/passwd"),
            Path::new("/srv/www/etc/passwd")
        );
        let odd = candidate_path(root, b"/caf\xe9");
        assert_eq!(odd.as_os_str().as_bytes(), b"/srv/www/caf\xe9");
    }

    #[test]
    fn locating_files_and_directories() {
        let (_tmp, root) = tree();
        let c = Links::Contained;
        let f = locate(&root, b"/a.txt", c).unwrap();
        assert_eq!((f.kind, f.path.clone()), (Kind::File, root.join("a.txt")));
        assert_eq!(locate(&root, b"/", c).unwrap().kind, Kind::Directory);
        assert_eq!(locate(&root, b"/sub", c).unwrap().kind, Kind::Directory);
        assert_eq!(locate(&root, b"/sub/", c).unwrap().kind, Kind::Directory);
        assert_eq!(status(locate(&root, b"/missing", c)), 404);
        assert_eq!(status(locate(&root, b"/missing/deeper", c)), 404);
        // A file used as a directory: ENOTDIR, a 404 as in Apache.
        assert_eq!(status(locate(&root, b"/a.txt/", c)), 404);
        assert_eq!(status(locate(&root, b"/a.txt/x", c)), 404);
        assert_eq!(status(locate(&root, b"/.htpasswd", c)), 403);
        // Refused even when missing: no existence oracle.
        assert_eq!(status(locate(&root, b"/nope/.htaccess", c)), 403);
        // Never reaches the disk, with links followed or not.
        assert_eq!(status(locate(&root, b"/sub/../../outside.txt", c)), 403);
        let follow = Links::Follow;
        assert_eq!(status(locate(&root, b"/../outside.txt", follow)), 403);
    }

    #[test]
    fn symlinks_are_contained_unless_followed() {
        let (tmp, root) = tree();
        symlink(root.join("a.txt"), root.join("inside")).unwrap();
        symlink("../outside.txt", root.join("out-file")).unwrap();
        symlink(&tmp.0, root.join("out-dir")).unwrap();
        symlink(tmp.0.join("www2"), root.join("sibling")).unwrap();
        symlink(".htpasswd", root.join("pub")).unwrap();
        symlink("nowhere", root.join("dangling")).unwrap();
        fs::write(tmp.0.join(".htsecret"), "x").unwrap();
        symlink(tmp.0.join(".htsecret"), root.join("out-ht")).unwrap();

        let c = Links::Contained;
        let inside = locate(&root, b"/inside", c).unwrap();
        assert_eq!(inside.path, root.join("a.txt"));
        assert_eq!(inside.requested, root.join("inside"));
        assert_eq!(status(locate(&root, b"/out-file", c)), 403);
        assert_eq!(status(locate(&root, b"/out-dir/outside.txt", c)), 403);
        assert_eq!(status(locate(&root, b"/out-dir/www/a.txt", c)), 200);
        // /tmp/x/www2 shares a string prefix with /tmp/x/www, not a path prefix.
        assert_eq!(status(locate(&root, b"/sibling/b.txt", c)), 403);
        assert_eq!(status(locate(&root, b"/pub", c)), 403);
        assert_eq!(status(locate(&root, b"/dangling", c)), 404);

        let f = Links::Follow;
        let out = locate(&root, b"/out-file", f).unwrap();
        assert_eq!(
            (out.kind, out.path),
            (Kind::File, tmp.0.join("outside.txt"))
        );
        assert_eq!(status(locate(&root, b"/out-dir/outside.txt", f)), 200);
        assert_eq!(status(locate(&root, b"/sibling/b.txt", f)), 200);
        // Following links never opens .ht* files, inside or out.
        assert_eq!(status(locate(&root, b"/pub", f)), 403);
        assert_eq!(status(locate(&root, b"/out-ht", f)), 403);
        assert_eq!(status(locate(&root, b"/dangling", f)), 404);
    }

    #[test]
    fn a_linked_document_root_is_followed() {
        let (tmp, root) = tree();
        let link = tmp.0.join("current");
        symlink(&root, &link).unwrap();
        let canonical = canonical_root(&link).unwrap();
        assert_eq!(canonical, root);
        assert_eq!(status(locate(&canonical, b"/a.txt", Links::Contained)), 200);
        let absent = canonical_root(&tmp.0.join("absent")).unwrap_err();
        assert_eq!((absent.status, absent.level), (404, Level::Error));
    }

    #[test]
    fn neither_file_nor_directory() {
        let (_tmp, root) = tree();
        let _socket = std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap();
        assert_eq!(
            locate(&root, b"/sock", Links::Contained).unwrap().kind,
            Kind::Other
        );
    }

    #[test]
    fn directory_index_search() {
        let (tmp, root) = tree();
        let c = Links::Contained;
        let names = |n: &[&str]| n.iter().map(PathBuf::from).collect::<Vec<_>>();
        let sub = locate(&root, b"/sub/", c).unwrap();
        let found = find_index(&root, &sub, &names(&["missing.html", "index.html"]), c)
            .unwrap()
            .unwrap();
        assert_eq!(found.path, root.join("sub/index.html"));
        assert_eq!(found.requested, root.join("sub/index.html"));

        // A directory called like an index is skipped; nothing found is no index.
        fs::create_dir(root.join("empty/index.html")).unwrap();
        let empty = locate(&root, b"/empty/", c).unwrap();
        assert!(find_index(&root, &empty, &names(&["index.html"]), c)
            .unwrap()
            .is_none());
        assert!(find_index(&root, &empty, &[], c).unwrap().is_none());

        // An index linking outside the root is refused, not skipped, unless links are followed.
        symlink(tmp.0.join("outside.txt"), root.join("empty/home.html")).unwrap();
        let out = find_index(&root, &empty, &names(&["home.html", "x"]), c).unwrap_err();
        assert_eq!(out.status, 403);
        let followed = find_index(&root, &empty, &names(&["home.html"]), Links::Follow)
            .unwrap()
            .unwrap();
        assert_eq!(followed.path, tmp.0.join("outside.txt"));
        // A .ht* index name is refused, not served.
        let top = locate(&root, b"/", c).unwrap();
        assert_eq!(
            find_index(&root, &top, &names(&[".htpasswd"]), c)
                .unwrap_err()
                .status,
            403
        );
    }

    #[test]
    fn io_errors_map_like_apache() {
        let p = Path::new("/x");
        let status = |k: io::ErrorKind| Refusal::from_io(io::Error::from(k), p).status;
        assert_eq!(status(io::ErrorKind::NotFound), 404);
        assert_eq!(status(io::ErrorKind::NotADirectory), 404);
        assert_eq!(status(io::ErrorKind::PermissionDenied), 403);
        assert_eq!(status(io::ErrorKind::Other), 403);
        let missing = Refusal::from_io(io::Error::from(io::ErrorKind::NotFound), p);
        assert_eq!(missing.level, Level::Info);
        assert_eq!(missing.message, "File does not exist: /x");
    }
}
