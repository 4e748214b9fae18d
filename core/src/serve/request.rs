//! One request being served: what the handler reads (head, body) and the response it builds.
//! Host-table request functions are thin wrappers over the methods here.

use super::conn::Connection;
use crate::config::store::View;
use crate::http::{self, BodyDecoder, RequestHead, ResponseFraming, ResponseHead};
use crate::logs::{access_log, error_log};
use crate::scoreboard::worker;
use mapache_plugin_api::abi::MapacheRequest;
use std::time::{Instant, SystemTime};

/// A body produced without a declared length is buffered up to this size, so small responses go
/// out with a Content-Length in one write; past it the response is streamed (chunked).
const BUFFER_LIMIT: usize = 64 * 1024;
/// An unread request body is discarded up to this size to keep the connection; past it, we close.
const DRAIN_LIMIT: u64 = 1024 * 1024;
/// Response header strings a connection keeps for reuse.
const HEADER_STRINGS_KEPT: usize = 16;
/// File ranges up to this size go out with a copy instead of sendfile (see `send_small_file`).
const SMALL_FILE: usize = 16 * 1024;
/// What `EnableSendfile Off` reads and writes at a time.
const COPY_BUFFER: usize = 64 * 1024;
/// The head waits for the file (MSG_MORE) only when the file fits one segment of the largest
/// size TCP hands the device (64 KiB with TSO/GSO, and on loopback): then the response is one
/// packet. A longer file takes several segments anyway, and its head is better sent at once:
/// the client parses it while the body is pushed. Measured on loopback with wrk, 50
/// connections, mpm_event: 32 KiB files 42k -> 52k req/s with the head held; 100 KiB files
/// 21k -> 25k req/s (45 -> 35 us of server CPU per request) with the head sent first.
const COALESCE_MAX: u64 = 64 * 1024;

/// The request body could not be read; the reason was logged and the connection will close.
/// When the response head is not sent yet, the core answers with the status the failure calls
/// for (400, 408, 413) whatever the handler returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyError;

/// Headers that belong to the core: a handler cannot set them.
const CORE_HEADERS: [&str; 5] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "date",
    "server",
];

/// Whether a module may set response header `name` to `value`: not one of the core's, and no
/// byte that would split the response (header injection).
pub fn may_set_header(name: &str, value: &str) -> bool {
    // Headers are set several times per request: one comparison per value byte in the usual
    // case (no control byte at all), and the core's names only compared when the length fits.
    !name.is_empty()
        && !name.bytes().any(|b| b <= b' ' || b == b':' || b >= 0x7f)
        && !value
            .bytes()
            .any(|b| b < 0x20 && (b == b'\r' || b == b'\n' || b == 0))
        && !CORE_HEADERS
            .iter()
            .any(|h| h.len() == name.len() && h.eq_ignore_ascii_case(name))
}

/// A request and its response under construction.
pub struct RequestCtx<'c> {
    /// The connection it arrived on.
    pub conn: &'c mut Connection,
    /// The parsed head.
    pub head: RequestHead,
    /// The server it is for: the main server or a virtual host (the connection's default
    /// until the Host is known).
    pub vhost: &'static crate::vhost::Vhost,
    /// The host it asked for as Apache's `r->hostname` (see `normalize_host`), worked out
    /// when first needed.
    hostname: std::cell::OnceCell<Option<String>>,
    /// The configuration scope that applies.
    pub view: View,
    /// The handler name from SetHandler ("" when none).
    pub handler: String,
    /// What the request path (first) and paths looked up for handlers map to on disk; the
    /// files stay open until the request ends.
    pub mapped: Vec<crate::storage::Mapped>,
    body: BodyDecoder,
    body_started: bool,
    sent_continue: bool,
    /// RequestReadTimeout's body stage: when the first body read began, and raw bytes read since.
    body_clock: Option<(Instant, u64)>,
    /// Set when reading the body failed: the status to answer with (None: the client is gone).
    body_failure: Option<Option<u16>>,
    /// When the request started, for the access log.
    started: SystemTime,
    /// The same, in µs since the epoch, for the scoreboard.
    start_us: u64,
    clock: Instant,
    /// The connection's `bytes_out` when the request started.
    bytes_before: u64,
    /// Body bytes put on the wire (or queued), for `%b`.
    sent_body: u64,
    /// Request body bytes received as framed (chunk sizes included), for `%I`.
    body_bytes_in: u64,
    /// Response status (default 200).
    pub status: u16,
    /// Response headers set by the handler.
    pub headers: Vec<(String, String)>,
    content_length: Option<u64>,
    /// Set once the head is on the wire.
    framing: Option<ResponseFraming>,
    out: Vec<u8>,
    /// Body bytes produced (for HEAD: that would have been sent).
    pub body_bytes: u64,
    client_gone: bool,
    /// Set while the head (and buffered bytes) go out right before a file: sent with MSG_MORE.
    file_follows: bool,
    /// Apache's `err_headers_out`: sent with every response, errors included.
    pub err_headers: Vec<(String, String)>,
    /// Notes modules pass each other.
    pub notes: Vec<(String, String)>,
    /// Environment variables.
    pub env: Vec<(String, String)>,
    /// The authenticated user.
    pub user: Option<String>,
    /// The useragent's address when a module (mod_remoteip) set one: what access control,
    /// `%a`, `REMOTE_ADDR` and the scoreboard see instead of the connection's peer.
    pub useragent: Option<Useragent>,
    /// The handler a module chose (`req_set_handler`), over the scope's SetHandler/AddHandler.
    pub forced_handler: Option<String>,
    /// While a lookup (`req_lookup`) runs the translate hooks for another URL: what Apache's
    /// subrequests are (`IS_SUBREQ`).
    pub in_lookup: bool,
    /// The file name a translate hook set (None: DocumentRoot joined with the path).
    pub filename: Option<Vec<u8>>,
    /// Set when a map_to_storage hook said the request names no file.
    pub unmapped: bool,
    /// An internal redirect asked for during the current phase.
    pub redirect: Option<String>,
    /// Internal redirects so far.
    pub redirects: u32,
    /// While an ErrorDocument's internal redirect is served: the status of the error it
    /// answers, which the client gets when the document itself is served as 200.
    pub error_status: Option<u16>,
    /// What the next error page is instead of the core's (ErrorDocument "text", or the note
    /// that the ErrorDocument failed too).
    custom_page: Option<CustomPage>,
    /// The merged configuration of the request's scope.
    pub scope: crate::pipeline::scope::ScopeRef,
    /// The filter chains.
    pub chain: crate::pipeline::filters::Chain,
    /// Counts changes to the response (status, headers, body), so a declining handler's
    /// changes can be seen and undone.
    pub changes: u64,
    /// Set once the response left the handler's buffer for the filters (or the sender).
    committed: bool,
    /// Set after a filter replaced the response by an error page: the handler's output is
    /// dropped.
    replaced: bool,
    /// Set when a body filter that may change the length dropped the declared one.
    length_dropped: bool,
    /// For a request that could not be framed: the first line the client sent (logged as
    /// `%r`), and the head is [`RequestHead::unframed`].
    pub unframed_line: Option<Vec<u8>>,
    /// Strings replaced during the request (the path, query and handler name before a
    /// `req_set_uri` or an internal redirect): kept until it ends, because a module may still
    /// hold what the host returned for them.
    retired: Vec<Vec<u8>>,
    /// Mappings from before an internal redirect, kept for the same reason.
    retired_mappings: Vec<crate::storage::Mapped>,
    /// While a module writes its status-page section: what it writes goes here instead, so a
    /// section that declines leaves nothing and the page frames only those that answered.
    pub(crate) capture: Option<Vec<u8>>,
    /// The log id (`%L`), made when a log first asks for it.
    log_id: std::cell::OnceCell<String>,
    /// The sentence for the next core-made error page instead of the status's usual one.
    pub error_detail: Option<&'static str>,
    /// `force-response-1.0`: the status line says HTTP/1.0.
    status_line_10: bool,
}

impl<'c> RequestCtx<'c> {
    /// Starts a request at the server level's scope; the pipeline narrows it (sections,
    /// handler, LimitRequestBody) as it maps the request.
    pub fn new(conn: &'c mut Connection, head: RequestHead) -> Self {
        Self::start(conn, head, None)
    }

    /// Starts the answer to a request that could not be framed; `line` is what the client sent
    /// first.
    pub fn unframed(conn: &'c mut Connection, line: Vec<u8>) -> Self {
        let req = Self::start(conn, RequestHead::unframed(), Some(line));
        req.conn.close_after_response();
        req
    }

    fn start(conn: &'c mut Connection, head: RequestHead, unframed_line: Option<Vec<u8>>) -> Self {
        // LimitRequestBody comes with the request's scope (`set_body_limit`).
        let body = BodyDecoder::new(head.framing);
        let scope = crate::pipeline::scope::ScopeRef::Shared(conn.srv.pipeline.scopes.server());
        // The connection's lists from the last response, reused.
        let headers = std::mem::take(&mut conn.header_list);
        let chain = std::mem::take(&mut conn.spare_chain);
        let started = SystemTime::now();
        let start_us = worker::micros(started);
        match &unframed_line {
            Some(line) => worker::request_started(start_us, conn.peer_ip.as_bytes(), &[line]),
            None => worker::request_started(
                start_us,
                conn.peer_ip.as_bytes(),
                &[
                    head.method.as_bytes(),
                    b" ",
                    head.target.as_bytes(),
                    b" ",
                    head.version.as_str().as_bytes(),
                ],
            ),
        }
        let bytes_before = conn.bytes_out;
        let vhost = conn.base;
        RequestCtx {
            conn,
            head,
            // The vhost's scope comes with `select_vhost`.
            view: View::default(),
            vhost,
            hostname: std::cell::OnceCell::new(),
            handler: String::new(),
            mapped: Vec::new(),
            body,
            body_started: false,
            sent_continue: false,
            body_clock: None,
            body_failure: None,
            started,
            start_us,
            clock: Instant::now(),
            bytes_before,
            sent_body: 0,
            body_bytes_in: 0,
            status: 200,
            headers,
            content_length: None,
            framing: None,
            out: Vec::new(),
            body_bytes: 0,
            client_gone: false,
            file_follows: false,
            err_headers: Vec::new(),
            notes: Vec::new(),
            env: Vec::new(),
            user: None,
            useragent: None,
            forced_handler: None,
            in_lookup: false,
            filename: None,
            unmapped: false,
            redirect: None,
            redirects: 0,
            error_status: None,
            custom_page: None,
            scope,
            chain,
            changes: 0,
            committed: false,
            replaced: false,
            length_dropped: false,
            unframed_line,
            retired: Vec::new(),
            retired_mappings: Vec::new(),
            capture: None,
            log_id: std::cell::OnceCell::new(),
            error_detail: None,
            status_line_10: false,
        }
    }

    /// The request's log id (`%L`), the same in the error and the access log.
    pub fn log_id(&self) -> String {
        self.log_id
            .get_or_init(|| super::request_items::new_log_id(self.start_us))
            .clone()
    }

    /// Chooses the request's virtual host from its Host (Apache's
    /// `ap_update_vhost_from_headers`), before post_read_request; its scope is where the
    /// request starts. A Host Apache refuses (see `apache_host`) is `Err`: answer 400.
    pub fn select_vhost(&mut self) -> Result<(), crate::vhost::select::MalformedHost> {
        let host = self.head.host();
        if let Some(host) = host {
            if let Err(e) = crate::vhost::select::check_host(host) {
                let shown = String::from_utf8_lossy(host).into_owned();
                self.log(
                    "core",
                    error_log::DEBUG,
                    &format!("AH00550: Client sent malformed Host header: {shown}"),
                );
                self.conn.close_after_response();
                return Err(e);
            }
        }
        let Some(set) = self.conn.vhost_set else {
            return Ok(());
        };
        let vhost = self
            .conn
            .srv
            .vhosts
            .choose(Some(set), host, self.conn.local_port);
        self.vhost = vhost;
        self.conn.timeout = vhost.timeout;
        if vhost.view.sections != self.view.sections {
            self.view = vhost.view.clone();
            let srv = self.conn.srv;
            self.scope = srv.pipeline.scopes.of(
                &self.view,
                &srv.store,
                &srv.handlers,
                &srv.pipeline.filters,
            );
        }
        Ok(())
    }

    /// The scope of this request for `url_path` (and the file it maps to): its virtual
    /// host's section, then the sections that match.
    pub fn view_for(
        &self,
        url_path: &[u8],
        file: Option<crate::config::store::FilePaths<'_>>,
    ) -> View {
        let store = &self.conn.srv.store;
        let mut sections = self.vhost.view.sections.clone();
        sections.extend(store.sections_for(self.vhost.entry, url_path, file));
        View { sections }
    }

    /// The server name for self-referential URLs (Apache's `ap_get_server_name`): with
    /// UseCanonicalName Off (the default) the host the client asked for, without its port;
    /// with On, or without a Host, the virtual host's ServerName.
    pub fn server_name(&self) -> &[u8] {
        let sent = self
            .hostname
            .get_or_init(|| {
                self.head
                    .host()
                    .and_then(crate::vhost::select::normalize_host)
            })
            .as_deref()
            .filter(|_| !self.vhost.canonical_name);
        sent.unwrap_or(&self.vhost.server_name).as_bytes()
    }

    /// Writes a line about this request to its virtual host's error log (ErrorLogFormat's
    /// request items see it).
    #[track_caller]
    pub fn log(&self, module: &str, level: i32, msg: &str) {
        // The useragent, as Apache's `[client ip:port]`: port 0 for an address a module set
        // (mod_remoteip knows no port).
        let ua;
        let client = match &self.useragent {
            Some(u) => {
                ua = format!("{}:0", u.ip);
                ua.as_str()
            }
            None => self.conn.peer.as_str(),
        };
        error_log::log_request(self.vhost.entry, module, level, client, self, msg);
    }

    /// The handle modules get for this request (the host functions turn it back).
    pub fn as_raw(&mut self) -> *mut MapacheRequest {
        self as *mut RequestCtx<'c> as *mut MapacheRequest
    }

    /// Sets LimitRequestBody once the request's scope is known (before any body is read).
    pub fn set_body_limit(&mut self, limit: u64) {
        if !self.body_started {
            self.body = BodyDecoder::new(self.head.framing).with_limit(limit);
        }
    }

    fn is_head(&self) -> bool {
        self.head.method == "HEAD"
    }

    /// Whether the head has been sent.
    pub fn head_sent(&self) -> bool {
        self.framing.is_some()
    }

    /// Reads request body bytes; 0 at the end. Sends `100 Continue` first when the client asked.
    /// Fails past LimitRequestBody (413), on a framing error (400), when the client closes early
    /// (400), on RequestReadTimeout's body stage or Timeout (408), or when the socket fails.
    pub fn read_body(&mut self, dst: &mut [u8]) -> Result<usize, BodyError> {
        if self.chain.input.is_empty() {
            return self.read_body_raw(dst);
        }
        match self.read_from(0, dst) {
            n if n >= 0 => Ok(n as usize),
            _ => {
                if self.body_failure.is_none() {
                    self.conn.close_after_response();
                    self.body_failure = Some(Some(400));
                }
                Err(BodyError)
            }
        }
    }

    /// Reads request body bytes from the connection, de-chunked (the end of the input chain).
    pub(crate) fn read_body_raw(&mut self, dst: &mut [u8]) -> Result<usize, BodyError> {
        if self.body_failure.is_some() {
            return Err(BodyError);
        }
        if self.body.is_done() || dst.is_empty() {
            return Ok(0);
        }
        self.body_started = true;
        if self.head.expect_continue && !self.sent_continue && !self.head_sent() {
            self.sent_continue = true;
            if self.conn.send(&[http::response::CONTINUE]).is_err() {
                self.conn.abort();
                return self.body_failed(None, "client went away before sending the request body");
            }
        }
        loop {
            if !self.conn.buf.is_empty() {
                match self.body.decode(&self.conn.buf, dst) {
                    Ok(d) => {
                        self.conn.buf.drain(..d.consumed);
                        self.body_bytes_in += d.consumed as u64;
                        if d.produced > 0 || d.done {
                            return Ok(d.produced);
                        }
                        if d.consumed > 0 {
                            continue;
                        }
                    }
                    Err(e) => return self.body_failed(Some(e.status), &e.reason),
                }
            }
            let (started, bytes) = *self.body_clock.get_or_insert((Instant::now(), 0));
            let stage = self
                .conn
                .base
                .request_read_timeout
                .body
                .deadline(started, bytes);
            match self.conn.read_more(stage) {
                Ok(0) => {
                    return self.body_failed(
                        Some(400),
                        "client closed the connection in the middle of the request body",
                    )
                }
                Ok(n) => {
                    if let Some((_, b)) = &mut self.body_clock {
                        *b += n as u64;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                    return self.body_failed(Some(408), "Request body read timeout")
                }
                Err(e) => {
                    self.conn.abort();
                    return self.body_failed(None, &format!("error reading the request body: {e}"));
                }
            }
        }
    }

    fn body_failed(&mut self, status: Option<u16>, why: &str) -> Result<usize, BodyError> {
        self.log("core", error_log::INFO, why);
        self.conn.close_after_response();
        self.body_failure = Some(status);
        Err(BodyError)
    }

    /// Reads and drops the rest of an unread body, within [`DRAIN_LIMIT`]; false if it could not.
    fn drain_body(&mut self) -> bool {
        let mut scratch = [0u8; 8192];
        let mut total = 0u64;
        while !self.body.is_done() {
            match self.read_body_raw(&mut scratch) {
                Ok(0) => break,
                Ok(n) => total += n as u64,
                Err(BodyError) => return false,
            }
            if total > DRAIN_LIMIT {
                return false;
            }
        }
        self.body.is_done()
    }

    /// Sets a response header (`add` keeps others of the same name). False for core headers or
    /// once the head is sent.
    pub fn set_header(&mut self, name: &str, value: &str, add: bool) -> bool {
        if self.head_sent() || !may_set_header(name, value) {
            return false;
        }
        self.changes += 1;
        if !add {
            self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        }
        let (mut n, mut v) = self.conn.header_strings.pop().unwrap_or_default();
        n.clear();
        n.push_str(name);
        v.clear();
        v.push_str(value);
        self.headers.push((n, v));
        true
    }

    /// Removes every response header called `name`. False for core headers or once the head
    /// is sent.
    pub fn unset_header(&mut self, name: &str) -> bool {
        if self.head_sent() || CORE_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name)) {
            return false;
        }
        self.changes += 1;
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        true
    }

    /// Whether the handler started reading the body (input filters can no longer be added).
    pub fn body_reading_started(&self) -> bool {
        self.body_started
    }

    /// Declares the body length.
    pub fn set_content_length(&mut self, len: u64) {
        if !self.head_sent() {
            self.changes += 1;
            self.content_length = Some(len);
        }
    }

    /// The declared body length.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// Drops the declared length: a filter that changes the body's length stays in the chain.
    pub(crate) fn forget_content_length(&mut self) {
        self.content_length = None;
        self.length_dropped = true;
    }

    /// Whether the client has gone (stop producing).
    pub(crate) fn client_is_gone(&self) -> bool {
        self.client_gone
    }

    /// Whether the response left the handler's buffer.
    pub fn committed(&self) -> bool {
        self.committed
    }

    /// Body bytes put on the wire so far (`%B`).
    pub fn sent_body(&self) -> u64 {
        self.sent_body
    }

    /// Time since the request started.
    pub fn elapsed(&self) -> std::time::Duration {
        self.clock.elapsed()
    }

    // ---- the handler's side of the response: buffered until committed, then filtered ----

    /// Appends body bytes from the handler. While nothing is committed and no length is
    /// declared, up to [`BUFFER_LIMIT`] bytes wait here: a handler that declines afterwards
    /// leaves no trace, and a small body gets a Content-Length.
    pub fn write(&mut self, data: &[u8]) -> bool {
        if let Some(captured) = self.capture.as_mut() {
            captured.extend_from_slice(data);
            return true;
        }
        if self.replaced {
            return !self.client_gone;
        }
        if !self.committed {
            self.changes += 1;
            if self.is_head() || self.no_body_status() {
                self.body_bytes += data.len() as u64;
                return !self.client_gone;
            }
            if self.content_length.is_none() && self.out.len() + data.len() <= BUFFER_LIMIT {
                self.body_bytes += data.len() as u64;
                self.out.extend_from_slice(data);
                return true;
            }
            self.commit();
        }
        self.pass_from(0, crate::pipeline::filters::Piece::Bytes(data))
    }

    /// Sends part of an open file as body, from the handler.
    pub fn sendfile(&mut self, file: i32, offset: u64, len: u64) -> bool {
        if self.capture.is_some() {
            // A status section is text written through `write`.
            return false;
        }
        if self.replaced {
            return !self.client_gone;
        }
        if !self.committed {
            self.changes += 1;
            self.commit();
        }
        if !self.chain.body_filters {
            return self.sink_sendfile(file, offset, len);
        }
        self.pass_from(
            0,
            crate::pipeline::filters::Piece::File {
                fd: file,
                offset,
                length: len,
            },
        )
    }

    /// Commits the response: the filters configuration adds by type and extension join the
    /// chain, the header stage runs, and what the handler buffered enters the body filters
    /// (without filters it stays where it is: the sender's buffer is the same one).
    fn commit(&mut self) {
        self.committed = true;
        if !self.env.is_empty() {
            self.apply_special_env();
        }
        if !self.scope.by_type.is_empty() || !self.scope.by_extension.is_empty() {
            self.add_typed_filters();
        }
        let produced = self.body_bytes;
        if self.chain.output.is_empty() || !self.run_header_filters() {
            return;
        }
        let buffered = std::mem::take(&mut self.out);
        self.body_bytes = 0;
        if self.is_head() && self.content_length.is_none() && !self.length_dropped {
            // HEAD: the body filters see no bytes, and keep the length of what the handler
            // produced: that is what GET would send.
            self.content_length = Some(produced);
        }
        if !buffered.is_empty() {
            self.pass_from(0, crate::pipeline::filters::Piece::Bytes(&buffered));
        }
    }

    /// The environment variables Apache's core honours once the request's phases set them
    /// (mod-setenvif's BrowserMatch): `nokeepalive` closes after the response, `downgrade-1.0`
    /// treats the request as HTTP/1.0, `force-response-1.0` answers an HTTP/1.0 request with
    /// an HTTP/1.0 status line, closing.
    fn apply_special_env(&mut self) {
        let set = |name: &str| self.env.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        let (nokeepalive, downgrade, force_10) = (
            set("nokeepalive"),
            set("downgrade-1.0"),
            set("force-response-1.0"),
        );
        if nokeepalive {
            self.conn.close_after_response();
        }
        if downgrade {
            self.head.downgrade_to_http10();
        }
        if force_10 && self.head.version == http::Version::Http10 {
            self.status_line_10 = true;
            self.conn.close_after_response();
        }
    }

    /// AddOutputFilterByType (by the Content-Type set now) and AddOutputFilter (by the
    /// extension of the file asked for).
    fn add_typed_filters(&mut self) {
        let registry = &self.conn.srv.pipeline.filters;
        let scope = &*self.scope;
        let essence = |v: &str| v.split(';').next().unwrap_or("").trim().to_owned();
        let content_type = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| essence(v));
        if let Some(t) = content_type {
            for (_, f) in scope
                .by_type
                .iter()
                .filter(|(ty, _)| ty.eq_ignore_ascii_case(&t))
            {
                self.chain.add(registry, *f);
            }
        }
        if !scope.by_extension.is_empty() {
            let name = self
                .mapped
                .first()
                .map_or(self.head.path.as_slice(), |m| m.requested.as_slice());
            let base = name.rsplit(|&b| b == b'/').next().unwrap_or(&[]);
            // Apache's mod_mime looks at every extension of the name (`a.html.en`).
            for ext in base.split(|&b| b == b'.').skip(1) {
                for (_, f) in scope
                    .by_extension
                    .iter()
                    .filter(|(e, _)| e.as_bytes().eq_ignore_ascii_case(ext))
                {
                    self.chain.add(registry, *f);
                }
            }
        }
    }

    /// Turns the response into the core's page for `code` (a filter failed on the head): the
    /// handler's output from now on is dropped.
    pub(crate) fn replace_with_error_page(&mut self, code: u16) {
        self.replaced = true;
        self.prepare_error_page(code);
    }

    /// Aborts a committed response whose body cannot be completed: the connection closes.
    pub(crate) fn abort_response(&mut self, why: &str) {
        self.log("core", error_log::ERROR, why);
        self.replaced = true;
        if !self.head_sent() {
            // Nothing on the wire yet: a clean 500 instead, past the filters.
            self.sink_error(500);
        }
        self.conn.close_after_response();
    }

    /// The end of the output chain: the sender.
    pub(crate) fn sink(&mut self, piece: crate::pipeline::filters::Piece<'_>) -> bool {
        use crate::pipeline::filters::Piece;
        match piece {
            Piece::Bytes(b) => self.sink_write(b),
            Piece::File { fd, offset, length } => self.sink_sendfile(fd, offset, length),
            Piece::Flush => self.sink_flush(),
            Piece::End => {
                self.sink_end();
                !self.client_gone
            }
        }
    }

    /// Sends what is buffered now (a FLUSH bucket).
    fn sink_flush(&mut self) -> bool {
        if self.head_sent() || self.client_gone {
            return !self.client_gone;
        }
        let framing = self.streaming_framing();
        let buffered = std::mem::take(&mut self.out);
        if !self.send_head(framing, &[]) {
            return false;
        }
        self.send_body(&buffered)
    }

    /// Decides keep-alive for this response; drains an unread body when that keeps the connection.
    fn keep_alive(&mut self) -> bool {
        let mut ka = http::KeepAlive {
            configured: self.vhost.keep_alive,
            max_requests: self.vhost.max_keep_alive_requests,
            served: self.conn.served,
            requested: self.head.keep_alive,
            suspicious_framing: self.head.close_after,
            must_close: self.conn.must_close,
            stopping: worker::stopping(),
        }
        .allowed();
        if ka && !self.body.is_done() {
            // A handler that started reading and stopped, or a client still waiting for
            // 100-continue: the rest of the body cannot be framed cheaply, so close instead.
            let waiting = self.head.expect_continue && !self.sent_continue;
            ka = !self.body_started && !waiting && self.drain_body();
        }
        ka
    }

    /// Sends the head with `framing`, followed by `body` bytes, in one write.
    fn send_head(&mut self, framing: ResponseFraming, body: &[&[u8]]) -> bool {
        let ka = self.keep_alive() && !matches!(framing, ResponseFraming::CloseDelimited);
        if !ka {
            self.conn.close_after_response();
        }
        self.framing = Some(framing);
        if let (Some(code), 200) = (self.error_status, self.status) {
            self.status = code;
        }
        if !self.err_headers.is_empty() {
            self.headers.append(&mut self.err_headers);
        }
        let s = &self.conn.srv.settings;
        // The connection's buffer, reused from response to response.
        let mut head = std::mem::take(&mut self.conn.head_buf);
        head.clear();
        let rh = ResponseHead {
            status: self.status,
            version: self.head.version,
            headers: &self.headers,
            framing,
            keep_alive: ka,
            status_line_10: self.status_line_10,
            server: &s.server_header,
        };
        http::date::with_date(|date| http::write_response_head(&mut head, &rh, date));
        // On the stack for the usual head + one or two body pieces.
        let sent = if body.len() < 4 {
            let mut parts: [&[u8]; 4] = [&[]; 4];
            parts[0] = &head;
            parts[1..=body.len()].copy_from_slice(body);
            self.push(&parts[..=body.len()])
        } else {
            let mut parts: Vec<&[u8]> = vec![&head];
            parts.extend_from_slice(body);
            self.push(&parts)
        };
        self.conn.head_buf = head;
        sent
    }

    fn push(&mut self, parts: &[&[u8]]) -> bool {
        if self.client_gone {
            return false;
        }
        if let Err(e) = self.conn.send_more(parts, self.file_follows) {
            self.gone(&format!("error writing the response: {e}"));
            return false;
        }
        true
    }

    /// The client went away: stop writing and close without lingering.
    fn gone(&mut self, why: &str) {
        self.log("core", error_log::INFO, why);
        self.client_gone = true;
        self.conn.abort();
    }

    fn no_body_status(&self) -> bool {
        http::status_has_no_body(self.status)
    }

    /// The framing for a head sent before the body is complete.
    fn streaming_framing(&self) -> ResponseFraming {
        ResponseFraming::choose(self.status, self.head.version, self.content_length)
    }

    /// Appends body bytes at the sender.
    fn sink_write(&mut self, data: &[u8]) -> bool {
        self.body_bytes += data.len() as u64;
        if self.is_head() || self.no_body_status() {
            return !self.client_gone;
        }
        if !self.head_sent() {
            if self.content_length.is_none() && self.out.len() + data.len() <= BUFFER_LIMIT {
                self.out.extend_from_slice(data);
                return true;
            }
            let framing = self.streaming_framing();
            let buffered = std::mem::take(&mut self.out);
            if !self.send_head(framing, &[]) {
                return false;
            }
            if !buffered.is_empty() && !self.send_body(&buffered) {
                return false;
            }
        }
        self.send_body(data)
    }

    fn send_body(&mut self, data: &[u8]) -> bool {
        if data.is_empty() {
            return true;
        }
        self.sent_body += data.len() as u64;
        match self.framing {
            Some(ResponseFraming::Chunked) => {
                let mut size = Vec::with_capacity(12);
                http::write_chunk_header(&mut size, data.len());
                self.push(&[&size, data, b"\r\n"])
            }
            _ => self.push(&[data]),
        }
    }

    /// Sends part of an open file as body, at the sender.
    fn sink_sendfile(&mut self, file: i32, offset: u64, len: u64) -> bool {
        if !self.conn.srv.settings.enable_sendfile && len > SMALL_FILE as u64 {
            return self.copy_file(file, offset, len);
        }
        self.body_bytes += len;
        if self.is_head() || self.no_body_status() {
            return !self.client_gone;
        }
        if len > 0 && len <= SMALL_FILE as u64 && !self.client_gone {
            if let Some(sent) = self.send_small_file(file, offset, len as usize) {
                return sent;
            }
        }
        // What goes out before the file waits for it (MSG_MORE), so a response that fits one
        // segment is one packet; only when the file surely follows (len > 0 calls sendfile).
        self.file_follows = len > 0 && len <= COALESCE_MAX;
        if !self.head_sent() {
            let framing = self.streaming_framing();
            let buffered = std::mem::take(&mut self.out);
            if !self.send_head(framing, &[]) || !self.send_body(&buffered) {
                self.file_follows = false;
                return false;
            }
        }
        if self.client_gone {
            self.file_follows = false;
            return false;
        }
        let chunked = matches!(self.framing, Some(ResponseFraming::Chunked));
        if chunked {
            let mut size = Vec::with_capacity(12);
            http::write_chunk_header(&mut size, len as usize);
            if !self.push(&[&size]) {
                self.file_follows = false;
                return false;
            }
        }
        self.file_follows = false;
        if let Err(e) = self.conn.send_file(file, offset, len) {
            self.gone(&format!("error sending a file: {e}"));
            return false;
        }
        self.sent_body += len;
        !chunked || self.push(&[http::response::CHUNK_DATA_END])
    }

    /// `EnableSendfile Off`: the file range is read (pread) and written as body bytes, a
    /// buffer at a time. A file shorter than announced ends the connection, as sendfile's
    /// short count does.
    fn copy_file(&mut self, file: i32, offset: u64, len: u64) -> bool {
        let mut buf = vec![0u8; COPY_BUFFER.min(len as usize)];
        let mut done = 0u64;
        while done < len {
            let want = buf.len().min((len - done) as usize);
            // SAFETY: `buf[..want]` is writable; the module keeps `file` open for the call.
            let n = unsafe {
                libc::pread(
                    file,
                    buf.as_mut_ptr().cast(),
                    want,
                    (offset + done) as libc::off_t,
                )
            };
            if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            if n <= 0 {
                let why = match n {
                    0 => "the file is shorter than announced".to_owned(),
                    _ => std::io::Error::last_os_error().to_string(),
                };
                self.abort_response(&format!("error reading a file to send: {why}"));
                return false;
            }
            if !self.sink_write(&buf[..n as usize]) {
                return false;
            }
            done += n as u64;
        }
        true
    }

    /// A small file range is read and written with the head in one writev: cheaper than a
    /// sendfile(2) (a splice set up for a few pages) plus a write for the head. `None` when it
    /// does not apply (chunked framing, a file shorter than announced: sendfile reports it).
    fn send_small_file(&mut self, file: i32, offset: u64, len: usize) -> Option<bool> {
        let chunked = match self.framing {
            Some(f) => f == ResponseFraming::Chunked,
            None => self.streaming_framing() == ResponseFraming::Chunked,
        };
        if chunked {
            return None;
        }
        // Not zeroed first: pread fills it, and only what it filled is read.
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); SMALL_FILE];
        let mut got = 0;
        while got < len {
            // SAFETY: `buf[got..len]` is writable; the module keeps `file` open for the call.
            let n = unsafe {
                libc::pread(
                    file,
                    buf[got..len].as_mut_ptr().cast(),
                    len - got,
                    (offset + got as u64) as libc::off_t,
                )
            };
            if n <= 0 {
                if n < 0
                    && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
                {
                    continue;
                }
                return None;
            }
            got += n as usize;
        }
        // SAFETY: pread initialized the first `len` bytes.
        let data: &[u8] = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast(), len) };
        if self.head_sent() {
            return Some(self.send_body(data));
        }
        let framing = self.streaming_framing();
        let buffered = std::mem::take(&mut self.out);
        let sent = self.send_head(framing, &[&buffered, data]);
        if sent {
            self.sent_body += (buffered.len() + len) as u64;
        }
        Some(sent)
    }

    /// Completes the response after the handler returned `Ok` or a status to answer with. A
    /// request body that failed decides the status while the head is not sent.
    pub fn finish(&mut self, status: Option<u16>) {
        self.finish_response(status);
        // A client that said this is its last request, and whose body was all read, sends
        // nothing more: the connection need not linger for it (see `Connection::begin_linger`).
        self.conn.client_done = !self.head.keep_alive && self.body.is_done();
    }

    fn finish_response(&mut self, status: Option<u16>) {
        let status = match self.body_failure {
            Some(Some(code)) if !self.head_sent() => Some(code),
            _ => status,
        };
        match status {
            Some(code) if !self.committed => self.send_error(code),
            Some(code) if !self.head_sent() => {
                // Committed, but nothing on the wire: the filters already saw a head; the
                // error page goes past them.
                self.sink_error(code)
            }
            Some(code) => {
                self.log(
                    "core",
                    error_log::ERROR,
                    &format!("handler returned {code} after sending the response head; closing the connection"),
                );
                self.conn.close_after_response();
            }
            None => {
                if !self.committed {
                    self.commit();
                }
                self.pass_from(0, crate::pipeline::filters::Piece::End);
            }
        }
    }

    /// The sender's end of the body: the head with a length when nothing went out yet, the
    /// last chunk, or a check that the declared length was met.
    fn sink_end(&mut self) {
        if !self.head_sent() {
            // A HEAD whose body a filter would have changed: GET's length is unknown, so the
            // head says none (as Apache's does behind mod_deflate).
            let framing = if self.no_body_status() || (self.is_head() && self.length_dropped) {
                ResponseFraming::NoBody
            } else {
                ResponseFraming::Length(self.content_length.unwrap_or(self.body_bytes))
            };
            let out = std::mem::take(&mut self.out);
            if self.send_head(framing, &[&out]) {
                self.sent_body += out.len() as u64;
            }
        } else if let Some(ResponseFraming::Chunked) = self.framing {
            self.push(&[http::response::CHUNK_END]);
        } else if let (Some(ResponseFraming::Length(n)), false) = (self.framing, self.is_head()) {
            if n != self.body_bytes {
                self.log(
                    "core",
                    error_log::ERROR,
                    &format!(
                        "handler declared {n} body bytes but produced {}; closing the connection",
                        self.body_bytes
                    ),
                );
                self.conn.close_after_response();
            }
        }
    }

    /// Gives the response header list and its strings back to the connection for the next
    /// response (their allocations, not their contents, are reused).
    pub fn recycle(&mut self) {
        let pool = &mut self.conn.header_strings;
        pool.append(&mut self.headers);
        // A handler that set many headers once does not keep them all for the connection's life.
        pool.truncate(HEADER_STRINGS_KEPT);
        self.conn.header_list = std::mem::take(&mut self.headers);
        self.conn.spare_chain = std::mem::take(&mut self.chain);
    }

    /// Ends the request: counts it in the scoreboard, then writes its access log line.
    pub fn end(&mut self) {
        let elapsed = self.clock.elapsed();
        let logging = access_log::enabled_for(self.vhost.entry);
        worker::request_done(&worker::Done {
            start_us: self.start_us,
            elapsed,
            bytes: self.conn.bytes_out - self.bytes_before,
            conn_requests: self.conn.served + 1,
            conn_bytes: self.conn.bytes_out,
            logging,
        });
        if !logging {
            return;
        }
        let (content_length, chunked) = match self.framing {
            Some(ResponseFraming::Length(n)) => (Some(n), false),
            Some(ResponseFraming::Chunked) => (None, true),
            _ => (None, false),
        };
        let log_id = access_log::uses('L').then(|| self.log_id());
        let (remote_host, peer_host) = if access_log::uses('h') {
            let ua = self.remote_host();
            let peer = match self.useragent {
                Some(_) => self.conn.remote_host(),
                None => ua.clone(),
            };
            (ua, peer)
        } else {
            (None, None)
        };
        let conn_status = if self.client_gone || self.conn.aborted {
            'X'
        } else if self.conn.must_close {
            '-'
        } else {
            '+'
        };
        access_log::log_for(
            self.vhost.entry,
            &access_log::Entry {
                client_ip: self.client_ip(),
                peer_ip: &self.conn.peer_ip,
                client_port: self.conn.peer_port,
                local_ip: &self.conn.local_ip,
                local_port: self.conn.local_port,
                head: match self.unframed_line {
                    Some(_) => None,
                    None => Some(&self.head),
                },
                raw_line: self.unframed_line.as_deref().unwrap_or(b""),
                status: self.status,
                body_bytes: self.sent_body,
                headers: &self.headers,
                content_length,
                chunked,
                started: self.started,
                elapsed,
                conn_status,
                keepalives: self.conn.served,
                server_name: &self.vhost.server_name,
                host_name: std::str::from_utf8(self.server_name()).unwrap_or(""),
                user: self.user.as_deref(),
                env: &self.env,
                notes: &self.notes,
                bytes_out: self.conn.bytes_out - self.bytes_before,
                bytes_in: self.conn.head_bytes_in + self.body_bytes_in,
                filename: self
                    .mapped
                    .first()
                    .map(|m| m.requested.as_slice())
                    .or(self.filename.as_deref()),
                handler: &self.handler,
                log_id: log_id.as_deref(),
                body: Some(&self.body),
                remote_host: remote_host.as_deref(),
                peer_host: peer_host.as_deref(),
            },
        );
    }

    /// Answers with the core's error page for `code` through the output filters (the one way
    /// out), keeping the handler's headers that still make sense (Location, Allow,
    /// WWW-Authenticate…) and dropping those that described a body.
    pub fn send_error(&mut self, code: u16) {
        self.prepare_error_page(code);
        self.commit();
        self.pass_from(0, crate::pipeline::filters::Piece::End);
    }

    /// Makes the core's page for `code` the response, not yet sent.
    fn prepare_error_page(&mut self, code: u16) {
        self.status = code;
        self.changes += 1;
        self.headers
            .retain(|(n, _)| !BODY_HEADERS.iter().any(|b| b.eq_ignore_ascii_case(n)));
        self.out.clear();
        self.body_bytes = 0;
        // The page's own length stands, whatever a filter did to the one before.
        self.length_dropped = false;
        if self.no_body_status() {
            self.content_length = None;
            return;
        }
        // ServerSignature's footer goes on the pages the core writes, not on an ErrorDocument
        // text (Apache sends that as it stands).
        let page = match self.custom_page.take() {
            Some(CustomPage::Text(text)) => text,
            Some(CustomPage::Additionally(second)) => http::status::signed(
                http::status::recursive_error_page(code, second),
                &self.signature(),
            ),
            None => {
                let page = match self.redirect_location(code) {
                    Some(location) => http::status::redirect_page(code, &location),
                    None => http::status::error_page(
                        code,
                        self.error_detail
                            .take()
                            .unwrap_or(http::status::default_detail(code)),
                    ),
                };
                http::status::signed(page, &self.signature())
            }
        };
        self.set_header("Content-Type", "text/html; charset=iso-8859-1", false);
        self.content_length = Some(page.len() as u64);
        self.body_bytes = page.len() as u64;
        if !self.is_head() {
            self.out.extend_from_slice(page.as_bytes());
        }
    }

    /// ServerSignature's footer for the pages the core makes (empty when Off): the name and
    /// port the client asked for (Host), else ServerName and 80, as Apache with UseCanonicalName
    /// Off.
    fn signature(&self) -> String {
        use crate::config::settings::ServerSignature;
        let signature = self.vhost.server_signature;
        if signature == ServerSignature::Off {
            return String::new();
        }
        let port = self
            .head
            .host()
            .and_then(|h| {
                let h = std::str::from_utf8(h).ok()?;
                let (_, p) = h.rsplit_once(':').filter(|(_, p)| !p.contains(']'))?;
                p.parse().ok()
            })
            .unwrap_or(80);
        let name = String::from_utf8_lossy(self.server_name());
        let admin =
            (signature == ServerSignature::Email).then_some(self.vhost.server_admin.as_str());
        http::status::signature(&self.conn.srv.settings.server_header, &name, port, admin)
    }

    /// The core's error page for `code` at the sender, past the filters (they already saw a
    /// head, or one of them failed).
    fn sink_error(&mut self, code: u16) {
        self.prepare_error_page(code);
        self.sink_end();
    }
}

/// An error page other than the core's own for its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomPage {
    /// ErrorDocument's text, as the body.
    Text(String),
    /// The core's page, saying that this second error happened while the ErrorDocument was
    /// served.
    Additionally(u16),
}

/// Headers that describe a body: an error page drops them.
const BODY_HEADERS: [&str; 6] = [
    "content-type",
    "content-encoding",
    "content-language",
    "etag",
    "last-modified",
    "accept-ranges",
];

/// The response as it stood before a handler ran, to undo what a declining one did.
pub struct Snapshot {
    status: u16,
    headers: Vec<(String, String)>,
    err_headers: Vec<(String, String)>,
    content_length: Option<u64>,
}

impl RequestCtx<'_> {
    /// The response's state now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            status: self.status,
            headers: self.headers.clone(),
            err_headers: self.err_headers.clone(),
            content_length: self.content_length,
        }
    }

    /// Undoes every change since `snap` (nothing was committed).
    pub fn restore(&mut self, snap: &Snapshot) {
        self.status = snap.status;
        self.headers.clone_from(&snap.headers);
        self.err_headers.clone_from(&snap.err_headers);
        self.content_length = snap.content_length;
        self.out.clear();
        self.body_bytes = 0;
        self.changes += 1;
    }

    /// Replaces the URL the request works on (`uri`: a path, percent-encoded, then maybe `?`
    /// and a query), decoded and normalized as the request line's is. `Err` is the status a
    /// client sending it would get (400, or 404 for an encoded `/`).
    pub fn set_uri(&mut self, uri: &[u8]) -> Result<(), u16> {
        let (raw_path, query) = match uri.iter().position(|&b| b == b'?') {
            Some(q) => (&uri[..q], &uri[q + 1..]),
            None => (uri, &b""[..]),
        };
        if !raw_path.starts_with(b"/") {
            return Err(400);
        }
        let path = http::target::decode_path(raw_path).map_err(|e| e.status)?;
        let query = std::str::from_utf8(query).map_err(|_| 400u16)?;
        if query.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(400);
        }
        let old_path = std::mem::replace(&mut self.head.path, path);
        let old_query = std::mem::replace(&mut self.head.query, query.to_owned());
        self.retired.push(old_path);
        self.retired.push(old_query.into_bytes());
        Ok(())
    }

    /// Keeps `bytes` until the request ends (a module may hold what the host returned for them).
    pub(crate) fn retire(&mut self, bytes: Vec<u8>) {
        self.retired.push(bytes);
    }

    /// For a redirect status, the Location the response sends (its page links there).
    fn redirect_location(&self, code: u16) -> Option<String> {
        if !matches!(code, 301 | 302 | 303 | 307 | 308) {
            return None;
        }
        self.headers
            .iter()
            .chain(&self.err_headers)
            .find(|(n, _)| n.eq_ignore_ascii_case("location"))
            .map(|(_, v)| v.clone())
    }

    /// Makes the next error page `page` instead of the core's.
    pub fn set_custom_page(&mut self, page: CustomPage) {
        self.custom_page = Some(page);
    }

    /// The status a failed body read answers with while nothing is sent (it decides over
    /// the handler's).
    pub fn body_failure_status(&self) -> Option<u16> {
        match self.body_failure {
            Some(Some(code)) if !self.head_sent() => Some(code),
            _ => None,
        }
    }

    /// Sets environment variable `name` to `value`.
    pub fn table_put_env(&mut self, name: &str, value: &str) {
        self.env.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.env.push((name.to_owned(), value.to_owned()));
    }

    /// Clears what the request produced and mapped, for an internal redirect: the error
    /// headers, notes and environment stay.
    pub fn reset_for_redirect(&mut self, filters: &crate::pipeline::filters::Registry) {
        self.status = 200;
        self.headers.clear();
        self.content_length = None;
        self.out.clear();
        self.body_bytes = 0;
        self.changes += 1;
        self.chain.release(filters);
        self.filename = None;
        self.unmapped = false;
        self.retired_mappings.append(&mut self.mapped);
        let handler = std::mem::take(&mut self.handler);
        self.retired.push(handler.into_bytes());
        if let Some(forced) = self.forced_handler.take() {
            self.retired.push(forced.into_bytes());
        }
    }

    /// Makes `name` the request's handler over the scope's (`req_set_handler`); the previous
    /// names stay alive (modules may hold them) until the request ends.
    pub fn force_handler(&mut self, name: String) {
        let old = std::mem::replace(&mut self.handler, name.clone());
        self.retired.push(old.into_bytes());
        if let Some(old) = self.forced_handler.replace(name) {
            self.retired.push(old.into_bytes());
        }
    }

    /// The useragent's IP address: the one a module set, else the connection's peer.
    pub fn client_ip(&self) -> &str {
        match &self.useragent {
            Some(u) => &u.ip,
            None => &self.conn.peer_ip,
        }
    }

    /// The useragent's name as HostnameLookups asks (`%h`): the peer's, looked up once per
    /// connection, or, when a module set another address, that address's (Apache's
    /// ap_get_useragent_host).
    pub fn remote_host(&mut self) -> Option<String> {
        match &self.useragent {
            None => self.conn.remote_host(),
            Some(u) => self.conn.host_name(u.ip.parse().ok()?).flatten(),
        }
    }

    /// The useragent as access control sees it.
    pub fn client(&self) -> Option<crate::access::Client> {
        match &self.useragent {
            Some(u) => Some(u.client),
            None => self.conn.client,
        }
    }

    /// Makes `ip` the useragent's address for the rest of the request; the previous text stays
    /// alive (modules may hold it) until the request ends.
    pub fn set_useragent(&mut self, ip: std::net::IpAddr) {
        let local = self.conn.local_ip.parse().ok();
        let client = crate::access::Client::new(ip, local);
        let text = ip.to_string();
        worker::set_client(text.as_bytes());
        if let Some(old) = self.useragent.replace(Useragent { ip: text, client }) {
            self.retired.push(old.ip.into_bytes());
        }
    }
}

/// The useragent's address as a module set it.
pub struct Useragent {
    /// As text, for logs and modules.
    pub ip: String,
    /// As access control compares it.
    pub client: crate::access::Client,
}
