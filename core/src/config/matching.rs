//! Which sections of each kind apply to a request, in Apache's merge order
//! (`ap_directory_walk`, `ap_file_walk`, `ap_location_walk`), and the `MATCH_<NAME>` variables
//! the named groups of the regex sections that applied give.

use super::store::{FilePaths, Pattern, Section, SectionKind, Store};
use crate::htaccess::registry;

impl Store {
    /// `<Directory>` sections without a regex, shortest path first (one matching the real path
    /// ranks after one matching only the name asked for: the directory a file really is in
    /// decides), then `<DirectoryMatch>`/`<Directory ~>` in file order. A regex is compared
    /// with the whole file name, as Apache does.
    pub(super) fn directory_matches(&self, file: FilePaths<'_>) -> Vec<usize> {
        let mut plain: Vec<(bool, usize, usize)> = Vec::new();
        let mut regex = Vec::new();
        for (i, s) in self.sections.iter().enumerate() {
            if s.kind != SectionKind::Directory {
                continue;
            }
            match s.regex() {
                Some(r) => {
                    if r.is_match(file.requested) || r.is_match(file.real) {
                        regex.push(i);
                    }
                }
                None => {
                    let by_real = s.matches_dir(file.real);
                    if by_real || s.matches_dir(file.requested) {
                        plain.push((by_real, s.path.len(), i));
                    }
                }
            }
        }
        plain.sort();
        plain.into_iter().map(|(_, _, i)| i).chain(regex).collect()
    }

    /// `<Files>`/`<FilesMatch>` for the last component of the file's name: those at the top
    /// first, then those inside each section that applies, in that section's order (Apache
    /// appends a section's Files to its parent's as it merges); file order within a scope.
    pub(super) fn files_matches(&self, file: FilePaths<'_>, applied: &[usize]) -> Vec<usize> {
        let mut out = Vec::new();
        if !self.sections.iter().any(|s| s.kind == SectionKind::Files) {
            return out;
        }
        let name = last_component(file.requested);
        // The top of a virtual host is the top too (the caller keeps only the request's).
        let top = |parent: Option<usize>| {
            parent.is_none_or(|p| self.sections[p].kind == SectionKind::VirtualHost)
        };
        let take = |scope: Option<usize>, out: &mut Vec<usize>| {
            for (i, s) in self.sections.iter().enumerate() {
                let in_scope = match scope {
                    None => top(s.parent),
                    Some(_) => s.parent == scope,
                };
                if s.kind == SectionKind::Files && in_scope && name_matches(s, name) {
                    out.push(i);
                }
            }
        };
        take(None, &mut out);
        for &scope in applied {
            take(Some(scope), &mut out);
        }
        // A `<Files>` that applies is a scope too, for the `<Files>` inside it.
        let mut next = 0;
        while next < out.len() {
            let scope = out[next];
            next += 1;
            take(Some(scope), &mut out);
        }
        out
    }

    /// `<Location>` (prefix on segment boundaries) and `<LocationMatch>`/`<Location ~>` for the
    /// URL path, in file order (Apache applies both kinds together).
    pub(super) fn location_matches(&self, url_path: &[u8]) -> Vec<usize> {
        (0..self.sections.len())
            .filter(|&i| {
                let s = &self.sections[i];
                s.kind == SectionKind::Location
                    && match &s.pattern {
                        Some(Pattern::Regex(r)) => r.is_match(url_path),
                        // Apache: the whole path, `/` only matched by `/`.
                        Some(Pattern::Wildcard(w)) => fnmatch(w, url_path, libc::FNM_PATHNAME),
                        None => super::store::prefix_matches(s.path.as_bytes(), url_path),
                    }
            })
            .collect()
    }

    /// The `<If>`, `<ElseIf>` and `<Else>` sections that hold for a request whose other
    /// sections are `applied`: those at the top first, then those inside each applied section
    /// in its order, each chain (`<If>` and the `<ElseIf>`/`<Else>` after it in the same scope)
    /// giving at most one; an `<If>` that holds is a scope too (its own `<If>`s follow it).
    /// An expression that fails to evaluate is false; `failed` hears why.
    pub fn if_sections(
        &self,
        applied: &[usize],
        vars: &dyn crate::expr::Vars,
        failed: &mut dyn FnMut(&str),
    ) -> Vec<usize> {
        let mut out = Vec::new();
        if !self.has_conditions && !registry::has_conditions() {
            return out;
        }
        self.conditions_in(None, vars, failed, &mut out);
        for &scope in applied {
            self.conditions_in(Some(scope), vars, failed, &mut out);
        }
        out
    }

    /// The conditions of one scope that hold, each followed by those nested in it. A
    /// `.htaccess` section lists its own children; the store's are found by their parent.
    fn conditions_in(
        &self,
        scope: Option<usize>,
        vars: &dyn crate::expr::Vars,
        failed: &mut dyn FnMut(&str),
        out: &mut Vec<usize>,
    ) {
        match scope.filter(|&s| registry::is_dynamic(s)) {
            Some(s) => {
                let children = &registry::get(s).children;
                self.chains(scope, children.iter().copied(), vars, failed, out);
            }
            None if self.has_conditions => {
                self.chains(scope, 0..self.sections.len(), vars, failed, out)
            }
            None => {}
        }
    }

    /// Among `candidates` (section numbers in file order), the conditions of `scope` that
    /// hold, one per chain, each followed by those nested in it.
    fn chains(
        &self,
        scope: Option<usize>,
        candidates: impl Iterator<Item = usize>,
        vars: &dyn crate::expr::Vars,
        failed: &mut dyn FnMut(&str),
        out: &mut Vec<usize>,
    ) {
        // Whether the chain being walked has taken a branch already.
        let mut taken = false;
        for i in candidates {
            let s = self.section(i);
            if s.kind != SectionKind::If || s.parent != scope {
                continue;
            }
            if s.tag == "If" {
                taken = false;
            }
            if taken {
                continue;
            }
            let holds = match &s.condition {
                None => true,
                Some(expr) => expr.eval(vars).unwrap_or_else(|e| {
                    failed(&e);
                    false
                }),
            };
            if holds {
                taken = true;
                out.push(i);
                self.conditions_in(Some(i), vars, failed, out);
            }
        }
    }

    /// Puts the `<Files>`/`<FilesMatch>` of the `.htaccess` sections among `sections` (a
    /// request's, the files already placed after their levels' `<Directory>` sections) that
    /// take the file name `name` with the request's other `<Files>`: as Apache appends each
    /// per-directory scope's Files to those of the scopes merged before it, after the Files
    /// of the top level and of the sections before the file, before those of the sections
    /// after it; nested ones after those around them.
    pub fn place_htaccess_files(&self, sections: &mut Vec<usize>, name: &[u8]) {
        let files: Vec<(usize, usize)> = sections
            .iter()
            .enumerate()
            .filter(|&(_, &i)| {
                registry::is_dynamic(i)
                    && self.section(i).kind == SectionKind::Directory
                    && !registry::get(i).children.is_empty()
            })
            .map(|(p, &i)| (p, i))
            .collect();
        for (at, file) in files {
            let mut found = Vec::new();
            let mut next = 0;
            let mut scope = Some(file);
            while let Some(s) = scope {
                for &c in &registry::get(s).children {
                    let child = self.section(c);
                    if child.kind == SectionKind::Files && name_matches(child, name) {
                        found.push(c);
                    }
                }
                scope = found.get(next).copied();
                next += 1;
            }
            if found.is_empty() {
                continue;
            }
            // The position in `sections` of the scope a `<Files>` belongs to (None: the top).
            let rank = |mut i: usize| loop {
                match self.section(i).parent {
                    Some(p) if self.section(p).kind == SectionKind::Files => i = p,
                    Some(p) if self.section(p).kind != SectionKind::VirtualHost => {
                        break sections.iter().position(|&j| j == p)
                    }
                    _ => break None,
                }
            };
            let after_dirs = sections
                .iter()
                .skip(at)
                .position(|&j| {
                    matches!(
                        self.section(j).kind,
                        SectionKind::Files | SectionKind::Location
                    )
                })
                .map_or(sections.len(), |p| p + at);
            let place = sections
                .iter()
                .rposition(|&j| {
                    self.section(j).kind == SectionKind::Files && rank(j).is_none_or(|r| r < at)
                })
                .map_or(after_dirs, |p| (p + 1).max(after_dirs));
            sections.splice(place..place, found);
        }
    }

    /// The `MATCH_<NAME>` variables (name upper-cased) of the named groups of the regex
    /// sections among `sections`, later sections overriding earlier ones; empty (and no regex
    /// run) when none has a named group.
    pub fn match_variables(
        &self,
        sections: &[usize],
        url_path: &[u8],
        file: Option<FilePaths<'_>>,
    ) -> Vec<(String, String)> {
        let mut vars: Vec<(String, String)> = Vec::new();
        for &i in sections {
            let s = self.section(i);
            let Some(r) = s.regex().filter(|r| r.has_names()) else {
                continue;
            };
            let caps = match (s.kind, file) {
                (SectionKind::Location, _) => r.captures(url_path),
                (SectionKind::Directory, Some(f)) => {
                    r.captures(f.requested).or_else(|| r.captures(f.real))
                }
                (SectionKind::Files, Some(f)) => r.captures(last_component(f.requested)),
                _ => None,
            };
            for (name, value) in caps.map(|c| c.named).unwrap_or_default() {
                let name = format!("MATCH_{}", name.to_ascii_uppercase());
                let value = String::from_utf8_lossy(&value).into_owned();
                match vars.iter_mut().find(|(n, _)| *n == name) {
                    Some(v) => v.1 = value,
                    None => vars.push((name, value)),
                }
            }
        }
        vars
    }
}

/// The part after the last `/`.
fn last_component(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/').next().unwrap_or(path)
}

/// Whether a wildcard `<Directory /home/*/public_html>` covers `path`: the directory of `path`
/// with as many components as the pattern matches it, `/` matched only by `/` (Apache
/// compares each directory level with `fnmatch(FNM_PATHNAME)`).
pub(super) fn wildcard_dir_matches(pattern: &std::ffi::CStr, written: &str, path: &[u8]) -> bool {
    let depth = written.bytes().filter(|&b| b == b'/').count();
    // The prefix of `path` with `depth` components: up to its `depth + 1`-th slash.
    let mut slashes = 0;
    let mut end = path.len();
    for (i, &b) in path.iter().enumerate() {
        if b == b'/' {
            slashes += 1;
            if slashes == depth + 1 {
                end = i;
                break;
            }
        }
    }
    if slashes < depth {
        return false;
    }
    fnmatch(pattern, &path[..end], libc::FNM_PATHNAME)
}

/// Whether a `<Files>` section's pattern takes the file name `name`.
fn name_matches(s: &Section, name: &[u8]) -> bool {
    match &s.pattern {
        Some(Pattern::Regex(r)) => r.is_match(name),
        Some(Pattern::Wildcard(w)) => wildcard_matches(w, name),
        None => s.path.as_bytes() == name,
    }
}

/// fnmatch(3), as Apache's `<Files>` uses it (`*`, `?`, `[…]`; a leading dot is no special
/// case, as with Apache's flags).
fn wildcard_matches(pattern: &std::ffi::CStr, name: &[u8]) -> bool {
    fnmatch(pattern, name, 0)
}

fn fnmatch(pattern: &std::ffi::CStr, s: &[u8], flags: i32) -> bool {
    let Ok(s) = std::ffi::CString::new(s) else {
        return false;
    };
    // SAFETY: both are NUL-terminated strings that live across the call.
    unsafe { libc::fnmatch(pattern.as_ptr(), s.as_ptr(), flags) == 0 }
}

#[cfg(test)]
mod tests {
    use crate::config::dispatch::Dispatcher;
    use crate::config::store::{FilePaths, Store};
    use crate::config::Reader;

    fn read(text: &str) -> Result<Store, String> {
        let root = std::env::temp_dir();
        let mut d = Dispatcher::new(root.clone()).expect("a dispatcher");
        Reader::new(root, &[])
            .read_str(text, "t.conf", &mut d)
            .map_err(|e| e.to_string())?;
        Ok(d.store)
    }

    /// The paths of the sections that apply to `url` under /srv/www, in merge order.
    fn applied(store: &Store, url: &str) -> Vec<String> {
        let file = format!("/srv/www{url}");
        let paths = FilePaths {
            requested: file.as_bytes(),
            real: file.as_bytes(),
        };
        store
            .matching_sections(url.as_bytes(), Some(paths))
            .into_iter()
            .map(|i| format!("{} {}", store.sections[i].tag, store.sections[i].path))
            .collect()
    }

    #[test]
    fn merge_order_is_apaches() {
        let s = read(
            "<Location /a>\n</Location>\n\
             <LocationMatch ^/a/>\n</LocationMatch>\n\
             <Files *.txt>\n</Files>\n\
             <DirectoryMatch /a/>\n</DirectoryMatch>\n\
             <Directory /srv/www/a>\n<Files x.txt>\n</Files>\n</Directory>\n\
             <Directory /srv/www>\n</Directory>\n\
             <FilesMatch \\.txt$>\n</FilesMatch>\n\
             <Directory /elsewhere>\n<Files x.txt>\n</Files>\n</Directory>\n",
        )
        .unwrap();
        assert_eq!(
            applied(&s, "/a/x.txt"),
            [
                "Directory /srv/www",
                "Directory /srv/www/a",
                "DirectoryMatch /a/",
                "Files *.txt",
                "FilesMatch \\.txt$",
                "Files x.txt",
                "Location /a",
                "LocationMatch ^/a/",
            ]
        );
        assert_eq!(
            applied(&s, "/b.html"),
            ["Directory /srv/www"],
            "no Files for another name, no Location for another path"
        );
    }

    #[test]
    fn tilde_forms_are_regex_sections() {
        let s = read(
            "<Files ~ \"^\\.ht\">\n</Files>\n<Location ~ \"/(?<n>x)$\">\n</Location>\n<Directory ~ \"\\.git/\">\n</Directory>\n",
        )
        .unwrap();
        assert_eq!(applied(&s, "/.htaccess"), ["Files ^\\.ht"]);
        assert_eq!(applied(&s, "/a.htaccess"), Vec::<String>::new());
        assert_eq!(applied(&s, "/p/x"), ["Location /(?<n>x)$"]);
        assert_eq!(applied(&s, "/r/.git/config"), ["Directory \\.git/"]);
    }

    #[test]
    fn wildcards_take_the_last_component_only() {
        let s = read("<Files \"*.sql\">\n</Files>\n<Files wp-config.php>\n</Files>\n").unwrap();
        assert_eq!(applied(&s, "/db/dump.sql"), ["Files *.sql"]);
        assert_eq!(applied(&s, "/dump.sql/x"), Vec::<String>::new());
        assert_eq!(applied(&s, "/blog/wp-config.php"), ["Files wp-config.php"]);
        assert_eq!(applied(&s, "/blog/wp-config.php.bak"), Vec::<String>::new());
    }

    #[test]
    fn named_groups_become_match_variables() {
        let s = read(
            "<DirectoryMatch \"^/srv/www/(?<site>[^/]+)\">\n</DirectoryMatch>\n\
             <LocationMatch \"^/(?<Site>[^/]+)/(?<page>.*)\">\n</LocationMatch>\n\
             <LocationMatch \"^/(\\w+)\">\n</LocationMatch>\n",
        )
        .unwrap();
        let file = b"/srv/www/blog/post";
        let paths = FilePaths {
            requested: file,
            real: file,
        };
        let sections = s.matching_sections(b"/blog/post", Some(paths));
        assert_eq!(sections.len(), 3);
        assert_eq!(
            s.match_variables(&sections, b"/blog/post", Some(paths)),
            [
                ("MATCH_SITE".to_owned(), "blog".to_owned()),
                ("MATCH_PAGE".to_owned(), "post".to_owned())
            ]
        );
    }

    #[test]
    fn nesting_and_arguments_as_apache_refuses_them() {
        let cases = [
            (
                "<Directory /x>\n<Location /a>\n</Location>\n</Directory>",
                "line 2 of t.conf: <Location not allowed in <Directory> context",
            ),
            (
                "<Location /x>\n<Files a>\n</Files>\n</Location>",
                "line 2 of t.conf: <Files> cannot occur within <Location> section",
            ),
            (
                "<Files a>\n<DirectoryMatch /b>\n</DirectoryMatch>\n</Files>",
                "line 2 of t.conf: <DirectoryMatch not allowed in <Files> context",
            ),
            (
                "<FilesMatch \"(a\">\n</FilesMatch>",
                "line 1 of t.conf: Regex could not be compiled: (a: ",
            ),
            (
                "<Files a b>\n</Files>",
                "line 1 of t.conf: Multiple <Files> arguments not (yet) supported.",
            ),
            (
                "<Files>\n</Files>",
                "line 1 of t.conf: <Files> directive requires additional arguments",
            ),
            (
                "<FilesMatch x>\nServerName y\n</FilesMatch>",
                "line 2 of t.conf: ServerName not allowed in <FilesMatch> context",
            ),
        ];
        for (text, want) in cases {
            let e = read(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
        // Files inside Directory and inside Files are Apache's.
        read("<Directory /x>\n<FilesMatch a>\n<Files b>\n</Files>\n</FilesMatch>\n</Directory>")
            .unwrap();
    }

    /// A request with only a URI.
    struct Uri(&'static str);

    impl crate::expr::Vars for Uri {
        fn var(&self, name: &str) -> Option<String> {
            (name == "REQUEST_URI").then(|| self.0.to_owned())
        }
        fn request_header(&self, _: &str) -> Option<String> {
            None
        }
        fn response_header(&self, _: &str) -> Option<String> {
            None
        }
        fn request_env(&self, _: &str) -> Option<String> {
            None
        }
        fn note(&self, _: &str) -> Option<String> {
            None
        }
    }

    /// The `<If>` family that holds for `uri`, as "tag argument".
    fn conditions(s: &Store, uri: &'static str) -> Vec<String> {
        let applied = s.matching_sections(uri.as_bytes(), None);
        let mut failures = Vec::new();
        let out = s
            .if_sections(&applied, &Uri(uri), &mut |e| failures.push(e.to_owned()))
            .into_iter()
            .map(|i| format!("{} {}", s.sections[i].tag, s.sections[i].path))
            .collect();
        assert!(failures.is_empty(), "{failures:?}");
        out
    }

    #[test]
    fn if_chains_nesting_and_scopes() {
        let s = read(
            "<Location /l>\n<If \"true\">\n</If>\n</Location>\n\
             <If \"%{REQUEST_URI} == '/a'\">\n<If \"true\">\n</If>\n</If>\n\
             <ElseIf \"%{REQUEST_URI} =~ m#^/l#\">\n</ElseIf>\n\
             <Else>\n</Else>\n\
             <If \"false\">\n</If>\n",
        )
        .unwrap();
        // Top-level first, an If's own If right after it; then the Location's.
        assert_eq!(
            conditions(&s, "/a"),
            ["If %{REQUEST_URI} == '/a'", "If true"]
        );
        assert_eq!(
            conditions(&s, "/l/x"),
            ["ElseIf %{REQUEST_URI} =~ m#^/l#", "If true"]
        );
        assert_eq!(conditions(&s, "/z"), ["Else "]);
    }

    #[test]
    fn wildcards_in_directory_and_location_paths() {
        let s = read(
            "<Directory \"/srv/www/*/private\">\n</Directory>\n<Location \"/files/*.pdf\">\n</Location>\n",
        )
        .unwrap();
        assert_eq!(
            applied(&s, "/bob/private/x"),
            ["Directory /srv/www/*/private"]
        );
        assert_eq!(
            applied(&s, "/bob/private"),
            ["Directory /srv/www/*/private"]
        );
        assert_eq!(applied(&s, "/bob/x/private/y"), Vec::<String>::new());
        assert_eq!(applied(&s, "/bob"), Vec::<String>::new());
        assert_eq!(applied(&s, "/files/a.pdf"), ["Location /files/*.pdf"]);
        assert_eq!(applied(&s, "/files/sub/a.pdf"), Vec::<String>::new());
    }

    #[test]
    fn a_files_files_go_after_those_of_the_scopes_before_it() {
        use crate::config::store::{Section, SectionKind};
        use crate::htaccess::registry::{self, Dynamic};
        let s = read(
            "<Files a.txt>\n</Files>\n\
             <Directory /srv/www>\n<Files a.txt>\n</Files>\n</Directory>\n\
             <Directory /srv/www/d>\n<Files a.txt>\n</Files>\n</Directory>\n",
        )
        .unwrap();
        let item = |kind, tag, path: &str, parent, children| Dynamic {
            section: Section {
                parent,
                ..Section::new(kind, tag, path.into())
            },
            configs: Vec::new(),
            children,
        };
        let file = registry::add_group(vec![
            item(
                SectionKind::Directory,
                "Directory",
                "/srv/www",
                None,
                vec![1, 2],
            ),
            item(SectionKind::Files, "Files", "a.txt", Some(0), vec![3]),
            item(SectionKind::Files, "Files", "b.txt", Some(0), vec![]),
            item(SectionKind::Files, "Files", "a.txt", Some(1), vec![]),
        ])
        .unwrap();
        let requested = b"/srv/www/d/a.txt";
        let paths = FilePaths {
            requested,
            real: requested,
        };
        let mut sections = s.matching_sections(b"/d/a.txt", Some(paths));
        // The file of /srv/www, after that level's <Directory> (as htaccess::insert puts it).
        sections.insert(1, file);
        s.place_htaccess_files(&mut sections, b"a.txt");
        let (top, www, d) = (0, 2, 4);
        let (dir_www, dir_d) = (1, 3);
        assert_eq!(
            sections,
            [dir_www, file, dir_d, top, www, file + 1, file + 3, d],
            "the file's Files after the top's and its level's, before the deeper level's"
        );
        // Nothing for another name.
        let mut sections = vec![dir_www, file];
        s.place_htaccess_files(&mut sections, b"c.txt");
        assert_eq!(sections, [dir_www, file]);
    }

    #[test]
    fn conditions_of_a_file_are_its_children() {
        use crate::config::store::{Section, SectionKind};
        use crate::htaccess::registry::{self, Dynamic};
        // No <If> in the configuration: only the file's are looked at.
        let s = read("<Directory /srv/www>\n</Directory>\n").unwrap();
        let item = |tag, expr: Option<&str>, parent, children| Dynamic {
            section: Section {
                parent,
                condition: expr.map(|e| crate::expr::Expr::parse(e).unwrap()),
                ..Section::new(SectionKind::If, tag, expr.unwrap_or("").into())
            },
            configs: Vec::new(),
            children,
        };
        let file = registry::add_group(vec![
            Dynamic {
                section: Section::new(SectionKind::Directory, "Directory", "/srv/www".into()),
                configs: Vec::new(),
                children: vec![1, 3],
            },
            item("If", Some("%{REQUEST_URI} == '/a'"), Some(0), vec![2]),
            item("If", Some("true"), Some(1), vec![]),
            item("Else", None, Some(0), vec![]),
        ])
        .unwrap();
        let holding =
            |uri: &'static str| s.if_sections(&[0, file], &Uri(uri), &mut |e| panic!("{e}"));
        assert_eq!(holding("/a"), [file + 1, file + 2]);
        assert_eq!(holding("/b"), [file + 3]);
        assert!(s
            .if_sections(&[0], &Uri("/a"), &mut |e| panic!("{e}"))
            .is_empty());
    }
}
