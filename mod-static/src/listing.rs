//! `Options Indexes`: an HTML listing of a directory that has no index file. Directories come
//! first (with a trailing slash), then files, each group sorted by name; `.ht*` entries, entries
//! that cannot be served (sockets, FIFOs, dangling links) and links a request could not follow
//! are left out.

use crate::escape::{html_escape, is_unreserved, percent_encode};
use crate::locate::is_ht_name;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::SystemTime;

/// One listed name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: Vec<u8>,
    pub is_dir: bool,
    pub size: u64,
    pub modified: Option<SystemTime>,
}

/// The entries of `dir` worth listing, sorted. A symbolic link is listed only when
/// `link_ok(name)` says a request for it would be served.
pub fn read_entries(dir: &Path, link_ok: &mut dyn FnMut(&[u8]) -> bool) -> io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if is_ht_name(name.as_bytes()) {
            continue;
        }
        let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
        if is_link && !link_ok(name.as_bytes()) {
            continue;
        }
        // Through links, as a request for the entry would see it.
        let Ok(meta) = fs::metadata(entry.path()) else {
            continue;
        };
        if !meta.is_file() && !meta.is_dir() {
            continue;
        }
        entries.push(Entry {
            name: name.as_bytes().to_vec(),
            is_dir: meta.is_dir(),
            size: meta.len(),
            modified: meta.modified().ok(),
        });
    }
    entries.sort_by(|a, b| b.is_dir.cmp(&a.is_dir).then_with(|| a.name.cmp(&b.name)));
    Ok(entries)
}

/// The listing page of the directory at `url_path` (decoded, ending in `/`).
pub fn render(url_path: &[u8], entries: &[Entry]) -> String {
    let title = html_escape(&format!("Index of {}", String::from_utf8_lossy(url_path)));
    let mut page = format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n\
         </head>\n<body>\n<h1>{title}</h1>\n<table>\n\
         <tr><th>Name</th><th>Last modified</th><th>Size</th></tr>\n"
    );
    if url_path != b"/" {
        page.push_str(
            "<tr><td><a href=\"../\">Parent Directory</a></td><td></td><td>-</td></tr>\n",
        );
    }
    for e in entries {
        // Only unreserved bytes stay as they are: a name with ':' must not read as a scheme.
        let mut href = String::new();
        percent_encode(&mut href, &e.name, is_unreserved);
        let mut shown = html_escape(&String::from_utf8_lossy(&e.name));
        if e.is_dir {
            href.push('/');
            shown.push('/');
        }
        let modified = e.modified.map(httpdate::fmt_http_date).unwrap_or_default();
        let size = if e.is_dir {
            "-".to_owned()
        } else {
            e.size.to_string()
        };
        page.push_str(&format!(
            "<tr><td><a href=\"{href}\">{shown}</a></td><td>{modified}</td><td>{size}</td></tr>\n"
        ));
    }
    page.push_str("</table>\n</body>\n</html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_dir::tree;
    use std::os::unix::fs::symlink;
    use std::time::{Duration, UNIX_EPOCH};

    fn names(entries: &[Entry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| {
                String::from_utf8_lossy(&e.name).into_owned() + if e.is_dir { "/" } else { "" }
            })
            .collect()
    }

    #[test]
    fn entries_sorted_and_filtered() {
        let (tmp, root) = tree();
        fs::write(root.join("B.txt"), "bb").unwrap();
        fs::write(root.join(".hidden"), "").unwrap();
        fs::write(root.join(".HTgroups"), "").unwrap();
        symlink("a.txt", root.join("link-in")).unwrap();
        symlink(tmp.0.join("outside.txt"), root.join("link-out")).unwrap();
        symlink("nowhere", root.join("dangling")).unwrap();
        let _sock = std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap();

        let contained = read_entries(&root, &mut |name| name != b"link-out").unwrap();
        assert_eq!(
            names(&contained),
            ["empty/", "sub/", ".hidden", "B.txt", "a.txt", "link-in"]
        );
        let b = contained.iter().find(|e| e.name == b"B.txt").unwrap();
        assert_eq!((b.size, b.is_dir), (2, false));
        assert!(b.modified.is_some());

        let followed = read_entries(&root, &mut |_| true).unwrap();
        assert_eq!(
            names(&followed),
            ["empty/", "sub/", ".hidden", "B.txt", "a.txt", "link-in", "link-out"]
        );
        assert!(read_entries(&root.join("missing"), &mut |_| true).is_err());
    }

    #[test]
    fn page_escapes_names_and_links() {
        let at = UNIX_EPOCH + Duration::from_secs(784_111_777);
        let entries = [
            Entry {
                name: b"d<ir>".to_vec(),
                is_dir: true,
                size: 4096,
                modified: Some(at),
            },
            Entry {
                name: b"a b&c\"'.txt".to_vec(),
                is_dir: false,
                size: 12,
                modified: Some(at),
            },
            Entry {
                name: b"x:y".to_vec(),
                is_dir: false,
                size: 0,
                modified: None,
            },
            Entry {
                name: b"caf\xe9".to_vec(),
                is_dir: false,
                size: 1,
                modified: None,
            },
        ];
        let page = render(b"/docs/<x>/", &entries);
        assert!(
            page.contains("<title>Index of /docs/&lt;x&gt;/</title>"),
            "{page}"
        );
        assert!(page.contains("<a href=\"../\">Parent Directory</a>"));
        assert!(page.contains(
            "<tr><td><a href=\"d%3Cir%3E/\">d&lt;ir&gt;/</a></td><td>Sun, 06 Nov 1994 08:49:37 GMT</td><td>-</td></tr>"
        ), "{page}");
        assert!(page.contains(
            "<a href=\"a%20b%26c%22%27.txt\">a b&amp;c&quot;&#39;.txt</a></td><td>Sun, 06 Nov 1994 08:49:37 GMT</td><td>12</td>"
        ), "{page}");
        assert!(page.contains("<a href=\"x%3Ay\">x:y</a></td><td></td><td>0</td>"));
        assert!(page.contains("<a href=\"caf%E9\">caf\u{fffd}</a>"));
        // The top directory has no parent.
        assert!(!render(b"/", &entries).contains("Parent Directory"));
    }
}
