//! The example modules build outside the workspace with one command each (make for C, its own
//! cargo build for Rust) and serve requests through every MPM.

use mapache_tests::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// The C example's two builds: the ABI 1.4 module of `mod_hello.c`, and the ABI 1.3 module as
/// it was released (`abi-1.3/`, its source and the header it was built against).
struct CModules {
    current: PathBuf,
    abi_1_3: PathBuf,
}

/// Builds the C example into a temp dir with make (`all old`); the header is its only input
/// from mapache.
fn c_modules() -> &'static CModules {
    static BUILT: OnceLock<CModules> = OnceLock::new();
    BUILT.get_or_init(|| {
        let out = std::env::temp_dir().join(format!("mapache-hello-c-{}", std::process::id()));
        std::fs::create_dir_all(&out).unwrap();
        let status = Command::new("make")
            .arg("-C")
            .arg(examples_dir().join("mod-hello-c"))
            .arg(format!("OUT={}", out.display()))
            .args(["all", "old"])
            .status()
            .expect("make is needed to build the C example");
        assert!(status.success(), "the C example does not build");
        CModules {
            current: out.join("mod_hello.so"),
            abi_1_3: out.join("mod_hello_13.so"),
        }
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

/// The ABI 1.3 build of the C example (a binary made before ABI 1.4 existed) loads in this core
/// and serves as it did, next to the Rust example, with every MPM.
#[test]
fn abi_1_3_c_build_and_rust_example_serve_with_every_mpm() {
    let (c, rust) = (&c_modules().abi_1_3, rust_module());
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
        assert!(s.get("/rust").body.starts_with(b"server level\n"), "{mpm}");
        assert!(s.get("/rust/fr").body.starts_with(b"bonjour\n"), "{mpm}");
        let raw = s.exchange(
            b"POST /c HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(parse_responses(&raw, false)[0].status, 405, "{mpm}");
    }
}

/// The phases a request passes when the core serves it (mod-static's handler), as mod_hello's
/// hooks note them; authn runs only when a `Require` line needs a user.
const PHASES_TO_HANDLER: &str =
    "post_read_request,translate,map_to_storage,access,fixups,insert_filter";

/// The ABI 1.4 C example through every MPM: a hook in every phase (X-Hello-Phases, set by its
/// header filter, and its log-phase line), its upper-casing body filter on files mod-static
/// sends (file buckets, read with pread) only where its section directive says so and only for
/// text/plain, its greeting from a section through typed configuration, its declared handler.
#[test]
fn c_example_runs_every_phase_and_filters_with_every_mpm() {
    let c = &c_modules().current;
    let big: String = (0..3000)
        .map(|i| format!("line {i} of a big text file, Mixed Case\n"))
        .collect();
    on_each_mpm(|mpm| {
        let root = Root::new();
        root.write("htdocs/quiet.txt", "quiet text\n");
        root.write("htdocs/loud/small.txt", "Small text, Mixed Case.\n");
        root.write("htdocs/loud/big.txt", &big);
        root.write("htdocs/loud/page.html", "<p>lower case html</p>\n");
        root.config(&format!(
            "{}LoadModule hello_module {}\nStartServers 1\nLogLevel warn hello:info\nHelloTrace On\n\
             <Location /hello>\nSetHandler hello\n</Location>\n\
             <Location /hello/custom>\nHelloGreeting \"custom C greeting\"\n</Location>\n\
             <Location /loud>\nHelloUpcase On\n</Location>\n",
            modules_for(mpm),
            c.display(),
        ));
        let s = Server::start(&root, &[]);

        let r = s.get("/hello");
        assert_eq!(r.body, b"Hello from C\n", "{mpm}");
        assert_eq!(
            r.header("X-Hello-Phases"),
            Some(format!("{PHASES_TO_HANDLER},handler").as_str()),
            "{mpm}"
        );
        assert_eq!(s.get("/hello/custom").body, b"custom C greeting\n", "{mpm}");

        let r = s.get("/loud/small.txt");
        assert_eq!(r.body, b"SMALL TEXT, MIXED CASE.\n", "{mpm}");
        assert_eq!(r.header("Content-Length"), Some("24"), "{mpm}");
        assert_eq!(r.header("X-Hello-Phases"), Some(PHASES_TO_HANDLER), "{mpm}");
        let r = s.get("/loud/big.txt");
        assert_eq!(r.status, 200, "{mpm}");
        assert!(
            r.body == big.to_uppercase().as_bytes(),
            "{mpm}: big.txt not upper-cased"
        );
        // Outside the section, and for another type, bodies pass untouched.
        assert_eq!(s.get("/quiet.txt").body, b"quiet text\n", "{mpm}");
        assert_eq!(
            s.get("/loud/page.html").body,
            b"<p>lower case html</p>\n",
            "{mpm}"
        );

        let raw = s.exchange(
            b"GET /hello/denied HTTP/1.1\r\nHost: t\r\nX-Hello-Deny: 1\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(parse_responses(&raw, false)[0].status, 403, "{mpm}");
        let raw = s.exchange(
            b"POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(parse_responses(&raw, false)[0].status, 405, "{mpm}");

        // The log phase, after each response, with its final status and size.
        for line in [
            format!("/hello: status 200, 13 body bytes, phases {PHASES_TO_HANDLER},handler,log"),
            format!("/loud/small.txt: status 200, 24 body bytes, phases {PHASES_TO_HANDLER},log"),
            "/hello/denied: status 403, ".to_owned(),
            "phases post_read_request,translate,map_to_storage,access,log".to_owned(),
        ] {
            assert!(
                s.wait_log(&line, 5),
                "{mpm}: no log line {line:?} in\n{}",
                s.log_text()
            );
        }
    });
}

/// Both builds report a bad HelloGreeting at -t with its file and line, in one line: the 1.3
/// build from init, the 1.4 build from set_directive (the core adds the place).
#[test]
fn c_example_config_error_names_the_line() {
    let long = "x".repeat(300);
    for c in [&c_modules().current, &c_modules().abi_1_3] {
        let root = Root::new();
        root.config(&format!(
            "{}LoadModule hello_module {}\nHelloGreeting {long}\n",
            standard_modules(),
            c.display()
        ));
        let out = run(&[
            "-t",
            "-f",
            root.path().join("conf/httpd.conf").to_str().unwrap(),
        ]);
        assert_eq!(out.code, Some(1), "{}: {}", c.display(), out.stderr);
        assert!(
            out.stderr.contains("Syntax error on line 9 of")
                && out
                    .stderr
                    .contains("HelloGreeting is longer than 200 bytes"),
            "{}: {}",
            c.display(),
            out.stderr
        );
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    }
}

/// The phases the Rust example's hooks record before the handler, in the order they run.
const BEFORE_HANDLER: &str =
    "post_read_request,translate,map_to_storage,access,fixups,insert_filter";

/// Lower-case text of `n` bytes in lines, so upper-casing changes every letter.
fn lower_text(n: usize) -> Vec<u8> {
    let line = b"the quick brown fox jumps over the lazy dog 0123456789\n";
    line.iter().copied().cycle().take(n).collect()
}

#[test]
fn rust_example_takes_part_in_every_phase_with_every_mpm() {
    let rust = rust_module();
    let big = lower_text(100 * 1024);
    for mpm in mpms() {
        let root = Root::new();
        root.write("htdocs/docs/big.txt", &big);
        root.write("htdocs/docs/page.html", b"<p>keep me</p>\n");
        root.write("htdocs/plain.txt", b"quiet text\n");
        root.config(&format!(
            "{}LoadModule hello_rust_module {}\nStartServers 1\nLogLevel warn hello_rust:info\n\
             HelloRustGreeting \"server level\"\n\
             <Location /docs>\nAddOutputFilterByType UPPER text/plain\nHelloRustGreeting \"docs section\"\n</Location>\n\
             <Location /rust>\nSetHandler hello-rust\n</Location>\n<Location /rust/fr>\nHelloRustGreeting bonjour\n</Location>\n\
             <Location /rust/loud>\nSetOutputFilter UPPER\n</Location>\n",
            modules_for(mpm),
            rust.display()
        ));
        let s = Server::start(&root, &[]);
        // init reads the server level's typed configuration.
        assert!(
            s.wait_log("server-level greeting: server level", 10),
            "{mpm}: {}",
            s.log_text()
        );

        // A static file, sent by mod-static as a file range, upper-cased by the body filter;
        // the filter keeps the length, so Content-Length stands.
        let r = s.get("/docs/big.txt");
        assert_eq!(r.status, 200, "{mpm}");
        assert!(
            r.body == big.to_ascii_uppercase(),
            "{mpm}: body not upper-cased"
        );
        assert_eq!(r.header("Content-Length"), Some("102400"), "{mpm}");
        assert_eq!(r.header("X-Hello-Greeting"), Some("docs section"), "{mpm}");
        assert_eq!(r.header("X-Hello-Phases"), Some(BEFORE_HANDLER), "{mpm}");
        let line = format!(
            "hello_rust log: GET /docs/big.txt 200 102400 bytes, user '', upper 102400, phases {BEFORE_HANDLER},log"
        );
        assert!(
            s.wait_log(&line, 10),
            "{mpm}: no log-phase line {line:?} in\n{}",
            s.log_text()
        );

        // The filter leaves what is not text/plain, and is not configured outside /docs.
        assert_eq!(s.get("/docs/page.html").body, b"<p>keep me</p>\n", "{mpm}");
        let r = s.get("/plain.txt");
        assert_eq!(r.body, b"quiet text\n", "{mpm}");
        assert_eq!(r.header("X-Hello-Greeting"), Some("server level"), "{mpm}");

        // The module's own handler, with the merged greeting of its section.
        let r = s.get("/rust");
        let phases = format!("{BEFORE_HANDLER},handler");
        assert_eq!(
            r.body,
            format!("server level\nphases: {phases}\n").as_bytes(),
            "{mpm}"
        );
        assert_eq!(r.header("X-Hello-Phases"), Some(phases.as_str()), "{mpm}");
        assert_eq!(
            r.header("Content-Type"),
            Some("text/plain; charset=utf-8"),
            "{mpm}"
        );
        assert!(
            s.get("/rust/fr").body.starts_with(b"bonjour\nphases: "),
            "{mpm}"
        );
        assert_eq!(
            s.get("/rust/loud").body,
            format!("SERVER LEVEL\nPHASES: {}\n", phases.to_ascii_uppercase()).as_bytes(),
            "{mpm}"
        );

        // Translate: /hello-old/… is served as /….
        assert_eq!(s.get("/hello-old/plain.txt").body, b"quiet text\n", "{mpm}");

        // Access: refused before fixups ran.
        let raw = s.exchange(
            b"GET /plain.txt HTTP/1.1\r\nHost: t\r\nX-Hello-Deny: yes\r\nConnection: close\r\n\r\n",
        );
        let r = &parse_responses(&raw, false)[0];
        assert_eq!(r.status, 403, "{mpm}");
        assert_eq!(r.header("X-Hello-Greeting"), None, "{mpm}");

        // A panic in a hook is a 500, in a body filter an aborted body; the server serves on.
        let raw = s.exchange(
            b"GET /plain.txt HTTP/1.1\r\nHost: t\r\nX-Hello-Panic: fixups\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(parse_responses(&raw, false)[0].status, 500, "{mpm}");
        assert!(
            s.wait_log("fixups hook panicked; answering 500", 10),
            "{mpm}"
        );
        let raw = s.exchange(
            b"GET /docs/big.txt HTTP/1.1\r\nHost: t\r\nX-Hello-Panic: filter\r\nConnection: close\r\n\r\n",
        );
        assert!(raw.len() < big.len(), "{mpm}: the body was not aborted");
        assert!(s.wait_log("filter UPPER panicked", 10), "{mpm}");
        assert!(
            s.get("/docs/big.txt").body == big.to_ascii_uppercase(),
            "{mpm}"
        );
    }
}

#[test]
fn rust_example_config_error_names_the_line() {
    let root = Root::new();
    root.config(&format!(
        "{}LoadModule hello_rust_module {}\n<Location /x>\nHelloRustGreeting \"\"\n</Location>\n",
        standard_modules(),
        rust_module().display()
    ));
    let out = run(&[
        "-t",
        "-f",
        root.path().join("conf/httpd.conf").to_str().unwrap(),
    ]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("Syntax error on line 10 of")
            && out.stderr.contains("HelloRustGreeting must not be empty"),
        "{}",
        out.stderr
    );
}

#[test]
fn rust_example_authenticates_and_authorizes_through_its_hooks() {
    let root = Root::new();
    root.write("htdocs/members/index.txt", b"members only\n");
    root.config(&format!(
        "{}LoadModule hello_rust_module {}\n\
         <Location /members>\nRequire hello-user alice bob\n</Location>\n",
        standard_modules(),
        rust_module().display()
    ));
    let s = Server::start(&root, &[]);
    let get = |user: Option<&str>| {
        let extra = user.map_or(String::new(), |u| format!("X-Hello-User: {u}\r\n"));
        let raw = format!(
            "GET /members/index.txt HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n"
        );
        parse_responses(&s.exchange(raw.as_bytes()), false)
            .into_iter()
            .next()
            .expect("a response")
    };
    let r = get(None);
    assert_eq!(r.status, 401, "no user: the authn hook challenges");
    assert_eq!(r.header("WWW-Authenticate"), Some("Hello"), "{r:?}");
    assert_eq!(
        get(Some("mallory")).status,
        401,
        "a user the provider refuses"
    );
    let r = get(Some("alice"));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, b"members only\n");
}

#[test]
fn rust_example_counts_in_shared_memory_and_has_a_status_section() {
    let root = Root::new();
    root.write("htdocs/a.txt", b"a\n");
    let status_line = if static_build() {
        "# status_module is built into this mapache".to_owned()
    } else {
        format!(
            "LoadModule status_module {}",
            module("libmod_status.so").display()
        )
    };
    root.config(&format!(
        "{}{status_line}\nLoadModule hello_rust_module {}\nStartServers 2\n\
         <Location /server-status>\nSetHandler server-status\n</Location>\n",
        standard_modules(),
        rust_module().display()
    ));
    let s = Server::start(&root, &[]);
    for _ in 0..3 {
        assert_eq!(s.get("/a.txt").status, 200);
    }
    // The log phase runs after each response: wait until the three are counted.
    let mut json = String::new();
    let counted = wait_until(Duration::from_secs(10), || {
        json = String::from_utf8_lossy(&s.get("/server-status?json").body).into_owned();
        json.split("\"hello_rust\": {\"requests\": ")
            .nth(1)
            .and_then(|rest| rest.split('}').next())
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|n| n >= 3)
    });
    assert!(counted, "{json}");
    assert!(
        json.contains("hello_rust_requests_total"),
        "the metric is listed: {json}"
    );
    let auto = String::from_utf8_lossy(&s.get("/server-status?auto").body).into_owned();
    assert!(auto.contains("HelloRustRequests: "), "{auto}");
    let html = String::from_utf8_lossy(&s.get("/server-status").body).into_owned();
    assert!(html.contains("<h2>hello_rust</h2>"), "{html}");
}
