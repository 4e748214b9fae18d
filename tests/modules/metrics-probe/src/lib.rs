//! Test-only module for the metrics API (ABI 1.4), written against the raw ABI: in `init` it
//! registers
//!
//! - `probe_hits_total` (counter): requests for `/probe.txt`, counted in the log phase;
//! - `probe_path_bytes` (histogram, bounds 4, 16, 64): the length of those requests' paths;
//! - `probe_children` (gauge): +1 in every child's `child_init`, so the sum over the live
//!   children is their number;
//!
//! and has a status section in every format that shows its hit count.

use mapache_plugin_api::abi::*;
use std::ffi::c_char;
use std::sync::OnceLock;

/// The path whose requests are counted.
const COUNTED_PATH: &[u8] = b"/probe.txt";

struct Probe {
    host: &'static MapacheHost,
    hits: i32,
    path_bytes: i32,
    children: i32,
}

static PROBE: OnceLock<Probe> = OnceLock::new();

fn fail(err: *mut c_char, cap: usize, msg: &str) -> i32 {
    if !err.is_null() && cap > 0 {
        let n = msg.len().min(cap - 1);
        // SAFETY: the core's buffer is `cap` bytes; we write `n + 1 <= cap`.
        unsafe {
            std::ptr::copy_nonoverlapping(msg.as_ptr(), err.cast::<u8>(), n);
            *err.add(n) = 0;
        }
    }
    MAPACHE_ERROR
}

extern "C" fn init(
    host: *const MapacheHost,
    _config: *const MapacheConfig,
    err: *mut c_char,
    err_cap: usize,
) -> i32 {
    // SAFETY: the core's table lives for the whole process.
    let host: &'static MapacheHost = unsafe { &*host };
    let register = |kind: u32, name: &str, help: &str, bounds: &[u64]| {
        let id = (host.metric_register)(
            &metrics_probe_module,
            kind,
            text(name),
            text(help),
            if bounds.is_empty() {
                std::ptr::null()
            } else {
                bounds.as_ptr()
            },
            bounds.len(),
        );
        if id < 0 {
            Err(format!("metric {name} could not be registered"))
        } else {
            Ok(id)
        }
    };
    let registered = (|| {
        Ok::<_, String>(Probe {
            host,
            hits: register(
                MAPACHE_METRIC_COUNTER,
                "probe_hits_total",
                "Requests for /probe.txt.",
                &[],
            )?,
            path_bytes: register(
                MAPACHE_METRIC_HISTOGRAM,
                "probe_path_bytes",
                "Path lengths of the counted requests.",
                &[4, 16, 64],
            )?,
            children: register(
                MAPACHE_METRIC_GAUGE,
                "probe_children",
                "Children that ran this module's child_init and are alive.",
                &[],
            )?,
        })
    })();
    match registered {
        Ok(p) => {
            let _ = PROBE.set(p);
            MAPACHE_OK
        }
        Err(e) => fail(err, err_cap, &e),
    }
}

extern "C" fn child_init() -> i32 {
    if let Some(p) = PROBE.get() {
        (p.host.metric_add)(p.children, 1);
    }
    MAPACHE_OK
}

extern "C" fn log_hook(req: *mut MapacheRequest) -> i32 {
    let Some(p) = PROBE.get() else {
        return MAPACHE_OK;
    };
    let path = (p.host.req_path)(req);
    let path: &[u8] = if path.ptr.is_null() {
        &[]
    } else {
        // SAFETY: the core's string lives for the request.
        unsafe { std::slice::from_raw_parts(path.ptr, path.len) }
    };
    if path == COUNTED_PATH {
        (p.host.metric_add)(p.hits, 1);
        (p.host.metric_observe)(p.path_bytes, path.len() as u64);
    }
    MAPACHE_OK
}

extern "C" fn status_section(req: *mut MapacheRequest, format: u32) -> i32 {
    let Some(p) = PROBE.get() else {
        return MAPACHE_DECLINED;
    };
    // SAFETY: all-zero is a valid MapacheMetric (integers and null strings).
    let mut m: MapacheMetric = unsafe { std::mem::zeroed() };
    m.struct_size = std::mem::size_of::<MapacheMetric>() as u32;
    let hits = if (p.host.metric_get)(p.hits, &mut m) == MAPACHE_OK {
        m.value
    } else {
        -1
    };
    let text = match format {
        MAPACHE_STATUS_HTML => format!("<h2>Probe</h2><p class=\"probe\">probe hits: {hits}</p>\n"),
        MAPACHE_STATUS_JSON => format!("{{\"hits\":{hits}}}"),
        MAPACHE_STATUS_AUTO => format!("ProbeHits: {hits}\n"),
        _ => return MAPACHE_DECLINED,
    };
    (p.host.resp_write)(req, self::text(&text))
}

fn text(s: &str) -> MapacheStr {
    MapacheStr {
        ptr: s.as_ptr(),
        len: s.len(),
    }
}

static HOOKS: [MapacheHook; 1] = [MapacheHook {
    phase: MAPACHE_PHASE_LOG,
    order: MAPACHE_ORDER_MIDDLE,
    func: Some(log_hook),
    predecessors: std::ptr::null(),
    successors: std::ptr::null(),
}];

/// The descriptor named in LoadModule.
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static metrics_probe_module: MapacheModule = MapacheModule {
    magic: MAPACHE_MODULE_MAGIC,
    abi_major: MAPACHE_ABI_MAJOR,
    abi_minor: MAPACHE_ABI_MINOR,
    struct_size: std::mem::size_of::<MapacheModule>() as u32,
    kind: MAPACHE_KIND_HANDLER,
    name: c"probe".as_ptr(),
    version: c"0.1".as_ptr(),
    init: Some(init),
    child_init: Some(child_init),
    hooks: HOOKS.as_ptr(),
    hook_count: HOOKS.len(),
    status_section: Some(status_section),
    ..MapacheModule::PRE_1_4
};
