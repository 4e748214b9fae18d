//! Mapping a request path onto the file system under `DocumentRoot`: containment, symbolic links,
//! `.ht*` refusal, and the `DirectoryIndex` search.

use crate::escape::shown;
use mapache_plugin_api::sdk::{Level, Outcome, Request};
use std::ffi::OsStr;
use std::fs::{self, Metadata};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

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
