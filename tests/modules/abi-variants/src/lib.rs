//! Descriptors the loader must refuse (or, for `fake_mpm_module`, accept as a second MPM so that
//! "More than one MPM loaded" can be tested). Written by hand, without the SDK macro, as a module
//! built against another ABI would be.

use mapache_plugin_api::abi::*;
use std::ffi::c_char;
use std::sync::atomic::{AtomicPtr, Ordering};

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
        check_directive: None,
        ..MapacheModule::PRE_1_4
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

/// The size of a descriptor built against ABI 1.0: everything before the fields 1.1 appended.
const SIZE_1_0: u32 = std::mem::offset_of!(MapacheModule, check_directive) as u32;

/// One directive, so a core that wrongly read `check_directive` past the declared size would call
/// `garbage_check` (and abort) when the configuration uses it.
static OLD_DIRECTIVES: [MapacheDirective; 1] = [MapacheDirective {
    name: c"OldGreeting".as_ptr(),
    args: MAPACHE_TAKE1,
    contexts: MAPACHE_CTX_ANY,
    help: c"a directive of a module built against ABI 1.0".as_ptr(),
}];

static OLD_HOST: AtomicPtr<MapacheHost> = AtomicPtr::new(std::ptr::null_mut());

extern "C" fn old_init(
    host: *const MapacheHost,
    _: *const MapacheConfig,
    _: *mut c_char,
    _: usize,
) -> i32 {
    OLD_HOST.store(host as *mut MapacheHost, Ordering::Release);
    MAPACHE_OK
}

extern "C" fn old_handle(req: *mut MapacheRequest) -> i32 {
    // SAFETY: set in init; the core keeps the table alive for the process.
    let host = unsafe { &*OLD_HOST.load(Ordering::Acquire) };
    let handler = (host.req_handler)(req);
    // SAFETY: the core's string is valid during the call.
    if unsafe { std::slice::from_raw_parts(handler.ptr, handler.len) } != b"old-abi" {
        return MAPACHE_DECLINED;
    }
    let body = b"built against ABI 1.0\n";
    (host.resp_set_content_length)(req, body.len() as u64);
    (host.resp_write)(
        req,
        MapacheStr {
            ptr: body.as_ptr(),
            len: body.len(),
        },
    );
    MAPACHE_OK
}

/// A handler as a module built against ABI 1.0 exports it: minor 0, and a struct that ends where
/// 1.1's appended fields begin. The core must load it and treat the missing fields as absent.
/// (Declared as the current struct so Rust can name it; only `SIZE_1_0` bytes are meaningful.)
#[no_mangle]
pub static old_minor_module: MapacheModule = MapacheModule {
    magic: MAPACHE_MODULE_MAGIC,
    abi_major: MAPACHE_ABI_MAJOR,
    abi_minor: 0,
    struct_size: SIZE_1_0,
    kind: MAPACHE_KIND_HANDLER,
    name: c"old_minor".as_ptr(),
    version: VERSION,
    directives: OLD_DIRECTIVES.as_ptr(),
    directive_count: OLD_DIRECTIVES.len(),
    init: Some(old_init),
    child_init: None,
    handle: Some(old_handle),
    mpm_flags: 0,
    mpm_run: None,
    // Garbage past the declared size: the core must not read it.
    check_directive: Some(garbage_check),
    hooks: std::ptr::dangling::<MapacheHook>(),
    hook_count: usize::MAX,
    ..MapacheModule::PRE_1_4
};

extern "C" fn garbage_check(
    _: MapacheStr,
    _: *const MapacheStr,
    _: usize,
    _: *mut c_char,
    _: usize,
) -> i32 {
    std::process::abort()
}
