//! Percent-escaping as Apache's mod_rewrite does it: `ap_escape_uri` for redirect URLs and
//! their queries, `escape_backref` for `[B]`, `ap_unescape_url` for `int:unescape`. Apache
//! writes the hex digits in lower case (`%3f`).

const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_escaped(out: &mut String, c: u8) {
    out.push('%');
    out.push(HEX[usize::from(c >> 4)] as char);
    out.push(HEX[usize::from(c & 15)] as char);
}

/// Bytes a path may hold unescaped (Apache's T_OS_ESCAPE_PATH leaves these alone).
fn path_safe(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"$-_.+!*'(),:;@&=/~".contains(&c)
}

/// `ap_escape_uri`: every byte outside a path's safe set as `%xx`.
pub fn escape_uri(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &c in text.as_bytes() {
        if path_safe(c) {
            out.push(c as char);
        } else {
            push_escaped(&mut out, c);
        }
    }
    out
}

/// `escape_backref` for `[B]`: every byte but alphanumerics and `_` (or, with `only`, the
/// bytes listed there) as `%xx`; a space as `+` unless `noplus` (`[BNP]`).
pub fn escape_backref(text: &[u8], only: Option<&str>, noplus: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for &c in text {
        let escape = match only {
            Some(list) => list.as_bytes().contains(&c),
            None => !(c.is_ascii_alphanumeric() || c == b'_'),
        };
        if !escape {
            out.push(c as char);
        } else if c == b' ' && !noplus {
            out.push('+');
        } else {
            push_escaped(&mut out, c);
        }
    }
    out
}

/// `ap_unescape_url`: `%xx` decoded; `None` for a bad escape or one that gives `/` or NUL, as
/// Apache refuses them.
pub fn unescape(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            let v = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            if v == b'/' || v == 0 {
                return None;
            }
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Apache's `escape_absolute_uri`: the path part of `scheme://host/path` escaped, the scheme
/// and host left alone; `skip` is the length of `scheme://`.
pub fn escape_absolute_uri(uri: &str, skip: usize) -> String {
    let Some(rest) = uri.get(skip..) else {
        return uri.to_owned();
    };
    // With an authority (`//`), the host part stays as it is.
    let host_end = if uri[..skip].ends_with('/') {
        match rest.find('/') {
            Some(i) => skip + i + 1,
            None => return uri.to_owned(),
        }
    } else {
        skip
    };
    format!("{}{}", &uri[..host_end], escape_uri(&uri[host_end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_escaping_keeps_path_characters() {
        assert_eq!(escape_uri("/a b/c%d?e#f"), "/a%20b/c%25d%3fe%23f");
        assert_eq!(escape_uri("/$-_.+!*'(),:;@&=~"), "/$-_.+!*'(),:;@&=~");
    }

    #[test]
    fn backrefs_escape_all_but_alphanumerics() {
        assert_eq!(escape_backref(b"a b&c/d", None, false), "a+b%26c%2fd");
        assert_eq!(escape_backref(b"a b", None, true), "a%20b");
        assert_eq!(escape_backref(b"a b&c", Some("&"), false), "a b%26c");
    }

    #[test]
    fn unescaping_refuses_slash_and_bad_escapes() {
        assert_eq!(unescape("a%20b").as_deref(), Some("a b"));
        assert_eq!(unescape("a%2fb"), None);
        assert_eq!(unescape("a%zz"), None);
        assert_eq!(unescape("a%2"), None);
    }

    #[test]
    fn absolute_uris_escape_only_the_path() {
        assert_eq!(
            escape_absolute_uri("http://ex ample/a b", 7),
            "http://ex ample/a%20b"
        );
        assert_eq!(escape_absolute_uri("http://host", 7), "http://host");
        assert_eq!(escape_absolute_uri("mailto:a b", 7), "mailto:a%20b");
    }
}
