//! Command-line flags with Apache's outputs.

use mapache_tests::*;

fn conf(root: &Root) -> String {
    root.config(&standard_modules()).display().to_string()
}

#[test]
fn l_lists_compiled_in_modules() {
    let out = run(&["-l"]);
    assert_eq!(out.code, Some(0));
    assert!(
        out.stdout
            .starts_with("Compiled in modules:\n  core.c\n  mod_so.c\n"),
        "{}",
        out.stdout
    );
}

/// The ABI version the binary reports, `major.minor`.
fn abi() -> String {
    use mapache_plugin_api::abi::{MAPACHE_ABI_MAJOR, MAPACHE_ABI_MINOR};
    format!("{MAPACHE_ABI_MAJOR}.{MAPACHE_ABI_MINOR}")
}

#[test]
fn m_lists_loaded_modules_with_versions_and_abi() {
    let root = Root::new();
    let out = run(&["-M", "-f", &conf(&root)]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "Loaded Modules:");
    assert!(lines.contains(&" core_module (static)"), "{}", out.stdout);
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            " mpm_prefork_module (shared) [mpm_prefork 0.1.0, ABI {}]",
            abi()
        ))),
        "{}",
        out.stdout
    );
    assert!(
        lines.iter().any(|l| l.starts_with(&format!(
            " static_module ({}) [static 0.1.0, ABI {}]",
            if static_build() { "static" } else { "shared" },
            abi()
        ))),
        "{}",
        out.stdout
    );
}

#[test]
fn v_and_capital_v() {
    let out = run(&["-v"]);
    assert!(
        out.stdout.starts_with("Server version: mapache/0.1.0"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Server built:"));
    let root = Root::new();
    let out = run(&["-V", "-f", &conf(&root)]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout
            .contains("Server MPM:     prefork\n  threaded:     no\n    forked:     yes"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!("Module ABI:     {}", abi())),
        "{}",
        out.stdout
    );
}

#[test]
fn capital_l_lists_core_and_module_directives() {
    let root = Root::new();
    let out = run(&["-L", "-f", &conf(&root)]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("Listen (core.c)\n\tA port number"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("StartServers (mpm_prefork_module)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("TestGreeting (test_handlers_module)\n\tthe greeting"),
        "{}",
        out.stdout
    );
}

#[test]
fn t_with_defines_and_extra_directives() {
    let root = Root::new();
    let body = format!(
        "{}<IfDefine NEEDED>\nTimeout 30\n</IfDefine>\n<IfDefine !NEEDED>\nBogus\n</IfDefine>\n",
        standard_modules()
    );
    let c = root.config(&body).display().to_string();
    let out = run(&["-t", "-D", "NEEDED", "-f", &c]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let out = run(&["-t", "-f", &c]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("Invalid command 'Bogus'"),
        "{}",
        out.stderr
    );
    let out = run(&["-t", "-DNEEDED", "-f", &c, "-c", "Timeout x"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("-c directive") && out.stderr.contains("Timeout must be"),
        "{}",
        out.stderr
    );
}

#[test]
fn h_prints_usage_and_bad_flags_fail() {
    let out = run(&["-h"]);
    assert_eq!(out.code, Some(0));
    assert!(out.stdout.starts_with("Usage: mapache"), "{}", out.stdout);
    let out = run(&["-Z"]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("illegal option -- Z"), "{}", out.stderr);
}

#[test]
fn linked_in_modules_are_listed_and_refuse_loadmodule() {
    if !static_build() {
        eprintln!("not a static-modules build; this runs in the suite's second pass");
        return;
    }
    let out = run(&["-l"]);
    assert!(out.stdout.contains("\n  mod_static.c"), "{}", out.stdout);
    let root = Root::new();
    let c = root
        .config(&format!(
            "{}LoadModule static_module {}\n",
            standard_modules(),
            module("libmod_static.so").display()
        ))
        .display()
        .to_string();
    let out = run(&["-t", "-f", &c]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("module static_module is built-in and can't be loaded"),
        "{}",
        out.stderr
    );
}

#[test]
fn capital_v_without_a_configuration_still_reports_the_build() {
    let out = run(&["-V", "-f", "/nonexistent/httpd.conf"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!("Module ABI:     {}", abi())),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "Server MPM:     (none: Could not open configuration file /nonexistent/httpd.conf"
        ),
        "{}",
        out.stdout
    );
}

/// The Apache modules whose job the core does are loaded for `<IfModule>`, in both spellings:
/// a block inside one of them is read (its bad User line fails `-t`), and a block inside its
/// negation is skipped (the bogus line is never seen).
#[test]
fn if_module_is_true_for_the_apache_modules_the_core_stands_for() {
    let core_jobs = [
        ("unixd_module", "mod_unixd.c"),
        ("log_config_module", "mod_log_config.c"),
        ("logio_module", "mod_logio.c"),
        ("version_module", "mod_version.c"),
        ("reqtimeout_module", "mod_reqtimeout.c"),
        ("filter_module", "mod_filter.c"),
        ("systemd_module", "mod_systemd.c"),
        ("authz_core_module", "mod_authz_core.c"),
        ("authz_host_module", "mod_authz_host.c"),
    ];
    let root = Root::new();
    let mut body = standard_modules();
    for (sym, file) in core_jobs {
        body.push_str(&format!(
            "<IfModule !{sym}>\nBogus {sym}\n</IfModule>\n<IfModule !{file}>\nBogus {file}\n</IfModule>\n"
        ));
    }
    // A loaded module's declared Apache name (test-handlers declares example_hooks_module).
    body.push_str("<IfModule !example_hooks_module>\nBogus example\n</IfModule>\n");
    body.push_str("<IfModule mod_example_hooks.c>\nTimeout 7\n</IfModule>\n");
    // What the core does not do stays false.
    body.push_str("<IfModule proxy_module>\nBogus proxy\n</IfModule>\n");
    body.push_str("<IfModule ssl_module>\nBogus ssl\n</IfModule>\n");
    // Stock configurations load them: nothing to load, nothing to warn about.
    body.push_str("LoadModule unixd_module modules/mod_unixd.so\n");
    body.push_str("LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so\n");
    let c = root.config(&body).display().to_string();
    let out = run(&["-t", "-f", &c]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(!out.stderr.contains(":warn]"), "{}", out.stderr);
    // Apache's stock httpd.conf sets User and Group inside <IfModule unixd_module>.
    let c = root
        .config(&format!(
            "{}<IfModule unixd_module>\nUser no-such-user-here\n</IfModule>\n",
            standard_modules()
        ))
        .display()
        .to_string();
    let out = run(&["-t", "-f", &c]);
    assert_eq!(
        out.code,
        Some(1),
        "the User line was not read: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("bad user name no-such-user-here"),
        "{}",
        out.stderr
    );
}

/// `-l` names the source files of every module compiled in, as Apache's; `-M` and
/// `-t -D DUMP_MODULES` list them as static modules, and a loaded module's Apache names too.
#[test]
fn l_and_m_list_the_apache_modules_the_core_and_modules_stand_for() {
    let out = run(&["-l"]);
    for file in [
        "core.c",
        "mod_so.c",
        "http_core.c",
        "mod_log_config.c",
        "mod_version.c",
        "mod_unixd.c",
        "mod_reqtimeout.c",
        "mod_filter.c",
    ] {
        assert!(
            out.stdout.lines().any(|l| l == format!("  {file}")),
            "{file}: {}",
            out.stdout
        );
    }
    let root = Root::new();
    let c = conf(&root);
    for args in [
        vec!["-M", "-f", &c],
        vec!["-t", "-D", "DUMP_MODULES", "-f", &c],
    ] {
        let out = run(&args);
        assert_eq!(out.code, Some(0), "{args:?}: {}", out.stderr);
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.first(), Some(&"Loaded Modules:"), "{args:?}");
        for sym in ["unixd_module", "log_config_module", "version_module"] {
            assert!(
                lines.contains(&format!(" {sym} (static)").as_str()),
                "{args:?}: {sym}: {}",
                out.stdout
            );
        }
        assert!(
            lines.contains(&" example_hooks_module (shared) [provided by test_handlers_module]"),
            "{args:?}: {}",
            out.stdout
        );
        assert!(
            !out.stderr.contains("Syntax OK"),
            "{args:?}: {}",
            out.stderr
        );
    }
}

/// `<IfVersion>`, `<IfFile>`, `<IfDirective>` and `<IfSection>`: a block whose condition holds
/// is read (its bogus line fails `-t`), one whose condition fails is skipped.
#[test]
fn the_readers_other_conditions() {
    let root = Root::new();
    root.write("conf/present.conf", "");
    let holding = [
        "IfVersion >= 2.4",
        "IfVersion > 2.2.0",
        "IfVersion !< 2.4",
        "IfVersion ~ ^2\\.4\\.",
        "IfVersion = /^2\\.4/",
        "IfFile conf/present.conf",
        "IfFile !conf/missing.conf",
        "IfDirective Listen",
        "IfDirective startservers",
        "IfDirective TestGreeting",
        "IfDirective !NoSuchDirective",
        "IfSection Directory",
        "IfSection FilesMatch",
        "IfSection RequireAll",
        "IfSection IfModule",
        "IfSection !NoSuchSection",
    ];
    let failing = [
        "IfVersion < 2.4",
        "IfVersion 2.4",
        "IfVersion >= 3",
        "IfFile conf/missing.conf",
        "IfDirective NoSuchDirective",
        "IfDirective !Listen",
        "IfSection NoSuchSection",
    ];
    let block = |cond: &str| {
        let name = cond.split(' ').next().unwrap();
        format!("<{cond}>\nBogus\n</{name}>\n")
    };
    let skipped: String = failing.iter().map(|c| block(c)).collect();
    let c = root
        .config(&format!("{}{skipped}", standard_modules()))
        .display()
        .to_string();
    let out = run(&["-t", "-f", &c]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    for cond in holding {
        let c = root
            .config(&format!("{}{}", standard_modules(), block(cond)))
            .display()
            .to_string();
        let out = run(&["-t", "-f", &c]);
        assert!(
            out.code == Some(1) && out.stderr.contains("Invalid command 'Bogus'"),
            "<{cond}> did not hold: {}",
            out.stderr
        );
    }
    let c = root
        .config(&format!(
            "{}<IfVersion >> 2.4>\n</IfVersion>\n",
            standard_modules()
        ))
        .display()
        .to_string();
    let out = run(&["-t", "-f", &c]);
    assert!(
        out.code == Some(1) && out.stderr.contains("unrecognized operator '>>'"),
        "{}",
        out.stderr
    );
}
