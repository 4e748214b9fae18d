/*
 * mapache_module.h: the mapache module ABI, for modules written in C (or anything that speaks C).
 *
 * Generated from plugin-api/src/abi.rs by cbindgen, with this preamble and the macros below from
 * plugin-api/header/: do not edit. Regenerate with
 *     MAPACHE_BLESS=1 cargo test -p mapache-plugin-api --test header
 * A module needs this file alone: it links no mapache symbol; every host function comes from the
 * MapacheHost table the core hands to init. examples/mod-hello-c is a module that uses all of it.
 *
 * LOADING
 *   LoadModule hello_module /path/to/mod_hello.so
 * The core dlopen()s the file with RTLD_NOW | RTLD_LOCAL (an undefined symbol of the module fails
 * LoadModule at once, and the module's symbols stay private), then looks up the symbol named
 * first on the line: a const MapacheModule object (the descriptor), exported with default
 * visibility (MAPACHE_EXPORT below, if you build with -fvisibility=hidden). Before reading
 * anything else it checks, in order: magic is MAPACHE_MODULE_MAGIC (0x4D415043, "MAPC");
 * abi_major is the core's; abi_minor is not newer than the core's; struct_size covers every
 * field of that minor. Then the descriptor is copied and its tables (directives, hooks, handler
 * names, filters, Require providers) are read; they must be static. A module is never unloaded.
 *
 * VERSIONING
 * abi_major changes only with an incompatible ABI; a different major is always refused.
 * abi_minor counts additions: a minor only appends fields at the end of MapacheModule,
 * MapacheHost and MapacheRunInfo, and adds constants and new structs. Every appended field
 * below says which minor added it ("(ABI 1.4) ..."); fields without a mark are 1.0.
 *  - In the descriptor, abi_minor is MAPACHE_ABI_MINOR as the module was built, and
 *    struct_size is sizeof(MapacheModule) as it was built. A module built for an older minor
 *    loads in a newer core: the core reads only the fields inside struct_size (the rest count
 *    as null). A module built for a newer minor than the core is refused, since it may call
 *    host functions the core lacks.
 *  - In the host table, abi_minor and struct_size are the core's, never older than the module's
 *    abi_minor. A module that wants to load in older cores too declares the oldest minor it
 *    supports as abi_minor (while built with this header) and checks MAPACHE_HOST_HAS(host,
 *    field) before calling a function appended after that minor.
 * Structs the module fills for the core (MapacheFile, MapacheScore*, MapacheMetric) carry the
 * size the module knows in their struct_size; the core writes only inside it.
 *
 * LIFECYCLE, PROCESSES AND THREADS
 * The master process is single-threaded and forks; threads start only in children.
 *  1. While the configuration is read (master; also for "mapache -t", for the check a restart
 *     makes first, and again in the new master after a restart): create_config per scope,
 *     set_directive (or check_directive, for modules without typed configuration) per
 *     occurrence, in file order. Errors fail with the file and line.
 *  2. init, once, in the master, after the whole configuration was read, before any fork,
 *     single-threaded: it must not start threads. "mapache -t" runs init too (and so does the
 *     configuration check before a graceful or full restart, in a separate "mapache -t"
 *     process): init must not bind, write files or talk to the outside as if the server were
 *     starting, and must fail the same way -t should. The host table passed to init lives for
 *     the whole process: keep it in a static.
 *  3. A restart re-executes the server in place: the module is loaded again and every step
 *     runs again; nothing the module kept in memory survives it.
 *  4. child_init, in every child after fork (under -X in the master itself), before any thread.
 *  5. Phase hooks, filters, Require providers and merge_config run in children, on the thread
 *     that serves the connection, concurrently with themselves under mpm_worker and mpm_event:
 *     they must be thread-safe. A request is served by one thread from start to end; its
 *     MapacheRequest handle is valid only during the call it was passed to, on that thread.
 * Stack: mpm_prefork serves on the child's main thread (the stack "ulimit -s" gives, usually
 * 8 MiB); mpm_worker and mpm_event serve on threads they start with the default size of 2 MiB,
 * part of which the core uses below the module. Keep a hook's own stack use well under 1 MiB:
 * allocate large buffers with malloc (a handler with about 2 MiB on its stack crashed
 * mpm_event's workers).
 *
 * WHICH HOST FUNCTIONS A HANDLER MAY CALL
 * Any process, any thread: log, config_count, config_get, config_module, score_global,
 * score_process, score_worker, metric_add, metric_observe, metric_count, metric_get.
 * During a hook, filter, provider or handler call, with its request and on its thread: the
 * req_*, resp_*, table_* and status_sections functions; filter_* only inside a filter call, with
 * the MapacheFilter it was given. metric_register: master only, in init.
 * The rest is for MPMs (child_init, serve_connection, conn_*, child_exit, score_open,
 * score_child_*, worker_bind, worker_status, score_conns, child_stopping, listeners_close,
 * config_check): a handler module never calls them.
 *
 * THE REQUEST'S PHASES, IN ORDER (the hooks of each phase are sorted once at startup by order,
 * then predecessors/successors, then LoadModule order)
 *   post_read_request  run-all     after the head was parsed, before anything is mapped
 *   translate          run-first   URL to another URL (req_set_uri) or a file (req_set_filename)
 *   map_to_storage     run-first   OK: the request names no file; all DECLINED: the core maps
 *                                  the file and matches <Directory> sections
 *   access             run-all     by client, method, headers; return 403 to refuse
 *   Require            (core)      the Require lines in effect; authn (run-first) runs only when
 *                                  a provider needs a user
 *   (core)                         LimitRequestBody against a declared length (413), OPTIONS *
 *   fixups             run-all     last changes before the handler
 *   insert_filter      run-all     req_add_filter; configured filters are already in the chain
 *   handler            run-first   only hooks whose module declared the request's handler name
 *                                  (SetHandler; "default-handler" without one), or declared none
 *   log                run-all     after the response is sent; return values are ignored; runs
 *                                  for every request, also those answered before the handler
 * After an internal redirect (req_internal_redirect) the request starts over at translate.
 * Run-all: every hook runs; MAPACHE_OK and MAPACHE_DECLINED both go on to the next. Run-first:
 * the first hook that returns MAPACHE_OK ends the phase; MAPACHE_DECLINED passes to the next.
 * In every phase but log, MAPACHE_DONE (the response is complete), a status 300..599 (the core
 * answers with its page for it, through the filters) or MAPACHE_ERROR (500) ends the phases:
 * only log runs after. Any other value is logged as a bug and answered with 500.
 *
 * DECLINED
 * MAPACHE_DECLINED means "not mine": the phase goes on as if the hook were not there. A handler
 * that declines has what it changed undone (status, headers, buffered body), so the next handler
 * starts clean, unless its response was already committed (more than 64 KiB written, bytes
 * written after a declared length, or resp_sendfile): that is a 500, logged. No handler taking
 * the request is a 404 without SetHandler, else a 500 ("no loaded module handles SetHandler").
 *
 * THE RESPONSE
 * resp_set_status, resp_set_header / table_set on MAPACHE_TABLE_HEADERS_OUT and
 * resp_set_content_length apply until the head is sent; afterwards the header functions return
 * MAPACHE_ERROR and the status and length stay as sent. Body bytes from resp_write are copied.
 * Without a declared length, the core buffers up to 64 KiB: a body that fits is sent with a
 * Content-Length in one write; once more is written, the head goes out and the body is chunked
 * (HTTP/1.1) or delimited by closing the connection (HTTP/1.0). With a declared length the
 * response is committed at the first byte, and a body of another length closes the connection.
 * The output filters' header stage runs once, when the response is committed (the first byte
 * past the buffer, a declared length, resp_sendfile, or the end of the handler). A status
 * returned after the head was sent cannot be shown: the core logs it and closes the connection.
 * HEAD responses and 1xx/204/304 carry no body: written bytes are counted, not sent.
 * resp_write, resp_sendfile and filter_pass block while the client reads slowly (under
 * mpm_event the core queues output up to a bound first), bounded by Timeout; they return
 * MAPACHE_ERROR once the client has gone: stop producing then.
 *
 * REQUEST BODIES
 * req_body_framing says whether there is one (Content-Length or chunked). req_read_body returns
 * de-chunked bytes, 0 at the end, -1 on an error (over LimitRequestBody, a framing error, the
 * client gone, a timeout): the error is logged, the connection will close, and while the head
 * is not sent the core answers 413, 400 or 408 whatever the handler returns. A client that sent
 * "Expect: 100-continue" gets "100 Continue" at the handler's first read, not before: a handler
 * that answers without reading never invites the body. A body the handler leaves unread is read
 * and dropped after the response (up to 1 MiB) to keep the connection; past that, or when the
 * client still waits for 100-continue, or after a partial read, the connection closes.
 *
 * LIFETIMES (MapacheStr results are never NUL-terminated; "owned by the core": never free them)
 *  - Host table, descriptor tables, server_version: the whole process.
 *  - MapacheConfig handles and config_get values: until the configuration is reloaded (a
 *    restart), i.e. for the module's process. config_module/req_module_config objects: the same
 *    (a request's merged object at least until the request ends).
 *  - Strings from req_* and resp_* functions: until the request ends, including a req_path or
 *    req_query read before a req_set_uri; req_map's MapacheFile: until the handler returns;
 *    req_lookup's: until the request ends.
 *  - table_at / table_get values: until that table next changes: copy before a table_set.
 *  - Arguments handed to the module (set_directive's and check_directive's name and args, a
 *    provider's args, a MapacheBucket and its bytes): only during the call. A filter that keeps
 *    bytes copies them; one that keeps a MAPACHE_BUCKET_FILE dup()s its descriptor.
 *  - Strings the module passes to the core: borrowed for the call only (the core copies).
 *
 * THE PATH
 * req_uri is the target as the client sent it. req_path is that path percent-decoded once, with
 * "." and ".." segments resolved; it always starts with "/". The core refuses before any hook
 * runs: "%00" or a NUL byte (400), an encoded slash "%2F"/"%2f" (404, as Apache's
 * AllowEncodedSlashes Off), a bad escape such as "%G1" (400), ".." above the root (400). So
 * req_path never contains NUL, and a "/" in it was a "/" on the wire. req_set_uri applies the
 * same rules to a new target (400, 404). req_query is still percent-encoded, without "?".
 */

#ifndef MAPACHE_MODULE_H
#define MAPACHE_MODULE_H

#include <stddef.h>
#include <stdint.h>

/* MAPACHE_EXPORT: put before the descriptor's definition, so a module built with
 * -fvisibility=hidden still exports it:  MAPACHE_EXPORT const MapacheModule hello_module = {...}; */
#if defined(__GNUC__) || defined(__clang__)
#define MAPACHE_EXPORT __attribute__((visibility("default")))
#else
#define MAPACHE_EXPORT
#endif

/* MAPACHE_HOST_HAS(host, field): whether the core's host table (a const MapacheHost *) has the
 * function "field", i.e. the field lies inside the struct_size the core declared. Check it
 * before calling a function appended in a later minor than the oldest core you support. */
#define MAPACHE_HOST_HAS(host, field) \
    (offsetof(MapacheHost, field) + sizeof(((const MapacheHost *)0)->field) <= (size_t)(host)->struct_size)

#ifdef __cplusplus
extern "C" {
#endif

/* The host table's functions take the descriptor, which is defined after the host table. */
struct MapacheModule;

// First field of every module descriptor: "MAPC" read as a big-endian u32.
#define MAPACHE_MODULE_MAGIC 0x4D415043

// ABI major version. A module with a different major is refused.
#define MAPACHE_ABI_MAJOR 1

// ABI minor version. Minors only append; a module with a newer minor than the core is refused.
//
// History: 1.0 is the first ABI; 1.1 appended MapacheModule.check_directive; 1.2 appended
// the scoreboard and process-control functions to MapacheHost (from
// MapacheHost.score_open on), the snapshot structs (MapacheScoreGlobal,
// MapacheScoreProcess, MapacheScoreWorker), the worker states and
// MAPACHE_MPM_GRACEFUL; 1.3 appended MapacheHost.req_map (the core's mapping of a
// URL path onto the file system, with MapacheFile and the MAPACHE_FILE_* kinds); 1.4
// appended the request pipeline: phase hooks (MapacheHook), declared handler names, filters
// (MapacheFilterDef, MapacheBucket), Require providers (MapacheAuthzProvider),
// typed per-scope configuration (create_config … free_config), a status-page section, and
// the host functions from MapacheHost.req_set_uri on; 1.5 appended the contexts
// MAPACHE_CTX_GLOBAL_ONLY and the MAPACHE_OVERRIDE_* classes, and
// MapacheModule.apache_names; 1.6 appended MapacheModule.attach (the host table while
// the configuration is read), MapacheModule.create_section_config with MapacheSection,
// the expression engine (MapacheHost.expr_parse …), request variables, the useragent
// address (MapacheHost.req_set_client_ip) and MapacheHost.req_set_handler.
#define MAPACHE_ABI_MINOR 6

// Return value: success.
#define MAPACHE_OK 0

// Return value of a handler: this request is not mine, try the next handler.
#define MAPACHE_DECLINED -1

// Return value: failure (details were logged or written to the error buffer).
#define MAPACHE_ERROR -2

// Return value of a phase hook (ABI 1.4): the response is complete (the hook wrote it, or a
// handler it ran did); the core skips the remaining phases up to log.
#define MAPACHE_DONE -3

// MapacheModule.kind of a multi-processing module (exactly one is loaded).
#define MAPACHE_KIND_MPM 1

// MapacheModule.kind of a handler module (any number are loaded).
#define MAPACHE_KIND_HANDLER 2

// Directive argument kind: exactly one argument.
#define MAPACHE_TAKE1 1

// Directive argument kind: exactly two arguments.
#define MAPACHE_TAKE2 2

// Directive argument kind: one or two arguments.
#define MAPACHE_TAKE12 3

// Directive argument kind: one, two or three arguments.
#define MAPACHE_TAKE123 4

// Directive argument kind: On or Off (case-insensitive); the value is handed over as written.
#define MAPACHE_FLAG 5

// Directive argument kind: no argument.
#define MAPACHE_NO_ARGS 6

// Directive argument kind: one or more arguments.
#define MAPACHE_ITERATE 7

// Directive argument kind: any number of arguments, including none.
#define MAPACHE_RAW_ARGS 8

// Directive context bit: allowed at server level, outside any section: in the main server and
// (since ABI 1.5, which has virtual hosts) inside <VirtualHost>, unless
// MAPACHE_CTX_GLOBAL_ONLY is set too.
#define MAPACHE_CTX_SERVER 1

// Directive context bit: allowed inside the per-directory sections (<Location>,
// <Directory>, <Files>, their regex forms and <If>).
#define MAPACHE_CTX_SECTION 2

// Directive context bits: allowed everywhere in the configuration files (.htaccess files take
// the MAPACHE_OVERRIDE_* bits).
#define MAPACHE_CTX_ANY 3

// (ABI 1.5) Directive context bit, with MAPACHE_CTX_SERVER: only in the main server, never
// inside <VirtualHost> (what applies to the whole server, as Apache's GLOBAL_ONLY). An MPM's
// directives are always global.
#define MAPACHE_CTX_GLOBAL_ONLY 4

// (ABI 1.5) Override class bit in MapacheDirective.contexts: the directive may appear in
// a .htaccess file where AllowOverride AuthConfig is granted (Apache's OR_AUTHCFG).
#define MAPACHE_OVERRIDE_AUTHCFG (1 << 8)

// (ABI 1.5) Override class: AllowOverride FileInfo (document types, handlers, headers;
// Apache's OR_FILEINFO).
#define MAPACHE_OVERRIDE_FILEINFO (1 << 9)

// (ABI 1.5) Override class: AllowOverride Indexes (directory listings; OR_INDEXES).
#define MAPACHE_OVERRIDE_INDEXES (1 << 10)

// (ABI 1.5) Override class: AllowOverride Limit (host access; OR_LIMIT).
#define MAPACHE_OVERRIDE_LIMIT (1 << 11)

// (ABI 1.5) Override class: AllowOverride Options (Options and the like; OR_OPTIONS).
#define MAPACHE_OVERRIDE_OPTIONS (1 << 12)

// (ABI 1.5) Every override class bit.
#define MAPACHE_OVERRIDE_ALL (31 << 8)

// Scope of a module configuration object (ABI 1.4), as passed to create_config and
// set_directive: the server level.
#define MAPACHE_SCOPE_SERVER 1

// Scope: a <Location> or <Directory> section.
#define MAPACHE_SCOPE_SECTION 2

// MapacheModule.mpm_flags bit: the MPM runs several threads per process.
#define MAPACHE_MPM_THREADED 1

// MapacheModule.mpm_flags bit: the MPM forks child processes.
#define MAPACHE_MPM_FORKED 2

// MapacheModule.mpm_flags bit: idle connections wait without a thread (event MPM).
#define MAPACHE_MPM_ASYNC 4

// MapacheRunInfo.flags bit: -X was given: one child (or none), in the foreground.
#define MAPACHE_RUN_ONE_PROCESS 1

// Return value of MapacheModule.mpm_run: the server was stopped; the core exits 0.
#define MAPACHE_MPM_EXIT 0

// Return value of MapacheModule.mpm_run: a full restart (-k restart, SIGHUP). The MPM has
// stopped every child; the core re-executes the server in place (same PID, listeners kept open)
// with a fresh scoreboard and the generation counted up.
#define MAPACHE_MPM_RESTART 1

// Return value of MapacheModule.mpm_run: the MPM failed; the core exits 1.
#define MAPACHE_MPM_FAILED 2

// Return value of MapacheModule.mpm_run (ABI 1.2): a graceful restart (-k graceful,
// SIGUSR1). The MPM leaves its children running: they stop accepting, finish the connections
// they hold and exit. The core re-executes the server in place (same PID) with the listeners and
// the scoreboard, so the new master finds the old children in the scoreboard's process records
// (their generation is lower than its own), reaps them, and may stop them after a deadline.
#define MAPACHE_MPM_GRACEFUL 3

// Worker state (ABI 1.2), Apache's scoreboard letter .: the slot is not in use.
#define MAPACHE_WORKER_DEAD 46

// Worker state S: the thread or process is starting.
#define MAPACHE_WORKER_STARTING 83

// Worker state _: idle, waiting for a connection (or, in an event MPM, for work).
#define MAPACHE_WORKER_READY 95

// Worker state R: reading a request.
#define MAPACHE_WORKER_READ 82

// Worker state W: running a handler and sending the reply.
#define MAPACHE_WORKER_WRITE 87

// Worker state K: waiting for the next request on a kept-alive connection.
#define MAPACHE_WORKER_KEEPALIVE 75

// Worker state L: writing the access log.
#define MAPACHE_WORKER_LOG 76

// Worker state D: DNS lookup (mapache does none; kept for Apache's alphabet).
#define MAPACHE_WORKER_DNS 68

// Worker state C: closing the connection (lingering close).
#define MAPACHE_WORKER_CLOSING 67

// Worker state G: gracefully finishing: the process stops accepting and exits when its
// connections are done.
#define MAPACHE_WORKER_GRACEFUL 71

// Worker state I: idle worker being cleaned up (its process is stopping spare capacity).
#define MAPACHE_WORKER_IDLE_KILL 73

// Length of MapacheScoreWorker.client, NUL padding included.
#define MAPACHE_SCORE_CLIENT_LEN 48

// Length of MapacheScoreWorker.request, NUL padding included. Longer request lines are cut.
#define MAPACHE_SCORE_REQUEST_LEN 128

// Connection state: nothing to do until the socket is readable; read, then call conn_feed.
// An MPM may park the connection in its poller (keep-alive, a partial request head, or a
// lingering close after a closing response, where the core drops what arrives until the client
// is done and then answers MAPACHE_CONN_CLOSE).
#define MAPACHE_CONN_NEED_READ 1

// Connection state: at least one complete request head is buffered; call conn_process,
// usually on a worker thread.
#define MAPACHE_CONN_READY 2

// Connection state: the connection is finished; call conn_close.
#define MAPACHE_CONN_CLOSE 3

// Connection state: response bytes (or a file range) are still queued because the client reads
// slowly; wait until the socket is writable, then call conn_write. Only connections started
// with conn_open ever return it; serve_connection writes everything before returning.
#define MAPACHE_CONN_NEED_WRITE 4

// Log level emerg (Apache's numbering; trace1..trace8 are 8..15).
#define MAPACHE_LOG_EMERG 0

// Log level alert.
#define MAPACHE_LOG_ALERT 1

// Log level crit.
#define MAPACHE_LOG_CRIT 2

// Log level error.
#define MAPACHE_LOG_ERR 3

// Log level warn.
#define MAPACHE_LOG_WARN 4

// Log level notice.
#define MAPACHE_LOG_NOTICE 5

// Log level info.
#define MAPACHE_LOG_INFO 6

// Log level debug.
#define MAPACHE_LOG_DEBUG 7

// MapacheFile.kind (ABI 1.3): nothing exists at the path; MapacheFile.error says why.
#define MAPACHE_FILE_NONE 0

// MapacheFile.kind: a regular file.
#define MAPACHE_FILE_REGULAR 1

// MapacheFile.kind: a directory.
#define MAPACHE_FILE_DIRECTORY 2

// MapacheFile.kind: anything else (FIFO, socket, device): never to be read.
#define MAPACHE_FILE_OTHER 3

// MapacheSection.kind (ABI 1.6): the main server's level, outside any section.
#define MAPACHE_SECTION_SERVER 0

// MapacheSection.kind: a <VirtualHost>'s own level.
#define MAPACHE_SECTION_VIRTUALHOST 1

// MapacheSection.kind: <Directory> or <DirectoryMatch>.
#define MAPACHE_SECTION_DIRECTORY 2

// MapacheSection.kind: <Location> or <LocationMatch>.
#define MAPACHE_SECTION_LOCATION 3

// MapacheSection.kind: <Files> or <FilesMatch>.
#define MAPACHE_SECTION_FILES 4

// MapacheSection.kind: <If>, <ElseIf> or <Else>.
#define MAPACHE_SECTION_IF 5

// MapacheSection.kind: a .htaccess file.
#define MAPACHE_SECTION_HTACCESS 6

// MapacheHost.expr_parse flags (ABI 1.6): a condition, as <If> takes.
#define MAPACHE_EXPR_BOOL 0

// MapacheHost.expr_parse flags: a string with %{VAR}, $N and functions, as the value
// of Header … "expr=…".
#define MAPACHE_EXPR_STRING 1

// Phase (ABI 1.4): right after the head was parsed, before anything is mapped. Run-all: every
// hook runs unless one returns a status, MAPACHE_DONE or MAPACHE_ERROR.
#define MAPACHE_PHASE_POST_READ_REQUEST 1

// Phase: turn the URL into another URL path (MapacheHost.req_set_uri) or a file name
// (MapacheHost.req_set_filename), or answer (a redirect: set Location, return 302).
// Run-first: the first hook that returns MAPACHE_OK ends the phase. When no hook set a file
// name, the core's own translation (DocumentRoot joined with the path) applies.
#define MAPACHE_PHASE_TRANSLATE 2

// Phase: before the core maps the file name onto the file system. Run-first: a hook that
// returns MAPACHE_OK says the request names no file (a proxied URL): the core then maps
// nothing and only <Location> sections apply. When every hook declines, the core maps the
// file as MapacheHost.req_map describes and matches <Directory> sections.
#define MAPACHE_PHASE_MAP_TO_STORAGE 3

// Phase: decide by the client (address, method, headers), before any user is known. Run-all;
// return 403 to refuse. The core's Require evaluation follows the hooks.
#define MAPACHE_PHASE_ACCESS 4

// Phase: find out who the user is (MapacheHost.req_set_user). Runs only when the Require
// lines in effect need a user (a provider answered MAPACHE_AUTHZ_DENIED_NO_USER). Run-first:
// MAPACHE_OK once the user is set; a status (401 with WWW-Authenticate set in the error
// headers) to challenge. Every hook declining is a 500 ("no authentication module").
#define MAPACHE_PHASE_AUTHN 5

// Phase: the last changes before the handler (headers, environment). Run-all.
#define MAPACHE_PHASE_FIXUPS 6

// Phase: add filters to the request (MapacheHost.req_add_filter). Run-all.
#define MAPACHE_PHASE_INSERT_FILTER 7

// Phase: produce the response. Run-first. A hook runs when its module declared the request's
// handler name (MapacheModule.handler_names; a request without SetHandler has the name
// default-handler), or when its module declared no names at all (it looks at req_handler
// itself). MAPACHE_DECLINED after output: see MapacheModule.handle.
#define MAPACHE_PHASE_HANDLER 8

// Phase: after the response was sent, with its final status, bytes and duration. Run-all;
// return values are ignored. Also runs for requests answered before the handler.
#define MAPACHE_PHASE_LOG 9

// Hook order (ABI 1.4), as APR's APR_HOOK_REALLY_FIRST: hooks run by ascending order, then by
// their constraints (MapacheHook.predecessors), then in LoadModule order.
#define MAPACHE_ORDER_REALLY_FIRST -10

// Hook order: early.
#define MAPACHE_ORDER_FIRST 0

// Hook order: the default.
#define MAPACHE_ORDER_MIDDLE 10

// Hook order: late.
#define MAPACHE_ORDER_LAST 20

// Hook order: after every other.
#define MAPACHE_ORDER_REALLY_LAST 30

// MapacheFilterDef.direction (ABI 1.4): an output filter, between the handler and the client.
#define MAPACHE_FILTER_OUTPUT 1

// MapacheFilterDef.direction: an input filter, between the client and the handler's reads
// of the request body.
#define MAPACHE_FILTER_INPUT 2

// Filter class (ABI 1.4), Apache's AP_FTYPE_RESOURCE: changes the content itself (includes,
// upper-casing). Output filters run by ascending class, nearest the handler first; input
// filters by descending class, nearest the client first.
#define MAPACHE_FILTER_RESOURCE 10

// Filter class AP_FTYPE_CONTENT_SET: encodes content (compression).
#define MAPACHE_FILTER_CONTENT_SET 20

// Filter class AP_FTYPE_PROTOCOL: headers and protocol details (header editing).
#define MAPACHE_FILTER_PROTOCOL 30

// MapacheFilterDef.flags bit: the body filter never changes the body's length (it passes
// every byte it gets, transformed one for one, or as is), so a declared Content-Length stays
// valid. Without it the core drops the declared length when the filter stays in the chain.
#define MAPACHE_FILTER_KEEPS_LENGTH 1

// MapacheBucket.kind (ABI 1.4): data holds body bytes.
#define MAPACHE_BUCKET_BYTES 1

// Bucket kind: length bytes of the open file fd from offset. A filter that does not
// change bodies passes it on as it is, so the core can still sendfile it.
#define MAPACHE_BUCKET_FILE 2

// Bucket kind: send what is buffered now.
#define MAPACHE_BUCKET_FLUSH 3

// Bucket kind: the end of the body; always the last bucket, exactly once.
#define MAPACHE_BUCKET_EOS 4

// Answer of a Require provider (ABI 1.4): the requirement is not met.
#define MAPACHE_AUTHZ_DENIED 0

// Provider answer: the requirement is met.
#define MAPACHE_AUTHZ_GRANTED 1

// Provider answer: the requirement says nothing about this request (it counts neither way).
#define MAPACHE_AUTHZ_NEUTRAL 2

// Provider answer: the requirement needs an authenticated user and there is none yet; the core
// runs the authn phase and asks again.
#define MAPACHE_AUTHZ_DENIED_NO_USER 3

// MapacheHost.req_body_framing (ABI 1.4): the request has no body.
#define MAPACHE_BODY_NONE 0

// The request body has a Content-Length.
#define MAPACHE_BODY_LENGTH 1

// The request body is chunked; its length is known only at its end.
#define MAPACHE_BODY_CHUNKED 2

// A request's table of name/value pairs (ABI 1.4), for the table_* host functions. Names are
// matched case-insensitively in every table; a name may occur several times.
//
// MAPACHE_TABLE_HEADERS_OUT, Apache's headers_out: the headers of a successful response.
// The core's error pages keep only those that still apply to them (Location, Allow,
// WWW-Authenticate, …; not those that described a body). The framing headers
// (Content-Length, Transfer-Encoding, Connection), Date and Server belong to the core and are
// refused here.
#define MAPACHE_TABLE_HEADERS_OUT 0

// Apache's err_headers_out: sent with every response, errors included, and kept across
// internal redirects; after the MAPACHE_TABLE_HEADERS_OUT fields.
#define MAPACHE_TABLE_ERR_HEADERS_OUT 1

// The request headers as later phases and the handler see them (changes are not sent back).
#define MAPACHE_TABLE_HEADERS_IN 2

// Notes: strings modules pass each other during one request; never sent or logged unless a
// module does it (%{name}n in LogFormat logs them).
#define MAPACHE_TABLE_NOTES 3

// The request's environment variables: SetEnv, rewrite's E=, %{VAR}e in LogFormat,
// Require env, and what a proxied or CGI request is given.
#define MAPACHE_TABLE_ENV 4

// MapacheHost.table_set mode (ABI 1.4): replace every field of that name with one.
#define MAPACHE_TABLE_SET 0

// Mode: add a field, keeping the others of that name.
#define MAPACHE_TABLE_ADD 1

// Mode: remove every field of that name (value is ignored).
#define MAPACHE_TABLE_UNSET 2

// MapacheMetric.kind (ABI 1.4): a count that only goes up (requests, bytes).
#define MAPACHE_METRIC_COUNTER 1

// A value that goes up and down (connections open). Each child adds to it; the sum shown is
// over the children alive.
#define MAPACHE_METRIC_GAUGE 2

// A distribution of observed values in cumulative buckets (durations).
#define MAPACHE_METRIC_HISTOGRAM 3

// Most bucket bounds a histogram may have.
#define MAPACHE_METRIC_MAX_BUCKETS 16

// MapacheModule.status_section format (ABI 1.4): HTML (the section writes a fragment: a
// heading and a table or list).
#define MAPACHE_STATUS_HTML 1

// Format of ?auto: Key: value lines.
#define MAPACHE_STATUS_AUTO 2

// Format of ?json: one JSON object, which the page puts under the module's name.
#define MAPACHE_STATUS_JSON 3

// Opaque handle to a configuration scope: the server scope, or the merged view that applies to one
// request. Owned by the core; valid until the module's process exits or the configuration is
// reloaded, whichever comes first.
typedef struct MapacheConfig MapacheConfig;

// Opaque handle to one client connection, owned by the core from conn_open until conn_close.
// It may move between threads, but only one thread may use it at a time.
typedef struct MapacheConn MapacheConn;

// A parsed expression (ABI 1.6), made by MapacheHost.expr_parse and freed by
// MapacheHost.expr_free. Opaque: only its address crosses the ABI.
typedef struct MapacheExpr MapacheExpr;

// Opaque handle to one filter in one request's chain (ABI 1.4). Owned by the core; valid during
// the filter call it is passed to.
typedef struct MapacheFilter MapacheFilter;

// Opaque handle to one request being served. Owned by the core; valid only during the handle
// call it was passed to, and only on that call's thread.
typedef struct MapacheRequest MapacheRequest;

// One entry of a module's directive table.
typedef struct MapacheDirective {
  // Directive name, NUL-terminated, static. Matched case-insensitively.
  const char *name;
  // Argument kind: one of MAPACHE_TAKE1 … MAPACHE_RAW_ARGS.
  uint32_t args;
  // Where the directive may appear: MAPACHE_CTX_* bits.
  uint32_t contexts;
  // One-line help text, NUL-terminated, static; shown by -L and in arity errors.
  const char *help;
} MapacheDirective;

// A borrowed run of bytes (not NUL-terminated, not necessarily UTF-8).
//
// Whoever hands a MapacheStr out owns the bytes; how long they stay valid is stated by the
// function that returns it. ptr may be null only when len is 0.
typedef struct MapacheStr {
  // First byte.
  const uint8_t *ptr;
  // Number of bytes.
  size_t len;
} MapacheStr;

// One occurrence of a directive in the configuration, as the core parsed it.
// All pointers are owned by the core and live as long as the MapacheConfig they came from.
typedef struct MapacheDirectiveValue {
  // The arguments, with quotes removed and ${VAR} expanded.
  const struct MapacheStr *args;
  // Number of arguments.
  size_t nargs;
  // The configuration file the directive was read from.
  struct MapacheStr file;
  // Its line number (1-based).
  uint32_t line;
} MapacheDirectiveValue;

// A copy of the scoreboard's global record (ABI 1.2), filled by MapacheHost.score_global.
//
// Times are microseconds since the Unix epoch (wall clock).
typedef struct MapacheScoreGlobal {
  // Set by the caller to sizeof(MapacheScoreGlobal) as it knows it; the core writes only the
  // fields inside that size.
  uint32_t struct_size;
  // Number of process records (ServerLimit as the MPM asked for it).
  uint32_t server_limit;
  // Number of worker records per process (ThreadLimit; 1 for prefork).
  uint32_t thread_limit;
  // Configuration generation: 0 at first start, counted up by every restart, graceful or full.
  uint32_t generation;
  // When the server was started (survives restarts).
  uint64_t start_time_us;
  // When the server was last started or restarted.
  uint64_t restart_time_us;
  // The MPM's short name (prefork, worker, event), NUL-padded.
  uint8_t mpm_name[16];
  // When the server binary was built, as mapache -V prints it, NUL-padded.
  uint8_t server_built[32];
  // The MPM's MAPACHE_MPM_* flags (threaded, forked, async).
  uint32_t mpm_flags;
  // Padding; 0.
  uint32_t reserved;
} MapacheScoreGlobal;

// A copy of one process record of the scoreboard (ABI 1.2), filled by
// MapacheHost.score_process. Written by the core: pid, generation and started_us in
// the master when the MPM reports a fork; the rest by the child itself.
typedef struct MapacheScoreProcess {
  // Set by the caller to sizeof(MapacheScoreProcess); the core writes only inside it.
  uint32_t struct_size;
  // The child's process id; 0 when the slot is free.
  int32_t pid;
  // The generation the child was started in.
  uint32_t generation;
  // 1 when the child stops gracefully (accepts no more, finishes what it holds).
  uint32_t quiescing;
  // When the child was forked.
  uint64_t started_us;
  // Connections the child holds (event MPM; 0 for the others).
  uint32_t connections;
  // Of those, waiting to write a reply to a slow reader.
  uint32_t conns_writing;
  // Of those, idle between requests (keep-alive).
  uint32_t conns_keepalive;
  // Of those, in a lingering close.
  uint32_t conns_closing;
} MapacheScoreProcess;

// A copy of one worker record of the scoreboard (ABI 1.2), filled by
// MapacheHost.score_worker. Each record has one writer (the thread bound to it), so the
// copy is consistent: the core retries while the writer is in the middle of an update.
typedef struct MapacheScoreWorker {
  // Set by the caller to sizeof(MapacheScoreWorker); the core writes only inside it.
  uint32_t struct_size;
  // One of the MAPACHE_WORKER_* letters.
  uint8_t status;
  // Padding; 0.
  uint8_t reserved[3];
  // Requests served by this slot since the scoreboard was made.
  uint64_t access_count;
  // Response bytes (head and body) sent by this slot since the scoreboard was made.
  uint64_t bytes_served;
  // Requests served on the slot's current (or last) connection.
  uint64_t conn_count;
  // Bytes sent on the slot's current (or last) connection.
  uint64_t conn_bytes;
  // Time spent serving requests, in microseconds, summed over the slot's life.
  uint64_t duration_us;
  // When the current (or last) request started; 0 before the first.
  uint64_t last_request_us;
  // When the last request ended; smaller than last_request_us while one is in progress.
  uint64_t last_done_us;
  // The heartbeat: when the slot last made progress (a request started, bytes read or
  // written). A busy slot whose heartbeat is old is stuck.
  uint64_t last_active_us;
  // The client's address of the current (or last) request, NUL-padded.
  uint8_t client[MAPACHE_SCORE_CLIENT_LEN];
  // The current (or last) request line, NUL-padded, cut to fit.
  uint8_t request[MAPACHE_SCORE_REQUEST_LEN];
} MapacheScoreWorker;

// What a URL path names on disk (ABI 1.3), as the core mapped it with MapacheHost.req_map:
// under DocumentRoot, through the symbolic links Options allows, checked against the
// <Directory> sections of the directory the file really is in.
//
// The module sets struct_size to the size it knows; the core fills only the fields inside it.
// Everything the core fills is owned by the core and valid until handle returns.
typedef struct MapacheFile {
  // sizeof(MapacheFile) as the module knows it; set by the module before the call.
  uint32_t struct_size;
  // One of the MAPACHE_FILE_* kinds.
  uint32_t kind;
  // The file, opened by the core (O_RDONLY | O_NONBLOCK | O_CLOEXEC) in the same step that
  // resolved its path, so what is read is what was checked; -1 when kind is
  // MAPACHE_FILE_NONE. Owned by the core: never close it; dup it to keep it longer.
  int32_t fd;
  // For MAPACHE_FILE_NONE: the errno of the failed lookup (ENOENT, ENOTDIR, EACCES,
  // ...); 0 otherwise.
  int32_t error;
  // The real path: absolute, without symbolic links, . or .. (for a missing file, the real
  // path of the deepest directory that exists, then the rest as asked).
  struct MapacheStr path;
  // DocumentRoot as configured joined with the URL path, without empty or dot segments: the
  // name that was asked for (the one a content type follows).
  struct MapacheStr requested;
  // The open file's size in bytes (its fstat, taken when it was opened); 0 for
  // MAPACHE_FILE_NONE.
  uint64_t size;
  // The open file's modification time, in nanoseconds since the Unix epoch; 0 for
  // MAPACHE_FILE_NONE.
  int64_t mtime_ns;
} MapacheFile;

// A piece of a response body on its way through the output filters (ABI 1.4).
//
// Owned by whoever passes it, valid only during the call that receives it: a filter that keeps
// bytes for later copies them, and one that keeps a file dups its descriptor.
typedef struct MapacheBucket {
  // One of the MAPACHE_BUCKET_* kinds.
  uint32_t kind;
  // For MAPACHE_BUCKET_FILE: the open file; -1 otherwise.
  int32_t fd;
  // For MAPACHE_BUCKET_BYTES: the bytes; empty otherwise.
  struct MapacheStr data;
  // For MAPACHE_BUCKET_FILE: where the range starts.
  uint64_t offset;
  // For MAPACHE_BUCKET_FILE: how many bytes.
  uint64_t length;
} MapacheBucket;

// A snapshot of one registered metric, summed over every child (ABI 1.4), filled by
// MapacheHost.metric_get.
typedef struct MapacheMetric {
  // Set by the caller to sizeof(MapacheMetric); the core writes only inside it.
  uint32_t struct_size;
  // One of the MAPACHE_METRIC_* kinds.
  uint32_t kind;
  // The name as registered (e.g. mapache_auth_failures_total); owned by the core, static.
  struct MapacheStr name;
  // The help text as registered; owned by the core, static.
  struct MapacheStr help;
  // The module that registered it; owned by the core, static.
  struct MapacheStr module;
  // Counters and gauges: the value. Histograms: the number of observations.
  int64_t value;
  // Histograms: the sum of the observed values.
  uint64_t sum;
  // Histograms: the number of bounds in bounds (at most MAPACHE_METRIC_MAX_BUCKETS).
  uint32_t bucket_count;
  // Padding; 0.
  uint32_t reserved;
  // Histograms: the upper bounds of the buckets, ascending.
  uint64_t bounds[MAPACHE_METRIC_MAX_BUCKETS];
  // Histograms: how many observations were at most bounds[i] (cumulative).
  uint64_t counts[MAPACHE_METRIC_MAX_BUCKETS];
} MapacheMetric;

// The function table the core hands every module in init.
//
// The table is owned by the core and lives for the whole process. Fields beyond struct_size do
// not exist: a module built against a newer minor must check struct_size (or abi_minor) before
// calling a function appended later. Unless a function says otherwise, MapacheStr arguments are
// borrowed only for the duration of the call, and MapacheStr results are owned by the core.
typedef struct MapacheHost {
  // sizeof(MapacheHost) as the core knows it.
  uint32_t struct_size;
  // The core's ABI major.
  uint16_t abi_major;
  // The core's ABI minor.
  uint16_t abi_minor;
  // The server's version string, e.g. mapache/0.1.0; static.
  struct MapacheStr server_version;
  // Writes one line to the error log as [module:level] if level passes the module's LogLevel.
  void (*log)(struct MapacheStr module, int32_t level, struct MapacheStr msg);
  // Number of occurrences of directive name (case-insensitive) visible in config.
  size_t (*config_count)(const struct MapacheConfig *config, struct MapacheStr name);
  // Fills out with occurrence index of directive name and returns 1, or returns 0 when there
  // is no such occurrence. Occurrences run from the least to the most specific: server level in
  // file order, then each matching section in order; so the last one is the one in effect.
  int32_t (*config_get)(const struct MapacheConfig *config,
                        struct MapacheStr name,
                        size_t index,
                        struct MapacheDirectiveValue *out);
  // The request method, e.g. GET. Valid until handle returns.
  struct MapacheStr (*req_method)(const struct MapacheRequest *req);
  // The request target exactly as the client sent it. Valid until handle returns.
  struct MapacheStr (*req_uri)(const struct MapacheRequest *req);
  // The path, percent-decoded once, with . and .. resolved; always starts with /.
  struct MapacheStr (*req_path)(const struct MapacheRequest *req);
  // The query string without ? (empty when absent), still percent-encoded.
  struct MapacheStr (*req_query)(const struct MapacheRequest *req);
  // The protocol of the request line, e.g. HTTP/1.1.
  struct MapacheStr (*req_protocol)(const struct MapacheRequest *req);
  // Finds the first request header named name (case-insensitive). Returns 1 and fills value,
  // or returns 0.
  int32_t (*req_header)(const struct MapacheRequest *req,
                        struct MapacheStr name,
                        struct MapacheStr *value);
  // Number of request header fields.
  size_t (*req_header_count)(const struct MapacheRequest *req);
  // Fills name and value with header field index and returns 1, or returns 0 past the end.
  int32_t (*req_header_at)(const struct MapacheRequest *req,
                           size_t index,
                           struct MapacheStr *name,
                           struct MapacheStr *value);
  // The handler name chosen for this request by SetHandler (empty when none was set).
  struct MapacheStr (*req_handler)(const struct MapacheRequest *req);
  // The configuration that applies to this request (server level merged with matching sections).
  // Valid until handle returns.
  const struct MapacheConfig *(*req_config)(const struct MapacheRequest *req);
  // The client's IP address as text, e.g. 127.0.0.1 or .1.
  struct MapacheStr (*req_client_ip)(const struct MapacheRequest *req);
  // Reads up to cap bytes of the request body (de-chunked) into buf, which the module owns.
  // Returns the number of bytes read, 0 at the end of the body, or -1 on an error (the connection
  // is then closed after the response). Blocks, bounded by the server's Timeout.
  ptrdiff_t (*req_read_body)(struct MapacheRequest *req, uint8_t *buf, size_t cap);
  // Logs msg to the error log with the request's client address, as module.
  void (*req_log)(const struct MapacheRequest *req,
                  struct MapacheStr module,
                  int32_t level,
                  struct MapacheStr msg);
  // Sets the status code (100..=599; default 200). Must come before the first body byte.
  void (*resp_set_status)(struct MapacheRequest *req, uint16_t status);
  // Sets a response header, replacing any of the same name. The framing headers
  // (Content-Length, Transfer-Encoding, Connection), Date and Server belong to the core and are
  // ignored here. Returns MAPACHE_ERROR once the head has been sent.
  int32_t (*resp_set_header)(struct MapacheRequest *req,
                             struct MapacheStr name,
                             struct MapacheStr value);
  // Adds a response header, keeping any of the same name. Same rules as resp_set_header.
  int32_t (*resp_add_header)(struct MapacheRequest *req,
                             struct MapacheStr name,
                             struct MapacheStr value);
  // Declares the body length. Without it, the core sends a small body with Content-Length and a
  // streamed one chunked (HTTP/1.1) or until close (HTTP/1.0).
  void (*resp_set_content_length)(struct MapacheRequest *req, uint64_t length);
  // Appends body bytes (copied before returning). The head is sent with the first body bytes.
  // For HEAD requests the core discards body bytes. Returns MAPACHE_OK, or MAPACHE_ERROR when
  // the client has gone (stop producing then).
  int32_t (*resp_write)(struct MapacheRequest *req, struct MapacheStr data);
  // Sends length bytes of the open file fd from offset as body (sendfile where possible).
  // The module keeps owning fd; the core duplicates it if it needs it after returning.
  int32_t (*resp_sendfile)(struct MapacheRequest *req, int32_t fd, uint64_t offset, uint64_t length);
  // Prepares this child process to serve: call once in every child after fork (or in the master
  // itself under -X), before any thread starts. Runs every handler module's child_init.
  // slot is the child's index (0-based, below ServerLimit). Returns MAPACHE_OK or
  // MAPACHE_ERROR (the child must then exit with status 1).
  int32_t (*child_init)(uint32_t slot);
  // Serves a whole connection on the calling thread, blocking, until it closes (keep-alive and
  // pipelining included, bounded by Timeout and KeepAliveTimeout). Takes ownership of fd and
  // closes it. Returns the number of requests served.
  uint64_t (*serve_connection)(int32_t fd);
  // Starts a connection for step-by-step serving (event MPMs). Takes ownership of fd, which
  // the core makes non-blocking. Never returns null.
  struct MapacheConn *(*conn_open)(int32_t fd);
  // The connection's socket, for polling. Still owned by the core.
  int32_t (*conn_fd)(const struct MapacheConn *conn);
  // Hands over bytes the MPM read from the socket (the core copies them). Does not block and runs
  // no handler. Returns MAPACHE_CONN_NEED_READ (the request head is not complete yet),
  // MAPACHE_CONN_READY (call conn_process) or MAPACHE_CONN_CLOSE. data of length 0 means
  // end of stream.
  int32_t (*conn_feed)(struct MapacheConn *conn, struct MapacheStr data);
  // Serves every complete request buffered on the connection, on the calling thread, blocking on
  // the socket for request bodies (bounded by Timeout). Output that the socket does not take at
  // once is queued (file ranges without copying them; memory up to a bound, past which the call
  // waits) instead of pinning the thread. Returns MAPACHE_CONN_NEED_READ when the connection
  // waits for its next request (park it in the poller instead of blocking a thread),
  // MAPACHE_CONN_NEED_WRITE when output is queued, or MAPACHE_CONN_CLOSE.
  int32_t (*conn_process)(struct MapacheConn *conn);
  // Milliseconds until the connection's current wait times out (KeepAliveTimeout when idle
  // between requests, the request-read timeout during a partial head); 0 when already expired.
  uint64_t (*conn_timeout_ms)(const struct MapacheConn *conn);
  // Tells the core that the current wait expired. Answers 408 when a request was partly read.
  // Returns MAPACHE_CONN_CLOSE.
  int32_t (*conn_expire)(struct MapacheConn *conn);
  // Closes the connection and frees it; conn is invalid afterwards. When a lingering close is
  // still under way (after conn_expire answered 408, or when an MPM closes a connection that
  // was lingering) this blocks until the client is done, at most 2 s without data and 30 s in
  // all: call it on a worker thread, never on an event loop.
  void (*conn_close)(struct MapacheConn *conn);
  // Flushes logs and runs nothing else: call once in a child before it exits normally.
  void (*child_exit)(void);
  // Writes queued output without blocking, after the poller saw the socket writable. Does not
  // run handlers. Returns MAPACHE_CONN_NEED_WRITE (still queued), MAPACHE_CONN_NEED_READ
  // (all written; wait for the next request), MAPACHE_CONN_READY (all written and a pipelined
  // request is buffered: call conn_process) or MAPACHE_CONN_CLOSE.
  int32_t (*conn_write)(struct MapacheConn *conn);
  // (ABI 1.2) Creates the scoreboard, shared memory for server_limit process records of
  // thread_limit worker records each. Master only, in mpm_run before the first fork; call
  // it once per run. After a graceful restart the core reuses the scoreboard it inherited when
  // the limits are the same, so the old generation's children stay visible (and keep
  // updating their records); otherwise it makes a new one and copies the live process records
  // into it. Returns MAPACHE_OK, or MAPACHE_ERROR (logged) when the memory cannot be had.
  int32_t (*score_open)(uint32_t server_limit, uint32_t thread_limit);
  // (ABI 1.2) Records, in the master right after fork returned there, that child pid runs in
  // process slot slot in the current generation. Its first worker record turns S; the
  // others stay . until a thread binds them (worker_bind), so records past the threads a
  // child runs never look like starting workers.
  void (*score_child_started)(uint32_t slot, int32_t pid);
  // (ABI 1.2) Records, in the master after reaping a child, that process slot slot is free
  // again. Its worker records turn to .; their counters are kept.
  void (*score_child_exited)(uint32_t slot);
  // (ABI 1.2) Binds the calling thread of a child to worker record thread (below the thread
  // limit) of the child's slot (given to child_init), and sets it to _. From then on the
  // core keeps the record current while the thread serves. child_init binds the calling thread
  // to record 0, which is all a single-threaded child needs. A later bind of the same record
  // takes it over (the thread that held it writes nothing more), so a record never has two
  // writers; a thread at or past the thread limit unbinds the calling thread.
  void (*worker_bind)(uint32_t thread);
  // (ABI 1.2) Sets the calling thread's worker record to one of the MAPACHE_WORKER_* states.
  // The core sets R, W, K, L and C itself while it serves, and _ when a connection
  // (or, for conn_process, a burst of requests) is done; an MPM sets S, G, I and ..
  void (*worker_status)(uint8_t status);
  // (ABI 1.2) Publishes the calling child's connection counts in its process record (event
  // MPMs).
  void (*score_conns)(uint32_t total, uint32_t writing, uint32_t keepalive, uint32_t closing);
  // (ABI 1.2) Copies the global record into out (its struct_size set by the caller). Any
  // process, any thread. Returns MAPACHE_OK, or MAPACHE_ERROR when there is no scoreboard
  // (before score_open, or in a process that has none).
  int32_t (*score_global)(struct MapacheScoreGlobal *out);
  // (ABI 1.2) Copies process record slot into out. Returns MAPACHE_OK, or MAPACHE_ERROR
  // when there is no scoreboard or slot is out of range.
  int32_t (*score_process)(uint32_t slot, struct MapacheScoreProcess *out);
  // (ABI 1.2) Copies worker record thread of process slot slot into out. Returns
  // MAPACHE_OK, or MAPACHE_ERROR when there is no scoreboard or an index is out of range.
  int32_t (*score_worker)(uint32_t slot, uint32_t thread, struct MapacheScoreWorker *out);
  // (ABI 1.2) Tells the core that this child stops gracefully: its process record turns
  // quiescing, every response from now on carries Connection: close, and a connection ends
  // after the request in progress (or, when idle, after its next request or its
  // KeepAliveTimeout). The MPM stops accepting itself. Async-signal-safe (it stores flags), so a
  // signal handler may call it.
  void (*child_stopping)(void);
  // (ABI 1.2) Closes this process's copies of the listening sockets: call it in a child that
  // will not accept again, so that once every process has let go a socket closes (graceful
  // stop). Any MapacheListener.fd is invalid afterwards in the calling process.
  void (*listeners_close)(void);
  // (ABI 1.2) Checks the configuration files as a restart would read them, with the binary and
  // module files now on disk, without changing anything in the running server (it runs mapache
  // -t with the server's command line and waits for it). Master only, single-threaded. Returns
  // MAPACHE_OK, or MAPACHE_ERROR with the one-line reason written to err (NUL-terminated,
  // cut to err_cap).
  int32_t (*config_check)(char *err, size_t err_cap);
  // (ABI 1.3) Maps url_path (decoded, starting with /; . and .. segments are resolved
  // and cannot climb above /) onto the file system under DocumentRoot, as the core mapped the
  // request's own path before any handler ran (Apache's map_to_storage): each symbolic link on
  // the way is followed only as Options (FollowSymLinks, SymLinksIfOwnerMatch) allows in the
  // <Directory> the link is in, and the client is checked against the Require lines in
  // effect for the real path, as for a request of its own. Use it for the request path and for
  // names looked up on the request's behalf (a DirectoryIndex file). Returns MAPACHE_OK with
  // out filled (a missing file is MAPACHE_FILE_NONE, not an error), or 403 when the path may
  // not be served: the core has logged why, and the handler should answer with that status.
  // MAPACHE_ERROR for a bad argument (out null or too small, a path without /).
  int32_t (*req_map)(struct MapacheRequest *req, struct MapacheStr url_path, struct MapacheFile *out);
  // (ABI 1.4) Replaces the URL the rest of the request works on (translate, or before the
  // handler): uri as a client writes a target (a path, percent-encoded, then optionally ?
  // and a query). The core decodes and normalizes it as it does the request line's; req_path,
  // req_query and <Location> matching see the new one, req_uri and the access log keep the
  // client's. Returns MAPACHE_OK, 400 for a path the request line would not be allowed (%00,
  // no leading /), or 404 for an encoded / (%2f). The string returned by an earlier
  // req_path or req_query stays valid until the request ends.
  int32_t (*req_set_uri)(struct MapacheRequest *req, struct MapacheStr uri);
  // (ABI 1.4) The file name the request maps to: the one a translate hook set, else DocumentRoot
  // joined with the path (empty before the translate phase ended, and for requests a
  // map_to_storage hook took).
  struct MapacheStr (*req_filename)(const struct MapacheRequest *req);
  // (ABI 1.4) Sets the file name from a translate hook (Alias): an absolute path. The core maps
  // it as it maps DocumentRoot's files (links judged by Options, <Directory> sections by the
  // real path). Returns MAPACHE_OK, or MAPACHE_ERROR for a path that is not absolute.
  int32_t (*req_set_filename)(struct MapacheRequest *req, struct MapacheStr path);
  // (ABI 1.4) Number of fields in table (one of the MAPACHE_TABLE_* values; 0 for an unknown
  // one).
  size_t (*table_count)(const struct MapacheRequest *req, uint32_t table);
  // (ABI 1.4) Fills name and value with field index of table and returns 1, or returns 0
  // past the end. Valid until the table next changes.
  int32_t (*table_at)(const struct MapacheRequest *req,
                      uint32_t table,
                      size_t index,
                      struct MapacheStr *name,
                      struct MapacheStr *value);
  // (ABI 1.4) Fills value with the index-th field named name (case-insensitive) in table
  // and returns 1, or returns 0. Valid until the table next changes.
  int32_t (*table_get)(const struct MapacheRequest *req,
                       uint32_t table,
                       struct MapacheStr name,
                       size_t index,
                       struct MapacheStr *value);
  // (ABI 1.4) Changes table by mode (MAPACHE_TABLE_SET, _ADD, _UNSET). Returns
  // MAPACHE_OK, or MAPACHE_ERROR for an unknown table or mode, a name or value with CR, LF
  // or NUL, a response header once the head is sent, or a header the core owns. Request
  // header fields replaced or removed here stay readable until the request ends (req_header
  // lends them that long); other tables' values are valid until the table next changes.
  int32_t (*table_set)(struct MapacheRequest *req,
                       uint32_t table,
                       struct MapacheStr name,
                       struct MapacheStr value,
                       uint32_t mode);
  // (ABI 1.4) From a handler (or fixups): serve uri (as for req_set_uri) instead, from the
  // translate phase on, once the calling hook returns (return MAPACHE_OK then). What the
  // request produced so far is discarded; the MAPACHE_TABLE_ERR_HEADERS_OUT fields, notes and
  // environment stay, and REDIRECT_URL and REDIRECT_STATUS are set in the environment. More
  // than 10 redirects in one request are a 500. Returns MAPACHE_OK, or as req_set_uri.
  int32_t (*req_internal_redirect)(struct MapacheRequest *req, struct MapacheStr uri);
  // (ABI 1.4) What uri would map to if it were requested (a subrequest's lookup, for
  // DirectoryIndex, RewriteCond -F): the translate hooks run for it, then the core maps it and
  // checks the Require lines in effect for it, as req_map does. Returns as req_map; out
  // stays valid until the request ends.
  int32_t (*req_lookup)(struct MapacheRequest *req, struct MapacheStr uri, struct MapacheFile *out);
  // (ABI 1.4) The local address the connection arrived on, as text (127.0.0.1, .1).
  struct MapacheStr (*req_local_ip)(const struct MapacheRequest *req);
  // (ABI 1.4) The local port the connection arrived on.
  uint32_t (*req_local_port)(const struct MapacheRequest *req);
  // (ABI 1.4) The client's port.
  uint32_t (*req_client_port)(const struct MapacheRequest *req);
  // (ABI 1.4) The scheme the request came in with: http (or https once the connection is
  // TLS).
  struct MapacheStr (*req_scheme)(const struct MapacheRequest *req);
  // (ABI 1.4) The server name of the request's scope (ServerName, or the host name when unset).
  struct MapacheStr (*req_server_name)(const struct MapacheRequest *req);
  // (ABI 1.4) The authenticated user (empty when none): %u in the access log, REMOTE_USER.
  struct MapacheStr (*req_user)(const struct MapacheRequest *req);
  // (ABI 1.4) Sets the authenticated user, from an authn hook. Returns MAPACHE_OK, or
  // MAPACHE_ERROR for an empty name or one with CR, LF or NUL.
  int32_t (*req_set_user)(struct MapacheRequest *req, struct MapacheStr user);
  // (ABI 1.4) How the request body is framed: MAPACHE_BODY_NONE, _LENGTH (then *length is
  // set) or _CHUNKED. length may be null.
  uint32_t (*req_body_framing)(const struct MapacheRequest *req, uint64_t *length);
  // (ABI 1.4) The response status as it stands (200 until someone sets another).
  uint32_t (*resp_status)(const struct MapacheRequest *req);
  // (ABI 1.4) The declared response body length (resp_set_content_length), or -1 when none is.
  int64_t (*resp_content_length)(const struct MapacheRequest *req);
  // (ABI 1.4) Response body bytes sent to the client so far (in the log phase: all of them,
  // %B).
  uint64_t (*resp_bytes_sent)(const struct MapacheRequest *req);
  // (ABI 1.4) Microseconds since the request's head was read (in the log phase: its duration,
  // %D).
  uint64_t (*req_elapsed_us)(const struct MapacheRequest *req);
  // (ABI 1.4) Adds the filter named name (offered by some module's MapacheModule.filters)
  // to the request's chain in its class's place. Returns MAPACHE_OK, or MAPACHE_ERROR when
  // no loaded module offers it, or when it is too late (the head is sent, for output filters;
  // the body is being read, for input ones). Adding a filter already in the chain does nothing.
  // A name offered both ways names the output filter.
  int32_t (*req_add_filter)(struct MapacheRequest *req, struct MapacheStr name);
  // (ABI 1.4) Passes bucket to the next output filter (the last one is the core's, which
  // sends). Blocks while the client is slow, as resp_write does. Returns MAPACHE_OK, or
  // MAPACHE_ERROR when the client has gone (stop producing then).
  int32_t (*filter_pass)(struct MapacheFilter *filter, const struct MapacheBucket *bucket);
  // (ABI 1.4) Reads request body bytes from the input filter nearer the client (the last one is
  // the core's de-chunking reader). Returns as MapacheFilterDef.read.
  ptrdiff_t (*filter_read)(struct MapacheFilter *filter, uint8_t *buf, size_t cap);
  // (ABI 1.4) The filter's state pointer in this request (null until set).
  void *(*filter_state)(const struct MapacheFilter *filter);
  // (ABI 1.4) Sets the filter's state pointer; the filter's done frees it at the end of the
  // request.
  void (*filter_set_state)(struct MapacheFilter *filter, void *state);
  // (ABI 1.4) The configuration object module (its own descriptor) made for config's scope
  // with create_config, merged from the server level down through the sections that apply (in
  // init, the server scope's object). Null when the module has no create_config. Any
  // process, any thread; valid as long as config.
  const void *(*config_module)(const struct MapacheConfig *config,
                               const struct MapacheModule *module);
  // (ABI 1.4) The same for the request's sections, merged once per combination of sections and
  // cached: constant time. Valid until the request ends.
  const void *(*req_module_config)(const struct MapacheRequest *req,
                                   const struct MapacheModule *module);
  // (ABI 1.4) Registers a metric for module. Master only, in init. name follows
  // Prometheus' rules ([a-zA-Z_:][a-zA-Z0-9_:]*) and is unique; bounds are a histogram's
  // ascending bucket bounds (bound_count at most MAPACHE_METRIC_MAX_BUCKETS; null for the
  // others). The values live in shared memory: every child adds to the same metric, and they
  // survive graceful restarts (a metric of the same name and kind keeps its value). Returns the
  // metric's id (0 or more), or MAPACHE_ERROR (bad name, duplicate, too many, not in init).
  int32_t (*metric_register)(const struct MapacheModule *module,
                             uint32_t kind,
                             struct MapacheStr name,
                             struct MapacheStr help,
                             const uint64_t *bounds,
                             size_t bound_count);
  // (ABI 1.4) Adds delta to counter or gauge id (a counter never goes down: a negative delta
  // is ignored). In children, any thread, lock-free; does nothing for an unknown id.
  void (*metric_add)(int32_t id, int64_t delta);
  // (ABI 1.4) Records one observation of value in histogram id. As metric_add.
  void (*metric_observe)(int32_t id, uint64_t value);
  // (ABI 1.4) Number of registered metrics (ids run from 0 below it). Any process, any thread.
  uint32_t (*metric_count)(void);
  // (ABI 1.4) Copies metric id, summed over every child, into out (its struct_size set by
  // the caller). Returns MAPACHE_OK or MAPACHE_ERROR (unknown id).
  int32_t (*metric_get)(int32_t id, struct MapacheMetric *out);
  // (ABI 1.4) For a status handler: writes every module's MapacheModule.status_section in
  // format (MAPACHE_STATUS_*) to the response, in LoadModule order (for JSON: "name": {…}
  // members separated by commas, without the enclosing braces). Returns MAPACHE_OK, or
  // MAPACHE_ERROR when the client has gone.
  int32_t (*status_sections)(struct MapacheRequest *req, uint32_t format);
  // (ABI 1.6) Parses text in Apache's expression language (ap_expr): a condition
  // (MAPACHE_EXPR_BOOL) or a string (MAPACHE_EXPR_STRING). Any process, any thread, from
  // MapacheModule.attach on (so in set_directive). Returns the expression (free it with
  // expr_free), or null with one line in err (Apache's words, e.g. Variable 'FOO' does
  // not exist).
  struct MapacheExpr *(*expr_parse)(struct MapacheStr text,
                                    uint32_t flags,
                                    char *err,
                                    size_t err_cap);
  // (ABI 1.6) Frees an expression expr_parse made. Null does nothing.
  void (*expr_free)(struct MapacheExpr *expr);
  // (ABI 1.6) Evaluates a condition for the request: 1 true, 0 false, or MAPACHE_ERROR with
  // one line in err (a value that is no number for -eq, …; Apache then takes it as
  // false). Any thread; expr is only read.
  int32_t (*expr_eval)(const struct MapacheExpr *expr,
                       struct MapacheRequest *req,
                       char *err,
                       size_t err_cap);
  // (ABI 1.6) Evaluates a string expression for the request into buf (cap bytes): returns
  // the value's length (written only when it fits: call again with a larger buffer when it is
  // more than cap), or -1 when the expression is a condition or failed.
  ptrdiff_t (*expr_eval_string)(const struct MapacheExpr *expr,
                                struct MapacheRequest *req,
                                uint8_t *buf,
                                size_t cap);
  // (ABI 1.6) A server or request variable as ap_expr and mod_rewrite name them
  // (REQUEST_URI, DOCUMENT_ROOT, SERVER_NAME, SERVER_PORT, REMOTE_ADDR, HTTPS,
  // THE_REQUEST, REQUEST_FILENAME, TIME_YEAR … TIME, HTTP_USER_AGENT and any
  // HTTP_* header, …) into buf: the value's length as expr_eval_string, or -1 when the
  // variable is unknown or unset.
  ptrdiff_t (*req_var)(const struct MapacheRequest *req,
                       struct MapacheStr name,
                       uint8_t *buf,
                       size_t cap);
  // (ABI 1.6) Sets the useragent's address for the rest of the request (mod_remoteip): what
  // Require ip, %a and %h, REMOTE_ADDR, req_client_ip and the scoreboard see. The
  // connection's peer (%{c}a, req_peer_ip) stays. Returns MAPACHE_OK, or
  // MAPACHE_ERROR when ip is no IPv4 or IPv6 address.
  int32_t (*req_set_client_ip)(struct MapacheRequest *req, struct MapacheStr ip);
  // (ABI 1.6) The connection's peer address (%{c}a), whatever req_set_client_ip set.
  struct MapacheStr (*req_peer_ip)(const struct MapacheRequest *req);
  // (ABI 1.6) Sets the request's handler name (as SetHandler would) from the translate,
  // map-to-storage, access or fixups phase; an empty name goes back to default-handler.
  // Returns MAPACHE_OK, or MAPACHE_ERROR when no loaded module declares the name (and
  // every module declares some), or in a later phase.
  int32_t (*req_set_handler)(struct MapacheRequest *req, struct MapacheStr name);
} MapacheHost;

// A listening socket bound by the core and handed to the MPM.
typedef struct MapacheListener {
  // The socket, non-blocking, close-on-exec, already listening. Owned by the core: never close it.
  int32_t fd;
  // The address as configured and bound, e.g. 127.0.0.1:8080 or [.1]:8080.
  struct MapacheStr addr;
} MapacheListener;

// What the core hands an MPM's mpm_run. Owned by the core; valid for the whole mpm_run call
// (and in children forked during it).
typedef struct MapacheRunInfo {
  // sizeof(MapacheRunInfo) as the core knows it.
  uint32_t struct_size;
  // MAPACHE_RUN_* bits.
  uint32_t flags;
  // The listeners, listener_count of them.
  const struct MapacheListener *listeners;
  // Number of listeners (at least one).
  size_t listener_count;
  // The server configuration scope (the MPM's own directives are read from it).
  const struct MapacheConfig *config;
} MapacheRunInfo;

// One phase registration in a module's MapacheModule.hooks table (ABI 1.4).
typedef struct MapacheHook {
  // One of the MAPACHE_PHASE_* values.
  uint32_t phase;
  // One of the MAPACHE_ORDER_* values (or any integer between).
  int32_t order;
  // The function (never null in a valid table: the core refuses the module at LoadModule).
  int32_t (*func)(struct MapacheRequest *req);
  // Null, or a null-terminated array of module names (MapacheModule.name) whose hooks
  // of this phase must run before this one (when those modules are loaded).
  const char *const *predecessors;
  // Null, or a null-terminated array of module names whose hooks of this phase must run
  // after this one.
  const char *const *successors;
} MapacheHook;

// One filter a module offers, in its MapacheModule.filters table (ABI 1.4). Configuration
// (SetOutputFilter, AddOutputFilterByType, AddOutputFilter, SetInputFilter) or a module
// (MapacheHost.req_add_filter) puts it into a request's chain by name.
//
// Each filter in a chain has a state pointer (MapacheHost.filter_state), null at first;
// the filter allocates what it points to and frees it in done, which the core calls once at
// the end of every request whose chain held the filter.
typedef struct MapacheFilterDef {
  // The filter's name, NUL-terminated, static; matched case-insensitively (e.g. DEFLATE).
  // Output and input filters are two namespaces, as in Apache: one name may be offered once
  // in each direction (mod_deflate's DEFLATE is both).
  const char *name;
  // MAPACHE_FILTER_OUTPUT or MAPACHE_FILTER_INPUT.
  uint32_t direction;
  // One of the MAPACHE_FILTER_* classes: the filter's place in the chain.
  int32_t class_;
  // MAPACHE_FILTER_* flag bits.
  uint32_t flags;
  // Output filters: called once, before the response head is sent (for every response the
  // request gets, the core's own error pages included), in chain order. It may read and change
  // the status and the headers. Returns MAPACHE_OK to stay in the chain for the body,
  // MAPACHE_DECLINED to leave it (its body is then never called: a filter that only edits
  // headers should always leave, so file ranges can still be sent with sendfile), or
  // MAPACHE_ERROR (the core answers 500 instead, through the filters before this one). May
  // be null: the filter always stays.
  int32_t (*headers)(struct MapacheFilter *filter, struct MapacheRequest *req);
  // Output filters: called for each bucket, in order, ending with one MAPACHE_BUCKET_EOS.
  // Pass buckets on with MapacheHost.filter_pass (the same ones, changed ones, fewer or
  // more; hold bytes back while it suits you, but pass EOS last). Returns MAPACHE_OK, or
  // MAPACHE_ERROR to abort the response (the connection closes). May be null: buckets pass
  // through unchanged.
  int32_t (*body)(struct MapacheFilter *filter,
                  struct MapacheRequest *req,
                  const struct MapacheBucket *bucket);
  // Input filters: fills up to cap bytes of buf with request body bytes, reading what it
  // transforms from the filter nearer the client with MapacheHost.filter_read. Returns the
  // number of bytes, 0 at the end of the body, or -1 on an error.
  ptrdiff_t (*read)(struct MapacheFilter *filter,
                    struct MapacheRequest *req,
                    uint8_t *buf,
                    size_t cap);
  // Frees the filter's state (state as last set; never null when called). May be null.
  void (*done)(void *state);
} MapacheFilterDef;

// A Require provider a module offers (ABI 1.4): Require <name> args… calls it, inside
// <RequireAll>, <RequireAny> and <RequireNone> like the core's own all, ip, local,
// method and env.
typedef struct MapacheAuthzProvider {
  // The word after Require, NUL-terminated, static (e.g. valid-user).
  const char *name;
  // Checks the arguments of one Require line while the configuration is read (so -t
  // reports them with file and line). Same contract as MapacheModule.check_directive.
  // May be null.
  int32_t (*check)(const struct MapacheStr *args, size_t nargs, char *err, size_t err_cap);
  // Decides for one request; args are the line's arguments, borrowed for the call. Returns
  // one of the MAPACHE_AUTHZ_* answers, or MAPACHE_ERROR (500). Never null in a valid
  // table.
  int32_t (*authorize)(struct MapacheRequest *req, const struct MapacheStr *args, size_t nargs);
} MapacheAuthzProvider;

// The scope a configuration object is made for (ABI 1.6), given to
// MapacheModule.create_section_config. Borrowed for the call: copy what you keep.
typedef struct MapacheSection {
  // sizeof(MapacheSection) as the core knows it.
  uint32_t struct_size;
  // One of the MAPACHE_SECTION_* kinds.
  uint32_t kind;
  // 1 when path is a regular expression or a wildcard pattern, else 0.
  uint32_t is_regex;
  // Zero.
  uint32_t reserved;
  // What the section matches: for <Directory> an absolute, normalized path without a
  // trailing /; for <Location> and <Files> the path or pattern as written; for a
  // .htaccess file the directory holding it (no trailing /); empty for the server levels
  // and <If>.
  struct MapacheStr path;
  // The nearest <Directory> (not a pattern) or .htaccess directory the section is, or is
  // inside of, as path writes it; empty when there is none (mod_rewrite's per-directory
  // prefix).
  struct MapacheStr directory;
} MapacheSection;

// The descriptor every module exports under the symbol named in LoadModule.
//
// The core checks magic, abi_major, abi_minor and struct_size before it reads or calls
// anything else. All pointers are static in the module (modules are never unloaded).
typedef struct MapacheModule {
  // Must be MAPACHE_MODULE_MAGIC.
  uint32_t magic;
  // MAPACHE_ABI_MAJOR the module was built against.
  uint16_t abi_major;
  // MAPACHE_ABI_MINOR the module was built against.
  uint16_t abi_minor;
  // sizeof(MapacheModule) as the module was built.
  uint32_t struct_size;
  // MAPACHE_KIND_MPM or MAPACHE_KIND_HANDLER.
  uint32_t kind;
  // Short module name, e.g. static; NUL-terminated. Used in log lines and LogLevel.
  const char *name;
  // The module's own version, NUL-terminated.
  const char *version;
  // The directive table, directive_count entries (may be null when the count is 0).
  const struct MapacheDirective *directives;
  // Number of directive table entries.
  size_t directive_count;
  // Called once in the master process after the whole configuration was read, before any
  // fork, single-threaded: it must not start threads. May be null.
  // host lives for the whole process; keep it. config is the server scope, valid until the
  // configuration is reloaded. On failure write a one-line, NUL-terminated message into err
  // (owned by the core, err_cap bytes) and return MAPACHE_ERROR: the core prints it and
  // exits 1. Otherwise return MAPACHE_OK.
  int32_t (*init)(const struct MapacheHost *host,
                  const struct MapacheConfig *config,
                  char *err,
                  size_t err_cap);
  // Called in every child process after fork (through the host's child_init), before any
  // thread starts. Returns MAPACHE_OK, or MAPACHE_ERROR to stop the child. May be null.
  int32_t (*child_init)(void);
  // Handler modules: answers one request. Runs in a child, on a worker thread, concurrently
  // with other calls in threaded MPMs. req is valid only during the call. Returns
  // MAPACHE_OK when it produced the response, MAPACHE_DECLINED to let the next handler try,
  // an HTTP status from 300 to 599 for the core to answer with its own short page for that
  // status (keeping the headers the handler set, except those that described a body:
  // Content-Type, Content-Encoding, Content-Language, ETag, Last-Modified, Accept-Ranges), or
  // MAPACHE_ERROR when it failed (the core answers 500 and logs it). Any other value is
  // logged as a bug and answered with 500. Null for MPMs.
  int32_t (*handle)(struct MapacheRequest *req);
  // MPMs: MAPACHE_MPM_* bits. 0 for handlers.
  uint32_t mpm_flags;
  // MPMs: the master loop. Runs in the master process and owns it (forking, reaping, signals)
  // until the server stops or restarts; run is valid for the whole call. It is called with
  // SIGTERM, SIGINT, SIGHUP, SIGUSR1 and (since 1.2) SIGWINCH blocked (signals sent once the
  // server announced itself, or during a restart's re-exec, wait pending): install handlers,
  // then unblock the signals you handle. Returns one of
  // MAPACHE_MPM_*. Null for handlers.
  int32_t (*mpm_run)(const struct MapacheRunInfo *run);
  // (ABI 1.1) Checks one occurrence of one of the module's directives while the configuration is
  // read, wherever it appears (sections included), so -t reports a bad value with its file and
  // line. Runs in the master before init, single-threaded. name is the directive as
  // declared, args/nargs its arguments; all borrowed for the call. On a bad value write a
  // one-line, NUL-terminated message (without file and line: the core adds them) into err
  // (err_cap bytes, owned by the core) and return MAPACHE_ERROR; otherwise MAPACHE_OK. May
  // be null.
  int32_t (*check_directive)(struct MapacheStr name,
                             const struct MapacheStr *args,
                             size_t nargs,
                             char *err,
                             size_t err_cap);
  // (ABI 1.4) The module's phase hooks, hook_count entries (null when 0). The core sorts each
  // phase's hooks of every module once, at startup, and calls only those.
  const struct MapacheHook *hooks;
  // (ABI 1.4) Number of entries in hooks.
  size_t hook_count;
  // (ABI 1.4) Handler names the module answers (NUL-terminated, static; handler_name_count of
  // them), as SetHandler names them: its MAPACHE_PHASE_HANDLER hooks run only for requests
  // with one of these names (default-handler is the name of a request without SetHandler). A
  // SetHandler name no module declares is refused at -t, unless a module that declares none
  // is loaded (it may look at req_handler itself, as before ABI 1.4).
  const char *const *handler_names;
  // (ABI 1.4) Number of entries in handler_names.
  size_t handler_name_count;
  // (ABI 1.4) The filters the module offers, filter_count entries.
  const struct MapacheFilterDef *filters;
  // (ABI 1.4) Number of entries in filters.
  size_t filter_count;
  // (ABI 1.4) The Require providers the module offers, authz_provider_count entries.
  const struct MapacheAuthzProvider *authz_providers;
  // (ABI 1.4) Number of entries in authz_providers.
  size_t authz_provider_count;
  // (ABI 1.4) Makes an empty configuration object for a scope (MAPACHE_SCOPE_*), in the master
  // while the configuration is read (also for -t), before init. The module owns it; the core
  // keeps it for the process's life. May be null (the module has no typed configuration).
  // (ABI 1.5) Also in a child, on any worker thread, for a .htaccess file holding one of the
  // module's directives (MAPACHE_SCOPE_SECTION; then set_directive fills it there too).
  void *(*create_config)(uint32_t scope);
  // (ABI 1.4) Fills config (made by create_config for scope) with one occurrence of one of
  // the module's directives, in file order, server level first, then each section. When present,
  // check_directive is not called. Errors as for check_directive: the core adds the file and
  // line, and -t fails. May be null.
  int32_t (*set_directive)(void *config,
                           uint32_t scope,
                           struct MapacheStr name,
                           const struct MapacheStr *args,
                           size_t nargs,
                           char *err,
                           size_t err_cap);
  // (ABI 1.4) Makes a new object from parent (the server level, or what is already merged) and
  // child (a section's object): what the child sets wins, the rest comes from the parent.
  // Must not change either. Called once per combination of sections (cached), on any thread.
  // May be null: the child's object is used as it is.
  void *(*merge_config)(const void *parent, const void *child);
  // (ABI 1.4) Frees an object merge_config made, when the core does not keep it (the cache of
  // merged combinations is bounded). May be null: then merged objects are kept for the process's
  // life.
  void (*free_config)(void *config);
  // (ABI 1.4) Writes the module's section of the status page through resp_write in format
  // (MAPACHE_STATUS_*; for MAPACHE_STATUS_JSON exactly one JSON object). Runs in a status
  // handler's request (see MapacheHost.status_sections). Returns MAPACHE_OK, or
  // MAPACHE_DECLINED when it has nothing in that format. May be null.
  int32_t (*status_section)(struct MapacheRequest *req, uint32_t format);
  // (ABI 1.5) The Apache modules whose job this module does (NUL-terminated, static;
  // apache_name_count of them), e.g. mime_module and dir_module for a static-file module:
  // <IfModule mime_module> and <IfModule mod_mime.c> are then true and -M lists them.
  // The module's own LoadModule name needs no entry.
  const char *const *apache_names;
  // (ABI 1.5) Number of entries in apache_names.
  size_t apache_name_count;
  // (ABI 1.6) Called once, in the master, right after the descriptor passed the loader's
  // checks and before create_config, set_directive or init: the host table, for the
  // whole process (functions that need a request or a child are still only for those). May
  // be null.
  void (*attach)(const struct MapacheHost *host);
  // (ABI 1.6) As create_config, told which scope the object is for (the section's kind and
  // path: a per-directory prefix, a <Location>'s path). When present, the core calls it
  // instead of create_config; the object's scope is MAPACHE_SCOPE_SERVER for the
  // MAPACHE_SECTION_SERVER and _VIRTUALHOST kinds, MAPACHE_SCOPE_SECTION for the
  // others. May be null.
  void *(*create_section_config)(const struct MapacheSection *section);
} MapacheModule;

// A phase hook's function. It runs on the request's thread; req is valid during the call.
// Returns MAPACHE_OK, MAPACHE_DECLINED, MAPACHE_DONE, an HTTP status from 300 to 599 (the
// core answers with its page for it, through the filters, as for its own errors) or
// MAPACHE_ERROR (500). Phases say what OK and DECLINED mean for them.
typedef int32_t (*MapachePhaseFn)(struct MapacheRequest *req);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* MAPACHE_MODULE_H */
