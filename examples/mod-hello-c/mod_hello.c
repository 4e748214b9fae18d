/*
 * mod_hello: a mapache module in plain C (ABI 1.4), built against mapache_module.h alone.
 *
 *   LoadModule hello_module /path/to/mod_hello.so
 *   HelloTrace On                      # X-Hello-Phases: the phases this request went through
 *   <Location /hello>
 *       SetHandler hello
 *       HelloGreeting "Hello from C"
 *   </Location>
 *   <Location /loud>
 *       HelloUpcase On                 # text/plain bodies, whoever makes them, in capitals
 *   </Location>
 *
 * What it shows, one piece each:
 *  - typed configuration: create_config / set_directive / merge_config / free_config; the
 *    handler reads its merged object with req_module_config (constant time, no parsing);
 *  - a hook in every phase, each appending its name to the note "hello-phases";
 *  - a declared handler name ("hello"), so its handler hook runs only for SetHandler hello;
 *  - a header filter (HELLO_TRACE: sets X-Hello-Phases, then leaves the chain) and a body
 *    filter (HELLO_UPCASE: upper-cases text/plain, reading file buckets with pread);
 *  - the log phase writes one line per request to the error log (LogLevel hello:info).
 *
 * It links no mapache symbol: everything it calls comes from the host table given to init.
 */
#define _POSIX_C_SOURCE 200809L /* pread */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mapache_module.h"

/* The host table: owned by the core, valid for the life of the process. */
static const MapacheHost *host;

/* The descriptor, defined at the end; the host wants it to find this module's objects. */
MAPACHE_EXPORT extern const MapacheModule hello_module;

static MapacheStr str(const char *s)
{
    MapacheStr r = {(const uint8_t *)s, strlen(s)};
    return r;
}

static int str_is(MapacheStr a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && memcmp(a.ptr, b, n) == 0;
}

static int str_starts_nocase(MapacheStr a, const char *prefix)
{
    size_t i, n = strlen(prefix);
    if (a.len < n)
        return 0;
    for (i = 0; i < n; i++)
        if (tolower(a.ptr[i]) != tolower((unsigned char)prefix[i]))
            return 0;
    return 1;
}

/* ---- typed configuration ------------------------------------------------------------------ */

/* One per scope (server level, each section), and one per merged combination. -1: not set. */
typedef struct HelloConfig {
    char *greeting; /* NULL: not set; owned by the scope's object, which lives forever */
    int upcase;
    int trace;
} HelloConfig;

/* Master, while the configuration is read (also under -t). */
static void *hello_create_config(uint32_t scope)
{
    HelloConfig *c = calloc(1, sizeof *c);
    (void)scope;
    if (c) {
        c->upcase = -1;
        c->trace = -1;
    }
    return c;
}

/* Master, once per occurrence in file order. Arguments are borrowed for the call: copy them. */
static int32_t hello_set_directive(void *config, uint32_t scope, MapacheStr name, const MapacheStr *args,
                                   size_t nargs, char *err, size_t err_cap)
{
    HelloConfig *c = config;
    (void)scope;
    if (!c || nargs != 1) {
        snprintf(err, err_cap, "%.*s: out of memory or wrong argument count", (int)name.len,
                 (const char *)name.ptr);
        return MAPACHE_ERROR;
    }
    if (str_is(name, "HelloGreeting")) {
        if (args[0].len > 200) {
            snprintf(err, err_cap, "HelloGreeting is longer than 200 bytes");
            return MAPACHE_ERROR;
        }
        free(c->greeting);
        c->greeting = malloc(args[0].len + 1);
        if (!c->greeting) {
            snprintf(err, err_cap, "HelloGreeting: out of memory");
            return MAPACHE_ERROR;
        }
        memcpy(c->greeting, args[0].ptr, args[0].len);
        c->greeting[args[0].len] = '\0';
        return MAPACHE_OK;
    }
    /* MAPACHE_FLAG: the core already checked the value is On or Off (any case). */
    if (str_is(name, "HelloUpcase")) {
        c->upcase = str_starts_nocase(args[0], "on");
        return MAPACHE_OK;
    }
    if (str_is(name, "HelloTrace")) {
        c->trace = str_starts_nocase(args[0], "on");
        return MAPACHE_OK;
    }
    snprintf(err, err_cap, "%.*s: not a directive of mod_hello", (int)name.len, (const char *)name.ptr);
    return MAPACHE_ERROR;
}

/* Any thread in a child: what the section sets wins. The strings stay the scopes' own. */
static void *hello_merge_config(const void *parent, const void *child)
{
    const HelloConfig *p = parent, *c = child;
    HelloConfig *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    *m = *p;
    if (c->greeting)
        m->greeting = c->greeting;
    if (c->upcase >= 0)
        m->upcase = c->upcase;
    if (c->trace >= 0)
        m->trace = c->trace;
    return m;
}

/* Frees a merged object (not its strings, which belong to the scopes' objects). */
static void hello_free_config(void *config)
{
    free(config);
}

static const HelloConfig *config_of(MapacheRequest *req)
{
    static const HelloConfig unset = {NULL, -1, -1};
    const HelloConfig *c = host->req_module_config(req, &hello_module);
    return c ? c : &unset;
}

/* ---- phases: each one leaves its name in the note "hello-phases" --------------------------- */

static void note_phase(MapacheRequest *req, const char *phase)
{
    char buf[512];
    MapacheStr old;
    int n = 0;
    /* table_get's value is valid until the table changes: copy it before table_set. */
    if (host->table_get(req, MAPACHE_TABLE_NOTES, str("hello-phases"), 0, &old) && old.len < 400)
        n = snprintf(buf, sizeof buf, "%.*s,%s", (int)old.len, (const char *)old.ptr, phase);
    else
        n = snprintf(buf, sizeof buf, "%s", phase);
    if (n > 0 && (size_t)n < sizeof buf) {
        MapacheStr v = {(const uint8_t *)buf, (size_t)n};
        host->table_set(req, MAPACHE_TABLE_NOTES, str("hello-phases"), v, MAPACHE_TABLE_SET);
    }
}

static int32_t on_post_read_request(MapacheRequest *req)
{
    note_phase(req, "post_read_request");
    return MAPACHE_OK; /* run-all: OK and DECLINED both go on */
}

static int32_t on_translate(MapacheRequest *req)
{
    note_phase(req, "translate");
    return MAPACHE_DECLINED; /* run-first: the core's DocumentRoot translation applies */
}

static int32_t on_map_to_storage(MapacheRequest *req)
{
    note_phase(req, "map_to_storage");
    return MAPACHE_DECLINED; /* the request names a file: let the core map it */
}

/* Refuses clients that ask to be refused, to show a status answer from a hook. */
static int32_t on_access(MapacheRequest *req)
{
    note_phase(req, "access");
    if (host->req_header(req, str("X-Hello-Deny"), NULL))
        return 403;
    return MAPACHE_OK;
}

/* Runs only when a Require line needs a user; this module knows none. */
static int32_t on_authn(MapacheRequest *req)
{
    note_phase(req, "authn");
    return MAPACHE_DECLINED;
}

static int32_t on_fixups(MapacheRequest *req)
{
    note_phase(req, "fixups");
    return MAPACHE_OK;
}

static int32_t on_insert_filter(MapacheRequest *req)
{
    const HelloConfig *c = config_of(req);
    note_phase(req, "insert_filter");
    if (c->trace == 1)
        host->req_add_filter(req, str("HELLO_TRACE"));
    if (c->upcase == 1)
        host->req_add_filter(req, str("HELLO_UPCASE"));
    return MAPACHE_OK;
}

/* Runs only for SetHandler hello (the name this module declares). */
static int32_t on_handler(MapacheRequest *req)
{
    const HelloConfig *c = config_of(req);
    MapacheStr greeting = c->greeting ? str(c->greeting) : str("Hello from C");

    note_phase(req, "handler");
    if (!str_is(host->req_method(req), "GET") && !str_is(host->req_method(req), "HEAD")) {
        host->resp_set_header(req, str("Allow"), str("GET, HEAD"));
        return 405;
    }
    host->resp_set_header(req, str("Content-Type"), str("text/plain; charset=utf-8"));
    host->resp_set_content_length(req, greeting.len + 1);
    host->resp_write(req, greeting);
    host->resp_write(req, str("\n"));
    return MAPACHE_OK;
}

/* After the response: its final status and size, and every phase it went through. */
static int32_t on_log(MapacheRequest *req)
{
    char line[700];
    MapacheStr phases = str("");
    MapacheStr path = host->req_path(req);
    int n;
    host->table_get(req, MAPACHE_TABLE_NOTES, str("hello-phases"), 0, &phases);
    n = snprintf(line, sizeof line, "%.*s: status %u, %llu body bytes, phases %.*s,log", (int)path.len,
                 (const char *)path.ptr, (unsigned)host->resp_status(req),
                 (unsigned long long)host->resp_bytes_sent(req), (int)phases.len, (const char *)phases.ptr);
    if (n > 0)
        host->req_log(req, str("hello"), MAPACHE_LOG_INFO, str(line));
    return MAPACHE_OK;
}

static const MapacheHook hello_hooks[] = {
    {MAPACHE_PHASE_POST_READ_REQUEST, MAPACHE_ORDER_MIDDLE, on_post_read_request, NULL, NULL},
    {MAPACHE_PHASE_TRANSLATE, MAPACHE_ORDER_MIDDLE, on_translate, NULL, NULL},
    {MAPACHE_PHASE_MAP_TO_STORAGE, MAPACHE_ORDER_MIDDLE, on_map_to_storage, NULL, NULL},
    {MAPACHE_PHASE_ACCESS, MAPACHE_ORDER_MIDDLE, on_access, NULL, NULL},
    {MAPACHE_PHASE_AUTHN, MAPACHE_ORDER_MIDDLE, on_authn, NULL, NULL},
    {MAPACHE_PHASE_FIXUPS, MAPACHE_ORDER_MIDDLE, on_fixups, NULL, NULL},
    {MAPACHE_PHASE_INSERT_FILTER, MAPACHE_ORDER_MIDDLE, on_insert_filter, NULL, NULL},
    {MAPACHE_PHASE_HANDLER, MAPACHE_ORDER_MIDDLE, on_handler, NULL, NULL},
    {MAPACHE_PHASE_LOG, MAPACHE_ORDER_MIDDLE, on_log, NULL, NULL},
};

static const char *const hello_handler_names[] = {"hello"};

/* ---- filters ------------------------------------------------------------------------------ */

/* Header filter: once per response, before its head is sent (error pages included). */
static int32_t trace_headers(MapacheFilter *f, MapacheRequest *req)
{
    MapacheStr phases;
    (void)f;
    if (host->table_get(req, MAPACHE_TABLE_NOTES, str("hello-phases"), 0, &phases))
        host->table_set(req, MAPACHE_TABLE_HEADERS_OUT, str("X-Hello-Phases"), phases, MAPACHE_TABLE_SET);
    return MAPACHE_DECLINED; /* headers only: leave the chain, so files can still go by sendfile */
}

/* Stays in the chain only for text/plain. */
static int32_t upcase_headers(MapacheFilter *f, MapacheRequest *req)
{
    MapacheStr type;
    (void)f;
    if (host->table_get(req, MAPACHE_TABLE_HEADERS_OUT, str("Content-Type"), 0, &type) &&
        str_starts_nocase(type, "text/plain"))
        return MAPACHE_OK;
    return MAPACHE_DECLINED;
}

/* Upper-cases len bytes into out and passes them on as one BYTES bucket. */
static int32_t pass_upper(MapacheFilter *f, const uint8_t *data, size_t len, uint8_t *out)
{
    MapacheBucket b;
    size_t i;
    for (i = 0; i < len; i++)
        out[i] = (uint8_t)toupper(data[i]);
    memset(&b, 0, sizeof b);
    b.kind = MAPACHE_BUCKET_BYTES;
    b.fd = -1;
    b.data.ptr = out;
    b.data.len = len;
    return host->filter_pass(f, &b);
}

#define CHUNK 16384 /* on the stack: well under what a worker thread has */

static int32_t upcase_body(MapacheFilter *f, MapacheRequest *req, const MapacheBucket *b)
{
    uint8_t buf[CHUNK], out[CHUNK];
    (void)req;
    if (b->kind == MAPACHE_BUCKET_BYTES) {
        size_t done = 0;
        while (done < b->data.len) {
            size_t n = b->data.len - done < CHUNK ? b->data.len - done : CHUNK;
            if (pass_upper(f, b->data.ptr + done, n, out) != MAPACHE_OK)
                return MAPACHE_ERROR;
            done += n;
        }
        return MAPACHE_OK;
    }
    if (b->kind == MAPACHE_BUCKET_FILE) {
        /* A range of an open file: read it (the descriptor stays the core's) and pass bytes. */
        uint64_t done = 0;
        while (done < b->length) {
            size_t want = b->length - done < CHUNK ? (size_t)(b->length - done) : CHUNK;
            ssize_t n = pread(b->fd, buf, want, (off_t)(b->offset + done));
            if (n <= 0) {
                host->log(str("hello"), MAPACHE_LOG_ERR, str("HELLO_UPCASE: cannot read the file"));
                return MAPACHE_ERROR;
            }
            if (pass_upper(f, buf, (size_t)n, out) != MAPACHE_OK)
                return MAPACHE_ERROR;
            done += (uint64_t)n;
        }
        return MAPACHE_OK;
    }
    return host->filter_pass(f, b); /* FLUSH and EOS go on as they are */
}

static const MapacheFilterDef hello_filters[] = {
    {"HELLO_TRACE", MAPACHE_FILTER_OUTPUT, MAPACHE_FILTER_PROTOCOL, 0, trace_headers, NULL, NULL, NULL},
    /* One byte out for each byte in: a declared Content-Length stays right. */
    {"HELLO_UPCASE", MAPACHE_FILTER_OUTPUT, MAPACHE_FILTER_RESOURCE, MAPACHE_FILTER_KEEPS_LENGTH, upcase_headers,
     upcase_body, NULL, NULL},
};

/* ---- init and the descriptor -------------------------------------------------------------- */

/* Master process, before fork (also under -t): keep the host table. */
static int32_t hello_init(const MapacheHost *h, const MapacheConfig *config, char *err, size_t err_cap)
{
    (void)config;
    if (h->abi_major != MAPACHE_ABI_MAJOR || !MAPACHE_HOST_HAS(h, req_module_config)) {
        snprintf(err, err_cap, "mod_hello was built for ABI %d.%d, the core has %u.%u", MAPACHE_ABI_MAJOR,
                 MAPACHE_ABI_MINOR, (unsigned)h->abi_major, (unsigned)h->abi_minor);
        return MAPACHE_ERROR;
    }
    host = h;
    return MAPACHE_OK;
}

static const MapacheDirective hello_directives[] = {
    {"HelloGreeting", MAPACHE_TAKE1, MAPACHE_CTX_ANY, "the text the hello handler answers with"},
    {"HelloUpcase", MAPACHE_FLAG, MAPACHE_CTX_ANY, "On: upper-case text/plain response bodies"},
    {"HelloTrace", MAPACHE_FLAG, MAPACHE_CTX_ANY, "On: list the request's phases in X-Hello-Phases"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The descriptor, exported under the name used in LoadModule. */
MAPACHE_EXPORT const MapacheModule hello_module = {
    .magic = MAPACHE_MODULE_MAGIC,
    .abi_major = MAPACHE_ABI_MAJOR,
    .abi_minor = MAPACHE_ABI_MINOR,
    .struct_size = sizeof(MapacheModule),
    .kind = MAPACHE_KIND_HANDLER,
    .name = "hello",
    .version = "2.0.0",
    .directives = hello_directives,
    .directive_count = COUNT(hello_directives),
    .init = hello_init,
    .hooks = hello_hooks,
    .hook_count = COUNT(hello_hooks),
    .handler_names = hello_handler_names,
    .handler_name_count = COUNT(hello_handler_names),
    .filters = hello_filters,
    .filter_count = COUNT(hello_filters),
    .create_config = hello_create_config,
    .set_directive = hello_set_directive,
    .merge_config = hello_merge_config,
    .free_config = hello_free_config,
};
