//! Regular expressions as Apache has them: PCRE2 (the library Apache links), compiled with
//! Apache's default options (`RegexDefaultOptions`: dot matches newline), for the regex
//! sections (`<LocationMatch>`, `<Directory ~>`, …) and the expression language's `=~`.
//! Compiled once, when the configuration is read; a pattern that does not compile is a
//! configuration error in one line.

use std::fmt;

/// A compiled regular expression and the names of its groups.
pub struct Regex {
    compiled: pcre2::bytes::Regex,
    /// Named groups as (group number, name), in pattern order.
    names: Vec<(usize, String)>,
}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Regex({:?})", self.compiled.as_str())
    }
}

/// The groups of one match: number 0 is the whole match; a group that took part in no match
/// is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captures {
    /// Numbered groups, 0 first.
    pub groups: Vec<Option<Vec<u8>>>,
    /// Named groups that matched: (name as written, value).
    pub named: Vec<(String, Vec<u8>)>,
}

impl Regex {
    /// Compiles `pattern`; `caseless` is Apache's `AP_REG_ICASE` (the `i` of `m/…/i`). The
    /// error is PCRE's own message, e.g. `missing closing parenthesis at offset 3`.
    pub fn new(pattern: &str, caseless: bool) -> Result<Regex, String> {
        let compiled = pcre2::bytes::RegexBuilder::new()
            .dotall(true)
            .caseless(caseless)
            .jit_if_available(true)
            .build(pattern)
            .map_err(|e| {
                let text = e.to_string();
                // pcre2's text begins with "PCRE2: error compiling pattern at offset N: why".
                match text.split_once(": error compiling pattern at ") {
                    Some((_, rest)) => match rest.split_once(": ") {
                        Some((offset, why)) => format!("{why} at {offset}"),
                        None => rest.to_owned(),
                    },
                    None => text,
                }
            })?;
        let names = compiled
            .capture_names()
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.clone().map(|n| (i, n)))
            .collect();
        Ok(Regex { compiled, names })
    }

    /// Compiles a section's pattern, with Apache's sentence when it does not compile.
    pub fn for_section(pattern: &str) -> Result<Regex, String> {
        Regex::new(pattern, false)
            .map_err(|e| format!("Regex could not be compiled: {pattern}: {e}"))
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        self.compiled.as_str()
    }

    /// Whether the pattern has named groups (a section's become `MATCH_<NAME>` variables).
    pub fn has_names(&self) -> bool {
        !self.names.is_empty()
    }

    /// Whether `subject` matches (a match limit reached counts as no match, as in Apache).
    pub fn is_match(&self, subject: &[u8]) -> bool {
        self.compiled.is_match(subject).unwrap_or(false)
    }

    /// The groups of the first match in `subject`, or `None` when it does not match.
    pub fn captures(&self, subject: &[u8]) -> Option<Captures> {
        let caps = self.compiled.captures(subject).ok()??;
        let groups = (0..caps.len())
            .map(|i| caps.get(i).map(|m| m.as_bytes().to_vec()))
            .collect();
        let named = self
            .names
            .iter()
            .filter_map(|(i, n)| caps.get(*i).map(|m| (n.clone(), m.as_bytes().to_vec())))
            .collect();
        Some(Captures { groups, named })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcre_syntax_and_apache_defaults() {
        let r = Regex::new(r"^\.ht", false).unwrap();
        assert!(r.is_match(b".htaccess"));
        assert!(!r.is_match(b"x.htaccess"));
        // PCRE-only syntax: lookahead, \d, lazy quantifiers.
        let r = Regex::new(r"^/api/(?!private)\d+?$", false).unwrap();
        assert!(r.is_match(b"/api/12"));
        assert!(!r.is_match(b"/api/private"));
        // Dot matches a newline (Apache's RegexDefaultOptions DOTALL).
        assert!(Regex::new("a.b", false).unwrap().is_match(b"a\nb"));
        assert!(Regex::new("ABC", true).unwrap().is_match(b"xabcx"));
        assert!(!Regex::new("ABC", false).unwrap().is_match(b"xabcx"));
    }

    #[test]
    fn numbered_and_named_captures() {
        let r = Regex::new(r"^/(?<site>[^/]+)/(\d+)(x)?", false).unwrap();
        assert!(r.has_names());
        let c = r.captures(b"/blog/42/rest").unwrap();
        assert_eq!(c.groups[0].as_deref(), Some(&b"/blog/42"[..]));
        assert_eq!(c.groups[1].as_deref(), Some(&b"blog"[..]));
        assert_eq!(c.groups[2].as_deref(), Some(&b"42"[..]));
        assert_eq!(c.groups[3], None);
        assert_eq!(c.named, vec![("site".to_owned(), b"blog".to_vec())]);
        assert_eq!(r.captures(b"nope"), None);
    }

    #[test]
    fn compile_error_is_one_line_with_the_pattern() {
        let e = Regex::for_section("(unclosed").unwrap_err();
        assert!(
            e.starts_with("Regex could not be compiled: (unclosed: "),
            "{e}"
        );
        assert!(e.contains("missing closing parenthesis"), "{e}");
        assert!(!e.contains('\n'));
    }
}
