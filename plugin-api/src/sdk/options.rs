//! `Options`, with Apache's syntax and merging: `Options Indexes FollowSymLinks` replaces the
//! inherited set, `Options +Indexes -FollowSymLinks` adjusts it, `None` and `All` as in Apache.
//! The grammar is shared by the core, which follows symbolic links as `FollowSymLinks` and
//! `SymLinksIfOwnerMatch` say when it maps a path onto the file system, and by modules that act
//! on other options (mod-static on `Indexes`).
//!
//! One difference from Apache, on purpose: before any `Options` line Apache follows every link
//! (`FollowSymLinks`). mapache then follows only links that stay inside DocumentRoot
//! ([`Links::Inside`]); the first `Options` line that replaces the set, or adds or removes
//! `FollowSymLinks` or `SymLinksIfOwnerMatch`, says what is followed from then on, as in Apache.

/// The options in effect, one bit each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionSet(u16);

const INDEXES: u16 = 1;
const FOLLOW_SYMLINKS: u16 = 1 << 1;
const SYMLINKS_IF_OWNER_MATCH: u16 = 1 << 2;
const EXEC_CGI: u16 = 1 << 3;
const INCLUDES: u16 = 1 << 4;
const INCLUDES_EXEC: u16 = 1 << 5;
const MULTIVIEWS: u16 = 1 << 6;
/// Not an Apache option: the state before any `Options` line (see the module doc).
const LINKS_INSIDE: u16 = 1 << 7;
/// The options that say which links are followed.
const LINK_OPTIONS: u16 = FOLLOW_SYMLINKS | SYMLINKS_IF_OWNER_MATCH;
/// Apache's `All`: everything but `MultiViews` and `SymLinksIfOwnerMatch`.
const ALL: u16 = INDEXES | FOLLOW_SYMLINKS | EXEC_CGI | INCLUDES | INCLUDES_EXEC;

/// Which symbolic links a path may go through, as the options in effect in the directory that
/// holds the link say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Links {
    /// None (`Options None`, or a set without FollowSymLinks and SymLinksIfOwnerMatch): a link
    /// is refused with 403.
    None,
    /// Links whose target stays inside DocumentRoot (mapache's default, before any `Options`).
    Inside,
    /// `SymLinksIfOwnerMatch`: a link owned by the owner of its target.
    IfOwnerMatch,
    /// `FollowSymLinks`: every link, also out of DocumentRoot.
    Follow,
}

impl OptionSet {
    /// Before any `Options` line: no listing, links followed while they stay inside DocumentRoot.
    pub const DEFAULT: OptionSet = OptionSet(LINKS_INSIDE);

    /// `Options Indexes`: list a directory that has no index file.
    pub fn indexes(self) -> bool {
        self.0 & INDEXES != 0
    }

    /// `Options MultiViews`: a request for a missing file is negotiated among the files that
    /// share its name (mod-negotiation).
    pub fn multiviews(self) -> bool {
        self.0 & MULTIVIEWS != 0
    }

    /// Which symbolic links are followed.
    pub fn links(self) -> Links {
        if self.0 & FOLLOW_SYMLINKS != 0 {
            Links::Follow
        } else if self.0 & SYMLINKS_IF_OWNER_MATCH != 0 {
            Links::IfOwnerMatch
        } else if self.0 & LINKS_INSIDE != 0 {
            Links::Inside
        } else {
            Links::None
        }
    }

    /// The set after one more `Options` line.
    pub fn apply(self, change: Change) -> OptionSet {
        match change {
            Change::Replace(bits) => OptionSet(bits),
            Change::Adjust { add, remove } => {
                let mut bits = (self.0 | add) & !remove;
                if (add | remove) & LINK_OPTIONS != 0 {
                    bits &= !LINKS_INSIDE;
                }
                OptionSet(bits)
            }
        }
    }

    /// The set after every line in `lines`, least specific first; a line that does not parse is
    /// skipped (reported by `on_error`).
    pub fn from_lines<'a>(
        lines: impl IntoIterator<Item = Vec<&'a str>>,
        mut on_error: impl FnMut(String),
    ) -> OptionSet {
        lines
            .into_iter()
            .fold(OptionSet::DEFAULT, |set, args| match parse(&args) {
                Ok(change) => set.apply(change),
                Err(e) => {
                    on_error(e);
                    set
                }
            })
    }
}

/// What one `Options` line does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// No `+`/`-`: the line is the whole set.
    Replace(u16),
    /// Every word with `+`/`-`: added to or removed from the inherited set.
    Adjust {
        /// Options turned on.
        add: u16,
        /// Options turned off.
        remove: u16,
    },
}

fn option_bits(name: &str) -> Option<u16> {
    const NAMES: [(&str, u16); 9] = [
        ("None", 0),
        ("All", ALL),
        ("Indexes", INDEXES),
        ("FollowSymLinks", FOLLOW_SYMLINKS),
        ("SymLinksIfOwnerMatch", SYMLINKS_IF_OWNER_MATCH),
        ("ExecCGI", EXEC_CGI),
        ("Includes", INCLUDES | INCLUDES_EXEC),
        ("IncludesNOEXEC", INCLUDES),
        ("MultiViews", MULTIVIEWS),
    ];
    NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|&(_, bits)| bits)
}

/// Parses the arguments of one `Options` line; errors in Apache's words.
pub fn parse(args: &[&str]) -> Result<Change, String> {
    let mut replace = 0u16;
    let (mut add, mut remove) = (0u16, 0u16);
    let (mut signed, mut plain) = (false, false);
    for word in args {
        let (sign, name) = match word.as_bytes().first() {
            Some(b'+') => (Some(true), &word[1..]),
            Some(b'-') => (Some(false), &word[1..]),
            _ => (None, &word[..]),
        };
        let bits = option_bits(name).ok_or_else(|| format!("Illegal option {name}"))?;
        match sign {
            None => {
                plain = true;
                replace |= bits;
            }
            Some(_) if name.eq_ignore_ascii_case("None") => {
                return Err(format!("Illegal option {word}: None takes no + or -"));
            }
            Some(true) => {
                signed = true;
                add |= bits;
                remove &= !bits;
            }
            Some(false) => {
                signed = true;
                remove |= bits;
                add &= !bits;
            }
        }
        if signed && plain {
            return Err("Either all Options must start with + or -, or no Option may.".to_owned());
        }
    }
    Ok(if signed {
        Change::Adjust { add, remove }
    } else {
        Change::Replace(replace)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(lines: &[&[&str]]) -> OptionSet {
        OptionSet::from_lines(lines.iter().map(|l| l.to_vec()), |e| panic!("{e}"))
    }

    #[test]
    fn default_follows_links_inside_and_lists_nothing() {
        let d = OptionSet::DEFAULT;
        assert!(!d.indexes());
        assert_eq!(d.links(), Links::Inside);
        assert_eq!(set(&[]), d);
    }

    #[test]
    fn which_links_are_followed() {
        assert_eq!(set(&[&["None"]]).links(), Links::None);
        assert_eq!(set(&[&["Indexes"]]).links(), Links::None);
        // Adjusting something else keeps the default.
        assert_eq!(set(&[&["+Indexes"]]).links(), Links::Inside);
        assert_eq!(set(&[&["-FollowSymLinks"]]).links(), Links::None);
        assert_eq!(set(&[&["-SymLinksIfOwnerMatch"]]).links(), Links::None);
        assert_eq!(
            set(&[&["+SymLinksIfOwnerMatch"]]).links(),
            Links::IfOwnerMatch
        );
        assert_eq!(
            set(&[&["SymLinksIfOwnerMatch"]]).links(),
            Links::IfOwnerMatch
        );
        assert_eq!(set(&[&["FollowSymLinks"]]).links(), Links::Follow);
        assert_eq!(set(&[&["All"]]).links(), Links::Follow);
        assert_eq!(
            set(&[&["FollowSymLinks", "SymLinksIfOwnerMatch"]]).links(),
            Links::Follow
        );
        assert_eq!(set(&[&["All"], &["-FollowSymLinks"]]).links(), Links::None);
    }

    #[test]
    fn replacing_and_adjusting() {
        let s = set(&[&["Indexes", "FollowSymLinks"]]);
        assert!(s.indexes() && (s.links() == Links::Follow));
        let s = set(&[&["Indexes", "FollowSymLinks"], &["Indexes"]]);
        assert!(s.indexes() && (s.links() != Links::Follow));
        let s = set(&[&["Indexes"], &["+FollowSymLinks"]]);
        assert!(s.indexes() && (s.links() == Links::Follow));
        let s = set(&[&["All"], &["-Indexes"]]);
        assert!(!s.indexes() && (s.links() == Links::Follow));
        let s = set(&[&["All"], &["None"]]);
        assert!(!s.indexes() && (s.links() != Links::Follow));
        let s = set(&[&["+All"]]);
        assert!(s.indexes() && (s.links() == Links::Follow));
        // The later word wins within one line.
        let s = set(&[&["+Indexes", "-Indexes"]]);
        assert!(!s.indexes());
        let s = set(&[&["-Indexes", "+Indexes"]]);
        assert!(s.indexes());
        // Case-insensitive, like every Apache keyword; accepted names that do nothing here.
        let s = set(&[&[
            "indexes",
            "EXECCGI",
            "MultiViews",
            "Includes",
            "IncludesNoExec",
        ]]);
        assert!(s.indexes() && (s.links() != Links::Follow));
        let s = set(&[&["SymLinksIfOwnerMatch"]]);
        assert!((s.links() != Links::Follow));
    }

    #[test]
    fn multiviews_only_when_named() {
        assert!(!OptionSet::DEFAULT.multiviews());
        assert!(!set(&[&["All"]]).multiviews());
        assert!(set(&[&["+MultiViews"]]).multiviews());
        assert!(!set(&[&["MultiViews"], &["-MultiViews"]]).multiviews());
        assert!(set(&[&["Indexes", "MultiViews"], &["+FollowSymLinks"]]).multiviews());
    }

    #[test]
    fn errors_in_apaches_words() {
        assert_eq!(parse(&["Indexs"]).unwrap_err(), "Illegal option Indexs");
        assert_eq!(parse(&["+Bogus"]).unwrap_err(), "Illegal option Bogus");
        assert_eq!(
            parse(&["Indexes", "+FollowSymLinks"]).unwrap_err(),
            "Either all Options must start with + or -, or no Option may."
        );
        assert_eq!(
            parse(&["+Indexes", "FollowSymLinks"]).unwrap_err(),
            "Either all Options must start with + or -, or no Option may."
        );
        assert!(parse(&["+None"]).is_err());
        assert!(parse(&["+"]).is_err());
    }

    #[test]
    fn a_bad_line_is_skipped_and_reported() {
        let mut errors = Vec::new();
        let s = OptionSet::from_lines(
            vec![vec!["Indexes"], vec!["Bogus"], vec!["+FollowSymLinks"]],
            |e| errors.push(e),
        );
        assert!(s.indexes() && (s.links() == Links::Follow));
        assert_eq!(errors, ["Illegal option Bogus"]);
    }
}
