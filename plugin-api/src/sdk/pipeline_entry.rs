//! The ABI 1.4 glue behind [`mapache_module!`](crate::mapache_module): phase hooks, filters,
//! `Require` providers and typed configuration. Every entry point catches panics, so none
//! crosses the ABI; each runs as the module (for log lines) and hands the module's
//! [`Request`] its descriptor (for [`Request::module_config`]).
//!
//! The functions take raw pointers from the core, which is their only caller (through the
//! tables the macro builds); hence `not_unsafe_ptr_arg_deref` is allowed here.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use super::authz::AuthzProvider;
use super::entry::{arg_texts, report, write_err};
use super::filter::{Bucket, FilterVerdict, InputFilter, Next, OutputFilter, Source};
use super::host::{as_module, from_abi, host, log, Level};
use super::module_config::{ModuleConfig, Scope, SectionInfo};
use super::phases::{
    Access, Authn, Fixups, Handler, InsertFilter, Log, MapToStorage, PostReadRequest, StatusFormat,
    StatusSection, Translate,
};
use super::request::Request;
use super::HandlerModule;
use crate::abi::{
    self, MapacheBucket, MapacheFilter, MapacheFilterDef, MapacheHook, MapacheModule,
    MapacheRequest, MapacheStr,
};
use core::ffi::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What the macro knows about the module it declares; implemented by a type it generates.
pub trait Meta: 'static {
    /// The module's type (its `handler:`).
    type Module: HandlerModule;
    /// Its typed configuration (`config:`), or `()`.
    type Config: 'static;
    /// The module's name, for log lines.
    const NAME: &'static str;
    /// The value `init` made (`None` before `init`).
    fn instance() -> Option<&'static Self::Module>;
    /// The exported descriptor.
    fn descriptor() -> *const MapacheModule;
}

/// The request handle as the module `M` sees it.
///
/// # Safety
/// `req` must be the live request of the current call.
unsafe fn request<'a, M: Meta>(req: *mut MapacheRequest) -> Request<'a> {
    Request::from_raw(req).in_module::<M::Config>(M::descriptor())
}

/// Runs one phase hook; a panic (or a call before `init`) is logged and answered 500.
fn run_hook<M: Meta>(
    req: *mut MapacheRequest,
    phase: &str,
    f: impl FnOnce(&M::Module, &mut Request<'_>) -> i32,
) -> i32 {
    // SAFETY: the core calls hooks with the live request.
    let mut r = unsafe { request::<M>(req) };
    as_module(M::NAME, || {
        let Some(m) = M::instance() else {
            r.log(Level::Error, &format!("{phase} hook called before init"));
            return 500;
        };
        match catch_unwind(AssertUnwindSafe(|| f(m, &mut r))) {
            Ok(rc) => rc,
            Err(_) => {
                r.log(
                    Level::Error,
                    &format!("{phase} hook panicked; answering 500 Internal Server Error"),
                );
                500
            }
        }
    })
}

macro_rules! phase_entry {
    ($(#[$doc:meta])* $fn_name:ident, $trait:ident, $method:ident, $phase:literal) => {
        $(#[$doc])*
        pub extern "C" fn $fn_name<M: Meta>(req: *mut MapacheRequest) -> i32
        where
            M::Module: $trait,
        {
            run_hook::<M>(req, $phase, |m, r| <M::Module as $trait>::$method(m, r).to_raw())
        }
    };
}

phase_entry!(
    /// Entry of a [`PostReadRequest`] hook.
    post_read_request, PostReadRequest, post_read_request, "post_read_request");
phase_entry!(
    /// Entry of a [`Translate`] hook.
    translate, Translate, translate, "translate");
phase_entry!(
    /// Entry of a [`MapToStorage`] hook.
    map_to_storage, MapToStorage, map_to_storage, "map_to_storage");
phase_entry!(
    /// Entry of an [`Access`] hook.
    access, Access, access, "access");
phase_entry!(
    /// Entry of an [`Authn`] hook.
    authn, Authn, authn, "authn");
phase_entry!(
    /// Entry of a [`Fixups`] hook.
    fixups, Fixups, fixups, "fixups");
phase_entry!(
    /// Entry of an [`InsertFilter`] hook.
    insert_filter, InsertFilter, insert_filter, "insert_filter");
phase_entry!(
    /// Entry of a [`Handler`] hook.
    handler, Handler, handle, "handler");

/// Entry of a [`StatusSection`]: `MAPACHE_DECLINED` for a format the module has nothing in (or
/// does not know); a panic is logged and the section left out.
pub extern "C" fn status_section<M: Meta>(req: *mut MapacheRequest, format: u32) -> i32
where
    M::Module: StatusSection,
{
    let Some(format) = StatusFormat::from_raw(format) else {
        return abi::MAPACHE_DECLINED;
    };
    let rc = run_hook::<M>(req, "status_section", |m, r| {
        if m.status_section(r, format) {
            abi::MAPACHE_OK
        } else {
            abi::MAPACHE_DECLINED
        }
    });
    if rc == abi::MAPACHE_OK {
        rc
    } else {
        abi::MAPACHE_DECLINED
    }
}

/// Entry of a [`Log`] hook: the phase's return value is ignored, so a panic is only logged.
pub extern "C" fn log_phase<M: Meta>(req: *mut MapacheRequest) -> i32
where
    M::Module: Log,
{
    run_hook::<M>(req, "log", |m, r| {
        m.log(r);
        abi::MAPACHE_OK
    })
}

/// The hook table entries, one `const fn` per phase trait, named after it so the macro's
/// `hooks: [Translate, ...]` can call `hook::Translate::<Meta>()`.
#[allow(non_snake_case)]
pub mod hook {
    use super::*;

    const fn entry(
        phase: u32,
        order: crate::sdk::phases::HookOrder,
        func: abi::MapachePhaseFn,
    ) -> MapacheHook {
        MapacheHook {
            phase,
            order: order.order,
            func: Some(func),
            predecessors: order.predecessors,
            successors: order.successors,
        }
    }

    macro_rules! hook_fn {
        ($name:ident, $phase:ident, $glue:ident) => {
            #[doc = concat!("The hook table entry of a [`", stringify!($name), "`](trait@crate::sdk::", stringify!($name), ") hook.")]
            pub const fn $name<M: Meta>() -> MapacheHook
            where
                M::Module: super::$name,
            {
                entry(
                    abi::$phase,
                    <M::Module as super::$name>::ORDER,
                    super::$glue::<M>,
                )
            }
        };
    }

    hook_fn!(
        PostReadRequest,
        MAPACHE_PHASE_POST_READ_REQUEST,
        post_read_request
    );
    hook_fn!(Translate, MAPACHE_PHASE_TRANSLATE, translate);
    hook_fn!(MapToStorage, MAPACHE_PHASE_MAP_TO_STORAGE, map_to_storage);
    hook_fn!(Access, MAPACHE_PHASE_ACCESS, access);
    hook_fn!(Authn, MAPACHE_PHASE_AUTHN, authn);
    hook_fn!(Fixups, MAPACHE_PHASE_FIXUPS, fixups);
    hook_fn!(InsertFilter, MAPACHE_PHASE_INSERT_FILTER, insert_filter);
    hook_fn!(Handler, MAPACHE_PHASE_HANDLER, handler);
    hook_fn!(Log, MAPACHE_PHASE_LOG, log_phase);
}

// ---- filters ----

/// The filter's state in this request, made with `Default` and boxed at its first call.
///
/// # Safety
/// `f` must be the live filter handle of the current call, and its state pointer null or a
/// `Box<S>` this function made.
unsafe fn state_of<'a, S: Default + 'static>(f: *mut MapacheFilter) -> &'a mut S {
    let p = (host().filter_state)(f) as *mut S;
    if let Some(s) = p.as_mut() {
        return s;
    }
    let made = Box::into_raw(Box::<S>::default());
    (host().filter_set_state)(f, made.cast());
    &mut *made
}

/// A filter's `done`: drops its state.
pub extern "C" fn drop_state<S: 'static>(state: *mut c_void) {
    if state.is_null() {
        return;
    }
    // SAFETY: the state was made by `state_of::<S>` and the core calls `done` once.
    let b = unsafe { Box::from_raw(state as *mut S) };
    if catch_unwind(AssertUnwindSafe(move || drop(b))).is_err() {
        log(
            Level::Error,
            "a filter's state panicked while it was dropped",
        );
    }
}

/// Runs one filter call as the module; a panic is logged and becomes `failed`.
fn run_filter<M: Meta, R>(
    req: *mut MapacheRequest,
    what: &str,
    failed: R,
    f: impl FnOnce(&mut Request<'_>) -> R,
) -> R {
    // SAFETY: the core calls filters with the live request.
    let mut r = unsafe { request::<M>(req) };
    as_module(M::NAME, || {
        match catch_unwind(AssertUnwindSafe(|| f(&mut r))) {
            Ok(v) => v,
            Err(_) => {
                r.log(Level::Error, &format!("filter {what} panicked"));
                failed
            }
        }
    })
}

/// Entry of an output filter's header stage.
pub fn output_headers<M: Meta, F: OutputFilter>(
    filter: &'static F,
    name: &str,
    f: *mut MapacheFilter,
    req: *mut MapacheRequest,
) -> i32 {
    run_filter::<M, _>(req, name, abi::MAPACHE_ERROR, |r| {
        // SAFETY: the live handle of this call; the state is this filter's.
        let state = unsafe { state_of::<F::State>(f) };
        match filter.headers(r, state) {
            FilterVerdict::Stay => abi::MAPACHE_OK,
            FilterVerdict::Leave => abi::MAPACHE_DECLINED,
            FilterVerdict::Error => abi::MAPACHE_ERROR,
        }
    })
}

/// Entry of an output filter's body stage.
pub fn output_body<M: Meta, F: OutputFilter>(
    filter: &'static F,
    name: &str,
    f: *mut MapacheFilter,
    req: *mut MapacheRequest,
    bucket: *const MapacheBucket,
) -> i32 {
    run_filter::<M, _>(req, name, abi::MAPACHE_ERROR, |r| {
        // SAFETY: the core hands a bucket valid for the call.
        let Some(b) = (unsafe { bucket.as_ref() }).and_then(|b| unsafe { Bucket::from_raw(b) })
        else {
            r.log(Level::Error, &format!("filter {name}: unknown bucket kind"));
            return abi::MAPACHE_ERROR;
        };
        // SAFETY: as in `output_headers`.
        let state = unsafe { state_of::<F::State>(f) };
        match filter.body(r, state, b, &mut Next::new(f)) {
            Ok(()) => abi::MAPACHE_OK,
            Err(e) => {
                r.log(Level::Debug, &format!("filter {name}: {e}"));
                abi::MAPACHE_ERROR
            }
        }
    })
}

/// Entry of an input filter's read.
pub fn input_read<M: Meta, F: InputFilter>(
    filter: &'static F,
    name: &str,
    f: *mut MapacheFilter,
    req: *mut MapacheRequest,
    buf: *mut u8,
    cap: usize,
) -> isize {
    run_filter::<M, _>(req, name, -1, |r| {
        let dst: &mut [u8] = if buf.is_null() || cap == 0 {
            &mut []
        } else {
            // SAFETY: the core owns `cap` writable bytes at `buf` for the call.
            unsafe { core::slice::from_raw_parts_mut(buf, cap) }
        };
        // SAFETY: as in `output_headers`.
        let state = unsafe { state_of::<F::State>(f) };
        match filter.read(r, state, dst, &mut Source::new(f)) {
            Ok(n) => n.min(cap) as isize,
            Err(e) => {
                r.log(Level::Error, &format!("filter {name}: {e}"));
                -1
            }
        }
    })
}

/// The filter table entry of an output filter (the macro passes its generated entry points).
pub const fn output_def<F: OutputFilter>(
    _filter: &F,
    name: *const c_char,
    headers: extern "C" fn(*mut MapacheFilter, *mut MapacheRequest) -> i32,
    body: extern "C" fn(*mut MapacheFilter, *mut MapacheRequest, *const MapacheBucket) -> i32,
) -> MapacheFilterDef {
    MapacheFilterDef {
        name,
        direction: abi::MAPACHE_FILTER_OUTPUT,
        class: F::CLASS,
        flags: if F::KEEPS_LENGTH {
            abi::MAPACHE_FILTER_KEEPS_LENGTH
        } else {
            0
        },
        headers: Some(headers),
        body: Some(body),
        read: None,
        done: Some(drop_state::<F::State>),
    }
}

/// The filter table entry of an input filter.
pub const fn input_def<F: InputFilter>(
    _filter: &F,
    name: *const c_char,
    read: extern "C" fn(*mut MapacheFilter, *mut MapacheRequest, *mut u8, usize) -> isize,
) -> MapacheFilterDef {
    MapacheFilterDef {
        name,
        direction: abi::MAPACHE_FILTER_INPUT,
        class: F::CLASS,
        flags: 0,
        headers: None,
        body: None,
        read: Some(read),
        done: Some(drop_state::<F::State>),
    }
}

// ---- Require providers ----

/// Entry of a provider's `check`.
///
/// # Safety
/// `args` (`nargs` entries) and `err` (`err_cap` bytes) must be valid for the call.
pub unsafe fn authz_check<P: AuthzProvider>(
    provider: &'static P,
    name: &str,
    args: *const MapacheStr,
    nargs: usize,
    err: *mut c_char,
    err_cap: usize,
) -> i32 {
    let texts = match arg_texts(args, nargs) {
        Ok(t) => t,
        Err(()) => {
            write_err(
                err,
                err_cap,
                &format!("Require {name}: argument is not valid UTF-8"),
            );
            return abi::MAPACHE_ERROR;
        }
    };
    report(
        err,
        err_cap,
        &format!("Require {name}: check panicked"),
        || provider.check(&texts),
    )
}

/// Entry of a provider's `authorize`: a panic or arguments that are not UTF-8 are a 500.
///
/// # Safety
/// `req` must be the live request and `args` (`nargs` entries) valid for the call.
pub unsafe fn authz_authorize<M: Meta, P: AuthzProvider>(
    provider: &'static P,
    name: &str,
    req: *mut MapacheRequest,
    args: *const MapacheStr,
    nargs: usize,
) -> i32 {
    let Ok(texts) = arg_texts(args, nargs) else {
        return abi::MAPACHE_ERROR;
    };
    run_filter::<M, _>(req, name, abi::MAPACHE_ERROR, |r| {
        provider.authorize(r, &texts).to_raw()
    })
}

// ---- typed configuration ----

/// `create_config`: a `Box<Config>` made with `Default` (null if that panicked).
pub extern "C" fn create_config<M: Meta>(_scope: u32) -> *mut c_void
where
    M::Config: ModuleConfig,
{
    catch_unwind(|| Box::into_raw(Box::<M::Config>::default()).cast())
        .unwrap_or(core::ptr::null_mut())
}

/// `create_section_config` (ABI 1.6): a `Box<Config>` made with
/// [`ModuleConfig::for_section`] (null if that panicked).
pub extern "C" fn create_section_config<M: Meta>(section: *const abi::MapacheSection) -> *mut c_void
where
    M::Config: ModuleConfig,
{
    // SAFETY: the core passes a section valid for the call.
    let Some(info) = (unsafe { SectionInfo::from_raw(section) }) else {
        return create_config::<M>(0);
    };
    catch_unwind(|| Box::into_raw(Box::new(M::Config::for_section(&info))).cast())
        .unwrap_or(core::ptr::null_mut())
}

/// `set_directive`: [`ModuleConfig::set`] on the scope's value.
pub extern "C" fn set_directive<M: Meta>(
    config: *mut c_void,
    scope: u32,
    name: MapacheStr,
    args: *const MapacheStr,
    nargs: usize,
    err: *mut c_char,
    err_cap: usize,
) -> i32
where
    M::Config: ModuleConfig,
{
    // SAFETY: the core passes its own copy of the name, valid for the call.
    let name = core::str::from_utf8(unsafe { from_abi(name) }).unwrap_or("");
    // SAFETY: the core passes `nargs` arguments valid for the call.
    let Ok(texts) = (unsafe { arg_texts(args, nargs) }) else {
        write_err(
            err,
            err_cap,
            &format!("{name}: argument is not valid UTF-8"),
        );
        return abi::MAPACHE_ERROR;
    };
    // SAFETY: made by `create_config::<M>` as a `Box<M::Config>`; the core does not share it
    // while the configuration is read.
    let Some(cfg) = (unsafe { (config as *mut M::Config).as_mut() }) else {
        write_err(
            err,
            err_cap,
            &format!("{name}: the module has no configuration object"),
        );
        return abi::MAPACHE_ERROR;
    };
    report(
        err,
        err_cap,
        &format!("{name}: the module panicked"),
        || cfg.set(Scope::from_raw(scope), name, &texts),
    )
}

/// `merge_config`: a new `Box<Config>` from [`ModuleConfig::merge`]; if that panics, a copy of
/// the child (logged).
pub extern "C" fn merge_config<M: Meta>(parent: *const c_void, child: *const c_void) -> *mut c_void
where
    M::Config: ModuleConfig,
{
    // SAFETY: both were made by this module's create or merge functions and are not changed.
    let (Some(p), Some(c)) = (unsafe {
        (
            (parent as *const M::Config).as_ref(),
            (child as *const M::Config).as_ref(),
        )
    }) else {
        return core::ptr::null_mut();
    };
    let merged = as_module(M::NAME, || {
        catch_unwind(AssertUnwindSafe(|| M::Config::merge(p, c))).unwrap_or_else(|_| {
            log(
                Level::Error,
                "merging the configuration panicked; the section's value is used as it is",
            );
            c.clone()
        })
    });
    Box::into_raw(Box::new(merged)).cast()
}

/// `free_config`: drops a merged value.
pub extern "C" fn free_config<M: Meta>(config: *mut c_void)
where
    M::Config: ModuleConfig,
{
    drop_state::<M::Config>(config)
}
