//! A request as a hook, filter, provider or handler sees it: read the request, change it
//! (ABI 1.4: URL, file name, tables, user, filters), build the response.

use super::config::Config;
use super::host::{from_abi, host, host_provides, module_name, str_from_abi, to_abi, Level};
use crate::abi::{self, MapacheRequest, MapacheStr};
use core::any::TypeId;
use std::fs::File;
use std::mem::ManuallyDrop;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// What a handler did with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The response was produced through the [`Request`]'s response methods.
    Done,
    /// Not this handler's request: the next handler is tried.
    Declined,
    /// The core answers with its own error page for this status (400..=599).
    Status(u16),
}

impl Outcome {
    /// The ABI return value.
    pub fn to_raw(self) -> i32 {
        match self {
            Outcome::Done => abi::MAPACHE_OK,
            Outcome::Declined => abi::MAPACHE_DECLINED,
            Outcome::Status(s) => i32::from(s),
        }
    }
}

/// What a URL path names on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Nothing (see [`MappedFile::error`]).
    None,
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A FIFO, socket or device: never to be read.
    Other,
}

/// A URL path mapped onto the file system by the core ([`Request::map`]), borrowed for the
/// duration of `handle`.
#[derive(Debug)]
pub struct MappedFile<'a> {
    /// What is there.
    pub kind: FileKind,
    /// For [`FileKind::None`], why: the lookup's OS error (`NotFound`, `NotADirectory`,
    /// `PermissionDenied`...).
    pub error: Option<std::io::Error>,
    /// The real path (absolute, no symbolic link).
    pub path: &'a Path,
    /// DocumentRoot joined with the URL path: the name that was asked for.
    pub requested: &'a Path,
    /// The open file's size (0 for [`FileKind::None`]).
    pub size: u64,
    /// The open file's modification time (the epoch for [`FileKind::None`]).
    pub modified: std::time::SystemTime,
    /// The open file, owned by the core: never dropped here.
    file: Option<ManuallyDrop<File>>,
}

impl MappedFile<'_> {
    /// The file or directory the core opened in the step that resolved its path (`None` for
    /// [`FileKind::None`]). Read and send this one, never the path: the path may have changed.
    pub fn file(&self) -> Option<&File> {
        self.file.as_deref()
    }
}

/// One request, borrowed from the core for the duration of one call into the module (a hook,
/// a filter call, a provider, `handle`), and only on that call's thread. Strings it returns
/// with lifetime `'a` stay valid until the request ends; those borrowed from `&self` (table
/// values) until the next change through `&mut self`.
pub struct Request<'a> {
    raw: *mut MapacheRequest,
    /// The calling module's descriptor and configuration type, for [`Request::module_config`]
    /// (null and `()` when the call did not come through [`mapache_module!`](crate::mapache_module)).
    module: *const abi::MapacheModule,
    config_type: TypeId,
    _life: core::marker::PhantomData<&'a mut MapacheRequest>,
}

/// One of a request's tables of name/value fields (names match case-insensitively; a name
/// may occur several times).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// The headers of a successful response (Apache's `headers_out`). The framing headers,
    /// Date and Server belong to the core and are refused.
    HeadersOut,
    /// Headers sent with every response, errors included, kept across internal redirects
    /// (Apache's `err_headers_out`).
    ErrHeadersOut,
    /// The request headers as later phases and the handler see them; change them with
    /// [`Request::change_request_header`].
    HeadersIn,
    /// Notes modules pass each other during the request (`%{name}n` in LogFormat).
    Notes,
    /// The request's environment variables (`SetEnv`, `%{VAR}e`, `Require env`).
    Env,
}

impl Table {
    fn to_raw(self) -> u32 {
        match self {
            Table::HeadersOut => abi::MAPACHE_TABLE_HEADERS_OUT,
            Table::ErrHeadersOut => abi::MAPACHE_TABLE_ERR_HEADERS_OUT,
            Table::HeadersIn => abi::MAPACHE_TABLE_HEADERS_IN,
            Table::Notes => abi::MAPACHE_TABLE_NOTES,
            Table::Env => abi::MAPACHE_TABLE_ENV,
        }
    }
}

/// The core refused a change (a bad value, a header it owns, too late in the request, an
/// unknown filter); the host function's documentation in [`abi::MapacheHost`] says when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused;

impl core::fmt::Display for Refused {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("the core refused the change")
    }
}

impl std::error::Error for Refused {}

/// How the request body is framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body.
    None,
    /// A body of this Content-Length.
    Length(u64),
    /// A chunked body; its length is known only at its end.
    Chunked,
}

/// A value the core copies into a caller's buffer (`f(buf, cap)` answers the length, or -1):
/// once into a small buffer, again with the length it asked for.
pub(crate) fn read_sized(mut f: impl FnMut(*mut u8, usize) -> isize) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 256];
    loop {
        let n = f(buf.as_mut_ptr(), buf.len());
        let n = usize::try_from(n).ok()?;
        if n <= buf.len() {
            buf.truncate(n);
            return Some(buf);
        }
        buf.resize(n, 0);
    }
}

fn refused(rc: i32) -> Result<(), Refused> {
    if rc == abi::MAPACHE_OK {
        Ok(())
    } else {
        Err(Refused)
    }
}

fn status_of(rc: i32) -> Result<(), u16> {
    match rc {
        abi::MAPACHE_OK => Ok(()),
        s @ 300..=599 => Err(s as u16),
        _ => Err(500),
    }
}

fn blank_file() -> abi::MapacheFile {
    abi::MapacheFile {
        struct_size: core::mem::size_of::<abi::MapacheFile>() as u32,
        kind: abi::MAPACHE_FILE_NONE,
        fd: -1,
        error: 0,
        path: empty(),
        requested: empty(),
        size: 0,
        mtime_ns: 0,
    }
}

/// Views what `req_map` or `req_lookup` filled in.
///
/// # Safety
/// `out` must have been filled by the core for a request that lives for `'a`.
unsafe fn mapped_file<'a>(out: &abi::MapacheFile) -> MappedFile<'a> {
    let kind = match out.kind {
        abi::MAPACHE_FILE_REGULAR => FileKind::File,
        abi::MAPACHE_FILE_DIRECTORY => FileKind::Directory,
        abi::MAPACHE_FILE_OTHER => FileKind::Other,
        _ => FileKind::None,
    };
    let (path, requested) = (from_abi(out.path), from_abi(out.requested));
    MappedFile {
        kind,
        error: (kind == FileKind::None).then(|| std::io::Error::from_raw_os_error(out.error)),
        path: Path::new(std::ffi::OsStr::from_bytes(path)),
        requested: Path::new(std::ffi::OsStr::from_bytes(requested)),
        size: out.size,
        modified: if out.mtime_ns >= 0 {
            std::time::UNIX_EPOCH + std::time::Duration::from_nanos(out.mtime_ns as u64)
        } else {
            std::time::UNIX_EPOCH - std::time::Duration::from_nanos(out.mtime_ns.unsigned_abs())
        },
        // An open descriptor the core owns while the request lives; ManuallyDrop never closes it.
        file: (out.fd >= 0).then(|| ManuallyDrop::new(File::from_raw_fd(out.fd))),
    }
}

fn empty() -> MapacheStr {
    to_abi(&[])
}

impl<'a> Request<'a> {
    /// Wraps a handle received in `handle`.
    ///
    /// # Safety
    /// `raw` must be the live request handle passed to this `handle` call.
    pub unsafe fn from_raw(raw: *mut MapacheRequest) -> Self {
        Request {
            raw,
            module: core::ptr::null(),
            config_type: TypeId::of::<()>(),
            _life: core::marker::PhantomData,
        }
    }

    /// The same request seen by the module whose descriptor is `module` and whose typed
    /// configuration type is `C` (the macro's glue does this).
    pub(crate) fn in_module<C: 'static>(mut self, module: *const abi::MapacheModule) -> Self {
        self.module = module;
        self.config_type = TypeId::of::<C>();
        self
    }

    /// The raw handle, for host functions the SDK does not wrap.
    pub fn as_raw(&mut self) -> *mut MapacheRequest {
        self.raw
    }

    fn text(&self, f: extern "C" fn(*const MapacheRequest) -> MapacheStr) -> &'a str {
        // SAFETY: the core keeps request strings alive until `handle` returns.
        unsafe { str_from_abi(f(self.raw)) }
    }

    /// The method, e.g. `GET`.
    pub fn method(&self) -> &'a str {
        self.text(host().req_method)
    }

    /// The request target as sent.
    pub fn uri(&self) -> &'a str {
        self.text(host().req_uri)
    }

    /// The decoded, normalized path.
    pub fn path(&self) -> &'a [u8] {
        // SAFETY: as in `text`.
        unsafe { from_abi((host().req_path)(self.raw)) }
    }

    /// The query string (without `?`).
    pub fn query(&self) -> &'a str {
        self.text(host().req_query)
    }

    /// The protocol, e.g. `HTTP/1.1`.
    pub fn protocol(&self) -> &'a str {
        self.text(host().req_protocol)
    }

    /// The handler chosen by `SetHandler` (empty when none).
    pub fn handler(&self) -> &'a str {
        self.text(host().req_handler)
    }

    /// The client's IP address.
    pub fn client_ip(&self) -> &'a str {
        self.text(host().req_client_ip)
    }

    /// The first request header named `name` (case-insensitive), as bytes.
    pub fn header_bytes(&self, name: &str) -> Option<&'a [u8]> {
        let mut v = empty();
        let found = (host().req_header)(self.raw, to_abi(name.as_bytes()), &mut v);
        // SAFETY: as in `text`.
        (found == 1).then(|| unsafe { from_abi(v) })
    }

    /// The first request header named `name`, when it is valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.header_bytes(name)
            .and_then(|b| core::str::from_utf8(b).ok())
    }

    /// All request header fields in order, as bytes.
    pub fn headers(&self) -> Vec<(&'a [u8], &'a [u8])> {
        let h = host();
        (0..(h.req_header_count)(self.raw))
            .filter_map(|i| {
                let (mut n, mut v) = (empty(), empty());
                // SAFETY: as in `text`.
                ((h.req_header_at)(self.raw, i, &mut n, &mut v) == 1)
                    .then(|| unsafe { (from_abi(n), from_abi(v)) })
            })
            .collect()
    }

    /// The configuration that applies to this request.
    pub fn config(&self) -> Config<'a> {
        // SAFETY: the core keeps the handle alive until `handle` returns.
        unsafe { Config::from_raw((host().req_config)(self.raw)) }
            .in_module(self.module, self.config_type)
    }

    /// Reads request body bytes (0 at the end).
    pub fn read_body(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (host().req_read_body)(self.raw, buf.as_mut_ptr(), buf.len());
        usize::try_from(n).map_err(|_| std::io::Error::other("request body could not be read"))
    }

    /// Logs a line with this request's client address.
    pub fn log(&self, level: Level, msg: &str) {
        (host().req_log)(
            self.raw,
            to_abi(module_name().as_bytes()),
            level.to_raw(),
            to_abi(msg.as_bytes()),
        );
    }

    /// Sets the status code (default 200).
    pub fn set_status(&mut self, status: u16) {
        (host().resp_set_status)(self.raw, status);
    }

    /// Sets a response header, replacing others of that name.
    pub fn set_header(&mut self, name: &str, value: &str) {
        (host().resp_set_header)(self.raw, to_abi(name.as_bytes()), to_abi(value.as_bytes()));
    }

    /// Adds a response header.
    pub fn add_header(&mut self, name: &str, value: &str) {
        (host().resp_add_header)(self.raw, to_abi(name.as_bytes()), to_abi(value.as_bytes()));
    }

    /// Declares the body length.
    pub fn set_content_length(&mut self, length: u64) {
        (host().resp_set_content_length)(self.raw, length);
    }

    /// Appends body bytes. `Err` when the client has gone.
    pub fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        match (host().resp_write)(self.raw, to_abi(data)) {
            abi::MAPACHE_OK => Ok(()),
            _ => Err(std::io::Error::other("client connection lost")),
        }
    }

    /// Sends `length` bytes of `file` from `offset` as body, with sendfile where possible.
    pub fn send_file(
        &mut self,
        file: &impl AsRawFd,
        offset: u64,
        length: u64,
    ) -> std::io::Result<()> {
        match (host().resp_sendfile)(self.raw, file.as_raw_fd(), offset, length) {
            abi::MAPACHE_OK => Ok(()),
            _ => Err(std::io::Error::other("client connection lost")),
        }
    }

    /// Maps `url_path` (decoded, starting with `/`) onto the file system under DocumentRoot, as
    /// the core mapped the request's own path: symbolic links only as `Options` allows, and the
    /// client checked against the `Require` lines of the real directory. `Err(status)` (403) when
    /// the path may not be served; the core has logged why.
    pub fn map(&mut self, url_path: &[u8]) -> Result<MappedFile<'a>, u16> {
        let mut out = blank_file();
        status_of((host().req_map)(self.raw, to_abi(url_path), &mut out))?;
        // SAFETY: filled by the core for this live request.
        Ok(unsafe { mapped_file(&out) })
    }

    /// What `uri` (a target as a client writes it) would map to if it were requested: the
    /// translate hooks run for it, then the core maps it and checks its `Require` lines, as
    /// [`Request::map`] does (a subrequest's lookup). `Err(status)` as for `map`.
    pub fn lookup(&mut self, uri: &str) -> Result<MappedFile<'a>, u16> {
        let mut out = blank_file();
        status_of((host().req_lookup)(
            self.raw,
            to_abi(uri.as_bytes()),
            &mut out,
        ))?;
        // SAFETY: filled by the core; valid until the request ends.
        Ok(unsafe { mapped_file(&out) })
    }

    /// Replaces the URL the rest of the request works on (translate, or before the handler):
    /// `uri` as a client writes a target. `Err(400)` for a path the request line could not
    /// have, `Err(404)` for an encoded `/`.
    pub fn set_uri(&mut self, uri: &str) -> Result<(), u16> {
        status_of((host().req_set_uri)(self.raw, to_abi(uri.as_bytes())))
    }

    /// From a handler (or fixups): serve `uri` instead, from the translate phase on, once the
    /// calling hook returns (return `Ok`/`Done` then). Errors as [`Request::set_uri`].
    pub fn internal_redirect(&mut self, uri: &str) -> Result<(), u16> {
        status_of((host().req_internal_redirect)(
            self.raw,
            to_abi(uri.as_bytes()),
        ))
    }

    /// The file name the request maps to (empty before translation ended, or when a
    /// map_to_storage hook took the request).
    pub fn filename(&self) -> &'a Path {
        // SAFETY: as in `text`.
        let b = unsafe { from_abi((host().req_filename)(self.raw)) };
        Path::new(std::ffi::OsStr::from_bytes(b))
    }

    /// Sets the file name, from a translate hook (Alias): an absolute path, mapped as
    /// DocumentRoot's files are.
    pub fn set_filename(&mut self, path: &Path) -> Result<(), Refused> {
        refused((host().req_set_filename)(
            self.raw,
            to_abi(path.as_os_str().as_bytes()),
        ))
    }

    /// The first field named `name` in `table`, as bytes; valid until the table changes.
    pub fn table_bytes(&self, table: Table, name: &str) -> Option<&[u8]> {
        self.table_nth(table, name, 0)
    }

    /// The first field named `name` in `table`, when it is UTF-8.
    pub fn table_get(&self, table: Table, name: &str) -> Option<&str> {
        self.table_bytes(table, name)
            .and_then(|b| core::str::from_utf8(b).ok())
    }

    /// Every field named `name` in `table`, in order.
    pub fn table_get_all(&self, table: Table, name: &str) -> Vec<&[u8]> {
        (0..)
            .map_while(|i| self.table_nth(table, name, i))
            .collect()
    }

    fn table_nth(&self, table: Table, name: &str, index: usize) -> Option<&[u8]> {
        let mut v = empty();
        let found = (host().table_get)(
            self.raw,
            table.to_raw(),
            to_abi(name.as_bytes()),
            index,
            &mut v,
        );
        // SAFETY: valid until the table next changes, which needs `&mut self`.
        (found == 1).then(|| unsafe { from_abi(v) })
    }

    /// Every field of `table`, in order.
    pub fn table_entries(&self, table: Table) -> Vec<(&[u8], &[u8])> {
        let h = host();
        (0..(h.table_count)(self.raw, table.to_raw()))
            .filter_map(|i| {
                let (mut n, mut v) = (empty(), empty());
                // SAFETY: valid until the table next changes, which needs `&mut self`.
                ((h.table_at)(self.raw, table.to_raw(), i, &mut n, &mut v) == 1)
                    .then(|| unsafe { (from_abi(n), from_abi(v)) })
            })
            .collect()
    }

    fn table_change(
        &mut self,
        table: Table,
        name: &str,
        value: &str,
        mode: u32,
    ) -> Result<(), Refused> {
        // Request headers are lent out for `'a` (`header`): the core keeps a replaced or removed
        // field's bytes until the request ends, so changing them is safe.
        self.table_change_raw(table, name, value, mode)
    }

    fn table_change_raw(
        &mut self,
        table: Table,
        name: &str,
        value: &str,
        mode: u32,
    ) -> Result<(), Refused> {
        refused((host().table_set)(
            self.raw,
            table.to_raw(),
            to_abi(name.as_bytes()),
            to_abi(value.as_bytes()),
            mode,
        ))
    }

    /// Sets `name` in `table` to `value`, replacing every field of that name.
    pub fn table_set(&mut self, table: Table, name: &str, value: &str) -> Result<(), Refused> {
        self.table_change(table, name, value, abi::MAPACHE_TABLE_SET)
    }

    /// Adds a field to `table`, keeping the others of that name.
    pub fn table_add(&mut self, table: Table, name: &str, value: &str) -> Result<(), Refused> {
        self.table_change(table, name, value, abi::MAPACHE_TABLE_ADD)
    }

    /// Removes every field named `name` from `table`.
    pub fn table_unset(&mut self, table: Table, name: &str) -> Result<(), Refused> {
        self.table_change(table, name, "", abi::MAPACHE_TABLE_UNSET)
    }

    /// Changes the request headers later phases and the handler see: `Some(value)` replaces
    /// every `name` field (or, with `add`, adds one next to them); `None` removes them. Values
    /// [`Request::header`] returned earlier stay readable (the core keeps them until the
    /// request ends).
    pub fn change_request_header(
        &mut self,
        name: &str,
        value: Option<&str>,
        add: bool,
    ) -> Result<(), Refused> {
        let mode = match (value, add) {
            (None, _) => abi::MAPACHE_TABLE_UNSET,
            (Some(_), true) => abi::MAPACHE_TABLE_ADD,
            (Some(_), false) => abi::MAPACHE_TABLE_SET,
        };
        self.table_change_raw(Table::HeadersIn, name, value.unwrap_or(""), mode)
    }

    /// A note another hook (or module) left for this request.
    pub fn note(&self, name: &str) -> Option<&str> {
        self.table_get(Table::Notes, name)
    }

    /// Leaves a note for later phases and other modules.
    pub fn set_note(&mut self, name: &str, value: &str) -> Result<(), Refused> {
        self.table_set(Table::Notes, name, value)
    }

    /// An environment variable of the request.
    pub fn env(&self, name: &str) -> Option<&str> {
        self.table_get(Table::Env, name)
    }

    /// Sets an environment variable of the request.
    pub fn set_env(&mut self, name: &str, value: &str) -> Result<(), Refused> {
        self.table_set(Table::Env, name, value)
    }

    /// The local address the connection arrived on, as text.
    pub fn local_ip(&self) -> &'a str {
        self.text(host().req_local_ip)
    }

    /// The local port the connection arrived on.
    pub fn local_port(&self) -> u16 {
        (host().req_local_port)(self.raw) as u16
    }

    /// The client's port.
    pub fn client_port(&self) -> u16 {
        (host().req_client_port)(self.raw) as u16
    }

    /// `http` (or `https` on a TLS connection).
    pub fn scheme(&self) -> &'a str {
        self.text(host().req_scheme)
    }

    /// The server name of the request's scope.
    pub fn server_name(&self) -> &'a str {
        self.text(host().req_server_name)
    }

    /// The authenticated user (empty when none): `%u`, `REMOTE_USER`.
    pub fn user(&self) -> &'a str {
        self.text(host().req_user)
    }

    /// Sets the authenticated user, from an authn hook (not empty, no CR, LF or NUL).
    pub fn set_user(&mut self, user: &str) -> Result<(), Refused> {
        refused((host().req_set_user)(self.raw, to_abi(user.as_bytes())))
    }

    /// `scheme://host[:port]` of this server as the client reached it, for absolute URLs in
    /// redirects (Apache's `ap_construct_url` with `UseCanonicalName Off`): the Host header's
    /// name and port (the scheme's default when it has none), else the server name and the
    /// local port; the port is left out when it is the scheme's default.
    pub fn origin(&self) -> String {
        let scheme = self.scheme();
        let default_port = if scheme == "https" { 443 } else { 80 };
        let (host, port) = match self.header("Host").filter(|h| !h.is_empty()) {
            Some(h) => match h.rsplit_once(':').filter(|(_, p)| p.parse::<u16>().is_ok()) {
                Some((name, p)) => (name.to_owned(), p.parse().unwrap_or(default_port)),
                None => (h.to_owned(), default_port),
            },
            None => (self.server_name().to_owned(), self.local_port()),
        };
        if port == default_port {
            format!("{scheme}://{host}")
        } else {
            format!("{scheme}://{host}:{port}")
        }
    }

    /// (ABI 1.6) A server or request variable as ap_expr and mod_rewrite name them
    /// (`REQUEST_URI`, `DOCUMENT_ROOT`, `SERVER_PORT`, `HTTPS`, `TIME_YEAR`, `HTTP_USER_AGENT`,
    /// …); None when it is unknown or unset, or the core is older than 1.6.
    pub fn var(&self, name: &str) -> Option<String> {
        if !host_provides(core::mem::offset_of!(abi::MapacheHost, req_var)) {
            return None;
        }
        let f = host().req_var;
        read_sized(|buf, cap| f(self.raw, to_abi(name.as_bytes()), buf, cap))
            .map(|v| String::from_utf8_lossy(&v).into_owned())
    }

    /// (ABI 1.6) Makes `ip` the useragent's address for the rest of the request (mod_remoteip):
    /// `Require ip`, `%a`, `REMOTE_ADDR`, [`Request::client_ip`] and the scoreboard see it;
    /// [`Request::peer_ip`] keeps the connection's peer. Refused for text that is no address.
    pub fn set_client_ip(&mut self, ip: &str) -> Result<(), Refused> {
        if !host_provides(core::mem::offset_of!(abi::MapacheHost, req_set_client_ip)) {
            return Err(Refused);
        }
        refused((host().req_set_client_ip)(self.raw, to_abi(ip.as_bytes())))
    }

    /// (ABI 1.6) The connection's peer address (`%{c}a`), whatever the useragent's is (with an
    /// older core: [`Request::client_ip`]).
    pub fn peer_ip(&self) -> &'a str {
        if !host_provides(core::mem::offset_of!(abi::MapacheHost, req_peer_ip)) {
            return self.client_ip();
        }
        self.text(host().req_peer_ip)
    }

    /// (ABI 1.6) Sets the request's handler (as `SetHandler`) from translate, map_to_storage,
    /// access or fixups; empty goes back to `default-handler`. Refused when no loaded module
    /// takes that name.
    pub fn set_handler(&mut self, name: &str) -> Result<(), Refused> {
        if !host_provides(core::mem::offset_of!(abi::MapacheHost, req_set_handler)) {
            return Err(Refused);
        }
        refused((host().req_set_handler)(self.raw, to_abi(name.as_bytes())))
    }

    /// The raw handle, for the SDK's other wrappers (expressions).
    pub(crate) fn raw(&self) -> *mut MapacheRequest {
        self.raw
    }

    /// How the request body is framed.
    pub fn body_framing(&self) -> BodyFraming {
        let mut length = 0u64;
        match (host().req_body_framing)(self.raw, &mut length) {
            abi::MAPACHE_BODY_LENGTH => BodyFraming::Length(length),
            abi::MAPACHE_BODY_CHUNKED => BodyFraming::Chunked,
            _ => BodyFraming::None,
        }
    }

    /// The response status as it stands (200 until someone sets another; final in the log
    /// phase).
    pub fn status(&self) -> u16 {
        (host().resp_status)(self.raw) as u16
    }

    /// The declared response body length, if one is.
    pub fn content_length(&self) -> Option<u64> {
        u64::try_from((host().resp_content_length)(self.raw)).ok()
    }

    /// Response body bytes sent so far (in the log phase: all, `%B`).
    pub fn bytes_sent(&self) -> u64 {
        (host().resp_bytes_sent)(self.raw)
    }

    /// Time since the request's head was read (in the log phase: its duration, `%D`).
    pub fn elapsed(&self) -> std::time::Duration {
        std::time::Duration::from_micros((host().req_elapsed_us)(self.raw))
    }

    /// Adds the filter `name` (some loaded module's) to the request's chain. `Err` when no
    /// module offers it or it is too late (head sent; body being read, for input filters).
    pub fn add_filter(&mut self, name: &str) -> Result<(), Refused> {
        refused((host().req_add_filter)(self.raw, to_abi(name.as_bytes())))
    }

    /// The calling module's typed configuration in effect for this request (the server level
    /// merged with the sections that apply), valid until the request ends. `None` when `T` is
    /// not the type named in the module's `config:` (or it has none).
    pub fn module_config<T: 'static>(&self) -> Option<&'a T> {
        if self.module.is_null() || self.config_type != TypeId::of::<T>() {
            return None;
        }
        let p = (host().req_module_config)(self.raw, self.module) as *const T;
        // SAFETY: the macro's create/merge functions made this object as a `Box<T>` (checked by
        // the type id above); the core keeps it until the request ends.
        unsafe { p.as_ref() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_config_of_another_type_or_outside_a_module_is_none() {
        // SAFETY: both calls return before using the handle.
        let req = unsafe { Request::from_raw(core::ptr::null_mut()) };
        assert!(req.module_config::<String>().is_none());
        let fake = core::ptr::NonNull::<abi::MapacheModule>::dangling().as_ptr();
        // SAFETY: as above.
        let req = unsafe { Request::from_raw(core::ptr::null_mut()) }.in_module::<u32>(fake);
        assert!(req.module_config::<String>().is_none());
    }
}
