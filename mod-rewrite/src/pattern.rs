//! RewriteRule and RewriteCond regular expressions: PCRE2, the library Apache matches with,
//! compiled as Apache compiles them (dot matches newline, as `RegexDefaultOptions`' DOTALL;
//! `[NC]` caseless), with the JIT where the platform has it.

use crate::template::Backrefs;

/// A compiled pattern.
#[derive(Clone, Debug)]
pub struct Pattern {
    regex: pcre2::bytes::Regex,
}

impl Pattern {
    /// Compiles `text`; `Err` in Apache's words for the directive named.
    pub fn compile(text: &str, nocase: bool, directive: &str) -> Result<Pattern, String> {
        pcre2::bytes::RegexBuilder::new()
            .caseless(nocase)
            .dotall(true)
            .jit_if_available(true)
            .build(text)
            .map(|regex| Pattern { regex })
            .map_err(|e| format!("{directive}: cannot compile regular expression '{text}' ({e})"))
    }

    /// The groups of the first match in `subject`, or `None`. A match that fails to run (the
    /// JIT stack or match limit) counts as no match, as Apache's `ap_regexec` errors do.
    pub fn captures(&self, subject: &str) -> Option<Backrefs> {
        let mut locs = self.regex.capture_locations();
        self.regex
            .captures_read(&mut locs, subject.as_bytes())
            .ok()
            .flatten()?;
        Some(Backrefs {
            source: subject.to_owned(),
            spans: (0..locs.len()).map(|i| locs.get(i)).collect(),
        })
    }

    /// Whether the pattern matches `subject`.
    pub fn is_match(&self, subject: &str) -> bool {
        self.regex.is_match(subject.as_bytes()).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcre_features_and_nocase() {
        let p = Pattern::compile(r"^(?!index\.php)(\w+)/(\1)$", false, "RewriteRule").unwrap();
        let m = p.captures("ab/ab").unwrap();
        assert_eq!((m.group(1), m.group(2)), ("ab", "ab"));
        assert!(p.captures("index.php/x").is_none());
        let p = Pattern::compile("^/A", true, "RewriteRule").unwrap();
        assert!(p.is_match("/abc"));
        let e = Pattern::compile("(", false, "RewriteRule").unwrap_err();
        assert!(
            e.starts_with("RewriteRule: cannot compile regular expression '('"),
            "{e}"
        );
    }
}
