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
