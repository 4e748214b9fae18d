//! The slow path of mapping, taken when the fast path met a symbolic link: a walk by directory
//! descriptors, one component at a time, each opened relative to the directory opened before
//! it and never followed by the kernel. A link is judged where it is found (the `Options` of
//! the real directory holding it) and its target walked the same way, so what finally opens is
//! the file the judged path names, whatever is renamed or swapped meanwhile. (No crate walks a
//! path this way; `openat2`'s RESOLVE_ flags can refuse links but not judge them one by one.)

use super::path::is_under;
use super::Links;
use std::collections::VecDeque;
use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Links followed at most on one path (the kernel's own limit), so a loop ends.
const MAX_LINKS: u32 = 40;

/// What the walk found.
#[derive(Debug)]
pub enum Found {
    /// An open file or directory and its real path.
    Open(File, Vec<u8>),
    /// Nothing there: the OS error, and the real path of the deepest directory reached followed
    /// by the rest as asked.
    Missing(i32, Vec<u8>),
}

/// Why a path may not be served.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// A link the `Options` of its directory do not allow (the link's real path).
    Link(Vec<u8>),
    /// The path left DocumentRoot through a link that only `FollowSymLinks` may follow (the
    /// link's path, and the real path it led to).
    Outside(Vec<u8>, Vec<u8>),
}

fn c_name(name: &[u8]) -> io::Result<CString> {
    CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::ENOENT))
}

fn openat(dir: i32, name: &[u8], flags: libc::c_int) -> io::Result<OwnedFd> {
    let c = c_name(name)?;
    // SAFETY: a NUL-terminated name; the descriptor returned is ours.
    let fd = unsafe { libc::openat(dir, c.as_ptr(), flags | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: just opened, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn fstatat(dir: i32, name: &[u8], flags: libc::c_int) -> io::Result<libc::stat> {
    let c = c_name(name)?;
    // SAFETY: stat is plain data.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated name and a writable stat.
    if unsafe { libc::fstatat(dir, c.as_ptr(), &mut st, flags) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(st)
}

fn fstat(fd: &OwnedFd) -> io::Result<libc::stat> {
    // SAFETY: stat is plain data.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: an open descriptor and a writable stat.
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(st)
}

fn readlinkat(dir: i32, name: &[u8]) -> io::Result<Vec<u8>> {
    let c = c_name(name)?;
    let mut buf = vec![0u8; libc::PATH_MAX as usize];
    // SAFETY: a NUL-terminated name and a writable buffer of the length passed.
    let n = unsafe { libc::readlinkat(dir, c.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    buf.truncate(n as usize);
    Ok(buf)
}

fn is_kind(st: &libc::stat, kind: libc::mode_t) -> bool {
    st.st_mode & libc::S_IFMT == kind
}

fn push_segment(real: &mut Vec<u8>, name: &[u8]) {
    if !real.ends_with(b"/") {
        real.push(b'/');
    }
    real.extend_from_slice(name);
}

fn pop_segment(real: &mut Vec<u8>) {
    let cut = real.iter().rposition(|&b| b == b'/').unwrap_or(0);
    real.truncate(cut.max(1));
}

fn missing(e: &io::Error, mut real: Vec<u8>, name: &[u8], rest: &VecDeque<Vec<u8>>) -> Found {
    push_segment(&mut real, name);
    for segment in rest {
        push_segment(&mut real, segment);
    }
    Found::Missing(e.raw_os_error().unwrap_or(libc::ENOENT), real)
}

/// Walks `rel` (relative, normalized) from the open DocumentRoot `root_fd` whose real path is
/// `root`. `links_at(dir)` gives the policy for a link found in the real directory `dir`; the
/// final file is opened with `open_flags`.
pub fn walk(
    root_fd: &OwnedFd,
    root: &[u8],
    rel: &[u8],
    open_flags: libc::c_int,
    links_at: &dyn Fn(&[u8]) -> Links,
) -> Result<Found, Refused> {
    let mut pending: VecDeque<Vec<u8>> = rel
        .split(|&b| b == b'/')
        .filter(|s| !s.is_empty() && *s != b".")
        .map(<[u8]>::to_vec)
        .collect();
    let dup = |fd: &OwnedFd| fd.try_clone();
    let Ok(mut dir) = dup(root_fd) else {
        return Ok(Found::Missing(libc::EMFILE, root.to_vec()));
    };
    let mut real = root.to_vec();
    let mut followed = 0;
    // Set when a link was followed under `Links::Inside`: the end must then be in the root.
    let mut contained_by: Option<Vec<u8>> = None;
    if pending.is_empty() {
        // The root itself.
        return Ok(match openat(dir.as_raw_fd(), b".", open_flags) {
            Ok(fd) => Found::Open(File::from(fd), real),
            Err(e) => Found::Missing(e.raw_os_error().unwrap_or(libc::ENOENT), real),
        });
    }
    while let Some(name) = pending.pop_front() {
        if name == b".." {
            // Only from a link's target: the requested path has no dot segments.
            if real != b"/" {
                match openat(dir.as_raw_fd(), b"..", libc::O_PATH | libc::O_DIRECTORY) {
                    Ok(parent) => dir = parent,
                    Err(e) => return Ok(missing(&e, real, b"", &pending)),
                }
                pop_segment(&mut real);
            }
            continue;
        }
        let last = pending.is_empty();
        let flags = if last {
            open_flags | libc::O_NOFOLLOW
        } else {
            libc::O_PATH | libc::O_NOFOLLOW
        };
        let opened = openat(dir.as_raw_fd(), &name, flags);
        // The last component opened with O_NOFOLLOW fails with ELOOP on a link; any other one
        // opens as the link itself (O_PATH | O_NOFOLLOW) and fstat says so.
        let is_link = match &opened {
            Err(e) => e.raw_os_error() == Some(libc::ELOOP),
            Ok(fd) => fstat(fd).is_ok_and(|st| is_kind(&st, libc::S_IFLNK)),
        };
        if is_link {
            let mut link_path = real.clone();
            push_segment(&mut link_path, &name);
            let policy = links_at(&real);
            let allowed = match policy {
                Links::None => false,
                Links::Inside | Links::Follow => true,
                Links::IfOwnerMatch => {
                    match (
                        fstatat(dir.as_raw_fd(), &name, libc::AT_SYMLINK_NOFOLLOW),
                        fstatat(dir.as_raw_fd(), &name, 0),
                    ) {
                        (Ok(link), Ok(target)) => link.st_uid == target.st_uid,
                        (_, Err(e)) => return Ok(missing(&e, real, &name, &pending)),
                        _ => false,
                    }
                }
            };
            followed += 1;
            if !allowed || followed > MAX_LINKS {
                return Err(Refused::Link(link_path));
            }
            if policy == Links::Inside && contained_by.is_none() {
                contained_by = Some(link_path);
            }
            let target = match readlinkat(dir.as_raw_fd(), &name) {
                Ok(t) => t,
                Err(e) => return Ok(missing(&e, real, &name, &pending)),
            };
            if target.starts_with(b"/") {
                match openat(libc::AT_FDCWD, b"/", libc::O_PATH | libc::O_DIRECTORY) {
                    Ok(top) => dir = top,
                    Err(e) => return Ok(missing(&e, real, &name, &pending)),
                }
                real = b"/".to_vec();
            }
            for segment in target
                .split(|&b| b == b'/')
                .filter(|s| !s.is_empty() && *s != b".")
                .rev()
            {
                pending.push_front(segment.to_vec());
            }
            continue;
        }
        let fd = match opened {
            Ok(fd) => fd,
            Err(e) => return Ok(missing(&e, real, &name, &pending)),
        };
        push_segment(&mut real, &name);
        if last {
            if let Some(link) = contained_by {
                if !is_under(&real, root) {
                    return Err(Refused::Outside(link, real));
                }
            }
            return Ok(Found::Open(File::from(fd), real));
        }
        match fstat(&fd) {
            Ok(st) if is_kind(&st, libc::S_IFDIR) => dir = fd,
            Ok(_) => {
                let e = io::Error::from_raw_os_error(libc::ENOTDIR);
                pop_segment(&mut real);
                return Ok(missing(&e, real, &name, &pending));
            }
            Err(e) => {
                pop_segment(&mut real);
                return Ok(missing(&e, real, &name, &pending));
            }
        }
    }
    // The path ended on `..` from a link target: the directory reached.
    if let Some(link) = contained_by {
        if !is_under(&real, root) {
            return Err(Refused::Outside(link, real));
        }
    }
    match openat(dir.as_raw_fd(), b".", open_flags) {
        Ok(fd) => Ok(Found::Open(File::from(fd), real)),
        Err(e) => Ok(Found::Missing(
            e.raw_os_error().unwrap_or(libc::ENOENT),
            real,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::symlink;
    use std::path::{Path, PathBuf};

    struct Tmp(PathBuf);
    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// tmp/www/{a.txt, sub/b.txt, private/secret.txt}, tmp/outside.txt
    fn tree() -> (Tmp, PathBuf) {
        let base = std::env::temp_dir().join(format!(
            "mapache-walk-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&base);
        let base = Tmp(base);
        let www = base.0.join("www");
        std::fs::create_dir_all(www.join("sub")).unwrap();
        std::fs::create_dir_all(www.join("private")).unwrap();
        std::fs::write(www.join("a.txt"), "a").unwrap();
        std::fs::write(www.join("sub/b.txt"), "b").unwrap();
        std::fs::write(www.join("private/secret.txt"), "s").unwrap();
        std::fs::write(base.0.join("outside.txt"), "o").unwrap();
        let www = std::fs::canonicalize(www).unwrap();
        (base, www)
    }

    fn run(root: &Path, rel: &str, links: Links) -> Result<Found, Refused> {
        let c = CString::new(root.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid path; the descriptor is wrapped at once.
        let fd = unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_DIRECTORY) };
        assert!(fd >= 0);
        // SAFETY: just opened.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        walk(
            &fd,
            root.as_os_str().as_bytes(),
            rel.as_bytes(),
            libc::O_RDONLY,
            &|_| links,
        )
    }

    fn real(found: Result<Found, Refused>) -> String {
        match found {
            Ok(Found::Open(_, p)) => String::from_utf8(p).unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn plain_paths_and_missing_ones() {
        let (_t, www) = tree();
        let w = www.to_str().unwrap();
        assert_eq!(
            real(run(&www, "sub/b.txt", Links::None)),
            format!("{w}/sub/b.txt")
        );
        assert_eq!(real(run(&www, "", Links::None)), w);
        match run(&www, "sub/nope/x", Links::None) {
            Ok(Found::Missing(e, p)) => {
                assert_eq!(e, libc::ENOENT);
                assert_eq!(p, format!("{w}/sub/nope/x").into_bytes());
            }
            other => panic!("{other:?}"),
        }
        match run(&www, "a.txt/x", Links::None) {
            Ok(Found::Missing(e, _)) => assert_eq!(e, libc::ENOTDIR),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn links_resolve_to_where_they_lead_and_obey_the_policy() {
        let (t, www) = tree();
        let w = www.to_str().unwrap();
        symlink("private", www.join("pub")).unwrap();
        symlink(t.0.join("outside.txt"), www.join("out")).unwrap();
        symlink("../www/sub/../a.txt", www.join("back")).unwrap();
        // A link is judged, and the real directory reported, not the name it was reached by.
        assert_eq!(
            real(run(&www, "pub/secret.txt", Links::Inside)),
            format!("{w}/private/secret.txt")
        );
        assert_eq!(real(run(&www, "back", Links::Inside)), format!("{w}/a.txt"));
        assert_eq!(
            run(&www, "pub/secret.txt", Links::None).unwrap_err(),
            Refused::Link(format!("{w}/pub").into_bytes())
        );
        assert!(matches!(
            run(&www, "out", Links::Inside),
            Err(Refused::Outside(_, _))
        ));
        let outside = std::fs::canonicalize(t.0.join("outside.txt")).unwrap();
        assert_eq!(
            real(run(&www, "out", Links::Follow)),
            outside.to_str().unwrap()
        );
        // Owned by the same user (the test's): followed.
        assert_eq!(
            real(run(&www, "pub/secret.txt", Links::IfOwnerMatch)),
            format!("{w}/private/secret.txt")
        );
        // A loop ends.
        symlink("loop", www.join("loop")).unwrap();
        assert!(run(&www, "loop", Links::Follow).is_err());
        // Dangling: missing, not refused.
        symlink("nowhere", www.join("dangling")).unwrap();
        assert!(matches!(
            run(&www, "dangling", Links::Inside),
            Ok(Found::Missing(libc::ENOENT, _))
        ));
    }
}
