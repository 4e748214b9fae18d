//! The order of a listing: `IndexOrderDefault`, or the client's `?C=…;O=…` unless
//! `IgnoreClient`; `FoldersFirst`, `VersionSort` and `IgnoreCase` as Apache's `dsortf` applies
//! them (the parent directory always first, ties broken by the exact name).

use super::config::SortKey;
use super::Row;
use std::cmp::Ordering;

/// How to sort, and what the column links offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Order {
    pub key: SortKey,
    pub ascending: bool,
}

/// What the client's query asks for (Apache's `C=`, `O=`, `F=`, `V=`, `P=`, separated by `;`
/// or `&`; parsing stops at the first argument it does not know, as Apache's does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientArgs {
    pub order: Order,
    /// `F=0` plain, `1` FancyIndexing, `2` HTMLTable.
    pub format: Option<u8>,
    /// `V=0|1`: VersionSort off or on.
    pub version_sort: Option<bool>,
    /// `P=pattern`: only names matching it.
    pub pattern: Option<String>,
    /// `;F=…;V=…;P=…` as the column links carry them on.
    pub colargs: String,
}

impl ClientArgs {
    /// `query` over `default`.
    pub fn parse(query: &str, default: Order) -> ClientArgs {
        let mut args = ClientArgs {
            order: default,
            format: None,
            version_sort: None,
            pattern: None,
            colargs: String::new(),
        };
        let (mut f, mut v, mut p) = (String::new(), String::new(), String::new());
        for arg in query.split([';', '&']).filter(|a| !a.is_empty()) {
            match arg.as_bytes() {
                [b'C', b'=', c] if SortKey::from_letter(*c).is_some() => {
                    args.order.key = SortKey::from_letter(*c).unwrap_or_default();
                }
                [b'O', b'=', b'A'] => args.order.ascending = true,
                [b'O', b'=', b'D'] => args.order.ascending = false,
                [b'F', b'=', c @ b'0'..=b'2'] => {
                    args.format = Some(c - b'0');
                    f = format!(";F={}", char::from(*c));
                }
                [b'V', b'=', c @ (b'0' | b'1')] => {
                    args.version_sort = Some(*c == b'1');
                    v = format!(";V={}", char::from(*c));
                }
                [b'P', b'=', value @ ..] => {
                    // Apache 2.4 drops a pattern written with %-escapes.
                    let value = String::from_utf8_lossy(value);
                    if !value.is_empty() && !value.contains('%') {
                        p = format!(";P={value}");
                        args.pattern = Some(value.into_owned());
                    }
                }
                _ => break,
            }
        }
        args.colargs = format!("{f}{v}{p}");
        args
    }
}

/// Sorts `rows` (the parent directory is not among them).
pub fn sort(rows: &mut [Row], order: Order, folders_first: bool, version: bool, no_case: bool) {
    rows.sort_by(|a, b| {
        if folders_first && a.is_dir != b.is_dir {
            return if a.is_dir {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let mut result = match order.key {
            SortKey::Name => Ordering::Equal,
            SortKey::Modified => a.modified.cmp(&b.modified),
            SortKey::Size => a.size.cmp(&b.size),
            SortKey::Description => {
                let (da, db) = (a.description.as_deref(), b.description.as_deref());
                let (da, db) = (da.unwrap_or("").as_bytes(), db.unwrap_or("").as_bytes());
                if version {
                    natural(da, db, false)
                } else {
                    da.cmp(db)
                }
            }
        };
        if result == Ordering::Equal && no_case {
            result = if version {
                natural(&a.name, &b.name, true)
            } else {
                a.name
                    .to_ascii_lowercase()
                    .cmp(&b.name.to_ascii_lowercase())
            };
        }
        if result == Ordering::Equal {
            result = if version {
                natural(&a.name, &b.name, false)
            } else {
                a.name.cmp(&b.name)
            };
        }
        if order.ascending {
            result
        } else {
            result.reverse()
        }
    });
}

/// `apr_strnatcmp`: runs of digits compare as numbers (`file9` before `file10`), the rest
/// byte by byte; spaces are skipped.
pub fn natural(a: &[u8], b: &[u8], no_case: bool) -> Ordering {
    let (mut i, mut j) = (0, 0);
    loop {
        while a.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        while b.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        match (a.get(i), b.get(j)) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let run = |s: &[u8], k: usize| {
                    let end = s[k..]
                        .iter()
                        .position(|c| !c.is_ascii_digit())
                        .map_or(s.len(), |p| k + p);
                    (k, end)
                };
                let ((sa, ea), (sb, eb)) = (run(a, i), run(b, j));
                // Leading zeros: compared as a fraction would be (left-aligned), as strnatcmp.
                let ord = if a[sa] == b'0' || b[sb] == b'0' {
                    a[sa..ea].cmp(&b[sb..eb])
                } else {
                    (ea - sa)
                        .cmp(&(eb - sb))
                        .then_with(|| a[sa..ea].cmp(&b[sb..eb]))
                };
                if ord != Ordering::Equal {
                    return ord;
                }
                i = ea;
                j = eb;
            }
            (Some(x), Some(y)) => {
                let (x, y) = if no_case {
                    (x.to_ascii_uppercase(), y.to_ascii_uppercase())
                } else {
                    (*x, *y)
                };
                if x != y {
                    return x.cmp(&y);
                }
                i += 1;
                j += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut names = vec!["file10.gz", "file9.tar", "file1", "file01", "a", "B"];
        names.sort_by(|a, b| natural(a.as_bytes(), b.as_bytes(), false));
        assert_eq!(
            names,
            ["B", "a", "file01", "file1", "file9.tar", "file10.gz"]
        );
        assert_eq!(natural(b"x 1", b"x1", false), Ordering::Equal);
        assert_eq!(natural(b"ab", b"AB", true), Ordering::Equal);
    }

    #[test]
    fn query_arguments() {
        let default = Order {
            key: SortKey::Name,
            ascending: true,
        };
        let parse = |q| ClientArgs::parse(q, default);
        assert_eq!(
            parse("C=S;O=D").order,
            Order {
                key: SortKey::Size,
                ascending: false
            }
        );
        assert_eq!(
            parse("O=D&C=M").order,
            Order {
                key: SortKey::Modified,
                ascending: false
            }
        );
        // Apache stops at the first argument it does not know.
        assert_eq!(parse("C=X;O=D").order, default);
        assert_eq!(
            parse("O=D;junk;C=S").order,
            Order {
                key: SortKey::Name,
                ascending: false
            }
        );
        let a = parse("C=S;O=D;F=1;V=0;P=s*");
        assert_eq!(
            (a.format, a.version_sort, a.pattern.as_deref()),
            (Some(1), Some(false), Some("s*"))
        );
        assert_eq!(a.colargs, ";F=1;V=0;P=s*");
        assert_eq!(parse("P=sub%2A").pattern, None);
        assert_eq!(parse("").colargs, "");
    }
}
