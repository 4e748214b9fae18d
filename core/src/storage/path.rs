//! Paths written by people (DocumentRoot, `<Directory>`) and paths asked for by clients, brought
//! to one lexical form before anything compares them: `/srv/www/`, `/srv//www` and `/srv/./www`
//! are the same directory, and a comparison of bytes must not tell them apart.

/// `path` without empty and `.` segments, each `..` taking the segment before it off (never
/// above the start), and without a trailing `/`. An absolute path stays absolute (`/` alone for
/// the root); a relative one stays relative (empty for nothing).
pub fn normalize(path: &[u8]) -> Vec<u8> {
    let absolute = path.starts_with(b"/");
    let mut out: Vec<u8> = Vec::with_capacity(path.len() + 1);
    for segment in path.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                let cut = out.iter().rposition(|&b| b == b'/').unwrap_or(0);
                out.truncate(cut);
            }
            s => {
                if absolute || !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(s);
            }
        }
    }
    if absolute && out.is_empty() {
        out.push(b'/');
    }
    out
}

/// `base` (normalized, absolute) with the relative, normalized `rel` appended.
pub fn join(base: &[u8], rel: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(base.len() + 1 + rel.len());
    out.extend_from_slice(base);
    if !rel.is_empty() {
        if !out.ends_with(b"/") {
            out.push(b'/');
        }
        out.extend_from_slice(rel);
    }
    out
}

/// Whether the normalized path `path` is `dir` or lies under it, component-wise: `/srv/www2` is
/// not under `/srv/www`.
pub fn is_under(path: &[u8], dir: &[u8]) -> bool {
    path.starts_with(dir)
        && (path.len() == dir.len() || dir.ends_with(b"/") || path[dir.len()] == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(p: &str) -> String {
        String::from_utf8(normalize(p.as_bytes())).unwrap()
    }

    #[test]
    fn one_spelling_per_path() {
        for p in [
            "/srv/www",
            "/srv/www/",
            "/srv//www",
            "//srv/www//",
            "/srv/./www/.",
            "/srv/x/../www",
        ] {
            assert_eq!(n(p), "/srv/www", "{p}");
        }
        assert_eq!(n("/"), "/");
        assert_eq!(n("//"), "/");
        assert_eq!(n("/.."), "/");
        assert_eq!(n("/../../etc"), "/etc");
        assert_eq!(n("a//b/"), "a/b");
        assert_eq!(n("../a"), "a");
        assert_eq!(n(""), "");
    }

    #[test]
    fn joining_and_containment() {
        assert_eq!(join(b"/srv/www", b"a/b"), b"/srv/www/a/b");
        assert_eq!(join(b"/srv/www", b""), b"/srv/www");
        assert_eq!(join(b"/", b"etc"), b"/etc");
        assert!(is_under(b"/srv/www", b"/srv/www"));
        assert!(is_under(b"/srv/www/a", b"/srv/www"));
        assert!(!is_under(b"/srv/www2", b"/srv/www"));
        assert!(is_under(b"/anything", b"/"));
    }
}
