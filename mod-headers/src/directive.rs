//! One `Header` or `RequestHeader` line read as Apache's header_cmd and header_inout_cmd read
//! it, with their error messages: the optional `always`/`onsuccess`, the action, the header,
//! the value (or, for `edit`, the pattern and its replacement) and the condition.

use crate::format::Format;
use mapache_plugin_api::sdk::expr::{Expr, ExprKind};
use mapache_plugin_api::sdk::Scope;
use pcre2::bytes::{Regex, RegexBuilder};
use std::sync::Arc;

/// The list a line goes into (Apache's fixup_in, fixup_out and fixup_err).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum List {
    /// `RequestHeader`: the request's headers, in fixups.
    Request,
    /// `Header` or `Header onsuccess`: `headers_out`, on the responses that do not take
    /// Apache's error path.
    OnSuccess,
    /// `Header always`: `err_headers_out`, on every response, errors and redirects included.
    Always,
}

/// What a line does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `set`: replaces every field of the name.
    Set,
    /// `setifempty`: sets the field when there is none.
    SetIfEmpty,
    /// `add`: one more field, whatever is there.
    Add,
    /// `append`: `, value` after the first field's value, or a new field.
    Append,
    /// `merge`: as `append`, unless the value is already one of the field's tokens.
    Merge,
    /// `unset`: removes every field of the name.
    Unset,
    /// `echo`: the request's fields whose names match the pattern, copied to the response.
    Echo,
    /// `edit` (first match of each value) and `edit*` (every match).
    Edit {
        /// `edit*`.
        every: bool,
    },
    /// `note`: the field's value kept as the request note the value names.
    Note,
}

/// When a line applies.
#[derive(Clone, Debug)]
pub enum Condition {
    /// Always (in its phase).
    Always,
    /// `early`: in post_read_request, before the request's sections are known.
    Early,
    /// `env=VAR` (set) or `env=!VAR` (not set).
    Env {
        /// The variable's name.
        name: String,
        /// `!`: the line applies when it is not set.
        negated: bool,
    },
    /// `expr=…`: the expression holds (an expression that fails to evaluate is logged and the
    /// line applies, as Apache's "ignoring").
    Expr(Arc<Expr>),
}

/// What a line writes.
#[derive(Clone, Debug)]
pub enum Value {
    /// Text and format tags.
    Format(Format),
    /// `expr=…`: a string expression (empty, and logged, when it fails).
    Expr(Arc<Expr>),
}

/// One line, parsed.
#[derive(Clone, Debug)]
pub struct Entry {
    /// What it does.
    pub action: Action,
    /// The header's name (anything from a `:` on dropped, as Apache does).
    pub header: String,
    /// The value (for `edit`, the replacement); empty for `unset` and `echo`.
    pub value: Value,
    /// `edit`'s pattern, or `echo`'s (matched against the request's header names).
    pub regex: Option<Regex>,
    /// When it applies.
    pub condition: Condition,
}

/// Compiles a pattern as Apache's ap_pregcomp with its default options (the dot matches a
/// newline too).
fn compile(pattern: &str) -> Result<Regex, pcre2::Error> {
    RegexBuilder::new()
        .dotall(true)
        .jit_if_available(true)
        .build(pattern)
}

fn action(word: &str) -> Option<Action> {
    let lower = word.to_ascii_lowercase();
    Some(match lower.as_str() {
        "set" => Action::Set,
        "setifempty" => Action::SetIfEmpty,
        "add" => Action::Add,
        "append" => Action::Append,
        "merge" => Action::Merge,
        "unset" => Action::Unset,
        "echo" => Action::Echo,
        "edit" => Action::Edit { every: false },
        "edit*" => Action::Edit { every: true },
        "note" => Action::Note,
        _ => return None,
    })
}

/// Parses one line of `directive` (`Header` or `RequestHeader`) with its arguments, written
/// at `scope`. `Err` is one line, Apache's words where Apache refuses it too.
pub fn parse(directive: &str, args: &[&str], scope: Scope) -> Result<(List, Entry), String> {
    let is_header = directive.eq_ignore_ascii_case("Header");
    let mut words = args.iter().copied();
    let mut first = words.next().unwrap_or("");
    let mut list = if is_header {
        List::OnSuccess
    } else {
        List::Request
    };
    if is_header && first.eq_ignore_ascii_case("always") {
        list = List::Always;
        first = words.next().unwrap_or("");
    } else if is_header && first.eq_ignore_ascii_case("onsuccess") {
        first = words.next().unwrap_or("");
    }
    let header = words.next().unwrap_or("");
    let value = words.next();
    let subs = words.next();
    let mut envclause = words.next();
    if words.next().is_some() {
        return Err(format!("{directive} has too many arguments"));
    }
    let Some(action) = action(first) else {
        return Err("first argument must be 'add', 'set', 'setifempty', 'append', 'merge', 'unset', 'echo', 'note', 'edit', or 'edit*'.".to_owned());
    };
    let mut regex = None;
    let mut value = value;
    let mut format_text = None;
    match action {
        Action::Edit { .. } => {
            let (Some(pattern), Some(subs)) = (value, subs) else {
                return Err("Header edit requires a match and a substitution".to_owned());
            };
            regex = Some(
                compile(pattern)
                    .map_err(|e| format!("Header edit regex could not be compiled: {e}"))?,
            );
            format_text = Some(subs);
        }
        _ => {
            // No substitution: the fourth word was the condition.
            if envclause.is_some() {
                return Err("Too many arguments to directive".to_owned());
            }
            envclause = subs;
        }
    }
    match action {
        Action::Unset => {
            if let Some(v) = value.take() {
                if envclause.is_some() {
                    return Err("header unset takes two arguments".to_owned());
                }
                envclause = Some(v);
            }
        }
        Action::Echo => {
            if let Some(v) = value.take() {
                if envclause.is_some() {
                    return Err("Header echo takes two arguments".to_owned());
                }
                envclause = Some(v);
            }
            if !is_header {
                return Err("Header echo only valid on Header directives".to_owned());
            }
            regex = Some(
                compile(header)
                    .map_err(|e| format!("Header echo regex could not be compiled: {e}"))?,
            );
        }
        Action::Edit { .. } => {}
        _ => match value {
            Some(v) => format_text = Some(v),
            None => return Err("Header requires three arguments".to_owned()),
        },
    }
    if header.is_empty() {
        return Err(format!("{directive} {first}: the header's name is missing"));
    }
    let condition = match envclause {
        None => Condition::Always,
        Some(c) if c.eq_ignore_ascii_case("early") => {
            if scope == Scope::Section {
                return Err(format!(
                    "{directive} ... early: 'early' is only valid at server or virtual host level (it runs before the request's sections are known); move the line out of the section"
                ));
            }
            Condition::Early
        }
        Some(c) if c.len() >= 4 && c[..4].eq_ignore_ascii_case("env=") => {
            let var = &c[4..];
            if var.is_empty() || var == "!" {
                return Err("error: missing environment variable name. envclause should be in the form env=envar ".to_owned());
            }
            match var.strip_prefix('!') {
                Some(name) => Condition::Env {
                    name: name.to_owned(),
                    negated: true,
                },
                None => Condition::Env {
                    name: var.to_owned(),
                    negated: false,
                },
            }
        }
        Some(c) if c.len() >= 5 && c[..5].eq_ignore_ascii_case("expr=") => {
            let expr = Expr::parse(&c[5..], ExprKind::Bool)
                .map_err(|e| format!("Can't parse envclause/expression: {e}"))?;
            Condition::Expr(Arc::new(expr))
        }
        Some(c) => return Err(format!("Unknown parameter: {c}")),
    };
    let value = match format_text {
        Some(text) if text.starts_with("expr=") => {
            let expr = Expr::parse(&text[5..], ExprKind::String)
                .map_err(|e| format!("Can't parse value expression : {e}"))?;
            Value::Expr(Arc::new(expr))
        }
        Some(text) => Value::Format(Format::parse(text)?),
        None => Value::Format(Format::default()),
    };
    // As Apache: a name written with its colon (`X-Foo:`) loses it and what follows.
    let header = header.split(':').next().unwrap_or("").to_owned();
    Ok((
        list,
        Entry {
            action,
            header,
            value,
            regex,
            condition,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(line: &str) -> Result<(List, Entry), String> {
        parse(
            "Header",
            &line.split(' ').collect::<Vec<_>>(),
            Scope::Server,
        )
    }

    #[test]
    fn tables_actions_and_conditions() {
        let (list, e) = header("always set Strict-Transport-Security max-age=1").unwrap();
        assert_eq!((list, e.action), (List::Always, Action::Set));
        assert_eq!(e.header, "Strict-Transport-Security");
        let (list, e) = header("onsuccess append Vary: User-Agent").unwrap();
        assert_eq!(
            (list, e.action, e.header.as_str()),
            (List::OnSuccess, Action::Append, "Vary")
        );
        let (_, e) = header("set Cache-Control no-cache env=nocache").unwrap();
        assert!(
            matches!(&e.condition, Condition::Env { name, negated: false } if name == "nocache")
        );
        let (_, e) = header("unset X-Powered-By env=!keep").unwrap();
        assert_eq!(e.action, Action::Unset);
        assert!(matches!(e.condition, Condition::Env { negated: true, .. }));
        let (_, e) = header("edit* Set-Cookie ^(.*)$ $1;HttpOnly early").unwrap();
        assert_eq!(e.action, Action::Edit { every: true });
        assert!(matches!(e.condition, Condition::Early));
        let (list, e) = parse(
            "RequestHeader",
            &["set", "X-Forwarded-Proto", "https"],
            Scope::Section,
        )
        .unwrap();
        assert_eq!((list, e.action), (List::Request, Action::Set));
    }

    #[test]
    fn errors_are_apaches() {
        assert_eq!(
            header("replace X y").unwrap_err(),
            "first argument must be 'add', 'set', 'setifempty', 'append', 'merge', 'unset', 'echo', 'note', 'edit', or 'edit*'."
        );
        assert_eq!(
            header("set X").unwrap_err(),
            "Header requires three arguments"
        );
        assert_eq!(
            header("edit X ^a").unwrap_err(),
            "Header edit requires a match and a substitution"
        );
        assert_eq!(header("set X y z").unwrap_err(), "Unknown parameter: z");
        assert_eq!(
            header("set X y z w").unwrap_err(),
            "Too many arguments to directive"
        );
        assert_eq!(
            header("unset X y z").unwrap_err(),
            "header unset takes two arguments"
        );
        assert_eq!(
            header("set X y env=").unwrap_err(),
            "error: missing environment variable name. envclause should be in the form env=envar "
        );
        assert_eq!(
            header("always edit* X a b c d").unwrap_err(),
            "Header has too many arguments"
        );
        assert_eq!(
            parse("RequestHeader", &["echo", "X"], Scope::Server).unwrap_err(),
            "Header echo only valid on Header directives"
        );
        assert!(header("edit X ( y")
            .unwrap_err()
            .starts_with("Header edit regex could not be compiled"));
        assert!(parse("Header", &["set", "X", "y", "early"], Scope::Section)
            .unwrap_err()
            .contains("only valid at server or virtual host level"));
    }
}
