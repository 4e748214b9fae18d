//! Handlers the integration tests drive through the real core, selected with SetHandler:
//! `test-panic` panics, `test-echo` answers with the request body and a summary, `test-stream`
//! writes a body of unknown length in pieces, `test-greeting` answers with the `TestGreeting`
//! directive in effect, `test-teapot` returns a status for the core to answer, `test-config` answers with the
//! value in effect of the directive named in its query string, `test-fail-init`
//! is configured by `TestFailInit On`, which makes `init` fail.

use mapache_plugin_api::{mapache_module, sdk::*};

struct TestHandlers;

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
        Ok(TestHandlers)
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
    ],
}
