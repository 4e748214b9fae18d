//! # mod-rewrite
//!
//! Apache's mod_rewrite: RewriteEngine, RewriteCond, RewriteRule, RewriteMap, RewriteBase and
//! RewriteOptions. The server-level rules (the main server's, a virtual host's) run in the
//! translate hook, before mod_alias, on the URL path: the result is a file name (under
//! DocumentRoot unless its first segment exists at the file system's root), a URL for the
//! other translate hooks (`[PT]`), a redirect (an absolute URL, `[R]`) or a status. The
//! per-directory rules (`<Directory>`, `.htaccess` with `AllowOverride FileInfo`) run in
//! fixups on the file name with the directory's prefix stripped, and end in an internal
//! redirect to the new URL (`RewriteBase` or the DocumentRoot-relative path), which runs the
//! request's phases again; the core's internal-redirect limit stops loops, `[END]` stops the
//! rewriting for the rest of the request.
//!
//! What mapache cannot do yet is refused when the configuration is read: `[P]` (no
//! mod_proxy), `dbm:` maps, `%{LA-U:…}`, rules in `<Location>`, `<Files>`, `<If>`
//! and regex sections, the RewriteOptions beyond Inherit, InheritBefore and AllowNoSlash.

pub mod cond;
pub mod config;
pub mod engine;
pub mod escape;
pub mod flags;
pub mod maps;
pub mod pattern;
pub mod template;

use config::RewriteConfig;
use engine::{absolute_uri, Action, Host as _, Work};
use mapache_plugin_api::abi::MapacheStr;
use mapache_plugin_api::{mapache_module, module_names, sdk::*};
use template::Var;

/// The note `[END]` leaves: no more rewriting for this request, internal redirects included.
const END_NOTE: &str = "mod_rewrite_end";
/// The note a `[T=]` leaves for the type filter.
const TYPE_NOTE: &str = "rewrite-forced-mimetype";
/// The header-only filter that applies `[T=]`.
const TYPE_FILTER: &str = "MOD_REWRITE_TYPE";

/// The module's value (the rules are read per request from the configuration in effect).
struct Rewrite;

impl HandlerModule for Rewrite {
    fn init(_config: &Config<'_>) -> Result<Self, String> {
        Ok(Rewrite)
    }
}

impl Translate for Rewrite {
    // Apache: mod_rewrite's translate hook runs first, before mod_alias and mod_userdir.
    const ORDER: HookOrder = HookOrder::new(order::FIRST).before(module_names!["alias", "userdir"]);

    fn translate(&self, req: &mut Request<'_>) -> Verdict {
        let Some(config) = req.module_config::<RewriteConfig>() else {
            return Verdict::Declined;
        };
        if !config.server.enabled() {
            return Verdict::Declined;
        }
        let path = String::from_utf8_lossy(req.path()).into_owned();
        if !path.starts_with('/') {
            return Verdict::Declined;
        }
        let mut host = ReqHost::new(req, config);
        // Apache's SCRIPT_URL and SCRIPT_URI, the URL as it came before any rewriting.
        let script_url = host
            .req
            .env("REDIRECT_SCRIPT_URL")
            .map_or_else(|| path.clone(), str::to_owned);
        let script_uri = format!("{}{script_url}", host.origin());
        let _ = host.req.set_env("SCRIPT_URL", &script_url);
        let _ = host.req.set_env("SCRIPT_URI", &script_uri);
        if host.req.note(END_NOTE).is_some() {
            host.trace(8, &|| {
                "Declining, no further rewriting due to END flag".into()
            });
            return Verdict::Declined;
        }
        if config.server.rules.is_empty() {
            return Verdict::Declined;
        }
        let oargs = query_of(host.req);
        let mut work = Work {
            filename: path.clone(),
            args: oargs.clone(),
            encoded_question: has_encoded_question(host.req.uri()),
            ..Work::default()
        };
        host.trace(2, &|| {
            format!("init rewrite engine with requested uri {path}")
        });
        let action = engine::apply_list(&config.server.rules, &mut work, None, &mut host);
        host.finish(&work);
        match action {
            Action::Unchanged => {
                host.trace(1, &|| format!("pass through {path}"));
                Verdict::Declined
            }
            Action::Status(n) => Verdict::Status(n),
            Action::Changed { noescape } => {
                if let Some((skip, _)) = absolute_uri(&work.filename) {
                    return host.redirect(work, skip, noescape, oargs.as_deref(), None);
                }
                if work.passthrough {
                    let target = with_query(&work.filename, work.args.as_deref());
                    host.trace(1, &|| format!("passing through {target}"));
                    return match host.req.set_uri(&target) {
                        Ok(()) => Verdict::Declined,
                        Err(s) => Verdict::Status(s),
                    };
                }
                host.local_file(work, oargs.as_deref())
            }
        }
    }
}

impl Fixups for Rewrite {
    fn fixups(&self, req: &mut Request<'_>) -> Verdict {
        let Some(config) = req.module_config::<RewriteConfig>() else {
            return Verdict::Declined;
        };
        let Some(dir) = config.directory.as_deref() else {
            return Verdict::Declined;
        };
        if !config.dir.enabled() || config.dir.rules.is_empty() {
            return Verdict::Declined;
        }
        let mut filename = req.filename().to_string_lossy().into_owned();
        if filename.is_empty() {
            return Verdict::Declined;
        }
        // Apache's r->filename keeps the URL's trailing slash (`/dir/`); the core's
        // normalized name does not.
        if req.path().ends_with(b"/") && !filename.ends_with('/') {
            filename.push('/');
        }
        // `/dir` without its slash: mod_dir's redirect comes first (AllowNoSlash: not).
        if !config.dir_options().allow_no_slash && filename == dir[..dir.len() - 1] {
            return Verdict::Declined;
        }
        let mut host = ReqHost::new(req, config);
        if host.req.note(END_NOTE).is_some() {
            host.trace(8, &|| {
                format!("[perdir {dir}] Declining, no further rewriting due to END flag")
            });
            return Verdict::Declined;
        }
        let oargs = query_of(host.req);
        let mut work = Work {
            filename: filename.clone(),
            args: oargs.clone(),
            encoded_question: has_encoded_question(host.req.uri()),
            ..Work::default()
        };
        let action = engine::apply_list(&config.dir.rules, &mut work, Some(dir), &mut host);
        host.finish(&work);
        match action {
            Action::Unchanged => {
                host.trace(1, &|| format!("[perdir {dir}] pass through {filename}"));
                Verdict::Declined
            }
            Action::Status(n) => Verdict::Status(n),
            Action::Changed { noescape } => {
                if let Some((skip, _)) = absolute_uri(&work.filename) {
                    let base = config.base.as_deref().map(|b| (dir, b));
                    return host.redirect(work, skip, noescape, oargs.as_deref(), base);
                }
                if !work.filename.starts_with('/') {
                    return Verdict::Status(400);
                }
                if work.filename == filename {
                    host.trace(1, &|| {
                        format!(
                            "[perdir {dir}] initial URL equal rewritten URL: {filename} [IGNORING REWRITE]"
                        )
                    });
                    return Verdict::Declined;
                }
                let uri = match config.base.as_deref() {
                    Some(base) => subst_prefix_path(&work.filename, dir, base),
                    None => {
                        let root = host.req.var("DOCUMENT_ROOT").unwrap_or_default();
                        let root = root.trim_end_matches('/');
                        match work.filename.strip_prefix(root) {
                            Some(rest) if !root.is_empty() && rest.starts_with('/') => {
                                rest.to_owned()
                            }
                            _ => work.filename.clone(),
                        }
                    }
                };
                let target = with_query(&uri, work.args.as_deref());
                host.trace(1, &|| {
                    format!("[perdir {dir}] internal redirect with {target} [INTERNAL REDIRECT]")
                });
                match host.req.internal_redirect(&target) {
                    Ok(()) => Verdict::Ok,
                    Err(s) => Verdict::Status(s),
                }
            }
        }
    }
}

impl InsertFilter for Rewrite {
    fn insert_filter(&self, req: &mut Request<'_>) -> Verdict {
        if req.note(TYPE_NOTE).is_some() {
            if let Err(e) = req.add_filter(TYPE_FILTER) {
                req.log(Level::Error, &format!("{TYPE_FILTER}: {e:?}"));
            }
        }
        Verdict::Declined
    }
}

/// `[T=type]`: the response's Content-Type, whatever the handler said (Apache applies it
/// in its type_checker hook; mapache's handlers name the type themselves, so a header-only
/// filter puts it right).
struct TypeFilter;

impl OutputFilter for TypeFilter {
    type State = ();
    const CLASS: i32 = mapache_plugin_api::sdk::filter::class::CONTENT_SET;
    const KEEPS_LENGTH: bool = true;

    fn headers(&self, req: &mut Request<'_>, _state: &mut ()) -> FilterVerdict {
        if req.status() < 400 {
            if let Some(t) = req.note(TYPE_NOTE).map(str::to_owned) {
                let _ = req.table_set(Table::HeadersOut, "Content-Type", &t);
            }
        }
        FilterVerdict::Leave
    }
}

/// The request's query, `None` when it has none.
fn query_of(req: &Request<'_>) -> Option<String> {
    let q = req.query();
    (!q.is_empty()).then(|| q.to_owned())
}

fn has_encoded_question(target: &str) -> bool {
    let path = target.split('?').next().unwrap_or("");
    path.to_ascii_lowercase().contains("%3f")
}

fn with_query(path: &str, args: Option<&str>) -> String {
    match args {
        Some(a) => format!("{path}?{a}"),
        None => path.to_owned(),
    }
}

/// Apache's `subst_prefix_path`: `match` (a directory) at the start of `input` replaced by
/// `subst`, which ends in `/`.
fn subst_prefix_path(input: &str, matched: &str, subst: &str) -> String {
    let m = matched.strip_suffix('/').unwrap_or(matched);
    match input.strip_prefix(m) {
        Some(rest) if rest.starts_with('/') => {
            let subst = subst.strip_suffix('/').unwrap_or(subst);
            format!("{subst}/{}", &rest[1..])
        }
        _ => input.to_owned(),
    }
}

/// Whether the first segment of `path` exists at the file system's root (Apache's
/// `prefix_stat`: then the substitution is a file-system path, else DocumentRoot-relative).
fn prefix_stat(path: &str) -> bool {
    let first = path[1..].split('/').next().unwrap_or("");
    !first.is_empty() && std::fs::metadata(format!("/{first}")).is_ok()
}

/// The request as the engine sees it.
struct ReqHost<'r, 'a> {
    req: &'r mut Request<'a>,
    config: &'a RewriteConfig,
    trace_level: u8,
    headers_read: Vec<String>,
    cookies: Vec<String>,
}

impl<'r, 'a> ReqHost<'r, 'a> {
    fn new(req: &'r mut Request<'a>, config: &'a RewriteConfig) -> Self {
        let trace_level = trace_level(req);
        ReqHost {
            req,
            config,
            trace_level,
            headers_read: Vec::new(),
            cookies: Vec::new(),
        }
    }

    /// What the rules left besides the URL: Vary, cookies, `[END]`, `[T=]`, `[H=]`.
    fn finish(&mut self, work: &Work) {
        if !work.vary.is_empty() {
            let mut vary: Vec<String> = self
                .req
                .table_get(Table::HeadersOut, "Vary")
                .map(|v| vec![v.to_owned()])
                .unwrap_or_default();
            vary.extend(work.vary.iter().cloned());
            let _ = self
                .req
                .table_set(Table::HeadersOut, "Vary", &vary.join(", "));
        }
        for c in std::mem::take(&mut self.cookies) {
            let _ = self.req.table_add(Table::ErrHeadersOut, "Set-Cookie", &c);
        }
        if work.end {
            let _ = self.req.set_note(END_NOTE, "1");
        }
        if let Some(t) = &work.mime_type {
            self.trace(2, &|| format!("remember {t} as forced MIME-type"));
            let _ = self.req.set_note(TYPE_NOTE, t);
        }
        if let Some(h) = &work.handler {
            self.trace(2, &|| format!("remember {h} as forced handler"));
            if self.req.set_handler(h).is_err() {
                self.req.log(
                    Level::Error,
                    &format!("RewriteRule [H={h}]: no loaded module handles {h}"),
                );
            }
        }
    }

    /// Answers a redirect to `work.filename` (an absolute URL of `skip` scheme bytes).
    fn redirect(
        &mut self,
        mut work: Work,
        skip: usize,
        noescape: bool,
        oargs: Option<&str>,
        base: Option<(&str, &str)>,
    ) -> Verdict {
        if let Some((dir, base)) = base {
            // Per directory: the directory's path in the URL becomes RewriteBase.
            let host_end = work.filename[skip..]
                .find('/')
                .map(|i| skip + i + 1)
                .filter(|&i| i < work.filename.len());
            if let Some(at) = host_end {
                let rest = &work.filename[at..];
                let replaced = subst_prefix_path(rest, &dir[1..], &base[1..]);
                if replaced != rest {
                    work.filename = format!("{}{replaced}", &work.filename[..at]);
                }
            }
        }
        let mut url = if noescape {
            work.filename.clone()
        } else {
            escape::escape_absolute_uri(&work.filename, skip)
        };
        if let Some(args) = &work.args {
            let keep = noescape || oargs == Some(args.as_str());
            url.push('?');
            url.push_str(&if keep {
                args.clone()
            } else {
                escape::escape_uri(args)
            });
        }
        let status = work
            .status
            .filter(|s| (300..400).contains(s))
            .unwrap_or(302);
        self.trace(1, &|| format!("redirect to {url} [REDIRECT/{status}]"));
        self.req.set_header("Location", &url);
        Verdict::Status(status)
    }

    /// Server context: the result is a local path.
    fn local_file(&mut self, work: Work, oargs: Option<&str>) -> Verdict {
        if !work.filename.starts_with('/') {
            return Verdict::Status(400);
        }
        if work.args.as_deref() != oargs {
            // The query changes; the URL path stays what the client asked for, as r->uri.
            let raw = self.req.uri().split('?').next().unwrap_or("/").to_owned();
            if let Err(s) = self.req.set_uri(&with_query(&raw, work.args.as_deref())) {
                return Verdict::Status(s);
            }
        }
        let mut file = work.filename.clone();
        if work.uri_reduced || work.unsafe_prefix || !prefix_stat(&file) {
            let root = self.req.var("DOCUMENT_ROOT").unwrap_or_default();
            file = format!("{}{file}", root.trim_end_matches('/'));
            self.trace(2, &|| format!("prefixed with document_root to {file}"));
        }
        self.trace(1, &|| format!("go-ahead with {file} [OK]"));
        match self.req.set_filename(std::path::Path::new(&file)) {
            Ok(()) => Verdict::Ok,
            Err(_) => Verdict::Status(400),
        }
    }
}

/// The trace level `LogLevel` gives this module for the request (0: none): the last of
/// `rewrite:traceN` (or `rewrite_module:…`) and a plain `traceN` in the LogLevel lines in
/// effect, read once per request so that no trace line is formatted for nothing.
fn trace_level(req: &Request<'_>) -> u8 {
    let config = req.config();
    let mut level = 0;
    for line in config.all("LogLevel") {
        for arg in line.args() {
            let (module, l) = match arg.split_once(':') {
                Some((m, l)) => (Some(m), l),
                None => (None, arg),
            };
            let n = l
                .to_ascii_lowercase()
                .strip_prefix("trace")
                .and_then(|d| d.parse::<u8>().ok())
                .unwrap_or(0);
            match module.map(str::to_ascii_lowercase).as_deref() {
                None => level = n,
                Some("rewrite" | "rewrite_module" | "mod_rewrite.c") => level = n,
                _ => {}
            }
        }
    }
    level
}

impl template::Resolve for ReqHost<'_, '_> {
    fn var(&mut self, var: &Var) -> String {
        match var {
            Var::Http(h) => self.header(h),
            Var::Env(e) => self
                .req
                .env(e)
                .map(str::to_owned)
                .or_else(|| std::env::var(e).ok())
                .unwrap_or_default(),
            Var::Ssl(_) => String::new(),
            Var::Named(n) => match n.as_str() {
                "HTTPS" => "off".into(),
                "IS_SUBREQ" => "false".into(),
                "REMOTE_HOST" => self.req.client_ip().to_owned(),
                "REMOTE_IDENT" => String::new(),
                "SERVER_ADDR" => self.req.local_ip().to_owned(),
                "API_VERSION" => "20120211:0".into(),
                "HTTP_HOST" => self.header("Host"),
                _ => match n.strip_prefix("HTTP_") {
                    Some(h) => self.header(&h.replace('_', "-")),
                    None => self.req.var(n).unwrap_or_default(),
                },
            },
        }
    }

    fn map(&mut self, name: &str, key: &str) -> Option<String> {
        let Some(map) = self.config.map(name) else {
            self.req.log(
                Level::Error,
                &format!("map lookup FAILED: map={name} key={key}: no RewriteMap of that name"),
            );
            return None;
        };
        let v = map.lookup(key);
        self.trace(5, &|| match &v {
            Some(v) => format!("map lookup OK: map={name} key={key} -> val={v}"),
            None => format!("map lookup FAILED: map={name} key={key}"),
        });
        v
    }
}

impl ReqHost<'_, '_> {
    /// A request header, noted for `Vary` (not Host, as Apache since RFC 7231).
    fn header(&mut self, name: &str) -> String {
        match self.req.header(name) {
            Some(v) => {
                if !name.eq_ignore_ascii_case("Host") {
                    self.headers_read.push(name.to_owned());
                }
                v.to_owned()
            }
            None => String::new(),
        }
    }
}

impl cond::Probe for ReqHost<'_, '_> {
    fn url_served(&mut self, url: &str) -> bool {
        self.req.lookup(url).is_ok_and(|m| m.kind != FileKind::None)
    }

    fn file_served(&mut self, path: &str) -> bool {
        let root = self.req.var("DOCUMENT_ROOT").unwrap_or_default();
        let root = root.trim_end_matches('/');
        match path.strip_prefix(root).filter(|r| r.starts_with('/')) {
            Some(rel) => self
                .req
                .map(rel.as_bytes())
                .is_ok_and(|m| m.kind == FileKind::File),
            None => std::fs::metadata(path).is_ok_and(|m| m.is_file()),
        }
    }

    fn expr(&mut self, expr: &expr::Expr) -> bool {
        match expr.eval(self.req) {
            Ok(v) => v,
            Err(e) => {
                self.req
                    .log(Level::Error, &format!("RewriteCond: expr: {e}"));
                false
            }
        }
    }
}

impl engine::Host for ReqHost<'_, '_> {
    fn set_env(&mut self, name: &str, value: Option<&str>) {
        let _ = match value {
            Some(v) => self.req.set_env(name, v),
            None => self.req.table_unset(Table::Env, name),
        };
    }

    fn add_cookie(&mut self, cookie: String) {
        if !self.cookies.contains(&cookie) {
            self.cookies.push(cookie);
        }
    }

    fn take_headers_read(&mut self) -> Vec<String> {
        std::mem::take(&mut self.headers_read)
    }

    fn trace(&mut self, level: u8, line: &dyn Fn() -> String) {
        if level > self.trace_level {
            return;
        }
        let msg = line();
        let name = b"rewrite";
        // trace1..8 are the error log's levels after debug (7).
        (host().req_log)(
            self.req.as_raw(),
            MapacheStr {
                ptr: name.as_ptr(),
                len: name.len(),
            },
            7 + i32::from(level),
            MapacheStr {
                ptr: msg.as_ptr(),
                len: msg.len(),
            },
        );
    }

    fn origin(&self) -> String {
        self.req.origin()
    }

    fn is_this_server(&self, scheme: &str, authority: &str) -> bool {
        let default_port = if scheme == "https" { 443 } else { 80 };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => match p.parse::<u16>() {
                Ok(p) => (h, p),
                Err(_) => return false,
            },
            None => (authority, default_port),
        };
        host.eq_ignore_ascii_case(self.req.server_name()) && port == self.req.local_port()
    }

    fn is_subrequest(&self) -> bool {
        self.req.var("IS_SUBREQ").as_deref() == Some("true")
    }

    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .checked_sub(self.req.elapsed())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs() as i64)
    }
}

mapache_module! {
    symbol: rewrite_module,
    name: "rewrite",
    handler: Rewrite,
    directives: [
        ("RewriteEngine", FLAG, ANY | FILEINFO, "On or Off to enable or disable (default) the whole rewriting engine"),
        ("RewriteOptions", ITERATE, ANY | FILEINFO, "List of option strings to set"),
        ("RewriteBase", TAKE1, ANY | FILEINFO, "the base URL of the per-directory context"),
        ("RewriteCond", TAKE123, ANY | FILEINFO, "an input string and a to be applied regexp-pattern"),
        ("RewriteRule", TAKE123, ANY | FILEINFO, "an URL-applied regexp-pattern and a substitution URL"),
        ("RewriteMap", TAKE123, SERVER, "a mapname and a filename and options"),
    ],
    config: RewriteConfig,
    hooks: [Translate, Fixups, InsertFilter],
    filters: [output("MOD_REWRITE_TYPE", TypeFilter)],
    apache_names: ["rewrite_module"],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_substitution_as_apache() {
        assert_eq!(subst_prefix_path("/srv/www/a/b", "/srv/www/", "/"), "/a/b");
        assert_eq!(
            subst_prefix_path("/srv/www/a", "/srv/www/", "/base"),
            "/base/a"
        );
        assert_eq!(subst_prefix_path("/other/a", "/srv/www/", "/"), "/other/a");
        assert_eq!(subst_prefix_path("srv/www/x", "srv/www/", "b/"), "b/x");
    }

    #[test]
    fn encoded_question_marks_in_the_path_only() {
        assert!(has_encoded_question("/a%3Fb"));
        assert!(!has_encoded_question("/a?b=%3f"));
    }
}
