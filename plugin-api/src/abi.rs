//! The C ABI itself: constants, `#[repr(C)]` structs and function-pointer types.
//!
//! Everything in this file is mirrored into `include/mapache_module.h` by cbindgen; a test fails when
//! the header is stale. Nothing here may change meaning within one major version; a minor version
//! may only append fields to the end of [`MapacheModule`], [`MapacheHost`] and [`MapacheRunInfo`],
//! and add constants.
//!
//! # Versioning rule
//! * Every struct that crosses the boundary starts with (or contains) its own size. The reader only
//!   touches fields that lie inside the size the writer declared.
//! * A module compiled against an older minor loads in a newer core: the core reads only the
//!   descriptor fields the module's `struct_size` covers.
//! * A module compiled against a newer minor than the core knows is refused at LoadModule, because
//!   it may rely on host functions the core does not have.
//! * Anything else (removing or reordering a field, changing a type or a meaning) is a new major,
//!   and a different major is always refused.
//!
//! # Processes and threads
//! The master process is single-threaded and forks; module code that runs in the master (`init`,
//! an MPM's `run` before it forks) must not start threads. Children run `child_init`, then serve.
//! Handlers run on whatever thread the MPM serves the connection on, concurrently with themselves
//! in threaded MPMs, so a handler must be thread-safe.

use core::ffi::c_char;

/// First field of every module descriptor: "MAPC" read as a big-endian u32.
pub const MAPACHE_MODULE_MAGIC: u32 = 0x4D41_5043;
/// ABI major version. A module with a different major is refused.
pub const MAPACHE_ABI_MAJOR: u16 = 1;
/// ABI minor version. Minors only append; a module with a newer minor than the core is refused.
///
/// History: 1.0 is the first ABI; 1.1 appended [`MapacheModule::check_directive`]; 1.2 appended
/// the scoreboard and process-control functions to [`MapacheHost`] (from
/// [`MapacheHost::score_open`] on), the snapshot structs ([`MapacheScoreGlobal`],
/// [`MapacheScoreProcess`], [`MapacheScoreWorker`]), the worker states and
/// [`MAPACHE_MPM_GRACEFUL`]; 1.3 appended [`MapacheHost::req_map`] (the core's mapping of a
/// URL path onto the file system, with [`MapacheFile`] and the `MAPACHE_FILE_*` kinds); 1.4
/// appended the request pipeline: phase hooks ([`MapacheHook`]), declared handler names, filters
/// ([`MapacheFilterDef`], [`MapacheBucket`]), `Require` providers ([`MapacheAuthzProvider`]),
/// typed per-scope configuration (`create_config` … `free_config`), a status-page section, and
/// the host functions from [`MapacheHost::req_set_uri`] on; 1.5 appended the contexts
/// `MAPACHE_CTX_GLOBAL_ONLY` and the `MAPACHE_OVERRIDE_*` classes, and
/// [`MapacheModule::apache_names`]; 1.6 appended [`MapacheModule::attach`] (the host table while
/// the configuration is read), [`MapacheModule::create_section_config`] with [`MapacheSection`],
/// the expression engine ([`MapacheHost::expr_parse`] …), request variables, the useragent
/// address ([`MapacheHost::req_set_client_ip`]) and [`MapacheHost::req_set_handler`].
pub const MAPACHE_ABI_MINOR: u16 = 6;

/// Return value: success.
pub const MAPACHE_OK: i32 = 0;
/// Return value of a handler: this request is not mine, try the next handler.
pub const MAPACHE_DECLINED: i32 = -1;
/// Return value: failure (details were logged or written to the error buffer).
pub const MAPACHE_ERROR: i32 = -2;
/// Return value of a phase hook (ABI 1.4): the response is complete (the hook wrote it, or a
/// handler it ran did); the core skips the remaining phases up to `log`.
pub const MAPACHE_DONE: i32 = -3;

/// [`MapacheModule::kind`] of a multi-processing module (exactly one is loaded).
pub const MAPACHE_KIND_MPM: u32 = 1;
/// [`MapacheModule::kind`] of a handler module (any number are loaded).
pub const MAPACHE_KIND_HANDLER: u32 = 2;

/// Directive argument kind: exactly one argument.
pub const MAPACHE_TAKE1: u32 = 1;
/// Directive argument kind: exactly two arguments.
pub const MAPACHE_TAKE2: u32 = 2;
/// Directive argument kind: one or two arguments.
pub const MAPACHE_TAKE12: u32 = 3;
/// Directive argument kind: one, two or three arguments.
pub const MAPACHE_TAKE123: u32 = 4;
/// Directive argument kind: `On` or `Off` (case-insensitive); the value is handed over as written.
pub const MAPACHE_FLAG: u32 = 5;
/// Directive argument kind: no argument.
pub const MAPACHE_NO_ARGS: u32 = 6;
/// Directive argument kind: one or more arguments.
pub const MAPACHE_ITERATE: u32 = 7;
/// Directive argument kind: any number of arguments, including none.
pub const MAPACHE_RAW_ARGS: u32 = 8;

/// Directive context bit: allowed at server level, outside any section: in the main server and
/// (since ABI 1.5, which has virtual hosts) inside `<VirtualHost>`, unless
/// [`MAPACHE_CTX_GLOBAL_ONLY`] is set too.
pub const MAPACHE_CTX_SERVER: u32 = 1;
/// Directive context bit: allowed inside the per-directory sections (`<Location>`,
/// `<Directory>`, `<Files>`, their regex forms and `<If>`).
pub const MAPACHE_CTX_SECTION: u32 = 2;
/// Directive context bits: allowed everywhere in the configuration files (`.htaccess` files take
/// the `MAPACHE_OVERRIDE_*` bits).
pub const MAPACHE_CTX_ANY: u32 = 3;
/// (ABI 1.5) Directive context bit, with [`MAPACHE_CTX_SERVER`]: only in the main server, never
/// inside `<VirtualHost>` (what applies to the whole server, as Apache's `GLOBAL_ONLY`). An MPM's
/// directives are always global.
pub const MAPACHE_CTX_GLOBAL_ONLY: u32 = 4;

/// (ABI 1.5) Override class bit in [`MapacheDirective::contexts`]: the directive may appear in
/// a `.htaccess` file where `AllowOverride AuthConfig` is granted (Apache's `OR_AUTHCFG`).
pub const MAPACHE_OVERRIDE_AUTHCFG: u32 = 1 << 8;
/// (ABI 1.5) Override class: `AllowOverride FileInfo` (document types, handlers, headers;
/// Apache's `OR_FILEINFO`).
pub const MAPACHE_OVERRIDE_FILEINFO: u32 = 1 << 9;
/// (ABI 1.5) Override class: `AllowOverride Indexes` (directory listings; `OR_INDEXES`).
pub const MAPACHE_OVERRIDE_INDEXES: u32 = 1 << 10;
/// (ABI 1.5) Override class: `AllowOverride Limit` (host access; `OR_LIMIT`).
pub const MAPACHE_OVERRIDE_LIMIT: u32 = 1 << 11;
/// (ABI 1.5) Override class: `AllowOverride Options` (`Options` and the like; `OR_OPTIONS`).
pub const MAPACHE_OVERRIDE_OPTIONS: u32 = 1 << 12;
/// (ABI 1.5) Every override class bit.
pub const MAPACHE_OVERRIDE_ALL: u32 = 0x1f << 8;

/// Scope of a module configuration object (ABI 1.4), as passed to `create_config` and
/// `set_directive`: the server level.
pub const MAPACHE_SCOPE_SERVER: u32 = 1;
/// Scope: a `<Location>` or `<Directory>` section.
pub const MAPACHE_SCOPE_SECTION: u32 = 2;

/// [`MapacheModule::mpm_flags`] bit: the MPM runs several threads per process.
pub const MAPACHE_MPM_THREADED: u32 = 1;
/// [`MapacheModule::mpm_flags`] bit: the MPM forks child processes.
pub const MAPACHE_MPM_FORKED: u32 = 2;
/// [`MapacheModule::mpm_flags`] bit: idle connections wait without a thread (event MPM).
pub const MAPACHE_MPM_ASYNC: u32 = 4;

/// [`MapacheRunInfo::flags`] bit: `-X` was given: one child (or none), in the foreground.
pub const MAPACHE_RUN_ONE_PROCESS: u32 = 1;

/// Return value of [`MapacheModule::mpm_run`]: the server was stopped; the core exits 0.
pub const MAPACHE_MPM_EXIT: i32 = 0;
/// Return value of [`MapacheModule::mpm_run`]: a full restart (`-k restart`, SIGHUP). The MPM has
/// stopped every child; the core re-executes the server in place (same PID, listeners kept open)
/// with a fresh scoreboard and the generation counted up.
pub const MAPACHE_MPM_RESTART: i32 = 1;
/// Return value of [`MapacheModule::mpm_run`]: the MPM failed; the core exits 1.
pub const MAPACHE_MPM_FAILED: i32 = 2;
/// Return value of [`MapacheModule::mpm_run`] (ABI 1.2): a graceful restart (`-k graceful`,
/// SIGUSR1). The MPM leaves its children running: they stop accepting, finish the connections
/// they hold and exit. The core re-executes the server in place (same PID) with the listeners and
/// the scoreboard, so the new master finds the old children in the scoreboard's process records
/// (their generation is lower than its own), reaps them, and may stop them after a deadline.
pub const MAPACHE_MPM_GRACEFUL: i32 = 3;

/// Worker state (ABI 1.2), Apache's scoreboard letter `.`: the slot is not in use.
pub const MAPACHE_WORKER_DEAD: u8 = b'.';
/// Worker state `S`: the thread or process is starting.
pub const MAPACHE_WORKER_STARTING: u8 = b'S';
/// Worker state `_`: idle, waiting for a connection (or, in an event MPM, for work).
pub const MAPACHE_WORKER_READY: u8 = b'_';
/// Worker state `R`: reading a request.
pub const MAPACHE_WORKER_READ: u8 = b'R';
/// Worker state `W`: running a handler and sending the reply.
pub const MAPACHE_WORKER_WRITE: u8 = b'W';
/// Worker state `K`: waiting for the next request on a kept-alive connection.
pub const MAPACHE_WORKER_KEEPALIVE: u8 = b'K';
/// Worker state `L`: writing the access log.
pub const MAPACHE_WORKER_LOG: u8 = b'L';
/// Worker state `D`: DNS lookup (mapache does none; kept for Apache's alphabet).
pub const MAPACHE_WORKER_DNS: u8 = b'D';
/// Worker state `C`: closing the connection (lingering close).
pub const MAPACHE_WORKER_CLOSING: u8 = b'C';
/// Worker state `G`: gracefully finishing: the process stops accepting and exits when its
/// connections are done.
pub const MAPACHE_WORKER_GRACEFUL: u8 = b'G';
/// Worker state `I`: idle worker being cleaned up (its process is stopping spare capacity).
pub const MAPACHE_WORKER_IDLE_KILL: u8 = b'I';

/// Length of [`MapacheScoreWorker::client`], NUL padding included.
pub const MAPACHE_SCORE_CLIENT_LEN: usize = 48;
/// Length of [`MapacheScoreWorker::request`], NUL padding included. Longer request lines are cut.
pub const MAPACHE_SCORE_REQUEST_LEN: usize = 128;

/// Connection state: nothing to do until the socket is readable; read, then call `conn_feed`.
/// An MPM may park the connection in its poller (keep-alive, a partial request head, or a
/// lingering close after a closing response, where the core drops what arrives until the client
/// is done and then answers `MAPACHE_CONN_CLOSE`).
pub const MAPACHE_CONN_NEED_READ: i32 = 1;
/// Connection state: at least one complete request head is buffered; call `conn_process`,
/// usually on a worker thread.
pub const MAPACHE_CONN_READY: i32 = 2;
/// Connection state: the connection is finished; call `conn_close`.
pub const MAPACHE_CONN_CLOSE: i32 = 3;
/// Connection state: response bytes (or a file range) are still queued because the client reads
/// slowly; wait until the socket is writable, then call `conn_write`. Only connections started
/// with `conn_open` ever return it; `serve_connection` writes everything before returning.
pub const MAPACHE_CONN_NEED_WRITE: i32 = 4;

/// Log level `emerg` (Apache's numbering; `trace1`..`trace8` are 8..15).
pub const MAPACHE_LOG_EMERG: i32 = 0;
/// Log level `alert`.
pub const MAPACHE_LOG_ALERT: i32 = 1;
/// Log level `crit`.
pub const MAPACHE_LOG_CRIT: i32 = 2;
/// Log level `error`.
pub const MAPACHE_LOG_ERR: i32 = 3;
/// Log level `warn`.
pub const MAPACHE_LOG_WARN: i32 = 4;
/// Log level `notice`.
pub const MAPACHE_LOG_NOTICE: i32 = 5;
/// Log level `info`.
pub const MAPACHE_LOG_INFO: i32 = 6;
/// Log level `debug`.
pub const MAPACHE_LOG_DEBUG: i32 = 7;

/// A borrowed run of bytes (not NUL-terminated, not necessarily UTF-8).
///
/// Whoever hands a `MapacheStr` out owns the bytes; how long they stay valid is stated by the
/// function that returns it. `ptr` may be null only when `len` is 0.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MapacheStr {
    /// First byte.
    pub ptr: *const u8,
    /// Number of bytes.
    pub len: usize,
}

/// Opaque handle to a configuration scope: the server scope, or the merged view that applies to one
/// request. Owned by the core; valid until the module's process exits or the configuration is
/// reloaded, whichever comes first.
pub struct MapacheConfig {
    _private: [u8; 0],
}

/// Opaque handle to one request being served. Owned by the core; valid only during the `handle`
/// call it was passed to, and only on that call's thread.
pub struct MapacheRequest {
    _private: [u8; 0],
}

/// Opaque handle to one client connection, owned by the core from `conn_open` until `conn_close`.
/// It may move between threads, but only one thread may use it at a time.
pub struct MapacheConn {
    _private: [u8; 0],
}

/// One entry of a module's directive table.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MapacheDirective {
    /// Directive name, NUL-terminated, static. Matched case-insensitively.
    pub name: *const c_char,
    /// Argument kind: one of `MAPACHE_TAKE1` … `MAPACHE_RAW_ARGS`.
    pub args: u32,
    /// Where the directive may appear: `MAPACHE_CTX_*` bits.
    pub contexts: u32,
    /// One-line help text, NUL-terminated, static; shown by `-L` and in arity errors.
    pub help: *const c_char,
}

/// One occurrence of a directive in the configuration, as the core parsed it.
/// All pointers are owned by the core and live as long as the [`MapacheConfig`] they came from.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MapacheDirectiveValue {
    /// The arguments, with quotes removed and `${VAR}` expanded.
    pub args: *const MapacheStr,
    /// Number of arguments.
    pub nargs: usize,
    /// The configuration file the directive was read from.
    pub file: MapacheStr,
    /// Its line number (1-based).
    pub line: u32,
}

/// A listening socket bound by the core and handed to the MPM.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MapacheListener {
    /// The socket, non-blocking, close-on-exec, already listening. Owned by the core: never close it.
    pub fd: i32,
    /// The address as configured and bound, e.g. `127.0.0.1:8080` or `[::1]:8080`.
    pub addr: MapacheStr,
}

/// What the core hands an MPM's `mpm_run`. Owned by the core; valid for the whole `mpm_run` call
/// (and in children forked during it).
#[repr(C)]
#[derive(Debug)]
pub struct MapacheRunInfo {
    /// `sizeof(MapacheRunInfo)` as the core knows it.
    pub struct_size: u32,
    /// `MAPACHE_RUN_*` bits.
    pub flags: u32,
    /// The listeners, `listener_count` of them.
    pub listeners: *const MapacheListener,
    /// Number of listeners (at least one).
    pub listener_count: usize,
    /// The server configuration scope (the MPM's own directives are read from it).
    pub config: *const MapacheConfig,
}

/// A copy of the scoreboard's global record (ABI 1.2), filled by [`MapacheHost::score_global`].
///
/// Times are microseconds since the Unix epoch (wall clock).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct MapacheScoreGlobal {
    /// Set by the caller to `sizeof(MapacheScoreGlobal)` as it knows it; the core writes only the
    /// fields inside that size.
    pub struct_size: u32,
    /// Number of process records (ServerLimit as the MPM asked for it).
    pub server_limit: u32,
    /// Number of worker records per process (ThreadLimit; 1 for prefork).
    pub thread_limit: u32,
    /// Configuration generation: 0 at first start, counted up by every restart, graceful or full.
    pub generation: u32,
    /// When the server was started (survives restarts).
    pub start_time_us: u64,
    /// When the server was last started or restarted.
    pub restart_time_us: u64,
    /// The MPM's short name (`prefork`, `worker`, `event`), NUL-padded.
    pub mpm_name: [u8; 16],
    /// When the server binary was built, as `mapache -V` prints it, NUL-padded.
    pub server_built: [u8; 32],
    /// The MPM's `MAPACHE_MPM_*` flags (threaded, forked, async).
    pub mpm_flags: u32,
    /// Padding; 0.
    pub reserved: u32,
}

/// A copy of one process record of the scoreboard (ABI 1.2), filled by
/// [`MapacheHost::score_process`]. Written by the core: `pid`, `generation` and `started_us` in
/// the master when the MPM reports a fork; the rest by the child itself.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct MapacheScoreProcess {
    /// Set by the caller to `sizeof(MapacheScoreProcess)`; the core writes only inside it.
    pub struct_size: u32,
    /// The child's process id; 0 when the slot is free.
    pub pid: i32,
    /// The generation the child was started in.
    pub generation: u32,
    /// 1 when the child stops gracefully (accepts no more, finishes what it holds).
    pub quiescing: u32,
    /// When the child was forked.
    pub started_us: u64,
    /// Connections the child holds (event MPM; 0 for the others).
    pub connections: u32,
    /// Of those, waiting to write a reply to a slow reader.
    pub conns_writing: u32,
    /// Of those, idle between requests (keep-alive).
    pub conns_keepalive: u32,
    /// Of those, in a lingering close.
    pub conns_closing: u32,
}

/// A copy of one worker record of the scoreboard (ABI 1.2), filled by
/// [`MapacheHost::score_worker`]. Each record has one writer (the thread bound to it), so the
/// copy is consistent: the core retries while the writer is in the middle of an update.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MapacheScoreWorker {
    /// Set by the caller to `sizeof(MapacheScoreWorker)`; the core writes only inside it.
    pub struct_size: u32,
    /// One of the `MAPACHE_WORKER_*` letters.
    pub status: u8,
    /// Padding; 0.
    pub reserved: [u8; 3],
    /// Requests served by this slot since the scoreboard was made.
    pub access_count: u64,
    /// Response bytes (head and body) sent by this slot since the scoreboard was made.
    pub bytes_served: u64,
    /// Requests served on the slot's current (or last) connection.
    pub conn_count: u64,
    /// Bytes sent on the slot's current (or last) connection.
    pub conn_bytes: u64,
    /// Time spent serving requests, in microseconds, summed over the slot's life.
    pub duration_us: u64,
    /// When the current (or last) request started; 0 before the first.
    pub last_request_us: u64,
    /// When the last request ended; smaller than `last_request_us` while one is in progress.
    pub last_done_us: u64,
    /// The heartbeat: when the slot last made progress (a request started, bytes read or
    /// written). A busy slot whose heartbeat is old is stuck.
    pub last_active_us: u64,
    /// The client's address of the current (or last) request, NUL-padded.
    pub client: [u8; MAPACHE_SCORE_CLIENT_LEN],
    /// The current (or last) request line, NUL-padded, cut to fit.
    pub request: [u8; MAPACHE_SCORE_REQUEST_LEN],
}

impl Default for MapacheScoreWorker {
    fn default() -> Self {
        MapacheScoreWorker {
            struct_size: core::mem::size_of::<MapacheScoreWorker>() as u32,
            status: MAPACHE_WORKER_DEAD,
            reserved: [0; 3],
            access_count: 0,
            bytes_served: 0,
            conn_count: 0,
            conn_bytes: 0,
            duration_us: 0,
            last_request_us: 0,
            last_done_us: 0,
            last_active_us: 0,
            client: [0; MAPACHE_SCORE_CLIENT_LEN],
            request: [0; MAPACHE_SCORE_REQUEST_LEN],
        }
    }
}

/// [`MapacheFile::kind`] (ABI 1.3): nothing exists at the path; [`MapacheFile::error`] says why.
pub const MAPACHE_FILE_NONE: u32 = 0;
/// [`MapacheFile::kind`]: a regular file.
pub const MAPACHE_FILE_REGULAR: u32 = 1;
/// [`MapacheFile::kind`]: a directory.
pub const MAPACHE_FILE_DIRECTORY: u32 = 2;
/// [`MapacheFile::kind`]: anything else (FIFO, socket, device): never to be read.
pub const MAPACHE_FILE_OTHER: u32 = 3;

/// What a URL path names on disk (ABI 1.3), as the core mapped it with [`MapacheHost::req_map`]:
/// under DocumentRoot, through the symbolic links `Options` allows, checked against the
/// `<Directory>` sections of the directory the file really is in.
///
/// The module sets `struct_size` to the size it knows; the core fills only the fields inside it.
/// Everything the core fills is owned by the core and valid until `handle` returns.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct MapacheFile {
    /// `sizeof(MapacheFile)` as the module knows it; set by the module before the call.
    pub struct_size: u32,
    /// One of the `MAPACHE_FILE_*` kinds.
    pub kind: u32,
    /// The file, opened by the core (`O_RDONLY | O_NONBLOCK | O_CLOEXEC`) in the same step that
    /// resolved its path, so what is read is what was checked; -1 when `kind` is
    /// `MAPACHE_FILE_NONE`. Owned by the core: never close it; `dup` it to keep it longer.
    pub fd: i32,
    /// For `MAPACHE_FILE_NONE`: the `errno` of the failed lookup (`ENOENT`, `ENOTDIR`, `EACCES`,
    /// ...); 0 otherwise.
    pub error: i32,
    /// The real path: absolute, without symbolic links, `.` or `..` (for a missing file, the real
    /// path of the deepest directory that exists, then the rest as asked).
    pub path: MapacheStr,
    /// DocumentRoot as configured joined with the URL path, without empty or dot segments: the
    /// name that was asked for (the one a content type follows).
    pub requested: MapacheStr,
    /// The open file's size in bytes (its `fstat`, taken when it was opened); 0 for
    /// `MAPACHE_FILE_NONE`.
    pub size: u64,
    /// The open file's modification time, in nanoseconds since the Unix epoch; 0 for
    /// `MAPACHE_FILE_NONE`.
    pub mtime_ns: i64,
}

// ---- ABI 1.6: sections and expressions ----

/// [`MapacheSection::kind`] (ABI 1.6): the main server's level, outside any section.
pub const MAPACHE_SECTION_SERVER: u32 = 0;
/// [`MapacheSection::kind`]: a `<VirtualHost>`'s own level.
pub const MAPACHE_SECTION_VIRTUALHOST: u32 = 1;
/// [`MapacheSection::kind`]: `<Directory>` or `<DirectoryMatch>`.
pub const MAPACHE_SECTION_DIRECTORY: u32 = 2;
/// [`MapacheSection::kind`]: `<Location>` or `<LocationMatch>`.
pub const MAPACHE_SECTION_LOCATION: u32 = 3;
/// [`MapacheSection::kind`]: `<Files>` or `<FilesMatch>`.
pub const MAPACHE_SECTION_FILES: u32 = 4;
/// [`MapacheSection::kind`]: `<If>`, `<ElseIf>` or `<Else>`.
pub const MAPACHE_SECTION_IF: u32 = 5;
/// [`MapacheSection::kind`]: a `.htaccess` file.
pub const MAPACHE_SECTION_HTACCESS: u32 = 6;

/// The scope a configuration object is made for (ABI 1.6), given to
/// [`MapacheModule::create_section_config`]. Borrowed for the call: copy what you keep.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct MapacheSection {
    /// `sizeof(MapacheSection)` as the core knows it.
    pub struct_size: u32,
    /// One of the `MAPACHE_SECTION_*` kinds.
    pub kind: u32,
    /// 1 when `path` is a regular expression or a wildcard pattern, else 0.
    pub is_regex: u32,
    /// Zero.
    pub reserved: u32,
    /// What the section matches: for `<Directory>` an absolute, normalized path without a
    /// trailing `/`; for `<Location>` and `<Files>` the path or pattern as written; for a
    /// `.htaccess` file the directory holding it (no trailing `/`); empty for the server levels
    /// and `<If>`.
    pub path: MapacheStr,
    /// The nearest `<Directory>` (not a pattern) or `.htaccess` directory the section is, or is
    /// inside of, as `path` writes it; empty when there is none (mod_rewrite's per-directory
    /// prefix).
    pub directory: MapacheStr,
}

/// A parsed expression (ABI 1.6), made by [`MapacheHost::expr_parse`] and freed by
/// [`MapacheHost::expr_free`]. Opaque: only its address crosses the ABI.
pub struct MapacheExpr {
    _private: [u8; 0],
}

/// [`MapacheHost::expr_parse`] flags (ABI 1.6): a condition, as `<If>` takes.
pub const MAPACHE_EXPR_BOOL: u32 = 0;
/// [`MapacheHost::expr_parse`] flags: a string with `%{VAR}`, `$N` and functions, as the value
/// of `Header … "expr=…"`.
pub const MAPACHE_EXPR_STRING: u32 = 1;

// ---- ABI 1.4: the request pipeline ----

/// Phase (ABI 1.4): right after the head was parsed, before anything is mapped. Run-all: every
/// hook runs unless one returns a status, `MAPACHE_DONE` or `MAPACHE_ERROR`.
pub const MAPACHE_PHASE_POST_READ_REQUEST: u32 = 1;
/// Phase: turn the URL into another URL path ([`MapacheHost::req_set_uri`]) or a file name
/// ([`MapacheHost::req_set_filename`]), or answer (a redirect: set `Location`, return 302).
/// Run-first: the first hook that returns `MAPACHE_OK` ends the phase. When no hook set a file
/// name, the core's own translation (DocumentRoot joined with the path) applies.
pub const MAPACHE_PHASE_TRANSLATE: u32 = 2;
/// Phase: before the core maps the file name onto the file system. Run-first: a hook that
/// returns `MAPACHE_OK` says the request names no file (a proxied URL): the core then maps
/// nothing and only `<Location>` sections apply. When every hook declines, the core maps the
/// file as [`MapacheHost::req_map`] describes and matches `<Directory>` sections.
pub const MAPACHE_PHASE_MAP_TO_STORAGE: u32 = 3;
/// Phase: decide by the client (address, method, headers), before any user is known. Run-all;
/// return 403 to refuse. The core's `Require` evaluation follows the hooks.
pub const MAPACHE_PHASE_ACCESS: u32 = 4;
/// Phase: find out who the user is ([`MapacheHost::req_set_user`]). Runs only when the `Require`
/// lines in effect need a user (a provider answered `MAPACHE_AUTHZ_DENIED_NO_USER`). Run-first:
/// `MAPACHE_OK` once the user is set; a status (401 with `WWW-Authenticate` set in the error
/// headers) to challenge. Every hook declining is a 500 ("no authentication module").
pub const MAPACHE_PHASE_AUTHN: u32 = 5;
/// Phase: the last changes before the handler (headers, environment). Run-all.
pub const MAPACHE_PHASE_FIXUPS: u32 = 6;
/// Phase: add filters to the request ([`MapacheHost::req_add_filter`]). Run-all.
pub const MAPACHE_PHASE_INSERT_FILTER: u32 = 7;
/// Phase: produce the response. Run-first. A hook runs when its module declared the request's
/// handler name ([`MapacheModule::handler_names`]; a request without `SetHandler` has the name
/// `default-handler`), or when its module declared no names at all (it looks at `req_handler`
/// itself). `MAPACHE_DECLINED` after output: see [`MapacheModule::handle`].
pub const MAPACHE_PHASE_HANDLER: u32 = 8;
/// Phase: after the response was sent, with its final status, bytes and duration. Run-all;
/// return values are ignored. Also runs for requests answered before the handler.
pub const MAPACHE_PHASE_LOG: u32 = 9;

/// Hook order (ABI 1.4), as APR's `APR_HOOK_REALLY_FIRST`: hooks run by ascending order, then by
/// their constraints ([`MapacheHook::predecessors`]), then in LoadModule order.
pub const MAPACHE_ORDER_REALLY_FIRST: i32 = -10;
/// Hook order: early.
pub const MAPACHE_ORDER_FIRST: i32 = 0;
/// Hook order: the default.
pub const MAPACHE_ORDER_MIDDLE: i32 = 10;
/// Hook order: late.
pub const MAPACHE_ORDER_LAST: i32 = 20;
/// Hook order: after every other.
pub const MAPACHE_ORDER_REALLY_LAST: i32 = 30;

/// A phase hook's function. It runs on the request's thread; `req` is valid during the call.
/// Returns `MAPACHE_OK`, `MAPACHE_DECLINED`, `MAPACHE_DONE`, an HTTP status from 300 to 599 (the
/// core answers with its page for it, through the filters, as for its own errors) or
/// `MAPACHE_ERROR` (500). Phases say what OK and DECLINED mean for them.
pub type MapachePhaseFn = extern "C" fn(req: *mut MapacheRequest) -> i32;

/// One phase registration in a module's [`MapacheModule::hooks`] table (ABI 1.4).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MapacheHook {
    /// One of the `MAPACHE_PHASE_*` values.
    pub phase: u32,
    /// One of the `MAPACHE_ORDER_*` values (or any integer between).
    pub order: i32,
    /// The function (never null in a valid table: the core refuses the module at LoadModule).
    pub func: Option<extern "C" fn(req: *mut MapacheRequest) -> i32>,
    /// Null, or a null-terminated array of module names ([`MapacheModule::name`]) whose hooks
    /// of this phase must run before this one (when those modules are loaded).
    pub predecessors: *const *const c_char,
    /// Null, or a null-terminated array of module names whose hooks of this phase must run
    /// after this one.
    pub successors: *const *const c_char,
}

/// [`MapacheFilterDef::direction`] (ABI 1.4): an output filter, between the handler and the client.
pub const MAPACHE_FILTER_OUTPUT: u32 = 1;
/// [`MapacheFilterDef::direction`]: an input filter, between the client and the handler's reads
/// of the request body.
pub const MAPACHE_FILTER_INPUT: u32 = 2;

/// Filter class (ABI 1.4), Apache's `AP_FTYPE_RESOURCE`: changes the content itself (includes,
/// upper-casing). Output filters run by ascending class, nearest the handler first; input
/// filters by descending class, nearest the client first.
pub const MAPACHE_FILTER_RESOURCE: i32 = 10;
/// Filter class `AP_FTYPE_CONTENT_SET`: encodes content (compression).
pub const MAPACHE_FILTER_CONTENT_SET: i32 = 20;
/// Filter class `AP_FTYPE_PROTOCOL`: headers and protocol details (header editing).
pub const MAPACHE_FILTER_PROTOCOL: i32 = 30;

/// [`MapacheFilterDef::flags`] bit: the body filter never changes the body's length (it passes
/// every byte it gets, transformed one for one, or as is), so a declared Content-Length stays
/// valid. Without it the core drops the declared length when the filter stays in the chain.
pub const MAPACHE_FILTER_KEEPS_LENGTH: u32 = 1;

/// [`MapacheBucket::kind`] (ABI 1.4): `data` holds body bytes.
pub const MAPACHE_BUCKET_BYTES: u32 = 1;
/// Bucket kind: `length` bytes of the open file `fd` from `offset`. A filter that does not
/// change bodies passes it on as it is, so the core can still sendfile it.
pub const MAPACHE_BUCKET_FILE: u32 = 2;
/// Bucket kind: send what is buffered now.
pub const MAPACHE_BUCKET_FLUSH: u32 = 3;
/// Bucket kind: the end of the body; always the last bucket, exactly once.
pub const MAPACHE_BUCKET_EOS: u32 = 4;

/// A piece of a response body on its way through the output filters (ABI 1.4).
///
/// Owned by whoever passes it, valid only during the call that receives it: a filter that keeps
/// bytes for later copies them, and one that keeps a file `dup`s its descriptor.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MapacheBucket {
    /// One of the `MAPACHE_BUCKET_*` kinds.
    pub kind: u32,
    /// For `MAPACHE_BUCKET_FILE`: the open file; -1 otherwise.
    pub fd: i32,
    /// For `MAPACHE_BUCKET_BYTES`: the bytes; empty otherwise.
    pub data: MapacheStr,
    /// For `MAPACHE_BUCKET_FILE`: where the range starts.
    pub offset: u64,
    /// For `MAPACHE_BUCKET_FILE`: how many bytes.
    pub length: u64,
}

/// Opaque handle to one filter in one request's chain (ABI 1.4). Owned by the core; valid during
/// the filter call it is passed to.
pub struct MapacheFilter {
    _private: [u8; 0],
}

/// One filter a module offers, in its [`MapacheModule::filters`] table (ABI 1.4). Configuration
/// (`SetOutputFilter`, `AddOutputFilterByType`, `AddOutputFilter`, `SetInputFilter`) or a module
/// ([`MapacheHost::req_add_filter`]) puts it into a request's chain by `name`.
///
/// Each filter in a chain has a state pointer ([`MapacheHost::filter_state`]), null at first;
/// the filter allocates what it points to and frees it in `done`, which the core calls once at
/// the end of every request whose chain held the filter.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MapacheFilterDef {
    /// The filter's name, NUL-terminated, static; matched case-insensitively (e.g. `DEFLATE`).
    /// Output and input filters are two namespaces, as in Apache: one name may be offered once
    /// in each direction (mod_deflate's `DEFLATE` is both).
    pub name: *const c_char,
    /// `MAPACHE_FILTER_OUTPUT` or `MAPACHE_FILTER_INPUT`.
    pub direction: u32,
    /// One of the `MAPACHE_FILTER_*` classes: the filter's place in the chain.
    pub class: i32,
    /// `MAPACHE_FILTER_*` flag bits.
    pub flags: u32,
    /// Output filters: called once, before the response head is sent (for every response the
    /// request gets, the core's own error pages included), in chain order. It may read and change
    /// the status and the headers. Returns `MAPACHE_OK` to stay in the chain for the body,
    /// `MAPACHE_DECLINED` to leave it (its `body` is then never called: a filter that only edits
    /// headers should always leave, so file ranges can still be sent with sendfile), or
    /// `MAPACHE_ERROR` (the core answers 500 instead, through the filters before this one). May
    /// be null: the filter always stays.
    pub headers: Option<extern "C" fn(filter: *mut MapacheFilter, req: *mut MapacheRequest) -> i32>,
    /// Output filters: called for each bucket, in order, ending with one `MAPACHE_BUCKET_EOS`.
    /// Pass buckets on with [`MapacheHost::filter_pass`] (the same ones, changed ones, fewer or
    /// more; hold bytes back while it suits you, but pass `EOS` last). Returns `MAPACHE_OK`, or
    /// `MAPACHE_ERROR` to abort the response (the connection closes). May be null: buckets pass
    /// through unchanged.
    pub body: Option<
        extern "C" fn(
            filter: *mut MapacheFilter,
            req: *mut MapacheRequest,
            bucket: *const MapacheBucket,
        ) -> i32,
    >,
    /// Input filters: fills up to `cap` bytes of `buf` with request body bytes, reading what it
    /// transforms from the filter nearer the client with [`MapacheHost::filter_read`]. Returns the
    /// number of bytes, 0 at the end of the body, or -1 on an error.
    pub read: Option<
        extern "C" fn(
            filter: *mut MapacheFilter,
            req: *mut MapacheRequest,
            buf: *mut u8,
            cap: usize,
        ) -> isize,
    >,
    /// Frees the filter's state (`state` as last set; never null when called). May be null.
    pub done: Option<extern "C" fn(state: *mut core::ffi::c_void)>,
}

/// Answer of a `Require` provider (ABI 1.4): the requirement is not met.
pub const MAPACHE_AUTHZ_DENIED: i32 = 0;
/// Provider answer: the requirement is met.
pub const MAPACHE_AUTHZ_GRANTED: i32 = 1;
/// Provider answer: the requirement says nothing about this request (it counts neither way).
pub const MAPACHE_AUTHZ_NEUTRAL: i32 = 2;
/// Provider answer: the requirement needs an authenticated user and there is none yet; the core
/// runs the `authn` phase and asks again.
pub const MAPACHE_AUTHZ_DENIED_NO_USER: i32 = 3;

/// A `Require` provider a module offers (ABI 1.4): `Require <name> args…` calls it, inside
/// `<RequireAll>`, `<RequireAny>` and `<RequireNone>` like the core's own `all`, `ip`, `local`,
/// `method` and `env`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MapacheAuthzProvider {
    /// The word after `Require`, NUL-terminated, static (e.g. `valid-user`).
    pub name: *const c_char,
    /// Checks the arguments of one `Require` line while the configuration is read (so `-t`
    /// reports them with file and line). Same contract as [`MapacheModule::check_directive`].
    /// May be null.
    pub check: Option<
        extern "C" fn(
            args: *const MapacheStr,
            nargs: usize,
            err: *mut c_char,
            err_cap: usize,
        ) -> i32,
    >,
    /// Decides for one request; `args` are the line's arguments, borrowed for the call. Returns
    /// one of the `MAPACHE_AUTHZ_*` answers, or `MAPACHE_ERROR` (500). Never null in a valid
    /// table.
    pub authorize: Option<
        extern "C" fn(req: *mut MapacheRequest, args: *const MapacheStr, nargs: usize) -> i32,
    >,
}

/// [`MapacheHost::req_body_framing`] (ABI 1.4): the request has no body.
pub const MAPACHE_BODY_NONE: u32 = 0;
/// The request body has a Content-Length.
pub const MAPACHE_BODY_LENGTH: u32 = 1;
/// The request body is chunked; its length is known only at its end.
pub const MAPACHE_BODY_CHUNKED: u32 = 2;

/// A request's table of name/value pairs (ABI 1.4), for the `table_*` host functions. Names are
/// matched case-insensitively in every table; a name may occur several times.
///
/// `MAPACHE_TABLE_HEADERS_OUT`, Apache's `headers_out`: the headers of a successful response.
/// The core's error pages keep only those that still apply to them (`Location`, `Allow`,
/// `WWW-Authenticate`, …; not those that described a body). The framing headers
/// (Content-Length, Transfer-Encoding, Connection), Date and Server belong to the core and are
/// refused here.
pub const MAPACHE_TABLE_HEADERS_OUT: u32 = 0;
/// Apache's `err_headers_out`: sent with every response, errors included, and kept across
/// internal redirects; after the `MAPACHE_TABLE_HEADERS_OUT` fields.
pub const MAPACHE_TABLE_ERR_HEADERS_OUT: u32 = 1;
/// The request headers as later phases and the handler see them (changes are not sent back).
pub const MAPACHE_TABLE_HEADERS_IN: u32 = 2;
/// Notes: strings modules pass each other during one request; never sent or logged unless a
/// module does it (`%{name}n` in LogFormat logs them).
pub const MAPACHE_TABLE_NOTES: u32 = 3;
/// The request's environment variables: `SetEnv`, rewrite's `E=`, `%{VAR}e` in LogFormat,
/// `Require env`, and what a proxied or CGI request is given.
pub const MAPACHE_TABLE_ENV: u32 = 4;

/// [`MapacheHost::table_set`] mode (ABI 1.4): replace every field of that name with one.
pub const MAPACHE_TABLE_SET: u32 = 0;
/// Mode: add a field, keeping the others of that name.
pub const MAPACHE_TABLE_ADD: u32 = 1;
/// Mode: remove every field of that name (`value` is ignored).
pub const MAPACHE_TABLE_UNSET: u32 = 2;

/// [`MapacheMetric::kind`] (ABI 1.4): a count that only goes up (requests, bytes).
pub const MAPACHE_METRIC_COUNTER: u32 = 1;
/// A value that goes up and down (connections open). Each child adds to it; the sum shown is
/// over the children alive.
pub const MAPACHE_METRIC_GAUGE: u32 = 2;
/// A distribution of observed values in cumulative buckets (durations).
pub const MAPACHE_METRIC_HISTOGRAM: u32 = 3;
/// Most bucket bounds a histogram may have.
pub const MAPACHE_METRIC_MAX_BUCKETS: usize = 16;

/// A snapshot of one registered metric, summed over every child (ABI 1.4), filled by
/// [`MapacheHost::metric_get`].
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MapacheMetric {
    /// Set by the caller to `sizeof(MapacheMetric)`; the core writes only inside it.
    pub struct_size: u32,
    /// One of the `MAPACHE_METRIC_*` kinds.
    pub kind: u32,
    /// The name as registered (e.g. `mapache_auth_failures_total`); owned by the core, static.
    pub name: MapacheStr,
    /// The help text as registered; owned by the core, static.
    pub help: MapacheStr,
    /// The module that registered it; owned by the core, static.
    pub module: MapacheStr,
    /// Counters and gauges: the value. Histograms: the number of observations.
    pub value: i64,
    /// Histograms: the sum of the observed values.
    pub sum: u64,
    /// Histograms: the number of bounds in `bounds` (at most `MAPACHE_METRIC_MAX_BUCKETS`).
    pub bucket_count: u32,
    /// Padding; 0.
    pub reserved: u32,
    /// Histograms: the upper bounds of the buckets, ascending.
    pub bounds: [u64; MAPACHE_METRIC_MAX_BUCKETS],
    /// Histograms: how many observations were at most `bounds[i]` (cumulative).
    pub counts: [u64; MAPACHE_METRIC_MAX_BUCKETS],
}

/// [`MapacheModule::status_section`] format (ABI 1.4): HTML (the section writes a fragment: a
/// heading and a table or list).
pub const MAPACHE_STATUS_HTML: u32 = 1;
/// Format of `?auto`: `Key: value` lines.
pub const MAPACHE_STATUS_AUTO: u32 = 2;
/// Format of `?json`: one JSON object, which the page puts under the module's name.
pub const MAPACHE_STATUS_JSON: u32 = 3;

/// The function table the core hands every module in `init`.
///
/// The table is owned by the core and lives for the whole process. Fields beyond `struct_size` do
/// not exist: a module built against a newer minor must check `struct_size` (or `abi_minor`) before
/// calling a function appended later. Unless a function says otherwise, `MapacheStr` arguments are
/// borrowed only for the duration of the call, and `MapacheStr` results are owned by the core.
#[repr(C)]
pub struct MapacheHost {
    /// `sizeof(MapacheHost)` as the core knows it.
    pub struct_size: u32,
    /// The core's ABI major.
    pub abi_major: u16,
    /// The core's ABI minor.
    pub abi_minor: u16,
    /// The server's version string, e.g. `mapache/0.1.0`; static.
    pub server_version: MapacheStr,

    // ---- logging: any process, any thread ----
    /// Writes one line to the error log as `[module:level]` if `level` passes the module's LogLevel.
    pub log: extern "C" fn(module: MapacheStr, level: i32, msg: MapacheStr),

    // ---- configuration: any process, any thread ----
    /// Number of occurrences of directive `name` (case-insensitive) visible in `config`.
    pub config_count: extern "C" fn(config: *const MapacheConfig, name: MapacheStr) -> usize,
    /// Fills `out` with occurrence `index` of directive `name` and returns 1, or returns 0 when there
    /// is no such occurrence. Occurrences run from the least to the most specific: server level in
    /// file order, then each matching section in order; so the last one is the one in effect.
    pub config_get: extern "C" fn(
        config: *const MapacheConfig,
        name: MapacheStr,
        index: usize,
        out: *mut MapacheDirectiveValue,
    ) -> i32,

    // ---- request, for handlers: only during `handle`, on its thread ----
    /// The request method, e.g. `GET`. Valid until `handle` returns.
    pub req_method: extern "C" fn(req: *const MapacheRequest) -> MapacheStr,
    /// The request target exactly as the client sent it. Valid until `handle` returns.
    pub req_uri: extern "C" fn(req: *const MapacheRequest) -> MapacheStr,
    /// The path, percent-decoded once, with `.` and `..` resolved; always starts with `/`.
    pub req_path: extern "C" fn(req: *const MapacheRequest) -> MapacheStr,
    /// The query string without `?` (empty when absent), still percent-encoded.
    pub req_query: extern "C" fn(req: *const MapacheRequest) -> MapacheStr,
    /// The protocol of the request line, e.g. `HTTP/1.1`.
    pub req_protocol: extern "C" fn(req: *const MapacheRequest) -> MapacheStr,
    /// Finds the first request header named `name` (case-insensitive). Returns 1 and fills `value`,
    /// or returns 0.
    pub req_header:
        extern "C" fn(req: *const MapacheRequest, name: MapacheStr, value: *mut MapacheStr) -> i32,
    /// Number of request header fields.
    pub req_header_count: extern "C" fn(req: *const MapacheRequest) -> usize,
    /// Fills `name` and `value` with header field `index` and returns 1, or returns 0 past the end.
    pub req_header_at: extern "C" fn(
        req: *const MapacheRequest,
        index: usize,
        name: *mut MapacheStr,
        value: *mut MapacheStr,
    ) -> i32,
    /// The handler name chosen for this request by `SetHandler` (empty when none was set).
    pub req_handler: extern "C" fn(req: *const MapacheRequest) -> MapacheStr,
    /// The configuration that applies to this request (server level merged with matching sections).
    /// Valid until `handle` returns.
    pub req_config: extern "C" fn(req: *const MapacheRequest) -> *const MapacheConfig,
    /// The client's IP address as text, e.g. `127.0.0.1` or `::1`.
    pub req_client_ip: extern "C" fn(req: *const MapacheRequest) -> MapacheStr,
    /// Reads up to `cap` bytes of the request body (de-chunked) into `buf`, which the module owns.
    /// Returns the number of bytes read, 0 at the end of the body, or -1 on an error (the connection
    /// is then closed after the response). Blocks, bounded by the server's Timeout.
    pub req_read_body: extern "C" fn(req: *mut MapacheRequest, buf: *mut u8, cap: usize) -> isize,
    /// Logs `msg` to the error log with the request's client address, as `module`.
    pub req_log:
        extern "C" fn(req: *const MapacheRequest, module: MapacheStr, level: i32, msg: MapacheStr),

    // ---- response, for handlers: only during `handle`, on its thread ----
    /// Sets the status code (100..=599; default 200). Must come before the first body byte.
    pub resp_set_status: extern "C" fn(req: *mut MapacheRequest, status: u16),
    /// Sets a response header, replacing any of the same name. The framing headers
    /// (Content-Length, Transfer-Encoding, Connection), Date and Server belong to the core and are
    /// ignored here. Returns `MAPACHE_ERROR` once the head has been sent.
    pub resp_set_header:
        extern "C" fn(req: *mut MapacheRequest, name: MapacheStr, value: MapacheStr) -> i32,
    /// Adds a response header, keeping any of the same name. Same rules as `resp_set_header`.
    pub resp_add_header:
        extern "C" fn(req: *mut MapacheRequest, name: MapacheStr, value: MapacheStr) -> i32,
    /// Declares the body length. Without it, the core sends a small body with Content-Length and a
    /// streamed one chunked (HTTP/1.1) or until close (HTTP/1.0).
    pub resp_set_content_length: extern "C" fn(req: *mut MapacheRequest, length: u64),
    /// Appends body bytes (copied before returning). The head is sent with the first body bytes.
    /// For HEAD requests the core discards body bytes. Returns `MAPACHE_OK`, or `MAPACHE_ERROR` when
    /// the client has gone (stop producing then).
    pub resp_write: extern "C" fn(req: *mut MapacheRequest, data: MapacheStr) -> i32,
    /// Sends `length` bytes of the open file `fd` from `offset` as body (sendfile where possible).
    /// The module keeps owning `fd`; the core duplicates it if it needs it after returning.
    pub resp_sendfile:
        extern "C" fn(req: *mut MapacheRequest, fd: i32, offset: u64, length: u64) -> i32,

    // ---- connections, for MPMs ----
    /// Prepares this child process to serve: call once in every child after fork (or in the master
    /// itself under `-X`), before any thread starts. Runs every handler module's `child_init`.
    /// `slot` is the child's index (0-based, below ServerLimit). Returns `MAPACHE_OK` or
    /// `MAPACHE_ERROR` (the child must then exit with status 1).
    pub child_init: extern "C" fn(slot: u32) -> i32,
    /// Serves a whole connection on the calling thread, blocking, until it closes (keep-alive and
    /// pipelining included, bounded by Timeout and KeepAliveTimeout). Takes ownership of `fd` and
    /// closes it. Returns the number of requests served.
    pub serve_connection: extern "C" fn(fd: i32) -> u64,
    /// Starts a connection for step-by-step serving (event MPMs). Takes ownership of `fd`, which
    /// the core makes non-blocking. Never returns null.
    pub conn_open: extern "C" fn(fd: i32) -> *mut MapacheConn,
    /// The connection's socket, for polling. Still owned by the core.
    pub conn_fd: extern "C" fn(conn: *const MapacheConn) -> i32,
    /// Hands over bytes the MPM read from the socket (the core copies them). Does not block and runs
    /// no handler. Returns `MAPACHE_CONN_NEED_READ` (the request head is not complete yet),
    /// `MAPACHE_CONN_READY` (call `conn_process`) or `MAPACHE_CONN_CLOSE`. `data` of length 0 means
    /// end of stream.
    pub conn_feed: extern "C" fn(conn: *mut MapacheConn, data: MapacheStr) -> i32,
    /// Serves every complete request buffered on the connection, on the calling thread, blocking on
    /// the socket for request bodies (bounded by Timeout). Output that the socket does not take at
    /// once is queued (file ranges without copying them; memory up to a bound, past which the call
    /// waits) instead of pinning the thread. Returns `MAPACHE_CONN_NEED_READ` when the connection
    /// waits for its next request (park it in the poller instead of blocking a thread),
    /// `MAPACHE_CONN_NEED_WRITE` when output is queued, or `MAPACHE_CONN_CLOSE`.
    pub conn_process: extern "C" fn(conn: *mut MapacheConn) -> i32,
    /// Milliseconds until the connection's current wait times out (KeepAliveTimeout when idle
    /// between requests, the request-read timeout during a partial head); 0 when already expired.
    pub conn_timeout_ms: extern "C" fn(conn: *const MapacheConn) -> u64,
    /// Tells the core that the current wait expired. Answers 408 when a request was partly read.
    /// Returns `MAPACHE_CONN_CLOSE`.
    pub conn_expire: extern "C" fn(conn: *mut MapacheConn) -> i32,
    /// Closes the connection and frees it; `conn` is invalid afterwards. When a lingering close is
    /// still under way (after `conn_expire` answered 408, or when an MPM closes a connection that
    /// was lingering) this blocks until the client is done, at most 2 s without data and 30 s in
    /// all: call it on a worker thread, never on an event loop.
    pub conn_close: extern "C" fn(conn: *mut MapacheConn),
    /// Flushes logs and runs nothing else: call once in a child before it exits normally.
    pub child_exit: extern "C" fn(),
    /// Writes queued output without blocking, after the poller saw the socket writable. Does not
    /// run handlers. Returns `MAPACHE_CONN_NEED_WRITE` (still queued), `MAPACHE_CONN_NEED_READ`
    /// (all written; wait for the next request), `MAPACHE_CONN_READY` (all written and a pipelined
    /// request is buffered: call `conn_process`) or `MAPACHE_CONN_CLOSE`.
    pub conn_write: extern "C" fn(conn: *mut MapacheConn) -> i32,

    // ---- ABI 1.2: the scoreboard ----
    /// (ABI 1.2) Creates the scoreboard, shared memory for `server_limit` process records of
    /// `thread_limit` worker records each. Master only, in `mpm_run` before the first fork; call
    /// it once per run. After a graceful restart the core reuses the scoreboard it inherited when
    /// the limits are the same, so the old generation's children stay visible (and keep
    /// updating their records); otherwise it makes a new one and copies the live process records
    /// into it. Returns `MAPACHE_OK`, or `MAPACHE_ERROR` (logged) when the memory cannot be had.
    pub score_open: extern "C" fn(server_limit: u32, thread_limit: u32) -> i32,
    /// (ABI 1.2) Records, in the master right after `fork` returned there, that child `pid` runs in
    /// process slot `slot` in the current generation. Its first worker record turns `S`; the
    /// others stay `.` until a thread binds them (`worker_bind`), so records past the threads a
    /// child runs never look like starting workers.
    pub score_child_started: extern "C" fn(slot: u32, pid: i32),
    /// (ABI 1.2) Records, in the master after reaping a child, that process slot `slot` is free
    /// again. Its worker records turn to `.`; their counters are kept.
    pub score_child_exited: extern "C" fn(slot: u32),
    /// (ABI 1.2) Binds the calling thread of a child to worker record `thread` (below the thread
    /// limit) of the child's slot (given to `child_init`), and sets it to `_`. From then on the
    /// core keeps the record current while the thread serves. `child_init` binds the calling thread
    /// to record 0, which is all a single-threaded child needs. A later bind of the same record
    /// takes it over (the thread that held it writes nothing more), so a record never has two
    /// writers; a `thread` at or past the thread limit unbinds the calling thread.
    pub worker_bind: extern "C" fn(thread: u32),
    /// (ABI 1.2) Sets the calling thread's worker record to one of the `MAPACHE_WORKER_*` states.
    /// The core sets `R`, `W`, `K`, `L` and `C` itself while it serves, and `_` when a connection
    /// (or, for `conn_process`, a burst of requests) is done; an MPM sets `S`, `G`, `I` and `.`.
    pub worker_status: extern "C" fn(status: u8),
    /// (ABI 1.2) Publishes the calling child's connection counts in its process record (event
    /// MPMs).
    pub score_conns: extern "C" fn(total: u32, writing: u32, keepalive: u32, closing: u32),
    /// (ABI 1.2) Copies the global record into `out` (its `struct_size` set by the caller). Any
    /// process, any thread. Returns `MAPACHE_OK`, or `MAPACHE_ERROR` when there is no scoreboard
    /// (before `score_open`, or in a process that has none).
    pub score_global: extern "C" fn(out: *mut MapacheScoreGlobal) -> i32,
    /// (ABI 1.2) Copies process record `slot` into `out`. Returns `MAPACHE_OK`, or `MAPACHE_ERROR`
    /// when there is no scoreboard or `slot` is out of range.
    pub score_process: extern "C" fn(slot: u32, out: *mut MapacheScoreProcess) -> i32,
    /// (ABI 1.2) Copies worker record `thread` of process slot `slot` into `out`. Returns
    /// `MAPACHE_OK`, or `MAPACHE_ERROR` when there is no scoreboard or an index is out of range.
    pub score_worker: extern "C" fn(slot: u32, thread: u32, out: *mut MapacheScoreWorker) -> i32,

    // ---- ABI 1.2: process control ----
    /// (ABI 1.2) Tells the core that this child stops gracefully: its process record turns
    /// quiescing, every response from now on carries `Connection: close`, and a connection ends
    /// after the request in progress (or, when idle, after its next request or its
    /// KeepAliveTimeout). The MPM stops accepting itself. Async-signal-safe (it stores flags), so a
    /// signal handler may call it.
    pub child_stopping: extern "C" fn(),
    /// (ABI 1.2) Closes this process's copies of the listening sockets: call it in a child that
    /// will not accept again, so that once every process has let go a socket closes (graceful
    /// stop). Any `MapacheListener::fd` is invalid afterwards in the calling process.
    pub listeners_close: extern "C" fn(),
    /// (ABI 1.2) Checks the configuration files as a restart would read them, with the binary and
    /// module files now on disk, without changing anything in the running server (it runs `mapache
    /// -t` with the server's command line and waits for it). Master only, single-threaded. Returns
    /// `MAPACHE_OK`, or `MAPACHE_ERROR` with the one-line reason written to `err` (NUL-terminated,
    /// cut to `err_cap`).
    pub config_check: extern "C" fn(err: *mut c_char, err_cap: usize) -> i32,

    // ---- ABI 1.3: the file a URL path maps to, for handlers: only during `handle` ----
    /// (ABI 1.3) Maps `url_path` (decoded, starting with `/`; `.` and `..` segments are resolved
    /// and cannot climb above `/`) onto the file system under DocumentRoot, as the core mapped the
    /// request's own path before any handler ran (Apache's map_to_storage): each symbolic link on
    /// the way is followed only as `Options` (FollowSymLinks, SymLinksIfOwnerMatch) allows in the
    /// `<Directory>` the link is in, and the client is checked against the `Require` lines in
    /// effect for the real path, as for a request of its own. Use it for the request path and for
    /// names looked up on the request's behalf (a DirectoryIndex file). Returns `MAPACHE_OK` with
    /// `out` filled (a missing file is `MAPACHE_FILE_NONE`, not an error), or 403 when the path may
    /// not be served: the core has logged why, and the handler should answer with that status.
    /// `MAPACHE_ERROR` for a bad argument (`out` null or too small, a path without `/`).
    pub req_map:
        extern "C" fn(req: *mut MapacheRequest, url_path: MapacheStr, out: *mut MapacheFile) -> i32,

    // ---- ABI 1.4: the request in every phase. Only during a hook, filter, provider or handler
    // call for that request, on its thread. Strings returned stay valid until the request ends
    // unless the function says otherwise; arguments are copied. ----
    /// (ABI 1.4) Replaces the URL the rest of the request works on (translate, or before the
    /// handler): `uri` as a client writes a target (a path, percent-encoded, then optionally `?`
    /// and a query). The core decodes and normalizes it as it does the request line's; `req_path`,
    /// `req_query` and `<Location>` matching see the new one, `req_uri` and the access log keep the
    /// client's. Returns `MAPACHE_OK`, 400 for a path the request line would not be allowed (`%00`,
    /// no leading `/`), or 404 for an encoded `/` (`%2f`). The string returned by an earlier
    /// `req_path` or `req_query` stays valid until the request ends.
    pub req_set_uri: extern "C" fn(req: *mut MapacheRequest, uri: MapacheStr) -> i32,
    /// (ABI 1.4) The file name the request maps to: the one a translate hook set, else DocumentRoot
    /// joined with the path (empty before the translate phase ended, and for requests a
    /// map_to_storage hook took).
    pub req_filename: extern "C" fn(req: *const MapacheRequest) -> MapacheStr,
    /// (ABI 1.4) Sets the file name from a translate hook (Alias): an absolute path. The core maps
    /// it as it maps DocumentRoot's files (links judged by `Options`, `<Directory>` sections by the
    /// real path). Returns `MAPACHE_OK`, or `MAPACHE_ERROR` for a path that is not absolute.
    pub req_set_filename: extern "C" fn(req: *mut MapacheRequest, path: MapacheStr) -> i32,
    /// (ABI 1.4) Number of fields in `table` (one of the `MAPACHE_TABLE_*` values; 0 for an unknown
    /// one).
    pub table_count: extern "C" fn(req: *const MapacheRequest, table: u32) -> usize,
    /// (ABI 1.4) Fills `name` and `value` with field `index` of `table` and returns 1, or returns 0
    /// past the end. Valid until the table next changes.
    pub table_at: extern "C" fn(
        req: *const MapacheRequest,
        table: u32,
        index: usize,
        name: *mut MapacheStr,
        value: *mut MapacheStr,
    ) -> i32,
    /// (ABI 1.4) Fills `value` with the `index`-th field named `name` (case-insensitive) in `table`
    /// and returns 1, or returns 0. Valid until the table next changes.
    pub table_get: extern "C" fn(
        req: *const MapacheRequest,
        table: u32,
        name: MapacheStr,
        index: usize,
        value: *mut MapacheStr,
    ) -> i32,
    /// (ABI 1.4) Changes `table` by `mode` (`MAPACHE_TABLE_SET`, `_ADD`, `_UNSET`). Returns
    /// `MAPACHE_OK`, or `MAPACHE_ERROR` for an unknown table or mode, a name or value with CR, LF
    /// or NUL, a response header once the head is sent, or a header the core owns. Request
    /// header fields replaced or removed here stay readable until the request ends (`req_header`
    /// lends them that long); other tables' values are valid until the table next changes.
    pub table_set: extern "C" fn(
        req: *mut MapacheRequest,
        table: u32,
        name: MapacheStr,
        value: MapacheStr,
        mode: u32,
    ) -> i32,
    /// (ABI 1.4) From a handler (or fixups): serve `uri` (as for `req_set_uri`) instead, from the
    /// translate phase on, once the calling hook returns (return `MAPACHE_OK` then). What the
    /// request produced so far is discarded; the `MAPACHE_TABLE_ERR_HEADERS_OUT` fields, notes and
    /// environment stay, and `REDIRECT_URL` and `REDIRECT_STATUS` are set in the environment. More
    /// than 10 redirects in one request are a 500. Returns `MAPACHE_OK`, or as `req_set_uri`.
    pub req_internal_redirect: extern "C" fn(req: *mut MapacheRequest, uri: MapacheStr) -> i32,
    /// (ABI 1.4) What `uri` would map to if it were requested (a subrequest's lookup, for
    /// DirectoryIndex, `RewriteCond -F`): the translate hooks run for it, then the core maps it and
    /// checks the `Require` lines in effect for it, as `req_map` does. Returns as `req_map`; `out`
    /// stays valid until the request ends.
    pub req_lookup:
        extern "C" fn(req: *mut MapacheRequest, uri: MapacheStr, out: *mut MapacheFile) -> i32,
    /// (ABI 1.4) The local address the connection arrived on, as text (`127.0.0.1`, `::1`).
    pub req_local_ip: extern "C" fn(req: *const MapacheRequest) -> MapacheStr,
    /// (ABI 1.4) The local port the connection arrived on.
    pub req_local_port: extern "C" fn(req: *const MapacheRequest) -> u32,
    /// (ABI 1.4) The client's port.
    pub req_client_port: extern "C" fn(req: *const MapacheRequest) -> u32,
    /// (ABI 1.4) The scheme the request came in with: `http` (or `https` once the connection is
    /// TLS).
    pub req_scheme: extern "C" fn(req: *const MapacheRequest) -> MapacheStr,
    /// (ABI 1.4) The server name of the request's scope (ServerName, or the host name when unset).
    pub req_server_name: extern "C" fn(req: *const MapacheRequest) -> MapacheStr,
    /// (ABI 1.4) The authenticated user (empty when none): `%u` in the access log, `REMOTE_USER`.
    pub req_user: extern "C" fn(req: *const MapacheRequest) -> MapacheStr,
    /// (ABI 1.4) Sets the authenticated user, from an authn hook. Returns `MAPACHE_OK`, or
    /// `MAPACHE_ERROR` for an empty name or one with CR, LF or NUL.
    pub req_set_user: extern "C" fn(req: *mut MapacheRequest, user: MapacheStr) -> i32,
    /// (ABI 1.4) How the request body is framed: `MAPACHE_BODY_NONE`, `_LENGTH` (then `*length` is
    /// set) or `_CHUNKED`. `length` may be null.
    pub req_body_framing: extern "C" fn(req: *const MapacheRequest, length: *mut u64) -> u32,
    /// (ABI 1.4) The response status as it stands (200 until someone sets another).
    pub resp_status: extern "C" fn(req: *const MapacheRequest) -> u32,
    /// (ABI 1.4) The declared response body length (`resp_set_content_length`), or -1 when none is.
    pub resp_content_length: extern "C" fn(req: *const MapacheRequest) -> i64,
    /// (ABI 1.4) Response body bytes sent to the client so far (in the log phase: all of them,
    /// `%B`).
    pub resp_bytes_sent: extern "C" fn(req: *const MapacheRequest) -> u64,
    /// (ABI 1.4) Microseconds since the request's head was read (in the log phase: its duration,
    /// `%D`).
    pub req_elapsed_us: extern "C" fn(req: *const MapacheRequest) -> u64,
    /// (ABI 1.4) Adds the filter named `name` (offered by some module's [`MapacheModule::filters`])
    /// to the request's chain in its class's place. Returns `MAPACHE_OK`, or `MAPACHE_ERROR` when
    /// no loaded module offers it, or when it is too late (the head is sent, for output filters;
    /// the body is being read, for input ones). Adding a filter already in the chain does nothing.
    /// A name offered both ways names the output filter.
    pub req_add_filter: extern "C" fn(req: *mut MapacheRequest, name: MapacheStr) -> i32,

    // ---- ABI 1.4: filters, only during a filter call, with the handle it was given ----
    /// (ABI 1.4) Passes `bucket` to the next output filter (the last one is the core's, which
    /// sends). Blocks while the client is slow, as `resp_write` does. Returns `MAPACHE_OK`, or
    /// `MAPACHE_ERROR` when the client has gone (stop producing then).
    pub filter_pass: extern "C" fn(filter: *mut MapacheFilter, bucket: *const MapacheBucket) -> i32,
    /// (ABI 1.4) Reads request body bytes from the input filter nearer the client (the last one is
    /// the core's de-chunking reader). Returns as [`MapacheFilterDef::read`].
    pub filter_read: extern "C" fn(filter: *mut MapacheFilter, buf: *mut u8, cap: usize) -> isize,
    /// (ABI 1.4) The filter's state pointer in this request (null until set).
    pub filter_state: extern "C" fn(filter: *const MapacheFilter) -> *mut core::ffi::c_void,
    /// (ABI 1.4) Sets the filter's state pointer; the filter's `done` frees it at the end of the
    /// request.
    pub filter_set_state: extern "C" fn(filter: *mut MapacheFilter, state: *mut core::ffi::c_void),

    // ---- ABI 1.4: typed configuration ----
    /// (ABI 1.4) The configuration object `module` (its own descriptor) made for `config`'s scope
    /// with `create_config`, merged from the server level down through the sections that apply (in
    /// `init`, the server scope's object). Null when the module has no `create_config`. Any
    /// process, any thread; valid as long as `config`.
    pub config_module: extern "C" fn(
        config: *const MapacheConfig,
        module: *const MapacheModule,
    ) -> *const core::ffi::c_void,
    /// (ABI 1.4) The same for the request's sections, merged once per combination of sections and
    /// cached: constant time. Valid until the request ends.
    pub req_module_config: extern "C" fn(
        req: *const MapacheRequest,
        module: *const MapacheModule,
    ) -> *const core::ffi::c_void,

    // ---- ABI 1.4: metrics and the status page ----
    /// (ABI 1.4) Registers a metric for `module`. Master only, in `init`. `name` follows
    /// Prometheus' rules (`[a-zA-Z_:][a-zA-Z0-9_:]*`) and is unique; `bounds` are a histogram's
    /// ascending bucket bounds (`bound_count` at most `MAPACHE_METRIC_MAX_BUCKETS`; null for the
    /// others). The values live in shared memory: every child adds to the same metric, and they
    /// survive graceful restarts (a metric of the same name and kind keeps its value). Returns the
    /// metric's id (0 or more), or `MAPACHE_ERROR` (bad name, duplicate, too many, not in init).
    pub metric_register: extern "C" fn(
        module: *const MapacheModule,
        kind: u32,
        name: MapacheStr,
        help: MapacheStr,
        bounds: *const u64,
        bound_count: usize,
    ) -> i32,
    /// (ABI 1.4) Adds `delta` to counter or gauge `id` (a counter never goes down: a negative delta
    /// is ignored). In children, any thread, lock-free; does nothing for an unknown id.
    pub metric_add: extern "C" fn(id: i32, delta: i64),
    /// (ABI 1.4) Records one observation of `value` in histogram `id`. As `metric_add`.
    pub metric_observe: extern "C" fn(id: i32, value: u64),
    /// (ABI 1.4) Number of registered metrics (ids run from 0 below it). Any process, any thread.
    pub metric_count: extern "C" fn() -> u32,
    /// (ABI 1.4) Copies metric `id`, summed over every child, into `out` (its `struct_size` set by
    /// the caller). Returns `MAPACHE_OK` or `MAPACHE_ERROR` (unknown id).
    pub metric_get: extern "C" fn(id: i32, out: *mut MapacheMetric) -> i32,
    /// (ABI 1.4) For a status handler: writes every module's [`MapacheModule::status_section`] in
    /// `format` (`MAPACHE_STATUS_*`) to the response, in LoadModule order (for JSON: `"name": {…}`
    /// members separated by commas, without the enclosing braces). Returns `MAPACHE_OK`, or
    /// `MAPACHE_ERROR` when the client has gone.
    pub status_sections: extern "C" fn(req: *mut MapacheRequest, format: u32) -> i32,

    // ---- ABI 1.6: expressions, variables, the useragent address, the handler ----
    /// (ABI 1.6) Parses `text` in Apache's expression language (ap_expr): a condition
    /// (`MAPACHE_EXPR_BOOL`) or a string (`MAPACHE_EXPR_STRING`). Any process, any thread, from
    /// [`MapacheModule::attach`] on (so in `set_directive`). Returns the expression (free it with
    /// `expr_free`), or null with one line in `err` (Apache's words, e.g. `Variable 'FOO' does
    /// not exist`).
    pub expr_parse: extern "C" fn(
        text: MapacheStr,
        flags: u32,
        err: *mut c_char,
        err_cap: usize,
    ) -> *mut MapacheExpr,
    /// (ABI 1.6) Frees an expression `expr_parse` made. Null does nothing.
    pub expr_free: extern "C" fn(expr: *mut MapacheExpr),
    /// (ABI 1.6) Evaluates a condition for the request: 1 true, 0 false, or `MAPACHE_ERROR` with
    /// one line in `err` (a value that is no number for `-eq`, …; Apache then takes it as
    /// false). Any thread; `expr` is only read.
    pub expr_eval: extern "C" fn(
        expr: *const MapacheExpr,
        req: *mut MapacheRequest,
        err: *mut c_char,
        err_cap: usize,
    ) -> i32,
    /// (ABI 1.6) Evaluates a string expression for the request into `buf` (`cap` bytes): returns
    /// the value's length (written only when it fits: call again with a larger buffer when it is
    /// more than `cap`), or -1 when the expression is a condition or failed.
    pub expr_eval_string: extern "C" fn(
        expr: *const MapacheExpr,
        req: *mut MapacheRequest,
        buf: *mut u8,
        cap: usize,
    ) -> isize,
    /// (ABI 1.6) A server or request variable as ap_expr and mod_rewrite name them
    /// (`REQUEST_URI`, `DOCUMENT_ROOT`, `SERVER_NAME`, `SERVER_PORT`, `REMOTE_ADDR`, `HTTPS`,
    /// `THE_REQUEST`, `REQUEST_FILENAME`, `TIME_YEAR` … `TIME`, `HTTP_USER_AGENT` and any
    /// `HTTP_*` header, …) into `buf`: the value's length as `expr_eval_string`, or -1 when the
    /// variable is unknown or unset.
    pub req_var: extern "C" fn(
        req: *const MapacheRequest,
        name: MapacheStr,
        buf: *mut u8,
        cap: usize,
    ) -> isize,
    /// (ABI 1.6) Sets the useragent's address for the rest of the request (mod_remoteip): what
    /// `Require ip`, `%a` and `%h`, `REMOTE_ADDR`, `req_client_ip` and the scoreboard see. The
    /// connection's peer (`%{c}a`, `req_peer_ip`) stays. Returns `MAPACHE_OK`, or
    /// `MAPACHE_ERROR` when `ip` is no IPv4 or IPv6 address.
    pub req_set_client_ip: extern "C" fn(req: *mut MapacheRequest, ip: MapacheStr) -> i32,
    /// (ABI 1.6) The connection's peer address (`%{c}a`), whatever `req_set_client_ip` set.
    pub req_peer_ip: extern "C" fn(req: *const MapacheRequest) -> MapacheStr,
    /// (ABI 1.6) Sets the request's handler name (as `SetHandler` would) from the translate,
    /// map-to-storage, access or fixups phase; an empty name goes back to `default-handler`.
    /// Returns `MAPACHE_OK`, or `MAPACHE_ERROR` when no loaded module declares the name (and
    /// every module declares some), or in a later phase.
    pub req_set_handler: extern "C" fn(req: *mut MapacheRequest, name: MapacheStr) -> i32,
}

/// The descriptor every module exports under the symbol named in LoadModule.
///
/// The core checks `magic`, `abi_major`, `abi_minor` and `struct_size` before it reads or calls
/// anything else. All pointers are static in the module (modules are never unloaded).
#[repr(C)]
#[derive(Debug)]
pub struct MapacheModule {
    /// Must be `MAPACHE_MODULE_MAGIC`.
    pub magic: u32,
    /// `MAPACHE_ABI_MAJOR` the module was built against.
    pub abi_major: u16,
    /// `MAPACHE_ABI_MINOR` the module was built against.
    pub abi_minor: u16,
    /// `sizeof(MapacheModule)` as the module was built.
    pub struct_size: u32,
    /// `MAPACHE_KIND_MPM` or `MAPACHE_KIND_HANDLER`.
    pub kind: u32,
    /// Short module name, e.g. `static`; NUL-terminated. Used in log lines and LogLevel.
    pub name: *const c_char,
    /// The module's own version, NUL-terminated.
    pub version: *const c_char,
    /// The directive table, `directive_count` entries (may be null when the count is 0).
    pub directives: *const MapacheDirective,
    /// Number of directive table entries.
    pub directive_count: usize,
    /// Called once in the master process after the whole configuration was read, before any
    /// fork, single-threaded: it must not start threads. May be null.
    /// `host` lives for the whole process; keep it. `config` is the server scope, valid until the
    /// configuration is reloaded. On failure write a one-line, NUL-terminated message into `err`
    /// (owned by the core, `err_cap` bytes) and return `MAPACHE_ERROR`: the core prints it and
    /// exits 1. Otherwise return `MAPACHE_OK`.
    pub init: Option<
        extern "C" fn(
            host: *const MapacheHost,
            config: *const MapacheConfig,
            err: *mut c_char,
            err_cap: usize,
        ) -> i32,
    >,
    /// Called in every child process after fork (through the host's `child_init`), before any
    /// thread starts. Returns `MAPACHE_OK`, or `MAPACHE_ERROR` to stop the child. May be null.
    pub child_init: Option<extern "C" fn() -> i32>,
    /// Handler modules: answers one request. Runs in a child, on a worker thread, concurrently
    /// with other calls in threaded MPMs. `req` is valid only during the call. Returns
    /// `MAPACHE_OK` when it produced the response, `MAPACHE_DECLINED` to let the next handler try,
    /// an HTTP status from 300 to 599 for the core to answer with its own short page for that
    /// status (keeping the headers the handler set, except those that described a body:
    /// Content-Type, Content-Encoding, Content-Language, ETag, Last-Modified, Accept-Ranges), or
    /// `MAPACHE_ERROR` when it failed (the core answers 500 and logs it). Any other value is
    /// logged as a bug and answered with 500. Null for MPMs.
    pub handle: Option<extern "C" fn(req: *mut MapacheRequest) -> i32>,
    /// MPMs: `MAPACHE_MPM_*` bits. 0 for handlers.
    pub mpm_flags: u32,
    /// MPMs: the master loop. Runs in the master process and owns it (forking, reaping, signals)
    /// until the server stops or restarts; `run` is valid for the whole call. It is called with
    /// SIGTERM, SIGINT, SIGHUP, SIGUSR1 and (since 1.2) SIGWINCH blocked (signals sent once the
    /// server announced itself, or during a restart's re-exec, wait pending): install handlers,
    /// then unblock the signals you handle. Returns one of
    /// `MAPACHE_MPM_*`. Null for handlers.
    pub mpm_run: Option<extern "C" fn(run: *const MapacheRunInfo) -> i32>,

    // ---- appended in ABI 1.1 ----
    /// (ABI 1.1) Checks one occurrence of one of the module's directives while the configuration is
    /// read, wherever it appears (sections included), so `-t` reports a bad value with its file and
    /// line. Runs in the master before `init`, single-threaded. `name` is the directive as
    /// declared, `args`/`nargs` its arguments; all borrowed for the call. On a bad value write a
    /// one-line, NUL-terminated message (without file and line: the core adds them) into `err`
    /// (`err_cap` bytes, owned by the core) and return `MAPACHE_ERROR`; otherwise `MAPACHE_OK`. May
    /// be null.
    pub check_directive: Option<
        extern "C" fn(
            name: MapacheStr,
            args: *const MapacheStr,
            nargs: usize,
            err: *mut c_char,
            err_cap: usize,
        ) -> i32,
    >,

    // ---- appended in ABI 1.4: the request pipeline ----
    /// (ABI 1.4) The module's phase hooks, `hook_count` entries (null when 0). The core sorts each
    /// phase's hooks of every module once, at startup, and calls only those.
    pub hooks: *const MapacheHook,
    /// (ABI 1.4) Number of entries in `hooks`.
    pub hook_count: usize,
    /// (ABI 1.4) Handler names the module answers (NUL-terminated, static; `handler_name_count` of
    /// them), as `SetHandler` names them: its `MAPACHE_PHASE_HANDLER` hooks run only for requests
    /// with one of these names (`default-handler` is the name of a request without `SetHandler`). A
    /// `SetHandler` name no module declares is refused at `-t`, unless a module that declares none
    /// is loaded (it may look at `req_handler` itself, as before ABI 1.4).
    pub handler_names: *const *const c_char,
    /// (ABI 1.4) Number of entries in `handler_names`.
    pub handler_name_count: usize,
    /// (ABI 1.4) The filters the module offers, `filter_count` entries.
    pub filters: *const MapacheFilterDef,
    /// (ABI 1.4) Number of entries in `filters`.
    pub filter_count: usize,
    /// (ABI 1.4) The `Require` providers the module offers, `authz_provider_count` entries.
    pub authz_providers: *const MapacheAuthzProvider,
    /// (ABI 1.4) Number of entries in `authz_providers`.
    pub authz_provider_count: usize,
    /// (ABI 1.4) Makes an empty configuration object for a scope (`MAPACHE_SCOPE_*`), in the master
    /// while the configuration is read (also for `-t`), before `init`. The module owns it; the core
    /// keeps it for the process's life. May be null (the module has no typed configuration).
    /// (ABI 1.5) Also in a child, on any worker thread, for a `.htaccess` file holding one of the
    /// module's directives (`MAPACHE_SCOPE_SECTION`; then `set_directive` fills it there too).
    pub create_config: Option<extern "C" fn(scope: u32) -> *mut core::ffi::c_void>,
    /// (ABI 1.4) Fills `config` (made by `create_config` for `scope`) with one occurrence of one of
    /// the module's directives, in file order, server level first, then each section. When present,
    /// `check_directive` is not called. Errors as for `check_directive`: the core adds the file and
    /// line, and `-t` fails. May be null.
    pub set_directive: Option<
        extern "C" fn(
            config: *mut core::ffi::c_void,
            scope: u32,
            name: MapacheStr,
            args: *const MapacheStr,
            nargs: usize,
            err: *mut c_char,
            err_cap: usize,
        ) -> i32,
    >,
    /// (ABI 1.4) Makes a new object from `parent` (the server level, or what is already merged) and
    /// `child` (a section's object): what the child sets wins, the rest comes from the parent.
    /// Must not change either. Called once per combination of sections (cached), on any thread.
    /// May be null: the child's object is used as it is.
    pub merge_config: Option<
        extern "C" fn(
            parent: *const core::ffi::c_void,
            child: *const core::ffi::c_void,
        ) -> *mut core::ffi::c_void,
    >,
    /// (ABI 1.4) Frees an object `merge_config` made, when the core does not keep it (the cache of
    /// merged combinations is bounded). May be null: then merged objects are kept for the process's
    /// life.
    pub free_config: Option<extern "C" fn(config: *mut core::ffi::c_void)>,
    /// (ABI 1.4) Writes the module's section of the status page through `resp_write` in `format`
    /// (`MAPACHE_STATUS_*`; for `MAPACHE_STATUS_JSON` exactly one JSON object). Runs in a status
    /// handler's request (see [`MapacheHost::status_sections`]). Returns `MAPACHE_OK`, or
    /// `MAPACHE_DECLINED` when it has nothing in that format. May be null.
    pub status_section: Option<extern "C" fn(req: *mut MapacheRequest, format: u32) -> i32>,

    // ---- appended in ABI 1.5: virtual hosts and .htaccess ----
    /// (ABI 1.5) The Apache modules whose job this module does (NUL-terminated, static;
    /// `apache_name_count` of them), e.g. `mime_module` and `dir_module` for a static-file module:
    /// `<IfModule mime_module>` and `<IfModule mod_mime.c>` are then true and `-M` lists them.
    /// The module's own `LoadModule` name needs no entry.
    pub apache_names: *const *const c_char,
    /// (ABI 1.5) Number of entries in `apache_names`.
    pub apache_name_count: usize,

    // ---- appended in ABI 1.6 ----
    /// (ABI 1.6) Called once, in the master, right after the descriptor passed the loader's
    /// checks and before `create_config`, `set_directive` or `init`: the host table, for the
    /// whole process (functions that need a request or a child are still only for those). May
    /// be null.
    pub attach: Option<extern "C" fn(host: *const MapacheHost)>,
    /// (ABI 1.6) As `create_config`, told which scope the object is for (the section's kind and
    /// path: a per-directory prefix, a `<Location>`'s path). When present, the core calls it
    /// instead of `create_config`; the object's scope is `MAPACHE_SCOPE_SERVER` for the
    /// `MAPACHE_SECTION_SERVER` and `_VIRTUALHOST` kinds, `MAPACHE_SCOPE_SECTION` for the
    /// others. May be null.
    pub create_section_config:
        Option<extern "C" fn(section: *const MapacheSection) -> *mut core::ffi::c_void>,
}

impl MapacheModule {
    /// The fields appended in ABI 1.4 and later, empty: for descriptors written in Rust that use
    /// none of them (`..MapacheModule::PRE_1_4` after the others). Not a valid descriptor by
    /// itself.
    pub const PRE_1_4: MapacheModule = MapacheModule {
        magic: 0,
        abi_major: 0,
        abi_minor: 0,
        struct_size: 0,
        kind: 0,
        name: core::ptr::null(),
        version: core::ptr::null(),
        directives: core::ptr::null(),
        directive_count: 0,
        init: None,
        child_init: None,
        handle: None,
        mpm_flags: 0,
        mpm_run: None,
        check_directive: None,
        hooks: core::ptr::null(),
        hook_count: 0,
        handler_names: core::ptr::null(),
        handler_name_count: 0,
        filters: core::ptr::null(),
        filter_count: 0,
        authz_providers: core::ptr::null(),
        authz_provider_count: 0,
        create_config: None,
        set_directive: None,
        merge_config: None,
        free_config: None,
        status_section: None,
        apache_names: core::ptr::null(),
        apache_name_count: 0,
        attach: None,
        create_section_config: None,
    };
}

// SAFETY: descriptors and directive tables are immutable statics whose pointers refer to static,
// immutable data; sharing them between threads is sound.
unsafe impl Sync for MapacheModule {}
// SAFETY: as above.
unsafe impl Send for MapacheModule {}
// SAFETY: as above.
unsafe impl Sync for MapacheDirective {}
// SAFETY: as above.
unsafe impl Send for MapacheDirective {}
// SAFETY: the host table is an immutable static of function pointers and a static string.
unsafe impl Sync for MapacheHost {}
// SAFETY: hook, filter and provider tables are immutable statics pointing to static data.
unsafe impl Sync for MapacheHook {}
// SAFETY: as above.
unsafe impl Sync for MapacheFilterDef {}
// SAFETY: as above.
unsafe impl Sync for MapacheAuthzProvider {}
