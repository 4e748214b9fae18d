//! # mod-status
//!
//! mapache's server status, Apache's mod_status over mapache's scoreboard: handler
//! `server-status` answers with an HTML page, Apache's machine-readable `?auto` text (same keys,
//! same order, same number formats, so Apache's tooling reads it), `?json`, or Prometheus metrics
//! (`?prometheus`, or handler `server-metrics`). Totals cover every process that ever served
//! since the scoreboard was made, so they survive graceful restarts, as Apache's do.
//!
//! A consumer of the ABI only: it reads the scoreboard through the host table's `score_*`
//! functions, CPU times from `/proc`, and links nothing of the core. Who may see the page is the
//! core's business (`Require` in the `<Location>`), not this module's.
//!
//! Laid out like nginx's modules: the handler on top, the directive table and descriptor at the
//! bottom. Reading the scoreboard (snapshot, cpu), deriving the figures (report) and each output
//! format (html, auto, json, prometheus) live in their own files.

mod auto;
mod cpu;
mod escape;
mod format;
mod html;
mod json;
mod prometheus;
mod query;
mod report;
mod snapshot;

use mapache_plugin_api::{mapache_module, sdk::*};
use query::{Format, Options};
use report::Report;
use snapshot::Snapshot;

/// The methods a status page answers, for `Allow`.
const ALLOWED_METHODS: &str = "GET, HEAD";

/// The module's value: made once in `init`, shared by every worker thread.
struct Status {
    /// The first line of `?auto` and the page's title: ServerName, else the host name.
    server_name: String,
    /// The core's version string.
    version: String,
    /// `ExtendedStatus` (default On, as in Apache 2.4 once mod_status is loaded).
    extended: bool,
}

impl HandlerModule for Status {
    fn init(config: &Config<'_>) -> Result<Self, String> {
        let server_name = config
            .value("ServerName")
            .map(host_of_server_name)
            .filter(|h| !h.is_empty())
            .unwrap_or_else(host_name);
        let v = host().server_version;
        let version = if v.ptr.is_null() {
            String::new()
        } else {
            // SAFETY: the core's version string is static, `len` bytes at `ptr`.
            let bytes = unsafe { std::slice::from_raw_parts(v.ptr, v.len) };
            String::from_utf8_lossy(bytes).into_owned()
        };
        Ok(Status {
            server_name,
            version,
            extended: config.flag("ExtendedStatus").unwrap_or(true),
        })
    }

    fn handle(&self, req: &mut Request<'_>) -> Outcome {
        let format = match req.handler() {
            "server-status" => Format::Html,
            "server-metrics" => Format::Prometheus,
            _ => return Outcome::Declined,
        };
        if !matches!(req.method(), "GET" | "HEAD") {
            // Set before returning: the core's 405 page must carry it (RFC 9110 15.5.6).
            req.set_header("Allow", ALLOWED_METHODS);
            return Outcome::Status(405);
        }
        let options = Options::parse(req.query(), format);
        let Some(snap) = Snapshot::read() else {
            req.log(
                Level::Error,
                "Server status unavailable: this process has no scoreboard (one-process mode runs without one)",
            );
            return Outcome::Status(500);
        };
        let mut report = Report::new(&self.server_name, &self.version, self.extended, snap);
        report.metrics = metrics::list();
        let (content_type, body) = match options.format {
            Format::Html => (
                "text/html; charset=utf-8",
                html::render(&report, options.no_tables),
            ),
            Format::Auto => ("text/plain; charset=ISO-8859-1", auto::render(&report)),
            Format::Json => ("application/json", json::render(&report)),
            Format::Prometheus => (prometheus::CONTENT_TYPE, prometheus::render(&report)),
        };
        req.set_header("Content-Type", content_type);
        // A status is stale the moment it is read: no cache may keep it.
        req.set_header("Cache-Control", "no-cache, no-store");
        if let Some(secs) = options.refresh {
            req.set_header("Refresh", &secs.to_string());
        }
        // A client that left needs nothing more.
        let _ = write_with_sections(req, options.format, &body);
        Outcome::Done
    }
}

/// Writes `body` with the modules' status sections where its format has them: the HTML page's
/// before its footer, JSON's as the member `"modules"`, `?auto`'s at the end. The length is
/// then unknown until written (the core adds it for a small body).
fn write_with_sections(req: &mut Request<'_>, format: Format, body: &str) -> std::io::Result<()> {
    use mapache_plugin_api::abi::{MAPACHE_STATUS_AUTO, MAPACHE_STATUS_HTML, MAPACHE_STATUS_JSON};
    let (split, abi_format) = match format {
        Format::Html => (body.rfind(html::FOOTER_START), MAPACHE_STATUS_HTML),
        Format::Json => (body.rfind('}'), MAPACHE_STATUS_JSON),
        Format::Auto => (Some(body.len()), MAPACHE_STATUS_AUTO),
        Format::Prometheus => (None, 0),
    };
    let Some(split) = split.filter(|_| metrics::available()) else {
        req.set_content_length(body.len() as u64);
        return req.write(body.as_bytes());
    };
    let (head, tail) = body.split_at(split);
    req.write(head.as_bytes())?;
    if format == Format::Json {
        req.write(json::MODULES_OPEN.as_bytes())?;
        metrics::status_sections(req, abi_format)?;
        req.write(b"}")?;
    } else {
        metrics::status_sections(req, abi_format)?;
    }
    req.write(tail.as_bytes())
}

/// The host part of a `ServerName` value (`[scheme://]host[:port]`).
fn host_of_server_name(value: &str) -> String {
    let rest = value.split_once("://").map_or(value, |(_, r)| r);
    let host = if let Some(v6) = rest.strip_prefix('[') {
        // An IPv6 literal keeps its brackets; the port follows them.
        v6.split_once(']')
            .map_or(rest.to_owned(), |(a, _)| format!("[{a}]"))
    } else {
        rest.split(':').next().unwrap_or(rest).to_owned()
    };
    host.trim_end_matches('/').to_owned()
}

/// The machine's host name, Apache's fallback when there is no ServerName.
fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer and its length match; gethostname NUL-terminates within it on success.
    if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } != 0 {
        return "localhost".to_owned();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

mapache_module! {
    symbol: status_module,
    name: "status",
    handler: Status,
    directives: [
        ("ExtendedStatus", FLAG, GLOBAL,
         "\"On\" to enable extended status information, \"Off\" to disable"),
    ],
    handler_names: ["server-status", "server-metrics"],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_name_without_scheme_and_port() {
        assert_eq!(host_of_server_name("www.example.com"), "www.example.com");
        assert_eq!(
            host_of_server_name("www.example.com:8080"),
            "www.example.com"
        );
        assert_eq!(
            host_of_server_name("https://www.example.com:443"),
            "www.example.com"
        );
        assert_eq!(host_of_server_name("[::1]:80"), "[::1]");
        assert!(!host_name().is_empty());
    }
}
