//! Descriptors the loader must refuse (or, for `fake_mpm_module`, accept as a second MPM so that
//! "More than one MPM loaded" can be tested). Written by hand, without the SDK macro, as a module
//! built against another ABI would be.

use mapache_plugin_api::abi::*;
use std::ffi::c_char;

const NAME: *const c_char = c"variant".as_ptr();
const VERSION: *const c_char = c"9.9.9".as_ptr();

extern "C" fn never_run(_: *const MapacheRunInfo) -> i32 {
    MAPACHE_MPM_FAILED
}

const fn variant(magic: u32, major: u16, minor: u16, size: u32, kind: u32) -> MapacheModule {
    MapacheModule {
        magic,
        abi_major: major,
        abi_minor: minor,
        struct_size: size,
        kind,
        name: NAME,
        version: VERSION,
        directives: std::ptr::null(),
        directive_count: 0,
        init: None,
        child_init: None,
        handle: None,
        mpm_flags: MAPACHE_MPM_FORKED,
        mpm_run: Some(never_run),
    }
}

const SIZE: u32 = std::mem::size_of::<MapacheModule>() as u32;

/// Not a mapache descriptor at all.
#[no_mangle]
pub static bad_magic_module: MapacheModule = variant(
    0x1234_5678,
    MAPACHE_ABI_MAJOR,
    0,
    SIZE,
    MAPACHE_KIND_HANDLER,
);
/// Built against a future major.
#[no_mangle]
pub static other_major_module: MapacheModule = variant(
    MAPACHE_MODULE_MAGIC,
    MAPACHE_ABI_MAJOR + 1,
    0,
    SIZE,
    MAPACHE_KIND_HANDLER,
);
/// Built against a minor this core does not know.
#[no_mangle]
pub static future_minor_module: MapacheModule = variant(
    MAPACHE_MODULE_MAGIC,
    MAPACHE_ABI_MAJOR,
    MAPACHE_ABI_MINOR + 7,
    SIZE,
    MAPACHE_KIND_HANDLER,
);
/// Declares a size smaller than its minor's fields.
#[no_mangle]
pub static truncated_module: MapacheModule = variant(
    MAPACHE_MODULE_MAGIC,
    MAPACHE_ABI_MAJOR,
    0,
    16,
    MAPACHE_KIND_HANDLER,
);
/// A well-formed second MPM.
#[no_mangle]
pub static fake_mpm_module: MapacheModule = variant(
    MAPACHE_MODULE_MAGIC,
    MAPACHE_ABI_MAJOR,
    MAPACHE_ABI_MINOR,
    SIZE,
    MAPACHE_KIND_MPM,
);
