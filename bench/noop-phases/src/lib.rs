//! Modules that register a no-op in every phase (see README.md), for `bench/pipeline`.

use mapache_plugin_api::abi::*;
use std::ffi::c_char;
use std::sync::atomic::{AtomicPtr, Ordering};

static HOST: AtomicPtr<MapacheHost> = AtomicPtr::new(std::ptr::null_mut());

extern "C" fn init(
    host: *const MapacheHost,
    _: *const MapacheConfig,
    _: *mut c_char,
    _: usize,
) -> i32 {
    HOST.store(host as *mut MapacheHost, Ordering::Release);
    MAPACHE_OK
}

extern "C" fn nothing(_: *mut MapacheRequest) -> i32 {
    MAPACHE_DECLINED
}

extern "C" fn pass(f: *mut MapacheFilter, _: *mut MapacheRequest, b: *const MapacheBucket) -> i32 {
    // SAFETY: init stored the core's table, which lives for the process.
    let host = unsafe { &*HOST.load(Ordering::Acquire) };
    (host.filter_pass)(f, b)
}

const fn hook(phase: u32) -> MapacheHook {
    MapacheHook {
        phase,
        order: MAPACHE_ORDER_MIDDLE,
        func: Some(nothing),
        predecessors: std::ptr::null(),
        successors: std::ptr::null(),
    }
}

static HOOKS: [MapacheHook; 9] = [
    hook(MAPACHE_PHASE_POST_READ_REQUEST),
    hook(MAPACHE_PHASE_TRANSLATE),
    hook(MAPACHE_PHASE_MAP_TO_STORAGE),
    hook(MAPACHE_PHASE_ACCESS),
    hook(MAPACHE_PHASE_AUTHN),
    hook(MAPACHE_PHASE_FIXUPS),
    hook(MAPACHE_PHASE_INSERT_FILTER),
    hook(MAPACHE_PHASE_HANDLER),
    hook(MAPACHE_PHASE_LOG),
];

static FILTERS: [MapacheFilterDef; 1] = [MapacheFilterDef {
    name: c"PASS".as_ptr(),
    direction: MAPACHE_FILTER_OUTPUT,
    class: MAPACHE_FILTER_RESOURCE,
    flags: MAPACHE_FILTER_KEEPS_LENGTH,
    headers: None,
    body: Some(pass),
    read: None,
    done: None,
}];

const fn module(name: *const c_char, filters: usize) -> MapacheModule {
    MapacheModule {
        magic: MAPACHE_MODULE_MAGIC,
        abi_major: MAPACHE_ABI_MAJOR,
        abi_minor: MAPACHE_ABI_MINOR,
        struct_size: std::mem::size_of::<MapacheModule>() as u32,
        kind: MAPACHE_KIND_HANDLER,
        name,
        version: c"0".as_ptr(),
        init: Some(init),
        hooks: HOOKS.as_ptr(),
        hook_count: HOOKS.len(),
        filters: if filters > 0 {
            FILTERS.as_ptr()
        } else {
            std::ptr::null()
        },
        filter_count: filters,
        ..MapacheModule::PRE_1_4
    }
}

/// The first no-op module; it also offers the `PASS` filter.
#[no_mangle]
pub static noop1_module: MapacheModule = module(c"noop1".as_ptr(), 1);
/// A no-op module.
#[no_mangle]
pub static noop2_module: MapacheModule = module(c"noop2".as_ptr(), 0);
/// A no-op module.
#[no_mangle]
pub static noop3_module: MapacheModule = module(c"noop3".as_ptr(), 0);
/// A no-op module.
#[no_mangle]
pub static noop4_module: MapacheModule = module(c"noop4".as_ptr(), 0);
/// A no-op module.
#[no_mangle]
pub static noop5_module: MapacheModule = module(c"noop5".as_ptr(), 0);
