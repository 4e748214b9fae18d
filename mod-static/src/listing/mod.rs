//! `Options Indexes`: the listing of a directory that has no index file, with mod_autoindex's
//! directives and Apache's page: a plain list by default, `FancyIndexing` (a `<pre>` table of
//! columns) or `HTMLTable`, icons and alternative texts by name, type and encoding,
//! descriptions, `HeaderName`/`ReadmeName` files, `IndexIgnore`, the sort order and the
//! `?C=…;O=…` query. `.ht*` entries, entries that cannot be served (sockets, FIFOs, dangling
//! links) and links a request could not follow are never listed.

pub mod config;
mod render;
pub mod sort;
pub mod wildcard;

use crate::locate::is_ht_name;
use config::{IndexConfig, Item, ItemKind};
pub use render::{render, Included, Page};
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

/// The entries of `dir` worth listing, in directory order. A symbolic link is listed only when
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
    Ok(entries)
}

/// One listed entry, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Row {
    /// The name, with `/` after a directory's (as Apache sorts and shows it).
    pub name: Vec<u8>,
    pub is_dir: bool,
    /// `None` for directories (shown as `-`).
    pub size: Option<u64>,
    pub modified: Option<SystemTime>,
    pub icon: Option<String>,
    pub alt: Option<String>,
    pub description: Option<String>,
}

/// What a file is, for the icon and alternative-text lists.
pub struct Described<'a> {
    /// The whole path (DocumentRoot joined with the URL path), without a directory's slash.
    pub path: &'a [u8],
    /// The media type without parameters, when one is known.
    pub media_type: Option<&'a str>,
    /// The content codings, joined with `, `, when there are any.
    pub encoding: Option<&'a str>,
}

impl IndexConfig {
    /// Whether `IndexIgnore` hides `name`: each pattern's part after its last `/` against the
    /// name, as Apache's `ignore_entry`.
    pub fn ignores(&self, name: &[u8]) -> bool {
        self.ignore.iter().any(|p| {
            let p = p.rsplit('/').next().unwrap_or(p);
            wildcard::simple(name, p.as_bytes(), false)
        })
    }

    /// Apache's `find_item` over `items`; `path_only` for directories and the defaults.
    fn find<'a>(items: &'a [Item], what: &Described<'_>, path_only: bool) -> Option<&'a str> {
        let special = what.path.first() == Some(&b'^');
        items.iter().find_map(|item| {
            let hit = if item.pattern.is_empty() {
                true
            } else if item.kind == ItemKind::Path || special {
                wildcard::simple(what.path, item.pattern.as_bytes(), false)
            } else if path_only {
                false
            } else {
                match (what.encoding, item.kind) {
                    (None, ItemKind::Type) => what.media_type.is_some_and(|t| {
                        wildcard::simple(t.as_bytes(), item.pattern.as_bytes(), true)
                    }),
                    (Some(e), ItemKind::Encoding) => {
                        wildcard::simple(e.as_bytes(), item.pattern.as_bytes(), true)
                    }
                    _ => false,
                }
            };
            hit.then_some(item.data.as_str())
        })
    }

    /// An icon or alternative text for one of Apache's special names (`^^DIRECTORY^^`,
    /// `^^BLANKICON^^`, `..`).
    fn special(items: &[Item], name: &str) -> Option<String> {
        let what = Described {
            path: name.as_bytes(),
            media_type: None,
            encoding: None,
        };
        Self::find(items, &what, true).map(str::to_owned)
    }

    /// The blank icon of the column heads (`^^BLANKICON^^`).
    pub fn blank_icon(&self) -> Option<String> {
        Self::special(&self.icons, "^^BLANKICON^^")
    }

    /// Icon and alternative text of a file or directory, as `make_autoindex_entry` finds them.
    pub fn decorate(&self, row: &mut Row, what: &Described<'_>) {
        if row.is_dir {
            row.icon = Self::find(&self.icons, what, true)
                .map(str::to_owned)
                .or_else(|| Self::special(&self.icons, "^^DIRECTORY^^"));
            row.alt = Self::find(&self.alts, what, true)
                .map(str::to_owned)
                .or_else(|| Self::special(&self.alts, "^^DIRECTORY^^"))
                .or_else(|| Some("DIR".to_owned()));
        } else {
            row.icon = Self::find(&self.icons, what, false).map(str::to_owned);
            row.alt = Self::find(&self.alts, what, false).map(str::to_owned);
        }
        row.description = self.describe(what.path);
    }

    /// The parent directory's row (`href` is its URL path).
    pub fn parent_row(&self) -> Row {
        Row {
            name: b"Parent Directory".to_vec(),
            is_dir: true,
            icon: Self::special(&self.icons, "..")
                .or_else(|| Self::special(&self.icons, "^^DIRECTORY^^")),
            alt: Self::special(&self.alts, "..").or_else(|| Some("PARENTDIR".to_owned())),
            ..Row::default()
        }
    }

    /// The first `AddDescription` matching the path (or its last component).
    fn describe(&self, path: &[u8]) -> Option<String> {
        let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
        self.descriptions.iter().find_map(|d| {
            let subject = if d.full_path { path } else { name };
            let hit = if d.wildcards {
                wildcard::fnmatch(subject, d.pattern.as_bytes())
            } else {
                subject
                    .windows(d.pattern.len().max(1))
                    .any(|w| w == d.pattern.as_bytes())
            };
            hit.then(|| d.text.clone())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_dir::tree;
    use std::os::unix::fs::symlink;

    fn names(entries: &[Entry]) -> Vec<String> {
        let mut entries = entries.to_vec();
        entries.sort_by(|a, b| b.is_dir.cmp(&a.is_dir).then_with(|| a.name.cmp(&b.name)));
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
}
