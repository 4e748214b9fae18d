//! ErrorDocument: what a request answers with instead of the core's page for an error status,
//! decided once the phases are done (for a handler's status and the core's own errors alike).
//! A local URL is served by an internal redirect (the client still gets the error's status), a
//! text is the body, a full URL is a 302 to it; `default` restores the core's page.

use super::Outcome;
use crate::config::store::Occurrence;
use crate::logs::error_log;
use crate::serve::request::{CustomPage, RequestCtx};

/// What one `ErrorDocument` line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A URL path on this server, served by an internal redirect.
    Local(String),
    /// A text sent as the body.
    Text(String),
    /// A full URL the client is sent to (302).
    External(String),
    /// The core's own page.
    Default,
}

impl Target {
    /// Apache's reading of the second argument (quotes already removed): `default`; a text
    /// when it holds a blank; a local path when it starts with `/`; a URL when it starts with
    /// a scheme; any other word is a text.
    pub fn parse(arg: &str) -> Target {
        if arg.eq_ignore_ascii_case("default") {
            Target::Default
        } else if arg.contains(' ') {
            Target::Text(arg.to_owned())
        } else if arg.starts_with('/') {
            Target::Local(arg.to_owned())
        } else if is_url(arg) {
            Target::External(arg.to_owned())
        } else {
            Target::Text(arg.to_owned())
        }
    }
}

/// Apache's `ap_is_url`: a scheme (letters, digits, `+`, `-`, `.`) and a colon.
fn is_url(s: &str) -> bool {
    match s.find(':') {
        Some(0) | None => false,
        Some(n) => s[..n]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.'),
    }
}

/// `ErrorDocument`'s value check: a status Apache knows. Apache also takes the 1xx-3xx ones
/// and uses them for the few such answers it makes itself; mapache answers only errors (400
/// to 599) with a document, so a line for another status is refused rather than never used.
pub fn check(args: &[String]) -> Result<(), String> {
    match args[0].parse::<u16>() {
        Ok(code @ 400..=599) if crate::http::status::reason_phrase(code) != "Unknown" => Ok(()),
        Ok(code @ 100..=399) if crate::http::status::reason_phrase(code) != "Unknown" => {
            Err(format!(
                "ErrorDocument {code}: mapache uses ErrorDocument for error statuses (400-599) only; remove the line"
            ))
        }
        _ => Err(format!("Unsupported HTTP response code {}", args[0])),
    }
}

/// Whether the line is one Apache ignores: a full URL for 401 (the client would never see
/// the authentication challenge).
fn ignored(occ: &Occurrence) -> bool {
    occ.arg0() == "401"
        && matches!(
            Target::parse(occ.args.get(1).map_or("", String::as_str)),
            Target::External(_)
        )
}

/// Logs, at startup, each line Apache ignores (its notice).
pub fn warn_ignored<'a>(lines: impl Iterator<Item = &'a Occurrence>) {
    for occ in lines.filter(|o| o.is_named("errordocument") && ignored(o)) {
        error_log::log(
            "core",
            error_log::NOTICE,
            None,
            &format!(
                "AH00113: {}:{} cannot use a full URL in a 401 ErrorDocument directive --- ignoring!",
                occ.file, occ.line
            ),
        );
    }
}

/// The ErrorDocument of each status in a scope's lines (least specific first: the last line
/// for a status wins).
pub fn merge<'a>(lines: impl Iterator<Item = &'a Occurrence>) -> Vec<(u16, Target)> {
    let mut docs: Vec<(u16, Target)> = Vec::new();
    for occ in lines.filter(|o| !ignored(o)) {
        let (Ok(code), Some(arg)) = (occ.arg0().parse::<u16>(), occ.args.get(1)) else {
            continue;
        };
        docs.retain(|(c, _)| *c != code);
        docs.push((code, Target::parse(arg)));
    }
    docs
}

/// The request's answer once its phases ended with `outcome`: its status's ErrorDocument
/// when the scope has one and nothing was committed yet.
pub fn apply(req: &mut RequestCtx<'_>, outcome: Outcome) -> Outcome {
    let Some(code) = req.body_failure_status().or(outcome) else {
        return outcome;
    };
    if code < 400 || req.committed() {
        return outcome;
    }
    let Some(target) = req
        .scope
        .error_documents
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, t)| t.clone())
    else {
        return outcome;
    };
    match target {
        Target::Default => Some(code),
        Target::Text(text) => {
            req.set_custom_page(CustomPage::Text(text));
            Some(code)
        }
        Target::External(url) => {
            req.set_header("Location", &url, false);
            Some(302)
        }
        Target::Local(uri) => serve_local(req, code, &uri),
    }
}

/// Request fields that would make the document a 304 or a part of it.
const CONDITIONAL: [&str; 6] = [
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
    "range",
    "if-range",
];

/// Serves the local document `uri` for the error `code` by an internal redirect, as a GET
/// (HEAD stays HEAD). When serving it fails too, the core's page for `code` says so.
fn serve_local(req: &mut RequestCtx<'_>, code: u16, uri: &str) -> Outcome {
    let method = req.head.method;
    req.status = code;
    req.table_put_env("REQUEST_METHOD", method);
    if method != "HEAD" {
        req.head.method = "GET";
    }
    req.error_status = Some(code);
    // Apache's `no_local_copy`: the document is sent whole, never as a 304 or a range.
    let headers = std::mem::take(&mut req.head.headers);
    let (dropped, kept): (Vec<_>, Vec<_>) = headers
        .into_iter()
        .partition(|(n, _)| CONDITIONAL.iter().any(|c| c.eq_ignore_ascii_case(n)));
    req.head.headers = kept;
    for (name, value) in dropped {
        // A module may still hold what the host returned for them.
        req.retire(name.into_bytes());
        req.retire(value);
    }
    let second = match super::restart(req, uri) {
        Ok(()) => super::run(req),
        Err(o) => o,
    };
    req.head.method = method;
    let second = req.body_failure_status().or(second)?;
    req.error_status = None;
    req.set_custom_page(CustomPage::Additionally(second));
    Some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_argument_read_as_apache_does() {
        assert_eq!(
            Target::parse("/missing.html"),
            Target::Local("/missing.html".into())
        );
        assert_eq!(Target::parse("Oops"), Target::Text("Oops".into()));
        assert_eq!(Target::parse("not here"), Target::Text("not here".into()));
        assert_eq!(Target::parse("/a b"), Target::Text("/a b".into()));
        assert_eq!(
            Target::parse("http://example.com/x"),
            Target::External("http://example.com/x".into())
        );
        assert_eq!(Target::parse("DEFAULT"), Target::Default);
        assert_eq!(Target::parse(":x"), Target::Text(":x".into()));
    }

    #[test]
    fn codes_must_be_statuses_apache_knows() {
        let args = |c: &str| vec![c.to_owned(), "x".to_owned()];
        assert!(check(&args("404")).is_ok());
        assert!(check(&args("500")).is_ok());
        assert!(check(&args("200"))
            .unwrap_err()
            .contains("error statuses (400-599) only"));
        assert!(check(&args("302")).is_err());
        assert_eq!(
            check(&args("499")).unwrap_err(),
            "Unsupported HTTP response code 499"
        );
        assert!(check(&args("abc")).is_err());
    }

    #[test]
    fn last_line_per_status_wins_and_401_urls_are_ignored() {
        let f: std::sync::Arc<str> = std::sync::Arc::from("x.conf");
        let line = |c: &str, t: &str, n| {
            Occurrence::new("ErrorDocument", &[c.into(), t.into()], f.clone(), n)
        };
        let lines = [
            line("404", "/a.html", 1),
            line("401", "/auth.html", 2),
            line("401", "http://elsewhere/", 3),
            line("404", "default", 4),
        ];
        assert_eq!(
            merge(lines.iter()),
            vec![
                (401, Target::Local("/auth.html".into())),
                (404, Target::Default)
            ]
        );
    }
}
