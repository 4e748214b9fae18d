//! `Options`, with Apache's syntax and merging: `Options Indexes FollowSymLinks` replaces the
//! inherited set, `Options +Indexes -FollowSymLinks` adjusts it, `None` and `All` as in Apache.
//!
//! mod-static acts on `Indexes` and `FollowSymLinks`. Apache's other names (`ExecCGI`,
//! `Includes`, `IncludesNOEXEC`, `MultiViews`, `SymLinksIfOwnerMatch`) are accepted so existing
//! configurations load, and change nothing here (`SymLinksIfOwnerMatch` does not follow links out
//! of DocumentRoot: the stricter reading).

/// The options in effect, one bit each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionSet(u8);

const INDEXES: u8 = 1;
const FOLLOW_SYMLINKS: u8 = 1 << 1;
const SYMLINKS_IF_OWNER_MATCH: u8 = 1 << 2;
const EXEC_CGI: u8 = 1 << 3;
const INCLUDES: u8 = 1 << 4;
const INCLUDES_EXEC: u8 = 1 << 5;
const MULTIVIEWS: u8 = 1 << 6;
/// Apache's `All`: everything but `MultiViews` and `SymLinksIfOwnerMatch`.
const ALL: u8 = INDEXES | FOLLOW_SYMLINKS | EXEC_CGI | INCLUDES | INCLUDES_EXEC;

impl OptionSet {
    /// Before any `Options` line. Apache's default is `FollowSymLinks`; ours is empty on purpose,
    /// so a link out of DocumentRoot is refused unless the configuration asks for it.
    pub const DEFAULT: OptionSet = OptionSet(0);

    /// `Options Indexes`: list a directory that has no index file.
    pub fn indexes(self) -> bool {
        self.0 & INDEXES != 0
    }

    /// `Options FollowSymLinks`: follow links whose target leaves DocumentRoot.
    pub fn follow_symlinks(self) -> bool {
        self.0 & FOLLOW_SYMLINKS != 0
    }

    /// The set after one more `Options` line.
    pub fn apply(self, change: Change) -> OptionSet {
        match change {
            Change::Replace(bits) => OptionSet(bits),
            Change::Adjust { add, remove } => OptionSet((self.0 | add) & !remove),
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
    Replace(u8),
    /// Every word with `+`/`-`: added to or removed from the inherited set.
    Adjust { add: u8, remove: u8 },
}

fn option_bits(name: &str) -> Option<u8> {
    const NAMES: [(&str, u8); 9] = [
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
    let mut replace = 0u8;
    let (mut add, mut remove) = (0u8, 0u8);
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
    fn default_follows_no_link_and_lists_nothing() {
        let d = OptionSet::DEFAULT;
        assert!(!d.indexes() && !d.follow_symlinks());
        assert_eq!(set(&[]), d);
    }

    #[test]
    fn replacing_and_adjusting() {
        let s = set(&[&["Indexes", "FollowSymLinks"]]);
        assert!(s.indexes() && s.follow_symlinks());
        let s = set(&[&["Indexes", "FollowSymLinks"], &["Indexes"]]);
        assert!(s.indexes() && !s.follow_symlinks());
        let s = set(&[&["Indexes"], &["+FollowSymLinks"]]);
        assert!(s.indexes() && s.follow_symlinks());
        let s = set(&[&["All"], &["-Indexes"]]);
        assert!(!s.indexes() && s.follow_symlinks());
        let s = set(&[&["All"], &["None"]]);
        assert!(!s.indexes() && !s.follow_symlinks());
        let s = set(&[&["+All"]]);
        assert!(s.indexes() && s.follow_symlinks());
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
        assert!(s.indexes() && !s.follow_symlinks());
        let s = set(&[&["SymLinksIfOwnerMatch"]]);
        assert!(!s.follow_symlinks());
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
        assert!(s.indexes() && s.follow_symlinks());
        assert_eq!(errors, ["Illegal option Bogus"]);
    }
}
