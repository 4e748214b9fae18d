//! AllowOverride and AllowOverrideList: what a `.htaccess` file may say.

use crate::config::store::{Section, SectionKind, Store};
use crate::storage::path::is_under;
use mapache_plugin_api::abi;

/// What `.htaccess` files of one directory level may contain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// The granted classes (`MAPACHE_OVERRIDE_*` bits).
    pub classes: u32,
    /// For `Options=…`: the options `Options` may name there (lower-case; None: any).
    pub options: Option<Vec<String>>,
    /// AllowOverrideList: directives allowed by name (lower-case).
    pub list: Vec<String>,
}

/// The options `AllowOverride Options=` may list (Apache's).
const OPTION_NAMES: [&str; 8] = [
    "All",
    "ExecCGI",
    "FollowSymLinks",
    "Includes",
    "IncludesNOEXEC",
    "Indexes",
    "MultiViews",
    "SymLinksIfOwnerMatch",
];

fn class(word: &str) -> Option<u32> {
    Some(match word.to_ascii_lowercase().as_str() {
        "authconfig" => abi::MAPACHE_OVERRIDE_AUTHCFG,
        "fileinfo" => abi::MAPACHE_OVERRIDE_FILEINFO,
        "indexes" => abi::MAPACHE_OVERRIDE_INDEXES,
        "limit" => abi::MAPACHE_OVERRIDE_LIMIT,
        "options" => abi::MAPACHE_OVERRIDE_OPTIONS,
        "all" => abi::MAPACHE_OVERRIDE_ALL,
        "none" => 0,
        _ => return None,
    })
}

/// `AllowOverride Nonfatal=Override`: a directive of a class not granted is skipped with a
/// warning instead of failing the request (kept with the class bits, above them).
pub const NONFATAL_OVERRIDE: u32 = 1 << 16;
/// `Nonfatal=Unknown`: an unknown directive is skipped with a warning.
pub const NONFATAL_UNKNOWN: u32 = 1 << 17;

impl Overrides {
    /// Reads one AllowOverride line over what less specific lines said (each line replaces
    /// the classes, as in Apache).
    fn set(&mut self, args: &[String]) -> Result<(), String> {
        self.classes = 0;
        self.options = None;
        for word in args {
            let (name, list) = match word.split_once('=') {
                Some((n, l)) => (n, Some(l)),
                None => (word.as_str(), None),
            };
            if name.eq_ignore_ascii_case("nonfatal") {
                self.classes |= match list.map(str::to_ascii_lowercase).as_deref() {
                    Some("override") => NONFATAL_OVERRIDE,
                    Some("unknown") => NONFATAL_UNKNOWN,
                    Some("all") => NONFATAL_OVERRIDE | NONFATAL_UNKNOWN,
                    _ => {
                        return Err(format!(
                        "Illegal override option {word}: Nonfatal= takes Override, Unknown or All"
                    ))
                    }
                };
                continue;
            }
            let Some(bits) = class(name) else {
                return Err(format!("Illegal override option {word}"));
            };
            if let Some(list) = list {
                if bits != abi::MAPACHE_OVERRIDE_OPTIONS {
                    return Err(format!("Illegal override option {word}"));
                }
                let mut names = Vec::new();
                for o in list.split(',').filter(|o| !o.is_empty()) {
                    if !OPTION_NAMES.iter().any(|n| n.eq_ignore_ascii_case(o)) {
                        return Err(format!("Illegal option {o}"));
                    }
                    names.push(o.to_ascii_lowercase());
                }
                self.options = Some(names);
            }
            self.classes |= bits;
        }
        Ok(())
    }

    /// The grants of one AllowOverride line written as `words`.
    #[cfg(test)]
    pub fn set_for_test(&mut self, words: &str) {
        let args: Vec<String> = words.split(' ').map(str::to_owned).collect();
        self.set(&args).unwrap();
    }

    /// The grants as [`at`] hands them out.
    pub fn as_allowed(&self) -> Allowed<'_> {
        Allowed {
            classes: self.classes,
            options: self.options.as_deref(),
            list: &self.list,
        }
    }
}

/// What `.htaccess` files of one directory level may contain, borrowed from the sections
/// that say it (nothing is copied per request).
#[derive(Debug, Clone, Copy, Default)]
pub struct Allowed<'a> {
    /// The granted classes (`MAPACHE_OVERRIDE_*` bits).
    pub classes: u32,
    /// For `Options=…`: the options `Options` may name (lower-case; None: any).
    pub options: Option<&'a [String]>,
    /// AllowOverrideList: directives allowed by name (lower-case).
    pub list: &'a [String],
}

impl Allowed<'_> {
    /// Whether any `.htaccess` is read at this level.
    pub fn any(&self) -> bool {
        self.classes & abi::MAPACHE_OVERRIDE_ALL != 0 || !self.list.is_empty()
    }

    /// Whether a directive of a class not granted is skipped (with a warning).
    pub fn nonfatal_override(&self) -> bool {
        self.classes & NONFATAL_OVERRIDE != 0
    }

    /// Whether an unknown directive is skipped (with a warning).
    pub fn nonfatal_unknown(&self) -> bool {
        self.classes & NONFATAL_UNKNOWN != 0
    }

    /// Whether a directive named `name` of override classes `classes` may appear.
    pub fn allows(&self, name: &str, classes: u32) -> bool {
        classes & self.classes != 0 || self.list.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    /// For `Options`: whether the option word (`+Indexes`, `-ExecCGI`, `None`) may be set.
    pub fn allows_option(&self, word: &str) -> bool {
        let Some(list) = self.options else {
            return true;
        };
        let name = word.trim_start_matches(['+', '-']);
        // `None` sets nothing, so it is always allowed (Apache's OPT_NONE).
        name.eq_ignore_ascii_case("none")
            || list
                .iter()
                .any(|o| o == "all" || o.eq_ignore_ascii_case(name))
    }
}

/// AllowOverride's value check, as the line is read.
pub fn check(args: &[String]) -> Result<(), String> {
    Overrides::default().set(args)
}

/// One `<Directory>` section's AllowOverride and AllowOverrideList lines, read once.
#[derive(Debug, Clone)]
pub struct Grant {
    /// The section's path, and its real path when a link leads to it.
    path: Vec<u8>,
    real: Option<Vec<u8>>,
    /// Its last AllowOverride, read (None: it has none).
    classes: Option<(u32, Option<Vec<String>>)>,
    /// Its last AllowOverrideList (lower-case; None: it has none).
    list: Option<Vec<String>>,
    /// The virtual host it is in (None: the main server's, for every vhost).
    vhost: Option<usize>,
}

impl Grant {
    /// The length of the shorter of its two paths: no directory shorter is under it.
    pub fn shortest(&self) -> usize {
        self.real
            .as_ref()
            .map_or(self.path.len(), |r| r.len().min(self.path.len()))
    }
}

/// The `<Directory>` sections with AllowOverride or AllowOverrideList lines, least specific
/// first (shorter path, then configuration order), as they merge.
pub fn grants(store: &Store) -> Vec<Grant> {
    let mut found: Vec<(usize, usize, Grant)> = Vec::new();
    for (i, s) in store.sections.iter().enumerate() {
        if let Some(mut g) = grant(s) {
            g.vhost = store.vhost_of(i);
            found.push((s.path.len(), i, g));
        }
    }
    found.sort_by_key(|(len, i, _)| (*len, *i));
    found.into_iter().map(|(_, _, g)| g).collect()
}

fn grant(s: &Section) -> Option<Grant> {
    if s.kind != SectionKind::Directory {
        return None;
    }
    let mut g = Grant {
        path: s.path.as_bytes().to_vec(),
        real: s.real.clone(),
        classes: None,
        list: None,
        vhost: None,
    };
    for occ in &s.directives {
        if occ.is_named("allowoverride") {
            let mut o = Overrides::default();
            // Checked when the file was read.
            let _ = o.set(&occ.args);
            g.classes = Some((o.classes, o.options));
        } else if occ.is_named("allowoverridelist") {
            g.list = Some(
                occ.args
                    .iter()
                    .filter(|a| !a.eq_ignore_ascii_case("none"))
                    .map(|a| a.to_ascii_lowercase())
                    .collect(),
            );
        }
    }
    (g.classes.is_some() || g.list.is_some()).then_some(g)
}

/// What the sections of `grants` covering the directory `dir` allow there, the most specific
/// last; none grants nothing (Apache 2.4's default).
/// What the grants of the main server and of virtual host `vhost` allow at `dir`.
pub fn at<'a>(grants: &'a [Grant], dir: &[u8], vhost: Option<usize>) -> Allowed<'a> {
    let mut o = Allowed::default();
    for g in grants {
        let covers = is_under(dir, &g.path) || g.real.as_deref().is_some_and(|r| is_under(dir, r));
        if !covers || g.vhost.is_some_and(|v| Some(v) != vhost) {
            continue;
        }
        if let Some((classes, options)) = &g.classes {
            o.classes = *classes;
            o.options = options.as_deref();
        }
        if let Some(list) = &g.list {
            o.list = list;
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn classes_and_option_lists() {
        let mut owned = Overrides::default();
        owned
            .set(&words("AuthConfig Options=Indexes,FollowSymLinks"))
            .unwrap();
        let o = owned.as_allowed();
        assert!(o.allows("Require", abi::MAPACHE_OVERRIDE_AUTHCFG));
        assert!(!o.allows("SetHandler", abi::MAPACHE_OVERRIDE_FILEINFO));
        assert!(o.allows_option("-Indexes"));
        assert!(!o.allows_option("+ExecCGI"));
        assert!(o.allows_option("None"));
        owned.set(&words("None")).unwrap();
        assert!(!owned.as_allowed().any());
        owned.set(&words("All")).unwrap();
        let o = owned.as_allowed();
        assert!(o.allows("SetHandler", abi::MAPACHE_OVERRIDE_FILEINFO));
        assert!(!o.allows("ServerName", 0));
    }

    #[test]
    fn apache_messages_for_bad_words() {
        assert_eq!(
            check(&words("Bogus")).unwrap_err(),
            "Illegal override option Bogus"
        );
        assert_eq!(
            check(&words("Options=Bogus")).unwrap_err(),
            "Illegal option Bogus"
        );
        assert!(check(&words("FileInfo=Indexes")).is_err());
        assert!(check(&words("FileInfo Nonfatal=All")).is_ok());
        assert!(check(&words("Nonfatal=Bogus")).is_err());
    }
}
