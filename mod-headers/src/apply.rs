//! Running a list of lines on one table of a request, as Apache's do_headers_fixup: each line
//! in order, when its condition holds in this call (early lines only in the early call, the
//! others only in the late ones).

use crate::directive::{Action, Condition, Entry, Value};
use crate::format::Values;
use mapache_plugin_api::sdk::expr::Expr;
use pcre2::bytes::{Captures, Regex};

/// The table a list works on, and what the lines need from the request.
pub trait Target: Values {
    /// The table's fields named `name`, in order.
    fn values(&self, name: &str) -> Vec<String>;
    /// Replaces every field named `name`.
    fn set(&mut self, name: &str, value: &str);
    /// Adds a field.
    fn add(&mut self, name: &str, value: &str);
    /// Removes every field named `name`.
    fn unset(&mut self, name: &str);
    /// The request's header fields (for `echo`).
    fn request_fields(&self) -> Vec<(String, String)>;
    /// Adds a field to the response's `headers_out` (`echo` always writes there).
    fn echo(&mut self, name: &str, value: &str);
    /// Sets a request note.
    fn set_note(&mut self, name: &str, value: &str);
    /// Evaluates a condition for the request.
    fn eval(&self, expr: &Expr) -> Result<bool, String>;
    /// Evaluates a string expression for the request.
    fn eval_string(&self, expr: &Expr) -> Result<String, String>;
    /// Logs an error for the request.
    fn log_error(&self, message: &str);
}

/// A line's value for this request.
fn render(value: &Value, target: &dyn Target) -> String {
    match value {
        Value::Format(f) => f.render(target),
        Value::Expr(e) => target.eval_string(e).unwrap_or_else(|err| {
            target.log_error(&format!("Can't evaluate value expression: {err}"));
            String::new()
        }),
    }
}

/// Whether `entry` runs in this call.
fn applies(entry: &Entry, target: &mut dyn Target, early: bool) -> bool {
    match &entry.condition {
        Condition::Early => early,
        _ if early => false,
        Condition::Always => true,
        Condition::Env { name, negated } => target.env(name).is_some() != *negated,
        Condition::Expr(e) => target.eval(e).unwrap_or_else(|err| {
            target.log_error(&format!("Failed to evaluate expression ({err}) - ignoring"));
            true
        }),
    }
}

/// Runs `entries` on `target`: the early ones when `early`, else the others.
pub fn run(entries: &[Entry], target: &mut dyn Target, early: bool) {
    for entry in entries {
        if !applies(entry, target, early) {
            continue;
        }
        let name = entry.header.as_str();
        match entry.action {
            Action::Set => {
                let v = render(&entry.value, target);
                target.set(name, &v);
            }
            Action::SetIfEmpty => {
                if target.values(name).is_empty() {
                    let v = render(&entry.value, target);
                    target.set(name, &v);
                }
            }
            Action::Add => {
                let v = render(&entry.value, target);
                target.add(name, &v);
            }
            Action::Append => {
                let v = render(&entry.value, target);
                merge_into_first(target, name, &v);
            }
            Action::Merge => {
                let v = render(&entry.value, target);
                let has_token = target
                    .values(name)
                    .first()
                    .is_some_and(|old| has_token(old, &v));
                if !has_token {
                    merge_into_first(target, name, &v);
                }
            }
            Action::Unset => target.unset(name),
            Action::Echo => {
                let Some(regex) = &entry.regex else { continue };
                for (n, v) in target.request_fields() {
                    if regex.is_match(n.as_bytes()).unwrap_or(false) {
                        target.echo(&n, &v);
                    }
                }
            }
            Action::Edit { every } => {
                let Some(regex) = &entry.regex else { continue };
                let old = target.values(name);
                if old.is_empty() {
                    continue;
                }
                // The replacement's tags are rendered before `$N` is substituted, as Apache.
                let subs = render(&entry.value, target);
                let new: Vec<String> = old.iter().map(|v| edit(regex, &subs, v, every)).collect();
                target.unset(name);
                for v in &new {
                    target.add(name, v);
                }
            }
            Action::Note => {
                if let Some(first) = target.values(name).into_iter().next() {
                    let note = render(&entry.value, target);
                    target.set_note(&note, &first);
                }
            }
        }
    }
}

/// Apache's apr_table_mergen: `, value` after the first field of the name, or a new field.
fn merge_into_first(target: &mut dyn Target, name: &str, value: &str) {
    let mut all = target.values(name);
    let Some(first) = all.first_mut() else {
        target.add(name, value);
        return;
    };
    first.push_str(", ");
    first.push_str(value);
    target.unset(name);
    for v in &all {
        target.add(name, v);
    }
}

/// Whether `value` is one of the comma-separated tokens of `field`, compared as Apache's
/// `merge` does: leading blanks skipped, quoted strings kept whole, the rest up to the comma
/// compared byte for byte.
fn has_token(field: &str, value: &str) -> bool {
    let b = field.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i] != b',' {
            let quote = b[i] == b'"';
            i += 1;
            if quote {
                while i < b.len() {
                    i += 1;
                    if b[i - 1] == b'"' {
                        break;
                    }
                }
            }
        }
        if &b[start..i] == value.as_bytes() {
            return true;
        }
        if i < b.len() {
            i += 1;
        }
    }
    false
}

/// One value edited as Apache's process_regexp: the first match replaced; with `every`, the
/// text after each match is matched again as a string of its own (so `^` matches there too).
/// An empty match moves on by one character (Apache would recurse without end).
fn edit(regex: &Regex, subs: &str, value: &str, every: bool) -> String {
    let mut out = Vec::with_capacity(value.len());
    let mut rest = value.as_bytes();
    loop {
        let Ok(Some(caps)) = regex.captures(rest) else {
            out.extend_from_slice(rest);
            break;
        };
        let Some(m) = caps.get(0) else {
            out.extend_from_slice(rest);
            break;
        };
        let (start, end) = (m.start(), m.end());
        out.extend_from_slice(&rest[..start]);
        substitute(subs.as_bytes(), &caps, &mut out);
        if !every {
            out.extend_from_slice(&rest[end..]);
            break;
        }
        if start == end {
            let Some(&next) = rest.get(end) else { break };
            out.push(next);
            rest = &rest[end + 1..];
        } else {
            rest = &rest[end..];
            if rest.is_empty() {
                break;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Apache's ap_pregsub: `$0`..`$9` are the groups (nothing for one that did not take part),
/// a backslash takes the next character as it is.
fn substitute(subs: &[u8], caps: &Captures<'_>, out: &mut Vec<u8>) {
    let mut i = 0;
    while i < subs.len() {
        let c = subs[i];
        i += 1;
        if c == b'$' && i < subs.len() && subs[i].is_ascii_digit() {
            let group = usize::from(subs[i] - b'0');
            i += 1;
            if let Some(m) = caps.get(group) {
                out.extend_from_slice(m.as_bytes());
            }
        } else if c == b'\\' && i < subs.len() {
            out.push(subs[i]);
            i += 1;
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directive::{parse, List};
    use mapache_plugin_api::sdk::Scope;

    /// A table and a request, in memory.
    #[derive(Default)]
    struct Fake {
        fields: Vec<(String, String)>,
        request: Vec<(String, String)>,
        env: Vec<(String, String)>,
        notes: Vec<(String, String)>,
    }

    impl Values for Fake {
        fn request_time_us(&self) -> i64 {
            5
        }
        fn now_us(&self) -> i64 {
            7
        }
        fn env(&self, name: &str) -> Option<String> {
            self.env
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        }
    }

    impl Target for Fake {
        fn values(&self, name: &str) -> Vec<String> {
            self.fields
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .collect()
        }
        fn set(&mut self, name: &str, value: &str) {
            self.unset(name);
            self.add(name, value);
        }
        fn add(&mut self, name: &str, value: &str) {
            self.fields.push((name.to_owned(), value.to_owned()));
        }
        fn unset(&mut self, name: &str) {
            self.fields.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        }
        fn request_fields(&self) -> Vec<(String, String)> {
            self.request.clone()
        }
        fn echo(&mut self, name: &str, value: &str) {
            self.add(name, value);
        }
        fn set_note(&mut self, name: &str, value: &str) {
            self.notes.push((name.to_owned(), value.to_owned()));
        }
        fn eval(&self, _expr: &Expr) -> Result<bool, String> {
            Err("no expressions in unit tests".to_owned())
        }
        fn eval_string(&self, _expr: &Expr) -> Result<String, String> {
            Err("no expressions in unit tests".to_owned())
        }
        fn log_error(&self, _message: &str) {}
    }

    fn lines(text: &[&[&str]]) -> Vec<Entry> {
        text.iter()
            .map(|args| {
                let (_, e): (List, Entry) = parse("Header", args, Scope::Server).unwrap();
                e
            })
            .collect()
    }

    fn fields(f: &Fake) -> Vec<(&str, &str)> {
        f.fields
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn set_add_append_merge_unset_setifempty() {
        let mut t = Fake::default();
        t.add("Vary", "Accept-Encoding");
        t.add("X-Old", "1");
        run(
            &lines(&[
                &["append", "Vary", "User-Agent"],
                &["merge", "Vary", "User-Agent"],
                &["merge", "Cache-Control", "no-cache"],
                &["merge", "Cache-Control", "no-store"],
                &["add", "X-Two", "a"],
                &["add", "X-Two", "b"],
                &["setifempty", "X-Two", "c"],
                &["setifempty", "X-Empty", "d"],
                &["unset", "X-Old"],
                &["set", "X-Time", "%t %D"],
            ]),
            &mut t,
            false,
        );
        assert_eq!(
            fields(&t),
            vec![
                ("Vary", "Accept-Encoding, User-Agent"),
                ("Cache-Control", "no-cache, no-store"),
                ("X-Two", "a"),
                ("X-Two", "b"),
                ("X-Empty", "d"),
                ("X-Time", "t=5 D=2"),
            ]
        );
    }

    #[test]
    fn merge_compares_whole_tokens_as_apache() {
        assert!(has_token("a, b,c", "c"));
        assert!(has_token("a, \"x,y\"", "\"x,y\""));
        assert!(!has_token("ab, b c", "b"));
        // The blank before the comma is part of the token in Apache's comparison.
        assert!(!has_token("a , b", "a"));
    }

    #[test]
    fn edit_once_every_match_and_references() {
        let mut t = Fake::default();
        t.add("Set-Cookie", "a=1");
        t.add("Set-Cookie", "b=2");
        t.add("Location", "http://h/x");
        t.add("X-A", "aaa");
        t.add("X-B", "aaa");
        t.add("X-C", "a-b");
        run(
            &lines(&[
                &["edit", "Set-Cookie", "^(.*)$", "$1;HttpOnly;Secure"],
                &["edit", "Location", "^http:", "https:"],
                &["edit", "X-A", "a", "b"],
                &["edit*", "X-B", "^a", "b"],
                &["edit*", "X-C", "x*", "_"],
                &["edit", "X-Missing", "a", "b"],
            ]),
            &mut t,
            false,
        );
        assert_eq!(
            fields(&t),
            vec![
                ("Set-Cookie", "a=1;HttpOnly;Secure"),
                ("Set-Cookie", "b=2;HttpOnly;Secure"),
                ("Location", "https://h/x"),
                ("X-A", "baa"),
                // Each rest is a string of its own: `^` matches again.
                ("X-B", "bbb"),
                ("X-C", "_a_-_b_"),
            ]
        );
    }

    #[test]
    fn conditions_echo_and_note() {
        let mut t = Fake {
            env: vec![("nocache".into(), "1".into())],
            request: vec![
                ("X-Trace".into(), "t1".into()),
                ("Accept".into(), "*/*".into()),
            ],
            ..Fake::default()
        };
        t.add("X-Up", "v");
        run(
            &lines(&[
                &["set", "Cache-Control", "no-cache", "env=nocache"],
                &["set", "X-Not", "1", "env=!nocache"],
                &["set", "X-Env", "%{nocache}e|%{missing}e"],
                &["echo", "^X-"],
                &["note", "X-Up", "upstream"],
                &["set", "X-Early", "1", "early"],
            ]),
            &mut t,
            false,
        );
        assert_eq!(
            fields(&t),
            vec![
                ("X-Up", "v"),
                ("Cache-Control", "no-cache"),
                ("X-Env", "1|(null)"),
                ("X-Trace", "t1"),
            ]
        );
        assert_eq!(t.notes, vec![("upstream".to_owned(), "v".to_owned())]);
        let mut early = Fake::default();
        run(
            &lines(&[&["set", "X-Early", "1", "early"], &["set", "X-Late", "1"]]),
            &mut early,
            true,
        );
        assert_eq!(fields(&early), vec![("X-Early", "1")]);
    }
}
