//! What `mapache_module!` generates for an ABI 1.4 module: the tables the core reads at
//! LoadModule, and the typed-configuration glue (which runs before `init`, without a host).

use mapache_plugin_api::abi::{self, MapacheStr};
use mapache_plugin_api::{mapache_module, sdk::*};
use std::ffi::{c_void, CStr};
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

mod full {
    use super::*;

    pub struct Full;

    impl HandlerModule for Full {
        fn init(_: &Config<'_>) -> Result<Self, String> {
            Ok(Full)
        }
    }

    impl Translate for Full {
        const ORDER: HookOrder = HookOrder::new(order::FIRST)
            .after(mapache_plugin_api::module_names!["rewrite", "alias"])
            .before(mapache_plugin_api::module_names!["proxy"]);
        fn translate(&self, _: &mut Request<'_>) -> Verdict {
            Verdict::Declined
        }
    }

    impl Handler for Full {
        fn handle(&self, _: &mut Request<'_>) -> Outcome {
            Outcome::Declined
        }
    }

    impl Log for Full {
        fn log(&self, _: &mut Request<'_>) {}
    }

    /// `Greeting` sets `greeting`; `Panic` panics; `Boom` makes merge panic.
    #[derive(Default, Clone, Debug, PartialEq)]
    pub struct Cfg {
        pub greeting: Option<String>,
        pub boom: bool,
        pub scope: Option<Scope>,
    }

    impl ModuleConfig for Cfg {
        fn set(&mut self, scope: Scope, name: &str, args: &[&str]) -> Result<(), String> {
            self.scope = Some(scope);
            match name {
                "Greeting" if args[0] == "bad" => Err("Greeting must not be bad".to_owned()),
                "Greeting" => {
                    self.greeting = Some(args[0].to_owned());
                    Ok(())
                }
                "Boom" => {
                    self.boom = true;
                    Ok(())
                }
                _ => panic!("set panicked on purpose"),
            }
        }

        fn merge(parent: &Self, child: &Self) -> Self {
            assert!(!child.boom, "merge panicked on purpose");
            Cfg {
                greeting: child.greeting.clone().or_else(|| parent.greeting.clone()),
                boom: false,
                scope: child.scope,
            }
        }
    }

    pub struct Upper;

    pub static DROPPED: AtomicUsize = AtomicUsize::new(0);

    #[derive(Default)]
    pub struct UpperState;

    impl Drop for UpperState {
        fn drop(&mut self) {
            DROPPED.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl OutputFilter for Upper {
        type State = UpperState;
        const KEEPS_LENGTH: bool = true;
        fn body(
            &self,
            _: &mut Request<'_>,
            _: &mut UpperState,
            b: Bucket<'_>,
            next: &mut Next<'_>,
        ) -> io::Result<()> {
            next.pass(b)
        }
    }

    pub struct Dechunk;

    impl InputFilter for Dechunk {
        type State = ();
        const CLASS: i32 = filter::class::PROTOCOL;
        fn read(
            &self,
            _: &mut Request<'_>,
            _: &mut (),
            buf: &mut [u8],
            source: &mut Source<'_>,
        ) -> io::Result<usize> {
            source.read(buf)
        }
    }

    pub struct Anyone;

    impl AuthzProvider for Anyone {
        fn authorize(&self, _: &mut Request<'_>, _: &[&str]) -> Authz {
            Authz::Granted
        }
    }

    mapache_module! {
        symbol: full_test_module,
        name: "full_test",
        handler: Full,
        directives: [
            ("Greeting", TAKE1, ANY, "a greeting"),
            ("Boom", NO_ARGS, ANY, "makes merge panic"),
            ("Panic", NO_ARGS, ANY, "makes set panic"),
        ],
        config: Cfg,
        handler_names: ["full", "full-too"],
        hooks: [Log, Translate, Handler],
        filters: [output("UPPER", Upper), input("DECHUNK", Dechunk)],
        authz: [("anyone", Anyone)],
    }
}

mod legacy {
    use super::*;

    pub struct Old;

    impl HandlerModule for Old {
        fn init(_: &Config<'_>) -> Result<Self, String> {
            Ok(Old)
        }
        fn handle(&self, _: &mut Request<'_>) -> Outcome {
            Outcome::Done
        }
    }

    mapache_module! {
        symbol: legacy_test_module,
        name: "legacy_test",
        handler: Old,
        directives: [],
    }
}

fn text(s: &str) -> MapacheStr {
    MapacheStr {
        ptr: s.as_ptr(),
        len: s.len(),
    }
}

fn c(p: *const std::ffi::c_char) -> &'static str {
    // SAFETY: the tables hold static NUL-terminated strings.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap()
}

/// A null-terminated list of C strings.
fn names(list: *const *const std::ffi::c_char) -> Vec<&'static str> {
    let mut out = Vec::new();
    // SAFETY: the macro's static, null-terminated lists.
    while let Some(&p) = unsafe { list.add(out.len()).as_ref() } {
        if p.is_null() {
            break;
        }
        out.push(c(p));
    }
    out
}

#[test]
fn the_hook_table_lists_the_phases_with_their_orders() {
    let d = &full::full_test_module;
    assert_eq!(d.abi_minor, abi::MAPACHE_ABI_MINOR);
    // SAFETY: the macro's static table of `hook_count` entries.
    let hooks = unsafe { std::slice::from_raw_parts(d.hooks, d.hook_count) };
    let got: Vec<(u32, i32)> = hooks.iter().map(|h| (h.phase, h.order)).collect();
    assert_eq!(
        got,
        [
            (abi::MAPACHE_PHASE_LOG, abi::MAPACHE_ORDER_MIDDLE),
            (abi::MAPACHE_PHASE_TRANSLATE, abi::MAPACHE_ORDER_FIRST),
            (abi::MAPACHE_PHASE_HANDLER, abi::MAPACHE_ORDER_MIDDLE),
        ]
    );
    assert!(hooks.iter().all(|h| h.func.is_some()));
    assert_eq!(names(hooks[1].predecessors), ["rewrite", "alias"]);
    assert_eq!(names(hooks[1].successors), ["proxy"]);
    assert!(hooks[0].predecessors.is_null() && hooks[0].successors.is_null());
    // A module with hooks answers through its Handler hook, not the pre-1.4 entry.
    assert!(d.handle.is_none());
    // SAFETY: as above.
    let names = unsafe { std::slice::from_raw_parts(d.handler_names, d.handler_name_count) };
    let names: Vec<&str> = names.iter().map(|&p| c(p)).collect();
    assert_eq!(names, ["full", "full-too"]);
}

#[test]
fn filters_and_providers_are_described_by_their_traits() {
    let d = &full::full_test_module;
    // SAFETY: the macro's static table.
    let filters = unsafe { std::slice::from_raw_parts(d.filters, d.filter_count) };
    assert_eq!(filters.len(), 2);
    let (out, inp) = (&filters[0], &filters[1]);
    assert_eq!(c(out.name), "UPPER");
    assert_eq!(out.direction, abi::MAPACHE_FILTER_OUTPUT);
    assert_eq!(out.class, abi::MAPACHE_FILTER_RESOURCE);
    assert_eq!(out.flags, abi::MAPACHE_FILTER_KEEPS_LENGTH);
    assert!(out.headers.is_some() && out.body.is_some() && out.read.is_none());
    assert_eq!(c(inp.name), "DECHUNK");
    assert_eq!(inp.direction, abi::MAPACHE_FILTER_INPUT);
    assert_eq!(inp.class, abi::MAPACHE_FILTER_PROTOCOL);
    assert!(inp.read.is_some() && inp.headers.is_none() && inp.body.is_none());
    // SAFETY: as above.
    let providers =
        unsafe { std::slice::from_raw_parts(d.authz_providers, d.authz_provider_count) };
    assert_eq!(providers.len(), 1);
    assert_eq!(c(providers[0].name), "anyone");
    assert!(providers[0].check.is_some() && providers[0].authorize.is_some());
}

#[test]
fn a_filter_state_is_dropped_by_done() {
    let d = &full::full_test_module;
    // SAFETY: the macro's static table.
    let filters = unsafe { std::slice::from_raw_parts(d.filters, d.filter_count) };
    let done = filters[0].done.unwrap();
    let state = Box::into_raw(Box::new(full::UpperState)) as *mut c_void;
    let before = full::DROPPED.load(Ordering::SeqCst);
    done(state);
    assert_eq!(full::DROPPED.load(Ordering::SeqCst), before + 1);
    // Null (a filter never called in the request) is left alone.
    done(std::ptr::null_mut());
    assert_eq!(full::DROPPED.load(Ordering::SeqCst), before + 1);
}

#[test]
fn a_module_without_hooks_keeps_its_handle_and_has_no_tables() {
    let d = &legacy::legacy_test_module;
    assert!(d.handle.is_some());
    assert_eq!(
        (
            d.hook_count,
            d.handler_name_count,
            d.filter_count,
            d.authz_provider_count
        ),
        (0, 0, 0, 0)
    );
    assert!(d.create_config.is_none() && d.set_directive.is_none());
    assert!(d.merge_config.is_none() && d.free_config.is_none());
}

/// Feeds one directive to `cfg` through the descriptor's `set_directive`.
fn set(cfg: *mut c_void, scope: u32, name: &str, args: &[&str]) -> Result<(), String> {
    let d = &full::full_test_module;
    let raw: Vec<MapacheStr> = args.iter().map(|a| text(a)).collect();
    let mut err = [0u8; 256];
    let rc = d.set_directive.unwrap()(
        cfg,
        scope,
        text(name),
        raw.as_ptr(),
        raw.len(),
        err.as_mut_ptr().cast(),
        err.len(),
    );
    if rc == abi::MAPACHE_OK {
        return Ok(());
    }
    assert_eq!(rc, abi::MAPACHE_ERROR);
    let end = err.iter().position(|&b| b == 0).unwrap();
    Err(String::from_utf8_lossy(&err[..end]).into_owned())
}

fn value(p: *const c_void) -> full::Cfg {
    // SAFETY: made by the module's create or merge functions as a Box<Cfg>.
    unsafe { &*(p as *const full::Cfg) }.clone()
}

#[test]
fn typed_configuration_is_created_set_merged_and_freed() {
    let d = &full::full_test_module;
    let (create, merge, free) = (
        d.create_config.unwrap(),
        d.merge_config.unwrap(),
        d.free_config.unwrap(),
    );
    let server = create(abi::MAPACHE_SCOPE_SERVER);
    let section = create(abi::MAPACHE_SCOPE_SECTION);
    let empty_section = create(abi::MAPACHE_SCOPE_SECTION);
    assert_eq!(value(server), full::Cfg::default());

    set(server, abi::MAPACHE_SCOPE_SERVER, "Greeting", &["hello"]).unwrap();
    set(
        section,
        abi::MAPACHE_SCOPE_SECTION,
        "Greeting",
        &["bonjour"],
    )
    .unwrap();
    assert_eq!(value(server).scope, Some(Scope::Server));
    assert_eq!(value(section).scope, Some(Scope::Section));

    // The module's error, and a panic, come back as one line in the core's buffer.
    assert_eq!(
        set(section, abi::MAPACHE_SCOPE_SECTION, "Greeting", &["bad"]),
        Err("Greeting must not be bad".to_owned())
    );
    let panicked = set(section, abi::MAPACHE_SCOPE_SECTION, "Panic", &[]).unwrap_err();
    assert!(
        panicked.contains("Panic: the module panicked"),
        "{panicked}"
    );
    let invalid = MapacheStr {
        ptr: b"\xff".as_ptr(),
        len: 1,
    };
    let mut err = [0u8; 128];
    let rc = d.set_directive.unwrap()(
        section,
        abi::MAPACHE_SCOPE_SECTION,
        text("Greeting"),
        &invalid,
        1,
        err.as_mut_ptr().cast(),
        err.len(),
    );
    assert_eq!(rc, abi::MAPACHE_ERROR);

    // What the section sets wins; what it does not comes from the parent.
    let merged = merge(server, section);
    assert_eq!(value(merged).greeting.as_deref(), Some("bonjour"));
    let inherited = merge(server, empty_section);
    assert_eq!(value(inherited).greeting.as_deref(), Some("hello"));
    assert_eq!(
        value(server).greeting.as_deref(),
        Some("hello"),
        "merge changed the parent"
    );

    // A merge that panics gives the section's value as it is.
    set(empty_section, abi::MAPACHE_SCOPE_SECTION, "Boom", &[]).unwrap();
    let fallback = merge(server, empty_section);
    assert_eq!(value(fallback), value(empty_section));

    for p in [merged, inherited, fallback, server, section, empty_section] {
        free(p);
    }
}
