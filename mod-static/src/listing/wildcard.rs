//! The two wildcard matchers mod_autoindex uses: `ap_strcmp_match` (`*` and `?`, for icons,
//! alternative texts and `IndexIgnore`) and `apr_fnmatch` (also `[…]` classes, for
//! `AddDescription`).

/// `ap_strcmp_match`: `*` any run, `?` one byte; optionally without ASCII case.
pub fn simple(text: &[u8], pattern: &[u8], no_case: bool) -> bool {
    matches(text, pattern, no_case, false, false)
}

/// `apr_fnmatch` without flags: `*`, `?`, `[…]` (ranges, `!` or `^` to negate), `\` escapes.
pub fn fnmatch(text: &[u8], pattern: &[u8]) -> bool {
    matches(text, pattern, false, true, true)
}

/// `apr_fnmatch` with `APR_FNM_NOESCAPE | APR_FNM_PERIOD` (the `P=` query argument): `\` is
/// itself, and a leading `.` must be matched by a `.`.
pub fn fnmatch_names(text: &[u8], pattern: &[u8]) -> bool {
    if text.first() == Some(&b'.') && pattern.first() != Some(&b'.') {
        return false;
    }
    matches(text, pattern, false, true, false)
}

fn matches(text: &[u8], pattern: &[u8], no_case: bool, classes: bool, escapes: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if no_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    // Iterative with one backtrack point for the last `*`: linear enough for file names.
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        let step = match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some(b'?') => Some(1),
            Some(b'[') if classes => class(&pattern[p..], text[t]),
            Some(b'\\') if escapes && p + 1 < pattern.len() => {
                eq(pattern[p + 1], text[t]).then_some(2)
            }
            Some(&c) => eq(c, text[t]).then_some(1),
            None => None,
        };
        match step {
            Some(len) => {
                p += len;
                t += 1;
            }
            None => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Whether `c` is in the class at the start of `pattern` (`[…]`): the class's length when it
/// is, `None` when not (or when the class is not closed: then `[` is taken literally).
fn class(pattern: &[u8], c: u8) -> Option<usize> {
    let mut i = 1;
    let negate = matches!(pattern.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut found = false;
    let mut first = true;
    while let Some(&b) = pattern.get(i) {
        if b == b']' && !first {
            return (found != negate).then_some(i + 1);
        }
        first = false;
        if pattern.get(i + 1) == Some(&b'-') && pattern.get(i + 2).is_some_and(|&e| e != b']') {
            found |= (b..=pattern[i + 2]).contains(&c);
            i += 3;
        } else {
            found |= b == c;
            i += 1;
        }
    }
    (c == b'[').then_some(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_ignore_patterns() {
        let ignored = |name: &str| {
            [".??*", "*~", "*#", "RCS", "CVS", "*,v", "*,t"]
                .iter()
                .any(|p| simple(name.as_bytes(), p.as_bytes(), false))
        };
        for name in [".hidden", ".ab", "x~", "#a#", "RCS", "CVS", "f,v", "f,t"] {
            assert!(ignored(name), "{name}");
        }
        for name in [".a", "a.txt", "cvs", "RCS2", "a~b"] {
            assert!(!ignored(name), "{name}");
        }
    }

    #[test]
    fn stars_questions_and_case() {
        assert!(simple(b"/w/a.TXT", b"*.TXT", false));
        assert!(!simple(b"/w/a.txt", b"*.TXT", false));
        assert!(simple(b"TEXT/plain", b"text/*", true));
        assert!(simple(b"abcabd", b"*ab?", false));
        assert!(!simple(b"abc", b"a?", false));
        assert!(simple(b"", b"*", false));
    }

    #[test]
    fn fnmatch_classes() {
        assert!(fnmatch(b"file1.txt", b"*[0-9].txt*"));
        assert!(!fnmatch(b"filex.txt", b"*[0-9].txt*"));
        assert!(fnmatch(b"filex.txt", b"*[!0-9].txt*"));
        assert!(fnmatch(b"a[b", b"a[b"));
        assert!(fnmatch(b"a*b", b"a\\*b"));
        assert!(!fnmatch(b"axb", b"a\\*b"));
        assert!(fnmatch_names(b"sub-a", b"s*"));
        assert!(!fnmatch_names(b".hidden", b"*"));
        assert!(fnmatch_names(b".hidden", b".*"));
        assert!(fnmatch_names(b"a\\b", b"a\\b"));
    }
}
