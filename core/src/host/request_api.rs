//! Request and response functions: a `MapacheRequest` handle is a live [`RequestCtx`] on the
//! calling thread's stack, valid during `handle` only.

use super::{abi_str, arg_bytes, arg_text};
use crate::config::store::View;
use crate::serve::request::RequestCtx;
use crate::storage::Kind;
use mapache_plugin_api::abi::{
    MapacheConfig, MapacheFile, MapacheRequest, MapacheStr, MAPACHE_ERROR, MAPACHE_FILE_DIRECTORY,
    MAPACHE_FILE_NONE, MAPACHE_FILE_OTHER, MAPACHE_FILE_REGULAR, MAPACHE_OK,
};
use std::os::fd::AsRawFd;

use super::{request as req, request_mut as req_mut};

fn status(ok: bool) -> i32 {
    if ok {
        MAPACHE_OK
    } else {
        MAPACHE_ERROR
    }
}

pub(super) extern "C" fn req_method(r: *const MapacheRequest) -> MapacheStr {
    abi_str(req(r).head.method.as_bytes())
}

pub(super) extern "C" fn req_uri(r: *const MapacheRequest) -> MapacheStr {
    abi_str(req(r).head.target.as_bytes())
}

pub(super) extern "C" fn req_path(r: *const MapacheRequest) -> MapacheStr {
    abi_str(&req(r).head.path)
}

pub(super) extern "C" fn req_query(r: *const MapacheRequest) -> MapacheStr {
    abi_str(req(r).head.query.as_bytes())
}

pub(super) extern "C" fn req_protocol(r: *const MapacheRequest) -> MapacheStr {
    abi_str(req(r).head.version.as_str().as_bytes())
}

pub(super) extern "C" fn req_header(
    r: *const MapacheRequest,
    name: MapacheStr,
    value: *mut MapacheStr,
) -> i32 {
    // SAFETY: valid for the call.
    let name = unsafe { arg_text(name) };
    match req(r).head.header(&name) {
        Some(v) if !value.is_null() => {
            // SAFETY: `value` is the module's writable struct.
            unsafe { *value = abi_str(v) };
            1
        }
        Some(_) => 1,
        None => 0,
    }
}

pub(super) extern "C" fn req_header_count(r: *const MapacheRequest) -> usize {
    req(r).head.headers.len()
}

pub(super) extern "C" fn req_header_at(
    r: *const MapacheRequest,
    index: usize,
    name: *mut MapacheStr,
    value: *mut MapacheStr,
) -> i32 {
    match req(r).head.headers.get(index) {
        Some((n, v)) => {
            // SAFETY: out-pointers are the module's, checked for null.
            unsafe {
                if !name.is_null() {
                    *name = abi_str(n.as_bytes());
                }
                if !value.is_null() {
                    *value = abi_str(v);
                }
            }
            1
        }
        None => 0,
    }
}

pub(super) extern "C" fn req_handler(r: *const MapacheRequest) -> MapacheStr {
    abi_str(req(r).handler.as_bytes())
}

pub(super) extern "C" fn req_config(r: *const MapacheRequest) -> *const MapacheConfig {
    &req(r).view as *const View as *const MapacheConfig
}

pub(super) extern "C" fn req_client_ip(r: *const MapacheRequest) -> MapacheStr {
    abi_str(req(r).client_ip().as_bytes())
}

pub(super) extern "C" fn req_read_body(r: *mut MapacheRequest, buf: *mut u8, cap: usize) -> isize {
    if buf.is_null() {
        return -1;
    }
    // SAFETY: the module owns `cap` writable bytes at `buf` for the call.
    let dst = unsafe { std::slice::from_raw_parts_mut(buf, cap) };
    match req_mut(r).read_body(dst) {
        Ok(n) => n as isize,
        Err(_) => -1,
    }
}

pub(super) extern "C" fn req_log(
    r: *const MapacheRequest,
    module: MapacheStr,
    level: i32,
    msg: MapacheStr,
) {
    // SAFETY: valid for the call.
    let (module, msg) = unsafe { (arg_text(module), arg_text(msg)) };
    req(r).log(&module, level, &msg);
}

pub(super) extern "C" fn resp_set_status(r: *mut MapacheRequest, code: u16) {
    let r = req_mut(r);
    if (100..=599).contains(&code) && !r.head_sent() {
        r.status = code;
        r.changes += 1;
    }
}

/// As `arg_text`, checking UTF-8 with the fast validator first: headers are set several times
/// per request, and nearly always valid.
///
/// # Safety
/// As `arg_text`.
unsafe fn header_text<'a>(s: MapacheStr) -> std::borrow::Cow<'a, str> {
    let bytes = arg_bytes(s);
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

fn header(r: *mut MapacheRequest, name: MapacheStr, value: MapacheStr, add: bool) -> i32 {
    // SAFETY: valid for the call.
    let (name, value) = unsafe { (header_text(name), header_text(value)) };
    let r = req_mut(r);
    if r.head_sent() {
        return MAPACHE_ERROR;
    }
    r.set_header(&name, &value, add);
    MAPACHE_OK
}

pub(super) extern "C" fn resp_set_header(
    r: *mut MapacheRequest,
    name: MapacheStr,
    value: MapacheStr,
) -> i32 {
    header(r, name, value, false)
}

pub(super) extern "C" fn resp_add_header(
    r: *mut MapacheRequest,
    name: MapacheStr,
    value: MapacheStr,
) -> i32 {
    header(r, name, value, true)
}

pub(super) extern "C" fn resp_set_content_length(r: *mut MapacheRequest, length: u64) {
    req_mut(r).set_content_length(length);
}

pub(super) extern "C" fn resp_write(r: *mut MapacheRequest, data: MapacheStr) -> i32 {
    // SAFETY: valid for the call; copied before returning.
    let data = unsafe { arg_bytes(data) };
    status(req_mut(r).write(data))
}

pub(super) extern "C" fn resp_sendfile(
    r: *mut MapacheRequest,
    fd: i32,
    offset: u64,
    length: u64,
) -> i32 {
    status(req_mut(r).sendfile(fd, offset, length))
}

pub(super) extern "C" fn req_map(
    r: *mut MapacheRequest,
    url_path: MapacheStr,
    out: *mut MapacheFile,
) -> i32 {
    if !file_struct_ok(out) {
        return MAPACHE_ERROR;
    }
    // SAFETY: valid for the call.
    let url = unsafe { arg_bytes(url_path) };
    if !url.starts_with(b"/") {
        return MAPACHE_ERROR;
    }
    let req = req_mut(r);
    match crate::pipeline::lookup::map_path(req, url) {
        Ok(i) => {
            fill_file(req, i, out);
            MAPACHE_OK
        }
        Err(status) => i32::from(status),
    }
}

/// Fills a module's `MapacheFile` from mapping `i` of the request.
fn fill_file(req: &RequestCtx<'_>, i: usize, out: *mut MapacheFile) {
    let m = &req.mapped[i];
    let (kind, error) = match m.kind {
        Kind::None(errno) => (MAPACHE_FILE_NONE, errno),
        Kind::File => (MAPACHE_FILE_REGULAR, 0),
        Kind::Directory => (MAPACHE_FILE_DIRECTORY, 0),
        Kind::Other => (MAPACHE_FILE_OTHER, 0),
    };
    let fd = m.file.as_ref().map_or(-1, |f| f.as_raw_fd());
    // SAFETY: the caller checked `out`; the strings live in `req.mapped` until the request ends.
    unsafe {
        (*out).kind = kind;
        (*out).fd = fd;
        (*out).error = error;
        (*out).path = abi_str(&m.real);
        (*out).requested = abi_str(&m.requested);
        (*out).size = m.size;
        (*out).mtime_ns = m.mtime_ns;
    }
}

/// Whether `out` is a module struct large enough for every field of 1.3.
fn file_struct_ok(out: *const MapacheFile) -> bool {
    // SAFETY: `out`, when not null, is the module's struct of at least `struct_size` bytes.
    !out.is_null() && (unsafe { (*out).struct_size } as usize) >= size_of::<MapacheFile>()
}

pub(super) extern "C" fn req_set_uri(r: *mut MapacheRequest, uri: MapacheStr) -> i32 {
    // SAFETY: valid for the call.
    let uri = unsafe { arg_bytes(uri) };
    match req_mut(r).set_uri(uri) {
        Ok(()) => MAPACHE_OK,
        Err(status) => i32::from(status),
    }
}

pub(super) extern "C" fn req_filename(r: *const MapacheRequest) -> MapacheStr {
    let req = req(r);
    match (&req.filename, req.mapped.first()) {
        (Some(f), _) => abi_str(f),
        (None, Some(m)) => abi_str(&m.requested),
        (None, None) => abi_str(b""),
    }
}

pub(super) extern "C" fn req_set_filename(r: *mut MapacheRequest, path: MapacheStr) -> i32 {
    // SAFETY: valid for the call.
    let path = unsafe { arg_bytes(path) };
    if !path.starts_with(b"/") || path.contains(&0) {
        return MAPACHE_ERROR;
    }
    req_mut(r).filename = Some(crate::storage::path::normalize(path));
    MAPACHE_OK
}

pub(super) extern "C" fn req_internal_redirect(r: *mut MapacheRequest, uri: MapacheStr) -> i32 {
    // SAFETY: valid for the call.
    let uri = unsafe { arg_bytes(uri) };
    let req = req_mut(r);
    if !uri.starts_with(b"/") {
        return 400;
    }
    match std::str::from_utf8(uri) {
        Ok(u) => {
            req.redirect = Some(u.to_owned());
            MAPACHE_OK
        }
        Err(_) => 400,
    }
}

pub(super) extern "C" fn req_lookup(
    r: *mut MapacheRequest,
    uri: MapacheStr,
    out: *mut MapacheFile,
) -> i32 {
    if !file_struct_ok(out) {
        return MAPACHE_ERROR;
    }
    // SAFETY: valid for the call.
    let uri = unsafe { arg_bytes(uri) };
    let req = req_mut(r);
    match crate::pipeline::lookup::lookup(req, uri) {
        Ok(i) => {
            fill_file(req, i, out);
            MAPACHE_OK
        }
        Err(status) => i32::from(status),
    }
}

pub(super) extern "C" fn req_local_ip(r: *const MapacheRequest) -> MapacheStr {
    abi_str(req(r).conn.local_ip.as_bytes())
}

pub(super) extern "C" fn req_local_port(r: *const MapacheRequest) -> u32 {
    u32::from(req(r).conn.local_port)
}

pub(super) extern "C" fn req_client_port(r: *const MapacheRequest) -> u32 {
    u32::from(req(r).conn.peer_port)
}

pub(super) extern "C" fn req_scheme(_r: *const MapacheRequest) -> MapacheStr {
    abi_str(b"http")
}

pub(super) extern "C" fn req_server_name(r: *const MapacheRequest) -> MapacheStr {
    abi_str(req(r).server_name())
}

pub(super) extern "C" fn req_user(r: *const MapacheRequest) -> MapacheStr {
    abi_str(req(r).user.as_deref().unwrap_or("").as_bytes())
}

pub(super) extern "C" fn req_set_user(r: *mut MapacheRequest, user: MapacheStr) -> i32 {
    // SAFETY: valid for the call.
    let user = unsafe { arg_bytes(user) };
    if user.is_empty() || user.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0) {
        return MAPACHE_ERROR;
    }
    req_mut(r).user = Some(String::from_utf8_lossy(user).into_owned());
    MAPACHE_OK
}

pub(super) extern "C" fn req_body_framing(r: *const MapacheRequest, length: *mut u64) -> u32 {
    use crate::http::BodyFraming;
    match req(r).head.framing {
        BodyFraming::None => mapache_plugin_api::abi::MAPACHE_BODY_NONE,
        BodyFraming::Length(n) => {
            if !length.is_null() {
                // SAFETY: the module's writable u64.
                unsafe { *length = n };
            }
            mapache_plugin_api::abi::MAPACHE_BODY_LENGTH
        }
        BodyFraming::Chunked => mapache_plugin_api::abi::MAPACHE_BODY_CHUNKED,
    }
}

pub(super) extern "C" fn resp_status(r: *const MapacheRequest) -> u32 {
    u32::from(req(r).status)
}

pub(super) extern "C" fn resp_content_length(r: *const MapacheRequest) -> i64 {
    req(r)
        .content_length()
        .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX))
}

pub(super) extern "C" fn resp_bytes_sent(r: *const MapacheRequest) -> u64 {
    req(r).sent_body()
}

pub(super) extern "C" fn req_elapsed_us(r: *const MapacheRequest) -> u64 {
    req(r).elapsed().as_micros() as u64
}

pub(super) extern "C" fn req_set_client_ip(r: *mut MapacheRequest, ip: MapacheStr) -> i32 {
    // SAFETY: valid for the call.
    let ip = unsafe { arg_text(ip) };
    match ip.trim().parse::<std::net::IpAddr>() {
        Ok(ip) => {
            req_mut(r).set_useragent(ip);
            MAPACHE_OK
        }
        Err(_) => MAPACHE_ERROR,
    }
}

pub(super) extern "C" fn req_peer_ip(r: *const MapacheRequest) -> MapacheStr {
    abi_str(req(r).conn.peer_ip.as_bytes())
}

pub(super) extern "C" fn req_set_handler(r: *mut MapacheRequest, name: MapacheStr) -> i32 {
    // SAFETY: valid for the call.
    let name = unsafe { arg_text(name) }.into_owned();
    let req = req_mut(r);
    let srv = req.conn.srv;
    if !name.is_empty() && !srv.pipeline.hooks.takes(&name) {
        return MAPACHE_ERROR;
    }
    req.force_handler(name);
    MAPACHE_OK
}
