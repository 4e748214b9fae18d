//! Regular expressions as Apache has them: PCRE2 (the library Apache links, through
//! `pcre2-sys`), compiled with Apache's options: `RegexDefaultOptions` (dot matches newline, `$`
//! only at the very end, which since 2.4.30 keeps `<FilesMatch "\.php$">` from taking
//! `x.php\n`, CVE-2017-15715) and duplicate group names allowed. Compiled once, when the
//! configuration is read; a pattern that does not compile is a configuration error in one line.

use pcre2_sys as ffi;
use std::fmt;

/// A compiled regular expression and the names of its groups.
pub struct Regex {
    code: std::ptr::NonNull<ffi::pcre2_code_8>,
    pattern: String,
    /// How many groups the pattern has (group 0 not counted).
    groups: usize,
    /// Named groups as (group number, name), in the pattern's name table order.
    names: Vec<(usize, String)>,
}

// SAFETY: compiled PCRE2 code (JIT included) is read-only after compilation and documented
// as usable by several threads at once; each match has its own match data.
unsafe impl Send for Regex {}
// SAFETY: as above.
unsafe impl Sync for Regex {}

impl Drop for Regex {
    fn drop(&mut self) {
        // SAFETY: the code was made by pcre2_compile and is freed once.
        unsafe { ffi::pcre2_code_free_8(self.code.as_ptr()) }
    }
}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Regex({:?})", self.pattern)
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

/// PCRE2's message for an error code.
fn message(code: i32) -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer and its length are valid; PCRE2 writes a NUL-terminated message.
    let n = unsafe { ffi::pcre2_get_error_message_8(code, buf.as_mut_ptr(), buf.len()) };
    if n < 0 {
        return format!("error {code}");
    }
    String::from_utf8_lossy(&buf[..n as usize]).into_owned()
}

impl Regex {
    /// Compiles `pattern`; `caseless` is Apache's `AP_REG_ICASE` (the `i` of `m/…/i`). The
    /// error is PCRE's own message, e.g. `missing closing parenthesis at offset 3`.
    pub fn new(pattern: &str, caseless: bool) -> Result<Regex, String> {
        let mut options = ffi::PCRE2_DOTALL | ffi::PCRE2_DOLLAR_ENDONLY | ffi::PCRE2_DUPNAMES;
        if caseless {
            options |= ffi::PCRE2_CASELESS;
        }
        let mut error = 0;
        let mut offset = 0;
        // SAFETY: the pattern pointer and length describe a live buffer; the out-pointers are
        // valid; a null context means the defaults.
        let code = unsafe {
            ffi::pcre2_compile_8(
                pattern.as_ptr(),
                pattern.len(),
                options,
                &mut error,
                &mut offset,
                std::ptr::null_mut(),
            )
        };
        let Some(code) = std::ptr::NonNull::new(code) else {
            return Err(format!("{} at offset {offset}", message(error)));
        };
        // JIT where the platform has it; without it PCRE2 interprets (same results).
        // SAFETY: valid code.
        unsafe { ffi::pcre2_jit_compile_8(code.as_ptr(), ffi::PCRE2_JIT_COMPLETE) };
        let mut groups = 0u32;
        // SAFETY: valid code; CAPTURECOUNT is a uint32_t.
        unsafe {
            ffi::pcre2_pattern_info_8(
                code.as_ptr(),
                ffi::PCRE2_INFO_CAPTURECOUNT,
                (&mut groups as *mut u32).cast(),
            )
        };
        let mut regex = Regex {
            code,
            pattern: pattern.to_owned(),
            groups: groups as usize,
            names: Vec::new(),
        };
        regex.names = regex.read_names();
        Ok(regex)
    }

    /// The name table: entries of `size` bytes, a big-endian group number then the name.
    fn read_names(&self) -> Vec<(usize, String)> {
        let (mut count, mut size) = (0u32, 0u32);
        let mut table: *const u8 = std::ptr::null();
        // SAFETY: valid code; each out-pointer has the type PCRE2 documents for the item.
        unsafe {
            ffi::pcre2_pattern_info_8(
                self.code.as_ptr(),
                ffi::PCRE2_INFO_NAMECOUNT,
                (&mut count as *mut u32).cast(),
            );
            ffi::pcre2_pattern_info_8(
                self.code.as_ptr(),
                ffi::PCRE2_INFO_NAMEENTRYSIZE,
                (&mut size as *mut u32).cast(),
            );
            ffi::pcre2_pattern_info_8(
                self.code.as_ptr(),
                ffi::PCRE2_INFO_NAMETABLE,
                (&mut table as *mut *const u8).cast(),
            );
        }
        if count == 0 || table.is_null() {
            return Vec::new();
        }
        // SAFETY: the table has `count` entries of `size` bytes and lives with the code.
        let table = unsafe { std::slice::from_raw_parts(table, (count * size) as usize) };
        table
            .chunks(size as usize)
            .map(|entry| {
                let group = usize::from(entry[0]) << 8 | usize::from(entry[1]);
                let name = &entry[2..];
                let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
                (group, String::from_utf8_lossy(name).into_owned())
            })
            .collect()
    }

    /// Compiles a section's pattern, with Apache's sentence when it does not compile.
    pub fn for_section(pattern: &str) -> Result<Regex, String> {
        Regex::new(pattern, false)
            .map_err(|e| format!("Regex could not be compiled: {pattern}: {e}"))
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether the pattern has named groups (a section's become `MATCH_<NAME>` variables).
    pub fn has_names(&self) -> bool {
        !self.names.is_empty()
    }

    /// Runs the pattern on `subject`: the ovector pairs, or `None` for no match (a match
    /// limit reached counts as no match, as in Apache).
    fn run(&self, subject: &[u8]) -> Option<Vec<(usize, usize)>> {
        // SAFETY: valid code; a null context means the default allocator.
        let data = unsafe {
            ffi::pcre2_match_data_create_from_pattern_8(self.code.as_ptr(), std::ptr::null_mut())
        };
        if data.is_null() {
            return None;
        }
        // SAFETY: code, subject and match data are valid for the call.
        let rc = unsafe {
            ffi::pcre2_match_8(
                self.code.as_ptr(),
                subject.as_ptr(),
                subject.len(),
                0,
                0,
                data,
                std::ptr::null_mut(),
            )
        };
        let pairs = (rc > 0).then(|| {
            // SAFETY: after a match the ovector holds `rc` pairs.
            let ov = unsafe {
                std::slice::from_raw_parts(ffi::pcre2_get_ovector_pointer_8(data), 2 * rc as usize)
            };
            ov.chunks(2).map(|p| (p[0], p[1])).collect()
        });
        // SAFETY: made above, freed once.
        unsafe { ffi::pcre2_match_data_free_8(data) };
        pairs
    }

    /// Whether `subject` matches.
    pub fn is_match(&self, subject: &[u8]) -> bool {
        self.run(subject).is_some()
    }

    /// The groups of the first match in `subject`, or `None` when it does not match.
    pub fn captures(&self, subject: &[u8]) -> Option<Captures> {
        let pairs = self.run(subject)?;
        let group = |i: usize| {
            pairs
                .get(i)
                .filter(|(s, _)| *s != ffi::PCRE2_UNSET)
                .map(|&(s, e)| subject[s..e].to_vec())
        };
        // A match reports the pairs up to the last group that took part; the rest are unset.
        let groups = (0..=self.groups).map(group).collect();
        let named = self
            .names
            .iter()
            .filter_map(|(i, n)| group(*i).map(|v| (n.clone(), v)))
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
        // `$` only at the very end (Apache's DOLLAR_ENDONLY since 2.4.30).
        assert!(Regex::new(r"\.php$", false).unwrap().is_match(b"x.php"));
        assert!(!Regex::new(r"\.php$", false).unwrap().is_match(b"x.php\n"));
        // A name used twice (Apache's DUPNAMES).
        assert!(Regex::new("(?<n>a)|(?<n>b)", false).unwrap().is_match(b"b"));
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
