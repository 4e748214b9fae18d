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
    /// `<Location /url-path>`, `<LocationMatch regex>`: the decoded request path.
    Location,
    /// `<Directory /fs/path>`, `<DirectoryMatch regex>`: the file the path maps to.
    Directory,
    /// `<Files name>`, `<FilesMatch regex>`: the last component of the mapped file.
    Files,
    /// `<If expr>`, `<ElseIf expr>`, `<Else>`: an expression about the request.
    If,
    /// `<VirtualHost addr:port …>`: the outermost scope of the requests it is chosen for
    /// (see [`Store::vhosts`]); its directives are that virtual host's server-level lines.
    VirtualHost,
}

/// How a section's argument is compared, when it is not a path prefix.
#[derive(Debug)]
pub enum Pattern {
    /// A regular expression (`<…Match>` or `~`).
    Regex(crate::regex::Regex),
    /// A shell wildcard (`<Files *.sql>`), as fnmatch(3) takes it.
    Wildcard(std::ffi::CString),
}

/// One section: `<Location>`, `<Directory>`, `<Files>` (and their regex forms) or `<If>`.
#[derive(Debug)]
pub struct Section {
    /// Its kind.
    pub kind: SectionKind,
    /// The section name as Apache spells it (`FilesMatch`), for messages.
    pub tag: &'static str,
    /// The path it matches (a prefix on segment boundaries); for `<Directory>`, absolute and
    /// normalized (no empty or dot segment, no trailing `/`); for a regex or wildcard, the
    /// pattern as written.
    pub path: String,
    /// How `path` is compared when it is not a prefix.
    pub pattern: Option<Pattern>,
    /// For `<Directory>`: the real path of `path` when it differs (a link on the way), as found
    /// when the configuration was read. A file matches the section under either.
    pub real: Option<Vec<u8>>,
    /// Directives inside it, in order.
    pub directives: Vec<Occurrence>,
    /// Its Require lines, parsed as they were read (None: it has none).
    pub require: Option<crate::access::Requirement>,
    /// The section it is nested in (None: it is at the top of its configuration).
    pub parent: Option<usize>,
    /// For `<If>` and `<ElseIf>`: the expression (`<Else>` has none).
    pub condition: Option<crate::expr::Expr>,
}

impl Section {
    /// A section with no directives yet.
    pub fn new(kind: SectionKind, tag: &'static str, path: String) -> Section {
        Section {
            kind,
            tag,
            path,
            pattern: None,
            real: None,
            directives: Vec::new(),
            require: None,
            parent: None,
            condition: None,
        }
    }

    /// An `<If "expr">`, `<ElseIf "expr">` or `<Else>` (`tag`), its expression parsed; `previous`
    /// is the last condition section of the same scope, which an `<ElseIf>` or `<Else>` must
    /// follow (an `<If>` or `<ElseIf>`). The caller sets its parent.
    pub fn condition(
        tag: &'static str,
        args: &[String],
        previous: Option<&Section>,
    ) -> Result<Section, String> {
        if tag != "If" && previous.is_none_or(|p| p.tag == "Else") {
            return Err("<Else> or <ElseIf> section without previous <If> or <ElseIf> section in same scope".to_owned());
        }
        let condition = match (tag, args) {
            ("Else", []) => None,
            ("Else", _) => return Err("<Else> does not take an argument".to_owned()),
            (_, []) => return Err(format!("<{tag}> directive requires additional arguments")),
            (_, [expr]) => Some(
                crate::expr::Expr::parse(expr)
                    .map_err(|e| format!("Cannot parse condition clause: {e}"))?,
            ),
            (_, _) => {
                return Err(format!(
                    "<{tag}> takes one argument, the expression in quotes"
                ))
            }
        };
        let mut section = Section::new(
            SectionKind::If,
            tag,
            args.first().cloned().unwrap_or_default(),
        );
        section.condition = condition;
        Ok(section)
    }

    /// Its regular expression, for a regex section.
    pub fn regex(&self) -> Option<&crate::regex::Regex> {
        match &self.pattern {
            Some(Pattern::Regex(r)) => Some(r),
            _ => None,
        }
    }
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
    /// Whether there is an `<If>` section (requests then evaluate them).
    pub has_conditions: bool,
    /// The `<VirtualHost>` blocks in file order.
    pub vhosts: Vec<VhostEntry>,
}

/// One `<VirtualHost>` block as read.
#[derive(Debug, Clone)]
pub struct VhostEntry {
    /// Its addresses, parsed (`*:80`, `10.0.0.1:8080`, `[::1]:80`, `_default_:443`).
    pub addrs: Vec<VhostAddr>,
    /// Its last ServerName, as written (None: it has none; it takes Apache's default).
    pub server_name: Option<String>,
    /// Its ServerAlias names in order.
    pub aliases: Vec<String>,
    /// Where it starts.
    pub file: Arc<str>,
    /// The line of its `<VirtualHost>`.
    pub line: u32,
    /// Its section in [`Store::sections`].
    pub section: usize,
}

/// One address of a `<VirtualHost>` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VhostAddr {
    /// The address; None for `*` and `_default_` (any address).
    pub ip: Option<std::net::IpAddr>,
    /// The port; 0 for none given or `*` (any port).
    pub port: u16,
}

impl VhostAddr {
    /// Parses one argument of `<VirtualHost>`: `host[:port]` with `*`, `_default_`, an IPv4
    /// address or a bracketed IPv6 one, and a port or `*`.
    pub fn parse(arg: &str) -> Result<VhostAddr, String> {
        let (host, port) = if let Some(rest) = arg.strip_prefix('[') {
            match rest.split_once(']') {
                Some((h, "")) => (h, None),
                Some((h, p)) if p.starts_with(':') => (h, Some(&p[1..])),
                _ => return Err(format!("Invalid address or port in <VirtualHost {arg}>")),
            }
        } else {
            match arg.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (arg, None),
            }
        };
        let port = match port {
            None | Some("*") => 0,
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| format!("The address or port is invalid: <VirtualHost {arg}>"))?,
        };
        let ip = match host {
            "*" | "_default_" => None,
            h => Some(h.parse::<std::net::IpAddr>().map_err(|_| {
                format!(
                    "<VirtualHost {arg}>: '{h}' is not an IP address, '*' or '_default_' (mapache does not resolve host names here: give the address)"
                )
            })?),
        };
        Ok(VhostAddr { ip, port })
    }
}

impl std::fmt::Display for VhostAddr {
    /// As `-S` prints it: `*:80`, `10.0.0.1:8080`, `[::1]:80`, `*:*`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.ip {
            None => f.write_str("*")?,
            Some(std::net::IpAddr::V6(a)) => write!(f, "[{a}]")?,
            Some(a) => write!(f, "{a}")?,
        }
        match self.port {
            0 => f.write_str(":*"),
            p => write!(f, ":{p}"),
        }
    }
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

    /// Sections that apply to a request, in Apache's merge order (`matching.rs` has each
    /// kind): `<Directory>` then `<DirectoryMatch>` for the file it maps to, `<Files>` and
    /// `<FilesMatch>` for its name, then `<Location>` and `<LocationMatch>` for the URL path.
    /// `file` is the mapped file, as asked for (DocumentRoot joined with the path) and as it
    /// really is (links resolved); both normalized. `<If>` sections are added per request by
    /// [`Store::if_sections`].
    pub fn matching_sections(&self, url_path: &[u8], file: Option<FilePaths<'_>>) -> Vec<usize> {
        let mut sections = Vec::new();
        if let Some(file) = file {
            sections = self.directory_matches(file);
            let files = self.files_matches(file, &sections);
            sections.extend(files);
        }
        sections.extend(self.location_matches(url_path));
        sections
    }

    /// The `<Directory>` sections for the real directory `dir` (normalized), shortest first:
    /// what decides on a link found there.
    pub fn directory_sections(&self, dir: &[u8]) -> Vec<usize> {
        let mut dirs: Vec<(usize, usize)> = (0..self.sections.len())
            .filter(|&i| {
                let s = &self.sections[i];
                s.kind == SectionKind::Directory && s.regex().is_none() && s.matches_dir(dir)
            })
            .map(|i| (self.sections[i].path.len(), i))
            .collect();
        dirs.sort();
        dirs.into_iter().map(|(_, i)| i).collect()
    }
}

impl Store {
    /// The `<VirtualHost>` a section is inside (its index in [`Store::vhosts`]), None for the
    /// main server's.
    pub fn vhost_of(&self, section: usize) -> Option<usize> {
        let mut i = section;
        loop {
            let s = &self.sections[i];
            if s.kind == SectionKind::VirtualHost {
                return self.vhosts.iter().position(|v| v.section == i);
            }
            i = s.parent?;
        }
    }

    /// The sections that apply to a request served by virtual host `vhost` (None: the main
    /// server): [`Store::matching_sections`] without other virtual hosts' sections, and, as
    /// Apache appends a virtual host's sections to the main server's, the main server's
    /// first among sections of one kind and rank (for `<Directory>`: one depth).
    pub fn sections_for(
        &self,
        vhost: Option<usize>,
        url_path: &[u8],
        file: Option<FilePaths<'_>>,
    ) -> Vec<usize> {
        let found = self.matching_sections(url_path, file);
        self.of_vhost(vhost, found, file.map(|f| f.real))
    }

    /// The `<Directory>` sections for the real directory `dir` that apply in virtual host
    /// `vhost`, as [`Store::directory_sections`] and ordered as [`Store::sections_for`].
    pub fn directory_sections_for(&self, vhost: Option<usize>, dir: &[u8]) -> Vec<usize> {
        self.of_vhost(vhost, self.directory_sections(dir), Some(dir))
    }

    /// `found` without other virtual hosts' sections, the main server's first in each class
    /// (kind; for `<Directory>` also depth and whether it matched `real`).
    fn of_vhost(
        &self,
        vhost: Option<usize>,
        mut found: Vec<usize>,
        real: Option<&[u8]>,
    ) -> Vec<usize> {
        if self.vhosts.is_empty() {
            return found;
        }
        found.retain(|&i| match self.vhost_of(i) {
            None => true,
            owner => owner == vhost,
        });
        let class = |i: usize| {
            let s = &self.sections[i];
            let by_real = real.is_some_and(|r| s.matches_dir(r));
            // Plain directories by depth; the regex ones form one class, after them.
            let depth = match s.kind {
                SectionKind::Directory if s.regex().is_some() => usize::MAX,
                SectionKind::Directory => s.path.len(),
                _ => 0,
            };
            (s.kind, by_real, depth)
        };
        let first: Vec<usize> = found
            .iter()
            .map(|&i| {
                found
                    .iter()
                    .position(|&j| class(j) == class(i))
                    .unwrap_or(0)
            })
            .collect();
        let mut keyed: Vec<(usize, bool, usize)> = found
            .iter()
            .zip(first)
            .map(|(&i, f)| (f, self.vhost_of(i).is_some(), i))
            .collect();
        // Stable: config order (and matching_sections' own order) is kept within a class.
        keyed.sort_by_key(|&(f, in_vhost, _)| (f, in_vhost));
        keyed.into_iter().map(|(_, _, i)| i).collect()
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
    pub(super) fn matches_dir(&self, p: &[u8]) -> bool {
        if let Some(Pattern::Wildcard(w)) = &self.pattern {
            return super::matching::wildcard_dir_matches(w, &self.path, p);
        }
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
        let mut section = Section::new(SectionKind::Location, "Location", "/s".into());
        section
            .directives
            .push(Occurrence::new("sethandler", &["b".into()], f.clone(), 3));
        s.sections.push(section);
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
