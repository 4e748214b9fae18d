//! AllowOverride and AllowOverrideList: what a `.htaccess` file may say.

use crate::config::store::{Section, SectionKind, Store};
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

    /// Whether any `.htaccess` is read at this level.
    pub fn any(&self) -> bool {
        self.classes != 0 || !self.list.is_empty()
    }

    /// Whether a directive named `name` of override classes `classes` may appear.
    pub fn allows(&self, name: &str, classes: u32) -> bool {
        classes & self.classes != 0 || self.list.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    /// For `Options`: whether the option word (`+Indexes`, `-ExecCGI`, `None`) may be set.
    pub fn allows_option(&self, word: &str) -> bool {
        let Some(list) = &self.options else {
            return true;
        };
        let name = word.trim_start_matches(['+', '-']);
        list.iter()
            .any(|o| o == "all" || o.eq_ignore_ascii_case(name))
    }
}

/// AllowOverride's value check, as the line is read.
pub fn check(args: &[String]) -> Result<(), String> {
    Overrides::default().set(args)
}

/// What the `<Directory>` sections (not regex) for the directory `dir` allow, the most
/// specific last; none grants nothing (Apache 2.4's default).
pub fn at(store: &Store, dir: &[u8]) -> Overrides {
    let mut o = Overrides::default();
    for i in store.directory_sections(dir) {
        apply(&mut o, &store.sections[i]);
    }
    o
}

fn apply(o: &mut Overrides, s: &Section) {
    if s.kind != SectionKind::Directory {
        return;
    }
    for occ in &s.directives {
        if occ.is_named("allowoverride") {
            // Checked when the file was read.
            let _ = o.set(&occ.args);
        } else if occ.is_named("allowoverridelist") {
            o.list = occ
                .args
                .iter()
                .filter(|a| !a.eq_ignore_ascii_case("none"))
                .map(|a| a.to_ascii_lowercase())
                .collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn classes_and_option_lists() {
        let mut o = Overrides::default();
        o.set(&words("AuthConfig Options=Indexes,FollowSymLinks"))
            .unwrap();
        assert!(o.allows("Require", abi::MAPACHE_OVERRIDE_AUTHCFG));
        assert!(!o.allows("SetHandler", abi::MAPACHE_OVERRIDE_FILEINFO));
        assert!(o.allows_option("-Indexes"));
        assert!(!o.allows_option("+ExecCGI"));
        o.set(&words("None")).unwrap();
        assert!(!o.any());
        o.set(&words("All")).unwrap();
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
    }
}
