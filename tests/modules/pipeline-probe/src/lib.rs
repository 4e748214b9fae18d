//! A test-only module written on the raw ABI 1.4 (no SDK), probing the request pipeline:
//!
//! - an authn hook accepting Basic credentials `probe:secret` (user `probe`), challenging with
//!   401 and `WWW-Authenticate` otherwise;
//! - the `Require probe-user [name]` provider: no user yet asks for one, then grants the named
//!   user (any user without a name); its check refuses more than one name;
//! - the `PROBE_HEADER` output filter, added to every request by a post_read_request hook,
//!   which sets `X-Probe: 1` on every response (the core's error pages included), and
//!   `X-Probe-User` to the `REMOTE_USER` environment variable when it is set;
//! - `X-Set-Env: NAME` in a request sets the environment variable `NAME` (post_read_request);
//! - `ProbeAlias /url /abs/file`: a translate hook that maps that exact URL path to the file;
//! - a handler hook that sets `X-Junk`, status 203 and body bytes, then declines: for
//!   `SetHandler probe-decline`, and for the default handler where `ProbeDecline` is in effect
//!   (mod-static, which serves only the default handler, then runs after it).

use mapache_plugin_api::abi::*;
use std::ffi::c_char;
use std::sync::atomic::{AtomicPtr, Ordering};

static HOST: AtomicPtr<MapacheHost> = AtomicPtr::new(std::ptr::null_mut());

fn host() -> &'static MapacheHost {
    // SAFETY: set once in `init` to the core's table, which lives for the whole process; no hook
    // runs before `init`.
    unsafe { &*HOST.load(Ordering::Acquire) }
}

fn s(bytes: &[u8]) -> MapacheStr {
    MapacheStr {
        ptr: bytes.as_ptr(),
        len: bytes.len(),
    }
}

fn bytes<'a>(v: MapacheStr) -> &'a [u8] {
    if v.len == 0 {
        return &[];
    }
    // SAFETY: the core hands out valid runs of bytes, valid during the call.
    unsafe { std::slice::from_raw_parts(v.ptr, v.len) }
}

fn header<'a>(req: *mut MapacheRequest, name: &str) -> Option<&'a [u8]> {
    let mut value = s(b"");
    ((host().req_header)(req, s(name.as_bytes()), &mut value) == 1).then(|| bytes(value))
}

/// Standard base64, by hand (a test module needs no crate for it).
fn base64_decode(text: &[u8]) -> Option<Vec<u8>> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let text: Vec<u8> = text.iter().copied().filter(|&c| c != b'=').collect();
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text {
        acc = (acc << 6) | u32::from(value(c)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

fn challenge(req: *mut MapacheRequest) -> i32 {
    (host().table_set)(
        req,
        MAPACHE_TABLE_ERR_HEADERS_OUT,
        s(b"WWW-Authenticate"),
        s(b"Basic realm=\"probe\""),
        MAPACHE_TABLE_SET,
    );
    401
}

extern "C" fn authn(req: *mut MapacheRequest) -> i32 {
    let Some(auth) = header(req, "Authorization") else {
        return challenge(req);
    };
    let Some(encoded) = auth.strip_prefix(b"Basic ") else {
        return challenge(req);
    };
    match base64_decode(encoded) {
        Some(pair) if pair == b"probe:secret" => {
            (host().req_set_user)(req, s(b"probe"));
            MAPACHE_OK
        }
        _ => challenge(req),
    }
}

extern "C" fn probe_user_check(
    _args: *const MapacheStr,
    nargs: usize,
    err: *mut c_char,
    err_cap: usize,
) -> i32 {
    if nargs <= 1 {
        return MAPACHE_OK;
    }
    let msg = b"probe-user takes at most one user name\0";
    if err_cap >= msg.len() {
        // SAFETY: the core's buffer holds err_cap bytes.
        unsafe { std::ptr::copy_nonoverlapping(msg.as_ptr(), err.cast(), msg.len()) };
    }
    MAPACHE_ERROR
}

extern "C" fn probe_user(req: *mut MapacheRequest, args: *const MapacheStr, nargs: usize) -> i32 {
    let user = bytes((host().req_user)(req));
    if user.is_empty() {
        return MAPACHE_AUTHZ_DENIED_NO_USER;
    }
    let wanted = if nargs == 0 {
        None
    } else {
        // SAFETY: the core passes `nargs` arguments.
        Some(bytes(unsafe { *args }))
    };
    match wanted {
        Some(w) if w != user => MAPACHE_AUTHZ_DENIED,
        _ => MAPACHE_AUTHZ_GRANTED,
    }
}

extern "C" fn post_read(req: *mut MapacheRequest) -> i32 {
    (host().req_add_filter)(req, s(b"PROBE_HEADER"));
    if let Some(name) = header(req, "X-Set-Env") {
        let name = name.to_vec();
        (host().table_set)(req, MAPACHE_TABLE_ENV, s(&name), s(b"1"), MAPACHE_TABLE_SET);
    }
    if let Some(name) = header(req, "X-Set-Note") {
        let name = name.to_vec();
        (host().table_set)(
            req,
            MAPACHE_TABLE_NOTES,
            s(&name),
            s(b"noted"),
            MAPACHE_TABLE_SET,
        );
    }
    MAPACHE_OK
}

extern "C" fn probe_headers(_f: *mut MapacheFilter, req: *mut MapacheRequest) -> i32 {
    (host().table_set)(
        req,
        MAPACHE_TABLE_HEADERS_OUT,
        s(b"X-Probe"),
        s(b"1"),
        MAPACHE_TABLE_SET,
    );
    let mut user = s(b"");
    if (host().table_get)(req, MAPACHE_TABLE_ENV, s(b"REMOTE_USER"), 0, &mut user) == 1 {
        let user = bytes(user).to_vec();
        (host().table_set)(
            req,
            MAPACHE_TABLE_HEADERS_OUT,
            s(b"X-Probe-User"),
            s(&user),
            MAPACHE_TABLE_SET,
        );
    }
    // Headers only: leave the chain so file ranges still go out with sendfile.
    MAPACHE_DECLINED
}

extern "C" fn translate(req: *mut MapacheRequest) -> i32 {
    let h = host();
    let path = bytes((h.req_path)(req));
    let config = (h.req_config)(req);
    let name = s(b"ProbeAlias");
    for i in 0..(h.config_count)(config, name) {
        let mut v = MapacheDirectiveValue {
            args: std::ptr::null(),
            nargs: 0,
            file: s(b""),
            line: 0,
        };
        if (h.config_get)(config, name, i, &mut v) != 1 || v.nargs != 2 {
            continue;
        }
        // SAFETY: the core filled `nargs` arguments.
        let (url, file) = unsafe { (*v.args, *v.args.add(1)) };
        if bytes(url) == path {
            return (h.req_set_filename)(req, file);
        }
    }
    MAPACHE_DECLINED
}

extern "C" fn decline(req: *mut MapacheRequest) -> i32 {
    let h = host();
    let named = bytes((h.req_handler)(req)).eq_ignore_ascii_case(b"probe-decline");
    if !named && (h.config_count)((h.req_config)(req), s(b"ProbeDecline")) == 0 {
        return MAPACHE_DECLINED;
    }
    (h.resp_set_header)(req, s(b"X-Junk"), s(b"declined"));
    (h.resp_set_status)(req, 203);
    (h.resp_write)(req, s(b"junk from a declining handler"));
    MAPACHE_DECLINED
}

/// `probe-redirect` (internal redirect to the query, or to its own path without one), `probe-lookup` (what the query would map
/// to: `<status> <kind> <size>`) and `probe-echo` (the request body back, through the input
/// filters).
extern "C" fn named(req: *mut MapacheRequest) -> i32 {
    let h = host();
    let handler = bytes((h.req_handler)(req)).to_ascii_lowercase();
    let query = bytes((h.req_query)(req)).to_vec();
    match handler.as_slice() {
        // An empty query redirects to the request's own path: a loop, on purpose.
        b"probe-redirect" if query.is_empty() => {
            let path = bytes((h.req_path)(req)).to_vec();
            (h.req_internal_redirect)(req, s(&path))
        }
        b"probe-redirect" => (h.req_internal_redirect)(req, s(&query)),
        b"probe-lookup" => {
            let mut file = MapacheFile {
                struct_size: std::mem::size_of::<MapacheFile>() as u32,
                kind: 0,
                fd: -1,
                error: 0,
                path: s(b""),
                requested: s(b""),
                size: 0,
                mtime_ns: 0,
            };
            let rc = (h.req_lookup)(req, s(&query), &mut file);
            let text = format!("{rc} {} {}", file.kind, file.size);
            (h.resp_set_header)(req, s(b"Content-Type"), s(b"text/plain"));
            (h.resp_write)(req, s(text.as_bytes()));
            MAPACHE_OK
        }
        b"probe-echo" => {
            let mut buf = [0u8; 4096];
            loop {
                let n = (h.req_read_body)(req, buf.as_mut_ptr(), buf.len());
                if n < 0 {
                    return 400;
                }
                if n == 0 {
                    return MAPACHE_OK;
                }
                (h.resp_write)(req, s(&buf[..n as usize]));
            }
        }
        _ => MAPACHE_DECLINED,
    }
}

/// After an internal redirect, the environment says where from: shown in error headers.
extern "C" fn fixups(req: *mut MapacheRequest) -> i32 {
    let h = host();
    for (var, field) in [
        (&b"REDIRECT_URL"[..], &b"X-Redirect-Url"[..]),
        (b"REDIRECT_STATUS", b"X-Redirect-Status"),
    ] {
        let mut value = s(b"");
        if (h.table_get)(req, MAPACHE_TABLE_ENV, s(var), 0, &mut value) == 1 {
            let value = bytes(value).to_vec();
            (h.table_set)(
                req,
                MAPACHE_TABLE_ERR_HEADERS_OUT,
                s(field),
                s(&value),
                MAPACHE_TABLE_SET,
            );
        }
    }
    MAPACHE_OK
}

/// `PROBE_UPPER`, an input filter: the body as the handler reads it, upper-cased.
extern "C" fn upper_read(
    f: *mut MapacheFilter,
    _req: *mut MapacheRequest,
    buf: *mut u8,
    cap: usize,
) -> isize {
    let n = (host().filter_read)(f, buf, cap);
    if n > 0 {
        // SAFETY: the core's buffer of `cap` bytes, of which `n` were just filled.
        let got = unsafe { std::slice::from_raw_parts_mut(buf, n as usize) };
        got.make_ascii_uppercase();
    }
    n
}

/// Passes `b` on transformed by `f` (file ranges are read and passed on as bytes).
fn transform(f: *mut MapacheFilter, b: *const MapacheBucket, change: fn(&[u8]) -> Vec<u8>) -> i32 {
    use std::os::unix::fs::FileExt;
    let h = host();
    // SAFETY: the core's bucket, valid for the call.
    let b = unsafe { &*b };
    let pass = |data: &[u8]| {
        let out = change(data);
        let bucket = MapacheBucket {
            kind: MAPACHE_BUCKET_BYTES,
            fd: -1,
            data: s(&out),
            offset: 0,
            length: 0,
        };
        (h.filter_pass)(f, &bucket)
    };
    match b.kind {
        MAPACHE_BUCKET_BYTES => pass(bytes(b.data)),
        MAPACHE_BUCKET_FILE => {
            // SAFETY: the fd is the core's (or the handler's) for the call; never closed here.
            let file = std::mem::ManuallyDrop::new(unsafe {
                <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(b.fd)
            });
            let mut buf = vec![0u8; 16384];
            let mut done = 0u64;
            while done < b.length {
                let want = (b.length - done).min(buf.len() as u64) as usize;
                match file.read_at(&mut buf[..want], b.offset + done) {
                    Ok(0) | Err(_) => return MAPACHE_ERROR,
                    Ok(n) => {
                        if pass(&buf[..n]) != MAPACHE_OK {
                            return MAPACHE_ERROR;
                        }
                        done += n as u64;
                    }
                }
            }
            MAPACHE_OK
        }
        _ => (h.filter_pass)(f, b),
    }
}

/// `PROBE_STARS`, a body filter that turns every byte into `*` (so the length stays).
extern "C" fn stars_body(
    f: *mut MapacheFilter,
    _req: *mut MapacheRequest,
    b: *const MapacheBucket,
) -> i32 {
    transform(f, b, |d| vec![b'*'; d.len()])
}

/// `PROBE_DOUBLE`, a body filter that writes every byte twice (the length changes).
extern "C" fn double_body(
    f: *mut MapacheFilter,
    _req: *mut MapacheRequest,
    b: *const MapacheBucket,
) -> i32 {
    transform(f, b, |d| d.iter().flat_map(|&c| [c, c]).collect())
}

extern "C" fn init(
    host: *const MapacheHost,
    _config: *const MapacheConfig,
    _err: *mut c_char,
    _err_cap: usize,
) -> i32 {
    HOST.store(host.cast_mut(), Ordering::Release);
    MAPACHE_OK
}

const fn hook(phase: u32, order: i32, func: MapachePhaseFn) -> MapacheHook {
    MapacheHook {
        phase,
        order,
        func: Some(func),
        predecessors: std::ptr::null(),
        successors: std::ptr::null(),
    }
}

static HOOKS: [MapacheHook; 6] = [
    hook(MAPACHE_PHASE_AUTHN, MAPACHE_ORDER_MIDDLE, authn),
    hook(
        MAPACHE_PHASE_POST_READ_REQUEST,
        MAPACHE_ORDER_MIDDLE,
        post_read,
    ),
    hook(MAPACHE_PHASE_TRANSLATE, MAPACHE_ORDER_MIDDLE, translate),
    // Before mod-static (a legacy handler at MIDDLE), so its decline is undone before it runs.
    hook(MAPACHE_PHASE_HANDLER, MAPACHE_ORDER_FIRST, decline),
    hook(MAPACHE_PHASE_HANDLER, MAPACHE_ORDER_MIDDLE, named),
    hook(MAPACHE_PHASE_FIXUPS, MAPACHE_ORDER_MIDDLE, fixups),
];

/// A static table of C strings.
#[repr(transparent)]
struct Names([*const c_char; 5]);
// SAFETY: pointers to static, immutable strings.
unsafe impl Sync for Names {}

static HANDLER_NAMES: Names = Names([
    c"probe-decline".as_ptr(),
    c"default-handler".as_ptr(),
    c"probe-redirect".as_ptr(),
    c"probe-lookup".as_ptr(),
    c"probe-echo".as_ptr(),
]);

static FILTERS: [MapacheFilterDef; 4] = [
    MapacheFilterDef {
        name: c"PROBE_HEADER".as_ptr(),
        direction: MAPACHE_FILTER_OUTPUT,
        class: MAPACHE_FILTER_PROTOCOL,
        flags: MAPACHE_FILTER_KEEPS_LENGTH,
        headers: Some(probe_headers),
        body: None,
        read: None,
        done: None,
    },
    MapacheFilterDef {
        name: c"PROBE_STARS".as_ptr(),
        direction: MAPACHE_FILTER_OUTPUT,
        class: MAPACHE_FILTER_RESOURCE,
        flags: MAPACHE_FILTER_KEEPS_LENGTH,
        headers: None,
        body: Some(stars_body),
        read: None,
        done: None,
    },
    MapacheFilterDef {
        name: c"PROBE_DOUBLE".as_ptr(),
        direction: MAPACHE_FILTER_OUTPUT,
        class: MAPACHE_FILTER_RESOURCE,
        flags: 0,
        headers: None,
        body: Some(double_body),
        read: None,
        done: None,
    },
    MapacheFilterDef {
        name: c"PROBE_UPPER".as_ptr(),
        direction: MAPACHE_FILTER_INPUT,
        class: MAPACHE_FILTER_RESOURCE,
        flags: 0,
        headers: None,
        body: None,
        read: Some(upper_read),
        done: None,
    },
];

static PROVIDERS: [MapacheAuthzProvider; 1] = [MapacheAuthzProvider {
    name: c"probe-user".as_ptr(),
    check: Some(probe_user_check),
    authorize: Some(probe_user),
}];

static DIRECTIVES: [MapacheDirective; 2] = [
    MapacheDirective {
        name: c"ProbeAlias".as_ptr(),
        args: MAPACHE_TAKE2,
        contexts: MAPACHE_CTX_SERVER,
        help: c"ProbeAlias /url/path /absolute/file".as_ptr(),
    },
    MapacheDirective {
        name: c"ProbeDecline".as_ptr(),
        args: MAPACHE_NO_ARGS,
        contexts: MAPACHE_CTX_ANY,
        help: c"ProbeDecline: the probe's handler writes junk and declines here".as_ptr(),
    },
];

/// The descriptor (LoadModule pipeline_probe_module …).
#[no_mangle]
pub static pipeline_probe_module: MapacheModule = MapacheModule {
    magic: MAPACHE_MODULE_MAGIC,
    abi_major: MAPACHE_ABI_MAJOR,
    abi_minor: MAPACHE_ABI_MINOR,
    struct_size: std::mem::size_of::<MapacheModule>() as u32,
    kind: MAPACHE_KIND_HANDLER,
    name: c"pipeline_probe".as_ptr(),
    version: c"0.1.0".as_ptr(),
    directives: &DIRECTIVES as *const [MapacheDirective; 2] as *const MapacheDirective,
    directive_count: 2,
    init: Some(init),
    hooks: HOOKS.as_ptr(),
    hook_count: HOOKS.len(),
    handler_names: HANDLER_NAMES.0.as_ptr(),
    handler_name_count: HANDLER_NAMES.0.len(),
    filters: FILTERS.as_ptr(),
    filter_count: FILTERS.len(),
    authz_providers: &PROVIDERS as *const [MapacheAuthzProvider; 1] as *const MapacheAuthzProvider,
    authz_provider_count: 1,
    ..MapacheModule::PRE_1_4
};

/// A second descriptor offering only the `probe-user` provider, without the authn hook: a
/// request it needs a user for finds no module to identify one.
#[no_mangle]
pub static probe_provider_only_module: MapacheModule = MapacheModule {
    magic: MAPACHE_MODULE_MAGIC,
    abi_major: MAPACHE_ABI_MAJOR,
    abi_minor: MAPACHE_ABI_MINOR,
    struct_size: std::mem::size_of::<MapacheModule>() as u32,
    kind: MAPACHE_KIND_HANDLER,
    name: c"probe_provider_only".as_ptr(),
    version: c"0.1.0".as_ptr(),
    init: Some(init),
    authz_providers: &PROVIDERS as *const [MapacheAuthzProvider; 1] as *const MapacheAuthzProvider,
    authz_provider_count: 1,
    ..MapacheModule::PRE_1_4
};
