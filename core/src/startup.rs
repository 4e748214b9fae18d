//! Startup: the order in which the server comes up, from the command line to the MPM.

use crate::config::dispatch::{Dispatcher, BUILT_IN};
use crate::config::settings::CoreSettings;
use crate::config::store::View;
use crate::config::Reader;
use crate::loader::{LoadedModule, Origin};
use crate::logs::error_log;
use mapache_plugin_api::abi::{
    self, MapacheConfig, MapacheListener, MapacheRunInfo, MapacheStr, MAPACHE_ABI_MAJOR,
    MAPACHE_ABI_MINOR, MAPACHE_MODULE_MAGIC,
};
use std::path::PathBuf;

const PROGRAM: &str = "mapache";

/// A configuration read in full, modules loaded but not initialised.
struct Loaded {
    dispatcher: Dispatcher,
}

/// Runs the command line in `std::env::args`; returns the exit status.
pub fn run() -> i32 {
    let args = match crate::cli::parse(std::env::args_os().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{PROGRAM}: {e}");
            eprint!("{}", crate::cli::usage(PROGRAM));
            return 1;
        }
    };
    match args.action {
        crate::cli::Action::Help => {
            print!("{}", crate::cli::usage(PROGRAM));
            return 0;
        }
        crate::cli::Action::Version => {
            println!(
                "Server version: {}",
                crate::config::settings::ServerTokens::Full.header()
            );
            println!("Server built:   {}", env!("MAPACHE_BUILT"));
            return 0;
        }
        crate::cli::Action::ListCompiled => {
            println!("Compiled in modules:");
            for (_, file) in BUILT_IN {
                println!("  {file}");
            }
            for (_, file, _) in crate::loader::linked() {
                println!("  {file}");
            }
            return 0;
        }
        _ => {}
    }
    // Sockets passed by systemd (or by our own re-exec), and what a restart carries over (the
    // generation, the scoreboard), are taken before anything can start a program that would
    // inherit them.
    let (activation, carried) = if args.action == crate::cli::Action::Run {
        (
            crate::control::systemd::take_listen_fds(),
            crate::scoreboard::take_inherited(),
        )
    } else {
        Default::default()
    };
    let loaded = match load_config(&args) {
        Ok(l) => l,
        Err(e) if args.action == crate::cli::Action::Settings => {
            // The MPM is a module named by the configuration; without one, -V still reports
            // the build and says why no MPM is shown.
            print_settings(&[]);
            println!("Server MPM:     (none: {e})");
            return 0;
        }
        Err(e) => {
            eprintln!("{PROGRAM}: {e}");
            return 1;
        }
    };
    let modules = &loaded.dispatcher.modules;
    // `-t -D DUMP_MODULES` is Apache's other spelling of `-M`.
    let dump_modules =
        args.action == crate::cli::Action::Test && args.defines.iter().any(|d| d == "DUMP_MODULES");
    match args.action {
        _ if dump_modules => {
            print_loaded(modules);
            return 0;
        }
        crate::cli::Action::ListLoaded => {
            print_loaded(modules);
            return 0;
        }
        crate::cli::Action::ListDirectives => {
            print_directives(modules);
            return 0;
        }
        crate::cli::Action::Settings => {
            print_settings(modules);
            return 0;
        }
        _ => {}
    }
    let root = loaded.dispatcher.server_root.clone();
    let mut settings = match CoreSettings::from_store(&loaded.dispatcher.store, &root) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{PROGRAM}: {e}");
            return 1;
        }
    };
    let vhosts = match crate::vhost::Vhosts::build(&loaded.dispatcher.store, &settings) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{PROGRAM}: {e}");
            return 1;
        }
    };
    if args.action == crate::cli::Action::Run {
        // -k (and a plain run, checked like -k start) after the whole configuration was read.
        match crate::control::dash_k::handle(PROGRAM, args.signal, &settings.pid_file) {
            crate::control::dash_k::Next::Exit(code) => return code,
            crate::control::dash_k::Next::Start => {}
        }
        if crate::control::detach::wanted(&args, !activation.sockets.is_empty()) {
            match crate::control::detach::detach(PROGRAM) {
                crate::control::detach::Role::Exit(code) => return code,
                crate::control::detach::Role::Daemon => {}
            }
        }
        // A daemon (also after re-executing itself for a restart) has no standard error to log
        // to: Apache's default error log then.
        if crate::control::detach::is_daemon() && settings.error_log.is_none() {
            settings.error_log = Some(crate::logs::LogTarget::File(
                root.join(crate::control::detach::DEFAULT_ERROR_LOG),
            ));
        }
        if let Err(e) = error_log::open(
            settings.error_log.as_ref(),
            settings.log_levels.clone(),
            settings.error_log_format.clone(),
            &settings.server_name,
        ) {
            eprintln!("{PROGRAM}: {e}");
            return 1;
        }
        if let Err(e) = crate::logs::access_log::open(&settings.access_logs, settings.buffered_logs)
        {
            eprintln!("{PROGRAM}: {e}");
            return 1;
        }
        if let Err(e) = open_vhost_logs(&vhosts) {
            eprintln!("{PROGRAM}: {e}");
            return 1;
        }
    }
    let srv = match install(loaded, settings, vhosts) {
        Ok(srv) => srv,
        Err(e) => {
            eprintln!("{PROGRAM}: {e}");
            return 1;
        }
    };
    if let Err(e) = init_modules(srv) {
        eprintln!("{PROGRAM}: {e}");
        return 1;
    }
    if args.action == crate::cli::Action::Test {
        let dump = |name: &str| args.defines.iter().any(|d| d == name);
        if dump("DUMP_VHOSTS") {
            print!("{}", crate::vhost::dump::vhosts(&srv.store, &srv.vhosts));
        }
        if dump("DUMP_RUN_CFG") {
            print!(
                "{}",
                crate::vhost::dump::run_cfg(&srv.store, &srv.settings, &args.defines)
            );
        }
        // Apache: a dump replaces "Syntax OK".
        if !dump("DUMP_VHOSTS") && !dump("DUMP_RUN_CFG") {
            eprintln!("Syntax OK");
        }
        return 0;
    }
    for why in activation.refused.iter().chain(&carried) {
        error_log::log("core", error_log::WARN, None, why);
    }
    if srv.settings.run_as.is_some() && !crate::control::privileges::running_as_root() {
        error_log::log(
            "core",
            error_log::INFO,
            None,
            "not started as root: User and Group are ignored, children keep this user",
        );
    }
    serve(srv, &args, activation)
}

fn load_config(args: &crate::cli::Args) -> Result<Loaded, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let root = match &args.server_root {
        Some(r) if r.is_absolute() => r.clone(),
        Some(r) => cwd.join(r),
        None => cwd,
    };
    let mut reader = Reader::new(root.clone(), &args.defines);
    let mut dispatcher = Dispatcher::new(root)?;
    for d in &args.pre_directives {
        reader
            .read_str(d, "-C directive", &mut dispatcher)
            .map_err(|e| e.to_string())?;
    }
    let file = args
        .config_file
        .clone()
        .unwrap_or_else(|| PathBuf::from("conf/httpd.conf"));
    reader
        .read_file(&file, &mut dispatcher)
        .map_err(|e| e.to_string())?;
    for d in &args.post_directives {
        reader
            .read_str(d, "-c directive", &mut dispatcher)
            .map_err(|e| e.to_string())?;
    }
    dispatcher.record_defaults();
    dispatcher.finish_module_configs();
    if !dispatcher.modules.iter().any(LoadedModule::is_mpm) {
        return Err("Configuration error: No MPM loaded.".to_owned());
    }
    Ok(Loaded { dispatcher })
}

/// Each virtual host's own ErrorLog and access logs, opened in the master before any fork
/// (those without their own use the main server's).
fn open_vhost_logs(vhosts: &crate::vhost::Vhosts) -> Result<(), String> {
    if vhosts.list.is_empty() {
        return Ok(());
    }
    error_log::open_vhosts(
        vhosts
            .list
            .iter()
            .map(|v| (v.error_log.as_ref(), v.log_levels.clone()))
            .collect(),
    )?;
    crate::logs::access_log::open_vhosts(
        &vhosts
            .list
            .iter()
            .map(|v| v.access_logs.as_deref())
            .collect::<Vec<_>>(),
    )
}

fn install(
    loaded: Loaded,
    settings: CoreSettings,
    vhosts: crate::vhost::Vhosts,
) -> Result<&'static crate::server::Server, String> {
    let Dispatcher { store, modules, .. } = loaded.dispatcher;
    let (mut mpms, mut handlers): (Vec<_>, Vec<_>) =
        modules.into_iter().partition(LoadedModule::is_mpm);
    // Handlers are offered requests in LoadModule order; modules linked into the binary come
    // after the loaded ones, so the default handler (mod-static) stays last, as when loaded last.
    handlers.sort_by_key(|m| m.origin == Origin::Static);
    let pipeline = crate::pipeline::Pipeline::build(&store, &handlers)?;
    Ok(crate::server::install(crate::server::Server {
        store,
        settings,
        mpm: mpms.remove(0),
        handlers,
        server_view: View::default(),
        pipeline,
        vhosts,
    }))
}

/// Runs every module's `init` in the master, MPM first.
fn init_modules(srv: &'static crate::server::Server) -> Result<(), String> {
    let cfg = &srv.server_view as *const View as *const MapacheConfig;
    for m in std::iter::once(&srv.mpm).chain(srv.handlers.iter()) {
        let Some(init) = m.desc.init else { continue };
        crate::loader::module_calls::call_with_error(|err, cap| {
            init(&crate::host::HOST, cfg, err, cap)
        })
        .map_err(|line| {
            let msg = line.unwrap_or_else(|| "no reason given".to_owned());
            format!("module {} failed to initialise: {msg}", m.symbol)
        })?;
    }
    Ok(())
}

/// Blocks TERM, INT, HUP, USR1 and WINCH in the master; the MPM unblocks those it handles. Also
/// before a re-exec: what arrives meanwhile stays pending for the new process's MPM.
pub(crate) fn block_control_signals() {
    use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow, Signal};
    let mut set = SigSet::empty();
    for sig in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGUSR1,
        Signal::SIGWINCH,
    ] {
        set.add(sig);
    }
    if let Err(e) = sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None) {
        error_log::log(
            "core",
            error_log::WARN,
            None,
            &format!("could not block control signals: {e}"),
        );
    }
}

fn serve(
    srv: &'static crate::server::Server,
    args: &crate::cli::Args,
    activation: crate::control::systemd::Activation,
) -> i32 {
    let s = &srv.settings;
    if s.listen.is_empty() {
        eprintln!(
            "{PROGRAM}: no listening sockets available, shutting down: add a Listen directive"
        );
        return 1;
    }
    // A restarted server was serving fine: a Listen line it cannot bind now (the address is
    // gone, or taken) costs that line, not the whole server (Apache stops there).
    let restarted = crate::scoreboard::generation() > 0;
    let opened = match crate::listen::open_all(&s.listen, s.backlog, activation.sockets, restarted)
    {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{PROGRAM}: {e}");
            error_log::log("core", error_log::EMERG, None, &e);
            return 1;
        }
    };
    for l in &opened.listeners {
        crate::listen::set_accepted_options(l.fd, s.timeout);
    }
    for e in &opened.skipped {
        error_log::log(
            "core",
            error_log::ERROR,
            None,
            &format!("{e}; the restarted server goes on without this Listen line"),
        );
    }
    // From the moment the pid file and READY=1 announce us, a stop or restart signal must not
    // meet the default action (death without cleanup): hold them pending until the MPM has
    // installed its handlers and unblocks them (the mpm_run contract in the ABI).
    block_control_signals();
    match crate::control::pidfile::write(&s.pid_file) {
        Ok(Some(old)) if old != std::process::id() as i32 => error_log::log(
            "core",
            error_log::WARN,
            None,
            &format!(
                "pid file {} overwritten -- Unclean shutdown of previous {PROGRAM} run?",
                s.pid_file.display()
            ),
        ),
        Ok(_) => {}
        Err(e) => {
            eprintln!("{PROGRAM}: {e}");
            return 1;
        }
    }
    for n in &opened.notes {
        error_log::log("core", error_log::NOTICE, None, n);
    }
    // Kept where listeners_close and a re-exec find them.
    let bound = crate::listen::hand_over(opened.listeners);
    for l in bound {
        error_log::log(
            "core",
            error_log::NOTICE,
            None,
            &format!("listening on {}", l.addr),
        );
    }
    error_log::log(
        "core",
        error_log::NOTICE,
        None,
        &format!(
            "{} configured -- resuming normal operations",
            s.server_header
        ),
    );
    let listeners: Vec<MapacheListener> = bound
        .iter()
        .map(|l| MapacheListener {
            fd: l.fd,
            addr: MapacheStr {
                ptr: l.addr.as_ptr(),
                len: l.addr.len(),
            },
        })
        .collect();
    let info = MapacheRunInfo {
        struct_size: std::mem::size_of::<MapacheRunInfo>() as u32,
        flags: if args.one_process {
            abi::MAPACHE_RUN_ONE_PROCESS
        } else {
            0
        },
        listeners: listeners.as_ptr(),
        listener_count: listeners.len(),
        config: &srv.server_view as *const View as *const MapacheConfig,
    };
    let Some(run) = srv.mpm.desc.mpm_run else {
        return 1;
    };
    crate::control::privileges::set_master();
    sd_notify(&crate::control::systemd::ready_message());
    crate::control::detach::ready();
    let result = run(&info);
    let graceful = result == abi::MAPACHE_MPM_GRACEFUL;
    if graceful || result == abi::MAPACHE_MPM_RESTART {
        // Same PID after the exec: the pid file stays (removing it would let `-k` say that no
        // server runs while one does).
        sd_notify(&crate::control::systemd::reloading_message());
        return crate::control::reexec::reexec(graceful);
    }
    sd_notify("STOPPING=1");
    crate::control::pidfile::remove(&s.pid_file);
    match result {
        abi::MAPACHE_MPM_EXIT => 0,
        _ => {
            error_log::log(
                "core",
                error_log::EMERG,
                None,
                "the MPM failed; the server stops",
            );
            1
        }
    }
}

/// Tells the service manager about a state change; a failure is worth a line, not a stop.
fn sd_notify(state: &str) {
    if let Err(e) = crate::control::systemd::notify(state) {
        error_log::log(
            "core",
            error_log::WARN,
            None,
            &format!("could not notify the service manager (NOTIFY_SOCKET): {e}"),
        );
    }
}

/// The MPM's name as `-V` and status pages show it: `prefork` for `mpm_prefork`.
pub(crate) fn mpm_short_name(m: &LoadedModule) -> &str {
    m.name.strip_prefix("mpm_").unwrap_or(&m.name)
}

fn print_loaded(modules: &[LoadedModule]) {
    println!("Loaded Modules:");
    for (sym, _) in BUILT_IN {
        println!(" {sym} (static)");
    }
    for m in modules {
        let how = match m.origin {
            Origin::Shared(_) => "shared",
            Origin::Static => "static",
        };
        println!(
            " {} ({how}) [{} {}, ABI {}]",
            m.symbol,
            m.name,
            m.version,
            m.abi()
        );
        // The Apache modules whose job it does, under Apache's names, so `-M | grep mime_module`
        // finds what an admin looks for.
        for apache in &m.tables.apache_names {
            if *apache != m.symbol {
                println!(" {apache} ({how}) [provided by {}]", m.symbol);
            }
        }
    }
}

fn contexts_text(ctx: u32) -> &'static str {
    match (
        ctx & abi::MAPACHE_CTX_SERVER != 0,
        ctx & abi::MAPACHE_CTX_SECTION != 0,
    ) {
        (true, true) => "Allowed in *.conf anywhere",
        (true, false) => "Allowed in *.conf only outside <Directory> or <Location>",
        (false, true) => "Allowed in *.conf only inside <Directory> or <Location>",
        (false, false) => "Not allowed anywhere",
    }
}

fn print_directives(modules: &[LoadedModule]) {
    println!("<Directory (core.c)\n\tContainer for directives affecting resources located in the specified directories\n\tAllowed in *.conf only outside <Directory> or <Location>");
    println!("<Location (core.c)\n\tContainer for directives affecting resources accessed through the specified URL paths\n\tAllowed in *.conf only outside <Directory> or <Location>");
    for d in crate::config::core_directives::CORE_DIRECTIVES {
        println!(
            "{} (core.c)\n\t{}\n\t{}",
            d.name,
            d.help,
            contexts_text(d.contexts)
        );
    }
    for m in modules {
        for d in &m.directives {
            println!(
                "{} ({})\n\t{}\n\t{}",
                d.name,
                m.symbol,
                d.help,
                contexts_text(d.contexts)
            );
        }
    }
}

fn print_settings(modules: &[LoadedModule]) {
    println!(
        "Server version: {}",
        crate::config::settings::ServerTokens::Full.header()
    );
    println!("Server built:   {}", env!("MAPACHE_BUILT"));
    println!("Module ABI:     {MAPACHE_ABI_MAJOR}.{MAPACHE_ABI_MINOR} (magic {MAPACHE_MODULE_MAGIC:08x})");
    println!("Architecture:   {}-bit", usize::BITS);
    println!(
        "Apache version: {} (what <IfVersion> compares with)",
        crate::config::if_version::compatible_text()
    );
    if let Some(m) = modules.iter().find(|m| m.is_mpm()) {
        let yes = |b: bool| if b { "yes" } else { "no" };
        println!("Server MPM:     {}", mpm_short_name(m));
        println!(
            "  threaded:     {}",
            yes(m.desc.mpm_flags & abi::MAPACHE_MPM_THREADED != 0)
        );
        let forked = m.desc.mpm_flags & abi::MAPACHE_MPM_FORKED != 0;
        println!(
            "    forked:     {}",
            if forked {
                "yes (variable process count)"
            } else {
                "no"
            }
        );
        println!(
            "     async:     {}",
            yes(m.desc.mpm_flags & abi::MAPACHE_MPM_ASYNC != 0)
        );
    }
    println!("Server compiled with....");
    println!(" -D SERVER_CONFIG_FILE=\"conf/httpd.conf\"");
    println!(" -D DEFAULT_PIDLOG=\"logs/mapache.pid\"");
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::signal::{pthread_sigmask, SigSet, SigmaskHow, Signal};

    #[test]
    fn control_signals_are_held_pending_until_the_mpm_unblocks_them() {
        let mut before = SigSet::empty();
        pthread_sigmask(SigmaskHow::SIG_SETMASK, None, Some(&mut before)).unwrap();
        block_control_signals();
        let mut now = SigSet::empty();
        pthread_sigmask(SigmaskHow::SIG_SETMASK, None, Some(&mut now)).unwrap();
        pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&before), None).unwrap();
        for sig in [
            Signal::SIGTERM,
            Signal::SIGINT,
            Signal::SIGHUP,
            Signal::SIGUSR1,
            Signal::SIGWINCH,
        ] {
            assert!(now.contains(sig), "{sig:?} is not blocked");
        }
        assert!(
            !now.contains(Signal::SIGCHLD),
            "SIGCHLD must stay deliverable"
        );
    }
}
