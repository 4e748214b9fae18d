//! mod_mime's metadata for a file, by its extensions, with Apache's meaning: every extension
//! after the base name counts, left to right (`a.en.html` is HTML in English, `b.tar.gz` is
//! `application/x-gzip` with `Content-Encoding: x-gzip`, `c.html.bak` takes the type `.bak`
//! has, or HTML's when `.bak` has none). For each extension: a type from `AddType`, else from
//! the `TypesConfig` table (unless `RemoveType` took it away); a charset (`AddCharset`, the last
//! wins); a language (`AddLanguage`) and an encoding (`AddEncoding`), which accumulate. Then
//! `ForceType` replaces the type, `DefaultLanguage` fills in a missing language, and
//! `AddDefaultCharset` adds a charset to text/plain and text/html that carry none.
//! Extensions compare case-insensitively; values are lower-cased, as Apache does.

use std::borrow::Cow;
use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
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

/// The four things mod_mime maps an extension to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attribute {
    /// `AddType` / `RemoveType`
    Type,
    /// `AddLanguage` / `RemoveLanguage`
    Language,
    /// `AddCharset` / `RemoveCharset`
    Charset,
    /// `AddEncoding` / `RemoveEncoding`
    Encoding,
}

impl Attribute {
    /// The attribute an `Add…` directive sets, with Apache's description of its value.
    pub fn of_add(name: &str) -> Option<(Attribute, &'static str)> {
        let table = [
            ("AddType", Attribute::Type, "a mime type"),
            ("AddLanguage", Attribute::Language, "a language (e.g., fr),"),
            (
                "AddCharset",
                Attribute::Charset,
                "a charset (e.g., iso-2022-jp),",
            ),
            (
                "AddEncoding",
                Attribute::Encoding,
                "an encoding (e.g., gzip),",
            ),
        ];
        table
            .into_iter()
            .find(|(n, ..)| n.eq_ignore_ascii_case(name))
            .map(|(_, a, what)| (a, what))
    }

    /// The attribute a `Remove…` directive takes away.
    pub fn of_remove(name: &str) -> Option<Attribute> {
        let table = [
            ("RemoveType", Attribute::Type),
            ("RemoveLanguage", Attribute::Language),
            ("RemoveCharset", Attribute::Charset),
            ("RemoveEncoding", Attribute::Encoding),
        ];
        table
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, a)| a)
    }
}

/// What a scope says about one attribute of one extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mapping {
    /// `Add…`: this value.
    Set(String),
    /// `Remove…`: none (for the type, not even the types file's).
    Removed,
}

/// What the configuration says about one extension; `None` where no line of the scopes so far
/// spoke of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtensionInfo {
    pub media_type: Option<Mapping>,
    pub language: Option<Mapping>,
    pub charset: Option<Mapping>,
    pub encoding: Option<Mapping>,
}

impl ExtensionInfo {
    fn slot(&mut self, attr: Attribute) -> &mut Option<Mapping> {
        match attr {
            Attribute::Type => &mut self.media_type,
            Attribute::Language => &mut self.language,
            Attribute::Charset => &mut self.charset,
            Attribute::Encoding => &mut self.encoding,
        }
    }

    fn set(mapping: &Option<Mapping>) -> Option<&str> {
        match mapping {
            Some(Mapping::Set(v)) => Some(v),
            _ => None,
        }
    }
}

/// The `Add…`/`Remove…` lines of a scope, by extension (lower-case, no dot), applied in file
/// order; a section's map is laid over its parent's when the core merges them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtensionMap(HashMap<String, ExtensionInfo>);

impl ExtensionMap {
    /// Applies one `Add…` line's arguments (`value ext…`). `what` describes the value in
    /// Apache's error sentence.
    pub fn add(
        &mut self,
        name: &str,
        attr: Attribute,
        what: &str,
        args: &[&str],
    ) -> Result<(), String> {
        let [value, exts @ ..] = args else {
            return Err(at_least_two(name, what));
        };
        if exts.is_empty() {
            return Err(at_least_two(name, what));
        }
        if attr == Attribute::Type && !is_media_type(value) {
            return Err(format!(
                "{name}: '{value}' is not a media type (type/subtype)"
            ));
        }
        if attr != Attribute::Type && !is_token(value) {
            return Err(format!(
                "{name}: '{value}' is not a valid {}",
                attr_noun(attr)
            ));
        }
        let value = value.to_ascii_lowercase();
        for ext in exts {
            *self.0.entry(normal_ext(ext)).or_default().slot(attr) =
                Some(Mapping::Set(value.clone()));
        }
        Ok(())
    }

    /// Applies one `Remove…` line's extensions.
    pub fn remove(&mut self, attr: Attribute, exts: &[&str]) {
        for ext in exts {
            *self.0.entry(normal_ext(ext)).or_default().slot(attr) = Some(Mapping::Removed);
        }
    }

    /// `child` laid over `parent`: what the child says of an attribute wins.
    pub fn overlay(parent: &Self, child: &Self) -> Self {
        let mut merged = parent.clone();
        for (ext, info) in &child.0 {
            let into = merged.0.entry(ext.clone()).or_default();
            for attr in [
                Attribute::Type,
                Attribute::Language,
                Attribute::Charset,
                Attribute::Encoding,
            ] {
                let mut info = info.clone();
                if let Some(m) = info.slot(attr).take() {
                    *into.slot(attr) = Some(m);
                }
            }
        }
        merged
    }

    fn get(&self, ext: &str) -> Option<&ExtensionInfo> {
        if self.0.is_empty() {
            return None;
        }
        self.0.get(ext)
    }
}

fn attr_noun(attr: Attribute) -> &'static str {
    match attr {
        Attribute::Type => "media type",
        Attribute::Language => "language tag",
        Attribute::Charset => "charset name",
        Attribute::Encoding => "content coding",
    }
}

/// Apache's sentence for an `ITERATE2` directive with fewer than two arguments.
fn at_least_two(name: &str, what: &str) -> String {
    format!(
        "{name} requires at least two arguments, {what} followed by one or more file extensions"
    )
}

/// An HTTP token (RFC 9110 5.6.2): what a language tag, charset or coding is made of.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// `type/subtype`, optionally with parameters, and nothing a header value cannot carry.
pub fn is_media_type(ty: &str) -> bool {
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

/// A file's metadata, as mod_mime finds it from the name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata<'t> {
    /// The type, with the charset an extension gave as parameter; `None`: nothing said.
    pub content_type: Option<Cow<'t, str>>,
    /// `Content-Language` values, in extension order.
    pub languages: Vec<&'t str>,
    /// `Content-Encoding` codings, in extension order (the first applied first).
    pub encodings: Vec<&'t str>,
}

/// The extensions of the last component of `path` as Apache's mod_mime sees them: the base
/// name (leading dots included, so `.png` is a hidden file, not a PNG) is not one; empty
/// ones (`a..html`) are skipped.
pub fn extensions(path: &Path) -> impl Iterator<Item = &[u8]> {
    let name = path.file_name().map(|n| n.as_bytes()).unwrap_or_default();
    let start = name.iter().position(|&b| b != b'.').unwrap_or(name.len());
    let rest = match name[start..].iter().position(|&b| b == b'.') {
        Some(dot) => &name[start + dot + 1..],
        None => &[][..],
    };
    rest.split(|&b| b == b'.').filter(|e| !e.is_empty())
}

/// The metadata of `path` from its extensions: [`ExtensionMap`] (`map`, already merged for the
/// request) first, the types `table` where the map says nothing of an extension's type.
pub fn metadata<'t>(table: &'t TypeTable, map: &'t ExtensionMap, path: &Path) -> Metadata<'t> {
    let mut meta = Metadata::default();
    let mut charset: Option<&'t str> = None;
    let mut media_type: Option<&'t str> = None;
    for ext in extensions(path) {
        let Ok(ext) = std::str::from_utf8(ext) else {
            continue;
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
        let info = map.get(ext);
        match info.and_then(|i| i.media_type.as_ref()) {
            Some(Mapping::Set(t)) => media_type = Some(t),
            Some(Mapping::Removed) => {}
            None => {
                if let Some(t) = table.lookup(ext) {
                    media_type = Some(t);
                }
            }
        }
        let Some(info) = info else { continue };
        if let Some(c) = ExtensionInfo::set(&info.charset) {
            charset = Some(c);
        }
        if let Some(l) = ExtensionInfo::set(&info.language) {
            meta.languages.push(l);
        }
        if let Some(e) = ExtensionInfo::set(&info.encoding) {
            meta.encodings.push(e);
        }
    }
    meta.content_type = media_type.map(|t| match charset {
        Some(c) if !has_charset(t) => Cow::Owned(format!("{t}; charset={c}")),
        _ => Cow::Borrowed(t),
    });
    meta
}

/// Whether a media type carries a `charset` parameter.
fn has_charset(ty: &str) -> bool {
    ty.split(';').skip(1).any(|p| {
        p.trim()
            .get(..8)
            .is_some_and(|n| n.eq_ignore_ascii_case("charset="))
    })
}

/// `ForceType`: the type every file of the section gets, or `None` to cancel an outer one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ForcedType {
    /// `ForceType type`
    Type(String),
    /// `ForceType None`
    Cancelled,
}

impl ForcedType {
    /// Parses the argument.
    pub fn parse(arg: &str) -> Result<ForcedType, String> {
        if arg.eq_ignore_ascii_case("none") {
            Ok(ForcedType::Cancelled)
        } else if is_media_type(arg) {
            Ok(ForcedType::Type(arg.to_ascii_lowercase()))
        } else {
            Err(format!(
                "ForceType: '{arg}' is not a media type (type/subtype)"
            ))
        }
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
        let essence = ty.split(';').next().unwrap_or("").trim();
        let is_text =
            essence.eq_ignore_ascii_case("text/plain") || essence.eq_ignore_ascii_case("text/html");
        if is_text && !has_charset(&ty) {
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
    use std::path::PathBuf;

    fn check_add_type(args: &[&str]) -> Result<(), String> {
        ExtensionMap::default().add("AddType", Attribute::Type, "a mime type", args)
    }

    /// The map the lines make, each `[directive, args…]`, in one scope.
    fn map(lines: &[&[&str]]) -> ExtensionMap {
        let mut m = ExtensionMap::default();
        for line in lines {
            let (name, args) = (line[0], &line[1..]);
            if let Some((attr, what)) = Attribute::of_add(name) {
                m.add(name, attr, what, args).unwrap();
            } else {
                m.remove(Attribute::of_remove(name).unwrap(), args);
            }
        }
        m
    }

    fn ty(table: &TypeTable, m: &ExtensionMap, p: &str) -> Option<String> {
        metadata(table, m, Path::new(p))
            .content_type
            .map(Cow::into_owned)
    }

    #[test]
    fn builtin_table() {
        let t = TypeTable::Builtin;
        let m = ExtensionMap::default();
        assert_eq!(ty(&t, &m, "/w/index.html").as_deref(), Some("text/html"));
        assert_eq!(ty(&t, &m, "/w/INDEX.HTML").as_deref(), Some("text/html"));
        assert_eq!(ty(&t, &m, "/w/a.txt").as_deref(), Some("text/plain"));
        assert_eq!(ty(&t, &m, "/w/i.png").as_deref(), Some("image/png"));
        assert_eq!(ty(&t, &m, "/w/blob.unknownext"), None);
        assert_eq!(ty(&t, &m, "/w/README"), None);
        // Leading dots belong to the base name: a hidden file, not a PNG.
        assert_eq!(ty(&t, &m, "/w/.png"), None);
        assert_eq!(ty(&t, &m, "/w/.x.png").as_deref(), Some("image/png"));
        let odd = PathBuf::from(OsStr::from_bytes(b"/w/f.\xff"));
        assert_eq!(metadata(&t, &m, &odd).content_type, None);
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
        let m = ExtensionMap::default();
        assert_eq!(ty(&t, &m, "/a.htm").as_deref(), Some("text/html"));
        assert_eq!(ty(&t, &m, "/a.THG").as_deref(), Some("application/x-thing"));
        assert_eq!(ty(&t, &m, "/a.bog"), None);
        // A later line wins.
        assert_eq!(ty(&t, &m, "/a.html").as_deref(), Some("text/x-later"));
        // A types file replaces the built-in table entirely.
        assert_eq!(ty(&t, &m, "/a.png"), None);
        assert_eq!(ty(&TypeTable::parse(""), &m, "/a.html"), None);
    }

    #[test]
    fn the_system_file_parses_when_present() {
        if let Ok(text) = std::fs::read_to_string(SYSTEM_TYPES_FILE) {
            let t = TypeTable::parse(&text);
            let m = ExtensionMap::default();
            assert_eq!(ty(&t, &m, "/a.html").as_deref(), Some("text/html"));
            assert_eq!(ty(&t, &m, "/a.css").as_deref(), Some("text/css"));
        }
    }

    #[test]
    fn every_extension_counts_as_in_apache() {
        let t = TypeTable::parse("text/html html\napplication/x-trash bak\napplication/gzip gz\n");
        let m = map(&[
            &["AddType", "application/x-gzip", ".gz", ".tgz"],
            &["AddLanguage", "en", ".en"],
            &["AddLanguage", "fr", ".fr"],
            &["AddLanguage", "pt-BR", ".pt-br"],
            &["AddCharset", "ISO-8859-1", ".latin1"],
            &["AddCharset", "UTF-8", ".utf8"],
            &["AddEncoding", "x-gzip", ".gz"],
            &["AddEncoding", "X-Compress", ".Z"],
        ]);
        let meta = |p: &str| metadata(&t, &m, Path::new(p));
        let a = meta("/a.en.html");
        assert_eq!(a.content_type.as_deref(), Some("text/html"));
        assert_eq!(a.languages, ["en"]);
        let b = meta("/b.tar.gz");
        assert_eq!(b.content_type.as_deref(), Some("application/x-gzip"));
        assert_eq!(b.encodings, ["x-gzip"]);
        // The last extension with a type wins; one without a type leaves it.
        assert_eq!(
            ty(&t, &m, "/c.html.bak").as_deref(),
            Some("application/x-trash")
        );
        assert_eq!(ty(&t, &m, "/d.html.zzz").as_deref(), Some("text/html"));
        assert_eq!(ty(&t, &m, "/d.bak.html").as_deref(), Some("text/html"));
        let e = meta("/e.fr.LATIN1.html");
        assert_eq!(
            e.content_type.as_deref(),
            Some("text/html; charset=iso-8859-1")
        );
        assert_eq!(e.languages, ["fr"]);
        let f = meta("/f.en.fr.utf8.latin1.Z.gz");
        assert_eq!(f.languages, ["en", "fr"]);
        assert_eq!(f.encodings, ["x-compress", "x-gzip"]);
        assert_eq!(
            f.content_type.as_deref(),
            Some("application/x-gzip; charset=iso-8859-1")
        );
        assert_eq!(meta("/g.pt-br").languages, ["pt-br"]);
        // A charset without a type gives no Content-Type.
        assert_eq!(meta("/h.utf8").content_type, None);
        // Empty extensions are skipped.
        assert_eq!(ty(&t, &m, "/i..html").as_deref(), Some("text/html"));
    }

    #[test]
    fn remove_lines_and_sections() {
        let t = TypeTable::parse("application/ecmascript es\napplication/gzip gz\ntext/troff tr\n");
        let server = map(&[
            &["AddType", "application/x-gzip", ".gz"],
            &["AddEncoding", "x-gzip", ".gz"],
            // Debian's mime.conf: .es is a language there, not ECMAScript.
            &["RemoveType", "es"],
            &["AddLanguage", "es", ".es"],
        ]);
        assert_eq!(ty(&t, &server, "/a.es"), None);
        assert_eq!(metadata(&t, &server, Path::new("/a.es")).languages, ["es"]);
        assert_eq!(ty(&t, &server, "/a.tr").as_deref(), Some("text/troff"));
        // A section removes the server's type (and the table's with it) and its encoding.
        let section = map(&[
            &["RemoveType", ".GZ"],
            &["RemoveEncoding", "gz"],
            &["AddType", "text/x-es", "es"],
        ]);
        let merged = ExtensionMap::overlay(&server, &section);
        let gz = metadata(&t, &merged, Path::new("/k.gz"));
        assert_eq!((gz.content_type, gz.encodings), (None, vec![]));
        let es = metadata(&t, &merged, Path::new("/l.es"));
        assert_eq!(es.content_type.as_deref(), Some("text/x-es"));
        assert_eq!(es.languages, ["es"]);
        // The server's lines are untouched.
        assert_eq!(
            metadata(&t, &server, Path::new("/k.gz")).encodings,
            ["x-gzip"]
        );
        // A later Add in the same scope undoes an earlier Remove.
        let again = map(&[&["RemoveType", "gz"], &["AddType", "text/x-again", "gz"]]);
        assert_eq!(ty(&t, &again, "/a.gz").as_deref(), Some("text/x-again"));
        // RemoveLanguage and RemoveCharset.
        let lang = map(&[&["AddLanguage", "en", "en"], &["AddCharset", "utf-8", "u8"]]);
        let gone = ExtensionMap::overlay(
            &lang,
            &map(&[&["RemoveLanguage", "en"], &["RemoveCharset", ".u8"]]),
        );
        let t2 = TypeTable::parse("text/plain txt\n");
        let before = metadata(&t2, &lang, Path::new("/a.en.u8.txt"));
        assert_eq!(
            (before.content_type.as_deref(), before.languages),
            (Some("text/plain; charset=utf-8"), vec!["en"])
        );
        let after = metadata(&t2, &gone, Path::new("/a.en.u8.txt"));
        assert_eq!(
            (after.content_type.as_deref(), after.languages),
            (Some("text/plain"), vec![])
        );
    }

    #[test]
    fn add_lines_are_checked_with_apaches_sentences() {
        assert!(check_add_type(&["text/plain", "txt"]).is_ok());
        assert!(check_add_type(&["text/html; charset=UTF-8", ".html", "htm"]).is_ok());
        assert_eq!(
            check_add_type(&["text/plain"]).unwrap_err(),
            "AddType requires at least two arguments, a mime type followed by one or more file extensions"
        );
        assert!(check_add_type(&["txt", "text/plain"]).is_err());
        assert!(check_add_type(&["text/", "x"]).is_err());
        assert!(check_add_type(&["text/pl\x01ain", "x"]).is_err());
        let mut m = ExtensionMap::default();
        let (attr, what) = Attribute::of_add("addlanguage").unwrap();
        assert_eq!(
            m.add("AddLanguage", attr, what, &["en"]).unwrap_err(),
            "AddLanguage requires at least two arguments, a language (e.g., fr), followed by one or more file extensions"
        );
        let (attr, what) = Attribute::of_add("AddCharset").unwrap();
        assert_eq!(
            m.add("AddCharset", attr, what, &["x"]).unwrap_err(),
            "AddCharset requires at least two arguments, a charset (e.g., iso-2022-jp), followed by one or more file extensions"
        );
        assert!(m.add("AddCharset", attr, what, &["a b", "x"]).is_err());
    }

    #[test]
    fn forced_type() {
        assert_eq!(ForcedType::parse("None").unwrap(), ForcedType::Cancelled);
        assert_eq!(
            ForcedType::parse("Text/Plain").unwrap(),
            ForcedType::Type("text/plain".into())
        );
        assert!(ForcedType::parse("plain").is_err());
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
