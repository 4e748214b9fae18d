//! Content-Type: `AddType` (later lines win) → the `TypesConfig` table (a mime.types file) → the
//! built-in table when no types file is in use → `application/octet-stream`; then
//! `AddDefaultCharset` for text/plain and text/html.
//!
//! Only the last extension of the file name counts (`a.html.bak` is not HTML), as in nginx:
//! Apache's mod_mime looks at every extension, which serves `upload.php.txt`-style names with the
//! type of an inner extension. Extensions compare case-insensitively.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

/// The type of a file whose name tells nothing (Apache sends none; an explicit one is better).
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";
/// The types file used when the configuration names none, if it exists (Debian's, Apache's).
pub const SYSTEM_TYPES_FILE: &str = "/etc/mime.types";

/// Extension → type, from a mime.types file, or the built-in table.
#[derive(Debug)]
pub enum TypeTable {
    /// mime_guess's table, compiled in.
    Builtin,
    /// A parsed types file (keys lower-case, without the dot).
    File(HashMap<String, String>),
}

impl TypeTable {
    /// Parses the text of a mime.types file: `type ext ext…` per line, `#` comment lines. A later
    /// line naming an extension again wins (as in Apache).
    pub fn parse(text: &str) -> TypeTable {
        let mut map = HashMap::new();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            let mut words = line.split_ascii_whitespace();
            let Some(ty) = words.next() else { continue };
            for ext in words {
                map.insert(normal_ext(ext), ty.to_owned());
            }
        }
        TypeTable::File(map)
    }

    /// The type this table gives `ext` (lower-case, no dot).
    fn lookup(&self, ext: &str) -> Option<&str> {
        match self {
            TypeTable::Builtin => mime_guess::from_ext(ext).first_raw(),
            TypeTable::File(map) => map.get(ext).map(String::as_str),
        }
    }
}

/// An extension as written in a types file or `AddType`: lower-case, a leading dot dropped.
fn normal_ext(ext: &str) -> String {
    ext.strip_prefix('.').unwrap_or(ext).to_ascii_lowercase()
}

/// One `AddType` line, checked and normalized when the configuration was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddType {
    /// The type, lower-cased as Apache does.
    pub media_type: String,
    /// The extensions: lower-case, without a leading dot.
    pub extensions: Vec<String>,
}

impl AddType {
    /// Parses one line's arguments.
    pub fn parse(args: &[&str]) -> Result<AddType, String> {
        check_add_type(args)?;
        Ok(AddType {
            media_type: args[0].to_ascii_lowercase(),
            extensions: args[1..].iter().map(|e| normal_ext(e)).collect(),
        })
    }
}

/// Checks one `AddType` line: a type, then at least one extension.
pub fn check_add_type(args: &[&str]) -> Result<(), String> {
    match args {
        [] | [_] => Err(
            "AddType requires at least two arguments, a mime type followed by one or more file extensions"
                .to_owned(),
        ),
        [ty, ..] if !is_media_type(ty) => Err(format!(
            "AddType: '{ty}' is not a media type (type/subtype)"
        )),
        _ => Ok(()),
    }
}

/// `type/subtype`, optionally with parameters, and nothing a header value cannot carry.
fn is_media_type(ty: &str) -> bool {
    let essence = ty.split(';').next().unwrap_or("").trim();
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    essence
        .split_once('/')
        .is_some_and(|(t, s)| token(t) && token(s))
        && !ty.bytes().any(|b| b.is_ascii_control())
}

/// The type of `path`: the last `AddType` naming its extension (`add_types`, least specific
/// first), else `table`'s, else `application/octet-stream`.
pub fn content_type<'t>(
    table: &'t TypeTable,
    add_types: &'t [AddType],
    path: &Path,
) -> Cow<'t, str> {
    let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
        return Cow::Borrowed(DEFAULT_CONTENT_TYPE);
    };
    // Lower-cased on the stack for the usual short extension: this runs per request.
    let mut stack = [0u8; 16];
    let lowered;
    let ext: &str = if ext.len() <= stack.len() {
        stack[..ext.len()].copy_from_slice(ext.as_bytes());
        stack[..ext.len()].make_ascii_lowercase();
        // ASCII case changes keep UTF-8 valid.
        std::str::from_utf8(&stack[..ext.len()]).unwrap_or(ext)
    } else {
        lowered = ext.to_ascii_lowercase();
        &lowered
    };
    let added = add_types
        .iter()
        .rev()
        .find(|a| a.extensions.iter().any(|e| e == ext));
    match added {
        Some(a) => Cow::Borrowed(&a.media_type),
        None => Cow::Borrowed(table.lookup(ext).unwrap_or(DEFAULT_CONTENT_TYPE)),
    }
}

/// `AddDefaultCharset`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefaultCharset {
    /// `Off` (the default): types go out as they are.
    Off,
    /// `On` or a charset name: appended to text/plain and text/html without one.
    Charset(String),
}

impl DefaultCharset {
    /// Parses the argument. `On` means UTF-8 here, where Apache's means ISO-8859-1: today's text
    /// is UTF-8, and the charset name is always there to say otherwise.
    pub fn parse(arg: &str) -> Result<DefaultCharset, String> {
        if arg.eq_ignore_ascii_case("off") {
            Ok(DefaultCharset::Off)
        } else if arg.eq_ignore_ascii_case("on") {
            Ok(DefaultCharset::Charset("UTF-8".to_owned()))
        } else if !arg.is_empty()
            && arg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'+-^_`{}~.".contains(&b))
        {
            Ok(DefaultCharset::Charset(arg.to_owned()))
        } else {
            Err(format!(
                "AddDefaultCharset takes On, Off or a charset name, not '{arg}'"
            ))
        }
    }

    /// `ty` with `; charset=…` appended when it is text/plain or text/html without a charset.
    pub fn apply<'t>(&self, ty: Cow<'t, str>) -> Cow<'t, str> {
        let DefaultCharset::Charset(charset) = self else {
            return ty;
        };
        let mut parts = ty.split(';');
        let essence = parts.next().unwrap_or("").trim();
        let is_text =
            essence.eq_ignore_ascii_case("text/plain") || essence.eq_ignore_ascii_case("text/html");
        let has_charset = parts.any(|p| {
            p.trim()
                .get(..8)
                .is_some_and(|n| n.eq_ignore_ascii_case("charset="))
        });
        if is_text && !has_charset {
            Cow::Owned(format!("{ty}; charset={charset}"))
        } else {
            ty
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::path::PathBuf;

    fn ty(table: &TypeTable, add: &[Vec<&str>], p: &str) -> String {
        // As the configuration reader keeps them: lines that do not check out were refused.
        let add: Vec<AddType> = add.iter().filter_map(|a| AddType::parse(a).ok()).collect();
        content_type(table, &add, Path::new(p)).into_owned()
    }

    #[test]
    fn builtin_table() {
        let t = TypeTable::Builtin;
        assert_eq!(ty(&t, &[], "/w/index.html"), "text/html");
        assert_eq!(ty(&t, &[], "/w/INDEX.HTML"), "text/html");
        assert_eq!(ty(&t, &[], "/w/a.txt"), "text/plain");
        assert_eq!(ty(&t, &[], "/w/s.css"), "text/css");
        assert_eq!(ty(&t, &[], "/w/i.png"), "image/png");
        assert_eq!(ty(&t, &[], "/w/data.json"), "application/json");
        assert_eq!(ty(&t, &[], "/w/blob.unknownext"), DEFAULT_CONTENT_TYPE);
        assert_eq!(ty(&t, &[], "/w/README"), DEFAULT_CONTENT_TYPE);
        assert_eq!(ty(&t, &[], "/w/.bashrc"), DEFAULT_CONTENT_TYPE);
        let odd = PathBuf::from(OsStr::from_bytes(b"/w/f.\xff"));
        assert_eq!(content_type(&t, &[], &odd), DEFAULT_CONTENT_TYPE);
    }

    #[test]
    fn mime_types_files() {
        let t = TypeTable::parse(
            "# comment line\n\
             \n\
             text/html\t\thtml htm\n\
             application/x-thing   THING .thg  \n\
             application/no-extensions\n\
               # indented comment text/bogus bog\n\
             text/x-later html\n",
        );
        assert_eq!(ty(&t, &[], "/a.htm"), "text/html");
        assert_eq!(ty(&t, &[], "/a.thing"), "application/x-thing");
        assert_eq!(ty(&t, &[], "/a.THG"), "application/x-thing");
        assert_eq!(ty(&t, &[], "/a.bog"), DEFAULT_CONTENT_TYPE);
        // A later line wins.
        assert_eq!(ty(&t, &[], "/a.html"), "text/x-later");
        // A types file replaces the built-in table entirely.
        assert_eq!(ty(&t, &[], "/a.png"), DEFAULT_CONTENT_TYPE);
        // Only the last extension counts.
        assert_eq!(ty(&t, &[], "/a.htm.bak"), DEFAULT_CONTENT_TYPE);
        assert_eq!(
            ty(&TypeTable::parse(""), &[], "/a.html"),
            DEFAULT_CONTENT_TYPE
        );
    }

    #[test]
    fn the_system_file_parses_when_present() {
        if let Ok(text) = std::fs::read_to_string(SYSTEM_TYPES_FILE) {
            let t = TypeTable::parse(&text);
            assert_eq!(ty(&t, &[], "/a.html"), "text/html");
            assert_eq!(ty(&t, &[], "/a.css"), "text/css");
        }
    }

    #[test]
    fn add_type_comes_first_and_later_lines_win() {
        let t = TypeTable::Builtin;
        let add = vec![
            vec!["text/x-one", "foo", ".BAR"],
            vec!["Text/X-Two", "bar"],
            vec!["text/x-ignored"],
            vec!["application/x-html-override", "html"],
        ];
        assert_eq!(ty(&t, &add, "/a.foo"), "text/x-one");
        assert_eq!(ty(&t, &add, "/a.bar"), "text/x-two");
        assert_eq!(ty(&t, &add, "/a.BaR"), "text/x-two");
        assert_eq!(ty(&t, &add, "/a.html"), "application/x-html-override");
        assert_eq!(ty(&t, &add, "/a.txt"), "text/plain");
    }

    #[test]
    fn add_type_checks() {
        assert!(check_add_type(&["text/plain", "txt"]).is_ok());
        assert!(check_add_type(&["text/html; charset=UTF-8", ".html", "htm"]).is_ok());
        assert_eq!(
            check_add_type(&["text/plain"]).unwrap_err(),
            "AddType requires at least two arguments, a mime type followed by one or more file extensions"
        );
        assert!(check_add_type(&["txt", "text/plain"]).is_err());
        assert!(check_add_type(&["text/", "x"]).is_err());
        assert!(check_add_type(&["text/pl\x01ain", "x"]).is_err());
    }

    #[test]
    fn default_charset() {
        let off = DefaultCharset::parse("Off").unwrap();
        assert_eq!(off, DefaultCharset::Off);
        assert_eq!(off.apply("text/html".into()), "text/html");
        let on = DefaultCharset::parse("on").unwrap();
        assert_eq!(on.apply("text/html".into()), "text/html; charset=UTF-8");
        assert_eq!(on.apply("text/plain".into()), "text/plain; charset=UTF-8");
        assert_eq!(on.apply("Text/HTML".into()), "Text/HTML; charset=UTF-8");
        assert_eq!(on.apply("text/css".into()), "text/css");
        assert_eq!(on.apply("image/png".into()), "image/png");
        assert_eq!(
            on.apply("text/html; charset=koi8-r".into()),
            "text/html; charset=koi8-r"
        );
        let latin = DefaultCharset::parse("ISO-8859-1").unwrap();
        assert_eq!(
            latin.apply("text/plain".into()),
            "text/plain; charset=ISO-8859-1"
        );
        assert!(DefaultCharset::parse("utf 8").is_err());
        assert!(DefaultCharset::parse("x;y").is_err());
        assert!(DefaultCharset::parse("").is_err());
    }
}
