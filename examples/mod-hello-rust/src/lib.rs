//! mod-hello-rust: `SetHandler hello-rust` answers with `HelloRustGreeting`, built out of tree
//! against the `mapache-plugin-api` crate. The SDK's macro writes the descriptor and catches
//! panics at every entry point.

use mapache_plugin_api::{mapache_module, sdk::*};

struct Hello {
    /// The server-level greeting, read once in the master before fork.
    default_greeting: String,
}

impl HandlerModule for Hello {
    fn init(config: &Config<'_>) -> Result<Self, String> {
        let default_greeting = config.value("HelloRustGreeting").unwrap_or("Hello from Rust").to_owned();
        Ok(Hello { default_greeting })
    }

    fn handle(&self, req: &mut Request<'_>) -> Outcome {
        if req.handler() != "hello-rust" {
            return Outcome::Declined;
        }
        if req.method() != "GET" && req.method() != "HEAD" {
            req.set_header("Allow", "GET, HEAD");
            return Outcome::Status(405);
        }
        // A section's greeting overrides the server-level one.
        let greeting = req.config().value("HelloRustGreeting").unwrap_or(&self.default_greeting).to_owned();
        let body = format!("{greeting}\n");
        req.set_header("Content-Type", "text/plain; charset=utf-8");
        req.set_content_length(body.len() as u64);
        let _ = req.write(body.as_bytes());
        Outcome::Done
    }
}

mapache_module! {
    symbol: hello_rust_module,
    name: "hello_rust",
    handler: Hello,
    directives: [("HelloRustGreeting", TAKE1, ANY, "the text the hello-rust handler answers with")],
}
