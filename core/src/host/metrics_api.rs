//! Metrics and the status page's module sections (ABI 1.4).

use mapache_plugin_api::abi::{
    MapacheMetric, MapacheModule, MapacheRequest, MapacheStr, MAPACHE_ERROR,
};

pub(super) extern "C" fn metric_register(
    _module: *const MapacheModule,
    _kind: u32,
    _name: MapacheStr,
    _help: MapacheStr,
    _bounds: *const u64,
    _bound_count: usize,
) -> i32 {
    MAPACHE_ERROR
}

pub(super) extern "C" fn metric_add(_id: i32, _delta: i64) {}

pub(super) extern "C" fn metric_observe(_id: i32, _value: u64) {}

pub(super) extern "C" fn metric_count() -> u32 {
    0
}

pub(super) extern "C" fn metric_get(_id: i32, _out: *mut MapacheMetric) -> i32 {
    MAPACHE_ERROR
}

pub(super) extern "C" fn status_sections(_req: *mut MapacheRequest, _format: u32) -> i32 {
    MAPACHE_ERROR
}
