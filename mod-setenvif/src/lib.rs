//! # mod-setenvif
//!
//! Apache's mod_setenvif: `SetEnvIf`, `SetEnvIfNoCase`, `BrowserMatch` and
//! `BrowserMatchNoCase` set and unset variables of the request's environment
//! (`MAPACHE_TABLE_ENV`) when a request attribute matches a regular expression. As in Apache,
//! the server level's lines run in `post_read_request` (before the URL is mapped; `Request_URI`
//! is then the path as sent), the lines of `<Location>`/`<Directory>` sections first in the
//! access phase (Apache's `header_parser`; `Request_URI` is the decoded path), so `Require env`
//! sees what they set. Lines run in file order, each seeing what earlier ones set.
//!
//! Expressions are the `regex` crate's, on bytes with ASCII classes as PCRE's defaults; a
//! pattern it cannot express (look-around, back-references) is refused at `-t` with its line.
//! `SetEnvIfExpr` takes Apache's expression language through the core's expression engine
//! (ABI 1.6); a value naming the expression's regex groups (`$1`) is refused at `-t`.

mod rule;

use mapache_plugin_api::{mapache_module, sdk::*};
use rule::{substitute, Action, Attribute, Condition, Rule};

/// The lines of one scope. The server level's and the sections' are kept apart: they run in
/// different phases.
#[derive(Clone, Debug, Default)]
struct SetEnvIfConfig {
    /// Lines outside any section (only the server-level object has them).
    server: Vec<Rule>,
    /// Lines inside sections, least specific section first once merged.
    section: Vec<Rule>,
}

impl ModuleConfig for SetEnvIfConfig {
    fn set(&mut self, scope: Scope, name: &str, args: &[&str]) -> Result<(), String> {
        let rule = if name.eq_ignore_ascii_case("SetEnvIfExpr") {
            Rule::parse_expr(args)?
        } else {
            Rule::parse(name, args)?
        };
        match scope {
            Scope::Server => self.server.push(rule),
            Scope::Section => self.section.push(rule),
        }
        Ok(())
    }

    fn merge(parent: &Self, child: &Self) -> Self {
        let mut section = parent.section.clone();
        section.extend(child.section.iter().cloned());
        SetEnvIfConfig {
            server: parent.server.clone(),
            section,
        }
    }
}

/// The module's value: the server level's lines, taken from its configuration in `init`.
struct SetEnvIf {
    server_rules: Vec<Rule>,
}

impl HandlerModule for SetEnvIf {
    fn init(config: &Config<'_>) -> Result<Self, String> {
        let server_rules = config
            .module_config::<SetEnvIfConfig>()
            .map(|c| c.server.clone())
            .unwrap_or_default();
        Ok(SetEnvIf { server_rules })
    }
}

/// Which `Request_URI` a phase sees.
#[derive(Clone, Copy)]
enum UriForm {
    /// The path as sent (post_read_request, before decoding).
    AsSent,
    /// The decoded, normalized path.
    Decoded,
}

impl PostReadRequest for SetEnvIf {
    fn post_read_request(&self, req: &mut Request<'_>) -> Verdict {
        apply(&self.server_rules, req, UriForm::AsSent)
    }
}

impl Access for SetEnvIf {
    // Before every other access hook, as Apache's header_parser runs before access checks.
    const ORDER: HookOrder = HookOrder::new(order::REALLY_FIRST);

    fn access(&self, req: &mut Request<'_>) -> Verdict {
        match req.module_config::<SetEnvIfConfig>() {
            Some(config) => apply(&config.section, req, UriForm::Decoded),
            None => Verdict::Declined,
        }
    }
}

/// Runs `rules` in order on the request.
fn apply(rules: &[Rule], req: &mut Request<'_>, uri: UriForm) -> Verdict {
    for rule in rules {
        let value;
        let caps = match &rule.condition {
            Condition::Match { attribute, pattern } => {
                // An absent attribute is the empty string, so `^$` matches a missing header.
                value = attribute_value(attribute, req, uri).unwrap_or_default();
                let Some(caps) = pattern.captures(&value) else {
                    continue;
                };
                Some(caps)
            }
            Condition::Expr(expr) => match expr.eval(req) {
                Ok(true) => None,
                Ok(false) => continue,
                Err(e) => {
                    req.log(Level::Error, &format!("Error evaluating SetEnvIfExpr: {e}"));
                    continue;
                }
            },
        };
        for action in &rule.actions {
            let done = match action {
                Action::Set(name, template) => match &caps {
                    Some(caps) => req.table_set(Table::Env, name, &substitute(template, caps)),
                    None => req.table_set(Table::Env, name, template),
                },
                Action::Unset(name) => req.table_unset(Table::Env, name),
            };
            if let Err(e) = done {
                req.log(Level::Error, &format!("SetEnvIf: {e:?}"));
                return Verdict::Error;
            }
        }
    }
    Verdict::Declined
}

/// The value a line matches against.
fn attribute_value(attribute: &Attribute, req: &Request<'_>, uri: UriForm) -> Option<Vec<u8>> {
    let text = |s: &str| Some(s.as_bytes().to_vec());
    match attribute {
        Attribute::RemoteHost | Attribute::RemoteAddr => text(req.client_ip()),
        Attribute::ServerAddr => text(req.local_ip()),
        Attribute::RequestMethod => text(req.method()),
        Attribute::RequestProtocol => text(req.protocol()),
        Attribute::RequestUri => match uri {
            UriForm::AsSent => text(path_as_sent(req.uri())),
            UriForm::Decoded => Some(req.path().to_vec()),
        },
        Attribute::Named(name) => req
            .header_bytes(name)
            .map(<[u8]>::to_vec)
            .or_else(|| req.table_bytes(Table::Env, name).map(<[u8]>::to_vec)),
        Attribute::HeaderNames(names) => req
            .headers()
            .into_iter()
            .rev()
            .find(|(n, _)| names.is_match(n))
            .map(|(_, v)| v.to_vec()),
    }
}

/// The path of a request target as sent: without the query, and without the scheme and
/// authority of an absolute form.
fn path_as_sent(target: &str) -> &str {
    let target = target.split(['?', '#']).next().unwrap_or("");
    match target.find("://") {
        Some(i) if !target.starts_with('/') => {
            let rest = &target[i + 3..];
            rest.find('/').map_or("/", |slash| &rest[slash..])
        }
        _ => target,
    }
}

mapache_module! {
    symbol: setenvif_module,
    name: "setenvif",
    handler: SetEnvIf,
    directives: [
        ("SetEnvIf", RAW_ARGS, ANY | FILEINFO, "A header-name, regex and a list of variables."),
        ("SetEnvIfNoCase", RAW_ARGS, ANY | FILEINFO, "a header-name, regex and a list of variables."),
        ("BrowserMatch", RAW_ARGS, ANY | FILEINFO, "A browser regex and a list of variables."),
        ("BrowserMatchNoCase", RAW_ARGS, ANY | FILEINFO, "A browser regex and a list of variables."),
        ("SetEnvIfExpr", RAW_ARGS, ANY | FILEINFO, "an expression and a list of variables"),
    ],
    config: SetEnvIfConfig,
    hooks: [PostReadRequest, Access],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_uri_as_sent() {
        assert_eq!(path_as_sent("/a%20b?x=1"), "/a%20b");
        assert_eq!(path_as_sent("http://h:8/p/q?x"), "/p/q");
        assert_eq!(path_as_sent("http://h"), "/");
        assert_eq!(path_as_sent("*"), "*");
    }
}
