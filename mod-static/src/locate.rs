//! What mod-static checks on top of the core's mapping of a path onto the file system (which
//! resolved symbolic links as `Options` allows and checked `<Directory>` access on the real
//! path): `.ht*` refusal, Apache's statuses for what is not there, and the `DirectoryIndex`
//! search.

use crate::escape::shown;
use mapache_plugin_api::sdk::{FileKind, Level, MappedFile, Outcome, Request};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Why a request is refused, and what the error log should say about it.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub level: Level,
    /// Empty when the core has logged the reason already.
    pub message: String,
}

impl Refusal {
    /// A status the core answered [`Request::map`] with, having logged why.
    pub fn logged(status: u16) -> Self {
        Refusal {
            status,
            level: Level::Debug,
            message: String::new(),
        }
    }

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
        if !self.message.is_empty() {
            req.log(self.level, &self.message);
        }
        Outcome::Status(self.status)
    }
}

/// `.htaccess`, `.htpasswd` and friends are never served (Debian's Apache default). Compared
/// case-insensitively so a case-insensitive file system cannot be used to read them.
pub fn is_ht_name(segment: &[u8]) -> bool {
    segment
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case(b".ht"))
}

fn has_ht_segment(path: &[u8]) -> bool {
    path.split(|&b| b == b'/').any(is_ht_name)
}

/// Refuses a request path with a `.ht*` segment before the disk is touched, so a 403 says
/// nothing about existence.
pub fn refuse_ht_request(url_path: &[u8]) -> Result<(), Refusal> {
    if has_ht_segment(url_path) {
        return Err(Refusal::forbidden(format!(
            "access to .ht* files is denied: {}",
            String::from_utf8_lossy(url_path)
        )));
    }
    Ok(())
}

/// What the core mapped, checked for what mod-static refuses on top: a link that leads to a
/// `.ht*` file or through a `.ht*` directory, nothing there (404, or 403 when permissions deny
/// it), and anything neither file nor directory.
pub fn servable<'a>(mapped: MappedFile<'a>) -> Result<MappedFile<'a>, Refusal> {
    if has_ht_segment(mapped.path.as_os_str().as_bytes()) {
        return Err(Refusal::forbidden(format!(
            "access to .ht* files is denied: {} -> {}",
            shown(mapped.requested),
            shown(mapped.path)
        )));
    }
    match mapped.kind {
        FileKind::File | FileKind::Directory => Ok(mapped),
        FileKind::None => {
            let e = mapped
                .error
                .unwrap_or_else(|| io::Error::from(io::ErrorKind::NotFound));
            Err(Refusal::from_io(e, mapped.requested))
        }
        FileKind::Other => Err(Refusal::forbidden(format!(
            "not a regular file or directory: {}",
            shown(mapped.path)
        ))),
    }
}

/// The first `DirectoryIndex` name in the directory at `url_path` (ending in `/`) that is a
/// regular file, `None` when there is none. Each is looked up through the core as a request for
/// it would be. Names that do not exist, or name a directory, are skipped; any other refusal
/// stops the search (as Apache's mod_dir does).
pub fn find_index<'a>(
    req: &mut Request<'a>,
    url_path: &[u8],
    names: &[PathBuf],
) -> Result<Option<MappedFile<'a>>, Refusal> {
    for name in names {
        let mut path = url_path.to_vec();
        path.extend_from_slice(name.as_os_str().as_bytes());
        let mapped = req.map(&path).map_err(Refusal::logged)?;
        match mapped.kind {
            FileKind::None | FileKind::Directory => continue,
            _ => return servable(mapped).map(Some),
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

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
