//! # mod-headers
//!
//! Apache's mod_headers: `Header [always|onsuccess] action header [value] [condition]` and
//! `RequestHeader action header [value] [condition]`, with the actions set, setifempty, add,
//! append, merge, unset, echo (Header only), edit, edit* and note, the conditions `env=[!]VAR`,
//! `expr=…` and `early`, and values with `%t`, `%D`, `%{VAR}e`, `%{VAR}s` and `%%` or `expr=…`
//! (ABI 1.6's expression engine).
//!
//! As Apache keeps them, `Header` lines work on `headers_out` and `Header always` lines on
//! `err_headers_out`; the lines of outer scopes run first. Where they run:
//! - `RequestHeader`: in fixups (last), on the request's headers.
//! - `Header`: in the header-only output filter `FIXUP_HEADERS_OUT` that insert_filter (last)
//!   adds, so it sees what mod-expires and the handler set. The `always` lines run on every
//!   response; the `onsuccess` ones only where Apache runs them: on the responses that do
//!   not take its error path (ap_send_error_response), which are those of status 2xx and the
//!   304 a handler answers (an ErrorDocument's page counts as its own, 200, response).
//! - Responses that end before insert_filter (a 301 from mod-alias's translate, a 403 from
//!   `Require`) get the same from `FIXUP_HEADERS_ERR`, which post_read_request adds first;
//!   it steps aside when `FIXUP_HEADERS_OUT` was inserted, so no line runs twice.
//! - `early` lines (server and virtual host level only): in post_read_request (first).
//!
//! As in Apache, `Server`, `Date` and the framing headers are the core's: `Header unset
//! Server` or `Header set Date …` change nothing.

pub mod apply;
pub mod config;
pub mod directive;
pub mod format;

use config::HeadersConfig;
use mapache_plugin_api::{mapache_module, sdk::*};
use std::time::{SystemTime, UNIX_EPOCH};

/// The module's value (nothing beyond the typed configuration).
struct Headers;

impl HandlerModule for Headers {
    fn init(_config: &Config<'_>) -> Result<Self, String> {
        Ok(Headers)
    }
}

/// The filter insert_filter adds (Apache's name).
const OUT_FILTER: &str = "FIXUP_HEADERS_OUT";
/// The filter post_read_request adds, for responses that end before insert_filter.
const ERR_FILTER: &str = "FIXUP_HEADERS_ERR";
/// The note insert_filter leaves once it added [`OUT_FILTER`].
const OUT_INSERTED: &str = "mod_headers.out-filter";

/// Whether Apache sends a response of `status` through its normal path (where the
/// `onsuccess` lines run) rather than ap_send_error_response.
fn normal_path(status: u16) -> bool {
    (200..300).contains(&status) || status == 304
}

/// A request seen through one of its tables.
struct On<'r, 'a> {
    req: &'r mut Request<'a>,
    table: Table,
}

impl format::Values for On<'_, '_> {
    fn request_time_us(&self) -> i64 {
        self.now_us() - self.req.elapsed().as_micros() as i64
    }
    fn now_us(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64)
    }
    fn env(&self, name: &str) -> Option<String> {
        self.req.env(name).map(str::to_owned)
    }
}

impl On<'_, '_> {
    fn report(&self, what: &str, name: &str, result: Result<(), Refused>) {
        // The core refuses its own headers (Server, Date, framing) and values that would
        // split the response; Apache's mod_headers has no effect on the former either.
        if result.is_err() {
            self.req.log(
                Level::Debug,
                &format!("{what} {name}: the core keeps this header as it is"),
            );
        }
    }
}

impl apply::Target for On<'_, '_> {
    fn values(&self, name: &str) -> Vec<String> {
        self.req
            .table_get_all(self.table, name)
            .into_iter()
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect()
    }
    fn set(&mut self, name: &str, value: &str) {
        let r = match self.table {
            Table::HeadersIn => self.req.change_request_header(name, Some(value), false),
            t => self.req.table_set(t, name, value),
        };
        self.report("set", name, r);
    }
    fn add(&mut self, name: &str, value: &str) {
        let r = match self.table {
            Table::HeadersIn => self.req.change_request_header(name, Some(value), true),
            t => self.req.table_add(t, name, value),
        };
        self.report("add", name, r);
    }
    fn unset(&mut self, name: &str) {
        let r = match self.table {
            Table::HeadersIn => self.req.change_request_header(name, None, false),
            t => self.req.table_unset(t, name),
        };
        self.report("unset", name, r);
    }
    fn request_fields(&self) -> Vec<(String, String)> {
        self.req
            .table_entries(Table::HeadersIn)
            .into_iter()
            .map(|(n, v)| {
                (
                    String::from_utf8_lossy(n).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            })
            .collect()
    }
    fn echo(&mut self, name: &str, value: &str) {
        let r = self.req.table_add(Table::HeadersOut, name, value);
        self.report("echo", name, r);
    }
    fn set_note(&mut self, name: &str, value: &str) {
        let r = self.req.set_note(name, value);
        self.report("note", name, r);
    }
    fn eval(&self, expr: &expr::Expr) -> Result<bool, String> {
        expr.eval(self.req)
    }
    fn eval_string(&self, expr: &expr::Expr) -> Result<String, String> {
        expr.eval_string(self.req)
    }
    fn log_error(&self, message: &str) {
        self.req.log(Level::Error, message);
    }
}

fn run(req: &mut Request<'_>, entries: &[directive::Entry], table: Table, early: bool) {
    if !entries.is_empty() {
        apply::run(entries, &mut On { req, table }, early);
    }
}

impl PostReadRequest for Headers {
    const ORDER: HookOrder = HookOrder::new(order::FIRST);

    fn post_read_request(&self, req: &mut Request<'_>) -> Verdict {
        let Some(config) = req.module_config::<HeadersConfig>() else {
            return Verdict::Declined;
        };
        run(req, &config.request, Table::HeadersIn, true);
        run(req, &config.always, Table::ErrHeadersOut, true);
        run(req, &config.on_success, Table::HeadersOut, true);
        // Sections may hold lines the server level has not: the filter goes in whatever
        // this level says, and reads the request's final configuration when it runs.
        if let Err(e) = req.add_filter(ERR_FILTER) {
            req.log(Level::Error, &format!("{ERR_FILTER}: {e}"));
        }
        Verdict::Declined
    }
}

impl Fixups for Headers {
    const ORDER: HookOrder = HookOrder::new(order::LAST);

    fn fixups(&self, req: &mut Request<'_>) -> Verdict {
        if let Some(config) = req.module_config::<HeadersConfig>() {
            run(req, &config.request, Table::HeadersIn, false);
        }
        Verdict::Declined
    }
}

impl InsertFilter for Headers {
    const ORDER: HookOrder = HookOrder::new(order::LAST);

    fn insert_filter(&self, req: &mut Request<'_>) -> Verdict {
        if !req
            .module_config::<HeadersConfig>()
            .is_some_and(HeadersConfig::touches_response)
        {
            return Verdict::Declined;
        }
        let added = req
            .add_filter(OUT_FILTER)
            .and_then(|()| req.set_note(OUT_INSERTED, "1"));
        if let Err(e) = added {
            req.log(Level::Error, &format!("{OUT_FILTER}: {e}"));
        }
        Verdict::Declined
    }
}

/// Runs the response lines on the response's head, then leaves the chain.
fn fix_response(req: &mut Request<'_>) -> FilterVerdict {
    let Some(config) = req.module_config::<HeadersConfig>() else {
        return FilterVerdict::Leave;
    };
    run(req, &config.always, Table::ErrHeadersOut, false);
    if normal_path(req.status()) {
        run(req, &config.on_success, Table::HeadersOut, false);
    }
    FilterVerdict::Leave
}

/// `FIXUP_HEADERS_OUT`: the response lines, after the other content-set filters.
struct OutFilter;

impl OutputFilter for OutFilter {
    type State = ();
    const CLASS: i32 = mapache_plugin_api::sdk::filter::class::CONTENT_SET;
    const KEEPS_LENGTH: bool = true;

    fn headers(&self, req: &mut Request<'_>, _state: &mut ()) -> FilterVerdict {
        fix_response(req)
    }
}

/// `FIXUP_HEADERS_ERR`: the response lines for a response that ended before insert_filter.
struct ErrFilter;

impl OutputFilter for ErrFilter {
    type State = ();
    const CLASS: i32 = mapache_plugin_api::sdk::filter::class::CONTENT_SET;
    const KEEPS_LENGTH: bool = true;

    fn headers(&self, req: &mut Request<'_>, _state: &mut ()) -> FilterVerdict {
        if req.note(OUT_INSERTED).is_some() {
            return FilterVerdict::Leave;
        }
        fix_response(req)
    }
}

mapache_module! {
    symbol: headers_module,
    name: "headers",
    handler: Headers,
    directives: [
        ("Header", RAW_ARGS, ANY | FILEINFO, "an optional condition, an action, header and value followed by optional env clause"),
        ("RequestHeader", RAW_ARGS, ANY | FILEINFO, "an action, header and value followed by optional env clause"),
    ],
    config: HeadersConfig,
    hooks: [PostReadRequest, Fixups, InsertFilter],
    filters: [output("FIXUP_HEADERS_OUT", OutFilter), output("FIXUP_HEADERS_ERR", ErrFilter)],
    apache_names: ["headers_module"],
}
