//! The module's directives in one scope: `LanguagePriority` and `ForceLanguagePriority`
//! (anywhere, and in `.htaccess` under `AllowOverride FileInfo`) and `CacheNegotiatedDocs`
//! (server level). A section inherits what it does not set, as Apache merges them.

use mapache_plugin_api::sdk::{ModuleConfig, Scope};

/// `ForceLanguagePriority`'s bits.
const PREFER: u8 = 1;
const FALLBACK: u8 = 2;

/// One scope's settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NegotiationConfig {
    /// `LanguagePriority`, lower case, when set (lines add up within a scope, as Apache's).
    pub language_priority: Option<Vec<String>>,
    /// `ForceLanguagePriority`, when set.
    force: Option<u8>,
    /// `CacheNegotiatedDocs`, when set.
    pub cache_negotiated_docs: Option<bool>,
}

impl NegotiationConfig {
    /// The languages in order of preference.
    pub fn priority(&self) -> &[String] {
        self.language_priority.as_deref().unwrap_or(&[])
    }

    /// `ForceLanguagePriority Prefer` (Apache's default).
    pub fn prefer(&self) -> bool {
        self.force.unwrap_or(PREFER) & PREFER != 0
    }

    /// `ForceLanguagePriority Fallback`.
    pub fn fallback(&self) -> bool {
        self.force.unwrap_or(PREFER) & FALLBACK != 0
    }
}

impl ModuleConfig for NegotiationConfig {
    fn set(&mut self, _scope: Scope, name: &str, args: &[&str]) -> Result<(), String> {
        if name.eq_ignore_ascii_case("LanguagePriority") {
            self.language_priority
                .get_or_insert_with(Vec::new)
                .extend(args.iter().map(|a| a.to_ascii_lowercase()));
        } else if name.eq_ignore_ascii_case("ForceLanguagePriority") {
            let mut bits = self.force.unwrap_or(0);
            for arg in args {
                let bit = if arg.eq_ignore_ascii_case("None") {
                    0
                } else if arg.eq_ignore_ascii_case("Prefer") {
                    PREFER
                } else if arg.eq_ignore_ascii_case("Fallback") {
                    FALLBACK
                } else {
                    return Err(format!("Invalid ForceLanguagePriority option {arg}"));
                };
                let none_mixed = (bit == 0 && bits != 0) || (bit != 0 && self.force == Some(0));
                if none_mixed {
                    return Err("Cannot combine ForceLanguagePriority options with None".into());
                }
                bits |= bit;
                self.force = Some(bits);
            }
        } else if name.eq_ignore_ascii_case("CacheNegotiatedDocs") {
            self.cache_negotiated_docs =
                Some(args.first().is_some_and(|a| a.eq_ignore_ascii_case("on")));
        }
        Ok(())
    }

    fn merge(parent: &Self, child: &Self) -> Self {
        NegotiationConfig {
            language_priority: child
                .language_priority
                .clone()
                .or_else(|| parent.language_priority.clone()),
            force: child.force.or(parent.force),
            cache_negotiated_docs: child.cache_negotiated_docs.or(parent.cache_negotiated_docs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(c: &mut NegotiationConfig, line: &[&str]) -> Result<(), String> {
        c.set(Scope::Section, line[0], &line[1..])
    }

    #[test]
    fn force_language_priority_values() {
        let mut c = NegotiationConfig::default();
        assert!(c.prefer() && !c.fallback());
        set(&mut c, &["ForceLanguagePriority", "Prefer", "Fallback"]).unwrap();
        assert!(c.prefer() && c.fallback());
        let mut c = NegotiationConfig::default();
        set(&mut c, &["ForceLanguagePriority", "none"]).unwrap();
        assert!(!c.prefer() && !c.fallback());
        assert_eq!(
            set(&mut c, &["ForceLanguagePriority", "Fallback"]).unwrap_err(),
            "Cannot combine ForceLanguagePriority options with None"
        );
        let mut c = NegotiationConfig::default();
        assert_eq!(
            set(&mut c, &["ForceLanguagePriority", "Sometimes"]).unwrap_err(),
            "Invalid ForceLanguagePriority option Sometimes"
        );
    }

    #[test]
    fn a_section_inherits_what_it_does_not_set() {
        let mut server = NegotiationConfig::default();
        set(&mut server, &["LanguagePriority", "en", "DE"]).unwrap();
        set(&mut server, &["LanguagePriority", "fr"]).unwrap();
        let mut section = NegotiationConfig::default();
        set(&mut section, &["ForceLanguagePriority", "Fallback"]).unwrap();
        let m = NegotiationConfig::merge(&server, &section);
        assert_eq!(m.priority(), ["en", "de", "fr"]);
        assert!(m.fallback() && !m.prefer());
        set(&mut section, &["LanguagePriority", "fr"]).unwrap();
        assert_eq!(
            NegotiationConfig::merge(&server, &section).priority(),
            ["fr"]
        );
    }
}
