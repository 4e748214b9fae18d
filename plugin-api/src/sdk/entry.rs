//! The glue behind [`mapache_module!`](crate::mapache_module): every `extern "C"` entry point a
//! module exports calls one of these, which catch panics so none ever crosses the ABI.

use super::config::Config;
use super::host::from_abi;
use super::host::{as_module, log, set_host, Level};
use super::mpm::{MpmContext, MpmExit};
use super::pipeline_entry::Meta;
use super::request::Request;
use super::{HandlerModule, MpmModule};
use crate::abi::{
    self, MapacheConfig, MapacheHost, MapacheModule, MapacheRequest, MapacheRunInfo, MapacheStr,
};
use core::any::TypeId;
use core::ffi::c_char;
use core::sync::atomic::{AtomicPtr, Ordering};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Argument kinds by short name, for the macro.
pub mod args {
    pub use crate::abi::{
        MAPACHE_FLAG as FLAG, MAPACHE_ITERATE as ITERATE, MAPACHE_NO_ARGS as NO_ARGS,
        MAPACHE_RAW_ARGS as RAW_ARGS, MAPACHE_TAKE1 as TAKE1, MAPACHE_TAKE12 as TAKE12,
        MAPACHE_TAKE123 as TAKE123, MAPACHE_TAKE2 as TAKE2,
    };
}

/// Contexts by short name, for the macro.
pub mod ctx {
    /// The main server only (`SERVER | GLOBAL_ONLY`).
    pub const GLOBAL: u32 = crate::abi::MAPACHE_CTX_SERVER | crate::abi::MAPACHE_CTX_GLOBAL_ONLY;
    pub use crate::abi::{
        MAPACHE_CTX_ANY as ANY, MAPACHE_CTX_GLOBAL_ONLY as GLOBAL_ONLY,
        MAPACHE_CTX_SECTION as SECTION, MAPACHE_CTX_SERVER as SERVER,
        MAPACHE_OVERRIDE_AUTHCFG as AUTHCFG, MAPACHE_OVERRIDE_FILEINFO as FILEINFO,
        MAPACHE_OVERRIDE_INDEXES as INDEXES, MAPACHE_OVERRIDE_LIMIT as LIMIT,
        MAPACHE_OVERRIDE_OPTIONS as OPTIONS,
    };
}

/// The directive table of [`mapache_module!`](crate::mapache_module): the module's own entries,
/// then `extra` (a shared table such as the MPM toolkit's), in a fixed-size array built at
/// compile time. `N` must be the sum of both lengths.
pub const fn concat_directives<const N: usize>(
    own: &[crate::abi::MapacheDirective],
    extra: &[crate::abi::MapacheDirective],
) -> [crate::abi::MapacheDirective; N] {
    assert!(own.len() + extra.len() == N, "directive table length");
    let blank = crate::abi::MapacheDirective {
        name: core::ptr::null(),
        args: 0,
        contexts: 0,
        help: core::ptr::null(),
    };
    let mut out = [blank; N];
    let mut i = 0;
    while i < own.len() {
        out[i] = own[i];
        i += 1;
    }
    let mut j = 0;
    while j < extra.len() {
        out[own.len() + j] = extra[j];
        j += 1;
    }
    out
}

/// A `&'static str` ending in NUL as a C string pointer.
pub const fn cstr(s: &'static str) -> *const c_char {
    let b = s.as_bytes();
    assert!(
        !b.is_empty() && b[b.len() - 1] == 0,
        "C string must end in NUL"
    );
    b.as_ptr() as *const c_char
}

/// The module's one value, made in `init`. A re-init (configuration reload) replaces it; the old
/// value is leaked on purpose, because a request on another thread may still borrow it.
pub struct Instance<T> {
    ptr: AtomicPtr<T>,
    name: &'static str,
}

impl<T> Instance<T> {
    /// An empty slot for the module called `name`.
    pub const fn new(name: &'static str) -> Self {
        Instance {
            ptr: AtomicPtr::new(core::ptr::null_mut()),
            name,
        }
    }

    fn set(&self, value: T) {
        self.ptr
            .store(Box::into_raw(Box::new(value)), Ordering::Release);
    }

    /// The value, once `init` made it.
    pub fn get(&self) -> Option<&T> {
        // SAFETY: pointers stored here come from Box::into_raw and are never freed.
        unsafe { self.ptr.load(Ordering::Acquire).as_ref() }
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

pub(crate) fn write_err(err: *mut c_char, cap: usize, msg: &str) {
    if err.is_null() || cap == 0 {
        return;
    }
    let n = msg.len().min(cap - 1);
    // SAFETY: the core hands a writable buffer of `cap` bytes.
    unsafe {
        core::ptr::copy_nonoverlapping(msg.as_ptr(), err as *mut u8, n);
        *err.add(n) = 0;
    }
}

/// Panics are reported through the host log (the module's own stderr may go nowhere), once, with
/// their location; the entry point that caught the panic then says what it did about it.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        log(
            Level::Error,
            &format!("panic: {}{}", panic_message(info.payload()), at),
        );
    }));
}

/// Runs module code whose failure the core prints: `Ok` is `MAPACHE_OK`; an `Err` message or a
/// panic (as "`panicked`: message") goes into the core's buffer as `MAPACHE_ERROR`.
pub(crate) fn report(
    err: *mut c_char,
    err_cap: usize,
    panicked: &str,
    f: impl FnOnce() -> Result<(), String>,
) -> i32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => abi::MAPACHE_OK,
        Ok(Err(msg)) => {
            write_err(err, err_cap, &msg);
            abi::MAPACHE_ERROR
        }
        Err(p) => {
            write_err(err, err_cap, &format!("{panicked}: {}", panic_message(&*p)));
            abi::MAPACHE_ERROR
        }
    }
}

/// Entry `attach` (ABI 1.6): keeps the host table, so the configuration's entry points may
/// use it.
pub fn attach(host: *const MapacheHost, name: &'static str) {
    set_host(host, name);
}

/// Entry `init` for handler and MPM modules alike.
///
/// # Safety
/// `host` and `config` must be the live pointers the core passed to the module's `init`.
pub unsafe fn init<T: ModuleInit>(
    slot: &Instance<T>,
    name: &'static str,
    module: (*const MapacheModule, TypeId),
    host: *const MapacheHost,
    config: *const MapacheConfig,
    err: *mut c_char,
    err_cap: usize,
) -> i32 {
    set_host(host, name);
    install_panic_hook();
    as_module(slot.name, || {
        init_inner(slot, name, module, config, err, err_cap)
    })
}

fn init_inner<T: ModuleInit>(
    slot: &Instance<T>,
    name: &'static str,
    module: (*const MapacheModule, TypeId),
    config: *const MapacheConfig,
    err: *mut c_char,
    err_cap: usize,
) -> i32 {
    // SAFETY: the core passes a live server configuration.
    let cfg = unsafe { Config::from_raw(config) }.in_module(module.0, module.1);
    report(
        err,
        err_cap,
        &format!("module {name} panicked in init"),
        || T::module_init(&cfg).map(|v| slot.set(v)),
    )
}

/// What `init` needs from either kind of module.
pub trait ModuleInit: Sized + Send + Sync + 'static {
    /// Checks one directive occurrence.
    fn module_check_directive(name: &str, args: &[&str]) -> Result<(), String>;
    /// Builds the module's value from its configuration.
    fn module_init(config: &Config<'_>) -> Result<Self, String>;
    /// Per-child setup.
    fn module_child_init(&self) -> Result<(), String>;
}

/// Entry `check_directive`: arguments that are not UTF-8 are refused; a panic is an error.
///
/// # Safety
/// `name`, `args` (`nargs` entries) and `err` (`err_cap` bytes) must be valid for the call.
pub unsafe fn check_directive<T: ModuleInit>(
    name: MapacheStr,
    args: *const MapacheStr,
    nargs: usize,
    err: *mut c_char,
    err_cap: usize,
) -> i32 {
    let name = core::str::from_utf8(from_abi(name)).unwrap_or("");
    let Ok(texts) = arg_texts(args, nargs) else {
        write_err(
            err,
            err_cap,
            &format!("{name}: argument is not valid UTF-8"),
        );
        return abi::MAPACHE_ERROR;
    };
    report(err, err_cap, &format!("{name}: check panicked"), || {
        T::module_check_directive(name, &texts)
    })
}

/// Directive (or `Require`) arguments as text; `Err` when one is not UTF-8.
///
/// # Safety
/// `args` must point to `nargs` strings valid for `'a` (or be null with `nargs` 0).
pub(crate) unsafe fn arg_texts<'a>(
    args: *const MapacheStr,
    nargs: usize,
) -> Result<Vec<&'a str>, ()> {
    let raw = if args.is_null() || nargs == 0 {
        &[][..]
    } else {
        core::slice::from_raw_parts(args, nargs)
    };
    raw.iter()
        .map(|a| core::str::from_utf8(from_abi(*a)).map_err(|_| ()))
        .collect()
}

/// Entry `child_init`.
pub fn child_init<T: ModuleInit>(slot: &Instance<T>) -> i32 {
    let Some(m) = slot.get() else {
        return abi::MAPACHE_ERROR;
    };
    match catch_unwind(AssertUnwindSafe(|| m.module_child_init())) {
        Ok(Ok(())) => abi::MAPACHE_OK,
        Ok(Err(msg)) => {
            log(Level::Error, &msg);
            abi::MAPACHE_ERROR
        }
        Err(_) => abi::MAPACHE_ERROR,
    }
}

/// Entry `handle` (a module without `hooks:`, as before ABI 1.4): a panic becomes a 500.
///
/// # Safety
/// `req` must be the live request the core passed to `handle`.
pub unsafe fn handle<M: Meta>(req: *mut MapacheRequest) -> i32 {
    let Some(m) = M::instance() else { return 500 };
    // SAFETY: the core passes the live request of this call.
    let mut r = unsafe { Request::from_raw(req) }.in_module::<M::Config>(M::descriptor());
    as_module(M::NAME, || {
        match catch_unwind(AssertUnwindSafe(|| HandlerModule::handle(m, &mut r))) {
            Ok(outcome) => outcome.to_raw(),
            Err(_) => {
                r.log(
                    Level::Error,
                    "handler panicked; answering 500 Internal Server Error",
                );
                500
            }
        }
    })
}

/// Entry `mpm_run`: a panic becomes [`MpmExit::Failed`].
///
/// # Safety
/// `run` must be the live run info the core passed to `mpm_run`.
pub unsafe fn mpm_run<T: MpmModule>(
    slot: &Instance<MpmKind<T>>,
    run: *const MapacheRunInfo,
) -> i32 {
    let Some(m) = slot.get() else {
        return abi::MAPACHE_MPM_FAILED;
    };
    // SAFETY: the core passes the live run info of this call.
    let ctx = unsafe { MpmContext::from_raw(run) };
    as_module(slot.name, || {
        match catch_unwind(AssertUnwindSafe(|| m.0.run(&ctx))) {
            Ok(exit) => exit.to_raw(),
            Err(_) => {
                log(Level::Emerg, "MPM panicked; stopping the server");
                MpmExit::Failed.to_raw()
            }
        }
    })
}

/// Wraps a [`HandlerModule`] so the macro can treat both kinds alike.
pub struct HandlerKind<T>(pub T);
/// Wraps an [`MpmModule`] so the macro can treat both kinds alike.
pub struct MpmKind<T>(pub T);

impl<T: HandlerModule> ModuleInit for HandlerKind<T> {
    fn module_check_directive(name: &str, args: &[&str]) -> Result<(), String> {
        T::check_directive(name, args)
    }
    fn module_init(config: &Config<'_>) -> Result<Self, String> {
        T::init(config).map(HandlerKind)
    }
    fn module_child_init(&self) -> Result<(), String> {
        self.0.child_init()
    }
}

impl<T: MpmModule> ModuleInit for MpmKind<T> {
    fn module_check_directive(name: &str, args: &[&str]) -> Result<(), String> {
        T::check_directive(name, args)
    }
    fn module_init(config: &Config<'_>) -> Result<Self, String> {
        T::init(config).map(MpmKind)
    }
    fn module_child_init(&self) -> Result<(), String> {
        Ok(())
    }
}
