//! mod-hello-rust: a mapache module in Rust (ABI 1.4), built out of tree against the
//! `mapache-plugin-api` crate, that takes part in every phase of a request:
//!
//! - `HelloRustGreeting text`: typed configuration, at the server level and in sections,
//!   merged (a section's greeting wins).
//! - every phase hook (post_read_request … log) appends its name to the request's note
//!   `hello-phases`; fixups adds `X-Hello-Greeting`; access refuses `X-Hello-Deny: yes`;
//!   translate serves `/hello-old/…` as `/…`; authn takes the user from `X-Hello-User`; the log
//!   hook writes one `info` line per request.
//! - the `hello-rust` handler answers with the greeting and the phases so far.
//! - filter `HELLO_PHASES` (added by the insert_filter hook) edits headers only: it sets
//!   `X-Hello-Phases` and leaves the chain.
//! - filter `UPPER` upper-cases `text/plain` bodies, bytes or file ranges alike
//!   (`SetOutputFilter UPPER`, `AddOutputFilterByType UPPER text/plain`).
//! - `Require hello-user name…`: granted when the authenticated user is one of the names.
//! - a counter in shared memory (`hello_rust_requests_total`, counted in the log phase) and a
//!   status-page section showing it (HTML, `?auto`, `?json`).
//! - `X-Hello-Panic: fixups` or `filter` makes that code panic, to show that the SDK catches
//!   it (a 500, or an aborted body) and the server serves on.
//!
//! The SDK's macro writes the descriptor and its tables, and catches panics at every entry.

use mapache_plugin_api::{mapache_module, sdk::*};
use std::io;

/// The note each phase appends its name to.
const PHASES: &str = "hello-phases";

/// The module's value, made in `init` in the master and shared by every request: the counter it
/// registered there (in shared memory: every child adds to the same one).
struct Hello {
    requests: Option<metrics::Metric>,
}

/// `HelloRustGreeting` for one scope; `None` when the scope does not set it.
#[derive(Default, Clone)]
struct HelloConfig {
    greeting: Option<String>,
}

impl ModuleConfig for HelloConfig {
    fn set(&mut self, _scope: Scope, name: &str, args: &[&str]) -> Result<(), String> {
        match (name, args) {
            ("HelloRustGreeting", [""]) => Err("HelloRustGreeting must not be empty".to_owned()),
            ("HelloRustGreeting", [text]) => {
                self.greeting = Some((*text).to_owned());
                Ok(())
            }
            _ => Err(format!("{name}: unexpected arguments")),
        }
    }

    fn merge(parent: &Self, child: &Self) -> Self {
        HelloConfig {
            greeting: child.greeting.clone().or_else(|| parent.greeting.clone()),
        }
    }
}

fn greeting<'a>(req: &Request<'a>) -> &'a str {
    req.module_config::<HelloConfig>()
        .and_then(|c| c.greeting.as_deref())
        .unwrap_or("Hello from Rust")
}

/// Appends `phase` to the request's `hello-phases` note.
fn ran(req: &mut Request<'_>, phase: &str) {
    let list = match req.note(PHASES) {
        Some(before) => format!("{before},{phase}"),
        None => phase.to_owned(),
    };
    let _ = req.set_note(PHASES, &list);
}

impl HandlerModule for Hello {
    fn init(config: &Config<'_>) -> Result<Self, String> {
        // The server level's typed configuration, as set_directive filled it.
        let server = config.module_config::<HelloConfig>();
        let greeting = server
            .and_then(|c| c.greeting.as_deref())
            .unwrap_or("(default)");
        log(Level::Info, &format!("server-level greeting: {greeting}"));
        let requests = metrics::register_counter(
            &hello_rust_module,
            "hello_rust_requests_total",
            "Requests the hello_rust module saw in its log phase",
        )?;
        Ok(Hello {
            requests: Some(requests),
        })
    }
}

impl PostReadRequest for Hello {
    fn post_read_request(&self, req: &mut Request<'_>) -> Verdict {
        ran(req, "post_read_request");
        Verdict::Declined
    }
}

impl Translate for Hello {
    fn translate(&self, req: &mut Request<'_>) -> Verdict {
        ran(req, "translate");
        let path = req.path();
        let Some(rest) = path.strip_prefix(b"/hello-old") else {
            return Verdict::Declined;
        };
        let Ok(rest) = std::str::from_utf8(rest) else {
            return Verdict::Declined;
        };
        if !rest.starts_with('/') {
            return Verdict::Declined;
        }
        let target = format!("{rest}{}", query_part(req.query()));
        match req.set_uri(&target) {
            // The core's translation of the new path follows (no file name was set).
            Ok(()) => Verdict::Declined,
            Err(status) => Verdict::Status(status),
        }
    }
}

fn query_part(query: &str) -> String {
    if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    }
}

impl MapToStorage for Hello {
    fn map_to_storage(&self, req: &mut Request<'_>) -> Verdict {
        ran(req, "map_to_storage");
        Verdict::Declined
    }
}

impl Access for Hello {
    fn access(&self, req: &mut Request<'_>) -> Verdict {
        ran(req, "access");
        if req.header("X-Hello-Deny") == Some("yes") {
            return Verdict::Status(403);
        }
        Verdict::Ok
    }
}

impl Authn for Hello {
    fn authn(&self, req: &mut Request<'_>) -> Verdict {
        ran(req, "authn");
        match req.header("X-Hello-User").map(str::to_owned) {
            Some(user) if req.set_user(&user).is_ok() => Verdict::Ok,
            _ => {
                let _ = req.table_set(Table::ErrHeadersOut, "WWW-Authenticate", "Hello");
                Verdict::Status(401)
            }
        }
    }
}

impl Fixups for Hello {
    fn fixups(&self, req: &mut Request<'_>) -> Verdict {
        ran(req, "fixups");
        if req.header("X-Hello-Panic") == Some("fixups") {
            panic!("fixups asked to panic");
        }
        let greeting = greeting(req);
        let _ = req.table_set(Table::ErrHeadersOut, "X-Hello-Greeting", greeting);
        Verdict::Ok
    }
}

impl InsertFilter for Hello {
    fn insert_filter(&self, req: &mut Request<'_>) -> Verdict {
        ran(req, "insert_filter");
        if req.add_filter("HELLO_PHASES").is_err() {
            req.log(Level::Error, "filter HELLO_PHASES could not be added");
            return Verdict::Error;
        }
        Verdict::Ok
    }
}

impl Handler for Hello {
    fn handle(&self, req: &mut Request<'_>) -> Outcome {
        ran(req, "handler");
        if req.method() != "GET" && req.method() != "HEAD" {
            req.set_header("Allow", "GET, HEAD");
            return Outcome::Status(405);
        }
        let body = format!(
            "{}\nphases: {}\n",
            greeting(req),
            req.note(PHASES).unwrap_or("")
        );
        req.set_header("Content-Type", "text/plain; charset=utf-8");
        req.set_content_length(body.len() as u64);
        let _ = req.write(body.as_bytes());
        Outcome::Done
    }
}

impl Log for Hello {
    fn log(&self, req: &mut Request<'_>) {
        ran(req, "log");
        let line = format!(
            "hello_rust log: {} {} {} {} bytes, user '{}', upper {}, phases {}",
            req.method(),
            req.uri(),
            req.status(),
            req.bytes_sent(),
            req.user(),
            req.note("hello-upper").unwrap_or("-"),
            req.note(PHASES).unwrap_or(""),
        );
        req.log(Level::Info, &line);
        if let Some(m) = self.requests {
            metrics::add(m, 1);
        }
    }
}

impl StatusSection for Hello {
    fn status_section(&self, req: &mut Request<'_>, format: StatusFormat) -> bool {
        let seen = metrics::list()
            .into_iter()
            .find(|r| r.name == "hello_rust_requests_total")
            .map_or(0, |r| r.value);
        let text = match format {
            StatusFormat::Html => format!("<h2>hello_rust</h2>\n<p>{seen} requests seen</p>\n"),
            StatusFormat::Auto => format!("HelloRustRequests: {seen}\n"),
            StatusFormat::Json => format!("{{\"requests\": {seen}}}"),
        };
        req.write(text.as_bytes()).is_ok()
    }
}

/// Header-only filter: shows the phases that ran so far, then leaves the chain.
struct PhasesHeader;

impl OutputFilter for PhasesHeader {
    type State = ();
    const CLASS: i32 = filter::class::PROTOCOL;

    fn headers(&self, req: &mut Request<'_>, _state: &mut ()) -> FilterVerdict {
        let phases = req.note(PHASES).unwrap_or("").to_owned();
        let _ = req.table_set(Table::HeadersOut, "X-Hello-Phases", &phases);
        FilterVerdict::Leave
    }

    fn body(
        &self,
        _: &mut Request<'_>,
        _: &mut (),
        b: Bucket<'_>,
        next: &mut Next<'_>,
    ) -> io::Result<()> {
        next.pass(b)
    }
}

/// Upper-cases `text/plain` bodies one byte for one (the length stays valid).
struct Upper;

/// What `UPPER` counts during one request.
#[derive(Default)]
struct UpperState {
    bytes: u64,
}

impl OutputFilter for Upper {
    type State = UpperState;
    const KEEPS_LENGTH: bool = true;

    fn headers(&self, req: &mut Request<'_>, _state: &mut UpperState) -> FilterVerdict {
        let plain = req
            .table_get(Table::HeadersOut, "Content-Type")
            .is_some_and(|t| t.to_ascii_lowercase().starts_with("text/plain"));
        if plain {
            FilterVerdict::Stay
        } else {
            FilterVerdict::Leave
        }
    }

    fn body(
        &self,
        req: &mut Request<'_>,
        state: &mut UpperState,
        bucket: Bucket<'_>,
        next: &mut Next<'_>,
    ) -> io::Result<()> {
        if req.header("X-Hello-Panic") == Some("filter") {
            panic!("UPPER asked to panic");
        }
        match bucket {
            Bucket::Bytes(data) => {
                state.bytes += data.len() as u64;
                next.bytes(&data.to_ascii_uppercase())
            }
            // A file range (mod-static sends files so): read it and pass bytes instead.
            Bucket::File(range) => range.for_each_chunk(64 * 1024, |chunk| {
                state.bytes += chunk.len() as u64;
                next.bytes(&chunk.to_ascii_uppercase())
            }),
            Bucket::Eos => {
                let _ = req.set_note("hello-upper", &state.bytes.to_string());
                next.eos()
            }
            other => next.pass(other),
        }
    }
}

/// `Require hello-user name…`.
struct HelloUser;

impl AuthzProvider for HelloUser {
    fn check(&self, args: &[&str]) -> Result<(), String> {
        if args.is_empty() {
            return Err("Require hello-user needs at least one user name".to_owned());
        }
        Ok(())
    }

    fn authorize(&self, req: &mut Request<'_>, args: &[&str]) -> Authz {
        match req.user() {
            "" => Authz::NeedsUser,
            user if args.contains(&user) => Authz::Granted,
            _ => Authz::Denied,
        }
    }
}

mapache_module! {
    symbol: hello_rust_module,
    name: "hello_rust",
    handler: Hello,
    directives: [("HelloRustGreeting", TAKE1, ANY, "the text the hello-rust handler answers with")],
    config: HelloConfig,
    handler_names: ["hello-rust"],
    hooks: [PostReadRequest, Translate, MapToStorage, Access, Authn, Fixups, InsertFilter, Handler, Log],
    filters: [output("UPPER", Upper), output("HELLO_PHASES", PhasesHeader)],
    authz: [("hello-user", HelloUser)],
    status_section: StatusSection,
}
