//! The safe Rust layer over the ABI: wrappers that turn raw handles into borrowed Rust values,
//! the traits a module implements, and the entry-point glue used by [`mapache_module!`](crate::mapache_module).

mod accept_encoding;
mod authz;
mod config;
pub mod entry;
pub mod expr;
pub mod filter;
mod host;
pub mod metrics;
pub mod module_config;
mod mpm;
pub mod options;
pub mod phases;
pub mod pipeline_entry;
mod request;
pub mod score;
mod text;

pub use accept_encoding::accepts_coding;
pub use authz::{Authz, AuthzProvider};
pub use config::{Config, DirectiveValue};
pub use filter::{Bucket, FileRange, FilterVerdict, InputFilter, Next, OutputFilter, Source};
pub use host::{host, host_provides, log, Level};
pub use module_config::{ModuleConfig, Scope, SectionInfo, SectionKind};
pub use mpm::{Conn, ConnState, Listener, MpmContext, MpmExit};
pub use phases::{
    order, Access, Authn, Fixups, Handler, HookOrder, InsertFilter, Log, MapToStorage, ModuleNames,
    PostReadRequest, StatusFormat, StatusSection, Translate, Verdict,
};
pub use request::{BodyFraming, FileKind, MappedFile, Outcome, Refused, Request, Table};
pub use text::html_escape;

/// A handler module: answers requests.
///
/// One value of the implementing type is made by [`HandlerModule::init`] in the master process and
/// inherited by every child; its hooks ([`phases`]) or, for a module declared without `hooks:`,
/// [`HandlerModule::handle`] are then called concurrently from worker threads, so the type must
/// be `Sync`.
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

    /// The pre-1.4 way to answer: for a module declared without `hooks:`, this is its handler
    /// hook (offered every request, or those of its `handler_names`). Answers one request, or
    /// declines it. A panic here becomes a 500 and an error-log line. A module that lists
    /// `hooks:` gets only those, and answers through [`Handler`] instead.
    fn handle(&self, _req: &mut Request<'_>) -> Outcome {
        Outcome::Declined
    }
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

/// Declares a module: generates the exported descriptor, its directive, hook, handler-name,
/// filter and provider tables, and `extern "C"` entry points that catch panics.
///
/// ```ignore
/// use mapache_plugin_api::{mapache_module, sdk::*};
/// struct Hello;
/// impl HandlerModule for Hello {
///     fn init(_: &Config<'_>) -> Result<Self, String> { Ok(Hello) }
/// }
/// impl Handler for Hello {
///     fn handle(&self, req: &mut Request<'_>) -> Outcome {
///         let greeting = req.module_config::<HelloConfig>().and_then(|c| c.greeting.clone());
///         req.set_header("Content-Type", "text/plain");
///         let _ = req.write(greeting.as_deref().unwrap_or("hello").as_bytes());
///         Outcome::Done
///     }
/// }
/// impl Fixups for Hello { /* ... */ }
/// mapache_module! {
///     symbol: hello_module,
///     name: "hello",
///     handler: Hello,
///     directives: [("HelloGreeting", TAKE1, ANY, "the greeting to answer with")],
///     config: HelloConfig,              // impl ModuleConfig
///     handler_names: ["hello"],
///     hooks: [Fixups, Handler],         // phase traits Hello implements
///     filters: [output("UPPER", Upper)],// impl OutputFilter (input(...) for InputFilter)
///     authz: [("hello-user", HelloUser)],// impl AuthzProvider
///     status_section: Hello,            // impl StatusSection
///     apache_names: ["hello2_module"],  // Apache modules whose job it does
/// }
/// ```
/// Everything after `directives` is optional, but what is there comes in this order, each part
/// followed by a comma. Filter and provider values are constants (a unit struct, or a `const`):
/// the glue borrows them for `'static`. A module without `hooks:` is a module as before ABI
/// 1.4: [`HandlerModule::handle`] is its handler hook; with `hooks:` it gets only the listed
/// ones. Hook order comes from each trait's `ORDER` ([`HookOrder`]).
///
/// For an MPM write `mpm: Type, flags: MAPACHE_MPM_FORKED` instead of `handler: Type`. A shared
/// table can follow the list: `directives: [...] + mapache_mpm_kit::LIFECYCLE_DIRECTIVES`. Argument
/// kinds are the `MAPACHE_` constants without the prefix (`TAKE1`, `FLAG`, `ITERATE`…); contexts
/// are `SERVER` (the main server and virtual hosts), `GLOBAL` (the main server only), `SECTION` or
/// `ANY`, joined with `|` to the override classes that allow the directive in `.htaccess`
/// (`AUTHCFG`, `FILEINFO`, `INDEXES`, `LIMIT`, `OPTIONS`), e.g. `ANY | FILEINFO`.
#[macro_export]
macro_rules! mapache_module {
    (
        symbol: $sym:ident,
        name: $name:literal,
        handler: $ty:ty,
        directives: [ $( ($dname:literal, $dargs:ident, $($dctx:ident)|+ , $dhelp:literal) ),* $(,)? ]
            $(+ $extra:expr)? ,
        $( config: $cfg:ty , )?
        $( handler_names: [ $($hname:literal),* $(,)? ] , )?
        $( hooks: [ $($hook:ident),* $(,)? ] , )?
        $( filters: [ $( $fdir:ident ( $fname:literal, $fval:expr ) ),* $(,)? ] , )?
        $( authz: [ $( ($aname:literal, $aval:expr) ),* $(,)? ] , )?
        $( status_section: $status:ident , )?
        $( apache_names: [ $($apname:literal),* $(,)? ] , )?
    ) => {
        static __MAPACHE_INSTANCE: $crate::__private::Instance<$crate::__private::HandlerKind<$ty>> =
            $crate::__private::Instance::new($name);

        /// What the SDK's glue knows about this module.
        struct __MapacheMeta;
        impl $crate::__private::Meta for __MapacheMeta {
            type Module = $ty;
            type Config = $crate::mapache_module!(@config_type $($cfg)?);
            const NAME: &'static str = $name;
            fn instance() -> ::core::option::Option<&'static $ty> {
                __MAPACHE_INSTANCE.get().map(|h| &h.0)
            }
            fn descriptor() -> *const $crate::abi::MapacheModule {
                &$sym
            }
        }

        const __MAPACHE_HOOKS: &[$crate::abi::MapacheHook] = &[
            $($( $crate::__private::hook::$hook::<__MapacheMeta>() ),*)?
        ];
        const __MAPACHE_HANDLER_NAMES: &[*const ::core::ffi::c_char] = &[
            $($( $crate::__private::cstr(concat!($hname, "\0")) ),*)?
        ];
        const __MAPACHE_FILTERS: &[$crate::abi::MapacheFilterDef] = &[
            $($( $crate::mapache_module!(@filter $fdir, $fname, $fval) ),*)?
        ];
        const __MAPACHE_AUTHZ: &[$crate::abi::MapacheAuthzProvider] = &[
            $($( $crate::mapache_module!(@authz $aname, $aval) ),*)?
        ];
        const __MAPACHE_APACHE_NAMES: &[*const ::core::ffi::c_char] = &[
            $($( $crate::__private::cstr(concat!($apname, "\0")) ),*)?
        ];

        $crate::mapache_module!(@common $sym, $name, $crate::__private::HandlerKind<$ty>,
            [ $( ($dname, $dargs, [ $($dctx)+ ], $dhelp) ),* ], [ $($extra)? ],
            $crate::abi::MAPACHE_KIND_HANDLER, 0,
            $crate::mapache_module!(@handle $([ $($hook)* ])?), None,
            ::core::any::TypeId::of::<<__MapacheMeta as $crate::__private::Meta>::Config>(), {
                hooks: __MAPACHE_HOOKS.as_ptr(),
                hook_count: __MAPACHE_HOOKS.len(),
                handler_names: __MAPACHE_HANDLER_NAMES.as_ptr(),
                handler_name_count: __MAPACHE_HANDLER_NAMES.len(),
                filters: __MAPACHE_FILTERS.as_ptr(),
                filter_count: __MAPACHE_FILTERS.len(),
                authz_providers: __MAPACHE_AUTHZ.as_ptr(),
                authz_provider_count: __MAPACHE_AUTHZ.len(),
                create_config: $crate::mapache_module!(@config_fn create_config $($cfg)?),
                create_section_config:
                    $crate::mapache_module!(@config_fn create_section_config $($cfg)?),
                set_directive: $crate::mapache_module!(@config_fn set_directive $($cfg)?),
                merge_config: $crate::mapache_module!(@config_fn merge_config $($cfg)?),
                free_config: $crate::mapache_module!(@config_fn free_config $($cfg)?),
                status_section: $crate::mapache_module!(@status $($status)?),
                apache_names: __MAPACHE_APACHE_NAMES.as_ptr(),
                apache_name_count: __MAPACHE_APACHE_NAMES.len(),
            });

        /// The pre-1.4 handler entry (used only by modules declared without `hooks:`).
        #[allow(dead_code)]
        extern "C" fn __mapache_handle(req: *mut $crate::abi::MapacheRequest) -> i32 {
            // SAFETY: the core calls this entry point with a live request.
            unsafe { $crate::__private::handle::<__MapacheMeta>(req) }
        }
    };
    (
        symbol: $sym:ident,
        name: $name:literal,
        mpm: $ty:ty,
        flags: $flags:expr,
        directives: [ $( ($dname:literal, $dargs:ident, $($dctx:ident)|+ , $dhelp:literal) ),* $(,)? ]
            $(+ $extra:expr)? $(,)?
    ) => {
        static __MAPACHE_INSTANCE: $crate::__private::Instance<$crate::__private::MpmKind<$ty>> =
            $crate::__private::Instance::new($name);
        $crate::mapache_module!(@common $sym, $name, $crate::__private::MpmKind<$ty>,
            [ $( ($dname, $dargs, [ $($dctx)+ ], $dhelp) ),* ], [ $($extra)? ],
            $crate::abi::MAPACHE_KIND_MPM, $flags, None, Some(__mapache_mpm_run),
            ::core::any::TypeId::of::<()>(), {});

        extern "C" fn __mapache_mpm_run(run: *const $crate::abi::MapacheRunInfo) -> i32 {
            // SAFETY: the core calls this entry point with a live run info.
            unsafe { $crate::__private::mpm_run::<$ty>(&__MAPACHE_INSTANCE, run) }
        }
    };
    (@extra) => { &[] };
    (@extra $extra:expr) => { $extra };
    (@config_type) => { () };
    (@config_type $cfg:ty) => { $cfg };
    (@config_fn $f:ident) => { None };
    (@config_fn $f:ident $cfg:ty) => { Some($crate::__private::$f::<__MapacheMeta>) };
    (@status) => { None };
    (@status $status:ident) => { Some($crate::__private::status_section::<__MapacheMeta>) };
    (@handle) => { Some(__mapache_handle) };
    (@handle [ $($hook:ident)* ]) => { None };
    (@filter output, $fname:literal, $fval:expr) => {{
        extern "C" fn headers(
            f: *mut $crate::abi::MapacheFilter,
            r: *mut $crate::abi::MapacheRequest,
        ) -> i32 {
            $crate::__private::output_headers::<__MapacheMeta, _>(&$fval, $fname, f, r)
        }
        extern "C" fn body(
            f: *mut $crate::abi::MapacheFilter,
            r: *mut $crate::abi::MapacheRequest,
            b: *const $crate::abi::MapacheBucket,
        ) -> i32 {
            $crate::__private::output_body::<__MapacheMeta, _>(&$fval, $fname, f, r, b)
        }
        $crate::__private::output_def(&$fval, $crate::__private::cstr(concat!($fname, "\0")), headers, body)
    }};
    (@filter input, $fname:literal, $fval:expr) => {{
        extern "C" fn read(
            f: *mut $crate::abi::MapacheFilter,
            r: *mut $crate::abi::MapacheRequest,
            buf: *mut u8,
            cap: usize,
        ) -> isize {
            $crate::__private::input_read::<__MapacheMeta, _>(&$fval, $fname, f, r, buf, cap)
        }
        $crate::__private::input_def(&$fval, $crate::__private::cstr(concat!($fname, "\0")), read)
    }};
    (@authz $aname:literal, $aval:expr) => {{
        extern "C" fn check(
            args: *const $crate::abi::MapacheStr,
            nargs: usize,
            err: *mut ::core::ffi::c_char,
            err_cap: usize,
        ) -> i32 {
            // SAFETY: the core passes arguments and a buffer valid for the call.
            unsafe { $crate::__private::authz_check(&$aval, $aname, args, nargs, err, err_cap) }
        }
        extern "C" fn authorize(
            req: *mut $crate::abi::MapacheRequest,
            args: *const $crate::abi::MapacheStr,
            nargs: usize,
        ) -> i32 {
            // SAFETY: the core passes the live request and arguments valid for the call.
            unsafe {
                $crate::__private::authz_authorize::<__MapacheMeta, _>(&$aval, $aname, req, args, nargs)
            }
        }
        $crate::abi::MapacheAuthzProvider {
            name: $crate::__private::cstr(concat!($aname, "\0")),
            check: Some(check),
            authorize: Some(authorize),
        }
    }};
    (@common $sym:ident, $name:literal, $ty:ty, [ $( ($dname:literal, $dargs:ident, [ $($dctx:ident)+ ], $dhelp:literal) ),* ],
     [ $($extra:expr)? ], $kind:expr, $flags:expr, $handle:expr, $run:expr, $cfgid:expr, { $($more:tt)* }) => {
        const __MAPACHE_OWN_DIRECTIVES: &[$crate::abi::MapacheDirective] = &[
            $( $crate::abi::MapacheDirective {
                name: $crate::__private::cstr(concat!($dname, "\0")),
                args: $crate::__private::args::$dargs,
                contexts: 0 $( | $crate::__private::ctx::$dctx )+,
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
            unsafe {
                $crate::__private::init::<$ty>(&__MAPACHE_INSTANCE, $name, (&$sym, $cfgid), host, config, err, err_cap)
            }
        }

        extern "C" fn __mapache_attach(host: *const $crate::abi::MapacheHost) {
            $crate::__private::attach(host, $name)
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
        // Handler modules fill every field; MPMs leave the pipeline's empty.
        #[allow(clippy::needless_update)]
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
            attach: Some(__mapache_attach),
            $($more)*
            ..$crate::abi::MapacheModule::PRE_1_4
        };
    };
}
