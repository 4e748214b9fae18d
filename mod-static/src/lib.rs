//! # mod-static
//!
//! mapache's default handler: maps the request path onto `DocumentRoot` and serves regular files
//! for GET and HEAD (the body with sendfile, never read into memory), answers a directory with its
//! `DirectoryIndex` file or a 301 to the slash-terminated path, and refuses whatever would leave
//! `DocumentRoot`, `.ht*` files, and anything that is neither a regular file nor a directory.
//!
//! Not here: percent-decoding and dot-segment resolution of the path, framing, Date and Server,
//! error pages (all the core's); conditional requests, ranges, directory listings, `AddType`,
//! `TypesConfig`, `AddDefaultCharset` and `Options` (later issues).
//!
//! Laid out like nginx's `ngx_http_static_module`: the handler and the steps it takes on top
//! (settings → locate → directory index → respond), the directive table and descriptor at the
//! bottom.

use mapache_plugin_api::{mapache_module, sdk::*};
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs::{self, File, Metadata};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `ServerRoot` when the configuration names none.
const DEFAULT_SERVER_ROOT: &str = "/usr/local/mapache";
/// `DocumentRoot` when the configuration names none, relative to `ServerRoot` (Apache's habit).
const DEFAULT_DOCUMENT_ROOT: &str = "htdocs";
/// `DirectoryIndex` when the configuration names none.
const DEFAULT_DIRECTORY_INDEX: &str = "index.html";
/// The methods a static file answers, for `Allow`.
const ALLOWED_METHODS: &str = "GET, HEAD, OPTIONS";
/// The type of a file whose name tells nothing (Apache sends none; an explicit one is better).
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// The module's value: made once in `init`, shared by every worker thread.
struct Static {
    types: ContentTypes,
}

impl HandlerModule for Static {
    fn init(config: &Config<'_>) -> Result<Self, String> {
        // Like Apache (AH00112): a missing DocumentRoot is worth a warning, not a refusal to
        // start, since sections may name another one.
        let root = Settings::read(config).document_root;
        if !root.is_dir() {
            log(
                Level::Warn,
                &format!(
                    "DocumentRoot [{}] does not exist or is not a directory",
                    shown(&root)
                ),
            );
        }
        Ok(Static {
            types: ContentTypes::builtin(),
        })
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

impl Static {
    /// Settings → locate → directory index → respond.
    fn respond(&self, req: &mut Request<'_>, url_path: &[u8]) -> Result<Outcome, Refusal> {
        // Read per request: sections may set other values, and lookups are cheap. The canonical
        // root is not cached either, so a DocumentRoot symlink swapped at deploy time is followed.
        let settings = Settings::read(&req.config());
        let root = canonical_root(&settings.document_root)?;
        let mut target = locate(&root, url_path)?;
        if target.kind == Kind::Directory {
            if !url_path.ends_with(b"/") {
                let location = build_location(req.uri(), url_path, req.query());
                return Ok(redirect(req, &location));
            }
            target = find_index(&root, &target, &settings.directory_index)?;
        }
        if target.kind != Kind::File {
            return Err(Refusal::forbidden(format!(
                "not a regular file or directory: {}",
                shown(&target.path)
            )));
        }
        match req.method() {
            "GET" | "HEAD" => self.serve_file(req, &target),
            "OPTIONS" => {
                req.set_header("Allow", ALLOWED_METHODS);
                req.set_content_length(0);
                Ok(Outcome::Done)
            }
            _ => {
                // Set before returning: the core's 405 page must carry it (RFC 9110 15.5.6).
                req.set_header("Allow", ALLOWED_METHODS);
                Ok(Outcome::Status(405))
            }
        }
    }

    /// 200 with the file as body; for HEAD the same head and no body.
    fn serve_file(&self, req: &mut Request<'_>, target: &Located) -> Result<Outcome, Refusal> {
        let file = File::open(&target.path).map_err(|e| Refusal::from_io(e, &target.path))?;
        // The open file, not the path, says what is served: it may have changed since `locate`.
        let meta = file
            .metadata()
            .map_err(|e| Refusal::from_io(e, &target.path))?;
        if !meta.is_file() {
            return Err(Refusal::forbidden(format!(
                "not a regular file: {}",
                shown(&target.path)
            )));
        }
        // The type follows the name that was asked for (as Apache and nginx do), not a link target.
        req.set_header("Content-Type", self.types.for_path(&target.requested));
        if let Some(date) = meta.modified().ok().and_then(last_modified) {
            req.set_header("Last-Modified", &date);
        }
        let size = meta.len();
        req.set_content_length(size);
        if req.method() != "HEAD" && size > 0 {
            if let Err(e) = req.send_file(&file, 0, size) {
                req.log(
                    Level::Debug,
                    &format!("sending {} failed: {e}", shown(&target.path)),
                );
            }
        }
        Ok(Outcome::Done)
    }
}

/// mod-static takes requests no `SetHandler` claimed, and those given to `default-handler`.
fn is_default_handler(handler: &str) -> bool {
    handler.is_empty() || handler.eq_ignore_ascii_case("default-handler")
}

// ---- settings ------------------------------------------------------------------------------

/// The core's directives mod-static reads, as they apply to one request.
struct Settings {
    /// Absolute, or relative to the working directory when `ServerRoot` itself is relative.
    document_root: PathBuf,
    /// File names tried in order in a directory.
    directory_index: Vec<PathBuf>,
}

impl Settings {
    fn read(config: &Config<'_>) -> Self {
        let first_arg = |name| config.last(name).and_then(|v| v.arg_bytes(0));
        let index_args = config
            .last("DirectoryIndex")
            .map(|v| (0..v.len()).filter_map(|i| v.arg_bytes(i)).collect());
        Settings {
            document_root: document_root(first_arg("ServerRoot"), first_arg("DocumentRoot")),
            directory_index: index_names(index_args),
        }
    }
}

fn os_path(bytes: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(bytes))
}

/// `DocumentRoot` made absolute against `ServerRoot` when it is relative.
fn document_root(server_root: Option<&[u8]>, document_root: Option<&[u8]>) -> PathBuf {
    let server_root = server_root.map_or(Path::new(DEFAULT_SERVER_ROOT), os_path);
    let document_root = document_root.map_or(Path::new(DEFAULT_DOCUMENT_ROOT), os_path);
    // `join` keeps an absolute DocumentRoot as it is.
    server_root.join(document_root)
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

// ---- locating the file ---------------------------------------------------------------------

/// Why a request is refused, and what the error log should say about it.
#[derive(Debug)]
struct Refusal {
    status: u16,
    level: Level,
    message: String,
}

impl Refusal {
    fn forbidden(message: String) -> Self {
        Refusal {
            status: 403,
            level: Level::Error,
            message,
        }
    }

    /// Apache's mapping: missing → 404 (logged at info), anything else → 403.
    fn from_io(err: io::Error, path: &Path) -> Self {
        match err.kind() {
            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => Refusal {
                status: 404,
                level: Level::Info,
                message: format!("File does not exist: {}", shown(path)),
            },
            io::ErrorKind::PermissionDenied => Refusal::forbidden(format!(
                "file permissions deny server access: {}",
                shown(path)
            )),
            _ => Refusal::forbidden(format!("access to {} failed: {err}", shown(path))),
        }
    }

    fn answer(self, req: &Request<'_>) -> Outcome {
        req.log(self.level, &self.message);
        Outcome::Status(self.status)
    }
}

/// What a path names on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    File,
    Directory,
    /// FIFO, socket, device: never served (opening a FIFO would even block the worker).
    Other,
}

impl Kind {
    fn of(meta: &Metadata) -> Self {
        if meta.is_file() {
            Kind::File
        } else if meta.is_dir() {
            Kind::Directory
        } else {
            Kind::Other
        }
    }
}

/// A path found inside DocumentRoot.
#[derive(Debug)]
struct Located {
    /// DocumentRoot joined with the request path (or the index name): names the content type.
    requested: PathBuf,
    /// Canonical (no symlink, no `..`) and under the canonical DocumentRoot: what is opened.
    path: PathBuf,
    kind: Kind,
}

/// The canonical DocumentRoot, the base every served path must stay under.
fn canonical_root(document_root: &Path) -> Result<PathBuf, Refusal> {
    fs::canonicalize(document_root).map_err(|e| Refusal {
        // A missing root is the configuration's fault, not the client's: say so loudly.
        level: Level::Error,
        message: format!(
            "DocumentRoot {} is not accessible: {e}",
            shown(document_root)
        ),
        ..Refusal::from_io(e, document_root)
    })
}

/// `.htaccess`, `.htpasswd` and friends are never served (Debian's Apache default). Compared
/// case-insensitively so a case-insensitive file system cannot be used to read them.
fn is_ht_name(segment: &[u8]) -> bool {
    segment
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case(b".ht"))
}

fn has_ht_segment(url_path: &[u8]) -> bool {
    url_path.split(|&b| b == b'/').any(is_ht_name)
}

/// The request path under `root`. Every leading '/' goes, so `//etc` cannot make `join` replace
/// the root (the containment check would catch it anyway).
fn candidate_path(root: &Path, url_path: &[u8]) -> PathBuf {
    let start = url_path
        .iter()
        .position(|&b| b != b'/')
        .unwrap_or(url_path.len());
    root.join(os_path(&url_path[start..]))
}

/// Maps a request path onto the canonical root `root`.
fn locate(root: &Path, url_path: &[u8]) -> Result<Located, Refusal> {
    let requested = candidate_path(root, url_path);
    // Refused before touching the disk, so a 403 says nothing about existence.
    if has_ht_segment(url_path) {
        return Err(Refusal::forbidden(format!(
            "access to .ht* files is denied: {}",
            shown(&requested)
        )));
    }
    locate_path(root, requested)
}

/// Resolves `requested` and keeps it only when it stays under the canonical root `root`.
fn locate_path(root: &Path, requested: PathBuf) -> Result<Located, Refusal> {
    let path = fs::canonicalize(&requested).map_err(|e| Refusal::from_io(e, &requested))?;
    // Component-wise: /srv/www2 is not under /srv/www.
    let Ok(inside) = path.strip_prefix(root) else {
        return Err(Refusal::forbidden(format!(
            "symbolic link leads outside DocumentRoot: {} -> {}",
            shown(&requested),
            shown(&path)
        )));
    };
    // A link inside the root may still point at a .ht* file.
    if inside
        .components()
        .any(|c| matches!(c, Component::Normal(n) if is_ht_name(n.as_bytes())))
    {
        return Err(Refusal::forbidden(format!(
            "access to .ht* files is denied: {} -> {}",
            shown(&requested),
            shown(&path)
        )));
    }
    let meta = fs::metadata(&path).map_err(|e| Refusal::from_io(e, &requested))?;
    Ok(Located {
        requested,
        kind: Kind::of(&meta),
        path,
    })
}

/// The first `DirectoryIndex` name in `dir` that is a regular file. Names that do not exist, or
/// name a directory, are skipped; any other refusal stops the search (as Apache's mod_dir does).
fn find_index(root: &Path, dir: &Located, names: &[PathBuf]) -> Result<Located, Refusal> {
    for name in names {
        match locate_path(root, dir.path.join(name)) {
            Ok(found) if found.kind == Kind::File => return Ok(found),
            Ok(_) => {}
            Err(refusal) if refusal.status == 404 => {}
            Err(refusal) => return Err(refusal),
        }
    }
    let tried: Vec<_> = names.iter().map(|n| shown(n)).collect();
    Err(Refusal::forbidden(format!(
        "cannot serve directory {}: no matching DirectoryIndex ({}) found, and directory listings are not available",
        shown(&dir.path),
        if tried.is_empty() { "disabled".to_owned() } else { tried.join(",") }
    )))
}

// ---- responses -----------------------------------------------------------------------------

/// 301 to `location`, with a small page like Apache's. Produced here rather than returned as a
/// status: the ABI lets a handler hand the core only 400..=599 for its own error page.
fn redirect(req: &mut Request<'_>, location: &str) -> Outcome {
    let body = format!(
        "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n\
         <title>301 Moved Permanently</title>\n</head><body>\n<h1>Moved Permanently</h1>\n\
         <p>The document has moved <a href=\"{}\">here</a>.</p>\n</body></html>\n",
        html_escape(location)
    );
    req.set_status(301);
    req.set_header("Location", location);
    req.set_header("Content-Type", "text/html; charset=iso-8859-1");
    req.set_content_length(body.len() as u64);
    if req.method() != "HEAD" {
        // An error means the client has gone; there is nothing left to do either way.
        let _ = req.write(body.as_bytes());
    }
    Outcome::Done
}

/// `Last-Modified` for `mtime`. A time in the future becomes now (RFC 9110 8.8.2.1); a time the
/// HTTP date format cannot carry (before 1970, after 9999) gives no header.
fn last_modified(mtime: SystemTime) -> Option<String> {
    /// 9999-12-31T23:59:59Z, the last instant an HTTP date can express.
    const LAST_HTTP_DATE: Duration = Duration::from_secs(253_402_300_799);
    let mtime = mtime.min(SystemTime::now());
    let since_epoch = mtime.duration_since(UNIX_EPOCH).ok()?;
    (since_epoch <= LAST_HTTP_DATE).then(|| httpdate::fmt_http_date(mtime))
}

/// Content-Type by file name. Today the built-in table of mime_guess; `AddType` and `TypesConfig`
/// (a later issue) add a table here that is consulted first.
struct ContentTypes;

impl ContentTypes {
    fn builtin() -> Self {
        ContentTypes
    }

    /// The bare type (no charset: that is `AddDefaultCharset`'s business), or
    /// `application/octet-stream` when the name tells nothing.
    fn for_path(&self, path: &Path) -> &'static str {
        mime_guess::from_path(path)
            .first_raw()
            .unwrap_or(DEFAULT_CONTENT_TYPE)
    }
}

// ---- the redirect target -------------------------------------------------------------------

/// The `Location` of the redirect from a directory to its slash-terminated path.
///
/// Built from the raw request target so the client's encoding is kept, but only when that raw
/// path decodes to exactly the path being served; otherwise (dot segments the core resolved,
/// merged slashes, bytes a URI may not hold, a target that was not UTF-8) the decoded path is
/// encoded afresh. Leading slashes collapse to one: `//host/…` would send the client elsewhere.
fn build_location(raw_target: &str, decoded_path: &[u8], query: &str) -> String {
    let raw_path = origin_path(raw_target);
    let raw_is_faithful = raw_path.bytes().all(|b| is_path_byte(b) || b == b'%')
        && percent_decode(raw_path.as_bytes()).as_deref() == Some(decoded_path);
    let mut path = String::with_capacity(decoded_path.len() + 2);
    if raw_is_faithful {
        path.push_str(raw_path);
    } else {
        percent_encode(&mut path, decoded_path, is_path_byte);
    }
    let mut location = format!("/{}/", path.trim_start_matches('/'));
    if !query.is_empty() {
        location.push('?');
        // Already encoded by the client; only bytes that may not appear in a header are escaped.
        percent_encode(&mut location, query.as_bytes(), |b| {
            is_path_byte(b) || b == b'?' || b == b'%'
        });
    }
    location
}

/// The path part of a request target: up to `?`, without the `scheme://authority` of the
/// absolute form.
fn origin_path(target: &str) -> &str {
    let target = target.split(['?', '#']).next().unwrap_or("");
    if let Some((scheme, rest)) = target.split_once("://") {
        let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
        if is_scheme {
            return rest.find('/').map_or("/", |i| &rest[i..]);
        }
    }
    target
}

/// RFC 3986 `pchar` without `%`, plus `/`.
fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b)
}

fn percent_encode(out: &mut String, bytes: &[u8], keep: impl Fn(u8) -> bool) {
    for &b in bytes {
        if keep(b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// Decodes `%XX` escapes; `None` for a malformed escape.
fn percent_decode(bytes: &[u8]) -> Option<Vec<u8>> {
    fn hex(b: u8) -> Option<u8> {
        char::from(b).to_digit(16).map(|d| d as u8)
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let (hi, lo) = (hex(*bytes.get(i + 1)?)?, hex(*bytes.get(i + 2)?)?);
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// A path for the error log: the request path is client-chosen and decoded, so control bytes
/// (`%0a` becomes a newline) are escaped rather than allowed to forge log lines.
fn shown(path: &Path) -> String {
    let mut out = String::new();
    for c in String::from_utf8_lossy(path.as_os_str().as_bytes()).chars() {
        if c.is_control() {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

// ---- directives and descriptor -------------------------------------------------------------
//
// mod-static declares no directive of its own yet: DocumentRoot, ServerRoot and DirectoryIndex
// are the core's. AddType, TypesConfig, AddDefaultCharset and Options come with a later issue.

mapache_module! {
    symbol: static_module,
    name: "static",
    handler: Static,
    directives: [],
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh directory under the system temp dir (canonical), removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "mod-static-test-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            fs::create_dir_all(&dir).unwrap();
            TempDir(fs::canonicalize(dir).unwrap())
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// tmp/outside.txt, tmp/www/{a.txt, .htpasswd, sub/index.html, empty/}, tmp/www2/b.txt
    fn tree() -> (TempDir, PathBuf) {
        let tmp = TempDir::new();
        let root = tmp.0.join("www");
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::create_dir_all(root.join("empty")).unwrap();
        fs::create_dir_all(tmp.0.join("www2")).unwrap();
        fs::write(root.join("a.txt"), "a").unwrap();
        fs::write(root.join(".htpasswd"), "secret").unwrap();
        fs::write(root.join("sub/index.html"), "<p>").unwrap();
        fs::write(tmp.0.join("www2/b.txt"), "b").unwrap();
        fs::write(tmp.0.join("outside.txt"), "no").unwrap();
        (tmp, root)
    }

    fn status(r: Result<Located, Refusal>) -> u16 {
        r.map_or_else(|e| e.status, |_| 200)
    }

    #[test]
    fn default_handler_selection() {
        assert!(is_default_handler(""));
        assert!(is_default_handler("default-handler"));
        assert!(is_default_handler("Default-Handler"));
        assert!(!is_default_handler("server-status"));
    }

    #[test]
    fn ht_segments() {
        for p in [
            "/.htaccess",
            "/a/.htpasswd",
            "/a/.HTaccess/x",
            "/.ht",
            "/.htdir/",
        ] {
            assert!(has_ht_segment(p.as_bytes()), "{p}");
        }
        for p in ["/", "/a.htaccess", "/x/ht", "/.h", "/x/.hidden", "/a/b.ht"] {
            assert!(!has_ht_segment(p.as_bytes()), "{p}");
        }
    }

    #[test]
    fn joining_the_request_path() {
        let root = Path::new("/srv/www");
        assert_eq!(candidate_path(root, b"/"), Path::new("/srv/www/"));
        assert_eq!(
            candidate_path(root, b"/a/b.txt"),
            Path::new("/srv/www/a/b.txt")
        );
        assert_eq!(
            candidate_path(root, b"//etc/passwd"),
            Path::new("/srv/www/etc/passwd")
        );
        let odd = candidate_path(root, b"/caf\xe9");
        assert_eq!(odd.as_os_str().as_bytes(), b"/srv/www/caf\xe9");
    }

    #[test]
    fn document_root_against_server_root() {
        assert_eq!(
            document_root(None, None),
            Path::new("/usr/local/mapache/htdocs")
        );
        assert_eq!(
            document_root(Some(b"/opt/m"), Some(b"site")),
            Path::new("/opt/m/site")
        );
        assert_eq!(
            document_root(Some(b"/opt/m"), Some(b"/var/www")),
            Path::new("/var/www")
        );
        assert_eq!(
            document_root(None, Some(b"pub")),
            Path::new("/usr/local/mapache/pub")
        );
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
    fn locating_files_and_directories() {
        let (_tmp, root) = tree();
        let f = locate(&root, b"/a.txt").unwrap();
        assert_eq!((f.kind, f.path.clone()), (Kind::File, root.join("a.txt")));
        assert_eq!(locate(&root, b"/").unwrap().kind, Kind::Directory);
        assert_eq!(locate(&root, b"/sub").unwrap().kind, Kind::Directory);
        assert_eq!(locate(&root, b"/sub/").unwrap().kind, Kind::Directory);
        assert_eq!(status(locate(&root, b"/missing")), 404);
        assert_eq!(status(locate(&root, b"/missing/deeper")), 404);
        // A file used as a directory: ENOTDIR, a 404 as in Apache.
        assert_eq!(status(locate(&root, b"/a.txt/")), 404);
        assert_eq!(status(locate(&root, b"/a.txt/x")), 404);
        assert_eq!(status(locate(&root, b"/.htpasswd")), 403);
        // Refused even when missing: no existence oracle.
        assert_eq!(status(locate(&root, b"/nope/.htaccess")), 403);
    }

    #[test]
    fn symlinks_are_contained() {
        let (tmp, root) = tree();
        symlink(root.join("a.txt"), root.join("inside")).unwrap();
        symlink("../outside.txt", root.join("out-file")).unwrap();
        symlink(&tmp.0, root.join("out-dir")).unwrap();
        symlink(tmp.0.join("www2"), root.join("sibling")).unwrap();
        symlink(".htpasswd", root.join("pub")).unwrap();
        symlink("nowhere", root.join("dangling")).unwrap();

        let inside = locate(&root, b"/inside").unwrap();
        assert_eq!(inside.path, root.join("a.txt"));
        assert_eq!(inside.requested, root.join("inside"));
        assert_eq!(status(locate(&root, b"/out-file")), 403);
        assert_eq!(status(locate(&root, b"/out-dir/outside.txt")), 403);
        assert_eq!(status(locate(&root, b"/out-dir/www/a.txt")), 200);
        // /tmp/x/www2 shares a string prefix with /tmp/x/www, not a path prefix.
        assert_eq!(status(locate(&root, b"/sibling/b.txt")), 403);
        assert_eq!(status(locate(&root, b"/pub")), 403);
        assert_eq!(status(locate(&root, b"/dangling")), 404);
    }

    #[test]
    fn a_linked_document_root_is_followed() {
        let (tmp, root) = tree();
        let link = tmp.0.join("current");
        symlink(&root, &link).unwrap();
        let canonical = canonical_root(&link).unwrap();
        assert_eq!(canonical, root);
        assert_eq!(status(locate(&canonical, b"/a.txt")), 200);
        let absent = canonical_root(&tmp.0.join("absent")).unwrap_err();
        assert_eq!((absent.status, absent.level), (404, Level::Error));
    }

    #[test]
    fn neither_file_nor_directory() {
        let (_tmp, root) = tree();
        let _socket = std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap();
        assert_eq!(locate(&root, b"/sock").unwrap().kind, Kind::Other);
    }

    #[test]
    fn directory_index_search() {
        let (tmp, root) = tree();
        let names = |n: &[&str]| n.iter().map(PathBuf::from).collect::<Vec<_>>();
        let sub = locate(&root, b"/sub/").unwrap();
        let found = find_index(&root, &sub, &names(&["missing.html", "index.html"])).unwrap();
        assert_eq!(found.path, root.join("sub/index.html"));
        assert_eq!(found.requested, root.join("sub/index.html"));

        // A directory called like an index is skipped; nothing found is a 403.
        fs::create_dir(root.join("empty/index.html")).unwrap();
        let empty = locate(&root, b"/empty/").unwrap();
        let none = find_index(&root, &empty, &names(&["index.html"])).unwrap_err();
        assert_eq!(none.status, 403);
        assert_eq!(find_index(&root, &empty, &[]).unwrap_err().status, 403);

        // An index linking outside the root is refused, not skipped.
        symlink(tmp.0.join("outside.txt"), root.join("empty/home.html")).unwrap();
        let out = find_index(&root, &empty, &names(&["home.html", "x"])).unwrap_err();
        assert_eq!(out.status, 403);
        assert_eq!(
            find_index(&root, &empty, &names(&[".htpasswd"]))
                .unwrap_err()
                .status,
            403
        );
    }

    #[test]
    fn io_errors_map_like_apache() {
        let p = Path::new("/x");
        let status = |k: io::ErrorKind| Refusal::from_io(io::Error::from(k), p).status;
        assert_eq!(status(io::ErrorKind::NotFound), 404);
        assert_eq!(status(io::ErrorKind::NotADirectory), 404);
        assert_eq!(status(io::ErrorKind::PermissionDenied), 403);
        assert_eq!(status(io::ErrorKind::Other), 403);
        let missing = Refusal::from_io(io::Error::from(io::ErrorKind::NotFound), p);
        assert_eq!(missing.level, Level::Info);
        assert_eq!(missing.message, "File does not exist: /x");
    }

    #[test]
    fn redirect_locations() {
        assert_eq!(build_location("/docs", b"/docs", ""), "/docs/");
        assert_eq!(
            build_location("/docs?a=1&b", b"/docs", "a=1&b"),
            "/docs/?a=1&b"
        );
        // The client's encoding is kept when it decodes to the served path.
        assert_eq!(build_location("/a%20b", b"/a b", ""), "/a%20b/");
        assert_eq!(
            build_location("/caf%C3%A9", b"/caf\xc3\xa9", ""),
            "/caf%C3%A9/"
        );
        assert_eq!(build_location("/%7euser", b"/~user", ""), "/%7euser/");
        // Absolute form: the path only.
        assert_eq!(
            build_location("http://example.com/docs?x", b"/docs", "x"),
            "/docs/?x"
        );
        // Dot segments the core resolved: the decoded path, encoded afresh.
        assert_eq!(build_location("/x/../docs", b"/docs", ""), "/docs/");
        // Never a protocol-relative Location.
        assert_eq!(
            build_location("//evil.com/%2e%2e/docs", b"/docs", ""),
            "/docs/"
        );
        assert_eq!(
            build_location("//evil.com", b"//evil.com", ""),
            "/evil.com/"
        );
        // Not UTF-8 (the SDK then hands an empty target), bytes a URI may not hold.
        assert_eq!(build_location("", b"/caf\xe9 x", ""), "/caf%E9%20x/");
        assert_eq!(build_location("", b"/a\\b?#%", ""), "/a%5Cb%3F%23%25/");
        // A query is passed on, with header-unsafe bytes escaped.
        assert_eq!(
            build_location("/d", b"/d", "q=%20 \r\n\""),
            "/d/?q=%20%20%0D%0A%22"
        );
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode(b"/a%2Fb%41").unwrap(), b"/a/bA");
        assert!(percent_decode(b"/a%2").is_none());
        assert!(percent_decode(b"/a%zz").is_none());
    }

    #[test]
    fn origin_paths() {
        assert_eq!(origin_path("/a?b"), "/a");
        assert_eq!(origin_path("HTTPS://h:8080/a/b?c"), "/a/b");
        assert_eq!(origin_path("http://h"), "/");
        assert_eq!(origin_path("/x/http://y"), "/x/http://y");
    }

    #[test]
    fn content_types() {
        let t = ContentTypes::builtin();
        let ty = |p: &str| t.for_path(Path::new(p));
        assert_eq!(ty("/w/index.html"), "text/html");
        assert_eq!(ty("/w/INDEX.HTML"), "text/html");
        assert_eq!(ty("/w/a.txt"), "text/plain");
        assert_eq!(ty("/w/s.css"), "text/css");
        assert_eq!(ty("/w/i.png"), "image/png");
        assert_eq!(ty("/w/data.json"), "application/json");
        assert_eq!(ty("/w/blob.unknownext"), DEFAULT_CONTENT_TYPE);
        assert_eq!(ty("/w/README"), DEFAULT_CONTENT_TYPE);
        assert_eq!(ty("/w/.bashrc"), DEFAULT_CONTENT_TYPE);
        let odd = PathBuf::from(OsStr::from_bytes(b"/w/f.\xff"));
        assert_eq!(t.for_path(&odd), DEFAULT_CONTENT_TYPE);
    }

    #[test]
    fn last_modified_dates() {
        let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(
            last_modified(t).as_deref(),
            Some("Sun, 06 Nov 1994 08:49:37 GMT")
        );
        assert_eq!(last_modified(UNIX_EPOCH - Duration::from_secs(1)), None);
        let future = SystemTime::now() + Duration::from_secs(86_400 * 365 * 10_000);
        let clamped = httpdate::parse_http_date(&last_modified(future).unwrap()).unwrap();
        assert!(clamped <= SystemTime::now());
    }

    #[test]
    fn log_paths_are_escaped() {
        assert_eq!(shown(Path::new("/a\nb\x1b")), "/a\\x0ab\\x1b");
        assert_eq!(shown(Path::new("/caf\u{e9}")), "/caf\u{e9}");
    }

    #[test]
    fn html_escaping() {
        assert_eq!(
            html_escape("/a?b=1&c=\"<>\""),
            "/a?b=1&amp;c=&quot;&lt;&gt;&quot;"
        );
    }
}
