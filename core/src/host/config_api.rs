//! Configuration queries: a `MapacheConfig` handle is a [`View`] over the server's store.

use super::{abi_str, arg_bytes};
use crate::config::store::View;
use crate::server;
use mapache_plugin_api::abi::{MapacheConfig, MapacheDirectiveValue, MapacheStr};

fn view<'a>(config: *const MapacheConfig) -> Option<&'a View> {
    // SAFETY: handles given to modules are views owned by the server or by a live request.
    unsafe { (config as *const View).as_ref() }
}

pub(super) extern "C" fn config_count(config: *const MapacheConfig, name: MapacheStr) -> usize {
    let Some(v) = view(config) else { return 0 };
    // SAFETY: valid for the call.
    let name = unsafe { arg_bytes(name) };
    v.occurrences(&server::get().store, name).count()
}

pub(super) extern "C" fn config_get(
    config: *const MapacheConfig,
    name: MapacheStr,
    index: usize,
    out: *mut MapacheDirectiveValue,
) -> i32 {
    let Some(v) = view(config) else { return 0 };
    if out.is_null() {
        return 0;
    }
    // SAFETY: valid for the call.
    let name = unsafe { arg_bytes(name) };
    let found = v.occurrences(&server::get().store, name).nth(index);
    match found {
        Some(o) => {
            // SAFETY: `out` is the module's writable struct; the values point into the store,
            // which lives as long as the process.
            unsafe {
                *out = MapacheDirectiveValue {
                    args: o.abi_args.as_ptr(),
                    nargs: o.abi_args.len(),
                    file: abi_str(o.file.as_bytes()),
                    line: o.line,
                }
            };
            1
        }
        None => 0,
    }
}
