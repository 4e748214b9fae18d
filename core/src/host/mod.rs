//! The host table: the only way a module reaches the core. Each function turns an opaque handle
//! back into the core's own type and calls into `serve` or `config`.
//!
//! Handle mapping: `MapacheConfig` is a [`View`], `MapacheRequest` a [`RequestCtx`],
//! `MapacheConn` a boxed [`Connection`].

mod config_api;
mod conn_api;
mod control_api;
mod expr_api;
mod filter_api;
mod metrics_api;
mod module_config_api;
mod request_api;
mod score_api;
mod table_api;

use crate::serve::request::RequestCtx;
use mapache_plugin_api::abi::{
    MapacheHost, MapacheRequest, MapacheStr, MAPACHE_ABI_MAJOR, MAPACHE_ABI_MINOR,
};

/// Borrows bytes as an ABI string.
fn abi_str(bytes: &[u8]) -> MapacheStr {
    MapacheStr {
        ptr: bytes.as_ptr(),
        len: bytes.len(),
    }
}

/// The request a module's `MapacheRequest` handle stands for.
fn request<'a>(r: *const MapacheRequest) -> &'a RequestCtx<'a> {
    // SAFETY: the core passes a pointer to a live RequestCtx into every module call for a
    // request, and modules may use it only during that call, on that thread.
    unsafe { &*(r as *const RequestCtx<'a>) }
}

/// As [`request`], to change it.
fn request_mut<'a>(r: *mut MapacheRequest) -> &'a mut RequestCtx<'a> {
    // SAFETY: as above; the module holds the only use of the handle during the call.
    unsafe { &mut *(r as *mut RequestCtx<'a>) }
}

/// Views an ABI string argument as bytes.
///
/// # Safety
/// `s` must point to `len` readable bytes for the duration of the call.
unsafe fn arg_bytes<'a>(s: MapacheStr) -> &'a [u8] {
    if s.ptr.is_null() || s.len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(s.ptr, s.len)
    }
}

/// As [`arg_bytes`], as text (lossy for invalid UTF-8).
///
/// # Safety
/// As [`arg_bytes`].
unsafe fn arg_text<'a>(s: MapacheStr) -> std::borrow::Cow<'a, str> {
    String::from_utf8_lossy(arg_bytes(s))
}

const SERVER_VERSION: &str = concat!("mapache/", env!("CARGO_PKG_VERSION"));

extern "C" fn log(module: MapacheStr, level: i32, msg: MapacheStr) {
    // SAFETY: the module passes strings valid for the call.
    let (module, msg) = unsafe { (arg_text(module), arg_text(msg)) };
    crate::logs::error_log::log(&module, level, None, &msg);
}

/// The table handed to every module. Static: it outlives every module call.
pub static HOST: MapacheHost = MapacheHost {
    struct_size: std::mem::size_of::<MapacheHost>() as u32,
    abi_major: MAPACHE_ABI_MAJOR,
    abi_minor: MAPACHE_ABI_MINOR,
    server_version: MapacheStr {
        ptr: SERVER_VERSION.as_ptr(),
        len: SERVER_VERSION.len(),
    },
    log,
    config_count: config_api::config_count,
    config_get: config_api::config_get,
    req_method: request_api::req_method,
    req_uri: request_api::req_uri,
    req_path: request_api::req_path,
    req_query: request_api::req_query,
    req_protocol: request_api::req_protocol,
    req_header: request_api::req_header,
    req_header_count: request_api::req_header_count,
    req_header_at: request_api::req_header_at,
    req_handler: request_api::req_handler,
    req_config: request_api::req_config,
    req_client_ip: request_api::req_client_ip,
    req_read_body: request_api::req_read_body,
    req_log: request_api::req_log,
    resp_set_status: request_api::resp_set_status,
    resp_set_header: request_api::resp_set_header,
    resp_add_header: request_api::resp_add_header,
    resp_set_content_length: request_api::resp_set_content_length,
    resp_write: request_api::resp_write,
    resp_sendfile: request_api::resp_sendfile,
    child_init: conn_api::child_init,
    serve_connection: conn_api::serve_connection,
    conn_open: conn_api::conn_open,
    conn_fd: conn_api::conn_fd,
    conn_feed: conn_api::conn_feed,
    conn_process: conn_api::conn_process,
    conn_timeout_ms: conn_api::conn_timeout_ms,
    conn_expire: conn_api::conn_expire,
    conn_close: conn_api::conn_close,
    child_exit: conn_api::child_exit,
    conn_write: conn_api::conn_write,
    score_open: score_api::score_open,
    score_child_started: score_api::score_child_started,
    score_child_exited: score_api::score_child_exited,
    worker_bind: score_api::worker_bind,
    worker_status: score_api::worker_status,
    score_conns: score_api::score_conns,
    score_global: score_api::score_global,
    score_process: score_api::score_process,
    score_worker: score_api::score_worker,
    child_stopping: control_api::child_stopping,
    listeners_close: control_api::listeners_close,
    config_check: control_api::config_check,
    req_map: request_api::req_map,
    req_set_uri: request_api::req_set_uri,
    req_filename: request_api::req_filename,
    req_set_filename: request_api::req_set_filename,
    table_count: table_api::table_count,
    table_at: table_api::table_at,
    table_get: table_api::table_get,
    table_set: table_api::table_set,
    req_internal_redirect: request_api::req_internal_redirect,
    req_lookup: request_api::req_lookup,
    req_local_ip: request_api::req_local_ip,
    req_local_port: request_api::req_local_port,
    req_client_port: request_api::req_client_port,
    req_scheme: request_api::req_scheme,
    req_server_name: request_api::req_server_name,
    req_user: request_api::req_user,
    req_set_user: request_api::req_set_user,
    req_body_framing: request_api::req_body_framing,
    resp_status: request_api::resp_status,
    resp_content_length: request_api::resp_content_length,
    resp_bytes_sent: request_api::resp_bytes_sent,
    req_elapsed_us: request_api::req_elapsed_us,
    req_add_filter: filter_api::req_add_filter,
    filter_pass: filter_api::filter_pass,
    filter_read: filter_api::filter_read,
    filter_state: filter_api::filter_state,
    filter_set_state: filter_api::filter_set_state,
    config_module: module_config_api::config_module,
    req_module_config: module_config_api::req_module_config,
    metric_register: metrics_api::metric_register,
    metric_add: metrics_api::metric_add,
    metric_observe: metrics_api::metric_observe,
    metric_count: metrics_api::metric_count,
    metric_get: metrics_api::metric_get,
    status_sections: metrics_api::status_sections,
    expr_parse: expr_api::expr_parse,
    expr_free: expr_api::expr_free,
    expr_eval: expr_api::expr_eval,
    expr_eval_string: expr_api::expr_eval_string,
    req_var: expr_api::req_var,
    req_set_client_ip: request_api::req_set_client_ip,
    req_peer_ip: request_api::req_peer_ip,
    req_set_handler: request_api::req_set_handler,
};
