//! mod_autoindex's directives in one scope, checked as the configuration is read and merged as
//! Apache's `merge_autoindex_configs` merges them: `IndexOptions` keywords without `+`/`-`
//! replace what outer scopes chose, `+`/`-` ones change it; icon, alternative-text and
//! description lists put the inner scope's entries first; `IndexIgnore` lists add up unless
//! `IndexIgnoreReset On`; the other values are the innermost scope's.

/// One `IndexOptions` flag.
pub type Flags = u32;

pub const FANCY_INDEXING: Flags = 1 << 0;
pub const HTML_TABLE: Flags = 1 << 1;
pub const VERSION_SORT: Flags = 1 << 2;
pub const FOLDERS_FIRST: Flags = 1 << 3;
pub const SUPPRESS_DESCRIPTION: Flags = 1 << 4;
pub const SUPPRESS_LAST_MODIFIED: Flags = 1 << 5;
pub const SUPPRESS_SIZE: Flags = 1 << 6;
pub const IGNORE_CASE: Flags = 1 << 7;
pub const ICONS_ARE_LINKS: Flags = 1 << 8;
pub const SUPPRESS_HTML_PREAMBLE: Flags = 1 << 9;
pub const SUPPRESS_COLUMN_SORTING: Flags = 1 << 10;
pub const SUPPRESS_ICON: Flags = 1 << 11;
pub const SUPPRESS_RULES: Flags = 1 << 12;
pub const IGNORE_CLIENT: Flags = 1 << 13;
pub const XHTML: Flags = 1 << 14;
/// Accepted and without effect here: forbidden entries are never listed, titles never read,
/// no validators sent.
pub const SHOW_FORBIDDEN: Flags = 1 << 15;
pub const SCAN_HTML_TITLES: Flags = 1 << 16;
pub const TRACK_MODIFIED: Flags = 1 << 17;
/// `IndexOptions None`.
pub const NO_OPTIONS: Flags = 1 << 31;

const KEYWORDS: [(&str, Flags); 18] = [
    ("FancyIndexing", FANCY_INDEXING),
    ("HTMLTable", HTML_TABLE),
    ("VersionSort", VERSION_SORT),
    ("FoldersFirst", FOLDERS_FIRST),
    ("SuppressDescription", SUPPRESS_DESCRIPTION),
    ("SuppressLastModified", SUPPRESS_LAST_MODIFIED),
    ("SuppressSize", SUPPRESS_SIZE),
    ("IgnoreCase", IGNORE_CASE),
    ("IconsAreLinks", ICONS_ARE_LINKS),
    ("SuppressHTMLPreamble", SUPPRESS_HTML_PREAMBLE),
    ("SuppressColumnSorting", SUPPRESS_COLUMN_SORTING),
    ("SuppressIcon", SUPPRESS_ICON),
    ("SuppressRules", SUPPRESS_RULES),
    ("IgnoreClient", IGNORE_CLIENT),
    ("XHTML", XHTML),
    ("ShowForbidden", SHOW_FORBIDDEN),
    ("ScanHTMLTitles", SCAN_HTML_TITLES),
    ("TrackModified", TRACK_MODIFIED),
];

/// Apache's default `NameWidth` and `DescriptionWidth`.
pub const DEFAULT_WIDTH: usize = 23;

/// `NameWidth=`/`DescriptionWidth=`: unset (the default), a number, or `*` (as wide as needed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Width {
    #[default]
    Unset,
    Fixed(usize),
    Adjust,
}

impl Width {
    fn or(self, parent: Width) -> Width {
        if self == Width::Unset {
            parent
        } else {
            self
        }
    }

    /// The fixed width, or the default for `Unset` and (before adjusting) `Adjust`.
    pub fn base(self) -> usize {
        match self {
            Width::Fixed(n) => n,
            _ => DEFAULT_WIDTH,
        }
    }
}

/// The sort keys of `IndexOrderDefault` and the `C=` query argument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    #[default]
    Name,
    Modified,
    Size,
    Description,
}

impl SortKey {
    /// The letter of `C=`.
    pub fn letter(self) -> char {
        match self {
            SortKey::Name => 'N',
            SortKey::Modified => 'M',
            SortKey::Size => 'S',
            SortKey::Description => 'D',
        }
    }

    pub fn from_letter(c: u8) -> Option<SortKey> {
        match c {
            b'N' => Some(SortKey::Name),
            b'M' => Some(SortKey::Modified),
            b'S' => Some(SortKey::Size),
            b'D' => Some(SortKey::Description),
            _ => None,
        }
    }
}

/// What an icon or alternative text applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    /// A file name pattern (`AddIcon`, `AddAlt`), matched against the whole path.
    Path,
    /// A media type pattern (`…ByType`).
    Type,
    /// A content-coding pattern (`…ByEncoding`).
    Encoding,
}

/// One entry of an icon or alternative-text list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub kind: ItemKind,
    /// Apache's `apply_to`: a name without wildcards gets a leading `*` (so `.gz` is `*.gz`).
    pub pattern: String,
    /// The icon URL or the alternative text.
    pub data: String,
}

/// One `AddDescription` pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description {
    /// A pattern with `/` is matched against the whole path, others against the name.
    pub full_path: bool,
    /// With wildcards: `*pattern*` through fnmatch; without: a substring, as Apache.
    pub wildcards: bool,
    pub pattern: String,
    pub text: String,
}

/// The autoindex settings of one scope (merged: of a request).
#[derive(Clone, Debug, Default)]
pub struct IndexConfig {
    /// The `IndexOptions` flags in effect.
    pub opts: Flags,
    /// Whether this scope has keywords without `+`/`-` (which replace the outer scopes').
    absolute: bool,
    incremented: Flags,
    decremented: Flags,
    pub name_width: Width,
    pub description_width: Width,
    pub charset: Option<String>,
    pub icon_width: Option<Option<u32>>,
    pub icon_height: Option<Option<u32>>,
    /// `IndexOrderDefault`: key and ascending.
    pub order: Option<(SortKey, bool)>,
    pub icons: Vec<Item>,
    pub alts: Vec<Item>,
    pub descriptions: Vec<Description>,
    pub default_icon: Option<String>,
    pub header_name: Option<String>,
    pub readme_name: Option<String>,
    pub ignore: Vec<String>,
    ignore_reset: bool,
    pub style_sheet: Option<String>,
    pub head_insert: Option<String>,
}

/// The directives this file reads, with Apache's help texts (for the directive table).
pub const DIRECTIVES: [&str; 16] = [
    "IndexOptions",
    "IndexOrderDefault",
    "AddIcon",
    "AddIconByType",
    "AddIconByEncoding",
    "AddAlt",
    "AddAltByType",
    "AddAltByEncoding",
    "DefaultIcon",
    "HeaderName",
    "ReadmeName",
    "IndexIgnore",
    "IndexIgnoreReset",
    "AddDescription",
    "IndexStyleSheet",
    "IndexHeadInsert",
];

/// Whether `name` is one of [`DIRECTIVES`].
pub fn is_directive(name: &str) -> bool {
    DIRECTIVES.iter().any(|d| d.eq_ignore_ascii_case(name))
}

fn at_least_two(name: &str, what: &str) -> String {
    format!("{name} requires at least two arguments, {what}")
}

/// `apply_to` of an item: Apache prefixes a name without wildcards with `*`.
fn path_pattern(to: &str) -> String {
    let to = if to == "**DIRECTORY**" {
        "^^DIRECTORY^^"
    } else {
        to
    };
    if to.contains(['*', '?', '[']) {
        to.to_owned()
    } else {
        format!("*{to}")
    }
}

impl IndexConfig {
    /// Applies one line of one of [`DIRECTIVES`].
    pub fn set(&mut self, name: &str, args: &[&str]) -> Result<(), String> {
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        let first = args.first().copied().unwrap_or("");
        if is("IndexOptions") {
            for word in args {
                self.option(word)?;
            }
        } else if is("IndexOrderDefault") {
            let ascending = match first {
                f if f.eq_ignore_ascii_case("Ascending") => true,
                f if f.eq_ignore_ascii_case("Descending") => false,
                _ => return Err("First keyword must be 'Ascending' or 'Descending'".to_owned()),
            };
            let key = match args.get(1).copied().unwrap_or("") {
                k if k.eq_ignore_ascii_case("Name") => SortKey::Name,
                k if k.eq_ignore_ascii_case("Date") => SortKey::Modified,
                k if k.eq_ignore_ascii_case("Size") => SortKey::Size,
                k if k.eq_ignore_ascii_case("Description") => SortKey::Description,
                _ => {
                    return Err(
                        "Second keyword must be 'Name', 'Date', 'Size', or 'Description'"
                            .to_owned(),
                    )
                }
            };
            self.order = Some((key, ascending));
        } else if let Some((kind, icon, what)) = item_directive(name) {
            let [data, targets @ ..] = args else {
                return Err(at_least_two(name, what));
            };
            if targets.is_empty() {
                return Err(at_least_two(name, what));
            }
            for to in targets {
                let pattern = match kind {
                    ItemKind::Path => path_pattern(to),
                    ItemKind::Encoding => to.to_ascii_lowercase(),
                    ItemKind::Type => (*to).to_owned(),
                };
                if icon {
                    // `(ALT,url)`: the text goes to the alternative texts, the URL to the icons.
                    let url = match data.strip_prefix('(') {
                        Some(inner) => {
                            let Some(close) = inner.find(')') else {
                                return Err("missing closing paren".to_owned());
                            };
                            let inner = &inner[..close];
                            let (alt, url) = inner.split_once(',').unwrap_or((inner, ""));
                            self.alts.push(Item {
                                kind,
                                pattern: pattern.clone(),
                                data: alt.to_owned(),
                            });
                            url
                        }
                        None => data,
                    };
                    self.icons.push(Item {
                        kind,
                        pattern,
                        data: url.to_owned(),
                    });
                } else {
                    self.alts.push(Item {
                        kind,
                        pattern,
                        data: (*data).to_owned(),
                    });
                }
            }
        } else if is("AddDescription") {
            let [text, targets @ ..] = args else {
                return Err(at_least_two(
                    name,
                    "Descriptive text followed by one or more filenames",
                ));
            };
            if targets.is_empty() {
                return Err(at_least_two(
                    name,
                    "Descriptive text followed by one or more filenames",
                ));
            }
            for to in targets {
                let full_path = to.contains('/');
                let wildcards = full_path || to.contains(['*', '?', '[']);
                let pattern = match (wildcards, full_path) {
                    (true, true) => format!("*/{to}*"),
                    (true, false) => format!("*{to}*"),
                    (false, _) => (*to).to_owned(),
                };
                self.descriptions.push(Description {
                    full_path,
                    wildcards,
                    pattern,
                    text: (*text).to_owned(),
                });
            }
        } else if is("DefaultIcon") {
            self.default_icon = Some(first.to_owned());
        } else if is("HeaderName") {
            self.header_name = Some(first.to_owned());
        } else if is("ReadmeName") {
            self.readme_name = Some(first.to_owned());
        } else if is("IndexIgnore") {
            self.ignore.extend(args.iter().map(|a| (*a).to_owned()));
        } else if is("IndexIgnoreReset") {
            self.ignore_reset = match first {
                f if f.eq_ignore_ascii_case("on") => true,
                f if f.eq_ignore_ascii_case("off") => false,
                _ => return Err("IndexIgnoreReset must be On or Off".to_owned()),
            };
        } else if is("IndexStyleSheet") {
            self.style_sheet = Some(first.to_owned());
        } else if is("IndexHeadInsert") {
            self.head_insert = Some(first.to_owned());
        }
        Ok(())
    }

    /// One `IndexOptions` keyword, as Apache's `add_opts`: a flag without `+`/`-` is this
    /// scope's own (and forgets the `+`/`-` ones before it); `+`/`-` flags are kept apart and
    /// only change an outer scope's options when this scope has no flag of its own (see
    /// [`IndexConfig::merge`]).
    fn option(&mut self, word: &str) -> Result<(), String> {
        let (action, w) = match word.as_bytes().first() {
            Some(b'+') => (Some(true), &word[1..]),
            Some(b'-') => (Some(false), &word[1..]),
            _ => (None, word),
        };
        let value = |prefix: &str| {
            w.get(..prefix.len())
                .filter(|p| p.eq_ignore_ascii_case(prefix))
                .map(|_| &w[prefix.len()..])
        };
        let is = |k: &str| w.eq_ignore_ascii_case(k);
        let no_minus = |what: &str| {
            if action == Some(false) {
                Err(format!("Cannot combine '-' with {what}=n"))
            } else {
                Ok(())
            }
        };
        let mut flag = 0;
        if is("None") {
            if action.is_some() {
                return Err("Cannot combine '+' or '-' with 'None' keyword".to_owned());
            }
            self.opts = NO_OPTIONS;
            self.absolute = true;
            self.incremented = 0;
            self.decremented = 0;
        } else if let Some((_, f)) = KEYWORDS.iter().find(|(k, _)| is(k)) {
            flag = *f;
        } else if is("IconWidth") {
            self.icon_width = (action != Some(false)).then_some(None);
        } else if let Some(v) = value("IconWidth=") {
            no_minus("IconWidth")?;
            self.icon_width = Some(Some(leading_number(v)));
        } else if is("IconHeight") {
            self.icon_height = (action != Some(false)).then_some(None);
        } else if let Some(v) = value("IconHeight=") {
            no_minus("IconHeight")?;
            self.icon_height = Some(Some(leading_number(v)));
        } else if is("NameWidth") || is("DescriptionWidth") {
            if action != Some(false) {
                return Err(format!("{w} with no value may only appear as '-{w}'"));
            }
            let reset = Width::Fixed(DEFAULT_WIDTH);
            if is("NameWidth") {
                self.name_width = reset;
            } else {
                self.description_width = reset;
            }
        } else if let Some(v) = value("NameWidth=") {
            no_minus("NameWidth")?;
            self.name_width = width(v, 5, "NameWidth")?;
        } else if let Some(v) = value("DescriptionWidth=") {
            no_minus("DescriptionWidth")?;
            self.description_width = width(v, 12, "DescriptionWidth")?;
        } else if let Some(v) = value("Charset=") {
            self.charset = Some(v.to_owned());
        } else if value("Type=").is_none() && !is("AddAltClass") {
            // Type= is accepted: the listing's type is always text/html.
            return Err("Invalid directory indexing option".to_owned());
        }
        match action {
            None => {
                if flag != 0 {
                    self.opts |= flag;
                    self.absolute = true;
                }
                self.incremented = 0;
                self.decremented = 0;
            }
            Some(true) => {
                self.incremented |= flag;
                self.decremented &= !flag;
            }
            Some(false) => {
                self.decremented |= flag;
                self.incremented &= !flag;
            }
        }
        if self.opts & NO_OPTIONS != 0 && self.opts & !NO_OPTIONS != 0 {
            return Err("Cannot combine other IndexOptions keywords with 'None'".to_owned());
        }
        Ok(())
    }

    /// `child` inside `parent`.
    pub fn merge(parent: &Self, child: &Self) -> Self {
        // Apache's merge_autoindex_configs: flags of the section's own replace the outer
        // ones (and its + and - are forgotten); with none, its + and - change the outer ones.
        let (mut opts, incremented, decremented) = if child.opts & NO_OPTIONS != 0 {
            (NO_OPTIONS, 0, 0)
        } else if !child.absolute {
            let inc = (parent.incremented | child.incremented) & !child.decremented;
            let dec = parent.decremented | child.decremented;
            (parent.opts & !NO_OPTIONS, inc, dec)
        } else {
            (child.opts, 0, 0)
        };
        opts |= incremented;
        opts &= !decremented;
        let first_child = |c: &[Item], p: &[Item]| {
            let mut v = c.to_vec();
            v.extend(p.iter().cloned());
            v
        };
        let mut descriptions = child.descriptions.clone();
        descriptions.extend(parent.descriptions.iter().cloned());
        let mut ignore = child.ignore.clone();
        if !child.ignore_reset {
            ignore.extend(parent.ignore.iter().cloned());
        }
        let or = |c: &Option<String>, p: &Option<String>| c.clone().or_else(|| p.clone());
        IndexConfig {
            opts,
            absolute: parent.absolute || child.absolute,
            incremented,
            decremented,
            name_width: child.name_width.or(parent.name_width),
            description_width: child.description_width.or(parent.description_width),
            charset: or(&child.charset, &parent.charset),
            icon_width: child.icon_width.or(parent.icon_width),
            icon_height: child.icon_height.or(parent.icon_height),
            order: child.order.or(parent.order),
            icons: first_child(&child.icons, &parent.icons),
            alts: first_child(&child.alts, &parent.alts),
            descriptions,
            default_icon: or(&child.default_icon, &parent.default_icon),
            header_name: or(&child.header_name, &parent.header_name),
            readme_name: or(&child.readme_name, &parent.readme_name),
            ignore,
            ignore_reset: false,
            style_sheet: or(&child.style_sheet, &parent.style_sheet),
            head_insert: or(&child.head_insert, &parent.head_insert),
        }
    }

    /// Whether `flag` is on.
    pub fn has(&self, flag: Flags) -> bool {
        self.opts & flag != 0
    }
}

/// `AddIcon…`/`AddAlt…`: the kind of item, whether it is an icon, Apache's description.
fn item_directive(name: &str) -> Option<(ItemKind, bool, &'static str)> {
    let table = [
        (
            "AddIcon",
            ItemKind::Path,
            true,
            "an icon URL followed by one or more filenames",
        ),
        (
            "AddIconByType",
            ItemKind::Type,
            true,
            "an icon URL followed by one or more MIME types",
        ),
        (
            "AddIconByEncoding",
            ItemKind::Encoding,
            true,
            "an icon URL followed by one or more content encodings",
        ),
        (
            "AddAlt",
            ItemKind::Path,
            false,
            "alternate descriptive text followed by one or more filenames",
        ),
        (
            "AddAltByType",
            ItemKind::Type,
            false,
            "alternate descriptive text followed by one or more MIME types",
        ),
        (
            "AddAltByEncoding",
            ItemKind::Encoding,
            false,
            "alternate descriptive text followed by one or more content encodings",
        ),
    ];
    table
        .into_iter()
        .find(|(n, ..)| n.eq_ignore_ascii_case(name))
        .map(|(_, k, i, w)| (k, i, w))
}

/// `atoi`: the leading digits of `v`, 0 when none.
fn leading_number(v: &str) -> u32 {
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    v[..digits].parse().unwrap_or(0)
}

/// `NameWidth=`/`DescriptionWidth=` values: `*` or a number of at least `min`.
fn width(v: &str, min: usize, name: &str) -> Result<Width, String> {
    if v.starts_with('*') {
        return Ok(Width::Adjust);
    }
    match v.parse::<usize>() {
        Ok(n) if n >= min => Ok(Width::Fixed(n)),
        _ => Err(format!("{name} value must be greater than {min}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(lines: &[&[&str]]) -> IndexConfig {
        let mut c = IndexConfig::default();
        for l in lines {
            c.set(l[0], &l[1..]).unwrap();
        }
        c
    }

    fn opts(lines: &[&[&str]]) -> Flags {
        IndexConfig::merge(&IndexConfig::default(), &scope(lines)).opts
    }

    #[test]
    fn options_merge_as_apache() {
        let server = scope(&[&["IndexOptions", "FancyIndexing", "SuppressSize"]]);
        let merged = |lines: &[&[&str]]| IndexConfig::merge(&server, &scope(lines)).opts;
        // + and - change the outer scope's options.
        assert_eq!(
            merged(&[&["IndexOptions", "+HTMLTable"]]),
            FANCY_INDEXING | SUPPRESS_SIZE | HTML_TABLE
        );
        assert_eq!(
            merged(&[&["IndexOptions", "-SuppressSize"]]),
            FANCY_INDEXING
        );
        // Flags without + or - replace them, and the scope's own + and - are forgotten
        // (apache2 2.4 answers so, whatever the order).
        assert_eq!(merged(&[&["IndexOptions", "HTMLTable"]]), HTML_TABLE);
        assert_eq!(
            merged(&[&["IndexOptions", "HTMLTable", "+SuppressSize"]]),
            HTML_TABLE
        );
        assert_eq!(
            merged(&[
                &["IndexOptions", "+SuppressSize"],
                &["IndexOptions", "HTMLTable"]
            ]),
            HTML_TABLE
        );
        assert_eq!(merged(&[&["IndexOptions", "None"]]), NO_OPTIONS);
        // A scope used as it is (no section of the module's): only its own flags.
        assert_eq!(scope(&[&["IndexOptions", "+HTMLTable"]]).opts, 0);
        assert_eq!(
            scope(&[
                &["IndexOptions", "FancyIndexing"],
                &["IndexOptions", "+SuppressSize"]
            ])
            .opts,
            FANCY_INDEXING
        );
        // Lines of one scope add up.
        assert_eq!(
            opts(&[
                &["IndexOptions", "FancyIndexing"],
                &["IndexOptions", "VersionSort"]
            ]),
            FANCY_INDEXING | VERSION_SORT
        );
        // Increments carry on into deeper scopes.
        let plus = scope(&[&["IndexOptions", "+HTMLTable"]]);
        let mid = IndexConfig::merge(&plus, &scope(&[&["IndexOptions", "+FoldersFirst"]]));
        assert_eq!(mid.opts, HTML_TABLE | FOLDERS_FIRST);
        let deep = IndexConfig::merge(&mid, &scope(&[&["IndexOptions", "-HTMLTable"]]));
        assert_eq!(deep.opts, FOLDERS_FIRST);
    }

    #[test]
    fn option_values_and_errors() {
        let c = scope(&[&[
            "IndexOptions",
            "NameWidth=*",
            "DescriptionWidth=40",
            "Charset=UTF-8",
        ]]);
        assert_eq!(
            (c.name_width, c.description_width),
            (Width::Adjust, Width::Fixed(40))
        );
        assert_eq!(c.charset.as_deref(), Some("UTF-8"));
        let mut c = IndexConfig::default();
        let err = |c: &mut IndexConfig, args: &[&str]| c.set("IndexOptions", args).unwrap_err();
        assert_eq!(err(&mut c, &["Bogus"]), "Invalid directory indexing option");
        assert_eq!(
            err(&mut c, &["Charset"]),
            "Invalid directory indexing option"
        );
        assert_eq!(
            err(&mut IndexConfig::default(), &["None", "FancyIndexing"]),
            "Cannot combine other IndexOptions keywords with 'None'"
        );
        assert_eq!(
            err(&mut c, &["DescriptionWidth=3"]),
            "DescriptionWidth value must be greater than 12"
        );
        assert_eq!(
            err(&mut c, &["+None"]),
            "Cannot combine '+' or '-' with 'None' keyword"
        );
        assert_eq!(
            err(&mut c, &["NameWidth"]),
            "NameWidth with no value may only appear as '-NameWidth'"
        );
        assert_eq!(
            err(&mut c, &["-NameWidth=9"]),
            "Cannot combine '-' with NameWidth=n"
        );
        assert_eq!(
            c.set("IndexOrderDefault", &["Up", "Name"]).unwrap_err(),
            "First keyword must be 'Ascending' or 'Descending'"
        );
        assert_eq!(
            c.set("AddIcon", &["x"]).unwrap_err(),
            "AddIcon requires at least two arguments, an icon URL followed by one or more filenames"
        );
        assert_eq!(
            c.set("IndexIgnoreReset", &["maybe"]).unwrap_err(),
            "IndexIgnoreReset must be On or Off"
        );
    }

    #[test]
    fn items_and_lists() {
        let server = scope(&[
            &["AddIcon", "(SND,/icons/sound2.gif)", ".ogg"],
            &["AddIcon", "/icons/folder.gif", "^^DIRECTORY^^"],
            &["AddIconByEncoding", "(CMP,/icons/compressed.gif)", "X-Gzip"],
            &["IndexIgnore", ".??*", "*~"],
            &["AddDescription", "plain", "a.txt"],
            &["AddDescription", "wild", "*.c", "d/e"],
        ]);
        assert_eq!(
            server.icons[0],
            Item {
                kind: ItemKind::Path,
                pattern: "*.ogg".into(),
                data: "/icons/sound2.gif".into()
            }
        );
        assert_eq!(server.alts[0].data, "SND");
        assert_eq!(server.icons[2].pattern, "x-gzip");
        let d = &server.descriptions;
        assert_eq!((d[0].wildcards, d[0].pattern.as_str()), (false, "a.txt"));
        assert_eq!((d[1].wildcards, d[1].pattern.as_str()), (true, "**.c*"));
        assert_eq!((d[2].full_path, d[2].pattern.as_str()), (true, "*/d/e*"));
        let section = scope(&[&["AddIcon", "/i/mine.gif", ".ogg"], &["IndexIgnore", "RCS"]]);
        let merged = IndexConfig::merge(&server, &section);
        // The section's entries come first.
        assert_eq!(merged.icons[0].data, "/i/mine.gif");
        assert_eq!(merged.ignore, ["RCS", ".??*", "*~"]);
        let reset = scope(&[&["IndexIgnoreReset", "On"], &["IndexIgnore", "CVS"]]);
        assert_eq!(IndexConfig::merge(&server, &reset).ignore, ["CVS"]);
    }
}
