//! The safe Rust layer over the ABI: wrappers that turn raw handles into borrowed Rust values,
//! the traits a module implements, and the entry-point glue used by [`mapache_module!`](crate::mapache_module).

mod config;
pub mod entry;
mod host;
pub mod metrics;
mod mpm;
pub mod options;
mod request;
pub mod score;
mod text;

pub use config::{Config, DirectiveValue};
pub use host::{host, host_provides, log, Level};
pub use mpm::{Conn, ConnState, Listener, MpmContext, MpmExit};
pub use request::{FileKind, MappedFile, Outcome, Request};
pub use text::html_escape;

/// A handler module: answers requests.
///
/// One value of the implementing type is made by [`HandlerModule::init`] in the master process and
/// inherited by every child; [`HandlerModule::handle`] is then called concurrently from worker
/// threads, so the type must be `Sync`.
pub trait HandlerModule: Sized + Send + Sync + 'static {
    /// Checks one occurrence of one of this module's directives as the file is read, wherever it
    /// appears, so `-t` reports a bad value with its file and line (which the core adds). Runs in
    /// the master before `init`.
    fn check_directive(_name: &str, _args: &[&str]) -> Result<(), String> {
        Ok(())
    }

    /// Reads the module's directives from the server scope. Runs in the master before fork, once;
    /// must not start threads. An `Err` stops the server with that message.
    fn init(config: &Config<'_>) -> Result<Self, String>;

    /// Runs in each child after fork, before threads start.
    fn child_init(&self) -> Result<(), String> {
        Ok(())
    }

    /// Answers one request, or declines it. A panic here becomes a 500 and an error-log line.
    fn handle(&self, req: &mut Request<'_>) -> Outcome;
}

/// A multi-processing module: owns the master loop, the children and the threads.
pub trait MpmModule: Sized + Send + Sync + 'static {
    /// As [`HandlerModule::check_directive`].
    fn check_directive(_name: &str, _args: &[&str]) -> Result<(), String> {
        Ok(())
    }

    /// Reads the MPM's directives. Runs in the master before fork; must not start threads.
    fn init(config: &Config<'_>) -> Result<Self, String>;

    /// The master loop: fork children, have them accept on the listeners and serve connections
    /// through the host, until the server stops. A panic here is logged and becomes
    /// [`MpmExit::Failed`].
    fn run(&self, ctx: &MpmContext<'_>) -> MpmExit;
}

/// Declares a module: generates the exported descriptor, its directive table and `extern "C"`
/// entry points that catch panics.
///
/// ```ignore
/// use mapache_plugin_api::{mapache_module, sdk::*};
/// struct Hello;
/// impl HandlerModule for Hello {
///     fn init(_: &Config<'_>) -> Result<Self, String> { Ok(Hello) }
///     fn handle(&self, req: &mut Request<'_>) -> Outcome {
///         if req.handler() != "hello" { return Outcome::Declined; }
///         req.set_header("Content-Type", "text/plain");
///         req.write(b"hello\n");
///         Outcome::Done
///     }
/// }
/// mapache_module! {
///     symbol: hello_module,
///     name: "hello",
///     handler: Hello,
///     directives: [("HelloGreeting", TAKE1, ANY, "the greeting to answer with")],
/// }
/// ```
/// For an MPM write `mpm: Type, flags: MAPACHE_MPM_FORKED` instead of `handler: Type`. A shared
/// table can follow the list: `directives: [...] + mapache_mpm_kit::LIFECYCLE_DIRECTIVES`. Argument
/// kinds are the `MAPACHE_` constants without the prefix (`TAKE1`, `FLAG`, `ITERATE`…), contexts
/// are `SERVER`, `SECTION` or `ANY`.
#[macro_export]
macro_rules! mapache_module {
    (
        symbol: $sym:ident,
        name: $name:literal,
        handler: $ty:ty,
        directives: [ $( ($dname:literal, $dargs:ident, $dctx:ident, $dhelp:literal) ),* $(,)? ]
            $(+ $extra:expr)? $(,)?
    ) => {
        static __MAPACHE_INSTANCE: $crate::__private::Instance<$crate::__private::Handler<$ty>> =
            $crate::__private::Instance::new($name);
        $crate::mapache_module!(@common $sym, $name, $crate::__private::Handler<$ty>,
            [ $( ($dname, $dargs, $dctx, $dhelp) ),* ], [ $($extra)? ],
            $crate::abi::MAPACHE_KIND_HANDLER, 0, Some(__mapache_handle), None);

        extern "C" fn __mapache_handle(req: *mut $crate::abi::MapacheRequest) -> i32 {
            // SAFETY: the core calls this entry point with a live request.
            unsafe { $crate::__private::handle::<$ty>(&__MAPACHE_INSTANCE, req) }
        }
    };
    (
        symbol: $sym:ident,
        name: $name:literal,
        mpm: $ty:ty,
        flags: $flags:expr,
        directives: [ $( ($dname:literal, $dargs:ident, $dctx:ident, $dhelp:literal) ),* $(,)? ]
            $(+ $extra:expr)? $(,)?
    ) => {
        static __MAPACHE_INSTANCE: $crate::__private::Instance<$crate::__private::Mpm<$ty>> =
            $crate::__private::Instance::new($name);
        $crate::mapache_module!(@common $sym, $name, $crate::__private::Mpm<$ty>,
            [ $( ($dname, $dargs, $dctx, $dhelp) ),* ], [ $($extra)? ],
            $crate::abi::MAPACHE_KIND_MPM, $flags, None, Some(__mapache_mpm_run));

        extern "C" fn __mapache_mpm_run(run: *const $crate::abi::MapacheRunInfo) -> i32 {
            // SAFETY: the core calls this entry point with a live run info.
            unsafe { $crate::__private::mpm_run::<$ty>(&__MAPACHE_INSTANCE, run) }
        }
    };
    (@extra) => { &[] };
    (@extra $extra:expr) => { $extra };
    (@common $sym:ident, $name:literal, $ty:ty, [ $( ($dname:literal, $dargs:ident, $dctx:ident, $dhelp:literal) ),* ],
     [ $($extra:expr)? ], $kind:expr, $flags:expr, $handle:expr, $run:expr) => {
        const __MAPACHE_OWN_DIRECTIVES: &[$crate::abi::MapacheDirective] = &[
            $( $crate::abi::MapacheDirective {
                name: $crate::__private::cstr(concat!($dname, "\0")),
                args: $crate::__private::args::$dargs,
                contexts: $crate::__private::ctx::$dctx,
                help: $crate::__private::cstr(concat!($dhelp, "\0")),
            } ),*
        ];
        const __MAPACHE_EXTRA_DIRECTIVES: &[$crate::abi::MapacheDirective] =
            $crate::mapache_module!(@extra $($extra)?);
        static __MAPACHE_DIRECTIVES: [$crate::abi::MapacheDirective;
            __MAPACHE_OWN_DIRECTIVES.len() + __MAPACHE_EXTRA_DIRECTIVES.len()] =
            $crate::__private::concat_directives(__MAPACHE_OWN_DIRECTIVES, __MAPACHE_EXTRA_DIRECTIVES);

        extern "C" fn __mapache_init(
            host: *const $crate::abi::MapacheHost,
            config: *const $crate::abi::MapacheConfig,
            err: *mut ::core::ffi::c_char,
            err_cap: usize,
        ) -> i32 {
            // SAFETY: the core calls this entry point with live pointers.
            unsafe { $crate::__private::init::<$ty>(&__MAPACHE_INSTANCE, $name, host, config, err, err_cap) }
        }

        extern "C" fn __mapache_check_directive(
            name: $crate::abi::MapacheStr,
            args: *const $crate::abi::MapacheStr,
            nargs: usize,
            err: *mut ::core::ffi::c_char,
            err_cap: usize,
        ) -> i32 {
            // SAFETY: the core passes strings and a buffer valid for the call.
            unsafe { $crate::__private::check_directive::<$ty>(name, args, nargs, err, err_cap) }
        }

        extern "C" fn __mapache_child_init() -> i32 {
            $crate::__private::child_init::<$ty>(&__MAPACHE_INSTANCE)
        }

        /// The module descriptor read by the core's LoadModule.
        #[no_mangle]
        pub static $sym: $crate::abi::MapacheModule = $crate::abi::MapacheModule {
            magic: $crate::abi::MAPACHE_MODULE_MAGIC,
            abi_major: $crate::abi::MAPACHE_ABI_MAJOR,
            abi_minor: $crate::abi::MAPACHE_ABI_MINOR,
            struct_size: ::core::mem::size_of::<$crate::abi::MapacheModule>() as u32,
            kind: $kind,
            name: $crate::__private::cstr(concat!($name, "\0")),
            version: $crate::__private::cstr(concat!(env!("CARGO_PKG_VERSION"), "\0")),
            directives: __MAPACHE_DIRECTIVES.as_ptr(),
            directive_count: __MAPACHE_DIRECTIVES.len(),
            init: Some(__mapache_init),
            child_init: Some(__mapache_child_init),
            handle: $handle,
            mpm_flags: $flags,
            mpm_run: $run,
            check_directive: Some(__mapache_check_directive),
            ..$crate::abi::MapacheModule::PRE_1_4
        };
    };
}
