/*
 * mod_hello: a mapache handler module in plain C, built against mapache_module.h alone.
 *
 *   LoadModule hello_module /path/to/mod_hello.so
 *   <Location /hello>
 *       SetHandler hello
 *       HelloGreeting "Hello from C"
 *   </Location>
 *
 * The module links no mapache symbol: everything it calls comes from the host table the core
 * hands to hello_init. It allocates nothing, so it frees nothing.
 */
#include <stdio.h>
#include <string.h>

#include "mapache_module.h"

/* The host table: owned by the core, valid for the life of the process. */
static const MapacheHost *host;

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

/* Master process, before fork: keep the host table and check the greeting's length. */
static int32_t hello_init(const MapacheHost *h, const MapacheConfig *config, char *err, size_t err_cap)
{
    MapacheDirectiveValue v;
    size_t i, n;

    if (h->abi_major != MAPACHE_ABI_MAJOR) {
        snprintf(err, err_cap, "mod_hello was built for ABI %d, the core has %u", MAPACHE_ABI_MAJOR,
                 (unsigned)h->abi_major);
        return MAPACHE_ERROR;
    }
    host = h;
    n = host->config_count(config, str("HelloGreeting"));
    for (i = 0; i < n; i++) {
        if (host->config_get(config, str("HelloGreeting"), i, &v) && v.args[0].len > 200) {
            snprintf(err, err_cap, "Syntax error on line %u of %.*s: HelloGreeting is longer than 200 bytes",
                     (unsigned)v.line, (int)v.file.len, (const char *)v.file.ptr);
            return MAPACHE_ERROR;
        }
    }
    return MAPACHE_OK;
}

/* A worker thread in a child: answer requests whose handler is "hello". */
static int32_t hello_handle(MapacheRequest *req)
{
    const MapacheConfig *config;
    MapacheDirectiveValue v;
    MapacheStr greeting = str("Hello from C");
    size_t n;

    if (!str_is(host->req_handler(req), "hello"))
        return MAPACHE_DECLINED;
    if (!str_is(host->req_method(req), "GET") && !str_is(host->req_method(req), "HEAD")) {
        host->resp_set_header(req, str("Allow"), str("GET, HEAD"));
        return 405;
    }
    /* The occurrence in effect is the last one: the most specific section wins. */
    config = host->req_config(req);
    n = host->config_count(config, str("HelloGreeting"));
    if (n > 0 && host->config_get(config, str("HelloGreeting"), n - 1, &v) && v.nargs == 1)
        greeting = v.args[0];

    host->resp_set_header(req, str("Content-Type"), str("text/plain; charset=utf-8"));
    host->resp_set_content_length(req, greeting.len + 1);
    host->resp_write(req, greeting);
    host->resp_write(req, str("\n"));
    return MAPACHE_OK;
}

static const MapacheDirective hello_directives[] = {
    {"HelloGreeting", MAPACHE_TAKE1, MAPACHE_CTX_ANY, "the text the hello handler answers with"},
};

/* The descriptor, exported under the name used in LoadModule. */
const MapacheModule hello_module = {
    MAPACHE_MODULE_MAGIC,
    MAPACHE_ABI_MAJOR,
    MAPACHE_ABI_MINOR,
    sizeof(MapacheModule),
    MAPACHE_KIND_HANDLER,
    "hello",
    "1.0.0",
    hello_directives,
    sizeof hello_directives / sizeof hello_directives[0],
    hello_init,
    NULL, /* child_init */
    hello_handle,
    0,    /* mpm_flags */
    NULL, /* mpm_run */
    NULL, /* check_directive (ABI 1.1) */
    /* ABI 1.4, unused here: hooks, handler names, filters, Require providers, typed
     * configuration, status section. `handle` above is the handler hook. */
    NULL, 0, NULL, 0, NULL, 0, NULL, 0,
    NULL, NULL, NULL, NULL, NULL,
};
