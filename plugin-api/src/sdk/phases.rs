//! ABI 1.4 phase hooks: one trait per phase of a request, implemented by the module's type
//! (the value its [`HandlerModule::init`](super::HandlerModule::init) made) and listed in the
//! `hooks: [...]` part of [`mapache_module!`](crate::mapache_module).
//!
//! Every hook runs in a child, on the request's thread, concurrently with other requests in
//! threaded MPMs (hence `&self`: keep per-request data in the request's notes or a filter's
//! state, shared data behind atomics or locks). A panic in a hook is caught, logged and
//! answered with 500 (in the log phase: logged only).

use super::request::Request;
use crate::abi;
use core::ffi::c_char;

/// What a phase hook says. Each phase's documentation says what `Ok` and `Declined` mean there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Done with this phase (run-first phases end here; run-all phases go on).
    Ok,
    /// Nothing to do for this request: the next hook runs.
    Declined,
    /// The response is complete (the hook wrote it): the core skips to the log phase.
    Done,
    /// The core answers with its page for this status (300..=599), through the filters. For a
    /// redirect set `Location` first; for 401 set `WWW-Authenticate` in the error headers.
    Status(u16),
    /// The hook failed (it should have logged why): the core answers 500.
    Error,
}

impl Verdict {
    /// The ABI return value.
    pub fn to_raw(self) -> i32 {
        match self {
            Verdict::Ok => abi::MAPACHE_OK,
            Verdict::Declined => abi::MAPACHE_DECLINED,
            Verdict::Done => abi::MAPACHE_DONE,
            Verdict::Status(s) => i32::from(s),
            Verdict::Error => abi::MAPACHE_ERROR,
        }
    }
}

/// Hook order numbers, as APR's `APR_HOOK_*`: lower runs first, then LoadModule order.
pub mod order {
    pub use crate::abi::{
        MAPACHE_ORDER_FIRST as FIRST, MAPACHE_ORDER_LAST as LAST, MAPACHE_ORDER_MIDDLE as MIDDLE,
        MAPACHE_ORDER_REALLY_FIRST as REALLY_FIRST, MAPACHE_ORDER_REALLY_LAST as REALLY_LAST,
    };
}

/// Where a hook runs among its phase's hooks: by [`order`] number, then after the modules it
/// names with [`HookOrder::after`] and before those named with [`HookOrder::before`] (when they
/// are loaded), then in LoadModule order. A constant: `HookOrder::new(order::FIRST)`.
#[derive(Clone, Copy, Debug)]
pub struct HookOrder {
    pub(crate) order: i32,
    pub(crate) predecessors: *const *const c_char,
    pub(crate) successors: *const *const c_char,
}

impl HookOrder {
    /// The default place: [`order::MIDDLE`], no named constraints.
    pub const MIDDLE: HookOrder = HookOrder::new(order::MIDDLE);

    /// At `order` (one of [`order`]'s numbers, or any between), no named constraints.
    pub const fn new(order: i32) -> HookOrder {
        HookOrder {
            order,
            predecessors: core::ptr::null(),
            successors: core::ptr::null(),
        }
    }

    /// Runs after the hooks of this phase of the modules named (their descriptor names).
    pub const fn after(self, modules: ModuleNames) -> HookOrder {
        HookOrder {
            predecessors: modules.0,
            ..self
        }
    }

    /// Runs before the hooks of this phase of the modules named.
    pub const fn before(self, modules: ModuleNames) -> HookOrder {
        HookOrder {
            successors: modules.0,
            ..self
        }
    }
}

/// A static, null-terminated list of module names, made by
/// [`module_names!`](crate::module_names).
#[derive(Clone, Copy, Debug)]
pub struct ModuleNames(*const *const c_char);

impl ModuleNames {
    /// Wraps a static list of NUL-terminated names that ends with a null pointer.
    pub const fn from_static(list: &'static [*const c_char]) -> ModuleNames {
        assert!(
            !list.is_empty() && list[list.len() - 1].is_null(),
            "module name list must end with a null pointer"
        );
        ModuleNames(list.as_ptr())
    }
}

/// The [`ModuleNames`] for [`HookOrder::after`] and [`HookOrder::before`]:
/// `module_names!["rewrite", "alias"]`.
#[macro_export]
macro_rules! module_names {
    ($($name:literal),* $(,)?) => {
        $crate::sdk::ModuleNames::from_static(&[
            $( $crate::__private::cstr(concat!($name, "\0")), )*
            ::core::ptr::null(),
        ])
    };
}

/// Right after the head was parsed, before anything is mapped (run-all): every hook runs unless
/// one answers with `Done`, a status or `Error`.
pub trait PostReadRequest {
    /// Where the hook runs among the phase's hooks.
    const ORDER: HookOrder = HookOrder::MIDDLE;
    /// Looks at (or changes) the request as it came in.
    fn post_read_request(&self, req: &mut Request<'_>) -> Verdict;
}

/// Turns the URL into another path ([`Request::set_uri`]) or a file name
/// ([`Request::set_filename`]), or answers (run-first: `Ok` ends the phase). When every hook
/// declines, the core joins DocumentRoot with the path.
pub trait Translate {
    /// Where the hook runs among the phase's hooks.
    const ORDER: HookOrder = HookOrder::MIDDLE;
    /// Translates the request's URL.
    fn translate(&self, req: &mut Request<'_>) -> Verdict;
}

/// Before the core maps the file name onto the file system (run-first): `Ok` says the request
/// names no file (a proxied URL), so only `<Location>` sections apply.
pub trait MapToStorage {
    /// Where the hook runs among the phase's hooks.
    const ORDER: HookOrder = HookOrder::MIDDLE;
    /// Takes the request off the file system, or declines.
    fn map_to_storage(&self, req: &mut Request<'_>) -> Verdict;
}

/// Decides by the client (address, method, headers) before any user is known (run-all): answer
/// `Status(403)` to refuse. The core's `Require` evaluation follows.
pub trait Access {
    /// Where the hook runs among the phase's hooks.
    const ORDER: HookOrder = HookOrder::MIDDLE;
    /// Lets the request on, or refuses it.
    fn access(&self, req: &mut Request<'_>) -> Verdict;
}

/// Finds out who the user is ([`Request::set_user`]), when the `Require` lines in effect need
/// one (run-first): `Ok` once the user is set, `Status(401)` to challenge.
pub trait Authn {
    /// Where the hook runs among the phase's hooks.
    const ORDER: HookOrder = HookOrder::MIDDLE;
    /// Authenticates the request.
    fn authn(&self, req: &mut Request<'_>) -> Verdict;
}

/// The last changes before the handler: headers, environment (run-all).
pub trait Fixups {
    /// Where the hook runs among the phase's hooks.
    const ORDER: HookOrder = HookOrder::MIDDLE;
    /// Adjusts the request.
    fn fixups(&self, req: &mut Request<'_>) -> Verdict;
}

/// Adds filters to the request with [`Request::add_filter`] (run-all).
pub trait InsertFilter {
    /// Where the hook runs among the phase's hooks.
    const ORDER: HookOrder = HookOrder::MIDDLE;
    /// Inserts the filters this request needs.
    fn insert_filter(&self, req: &mut Request<'_>) -> Verdict;
}

/// Produces the response (run-first). It is offered the requests whose handler name
/// (`SetHandler`, `default-handler` without one) is among the module's `handler_names`, or
/// every request when the module declares none. What a declining handler changed is undone.
pub trait Handler {
    /// Where the hook runs among the phase's hooks.
    const ORDER: HookOrder = HookOrder::MIDDLE;
    /// Answers the request ([`Outcome::Done`](super::Outcome::Done)), declines it, or asks the
    /// core for its page for a status.
    fn handle(&self, req: &mut Request<'_>) -> super::Outcome;
}

/// After the response was sent, with its final status ([`Request::status`]), bytes
/// ([`Request::bytes_sent`]) and duration ([`Request::elapsed`]) (run-all; also for requests
/// answered before the handler). Nothing it does changes the response.
pub trait Log {
    /// Where the hook runs among the phase's hooks.
    const ORDER: HookOrder = HookOrder::MIDDLE;
    /// Records the request.
    fn log(&self, req: &mut Request<'_>);
}

/// The format a status page asks a module's section in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFormat {
    /// An HTML fragment (a heading and a table or list).
    Html,
    /// `Key: value` lines, as `?auto` has them.
    Auto,
    /// Exactly one JSON object, put under the module's name.
    Json,
}

impl StatusFormat {
    /// From `MAPACHE_STATUS_*`; `None` for a format this SDK does not know.
    pub fn from_raw(raw: u32) -> Option<StatusFormat> {
        match raw {
            crate::abi::MAPACHE_STATUS_HTML => Some(StatusFormat::Html),
            crate::abi::MAPACHE_STATUS_AUTO => Some(StatusFormat::Auto),
            crate::abi::MAPACHE_STATUS_JSON => Some(StatusFormat::Json),
            _ => None,
        }
    }
}

/// The module's own section of the status page (`status_section,` in
/// [`mapache_module!`](crate::mapache_module)): written with [`Request::write`] while a status
/// handler serves its page, on that request's thread.
pub trait StatusSection {
    /// Writes the section in `format`; `false` when the module has nothing in that format.
    fn status_section(&self, req: &mut Request<'_>, format: StatusFormat) -> bool;
}
