//! The example modules build outside the workspace with one command each (make for C, its own
//! cargo build for Rust) and serve requests through every MPM.

use mapache_tests::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// Builds the C example into a temp dir with make; the header is its only input from mapache.
fn c_module() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = std::env::temp_dir().join(format!("mapache-hello-c-{}", std::process::id()));
        std::fs::create_dir_all(&out).unwrap();
        let status = Command::new("make")
            .arg("-C")
            .arg(examples_dir().join("mod-hello-c"))
            .arg(format!("OUT={}", out.display()))
            .status()
            .expect("make is needed to build the C example");
        assert!(status.success(), "the C example does not build");
        out.join("mod_hello.so")
    })
}

/// Builds the Rust example with its own cargo, into its own target dir.
fn rust_module() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let manifest = examples_dir().join("mod-hello-rust/Cargo.toml");
        let target = build_dir().join("../examples-target");
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--quiet", "--manifest-path"])
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&target)
            .env_remove("CARGO_TARGET_DIR")
            .status()
            .expect("cargo");
        assert!(status.success(), "the Rust example does not build");
        target.join("debug/libmod_hello_rust.so")
    })
}

#[test]
fn c_and_rust_examples_serve_with_every_mpm() {
    let (c, rust) = (c_module(), rust_module());
    for mpm in mpms() {
        let root = Root::new();
        root.config(&format!(
            "{}LoadModule hello_module {}\nLoadModule hello_rust_module {}\nStartServers 1\nHelloRustGreeting \"server level\"\n\
             <Location /c>\nSetHandler hello\n</Location>\n<Location /c/custom>\nHelloGreeting \"custom C greeting\"\n</Location>\n\
             <Location /rust>\nSetHandler hello-rust\n</Location>\n<Location /rust/fr>\nHelloRustGreeting bonjour\n</Location>\n",
            modules_for(mpm),
            c.display(),
            rust.display()
        ));
        let s = Server::start(&root, &[]);
        assert_eq!(s.get("/c").body, b"Hello from C\n", "{mpm}");
        assert_eq!(s.get("/c/custom").body, b"custom C greeting\n", "{mpm}");
        assert_eq!(s.get("/rust").body, b"server level\n", "{mpm}");
        assert_eq!(s.get("/rust/fr").body, b"bonjour\n", "{mpm}");
        let raw = s.exchange(
            b"POST /c HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(parse_responses(&raw, false)[0].status, 405, "{mpm}");
    }
}

#[test]
fn c_example_config_error_names_the_line() {
    let root = Root::new();
    let long = "x".repeat(300);
    root.config(&format!(
        "{}LoadModule hello_module {}\nHelloGreeting {long}\n",
        standard_modules(),
        c_module().display()
    ));
    let out = run(&[
        "-t",
        "-f",
        root.path().join("conf/httpd.conf").to_str().unwrap(),
    ]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("Syntax error on line 9 of")
            && out
                .stderr
                .contains("HelloGreeting is longer than 200 bytes"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}
