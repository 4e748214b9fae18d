//! The type-map (`.var`) file format, as Apache's mod_negotiation reads it: records of
//! `Name: value` header lines separated by blank lines; `URI`, `Content-Type` (with `qs`),
//! `Content-Language` (a list), `Content-Encoding`, `Content-Length`, `Description` and
//! `Body:` (the rest of that line is a boundary; the content runs to its next occurrence).
//! Parenthesised comments are dropped from values, a line starting with white space continues
//! the one before, and only records with a Content-Type (or a body) are variants: the usual
//! first record, `URI: foo`, names the resource itself.

use crate::variant::Variant;

/// The variants of a type map, in file order; `Err` for a `Body:` without its end tag.
pub fn parse(text: &[u8]) -> Result<Vec<Variant>, String> {
    let mut variants = Vec::new();
    let mut current = Record::default();
    let mut lines = Lines { text, at: 0 };
    while let Some(line) = lines.next_line() {
        let line = trim_end(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            current.finish(&mut variants);
            continue;
        }
        let mut header = String::from_utf8_lossy(line).into_owned();
        while lines
            .peek()
            .is_some_and(|l| matches!(l.first(), Some(b' ' | b'\t')))
        {
            let more = lines.next_line().unwrap_or_default();
            header.push(' ');
            header.push_str(String::from_utf8_lossy(trim_end(more)).trim());
        }
        let Some((name, value)) = header.split_once(':') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        if name == "body" {
            let tag = value.trim();
            let (body, rest) = body_until(&text[lines.at..], tag.as_bytes()).ok_or_else(|| {
                format!("Syntax error in type map, no end tag '{tag}' found for Body: content.")
            })?;
            current.variant.length = Some(body.len() as u64);
            current.variant.body = Some(body.to_vec());
            current.has_content = true;
            lines.at = text.len() - rest.len();
            continue;
        }
        let value = strip_comments(value);
        let value = value.trim();
        let v = &mut current.variant;
        match name.as_str() {
            "uri" => v.uri = value.split_whitespace().next().unwrap_or("").to_owned(),
            "content-type" => {
                v.set_content_type(value);
                current.has_content = true;
            }
            "content-language" => {
                v.languages = value
                    .split(',')
                    .map(|l| l.trim().to_ascii_lowercase())
                    .filter(|l| !l.is_empty())
                    .collect();
            }
            "content-encoding" => v.encoding = Some(value.to_ascii_lowercase()),
            "content-length" => v.length = value.parse().ok(),
            "description" => v.description = Some(value.to_owned()),
            _ => {}
        }
    }
    current.finish(&mut variants);
    Ok(variants)
}

struct Record {
    variant: Variant,
    has_content: bool,
}

impl Default for Record {
    fn default() -> Record {
        Record {
            variant: Variant::named(""),
            has_content: false,
        }
    }
}

impl Record {
    fn finish(&mut self, into: &mut Vec<Variant>) {
        let done = std::mem::take(self);
        if done.has_content && (!done.variant.uri.is_empty() || done.variant.body.is_some()) {
            into.push(done.variant);
        }
    }
}

struct Lines<'a> {
    text: &'a [u8],
    at: usize,
}

impl<'a> Lines<'a> {
    fn peek(&self) -> Option<&'a [u8]> {
        let rest = self.text.get(self.at..).filter(|r| !r.is_empty())?;
        Some(rest.split(|&b| b == b'\n').next().unwrap_or(rest))
    }

    fn next_line(&mut self) -> Option<&'a [u8]> {
        let line = self.peek()?;
        self.at = (self.at + line.len() + 1).min(self.text.len());
        Some(line)
    }
}

fn trim_end(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &line[..end]
}

/// The body up to the line-ending before the next `tag`, and what follows the tag's line.
fn body_until<'a>(text: &'a [u8], tag: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    if tag.is_empty() {
        return None;
    }
    let at = text.windows(tag.len()).position(|w| w == tag)?;
    let mut body = &text[..at];
    if let Some(b) = body.strip_suffix(b"\n") {
        body = b.strip_suffix(b"\r").unwrap_or(b);
    }
    let after = &text[at + tag.len()..];
    let rest = after
        .iter()
        .position(|&b| b == b'\n')
        .map_or(&after[after.len()..], |i| &after[i + 1..]);
    Some((body, rest))
}

/// The value without `( … )` comments (outside quotes).
fn strip_comments(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let (mut depth, mut quoted) = (0usize, false);
    for c in value.chars() {
        match c {
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_headers_and_the_self_record() {
        let map = b"URI: foo\n\nURI: foo.en.html\nContent-type: text/html; qs=0.8\n\
            Content-Language: en, EN-gb (British too)\nContent-Length: 12\n\
            Description: English\n  version\n\n\n\
            uri: foo.txt.gz\ncontent-type: text/plain;charset=UTF-8\ncontent-encoding: x-gzip\n";
        let v = parse(map).unwrap();
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!(v[0].uri, "foo.en.html");
        assert_eq!(v[0].media, "text/html");
        assert_eq!(v[0].qs, 0.8);
        assert_eq!(v[0].content_type.as_deref(), Some("text/html"));
        assert_eq!(v[0].languages, ["en", "en-gb"]);
        assert_eq!(v[0].length, Some(12));
        assert_eq!(v[0].description.as_deref(), Some("English version"));
        assert_eq!(v[1].uri, "foo.txt.gz");
        assert_eq!(v[1].qs, 1.0);
        assert_eq!(v[1].charset.as_deref(), Some("utf-8"));
        assert_eq!(v[1].encoding.as_deref(), Some("x-gzip"));
    }

    #[test]
    fn body_runs_to_its_tag() {
        let map = b"Content-Type: text/plain\r\nBody:--x--\r\nline one\r\n--x-- ok\r\n\r\n\
            URI: b.html\r\nContent-Type: text/html\r\n";
        let v = parse(map).unwrap();
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!(v[0].body.as_deref(), Some(&b"line one"[..]));
        assert_eq!(v[0].length, Some(8));
        assert_eq!(v[1].uri, "b.html");
        let err = parse(b"Content-Type: text/plain\nBody:--end--\nno end\n").unwrap_err();
        assert!(err.contains("no end tag '--end--'"), "{err}");
    }
}
