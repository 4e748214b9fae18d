//! `StaticPrecompressed On`: files compressed beforehand (`style.css.br`, `style.css.gz` next
//! to `style.css`), served instead of the file to a client that accepts their coding, as
//! nginx's gzip_static and Caddy's precompressed do. Off by default, so a configuration written
//! for Apache answers as Apache.
//!
//! A sidecar counts when it is a regular file (not a symbolic link) in the same directory and
//! not older than the file; brotli is preferred over gzip. The response keeps the file's
//! Content-Type and gains `Content-Encoding` and `Vary: Accept-Encoding`; its validators are the
//! sidecar's own (a different body, a different ETag). A Range request is answered from the
//! file itself, so the bytes asked for are identity bytes, as the DEFLATE filter leaves them.

use mapache_plugin_api::sdk::accepts_coding;
use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::SystemTime;

/// The sidecars tried, in order of preference: (file name suffix, content coding).
const SIDECARS: [(&str, &str); 2] = [(".br", "br"), (".gz", "gzip")];

/// A precompressed file chosen for a response.
pub struct Sidecar {
    /// The open sidecar.
    pub file: File,
    /// Its size.
    pub size: u64,
    /// Its modification time.
    pub modified: SystemTime,
    /// Its content coding (`br`, `gzip`).
    pub encoding: &'static str,
}

/// What was found next to a file.
pub struct Found {
    /// Whether any fresh sidecar exists, accepted or not (the response then varies by
    /// Accept-Encoding).
    pub any: bool,
    /// The one to send, when the client accepts its coding.
    pub chosen: Option<Sidecar>,
}

/// Looks for the sidecars of `path` (modified at `modified`) that `accept_encoding` accepts.
pub fn find(path: &Path, modified: SystemTime, accept_encoding: Option<&str>) -> Found {
    let mut found = Found {
        any: false,
        chosen: None,
    };
    for (suffix, encoding) in SIDECARS {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let Some(sidecar) = open_fresh(Path::new(&name), modified, encoding) else {
            continue;
        };
        found.any = true;
        if found.chosen.is_none() && accept_encoding.is_some_and(|f| accepts_coding(f, encoding)) {
            found.chosen = Some(sidecar);
        }
    }
    found
}

/// The sidecar at `path` when it is a regular file, no link, not older than the original.
fn open_fresh(path: &Path, original: SystemTime, encoding: &'static str) -> Option<Sidecar> {
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    let meta = file.metadata().ok()?;
    let modified = meta.modified().ok()?;
    (meta.is_file() && modified >= original).then_some(Sidecar {
        size: meta.len(),
        modified,
        file,
        encoding,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!(
            "mapache-precompressed-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn age(path: &Path, secs: u64) {
        let t = SystemTime::now() - Duration::from_secs(secs);
        File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(t)
            .unwrap();
    }

    #[test]
    fn brotli_is_preferred_gzip_follows_and_stale_or_linked_files_do_not_count() {
        let d = dir();
        let css = d.join("s.css");
        std::fs::write(&css, "body{}").unwrap();
        std::fs::write(d.join("s.css.br"), "br").unwrap();
        std::fs::write(d.join("s.css.gz"), "gz").unwrap();
        age(&css, 60);
        let mtime = std::fs::metadata(&css).unwrap().modified().unwrap();
        let pick = |ae: Option<&str>| find(&css, mtime, ae).chosen.map(|s| s.encoding);
        assert_eq!(pick(Some("gzip, br")), Some("br"));
        assert_eq!(pick(Some("gzip")), Some("gzip"));
        assert_eq!(pick(Some("br;q=0, gzip")), Some("gzip"));
        assert_eq!(pick(None), None);
        assert!(find(&css, mtime, None).any, "Vary even when not sent");
        // Older than the file: ignored.
        age(&d.join("s.css.br"), 120);
        assert_eq!(pick(Some("br, gzip")), Some("gzip"));
        // A link is never followed.
        std::fs::remove_file(d.join("s.css.gz")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", d.join("s.css.gz")).unwrap();
        assert_eq!(pick(Some("gzip")), None);
        assert!(!find(&css, mtime, Some("gzip")).any);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
