//! # mod-static
//!
//! mapache's default handler: maps the request path onto `DocumentRoot` and serves regular files
//! for GET and HEAD with their validators (ETag, Last-Modified), conditional requests (304, 412)
//! and byte ranges (206, multipart, 416); the body always goes with sendfile, never read into
//! memory. A directory gets its `DirectoryIndex` file, a listing under `Options Indexes`, or a 301
//! to the slash-terminated path. It refuses whatever would leave `DocumentRoot` (symbolic links
//! too, unless `Options FollowSymLinks`), `.ht*` files, and anything that is neither a regular
//! file nor a directory.
//!
//! Not here: percent-decoding and dot-segment resolution of the path, framing, Date and Server,
//! error pages, draining an unread request body (all the core's).
//!
//! Laid out like nginx's `ngx_http_static_module`: the handler and the steps it takes on top
//! (settings → locate → directory → method → preconditions → ranges → body), the directive table
//! and descriptor at the bottom. Each step's rules live in their own file.

mod conditional;
mod escape;
mod listing;
mod locate;
mod precompressed;
mod range;
mod redirect;
#[cfg(test)]
mod test_dir;
mod types;

use conditional::{Preconditions, Validators, Verdict};
use escape::shown;
use locate::{find_index, Refusal};
use mapache_plugin_api::sdk::options::OptionSet;
use mapache_plugin_api::{mapache_module, sdk::*};
use range::{Multipart, Selection};
use std::borrow::Cow;
use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use types::{Attribute, DefaultCharset, ExtensionMap, ForcedType, TypeTable};

/// `DocumentRoot` when the configuration names none, relative to `ServerRoot` (Apache's habit).
/// The core records its own default, so this is only a fallback.
const DEFAULT_DOCUMENT_ROOT: &str = "htdocs";
/// `DirectoryIndex` when the configuration names none.
const DEFAULT_DIRECTORY_INDEX: &str = "index.html";
/// The methods a static file answers, for `Allow`.
const ALLOWED_METHODS: &str = "GET, HEAD, OPTIONS";

/// The module's value: made once in `init`, shared by every worker thread.
struct Static {
    /// The `TypesConfig` table, read once in the master.
    types: TypeTable,
}

impl HandlerModule for Static {
    fn init(config: &Config<'_>) -> Result<Self, String> {
        let types = load_types(config)?;
        warn_ignored_default_types(config);
        // Like Apache (AH00112): a missing DocumentRoot is worth a warning, not a refusal to
        // start, since sections may name another one.
        let root = configured_document_root(config);
        if !root.is_dir() {
            log(
                Level::Warn,
                &format!(
                    "DocumentRoot [{}] does not exist or is not a directory",
                    shown(&root)
                ),
            );
        }
        Ok(Static { types })
    }

    fn handle(&self, req: &mut Request<'_>) -> Outcome {
        if !is_default_handler(req.handler()) {
            return Outcome::Declined;
        }
        let url_path = req.path();
        // Not a path (`OPTIONS *`): nothing on disk to map it to.
        if !url_path.starts_with(b"/") {
            return Outcome::Declined;
        }
        match self.respond(req, url_path) {
            Ok(outcome) => outcome,
            Err(refusal) => refusal.answer(req),
        }
    }
}

/// What a request path turned out to name.
enum Resource<'a> {
    File(MappedFile<'a>),
    /// A directory without an index file, under `Options Indexes`.
    Listing(MappedFile<'a>),
}

impl Static {
    /// Settings → locate → directory → method → the file or the listing.
    fn respond(&self, req: &mut Request<'_>, url_path: &[u8]) -> Result<Outcome, Refusal> {
        // Merged once per combination of sections by the core: no parsing per request.
        let settings = req
            .module_config::<StaticConfig>()
            .unwrap_or(&DEFAULT_CONFIG);
        locate::refuse_ht_request(url_path)?;
        // The core mapped the path before any handler ran (links as Options allow, access
        // checked on the real directory): this is its answer again, with the file it opened.
        let target = locate::servable(req.map(url_path).map_err(Refusal::logged)?)?;
        let resource = if target.kind == FileKind::Directory {
            if !url_path.ends_with(b"/") {
                // An absolute URL, as Apache's mod_dir (ap_construct_url).
                let location = format!(
                    "{}{}",
                    req.origin(),
                    redirect::build_location(req.uri(), url_path, req.query())
                );
                return Ok(redirect::redirect(req, &location));
            }
            let config = req.config();
            let names = directory_index(&config);
            match find_index(req, url_path, &names)? {
                Some(index) => Resource::File(index),
                None if options(&config, req).indexes() => Resource::Listing(target),
                None => return Err(no_index(&target, &names)),
            }
        } else {
            Resource::File(target)
        };
        if !matches!(req.method(), "GET" | "HEAD" | "OPTIONS") {
            // Set before returning: the core's 405 page must carry it (RFC 9110 15.5.6). The core
            // drains the unread request body.
            req.set_header("Allow", ALLOWED_METHODS);
            return Ok(Outcome::Status(405));
        }
        match resource {
            Resource::File(file) => self.serve_file(req, &file, settings),
            Resource::Listing(dir) => self.list(req, &dir, url_path, settings),
        }
    }

    /// Preconditions, then 200, 206 or 416 with the file (for HEAD the head of a GET without
    /// Range, and no body).
    fn serve_file(
        &self,
        req: &mut Request<'_>,
        target: &MappedFile<'_>,
        settings: &StaticConfig,
    ) -> Result<Outcome, Refusal> {
        let Some(file) = target.file() else {
            return Err(Refusal::forbidden(format!(
                "not opened: {}",
                shown(target.path)
            )));
        };
        let fields = RequestFields::read(req);
        // StaticPrecompressed On: a fresh `.br`/`.gz` beside the file, when the client takes
        // its coding; never for a Range request (its bytes are the file's).
        let found = (settings.precompressed == Some(true) && matches!(fields.range, Field::Absent))
            .then(|| {
                precompressed::find(target.path, target.modified, req.header("Accept-Encoding"))
            });
        let sidecar = found.as_ref().and_then(|f| f.chosen.as_ref());
        if found.as_ref().is_some_and(|f| f.any) {
            req.set_header("Vary", "Accept-Encoding");
        }
        // The open file, not the path, says what is served (`servable` let only a regular file
        // get here): the core took its size and time from it when it opened it.
        let (file, size, modified) = match sidecar {
            Some(s) => (&s.file, s.size, s.modified),
            None => (file, target.size, target.modified),
        };
        let now = SystemTime::now();
        let validators = Validators::new(size, modified, now);
        match conditional::evaluate(req.method(), &fields.preconditions(), &validators, now) {
            // The core's 412 page drops the validators; that is as Apache answers.
            Verdict::Failed => return Ok(Outcome::Status(412)),
            Verdict::NotModified => {
                set_validators(req, &validators);
                // No body and no Content-Length: the core frames 304 without one.
                req.set_status(304);
                return Ok(Outcome::Done);
            }
            Verdict::Proceed => {}
        }
        if req.method() == "OPTIONS" {
            return Ok(options_response(req));
        }
        set_validators(req, &validators);
        req.set_header("Accept-Ranges", "bytes");
        // The metadata follow the name that was asked for (as Apache and nginx do), not a link
        // target.
        let content_type = settings.describe(req, &self.types, target.requested);
        if let Some(s) = sidecar {
            req.set_header("Content-Encoding", s.encoding);
        }
        // Range handling is defined for GET only (RFC 9110 14.2): HEAD gets the head of a plain
        // GET, 200 and the whole length.
        let selection = match (req.method(), fields.range, fields.if_range) {
            ("GET", Field::One(range), Field::Absent) => range::select(range, size),
            ("GET", Field::One(range), Field::One(if_range))
                if conditional::if_range_matches(if_range, &validators) =>
            {
                range::select(range, size)
            }
            // No Range, several, or an If-Range that does not match: the whole file.
            _ => Selection::Full,
        };
        match selection {
            Selection::Full => {
                if let Some(ty) = &content_type {
                    req.set_header("Content-Type", ty);
                }
                req.set_content_length(size);
                send(req, file, target, 0, size);
            }
            Selection::Unsatisfiable => {
                // The core keeps this header on its 416 page (RFC 9110 15.5.17).
                req.set_header("Content-Range", &format!("bytes */{size}"));
                return Ok(Outcome::Status(416));
            }
            Selection::Partial(ranges) if ranges.len() == 1 => {
                let r = ranges[0];
                req.set_status(206);
                if let Some(ty) = &content_type {
                    req.set_header("Content-Type", ty);
                }
                req.set_header("Content-Range", &r.content_range(size));
                req.set_content_length(r.len());
                send(req, file, target, r.first, r.len());
            }
            Selection::Partial(ranges) => {
                let part_type = content_type
                    .as_deref()
                    .unwrap_or(types::DEFAULT_CONTENT_TYPE);
                let body = Multipart::new(&ranges, size, part_type, range::new_boundary());
                req.set_status(206);
                req.set_header("Content-Type", &body.content_type());
                // Known up front, so the body streams with a Content-Length, part by part.
                req.set_content_length(body.content_length());
                for (head, r) in body.parts() {
                    if !write(req, target, head.as_bytes())
                        || !send(req, file, target, r.first, r.len())
                    {
                        return Ok(Outcome::Done);
                    }
                }
                write(req, target, body.trailer().as_bytes());
            }
        }
        Ok(Outcome::Done)
    }
}

impl Static {
    /// The listing of a directory without an index file (`Options Indexes`), with the
    /// autoindex directives in effect. Generated each time, so it carries no validators and
    /// ignores conditionals and ranges.
    fn list(
        &self,
        req: &mut Request<'_>,
        dir: &MappedFile<'_>,
        url_path: &[u8],
        settings: &StaticConfig,
    ) -> Result<Outcome, Refusal> {
        if req.method() == "OPTIONS" {
            return Ok(options_response(req));
        }
        // The directory the core opened, not its path, which may have changed since.
        let opened = dir
            .file()
            .map(|f| PathBuf::from(format!("/proc/self/fd/{}", f.as_raw_fd())))
            .unwrap_or_else(|| dir.path.to_path_buf());
        // A link is listed when a request for it would be served.
        let entries = listing::read_entries(&opened, &mut |name| {
            let mut path = url_path.to_vec();
            path.extend_from_slice(name);
            req.map(&path)
                .is_ok_and(|m| matches!(m.kind, FileKind::File | FileKind::Directory))
        })
        .map_err(|e| Refusal::from_io(e, dir.path))?;
        let (key, ascending) = settings
            .index
            .order
            .unwrap_or((listing::config::SortKey::Name, true));
        let default_order = listing::sort::Order { key, ascending };
        let query = if settings.index.has(listing::config::IGNORE_CLIENT) {
            ""
        } else {
            req.query()
        };
        let client = listing::sort::ClientArgs::parse(query, default_order);
        // The client's F= and V= change the options for this page only.
        let mut index = Cow::Borrowed(&settings.index);
        if let Some(format) = client.format {
            use listing::config::{FANCY_INDEXING, HTML_TABLE};
            let opts = &mut index.to_mut().opts;
            *opts = match format {
                0 => *opts & !(FANCY_INDEXING | HTML_TABLE),
                1 => (*opts | FANCY_INDEXING) & !HTML_TABLE,
                _ => *opts | FANCY_INDEXING | HTML_TABLE,
            };
        }
        if let Some(on) = client.version_sort {
            let opts = &mut index.to_mut().opts;
            *opts = if on {
                *opts | listing::config::VERSION_SORT
            } else {
                *opts & !listing::config::VERSION_SORT
            };
        }
        let index = index.as_ref();
        let fancy =
            index.has(listing::config::FANCY_INDEXING) || index.has(listing::config::HTML_TABLE);
        let mut rows = Vec::with_capacity(entries.len());
        for e in entries {
            let unwanted = client
                .pattern
                .as_ref()
                .is_some_and(|p| !listing::wildcard::fnmatch_names(&e.name, p.as_bytes()));
            if unwanted || index.ignores(&e.name) {
                continue;
            }
            let mut row = listing::Row {
                name: e.name.clone(),
                is_dir: e.is_dir,
                size: (!e.is_dir).then_some(e.size),
                modified: e.modified,
                ..Default::default()
            };
            if e.is_dir {
                row.name.push(b'/');
            }
            if fancy {
                let path = dir.requested.join(os_path(&e.name));
                let meta = types::metadata(&self.types, &settings.extensions, &path);
                let media_type = match &settings.forced_type {
                    Some(ForcedType::Type(t)) => Some(t.as_str()),
                    _ => meta.content_type.as_deref(),
                }
                .map(|t| t.split(';').next().unwrap_or("").trim());
                let encoding = (!meta.encodings.is_empty()).then(|| meta.encodings.join(", "));
                index.decorate(
                    &mut row,
                    &listing::Described {
                        path: path.as_os_str().as_bytes(),
                        media_type,
                        encoding: encoding.as_deref(),
                    },
                );
            }
            rows.push(row);
        }
        let mut order = client.order;
        if !fancy {
            order.key = listing::config::SortKey::Name;
        }
        listing::sort::sort(
            &mut rows,
            order,
            // Apache knows directories apart only for the fancy formats.
            fancy && index.has(listing::config::FOLDERS_FIRST),
            index.has(listing::config::VERSION_SORT),
            index.has(listing::config::IGNORE_CASE),
        );
        let parent = (url_path != b"/").then(|| {
            let trimmed = &url_path[..url_path.len() - 1];
            let cut = trimmed
                .iter()
                .rposition(|&b| b == b'/')
                .map_or(0, |i| i + 1);
            (index.parent_row(), trimmed[..cut].to_vec())
        });
        let header = index
            .header_name
            .as_deref()
            .and_then(|name| self.included(req, url_path, name, settings));
        let readme = index
            .readme_name
            .as_deref()
            .and_then(|name| self.included(req, url_path, name, settings));
        let page = listing::render(&listing::Page {
            url_path,
            parent,
            rows: &rows,
            config: index,
            order,
            colargs: &client.colargs,
            header,
            readme,
        });
        let charset = index.charset.as_deref().unwrap_or(LISTING_CHARSET);
        req.set_header("Content-Type", &format!("text/html;charset={charset}"));
        req.set_content_length(page.len() as u64);
        if req.method() != "HEAD" {
            write(req, dir, page.as_bytes());
        }
        Ok(Outcome::Done)
    }

    /// A `HeaderName`/`ReadmeName` file (relative to the directory's URL, or a URL path), as a
    /// request for it would get it: HTML is included as it is, other text in a `<pre>` block,
    /// anything else not at all.
    fn included(
        &self,
        req: &mut Request<'_>,
        url_path: &[u8],
        name: &str,
        settings: &StaticConfig,
    ) -> Option<listing::Included> {
        let mut uri = String::new();
        if !name.starts_with('/') {
            escape::percent_encode(&mut uri, url_path, escape::is_path_byte);
        }
        uri.push_str(name);
        let target = req.lookup(&uri).ok()?;
        if target.kind != FileKind::File {
            return None;
        }
        let meta = types::metadata(&self.types, &settings.extensions, target.requested);
        let media_type = match &settings.forced_type {
            Some(ForcedType::Type(t)) => t.clone(),
            _ => meta.content_type?.into_owned(),
        };
        // Read at offsets: the core may share the descriptor (and its file position) with
        // other users of the same file.
        let file = target.file()?;
        let len = target.size.min(MAX_INCLUDED_FILE);
        let mut body = vec![0; len as usize];
        let mut done = 0;
        while done < body.len() {
            match std::os::unix::fs::FileExt::read_at(file, &mut body[done..], done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
        body.truncate(done);
        let essence = media_type.split(';').next().unwrap_or("").trim();
        if essence.eq_ignore_ascii_case("text/html") {
            Some(listing::Included::Html(body))
        } else if essence
            .get(..5)
            .is_some_and(|t| t.eq_ignore_ascii_case("text/"))
        {
            Some(listing::Included::Plain(body))
        } else {
            None
        }
    }
}

/// The listing's charset when no `IndexOptions Charset=` names one (Apache's is ISO-8859-1 on
/// Unix; file names today are UTF-8).
const LISTING_CHARSET: &str = "UTF-8";
/// At most this much of a `HeaderName`/`ReadmeName` file is included.
const MAX_INCLUDED_FILE: u64 = 1 << 20;

/// 200 with `Allow` and no body.
fn options_response(req: &mut Request<'_>) -> Outcome {
    req.set_header("Allow", ALLOWED_METHODS);
    req.set_content_length(0);
    Outcome::Done
}

fn set_validators(req: &mut Request<'_>, v: &Validators) {
    req.set_header("ETag", &v.etag());
    if let Some(date) = v.last_modified_header() {
        req.set_header("Last-Modified", &date);
    }
}

/// Sends `len` bytes of `file` from `first` as body (nothing for HEAD); false once the client is
/// gone, which is logged at debug level: there is nothing else to do about it.
fn send(req: &mut Request<'_>, file: &File, target: &MappedFile<'_>, first: u64, len: u64) -> bool {
    if req.method() == "HEAD" || len == 0 {
        return true;
    }
    let sent = req.send_file(file, first, len);
    if let Err(e) = &sent {
        req.log(
            Level::Debug,
            &format!("sending {} failed: {e}", shown(target.path)),
        );
    }
    sent.is_ok()
}

/// Writes body bytes, as [`send`] does file bytes.
fn write(req: &mut Request<'_>, target: &MappedFile<'_>, bytes: &[u8]) -> bool {
    let written = req.write(bytes);
    if let Err(e) = &written {
        req.log(
            Level::Debug,
            &format!("sending {} failed: {e}", shown(target.path)),
        );
    }
    written.is_ok()
}

fn no_index(dir: &MappedFile<'_>, names: &[PathBuf]) -> Refusal {
    let tried: Vec<_> = names.iter().map(|n| shown(n)).collect();
    Refusal::forbidden(format!(
        "cannot serve directory {}: no matching DirectoryIndex ({}) found, and directory listing is forbidden by Options directive",
        shown(dir.path),
        if tried.is_empty() { "disabled".to_owned() } else { tried.join(",") }
    ))
}

/// mod-static takes requests no `SetHandler` claimed, and those given to `default-handler`.
fn is_default_handler(handler: &str) -> bool {
    handler.is_empty() || handler.eq_ignore_ascii_case("default-handler")
}

// ---- the request's validator and range fields ----------------------------------------------

/// A request field that must appear at most once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Field<'a> {
    #[default]
    Absent,
    One(&'a [u8]),
    /// Sent more than once: not a value to act on.
    Many,
}

impl<'a> Field<'a> {
    fn add(&mut self, value: &'a [u8]) {
        *self = match self {
            Field::Absent => Field::One(value),
            _ => Field::Many,
        };
    }

    fn one(self) -> Option<&'a [u8]> {
        match self {
            Field::One(v) => Some(v),
            _ => None,
        }
    }
}

/// The fields mod-static acts on, from one pass over the request head.
#[derive(Debug, Default)]
struct RequestFields<'a> {
    /// List fields: several lines are one list (RFC 9110 5.3).
    if_match: Option<Vec<u8>>,
    if_none_match: Option<Vec<u8>>,
    if_unmodified_since: Field<'a>,
    if_modified_since: Field<'a>,
    if_range: Field<'a>,
    range: Field<'a>,
}

impl<'a> RequestFields<'a> {
    fn read(req: &Request<'a>) -> Self {
        Self::from_headers(req.headers())
    }

    fn from_headers(headers: Vec<(&'a [u8], &'a [u8])>) -> Self {
        fn join(list: &mut Option<Vec<u8>>, value: &[u8]) {
            match list {
                None => *list = Some(value.to_vec()),
                Some(l) => {
                    l.extend_from_slice(b", ");
                    l.extend_from_slice(value);
                }
            }
        }
        let mut f = RequestFields::default();
        for (name, value) in headers {
            let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
            if is("if-match") {
                join(&mut f.if_match, value);
            } else if is("if-none-match") {
                join(&mut f.if_none_match, value);
            } else if is("if-unmodified-since") {
                f.if_unmodified_since.add(value);
            } else if is("if-modified-since") {
                f.if_modified_since.add(value);
            } else if is("if-range") {
                f.if_range.add(value);
            } else if is("range") {
                f.range.add(value);
            }
        }
        f
    }

    /// Repeated date fields count as absent (RFC 9110 13.1.3, 13.1.4).
    fn preconditions(&self) -> Preconditions<'_> {
        Preconditions {
            if_match: self.if_match.as_deref(),
            if_unmodified_since: self.if_unmodified_since.one(),
            if_none_match: self.if_none_match.as_deref(),
            if_modified_since: self.if_modified_since.one(),
        }
    }
}

// ---- settings ------------------------------------------------------------------------------

/// mod-static's own directives in one scope, checked when the configuration is read (so `-t`
/// refuses a bad value in a section too) and merged by the core once per combination of sections.
#[derive(Clone, Debug, Default)]
struct StaticConfig {
    /// mod_mime's `Add…`/`Remove…` lines (type, language, charset, encoding) by extension.
    extensions: ExtensionMap,
    /// `ForceType`, when this scope sets it.
    forced_type: Option<ForcedType>,
    /// `DefaultType None` (true) or another value (false, which has no effect), when set.
    no_default_type: Option<bool>,
    /// `DefaultLanguage`, when this scope sets it.
    default_language: Option<String>,
    /// `AddDefaultCharset`, when this scope sets it.
    charset: Option<DefaultCharset>,
    /// mod_autoindex's directives.
    index: listing::config::IndexConfig,
    /// `StaticPrecompressed`, when this scope sets it (off otherwise).
    precompressed: Option<bool>,
}

/// A request's settings when the core has none for the module (never in practice: the module
/// always has a server-level object).
static DEFAULT_CONFIG: std::sync::LazyLock<StaticConfig> =
    std::sync::LazyLock::new(StaticConfig::default);

/// `DefaultType` lines other than `None` seen inside sections, for the start-up warning (`set`
/// runs before `init`, which sees only the server level's lines).
static IGNORED_SECTION_DEFAULT_TYPES: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

impl ModuleConfig for StaticConfig {
    fn set(&mut self, scope: Scope, name: &str, args: &[&str]) -> Result<(), String> {
        let first = args.first().copied().unwrap_or("");
        if let Some((attr, what)) = Attribute::of_add(name) {
            self.extensions.add(name, attr, what, args)?;
        } else if let Some(attr) = Attribute::of_remove(name) {
            self.extensions.remove(attr, args);
        } else if name.eq_ignore_ascii_case("ForceType") {
            self.forced_type = Some(ForcedType::parse(first)?);
        } else if name.eq_ignore_ascii_case("DefaultType") {
            let none = first.eq_ignore_ascii_case("none");
            if !none && scope == Scope::Section {
                IGNORED_SECTION_DEFAULT_TYPES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            self.no_default_type = Some(none);
        } else if name.eq_ignore_ascii_case("DefaultLanguage") {
            self.default_language = Some(first.to_ascii_lowercase());
        } else if name.eq_ignore_ascii_case("AddDefaultCharset") {
            self.charset = Some(DefaultCharset::parse(first)?);
        } else if listing::config::is_directive(name) {
            self.index.set(name, args)?;
        } else if name.eq_ignore_ascii_case("StaticPrecompressed") {
            self.precompressed = Some(first.eq_ignore_ascii_case("on"));
        }
        // TypesConfig is read once, in `init`.
        Ok(())
    }

    fn merge(parent: &Self, child: &Self) -> Self {
        StaticConfig {
            extensions: ExtensionMap::overlay(&parent.extensions, &child.extensions),
            forced_type: child
                .forced_type
                .clone()
                .or_else(|| parent.forced_type.clone()),
            no_default_type: child.no_default_type.or(parent.no_default_type),
            default_language: child
                .default_language
                .clone()
                .or_else(|| parent.default_language.clone()),
            charset: child.charset.clone().or_else(|| parent.charset.clone()),
            index: listing::config::IndexConfig::merge(&parent.index, &child.index),
            precompressed: child.precompressed.or(parent.precompressed),
        }
    }
}

impl StaticConfig {
    /// Sets `Content-Language` and `Content-Encoding` of the file at `path` and returns its
    /// `Content-Type` (none under `DefaultType None` when nothing names one).
    fn describe<'t>(
        &'t self,
        req: &mut Request<'_>,
        table: &'t TypeTable,
        path: &Path,
    ) -> Option<Cow<'t, str>> {
        let meta = types::metadata(table, &self.extensions, path);
        if !meta.languages.is_empty() {
            req.set_header("Content-Language", &meta.languages.join(", "));
        } else if let Some(language) = &self.default_language {
            req.set_header("Content-Language", language);
        }
        if !meta.encodings.is_empty() {
            req.set_header("Content-Encoding", &meta.encodings.join(", "));
        }
        let content_type = match &self.forced_type {
            Some(ForcedType::Type(t)) => Some(Cow::Borrowed(t.as_str())),
            _ => meta.content_type,
        };
        let content_type = match content_type {
            Some(t) => t,
            None if self.no_default_type == Some(true) => return None,
            None => Cow::Borrowed(types::DEFAULT_CONTENT_TYPE),
        };
        let charset = self.charset.as_ref().unwrap_or(&DefaultCharset::Off);
        Some(charset.apply(content_type))
    }
}

/// Apache 2.4's warning (AH00117) for each `DefaultType` other than `None`: the directive is
/// accepted and has no effect.
fn warn_ignored_default_types(config: &Config<'_>) {
    for v in config.all("DefaultType") {
        if !v.arg(0).unwrap_or("").eq_ignore_ascii_case("none") {
            log(
                Level::Warn,
                &format!(
                    "AH00117: Ignoring deprecated use of DefaultType in line {} of {}.",
                    v.line(),
                    v.file()
                ),
            );
        }
    }
    let in_sections = IGNORED_SECTION_DEFAULT_TYPES.load(std::sync::atomic::Ordering::Relaxed);
    if in_sections > 0 {
        log(
            Level::Warn,
            &format!(
                "AH00117: Ignoring deprecated use of DefaultType in {in_sections} line(s) inside sections."
            ),
        );
    }
}

/// File names tried in order in a directory (read only for directories).
fn directory_index(config: &Config<'_>) -> Vec<PathBuf> {
    index_names(
        config
            .last("DirectoryIndex")
            .map(|v| (0..v.len()).filter_map(|i| v.arg_bytes(i)).collect()),
    )
}

/// The core's `Options` in effect (read only for directories: `Indexes`). The core checked
/// every line as the file was read.
fn options(config: &Config<'_>, req: &Request<'_>) -> OptionSet {
    OptionSet::from_lines(directive_lines(config, "Options"), &mut |problem| {
        req.log(Level::Debug, &format!("ignored: {problem}"))
    })
}

/// `DocumentRoot` as the core recorded it (absolute), for the start-up warning.
fn configured_document_root<'a>(config: &Config<'a>) -> Cow<'a, Path> {
    let root_arg = config.last("DocumentRoot").and_then(|v| v.arg_bytes(0));
    let server_root_arg = config.last("ServerRoot").and_then(|v| v.arg_bytes(0));
    document_root(server_root_arg, root_arg)
}

fn os_path(bytes: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(bytes))
}

/// `ServerRoot` as the core recorded it (absolute), or the working directory, which is the
/// core's ServerRoot when the configuration names none.
fn server_root(server_root: Option<&[u8]>) -> PathBuf {
    server_root.map_or_else(PathBuf::new, |r| os_path(r).to_path_buf())
}

/// `DocumentRoot` made absolute against `ServerRoot` when it is relative.
fn document_root<'a>(
    server_root_arg: Option<&[u8]>,
    document_root: Option<&'a [u8]>,
) -> Cow<'a, Path> {
    let document_root = document_root.map_or(Path::new(DEFAULT_DOCUMENT_ROOT), os_path);
    // The core records an absolute DocumentRoot: used as it is, without a copy.
    if document_root.is_absolute() {
        return Cow::Borrowed(document_root);
    }
    Cow::Owned(server_root(server_root_arg).join(document_root))
}

/// The names of the `DirectoryIndex` in effect; `DirectoryIndex disabled` (Apache) means none.
fn index_names(args: Option<Vec<&[u8]>>) -> Vec<PathBuf> {
    match args {
        None => vec![PathBuf::from(DEFAULT_DIRECTORY_INDEX)],
        Some(args) if args.len() == 1 && args[0].eq_ignore_ascii_case(b"disabled") => Vec::new(),
        // A name starting with '/' is a URL in Apache (an internal redirect we do not do); joined
        // as a path it would replace the directory, so it is skipped.
        Some(args) => args
            .into_iter()
            .filter(|a| !a.is_empty() && !a.starts_with(b"/"))
            .map(|a| os_path(a).to_path_buf())
            .collect(),
    }
}

/// The arguments of every occurrence of `name`, least specific first. An argument that is not
/// UTF-8 reads as U+FFFD, so it fails checks rather than vanishing.
fn directive_lines<'a>(config: &Config<'a>, name: &str) -> Vec<Vec<&'a str>> {
    // count/get rather than `all`, which copies the name: this runs per request, and usually
    // finds nothing (no allocation then).
    (0..config.count(name))
        .filter_map(|i| config.get(name, i))
        .map(|v| {
            (0..v.len())
                .map(|i| v.arg(i).unwrap_or("\u{fffd}"))
                .collect()
        })
        .collect()
}

/// `Syntax error on line N of FILE: message`, as the core reports its own directives.
fn at_line(v: &DirectiveValue<'_>, message: &str) -> String {
    format!(
        "Syntax error on line {} of {}: {message}",
        v.line(),
        v.file()
    )
}

/// The `TypesConfig` table: the named file (relative to ServerRoot), else `/etc/mime.types` when
/// it exists, else the built-in table. Read once, in the master.
fn load_types(config: &Config<'_>) -> Result<TypeTable, String> {
    let Some(v) = config.last("TypesConfig") else {
        return Ok(
            std::fs::read(types::SYSTEM_TYPES_FILE).map_or(TypeTable::Builtin, |text| {
                TypeTable::parse(&String::from_utf8_lossy(&text))
            }),
        );
    };
    let root = server_root(config.last("ServerRoot").and_then(|r| r.arg_bytes(0)));
    let path = root.join(os_path(v.arg_bytes(0).unwrap_or_default()));
    let text = std::fs::read(&path).map_err(|e| {
        at_line(
            &v,
            &format!(
                "could not open mime types config file {}: {e}",
                shown(&path)
            ),
        )
    })?;
    Ok(TypeTable::parse(&String::from_utf8_lossy(&text)))
}

// ---- directives and descriptor -------------------------------------------------------------
//
// DocumentRoot, ServerRoot, DirectoryIndex and Options are the core's; these three are
// mod-static's.
// Arity and context are checked by the core as the file is read, values by `StaticConfig::set`
// wherever they appear; the requests without `SetHandler` (`default-handler`) are ours.

mapache_module! {
    symbol: static_module,
    name: "static",
    handler: Static,
    directives: [
        ("TypesConfig", TAKE1, GLOBAL, "the MIME types config file"),
        ("AddType", ITERATE, ANY | FILEINFO, "a mime type followed by one or more file extensions"),
        ("AddLanguage", ITERATE, ANY | FILEINFO, "a language (e.g., fr), followed by one or more file extensions"),
        ("AddCharset", ITERATE, ANY | FILEINFO, "a charset (e.g., iso-2022-jp), followed by one or more file extensions"),
        ("AddEncoding", ITERATE, ANY | FILEINFO, "an encoding (e.g., gzip), followed by one or more file extensions"),
        ("RemoveType", ITERATE, ANY | FILEINFO, "one or more file extensions"),
        ("RemoveLanguage", ITERATE, ANY | FILEINFO, "one or more file extensions"),
        ("RemoveCharset", ITERATE, ANY | FILEINFO, "one or more file extensions"),
        ("RemoveEncoding", ITERATE, ANY | FILEINFO, "one or more file extensions"),
        ("ForceType", TAKE1, ANY | FILEINFO, "a mime type that overrides other configured type"),
        ("DefaultType", TAKE1, ANY | FILEINFO, "the default media type for otherwise untyped files (DEPRECATED)"),
        ("DefaultLanguage", TAKE1, ANY | FILEINFO, "language to use for documents with no other language file extension"),
        ("StaticPrecompressed", FLAG, ANY | FILEINFO, "On serves file.br/file.gz, when fresh and accepted, in place of file (mapache's; off by default)"),
        ("IndexOptions", RAW_ARGS, ANY | INDEXES, "one or more index options [+|-][]"),
        ("IndexOrderDefault", TAKE2, ANY | INDEXES, "{Ascending,Descending} {Name,Size,Description,Date}"),
        ("AddIcon", ITERATE, ANY | INDEXES, "an icon URL followed by one or more filenames"),
        ("AddIconByType", ITERATE, ANY | INDEXES, "an icon URL followed by one or more MIME types"),
        ("AddIconByEncoding", ITERATE, ANY | INDEXES, "an icon URL followed by one or more content encodings"),
        ("AddAlt", ITERATE, ANY | INDEXES, "alternate descriptive text followed by one or more filenames"),
        ("AddAltByType", ITERATE, ANY | INDEXES, "alternate descriptive text followed by one or more MIME types"),
        ("AddAltByEncoding", ITERATE, ANY | INDEXES, "alternate descriptive text followed by one or more content encodings"),
        ("DefaultIcon", TAKE1, ANY | INDEXES, "an icon URL"),
        ("HeaderName", TAKE1, ANY | INDEXES, "a filename"),
        ("ReadmeName", TAKE1, ANY | INDEXES, "a filename"),
        ("IndexIgnore", ITERATE, ANY | INDEXES, "one or more file extensions"),
        ("IndexIgnoreReset", FLAG, ANY | INDEXES, "Reset the inherited list of IndexIgnore filenames"),
        ("AddDescription", ITERATE, ANY | INDEXES, "Descriptive text followed by one or more filenames"),
        ("IndexStyleSheet", TAKE1, ANY | INDEXES, "URL to style sheet"),
        ("IndexHeadInsert", TAKE1, ANY | INDEXES, "String to insert in HTML HEAD section"),
        ("AddDefaultCharset", TAKE1, ANY | FILEINFO, "The name of the default charset to add to any Content-Type without one or 'Off' to disable"),
    ],
    config: StaticConfig,
    handler_names: ["default-handler"],
    apache_names: ["mime_module", "dir_module", "autoindex_module"],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_handler_selection() {
        assert!(is_default_handler(""));
        assert!(is_default_handler("default-handler"));
        assert!(is_default_handler("Default-Handler"));
        assert!(!is_default_handler("server-status"));
    }

    #[test]
    fn document_root_against_server_root() {
        assert_eq!(document_root(None, None), Path::new("htdocs"));
        assert_eq!(
            document_root(Some(b"/opt/m"), Some(b"site")),
            Path::new("/opt/m/site")
        );
        assert_eq!(
            document_root(Some(b"/opt/m"), Some(b"/var/www")),
            Path::new("/var/www")
        );
        assert_eq!(document_root(None, Some(b"pub")), Path::new("pub"));
    }

    #[test]
    fn directory_index_names() {
        assert_eq!(index_names(None), vec![PathBuf::from("index.html")]);
        assert_eq!(
            index_names(Some(vec![b"index.htm", b"default.html"])),
            vec![PathBuf::from("index.htm"), PathBuf::from("default.html")]
        );
        assert!(index_names(Some(vec![b"Disabled"])).is_empty());
        assert_eq!(
            index_names(Some(vec![b"/cgi/index.pl", b"i.html"])),
            vec![PathBuf::from("i.html")]
        );
    }

    #[test]
    fn request_fields() {
        let headers: Vec<(&[u8], &[u8])> = vec![
            (b"Host", b"x"),
            (b"If-None-Match", b"\"a\""),
            (b"if-none-match", b"\"b\", \"c\""),
            (b"If-Modified-Since", b"Sun, 06 Nov 1994 08:49:37 GMT"),
            (b"If-Unmodified-Since", b"Sun, 06 Nov 1994 08:49:37 GMT"),
            (b"If-Unmodified-Since", b"Sun, 06 Nov 1994 08:49:38 GMT"),
            (b"RANGE", b"bytes=0-1"),
            (b"If-Range", b"\"a\""),
            (b"If-Range", b"\"b\""),
        ];
        let f = RequestFields::from_headers(headers);
        assert_eq!(
            f.if_none_match.as_deref(),
            Some(&b"\"a\", \"b\", \"c\""[..])
        );
        assert_eq!(f.if_match, None);
        assert_eq!(f.range, Field::One(b"bytes=0-1"));
        assert_eq!(f.if_range, Field::Many);
        let p = f.preconditions();
        assert!(p.if_modified_since.is_some());
        // Two dates: ignored.
        assert!(p.if_unmodified_since.is_none());
    }
}
