//! The header stage both compressing filters share, in the order Apache's mod_deflate and
//! mod_brotli check: what is never compressed (204, a partial response, the env variable that
//! turns the filter off), an existing Content-Encoding, `Vary: Accept-Encoding` (added even when
//! the client cannot take the coding, so caches know), the client's Accept-Encoding, and then
//! the head of the compressed response: Content-Encoding, the ETag's suffix, no Content-Length.

use mapache_plugin_api::sdk::{accepts_coding, Request, Table};

/// One coding as its filter applies it.
pub struct Coding {
    /// The Accept-Encoding and Content-Encoding token: `gzip`, `br`.
    pub token: &'static str,
    /// The environment variable that turns the filter off for a request (`no-gzip`,
    /// `no-brotli`), as SetEnvIf sets it.
    pub off_env: &'static str,
    /// Whether `gzip-only-text/html=1` limits the filter to text/html (mod_deflate's; not
    /// mod_brotli's).
    pub honours_text_html_only: bool,
    /// A declared body length at or below this is sent as it is (mod_deflate skips bodies
    /// whose gzip would be no smaller; mod_brotli has no such floor).
    pub min_length: u64,
}

/// What `DeflateAlterETag` / `BrotliAlterETag` say to do with the ETag of a compressed response.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EtagMode {
    /// `AddSuffix` (the default): `"tag"` becomes `"tag-gzip"`, inside the quotes.
    #[default]
    AddSuffix,
    /// `NoChange`: the ETag stays (the compressed body then shares the identity's tag).
    NoChange,
    /// `Remove`: no ETag.
    Remove,
}

impl EtagMode {
    /// Reads the directive's argument, case-insensitively, with Apache's error.
    pub fn parse(directive: &str, arg: &str) -> Result<EtagMode, String> {
        match arg.to_ascii_lowercase().as_str() {
            "addsuffix" => Ok(EtagMode::AddSuffix),
            "nochange" => Ok(EtagMode::NoChange),
            "remove" => Ok(EtagMode::Remove),
            _ => Err(format!(
                "{directive}: Unknown {directive} argument '{arg}': use AddSuffix, NoChange or Remove"
            )),
        }
    }
}

/// What the header stage decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// The head now describes the compressed body: compress it.
    Compress,
    /// The response goes out as it is (the head may have gained `Vary`, or, for 304, the
    /// compressed response's Content-Encoding and ETag).
    Leave,
}

/// Runs the header stage for `coding` on the response in `req`.
pub fn decide(req: &mut Request<'_>, coding: &Coding, etag: EtagMode) -> Decision {
    let out = Table::HeadersOut;
    // Apache tests Content-Range, which its byterange filter adds after this one; here the
    // handler made the ranges already, and a multipart/byteranges 206 has no Content-Range of
    // its own, so the status says it too.
    if matches!(req.status(), 204 | 206)
        || req.env(coding.off_env).is_some()
        || req.table_get(out, "Content-Range").is_some()
    {
        return Decision::Leave;
    }
    if coding.honours_text_html_only && req.env("gzip-only-text/html") == Some("1") {
        let is_html = req
            .table_get(out, "Content-Type")
            .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
        if !is_html {
            return Decision::Leave;
        }
    }
    let encoding = current_encoding(req);
    if !encoding.as_deref().is_none_or(is_identity_like) {
        return Decision::Leave;
    }
    add_vary(req, "Accept-Encoding");
    if !req
        .header("Accept-Encoding")
        .is_some_and(|f| accepts_coding(f, coding.token))
    {
        return Decision::Leave;
    }
    if req.content_length().is_some_and(|n| n <= coding.min_length) && req.status() != 304 {
        return Decision::Leave;
    }
    let new_encoding = match encoding.as_deref() {
        None => coding.token.to_owned(),
        Some(e) if e.trim().eq_ignore_ascii_case("identity") => coding.token.to_owned(),
        Some(e) => format!("{e}, {}", coding.token),
    };
    // A table write is refused only after the head went out, which cannot be the case in the
    // header stage; the results are ignored for that reason.
    let _ = req.table_unset(Table::ErrHeadersOut, "Content-Encoding");
    let _ = req.table_set(out, "Content-Encoding", &new_encoding);
    let _ = req.table_unset(out, "Content-Length");
    let _ = req.table_unset(out, "Content-MD5");
    alter_etag(req, coding.token, etag);
    if req.status() == 304 {
        return Decision::Leave;
    }
    Decision::Compress
}

/// The response's Content-Encoding as Apache reads it: headers_out's, then err_headers_out's,
/// joined.
fn current_encoding(req: &Request<'_>) -> Option<String> {
    let parts: Vec<&str> = [Table::HeadersOut, Table::ErrHeadersOut]
        .into_iter()
        .filter_map(|t| req.table_get(t, "Content-Encoding"))
        .collect();
    (!parts.is_empty()).then(|| parts.join(","))
}

/// Whether every coding listed is a no-op (mod_negotiation's list, as mod_deflate uses it).
fn is_identity_like(encoding: &str) -> bool {
    encoding
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .all(|t| ["identity", "7bit", "8bit", "binary"].contains(&t))
}

/// Adds `token` to Vary unless it is listed already (Apache merges, then its header filter
/// drops the duplicates).
fn add_vary(req: &mut Request<'_>, token: &str) {
    let out = Table::HeadersOut;
    let merged = match req.table_get(out, "Vary") {
        Some(v) if v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)) => return,
        Some(v) if !v.trim().is_empty() => format!("{v},{token}"),
        _ => token.to_owned(),
    };
    let _ = req.table_set(out, "Vary", &merged);
}

/// Applies the AlterETag mode for the coding `token`.
fn alter_etag(req: &mut Request<'_>, token: &str, mode: EtagMode) {
    let out = Table::HeadersOut;
    match mode {
        EtagMode::NoChange => {}
        EtagMode::Remove => {
            let _ = req.table_unset(out, "ETag");
        }
        EtagMode::AddSuffix => {
            if let Some(tag) = req.table_get(out, "ETag").map(|t| suffixed(t, token)) {
                let _ = req.table_set(out, "ETag", &tag);
            }
        }
    }
}

/// `"tag"` → `"tag-gzip"` (inside the closing quote), `W/"tag"` → `W/"tag-gzip"`, an
/// unquoted tag gets the suffix at its end; tags of two bytes or less stay, as in Apache.
pub fn suffixed(tag: &str, token: &str) -> String {
    if tag.len() <= 2 {
        return tag.to_owned();
    }
    match tag.strip_suffix('"') {
        Some(inner) => format!("{inner}-{token}\""),
        None => format!("{tag}-{token}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suffix_goes_inside_the_quotes() {
        assert_eq!(suffixed("\"ed9-661c\"", "gzip"), "\"ed9-661c-gzip\"");
        assert_eq!(suffixed("W/\"abc\"", "br"), "W/\"abc-br\"");
        assert_eq!(suffixed("abc", "gzip"), "abc-gzip");
        assert_eq!(suffixed("\"\"", "gzip"), "\"\"");
    }

    #[test]
    fn only_no_op_codings_may_be_compressed_again() {
        assert!(is_identity_like("identity"));
        assert!(is_identity_like("7bit, binary"));
        assert!(!is_identity_like("gzip"));
        assert!(!is_identity_like("identity,br"));
    }

    #[test]
    fn etag_modes_read_as_apache_writes_them() {
        assert_eq!(
            EtagMode::parse("DeflateAlterETag", "addsuffix"),
            Ok(EtagMode::AddSuffix)
        );
        assert_eq!(
            EtagMode::parse("DeflateAlterETag", "NoChange"),
            Ok(EtagMode::NoChange)
        );
        assert_eq!(
            EtagMode::parse("DeflateAlterETag", "REMOVE"),
            Ok(EtagMode::Remove)
        );
        assert!(EtagMode::parse("DeflateAlterETag", "keep").is_err());
    }
}
