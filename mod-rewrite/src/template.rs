//! A RewriteRule substitution or a RewriteCond TestString, parsed once when the configuration
//! is read and expanded per request as Apache's `do_expand`: `\c` is `c`, `$N` the rule's
//! group N, `%N` the last matching condition's group N, `%{VAR}` a variable (`%{HTTP:h}`,
//! `%{ENV:v}`, `%{SSL:v}`, or a server/request variable), `${map:key|default}` a RewriteMap
//! lookup whose key and default are expanded too.

/// A `%{...}` variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Var {
    /// `%{HTTP:name}`: a request header.
    Http(String),
    /// `%{ENV:name}`: the request's environment, then the process's.
    Env(String),
    /// `%{SSL:name}`: empty until mapache speaks TLS.
    Ssl(String),
    /// A server or request variable (`REQUEST_URI`, `HTTP_HOST`, `TIME`…).
    Named(String),
}

/// One piece of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    RuleRef(usize),
    CondRef(usize),
    Var(Var),
    Map {
        name: String,
        key: Template,
        default: Option<Template>,
    },
}

/// A parsed template.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Template {
    pieces: Vec<Piece>,
}

/// The groups of one match: the subject and each group's span (None: took no part).
#[derive(Clone, Debug, Default)]
pub struct Backrefs {
    /// What was matched.
    pub source: String,
    /// Group 0 (the whole match) first.
    pub spans: Vec<Option<(usize, usize)>>,
}

impl Backrefs {
    /// Group `n`, empty when it took no part or does not exist.
    pub fn group(&self, n: usize) -> &str {
        match self.spans.get(n).copied().flatten() {
            Some((s, e)) if e > s => self.source.get(s..e).unwrap_or(""),
            _ => "",
        }
    }
}

/// What expansion asks of the request.
pub trait Resolve {
    /// The value of a variable (empty when unknown or unset).
    fn var(&mut self, var: &Var) -> String;
    /// A RewriteMap lookup (`None`: no value, use the default).
    fn map(&mut self, name: &str, key: &str) -> Option<String>;
}

/// How back-references are put in: as they are, or escaped (`[B]`, `[BNP]`).
#[derive(Clone, Copy, Debug, Default)]
pub struct RefEscape<'a> {
    /// `Some` with `[B]`: the characters to escape (`None`: all but alphanumerics).
    pub escape: Option<Option<&'a str>>,
    /// `[BNP]`.
    pub noplus: bool,
}

/// Finds the `}` closing the `{` just before `s` (nested braces counted).
fn closing_curly(s: &str) -> Option<usize> {
    let mut depth = 1;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The first `c` of `s` outside nested braces.
fn char_outside_curlies(s: &str, c: char) -> Option<usize> {
    let mut depth = 0;
    for (i, ch) in s.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ if ch == c && depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

impl Template {
    /// Parses `text`; `Err` for what mapache cannot expand (`%{LA-U:…}`), naming it.
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            let next = rest[c.len_utf8()..].chars().next();
            match (c, next) {
                ('\\', Some(n)) => {
                    lit.push(n);
                    rest = &rest[1 + n.len_utf8()..];
                    continue;
                }
                ('$' | '%', Some(d)) if d.is_ascii_digit() => {
                    flush(&mut lit, &mut pieces);
                    let n = usize::from(d as u8 - b'0');
                    pieces.push(if c == '$' {
                        Piece::RuleRef(n)
                    } else {
                        Piece::CondRef(n)
                    });
                    rest = &rest[2..];
                    continue;
                }
                ('$', Some('{')) => {
                    if let Some(end) = closing_curly(&rest[2..]) {
                        let inner = &rest[2..2 + end];
                        if let Some(colon) = char_outside_curlies(inner, ':') {
                            let (name, spec) = (&inner[..colon], &inner[colon + 1..]);
                            let (key, default) = match char_outside_curlies(spec, '|') {
                                Some(bar) => (&spec[..bar], Some(&spec[bar + 1..])),
                                None => (spec, None),
                            };
                            flush(&mut lit, &mut pieces);
                            pieces.push(Piece::Map {
                                name: name.to_owned(),
                                key: Template::parse(key)?,
                                default: default.map(Template::parse).transpose()?,
                            });
                            rest = &rest[2 + end + 1..];
                            continue;
                        }
                    }
                }
                ('%', Some('{')) => {
                    if let Some(end) = closing_curly(&rest[2..]) {
                        let name = &rest[2..2 + end];
                        flush(&mut lit, &mut pieces);
                        pieces.push(Piece::Var(variable(name)?));
                        rest = &rest[2 + end + 1..];
                        continue;
                    }
                }
                _ => {}
            }
            lit.push(c);
            rest = &rest[c.len_utf8()..];
        }
        flush(&mut lit, &mut pieces);
        Ok(Template { pieces })
    }

    /// The maps this template (and its keys and defaults) look up.
    pub fn map_names(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for p in &self.pieces {
            if let Piece::Map { name, key, default } = p {
                out.push(name.as_str());
                out.extend(key.map_names());
                if let Some(d) = default {
                    out.extend(d.map_names());
                }
            }
        }
        out
    }

    /// Whether the template starts with a back-reference or a variable (Apache 2.4.60's
    /// test for a substitution that must not name a file-system path without
    /// `UnsafePrefixStat`).
    pub fn starts_with_expansion(&self) -> bool {
        !matches!(self.pieces.first(), None | Some(Piece::Text(_)))
    }

    /// The expanded text.
    pub fn expand(
        &self,
        rule: Option<&Backrefs>,
        cond: Option<&Backrefs>,
        esc: RefEscape<'_>,
        resolve: &mut dyn Resolve,
    ) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::RuleRef(n) | Piece::CondRef(n) => {
                    let refs = if matches!(p, Piece::RuleRef(_)) {
                        rule
                    } else {
                        cond
                    };
                    let value = refs.map_or("", |r| r.group(*n));
                    match esc.escape {
                        Some(only) => out.push_str(&crate::escape::escape_backref(
                            value.as_bytes(),
                            only,
                            esc.noplus,
                        )),
                        None => out.push_str(value),
                    }
                }
                Piece::Var(v) => out.push_str(&resolve.var(v)),
                Piece::Map { name, key, default } => {
                    let k = key.expand(rule, cond, esc, resolve);
                    match resolve.map(name, &k) {
                        Some(v) if !v.is_empty() => out.push_str(&v),
                        _ => {
                            if let Some(d) = default {
                                out.push_str(&d.expand(rule, cond, esc, resolve));
                            }
                        }
                    }
                }
            }
        }
        out
    }
}

fn flush(lit: &mut String, pieces: &mut Vec<Piece>) {
    if !lit.is_empty() {
        pieces.push(Piece::Text(std::mem::take(lit)));
    }
}

/// The variable `%{name}` names.
fn variable(name: &str) -> Result<Var, String> {
    if let Some((prefix, rest)) = name.split_once(':') {
        match prefix.to_ascii_uppercase().as_str() {
            "HTTP" => return Ok(Var::Http(rest.to_owned())),
            "ENV" => return Ok(Var::Env(rest.to_owned())),
            "SSL" => return Ok(Var::Ssl(rest.to_owned())),
            "LA-U" | "LA-F" => {
                return Err(format!(
                    "%{{{name}}}: look-ahead variables (LA-U, LA-F) are not supported by mapache yet: use the variable itself"
                ))
            }
            _ => {}
        }
    }
    Ok(Var::Named(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Fake(HashMap<String, String>);

    impl Resolve for Fake {
        fn var(&mut self, var: &Var) -> String {
            let key = match var {
                Var::Http(h) => format!("http:{}", h.to_ascii_lowercase()),
                Var::Env(e) => format!("env:{e}"),
                Var::Ssl(_) => return String::new(),
                Var::Named(n) => n.clone(),
            };
            self.0.get(&key).cloned().unwrap_or_default()
        }
        fn map(&mut self, name: &str, key: &str) -> Option<String> {
            self.0.get(&format!("{name}/{key}")).cloned()
        }
    }

    fn fake() -> Fake {
        Fake(HashMap::from([
            ("HTTP_HOST".into(), "example.com".into()),
            ("http:x-a".into(), "A".into()),
            ("env:E".into(), "e".into()),
            ("m/k-A".into(), "mapped".into()),
        ]))
    }

    fn refs(source: &str, spans: &[Option<(usize, usize)>]) -> Backrefs {
        Backrefs {
            source: source.into(),
            spans: spans.to_vec(),
        }
    }

    #[test]
    fn backrefs_variables_and_escapes() {
        let t =
            Template::parse(r"/x/$1/%1/%{HTTP_HOST}/%{HTTP:X-A}/%{ENV:E}/\$1/%{SSL:X}/$9").unwrap();
        let rule = refs("ab", &[Some((0, 2)), Some((1, 2))]);
        let cond = refs("cd", &[Some((0, 2)), Some((0, 1))]);
        let s = t.expand(Some(&rule), Some(&cond), RefEscape::default(), &mut fake());
        assert_eq!(s, "/x/b/c/example.com/A/e/$1//");
    }

    #[test]
    fn maps_with_defaults_and_expanded_keys() {
        let t = Template::parse("${m:k-%{HTTP:X-A}|none}:${m:zz|d-$1}:${m:zz}").unwrap();
        let rule = refs("q", &[Some((0, 1)), Some((0, 1))]);
        assert_eq!(
            t.expand(Some(&rule), None, RefEscape::default(), &mut fake()),
            "mapped:d-q:"
        );
        assert_eq!(t.map_names(), ["m", "m", "m"]);
    }

    #[test]
    fn unterminated_forms_are_text() {
        let t = Template::parse("%{HTTP_HOST$%x${nomap}").unwrap();
        assert_eq!(
            t.expand(None, None, RefEscape::default(), &mut fake()),
            "%{HTTP_HOST$%x${nomap}"
        );
        assert!(Template::parse("%{LA-U:REMOTE_USER}").is_err());
    }

    #[test]
    fn b_escapes_backrefs_only() {
        let t = Template::parse("/s?q=$1&x=a b").unwrap();
        let rule = refs("a b&c", &[Some((0, 5)), Some((0, 5))]);
        let esc = RefEscape {
            escape: Some(None),
            noplus: false,
        };
        assert_eq!(
            t.expand(Some(&rule), None, esc, &mut fake()),
            "/s?q=a+b%26c&x=a b"
        );
    }

    #[test]
    fn prefix_tests() {
        assert!(Template::parse("$1/x").unwrap().starts_with_expansion());
        assert!(Template::parse("%{DOCUMENT_ROOT}/x")
            .unwrap()
            .starts_with_expansion());
        assert!(!Template::parse("/x/$1").unwrap().starts_with_expansion());
    }
}
