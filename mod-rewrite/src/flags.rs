//! The `[flags]` of RewriteRule and RewriteCond, parsed as Apache's `cmd_rewriterule_setflag`
//! and `cmd_rewritecond_setflag` parse them: a comma-separated list in brackets, each flag
//! `name` or `name=value`, names case-insensitive, long and short forms alike. Errors are
//! Apache's sentences.

/// What a RewriteRule's flags ask for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleFlags {
    /// `C`: the next rule applies only when this one matched.
    pub chain: bool,
    /// `L`: stop the rule list when this rule matches.
    pub last: bool,
    /// `END`: stop, and no more rewriting for this request (internal redirects included).
    pub end: bool,
    /// `NC`: the pattern matches case-insensitively.
    pub nocase: bool,
    /// `R[=code]`: answer with a redirect (302 unless a code is given).
    pub redirect: bool,
    /// `R=code`, `F` (403), `G` (410): the status the rule answers with (with `R` a 3xx).
    pub status: Option<u16>,
    /// `R` with a non-3xx code, `F`, `G`: the status is answered at once and the
    /// substitution dropped (Apache's RULEFLAG_STATUS).
    pub status_only: bool,
    /// `QSA`: the substitution's query is put before the request's.
    pub qsappend: bool,
    /// `QSD`: the request's query is dropped.
    pub qsdiscard: bool,
    /// `QSL`: the query starts at the substitution's last `?`, not its first.
    pub qslast: bool,
    /// `PT`: the result is a URL passed on to the other translate hooks.
    pub passthrough: bool,
    /// `NE`: the redirect's URL is not percent-escaped.
    pub noescape: bool,
    /// `B[=chars]`: back-references are escaped (all but alphanumerics and `_`, or the chars).
    pub escape_backrefs: Option<Option<String>>,
    /// `BNP`: spaces in escaped back-references become `%20`, not `+`.
    pub escape_noplus: bool,
    /// `DPI`: the path info is dropped (mapache keeps no separate path info: no effect).
    pub discard_path_info: bool,
    /// `NS`: not applied to subrequests.
    pub nosubreq: bool,
    /// `N[=max]`: start the list again, at most this many rounds.
    pub next_round: Option<u32>,
    /// `S=n`: skip the next n rules when this one matches.
    pub skip: usize,
    /// `E=[!]var[:value]`, in order.
    pub env: Vec<String>,
    /// `CO=…`, in order.
    pub cookies: Vec<String>,
    /// `T=type`.
    pub mime_type: Option<String>,
    /// `H=handler`.
    pub handler: Option<String>,
    /// `UnsafeAllow3F`: a `?` that came from an encoded `%3f` may end up in the query.
    pub unsafe_allow_3f: bool,
    /// `UnsafePrefixStat`: a server-level substitution starting with a back-reference or a
    /// variable may still name a file-system path.
    pub unsafe_prefix_stat: bool,
}

/// Apache's `REWRITE_MAX_ROUNDS`: the default bound of `[N]`.
pub const MAX_ROUNDS: u32 = 10000;

/// What a RewriteCond's flags ask for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CondFlags {
    /// `NC`: compare case-insensitively.
    pub nocase: bool,
    /// `OR`: this condition or the next.
    pub ornext: bool,
    /// `NV`: headers this condition reads are not added to `Vary`.
    pub novary: bool,
}

/// Splits `[a,b=c]` into its flags; `Err` for text without the brackets.
fn split(text: &str, directive: &str) -> Result<Vec<(String, String)>, String> {
    let inner = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .ok_or_else(|| format!("{directive}: bad flag delimiters"))?;
    Ok(inner
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| match f.split_once('=') {
            Some((k, v)) => (k.to_ascii_lowercase(), v.to_owned()),
            None => (f.to_ascii_lowercase(), String::new()),
        })
        .collect())
}

/// Parses a RewriteRule's third argument.
pub fn parse_rule(text: &str) -> Result<RuleFlags, String> {
    let mut f = RuleFlags::default();
    for (key, val) in split(text, "RewriteRule")? {
        if matches!(
            key.as_str(),
            "co" | "cookie" | "e" | "env" | "h" | "handler" | "t" | "type"
        ) && val.is_empty()
        {
            return Err(format!(
                "RewriteRule: the flag '{key}' needs a value ({key}=...)"
            ));
        }
        match key.as_str() {
            "b" => f.escape_backrefs = Some((!val.is_empty()).then_some(val)),
            "bnp" | "backrefnoplus" => f.escape_noplus = true,
            "c" | "chain" => f.chain = true,
            "co" | "cookie" => f.cookies.push(val),
            "dpi" | "discardpath" | "discardpathinfo" => f.discard_path_info = true,
            "e" | "env" => f.env.push(val),
            "end" => f.end = true,
            "f" | "forbidden" => {
                f.status = Some(403);
                f.status_only = true;
            }
            "g" | "gone" => {
                f.status = Some(410);
                f.status_only = true;
            }
            "h" | "handler" => f.handler = Some(val),
            "l" | "last" => f.last = true,
            "n" | "next" => {
                let max = if val.is_empty() {
                    MAX_ROUNDS
                } else {
                    val.parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| format!("RewriteRule: N flag must contain a valid number of rounds, not '{val}'"))?
                };
                f.next_round = Some(max);
            }
            "nc" | "nocase" => f.nocase = true,
            "ne" | "noescape" => f.noescape = true,
            "ns" | "nosubreq" => f.nosubreq = true,
            "p" | "proxy" => {
                return Err(
                    "RewriteRule: the [P] flag needs mod_proxy, which mapache does not have: remove the flag or proxy the path another way"
                        .to_owned(),
                )
            }
            "pt" | "passthrough" => f.passthrough = true,
            "qsa" | "qsappend" => f.qsappend = true,
            "qsd" | "qsdiscard" => f.qsdiscard = true,
            "qsl" | "qslast" => f.qslast = true,
            "r" | "redirect" => {
                f.redirect = true;
                let status = match val.to_ascii_lowercase().as_str() {
                    "" | "temp" => 302,
                    "permanent" => 301,
                    "seeother" => 303,
                    digits => digits
                        .parse::<u16>()
                        .ok()
                        .filter(|s| (100..=599).contains(s) && known_status(*s))
                        .ok_or_else(|| {
                            format!("RewriteRule: invalid HTTP response code '{val}' for flag 'R'")
                        })?,
                };
                if !(300..400).contains(&status) {
                    f.status_only = true;
                }
                f.status = Some(status);
            }
            "s" | "skip" => {
                f.skip = val.parse().map_err(|_| {
                    format!("RewriteRule: the S flag takes a number of rules, not '{val}'")
                })?
            }
            "t" | "type" => f.mime_type = Some(val),
            "unsafeallow3f" => f.unsafe_allow_3f = true,
            "unsafeprefixstat" => f.unsafe_prefix_stat = true,
            "bctls" | "bne" | "qsn" => {
                return Err(format!(
                    "RewriteRule: the flag '{key}' is not supported by mapache yet: remove it"
                ))
            }
            _ => return Err(format!("RewriteRule: unknown flag '{key}'")),
        }
    }
    Ok(f)
}

/// Whether Apache has a reason phrase for `status` (its `ap_index_of_response` check).
fn known_status(status: u16) -> bool {
    matches!(status,
        100..=103 | 200..=208 | 226 | 300..=308 | 400..=418 | 421..=426 | 428 | 429 | 431 | 451
        | 500..=508 | 510 | 511)
}

/// Parses a RewriteCond's third argument.
pub fn parse_cond(text: &str) -> Result<CondFlags, String> {
    let mut f = CondFlags::default();
    for (key, _) in split(text, "RewriteCond")? {
        match key.as_str() {
            "nc" | "nocase" => f.nocase = true,
            "or" | "ornext" => f.ornext = true,
            "nv" | "novary" => f.novary = true,
            _ => return Err(format!("RewriteCond: unknown flag '{key}'")),
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_flags_long_and_short_any_case() {
        let f = parse_rule("[L,NC,QSA,r=301]").unwrap();
        assert!(f.last && f.nocase && f.qsappend && f.redirect);
        assert_eq!(f.status, Some(301));
        assert!(!f.status_only);
        let f = parse_rule("[last,nocase,redirect=permanent]").unwrap();
        assert!(f.last && f.nocase && f.redirect);
        assert_eq!(f.status, Some(301));
        assert_eq!(parse_rule("[R]").unwrap().status, Some(302));
        assert_eq!(parse_rule("[R=seeother]").unwrap().status, Some(303));
        assert_eq!(parse_rule("[R=308]").unwrap().status, Some(308));
    }

    #[test]
    fn status_flags_drop_the_substitution() {
        let f = parse_rule("[F]").unwrap();
        assert_eq!((f.status, f.status_only), (Some(403), true));
        let f = parse_rule("[G]").unwrap();
        assert_eq!((f.status, f.status_only), (Some(410), true));
        let f = parse_rule("[R=404]").unwrap();
        assert_eq!((f.status, f.status_only), (Some(404), true));
    }

    #[test]
    fn values_are_kept_in_order() {
        let f = parse_rule("[E=a:1,E=!b,CO=n:v:.example.com,T=text/plain,H=h,S=2,N=5]").unwrap();
        assert_eq!(f.env, ["a:1", "!b"]);
        assert_eq!(f.cookies, ["n:v:.example.com"]);
        assert_eq!(f.mime_type.as_deref(), Some("text/plain"));
        assert_eq!(f.handler.as_deref(), Some("h"));
        assert_eq!((f.skip, f.next_round), (2, Some(5)));
        assert_eq!(parse_rule("[N]").unwrap().next_round, Some(MAX_ROUNDS));
        assert_eq!(parse_rule("[B]").unwrap().escape_backrefs, Some(None));
        assert_eq!(
            parse_rule("[B= ?]").unwrap().escape_backrefs,
            Some(Some(" ?".into()))
        );
    }

    #[test]
    fn apaches_errors() {
        assert_eq!(
            parse_rule("L").unwrap_err(),
            "RewriteRule: bad flag delimiters"
        );
        assert_eq!(
            parse_rule("[X]").unwrap_err(),
            "RewriteRule: unknown flag 'x'"
        );
        assert_eq!(
            parse_rule("[R=299]").unwrap_err(),
            "RewriteRule: invalid HTTP response code '299' for flag 'R'"
        );
        assert!(parse_rule("[P]").unwrap_err().contains("needs mod_proxy"));
        assert!(parse_rule("[S=x]").is_err());
        assert!(parse_rule("[E=]").is_err());
        assert_eq!(
            parse_cond("[NC,XX]").unwrap_err(),
            "RewriteCond: unknown flag 'xx'"
        );
    }

    #[test]
    fn cond_flags() {
        let f = parse_cond("[nc,OR]").unwrap();
        assert!(f.nocase && f.ornext && !f.novary);
        assert!(parse_cond("[NV]").unwrap().novary);
    }
}
