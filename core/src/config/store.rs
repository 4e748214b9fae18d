//! The parsed configuration as modules query it: directive occurrences at server level and in
//! `<Location>`/`<Directory>` sections, each with its file and line.

use mapache_plugin_api::abi::MapacheStr;
use std::sync::Arc;

/// One occurrence of a directive.
#[derive(Debug)]
pub struct Occurrence {
    /// Lower-cased name, for case-insensitive lookup.
    pub name: String,
    /// Arguments as parsed.
    pub args: Box<[String]>,
    /// The same arguments as borrowed ABI strings (they point into `args`, which never moves).
    pub abi_args: Box<[MapacheStr]>,
    /// Source file.
    pub file: Arc<str>,
    /// Source line.
    pub line: u32,
}

// SAFETY: `abi_args` only points into this occurrence's own immutable strings.
unsafe impl Send for Occurrence {}
// SAFETY: as above; nothing is mutated after construction.
unsafe impl Sync for Occurrence {}

impl Occurrence {
    /// Builds an occurrence and its ABI view.
    pub fn new(name: &str, args: &[String], file: Arc<str>, line: u32) -> Self {
        let args: Box<[String]> = args.to_vec().into_boxed_slice();
        let abi_args = args
            .iter()
            .map(|a| MapacheStr {
                ptr: a.as_ptr(),
                len: a.len(),
            })
            .collect();
        Occurrence {
            name: name.to_ascii_lowercase(),
            args,
            abi_args,
            file,
            line,
        }
    }

    /// The first argument, or "".
    /// Whether this is directive `name`, compared ASCII case-insensitively: lookups happen per
    /// request, so the name is not lowercased into a new string each time.
    pub fn is_named(&self, name: impl AsRef<[u8]>) -> bool {
        self.name.as_bytes().eq_ignore_ascii_case(name.as_ref())
    }

    pub fn arg0(&self) -> &str {
        self.args.first().map(String::as_str).unwrap_or("")
    }
}

/// What a section matches against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    /// `<Location /url-path>`: the decoded request path.
    Location,
    /// `<Directory /fs/path>`: the file the path maps to under DocumentRoot.
    Directory,
}

/// One `<Location>` or `<Directory>` section.
#[derive(Debug)]
pub struct Section {
    /// Its kind.
    pub kind: SectionKind,
    /// The path it matches (a prefix on segment boundaries); for `<Directory>`, absolute and
    /// normalized (no empty or dot segment, no trailing `/`).
    pub path: String,
    /// For `<Directory>`: the real path of `path` when it differs (a link on the way), as found
    /// when the configuration was read. A file matches the section under either.
    pub real: Option<Vec<u8>>,
    /// Directives inside it, in order.
    pub directives: Vec<Occurrence>,
    /// Its Require lines, parsed as they were read (None: it has none).
    pub require: Option<crate::access::Requirement>,
    /// The section it is nested in (None: it is at the top of its configuration).
    pub parent: Option<usize>,
}

/// Everything the configuration said.
#[derive(Debug, Default)]
pub struct Store {
    /// Server-level directives in file order.
    pub server: Vec<Occurrence>,
    /// Sections in file order.
    pub sections: Vec<Section>,
    /// Server-level Require lines, parsed as they were read (None: there are none).
    pub server_require: Option<crate::access::Requirement>,
}

/// Whether `path` lies under `prefix` on a segment boundary: `/a` matches `/a`, `/a/`, `/a/b` but
/// not `/ab` (Apache's Location rule).
pub fn prefix_matches(prefix: &[u8], path: &[u8]) -> bool {
    if !path.starts_with(prefix) {
        return false;
    }
    prefix.is_empty()
        || prefix.ends_with(b"/")
        || path.len() == prefix.len()
        || path[prefix.len()] == b'/'
}

impl Store {
    /// Section `i` of a view: the store's, or a `.htaccess` file's (numbered after them).
    pub fn section(&self, i: usize) -> &Section {
        match self.sections.get(i) {
            Some(s) => s,
            None => &crate::htaccess::registry::get(i).section,
        }
    }

    /// The last server-level occurrence of `name`.
    pub fn server_last(&self, name: &str) -> Option<&Occurrence> {
        self.server.iter().rev().find(|o| o.is_named(name))
    }

    /// Every server-level occurrence of `name`.
    pub fn server_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Occurrence> + 'a {
        self.server.iter().filter(move |o| o.is_named(name))
    }

    /// Sections that apply to a request: Directory sections (shortest path first) for the file it
    /// maps to, then Location sections in file order, as Apache merges them. `file` is the
    /// mapped file, as asked for (DocumentRoot joined with the path) and as it really is (links
    /// resolved); both normalized. A `<Directory>` matching the real path ranks after (overrides)
    /// one matching only the name asked for: the directory a file really is in decides.
    pub fn matching_sections(&self, url_path: &[u8], file: Option<FilePaths<'_>>) -> Vec<usize> {
        let mut dirs: Vec<(bool, usize, usize)> = Vec::new();
        if let Some(file) = file {
            for (i, s) in self.sections.iter().enumerate() {
                if s.kind != SectionKind::Directory {
                    continue;
                }
                let by_real = s.matches_dir(file.real);
                if by_real || s.matches_dir(file.requested) {
                    dirs.push((by_real, s.path.len(), i));
                }
            }
        }
        dirs.sort();
        let mut sections: Vec<usize> = dirs.into_iter().map(|(_, _, i)| i).collect();
        sections.extend((0..self.sections.len()).filter(|&i| {
            let s = &self.sections[i];
            s.kind == SectionKind::Location && prefix_matches(s.path.as_bytes(), url_path)
        }));
        sections
    }

    /// The `<Directory>` sections for the real directory `dir` (normalized), shortest first:
    /// what decides on a link found there.
    pub fn directory_sections(&self, dir: &[u8]) -> Vec<usize> {
        let mut dirs: Vec<(usize, usize)> = (0..self.sections.len())
            .filter(|&i| {
                self.sections[i].kind == SectionKind::Directory && self.sections[i].matches_dir(dir)
            })
            .map(|i| (self.sections[i].path.len(), i))
            .collect();
        dirs.sort();
        dirs.into_iter().map(|(_, i)| i).collect()
    }
}

/// A mapped file's two paths, for matching `<Directory>` sections.
#[derive(Debug, Clone, Copy)]
pub struct FilePaths<'a> {
    /// DocumentRoot joined with the URL path, normalized.
    pub requested: &'a [u8],
    /// The real path.
    pub real: &'a [u8],
}

impl Section {
    /// Whether a `<Directory>` section covers the normalized path `p`, under its path as written
    /// or its real path.
    fn matches_dir(&self, p: &[u8]) -> bool {
        crate::storage::path::is_under(p, self.path.as_bytes())
            || self
                .real
                .as_deref()
                .is_some_and(|r| crate::storage::path::is_under(p, r))
    }
}

/// The scope a module sees through a `MapacheConfig` handle: the server level plus the matching
/// sections, least specific first.
#[derive(Debug, Default, Clone)]
pub struct View {
    /// Indices into [`Store::sections`].
    pub sections: Vec<usize>,
}

impl View {
    /// Every occurrence of `name` (lower-case) visible in this view, least specific first.
    pub fn occurrences<'a, N: AsRef<[u8]> + ?Sized>(
        &'a self,
        store: &'a Store,
        name: &'a N,
    ) -> impl Iterator<Item = &'a Occurrence> + 'a {
        let name = name.as_ref();
        store
            .server
            .iter()
            .chain(
                self.sections
                    .iter()
                    .flat_map(|&i| store.section(i).directives.iter()),
            )
            .filter(move |o| o.is_named(name))
    }

    /// The occurrence in effect.
    pub fn last<'a, N: AsRef<[u8]> + ?Sized>(
        &'a self,
        store: &'a Store,
        name: &'a N,
    ) -> Option<&'a Occurrence> {
        self.occurrences(store, name).last()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_prefix_respects_segments() {
        assert!(prefix_matches(b"/a", b"/a"));
        assert!(prefix_matches(b"/a", b"/a/b"));
        assert!(!prefix_matches(b"/a", b"/ab"));
        assert!(prefix_matches(b"/a/", b"/a/b"));
        assert!(!prefix_matches(b"/a/", b"/a"));
        assert!(prefix_matches(b"/", b"/anything"));
    }

    #[test]
    fn view_orders_server_then_sections() {
        let f: Arc<str> = Arc::from("x.conf");
        let mut s = Store::default();
        s.server
            .push(Occurrence::new("SetHandler", &["a".into()], f.clone(), 1));
        s.sections.push(Section {
            kind: SectionKind::Location,
            path: "/s".into(),
            real: None,
            directives: vec![Occurrence::new("sethandler", &["b".into()], f.clone(), 3)],
            require: None,
            parent: None,
        });
        let v = View {
            sections: s.matching_sections(b"/s/x", None),
        };
        assert_eq!(v.last(&s, "sethandler").unwrap().arg0(), "b");
        let v = View {
            sections: s.matching_sections(b"/other", None),
        };
        assert_eq!(v.last(&s, "sethandler").unwrap().arg0(), "a");
        assert_eq!(v.occurrences(&s, "sethandler").count(), 1);
    }
}
