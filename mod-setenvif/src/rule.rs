//! One `SetEnvIf`-family line: what it looks at, the regular expression, and what it does to
//! the environment when the expression matches, with Apache's grammar and messages.

use mapache_plugin_api::sdk::expr::{Expr, ExprKind};
use regex::bytes::{Captures, Regex, RegexBuilder};
use std::sync::Arc;

/// What a line matches its expression against (Apache's names compare case-insensitively).
#[derive(Clone, Debug)]
pub enum Attribute {
    /// `Remote_Host`: the client's name; without host name lookups its address, as Apache.
    RemoteHost,
    /// `Remote_Addr`
    RemoteAddr,
    /// `Server_Addr`
    ServerAddr,
    /// `Request_Method`
    RequestMethod,
    /// `Request_Protocol`
    RequestProtocol,
    /// `Request_URI`: the path, without the query string.
    RequestUri,
    /// A request header of this name; when the request has none, the environment variable of
    /// this name (one an earlier line or module set).
    Named(String),
    /// A regular expression on header names (a name with characters other than letters,
    /// digits, `-` and `_`): the value of the last header whose name matches.
    HeaderNames(Regex),
}

impl Attribute {
    fn parse(name: &str, directive: &str) -> Result<Attribute, String> {
        let specials = [
            ("Remote_Host", Attribute::RemoteHost),
            ("Remote_Addr", Attribute::RemoteAddr),
            ("Server_Addr", Attribute::ServerAddr),
            ("Request_Method", Attribute::RequestMethod),
            ("Request_Protocol", Attribute::RequestProtocol),
            ("Request_URI", Attribute::RequestUri),
        ];
        if let Some((_, a)) = specials
            .into_iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(name))
        {
            return Ok(a);
        }
        if name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Ok(Attribute::Named(name.to_owned()));
        }
        Ok(Attribute::HeaderNames(compile(name, true, directive)?))
    }
}

/// What a line does to one variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// `var` (value `1`) or `var=value`; `$1`…`$9` and `&`/`$0` in the value are replaced by the
    /// match's groups.
    Set(String, String),
    /// `!var`
    Unset(String),
}

impl Action {
    fn parse(word: &str) -> Action {
        if let Some(name) = word.strip_prefix('!') {
            return Action::Unset(name.to_owned());
        }
        match word.split_once('=') {
            // Apache stores `!var` as the value `!`, so `var=!` unsets too.
            Some((name, "!")) => Action::Unset(name.to_owned()),
            Some((name, value)) => Action::Set(name.to_owned(), value.to_owned()),
            None => Action::Set(word.to_owned(), "1".to_owned()),
        }
    }
}

/// One line.
#[derive(Clone, Debug)]
pub struct Rule {
    /// When the actions apply.
    pub condition: Condition,
    pub actions: Vec<Action>,
}

/// When a line's actions apply.
#[derive(Clone, Debug)]
pub enum Condition {
    /// `SetEnvIf` and `BrowserMatch`: the attribute matches the expression.
    Match {
        attribute: Attribute,
        pattern: Regex,
    },
    /// `SetEnvIfExpr`: Apache's expression (the core's ap_expr) is true.
    Expr(Arc<Expr>),
}

impl Rule {
    /// Parses a line of `directive` (as declared): `SetEnvIf attribute regex action…`, or for
    /// `BrowserMatch` `regex action…` on `User-Agent`.
    pub fn parse(directive: &str, args: &[&str]) -> Result<Rule, String> {
        let browser = directive.to_ascii_lowercase().starts_with("browsermatch");
        let no_case = directive.to_ascii_lowercase().ends_with("nocase");
        let (attribute, rest) = if browser {
            (Attribute::Named("User-Agent".to_owned()), args)
        } else {
            let Some((name, rest)) = args.split_first() else {
                return Err(format!("Missing header-field name for {directive}"));
            };
            (Attribute::parse(name, directive)?, rest)
        };
        let Some((regex, actions)) = rest.split_first() else {
            return Err(format!("Missing regular expression for {directive}"));
        };
        if actions.is_empty() {
            return Err(format!("Missing envariable expression for {directive}"));
        }
        Ok(Rule {
            condition: Condition::Match {
                attribute,
                pattern: compile(regex, no_case, directive)?,
            },
            actions: actions.iter().map(|w| Action::parse(w)).collect(),
        })
    }

    /// Parses `SetEnvIfExpr expression action…`. The expression's regex groups do not reach
    /// the module through the ABI, so a value using `$N` is refused rather than set wrong.
    pub fn parse_expr(args: &[&str]) -> Result<Rule, String> {
        let Some((text, actions)) = args.split_first() else {
            return Err("Missing expression for SetEnvIfExpr".to_owned());
        };
        if actions.is_empty() {
            return Err("Missing envariable expression for SetEnvIfExpr".to_owned());
        }
        let expr = Expr::parse(text, ExprKind::Bool)
            .map_err(|e| format!("Could not parse expression \"{text}\": {e}"))?;
        let actions: Vec<Action> = actions.iter().map(|w| Action::parse(w)).collect();
        let grouped = actions.iter().any(|a| match a {
            Action::Set(_, value) => has_group(value),
            Action::Unset(_) => false,
        });
        if grouped {
            return Err("SetEnvIfExpr: $0-$9 in a value (the expression's regex groups) are not supported: set the value with SetEnvIf and its regex".to_owned());
        }
        Ok(Rule {
            condition: Condition::Expr(Arc::new(expr)),
            actions,
        })
    }
}

#[cfg(test)]
impl Rule {
    fn attribute(&self) -> &Attribute {
        match &self.condition {
            Condition::Match { attribute, .. } => attribute,
            Condition::Expr(_) => panic!("an expression rule"),
        }
    }

    fn pattern(&self) -> &Regex {
        match &self.condition {
            Condition::Match { pattern, .. } => pattern,
            Condition::Expr(_) => panic!("an expression rule"),
        }
    }
}

/// Whether `value` names a regex group (`$0`…`$9` or `&`, not escaped).
fn has_group(value: &str) -> bool {
    let b = value.as_bytes();
    (0..b.len()).any(|i| {
        let escaped = i > 0 && b[i - 1] == b'\\';
        !escaped && (b[i] == b'&' || (b[i] == b'$' && b.get(i + 1).is_some_and(u8::is_ascii_digit)))
    })
}

/// Compiles an expression with PCRE's defaults as Apache uses them (bytes, ASCII classes). A
/// pattern the `regex` crate cannot express (look-around, back-references) is refused here, so
/// `-t` names it.
fn compile(pattern: &str, no_case: bool, directive: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .case_insensitive(no_case)
        .build()
        .map_err(|e| {
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
            format!("{directive} regex could not be compiled: '{pattern}': {why}")
        })
}

/// `value` with Apache's `ap_pregsub` replacements: `$0`…`$9` and `&` are the match's groups
/// (empty when a group took no part), `\$` and `\&` stand for themselves.
pub fn substitute(value: &str, caps: &Captures<'_>) -> String {
    if !value.contains(['$', '&']) {
        return value.to_owned();
    }
    let group = |n: usize| {
        caps.get(n)
            .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
            .unwrap_or_default()
    };
    let mut out = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('$' | '&')) => out.extend(chars.next()),
            '&' => out.push_str(&group(0)),
            '$' if chars.peek().is_some_and(char::is_ascii_digit) => {
                let n = chars.next().and_then(|d| d.to_digit(10)).unwrap_or(0);
                out.push_str(&group(n as usize));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar_and_apaches_messages() {
        assert_eq!(
            Rule::parse("SetEnvIf", &[]).unwrap_err(),
            "Missing header-field name for SetEnvIf"
        );
        assert_eq!(
            Rule::parse("SetEnvIf", &["User-Agent"]).unwrap_err(),
            "Missing regular expression for SetEnvIf"
        );
        assert_eq!(
            Rule::parse("BrowserMatch", &["x"]).unwrap_err(),
            "Missing envariable expression for BrowserMatch"
        );
        let e = Rule::parse("SetEnvIf", &["User-Agent", "(", "x"]).unwrap_err();
        assert!(
            e.starts_with("SetEnvIf regex could not be compiled: '(': "),
            "{e}"
        );
        assert!(!e.contains('\n'));
        let e = Rule::parse("SetEnvIf", &["User-Agent", "a(?=b)", "x"]).unwrap_err();
        assert!(e.contains("look-around"), "{e}");
        let e = Rule::parse("SetEnvIf", &["User-Agent", "(a)\\1", "x"]).unwrap_err();
        assert!(e.contains("backreferences"), "{e}");

        let r = Rule::parse("SetEnvIf", &["request_uri", "x", "A", "!B", "C=v=w", "D=!"]).unwrap();
        assert!(matches!(r.attribute(), Attribute::RequestUri));
        assert_eq!(
            r.actions,
            [
                Action::Set("A".into(), "1".into()),
                Action::Unset("B".into()),
                Action::Set("C".into(), "v=w".into()),
                Action::Unset("D".into()),
            ]
        );
        let r = Rule::parse("SetEnvIf", &["X-Plain_Name-1", "x", "A"]).unwrap();
        assert!(matches!(r.attribute(), Attribute::Named(ref n) if n == "X-Plain_Name-1"));
        let r = Rule::parse("SetEnvIf", &["^X-Fo.", "x", "A"]).unwrap();
        let Attribute::HeaderNames(names) = r.attribute() else {
            panic!("a header-name expression")
        };
        // Header names match case-insensitively.
        assert!(names.is_match(b"x-foo"));
        let r = Rule::parse("BrowserMatchNoCase", &["^curl", "A"]).unwrap();
        assert!(matches!(r.attribute(), Attribute::Named(ref n) if n == "User-Agent"));
        assert!(r.pattern().is_match(b"CURL/8"));
        let r = Rule::parse("BrowserMatch", &["^curl", "A"]).unwrap();
        assert!(!r.pattern().is_match(b"CURL/8"));
        // Debian's setenvif.conf.
        let r = Rule::parse("BrowserMatch", &["MSIE 4\\.0b2;", "nokeepalive"]).unwrap();
        assert!(r
            .pattern()
            .is_match(b"Mozilla/4.0 (compatible; MSIE 4.0b2; Windows 95)"));
        assert!(!r.pattern().is_match(b"MSIE 4x0b2;"));
    }

    #[test]
    fn back_references_in_values() {
        let re = Regex::new("^(cu)(r)l/([0-9]+)(x)?").unwrap();
        let caps = re.captures(b"curl/8.5").unwrap();
        assert_eq!(substitute("$1-$3", &caps), "cu-8");
        assert_eq!(
            substitute("[&] [$0] [$4] [$9]", &caps),
            "[curl/8] [curl/8] [] []"
        );
        assert_eq!(substitute("\\$1 \\& $", &caps), "$1 & $");
        assert_eq!(substitute("plain", &caps), "plain");
    }
}
