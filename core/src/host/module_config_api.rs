//! Typed module configuration (ABI 1.4): the objects modules made for their scopes, merged.

use crate::config::store::View;
use crate::server;
use mapache_plugin_api::abi::{MapacheConfig, MapacheModule, MapacheRequest};
use std::ffi::c_void;

/// The index of the module whose descriptor is `module` among the handler modules.
fn module_index(module: *const MapacheModule) -> Option<usize> {
    server::get()
        .handlers
        .iter()
        .position(|m| std::ptr::eq(m.ptr, module))
}

pub(super) extern "C" fn config_module(
    config: *const MapacheConfig,
    module: *const MapacheModule,
) -> *const c_void {
    let Some(i) = module_index(module) else {
        return std::ptr::null();
    };
    // SAFETY: handles given to modules are views owned by the server or by a live request.
    let Some(view) = (unsafe { (config as *const View).as_ref() }) else {
        return std::ptr::null();
    };
    let srv = server::get();
    let pipeline = &srv.pipeline;
    if view.sections.is_empty() {
        return pipeline.scopes.server().modules[i];
    }
    match pipeline
        .scopes
        .of(view, &srv.store, &srv.handlers, &pipeline.filters)
    {
        crate::pipeline::scope::ScopeRef::Shared(m) => m.modules[i],
        // Past the cache's bound nothing would keep the object alive: the module gets the
        // server level's instead of a dangling one (config_module outside a request is rare;
        // requests use req_module_config).
        crate::pipeline::scope::ScopeRef::Own(..) => pipeline.scopes.server().modules[i],
    }
}

pub(super) extern "C" fn req_module_config(
    r: *const MapacheRequest,
    module: *const MapacheModule,
) -> *const c_void {
    let Some(i) = module_index(module) else {
        return std::ptr::null();
    };
    let req = super::request(r);
    req.scope
        .modules
        .get(i)
        .copied()
        .unwrap_or(std::ptr::null())
}
