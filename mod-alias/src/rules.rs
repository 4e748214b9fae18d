//! The server's Alias and Redirect lines, parsed once, and how a request path meets them
//! (Apache's `add_alias_internal`, `add_redirect_internal`, `alias_matches` and
//! `try_alias_list`).

use regex::bytes::{Captures, Regex, RegexBuilder};

/// What the URL-path of one line is matched by.
#[derive(Clone, Debug)]
pub enum Pattern {
    /// A prefix, matched on segment boundaries (`alias_matches`).
    Prefix(String),
    /// A regular expression (`AliasMatch`, `RedirectMatch`), with `$0`…`$9` in the target.
    Regex(Regex),
    /// Every request of the section the line is in (a Redirect written there without its
    /// URL-path): the target as it is, nothing of the path appended, as Apache.
    Section,
}

/// One Alias or Redirect line.
#[derive(Clone, Debug)]
pub struct Rule {
    /// What the request path is matched against.
    pub pattern: Pattern,
    /// The file path (Alias) or URL (Redirect); `None` for a status without URL (gone).
    pub target: Option<String>,
    /// The status a Redirect answers with (0 for an Alias).
    pub status: u16,
}

/// The number of bytes of `uri` that `fake` matches, as Apache's `alias_matches`: any run of
/// slashes in one matches any run in the other, other bytes literally, and the match ends at
/// the end of the path or at a slash (or `fake` ends with one). 0 when it does not match.
pub fn prefix_match(uri: &[u8], fake: &[u8]) -> usize {
    let (mut a, mut u) = (0, 0);
    while a < fake.len() {
        if fake[a] == b'/' {
            if uri.get(u) != Some(&b'/') {
                return 0;
            }
            while fake.get(a) == Some(&b'/') {
                a += 1;
            }
            while uri.get(u) == Some(&b'/') {
                u += 1;
            }
        } else {
            if uri.get(u) != Some(&fake[a]) {
                return 0;
            }
            a += 1;
            u += 1;
        }
    }
    if fake.last() != Some(&b'/') && u < uri.len() && uri[u] != b'/' {
        return 0;
    }
    u
}

/// `template` with Apache's `ap_pregsub` replacements: `$0`…`$9` and `&` are the groups
/// (empty when a group took no part), `\$` and `\&` stand for themselves.
pub fn substitute(template: &[u8], caps: &Captures<'_>) -> Vec<u8> {
    let group = |i: usize| caps.get(i).map_or(&b""[..], |m| m.as_bytes());
    let mut out = Vec::new();
    let mut i = 0;
    while i < template.len() {
        match (template[i], template.get(i + 1)) {
            (b'\\', Some(&(c @ b'$' | c @ b'&'))) => {
                out.push(c);
                i += 2;
            }
            (b'&', _) => {
                out.extend_from_slice(group(0));
                i += 1;
            }
            (b'$', Some(d)) if d.is_ascii_digit() => {
                out.extend_from_slice(group(usize::from(d - b'0')));
                i += 2;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Compiles a pattern as PCRE would read it; a pattern the `regex` crate cannot express
/// (look-around, back-references) is refused with the crate's reason, for `-t`.
pub fn compile(pattern: &str, directive: &str) -> Result<Regex, String> {
    // Bytes, not Unicode: a path may hold any byte, and PCRE's classes are ASCII here.
    RegexBuilder::new(pattern).unicode(false).build().map_err(|e| {
        // The crate's message spans lines (the pattern with a caret); its last line says why.
        let text = e.to_string();
        let why = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .trim_start_matches("error: ")
            .to_owned();
        format!("{directive} regex could not be compiled (mapache uses the regex crate, not PCRE): '{pattern}': {why}")
    })
}

/// A Redirect line's arguments (`[status] URL-path [URL]`) as Apache's `add_redirect_internal`
/// reads them; `regex` for RedirectMatch. Errors are Apache's sentences.
pub fn redirect(args: &[&str], regex: bool, directive: &str) -> Result<Rule, String> {
    let (status, fake, url) = match args {
        [a, b, c] if is_status_word(a) => (status_of(a)?, *b, Some(*c)),
        [_, _, _] => return Err(format!("{directive}: invalid first argument (of three)")),
        [a, b] if is_status_word(a) => (status_of(a)?, *b, None),
        [a, b] => (302, *a, Some(*b)),
        _ => return Err(format!("{directive} takes two or three arguments")),
    };
    check_target(status, url, regex)?;
    let pattern = if regex {
        Pattern::Regex(compile(fake, directive)?)
    } else {
        Pattern::Prefix(fake.to_owned())
    };
    Ok(Rule {
        pattern,
        target: url.map(str::to_owned),
        status,
    })
}

/// A Redirect line inside a section without its URL-path (`Redirect URL`, `Redirect status
/// URL`, `Redirect gone`): every request of the section is answered, as Apache's
/// `add_redirect_internal` with `cmd->path`.
pub fn section_redirect(args: &[&str], directive: &str) -> Result<Rule, String> {
    let (status, url) = match args {
        [a] if is_status_word(a) => (status_of(a)?, None),
        [url] => (302, Some(*url)),
        [a, url] => (status_of(a)?, Some(*url)),
        _ => return Err(format!("{directive} takes two or three arguments")),
    };
    check_target(status, url, false)?;
    Ok(Rule {
        pattern: Pattern::Section,
        target: url.map(str::to_owned),
        status,
    })
}

/// The status a status word names (`permanent` 301, `temp` 302, `seeother` 303, `gone` 410, or
/// a number from 100 to 599).
fn status_of(w: &str) -> Result<u16, String> {
    match w.to_ascii_lowercase().as_str() {
        "permanent" => Ok(301),
        "temp" => Ok(302),
        "seeother" => Ok(303),
        "gone" => Ok(410),
        _ => w
            .parse::<u16>()
            .ok()
            .filter(|s| (100..600).contains(s))
            .ok_or_else(|| "Redirect status must be a valid HTTP status code".to_owned()),
    }
}

/// Apache's checks of a Redirect's URL against its status: a 3xx needs a URL (or, but for
/// RedirectMatch, a path), other statuses take none.
fn check_target(status: u16, url: Option<&str>, regex: bool) -> Result<(), String> {
    if (300..400).contains(&status) {
        let Some(url) = url else {
            return Err("URL to redirect to is missing".to_owned());
        };
        if !regex && !is_url(url) && !url.starts_with('/') {
            return Err("Redirect to non-URL".to_owned());
        }
    } else if url.is_some() {
        return Err("Redirect URL not valid for this status".to_owned());
    }
    Ok(())
}

/// Whether a Redirect's first argument names a status (`permanent`, `410`, …).
pub fn is_status_word(w: &str) -> bool {
    ["permanent", "temp", "seeother", "gone"]
        .iter()
        .any(|s| w.eq_ignore_ascii_case(s))
        || w.starts_with(|c: char| c.is_ascii_digit())
}

/// Apache's `ap_is_url`: a scheme (letters, digits, `+-.`) followed by `:`.
pub fn is_url(s: &str) -> bool {
    match s.find(':') {
        Some(i) if i > 0 => s[..i]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)),
        _ => false,
    }
}

/// Apache's `ap_escape_uri` (`ap_os_escape_path` without the `./` prefix): percent-encodes
/// what may not stand in a path.
pub fn escape_path(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for &b in s {
        if b.is_ascii_alphanumeric() || b"$-_.+!*'(),:@&=~/".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02x}").as_bytes());
        }
    }
    out
}

/// What a list of rules makes of `uri` (the decoded path): the first rule that matches, with
/// the target filled in (for a prefix: the target and the rest of the path, escaped for a
/// Redirect), as Apache's `try_alias_list`.
pub fn first_match<'r>(
    rules: &'r [Rule],
    uri: &[u8],
    is_redirect: bool,
) -> Option<(&'r Rule, Option<Vec<u8>>)> {
    for rule in rules {
        let found = match &rule.pattern {
            Pattern::Prefix(fake) => {
                let l = prefix_match(uri, fake.as_bytes());
                if l == 0 {
                    continue;
                }
                let rest = &uri[l..];
                rule.target.as_ref().map(|t| {
                    let mut s = t.as_bytes().to_vec();
                    if is_redirect {
                        s.extend(escape_path(rest));
                    } else {
                        s.extend_from_slice(rest);
                    }
                    s
                })
            }
            Pattern::Section => rule.target.as_ref().map(|t| t.as_bytes().to_vec()),
            Pattern::Regex(re) => {
                let Some(caps) = re.captures(uri) else {
                    continue;
                };
                rule.target.as_ref().map(|t| {
                    let s = substitute(t.as_bytes(), &caps);
                    if !is_redirect {
                        return s;
                    }
                    // The query and fragment the target holds are not escaped.
                    let cut = s
                        .iter()
                        .position(|&b| b == b'?' || b == b'#')
                        .unwrap_or(s.len());
                    let mut out = escape_path(&s[..cut]);
                    out.extend_from_slice(&s[cut..]);
                    out
                })
            }
        };
        return Some((rule, found));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_matches_on_segment_boundaries_with_slash_runs() {
        assert_eq!(prefix_match(b"/icons/a.png", b"/icons"), 6);
        assert_eq!(prefix_match(b"/icons", b"/icons"), 6);
        assert_eq!(prefix_match(b"/iconsx/a", b"/icons"), 0);
        assert_eq!(prefix_match(b"/icons", b"/icons/"), 0);
        assert_eq!(prefix_match(b"/icons/a", b"/icons/"), 7);
        assert_eq!(prefix_match(b"//icons//a", b"/icons/"), 9);
        assert_eq!(prefix_match(b"/other", b"/icons"), 0);
    }

    #[test]
    fn substitute_groups_and_escapes() {
        let re = Regex::new("^/(a)(b)?/(.*)").unwrap();
        let caps = re.captures(b"/a/x/y").unwrap();
        assert_eq!(
            substitute(br"/d/$3-$1[$2]&\$1", &caps),
            b"/d/x/y-a[]/a/x/y$1"
        );
    }

    #[test]
    fn redirect_arguments_as_apache_reads_them() {
        let r = redirect(&["/a", "http://x/b"], false, "Redirect").unwrap();
        assert_eq!((r.status, r.target.as_deref()), (302, Some("http://x/b")));
        let r = redirect(&["permanent", "/a", "http://x/"], false, "Redirect").unwrap();
        assert_eq!(r.status, 301);
        let r = redirect(&["gone", "/a"], false, "Redirect").unwrap();
        assert_eq!((r.status, r.target), (410, None));
        assert_eq!(
            redirect(&["gone", "/a", "http://x/"], false, "Redirect").unwrap_err(),
            "Redirect URL not valid for this status"
        );
        assert_eq!(
            redirect(&["/a", "b"], false, "Redirect").unwrap_err(),
            "Redirect to non-URL"
        );
        assert_eq!(
            redirect(&["301", "/a"], false, "Redirect").unwrap_err(),
            "URL to redirect to is missing"
        );
        assert!(redirect(&["(?=x)", "/b"], true, "RedirectMatch")
            .unwrap_err()
            .contains("RedirectMatch regex could not be compiled"));
    }

    #[test]
    fn first_rule_wins_and_redirect_rest_is_escaped() {
        let rules = vec![
            redirect(&["/a", "http://x/n"], false, "Redirect").unwrap(),
            redirect(&["/a/b", "http://x/m"], false, "Redirect").unwrap(),
        ];
        let (_, found) = first_match(&rules, b"/a/b/c d", true).unwrap();
        assert_eq!(found.as_deref(), Some(&b"http://x/n/b/c%20d"[..]));
        assert!(first_match(&rules, b"/ab", true).is_none());
    }
}
