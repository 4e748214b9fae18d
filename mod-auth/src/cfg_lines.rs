//! How Apache reads its password and group files (`ap_cfg_getline`, `ap_getword`,
//! `ap_getword_conf`): lines trimmed of surrounding blanks, a backslash at the end joining the
//! next line, blank lines and `#` comments skipped.

/// The lines that carry something, trimmed, continuations joined.
pub fn lines(text: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    for raw in text.split(|&b| b == b'\n') {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        current.extend_from_slice(raw);
        // `a\` continues; `a\\` is a backslash.
        if current.ends_with(b"\\") && !current.ends_with(b"\\\\") {
            current.pop();
            continue;
        }
        let line = trim(&current);
        if !line.is_empty() && line[0] != b'#' {
            out.push(line.to_vec());
        }
        current.clear();
    }
    let line = trim(&current);
    if !line.is_empty() && line[0] != b'#' {
        out.push(line.to_vec());
    }
    out
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &s[start..end.max(start)]
}

/// `ap_getword(line, stop)`: the text before the first `stop`, and what follows the run of
/// `stop`s after it.
pub fn word(line: &[u8], stop: u8) -> (&[u8], &[u8]) {
    let end = line.iter().position(|&b| b == stop).unwrap_or(line.len());
    let mut rest = &line[end..];
    while rest.first() == Some(&stop) {
        rest = &rest[1..];
    }
    (&line[..end], rest)
}

/// `ap_getword_conf`: blank-separated words, `"…"` or `'…'` quoted with `\` escaping the quote.
pub fn conf_words(mut line: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        while line.first().is_some_and(u8::is_ascii_whitespace) {
            line = &line[1..];
        }
        let Some(&first) = line.first() else {
            return out;
        };
        let mut w = Vec::new();
        if first == b'"' || first == b'\'' {
            let mut i = 1;
            while i < line.len() && line[i] != first {
                if line[i] == b'\\' && line.get(i + 1) == Some(&first) {
                    i += 1;
                }
                w.push(line[i]);
                i += 1;
            }
            line = line.get(i + 1..).unwrap_or(&[]);
        } else {
            let end = line
                .iter()
                .position(u8::is_ascii_whitespace)
                .unwrap_or(line.len());
            w.extend_from_slice(&line[..end]);
            line = &line[end..];
        }
        out.push(w);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_blanks_and_surrounding_space_go() {
        let text = b"# users\n\n  alice:x  \r\n\t# indented comment\nbob:y";
        assert_eq!(lines(text), vec![b"alice:x".to_vec(), b"bob:y".to_vec()]);
    }

    #[test]
    fn a_trailing_backslash_joins_lines() {
        assert_eq!(lines(b"g: a \\\n b\n"), vec![b"g: a  b".to_vec()]);
        assert_eq!(lines(b"x\\\\\ny\n"), vec![b"x\\\\".to_vec(), b"y".to_vec()]);
    }

    #[test]
    fn getword_skips_the_run_of_stops() {
        assert_eq!(
            word(b"alice:hash:extra", b':'),
            (&b"alice"[..], &b"hash:extra"[..])
        );
        assert_eq!(word(b"alice::hash", b':'), (&b"alice"[..], &b"hash"[..]));
        assert_eq!(word(b"alice", b':'), (&b"alice"[..], &b""[..]));
    }

    #[test]
    fn conf_words_split_on_blanks_and_honour_quotes() {
        assert_eq!(
            conf_words(b"  alice  \"b o\\\"b\" 'c d' e"),
            vec![
                b"alice".to_vec(),
                b"b o\"b".to_vec(),
                b"c d".to_vec(),
                b"e".to_vec()
            ]
        );
        assert!(conf_words(b"   ").is_empty());
    }
}
