//! Handlers the integration tests drive through the real core, selected with SetHandler:
//! `test-panic` panics, `test-echo` answers with the request body and a summary, `test-stream`
//! writes a body of unknown length in pieces, `test-greeting` answers with the `TestGreeting`
//! directive in effect, `test-teapot` returns a status for the core to answer, `test-config` answers with the
//! value in effect of the directive named in its query string, `test-pid` answers with the
//! process id of the child serving it, `test-hang` sleeps for the seconds in its query string
//! without reading or writing (for the stuck-request watchdog), `test-hog` allocates and touches
//! the MiB in its query string and leaks them (for the memory ceiling). `TestFailInit On` makes
//! `init` fail; `TestFailChildInit On` makes `child_init` fail in every child.

use mapache_plugin_api::{mapache_module, sdk::*};

struct TestHandlers {
    fail_child_init: bool,
}

/// The longest `test-hang` sleeps, whatever its query says, so a forgotten request ends.
const MAX_HANG_SECS: u64 = 120;
/// The most `test-hog` allocates in one request.
const MAX_HOG_MIB: usize = 1024;

impl HandlerModule for TestHandlers {
    fn check_directive(name: &str, args: &[&str]) -> Result<(), String> {
        if name == "TestGreeting" && args.first().is_some_and(|g| g.trim().is_empty()) {
            return Err("TestGreeting must not be empty".to_owned());
        }
        Ok(())
    }

    fn init(config: &Config<'_>) -> Result<Self, String> {
        if config.flag("TestFailInit") == Some(true) {
            return Err("TestFailInit is On, so this module refuses to start".to_owned());
        }
        Ok(TestHandlers {
            fail_child_init: config.flag("TestFailChildInit") == Some(true),
        })
    }

    fn child_init(&self) -> Result<(), String> {
        if self.fail_child_init {
            return Err("TestFailChildInit is On, so this child refuses to start".to_owned());
        }
        Ok(())
    }

    fn handle(&self, req: &mut Request<'_>) -> Outcome {
        match req.handler() {
            "test-panic" => panic!("test-panic handler panics on purpose"),
            "test-echo" => echo(req),
            "test-stream" => {
                let pieces: usize = req.query().parse().unwrap_or(4);
                req.set_header("Content-Type", "text/plain");
                for i in 0..pieces {
                    let line = format!("piece {i} {}\n", "x".repeat(30_000));
                    if req.write(line.as_bytes()).is_err() {
                        break;
                    }
                }
                Outcome::Done
            }
            "test-greeting" => {
                let greeting = req
                    .config()
                    .value("TestGreeting")
                    .unwrap_or("no greeting")
                    .to_owned();
                req.set_header("Content-Type", "text/plain");
                let _ = req.write(format!("{greeting}\n").as_bytes());
                Outcome::Done
            }
            "test-teapot" => Outcome::Status(418),
            "test-config" => {
                // The value in effect of the directive named by the query, as modules see it.
                let value = req.config().last(req.query()).map(|v| v.args().join(" "));
                let body = value.unwrap_or_else(|| "(unset)".to_owned()) + "\n";
                let _ = req.write(body.as_bytes());
                Outcome::Done
            }
            "test-pid" => {
                let body = format!("{}\n", std::process::id());
                req.set_header("Content-Type", "text/plain");
                req.set_content_length(body.len() as u64);
                let _ = req.write(body.as_bytes());
                Outcome::Done
            }
            "test-hang" => {
                // Nothing read, nothing written: no progress the watchdog could see.
                let secs: u64 = req.query().parse().unwrap_or(5);
                // Tests wait for this line to know the request reached its handler.
                req.log(
                    Level::Warn,
                    &format!("test-hang: holding the request for {secs} s"),
                );
                std::thread::sleep(std::time::Duration::from_secs(secs.min(MAX_HANG_SECS)));
                let _ = req.write(b"woke up\n");
                Outcome::Done
            }
            "test-hog" => {
                let mib: usize = req.query().parse().unwrap_or(64);
                // Leaked on purpose: the memory ceiling must see it after the request.
                let hog: &'static mut [u8] = vec![0u8; mib.min(MAX_HOG_MIB) << 20].leak();
                // Touch every page so it counts in the resident size.
                for page in hog.chunks_mut(4096) {
                    page[0] = 1;
                }
                std::hint::black_box(hog);
                let body = format!("{}\n", std::process::id());
                req.set_header("Content-Type", "text/plain");
                req.set_content_length(body.len() as u64);
                let _ = req.write(body.as_bytes());
                Outcome::Done
            }
            _ => Outcome::Declined,
        }
    }
}

fn echo(req: &mut Request<'_>) -> Outcome {
    let mut body = Vec::new();
    let mut buf = [0u8; 1000];
    loop {
        match req.read_body(&mut buf) {
            Ok(0) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
            Err(_) => return Outcome::Status(400),
        }
    }
    let summary = format!(
        "{} {} {} {}\n",
        req.method(),
        req.uri(),
        req.protocol(),
        body.len()
    );
    req.set_header("Content-Type", "application/octet-stream");
    req.set_content_length((summary.len() + body.len()) as u64);
    let _ = req.write(summary.as_bytes());
    let _ = req.write(&body);
    Outcome::Done
}

mapache_module! {
    symbol: test_handlers_module,
    name: "test_handlers",
    handler: TestHandlers,
    directives: [
        ("TestGreeting", TAKE1, ANY, "the greeting test-greeting answers with"),
        ("TestFailInit", FLAG, SERVER, "On makes the module's init fail"),
        ("TestFailChildInit", FLAG, SERVER, "On makes the module's child_init fail in every child"),
    ],
    // Stands for Apache's example module in `<IfModule>` and `-M` (tests/cli.rs).
    apache_names: ["example_hooks_module"],
}
