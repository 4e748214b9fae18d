//! LoadModule and configuration errors: each is one line on standard error, exit status 1, naming
//! the file and line where there is one.

use mapache_tests::*;

/// Runs `-t` on a configuration and returns (exit code, stderr).
fn check(root: &Root, body: &str) -> (Option<i32>, String) {
    let conf = root.config(body);
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    (out.code, out.stderr)
}

/// Asserts a failure: exit 1, one line, containing every `needle`.
fn assert_error(root: &Root, body: &str, needles: &[&str]) {
    let (code, err) = check(root, body);
    assert_eq!(code, Some(1), "expected exit 1; stderr:\n{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "expected exactly one line, got:\n{err}");
    for n in needles {
        assert!(err.contains(n), "expected {n:?} in:\n{err}");
    }
}

fn conf_path(root: &Root) -> String {
    root.path().join("conf/httpd.conf").display().to_string()
}

#[test]
fn valid_configuration_says_syntax_ok() {
    let root = Root::new();
    let (code, err) = check(&root, &standard_modules());
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err.trim(), "Syntax OK");
}

#[test]
fn missing_module_file() {
    let root = Root::new();
    let body = format!(
        "{}LoadModule nosuch_module modules/libnosuch.so\n",
        standard_modules()
    );
    assert_error(
        &root,
        &body,
        &[
            &format!("Syntax error on line 8 of {}", conf_path(&root)),
            "Cannot load",
            "libnosuch.so into server",
            "No such file or directory",
        ],
    );
}

#[test]
fn missing_symbol() {
    let root = Root::new();
    let body = format!(
        "LoadModule nosuch_module {}\n",
        module("libmod_static.so").display()
    );
    assert_error(
        &root,
        &body,
        &[
            "line 5 of",
            "Can't locate API module structure `nosuch_module' in file",
            "undefined symbol: nosuch_module",
        ],
    );
}

#[test]
fn wrong_magic() {
    let root = Root::new();
    let body = format!(
        "LoadModule bad_magic_module {}\n",
        module("libabi_variants.so").display()
    );
    assert_error(
        &root,
        &body,
        &[
            "line 5 of",
            "is garbled - expected signature 4d415043 but saw 12345678",
        ],
    );
}

#[test]
fn other_abi_major_names_both_numbers() {
    let root = Root::new();
    let body = format!(
        "LoadModule other_major_module {}\n",
        module("libabi_variants.so").display()
    );
    assert_error(
        &root,
        &body,
        &["not compatible with this version of mapache (found ABI major 2, need 1)"],
    );
}

#[test]
fn newer_minor_is_refused() {
    let root = Root::new();
    let body = format!(
        "LoadModule future_minor_module {}\n",
        module("libabi_variants.so").display()
    );
    let minor = mapache_plugin_api::abi::MAPACHE_ABI_MINOR;
    assert_error(
        &root,
        &body,
        &[&format!(
            "needs module ABI 1.{} but this mapache provides 1.{minor}",
            minor + 7
        )],
    );
}

#[test]
fn descriptor_too_small() {
    let root = Root::new();
    let body = format!(
        "LoadModule truncated_module {}\n",
        module("libabi_variants.so").display()
    );
    assert_error(
        &root,
        &body,
        &["is too small: 16 bytes where ABI 1.0 needs"],
    );
}

#[test]
fn unknown_directive() {
    let root = Root::new();
    let body = format!("{}\nFrobnicate on\n", standard_modules());
    assert_error(&root, &body, &["line 9 of", "Invalid command 'Frobnicate', perhaps misspelled or defined by a module not included in the server configuration"]);
}

#[test]
fn module_directive_before_its_module_is_unknown() {
    let root = Root::new();
    let body = format!("StartServers 3\n{}", standard_modules());
    assert_error(
        &root,
        &body,
        &["line 5 of", "Invalid command 'StartServers'"],
    );
}

#[test]
fn wrong_arity_uses_help_text() {
    let root = Root::new();
    assert_error(
        &root,
        &format!("{}Timeout 5 # comment\n", standard_modules()),
        &[
            "line 8 of",
            "Timeout takes one argument, Timeout duration (sec)",
        ],
    );
    assert_error(
        &root,
        &format!("{}StartServers\n", standard_modules()),
        &["StartServers takes one argument"],
    );
    assert_error(
        &root,
        &format!("{}KeepAlive maybe\n", standard_modules()),
        &["KeepAlive must be On or Off"],
    );
}

#[test]
fn wrong_context() {
    let root = Root::new();
    let body = format!(
        "{}<Location /x>\nListen 8081\n</Location>\n",
        standard_modules()
    );
    assert_error(
        &root,
        &body,
        &["line 9 of", "Listen not allowed in <Location> context"],
    );
    let body = format!(
        "{}<Directory /tmp>\nStartServers 2\n</Directory>\n",
        standard_modules()
    );
    assert_error(
        &root,
        &body,
        &["StartServers not allowed in <Directory> context"],
    );
}

#[test]
fn unclosed_container() {
    let root = Root::new();
    let body = format!(
        "{}<Location /x>\nSetHandler test-echo\n",
        standard_modules()
    );
    assert_error(&root, &body, &["line 8 of", "<Location> was not closed."]);
}

#[test]
fn no_mpm_loaded() {
    let root = Root::new();
    let body = format!(
        "LoadModule test_handlers_module {}\n",
        module("libtest_handlers.so").display()
    );
    assert_error(&root, &body, &["Configuration error: No MPM loaded."]);
}

#[test]
fn more_than_one_mpm() {
    let root = Root::new();
    let body = format!(
        "{}LoadModule fake_mpm_module {}\n",
        standard_modules(),
        module("libabi_variants.so").display()
    );
    assert_error(&root, &body, &["line 8 of", "More than one MPM loaded"]);
}

#[test]
fn module_loaded_twice_is_a_warning() {
    let root = Root::new();
    let body = format!(
        "{}LoadModule static_module {}\n",
        standard_modules(),
        module("libmod_static.so").display()
    );
    let (code, err) = check(&root, &body);
    assert_eq!(code, Some(0), "{err}");
    let expected = if static_build() {
        "module static_module is built-in and can't be loaded"
    } else {
        "module static_module is already loaded, skipping"
    };
    assert!(err.contains(expected), "{err}");
    assert!(err.contains("Syntax OK"), "{err}");
}

#[test]
fn relative_module_paths_resolve_against_server_root() {
    let root = Root::new();
    std::fs::create_dir_all(root.path().join("modules")).unwrap();
    for f in ["libmpm_prefork.so", "libmod_static.so"] {
        std::os::unix::fs::symlink(module(f), root.path().join("modules").join(f)).unwrap();
    }
    let body = "LoadModule mpm_prefork_module modules/libmpm_prefork.so\nLoadModule static_module modules/libmod_static.so\n";
    let (code, err) = check(&root, body);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn module_init_failure_stops_startup() {
    let root = Root::new();
    let body = format!("{}TestFailInit On\n", standard_modules());
    assert_error(
        &root,
        &body,
        &["module test_handlers_module failed to initialise: TestFailInit is On"],
    );
}

#[test]
fn mpm_directive_value_is_checked_with_its_line() {
    let root = Root::new();
    let body = format!("{}StartServers many\n", standard_modules());
    let (code, err) = check(&root, &body);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("line 8 of") && err.contains("StartServers"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn missing_config_file() {
    let out = run(&["-t", "-f", "/nonexistent/mapache.conf"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr
            .contains("Could not open configuration file /nonexistent/mapache.conf"),
        "{}",
        out.stderr
    );
}

#[test]
fn include_define_and_ifmodule_work_together() {
    let root = Root::new();
    root.write(
        "conf/extra/greeting.conf",
        "<IfModule test_handlers_module>\nTestGreeting \"${WHO} here\"\n</IfModule>\n",
    );
    let body = format!("Define WHO mapache\n{}Include conf/extra/*.conf\n<IfDefine !NOPE>\n<Location /g>\nSetHandler test-greeting\n</Location>\n</IfDefine>\n", standard_modules());
    let (code, err) = check(&root, &body);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn a_module_built_against_an_older_minor_loads_and_serves() {
    for mpm in mpms() {
        let root = Root::new();
        root.config(&format!(
            "{}LoadModule old_minor_module {}\nStartServers 1\n<Location /old>\nSetHandler old-abi\nOldGreeting hi\n</Location>\n",
            modules_for(mpm),
            module("libabi_variants.so").display()
        ));
        let out = run(&[
            "-M",
            "-f",
            root.path().join("conf/httpd.conf").to_str().unwrap(),
        ]);
        assert!(
            out.stdout
                .contains(" old_minor_module (shared) [old_minor 9.9.9, ABI 1.0]"),
            "{}{}",
            out.stdout,
            out.stderr
        );
        let s = Server::start(&root, &[]);
        let r = s.get("/old");
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, b"built against ABI 1.0\n".as_slice()),
            "{mpm}"
        );
    }
}

#[test]
fn module_value_checks_report_the_line_inside_sections() {
    let root = Root::new();
    let body = format!(
        "{}<Location /g>\nSetHandler test-greeting\nTestGreeting \"  \"\n</Location>\n",
        standard_modules()
    );
    assert_error(
        &root,
        &body,
        &["line 10 of", "TestGreeting must not be empty"],
    );
}
