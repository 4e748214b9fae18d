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

#[test]
fn m_lists_loaded_modules_with_versions_and_abi() {
    let root = Root::new();
    let out = run(&["-M", "-f", &conf(&root)]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "Loaded Modules:");
    assert!(lines.contains(&" core_module (static)"), "{}", out.stdout);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(" mpm_prefork_module (shared) [mpm_prefork 0.1.0, ABI 1.5]")),
        "{}",
        out.stdout
    );
    assert!(
        lines.iter().any(|l| l.starts_with(if static_build() {
            " static_module (static) [static 0.1.0, ABI 1.5]"
        } else {
            " static_module (shared) [static 0.1.0, ABI 1.5]"
        })),
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
    assert!(out.stdout.contains("Module ABI:     1.5"), "{}", out.stdout);
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
    assert!(out.stdout.contains("Module ABI:     1.5"), "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "Server MPM:     (none: Could not open configuration file /nonexistent/httpd.conf"
        ),
        "{}",
        out.stdout
    );
}
