//! # mod-negotiation
//!
//! Apache's mod_negotiation: content negotiation by type maps (the `type-map` handler, for
//! `AddHandler type-map var`) and by `Options MultiViews` (a request for a name that does not
//! exist is negotiated among the files `name.*` next to it). The choice is Apache's
//! ([`choice`]); the chosen variant is served by internal redirect (a type map's `Body:`
//! directly), with `Vary`, `TCN` and `Content-Location` as Apache sets them, and 406 with
//! Apache's list of variants when none is acceptable.
//!
//! MultiViews runs in fixups, where Apache's type checker would: after access control for the
//! requested name, before any handler; each variant is then looked up as a subrequest would
//! (its own `Require` lines), and the redirect to it runs the whole pipeline again.

mod accept;
mod choice;
mod config;
mod extensions;
mod response;
mod type_map;
mod variant;

use choice::{Choice, Wanted};
use config::NegotiationConfig;
use extensions::{MimeLines, TypeTable, MIME_DIRECTIVES};
use mapache_plugin_api::sdk::options::OptionSet;
use mapache_plugin_api::{mapache_module, sdk::*};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use variant::Variant;

/// The `mime.types` path used when `TypesConfig` names none (Apache's Debian default).
const SYSTEM_TYPES_FILE: &str = "/etc/mime.types";
/// A type map larger than this is refused (Apache reads maps line by line; nobody writes
/// megabytes of them).
const MAX_TYPE_MAP: u64 = 1 << 20;

/// The module's value: the types table, read once in the master.
struct Negotiation {
    types: TypeTable,
}

impl HandlerModule for Negotiation {
    fn init(config: &Config<'_>) -> Result<Self, String> {
        Ok(Negotiation {
            types: load_types(config),
        })
    }
}

/// `TypesConfig` (relative to ServerRoot), else `/etc/mime.types`, else the built-in table.
/// mod-static reports an unreadable `TypesConfig`; here it only falls back.
fn load_types(config: &Config<'_>) -> TypeTable {
    let named = config.last("TypesConfig").and_then(|v| v.arg(0)).map(|t| {
        let root = config.value("ServerRoot").unwrap_or("");
        Path::new(root).join(t)
    });
    let path = named.unwrap_or_else(|| PathBuf::from(SYSTEM_TYPES_FILE));
    std::fs::read(&path).map_or_else(
        |_| TypeTable::builtin(),
        |text| TypeTable::parse(&String::from_utf8_lossy(&text)),
    )
}

impl Handler for Negotiation {
    /// A type map (`.var` under `AddHandler type-map var`).
    fn handle(&self, req: &mut Request<'_>) -> Outcome {
        let url_path = req.path();
        let map = match req.map(url_path) {
            Ok(m) => m,
            Err(status) => return Outcome::Status(status),
        };
        let (FileKind::File, Some(file)) = (map.kind, map.file()) else {
            return Outcome::Status(404);
        };
        let mut text = vec![0; map.size.min(MAX_TYPE_MAP) as usize];
        let mut done = 0;
        while done < text.len() {
            match file.read_at(&mut text[done..], done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    req.log(
                        Level::Error,
                        &format!("cannot read type map {}: {e}", map.path.display()),
                    );
                    return Outcome::Status(403);
                }
            }
        }
        text.truncate(done);
        let variants = match type_map::parse(&text) {
            Ok(v) => v,
            Err(e) => {
                req.log(Level::Error, &format!("{e} ({})", map.path.display()));
                return Outcome::Status(500);
            }
        };
        if variants.is_empty() {
            req.log(
                Level::Error,
                &format!("type map {} has no variants", map.path.display()),
            );
            return Outcome::Status(500);
        }
        match negotiate(req, &variants, &directory_uri(url_path)) {
            Negotiated::Redirected => Outcome::Done,
            Negotiated::Answered => Outcome::Done,
            Negotiated::Failed(status) => Outcome::Status(status),
        }
    }
}

impl Fixups for Negotiation {
    /// MultiViews: the requested name does not exist, the files `name.*` next to it do.
    fn fixups(&self, req: &mut Request<'_>) -> Verdict {
        let url_path = req.path();
        if !url_path.starts_with(b"/") || url_path.ends_with(b"/") {
            return Verdict::Declined;
        }
        // Options first: most requests end here without a system call.
        if !options(req).multiviews() {
            return Verdict::Declined;
        }
        let filename = req.filename().to_path_buf();
        if filename.as_os_str().is_empty()
            || !matches!(std::fs::symlink_metadata(&filename), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
        {
            return Verdict::Declined;
        }
        let (Some(dir), Some(base)) = (filename.parent(), filename.file_name()) else {
            return Verdict::Declined;
        };
        let dir_uri = directory_uri(url_path);
        let variants = self.variants_in(req, dir, base.as_bytes(), &dir_uri);
        if variants.is_empty() {
            return Verdict::Declined;
        }
        match negotiate(req, &variants, &dir_uri) {
            Negotiated::Redirected => Verdict::Ok,
            Negotiated::Answered => Verdict::Done,
            Negotiated::Failed(status) => Verdict::Status(status),
        }
    }
}

impl Negotiation {
    /// The files `base.ext…` in `dir` whose every extension mod_mime's lines know, that a
    /// request for them would get (regular files the client may have), sorted by name.
    fn variants_in(
        &self,
        req: &mut Request<'_>,
        dir: &Path,
        base: &[u8],
        dir_uri: &str,
    ) -> Vec<Variant> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| {
                n.as_bytes()
                    .strip_prefix(base)
                    .is_some_and(|rest| rest.len() > 1 && rest[0] == b'.')
            })
            .collect();
        names.sort();
        if names.is_empty() {
            return Vec::new();
        }
        let lines = mime_lines(&req.config());
        let mut variants = Vec::new();
        for name in names {
            let exts: Vec<&str> = name[base.len() + 1..].split('.').collect();
            let Some(described) = extensions::describe(&exts, &self.types, &lines) else {
                continue;
            };
            let uri = format!("{dir_uri}{}", response::escape_uri(&name));
            let Ok(found) = req.lookup(&uri) else {
                continue;
            };
            if found.kind != FileKind::File {
                continue;
            }
            let mut v = Variant::named(&name);
            v.media = described.media.unwrap_or_default();
            v.languages = described.languages;
            v.encoding = described.encoding;
            v.charset = described.charset;
            v.length = Some(found.size);
            variants.push(v);
        }
        variants
    }
}

/// What negotiating did with the request.
enum Negotiated {
    /// An internal redirect to the chosen variant is pending.
    Redirected,
    /// The response was written (406, or a type map's `Body:`).
    Answered,
    /// The core answers with this status.
    Failed(u16),
}

/// Chooses among `variants` (URIs relative to `dir_uri`) and serves the choice.
fn negotiate(req: &mut Request<'_>, variants: &[Variant], dir_uri: &str) -> Negotiated {
    let wanted = Wanted::from_fields(
        field(req, "Accept").as_deref(),
        field(req, "Accept-Language").as_deref(),
        field(req, "Accept-Charset").as_deref(),
        field(req, "Accept-Encoding").as_deref(),
    );
    let default = NegotiationConfig::default();
    let config = req.module_config::<NegotiationConfig>().unwrap_or(&default);
    let choice = choice::choose(variants, &wanted, config);
    // In the error headers: they survive the internal redirect, as Apache's do.
    let vary = response::vary(variants);
    let merged = match req.table_get(Table::ErrHeadersOut, "Vary") {
        Some(v) if !v.is_empty() => format!("{v},{vary}"),
        _ => vary,
    };
    let _ = req.table_set(Table::ErrHeadersOut, "Vary", &merged);
    match choice {
        Choice::Variant(i) => serve(req, &variants[i], dir_uri),
        Choice::NotAcceptable => {
            let variants = &with_lengths(req, variants, dir_uri);
            let _ = req.table_set(Table::ErrHeadersOut, "TCN", "list");
            req.set_header("Alternates", &response::alternates(variants));
            let page = response::not_acceptable_page(variants);
            req.set_status(406);
            req.set_header("Content-Type", "text/html; charset=iso-8859-1");
            req.set_content_length(page.len() as u64);
            let _ = req.write(page.as_bytes());
            Negotiated::Answered
        }
    }
}

/// The variants with the lengths a map did not give, from the files they name (as Apache
/// finds them for `Alternates`).
fn with_lengths(req: &mut Request<'_>, variants: &[Variant], dir_uri: &str) -> Vec<Variant> {
    let mut out = variants.to_vec();
    for v in out
        .iter_mut()
        .filter(|v| v.length.is_none() && v.body.is_none())
    {
        if let Ok(found) = req.lookup(&target_uri(v, dir_uri)) {
            if found.kind == FileKind::File {
                v.length = Some(found.size);
            }
        }
    }
    out
}

/// The URI a variant is served from.
fn target_uri(v: &Variant, dir_uri: &str) -> String {
    if v.uri.starts_with('/') {
        v.uri.clone()
    } else {
        format!("{dir_uri}{}", response::escape_uri(&v.uri))
    }
}

/// Serves the chosen variant: its `Body:` here, else by internal redirect.
fn serve(req: &mut Request<'_>, v: &Variant, dir_uri: &str) -> Negotiated {
    let _ = req.table_set(Table::ErrHeadersOut, "TCN", "choice");
    if let Some(body) = &v.body {
        if let Some(t) = &v.content_type {
            req.set_header("Content-Type", t);
        }
        if !v.languages.is_empty() {
            req.set_header("Content-Language", &v.languages.join(", "));
        }
        if let Some(e) = &v.encoding {
            req.set_header("Content-Encoding", e);
        }
        req.set_content_length(body.len() as u64);
        let _ = req.write(body);
        return Negotiated::Answered;
    }
    let target = target_uri(v, dir_uri);
    let _ = req.table_set(
        Table::ErrHeadersOut,
        "Content-Location",
        &response::escape_uri(&v.uri),
    );
    match req.internal_redirect(&target) {
        Ok(()) => Negotiated::Redirected,
        Err(status) => {
            req.log(
                Level::Error,
                &format!("negotiated variant {target} cannot be served ({status})"),
            );
            Negotiated::Failed(status)
        }
    }
}

/// Every line of a request field, joined as one list.
fn field(req: &Request<'_>, name: &str) -> Option<String> {
    let values: Vec<String> = req
        .headers()
        .into_iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// The URL of the directory holding `url_path` (decoded), encoded, with its final `/`.
fn directory_uri(url_path: &[u8]) -> String {
    let cut = url_path
        .iter()
        .rposition(|&b| b == b'/')
        .map_or(0, |i| i + 1);
    response::escape_uri(&String::from_utf8_lossy(&url_path[..cut]))
}

/// The core's `Options` in effect for the request.
fn options(req: &Request<'_>) -> OptionSet {
    let config = req.config();
    let lines = (0..config.count("Options"))
        .filter_map(|i| config.get("Options", i))
        .map(|v| v.args());
    OptionSet::from_lines(lines, &mut |problem| {
        req.log(Level::Debug, &format!("ignored: {problem}"))
    })
}

/// mod_mime's lines in effect for the request: every `Add…` line least specific first, then
/// the `Remove…` lines (the query API gives each directive's lines apart, so an `Add…` in a
/// deeper section after a `Remove…` above it is not seen as overriding it).
fn mime_lines(config: &Config<'_>) -> MimeLines {
    let mut lines = MimeLines::default();
    for name in MIME_DIRECTIVES {
        for v in config.all(name) {
            lines.apply(name, &v.args());
        }
    }
    lines
}

mapache_module! {
    symbol: negotiation_module,
    name: "negotiation",
    handler: Negotiation,
    directives: [
        ("CacheNegotiatedDocs", FLAG, SERVER, "Either 'on' or 'off' (default)"),
        ("LanguagePriority", ITERATE, ANY | FILEINFO, "space-delimited list of MIME language abbreviations"),
        ("ForceLanguagePriority", ITERATE, ANY | FILEINFO, "Force LanguagePriority elections, either None, or Fallback and/or Prefer"),
    ],
    config: NegotiationConfig,
    handler_names: ["type-map"],
    hooks: [Fixups, Handler],
    apache_names: ["negotiation_module"],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_uri_keeps_the_slash_and_encodes() {
        assert_eq!(directory_uri(b"/doc"), "/");
        assert_eq!(directory_uri(b"/a b/doc.var"), "/a%20b/");
    }
}
