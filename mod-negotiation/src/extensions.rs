//! What a file name's extensions say about it, for MultiViews: its media type from the
//! `TypesConfig` table (or `/etc/mime.types`, or a small built-in table) and `AddType`, its
//! language from `AddLanguage`, its encoding from `AddEncoding` and its charset from
//! `AddCharset` — the mod_mime lines in effect for the request, read through the configuration
//! query API (mod-static keeps its own parsed copy, which another module cannot see), with
//! `Remove…` lines taking extensions away. Like Apache's default `MultiviewsMatch
//! NegotiatedOnly`, a file with an extension none of these knows is no variant.

use std::collections::HashMap;

/// Used when neither `TypesConfig` nor `/etc/mime.types` can be read.
const BUILTIN_TYPES: &[(&str, &str)] = &[
    ("html", "text/html"),
    ("htm", "text/html"),
    ("txt", "text/plain"),
    ("css", "text/css"),
    ("js", "text/javascript"),
    ("json", "application/json"),
    ("xml", "application/xml"),
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    ("gif", "image/gif"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("svg", "image/svg+xml"),
];

/// The `mime.types` table: extension (lower case) to type.
#[derive(Debug, Default)]
pub struct TypeTable(HashMap<String, String>);

impl TypeTable {
    /// Parses a `mime.types` file: `type ext ext …` lines, `#` comments.
    pub fn parse(text: &str) -> TypeTable {
        let mut map = HashMap::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let mut words = line.split_whitespace();
            let Some(ty) = words.next() else { continue };
            for ext in words {
                map.insert(ext.to_ascii_lowercase(), ty.to_ascii_lowercase());
            }
        }
        TypeTable(map)
    }

    /// The built-in table.
    pub fn builtin() -> TypeTable {
        TypeTable(
            BUILTIN_TYPES
                .iter()
                .map(|(e, t)| ((*e).to_owned(), (*t).to_owned()))
                .collect(),
        )
    }
}

/// The mod_mime lines in effect for one request, by extension (lower case, no dot).
#[derive(Debug, Default)]
pub struct MimeLines {
    types: HashMap<String, String>,
    languages: HashMap<String, String>,
    encodings: HashMap<String, String>,
    charsets: HashMap<String, String>,
}

impl MimeLines {
    /// Applies one line (`AddLanguage en .en`, `RemoveType .x`, …), in the order they apply.
    pub fn apply(&mut self, directive: &str, args: &[&str]) {
        let d = directive.to_ascii_lowercase();
        let table = match d.trim_start_matches("add").trim_start_matches("remove") {
            "type" => &mut self.types,
            "language" => &mut self.languages,
            "encoding" => &mut self.encodings,
            "charset" => &mut self.charsets,
            _ => return,
        };
        let ext = |e: &str| e.trim_start_matches('.').to_ascii_lowercase();
        if d.starts_with("add") {
            let Some((value, exts)) = args.split_first() else {
                return;
            };
            for e in exts {
                table.insert(ext(e), value.to_ascii_lowercase());
            }
        } else {
            for e in args {
                table.remove(&ext(e));
            }
        }
    }
}

/// What a variant's name says about it.
#[derive(Debug, Default, PartialEq)]
pub struct Described {
    pub media: Option<String>,
    pub languages: Vec<String>,
    pub encoding: Option<String>,
    pub charset: Option<String>,
}

/// Describes the extensions after the base name (`["en", "html"]`); `None` when one of them is
/// unknown.
pub fn describe(exts: &[&str], table: &TypeTable, lines: &MimeLines) -> Option<Described> {
    let mut d = Described::default();
    for raw in exts {
        let e = raw.to_ascii_lowercase();
        let mut known = false;
        if let Some(t) = lines.types.get(&e).or_else(|| table.0.get(&e)) {
            d.media = Some(t.clone());
            known = true;
        }
        if let Some(l) = lines.languages.get(&e) {
            if !d.languages.contains(l) {
                d.languages.push(l.clone());
            }
            known = true;
        }
        if let Some(enc) = lines.encodings.get(&e) {
            d.encoding = Some(enc.clone());
            known = true;
        }
        if let Some(c) = lines.charsets.get(&e) {
            d.charset = Some(c.clone());
            known = true;
        }
        if !known {
            return None;
        }
    }
    Some(d)
}

/// The mod_mime directives read for MultiViews.
pub const MIME_DIRECTIVES: &[&str] = &[
    "AddType",
    "AddLanguage",
    "AddEncoding",
    "AddCharset",
    "RemoveType",
    "RemoveLanguage",
    "RemoveEncoding",
    "RemoveCharset",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_by_table_and_lines() {
        let table = TypeTable::parse("# c\ntext/html html htm\ntext/plain\ttxt\n");
        let mut lines = MimeLines::default();
        lines.apply("AddLanguage", &["en", ".en"]);
        lines.apply("AddLanguage", &["de", "de"]);
        lines.apply("AddEncoding", &["x-gzip", ".gz"]);
        lines.apply("AddType", &["text/x-special", ".txt"]);
        lines.apply("AddCharset", &["UTF-8", ".utf8"]);
        lines.apply("RemoveLanguage", &[".de"]);
        let d = describe(&["en", "html", "gz"], &table, &lines).unwrap();
        assert_eq!(d.media.as_deref(), Some("text/html"));
        assert_eq!(d.languages, ["en"]);
        assert_eq!(d.encoding.as_deref(), Some("x-gzip"));
        let d = describe(&["TXT", "utf8"], &table, &lines).unwrap();
        assert_eq!(d.media.as_deref(), Some("text/x-special"));
        assert_eq!(d.charset.as_deref(), Some("utf-8"));
        assert_eq!(describe(&["de", "html"], &table, &lines), None);
        assert_eq!(describe(&["html", "bak"], &table, &lines), None);
    }
}
