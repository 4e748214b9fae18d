//! Metrics and the status page's module sections (ABI 1.4). See [`crate::metrics`].

use super::arg_text;
use crate::logs::error_log;
use crate::metrics;
use mapache_plugin_api::abi::{
    MapacheMetric, MapacheModule, MapacheRequest, MapacheStr, MAPACHE_ERROR, MAPACHE_OK,
};

/// The loaded module whose descriptor is at `module`, by name.
fn module_name(module: *const MapacheModule) -> Option<&'static str> {
    let srv = crate::server::try_get()?;
    std::iter::once(&srv.mpm)
        .chain(&srv.handlers)
        .find(|m| std::ptr::eq(m.ptr, module))
        .map(|m| m.name.as_str())
}

pub(super) extern "C" fn metric_register(
    module: *const MapacheModule,
    kind: u32,
    name: MapacheStr,
    help: MapacheStr,
    bounds: *const u64,
    bound_count: usize,
) -> i32 {
    // SAFETY: the module passes strings valid for the call.
    let (name, help) = unsafe { (arg_text(name), arg_text(help)) };
    let bounds: &[u64] = if bounds.is_null() || bound_count == 0 {
        &[]
    } else if bound_count > mapache_plugin_api::abi::MAPACHE_METRIC_MAX_BUCKETS {
        // Refused below without reading past what the ABI allows.
        &[0; mapache_plugin_api::abi::MAPACHE_METRIC_MAX_BUCKETS + 1]
    } else {
        // SAFETY: the module passes `bound_count` readable bounds.
        unsafe { std::slice::from_raw_parts(bounds, bound_count) }
    };
    let Some(owner) = module_name(module) else {
        error_log::log(
            "core",
            error_log::ERROR,
            None,
            &format!("metric {name}: metric_register needs the module's own descriptor"),
        );
        return MAPACHE_ERROR;
    };
    match metrics::register(owner, kind, &name, &help, bounds) {
        Ok(id) => id,
        Err(e) => {
            error_log::log(owner, error_log::ERROR, None, &e);
            MAPACHE_ERROR
        }
    }
}

pub(super) extern "C" fn metric_add(id: i32, delta: i64) {
    metrics::add(id, delta);
}

pub(super) extern "C" fn metric_observe(id: i32, value: u64) {
    metrics::observe(id, value);
}

pub(super) extern "C" fn metric_count() -> u32 {
    metrics::count()
}

pub(super) extern "C" fn metric_get(id: i32, out: *mut MapacheMetric) -> i32 {
    match metrics::get(id) {
        // SAFETY: the caller passes a struct at least `struct_size` bytes long.
        Some(m) if unsafe { crate::scoreboard::copy_clamped(&m, out) } => MAPACHE_OK,
        _ => MAPACHE_ERROR,
    }
}

pub(super) extern "C" fn status_sections(req: *mut MapacheRequest, format: u32) -> i32 {
    if req.is_null() {
        return MAPACHE_ERROR;
    }
    // SAFETY: the core passes a live RequestCtx into the handler that calls this, on this thread.
    let req = unsafe { &mut *(req as *mut crate::serve::request::RequestCtx<'_>) };
    if metrics::sections::write_all(req, format) {
        MAPACHE_OK
    } else {
        MAPACHE_ERROR
    }
}
